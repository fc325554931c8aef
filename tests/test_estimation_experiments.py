"""The chapter-5 experiments on tiny configurations: invariants every correct run satisfies."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from ipflow_lib.ensembles import TrainingSpec
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
        training=TrainingSpec(n_networks=2, n_epochs=30, n_logged_points=12), regimes=(("tanh", None),),
        n_kde_epochs=3, noisy_inputs=128,
    )
    r = compression_debate.run(cfg)
    est = r.estimates["tanh-fullbatch"]
    assert {"bins30", "adaptive30", "kde_upper", "kde_lower", "bins10", "bins100", "noisy", "noisy_stderr"} <= set(est)
    assert est["kde_upper"].i_xt.shape == (2, len(cfg.kde_epochs), 6)
    assert np.all(est["kde_upper"].i_xt >= est["kde_lower"].i_xt - 1e-9)
    for name, tol in (("bins30", 1e-9), ("kde_upper", 1e-9), ("noisy", 1e-3)):  # Monte Carlo may overshoot
        assert np.all(est[name].i_xt <= 12 + tol)
    comp = r.compression("tanh-fullbatch", "kde_upper")
    assert np.all(comp >= 0)
    i_xt = est["kde_upper"].i_xt
    np.testing.assert_array_equal(comp, i_xt.max(axis=1) - i_xt[:, -1])
    s = r.summary()
    bits, layer = s["tanh_fullbatch_kde_upper_comp"], s["tanh_fullbatch_kde_upper_layer"]
    assert bits == pytest.approx(comp.mean(axis=0)[:-1].max()) and 1 <= layer <= 5
    assert s["tanh_fullbatch_kde_upper_verdict"] == compression_debate.compression_verdict(bits)
    assert s["saxe_fullbatch"] in ("as Saxe et al. found", "unlike Saxe et al.")
    assert s["n_networks"] == 2 and isinstance(s["same_layer"], str)
    assert all(isinstance(v, int | float | str) for v in s.values())


def test_compression_debate_config_nests_one_training_spec():
    cfg = compression_debate.PRESETS["quick"]
    assert isinstance(cfg.training, TrainingSpec) and cfg.training.n_networks == 4
    relu_full = cfg.regime_training("relu", None)
    assert (relu_full.activation, relu_full.batch_size) == ("relu", None)
    assert relu_full.replace(activation="tanh", batch_size=512) == cfg.training  # only the two fields differ
    assert set(cfg.kde_epochs) <= set(cfg.training.logged_epochs.tolist()) and cfg.kde_epochs[0] == 0
    with pytest.raises(TypeError, match="TrainingSpec"):
        compression_debate.Config(training={"n_networks": 2})
    with pytest.raises(ValueError, match="n_kde_epochs"):
        compression_debate.Config(n_kde_epochs=0)
    with pytest.raises(ValueError, match="regimes"):
        compression_debate.Config(regimes=())


def test_strongest_compression_skips_the_output_layer():
    # 2 networks, 3 logged epochs, 3 layers (2 hidden + output): layer 2 falls by 1 and 0.5 bits, the output by 5
    i_xt = np.zeros((2, 3, 3))
    i_xt[:, 1, 1], i_xt[:, 2, 1] = 2.0, [1.0, 1.5]
    i_xt[:, 1, 2] = 5.0
    assert compression_debate.strongest_compression(i_xt) == (pytest.approx(0.75), 2)


def test_verdict_and_lens_sentences():
    t = compression_debate.COMPRESSION_THRESHOLD
    assert compression_debate.compression_verdict(t + 0.01) == "compresses"
    assert compression_debate.compression_verdict(t) == "does not compress"
    assert compression_debate.compression_verdict(float("nan")) == "does not compress"
    assert compression_debate.lens_agreement([3, 3, 3, 3]) == (
        "the layer that compresses most is layer 3 through all 4 lenses")
    assert compression_debate.lens_agreement([3, 2, 3]) == (
        "the layer that compresses most depends on the lens (layers 3, 2, 3)")
    with pytest.raises(ValueError, match="layers"):
        compression_debate.lens_agreement([])


def test_digits_probes_tiny_run():
    pytest.importorskip("torch")
    cfg = digits_probes.Config(
        dataset="digits", activations=("relu",), n_networks=1, n_epochs=3, n_logged_points=3, n_train=300
    )
    r = digits_probes.run(cfg)
    assert r.logged_epochs.tolist() == [0, 1, 3]
    assert r.layer_widths == (32, 16, 8, 10)
    for name, vals in r.estimates["relu"].items():
        assert vals["i_xt"].shape == (1, 3, 4), name
        if not name.endswith("_stderr"):
            assert np.all(vals["i_xt"] <= np.log2(r.n_samples) + 1e-6)
    assert np.all(r.estimates["relu"]["kde_upper"]["i_xt"] >= r.estimates["relu"]["kde_lower"]["i_xt"] - 1e-9)
    assert 0 <= r.test_acc["relu"][0, -1] <= 1 and r.h_y == pytest.approx(np.log2(10), abs=0.01)
    s = r.summary()
    i_xt = r.estimates["relu"]["kde_upper"]["i_xt"]
    assert s["relu_kde_upper_comp"] == pytest.approx((i_xt.max(1) - i_xt[:, -1]).mean(0)[:-1].max())
    assert s["relu_kde_upper_first"] == pytest.approx(i_xt[:, -1, 0].mean())
    assert s["log2_n"] == pytest.approx(np.log2(1797)) and s["n_networks"] == 1


def _two_lens_result():
    """One regime, 3 networks, 3 layers (2 hidden + output); binning at 10 epochs, KDE at 3 of them."""
    from ipflow_lib.ensembles import Estimates

    all_epochs, kde_epochs = np.arange(10), np.array([0, 3, 9])
    binned = np.full((3, 10, 3), 5.0)
    binned[:, 5, 0] = 9.0  # a peak of layer 1 at epoch 5, which only the binning lens saw
    binned[0, 3, 1] = 6.0  # network 0: layer 2 falls by 1 bit between epochs 3 and 9 (seen on common epochs)
    kde = np.full((3, 3, 3), 4.0)
    kde[:2, 1, 0] = 4.5  # networks 0 and 1 lose 0.5 bits in layer 1 by the KDE lens
    estimates = {"tanh-minibatch": {"bins30": Estimates(all_epochs, binned, binned.copy()),
                                    "kde_upper": Estimates(kde_epochs, kde, kde.copy())}}
    acc = {"tanh-minibatch": np.full((3, 10), 0.5)}
    return compression_debate.Result(config=compression_debate.Config(), regimes=("tanh-minibatch",),
                                     logged_epochs=all_epochs, estimates=estimates, train_acc=acc, test_acc=acc,
                                     train_loss=acc, layer_widths=(4, 3, 2))


def test_lenses_are_compared_on_common_epochs():
    r = _two_lens_result()
    assert r.strongest_compression("tanh-minibatch", "bins30") == (pytest.approx(4.0), 1)  # all 10 epochs
    common = r.on_common_epochs()
    binned = common.estimates["tanh-minibatch"]["bins30"]
    np.testing.assert_array_equal(binned.epochs, [0, 3, 9])
    assert binned.i_xt.shape == (3, 3, 3) and common.logged_epochs.size == 10  # accuracies' epochs unchanged
    # without the epoch-5 peak, only network 0's layer 2 compresses (1 bit): mean 1/3 bit, layer 2
    assert common.strongest_compression("tanh-minibatch", "bins30") == (pytest.approx(1 / 3), 2)
    assert r.estimates["tanh-minibatch"]["bins30"].i_xt.shape == (3, 10, 3)  # the original is not modified
    s = r.summary()
    assert s["n_logged"] == 10 and s["n_common_epochs"] == 3
    assert s["tanh_minibatch_bins30_comp"] == pytest.approx(1 / 3) and s["tanh_minibatch_bins30_layer"] == 2
    assert s["tanh_minibatch_bins30_n_compress"] == 1 and s["tanh_minibatch_bins30_n_flat"] == 2
    assert s["tanh_minibatch_kde_upper_n_compress"] == 2 and s["tanh_minibatch_kde_upper_n_flat"] == 1
    assert s["tanh_minibatch_kde_upper_networks"] == "2 of 3 networks compress, 1 does not"


def test_compressing_networks_and_their_count():
    i_xt = np.zeros((3, 2, 3))
    i_xt[:, 0, 0] = [1.0, 0.2, 0.0]  # falls of 1, 0.2 and 0 bits in layer 1
    i_xt[:, 0, 2] = 5.0  # the output layer's fall never counts
    np.testing.assert_array_equal(compression_debate.compressing_networks(i_xt), [True, False, False])
    np.testing.assert_array_equal(compression_debate.compressing_networks(i_xt, threshold=0.1), [True, True, False])
    assert compression_debate.network_count([True, True]) == "all 2 networks compress"
    assert compression_debate.network_count([False] * 3) == "none of the 3 networks compresses"
    assert compression_debate.network_count([True, False, False]) == "1 of 3 networks compresses, 2 do not"
    assert compression_debate.network_count([True, True, False]) == "2 of 3 networks compress, 1 does not"
    with pytest.raises(ValueError, match="n_networks"):
        compression_debate.compressing_networks(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="flags"):
        compression_debate.network_count([])
