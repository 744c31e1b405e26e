"""Adversarial losses, penalties and the reduction that makes them replica-safe."""

from keras_gans.losses.adversarial import (  # noqa: F401
    LOSSES,
    AdversarialLoss,
    get,
    hinge_discriminator_loss,
    hinge_generator_loss,
    least_squares_discriminator_loss,
    least_squares_generator_loss,
    minimax_discriminator_loss,
    minimax_generator_loss,
    non_saturating_discriminator_loss,
    non_saturating_generator_loss,
    wasserstein_discriminator_loss,
    wasserstein_generator_loss,
)
from keras_gans.losses.reduction import reduce_batch_scalar, reduce_per_example  # noqa: F401
from keras_gans.losses.penalties import (  # noqa: F401,E402
    dragan_penalty,
    dragan_perturb,
    gradient_penalty,
    interpolate,
    interpolation_shape,
    lipschitz_penalty,
    path_length_penalty,
    r1_penalty,
    r2_penalty,
)
