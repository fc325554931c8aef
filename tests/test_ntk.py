"""Tests of ipflow_lib.ntk: exact Gaussian formulas, mixture bounds, the infinite ensemble, finite ensembles."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from scipy import integrate, linalg
from scipy.stats import norm

from ipflow_lib import ntk

LN2 = math.log(2.0)


# --------------------------------------------------------------------------------------------------
# Exact Gaussian formulas on hand-made Gaussians
# --------------------------------------------------------------------------------------------------


def test_gaussian_kl_closed_form_1d():
    # KL(N(0,1) || N(1,2)) = ½ (1/2 + 1/2 − 1 + ln 2) = ½ ln 2 nats = ½ bit.
    kl = ntk.gaussian_kl(np.zeros((1, 1)), np.ones(1), np.ones((1, 1)), 2 * np.ones(1), base=math.e)
    assert kl == pytest.approx([0.5 * LN2], abs=1e-14)
    assert ntk.gaussian_kl(np.zeros((1, 1)), np.ones(1), np.ones((1, 1)), 2 * np.ones(1)) == pytest.approx([0.5])


def test_gaussian_kl_against_quadrature_and_isotropic_sum():
    mp, sp, mq, sq = 0.3, 0.7, -1.1, 1.9
    p, q = norm(mp, math.sqrt(sp)), norm(mq, math.sqrt(sq))
    exact = integrate.quad(lambda z: p.pdf(z) * (p.logpdf(z) - q.logpdf(z)), -30, 30)[0]
    kl = ntk.gaussian_kl([[mp]], [sp], [[mq]], [sq], base=math.e)
    assert kl == pytest.approx([exact], rel=1e-9)
    # k i.i.d. outputs sharing a variance: k times the one-output divergence when all means agree.
    k3 = ntk.gaussian_kl([[mp] * 3], [sp], [[mq] * 3], [sq], base=math.e)
    assert k3 == pytest.approx([3 * exact], rel=1e-9)


def test_bhattacharyya_against_quadrature():
    mp, sp, mq, sq = 0.5, 0.4, -0.2, 2.5
    p, q = norm(mp, math.sqrt(sp)), norm(mq, math.sqrt(sq))
    exact = -math.log(integrate.quad(lambda z: math.sqrt(p.pdf(z) * q.pdf(z)), -30, 30)[0])
    assert ntk.gaussian_bhattacharyya([[mp]], [sp], [[mq]], [sq], base=math.e) == pytest.approx([exact], rel=1e-9)
    # D_B ≤ KL/2 (Rényi order ½ below order 1): what makes the pairwise lower bound ≤ upper bound.
    assert ntk.gaussian_bhattacharyya([[mp]], [sp], [[mq]], [sq]) <= 0.5 * ntk.gaussian_kl([[mp]], [sp], [[mq]], [sq])


def test_gaussian_entropy_matches_scipy():
    var = np.array([0.01, 1.0, 7.5])
    assert ntk.gaussian_entropy(var, base=math.e) == pytest.approx(norm(0, np.sqrt(var)).entropy(), rel=1e-12)
    assert ntk.gaussian_entropy(var, k=4) == pytest.approx(4 * norm(0, np.sqrt(var)).entropy() / LN2)
    assert ntk.gaussian_entropy(np.array([[1.0, 2.0]]), k=None) == pytest.approx(ntk.gaussian_entropy([1.0, 2.0]).sum())


def test_full_covariance_kl_reduces_to_diagonal_and_is_zero_on_itself():
    rng = np.random.default_rng(0)
    n, k = 5, 2
    mp, mq = rng.normal(size=(n, k)), rng.normal(size=(n, k))
    sp, sq = rng.uniform(0.5, 2, n), rng.uniform(0.5, 2, n)
    full = ntk.gaussian_kl_full(mp, np.diag(sp), mq, np.diag(sq))
    assert full == pytest.approx(ntk.gaussian_kl(mp, sp, mq, sq).sum(), rel=1e-12)
    a = rng.normal(size=(n, n))
    cov = a @ a.T + n * np.eye(n)
    assert ntk.gaussian_kl_full(mp, cov, mp, cov) == pytest.approx(0.0, abs=1e-12)
    # Against the textbook formula with explicit inverses and determinants.
    b = rng.normal(size=(n, n))
    cov_q = b @ b.T + np.eye(n)
    inv = np.linalg.inv(cov_q)
    d = mq - mp
    textbook = 0.5 * (
        k * np.trace(inv @ cov) + np.einsum("id,ij,jd->", d, inv, d) - k * n
        + k * (np.linalg.slogdet(cov_q)[1] - np.linalg.slogdet(cov)[1])
    )
    assert ntk.gaussian_kl_full(mp, cov, mq, cov_q, base=math.e) == pytest.approx(textbook, rel=1e-10)
    with pytest.raises(ValueError, match="positive definite"):
        ntk.gaussian_kl_full(mp, -np.eye(n), mq, cov)


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
    mi = ntk.mixture_information(mu[:, None], s, y, n_samples=3000, seed=0, base=math.e)
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
    from scipy.special import logsumexp

    upper = -np.mean(logsumexp(-d / (2 * s2), axis=1) - np.log(n))
    lower = -np.mean(logsumexp(-d / (8 * s2), axis=1) - np.log(n))
    mi = ntk.mixture_information(h, np.full(n, s2), base=math.e)
    assert mi.i_xz_upper == pytest.approx(upper, rel=1e-10)
    assert mi.i_xz_lower == pytest.approx(lower, rel=1e-10)
    assert np.isnan(mi.i_zy_mc) and np.isnan(mi.i_zy_upper)


def test_limits_identical_and_separated_components():
    same = ntk.mixture_information(np.zeros((8, 2)), np.ones(8), np.arange(8) % 2)
    for field in ("i_xz_lower", "i_xz_upper", "i_zy_lower", "i_zy_upper"):
        assert getattr(same, field) == pytest.approx(0.0, abs=1e-12)
    assert same.i_xz_nce == pytest.approx(0.0, abs=1e-12)
    far = ntk.mixture_information(1e4 * np.arange(8.0)[:, None], np.ones(8), np.arange(8) // 4, n_samples=2)
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
        mi = ntk.mixture_information(mean, var, y, seed=int(rng.integers(100)))
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
    base = ntk.mixture_information(mean, var, y)
    perm = rng.permutation(n)
    permuted = ntk.mixture_information(mean[perm], var[perm], y[perm])
    moved = ntk.mixture_information(3.0 * mean + 7.0, 9.0 * var, y)
    for field in ("i_xz_lower", "i_xz_upper", "i_zy_lower", "i_zy_upper"):
        assert getattr(permuted, field) == pytest.approx(getattr(base, field), rel=1e-10)
        assert getattr(moved, field) == pytest.approx(getattr(base, field), rel=1e-10)
    nats = ntk.mixture_information(mean, var, y, base=math.e)
    assert nats.i_xz_upper == pytest.approx(base.i_xz_upper * LN2)
    again = ntk.mixture_information(mean, var, y)
    assert again.i_xz_nce == base.i_xz_nce  # same seed, same numbers


def test_mixture_information_rejects_bad_input():
    with pytest.raises(ValueError, match="var"):
        ntk.mixture_information(np.zeros((3, 1)), np.array([1.0, 0.0, 1.0]))
    with pytest.raises(ValueError, match="var"):
        ntk.mixture_information(np.zeros((3, 1)), np.ones(4))
    with pytest.raises(ValueError, match="finite"):
        ntk.mixture_information(np.array([[0.0], [np.nan]]), np.ones(2))
    with pytest.raises(ValueError, match="y must have shape"):
        ntk.mixture_information(np.zeros((3, 1)), np.ones(3), np.array([0, 1]))
    with pytest.raises(TypeError, match="integer"):
        ntk.mixture_information(np.zeros((3, 1)), np.ones(3), np.array([0.5, 1, 0]))
    with pytest.raises(ValueError, match="at least 2"):
        ntk.mixture_information(np.zeros((1, 1)), np.ones(1))
    with pytest.raises(ValueError, match="base"):
        ntk.mixture_information(np.zeros((2, 1)), np.ones(2), base=1.0)


# --------------------------------------------------------------------------------------------------
# Losses
# --------------------------------------------------------------------------------------------------


def test_gibbs_and_bayes_losses_match_monte_carlo_and_jensen():
    rng = np.random.default_rng(5)
    n, k = 6, 2
    mean, var, y = rng.normal(size=(n, k)), rng.uniform(0.1, 2, n), rng.normal(size=(n, k))
    z = mean[None] + np.sqrt(var)[None, :, None] * rng.standard_normal((200_000, n, k))
    log_lik = norm.logpdf(y[None], z, 1.0).sum(-1)  # (samples, n)
    gibbs_mc = -log_lik.mean(0).mean()
    bayes_mc = -(np.logaddexp.reduce(log_lik, axis=0) - np.log(len(z))).mean()
    gibbs, bayes = ntk.gibbs_loss(mean, var, y), ntk.bayes_loss(mean, var, y)
    assert gibbs == pytest.approx(gibbs_mc, rel=3e-3)
    assert bayes == pytest.approx(bayes_mc, rel=3e-3)
    assert bayes < gibbs
    # Without ensemble variance both are the Gaussian negative log-likelihood of the mean.
    assert ntk.bayes_loss(mean, 0 * var, y) == pytest.approx(ntk.gibbs_loss(mean, 0 * var, y))
    # Joint over inputs with a diagonal covariance = per-input sum.
    assert ntk.bayes_loss(mean, np.diag(var), y, joint=True) == pytest.approx(bayes, rel=1e-12)
    with pytest.raises(ValueError, match="targets"):
        ntk.gibbs_loss(mean, var, y[:-1])
    with pytest.raises(ValueError, match="obs_var"):
        ntk.bayes_loss(mean, var, y, obs_var=0.0)


def test_regression_targets():
    assert ntk.regression_targets(np.array([0, 1, 1])).ravel().tolist() == [-1.0, 1.0, 1.0]
    t = ntk.regression_targets(np.array([0, 2, 1]), 3)
    assert t.shape == (3, 3) and np.allclose(t.sum(1), 0) and t[1, 2] == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="labels"):
        ntk.regression_targets(np.array([0, 3]), 3)


# --------------------------------------------------------------------------------------------------
# Kernels and the infinite ensemble (neural-tangents)
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_problem():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(12, 4))
    xt = rng.normal(size=(7, 4))
    y = np.sign(rng.normal(size=(12, 2)))
    _, _, kernel_fn = ntk.network(2, nonlinearity="erf", w_std=1.3, b_std=0.2)
    return x, xt, y, kernel_fn


def test_erf_kernel_matches_its_closed_form():
    # One hidden Erf layer: K2 = σ_w² (2/π) arcsin(2 K1 / sqrt((1 + 2 K1(x,x))(1 + 2 K1(x',x')))) + σ_b²
    # with K1 = σ_w² x·x'/d + σ_b² (Williams 1997), independent of neural-tangents.
    rng = np.random.default_rng(1)
    x = rng.normal(size=(5, 3))
    w, b = 1.7, 0.3
    _, _, kernel_fn = ntk.network(1, nonlinearity="erf", w_std=w, b_std=b)
    k1 = w**2 * x @ x.T / x.shape[1] + b**2
    d = np.diag(k1)
    k2 = w**2 * (2 / np.pi) * np.arcsin(2 * k1 / np.sqrt(np.outer(1 + 2 * d, 1 + 2 * d))) + b**2
    assert ntk.kernels(kernel_fn, x).nngp == pytest.approx(k2, rel=1e-10)


def test_relu_kernels_scale_with_the_weight_scale():
    # ReLU is homogeneous: without biases, K and Θ of L hidden layers scale as σ_w^(2(L+1)).
    rng = np.random.default_rng(2)
    x = rng.normal(size=(6, 3))
    depth = 3
    one = ntk.kernels(ntk.network(depth, nonlinearity="relu", w_std=1.0, b_std=None)[2], x)
    two = ntk.kernels(ntk.network(depth, nonlinearity="relu", w_std=2.0, b_std=None)[2], x)
    factor = 2.0 ** (2 * (depth + 1))
    assert two.nngp == pytest.approx(factor * one.nngp, rel=1e-10)
    assert two.ntk == pytest.approx(factor * one.ntk, rel=1e-10)


def test_batched_kernels_equal_unbatched(small_problem):
    x, xt, _, kernel_fn = small_problem
    full = ntk.kernels(kernel_fn, xt, x)
    blocked = ntk.kernels(kernel_fn, xt, x, batch_size=5)  # 7 and 12 are not multiples of 5: padding
    assert blocked.nngp == pytest.approx(full.nngp, rel=1e-12)
    assert blocked.ntk == pytest.approx(full.ntk, rel=1e-12)


def test_ensemble_at_t0_is_the_nngp_prior(small_problem):
    x, xt, y, kernel_fn = small_problem
    ens = ntk.infinite_ensemble(kernel_fn, x, y, 0.0, xt, full_cov=True)
    prior = ntk.kernels(kernel_fn, xt).nngp
    assert np.all(ens.mean == 0)
    assert ens.cov[0] == pytest.approx(prior, rel=1e-10)
    assert ens.var[0] == pytest.approx(np.diag(prior), rel=1e-10)
    assert ens.prior_var == pytest.approx(np.diag(prior), rel=1e-10)
    train = ntk.infinite_ensemble(kernel_fn, x, y, 0.0)
    assert train.var[0] == pytest.approx(np.diag(ntk.kernels(kernel_fn, x).nngp), rel=1e-10)


def test_ensemble_interpolates_the_training_labels_at_late_times(small_problem):
    x, _, y, kernel_fn = small_problem
    ens = ntk.infinite_ensemble(kernel_fn, x, y, [1e2, 1e12])
    assert np.abs(ens.mean[-1] - y).max() < 1e-6
    assert ens.var[-1].max() < 1e-10 * ens.prior_var.mean()
    assert np.abs(ens.mean[0] - y).max() > 1e-3  # not yet at t = 100


def test_ensemble_matches_the_matrix_exponential_formulas(small_problem):
    # Lee et al. (2019), Eq. 16, evaluated with scipy's expm: an independent route to the same Gaussian.
    x, xt, y, kernel_fn = small_problem
    t = np.array([0.3, 5.0, 80.0])
    ens = ntk.infinite_ensemble(kernel_fn, x, y, t, xt, full_cov=True)
    chunked = ntk.infinite_ensemble(kernel_fn, x, y, t, xt, chunk_size=3)
    train = ntk.infinite_ensemble(kernel_fn, x, y, t)
    kdd, ktd, ktt = ntk.kernels(kernel_fn, x), ntk.kernels(kernel_fn, xt, x), ntk.kernels(kernel_fn, xt)
    n = y.size
    for j, tj in enumerate(t):
        decay = linalg.expm(-kdd.ntk * tj / n)
        p = ktd.ntk @ np.linalg.solve(kdd.ntk, np.eye(len(x)) - decay)
        cov = ktt.nngp + p @ kdd.nngp @ p.T - p @ ktd.nngp.T - ktd.nngp @ p.T
        assert ens.mean[j] == pytest.approx(p @ y, abs=1e-9)
        assert ens.cov[j] == pytest.approx(cov, abs=1e-9)
        assert chunked.var[j] == pytest.approx(np.diag(cov), abs=1e-9)
        assert chunked.mean[j] == pytest.approx(p @ y, abs=1e-9)
        assert train.mean[j] == pytest.approx((np.eye(len(x)) - decay) @ y, abs=1e-9)
        assert train.var[j] == pytest.approx(np.diag(decay @ kdd.nngp @ decay.T), abs=1e-9)


def test_infinite_ensemble_rejects_bad_input(small_problem):
    x, xt, y, kernel_fn = small_problem
    with pytest.raises(ValueError, match="≥ 0"):
        ntk.infinite_ensemble(kernel_fn, x, y, [1.0, -0.5])
    with pytest.raises(ValueError, match="finite"):
        ntk.infinite_ensemble(kernel_fn, x, y, [np.inf])
    with pytest.raises(ValueError, match="y_train"):
        ntk.infinite_ensemble(kernel_fn, x, y[:-1], 1.0)
    with pytest.raises(ValueError, match="features"):
        ntk.infinite_ensemble(kernel_fn, x, y, 1.0, xt[:, :3])
    x_nan = x.copy()
    x_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        ntk.infinite_ensemble(kernel_fn, x_nan, y, 1.0)
    with pytest.raises(ValueError, match="nonlinearity"):
        ntk.network(2, nonlinearity="tanh")
    with pytest.raises(ValueError, match="depth"):
        ntk.network(0)
    with pytest.raises(ValueError, match="w_std"):
        ntk.network(1, w_std=0.0)


# --------------------------------------------------------------------------------------------------
# Finite-width ensembles approach the infinite ensemble
# --------------------------------------------------------------------------------------------------


def test_wide_finite_ensemble_matches_the_infinite_ensemble():
    """Mean and variance of 512 networks of width 2048 (one Erf layer) after GD agree with the infinite
    ensemble within 4 Monte-Carlo standard errors plus 0.06 ensemble standard deviations (width and
    η = 0.25 discretisation effects)."""
    rng = np.random.default_rng(6)
    x, xt = rng.normal(size=(8, 3)), rng.normal(size=(6, 3))
    y = np.sign(rng.normal(size=(8, 1)))
    init_fn, apply_fn, kernel_fn = ntk.network(1, 2048, "erf", w_std=1.5, b_std=0.1)
    t = np.array([0.0, 2.0, 6.0])
    m = 512
    out = ntk.finite_ensemble(init_fn, apply_fn, x, y, xt, t, n_networks=m, seed=0, learning_rate=0.25)
    assert out.shape == (m, 3, 6, 1)
    mean, var = ntk.ensemble_moments(out)
    inf = ntk.infinite_ensemble(kernel_fn, x, y, t, xt)
    sd = np.sqrt(inf.var)
    assert np.all(np.abs(mean[..., 0] - inf.mean[..., 0]) <= 4 * sd / np.sqrt(m) + 0.06 * sd)
    rel_se = np.sqrt(2 / (m - 1))
    assert np.all(np.abs(var / inf.var - 1) <= 4 * rel_se + 0.06)
    # and the networks did learn: the training outputs moved toward the labels
    train_out = ntk.finite_ensemble(init_fn, apply_fn, x, y, x, [6.0], n_networks=8, seed=0, learning_rate=0.25)
    assert np.mean((train_out.mean(0)[0] - y) ** 2) < np.mean(y**2) * 0.9


def test_finite_ensemble_rejects_bad_times():
    init_fn, apply_fn, _ = ntk.network(1, 8)
    x = np.zeros((3, 2))
    with pytest.raises(ValueError, match="multiple of learning_rate"):
        ntk.finite_ensemble(init_fn, apply_fn, x, np.ones(3), x, [0.3], n_networks=2, seed=0, learning_rate=0.25)
    with pytest.raises(ValueError, match="increasing"):
        ntk.finite_ensemble(init_fn, apply_fn, x, np.ones(3), x, [1.0, 0.5], n_networks=2, seed=0)
    with pytest.raises(ValueError, match="≥ 0"):
        ntk.finite_ensemble(init_fn, apply_fn, x, np.ones(3), x, [-1.0], n_networks=2, seed=0)


# --------------------------------------------------------------------------------------------------
# The chapter's experiment on a tiny grid: its invariants
# --------------------------------------------------------------------------------------------------


def test_infinite_ensembles_experiment_invariants(tmp_path, monkeypatch):
    from ipflow_lib.experiments import _common
    from ipflow_lib.experiments import infinite_ensembles as ie

    monkeypatch.setenv(_common.CACHE_ENV, str(tmp_path))
    config = dataclasses.replace(
        ie.PRESETS["quick"], tasks=("digits-parity", "tishby-12bit"), digits_n_train=40, digits_n_test=40,
        tishby_n_test=60, w_stds=(0.5, 1.0), n_times=5, n_samples=1,
    )
    result = ie.run(config)
    assert result.info is not None and result.info.preset is None
    for task in result.tasks:
        assert task.i_xz_lower.shape == (2, 2, 5)
        assert np.all(task.i_xz_lower <= task.i_xz_upper + 1e-9)
        assert np.all(task.i_xz_upper <= task.log2_n[:, None, None] + 1e-9)
        assert np.all(task.i_zy_upper <= task.h_y[:, None, None] + 1e-9)
        assert np.all(task.bayes <= task.gibbs + 1e-12)
        assert np.all(task.kl_prior >= 0)
        assert np.all(np.diff(task.gibbs[0], axis=-1) <= 1e-9)  # gradient flow lowers the training loss
    assert set(ie.gap_correlations(result)) == {"digits-parity", "tishby-12bit"}
    assert ie.run(config).info.from_cache


# --------------------------------------------------------------------------------------------------
# The digits loader (ipflow_lib.datasets.digits)
# --------------------------------------------------------------------------------------------------


def test_digits_split_is_stratified_relabelled_and_train_standardised():
    from sklearn.datasets import load_digits

    from ipflow_lib.datasets import digits

    data = digits((9, 4), n_train=60, n_test=40, seed=3)
    assert data.classes == (9, 4)
    assert data.x_train.shape == (60, 64) and data.x_test.shape == (40, 64)
    assert np.bincount(data.y_train).tolist() == [30, 30] and np.bincount(data.y_test).tolist() == [20, 20]
    # standardised with the training set's statistics only (constant pixels only centred)
    assert np.allclose(data.x_train.mean(0), 0, atol=1e-12)
    assert np.all(np.isclose(data.x_train.std(0), 1) | np.isclose(data.x_train.std(0), 0))
    # label 0 is digit 9: recover the raw images and check
    raw = digits((9, 4), n_train=60, n_test=40, seed=3, standardize=False)
    images = load_digits()
    index = {row.tobytes(): d for row, d in zip(images.data.astype(np.float64), images.target, strict=True)}
    assert [index[row.tobytes()] for row in raw.x_train] == [(9, 4)[c] for c in raw.y_train]
    assert digits((9, 4), n_train=60, n_test=40, seed=3).x_train == pytest.approx(data.x_train)  # same seed
    assert digits().x_train.shape == (1797, 64)
    with pytest.raises(ValueError, match="classes"):
        digits((3, 3))
    with pytest.raises(ValueError, match="n_train"):
        digits((0, 1), n_train=500)
