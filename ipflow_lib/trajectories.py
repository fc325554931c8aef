"""Analysis of logged information-plane trajectories: phases, compression, first epochs, bootstrap.

The curves come from the trainer experiments (I(X;T), I(T;Y) and accuracies per network, logged epoch and
layer); the functions here turn them into the numbers the chapters and the claims quote:

``phase_times``             epochs of the fitting and compression phases of each layer (SZT17 Sec. 5, Fig. 5)
``first_epoch_reaching``    the first logged epoch at which a curve reaches a level
``compression``             drop of I(X;T) from its peak to its final value, per network and layer
``bootstrap_phase_times``   5–95 % intervals of the phase epochs over resampled networks

Units: information in bits, time in epochs. Nothing here trains or plots.
"""

from __future__ import annotations

import numpy as np

__all__ = ["bootstrap_phase_times", "compression", "first_epoch_reaching", "phase_times"]


def compression(i_xt, axis: int = 1) -> np.ndarray:
    """Compression of I(X;T): its maximum over logged epochs minus its final value, bits.

    Parameters
    ----------
    i_xt : array, e.g. (n_networks, n_logged, n_layers), bits
    axis : the axis of the logged epochs (default 1)

    Returns
    -------
    ndarray with ``axis`` removed, ≥ 0: 0 means I(X;T) ended at its maximum (no compression phase).
    """
    i_xt = np.asarray(i_xt, dtype=float)
    return i_xt.max(axis=axis) - np.take(i_xt, -1, axis=axis)


def phase_times(
    i_xt,
    i_ty,
    epochs,
    *,
    fit_level: float = 0.95,
    compression_level: float = 0.9,
    min_compression_bits: float = 0.1,
) -> dict[str, np.ndarray]:
    """Epochs of the fitting and compression phases of each layer's trajectory (SZT17 Sec. 5, Fig. 5).

    Parameters
    ----------
    i_xt, i_ty : arrays (n_logged, n_layers), bits -- one trajectory per layer (e.g. the mean over networks);
        columns that are all NaN (padding) give NaN
    epochs : (n_logged,) increasing logged epochs
    fit_level : the layer has *fitted* once I(T;Y) ≥ I₀ + fit_level · (max I(T;Y) − I₀), I₀ its initial value
    compression_level : compression *ends* once I(X;T) ≤ peak − compression_level · (peak − final)
    min_compression_bits : a fall of I(X;T) from its peak to its final value smaller than this is not
        compression (start and end are NaN)

    Returns
    -------
    dict of (n_layers,) float arrays: ``fit_epoch``, ``compression_start`` (epoch of the peak of I(X;T)),
    ``compression_end``, ``compression_bits`` (peak − final I(X;T), bits). A layer whose I(T;Y) never rises
    has fit_epoch = its first logged epoch.

    Raises
    ------
    ValueError
        On mismatched shapes or levels outside (0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> e = np.arange(5)
    >>> out = phase_times(np.array([[3.], [5.], [4.], [3.2], [3.]]), np.array([[0.], [.5], [1.], [1.], [1.]]), e)
    >>> [float(out[k][0]) for k in ("fit_epoch", "compression_start", "compression_end", "compression_bits")]
    [2.0, 1.0, 3.0, 2.0]
    """
    i_xt, i_ty, epochs = np.asarray(i_xt, float), np.asarray(i_ty, float), np.asarray(epochs, float)
    if i_xt.ndim != 2 or i_xt.shape != i_ty.shape or i_xt.shape[0] != epochs.size:
        raise ValueError(
            f"i_xt and i_ty must have shape (n_logged, n_layers) with n_logged = len(epochs) = {epochs.size}; "
            f"got {i_xt.shape} and {i_ty.shape}"
        )
    for name, level in (("fit_level", fit_level), ("compression_level", compression_level)):
        if not 0.0 < level <= 1.0:
            raise ValueError(f"{name} must be in (0, 1], got {level}")
    n_layers = i_xt.shape[1]
    out = {k: np.full(n_layers, np.nan) for k in ("fit_epoch", "compression_start", "compression_end",
                                                  "compression_bits")}
    for k in range(n_layers):
        x, t = i_xt[:, k], i_ty[:, k]
        if np.isnan(x).all():
            continue
        target = t[0] + fit_level * (t.max() - t[0])
        out["fit_epoch"][k] = epochs[np.argmax(t >= target - 1e-12)]
        peak = int(np.argmax(x))
        drop = x[peak] - x[-1]
        out["compression_bits"][k] = drop
        if drop < min_compression_bits or drop <= 0:
            continue
        after = x[peak:] <= x[peak] - compression_level * drop + 1e-12
        out["compression_start"][k] = epochs[peak]
        out["compression_end"][k] = epochs[peak + int(np.argmax(after))]
    return out


def first_epoch_reaching(values, epochs, level: float) -> float:
    """The first of ``epochs`` at which ``values`` (n_logged,) reaches ``level``; NaN if it never does."""
    values = np.asarray(values, dtype=float)
    hit = values >= level
    return float(np.asarray(epochs)[np.argmax(hit)]) if hit.any() else float("nan")


def bootstrap_phase_times(i_xt, i_ty, epochs, n_bootstrap, seed, **levels) -> dict[str, np.ndarray]:
    """5–95 % bootstrap intervals (n_layers, 2) of :func:`phase_times` of the mean over resampled networks.

    ``i_xt``, ``i_ty`` have shape (n_networks, n_logged, n_layers), bits; the networks are resampled with
    replacement ``n_bootstrap`` times (``numpy.random.default_rng(seed)``).

    NaN where fewer than half of the resamples give a value (e.g. no compression in most of them)."""
    rng = np.random.default_rng(seed)
    n, n_layers = i_xt.shape[0], i_xt.shape[-1]
    draws = [phase_times(i_xt[pick].mean(0), i_ty[pick].mean(0), epochs, **levels)
             for pick in (rng.integers(0, n, n) for _ in range(n_bootstrap))]
    out = {}
    for key in ("fit_epoch", "compression_start", "compression_end", "compression_bits"):
        ci = np.full((n_layers, 2), np.nan)
        for k in range(n_layers):
            v = np.array([d[key][k] for d in draws])
            v = v[np.isfinite(v)]
            if n_bootstrap and v.size >= 0.5 * n_bootstrap:
                ci[k] = np.percentile(v, [5, 95])
        out[key] = ci
    return out
