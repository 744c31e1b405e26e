"""Read time and peak memory of `keras_gans.zoo.nvlabs.reader.read_snapshot`.

Reads each fixture in `../shared/fixtures/nvlabs/` and one large synthetic
stylegan2-ada-pytorch snapshot (written by `keras_gans.zoo.nvlabs.synthetic`
with config-f sized 512x512x3x3 float32 tensors, default ~300 MB; half of
them channels-last so the strided copy path is timed too). Each read runs in
a fresh subprocess: the reported memory is the growth of that process's peak
resident set while reading (VmHWM, reset after the imports through
/proc/self/clear_refs; Linux only), so it includes the pickle's bytes and
every array. Prints one markdown row per file: size,
best-of-N wall time, MB/s, peak growth / file size.

    python scripts/bench_nvlabs_reader.py [--big-mb 300] [--repeats 3] [--keep]

Seeded (numpy default_rng(0)) for the synthetic tensors.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "..", "shared", "fixtures", "nvlabs")

_CHILD = r"""
import json, sys, time
from keras_gans.zoo.nvlabs.reader import read_snapshot


def status_kb(field):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))


path, repeats = sys.argv[1], int(sys.argv[2])
with open("/proc/self/clear_refs", "w") as f:  # resets VmHWM (peak RSS) to the current RSS
    f.write("5")
before = status_kb("VmHWM")
times = []
for _ in range(repeats):
    start = time.perf_counter()
    snap = read_snapshot(path)
    times.append(time.perf_counter() - start)
    n = sum(v.nbytes for k, r in snap.items() if hasattr(r, "tensors") for v in r.tensors.values())
    del snap
after = status_kb("VmHWM")
print(json.dumps({"best_s": min(times), "peak_growth_kb": after - before, "tensor_bytes": n}))
"""


def write_big_snapshot(path, megabytes):
    import numpy as np

    from keras_gans.zoo.nvlabs import synthetic

    rng = np.random.default_rng(0)
    per_tensor = 512 * 512 * 9 * 4
    count = max(3, int(megabytes * 2**20 // per_tensor) // 3 * 3)
    networks = {}
    for index, key in enumerate(("G", "D", "G_ema")):
        params = {}
        for i in range(count // 3):
            weight = rng.standard_normal((512, 512, 3, 3), dtype=np.float32)
            params[f"w{i}"] = synthetic.torch_tensor(weight, channels_last=bool(i % 2))
        networks[key] = synthetic.persistent_module(
            "Generator" if key != "D" else "Discriminator", {"z_dim": 512}, parameters=params
        )
    networks.update(augment_pipe=None, training_set_kwargs={"resolution": 1024})
    with open(path, "wb") as f:
        f.write(synthetic.dumps(networks, 3))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixtures", default=FIXTURES)
    parser.add_argument("--big-mb", type=float, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the synthetic file")
    args = parser.parse_args()

    files = [
        os.path.join(args.fixtures, f)
        for f in ("sg2ada_A.pkl", "stylegan2_small.pkl", "stylegan1_small.pkl")
    ]
    files = [f for f in files if os.path.isfile(f)]
    tmp = tempfile.mkdtemp(prefix="nvlabs_bench_")
    big = os.path.join(tmp, "synthetic_big.pkl")
    if args.big_mb > 0:
        write_big_snapshot(big, args.big_mb)
        files.append(big)
    load = os.getloadavg()
    print(f"load average before: {load[0]:.1f} (1 min) on {os.cpu_count()} CPUs; "
          "times are wall-clock")
    print("| file | size MB | best read s | MB/s | peak RSS growth MB | growth / size |")
    print("|---|---|---|---|---|---|")
    try:
        for path in files:
            out = subprocess.run(
                [sys.executable, "-c", _CHILD, path, str(args.repeats)],
                check=True,
                capture_output=True,
                text=True,
                cwd=ROOT,
            ).stdout
            row = json.loads(out.strip().splitlines()[-1])
            size = os.path.getsize(path) / 2**20
            growth = row["peak_growth_kb"] / 1024
            print(
                f"| {os.path.basename(path)} | {size:.1f} | {row['best_s']:.3f} | "
                f"{size / row['best_s']:.0f} "
                f"| {growth:.0f} | {growth / size:.2f} |"
            )
        print(f"load average after: {os.getloadavg()[0]:.1f} (1 min)")
    finally:
        if not args.keep and os.path.exists(big):
            os.remove(big)
            os.rmdir(tmp)


if __name__ == "__main__":
    main()
