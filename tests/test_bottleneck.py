"""IB and dual-IB solvers: limits, fixed-point equations (checked by independent code), annealed curves
(monotone, concave, slope 1/β), the analytic first critical β, the exact merging of inputs, and the
exponential-family form of the dual IB."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from scipy.special import logsumexp, rel_entr

from ipflow_lib import bottleneck as bn
from ipflow_lib.information import entropy, mutual_information


def _random_problem(seed, n_x=4, n_y=3):
    rng = np.random.default_rng(seed)
    return rng.dirichlet(np.ones(n_x * n_y)).reshape(n_x, n_y)


def _bsc(eps, p1=0.5):
    return np.array([[(1 - p1) * (1 - eps), (1 - p1) * eps], [p1 * eps, p1 * (1 - eps)]])


# --- independent implementation of one step of the equations (not using the library) -------------


def _fixed_point_residual(p_xy, q, beta, kind):
    """max |p(t|x) − p(t) exp(−β d(x,t)) / Z(x)| with p(t), the decoder and d written out directly."""
    p_x = p_xy.sum(1)
    cond = p_xy / p_x[:, None]
    p_t = p_x @ q
    p_x_t = (p_x[:, None] * q) / p_t  # p(x|t)
    n_x, n_t = q.shape
    d = np.zeros((n_x, n_t))
    for t in range(n_t):
        if kind == "ib":
            dec = p_x_t[:, t] @ cond
            for x in range(n_x):
                d[x, t] = rel_entr(cond[x], dec).sum()
        else:
            log_dec = p_x_t[:, t] @ np.log(cond)
            dec = np.exp(log_dec - logsumexp(log_dec))
            for x in range(n_x):
                d[x, t] = rel_entr(dec, cond[x]).sum()
    new = p_t[None, :] * np.exp(-beta * d)
    new /= new.sum(1, keepdims=True)
    return np.abs(new - q).max()


# --- single β --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", bn.KINDS)
@pytest.mark.parametrize("seed", [0, 1])
def test_solution_satisfies_its_self_consistent_equations(kind, seed):
    p = _random_problem(seed)
    beta = 3.0 * bn.critical_beta(p, kind)
    sol = bn.ib(p, beta, kind=kind, init="identity", tol=1e-12)
    assert sol.converged and sol.n_clusters >= 2
    assert _fixed_point_residual(p, sol.p_t_given_x, beta, kind) < 1e-9
    assert bn.self_consistency_error(p, sol.p_t_given_x, beta, kind) < 1e-9
    # a non-fixed point is detected
    assert bn.self_consistency_error(p, np.eye(4), beta, kind) > 1e-3


def test_dual_ib_decoder_is_the_normalised_geometric_mean():
    p = _random_problem(3)
    sol = bn.ib(p, 2.0 * bn.critical_beta(p, "dualib"), kind="dualib", init="identity", tol=1e-12)
    p_x = p.sum(1)
    cond = p / p_x[:, None]
    p_x_t = p_x[:, None] * sol.p_t_given_x / sol.p_t
    geo = np.exp(p_x_t.T @ np.log(cond))
    geo /= geo.sum(1, keepdims=True)
    np.testing.assert_allclose(sol.decoder, geo, atol=1e-12)
    np.testing.assert_allclose(sol.p_y_given_t, p_x_t.T @ cond, atol=1e-12)  # the Markov decoder
    assert not np.allclose(sol.decoder, sol.p_y_given_t, atol=1e-4)  # the two differ for the dual IB


@pytest.mark.parametrize("kind", bn.KINDS)
def test_reported_information_matches_the_tables(kind):
    p = _random_problem(4)
    sol = bn.ib(p, 10.0, kind=kind, init="identity")
    p_xt = p.sum(1)[:, None] * sol.p_t_given_x
    p_ty = sol.p_t[:, None] * sol.p_y_given_t
    assert sol.i_xt == pytest.approx(mutual_information(p_xt), abs=1e-10)
    assert sol.i_ty == pytest.approx(mutual_information(p_ty), abs=1e-10)
    if kind == "ib":  # E D_KL[p(y|x) || p(y|t)] = I(X;Y) − I(T;Y)
        assert sol.distortion == pytest.approx(mutual_information(p) - sol.i_ty, abs=1e-10)


def test_limits_of_beta():
    p = _random_problem(5)
    i_xy = mutual_information(p)
    small = bn.ib(p, 0.1 * bn.critical_beta(p))
    assert small.i_xt < 1e-9 and small.i_ty < 1e-9 and small.n_clusters == 1
    large = bn.ib(p, 1e4, init="identity")
    assert large.i_ty == pytest.approx(i_xy, abs=1e-6)
    assert large.i_xt == pytest.approx(entropy(p.sum(1)), abs=1e-6)  # distinct rows: T = X
    # I(T;Y) ≤ I(X;Y) and I(T;Y) ≤ I(X;T) (data processing) at every β
    for beta in (1.0, 3.0, 10.0, 30.0):
        s = bn.ib(p, beta, init="identity")
        assert s.i_ty <= min(i_xy, s.i_xt) + 1e-10


def test_bsc_critical_beta_closed_form_and_doctests():
    for eps in (0.05, 0.1, 0.3):
        assert bn.critical_beta(_bsc(eps)) == pytest.approx(1 / (1 - 2 * eps) ** 2, rel=1e-12)
    assert bn.critical_beta(np.outer([0.3, 0.7], [0.4, 0.6])) == np.inf  # independent: never splits
    assert doctest.testmod(bn).failed == 0


# --- annealed curves -------------------------------------------------------------------------------


def _concavity_violation(curve):
    o = np.argsort(curve.i_xt, kind="stable")
    x, y = curve.i_xt[o], curve.i_ty[o]
    keep = np.r_[True, np.diff(x) > 1e-6]
    slopes = np.diff(y[keep]) / np.diff(x[keep])
    return float(np.diff(slopes).max())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_annealed_curve_is_monotone_concave_with_slope_one_over_beta(seed):
    p = _random_problem(seed)
    bc = bn.critical_beta(p)
    curve = bn.ib_curve(p, bc * np.geomspace(0.5, 50, 150), direction="both")
    assert np.diff(curve.i_xt).min() > -1e-9
    assert np.diff(curve.i_ty).min() > -1e-9
    assert _concavity_violation(curve) < 1e-6
    rel = np.abs(curve.slope * curve.betas - 1)
    assert np.nanmedian(rel) < 0.01  # dI(T;Y)/dI(X;T) = 1/β along the curve
    assert curve.i_xt[0] < 1e-9
    assert curve.i_ty[-1] == pytest.approx(curve.i_xy, rel=1e-3)
    # single sweeps are monotone too
    for direction in ("up", "down"):
        c = bn.ib_curve(p, curve.betas[::3], direction=direction)
        assert np.diff(c.i_xt).min() > -1e-9 and np.diff(c.i_ty).min() > -1e-9


def test_both_directions_pick_the_lower_lagrangian():
    p = _random_problem(1)
    betas = bn.critical_beta(p) * np.geomspace(0.7, 20, 60)
    curves = {d: bn.ib_curve(p, betas, direction=d) for d in ("up", "down", "both")}
    lag = {d: c.i_xt - c.betas * c.i_ty for d, c in curves.items()}
    assert (lag["both"] <= np.minimum(lag["up"], lag["down"]) + 1e-12).all()


@pytest.mark.parametrize("kind", bn.KINDS)
@pytest.mark.parametrize("seed", [0, 2, 5])
def test_first_split_matches_the_analytic_critical_beta(kind, seed):
    """Annealing up from the trivial solution, the first split happens where it loses linear stability."""
    p = _random_problem(seed)
    bc = bn.critical_beta(p, kind)
    betas = bc * np.geomspace(0.5, 2.0, 100)  # grid ratio 1.4 %; β_c itself is not on the grid
    curve = bn.ib_curve(p, betas, kind=kind, direction="up")
    first = curve.bifurcations[0]
    assert first.n_before == 1 and first.n_after >= 2
    step = betas[1] / betas[0]
    assert first.beta_low / step <= bc <= first.beta_high * step
    assert (curve.n_clusters[betas < bc / step] == 1).all()
    assert np.abs(first.beta / bc - 1) < 0.02


def test_first_split_of_the_binary_symmetric_channel():
    curve = bn.ib_curve(_bsc(0.1), np.linspace(1.0, 2.5, 151), direction="up")
    assert curve.critical_betas[0] == pytest.approx(1 / 0.8**2, abs=0.011)


def test_dual_ib_curve_is_monotone_in_its_own_distortion():
    p = _random_problem(2)
    bc = bn.critical_beta(p, "dualib")
    curve = bn.ib_curve(p, bc * np.geomspace(0.5, 30, 100), kind="dualib", direction="both")
    assert curve.kind == "dualib"
    assert np.diff(curve.i_xt).min() > -1e-9
    assert np.diff(curve.distortion).max() < 1e-9  # E d_dual falls as β grows
    # the geometric-mean decoder is kept next to the Markov decoder
    assert curve.decoder.shape == curve.p_y_given_t.shape


# --- merging inputs with identical p(y|x) -----------------------------------------------------------


def _split_rows(p, rng, copies=3):
    """A bigger problem: each input split into `copies` inputs with the same p(y|x), shuffled."""
    rows = []
    for row in p:
        w = rng.dirichlet(np.ones(copies))
        rows += [wi * row for wi in w]
    full = np.array(rows)
    perm = rng.permutation(len(full))
    return full[perm]


@pytest.mark.parametrize("kind", bn.KINDS)
def test_merged_problem_gives_the_same_curve(kind):
    rng = np.random.default_rng(7)
    p = _random_problem(6, 3, 3)
    full = _split_rows(p, rng)
    merged, groups = bn.merge_inputs(full)
    assert merged.shape == (3, 3) and groups.shape == (9,)
    np.testing.assert_allclose(np.sort(merged.sum(1)), np.sort(p.sum(1)))
    betas = bn.critical_beta(p, kind) * np.geomspace(0.5, 30, 60)
    a = bn.ib_curve(full, betas, kind=kind, direction="down", merge=False, n_clusters=9)
    b = bn.ib_curve(full, betas, kind=kind, direction="down", merge=True, n_clusters=9)
    assert a.p_t_given_x.shape[1] == 9 and b.p_t_given_x.shape[1] == 3
    np.testing.assert_allclose(a.i_xt, b.i_xt, atol=1e-6)
    np.testing.assert_allclose(a.i_ty, b.i_ty, atol=1e-6)
    assert a.i_xy == pytest.approx(b.i_xy) and a.h_x == pytest.approx(entropy(full.sum(1)))
    assert b.h_x == pytest.approx(entropy(merged.sum(1)))


def test_merging_the_12bit_task():
    from ipflow_lib.datasets import noisy_labels, tishby_12bit

    _, y = tishby_12bit()
    p_xy = noisy_labels(y, 0.05) / 4096
    merged, groups = bn.merge_inputs(p_xy)
    assert merged.shape == (2, 2)
    assert set(groups.tolist()) == {0, 1}
    np.testing.assert_allclose(np.sort(merged.sum(1)), np.sort([np.mean(y == 0), np.mean(y == 1)]))
    assert bn.critical_beta(merged) == pytest.approx(bn.critical_beta(p_xy))
    for beta in (1.5, 3.0, 20.0):
        full = bn.ib(p_xy, beta, n_clusters=2, merge=False, init="identity")
        small = bn.ib(p_xy, beta, n_clusters=2, init="identity")
        assert full.i_xt == pytest.approx(small.i_xt, abs=1e-7)
        assert full.i_ty == pytest.approx(small.i_ty, abs=1e-7)
        assert small.p_t_given_x.shape == (4096, 2)


# --- exponential families -------------------------------------------------------------------------


def _toy():
    """The dual-IB paper's analytic example: x = linspace(−1, 0.6, 5), y ∈ {−1, +1}, p(y|x) ∝ exp(−y x)."""
    x = np.linspace(-1, 0.6, 5)
    p_x = np.full(5, 0.2)
    fam = bn.ExponentialFamily.finite([[-1.0], [1.0]], name="sign")
    theta = -x[:, None]
    return p_x, theta, fam


