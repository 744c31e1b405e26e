"""Recipe of the StarGAN benchmark model: one generator for 4 tints of Fashion-MNIST items.

Trains `StarGAN(resolution=32, channels=3, num_domains=4)` on `fashion_tints`
(each item in gray, red, green or blue; the exact translation is known) with
the paper's compile defaults (WGAN-GP 10, classification 1, reconstruction 10,
5 D steps, Adam(1e-4, 0.5, 0.999)), under a wall-time budget, niced, on one
intra-op thread. `scripts/bench_translation.py` measures it against the exact
translation and the identity.

    nohup nice -n 10 python scripts/train_stargan_fashion_tints.py --wall-minutes 15 \
        > /tmp/stargan.log 2>&1 &
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import translation_recipe  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    translation_recipe.add_arguments(parser, out="runs/stargan_fashion_tints", batch_size=16)
    parser.add_argument("--n-blocks", type=int, default=3,
                        help="residual blocks of G (paper: 6 at 128 px)")
    args = parser.parse_args(argv)
    import keras_gans.models as models
    from keras_gans.data.translation_tasks import TINT_NAMES

    def build():
        return models.StarGAN(resolution=32, channels=3, width=args.width,
                              n_blocks=args.n_blocks, domain_names=TINT_NAMES, seed=args.seed)

    translation_recipe.run(
        args, preset="stargan_fashion_tints", task_name="fashion_tints", build=build,
        dataset_options={"flip": True},
        description="StarGAN (one ResNet G for every domain, PatchGAN + domain-classifier D, "
                    "WGAN-GP), Fashion-MNIST items in 4 tints, 32x32 RGB (28x28 padded)",
        recipe="python scripts/train_stargan_fashion_tints.py "
               f"{translation_recipe.budget_flags(args)} --publish")


if __name__ == "__main__":
    main()
