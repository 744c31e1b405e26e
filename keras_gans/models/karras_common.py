"""Pieces shared by the Karras family (ProGAN, StyleGAN, StyleGAN2).

* `channels_at` / `resolution_log2`: the per-resolution width schedule
  `min(channel_base // resolution, channel_max)` of the official code.
* `build_mapping_network`: StyleGAN's mapping network f: Z -> W (Karras et al.
  2019, section 2 and appendix C): pixel-normalized z, 8 fully connected
  layers with leaky ReLU and a learning-rate multiplier of 0.01.
* `truncate`, `mix_by_crossover`, `mix_by_layers`: truncation in W toward the
  tracked average w (section 3.3 / appendix B of StyleGAN) and style mixing.
* `check_truncation_psi` / `assert_truncation_psi`: the ONE message used by
  the Python API (ValueError) and by exported graphs (InvalidArgumentError).
* `KarrasDownBlock`, `DiscriminatorEpilogue` (in `keras_gans.layers.karras`,
  re-exported): the ProGAN/StyleGAN discriminator blocks.
* `slerp`, `lerp`, `inject_noise`; PNG/GIF writers for interpolation strips
  and style-mixing figures are in `keras_gans.utils.images` (re-exported).

Two gain conventions exist for the sqrt(2) He gain of leaky ReLU layers
(see `keras_gans.layers.equalized`): ProGAN/StyleGAN put it on the weights
(`convention="progan"`), StyleGAN2 after the activation
(`convention="stylegan2"`). They compute the same functions up to a
re-parameterization of the biases; each family uses its paper's convention so
that official weights could be imported one-to-one.
"""

import math

import numpy as np
import keras
import tensorflow as tf

from keras_gans.layers.equalized import EqualizedDense
from keras_gans.layers.minibatch_std import (  # noqa: F401 (re-export)
    ConsecutiveMinibatchStd,
    MinibatchStandardDeviation,
)
from keras_gans.layers.noise import stateless_noise
from keras_gans.layers.normalization import PixelNormalization

#: The message of every truncation_psi check, Python and in-graph alike.
PSI_MESSAGE = "truncation_psi must lie in [0, 1] (NaN is rejected)"

NOISE_MODES = ("random", "const", "none")


# --------------------------------------------------------------------- sizes
def resolution_log2(resolution, minimum=4):
    """log2 of a power-of-two resolution >= `minimum`; a clear error otherwise.

    Example:

    >>> resolution_log2(32)
    5
    """
    resolution = int(resolution)
    log2 = int(round(math.log2(resolution))) if resolution > 0 else -1
    if resolution < minimum or 2**log2 != resolution:
        raise ValueError(
            f"resolution must be a power of two >= {minimum} (e.g. 8, 32, 1024); "
            f"got {resolution}."
        )
    return log2


