"""Sweeps on threads, Dask or Ray (ipflow_lib.parallel): the same numbers bit for bit on every backend, the
first error and Ctrl-C stop the running calls (across processes too), an interrupted cluster run resumes
from its checkpoints to the same numbers, and the command line checks --backend / --scheduler."""

import contextlib
import os
import signal
import threading
import time

import numpy as np
import pytest

from ipflow_lib import cli, parallel
from ipflow_lib.datasets import tishby_12bit, train_test_masks
from ipflow_lib.ensembles import TrainingSpec
from ipflow_lib.experiments._sweep import GroupSpec, train_groups
from ipflow_lib.runtime import Checkpoint

SPEC = TrainingSpec(hidden_widths=(6, 4, 3), n_epochs=300, n_logged_points=30, batch_size=256, learning_rate=3e-3,
                    n_networks=2)
LONG = SPEC.replace(n_epochs=1200, n_logged_points=100)  # long enough to interrupt while it runs


def sweep(spec, checkpoint=None, n_workers=None, every_s=60.0, fractions=(0.3, 0.5, 0.7)):
    """A small training-size sweep: three groups of two networks (30 %, 50 %, 70 % training sets)."""
    X, y = tishby_12bit()
    seeds = np.arange(2)
    groups = []
    for fraction in fractions:
        train, test = train_test_masks(X.shape[0], fraction, seeds)
        groups.append(GroupSpec(train_mask=train, test_mask=test, seeds=seeds, hidden_widths=spec.hidden_widths,
                                desc=f"train {fraction:.0%}"))
    return train_groups(X, y, groups, spec, n_bins=30, checkpoint=checkpoint, n_workers=n_workers,
                        checkpoint_every_s=every_s)


def assert_same(a, b):
    assert len(a) == len(b)
    for ga, gb in zip(a, b, strict=True):
        assert ga.keys() == gb.keys()
        for key in ga:
            np.testing.assert_array_equal(ga[key], gb[key], err_msg=key)  # bitwise, not approximately


@pytest.fixture(scope="module")
def reference():
    with parallel.use_backend("threads"):
        return sweep(SPEC, n_workers=2)


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed", reason="dask[distributed] is not installed (requirements.txt)")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as local:
        yield local


# ---------------------------------------------------------------------------------------------------
# choosing the backend
# ---------------------------------------------------------------------------------------------------

def test_the_backend_comes_from_the_setter_else_the_environment(monkeypatch):
    monkeypatch.delenv(parallel.BACKEND_ENV, raising=False)
    monkeypatch.delenv(parallel.SCHEDULER_ENV, raising=False)
    assert parallel.current_backend() == ("threads", None)
    monkeypatch.setenv(parallel.BACKEND_ENV, "dask")
    monkeypatch.setenv(parallel.SCHEDULER_ENV, "tcp://10.0.0.1:8786")
    assert parallel.current_backend() == ("dask", "tcp://10.0.0.1:8786")
    with parallel.use_backend("threads"):
        assert parallel.current_backend() == ("threads", None)
    assert parallel.current_backend() == ("dask", "tcp://10.0.0.1:8786")
    monkeypatch.setenv(parallel.BACKEND_ENV, "spark")
    with pytest.raises(ValueError, match=r"\$IPFLOW_BACKEND='spark'"):
        parallel.current_backend()
    for bad, words in (({"name": "mpi"}, "one of threads, dask, ray"),
                       ({"name": "threads", "scheduler": "tcp://h:1"}, "needs the dask or ray"),
                       ({"name": "dask", "scheduler": "my cluster"}, "not a dask address"),
                       ({"name": "dask", "scheduler": "tcp://host"}, "not a dask address")):
        with pytest.raises(ValueError, match=words):
            parallel.check_backend(**bad)
    assert parallel.check_backend("ray", "auto") == ("ray", "auto")


# ---------------------------------------------------------------------------------------------------
# threads: the behaviour of the old runner
# ---------------------------------------------------------------------------------------------------

def test_threads_start_in_order_raise_the_first_error_and_stop_the_running_jobs():
    started, saw_stop, lock = [], [], threading.Lock()

    def job(i):
        def run(stop):
            with lock:
                started.append(i)
            if i == 1:
                time.sleep(0.2)
                raise ValueError("group 1 diverged")
            for _ in range(200):  # a long job: stops when told to
                if stop.is_set():
                    saw_stop.append(i)
                    raise RuntimeError("stopped")  # what TrainingStopped does
                time.sleep(0.05)
            return i
        return run

    with parallel.use_backend("threads"), pytest.raises(ValueError, match="group 1 diverged"):
        parallel.run_jobs([job(i) for i in range(4)], n_workers=2)
    assert started == [0, 1]  # in the given order; jobs 2 and 3 never started
    assert saw_stop == [0]


