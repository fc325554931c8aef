"""Faults a long run meets: SIGTERM, an unwritable checkpoint folder, a corrupt cache entry, two processes
asking for the same result, a run that diverges with a finite loss. Nothing finished is lost, every message
says what happened, and the numbers after recovery equal an uninterrupted run."""

import dataclasses
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

import ipflow_lib
from ipflow_lib import ensembles, experiments, runtime
from ipflow_lib.datasets import tishby_12bit, train_test_masks
from ipflow_lib.ensembles import TrainingSpec, TrainingStopped, train_ensemble
from ipflow_lib.estimators import binned_mi
from ipflow_lib.experiments import cached_run
from ipflow_lib.experiments import information_plane as ip
from ipflow_lib.runtime import Checkpoint

PACKAGE_DIR = Path(ipflow_lib.__file__).resolve().parent
TINY = ip.Config(training=TrainingSpec(hidden_widths=(5, 3), n_networks=2, n_epochs=30, n_logged_points=12,
                                       batch_size=256), n_calls=1)
SMALL = TrainingSpec(hidden_widths=(6, 4, 3), custom_logged_epochs=(0, 1, 3, 7, 11), n_epochs=12, batch_size=128,
                     learning_rate=1e-2, n_networks=3)


@pytest.fixture(scope="module")
def data():
    X, y = tishby_12bit()
    train, test = train_test_masks(4096, 0.3, [0, 1, 2])
    return X, y, train, test


# ---------------------------------------------------------------------------------------------------
# SIGTERM: handled like Ctrl-C, through the command line
# ---------------------------------------------------------------------------------------------------

# The CLI on the information-plane experiment with TINY as its quick preset; every binning of a layer appends a
# line to MARKER (and sleeps SLOW seconds), so that the parent can stop it part way.
CLI_CHILD = '''
import os, sys, time
sys.path.insert(0, os.environ["SRC"])  # a copy of the sources: edits to the tree during the test change no key
import numpy as np
import ipflow_lib.estimators as estimators
assert estimators.__file__.startswith(os.environ["SRC"]), estimators.__file__
from ipflow_lib import cli
from ipflow_lib.ensembles import TrainingSpec
from ipflow_lib.experiments import information_plane as ip

real = estimators.FixedBins.from_device  # the binning of every layer at every logged epoch
def counted(self, words, y, n_units):
    with open(os.environ["MARKER"], "a") as f:
        f.write("x\\n")
    time.sleep(float(os.environ["SLOW"]))
    return real(self, words, y, n_units)

estimators.FixedBins.from_device = counted
ip.PRESETS["quick"] = ip.Config(training=TrainingSpec(hidden_widths=(5, 3), n_networks=2, n_epochs=30,
                                                      n_logged_points=12, batch_size=256), n_calls=1)
start = time.perf_counter()
rc = cli.main(["run", "information-plane", "--preset", "quick"])
wall = time.perf_counter() - start
if rc == 0:  # the result, as the cache holds it
    r = ip.run(ip.PRESETS["quick"])
    np.savez(os.environ["OUT"], wall=wall, elapsed=r.info.elapsed_s, from_cache=r.info.from_cache,
             **{name: getattr(r, name) for name in ("i_xt", "i_ty", "train_loss", "test_loss", "grad_mean")})
sys.exit(rc)
'''


