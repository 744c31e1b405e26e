"""Exact converters of NVIDIA's StyleGAN2 networks into `keras_gans.models.StyleGAN2`.

Two sources, both read by `keras_gans.zoo.nvlabs.reader.read_snapshot` (which
executes nothing stored in the files):

* stylegan2-ada-pytorch (and stylegan3's StyleGAN2 networks) snapshots
  `{G, D, G_ema, ...}`: `training.networks.Generator` / `Discriminator`.
* TF StyleGAN2 and StyleGAN2-ADA TF `(G, D, Gs)` tuples: `G_main` with
  `G_mapping` + `G_synthesis_stylegan2`, and `D_stylegan2`.

The architecture comes from the file's constructor kwargs (PyTorch
`init_kwargs`, TF `static_kwargs` over the official defaults), never from its
name; a kwarg the Keras model cannot reproduce is refused with one line
listing what is supported. Every stored tensor is assigned to exactly one
Keras variable (a tensor left over, or a variable left unset, is an error),
in the layout the official code uses:

* weights are stored without their equalized-learning-rate gains in both
  places (Keras applies `gain / sqrt(fan_in) * lr` at run time like the
  official layers), so kernels are only transposed: PyTorch conv weights
  `[out, in, k, k]` -> `[k, k, in, out]`, dense `[out, in]` -> `[in, out]`;
* PyTorch's upsampling convs are true convolutions (`flip_weight=False` in
  `conv2d_resample`), Keras' (like TF's) correlations: their kernels are
  flipped spatially;
* TF's style biases are stored as `b` and applied as `b + 1` (PyTorch and
  Keras store the 1);
* the 4x4 dense layer of D reads an NCHW-flattened map: its rows are
  permuted to NHWC order;
* D's minibatch stddev uses the official strided groups (`[G, N / G]`
  reshape: samples {0, 2, 4, 6} and {1, 3, 5, 7} for 8 images, group 4) and
  the file's group size and channel count.

Float16 layers of the official networks (`num_fp16_res`) run in float32
here, as NVIDIA's reference outputs do with `force_fp32=True`.

Example:

>>> from keras_gans.zoo.nvlabs.stylegan2 import convert_stylegan2  # doctest: +SKIP
>>> gan = convert_stylegan2("stylegan2-ffhq-config-f.pkl")  # doctest: +SKIP
>>> gan.generate(gan.latents(4, seed=0), truncation_psi=0.7).shape  # doctest: +SKIP
(4, 1024, 1024, 3)
"""

import ast
import dataclasses
import math
import operator
import os

import numpy as np

from keras_gans.zoo.nvlabs.reader import NVLabsFormatError, read_snapshot

__all__ = ["ConversionError", "convert_stylegan2", "stylegan2_config",
           "synthetic_pytorch_snapshot"]

DEFAULT_FILTER = [1, 3, 3, 1]


class ConversionError(NVLabsFormatError):
    """A network the StyleGAN2 converter cannot reproduce exactly (unsupported kwargs, layout)."""


# ------------------------------------------------------------------ kwargs
def _check_keys(kwargs, supported, where):
    unknown = sorted(set(kwargs) - set(supported))
    if unknown:
        raise ConversionError(
            f"{where}: unsupported kwargs {unknown}; the StyleGAN2 converter supports "
            f"{sorted(supported)}.")


def _require(condition, where, key, value, supported):
    if not condition:
        raise ConversionError(f"{where}: {key}={value!r} cannot be reproduced; supported: "
                              f"{supported}.")


def _filter_taps(value, where):
    taps = DEFAULT_FILTER if value is None else [float(v) for v in np.asarray(value).reshape(-1)]
    _require(len(taps) >= 1 and sum(taps) != 0, where, "resample_filter", value,
             "1D FIR taps with a non-zero sum")
    return [float(v) for v in taps]


def _channel_base_from_tf(kwargs, where):
    """TF's `nf(stage) = clip(fmap_base / 2**stage, fmap_min, fmap_max)` as channel_base."""
    _require(float(kwargs.get("fmap_decay", 1.0)) == 1.0, where, "fmap_decay",
             kwargs.get("fmap_decay"), "1.0")
    _require(int(kwargs.get("fmap_min", 1)) == 1, where, "fmap_min", kwargs.get("fmap_min"), "1")
    # Resolution r is stage log2(r) - 1: fmap_base / 2**(log2 r - 1) = 2 fmap_base / r.
    return 2 * int(kwargs.get("fmap_base", 16 << 10)), int(kwargs.get("fmap_max", 512))


PT_G_KEYS = ("z_dim", "c_dim", "w_dim", "img_resolution", "img_channels", "mapping_kwargs",
             "synthesis_kwargs")
PT_MAPPING_KEYS = ("num_layers", "embed_features", "layer_features", "activation",
                   "lr_multiplier", "w_avg_beta")
#: Performance-only switches, without effect on the function computed in float32.
PT_PERFORMANCE_KEYS = ("num_fp16_res", "fp16_channels_last", "fused_modconv_default")
PT_SYNTHESIS_KEYS = ("channel_base", "channel_max", "conv_clamp", "architecture",
                     "resample_filter", "use_noise", "activation", "kernel_size",
                     "channels_last") + PT_PERFORMANCE_KEYS
PT_D_KEYS = ("c_dim", "img_resolution", "img_channels", "architecture", "channel_base",
             "channel_max", "num_fp16_res", "conv_clamp", "cmap_dim", "block_kwargs",
             "mapping_kwargs", "epilogue_kwargs")
PT_D_BLOCK_KEYS = ("activation", "resample_filter", "fp16_channels_last", "freeze_layers")
PT_D_EPILOGUE_KEYS = ("mbstd_group_size", "mbstd_num_channels", "activation")

