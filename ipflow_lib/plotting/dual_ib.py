"""Figures of the dual-IB chapter: IB against dual IB (curves, bifurcations, exponential families,
prediction error) and the variational β sweep (information plane, accuracy against β).

Every function takes a result of ``experiments.dual_ib`` or ``experiments.variational_dual_ib`` (or
its parts), draws on given or new axes and returns the ``Figure``. Nothing is computed here beyond
means over seeds.
"""

from __future__ import annotations

import numpy as np

from .bottleneck import ib_plane
from .style import LABELS, new_axes, use_style

__all__ = [
    "dual_ib_bifurcations",
    "dual_ib_family_residual",
    "dual_ib_finite_sample",
    "dual_ib_planes",
    "dual_ib_prediction_error",
    "variational_accuracy",
    "variational_plane",
]

_BETA = "β (trade-off, unit-free)"
_NAMES = {"ib": "IB", "dualib": "dual IB", "vib": "VIB", "vdualib": "VdualIB", "vdualib_pure": "VdualIB (pure)"}
_COLORS = {"ib": "C0", "dualib": "C3", "vib": "C0", "vdualib": "C3", "vdualib_pure": "C1"}
#: Marker and width per variational objective, so that lines that coincide stay visible (the first wide, below).
_MARKS = {"vib": ("o", 2.6, 6.0), "vdualib": ("s", 1.6, 4.0), "vdualib_pure": ("^", 1.2, 3.5)}


def _beta_axis(ax) -> None:
    """Log-2 β axis with plain-number labels."""
    from matplotlib.ticker import FuncFormatter, NullFormatter

    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(_BETA)


def _panels(ncols: int, axes, width: float = 4.6, height: float = 3.6):
    import matplotlib.pyplot as plt

    use_style()
    if axes is None:
        fig, axes = plt.subplots(1, ncols, figsize=(width * ncols, height), layout="constrained", squeeze=False)
        return fig, list(axes[0])
    axes = list(np.atleast_1d(axes))
    return axes[0].figure, axes


def _readable(axes, size: float = 12.0) -> None:
    """Larger text for a row of three panels, which the page shrinks the most: labels and titles at ``size``
    points, ticks one point smaller, legends 2.5 points smaller."""
    for ax in axes:
        ax.tick_params(labelsize=size - 1)
        for text in (ax.xaxis.label, ax.yaxis.label, ax.title):
            text.set_fontsize(size)
        if ax.get_legend() is not None:
            for text in ax.get_legend().get_texts():
                text.set_fontsize(size - 2.5)


def dual_ib_planes(result, axes=None):
    """IB and dual-IB curves in the information plane, and their difference.

    Left: the 5-point example; middle: its I(T;Y) of the dual IB minus that of the IB at equal I(X;T)
    (millibits, ``result.i_ty_gap`` on ``result.i_xt_grid``), the difference the left panel cannot show;
    right: the noisy 12-bit task. The IB is drawn wide and pale, the dual IB dashed on top of it, so both stay
    visible where they coincide.

    Parameters
    ----------
    result : experiments.dual_ib.Result
    axes : three Axes, optional

    Returns
    -------
    matplotlib Figure
    """
    fig, axes = _panels(3, axes, width=4.2)
    styles = {"colors": [_COLORS["ib"], _COLORS["dualib"]], "linestyles": ["-", "--"], "linewidths": [4.0, 1.6]}
    titles = ("5-point example", f"noisy 12-bit task, ε = {result.config.epsilon:g}")
    panels = zip((axes[0], axes[2]), (result.five_point, result.twelve_bit), titles, ("lower right", "center left"),
                 strict=True)
    for ax, curves, title, where in panels:
        ib_plane([curves["ib"], curves["dualib"]], labels=[_NAMES["ib"], _NAMES["dualib"]], ax=ax, **styles)
        ax.get_lines()[0].set_alpha(0.45)  # the IB: wide and pale, under the dashed dual IB
        ax.legend(loc=where, bbox_to_anchor=(0.0, 0.0, 1.0, 1.0) if where == "lower right" else (0.0, 0.66))
        ax.set_title(title)
    axes[1].plot(result.i_xt_grid, 1e3 * result.i_ty_gap, color=_COLORS["dualib"], lw=1.6,
                 label="dual IB minus IB")
    axes[1].axhline(0.0, color="0.5", lw=0.8, label="no difference")
    axes[1].set_xlabel(LABELS["i_xt"])
    axes[1].set_ylabel("difference in I(T;Y) [millibits]")
    axes[1].set_title("5-point example: dual IB − IB")
    axes[1].legend(loc="lower right")
    _readable(axes)
    return fig


