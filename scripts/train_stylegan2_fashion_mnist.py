"""Recipes of the `stylegan2_fashion_mnist` preset (a small 32x32 StyleGAN2): the shipped one and its alternative.

    python scripts/train_stylegan2_fashion_mnist.py --recipe plain --cpu-minutes 130 --publish
    python scripts/train_stylegan2_fashion_mnist.py --recipe tuned --cpu-minutes 130

Fashion-MNIST's 28x28 images are zero-padded (black, as their background)
to 32x32, the nearest power of two, so no pixel is resampled. The network is
StyleGAN2 (Karras et al. 2020) at a CPU-sized width: w and z of 128, the
paper's 8-layer mapping network, feature maps `min(1024 // res, 128)` (128 at
4x4 and 8x8, 64 at 16x16, 32 at 32x32), the paper's optimizers, style mixing,
lazy R1 every 16 and path-length regularization every 4 steps, an EMA
generator for sampling and export. Two recipes differ only in R1 gamma and
the EMA decay:

* `plain`: the StyleGAN2 paper's values left untouched, R1 gamma 10 and an
  EMA half-life of 10k images (decay 0.5 ** (32 / 10000) = 0.99778 at batch
  32);
* `tuned`: R1 gamma 0.01 from StyleGAN2-ADA's small-data heuristic
  `gamma = 0.0002 * resolution^2 / batch` (0.0064 here; its CIFAR-10 config
  uses 0.01), EMA decay 0.999.

With the same CPU time each, `plain` measured fid10k_test 4.05 (recall
0.062) against `tuned`'s 7.94 (0.026) at 100 CPU-minutes, and 3.39 (0.074)
against 5.82 (0.048) at 130, so the preset ships `plain`; `tuned` stays as
the measured alternative.

Seeded (the same command gives the same run, up to nondeterministic CPU
kernels) and resumable: re-running a command continues from its run
directory's last checkpoint and keeps counting the CPU time already spent
(`TimeBudget(cpu_seconds=...)`, summed over threads, so runs are comparable
on a shared machine). `--publish` writes the preset with
`keras_gans.zoo.write_preset` (zoo/ and savedmodels/, or
$KERAS_GANS_ZOO_DIR / $KERAS_GANS_SAVEDMODELS_DIR), with a sample grid, a
truncation strip and a style-mixing grid.

Measured like every preset, under the project's protocols (Fashion-MNIST
classifier features, 10k samples against the 10k test images, next to the
real-data floor): the classifier takes 28x28 images, so the 2-pixel border
the padding added is cropped from every sample before it is measured (the
border is not scored).
"""

import argparse
import json
import os
import re
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_gans  # noqa: E402
from keras_gans import callbacks as kcb  # noqa: E402
from keras_gans.utils.images import save_style_mixing_figure  # noqa: E402
from keras_gans.models.stylegan2 import StyleGAN2  # noqa: E402
from keras_gans.utils.files import atomic_path, write_text  # noqa: E402
from keras_gans.utils.images import make_grid, save_grid, save_image  # noqa: E402

PRESET = "stylegan2_fashion_mnist"
CONFIG = dict(resolution=32, channels=1, latent_dim=128, w_dim=128, mapping_layers=8,
              channel_base=1024, channel_max=128)
RECIPES = {
    "tuned": dict(batch_size=32, lr=2e-3, r1_gamma=0.01, ema_decay=0.999),
    "plain": dict(batch_size=32, lr=2e-3, r1_gamma=10.0, ema_decay=round(0.5 ** (32 / 1e4), 5)),
}
TRUNCATION_PSI = (1.0, 0.85, 0.7, 0.5, 0.3, 0.0)


def padded_fashion_mnist():
    images, _ = keras_gans.data.arrays("fashion_mnist", "train")
    return np.pad(images, ((0, 0), (2, 2), (2, 2), (0, 0)))  # uint8 0 = background


def truncation_strip(model, path, seeds=6):
    """Rows: latents; columns: truncation_psi from 1 (none) to 0 (the average)."""
    z = model.latents(seeds, seed=1)
    columns = [keras_gans.data.to_uint8(model.generate(z, truncation_psi=psi))
               for psi in TRUNCATION_PSI]
    cells = np.stack(columns, axis=1).reshape((-1,) + columns[0].shape[1:])
    return save_image(make_grid(cells, rows=seeds), path, scale=2)


