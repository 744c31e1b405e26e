"""NVIDIA's TF StyleGAN (v1) networks -> `keras_gans.models.StyleGAN`, exactly.

Reads the `(G, D, Gs)` records of a TF StyleGAN pickle (state version 3,
`G_style` with `G_mapping` + `G_synthesis` components, `D_basic`; see
`keras_gans.zoo.nvlabs.reader`, which executes nothing from the file) and
builds a StyleGAN whose networks compute what NVIDIA's code computes from
them (Karras et al. 2019, "A Style-Based Generator Architecture for GANs",
and the official code at NVlabs/stylegan 1e0d5c78):

* the architecture comes from the static kwargs each network was built with,
  with the official defaults for the kwargs that are not stored; a kwarg the
  Keras model cannot reproduce is refused with the values that are
  supported;
* weights are stored without their equalized-LR gains in both worlds, so
  they copy one to one; only layouts change: NCHW -> NHWC for the constant
  input and the stored noise images, NCHW-flattened rows/columns of the 4x4
  dense layers, and the +1 of `style_mod` moved into the style bias;
* `fused_scale` (official 'auto': fused up-convs from 128 px in G and fused
  down-convs from 128 px in D) selects the same fused layers, since a
  trained fused up-conv is not the same function as the unfused one;
* the minibatch-stddev layer uses NVIDIA's strided grouping and the file's
  group size, since D's logits depend on them;
* the training networks `G` and `D` become `generator` and `discriminator`,
  `Gs` (or the network named by `which`) the EMA generator used for
  sampling; `dlatent_avg` is `w_avg`; `truncation_cutoff`,
  `dlatent_avg_beta`, `style_mixing_prob` and the default `truncation_psi`
  of `generate`/`sample` (official default 0.7) come from the file.

Only the full-resolution output (`lod = 0`) exists in the Keras model: a
snapshot taken mid-growth (`lod != 0`) is refused.

Example:

>>> from keras_gans.zoo.nvlabs.stylegan import convert_stylegan  # doctest: +SKIP
>>> gan = convert_stylegan("karras2019stylegan-ffhq-1024x1024.pkl")  # doctest: +SKIP
>>> images = gan.generate(gan.latents(4), truncation_psi=0.7)  # doctest: +SKIP
"""

import os

import numpy as np

from keras_gans.zoo.nvlabs.reader import NetworkRecord, NVLabsFormatError, read_snapshot

#: The official defaults (NVlabs/stylegan `networks_stylegan.py`) of every
#: kwarg each build function takes. Stored static kwargs override them.
G_STYLE_DEFAULTS = {
    "truncation_psi": 0.7, "truncation_cutoff": 8, "truncation_psi_val": None,
    "truncation_cutoff_val": None, "dlatent_avg_beta": 0.995, "style_mixing_prob": 0.9,
    "is_training": False, "is_validation": False, "is_template_graph": False,
}
G_MAPPING_DEFAULTS = {
    "latent_size": 512, "label_size": 0, "dlatent_size": 512, "dlatent_broadcast": None,
    "mapping_layers": 8, "mapping_fmaps": 512, "mapping_lrmul": 0.01,
    "mapping_nonlinearity": "lrelu", "use_wscale": True, "normalize_latents": True,
    "dtype": "float32",
}
G_SYNTHESIS_DEFAULTS = {
    "dlatent_size": 512, "num_channels": 3, "resolution": 1024, "fmap_base": 8192,
    "fmap_decay": 1.0, "fmap_max": 512, "use_styles": True, "const_input_layer": True,
    "use_noise": True, "randomize_noise": True, "nonlinearity": "lrelu", "use_wscale": True,
    "use_pixel_norm": False, "use_instance_norm": True, "dtype": "float32",
    "fused_scale": "auto", "blur_filter": [1, 2, 1], "structure": "auto",
    "is_template_graph": False, "force_clean_graph": False,
}
D_BASIC_DEFAULTS = {
    "num_channels": 1, "resolution": 32, "label_size": 0, "fmap_base": 8192,
    "fmap_decay": 1.0, "fmap_max": 512, "nonlinearity": "lrelu", "use_wscale": True,
    "mbstd_group_size": 4, "mbstd_num_features": 1, "dtype": "float32", "fused_scale": "auto",
    "blur_filter": [1, 2, 1], "structure": "auto", "is_template_graph": False,
}

