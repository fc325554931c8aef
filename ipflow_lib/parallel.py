"""Where the independent trainer calls of a sweep run: threads here, or a Dask or Ray cluster, one interface.

Every trainer experiment splits its work into independent calls (groups of networks, regimes, parts of an
ensemble; see :func:`ipflow_lib.experiments._sweep.run_resumable`) and hands them to :func:`run_jobs`, which
runs them through joblib on the chosen backend:

``"threads"`` (default)
    joblib's threading backend, :func:`default_workers` calls at a time (one per CPU core): JAX releases
    the GIL while it computes. One worker (or one call) runs in the calling thread.
``"dask"``
    joblib's dask backend on a ``distributed.Client``: the cluster at ``scheduler`` (``"tcp://host:8786"``),
    or, when none is given, a local cluster of worker processes made for the run and closed afterwards.
``"ray"``
    joblib's ray backend (``ray.util.joblib``) on the Ray cluster at ``scheduler`` (``"ray://host:10001"``,
    ``"auto"``), or a local Ray started for the run.

Choose it with :func:`use_backend` (a context manager) or :func:`set_backend` from Python, with
``$IPFLOW_BACKEND`` / ``$IPFLOW_SCHEDULER`` in the environment, or with ``ipflow run EXP --backend dask
--scheduler tcp://host:8786``. The numbers never depend on the backend or the worker count: a network's
result depends only on its seed and data.

Stopping: every call gets a ``stop`` object with ``is_set()`` (what :func:`ipflow_lib.ensembles.train_ensemble`
polls at each logged epoch). On threads it is a :class:`threading.Event`; on a cluster, where an event does
not cross processes, it is a :class:`StopFile`, a file next to the run's checkpoint that every worker can
see (same machine or a shared disk: the checkpoints need one anyway). When a call fails, or the caller is
interrupted (Ctrl-C, SIGTERM through :func:`ipflow_lib.runtime.sigterm_as_interrupt`), ``stop`` is set:
running calls save their checkpoint and return, calls not yet started never start, and :func:`run_jobs`
waits for them before it raises the first error (or the interruption). A second Ctrl-C stops waiting.

A worker process that dies (killed, out of memory) fails its call on the cluster's terms: Dask retries it on
another worker (``distributed.scheduler.allowed-failures`` times, 3 by default), where it resumes from the
checkpoint the dead one left, so the run finishes with the same numbers; past that limit :func:`run_jobs`
raises the cluster's error (``KilledWorker``) with a note that says to rerun.
"""

from __future__ import annotations

import contextlib
import os
import queue
import tempfile
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

__all__ = ["BACKENDS", "BACKEND_ENV", "SCHEDULER_ENV", "StopFile", "check_backend", "current_backend",
           "default_workers", "run_jobs", "set_backend", "use_backend"]

BACKENDS = ("threads", "dask", "ray")
BACKEND_ENV = "IPFLOW_BACKEND"
SCHEDULER_ENV = "IPFLOW_SCHEDULER"
_EXTRA = {"dask": ("distributed", "pip install 'ipflow[dask]'"), "ray": ("ray", "pip install 'ipflow[ray]'")}

_choice: tuple[str, str | None] | None = None  # set_backend's choice; None: the environment decides


def check_backend(name: str, scheduler: str | None = None, *, importable: bool = False) -> tuple[str, str | None]:
    """Validate a backend choice and return it as ``(name, scheduler)``.

    Parameters
    ----------
    name : one of :data:`BACKENDS`
    scheduler : str or None
        The cluster's address (dask: ``"tcp://host:port"`` or ``"host:port"``; ray: ``"ray://host:port"``,
        ``"host:port"`` or ``"auto"``); None: a local cluster made for the run. Not allowed with ``"threads"``.
    importable : also check that the backend's package is installed

    Raises
    ------
    ValueError
        An unknown name, a scheduler with ``"threads"``, an address with spaces or without a port, or (with
        ``importable``) a backend whose package is missing, with the command that installs it.
    """
    if name not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}; got {name!r}")
    if scheduler is not None:
        if not isinstance(scheduler, str) or not scheduler.strip():
            raise ValueError(f"scheduler must be a non-empty address such as 'tcp://host:8786', got {scheduler!r}")
        if name == "threads":
            raise ValueError(f"a scheduler ({scheduler!r}) needs the dask or ray backend, not threads")
        if any(c.isspace() for c in scheduler) or not (
                scheduler == "auto" and name == "ray" or ":" in scheduler.split("://")[-1]):
            example = "tcp://host:8786" if name == "dask" else "ray://host:10001 or 'auto'"
            raise ValueError(f"scheduler {scheduler!r} is not a {name} address (expected e.g. {example})")
    if importable and name in _EXTRA:
        module, install = _EXTRA[name]
        import importlib.util

        if importlib.util.find_spec(module) is None:
            raise ValueError(f"the {name} backend needs the {module!r} package: {install}")
    return name, scheduler


