"""Recipe of the `pix2pix_fashion_edges` preset: pix2pix on Fashion-MNIST edges -> items.

Trains `Pix2Pix(resolution=32, channels=1, width=32)` with the paper's
compile defaults (non-saturating + 100 L1, Adam(2e-4, 0.5), D halved) and its
jitter scaled to 32 px (resize to 36, random crop 32, flip) on the 60k
training pairs of `fashion_edges`, under a wall-time budget, niced, on one
intra-op thread. `--publish` measures the test split (scripts/bench_translation.py's
functions) and writes zoo/pix2pix_fashion_edges/ and its SavedModel.

    nohup nice -n 10 python scripts/train_pix2pix_fashion_edges.py --wall-minutes 40 \
        --publish > /tmp/p2p.log 2>&1 &
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import translation_recipe  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    translation_recipe.add_arguments(parser, out="runs/pix2pix_fashion_edges", batch_size=16)
    parser.add_argument("--lambda-adv", type=float, default=1.0,
                        help="0 trains the L1-only reference of the benchmark (--out elsewhere)")
    args = parser.parse_args(argv)
    import keras_gans.models as models

    def build():
        return models.Pix2Pix(resolution=32, channels=1, width=args.width,
                              domain_names=("edges", "items"), seed=args.seed)

    translation_recipe.run(
        args, preset="pix2pix_fashion_edges", task_name="fashion_edges", build=build,
        compile_kwargs=lambda: {"lambda_adv": args.lambda_adv},
        dataset_options={"load_size": 36, "crop_size": 32, "flip": True},
        description="pix2pix (U-Net G, conditional PatchGAN D), Fashion-MNIST Sobel edges -> "
                    "items, 32x32 (28x28 padded)",
        recipe="python scripts/train_pix2pix_fashion_edges.py "
               f"{translation_recipe.budget_flags(args)} --publish")


if __name__ == "__main__":
    main()
