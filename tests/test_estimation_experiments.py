"""The chapter-5 experiments on tiny configurations: invariants every correct run satisfies."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from ipflow_lib.experiments import compression_debate, digits_probes, estimator_benchmarks


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("IPFLOW_CACHE", str(tmp_path))


def test_estimator_benchmarks_bracket_and_bound_the_truth():
    cfg = dataclasses.replace(
        estimator_benchmarks.PRESETS["quick"], gaussian_dims=(1, 3), sample_sizes=(200, 2000), n_repeats=1,
        table_sizes=(100, 10000), table_repeats=3, grid_dims=(1, 2), noise_variances=(1e-4, 1e-2, 1.0),
        mc_samples=4096, ceiling_bins=(3, 30), ceiling_variances=(1e-6, 1e-3, 10.0),
    )
    r = estimator_benchmarks.run(cfg)
    assert np.allclose(r.gaussian_truth, -0.5 * np.array([1, 3]) * np.log2(1 - cfg.gaussian_rho**2))
    assert abs(r.ksg[0, -1, 0] - r.gaussian_truth[0]) < 0.05 * r.gaussian_truth[0]
    assert np.all(r.binned <= np.log2(np.array(cfg.sample_sizes))[None, :, None] + 1e-9)  # plug-in ≤ log2 n
    assert np.all(r.grid_kde_lower <= r.grid_truth_xt + 1e-6) and np.all(r.grid_truth_xt <= r.grid_kde_upper + 1e-6)
    assert np.all(np.abs(r.grid_mc - r.grid_truth_xt) < 0.05)
    assert r.ceiling_binning[-1] == pytest.approx(12.0) and r.ceiling_kde_upper[0] == pytest.approx(12.0)
    assert r.ceiling_kde_upper[-1] < 1.0
    s = r.summary()
    assert all(isinstance(v, int | float) for v in s.values())


def test_compression_debate_single_regime_invariants():
    cfg = compression_debate.Config(
        regimes=(("tanh", None),), n_nets=2, n_epochs=30, n_logged_points=12, n_kde_epochs=3, noisy_inputs=128,
    )
    r = compression_debate.run(cfg)
    est = r.estimates["tanh-fullbatch"]
    assert {"bins30", "adaptive30", "kde_upper", "kde_lower", "bins10", "bins100", "noisy", "noisy_stderr"} <= set(est)
    assert est["kde_upper"].i_xt.shape == (2, len(cfg.kde_epochs), 6)
    assert np.all(est["kde_upper"].i_xt >= est["kde_lower"].i_xt - 1e-9)
    for name, tol in (("bins30", 1e-9), ("kde_upper", 1e-9), ("noisy", 1e-3)):  # Monte Carlo may overshoot
        assert np.all(est[name].i_xt <= 12 + tol)
    assert np.all(r.compression("tanh-fullbatch", "kde_upper") >= 0)
    s = r.summary()
    assert s["tanh_fullbatch_kde_upper_verdict"] in ("compresses", "does not compress")
    assert s["saxe_fullbatch"] in ("as Saxe et al. found", "unlike Saxe et al.")


def test_digits_probes_tiny_run():
    pytest.importorskip("torch")
    cfg = digits_probes.Config(activations=("relu",), n_seeds=1, n_epochs=3, n_logged=3, n_train=300)
    r = digits_probes.run(cfg)
    assert r.epochs.tolist() == [0, 1, 3]
    assert r.layer_widths == (32, 16, 8, 10)
    for name, vals in r.estimates["relu"].items():
        assert vals["i_xt"].shape == (1, 3, 4), name
        if not name.endswith("_stderr"):
            assert np.all(vals["i_xt"] <= np.log2(r.n_samples) + 1e-6)
    assert np.all(r.estimates["relu"]["kde_upper"]["i_xt"] >= r.estimates["relu"]["kde_lower"]["i_xt"] - 1e-9)
    assert 0 <= r.test_acc["relu"][0, -1] <= 1 and r.h_y == pytest.approx(np.log2(10), abs=0.01)
