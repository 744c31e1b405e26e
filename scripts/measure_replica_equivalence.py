"""Largest weight difference between a 1-replica and a 2-replica step, per family.

    python scripts/measure_replica_equivalence.py [--families dcgan,wgan_gp]

For every registered family (its tiny `example_config`), one training step on
one device and one step under `MirroredStrategy` over two logical CPU
devices, from the same weights on the same global batch of 8
(`keras_gans.testing.distribute.one_step_on_one_and_two_replicas`, the check
`tests/distribute/equivalence_test.py` asserts to 1e-6). Prints a Markdown
table: max |w_1 - w_2| over all G, D and EMA weights, the largest weight-tensor
change of the step itself (for scale), and the largest logged-loss difference.
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

# Two logical CPU devices, before TensorFlow initializes its devices.
tf.config.set_logical_device_configuration(
    tf.config.list_physical_devices("CPU")[0], [tf.config.LogicalDeviceConfiguration()] * 2)

import keras_gans.models as models  # noqa: E402
from keras_gans.testing.distribute import one_step_on_one_and_two_replicas  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--families", default="", help="comma-separated keys (default: all)")
    args = p.parse_args()
    families = [f for f in args.families.split(",") if f] or models.list_families()
    print("| family | max weight diff (1 vs 2 replicas) | max step size | max log diff |")
    print("|---|---:|---:|---:|")
    for family in families:
        run = one_step_on_one_and_two_replicas(models.get(family))
        diff = max(float(np.max(np.abs(a - b))) if a.size else 0.0
                   for a, b in zip(run["single"], run["mirrored"]))
        # Scale of the step: weight tensors only (scalars are counters that move by 1).
        step = max(float(np.max(np.abs(a - b))) for a, b in zip(run["initial"], run["single"])
                   if a.ndim > 0 and a.size and np.issubdtype(a.dtype, np.floating))
        logs = max(abs(run["single_logs"][k][-1] - run["mirrored_logs"][k][-1])
                   for k in run["metric_names"])
        print(f"| {family} | {diff:.2e} | {step:.2e} | {logs:.2e} |", flush=True)


if __name__ == "__main__":
    main()