#: Values the Keras model reproduces, for kwargs that are not free numbers.
SUPPORTED_VALUES = {
    "label_size": [0],
    "use_wscale": [True],
    "normalize_latents": [True],
    "mapping_nonlinearity": ["lrelu"],
    "nonlinearity": ["lrelu", "relu"],
    "fmap_decay": [1.0],
    "dtype": ["float32"],
    "fused_scale": [True, False, "auto"],
    "structure": ["auto", "fixed", "linear", "recursive"],
    "use_styles": [True, False],
    "const_input_layer": [True, False],
    "use_noise": [True, False],
    "use_pixel_norm": [True, False],
    "use_instance_norm": [True, False],
    "is_training": [False],
    "is_validation": [False],
}

GENERATOR_CLASSES = {"G_style": "G", "G_mapping": "mapping", "G_synthesis": "synthesis"}


def _fail(message):
    raise NVLabsFormatError(message)


def _same(a, b):
    """Kwarg equality that does not take True for 1 or 1.0 for True."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return a == b


def resolve_kwargs(record, defaults, what):
    """The effective kwargs of `record`: its static kwargs over `defaults`.

    Raises NVLabsFormatError (one line) for a kwarg the build function does
    not take, or a value the Keras model cannot reproduce.
    """
    kwargs = dict(record.kwargs or {})
    unknown = sorted(set(kwargs) - set(defaults))
    if unknown:
        _fail(f"{what} ({record.class_name}): unsupported static kwargs {unknown}; "
              f"supported: {sorted(defaults)}.")
    merged = {**defaults, **kwargs}
    for key, value in merged.items():
        allowed = SUPPORTED_VALUES.get(key)
        if allowed is not None and not any(_same(value, a) for a in allowed):
            _fail(f"{what}: {key}={value!r} is not supported; supported: {allowed}.")
    return merged


def _as_int(kwargs, key, what, minimum=1):
    value = kwargs[key]
    if isinstance(value, bool) or int(value) != value or int(value) < minimum:
        _fail(f"{what}: {key}={value!r} must be an integer >= {minimum}.")
    return int(value)


def _check_resolution(kwargs, what):
    res = _as_int(kwargs, "resolution", what, 4)
    if res > 1024 or res & (res - 1):
        _fail(f"{what}: resolution={res} is not supported; supported: powers of two "
              "from 4 to 1024.")
    return res


def _blur_option(value, what):
    if not value:  # None or []: the official code skips the blur
        return None
    taps = np.asarray(value, np.float64)
    if taps.ndim != 1 or not np.all(np.isfinite(taps)) or taps.sum() == 0:
        _fail(f"{what}: blur_filter={value!r} must be a list of 1D taps (or None).")
    return [float(v) for v in taps]


def _check_lod(record, what):
    lod = record.tensors.get("lod")
    if lod is not None and float(np.asarray(lod)) != 0.0:
        _fail(f"{what}: lod={float(np.asarray(lod))} (a snapshot taken during progressive "
              "growing); only lod 0, the full-resolution network, is supported.")


def _network(snapshot, key, classes):
    record = snapshot.get(key)
    if record is None:
        return None
    if not isinstance(record, NetworkRecord):
        _fail(f"snapshot[{key!r}] is not a network record; got {type(record).__name__}.")
    if record.class_name not in classes:
        hint = (" (a StyleGAN2 network: use keras_gans.zoo.nvlabs.stylegan2.convert_stylegan2)"
                if record.class_name in ("G_main", "D_stylegan2") else "")
        _fail(f"{key}: build function {record.class_name!r} is not StyleGAN v1; supported: "
              f"{sorted(classes)}{hint}.")
    if record.version is not None and record.version != 3:
        _fail(f"{key}: TF network state version {record.version} is not supported; "
              "supported: 3 (StyleGAN v1).")
    return record


def _generator_parts(record, key):
    for part in ("mapping", "synthesis"):
        sub = record.components.get(part)
        expected = "G_mapping" if part == "mapping" else "G_synthesis"
        if sub is None or sub.class_name != expected:
            got = None if sub is None else sub.class_name
            _fail(f"{key}: component {part!r} must be built by {expected}; got {got!r}.")
    return record.components["mapping"], record.components["synthesis"]


def generator_architecture(record, key="Gs"):
    """StyleGAN constructor arguments from a `G_style` record (see `convert_stylegan`)."""
    mapping, synthesis = _generator_parts(record, key)
    style = resolve_kwargs(record, {**G_STYLE_DEFAULTS, **G_MAPPING_DEFAULTS,
                                    **G_SYNTHESIS_DEFAULTS}, key)
    m = resolve_kwargs(mapping, {**G_MAPPING_DEFAULTS, **G_STYLE_DEFAULTS,
                                 **G_SYNTHESIS_DEFAULTS}, f"{key}.mapping")
    s = resolve_kwargs(synthesis, {**G_SYNTHESIS_DEFAULTS, **G_STYLE_DEFAULTS,
                                   **G_MAPPING_DEFAULTS}, f"{key}.synthesis")
    for sub, what in ((record, key), (synthesis, f"{key}.synthesis")):
        _check_lod(sub, what)
    # G_style hands its kwargs to both components; the components' own are
    # what built them, and a file whose levels disagree is not one network.
    for sub, resolved in ((mapping, m), (synthesis, s)):
        differ = sorted(k for k in record.kwargs if k in sub.kwargs
                        and not _same(record.kwargs[k], sub.kwargs[k]))
        if differ:
            _fail(f"{key}: static kwargs {differ} differ between {record.class_name} and its "
                  f"{sub.class_name} component.")
    resolution = _check_resolution(s, f"{key}.synthesis")
    latent = _as_int(m, "latent_size", f"{key}.mapping")
    dlatent = _as_int(m, "dlatent_size", f"{key}.mapping")
    if _as_int(s, "dlatent_size", f"{key}.synthesis") != dlatent:
        _fail(f"{key}: mapping dlatent_size {dlatent} != synthesis dlatent_size "
              f"{s['dlatent_size']}.")
    layers = _as_int(m, "mapping_layers", f"{key}.mapping")
    hidden = _as_int(m, "mapping_fmaps", f"{key}.mapping")
    lrmul = float(m["mapping_lrmul"])
    if not lrmul > 0:
        _fail(f"{key}.mapping: mapping_lrmul={m['mapping_lrmul']!r} must be > 0.")
    num_layers = 2 * int(np.log2(resolution)) - 2
    num_ws = num_layers if s["use_styles"] else 1
    if m["dlatent_broadcast"] is not None and m["dlatent_broadcast"] != num_ws:
        _fail(f"{key}.mapping: dlatent_broadcast={m['dlatent_broadcast']!r} does not match the "
              f"synthesis' {num_ws} style inputs.")
    psi, cutoff = style["truncation_psi"], style["truncation_cutoff"]
    if psi is not None and not 0.0 <= float(psi) <= 1.0:
        _fail(f"{key}: truncation_psi={psi!r} is not supported; supported: [0, 1] or None.")
    # The official G_style truncates only when BOTH are set (cutoff <= 0 or
    # None disables it): cutoff 0 truncates no layer here.
    cutoff = 0 if cutoff is None or int(cutoff) <= 0 or psi is None else int(cutoff)
    beta = style["dlatent_avg_beta"]
    mixing = style["style_mixing_prob"]
    fused = s["fused_scale"]
    options = {
        "blur_kernel": _blur_option(s["blur_filter"], f"{key}.synthesis"),
        "fused_scale": fused, "use_noise": bool(s["use_noise"]),
        "use_pixel_norm": bool(s["use_pixel_norm"]),
        "use_instance_norm": bool(s["use_instance_norm"]),
        "use_styles": bool(s["use_styles"]),
        "const_input_layer": bool(s["const_input_layer"]),
        "nonlinearity": s["nonlinearity"],
    }
    return {
        "resolution": resolution,
        "channels": _as_int(s, "num_channels", f"{key}.synthesis"),
        "latent_dim": latent, "w_dim": dlatent, "mapping_layers": layers,
        "mapping_lr_multiplier": lrmul,
        "mapping_hidden_dim": None if hidden == dlatent else hidden,
        "truncation_psi": 1.0 if psi is None else float(psi),
        "channel_base": 2 * _as_int(s, "fmap_base", f"{key}.synthesis"),
        "channel_max": _as_int(s, "fmap_max", f"{key}.synthesis"),
        "truncation_cutoff": cutoff,
        "style_mixing_prob": 0.0 if mixing is None else max(0.0, float(mixing)),
        "w_avg_beta": 1.0 if beta is None else float(beta),
        "synthesis_options": options,
    }


def discriminator_architecture(record, key="D"):
    """`build_stylegan_discriminator` arguments from a `D_basic` record."""
    d = resolve_kwargs(record, D_BASIC_DEFAULTS, key)
    _check_lod(record, key)
    group = _as_int(d, "mbstd_group_size", key, 0)
    return {
        "resolution": _check_resolution(d, key),
        "channels": _as_int(d, "num_channels", key),
        "channel_base": 2 * _as_int(d, "fmap_base", key),
        "channel_max": _as_int(d, "fmap_max", key),
        "mbstd_group_size": group,
        "discriminator_options": {
            "blur_kernel": _blur_option(d["blur_filter"], key),
            "fused_scale": d["fused_scale"],
            "nonlinearity": d["nonlinearity"],
            "mbstd_num_features": _as_int(d, "mbstd_num_features", key),
            # NVIDIA's grouping (sample n in group n mod N/G): D's logits depend on it.
            "mbstd_grouping": "strided",
        },
    }


# ------------------------------------------------------------------ weights
class _Tensors:
    """A record's tensors, tracking which ones were used."""

    def __init__(self, record, what):
        self.tensors = record.tensors
        self.what = what
        self.used = set()

    def __call__(self, name):
        if name not in self.tensors:
            _fail(f"{self.what}: variable {name!r} is missing (the kwargs say it exists).")
        self.used.add(name)
        return np.asarray(self.tensors[name])

    def check_all_used(self, ignored=()):
        left = [n for n in self.tensors if n not in self.used
                and not any(n == i or n.startswith(i) for i in ignored)]
        if left:
            _fail(f"{self.what}: variables {left[:6]} have no place in the Keras network "
                  "(a layout this converter does not know).")


