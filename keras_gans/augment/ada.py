"""Adaptive discriminator augmentation (Karras, Aittala, Hellsten, Laine,
Lehtinen & Aila 2020, "Training Generative Adversarial Networks with Limited
Data", NeurIPS 2020, arXiv:2006.06676).

The pipeline of the paper's Appendix B ("bgc": pixel blitting, general
geometric transforms, color transforms), each op applied to an example with
probability p (rotations with 1 - sqrt(1 - p), so that a full rotation is
applied with probability p), in the paper's order:

* blit: xflip, rot90 (k * 90 degrees), integer translation (U(-1/8, 1/8) of
  the size, rounded to pixels);
* geometric: isotropic scaling 2^N(0, 0.2), pre-rotation U(-pi, pi),
  anisotropic scaling 2^N(0, 0.2) (x by s, y by 1/s), post-rotation,
  fractional translation N(0, 1/8) of the size;
* color: brightness + N(0, 0.2), contrast x 2^N(0, 0.5), luma flip, hue
  rotation U(-pi, pi) around the luma axis, saturation x 2^N(0, 1) off the
  luma axis (a 4 x 4 matrix per example; on one channel, as the official
  code, the matrix is averaged over its colour rows, so hue and saturation
  are the identity and the luma flip negates the image);
* optional (off by default, as in the paper's "bgc"): additive Gaussian noise
  (sigma = |N(0, 0.1)|) and cutout (a square of half the size). Image-space
  filtering is not implemented.

The geometric ops compose into one inverse 3 x 3 matrix per example, which
maps each output pixel centre to an input position; the input is read there
bilinearly with reflect padding (the official code also uses reflect padding,
but resamples with a wavelet upsampling filter: a difference in aliasing
only). Blit ops map pixel centres to pixel centres, so they are exact.

Every op is a pure function of the images and the draws (`draw(rng, shape)`
returns them from the caller's per-replica stream): replica-exact, testable.
p = 0 returns the images unchanged (bit-exact), and everything is
differentiable with respect to the images.

The controller (`ada_adjust`) moves p by sign(r_t - target) *
images / (ada_kimg * 1000) after a D step, where r_t = E[sign(D(real))].
The paper's `ada_kimg` = 500 takes 500k images to move p from 0 to 1; a
short CPU run shows a few hundred thousand images at most, so it needs a far
smaller value (e.g. 10 to 50) for p to reach its level within the run.

Example:

>>> aug = AdaptiveAugment()
>>> x = tf.zeros([2, 8, 8, 1])
>>> draws = aug.draw(StatelessDraws([0, 1]), x.shape)
>>> aug.apply(x, 0.5, draws).shape
TensorShape([2, 8, 8, 1])
"""

import math

import keras
import numpy as np
import tensorflow as tf

# Draws per example: one gate uniform per op, parameter uniforms and normals.
GATES = ("xflip", "rotate90", "xint", "scale", "rotate_pre", "aniso", "rotate_post", "xfrac",
         "brightness", "contrast", "lumaflip", "hue", "saturation", "noise", "cutout")
# Uniforms: xflip, rot90, xint (2), rotate_pre, rotate_post, lumaflip, hue, cutout (2).
NUM_UNIFORMS = 10
# Normals: scale, aniso, xfrac (2), brightness, contrast, saturation, noise sigma.
NUM_NORMALS = 8

DEFAULT_OPS = {"xflip": 1.0, "rotate90": 1.0, "xint": 1.0, "scale": 1.0, "rotate": 1.0,
               "aniso": 1.0, "xfrac": 1.0, "brightness": 1.0, "contrast": 1.0,
               "lumaflip": 1.0, "hue": 1.0, "saturation": 1.0, "noise": 0.0, "cutout": 0.0}


