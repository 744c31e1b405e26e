"""Subcommands over other parts of the project: `convert` (NVIDIA pickles,
`keras_gans.zoo.nvlabs`), `demo` (the browser demo, `keras_gans.demo`) and
`translate` (image-to-image models), and `train --tensorboard`.

Each is listed only when the module it calls is installed; the check looks
for the file and imports nothing.
"""

import os

from keras_gans.cli.app import CommandError, positive_int, non_negative_int
from keras_gans.cli.runtime import import_tensorflow, load_model


_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _available(module):
    # A path check: `importlib.util.find_spec` would import the parent packages
    # (keras_gans.models imports TensorFlow).
    parts = module.split(".")[1:]
    base = os.path.join(_PACKAGE_DIR, *parts)
    return os.path.isfile(base + ".py") or os.path.isfile(os.path.join(base, "__init__.py"))


def add_parsers(sub, common):
    if _available("keras_gans.zoo.nvlabs"):
        c = sub.add_parser("convert", help="convert an NVIDIA StyleGAN/StyleGAN2 pickle "
                                           "(read without executing it)")
        c.add_argument("path", help="the network pickle (.pkl)")
        c.add_argument("--out", required=True,
                       help="folder for model.keras (then `keras-gans sample OUT`)")
        c.add_argument("--which", default="G_ema",
                       help="the generator to convert: G_ema (default; Gs in TF files) or G")
        common(c)
        c.set_defaults(fn="convert")
    if _available("keras_gans.demo"):
        d = sub.add_parser("demo", help="serve the browser demo on 127.0.0.1")
        d.add_argument("names", nargs="*",
                       help="presets with a SavedModel, model folders or version folders "
                            "(default: every export in savedmodels/)")
        d.add_argument("--port", type=positive_int(), default=8000)
        d.add_argument("--root", default=None,
                       help="where preset names are looked up (default: savedmodels/)")
        common(d)
        d.set_defaults(fn="demo")
    if _available("keras_gans.models.translation"):
        t = sub.add_parser("translate", help="translate images with an image-to-image model")
        t.add_argument("model", help="preset name, run folder or .keras file")
        t.add_argument("input", help="a PNG/JPEG image or a folder of them")
        t.add_argument("-o", required=True, help="output PNG (a grid for a folder)")
        t.add_argument("--domain", default=None, help="target domain (multi-domain models)")
        t.add_argument("--seed", type=non_negative_int(), default=0)
        common(t)
        t.set_defaults(fn="translate")


def convert(args):
    if not os.path.isfile(args.path):
        raise CommandError(f"No such file: {args.path}; pass the network pickle (.pkl).")
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise CommandError(f"--out {args.out} is a file; pass a folder.")
    if args.which not in ("G_ema", "G"):
        raise CommandError(f"--which must be G_ema (the averaged generator) or G; got "
                           f"{args.which!r}.")
    import_tensorflow(args.verbose)
    import time

    from keras_gans.zoo.nvlabs import convert_to_preset

    start = time.monotonic()
    print(f"[1/1] reading (nothing in the file runs) and converting {args.path} "
          f"({args.which})", flush=True)
    out = convert_to_preset(args.path, args.out, which=args.which)
    print(f"Wrote {os.path.join(out, 'model.keras')} in {time.monotonic() - start:.0f} s; "
          f"sample it with `keras-gans sample {out} -o grid.png`.")
    return 0


def demo(args):
    import_tensorflow(args.verbose)
    if args.port > 65535:
        raise CommandError(f"--port must be in [1, 65535]; got {args.port}.")
    if args.root and not os.path.isdir(args.root):
        raise CommandError(f"--root {args.root} is not a folder of SavedModels.")
    from keras_gans.demo import serve

    serve(args.names or None, host="127.0.0.1", port=args.port, root=args.root)
    return 0


def _read_images(files, channels):
    import numpy as np
    from PIL import Image

    images = []
    for f in files:
        try:
            with Image.open(f) as im:
                array = np.asarray(im.convert("L" if channels == 1 else "RGB"))
        except OSError as e:
            raise CommandError(f"{f} is not a readable image ({e}).") from None
        images.append(array[..., None] if array.ndim == 2 else array)
    shapes = {a.shape for a in images}
    if len(shapes) > 1:
        raise CommandError(f"The input images differ in size ({sorted(shapes)}); give images of "
                           "one size.")
    return np.stack(images)


def translate(args):
    if not os.path.exists(args.input):
        raise CommandError(f"No such image or folder: {args.input}.")
    if not args.o.lower().endswith(".png"):
        raise CommandError(f"-o {args.o}: the output is a PNG; name it <something>.png.")
    import_tensorflow(args.verbose)
    from keras_gans.utils.images import save_grid, save_image

    model = load_model(args.model)
    if not hasattr(model, "translate"):
        raise CommandError(f"{args.model} is a {type(model).__name__}, not an image-to-image "
                           "model (`keras-gans families` lists the sampling ones).")
    if os.path.isdir(args.input):
        files = sorted(os.path.join(args.input, f) for f in os.listdir(args.input)
                       if f.lower().endswith((".png", ".jpg", ".jpeg", ".bmp")))
        if not files:
            raise CommandError(f"{args.input} holds no PNG/JPEG images.")
    else:
        files = [args.input]
    images = _read_images(files, model.image_shape[-1])
    domain = args.domain
    if domain is not None and domain.lstrip("-").isdigit():
        domain = int(domain)
    out = model.translate(images, target_domain=domain, seed=args.seed)
    if len(out) == 1:
        save_image(out[0], args.o)  # one image in, the translated image out (no grid)
    else:
        save_grid(out, args.o, scale=1)
    print(f"Wrote {len(images)} translated image(s) to {args.o}")
    return 0


def tensorboard_callback(directory, seed):
    """The callback of `train --tensorboard DIR`: losses, D(x)/D(G(z)) and the fixed-seed
    sample grid each epoch (`keras_gans.callbacks.TensorBoardGAN`)."""
    from keras_gans.callbacks import TensorBoardGAN

    return TensorBoardGAN(directory, seed=seed)