def test_one_worker_runs_in_the_calling_thread_and_reports_each_finished_job():
    threads, done = [], []

    def job(i):
        def run(stop):
            threads.append(threading.current_thread())
            return i * i
        return run

    with parallel.use_backend("threads"):
        assert parallel.run_jobs([job(i) for i in range(3)], n_workers=1,
                                 on_done=lambda i, out: done.append((i, out))) == [0, 1, 4]
    assert set(threads) == {threading.main_thread()} and done == [(0, 0), (1, 1), (2, 4)]
    with pytest.raises(ValueError, match="n_workers"):
        parallel.run_jobs([job(0)], n_workers=0)


def test_the_thread_count_does_not_change_the_numbers(reference):
    with parallel.use_backend("threads"):
        assert_same(sweep(SPEC, n_workers=1), reference)


# ---------------------------------------------------------------------------------------------------
# dask: a real local cluster of two worker processes
# ---------------------------------------------------------------------------------------------------

def test_a_dask_sweep_gives_the_threads_numbers_bit_for_bit(cluster, reference):
    with parallel.use_backend("dask", cluster.scheduler_address):
        assert_same(sweep(SPEC), reference)


def test_a_worker_error_reaches_the_driver_with_its_traceback_and_stops_the_others(cluster, tmp_path):
    marker = tmp_path / "stopped"

    def job(i):
        def run(stop):
            if i == 0:
                time.sleep(0.5)
                raise ValueError(f"bad group {i}")
            for _ in range(600):
                if stop.is_set():  # a StopFile: the other process set it
                    marker.write_text(type(stop).__name__)
                    raise RuntimeError("stopped")
                time.sleep(0.05)
            return i
        return run

    with parallel.use_backend("dask", cluster.scheduler_address), pytest.raises(ValueError, match="bad group 0") as err:
        parallel.run_jobs([job(0), job(1)], stop_file=tmp_path / "run.stop")
    assert any("traceback on the worker" in note for note in err.value.__notes__)
    assert marker.read_text() == "StopFile"
    assert not (tmp_path / "run.stop").exists()  # removed after the run


#: One short group (10 % of the data: 1 mini-batch per epoch) before two long ones (6 and 7 mini-batches)
UNEVEN = (0.1, 0.6, 0.7)


@pytest.fixture(scope="module")
def uneven_reference():
    with parallel.use_backend("threads"):
        return sweep(LONG, n_workers=2, fractions=UNEVEN)


@pytest.fixture(scope="module")
def long_reference():
    with parallel.use_backend("threads"):
        return sweep(LONG, n_workers=2)


def test_ctrl_c_stops_the_dask_workers_and_the_rerun_resumes_to_the_same_numbers(cluster, uneven_reference,
                                                                                   tmp_path, monkeypatch):
    """Ctrl-C reaches the driver while the sweep runs: once a running group has saved a checkpoint, or else once
    the first group is saved as done (Dask decides which groups run first and where). The running groups save
    their progress and stop before ``run_jobs`` returns, and the rerun resumes to the numbers of a run that was
    never interrupted, bit for bit."""
    expected = uneven_reference
    ckpt = Checkpoint(tmp_path / "sweep.pkl")
    subs = lambda: sorted(tmp_path.glob("sweep-*.pkl"))  # noqa: E731 - the running groups' own checkpoints
    clear, sent, lock = Checkpoint.clear, [], threading.Lock()

    def interrupt(why):
        with lock:
            if not sent:
                sent.append(why)
                os.kill(os.getpid(), signal.SIGINT)

    def clear_then_interrupt(self):  # the driver, done saving a finished group (workers are other processes)
        clear(self)
        if self.path.parent == tmp_path and self.path.name.startswith("sweep-"):
            interrupt(f"{self.path.name} done")

    def watch():  # a group has saved a checkpoint (read by the driver, as a rerun would)
        end = time.monotonic() + 120
        while time.monotonic() < end and not sent:
            for path in subs():
                with contextlib.suppress(Exception):  # being replaced right now: look again
                    if Checkpoint(path).load()["epoch"] > 0:
                        interrupt(f"{path.name} at epoch > 0")
            time.sleep(0.02)

    # Ctrl-C raises KeyboardInterrupt even where this process was started ignoring SIGINT (a background job of a
    # non-interactive shell, e.g. `nohup make test &`), as an interactive one does
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    with contextlib.ExitStack() as restore, parallel.use_backend("dask", cluster.scheduler_address):
        restore.callback(signal.signal, signal.SIGINT, previous)
        tic = time.monotonic()
        watcher = threading.Thread(target=watch, daemon=True)
        with monkeypatch.context() as patch, pytest.raises(KeyboardInterrupt):
            patch.setattr(Checkpoint, "clear", clear_then_interrupt)
            watcher.start()
            sweep(LONG, checkpoint=ckpt, every_s=0.0, fractions=UNEVEN)  # a save after every logged epoch
        watcher.join()
        done = (ckpt.load() or {}).get("done", {})
        assert sent and len(done) < 3, (sent, sorted(done))  # stopped before the end; finished groups are saved
        saved = {p.name: Checkpoint(p).load() for p in subs()}
        assert all(0 < state["epoch"] < LONG.n_epochs for state in saved.values()), saved.keys()
        assert not (tmp_path / "sweep.stop").exists()
        # the workers stopped (their checkpoints no longer change) before run_jobs returned
        stamps = {p: p.stat().st_mtime_ns for p in subs()}
        time.sleep(1.0)
        assert stamps == {p: p.stat().st_mtime_ns for p in subs()}
        resumed = sweep(LONG, checkpoint=ckpt, every_s=0.0, fractions=UNEVEN)
    assert time.monotonic() - tic < 110
    assert_same(resumed, expected)
    assert subs() == [] and set(ckpt.load()["done"]) == {0, 1, 2}