def test_exponential_family_dual_ib_agrees_with_the_table_form():
    p_x, theta, fam = _toy()
    cond = fam.probabilities(theta)
    np.testing.assert_allclose(cond[:, 1], 1 / (1 + np.exp(2 * np.linspace(-1, 0.6, 5))))
    np.testing.assert_allclose(fam.natural_parameters(cond), theta, atol=1e-10)
    p_xy = p_x[:, None] * cond
    beta = 4.0
    init = np.full((5, 5), 0.02) + 0.9 * np.eye(5)  # the same start for both (cluster labels are arbitrary)
    table = bn.ib(p_xy, beta, kind="dualib", init=init, tol=1e-12)
    expfam = bn.exponential_family_dual_ib(p_x, theta, fam, beta, init=init, tol=1e-12)
    np.testing.assert_allclose(expfam.p_t_given_x, table.p_t_given_x, atol=1e-9)
    np.testing.assert_allclose(expfam.decoder, table.decoder, atol=1e-9)
    assert expfam.i_xt == pytest.approx(table.i_xt, abs=1e-9)
    assert expfam.i_ty == pytest.approx(table.i_ty, abs=1e-9)
    # The decoder of the table solution is in the family, at θ_t = Σ_x p(x|t) θ(x).
    p_x_t = p_x[:, None] * table.p_t_given_x / table.p_t
    theta_t = p_x_t.T @ theta
    np.testing.assert_allclose(table.decoder, fam.probabilities(theta_t), atol=1e-12)
    np.testing.assert_allclose(expfam.theta_t, theta_t, atol=1e-9)
    assert bn.critical_beta_exponential_family(p_x, theta, fam) == pytest.approx(bn.critical_beta(p_xy, "dualib"))