def comparison_table(run, recipe):
    """Markdown rows for this run, the other recipe's (when it was measured) and
    the preset this run replaces (from the presets table)."""
    other = "plain" if recipe == "tuned" else "tuned"
    path = os.path.join("runs", f"{PRESET}_{other}", "run.json")
    ref = json.load(open(path)) if os.path.exists(path) else {}
    rows = [(f"{recipe}, {run['mixed_precision']}, {run['augment']} (shipped)", run)]
    if "metrics" in ref:
        rows.append((f"{other}, {ref.get('mixed_precision', 'float32')}, "
                     f"{ref.get('augment', 'none')}", ref))
    previous = keras_gans.zoo.presets.read_table().get(PRESET)
    if previous and previous["training"].get("steps") == run["steps"]:
        # This very run, published again: keep the row it replaced.
        previous = run.get("replaces")
    elif previous:
        run["replaces"] = previous  # main() writes run.json after publishing
    if previous and previous["training"].get("steps") != run["steps"]:
        # Earlier cards did not record these; their recipe line has no such flags.
        named = re.search(r"--recipe (\w+)", previous["recipe"])
        old = {"r1_gamma": float("nan"), "ema_decay": float("nan"),
               **RECIPES.get(named.group(1) if named else "", {}),
               "mixed_precision": previous["training"].get("mixed_precision", "float32")}
        rows.append((f"previously shipped: `{previous['recipe']}`",
                     {**old, **previous["training"], "metrics": previous["metrics"]}))
    if len(rows) == 1:
        return ""
    lines = "".join(
        f"| {label} | {r['r1_gamma']:g} | {r['ema_decay']:g} | {r['mixed_precision']} | "
        f"{r['cpu_seconds']:.0f} | {r['steps']} | "
        f"{r['metrics']['fid10k_test']['value']['fid']:.2f} | "
        f"{r['metrics']['pr10k_test']['value']['precision']:.3f} | "
        f"{r['metrics']['pr10k_test']['value']['recall']:.3f} | "
        f"{r['metrics']['modes10k']['value']['classes_covered']}/10 |\n"
        for label, r in rows)
    return ("## Against the other recipe and the previous preset\n\n"
            "| run | R1 gamma | EMA decay | compute | CPU s | steps | fid10k_test | "
            "precision | recall | classes |\n|---|---|---|---|---|---|---|---|---|---|\n" + lines +
            "\nSame network and optimizers; `plain` keeps the StyleGAN2 paper's R1 gamma and "
            "EMA half-life, `tuned` takes StyleGAN2-ADA's small-data gamma heuristic (at 130 "
            "CPU-minutes each, side by side, it measured fid10k_test 5.82, recall 0.048 against "
            "plain's 3.39, 0.074). Budgets are CPU seconds summed over threads; a previously "
            "shipped row is copied from the presets table it was published in (its own "
            "machine and thread count).\n\n")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--recipe", choices=sorted(RECIPES), default="plain")
    p.add_argument("--cpu-minutes", type=float, default=120.0)
    p.add_argument("--wall-minutes", type=float, default=None,
                   help="also stop this invocation after this much wall time (resumable)")
    p.add_argument("--steps-per-epoch", type=int, default=500,
                   help="steps between checkpoints (and sample grids)")
    p.add_argument("--max-epochs", type=int, default=10_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None)
    p.add_argument("--ppl-samples", type=int, default=1000,
                   help="latent pairs for the offline PPL recorded with the preset (0: skip)")
    p.add_argument("--eval-samples", type=int, default=10000,
                   help="samples per protocol (10000: the protocols' own count, floors shown)")
    p.add_argument("--deterministic", action="store_true")
    p.add_argument("--mixed-precision", choices=("bfloat16", "float16"), default=None,
                   help="compute precision (variables, losses, R1, path length and EMA stay "
                        "float32); default float32")
    p.add_argument("--augment", choices=("diffaugment", "ada", "bcr"), default=None,
                   help="data-efficient training through compile(augment=...) (default none)")
    p.add_argument("--ada-kimg", type=float, default=20.0,
                   help="ADA's adjustment speed (the paper's 500 would not move p in a CPU run)")
    p.add_argument("--threads", type=int, default=None,
                   help="intra-op threads (default: all cores); 1 runs two recipes side by side")
    p.add_argument("--max-steps", type=int, default=None,
                   help="also stop at this many steps (equal-steps comparisons)")
    p.add_argument("--publish", action="store_true", help=f"write the {PRESET} preset")
    args = p.parse_args()
    TRAINING = RECIPES[args.recipe]
    # Each precision and augmentation gets its own run directory: a resume
    # must never continue another variant's checkpoint.
    variant = "".join([{None: "", "bfloat16": "_bf16", "float16": "_fp16"}[args.mixed_precision],
                       f"_{args.augment}" if args.augment else ""])
    args.out = args.out or os.path.join("runs", f"{PRESET}_{args.recipe}{variant}")
    if args.threads:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    os.makedirs(args.out, exist_ok=True)
    if args.deterministic:
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    keras.utils.set_random_seed(args.seed)
    batch = TRAINING["batch_size"]

    images = padded_fashion_mnist()
    per_data_epoch = len(images) // batch
    run_file = os.path.join(args.out, "run.json")
    run = json.load(open(run_file)) if os.path.exists(run_file) else {
        "cpu_seconds": 0.0, "wall_seconds": 0.0}

    model, epoch = kcb.resume(os.path.join(args.out, "ckpt"))
    if model is None:
        model = StyleGAN2(**CONFIG, ema_decay=TRAINING["ema_decay"], seed=args.seed)
        adam = dict(beta_1=0.0, beta_2=0.99, epsilon=1e-8)
        augment = ({"name": "ada", "ada_kimg": args.ada_kimg} if args.augment == "ada"
                   else args.augment)
        model.compile(d_optimizer=keras.optimizers.Adam(TRAINING["lr"], **adam),
                      g_optimizer=keras.optimizers.Adam(TRAINING["lr"], **adam),
                      r1_gamma=TRAINING["r1_gamma"], augment=augment,
                      mixed_precision=args.mixed_precision)
    else:
        print(f"Resuming {args.out} at epoch {epoch}")
    # Continue the data stream exactly where the checkpointed steps left it.
    done = int(model.g_optimizer.iterations.numpy())
    ds = keras_gans.data.from_arrays(images, batch_size=batch, seed=args.seed,
                                     epoch=done // per_data_epoch, repeat=True)
    ds = ds.skip(done % per_data_epoch)
    budget = kcb.TimeBudget(cpu_seconds=args.cpu_minutes * 60,
                            spent_cpu_seconds=run["cpu_seconds"],
                            wall_seconds=args.wall_minutes and args.wall_minutes * 60,
                            max_steps=args.max_steps)
    wall0 = time.time()

    class RecordSpent(keras.callbacks.Callback):
        # run.json follows every checkpoint, so a killed and resumed run keeps
        # counting from the CPU time its checkpoints already cost.
        def on_epoch_end(self, epoch, logs=None):
            spent = {**run, "cpu_seconds": budget.cpu_used(),
                     "wall_seconds": run["wall_seconds"] + time.time() - wall0}
            write_text(run_file, json.dumps(spent, indent=2))

    reached = args.max_steps and int(model.g_optimizer.iterations.numpy()) >= args.max_steps
    if budget.spent_cpu_seconds < args.cpu_minutes * 60 and not reached:
        model.fit(ds, epochs=args.max_epochs, initial_epoch=epoch,
                  steps_per_epoch=args.steps_per_epoch,
                  callbacks=[kcb.NonFiniteGuard(), budget,
                             kcb.SampleGrid(os.path.join(args.out, "samples"), seed=args.seed),
                             kcb.GANCheckpoint(os.path.join(args.out, "ckpt")), RecordSpent()],
                  verbose=2)
        run["cpu_seconds"] = budget.cpu_used()
        run["wall_seconds"] += time.time() - wall0
    steps = int(model.g_optimizer.iterations.numpy())
    # Metrics already measured on these very weights (a rerun after the budget
    # is spent, e.g. to publish) are reused instead of measured again.
    measured_at = run.get("metrics_at_step", run.get("steps")) if "metrics" in run else None
    run.update({
        **CONFIG, **TRAINING, "recipe": args.recipe, "seed": args.seed,
        "mixed_precision": args.mixed_precision or "float32", "augment": args.augment or "none",
        "steps": steps, "images_seen": steps * batch,
        "data_epochs": round(steps / per_data_epoch, 3),
        "command": " ".join([os.path.basename(sys.executable)] + sys.argv),
    })
    write_text(run_file, json.dumps(run, indent=2))
    with atomic_path(os.path.join(args.out, "model.keras")) as tmp:
        model.save(tmp)
    grid = save_grid(model.sample(64, seed=0), os.path.join(args.out, "samples.png"), rows=8)
    strip = truncation_strip(model, os.path.join(args.out, "truncation.png"))
    mixing = save_style_mixing_figure(
        model.mix_styles(model.latents(4, seed=2), model.latents(6, seed=3)),
        os.path.join(args.out, "style_mixing.png"))
    interpolations = {}
    for space in ("z", "w"):  # slerp in Z, lerp in W, seed 4 -> seed 5
        name = f"interpolation_{space}.png"
        model.interpolate(4, 5, steps=10, space=space, path=os.path.join(args.out, name))
        interpolations[name] = os.path.join(args.out, name)
    model.interpolate(4, 5, steps=24, space="w",
                      gif_path=os.path.join(args.out, "interpolation_w.gif"))
    interpolations["interpolation_w.gif"] = os.path.join(args.out, "interpolation_w.gif")
    metrics = run["metrics"] if measured_at == steps else {}

    def cropped(n, seed, labels=None):
        # Undo the padding: the classifier (and the floors) are 28x28.
        return np.asarray(model.generate(model.latents(n, seed=seed)))[:, 2:30, 2:30, :]

    from keras_gans.metrics import evaluate, format_result

    protocols = ("fid10k_test", "kid10k_test", "pr10k_test", "dc10k_test", "modes10k", "is10k")
    eval_n = None if args.eval_samples == 10000 else args.eval_samples
    results = {} if metrics else evaluate(cropped, protocols=protocols, num_samples=eval_n,
                                          seed=args.seed)
    for name, result in results.items():
        print(format_result(result))
        metrics[name] = {"value": result["values"], "protocol": name,
                         "floor": result.get("floor"),
                         "note": "EMA generator; 32x32 samples center-cropped to 28x28"}
    # Recorded before PPL runs: a failure there must not cost the evaluation.
    run["metrics"], run["metrics_at_step"] = metrics, steps
    write_text(run_file, json.dumps(run, indent=2))
    if args.ppl_samples and "ppl_w_full" not in metrics:
        from keras_gans.metrics.ppl import perceptual_path_length

        # The classifier is 28x28: the padding is cropped, as for the other metrics.
        ppl = perceptual_path_length(model, num_samples=args.ppl_samples, seed=args.seed,
                                     preprocess={"center_crop": 28})
        metrics["ppl_w_full"] = {
            "value": round(ppl["ppl"], 4),
            "protocol": (f"PPL in W, full sampling, eps {ppl['epsilon']:g}, "
                         f"{ppl['num_samples']} pairs, features: {ppl['feature']}; "
                         f"{ppl['note']}")}
    run["metrics"], run["metrics_at_step"] = metrics, steps
    write_text(run_file, json.dumps(run, indent=2))
    print(json.dumps(run, indent=2))

    if args.publish:
        keras_gans.zoo.write_preset(
            PRESET, model, dataset="fashion_mnist", resolution=32,
            eval_preprocess={"center_crop": 28},
            description=("StyleGAN2 (Karras et al. 2020) trained on Fashion-MNIST padded to "
                         "32x32, grayscale, unconditional; a CPU-sized network (w 128, "
                         "32-128 feature maps). Samples from the EMA generator."),
            # The budget actually spent (a run may be stopped by --wall-minutes).
            recipe=f"python scripts/train_stylegan2_fashion_mnist.py --recipe {args.recipe} "
                   + (f"--mixed-precision {args.mixed_precision} " if args.mixed_precision else "")
                   + (f"--augment {args.augment} " if args.augment else "")
                   + (f"--ada-kimg {args.ada_kimg:g} " if args.augment == "ada" else "")
                   + f"--cpu-minutes {min(args.cpu_minutes, run['cpu_seconds'] / 60):.0f} "
                   f"--seed {args.seed}" + (f" --threads {args.threads}" if args.threads else "")
                   + " --publish",
            metrics=metrics,
            training={"cpu_seconds": round(run["cpu_seconds"]),
                      "wall_seconds": round(run["wall_seconds"]), "steps": steps,
                      "images_seen": steps * batch, "batch_size": batch,
                      "mixed_precision": run["mixed_precision"], "augment": run["augment"]},
            card=(comparison_table(run, args.recipe) + (
                  f"Trained under {args.mixed_precision} mixed precision (variables, losses, "
                  "R1, path length and the EMA in float32); at equal steps it measured the "
                  "same quality as float32 (docs/bench_train.md). `zoo.load` returns the "
                  "model in float32 (`precision=\"recipe\"` for the recipe's own) and the "
                  "SavedModel computes in float32.\n\n" if args.mixed_precision else "")
                  + "Truncation strip: rows are latents, columns truncation_psi "
                  f"{', '.join(f'{p:g}' for p in TRUNCATION_PSI)}. Style mixing: coarse "
                  "styles (layers 0-3) from the row sources, the rest from the column "
                  "sources (StyleGAN figure 3). Interpolations from seed 4 to seed 5: spherical in Z, "
                  "linear in W (strips of 10 frames, and a GIF of 24 in W).\n\nMetrics: EMA generator, 32x32 "
                  "samples center-cropped to 28x28 (the padding undone) for the "
                  "Fashion-MNIST classifier's features; floors are train vs test "
                  "images under the same protocols."),
            images={"samples.png": grid, "truncation.png": strip, "style_mixing.png": mixing,
                    **interpolations},
        )
        write_text(run_file, json.dumps(run, indent=2))
        print(f"Published preset {PRESET}")


if __name__ == "__main__":
    main()
