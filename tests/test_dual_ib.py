"""The dual IB against the IB: the chapter's analytic claims (experiments.dual_ib, datasets.toy)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import logsumexp, rel_entr

from ipflow_lib import bottleneck as bn
from ipflow_lib.datasets import dual_ib_five_points, exponential_family_p_y_given_x, random_exponential_family
from ipflow_lib.experiments import Checkpoint
from ipflow_lib.experiments import dual_ib as exp
from ipflow_lib.information import mutual_information

FIVE = dual_ib_five_points()


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    config = exp.Config(five_point_betas=exp.BetaGrid(150, 2.0, 64.0), twelve_bit_betas=exp.BetaGrid(60, 0.05, 200.0),
                        family_betas=exp.BetaGrid(50, 0.1, 200.0), tol=1e-9, finite_sizes=(10, 200),
                        finite_samples=5, finite_betas=exp.BetaGrid(25, 0.5, 64.0), finite_grid=20)
    return exp._compute(config, Checkpoint(tmp_path_factory.mktemp("dual") / "ck.pkl"))


# ----------------------------------------------------------------------------------------------
# The tasks
# ----------------------------------------------------------------------------------------------
def test_five_point_task_is_the_papers():
    x = np.linspace(-1, 0.6, 5)
    np.testing.assert_allclose(FIVE.x, x)
    expected = np.exp(-np.outer(x, [-1.0, 1.0]))  # softmax_y(−y·x), y = −1, +1
    np.testing.assert_allclose(FIVE.p_y_given_x, expected / expected.sum(1, keepdims=True))
    np.testing.assert_allclose(FIVE.p_xy.sum(), 1.0)
    # the natural form matches the library's finite exponential family
    fam = bn.ExponentialFamily.finite(FIVE.statistics, FIVE.log_h)
    np.testing.assert_allclose(fam.probabilities(FIVE.theta), FIVE.p_y_given_x)


def test_random_family_is_a_proper_subfamily():
    task = random_exponential_family(7, 6, 2, seed=3)
    fam = bn.ExponentialFamily.finite(task.statistics, task.log_h)
    np.testing.assert_allclose(fam.natural_parameters(task.p_y_given_x), task.theta, atol=1e-8)
    # its rows are in the family, an arithmetic mixture of two rows is not
    rows = task.p_y_given_x[None]
    assert exp.family_residual(rows, np.ones((1, 7)), task.statistics, task.log_h)[0] < 1e-12
    mix = 0.5 * (task.p_y_given_x[0] + task.p_y_given_x[1])
    assert exp.family_residual(mix[None, None], np.ones((1, 1)), task.statistics, task.log_h)[0] > 1e-2
    with pytest.raises(ValueError, match="n_y"):
        random_exponential_family(3, 1, 1, seed=0)
    with pytest.raises(ValueError, match="statistics"):
        exponential_family_p_y_given_x(np.zeros((3, 2)), np.zeros((4, 3)))


# ----------------------------------------------------------------------------------------------
# The dual-IB fixed point, checked by an independent implementation of its equations
# ----------------------------------------------------------------------------------------------
def _dual_step(p_xy, q):
    """One pass of the dual-IB equations written from the paper, independently of the library."""
    p_x = p_xy.sum(1)
    log_cond = np.log(p_xy / p_x[:, None])
    p_t = p_x @ q
    p_x_t = p_x[:, None] * q / p_t
    log_dec = p_x_t.T @ log_cond  # log Π_x p(y|x)^{p(x|t)}
    log_dec -= logsumexp(log_dec, axis=1, keepdims=True)
    dec = np.exp(log_dec)
    d = (dec[None, :, :] * (log_dec[None, :, :] - log_cond[:, None, :])).sum(-1)  # D_KL[p(y|t) || p(y|x)]
    return p_t, dec, d


@pytest.mark.parametrize("beta", [2.5, 6.0, 20.0, 60.0])
@pytest.mark.parametrize("which", ["five", "family"])
def test_dual_ib_fixed_point_satisfies_its_equations(beta, which):
    task = FIVE if which == "five" else random_exponential_family(8, 6, 2, seed=0)
    p_xy = task.p_xy
    sol = bn.ib(p_xy, beta, kind="dualib", init="identity", tol=1e-12, max_iter=100_000)
    assert sol.converged
    q = sol.p_t_given_x
    p_t, dec, d = _dual_step(p_xy, q)
    alive = p_t > 1e-9
    np.testing.assert_allclose(sol.decoder[alive], dec[alive], atol=1e-9)
    new = p_t[None, alive] * np.exp(-beta * d[:, alive])
    new /= new.sum(1, keepdims=True)
    np.testing.assert_allclose(q[:, alive] / q[:, alive].sum(1, keepdims=True), new, atol=1e-8)
    assert bn.self_consistency_error(p_xy, q, beta, kind="dualib") < 1e-8


# ----------------------------------------------------------------------------------------------
# Curves: bounds, monotonicity, limits
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("task", ["five_point", "twelve_bit", "family_curves"])
def test_dual_curve_is_bounded_and_monotone(result, task):
    curve = getattr(result, task)["dualib"]
    assert curve.converged.mean() > 0.95
    assert np.all(curve.i_ty >= -1e-12) and np.all(curve.i_ty <= curve.i_xy + 1e-9)
    assert np.all(curve.i_ty <= curve.i_xt + 1e-9)  # data processing: I(T;Y) ≤ I(X;T)
    assert np.all(np.diff(curve.i_xt) >= -1e-6) and np.all(np.diff(curve.i_ty) >= -1e-6)
    assert curve.i_ty[-1] > 0.5 * curve.i_xy  # and it does go somewhere


@pytest.mark.parametrize("which", ["five", "family", "bsc"])
def test_ib_and_dual_ib_share_their_limits(which):
    if which == "five":
        p_xy = FIVE.p_xy
    elif which == "family":
        p_xy = random_exponential_family(6, 5, 2, seed=1).p_xy
    else:
        p_xy = 0.5 * np.array([[0.9, 0.1], [0.1, 0.9]])
    i_xy, h_x = mutual_information(p_xy), -np.sum(p_xy.sum(1) * np.log2(p_xy.sum(1)))
    for kind in ("ib", "dualib"):
        low = bn.ib(p_xy, 1e-3, kind=kind, init="identity")
        assert low.i_xt < 1e-9 and low.i_ty < 1e-9  # trivial: T independent of X
        np.testing.assert_allclose(low.p_t_given_x, np.broadcast_to(low.p_t, low.p_t_given_x.shape), atol=1e-6)
        high = bn.ib(p_xy, 1e4, kind=kind, init="identity", max_iter=100_000)
        assert high.i_xt == pytest.approx(h_x, abs=1e-6)  # every x its own cluster
        assert high.i_ty == pytest.approx(i_xy, abs=1e-6)
        # deterministic encoder and decoders equal to p(y|x): the same solution for both kinds
        assert np.all(high.p_t_given_x.max(1) > 1 - 1e-6)
        t_of_x = high.p_t_given_x.argmax(1)
        np.testing.assert_allclose(high.decoder[t_of_x], p_xy / p_xy.sum(1, keepdims=True), atol=1e-6)


# ----------------------------------------------------------------------------------------------
# Critical β and bifurcations
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("eps", [0.01, 0.05, 0.2])
def test_binary_symmetric_channel_critical_betas(eps):
    """Closed forms: IB 1/(1−2ε)², dual IB 4/ln²((1−ε)/ε) (natural parameters ±L/2, Fisher information 1)."""
    p_xy = 0.5 * np.array([[1 - eps, eps], [eps, 1 - eps]])
    assert bn.critical_beta(p_xy, "ib") == pytest.approx(1 / (1 - 2 * eps) ** 2, rel=1e-9)
    dual = 4.0 / np.log((1 - eps) / eps) ** 2
    assert bn.critical_beta(p_xy, "dualib") == pytest.approx(dual, rel=1e-9)
    assert dual < 1 / (1 - 2 * eps) ** 2  # tanh u < u: the dual IB always splits first here
    # annealing up leaves the trivial solution there
    betas = dual * np.array([0.9, 1.1])
    curve = bn.ib_curve(p_xy, betas, kind="dualib", direction="up")
    assert curve.i_xt[0] < 1e-8 < 1e-4 < curve.i_xt[1]


def test_critical_betas_differ_and_match_the_annealed_splits(result):
    crit = result.five_point_critical
    assert crit["dualib"] < 0.8 * crit["ib"]  # 3.25 against 4.37
    for kind, curve in result.five_point.items():
        splits = curve.critical_betas
        assert splits.size == 4  # 1 → 5 clusters, one split at a time
        step = curve.betas[1] / curve.betas[0]
        assert crit[kind] / step**1.5 < splits[0] < crit[kind] * step**1.5
    # the 12-bit task: the dual IB leaves the trivial solution far below the IB
    assert result.twelve_bit_critical["dualib"] < 0.25 * result.twelve_bit_critical["ib"]


def test_summary_is_flat_and_quotes_the_result(result):
    s = result.summary()
    assert all(isinstance(k, str) and isinstance(v, int | float | str) for k, v in s.items())
    assert s["bc_dualib"] == result.five_point_critical["dualib"] and s["bc_pct"] > 20
    assert s["splits_ib"] == ", ".join(f"{b:.2f}" for b in result.five_point["ib"].critical_betas)
    assert s["n_splits"] == 4 and s["n_earlier"] <= 4
    eps = result.config.epsilon  # the binary symmetric channel: the closed forms of the thresholds
    assert s["bsc_ib"] == pytest.approx(bn.critical_beta(np.array([[1 - eps, eps], [eps, 1 - eps]]) / 2))
    assert s["bsc_dual"] == pytest.approx(
        bn.critical_beta(np.array([[1 - eps, eps], [eps, 1 - eps]]) / 2, "dualib"), rel=1e-6)
    assert s["gap_ib"] >= 0 and s["gap_dual"] >= -1e-3 and s["five_gap"] >= -1e-3
    assert s["bayes"] <= s["chance"] and s["fam_dual"] < 1e-10 < 0.1 < s["fam_ib"]


# ----------------------------------------------------------------------------------------------
# Exponential families
# ----------------------------------------------------------------------------------------------
def test_dual_decoder_stays_in_the_family_and_ib_decoder_leaves_it(result):
    assert result.family_residual["dualib"].max() < 1e-10
    assert result.family_residual["ib"].max() > 0.1
    assert result.family_residual_markov.max() > 0.1  # the same clusters, read with the Markov decoder


@pytest.mark.parametrize("beta", [3.0, 10.0, 40.0])
def test_dual_decoder_natural_parameter_is_the_posterior_mean(beta):
    """θ_t = Σ_x p(x|t) θ(x): on the 5-point example, the cluster's mean input."""
    sol = bn.ib(FIVE.p_xy, beta, kind="dualib", init="identity", tol=1e-12)
    fam = bn.ExponentialFamily.finite(FIVE.statistics, FIVE.log_h)
    alive = sol.p_t > 1e-9
    p_x_t = FIVE.p_x[:, None] * sol.p_t_given_x[:, alive] / sol.p_t[alive]
    theta_t = p_x_t.T @ FIVE.theta
    np.testing.assert_allclose(fam.natural_parameters(sol.decoder[alive]), theta_t, atol=1e-8)


