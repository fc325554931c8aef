"""Trajectory analysis (:mod:`ipflow_lib.trajectories`) on closed-form synthetic curves: phases, compression,
first epochs, the drift → diffusion transition and the one bootstrap over networks."""

from __future__ import annotations

import numpy as np
import pytest

from ipflow_lib import trajectories as tr

EPOCHS = np.array([0, 1, 2, 4, 8, 16, 32, 64])
I_TY = np.array([0.1, 0.3, 0.6, 0.9, 0.98, 1.0, 1.0, 0.99])
I_XT = np.array([4.0, 5.0, 6.0, 5.5, 4.5, 3.5, 3.1, 3.0])
NO_COMPRESSION = np.array([4.0, 5.0, 6.0, 6.0, 6.0, 6.0, 6.0, 5.95])


def test_phase_times_on_known_trajectories():
    out = tr.phase_times(np.stack([I_XT, NO_COMPRESSION], 1), np.stack([I_TY, I_TY], 1), EPOCHS)
    # fit: 0.1 + 0.95 · 0.9 = 0.955 first reached at epoch 8; compression peak at 2, 90 % of 3 bits by 32
    np.testing.assert_array_equal(out["fit_epoch"], [8, 8])
    assert out["compression_start"][0] == 2 and out["compression_end"][0] == 32
    assert out["compression_bits"][0] == pytest.approx(3.0)
    assert np.isnan(out["compression_start"][1]) and np.isnan(out["compression_end"][1])
    # invariances: shifting I(T;Y) or I(X;T) by a constant changes no epoch
    shifted = tr.phase_times(I_XT[:, None] + 2, I_TY[:, None] - 0.05, EPOCHS)
    for key in ("fit_epoch", "compression_start", "compression_end"):
        assert shifted[key][0] == out[key][0]
    # an all-NaN (padding) column gives NaN everywhere
    padded = tr.phase_times(np.stack([I_XT, np.full(8, np.nan)], 1), np.stack([I_TY, np.full(8, np.nan)], 1), EPOCHS)
    assert all(np.isnan(padded[key][1]) for key in padded)
    with pytest.raises(ValueError):
        tr.phase_times(I_XT[:, None], I_TY[:-1, None], EPOCHS)
    with pytest.raises(ValueError, match="fit_level"):
        tr.phase_times(I_XT[:, None], I_TY[:, None], EPOCHS, fit_level=0.0)


def test_compression_and_its_onset():
    # exponential rise then decay: I(X;T) = 6 − 3 (1 − e^{-e/8}) after its peak at epoch 2
    e = np.arange(0, 200)
    x = np.where(e <= 2, 4.0 + e, 6.0 - 3.0 * (1 - np.exp(-(e - 2) / 8.0)))
    curves = np.stack([x, np.minimum(e, 5.0)], 1)  # second layer only rises
    np.testing.assert_allclose(tr.compression(curves[None], axis=1)[0], [6.0 - x[-1], 0.0])
    onset = tr.compression_onset(curves, e)
    assert onset[0] == 2 and np.isnan(onset[1])
    # a fall smaller than the threshold is not compression
    assert np.isnan(tr.compression_onset(curves, e, min_compression_bits=3.5)[0])
    with pytest.raises(ValueError):
        tr.compression_onset(curves, e[:-1])
    with pytest.raises(ValueError):
        tr.compression_onset(curves, e, min_compression_bits=-1.0)


def test_first_epoch_reaching():
    assert tr.first_epoch_reaching([0.1, 0.5, 0.97, 0.96], [0, 1, 2, 3], 0.95) == 2
    assert tr.first_epoch_reaching(1 - np.exp(-EPOCHS / 10.0), EPOCHS, 0.9) == 32  # 1 − e^{−3.2} ≥ 0.9 > 1 − e^{−1.6}
    assert np.isnan(tr.first_epoch_reaching([0.1, 0.5], [0, 1], 0.95))


def test_drift_diffusion_transition():
    epochs = np.arange(10) * 10
    n_networks = 3
    mean = np.ones((n_networks, 10, 2))
    std = np.stack([np.linspace(0.1, 2.0, 10), np.full(10, 0.5)], 1)[None].repeat(n_networks, 0)  # layer 1 crosses 1
    out = tr.drift_diffusion_transition(mean, std, epochs)
    first_below = int(np.argmax(1.0 / std[0, :, 0] < 1.0))
    assert out[0] == epochs[first_below] and np.isnan(out[1])
    # full batch: std = 0, SNR infinite, no transition
    assert np.isnan(tr.drift_diffusion_transition(mean, np.zeros_like(mean), epochs)).all()
    with pytest.raises(ValueError):
        tr.drift_diffusion_transition(mean, std[:, :5], epochs)


