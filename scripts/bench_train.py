"""Steady-state training speed: ours against a plain Keras model and PyTorch, fp32 and bf16.

    python scripts/bench_train.py [--family dcgan|stylegan2] [--steps 30] [--rounds 5]
    # PyTorch rows need the benchmark-only dependency (the library never imports it):
    pip install torch==2.13.0

Everything runs in this process, round by round interleaved (every candidate
runs `--steps` steps per round, so background load hits all alike), and the
median round is reported. Only ratios within one run mean anything: other
processes share the CPU.

Steady state: every candidate is traced and warmed up before the first round,
keeps one data iterator for the whole run, and a round times `--steps` calls of
its compiled train step (Keras: `model.train_function(iterator)`, the function
`fit` calls; the last step's logs are fetched before the clock stops). The
overhead of `fit` itself (setup, callbacks, iterator creation and teardown) is
measured separately as one `fit` of the same steps per round over the step loop.

Candidates (`--family dcgan`, the DCGAN benchmark network, 28x28x1, batch 128):
  ours          keras_gans DCGAN: one G forward per step, sub-pixel upsampling,
                per-example losses, EMA off (to compare like with like)
  plain         keras.io's "DCGAN overriding train_step" structure on the same
                architecture: SeedGenerator noise, concatenated real+fake D
                batch, BinaryCrossentropy, a second G forward for the G step,
                Conv2DTranspose and BatchNormalization (Keras's stock layers)
  torch         the same network in PyTorch (nn.ConvTranspose2d), our step
                structure; eager NCHW, eager channels-last, and with
                `--torch-compile` torch.compile
and each Keras candidate at both precisions: fp32, and bf16 under
`keras.mixed_precision.set_global_policy("mixed_bfloat16")` (set while the
model is built); PyTorch bf16 is `torch.autocast("cpu", torch.bfloat16)` with
channels-last (eager and compiled).

`--family stylegan2`: the shipped `stylegan2_fashion_mnist` recipe (its
networks, R1 every 16 and path-length regularization every 4 steps, batch 32),
ours fp32 and bf16, and the same without regularization (what the lazy
regularizers cost). There is no plain keras.io StyleGAN2 and no PyTorch port
here, so its ratio lines print `nan`.

Also printed: nominal model FLOPs per trained image (3 x G forward + 8 x D
forward for DCGAN: backward counted as twice the forward, D runs on real and
fake and once more for the G step; the upsampling counted as Conv2DTranspose
for every candidate), achieved GFLOP/s next to the fp32 and bf16 matmul peaks
measured in this run, and the input pipeline's delivery rate next to what
training consumes. The last two lines:

    precision=fp32 ratio_vs_plain=<x> ratio_vs_torch=<y>
    precision=bf16 ratio_vs_plain=<x> ratio_vs_torch=<y>

(`ratio_vs_torch` against the fastest PyTorch configuration of that precision;
`nan` where a candidate did not run).
"""

import argparse
import contextlib
import math
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

import keras_gans  # noqa: E402
from keras_gans.models import DCGAN  # noqa: E402
from keras_gans.models.dcgan import build_dcgan_discriminator, build_dcgan_generator  # noqa: E402

PRECISIONS = {"fp32": "float32", "bf16": "mixed_bfloat16"}


@contextlib.contextmanager
def global_policy(name):
    """Builds models under the Keras dtype policy `name`, then restores the old one."""
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(name)
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)


class PlainGAN(keras.Model):
    """The keras.io DCGAN example's train_step, on our architecture."""

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
        combined = keras.ops.concatenate(
            [keras.ops.cast(generated, real_images.dtype), real_images], axis=0)
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


# ---------------------------------------------------------------- measuring
def layer_flops(model):
    """Forward FLOPs per example of the Dense/Conv2D/Conv2DTranspose layers (2 x MACs)."""
    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Dense):
            total += 2 * layer.kernel.shape[0] * layer.kernel.shape[1]
        elif isinstance(layer, keras.layers.Conv2DTranspose):
            # Each input pixel meets the whole kernel once.
            k = layer.kernel.shape  # (kh, kw, out, in)
            inp = layer.input.shape
            total += 2 * inp[1] * inp[2] * k[0] * k[1] * k[2] * k[3]
        elif isinstance(layer, keras.layers.Conv2D):
            k = layer.kernel.shape
            out = layer.output.shape
            total += 2 * out[1] * out[2] * k[0] * k[1] * k[2] * k[3]
    return total