def test_sigterm_saves_the_checkpoint_says_so_and_the_rerun_resumes_to_the_same_numbers(tmp_path):
    script, marker, cache = tmp_path / "child.py", tmp_path / "calls.txt", tmp_path / "cache"
    script.write_text(CLI_CHILD)
    shutil.copytree(PACKAGE_DIR, tmp_path / "src" / "ipflow_lib", ignore=shutil.ignore_patterns("__pycache__"))
    env = {**os.environ, "IPFLOW_CACHE": str(cache), "IPFLOW_PROGRESS": "0", "MARKER": str(marker), "SLOW": "0.15",
           "SRC": str(tmp_path / "src"), "OUT": str(tmp_path / "out.npz"), "PYTHONDONTWRITEBYTECODE": "1"}
    n_layers, n_logged = 3, TINY.training.logged_epochs.size
    child = subprocess.Popen([sys.executable, str(script)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    deadline = time.monotonic() + 120
    while (not marker.exists() or len(marker.read_text().split()) < 4 * n_layers) and time.monotonic() < deadline:
        time.sleep(0.05)  # until the 4th logged epoch is measured
    child.send_signal(signal.SIGTERM)
    out, err = child.communicate(timeout=120)
    assert child.returncode == 143, err
    assert "ipflow: terminated (SIGTERM)" in err and "the same command resumes" in err and "Traceback" not in err
    checkpoints = list((cache / "checkpoints").glob("information-plane-*-0.pkl"))  # the trainer call's
    assert len(checkpoints) == 1
    index = Checkpoint(checkpoints[0]).load()["index"]
    assert 4 <= index < n_logged
    assert not (cache / "results").exists() or not list((cache / "results").rglob("output.pkl"))

    marker.unlink()
    again = subprocess.run([sys.executable, str(script)], env={**env, "SLOW": "0"}, capture_output=True, text=True,
                           timeout=300)
    assert again.returncode == 0, again.stderr
    assert len(marker.read_text().split()) == (n_logged - index) * n_layers  # only the epochs not done before
    loaded = np.load(tmp_path / "out.npz")  # the resumed result, loaded from the cache by the child
    assert loaded["from_cache"]
    reference = ip.compute(TINY, None)  # an uninterrupted run
    for name in ("i_xt", "i_ty", "train_loss", "test_loss", "grad_mean"):
        np.testing.assert_array_equal(loaded[name], getattr(reference, name), err_msg=name)
    # the compute time of the interrupted run counts: more than the rerun alone could have taken
    assert loaded["elapsed"] > loaded["wall"] and loaded["elapsed"] > 4 * n_layers * 0.15


def test_sigterm_as_interrupt_raises_in_the_block_and_restores_the_handler():
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    with pytest.raises(runtime.Terminated), runtime.sigterm_as_interrupt():
        assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, signal.SIG_IGN)  # else the kill kills us
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler raises here
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL and not runtime.termination_requested()
    assert issubclass(runtime.Terminated, KeyboardInterrupt)  # every Ctrl-C path (checkpoints) handles it
    # while a trainer watches the flag, SIGTERM only sets it: the trainer stops at a safe point
    with runtime.sigterm_as_interrupt():
        watch = runtime.watch_termination()
        try:
            assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, signal.SIG_IGN)
            os.kill(os.getpid(), signal.SIGTERM)
            deadline = time.monotonic() + 5
            while not runtime.termination_requested() and time.monotonic() < deadline:
                time.sleep(0.01)
            assert runtime.termination_requested()
        finally:
            watch.close()
    assert not runtime.termination_requested() and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL

    def in_a_thread():
        with runtime.sigterm_as_interrupt():  # not the main thread: nothing installed
            seen.append(signal.getsignal(signal.SIGTERM))

    seen = []
    worker = threading.Thread(target=in_a_thread)
    worker.start()
    worker.join()
    assert seen == [signal.SIG_DFL]


def test_ctrl_c_inside_the_trainer_saves_the_last_finished_epoch(data, tmp_path):
    X, y, train, test = data
    reference = train_ensemble(X, y, train, test, SMALL)
    calls = []

    n_layers = len(SMALL.hidden_widths) + 1  # the estimator runs once per layer (softmax output included)

    def interrupting(t, labels):  # Ctrl-C while logged epoch 2 is measured (reaches the main thread)
        calls.append(1)
        if len(calls) == 2 * n_layers + 1:
            import _thread

            _thread.interrupt_main()
        return binned_mi(t, labels)

    ckpt = Checkpoint(tmp_path / "run.pkl")
    with pytest.raises(KeyboardInterrupt):
        train_ensemble(X, y, train, test, SMALL, estimators={"binning": interrupting}, checkpoint=ckpt,
                       checkpoint_every_s=1e9)  # no periodic save: only the interruption writes it
    state = ckpt.load()
    assert 2 <= state["index"] < 5
    resumed = train_ensemble(X, y, train, test, SMALL, checkpoint=ckpt)
    np.testing.assert_array_equal(resumed.estimates["binning"].i_xt, reference.estimates["binning"].i_xt)
    np.testing.assert_array_equal(resumed.train_loss, reference.train_loss)
    np.testing.assert_array_equal(resumed.params[0][0], reference.params[0][0])


