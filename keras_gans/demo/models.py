"""The demo's view of exported SavedModels: what their signatures offer, and calls.

Nothing here imports a keras_gans model or training code: a model is a
`tf.saved_model.load` of a version directory, described by its signatures
(and by `assets.extra/keras_gans.json` when the export wrote one).
"""

import json
import math
import os

import numpy as np

MAX_BATCH = 64
MAX_WALK_STEPS = 16
MAX_MIX_SEEDS = 6
MAX_SEED = 2 ** 32 - 1


class DemoInputError(ValueError):
    """A request the demo refuses (shown to the user as it is)."""


def resolve_savedmodel(name_or_path, root=None):
    """Version directory of a preset name, a model folder or a version directory."""
    candidates = [name_or_path]
    if root is not None:
        candidates.insert(0, os.path.join(root, name_or_path))
    for path in candidates:
        if os.path.exists(os.path.join(path, "saved_model.pb")):
            return os.path.abspath(path)
        if os.path.isdir(path):
            found = sorted((int(v) for v in os.listdir(path)
                            if v.isdigit() and os.path.exists(os.path.join(path, v, "saved_model.pb"))))
            if found:
                return os.path.abspath(os.path.join(path, str(found[-1])))
    where = f" in {root}" if root else ""
    raise FileNotFoundError(
        f"No SavedModel for {name_or_path!r}{where}: pass a preset name with an export "
        "(see `keras-gans zoo list`), a folder of versions or a version directory.")


def _spec(spec):
    return {"dtype": spec.dtype.name, "shape": spec.shape.as_list()}


def seeded_latents(seed, n, dim):
    """The latents `keras_gans` models draw for `sample(n, seed)`."""
    return np.random.default_rng(seed).standard_normal((int(n), int(dim))).astype(np.float32)


def slerp(a, b, t):
    """Spherical interpolation of latent vectors (rows of `t` in [0, 1])."""
    na, nb = a / np.linalg.norm(a), b / np.linalg.norm(b)
    omega = np.arccos(np.clip(np.dot(na, nb), -1.0, 1.0))
    if omega < 1e-6:
        return (1 - t) * a + t * b
    return (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)


