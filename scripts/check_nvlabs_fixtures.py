"""Max absolute differences between the converted NVIDIA StyleGAN2 fixtures and NVIDIA's outputs.

Converts `sg2ada_A.pkl` (stylegan2-ada-pytorch) and `stylegan2_small.pkl` (TF
StyleGAN2) from `../shared/fixtures/nvlabs/` with
`keras_gans.zoo.nvlabs.stylegan2.convert_stylegan2`, recomputes every
reference array of their `_ref.npz` files end to end with the Keras models
(z -> w -> images, raw unclipped generator output; D logits on the reference
images, fed as one batch of 8 in order) and prints one markdown row per
array: name, shape, max |Keras - NVIDIA|, max |NVIDIA| (the scale).

Deterministic (no randomness: z comes from the files).

    python scripts/check_nvlabs_fixtures.py [--fixtures DIR] [--tolerance 1e-3]

Exits 1 if any difference exceeds the tolerance.
"""

import argparse
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_FIXTURES = os.path.join(ROOT, "..", "shared", "fixtures", "nvlabs")


def _nhwc(x):
    return np.transpose(np.asarray(x), (0, 2, 3, 1))


def _nchw(x):
    return np.transpose(np.asarray(x), (0, 3, 1, 2))


def sg2ada_outputs(gan, ref):
    """Keras outputs for every array of `sg2ada_A_ref.npz` (NCHW like the reference)."""
    import tensorflow as tf

    gen = gan.inference_generator
    z = tf.constant(ref["z"])
    ws1 = gen.broadcast(gen.map(z))
    out = {"w_avg": gen.w_avg.numpy(), "ws_psi1": ws1, "ws_psi07": gen.truncate(ws1, 0.7)}
    for tag, psi in (("psi1", 1.0), ("psi07", 0.7)):
        for mode in ("const", "none"):
            out[f"img_{tag}_{mode}"] = _nchw(gen(z, truncation_psi=psi, noise_mode=mode))
            out[f"d_img_{tag}_{mode}"] = gan.discriminate(_nhwc(ref[f"img_{tag}_{mode}"]))
    return out


#: TF cases of `stylegan2_small_ref.npz`: (psi, cutoff).
TF_CASES = {"psi1": (1.0, None), "psi05": (0.5, None), "psi07": (0.7, None),
            "psi07_cut4": (0.7, 4)}


def tf_stylegan2_outputs(gan, ref):
    """Keras outputs for every array of `stylegan2_small_ref.npz`."""
    import tensorflow as tf

    from keras_gans.models.karras_common import truncate

    gen = gan.inference_generator
    z = tf.constant(ref["z"])
    ws1 = gen.broadcast(gen.map(z))
    out = {"dlatent_avg": gen.w_avg.numpy()}
    for tag, (psi, cutoff) in TF_CASES.items():
        ws = truncate(ws1, gen.w_avg, psi, cutoff)
        out[f"dlatents_{tag}"] = ws
        out[f"img_{tag}"] = _nchw(gen.synthesis(ws, noise_mode="const"))
        out[f"d_img_{tag}"] = gan.discriminate(_nhwc(ref[f"img_{tag}"]))
    out["synth_psi1"] = _nchw(gen.synthesis(tf.constant(ref["dlatents_psi1"])))
    # The training G, not Gs.
    out["img_G_psi1"] = _nchw(gan.generator(z, noise_mode="const"))
    return out


FIXTURES = (("sg2ada_A", sg2ada_outputs), ("stylegan2_small", tf_stylegan2_outputs))


def measure(fixtures_dir):
    """[(fixture, array, shape, max_abs_diff, max_abs_ref)] and conversion seconds per fixture."""
    from keras_gans.zoo.nvlabs.stylegan2 import convert_stylegan2

    rows, seconds = [], {}
    for name, outputs in FIXTURES:
        start = time.perf_counter()
        gan = convert_stylegan2(os.path.join(fixtures_dir, name + ".pkl"))
        seconds[name] = time.perf_counter() - start
        ref = np.load(os.path.join(fixtures_dir, name + "_ref.npz"))
        ours = outputs(gan, ref)
        for key in sorted(ours):
            a = np.asarray(ours[key], np.float64)
            b = np.asarray(ref[key], np.float64)
            diff = float(np.max(np.abs(a - b))) if a.shape == b.shape else float("nan")
            rows.append((name, key, tuple(b.shape), diff, float(np.max(np.abs(b)))))
        missing = sorted(set(ref.files) - set(ours) - {"z", "c"})
        if missing:
            raise SystemExit(f"{name}: reference arrays not checked: {missing}")
    return rows, seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fixtures", default=DEFAULT_FIXTURES)
    parser.add_argument("--tolerance", type=float, default=1e-3)
    args = parser.parse_args(argv)
    rows, seconds = measure(args.fixtures)
    print("| fixture | array | shape | max abs diff | max abs reference |")
    print("|---|---|---|---|---|")
    for name, key, shape, diff, scale in rows:
        print(f"| {name} | {key} | {'x'.join(map(str, shape))} | {diff:.2e} | {scale:.3g} |")
    for name, sec in seconds.items():
        print(f"\nconversion of {name}.pkl (read + build + assign): {sec:.2f} s", end="")
    print()
    worst = max(r[3] for r in rows)
    print(f"worst: {worst:.2e} (tolerance {args.tolerance:g})")
    return 0 if worst <= args.tolerance else 1


if __name__ == "__main__":
    sys.exit(main())