TF_G_KEYS = ("num_channels", "resolution", "label_size", "fmap_base", "fmap_decay", "fmap_min",
             "fmap_max", "latent_size", "dlatent_size", "mapping_fmaps", "mapping_layers",
             "mapping_lrmul", "mapping_nonlinearity", "normalize_latents", "dlatent_broadcast",
             "architecture", "nonlinearity", "resample_kernel", "fused_modconv",
             "randomize_noise", "dtype", "truncation_psi", "truncation_cutoff",
             "truncation_psi_val", "truncation_cutoff_val", "dlatent_avg_beta",
             "style_mixing_prob", "is_training", "is_validation", "is_template_graph",
             "return_dlatents", "mapping_func", "synthesis_func", "num_fp16_res", "conv_clamp",
             "components")
TF_D_KEYS = ("num_channels", "resolution", "label_size", "fmap_base", "fmap_decay", "fmap_min",
             "fmap_max", "architecture", "nonlinearity", "mbstd_group_size",
             "mbstd_num_features", "dtype", "resample_kernel", "is_template_graph",
             "num_fp16_res", "conv_clamp")


def _pytorch_config(g, d, where_g, where_d):
    """StyleGAN2 constructor arguments from PyTorch G and D init kwargs."""
    kw = dict(g.kwargs)
    # stylegan3's networks_stylegan2.Generator takes the synthesis kwargs
    # flat (`**synthesis_kwargs`), stylegan2-ada-pytorch's as a dict.
    flat = {k: kw.pop(k) for k in list(kw) if k in PT_SYNTHESIS_KEYS}
    _check_keys(kw, PT_G_KEYS, where_g)
    mapping = dict(kw.get("mapping_kwargs") or {})
    synthesis = {**dict(kw.get("synthesis_kwargs") or {}), **flat}
    _check_keys(mapping, PT_MAPPING_KEYS, where_g + ".mapping_kwargs")
    _check_keys(synthesis, PT_SYNTHESIS_KEYS, where_g + ".synthesis_kwargs")
    z_dim, w_dim = int(kw["z_dim"]), int(kw["w_dim"])
    _require(z_dim > 0, where_g, "z_dim", z_dim, "z_dim > 0")
    c_dim = int(kw.get("c_dim", 0))
    _require(mapping.get("activation", "lrelu") == "lrelu", where_g, "mapping activation",
             mapping.get("activation"), "'lrelu'")
    _require(mapping.get("embed_features") in (None, w_dim), where_g, "embed_features",
             mapping.get("embed_features"), f"None or w_dim ({w_dim})")
    _require(mapping.get("w_avg_beta", 0.995) is not None, where_g, "w_avg_beta", None,
             "a number")
    _require(synthesis.get("activation", "lrelu") == "lrelu", where_g, "synthesis activation",
             synthesis.get("activation"), "'lrelu'")
    _require(int(synthesis.get("kernel_size", 3)) == 3, where_g, "kernel_size",
             synthesis.get("kernel_size"), "3")
    _require(synthesis.get("use_noise", True) is True, where_g, "use_noise",
             synthesis.get("use_noise"), "True (sample with noise_mode='none' instead)")
    architecture = synthesis.get("architecture", "skip")
    _require(architecture in ("skip", "orig", "resnet"), where_g, "architecture", architecture,
             "'skip', 'orig', 'resnet'")
    g_filter = _filter_taps(synthesis.get("resample_filter"), where_g)

    dkw = dict(d.kwargs)
    _check_keys(dkw, PT_D_KEYS, where_d)
    block = dict(dkw.get("block_kwargs") or {})
    epilogue = dict(dkw.get("epilogue_kwargs") or {})
    d_mapping = dict(dkw.get("mapping_kwargs") or {})
    _check_keys(block, PT_D_BLOCK_KEYS, where_d + ".block_kwargs")
    _check_keys(epilogue, PT_D_EPILOGUE_KEYS, where_d + ".epilogue_kwargs")
    _check_keys(d_mapping, PT_MAPPING_KEYS, where_d + ".mapping_kwargs")
    for key, value in (("img_resolution", kw["img_resolution"]),
                       ("img_channels", kw["img_channels"]), ("c_dim", c_dim)):
        _require(int(dkw.get(key, 0 if key == "c_dim" else -1)) == int(value), where_d, key,
                 dkw.get(key), f"G's value {value}")
    for kwargs in (block, epilogue, d_mapping):
        _require(kwargs.get("activation", "lrelu") == "lrelu", where_d, "activation",
                 kwargs.get("activation"), "'lrelu'")
    group = epilogue.get("mbstd_group_size", 4)
    _require(group is not None and int(group) >= 1, where_d, "mbstd_group_size", group,
             "an integer >= 1")
    d_architecture = dkw.get("architecture", "resnet")
    _require(d_architecture in ("resnet", "orig", "skip"), where_d, "architecture",
             d_architecture, "'resnet', 'orig', 'skip'")
    d_filter = _filter_taps(block.get("resample_filter"), where_d)
    channel_base = int(synthesis.get("channel_base", 32768))
    channel_max = int(synthesis.get("channel_max", 512))
    d_base, d_max = int(dkw.get("channel_base", 32768)), int(dkw.get("channel_max", 512))
    _require((d_base, d_max) == (channel_base, channel_max), where_d, "channel_base/max",
             (d_base, d_max), f"G's ({channel_base}, {channel_max})")
    if c_dim:
        cmap = dkw.get("cmap_dim")
        width4 = min(channel_base // 4, channel_max)
        _require(cmap in (None, width4), where_d, "cmap_dim", cmap, f"None or {width4}")
        _require(d_mapping.get("embed_features") in (None, width4) and
                 d_mapping.get("layer_features") in (None, width4), where_d,
                 "mapping features", d_mapping, f"None or {width4}")
    clamp = synthesis.get("conv_clamp")
    d_clamp = dkw.get("conv_clamp")
    d_options = {"architecture": d_architecture, "mbstd_grouping": "strided",
                 "mbstd_num_features": int(epilogue.get("mbstd_num_channels", 1)),
                 "resample_kernel": d_filter}
    if d_clamp is not None:
        d_options["conv_clamp"] = float(d_clamp)
    if c_dim:
        d_options["mapping_layers"] = int(d_mapping.get("num_layers", 8))
        _require(float(d_mapping.get("lr_multiplier", 0.01)) == 0.01, where_d,
                 "mapping lr_multiplier", d_mapping.get("lr_multiplier"), "0.01")
    g_options = {"architecture": architecture, "resample_kernel": g_filter}
    if clamp is not None:
        g_options["conv_clamp"] = float(clamp)
    return {
        "resolution": int(kw["img_resolution"]), "channels": int(kw["img_channels"]),
        "latent_dim": z_dim, "w_dim": w_dim,
        "mapping_layers": int(mapping.get("num_layers", 8)),
        "mapping_lr_multiplier": float(mapping.get("lr_multiplier", 0.01)),
        "mapping_hidden_dim": (None if mapping.get("layer_features") is None
                               else int(mapping["layer_features"])),
        "channel_base": channel_base, "channel_max": channel_max,
        "truncation_cutoff": None, "truncation_psi": 1.0,
        "w_avg_beta": float(mapping.get("w_avg_beta", 0.995)),
        "mbstd_group_size": int(group),
        "num_classes": c_dim or None,
        "synthesis_options": g_options, "discriminator_options": d_options,
    }


_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Pow: operator.pow,
           ast.LShift: operator.lshift}