def test_natural_parameter_solver_agrees_with_tables(result):
    assert result.natural_agreement < 1e-6


# ----------------------------------------------------------------------------------------------
# Prediction error and distortions
# ----------------------------------------------------------------------------------------------
def test_prediction_error_limits_and_distortion_identity(result):
    p_xy = FIVE.p_xy
    for kind, curve in result.five_point.items():
        err = result.five_point_error[kind]
        trivial = curve.i_xt < 1e-9
        np.testing.assert_allclose(err[trivial], result.chance_error["five_point"], atol=1e-9)
        assert np.all(err >= result.bayes_error["five_point"] - 1e-12)
        assert err[-1] - result.bayes_error["five_point"] < 0.01
    ib_curve = result.five_point["ib"]
    # for the IB, E D_KL[p(y|x) || p(y|t)] = I(X;Y) − I(T;Y)
    np.testing.assert_allclose(result.five_point_distortion["ib"]["ib"], ib_curve.i_xy - ib_curve.i_ty, atol=1e-9)
    # the closed form of the error at β → ∞ (every x its own cluster) is the Bayes error of X
    assert result.bayes_error["five_point"] == pytest.approx(np.minimum(p_xy[:, 0], p_xy[:, 1]).sum())
    for kind, curve in result.five_point.items():
        np.testing.assert_allclose(curve.distortion, result.five_point_distortion[kind][kind], atol=1e-9)


