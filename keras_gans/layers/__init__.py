"""Layers shared by more than one family."""

from keras_gans.layers.batch_norm import BatchNormalization  # noqa: F401
from keras_gans.layers.equalized import (  # noqa: F401
    BiasActivation,
    EqualizedConv2D,
    EqualizedDense,
    bias_act,
)
from keras_gans.layers.filters import (  # noqa: F401
    DEFAULT_KERNEL,
    Blur2D,
    FIRDownsample2D,
    FIRUpsample2D,
    blur_2d,
    conv_downsample_2d,
    downsample_2d,
    setup_filter,
    upfirdn_2d,
    upsample_2d,
    upsample_conv_2d,
)
from keras_gans.layers.minibatch_std import ConsecutiveMinibatchStd, MinibatchStandardDeviation  # noqa: F401
from keras_gans.layers.modulated import ModulatedConv2D, ToRGB  # noqa: F401
from keras_gans.layers.noise import NoiseInjection, stateless_noise  # noqa: F401
from keras_gans.layers.normalization import (  # noqa: F401
    AdaptiveInstanceNormalization,
    PixelNormalization,
    instance_normalize,
)
from keras_gans.layers.resampling import SubPixelConv2DTranspose  # noqa: F401
