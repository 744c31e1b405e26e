"""Class fidelity of label-conditioned samples (CGAN, ACGAN, SNGAN-projection).

Each conditional family is trained on Fashion-MNIST (with labels) for the same
number of steps, batch size, width and latent size, with its own default loss
and optimizers but the same number of D steps per G step (`--d-steps`, default 1)
so that every family gets the same number of updates. Then 1000 samples are drawn with labels
0, 1, ..., 9, 0, 1, ... and a Fashion-MNIST classifier labels them; class
fidelity is the fraction of samples classified as the class they were
conditioned on (chance: 0.1; the classifier's accuracy on real test images is
the ceiling).

The classifier is `keras_gans.metrics.load_fashion_mnist_classifier()` (the
zoo preset or `runs/fashion_mnist_classifier/model.keras`); without one, a
small classifier is trained here for `--classifier-epochs` epochs.

Usage:

    python scripts/bench_class_fidelity.py --steps 1500
"""

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import keras  # noqa: E402

from keras_gans import data  # noqa: E402
from keras_gans.models.acgan import ACGAN  # noqa: E402
from keras_gans.models.cgan import CGAN  # noqa: E402
from keras_gans.models.projection import SNGANProjection  # noqa: E402

FAMILIES = {"cgan": CGAN, "acgan": ACGAN, "sngan_projection": SNGANProjection}


def cpu_seconds():
    t = os.times()
    return t.user + t.system


def get_classifier(args, test_x, test_y):
    try:
        from keras_gans.metrics import load_fashion_mnist_classifier

        model = load_fashion_mnist_classifier()
        source = "keras_gans.metrics.load_fashion_mnist_classifier()"
    except Exception as e:  # noqa: BLE001 - fall back to a small local classifier
        print(f"no preset classifier ({e}); training one", flush=True)
        from keras_gans.metrics import build_fashion_mnist_classifier

        keras.utils.set_random_seed(args.seed)
        model = build_fashion_mnist_classifier()
        model.compile(optimizer=keras.optimizers.Adam(1e-3),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        model.fit(data.load("fashion_mnist", batch_size=128, with_labels=True, seed=args.seed),
                  epochs=args.classifier_epochs, verbose=2)
        source = f"build_fashion_mnist_classifier() trained {args.classifier_epochs} epoch(s) here"
    x = data.to_model_range(test_x)
    acc = float((predict(model, x).argmax(1) == test_y).mean())
    return model, source, acc


def predict(model, images, batch_size=500):
    return np.concatenate([np.asarray(model(images[i:i + batch_size], training=False))
                           for i in range(0, len(images), batch_size)])


class Progress(keras.callbacks.Callback):
    def __init__(self, name):
        super().__init__()
        self.name = name

    def on_epoch_end(self, epoch, logs=None):
        shown = {k: round(float(v), 4) for k, v in (logs or {}).items()}
        print(f"[{self.name}] epoch {epoch + 1}: {shown}", flush=True)


def train_family(name, args):
    keras.utils.set_random_seed(args.seed)
    gan = FAMILIES[name](data_shape=(28, 28, 1), latent_dim=args.latent_dim, width=args.width,
                         num_classes=10, seed=args.seed)
    gan.compile(d_steps=args.d_steps)
    ds = data.load("fashion_mnist", batch_size=args.batch_size, with_labels=True,
                   seed=args.seed, repeat=True)
    epochs = max(1, args.steps // args.log_every)
    start = cpu_seconds()
    gan.fit(ds, steps_per_epoch=args.log_every, epochs=epochs, verbose=0,
            callbacks=[Progress(name)])
    return gan, cpu_seconds() - start, epochs * args.log_every


def write_markdown(path, args, source, real_acc, rows):
    lines = [
        "# Class fidelity of label-conditioned samples (Fashion-MNIST)",
        "",
        f"`python scripts/bench_class_fidelity.py --families {args.families} --steps "
        f"{args.steps} --batch-size {args.batch_size} --width {args.width} --latent-dim "
        f"{args.latent_dim} --samples {args.samples} --d-steps {args.d_steps} --seed "
        f"{args.seed}`",
        "",
        f"Each family: {args.steps} steps of batch {args.batch_size} ({args.d_steps} D "
        f"update(s) and one G update per step, `d_steps={args.d_steps}`), width {args.width}, "
        "latent_dim "
        f"{args.latent_dim}, its default loss and optimizers (CGAN, ACGAN: "
        "non-saturating, Adam(2e-4, 0.5); SNGAN-projection: hinge, Adam(2e-4, 0, 0.9); "
        "every family gets the same `d_steps`, whatever its paper's default). "
        f"{args.samples} samples with labels i mod 10, "
        f"seed {args.seed}. Classifier: {source}; its accuracy on the 10000 real "
        f"test images is {real_acc:.4f} (the ceiling). Chance is 0.1. CPU seconds "
        "are process user+system time on a shared, busy 2-core machine.",
        "",
        "| family | class fidelity | min per-class | max per-class | train CPU s |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(f"| {r['family']} | {r['accuracy']:.4f} | {min(r['per_class']):.2f} | "
                     f"{max(r['per_class']):.2f} | {r['cpu']:.0f} |")
    lines.append("")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(lines))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--families", default="cgan,acgan,sngan_projection")
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--log-every", type=int, default=250)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--latent-dim", type=int, default=64)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--d-steps", type=int, default=1,
                        help="D updates per G update, the same for every family")
    parser.add_argument("--classifier-epochs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="docs/bench_class_fidelity.md")
    args = parser.parse_args()
    test_x, test_y = data.arrays("fashion_mnist", "test")
    classifier, source, real_acc = get_classifier(args, test_x, test_y)
    print(f"classifier: {source}; real test accuracy {real_acc:.4f}", flush=True)
    labels = np.arange(args.samples) % 10
    rows = []
    for name in args.families.split(","):
        gan, cpu, steps = train_family(name, args)
        images = gan.generate(gan.latents(args.samples, seed=args.seed), labels)
        predicted = predict(classifier, images).argmax(1)
        correct = predicted == labels
        per_class = [float(correct[labels == c].mean()) for c in range(10)]
        rows.append({"family": name, "accuracy": float(correct.mean()), "per_class": per_class,
                     "cpu": cpu, "steps": steps})
        print(json.dumps(rows[-1]), flush=True)
        write_markdown(args.out, args, source, real_acc, rows)
    print(f"{'family':>18} {'fidelity':>9} {'cpu s':>7}")
    for r in rows:
        print(f"{r['family']:>18} {r['accuracy']:>9.4f} {r['cpu']:>7.0f}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
