"""Max abs difference of the converted TF StyleGAN (v1) fixture against NVIDIA's outputs.

Converts `../shared/fixtures/nvlabs/stylegan1_small.pkl` with
`keras_gans.zoo.nvlabs.stylegan.convert_stylegan` and compares every array of
`stylegan1_small_ref.npz` (computed by NVIDIA's own code from that file; NCHW,
raw generator output) with the Keras model's, in float32 on the CPU:

* `dlatents_*`: the mapped, broadcast and truncated w (`dlatent_avg + (w -
  dlatent_avg) * psi` on layers below the cutoff);
* `img_*`: `Gs.run(z, truncation_psi, truncation_cutoff, randomize_noise=False)`
  = the EMA generator with the stored noise images; `synth_psi1`: synthesis of
  `dlatents_psi1`; `img_G_psi1`: the training G;
* `d_img_*`: D's scores on the reference images, each set of 8 as one batch.

The z are the file's (`np.random.RandomState(123).randn(8, 64)`); nothing
else is random. Prints a markdown table (`--markdown`) or plain lines.

    python scripts/check_nvlabs_fixtures_v1.py [--fixtures DIR] [--markdown]
"""

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_FIXTURES = os.path.join(os.path.dirname(ROOT), "shared", "fixtures", "nvlabs")
CASES = {"psi07_cut8": (0.7, 8), "psi07_cut4": (0.7, 4), "psi05_cut8": (0.5, 8)}
TOLERANCE = 1e-3


def measure(fixtures):
    import tensorflow as tf

    from keras_gans.models.karras_common import truncate
    from keras_gans.zoo.nvlabs.stylegan import convert_stylegan

    start = time.perf_counter()
    gan = convert_stylegan(os.path.join(fixtures, "stylegan1_small.pkl"))
    seconds = time.perf_counter() - start
    ref = np.load(os.path.join(fixtures, "stylegan1_small_ref.npz"))
    nhwc = (lambda a: np.transpose(a, (0, 2, 3, 1)))
    diff = (lambda a, b: float(np.max(np.abs(np.asarray(a, np.float64) - b))))
    z = tf.constant(ref["z"])
    gs, g = gan.inference_generator, gan.generator
    ws = gs.broadcast(gs.mapping(z))
    rows = {"dlatents_psi1": diff(ws, ref["dlatents_psi1"])}
    for case, (psi, cutoff) in CASES.items():
        rows["dlatents_" + case] = diff(truncate(ws, gs.w_avg, psi, cutoff),
                                        ref["dlatents_" + case])
    rows["img_psi1"] = diff(gs(z), nhwc(ref["img_psi1"]))
    for case, (psi, cutoff) in CASES.items():
        images = gs.synthesis(truncate(ws, gs.w_avg, psi, cutoff), noise_mode="const")
        rows["img_" + case] = diff(images, nhwc(ref["img_" + case]))
    rows["synth_psi1"] = diff(gs.synthesis(tf.constant(ref["dlatents_psi1"])),
                              nhwc(ref["synth_psi1"]))
    rows["img_G_psi1"] = diff(g.synthesis(g.broadcast(g.mapping(z))), nhwc(ref["img_G_psi1"]))
    for case in ["psi1", *CASES]:
        logits = gan.discriminator(tf.constant(nhwc(ref["img_" + case])), training=False)
        rows["d_img_" + case] = diff(logits, ref["d_img_" + case])
    scale = {k: float(np.max(np.abs(ref[k]))) for k in rows}
    return rows, scale, seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixtures", default=DEFAULT_FIXTURES)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    rows, scale, seconds = measure(args.fixtures)
    worst = max(rows.values())
    if args.markdown:
        print("| array | max abs difference | max abs of the reference |")
        print("|---|---|---|")
        for name, value in rows.items():
            print(f"| `{name}` | {value:.2e} | {scale[name]:.3g} |")
        print(f"\nWorst: {worst:.2e} (bound {TOLERANCE:g}); conversion {seconds:.1f} s.")
    else:
        for name, value in rows.items():
            print(f"{name:22s} {value:.3e}")
        print(f"worst {worst:.3e} (bound {TOLERANCE:g}); conversion {seconds:.1f} s")
    return 0 if worst < TOLERANCE else 1


if __name__ == "__main__":
    sys.exit(main())
