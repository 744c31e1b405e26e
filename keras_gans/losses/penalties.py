"""Gradient regularizers for GAN critics and generators, as pure functions.

Every penalty here returns a PER-EXAMPLE tensor of shape `[batch]` and never
reduces over the batch: the GAN base class sums all per-example losses and
divides by the *global* batch size in one place, so an update is the same on
one replica or on N replicas under `tf.distribute`. Weights (lambda, gamma / 2,
...) are applied by the caller too.

Randomness (interpolation coefficients, perturbations, projection noise) is
passed in as arguments: the caller draws it with its own per-replica,
checkpointable RNG, which keeps these functions deterministic and testable.

Callers pass `critic`, any callable mapping a batch `x` to logits `[batch]` or
`[batch, ...]` (e.g. a `keras.Model` called in training mode). The gradient is
taken of the sum of the logits, which equals the per-example gradient only if
the critic treats examples independently: batch-coupled layers (BatchNorm in
training mode, minibatch-stddev, packing) make these penalties mix examples.
Gulrajani et al. (2017) recommend layer normalization in a WGAN-GP critic for
this reason.

All functions work eagerly, inside `tf.function`, under XLA
(`jit_compile=True`), and with float32, float64 (and mixed precision, where the
gradient is taken with respect to the float32 input). To differentiate a
penalty with respect to the critic's weights (double back-propagation), call it
inside the caller's own `tf.GradientTape`: the inner tape here records only the
gradient with respect to the inputs.
"""

import tensorflow as tf

# Added under the square root of a squared gradient norm, as TF-GAN does: the
# derivative of sqrt at 0 is infinite, and a critic that is flat at a sample
# (e.g. saturated ReLUs) would otherwise give NaN weight gradients. It shifts a
# norm of 1 by ~5e-11, far below float32 resolution.
_NORM_EPSILON = 1e-10


def _cast(value, dtype):
    """`tf.cast` that keeps a Python number exact in float64 (a plain
    `tf.cast(0.7, tf.float64)` goes through float32 first)."""
    if isinstance(value, (int, float)):
        return tf.constant(value, dtype)
    return tf.cast(value, dtype)


def interpolation_shape(x):
    """The shape `[batch, 1, ..., 1]` of a per-example coefficient for `x`.

    Draw the WGAN-GP / WGAN-LP interpolation coefficient (and DRAGAN's `alpha`)
    with this shape, so it broadcasts over every non-batch axis of `x`.

    Example:

    >>> real = tf.zeros([8, 28, 28, 1])
    >>> shape = interpolation_shape(real)  # [8, 1, 1, 1]
    >>> epsilon = tf.random.stateless_uniform(shape, seed=[0, 1])
    """
    x = tf.convert_to_tensor(x)
    batch = tf.shape(x)[:1]
    ones = tf.ones([x.shape.rank - 1], tf.int32)
    return tf.concat([batch, ones], axis=0)


def _per_example_coefficient(coefficient, x, name):
    """Casts `coefficient` to x's dtype and shapes it `[batch, 1, ..., 1]`.

    Accepts `[batch]` or `[batch, 1, ..., 1]`. Rejects anything with a
    non-batch axis larger than one: a per-pixel coefficient makes the point
    leave the segment between the two samples (a silent, common bug), so it is
    an error here rather than a broadcast.
    """
    coefficient = tf.cast(coefficient, x.dtype)
    rank = x.shape.rank
    if coefficient.shape.rank == 1:
        shape = tf.concat([tf.shape(coefficient), tf.ones([rank - 1], tf.int32)], axis=0)
        return tf.reshape(coefficient, shape)
    if coefficient.shape.rank != rank:
        raise ValueError(
            f"{name} must have shape [batch] or [batch{', 1' * (rank - 1)}] "
            f"(one value per example); got shape {coefficient.shape} for inputs "
            f"of shape {x.shape}."
        )
    extra = coefficient.shape[1:]
    if any(d is not None and d != 1 for d in extra):
        raise ValueError(
            f"{name} must hold one value per example, shape [batch{', 1' * (rank - 1)}]; "
            f"got shape {coefficient.shape}. A per-pixel {name} does not interpolate "
            "between the two samples. Draw it with shape interpolation_shape(x)."
        )
    return coefficient


