"""Semi-supervised GAN vs supervised-only training with few labels (Fashion-MNIST).

For each number of labels (default 100 and 1000; a class-balanced subset of
the training set, `keras_gans.data.semisupervised.labelled_subset`):

* semi-supervised: `SemiSupervisedGAN` (Salimans et al. 2016: K-logit D,
  feature matching G) on batches of 32 labelled + 32 unlabelled images
  (all 60000 training images serve as unlabelled data), `--steps` steps;
* supervised-only: the SAME discriminator architecture, regularization
  (`--input-noise`, `--hidden-noise`, `--input-dropout`, `--dropout`) and
  initialization (`gan.classifier()` of an identically seeded, untrained
  model), trained with cross-entropy on the labelled subset alone, batches
  of 32, the same number of steps and optimizer.

Both columns are scored the same way: test accuracy on the 10000
Fashion-MNIST test images (D in inference mode) after the LAST step; no
validation set, no early stopping. The accuracy every `--log-every` steps is
printed and written as a trace, for information only. Prints a table with
the CPU seconds of each run and writes docs/bench_semisupervised.md.

Usage (the published run; see docs/bench_semisupervised.md):

    python scripts/bench_semisupervised.py --steps 6000 --log-every 500 \
        --input-noise 0.3 --dropout 0.5 --supervised-weight 2 \
        --unsupervised-weight 0.5 --parallel
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import keras  # noqa: E402

from keras_gans import data  # noqa: E402
from keras_gans.data.pipeline import from_arrays  # noqa: E402
from keras_gans.data.semisupervised import labelled_subset, semi_supervised  # noqa: E402
from keras_gans.models.ssgan import SemiSupervisedGAN  # noqa: E402


def cpu_seconds():
    t = os.times()
    return t.user + t.system


def discriminator_options(args):
    # The same regularized D in both columns (noise/dropout act in training only).
    opts = {"normalization": "layer"}
    for key in ("input_noise", "hidden_noise", "input_dropout", "dropout"):
        if getattr(args, key):
            opts[key] = getattr(args, key)
    return opts


def build(args):
    keras.utils.set_random_seed(args.seed)
    return SemiSupervisedGAN(data_shape=(28, 28, 1), latent_dim=args.latent_dim,
                             width=args.width, num_classes=10, seed=args.seed,
                             discriminator_options=discriminator_options(args))


def optimizer(args):
    # Salimans et al.'s code: Adam(3e-4, beta_1=0.5).
    return keras.optimizers.Adam(args.lr, beta_1=0.5)


def accuracy(probs, labels):
    return float((probs.argmax(axis=1) == labels).mean())


class Progress(keras.callbacks.Callback):
    """Prints (and records) the test accuracy every `log_every` steps.

    A trace only: the table reports the accuracy at the END of training, the
    same fixed step count for both columns (choosing the best checkpoint by
    test accuracy would be selection on the test set).
    """

    def __init__(self, name, evaluate, steps_per_epoch, every_epochs=1):
        super().__init__()
        self.name, self.evaluate, self.every = name, evaluate, every_epochs
        self.steps_per_epoch = steps_per_epoch
        self.trace = []

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every == 0:
            acc = self.evaluate()
            self.trace.append(((epoch + 1) * self.steps_per_epoch, acc))
            shown = {k: round(float(v), 4) for k, v in (logs or {}).items()}
            print(f"[{self.name}] step {(epoch + 1) * self.steps_per_epoch}: test acc "
                  f"{acc:.4f} {shown}", flush=True)


def run_semi_supervised(args, num_labelled, test_x, test_y):
    gan = build(args)
    gan.compile(d_optimizer=optimizer(args), g_optimizer=optimizer(args),
                supervised_weight=args.supervised_weight,
                unsupervised_weight=args.unsupervised_weight)
    ds = semi_supervised("fashion_mnist", num_labelled=num_labelled, seed=args.seed,
                         batch_size=args.batch_size, repeat=True)
    epochs = max(1, args.steps // args.log_every)
    progress = Progress(f"ssl {num_labelled}", lambda: accuracy(gan.classify(test_x), test_y),
                        args.log_every)
    start = cpu_seconds()
    gan.fit(ds, steps_per_epoch=args.log_every, epochs=epochs, verbose=0, callbacks=[progress])
    cpu = cpu_seconds() - start
    return accuracy(gan.classify(test_x), test_y), cpu, epochs * args.log_every, progress.trace


def run_supervised(args, num_labelled, train_x, train_y, test_x, test_y):
    gan = build(args)  # same seed: the same D initialization as the GAN run
    model = gan.classifier()
    model.compile(optimizer=optimizer(args),
                  loss=keras.losses.SparseCategoricalCrossentropy(), metrics=["accuracy"])
    index = labelled_subset(train_y, num_labelled, seed=args.seed, num_classes=10)
    batch = min(args.batch_size // 2, num_labelled)
    ds = from_arrays(train_x[index], train_y[index], batch_size=batch, seed=args.seed,
                     repeat=True)
    epochs = max(1, args.steps // args.log_every)
    progress = Progress(f"sup {num_labelled}", lambda: accuracy(gan.classify(test_x), test_y),
                        args.log_every)
    start = cpu_seconds()
    model.fit(ds, steps_per_epoch=args.log_every, epochs=epochs, verbose=0,
              callbacks=[progress])
    cpu = cpu_seconds() - start
    return accuracy(gan.classify(test_x), test_y), cpu, epochs * args.log_every, progress.trace


def write_markdown(path, args, rows):
    flags = " ".join(f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items()
                     if k not in ("out", "labels", "parallel"))
    reg = ", ".join(f"{k} {getattr(args, k)}" for k in
                    ("input_noise", "hidden_noise", "input_dropout", "dropout")
                    if getattr(args, k)) or "none"
    lines = [
        "# Semi-supervised GAN vs supervised-only (Fashion-MNIST test accuracy)",
        "",
        f"`python scripts/bench_semisupervised.py {flags} "
        f"--labels {','.join(map(str, args.labels))}"
        + (" --parallel" if args.parallel else "") + "`",
        "",
        "Same discriminator architecture (DCGAN critic, layer norm, width "
        f"{args.width}, 10 logits), the same D regularization ({reg}; noise std "
        "for images in [-1, 1], dropout rates; active in training only) and the same "
        f"initialization (seed {args.seed}) in both columns, {args.steps} steps each, "
        f"Adam({args.lr}, beta_1=0.5). "
        "Semi-supervised: `SemiSupervisedGAN` (K-logit D with D(x) = Z/(Z+1), "
        "feature-matching G), batches of "
        f"{args.batch_size // 2} labelled + {args.batch_size - args.batch_size // 2} "
        "unlabelled images (all 60000 training images as unlabelled data), D loss per "
        f"example {args.unsupervised_weight} * unsup + {args.supervised_weight} * "
        "[labelled] * CE averaged over the batch. "
        "Supervised: cross-entropy on the labelled subset only, batches of "
        f"min({args.batch_size // 2}, labels). Class-balanced labelled subsets. "
        "Protocol: no validation set and no early stopping in either column; the table "
        "is the test accuracy of D (inference mode) after the last step. The trace "
        f"below (test accuracy every {args.log_every} steps) is for information only; "
        "picking its best entry would select on the test set. "
        "CPU seconds are process user+system time on a shared, busy 2-core machine "
        "(indicative only).",
        "",
        "| labels | semi-supervised GAN | supervised only | gain | GAN CPU s | "
        "supervised CPU s |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(f"| {r['labels']} | {r['ssl_acc']:.4f} | {r['sup_acc']:.4f} | "
                     f"{r['ssl_acc'] - r['sup_acc']:+.4f} | "
                     f"{r['ssl_cpu']:.0f} | {r['sup_cpu']:.0f} |")
    lines += ["", "Test accuracy during training (step: GAN / supervised):", ""]
    for r in rows:
        pairs = ", ".join(f"{step}: {a:.3f} / {b:.3f}"
                          for (step, a), (_, b) in zip(r["ssl_trace"], r["sup_trace"]))
        lines.append(f"* {r['labels']} labels: {pairs}")
    lines.append("")
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(lines))


def run_labels(args, num_labelled):
    """Both columns for one number of labels: the table row."""
    train_x, train_y = data.arrays("fashion_mnist", "train")
    test_x, test_y = data.arrays("fashion_mnist", "test")
    ssl_acc, ssl_cpu, steps, ssl_trace = run_semi_supervised(args, num_labelled, test_x, test_y)
    sup_acc, sup_cpu, _, sup_trace = run_supervised(args, num_labelled, train_x, train_y,
                                                    test_x, test_y)
    row = {"labels": num_labelled, "ssl_acc": ssl_acc, "sup_acc": sup_acc, "steps": steps,
           "ssl_cpu": ssl_cpu, "sup_cpu": sup_cpu,
           "ssl_trace": ssl_trace, "sup_trace": sup_trace}
    print(json.dumps(row), flush=True)
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labels", default="100,1000")
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--log-every", type=int, default=250)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--latent-dim", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument("--seed", type=int, default=0)
    # D regularization, in BOTH columns (Salimans et al.'s D is heavily
    # regularized); 0 disables.
    parser.add_argument("--input-noise", type=float, default=0.0,
                        help="std of Gaussian noise on D's input (images in [-1, 1])")
    parser.add_argument("--hidden-noise", type=float, default=0.0,
                        help="std of Gaussian noise after every hidden layer of D")
    parser.add_argument("--input-dropout", type=float, default=0.0)
    parser.add_argument("--dropout", type=float, default=0.0,
                        help="dropout rate after every hidden layer of D")
    # GAN column only: d_loss per example = uw * unsup + sw * [labelled] * CE,
    # averaged over the batch (half labelled).
    parser.add_argument("--supervised-weight", type=float, default=1.0)
    parser.add_argument("--unsupervised-weight", type=float, default=1.0)
    parser.add_argument("--parallel", action="store_true",
                        help="run the label counts in parallel processes")
    parser.add_argument("--out", default="docs/bench_semisupervised.md")
    args = parser.parse_args()
    args.labels = [int(s) for s in args.labels.split(",")]
    rows = []
    if args.parallel and len(args.labels) > 1:
        # One process per number of labels (each a separate TF runtime).
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(len(args.labels),
                                 mp_context=multiprocessing.get_context("spawn")) as pool:
            rows = list(pool.map(run_labels, [args] * len(args.labels), args.labels))
        write_markdown(args.out, args, rows)
    else:
        for n in args.labels:
            rows.append(run_labels(args, n))
            write_markdown(args.out, args, rows)
    print(f"{'labels':>7} {'semi-sup':>9} {'sup-only':>9} {'GAN cpu s':>10} {'sup cpu s':>10}")
    for r in rows:
        print(f"{r['labels']:>7} {r['ssl_acc']:>9.4f} {r['sup_acc']:>9.4f} "
              f"{r['ssl_cpu']:>10.0f} {r['sup_cpu']:>10.0f}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
