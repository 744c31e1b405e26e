"""SavedModel export in TF Serving's versioned layout.

`savedmodels/<name>/<N>/` with an integer version N (the next free one). The
version directory is written under a temporary name and renamed when
complete: TF Serving only loads integer-named directories, so it never sees a
half-written model.

Endpoints are pure functions of their inputs. Random sampling inside an
exported graph would replay the same sequence after every reload (every
server replica would emit the same "random" images), so endpoints take the
latents `z` (or integer seeds) as inputs.
"""

import os
import re

import keras
import tensorflow as tf

from keras_gans.utils.files import atomic_path, write_text


def images_to_uint8(images):
    """[-1, 1] float images to uint8, rounding like `keras_gans.data.to_uint8`."""
    return tf.cast(tf.clip_by_value(tf.round((images + 1.0) * 127.5), 0.0, 255.0), tf.uint8)


def versions(base_dir):
    """Integer versions present in a TF Serving model directory, sorted."""
    if not os.path.isdir(base_dir):
        return []
    return sorted(int(d) for d in os.listdir(base_dir)
                  if re.fullmatch(r"\d+", d) and os.path.isdir(os.path.join(base_dir, d)))


def export_savedmodel(model, base_dir, version=None, verbose=False, write_config=True):
    """Exports a GAN's inference endpoints as `base_dir/<version>/`.

    Args:
        model: a `keras_gans` GAN (its `export_endpoints()` define the
            signatures; the first is `serving_default`).
        base_dir: the model's directory, e.g. `savedmodels/dcgan_fashion_mnist`.
        version: integer version; default: one more than the highest present.
        write_config: also (re)write `models.config` for TF Serving in the
            parent directory, listing every model found there.

    Returns:
        The path of the written version directory.

    Example:

    >>> path = export_savedmodel(gan, "savedmodels/my_gan")  # doctest: +SKIP
    >>> loaded = tf.saved_model.load(path)  # doctest: +SKIP
    >>> loaded.signatures["serving_default"](z=tf.zeros([1, 100]))["images"]  # doctest: +SKIP
    """
    present = versions(base_dir)
    if version is None:
        version = (present[-1] + 1) if present else 1
    version = int(version)
    if version < 1:
        raise ValueError(f"version must be a positive integer; got {version}.")
    target = os.path.join(base_dir, str(version))
    if os.path.exists(target):
        raise FileExistsError(
            f"{target} already exists; TF Serving versions are immutable. Omit "
            "version= to write the next one."
        )
    archive = keras.export.ExportArchive()
    resources, endpoints = _endpoints(model)
    for resource in resources:
        archive.track(resource)
    for name, fn, signature in endpoints:
        archive.add_endpoint(name, fn, input_signature=signature)
    with atomic_path(target, is_dir=True) as tmp:
        # write_out wants to create the directory itself.
        os.rmdir(tmp)
        archive.write_out(tmp, verbose=verbose)
    if write_config:
        write_models_config(os.path.dirname(os.path.abspath(base_dir)))
    return target


def _endpoints(model):
    """(tracked resources, endpoints) of a GAN, or of a plain functional model."""
    if hasattr(model, "export_endpoints"):
        return model.export_resources(), model.export_endpoints()
    specs = [tf.TensorSpec(t.shape, t.dtype, name=t.name.split(":")[0])
             for t in model.inputs]

    def serve(*inputs):
        out = model(list(inputs) if len(inputs) > 1 else inputs[0], training=False)
        return {"outputs": out}

    return [model], [("serving_default", serve, specs)]


def write_models_config(root, base_path_prefix="/models"):
    """Writes `root/models.config` (TF Serving's model_config_list) for all models in `root`.

    `base_path` must be absolute for TF Serving; it is `base_path_prefix/<name>`
    (the TF Serving Docker image mounts models under /models). Pass the
    absolute path of `root` to serve in place.
    """
    entries = []
    for name in sorted(os.listdir(root)):
        if not os.path.isdir(os.path.join(root, name)) or name.startswith("."):
            continue
        if not versions(os.path.join(root, name)):
            continue
        base_path = f"{base_path_prefix.rstrip('/')}/{name}"
        entries.append(
            "  config {\n"
            f'    name: "{name}"\n'
            f'    base_path: "{base_path}"\n'
            '    model_platform: "tensorflow"\n'
            "  }\n"
        )
    text = "model_config_list {\n" + "".join(entries) + "}\n"
    path = os.path.join(root, "models.config")
    write_text(path, text)
    return path
