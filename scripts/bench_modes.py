"""The mode-collapse test bed: every unconditional family on ring8 and grid25.

Trains each registered family that builds from `data_shape=(2,)` on the 2-D
mixtures of `keras_gans.data.mixtures` with the same budget: the same number
of generator updates (a family's own `d_steps` D updates per G update), the
same MLP generator and discriminator size (`width` hidden units, 2 hidden
layers; autoencoder discriminators use the same width), the same batch size,
latent size, seeds and data order. Every family trains with its own default
optimizers and loss (its paper's), so the table compares recipes, not one
optimizer setting. The vanilla GAN runs twice, with the minimax and the
non-saturating generator loss.

Each run is measured on `--samples` generated points (2,500, as PacGAN's
evaluation code) with `keras_gans.metrics.mixture.mixture_metrics`: modes
covered (>= 1 sample within 3 std of the mode), the fraction of high-quality
samples, and KL(mode histogram || uniform) in nats. Wall time covers
building, tracing and training (not evaluation); the machine is shared, so
times are indicative. The script prints one Markdown table (mean +- std over
seeds) and writes it to docs/bench_modes.md.

Usage:

    python scripts/bench_modes.py                      # full: 3 seeds, 1500 G steps
    python scripts/bench_modes.py --quick              # 1 seed, 200 steps, smoke test
    python scripts/bench_modes.py --families began,unrolled --steps 1000
"""

import argparse
import datetime
import importlib
import os
import pkgutil
import shlex
import sys
import time
import traceback

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import keras  # noqa: E402

import keras_gans.data  # noqa: E402
import keras_gans.models  # noqa: E402
from keras_gans.metrics.mixture import mixture_metrics  # noqa: E402
from keras_gans.models import registry  # noqa: E402

DATASETS = ("ring8", "grid25")
#: Families run with specific settings: label -> (constructor kwargs, compile kwargs).
VARIANTS = {
    "vanilla": {"vanilla (minimax)": ({}, {"loss": "minimax"}),
                "vanilla (non-saturating)": ({}, {"loss": "non_saturating"})},
    # The default 100 kernels x 5 dims build a [batch, batch, 500] tensor per D
    # call (~1 s per step at batch 256 on 2 busy CPU cores); 16 x 4 keeps the
    # technique at ~0.4 s per step.
    "improved_gan": {"improved_gan (minibatch discr. 16x4)": (
        {"discriminator_options": {"minibatch_discrimination": {"num_kernels": 16,
                                                                 "kernel_dim": 4}}}, {})},
}


#: Left out unless named with --families: key -> why.
OPT_IN = {
    "improved_gan": "minibatch discrimination is O(batch^2): ~0.4 s per step at batch 256 "
                    "on 2 busy cores, about 10x the other families; run it with "
                    "--families improved_gan",
}


def discover_families():
    """Imports every module of keras_gans.models and returns the registry keys."""
    for info in pkgutil.iter_modules(keras_gans.models.__path__):
        try:
            importlib.import_module(f"keras_gans.models.{info.name}")
        except Exception as e:  # a module being written can fail to import
            print(f"skip module {info.name}: {type(e).__name__}: {e}", flush=True)
    return registry.list_families()


def runs_for(families):
    """[(label, family key, (constructor kwargs, compile kwargs))] in a stable order."""
    runs = []
    for key in families:
        for label, options in VARIANTS.get(key, {key: ({}, {})}).items():
            runs.append((label, key, options))
    return runs


def build(key, seed, args, **kwargs):
    keras.utils.set_random_seed(seed)
    cls = registry.get(key)
    if not issubclass(cls, keras_gans.models.ConfigurableGAN):
        raise TypeError(f"{cls.__name__} does not build from data_shape (image-only family)")
    model = cls(data_shape=(2,), latent_dim=args.latent_dim, width=args.width, seed=seed,
                **kwargs)
    if model.num_classes is not None:
        raise TypeError(f"{cls.__name__} is conditional (the test bed is unconditional)")
    return model


