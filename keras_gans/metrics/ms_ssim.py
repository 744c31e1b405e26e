"""MS-SSIM (Wang et al. 2003, "Multiscale structural similarity for image
quality assessment") and the MS-SSIM diversity score of generated images
(Odena et al. 2017, AC-GAN): the mean MS-SSIM over random pairs of samples.
Lower means more diverse; a collapsed generator scores near 1.

Per scale, with a Gaussian window (11 x 11, sigma 1.5), K1 = 0.01, K2 = 0.03 and
the dynamic range L of the images:

    l  = (2 mu_x mu_y + C1) / (mu_x^2 + mu_y^2 + C1)
    cs = (2 s_xy + C2) / (s_x^2 + s_y^2 + C2)

MS-SSIM = prod_{i < M} mean(cs_i)^w_i * mean(l_M cs_M)^w_M, images halved by
2 x 2 averaging between scales; per channel, then averaged over channels.
Negative means are clipped at 0 before the power (as tf.image.ssim_multiscale
does) so that fractional powers stay real.

Small images: the standard 5 scales need images of at least 11 * 2^4 = 176
pixels. By default the number of scales is the largest M <= 5 at which the
coarsest scale is still as large as the window, keeping the window, sigma and
constants, and the first M of the standard weights (0.0448, 0.2856, 0.3001,
0.2363, 0.1333) renormalized to sum to 1. For 28 x 28 images this is M = 2
(28 and 14 pixels) with weights (0.1356, 0.8644). Scores at another M or
window are not comparable.
"""

import numpy as np

from keras_gans.data.validation import validate_images
from keras_gans.metrics.checks import check_positive_int

#: The standard 5-scale weights (Wang et al. 2003).
STANDARD_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)


def num_scales_for(height, width, filter_size=11, max_scales=len(STANDARD_WEIGHTS)):
    """Largest number of scales (<= max_scales) at which the window still fits.

    Example:

    >>> num_scales_for(28, 28), num_scales_for(256, 256)
    (2, 5)
    """
    size, scales = min(height, width), 0
    while scales < max_scales and size >= filter_size:
        scales += 1
        size = (size + 1) // 2  # odd sizes are padded by one before halving
    return scales


def scale_weights(num_scales):
    """The first `num_scales` standard weights, renormalized to sum to 1."""
    num_scales = check_positive_int(num_scales, "num_scales")
    if num_scales > len(STANDARD_WEIGHTS):
        raise ValueError(
            f"num_scales must be <= {len(STANDARD_WEIGHTS)} for the standard weights; got "
            f"{num_scales}. Pass power_factors=... for more scales."
        )
    w = np.asarray(STANDARD_WEIGHTS[:num_scales])
    return tuple((w / w.sum()).tolist())


def _gaussian_window(size, sigma):
    x = np.arange(size, dtype=np.float64) - (size - 1) / 2.0
    g = np.exp(-(x**2) / (2.0 * sigma**2))
    return g / g.sum()


def _filter_valid(x, g):
    """Separable 'valid' Gaussian filtering of (N, H, W, C) over H and W."""
    size = len(g)
    # sliding_window_view adds the window axis last; contract it with g.
    x = np.lib.stride_tricks.sliding_window_view(x, size, axis=1) @ g
    return np.lib.stride_tricks.sliding_window_view(x, size, axis=2) @ g


def _downsample(x):
    """2 x 2 average, padding odd sizes by repeating the last row/column."""
    pad_h, pad_w = x.shape[1] % 2, x.shape[2] % 2
    if pad_h or pad_w:
        x = np.pad(x, [(0, 0), (0, pad_h), (0, pad_w), (0, 0)], mode="symmetric")
    return 0.25 * (x[:, 0::2, 0::2] + x[:, 1::2, 0::2] + x[:, 0::2, 1::2] + x[:, 1::2, 1::2])


