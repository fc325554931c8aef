"""Speed of the infinite-ensembles chapter's library code, and the paper preset's wall time and memory.

Run: ``.venv/bin/python -m benchmarks.bench_ntk`` (add ``--skip-paper`` for the ratios only).

1. ``estimators.mixture_information`` (row blocks, one fused JAX pass for pairwise and sampled bounds)
   against a plain NumPy version that builds the N×N matrices and calls ``scipy.special.logsumexp``.
2. ``ntk.finite_ensemble`` (vmap over networks, fori_loop over steps, one jit) against a Python loop
   over networks and steps calling a jitted single-network step.
3. ``ntk.infinite_ensemble`` on test inputs (chunks, diagonal of the covariance only) against one call
   of ``neural_tangents.predict`` returning the full test covariance.
4. The ``paper`` presets of ``infinite-ensembles`` and ``ntk-finite-width`` run uncached: wall time and
   peak resident memory (``ru_maxrss``).
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np


def _timed(fn, repeat: int = 3) -> float:
    """Best wall time of ``repeat`` runs after a warm-up (compilation); the best is the least disturbed by
    other processes on a shared machine."""
    fn()
    best = float("inf")
    for _ in range(repeat):
        tic = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - tic)
    return best


def naive_mixture_information(mean, var, y, n_samples, seed):
    """Baseline: the same quantities with full N×N NumPy matrices (nats), one time point."""
    from scipy.special import logsumexp

    n = mean.shape[0]
    d2 = ((mean[:, None, :] - mean[None, :, :]) ** 2).sum(-1)
    si, sj = var[:, None], var[None, :]
    k = mean.shape[1]
    kl = 0.5 * (k * si / sj + d2 / sj - k + k * np.log(sj / si))
    sbar = 0.5 * (si + sj)
    bc = d2 / (8 * sbar) + 0.5 * k * np.log(sbar / np.sqrt(si * sj))
    same = y[:, None] == y[None, :]
    rng = np.random.default_rng(seed)
    out = [np.log(n) - logsumexp(-kl, axis=1).mean(), np.log(n) - logsumexp(-bc, axis=1).mean()]
    out += [logsumexp(np.where(same, -kl, -np.inf), axis=1).mean()]
    for _ in range(n_samples):
        z = mean + np.sqrt(var)[:, None] * rng.standard_normal(mean.shape)
        s = -0.5 * (k * np.log(2 * np.pi * sj) + ((z[:, None, :] - mean[None]) ** 2).sum(-1) / sj)
        out.append(np.mean(np.diag(s) - logsumexp(s, axis=1)) + np.log(n))
        out.append(np.mean(np.diag(s) - logsumexp(np.where(np.eye(n, dtype=bool), -np.inf, s), axis=1)))
        out.append(np.mean(logsumexp(np.where(same, s, -np.inf), axis=1)))
    return out


def bench_mixture() -> None:
    from ipflow_lib.estimators import mixture_information

    rng = np.random.default_rng(0)
    for n, k in ((820, 1), (500, 10)):
        mean = rng.normal(size=(n, k))
        var = rng.uniform(0.01, 1.0, size=n)
        y = rng.integers(0, 2 if k == 1 else k, size=n)
        fast = _timed(lambda: mixture_information(mean, var, y, n_samples=4))  # noqa: B023
        slow = _timed(lambda: naive_mixture_information(mean, var, y, 4, 0))  # noqa: B023
        print(f"mixture_information   N={n:4d} k={k:2d}: {fast * 1e3:7.1f} ms  vs NumPy N×N {slow * 1e3:7.1f} ms"
              f"  -> {slow / fast:5.1f}x faster")


def bench_finite() -> None:
    import jax
    import jax.numpy as jnp

    from ipflow_lib import ntk

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 64))
    y = np.sign(rng.normal(size=(64, 1)))
    n_networks, n_steps, learning_rate = 32, 50, 0.5
    xj, yj = jnp.asarray(x, jnp.float32), jnp.asarray(y, jnp.float32)
    for width in (8, 128):
        init_fn, apply_fn, _ = ntk.network(2, width, "erf", 1.0, 0.0)

        def ours(init_fn=init_fn, apply_fn=apply_fn):
            ntk.finite_ensemble(init_fn, apply_fn, x, y, x, [n_steps * learning_rate], n_networks=n_networks, seed=0,
                                learning_rate=learning_rate)

        @jax.jit
        def step(params, apply_fn=apply_fn):
            grads = jax.grad(lambda p: 0.5 * jnp.mean((apply_fn(p, xj) - yj) ** 2))(params)
            return jax.tree_util.tree_map(lambda p, g: p - learning_rate * g, params, grads)

        def loop(init_fn=init_fn, apply_fn=apply_fn, step=step):
            for key in jax.random.split(jax.random.PRNGKey(0), n_networks):
                params = init_fn(key, xj.shape)[1]
                for _ in range(n_steps):
                    params = step(params)
                jax.block_until_ready(apply_fn(params, xj))

        fast, slow = _timed(ours), _timed(loop)
        print(f"finite_ensemble       {n_networks} nets × {n_steps} steps, width {width:3d}: {fast:6.2f} s  vs Python "
              f"loop over nets and steps {slow:6.2f} s  -> {slow / fast:5.1f}x faster")


def bench_infinite() -> None:
    import jax.numpy as jnp

    from ipflow_lib import ntk
    from ipflow_lib.experiments.infinite_ensembles import PRESETS, task_data

    config = PRESETS["paper"]
    x_train, y_train, x_test, y_test, _ = task_data("tishby-12bit", config)
    targets = ntk.regression_targets(y_train)
    _, _, kernel_fn = ntk.network(2, 1, "erf", 1.0, 0.0)
    t = config.times

    def ours():
        ntk.infinite_ensemble(kernel_fn, x_train, targets, t, x_test)

    def full():
        with ntk._x64():
            predict = ntk._nt().predict.gradient_descent_mse_ensemble(kernel_fn, x_train, jnp.asarray(targets))
            out = predict(t=t, x_test=x_test, get="ntk", compute_cov=True)
            np.asarray(out.covariance)

    fast, slow = _timed(ours), _timed(full)
    n_t, n = t.size, len(y_test)
    print(f"infinite_ensemble     12-bit test set ({n} inputs, {n_t} times): {fast:6.2f} s vs full covariance "
          f"{slow:6.2f} s ({n_t * n * n * 8 / 2**20:.0f} MiB) -> {slow / fast:5.1f}x faster")


def bench_paper() -> None:
    import os
    import tempfile

    from ipflow_lib.experiments import _common, infinite_ensembles, ntk_finite_width

    os.environ[_common.CACHE_ENV] = tempfile.mkdtemp(prefix="ipflow_bench_ntk_")  # no checkpoint to resume

    total = 0.0
    for module in (infinite_ensembles, ntk_finite_width):
        config = module.PRESETS["paper"]
        tic = time.perf_counter()
        _common.cached_run(module.NAME, config, module._compute, module.PRESETS, use_cache=False)
        seconds = time.perf_counter() - tic
        total += seconds
        print(f"paper preset {module.NAME:20s}: {seconds / 60:5.2f} min")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"paper presets of the chapter, total: {total / 60:5.2f} min (target < 10 min); peak RSS {peak:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-paper", action="store_true", help="only the speed ratios")
    args = parser.parse_args()
    bench_mixture()
    bench_finite()
    bench_infinite()
    if not args.skip_paper:
        bench_paper()


if __name__ == "__main__":
    main()
