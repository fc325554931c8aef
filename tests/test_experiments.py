"""Presets, the result cache (hits, library changes, corrupt entries), checkpoints and the CLI."""

import dataclasses
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from ipflow_lib import experiments
from ipflow_lib.ensembles import TrainingSpec
from ipflow_lib.experiments import Checkpoint, cached_run, preset_name, select_config
from ipflow_lib.experiments import information_plane as ip


@dataclasses.dataclass
class R:
    value: int
    info: object = None


TINY = ip.Config(training=TrainingSpec(hidden_widths=(5, 3), n_networks=2, n_epochs=30, n_logged_points=12,
                                       batch_size=256))


def test_preset_is_read_from_the_environment(monkeypatch):
    monkeypatch.delenv("IPFLOW_PRESET", raising=False)
    assert preset_name() == "paper"
    monkeypatch.setenv("IPFLOW_PRESET", "quick")
    assert preset_name() == "quick"
    assert select_config(ip.PRESETS) == ip.PRESETS["quick"]
    monkeypatch.setenv("IPFLOW_PRESET", "fast")
    with pytest.raises(ValueError, match="IPFLOW_PRESET"):
        preset_name()


def test_paper_preset_is_the_published_setting():
    cfg = ip.PRESETS["paper"]
    spec = cfg.training
    assert (12, *spec.hidden_widths, 2) == (12, 10, 7, 5, 4, 3, 2)
    assert spec.n_networks == 50 and spec.n_epochs == 10_000 and cfg.n_bins == 30 and cfg.train_fraction == 0.85
    assert spec.logged_epochs.size == 964 and spec.activation == "tanh"
    assert spec.optimizer == "adam" and spec.learning_rate == 4e-4 and spec.batch_size == 512
    quick = ip.PRESETS["quick"].training
    assert quick.n_networks == 10 and quick.n_epochs == 1500 and quick.hidden_widths == spec.hidden_widths


def test_information_plane_result_and_cache():
    first = ip.run(TINY)
    n_logged = TINY.training.logged_epochs.size
    assert first.i_xt.shape == (2, n_logged, 3) and first.i_ty.shape == (2, n_logged, 3)
    assert first.grad_mean.shape == (2, n_logged, 3) and first.train_acc.shape == (2, n_logged)
    assert (first.i_xt <= 12 + 1e-9).all() and (first.i_ty <= first.h_y + 1e-9).all()
    assert first.h_y == pytest.approx(0.99916, abs=1e-5) and first.h_x == 12
    assert not first.info.from_cache and first.info.preset is None
    second = ip.run(TINY)
    assert second.info.from_cache
    np.testing.assert_array_equal(first.i_xt, second.i_xt)
    assert "loaded from the cache" in second.info.describe()


def test_a_result_computed_beside_other_experiments_says_so(monkeypatch):
    """``make book`` runs JOBS experiments at once and sets $IPFLOW_PROCESSES: their times are measured under
    each other's load, and the chapter's line says so; alone (unset, or nonsense) it says nothing of the kind."""
    from ipflow_lib.experiments import ib_bound

    config = ib_bound.Config(n_betas=12)
    monkeypatch.setenv("IPFLOW_PROCESSES", "2")
    shared = ib_bound.run(config)
    assert shared.info.processes == 2
    assert "computed in this build, one of 2 experiments computed at once on this machine" in shared.info.describe()
    for value in ("", "zero", "0"):
        monkeypatch.setenv("IPFLOW_PROCESSES", value)
        alone = ib_bound.run(dataclasses.replace(config, n_betas=13 + len(value)))
        assert alone.info.processes == 1 and "at once" not in alone.info.describe()


def test_information_plane_summary_is_the_numbers_of_the_arrays():
    r = ip.run(TINY)
    summary = r.summary()
    assert all(isinstance(k, str) and isinstance(v, int | float | str) for k, v in summary.items())
    mean_xt = r.i_xt.mean(axis=0)
    drop = mean_xt.max(axis=0) - mean_xt[-1]
    assert summary["arch"] == "12-5-3-2" and summary["n_layers"] == 3 and summary["n_networks"] == 2
    assert summary["batch"] == 256 and summary["learning_rate"] == 4e-4 and summary["n_logged"] == r.logged_epochs.size
    assert summary["max_compression"] == pytest.approx(drop.max())
    assert summary["max_compression_layer"] == int(drop.argmax()) + 1
    assert summary["first_ixt"] == pytest.approx(mean_xt[-1, 0])
    assert summary["last_ixt"] == pytest.approx(mean_xt[-1, 1])  # the last hidden layer, before the output
    transitions = r.drift_diffusion_transition()
    finite = transitions[np.isfinite(transitions)]
    assert summary["n_transition"] == finite.size
    assert summary["transition_min"] == (int(finite.min()) if finite.size else -1)
    assert r.layer_names() == ["L1", "L2", "L3"] and r.layer_names(units=True) == ["L1 (5)", "L2 (3)", "L3 (2)"]
    assert len(r.layer_table().splitlines()) == 3


