"""`TranslationGAN`: the base of the image-to-image translation families.

pix2pix, CycleGAN, StarGAN and StarGAN v2 map an input IMAGE (plus a target
domain, a latent `z` or a reference image) to an image, instead of sampling
from noise. They share with the sampling `GAN` everything in
`keras_gans.models.core.AdversarialModel` (the global-batch reduction, the
in-graph non-finite skip in `apply_gradients`, log trackers, replica-exact
noise streams, EMA, declared compile options and their `.keras` round trip)
and add here:

* `translate(images_uint8, target_domain=None, z=None, reference=None, seed=0,
  training=False) -> uint8`, the public API the CLI calls
  (`keras-gans translate NAME input.png|folder -o out.png [--domain D] [--seed S]`):
  images are uint8 (N, H, W, C) (or floats in [-1, 1]); `target_domain` is an
  int or a domain name (one for all, or one per image); `z` / `reference` /
  `seed` choose the style of the multi-modal families (StarGAN v2);
  `training=True` runs BatchNorm on the batch's statistics and dropout on, as
  pix2pix samples at test time (Isola et al. 2017, 2.1: "we apply dropout at
  test time, and we apply batch normalization using the statistics of the test
  batch"); the default `training=False` uses BN's moving statistics and no
  dropout (deterministic; `translate_float` is the float version);
* export: `serving_default(images uint8 [None, H, W, C] [, target_domain int32]
  [, z | reference])` -> `{"images": uint8}` and `translate` (float32 in
  [-1, 1] -> float32), with in-graph checks of the image shape, the float
  range and the domain range, pure functions of their inputs;
* `HoldThenLinearDecay`, the learning-rate schedule of CycleGAN and StarGAN
  (constant, then linear to 0);
* a registry of translation families (`translation_families()`), kept apart
  from the sampling families' (their tests feed noise, these feed images).

Example:

>>> model = keras_gans.models.Pix2Pix(resolution=32, channels=1)  # doctest: +SKIP
>>> model.compile()  # Adam(2e-4, 0.5), lambda_l1=100: the paper's defaults  # doctest: +SKIP
>>> model.fit(task.dataset(batch_size=16), epochs=1)  # doctest: +SKIP
>>> out = model.translate(edges_uint8)  # uint8 (N, 32, 32, 1)  # doctest: +SKIP
"""

import difflib

import keras
import numpy as np
import tensorflow as tf

from keras_gans.data.validation import to_uint8
from keras_gans.models.core import AdversarialModel

TRANSLATION_FAMILIES = {}


def register_translation_family(key):
    """Class decorator: registers a translation family under `key` (and with Keras)."""

    def wrap(cls):
        if key in TRANSLATION_FAMILIES and TRANSLATION_FAMILIES[key] is not cls:
            raise ValueError(f"A translation family is already registered as {key!r}.")
        cls.family = key
        keras.saving.register_keras_serializable(package="keras_gans")(cls)
        TRANSLATION_FAMILIES[key] = cls
        return cls

    return wrap


def translation_families():
    """Keys of the registered translation families, sorted."""
    return sorted(TRANSLATION_FAMILIES)