def test_a_killed_dask_worker_leaves_a_checkpoint_from_which_its_call_finishes_with_the_same_numbers(
        long_reference, tmp_path):
    """SIGKILL one of two worker processes while both are inside their groups (each has saved a checkpoint):
    Dask reruns the lost call (``allowed-failures``, 3 by default), which resumes from the checkpoint the dead
    worker left, and the run ends with the numbers of a run that was never interrupted, bit for bit."""
    distributed = pytest.importorskip("distributed", reason="dask[distributed] is not installed (requirements.txt)")

    ckpt = Checkpoint(tmp_path / "sweep.pkl")
    subs = lambda: sorted(tmp_path.glob("sweep-*.pkl"))  # noqa: E731 - the running groups' own checkpoints
    seen = {}
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as local, distributed.Client(local) as client:
        victim = next(iter(client.run(os.getpid).values()))  # a worker process (each runs a group)

        def kill():
            end = time.monotonic() + 120
            while time.monotonic() < end and len(subs()) < 2:  # both workers are inside their groups
                time.sleep(0.05)
            seen.update({p.name: Checkpoint(p).load()["epoch"] for p in subs()})
            os.kill(victim, signal.SIGKILL)

        killer = threading.Thread(target=kill, daemon=True)
        killer.start()
        with parallel.use_backend("dask", local.scheduler_address):
            result = sweep(LONG, checkpoint=ckpt, every_s=0.0)
        killer.join()
    assert len(seen) >= 2 and all(0 < epoch < LONG.n_epochs for epoch in seen.values()), seen
    assert_same(result, long_reference)
    assert subs() == [] and set(ckpt.load()["done"]) == {0, 1, 2}


# ---------------------------------------------------------------------------------------------------
# ray
# ---------------------------------------------------------------------------------------------------

def test_a_ray_sweep_gives_the_threads_numbers(reference):
    ray = pytest.importorskip("ray", reason="ray is not installed (requirements.txt pins it; optional "
                                            "extra: pip install 'ipflow[ray]')")
    ray.init(num_cpus=2, include_dashboard=False)
    try:
        with parallel.use_backend("ray"):
            assert_same(sweep(SPEC), reference)
    finally:
        ray.shutdown()


# ---------------------------------------------------------------------------------------------------
# the command line
# ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("args, env, words", [
    (["--backend", "spark"], {}, ["backend must be one of threads, dask, ray", "'spark'"]),
    (["--backend", "threads", "--scheduler", "tcp://h:8786"], {}, ["needs the dask or ray backend"]),
    (["--backend", "dask", "--scheduler", "my laptop"], {}, ["not a dask address"]),
    (["--scheduler", "tcp://h:8786"], {}, ["needs the dask or ray backend"]),
    ([], {"IPFLOW_BACKEND": "mpi"}, ["$IPFLOW_BACKEND='mpi'"]),
])
def test_bad_backends_exit_2_with_one_line_before_anything_runs(args, env, words, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("IPFLOW_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv(parallel.BACKEND_ENV, raising=False)
    monkeypatch.delenv(parallel.SCHEDULER_ENV, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert cli.main(["run", "information-plane", "--preset", "quick", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("ipflow: "), err
    for word in words:
        assert word in err[0], (word, err[0])
    assert not (tmp_path / "cache").exists()  # checked before the cache folder was even made


def test_a_backend_that_is_not_installed_says_how_to_install_it(capsys, monkeypatch, tmp_path):
    import importlib.util

    if importlib.util.find_spec("ray") is not None:
        pytest.skip("ray is installed here")
    monkeypatch.setenv("IPFLOW_CACHE", str(tmp_path / "cache"))
    assert cli.main(["run", "information-plane", "--backend", "ray"]) == 2
    assert "pip install 'ipflow[ray]'" in capsys.readouterr().err