def test_exponential_family_curve_matches_the_table_curve():
    p_x, theta, fam = _toy()
    p_xy = p_x[:, None] * fam.probabilities(theta)
    betas = np.geomspace(2.0, 64.0, 40)
    a = bn.exponential_family_dual_ib_curve(p_x, theta, fam, betas, direction="down")
    b = bn.ib_curve(p_xy, betas, kind="dualib", direction="down")
    np.testing.assert_allclose(a.i_xt, b.i_xt, atol=1e-6)
    np.testing.assert_allclose(a.i_ty, b.i_ty, atol=1e-6)
    assert a.theta_t.shape == (40, 5, 1)
    # the solver options are ib_curve's: the same settings give the same curve, an unknown one is an error
    c = bn.exponential_family_dual_ib_curve(p_x, theta, fam, betas, tol=1e-9, max_iter=20_000, seed=0,
                                            keep_encoders=False)
    np.testing.assert_array_equal(c.i_xt, a.i_xt)
    assert c.p_t_given_x is None and a.p_t_given_x is not None
    with pytest.raises(TypeError, match="unknown solver options"):
        bn.exponential_family_dual_ib_curve(p_x, theta, fam, betas, tolerance=1e-3)


def test_gaussian_family_critical_beta_is_that_of_deterministic_annealing():
    """Y|x ~ N(μ(x), σ²): the dual distortion is (μ_t − μ_x)²/(2σ²), soft k-means on the means, whose
    first split is at β_c = σ² / Var(μ) (Rose 1998: critical temperature 2 λ_max of the covariance)."""
    sigma2 = 0.5
    fam = bn.ExponentialFamily(
        log_partition=lambda th: 0.5 * sigma2 * np.asarray(th)[..., 0] ** 2,
        mean=lambda th: sigma2 * np.asarray(th),
        covariance=lambda th: np.array([[sigma2]]),
        name="gaussian",
    )
    mu = np.array([-1.0, -0.2, 0.3, 1.5])
    p_x = np.array([0.1, 0.4, 0.3, 0.2])
    theta = (mu / sigma2)[:, None]
    var_mu = p_x @ mu**2 - (p_x @ mu) ** 2
    bc = bn.critical_beta_exponential_family(p_x, theta, fam)
    assert bc == pytest.approx(sigma2 / var_mu, rel=1e-12)
    curve = bn.exponential_family_dual_ib_curve(p_x, theta, fam, bc * np.geomspace(0.5, 2, 80), direction="up")
    assert abs(curve.critical_betas[0] / bc - 1) < 0.02
    assert np.isnan(curve.i_ty).all()  # Y continuous: no table, no I(T;Y)
    # the distortion is the squared distance of the means
    sol = bn.exponential_family_dual_ib(p_x, theta, fam, 3 * bc, init="identity")
    mu_t = sigma2 * sol.theta_t[:, 0]
    d = (mu_t[None, :] - mu[:, None]) ** 2 / (2 * sigma2)
    assert sol.distortion == pytest.approx(p_x @ (sol.p_t_given_x * d).sum(1) / np.log(2), rel=1e-9)


