"""Perceptual path length (Karras et al. 2019, StyleGAN, section 4.2), offline.

For a style-based model with mapping f and synthesis g, the path length in W
is

    l_W = E[ d(g(lerp(f(z1), f(z2); t)), g(lerp(f(z1), f(z2); t + eps))) / eps^2 ]

with `t ~ U(0, 1)` ("full" sampling; "end" uses t in {0, 1}) and
`eps = 1e-4`; in Z the interpolation is `slerp` of the latents. As in the
official implementation, distances below the 1st and above the 99th
percentile are discarded before averaging, and the synthesis uses its
constant noise (`noise_mode="const"`), so only the latent moves.

IMPORTANT: this is NOT the paper's PPL and its numbers are NOT comparable
with published ones. The paper measures `d` with LPIPS (VGG16 features,
learned channel weights) on face crops downscaled to 256x256; neither the
weights nor the data are available offline here. `d` is the squared L2
distance between feature vectors of a feature function that is available:
by default the penultimate (128-d) features of the project's Fashion-MNIST
classifier when `keras_gans.zoo.load("fashion_mnist_classifier")` works
(grayscale, preprocessed as the model's protocol records: `preprocess=`), else raw pixels
(the mean squared pixel difference). Pass `feature_fn` to use another one.
Numbers are comparable only between models measured with the same feature
function, epsilon, space, sampling and sample count; the returned record
carries all of them.

Example:

>>> from keras_gans.metrics.ppl import perceptual_path_length  # doctest: +SKIP
>>> perceptual_path_length(gan, num_samples=2000)["ppl"]  # doctest: +SKIP
"""

import numpy as np
import tensorflow as tf

NOT_COMPARABLE = ("NOT the paper's LPIPS/VGG16 PPL: NOT comparable with published numbers; "
                  "comparable only with PPL measured with the same feature function")


def pixel_features(images):
    """Raw pixels scaled so the squared L2 distance is the mean squared difference."""
    images = np.asarray(images, np.float32)
    flat = images.reshape(len(images), -1)
    return flat / np.sqrt(flat.shape[1])


def classifier_feature_fn(model=None, preprocess=None):
    """The Fashion-MNIST classifier's penultimate features as a feature function.

    Images (1 or 3 channels, in [-1, 1]) are converted to grayscale, then
    preprocessed as the model's protocol says (`preprocess`, e.g.
    `{"center_crop": 28}` for samples of zero-padded 32x32 data, as in
    `keras_gans.metrics.protocols`); images that still do not match the
    classifier's input size are refused with the fix.

    Args:
        model: the trained classifier; default: the zoo preset
            `fashion_mnist_classifier` (raises if it cannot be loaded).
        preprocess: None, `{"center_crop": SIZE}` or `{"resize": SIZE}`.
    """
    from keras_gans.metrics.protocols import apply_preprocess, describe_preprocess


    from keras_gans.metrics.classifier import classifier_features

    if model is None:
        from keras_gans import zoo

        model = zoo.load("fashion_mnist_classifier", compile=False)
    features = classifier_features(model)
    height, width, channels = (int(s) for s in features.input_shape[1:])

    def fn(images):
        x = tf.convert_to_tensor(np.asarray(images, np.float32))
        if x.shape[-1] != channels:
            x = tf.reduce_mean(x, axis=-1, keepdims=True)
            if channels != 1:
                x = tf.tile(x, [1, 1, 1, channels])
        x = tf.convert_to_tensor(apply_preprocess(x.numpy(), preprocess), tf.float32)
        if x.shape[1] != height or x.shape[2] != width:
            size = "x".join(map(str, x.shape[1:3]))
            raise ValueError(
                f"PPL's classifier takes {height}x{width} images; the samples are {size}. Pass "
                f'preprocess={{"center_crop": {height}}} for a model of zero-padded data (or '
                f'{{"resize": {height}}}), as its protocol records.')
        return np.asarray(features(x, training=False), np.float32)

    fn.feature_name = "fashion_mnist_classifier.features"
    fn.preprocess = describe_preprocess(preprocess)
    return fn


def default_feature_fn(preprocess=None):
    """Classifier features when the zoo classifier loads, else raw pixels."""
    from keras_gans.zoo import CorruptArtifactError

    try:
        return classifier_feature_fn(preprocess=preprocess)
    except CorruptArtifactError:
        raise  # a corrupt shipped classifier is an error, not a reason to use pixels
    except Exception:  # noqa: BLE001 - any failure to load falls back to pixels
        fn = pixel_features
        return fn


