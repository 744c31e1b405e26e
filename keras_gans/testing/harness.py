"""The shared test harness every GAN family's tests reuse.

A family's test file subclasses `GANFamilyTests` and says how to build a tiny
instance; the harness then checks the contracts of the base class:

* `fit` on two tiny batches logs finite values for every metric;
* a D step changes D's trainable weights and leaves G's unchanged, a G step
  the reverse (families whose D renormalizes itself in training mode, like
  spectral normalization, declare it);
* `get_config`/`from_config` and a `.keras` file round-trip give the same
  `generate(z)`, and the `.keras` file restores both optimizers' iterations;
* the exported SavedModel reproduces `generate(z)` (reloaded by a process
  that imports only TensorFlow where `export_in_fresh_process` is set).

Example:

>>> class TestDCGAN(GANFamilyTests):  # doctest: +SKIP
...     def make_model(self):
...         return DCGAN(resolution=28, width=4, latent_dim=8)
"""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import keras
import pytest
import tensorflow as tf


def trainable_snapshot(model):
    return [np.array(v.numpy()) for v in model.trainable_variables]


def changed(before, after, atol=0.0):
    return [not np.allclose(b, a, atol=atol, rtol=0) for b, a in zip(before, after)]


def image_shape(model):
    shape = model.discriminator.inputs[0].shape
    return tuple(int(s) for s in shape[1:])


