"""FID against closed forms and an independent numpy computation."""

import numpy as np
import pytest

from keras_gans.metrics import fid as fid_lib


def random_spd(rng, d):
    a = rng.normal(size=(d, d))
    return a @ a.T / d + 0.5 * np.eye(d)


def reference_fid(x, y, eps=0.0):
    """FID written without scipy.linalg.sqrtm: the trace of sqrt(S1 S2) is the
    sum of the square roots of the eigenvalues of S1 S2 (real and >= 0 for
    symmetric PSD S1, S2, since S1 S2 is similar to S1^1/2 S2 S1^1/2)."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    mx, my = x.sum(0) / len(x), y.sum(0) / len(y)
    sx = (x - mx).T @ (x - mx) / (len(x) - 1) + eps * np.eye(x.shape[1])
    sy = (y - my).T @ (y - my) / (len(y) - 1) + eps * np.eye(y.shape[1])
    eig = np.linalg.eigvals(sx @ sy).real.clip(min=0)
    # The offset must not change the two plain traces (TTUR adds it only
    # inside the square root), hence the eps corrections.
    tr = np.trace(sx) + np.trace(sy) - 2 * eps * x.shape[1]
    return float(np.sum((mx - my) ** 2) + tr - 2 * np.sqrt(eig).sum())


def symmetric_closed_form(mu1, s1, mu2, s2):
    """||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1^1/2 S2 S1^1/2)^1/2) via eigh."""
    w, v = np.linalg.eigh(s1)
    root1 = v @ np.diag(np.sqrt(w)) @ v.T
    inner = np.linalg.eigvalsh(root1 @ s2 @ root1).clip(min=0)
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * np.sqrt(inner).sum())


def test_fid_of_a_set_with_itself_is_zero(rng):
    x = rng.normal(size=(500, 16)) * rng.uniform(0.5, 3, size=16)
    assert abs(fid_lib.fid_from_features(x, x)) < 1e-9 * np.trace(np.cov(x, rowvar=False))


def test_frechet_distance_matches_closed_form_on_true_parameters(rng):
    d = 6
    mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
    s1, s2 = random_spd(rng, d), random_spd(rng, d)
    expected = symmetric_closed_form(mu1, s1, mu2, s2)
    assert fid_lib.frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-9)
    # Diagonal covariances: sum (mu1 - mu2)^2 + (sqrt(a) - sqrt(b))^2.
    a, b = rng.uniform(0.1, 4, d), rng.uniform(0.1, 4, d)
    diag = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    assert fid_lib.frechet_distance(mu1, np.diag(a), mu2, np.diag(b)) == pytest.approx(diag)


def test_sample_fid_of_two_gaussians_is_near_the_true_distance():
    rng = np.random.default_rng(123)
    d, n = 4, 20_000
    mu1 = rng.normal(size=d)
    mu2 = mu1 + 0.5
    s1, s2 = random_spd(rng, d), random_spd(rng, d)
    true = symmetric_closed_form(mu1, s1, mu2, s2)
    x = rng.multivariate_normal(mu1, s1, size=n)
    y = rng.multivariate_normal(mu2, s2, size=n)
    # The estimate's noise is dominated by the mean term ||xbar - ybar||^2,
    # whose delta-method standard error is 2 sqrt(diff^T (S1 + S2) diff / n)
    # (~0.02 here; 30 seeds measured 0.024). Six of those keeps false failures
    # negligible while a wrong formula (e.g. a missing factor 2 on the trace
    # term, an error of ~4) fails at once.
    diff = mu1 - mu2
    se = 2 * np.sqrt(diff @ (s1 + s2) @ diff / n)
    assert abs(fid_lib.fid_from_features(x, y) - true) < 6 * se


def test_fid_is_symmetric(rng):
    x = rng.normal(size=(300, 10))
    y = rng.normal(size=(400, 10)) * 1.5 + 0.3
    forward, backward = fid_lib.fid_from_features(x, y), fid_lib.fid_from_features(y, x)
    assert forward == pytest.approx(backward, rel=1e-10)


def test_fid_matches_an_independent_numpy_computation(rng):
    x = rng.normal(size=(200, 12)) @ rng.normal(size=(12, 12))
    y = rng.gamma(2.0, size=(150, 12))
    assert fid_lib.fid_from_features(x, y) == pytest.approx(reference_fid(x, y), rel=1e-8)


def test_singular_covariances_still_give_the_reference_value(rng):
    # Fewer samples than dimensions: both covariances are singular, yet
    # sqrtm of the product is accurate, so (as in TTUR) no offset is added.
    x, y = rng.normal(size=(10, 32)), rng.normal(size=(12, 32)) + 0.2
    assert fid_lib.fid_from_features(x, y) == pytest.approx(reference_fid(x, y), rel=1e-6)


def test_failed_square_root_is_retried_with_the_eps_offset(rng, monkeypatch):
    x, y = rng.normal(size=(50, 6)), rng.normal(size=(40, 6)) + 0.2
    real_sqrtm = fid_lib.scipy.linalg.sqrtm
    calls = []

    def failing_first(a):
        calls.append(a)
        return np.full_like(a, np.nan) if len(calls) == 1 else real_sqrtm(a)

    monkeypatch.setattr(fid_lib.scipy.linalg, "sqrtm", failing_first)
    eps = 1e-2  # large enough for the offset to show in the value
    mu1, s1 = fid_lib.feature_statistics(x)
    mu2, s2 = fid_lib.feature_statistics(y)
    value = fid_lib.frechet_distance(mu1, s1, mu2, s2, eps=eps)
    assert len(calls) == 2
    np.testing.assert_allclose(calls[1], (s1 + eps * np.eye(6)) @ (s2 + eps * np.eye(6)))
    assert value == pytest.approx(reference_fid(x, y, eps=eps), rel=1e-9)


def test_large_imaginary_part_raises():
    # A "covariance" with a negative eigenvalue: sqrtm is genuinely complex.
    with pytest.raises(ValueError, match="imaginary component"):
        fid_lib.frechet_distance(np.zeros(2), np.diag([1.0, -1.0]), np.zeros(2), np.eye(2))


def test_feature_statistics_use_float64_and_the_unbiased_covariance():
    x = np.array([[0, 0], [2, 2], [4, 0]], np.float32)
    mu, sigma = fid_lib.feature_statistics(x)
    assert mu.dtype == np.float64 and sigma.dtype == np.float64
    np.testing.assert_allclose(sigma, [[4.0, 0.0], [0.0, 4.0 / 3.0]])


@pytest.mark.parametrize("real, fake, match", [
    (np.zeros((10, 4, 4)), np.zeros((10, 4)), r"real_features must have shape \(num_samples"),
    (np.zeros((10, 4)), np.zeros((10, 5)), "feature_dim 4 but fake_features has 5"),
    (np.zeros((1, 4)), np.zeros((10, 4)), "needs at least 2"),
    (np.full((10, 4), np.nan), np.zeros((10, 4)), "non-finite"),
])
def test_invalid_inputs_raise_value_error_naming_the_fix(real, fake, match):
    with pytest.raises(ValueError, match=match):
        fid_lib.fid_from_features(real, fake)


def test_frechet_distance_checks_shapes():
    with pytest.raises(ValueError, match="sigma1 must have shape"):
        fid_lib.frechet_distance(np.zeros(3), np.eye(2), np.zeros(3), np.eye(3))
    with pytest.raises(ValueError, match="mu1 has dimension 3 but mu2 has 2"):
        fid_lib.frechet_distance(np.zeros(3), np.eye(3), np.zeros(2), np.eye(2))


def test_intra_class_fid_is_the_mean_of_per_class_fids(rng):
    x, y = rng.normal(size=(300, 5)), rng.normal(size=(240, 5)) + 0.3
    lx, ly = np.arange(300) % 3, np.arange(240) % 3
    mean, per_class = fid_lib.intra_class_fid(x, lx, y, ly)
    expected = [reference_fid(x[lx == c], y[ly == c]) for c in range(3)]
    np.testing.assert_allclose([per_class[c] for c in range(3)], expected, rtol=1e-8)
    assert mean == pytest.approx(np.mean(expected))
    with pytest.raises(ValueError, match="class 2 has 100 real and 0 generated"):
        fid_lib.intra_class_fid(x, lx, y, np.where(ly == 2, 0, ly))


def test_fid_from_images_streams_batches(rng):
    real = rng.uniform(-1, 1, size=(64, 3, 3, 1)).astype(np.float32)
    fake = np.clip(real + 0.3, -1, 1)
    flat = lambda b: b.reshape(len(b), -1)  # noqa: E731
    batches = (fake[i:i + 10] for i in range(0, 64, 10))
    streamed = fid_lib.fid_from_images(flat, real, batches, batch_size=7)
    assert streamed == pytest.approx(fid_lib.fid_from_features(flat(real), flat(fake)), rel=1e-9)