def dual_ib_bifurcations(curves: dict, critical: dict | None = None, axes=None, *, y_index: int = 1,
                         y_label: str = "p(y=+1|t)", mass_tol: float = 1e-3):
    """Bifurcation diagrams of the IB and the dual IB side by side, each with its own decoder.

    Every cluster with p(t) > ``mass_tol`` is a dot at (β, p(y = y_index | t)), its area ∝ p(t); the
    IB's decoder is the Markov mean Σ_x p(y|x) p(x|t), the dual IB's the normalised geometric mean.

    Parameters
    ----------
    curves : dict ``{"ib": IBCurve, "dualib": IBCurve}``
    critical : dict of float, optional
        Analytic first critical β of each kind (dashed lines).
    axes : two Axes, optional
    y_index : int
        The outcome of Y shown.
    y_label : str
        Name of that probability on the axis.
    mass_tol : float

    Returns
    -------
    matplotlib Figure
    """
    fig, axes = _panels(2, axes)
    for ax, kind in zip(axes, ("ib", "dualib"), strict=True):
        curve = curves[kind]
        dec = curve.decoder[:, :, y_index]
        alive = curve.p_t > mass_tol
        b = np.broadcast_to(curve.betas[:, None], dec.shape)[alive]
        ax.scatter(b, dec[alive], s=30 * curve.p_t[alive], color=_COLORS[kind], lw=0, alpha=0.6,
                   label="clusters (area ∝ p(t))")
        for split in curve.critical_betas:
            ax.axvline(split, color=_COLORS[kind], lw=0.6, alpha=0.4)
        if critical is not None and np.isfinite(critical.get(kind, np.nan)):
            ax.axvline(critical[kind], color="0.2", ls="--", lw=0.9, label=f"analytic first β_c = {critical[kind]:.3g}")
        _beta_axis(ax)
        ax.set_ylabel(f"decoder {y_label} [probability]")
        ax.set_title(f"{_NAMES[kind]}: {len(curve.critical_betas)} splits")
        ax.legend(loc="upper left")
    return fig


