"""Reflection padding, as CycleGAN's and StarGAN v2's ResNet generators use."""

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="keras_gans")
class ReflectionPadding2D(keras.layers.Layer):
    """Pads height and width by mirroring the border (NHWC), without repeating it.

    Zhu et al. 2017 (CycleGAN), appendix 7.2: "Reflection padding was used to
    reduce artifacts". Equivalent to PyTorch's `nn.ReflectionPad2d(padding)`
    and to `numpy.pad(x, mode="reflect")` on the two spatial axes.

    Args:
        padding: int, pixels added on every side.

    Example:

    >>> x = np.arange(4, dtype="float32").reshape(1, 2, 2, 1)
    >>> ReflectionPadding2D(1)(x)[0, :, :, 0].numpy()
    array([[3., 2., 3., 2.],
           [1., 0., 1., 0.],
           [3., 2., 3., 2.],
           [1., 0., 1., 0.]], dtype=float32)
    """

    def __init__(self, padding=1, **kwargs):
        super().__init__(**kwargs)
        self.padding = int(padding)
        if self.padding < 0:
            raise ValueError(f"padding must be >= 0; got {padding}.")

    def build(self, input_shape):
        for axis in (1, 2):
            size = input_shape[axis]
            if size is not None and size <= self.padding:
                raise ValueError(
                    f"Reflection padding of {self.padding} needs spatial sizes above "
                    f"{self.padding}; got input shape {tuple(input_shape)}.")

    def call(self, inputs):
        p = self.padding
        return tf.pad(inputs, [[0, 0], [p, p], [p, p], [0, 0]], mode="REFLECT")

    def compute_output_shape(self, input_shape):
        def grow(size):
            return None if size is None else size + 2 * self.padding

        return (input_shape[0], grow(input_shape[1]), grow(input_shape[2]), input_shape[3])

    def get_config(self):
        config = super().get_config()
        config["padding"] = self.padding
        return config
