"""Speed of the IB solver, against straightforward baselines run side by side.

    .venv/bin/python -m benchmarks.bench_bottleneck            # ratios (~1 min)
    .venv/bin/python -m benchmarks.bench_bottleneck --paper    # + the ib-bound paper preset (wall, memory)

1. The 12-bit IB curve (noisy labels): the library (inputs with equal p(y|x) merged, 4096 -> 2;
   SQUAREM-accelerated iteration) against the plain self-consistent iteration on all 4096 inputs (with the
   same two clusters; with one cluster per input it would be hopeless). The baseline runs on every
   ``--stride``-th β and is compared per β value. Both must give the same curve.
2. The acceleration alone: a 5-input problem with four cluster splits annealed both ways, where the
   plain iteration slows down near every critical β, with and without SQUAREM.
3. ``--paper``: the ``ib-bound`` experiment's paper preset (256 β, annealed both ways), computed without
   the cache; the target is under 2 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np


def _timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def bench_12bit(stride: int, epsilon: float = 0.01) -> None:
    from ipflow_lib import bottleneck as bn
    from ipflow_lib.datasets import noisy_12bit_joint
    from ipflow_lib.experiments import ib_bound

    config = ib_bound.PRESETS["paper"]
    p_xy = noisy_12bit_joint(epsilon)
    betas = config.betas
    sub = betas[::stride]
    print(f"\n## 12-bit IB curve, ε = {epsilon}: {betas.size} β values (baseline on {sub.size}), annealed up")
    fast, t_fast = _timed(lambda: bn.ib_curve(p_xy, betas, direction="up", tol=config.tol, max_iter=config.max_iter))
    fast_sub, _ = _timed(lambda: bn.ib_curve(p_xy, sub, direction="up", tol=config.tol, max_iter=config.max_iter))
    slow, t_slow = _timed(
        lambda: bn.ib_curve(
            p_xy,
            sub,
            direction="up",
            merge=False,
            n_clusters=2,
            accelerate=False,
            tol=config.tol,
            max_iter=config.max_iter,
            keep_encoders=False,
        )
    )
    per_fast, per_slow = t_fast / betas.size, t_slow / sub.size
    diff = max(np.abs(slow.i_xt - fast_sub.i_xt).max(), np.abs(slow.i_ty - fast_sub.i_ty).max())
    print(f"library (merged to 2 inputs, SQUAREM):    {t_fast:8.3f} s  ({1e3 * per_fast:7.2f} ms per β)")
    print(f"baseline (4096 inputs, plain iteration):  {t_slow:8.3f} s  ({1e3 * per_slow:7.2f} ms per β)")
    print(f"speed-up per β: {per_slow / per_fast:6.0f}x; largest |Δ| of I(X;T), I(T;Y) between them: {diff:.1e} bits")
    print(f"passes per β: library {fast.n_iter.mean():.0f}, baseline {slow.n_iter.mean():.0f}")


def bench_acceleration() -> None:
    from ipflow_lib import bottleneck as bn

    p_x = np.array([0.15, 0.25, 0.20, 0.25, 0.15])
    p_y1 = np.array([0.05, 0.20, 0.45, 0.70, 0.90])
    p_xy = p_x[:, None] * np.column_stack([1 - p_y1, p_y1])
    betas = np.geomspace(0.5, 300, 200)
    print(f"\n## acceleration: 5 inputs x 2 labels, {betas.size} β values, annealed both ways (chapter 1's example)")
    for kind in ("ib", "dualib"):
        fast, t_fast = _timed(lambda k=kind: bn.ib_curve(p_xy, betas, kind=k, direction="both"))
        slow, t_slow = _timed(
            lambda k=kind: bn.ib_curve(p_xy, betas, kind=k, direction="both", accelerate=False, max_iter=100_000)
        )
        diff = max(np.abs(slow.i_xt - fast.i_xt).max(), np.abs(slow.i_ty - fast.i_ty).max())
        print(
            f"{kind:>6}: SQUAREM {t_fast:6.2f} s ({fast.n_iter.sum():7d} passes), plain {t_slow:6.2f} s "
            f"({slow.n_iter.sum():7d} passes): {t_slow / t_fast:5.1f}x; max |Δ| {diff:.1e} bits; "
            f"unconverged β: {int((~fast.converged).sum())} vs {int((~slow.converged).sum())}"
        )


def bench_paper() -> None:
    from ipflow_lib.experiments import ib_bound

    config = ib_bound.PRESETS["paper"]
    print(f"\n## ib-bound, paper preset ({config.n_betas} β, direction={config.direction!r}), no cache")
    result, wall = _timed(lambda: ib_bound._compute(config, checkpoint=None))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"wall time {wall:.2f} s (target < 120 s), peak memory of this process {peak:.0f} MB")
    print(
        f"β_c analytic {result.critical_beta:.4f}, split found at {result.critical_betas}, "
        f"{int(result.converged.sum())}/{result.betas.size} converged"
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--paper", action="store_true", help="also time the ib-bound paper preset")
    parser.add_argument("--stride", type=int, default=8, help="baseline runs on every stride-th β (default 8)")
    args = parser.parse_args(argv)
    bench_12bit(args.stride)
    bench_acceleration()
    if args.paper:
        bench_paper()


if __name__ == "__main__":
    main()
