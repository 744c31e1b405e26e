"""`keras-gans train FAMILY --dataset D --out RUN`: every family on every dataset it can take.

The data's shape and class count reach the family's constructor through one
declared mechanism, `FamilyClass.constructor_kwargs_for_data(image_shape,
num_classes)` (the family contract); conditional families get the labels. The
run folder is locked by its trainer for the whole run.
"""

import inspect
import json
import os
import sys
import time

from keras_gans.cli.app import CommandError, parse_sets
from keras_gans.cli.families_table import check_family


def _check_arguments(args):
    """The checks that need no TensorFlow and no data: they answer at once."""
    check_family(args.family)
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise CommandError(f"--out {args.out} is a file; pass a folder for the run.")
    if args.dataset == "folder" and not args.data_path:
        raise CommandError("--dataset folder needs --data-path FOLDER (a folder of images; "
                           "sub-folders become class labels).")
    if args.data_path and args.dataset != "folder":
        raise CommandError(f"--data-path is for --dataset folder; got --dataset {args.dataset}.")
    if args.data_path and not os.path.isdir(args.data_path):
        raise CommandError(f"--data-path {args.data_path} is not a folder; pass the folder "
                           "of training images.")
    if args.tensorboard and os.path.exists(args.tensorboard) and not os.path.isdir(
            args.tensorboard):
        raise CommandError(f"--tensorboard {args.tensorboard} is a file; pass a folder.")
    parse_sets(args.set, "--set")
    parse_sets(args.compile_set, "--compile-set")


def run(args):
    _check_arguments(args)
    from keras_gans.cli.runtime import import_tensorflow

    import_tensorflow(args.verbose)
    import keras
    import tensorflow as tf

    from keras_gans import distribute as kg_distribute
    from keras_gans import models
    from keras_gans.utils.files import lock_folder

    if args.deterministic:
        tf.config.experimental.enable_op_determinism()
    keras.utils.set_random_seed(args.seed)
    family = models.get(args.family)
    strategy = _strategy(args.strategy)
    # Every worker runs the same callbacks and saves (see keras_gans.distribute);
    # only the chief writes to --out, the others to a temporary folder. All
    # resume from the chief's checkpoints.
    write_out = kg_distribute.write_dir(args.out, strategy)
    try:
        with lock_folder(write_out, what="keras-gans train"):
            return _train(args, strategy, family, write_out)
    finally:
        kg_distribute.cleanup_write_dir(write_out)


def _checkpoint_epoch(ckpt_dir):
    path = os.path.join(ckpt_dir, "state.json")
    if not os.path.exists(path):
        return 0
    with open(path, encoding="utf-8") as f:
        return int(json.load(f).get("epoch", 0))


def _strategy(name):
    import tensorflow as tf

    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi_worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    return tf.distribute.get_strategy()


def load_training_data(args):
    """`(images, labels, num_classes, kind)` of `--dataset` (resized by `--resolution`)."""
    from keras_gans import data

    source = data.get_source(args.dataset)  # ValueError with close matches
    kind = getattr(source, "kind", "image")
    if args.resolution and kind != "image":
        raise CommandError(f"--resolution is for image datasets; {args.dataset} holds "
                           f"{kind}.")
    if args.resolution is not None and args.resolution < 4:
        raise CommandError(f"--resolution must be >= 4 pixels; got {args.resolution}.")
    options = {"path": args.data_path} if args.dataset == "folder" else {}
    image_size = (args.resolution, args.resolution) if args.resolution else None
    images, labels = data.arrays(args.dataset, "train", image_size=image_size, **options)
    num_classes = getattr(source, "num_classes", None)
    if num_classes is None and labels is not None and len(labels):
        num_classes = int(labels.max()) + 1
    if args.batch_size > len(images):
        raise CommandError(f"--batch-size {args.batch_size} is larger than the {len(images)} "
                           f"training examples of {args.dataset}; use at most {len(images)}.")
    return images, labels, num_classes, kind


def family_kwargs(family, example_shape, num_classes):
    """The constructor arguments `family` declares for data of this shape and class
    count: the family contract's `constructor_kwargs_for_data`, the one mechanism."""
    return dict(family.constructor_kwargs_for_data(tuple(example_shape), num_classes))


#: keras.Model's own constructor keywords, which every family forwards.
_KERAS_MODEL_KWARGS = ("name", "trainable", "dtype")


def accepted_options(family):
    """The keyword arguments a family's constructor takes (its own and its bases')."""
    from keras_gans.models.options import declared_options

    names = set(_KERAS_MODEL_KWARGS) | set(declared_options(family, "constructor_options"))
    for klass in family.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None or klass.__module__.startswith("keras."):
            continue
        for p, v in inspect.signature(init).parameters.items():
            if p != "self" and v.kind not in (v.VAR_POSITIONAL, v.VAR_KEYWORD):
                names.add(p)
    return sorted(names)


