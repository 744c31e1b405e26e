"""Trains the Fashion-MNIST classifier that `keras_gans.metrics` uses as its
offline feature network, and saves it with its measured test accuracy.

    python scripts/train_fashion_mnist_classifier.py            # ~10 min on 2 CPU cores
    python scripts/train_fashion_mnist_classifier.py --quick    # smoke run, seconds

Seeded (`keras.utils.set_random_seed`, epoch-seeded shuffling, stateless
augmentation keyed by the step): two runs on one machine give the same
weights up to TensorFlow's CPU reduction order.
"""

import argparse
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from keras_gans import data  # noqa: E402
from keras_gans.metrics import classifier as clf  # noqa: E402

#: Augmentation: horizontal flips (Fashion-MNIST garments are left/right
#: symmetric) and translations of up to this many pixels.
MAX_SHIFT = 2


def augment(images, seed):
    """Random flip and +-MAX_SHIFT translation per image, stateless in `seed`."""
    b = tf.shape(images)[0]
    seeds = tf.random.experimental.stateless_split(seed, 3)
    flip = tf.random.stateless_uniform([b], seeds[0]) < 0.5
    images = tf.where(flip[:, None, None, None], tf.reverse(images, axis=[2]), images)
    # Pad with the background value (-1) and gather a shifted 28x28 window.
    padded = tf.pad(images, [[0, 0], [MAX_SHIFT] * 2, [MAX_SHIFT] * 2, [0, 0]],
                    constant_values=-1.0)
    dy = tf.random.stateless_uniform([b], seeds[1], 0, 2 * MAX_SHIFT + 1, tf.int32)
    dx = tf.random.stateless_uniform([b], seeds[2], 0, 2 * MAX_SHIFT + 1, tf.int32)
    rows = dy[:, None] + tf.range(28)[None, :]
    cols = dx[:, None] + tf.range(28)[None, :]
    out = tf.gather(padded, rows, axis=1, batch_dims=1)
    return tf.gather(out, cols, axis=2, batch_dims=1)


def training_pipeline(images, labels, batch_size, seed):
    ds = data.from_arrays(images, labels, batch_size=batch_size, shuffle=True, seed=seed,
                          repeat=True)
    ds = ds.enumerate().map(
        lambda step, xy: (augment(xy[0], tf.stack([tf.cast(seed, tf.int64), step])), xy[1]),
        num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


def save_artifacts(model, metrics, out):
    """Saves the trained classifier.

    LEAD: switch this over to the zoo once it exists. When
    `keras_gans.zoo.write_preset` is importable it is used as specified
    (`write_preset("fashion_mnist_classifier", model, metrics=..., card=...)`);
    until then the model goes to `<out>/model.keras` with `<out>/metrics.json`,
    which `keras_gans.metrics.classifier.load_fashion_mnist_classifier` finds.
    """
    from keras_gans import zoo

    card = (
        "Fashion-MNIST classifier: the offline feature network of keras_gans.metrics "
        "(features = layer 'features', 128-d; logits = layer 'logits'). Trained by "
        "scripts/train_fashion_mnist_classifier.py "
        f"(seed {metrics['seed']}, {metrics['epochs']} epochs, flip + {MAX_SHIFT}px shift "
        f"augmentation). Test accuracy {metrics['test_accuracy']:.4f}."
    )
    if hasattr(zoo, "write_preset"):
        return zoo.write_preset("fashion_mnist_classifier", model, metrics=metrics, card=card)
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "model.keras")
    model.save(path)
    with open(os.path.join(out, "metrics.json"), "w") as f:
        json.dump(dict(metrics, card=card), f, indent=2)
    return path


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--learning-rate", type=float, default=2e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=os.path.dirname(clf.DEFAULT_CLASSIFIER_PATH))
    p.add_argument("--jit-compile", action="store_true", help="XLA (measure first on CPU)")
    p.add_argument("--quick", action="store_true", help="2k images, 1 epoch: a smoke run")
    args = p.parse_args(argv)

    keras.utils.set_random_seed(args.seed)
    x_train, y_train = data.arrays("fashion_mnist", split="train")
    x_test, y_test = data.arrays("fashion_mnist", split="test")
    if args.quick:
        x_train, y_train, x_test, y_test = x_train[:2048], y_train[:2048], x_test[:1000], y_test[:1000]
        args.epochs = 1
    x_train, x_test = data.to_model_range(x_train), data.to_model_range(x_test)
    steps = len(x_train) // args.batch_size

    model = clf.build_fashion_mnist_classifier()
    schedule = keras.optimizers.schedules.CosineDecay(args.learning_rate, args.epochs * steps)
    model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
        jit_compile=args.jit_compile,
    )
    ds = training_pipeline(x_train, y_train, args.batch_size, args.seed)
    start = time.time()
    model.fit(ds, epochs=args.epochs, steps_per_epoch=steps, verbose=2)
    train_seconds = time.time() - start
    # The test set is touched once, after training: no model selection on it.
    _, test_accuracy = model.evaluate(x_test, y_test, batch_size=500, verbose=0)
    metrics = {
        "test_accuracy": float(test_accuracy),
        "train_seconds": round(train_seconds, 1),
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "learning_rate": args.learning_rate,
        "seed": args.seed,
        "num_train": int(len(x_train)),
        "num_test": int(len(x_test)),
        "weights_sha256": clf.weights_sha256(model),
    }
    print(json.dumps(metrics, indent=2))
    where = save_artifacts(model, metrics, args.out)
    print(f"saved to {where}")
    return metrics


if __name__ == "__main__":
    main()
