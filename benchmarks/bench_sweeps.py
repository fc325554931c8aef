"""Speed of the sweeps of chapters 3 and 4 (training size, depth, IB bound, generalization).

    .venv/bin/python -m benchmarks.bench_sweeps              # vectorised sweep vs one network at a time (~2-4 min)
    .venv/bin/python -m benchmarks.bench_sweeps --paper      # + both chapters' paper presets (wall time, memory)

1. **Vectorisation.** A small training-size sweep (3 sizes × ``--networks`` networks, ``--epochs`` epochs) is
   computed as one call of the trainer (``vectorise="all"``), as one call per group of sizes with the same
   number of mini-batches (``"by_batches"``, the paper preset), and, as the baseline, one network at a time
   (a separate single-network run per size and seed, as a loop over configurations would do); the grouped
   calls also run one per CPU core in threads (``n_workers``). All give the same numbers
   (tests/test_sweeps.py); the ratios are the speed-ups of vectorising and of the threads.
2. **Paper presets** (``--paper``): every experiment the two chapters run, in the order the book builds
   them (training-size, depth, ib-bound, ib-layers, generalization), on an empty cache, with the wall time
   of each and the peak resident memory of the process. Target: under 30 minutes and 2 GB on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def _cpu_s() -> float:
    """CPU seconds of this process (all threads): on a shared machine, a load-independent measure of the work."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def bench_vectorisation(n_networks: int, n_epochs: int) -> None:
    import numpy as np

    from ipflow_lib.ensembles import TrainingSpec
    from ipflow_lib.experiments import training_size as ts
    from ipflow_lib.experiments._sweep import default_workers

    fractions = (0.05, 0.45, 0.85)
    spec = TrainingSpec(n_networks=n_networks, n_epochs=n_epochs, n_logged_points=40)
    times, results = {}, {}
    modes = {"all, 1 thread": ("all", 1), "by_batches, 1 thread": ("by_batches", 1),
             f"by_batches, {default_workers(3)} threads": ("by_batches", None)}
    for label, (mode, workers) in modes.items():
        tic = time.perf_counter()
        results[label] = ts._compute(ts.Config(train_fractions=fractions, training=spec, vectorise=mode,
                                               n_workers=workers), None)
        times[label] = time.perf_counter() - tic
    tic = time.perf_counter()
    worst = 0.0
    reference = results["all, 1 thread"]
    for i, f in enumerate(fractions):
        for j in range(n_networks):
            one = ts._compute(ts.Config(train_fractions=(f,), training=spec.replace(n_networks=1, seed=j),
                                        n_workers=1), None)
            worst = max(worst, float(np.abs(one.i_xt[0, 0] - reference.i_xt[i, j]).max()))
    times["one by one (baseline)"] = time.perf_counter() - tic
    n = len(fractions) * n_networks
    print(f"training-size sweep: {n} networks (3 sizes x {n_networks} networks), {n_epochs} epochs")
    for label, t in times.items():
        print(f"  {label:>22s}: {t:7.1f} s   speed-up vs one by one: {times['one by one (baseline)'] / t:5.1f}x")
    print(f"  largest |I(X;T)| difference, one-by-one vs vectorised: {worst:.2e} bits")


def bench_paper() -> None:
    from ipflow_lib.experiments import depth, generalization, ib_bound, ib_layers, training_size

    total, cpu0 = 0.0, _cpu_s()
    for name, module in (("training-size", training_size), ("depth", depth), ("ib-bound", ib_bound),
                         ("ib-layers", ib_layers), ("generalization", generalization)):
        tic, cpu = time.perf_counter(), _cpu_s()
        result = module.run(module.PRESETS["paper"])
        elapsed = time.perf_counter() - tic
        total += elapsed
        print(f"  {name:>15s}: {elapsed:7.1f} s wall, {_cpu_s() - cpu:7.1f} s CPU (peak memory so far "
              f"{_peak_mb():6.0f} MB)  {result.info.describe()}", flush=True)
    print(f"paper presets of chapters 3 and 4: {total / 60:.1f} min wall, {(_cpu_s() - cpu0) / 60:.1f} min CPU, "
          f"peak memory {_peak_mb():.0f} MB (targets: 30 min wall on 2 cores, 2048 MB); load average now "
          f"{os.getloadavg()[0]:.1f}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--paper", action="store_true", help="also run both chapters' paper presets")
    parser.add_argument("--networks", type=int, default=4, help="networks per size in the vectorisation benchmark")
    parser.add_argument("--epochs", type=int, default=1000, help="epochs in the vectorisation benchmark")
    parser.add_argument("--cache", default=None,
                        help="result cache for --paper (default: a fresh temporary folder, so nothing is reused)")
    args = parser.parse_args(argv)
    print(f"{os.cpu_count()} CPUs, python {sys.version.split()[0]}")
    bench_vectorisation(args.networks, args.epochs)
    if args.paper:
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["IPFLOW_CACHE"] = args.cache or tmp
            os.environ.setdefault("IPFLOW_PROGRESS", "0")
            bench_paper()


if __name__ == "__main__":
    main()