def _check_set_keys(args, family, options):
    import difflib

    accepted = accepted_options(family)
    for key in options:
        if key not in accepted:
            close = difflib.get_close_matches(key, accepted, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise CommandError(f"{args.family}: bad --set option {key!r}.{hint} It accepts "
                               f"{', '.join(accepted)}.")


def build_model(args, family, images, num_classes):
    """The family instance for this data, with `--set` options and `--ema-decay`."""
    try:
        options = family_kwargs(family, images.shape[1:], num_classes)
    except ValueError as e:
        raise CommandError(f"{args.family} cannot take {args.dataset} "
                           f"({'x'.join(map(str, images.shape[1:]))}): {e}"
                           + _resolution_hint(args, images)) from None
    user_options = parse_sets(args.set, "--set")
    _check_set_keys(args, family, user_options)
    options.update(user_options)
    if args.ema_decay is not None:
        options["ema_decay"] = args.ema_decay
    options.setdefault("seed", args.seed)
    try:
        return family(**options)
    except TypeError as e:
        raise CommandError(f"{args.family}: bad --set option ({e}); it accepts "
                           f"{', '.join(accepted_options(family))}.") from None
    except ValueError as e:
        raise CommandError(f"{args.family} on {args.dataset} "
                           f"({'x'.join(map(str, images.shape[1:]))}): {e}"
                           + _resolution_hint(args, images)) from None


def _resolution_hint(args, images):
    if images.ndim == 4 and not args.resolution:
        return " (--resolution N resizes the images, e.g. --resolution 32)"
    return ""


def compile_model(args, model):
    import keras

    compile_options = parse_sets(args.compile_set, "--compile-set")
    if args.loss:
        compile_options["loss"] = args.loss
    if args.lr:
        for name in ("d_optimizer", "g_optimizer"):
            compile_options[name] = keras.optimizers.Adam(args.lr, beta_1=args.beta1,
                                                          beta_2=args.beta2)
    compile_options["jit_compile"] = args.jit
    if args.mixed_precision:
        compile_options["mixed_precision"] = args.mixed_precision
    try:
        model.compile(**compile_options)
    except TypeError as e:
        raise CommandError(f"{args.family}: bad --compile-set option ({e}).") from None


def _callbacks(args, write_out, kind):
    import keras

    from keras_gans import callbacks as kg_callbacks

    cbs = [
        kg_callbacks.NonFiniteGuard(patience=args.nonfinite_patience),
        kg_callbacks.GANCheckpoint(os.path.join(write_out, "ckpt"), keep=2),
        keras.callbacks.CSVLogger(os.path.join(write_out, "log.csv"), append=True),
    ]
    if kind == "image":  # points (2-D mixtures) make no image grid
        cbs.insert(1, kg_callbacks.SampleGrid(os.path.join(write_out, "samples"),
                                              num_samples=64, seed=args.seed))
    if args.tensorboard:
        from keras_gans.cli.extras import tensorboard_callback

        cbs.append(tensorboard_callback(args.tensorboard, args.seed))
    return cbs


def _train(args, strategy, family, write_out):
    from keras_gans import callbacks as kg_callbacks
    from keras_gans import data
    from keras_gans import distribute as kg_distribute
    from keras_gans.utils.files import atomic_path

    out = args.out
    ckpt_dir = os.path.join(out, "ckpt")
    chief = kg_distribute.is_chief(strategy)
    if kg_distribute.is_multi_worker(strategy):
        kg_distribute.enable_multi_worker_fit()
        # Before any variable exists: workers that would resume at different
        # epochs would build different models and wait for each other forever.
        kg_distribute.agree_across_workers(strategy, _checkpoint_epoch(ckpt_dir),
                                           f"the epoch to resume at ({ckpt_dir})")

    images, labels, num_classes, kind = load_training_data(args)
    batches_per_pass = len(images) // args.batch_size
    steps_per_epoch = batches_per_pass
    if args.steps_per_epoch:
        steps_per_epoch = min(steps_per_epoch, args.steps_per_epoch)

    with strategy.scope():
        model, initial_epoch = kg_callbacks.resume(ckpt_dir)
        if model is not None:
            print(f"Resuming from {ckpt_dir} at epoch {initial_epoch}.")
        else:
            model = build_model(args, family, images, num_classes)
            compile_model(args, model)
            initial_epoch = 0
    if args.untrained:
        print("Saving the untrained model (--untrained).")
    elif initial_epoch >= args.epochs:
        print(f"{out} already trained for {initial_epoch} >= {args.epochs} epochs; pass a "
              "larger --epochs to train further.")
    else:
        with_labels = getattr(model, "num_classes", None) is not None
        if with_labels and labels is None:
            raise CommandError(f"{args.family} is conditional but {args.dataset} has no "
                               "labels; use a labelled dataset or an unconditional family.")
        # Resume where the data stream stood: a Keras epoch may be shorter than
        # a pass over the data (--steps-per-epoch), so locate the global step.
        data_pass, offset = divmod(initial_epoch * steps_per_epoch, batches_per_pass)
        pipeline = data.from_arrays if kind == "image" else data.points_dataset
        ds = pipeline(images, labels if with_labels else None, batch_size=args.batch_size,
                      seed=args.seed, epoch=data_pass, repeat=True).skip(offset)
        start = time.time()
        model.fit(ds, epochs=args.epochs, initial_epoch=initial_epoch,
                  steps_per_epoch=steps_per_epoch, callbacks=_callbacks(args, write_out, kind),
                  verbose=1 if sys.stdout.isatty() else 2)
        wall = time.time() - start
        if getattr(model, "nonfinite_stop", False):
            raise CommandError("Training stopped on a non-finite loss; the last good "
                               f"checkpoint is in {ckpt_dir}.")
        print(f"Trained {args.epochs - initial_epoch} epoch(s) in {wall:.0f} s.")
    with atomic_path(os.path.join(write_out, "model.keras")) as tmp:
        model.save(tmp)
    if chief:
        print(f"Model: {os.path.join(out, 'model.keras')}; samples: "
              f"{os.path.join(out, 'samples')}")
    return 0
