"""Information-plane figures (SZT17 Figs. 2 and 4): trajectories coloured by epoch, per-layer curves, SNR."""

from __future__ import annotations

import numpy as np

from .style import LABELS, layer_colors, new_axes

__all__ = ["information_curves", "information_plane", "gradient_snr", "layer_labels", "learning_curves"]


def _epoch_norm(epochs):
    import matplotlib as mpl

    return mpl.colors.LogNorm(vmin=max(float(np.min(epochs)), 0) + 1, vmax=float(np.max(epochs)) + 1)


def information_plane(
    i_xt,
    i_ty,
    epochs,
    *,
    h_x: float | None = None,
    h_y: float | None = None,
    ax=None,
    n_lines: int = 12,
    show_networks: bool = False,
    bound=None,
    title: str | None = None,
):
    """The information plane: each layer's (I(X;T), I(T;Y)) over training, coloured by epoch.

    Parameters
    ----------
    i_xt, i_ty : arrays (n_networks, n_epochs, n_layers), bits
        Points are averaged over networks (SZT17 Fig. 2); ``show_networks`` also draws each network faintly.
    epochs : (n_epochs,) logged epochs (colour, log scale)
    h_x, h_y : ceilings drawn as dashed lines: log2 of the number of inputs and H(Y), in bits
    n_lines : number of epochs at which the layers are joined by a grey line
    bound : optional (i_xt, i_ty) arrays of an IB curve, drawn as the limit of the plane
    """
    import matplotlib as mpl

    i_xt, i_ty, epochs = np.asarray(i_xt), np.asarray(i_ty), np.asarray(epochs)
    if i_xt.shape != i_ty.shape or i_xt.ndim != 3 or i_xt.shape[1] != epochs.size:
        raise ValueError(
            f"i_xt and i_ty must have shape (n_networks, n_epochs, n_layers) with n_epochs = len(epochs) "
            f"= {epochs.size}; got {i_xt.shape} and {i_ty.shape}"
        )
    fig, ax = new_axes(ax, figsize=(6.4, 4.6))
    norm = _epoch_norm(epochs)
    cmap = mpl.colormaps["viridis"]
    mx, my = i_xt.mean(axis=0), i_ty.mean(axis=0)
    n_layers = mx.shape[1]
    if show_networks:
        for net in range(i_xt.shape[0]):
            ax.scatter(i_xt[net].ravel(), i_ty[net].ravel(), s=1, c="0.8", alpha=0.2, rasterized=True)
    for e in np.unique(np.geomspace(1, epochs.size, n_lines).astype(int) - 1):
        ax.plot(mx[e], my[e], color="0.6", lw=0.6, alpha=0.7, zorder=1)
    colors = np.repeat(epochs[:, None] + 1, n_layers, axis=1)
    sc = ax.scatter(mx.ravel(), my.ravel(), c=colors.ravel(), cmap=cmap, norm=norm, s=9, zorder=2,
                    rasterized=True)
    if bound is not None:
        ax.plot(bound[0], bound[1], color="k", lw=1.4, label="IB bound", zorder=3)
    if h_x is not None:
        ax.axvline(h_x, color="0.3", ls="--", lw=0.8, label=f"log2 N = {h_x:.4g} bits")
    if h_y is not None:
        ax.axhline(h_y, color="0.3", ls=":", lw=0.8, label=f"H(Y) = {h_y:.4f} bits")
    fig.colorbar(sc, ax=ax, label="epoch")
    obstacles = np.column_stack([mx.ravel(), my.ravel()])
    if bound is not None:
        obstacles = np.vstack([obstacles, np.column_stack([np.ravel(bound[0]), np.ravel(bound[1])])])
    layer_labels(ax, mx[-1], my[-1], obstacles=obstacles, vlines=() if h_x is None else (h_x,),
                 hlines=() if h_y is None else (h_y,))
    ax.set_xlabel(LABELS["i_xt"])
    ax.set_ylabel(LABELS["i_ty"])
    if title:
        ax.set_title(title)
    if h_x is not None or h_y is not None or bound is not None:
        ax.legend(loc="lower right")
    return fig


