"""Benchmark of the translation models on the offline Fashion-MNIST tasks.

For each trained model (a `.keras` file or a preset) and its task, on the
task's TEST split (seeded, first `--limit` rows):

* `l1` / `ssim`: mean absolute error (pixels in [-1, 1]) and mean SSIM
  (`tf.image.ssim`, 11x11 Gaussian window, on [0, 255]) against the ground
  truth, where the task has one (paired tasks, `fashion_inverted`,
  `fashion_tints`);
* `target_accuracy`: the fraction of translations the shipped
  `fashion_mnist_classifier` (central 28x28 crop) assigns to the target
  domain's class (class-defined domains: `sneaker2boot`,
  `fashion_footwear`), or to the source item's class (paired tasks: the
  translation keeps the item's class);
* `fid`: FID in the classifier's 128-d features (the project's protocol
  network; not comparable with Inception FIDs) of the translations against
  the target domain's test images;
* `cycle_l1`: CycleGAN's cycle error `|F(G(a)) - a|` (pixels in [-1, 1]);
* `diversity` (StarGAN v2): mean pairwise L2 distance between the classifier
  features of outputs for one input under different styles: the LPIPS
  analogue in this project's feature space (LPIPS itself uses ImageNet
  AlexNet/VGG features, unavailable offline).

Every number sits next to a reference computed the same way: the identity
mapping (output = input), the real target images (the best a translator can
reach on accuracy/FID), or a model trained with L1 only (pix2pix's ablation).

    python scripts/bench_translation.py --model pix2pix_fashion_edges=runs/pix2pix_fashion_edges/model.keras \
        --model l1_only=runs/pix2pix_fashion_edges_l1only/model.keras --out docs/bench_translation.md
"""

import argparse
import json
import os
import sys
import time

import numpy as np

FID_NOTE = "fashion_mnist_classifier features (not comparable with Inception FIDs)"


def _classifier():
    from keras_gans.metrics.feature_extractors import fashion_mnist_classifier_extractor

    if not hasattr(_classifier, "cache"):
        _classifier.cache = fashion_mnist_classifier_extractor()
    return _classifier.cache


def classifier_outputs(images_uint8):
    """(features, predicted class) of uint8 32x32 images (gray = max channel)."""
    from keras_gans.data.translation_tasks import crop_to_28, gray

    x = crop_to_28(gray(images_uint8)).astype(np.float32) / 127.5 - 1.0
    ext = _classifier()
    feats, preds = [], []
    for i in range(0, len(x), 500):
        out = ext.outputs(x[i:i + 500])
        feats.append(out["features"])
        preds.append(out["logits"].argmax(-1))
    return np.concatenate(feats), np.concatenate(preds)


def l1(a_uint8, b_uint8):
    """Mean absolute error of two uint8 arrays on the [-1, 1] scale."""
    return float(np.mean(np.abs(a_uint8.astype(np.float64) - b_uint8.astype(np.float64)))
                 / 127.5)


def ssim(a_uint8, b_uint8):
    import tensorflow as tf

    return float(np.mean(tf.image.ssim(tf.constant(a_uint8, tf.float32),
                                       tf.constant(b_uint8, tf.float32), max_val=255.0)))


def fid(a_uint8, b_uint8):
    from keras_gans.metrics.fid import fid_from_features

    return fid_from_features(classifier_outputs(a_uint8)[0], classifier_outputs(b_uint8)[0])


def _row(task, model_name, metric, value, protocol, reference=None, reference_value=None):
    return {"task": task, "model": model_name, "metric": metric, "value": float(value),
            "protocol": protocol, "reference": reference,
            "reference_value": None if reference_value is None else float(reference_value)}


