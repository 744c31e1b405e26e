"""SavedModel export in TF Serving's versioned layout.

`savedmodels/<name>/<N>/` with an integer version N. Concurrent exports into
one folder get distinct versions: a version is claimed by creating
`<name>/.<N>.partial` exclusively (`os.mkdir` fails when another writer holds
it), the SavedModel is written inside the claim and renamed to `<name>/<N>`
when complete. TF Serving only loads integer-named directories, so it never
sees a half-written model. A writer killed mid-export leaves its claim
behind, with its pid in it; the next export into the folder removes claims
whose writer is dead.

Every version holds `assets.extra/tf_serving_warmup_requests` (one
`PredictRequest` per endpoint, see `keras_gans.export.warmup`) and
`assets.extra/keras_gans.json` (what the model is: family, latent size,
classes; read by `keras_gans.demo`). TF Serving ignores the latter.

Endpoints are pure functions of their inputs. Random sampling inside an
exported graph would replay the same sequence after every reload (every
server replica would emit the same "random" images), so endpoints take the
latents `z` (or integer seeds) as inputs.
"""

import contextlib
import functools
import json
import os
import re
import shutil
import socket
import time

import keras
import tensorflow as tf

from keras_gans.export.serving_config import write_models_config
from keras_gans.export.warmup import WARMUP_DIR, example_inputs, write_warmup_requests

METADATA_FILE = "keras_gans.json"
_CLAIM = re.compile(r"\.(\d+)\.partial")
# Temporaries of the previous writer (keras_gans.utils.files.atomic_path).
_LEGACY_TMP = re.compile(r"\.(\d+)\.tmp-.+")
LEGACY_TMP_MAX_AGE_S = 3600


def images_to_uint8(images):
    """[-1, 1] float images to uint8, rounding like `keras_gans.data.to_uint8`."""
    return tf.cast(tf.clip_by_value(tf.round((images + 1.0) * 127.5), 0.0, 255.0), tf.uint8)


def versions(base_dir):
    """Integer versions present in a TF Serving model directory, sorted."""
    if not os.path.isdir(base_dir):
        return []
    return sorted(int(d) for d in os.listdir(base_dir)
                  if re.fullmatch(r"\d+", d) and os.path.isdir(os.path.join(base_dir, d)))


