"""Inception Score (Salimans et al. 2016, "Improved Techniques for Training GANs").

IS = exp(E_x KL(p(y | x) || p(y))), with p(y) the mean of p(y | x) over the
split. The samples are cut into `splits` consecutive parts (10 in the paper's
code and in stylegan2-ada); the score is the mean and standard deviation of the
per-split scores. It ranges from 1 (every prediction equals the marginal) to
the number of classes K (confident predictions spread evenly over K classes).

The class probabilities here come from whichever classifier the protocol
names; the literature's IS uses the 2015 ImageNet Inception network, so
Fashion-MNIST-classifier scores (at most 10) are not comparable with it.
"""

import numpy as np
import scipy.special

from keras_gans.metrics.checks import check_positive_int, check_probabilities
from keras_gans.metrics.streaming import compute_features


def inception_score_from_probs(probs, splits=10, from_logits=False):
    """Inception Score of (N, K) class probabilities.

    Args:
        probs: (N, K) predicted class probabilities p(y | x) (rows sum to 1),
            or logits with `from_logits=True`.
        splits: number of consecutive parts; N must be >= splits.
        from_logits: apply a softmax first.

    Returns:
        `(mean, std)` over the splits, as Python floats.

    Example:

    >>> import numpy as np
    >>> inception_score_from_probs(np.eye(4)[np.arange(100) % 4], splits=5)
    (4.0, 0.0)
    """
    probs = check_probabilities(probs, from_logits=from_logits)
    splits = check_positive_int(splits, "splits")
    n = len(probs)
    if n < splits:
        raise ValueError(
            f"probs has {n} sample(s) but splits={splits}; pass at least {splits} samples "
            "or lower splits."
        )
    scores = []
    for i in range(splits):
        part = probs[i * n // splits:(i + 1) * n // splits]
        marginal = part.mean(axis=0, keepdims=True)
        # rel_entr gives p log(p / q) with 0 log 0 = 0, so one-hot rows are fine.
        kl = scipy.special.rel_entr(part, marginal).sum(axis=1)
        scores.append(np.exp(kl.mean()))
    return float(np.mean(scores)), float(np.std(scores))


def inception_score_from_images(probs_fn, images, batch_size=250, num_samples=None,
                                splits=10, from_logits=False):
    """IS of an image source; `probs_fn` maps images to probabilities (or logits)."""
    probs = compute_features(probs_fn, images, batch_size, num_samples, "images")
    return inception_score_from_probs(probs, splits=splits, from_logits=from_logits)