class StatelessDraws:
    """A tiny `rng` for tests and examples: stateless draws from a fixed seed.

    The GAN passes itself instead (its `random_uniform` / `random_normal`
    are per-replica and checkpointed).
    """

    def __init__(self, seed):
        self.seed = tf.constant(seed, tf.int64)
        self.count = 0

    def _next(self):
        self.count += 1
        return tf.random.experimental.stateless_fold_in(self.seed, self.count)

    def random_uniform(self, shape, dtype="float32"):
        return tf.random.stateless_uniform(shape, self._next(), dtype=dtype)

    def random_normal(self, shape, dtype="float32"):
        return tf.random.stateless_normal(shape, self._next(), dtype=dtype)


def ada_adjust(p, sign_mean, num_images, target=0.6, ada_kimg=500.0):
    """One controller update: p + sign(r_t - target) * num_images / (ada_kimg * 1000), in [0, 1].

    Args:
        p: current augmentation probability.
        sign_mean: r_t, the mean of sign(D(real logits)) over the images seen
            since the last update.
        num_images: how many real images that mean covers.
        target: the r_t the controller steers to (0.6 in the paper).
        ada_kimg: thousands of images for p to move by 1.

    Example:

    >>> float(ada_adjust(0.0, 1.0, 1000, ada_kimg=10))  # D overfits: raise p
    0.1
    """
    p = tf.convert_to_tensor(p, tf.float32)
    step = tf.sign(tf.cast(sign_mean, tf.float32) - target) * \
        tf.cast(num_images, tf.float32) / (float(ada_kimg) * 1000.0)
    return tf.clip_by_value(p + step, 0.0, 1.0)


# ----------------------------------------------------------------- matrices
def _eye3(batch):
    return tf.eye(3, batch_shape=[batch])


def _mat3(rows):
    """[B] entries in a nested 3 x 3 list -> [B, 3, 3]."""
    return tf.stack([tf.stack(r, axis=-1) for r in rows], axis=-2)


def translate2d(tx, ty):
    one, zero = tf.ones_like(tx), tf.zeros_like(tx)
    return _mat3([[one, zero, tx], [zero, one, ty], [zero, zero, one]])


def scale2d(sx, sy):
    one, zero = tf.ones_like(sx), tf.zeros_like(sx)
    return _mat3([[sx, zero, zero], [zero, sy, zero], [zero, zero, one]])


def rotate2d(theta):
    c, s = tf.cos(theta), tf.sin(theta)
    one, zero = tf.ones_like(theta), tf.zeros_like(theta)
    return _mat3([[c, -s, zero], [s, c, zero], [zero, zero, one]])


def _gate(u, prob):
    """1.0 where the op is applied (u < prob), else 0.0."""
    return tf.cast(u < prob, tf.float32)


def reflect_index(i, n):
    """Reflect-pads integer indices into [0, n) (edge not repeated: -1 -> 1)."""
    if n == 1:
        return tf.zeros_like(i)
    period = 2 * (n - 1)
    i = tf.math.floormod(i, period)
    return tf.where(i > n - 1, period - i, i)


def sample_bilinear_reflect(images, y, x):
    """images[b] read at float positions (y, x) [B, H, W], bilinear, reflect padding."""
    height, width = int(images.shape[1]), int(images.shape[2])
    y0f, x0f = tf.floor(y), tf.floor(x)
    wy, wx = y - y0f, x - x0f
    y0, x0 = tf.cast(y0f, tf.int32), tf.cast(x0f, tf.int32)
    batch = tf.shape(images)[0]
    b = tf.broadcast_to(tf.reshape(tf.range(batch), [-1, 1, 1]), tf.shape(y0))

    def at(yy, xx):
        idx = tf.stack([b, reflect_index(yy, height), reflect_index(xx, width)], axis=-1)
        return tf.gather_nd(images, idx)

    wy = tf.cast(wy, images.dtype)[..., None]
    wx = tf.cast(wx, images.dtype)[..., None]
    top = at(y0, x0) * (1 - wx) + at(y0, x0 + 1) * wx
    bottom = at(y0 + 1, x0) * (1 - wx) + at(y0 + 1, x0 + 1) * wx
    return top * (1 - wy) + bottom * wy