def train_and_measure(key, options, dataset, seed, args):
    build_kwargs, compile_kwargs = options
    start = time.perf_counter()
    model = build(key, seed, args, **build_kwargs)
    if args.critic_batches == "split":
        compile_kwargs = {**compile_kwargs, "critic_batches": "split"}
    model.compile(steps_per_execution=args.steps_per_execution, **compile_kwargs)
    # With "split", each of the d_steps critic updates gets its own batch of
    # --batch-size real points (the papers' Algorithm 1), so the dataset
    # yields d_steps times as many per step.
    batch = args.batch_size * (model.d_steps if args.critic_batches == "split" else 1)
    data = keras_gans.data.load(dataset, batch_size=batch, seed=seed, repeat=True)
    model.fit(data, steps_per_epoch=args.steps, epochs=1, verbose=0)
    seconds = time.perf_counter() - start
    samples = model.generate(model.latents(args.samples, seed=10_000 + seed))
    metrics = mixture_metrics(samples, dataset)
    metrics["seconds"] = seconds
    metrics["nonfinite"] = int(np.sum(~np.isfinite(samples).all(axis=1)))
    return metrics


def reference_samples(dataset, seed, num_samples):
    """{label: samples} of two generators that need no training.

    `reference: the data` draws from the mixture itself (the best score);
    `reference: Gaussian fit` draws from one Gaussian with the data's mean
    and covariance, which has learned no mode at all: a family scoring no
    better than it has not learned the modes, whatever its coverage.
    """
    from keras_gans.data.mixtures import mixture_modes, sample_mixture

    centers, std = mixture_modes(dataset)
    data, _ = sample_mixture(centers, std, 100_000, seed=seed)
    rng = np.random.default_rng(20_000 + seed)
    gaussian = rng.multivariate_normal(data.mean(0), np.cov(data.T), size=num_samples)
    return {"reference: the data": sample_mixture(centers, std, num_samples,
                                                  seed=30_000 + seed)[0],
            "reference: Gaussian fit": gaussian.astype(np.float32)}


def mean_std(values, fmt):
    values = np.asarray(values, np.float64)
    finite = values[np.isfinite(values)]
    if len(finite) == 0:
        return "nan"
    if len(values) == 1:
        return fmt.format(finite[0])
    text = f"{fmt.format(finite.mean())} ± {fmt.format(finite.std())}"
    if len(finite) < len(values):
        text += f" ({len(values) - len(finite)} nan)"
    return text


