"""One step under MirroredStrategy (2 logical CPUs) equals one step on one device.

Parametrized over every registered family, so a new family is covered as
soon as it is registered (it must define `example_config`).
"""

import numpy as np
import keras
import pytest
import tensorflow as tf

import keras_gans.models as models
from keras_gans.testing.distribute import one_step_on_one_and_two_replicas, two_device_strategy

@pytest.mark.parametrize("family", models.list_families())
def test_one_step_matches_single_device(family):
    run = one_step_on_one_and_two_replicas(models.get(family))
    for name, a, b in zip(run["names"], run["single"], run["mirrored"]):
        np.testing.assert_allclose(b, a, atol=1e-6, rtol=0, err_msg=name)
    for key in run["metric_names"]:
        np.testing.assert_allclose(run["mirrored_logs"][key], run["single_logs"][key],
                                   atol=1e-5, err_msg=key)
    # The weights did move: the comparison is not between two untouched models.
    assert any(not np.array_equal(a, b) for a, b in zip(run["initial"], run["single"]))


def test_replicas_draw_different_latents():
    keras.utils.set_random_seed(0)
    model = models.DCGAN(**models.DCGAN.example_config)
    model.compile()
    strategy = two_device_strategy()

    def draw():
        model._draw_index = 0
        return model.sample_latents(4)

    per_replica = strategy.experimental_local_results(strategy.run(tf.function(draw)))
    assert not np.allclose(per_replica[0], per_replica[1])
    # Together they are the single-device draw of the global batch.
    model._draw_index = 0
    np.testing.assert_allclose(np.concatenate(per_replica), model.sample_latents(8).numpy())
