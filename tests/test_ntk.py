"""Tests of ipflow_lib.ntk: losses, the infinite ensemble, finite ensembles, and the chapter 6 experiments.

The Gaussian information measures the ensembles use are tested in test_estimators.py.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from scipy import linalg
from scipy.stats import norm

from ipflow_lib import ntk

LN2 = math.log(2.0)


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
    assert set(result.gap_correlations()) == {"digits-parity", "tishby-12bit"}
    assert ie.run(config).info.from_cache
    # learning times on a designed training loss: linear in log t (t = 1e-2 … 1e8) from 1 to 0 → t½ = 1e3;
    # a σ_w whose loss never falls has no learning time
    task = result.tasks[0]
    gibbs = task.gibbs.copy()
    gibbs[0, 0] = [1.0, 0.75, 0.5, 0.25, 0.0]
    gibbs[0, 1] = 1.0
    designed = dataclasses.replace(task, quantities={**task.quantities, "gibbs": gibbs})
    t_half = dataclasses.replace(result, tasks=(designed,)).learning_times(task.task)
    assert t_half[0] == pytest.approx(1e3) and np.isnan(t_half[1])


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


def test_finite_width_verdict_reads_the_trend_and_the_floor():
    from ipflow_lib.experiments.ntk_finite_width import width_verdict

    falls = width_verdict([0.9, 0.4, 0.1], [0.8, 0.3, 0.05], floor_mean_hi=0.2, floor_var_hi=0.1)
    assert falls.startswith("both errors fall at every step in width") and "within the sampling noise" in falls
    above = width_verdict([0.9, 0.4, 0.3], [0.8, 0.3, 0.05], floor_mean_hi=0.2, floor_var_hi=0.1)
    assert "above the sampling noise" in above
    bumpy = width_verdict([0.9, 1.0, 0.1], [0.8, 0.3, 0.05], floor_mean_hi=0.2, floor_var_hi=0.1)
    assert bumpy.startswith("the errors do not fall at every step")
    rising = width_verdict([0.1, 0.4], [0.1, 0.3], floor_mean_hi=0.2, floor_var_hi=0.1)
    assert rising.startswith("the errors do not fall with width")
    with pytest.raises(ValueError, match="one length"):
        width_verdict([0.1, 0.2], [0.1], 0.2, 0.1)


# --------------------------------------------------------------------------------------------------
# The same invariants on real MNIST (the authors' data set; experiments.infinite_ensembles_mnist)
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mnist_problem():
    from ipflow_lib.experiments import infinite_ensembles as ie

    config = dataclasses.replace(ie.PRESETS["quick"], mnist_n_train=40, mnist_n_test=30)
    x, y, xt, yt, n_classes = ie.task_data("mnist-10", config)
    _, _, kernel_fn = ntk.network(2, nonlinearity="erf", w_std=1.0, b_std=0.0)
    return x, ntk.regression_targets(y, n_classes), xt, yt, kernel_fn


def test_mnist_task_data_is_the_authors_preprocessing():
    from ipflow_lib.datasets import mnist_5k_split
    from ipflow_lib.experiments import infinite_ensembles as ie

    config = dataclasses.replace(ie.PRESETS["quick"], mnist_n_train=40, mnist_n_test=30)
    x, y, xt, yt, n_classes = ie.task_data("mnist-10", config)
    raw = mnist_5k_split(40, 30, seed=config.data_seed)
    assert x.shape == (40, 784) and xt.shape == (30, 784) and x.dtype == np.float64 and n_classes == 10
    assert x == pytest.approx(np.round(raw.x_train * 255) / 128 - 1, abs=1e-12)  # info_ntk: b / 128 − 1
    assert x.min() == -1.0 and x.max() == pytest.approx(127 / 128)
    assert np.bincount(y).tolist() == [4] * 10 and np.array_equal(yt, raw.y_test)
    xp, yp, _, ytp, n_parity = ie.task_data("mnist-parity", config)
    assert n_parity == 2 and np.array_equal(xp, x) and np.array_equal(yp, y % 2) and np.array_equal(ytp, yt % 2)


def test_mnist_ensemble_at_t0_is_the_nngp_prior(mnist_problem):
    x, y, xt, _, kernel_fn = mnist_problem
    ens = ntk.infinite_ensemble(kernel_fn, x, y, [0.0, 1.0], xt, full_cov=True)
    prior = ntk.kernels(kernel_fn, xt).nngp
    assert np.all(ens.mean[0] == 0)
    assert ens.cov[0] == pytest.approx(prior, rel=1e-10)
    assert ens.var[0] == pytest.approx(np.diag(prior), rel=1e-10)
    # training only removes variance: the posterior variance of every test image is below its prior one
    assert np.all(ens.var[1] < ens.var[0]) and np.abs(ens.mean[1]).max() > 0


def test_mnist_ensemble_interpolates_the_training_labels_at_late_times(mnist_problem):
    x, y, _, _, kernel_fn = mnist_problem
    ens = ntk.infinite_ensemble(kernel_fn, x, y, [1e-1, 1e12])
    assert np.abs(ens.mean[-1] - y).max() < 1e-6
    assert ens.var[-1].max() < 1e-8 * ens.prior_var.mean()
    assert np.abs(ens.mean[0] - y).max() > 0.1  # not yet at t = 0.1


def test_infinite_ensembles_mnist_experiment_invariants(tmp_path, monkeypatch):
    from ipflow_lib.experiments import _common
    from ipflow_lib.experiments import infinite_ensembles_mnist as iem

    monkeypatch.setenv(_common.CACHE_ENV, str(tmp_path))
    config = dataclasses.replace(
        iem.PRESETS["quick"], mnist_n_train=40, mnist_n_test=30, w_stds=(0.5, 1.0), n_times=5, noise_sweep=(1e-6,)
    )
    result = iem.run(config)
    assert [t.task for t in result.tasks] == ["mnist-parity", "mnist-10"]
    for task in result.tasks:
        assert (task.n_train, task.n_test) == (40, 30)
        assert np.all(task.i_xz_lower <= task.i_xz_upper + 1e-9)
        assert np.all(task.i_zy_lower <= task.i_zy_upper + 1e-9)
        assert np.all(task.i_xz_upper <= task.log2_n[:, None, None] + 1e-9)
        assert np.all(task.i_zy_upper <= task.h_y[:, None, None] + 1e-9)
        assert np.all(task.bayes <= task.gibbs + 1e-12)
        assert np.all(task.kl_prior >= 0)
        assert np.all(np.diff(task.gibbs[0], axis=-1) <= 1e-9)
        # at the last time the training inputs are fitted: every training image gets its own label
        assert task.error[0, :, -1].max() == 0 and task.i_zy_mc[0, :, -1] == pytest.approx(task.h_y[0], abs=1e-3)
    summary = result.summary()
    assert summary["mparity_n_train"] == 40 and summary["mten_log2_n_classes"] == pytest.approx(np.log2(10))
    with pytest.raises(ValueError, match="tasks must be among"):
        iem.run(dataclasses.replace(config, tasks=("digits-parity",)))