def matmul_peak(dtype, n=2048, repeats=10):
    """GFLOP/s of an n x n x n matmul in `dtype` (best of `repeats`)."""
    a = tf.cast(tf.random.normal((n, n)), dtype)
    b = tf.cast(tf.random.normal((n, n)), dtype)
    f = tf.function(lambda: tf.matmul(a, b))
    f()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        f().numpy()
        times.append(time.perf_counter() - t)
    return 2 * n ** 3 / min(times) / 1e9


def pipeline_rate(batch_size, batches=200):
    """Batches per second `keras_gans.data.load("fashion_mnist")` delivers, iterated alone."""
    ds = keras_gans.data.load("fashion_mnist", batch_size=batch_size, repeat=True)
    it = iter(ds)
    next(it)
    start = time.perf_counter()
    for _ in range(batches):
        next(it)
    return batches / (time.perf_counter() - start)


class KerasCandidate:
    """A compiled Keras model timed through its own train function."""

    def __init__(self, model, dataset, warmup=3):
        self.model, self.dataset = model, dataset
        model.fit(dataset, epochs=1, steps_per_epoch=warmup, verbose=0, shuffle=False)
        self.iterator = iter(dataset)
        self.train_function = model.train_function  # what fit built and traced
        self.steps(warmup)

    def steps(self, n):
        """Seconds for `n` steady-state steps."""
        start = time.perf_counter()
        for _ in range(n):
            logs = self.train_function(self.iterator)
        # The step's outputs exist only once the step ran: fetch one.
        float(next(iter(logs.values())))
        return time.perf_counter() - start

    def fit_seconds(self, n):
        """Seconds for a `fit` of `n` steps (setup, callbacks and iterator included)."""
        start = time.perf_counter()
        self.model.fit(self.dataset, epochs=1, steps_per_epoch=n, verbose=0, shuffle=False)
        return time.perf_counter() - start


# ---------------------------------------------------------------- DCGAN
def dcgan_candidates(args, batches):
    b, latent, width = args.batch_size, 100, args.width
    ds = keras_gans.data.from_arrays(batches, batch_size=b, shuffle=False, repeat=True)
    keras_rows, nominal = {}, None
    for precision, policy in PRECISIONS.items():
        with global_policy(policy):
            keras.utils.set_random_seed(0)
            ours = DCGAN(resolution=28, width=width, latent_dim=latent, fast_upsampling=True)
            ours.compile(loss="non_saturating", jit_compile=args.jit)
            # Keras's stock layers: Conv2DTranspose and BatchNormalization.
            plain = PlainGAN(build_dcgan_discriminator(28, 1, width, fused_batch_norm=False),
                             build_dcgan_generator(28, 1, latent, width, fast_upsampling=False,
                                                   fused_batch_norm=False),
                             latent)
            plain.compile(keras.optimizers.Adam(2e-4, beta_1=0.5),
                          keras.optimizers.Adam(2e-4, beta_1=0.5),
                          keras.losses.BinaryCrossentropy(from_logits=True))
            for name, model in (("ours", ours), ("plain", plain)):
                keras_rows[f"{name} {precision}"] = try_build(
                    f"{name} {precision}", lambda m=model: KerasCandidate(m, ds))
            if nominal is None and keras_rows.get(f"plain {precision}") is not None:
                nominal = 3 * layer_flops(plain.generator) + 8 * layer_flops(plain.discriminator)
    torch_rows = {} if args.no_torch else torch_dcgan_candidates(args, batches, latent)
    return keras_rows, torch_rows, nominal, "3 x G forward + 8 x D forward"


