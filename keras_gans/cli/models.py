"""`keras-gans sample` and `keras-gans export`."""

import inspect
import os
import time

from keras_gans.cli.app import CommandError
from keras_gans.cli.runtime import Progress, import_tensorflow, load_model

#: Images per generator call when sampling (and per tick of the progress bar).
CHUNK = 256


def parse_labels(text, model, n):
    """`--labels "0,1,2"` -> int labels for `n` samples (one label is repeated)."""
    num_classes = getattr(model, "num_classes", None)
    if text is None:
        return None if num_classes is None else [i % num_classes for i in range(n)]
    if num_classes is None:
        raise CommandError(f"--labels is for conditional models; {type(model).__name__} is "
                           "unconditional.")
    try:
        labels = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise CommandError(f"--labels must be comma-separated integers in [0, "
                           f"{num_classes - 1}]; got {text!r}.") from None
    if len(labels) == 1:
        labels = labels * n
    if len(labels) != n:
        raise CommandError(f"--labels has {len(labels)} labels for -n {n}; give one label or "
                           f"{n}.")
    bad = [label for label in labels if not 0 <= label < num_classes]
    if bad:
        raise CommandError(f"--labels must lie in [0, {num_classes - 1}]; got {bad[0]}.")
    return labels


def sample_images(model, n, seed=0, labels=None, truncation_psi=None, progress=None):
    """`model.sample(n, seed, labels)` in chunks (the same images), ticking `progress`."""
    import numpy as np

    from keras_gans.data.validation import to_uint8

    extra = {}
    if truncation_psi is not None:
        if "truncation_psi" not in inspect.signature(model.generate).parameters:
            raise CommandError(f"--truncation-psi is for style-based models; "
                               f"{type(model).__name__} has none.")
        extra["truncation_psi"] = truncation_psi
    z = model.latents(n, seed)  # rows do not depend on n: chunks give the same images
    out = []
    for start in range(0, n, CHUNK):
        part = None if labels is None else labels[start:start + CHUNK]
        out.append(to_uint8(model.generate(z[start:start + CHUNK], labels=part, **extra)))
        if progress is not None:
            progress.update(len(out[-1]))
    return np.concatenate(out, axis=0)


def sample(args):
    out_dir = os.path.dirname(os.path.abspath(args.o))
    if not args.o.lower().endswith(".png"):
        raise CommandError(f"-o {args.o}: the grid is a PNG; name it <something>.png.")
    if os.path.isdir(args.o):
        raise CommandError(f"-o {args.o} is a folder; pass a .png file name.")
    if not os.path.isdir(out_dir):
        raise CommandError(f"-o {args.o}: the folder {out_dir} does not exist; create it first.")
    import_tensorflow(args.verbose)
    from keras_gans.utils.images import save_grid

    model = load_model(args.model)
    if not hasattr(model, "latents"):
        raise CommandError(f"{args.model} is a {type(model).__name__}, not a generative "
                           "model; pass a GAN preset, run folder or .keras file.")
    labels = parse_labels(args.labels, model, args.n)
    progress = Progress(args.n, "sampling") if args.n > CHUNK else None
    images = sample_images(model, args.n, args.seed, labels, args.truncation_psi, progress)
    if progress is not None:
        progress.close()
    save_grid(images, args.o, scale=args.scale)
    print(f"Wrote {args.n} samples (seed {args.seed}) to {args.o}")
    return 0


def export(args):
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise CommandError(f"--out {args.out} is a file; pass the model's folder (versions "
                           "go in <out>/<N>).")
    import_tensorflow(args.verbose)
    from keras_gans.export import export_savedmodel

    start = time.monotonic()
    print(f"[1/2] loading {args.model}", flush=True)
    model = load_model(args.model)
    if not hasattr(model, "export_endpoints") and not hasattr(model, "latents"):
        raise CommandError(f"{args.model} is a {type(model).__name__}; `keras-gans export` "
                           "exports GANs.")
    print(f"[2/2] tracing and writing the SavedModel ({time.monotonic() - start:.0f} s)",
          flush=True)
    path = export_savedmodel(model, args.out, version=args.version)
    print(f"Exported SavedModel to {path} in {time.monotonic() - start:.0f} s")
    return 0