def _label_text(members) -> str:
    """``"L2"``, ``"L1–L3"`` (consecutive layers) or ``"L1, L4"`` for layers that end in one place."""
    ks = [k + 1 for k in members]
    if len(ks) > 2 and ks == list(range(ks[0], ks[-1] + 1)):
        return f"L{ks[0]}–L{ks[-1]}"
    return ", ".join(f"L{k}" for k in ks)


#: Candidate label positions around a point: offset (points), horizontal and vertical alignment.
_CANDIDATES = (
    ((0, 6), "center", "bottom"), ((-6, 0), "right", "center"), ((6, 0), "left", "center"),
    ((0, -6), "center", "top"), ((-5, 5), "right", "bottom"), ((5, 5), "left", "bottom"),
    ((-5, -5), "right", "top"), ((5, -5), "left", "top"), ((0, 16), "center", "bottom"),
    ((-16, 0), "right", "center"), ((0, -16), "center", "top"), ((16, 0), "left", "center"),
)


def _n_inside(points, rect) -> int:
    """How many of ``points`` (n, 2) lie strictly inside ``rect`` = (x0, y0, x1, y1); NaN points never do."""
    return int(np.sum((points[:, 0] > rect[0]) & (points[:, 0] < rect[2]) & (points[:, 1] > rect[1])
                      & (points[:, 1] < rect[3])))


def _edge(points, ha: str, va: str) -> tuple[float, float]:
    """The side of the points' bounding box that a label aligned ``ha`` / ``va`` next to them touches."""
    xs, ys = points[:, 0], points[:, 1]
    ex = {"right": xs.min(), "left": xs.max(), "center": xs.mean()}[ha]
    ey = {"top": ys.min(), "bottom": ys.max(), "center": ys.mean()}[va]
    return float(ex), float(ey)


