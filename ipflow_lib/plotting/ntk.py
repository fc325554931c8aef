"""Figures of the infinite-ensembles chapter (``experiments.infinite_ensembles`` and ``ntk_finite_width``).

Every function draws a result (it computes nothing but what is drawn, e.g. a mixture density on a
grid) and returns the ``Figure``.
"""

from __future__ import annotations

import numpy as np

from .style import new_axes, readable

__all__ = [
    "ntk_finite_width",
    "ntk_gap_scatter",
    "ntk_heatmaps",
    "ntk_information_curves",
    "ntk_information_plane",
    "ntk_noise_floor",
    "ntk_output_distributions",
]

_T_LABEL = "training time t (gradient flow)"
_NAMES = {
    "i_xz_nce": "I(X;Z) [bits]",
    "i_zy_mc": "I(Z;Y) [bits]",
    "kl_prior": "KL[p_t ‖ p_0] [bits / input]",
    "gibbs": "Gibbs loss [nats / example]",
    "bayes": "Bayes loss [nats / example]",
    "error": "error of the ensemble mean",
    "gap": "Gibbs-loss gap, test − train [nats]",
}
_SPLIT = ("training inputs", "test inputs")


#: Font sizes of the multi-panel figures, large enough to read at page width and on a phone.
_FONTS = {"title": 11, "label": 10.5, "ticks": 9.5, "legend": 8.5}


def _readable(fig):
    """Enlarge the titles, axis labels, tick labels and legends of every axes of ``fig`` (colour bars too)."""
    return readable(fig, _FONTS)


def _w_colors(n):
    import matplotlib as mpl

    return mpl.colormaps["viridis"](np.linspace(0.0, 0.9, max(n, 1)))


def _w_indices(result, w_stds):
    all_w = list(np.asarray(result.w_stds))
    if w_stds is None:  # the config's selection for figures, else the whole grid
        w_stds = getattr(result.config, "display_w_stds", all_w)
    missing = [w for w in w_stds if w not in all_w]
    if missing:
        raise ValueError(f"w_stds {missing} are not in the result's grid {all_w}")
    return [all_w.index(w) for w in w_stds]


def ntk_output_distributions(result, task: str, times=(1e-1, 1e1, 1e3, 1e7), *, n_grid: int = 400):
    """The ensemble's output distribution p_t(z) = (1/N) Σ_i N(z; μ_t(x_i), s_t(x_i)), split by class.

    Rows: the result's times nearest to ``times``; columns: training inputs, test inputs; one output
    (binary tasks). Drawn at σ_w = ``config.reference_w_std``; each class's share of the mixture is filled.
    """
    tr = result.task(task)
    if tr.ref_mean_train.shape[-1] != 1:
        raise ValueError(f"task {task!r} has {tr.ref_mean_train.shape[-1]} outputs; this figure needs one")
    rows = [int(np.argmin(np.abs(np.log10(result.t) - np.log10(t)))) for t in times]
    fig, axes = new_axes(nrows=len(rows), ncols=2, figsize=(7.0, 1.9 * len(rows) + 0.8), sharex=True)
    axes = np.asarray(axes).reshape(len(rows), 2)
    colors = ("tab:blue", "tab:orange")
    for col, (means, vars_, labels) in enumerate(
        ((tr.ref_mean_train, tr.ref_var_train, tr.y_train), (tr.ref_mean_test, tr.ref_var_test, tr.y_test))
    ):
        for row, j in enumerate(rows):
            ax = axes[row, col]
            mu, s = means[j, :, 0], np.maximum(vars_[j], 1e-6)  # display only: widths below 1e-3 are not visible
            z = np.linspace(-2.5, 2.5, n_grid)
            dens = np.exp(-0.5 * (z[None] - mu[:, None]) ** 2 / s[:, None]) / np.sqrt(2 * np.pi * s[:, None])
            total = dens.mean(axis=0)
            for c in (0, 1):
                part = dens[labels == c].sum(axis=0) / len(labels)
                ax.fill_between(z, part, alpha=0.45, color=colors[c], label=f"class {c}", lw=0)
            ax.plot(z, total, color="k", lw=0.8, label="p(z)")
            ax.set_yscale("log")
            ax.set_ylim(1e-3, max(10.0, total.max() * 1.5))
            ax.set_title(f"{_SPLIT[col]}, t = {result.t[j]:.2g}")
            if row == len(rows) - 1:
                ax.set_xlabel("ensemble output z")
            if col == 0:
                ax.set_ylabel("density")
    axes[0, -1].legend(loc="upper right")
    fig.suptitle(f"{task}: the infinite ensemble's outputs, σ_w = {result.config.reference_w_std:g}", fontsize=12)
    return _readable(fig)


