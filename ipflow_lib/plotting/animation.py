"""The animated information plane (SZT17's well-known movie of the layers moving through training).

The animation is a self-contained HTML widget (matplotlib's ``to_jshtml``: every frame embedded as a PNG,
play / pause buttons and an epoch slider in plain JavaScript), so it plays in the static site, offline,
without a running kernel, and in a local Jupyter notebook alike.
"""

from __future__ import annotations

import re

import numpy as np

from .style import LABELS, layer_colors, new_axes

__all__ = ["animated_information_plane", "frame_indices"]


def frame_indices(n_logged: int, n_frames: int) -> np.ndarray:
    """``min(n_frames, n_logged)`` distinct indices into the logged epochs, spaced logarithmically, 0 and the last
    included: the frames of :func:`animated_information_plane`.

    Raises
    ------
    ValueError
        If ``n_logged`` < 1 or ``n_frames`` < 2.
    """
    if n_logged < 1 or n_frames < 2:
        raise ValueError(f"need n_logged ≥ 1 and n_frames ≥ 2, got {n_logged} and {n_frames}")
    target = min(n_frames, n_logged)
    for k in range(target, 20 * n_logged + 2):  # more grid points than frames: the log grid repeats early indices
        idx = np.unique(np.round(np.geomspace(1, n_logged, k)).astype(int) - 1)
        if idx.size >= target:
            break
    return idx[np.round(np.linspace(0, idx.size - 1, target)).astype(int)]


def animated_information_plane(
    i_xt,
    i_ty,
    epochs,
    *,
    h_x: float | None = None,
    h_y: float | None = None,
    n_frames: int = 48,
    trail: int = 6,
    interval_ms: int = 120,
    dpi: int = 88,
    title: str | None = None,
):
    """An HTML animation of the information plane: the mean layer positions at each logged epoch.

    Each frame shows the layers (L1 = first hidden layer … output) of the mean network at one logged epoch,
    joined by a line, with a short fading trail of the earlier frames; the frame's epoch is in the title.

    Parameters
    ----------
    i_xt, i_ty : arrays (n_networks, n_logged, n_layers), bits -- as in
        :func:`ipflow_lib.plotting.information_plane`; the mean over networks is drawn
    epochs : (n_logged,) logged epochs
    h_x, h_y : ceilings drawn as dashed lines (bits), e.g. log2(4096) = 12 and H(Y)
    n_frames : frames, spaced logarithmically over the logged epochs, the first and the last among them (≥ 2);
        the widget holds exactly min(n_frames, n_logged) frames
    trail : earlier frames drawn faintly behind the current one
    interval_ms : time per frame when playing
    dpi : resolution of the frames (each is a PNG embedded in the page)

    Returns
    -------
    IPython.display.HTML
        The widget; displaying it in a notebook cell puts it in the book page.

    Raises
    ------
    ValueError
        If the arrays do not have shape (n_networks, n_logged, n_layers) with n_logged = len(epochs), or
        ``n_frames`` < 2.
    """
    import matplotlib as mpl
    import matplotlib.pyplot as plt
    from IPython.display import HTML
    from matplotlib.animation import FuncAnimation

    i_xt, i_ty, epochs = np.asarray(i_xt, float), np.asarray(i_ty, float), np.asarray(epochs)
    if i_xt.shape != i_ty.shape or i_xt.ndim != 3 or i_xt.shape[1] != epochs.size:
        raise ValueError(
            f"i_xt and i_ty must have shape (n_networks, n_logged, n_layers) with n_logged = len(epochs) = "
            f"{epochs.size}; got {i_xt.shape} and {i_ty.shape}"
        )
    if isinstance(n_frames, bool) or not isinstance(n_frames, int) or n_frames < 2:
        raise ValueError(f"n_frames must be an int ≥ 2, got {n_frames!r}")
    mx, my = np.nanmean(i_xt, axis=0), np.nanmean(i_ty, axis=0)
    n_layers = mx.shape[1]
    frames = frame_indices(epochs.size, n_frames)

    fig, ax = new_axes(figsize=(5.2, 3.6))
    colors = layer_colors(n_layers)
    x_top = max(float(np.nanmax(mx)), h_x or 0.0) * 1.05 + 0.1
    y_top = max(float(np.nanmax(my)), h_y or 0.0) * 1.08 + 0.02
    ax.set(xlim=(0, x_top), ylim=(0, y_top), xlabel=LABELS["i_xt"], ylabel=LABELS["i_ty"])
    if h_x is not None:  # the ceilings are labelled on the lines, so the legend holds only the layers
        ax.axvline(h_x, color="0.5", ls="--", lw=0.8)
        ax.annotate(f"H(X) = {h_x:.3g} bits", (h_x, 0.02), xycoords=("data", "axes fraction"), rotation=90,
                    ha="right", va="bottom", fontsize=8, color="0.4", xytext=(-2, 0), textcoords="offset points")
    if h_y is not None:
        ax.axhline(h_y, color="0.5", ls=":", lw=0.8)
        ax.annotate(f"H(Y) = {h_y:.3g} bits", (0.5, h_y), xycoords=("axes fraction", "data"), ha="center",
                    va="bottom", fontsize=8, color="0.4", xytext=(0, 2), textcoords="offset points")
    trails = [ax.plot([], [], color="0.6", lw=0.8, alpha=0.5 * (1 - k / max(trail, 1)))[0] for k in range(trail)]
    (line,) = ax.plot([], [], color="0.3", lw=1.2, zorder=2)
    dots = ax.scatter(np.zeros(n_layers), np.zeros(n_layers), c=colors, s=40, zorder=3, edgecolors="white")
    for k in range(n_layers):  # legend entries for the layers
        ax.scatter([], [], color=colors[k], s=30, label=f"L{k + 1}" + (" (output)" if k == n_layers - 1 else ""))
    fig.legend(loc="outside lower center", ncols=n_layers, fontsize=8, handletextpad=0.2, columnspacing=1.0)
    heading = ax.set_title(" ")
    fig.draw_without_rendering()  # lay the figure out once, then keep it fixed so that frames do not jitter
    fig.set_layout_engine("none")

    def draw(j):
        f = frames[j]
        for k, tr in enumerate(trails):
            prev = frames[max(j - k - 1, 0)]
            tr.set_data(mx[prev], my[prev])
        line.set_data(mx[f], my[f])
        dots.set_offsets(np.column_stack([mx[f], my[f]]))
        heading.set_text(f"{title + ': ' if title else ''}epoch {int(epochs[f])}")
        return [*trails, line, dots, heading]

    animation = FuncAnimation(fig, draw, frames=len(frames), interval=interval_ms, blit=False)
    with mpl.rc_context({"savefig.dpi": dpi}):  # every frame is a PNG in the page: keep them small
        html = animation.to_jshtml(default_mode="once", embed_frames=True)
    plt.close(fig)
    # matplotlib links Font Awesome from a CDN for the button icons; the book's theme serves Font Awesome
    # itself, and an offline page must not ask the network for anything
    html = re.sub(r"<link[^>]*font-awesome[^>]*>", "", html)
    alt = (f"Animated information plane{': ' + title if title else ''}: the layers' mean I(X;T) and I(T;Y) "
           f"at {len(frames)} logged epochs from {int(epochs[frames[0]])} to {int(epochs[frames[-1]])}")
    html = html.replace("<img id=", f'<img alt="{alt}" id=', 1)
    return HTML(html)