def dual_ib_prediction_error(result, axes=None):
    """Prediction error and the two mean distortions of the IB and dual-IB solutions, 5-point example.

    Left: 0-1 error of predicting Y from T with each method's own decoder against I(X;T), with the
    error of the trivial T and of X itself. Middle: at equal I(X;T), the dual-IB solution's
    E D_KL[p(y|x) || p(y|t)] (the IB distortion) and E D_KL[p(y|t) || p(y|x)] (the dual distortion) minus
    the IB solution's, in bits. Right: the same difference of the 0-1 error. ``result`` is an
    ``experiments.dual_ib.Result``, ``axes`` three optional Axes; returns the matplotlib Figure.
    """
    fig, axes = _panels(3, axes, width=4.0)
    for kind, curve in result.five_point.items():
        axes[0].plot(curve.i_xt, result.five_point_error[kind], color=_COLORS[kind], label=_NAMES[kind], lw=1.6)
    axes[0].axhline(result.chance_error["five_point"], color="0.5", ls=":", lw=0.9, label="no information")
    axes[0].axhline(result.bayes_error["five_point"], color="0.3", ls="--", lw=0.9, label="Bayes error of X")
    axes[0].set_ylabel("prediction error [probability]")
    axes[0].set_title("0-1 error, own decoder")
    grid = result.i_xt_grid
    axes[1].plot(grid, result.distortion_gap["ib"], color=_COLORS["ib"], lw=1.6,
                 label="IB distortion")
    axes[1].plot(grid, result.distortion_gap["dualib"], color=_COLORS["dualib"], lw=1.6,
                 label="dual distortion")
    axes[1].set_ylabel("dual-IB minus IB solution [bits]")
    axes[1].set_title("distortions at equal I(X;T)")
    axes[2].plot(grid, result.error_gap, color="0.2", lw=1.6, label="0-1 error")
    axes[2].set_ylabel("dual-IB minus IB solution [probability]")
    axes[2].set_title("0-1 error at equal I(X;T)")
    for ax in axes:
        if ax is not axes[0]:
            ax.axhline(0.0, color="0.5", lw=0.8)
        ax.set_xlabel(LABELS["i_xt"])
        ax.legend(loc={0: "center right", 1: "upper right"}.get(axes.index(ax), "lower right"))
    _readable(axes)
    return fig


def dual_ib_family_residual(result, ax=None):
    """Distance of the decoders from the exponential family of p(y|x) (nats), against β (log-log).

    ``result``: ``experiments.dual_ib.Result`` (``family_residual``, ``family_residual_markov``); drawn on
    ``ax`` (a new Axes if None); returns the Figure. Piran et al. (2020): the dual IB keeps the family.
    """
    fig, ax = new_axes(ax)
    floor = 1e-17
    for kind, res in result.family_residual.items():
        betas = result.family_curves[kind].betas
        ax.loglog(betas, np.maximum(res, floor), color=_COLORS[kind], lw=1.6, label=f"{_NAMES[kind]} decoder")
    betas = result.family_curves["dualib"].betas
    ax.loglog(betas, np.maximum(result.family_residual_markov, floor), color=_COLORS["dualib"], ls="--", lw=1.2,
              label="dual-IB clusters, Markov decoder")
    ax.set_xlabel(_BETA)
    ax.set_ylabel("distance from the family [nats of log p(y|t)]")
    ax.legend(loc="center right")
    return fig


_MEASURE_AXES = {"error": ("0-1 error", 100.0, "percentage points"), "log_loss": ("log-loss", 1e3, "millibits"),
                  "dual": ("dual distortion", 1e3, "millibits")}


def dual_ib_finite_sample(result, axes=None):
    """The finite-sample test: both methods fit on a sample of n examples, scored on the true p(x, y).

    Left: the true 0-1 error of each method (averaged over the I(X;T) grid and the samples) against n, with the
    Bayes error of X. Middle and right: IB minus dual IB of the 0-1 error (percentage points) and of the log-loss
    and the dual distortion (millibits), means over samples with their 5–95 % bootstrap bands; above zero the
    dual IB predicts the unseen data better. ``result``: ``experiments.dual_ib.Result``; three optional Axes;
    returns the Figure.
    """
    fig, axes = _panels(3, axes, width=4.0)
    n = result.finite_sizes
    for kind, (ls, lw, alpha) in (("ib", ("-", 3.0, 0.6)), ("dualib", ("--", 1.6, 1.0))):
        axes[0].plot(n, 100 * result.finite_mean["error"][kind], color=_COLORS[kind], marker="o", ls=ls, lw=lw,
                     alpha=alpha, label=_NAMES[kind])
    axes[0].axhline(100 * result.bayes_error["five_point"], color="0.3", ls=":", lw=0.9, label="Bayes error of X")
    axes[0].set_ylabel("true 0-1 error [%]")
    axes[0].set_title("error on unseen data")
    for ax, measures in ((axes[1], ("error",)), (axes[2], ("log_loss", "dual"))):
        for i, m in enumerate(measures):
            name, scale, unit = _MEASURE_AXES[m]
            color = "0.2" if m == "error" else f"C{i + 1}"
            mean, band = scale * result.finite_gap_mean[m], scale * result.finite_gap_band[m]
            ax.plot(n, mean, color=color, marker="o", lw=1.6, label=name)
            ax.fill_between(n, band[:, 0], band[:, 1], color=color, alpha=0.2, lw=0, label=f"{name}, 5–95 %")
            ax.set_ylabel(f"IB minus dual IB [{unit}]")
        ax.axhline(0.0, color="0.5", lw=0.8)
        ax.set_title("> 0: dual IB better")
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xticks(n, [str(int(v)) for v in n], minor=False)
        ax.minorticks_off()
        ax.set_xlabel("training examples n")
        ax.legend(loc="best")
    _readable(axes)
    return fig


