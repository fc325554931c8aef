"""Figures of section 5.1 (Saxe et al.'s deep linear networks): errors and exact information against epochs, the
information plane, and the relevant / irrelevant subspaces. Plotting never computes: it draws results.
"""

from __future__ import annotations

import numpy as np

from .style import LABELS, readable, use_style

__all__ = ["linear_generalization", "linear_subspaces"]


def _band(ax, epochs, values, label, color, style="-"):
    """Mean over networks (line) and range over networks (shaded) of ``values`` (n_networks, n_logged)."""
    x = np.asarray(epochs) + 1
    ax.plot(x, values.mean(0), style, color=color, label=label, lw=1.8)
    ax.fill_between(x, values.min(0), values.max(0), color=color, alpha=0.2, lw=0)


def linear_generalization(result, run: str = "generalization"):
    """Three panels of the overfitting run: training and test error, I(X;T) (left axis) and I(T;Y) (right axis) of
    the hidden layer, and its information plane (mean over networks, coloured by epoch). Returns the Figure."""
    import matplotlib.pyplot as plt

    use_style()
    r = result.runs[run]
    ep = r.logged_epochs
    fig, axes = plt.subplots(1, 3, figsize=(12.0, 3.6), layout="constrained")
    ax = axes[0]
    _band(ax, ep, r.train_error, "training error", "C0")
    _band(ax, ep, r.test_error, "test error (exact)", "C3")
    best = int(np.argmin(r.test_error.mean(0)))
    ax.axvline(ep[best] + 1, color="0.5", ls=":", lw=1, label="smallest test error")
    ax.set(xscale="log", yscale="log", xlabel="epoch + 1", ylabel="mean squared error", title="Errors")
    ax.legend()
    ax = axes[1]
    _band(ax, ep, r.i_xt[..., 0], "I(X;T) (left axis)", "C1")
    ax.axvline(ep[best] + 1, color="0.5", ls=":", lw=1)
    ax.set(xscale="log", xlabel="epoch + 1", ylabel=LABELS["i_xt"], title="Exact information, hidden layer")
    right = ax.twinx()  # I(T;Y) is a few hundredths of I(X;T): its own scale
    right.spines["right"].set_visible(True)
    right.grid(False)
    _band(right, ep, r.i_ty[..., 0], "I(T;Y) (right axis)", "C2", "--")
    right.set_ylabel(LABELS["i_ty"], color="C2")
    right.tick_params(axis="y", colors="C2")
    lines = ax.get_legend_handles_labels(), right.get_legend_handles_labels()
    ax.legend(lines[0][0] + lines[1][0], lines[0][1] + lines[1][1], loc="center left")
    ax = axes[2]
    sc = ax.scatter(r.i_xt.mean(0)[:, 0], r.i_ty.mean(0)[:, 0], c=np.log10(ep + 1), cmap="viridis", s=18)
    ax.plot(r.i_xt.mean(0)[:, 0], r.i_ty.mean(0)[:, 0], color="0.6", lw=0.8, zorder=0)
    fig.colorbar(sc, ax=ax, label="log10(epoch + 1)")
    ax.set(xlabel=LABELS["i_xt"], ylabel=LABELS["i_ty"], title="Information plane")
    return readable(fig)


def linear_subspaces(result, runs=("subspace-gd", "subspace-sgd"), labels=("full-batch GD", "SGD")):
    """Three panels of the relevant / irrelevant runs, GD (solid) against SGD (dashed): I(T;X_rel),
    I(T;X_irrel) and the training error against epochs, mean over networks with their range. Returns the Figure."""
    import matplotlib.pyplot as plt

    use_style()
    fig, axes = plt.subplots(1, 3, figsize=(12.0, 3.6), layout="constrained")
    for name, label, color, style in zip(runs, labels, ("C0", "C3"), ("-", "--"), strict=False):
        r = result.runs[name]
        ep = r.logged_epochs
        _band(axes[0], ep, r.i_t_rel[..., 0], label, color, style)
        _band(axes[1], ep, r.i_t_irr[..., 0], label, color, style)
        _band(axes[2], ep, r.train_error, label, color, style)
    axes[0].set(xscale="log", xlabel="epoch + 1", ylabel="I(T;X_rel) [bits]", title="Task-relevant inputs")
    axes[1].set(xscale="log", xlabel="epoch + 1", ylabel="I(T;X_irrel) [bits]", title="Task-irrelevant inputs")
    axes[2].set(xscale="log", yscale="log", xlabel="epoch + 1", ylabel="mean squared error",
                title="Training error")
    for ax in axes:
        ax.legend()
    return readable(fig)
