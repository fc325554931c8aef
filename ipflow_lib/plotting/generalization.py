"""Figures of chapters 3 and 4: training size and depth in the information plane, the layers against the IB
bound, and the input compression bound against the measured generalization gap.

Every function takes arrays (shapes in the docstrings), draws on given or new axes and returns the
``Figure``; nothing is computed here beyond means and percentiles over networks.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .information_plane import information_plane
from .style import LABELS, layer_colors, new_axes

__all__ = [
    "beta_per_layer",
    "bound_over_training",
    "bound_versus_information",
    "bounds_versus_size",
    "curves_with_control",
    "decoder_gap_per_layer",
    "final_layers_by_size",
    "information_planes",
    "label_information_by_size",
    "layers_against_bound",
    "phase_times_by_depth",
]


def _size_colors(n: int):
    import matplotlib as mpl

    return mpl.colormaps["viridis"](np.linspace(0.0, 0.9, max(n, 1)))


def _check(name: str, arr, ndim: int) -> np.ndarray:
    arr = np.asarray(arr, dtype=np.float64)
    if arr.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {arr.shape}")
    return arr


def information_planes(i_xt, i_ty, epochs, titles: Sequence[str], *, h_x=None, h_y=None, ncols: int = 3,
                       panel_size=(4.6, 3.6)):
    """One information plane per panel (SZT17 Figs. 3 and 5), each as :func:`information_plane`.

    Parameters
    ----------
    i_xt, i_ty : sequences (n_panels,) of arrays (n_networks, n_logged, n_layers), bits -- layers may differ
        between panels (columns that are all NaN are dropped)
    epochs : (n_logged,) logged epochs
    titles : (n_panels,) panel titles
    """
    n = len(titles)
    if len(i_xt) != n or len(i_ty) != n:
        raise ValueError(f"need one (i_xt, i_ty) per title: {len(i_xt)}, {len(i_ty)}, {n}")
    nrows = -(-n // ncols)
    fig, axes = new_axes(ncols=min(ncols, n), nrows=nrows,
                         figsize=(panel_size[0] * min(ncols, n), panel_size[1] * nrows), sharey=True)
    axes = np.atleast_1d(axes).ravel()
    for ax, x, t, title in zip(axes, i_xt, i_ty, titles, strict=False):
        x, t = np.asarray(x), np.asarray(t)
        keep = ~np.isnan(x).all(axis=(0, 1))
        information_plane(x[..., keep], t[..., keep], epochs, h_x=h_x, h_y=h_y, ax=ax, n_lines=8)
        ax.set_title(title)
        if ax.get_legend() is not None:
            ax.get_legend().remove()
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig


def label_information_by_size(epochs, i_ty, train_fractions, *, layer: int, layer_name: str = "", ax=None,
                              h_y: float | None = None):
    """I(T;Y) of one layer against epochs, one line per training size (mean over networks, 25–75 % band).

    Parameters
    ----------
    epochs : (n_logged,)
    i_ty : (n_sizes, n_networks, n_logged, n_layers), bits
    train_fractions : (n_sizes,)
    layer : index of the layer drawn
    """
    i_ty = _check("i_ty", i_ty, 4)
    fig, ax = new_axes(ax)
    x = np.asarray(epochs) + 1
    for s, (f, color) in enumerate(zip(train_fractions, _size_colors(len(train_fractions)), strict=True)):
        v = i_ty[s, :, :, layer]
        lo, hi = np.percentile(v, [25, 75], axis=0)
        ax.fill_between(x, lo, hi, color=color, alpha=0.15, lw=0)
        ax.plot(x, v.mean(axis=0), color=color, lw=1.3, label=f"{100 * f:g} %")
    if h_y is not None:
        ax.axhline(h_y, color="0.3", ls="--", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("epoch + 1")
    ax.set_ylabel(LABELS["i_ty"])
    ax.set_title(f"{layer_name or f'layer {layer + 1}'}: label information by training size")
    ax.legend(title="training data", ncols=2)
    return fig


def final_layers_by_size(i_xt, i_ty, train_fractions, *, ax=None, h_x=None, h_y=None, bound=None):
    """SZT17 Fig. 7: the final position of every layer, one line per training size (mean ± s.e. over networks).

    Parameters
    ----------
    i_xt, i_ty : (n_sizes, n_networks, n_layers), bits -- the layers at the end of training
    train_fractions : (n_sizes,)
    bound : optional (x, y) arrays of an IB bound
    """
    import matplotlib as mpl

    i_xt, i_ty = _check("i_xt", i_xt, 3), _check("i_ty", i_ty, 3)
    fig, ax = new_axes(ax, figsize=(6.6, 4.4))
    fractions = np.asarray(train_fractions, dtype=float)
    norm = mpl.colors.Normalize(vmin=100 * fractions.min(), vmax=100 * fractions.max())
    cmap = mpl.colormaps["viridis"]
    n = i_xt.shape[1]
    for s, f in enumerate(fractions):
        mx, my = i_xt[s].mean(axis=0), i_ty[s].mean(axis=0)
        ex, ey = i_xt[s].std(axis=0) / np.sqrt(n), i_ty[s].std(axis=0) / np.sqrt(n)
        ax.errorbar(mx, my, xerr=ex, yerr=ey, color=cmap(norm(100 * f)), marker="o", ms=3.5, lw=1.1, capsize=1.5)
    if bound is not None:
        ax.plot(bound[0], bound[1], color="k", lw=1.4, label="IB bound")
    if h_x is not None:
        ax.axvline(h_x, color="0.3", ls="--", lw=0.8, label=f"log2 N = {h_x:.0f} bits")
    if h_y is not None:
        ax.axhline(h_y, color="0.3", ls=":", lw=0.8, label=f"H(Y) = {h_y:.3f} bits")
    fig.colorbar(mpl.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, label="training data [% of inputs]")
    ax.set_xlabel(LABELS["i_xt"])
    ax.set_ylabel(LABELS["i_ty"])
    ax.set_title("final layers (first hidden layer on the right), mean ± s.e.")
    if bound is not None or h_x is not None or h_y is not None:
        ax.legend(loc="lower right")
    return fig


def phase_times_by_depth(depths, phases, *, n_epochs: int | None = None, layer_label: str = "last hidden layer",
                         accuracy=None, ax=None):
    """Epochs of fitting and of compression against the number of hidden layers (SZT17 Fig. 5 claim).

    Parameters
    ----------
    depths : (n_depths,) hidden layers
    phases : dict of (n_depths,) arrays ``fit_epoch``, ``compression_start``, ``compression_end`` (NaN: no
        compression) and (n_depths, 2) intervals ``fit_epoch_ci``, ``compression_end_ci``
        (``experiments.depth.Result.phases``)
    n_epochs : length of training, drawn as a horizontal line (compression that ends there is censored)
    accuracy : optional (level, epochs (n_depths,), ci (n_depths, 2)): epochs at which the training accuracy
        reaches ``level`` (``Result.accuracy_epoch``), drawn as a fourth series
    """
    depths = np.asarray(depths, dtype=float)
    fig, ax = new_axes(ax, figsize=(8.4, 4.2))
    off = 0.08

    def bars(x, key, ci_key, **kw):
        y = np.asarray(phases[key], dtype=float)
        err = None
        if ci_key is not None:
            ci = np.asarray(phases[ci_key], dtype=float)
            err = np.abs(np.stack([y - ci[:, 0], ci[:, 1] - y]))
            err = np.where(np.isfinite(err), err, 0.0)
        ax.errorbar(x, y + 1, yerr=err, capsize=2, **kw)

    bars(depths - off, "fit_epoch", "fit_epoch_ci", color="C0", marker="o", ls="-",
         label="fitted: I(T;Y) reaches its plateau")
    bars(depths, "compression_start", None, color="C1", marker="^", ls=":", label="compression starts (peak of I(X;T))")
    bars(depths + off, "compression_end", "compression_end_ci", color="C3", marker="s", ls="-",
         label="compression ends")
    if accuracy is not None:
        level, values, ci = accuracy
        phases = {**phases, "_acc": values, "_acc_ci": ci}
        bars(depths + 2 * off, "_acc", "_acc_ci", color="C2", marker="D", ls="--",
             label=f"training accuracy reaches {level:g}")
    if n_epochs is not None:
        ax.axhline(n_epochs, color="0.4", lw=0.8, ls="--", label="end of training")
    ax.set_yscale("log")
    ax.set_xticks(depths)
    ax.set_xlabel("number of hidden layers")
    ax.set_ylabel("epoch + 1")
    ax.set_title(f"{layer_label}: epochs of the two phases (5–95 % bootstrap intervals)", fontsize=9)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7)
    return fig


def layers_against_bound(bound_x, bound_y, i_xt, i_ty, train_fractions, *, i_xy=None, ax=None,
                         x_max: float | None = None):
    """SZT17 Fig. 6: the final layers (mean ± s.e.) of every training size with the IB bound.

    Parameters
    ----------
    bound_x, bound_y : (n_points,) the bound (bits)
    i_xt, i_ty : (n_sizes, n_networks, n_layers), bits -- I(T;Y) measured with the bound's noisy labels
    train_fractions : (n_sizes,)
    """
    i_xt, i_ty = _check("i_xt", i_xt, 3), _check("i_ty", i_ty, 3)
    fig, ax = new_axes(ax, figsize=(6.6, 4.4))
    n = i_xt.shape[1]
    for s, (f, color) in enumerate(zip(train_fractions, _size_colors(len(train_fractions)), strict=True)):
        mx, my = i_xt[s].mean(axis=0), i_ty[s].mean(axis=0)
        ax.errorbar(mx, my, xerr=i_xt[s].std(axis=0) / np.sqrt(n), yerr=i_ty[s].std(axis=0) / np.sqrt(n),
                    color=color, marker="o", ms=3.5, lw=1.0, capsize=1.5, label=f"{100 * f:g} %")
    x_max = x_max or max(12.0, float(np.nanmax(i_xt)))
    keep = np.asarray(bound_x) <= x_max
    ax.plot(np.asarray(bound_x)[keep], np.asarray(bound_y)[keep], color="k", lw=1.6, label="IB bound")
    if i_xy is not None:
        ax.axhline(i_xy, color="0.4", lw=0.7, ls=":")
    ax.set_xlim(0, x_max * 1.02)
    ax.set_ylim(0, None)
    ax.set_xlabel(LABELS["i_xt"])
    ax.set_ylabel("I(T;Y) with the noisy labels [bits]")
    ax.set_title("final layers against the IB bound of the noisy task")
    ax.legend(title="training data", ncols=2, loc="lower right")
    return fig


def beta_per_layer(beta, train_fractions, *, layer_names=None, critical_beta=None, ax=None,
                   ylabel: str = "fitted β"):
    """The β fitted to every layer: each network (dots) and the median (lines) per training size; β = ∞ on top.

    Parameters
    ----------
    beta : (n_sizes, n_networks, n_layers) -- inf where the layer is fitted by β → ∞
    train_fractions : (n_sizes,)
    critical_beta : optional, drawn as a horizontal line
    """
    beta = _check("beta", beta, 3)
    fig, ax = new_axes(ax)
    n_sizes, n_networks, n_layers = beta.shape
    x = np.arange(1, n_layers + 1)
    finite = beta[np.isfinite(beta)]
    top = 2.0 * finite.max() if finite.size else 10.0
    shown = np.where(np.isposinf(beta), top, beta)
    colors = _size_colors(n_sizes)
    for s, (f, color) in enumerate(zip(train_fractions, colors, strict=True)):
        jitter = (s - (n_sizes - 1) / 2) * 0.04
        ax.plot(np.repeat(x[None, :] + jitter, n_networks, 0).ravel(), shown[s].ravel(), ".", ms=2, color=color,
                alpha=0.35)
        med = np.quantile(shown[s], 0.5, axis=0, method="inverted_cdf")  # a value some network has
        ax.plot(x + jitter, med, marker="o", color=color, lw=1.1, label=f"{100 * f:g} %")
    ax.axhline(top, color="0.5", lw=0.6, ls="--")
    ax.annotate("β = ∞", (x[-1] + 0.25, top), ha="right", va="bottom", fontsize=8, color="0.4")
    if critical_beta is not None:
        ax.axhline(critical_beta, color="C3", lw=0.8, ls=":", label=f"critical β = {critical_beta:.3f}")
    ax.set_yscale("log")
    from matplotlib.ticker import FormatStrFormatter

    lo, hi = ax.get_ylim()
    if hi / lo < 20:  # plain numbers when the range is about a decade (else matplotlib's own log labels)
        ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
        ax.yaxis.set_minor_formatter(FormatStrFormatter("%g"))
    ax.set_xlim(x[0] - 0.4, x[-1] + 0.4)
    ax.set_xticks(x, layer_names or [f"L{k}" for k in x])
    ax.set_xlabel("layer")
    ax.set_ylabel(ylabel)
    ax.legend(title="training data", ncols=2, fontsize=7, loc="center right")
    return fig


def bounds_versus_size(n_train, gap, bound, classical, *, layer_names: Sequence[str], layers: Sequence[int],
                       ax=None):
    """Measured generalization gap and the bounds against the training-set size m (final epoch).

    Parameters
    ----------
    n_train : (n_sizes,) m
    gap : (n_sizes, n_networks) measured test error − training error
    bound : (n_sizes, n_networks, n_layers) input compression bound per layer
    classical : (n_sizes,) the H(X) bound
    layers : indices of the layers whose bounds are drawn
    """
    gap, bound = _check("gap", gap, 2), _check("bound", bound, 3)
    m = np.asarray(n_train, dtype=float)
    fig, ax = new_axes(ax, figsize=(6.6, 4.4))
    colors = layer_colors(bound.shape[-1])
    for k in layers:  # a layer that keeps ~12 bits lies on the classical bound: draw layers wide, the bound on top
        lo, hi = np.percentile(bound[:, :, k], [10, 90], axis=1)
        ax.fill_between(m, lo, hi, color=colors[k], alpha=0.2, lw=0)
        ax.plot(m, bound[:, :, k].mean(axis=1), color=colors[k], lw=3.0, alpha=0.75, marker="o", ms=4,
                label=f"input compression bound, {layer_names[k]}")
    ax.plot(m, classical, color="k", lw=1.4, ls=(0, (4, 2)), zorder=5, label="classical bound, H(X) = 12 bits")
    lo, hi = np.percentile(gap, [10, 90], axis=1)
    ax.fill_between(m, np.maximum(lo, 1e-4), np.maximum(hi, 1e-4), color="C3", alpha=0.2, lw=0)
    ax.plot(m, np.maximum(gap.mean(axis=1), 1e-4), color="C3", lw=2.0, marker="s", label="measured gap", zorder=4)
    ax.axhline(1.0, color="0.6", lw=0.7, ls=":")
    _log_m_axis(ax, m)
    ax.set_yscale("log")
    ax.set_ylabel("test error − training error (0-1 loss)")
    ax.set_title("bounds (δ = 0.05) and the measured gap; bands: 10–90 % of networks", fontsize=9)
    _legend_below(ax)
    return fig


def _log_m_axis(ax, m) -> None:
    """A log x axis of training-set sizes, ticked at the sizes drawn (no crowded minor labels)."""
    from matplotlib.ticker import NullFormatter

    ax.set_xscale("log")
    ax.set_xticks(m, [f"{v:g}" for v in m], fontsize=8, rotation=45 if len(m) > 5 else 0)
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("training examples m")


def _legend_below(ax, ncols: int = 2) -> None:
    """The legend under the axes, where it cannot hide a curve."""
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=ncols, fontsize=8, frameon=False)


def bound_over_training(epochs, gap, bound, classical: float, *, layer_names: Sequence[str],
                        layers: Sequence[int], title: str = "", ax=None):
    """Bound per layer and the measured gap against epochs, for one training size (mean over networks).

    Parameters
    ----------
    epochs : (n_logged,)
    gap : (n_networks, n_logged)
    bound : (n_networks, n_logged, n_layers)
    classical : the H(X) bound for this size
    """
    gap, bound = _check("gap", gap, 2), _check("bound", bound, 3)
    fig, ax = new_axes(ax)
    x = np.asarray(epochs) + 1
    colors = layer_colors(bound.shape[-1])
    for k in layers:  # drawn wide under the classical bound, which a layer keeping ~12 bits lies on
        ax.plot(x, bound[:, :, k].mean(axis=0), color=colors[k], lw=3.0, alpha=0.75,
                label=f"input compression bound, {layer_names[k]}")
    ax.axhline(classical, color="k", lw=1.4, ls=(0, (4, 2)), zorder=5, label="classical bound, H(X) = 12 bits")
    g = gap.mean(axis=0)
    ax.plot(x, np.where(g > 1e-4, g, np.nan), color="C3", lw=2.0, label="measured gap (mean over networks)",
            zorder=4)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("epoch + 1")
    ax.set_ylabel("test error − training error (0-1 loss)")
    if title:
        ax.set_title(title)
    _legend_below(ax)
    return fig


def bound_versus_information(i_xt, bounds, m_values, *, h_x: float | None = None, points=None, ax=None):
    """The input compression bound against I(X;T), one line per training-set size m.

    Parameters
    ----------
    i_xt : (n_points,) bits
    bounds : (n_m, n_points) the bound at each I(X;T) for each m
    m_values : (n_m,) training-set sizes
    h_x : optional H(X): the classical bound is the value of each line there (marked)
    points : optional list of (i_xt, gap, label) of measured layers, drawn as markers
    """
    bounds = _check("bounds", bounds, 2)
    fig, ax = new_axes(ax)
    for m, b, color in zip(m_values, bounds, _size_colors(len(m_values)), strict=True):
        ax.plot(i_xt, b, color=color, lw=1.4, label=f"m = {m:g}")
        if h_x is not None:
            ax.plot([h_x], [np.interp(h_x, i_xt, b)], "s", color=color, ms=5)
    for x, g, label in points or []:
        ax.plot(x, g, "o", ms=4, mfc="white", label=label)
    if h_x is not None:
        ax.axvline(h_x, color="0.4", lw=0.8, ls="--", label="H(X): classical bound")
    ax.axhline(1.0, color="0.6", lw=0.7, ls=":")
    ax.set_yscale("log")
    ax.set_xlabel(LABELS["i_xt"])
    ax.set_ylabel("bound on test error − training error")
    ax.legend(loc="upper left", fontsize=7)
    return fig


def decoder_gap_per_layer(js, train_fractions, *, layer_names=None, threshold=None, ax=None):
    """The decoder half of the IB self-consistent equations per layer: each network (dots) and the mean (lines)
    per training size of E_t JS[IB decoder ‖ the network's decoder], bits (:func:`ipflow_lib.experiments.
    ib_layers.decoder_divergence`).

    Parameters
    ----------
    js : (n_sizes, n_networks, n_layers), bits
    train_fractions : (n_sizes,)
    threshold : optional, bits, drawn as a horizontal line (the claims' test)
    """
    js = _check("js", js, 3)
    fig, ax = new_axes(ax)
    n_sizes, n_networks, n_layers = js.shape
    x = np.arange(1, n_layers + 1)
    for s, (f, color) in enumerate(zip(train_fractions, _size_colors(n_sizes), strict=True)):
        jitter = (s - (n_sizes - 1) / 2) * 0.05
        ax.plot(np.repeat(x[None, :] + jitter, n_networks, 0).ravel(), js[s].ravel(), ".", ms=2.5, color=color,
                alpha=0.4)
        ax.plot(x + jitter, js[s].mean(axis=0), marker="o", color=color, lw=1.1, label=f"{100 * f:g} %")
    if threshold is not None:
        ax.axhline(threshold, color="C3", lw=0.8, ls=":", label=f"test threshold {threshold:g} bits")
    ax.set_ylim(bottom=0.0)
    ax.set_xlim(x[0] - 0.4, x[-1] + 0.4)
    ax.set_xticks(x, layer_names or [f"L{k}" for k in x])
    ax.set_xlabel("layer")
    ax.set_ylabel("decoder distance E_t JS (bits)")
    ax.legend(title="training data", ncols=2, fontsize=7)
    return fig


def curves_with_control(epochs, base, control, labels, *, ylabel: str, ax=None, control_name: str = "control"):
    """Mean curves of a run (solid) and of its control (dashed), one colour per row, against epochs (log axis).

    Parameters
    ----------
    epochs : (n_logged,) logged epochs
    base, control : (n_rows, n_logged) -- e.g. the mean over networks of one layer's I(T;Y) per training size
    labels : (n_rows,) legend labels of the rows
    """
    base, control = _check("base", base, 2), _check("control", control, 2)
    epochs = np.asarray(epochs)
    if base.shape != control.shape or base.shape[1] != epochs.size or len(labels) != base.shape[0]:
        raise ValueError(f"base {base.shape} and control {control.shape} must be (n_rows, len(epochs) = "
                         f"{epochs.size}) with one label per row")
    fig, ax = new_axes(ax)
    for row, (label, color) in enumerate(zip(labels, _size_colors(base.shape[0]), strict=True)):
        ax.plot(epochs + 1, base[row], color=color, lw=1.3, label=label)
        ax.plot(epochs + 1, control[row], color=color, lw=1.3, ls="--")
    ax.plot([], [], color="0.3", lw=1.3, label="as run")
    ax.plot([], [], color="0.3", lw=1.3, ls="--", label=control_name)
    ax.set_xscale("log")
    ax.set_xlabel("epoch + 1")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=7)
    return fig
