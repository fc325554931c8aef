"""The book's figures: one style for every chapter. Plotting never computes; it draws results.

Every function takes arrays (or a result dataclass), draws on a given or new matplotlib ``Axes`` and
returns the ``Figure``. Axes carry labels with units (bits, epochs).
"""

from __future__ import annotations

import numpy as np

__all__ = ["LABELS", "STYLE", "layer_colors", "new_axes", "readable", "runtime_bars", "use_style"]

STYLE = {
    "figure.dpi": 110,
    "savefig.dpi": 150,
    "figure.figsize": (6.4, 4.2),
    "axes.grid": True,
    "grid.alpha": 0.25,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "image.cmap": "viridis",
}

LABELS = {
    "i_xt": "I(X;T) [bits]",
    "i_ty": "I(T;Y) [bits]",
    "epoch": "training epoch",
}


def use_style() -> None:
    """Apply the book's matplotlib style (called by every plotting function)."""
    import matplotlib as mpl

    mpl.rcParams.update(STYLE)


def new_axes(ax=None, ncols: int = 1, nrows: int = 1, figsize=None, **kwargs):
    """``(fig, ax)``: the given ``ax`` and its figure, or a new figure in the book's style."""
    import matplotlib.pyplot as plt

    use_style()
    if ax is not None:
        return ax.figure, ax
    fig, ax = plt.subplots(nrows, ncols, figsize=figsize, layout="constrained", squeeze=True, **kwargs)
    return fig, ax


def layer_colors(n_layers: int):
    """One colour per layer, from the first hidden layer (dark) to the output layer (light)."""
    import matplotlib as mpl

    return mpl.colormaps["plasma"](np.linspace(0.0, 0.85, max(n_layers, 1)))


def readable(fig, fonts: dict | None = None):
    """Enlarge the titles, axis labels, tick labels and legends of every axes of ``fig`` (colour bars too).

    ``fonts``: point sizes with keys ``title``, ``label``, ``ticks``, ``legend`` (default 12, 11, 10, 9), large
    enough to read a multi-panel figure at page width and on a phone. Returns ``fig``.
    """
    fonts = {"title": 12, "label": 11, "ticks": 10, "legend": 9, **(fonts or {})}
    for ax in fig.axes:
        ax.title.set_fontsize(fonts["title"])
        ax.xaxis.label.set_fontsize(fonts["label"])
        ax.yaxis.label.set_fontsize(fonts["label"])
        ax.tick_params(labelsize=fonts["ticks"])
        legend = ax.get_legend()
        if legend is not None:
            for text in legend.get_texts():
                text.set_fontsize(fonts["legend"])
    return fig


def runtime_bars(labels, seconds, texts, *, xlabel: str, ylabel: str, ax=None):
    """Horizontal bars of measured times (s), one per label from the top, each with its ``texts`` at its end.

    ``labels``, ``seconds``, ``texts``: sequences of one length (e.g. chapters, their runtimes, "1 min 5 s").
    Returns the Figure.
    """
    fig, ax = new_axes(ax, figsize=(6.5, 3.0))
    bars = ax.barh(list(labels), list(seconds), color="#1f4e79")
    ax.bar_label(bars, labels=list(texts), padding=3)
    ax.invert_yaxis()
    ax.set(xlabel=xlabel, ylabel=ylabel)
    ax.margins(x=0.18)
    return fig
