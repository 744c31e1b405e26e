"""Self-attention over the positions of a feature map (Zhang, Goodfellow,
Metaxas & Odena 2019, "Self-Attention Generative Adversarial Networks",
ICML 2019, arXiv:1805.08318), in the form of the official TensorFlow code and
BigGAN (Brock et al. 2019):

    f = W_f x  (query, C/8 channels)      g = maxpool2x2(W_g x)  (key, C/8)
    h = maxpool2x2(W_h x)  (value, C/2)
    beta = softmax over keys of f g^T      [B, HW, HW/4]
    o = W_o (beta h)                       (back to C channels)
    y = x + gamma * o,   gamma initialized to 0

All four projections are 1x1 convolutions without bias, spectrally
normalized by default (SAGAN uses spectral norm in G and D). gamma = 0 makes
the block the identity at initialization: the network first learns local
features and then, as gamma grows, adds non-local evidence.
"""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_gans")
class SelfAttention2D(keras.layers.Layer):
    """The SAGAN self-attention block on [batch, H, W, C] feature maps.

    Args:
        spectral_norm: wrap the 1x1 convolutions in
            `keras.layers.SpectralNormalization` (SAGAN: in G and D).
        key_pooling: max-pool keys and values 2x2 (the official code; needs
            even H and W), or attend over every position (False).
        kernel_initializer: of the 1x1 convolutions.

    Call arguments:
        x: [batch, H, W, C], C divisible by 8.
        training: passed to the spectral-norm wrappers.

    The attention map of the last call is not stored; `attention_map(x)`
    returns it ([batch, H*W, keys], rows summing to 1).

    Example:

    >>> layer = SelfAttention2D()
    >>> x = np.random.rand(2, 8, 8, 16).astype("float32")
    >>> bool(np.allclose(layer(x), x))  # gamma = 0 at initialization
    True
    """

    def __init__(self, spectral_norm=True, key_pooling=True,
                 kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.spectral_norm = bool(spectral_norm)
        self.key_pooling = bool(key_pooling)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def _conv(self, filters, name):
        conv = keras.layers.Conv2D(filters, 1, use_bias=False,
                                   kernel_initializer=self.kernel_initializer,
                                   dtype=self.dtype_policy, name=name)
        if self.spectral_norm:
            return keras.layers.SpectralNormalization(conv, dtype=self.dtype_policy,
                                                      name=name + "_sn")
        return conv

    def build(self, input_shape):
        _, height, width, channels = input_shape
        if channels is None or channels % 8:
            raise ValueError(
                f"SelfAttention2D needs a channel count divisible by 8 (query and key have "
                f"C/8 channels, the value C/2); got {channels}.")
        if self.key_pooling and (height is None or width is None or height % 2 or width % 2):
            raise ValueError(
                f"SelfAttention2D(key_pooling=True) max-pools keys 2x2 and needs even H and W; "
                f"got {height}x{width}. Place it at an even resolution or pass key_pooling=False.")
        self.channels = int(channels)
        self.query = self._conv(channels // 8, "query")
        self.key = self._conv(channels // 8, "key")
        self.value = self._conv(channels // 2, "value")
        self.out = self._conv(channels, "out")
        for conv, c_in in ((self.query, channels), (self.key, channels),
                           (self.value, channels), (self.out, channels // 2)):
            conv.build((None, height, width, c_in))
        self.gamma = self.add_weight(shape=(), initializer="zeros", name="gamma")

    def _call_conv(self, conv, x, training):
        if self.spectral_norm:
            return conv(x, training=training)
        return conv(x)

    def _pool(self, x):
        if not self.key_pooling:
            return x
        return ops.max_pool(x, pool_size=2, strides=2, padding="valid")

    def _flat(self, x):
        shape = ops.shape(x)
        return ops.reshape(x, (shape[0], shape[1] * shape[2], shape[3]))

    def _attention(self, x, training):
        f = self._flat(self._call_conv(self.query, x, training))              # [B, N, C/8]
        g = self._flat(self._pool(self._call_conv(self.key, x, training)))    # [B, M, C/8]
        h = self._flat(self._pool(self._call_conv(self.value, x, training)))  # [B, M, C/2]
        logits = ops.matmul(f, ops.transpose(g, (0, 2, 1)))                   # [B, N, M]
        return ops.softmax(logits, axis=-1), h

    def attention_map(self, x, training=False):
        """The softmax weights [batch, H*W, keys] (each row sums to 1 over the keys)."""
        return self._attention(ops.convert_to_tensor(x), training)[0]

    def call(self, x, training=None):
        beta, h = self._attention(x, training)
        o = ops.matmul(beta, h)                                               # [B, N, C/2]
        shape = ops.shape(x)
        o = ops.reshape(o, (shape[0], shape[1], shape[2], self.channels // 2))
        o = self._call_conv(self.out, o, training)
        return x + ops.cast(self.gamma, x.dtype) * o

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"spectral_norm": self.spectral_norm, "key_pooling": self.key_pooling,
                       "kernel_initializer": keras.initializers.serialize(
                           self.kernel_initializer)})
        return config
