"""Semi-supervised GAN vs supervised-only training with few labels (Fashion-MNIST).

For each number of labels (default 100 and 1000; a class-balanced subset of
the training set, `keras_gans.data.semisupervised.labelled_subset`):

* semi-supervised: `SemiSupervisedGAN` (Salimans et al. 2016: K-logit D,
  feature matching G) on batches of 32 labelled + 32 unlabelled images
  (all 60000 training images serve as unlabelled data), `--steps` steps;
* supervised-only: the SAME discriminator architecture and initialization
  (`gan.classifier()` of an identically seeded, untrained model), trained
  with cross-entropy on the labelled subset alone, batches of 32, the same
  number of steps and optimizer.

Reports test accuracy on the 10000 Fashion-MNIST test images (D in inference
mode), with the CPU seconds of each run, prints a table and writes
docs/bench_semisupervised.md.

Usage:

    python scripts/bench_semisupervised.py --steps 2000
"""

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import keras  # noqa: E402

from keras_gans import data  # noqa: E402
from keras_gans.data.pipeline import from_arrays  # noqa: E402
from keras_gans.data.semisupervised import labelled_subset, semi_supervised  # noqa: E402
from keras_gans.models.ssgan import SemiSupervisedGAN  # noqa: E402


def cpu_seconds():
    t = os.times()
    return t.user + t.system


def build(args):
    keras.utils.set_random_seed(args.seed)
    return SemiSupervisedGAN(data_shape=(28, 28, 1), latent_dim=args.latent_dim,
                             width=args.width, num_classes=10, seed=args.seed)


def optimizer(args):
    # Salimans et al.'s code: Adam(3e-4, beta_1=0.5).
    return keras.optimizers.Adam(args.lr, beta_1=0.5)


def accuracy(probs, labels):
    return float((probs.argmax(axis=1) == labels).mean())


class Progress(keras.callbacks.Callback):
    def __init__(self, name, evaluate, every_epochs=1):
        super().__init__()
        self.name, self.evaluate, self.every = name, evaluate, every_epochs

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every == 0:
            acc = self.evaluate()
            shown = {k: round(float(v), 4) for k, v in (logs or {}).items()}
            print(f"[{self.name}] epoch {epoch + 1}: test acc {acc:.4f} {shown}", flush=True)


def run_semi_supervised(args, num_labelled, test_x, test_y):
    gan = build(args)
    gan.compile(d_optimizer=optimizer(args), g_optimizer=optimizer(args))
    ds = semi_supervised("fashion_mnist", num_labelled=num_labelled, seed=args.seed,
                         batch_size=args.batch_size, repeat=True)
    epochs = max(1, args.steps // args.log_every)
    start = cpu_seconds()
    gan.fit(ds, steps_per_epoch=args.log_every, epochs=epochs, verbose=0,
            callbacks=[Progress(f"ssl {num_labelled}",
                                lambda: accuracy(gan.classify(test_x), test_y))])
    cpu = cpu_seconds() - start
    return accuracy(gan.classify(test_x), test_y), cpu, epochs * args.log_every


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
    start = cpu_seconds()
    model.fit(ds, steps_per_epoch=args.log_every, epochs=epochs, verbose=0,
              callbacks=[Progress(f"sup {num_labelled}",
                                  lambda: accuracy(gan.classify(test_x), test_y))])
    cpu = cpu_seconds() - start
    return accuracy(gan.classify(test_x), test_y), cpu, epochs * args.log_every


def write_markdown(path, args, rows):
    lines = [
        "# Semi-supervised GAN vs supervised-only (Fashion-MNIST test accuracy)",
        "",
        "`python scripts/bench_semisupervised.py "
        + " ".join(f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items()
                   if k not in ("out", "labels")) + f" --labels {','.join(map(str, args.labels))}`",
        "",
        "Same discriminator architecture (DCGAN critic, layer norm, width "
        f"{args.width}, 10 logits) and initialization (seed {args.seed}) in both "
        f"columns, {args.steps} steps each, Adam({args.lr}, beta_1=0.5). "
        "Semi-supervised: `SemiSupervisedGAN` (K-logit D with D(x) = Z/(Z+1), "
        "feature-matching G), batches of "
        f"{args.batch_size // 2} labelled + {args.batch_size - args.batch_size // 2} "
        "unlabelled images (all 60000 training images as unlabelled data). "
        "Supervised: cross-entropy on the labelled subset only, batches of "
        f"min({args.batch_size // 2}, labels). Class-balanced labelled subsets. "
        "CPU seconds are process user+system time on a shared, busy 2-core machine "
        "(indicative only).",
        "",
        "| labels | semi-supervised GAN | supervised only | GAN CPU s | supervised CPU s |",
        "|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(f"| {r['labels']} | {r['ssl_acc']:.4f} | {r['sup_acc']:.4f} | "
                     f"{r['ssl_cpu']:.0f} | {r['sup_cpu']:.0f} |")
    lines.append("")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(lines))


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
    parser.add_argument("--out", default="docs/bench_semisupervised.md")
    args = parser.parse_args()
    args.labels = [int(s) for s in args.labels.split(",")]
    train_x, train_y = data.arrays("fashion_mnist", "train")
    test_x, test_y = data.arrays("fashion_mnist", "test")
    rows = []
    for n in args.labels:
        ssl_acc, ssl_cpu, steps = run_semi_supervised(args, n, test_x, test_y)
        sup_acc, sup_cpu, _ = run_supervised(args, n, train_x, train_y, test_x, test_y)
        rows.append({"labels": n, "ssl_acc": ssl_acc, "sup_acc": sup_acc, "steps": steps,
                     "ssl_cpu": ssl_cpu, "sup_cpu": sup_cpu})
        print(json.dumps(rows[-1]), flush=True)
        write_markdown(args.out, args, rows)
    print(f"{'labels':>7} {'semi-sup':>9} {'sup-only':>9} {'GAN cpu s':>10} {'sup cpu s':>10}")
    for r in rows:
        print(f"{r['labels']:>7} {r['ssl_acc']:>9.4f} {r['sup_acc']:>9.4f} "
              f"{r['ssl_cpu']:>10.0f} {r['sup_cpu']:>10.0f}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
