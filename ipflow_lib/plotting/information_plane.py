"""Information-plane figures (SZT17 Figs. 2 and 4): trajectories coloured by epoch, per-layer curves, SNR."""

from __future__ import annotations

import numpy as np

from .style import LABELS, layer_colors, new_axes

__all__ = ["information_curves", "information_plane", "gradient_snr", "learning_curves"]


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
    for k in range(n_layers):  # label each layer at its last position
        ax.annotate(f"L{k + 1}", (mx[-1, k], my[-1, k]), textcoords="offset points", xytext=(3, -9), fontsize=7)
    if bound is not None:
        ax.plot(bound[0], bound[1], color="k", lw=1.4, label="IB bound", zorder=3)
    if h_x is not None:
        ax.axvline(h_x, color="0.3", ls="--", lw=0.8, label=f"log2 N = {h_x:.4g} bits")
    if h_y is not None:
        ax.axhline(h_y, color="0.3", ls=":", lw=0.8, label=f"H(Y) = {h_y:.4f} bits")
    fig.colorbar(sc, ax=ax, label="epoch")
    ax.set_xlabel(LABELS["i_xt"])
    ax.set_ylabel(LABELS["i_ty"])
    if title:
        ax.set_title(title)
    if h_x is not None or h_y is not None or bound is not None:
        ax.legend(loc="lower right")
    return fig


def information_curves(i_xt, i_ty, epochs, *, layer_names=None, h_x=None, h_y=None, axes=None):
    """I(X;T) and I(T;Y) of every layer against epochs (mean over networks, 10–90 % band), log epoch axis."""
    i_xt, i_ty, epochs = np.asarray(i_xt), np.asarray(i_ty), np.asarray(epochs)
    if axes is None:
        fig, axes = new_axes(ncols=2, figsize=(10, 3.8))
    else:
        fig = axes[0].figure
    n_layers = i_xt.shape[-1]
    names = layer_names or [f"layer {k + 1}" for k in range(n_layers)]
    x = epochs + 1
    for ax, values, label, ceiling in ((axes[0], i_xt, "i_xt", h_x), (axes[1], i_ty, "i_ty", h_y)):
        for k, color in enumerate(layer_colors(n_layers)):
            lo, hi = np.percentile(values[..., k], [10, 90], axis=0)
            ax.fill_between(x, lo, hi, color=color, alpha=0.2, lw=0)
            ax.plot(x, values[..., k].mean(axis=0), color=color, lw=1.2, label=names[k])
        if ceiling is not None:
            ax.axhline(ceiling, color="0.3", ls="--", lw=0.8)
        ax.set_xscale("log")
        ax.set_xlabel("epoch + 1")
        ax.set_ylabel(LABELS[label])
    axes[1].legend(loc="lower right", ncols=2)
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
    epochs = np.asarray(epochs)
    gm, gs = np.asarray(grad_mean), np.asarray(grad_std)
    if weight_norm is not None:
        gm, gs = gm / weight_norm, gs / weight_norm
    n_layers = gm.shape[-1]
    if axes is None:
        fig, axes = new_axes(ncols=2, figsize=(10, 3.8), sharey=True)
    else:
        fig = axes[0].figure
    names = layer_names or [f"layer {k + 1}" for k in range(n_layers)]
    x = epochs + 1
    for k, color in enumerate(layer_colors(n_layers)):
        axes[0].plot(x, np.nanmean(gm[..., k], axis=0), color=color, lw=1.1, label=f"{names[k]}: mean")
        axes[0].plot(x, np.nanmean(gs[..., k], axis=0), color=color, lw=1.1, ls="--")
        with np.errstate(divide="ignore", invalid="ignore"):
            axes[1].plot(x, np.nanmean(gm[..., k], axis=0) / np.nanmean(gs[..., k], axis=0), color=color, lw=1.1,
                         label=names[k])
        if transitions is not None and np.isfinite(transitions[k]):
            for ax in axes:
                ax.axvline(transitions[k] + 1, color=color, lw=0.8, ls=":")
    norm = " / ||W||" if weight_norm is not None else ""
    axes[0].set_ylabel(f"gradient norm{norm}")
    axes[0].set_title("mean (solid) and standard deviation (dashed)")
    axes[1].set_title("signal-to-noise ratio ||mean|| / ||std||")
    axes[1].axhline(1.0, color="0.3", lw=0.8)
    for ax in axes:
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("epoch + 1")
    axes[0].legend(loc="lower left", ncols=2)
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
