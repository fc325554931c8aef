"""The sweeps of chapters 3 and 4: training size, depth, the layers against the IB bound, generalization.

Each sweep is trained for a few epochs only: the tests check shapes, units and invariants, that a sweep
computed in one vectorised run equals the same networks run one by one, and that the summaries the chapters
glue are the numbers of the arrays.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from ipflow_lib import trajectories
from ipflow_lib.datasets import sweep_masks, train_test_masks
from ipflow_lib.ensembles import TrainingSpec
from ipflow_lib.estimators import plugin_entropy
from ipflow_lib.experiments import depth, generalization, ib_bound, ib_layers, training_size
from ipflow_lib.generalization import classical_bound, input_compression_bound

TINY = TrainingSpec(n_networks=2, n_epochs=24, n_logged_points=12)
FRACTIONS = (0.05, 0.45)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """A private result cache for the module (so that run() calls share the tiny sweep)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("IPFLOW_CACHE", str(tmp_path_factory.mktemp("cache")))
    yield
    mp.undo()


@pytest.fixture(scope="module")
def sweep_config():
    return training_size.Config(train_fractions=FRACTIONS, vectorise="all", training=TINY)


@pytest.fixture(scope="module")
def sweep(cache, sweep_config):
    return training_size.run(sweep_config)


def test_training_size_shapes_and_units(sweep, sweep_config):
    n_sizes, n_networks, n_logged = len(FRACTIONS), TINY.n_networks, TINY.logged_epochs.size
    n_layers = len(TINY.hidden_widths) + 1
    np.testing.assert_array_equal(sweep.logged_epochs, TINY.logged_epochs)
    assert sweep.i_xt.shape == sweep.i_ty.shape == (n_sizes, n_networks, n_logged, n_layers)
    for name in ("train_loss", "test_loss", "train_acc", "test_acc"):
        assert getattr(sweep, name).shape == (n_sizes, n_networks, n_logged)
    assert sweep.cells.shape == (n_sizes, n_networks, n_layers, 4096) and sweep.cells.dtype == np.int32
    assert sweep.train_mask.shape == sweep.test_mask.shape == (n_sizes, n_networks, 4096)
    # units: bits below their ceilings; accuracies in [0, 1]
    assert sweep.h_x == 12.0 and sweep.h_y == pytest.approx(0.99916, abs=1e-5)
    assert np.all((sweep.i_xt >= 0) & (sweep.i_xt <= sweep.h_x + 1e-9))
    assert np.all(sweep.i_ty <= np.minimum(sweep.i_xt, sweep.h_y) + 1e-9)
    assert np.all((sweep.train_acc >= 0) & (sweep.train_acc <= 1) & (sweep.test_acc >= 0) & (sweep.test_acc <= 1))
    # the layers' final partitions are the binned T: their entropy is the last I(X;T)
    np.testing.assert_allclose(plugin_entropy(sweep.cells), sweep.i_xt[:, :, -1], atol=1e-12)
    # training sets: sizes, held-out test sets, nested across sizes for the same seed
    np.testing.assert_array_equal(sweep.n_train, np.round(np.array(FRACTIONS) * 4096).astype(int))
    np.testing.assert_array_equal(sweep.train_mask.sum(-1), np.repeat(sweep.n_train[:, None], n_networks, 1))
    np.testing.assert_array_equal(sweep.test_mask, ~sweep.train_mask)
    assert np.all(sweep.train_mask[0] <= sweep.train_mask[1])
    np.testing.assert_allclose(sweep.generalization_gap, sweep.train_acc - sweep.test_acc)


def _assert_same(a, b, where_a, where_b):
    """Networks ``where_a`` of result a and ``where_b`` of result b are the same networks."""
    for name in ("train_loss", "test_loss", "train_acc", "test_acc"):
        np.testing.assert_allclose(getattr(a, name)[where_a], getattr(b, name)[where_b], atol=2e-5, err_msg=name)
    for name in ("i_xt", "i_ty"):  # binning could move an activation across a bin edge: allow a few inputs
        np.testing.assert_allclose(getattr(a, name)[where_a], getattr(b, name)[where_b], atol=1e-2, err_msg=name)