def current_backend() -> tuple[str, str | None]:
    """``(name, scheduler)``: :func:`set_backend`'s choice, else ``$IPFLOW_BACKEND`` (default ``"threads"``)
    and ``$IPFLOW_SCHEDULER`` (ignored with threads).

    Raises
    ------
    ValueError
        ``$IPFLOW_BACKEND`` or ``$IPFLOW_SCHEDULER`` holds a bad value (the message names the variable).
    """
    if _choice is not None:
        return _choice
    name = os.environ.get(BACKEND_ENV, "").strip() or "threads"
    scheduler = os.environ.get(SCHEDULER_ENV, "").strip() or None
    if name == "threads":
        scheduler = None
    try:
        return check_backend(name, scheduler)
    except ValueError as err:
        raise ValueError(f"${BACKEND_ENV}={name!r} / ${SCHEDULER_ENV}={scheduler!r}: {err}") from None


def set_backend(name: str | None, scheduler: str | None = None) -> None:
    """Run the sweeps of this process on ``name`` (see :data:`BACKENDS`); ``None`` returns to the environment.

    Raises
    ------
    ValueError
        See :func:`check_backend`.
    """
    global _choice
    _choice = None if name is None else check_backend(name, scheduler)


@contextlib.contextmanager
def use_backend(name: str, scheduler: str | None = None) -> Iterator[None]:
    """``with use_backend("dask", "tcp://host:8786"): result = experiment.run(config)``: the backend inside
    the block (for the whole process), the previous choice after it. Raises as :func:`check_backend`."""
    global _choice
    previous, _choice = _choice, check_backend(name, scheduler)
    try:
        yield
    finally:
        _choice = previous


def default_workers(n_jobs: int) -> int:
    """Calls run at the same time on threads: one per CPU core, at most one per call.

    The trainer runs each call on about one core (its operations are too small for XLA to split), and JAX
    releases the GIL while it computes, so two calls in two threads take half the time on two cores.
    """
    try:
        cores = len(os.sched_getaffinity(0))  # the cores this process may use (containers, taskset)
    except AttributeError:  # not on every platform
        cores = os.cpu_count() or 1
    return max(1, min(int(n_jobs), cores))


