"""Figures of chapter 5 (estimating information): estimators against ground truth, information planes
seen through several estimators, and compression per regime. Plotting never computes: it draws results.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .information_plane import information_plane
from .style import LABELS, layer_colors, new_axes, readable

__all__ = [
    "ESTIMATOR_TITLES",
    "compression_bars",
    "deterministic_ceiling",
    "digits_planes",
    "estimator_curves",
    "estimator_planes",
    "ground_truth_gaussians",
    "lens_curves",
    "lens_planes",
    "mnist_planes",
    "noisy_ground_truth",
    "plugin_bias",
    "regime_compression",
    "regime_planes",
]


def _grid(n_panels: int, ncols: int, panel_size=(3.6, 3.0)):
    import matplotlib.pyplot as plt

    from .style import use_style

    use_style()
    ncols = min(ncols, n_panels)
    nrows = -(-n_panels // ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(panel_size[0] * ncols, panel_size[1] * nrows), layout="constrained", squeeze=False
    )
    for ax in axes.ravel()[n_panels:]:
        ax.set_visible(False)
    return fig, axes.ravel()[:n_panels]


#: Font sizes of the multi-panel figures, large enough to read at page width and on a phone.
_FONTS = {"title": 12, "label": 11, "ticks": 10, "legend": 9}


def _readable(fig):
    """Enlarge the titles, axis labels, tick labels and legends of every axes of ``fig`` (colour bars too)."""
    return readable(fig, _FONTS)


def _share_epoch_colorbar(fig, axes):
    """Replace the per-panel epoch colour bars of information planes by one bar for all ``axes``.

    The panels' colour scales are equal when their logged epochs span the same range (first and last epoch).
    """
    mappable = None
    for ax in axes:
        for coll in ax.collections:
            bar = getattr(coll, "colorbar", None)
            if bar is not None:
                mappable = mappable or coll
                bar.remove()
    if mappable is not None:
        fig.colorbar(mappable, ax=list(axes), label="epoch", shrink=0.8, aspect=30)
    return _readable(fig)


def ground_truth_gaussians(result):
    """KSG and binned plug-in estimates against the truth, per dimension, as the sample size grows.

    ``result``: :class:`ipflow_lib.experiments.estimator_benchmarks.Result`. Left: estimates (mean and
    range over repeats) with the truth dashed; right: relative error (estimate − truth) / truth.
    """
    cfg = result.config
    sizes = np.asarray(cfg.sample_sizes)
    fig, (ax, ax_rel) = _grid(2, 2, (4.4, 3.4))
    colors = layer_colors(len(cfg.gaussian_dims))
    for a, dim in enumerate(cfg.gaussian_dims):
        c, truth = colors[a], result.gaussian_truth[a]
        for est, style in (("ksg", "-o"), ("binned", "--s")):
            vals = getattr(result, est)[a]
            label = f"d = {dim} (truth {truth:.2f})" if est == "ksg" else None
            ax.plot(sizes, vals.mean(axis=-1), style, color=c, ms=3, lw=1.2, label=label)
            ax.fill_between(sizes, vals.min(axis=-1), vals.max(axis=-1), color=c, alpha=0.15, lw=0)
            ax_rel.plot(sizes, 100 * (vals.mean(axis=-1) - truth) / truth, style, color=c, ms=3, lw=1.2)
        ax.axhline(truth, color=c, ls=":", lw=1)
    for style, label in (("-o", "KSG (k = 3)"), ("--s", f"binning, {cfg.pair_bins} cells per axis")):
        ax_rel.plot([], [], style, color="0.3", ms=3, label=label)
    ax.plot(sizes, np.log2(sizes), color="0.5", lw=0.8, label="log2 n")
    ax.set(xscale="log", xlabel="sample size n", ylabel="I(X;Z) [bits]",
           title=f"estimates (dotted: truth), rho = {cfg.gaussian_rho:g}")
    ax_rel.axhline(0, color="k", lw=0.8)
    ax_rel.set(xscale="log", xlabel="sample size n", ylabel="(estimate − truth) / truth [%]",
               title="relative error (solid KSG, dashed binning)")
    ax.legend(loc="upper left", fontsize=7)
    ax_rel.legend(loc="best", fontsize=7)
    return _readable(fig)


def plugin_bias(result):
    """Plug-in estimate minus truth on a discrete table against n, with the Miller–Madow prediction."""
    sizes = np.asarray(result.config.table_sizes)
    err = result.table_estimates - result.table_truth
    fig, ax = new_axes(figsize=(5.0, 3.6))
    ax.errorbar(sizes, err.mean(axis=1), yerr=err.std(axis=1), fmt="o", ms=4, capsize=2,
                label="plug-in − truth (mean ± sd over samples)")
    ax.plot(sizes, result.miller_madow, "-", color="C3", label="Miller–Madow: (|X|−1)(|Z|−1) / (2n ln 2)")
    ax.axhline(0, color="k", lw=0.8)
    kx, kz = result.config.table_shape
    ax.set(xscale="log", xlabel="sample size n", ylabel="bias [bits]",
           title=f"{kx}×{kz} table, I(X;Z) = {result.table_truth:.3f} bits")
    ax.legend()
    return _readable(fig)


def noisy_ground_truth(result):
    """I(X;T) of a noisy layer with known information against σ²: truth, KDE bounds and Monte Carlo."""
    cfg = result.config
    var = np.asarray(cfg.noise_variances)
    fig, axes = _grid(len(cfg.grid_dims), 3, (3.7, 3.2))
    for a, (ax, dim) in enumerate(zip(axes, cfg.grid_dims, strict=True)):
        ax.fill_between(var, result.grid_kde_lower[a], result.grid_kde_upper[a], color="C0", alpha=0.25,
                        label="KDE lower – upper")
        ax.plot(var, result.grid_truth_xt[a], "k-", lw=1.2, label="truth (quadrature)")
        ax.errorbar(var, result.grid_mc[a], yerr=2 * result.grid_mc_stderr[a], fmt="o", ms=3, color="C3",
                    capsize=2, label="Monte Carlo ± 2 s.e.")
        ax.axhline(np.log2(result.grid_n_points[a]), color="0.4", ls="--", lw=0.8, label="log2 n")
        ax.set(xscale="log", xlabel="noise variance σ²", ylabel=LABELS["i_xt"],
               title=f"d = {dim}: {result.grid_n_points[a]} centres")
    axes[0].legend(loc="lower left", fontsize=7)
    return _readable(fig)


def deterministic_ceiling(result):
    """A random tanh layer on the 12-bit inputs: binned I(X;T) against bin count, KDE against σ²."""
    cfg = result.config
    fig, (ax_b, ax_k) = _grid(2, 2, (3.9, 3.2))
    ax_b.plot(cfg.ceiling_bins, result.ceiling_binning, "o-", ms=4, label="binning, range [−1, 1]")
    ax_b.set(xscale="log", xlabel="number of bins", ylabel=LABELS["i_xt"], title="binning")
    var = np.asarray(cfg.ceiling_variances)
    ax_k.fill_between(var, result.ceiling_kde_lower, result.ceiling_kde_upper, alpha=0.3, label="KDE lower – upper")
    ax_k.plot(var, result.ceiling_kde_upper, "-", lw=1, color="C0")
    ax_k.axvline(1e-3, color="C3", ls=":", lw=1, label="σ² = 1e-3 (Saxe et al.)")
    ax_k.set(xscale="log", xlabel="noise variance σ²", ylabel=LABELS["i_xt"], title="KDE bounds")
    for ax in (ax_b, ax_k):
        ax.axhline(12, color="0.3", ls="--", lw=0.8, label="log2 4096 = 12 bits")
        ax.legend(loc="center right" if ax is ax_b else "lower left", fontsize=7)
    return _readable(fig)


def estimator_planes(
    panels: Mapping[str, tuple],
    *,
    h_x: float | None = None,
    h_y: float | None = None,
    ncols: int = 3,
    panel_size=(3.5, 3.1),
):
    """A grid of information planes, one per panel: ``{title: (i_xt, i_ty, epochs)}``, at most ``ncols`` a row.

    Each ``i_xt``, ``i_ty`` has shape (n_networks, n_logged, n_layers) in bits and ``epochs`` (n_logged,);
    drawn with :func:`ipflow_lib.plotting.information_plane` (mean over networks, coloured by epoch), with one
    epoch colour bar for all panels and one legend of the ceilings below them.
    """
    fig, axes = _grid(len(panels), ncols, panel_size)
    for ax, (title, (i_xt, i_ty, epochs)) in zip(axes, panels.items(), strict=True):
        information_plane(i_xt, i_ty, epochs, h_x=h_x, h_y=h_y, ax=ax, title=title)
    handles, labels = axes[0].get_legend_handles_labels()
    for ax in axes:  # the ceilings are the same in every panel: one legend, below the panels
        if ax.get_legend() is not None:
            ax.get_legend().remove()
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncols=len(handles), fontsize=_FONTS["legend"])
    return _readable(_share_epoch_colorbar(fig, axes))


def estimator_curves(
    panels: Mapping[str, tuple],
    *,
    quantity: str = "i_xt",
    ceiling: float | None = None,
    stderr: Mapping[str, np.ndarray] | None = None,
    layers: Sequence[int] | None = None,
    ncols: int = 3,
    panel_size=(3.8, 3.0),
):
    """I(X;T) (or I(T;Y)) against epoch per layer, one panel per entry ``{title: (values, epochs)}``.

    ``values`` has shape (n_networks, n_logged, n_layers) in bits; lines are the mean over networks and the
    band the interquartile range. ``stderr`` (same keys, same shape) adds Monte Carlo error bars
    (± 2 s.e., averaged over networks). ``layers`` selects layer indices (default: all).
    """
    fig, axes = _grid(len(panels), ncols, panel_size)
    for ax, (title, (values, epochs)) in zip(axes, panels.items(), strict=True):
        values, epochs = np.asarray(values), np.asarray(epochs)
        chosen = range(values.shape[2]) if layers is None else layers
        colors = layer_colors(values.shape[2])
        x = epochs + 1
        for k in chosen:
            mean = values[:, :, k].mean(axis=0)
            lo, hi = np.percentile(values[:, :, k], [25, 75], axis=0)
            if stderr is not None and title in stderr:
                se = np.asarray(stderr[title])[:, :, k].mean(axis=0)
                ax.errorbar(x, mean, yerr=2 * se, color=colors[k], lw=1.2, ms=3, fmt="-o", capsize=2,
                            label=f"L{k + 1}")
            else:
                ax.plot(x, mean, color=colors[k], lw=1.3, label=f"L{k + 1}")
            ax.fill_between(x, lo, hi, color=colors[k], alpha=0.15, lw=0)
        if ceiling is not None:
            ax.axhline(ceiling, color="0.4", ls="--", lw=0.8)
        ax.set(xscale="log", xlabel="epoch + 1", ylabel=LABELS[quantity], title=title)
    if ceiling is not None:
        axes[0].plot([], [], color="0.4", ls="--", lw=0.8, label="log2 N")
    axes[0].legend(fontsize=7, ncol=2, loc="lower left")
    return _readable(fig)


def compression_bars(
    panels: Mapping[str, Mapping[str, np.ndarray]],
    *,
    ylabel: str = "compression [bits]",
    ncols: int = 2,
    panel_size=(5.0, 3.4),
):
    """Grouped bars, one panel per entry ``{title: {label: (n_networks, n_layers) array}}``.

    Each bar is the mean over networks for one layer and label, with ± one standard deviation; used for the
    compression max_t I(X;T) − I(X;T)_final of every regime under one estimator per panel.
    """
    fig, axes = _grid(len(panels), ncols, panel_size)
    for ax, (title, values) in zip(axes, panels.items(), strict=True):
        labels = list(values)
        n_layers = np.asarray(values[labels[0]]).shape[1]
        width = 0.8 / len(labels)
        for j, label in enumerate(labels):
            v = np.asarray(values[label])
            ax.bar(np.arange(n_layers) + (j - (len(labels) - 1) / 2) * width, v.mean(axis=0), width,
                   yerr=v.std(axis=0), capsize=2, label=label, color=f"C{j}", alpha=0.85)
        ax.set_xticks(np.arange(n_layers), [f"L{k + 1}" for k in range(n_layers)])
        ax.set(xlabel="layer", ylabel=ylabel, title=title)
        ax.axhline(0, color="k", lw=0.8)
    axes[0].legend(fontsize=7)
    return _readable(fig)


#: Display names of the estimators of the compression-debate and digits experiments (panel titles).
ESTIMATOR_TITLES = {
    "bins10": "binning, 10 bins", "bins30": "binning, 30 bins", "bins100": "binning, 100 bins",
    "adaptive30": "binning, own range", "kde_upper": "KDE upper", "kde_lower": "KDE lower",
    "noisy": "noisy layer, Monte Carlo",
}
_TWELVE_BIT_H_X = 12.0  # log2 4096: the ceiling of I(X;T) on the 12-bit task


def _twelve_bit_h_y() -> float:
    from ..datasets import TWELVE_BIT_CEILING

    return float(TWELVE_BIT_CEILING["i_ty"])


def lens_planes(result, estimators: Sequence[str] = tuple(ESTIMATOR_TITLES), ncols: int = 3):
    """The first regime of a compression-debate result seen through every estimator: one information plane each.

    ``result``: :class:`ipflow_lib.experiments.compression_debate.Result`; ``estimators`` picks the panels
    (those missing from the first regime are skipped). Chapter 5, section 2.
    """
    lens = result.estimates[result.regimes[0]]
    panels = {ESTIMATOR_TITLES.get(k, k): (lens[k].i_xt, lens[k].i_ty, lens[k].epochs)
              for k in estimators if k in lens}
    return estimator_planes(panels, h_x=_TWELVE_BIT_H_X, h_y=_twelve_bit_h_y(), ncols=ncols)


def lens_curves(result, estimators: Sequence[str] = ("bins30", "adaptive30", "kde_upper", "noisy"), ncols: int = 2):
    """I(X;T) of every layer against epoch in the first regime, one panel per estimator, with the Monte Carlo
    standard errors of ``"noisy"`` as error bars (:func:`estimator_curves`). Chapter 5, section 2."""
    lens = result.estimates[result.regimes[0]]
    panels = {ESTIMATOR_TITLES.get(k, k): (lens[k].i_xt, lens[k].epochs) for k in estimators if k in lens}
    stderr = {ESTIMATOR_TITLES["noisy"]: lens["noisy_stderr"].i_xt} if "noisy_stderr" in lens else None
    return estimator_curves(panels, stderr=stderr, ceiling=_TWELVE_BIT_H_X, ncols=ncols)


def regime_planes(result, estimator: str = "kde_upper", ncols: int = 2):
    """One information plane per regime of a compression-debate result, all through ``estimator``
    (Saxe et al.'s 2 × 2 design: tanh / ReLU × mini-batch / full batch). Chapter 5, section 3."""
    title = ESTIMATOR_TITLES.get(estimator, estimator)
    panels = {f"{r}, {title}": (result.estimates[r][estimator].i_xt, result.estimates[r][estimator].i_ty,
                                result.estimates[r][estimator].epochs) for r in result.regimes}
    return estimator_planes(panels, h_x=_TWELVE_BIT_H_X, h_y=_twelve_bit_h_y(), ncols=ncols)


def regime_compression(result, estimators: Sequence[str] = ("kde_upper", "bins30")):
    """Bars of the compression max_t I(X;T) − final I(X;T) of every layer and regime, one panel per estimator
    (:func:`compression_bars`), every estimator on the same epochs (``result.on_common_epochs()``: the epochs at
    which all of a regime's estimators ran). Chapter 5, section 3."""
    common = result.on_common_epochs()
    panels = {f"compression, {ESTIMATOR_TITLES.get(e, e)}": {r: common.compression(r, e) for r in result.regimes}
              for e in estimators}
    return compression_bars(panels, ylabel="max over common epochs of I(X;T)\n− final I(X;T) [bits]")


def mnist_planes(result, estimators: Sequence[str] = ("bins30", "adaptive30", "kde_upper"), ncols: int = 3):
    """Saxe et al.'s MNIST networks: one information plane per regime (rows) and estimator (columns), with the
    ceilings log2 N (N = the split's images) and H(Y) = log2 10 (a stratified split of ten digits).

    ``result``: the :class:`ipflow_lib.experiments.compression_debate.Result` of
    :mod:`ipflow_lib.experiments.mnist_debate`. Chapter 5, section 3.
    """
    n_images = result.config.n_train + result.config.n_test
    panels = {f"{r.split('-')[0]}, {ESTIMATOR_TITLES.get(e, e)}": (
        result.estimates[r][e].i_xt, result.estimates[r][e].i_ty, result.estimates[r][e].epochs)
        for r in result.regimes for e in estimators}
    return estimator_planes(panels, h_x=float(np.log2(n_images)), h_y=float(np.log2(10)), ncols=ncols)


def digits_planes(result, estimators: Sequence[str] = ("adaptive30", "kde_upper", "noisy"), ncols: int = 3):
    """Information planes of the probed MLPs (MNIST, or the 8×8 digits), one per activation and estimator, with the
    ceilings log2 N and H(Y). ``result``: :class:`ipflow_lib.experiments.digits_probes.Result`. Chapter 5, section 4."""
    panels = {f"{act}, {ESTIMATOR_TITLES.get(e, e)}": (result.estimates[act][e]["i_xt"],
                                                        result.estimates[act][e]["i_ty"], result.logged_epochs)
              for act in result.estimates for e in estimators}
    return estimator_planes(panels, h_x=float(np.log2(result.n_samples)), h_y=result.h_y, ncols=ncols)
