"""The sweeps of chapters 3 and 4: training size, depth, the layers against the IB bound, generalization.

Each sweep is trained for a few epochs only: the tests check shapes, units and invariants, and that a sweep
computed in one vectorised run equals the same networks run one by one.
"""

from __future__ import annotations

import numpy as np
import pytest

from ipflow_lib.estimators._common import entropy_of_codes
from ipflow_lib.experiments import depth, generalization, ib_bound, ib_layers, training_size
from ipflow_lib.generalization import classical_bound, input_compression_bound

TINY = dict(n_seeds=2, n_epochs=24, n_logged_points=12)
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
    return training_size.Config(train_fractions=FRACTIONS, vectorise="all", **TINY)


@pytest.fixture(scope="module")
def sweep(cache, sweep_config):
    return training_size.run(sweep_config)


def test_training_size_shapes_and_units(sweep, sweep_config):
    n_sizes, n_seeds, n_logged = len(FRACTIONS), TINY["n_seeds"], sweep_config.logged_epochs.size
    n_layers = len(sweep_config.hidden_widths) + 1
    assert sweep.i_xt.shape == sweep.i_ty.shape == (n_sizes, n_seeds, n_logged, n_layers)
    for name in ("train_loss", "test_loss", "train_acc", "test_acc"):
        assert getattr(sweep, name).shape == (n_sizes, n_seeds, n_logged)
    assert sweep.cells.shape == (n_sizes, n_seeds, n_layers, 4096) and sweep.cells.dtype == np.int32
    assert sweep.train_mask.shape == sweep.test_mask.shape == (n_sizes, n_seeds, 4096)
    # units: bits below their ceilings; accuracies in [0, 1]
    assert sweep.h_x == 12.0 and sweep.h_y == pytest.approx(0.99916, abs=1e-5)
    assert np.all((sweep.i_xt >= 0) & (sweep.i_xt <= sweep.h_x + 1e-9))
    assert np.all(sweep.i_ty <= np.minimum(sweep.i_xt, sweep.h_y) + 1e-9)
    assert np.all((sweep.train_acc >= 0) & (sweep.train_acc <= 1) & (sweep.test_acc >= 0) & (sweep.test_acc <= 1))
    # the layers' final partitions are the binned T: their entropy is the last I(X;T)
    np.testing.assert_allclose(entropy_of_codes(sweep.cells) / np.log(2), sweep.i_xt[:, :, -1], atol=1e-12)
    # training sets: sizes, held-out test sets, nested across sizes for the same seed
    np.testing.assert_array_equal(sweep.n_train, np.round(np.array(FRACTIONS) * 4096).astype(int))
    np.testing.assert_array_equal(sweep.train_mask.sum(-1), np.repeat(sweep.n_train[:, None], n_seeds, 1))
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
    grouped = training_size._compute(
        training_size.Config(**{**sweep_config.__dict__, "vectorise": "by_batches", "n_workers": 2}), None
    )
    assert len(training_size._groups(grouped.config, grouped.n_train)) == 2
    _assert_same(sweep, grouped, np.s_[:], np.s_[:])
    # single networks: size 45 % with the sweep's second seed, size 5 % with its first
    for i, j in ((1, 1), (0, 0)):
        one = training_size._compute(
            training_size.Config(train_fractions=(FRACTIONS[i],), n_seeds=1, seed=sweep_config.seed + j,
                                 n_epochs=TINY["n_epochs"], n_logged_points=TINY["n_logged_points"]), None
        )
        _assert_same(sweep, one, np.s_[i, j], np.s_[0, 0])
        np.testing.assert_array_equal(one.train_mask[0, 0], sweep.train_mask[i, j])


def test_interrupted_threaded_sweep_resumes_with_the_same_numbers(sweep, sweep_config, tmp_path, monkeypatch):
    """One group fails while another trains in a second thread: the other stops and saves its progress, the
    failed group's error reaches the caller, and a rerun gives the numbers of the uninterrupted sweep."""
    import threading

    import ipflow_lib.ensembles
    from ipflow_lib.experiments import Checkpoint

    cfg = training_size.Config(**{**sweep_config.__dict__, "vectorise": "by_batches", "n_workers": 2})
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
    assert 0 < Checkpoint(group_ckpt).load()["index"] < cfg.logged_epochs.size
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
        assert len({int(np.ceil(n_train[i] / cfg.batch_size)) for i in g}) == 1
    assert training_size._groups(training_size.Config(vectorise="all"), n_train) == [list(range(len(n_train)))]


