"""Per-pixel noise injection (StyleGAN, StyleGAN2) as a pure function.

StyleGAN (Karras et al. 2019, section 3.2) adds single-channel Gaussian
noise images, broadcast to all feature maps with learned per-channel
scales, after each convolution of the synthesis network; StyleGAN2 (Karras
et al. 2020) uses one learned scalar strength per layer. Both initialize the
strength at zero.

Where the noise comes from matters for export. The official code draws it
with `tf.random_normal` inside the graph, so the generator is not a function
of its inputs. In an exported SavedModel such an op is either seeded, and
then replays the same sequence after every reload (the first call in every
fresh process returns the same "random" image, the second the next one, ...)
or unseeded, and then no output can be reproduced; with Keras' stateful
seed generators the result depends on a hidden counter instead. In every
case the endpoint depends on its call history. This layer therefore never
draws noise from graph state. The noise is one of:

* an explicit `noise` tensor passed to the call,
* derived from an explicit integer `seed` tensor with
  `tf.random.stateless_normal`, one key per sample, so a sample's noise
  depends only on its own seed, never on the batch it is in,
* a stored constant (`mode="const"`: a non-trainable weight drawn once at
  build, saved with the model; StyleGAN2's `randomize_noise=False`),
* nothing (`mode="none"`).

An exported `generate(z, seed)` built on it is then a pure function: the
same inputs give the same image in every process and on every call.

Caveat: TensorFlow 2.21's XLA kernels produce *different* (equally valid)
stateless random values for the same key than its eager/graph kernels, even
with an explicit algorithm (tensorflow/tensorflow#117644, documented by
#121252). Seeded noise is deterministic within one execution mode, but a
`jit_compile=True` function (Keras' default for `fit`/`predict` on GPU
machines; on CPU-only machines Keras does not use XLA) draws other noise
for the same seed than eager calls and SavedModel signatures do. Pass
`noise=` explicitly, or run sampling without XLA, where that matters.
"""

import tensorflow as tf

import keras

_MODES = ("random", "const", "none")


def _per_sample_keys(seed):
    """`(batch, 2)` int32 stateless keys from `(batch,)` or `(batch, 2)` seeds.

    int32 keys because XLA accepts no others. A 1D seed is widened to int64
    and split into its two 32-bit halves, so every int64 seed is its own key.
    """
    seed = tf.convert_to_tensor(seed)
    if not seed.dtype.is_integer:
        raise ValueError(f"seed must be an integer tensor; got dtype {seed.dtype}.")
    if seed.shape.rank == 1:
        return tf.bitcast(tf.cast(seed, tf.int64), tf.int32)
    if seed.shape.rank == 2 and seed.shape[-1] == 2:
        return tf.cast(seed, tf.int32)
    raise ValueError(
        "seed must have shape (batch,) (one int per sample) or (batch, 2) "
        f"(one stateless key per sample); got shape {seed.shape}."
    )


def stateless_noise(seed, height, width, channels=1, seed_offset=0, dtype=tf.float32):
    """Standard normal noise `(batch, height, width, channels)` from per-sample seeds.

    Sample `b`'s noise is a function of `seed[b]` and `seed_offset` only.

    Args:
        seed: integer tensor `(batch,)` or `(batch, 2)`.
        height, width, channels: noise image size.
        seed_offset: int folded into every key, so that the noise layers of
            one generator, all fed the same sample seeds, draw independent
            noise.
        dtype: float dtype of the result.

    Example:

    >>> a = stateless_noise(tf.constant([7, 8]), 4, 4)
    >>> b = stateless_noise(tf.constant([7]), 4, 4)
    >>> bool(tf.reduce_all(a[:1] == b))  # depends on the sample's seed only
    True
    """
    keys = _per_sample_keys(seed)
    offset = tf.constant(int(seed_offset), tf.int32)

    def draw(key):
        # Philox named explicitly: "auto_select" may pick another generator on
        # another device. XLA is a separate case, see the module docstring.
        key = tf.random.experimental.stateless_fold_in(key, offset, alg="philox")
        return tf.random.stateless_normal(
            [height, width, channels], key, dtype=dtype, alg="philox"
        )

    # One draw per key: tf.random ops take a single key, not a batch of them.
    spec = tf.TensorSpec([None, None, channels], dtype)
    return tf.map_fn(draw, keys, fn_output_signature=spec)