def _process_start(pid):
    """Start time of a process (clock ticks since boot) or None where /proc is absent."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def _owner():
    return {"pid": os.getpid(), "host": socket.gethostname(),
            "start": _process_start(os.getpid()), "time": time.time()}


def _owner_alive(owner):
    if owner.get("host") != socket.gethostname():
        return True  # cannot tell: leave claims of other machines alone
    pid = int(owner.get("pid", -1))
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    # The pid may have been reused by another process since.
    start = owner.get("start")
    return start is None or _process_start(pid) in (None, start)


def clean_stale(base_dir):
    """Removes temporaries of dead writers from a model folder; returns their names.

    A claim `.<N>.partial` is stale when its writer (pid, host, process
    start time recorded inside) no longer runs; an old-style `.<N>.tmp-*`
    directory when it is older than an hour.

    Example:

    >>> clean_stale("savedmodels/dcgan_fashion_mnist")  # doctest: +SKIP
    ['.4.partial']
    """
    removed = []
    if not os.path.isdir(base_dir):
        return removed
    for name in os.listdir(base_dir):
        path = os.path.join(base_dir, name)
        if _CLAIM.fullmatch(name):
            try:
                with open(os.path.join(path, "owner.json")) as f:
                    owner = json.load(f)
            except (OSError, ValueError):
                # Killed between mkdir and writing owner.json (a few
                # microseconds): stale once it is not brand new.
                try:
                    if time.time() - os.path.getmtime(path) < 60:
                        continue
                except OSError:
                    continue
                owner = {"host": socket.gethostname(), "pid": -1}
            if _owner_alive(owner):
                continue
        elif _LEGACY_TMP.fullmatch(name):
            try:
                if time.time() - os.path.getmtime(path) < LEGACY_TMP_MAX_AGE_S:
                    continue
            except OSError:
                continue
        else:
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(name)
    return sorted(removed)


def _claimed(base_dir):
    return [int(m.group(1)) for m in map(_CLAIM.fullmatch, os.listdir(base_dir)) if m]


def claim_version(base_dir, version=None):
    """Claims a version of `base_dir` for this process: `(version, claim_dir)`.

    The claim is the directory `base_dir/.<N>.partial`, created exclusively;
    with `version=None` N is one more than every version present or claimed,
    retried upwards if another writer wins the race.
    """
    os.makedirs(base_dir, exist_ok=True)
    clean_stale(base_dir)
    while True:
        if version is None:
            taken = versions(base_dir) + _claimed(base_dir)
            n = max(taken, default=0) + 1
        else:
            n = int(version)
        claim = os.path.join(base_dir, f".{n}.partial")
        target = os.path.join(base_dir, str(n))
        if version is not None and os.path.exists(target):
            raise FileExistsError(
                f"{target} already exists; TF Serving versions are immutable. Omit "
                "version= to write the next one.")
        try:
            os.mkdir(claim)
        except FileExistsError:
            if version is not None:
                raise FileExistsError(
                    f"Version {n} of {base_dir} is being written by another export "
                    f"({claim}); omit version= to write the next one.") from None
            continue
        # A writer that finished N renamed its claim to N before removing it,
        # so N may exist although the claim was free.
        if os.path.exists(target):
            os.rmdir(claim)
            if version is not None:
                raise FileExistsError(
                    f"{target} already exists; TF Serving versions are immutable. "
                    "Omit version= to write the next one.")
            continue
        with open(os.path.join(claim, "owner.json"), "w") as f:
            json.dump(_owner(), f)
        return n, claim


def export_metadata(model):
    """What `assets.extra/keras_gans.json` records about a model (plain JSON)."""
    meta = {"format": 1, "class_name": type(model).__name__,
            "family": getattr(model, "family", None)}
    for key in ("latent_dim", "num_classes", "w_dim", "num_domains", "resolution", "channels"):
        value = getattr(model, key, None)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            meta[key] = int(value)
    names = getattr(model, "domain_names", None)
    if isinstance(names, (list, tuple)) and all(isinstance(n, str) for n in names):
        meta["domain_names"] = list(names)
    extra = getattr(model, "export_metadata", None)
    if callable(extra):
        meta.update(extra())
    return meta


def export_savedmodel(model, base_dir, version=None, verbose=False, write_config=True,
                      warmup_inputs=None, warmup_batch=2, precision="float32"):
    """Exports a model's inference endpoints as `base_dir/<version>/`.

    Args:
        model: a `keras_gans` model (its `export_endpoints()` define the
            signatures; the first is `serving_default`), or a functional
            `keras.Model` (one `serving_default` endpoint).
        base_dir: the model's directory, e.g. `savedmodels/dcgan_fashion_mnist`;
            its name is the model's name in TF Serving.
        version: integer version; default: one more than the highest present
            or being written by a concurrent export.
        write_config: also merge `models.config` in the parent directory
            (entries already there are kept; see `write_models_config`).
        warmup_inputs: `{endpoint: {input: array}}` overriding the inputs of
            the warmup requests (default: `warmup.example_inputs`).
        warmup_batch: rows per warmup request.
        precision: the compute precision of the exported graphs: "float32"
            (default, whatever policy the model trained under; float outputs
            float32), "bfloat16"/"float16", or None for the model's own.

    Returns:
        The path of the written version directory.

    Example:

    >>> path = export_savedmodel(gan, "savedmodels/my_gan")  # doctest: +SKIP
    >>> loaded = tf.saved_model.load(path)  # doctest: +SKIP
    >>> loaded.signatures["serving_default"](z=tf.zeros([1, 100]))["images"]  # doctest: +SKIP
    """
    if version is not None and (isinstance(version, bool) or int(version) != version
                                or int(version) < 1):
        raise ValueError(f"version must be a positive integer; got {version!r}.")
    from keras_gans import mixed_precision

    archive = keras.export.ExportArchive()
    resources, endpoints = _endpoints(model)
    for resource in resources:
        archive.track(resource)
    _save_each_variable_once(archive)
    # A model trained under a 16-bit policy exports float32 graphs unless
    # `precision` asks otherwise (serving clients expect float32, and bfloat16
    # kernels are slow on CPUs without AMX). The scope must cover `write_out`
    # too: `add_endpoint` only wraps the functions, and saving traces the
    # signatures and the callable attributes again; outside the scope they
    # computed in the training policy (a bfloat16-trained DCGAN exported
    # bfloat16 graphs that way).
    scope = (mixed_precision.precision_scope(resources, precision) if precision is not None
             else contextlib.nullcontext())
    model_name = os.path.basename(os.path.normpath(os.path.abspath(base_dir)))
    n, claim = claim_version(base_dir, version)
    target = os.path.join(base_dir, str(n))
    staging = os.path.join(claim, "savedmodel")
    try:
        with scope:
            for name, fn, signature in endpoints:
                archive.add_endpoint(name, _float32_outputs(fn) if precision == "float32"
                                     else fn, input_signature=signature)
            archive.write_out(staging, verbose=verbose)
        requests = []
        for name, _, signature in endpoints:
            inputs = (warmup_inputs or {}).get(name) or example_inputs(
                signature, batch=warmup_batch)
            requests.append((name, inputs))
        write_warmup_requests(staging, model_name, requests)
        with open(os.path.join(staging, WARMUP_DIR, METADATA_FILE), "w") as f:
            json.dump(export_metadata(model), f, indent=1, sort_keys=True)
        os.rename(staging, target)
    finally:
        shutil.rmtree(claim, ignore_errors=True)
    if write_config:
        write_models_config(os.path.dirname(os.path.abspath(base_dir)))
    return target


def _save_each_variable_once(archive):
    """Points the archive's variable lists at the `tf.Variable`s themselves.

    `ExportArchive.track` lists a layer's Keras variables, and `write_out`
    adds the `tf.Variable`s the endpoints capture: two objects per weight, so
    the checkpoint stored every weight twice (a 16 MiB pix2pix generator wrote
    32 MiB of variables). With the lists holding the captured objects the
    checkpoint saves each weight once, and `loaded.variables` still lists them.
    """
    trackable = archive._tf_trackable  # Keras 3.15 has no public handle on these lists
    for name in ("variables", "trainable_variables", "non_trainable_variables"):
        setattr(trackable, name, [getattr(v, "value", v) for v in getattr(trackable, name)])


def _float32_outputs(fn):
    """`fn` with its 16-bit float outputs cast to float32."""
    from keras_gans import mixed_precision

    # `wraps` keeps fn's parameter names in the traced signature: the
    # restored callable takes them as keywords (TFSMLayer passes
    # `truncation_psi=`), not as args_0, args_1.
    @functools.wraps(fn)
    def endpoint(*args):
        return mixed_precision.to_float32(fn(*args))

    return endpoint


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
