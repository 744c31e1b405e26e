"""Layers that condition a network on a class label.

* `ConditionalBatchNormalization`: batch normalization whose scale and shift
  are chosen by the class (Dumoulin et al. 2017, "A Learned Representation
  for Artistic Style", conditional instance norm; de Vries et al. 2017,
  "Modulating early visual processing by language", conditional batch norm).
  The generator of Miyato & Koyama 2018 conditions every BN layer this way.
* `ProjectionOutput`: the output layer of the projection discriminator
  (Miyato & Koyama 2018, "cGANs with Projection Discriminator", ICLR 2018,
  Eq. 3): f(x, y) = y^T V phi(x) + psi(phi(x)).

Labels are accepted as integers of shape [batch] (or [batch, 1]) or as float
class weights of shape [batch, num_classes] (one-hot, or soft labels, which
interpolate between classes).
"""

import keras
from keras import ops


def _class_weights_or_ids(labels, num_classes, dtype):
    """(True, float [B, K]) for float labels, (False, int [B]) for integer ones."""
    labels = ops.convert_to_tensor(labels)
    if "float" in str(labels.dtype):
        if labels.shape[-1] is not None and labels.shape[-1] != num_classes:
            raise ValueError(
                f"Float labels must be class weights of shape [batch, {num_classes}]; got "
                f"shape {tuple(labels.shape)}."
            )
        return True, ops.cast(labels, dtype)
    return False, ops.reshape(ops.cast(labels, "int32"), [-1])


def select_class_rows(table, labels, num_classes):
    """Rows of `table` [K, C] for `labels`: a gather for integers, a matmul for weights.

    Example:

    >>> table = np.arange(6.0).reshape(3, 2)
    >>> select_class_rows(table, np.array([2, 0]), 3).numpy()
    array([[4., 5.],
           [0., 1.]])
    """
    table = ops.convert_to_tensor(table)
    is_weights, labels = _class_weights_or_ids(labels, num_classes, table.dtype)
    if is_weights:
        return ops.matmul(labels, table)
    return ops.take(table, labels, axis=0)