def layer_labels(ax, x, y, *, obstacles=None, vlines=(), hlines=(), fontsize: float = 8.0):
    """Label the layers' final positions ``L1 … Ln`` so that no two labels overlap.

    Layers that end within three label heights of each other share one label (``"L1–L3"``); every other label
    goes to the first of a few positions around its point (above, left, right, below, ...) that stays in the
    axes and overlaps no label placed before, no other layer's final point, no line in ``vlines`` / ``hlines``
    (data coordinates), with the fewest ``obstacles`` (points, data coordinates) under it.

    Parameters
    ----------
    ax : matplotlib Axes holding the plane (its limits should be final)
    x, y : (n_layers,) final positions, data coordinates
    obstacles : optional (n, 2) points that labels should not cover (e.g. every drawn point)

    Returns
    -------
    list of matplotlib Text, one per label
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"x and y must be 1-d arrays of the same length, got shapes {x.shape} and {y.shape}")
    ax.figure.draw_without_rendering()  # the final layout (colour bars, constrained layout) fixes the transform
    to_px = ax.transData.transform
    scale = ax.figure.dpi / 72.0  # pixels per point
    final = to_px(np.column_stack([x, y]))
    pts = to_px(np.asarray(obstacles, float)) if obstacles is not None and len(obstacles) else np.zeros((0, 2))
    box = ax.get_window_extent()
    v_px = [to_px((v, y[0]))[0] for v in vlines]
    h_px = [to_px((x[0], h))[1] for h in hlines]
    clusters: list[list[int]] = []
    for k in range(x.size):  # single linkage: layers closer than a label's height share a label
        if not np.all(np.isfinite(final[k])):
            continue
        near = [c for c in clusters if np.min(np.hypot(*(final[c] - final[k]).T)) < 3.5 * fontsize * scale]
        if near:
            merged = sorted({m for c in near for m in c} | {k})
            clusters = [c for c in clusters if c not in near] + [merged]
        else:
            clusters.append([k])
    placed, texts = [], []
    for members in sorted(clusters):
        text = _label_text(members)
        w, h = 0.62 * fontsize * scale * len(text), 1.15 * fontsize * scale
        best = None
        for j, ((dx, dy), ha, va) in enumerate(_CANDIDATES):
            anchor = _edge(final[members], ha, va)  # beside the group's points, not on its centre
            left = anchor[0] + dx * scale - {"left": 0, "center": w / 2, "right": w}[ha]
            bottom = anchor[1] + dy * scale - {"bottom": 0, "center": h / 2, "top": h}[va]
            rect = (left, bottom, left + w, bottom + h)
            outside = (left < box.x0) + (bottom < box.y0) + (left + w > box.x1) + (bottom + h > box.y1)
            clash = sum(not (r[2] <= rect[0] or rect[2] <= r[0] or r[3] <= rect[1] or rect[3] <= r[1]) for r in placed)
            lines = sum(rect[0] < v < rect[2] for v in v_px) + sum(rect[1] < hh < rect[3] for hh in h_px)
            others = _n_inside(np.delete(final, members, axis=0), rect)
            score = (1000 * outside + 500 * clash + 200 * others + 100 * lines + _n_inside(pts, rect), j)
            if best is None or score < best[0]:
                best = (score, rect, (dx, dy), ha, va)
        _, rect, offset, ha, va = best
        placed.append(rect)
        xy = _edge(np.column_stack([x[members], y[members]]), ha, va)
        texts.append(ax.annotate(text, xy, textcoords="offset points", xytext=offset, ha=ha, va=va,
                                 fontsize=fontsize, zorder=4))
    return texts


def information_curves(i_xt, i_ty, epochs, *, layer_names=None, h_x=None, h_y=None, axes=None):
    """I(X;T) and I(T;Y) of every layer against epochs (mean over networks, 10–90 % band), log epoch axis.

    Deeper layers are drawn with thinner lines on top of the earlier ones, so that layers with the same curve
    (the first layers at the 12-bit ceiling) all stay visible.
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    i_xt, i_ty, epochs = np.asarray(i_xt), np.asarray(i_ty), np.asarray(epochs)
    if axes is None:
        fig, axes = new_axes(ncols=2, figsize=(11, 3.8))
    else:
        fig = axes[0].figure
    n_layers = i_xt.shape[-1]
    names = layer_names or [f"layer {k + 1}" for k in range(n_layers)]
    x = epochs + 1
    widths = np.maximum(1.0, 4.5 * 0.67 ** np.arange(n_layers))  # a layer drawn on another stays visible
    for ax, values, label, ceiling in ((axes[0], i_xt, "i_xt", h_x), (axes[1], i_ty, "i_ty", h_y)):
        for k, color in enumerate(layer_colors(n_layers)):
            lo, hi = np.percentile(values[..., k], [10, 90], axis=0)
            ax.fill_between(x, lo, hi, color=color, alpha=0.2, lw=0)
            ax.plot(x, values[..., k].mean(axis=0), color=color, lw=widths[k], label=names[k])
        if ceiling is not None:
            ax.axhline(ceiling, color="0.3", ls="--", lw=0.8, zorder=0)
        ax.set_xscale("log")
        ax.set_xlabel("epoch + 1")
        ax.set_ylabel(LABELS[label])
    axes[0].set_title("I(X;T): mean over networks")
    axes[1].set_title("I(T;Y): mean over networks")
    handles, labels = axes[1].get_legend_handles_labels()
    handles.append(Patch(color="0.5", alpha=0.3, lw=0))
    labels.append("10–90 % of networks")
    if h_x is not None or h_y is not None:
        handles.append(Line2D([], [], color="0.3", ls="--", lw=0.8))
        labels.append("ceiling: log2 N, H(Y)")
    fig.legend(handles, labels, loc="outside right upper")
    return fig