def test_each_method_wins_its_own_distortion(result):
    """At equal I(X;T) the IB has the smaller IB distortion and the dual IB the smaller dual distortion."""
    assert result.distortion_gap["ib"].min() > -1e-6
    assert result.distortion_gap["dualib"].max() < 1e-6
    assert result.distortion_gap["ib"].max() > 1e-4 and result.distortion_gap["dualib"].min() < -1e-4
    # and in the information plane the IB curve is on top (it is the optimum there)
    assert result.i_ty_gap.max() < 1e-6
    assert result.summary()["own_objective"] == exp.own_distortion_order(result.distortion_gap)
    assert exp.own_distortion_order(result.distortion_gap).startswith("each method has the smaller")
    swapped = {"ib": result.distortion_gap["dualib"], "dualib": result.distortion_gap["ib"]}
    assert exp.own_distortion_order(swapped).startswith("the methods do not")


def test_error_order_names_the_method_ahead_and_where():
    grid = np.linspace(0.0, 2.0, 9)  # 0, 0.25, ..., 2
    assert exp.error_order(grid, -np.ones(9)) == "the dual IB at every I(X;T) of the grid"
    assert exp.error_order(grid, np.ones(9)) == "the IB at every I(X;T) of the grid"
    gap = np.where(grid < 0.8, -1e-3, 1e-3)
    gap[0] = 0.0  # a tie (both trivial) is ignored
    assert exp.error_order(grid, gap) == "the dual IB below 0.75 bits of I(X;T) and the IB above"
    assert exp.error_order(grid, -gap) == "the IB below 0.75 bits of I(X;T) and the dual IB above"
    assert exp.error_order(grid, np.zeros(9)).startswith("neither")
    assert "changes 2 times" in exp.error_order(grid, np.where(np.abs(grid - 1) < 0.3, 1e-3, -1e-3))
    with pytest.raises(ValueError, match="same shape"):
        exp.error_order(grid, gap[:-1])