def _assign(variable, value, source):
    value = np.asarray(value, np.float32)
    if tuple(variable.shape) != value.shape:
        raise NVLabsFormatError(f"{source}: shape {value.shape} does not fit the Keras "
                                f"variable {variable.path} {tuple(variable.shape)}.")
    variable.assign(value)


def _nchw_rows_to_nhwc(weight, channels, size=4):
    """Dense rows over a flattened NCHW map `[C*H*W, out]` -> NHWC order."""
    out = weight.shape[1]
    return weight.reshape(channels, size, size, out).transpose(1, 2, 0, 3).reshape(-1, out)


def _nchw_cols_to_nhwc(weight, channels, size=4):
    """Dense columns producing a NCHW map `[in, C*H*W]` -> NHWC order."""
    rows = weight.shape[0]
    return weight.reshape(rows, channels, size, size).transpose(0, 2, 3, 1).reshape(rows, -1)


def _layer_scope(synthesis, i):
    res = synthesis.layer_resolution(i)
    if i == 0:
        name = "Const" if synthesis.const_input_layer else "Dense"
    elif i == 1:
        name = "Conv"
    else:
        name = "Conv0_up" if i % 2 == 0 else "Conv1"
    return f"{res}x{res}/{name}"


def load_generator(generator, record, what):
    """Copies a `G_style` record's variables into a `StyleGenerator`."""
    mapping_rec, synthesis_rec = record.components["mapping"], record.components["synthesis"]
    top = _Tensors(record, what)
    _assign(generator.w_avg, top("dlatent_avg"), f"{what}/dlatent_avg")
    top.check_all_used(ignored=("lod",))

    m = _Tensors(mapping_rec, f"{what}.mapping")
    for i in range(generator.mapping_layers):
        layer = generator.mapping.get_layer(f"dense{i}")
        _assign(layer.kernel, m(f"Dense{i}/weight"), f"{what}.mapping/Dense{i}/weight")
        _assign(layer.bias, m(f"Dense{i}/bias"), f"{what}.mapping/Dense{i}/bias")
    m.check_all_used()

    syn = generator.synthesis
    s = _Tensors(synthesis_rec, f"{what}.synthesis")
    for i in range(syn.num_layers):
        scope = _layer_scope(syn, i)
        width = syn.widths[i]
        if i == 0 and syn.const_input_layer:
            _assign(syn.const, s(f"{scope}/const").transpose(0, 2, 3, 1), f"{scope}/const")
        elif i == 0:
            _assign(syn.input_dense.kernel, _nchw_cols_to_nhwc(s(f"{scope}/weight"), width),
                    f"{scope}/weight")
        else:
            _assign(syn.convs[i - 1].kernel, s(f"{scope}/weight"), f"{scope}/weight")
        if syn.use_noise:
            _assign(syn.noises[i].strength, s(f"{scope}/Noise/weight"), f"{scope}/Noise/weight")
            _assign(syn.noises[i].const_noise, s(f"noise{i}").transpose(0, 2, 3, 1),
                    f"noise{i}")
        _assign(syn.biases[i].bias, s(f"{scope}/bias"), f"{scope}/bias")
        if syn.use_styles:
            bias = s(f"{scope}/StyleMod/bias").astype(np.float64)
            bias[:width] += 1.0  # style_mod's `style[:, 0] + 1`, stored in the bias here
            _assign(syn.affines[i].kernel, s(f"{scope}/StyleMod/weight"),
                    f"{scope}/StyleMod/weight")
            _assign(syn.affines[i].bias, bias, f"{scope}/StyleMod/bias")
    _assign(syn.to_rgb.kernel, s("ToRGB_lod0/weight"), "ToRGB_lod0/weight")
    _assign(syn.to_rgb.bias, s("ToRGB_lod0/bias"), "ToRGB_lod0/bias")
    # The lower-resolution toRGBs serve only progressive growing (lod > 0).
    s.check_all_used(ignored=("lod",) + tuple(f"ToRGB_lod{k}/" for k in range(1, 10)))


