"""DiffAugment (Zhao, Liu, Lin, Zhu & Han 2020, "Differentiable Augmentation
for Data-Efficient GAN Training", NeurIPS 2020, arXiv:2006.10738).

The same random, differentiable transformation family T is applied to the
real AND the generated images every time D sees them, in the D step and in
the G step, so D never sees an un-augmented image and G's gradient flows
back through T. The three policies of the paper (its Table/Section 3 and the
official `DiffAugment_tf.py`):

* ``color``: brightness x + (u - 0.5), saturation (x - mean_c) * 2u + mean_c
  (the identity on one channel), contrast (x - mean) * (u + 0.5) + mean,
  with a fresh u ~ U[0, 1) per example for each;
* ``translation``: an integer shift in [-s, s] per axis and example,
  s = round(0.125 * size), zero fill;
* ``cutout``: a square of half the image size (rounded) zeroed at a random
  centre per example.

Every op is a pure function of the images and a tensor of uniform draws in
[0, 1), so it is testable against numpy and replica-exact: the caller draws
the uniforms with its per-replica, checkpointable stream (the GAN's
`random_uniform`), never with a global `tf.random` op.

Example:

>>> aug = DiffAugment("color,translation,cutout")
>>> images = tf.zeros([2, 8, 8, 1])
>>> draws = tf.random.stateless_uniform([2, aug.num_draws], seed=[0, 1])
>>> aug.apply(images, draws).shape
TensorShape([2, 8, 8, 1])
"""

import keras
import tensorflow as tf

POLICIES = ("color", "translation", "cutout")
# Uniform draws each policy consumes per example.
DRAWS_PER_POLICY = {"color": 3, "translation": 2, "cutout": 2}


def _u(draws, i):
    """Column i of the [B, K] draws as [B, 1, 1, 1] in the images' dtype."""
    return tf.reshape(draws[:, i], [-1, 1, 1, 1])


def brightness(images, u):
    """x + (u - 0.5): u [B] or [B, 1, 1, 1] in [0, 1)."""
    u = tf.reshape(tf.cast(u, images.dtype), [-1, 1, 1, 1])
    return images + (u - 0.5)


def saturation(images, u):
    """(x - mean over channels) * 2u + mean over channels."""
    u = tf.reshape(tf.cast(u, images.dtype), [-1, 1, 1, 1])
    mean = tf.reduce_mean(images, axis=3, keepdims=True)
    return (images - mean) * (u * 2.0) + mean


def contrast(images, u):
    """(x - mean over H, W, C) * (u + 0.5) + mean."""
    u = tf.reshape(tf.cast(u, images.dtype), [-1, 1, 1, 1])
    mean = tf.reduce_mean(images, axis=[1, 2, 3], keepdims=True)
    return (images - mean) * (u + 0.5) + mean


def integer_shift_from_uniform(u, max_shift):
    """Maps u in [0, 1) to an integer in [-max_shift, max_shift] (uniformly)."""
    return tf.cast(tf.floor(tf.cast(u, tf.float32) * (2 * max_shift + 1)), tf.int32) - max_shift


def translate(images, shift_y, shift_x):
    """Shifts each image by integer (shift_y, shift_x) [B], filling with zeros.

    out[b, i, j] = images[b, i - shift_y[b], j - shift_x[b]] where that pixel
    exists, else 0. A gather, so the gradient reaches the images.
    """
    h, w = tf.shape(images)[1], tf.shape(images)[2]
    rows = tf.range(h)[None, :] - tf.reshape(shift_y, [-1, 1])  # [B, H] source rows
    cols = tf.range(w)[None, :] - tf.reshape(shift_x, [-1, 1])
    valid_r = tf.cast((rows >= 0) & (rows < h), images.dtype)
    valid_c = tf.cast((cols >= 0) & (cols < w), images.dtype)
    out = tf.gather(images, tf.clip_by_value(rows, 0, h - 1), axis=1, batch_dims=1)
    out = tf.gather(out, tf.clip_by_value(cols, 0, w - 1), axis=2, batch_dims=1)
    mask = valid_r[:, :, None, None] * valid_c[:, None, :, None]
    return out * mask


