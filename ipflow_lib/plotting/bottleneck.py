"""Figures of the information bottleneck: IB curves, quantities against β, bifurcation diagrams, the IB bound.

Every function takes results (``bottleneck.IBCurve`` or ``experiments.ib_bound.Result``, which share the
fields ``betas``, ``i_xt``, ``i_ty``, ``n_clusters``), draws on a given or new ``Axes`` and returns the
``Figure``. Nothing is computed here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .style import LABELS, new_axes

__all__ = ["ib_bifurcation_diagram", "ib_bound", "ib_plane", "ib_versus_beta"]

_BETA_LABEL = "β (trade-off, unit-free)"


def _curves_labels_colors(curves, labels, colors, default_colors) -> tuple[list, list, list]:
    """``curves`` as a list, one label per curve (None where not given), and the colours (``default_colors(n)``
    when ``colors`` is None)."""
    curves = list(curves) if isinstance(curves, list | tuple) else [curves]
    labels = list(labels) if labels is not None else [None] * len(curves)
    return curves, labels, list(colors if colors is not None else default_colors(len(curves)))


def ib_plane(
    curves,
    labels: Sequence[str] | None = None,
    ax=None,
    *,
    show_limits: bool = True,
    mark_splits: bool = True,
    colors=None,
    linestyles: Sequence[str] | None = None,
    linewidths: Sequence[float] | None = None,
):
    """IB curves in the information plane: I(T;Y) against I(X;T), both in bits.

    Parameters
    ----------
    curves : IBCurve or ib_bound.Result, or a list of them
    labels : list of str, optional
        Legend entry per curve.
    ax : matplotlib Axes, optional
    show_limits : bool
        Draw I(T;Y) = I(X;T) (the data-processing limit) and each curve's I(X;Y) as dashed lines.
    mark_splits : bool
        Mark the points where the number of clusters grows.
    colors : list of colours, optional
    linestyles, linewidths : lists, optional
        One per curve (default: solid, 1.8). Curves that nearly coincide stay visible when the first is drawn
        wide and pale and the next one dashed on top of it.

    Returns
    -------
    matplotlib Figure
    """
    import matplotlib as mpl

    curves, labels, colors = _curves_labels_colors(
        curves, labels, colors, lambda n: mpl.colormaps["viridis"](np.linspace(0.0, 0.8, max(n, 1))))
    fig, ax = new_axes(ax)
    top = 0.0
    styles = list(linestyles) if linestyles is not None else ["-"] * len(curves)
    widths = list(linewidths) if linewidths is not None else [1.8] * len(curves)
    many = len({round(float(getattr(c, "i_xy", np.nan)), 9) for c in curves}) > 1  # distinct I(X;Y) lines
    split_label = "cluster splits"
    for i, (curve, label, color) in enumerate(zip(curves, labels, colors, strict=False)):
        ax.plot(curve.i_xt, curve.i_ty, ls=styles[i], color=color, lw=widths[i], label=label, zorder=2 + i)
        if mark_splits:
            k = np.flatnonzero(np.diff(np.asarray(curve.n_clusters)) > 0) + 1
            ax.plot(curve.i_xt[k], curve.i_ty[k], "o", ms=4, color=color, mfc="white", zorder=4 + len(curves),
                    label=split_label if k.size else None)
            split_label = None if k.size else split_label
        if show_limits:
            ax.axhline(curve.i_xy, color=color, ls="--", lw=0.8, alpha=0.7,
                       label=("I(X;Y) (dashed, each curve's colour)" if many else "I(X;Y)") if i == 0 else None)
        top = max(top, float(np.max(curve.i_ty)), float(getattr(curve, "i_xy", 0.0)))
    if show_limits:
        xmax = max(float(np.max(c.i_xt)) for c in curves)
        ax.plot([0, xmax], [0, xmax], color="0.6", lw=0.8, ls=":", label="I(T;Y) = I(X;T)")
    ax.set_xlabel(LABELS["i_xt"])
    ax.set_ylabel(LABELS["i_ty"])
    ax.set_ylim(0, 1.08 * top if top > 0 else 1)
    ax.set_xlim(left=0)
    if any(lab for lab in labels) or show_limits:
        ax.legend(loc="lower right")
    return fig


def ib_versus_beta(curve, axes=None, *, critical_beta: float | None = None, label: str | None = None):
    """I(X;T), I(T;Y) (bits) and the number of clusters against β (log axis), in two panels.

    Parameters
    ----------
    curve : IBCurve or ib_bound.Result
    axes : pair of Axes, optional
    critical_beta : float, optional
        An analytic critical β to mark (vertical line).
    label : str, optional
        Suffix of the legend entries.

    Returns
    -------
    matplotlib Figure
    """
    import matplotlib.pyplot as plt

    from .style import use_style

    use_style()
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(9.0, 3.4), layout="constrained")
    else:
        fig = axes[0].figure
    ax0, ax1 = axes
    suffix = f" ({label})" if label else ""
    ax0.semilogx(curve.betas, curve.i_xt, label="I(X;T)" + suffix)
    ax0.semilogx(curve.betas, curve.i_ty, label="I(T;Y)" + suffix)
    ax0.set_xlabel(_BETA_LABEL)
    ax0.set_ylabel("information [bits]")
    ax1.step(curve.betas, curve.n_clusters, where="post", label="effective clusters" + suffix)
    ax1.set_xscale("log")
    ax1.set_xlabel(_BETA_LABEL)
    ax1.set_ylabel("effective clusters |T| [count]")
    ax1.yaxis.get_major_locator().set_params(integer=True)
    if critical_beta is not None and np.isfinite(critical_beta):
        for a in axes:
            a.axvline(critical_beta, color="0.3", ls="--", lw=0.8, label="analytic first critical β")
    ax0.legend()
    ax1.legend(loc="upper left")
    return fig


def ib_bifurcation_diagram(
    curves,
    labels: Sequence[str] | None = None,
    ax=None,
    *,
    y_index: int = 1,
    critical_beta: float | None = None,
    mass_tol: float = 1e-3,
    colors=None,
):
    """Bifurcation diagram: the decoder p(y|t) of every cluster against β (log axis).

    Each cluster with p(t) > ``mass_tol`` is a dot at (β, p(y = y_index | t)), its area proportional to
    p(t). Clusters that coincide draw one dot; where the dots fan out, clusters split.

    Parameters
    ----------
    curves : IBCurve or list of IBCurve (with ``p_y_given_t`` and ``p_t``)
    labels : list of str, optional
        One per curve (e.g. the annealing direction).
    ax : Axes, optional
    y_index : int
        Which outcome of Y to show.
    critical_beta : float, optional
        Analytic critical β to mark.
    mass_tol : float
        Clusters lighter than this are not drawn.
    colors : list of colours, optional

    Returns
    -------
    matplotlib Figure
    """
    curves, labels, colors = _curves_labels_colors(curves, labels, colors, lambda n: ["C0", "C3", "C2", "C1"])
    markers = ["o", "x", "+", "s"]
    fig, ax = new_axes(ax)
    for i, (curve, label) in enumerate(zip(curves, labels, strict=False)):
        dec = curve.p_y_given_t[:, :, y_index]  # (n_betas, n_t)
        alive = curve.p_t > mass_tol
        b = np.broadcast_to(curve.betas[:, None], dec.shape)[alive]
        size = 40 * curve.p_t[alive] if markers[i % 4] == "o" else 25 * np.sqrt(curve.p_t[alive])
        kw = {"facecolors": "none", "edgecolors": colors[i % len(colors)]} if markers[i % 4] == "o" else {}
        if markers[i % 4] != "o":
            kw["color"] = colors[i % len(colors)]
        ax.scatter(b, dec[alive], s=size, marker=markers[i % 4], lw=0.7, label=label, **kw)
    if critical_beta is not None and np.isfinite(critical_beta):
        ax.axvline(critical_beta, color="0.3", ls="--", lw=0.8, label="analytic first critical β")
    ax.set_xscale("log")
    ax.set_xlabel(_BETA_LABEL)
    ax.set_ylabel(f"decoder p(y={y_index}|t) [probability]")
    ax.legend(loc="best")
    return fig


def ib_bound(result, ax=None, *, x_max: float | None = None, label: str | None = "IB bound", **kwargs):
    """Draw the IB bound of ``experiments.ib_bound`` in an information plane (for the later chapters).

    Parameters
    ----------
    result : ib_bound.Result
    ax : Axes, optional
        The information-plane axes to draw on (a new one if None).
    x_max : float, optional
        Extend the bound flat at I(X;Y) up to this I(X;T) (default: the axis' right limit, at least 12 bits
        if the axes are new).
    label : str or None
        Legend entry.
    **kwargs
        Passed to ``Axes.plot`` (default: a black line).

    Returns
    -------
    matplotlib Figure
    """
    new = ax is None
    fig, ax = new_axes(ax)
    if x_max is None:
        x_max = 12.0 if new else max(ax.get_xlim()[1], result.h_x_merged)
    x, y = result.as_bound(x_max=x_max)
    style = {"color": "black", "lw": 1.6, "zorder": 5}
    style.update(kwargs)
    ax.plot(x, y, label=label, **style)
    if new:
        ax.set_xlabel(LABELS["i_xt"])
        ax.set_ylabel(LABELS["i_ty"])
        ax.set_xlim(0, x_max)
        ax.set_ylim(0, 1.1 * max(result.i_xy, 1e-3))
        if label:
            ax.legend(loc="lower right")
    return fig