def test_information_plane_split_into_calls_gives_the_same_networks():
    """The networks are trained in ``n_calls`` threaded calls; each network's numbers depend on its seed only."""
    three_networks = TINY.training.replace(n_networks=3)
    one = ip.compute(dataclasses.replace(TINY, training=three_networks, n_calls=1), None)
    three = ip.compute(dataclasses.replace(TINY, training=three_networks, n_calls=3), None)
    for name in ("train_loss", "test_loss", "train_acc", "test_acc", "grad_mean", "weight_norm"):
        np.testing.assert_allclose(getattr(one, name), getattr(three, name), rtol=1e-4, atol=1e-5, err_msg=name)
    np.testing.assert_allclose(one.i_xt, three.i_xt, atol=1e-2)  # a few inputs may cross a bin edge
    with pytest.raises(ValueError, match="n_calls"):
        dataclasses.replace(TINY, n_calls=0)


def test_a_changed_library_is_not_served_from_the_cache(monkeypatch):
    calls = []

    def compute(config, checkpoint):
        calls.append(config)
        return R(len(calls))

    assert cached_run("toy", 1, compute).value == 1
    assert cached_run("toy", 1, compute).value == 1
    monkeypatch.setattr(experiments._common, "library_hash", lambda: "changed")
    assert cached_run("toy", 1, compute).value == 2


def test_a_corrupt_cache_entry_is_recomputed():
    calls = []

    def compute(config, checkpoint):
        calls.append(config)
        return R(len(calls))

    cached_run("toy-corrupt", 2, compute)
    outputs = list((experiments.cache_dir() / "results").rglob("output.pkl"))
    assert outputs
    for path in outputs:
        path.write_bytes(b"not a pickle")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again = cached_run("toy-corrupt", 2, compute)
    assert again.value == 2 and len(calls) == 2


def test_a_resumed_run_reports_the_compute_time_of_the_interrupted_run_too():
    """The chapter's "N min of computation" counts every run that built the result, not just the last."""
    import time

    def compute(config, checkpoint):
        state = checkpoint.load() or {}
        if "first_half" not in state:
            time.sleep(0.3)
            checkpoint.save({"first_half": True})
            raise KeyboardInterrupt  # the user stops the run half-way
        return R(1)

    with pytest.raises(KeyboardInterrupt):
        cached_run("toy-resumed", 3, compute)
    result = cached_run("toy-resumed", 3, compute)
    assert result.value == 1
    assert result.info.elapsed_s >= 0.3  # the resumed call alone took milliseconds


def test_corrupt_checkpoint_warns_and_starts_over(tmp_path):
    ckpt = Checkpoint(tmp_path / "c.pkl")
    ckpt.save({"index": 3})
    assert ckpt.load() == {"index": 3}
    ckpt.path.write_bytes(b"\x00garbage")
    with pytest.warns(RuntimeWarning, match="unreadable"):
        assert ckpt.load() is None
    assert not ckpt.path.exists()


def test_cli_lists_and_runs(tmp_path):
    env = {"IPFLOW_CACHE": str(tmp_path), "PATH": str(Path(sys.executable).parent)}
    out = subprocess.run([sys.executable, "-m", "ipflow_lib.cli", "list"], capture_output=True, text=True, env=env,
                         check=True)
    assert "information-plane" in out.stdout.split()
    bad = subprocess.run([sys.executable, "-m", "ipflow_lib.cli", "run", "no-such-thing"], capture_output=True,
                         text=True, env=env)
    assert bad.returncode == 2 and "available" in bad.stderr


def test_config_validation():
    with pytest.raises(ValueError, match="n_networks"):
        ip.Config(training=TrainingSpec(n_networks=0))
    with pytest.raises(ValueError, match="n_bins"):
        ip.Config(n_bins=1)
    with pytest.raises(ValueError, match="train_fraction"):
        ip.Config(train_fraction=0.0)
    with pytest.raises(TypeError, match="TrainingSpec"):
        ip.Config(training=(10, 7, 5))
