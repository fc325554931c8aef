"""Estimators on ground truth: estimate against truth, as the sample size and the dimension grow.

Chapter 5, section 1. Four yardsticks whose mutual information is known exactly
(:mod:`ipflow_lib.datasets.ground_truth`):

1. **Correlated Gaussians** (``dim`` pairs with correlation ``rho``; truth −(dim/2) log2(1 − rho²)):
   the KSG k-NN estimator and the plug-in estimator on equal-width bins, for several sample sizes
   and dimensions.
2. **A discrete joint table**: the plug-in estimator against its closed form, with the Miller–Madow
   prediction of its bias, (|X| − 1)(|Z| − 1) / (2 n ln 2) bits.
3. **A noisy layer with known information** (centres on a product grid, T = h + N(0, σ² I); truth by
   quadrature): the KDE upper and lower bounds and the Monte Carlo estimator, across noise levels
   and dimensions.
4. **The deterministic ceiling**: a random tanh layer applied to the 4096 inputs of the 12-bit task is
   injective, so any faithful estimate of I(X;T) is log2 4096 = 12 bits; binning reaches it as bins
   get finer and KDE as σ² shrinks, and what either reports below it is a property of the estimator.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ._common import RunInfo, cached_run, progress, select_config

__all__ = ["Config", "PRESETS", "Result", "run"]


@dataclasses.dataclass(frozen=True)
class Config:
    """Settings of the ground-truth benchmarks."""

    # 1. correlated Gaussians
    gaussian_dims: tuple[int, ...] = (1, 2, 5, 10)
    gaussian_rho: float = 0.9
    sample_sizes: tuple[int, ...] = (100, 300, 1000, 3000, 10000)
    n_repeats: int = 3
    ksg_k: int = 3
    pair_bins: int = 10  # cells per coordinate for the binned plug-in estimator
    # 2. discrete table
    table_shape: tuple[int, int] = (8, 4)
    table_sizes: tuple[int, ...] = (50, 100, 300, 1000, 3000, 10000, 30000)
    table_repeats: int = 20
    # 3. noisy layer on a grid
    grid_levels: tuple[float, ...] = (0.0, 0.2, 0.5, 1.0)
    grid_dims: tuple[int, ...] = (1, 3, 5)
    noise_variances: tuple[float, ...] = tuple(float(v) for v in np.logspace(-5, 0, 11))
    mc_samples: int = 8192  # Monte Carlo terms per estimate (noise draws spread evenly over the centres)
    # 4. deterministic ceiling
    ceiling_width: int = 10
    ceiling_bins: tuple[int, ...] = (3, 4, 6, 10, 30, 100, 300, 1000)
    ceiling_variances: tuple[float, ...] = tuple(float(v) for v in np.logspace(-7, 1, 17))
    seed: int = 0


PRESETS = {
    "paper": Config(),
    "quick": Config(
        gaussian_dims=(1, 2, 5), sample_sizes=(100, 300, 1000, 3000), n_repeats=2,
        table_sizes=(50, 300, 3000, 30000), table_repeats=8, grid_dims=(1, 3),
        noise_variances=tuple(float(v) for v in np.logspace(-5, 0, 6)), mc_samples=2048,
        ceiling_bins=(3, 6, 30, 300), ceiling_variances=tuple(float(v) for v in np.logspace(-7, 1, 9)),
    ),
}


@dataclasses.dataclass
class Result:
    """Estimates against truth (bits).

    Attributes
    ----------
    config : Config
    gaussian_truth : (n_dims,) true I(X;Z) of each dimension
    ksg, binned : (n_dims, n_sizes, n_repeats) KSG and binned plug-in estimates
    table_truth : float; table_estimates : (n_table_sizes, table_repeats) plug-in estimates
    miller_madow : (n_table_sizes,) predicted plug-in bias (|X|−1)(|Z|−1)/(2n ln 2), bits
    grid_truth_xt, grid_truth_ty : (n_grid_dims, n_variances) exact I(X;T), I(T;Y)
    grid_kde_upper, grid_kde_lower, grid_mc, grid_mc_stderr : (n_grid_dims, n_variances) I(X;T) estimates
    grid_n_points : (n_grid_dims,) number of centres (log2 of it is the ceiling)
    ceiling_binning : (n_ceiling_bins,) binned I(X;T) of a random tanh layer on the 12-bit inputs
    ceiling_kde_upper, ceiling_kde_lower : (n_ceiling_variances,) its KDE bounds
    info : RunInfo
    """

    config: Config
    gaussian_truth: np.ndarray
    ksg: np.ndarray
    binned: np.ndarray
    table_truth: float
    table_estimates: np.ndarray
    miller_madow: np.ndarray
    grid_truth_xt: np.ndarray
    grid_truth_ty: np.ndarray
    grid_kde_upper: np.ndarray
    grid_kde_lower: np.ndarray
    grid_mc: np.ndarray
    grid_mc_stderr: np.ndarray
    grid_n_points: np.ndarray
    ceiling_binning: np.ndarray
    ceiling_kde_upper: np.ndarray
    ceiling_kde_lower: np.ndarray
    info: RunInfo | None = None

    def summary(self) -> dict[str, float | int]:
        """Headline numbers of the chapter (plain Python numbers, bits or %), for ``myst_nb.glue``."""
        cfg = self.config
        ksg_rel, bin_rel = 100 * self.relative_error("ksg"), 100 * self.relative_error("binned")
        table_bias = self.table_estimates.mean(axis=1) - self.table_truth
        gap = self.grid_kde_upper[-1] - self.grid_kde_lower[-1]
        i30 = int(np.argmin(np.abs(np.asarray(cfg.ceiling_bins) - 30)))
        isaxe = int(np.argmin(np.abs(np.log(cfg.ceiling_variances) - np.log(1e-3))))
        return {
            "gt_rho": float(cfg.gaussian_rho),
            "gt_nmax": int(cfg.sample_sizes[-1]), "gt_nmin": int(cfg.sample_sizes[0]),
            "gt_dmin": int(cfg.gaussian_dims[0]), "gt_dmax": int(cfg.gaussian_dims[-1]),
            "gt_truth_dmin": float(self.gaussian_truth[0]), "gt_truth_dmax": float(self.gaussian_truth[-1]),
            "gt_ksg_err_dmin": float(ksg_rel[0, -1]), "gt_ksg_err_dmax": float(ksg_rel[-1, -1]),
            "gt_ksg_dmax": float(self.ksg[-1, -1].mean()), "gt_bin_err_dmin": float(bin_rel[0, -1]),
            "gt_bin_dmax_nmin": float(self.binned[-1, 0].mean()), "gt_log2_nmin": float(np.log2(cfg.sample_sizes[0])),
            "gt_bin_dmax_nmax": float(self.binned[-1, -1].mean()), "gt_log2_nmax": float(np.log2(cfg.sample_sizes[-1])),
            "tab_truth": float(self.table_truth),
            "tab_nmin": int(cfg.table_sizes[0]), "tab_nmax": int(cfg.table_sizes[-1]),
            "tab_bias_nmin": float(table_bias[0]), "tab_mm_nmin": float(self.miller_madow[0]),
            "tab_bias_nmax": float(table_bias[-1]), "tab_mm_nmax": float(self.miller_madow[-1]),
            "grid_dmax": int(cfg.grid_dims[-1]), "grid_npoints_dmax": int(self.grid_n_points[-1]),
            "grid_max_gap": float(gap.max()), "grid_gap_var": float(cfg.noise_variances[int(np.argmax(gap))]),
            "grid_mc_max_err": float(np.abs(self.grid_mc - self.grid_truth_xt).max()),
            "grid_mc_max_stderr": float(self.grid_mc_stderr.max()),
            "ceil_bins_min": int(cfg.ceiling_bins[0]), "ceil_binning_min": float(self.ceiling_binning[0]),
            "ceil_bins30": int(cfg.ceiling_bins[i30]), "ceil_binning30": float(self.ceiling_binning[i30]),
            "ceil_kde_upper_saxe": float(self.ceiling_kde_upper[isaxe]),
            "ceil_kde_lower_saxe": float(self.ceiling_kde_lower[isaxe]),
            "ceil_var_saxe": float(cfg.ceiling_variances[isaxe]),
        }

    def relative_error(self, estimator: str = "ksg") -> np.ndarray:
        """Mean (estimate − truth) / truth over repeats, shape (n_dims, n_sizes)."""
        est = getattr(self, estimator)
        return (est.mean(axis=-1) - self.gaussian_truth[:, None]) / self.gaussian_truth[:, None]


def _table(config: Config) -> np.ndarray:
    rng = np.random.default_rng(config.seed + 1)
    p = rng.dirichlet(np.full(config.table_shape[0] * config.table_shape[1], 0.7))
    return p.reshape(config.table_shape)


def _compute(config: Config, checkpoint) -> Result:
    from ..datasets import ground_truth as gt
    from ..datasets import tishby_12bit
    from ..estimators import binned_mi, binned_pair_mi, kde_bounds, ksg_mi, noisy_mi_estimate, plugin_mi

    state = checkpoint.load() or {}
    dims, sizes = config.gaussian_dims, config.sample_sizes
    if "ksg" not in state:
        ksg = np.full((len(dims), len(sizes), config.n_repeats), np.nan)
        binned = np.full_like(ksg, np.nan)
        truth = np.zeros(len(dims))
        bar = progress(total=ksg.size, desc="KSG and binning on Gaussians")
        for a, dim in enumerate(dims):
            for r in range(config.n_repeats):
                sample = gt.correlated_gaussians(max(sizes), dim, config.gaussian_rho, seed=config.seed + 1000 * a + r)
                truth[a] = sample.mi
                for b, n in enumerate(sizes):
                    ksg[a, b, r] = ksg_mi(sample.x[:n], sample.z[:n], k=config.ksg_k)
                    binned[a, b, r] = binned_pair_mi(sample.x[:n], sample.z[:n], config.pair_bins)
                    bar.update(1)
        bar.close()
        state.update(ksg=ksg, binned=binned, gaussian_truth=truth)
        checkpoint.save(state)

    p = _table(config)
    table = np.zeros((len(config.table_sizes), config.table_repeats))
    for a, n in enumerate(config.table_sizes):
        for r in range(config.table_repeats):
            sample = gt.sample_discrete(p, n, seed=config.seed + 7919 * r + n)
            table[a, r] = plugin_mi(sample.x, sample.z)
    kx, kz = config.table_shape
    miller_madow = (kx - 1) * (kz - 1) / (2.0 * np.asarray(config.table_sizes) * np.log(2.0))

    shape = (len(config.grid_dims), len(config.noise_variances))
    grid = {k: np.full(shape, np.nan) for k in ("truth_xt", "truth_ty", "up", "lo", "mc", "se")}
    n_points = np.zeros(len(config.grid_dims), dtype=np.int64)
    for a, dim in enumerate(progress(config.grid_dims, desc="noisy grid")):
        for b, var in enumerate(config.noise_variances):
            task = gt.noisy_grid(config.grid_levels, dim, var)
            n_points[a] = task.centres.shape[0]
            bounds = kde_bounds(task.centres, task.labels, var)
            draws = -(-config.mc_samples // task.centres.shape[0])
            mc = noisy_mi_estimate(task.centres, task.labels, var, n_draws=draws, seed=config.seed + b)
            grid["truth_xt"][a, b], grid["truth_ty"][a, b] = task.i_xt, task.i_ty
            grid["up"][a, b], grid["lo"][a, b] = bounds.i_xt_upper, bounds.i_xt_lower
            grid["mc"][a, b], grid["se"][a, b] = mc.i_xt, mc.i_xt_stderr

    X, y = tishby_12bit()
    rng = np.random.default_rng(config.seed + 2)
    w = np.clip(rng.standard_normal((X.shape[1], config.ceiling_width)), -2, 2) / np.sqrt(X.shape[1])
    layer = np.tanh(X @ w)
    ceiling_binning = np.array([binned_mi(layer, y, b)[0] for b in config.ceiling_bins])
    ceiling = [kde_bounds(layer, y, v) for v in config.ceiling_variances]

    return Result(
        config=config,
        gaussian_truth=state["gaussian_truth"], ksg=state["ksg"], binned=state["binned"],
        table_truth=gt.discrete_mi(p), table_estimates=table, miller_madow=miller_madow,
        grid_truth_xt=grid["truth_xt"], grid_truth_ty=grid["truth_ty"], grid_kde_upper=grid["up"],
        grid_kde_lower=grid["lo"], grid_mc=grid["mc"], grid_mc_stderr=grid["se"], grid_n_points=n_points,
        ceiling_binning=ceiling_binning,
        ceiling_kde_upper=np.array([float(c.i_xt_upper) for c in ceiling]),
        ceiling_kde_lower=np.array([float(c.i_xt_lower) for c in ceiling]),
    )


def run(config: Config | None = None) -> Result:
    """Run (or load from the cache) the ground-truth benchmarks; ``config`` defaults to the preset's."""
    config = config or select_config(PRESETS)
    return cached_run("estimator-benchmarks", config, _compute, PRESETS)