# --- validation -----------------------------------------------------------------------------------


def test_bad_arguments_are_rejected():
    p = _random_problem(0)
    with pytest.raises(ValueError, match="β > 0"):
        bn.ib(p, 0.0)
    with pytest.raises(ValueError, match="β > 0"):
        bn.ib_curve(p, [1.0, -2.0])
    with pytest.raises(ValueError, match="repeat"):
        bn.ib_curve(p, [1.0, 1.0])
    with pytest.raises(ValueError, match="kind"):
        bn.ib(p, 1.0, kind="vib")
    with pytest.raises(ValueError, match="direction"):
        bn.ib_curve(p, [1.0, 2.0], direction="sideways")
    with pytest.raises(ValueError, match="sum to 1"):
        bn.ib(p * 2, 1.0)
    with pytest.raises(ValueError, match=r"shape \(n_x, n_y\)"):
        bn.ib(p.ravel(), 1.0)
    with pytest.raises(ValueError, match="p\\(y\\|x\\) > 0"):
        bn.ib(np.array([[0.5, 0.0], [0.25, 0.25]]), 1.0, kind="dualib")
    with pytest.raises(ValueError, match="init"):
        bn.ib(p, 1.0, init=np.full((3, 2), 0.5))
    with pytest.raises(ValueError, match="n_clusters"):
        bn.ib(p, 1.0, n_clusters=0)
    with pytest.raises(TypeError, match="ExponentialFamily"):
        bn.exponential_family_dual_ib(np.full(2, 0.5), np.zeros((2, 1)), object(), 1.0)


