"""Conversion time, peak memory and sampling speed of converted StyleGAN2 networks.

For each resolution (default 256, 512, 1024) a config-F-sized stylegan2-ada-pytorch
snapshot with random weights (`synthetic_pytorch_snapshot`: channel_base 32768,
channel_max 512, z = w = 512, 8 mapping layers, conv_clamp 256, 3 channels) is
written as a real pickle (`keras_gans.zoo.nvlabs.synthetic.snapshot_to_pickle`,
the opcode-level writer of NVIDIA's format), then, in a FRESH subprocess per
resolution (so the peak RSS is that conversion's):

* conversion: `read_snapshot(file)` + `convert_stylegan2(...)` wall seconds;
* peak memory: the subprocess's max RSS (`resource.getrusage`), MiB, and the
  file size;
* Keras sampling: seconds per image of `gan.generate(z, batch_size=B)` after
  one warm-up call, median of `--repeats` calls;
* SavedModel sampling: `export_savedmodel`, `tf.saved_model.load`, then
  `serving_default(z, truncation_psi)` per image, same protocol.

Seeded (`--seed`); z from `gan.latents(B, seed)`. CPU timings depend on the
machine's load; compare rows of one run.

    nohup nice -n 10 python scripts/bench_nvlabs.py > /tmp/bench_nvlabs.log 2>&1 &
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
    from keras_gans.zoo.nvlabs.stylegan2 import convert_stylegan2

    start = time.perf_counter()
    gan = convert_stylegan2(read_snapshot(args.file))
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
    params = int(sum(np.prod(w.shape) for w in gan.generator.weights))
    d_params = int(sum(np.prod(w.shape) for w in gan.discriminator.weights))
    print("RESULT " + json.dumps({
        "resolution": gan.resolution, "g_params": params, "d_params": d_params,
        "convert_s": convert_s, "peak_rss_after_convert_mib": peak_convert,
        "peak_rss_mib": peak, "keras_s_per_image": keras_s,
        "savedmodel_s_per_image": saved_s, "batch": args.batch}))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--resolutions", default="256,512,1024")
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.file:
        return _child(args)

    from keras_gans.zoo.nvlabs.stylegan2 import synthetic_pytorch_snapshot
    from keras_gans.zoo.nvlabs.synthetic import snapshot_to_pickle

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for res in [int(r) for r in args.resolutions.split(",")]:
            path = os.path.join(tmp, f"synthetic_{res}.pkl")
            start = time.perf_counter()
            with open(path, "wb") as f:
                f.write(snapshot_to_pickle(synthetic_pytorch_snapshot(res, seed=args.seed)))
            write_s = time.perf_counter() - start
            size = os.path.getsize(path) / 2**20
            out = subprocess.run([sys.executable, __file__, "--file", path, "--batch",
                                  str(args.batch), "--repeats", str(args.repeats), "--seed",
                                  str(args.seed)], capture_output=True, text=True, cwd=ROOT,
                                 check=False)
            lines = [ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")]
            if out.returncode != 0 or not lines:
                print(out.stderr[-3000:], file=sys.stderr)
                raise SystemExit(f"resolution {res}: the benchmark subprocess failed")
            row = json.loads(lines[-1][len("RESULT "):])
            row.update(file_mib=size, write_s=write_s)
            rows.append(row)
            print(json.dumps(row), flush=True)
            os.remove(path)
    print("\n| resolution | G / D params | file MiB | convert s | peak RSS MiB | Keras s/img "
          "| SavedModel s/img |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['resolution']} | {r['g_params'] / 1e6:.1f}M / {r['d_params'] / 1e6:.1f}M "
              f"| {r['file_mib']:.0f} | {r['convert_s']:.1f} | {r['peak_rss_mib']:.0f} "
              f"| {r['keras_s_per_image']:.3f} | {r['savedmodel_s_per_image']:.3f} |")
    print(f"\nbatch {args.batch}, median of {args.repeats} calls after one warm-up; "
          f"peak RSS includes TensorFlow and the SavedModel export.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
