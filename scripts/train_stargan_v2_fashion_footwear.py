"""Recipe of the StarGAN v2 benchmark model: sandal, sneaker and ankle boot as domains.

Trains a CPU-sized `StarGANv2(resolution=32, channels=1, num_domains=3)` on
`fashion_footwear` with the paper's loss weights (R1 1, style 1, diversity 1
decayed linearly to 0 over `--planned-steps`, cycle 1) and Adam(1e-4, 0,
0.99) (mapping network 1e-6), under a wall-time budget, niced, on one
intra-op thread. `scripts/bench_translation.py` measures target-domain
accuracy, FID and the diversity of latent-guided outputs.

    nohup nice -n 10 python scripts/train_stargan_v2_fashion_footwear.py --wall-minutes 15 \
        > /tmp/stargan_v2.log 2>&1 &
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import translation_recipe  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    translation_recipe.add_arguments(parser, out="runs/stargan_v2_fashion_footwear",
                                     batch_size=8)
    parser.add_argument("--planned-steps", type=int, default=3000,
                        help="steps over which the diversity weight decays to 0")
    args = parser.parse_args(argv)
    import keras_gans.models as models

    def build():
        return models.StarGANv2(resolution=32, channels=1, latent_dim=16, style_dim=32,
                                width=args.width, max_width=4 * args.width,
                                mapping_hidden=128,
                                domain_names=("sandal", "sneaker", "ankle_boot"),
                                seed=args.seed)

    translation_recipe.run(
        args, preset="stargan_v2_fashion_footwear", task_name="fashion_footwear", build=build,
        compile_kwargs=lambda: {"ds_decay_steps": args.planned_steps},
        dataset_options={"flip": True},
        description="StarGAN v2 (AdaIN G, per-domain mapping and style heads, multi-head D), "
                    "Fashion-MNIST sandal / sneaker / ankle boot, 32x32 (28x28 padded)",
        recipe="python scripts/train_stargan_v2_fashion_footwear.py "
               f"{translation_recipe.budget_flags(args)} --planned-steps {args.planned_steps} --publish")


if __name__ == "__main__":
    main()
