"""The `keras-gans` command line: train, sample, export, list the zoo.

Examples:

    keras-gans sample dcgan_fashion_mnist -n 64 -o samples.png
    keras-gans train dcgan --dataset fashion_mnist --epochs 5 --out runs/dcgan
    keras-gans sample runs/dcgan -n 64 -o grid.png --seed 1
    keras-gans export runs/dcgan --out savedmodels/my_dcgan
    keras-gans zoo list
"""

import argparse
import json
import os
import sys
import time


def _quiet_tensorflow():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _parse_value(text):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _parse_sets(pairs):
    options = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise SystemExit(f"--set expects key=value; got {pair!r}.")
        key, value = pair.split("=", 1)
        options[key.replace("-", "_")] = _parse_value(value)
    return options


def load_model(name_or_dir):
    """A model from a run directory (final model or latest checkpoint) or a preset."""
    import keras

    import keras_gans  # noqa: F401 - registers families and layers
    from keras_gans.callbacks import resume
    from keras_gans import zoo

    if os.path.isdir(name_or_dir):
        final = os.path.join(name_or_dir, "model.keras")
        if os.path.exists(final):
            return keras.saving.load_model(final)
        model, _ = resume(os.path.join(name_or_dir, "ckpt"))
        if model is None:
            raise SystemExit(
                f"{name_or_dir} holds no model.keras and no checkpoint in ckpt/; is it a "
                "`keras-gans train --out` directory?"
            )
        return model
    if os.path.exists(name_or_dir) and name_or_dir.endswith(".keras"):
        return keras.saving.load_model(name_or_dir)
    return zoo.load(name_or_dir)


def _dataset_info(name, image_size=None):
    from keras_gans import data

    images, labels = data.arrays(name, "train", image_size=image_size)
    source = data.get_source(name)
    return images, labels, getattr(source, "num_classes", None)


def cmd_train(args):
    import keras
    import tensorflow as tf

    import keras_gans
    from keras_gans import distribute as kg_distribute
    from keras_gans import models

    if args.deterministic:
        tf.config.experimental.enable_op_determinism()
    keras.utils.set_random_seed(args.seed)
    family = models.get(args.family)
    out = args.out
    os.makedirs(out, exist_ok=True)
    ckpt_dir = os.path.join(out, "ckpt")
    strategy = _strategy(args.strategy)
    # Every worker runs the same callbacks and saves (see keras_gans.distribute);
    # only the chief writes to --out, the others to a temporary directory. All
    # resume from the chief's checkpoints.
    write_out = kg_distribute.write_dir(out, strategy)
    try:
        return _train(args, strategy, family, out, ckpt_dir, write_out)
    finally:
        kg_distribute.cleanup_write_dir(write_out)


def _checkpoint_epoch(ckpt_dir):
    path = os.path.join(ckpt_dir, "state.json")
    if not os.path.exists(path):
        return 0
    with open(path, encoding="utf-8") as f:
        return int(json.load(f).get("epoch", 0))