def apply_geometric(images, g_inv):
    """Resamples images through the per-example inverse matrices g_inv [B, 3, 3].

    Coordinates are pixel units centred on the image centre, so output pixel
    centre q maps to input position g_inv @ q.
    """
    height, width = int(images.shape[1]), int(images.shape[2])
    ys = tf.range(height, dtype=tf.float32) - (height - 1) / 2.0
    xs = tf.range(width, dtype=tf.float32) - (width - 1) / 2.0
    gy, gx = tf.meshgrid(ys, xs, indexing="ij")
    grid = tf.stack([tf.reshape(gx, [-1]), tf.reshape(gy, [-1]),
                     tf.ones([height * width])], axis=0)  # [3, HW] in (x, y, 1)
    src = tf.einsum("bij,jn->bin", g_inv, grid)
    sx = tf.reshape(src[:, 0], [-1, height, width]) + (width - 1) / 2.0
    sy = tf.reshape(src[:, 1], [-1, height, width]) + (height - 1) / 2.0
    # Blit ops land on pixel centres up to float rounding: snap those so that
    # p = 0, flips and rot90 are bit-exact.
    sx = tf.where(tf.abs(sx - tf.round(sx)) < 1e-4, tf.round(sx), sx)
    sy = tf.where(tf.abs(sy - tf.round(sy)) < 1e-4, tf.round(sy), sy)
    return sample_bilinear_reflect(images, sy, sx)


def _luma_axis():
    return np.array([1.0, 1.0, 1.0, 0.0], np.float32) / math.sqrt(3.0)


def apply_color(images, c):
    """Applies the [B, 4, 4] colour matrices c (homogeneous RGB) to images."""
    channels = int(images.shape[-1])
    c = tf.cast(c, images.dtype)
    if channels == 3:
        return tf.einsum("bij,bhwj->bhwi", c[:, :3, :3], images) + c[:, None, None, :3, 3]
    if channels == 1:
        mean_rows = tf.reduce_mean(c[:, :3, :], axis=1)  # [B, 4]
        gain = tf.reduce_sum(mean_rows[:, :3], axis=1)
        return images * gain[:, None, None, None] + mean_rows[:, None, None, 3:4]
    raise ValueError(f"Colour ops need 1 or 3 channels; got {channels}. Set the colour "
                     "probabilities (brightness, contrast, ...) to 0 for other data.")


def _rotate3d(axis, theta):
    """[B, 4, 4] rotation by theta [B] around the unit `axis` (3,) (Rodrigues)."""
    a = tf.constant(axis[:3], tf.float32)
    k = tf.constant([[0.0, -axis[2], axis[1]], [axis[2], 0.0, -axis[0]],
                     [-axis[1], axis[0], 0.0]], tf.float32)
    outer = tf.tensordot(a, a, axes=0)
    c = tf.cos(theta)[:, None, None]
    s = tf.sin(theta)[:, None, None]
    r = c * tf.eye(3) + s * k + (1.0 - c) * outer
    batch = tf.shape(theta)[0]
    top = tf.concat([r, tf.zeros([batch, 3, 1])], axis=2)
    bottom = tf.tile(tf.constant([[[0.0, 0.0, 0.0, 1.0]]]), [batch, 1, 1])
    return tf.concat([top, bottom], axis=1)


def _diag4(s):
    one = tf.ones_like(s)
    return tf.linalg.diag(tf.stack([s, s, s, one], axis=-1))


def _translate4(t):
    batch = tf.shape(t)[0]
    eye = tf.eye(4, batch_shape=[batch])
    offset = tf.stack([t, t, t, tf.zeros_like(t)], axis=-1)[:, :, None]
    return tf.concat([eye[:, :, :3], offset + eye[:, :, 3:]], axis=2)


