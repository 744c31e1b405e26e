"""One SGD step of D lowers D's loss, one of G lowers G's loss, for every registered family.

The older contract tests only checked that a step changes some weight, so a
network climbing its own loss (a sign error in a gradient or an update)
passed them all. Here, on a fixed batch with the noise streams rewound so
every call draws the same z (and penalty samples):

1. control: a step with learning rate 0, then the loss again;
2. update: from the same state, a step with a small SGD learning rate, then
   the loss again (a zero-rate step, which reports the loss before it).

The loss after the update must be below the control's. Comparing with a
zero-rate step (not with the first loss) keeps side effects that do not come
from the gradient (spectral normalization's power iteration, BEGAN's k_t,
BatchNorm statistics, lazy-regularization schedules) identical on both sides.
When the change is below float resolution (WGAN's clipped critic gives
gradients near 1e-7), the learning rate is scaled so the step moves the
weights by 0.1% and the comparison repeats.
"""

import numpy as np
import keras
import pytest
import tensorflow as tf

import keras_gans.models as models

LEARNING_RATE = 1e-3
BATCH = 4
#: Compile options a family needs with SGD (the unrolled D steps mirror D's optimizer).
COMPILE_OPTIONS = {"unrolled": {"unroll_optimizer": "sgd"}}


def _batch(model, seed=0):
    rng = np.random.default_rng(seed)
    shape = (BATCH,) + tuple(int(s) for s in model.discriminator.inputs[0].shape[1:])
    real = tf.constant(np.tanh(rng.standard_normal(shape)).astype(np.float32))
    labels = None
    if getattr(model, "num_classes", None):
        labels = tf.constant((np.arange(BATCH) % model.num_classes).astype(np.int32))
    return real, labels


class Stepper:
    """One tiny model; runs D or G steps from a saved state with the noise rewound."""

    def __init__(self, cls):
        keras.utils.set_random_seed(0)
        self.model = cls(**cls.example_config)
        self.model.compile(d_optimizer=keras.optimizers.SGD(0.0),
                           g_optimizer=keras.optimizers.SGD(0.0),
                           **COMPILE_OPTIONS.get(cls.family, {}))
        self.real, self.labels = _batch(self.model)
        self.step("d", 0.0)  # builds both optimizers (their variables) before the snapshot
        self.step("g", 0.0)
        self.state = [np.array(v) for v in self._variables()]

    def _variables(self):
        m = self.model
        return list(m.weights) + list(m.d_optimizer.variables) + list(m.g_optimizer.variables)

    def restore(self):
        for v, value in zip(self._variables(), self.state):
            v.assign(value)

    def step(self, network, learning_rate):
        """One step of `network` ("d" or "g"); returns its loss before the step."""
        m = self.model
        optimizer = m.d_optimizer if network == "d" else m.g_optimizer
        optimizer.learning_rate.assign(learning_rate)
        m.rng_step.assign(0)
        m.reset_draws()
        if network == "d":
            terms = m.discriminator_step(self.real, self.labels)
            return float(np.asarray(terms["d_loss"]).mean())
        terms = m.generator_step(BATCH, self.labels, real=self.real)
        return float(np.asarray(terms["g_loss"]).mean())

    def trainable(self, network):
        net = self.model.discriminator if network == "d" else self.model.generator
        return [np.array(v) for v in net.trainable_variables]

    def loss_after_one_step(self, network, learning_rate):
        """(loss after one step at `learning_rate`, relative size of the weight change)."""
        self.restore()
        before = self.trainable(network)
        self.step(network, learning_rate)
        after = self.trainable(network)
        moved = np.sqrt(sum(((a - b) ** 2).sum() for a, b in zip(after, before)))
        size = np.sqrt(sum((b ** 2).sum() for b in before))
        return self.step(network, 0.0), moved / max(size, 1e-30)


@pytest.fixture(scope="module")
def steppers():
    return {}


@pytest.mark.parametrize("network", ["d", "g"])
@pytest.mark.parametrize("family", models.list_families())
def test_one_sgd_step_lowers_the_networks_own_loss(family, network, steppers):
    if family not in steppers:
        steppers[family] = Stepper(models.get(family))
    stepper = steppers[family]
    control, _ = stepper.loss_after_one_step(network, 0.0)
    updated, moved = stepper.loss_after_one_step(network, LEARNING_RATE)
    resolution = 1e-6 * max(1.0, abs(control))
    if abs(updated - control) <= resolution and moved > 0:
        # Gradients too small for this rate to show in float32: a 0.1% weight step.
        updated, moved = stepper.loss_after_one_step(network, LEARNING_RATE * 1e-3 / moved)
    name = {"d": "discriminator", "g": "generator"}[network]
    assert moved > 0, f"the {name} step did not change the {name}"
    assert updated < control, (
        f"{family}: one SGD step of the {name} raised its own loss ({control:.6g} -> "
        f"{updated:.6g}): the update climbs the loss")