class DemoModel:
    """One exported model: its signatures, what the page can do with them, calls."""

    def __init__(self, name, path):
        import tensorflow as tf

        self.tf = tf
        self.name = name
        self.path = path
        self.version = int(os.path.basename(path)) if os.path.basename(path).isdigit() else None
        self._loaded = tf.saved_model.load(path)  # kept: signatures need it alive
        self.signatures = dict(self._loaded.signatures)
        meta_path = os.path.join(path, "assets.extra", "keras_gans.json")
        self.metadata = json.load(open(meta_path)) if os.path.exists(meta_path) else {}
        self.inputs = {k: {n: s for n, s in fn.structured_input_signature[1].items()}
                       for k, fn in self.signatures.items()}
        self.outputs = {k: dict(fn.structured_outputs) for k, fn in self.signatures.items()}
        serve = self.inputs.get("serving_default", {})
        images = serve.get("images")
        if images is not None and images.dtype == tf.uint8 and images.shape.rank == 4:
            self.kind = "translation"
        elif "z" in serve:
            self.kind = "generator"
        else:
            self.kind = "other"
        self.latent_dim = int(serve["z"].shape[-1]) if "z" in serve else None
        out = self.outputs.get("serving_default", {}).get("images")
        self.image_shape = out.shape.as_list()[1:] if out is not None else None
        self.num_classes = self.metadata.get("num_classes")
        self.domain_names = self.metadata.get("domain_names")
        self.num_domains = self.metadata.get("num_domains") or (
            len(self.domain_names) if self.domain_names else None)

    # ------------------------------------------------------------ description
    def describe(self):
        serve = self.inputs.get("serving_default", {})
        return {
            "name": self.name, "path": self.path, "version": self.version, "kind": self.kind,
            "family": self.metadata.get("family"), "class_name": self.metadata.get("class_name"),
            "latent_dim": self.latent_dim, "image_shape": self.image_shape,
            "conditional": "labels" in serve, "num_classes": self.num_classes,
            "truncation": "truncation_psi" in serve,
            "style_mixing": "style_mixing" in self.signatures,
            "latent_walk_w": {"mapping", "synthesis"} <= set(self.signatures),
            "domains": "target_domain" in serve, "num_domains": self.num_domains,
            "domain_names": self.domain_names,
            "signatures": {k: {"inputs": {n: _spec(s) for n, s in self.inputs[k].items()},
                               "outputs": {n: _spec(s) for n, s in self.outputs[k].items()}}
                           for k in sorted(self.signatures)},
        }

    # ------------------------------------------------------------ validation
    @staticmethod
    def _int(value, name, low, high):
        try:
            as_float = float(value)
        except (TypeError, ValueError):
            raise DemoInputError(f"{name} must be an integer; got {value!r}.") from None
        if not math.isfinite(as_float) or as_float != int(as_float):
            raise DemoInputError(f"{name} must be an integer; got {value!r}.")
        value = int(as_float)
        if not low <= value <= high:
            raise DemoInputError(f"{name} must be in [{low}, {high}]; got {value}.")
        return value

    @staticmethod
    def _psi(value):
        try:
            psi = float(value)
        except (TypeError, ValueError):
            raise DemoInputError(f"truncation psi must be a number in [0, 1]; got {value!r}.") \
                from None
        if not (math.isfinite(psi) and 0.0 <= psi <= 1.0):
            raise DemoInputError(
                f"truncation psi must be in [0, 1] (1 = no truncation); got {value}.")
        return psi

    def _call(self, signature, **inputs):
        tf = self.tf
        fn = self.signatures[signature]
        try:
            out = fn(**{k: tf.constant(v, dtype=self.inputs[signature][k].dtype)
                        for k, v in inputs.items()})
        except tf.errors.InvalidArgumentError as e:
            # The SavedModel's own in-graph checks (labels, psi, images).
            message = e.message.strip().splitlines()[0]
            raise DemoInputError(f"{self.name} refused the input: {message}") from None
        return {k: v.numpy() for k, v in out.items()}

    # ------------------------------------------------------------------ calls
    def sample(self, seed=0, batch=8, truncation_psi=1.0, label=None):
        """uint8 images `(batch, H, W, C)` from `serving_default`."""
        if self.kind != "generator":
            raise DemoInputError(f"{self.name} does not sample from latents; it translates images.")
        seed = self._int(seed, "seed", 0, MAX_SEED)
        batch = self._int(batch, "batch", 1, MAX_BATCH)
        inputs = {"z": seeded_latents(seed, batch, self.latent_dim)}
        serve = self.inputs["serving_default"]
        if "truncation_psi" in serve:
            inputs["truncation_psi"] = np.full([batch], self._psi(truncation_psi), np.float32)
        elif truncation_psi not in (None, "", 1, 1.0):
            self._psi(truncation_psi)  # still refuse nonsense
        if "labels" in serve:
            if label is None or label == "":
                labels = np.arange(batch) % (self.num_classes or 1)
            else:
                high = (self.num_classes - 1) if self.num_classes else 2 ** 31 - 1
                labels = np.full([batch], self._int(label, "class", 0, high))
            inputs["labels"] = labels.astype(np.int32)
        return self._call("serving_default", **inputs)["images"]

    def mix(self, row_seeds, col_seeds, crossover):
        """Style-mixing grid `(rows + 1) * (cols + 1)` images, row-major.

        The first row holds the column sources, the first column the row
        sources; cell (r, c) takes the styles of layers `< crossover` (coarse)
        from row r and the rest from column c.
        """
        if "style_mixing" not in self.signatures:
            raise DemoInputError(f"{self.name} has no style_mixing endpoint.")
        rows = self._seeds(row_seeds, "row seeds")
        cols = self._seeds(col_seeds, "column seeds")
        crossover = self._int(crossover, "crossover", 0, 64)
        zr = np.stack([seeded_latents(s, 1, self.latent_dim)[0] for s in rows])
        zc = np.stack([seeded_latents(s, 1, self.latent_dim)[0] for s in cols])
        sources = self.sample_z(np.concatenate([zr, zc]))
        z1 = np.repeat(zr, len(cols), axis=0)
        z2 = np.tile(zc, (len(rows), 1))
        mixed = self._call("style_mixing", z1=z1, z2=z2,
                           crossover=np.full([len(z1)], crossover, np.int32))["images"]
        blank = np.full_like(sources[:1], 255)
        cells = [blank] + [sources[len(rows) + c][None] for c in range(len(cols))]
        for r in range(len(rows)):
            cells.append(sources[r][None])
            cells.extend(mixed[r * len(cols) + c][None] for c in range(len(cols)))
        return np.concatenate(cells), len(rows) + 1

    def sample_z(self, z):
        inputs = {"z": z.astype(np.float32)}
        serve = self.inputs["serving_default"]
        if "truncation_psi" in serve:
            inputs["truncation_psi"] = np.ones([len(z)], np.float32)
        if "labels" in serve:
            inputs["labels"] = np.zeros([len(z)], np.int32)
        return self._call("serving_default", **inputs)["images"]

    def walk(self, seed_from, seed_to, steps=8, space="z"):
        """Frames of a latent walk: slerp in z, or lerp in w (mapping + synthesis)."""
        if self.kind != "generator":
            raise DemoInputError(f"{self.name} does not sample from latents.")
        a = seeded_latents(self._int(seed_from, "from seed", 0, MAX_SEED), 1, self.latent_dim)[0]
        b = seeded_latents(self._int(seed_to, "to seed", 0, MAX_SEED), 1, self.latent_dim)[0]
        steps = self._int(steps, "steps", 2, MAX_WALK_STEPS)
        t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[:, None]
        if space == "z":
            return self.sample_z(slerp(a, b, t).astype(np.float32))
        if space != "w":
            raise DemoInputError(f"space must be 'z' or 'w'; got {space!r}.")
        if not {"mapping", "synthesis"} <= set(self.signatures):
            raise DemoInputError(f"{self.name} exports no mapping/synthesis: walk in z instead.")
        w0, w1 = self._call("mapping", z=np.stack([a, b]))["w"]
        w = ((1 - t) * w0[None] + t * w1[None]).astype(np.float32)
        return self._call("synthesis", w=w)["images"]

    def _seeds(self, seeds, name):
        if isinstance(seeds, str):
            seeds = [s for s in seeds.replace(",", " ").split() if s]
        seeds = [self._int(s, name, 0, MAX_SEED) for s in (seeds or [])]
        if not 1 <= len(seeds) <= MAX_MIX_SEEDS:
            raise DemoInputError(f"give 1 to {MAX_MIX_SEEDS} {name}; got {len(seeds)}.")
        return seeds

    def translate(self, image_bytes, target_domain=None, seed=0):
        """The uploaded image translated: `(input uint8 (1, H, W, C), output uint8)`."""
        if self.kind != "translation":
            raise DemoInputError(f"{self.name} samples from latents; it does not translate.")
        import io

        from PIL import Image, UnidentifiedImageError

        h, w, c = self.inputs["serving_default"]["images"].shape.as_list()[1:]
        try:
            image = Image.open(io.BytesIO(image_bytes))
            image.load()
        except (UnidentifiedImageError, OSError, ValueError):
            raise DemoInputError(
                "The upload is not an image PIL can read (PNG, JPEG, ...): choose an image "
                "file.") from None
        image = image.convert("L" if c == 1 else "RGB")
        if image.size != (w, h):
            image = image.resize((w, h), Image.BILINEAR)
        x = np.asarray(image, np.uint8).reshape(1, h, w, c)
        inputs = {"images": x}
        serve = self.inputs["serving_default"]
        for key, spec in serve.items():
            if key == "images":
                continue
            if key == "target_domain":
                high = (self.num_domains - 1) if self.num_domains else 2 ** 31 - 1
                inputs[key] = np.array([self._int(target_domain, "target domain", 0, high)],
                                       np.int32)
            elif key == "z":
                inputs[key] = seeded_latents(self._int(seed, "seed", 0, MAX_SEED), 1,
                                             spec.shape[-1])
            elif key == "reference":
                inputs[key] = x  # the upload is its own style reference
            else:
                raise DemoInputError(f"{self.name} needs input {key!r}, which the demo cannot "
                                     "provide.")
        return x, self._call("serving_default", **inputs)["images"]


def load_models(names=None, root=None):
    """`{name: DemoModel}` of the given names/paths, or every generator or
    translation export in `root` (default: `keras_gans.zoo.savedmodels_dir()`)."""
    if root is None:
        from keras_gans.zoo.presets import savedmodels_dir

        root = savedmodels_dir()
    pick_all = not names
    if pick_all:
        names = sorted(n for n in os.listdir(root) if not n.startswith(".")
                       and os.path.isdir(os.path.join(root, n)))
    models = {}
    for name in names:
        try:
            path = resolve_savedmodel(name, root)
        except FileNotFoundError:
            if pick_all:
                continue
            raise
        label = os.path.basename(os.path.dirname(path)) if os.path.basename(path).isdigit() \
            else os.path.basename(path)
        model = DemoModel(label, path)
        if pick_all and model.kind == "other":
            continue  # e.g. the metrics' classifier
        models[label] = model
    if not models:
        raise FileNotFoundError(f"No generator or translation SavedModel found in {root}.")
    return models
