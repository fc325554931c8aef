"""The input compression bound and its classical counterpart (Shwartz-Ziv, Painsky & Tishby), the per-layer β
fits of :mod:`ipflow_lib.bottleneck`, the soft-label information of binned layers and the verdicts that
chapter 4 glues (chapters 3 and 4)."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

from ipflow_lib import bottleneck, generalization, trajectories
from ipflow_lib.estimators import layer_cells, noisy_label_information
from ipflow_lib.experiments import generalization as generalization_experiment
from ipflow_lib.generalization import classical_bound, input_compression_bound, max_information, sample_complexity

# ------------------------------------------------------------------------------------------------
# Bounds


def test_doctests():
    for module in (generalization, trajectories):
        assert doctest.testmod(module).failed == 0


def test_bounds_match_closed_form():
    rng = np.random.default_rng(0)
    i = rng.uniform(0, 12, 50)
    m = rng.integers(1, 10_000, 50)
    delta = rng.uniform(1e-4, 0.5, 50)
    expected = np.sqrt((2.0**i + np.log(2 / delta)) / (2 * m))
    np.testing.assert_allclose(input_compression_bound(i, m, delta), expected, rtol=1e-12)
    np.testing.assert_allclose(classical_bound(i, m, delta), expected, rtol=1e-12)
    # hand-computed: I = 12 bits, m = 3482 (85 % of the 12-bit task), δ = 0.05
    assert input_compression_bound(12.0, 3482, 0.05) == pytest.approx(np.sqrt((4096 + np.log(40)) / 6964), rel=1e-12)


def test_bounds_are_monotone_in_information_samples_and_delta():
    bits = np.linspace(0, 12, 25)
    assert np.all(np.diff(input_compression_bound(bits, 1000, 0.05)) > 0)  # more information, larger bound
    m = np.geomspace(1, 1e6, 25)
    assert np.all(np.diff(input_compression_bound(3.0, m, 0.05)) < 0)  # more data, smaller bound
    assert np.all(np.diff(classical_bound(12.0, m, 0.05)) < 0)
    delta = np.linspace(0.001, 0.9, 25)
    assert np.all(np.diff(input_compression_bound(3.0, 1000, delta)) < 0)  # weaker guarantee, smaller bound
    # compression never hurts: the input compression bound is below the classical one for I(X;T) ≤ H(X)
    assert np.all(input_compression_bound(bits, 500, 0.05) <= classical_bound(12.0, 500, 0.05) + 1e-15)


def test_k_bits_are_worth_a_factor_2_to_the_k_in_samples():
    # m(I) = (2^I + log(2/δ)) / (2ε²): the part of m that pays for the representation doubles with every bit
    eps, delta = 0.05, 0.05
    paid = [2 * eps**2 * sample_complexity(i, eps, delta) - np.log(2 / delta) for i in (4.0, 12.0)]
    assert paid[1] / paid[0] == pytest.approx(2.0**8, rel=1e-9)
    # and the inverses are inverses
    i, eps, delta = np.array([0.0, 2.5, 7.0, 12.0]), 0.07, 0.01
    np.testing.assert_allclose(input_compression_bound(i, sample_complexity(i, eps, delta), delta), eps, rtol=1e-12)
    m = np.array([1000.0, 3482.0, 1e5])
    x = max_information(0.1, m, 0.05)
    np.testing.assert_allclose(input_compression_bound(x, m, 0.05), 0.1, rtol=1e-12)
    assert np.isnan(max_information(0.01, 10, 0.05))  # no representation gets a gap of 0.01 from 10 examples


@pytest.mark.parametrize(
    "call",
    [
        lambda: input_compression_bound(-0.1, 10),
        lambda: input_compression_bound(np.nan, 10),
        lambda: input_compression_bound(1.0, 0),
        lambda: input_compression_bound(1.0, 10, delta=0.0),
        lambda: input_compression_bound(1.0, 10, delta=1.0),
        lambda: classical_bound(12.0, 10, delta=1.5),
        lambda: sample_complexity(1.0, 0.0),
        lambda: max_information(-1.0, 10),
    ],
)
def test_bad_input_raises(call):
    with pytest.raises(ValueError):
        call()


# ------------------------------------------------------------------------------------------------
# β of a layer


def _problem(seed=0, n_x=6, n_y=3):
    rng = np.random.default_rng(seed)
    p_x = rng.dirichlet(np.ones(n_x))
    p_y_given_x = rng.dirichlet(np.ones(n_y), size=n_x)
    return p_x[:, None] * p_y_given_x, p_x, p_y_given_x


def test_curve_fit_recovers_beta_of_a_point_on_the_ib_curve():
    p_xy, _, _ = _problem()
    betas = np.geomspace(0.5, 100, 160)
    curve = bottleneck.ib_curve(p_xy, betas, direction="both", keep_encoders=False)
    rising = np.flatnonzero((np.gradient(curve.i_ty) > 1e-6) & (np.gradient(curve.i_xt) > 1e-6))
    for k in rising[[len(rising) // 4, len(rising) // 2, 3 * len(rising) // 4]]:
        for method in bottleneck.CURVE_METHODS:
            fit = bottleneck.fit_beta_on_curve(curve.i_xt[k], curve.i_ty[k], betas, curve.i_xt, curve.i_ty, method)
            assert fit == pytest.approx(betas[k], rel=2e-3), method
        # a point between two grid values: placed on the curve at β* by the same (log β) interpolation
        b_star = np.sqrt(betas[k] * betas[k + 1])
        x = np.interp(np.log(b_star), np.log(betas), curve.i_xt)
        y = np.interp(np.log(b_star), np.log(betas), curve.i_ty)
        for method in ("relevance", "compression"):
            fit = bottleneck.fit_beta_on_curve(x, y, betas, curve.i_xt, curve.i_ty, method)
            assert fit == pytest.approx(b_star, rel=1e-6)
    # beyond the end of the curve: β → ∞; far below it: at most the critical β
    assert np.isinf(bottleneck.fit_beta_on_curve(5.0, curve.i_xy, betas, curve.i_xt, curve.i_ty))
    low = bottleneck.fit_beta_on_curve(0.0, 0.0, betas, curve.i_xt, curve.i_ty)
    assert low <= bottleneck.critical_beta(p_xy) * 1.05


def test_self_consistent_fit_recovers_beta_of_an_ib_fixed_point():
    p_xy, p_x, p_y_given_x = _problem(seed=3)
    beta_c = bottleneck.critical_beta(p_xy)
    for beta in (1.3 * beta_c, 2.5 * beta_c, 6.0 * beta_c):
        sol = bottleneck.ib(p_xy, beta, n_clusters=6, seed=1, merge=False, tol=1e-13, max_iter=200_000)
        assert sol.i_xt > 0.05  # a non-trivial point of the curve
        fit, gap = bottleneck.fit_beta_self_consistent(sol.p_t_given_x, p_y_given_x, p_x)
        assert fit == pytest.approx(beta, rel=1e-4)
        assert gap < 1e-8
        # an encoder that is not a fixed point has a positive gap
        noisy = 0.7 * sol.p_t_given_x + 0.3 / sol.p_t_given_x.shape[1]
        assert bottleneck.fit_beta_self_consistent(noisy, p_y_given_x, p_x)[1] > 1e-4
    # below the critical β the solution is trivial, a fixed point at every such β: no β is fitted
    sol = bottleneck.ib(p_xy, 0.5 * beta_c, n_clusters=6, seed=1, merge=False)
    assert np.isnan(bottleneck.fit_beta_self_consistent(sol.p_t_given_x, p_y_given_x, p_x)[0])


def test_self_consistent_fit_of_the_class_partition_is_infinite():
    # inputs with two kinds of p(y|x); the partition by kind is the deterministic (β → ∞) IB solution
    p = np.array([[0.9, 0.1]] * 3 + [[0.2, 0.8]] * 5)
    beta, gap = bottleneck.fit_beta_self_consistent(np.array([0, 0, 0, 1, 1, 1, 1, 1]), p)
    assert np.isinf(beta) and gap < 1e-9
    # splitting a class into two cells with the same decoder costs exactly the bits of that split
    beta, gap = bottleneck.fit_beta_self_consistent(np.array([0, 0, 0, 1, 1, 2, 2, 2]), p)
    h_split = -(2 * np.log2(2 / 5) + 3 * np.log2(3 / 5)) / 5  # H(cell | class 1)
    assert gap == pytest.approx(5 / 8 * h_split, rel=1e-6)


def test_noisy_label_information():
    from ipflow_lib.datasets import noisy_labels
    from ipflow_lib.estimators import binned_mi

    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 512)
    t = np.tanh(rng.normal(size=(3, 512, 2)))
    cells = layer_cells(t, n_bins=6)
    # ε = 0: equals the binning estimator's I(T;Y) with hard labels
    np.testing.assert_allclose(noisy_label_information(cells, noisy_labels(y, 0.0)),
                               binned_mi(t, y, n_bins=6)[1], atol=1e-12)
    # ε > 0: data processing, I(T;Y) ≤ I(X;Y) = H(Y) − h(ε), with equality for one cell per input
    p = noisy_labels(y, 0.1)
    p_y = p.mean(0)
    i_xy = (-(p_y * np.log2(p_y)).sum()) - (-(0.1 * np.log2(0.1) + 0.9 * np.log2(0.9)))
    assert np.all(noisy_label_information(cells, p) <= i_xy + 1e-12)
    assert noisy_label_information(np.arange(512), p) == pytest.approx(i_xy, abs=1e-12)
    with pytest.raises(ValueError):
        noisy_label_information(cells[:, :10], p)


# ------------------------------------------------------------------------------------------------
# The sentences and headings of chapter 4


def test_layer_trend_sentence_follows_the_bounds():
    falls = generalization_experiment.layer_trend_sentence([0.5, 0.3, 0.2], [3.0, 3.0, 3.0])
    assert falls.startswith("The bound of the 4-unit layer falls") and "0.500, 0.300, 0.200" in falls
    rises = generalization_experiment.layer_trend_sentence([0.2, 0.3, 0.5], [2.0, 3.0, 4.0])
    assert " rises (0.200, 0.300, 0.500): more data leaves that layer more bits" in rises
    assert "2.00 bits with the least, 4.00 with the most" in rises
    bumpy = generalization_experiment.layer_trend_sentence([0.3, 0.2, 0.25], [3.0, 3.0, 2.5])
    assert "does not fall steadily (0.300, 0.200, 0.250)." in bumpy and "more bits" not in bumpy
    with pytest.raises(ValueError):
        generalization_experiment.layer_trend_sentence([0.1, 0.2], [1.0])


def test_headings_are_chosen_by_the_numbers():
    h = generalization_experiment.headings(classical_ratio=50.0, bound=0.2, corr=0.9, violation_pct=60.0,
                                           delta=0.05)
    assert h == {"heading_classical": "The classical bound is useless here",
                 "heading_compression": "Compression makes the bound informative",
                 "heading_trend": "The trend is right",
                 "heading_violations": "But the compressed layers violate it"}
    h = generalization_experiment.headings(classical_ratio=3.0, bound=1.5, corr=-0.2, violation_pct=5.0,
                                           delta=0.05)
    assert h["heading_classical"] == "The classical bound is loose"
    assert h["heading_compression"] == "Even compression leaves the bound vacuous"
    assert h["heading_trend"] == "The trend is wrong"
    assert h["heading_violations"] == "And the compressed layers respect it"  # 5 % = 100 δ: not more than δ
