"""Estimators against closed forms, bounds, limits and independent implementations.

Covers ipflow_lib.estimators (kde, knn, noisy, sweeps, gaussian, pairwise) and ipflow_lib.datasets.ground_truth.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate
from scipy.spatial.distance import cdist
from scipy.special import logsumexp
from scipy.stats import norm

from ipflow_lib.datasets import ground_truth as gt
from ipflow_lib.estimators import (
    binned_mi,
    binned_mi_max_abs,
    binned_mi_sweep,
    binned_pair_mi,
    binning_estimators,
    gaussian_bhattacharyya,
    gaussian_entropy,
    gaussian_kl,
    gaussian_kl_full,
    kde_bounds,
    kde_estimators,
    kde_mi,
    ksg_mi,
    mixture_information,
    noisy_mi,
    noisy_mi_estimate,
    pairwise_cross_bounds,
    pairwise_entropy_terms,
    pairwise_mi,
    plugin_mi,
)

LOG2 = np.log(2.0)


def reference_kde(h, y, variance, factor):
    """Direct float64 KDE estimate, term by term from the dense kernel matrix, in bits: an independent
    implementation (no blocks, no float32, no symmetry, no per-class sums)."""
    kernel = np.exp(-cdist(h, h, "sqeuclidean") / (factor * variance))
    same = y[:, None] == y[None, :]
    h_t = -np.mean(np.log(kernel.mean(axis=1)))
    h_t_given_y = -np.mean(np.log((kernel * same).sum(axis=1) / same.sum(axis=1)))
    return h_t / LOG2, (h_t - h_t_given_y) / LOG2


# ------------------------------------------------------------------------------------------------ KSG


@pytest.mark.parametrize("rho", [0.6, 0.9])
def test_ksg_within_5_percent_of_2d_gaussian(rho):
    sample = gt.correlated_gaussians(5000, 1, rho, seed=1)
    est = ksg_mi(sample.x, sample.z, k=3)
    assert abs(est - sample.mi) < 0.05 * sample.mi


def test_ksg_multivariate_gaussian_and_independence():
    sample = gt.correlated_gaussians(4000, 2, 0.8, seed=2)  # 2 + 2 dims, truth 1.47 bits
    assert abs(ksg_mi(sample.x, sample.z) - sample.mi) < 0.05 * sample.mi
    rng = np.random.default_rng(3)
    assert abs(ksg_mi(rng.standard_normal((3000, 2)), rng.standard_normal((3000, 3)))) < 0.03


def test_ksg_matches_scikit_learn_in_1d():
    from sklearn.feature_selection import mutual_info_regression

    for seed, rho in [(0, 0.3), (1, 0.7), (2, 0.95)]:
        s = gt.correlated_gaussians(2000, 1, rho, seed=seed)
        ours = ksg_mi(s.x, s.z[:, 0], k=3, base=np.e)
        theirs = mutual_info_regression(s.x, s.z[:, 0], n_neighbors=3, random_state=0)[0]
        assert ours == pytest.approx(theirs, abs=1e-6)


def test_ksg_is_symmetric_and_permutation_invariant():
    s = gt.correlated_gaussians(1500, 2, 0.7, seed=4)
    perm = np.random.default_rng(0).permutation(1500)
    a = ksg_mi(s.x, s.z)
    assert ksg_mi(s.z, s.x) == pytest.approx(a, abs=1e-12)
    assert ksg_mi(s.x[perm], s.z[perm]) == pytest.approx(a, abs=1e-12)
    # standardising makes it invariant to rescaling one variable
    assert ksg_mi(100.0 * s.x, s.z) == pytest.approx(a, abs=1e-9)


def test_ksg_rejects_bad_input():
    x = np.zeros((10, 1))
    with pytest.raises(ValueError, match="same number of samples"):
        ksg_mi(x, np.zeros(9))
    with pytest.raises(ValueError, match="NaN"):
        ksg_mi(np.full(10, np.nan), np.arange(10.0))
    with pytest.raises(ValueError, match="k must be"):
        ksg_mi(np.arange(5.0), np.arange(5.0), k=5)
    with pytest.raises(TypeError):
        ksg_mi(np.array(["a"] * 5), np.arange(5.0))


# ------------------------------------------------------------------------------------------------ KDE


def test_kde_matches_direct_float64_computation():
    rng = np.random.default_rng(0)
    for n, d, var, spread in [(400, 3, 1e-3, 0.2), (600, 10, 1e-3, 1.0), (300, 2, 0.1, 1.0), (300, 4, 1e-3, 20.0)]:
        h = np.tanh(rng.normal(size=(n, d)) * spread) * (spread if spread > 10 else 1.0)
        y = rng.integers(0, 3, n)
        for bound, factor in [("upper", 2.0), ("lower", 8.0)]:
            ours = kde_mi(h, y, var, bound)
            ref = reference_kde(h, y, var, factor)
            np.testing.assert_allclose(ours, ref, atol=2e-5)


def test_kde_upper_at_least_lower_and_both_at_once():
    rng = np.random.default_rng(1)
    t = np.tanh(rng.normal(size=(3, 2, 500, 4)))
    y = rng.integers(0, 2, 500)
    for var in (1e-4, 1e-2, 1.0):
        b = kde_bounds(t, y, var)
        assert b.i_xt_upper.shape == (3, 2)
        assert np.all(b.i_xt_upper >= b.i_xt_lower - 1e-9)
        np.testing.assert_allclose(b.i_xt_upper, kde_mi(t, y, var, "upper")[0], atol=1e-9)
        np.testing.assert_allclose(b.i_ty_lower, kde_mi(t, y, var, "lower")[1], atol=1e-9)


def test_kde_limits_log_n_and_zero():
    n = 64
    y = np.arange(n) % 2
    t = np.random.default_rng(2).normal(size=(n, 3))
    # shrinking noise: I(X;T) -> log2 n, I(T;Y) -> H(Y) = 1 bit
    i_xt, i_ty = kde_mi(t, y, 1e-8)
    assert i_xt == pytest.approx(np.log2(n), abs=1e-9) and i_ty == pytest.approx(1.0, abs=1e-9)
    # growing noise: -> 0
    assert kde_mi(t, y, 1e6, "upper")[0] < 1e-5
    # identical points carry no information at any noise level
    same = np.ones((n, 3))
    for bound in ("upper", "lower"):
        assert kde_mi(same, y, 1e-6, bound) == (pytest.approx(0.0, abs=1e-12), pytest.approx(0.0, abs=1e-12))
    # monotone in the noise
    curve = [kde_mi(t, y, v)[0] for v in np.logspace(-4, 2, 7)]
    assert np.all(np.diff(curve) <= 1e-12)


def test_kde_brackets_the_exact_noisy_information():
    rng = np.random.default_rng(3)
    centres = np.sort(rng.uniform(-1, 1, 40))
    labels = (centres > 0.1).astype(int)
    for var in (1e-4, 1e-2, 0.3):
        truth_xt, _ = gt.gaussian_mixture_mi(centres, var, labels)
        b = kde_bounds(centres[:, None], labels, var)
        assert b.i_xt_lower - 1e-6 <= truth_xt <= b.i_xt_upper + 1e-6


def test_kde_leading_dims_translation_and_batches_agree():
    rng = np.random.default_rng(4)
    t = rng.normal(size=(4, 300, 5)).astype(np.float32)
    y = rng.integers(0, 3, 300)
    stacked = kde_mi(t, y, 0.05)
    single = np.array([kde_mi(t[i], y, 0.05) for i in range(4)]).T
    np.testing.assert_allclose(stacked, single, atol=1e-9)
    np.testing.assert_allclose(kde_mi(t + 7.0, y, 0.05), stacked, atol=1e-5)
    np.testing.assert_allclose(kde_mi(t, y, 0.05, n_jobs=1), kde_mi(t, y, 0.05, n_jobs=2), atol=1e-12)


def test_kde_estimator_pair_shares_one_computation(monkeypatch):
    from ipflow_lib.estimators import kde as kde_module

    calls = []
    real = kde_module.kde_bounds
    monkeypatch.setattr(kde_module, "kde_bounds", lambda *a, **k: calls.append(1) or real(*a, **k))
    ests = kde_estimators(1e-3)
    rng = np.random.default_rng(5)
    layers = [rng.normal(size=(2, 200, w)) for w in (4, 3)]
    y = rng.integers(0, 2, 200)
    up = [ests["kde_upper"](t, y) for t in layers]  # a trainer calls one estimator over all layers,
    lo = [ests["kde_lower"](t, y) for t in layers]  # then the next one
    assert len(calls) == 2
    for t, u, low in zip(layers, up, lo, strict=True):
        np.testing.assert_allclose(u, kde_mi(t, y, 1e-3, "upper"), atol=1e-12)
        np.testing.assert_allclose(low, kde_mi(t, y, 1e-3, "lower"), atol=1e-12)


@pytest.mark.parametrize("estimator", [kde_mi, noisy_mi])
def test_noisy_estimators_reject_bad_input(estimator):
    t = np.zeros((10, 2))
    y = np.zeros(10, dtype=int)
    with pytest.raises(ValueError, match="NaN"):
        estimator(np.full((10, 2), np.nan), y, 1e-3)
    with pytest.raises(ValueError, match="labels"):
        estimator(t, np.zeros(9, dtype=int), 1e-3)
    for bad in (0.0, -1.0, np.inf):
        with pytest.raises(ValueError, match="noise_variance"):
            estimator(t, y, bad)
    with pytest.raises(TypeError, match="noise_variance"):
        estimator(t, y, "big")
    with pytest.raises(TypeError, match="integer"):
        estimator(t, np.full(10, 0.5), 1e-3)


def test_kde_rejects_unknown_bound():
    with pytest.raises(ValueError, match="bound"):
        kde_mi(np.zeros((4, 1)), np.zeros(4, dtype=int), 1e-3, bound="middle")


# ---------------------------------------------------------------------------------------- noisy (MC)


def test_noisy_monte_carlo_agrees_with_quadrature():
    centres = np.array([0.0, 0.05, 0.1, 0.5, 0.52, 1.0])
    labels = np.array([0, 0, 1, 1, 0, 1])
    for var in (1e-3, 1e-2, 0.1):
        truth_xt, truth_ty = gt.gaussian_mixture_mi(centres, var, labels)
        est = noisy_mi_estimate(centres[:, None], labels, var, n_draws=3000, seed=0)
        assert abs(est.i_xt - truth_xt) < 4 * est.i_xt_stderr + 1e-3
        assert abs(est.i_ty - truth_ty) < 4 * est.i_ty_stderr + 1e-3
        assert 0 < est.i_xt_stderr < 0.02


def test_noisy_grid_ground_truth_in_several_dimensions():
    task = gt.noisy_grid(levels=(0.0, 0.1, 0.3), dim=3, noise_variance=4e-3)
    est = noisy_mi_estimate(task.centres, task.labels, task.noise_variance, n_draws=40, seed=1)
    assert abs(est.i_xt - task.i_xt) < 4 * est.i_xt_stderr
    assert abs(est.i_ty - task.i_ty) < 4 * est.i_ty_stderr
    b = kde_bounds(task.centres, task.labels, task.noise_variance)
    assert b.i_xt_lower <= task.i_xt <= b.i_xt_upper


def test_noisy_is_seeded_and_independent_of_threads():
    rng = np.random.default_rng(6)
    t = rng.normal(size=(3, 200, 4))
    y = rng.integers(0, 2, 200)
    a = noisy_mi_estimate(t, y, 0.1, seed=7, n_jobs=1)
    b = noisy_mi_estimate(t, y, 0.1, seed=7, n_jobs=2)
    np.testing.assert_array_equal(a.i_xt, b.i_xt)
    assert not np.array_equal(a.i_xt, noisy_mi_estimate(t, y, 0.1, seed=8).i_xt)
    # well separated and identical points: the limits
    far = np.arange(16.0)[:, None] * 10
    assert noisy_mi(far, np.arange(16) % 2, 1e-3)[0] == pytest.approx(4.0, abs=1e-9)
    assert noisy_mi(np.zeros((16, 2)), np.arange(16) % 2, 1e-3)[0] == pytest.approx(0.0, abs=1e-6)


# -------------------------------------------------------------------------------------------- binning


def test_max_abs_range_matches_fixed_edges_of_that_range():
    rng = np.random.default_rng(0)
    t = rng.normal(size=(1000, 4)) * 3
    y = rng.integers(0, 2, 1000)
    m = np.abs(t).max()
    ours = binned_mi_max_abs(t, y, 20)
    fixed = binned_mi(t, y, 20, (-m, m * (1 + 1e-9)))
    np.testing.assert_allclose(ours, fixed, atol=1e-12)
    # a non-negative (ReLU) layer gets [0, max]
    relu = np.maximum(t, 0)
    np.testing.assert_allclose(
        binned_mi_max_abs(relu, y, 20), binned_mi(relu, y, 20, (0.0, relu.max() * (1 + 1e-9))), atol=1e-12
    )


def test_fixed_range_clips_relu_but_max_abs_does_not():
    rng = np.random.default_rng(1)
    relu = np.maximum(rng.normal(size=(2000, 3)) * 20, 0)  # activations far beyond 1
    y = rng.integers(0, 2, 2000)
    clipped, _ = binned_mi(relu, y, 30)  # almost everything in the outer cell
    adaptive, _ = binned_mi_max_abs(relu, y, 30)
    assert adaptive > clipped + 2.0
    # the adaptive estimate is invariant to the scale of the layer
    assert binned_mi_max_abs(relu * 0.01, y, 30)[0] == pytest.approx(adaptive, abs=1e-12)


def test_sweep_and_estimator_dict_agree_with_single_calls():
    rng = np.random.default_rng(2)
    t = np.tanh(rng.normal(size=(3, 500, 4)))
    y = rng.integers(0, 2, 500)
    i_xt, i_ty = binned_mi_sweep(t, y, (5, 10, 30))
    assert i_xt.shape == (3, 3)
    for k, b in enumerate((5, 10, 30)):
        np.testing.assert_allclose(i_xt[k], binned_mi(t, y, b)[0])
        np.testing.assert_allclose(i_ty[k], binned_mi(t, y, b)[1])
    ests = binning_estimators((5, 30), "max_abs")
    np.testing.assert_allclose(ests["bins30"](t, y)[0], binned_mi_max_abs(t, y, 30)[0])
    assert np.all(np.diff(i_xt, axis=0) >= -1e-12)  # finer bins never lose information here
    sizes = binned_mi_sweep(t, y, bin_sizes=(0.5, 0.07))[0]
    np.testing.assert_allclose(sizes[1], binned_mi(t, y, bin_size=0.07)[0])


def test_plugin_mi_closed_form_and_miller_madow_bias():
    p = np.array([[0.3, 0.1], [0.05, 0.25], [0.2, 0.1]])
    s = gt.sample_discrete(p, 200_000, seed=0)
    assert plugin_mi(s.x, s.z) == pytest.approx(s.mi, abs=5e-3)
    # independent 6 x 4 table: the plug-in estimate is all bias, (6−1)(4−1) / (2 n ln 2) on average
    q = np.outer(np.full(6, 1 / 6), np.full(4, 1 / 4))
    n = 400
    samples = [gt.sample_discrete(q, n, seed=k) for k in range(200)]
    mean = np.mean([plugin_mi(s.x, s.z) for s in samples])
    assert mean == pytest.approx(15 / (2 * n * LOG2), rel=0.2)
    with pytest.raises(TypeError):
        plugin_mi(np.zeros(3), np.zeros(3, dtype=int))
    with pytest.raises(ValueError, match="same number"):
        plugin_mi(np.zeros(3, dtype=int), np.zeros(4, dtype=int))


def test_binned_pair_mi_is_consistent_in_low_dimension():
    s = gt.correlated_gaussians(200_000, 1, 0.9, seed=3)
    est = binned_pair_mi(s.x, s.z, 30)
    assert abs(est - s.mi) < 0.1  # discretisation loses a little, the sample adds a little
    assert binned_pair_mi(s.x[:50], s.z[:50], 30) <= np.log2(50) + 1e-12


# --------------------------------------------------------------------------------------- ground truth


def test_ground_truth_closed_forms():
    import dit

    assert gt.gaussian_mi([[1.0, 0.6], [0.6, 1.0]], 1) == pytest.approx(-0.5 * np.log2(1 - 0.36))
    cov = np.eye(4) + 0.7 * np.eye(4, k=2) + 0.7 * np.eye(4, k=-2)
    assert gt.gaussian_mi(cov, 2) == pytest.approx(gt.correlated_gaussians(5, 2, 0.7).mi)
    p = np.array([[0.3, 0.1], [0.05, 0.25], [0.2, 0.1]])
    d = dit.Distribution([f"{i}{j}" for i in range(3) for j in range(2)], p.ravel())
    assert gt.discrete_mi(p) == pytest.approx(dit.shannon.mutual_information(d, [0], [1]), abs=1e-12)
    assert gt.deterministic_ceiling(4096) == 12.0
    assert gt.TWELVE_BIT_CEILING["i_ty"] == pytest.approx(0.99916, abs=5e-6)
    with pytest.raises(ValueError, match="sum to 1"):
        gt.discrete_mi([[0.5, 0.6]])
    with pytest.raises(ValueError, match="positive definite"):
        gt.gaussian_mi([[1.0, 2.0], [2.0, 1.0]], 1)


def test_gaussian_mixture_truth_limits():
    centres = np.arange(8.0)
    assert gt.gaussian_mixture_mi(centres, 1e-4, centres % 2)[0] == pytest.approx(3.0, abs=1e-9)
    assert gt.gaussian_mixture_mi(centres, 1e-4, centres % 2)[1] == pytest.approx(1.0, abs=1e-9)
    assert gt.gaussian_mixture_mi(np.zeros(5), 0.1)[0] == pytest.approx(0.0, abs=1e-9)
    # two centres at distance δ: a binary-input Gaussian channel, bounded by 1 bit and increasing in δ
    vals = [gt.gaussian_mixture_mi([0.0, dlt], 1.0)[0] for dlt in (0.5, 1.0, 2.0, 4.0)]
    assert np.all(np.diff(vals) > 0) and vals[-1] < 1.0


def test_noisy_subsampled_inputs_and_estimator_pair():
    from ipflow_lib.estimators import noisy_estimators

    centres = np.linspace(0, 1, 64)
    labels = (centres > 0.5).astype(int)
    truth_xt, _ = gt.gaussian_mixture_mi(centres, 1e-3, labels)
    sub = noisy_mi_estimate(centres[:, None], labels, 1e-3, n_draws=50, n_inputs=16, seed=2)
    assert abs(sub.i_xt - truth_xt) < 4 * sub.i_xt_stderr
    ests = noisy_estimators(1e-3, n_draws=5, seed=3)
    t = np.stack([centres, centres[::-1]])[..., None]
    full = noisy_mi_estimate(t, labels, 1e-3, n_draws=5, seed=3)
    np.testing.assert_allclose(ests["noisy"](t, labels)[0], full.i_xt)
    np.testing.assert_allclose(ests["noisy_stderr"](t, labels)[1], full.i_ty_stderr)
    with pytest.raises(ValueError, match="n_inputs"):
        noisy_mi_estimate(t, labels, 1e-3, n_inputs=1)


# --------------------------------------------------------------------------------------------------
# Exact Gaussian formulas on hand-made Gaussians
# --------------------------------------------------------------------------------------------------


def test_gaussian_kl_closed_form_1d():
    # KL(N(0,1) || N(1,2)) = ½ (1/2 + 1/2 − 1 + ln 2) = ½ ln 2 nats = ½ bit.
    kl = gaussian_kl(np.zeros((1, 1)), np.ones(1), np.ones((1, 1)), 2 * np.ones(1), base=math.e)
    assert kl == pytest.approx([0.5 * LOG2], abs=1e-14)
    assert gaussian_kl(np.zeros((1, 1)), np.ones(1), np.ones((1, 1)), 2 * np.ones(1)) == pytest.approx([0.5])


def test_gaussian_kl_against_quadrature_and_isotropic_sum():
    mp, sp, mq, sq = 0.3, 0.7, -1.1, 1.9
    p, q = norm(mp, math.sqrt(sp)), norm(mq, math.sqrt(sq))
    exact = integrate.quad(lambda z: p.pdf(z) * (p.logpdf(z) - q.logpdf(z)), -30, 30)[0]
    kl = gaussian_kl([[mp]], [sp], [[mq]], [sq], base=math.e)
    assert kl == pytest.approx([exact], rel=1e-9)
    # k i.i.d. outputs sharing a variance: k times the one-output divergence when all means agree.
    k3 = gaussian_kl([[mp] * 3], [sp], [[mq] * 3], [sq], base=math.e)
    assert k3 == pytest.approx([3 * exact], rel=1e-9)


def test_bhattacharyya_against_quadrature():
    mp, sp, mq, sq = 0.5, 0.4, -0.2, 2.5
    p, q = norm(mp, math.sqrt(sp)), norm(mq, math.sqrt(sq))
    exact = -math.log(integrate.quad(lambda z: math.sqrt(p.pdf(z) * q.pdf(z)), -30, 30)[0])
    assert gaussian_bhattacharyya([[mp]], [sp], [[mq]], [sq], base=math.e) == pytest.approx([exact], rel=1e-9)
    # D_B ≤ KL/2 (Rényi order ½ below order 1): what makes the pairwise lower bound ≤ upper bound.
    assert gaussian_bhattacharyya([[mp]], [sp], [[mq]], [sq]) <= 0.5 * gaussian_kl([[mp]], [sp], [[mq]], [sq])


def test_gaussian_entropy_matches_scipy():
    var = np.array([0.01, 1.0, 7.5])
    assert gaussian_entropy(var, base=math.e) == pytest.approx(norm(0, np.sqrt(var)).entropy(), rel=1e-12)
    assert gaussian_entropy(var, k=4) == pytest.approx(4 * norm(0, np.sqrt(var)).entropy() / LOG2)
    assert gaussian_entropy(np.array([[1.0, 2.0]]), k=None) == pytest.approx(gaussian_entropy([1.0, 2.0]).sum())


def test_full_covariance_kl_reduces_to_diagonal_and_is_zero_on_itself():
    rng = np.random.default_rng(0)
    n, k = 5, 2
    mp, mq = rng.normal(size=(n, k)), rng.normal(size=(n, k))
    sp, sq = rng.uniform(0.5, 2, n), rng.uniform(0.5, 2, n)
    full = gaussian_kl_full(mp, np.diag(sp), mq, np.diag(sq))
    assert full == pytest.approx(gaussian_kl(mp, sp, mq, sq).sum(), rel=1e-12)
    a = rng.normal(size=(n, n))
    cov = a @ a.T + n * np.eye(n)
    assert gaussian_kl_full(mp, cov, mp, cov) == pytest.approx(0.0, abs=1e-12)
    # Against the textbook formula with explicit inverses and determinants.
    b = rng.normal(size=(n, n))
    cov_q = b @ b.T + np.eye(n)
    inv = np.linalg.inv(cov_q)
    d = mq - mp
    textbook = 0.5 * (
        k * np.trace(inv @ cov) + np.einsum("id,ij,jd->", d, inv, d) - k * n
        + k * (np.linalg.slogdet(cov_q)[1] - np.linalg.slogdet(cov)[1])
    )
    assert gaussian_kl_full(mp, cov, mq, cov_q, base=math.e) == pytest.approx(textbook, rel=1e-10)
    with pytest.raises(ValueError, match="positive definite"):
        gaussian_kl_full(mp, -np.eye(n), mq, cov)


# --------------------------------------------------------------------------------------------------
# Information of Gaussian mixtures
# --------------------------------------------------------------------------------------------------


def _mixture_entropy_1d(mu, s, idx):
    comps = [norm(mu[i], math.sqrt(s[i])) for i in idx]

    def integrand(z):
        p = np.mean([c.pdf(z) for c in comps])
        return -p * math.log(p) if p > 0 else 0.0

    return integrate.quad(integrand, -40, 40, limit=400, points=sorted(mu[list(idx)]))[0]


def test_mixture_bounds_bracket_the_exact_information_1d():
    rng = np.random.default_rng(1)
    n = 10
    mu = rng.normal(size=n) * 2
    s = rng.uniform(0.2, 1.5, size=n)
    y = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 0])
    h_zx = np.mean(0.5 * np.log(2 * np.pi * np.e * s))
    h_z = _mixture_entropy_1d(mu, s, range(n))
    i_xz = h_z - h_zx
    i_zy = h_z - sum(np.mean(y == c) * _mixture_entropy_1d(mu, s, np.flatnonzero(y == c)) for c in range(3))
    mi = mixture_information(mu[:, None], s, y, n_samples=3000, seed=0, base=math.e)
    assert mi.i_xz_lower <= i_xz <= mi.i_xz_upper
    assert mi.i_zy_lower <= i_zy <= mi.i_zy_upper
    assert mi.h_z_given_x == pytest.approx(h_zx, rel=1e-12)
    # InfoNCE with the whole set as batch is unbiased here; LOO is an upper bound in expectation.
    assert mi.i_xz_nce == pytest.approx(i_xz, abs=0.02)
    assert mi.i_zy_mc == pytest.approx(i_zy, abs=0.02)
    assert mi.i_xz_loo >= i_xz - 0.02


def test_equal_variance_bounds_are_the_kde_formulas():
    # Kolchinsky & Tracey with one shared σ²: KL_ij = D_ij/(2σ²), Bhattacharyya = D_ij/(8σ²).
    rng = np.random.default_rng(2)
    n, k, s2 = 30, 3, 0.3
    h = rng.normal(size=(n, k))
    d = ((h[:, None] - h[None]) ** 2).sum(-1)
    upper = -np.mean(logsumexp(-d / (2 * s2), axis=1) - np.log(n))
    lower = -np.mean(logsumexp(-d / (8 * s2), axis=1) - np.log(n))
    mi = mixture_information(h, np.full(n, s2), base=math.e)
    assert mi.i_xz_upper == pytest.approx(upper, rel=1e-10)
    assert mi.i_xz_lower == pytest.approx(lower, rel=1e-10)
    assert np.isnan(mi.i_zy_mc) and np.isnan(mi.i_zy_upper)


def test_limits_identical_and_separated_components():
    same = mixture_information(np.zeros((8, 2)), np.ones(8), np.arange(8) % 2)
    for field in ("i_xz_lower", "i_xz_upper", "i_zy_lower", "i_zy_upper"):
        assert getattr(same, field) == pytest.approx(0.0, abs=1e-12)
    assert same.i_xz_nce == pytest.approx(0.0, abs=1e-12)
    far = mixture_information(1e4 * np.arange(8.0)[:, None], np.ones(8), np.arange(8) // 4, n_samples=2)
    for field in ("i_xz_lower", "i_xz_upper", "i_xz_nce"):
        assert getattr(far, field) == pytest.approx(3.0, abs=1e-9)  # log2 8 bits
    assert far.i_xz_loo > 1e6  # valid but vacuous: leave-one-out has no other component near z_i
    for field in ("i_zy_lower", "i_zy_upper", "i_zy_mc"):
        assert getattr(far, field) == pytest.approx(1.0, abs=1e-9)  # H(Y) = 1 bit


def test_lower_bounds_never_exceed_upper_bounds():
    rng = np.random.default_rng(3)
    for _ in range(25):
        n, k = int(rng.choice([5, 17])), int(rng.choice([1, 3]))  # few shapes: few compilations
        scale = 10.0 ** rng.uniform(-3, 2)
        mean = rng.normal(size=(3, n, k)) * scale * rng.uniform(0.1, 5)
        var = scale**2 * 10.0 ** rng.uniform(-2, 1, size=(3, n, k) if rng.random() < 0.5 else (3, n))
        y = rng.integers(0, rng.integers(1, 4), size=n)
        mi = mixture_information(mean, var, y, seed=int(rng.integers(100)))
        assert mi.i_xz_lower.shape == (3,)
        assert np.all(mi.i_xz_lower >= -1e-12)
        assert np.all(mi.i_xz_lower <= mi.i_xz_upper + 1e-9)
        assert np.all(mi.i_xz_upper <= np.log2(n) + 1e-9)
        assert np.all(mi.i_zy_lower <= mi.i_zy_upper + 1e-9)
        assert np.all(mi.i_zy_upper <= mi.i_xz_upper + 1e-9)


def test_information_is_invariant_to_relabelling_and_affine_maps():
    rng = np.random.default_rng(4)
    n = 25
    mean, var, y = rng.normal(size=(n, 2)), rng.uniform(0.1, 1, n), rng.integers(0, 3, n)
    base = mixture_information(mean, var, y)
    perm = rng.permutation(n)
    permuted = mixture_information(mean[perm], var[perm], y[perm])
    moved = mixture_information(3.0 * mean + 7.0, 9.0 * var, y)
    for field in ("i_xz_lower", "i_xz_upper", "i_zy_lower", "i_zy_upper"):
        assert getattr(permuted, field) == pytest.approx(getattr(base, field), rel=1e-10)
        assert getattr(moved, field) == pytest.approx(getattr(base, field), rel=1e-10)
    nats = mixture_information(mean, var, y, base=math.e)
    assert nats.i_xz_upper == pytest.approx(base.i_xz_upper * LOG2)
    again = mixture_information(mean, var, y)
    assert again.i_xz_nce == base.i_xz_nce  # same seed, same numbers


def test_mixture_information_rejects_bad_input():
    with pytest.raises(ValueError, match="var"):
        mixture_information(np.zeros((3, 1)), np.array([1.0, 0.0, 1.0]))
    with pytest.raises(ValueError, match="var"):
        mixture_information(np.zeros((3, 1)), np.ones(4))
    with pytest.raises(ValueError, match="finite"):
        mixture_information(np.array([[0.0], [np.nan]]), np.ones(2))
    with pytest.raises(ValueError, match="y must have shape"):
        mixture_information(np.zeros((3, 1)), np.ones(3), np.array([0, 1]))
    with pytest.raises(TypeError, match="integer"):
        mixture_information(np.zeros((3, 1)), np.ones(3), np.array([0.5, 1, 0]))
    with pytest.raises(ValueError, match="at least 2"):
        mixture_information(np.zeros((1, 1)), np.ones(1))
    with pytest.raises(ValueError, match="base"):
        mixture_information(np.zeros((2, 1)), np.ones(2), base=1.0)

def test_mixture_bounds_with_equal_variances_equal_the_kde_estimator():
    # One implementation of the pairwise bounds: kde_bounds (float32 kernel sums) is the equal-variance case.
    rng = np.random.default_rng(5)
    n, k, s2 = 40, 3, 0.2
    h = rng.normal(size=(n, k))
    y = rng.integers(0, 3, n)
    mi = mixture_information(h, np.full(n, s2), y)
    kde = kde_bounds(h, y, s2)
    assert mi.i_xz_upper == pytest.approx(kde.i_xt_upper, abs=1e-5)
    assert mi.i_xz_lower == pytest.approx(kde.i_xt_lower, abs=1e-5)
    # the mixture's I(Z;Y) pairs opposite bounds, so it brackets KDE's same-kind differences
    assert mi.i_zy_lower <= kde.i_ty_lower + 1e-5 and mi.i_zy_lower <= kde.i_ty_upper + 1e-5
    assert mi.i_zy_upper >= kde.i_ty_lower - 1e-5 and mi.i_zy_upper >= kde.i_ty_upper - 1e-5


def test_pairwise_core_formulas():
    # two classes of two far-apart points each: the terms are ln 4 and ln 2 whatever the kernel
    log_mean_all = np.log(np.full(4, 1 / 4))
    log_mean_own = np.log(np.full(4, 1 / 2))
    h, h_given_y = pairwise_entropy_terms(log_mean_all, log_mean_own)
    assert h == pytest.approx(np.log(4)) and h_given_y == pytest.approx(np.log(2))
    i_xz, i_zy = pairwise_mi(h, h_given_y)
    assert i_xz == pytest.approx(np.log(4)) and i_zy == pytest.approx(np.log(2))
    assert pairwise_mi(-1e-17, 0.0)[0] == 0.0  # rounding below zero is clipped
    lower, upper = pairwise_cross_bounds((np.log(4.0), 0.1), (np.log(3.0), 0.5), h_y=np.log(2.0))
    assert upper == pytest.approx(np.log(2.0))  # capped at H(Y)
    assert lower == pytest.approx(np.log(3.0) - 0.1)
    assert pairwise_cross_bounds((0.2, 0.3), (0.1, 0.2), h_y=1.0)[0] == 0.0  # never below 0
