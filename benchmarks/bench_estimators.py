"""Speed of the MI estimators of chapter 5, against straightforward baselines run side by side.

    .venv/bin/python -m benchmarks.bench_estimators               # KDE bounds, noisy MC, binning (~1-2 min)
    .venv/bin/python -m benchmarks.bench_estimators --paper       # + the chapter's paper preset (wall, memory)

KDE: the pairwise-distance bounds (upper and lower, I(X;T) and I(T;Y)) for every layer of 50
12-10-7-5-4-3-2 tanh networks on the 4096 inputs of the 12-bit task at one logged epoch: the
library's batched float32 version (one matrix product, one exp, two squarings per block, symmetric
blocks only, a thread per core) against a straightforward per-net, per-layer, per-bound numpy/scipy
version in float64 (``cdist`` + ``logsumexp``, as in Saxe et al.'s code). The baseline is timed on
``--baseline-nets`` networks and scaled linearly to all of them (it is linear in the number of nets).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time

import numpy as np


def twelve_bit_layers(n_networks: int, seed: int = 0, scale: float = 1.0) -> tuple[list[np.ndarray], np.ndarray]:
    """Activations of ``n_networks`` random 12-10-7-5-4-3-2 tanh networks (softmax output) on all 4096 inputs."""
    from ipflow_lib.datasets import tishby_12bit

    X, y = tishby_12bit()
    rng = np.random.default_rng(seed)
    sizes = (12, 10, 7, 5, 4, 3, 2)
    h = np.broadcast_to(X, (n_networks,) + X.shape).astype(np.float64)
    layers = []
    for k, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        w = np.clip(rng.standard_normal((n_networks, fan_in, fan_out)), -2, 2) * scale / np.sqrt(fan_in)
        z = h @ w
        if k < len(sizes) - 2:
            h = np.tanh(z)
        else:
            z = z - z.max(axis=-1, keepdims=True)
            h = np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)
        layers.append(h.astype(np.float32))
    return layers, y


def baseline_kde(h: np.ndarray, y: np.ndarray, variance: float, factor: float) -> tuple[float, float]:
    """One net, one layer, one bound: float64 cdist + logsumexp, class by class (bits)."""
    from scipy.spatial.distance import cdist
    from scipy.special import logsumexp

    d = cdist(h, h, "sqeuclidean")
    n = len(h)
    h_t = np.log(n) - logsumexp(-d / (factor * variance), axis=1).mean()
    h_ty = 0.0
    for c in np.unique(y):
        m = y == c
        h_ty += m.sum() / n * (np.log(m.sum()) - logsumexp(-d[np.ix_(m, m)] / (factor * variance), axis=1).mean())
    return h_t / np.log(2), (h_t - h_ty) / np.log(2)


def bench_kde(n_networks: int, baseline_nets: int, variance: float = 1e-3) -> None:
    from ipflow_lib.estimators import kde_bounds

    layers, y = twelve_bit_layers(n_networks)
    print(f"\n## KDE bounds: {n_networks} networks x {len(layers)} layers x 4096 inputs, sigma^2 = {variance:g}, "
          "both bounds")
    for jobs in (1, None):
        start = time.perf_counter()
        results = [kde_bounds(t, y, variance, n_jobs=jobs) for t in layers]
        fast = time.perf_counter() - start
        label = "1 thread" if jobs == 1 else f"{os.cpu_count()} threads"
        print(f"vectorised ({label}):      {fast:8.2f} s")
    start = time.perf_counter()
    worst = 0.0
    for k, t in enumerate(layers):
        for net in range(baseline_nets):
            for bound, factor in (("upper", 2.0), ("lower", 8.0)):
                ref = baseline_kde(t[net].astype(np.float64), y, variance, factor)
                got = getattr(results[k], f"i_xt_{bound}")[net], getattr(results[k], f"i_ty_{bound}")[net]
                worst = max(worst, abs(ref[0] - got[0]), abs(ref[1] - got[1]))
    slow = (time.perf_counter() - start) * n_networks / baseline_nets
    print(f"per-net numpy baseline:     {slow:8.2f} s  (timed on {baseline_nets} nets, scaled to {n_networks})")
    print(f"speed-up:                   {slow / fast:8.1f} x   (largest difference {worst:.1e} bits)")


def bench_noisy(n_networks: int, variance: float = 1e-3) -> None:
    from ipflow_lib.estimators import kde_bounds, noisy_mi_estimate

    layers, y = twelve_bit_layers(n_networks)
    start = time.perf_counter()
    est = [noisy_mi_estimate(t, y, variance, seed=0) for t in layers]
    noisy = time.perf_counter() - start
    start = time.perf_counter()
    [kde_bounds(t, y, variance) for t in layers]
    kde = time.perf_counter() - start
    se = max(float(e.i_xt_stderr.max()) for e in est)
    print(f"\n## Noisy-layer Monte Carlo (4096 draws per net and layer), {n_networks} nets: {noisy:.2f} s "
          f"(KDE bounds: {kde:.2f} s); largest standard error {se:.3f} bits")


def bench_binning(n_networks: int) -> None:
    from ipflow_lib.estimators import binned_mi, binned_mi_sweep

    layers, y = twelve_bit_layers(n_networks)
    bins = (5, 10, 15, 20, 25, 35)
    start = time.perf_counter()
    for t in layers:
        binned_mi_sweep(t, y, bins)
    fast = time.perf_counter() - start
    start = time.perf_counter()
    for t in layers:
        for net in range(n_networks):
            for b in bins:
                binned_mi(t[net], y, b)
    slow = time.perf_counter() - start
    print(f"\n## Bin sweep {bins}, {n_networks} networks x {len(layers)} layers: batched {fast:.2f} s, "
          f"per-net loop {slow:.2f} s ({slow / fast:.1f} x)")


def bench_paper(use_cache: bool) -> None:
    """Wall time and peak memory of the chapter's experiments with the paper preset."""
    from ipflow_lib.experiments import compression_debate, digits_probes, estimator_benchmarks

    if not use_cache:
        os.environ["IPFLOW_CACHE"] = tempfile.mkdtemp(prefix="ipflow_bench_")
    os.environ["IPFLOW_PRESET"] = "paper"
    print("\n## Chapter 5, paper preset" + ("" if use_cache else f" (fresh cache {os.environ['IPFLOW_CACHE']})"))
    def cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    total, total_cpu = 0.0, 0.0
    for module in (estimator_benchmarks, compression_debate, digits_probes):
        start, start_cpu = time.perf_counter(), cpu()
        module.run(module.PRESETS["paper"])
        elapsed, used = time.perf_counter() - start, cpu() - start_cpu
        total, total_cpu = total + elapsed, total_cpu + used
        name = module.__name__.rsplit(".", 1)[1]
        print(f"{name:24s} wall {elapsed:8.1f} s   CPU (all threads) {used:8.1f} s", flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"total: wall {total / 60:.1f} min, CPU {total_cpu / 60:.1f} min; peak memory (ru_maxrss): {peak:.0f} MB")
    print("(on a shared machine the wall time includes waiting for the CPU; on an idle 2-core machine it is at most "
          "the CPU time)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nets", type=int, default=50)
    parser.add_argument("--baseline-nets", type=int, default=5)
    parser.add_argument("--paper", action="store_true", help="also time the chapter's paper preset")
    parser.add_argument("--use-cache", action="store_true", help="with --paper: reuse cached results")
    args = parser.parse_args(argv)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPU cores")
    bench_kde(args.nets, args.baseline_nets)
    bench_noisy(args.nets)
    bench_binning(args.nets)
    if args.paper:
        bench_paper(args.use_cache)
    print(f"\npeak memory (ru_maxrss): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