def test_expected_distortions_by_brute_force():
    curve = bn.ib_curve(FIVE.p_xy, [3.0, 8.0, 30.0], kind="dualib", direction="down")
    got = exp.expected_distortions(curve, FIVE.p_xy)
    cond = FIVE.p_y_given_x
    for k in range(3):
        q, dec = curve.p_t_given_x[k], curve.decoder[k]
        fwd = sum(FIVE.p_x[x] * q[x, t] * rel_entr(cond[x], dec[t]).sum() for x in range(5) for t in range(q.shape[1]))
        rev = sum(FIVE.p_x[x] * q[x, t] * rel_entr(dec[t], cond[x]).sum() for x in range(5) for t in range(q.shape[1]))
        assert got["ib"][k] == pytest.approx(fwd / np.log(2), abs=1e-12)
        assert got["dualib"][k] == pytest.approx(rev / np.log(2), abs=1e-12)


def test_config_rejects_bad_values():
    with pytest.raises(ValueError, match="epsilon"):
        exp.Config(epsilon=0.0)
    with pytest.raises(ValueError, match="direction"):
        exp.Config(direction="sideways")
    with pytest.raises(ValueError, match="low < high"):
        exp.BetaGrid(10, 10.0, 2.0)
    with pytest.raises(ValueError, match="n ≥ 2"):
        exp.BetaGrid(1, 1.0, 2.0)
    np.testing.assert_array_equal(exp.Config().betas("12bit"), np.geomspace(0.05, 200.0, 256))


# ----------------------------------------------------------------------------------------------
# Finite samples: both methods fit on an estimate, scored on the true p(x, y)
# ----------------------------------------------------------------------------------------------
def test_empirical_joint_adds_the_pseudo_count_to_integer_counts():
    rng = np.random.default_rng(0)
    p_hat = exp.empirical_joint(FIVE.p_xy, 37, rng, pseudo_count=0.5)
    counts = p_hat * (37 + 0.5 * FIVE.p_xy.size) - 0.5
    np.testing.assert_allclose(counts, np.round(counts), atol=1e-9)
    assert np.round(counts).sum() == 37 and np.all(counts > -1e-9) and np.all(p_hat > 0)
    np.testing.assert_array_equal(p_hat, exp.empirical_joint(FIVE.p_xy, 37, np.random.default_rng(0), 0.5))
    big = exp.empirical_joint(FIVE.p_xy, 2_000_000, np.random.default_rng(1), 0.5)
    np.testing.assert_allclose(big, FIVE.p_xy, atol=2e-3)  # consistent
    with pytest.raises(ValueError, match="pseudo_count"):
        exp.empirical_joint(FIVE.p_xy, 10, rng, 0.0)
    with pytest.raises(ValueError, match="p_xy"):
        exp.empirical_joint(FIVE.p_xy * 2, 10, rng)