def measure_model(model, task_name, limit=2000, seed=0, model_name=None):
    """Benchmark rows of `model` on `task_name`'s test split (see the module doc)."""
    from keras_gans.data.translation_tasks import load_task

    name = model_name or getattr(model, "family", type(model).__name__)
    task = load_task(task_name, "test")
    rng = np.random.default_rng(seed)
    rows = []
    n = min(limit, len(task.source))
    proto = f"{task_name} test, first {n} rows"
    if task.kind == "paired":
        src, tgt = task.source[:n], task.target[:n]
        out = model.translate(src)
        rows.append(_row(task_name, name, "l1", l1(out, tgt), proto + "; pixels in [-1, 1]",
                         "identity", l1(src, tgt)))
        rows.append(_row(task_name, name, "ssim", ssim(out, tgt), proto, "identity",
                         ssim(src, tgt)))
        _, pred = classifier_outputs(out)
        _, pred_real = classifier_outputs(tgt)
        labels = task.source_labels[:n]
        rows.append(_row(task_name, name, "class_kept", np.mean(pred == labels),
                         proto + "; classifier accuracy on the source item's class",
                         "the real targets", np.mean(pred_real == labels)))
        train_items = load_task(task_name, "train", limit=n).target
        rows.append(_row(task_name, name, "fid", fid(out, tgt), proto + "; " + FID_NOTE,
                         "identity", fid(src, tgt)))
        rows.append(_row(task_name, name, "fid_floor", fid(train_items, tgt),
                         "train vs test targets, same protocol (the real-data floor)"))
    elif task.kind == "unpaired":
        a, b = task.source[:n], task.target[:n]
        to_b = model.translate(a)
        to_a = model.translate(b, target_domain=0)
        rec_a = model.translate(to_b, target_domain=0)
        rec_b = model.translate(to_a)
        names = task.domain_names
        if task.target_classes is not None:
            ca, cb = task.target_classes
            _, p_to_b = classifier_outputs(to_b)
            _, p_a = classifier_outputs(a)
            _, p_b = classifier_outputs(b)
            _, p_to_a = classifier_outputs(to_a)
            rows.append(_row(task_name, name, f"target_accuracy {names[0]}->{names[1]}",
                             np.mean(p_to_b == cb), proto + f"; classified as class {cb}",
                             f"identity (real {names[1]}: {np.mean(p_b == cb):.3f})",
                             np.mean(p_a == cb)))
            rows.append(_row(task_name, name, f"target_accuracy {names[1]}->{names[0]}",
                             np.mean(p_to_a == ca), proto + f"; classified as class {ca}",
                             f"identity (real {names[0]}: {np.mean(p_a == ca):.3f})",
                             np.mean(p_b == ca)))
        truth = task.ground_truth(a)
        if truth is not None:
            rows.append(_row(task_name, name, "l1 A->B", l1(to_b, truth),
                             proto + "; vs the exact translation", "identity", l1(a, truth)))
            rows.append(_row(task_name, name, "ssim A->B", ssim(to_b, truth), proto,
                             "identity", ssim(a, truth)))
        half = n // 2
        rows.append(_row(task_name, name, f"fid {names[0]}->{names[1]}", fid(to_b, b),
                         proto + "; vs the target domain's test images; " + FID_NOTE,
                         "identity", fid(a, b)))
        rows.append(_row(task_name, name, f"fid {names[1]}->{names[0]}", fid(to_a, a),
                         proto + "; vs the target domain's test images; " + FID_NOTE,
                         "identity", fid(b, a)))
        rows.append(_row(task_name, name, f"fid_floor {names[1]}", fid(b[:half], b[half:]),
                         f"two halves of the {names[1]} test images (the real-data floor)"))
        rows.append(_row(task_name, name, "cycle_l1", 0.5 * (l1(rec_a, a) + l1(rec_b, b)),
                         proto + "; |F(G(a)) - a| and |G(F(b)) - b|, pixels in [-1, 1]",
                         "the two-way translation error it bounds: identity l1(a, b) on "
                         "random pairs", l1(a[rng.permutation(n)], b)))
    else:
        rows += _measure_domains(model, task, name, n, proto, rng)
    return rows


#: Inputs and styles per input of the diversity measurement.
DIVERSITY_INPUTS, DIVERSITY_STYLES = 100, 8


def _mean_pairwise_distance(features):
    """Mean L2 distance over the distinct pairs of rows of `features` (k, d)."""
    d = np.sqrt(((features[:, None, :] - features[None, :, :]) ** 2).sum(-1))
    k = len(features)
    return float(d.sum() / (k * (k - 1)))