def _train(args, strategy, family, out, ckpt_dir, write_out):
    import keras

    from keras_gans import callbacks as kg_callbacks
    from keras_gans import data
    from keras_gans import distribute as kg_distribute

    chief = kg_distribute.is_chief(strategy)
    if kg_distribute.is_multi_worker(strategy):
        kg_distribute.enable_multi_worker_fit()
        # Before any variable exists: workers that would resume at different
        # epochs would build different models and wait for each other forever.
        kg_distribute.agree_across_workers(strategy, _checkpoint_epoch(ckpt_dir),
                                           f"the epoch to resume at ({ckpt_dir})")

    image_size = (args.resolution, args.resolution) if args.resolution else None
    images, labels, num_classes = _dataset_info(args.dataset, image_size)
    steps_per_epoch = len(images) // args.batch_size
    if args.steps_per_epoch:
        steps_per_epoch = min(steps_per_epoch, args.steps_per_epoch)

    with strategy.scope():
        model, initial_epoch = kg_callbacks.resume(ckpt_dir)
        if model is not None:
            print(f"Resuming from {ckpt_dir} at epoch {initial_epoch}.")
        else:
            options = _parse_sets(args.set)
            if images.ndim == 4:
                options.setdefault("resolution", images.shape[1])
                options.setdefault("channels", images.shape[-1])
            if args.ema_decay is not None:
                options["ema_decay"] = args.ema_decay
            options.setdefault("seed", args.seed)
            try:
                model = family(**options)
            except TypeError as e:
                raise SystemExit(f"{args.family}: bad option ({e}); see "
                                 f"`python -c 'import keras_gans; help(keras_gans.models."
                                 f"{family.__name__})'`.")
            compile_options = _parse_sets(args.compile_set)
            if args.loss:
                compile_options["loss"] = args.loss
            if args.lr:
                compile_options["d_optimizer"] = keras.optimizers.Adam(
                    args.lr, beta_1=args.beta1, beta_2=args.beta2)
                compile_options["g_optimizer"] = keras.optimizers.Adam(
                    args.lr, beta_1=args.beta1, beta_2=args.beta2)
            compile_options["jit_compile"] = args.jit
            model.compile(**compile_options)
            initial_epoch = 0
    if initial_epoch >= args.epochs:
        print(f"{out} already trained for {initial_epoch} >= {args.epochs} epochs.")
    else:
        with_labels = getattr(model, "num_classes", None) is not None
        # Resume where the data stream stood: a Keras epoch may be shorter than
        # a pass over the data (--steps-per-epoch), so locate the global step.
        batches_per_pass = len(images) // args.batch_size
        data_pass, offset = divmod(initial_epoch * steps_per_epoch, batches_per_pass)
        ds = data.from_arrays(images, labels if with_labels else None,
                              batch_size=args.batch_size, seed=args.seed,
                              epoch=data_pass, repeat=True).skip(offset)
        cbs = [
            kg_callbacks.NonFiniteGuard(patience=args.nonfinite_patience),
            kg_callbacks.SampleGrid(os.path.join(write_out, "samples"), num_samples=64,
                                    seed=args.seed),
            kg_callbacks.GANCheckpoint(os.path.join(write_out, "ckpt"), keep=2),
            keras.callbacks.CSVLogger(os.path.join(write_out, "log.csv"), append=True),
        ]
        start = time.time()
        model.fit(ds, epochs=args.epochs, initial_epoch=initial_epoch,
                  steps_per_epoch=steps_per_epoch, callbacks=cbs,
                  verbose=1 if sys.stdout.isatty() else 2)
        wall = time.time() - start
        if getattr(model, "nonfinite_stop", False):
            raise SystemExit("Training stopped on a non-finite loss; the last good "
                             f"checkpoint is in {ckpt_dir}.")
        print(f"Trained {args.epochs - initial_epoch} epoch(s) in {wall:.0f} s.")
    from keras_gans.utils.files import atomic_path

    with atomic_path(os.path.join(write_out, "model.keras")) as tmp:
        model.save(tmp)
    if chief:
        print(f"Model: {os.path.join(out, 'model.keras')}; samples: "
              f"{os.path.join(out, 'samples')}")
    return 0


def _strategy(name):
    import tensorflow as tf

    if name in (None, "default"):
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi_worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise SystemExit(f"Unknown --strategy {name!r}; use default, mirrored or multi_worker.")


def cmd_sample(args):
    from keras_gans.utils.images import save_grid

    model = load_model(args.model)
    labels = None
    if getattr(model, "num_classes", None):
        import numpy as np

        labels = (np.asarray([int(x) for x in args.labels.split(",")])
                  if args.labels else np.arange(args.n) % model.num_classes)
        if len(labels) == 1:
            labels = np.full(args.n, labels[0])
    images = model.sample(args.n, seed=args.seed, labels=labels)
    save_grid(images, args.o, scale=args.scale)
    print(f"Wrote {args.n} samples (seed {args.seed}) to {args.o}")
    return 0


def cmd_export(args):
    from keras_gans.export import export_savedmodel

    model = load_model(args.model)
    path = export_savedmodel(model, args.out, version=args.version)
    print(f"Exported SavedModel to {path}")
    return 0