def test_bootstrap_of_a_mean_matches_the_explicit_loop_and_the_normal_approximation():
    rng = np.random.default_rng(3)
    x = rng.normal(2.0, 1.0, size=400)
    ci = tr.bootstrap(lambda pick: x[pick].mean(), x.size, 300, seed=7)
    # the same draws by hand: one rng.integers(0, n, n) per resample, in order
    hand = np.random.default_rng(7)
    means = [x[hand.integers(0, x.size, x.size)].mean() for _ in range(300)]
    np.testing.assert_array_equal(ci, np.percentile(means, [5, 95]))
    # the 5-95 % interval of a mean is about ±1.645 σ/√n
    half = 1.645 * x.std() / np.sqrt(x.size)
    assert ci[0] == pytest.approx(x.mean() - half, abs=0.3 * half)
    assert ci[1] == pytest.approx(x.mean() + half, abs=0.3 * half)


def test_bootstrap_nan_rule_shapes_dicts_and_shared_streams():
    # an element finite in fewer than half of the resamples gets NaN; dict statistics keep their keys
    values = np.array([0.0, 0.0, 0.0, 1.0])  # the statistic is finite only when network 3 is drawn twice or more

    def stat(pick):
        hits = (pick == 3).sum()
        return {"a": np.array([pick.mean(), np.nan if hits < 2 else 1.0]), "b": float(values[pick].sum())}

    out = tr.bootstrap(stat, 4, 100, seed=0)
    assert set(out) == {"a", "b"} and out["a"].shape == (2, 2) and out["b"].shape == (2,)
    assert np.isfinite(out["a"][0]).all() and np.isnan(out["a"][1]).all()
    # with min_fraction = 0 any finite value is enough
    assert np.isfinite(tr.bootstrap(stat, 4, 100, seed=0, min_fraction=0.0)["a"][1]).all()
    # no resamples: NaN intervals of the right shape
    assert np.isnan(tr.bootstrap(lambda pick: np.zeros(3), 4, 0, seed=0)).all()
    assert tr.bootstrap(lambda pick: np.zeros(3), 4, 0, seed=0).shape == (3, 2)
    # a generator is advanced: two bootstraps on one stream differ from two with the same int seed
    x = np.arange(10.0)
    gen = np.random.default_rng(5)
    first, second = (tr.bootstrap(lambda p: x[p].mean(), 10, 50, gen) for _ in range(2))
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(first, tr.bootstrap(lambda p: x[p].mean(), 10, 50, 5))
    with pytest.raises(ValueError):
        tr.bootstrap(lambda p: 0.0, 0, 10, 0)


def test_bootstrap_phase_times_equals_the_bootstrap_of_phase_times():
    rng = np.random.default_rng(0)
    n = 6
    i_xt = I_XT[None, :, None] + rng.normal(0, 0.2, size=(n, 8, 1))
    i_ty = I_TY[None, :, None] + rng.normal(0, 0.02, size=(n, 8, 1))
    out = tr.bootstrap_phase_times(i_xt, i_ty, EPOCHS, 40, 11)
    gen = np.random.default_rng(11)
    draws = [tr.phase_times(i_xt[p].mean(0), i_ty[p].mean(0), EPOCHS) for p in (gen.integers(0, n, n)
                                                                                  for _ in range(40))]
    for key in tr.PHASE_KEYS:
        v = np.array([d[key][0] for d in draws])
        v = v[np.isfinite(v)]
        expected = np.percentile(v, [5, 95]) if v.size >= 20 else np.full(2, np.nan)
        np.testing.assert_array_equal(out[key][0], expected)
    # the interval of the peak epoch brackets the peak of the mean trajectory's neighbourhood
    assert EPOCHS[0] <= out["compression_start"][0, 0] <= out["compression_start"][0, 1] <= EPOCHS[-1]


def test_compare_epochs_and_epochs_text():
    text, ok = tr.compare_epochs("fit", np.array([99.0, 49.0]), np.array([[90, 110], [40, 60]]))
    assert text == "fit 2.0 times sooner (5–95 % intervals apart)" and ok
    text, ok = tr.compare_epochs("fit", np.array([49.0, 99.0]), np.array([[40, 60], [90, 110]]), than=" than x")
    assert text == "fit 2.0 times later than x (5–95 % intervals apart)" and not ok
    text, ok = tr.compare_epochs("fit", np.array([99.0, 49.0]), np.array([[40, 110], [30, 100]]))
    assert text.endswith("(5–95 % intervals overlap)") and not ok
    assert tr.compare_epochs("fit", np.array([99.0, np.nan]), np.full((2, 2), np.nan)) == (
        "fit: not reached by both", False)
    assert tr.epochs_text([3.0, np.nan, 1200.4]) == "3, never, 1200"