def load_discriminator(discriminator, record, what="D"):
    """Copies a `D_basic` record's variables into `build_stylegan_discriminator`'s model."""
    t = _Tensors(record, what)
    rgb = discriminator.get_layer("from_rgb")
    _assign(rgb.kernel, t("FromRGB_lod0/weight"), "FromRGB_lod0/weight")
    _assign(rgb.bias, t("FromRGB_lod0/bias"), "FromRGB_lod0/bias")
    resolution = int(discriminator.input_shape[1])
    res = resolution
    while res > 4:
        block = discriminator.get_layer(f"block{res}")
        scope = f"{res}x{res}"
        _assign(block.conv0.kernel, t(f"{scope}/Conv0/weight"), f"{scope}/Conv0/weight")
        _assign(block.conv0.bias, t(f"{scope}/Conv0/bias"), f"{scope}/Conv0/bias")
        _assign(block.conv1.kernel, t(f"{scope}/Conv1_down/weight"),
                f"{scope}/Conv1_down/weight")
        bias = block.conv1.bias if block.fused else block.bias1.bias
        _assign(bias, t(f"{scope}/Conv1_down/bias"), f"{scope}/Conv1_down/bias")
        res //= 2
    head = discriminator.get_layer("epilogue")
    _assign(head.conv.kernel, t("4x4/Conv/weight"), "4x4/Conv/weight")
    _assign(head.conv.bias, t("4x4/Conv/bias"), "4x4/Conv/bias")
    _assign(head.dense.kernel, _nchw_rows_to_nhwc(t("4x4/Dense0/weight"), head.filters),
            "4x4/Dense0/weight")
    _assign(head.dense.bias, t("4x4/Dense0/bias"), "4x4/Dense0/bias")
    _assign(head.out.kernel, t("4x4/Dense1/weight"), "4x4/Dense1/weight")
    _assign(head.out.bias, t("4x4/Dense1/bias"), "4x4/Dense1/bias")
    t.check_all_used(ignored=("lod",) + tuple(f"FromRGB_lod{k}/" for k in range(1, 10)))