def cutout_mask(batch, height, width, centre_y, centre_x, size_y, size_x, dtype):
    """1 outside, 0 inside a size_y x size_x box whose top-left is centre - size // 2."""
    top = tf.reshape(centre_y - size_y // 2, [-1, 1])
    left = tf.reshape(centre_x - size_x // 2, [-1, 1])
    r = tf.range(height)[None, :]
    c = tf.range(width)[None, :]
    in_r = (r >= top) & (r < top + size_y)  # [B, H]
    in_c = (c >= left) & (c < left + size_x)
    inside = in_r[:, :, None] & in_c[:, None, :]
    return tf.cast(~inside, dtype)[..., None]


def cutout(images, u_y, u_x, ratio=0.5):
    """Zeroes a square of `ratio` * size at a centre drawn from u_y, u_x in [0, 1).

    As the official code: size = int(ratio * H + 0.5), centre an integer in
    [0, H + (1 - size % 2)), box rows [centre - size // 2, + size) clipped.
    """
    height, width = int(images.shape[1]), int(images.shape[2])
    size_y, size_x = int(height * ratio + 0.5), int(width * ratio + 0.5)
    centre_y = tf.cast(tf.floor(tf.cast(u_y, tf.float32) * (height + (1 - size_y % 2))),
                       tf.int32)
    centre_x = tf.cast(tf.floor(tf.cast(u_x, tf.float32) * (width + (1 - size_x % 2))),
                       tf.int32)
    mask = cutout_mask(tf.shape(images)[0], height, width, centre_y, centre_x, size_y, size_x,
                       images.dtype)
    return images * mask


@keras.saving.register_keras_serializable(package="keras_gans")
class DiffAugment:
    """The DiffAugment transformation T with the paper's policies.

    Args:
        policy: comma-separated (or a list) subset of "color", "translation",
            "cutout", applied in that order (the paper's "color,translation,
            cutout" is the default, its best for limited data).
        translation_ratio: max shift as a fraction of the size (1/8).
        cutout_ratio: cutout side as a fraction of the size (1/2).

    `apply(images, draws)` is pure: `draws` holds `num_draws` uniforms in
    [0, 1) per example. `__call__(images, rng)` draws them from `rng`, any
    object with a `random_uniform(shape)` method (a GAN).

    Example:

    >>> aug = DiffAugment("translation")
    >>> x = tf.reshape(tf.range(16.0), [1, 4, 4, 1])
    >>> same = aug.apply(x, tf.fill([1, 2], 0.5))  # u = 0.5 -> shift 0
    >>> bool(tf.reduce_all(same == x))
    True
    """

    def __init__(self, policy="color,translation,cutout", translation_ratio=0.125,
                 cutout_ratio=0.5):
        if isinstance(policy, str):
            policy = [p.strip() for p in policy.split(",") if p.strip()]
        policy = list(policy)
        bad = [p for p in policy if p not in POLICIES]
        if bad or not policy:
            raise ValueError(
                f"DiffAugment policy must be a non-empty subset of {POLICIES}; got "
                f"{policy!r}. E.g. policy='color,translation,cutout'.")
        self.policy = [p for p in POLICIES if p in policy]
        self.translation_ratio = float(translation_ratio)
        self.cutout_ratio = float(cutout_ratio)
        if not 0.0 <= self.translation_ratio < 1.0 or not 0.0 < self.cutout_ratio <= 1.0:
            raise ValueError(
                "translation_ratio must be in [0, 1) and cutout_ratio in (0, 1]; got "
                f"{translation_ratio}, {cutout_ratio}.")

    @property
    def num_draws(self):
        return sum(DRAWS_PER_POLICY[p] for p in self.policy)

    def draw(self, rng, batch_size):
        return rng.random_uniform([batch_size, self.num_draws])

    def apply(self, images, draws):
        """T(images) for the [B, num_draws] uniforms `draws` (pure, differentiable)."""
        images = tf.convert_to_tensor(images)
        draws = tf.convert_to_tensor(draws)
        i = 0
        if "color" in self.policy:
            images = brightness(images, draws[:, i])
            images = saturation(images, draws[:, i + 1])
            images = contrast(images, draws[:, i + 2])
            i += 3
        if "translation" in self.policy:
            shift_h = int(int(images.shape[1]) * self.translation_ratio + 0.5)
            shift_w = int(int(images.shape[2]) * self.translation_ratio + 0.5)
            images = translate(images, integer_shift_from_uniform(draws[:, i], shift_h),
                               integer_shift_from_uniform(draws[:, i + 1], shift_w))
            i += 2
        if "cutout" in self.policy:
            images = cutout(images, draws[:, i], draws[:, i + 1], self.cutout_ratio)
            i += 2
        return images

    def __call__(self, images, rng):
        return self.apply(images, self.draw(rng, tf.shape(images)[0]))

    # The model-facing protocol of `compile(augment=...)`.
    transforms_inputs = True
    metric_names = ()

    def augment_images(self, model, images):
        """T(images) with the model's replica-exact uniforms."""
        return self(images, model)

    def get_config(self):
        return {"name": "diffaugment", "policy": ",".join(self.policy), "translation_ratio": self.translation_ratio,
                "cutout_ratio": self.cutout_ratio}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config.pop("name", None)
        return cls(**config)
