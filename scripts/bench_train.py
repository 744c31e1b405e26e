"""Training speed of our DCGAN against a plain keras.io-style implementation.

    python scripts/bench_train.py [--steps 30] [--rounds 3] [--width 64]

Both train the same architecture (our `build_dcgan_generator`/
`build_dcgan_discriminator` layout, 28x28x1, batch 128) on the same
Fashion-MNIST batches for the same number of steps, in this process,
interleaved round by round so background load hits both alike; warm-up
(tracing) is excluded and the median round is reported.

"Plain" is written the way keras.io's "DCGAN overriding train_step" example
does it: `keras.random.normal` with a SeedGenerator, real and fake images
concatenated into one D batch with noisy labels, `BinaryCrossentropy`
(reduce-mean) losses, a second generator forward pass for the G step,
`keras.layers.Conv2DTranspose` upsampling, a plain tf.function train step.

Ours: one generator forward per step (the D step's fakes are reused for the
G step), sub-pixel convolutions instead of Conv2DTranspose (the same
function, about twice as fast on CPU), per-example losses with replica-safe
reduction, EMA off (to compare like with like), and XLA when `--jit` is given.

When PyTorch is importable, the same network (nn.ConvTranspose2d) with the
same step structure as ours is timed too.

Also printed: model FLOPs per trained image (3 x G forward + 8 x D forward:
backward counted as twice the forward; D runs on real and fake, and once
more with an input gradient for the G step) and the achieved GFLOP/s next
to a measured fp32 matmul peak. The last line reads
`ratio_vs_plain=<x> ratio_vs_torch=<y>` (the second only when measured).
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

import keras_gans  # noqa: E402
from keras_gans.models import DCGAN  # noqa: E402
from keras_gans.models.dcgan import build_dcgan_discriminator, build_dcgan_generator  # noqa: E402


class PlainGAN(keras.Model):
    """The keras.io example's structure, on our architecture."""

    def __init__(self, discriminator, generator, latent_dim):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = latent_dim
        self.seed_generator = keras.random.SeedGenerator(1337)

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn
        self.d_loss_metric = keras.metrics.Mean(name="d_loss")
        self.g_loss_metric = keras.metrics.Mean(name="g_loss")

    @property
    def metrics(self):
        return [self.d_loss_metric, self.g_loss_metric]

    def train_step(self, real_images):
        batch_size = keras.ops.shape(real_images)[0]
        z = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        generated = self.generator(z, training=True)
        combined = keras.ops.concatenate([generated, real_images], axis=0)
        labels = keras.ops.concatenate(
            [keras.ops.ones((batch_size, 1)), keras.ops.zeros((batch_size, 1))], axis=0)
        labels += 0.05 * tf.random.uniform(tf.shape(labels))
        with tf.GradientTape() as tape:
            predictions = self.discriminator(combined, training=True)
            d_loss = self.loss_fn(labels, predictions)
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))
        z = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        misleading = keras.ops.zeros((batch_size, 1))
        with tf.GradientTape() as tape:
            predictions = self.discriminator(self.generator(z, training=True), training=True)
            g_loss = self.loss_fn(misleading, predictions)
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))
        self.d_loss_metric.update_state(d_loss)
        self.g_loss_metric.update_state(g_loss)
        return {"d_loss": self.d_loss_metric.result(), "g_loss": self.g_loss_metric.result()}


def layer_flops(model):
    """Forward FLOPs per example of the conv/dense layers (2 x MACs)."""
    total = 0
    for layer in model.layers:
        cfg = layer.get_config()
        if isinstance(layer, keras.layers.Dense):
            total += 2 * layer.kernel.shape[0] * layer.kernel.shape[1]
        elif isinstance(layer, keras.layers.Conv2D):
            k = layer.kernel.shape
            out = layer.output.shape
            total += 2 * out[1] * out[2] * k[0] * k[1] * k[2] * k[3]
        elif "Conv2DTranspose" in type(layer).__name__:
            # Each input pixel meets the whole kernel once.
            k = cfg["kernel_size"]
            k = (k, k) if isinstance(k, int) else k
            inp = layer.input.shape
            total += 2 * inp[1] * inp[2] * inp[3] * k[0] * k[1] * cfg["filters"]
    return total


def matmul_peak(n=2048, repeats=10):
    a = tf.random.normal((n, n))
    b = tf.random.normal((n, n))
    f = tf.function(lambda: tf.matmul(a, b))
    f()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        f().numpy()
        times.append(time.perf_counter() - t)
    return 2 * n ** 3 / min(times) / 1e9


def time_keras(model, ds, steps):
    start = time.perf_counter()
    model.fit(ds, epochs=1, steps_per_epoch=steps, verbose=0)
    return steps / (time.perf_counter() - start)