def convert_stylegan(snapshot, which="Gs", ema_decay=0.999, seed=0):
    """A `StyleGAN` holding the networks of a TF StyleGAN (v1) pickle.

    Args:
        snapshot: a path to the `.pkl` file or the dict `read_snapshot`
            returns (`{"format": "tf", "G": ..., "D": ..., "Gs": ...}`).
        which: the network sampled from (the EMA generator): "Gs" (NVIDIA's
            moving average, the released one; "G_ema" is accepted as its
            PyTorch-era name) or "G" (the training G).
            `generator` always holds `G` (or `Gs` when the file has no `G`).
        ema_decay: EMA decay for continued training (not stored in the file).
        seed: seed of the model's latent and noise streams.

    Returns:
        An uncompiled `keras_gans.models.StyleGAN` whose `truncation_psi`
        (the default of `generate`/`sample`) is the file's.

    Raises:
        NVLabsFormatError: one line naming what is not StyleGAN v1 or not
            supported, with the supported values.

    Example:

    >>> gan = convert_stylegan("stylegan1_small.pkl")  # doctest: +SKIP
    >>> gan.compile()  # doctest: +SKIP
    >>> gan.generate(gan.latents(2)).shape  # the file's psi (0.7), stored noise  # doctest: +SKIP
    (2, 32, 32, 3)
    """
    from keras_gans.models.stylegan import StyleGAN

    if isinstance(snapshot, (str, os.PathLike)):
        snapshot = read_snapshot(snapshot)
    if not isinstance(snapshot, dict):
        _fail(f"convert_stylegan needs a path or a read_snapshot() dict; got "
              f"{type(snapshot).__name__}.")
    if snapshot.get("format") != "tf":
        _fail(f"StyleGAN v1 networks are TF pickles; this snapshot's format is "
              f"{snapshot.get('format')!r} (use keras_gans.zoo.nvlabs.stylegan2 for PyTorch "
              "files).")
    if which not in ("Gs", "G_ema", "G"):
        _fail(f"which must be 'Gs' (alias 'G_ema', the averaged generator) or 'G' (the "
              f"training one); got {which!r}.")
    which = "Gs" if which == "G_ema" else which
    sampled = _network(snapshot, which, {"G_style"})
    if sampled is None:
        _fail(f"the snapshot has no {which!r} network; it holds "
              f"{sorted(k for k in snapshot if k != 'format')}.")
    training = _network(snapshot, "G", {"G_style"}) or sampled
    d_record = _network(snapshot, "D", {"D_basic"})
    if d_record is None:
        _fail("the snapshot has no 'D' network (D_basic); a TF StyleGAN pickle is (G, D, Gs).")
    arch = generator_architecture(sampled, which)
    train_arch = generator_architecture(training, "G")
    if train_arch != arch:
        _fail(f"G and {which} were built with different architectures; G: {train_arch}, "
              f"{which}: {arch}.")
    d_arch = discriminator_architecture(d_record, "D")
    for key in ("resolution", "channels"):
        if d_arch[key] != arch[key]:
            _fail(f"D {key}={d_arch[key]} does not match the generator's {arch[key]}.")
    if (d_arch["channel_base"], d_arch["channel_max"]) != (arch["channel_base"],
                                                           arch["channel_max"]):
        _fail("D's fmap_base/fmap_max differ from G's; supported: the same for both "
              f"(G {arch['channel_base'] // 2}/{arch['channel_max']}, D "
              f"{d_arch['channel_base'] // 2}/{d_arch['channel_max']}).")
    gan = StyleGAN(**{**arch, **{k: d_arch[k] for k in ("mbstd_group_size",
                                                          "discriminator_options")}},
                   ema_decay=ema_decay, seed=seed,
                   ema_rampup=False)  # the file's Gs is already an average: no ramp-up
    if gan.generator_ema is None:  # one generator: the one sampled from
        load_generator(gan.generator, sampled, which)
    else:
        load_generator(gan.generator, training, "G" if training is not sampled else which)
        load_generator(gan.generator_ema, sampled, which)
    load_discriminator(gan.discriminator, d_record, "D")
    return gan


