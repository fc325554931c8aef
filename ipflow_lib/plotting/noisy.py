"""Figures of section 5.2 (noisy networks, Goldfeld et al. 2019): the noisy I(X;T), clustering and binning over
training, their coupling in the compression phase, and the single tanh neuron. Plotting never computes.
"""

from __future__ import annotations

import numpy as np

from .style import LABELS, layer_colors, new_axes, readable

__all__ = ["noisy_coupling", "noisy_training", "single_neuron"]


def _epoch_axis(epochs):
    return np.asarray(epochs, dtype=float) + 1.0  # log axis: epoch 0 at 1


def noisy_training(result, axes=None):
    """Three panels over training (log epochs), one line per hidden layer, means over networks: the
    sample-propagation I(X;T) with ±2 standard errors shaded, the fraction of input pairs closer than the
    clustering radius, and the binned I(X;T) of the noise-free layers. ``result``: ``noisy_networks.Result``."""
    if axes is None:
        fig, axes = new_axes(ncols=3, figsize=(13.5, 4.0))
    else:
        fig = axes[0].figure
    e = _epoch_axis(result.logged_epochs)
    colors = layer_colors(len(result.layer_widths) + 1)
    sp, se = result.i_xt_sp.mean(axis=0), result.i_xt_sp_stderr.mean(axis=0)
    for k, w in enumerate(result.layer_widths):
        label = f"L{k + 1} ({w})"
        axes[0].plot(e, sp[:, k], color=colors[k], label=label)
        axes[0].fill_between(e, sp[:, k] - 2 * se[:, k], sp[:, k] + 2 * se[:, k], color=colors[k], alpha=0.2, lw=0)
        axes[1].plot(e, 100 * result.clustered.mean(axis=0)[:, k], color=colors[k], label=label)
        axes[2].plot(e, result.i_xt_bin.mean(axis=0)[:, k], color=colors[k], label=label)
    radius = result.config.cluster_radius
    titles = (f"noisy I(X;T), sample propagation (β = {result.config.beta:g})",
              f"clustering: pairs closer than {radius:g}β", f"binned I(X;T), {result.config.n_bins} bins, no noise")
    ylabels = (LABELS["i_xt"], "pairs of inputs [%]", LABELS["i_xt"])
    for ax, title, ylabel in zip(axes, titles, ylabels, strict=True):
        ax.set_xscale("log")
        ax.set_xlabel(LABELS["epoch"] + " + 1")
        ax.set_ylabel(ylabel)
        ax.set_title(title)
    axes[0].axhline(result.h_x, color="0.6", ls=":", lw=1, label="H(X)")
    axes[0].legend(loc="lower left", ncol=2)
    return readable(fig)


def noisy_coupling(result, layer: int = -1, axes=None):
    """Last hidden layer (or ``layer``): I(X;T) against the clustered fraction, one marker series per network,
    by sample propagation (left) and by binning (right); filled markers from the compression start on
    (``result.compression_start``), hollow before it."""
    if axes is None:
        fig, axes = new_axes(ncols=2, figsize=(10.0, 4.0))
    else:
        fig = axes[0].figure
    start = result.compression_start(layer)
    colors = layer_colors(result.i_xt_sp.shape[0] + 1)
    for ax, values, title in ((axes[0], result.i_xt_sp, "sample propagation (noisy network)"),
                              (axes[1], result.i_xt_bin, "binning (same networks, no noise)")):
        for n in range(values.shape[0]):
            x, y = 100 * result.clustered[n, :, layer], values[n, :, layer]
            ax.plot(x[:start], y[:start], "o", mfc="none", color=colors[n], ms=4)
            ax.plot(x[start:], y[start:], "o", color=colors[n], ms=4, label=f"network {n + 1}")
        ax.set_xlabel(f"pairs closer than {result.config.cluster_radius:g}β [%]")
        ax.set_ylabel(LABELS["i_xt"])
        ax.set_title(f"L{len(result.layer_widths) if layer == -1 else layer + 1}: {title}")
    axes[0].legend(loc="upper right", ncol=2)
    return readable(fig)


def single_neuron(result, ax=None):
    """I(X;T) of the single noisy tanh neuron against its weight w (log axis), with log2 of the number of inputs
    and log2 2 (one cluster per sign) as references."""
    fig, ax = new_axes(ax)
    n = len(result.config.neuron_inputs)
    ax.plot(result.neuron_weights, result.neuron_i_xt, color="C0", label="I(X;T), quadrature")
    ax.axhline(np.log2(n), color="0.5", ls=":", lw=1, label=f"log2 {n}: all inputs apart")
    ax.axhline(1.0, color="0.5", ls="--", lw=1, label="1 bit: two clusters")
    ax.set_xscale("log")
    ax.set_xlabel("weight w of the neuron")
    ax.set_ylabel(LABELS["i_xt"])
    ax.set_title(f"T = tanh(wX) + Z, β = {result.config.neuron_beta:g}, X on {n} points")
    ax.legend(loc="lower center")
    return readable(fig)
