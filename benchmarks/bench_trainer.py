"""The trainer and the logged-epoch measurement against the trainer of an earlier commit, side by side in one run.

    .venv/bin/python -m benchmarks.bench_trainer                  # ratios new / old (about 3 minutes)
    .venv/bin/python -m benchmarks.bench_trainer --profile        # + where the time of paper-like runs goes
    .venv/bin/python -m benchmarks.bench_trainer --baseline DIR   # a checkout to compare with (default: BASELINE)

The old trainer is ``ipflow_lib/ensembles.py`` of the baseline checkout (by default a temporary ``git worktree``
of :data:`BASELINE`, the last commit before the trainer was rewritten), its package loaded whole beside the
current one in this process; both train the same networks (the information plane of the ``paper`` preset:
12-10-7-5-4-3-2 tanh, Adam 4e-4, mini-batches of 512 on 85 % of the 12-bit inputs), interleaved, best of ``--repeats``.

1. Training, ms per network-epoch: one call of 50 networks, and the ``paper`` preset's split into two calls of 25
   in two threads (one per core, as ``information_plane`` runs them); the FLOP rate of the forward and backward
   matrix products against the machine's nominal fp32 peak.
2. One logged epoch of 50 networks: every layer on all 4096 inputs and its binned I(X;T), I(T;Y) (30 bins):
   old = the baseline's ``evaluate`` + its ``binned_mi`` on the host, new = ``evaluate_with`` computing the bin
   codes in the jitted evaluation (the edges computed, not looked up) + the entropies of the sorted codes on the
   host (:class:`ipflow_lib.estimators.FixedBins`).
3. The numbers: the largest difference between the two trainers' weights after the timed epochs (float
   reassociation only: the new trainer computes the same gradients by hand, with the samples as the last axis),
   and between the two measurements of the same weights.
4. ``--profile``: ``EnsembleRun.timings`` of the first 1500 epochs (with their logged epochs) of an
   information-plane call, of a depth-sweep call (6 hidden layers) and of a training-size call (5 % of the data).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

BASELINE = "16e61d1"  # the last commit with the autodiff trainer (batched dots, scatter-add cross entropy)
WIDTHS = (10, 7, 5, 4, 3)
LAYER_SIZES = (12, *WIDTHS, 2)


@contextlib.contextmanager
def baseline_checkout(path: str | None):
    """The baseline's folder: ``path`` as given, or a temporary git worktree of :data:`BASELINE`."""
    if path:
        yield Path(path)
        return
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "baseline"
        subprocess.run(["git", "-C", str(root), "worktree", "add", "--detach", str(target), BASELINE],
                       check=True, capture_output=True)
        try:
            yield target
        finally:
            subprocess.run(["git", "-C", str(root), "worktree", "remove", "--force", str(target)], capture_output=True)


def load_baseline(folder: Path):
    """The baseline's ``ipflow_lib`` package, imported whole as ``ipflow_baseline`` beside this checkout's (its
    ``ensembles`` and its ``estimators``, the host binning of the old logged epoch, are the baseline's own)."""
    init = folder / "ipflow_lib" / "__init__.py"
    spec = importlib.util.spec_from_file_location("ipflow_baseline", init,
                                                  submodule_search_locations=[str(init.parent)])
    package = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = package
    spec.loader.exec_module(package)
    importlib.import_module("ipflow_baseline.ensembles")
    importlib.import_module("ipflow_baseline.estimators")
    return package


def flops_per_network_epoch(layer_sizes=LAYER_SIZES, n_train: int = int(0.85 * 4096)) -> float:
    """FLOPs of the matrix products of one epoch of one network: forward (Σ fan_in·fan_out multiply-adds per sample),
    weight gradients (the same) and input gradients (all layers but the first), 2 FLOPs per multiply-add."""
    macs = [a * b for a, b in zip(layer_sizes[:-1], layer_sizes[1:], strict=True)]
    return 2.0 * n_train * (2 * sum(macs) + sum(macs[1:]))


def nominal_peak_gflops() -> tuple[float, str]:
    """fp32 peak of this machine's cores: cores × clock × 32 FLOP/cycle (two 256-bit FMA pipes, AVX2/AVX-512)."""
    mhz = None
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("cpu MHz"):
                mhz = float(line.split(":")[1])
                break
    cores = len(os.sched_getaffinity(0))
    ghz = (mhz or 2500.0) / 1000
    return cores * ghz * 32, f"{cores} cores x {ghz:.2f} GHz x 32 FLOP/cycle"


def _setup(module, n_networks: int, seed: int):
    import jax

    from ipflow_lib.datasets import tishby_12bit, train_test_masks

    X, y = tishby_12bit()
    train, test = train_test_masks(X.shape[0], 0.85, np.arange(seed, seed + n_networks))
    spec = module.TrainingSpec(hidden_widths=WIDTHS, n_networks=n_networks, seed=seed)
    trainer = module.compile_trainer(spec, LAYER_SIZES, X.shape[0], int(train.sum(axis=1).max()))
    data = trainer.data(X.astype(np.float32), y.astype(np.int32), train, test)
    params, opt_state, keys = trainer.init(spec.seeds)
    jax.block_until_ready(trainer.advance(params, opt_state, keys, 0, 1, data))  # compiled
    return trainer, data, params, opt_state, keys


