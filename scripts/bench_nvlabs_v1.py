"""Conversion time, peak memory and sampling speed of converted TF StyleGAN (v1) networks.

For each resolution (default 256, 512, 1024) an FFHQ-sized TF StyleGAN
snapshot with random weights (`keras_gans.zoo.nvlabs.stylegan.synthetic_tf_snapshot`:
fmap_base 8192, fmap_max 512, z = w = 512, 8 mapping layers, 3 channels, the
official defaults otherwise, so fused up/down convolutions from 128 px) is
written as a real pickle (`keras_gans.zoo.nvlabs.synthetic.snapshot_to_pickle`),
then, in a FRESH subprocess per resolution (so the peak RSS is that run's):

* conversion: `read_snapshot(file)` + `convert_stylegan(...)` wall seconds;
* peak memory: the subprocess's max RSS after conversion and at the end, MiB;
* Keras sampling: seconds per image of `gan.generate(z, batch_size=B)` (the
  file's psi 0.7, stored noise) after one warm-up call, median of `--repeats`;
* SavedModel sampling: `export_savedmodel`, `tf.saved_model.load`, then
  `serving_default(z, truncation_psi)` per image, same protocol.

Seeded (`--seed`). CPU timings depend on the machine's load; compare rows of
one run only.

    nohup nice -n 10 python scripts/bench_nvlabs_v1.py > /tmp/bench_nvlabs_v1.log 2>&1 &
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _child(args):
    import resource
    import statistics

    import numpy as np
    import tensorflow as tf

    from keras_gans.export import export_savedmodel
    from keras_gans.zoo.nvlabs.reader import read_snapshot
    from keras_gans.zoo.nvlabs.stylegan import convert_stylegan

    start = time.perf_counter()
    gan = convert_stylegan(read_snapshot(args.file))
    convert_s = time.perf_counter() - start
    peak_convert = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    z = gan.latents(args.batch, seed=args.seed)

    def timed(fn):
        fn()  # warm-up (tracing)
        times = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        return statistics.median(times) / args.batch

    keras_s = timed(lambda: gan.generate(z, batch_size=args.batch))
    with tempfile.TemporaryDirectory() as tmp:
        path = export_savedmodel(gan, os.path.join(tmp, "sm", "bench"))
        loaded = tf.saved_model.load(str(path))
        serve = loaded.signatures["serving_default"]
        psi = tf.constant(np.full([args.batch], 0.7, np.float32))
        zt = tf.constant(z)
        saved_s = timed(lambda: serve(z=zt, truncation_psi=psi)["images"].numpy())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    count = (lambda model: int(sum(np.prod(w.shape) for w in model.weights)))
    print("RESULT " + json.dumps({
        "resolution": gan.resolution, "g_params": count(gan.generator),
        "d_params": count(gan.discriminator), "convert_s": convert_s,
        "peak_rss_after_convert_mib": peak_convert, "peak_rss_mib": peak,
        "keras_s_per_image": keras_s, "savedmodel_s_per_image": saved_s,
        "batch": args.batch}))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--resolutions", type=int, nargs="+", default=[256, 512, 1024])
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--file", help=argparse.SUPPRESS)  # child mode
    args = parser.parse_args(argv)
    if args.file:
        return _child(args)

    from keras_gans.zoo.nvlabs.stylegan import synthetic_tf_snapshot
    from keras_gans.zoo.nvlabs.synthetic import snapshot_to_pickle

    rows = []
    for res in args.resolutions:
        with tempfile.TemporaryDirectory() as tmp:
            snapshot, _, _ = synthetic_tf_snapshot(args.seed, res, 8192, 512, 512,
                                                   mapping_layers=8)
            path = os.path.join(tmp, f"stylegan_{res}.pkl")
            with open(path, "wb") as f:
                f.write(snapshot_to_pickle(snapshot))
            del snapshot
            size_mib = os.path.getsize(path) / 2**20
            cmd = [sys.executable, os.path.abspath(__file__), "--file", path,
                   "--batch", str(args.batch), "--repeats", str(args.repeats),
                   "--seed", str(args.seed)]
            env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=ROOT)
            out = subprocess.run(cmd, capture_output=True, text=True, env=env)
            lines = [l for l in out.stdout.splitlines() if l.startswith("RESULT ")]
            if out.returncode or not lines:
                print(f"{res}px failed:\n{out.stderr[-3000:]}", flush=True)
                continue
            row = {**json.loads(lines[-1][7:]), "file_mib": size_mib}
            rows.append(row)
            print(json.dumps(row), flush=True)
    print("\n| resolution | G / D params | file MiB | convert s | peak RSS MiB | Keras s/img | "
          "SavedModel s/img |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['resolution']} | {r['g_params'] / 1e6:.1f}M / {r['d_params'] / 1e6:.1f}M | "
              f"{r['file_mib']:.0f} | {r['convert_s']:.1f} | {r['peak_rss_mib']:.0f} | "
              f"{r['keras_s_per_image']:.2f} | {r['savedmodel_s_per_image']:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
