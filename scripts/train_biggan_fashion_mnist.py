"""Recipe of the `biggan_fashion_mnist` preset, and the class-fidelity race at equal CPU time.

    python scripts/train_biggan_fashion_mnist.py --family biggan --cpu-minutes 12
    python scripts/train_biggan_fashion_mnist.py --family acgan --cpu-minutes 12
    python scripts/train_biggan_fashion_mnist.py --family biggan --cpu-minutes 12 --publish

`--family biggan` trains a class-conditional BigGAN on Fashion-MNIST
zero-padded to 32x32 (no pixel resampled); `--family acgan|cgan|
sngan_projection` trains the zoo's other conditional families with the
settings of `scripts/bench_class_fidelity.py` (28x28, width 32, latent 64,
batch 64, d_steps 1, their default losses and optimizers) on the SAME
CPU-time budget (process CPU seconds, summed over threads). Every run is
measured the same way:

* class fidelity: the shipped Fashion-MNIST classifier's accuracy on 10000
  label-conditioned samples (labels i mod 10; BigGAN's 32x32 samples
  centre-cropped to 28x28), next to its 0.925 accuracy on real test images;
* ifid10k_test (intra-class FID), fid10k_test and pr10k_test under the
  project's protocols (`keras_gans.metrics.evaluate`).

`--publish` writes the preset only if BigGAN's class fidelity is above that of
every reference run found in runs/ at the same budget; otherwise it says so
and writes nothing. Seeded; re-running a command resumes its run directory.
"""

import argparse
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

import keras_gans  # noqa: E402
from keras_gans import callbacks as kcb  # noqa: E402
from keras_gans.utils.files import atomic_path, write_text  # noqa: E402
from keras_gans.utils.images import save_grid  # noqa: E402

PRESET = "biggan_fashion_mnist"
# CPU-sized: width 16 (16-64 feature maps; width 32 is several times slower per
# step than the ACGAN reference on this CPU); BigGAN-PyTorch's CIFAR learning rates (2e-4 for both), one
# D step per G step like the reference runs.
BIGGAN = dict(resolution=32, channels=1, latent_dim=120, width=16, num_classes=10,
              shared_dim=64, attention_resolution=16, ortho_beta=1e-4, ema_decay=0.999)
BIGGAN_COMPILE = dict(d_lr=2e-4, g_lr=2e-4, beta_1=0.0, beta_2=0.999, d_steps=1,
                      batch_size=64)
REFERENCE = dict(width=32, latent_dim=64, batch_size=64, d_steps=1)
TRUNCATIONS = (0.5, 1.0, 1.5, 2.0, float("inf"))


def build(family, seed):
    if family == "biggan":
        model = keras_gans.models.BigGAN(**BIGGAN, seed=seed)
        c = BIGGAN_COMPILE
        model.compile(d_optimizer=keras.optimizers.Adam(c["d_lr"], c["beta_1"], c["beta_2"]),
                      g_optimizer=keras.optimizers.Adam(c["g_lr"], c["beta_1"], c["beta_2"]),
                      d_steps=c["d_steps"])
        return model, c["batch_size"]
    cls = keras_gans.models.get(family)
    model = cls(data_shape=(28, 28, 1), latent_dim=REFERENCE["latent_dim"],
                width=REFERENCE["width"], num_classes=10, seed=seed)
    model.compile(d_steps=REFERENCE["d_steps"])
    return model, REFERENCE["batch_size"]


def crop(images, family):
    images = np.asarray(images)
    return images[:, 2:30, 2:30, :] if family == "biggan" else images


