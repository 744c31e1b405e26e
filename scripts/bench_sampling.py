"""Sampling speed from Python: `gan.sample` / `generate` / `mapping` / `synthesis` /
`style_mixing` against the preset's exported SavedModel.

    python scripts/bench_sampling.py [--presets dcgan_fashion_mnist,stylegan2_fashion_mnist]
                                     [--batches 1,64,256] [--rounds 7] [--calls 20]
                                     [--against shipped|fresh]

For each preset and batch size, each pair runs in this process, interleaved
round by round (`--calls` calls per round, after a warm-up call that traces;
the side that runs first alternates between rounds), and the median round of each side is
reported, with the median (and range) over rounds of the per-round ratio:

  sample      gan.sample(n, seed)        vs  serving_default(z)  (uint8 images;
              ours also draws z from the seed)
  generate    gan.generate(z)            vs  generate(z)          (float images)
  mapping     gan.mapping(z)             vs  mapping(z)           (style-based only)
  synthesis   gan.synthesis(w)           vs  synthesis(w)         (style-based only;
              ours returns floats, the endpoint uint8)
  mixing      gan.style_mixing(z1, z2, c) vs style_mixing(...)    (style-based only)

`ratio` is SavedModel time over ours: >= 1.0 means the Python API is at least
as fast as the exported graph (the target of issue 16). Both sides take numpy
and return numpy (the endpoint's inputs go through `tf.constant`, and its
outputs through `.numpy()`, inside the timed call; `sample`'s SavedModel side
also draws z from the seed, as ours does), the SavedModel is loaded with
TensorFlow alone (`tf.saved_model.load`). Other processes share the CPU: only
the ratios within one run mean anything.

`--against shipped` (default) times the preset's committed SavedModel, the
one a server runs; it was exported by the code of its day, so its graph can
differ from what the current code builds. `--against fresh` exports the
loaded preset with the current code into a temporary directory first: both
sides then run the same graph and the ratio is the Python API's own overhead.
"""

import argparse
import os
import shutil
import statistics
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_gans import zoo  # noqa: E402
from keras_gans.export import export_savedmodel  # noqa: E402


def savedmodel_path(name):
    base = zoo.preset_savedmodel_dir(name)
    versions = sorted(int(v) for v in os.listdir(base) if v.isdigit())
    return os.path.join(base, str(versions[-1]))


def pairs(gan, endpoints, n):
    """{name: (ours, savedmodel)}: zero-argument callables returning numpy."""
    z = gan.latents(n, seed=1)
    # Both sides start from numpy and end in numpy: the endpoint's inputs are
    # converted inside the timed call, as a caller holding arrays must.
    const = tf.constant
    out = {
        "sample": (lambda: gan.sample(n, seed=1),
                   lambda: _serve(endpoints, gan, const(gan.latents(n, seed=1)), n)),
        "generate": (lambda: gan.generate(z),
                     lambda: endpoints["generate"](z=const(z))["images"].numpy()),
    }
    if "mapping" in endpoints and hasattr(gan, "mapping"):
        w = gan.mapping(z)
        z2 = gan.latents(n, seed=2)
        crossover = np.full((n,), 2, np.int32)
        out["mapping"] = (lambda: gan.mapping(z),
                          lambda: endpoints["mapping"](z=const(z))["w"].numpy())
        out["synthesis"] = (lambda: gan.synthesis(w),
                            lambda: endpoints["synthesis"](w=const(w))["images"].numpy())
        out["mixing"] = (lambda: gan.style_mixing(z, z2, crossover),
                         lambda: endpoints["style_mixing"](
                             z1=const(z), z2=const(z2), crossover=const(crossover)
                         )["images"].numpy())
    return out


def _serve(endpoints, gan, z, n):
    serve = endpoints["serving_default"]
    names = serve.structured_input_signature[1]
    if "truncation_psi" in names:
        return serve(z=z, truncation_psi=tf.constant(np.ones([n], np.float32)))["images"].numpy()
    return serve(z=z)["images"].numpy()


def seconds(fn, calls):
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--presets", default="dcgan_fashion_mnist,stylegan2_fashion_mnist")
    p.add_argument("--batches", default="1,64,256")
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--calls", type=int, default=20)
    p.add_argument("--against", choices=("shipped", "fresh"), default="shipped",
                   help="the committed SavedModel, or one exported now by the current code")
    args = p.parse_args()
    batches = [int(b) for b in args.batches.split(",")]
    print(f"TensorFlow {tf.__version__}; {args.rounds} rounds of {args.calls} calls; "
          "ratio = SavedModel time / ours (>= 1.0: ours as fast)")
    worst = None
    for name in args.presets.split(","):
        gan = zoo.load(name)
        if args.against == "fresh":
            scratch = tempfile.mkdtemp(prefix="bench_sampling_")
            path = export_savedmodel(gan, os.path.join(scratch, name), version=1,
                                     write_config=False)
        else:
            scratch, path = None, savedmodel_path(name)
        saved = tf.saved_model.load(path)  # kept: endpoints need it alive
        endpoints = saved.signatures
        print(f"\n{name} ({args.against}: {path}):")
        print(f"  {'call':10} {'batch':>5} {'ours ms':>9} {'SavedModel ms':>14} {'ratio':>6} "
              f"{'range':>9}")
        for n in batches:
            for call, (ours, theirs) in pairs(gan, endpoints, n).items():
                a, b = ours(), theirs()  # warm-up: traces both
                if a.shape != b.shape:
                    raise SystemExit(f"{name} {call}: shapes differ, {a.shape} vs {b.shape}")
                t_ours, t_theirs = [], []
                for r in range(args.rounds):
                    # Alternate which side runs first: the second of a pair
                    # finds the caches the first one left.
                    if r % 2:
                        t_theirs.append(seconds(theirs, args.calls))
                        t_ours.append(seconds(ours, args.calls))
                    else:
                        t_ours.append(seconds(ours, args.calls))
                        t_theirs.append(seconds(theirs, args.calls))
                mo, mt = statistics.median(t_ours), statistics.median(t_theirs)
                # The ratio of each round's pair (run back to back, so a burst
                # of load from elsewhere hits both), median over rounds.
                ratios = sorted(b / a for a, b in zip(t_ours, t_theirs))
                ratio = statistics.median(ratios)
                worst = ratio if worst is None else min(worst, ratio)
                print(f"  {call:10} {n:5d} {1e3 * mo:9.2f} {1e3 * mt:14.2f} {ratio:6.2f} "
                      f"{ratios[0]:5.2f}-{ratios[-1]:.2f}", flush=True)
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)
    print(f"\nworst ratio (SavedModel / ours) = {worst:.2f}")


if __name__ == "__main__":
    main()