@keras.saving.register_keras_serializable(package="keras_gans")
class NoiseInjection(keras.layers.Layer):
    """Adds learned-strength per-pixel Gaussian noise: `x + strength * noise`.

    Karras et al. 2019 ("A Style-Based Generator Architecture for GANs",
    section 3.2; `per_channel=True`: one strength per feature map) and Karras
    et al. 2020 (StyleGAN2; `per_channel=False`: one scalar strength per
    layer). The strength is initialized to 0. The noise image has one channel
    and is broadcast over the feature maps.

    Call it as `layer(x, seed=seed)` or `layer(x, noise=noise)`:

    * `noise`: a tensor broadcastable to `(batch, height, width, channels)`,
      usually `(batch, height, width, 1)`; used exactly as given, whatever
      the mode.
    * `seed`: integer tensor `(batch,)` or `(batch, 2)`; with `mode="random"`
      the noise is `tf.random.stateless_normal` from one key per sample,
      derived from the sample's seed and `seed_offset`.
    * otherwise the `mode` decides: `"random"` without a seed or noise
      raises (there is deliberately no hidden random state, see the module
      docstring), `"const"` uses the stored noise image, `"none"` returns
      `x` unchanged.

    Give every noise layer of a model a different `seed_offset` so that one
    seed per sample drives independent noise in all of them.

    The stored constant noise (`const_noise`, `(1, height, width, 1)`,
    non-trainable, N(0, 1) at build) exists whenever the spatial size is
    static, so a model trained with random noise can be rebuilt with
    `mode="const"` and the same weights.

    Args:
        mode: `"random"`, `"const"` or `"none"`.
        per_channel: one strength per channel (StyleGAN) instead of one
            scalar (StyleGAN2).
        seed_offset: int folded into the per-sample keys.

    Example:

    >>> layer = NoiseInjection(seed_offset=3)
    >>> x = np.zeros((2, 4, 4, 8), "float32")
    >>> y = layer(x, seed=np.array([10, 11]))
    >>> float(np.abs(y).max())  # strength starts at 0
    0.0
    """

    def __init__(self, mode="random", per_channel=False, seed_offset=0, **kwargs):
        super().__init__(**kwargs)
        if mode not in _MODES:
            raise ValueError(f"mode must be one of {_MODES}; received {mode!r}.")
        self.mode = mode
        self.per_channel = bool(per_channel)
        self.seed_offset = int(seed_offset)
        self.input_spec = keras.layers.InputSpec(ndim=4)

    def build(self, input_shape):
        # Keras passes the shape of the first tensor argument (x) here.
        _, height, width, channels = input_shape
        if self.per_channel and channels is None:
            raise ValueError(f"per_channel needs a defined channel axis; got {input_shape}.")
        self.strength = self.add_weight(
            name="strength",
            shape=(int(channels),) if self.per_channel else (),
            initializer="zeros",
        )
        if height is not None and width is not None:
            self.const_noise = self.add_weight(
                name="const_noise",
                shape=(1, int(height), int(width), 1),
                initializer=keras.initializers.RandomNormal(stddev=1.0),
                trainable=False,
            )
        elif self.mode == "const":
            raise ValueError(f"mode='const' needs a static height and width; got {input_shape}.")
        else:
            self.const_noise = None

    def call(self, inputs, noise=None, seed=None):
        x = inputs
        if noise is None:
            if seed is not None and self.mode == "random":
                shape = tf.shape(x)
                noise = stateless_noise(
                    seed, shape[1], shape[2], 1, self.seed_offset, dtype=x.dtype
                )
            elif self.mode == "const":
                noise = self.const_noise
            elif self.mode == "none":
                return x
            else:
                raise ValueError(
                    f"{self.name}: mode='random' needs `seed=` (integer tensor of "
                    "shape (batch,) or (batch, 2)) or `noise=`; this layer never "
                    "draws noise from hidden random state."
                )
        noise = tf.cast(noise, x.dtype)
        return x + noise * tf.cast(self.strength, x.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "mode": self.mode,
                "per_channel": self.per_channel,
                "seed_offset": self.seed_offset,
            }
        )
        return config