def test_vectorised_sweep_equals_networks_run_one_by_one(sweep, sweep_config):
    # the same sweep, grouped by mini-batches per epoch (two calls) instead of one call
    grouped = training_size._compute(dataclasses.replace(sweep_config, vectorise="by_batches", n_workers=2), None)
    assert len(training_size._groups(grouped.config, grouped.n_train)) == 2
    _assert_same(sweep, grouped, np.s_[:], np.s_[:])
    # single networks: size 45 % with the sweep's second seed, size 5 % with its first
    for i, j in ((1, 1), (0, 0)):
        one = training_size._compute(
            training_size.Config(train_fractions=(FRACTIONS[i],),
                                 training=TINY.replace(n_networks=1, seed=TINY.seed + j)),
            None,
        )
        _assert_same(sweep, one, np.s_[i, j], np.s_[0, 0])
        np.testing.assert_array_equal(one.train_mask[0, 0], sweep.train_mask[i, j])


def test_interrupted_threaded_sweep_resumes_with_the_same_numbers(sweep, sweep_config, tmp_path, monkeypatch):
    """One group fails while another trains in a second thread: the other stops and saves its progress, the
    failed group's error reaches the caller, and a rerun gives the numbers of the uninterrupted sweep."""
    import threading

    import ipflow_lib.ensembles
    from ipflow_lib.experiments import Checkpoint

    cfg = dataclasses.replace(sweep_config, vectorise="by_batches", n_workers=2)
    real = ipflow_lib.ensembles.train_ensemble

    begun = threading.Event()

    def failing(*args, **kw):  # the 5 % group fails once the 45 % group trains beside it
        if kw["desc"].endswith("sizes 5 %"):
            assert begun.wait(timeout=60)
            raise RuntimeError("simulated failure")
        begun.set()
        return real(*args, **kw)

    monkeypatch.setattr(ipflow_lib.ensembles, "train_ensemble", failing)
    ckpt = Checkpoint(tmp_path / "sweep.pkl")
    with pytest.raises(RuntimeError, match="simulated failure"):
        training_size._compute(cfg, ckpt)
    # the 45 % group was stopped at a logged epoch with its progress saved, not run to the end
    (group_ckpt,) = tmp_path.glob("sweep-*.pkl")
    assert 0 < Checkpoint(group_ckpt).load()["index"] < cfg.training.logged_epochs.size
    assert not (ckpt.load() or {}).get("done")
    monkeypatch.setattr(ipflow_lib.ensembles, "train_ensemble", real)
    resumed = training_size._compute(cfg, ckpt)
    _assert_same(sweep, resumed, np.s_[:], np.s_[:])
    assert not list(tmp_path.glob("sweep-*.pkl"))  # group checkpoints are removed once a group is done


def test_vectorisation_groups():
    cfg = training_size.PRESETS["paper"]
    n_train = np.round(np.array(cfg.train_fractions) * 4096).astype(int)
    groups = training_size._groups(cfg, n_train)
    assert sorted(i for g in groups for i in g) == list(range(len(n_train)))
    for g in groups:  # every call has one number of mini-batches per epoch: no padded steps
        assert len({int(np.ceil(n_train[i] / cfg.training.batch_size)) for i in g}) == 1
    assert training_size._groups(training_size.Config(vectorise="all"), n_train) == [list(range(len(n_train)))]


def test_presets():
    paper, quick = training_size.PRESETS["paper"], training_size.PRESETS["quick"]
    spec, quick_spec = paper.training, quick.training
    assert spec.hidden_widths == (10, 7, 5, 4, 3) and spec.n_epochs == 10_000 and paper.n_bins == 30
    assert spec.n_networks == 20 and spec.logged_epochs.size == 218 and spec.optimizer == "adam"
    assert {0.05, 0.45, 0.85} <= set(paper.train_fractions)  # SZT17 Fig. 3
    assert quick_spec.n_networks * quick_spec.n_epochs < spec.n_networks * spec.n_epochs
    assert depth.PRESETS["paper"].training == spec  # the depth sweep trains the same way
    assert [len(a) for a in depth.PRESETS["paper"].architectures] == [1, 2, 3, 4, 5, 6]
    assert depth.PRESETS["paper"].architectures[-1] == (10, 7, 5, 4, 4, 3)
    with pytest.raises(ValueError):
        training_size.Config(train_fractions=(0.0,))
    with pytest.raises(ValueError):
        training_size.Config(vectorise="sometimes")
    with pytest.raises(TypeError, match="TrainingSpec"):
        training_size.Config(training={"n_networks": 3})
    with pytest.raises(ValueError, match="test_split"):
        depth.Config(test_split="random")