def torch_runner(width, latent_dim, batches):
    try:
        import torch
        from torch import nn
    except ImportError:
        return None
    torch.manual_seed(0)

    def gen():
        top = width * 2
        return nn.Sequential(
            nn.Linear(latent_dim, 7 * 7 * top, bias=False), nn.Unflatten(1, (top, 7, 7)),
            nn.BatchNorm2d(top), nn.ReLU(),
            nn.ConvTranspose2d(top, width, 5, 2, padding=2, output_padding=1, bias=False),
            nn.BatchNorm2d(width), nn.ReLU(),
            nn.ConvTranspose2d(width, 1, 5, 2, padding=2, output_padding=1), nn.Tanh())

    def disc():
        return nn.Sequential(
            nn.Conv2d(1, width, 5, 2, padding=2), nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 5, 2, padding=2, bias=False),
            nn.BatchNorm2d(2 * width), nn.LeakyReLU(0.2), nn.Flatten(),
            nn.Linear(7 * 7 * 2 * width, 1))

    g, d = gen(), disc()
    og = torch.optim.Adam(g.parameters(), 2e-4, betas=(0.5, 0.999))
    od = torch.optim.Adam(d.parameters(), 2e-4, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()
    data = [torch.from_numpy(np.transpose(b, (0, 3, 1, 2)).copy()) for b in batches]

    def run(steps):
        start = time.perf_counter()
        for i in range(steps):
            real = data[i % len(data)]
            n = real.shape[0]
            fake = g(torch.randn(n, latent_dim))
            od.zero_grad()
            loss = bce(d(real), torch.ones(n, 1)) + bce(d(fake.detach()), torch.zeros(n, 1))
            loss.backward()
            od.step()
            og.zero_grad()
            bce(d(fake), torch.ones(n, 1)).backward()
            og.step()
        return steps / (time.perf_counter() - start)

    run(3)
    return run


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--jit", action="store_true", help="compile our train_step with XLA")
    args = p.parse_args()
    b, latent = args.batch_size, 100
    images, _ = keras_gans.data.arrays("fashion_mnist", "train")
    images = images[: b * args.steps]
    ds = keras_gans.data.from_arrays(images, batch_size=b, shuffle=False, repeat=True)
    batches = [x.numpy() for x in ds.take(args.steps)]

    keras.utils.set_random_seed(0)
    ours = DCGAN(resolution=28, width=args.width, latent_dim=latent, fast_upsampling=True)
    ours.compile(loss="non_saturating", jit_compile=args.jit)
    plain = PlainGAN(build_dcgan_discriminator(28, 1, args.width),
                     build_dcgan_generator(28, 1, latent, args.width, fast_upsampling=False),
                     latent)
    plain.compile(keras.optimizers.Adam(2e-4, beta_1=0.5), keras.optimizers.Adam(2e-4, beta_1=0.5),
                  keras.losses.BinaryCrossentropy(from_logits=True))
    for model in (ours, plain):  # warm-up: tracing excluded
        model.fit(ds, epochs=1, steps_per_epoch=3, verbose=0)
    torch_run = torch_runner(args.width, latent, batches)

    rates = {"ours": [], "plain": [], "torch": []}
    for r in range(args.rounds):
        rates["ours"].append(time_keras(ours, ds, args.steps))
        rates["plain"].append(time_keras(plain, ds, args.steps))
        if torch_run:
            rates["torch"].append(torch_run(args.steps))
        print(f"round {r + 1}: ours {rates['ours'][-1] * b:.0f} img/s, plain "
              f"{rates['plain'][-1] * b:.0f} img/s"
              + (f", torch {rates['torch'][-1] * b:.0f} img/s" if torch_run else ""), flush=True)
    med = {k: statistics.median(v) * b for k, v in rates.items() if v}
    flops = 3 * layer_flops(ours.generator) + 8 * layer_flops(ours.discriminator)
    peak = matmul_peak()
    print(f"\nimages/s (median of {args.rounds} rounds of {args.steps} steps, batch {b}):")
    for k, v in med.items():
        print(f"  {k:6} {v:8.1f} img/s  {v * flops / 1e9:6.1f} GFLOP/s")
    print(f"model training FLOPs per image: {flops / 1e6:.1f} MFLOP "
          f"(3 x G forward + 8 x D forward)")
    print(f"fp32 matmul peak (2048^3, this machine, this run): {peak:.1f} GFLOP/s; ours "
          f"reaches {100 * med['ours'] * flops / 1e9 / peak:.0f}% of it")
    line = f"ratio_vs_plain={med['ours'] / med['plain']:.2f}"
    if "torch" in med:
        line += f" ratio_vs_torch={med['ours'] / med['torch']:.2f}"
    print(line)


if __name__ == "__main__":
    main()
