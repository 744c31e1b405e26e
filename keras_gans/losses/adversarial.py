"""Adversarial losses as pure functions of discriminator outputs.

Every function returns a PER-EXAMPLE tensor of shape [batch]; reducing it to a
scalar happens in one place (`keras_gans.losses.reduction`), which divides by
the global batch size so that an update is the same on 1 or N replicas.

Logits of any shape [batch, ...] are averaged over their non-batch axes first
(a PatchGAN discriminator gives one logit per patch).

Conventions follow TF-GAN (`tensorflow_gan/python/losses/losses_impl.py`):
both players MINIMIZE the value returned for them.

| name             | discriminator loss                      | generator loss          |
|------------------|-----------------------------------------|-------------------------|
| minimax          | -log D(x) - log(1 - D(G(z)))            | log(1 - D(G(z)))        |
| non_saturating   | -log D(x) - log(1 - D(G(z)))            | -log D(G(z))            |
| wasserstein      | D(G(z)) - D(x)                          | -D(G(z))                |
| hinge            | relu(1 - D(x)) + relu(1 + D(G(z)))      | -D(G(z))                |
| least_squares    | ((D(x) - b)^2 + (D(G(z)) - a)^2) / 2     | (D(G(z)) - c)^2 / 2     |

with D(.) = sigmoid(logits) for the first two.
"""

import difflib

import tensorflow as tf


def per_example(logits):
    """Logits `[batch, ...]` (e.g. PatchGAN maps) averaged to one value per example.

    Example:

    >>> per_example(tf.ones([2, 3, 3, 1])).shape
    TensorShape([2])
    """
    logits = tf.convert_to_tensor(logits)
    if logits.shape.rank is not None and logits.shape.rank == 0:
        raise ValueError("Logits need a batch axis; got a scalar.")
    if logits.shape.rank == 1:
        return logits
    batch = tf.shape(logits)[0]
    return tf.reduce_mean(tf.reshape(logits, [batch, -1]), axis=1)


def minimax_discriminator_loss(real_logits, fake_logits, label_smoothing=0.0):
    """Discriminator loss of the original minimax GAN (Goodfellow et al. 2014).

    -log sigmoid(real) - log(1 - sigmoid(fake)), with optional one-sided label
    smoothing (Salimans et al. 2016): the real target becomes
    1 - label_smoothing; fake targets stay 0.

    Example:

    >>> float(minimax_discriminator_loss([0.0], [0.0])[0])  # 2 log 2
    1.3862943649291992
    """
    real = per_example(real_logits)
    fake = per_example(fake_logits)
    target = 1.0 - label_smoothing
    # softplus(-x) = -log sigmoid(x); softplus(x) = -log(1 - sigmoid(x)).
    real_term = target * tf.nn.softplus(-real) + (1.0 - target) * tf.nn.softplus(real)
    return real_term + tf.nn.softplus(fake)


def minimax_generator_loss(fake_logits):
    """Generator loss of the minimax GAN: log(1 - D(G(z))) (saturates early).

    Example:

    >>> float(minimax_generator_loss([0.0])[0])  # log(1/2)
    -0.6931471824645996
    """
    return -tf.nn.softplus(per_example(fake_logits))


# The non-saturating game keeps the minimax discriminator.
non_saturating_discriminator_loss = minimax_discriminator_loss


def non_saturating_generator_loss(fake_logits):
    """Non-saturating generator loss: -log D(G(z)) (Goodfellow et al. 2014, Sec. 3).

    Example:

    >>> float(non_saturating_generator_loss([0.0])[0])
    0.6931471824645996
    """
    return tf.nn.softplus(-per_example(fake_logits))


def wasserstein_discriminator_loss(real_logits, fake_logits):
    """Critic loss of WGAN (Arjovsky et al. 2017): D(G(z)) - D(x)."""
    return per_example(fake_logits) - per_example(real_logits)


def wasserstein_generator_loss(fake_logits):
    """Generator loss of WGAN: -D(G(z))."""
    return -per_example(fake_logits)