def torch_dcgan_candidates(args, batches, latent):
    try:
        import torch
        from torch import nn
    except ImportError:
        print("PyTorch is not installed: `pip install torch==2.13.0` for its rows.")
        return {}
    width = args.width

    def build():
        torch.manual_seed(0)
        top = width * 2
        g = nn.Sequential(
            nn.Linear(latent, 7 * 7 * top, bias=False), nn.Unflatten(1, (top, 7, 7)),
            nn.BatchNorm2d(top), nn.ReLU(),
            nn.ConvTranspose2d(top, width, 5, 2, padding=2, output_padding=1, bias=False),
            nn.BatchNorm2d(width), nn.ReLU(),
            nn.ConvTranspose2d(width, 1, 5, 2, padding=2, output_padding=1), nn.Tanh())
        d = nn.Sequential(
            nn.Conv2d(1, width, 5, 2, padding=2), nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 5, 2, padding=2, bias=False),
            nn.BatchNorm2d(2 * width), nn.LeakyReLU(0.2), nn.Flatten(),
            nn.Linear(7 * 7 * 2 * width, 1))
        return g, d

    scaled = batches.astype(np.float32) / 127.5 - 1.0  # as keras_gans.data scales
    data = [torch.from_numpy(np.transpose(x, (0, 3, 1, 2)).copy())
            for x in np.split(scaled, len(scaled) // args.batch_size)]

    def candidate(channels_last, bf16, compiled):
        g, d = build()
        if channels_last:
            g, d = g.to(memory_format=torch.channels_last), d.to(memory_format=torch.channels_last)
        og = torch.optim.Adam(g.parameters(), 2e-4, betas=(0.5, 0.999))
        od = torch.optim.Adam(d.parameters(), 2e-4, betas=(0.5, 0.999))
        gf, df = (torch.compile(g), torch.compile(d)) if compiled else (g, d)
        bce = nn.BCEWithLogitsLoss()
        inputs = [x.contiguous(memory_format=torch.channels_last) if channels_last else x
                  for x in data]
        autocast = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if bf16 \
            else contextlib.nullcontext
        state = {"i": 0}

        def step():
            real = inputs[state["i"] % len(inputs)]
            state["i"] += 1
            n = real.shape[0]
            with autocast():
                fake = gf(torch.randn(n, latent))
                d_loss = (bce(df(real).float(), torch.ones(n, 1))
                          + bce(df(fake.detach()).float(), torch.zeros(n, 1)))
            od.zero_grad(set_to_none=True)
            d_loss.backward()
            od.step()
            with autocast():
                g_loss = bce(df(fake).float(), torch.ones(n, 1))
            og.zero_grad(set_to_none=True)
            g_loss.backward()
            og.step()
            return g_loss

        return TorchCandidate(step)

    configs = {
        "torch eager fp32": (False, False, False),
        "torch channels-last fp32": (True, False, False),
        "torch compile fp32": (False, False, True),
        "torch channels-last autocast bf16": (True, True, False),
        "torch compile channels-last autocast bf16": (True, True, True),
    }
    rows = {}
    for name, config in configs.items():
        if config[2] and not args.torch_compile:
            continue
        rows[name] = try_build(name, lambda c=config: candidate(*c))
    return rows


class TorchCandidate:
    def __init__(self, step, warmup=3):
        self.step = step
        for _ in range(warmup):  # torch.compile compiles here
            step()

    def steps(self, n):
        start = time.perf_counter()
        for _ in range(n):
            loss = self.step()
        float(loss)
        return time.perf_counter() - start


# ---------------------------------------------------------------- StyleGAN2
#: The shipped `stylegan2_fashion_mnist` network and its `plain` recipe
#: (scripts/train_stylegan2_fashion_mnist.py).
STYLEGAN2_CONFIG = dict(resolution=32, channels=1, latent_dim=128, w_dim=128, mapping_layers=8,
                        channel_base=1024, channel_max=128)
STYLEGAN2_ADAM = dict(learning_rate=2e-3, beta_1=0.0, beta_2=0.99, epsilon=1e-8)


def stylegan2_candidates(args, batches):
    from keras_gans.models.stylegan2 import StyleGAN2

    ds = keras_gans.data.from_arrays(batches, batch_size=args.batch_size, shuffle=False,
                                     repeat=True)
    rows = {}
    for precision, policy in PRECISIONS.items():
        for regularized in (True, False):
            name = f"{'ours' if regularized else 'ours unregularized'} {precision}"

            def make(policy=policy, regularized=regularized):
                with global_policy(policy):
                    keras.utils.set_random_seed(0)
                    model = StyleGAN2(**STYLEGAN2_CONFIG, ema_decay=0.99778, seed=0)
                    model.compile(d_optimizer=keras.optimizers.Adam(**STYLEGAN2_ADAM),
                                  g_optimizer=keras.optimizers.Adam(**STYLEGAN2_ADAM),
                                  r1_gamma=10.0 if regularized else 0.0,
                                  pl_weight=2.0 if regularized else 0.0,
                                  jit_compile=args.jit)
                # Lazy regularizers run every 16 (R1) and 4 (path length)
                # steps: warm up past both so each branch is traced.
                return KerasCandidate(model, ds, warmup=17)

            rows[name] = try_build(name, make)
    return rows, {}, None, ""


def try_build(name, make):
    """`make()`, or None with the error printed (a candidate that fails is reported, not fatal)."""
    print(f"building {name} ...", flush=True)
    try:
        return make()
    except Exception as e:  # noqa: BLE001 - report any failure and go on
        print(f"  {name} failed: {type(e).__name__}: {str(e).splitlines()[0][:300]}", flush=True)
        return None


# ---------------------------------------------------------------- main
def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--family", choices=("dcgan", "stylegan2"), default="dcgan")
    p.add_argument("--steps", type=int, default=30, help="steps per candidate per round")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=None,
                   help="default: 128 for dcgan, 32 (the recipe's) for stylegan2")
    p.add_argument("--width", type=int, default=64, help="DCGAN width")
    p.add_argument("--jit", action="store_true", help="compile our train steps with XLA")
    p.add_argument("--no-torch", action="store_true", help="skip the PyTorch rows")
    p.add_argument("--torch-compile", action="store_true",
                   help="also time torch.compile rows (compiling took over 30 min on the "
                        "loaded 2-core machine, so they are opt-in)")
    args = p.parse_args()
    if args.batch_size is None:
        args.batch_size = 128 if args.family == "dcgan" else 32
    b = args.batch_size
    print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, "
          f"{os.cpu_count()} CPUs; family {args.family}, batch {b}, "
          f"{args.rounds} rounds of {args.steps} steps", flush=True)

    images, _ = keras_gans.data.arrays("fashion_mnist", "train")
    if args.family == "stylegan2":
        images = np.pad(images, ((0, 0), (2, 2), (2, 2), (0, 0)))  # the recipe's 32x32
    batches = images[: b * max(args.steps, 8)]
    build = dcgan_candidates if args.family == "dcgan" else stylegan2_candidates
    keras_rows, torch_rows, flops, flops_note = build(args, batches)
    candidates = {k: v for k, v in {**keras_rows, **torch_rows}.items() if v is not None}
    if not candidates:
        sys.exit("no candidate could be built")

    seconds = {name: [] for name in candidates}
    fit_over_steps = []
    fit_row = "ours fp32" if "ours fp32" in candidates else None
    for r in range(args.rounds):
        for name, cand in candidates.items():
            seconds[name].append(cand.steps(args.steps))
        if fit_row:
            fit_over_steps.append(candidates[fit_row].fit_seconds(args.steps)
                                  / seconds[fit_row][-1])
        print(f"round {r + 1}: " + ", ".join(
            f"{name} {b * args.steps / s[-1]:.0f}" for name, s in seconds.items()) + " img/s",
            flush=True)

    rate = {name: b * args.steps / statistics.median(s) for name, s in seconds.items()}
    peaks = {"fp32": matmul_peak(tf.float32), "bf16": matmul_peak(tf.bfloat16)}
    print(f"\nimages/s, median of {args.rounds} rounds of {args.steps} steps (batch {b}):")
    for name, v in rate.items():
        precision = name.split()[-1]
        line = f"  {name:44} {v:8.1f} img/s"
        if flops:
            gflops = v * flops / 1e9
            line += f"  {gflops:7.1f} GFLOP/s ({100 * gflops / peaks[precision]:4.1f}% of {precision} peak)"
        print(line)
    if flops:
        print(f"nominal training FLOPs per image: {flops / 1e6:.1f} MFLOP ({flops_note})")
    print(f"matmul peaks (2048^3, this run): fp32 {peaks['fp32']:.0f} GFLOP/s, "
          f"bf16 {peaks['bf16']:.0f} GFLOP/s")
    for precision in PRECISIONS:
        if f"ours {precision}" in rate and "ours fp32" in rate and precision != "fp32":
            print(f"ours {precision} over ours fp32: {rate[f'ours {precision}'] / rate['ours fp32']:.2f}x")
    if fit_over_steps:
        print(f"fit overhead ({fit_row}): a fit of {args.steps} steps takes "
              f"{statistics.median(fit_over_steps):.2f}x its steady-state step loop (median)")
    if "ours fp32" in rate:
        delivered = pipeline_rate(b)
        consumed = rate["ours fp32"] / b
        print(f"input pipeline: delivers {delivered:.0f} batches/s alone; ours fp32 consumes "
              f"{consumed:.1f} batches/s ({delivered / consumed:.0f}x headroom)")

    for precision in PRECISIONS:
        ours = rate.get(f"ours {precision}", math.nan)
        plain = rate.get(f"plain {precision}", math.nan)
        torch_best = max((v for k, v in rate.items()
                          if k.startswith("torch") and k.endswith(precision)), default=math.nan)
        print(f"precision={precision} ratio_vs_plain={ours / plain:.2f} "
              f"ratio_vs_torch={ours / torch_best:.2f}")


if __name__ == "__main__":
    main()