@keras.saving.register_keras_serializable(package="keras_gans")
class AdaptiveAugment:
    """ADA's augmentation pipeline with probability p (the controller lives in the GAN).

    Args:
        ops: {op: multiplier of p}; keys of `DEFAULT_OPS` (xflip, rotate90,
            xint, scale, rotate, aniso, xfrac, brightness, contrast,
            lumaflip, hue, saturation, noise, cutout). Default: the paper's
            "bgc" (all 1 except noise and cutout, 0).
        target: r_t target of the controller (0.6).
        ada_kimg: thousands of real images for p to move by 1 (paper: 500;
            use ~10-50 for short CPU runs).
        ada_interval: D steps between controller updates (paper: 4).
        initial_p: p at the start of training.

    Example:

    >>> aug = AdaptiveAugment(ops={"xflip": 1.0}, ada_kimg=20)
    >>> x = tf.reshape(tf.range(4.0), [1, 2, 2, 1])
    >>> draws = aug.draw(StatelessDraws([0, 0]), x.shape)
    >>> bool(tf.reduce_all(aug.apply(x, 0.0, draws) == x))  # p = 0: untouched
    True
    """

    def __init__(self, ops=None, target=0.6, ada_kimg=500.0, ada_interval=4, initial_p=0.0,
                 translate_std=0.125, scale_std=0.2, rotate_max=1.0, aniso_std=0.2,
                 xfrac_std=0.125, brightness_std=0.2, contrast_std=0.5, hue_max=1.0,
                 saturation_std=1.0, noise_std=0.1, cutout_size=0.5):
        ops = dict(DEFAULT_OPS if ops is None else ops)
        unknown = sorted(set(ops) - set(DEFAULT_OPS))
        if unknown:
            raise ValueError(f"Unknown ADA ops {unknown}; known: {sorted(DEFAULT_OPS)}.")
        self.ops = {k: float(ops.get(k, 0.0)) for k in DEFAULT_OPS}
        self.target = float(target)
        self.ada_kimg = float(ada_kimg)
        if self.ada_kimg <= 0:
            raise ValueError(f"ada_kimg must be positive; got {ada_kimg}.")
        self.ada_interval = int(ada_interval)
        if self.ada_interval < 1:
            raise ValueError(f"ada_interval must be >= 1; got {ada_interval}.")
        self.initial_p = float(initial_p)
        if not 0.0 <= self.initial_p <= 1.0:
            raise ValueError(f"initial_p must be in [0, 1]; got {initial_p}.")
        self.params = {"translate_std": float(translate_std), "scale_std": float(scale_std),
                       "rotate_max": float(rotate_max), "aniso_std": float(aniso_std),
                       "xfrac_std": float(xfrac_std), "brightness_std": float(brightness_std),
                       "contrast_std": float(contrast_std), "hue_max": float(hue_max),
                       "saturation_std": float(saturation_std), "noise_std": float(noise_std),
                       "cutout_size": float(cutout_size)}

    def draw(self, rng, shape):
        """The draws `apply` consumes, for images of `shape` [B, H, W, C]."""
        batch = shape[0]
        draws = {"gate": rng.random_uniform([batch, len(GATES)]),
                 "u": rng.random_uniform([batch, NUM_UNIFORMS]),
                 "n": rng.random_normal([batch, NUM_NORMALS])}
        if self.ops["noise"] > 0:
            draws["pixels"] = rng.random_normal(shape)
        return draws

    def geometric_matrix(self, p, draws, height, width):
        """The [B, 3, 3] inverse matrix of the blit and geometric ops."""
        g, u, n = draws["gate"], draws["u"], draws["n"]
        prm = self.params
        batch = tf.shape(g)[0]
        p = tf.cast(p, tf.float32)
        m = _eye3(batch)
        size = tf.constant([float(width), float(height)])
        if self.ops["xflip"] > 0:
            on = _gate(g[:, 0], p * self.ops["xflip"]) * tf.floor(u[:, 0] * 2)
            m = m @ scale2d(1.0 - 2.0 * on, tf.ones([batch]))
        if self.ops["rotate90"] > 0:
            on = _gate(g[:, 1], p * self.ops["rotate90"])
            k = tf.floor(u[:, 1] * 4) * on
            m = m @ rotate2d(-math.pi / 2 * k)
        if self.ops["xint"] > 0:
            on = _gate(g[:, 2], p * self.ops["xint"])
            t = (u[:, 2:4] * 2 - 1) * prm["translate_std"]
            t = tf.round(t * size) * on[:, None]
            m = m @ translate2d(-t[:, 0], -t[:, 1])
        if self.ops["scale"] > 0:
            on = _gate(g[:, 3], p * self.ops["scale"])
            s = tf.pow(2.0, n[:, 0] * prm["scale_std"] * on)
            m = m @ scale2d(1.0 / s, 1.0 / s)
        p_rot = 1.0 - tf.sqrt(tf.clip_by_value(1.0 - p * self.ops["rotate"], 0.0, 1.0))
        if self.ops["rotate"] > 0:
            on = _gate(g[:, 4], p_rot)
            theta = (u[:, 4] * 2 - 1) * math.pi * prm["rotate_max"] * on
            m = m @ rotate2d(-theta)
        if self.ops["aniso"] > 0:
            on = _gate(g[:, 5], p * self.ops["aniso"])
            s = tf.pow(2.0, n[:, 1] * prm["aniso_std"] * on)
            m = m @ scale2d(1.0 / s, s)
        if self.ops["rotate"] > 0:
            on = _gate(g[:, 6], p_rot)
            theta = (u[:, 5] * 2 - 1) * math.pi * prm["rotate_max"] * on
            m = m @ rotate2d(-theta)
        if self.ops["xfrac"] > 0:
            on = _gate(g[:, 7], p * self.ops["xfrac"])
            t = n[:, 2:4] * prm["xfrac_std"] * size * on[:, None]
            m = m @ translate2d(-t[:, 0], -t[:, 1])
        return m

    def color_matrix(self, p, draws):
        """The [B, 4, 4] colour matrix (homogeneous RGB)."""
        g, u, n = draws["gate"], draws["u"], draws["n"]
        prm = self.params
        batch = tf.shape(g)[0]
        p = tf.cast(p, tf.float32)
        c = tf.eye(4, batch_shape=[batch])
        v = _luma_axis()
        vv = tf.constant(np.outer(v, v), tf.float32)
        if self.ops["brightness"] > 0:
            on = _gate(g[:, 8], p * self.ops["brightness"])
            c = _translate4(n[:, 4] * prm["brightness_std"] * on) @ c
        if self.ops["contrast"] > 0:
            on = _gate(g[:, 9], p * self.ops["contrast"])
            c = _diag4(tf.pow(2.0, n[:, 5] * prm["contrast_std"] * on)) @ c
        if self.ops["lumaflip"] > 0:
            on = _gate(g[:, 10], p * self.ops["lumaflip"]) * tf.floor(u[:, 6] * 2)
            c = (tf.eye(4) - 2.0 * vv * on[:, None, None]) @ c
        if self.ops["hue"] > 0:
            on = _gate(g[:, 11], p * self.ops["hue"])
            theta = (u[:, 7] * 2 - 1) * math.pi * prm["hue_max"] * on
            c = _rotate3d(v[:3], theta) @ c
        if self.ops["saturation"] > 0:
            on = _gate(g[:, 12], p * self.ops["saturation"])
            s = tf.pow(2.0, n[:, 6] * prm["saturation_std"] * on)[:, None, None]
            c = (vv + (tf.eye(4) - vv) * s) @ c
        return c

    def apply(self, images, p, draws):
        """The augmented images for probability p and the draws (pure, differentiable)."""
        images = tf.convert_to_tensor(images)
        height, width = int(images.shape[1]), int(images.shape[2])
        geometric = [k for k in ("xflip", "rotate90", "xint", "scale", "rotate", "aniso", "xfrac")
                     if self.ops[k] > 0]
        if geometric:
            images = apply_geometric(images, self.geometric_matrix(p, draws, height, width))
        color = [k for k in ("brightness", "contrast", "lumaflip", "hue", "saturation")
                 if self.ops[k] > 0]
        if color:
            images = apply_color(images, self.color_matrix(p, draws))
        g, u, n = draws["gate"], draws["u"], draws["n"]
        p = tf.cast(p, tf.float32)
        if self.ops["noise"] > 0:
            on = _gate(g[:, 13], p * self.ops["noise"])
            sigma = tf.abs(n[:, 7]) * self.params["noise_std"] * on
            images = images + tf.cast(sigma[:, None, None, None], images.dtype) * \
                tf.cast(draws["pixels"], images.dtype)
        if self.ops["cutout"] > 0:
            from keras_gans.augment.diffaugment import cutout_mask

            on = _gate(g[:, 14], p * self.ops["cutout"])
            size_y = int(height * self.params["cutout_size"] + 0.5)
            size_x = int(width * self.params["cutout_size"] + 0.5)
            cy = tf.cast(tf.floor(u[:, 8] * height), tf.int32)
            cx = tf.cast(tf.floor(u[:, 9] * width), tf.int32)
            mask = cutout_mask(tf.shape(images)[0], height, width, cy, cx, size_y, size_x,
                               images.dtype)
            on = tf.cast(on, images.dtype)[:, None, None, None]
            images = images * (1 - on + on * mask)
        return images

    def __call__(self, images, p, rng):
        return self.apply(images, p, self.draw(rng, tf.shape(images)))

    # The model-facing protocol of `compile(augment=...)`.
    transforms_inputs = True
    metric_names = ()

    def augment_images(self, model, images):
        """T(images) with the model's current p and its replica-exact draws."""
        return self(images, model.ada_state.p, model)

    def get_config(self):
        return {"name": "ada", "ops": dict(self.ops), "target": self.target, "ada_kimg": self.ada_kimg,
                "ada_interval": self.ada_interval, "initial_p": self.initial_p, **self.params}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config.pop("name", None)
        return cls(**config)