def test_worker_counts_are_not_part_of_the_cache_key():
    """``n_workers`` does not change the numbers: it is marked so that the cache key leaves it out."""
    for cls in (training_size.Config, depth.Config):
        marked = {f.name for f in dataclasses.fields(cls) if f.metadata.get("cache_key", True) is False}
        assert marked == {"n_workers"}, cls


def test_sweep_masks_are_nested_paper_splits():
    train, test = sweep_masks(4096, (0.05, 0.45, 0.85), [0, 3])
    assert train.shape == test.shape == (3, 2, 4096)
    assert np.all(train[0] <= train[1]) and np.all(train[1] <= train[2])  # nested across sizes, per seed
    np.testing.assert_array_equal(test, ~train)
    # row (size, seed) is the paper split of that seed; "paper" keeps its (overlapping) test set
    ref_train, ref_test = train_test_masks(4096, 0.85, [3])
    paper_train, paper_test = sweep_masks(4096, (0.85,), [3], test_split="paper")
    np.testing.assert_array_equal(train[2, 1], ref_train[0])
    np.testing.assert_array_equal(paper_test[0, 0], ref_test[0])
    assert (paper_train & paper_test).any()  # 85 % > 80 %: the authors' test set overlaps the training set
    with pytest.raises(ValueError, match="test_split"):
        sweep_masks(4096, (0.5,), [0], test_split="random")


# ------------------------------------------------------------------------------------------------
# Depth


def test_depth_sweep_shapes_and_padding(cache):
    cfg = depth.Config(architectures=((10,), (10, 7, 5)), n_bootstrap=10, training=TINY)
    r = depth.run(cfg)
    n_logged = TINY.logged_epochs.size
    assert r.i_xt.shape == r.i_ty.shape == (2, 2, n_logged, 4)
    np.testing.assert_array_equal(r.depths, [1, 3])
    assert r.layer_widths == ((10, 2), (10, 7, 5, 2))
    assert np.isnan(r.i_xt[0, ..., 2:]).all() and not np.isnan(r.i_xt[0, ..., :2]).any()
    assert not np.isnan(r.i_xt[1]).any()
    assert np.all(r.i_xt[~np.isnan(r.i_xt)] <= 12 + 1e-9)
    for name in ("fit_epoch", "compression_start", "compression_end", "compression_bits"):
        assert getattr(r, name).shape == (2, 4) and getattr(r, f"{name}_ci").shape == (2, 4, 2)
        assert np.isnan(getattr(r, name)[0, 2:]).all()
    assert np.all(np.isin(r.fit_epoch[~np.isnan(r.fit_epoch)], r.logged_epochs))
    assert r.accuracy_epoch.shape == (2,) and r.accuracy_epoch_ci.shape == (2, 2)
    for d in range(2):
        expected = trajectories.first_epoch_reaching(r.train_acc[d].mean(0), r.logged_epochs, cfg.accuracy_level)
        np.testing.assert_equal(r.accuracy_epoch[d], expected)
    assert r.layer(1, "last_hidden") == 2 and r.layer(1, "output") == 3
    # the 5-hidden... here 3-hidden network at depth index 1 is the same network whatever else is in the sweep
    alone = depth._compute(depth.Config(architectures=((10, 7, 5),), n_bootstrap=0, training=TINY), None)
    np.testing.assert_allclose(alone.train_loss[0], r.train_loss[1], atol=2e-5)
    assert np.isnan(alone.accuracy_epoch_ci).all() and np.isnan(alone.fit_epoch_ci).all()  # no resamples