def test_presets():
    paper, quick = training_size.PRESETS["paper"], training_size.PRESETS["quick"]
    assert paper.hidden_widths == (10, 7, 5, 4, 3) and paper.n_epochs == 10_000 and paper.n_bins == 30
    assert {0.05, 0.45, 0.85} <= set(paper.train_fractions)  # SZT17 Fig. 3
    assert quick.n_seeds * quick.n_epochs < paper.n_seeds * paper.n_epochs
    assert [len(a) for a in depth.PRESETS["paper"].architectures] == [1, 2, 3, 4, 5, 6]
    assert depth.PRESETS["paper"].architectures[-1] == (10, 7, 5, 4, 4, 3)
    with pytest.raises(ValueError):
        training_size.Config(train_fractions=(0.0,))
    with pytest.raises(ValueError):
        training_size.Config(vectorise="sometimes")


# ------------------------------------------------------------------------------------------------
# Depth


def test_phase_times_on_known_trajectories():
    epochs = np.array([0, 1, 2, 4, 8, 16, 32, 64])
    i_ty = np.array([0.1, 0.3, 0.6, 0.9, 0.98, 1.0, 1.0, 0.99])
    i_xt = np.array([4.0, 5.0, 6.0, 5.5, 4.5, 3.5, 3.1, 3.0])
    no_compression = np.array([4.0, 5.0, 6.0, 6.0, 6.0, 6.0, 6.0, 5.95])
    out = depth.phase_times(np.stack([i_xt, no_compression], 1), np.stack([i_ty, i_ty], 1), epochs)
    # fit: 0.1 + 0.95 · 0.9 = 0.955 first reached at epoch 8; compression peak at 2, 90 % of 3 bits by 32
    np.testing.assert_array_equal(out["fit_epoch"], [8, 8])
    assert out["compression_start"][0] == 2 and out["compression_end"][0] == 32
    assert out["compression_bits"][0] == pytest.approx(3.0)
    assert np.isnan(out["compression_start"][1]) and np.isnan(out["compression_end"][1])
    # invariances: shifting I(T;Y) or I(X;T) by a constant changes no epoch
    shifted = depth.phase_times(i_xt[:, None] + 2, i_ty[:, None] - 0.05, epochs)
    for key in ("fit_epoch", "compression_start", "compression_end"):
        assert shifted[key][0] == out[key][0]
    with pytest.raises(ValueError):
        depth.phase_times(i_xt[:, None], i_ty[:-1, None], epochs)


def test_depth_sweep_shapes_and_padding(cache):
    cfg = depth.Config(architectures=((10,), (10, 7, 5)), n_bootstrap=10, **TINY)
    r = depth.run(cfg)
    n_logged = cfg.logged_epochs.size
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
        expected = depth.first_epoch_reaching(r.train_acc[d].mean(0), r.logged_epochs, cfg.accuracy_level)
        np.testing.assert_equal(r.accuracy_epoch[d], expected)
    assert depth.first_epoch_reaching([0.1, 0.5, 0.97, 0.96], [0, 1, 2, 3], 0.95) == 2
    assert np.isnan(depth.first_epoch_reaching([0.1, 0.5], [0, 1], 0.95))
    assert r.layer(1, "last_hidden") == 2 and r.layer(1, "output") == 3
    # the 5-hidden... here 3-hidden network at depth index 1 is the same network whatever else is in the sweep
    alone = depth._compute(depth.Config(architectures=((10, 7, 5),), n_bootstrap=0, **TINY), None)
    np.testing.assert_allclose(alone.train_loss[0], r.train_loss[1], atol=2e-5)


# ------------------------------------------------------------------------------------------------
# Generalization and the IB bound


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
