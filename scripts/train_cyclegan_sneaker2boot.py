"""Recipe of the `cyclegan_sneaker2boot` preset: CycleGAN, Fashion-MNIST Sneaker <-> Ankle boot.

Trains `CycleGAN(resolution=32, channels=1, width=32)` (6 residual blocks,
pools of 50) with the paper's compile defaults (least squares, cycle 10,
identity 0.5, Adam(2e-4, 0.5)) on the unpaired 6000 sneakers and 6000 ankle
boots of the training split, with a learning rate held for the first half of
the planned steps and decayed linearly to 0 over the second, under a
wall-time budget, niced. `--publish` writes zoo/cyclegan_sneaker2boot/.

    nohup nice -n 10 python scripts/train_cyclegan_sneaker2boot.py --wall-minutes 40 \
        --publish > /tmp/cyclegan.log 2>&1 &
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import translation_recipe  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    translation_recipe.add_arguments(parser, out="runs/cyclegan_sneaker2boot", batch_size=4)
    parser.add_argument("--planned-steps", type=int, default=6000,
                        help="steps of the LR schedule (held for half, then linear to 0)")
    args = parser.parse_args(argv)
    import keras
    import keras_gans.models as models
    from keras_gans.models.translation import HoldThenLinearDecay

    def build():
        return models.CycleGAN(resolution=32, channels=1, width=args.width,
                               domain_names=("sneaker", "ankle_boot"), seed=args.seed)

    half = args.planned_steps // 2

    def optimizers():
        return {name: keras.optimizers.Adam(HoldThenLinearDecay(2e-4, half, half), beta_1=0.5)
                for name in ("d_optimizer", "g_optimizer")}

    translation_recipe.run(
        args, preset="cyclegan_sneaker2boot", task_name="sneaker2boot", build=build,
        compile_kwargs=optimizers,
        dataset_options={"flip": True},
        description="CycleGAN (ResNet Gs, PatchGAN Ds, LSGAN + cycle 10 + identity 0.5), "
                    "Fashion-MNIST Sneaker <-> Ankle boot, unpaired, 32x32 (28x28 padded)",
        recipe="python scripts/train_cyclegan_sneaker2boot.py "
               f"{translation_recipe.budget_flags(args)} --planned-steps {args.planned_steps} --publish")


if __name__ == "__main__":
    main()
