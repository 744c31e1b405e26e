"""Measures the real-data floor of every protocol: the value a perfect generator
would get, estimated by letting real images play the generator.

A fixed, seeded 10k subset of the Fashion-MNIST *train* split stands in for
the generated images and is compared with the 10k *test* images, exactly as
`keras_gans.metrics.evaluate` compares generated images, in the same feature
space. The results go to `keras_gans/metrics/floors.json` (read by
`evaluate`, which shows every number next to its floor) and to the table in
`docs/metrics.md`.

    python scripts/measure_real_floor.py                      # classifier space
    python scripts/measure_real_floor.py --feature-network inception \\
        --inception-graph /path/to/classify_image_graph_def.pb  # Inception space (slow)
"""

import argparse
import json
import os
import re
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from keras_gans.data import arrays  # noqa: E402
from keras_gans.metrics import protocols as P  # noqa: E402
from keras_gans.metrics.feature_extractors import get_feature_extractor  # noqa: E402
from keras_gans.metrics.streaming import compute_features  # noqa: E402

DOCS = os.path.join(ROOT, "docs", "metrics.md")
BEGIN, END = "<!-- floors:begin -->", "<!-- floors:end -->"


def stand_in(num, seed):
    """The seeded train subset that plays the generator (sorted indices)."""
    images, labels = arrays("fashion_mnist", split="train")
    idx = np.sort(np.random.default_rng(seed).choice(len(images), num, replace=False))
    return images[idx], labels[idx]


def measure(extractor, prob_extractor, num, seed, names, batch_size=250):
    images, labels = stand_in(num, seed)
    fn = P._outputs_fn(extractor, prob_extractor, keep_images=False)
    gen = compute_features(fn, images, batch_size, name="train subset")
    gen["images"] = images.astype(np.float32) / 127.5 - 1.0
    gen["labels"] = labels
    rows = {}
    for name in names:
        protocol = P.get_protocol(name)
        real = None
        n_real = None
        if protocol.reference is not None:
            n_real = min(num, protocol.num_real)
            real = P._real_outputs(protocol.reference, n_real, extractor, prob_extractor,
                                   batch_size)
        start = time.time()
        values, _ = P.compute_protocol_values(protocol, gen, real, seed=0)
        rows[name] = {"values": values, "num_generated": num, "num_real": n_real,
                      "reference": protocol.reference}
        shown = {k: round(v, 4) if isinstance(v, float) else v for k, v in values.items()
                 if not k.startswith("fid_class_")}
        print(f"{name}: {shown} ({time.time() - start:.1f} s)", flush=True)
    return rows


def write_json(path, entry):
    floors = P.load_floors(path)
    others = [e for e in floors.get("entries", [])
              if e.get("feature_network") != entry["feature_network"]]
    floors = {
        "about": ("Real-data floors of keras_gans.metrics protocols, written by "
                  "scripts/measure_real_floor.py; evaluate() shows a floor only for the same "
                  "feature weights and sample counts."),
        "entries": others + [entry],
    }
    with open(path, "w", encoding="utf-8") as f:
        json.dump(floors, f, indent=1, sort_keys=True)
        f.write("\n")


def markdown_table(floors):
    lines = []
    for entry in floors["entries"]:
        lines += [f"Feature network `{entry['feature_network']}`, weights "
                  f"`{entry['feature_weights']}`; {entry['stand_in']}; measured "
                  f"{entry['measured']}.", "",
                  "| protocol | real-data floor | generated / real |", "|---|---|---|"]
        ordered = sorted(entry["protocols"].items(),
                         key=lambda kv: list(P.PROTOCOLS).index(kv[0])
                         if kv[0] in P.PROTOCOLS else len(P.PROTOCOLS))
        for name, row in ordered:
            values = ", ".join(
                f"{k} = {v:.4g}" if isinstance(v, float) else f"{k} = {v}"
                for k, v in row["values"].items() if not k.startswith("fid_class_"))
            counts = f"{row['num_generated']} / {row['num_real'] or '-'}"
            lines.append(f"| `{name}` | {values} | {counts} |")
        lines.append("")
    return "\n".join(lines)


def write_docs(path, floors):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{path} has no {BEGIN} ... {END} section to fill.")
    table = markdown_table(floors)
    text = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END),
                  lambda _: f"{BEGIN}\n{table}\n{END}", text, flags=re.S)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--feature-network", default="fashion_mnist_classifier")
    p.add_argument("--classifier", help="a saved classifier (.keras); default: the zoo preset")
    p.add_argument("--inception-graph", help="classify_image_graph_def.pb (2015-12-05)")
    p.add_argument("--num", type=int, default=10_000, help="stand-in/real sample count")
    p.add_argument("--seed", type=int, default=0, help="seed of the train subset")
    p.add_argument("--protocols", nargs="*", default=list(P.PROTOCOLS))
    p.add_argument("--json", default=P.FLOORS_FILE)
    p.add_argument("--docs", default=DOCS)
    p.add_argument("--dry-run", action="store_true", help="print only; write nothing")
    args = p.parse_args(argv)

    kwargs = {}
    if args.feature_network == "fashion_mnist_classifier" and args.classifier:
        kwargs["path"] = args.classifier
    if args.inception_graph:
        kwargs["path"] = args.inception_graph
    extractor = get_feature_extractor(args.feature_network, **kwargs)
    prob_extractor = extractor if extractor.has_logits else get_feature_extractor(
        "fashion_mnist_classifier", **({"path": args.classifier} if args.classifier else {}))
    start = time.time()
    rows = measure(extractor, prob_extractor, args.num, args.seed, args.protocols)
    entry = {
        "feature_network": extractor.name,
        "feature_weights": extractor.weights_id,
        "probability_weights": prob_extractor.weights_id,
        "stand_in": (f"a seeded (seed {args.seed}) {args.num}-image subset of the "
                     "Fashion-MNIST train split plays the generator against the test split"),
        "measured": time.strftime("%Y-%m-%d"),
        "seconds": round(time.time() - start, 1),
        "protocols": rows,
    }
    if args.dry_run:
        print(json.dumps(entry, indent=1))
        return entry
    write_json(args.json, entry)
    write_docs(args.docs, P.load_floors(args.json))
    print(f"wrote {args.json} and the floors table of {args.docs}")
    return entry


if __name__ == "__main__":
    main()