def test_warm_start_from_a_solution():
    p = _random_problem(1)
    a = bn.ib(p, 5.0, init="identity", tol=1e-12)
    b = bn.ib(p, 5.0, init=a, tol=1e-12)
    assert b.n_iter <= 2
    assert b.i_xt == pytest.approx(a.i_xt, abs=1e-10)


@pytest.mark.parametrize("kind", bn.KINDS)
def test_accelerated_and_plain_iterations_agree(kind):
    """SQUAREM extrapolation changes how fast the fixed point is reached, not which one."""
    p = _random_problem(3)
    betas = bn.critical_beta(p, kind) * np.geomspace(0.6, 20, 40)
    fast = bn.ib_curve(p, betas, kind=kind, direction="both")
    plain = bn.ib_curve(p, betas, kind=kind, direction="both", accelerate=False, max_iter=100_000)
    np.testing.assert_allclose(fast.i_xt, plain.i_xt, atol=2e-5)
    np.testing.assert_allclose(fast.i_ty, plain.i_ty, atol=2e-5)
    assert fast.n_iter.sum() < plain.n_iter.sum()


# --- the ib-bound experiment ----------------------------------------------------------------------


def test_ib_bound_experiment(tmp_path, monkeypatch):
    from ipflow_lib.experiments import ib_bound

    monkeypatch.setenv("IPFLOW_CACHE", str(tmp_path))
    eps = 0.05
    config = ib_bound.Config(epsilon=eps, n_betas=40)
    result = ib_bound.run(config)
    assert result.info is not None and result.n_inputs == 4096 and result.n_merged == 2
    h = -eps * np.log2(eps) - (1 - eps) * np.log2(1 - eps)
    # the classes are nearly balanced and the channel symmetric: I(X;Y) = H(Y) − h(ε) exactly
    assert result.i_xy == pytest.approx(result.h_y - h, abs=1e-12)
    assert result.h_x_merged == pytest.approx(entropy([2118 / 4096, 1978 / 4096]))
    assert np.diff(result.i_xt).min() > -1e-9 and np.diff(result.i_ty).min() > -1e-9
    assert result.i_ty[-1] == pytest.approx(result.i_xy, rel=1e-4)
    step = config.betas[1] / config.betas[0]
    assert abs(np.log(result.critical_betas[0] / result.critical_beta)) <= np.log(step)
    x, y = result.as_bound(x_max=12.0)
    assert x[-1] == 12.0 and y[-1] == pytest.approx(result.i_xy) and np.all(np.diff(x) >= 0)
    assert result.bound_at(5.0) == pytest.approx(result.i_xy)
    assert result.bound_at(0.0) == 0.0
    assert (result.bound_at(result.i_xt) >= result.i_ty - 1e-12).all()
    s = result.summary()
    assert s["i_xy"] == pytest.approx(s["h_y"] - h, abs=1e-12) and s["eps"] == eps
    assert (s["n_inputs"], s["n_merged"], s["n_betas"]) == (4096, 2, 40)
    assert s["split"] == float(result.critical_betas[0]) and 0 <= s["converged"] <= 40
    curve = bn.ib_curve(np.array([[0.45, 0.05], [0.05, 0.45]]), np.geomspace(0.5, 50, 60), direction="both")
    cs = curve.summary(split_digits=3)  # a binary symmetric channel: one split, at 1/(1 − 2ε)² = 1.5625
    assert cs["n_clusters_max"] == 2 and cs["first_split_low"] < 1.5625 < cs["first_split_high"]
    assert cs["splits"] == f"{curve.critical_betas[0]:.3f}" and cs["slope_error_pct"] < 5
    assert all(isinstance(v, int | float) for v in s.values())
    with pytest.raises(ValueError, match="epsilon"):
        ib_bound.Config(epsilon=0.0)