# ---------------------------------------------------------------------------------------------------
# Progress bars count training epochs
# ---------------------------------------------------------------------------------------------------


def test_a_resumed_progress_bar_counts_training_epochs(data, tmp_path, monkeypatch):
    X, y, train, test = data
    stop = threading.Event()

    def stopping(t, labels):
        stop.set()  # at logged epoch 0: the run stops after its first logged epoch
        return binned_mi(t, labels)

    ckpt = Checkpoint(tmp_path / "run.pkl")
    with pytest.raises(TrainingStopped):
        train_ensemble(X, y, train, test, SMALL, estimators={"binning": stopping}, checkpoint=ckpt, stop=stop)
    done = ckpt.load()["epoch"]
    bars = []

    class Recorder:
        def __init__(self, **kwargs):
            self.kwargs, self.updates = kwargs, []
            bars.append(self)

        def update(self, n):
            self.updates.append(n)

        def close(self):
            pass

    monkeypatch.setattr(ensembles, "progress", Recorder)
    train_ensemble(X, y, train, test, SMALL, checkpoint=ckpt)
    (bar,) = bars
    assert bar.kwargs["total"] == SMALL.custom_logged_epochs[-1] + 1 == 12 and bar.kwargs["initial"] == done
    assert sum(bar.updates) == 12 - done and bar.kwargs["unit"] == "epoch"
    after = [e + 1 for e in SMALL.custom_logged_epochs if e + 1 > done]  # epochs done after each logged one
    assert bar.updates == np.diff([done, *after]).tolist()  # the epochs trained, not 1 per logged epoch


# ---------------------------------------------------------------------------------------------------
# A checkpoint that cannot be written
# ---------------------------------------------------------------------------------------------------


def test_an_unwritable_checkpoint_folder_warns_once_and_the_run_finishes(data, tmp_path):
    X, y, train, test = data
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.warns(RuntimeWarning, match="cannot write checkpoints") as caught:
        run = train_ensemble(X, y, train, test, SMALL, checkpoint=Checkpoint(blocker / "run.pkl"),
                             checkpoint_every_s=0)  # a save after every logged epoch: five attempts
    assert len([w for w in caught if "cannot write checkpoints" in str(w.message)]) == 1
    reference = train_ensemble(X, y, train, test, SMALL)
    np.testing.assert_array_equal(run.estimates["binning"].i_xt, reference.estimates["binning"].i_xt)


@dataclasses.dataclass
class R:
    values: np.ndarray
    info: object = None


def test_a_cached_run_with_an_unwritable_checkpoint_folder_still_returns_and_caches(tmp_path):
    (experiments.cache_dir()).mkdir(parents=True, exist_ok=True)
    (experiments.cache_dir() / "checkpoints").write_text("a file where the folder should be")
    calls = []

    def compute(config, checkpoint):
        for step in range(3):
            checkpoint.save({"step": step})
        calls.append(1)
        return R(np.arange(4.0) * config)

    with pytest.warns(RuntimeWarning, match="cannot write checkpoints"):
        first = cached_run("toy-ro-checkpoint", 2, compute)
    assert first.values.tolist() == [0, 2, 4, 6]
    assert cached_run("toy-ro-checkpoint", 2, compute).info.from_cache and len(calls) == 1


# ---------------------------------------------------------------------------------------------------
# Corrupt cache entries: checksum verified on load
# ---------------------------------------------------------------------------------------------------


def entry_of(experiment: str) -> Path:
    (path,) = (experiments.cache_dir() / "results" / experiment).rglob("output.pkl")
    return path