def _measure_domains(model, task, name, n, proto, rng):
    """Rows of a multi-domain model (StarGAN, StarGAN v2) on a "domains" task.

    Each test image goes to a domain other than its own, drawn uniformly
    (seeded). Measured against the target domains' real test images; with a
    ground truth (`fashion_tints`), L1/SSIM against it next to the identity.
    """
    src, own = task.source[:n], task.domains[:n]
    k = task.num_domains
    target = ((own + rng.integers(1, k, n)) % k).astype(np.int32)
    out = model.translate(src, target_domain=target, seed=0)
    rows = []
    truth = task.ground_truth(src, target)
    if truth is not None:
        rows.append(_row(task.name, name, "l1", l1(out, truth),
                         proto + "; to a random other domain, vs the exact translation; "
                         "pixels in [-1, 1]", "identity", l1(src, truth)))
        rows.append(_row(task.name, name, "ssim", ssim(out, truth), proto, "identity",
                         ssim(src, truth)))
    _, pred = classifier_outputs(out)
    _, pred_src = classifier_outputs(src)
    if task.target_classes is not None:
        classes = np.asarray(task.target_classes)
        rows.append(_row(task.name, name, "target_accuracy", np.mean(pred == classes[target]),
                         proto + "; classified as the target domain's class",
                         "identity", np.mean(pred_src == classes[target])))
    else:
        labels = task.source_labels[:n]
        rows.append(_row(task.name, name, "class_kept", np.mean(pred == labels),
                         proto + "; classifier accuracy on the source item's class",
                         "identity", np.mean(pred_src == labels)))
    fids, identity_fids = [], []
    for d in range(k):
        real = src[own == d]
        fids.append(fid(out[target == d], real))
        identity_fids.append(fid(src[(target == d)], real))
    rows.append(_row(task.name, name, "fid (mean over target domains)", np.mean(fids),
                     proto + "; translations into each domain vs its real test images; "
                     + FID_NOTE, "identity", np.mean(identity_fids)))
    if getattr(model, "latent_dim", None):
        # Diversity: several latent-guided styles for one input (LPIPS analogue).
        m = min(DIVERSITY_INPUTS, n)
        spreads, real_spreads = [], []
        for i in range(m):
            images = np.repeat(src[i:i + 1], DIVERSITY_STYLES, axis=0)
            z = rng.standard_normal((DIVERSITY_STYLES, model.latent_dim)).astype(np.float32)
            outs = model.translate(images, target_domain=int(target[i]), z=z)
            spreads.append(_mean_pairwise_distance(classifier_outputs(outs)[0]))
            pool = np.flatnonzero(own == target[i])
            real = src[rng.choice(pool, DIVERSITY_STYLES, replace=False)]
            real_spreads.append(_mean_pairwise_distance(classifier_outputs(real)[0]))
        rows.append(_row(task.name, name, "diversity", np.mean(spreads),
                         f"{m} test inputs x {DIVERSITY_STYLES} latent-guided styles; mean "
                         "pairwise L2 of fashion_mnist_classifier features (the LPIPS analogue "
                         "in this project's feature space, not LPIPS)",
                         f"{DIVERSITY_STYLES} real images of the target domain",
                         np.mean(real_spreads)))
    return rows


def task_kind(task_name):
    """"paired", "unpaired" or "domains" (a one-row load of the test split)."""
    from keras_gans.data.translation_tasks import load_task

    return load_task(task_name, "test", limit=1).kind


def write_grid(model, task_name, path, n=8, seed=0):
    """PNG grid: input | output | target rows (unpaired: input | output | cycle;
    multi-domain: the input, then its translation into each domain)."""
    from PIL import Image

    from keras_gans.data.translation_tasks import load_task

    task = load_task(task_name, "test")
    idx = np.random.default_rng(seed).choice(len(task.source), n, replace=False)
    src = task.source[idx]
    if task.kind == "domains":
        lines = [src] + [model.translate(src, target_domain=d, seed=seed)
                         for d in range(task.num_domains)]
    else:
        out = model.translate(src)
        third = (task.target[idx] if task.kind == "paired"
                 else model.translate(out, target_domain=0))
        lines = [src, out, third]
    rows = [np.concatenate(list(r), axis=1) for r in lines]
    grid = np.concatenate(rows, axis=0)
    if grid.shape[-1] == 1:
        grid = grid[..., 0]
    Image.fromarray(grid).resize((grid.shape[1] * 3, grid.shape[0] * 3),
                                 Image.NEAREST).save(path)
    return path


def markdown(rows, header):
    lines = [header, "", "| task | model | metric | value | reference | reference value | "
             "protocol |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        ref_value = "" if r["reference_value"] is None else f"{r['reference_value']:.4g}"
        lines.append(f"| {r['task']} | {r['model']} | {r['metric']} | {r['value']:.4g} | "
                     f"{r['reference'] or ''} | {ref_value} | {r['protocol']} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", action="append", default=[],
                        help="name=path.keras:task (task default: the preset's)")
    parser.add_argument("--limit", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="docs/bench_translation.md")
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    import keras

    import keras_gans.models  # noqa: F401

    t0 = time.time()
    rows = []
    for spec in args.model:
        name, rest = spec.split("=", 1)
        path, task_name = rest.rsplit(":", 1)
        model = keras.saving.load_model(path)
        rows += measure_model(model, task_name, args.limit, args.seed, model_name=name)
        print(markdown(rows, ""), flush=True)
    if args.json and os.path.exists(args.json):
        # Rows of earlier runs (other models) are kept; a model measured again
        # replaces its rows.
        with open(args.json) as f:
            names = {r["model"] for r in rows}
            rows = [r for r in json.load(f) if r["model"] not in names] + rows
    header = ("# Translation benchmark\n\n"
              f"`python scripts/bench_translation.py {' '.join(sys.argv[1:] if argv is None else argv)}` "
              f"(seed {args.seed}, {time.time() - t0:.0f} s). See the script's docstring for "
              "each metric's definition; every value sits next to its reference.")
    text = markdown(rows, header)
    if args.out:
        os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
        with open(args.out, "w") as f:
            f.write(text)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    print(text)


if __name__ == "__main__":
    main()