def class_fidelity(model, family, classifier, n=10000, seed=0):
    labels = np.arange(n) % 10
    z = model.latents(n, seed=seed)
    predictions = []
    for i in range(0, n, 500):
        images = crop(model.generate(z[i:i + 500], labels[i:i + 500]), family)
        images = np.round((images + 1) * 127.5) / 127.5 - 1  # 8 bits, as saved images
        predictions.append(np.asarray(classifier(images, training=False)).argmax(-1))
    predicted = np.concatenate(predictions)
    per_class = [float((predicted[labels == c] == c).mean()) for c in range(10)]
    return float((predicted == labels).mean()), per_class


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--family", default="biggan",
                   choices=["biggan", "acgan", "cgan", "sngan_projection"])
    p.add_argument("--cpu-minutes", type=float, default=12.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2, help="TF intra-op threads")
    p.add_argument("--steps-per-epoch", type=int, default=200)
    p.add_argument("--eval-samples", type=int, default=10000,
                   help="samples for class fidelity and every metric (fewer: a quick run)")
    p.add_argument("--width", type=int, default=BIGGAN["width"],
                   help="BigGAN's width (feature maps 1-4x this)")
    p.add_argument("--out", default=None)
    p.add_argument("--publish", action="store_true")
    args = p.parse_args()
    BIGGAN["width"] = args.width
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    # A non-default width gets its own run directory: resuming would otherwise
    # continue another width's checkpoint.
    width_tag = "" if args.family != "biggan" or args.width == 16 else f"_w{args.width}"
    out = args.out or os.path.join(
        "runs", f"class_race_{args.family}_{args.cpu_minutes:g}{width_tag}")
    os.makedirs(out, exist_ok=True)
    keras.utils.set_random_seed(args.seed)

    images, labels = keras_gans.data.arrays("fashion_mnist", "train")
    if args.family == "biggan":
        images = np.pad(images, ((0, 0), (2, 2), (2, 2), (0, 0)))  # uint8 0 = background
    run_file = os.path.join(out, "run.json")
    run = json.load(open(run_file)) if os.path.exists(run_file) else {
        "cpu_seconds": 0.0, "wall_seconds": 0.0}
    model, epoch = kcb.resume(os.path.join(out, "ckpt"))
    batch_size = BIGGAN_COMPILE["batch_size"] if args.family == "biggan" else \
        REFERENCE["batch_size"]
    if model is None:
        model, batch_size = build(args.family, args.seed)
    ds = keras_gans.data.from_arrays(images, labels, batch_size=batch_size, seed=args.seed,
                                     epoch=epoch, repeat=True)
    budget = kcb.TimeBudget(cpu_seconds=args.cpu_minutes * 60,
                            spent_cpu_seconds=run["cpu_seconds"])
    wall0 = time.time()

    class RecordSpent(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            shown = {k: round(float(v), 4) for k, v in (logs or {}).items()}
            print(f"[{args.family}] epoch {epoch + 1} cpu {budget.cpu_used():.0f}s {shown}",
                  flush=True)
            write_text(run_file, json.dumps({**run, "cpu_seconds": budget.cpu_used(),
                                             "wall_seconds": run["wall_seconds"] +
                                             time.time() - wall0}, indent=2))

    if budget.spent_cpu_seconds < args.cpu_minutes * 60:
        model.fit(ds, epochs=100000, initial_epoch=epoch, steps_per_epoch=args.steps_per_epoch,
                  callbacks=[kcb.NonFiniteGuard(), budget,
                             kcb.GANCheckpoint(os.path.join(out, "ckpt")), RecordSpent()],
                  verbose=0)
        run["cpu_seconds"] = budget.cpu_used()
        run["wall_seconds"] += time.time() - wall0
    steps = int(model.g_optimizer.iterations.numpy())
    run.update({"family": args.family, "seed": args.seed, "steps": steps,
                "batch_size": batch_size, "images_seen": steps * batch_size,
                "config": BIGGAN if args.family == "biggan" else REFERENCE,
                "command": " ".join([os.path.basename(sys.executable)] + sys.argv)})
    with atomic_path(os.path.join(out, "model.keras")) as tmp:
        model.save(tmp)

    # ------------------------------------------------------------ measure
    eval_cpu0 = time.process_time()
    from keras_gans.metrics import evaluate, load_fashion_mnist_classifier

    classifier = load_fashion_mnist_classifier()
    fidelity, per_class = class_fidelity(model, args.family, classifier, args.eval_samples,
                                         args.seed)
    run["class_fidelity"] = {"value": fidelity, "per_class": per_class,
                             "samples": args.eval_samples,
                             "ceiling": "0.925 (classifier on real test images)"}
    print(f"[{args.family}] class fidelity {fidelity:.4f}", flush=True)

    def generate(n, seed, labels=None):
        labels = np.arange(n) % 10 if labels is None else np.asarray(labels)
        return crop(model.generate(model.latents(n, seed=seed), labels), args.family)

    eval_n = None if args.eval_samples == 10000 else args.eval_samples
    results = evaluate(generate, protocols=("fid10k_test", "pr10k_test", "ifid10k_test"),
                       num_samples=eval_n, seed=args.seed)
    run["metrics"] = {k: {"value": v["values"], "protocol": k, "floor": v.get("floor")}
                      for k, v in results.items()}
    run["eval_cpu_seconds"] = time.process_time() - eval_cpu0
    print(json.dumps(run["metrics"], default=str)[:2000], flush=True)
    write_text(run_file, json.dumps(run, indent=2, default=float))

    if args.family != "biggan":
        return
    grid = os.path.join(out, "samples.png")
    save_grid(model.sample(100, seed=0, labels=np.arange(100) // 10), grid, rows=10, scale=2)
    # Class-by-truncation grid: row = class, column = threshold, the same seed
    # per column pair (left to right: 0.5, 1, 1.5, 2, none).
    cells = []
    for c in range(10):
        for t in TRUNCATIONS:
            cells.append(model.sample(1, seed=7, labels=[c], truncation=t)[0])
    trunc_grid = os.path.join(out, "class_by_truncation.png")
    save_grid(np.stack(cells), trunc_grid, rows=10, scale=2)

    if not args.publish:
        return
    references = {}
    for fam in ("acgan", "cgan", "sngan_projection"):
        path = os.path.join("runs", f"class_race_{fam}_{args.cpu_minutes:g}", "run.json")
        if os.path.exists(path):
            ref = json.load(open(path))
            if "class_fidelity" in ref:
                references[fam] = ref
    if not references:
        print("No reference run at this budget: run --family acgan/cgan/sngan_projection first.")
        return
    beaten = {f: fidelity > r["class_fidelity"]["value"] for f, r in references.items()}
    if not all(beaten.values()):
        print(f"Not published: class fidelity {fidelity:.4f} does not beat "
              f"{ {f: r['class_fidelity']['value'] for f, r in references.items()} }.")
        return
    table = ["| family | CPU s | steps | class fidelity | ifid10k_test | fid10k_test | "
             "precision / recall |", "|---|---:|---:|---:|---:|---:|---|"]
    for fam, r in [("biggan (shipped)", run)] + sorted(references.items()):
        m = r["metrics"]
        table.append(
            f"| {fam} | {r['cpu_seconds']:.0f} | {r['steps']} | "
            f"{r['class_fidelity']['value']:.4f} | {m['ifid10k_test']['value']['intra_fid']:.2f} | "
            f"{m['fid10k_test']['value']['fid']:.2f} | "
            f"{m['pr10k_test']['value']['precision']:.3f} / "
            f"{m['pr10k_test']['value']['recall']:.3f} |")
    card = ("## Class fidelity at equal CPU time\n\n" + "\n".join(table) +
            "\n\nClass fidelity: the shipped classifier's accuracy on 10000 samples with labels "
            "i mod 10 (its accuracy on the real test images, the ceiling, is 0.925). Every "
            "family had the same CPU budget (process CPU seconds) on the same shared machine; "
            "references use scripts/bench_class_fidelity.py's settings. BigGAN samples are "
            "32x32, centre-cropped to 28x28 for every metric.\n\n"
            "`class_by_truncation.png`: rows are classes 0-9, columns truncation thresholds "
            "0.5, 1, 1.5, 2 and none (the truncation trick: |z| beyond the threshold "
            "resampled), one seed.\n")
    keras_gans.zoo.write_preset(
        PRESET, model, dataset="fashion_mnist", resolution=32,
        description=("BigGAN (Brock et al. 2019) trained on Fashion-MNIST padded to 32x32, "
                     f"class-conditional, CPU-sized (width {BIGGAN['width']}, attention at "
                     f"{BIGGAN['attention_resolution']}x{BIGGAN['attention_resolution']}, EMA)."),
        recipe=f"python scripts/train_biggan_fashion_mnist.py --family biggan --cpu-minutes "
               f"{args.cpu_minutes:g} --width {BIGGAN['width']} --seed {args.seed} --publish",
        training={"cpu_seconds": round(run["cpu_seconds"]), "steps": steps,
                  "batch_size": batch_size},
        metrics={"class_fidelity": {"value": fidelity, "protocol": "classifier accuracy on "
                                    "10k label-conditioned samples"},
                 **run["metrics"]},
        card=card, images={"samples.png": grid, "class_by_truncation.png": trunc_grid})
    print(f"Published preset {PRESET}")


if __name__ == "__main__":
    main()
