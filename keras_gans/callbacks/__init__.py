"""Callbacks for GAN training."""

from keras_gans.callbacks.checkpoint import GANCheckpoint, resume, save_checkpoint  # noqa: F401
from keras_gans.callbacks.nonfinite_guard import NonFiniteGuard, nonfinite_keys  # noqa: F401
from keras_gans.callbacks.sample_grid import SampleGrid  # noqa: F401
from keras_gans.callbacks.budget import TimeBudget  # noqa: F401,E402
from keras_gans.callbacks.metric_monitor import MetricMonitor  # noqa: F401,E402
from keras_gans.callbacks.tensorboard import TensorBoardGAN  # noqa: F401,E402