def multiscale_ssim(x, y, max_val=2.0, power_factors=None, filter_size=11, filter_sigma=1.5,
            k1=0.01, k2=0.03):
    """MS-SSIM of image pairs.

    Args:
        x, y: (N, H, W, C) images, pairs compared row by row.
        max_val: dynamic range L of the images (2 for [-1, 1], 255 for uint8).
        power_factors: per-scale weights; default: `scale_weights(M)` with M
            from `num_scales_for(H, W, filter_size)`.
        filter_size, filter_sigma: the Gaussian window.
        k1, k2: the SSIM stability constants.

    Returns:
        (N,) float64 MS-SSIM values in [0, 1]; 1 for identical images.

    Example:

    >>> import numpy as np
    >>> x = np.random.default_rng(0).uniform(-1, 1, (2, 28, 28, 1))
    >>> np.allclose(multiscale_ssim(x, x), 1.0)
    True
    """
    x = validate_images(x, name="x").astype(np.float64)
    y = validate_images(y, name="y").astype(np.float64)
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same shape; got {x.shape} and {y.shape}.")
    filter_size = check_positive_int(filter_size, "filter_size")
    if power_factors is None:
        scales = num_scales_for(x.shape[1], x.shape[2], filter_size)
        if scales == 0:
            raise ValueError(
                f"images of {x.shape[1]}x{x.shape[2]} pixels are smaller than the "
                f"{filter_size}x{filter_size} window; pass a smaller filter_size."
            )
        power_factors = scale_weights(scales)
    power_factors = np.asarray(power_factors, np.float64)
    fits = num_scales_for(x.shape[1], x.shape[2], filter_size, len(power_factors))
    if fits < len(power_factors):
        raise ValueError(
            f"{len(power_factors)} scales do not fit {x.shape[1]}x{x.shape[2]} images with a "
            f"{filter_size}x{filter_size} window (the coarsest scale would be smaller than "
            f"the window). Use at most {fits} scale(s) or a smaller filter_size."
        )
    g = _gaussian_window(filter_size, filter_sigma)
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    factors = []
    for i in range(len(power_factors)):
        if i:
            x, y = _downsample(x), _downsample(y)
        mu_x, mu_y = _filter_valid(x, g), _filter_valid(y, g)
        var_x = _filter_valid(x * x, g) - mu_x**2
        var_y = _filter_valid(y * y, g) - mu_y**2
        cov = _filter_valid(x * y, g) - mu_x * mu_y
        cs = (2.0 * cov + c2) / (var_x + var_y + c2)
        if i < len(power_factors) - 1:
            value = cs.mean(axis=(1, 2))
        else:
            lum = (2.0 * mu_x * mu_y + c1) / (mu_x**2 + mu_y**2 + c1)
            value = (lum * cs).mean(axis=(1, 2))
        factors.append(np.maximum(value, 0.0) ** power_factors[i])
    # Product over scales per channel, then the mean over channels.
    return np.prod(np.stack(factors), axis=0).mean(axis=-1)


def ms_ssim_diversity(images, num_pairs=None, seed=0, max_val=2.0, batch_size=1000, **kwargs):
    """Mean MS-SSIM over random disjoint pairs of images (lower = more diverse).

    Args:
        images: (N, H, W, C) float images in [-1, 1] (or uint8 with
            `max_val=255`), N >= 2.
        num_pairs: pairs to average; default and maximum N // 2 (each image
            is used at most once).
        seed: seed of the pairing.
        max_val: dynamic range of the images.
        batch_size: pairs per vectorized MS-SSIM call.
        **kwargs: passed to `multiscale_ssim` (power_factors, filter_size, ...).

    Returns:
        The mean MS-SSIM as a Python float.

    Example:

    >>> import numpy as np
    >>> same = np.zeros((10, 28, 28, 1))
    >>> ms_ssim_diversity(same)
    1.0
    """
    images = validate_images(images, name="images")
    n = len(images)
    if n < 2:
        raise ValueError(f"images has {n} image(s); MS-SSIM diversity needs at least 2.")
    max_pairs = n // 2
    num_pairs = max_pairs if num_pairs is None else check_positive_int(num_pairs, "num_pairs")
    if num_pairs > max_pairs:
        raise ValueError(
            f"num_pairs={num_pairs} but {n} images make at most {max_pairs} disjoint pairs; "
            "lower num_pairs or pass more images."
        )
    order = np.random.default_rng(seed).permutation(n)[: 2 * num_pairs]
    first, second = order[0::2], order[1::2]
    values = [
        multiscale_ssim(images[first[i:i + batch_size]], images[second[i:i + batch_size]],
                max_val=max_val, **kwargs)
        for i in range(0, num_pairs, batch_size)
    ]
    return float(np.concatenate(values).mean())
