"""`compile(critic_batches=...)`: which real rows each of the d_steps D updates sees."""

import numpy as np
import keras
import pytest

from keras_gans.models.wgan_gp import WGANGP
from keras_gans.testing.distribute import assert_same_step, one_step_on_one_and_two_replicas


class RecordingWGANGP(WGANGP):
    """Records the real rows of every D loss and the size of every G batch."""

    def compute_discriminator_loss(self, real, fake, labels=None):
        self.seen_real.append(np.asarray(real)[:, 0].tolist())
        return super().compute_discriminator_loss(real, fake, labels)

    def compute_generator_loss(self, fake, labels=None, real=None):
        self.g_batches.append(int(fake.shape[0]))
        return super().compute_generator_loss(fake, labels, real=real)


def one_eager_step(critic_batches, batch=6, d_steps=3):
    keras.utils.set_random_seed(0)
    gan = RecordingWGANGP(data_shape=(2,), latent_dim=4, width=8)
    gan.seen_real, gan.g_batches = [], []
    gan.compile(d_steps=d_steps, critic_batches=critic_batches, run_eagerly=True)
    # Row i of the batch is the point (i, i): the recorded first coordinate names the row.
    x = np.repeat(np.arange(batch, dtype="float32")[:, None], 2, axis=1) / batch
    gan.fit(x, batch_size=batch, epochs=1, shuffle=False, verbose=0)
    rows = [[round(v * batch) for v in seen] for seen in gan.seen_real]
    return gan, rows


def test_split_gives_each_critic_update_its_own_strided_rows():
    gan, rows = one_eager_step("split")
    assert rows == [[0, 3], [1, 4], [2, 5]]
    # The generator step draws as many latents as one critic slice.
    assert gan.g_batches == [2]


def test_shared_gives_every_critic_update_the_whole_batch():
    gan, rows = one_eager_step("shared")
    assert rows == [[0, 1, 2, 3, 4, 5]] * 3
    assert gan.g_batches == [6]


def test_split_rejects_an_indivisible_batch_and_unknown_modes():
    with pytest.raises(ValueError, match=r"divisible by 3; got a batch of 5"):
        one_eager_step("split", batch=5)
    gan = WGANGP(data_shape=(2,), latent_dim=4, width=8)
    with pytest.raises(ValueError, match=r"critic_batches must be one of .*'fresh'"):
        gan.compile(critic_batches="fresh")


def test_critic_batches_survive_the_compile_config():
    gan = WGANGP(data_shape=(2,), latent_dim=4, width=8)
    gan.compile(d_steps=2, critic_batches="split")
    clone = WGANGP(data_shape=(2,), latent_dim=4, width=8)
    clone.compile_from_config(gan.get_compile_config())
    assert (clone.d_steps, clone.critic_batches) == (2, "split")


def test_split_is_the_same_step_on_one_and_two_replicas():
    # Strided slices: each replica's share of slice i is the same global rows.
    run = one_step_on_one_and_two_replicas(
        WGANGP, global_batch=8, compile_kwargs={"d_steps": 2, "critic_batches": "split"})
    assert_same_step(run)
