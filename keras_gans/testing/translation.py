"""The shared test harness of the translation families (pix2pix, CycleGAN, StarGANs).

The translation counterpart of `keras_gans.testing.GANFamilyTests`: a test
class subclasses `TranslationFamilyTests` and sets `family` (the class; its
`example_config` is the tiny instance). One model is trained per test class
(class-scoped fixtures: the single-device model of the replica check, one
SGD step), and the contracts checked are:

* `fit` on a tiny batch logs finite values for every metric and advances
  the optimizers (by their updates per step) and the RNG step counter once;
* `discriminator_step` changes only D's weights, `generator_step` only G's;
* repeated `generator_step`s with plain SGD lower G's loss on a fixed batch,
  repeated `discriminator_step`s D's (Adam ignores a gradient's scale and
  sign errors can hide under it);
* `get_config`/`from_config` and a `.keras` file give the same translations,
  and the `.keras` file restores every optimizer's iterations and variables,
  the RNG counter and all state variables (e.g. CycleGAN's image pools);
* the exported SavedModel, loaded by a process importing only TensorFlow,
  reproduces `translate` (floats and uint8), and its in-graph checks refuse
  out-of-range domains and floats;
* one step on two replicas equals one step on one device
  (`keras_gans.testing.distribute.assert_same_step`).

Example:

>>> class TestPix2Pix(TranslationFamilyTests):  # doctest: +SKIP
...     family = Pix2Pix
"""

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gans.testing.distribute import assert_same_step, two_device_strategy


def example_batch(model, batch_size, seed=0):
    """A tiny training batch of the kind `model` trains on (numpy)."""
    rng = np.random.default_rng(seed)
    shape = (batch_size,) + model.image_shape
    first = np.tanh(rng.standard_normal(shape)).astype(np.float32)
    if model.data_kind == "domains":
        return first, (np.arange(batch_size) % model.num_domains).astype(np.int32)
    target_shape = shape[:-1] + (model.target_channels,)
    return first, np.tanh(rng.standard_normal(target_shape)).astype(np.float32)


def example_dataset(model, batch_size, batches=2):
    elems = [example_batch(model, batch_size, seed=i) for i in range(batches)]
    first = np.concatenate([e[0] for e in elems])
    second = np.concatenate([e[1] for e in elems])
    return tf.data.Dataset.from_tensor_slices((first, second)).batch(batch_size)


def example_translation_inputs(model, n=3):
    """(uint8 images, target_domain or None, translate kwargs) for fixed outputs."""
    images = np.random.default_rng(123).integers(0, 256, (n,) + model.image_shape,
                                                 dtype=np.uint8)
    domains = (np.arange(n) % model.num_domains).astype(np.int32) if model.uses_domains \
        else None
    return images, domains


def tiny_compiled(cls, config=None, **compile_kwargs):
    keras.utils.set_random_seed(0)
    model = cls(**(config or cls.example_config))
    model.compile(**compile_kwargs)
    return model


def translation_step_on_one_and_two_replicas(cls, global_batch=4, strategy=None,
                                             compile_kwargs=None):
    """One `fit` step of `cls(**cls.example_config)` on one device and on 2 replicas.

    Returns the dict `keras_gans.testing.distribute.assert_same_step` checks.
    """
    strategy = strategy or two_device_strategy()
    single = tiny_compiled(cls, **(compile_kwargs or {}))
    initial = single.get_weights()
    data = example_dataset(single, global_batch, batches=1)
    h1 = single.fit(data, epochs=1, verbose=0)
    with strategy.scope():
        mirrored = tiny_compiled(cls, **(compile_kwargs or {}))
        mirrored.set_weights(initial)
    h2 = mirrored.fit(data, epochs=1, verbose=0)
    return {"names": [v.path for v in single.weights], "initial": initial,
            "single": single.get_weights(), "mirrored": mirrored.get_weights(),
            "single_logs": h1.history, "mirrored_logs": h2.history,
            "metric_names": single.metric_names(), "single_model": single,
            "single_history": h1}


def _snapshot(variables):
    return [np.array(v.numpy()) for v in variables]


def _changed(before, after):
    return [not np.array_equal(b, a) for b, a in zip(before, after)]