def _constant(node):
    """The value of a constant expression node (numbers, strings, lists, `16 << 10`, -1).

    Evaluated by walking the tree, never compiled: the source is untrusted text.
    """
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_constant(e) for e in node.elts]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_constant(node.operand)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _constant(node.left), _constant(node.right)
        if not all(isinstance(v, (int, float)) for v in (left, right)) or \
                (isinstance(node.op, (ast.Pow, ast.LShift)) and abs(right) > 64):
            raise ValueError("not a small numeric constant")
        return _BINARY[type(node.op)](left, right)
    raise ValueError("not a constant")


def source_defaults(record):
    """Keyword defaults of the build function `record.class_name` in the embedded source.

    TF networks are called with `static_kwargs` over their build function's
    defaults, and those defaults live only in the source stored in the file
    (`build_module_src`). The source is parsed (`ast.parse`), never run;
    defaults that are not plain constants are left out. `{}` when the file
    has no source or no such function.
    """
    if not record.source:
        return {}
    try:
        tree = ast.parse(record.source)
    except (SyntaxError, ValueError):
        return {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == record.class_name:
            args = node.args.args + node.args.kwonlyargs
            defaults = [None] * (len(node.args.args) - len(node.args.defaults)) + \
                list(node.args.defaults) + list(node.args.kw_defaults)
            out = {}
            for arg, default in zip(args, defaults):
                if default is None:
                    continue
                try:
                    out[arg.arg] = _constant(default)
                except (ValueError, TypeError, ArithmeticError):
                    pass
            return out
    return {}


def _tf_kwargs(records):
    """Effective kwargs of TF networks: their source defaults under their static kwargs.

    Only the static kwargs are checked against the supported keys (a default
    the converter does not know of is the official behaviour of that version).
    """
    defaults, static = {}, {}
    for record in records:
        defaults.update(source_defaults(record))
        static.update(record.kwargs)
    return {**{k: v for k, v in defaults.items() if k not in static}, **static}, static


def _tf_config(gs, d, where_g, where_d):
    """StyleGAN2 constructor arguments from TF G_main / D_stylegan2 static kwargs."""
    records = (gs, gs.components.get("mapping"), gs.components.get("synthesis"))
    if any(record is None for record in records):
        raise ConversionError(f"{where_g}: a TF StyleGAN2 G needs 'mapping' and 'synthesis' "
                              f"components; got {sorted(gs.components)}.")
    kw, static = _tf_kwargs(records)
    _check_keys(static, TF_G_KEYS, where_g)
    mapping_cls = gs.components["mapping"].class_name
    synthesis_cls = gs.components["synthesis"].class_name
    _require(mapping_cls == "G_mapping", where_g, "mapping", mapping_cls, "'G_mapping'")
    _require(synthesis_cls == "G_synthesis_stylegan2", where_g, "synthesis", synthesis_cls,
             "'G_synthesis_stylegan2'")
    label_size = int(kw.get("label_size", 0))
    _require(label_size == 0, where_g, "label_size", label_size,
             "0 (conditional TF files: convert the stylegan2-ada-pytorch release instead)")
    _require(kw.get("normalize_latents", True) is True, where_g, "normalize_latents",
             kw.get("normalize_latents"), "True")
    for key in ("mapping_nonlinearity", "nonlinearity"):
        _require(kw.get(key, "lrelu") == "lrelu", where_g, key, kw.get(key), "'lrelu'")
    _require(kw.get("dtype", "float32") == "float32", where_g, "dtype", kw.get("dtype"),
             "'float32'")
    architecture = kw.get("architecture", "skip")
    _require(architecture in ("skip", "orig", "resnet"), where_g, "architecture", architecture,
             "'skip', 'orig', 'resnet'")
    channel_base, channel_max = _channel_base_from_tf(kw, where_g)
    latent, dlatent = int(kw.get("latent_size", 512)), int(kw.get("dlatent_size", 512))
    psi = kw.get("truncation_psi", 0.5)
    cutoff = kw.get("truncation_cutoff", None)

    dkw, d_static = _tf_kwargs([d])
    _check_keys(d_static, TF_D_KEYS, where_d)
    _require(d.class_name == "D_stylegan2", where_d, "build_func_name", d.class_name,
             "'D_stylegan2'")
    for key, value in (("resolution", kw.get("resolution", 1024)),
                       ("num_channels", kw.get("num_channels", 3)),
                       ("label_size", 0)):
        _require(int(dkw.get(key, {"resolution": 1024, "num_channels": 3,
                                    "label_size": 0}[key])) == int(value),
                 where_d, key, dkw.get(key), f"G's value {value}")
    _require(dkw.get("nonlinearity", "lrelu") == "lrelu", where_d, "nonlinearity",
             dkw.get("nonlinearity"), "'lrelu'")
    d_base, d_max = _channel_base_from_tf(dkw, where_d)
    _require((d_base, d_max) == (channel_base, channel_max), where_d, "fmap_base/fmap_max",
             (dkw.get("fmap_base"), dkw.get("fmap_max")), "G's values")
    # D's hidden dense layer has nf(0) = min(fmap_base, fmap_max) units, the
    # Keras epilogue the 4x4 width nf(1): equal unless fmap_base < 2 fmap_max.
    _require(min(channel_base // 2, channel_max) == min(channel_base // 4, channel_max), where_d,
             "fmap_base", dkw.get("fmap_base"), "fmap_base >= 2 * fmap_max")
    group = int(dkw.get("mbstd_group_size", 4))
    num_features = int(dkw.get("mbstd_num_features", 1))
    d_architecture = dkw.get("architecture", "resnet")
    _require(d_architecture in ("resnet", "orig", "skip"), where_d, "architecture",
             d_architecture, "'resnet', 'orig', 'skip'")
    g_options = {"architecture": architecture,
                 "resample_kernel": _filter_taps(kw.get("resample_kernel"), where_g)}
    if kw.get("conv_clamp") is not None:
        g_options["conv_clamp"] = float(kw["conv_clamp"])
    d_options = {"architecture": d_architecture, "mbstd_grouping": "strided",
                 # TF disables the layer for group sizes <= 1.
                 "mbstd_num_features": num_features if group > 1 else 0,
                 "resample_kernel": _filter_taps(dkw.get("resample_kernel"), where_d)}
    if dkw.get("conv_clamp") is not None:
        d_options["conv_clamp"] = float(dkw["conv_clamp"])
    return {
        "resolution": int(kw.get("resolution", 1024)), "channels": int(kw.get("num_channels", 3)),
        "latent_dim": latent, "w_dim": dlatent,
        "mapping_layers": int(kw.get("mapping_layers", 8)),
        "mapping_lr_multiplier": float(kw.get("mapping_lrmul", 0.01)),
        "mapping_hidden_dim": int(kw.get("mapping_fmaps", 512)),
        "channel_base": channel_base, "channel_max": channel_max,
        "truncation_cutoff": None if cutoff is None else int(cutoff),
        "truncation_psi": 1.0 if psi is None else float(psi),
        "w_avg_beta": float(kw.get("dlatent_avg_beta", 0.995)),
        "style_mixing_prob": float(kw.get("style_mixing_prob", 0.9) or 0.0),
        "mbstd_group_size": max(group, 1),
        "synthesis_options": g_options, "discriminator_options": d_options,
    }


# ----------------------------------------------------------- assignment
class _Assigner:
    """Assigns record tensors to Keras variables, each tensor exactly once."""

    def __init__(self, record, where, assigned=None):
        self.tensors = dict(record.tensors)
        self.where = where
        self.used = set()
        # Shared by the assigners of one Keras network: ids of set variables.
        self.assigned = set() if assigned is None else assigned

    def take(self, name):
        if name not in self.tensors:
            raise ConversionError(f"{self.where}: tensor {name!r} is missing (the file does not "
                                  "match its own kwargs).")
        self.used.add(name)
        return np.asarray(self.tensors[name])

    def has(self, name):
        return name in self.tensors

    def put(self, variable, value, name):
        value = np.asarray(value, np.float32)
        if tuple(variable.shape) != value.shape:
            raise ConversionError(f"{self.where}: {name} has shape {value.shape}, the Keras "
                                  f"variable {variable.path} {tuple(variable.shape)}.")
        variable.assign(value)
        self.assigned.add(id(variable))

    def skip(self, name, expected=None):
        """Marks a tensor that has no variable (e.g. a FIR filter buffer), after checking it."""
        value = self.take(name)
        if expected is not None and (value.shape != expected.shape or
                                     not np.allclose(value, expected, rtol=1e-6, atol=1e-7)):
            raise ConversionError(f"{self.where}: {name} differs from the filter the kwargs "
                                  "name; files with modified filter buffers are not supported.")

    def finish(self, ignore=()):
        left = sorted(n for n in self.tensors if n not in self.used and n not in ignore)
        if left:
            shown = left[:8] + (["..."] if len(left) > 8 else [])
            raise ConversionError(f"{self.where}: {len(left)} tensors have no place in the Keras "
                                  f"model: {shown}.")


def _check_all_assigned(network, assigned, where):
    """Every variable of a converted network holds a file tensor (none keeps its init)."""
    unset = [v.path for v in network.weights if id(v) not in assigned]
    if unset:
        shown = unset[:6] + (["..."] if len(unset) > 6 else [])
        raise ConversionError(f"{where}: {len(unset)} Keras variables got no tensor from the "
                              f"file: {shown}.")


def _fir_2d(taps):
    k = np.outer(taps, taps) if np.ndim(taps) == 1 else np.asarray(taps)
    return (k / k.sum()).astype(np.float32)


def _dense_pt(a, layer, prefix, transpose_in=None):
    """PyTorch FullyConnectedLayer `prefix.weight [out, in]`, `prefix.bias`."""
    weight = a.take(prefix + ".weight").T
    if transpose_in is not None:
        weight = transpose_in(weight)
    a.put(layer.kernel, weight, prefix + ".weight")
    if layer.bias is not None:
        a.put(layer.bias, a.take(prefix + ".bias"), prefix + ".bias")


def _conv_pt(a, layer, prefix, flip=False, filt=None):
    weight = a.take(prefix + ".weight").transpose(2, 3, 1, 0)
    if flip:
        weight = weight[::-1, ::-1]
    a.put(layer.kernel, weight, prefix + ".weight")
    if getattr(layer, "bias", None) is not None and a.has(prefix + ".bias"):
        a.put(layer.bias, a.take(prefix + ".bias"), prefix + ".bias")
    if a.has(prefix + ".resample_filter"):
        a.skip(prefix + ".resample_filter", filt)


def _nchw_rows_to_nhwc(channels, size):
    """Reorders the rows of a dense kernel that reads an NCHW-flattened map."""
    def permute(weight):
        out = weight.shape[1]
        return weight.reshape(channels, size, size, out).transpose(1, 2, 0, 3).reshape(-1, out)
    return permute


def _mapping_pt(a, mapping_model, prefix, num_layers, conditional):
    if conditional:
        _dense_pt(a, mapping_model.get_layer("embed"), prefix + "embed")
    for i in range(num_layers):
        _dense_pt(a, mapping_model.get_layer(f"dense{i}"), prefix + f"fc{i}")


def _generator_pt(gen, record, where):
    """Loads a PyTorch `Generator` record into a Keras `StyleGenerator`."""
    a = _Assigner(record, where)
    synthesis = gen.synthesis
    filt = _fir_2d(synthesis.resample_kernel)
    _mapping_pt(a, gen.mapping, "mapping.", gen.mapping_layers, gen.num_classes is not None)
    a.put(gen.w_avg, a.take("mapping.w_avg"), "mapping.w_avg")
    a.put(synthesis.const, a.take("synthesis.b4.const").transpose(1, 2, 0)[None],
          "synthesis.b4.const")
    for j, level in enumerate(synthesis.conv_levels):
        res = 4 * 2**level
        name = f"synthesis.b{res}." + ("conv1" if j == 0 or j % 2 == 0 else "conv0")
        # Upsampling convs are convolutions in PyTorch (flip_weight=False).
        _conv_pt(a, synthesis.convs[j], name, flip=(j % 2 == 1), filt=filt)
        _dense_pt(a, synthesis.conv_affines[j], name + ".affine")
        a.put(synthesis.noises[j].strength, a.take(name + ".noise_strength"),
              name + ".noise_strength")
        a.put(synthesis.noises[j].const_noise, a.take(name + ".noise_const")[None, :, :, None],
              name + ".noise_const")
        a.put(synthesis.biases[j].bias, a.take(name + ".bias"), name + ".bias")
    for i, k in enumerate(synthesis.rgb_levels):
        name = f"synthesis.b{4 * 2**k}.torgb"
        _conv_pt(a, synthesis.to_rgbs[i], name)
        _dense_pt(a, synthesis.rgb_affines[i], name + ".affine")
    for k, skip in enumerate(synthesis.skips, start=1):
        _conv_pt(a, skip, f"synthesis.b{4 * 2**k}.skip", flip=True, filt=filt)
    for level in range(synthesis.num_blocks + 1):
        a.skip(f"synthesis.b{4 * 2**level}.resample_filter", filt)
    a.finish()
    _check_all_assigned(gen, a.assigned, where)


def _discriminator_pt(disc, record, where, config):
    """Loads a PyTorch `Discriminator` record into the Keras D."""
    a = _Assigner(record, where)
    options = config["discriminator_options"]
    filt = _fir_2d(options["resample_kernel"])
    top = config["resolution"]
    architecture = options["architecture"]
    res = top
    while res > 4:
        block = f"b{res}."
        if res == top:
            _conv_pt(a, disc.get_layer("from_rgb"), block + "fromrgb", filt=filt)
        elif architecture == "skip":
            _conv_pt(a, disc.get_layer(f"block{res}_from_rgb"), block + "fromrgb", filt=filt)
        _conv_pt(a, disc.get_layer(f"block{res}_conv0"), block + "conv0", filt=filt)
        _conv_pt(a, disc.get_layer(f"block{res}_conv1"), block + "conv1", filt=filt)
        if architecture == "resnet":
            _conv_pt(a, disc.get_layer(f"block{res}_skip"), block + "skip", filt=filt)
        a.skip(block + "resample_filter", filt)
        res //= 2
    epilogue = disc.get_layer("epilogue")
    if architecture == "skip":
        _conv_pt(a, disc.get_layer("epilogue_from_rgb"), "b4.fromrgb", filt=filt)
    _conv_pt(a, epilogue.conv, "b4.conv", filt=filt)
    _dense_pt(a, epilogue.dense, "b4.fc", _nchw_rows_to_nhwc(epilogue.filters, 4))
    _dense_pt(a, epilogue.out, "b4.out")
    if config.get("num_classes"):
        _mapping_pt(a, disc.get_layer("mapping"), "mapping.", options["mapping_layers"], True)
    a.finish()
    _check_all_assigned(disc, a.assigned, where)


# --------------------------------------------------------------- TF side
def _dense_tf(a, layer, prefix, bias_offset=0.0, transpose_in=None, bias_name="bias",
              weight_name="weight"):
    weight = a.take(f"{prefix}/{weight_name}")
    if transpose_in is not None:
        weight = transpose_in(weight)
    a.put(layer.kernel, weight, f"{prefix}/{weight_name}")
    if layer.bias is not None:
        a.put(layer.bias, a.take(f"{prefix}/{bias_name}") + bias_offset, f"{prefix}/{bias_name}")


def _conv_tf(a, layer, prefix, use_bias=True):
    a.put(layer.kernel, a.take(prefix + "/weight"), prefix + "/weight")
    if use_bias:
        a.put(layer.bias, a.take(prefix + "/bias"), prefix + "/bias")


def _modulated_tf(a, conv, affine, prefix):
    a.put(conv.kernel, a.take(prefix + "/weight"), prefix + "/weight")
    # TF applies the style bias as mod_bias + 1; Keras stores the 1.
    _dense_tf(a, affine, prefix, bias_offset=1.0, weight_name="mod_weight", bias_name="mod_bias")


def _generator_tf(gen, record, where):
    """Loads a TF `G_main` record (and its components) into a `StyleGenerator`."""
    top = _Assigner(record, where)
    a_map = _Assigner(record.components["mapping"], where + ".mapping", top.assigned)
    a_syn = _Assigner(record.components["synthesis"], where + ".synthesis", top.assigned)
    top.put(gen.w_avg, top.take("dlatent_avg"), "dlatent_avg")
    top.finish(ignore=("lod",))
    for i in range(gen.mapping_layers):
        _dense_tf(a_map, gen.mapping.get_layer(f"dense{i}"), f"Dense{i}")
    a_map.finish()
    synthesis = gen.synthesis
    a = a_syn
    a.put(synthesis.const, a.take("4x4/Const/const").transpose(0, 2, 3, 1), "4x4/Const/const")
    for j, level in enumerate(synthesis.conv_levels):
        res = 4 * 2**level
        scope = "4x4/Conv" if j == 0 else f"{res}x{res}/" + ("Conv0_up" if j % 2 else "Conv1")
        _modulated_tf(a, synthesis.convs[j], synthesis.conv_affines[j], scope)
        a.put(synthesis.noises[j].strength, a.take(scope + "/noise_strength"),
              scope + "/noise_strength")
        a.put(synthesis.noises[j].const_noise, a.take(f"noise{j}").transpose(0, 2, 3, 1),
              f"noise{j}")
        a.put(synthesis.biases[j].bias, a.take(scope + "/bias"), scope + "/bias")
    for i, k in enumerate(synthesis.rgb_levels):
        res = 4 * 2**k
        scope = f"{res}x{res}/ToRGB"
        _modulated_tf(a, synthesis.to_rgbs[i], synthesis.rgb_affines[i], scope)
        a.put(synthesis.to_rgbs[i].bias, a.take(scope + "/bias"), scope + "/bias")
    for k, skip in enumerate(synthesis.skips, start=1):
        res = 4 * 2**k
        _conv_tf(a, skip, f"{res}x{res}/Skip", use_bias=False)
    a.finish()
    _check_all_assigned(gen, top.assigned, where)


def _discriminator_tf(disc, record, where, config):
    a = _Assigner(record, where)
    options = config["discriminator_options"]
    top = config["resolution"]
    architecture = options["architecture"]
    res = top
    while res > 4:
        scope = f"{res}x{res}/"
        if res == top:
            _conv_tf(a, disc.get_layer("from_rgb"), scope + "FromRGB")
        elif architecture == "skip":
            _conv_tf(a, disc.get_layer(f"block{res}_from_rgb"), scope + "FromRGB")
        _conv_tf(a, disc.get_layer(f"block{res}_conv0"), scope + "Conv0")
        _conv_tf(a, disc.get_layer(f"block{res}_conv1"), scope + "Conv1_down")
        if architecture == "resnet":
            _conv_tf(a, disc.get_layer(f"block{res}_skip"), scope + "Skip", use_bias=False)
        res //= 2
    epilogue = disc.get_layer("epilogue")
    if architecture == "skip":
        _conv_tf(a, disc.get_layer("epilogue_from_rgb"), "4x4/FromRGB")
    _conv_tf(a, epilogue.conv, "4x4/Conv")
    _dense_tf(a, epilogue.dense, "4x4/Dense0",
              transpose_in=_nchw_rows_to_nhwc(epilogue.filters, 4))
    _dense_tf(a, epilogue.out, "Output")
    a.finish()
    _check_all_assigned(disc, a.assigned, where)


# ------------------------------------------------------------------ public
def _snapshot(snapshot):
    if isinstance(snapshot, (str, os.PathLike)):
        return read_snapshot(os.fspath(snapshot))
    if not isinstance(snapshot, dict) or "format" not in snapshot:
        raise ConversionError("convert_stylegan2 takes a read_snapshot() dict or a path to a "
                              f".pkl file; got {type(snapshot).__name__}.")
    return snapshot


def _records(snap, which):
    """(config source G, the sampled G, the training G, D) records and their labels."""
    fmt = snap["format"]
    if fmt == "pytorch":
        names = {"G_ema": "G_ema", "Gs": "G_ema", None: "G_ema", "G": "G"}
    elif fmt == "tf":
        names = {"Gs": "Gs", "G_ema": "Gs", None: "Gs", "G": "G"}
    else:
        raise ConversionError(f"Unknown snapshot format {fmt!r}; expected 'pytorch' or 'tf'.")
    if which not in names:
        raise ConversionError(f"which must be 'G_ema' (the averaged generator; 'Gs' in TF "
                              f"files) or 'G' (the training generator); got {which!r}.")
    sampled = names[which]
    missing = [k for k in {sampled, "G", "D"} if snap.get(k) is None]
    if missing:
        raise ConversionError(f"The snapshot holds no {missing} network(s); a StyleGAN2 "
                              "conversion needs G, D and the averaged G.")
    return snap[sampled], snap["G"], snap["D"], sampled


def _check_pytorch_classes(g, d):
    if g.class_name not in ("Generator", "training.networks.Generator"):
        raise ConversionError(f"G: class {g.class_name!r} is not a StyleGAN2 Generator.")
    if "synthesis.b4.const" not in g.tensors:
        raise ConversionError(
            f"G: class {g.class_name!r} has no 'synthesis.b4.const': not a StyleGAN2 network "
            "(StyleGAN3 alias-free generators are not supported).")
    if d.class_name not in ("Discriminator", "training.networks.Discriminator"):
        raise ConversionError(f"D: class {d.class_name!r} is not a StyleGAN2 Discriminator.")


def stylegan2_config(snapshot, which="G_ema"):
    """The `StyleGAN2` constructor arguments a snapshot's kwargs define (no weights).

    Raises `ConversionError` (one line) for kwargs the Keras model cannot
    reproduce, listing the supported ones.
    """
    snap = _snapshot(snapshot)
    sampled, _, d, label = _records(snap, which)
    if snap["format"] == "pytorch":
        _check_pytorch_classes(sampled, d)
        config = _pytorch_config(sampled, d, label, "D")
    else:
        if sampled.class_name != "G_main":
            raise ConversionError(f"{label}: build function {sampled.class_name!r} is not "
                                  "StyleGAN2's G_main (StyleGAN v1 files: "
                                  "keras_gans.zoo.nvlabs.stylegan).")
        config = _tf_config(sampled, d, label, "D")
    return config


def convert_stylegan2(snapshot, which="G_ema", ema_decay=0.999):
    """Converts an official StyleGAN2 snapshot into a `keras_gans.models.StyleGAN2`.

    Args:
        snapshot: a `read_snapshot` dict or the path of a `.pkl` file
            (stylegan2-ada-pytorch / stylegan3 snapshot with StyleGAN2
            networks, or a TF StyleGAN2 / StyleGAN2-ADA `(G, D, Gs)` file).
        which: the generator that `generate`, `sample` and export use:
            "G_ema" (default; `Gs` in TF files) or "G" (the training one).
        ema_decay: decay of the Keras EMA when training continues (files do
            not store it); None keeps no EMA and loads only the `which`
            generator.

    Returns:
        A `StyleGAN2` whose `generator` is the file's training G, whose
        `generator_ema` is the chosen sampling generator, and whose
        `discriminator` is its D, uncompiled (call `compile()` to train).
        Truncation defaults (`truncation_psi`, `truncation_cutoff`) are the
        file's (TF G_main: psi 0.5, no cutoff; PyTorch: psi 1).

    Raises:
        ConversionError: a one-line message for kwargs or tensors the Keras
            model cannot reproduce.

    Example:

    >>> gan = convert_stylegan2("network-snapshot.pkl")  # doctest: +SKIP
    >>> images = gan.generate(gan.latents(8), truncation_psi=0.7, noise_mode="const")  # doctest: +SKIP
    >>> logits = gan.discriminate(images)  # doctest: +SKIP
    """
    from keras_gans.models.stylegan2 import StyleGAN2

    snap = _snapshot(snapshot)
    sampled, g, d, label = _records(snap, which)
    config = stylegan2_config(snap, which)
    if snap["format"] == "pytorch":
        # The training G must share the sampled one's architecture.
        _check_pytorch_classes(g, d)
        other = _pytorch_config(g, d, "G", "D")
        load_g, load_d = _generator_pt, _discriminator_pt
    else:
        other = _tf_config(g, d, "G", "D")
        load_g, load_d = _generator_tf, _discriminator_tf
    keys = [k for k in config if k not in ("truncation_psi",)]
    differ = [k for k in keys if config[k] != other[k]]
    if differ:
        raise ConversionError(f"G and {label} disagree on {differ}; cannot build one model.")
    # The file's G_ema is already an average: no EMA ramp-up over it.
    gan = StyleGAN2(ema_decay=ema_decay, ema_rampup=False, **config)
    load_d(gan.discriminator, d, "D", config)
    if gan.generator_ema is None:
        # No EMA kept: the one generator is the sampled one.
        load_g(gan.generator, sampled, label)
    else:
        load_g(gan.generator, g, "G")
        load_g(gan.generator_ema, sampled, label)
    return gan


def max_abs_difference(a, b):
    """max |a - b| as a Python float (NaN if the shapes differ)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float("nan") if a.shape != b.shape else float(np.max(np.abs(a - b)))



# ------------------------------------------------------- synthetic records
def synthetic_pytorch_snapshot(resolution=1024, z_dim=512, w_dim=512, mapping_layers=8,
                               channel_base=32768, channel_max=512, img_channels=3, c_dim=0,
                               conv_clamp=256, mbstd_group_size=4, seed=0, dtype=np.float32,
                               architecture="skip", d_architecture="resnet"):
    """A stylegan2-ada-pytorch snapshot dict (as `read_snapshot` returns) with random weights.

    Tensor names, shapes and kwargs follow `training.networks` (default:
    skip G, resnet D, config F at 1024 px, 30M + 29M parameters), for
    benchmarks and tests that need a full-size network without a download.
    The values are N(0, 1) (mapping biases N(0, 10)); `G`, `G_ema` share them.

    Example:

    >>> snap = synthetic_pytorch_snapshot(16, 8, 8, 2, 64, 16, 1)
    >>> snap["G_ema"].tensors["synthesis.b16.conv0.weight"].shape
    (4, 8, 3, 3)
    """
    from keras_gans.zoo.nvlabs.reader import NetworkRecord

    rng = np.random.default_rng(seed)
    log2 = int(round(math.log2(resolution)))
    ch = {2**k: min(channel_base // 2**k, channel_max) for k in range(2, log2 + 1)}
    filt = _fir_2d(DEFAULT_FILTER)
    g, d = {}, {}

    def rand(*shape, scale=1.0):
        return (rng.standard_normal(shape) * scale).astype(dtype)

    def fc(tensors, prefix, out, inp, scale=1.0):
        tensors[prefix + ".weight"] = rand(out, inp)
        tensors[prefix + ".bias"] = rand(out, scale=scale)

    def layer(prefix, cin, cout, res):
        g[prefix + ".weight"] = rand(cout, cin, 3, 3)
        g[prefix + ".noise_strength"] = rand(scale=0.1).reshape(())
        g[prefix + ".bias"] = rand(cout, scale=0.1)
        g[prefix + ".resample_filter"] = filt
        g[prefix + ".noise_const"] = rand(res, res)
        fc(g, prefix + ".affine", cin, w_dim)

    if c_dim:
        fc(g, "mapping.embed", w_dim, c_dim)
    for i in range(mapping_layers):
        fc(g, f"mapping.fc{i}", w_dim, (z_dim + (w_dim if c_dim else 0)) if i == 0 else w_dim,
           scale=10.0)
    g["mapping.w_avg"] = rand(w_dim)
    for res in sorted(ch):
        b = f"synthesis.b{res}"
        if res == 4:
            g[b + ".const"] = rand(ch[4], 4, 4)
        else:
            layer(b + ".conv0", ch[res // 2], ch[res], res)
        layer(b + ".conv1", ch[res], ch[res], res)
        if architecture == "skip" or res == resolution:
            g[b + ".torgb.weight"] = rand(img_channels, ch[res], 1, 1)
            g[b + ".torgb.bias"] = rand(img_channels, scale=0.1)
            fc(g, b + ".torgb.affine", ch[res], w_dim)
        if architecture == "resnet" and res > 4:
            g[b + ".skip.weight"] = rand(ch[res], ch[res // 2], 1, 1)
            g[b + ".skip.resample_filter"] = filt
        g[b + ".resample_filter"] = filt
    for res in sorted(ch, reverse=True)[:-1]:
        b = f"b{res}"
        d[b + ".resample_filter"] = filt
        if res == resolution or d_architecture == "skip":
            d[b + ".fromrgb.weight"] = rand(ch[res], img_channels, 1, 1)
            d[b + ".fromrgb.bias"] = rand(ch[res], scale=0.1)
            d[b + ".fromrgb.resample_filter"] = filt
        layers = [("conv0", ch[res], ch[res], 3), ("conv1", ch[res], ch[res // 2], 3)]
        if d_architecture == "resnet":
            layers.append(("skip", ch[res], ch[res // 2], 1))
        for name, cin, cout, k in layers:
            d[f"{b}.{name}.weight"] = rand(cout, cin, k, k)
            if name != "skip":
                d[f"{b}.{name}.bias"] = rand(cout, scale=0.1)
            d[f"{b}.{name}.resample_filter"] = filt
    if d_architecture == "skip":
        d["b4.fromrgb.weight"] = rand(ch[4], img_channels, 1, 1)
        d["b4.fromrgb.bias"] = rand(ch[4], scale=0.1)
        d["b4.fromrgb.resample_filter"] = filt
    d["b4.conv.weight"] = rand(ch[4], ch[4] + 1, 3, 3)
    d["b4.conv.bias"] = rand(ch[4], scale=0.1)
    d["b4.conv.resample_filter"] = filt
    fc(d, "b4.fc", ch[4], ch[4] * 16, scale=0.1)
    cmap = ch[4] if c_dim else 0
    fc(d, "b4.out", max(cmap, 1), ch[4], scale=0.1)
    if c_dim:
        fc(d, "mapping.embed", cmap, c_dim)
        for i in range(8):
            fc(d, f"mapping.fc{i}", cmap, cmap, scale=10.0)
    g_kwargs = {"z_dim": z_dim, "w_dim": w_dim, "mapping_kwargs": {"num_layers": mapping_layers},
                "synthesis_kwargs": {"channel_base": channel_base, "channel_max": channel_max,
                                     "num_fp16_res": 4, "conv_clamp": conv_clamp,
                                     "architecture": architecture},
                "c_dim": c_dim, "img_resolution": resolution, "img_channels": img_channels}
    d_kwargs = {"architecture": d_architecture, "block_kwargs": {}, "mapping_kwargs": {},
                "epilogue_kwargs": {"mbstd_group_size": mbstd_group_size},
                "channel_base": channel_base, "channel_max": channel_max, "num_fp16_res": 4,
                "conv_clamp": conv_clamp, "c_dim": c_dim, "img_resolution": resolution,
                "img_channels": img_channels}
    G = _nested_record(NetworkRecord, "G", "Generator", g_kwargs, g)
    return {"format": "pytorch", "G": G, "G_ema": dataclasses.replace(G, name="G_ema"),
            "D": _nested_record(NetworkRecord, "D", "Discriminator", d_kwargs, d),
            "augment_pipe": None, "training_set_kwargs": {}}


_BUFFERS = ("w_avg", "resample_filter", "noise_const")


def _nested_record(record_class, name, class_name, kwargs, flat):
    """A record with `modules` (direct sub-modules) as `read_snapshot` builds them, so
    that the pickle writer can write it."""
    children = {}
    for key, value in flat.items():
        if "." in key:
            head, rest = key.split(".", 1)
            children.setdefault(head, {})[rest] = value
    modules = {head: _nested_record(record_class, head, "Module", {}, sub)
               for head, sub in children.items()}
    buffers = tuple(k for k in flat if k.rsplit(".", 1)[-1] in _BUFFERS)
    return record_class(name, class_name, kwargs, dict(flat), modules=modules,
                        buffer_names=buffers)