def table(results, runs, datasets):
    """One Markdown table: a row per (family, dataset)."""
    lines = ["| family | dataset | modes covered | high-quality % | KL to uniform (nats) "
             "| wall time (s) |",
             "|---|---|---|---|---|---|"]
    for label, _, _ in runs:
        for dataset in datasets:
            rows = results.get((label, dataset))
            if not rows:
                continue
            if isinstance(rows, str):
                lines.append(f"| {label} | {dataset} | failed: {rows} | | | |")
                continue
            num_modes = rows[0]["num_modes"]
            modes = mean_std([r["modes_covered"] for r in rows], "{:.1f}") + f" / {num_modes}"
            hq = mean_std([100 * r["high_quality_fraction"] for r in rows], "{:.1f}")
            kl = mean_std([r["kl_to_uniform"] for r in rows], "{:.2f}")
            secs = mean_std([r["seconds"] for r in rows], "{:.0f}")
            secs = "—" if secs == "nan" else secs  # the reference rows train nothing
            lines.append(f"| {label} | {dataset} | {modes} | {hq} | {kl} | {secs} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=1500, help="generator updates per run")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--families", default="",
                        help="comma-separated registry keys (default: all that build on 2-D)")
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--latent-dim", type=int, default=32)
    parser.add_argument("--samples", type=int, default=2500)
    parser.add_argument("--steps-per-execution", type=int, default=50)
    parser.add_argument("--critic-batches", choices=("shared", "split"), default="shared",
                        help="families with several D steps: every D update on the same "
                             "real batch (shared) or on its own batch (split)")
    parser.add_argument("--quick", action="store_true",
                        help="1 seed, 200 steps: checks that everything runs")
    parser.add_argument("--out", default=None,
                        help="default: docs/bench_modes.md (--quick: /tmp/bench_modes_quick.md)")
    args = parser.parse_args(argv)
    if args.quick:
        args.steps, args.seeds = min(args.steps, 200), 1
    if args.out is None:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        args.out = ("/tmp/bench_modes_quick.md" if args.quick
                    else os.path.join(root, "docs", "bench_modes.md"))
    args.steps_per_execution = max(1, min(args.steps_per_execution, args.steps))

    available = discover_families()
    wanted = [f.strip() for f in args.families.split(",") if f.strip()]
    skipped = []  # (label, reason), listed under the table
    if not wanted:
        for key, reason in OPT_IN.items():
            if key in available:
                print(f"skip {key} (opt-in): {reason}", flush=True)
                skipped.append((key, f"opt-in, {reason}"))
        wanted = [key for key in available if key not in OPT_IN]
    unknown = sorted(set(wanted) - set(available))
    if unknown:
        parser.error(f"unknown families {unknown}; available: {available}")
    datasets = [d.strip() for d in args.datasets.split(",") if d.strip()]
    runs = runs_for(wanted)
    print(f"families: {', '.join(label for label, _, _ in runs)}", flush=True)

    results = {}
    for label, key, options in runs:
        try:
            build(key, 0, args, **options[0])
        except Exception as e:
            print(f"skip {label}: {type(e).__name__}: {e}", flush=True)
            skipped.append((label, f"{type(e).__name__}: {e}"))
            continue
        for dataset in datasets:
            rows = []
            for seed in range(args.seeds):
                try:
                    metrics = train_and_measure(key, options, dataset, seed, args)
                except Exception as e:
                    traceback.print_exc()
                    results[(label, dataset)] = f"{type(e).__name__}: {e}"[:120]
                    break
                rows.append(metrics)
                print(f"{label:26s} {dataset:7s} seed {seed}: "
                      f"{metrics['modes_covered']}/{metrics['num_modes']} modes, "
                      f"{100 * metrics['high_quality_fraction']:.1f}% HQ, "
                      f"KL {metrics['kl_to_uniform']:.2f}, {metrics['seconds']:.0f} s"
                      + (f", {metrics['nonfinite']} non-finite" if metrics["nonfinite"] else ""),
                      flush=True)
            else:
                results[(label, dataset)] = rows

    references = []
    for dataset in datasets:
        for seed in range(args.seeds):
            for label, samples in reference_samples(dataset, seed, args.samples).items():
                metrics = {**mixture_metrics(samples, dataset), "seconds": float("nan")}
                results.setdefault((label, dataset), []).append(metrics)
                if (label, None, None) not in references:
                    references.append((label, None, None))
    md = table(results, references + runs, datasets)
    command = shlex.join(["python", "scripts/bench_modes.py",
                          *(sys.argv[1:] if argv is None else argv)])
    header = (
        "# Mode-collapse test bed\n\n"
        f"Generated by `{command}` on "
        f"{datetime.date.today().isoformat()}: {args.steps} generator updates, batch "
        f"{args.batch_size}, MLP width {args.width} (2 hidden layers in G and D), latent "
        f"size {args.latent_dim}, {args.seeds} seed(s) (mean ± std), {args.samples} samples "
        f"per evaluation, {args.steps_per_execution} steps per execution. Each family uses "
        "its default optimizers, loss and D steps per G step; critic_batches="
        f"{args.critic_batches!r} (with 'split' every D update sees its own {args.batch_size} "
        "real points). The two reference rows need no training: the data itself, and one "
        "Gaussian fitted to it (no mode learned): coverage at or below the Gaussian's is not "
        "mode learning. Modes are covered with >= 1 "
        "sample within 3 std; KL is of the high-quality samples' mode histogram to uniform "
        "(0 is perfectly balanced). Wall time includes building and tracing, on a shared "
        "2-core CPU.\n\n"
    )
    print()
    print(md)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(header + md + "\n")
        if skipped:
            f.write("\nNot run:\n\n")
            f.writelines(f"* {label}: {reason}\n" for label, reason in skipped)
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