class TranslationFamilyTests:
    """Mixin of contract tests; subclasses set `family` (a TranslationGAN class)."""

    family = None
    batch_size = 2
    compile_kwargs = {}
    #: Compile options of the loss-decrease test (SGD: the update direction shows).
    sgd_learning_rate = 1e-3
    #: D's rate in that test: small enough that the tiny D's piecewise-linear
    #: units keep their pattern (StarGAN's GP jumps when they flip).
    discriminator_sgd_learning_rate = 1e-2
    #: Optimizer updates per train step (StarGAN: {"d_optimizer": 5}); default 1.
    updates_per_step = {}
    #: SGD rate of the 1-vs-2-replica step. A family whose step makes several
    #: updates in a row may need it smaller: the later updates' gradients are
    #: taken at the weights the earlier ones reached, and where a unit sits at
    #: a kink there (an L1 term or ReLU near 0), float rounding between one and
    #: two devices flips its subgradient. A reduction error still shows: a
    #: gradient N times too large moves the weights N times as far.
    replica_sgd_learning_rate = 1e-2

    def make_model(self, **compile_kwargs):
        return tiny_compiled(self.family, **{**self.compile_kwargs, **compile_kwargs})

    def discriminator_variables(self, model):
        return model.optimizer_variables("d_optimizer")

    def generator_variables(self, model):
        return model.optimizer_variables("g_optimizer")

    @pytest.fixture(scope="class")
    def replica_run(self):
        """One `fit` step on one device and on two replicas, under plain SGD
        (Adam's first step is lr * sign(g) and would hide a gradient scaled by
        the number of replicas). Its single-device model is the trained
        model the other tests read: one traced step per family, not two."""
        # Configs, not instances: each of the two models builds its own.
        optimizers = {name: keras.optimizers.serialize(
                          keras.optimizers.SGD(self.replica_sgd_learning_rate))
                      for name in self.family.optimizer_names}
        return translation_step_on_one_and_two_replicas(
            self.family, global_batch=2 * self.batch_size,
            compile_kwargs={**self.compile_kwargs, **optimizers})

    @pytest.fixture(scope="class")
    def trained(self, replica_run):
        return replica_run["single_model"], replica_run["single_history"]

    # ------------------------------------------------------------- tests
    def test_fit_logs_finite_and_counts_steps(self, trained):
        model, history = trained
        for key in model.metric_names():
            assert key in history.history, f"{key} missing from the logs"
            assert np.isfinite(history.history[key][-1]), f"{key} is not finite"
        for name in model.optimizer_names:
            expected = self.updates_per_step.get(name, 1)
            assert int(getattr(model, name).iterations.numpy()) == expected, name
        assert int(model.rng_step.numpy()) == 1

    def test_steps_change_only_their_network(self):
        model = self.make_model()
        batch = tuple(tf.constant(x) for x in example_batch(model, self.batch_size))
        g0 = _snapshot(self.generator_variables(model))
        d0 = _snapshot(self.discriminator_variables(model))
        model.discriminator_step(batch)
        g1 = _snapshot(self.generator_variables(model))
        d1 = _snapshot(self.discriminator_variables(model))
        assert not any(_changed(g0, g1)), "a D step changed G's weights"
        assert any(_changed(d0, d1)), "a D step left D unchanged"
        model.generator_step(batch)
        g2 = _snapshot(self.generator_variables(model))
        d2 = _snapshot(self.discriminator_variables(model))
        assert any(_changed(g1, g2)), "a G step left G unchanged"
        assert not any(_changed(d1, d2)), "a G step changed D's weights"

    def test_generator_steps_lower_generator_loss(self):
        optimizers = {name: keras.optimizers.SGD(self.sgd_learning_rate)
                      for name in self.family.optimizer_names}
        model = self.make_model(**optimizers)
        batch = tuple(tf.constant(x) for x in example_batch(model, self.batch_size))
        # generator_step returns the terms before its update.
        losses = [float(np.mean(model.generator_step(batch)["g_loss"])) for _ in range(6)]
        assert losses[-1] < losses[0], f"G's loss did not go down under SGD: {losses}"

    def test_discriminator_steps_lower_discriminator_loss(self):
        optimizers = {name: keras.optimizers.SGD(self.discriminator_sgd_learning_rate)
                      for name in self.family.optimizer_names}
        model = self.make_model(**optimizers)
        batch = tuple(tf.constant(x) for x in example_batch(model, self.batch_size))
        losses = []
        for _ in range(6):
            # The same fakes, targets and penalty points every step: only the
            # update moves the loss. discriminator_step returns the terms
            # before its update.
            model.rng_step.assign(0)
            model.reset_draws()
            losses.append(float(np.mean(model.discriminator_step(batch)["d_loss"])))
        assert losses[-1] < losses[0], f"D's loss did not go down under SGD: {losses}"

    def test_config_roundtrip(self, trained):
        model, _ = trained
        clone = type(model).from_config(json.loads(json.dumps(model.get_config())))
        clone.set_weights(model.get_weights())
        images, domains = example_translation_inputs(model)
        np.testing.assert_allclose(clone.translate_float(images, domains),
                                   model.translate_float(images, domains), atol=1e-6)

    def test_keras_file_roundtrip(self, trained, tmp_path):
        model, _ = trained
        path = os.path.join(tmp_path, "model.keras")
        model.save(path)
        loaded = keras.saving.load_model(path)
        images, domains = example_translation_inputs(model)
        np.testing.assert_allclose(loaded.translate_float(images, domains),
                                   model.translate_float(images, domains), atol=1e-6)
        for name in model.optimizer_names:
            a, b = getattr(model, name), getattr(loaded, name)
            assert int(b.iterations.numpy()) == int(a.iterations.numpy()) > 0, name
            for va, vb in zip(a.variables, b.variables):
                np.testing.assert_array_equal(va.numpy(), vb.numpy())
        for va, vb in zip(model.weights, loaded.weights):
            np.testing.assert_array_equal(va.numpy(), vb.numpy(), err_msg=va.path)
        assert loaded.get_compile_config() == model.get_compile_config()

    def test_export_reload_in_fresh_process(self, trained, tmp_path):
        from keras_gans.export import export_savedmodel

        model, _ = trained
        path = export_savedmodel(model, os.path.join(tmp_path, "sm", "tiny"))
        images, domains = example_translation_inputs(model)
        np.save(os.path.join(tmp_path, "images.npy"), images)
        np.save(os.path.join(tmp_path, "ref.npy"), model.translate_float(images, domains))
        feed = "images=tf.constant(x)"
        floats = "images=tf.constant(x.astype('float32') / 127.5 - 1)"
        style = ""
        if any(spec.name == "z" for spec in model.extra_signature()):
            # translate_float's default: z drawn from seed 0.
            np.save(os.path.join(tmp_path, "z.npy"), model.latents(len(images), seed=0))
            style = ", z=tf.constant(np.load(d + '/z.npy'))"
        bad = None
        if domains is not None:
            np.save(os.path.join(tmp_path, "domains.npy"), domains)
            feed += ", target_domain=tf.constant(np.load(d + '/domains.npy'))"
            floats += ", target_domain=tf.constant(np.load(d + '/domains.npy'))"
            bad = (f"images=tf.constant(x), target_domain=tf.constant("
                   f"np.full([{len(images)}], {model.num_domains}, np.int32))") + style
        feed, floats = feed + style, floats + style
        bad_checks = [floats.replace("x.astype('float32') / 127.5 - 1", "x.astype('float32')")]
        bad_checks += [bad] if bad else []
        code = textwrap.dedent(f"""
            import sys, numpy as np, tensorflow as tf
            d = {str(tmp_path)!r}
            x = np.load(d + '/images.npy')
            m = tf.saved_model.load({path!r})
            out = m.signatures["translate"]({floats})["images"].numpy()
            u8 = m.signatures["serving_default"]({feed})["images"].numpy()
            ref = np.load(d + '/ref.npy')
            refused = 0
            for i, sig in enumerate({[("translate", c) if i == 0 else ("serving_default", c)
                                      for i, c in enumerate(bad_checks)]!r}):
                try:
                    eval("m.signatures[sig[0]](" + sig[1] + ")")
                except tf.errors.InvalidArgumentError:
                    refused += 1
            print("keras_gans" in sys.modules, float(np.abs(out - ref).max()), u8.dtype,
                  int(np.abs(u8.astype(int) - np.rint((np.clip(ref, -1, 1) + 1) * 127.5)).max()), refused)
        """)
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                env=env, timeout=300, cwd=str(tmp_path))
        assert result.returncode == 0, result.stderr[-3000:]
        imported, diff, dtype, u8diff, refused = result.stdout.split()[-5:]
        assert imported == "False", "the loading process imported keras_gans"
        assert float(diff) < 1e-5, f"exported translations differ by {diff}"
        assert dtype == "uint8" and int(u8diff) <= 1
        assert int(refused) == len(bad_checks), "an in-graph check let a bad input through"

    def test_translate_refuses_bad_images(self, trained):
        model, _ = trained
        images, domains = example_translation_inputs(model)
        with pytest.raises(ValueError, match="channel"):
            model.translate(np.zeros(images.shape[:-1] + (images.shape[-1] + 3,), np.uint8),
                            domains)
        with pytest.raises(ValueError, match=r"\[-1"):
            model.translate(images.astype(np.float32), domains)
        with pytest.raises(ValueError, match=f"{model.resolution}x{model.resolution}"):
            model.translate(images[:, :-2, :-2], domains)

    def test_one_step_on_two_replicas_matches_one_device(self, replica_run):
        assert_same_step(replica_run)