def test_depth_intervals_are_the_explicit_bootstrap_loops(cache):
    """The phase and accuracy intervals are one bootstrap over networks: the same draws as the loops written
    out by hand (phase intervals seeded per depth, accuracy intervals from one stream for all depths)."""
    cfg = depth.Config(architectures=((10,), (10, 7, 5)), n_bootstrap=10, training=TINY)
    r = depth.run(cfg)
    epochs, n = r.logged_epochs, TINY.n_networks
    rng = np.random.default_rng(TINY.seed)
    for d in range(2):
        a = r.train_acc[d]
        draws = np.array([trajectories.first_epoch_reaching(a[rng.integers(0, n, n)].mean(0), epochs,
                                                            cfg.accuracy_level) for _ in range(cfg.n_bootstrap)])
        draws = draws[np.isfinite(draws)]
        expected = np.percentile(draws, [5, 95]) if draws.size >= 0.5 * cfg.n_bootstrap else np.full(2, np.nan)
        np.testing.assert_array_equal(r.accuracy_epoch_ci[d], expected)
        n_layers = int(r.depths[d]) + 1
        gen = np.random.default_rng(TINY.seed + d)
        x, t = r.i_xt[d, ..., :n_layers], r.i_ty[d, ..., :n_layers]
        picks = [gen.integers(0, n, n) for _ in range(cfg.n_bootstrap)]
        v = np.array([trajectories.phase_times(x[p].mean(0), t[p].mean(0), epochs)["fit_epoch"][0] for p in picks])
        np.testing.assert_array_equal(r.fit_epoch_ci[d, 0], np.percentile(v, [5, 95]))  # fit epochs are finite


def test_depth_summary_and_verdict(cache):
    r = depth.run(depth.Config(architectures=((10,), (10, 7, 5)), n_bootstrap=10, training=TINY))
    summary = r.summary()
    assert all(isinstance(k, str) and isinstance(v, int | float | str) for k, v in summary.items())
    assert summary["depth_list"] == "1, 3" and summary["depth_list_and"] == "1 and 3"
    assert summary["depth_archs"] == "[10], [10, 7, 5]" and summary["depth_networks"] == TINY.n_networks
    out = r.phases("output")
    assert summary["out_comp_epochs"] == trajectories.epochs_text(out["compression_end"])
    assert summary["depth_verdict"] == r.verdict()
    assert r.depth_titles() == ["1 hidden: 12-10-2", "3 hidden: 12-10-7-5-2"]
    assert len(r.phase_table().splitlines()) == 2
    # the verdict counts the comparisons that support SZT17: deeper is sooner and the intervals are apart
    fast, slow = np.array([100.0, 10.0]), np.array([10.0, 100.0])
    apart, overlap = np.array([[90.0, 110.0], [5.0, 15.0]]), np.array([[5.0, 110.0], [5.0, 110.0]])
    assert depth.depth_verdict(fast, apart, fast, apart).startswith("Both support SZT17's direction: the deepest "
                                                                    "networks reach the training accuracy 9.2 times")
    assert depth.depth_verdict(fast, apart, slow, apart).startswith("Only one of the two supports")
    assert depth.depth_verdict(fast, overlap, np.array([np.nan, 3.0]), apart).startswith("Neither supports")


# ------------------------------------------------------------------------------------------------
# Generalization and the IB bound


def test_training_size_summary_is_the_numbers_of_the_arrays(sweep):
    summary = sweep.summary()
    assert all(isinstance(k, str) and isinstance(v, int | float | str) for k, v in summary.items())
    last = len(sweep.layer_widths) - 2
    mean_ty = sweep.i_ty[0, :, :, last].mean(axis=0)  # smallest training set, last hidden layer
    assert summary["small_pct"] == 5 and summary["large_pct"] == 45
    assert summary["small_peak"] == pytest.approx(mean_ty.max())
    assert summary["small_final"] == pytest.approx(mean_ty[-1])
    assert summary["small_loss"] == pytest.approx(mean_ty.max() - mean_ty[-1]) and summary["small_loss"] >= 0
    assert summary["large_out_ity"] == pytest.approx(sweep.i_ty[1, :, -1, -1].mean())
    assert summary["m_min"] == 205 and summary["m_max"] == 1843 and summary["n_networks"] == TINY.n_networks
    assert summary["paper_logged"] == 218 and summary["paper_every"] == 36  # every epoch up to 36, then log-spaced
    assert summary["sizes_list"] == "5 %, 45 %"
    assert summary["steps_list"] == "1, 4" and summary["small_steps"] == 1 and summary["large_steps"] == 4  # 512
    assert "full batch" in summary["small_batch_text"]  # 205 inputs fit in one mini-batch of 512
    assert sweep.size_titles([0]) == ["5 % of the data (m = 205)"]
    assert len(sweep.label_information_table().splitlines()) == len(FRACTIONS)