@pytest.mark.parametrize("kind", ["ib", "dualib"])
def test_true_measures_agree_with_the_exact_measures_on_the_true_joint(kind):
    """Fit on the true joint itself, the scores equal the exact 0-1 error and distortions computed another way."""
    curve = bn.ib_curve(FIVE.p_xy, np.geomspace(1.0, 64.0, 30), kind=kind, merge=False)
    m = exp.true_prediction_measures(curve, FIVE.p_xy)
    np.testing.assert_allclose(m["error"], exp.prediction_error(curve, FIVE.p_xy), atol=1e-12)
    dist = exp.expected_distortions(curve, FIVE.p_xy)
    h_y_x = -np.sum(FIVE.p_xy * np.log2(FIVE.p_xy / FIVE.p_xy.sum(1, keepdims=True)))
    np.testing.assert_allclose(m["log_loss"] - h_y_x, dist["ib"], atol=1e-9)  # cross-entropy = H(Y|X) + KL
    np.testing.assert_allclose(m["dual"], dist["dualib"], atol=1e-9)
    doubled = np.vstack([FIVE.p_xy, FIVE.p_xy[:1]]) / (1 + FIVE.p_xy[0].sum())  # two inputs share p(y|x)
    merged = bn.ib_curve(doubled, [2.0, 4.0], kind=kind, merge=True)
    with pytest.raises(ValueError, match="merge=False"):
        exp.true_prediction_measures(merged, doubled)


def test_finite_sample_results_obey_their_bounds(result):
    n_sizes, n_s, n_g = len(result.config.finite_sizes), result.config.finite_samples, result.config.finite_grid
    bayes = result.bayes_error["five_point"]
    h_y_x = -np.sum(FIVE.p_xy * np.log2(FIVE.p_xy / FIVE.p_xy.sum(1, keepdims=True)))
    for kind in exp.KINDS:
        err, ll = result.finite_measures["error"][kind], result.finite_measures["log_loss"][kind]
        assert err.shape == ll.shape == result.finite_i_xt.shape == (n_sizes, n_s, n_g)
        assert np.all(err >= bayes - 1e-9) and np.all(err <= 1.0)  # no predictor beats the Bayes error
        assert np.all(ll >= h_y_x - 1e-9)  # nor the conditional entropy in log-loss
        assert np.all(result.finite_measures["dual"][kind] >= -1e-12)
    gap = exp.finite_sample_gap(result.finite_measures)
    for m in exp.MEASURES:
        np.testing.assert_allclose(gap[m], result.finite_gap[m])
        np.testing.assert_allclose(gap[m], (result.finite_measures[m]["ib"] - result.finite_measures[m]["dualib"]
                                            ).mean(-1))
        lo, hi = result.finite_gap_band[m].T
        assert np.all(lo <= result.finite_gap_mean[m] + 1e-12) and np.all(result.finite_gap_mean[m] <= hi + 1e-12)
    # samples differ, and more data brings both methods closer to the Bayes error on average
    assert np.ptp(result.finite_measures["error"]["ib"][0].mean(-1)) > 0
    assert result.finite_mean["error"]["ib"][-1] < result.finite_mean["error"]["ib"][0]
    s = result.summary()
    assert s["fin_sizes"] == "10, 200" and s["fin_n_sizes"] == 2
    assert s["fin_err_gap"] == pytest.approx(100 * result.finite_gap["error"].mean())
    assert s["fin_err_ib"] - s["fin_err_dual"] == pytest.approx(s["fin_err_gap"], abs=1e-9)
    assert 0 <= s["fin_n_dual_better"] <= 2
    with pytest.raises(ValueError, match="finite_pseudo_count"):
        exp.Config(finite_pseudo_count=0.0)


def test_finite_sample_figure_draws_the_result(result):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ipflow_lib import plotting

    fig = plotting.dual_ib_finite_sample(result)
    axes = fig.axes
    assert len(axes) == 3 and all(ax.get_xlabel() and ax.get_ylabel() for ax in axes)
    gap_line = axes[1].get_lines()[0]
    np.testing.assert_allclose(gap_line.get_xdata(), result.finite_sizes)
    np.testing.assert_allclose(gap_line.get_ydata(), 100 * result.finite_gap_mean["error"])
    np.testing.assert_allclose(axes[0].get_lines()[1].get_ydata(), 100 * result.finite_mean["error"]["dualib"])
    plt.close(fig)