class StopFile:
    """An event that crosses processes: set means the file ``path`` exists (workers must see the driver's disk).

    Has the part of :class:`threading.Event`'s interface that the trainers use (``set``, ``is_set``,
    ``clear``); pickles as its path.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    def set(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.touch()

    def is_set(self) -> bool:
        return self.path.exists()

    def clear(self) -> None:
        with contextlib.suppress(OSError):
            self.path.unlink(missing_ok=True)

    def __repr__(self) -> str:
        return f"StopFile({str(self.path)!r})"


_OK, _FAILED, _SKIPPED = "ok", "failed", "skipped"
_FAILED_AFTER_STOP = "failed after the stop"  # e.g. a job that saw the stop of another's error and raised
#: The errors of a cluster whose worker process died while running a call.
_LOST_WORKER = ("KilledWorker", "WorkerCrashedError", "RayActorError", "NodeDiedError")
_END = object()


def _call(index: int, job: Callable, stop, remote: bool) -> tuple[int, str, Any]:
    """Run one job on a worker: ``(index, status, output or error)``; an error sets ``stop`` at once."""
    if stop.is_set():
        return index, _SKIPPED, None
    try:
        return index, _OK, job(stop)
    except BaseException as err:  # noqa: BLE001 - handed to the driver, which raises the first one
        status = _FAILED_AFTER_STOP if stop.is_set() else _FAILED
        stop.set()
        if remote:  # a traceback does not travel between processes: keep its text
            err.add_note("traceback on the worker:\n" + "".join(traceback.format_exception(err)).rstrip())
        return index, status, err


@contextlib.contextmanager
def _dask_config(scheduler: str | None, n_workers: int | None, n_jobs: int) -> Iterator[dict]:
    from distributed import Client, LocalCluster

    if scheduler is not None:
        with Client(scheduler, set_as_default=False) as client:
            yield {"backend": "dask", "client": client, "n_jobs": n_workers or -1}
        return
    workers = n_workers or default_workers(n_jobs)
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster, set_as_default=False) as client:
        yield {"backend": "dask", "client": client, "n_jobs": workers}


@contextlib.contextmanager
def _ray_config(scheduler: str | None, n_workers: int | None, n_jobs: int) -> Iterator[dict]:
    import ray
    from ray.util.joblib import register_ray

    register_ray()
    started = not ray.is_initialized()
    if started:
        ray.init(address=scheduler, num_cpus=None if scheduler else (n_workers or default_workers(n_jobs)))
    try:
        yield {"backend": "ray", "n_jobs": n_workers or -1}
    finally:
        if started:
            ray.shutdown()


def run_jobs(
    jobs: Sequence[Callable[[Any], Any]],
    n_workers: int | None = None,
    *,
    on_done: Callable[[int, Any], None] | None = None,
    stop_file: str | os.PathLike | None = None,
) -> list:
    """Call ``job(stop)`` for every job on the current backend (:func:`current_backend`); their outputs in order.

    Parameters
    ----------
    jobs : callables ``job(stop) -> output``
        Started in the given order (put the longest first). On dask and ray they are pickled (cloudpickle)
        to worker processes, so what they capture must pickle, and what they write (checkpoints) must be on
        a disk the driver reads. ``stop.is_set()`` tells a job to save its progress and return early.
    n_workers : int ≥ 1 or None
        Jobs at the same time. None: :func:`default_workers` on threads (and on a local dask cluster), every
        core of the cluster on a given scheduler.
    on_done : ``on_done(index, output)``, called in the calling thread as each job finishes (in the order they
        finish): where the caller saves finished work. An error it raises stops the run like a job's.
    stop_file : where the :class:`StopFile` of the dask/ray backends lives (default: a temporary folder on
        this machine); removed before and after the run.

    Returns
    -------
    list : ``jobs[i](stop)`` at index i

    Raises
    ------
    ValueError
        ``n_workers`` < 1, or a bad backend in the environment (:func:`current_backend`).
    BaseException
        The first error of a job that was not yet told to stop (the cause, not a job that raised because
        the cause stopped it, whichever reaches the driver first; on a cluster with the worker's traceback
        as a note), or the ``KeyboardInterrupt`` that interrupted the caller, after the running jobs stopped.
    """
    if n_workers is not None and (isinstance(n_workers, bool) or int(n_workers) != n_workers or n_workers < 1):
        raise ValueError(f"n_workers must be an int ≥ 1 or None, got {n_workers!r}")
    jobs = list(jobs)
    outputs: list = [None] * len(jobs)
    if not jobs:
        return outputs
    name, scheduler = current_backend()
    if name == "threads":
        workers = default_workers(len(jobs)) if n_workers is None else int(n_workers)
        stop: Any = threading.Event()
        if workers == 1 or len(jobs) == 1:  # in the calling thread: Ctrl-C reaches the trainer itself
            for i, job in enumerate(jobs):
                outputs[i] = job(stop)
                if on_done is not None:
                    on_done(i, outputs[i])
            return outputs
        config: Any = contextlib.nullcontext({"backend": "threading", "n_jobs": workers})
    else:
        check_backend(name, scheduler, importable=True)
        stop = StopFile(stop_file if stop_file is not None
                        else Path(tempfile.mkdtemp(prefix="ipflow-stop-")) / "stop")
        stop.clear()  # a stale file of an interrupted run must not stop this one
        make = _dask_config if name == "dask" else _ray_config
        config = make(scheduler, None if n_workers is None else int(n_workers), len(jobs))
    remote = name != "threads"
    results: queue.Queue = queue.Queue()

    def consume() -> None:  # joblib's generator, in a thread: the calling thread stays free to take Ctrl-C
        import joblib

        try:
            with config as settings, joblib.parallel_config(**settings):
                calls = (joblib.delayed(_call)(i, job, stop, remote) for i, job in enumerate(jobs))
                # ray's joblib backend has no generator: its outputs come at the end (each call still saves
                # its own checkpoints as it goes)
                order = "list" if name == "ray" else "generator_unordered"
                for item in joblib.Parallel(return_as=order, batch_size=1)(calls):
                    results.put(item)
        except BaseException as err:  # noqa: BLE001 - the backend itself failed: the caller raises it
            if type(err).__name__ in _LOST_WORKER:
                err.add_note("a worker process died while it ran a call (killed, or out of memory) more often "
                             "than the cluster retries it: finished calls are saved and the others left "
                             "checkpoints; rerun the same command to resume from them")
            results.put((-1, _FAILED, err))
        finally:
            results.put(_END)

    first_error: BaseException | None = None
    after_stop: BaseException | None = None  # the first error of a job already told to stop: raised only alone
    interrupted: BaseException | None = None
    consumer = threading.Thread(target=consume, name="ipflow-run-jobs", daemon=True)
    consumer.start()
    try:
        while True:
            try:
                try:
                    item = results.get(timeout=0.2)
                except queue.Empty:
                    continue
                if item is _END:
                    break
                index, status, value = item
                if status == _OK:
                    outputs[index] = value
                    if on_done is not None:  # finished work is saved, even while the others stop
                        on_done(index, value)
                elif status == _FAILED and first_error is None:
                    first_error = value
                    stop.set()
                elif status == _FAILED_AFTER_STOP and after_stop is None:
                    after_stop = value
            except KeyboardInterrupt as err:  # Ctrl-C / SIGTERM here: stop the jobs, wait for them to save
                if interrupted is not None:
                    raise  # a second one: stop waiting
                interrupted = err
                stop.set()
            except BaseException as err:  # on_done failed
                if first_error is None:
                    first_error = err
                stop.set()
        consumer.join()
    finally:
        if isinstance(stop, StopFile):
            stop.clear()
    if interrupted is not None:
        raise interrupted
    if first_error is not None or after_stop is not None:
        raise first_error if first_error is not None else after_stop
    return outputs