def gradient_snr(epochs, grad_mean, grad_std, *, weight_norm=None, transitions=None, layer_names=None, axes=None):
    """SZT17 Fig. 4: per layer, the norm of the mean and of the standard deviation of the weight gradients.

    Parameters
    ----------
    epochs : (n_epochs,) logged epochs
    grad_mean, grad_std : (n_networks, n_epochs, n_layers)
    weight_norm : optional (n_networks, n_epochs, n_layers); if given both are divided by ||W|| (as in the paper)
    transitions : optional (n_layers,) epochs of the drift -> diffusion transition, marked by vertical lines
    """
    from matplotlib.lines import Line2D

    epochs = np.asarray(epochs)
    gm, gs = np.asarray(grad_mean), np.asarray(grad_std)
    if weight_norm is not None:
        gm, gs = gm / weight_norm, gs / weight_norm
    n_layers = gm.shape[-1]
    if axes is None:
        fig, axes = new_axes(ncols=2, figsize=(10, 3.8))
    else:
        fig = axes[0].figure
    names = layer_names or [f"layer {k + 1}" for k in range(n_layers)]
    x = epochs + 1
    for k, color in enumerate(layer_colors(n_layers)):
        axes[0].plot(x, np.nanmean(gm[..., k], axis=0), color=color, lw=1.1)
        axes[0].plot(x, np.nanmean(gs[..., k], axis=0), color=color, lw=1.1, ls="--")
        with np.errstate(divide="ignore", invalid="ignore"):
            axes[1].plot(x, np.nanmean(gm[..., k], axis=0) / np.nanmean(gs[..., k], axis=0), color=color, lw=1.1,
                         label=names[k])
        if transitions is not None and np.isfinite(transitions[k]):
            for ax in axes:
                ax.axvline(transitions[k] + 1, color=color, lw=0.8, ls=":")
    norm = " / ||W||" if weight_norm is not None else ""
    axes[0].set_ylabel(f"gradient norm{norm}" + (" (no unit)" if norm else ""))
    axes[0].set_title("mean (solid) and standard deviation (dashed)")
    axes[1].set_ylabel("SNR = ||mean|| / ||std|| (no unit)")
    axes[1].set_title("signal-to-noise ratio")
    axes[1].axhline(1.0, color="0.3", lw=0.8, label="SNR = 1")
    for ax in axes:
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("epoch + 1")
    styles = [Line2D([], [], color="0.3", lw=1.1, label="||mean|| of the gradients"),
              Line2D([], [], color="0.3", lw=1.1, ls="--", label="||std|| of the gradients")]
    if transitions is not None and np.isfinite(np.asarray(transitions, float)).any():
        styles.append(Line2D([], [], color="0.3", lw=0.8, ls=":", label="first epoch with SNR < 1 (layer colour)"))
    axes[0].legend(handles=styles, loc="lower left")
    axes[1].legend(loc="lower left", ncols=2)
    return fig


def learning_curves(epochs, train_loss, test_loss, train_acc, test_acc, *, axes=None):
    """Mean train/test cross entropy (nats) and accuracy over networks against epochs (log axis)."""
    if axes is None:
        fig, axes = new_axes(ncols=2, figsize=(10, 3.4))
    else:
        fig = axes[0].figure
    x = np.asarray(epochs) + 1
    for values, label, ls in ((train_loss, "train", "-"), (test_loss, "test", "--")):
        axes[0].plot(x, np.mean(values, axis=0), color="C0", ls=ls, label=label)
    for values, label, ls in ((train_acc, "train", "-"), (test_acc, "test", "--")):
        axes[1].plot(x, np.mean(values, axis=0), color="C1", ls=ls, label=label)
    axes[0].set_ylabel("cross entropy [nats]")
    axes[1].set_ylabel("accuracy")
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xlabel("epoch + 1")
        ax.legend()
    return fig