def hinge_discriminator_loss(real_logits, fake_logits):
    """Hinge loss (Lim & Ye 2017; Miyato et al. 2018): relu(1 - D(x)) + relu(1 + D(G(z)))."""
    return tf.nn.relu(1.0 - per_example(real_logits)) + tf.nn.relu(
        1.0 + per_example(fake_logits)
    )


# SNGAN/SAGAN/BigGAN's hinge generator loss is the Wasserstein one.
hinge_generator_loss = wasserstein_generator_loss


def least_squares_discriminator_loss(real_logits, fake_logits, a=0.0, b=1.0):
    """LSGAN discriminator loss (Mao et al. 2017): ((D(x)-b)^2 + (D(G(z))-a)^2) / 2.

    The paper's default uses a = 0 (fake), b = 1 (real), c = 1; its
    "a = -1, b = 1, c = 0" variant minimizes the Pearson chi^2 divergence.
    """
    real = per_example(real_logits)
    fake = per_example(fake_logits)
    return 0.5 * tf.square(real - b) + 0.5 * tf.square(fake - a)


def least_squares_generator_loss(fake_logits, c=1.0):
    """LSGAN generator loss: (D(G(z)) - c)^2 / 2."""
    return 0.5 * tf.square(per_example(fake_logits) - c)


class AdversarialLoss:
    """A named (discriminator, generator) loss pair with its options.

    Args:
        name: one of `LOSSES`.
        **options: keyword options of the pair (`label_smoothing` for the
            sigmoid losses, `a`, `b`, `c` for least squares).

    Example:

    >>> loss = AdversarialLoss("least_squares", a=-1.0, b=1.0, c=0.0)
    >>> loss.get_config()["name"]
    'least_squares'
    """

    def __init__(self, name="non_saturating", **options):
        if name not in LOSSES:
            close = difflib.get_close_matches(str(name), LOSSES, n=3, cutoff=0.4)
            hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
            raise ValueError(
                f"Unknown adversarial loss {name!r}.{hint} Available: "
                f"{', '.join(sorted(LOSSES))}."
            )
        d_fn, g_fn, d_opts, g_opts = LOSSES[name]
        unknown = set(options) - set(d_opts) - set(g_opts)
        if unknown:
            raise ValueError(
                f"Loss {name!r} takes the options {sorted(set(d_opts) | set(g_opts)) or 'none'}; "
                f"got unknown {sorted(unknown)}."
            )
        self.name = name
        self.options = dict(options)
        self._d_fn, self._g_fn = d_fn, g_fn
        self._d_kwargs = {k: v for k, v in options.items() if k in d_opts}
        self._g_kwargs = {k: v for k, v in options.items() if k in g_opts}

    def discriminator_loss(self, real_logits, fake_logits):
        return self._d_fn(real_logits, fake_logits, **self._d_kwargs)

    def generator_loss(self, fake_logits):
        return self._g_fn(fake_logits, **self._g_kwargs)

    @property
    def uses_sigmoid(self):
        """Whether D's output is a logit of a probability (for logging D(x))."""
        return self.name in ("minimax", "non_saturating")

    def get_config(self):
        return {"name": self.name, **self.options}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        opts = "".join(f", {k}={v!r}" for k, v in self.options.items())
        return f"AdversarialLoss({self.name!r}{opts})"


#: name -> (discriminator fn, generator fn, D options, G options)
LOSSES = {
    "minimax": (minimax_discriminator_loss, minimax_generator_loss, ("label_smoothing",), ()),
    "non_saturating": (
        non_saturating_discriminator_loss, non_saturating_generator_loss,
        ("label_smoothing",), (),
    ),
    "wasserstein": (wasserstein_discriminator_loss, wasserstein_generator_loss, (), ()),
    "hinge": (hinge_discriminator_loss, hinge_generator_loss, (), ()),
    "least_squares": (
        least_squares_discriminator_loss, least_squares_generator_loss, ("a", "b"), ("c",),
    ),
}


def get(identifier):
    """Returns an `AdversarialLoss` from a name, a config dict or an instance."""
    if isinstance(identifier, AdversarialLoss):
        return identifier
    if isinstance(identifier, dict):
        return AdversarialLoss.from_config(identifier)
    return AdversarialLoss(identifier)