def interpolate(real, fake, epsilon):
    """Points `epsilon * real + (1 - epsilon) * fake` on the real-fake segments.

    Args:
        real: real samples `[batch, ...]`.
        fake: generated samples, same shape as `real`.
        epsilon: one coefficient per example, `[batch]` or `[batch, 1, ..., 1]`
            (see `interpolation_shape`), drawn from Uniform[0, 1].

    Returns:
        A tensor shaped like `real`.
    """
    real = tf.convert_to_tensor(real)
    fake = tf.cast(fake, real.dtype)
    epsilon = _per_example_coefficient(epsilon, real, "epsilon")
    return fake + epsilon * (real - fake)


def _input_gradients(critic, x):
    """The per-example gradient of the critic's logits with respect to x."""
    with tf.GradientTape() as tape:
        tape.watch(x)
        logits = critic(x)
        # A sum over the batch gives each example's own gradient, as long as
        # the critic does not couple examples (see the module docstring). The
        # cast sums mixed-precision logits in the input's precision.
        total = tf.reduce_sum(tf.cast(logits, x.dtype))
    gradients = tape.gradient(total, x)
    if gradients is None:
        raise ValueError(
            "The critic's output does not depend on its input; cannot compute a "
            "gradient penalty."
        )
    return gradients


def _squared_norm(gradients):
    """The squared L2 norm over all non-batch axes: `[batch]`."""
    axes = list(range(1, gradients.shape.rank))
    return tf.reduce_sum(tf.square(gradients), axis=axes)


def _norm(gradients):
    return tf.sqrt(_squared_norm(gradients) + _cast(_NORM_EPSILON, gradients.dtype))


def gradient_penalty(critic, real, fake, epsilon, target=1.0):
    """WGAN-GP gradient penalty, per example (Gulrajani et al., 2017).

    `(||grad_x D(x_hat)||_2 - target)^2` at `x_hat = eps * real + (1 - eps) * fake`,
    the norm taken over all non-batch axes.

    `epsilon` is ONE number per example drawn from Uniform[0, 1] (Algorithm 1 of
    the paper), shape `[batch, 1, 1, 1]` for images (see `interpolation_shape`).
    Two bugs are widespread in copied code: drawing it from a normal
    distribution (points then fall outside the segment between the real and
    the fake sample) and drawing it per pixel (the point is then no longer on
    that segment at all). The latter is rejected here with a ValueError.

    The weight lambda (10 in the paper) is applied by the caller:
    `loss_d += lambda * gradient_penalty(...)` before the global-batch mean.

    Args:
        critic: callable `x -> logits`, `[batch]` or `[batch, ...]`.
        real: real samples `[batch, ...]`.
        fake: generated samples, same shape; usually `tf.stop_gradient`-ed by
            the caller, since only the critic is updated with this term.
        epsilon: per-example coefficients in [0, 1], `[batch]` or
            `[batch, 1, ..., 1]`.
        target: the gradient norm aimed at (1 for a 1-Lipschitz critic).

    Returns:
        Per-example penalty `[batch]`, in the dtype of `real`.

    Example:

    >>> import keras
    >>> critic = keras.Sequential([keras.layers.Dense(1)])
    >>> real, fake = tf.random.normal([4, 2]), tf.random.normal([4, 2])
    >>> eps = tf.random.uniform(interpolation_shape(real))
    >>> penalty = gradient_penalty(critic, real, fake, eps)  # [4]
    >>> loss = 10.0 * tf.reduce_sum(penalty) / global_batch_size  # doctest: +SKIP
    """
    x_hat = interpolate(real, fake, epsilon)
    norm = _norm(_input_gradients(critic, x_hat))
    return tf.square(norm - _cast(target, norm.dtype))


