"""Times `SubPixelConv2DTranspose` against `keras.layers.Conv2DTranspose`.

Both layers get the same weights and inputs, run as `tf.function`s (with and
without XLA), and are timed alternately in the same process so that load from
other processes on the machine hits both about equally. Warm-up (tracing and
compilation) is excluded. Prints, per shape and mode, the median time per
step of each layer and the ratio new / old (below 1 means the new layer is
faster).

Usage:

    python scripts/bench_upsample.py            # all shapes, both XLA modes
    python scripts/bench_upsample.py --quick    # batch 16, fewer repeats
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import keras  # noqa: E402
from keras_gans.layers.resampling import SubPixelConv2DTranspose  # noqa: E402

# (input height/width, input channels, output channels): DCGAN generator
# stages (MNIST-sized 7 -> 14 -> 28, and the 4 -> 8 stage of a 64px model).
SHAPES = ((7, 256, 128), (14, 128, 1), (4, 512, 256))
KERNEL_SIZES = (4, 5)


def make_step(layer, backward, jit):
    """A compiled step: forward, or forward plus gradients for input and weights."""
    if backward:

        def step(x, dy):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = layer(x)
            return tape.gradient(y, [x] + layer.trainable_variables, output_gradients=dy)

    else:

        def step(x, dy):
            return layer(x)

    return tf.function(step, jit_compile=jit)


def time_pair(steps, x, dy, iters, repeats, warmup):
    """Median seconds per call of each step, alternating between them."""
    for step in steps:
        for _ in range(warmup):
            tf.nest.map_structure(lambda t: t.numpy(), step(x, dy))
    times = [[] for _ in steps]
    for _ in range(repeats):
        for i, step in enumerate(steps):
            start = time.perf_counter()
            for _ in range(iters):
                out = step(x, dy)
            # Reading back the results waits for all queued work to finish.
            tf.nest.map_structure(lambda t: t.numpy(), out)
            times[i].append((time.perf_counter() - start) / iters)
    return [float(np.median(t)) for t in times]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--iters", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--xla", choices=("both", "on", "off"), default="both")
    parser.add_argument("--quick", action="store_true", help="batch 16, 3 repeats")
    args = parser.parse_args()
    if args.quick:
        args.batch, args.repeats = 16, 3
    jit_modes = {"both": (False, True), "on": (True,), "off": (False,)}[args.xla]

    rng = np.random.default_rng(0)
    print(
        f"TF {tf.__version__}, Keras {keras.__version__}, batch {args.batch}, "
        f"median of {args.repeats} x {args.iters} steps, "
        f"intra-op threads {tf.config.threading.get_intra_op_parallelism_threads()}"
    )
    header = f"{'shape':<26} {'k':>2} {'mode':<8} {'xla':<4} {'old ms':>9} {'new ms':>9} {'new/old':>8}"
    print(header)
    print("-" * len(header))
    for size, in_ch, out_ch in SHAPES:
        for k in KERNEL_SIZES:
            x = tf.constant(rng.normal(size=(args.batch, size, size, in_ch)), tf.float32)
            dy = tf.constant(
                rng.normal(size=(args.batch, 2 * size, 2 * size, out_ch)), tf.float32
            )
            old = keras.layers.Conv2DTranspose(out_ch, k, strides=2, padding="same")
            new = SubPixelConv2DTranspose(out_ch, k, strides=2)
            old.build(x.shape)
            new.build(x.shape)
            new.set_weights(old.get_weights())
            label = f"{size}x{size}x{in_ch}->{2 * size}x{2 * size}x{out_ch}"
            for backward in (False, True):
                for jit in jit_modes:
                    steps = [make_step(layer, backward, jit) for layer in (old, new)]
                    t_old, t_new = time_pair(
                        steps, x, dy, args.iters, args.repeats, args.warmup
                    )
                    mode = "fwd+bwd" if backward else "fwd"
                    print(
                        f"{label:<26} {k:>2} {mode:<8} {'on' if jit else 'off':<4} "
                        f"{1e3 * t_old:>9.2f} {1e3 * t_new:>9.2f} {t_new / t_old:>8.2f}",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