def channels_at(resolution, channel_base, channel_max):
    """Feature maps at `resolution`: `min(channel_base // resolution, channel_max)`.

    ProGAN and StyleGAN use `channel_base=16384, channel_max=512` (512 maps up
    to 32x32, 16 at 1024x1024); StyleGAN2's config F doubles the base.

    Example:

    >>> [channels_at(r, 16384, 512) for r in (4, 64, 1024)]
    [512, 256, 16]
    """
    return max(1, min(int(channel_base) // int(resolution), int(channel_max)))


# ----------------------------------------------------------------- mapping
def build_mapping_network(latent_dim=512, w_dim=512, num_layers=8, lr_multiplier=0.01,
                          hidden_dim=None, normalize_latents=True, convention="progan",
                          name="mapping", label_dim=0, embed_dim=None):
    """StyleGAN's mapping network f: z -> w (Karras et al. 2019, figure 1b).

    `z` is pixel-normalized (unit mean square), then `num_layers` equalized
    fully connected layers with leaky ReLU(0.2); every layer's learning rate
    is multiplied by `lr_multiplier` (0.01: "reduce the learning rate by two
    orders of magnitude for the mapping network", appendix C). StyleGAN2 keeps
    the same network.

    Conditional networks (`label_dim > 0`, StyleGAN2-ADA's mapping): the
    model takes `[z, c]` with `c` a one-hot (or soft) label `[batch,
    label_dim]`; `c` is embedded by a linear equalized layer (`embed`,
    learning rate 1, `embed_dim` units, default `w_dim`), both parts are
    normalized to unit second moment separately and concatenated. With
    `latent_dim=0` the model takes `c` alone (the discriminator's label
    mapping, whose output is the projection vector `cmap`).

    Example:

    >>> f = build_mapping_network(latent_dim=8, w_dim=8, num_layers=2)
    >>> tuple(f.output.shape)
    (None, 8)
    >>> g = build_mapping_network(8, 8, 2, label_dim=3, convention="stylegan2")
    >>> [tuple(t.shape) for t in g.inputs]
    [(None, 8), (None, 3)]
    """
    hidden_dim = int(hidden_dim or w_dim)
    latent_dim, label_dim = int(latent_dim), int(label_dim)
    if latent_dim <= 0 and label_dim <= 0:
        raise ValueError(f"The mapping network needs latent_dim > 0 or label_dim > 0; got "
                         f"{latent_dim} and {label_dim}.")
    inputs, parts = [], []
    if latent_dim > 0:
        z = keras.Input((latent_dim,), name="z")
        inputs.append(z)
        parts.append(PixelNormalization(name="normalize_z")(z) if normalize_latents else z)
    if label_dim > 0:
        c = keras.Input((label_dim,), name="c")
        inputs.append(c)
        y = EqualizedDense(int(embed_dim or w_dim), gain=1.0, name="embed")(c)
        parts.append(PixelNormalization(name="normalize_c")(y) if normalize_latents else y)
    x = parts[0] if len(parts) == 1 else keras.layers.Concatenate(name="concat")(parts)
    for i in range(int(num_layers)):
        units = int(w_dim) if i == num_layers - 1 else hidden_dim
        x = equalized_dense(units, convention, lr_multiplier=lr_multiplier,
                            name=f"dense{i}")(x)
    return keras.Model(inputs[0] if len(inputs) == 1 else inputs, x, name=name)


# --------------------------------------------------------------- truncation
def check_truncation_psi(psi, n=None):
    """Validates `truncation_psi` in Python; returns it as float32 numpy (scalar or [n]).

    Raises:
        ValueError: naming the value, for psi outside [0, 1], NaN, or a
            per-sample array whose length is not `n`.
    """
    values = np.asarray(psi, dtype=np.float64)
    if values.ndim > 1 or (values.ndim == 1 and n is not None and len(values) not in (1, n)):
        raise ValueError(
            f"truncation_psi must be a number or one value per sample ({n}); got "
            f"shape {values.shape}."
        )
    bad = ~((values >= 0.0) & (values <= 1.0))
    if np.any(bad):
        shown = values if values.ndim == 0 else values[bad]
        raise ValueError(f"{PSI_MESSAGE}; got {shown.tolist()!r}.")
    return values.astype(np.float32)


def assert_truncation_psi(psi):
    """`psi` with an in-graph check (same message as `check_truncation_psi`).

    Works with autograph off: a `tf.debugging.Assert` under a control
    dependency, no Python branching on tensors. NaN fails the check because
    every comparison with NaN is false.
    """
    psi = tf.convert_to_tensor(psi, tf.float32)
    ok = tf.reduce_all(tf.logical_and(psi >= 0.0, psi <= 1.0))
    check = tf.debugging.Assert(ok, [PSI_MESSAGE + "; got", psi], summarize=16)
    with tf.control_dependencies([check]):
        return tf.identity(psi)


def truncate(ws, w_avg, psi, cutoff=None):
    """The truncation trick in W: `w_avg + psi * (w - w_avg)` for layers `< cutoff`.

    Karras et al. 2019, eq. 5 (section 3.3 and appendix B): layers from
    `cutoff` on keep their w (StyleGAN's figures use cutoff 8, i.e. only the
    coarse and middle styles are truncated; StyleGAN2 truncates all layers,
    `cutoff=None`). psi = 1 is the identity, psi = 0 gives `w_avg` everywhere.

    Args:
        ws: `[batch, num_ws, w_dim]`.
        w_avg: `[w_dim]`.
        psi: a scalar or one value per sample, `[batch]`.
        cutoff: number of leading layers truncated; None: all.
    """
    ws = tf.convert_to_tensor(ws)
    psi = tf.cast(psi, ws.dtype)
    if psi.shape.rank == 1:
        psi = psi[:, None, None]
    num_ws = ws.shape[1]
    if cutoff is not None and cutoff < num_ws:
        mask = tf.constant([i < cutoff for i in range(num_ws)])[None, :, None]
        psi = tf.where(mask, psi, tf.ones_like(psi))
    w_avg = tf.cast(w_avg, ws.dtype)
    return w_avg + psi * (ws - w_avg)


def mix_by_crossover(ws1, ws2, crossover):
    """Style mixing: layers `< crossover` from `ws1`, the rest from `ws2`.

    Karras et al. 2019, section 3.1 ("mixing regularization"). `crossover`
    is one int per sample, `[batch]`; 0 gives `ws2` everywhere, any value
    >= num_ws gives `ws1` everywhere.
    """
    num_ws = ws1.shape[1]
    layer = tf.range(num_ws, dtype=tf.int32)[None, :, None]
    crossover = tf.cast(crossover, tf.int32)[:, None, None]
    return tf.where(layer < crossover, ws1, ws2)


def mix_by_layers(ws_base, ws_other, layers, num_ws):
    """Layers listed in `layers` from `ws_other`, the others from `ws_base`."""
    mask = np.zeros([num_ws], bool)
    for i in layers:
        if not 0 <= int(i) < num_ws:
            raise ValueError(f"layers must lie in [0, {num_ws - 1}]; got {i}.")
        mask[int(i)] = True
    return tf.where(tf.constant(mask)[None, :, None], ws_other, ws_base)


# -------------------------------------------------------------- latent paths
def lerp(a, b, t):
    """Linear interpolation `a + t (b - a)`."""
    return a + (b - a) * t


def slerp(a, b, t):
    """Spherical interpolation between latents `a` and `b` (last axis).

    The direction moves along the great circle between `a/|a|` and `b/|b|`
    and the norm linearly, so `t = 0` and `t = 1` give `a` and `b` exactly.
    Gaussian z lies near a sphere, where linear interpolation would pass
    through low-norm, unlikely latents (StyleGAN's PPL in Z uses slerp).
    Works on numpy arrays and tensors (float32 / float64).
    """
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    t = np.asarray(t, np.float64)
    na = np.linalg.norm(a, axis=-1, keepdims=True)
    nb = np.linalg.norm(b, axis=-1, keepdims=True)
    ua, ub = a / np.maximum(na, 1e-12), b / np.maximum(nb, 1e-12)
    cos = np.clip(np.sum(ua * ub, axis=-1, keepdims=True), -1.0, 1.0)
    omega = np.arccos(cos)
    sin = np.sin(omega)
    small = sin < 1e-6
    safe = np.where(small, 1.0, sin)
    wa = np.where(small, 1.0 - t, np.sin((1.0 - t) * omega) / safe)
    wb = np.where(small, t, np.sin(t * omega) / safe)
    direction = wa * ua + wb * ub
    direction /= np.maximum(np.linalg.norm(direction, axis=-1, keepdims=True), 1e-12)
    return (direction * lerp(na, nb, t)).astype(np.float32)


# ------------------------------------------------------------ distribution
def lazy_regularizer(step, interval, fn, zeros):
    """`fn()` every `interval` steps (when `step % interval == 0`), else `zeros`.

    StyleGAN2's lazy regularization (Karras et al. 2020, section 3.1). In a
    graph this is a `tf.cond`, so off-steps skip the regularizer's forward
    and backward passes entirely; gradients flow through the taken branch.
    The cond holds no `merge_call` or optimizer update (assignments that
    need one happen after it), so it is safe under `tf.distribute`. With
    `interval == 1` no cond is built.

    `fn` and `zeros` may return nested structures of equal shapes.
    """
    interval = int(interval)
    if interval <= 1:
        return fn()
    due = tf.equal(tf.math.floormod(tf.cast(step, tf.int64), interval), 0)
    return tf.cond(due, fn, lambda: zeros)


# ---------------------------------------------------------------- noise
def check_noise_mode(noise_mode):
    if noise_mode not in NOISE_MODES:
        raise ValueError(f"noise_mode must be one of {NOISE_MODES}; got {noise_mode!r}.")
    return noise_mode


def inject_noise(layer, x, index, noise=None, noise_mode="const", noise_seed=None):
    """Applies the `NoiseInjection` layer `layer` (the `index`-th of its network).

    * `noise`: a list of explicit noise tensors, one per noise layer (used by
      training, which draws them from the GAN's per-replica stream);
    * `noise_mode="random"`: per-sample noise from the integer `noise_seed`
      (`[batch]`) with `stateless_noise`, offset by the layer index, so one
      seed per sample drives independent noise in every layer;
    * `"const"`: the layer's stored noise image; `"none"`: no noise.

    Never graph RNG state, so an exported endpoint stays a pure function.
    """
    if noise is not None:
        return layer(x, noise=noise[index])
    if noise_mode == "none":
        return x
    if noise_mode == "random":
        if noise_seed is None:
            raise ValueError(
                "noise_mode='random' needs noise_seed=<one integer per sample>; "
                "this model never draws noise from hidden random state."
            )
        shape = tf.shape(x)
        return layer(x, noise=stateless_noise(noise_seed, shape[1], shape[2], 1,
                                              seed_offset=index, dtype=x.dtype))
    return layer(x)  # the layer's "const" mode


# The discriminator blocks and equalized-layer factories live in
# keras_gans.layers.karras; re-exported here for existing imports.
from keras_gans.layers.karras import (  # noqa: E402,F401
    DiscriminatorEpilogue,
    KarrasDownBlock,
    equalized_conv,
    equalized_dense,
    gains,
)


# Image strips and style-mixing figures live in keras_gans.utils.images;
# re-exported here for existing imports.
from keras_gans.utils.images import (  # noqa: E402,F401
    save_strip,
    save_style_mixing_figure,
    style_mixing_figure,
)
