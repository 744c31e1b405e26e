"""One step under MirroredStrategy (2 logical CPUs) equals one step on one device.

Under plain SGD for every registered family, so a new family is covered as
soon as it is registered (it must define `example_config`); with the
families' default optimizers for a representative few.
"""

import numpy as np
import keras
import pytest
import tensorflow as tf

import keras_gans.models as models
from keras_gans.testing.distribute import (assert_same_step, one_step_on_one_and_two_replicas,
                                           sgd_compile_kwargs, two_device_strategy)

#: Families also checked with their default optimizers (Adam with EMA, RMSProp,
#: Adam with spectral normalization's power iteration), whose slot updates SGD
#: does not exercise. Every family runs under SGD below, the stricter check of
#: the reduction; an Adam step traces about twice as long as an SGD step
#: under the strategy (measured: 974 s for all families against 500 s).
DEFAULT_OPTIMIZER_FAMILIES = ("dcgan", "wgan", "sngan")


@pytest.mark.parametrize("family", DEFAULT_OPTIMIZER_FAMILIES)
def test_one_step_matches_single_device(family):
    assert_same_step(one_step_on_one_and_two_replicas(models.get(family)))


#: Compile options a family needs with SGD (the unrolled D steps mirror D's optimizer).
SGD_OPTIONS = {"unrolled": {"unroll_optimizer": "sgd"}}


@pytest.mark.parametrize("family", models.list_families())
def test_one_sgd_step_matches_single_device(family):
    # Under SGD a gradient N times too large (a per-replica mean on N replicas)
    # makes the update itself N times too large; Adam would hide it up to epsilon.
    sgd = sgd_compile_kwargs(0.05)

    def compile_kwargs():
        return {**sgd(), **SGD_OPTIONS.get(family, {})}

    assert_same_step(one_step_on_one_and_two_replicas(models.get(family),
                                                      compile_kwargs=compile_kwargs))


def test_replicas_draw_different_latents():
    keras.utils.set_random_seed(0)
    model = models.DCGAN(**models.DCGAN.example_config)
    model.compile()
    strategy = two_device_strategy()

    def draw():
        model.reset_draws()
        return model.sample_latents(4)

    per_replica = strategy.experimental_local_results(strategy.run(tf.function(draw)))
    assert not np.allclose(per_replica[0], per_replica[1])
    # Together they are the single-device draw of the global batch.
    model.reset_draws()
    np.testing.assert_allclose(np.concatenate(per_replica), model.sample_latents(8).numpy())
