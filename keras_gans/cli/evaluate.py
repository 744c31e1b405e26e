"""`keras-gans eval MODEL --metrics ...`: named protocols, with the model's own preprocessing.

A preset's crop or resize is part of its recorded protocol (`eval_preprocess`
in its table row: `stylegan2_fashion_mnist` is trained on Fashion-MNIST
zero-padded to 32x32 and measured on the 28x28 centre crop); other models get
`--center-crop SIZE` or `--resize SIZE`.
"""

import json

from keras_gans.cli.app import CommandError
from keras_gans.cli.runtime import Progress, import_tensorflow, load_model

METRIC_ALIASES = {"fid": "fid10k_test", "kid": "kid10k_test", "pr": "pr10k_test",
                  "precision_recall": "pr10k_test", "coverage": "dc10k_test",
                  "density_coverage": "dc10k_test", "is": "is10k", "modes": "modes10k"}
FEATURE_ALIASES = {"fmnist_classifier": "fashion_mnist_classifier",
                   "fashion_mnist_classifier": "fashion_mnist_classifier",
                   "inception": "inception"}
#: Perceptual path length, by space (full sampling, eps 1e-4; see keras_gans.metrics.ppl).
PPL_METRICS = {"ppl_w": "w", "ppl_z": "z"}


def _ppl_json(name, record):
    return {"protocol": name, "n": record["num_samples"], "feature_network": record["feature"],
            "preprocess": record.get("preprocess", "none"),
            "value": {"ppl": record["ppl"], "ppl_std": record["ppl_std"]}, "floor": None,
            "note": f"{record['space']} space, {record['sampling']} sampling, eps "
                    f"{record['epsilon']:g}; {record['note']}"}


def _check_arguments(args):
    names = [m.strip() for m in args.metrics.split(",") if m.strip()]
    if not names:
        raise CommandError("--metrics is empty; name at least one, e.g. --metrics fid.")
    features = FEATURE_ALIASES.get(args.features)
    if features is None:
        raise CommandError(f"--features must be one of {', '.join(sorted(FEATURE_ALIASES))}; "
                           f"got {args.features!r}.")
    if args.n is not None and args.n < 10:
        raise CommandError(f"--n must be >= 10 samples; got {args.n}.")
    if args.center_crop and args.resize:
        raise CommandError("--center-crop and --resize exclude each other; pick the one that "
                           "undoes how the training data was made.")
    if args.inception_graph and features != "inception":
        raise CommandError("--inception-graph goes with --features inception.")
    return [METRIC_ALIASES.get(m, m) for m in names], features


def model_preprocess(args, model):
    """The preprocessing of this evaluation: the flags, else the preset's recorded one."""
    if args.center_crop:
        return {"center_crop": args.center_crop}
    if args.resize:
        return {"resize": args.resize}
    name = getattr(model, "preset_name", None)
    if name:
        from keras_gans import zoo

        return zoo.get_preset(name).get("eval_preprocess")
    return None


def run(args):
    protocols, features = _check_arguments(args)
    import_tensorflow(args.verbose)
    from keras_gans.metrics import evaluate, format_result
    from keras_gans.metrics.protocols import get_protocol

    ppl = [m for m in protocols if m in PPL_METRICS]
    protocols = [m for m in protocols if m not in PPL_METRICS]
    for name in protocols:
        get_protocol(name)  # an unknown name fails before the model loads
    model = load_model(args.model)
    if not hasattr(model, "latents"):
        raise CommandError(f"{args.model} is a {type(model).__name__}, not a generative model; "
                           "`keras-gans eval` measures GANs.")
    if ppl and not hasattr(model, "mapping"):
        raise CommandError(f"{', '.join(ppl)} need a style-based model (StyleGAN, StyleGAN2) "
                           f"with a mapping network; {args.model} is a "
                           f"{type(model).__name__}. Drop the ppl metrics for it.")
    if ppl and features != "fashion_mnist_classifier":
        raise CommandError("PPL is measured with the Fashion-MNIST classifier's features "
                           f"only; drop --features {args.features} or the ppl metrics.")
    preprocess = model_preprocess(args, model)
    results = {}
    if protocols:
        kwargs = {"path": args.inception_graph} if args.inception_graph else None
        n = args.n or max(get_protocol(p).num_generated for p in protocols)
        conditional = sum(get_protocol(p).conditional for p in protocols)
        progress = Progress(n * (1 + conditional), "generating")

        def generate_fn(count, seed, labels=None):
            images = model.generate(model.latents(count, seed), labels=labels)
            progress.update(count)
            return images

        results = evaluate(generate_fn, protocols=protocols, feature_network=features,
                           num_samples=args.n, seed=args.seed, feature_kwargs=kwargs,
                           preprocess=preprocess)
        progress.close()
    for name, result in results.items():
        if args.json:
            print(json.dumps({
                "protocol": name, "n": result.get("num_generated"),
                "feature_network": result.get("feature_network"),
                "feature_weights": result.get("feature_weights"),
                "preprocess": result.get("preprocess"),
                "value": result["values"], "floor": result.get("floor"),
                "note": result.get("note") or result.get("floor_note")}, default=float))
        else:
            print(format_result(result) + (f" | preprocess: {result['preprocess']}"
                                           if result.get("preprocess") != "none" else ""))
    if ppl:
        from keras_gans.metrics.ppl import perceptual_path_length

        for name in ppl:
            record = perceptual_path_length(model, num_samples=args.n or 1000,
                                            space=PPL_METRICS[name], seed=args.seed,
                                            preprocess=preprocess)
            line = _ppl_json(name, record)
            print(json.dumps(line) if args.json else
                  f"{name}: ppl={record['ppl']:.4g} ± {record['ppl_std']:.3g} | "
                  f"{line['n']} pairs, {line['feature_network']} | {line['note']}")
    return 0