def ntk_information_curves(result, task: str, w_stds=None):
    """I(X;Z), I(Z;Y) and the Gibbs loss against training time, one colour per weight scale σ_w.

    ``w_stds`` defaults to ``config.display_w_stds``. Rows: training inputs, test inputs. Lines: sampled
    values (InfoNCE for I(X;Z), the unbiased estimate for I(Z;Y)); shaded: the pairwise (Kolchinsky–Tracey)
    bounds; dotted grey: the ceilings log₂ N and H(Y).
    """
    tr = result.task(task)
    idx = _w_indices(result, w_stds)
    colors = _w_colors(len(idx))
    fig, axes = new_axes(nrows=2, ncols=3, figsize=(11, 6), sharex=True)
    for split in (0, 1):
        ax_x, ax_y, ax_l = axes[split]
        for c, i in zip(colors, idx, strict=True):
            label = f"σ_w = {result.w_stds[i]:g}"
            ax_x.fill_between(result.t, tr.i_xz_lower[split, i], tr.i_xz_upper[split, i], color=c, alpha=0.2, lw=0)
            ax_x.plot(result.t, tr.i_xz_nce[split, i], color=c, label=label)
            ax_y.fill_between(result.t, tr.i_zy_lower[split, i], tr.i_zy_upper[split, i], color=c, alpha=0.2, lw=0)
            ax_y.plot(result.t, tr.i_zy_mc[split, i], color=c, label=label)
            ax_l.plot(result.t, tr.gibbs[split, i], color=c, label=label)
        ax_x.axhline(tr.log2_n[split], color="0.5", ls=":", lw=1, label="log₂ N")
        ax_y.axhline(tr.h_y[split], color="0.5", ls=":", lw=1, label="H(Y)")
        ax_x.set_ylabel(f"I(X;Z) [bits], {_SPLIT[split]}")
        ax_y.set_ylabel(f"I(Z;Y) [bits], {_SPLIT[split]}")
        ax_l.set_ylabel(f"Gibbs loss [nats], {_SPLIT[split]}")
        for ax in (ax_x, ax_y, ax_l):
            ax.set_xscale("log")
    for ax in axes[1]:
        ax.set_xlabel(_T_LABEL)
    axes[0, 0].legend(loc="upper left", fontsize=7)
    axes[0, 1].legend(loc="upper left", fontsize=7)
    fig.suptitle(f"{task}: information of the infinite ensemble during training", fontsize=12)
    return _readable(fig)


