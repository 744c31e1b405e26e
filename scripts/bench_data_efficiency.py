"""Data-efficient training on Fashion-MNIST: none vs DiffAugment vs ADA vs bCR at equal CPU time.

    python scripts/bench_data_efficiency.py --cells all --cpu-minutes 10
    python scripts/bench_data_efficiency.py --cells 1pct:none,1pct:diffaugment --cpu-minutes 2

One family (DCGAN, 28x28, width 32, batch 64, its paper optimizers and the
non-saturating loss) is trained on each training set for the same CPU-time
budget (process CPU seconds, summed over threads) with each method, through
`compile(augment=...)`:

* training sets: `100pct` (60000 images), `10pct` (6000), `1pct` (600) (a
  seeded random subset of the training split, the same for every method) and
  `oneclass` (the first 100 T-shirts, class 0);
* methods: `none`, `diffaugment` (color, translation, cutout),
  `ada` (the "bgc" pipeline, target 0.6, `--ada-kimg` speed: the paper's 500
  would not move p within a short run), `bcr` (lambda_real = lambda_fake = 10).

Each cell is measured on `--eval-samples` samples (default 10000) of the
raw generator in the shipped classifier's feature space: FID against the
Fashion-MNIST test images (`fid10k_test`; for `oneclass`, against the 1000
test T-shirts, named `fid_test_class0`), precision / recall (k = 3), and the
leak check: whether samples show the augmentations' artifacts, each as the
rate in the samples next to the rate in the real test images:

* `rotated`: the classifier's top probability on a 90/180/270-degree rotation
  of the image exceeds that on the image itself by more than 0.5 (ADA's rot90
  and rotations);
* `gray_patch`: a 6x6 window of near-constant mid-grey (|x| < 0.25, std <
  0.05; DiffAugment's zero fill and cutout are 0 = mid-grey in [-1, 1], the
  background is -1);
* `off_centre`: the centre of mass more than 2.5 pixels from the centre
  (translations).

Results accumulate in `--results-dir` (one JSON file per cell, committed
under docs/ beside the table), so the table can be filled in pieces, by
parallel processes and across machines; `--markdown` is rewritten from all
stored cells, and a hand-written reading (a section whose title starts with
"## Reading") at its end is kept.
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
from keras_gans.utils.files import write_text  # noqa: E402

DATASETS = ("100pct", "10pct", "1pct", "oneclass")
METHODS = ("none", "diffaugment", "ada", "bcr")
NETWORK = dict(resolution=28, channels=1, latent_dim=64, width=32)
BATCH = 64
# A rotation must raise the classifier's top probability by this much to count
# as "the sample looks rotated" (without a margin, 55 % of real test images
# count: the classifier is often about as sure of a rotated copy).
ROTATION_MARGIN = 0.5


def training_set(name, images, labels, seed):
    if name == "oneclass":
        return images[labels == 0][:100]
    fraction = {"100pct": 1.0, "10pct": 0.1, "1pct": 0.01}[name]
    order = np.random.default_rng(seed).permutation(len(images))
    return images[order[:int(round(fraction * len(images)))]]


def augment_option(method, ada_kimg):
    if method == "none":
        return None
    if method == "ada":
        return {"name": "ada", "ada_kimg": ada_kimg}
    return method


def leak_rates(images, classifier):
    """The three artifact rates of float images in [-1, 1] (see the module docstring)."""
    x = np.asarray(images, np.float32)
    probs = []
    for k in range(4):
        rotated = np.rot90(x, k=k, axes=(1, 2))
        logits = np.concatenate([np.asarray(classifier(rotated[i:i + 500], training=False))
                                 for i in range(0, len(x), 500)])
        e = np.exp(logits - logits.max(1, keepdims=True))
        probs.append((e / e.sum(1, keepdims=True)).max(1))
    rotated_rate = float((np.max(probs[1:], axis=0) > probs[0] + ROTATION_MARGIN).mean())
    windows = np.lib.stride_tricks.sliding_window_view(x[..., 0], (6, 6), axis=(1, 2))
    flat = windows.reshape(len(x), -1, 36)
    gray = (np.abs(flat).max(-1) < 0.25) & (flat.std(-1) < 0.05)
    gray_rate = float(gray.any(-1).mean())
    mass = x[..., 0] + 1.0
    total = mass.sum((1, 2)) + 1e-6
    ys, xs = np.arange(x.shape[1]), np.arange(x.shape[2])
    cy = (mass.sum(2) * ys).sum(1) / total
    cx = (mass.sum(1) * xs).sum(1) / total
    off = np.hypot(cy - (x.shape[1] - 1) / 2, cx - (x.shape[2] - 1) / 2) > 2.5
    return {"rotated": rotated_rate, "gray_patch": gray_rate, "off_centre": float(off.mean())}


def run_cell(dataset, method, args, images, labels, test_images, test_labels, classifier,
             extractor):
    keras.utils.set_random_seed(args.seed)
    train = training_set(dataset, images, labels, args.seed)
    model = keras_gans.models.DCGAN(**NETWORK, seed=args.seed)
    model.compile(loss="non_saturating", augment=augment_option(method, args.ada_kimg))
    ds = keras_gans.data.from_arrays(train, batch_size=min(BATCH, len(train)), seed=args.seed,
                                     repeat=True)
    budget = kcb.TimeBudget(cpu_seconds=args.cpu_minutes * 60)
    history = model.fit(ds, epochs=100000, steps_per_epoch=50, verbose=0,
                        callbacks=[budget, kcb.NonFiniteGuard()])
    cpu = budget.cpu_used()
    steps = int(model.g_optimizer.iterations.numpy())
    n = args.eval_samples
    fake = np.concatenate([model.generate(model.latents(min(500, n - i), seed=args.seed + i))
                           for i in range(0, n, 500)])
    fake = np.round((fake + 1) * 127.5) / 127.5 - 1  # 8 bits, as saved images
    if dataset == "oneclass":
        reference = test_images[test_labels == 0]
        fid_name = "fid_test_class0"
    else:
        reference = test_images
        fid_name = "fid10k_test"
    real_features = extractor(reference)
    fake_features = extractor(fake)
    fid = float(keras_gans.metrics.fid_from_features(real_features, fake_features))
    precision, recall = keras_gans.metrics.precision_recall_from_features(
        real_features, fake_features, k=3)
    row = {"dataset": dataset, "method": method, "train_images": int(len(train)),
           "cpu_seconds": round(cpu, 1), "steps": steps, "fid_name": fid_name, "fid": fid,
           "precision": float(precision), "recall": float(recall),
           "leaks": leak_rates(fake, classifier), "real_leaks": leak_rates(reference, classifier),
           "eval_samples": n, "seed": args.seed, "cpu_minutes_budget": args.cpu_minutes}
    if method == "ada":
        row["ada_p_final"] = float(model.ada_state.p.numpy())
        row["ada_p_log"] = [round(float(v), 4) for v in history.history.get("ada_p", [])]
    return row


def calibration(test_images, classifier, n=500, seed=0):
    """Leak rates of real test images, plain and transformed: what a detector sees
    when the artifact is certainly there."""
    from keras_gans.augment.ada import StatelessDraws

    x = test_images[:n]
    rows = {"real test images": x, "real, rotated 90 degrees": np.rot90(x, axes=(1, 2)),
            "real, DiffAugment": keras_gans.augment.DiffAugment()(
                tf.constant(x), StatelessDraws([seed, 1])).numpy(),
            "real, ADA at p = 1": keras_gans.augment.AdaptiveAugment()(
                tf.constant(x), 1.0, StatelessDraws([seed, 2])).numpy()}
    return {name: leak_rates(images, classifier) for name, images in rows.items()}


def write_markdown(path, cells, command, calibrated=None):
    lines = ["# Data-efficient training (Fashion-MNIST, DCGAN, equal CPU time per cell)", "",
             "Cells accumulate across invocations (each row's command is in its JSON file "
             "under docs/bench_data_efficiency/); the last one was", "", f"`{command}`", "",
             __doc__.split("\n\n", 2)[2].split("Results accumulate")[0].strip(), "",
             "| training set | method | images | CPU s | steps | FID | precision | recall | "
             "leak: rotated | gray patch | off centre | ADA p |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    order = {(d, m): i for i, (d, m) in enumerate((d, m) for d in DATASETS for m in METHODS)}
    for c in sorted(cells, key=lambda c: order.get((c["dataset"], c["method"]), 99)):
        lk, rl = c["leaks"], c["real_leaks"]
        lines.append(
            f"| {c['dataset']} | {c['method']} | {c['train_images']} | {c['cpu_seconds']:.0f} | "
            f"{c['steps']} | {c['fid']:.2f} ({c['fid_name']}) | {c['precision']:.3f} | "
            f"{c['recall']:.3f} | {lk['rotated']:.3f} (real {rl['rotated']:.3f}) | "
            f"{lk['gray_patch']:.3f} (real {rl['gray_patch']:.3f}) | "
            f"{lk['off_centre']:.3f} (real {rl['off_centre']:.3f}) | "
            f"{c.get('ada_p_final', float('nan')):.3f} |")
    if calibrated:
        lines += ["", "Leak detectors on 500 real test images, plain and transformed "
                  "(their sensitivity):", "",
                  "| images | rotated | gray patch | off centre |", "|---|---:|---:|---:|"]
        for name, r in calibrated.items():
            lines.append(f"| {name} | {r['rotated']:.3f} | {r['gray_patch']:.3f} | "
                         f"{r['off_centre']:.3f} |")
    lines += ["", "## Which orderings of the papers hold here", "", closing_note(cells), ""]
    # Keep the readings written by hand below the generated part.
    old = open(path).read() if os.path.exists(path) else ""
    kept = old[old.index("\n## Reading"):].lstrip("\n") if "\n## Reading" in old else ""
    write_text(path, "\n".join(lines) + ("\n" + kept if kept else ""))


def closing_note(cells):
    """The papers' orderings, checked on the cells that ran (measured, not asserted)."""
    by = {(c["dataset"], c["method"]): c for c in cells}
    notes = []
    for dataset in DATASETS:
        base = by.get((dataset, "none"))
        if base is None:
            continue
        for method in ("diffaugment", "ada", "bcr"):
            other = by.get((dataset, method))
            if other is None:
                continue
            better = other["fid"] < base["fid"]
            notes.append(f"- {dataset}: {method} FID {other['fid']:.2f} vs none {base['fid']:.2f}"
                         f" -> {'holds' if better else 'does not hold'} (papers: augmentation "
                         "helps, most with the least data); recall "
                         f"{other['recall']:.3f} vs {base['recall']:.3f}.")
    gaps = []
    for method in METHODS:
        full, small = by.get(("100pct", method)), by.get(("1pct", method))
        if full and small:
            gaps.append(f"{method}: {small['fid'] - full['fid']:+.2f}")
    if gaps:
        notes.append("- FID gap 1 % minus 100 % by method (papers: smaller with augmentation): "
                     + ", ".join(gaps) + ".")
    if not notes:
        return "No pair of cells to compare yet."
    notes.append("- Each cell is one seed on a shared, loaded machine: differences of a few "
                 "FID points are within run-to-run noise at these budgets.")
    return "\n".join(notes)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--cells", default="all",
                   help="'all' or comma-separated dataset:method (e.g. 1pct:ada)")
    p.add_argument("--cpu-minutes", type=float, default=10.0, help="per cell")
    p.add_argument("--ada-kimg", type=float, default=20.0)
    p.add_argument("--eval-samples", type=int, default=10000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--results-dir", default="docs/bench_data_efficiency")
    p.add_argument("--markdown", default="docs/bench_data_efficiency.md")
    args = p.parse_args()
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    cells = [(d, m) for d in DATASETS for m in METHODS] if args.cells == "all" else \
        [tuple(c.split(":")) for c in args.cells.split(",")]
    for d, m in cells:
        if d not in DATASETS or m not in METHODS:
            raise SystemExit(f"Unknown cell {d}:{m}; datasets {DATASETS}, methods {METHODS}.")
    images, labels = keras_gans.data.arrays("fashion_mnist", "train")
    test_images, test_labels = keras_gans.data.arrays("fashion_mnist", "test")
    test_images = test_images.astype(np.float32) / 127.5 - 1
    classifier = keras_gans.metrics.load_fashion_mnist_classifier()
    extractor = keras_gans.metrics.get_feature_extractor("fashion_mnist_classifier")
    os.makedirs(args.results_dir, exist_ok=True)
    calibrated = calibration(test_images, classifier, seed=args.seed)
    command = " ".join(["python"] + sys.argv)
    for d, m in cells:
        t0 = time.time()
        row = run_cell(d, m, args, images, labels, test_images, test_labels, classifier,
                       extractor)
        row["wall_seconds"] = round(time.time() - t0)
        row["command"] = command
        print(json.dumps(row), flush=True)
        write_text(os.path.join(args.results_dir, f"{d}_{m}.json"), json.dumps(row, indent=1))
        stored = [json.load(open(os.path.join(args.results_dir, name)))
                  for name in sorted(os.listdir(args.results_dir)) if name.endswith(".json")]
        write_markdown(args.markdown, stored, command, calibrated)


if __name__ == "__main__":
    main()
