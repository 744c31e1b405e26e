"""Trains the Fashion-MNIST classifier that `keras_gans.metrics` uses as its
offline feature network, and saves it with its measured test accuracy.

    python scripts/train_fashion_mnist_classifier.py            # ~10 min on 2 idle CPU cores
    python scripts/train_fashion_mnist_classifier.py --quick --out /tmp/clf  # smoke run

Writes `<out>/model.keras` (default `runs/fashion_mnist_classifier/`) and the zoo
preset `fashion_mnist_classifier` (`zoo/fashion_mnist_classifier/`, a row in
`zoo/presets.json`); `--quick` skips the zoo.

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
import tensorflow as tf  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from keras_gans import data  # noqa: E402
from keras_gans.metrics import classifier as clf  # noqa: E402

#: Augmentation: horizontal flips (Fashion-MNIST garments are left/right
#: symmetric) and translations of up to this many pixels.
MAX_SHIFT = 1


def augment(images, seed):
    """Random flip and +-MAX_SHIFT translation per image, stateless in `seed`."""
    b = tf.shape(images)[0]
    seeds = tf.random.experimental.stateless_split(seed, 2)
    flip = tf.random.stateless_uniform([b], seeds[0]) < 0.5
    images = tf.where(flip[:, None, None, None], tf.reverse(images, axis=[2]), images)
    shift = tf.random.stateless_uniform([b, 2], seeds[1], -MAX_SHIFT, MAX_SHIFT + 1, tf.int32)
    shift = tf.cast(shift, tf.float32)
    one, zero = tf.ones([b]), tf.zeros([b])
    # One batched projective transform (a pure integer translation, nearest
    # neighbour, background -1 filled in): far cheaper than per-image crops.
    transforms = tf.stack([one, zero, -shift[:, 0], zero, one, -shift[:, 1], zero, zero], axis=1)
    return tf.raw_ops.ImageProjectiveTransformV3(
        images=images, transforms=transforms, output_shape=tf.shape(images)[1:3],
        interpolation="NEAREST", fill_mode="CONSTANT", fill_value=-1.0)


def training_pipeline(images, labels, batch_size, seed):
    ds = data.from_arrays(images, labels, batch_size=batch_size, shuffle=True, seed=seed,
                          repeat=True)
    ds = ds.enumerate().map(
        lambda step, xy: (augment(xy[0], tf.stack([tf.cast(seed, tf.int64), step])), xy[1]),
        num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


RECIPE = "python scripts/train_fashion_mnist_classifier.py"


def save_artifacts(model, metrics, out):
    """Saves the trained classifier: a local `<out>/model.keras` first (so a
    failure in the zoo step never loses a trained model), then the zoo preset
    `fashion_mnist_classifier` through `keras_gans.zoo.write_preset`.
    """
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "model.keras")
    model.save(path)
    card = (
        "The offline feature network of `keras_gans.metrics`: a Fashion-MNIST classifier "
        "taking (N, 28, 28, 1) images in [-1, 1]. Features: layer `features` (128-d, "
        "`keras_gans.metrics.classifier_features(model)`); logits: layer `logits`. "
        f"Trained from seed {metrics['seed']} for {metrics['epochs']} epochs with flip + "
        f"{MAX_SHIFT}px shift augmentation; test accuracy {metrics['test_accuracy']:.4f} "
        "(measured once, after training). Weights identity used in metric records "
        f"(`weights_sha256`): `{metrics['weights_sha256']}`."
    )
    with open(os.path.join(out, "metrics.json"), "w") as f:
        json.dump(dict(metrics, card=card), f, indent=2)
    from keras_gans import zoo

    zoo.write_preset(
        "fashion_mnist_classifier", model, dataset="fashion_mnist", resolution=28,
        description="Fashion-MNIST classifier: feature network of keras_gans.metrics",
        recipe=RECIPE, task="classification", export=True, card=card,
        metrics={"test_accuracy": {"value": round(metrics["test_accuracy"], 4),
                                   "protocol": "fashion_mnist test split, 10k images"}},
        training={"wall_time_s": metrics["train_seconds"], "epochs": metrics["epochs"],
                  "batch_size": metrics["batch_size"], "seed": metrics["seed"]},
    )
    return path


def publish_only(out):
    """Re-publishes the preset from `<out>/model.keras` and `<out>/metrics.json`
    without retraining (e.g. after the zoo format gained an artifact)."""
    import keras

    model = keras.saving.load_model(os.path.join(out, "model.keras"))
    with open(os.path.join(out, "metrics.json")) as f:
        metrics = json.load(f)
    return save_artifacts(model, metrics, out)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--learning-rate", type=float, default=2e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=os.path.dirname(clf.DEFAULT_CLASSIFIER_PATH))
    p.add_argument("--jit-compile", action="store_true", help="XLA (measure first on CPU)")
    p.add_argument("--quick", action="store_true", help="2k images, 1 epoch: a smoke run")
    p.add_argument("--publish-only", action="store_true",
                   help="re-publish from <out>/model.keras without training")
    args = p.parse_args(argv)
    if args.publish_only:
        return publish_only(args.out)

    keras.utils.set_random_seed(args.seed)
    x_train, y_train = data.arrays("fashion_mnist", split="train")
    x_test, y_test = data.arrays("fashion_mnist", split="test")
    if args.quick:
        x_train, y_train = x_train[:2048], y_train[:2048]
        x_test, y_test = x_test[:1000], y_test[:1000]
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
        # Several steps per tf.function call: less Python overhead for a small model.
        steps_per_execution=8,
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
    if args.quick:  # a smoke run never overwrites the published preset
        os.makedirs(args.out, exist_ok=True)
        where = os.path.join(args.out, "model.keras")
        model.save(where)
    else:
        where = save_artifacts(model, metrics, args.out)
    print(f"saved to {where}")
    return metrics


if __name__ == "__main__":
    main()
