"""The authors' own run, rerun (:mod:`ipflow_lib.experiments.authors_run`): its presets are the configuration of
the released result files, it is cached under its own name, and its table puts ours beside theirs with the
differences ours − theirs."""

import dataclasses

import numpy as np
import pytest

from ipflow_lib import experiments
from ipflow_lib.experiments import authors_run as ar
from ipflow_lib.experiments import cache_key
from ipflow_lib.experiments import information_plane as ip

TINY = ar.Config(training=dataclasses.replace(ar.AUTHORS_TRAINING, n_networks=2, n_epochs=30, n_logged_points=12),
                 n_calls=1)


def test_paper_preset_is_the_configuration_of_the_released_files():
    cfg = ar.PRESETS["paper"]
    spec = cfg.training
    assert (12, *spec.hidden_widths, 2) == (12, 10, 7, 5, 4, 4, 3, 2)
    assert spec.activation == "tanh" and spec.optimizer == "adam" and spec.learning_rate == 2e-4
    assert spec.batch_size is None  # full batch
    assert cfg.train_fraction == 1.0 and cfg.n_bins == 50
    assert spec.n_epochs == 10_000 and spec.n_networks == 20 and spec.logged_epochs.size == 964
    assert cfg == ar.Config()  # the defaults are the authors' settings
    quick = ar.PRESETS["quick"]
    assert quick.training.n_networks == 4 and quick.training.n_epochs == 1500
    assert dataclasses.replace(quick.training, n_networks=20, n_epochs=10_000, n_logged_points=1800) == spec
    assert (quick.train_fraction, quick.n_bins) == (1.0, 50)
    # the reference data: 7 layers, first hidden to output
    assert len(ar.AUTHORS_I_XT) == len(ar.AUTHORS_I_TY) == len(ar.AUTHORS_ONSET) == 7
    assert np.isnan(ar.AUTHORS_ONSET[:3]).all() and ar.AUTHORS_ONSET[3:] == (452.0, 446.0, 441.0, 533.0)


def test_it_is_an_experiment_cached_under_its_own_name():
    assert "authors-run" in experiments.available() and experiments.get("authors-run") is ar
    assert isinstance(TINY, ip.Config)  # the information-plane settings, reused
    plane_config = ip.Config(training=TINY.training, train_fraction=1.0, n_bins=50, n_calls=1)
    assert cache_key("authors-run", TINY, ar.__name__) != cache_key("information-plane", plane_config, ip.__name__)


def test_tiny_run_table_shapes_and_differences_are_ours_minus_theirs():
    r = ar.run(TINY)
    n_logged = TINY.training.logged_epochs.size
    assert r.plane.i_xt.shape == (2, n_logged, 7) and not r.info.from_cache
    assert ar.run(TINY).info.from_cache
    ours, diff = r.ours(), r.differences()
    mean_xt, mean_ty = r.plane.i_xt.mean(axis=0), r.plane.i_ty.mean(axis=0)
    np.testing.assert_allclose(ours["i_xt"], mean_xt[-1])
    np.testing.assert_allclose(ours["i_ty"], mean_ty[-1])
    np.testing.assert_allclose(diff["i_xt"], mean_xt[-1] - np.array(ar.AUTHORS_I_XT))
    np.testing.assert_allclose(diff["i_ty"], mean_ty[-1] - np.array(ar.AUTHORS_I_TY))
    # the onset is the logged epoch of the peak of the mean I(X;T), compared on the last four layers only
    peak = TINY.training.logged_epochs[np.argmax(mean_xt, axis=0)]
    np.testing.assert_array_equal(ours["onset"][3:], peak[3:])
    np.testing.assert_array_equal(diff["onset"][3:], peak[3:] - np.array(ar.AUTHORS_ONSET[3:]))
    assert np.isnan(ours["onset"][:3]).all() and np.isnan(diff["onset"][:3]).all()
    # the table: a header, a rule, one row per layer with every column of ROW_HEADER
    rows = r.rows()
    assert len(rows) == 7 and all(len(row) == len(ar.ROW_HEADER) for row in rows)
    assert rows[0][0] == "L1 (10)" and rows[-1][0] == "L7 (2)"
    assert float(rows[3][3]) == pytest.approx(diff["i_xt"][3], abs=0.005)  # the signed difference, 2 decimals
    assert rows[0][8] == rows[0][9] == "—"  # no onset of the authors in the first layer
    assert rows[4][2] == "2.79" and rows[6][5] == "0.978"
    lines = r.table().splitlines()
    assert len(lines) == 9 and all(line.count("|") == len(ar.ROW_HEADER) + 1 for line in lines)
    summary = r.summary()
    assert all(isinstance(k, str) and isinstance(v, int | float | str) for k, v in summary.items())
    assert summary["arch"] == "12-10-7-5-4-4-3-2" and summary["n_networks"] == 2 and summary["train_pct"] == 100
    assert summary["max_abs_diff_ixt"] == pytest.approx(np.abs(diff["i_xt"]).max())
    assert summary["max_abs_diff_onset"] == pytest.approx(np.abs(diff["onset"][3:]).max())
    assert (summary["reference_onset_min"], summary["reference_onset_max"]) == (441.0, 533.0)


def test_a_run_with_other_layers_cannot_be_compared():
    other = ar.Config(training=dataclasses.replace(TINY.training, hidden_widths=(5, 3)), n_calls=1)
    with pytest.raises(ValueError, match="7 layers"):
        ar.run(other).ours()
