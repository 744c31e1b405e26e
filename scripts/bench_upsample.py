"""Times `SubPixelConv2DTranspose` against `keras.layers.Conv2DTranspose`.

Both layers get the same weights and inputs, run as `tf.function`s (with and
without XLA), and are timed alternately in the same process so that load from
other processes on the machine hits both about equally. Warm-up (tracing and
compilation) is excluded. Prints, per shape and mode, the time per step of
each layer (median process CPU time and minimum wall time) and the ratios
new / old (below 1 means the new layer is faster). "fwd+bwd" is a training
step's worth of work: output, loss, and gradients for input and weights.

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
            # The loss consumes the output, so the forward pass cannot be
            # pruned away (as it would be with `output_gradients=dy` alone).
            with tf.GradientTape() as tape:
                tape.watch(x)
                loss = tf.reduce_sum(layer(x) * dy)
            return [loss] + tape.gradient(loss, [x] + layer.trainable_variables)

    else:

        def step(x, dy):
            return layer(x)

    return tf.function(step, jit_compile=jit)


def time_pair(steps, x, dy, iters, repeats, warmup):
    """Per-call wall and CPU seconds of each step, timed alternately.

    Returns `[(min wall, median cpu), ...]`, one per step. On a shared
    machine wall time mostly measures what the other processes do, so the
    minimum is the best estimate of the uncontended time; process CPU time
    (all threads) measures the work done and is far less sensitive to load.
    """
    for step in steps:
        for _ in range(warmup):
            _wait(step(x, dy))
    walls, cpus = [[] for _ in steps], [[] for _ in steps]
    for repeat in range(repeats):
        # Alternate which layer goes first, so neither always runs right
        # after the other one has warmed (or thrashed) the caches.
        order = range(len(steps)) if repeat % 2 == 0 else reversed(range(len(steps)))
        for i in order:
            wall, cpu = time.perf_counter(), time.process_time()
            for _ in range(iters):
                out = steps[i](x, dy)
            _wait(out)
            walls[i].append((time.perf_counter() - wall) / iters)
            cpus[i].append((time.process_time() - cpu) / iters)
    return [(min(w), float(np.median(c))) for w, c in zip(walls, cpus)]


def _wait(outputs):
    # Reading back the results waits for all queued work to finish.
    tf.nest.map_structure(lambda t: t.numpy(), outputs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--iters", type=int, default=2)
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
    header = (
        f"{'shape':<26} {'k':>2} {'mode':<8} {'xla':<4} {'old cpu':>8} {'new cpu':>8} "
        f"{'ratio':>6} {'old wall':>9} {'new wall':>9} {'ratio':>6}"
    )
    print("times in ms per step; cpu = median process CPU time, wall = min wall time;")
    print("ratio = new / old (below 1: SubPixelConv2DTranspose is faster)")
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
                    (wall_old, cpu_old), (wall_new, cpu_new) = time_pair(
                        steps, x, dy, args.iters, args.repeats, args.warmup
                    )
                    mode = "fwd+bwd" if backward else "fwd"
                    print(
                        f"{label:<26} {k:>2} {mode:<8} {'on' if jit else 'off':<4} "
                        f"{1e3 * cpu_old:>8.1f} {1e3 * cpu_new:>8.1f} {cpu_new / cpu_old:>6.2f} "
                        f"{1e3 * wall_old:>9.1f} {1e3 * wall_new:>9.1f} {wall_new / wall_old:>6.2f}",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
