"""The `<=` boundary of improved precision/recall: a sample exactly on a ball's
radius is inside (Kynkaanniemi et al. 2019, eq. 1: ||phi' - phi|| <= ||phi - NN_k(phi)||).

Integer coordinates make every distance exact in floating point, so a `<`
mutant of the comparison changes the result here (0.5 -> 0.0)."""

import numpy as np

from keras_gans.metrics import precision_recall as pr_lib

# 1-D features. With k=1 the real radii are 1 (0 -> 1), 1 (1 -> 0), 2 (3 -> 1).
REAL = np.array([[0.0], [1.0], [3.0]])
# -1 lies exactly on the ball of 0 (distance 1 = radius); 10 is far from every ball.
FAKE = np.array([[-1.0], [10.0]])


def test_a_generated_sample_on_the_radius_counts_for_precision():
    precision, _ = pr_lib.precision_recall_from_features(REAL, FAKE, k=1)
    assert precision == 0.5


def test_a_real_sample_on_the_radius_counts_for_recall():
    # Swapping the roles turns precision into recall: the same tie, now for recall.
    _, recall = pr_lib.precision_recall_from_features(FAKE, REAL, k=1)
    assert recall == 0.5


def test_just_outside_the_radius_does_not_count():
    precision, _ = pr_lib.precision_recall_from_features(REAL, FAKE - [[0.5]], k=1)
    assert precision == 0.0