def test_generalization_experiment(cache, sweep, sweep_config):
    r = generalization.run(generalization.Config(sweep=sweep_config, delta=0.1))
    assert r.bound.shape == sweep.i_xt.shape and r.gap.shape == sweep.train_acc.shape
    np.testing.assert_allclose(r.gap, sweep.train_acc - sweep.test_acc)
    np.testing.assert_allclose(r.bound, input_compression_bound(sweep.i_xt, sweep.n_train[:, None, None, None], 0.1))
    np.testing.assert_allclose(r.classical, classical_bound(12.0, sweep.n_train, 0.1))
    assert np.all(r.bound <= r.classical[:, None, None, None] + 1e-12)
    v_all, v_end = r.violations(), r.violations(at_end=True)
    assert v_all.shape == v_end.shape == (len(FRACTIONS), sweep.i_xt.shape[-1])
    np.testing.assert_allclose(v_end, (r.gap[:, :, -1, None] > r.bound[:, :, -1]).mean(axis=1))
    assert np.all((v_all >= 0) & (v_all <= 1))
    summary = r.summary()
    assert all(isinstance(k, str) and isinstance(v, int | float | str) for k, v in summary.items())
    last = len(r.layer_widths) - 2
    assert summary["gap_big"] == pytest.approx(r.final_gap[1].mean())
    assert summary["bound_small"] == pytest.approx(r.final_bound[0, :, last].mean())
    assert summary["classical_m_max"] == pytest.approx(classical_bound(12.0, sweep.n_train.max(), 0.1))
    assert summary["viol_last_big"] == pytest.approx(100 * v_end[1, last])
    assert summary["heading_trend"] == ("The trend is right" if summary["corr"] > 0 else "The trend is wrong")
    violated = (v_end[:, last:] > 0.1).any()  # more than δ of the networks fail the bound of a compressed layer
    assert summary["heading_violations"].startswith("But") == violated
    assert r.shown_layers() == [0, 3, 4, 5] and r.size_title(0) == "5 % of the data (m = 205)"


def test_layers_against_ib_bound(cache, sweep, sweep_config):
    r = ib_layers.run(ib_layers.Config(sweep=sweep_config, bound=ib_bound.Config(n_betas=40)))
    shape = sweep.cells.shape[:-1]
    for name in ("i_xt", "i_ty", "i_ty_clean", "bound_i_ty", "ity_gap", "ixt_excess", "beta_curve", "beta_sc",
                 "sc_gap"):
        assert getattr(r, name).shape == shape, name
    np.testing.assert_allclose(r.i_xt, sweep.i_xt[:, :, -1], atol=1e-12)
    np.testing.assert_allclose(r.i_ty_clean, sweep.i_ty[:, :, -1])
    # the bound holds for I(T;Y) measured with its own noisy labels, and the gaps are non-negative
    assert np.all(r.i_ty <= r.i_xy + 1e-9) and np.all(r.i_ty <= r.bound_i_ty + 1e-9)
    assert np.all(r.ity_gap >= 0) and np.all(r.ixt_excess >= 0)
    # noise can only lose label information
    assert np.all(r.i_ty <= r.i_ty_clean + 1e-9)
    assert np.all((r.beta_curve > 0) | np.isnan(r.beta_curve))
    summary = r.summary()
    assert summary["vgap_last_big"] == pytest.approx(r.ity_gap[1, :, 4].mean()) and summary["vgap_last_big"] >= 0
    assert summary["beta_sc_last_small"] == pytest.approx(np.median(r.beta_sc[0, :, 4]), nan_ok=True)
    assert summary["critical_beta"] == r.critical_beta and len(r.gap_table().splitlines()) == len(FRACTIONS)