def _metric_summary(name, record):
    """`fid10k_test: fid=3.87 (floor fid=0.1064)` for `keras-gans zoo list`."""
    from keras_gans.zoo.writer import format_values

    if not isinstance(record, dict):
        return f"{name}: {format_values(record)}"
    text = f"{name}: {format_values(record.get('value'))}"
    if record.get("floor"):
        text += f" (floor {format_values(record['floor'])})"
    return text


def cmd_zoo(args):
    from keras_gans import zoo

    if args.action == "list":
        table = zoo.read_table()
        if not table:
            print("No presets are shipped in", zoo.zoo_dir())
        header = f"{'name':28} {'family':12} {'dataset':14} {'res':>4}  metrics"
        print(header)
        print("-" * len(header))
        for name in sorted(table):
            row = table[name]
            metrics = "; ".join(_metric_summary(k, v) for k, v in (row.get("metrics") or {}).items())
            print(f"{name:28} {row['family']:12} {row['dataset']:14} "
                  f"{str(row.get('resolution') or ''):>4}  {metrics}")
        for name in sorted(zoo.UNAVAILABLE):
            print(f"{name:28} (not available yet: `keras-gans zoo info {name}` says why)")
    elif args.action == "info":
        if not args.name:
            raise SystemExit("keras-gans zoo info NAME")
        try:
            print(json.dumps(zoo.get_preset(args.name), indent=2))
        except ValueError as e:
            raise SystemExit(str(e))
    return 0


_METRIC_ALIASES = {"fid": "fid10k_test", "kid": "kid10k_test", "pr": "pr10k_test",
                   "precision_recall": "pr10k_test", "coverage": "dc10k_test",
                   "density_coverage": "dc10k_test", "is": "is10k", "modes": "modes10k"}
_FEATURE_ALIASES = {"fmnist_classifier": "fashion_mnist_classifier",
                    "fashion_mnist_classifier": "fashion_mnist_classifier",
                    "inception": "inception"}


#: Perceptual path length, by space (full sampling, eps 1e-4; see keras_gans.metrics.ppl).
_PPL_METRICS = {"ppl_w": "w", "ppl_z": "z"}


def _ppl_json(name, record):
    return {"protocol": name, "n": record["num_samples"], "feature_network": record["feature"],
            "value": {"ppl": record["ppl"], "ppl_std": record["ppl_std"]}, "floor": None,
            "note": f"{record['space']} space, {record['sampling']} sampling, eps "
                    f"{record['epsilon']:g}; {record['note']}"}


def cmd_eval(args):
    from keras_gans.metrics import evaluate, format_result

    model = load_model(args.model)
    protocols = [_METRIC_ALIASES.get(m.strip(), m.strip())
                 for m in args.metrics.split(",") if m.strip()]
    ppl = [m for m in protocols if m in _PPL_METRICS]
    protocols = [m for m in protocols if m not in _PPL_METRICS]
    features = _FEATURE_ALIASES.get(args.features)
    if features is None:
        raise ValueError(f"--features must be one of {sorted(_FEATURE_ALIASES)}; "
                         f"got {args.features!r}.")
    kwargs = {"path": args.inception_graph} if args.inception_graph else None
    results = evaluate(model, protocols=protocols, feature_network=features,
                       num_samples=args.n, seed=args.seed, feature_kwargs=kwargs,
                       verbose=not args.json) if protocols else {}
    if args.json:
        for name, result in results.items():
            print(json.dumps({
                "protocol": name, "n": result.get("num_generated"),
                "feature_network": result.get("feature_network"),
                "feature_weights": result.get("feature_weights"),
                "value": result["values"], "floor": result.get("floor"),
                "note": result.get("note") or result.get("floor_note")}, default=float))
    if ppl:
        from keras_gans.metrics.ppl import perceptual_path_length

        if not hasattr(model, "mapping"):
            raise ValueError(f"{', '.join(ppl)} need a style-based model (StyleGAN, StyleGAN2) "
                             f"with a mapping network; {args.model} is a "
                             f"{type(model).__name__}. Drop the ppl metrics for it.")
        if features != "fashion_mnist_classifier":
            raise ValueError("PPL is measured with the Fashion-MNIST classifier's features "
                             f"only; drop --features {args.features} or the ppl metrics.")
        for name in ppl:
            record = perceptual_path_length(model, num_samples=args.n or 1000,
                                            space=_PPL_METRICS[name], seed=args.seed)
            line = _ppl_json(name, record)
            print(json.dumps(line) if args.json else
                  f"{name}: ppl={record['ppl']:.4g} ± {record['ppl_std']:.3g} | "
                  f"{line['n']} pairs, {line['feature_network']} | {line['note']}")
    return 0