class GANFamilyTests:
    """Mixin of contract tests; subclasses define `make_model`."""

    batch_size = 4
    #: Set when D's training-mode forward pass changes its own weights (e.g.
    #: spectral normalization renormalizes the kernel); the G-step test then
    #: only requires G to change.
    generator_step_may_change_discriminator = False
    #: Compile options of the tiny model.
    compile_kwargs = {}
    #: Reload the export in a process that imports only TensorFlow (about 5 s
    #: of TensorFlow start-up per family); the others reload it in-process.
    export_in_fresh_process = False

    def make_model(self):
        raise NotImplementedError

    # ------------------------------------------------------------- helpers
    def build(self):
        keras.utils.set_random_seed(0)
        model = self.make_model()
        model.compile(**self.compile_kwargs)
        return model

    def make_batch(self, model, seed=0):
        rng = np.random.default_rng(seed)
        shape = (self.batch_size,) + image_shape(model)
        images = np.tanh(rng.standard_normal(shape)).astype(np.float32)
        if getattr(model, "num_classes", None):
            labels = rng.integers(0, model.num_classes, self.batch_size).astype(np.int32)
            return images, labels
        return images, None

    def make_dataset(self, model, batches=2):
        elems = [self.make_batch(model, seed=i) for i in range(batches)]
        images = np.concatenate([e[0] for e in elems])
        if elems[0][1] is None:
            return tf.data.Dataset.from_tensor_slices(images).batch(self.batch_size)
        labels = np.concatenate([e[1] for e in elems])
        return tf.data.Dataset.from_tensor_slices((images, labels)).batch(self.batch_size)

    def fixed_inputs(self, model, n=3):
        z = model.latents(n, seed=123)
        labels = None
        if getattr(model, "num_classes", None):
            labels = np.arange(n) % model.num_classes
        return z, labels

    @pytest.fixture(scope="class")
    def fitted(self):
        """One model per family trained on two tiny batches (traced once for
        the tests that only read it)."""
        model = self.build()
        history = model.fit(self.make_dataset(model), epochs=1, verbose=0)
        return model, history

    # --------------------------------------------------------------- tests
    def test_fit_logs_finite(self, fitted):
        model, history = fitted
        for key in model.metric_names():
            assert key in history.history, f"{key} missing from the logs"
            value = history.history[key][-1]
            assert np.isfinite(value), f"{key} is not finite: {value}"
        assert int(model.g_optimizer.iterations.numpy()) == 2
        assert int(model.rng_step.numpy()) == 2

    def test_discriminator_step_changes_only_discriminator(self):
        model = self.build()
        real, labels = self.make_batch(model)
        g0, d0 = trainable_snapshot(model.generator), trainable_snapshot(model.discriminator)
        model.discriminator_step(tf.constant(real), None if labels is None else tf.constant(labels))
        g1, d1 = trainable_snapshot(model.generator), trainable_snapshot(model.discriminator)
        assert not any(changed(g0, g1)), "a D step changed G's weights"
        assert any(changed(d0, d1)), "a D step left D unchanged"

    def test_generator_step_changes_only_generator(self):
        model = self.build()
        real, labels = self.make_batch(model)
        g0, d0 = trainable_snapshot(model.generator), trainable_snapshot(model.discriminator)
        model.generator_step(self.batch_size, None if labels is None else tf.constant(labels),
                             real=tf.constant(real))
        g1, d1 = trainable_snapshot(model.generator), trainable_snapshot(model.discriminator)
        assert any(changed(g0, g1)), "a G step left G unchanged"
        if not self.generator_step_may_change_discriminator:
            assert not any(changed(d0, d1)), "a G step changed D's weights"

    def test_config_roundtrip(self):
        model = self.build()
        clone = type(model).from_config(json.loads(json.dumps(model.get_config())))
        clone.set_weights(model.get_weights())
        z, labels = self.fixed_inputs(model)
        np.testing.assert_allclose(clone.generate(z, labels), model.generate(z, labels),
                                   atol=1e-6)

    def test_keras_file_roundtrip(self, fitted, tmp_path):
        model, _ = fitted
        path = os.path.join(tmp_path, "model.keras")
        model.save(path)
        loaded = keras.saving.load_model(path)
        z, labels = self.fixed_inputs(model)
        np.testing.assert_allclose(loaded.generate(z, labels), model.generate(z, labels),
                                   atol=1e-6)
        for name in ("d_optimizer", "g_optimizer"):
            a, b = getattr(model, name), getattr(loaded, name)
            assert int(b.iterations.numpy()) == int(a.iterations.numpy()) > 0, name
            for va, vb in zip(a.variables, b.variables):
                np.testing.assert_array_equal(va.numpy(), vb.numpy())
        assert int(loaded.rng_step.numpy()) == int(model.rng_step.numpy())

    def test_export_reload(self, fitted, tmp_path):
        from keras_gans.export import export_savedmodel

        model, _ = fitted
        path = export_savedmodel(model, os.path.join(tmp_path, "sm", "tiny"))
        z, labels = self.fixed_inputs(model)
        ref = model.generate(z, labels)
        if not self.export_in_fresh_process:
            # The artifact's functions are graphs: loading it here runs none of
            # the model's Python code either (a few families check a process
            # that never imports keras_gans, below).
            loaded = tf.saved_model.load(path)
            feed = {"z": tf.constant(z)}
            if labels is not None:
                feed["labels"] = tf.constant(labels.astype(np.int32))
            out = loaded.signatures["generate"](**feed)["images"].numpy()
            u8 = loaded.signatures["serving_default"](**feed)["images"].numpy()
            np.testing.assert_allclose(out, ref, atol=1e-5)
            assert u8.dtype == np.uint8
            assert np.abs(u8.astype(int) - np.rint((ref + 1) * 127.5)).max() <= 1
            return
        np.save(os.path.join(tmp_path, "z.npy"), z)
        np.save(os.path.join(tmp_path, "ref.npy"), ref)
        feed = "z=tf.constant(np.load(d + '/z.npy'))"
        if labels is not None:
            np.save(os.path.join(tmp_path, "labels.npy"), labels.astype(np.int32))
            feed += ", labels=tf.constant(np.load(d + '/labels.npy'))"
        code = textwrap.dedent(f"""
            import sys, numpy as np, tensorflow as tf
            d = {str(tmp_path)!r}
            m = tf.saved_model.load({path!r})
            out = m.signatures["generate"]({feed})["images"].numpy()
            u8 = m.signatures["serving_default"]({feed})["images"].numpy()
            ref = np.load(d + '/ref.npy')
            print("keras_gans" in sys.modules, float(np.abs(out - ref).max()),
                  u8.dtype, int(np.abs(u8.astype(int) - np.rint((ref + 1) * 127.5)).max()))
        """)
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                env=env, timeout=300, cwd=str(tmp_path))
        assert result.returncode == 0, result.stderr[-3000:]
        imported, diff, dtype, u8diff = result.stdout.split()[-4:]
        assert imported == "False", "the loading process imported keras_gans"
        assert float(diff) < 1e-5, f"exported images differ by {diff}"
        assert dtype == "uint8" and int(u8diff) <= 1