# ------------------------------------------------------------------------------------------------
# The helpers moved here from claims: noise floor, onset above it, after the run, decades, Spearman ρ
# ------------------------------------------------------------------------------------------------
def test_noise_floor_is_the_larger_of_the_fixed_floor_and_the_standard_error():
    rng = np.random.default_rng(0)
    n = 9
    i_xt = np.zeros((n, 5, 3))
    i_xt[:, -1, 1] = rng.normal(0.0, 0.3, n)  # noisy end point: 2 σ̂/3 ≈ 0.2 > 0.1
    i_xt[:, -1, 2] = rng.normal(0.0, 0.01, n)  # quiet end point: the fixed floor wins
    sd = i_xt[:, -1, 1].std(ddof=1)
    floor = tr.noise_floor(i_xt)
    np.testing.assert_allclose(floor, [0.1, 2.0 * sd / 3.0, 0.1])
    # only the final epoch counts: noise before it changes nothing
    noisy_middle = i_xt.copy()
    noisy_middle[:, 1:-1] += rng.normal(0, 5.0, (n, 3, 3))
    np.testing.assert_array_equal(tr.noise_floor(noisy_middle), floor)
    # one network: no spread, the fixed floor; n_se scales the noise part linearly
    np.testing.assert_array_equal(tr.noise_floor(i_xt[:1], floor=0.3), [0.3, 0.3, 0.3])
    assert tr.noise_floor(i_xt, floor=0.0, n_se=4.0)[1] == pytest.approx(2 * floor[1])
    with pytest.raises(ValueError, match="i_xt"):
        tr.noise_floor(i_xt[0])
    with pytest.raises(ValueError, match="≥ 0"):
        tr.noise_floor(i_xt, floor=-0.1)


def test_onset_above_floor_uses_a_strict_per_layer_floor():
    # layer 1 peaks at epoch 2 and falls 3 bits; layer 2 never falls
    curves = np.stack([I_XT, NO_COMPRESSION], 1)
    np.testing.assert_array_equal(tr.onset_above_floor(curves, EPOCHS, 0.1), [2.0, np.nan])
    # a per-layer floor: a fall of exactly the floor does not count (strict), just below it does
    out = tr.onset_above_floor(curves, EPOCHS, np.array([3.0, 0.01]))
    assert np.isnan(out[0]) and out[1] == 2.0  # NO_COMPRESSION falls 0.05 bits from its first peak, epoch 2
    assert tr.onset_above_floor(curves, EPOCHS, np.array([2.999, 1.0]))[0] == 2.0
    # agrees with compression_onset where both apply (a fall well above the floor)
    np.testing.assert_array_equal(tr.onset_above_floor(curves, EPOCHS, 0.1), tr.compression_onset(curves, EPOCHS))
    with pytest.raises(ValueError, match="mean_i_xt"):
        tr.onset_above_floor(curves, EPOCHS[:-1], 0.1)


def test_after_run_decades_and_spearman():
    np.testing.assert_array_equal(tr.after_run(np.array([3.0, np.nan]), EPOCHS), [3.0, 128.0])
    assert float(tr.after_run(np.nan, EPOCHS, factor=3.0)) == 192.0
    assert float(tr.after_run(7.0, EPOCHS)) == 7.0
    # decades: (99 + 1)/(9 + 1) = 10 → 1 decade; antisymmetric; broadcasts
    assert float(tr.decades(99, 9)) == pytest.approx(1.0)
    assert float(tr.decades(9, 99)) == pytest.approx(-1.0)
    np.testing.assert_allclose(tr.decades(np.array([0, 9, 999]), 0), [0.0, 1.0, 3.0])
    # Spearman ρ is invariant under monotone maps of either argument and flips under reversal
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=20), rng.normal(size=20)
    rho = tr.spearman(a, b)
    assert tr.spearman(np.exp(a), b ** 3) == pytest.approx(rho)
    assert tr.spearman(-a, b) == pytest.approx(-rho)
    # against scipy's own implementation, ties included
    from scipy.stats import spearmanr

    ties = np.array([1.0, 2.0, 2.0, 3.0, 5.0, 5.0])
    assert tr.spearman(ties, np.arange(6.0)[::-1]) == pytest.approx(spearmanr(ties, np.arange(6.0)[::-1])[0])
    assert np.isnan(tr.spearman(np.ones(5), np.arange(5.0)))
    with pytest.raises(ValueError):
        tr.spearman([1.0, 2.0], [1.0, 2.0, 3.0])


def test_bootstrap_interval_is_the_bootstrap_as_a_pair():
    x = np.random.default_rng(2).normal(size=50)
    lo, hi = tr.bootstrap_interval(lambda p: x[p].mean(), x.size, 120, seed=4)
    np.testing.assert_array_equal([lo, hi], tr.bootstrap(lambda p: x[p].mean(), x.size, 120, 4))
    assert isinstance(lo, float) and lo < x.mean() < hi
    # the defaults are 200 resamples with seed 0, the claims' interval
    assert tr.bootstrap_interval(lambda p: x[p].mean(), x.size) == tr.bootstrap_interval(
        lambda p: x[p].mean(), x.size, 200, 0)
    wide = tr.bootstrap_interval(lambda p: x[p].mean(), x.size, 120, seed=4, percentiles=(1, 99))
    assert wide[0] < lo and wide[1] > hi
    # a statistic NaN in most resamples gives a NaN interval (the NaN rule of bootstrap)
    assert all(np.isnan(tr.bootstrap_interval(lambda p: np.nan, 5, 10)))
