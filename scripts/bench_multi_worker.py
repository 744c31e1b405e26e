"""Times `keras-gans train dcgan` with 2 MultiWorkerMirroredStrategy workers on
127.0.0.1 against the same command in one process (default strategy).

Both runs train the same tiny DCGAN on the same global batches (the test
`tests/distribute/multi_worker_test.py` checks they end with the same
weights). Prints, per run, the wall time from process start to exit (TF
import, cluster setup, tracing, training, saving) and Keras's time per step in
the last epoch (after tracing). On one machine the two workers share its
cores, and every step all-reduces the gradients over loopback gRPC, so this
measures the overhead of the multi-worker path, not a speed-up.

Usage:

    python scripts/bench_multi_worker.py                  # 3 epochs x 10 steps, batch 32
    python scripts/bench_multi_worker.py --epochs 2 --steps 3 --batch-size 16
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

from keras_gans.distribute import free_local_ports

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def command(args, out, strategy):
    return [sys.executable, "-m", "keras_gans.cli", "train", "dcgan", "--dataset", args.dataset,
            "--epochs", str(args.epochs), "--steps-per-epoch", str(args.steps),
            "--batch-size", str(args.batch_size), "--set", f"width={args.width}",
            "--set", "latent_dim=8", "--seed", "1", "--strategy", strategy, "--out", out]


def run(cmds, envs, timeout):
    """Runs processes together; returns (wall seconds, outputs). Kills all on failure."""
    start = time.monotonic()
    procs = [subprocess.Popen(c, env=e, cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for c, e in zip(cmds, envs)]
    outputs = []
    try:
        for p in procs:
            remaining = max(1.0, timeout - (time.monotonic() - start))
            outputs.append(p.communicate(timeout=remaining)[0])
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    wall = time.monotonic() - start
    for p, out in zip(procs, outputs):
        if p.returncode:
            raise SystemExit(f"A process failed (exit {p.returncode}):\n{out[-3000:]}")
    return wall, outputs


def step_ms(output):
    """Keras's time per step in the last epoch ('3/3 - 0s - 62ms/step - ...')."""
    found = re.findall(r"- (\d+(?:\.\d+)?)(ms|s)/step", output)
    if not found:
        return float("nan")
    value, unit = found[-1]
    return float(value) * (1000.0 if unit == "s" else 1.0)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--steps", type=int, default=10, help="steps per epoch")
    p.add_argument("--batch-size", type=int, default=32, help="global batch size")
    p.add_argument("--width", type=int, default=4)
    p.add_argument("--dataset", default="digits")
    p.add_argument("--timeout", type=float, default=300)
    args = p.parse_args()

    base = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    with tempfile.TemporaryDirectory() as tmp:
        cluster = {"worker": [f"127.0.0.1:{port}" for port in free_local_ports(2)]}
        envs = [dict(base, TF_NUM_INTRAOP_THREADS="1", TF_CONFIG=json.dumps(
            {"cluster": cluster, "task": {"type": "worker", "index": i}})) for i in range(2)]
        out = os.path.join(tmp, "multi")
        multi_wall, multi_out = run([command(args, out, "multi_worker")] * 2, envs, args.timeout)
        single_wall, single_out = run([command(args, os.path.join(tmp, "single"), "default")],
                                      [base], args.timeout)
    steps = args.epochs * args.steps
    print(f"DCGAN width={args.width} on {args.dataset}: {args.epochs} epochs x {args.steps} "
          f"steps, global batch {args.batch_size} ({steps} steps)")
    print(f"{'run':28} {'wall (start to exit)':>22} {'ms/step (last epoch)':>22}")
    print(f"{'2 workers (multi_worker)':28} {multi_wall:>20.1f} s {step_ms(multi_out[0]):>22.0f}")
    print(f"{'1 process (default)':28} {single_wall:>20.1f} s {step_ms(single_out[0]):>22.0f}")
    with open("/proc/loadavg") as f:
        print(f"load average at the end: {f.read().split()[0]} (other processes share the cores)")


if __name__ == "__main__":
    main()