@keras.saving.register_keras_serializable(package="keras_gans")
class ConditionalBatchNormalization(keras.layers.Layer):
    """Batch normalization with a per-class scale gamma(y) and shift beta(y).

        out = gamma[y] * (x - mean) / sqrt(var + epsilon) + beta[y]

    The normalization is a `keras.layers.BatchNormalization(center=False,
    scale=False, synchronized=True)`: batch statistics in training mode (over
    the GLOBAL batch under a `tf.distribute` strategy, so replicas stay in
    step), moving statistics in inference mode. gamma and beta are
    [num_classes, channels] tables (class embeddings) initialized to ones and
    zeros, so an untrained layer is plain batch normalization. Class weights
    (one-hot or soft) select `weights @ gamma`, `weights @ beta`.

    Args:
        num_classes: number of classes K.
        momentum, epsilon: of the moving statistics and the variance (the
            DCGAN builders' 0.9 and 1e-5).
        synchronized: synchronize batch statistics across replicas.
        gamma_initializer, beta_initializer: of the class tables.

    Call arguments:
        inputs: `[x, labels]`, x of shape [batch, ..., channels] and labels
            integers [batch] or class weights [batch, K].
        training: batch (True) or moving (False) statistics.

    Example:

    >>> cbn = ConditionalBatchNormalization(num_classes=3)
    >>> x = np.random.rand(4, 5, 5, 8).astype("float32")
    >>> cbn([x, np.array([0, 1, 2, 0])], training=True).shape
    TensorShape([4, 5, 5, 8])
    """

    def __init__(self, num_classes, momentum=0.9, epsilon=1e-5, synchronized=True,
                 gamma_initializer="ones", beta_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        if int(num_classes) < 1:
            raise ValueError(f"num_classes must be positive; got {num_classes}.")
        self.num_classes = int(num_classes)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.synchronized = bool(synchronized)
        self.gamma_initializer = keras.initializers.get(gamma_initializer)
        self.beta_initializer = keras.initializers.get(beta_initializer)
        self.batch_norm = keras.layers.BatchNormalization(
            momentum=self.momentum, epsilon=self.epsilon, center=False, scale=False,
            synchronized=self.synchronized, dtype=self.dtype_policy, name="batch_norm")

    def build(self, input_shape):
        x_shape = tuple(input_shape[0])
        channels = x_shape[-1]
        if channels is None:
            raise ValueError("ConditionalBatchNormalization needs a known channel axis.")
        self.batch_norm.build(x_shape)
        self.gamma = self.add_weight(shape=(self.num_classes, channels),
                                     initializer=self.gamma_initializer, name="gamma")
        self.beta = self.add_weight(shape=(self.num_classes, channels),
                                    initializer=self.beta_initializer, name="beta")

    def call(self, inputs, training=None):
        x, labels = inputs
        normalized = self.batch_norm(x, training=training)
        gamma = select_class_rows(self.gamma, labels, self.num_classes)
        beta = select_class_rows(self.beta, labels, self.num_classes)
        # [B, C] -> [B, 1, ..., 1, C] to broadcast over the spatial axes.
        shape = [-1] + [1] * (len(x.shape) - 2) + [gamma.shape[-1]]
        gamma = ops.cast(ops.reshape(gamma, shape), normalized.dtype)
        beta = ops.cast(ops.reshape(beta, shape), normalized.dtype)
        return normalized * gamma + beta

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def get_config(self):
        config = super().get_config()
        config.update({
            "num_classes": self.num_classes, "momentum": self.momentum,
            "epsilon": self.epsilon, "synchronized": self.synchronized,
            "gamma_initializer": keras.initializers.serialize(self.gamma_initializer),
            "beta_initializer": keras.initializers.serialize(self.beta_initializer),
        })
        return config


def projection(features, labels, embeddings):
    """The projection term y^T V phi(x): the inner product of phi(x) with V[y].

    Args:
        features: phi(x), [batch, F].
        labels: integers [batch] or class weights [batch, K].
        embeddings: V, [K, F].

    Returns:
        [batch, 1].

    Example:

    >>> V = np.array([[1.0, 0.0], [0.0, 2.0]])
    >>> projection(np.array([[3.0, 4.0]]), np.array([1]), V).numpy()
    array([[8.]])
    """
    embeddings = ops.convert_to_tensor(embeddings)
    rows = select_class_rows(embeddings, labels, int(embeddings.shape[0]))
    return ops.sum(rows * ops.cast(features, rows.dtype), axis=-1, keepdims=True)


@keras.saving.register_keras_serializable(package="keras_gans")
class ProjectionOutput(keras.layers.Layer):
    """The projection discriminator's output: f(x, y) = y^T V phi(x) + psi(phi(x)).

    Miyato & Koyama 2018, Eq. 3: with y one-hot, y^T V picks the class
    embedding V[y] (a row of V, [K, F]), and psi is a linear map of phi(x)
    to one logit (a `Dense(1)`). The logit is the log density ratio
    log q(y|x)/p(y|x) + log q(x)/p(x) of the paper's derivation.

    V is the kernel of a bias-free `Dense(F)` applied to one-hot labels,
    which is exactly an embedding lookup: `keras.layers.SpectralNormalization`
    then wraps it like any dense layer (wrapping a `keras.layers.Embedding`
    fails for integer labels: the wrapper casts its output to the input's
    dtype). The official code (`SNEmbedID`) spectrally normalizes V too; the
    largest singular value of V and of its transpose are the same.

    Args:
        num_classes: number of classes K.
        spectral_norm: wrap V and psi in `keras.layers.SpectralNormalization`.
        embeddings_initializer: of V.

    Call arguments:
        inputs: `[features, labels]`: phi(x) [batch, F] and labels (integers
            [batch] or class weights [batch, K]).
        training: passed to the spectral-norm wrappers (which renormalize
            the kernels in training mode).

    Example:

    >>> out = ProjectionOutput(num_classes=3)
    >>> out([np.random.rand(4, 16).astype("float32"), np.array([0, 1, 2, 0])]).shape
    TensorShape([4, 1])
    """

    def __init__(self, num_classes, spectral_norm=False, embeddings_initializer="glorot_uniform",
                 **kwargs):
        super().__init__(**kwargs)
        if int(num_classes) < 1:
            raise ValueError(f"num_classes must be positive; got {num_classes}.")
        self.num_classes = int(num_classes)
        self.spectral_norm = bool(spectral_norm)
        self.embeddings_initializer = keras.initializers.get(embeddings_initializer)

    def _wrap(self, layer):
        if not self.spectral_norm:
            return layer
        return keras.layers.SpectralNormalization(layer, dtype=self.dtype_policy,
                                                  name=layer.name + "_sn")

    def build(self, input_shape):
        features = int(input_shape[0][-1])
        self.embedding = self._wrap(keras.layers.Dense(
            features, use_bias=False, kernel_initializer=self.embeddings_initializer,
            dtype=self.dtype_policy, name="embedding"))
        self.psi = self._wrap(keras.layers.Dense(1, dtype=self.dtype_policy, name="psi"))
        self.embedding.build((None, self.num_classes))
        self.psi.build((None, features))

    @property
    def embeddings(self):
        """V, [num_classes, features] (the current, normalized kernel under SN)."""
        return self.embedding.kernel

    def call(self, inputs, training=None):
        features, labels = inputs
        is_weights, labels = _class_weights_or_ids(labels, self.num_classes, self.compute_dtype)
        weights = labels if is_weights else ops.one_hot(labels, self.num_classes,
                                                        dtype=self.compute_dtype)
        kwargs = {"training": training} if self.spectral_norm else {}
        class_embeddings = self.embedding(weights, **kwargs)  # V[y], [B, F]
        projected = ops.sum(class_embeddings * features, axis=-1, keepdims=True)
        return self.psi(features, **kwargs) + projected

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], 1)

    def get_config(self):
        config = super().get_config()
        config.update({
            "num_classes": self.num_classes, "spectral_norm": self.spectral_norm,
            "embeddings_initializer": keras.initializers.serialize(self.embeddings_initializer),
        })
        return config