# ------------------------------------------------------- synthetic files
def synthetic_tf_snapshot(seed=0, resolution=1024, fmap_base=8192, fmap_max=512, latent=512,
                          g_extra=None, d_extra=None, mapping_fmaps=None, mapping_layers=2):
    """A `read_snapshot`-style TF StyleGAN (v1) dict with random values, for tests and benchmarks.

    Variable names, shapes and NCHW layouts are those NVlabs/stylegan's
    `G_style` / `G_mapping` / `G_synthesis` / `D_basic` create (the official
    FFHQ network: the defaults with 8 mapping layers). Returns `(snapshot,
    g_kwargs, d_kwargs)`; `g_extra` / `d_extra` add static kwargs (e.g.
    `{"fused_scale": True}`; `use_noise` and `const_input_layer` change the
    variables), `mbstd_group_size` in `d_extra` the D's conv input.

    Example:

    >>> snap, g_kw, d_kw = synthetic_tf_snapshot(resolution=8, fmap_base=64, fmap_max=16,
    ...                                          latent=8)
    >>> snap["Gs"].components["synthesis"].tensors["8x8/Conv1/weight"].shape
    (3, 3, 16, 16)
    """
    rng = np.random.default_rng(seed)
    normal = (lambda *shape, scale=1.0: (rng.standard_normal(shape) * scale).astype(np.float32))
    g_kw = {"num_channels": 3, "resolution": resolution, "fmap_base": fmap_base,
            "fmap_max": fmap_max, "latent_size": latent, "dlatent_size": latent,
            "mapping_fmaps": mapping_fmaps or latent, "mapping_layers": mapping_layers,
            **(g_extra or {})}
    d_kw = {"num_channels": 3, "resolution": resolution, "fmap_base": fmap_base,
            "fmap_max": fmap_max, **(d_extra or {})}
    top = int(np.log2(resolution))
    def n(stage):  # the official nf()
        return min(int(fmap_base / 2.0**stage), fmap_max)

    num_layers = 2 * top - 2
    use_noise = g_kw.get("use_noise", True)
    num_styles = num_layers if g_kw.get("use_styles", True) else 1  # G_style's broadcast
    mapping = {}
    widths = [latent] + [g_kw["mapping_fmaps"]] * (mapping_layers - 1) + [latent]
    for i in range(mapping_layers):
        mapping[f"Dense{i}/weight"] = normal(widths[i], widths[i + 1], scale=100.0)  # 1/lrmul
        mapping[f"Dense{i}/bias"] = normal(widths[i + 1], scale=10.0)
    syn = {"lod": np.float32(0)}
    if use_noise:
        for i in range(num_layers):
            r = 2 ** (i // 2 + 2)
            syn[f"noise{i}"] = normal(1, 1, r, r)

    def layer(scope, c_in, c_out, first=False):
        if first and g_kw.get("const_input_layer", True):
            syn[f"{scope}/const"] = normal(1, c_out, 4, 4)
        elif first:
            syn[f"{scope}/weight"] = normal(latent, c_out * 16)
        else:
            syn[f"{scope}/weight"] = normal(3, 3, c_in, c_out)
        if use_noise:
            syn[f"{scope}/Noise/weight"] = normal(c_out, scale=0.3)
        syn[f"{scope}/bias"] = normal(c_out, scale=0.3)
        if g_kw.get("use_styles", True):
            syn[f"{scope}/StyleMod/weight"] = normal(latent, 2 * c_out)
            syn[f"{scope}/StyleMod/bias"] = normal(2 * c_out, scale=0.3)

    layer("4x4/" + ("Const" if g_kw.get("const_input_layer", True) else "Dense"), None, n(1),
          first=True)
    layer("4x4/Conv", n(1), n(1))
    syn["ToRGB_lod%d/weight" % (top - 2)] = normal(1, 1, n(1), 3)
    syn["ToRGB_lod%d/bias" % (top - 2)] = normal(3, scale=0.3)
    for res in range(3, top + 1):
        r = 2**res
        layer(f"{r}x{r}/Conv0_up", n(res - 2), n(res - 1))
        layer(f"{r}x{r}/Conv1", n(res - 1), n(res - 1))
        syn["ToRGB_lod%d/weight" % (top - res)] = normal(1, 1, n(res - 1), 3)
        syn["ToRGB_lod%d/bias" % (top - res)] = normal(3, scale=0.3)
    d = {"lod": np.float32(0)}
    for res in range(top, 2, -1):
        r = 2**res
        d[f"FromRGB_lod{top - res}/weight"] = normal(1, 1, 3, n(res - 1))
        d[f"FromRGB_lod{top - res}/bias"] = normal(n(res - 1), scale=0.3)
        d[f"{r}x{r}/Conv0/weight"] = normal(3, 3, n(res - 1), n(res - 1))
        d[f"{r}x{r}/Conv0/bias"] = normal(n(res - 1), scale=0.3)
        d[f"{r}x{r}/Conv1_down/weight"] = normal(3, 3, n(res - 1), n(res - 2))
        d[f"{r}x{r}/Conv1_down/bias"] = normal(n(res - 2), scale=0.3)
    d[f"FromRGB_lod{top - 2}/weight"] = normal(1, 1, 3, n(1))
    d[f"FromRGB_lod{top - 2}/bias"] = normal(n(1), scale=0.3)
    group = d_kw.get("mbstd_group_size", 4)
    d["4x4/Conv/weight"] = normal(3, 3, n(1) + (1 if group > 1 else 0), n(1))
    d["4x4/Conv/bias"] = normal(n(1), scale=0.3)
    d["4x4/Dense0/weight"] = normal(n(1) * 16, n(0))
    d["4x4/Dense0/bias"] = normal(n(0), scale=0.3)
    d["4x4/Dense1/weight"] = normal(n(0), 1)
    d["4x4/Dense1/bias"] = normal(1, scale=0.3)

    def generator(name):
        components = {
            "mapping": NetworkRecord("G_mapping", "G_mapping",
                                     {**g_kw, "dlatent_broadcast": num_styles}, mapping, {}, 3),
            "synthesis": NetworkRecord("G_synthesis", "G_synthesis", g_kw, syn, {}, 3)}
        return NetworkRecord(name, "G_style", g_kw, {"lod": np.float32(0),
                                                     "dlatent_avg": normal(latent)},
                             components, 3)

    return {"format": "tf", "G": generator("G"), "Gs": generator("Gs"),
            "D": NetworkRecord("D", "D_basic", d_kw, d, {}, 3)}, g_kw, d_kw