@pytest.mark.parametrize("damage", ["flip one bit", "truncate"])
def test_a_corrupt_cache_entry_is_detected_recomputed_and_the_provenance_says_so(damage):
    calls = []

    def compute(config, checkpoint):
        calls.append(1)
        return R(np.linspace(0.0, 1.0, 1000) * config)

    first = cached_run("toy-damaged", 3, compute)
    path = entry_of("toy-damaged")
    data = bytearray(path.read_bytes())
    if damage == "flip one bit":
        data[len(data) - 2000] ^= 0x40  # inside the array's bytes: still a valid pickle, a wrong number
        path.write_bytes(bytes(data))
    else:
        path.write_bytes(bytes(data[: len(data) // 2]))
    with pytest.warns(RuntimeWarning, match="corrupt"):
        again = cached_run("toy-damaged", 3, compute)
    assert len(calls) == 2 and not again.info.from_cache
    assert again.info.recomputed == "the cache entry was corrupt (checksum mismatch)"
    assert "recomputed in this build because the cache entry was corrupt" in again.info.describe()
    np.testing.assert_array_equal(again.values, first.values)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the rewritten entry is sound
        third = cached_run("toy-damaged", 3, compute)
    assert third.info.from_cache and third.info.recomputed == "" and len(calls) == 2
    assert "loaded from the cache" in third.info.describe()


# ---------------------------------------------------------------------------------------------------
# Two processes, one result
# ---------------------------------------------------------------------------------------------------

CONCURRENT_CHILD = '''
import dataclasses, json, os, sys, time
from pathlib import Path
from ipflow_lib.experiments import cached_run

@dataclasses.dataclass
class R:
    value: float
    info: object = None

def compute(config, checkpoint):
    with open(os.environ["MARKER"], "a") as f:
        f.write("computing\\n")
    time.sleep(3)
    return R(config * 1.5)

result = cached_run("toy-concurrent", 4, compute)
print(json.dumps({"value": result.value, "from_cache": result.info.from_cache}))
'''


def test_two_processes_asking_for_one_result_compute_it_once(tmp_path):
    import json

    script, marker = tmp_path / "child.py", tmp_path / "computations.txt"
    script.write_text(textwrap.dedent(CONCURRENT_CHILD))
    env = {**os.environ, "IPFLOW_CACHE": str(tmp_path / "cache"), "MARKER": str(marker)}

    def start():
        return subprocess.Popen([sys.executable, str(script)], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    first = start()
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.02)  # the first one holds the lock and computes
    second = start()
    outs = [p.communicate(timeout=120) for p in (first, second)]
    assert first.returncode == 0 and second.returncode == 0, outs
    assert marker.read_text().split() == ["computing"]  # once
    results = [json.loads(out.strip().splitlines()[-1]) for out, _ in outs]
    assert results == [{"value": 6.0, "from_cache": False}, {"value": 6.0, "from_cache": True}]
    assert "another process is computing this result; waiting" in outs[1][1]


# ---------------------------------------------------------------------------------------------------
# Divergence with a finite loss
# ---------------------------------------------------------------------------------------------------


def test_a_finite_but_exploding_loss_is_detected_with_what_to_do(data, monkeypatch):
    X, y, train, test = data
    exploding = SMALL.replace(optimizer="sgd", learning_rate=1e30)
    with pytest.raises(ValueError, match=r"diverged.*finite but exploding.*lower learning_rate \(now 1e\+30\)"):
        train_ensemble(X, y, train, test, exploding, estimators={})
    # the bound leaves an ordinary SGD run alone
    run = train_ensemble(X, y, train, test, SMALL.replace(optimizer="sgd", learning_rate=0.5), estimators={})
    assert np.isfinite(run.train_loss).all() and run.train_loss.max() < 2 * run.train_loss[:, 0].max()
    # and it is the bound that catches the exploding run: its loss is finite, so without the bound it passes
    monkeypatch.setattr(ensembles, "DIVERGENCE_FACTOR", 1e60)
    silent = train_ensemble(X, y, train, test, exploding, estimators={})
    assert np.isfinite(silent.train_loss).all() and silent.train_loss.max() > 1e20