def get_translation_family(name):
    """The translation family class registered as `name` (e.g. "pix2pix")."""
    key = str(name).lower()
    if key not in TRANSLATION_FAMILIES:
        close = difflib.get_close_matches(key, TRANSLATION_FAMILIES, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise ValueError(f"Unknown translation family {name!r}.{hint} Available: "
                         f"{', '.join(translation_families())}.")
    return TRANSLATION_FAMILIES[key]


@keras.saving.register_keras_serializable(package="keras_gans")
class HoldThenLinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Constant for `hold_steps`, then linear to 0 over `decay_steps`.

    CycleGAN (Zhu et al. 2017, 7.1): "We keep the same learning rate for the
    first 100 epochs and linearly decay the rate to zero over the next 100
    epochs"; StarGAN: constant for 10 epochs (CelebA), then linear to 0 over
    the next 10. Steps count the optimizer's updates.

    Example:

    >>> lr = HoldThenLinearDecay(2e-4, hold_steps=10, decay_steps=10)
    >>> [round(float(lr(s)), 6) for s in (0, 10, 15, 20, 30)]
    [0.0002, 0.0002, 0.0001, 0.0, 0.0]
    """

    def __init__(self, learning_rate, hold_steps, decay_steps):
        self.learning_rate = float(learning_rate)
        self.hold_steps = int(hold_steps)
        self.decay_steps = int(decay_steps)
        if self.hold_steps < 0 or self.decay_steps < 1:
            raise ValueError(f"hold_steps must be >= 0 and decay_steps >= 1; got "
                             f"{hold_steps} and {decay_steps}.")

    def __call__(self, step):
        step = tf.cast(step, tf.float32)
        past = tf.clip_by_value(step - self.hold_steps, 0.0, float(self.decay_steps))
        return self.learning_rate * (1.0 - past / self.decay_steps)

    def get_config(self):
        return {"learning_rate": self.learning_rate, "hold_steps": self.hold_steps,
                "decay_steps": self.decay_steps}


def checked_images(images, shape, float_range):
    """`images` with in-graph checks of the spatial shape and (floats) the range."""
    checks = [tf.debugging.assert_equal(
        tf.shape(images)[1:], tf.constant(shape, tf.int32),
        message=f"images must have shape [N, {shape[0]}, {shape[1]}, {shape[2]}]")]
    if float_range:
        checks.append(tf.debugging.Assert(
            tf.logical_and(tf.reduce_all(images >= -1.0), tf.reduce_all(images <= 1.0)),
            ["images must lie in [-1, 1] (uint8 / 127.5 - 1)"]))
    with tf.control_dependencies(checks):
        return tf.identity(images)


def checked_domains(domains, num_domains, batch):
    """`domains` with in-graph checks: one per image, in [0, num_domains)."""
    checks = [
        tf.debugging.Assert(tf.logical_and(tf.reduce_all(domains >= 0),
                                           tf.reduce_all(domains < num_domains)),
                            [f"target_domain must lie in [0, {num_domains - 1}]; got", domains]),
        tf.debugging.assert_equal(tf.shape(domains)[0], batch,
                                  message="target_domain needs one value per image"),
    ]
    with tf.control_dependencies(checks):
        return tf.identity(domains)


class TranslationGAN(AdversarialModel):
    """Base of the image-to-image translation models (see the module docstring).

    Subclasses build their networks, define `train_step`, `discriminator_step`
    and `generator_step` (each `(batch) -> logged terms`), the optimizers
    (`optimizer_names`, `optimizer_variables`) and `translate_batch`, the
    in-graph translation both `translate` and the export run.

    Args:
        resolution: image height = width (a power of two).
        channels: channels of the source images.
        target_channels: channels of the outputs (default: `channels`).
        domain_names: names of the domains (used by `translate(target_domain=
            "name")` and the CLI's `--domain`).
        seed: seed of the noise streams.
    """

    family = "translation"
    #: "paired" (source, target), "unpaired" (a, b) or "domains" (images, domains).
    data_kind = "paired"
    #: Whether the model takes a target domain (StarGAN, StarGAN v2).
    uses_domains = False
    #: Whether outputs may have other channels than inputs (pix2pix).
    separate_target_channels = False
    #: Constructor arguments of a tiny instance (the tests run on it).
    example_config = None
    base_metric_names = ("d_loss", "g_loss")

    def __init__(self, resolution, channels=1, target_channels=None, domain_names=None,
                 seed=0, **kwargs):
        super().__init__(seed=seed, **kwargs)
        from keras_gans.models.translation_networks import check_resolution

        self.resolution = check_resolution(resolution)
        self.channels = int(channels)
        self.target_channels = self.channels if target_channels is None else int(target_channels)
        if self.channels < 1 or self.target_channels < 1:
            raise ValueError(f"channels must be >= 1; got {channels} and {target_channels}.")
        self.domain_names = None if domain_names is None else tuple(str(d) for d in domain_names)

    # ------------------------------------------------------------- config
    def translation_config(self):
        config = {"resolution": self.resolution, "channels": self.channels,
                  "domain_names": None if self.domain_names is None else list(self.domain_names),
                  "seed": self.seed}
        if self.separate_target_channels:
            config["target_channels"] = self.target_channels
        return config

    def architecture_config(self):
        """The family's network hyperparameters (merged into `get_config`)."""
        return {}

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable, **self.translation_config(),
                **self.architecture_config()}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if not cls.separate_target_channels:
            # Files written before the key was dropped for such models.
            config.pop("target_channels", None)
        return cls(**config)

    @property
    def image_shape(self):
        return (self.resolution, self.resolution, self.channels)

    @property
    def num_domains(self):
        """Number of target domains (None for single-mapping models)."""
        return None

    def export_metadata(self):
        meta = {"task": "translation", "data_kind": self.data_kind,
                "image_shape": list(self.image_shape), "target_channels": self.target_channels}
        if self.domain_names is not None:
            meta["domain_names"] = list(self.domain_names)
        return meta

    # ---------------------------------------------------------- data
    def unpack_batch(self, data):
        """(first, second) of a dataset element: (source, target), (a, b) or
        (images, domains)."""
        if isinstance(data, dict):
            keys = {"paired": ("source", "target"), "unpaired": ("a", "b"),
                    "domains": ("images", "domains")}[self.data_kind]
            return data[keys[0]], data[keys[1]]
        if not isinstance(data, (tuple, list)) or len(data) != 2:
            raise ValueError(
                f"{type(self).__name__} trains on {self.data_kind} data: dataset elements "
                "must be 2-tuples (see keras_gans.data.paired); got "
                f"{type(data).__name__}.")
        return data[0], data[1]

    # ------------------------------------------------------- translation
    def domain_index(self, domain):
        """An int domain index from an int or a domain name."""
        if isinstance(domain, str):
            names = self.domain_names or ()
            if domain in names:
                return names.index(domain)
            if domain.lstrip("-").isdigit():
                return int(domain)
            raise ValueError(f"Unknown domain {domain!r}; the domains are "
                             f"{list(names) or 'numbered'} (or pass an index).")
        return int(domain)

    def check_target_domains(self, target_domain, n):
        """int32 (n,) target domains, or None for models without domains."""
        count = self.num_domains
        if not self.uses_domains:
            if target_domain is not None and self.domain_index(target_domain) != (count or 1) - 1:
                raise ValueError(f"{type(self).__name__} translates to one domain; do not pass "
                                 "target_domain.")
            return None
        if target_domain is None:
            raise ValueError(f"{type(self).__name__} needs target_domain: an index in "
                             f"[0, {count - 1}] or a name in {list(self.domain_names or ())}.")
        if isinstance(target_domain, (str, int, np.integer)):
            domains = np.full((n,), self.domain_index(target_domain), np.int64)
        else:
            domains = np.asarray([self.domain_index(d) for d in np.ravel(target_domain)])
        if domains.shape != (n,):
            raise ValueError(f"target_domain must be one value or one per image ({n}); got "
                             f"{domains.shape[0]}.")
        if domains.min() < 0 or domains.max() >= count:
            raise ValueError(f"target_domain must lie in [0, {count - 1}]; got values in "
                             f"[{domains.min()}, {domains.max()}].")
        return domains.astype(np.int32)

    def check_images(self, images, name="images"):
        """Float32 [-1, 1] (N, H, W, C) from uint8 [0, 255] or float [-1, 1] images.

        RGB images given to a one-channel model are converted to gray (ITU-R
        601-2 luma, as PIL's `convert("L")`); anything else must match the
        model's channels and size.
        """
        from keras_gans.data.validation import validate_images

        array = np.asarray(images)
        if array.ndim == 3 and self.channels == 1 and array.shape[-1] != 1:
            array = array[..., None]
        if array.ndim == 4 and self.channels == 1 and array.shape[-1] == 3:
            # RGB into a gray model (e.g. a PNG read as RGB): PIL's "L"
            # conversion, ITU-R 601-2 luma.
            luma = array.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
            array = (np.rint(luma).astype(np.uint8) if array.dtype == np.uint8
                     else luma.astype(np.float32))[..., None]
        if array.ndim == 3 and array.shape == self.image_shape:
            raise ValueError(f"{name} must be a batch (N, {', '.join(map(str, self.image_shape))}"
                             f"); got one image of shape {array.shape}: pass images[None].")
        if array.dtype == np.uint8:
            validate_images(array, name=name, channels=self.channels)
            array = array.astype(np.float32) / 127.5 - 1.0
        else:
            validate_images(array, name=name, channels=self.channels, value_range=(-1.0, 1.0))
            array = array.astype(np.float32)
        if array.shape[1:3] != self.image_shape[:2]:
            raise ValueError(f"{name} must be {self.resolution}x{self.resolution}; got "
                             f"{array.shape[1]}x{array.shape[2]}. Resize (or pad 28x28 "
                             "Fashion-MNIST with keras_gans.data.translation_tasks.pad_to_32).")
        return array

    def translate_batch(self, images, target_domain=None, z=None, reference=None,
                        training=False):
        """In-graph translation of float [-1, 1] images (tensors in, tensor out)."""
        raise NotImplementedError

    def style_inputs(self, n, z=None, reference=None, seed=0, target_domain=None):
        """(z, reference) for the multi-modal families; (None, None) otherwise."""
        if z is not None or reference is not None:
            raise ValueError(f"{type(self).__name__} is deterministic given its input; do not "
                             "pass z or reference.")
        return None, None

    def translate_float(self, images, target_domain=None, z=None, reference=None, seed=0,
                        training=False, batch_size=64):
        """Float32 [-1, 1] translations of `images` (see `translate`)."""
        images = self.check_images(images)
        n = len(images)
        domains = self.check_target_domains(target_domain, n)
        z, reference = self.style_inputs(n, z, reference, seed, domains)
        out = []
        for i in range(0, n, batch_size):
            rows = slice(i, i + batch_size)
            out.append(np.asarray(self.translate_batch(
                tf.constant(images[rows]),
                None if domains is None else tf.constant(domains[rows]),
                None if z is None else tf.constant(z[rows]),
                None if reference is None else tf.constant(reference[rows]),
                training=training)))
        return np.concatenate(out, axis=0)

    def translate(self, images, target_domain=None, z=None, reference=None, seed=0,
                  training=False, batch_size=64):
        """uint8 translations of `images` (uint8 [0, 255] or float [-1, 1], (N, H, W, C)).

        Args:
            images: the inputs.
            target_domain: for multi-domain models, an index or name (one for
                all images or one per image).
            z: latents of the multi-modal families, (N, latent_dim); default:
                drawn from `seed`.
            reference: reference images whose style is used (StarGAN v2).
            seed: seed of the latents when `z` is not given.
            training: BatchNorm on batch statistics and dropout on, as pix2pix
                samples (default False: moving statistics, no dropout).
        """
        return to_uint8(self.translate_float(images, target_domain, z, reference, seed,
                                             training, batch_size))

    # ------------------------------------------------------------ export
    def export_resources(self):
        return list(self.inference_networks())

    def inference_networks(self):
        """The networks the exported endpoints use (EMA copies when kept)."""
        raise NotImplementedError

    def extra_signature(self):
        """TensorSpecs after `images` (and `target_domain`): z or reference."""
        return []

    def export_endpoints(self):
        """`serving_default` (uint8 in, uint8 out) and `translate` (floats)."""
        from keras_gans.export.savedmodel import images_to_uint8

        shape = self.image_shape
        num_domains = self.num_domains
        uses_domains = self.uses_domains
        extra = self.extra_signature()
        translate = self.translate_batch

        def run(images, rest, float_range):
            images = checked_images(images, shape, float_range)
            rest = list(rest)
            domains = None
            if uses_domains:
                domains = checked_domains(rest.pop(0), num_domains, tf.shape(images)[0])
            style = dict(zip([s.name for s in extra], rest))
            return translate(images, domains, style.get("z"), style.get("reference"),
                             training=False)

        domain_spec = [tf.TensorSpec([None], tf.int32, name="target_domain")] if uses_domains \
            else []
        u8 = [tf.TensorSpec([None, *shape], tf.uint8, name="images")] + domain_spec + extra
        f32 = [tf.TensorSpec([None, *shape], tf.float32, name="images")] + domain_spec + extra

        def serve_rest(images, rest):
            x = tf.cast(images, tf.float32) / 127.5 - 1.0
            return {"images": images_to_uint8(run(x, rest, False))}

        def float_rest(images, rest):
            return {"images": run(images, rest, True)}

        # One fixed arity per signature: ExportArchive traces named arguments.
        arity = len(u8)
        if arity == 1:
            def serve(images):
                return serve_rest(images, ())

            def translate_floats(images):
                return float_rest(images, ())
        elif arity == 2:
            def serve(images, second):
                return serve_rest(images, (second,))

            def translate_floats(images, second):
                return float_rest(images, (second,))
        elif arity == 3:
            def serve(images, second, third):
                return serve_rest(images, (second, third))

            def translate_floats(images, second, third):
                return float_rest(images, (second, third))
        else:
            raise ValueError(f"Unsupported export signature of {arity} inputs.")
        return [("serving_default", serve, u8), ("translate", translate_floats, f32)]

    # ------------------------------------------------------------- misc
    def call(self, inputs, training=False):
        """Translates float images (and domains) with the training networks."""
        if self.uses_domains:
            images, domains = inputs
            return self.translate_batch(images, domains, training=training)
        return self.translate_batch(inputs, training=training)

    def fit(self, x=None, *args, shuffle=None, **kwargs):
        # keras_gans.data pipelines shuffle themselves; Keras's default
        # shuffle=True would only warn that it ignores it.
        if shuffle is None:
            shuffle = not isinstance(x, tf.data.Dataset)
        return super().fit(x, *args, shuffle=shuffle, **kwargs)

    def test_step(self, data):
        raise NotImplementedError(f"{type(self).__name__} has no evaluate(); use "
                                  "scripts/bench_translation.py's metrics.")