def lipschitz_penalty(critic, real, fake, epsilon, target=1.0):
    """WGAN-LP one-sided Lipschitz penalty, per example (Petzka et al., 2018).

    `max(0, ||grad_x D(x_hat)||_2 - target)^2` at the same interpolates as
    `gradient_penalty`: unlike WGAN-GP it does not push gradient norms below
    the target up, which is all the Lipschitz constraint requires.

    Args:
        critic, real, fake, epsilon, target: as in `gradient_penalty`.

    Returns:
        Per-example penalty `[batch]`; the weight lambda is applied by the
        caller.

    Example:

    >>> eps = tf.random.uniform(interpolation_shape(real))  # doctest: +SKIP
    >>> loss_d += 10.0 * lipschitz_penalty(critic, real, fake, eps)  # doctest: +SKIP
    """
    x_hat = interpolate(real, fake, epsilon)
    norm = _norm(_input_gradients(critic, x_hat))
    return tf.square(tf.nn.relu(norm - _cast(target, norm.dtype)))


def dragan_perturb(real, noise, alpha, scale=0.5, std=None):
    """DRAGAN's perturbation `delta` of real samples (Kodali et al., 2017).

    `delta = alpha * scale * std(real) * noise`, following the authors'
    reference implementation (which the paper's "x + delta" abbreviates):
    perturbed points `real + scale * std * noise` with `noise ~ U[0, 1]` per
    element, then a random point on the segment from `real` to them,
    `alpha ~ U[0, 1]` per example. `std` is ONE scalar, the standard deviation
    of the whole batch (all examples and elements), as `X.std()` there.

    Variants exist (the paper's text says Gaussian noise; compare_gan uses
    `std * (U[0, 1] - 0.5)` without `alpha`); pass other `noise` / `alpha` to
    get them, e.g. `noise = u - 0.5` for centered noise.

    Args:
        real: real samples `[batch, ...]`.
        noise: per-element noise shaped like `real` (reference: U[0, 1]).
        alpha: per-example coefficient, `[batch]` or `[batch, 1, ..., 1]`
            (reference: U[0, 1]).
        scale: `c` in `c * std`; 0.5 in the reference implementation.
        std: optional scalar to use instead of the batch standard deviation
            (e.g. the dataset's, or an all-reduced one so the perturbation
            does not depend on the per-replica batch).

    Returns:
        `delta`, shaped like `real`; pass it to `dragan_penalty`.

    Example:

    >>> real = tf.random.normal([4, 8, 8, 1])
    >>> noise = tf.random.stateless_uniform(tf.shape(real), seed=[0, 0])
    >>> alpha = tf.random.stateless_uniform(interpolation_shape(real), seed=[0, 1])
    >>> delta = dragan_perturb(real, noise, alpha)
    """
    real = tf.convert_to_tensor(real)
    noise = tf.cast(noise, real.dtype)
    alpha = _per_example_coefficient(alpha, real, "alpha")
    if std is None:
        # Population std (ddof=0) over everything, as numpy's X.std().
        std = tf.math.reduce_std(real)
    std = tf.stop_gradient(_cast(std, real.dtype))
    return alpha * _cast(scale, real.dtype) * std * noise


def dragan_penalty(critic, real, perturbation, target=1.0):
    """DRAGAN gradient penalty, per example (Kodali et al., 2017).

    `(||grad_x D(real + perturbation)||_2 - target)^2`: WGAN-GP's penalty, but
    around the real data manifold instead of between real and fake samples.
    Build `perturbation` with `dragan_perturb`. The weight lambda (10 in the
    paper) is applied by the caller.

    Args:
        critic: callable `x -> logits`.
        real: real samples `[batch, ...]`.
        perturbation: `delta`, shaped like `real`.
        target: the gradient norm aimed at (1 in the paper).

    Returns:
        Per-example penalty `[batch]`.

    Example:

    >>> delta = dragan_perturb(real, noise, alpha)  # doctest: +SKIP
    >>> loss_d += 10.0 * dragan_penalty(critic, real, delta)  # doctest: +SKIP
    """
    real = tf.convert_to_tensor(real)
    x_hat = real + tf.cast(perturbation, real.dtype)
    norm = _norm(_input_gradients(critic, x_hat))
    return tf.square(norm - _cast(target, norm.dtype))