@keras.saving.register_keras_serializable(package="keras_gans")
class AdaState(keras.layers.Layer):
    """The controller's saved state: p and the sign statistics since the last update.

    A layer so that `.keras` files and checkpoints carry it (a resumed run
    continues from its p). Files written without it load with p at its
    initial value.
    """

    def __init__(self, initial_p=0.0, **kwargs):
        super().__init__(**kwargs)
        self.initial_p = float(initial_p)
        self.p = self.add_weight(shape=(), initializer=keras.initializers.Constant(initial_p),
                                 trainable=False, name="p", aggregation="only_first_replica")
        self.sign_sum = self.add_weight(shape=(), initializer="zeros", trainable=False,
                                        name="sign_sum", aggregation="only_first_replica")
        self.sign_count = self.add_weight(shape=(), initializer="zeros", trainable=False,
                                          name="sign_count", aggregation="only_first_replica")
        self.steps = self.add_weight(shape=(), initializer="zeros", trainable=False,
                                     name="steps", aggregation="only_first_replica")
        self.built = True

    def load_own_variables(self, store):
        if not len(store.keys()):
            return  # written before the model had ADA state: keep the initial p
        super().load_own_variables(store)

    def get_config(self):
        return {**super().get_config(), "initial_p": self.initial_p}


def ada_controller_update(state, augment, real_signs):
    """Accumulates sign(D(real)) over the global batch and adjusts p every
    `augment.ada_interval` calls (in-graph, replica-exact: the statistics are
    all-reduced, so every replica assigns the same p)."""
    from keras_gans.losses.reduction import global_mean
    from keras_gans.models import assign_variables

    signs = tf.cast(tf.reshape(real_signs, [-1]), tf.float32)
    ctx = tf.distribute.get_replica_context()
    replicas = 1 if ctx is None else ctx.num_replicas_in_sync
    count = tf.cast(tf.size(signs) * replicas, tf.float32)
    total = state.sign_sum + global_mean(signs) * count
    seen = state.sign_count + count
    steps = state.steps + 1.0
    due = steps >= augment.ada_interval
    new_p = tf.where(due, ada_adjust(state.p, total / tf.maximum(seen, 1.0), seen,
                                     augment.target, augment.ada_kimg), state.p)
    zero = tf.zeros_like(total)
    assign_variables([state.p, state.sign_sum, state.sign_count, state.steps],
                     [new_p, tf.where(due, zero, total), tf.where(due, zero, seen),
                      tf.where(due, zero, steps)])