def cmd_families(args):
    from keras_gans import models

    for key in models.list_families():
        cls = models.get(key)
        doc = (cls.__doc__ or "").strip().splitlines()[0]
        print(f"{key:16} {cls.__name__:16} {doc}")
    return 0


def build_parser():
    p = argparse.ArgumentParser(prog="keras-gans", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a family on a dataset (resumes from --out)")
    t.add_argument("family", help="family key, e.g. dcgan (see `keras-gans families`)")
    t.add_argument("--dataset", default="fashion_mnist")
    t.add_argument("--epochs", type=int, default=10)
    t.add_argument("--out", required=True, help="run directory (checkpoints, samples)")
    t.add_argument("--batch-size", type=int, default=128)
    t.add_argument("--steps-per-epoch", type=int, default=None)
    t.add_argument("--resolution", type=int, default=None, help="resize images to this")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--ema-decay", type=float, default=None)
    t.add_argument("--loss", default=None)
    t.add_argument("--lr", type=float, default=None)
    t.add_argument("--beta1", type=float, default=0.5)
    t.add_argument("--beta2", type=float, default=0.999)
    t.add_argument("--jit", action="store_true", help="compile train_step with XLA")
    t.add_argument("--deterministic", action="store_true", help="enable op determinism")
    t.add_argument("--strategy", default="default",
                   choices=["default", "mirrored", "multi_worker"])
    t.add_argument("--nonfinite-patience", type=int, default=1)
    t.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="family constructor option (JSON value), repeatable")
    t.add_argument("--compile-set", action="append", metavar="KEY=VALUE",
                   help="family compile option (JSON value), repeatable")
    t.set_defaults(fn=cmd_train)

    s = sub.add_parser("sample", help="write a PNG grid of samples")
    s.add_argument("model", help="preset name, run directory or .keras file")
    s.add_argument("-n", type=int, default=64)
    s.add_argument("-o", default="samples.png")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--labels", default=None, help="comma-separated class labels")
    s.add_argument("--scale", type=int, default=2)
    s.set_defaults(fn=cmd_sample)

    e = sub.add_parser("export", help="export a SavedModel in TF Serving's layout")
    e.add_argument("model", help="preset name, run directory or .keras file")
    e.add_argument("--out", required=True, help="model directory; versions go in <out>/<N>")
    e.add_argument("--version", type=int, default=None)
    e.set_defaults(fn=cmd_export)

    v = sub.add_parser("eval", help="evaluate a model under named metric protocols")
    v.add_argument("model", help="preset name, run directory or .keras file")
    v.add_argument("--metrics", default="fid10k_test,kid10k_test,pr10k_test,dc10k_test",
                   help="comma-separated protocols (aliases: fid, kid, pr, coverage, is, modes; "
                        "style-based models also ppl_w, ppl_z: 1000 pairs unless --n)")
    v.add_argument("--features", default="fmnist_classifier",
                   help="fmnist_classifier (offline) or inception")
    v.add_argument("--inception-graph", default=None,
                   help="path of the 2015-12-05 Inception graph (classify_image_graph_def.pb)")
    v.add_argument("--n", type=int, default=None, help="override the sample count")
    v.add_argument("--seed", type=int, default=0)
    v.add_argument("--json", action="store_true", help="one JSON object per metric")
    v.set_defaults(fn=cmd_eval)

    z = sub.add_parser("zoo", help="list presets or show one")
    z.add_argument("action", choices=["list", "info"])
    z.add_argument("name", nargs="?")
    z.set_defaults(fn=cmd_zoo)

    f = sub.add_parser("families", help="list the GAN families")
    f.set_defaults(fn=cmd_families)
    return p


def main(argv=None):
    _quiet_tensorflow()
    args = build_parser().parse_args(argv)
    try:
        return args.fn(args)
    except (ValueError, FileNotFoundError) as e:
        print(f"keras-gans: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
