"""Every shared layer through the one layer harness (`keras_gans.testing.layers`)."""

import pytest

from keras_gans.layers.batch_norm import BatchNormalization as FusedBatchNormalization
from keras_gans.layers.conditional import ConditionalBatchNormalization, ProjectionOutput
from keras_gans.layers.equalized import BiasActivation, EqualizedConv2D, EqualizedDense
from keras_gans.layers.filters import Blur2D, FIRDownsample2D, FIRUpsample2D
from keras_gans.layers.minibatch_std import ConsecutiveMinibatchStd, MinibatchStandardDeviation
from keras_gans.layers.modulated import ModulatedConv2D, ToRGB
from keras_gans.layers.normalization import AdaptiveInstanceNormalization, PixelNormalization
from keras_gans.layers.resampling import SubPixelConv2DTranspose
from keras_gans.models.architectures import Maxout
from keras_gans.models.improvements import MinibatchDiscrimination
from keras_gans.testing.layers import run_layer_test

IMAGES = (4, 8, 8, 6)

CASES = [
    # (layer, kwargs, input shape(s), input dtype(s), output shape(s), trainable, non-trainable,
    #  training changes output)
    (ConditionalBatchNormalization, {"num_classes": 3}, [IMAGES, (4,)], ["float32", "int32"],
     IMAGES, 2, 2, True),
    (FusedBatchNormalization, {"momentum": 0.9, "epsilon": 1e-5, "synchronized": True},
     IMAGES, "float32", IMAGES, 2, 2, True),
    (ProjectionOutput, {"num_classes": 3}, [(4, 16), (4,)], ["float32", "int32"], (4, 1),
     None, None, False),
    (EqualizedDense, {"units": 5}, (4, 7), "float32", (4, 5), 2, 0, False),
    (EqualizedConv2D, {"filters": 5, "kernel_size": 3}, IMAGES, "float32", (4, 8, 8, 5),
     2, 0, False),
    (BiasActivation, {"activation": "lrelu"}, IMAGES, "float32", IMAGES, 1, 0, False),
    (Blur2D, {}, IMAGES, "float32", IMAGES, 0, 0, False),
    (FIRUpsample2D, {}, IMAGES, "float32", (4, 16, 16, 6), 0, 0, False),
    (FIRDownsample2D, {}, IMAGES, "float32", (4, 4, 4, 6), 0, 0, False),
    (MinibatchStandardDeviation, {"group_size": 2}, IMAGES, "float32", (4, 8, 8, 7), 0, 0,
     False),
    (ConsecutiveMinibatchStd, {"group_size": 2}, IMAGES, "float32", (4, 8, 8, 7), 0, 0, False),
    (ModulatedConv2D, {"filters": 5, "kernel_size": 3}, [IMAGES, (4, 6)],
     ["float32", "float32"], (4, 8, 8, 5), None, None, False),
    (ToRGB, {"filters": 3}, [IMAGES, (4, 6)], ["float32", "float32"], (4, 8, 8, 3),
     None, None, False),
    (PixelNormalization, {}, IMAGES, "float32", IMAGES, 0, 0, False),
    (AdaptiveInstanceNormalization, {}, [IMAGES, (4, 12)], ["float32", "float32"], IMAGES,
     0, 0, False),
    (SubPixelConv2DTranspose, {"filters": 5, "kernel_size": 4}, IMAGES, "float32",
     (4, 16, 16, 5), None, 0, False),
    (Maxout, {"units": 4, "pieces": 3}, (4, 7), "float32", (4, 4), 2, 0, False),
    (MinibatchDiscrimination, {"num_kernels": 3, "kernel_dim": 2}, (4, 5), "float32", (4, 8),
     None, 0, False),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case[0].__name__)
def test_layer_contract(case):
    layer, kwargs, shape, dtype, out_shape, trainable, non_trainable, changes = case
    run_layer_test(layer, kwargs, input_shape=shape, input_dtype=dtype,
                   expected_output_shape=out_shape,
                   expected_num_trainable_weights=trainable,
                   expected_num_non_trainable_weights=non_trainable,
                   training_changes_output=changes)
