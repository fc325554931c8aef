"""Where a sweep's trainer calls run (ipflow_lib.parallel): threads against a local 2-worker Dask cluster, and
today's threads path against the home-made thread runner it replaced.

    .venv/bin/python -m benchmarks.bench_backends                # ~2-3 min on 2 cores
    .venv/bin/python -m benchmarks.bench_backends --groups 4 --networks 10 --epochs 2000

The sweep: ``--groups`` training sizes (30 % to 70 %) × ``--networks`` networks of 12-6-4-3-2, ``--epochs``
epochs (:func:`ipflow_lib.experiments._sweep.train_groups`, no cache, no checkpoint). Timed, in one process:

1. **threads** (joblib's threading backend, :func:`ipflow_lib.parallel.default_workers` threads);
2. **old runner** (baseline): the same sweep through a copy of the removed ``run_in_threads``
   (a ``ThreadPoolExecutor``), so ``old / threads`` ≈ 1 says the default path kept its speed;
3. **dask**: a ``distributed.LocalCluster`` of 2 single-threaded worker processes, started before the
   clock; its first run (``cold``: the workers import JAX and compile) and a second one (``warm``).

All give the same numbers bit for bit (checked here, and in tests/test_backends.py). The printed ratios
``dask / threads`` are what chapters/running_at_scale.md refers to: on one machine a cluster only adds
overhead; it pays when it has more cores than this machine.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from collections.abc import Callable, Sequence


def run_in_threads(jobs: Sequence[Callable[[threading.Event], None]], n_workers: int | None = None) -> None:
    """The removed runner of ipflow_lib/experiments/_sweep.py, verbatim: the baseline."""
    from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait

    from ipflow_lib.parallel import default_workers

    stop = threading.Event()
    workers = default_workers(len(jobs)) if n_workers is None else max(1, int(n_workers))
    if workers == 1 or len(jobs) <= 1:
        for job in jobs:
            job(stop)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(job, stop) for job in jobs]
        try:
            wait(futures, return_when=FIRST_EXCEPTION)
            for future in futures:
                if future.done() and future.exception() is not None:
                    raise future.exception()
        except BaseException:
            stop.set()
            for future in futures:
                future.cancel()
            raise


def _old_run_jobs(jobs, n_workers=None, *, on_done=None, stop_file=None):
    """``run_jobs``'s interface on the old runner (finished jobs reported under a lock, in the worker thread)."""
    outputs, lock = [None] * len(jobs), threading.Lock()

    def wrap(i, job):
        def run(stop):
            out = job(stop)
            with lock:
                outputs[i] = out
                if on_done is not None:
                    on_done(i, out)
        return run

    run_in_threads([wrap(i, job) for i, job in enumerate(jobs)], n_workers)
    return outputs


def make_sweep(n_groups: int, n_networks: int, n_epochs: int):
    import numpy as np

    from ipflow_lib.datasets import tishby_12bit, train_test_masks
    from ipflow_lib.ensembles import TrainingSpec
    from ipflow_lib.experiments._sweep import GroupSpec, train_groups

    X, y = tishby_12bit()
    seeds = np.arange(n_networks)
    spec = TrainingSpec(hidden_widths=(6, 4, 3), n_epochs=n_epochs, n_logged_points=60, batch_size=256,
                        learning_rate=3e-3, n_networks=n_networks)
    groups = []
    for fraction in np.linspace(0.3, 0.7, n_groups):
        train, test = train_test_masks(X.shape[0], float(fraction), seeds)
        groups.append(GroupSpec(train_mask=train, test_mask=test, seeds=seeds, hidden_widths=spec.hidden_widths,
                                desc=f"train {fraction:.0%}"))
    return lambda: train_groups(X, y, groups, spec, n_bins=30, checkpoint=None)


def _same(a, b) -> bool:
    import numpy as np

    return all(np.array_equal(ga[k], gb[k]) for ga, gb in zip(a, b, strict=True) for k in ga)


def _timed(fn):
    tic = time.perf_counter()
    out = fn()
    return time.perf_counter() - tic, out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--groups", type=int, default=4)
    parser.add_argument("--networks", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=1500)
    args = parser.parse_args(argv)

    from ipflow_lib import parallel
    from ipflow_lib.experiments import _sweep

    run = make_sweep(args.groups, args.networks, args.epochs)
    print(f"sweep: {args.groups} groups x {args.networks} networks, {args.epochs} epochs; "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    with parallel.use_backend("threads"):
        run()  # compiles every group's trainer in this process: the timed runs below are warm
        t_threads, ref = _timed(run)
        new = _sweep.run_jobs
        _sweep.run_jobs = _old_run_jobs
        try:
            t_old, old = _timed(run)
        finally:
            _sweep.run_jobs = new
        t_threads2, _ = _timed(run)  # again, so that a change of load affects both sides
    t_threads = min(t_threads, t_threads2)
    print(f"  threads ({parallel.default_workers(args.groups)} workers): {t_threads:7.2f} s")
    print(f"  old thread runner (baseline):    {t_old:7.2f} s   old / threads = {t_old / t_threads:5.2f}"
          f"  (same numbers: {_same(old, ref)})")
    try:
        from distributed import LocalCluster
    except ImportError:
        print("  dask: not installed (pip install 'ipflow[dask]'), skipped")
        return
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, parallel.use_backend("dask", cluster.scheduler_address):
        t_cold, cold = _timed(run)
        t_warm, _ = _timed(run)
    print(f"  dask, local cluster of 2 workers: {t_cold:7.2f} s cold, {t_warm:7.2f} s warm"
          f"  (same numbers: {_same(cold, ref)})")
    print(f"  ratio dask / threads: {t_cold / t_threads:5.2f} cold, {t_warm / t_threads:5.2f} warm")


if __name__ == "__main__":
    main()