def _seed_stats(a: np.ndarray):
    return a.mean(axis=-1), a.std(axis=-1)


def variational_plane(result, axes=None):
    """Information plane of the variational sweep, training and test sets: I(Z;Y) lower bound against the rate.

    One line per objective; each point is one β (mean over seeds, bars: one standard deviation), running
    from small β (lower left) to large β. The rate axis is linear up to 1 bit and logarithmic beyond.

    Parameters
    ----------
    result : experiments.variational_dual_ib.Result
    axes : two Axes, optional

    Returns
    -------
    matplotlib Figure
    """
    fig, axes = _panels(2, axes)
    for ax, split in zip(axes, ("train", "test"), strict=True):
        rate, izy = getattr(result, f"rate_{split}"), getattr(result, f"i_zy_{split}")
        for i, kind in enumerate(result.kinds):
            (rm, rs), (im, is_) = _seed_stats(rate[i]), _seed_stats(izy[i])
            marker, lw, ms = _MARKS.get(kind, ("o", 1.4, 3.5))
            ax.errorbar(rm, im, xerr=rs, yerr=is_, color=_COLORS.get(kind, f"C{i}"), marker=marker, ms=ms, lw=lw,
                        capsize=0, elinewidth=0.6, alpha=0.8, label=_NAMES.get(kind, kind))
        ax.axhline(result.h_y, color="0.4", ls="--", lw=0.8, label="H(Y)")
        ax.set_xscale("symlog", linthresh=1.0, linscale=0.3)
        ax.set_xlim(left=0)
        ax.set_xlabel("rate, upper bound on I(X;Z) [bits]")
        ax.set_ylabel("lower bound on I(Z;Y) [bits]")
        ax.set_title(f"{split} set ({getattr(result, 'n_' + split)} images)")
        ax.legend(loc="lower right")
    return fig


def variational_accuracy(result, ax=None):
    """Train and test accuracy against β for each objective (mean over seeds, band: one standard deviation).

    ``result``: ``experiments.variational_dual_ib.Result``; drawn on ``ax`` (a new Axes if None); returns
    the Figure.
    """
    fig, ax = new_axes(ax)
    for i, kind in enumerate(result.kinds):
        color = _COLORS.get(kind, f"C{i}")
        for split, style in (("test", "-"), ("train", ":")):
            m, s = _seed_stats(getattr(result, f"accuracy_{split}")[i])
            marker, lw, ms = _MARKS.get(kind, ("o", 1.4, 3.5))
            ax.plot(result.betas, m, style, color=color, marker=marker if split == "test" else None, ms=ms,
                    lw=lw if split == "test" else 1.2, alpha=0.85, label=f"{_NAMES.get(kind, kind)}, {split}")
            if split == "test":
                ax.fill_between(result.betas, m - s, m + s, color=color, alpha=0.15, lw=0)
    ax.set_xscale("log")
    ax.set_xlabel(_BETA)
    ax.set_ylabel("accuracy [fraction correct]")
    ax.legend(loc="lower right", ncol=1)
    return fig