def ntk_heatmaps(result, task: str, quantities=("i_xz_nce", "i_zy_mc", "kl_prior", "gap", "error"), split: int = 1):
    """Heatmaps over (training time, weight scale) of the quantities of one task (on test inputs by default).

    ``"gap"`` is the Gibbs-loss generalisation gap (test − train); the others are drawn for ``split``
    (0 = training inputs, 1 = test inputs).
    """
    from matplotlib.colors import LogNorm

    tr = result.task(task)
    ncols = min(3, len(quantities))
    nrows = -(-len(quantities) // ncols)
    fig, axes = new_axes(nrows=nrows, ncols=ncols, figsize=(3.5 * ncols, 2.9 * nrows + 0.4))
    axes = np.asarray(axes).reshape(nrows, ncols)
    for ax in axes.ravel()[len(quantities):]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("log₁₀ σ_w")
    axes = axes.ravel()[:len(quantities)]
    log_t = np.log10(result.t)
    log_w = np.log10(result.w_stds)
    for ax, q in zip(axes, quantities, strict=True):
        values = tr.gap("gibbs") if q == "gap" else getattr(tr, q)[split]
        norm = None
        if q == "kl_prior":  # spans many decades: tiny prior variances make moving the mean costly
            positive = values[values > 0]
            norm = LogNorm(vmin=max(1e-3, positive.min()) if positive.size else 1e-3, vmax=max(values.max(), 1e-2))
            values = np.maximum(values, norm.vmin)
        mesh = ax.pcolormesh(
            log_t, log_w, values, shading="nearest", cmap="magma" if q == "gap" else "viridis", norm=norm
        )
        fig.colorbar(mesh, ax=ax, shrink=0.9)
        ax.set_title(_NAMES.get(q, q))
        ax.set_xlabel("log₁₀ t")
        ax.grid(False)
    where = "" if quantities == ("gap",) else f" (information and error on {_SPLIT[split]})"
    fig.suptitle(f"{task}{where}", fontsize=12)
    return _readable(fig)


def ntk_information_plane(result, split: int = 1, w_stds=None):
    """Information plane I(X;Z) vs I(Z;Y) of each task: one trajectory over t per weight scale.

    Markers grow with training time; the sampled estimates are drawn (InfoNCE, unbiased I(Z;Y)).
    ``w_stds`` defaults to ``config.display_w_stds``.
    """
    idx = _w_indices(result, w_stds)
    colors = _w_colors(len(idx))
    n = len(result.tasks)
    fig, axes = new_axes(nrows=1, ncols=n, figsize=(3.8 * n, 3.6))
    axes = np.atleast_1d(axes)
    sizes = 4 + 30 * (np.arange(result.t.size) / max(result.t.size - 1, 1))
    for ax, tr in zip(axes, result.tasks, strict=True):
        for c, i in zip(colors, idx, strict=True):
            x, y = tr.i_xz_nce[split, i], tr.i_zy_mc[split, i]
            ax.plot(x, y, color=c, lw=1, label=f"σ_w = {result.w_stds[i]:g}")
            ax.scatter(x, y, s=sizes, color=c, zorder=3)
        ax.set_title(tr.task)
        ax.set_xlabel(f"I(X;Z) [bits], {_SPLIT[split]}")
        ax.set_ylabel("I(Z;Y) [bits]")
    axes[0].legend(fontsize=7)
    return _readable(fig)


def ntk_gap_scatter(result, quantity: str = "i_xz_nce", split: int = 1, correlations=None):
    """The Gibbs-loss generalisation gap against ``quantity`` over the whole (σ_w, t) grid, per task.

    Points are coloured by log₁₀ t; ``correlations`` (from ``Result.gap_correlations()``) adds Spearman's ρ to titles.
    """
    n = len(result.tasks)
    fig, axes = new_axes(nrows=1, ncols=n, figsize=(3.8 * n, 3.4))
    axes = np.atleast_1d(axes)
    colors = np.broadcast_to(np.log10(result.t)[None], (len(result.w_stds), result.t.size)).ravel()
    for ax, tr in zip(axes, result.tasks, strict=True):
        sc = ax.scatter(getattr(tr, quantity)[split].ravel(), tr.gap("gibbs").ravel(), c=colors, s=9, cmap="viridis")
        title = tr.task
        if correlations is not None:
            title += f"  (Spearman ρ = {correlations[tr.task][quantity]:.2f})"
        ax.set_title(title, fontsize=9)
        ax.set_xlabel(_NAMES.get(quantity, quantity) + f", {_SPLIT[split]}")
        ax.set_ylabel(_NAMES["gap"])
    fig.colorbar(sc, ax=axes[-1], label="log₁₀ t")
    return _readable(fig)


def ntk_finite_width(result):
    """Finite ensembles against the infinite one: mean and variance errors vs width, with the MC floor.

    One colour per training time; lines: finite networks; shaded band and dashed line: 5–95 % and median
    of the same error for exact draws from the infinite ensemble (as many networks). Right: the finite
    ensembles' variance on each test input against the infinite ensemble's, at the last time.
    """
    import matplotlib as mpl
    fig, axes = new_axes(nrows=1, ncols=3, figsize=(11.5, 3.6))
    colors = mpl.colormaps["plasma"](np.linspace(0.0, 0.8, result.t.size))
    for ax, err, floor, name in (
        (axes[0], result.mean_error, result.floor_mean_error, "mean error [ensemble std]"),
        (axes[1], result.var_error, result.floor_var_error, "relative variance error"),
    ):
        for j, c in enumerate(colors):
            ax.plot(result.widths, err[:, j], "o-", color=c, ms=3, label=f"t = {result.t[j]:g}")
            ax.axhspan(floor[0, j], floor[2, j], color=c, alpha=0.08, lw=0)
            ax.axhline(floor[1, j], color=c, ls="--", lw=0.8)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("hidden width")
        ax.set_ylabel(name)
    axes[0].legend(fontsize=7)
    j = result.t.size - 1
    ref = result.infinite_var[j]
    for w_i, c in zip(range(len(result.widths)), mpl.colormaps["viridis"](np.linspace(0, 0.9, len(result.widths))),
                      strict=True):
        axes[2].scatter(ref, result.finite_var[w_i, j], s=6, color=c, label=f"width {result.widths[w_i]}")
    lims = [ref.min() * 0.8, ref.max() * 1.25]
    axes[2].plot(lims, lims, color="k", lw=0.8)
    axes[2].set_xscale("log")
    axes[2].set_yscale("log")
    for axis in (axes[2].xaxis, axes[2].yaxis):
        axis.set_minor_formatter(mpl.ticker.NullFormatter())
    axes[2].set_xlabel(f"infinite-width variance s_t(x), t = {result.t[j]:g}")
    axes[2].set_ylabel("finite ensemble's variance")
    axes[2].legend(fontsize=6, markerscale=2)
    return _readable(fig)


def ntk_noise_floor(result, task: str):
    """I(X;Z) at σ_w = ``reference_w_std`` for each noise level added to Z (variance relative to the prior's).

    Left: training inputs, right: test inputs; the level used everywhere else (``config.noise``) in black.
    """
    import matplotlib as mpl

    tr = result.task(task)
    i_ref = list(np.asarray(result.w_stds)).index(result.config.reference_w_std)
    levels = [result.config.noise, *result.config.noise_sweep]
    curves = [tr.i_xz_nce[:, i_ref], *tr.noise_i_xz]
    order = np.argsort(levels)
    colors = mpl.colormaps["cividis"](np.linspace(0.0, 0.9, len(levels)))
    fig, axes = new_axes(nrows=1, ncols=2, figsize=(9, 3.4), sharey=True)
    for split, ax in enumerate(axes):
        for c, i in zip(colors, order, strict=True):
            main = levels[i] == result.config.noise
            ax.plot(result.t, curves[i][split], color="k" if main else c, lw=1.8 if main else 1.2,
                    label=f"noise {levels[i]:.0e}" + (" (used)" if main else ""))
        ax.axhline(tr.h_y[split], color="0.5", ls=":", lw=1, label="H(Y)")
        ax.set_xscale("log")
        ax.set_xlabel(_T_LABEL)
        ax.set_title(_SPLIT[split])
    axes[0].set_ylabel("I(X;Z) [bits]")
    axes[0].legend(fontsize=7)
    fig.suptitle(f"{task}, σ_w = {result.config.reference_w_std:g}: I(X;Z) at several noise levels", fontsize=12)
    return _readable(fig)