def r1_penalty(critic, real):
    """R1 regularizer, per example (Mescheder et al., 2018).

    `||grad_x D(x)||_2^2` on real data (no square root, so no epsilon). The
    paper's loss term is `gamma / 2 * E[R1]`; the caller applies `gamma / 2`
    (StyleGAN2 additionally multiplies by its lazy-regularization interval).

    Args:
        critic: callable `x -> logits`.
        real: real samples `[batch, ...]`.

    Returns:
        Per-example squared gradient norm `[batch]`.

    Example:

    >>> loss_d += 0.5 * gamma * r1_penalty(critic, real)  # doctest: +SKIP
    """
    real = tf.convert_to_tensor(real)
    return _squared_norm(_input_gradients(critic, real))


def r2_penalty(critic, fake):
    """R2 regularizer, per example (Mescheder et al., 2018): R1 on fake data.

    `||grad_x D(G(z))||_2^2`; the caller applies `gamma / 2` and should pass
    `tf.stop_gradient(fake)`.

    Example:

    >>> loss_d += 0.5 * gamma * r2_penalty(critic, tf.stop_gradient(fake))  # doctest: +SKIP
    """
    fake = tf.convert_to_tensor(fake)
    return _squared_norm(_input_gradients(critic, fake))


def path_length_penalty(synthesis_fn, w, noise_images, pl_mean, decay=0.01):
    """StyleGAN2 path length regularizer, per example (Karras et al., 2020).

    For each example, `J_w^T y` with `y = noise_images / sqrt(H * W)`, where
    `J_w` is the Jacobian of the generated image with respect to `w`, and
    `noise_images ~ N(0, I)` shaped like the images. The scaling makes the
    length independent of the resolution. The length is

        a_i = sqrt(mean over num_ws of sum over w_dim of (J^T y)_i^2)

    (for `w` of shape `[batch, w_dim]`, `a_i = ||(J^T y)_i||_2`). The moving
    average `pl_mean` becomes `pl_mean + decay * (mean_i(a_i) - pl_mean)`, and
    the penalty is `(a_i - new pl_mean)^2`.

    The new mean is wrapped in `tf.stop_gradient`, so each example's penalty
    depends on its own path only; the official implementations let a `decay`
    (1%) share of the gradient flow through the batch mean, which is
    negligible. The StyleGAN2 weight (2, times the lazy-regularization
    interval) is applied by the caller.

    Shape conventions: `w` is `[batch, num_ws, w_dim]` (one w per synthesis
    layer, as after broadcasting / style mixing) or `[batch, w_dim]`; images are
    channels-last, `[batch, H, W, C]`. For any other rank, the axes between the
    batch and the last one are the "spatial" axes (none for `[batch, D]`).

    Args:
        synthesis_fn: callable `w -> images`; it must not couple examples.
        w: the latents the gradient is taken with respect to.
        noise_images: standard normal noise shaped like `synthesis_fn(w)`;
            the division by `sqrt(H * W)` happens here.
        pl_mean: the current moving average of path lengths (scalar; 0 at
            the start of training).
        decay: the moving average's rate (0.01 in StyleGAN2).

    Returns:
        `(penalty, new_pl_mean)`: per-example penalty `[batch]` and the
        updated scalar average for the caller to assign. Under
        `tf.distribute`, create the variable with
        `aggregation=tf.VariableAggregation.MEAN`: averaging the replicas'
        updates gives the update for the global batch mean.

    Example:

    >>> images = synthesis(w)  # doctest: +SKIP
    >>> y = tf.random.stateless_normal(tf.shape(images), seed)  # doctest: +SKIP
    >>> pen, new_mean = path_length_penalty(synthesis, w, y, pl_var)  # doctest: +SKIP
    >>> pl_var.assign(new_mean)  # doctest: +SKIP
    >>> loss_g += 2.0 * 4 * pen  # weight * interval  # doctest: +SKIP
    """
    w = tf.convert_to_tensor(w)
    if w.shape.rank not in (2, 3):
        raise ValueError(f"w must be [batch, num_ws, w_dim] or [batch, w_dim]; got {w.shape}.")
    if w.dtype in (tf.float16, tf.bfloat16):
        # Under mixed precision the mapping network returns 16-bit w: take the
        # gradient with respect to a float32 copy (the synthesis layers cast
        # it back for their own compute), so J^T y, the lengths and the
        # running mean are float32.
        w = tf.cast(w, tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(w)
        # Project in w's precision (float32 under mixed precision: a float16
        # sum over a whole batch of images can overflow).
        images = tf.cast(synthesis_fn(w), w.dtype)
        noise = tf.cast(noise_images, images.dtype)
        spatial = tf.reduce_prod(tf.shape(images)[1:-1])
        noise = noise / tf.sqrt(tf.cast(spatial, images.dtype))
        # d/dw of <images, y> is J^T y, for every example at once.
        projected = tf.reduce_sum(images * noise)
    jt_y = tape.gradient(projected, w)
    if jt_y is None:
        raise ValueError("synthesis_fn's output does not depend on w.")
    if w.shape.rank == 3:
        # Mean over the num_ws copies, as StyleGAN2: the length does not grow
        # with the number of synthesis layers.
        squared = tf.reduce_mean(tf.reduce_sum(tf.square(jt_y), axis=2), axis=1)
    else:
        squared = tf.reduce_sum(tf.square(jt_y), axis=1)
    lengths = tf.sqrt(squared + _cast(_NORM_EPSILON, squared.dtype))
    pl_mean = _cast(pl_mean, lengths.dtype)
    decay = _cast(decay, lengths.dtype)
    new_mean = tf.stop_gradient(pl_mean + decay * (tf.reduce_mean(lengths) - pl_mean))
    return tf.square(lengths - new_mean), new_mean


def orthogonal_penalty(kernel, beta=1e-4):
    """BigGAN's orthogonal regularization of one weight: beta * ||W^T W * (1 - I)||_F^2.

    Brock, Donahue & Simonyan 2019 ("Large Scale GAN Training for High
    Fidelity Natural Image Synthesis", ICLR 2019, Section 3.1, Eq. 3): only
    the off-diagonal entries of the filters' Gram matrix are pushed to zero,
    so the filters' norms stay free. `kernel` is reshaped to [fan_in, filters]
    (a Keras Conv2D kernel [kh, kw, in, out] or Dense kernel [in, out]) and
    W^T W is the [filters, filters] Gram matrix of the filters.

    BigGAN-PyTorch's `ortho` adds 2 * beta * (W W^T * (1 - I)) W to the
    gradient directly, which is the gradient of this penalty at beta / 2: for
    its strength 1e-4, use beta = 5e-5 here to take the same step.

    A per-batch scalar (not per example): reduce it with
    `reduce_batch_scalar`.

    Example:

    >>> float(orthogonal_penalty(tf.eye(3), beta=1.0))  # orthonormal filters
    0.0
    """
    kernel = tf.convert_to_tensor(kernel)
    w = tf.reshape(kernel, [-1, kernel.shape[-1]])
    gram = tf.matmul(w, w, transpose_a=True)
    off_diagonal = gram * (1.0 - tf.eye(tf.shape(gram)[0], dtype=gram.dtype))
    return _cast(beta, kernel.dtype) * tf.reduce_sum(tf.square(off_diagonal))
