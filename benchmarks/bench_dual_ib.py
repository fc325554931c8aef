"""Speed of the dual-IB chapter's computations, against simple baselines run side by side.

    .venv/bin/python -m benchmarks.bench_dual_ib            # ratios (~1-2 min)
    .venv/bin/python -m benchmarks.bench_dual_ib --paper    # + both experiments' paper presets (~10 min)

1. The 5-point example, paper grid (1000 β annealed down), IB and dual IB: the library's accelerated
   iteration against the plain self-consistent iteration (``accelerate=False``), and the dual IB on
   natural parameters against the table form. Both pairs must give the same curve.
2. The variational sweep: M Gaussian-encoder networks trained as one batched computation
   (``variational.train_variational_ensemble``) against the same networks trained one at a time, per model-epoch.
3. ``--paper``: the ``dual-ib`` paper preset (target: seconds) and the ``variational-dual-ib`` paper preset
   (target: under 15 minutes on 2 cores), computed without the cache; wall time and peak memory.
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


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_five_point() -> None:
    from ipflow_lib import bottleneck as bn
    from ipflow_lib.datasets import dual_ib_five_points
    from ipflow_lib.experiments import dual_ib

    config = dual_ib.PRESETS["paper"]
    task = dual_ib_five_points()
    betas = config.betas("five_point")
    kw = dict(direction="down", tol=config.tol, max_iter=config.max_iter)
    print(f"\n## 5-point example: {betas.size} β on [{betas[0]:g}, {betas[-1]:g}], annealed down")
    for kind in ("ib", "dualib"):
        fast, t_fast = _timed(lambda k=kind: bn.ib_curve(task.p_xy, betas, kind=k, **kw))
        slow, t_slow = _timed(lambda k=kind: bn.ib_curve(task.p_xy, betas, kind=k, accelerate=False, **kw))
        diff = max(np.abs(slow.i_xt - fast.i_xt).max(), np.abs(slow.i_ty - fast.i_ty).max())
        unconverged = f"{int((~fast.converged).sum())} vs {int((~slow.converged).sum())}"
        print(f"{kind:>6}: library {t_fast:6.2f} s, plain iteration {t_slow:6.2f} s: {t_slow / t_fast:5.1f}x; "
              f"max |Δ| {diff:.1e} bits; unconverged β {unconverged}")
    family = bn.ExponentialFamily.finite(task.statistics, task.log_h)
    table, t_table = _timed(lambda: bn.ib_curve(task.p_xy, betas, kind="dualib", **kw))
    natural, t_nat = _timed(lambda: bn.exponential_family_dual_ib_curve(task.p_x, task.theta, family, betas, **kw))
    diff = max(np.abs(natural.i_xt - table.i_xt).max(), np.abs(natural.i_ty - table.i_ty).max())
    print(f"dual IB on natural parameters {t_nat:6.2f} s vs on tables {t_table:6.2f} s "
          f"(ratio {t_table / t_nat:4.2f}); max |Δ| {diff:.1e} bits")


def bench_variational(n_models: int = 12, n_epochs: int = 5) -> None:
    import torch

    from ipflow_lib import variational as v
    from ipflow_lib.datasets import digits

    x, y, _, _, _ = digits(n_train=1347, seed=0)
    noise = v.uniform_noise(10, 0.05)
    betas = list(np.geomspace(1, 1000, n_models))
    kinds = ["vib", "vdualib"] * (n_models // 2) + ["vib"] * (n_models % 2)
    kw = dict(n_epochs=n_epochs, n_threads=1)
    print(f"\n## variational sweep: {n_models} networks (64-128-128-2x16, 1347 digits), {n_epochs} epochs, 1 thread")
    # warm up torch (thread pool, allocator, kernels) so that neither side pays the one-time costs
    train = v.train_variational_ensemble
    train(x, y, noise, kinds=kinds, betas=betas, gammas=betas, seeds=[0] * n_models, n_epochs=1)
    train(x, y, noise, kinds=kinds[:1], betas=betas[:1], gammas=betas[:1], seeds=[0], n_epochs=1)
    batched, t_batched = _timed(
        lambda: train(x, y, noise, kinds=kinds, betas=betas, gammas=betas, seeds=[0] * n_models, **kw)
    )
    loop = []
    start = time.perf_counter()
    for k, b in zip(kinds, betas, strict=True):
        loop.append(train(x, y, noise, kinds=[k], betas=[b], gammas=[b], seeds=[0], **kw).loss[0])
    t_loop = time.perf_counter() - start
    diff = np.abs(np.array(loop) - batched.loss).max() / np.abs(batched.loss).max()
    per = 1e3 / (n_models * n_epochs)
    print(f"batched ensemble {t_batched:6.2f} s ({t_batched * per:5.1f} ms per model-epoch), "
          f"one network at a time {t_loop:6.2f} s ({t_loop * per:5.1f} ms per model-epoch): "
          f"{t_loop / t_batched:4.1f}x; "
          f"largest relative difference of the losses {diff:.1e} (torch {torch.__version__})")


def bench_paper() -> None:
    from ipflow_lib.experiments import dual_ib, variational_dual_ib

    for module in (dual_ib, variational_dual_ib):
        config = module.PRESETS["paper"]
        print(f"\n## {module.NAME}, paper preset, no cache", flush=True)
        _, wall = _timed(lambda m=module, c=config: m._compute(c, _NoCheckpoint()))
        print(f"wall time {wall:.1f} s ({wall / 60:.1f} min), peak memory of this process so far {_peak_mb():.0f} MB")


class _NoCheckpoint:
    """A checkpoint that keeps nothing (the benchmark times a run from scratch)."""

    def load(self):
        return None

    def save(self, state):
        pass

    def clear(self):
        pass


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--paper", action="store_true", help="also time both experiments' paper presets")
    args = parser.parse_args(argv)
    bench_five_point()
    bench_variational()
    if args.paper:
        bench_paper()


if __name__ == "__main__":
    main()