def training_ms(module, n_epochs: int, n_calls: int) -> tuple[float, np.ndarray]:
    """ms per network-epoch of ``advance`` over ``n_epochs`` epochs of 50 networks split into ``n_calls`` calls run
    in threads side by side; and the final weights (50, n_weights)."""
    import jax

    parts = [_setup(module, 50 // n_calls, k * (50 // n_calls)) for k in range(n_calls)]
    out = [None] * n_calls

    def work(k):
        trainer, data, params, opt_state, keys = parts[k]
        out[k] = jax.block_until_ready(trainer.advance(params, opt_state, keys, 0, n_epochs, data))[0]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(n_calls)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return wall / (50 * n_epochs) * 1e3, np.concatenate([np.asarray(p) for p in out])


def logged_epoch_ms(new, old, old_binned_mi, repeats: int) -> tuple[float, float, float]:
    """ms of one logged epoch (50 networks after 300 epochs: every layer on all inputs, binned I(X;T), I(T;Y) of
    each): old path (the baseline's evaluation and ``binned_mi``), new path, and the largest difference of their
    estimates (bits), on the same weights."""
    from ipflow_lib.datasets import tishby_12bit
    from ipflow_lib.estimators import FixedBins

    _, y = tishby_12bit()
    trainer, data, params, opt_state, keys = _setup(new, 50, 0)
    params, _ = trainer.advance(params, opt_state, keys, 0, 300, data)
    old_trainer, old_data, *_ = _setup(old, 50, 0)
    lens = FixedBins(30, (-1.0, 1.0))

    def old_path():
        layers, metrics, _ = old_trainer.evaluate(params, old_data)
        np.asarray(metrics)
        return [old_binned_mi(np.asarray(t), y, 30, (-1.0, 1.0)) for t in layers]

    def new_path():
        _, metrics, _, codes = trainer.evaluate_with(params, data, (lens,), False)
        np.asarray(metrics)
        return [lens.from_device([np.asarray(w) for w in layer], y, width)
                for layer, width in zip(codes[0], (*WIDTHS, 2), strict=True)]

    a, b = old_path(), new_path()  # compiled
    times = {"old": [], "new": []}
    for _ in range(repeats):
        for name, fn in (("old", old_path), ("new", new_path)):
            t0 = time.perf_counter()
            for _ in range(5):
                fn()
            times[name].append((time.perf_counter() - t0) / 5 * 1e3)
    diff = max(float(np.abs(np.asarray(p) - np.asarray(q)).max()) for p, q in zip(a, b, strict=True))
    return min(times["old"]), min(times["new"]), diff


def profile(n_epochs: int = 1500) -> None:
    """``EnsembleRun.timings`` of the first ``n_epochs`` epochs (and their logged epochs) of three paper-like calls."""
    from ipflow_lib.datasets import tishby_12bit, train_test_masks
    from ipflow_lib.ensembles import TrainingSpec, log_spaced_epochs, train_ensemble

    X, y = tishby_12bit()
    logged = log_spaced_epochs(10_000, 1800)
    logged = tuple(int(e) for e in logged[logged < n_epochs])
    cases = [("information plane, 25 networks (one of the 2 calls)", (10, 7, 5, 4, 3), 0.85, 25),
             ("depth sweep, 6 hidden layers, 25 networks", (10, 7, 5, 4, 3, 3), 0.85, 25),
             ("training size 5 %, 25 networks", (10, 7, 5, 4, 3), 0.05, 25)]
    print(f"where the time goes: the first {n_epochs} epochs of 10 000 and their {len(logged)} logged epochs (of 964)")
    for label, widths, fraction, n in cases:
        train, test = train_test_masks(X.shape[0], fraction, np.arange(n))
        spec = TrainingSpec(hidden_widths=widths, n_networks=n, n_epochs=n_epochs, custom_logged_epochs=logged)
        run = train_ensemble(X, y, train, test, spec)
        total = run.timings["total"]
        parts = ", ".join(f"{k} {v:.1f} s ({100 * v / total:.0f} %)" for k, v in run.timings.items() if k != "total")
        print(f"  {label}: {total:.1f} s = {parts}; the rest is Python between the calls")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", help=f"a checkout with the old trainer (default: a worktree of {BASELINE})")
    parser.add_argument("--epochs", type=int, default=200, help="epochs per timed training call")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="also print where the time of paper-like calls goes")
    args = parser.parse_args(argv)

    from ipflow_lib import ensembles as new

    print(f"machine: {len(os.sched_getaffinity(0))} cores; load average {os.getloadavg()[0]:.2f}")
    with baseline_checkout(args.baseline) as folder:
        baseline = load_baseline(folder)
        old = baseline.ensembles
        flops = flops_per_network_epoch()
        peak, how = nominal_peak_gflops()
        for n_calls, label in ((1, "one call of 50 networks"), (2, "two calls of 25 in threads (paper)")):
            best = {"old": np.inf, "new": np.inf}
            weights = {}
            for _ in range(args.repeats):
                for name, module in (("old", old), ("new", new)):
                    ms, weights[name] = training_ms(module, args.epochs, n_calls)
                    best[name] = min(best[name], ms)
            rate = flops / (best["new"] * 1e-3) / 1e9
            print(f"training, {label}: old {best['old']:.3f}, new {best['new']:.3f} ms per network-epoch, "
                  f"ratio old/new {best['old'] / best['new']:.2f}x (aim >= 2x); new: {rate:.1f} GFLOP/s of matrix "
                  f"products, {100 * rate / peak:.1f} % of the nominal peak {peak:.0f} GFLOP/s ({how})")
            gap = np.abs(weights["new"] - weights["old"]).max()
            print(f"    weights after {args.epochs} epochs: largest |new - old| {gap:.2g}")
        t_old, t_new, diff = logged_epoch_ms(new, old, baseline.estimators.binned_mi, args.repeats)
        print(f"logged epoch (evaluation + binning, 50 networks): old {t_old:.1f} ms, new {t_new:.1f} ms, ratio "
              f"{t_old / t_new:.2f}x (aim >= 2x); largest estimate difference on the same weights {diff:.2g} bits")
    if args.profile:
        profile()


if __name__ == "__main__":
    main()