def _feature_name(fn):
    if fn is pixel_features:
        return "pixels"
    return getattr(fn, "feature_name", getattr(fn, "__name__", type(fn).__name__))


def path_length_distances(model, num_samples=1000, epsilon=1e-4, space="w", sampling="full",
                          feature_fn=None, batch_size=64, seed=0):
    """The per-sample `d / eps^2` values of PPL (before outlier rejection).

    Args:
        model: a style-based GAN (`StyleGAN`, `StyleGAN2`): its EMA
            generator's `mapping` and `synthesis` are used.
        num_samples: number of latent pairs.
        epsilon: the step along the path (1e-4).
        space: "w" (lerp of mapped latents) or "z" (slerp of latents).
        sampling: "full" (t ~ U(0, 1)) or "end" (t in {0, 1}).
        feature_fn: images `(n, H, W, C)` in [-1, 1] -> features `(n, D)`;
            default `default_feature_fn()`.
        batch_size: pairs per batch.
        seed: seed of the latents and t.

    Returns:
        float64 numpy array `(num_samples,)`.
    """
    from keras_gans.models.karras_common import lerp, slerp

    if space not in ("w", "z"):
        raise ValueError(f"space must be 'w' or 'z'; got {space!r}.")
    if sampling not in ("full", "end"):
        raise ValueError(f"sampling must be 'full' or 'end'; got {sampling!r}.")
    if not epsilon > 0:
        raise ValueError(f"epsilon must be positive; got {epsilon}.")
    for name in ("mapping", "synthesis", "latent_dim"):
        if not hasattr(model, name):
            raise TypeError(f"PPL needs a style-based model with `{name}` (StyleGAN, "
                            f"StyleGAN2); got {type(model).__name__}.")
    feature_fn = default_feature_fn() if feature_fn is None else feature_fn
    rng = np.random.default_rng(seed)
    out = []
    for start in range(0, int(num_samples), int(batch_size)):
        n = min(int(batch_size), int(num_samples) - start)
        z0, z1 = (rng.standard_normal((n, model.latent_dim)).astype(np.float32) for _ in (0, 1))
        if sampling == "full":
            t = rng.uniform(0.0, 1.0, (n, 1)).astype(np.float32)
        else:
            t = rng.integers(0, 2, (n, 1)).astype(np.float32)
        t_eps = t + np.float32(epsilon)
        if space == "w":
            w0, w1 = model.mapping(z0), model.mapping(z1)
            w = np.concatenate([lerp(w0, w1, t), lerp(w0, w1, t_eps)]).astype(np.float32)
        else:
            w = model.mapping(np.concatenate([slerp(z0, z1, t), slerp(z0, z1, t_eps)]))
        images = model.synthesis(w, noise_mode="const")
        features = np.asarray(feature_fn(images), np.float64).reshape(2 * n, -1)
        distance = np.sum(np.square(features[:n] - features[n:]), axis=1)
        out.append(distance / epsilon**2)
    return np.concatenate(out)


def perceptual_path_length(model, num_samples=1000, epsilon=1e-4, space="w", sampling="full",
                           feature_fn=None, batch_size=64, seed=0, preprocess=None):
    """PPL of a style-based GAN, with its record (see the module docstring).

    Returns:
        A dict: `ppl` (mean of the distances between the 1st and 99th
        percentiles), `ppl_std`, and the protocol: `feature`, `space`,
        `sampling`, `epsilon`, `num_samples`, `seed`, `note`.

    Example:

    >>> result = perceptual_path_length(gan, num_samples=500,  # doctest: +SKIP
    ...                                 feature_fn=pixel_features)
    """
    if feature_fn is not None and preprocess is not None:
        raise ValueError("Pass preprocess= or feature_fn=, not both: a feature_fn applies its "
                         "own preprocessing.")
    feature_fn = default_feature_fn(preprocess) if feature_fn is None else feature_fn
    distances = path_length_distances(model, num_samples, epsilon, space, sampling, feature_fn,
                                      batch_size, seed)
    lo, hi = np.percentile(distances, 1, method="lower"), np.percentile(distances, 99,
                                                                          method="higher")
    kept = distances[(distances >= lo) & (distances <= hi)]
    return {"ppl": float(np.mean(kept)), "ppl_std": float(np.std(kept)),
            "feature": _feature_name(feature_fn),
            "preprocess": getattr(feature_fn, "preprocess", "none"),
            "space": space, "sampling": sampling,
            "epsilon": float(epsilon), "num_samples": int(num_samples), "seed": int(seed),
            "note": NOT_COMPARABLE}
