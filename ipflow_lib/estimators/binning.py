"""The binning estimator of Shwartz-Ziv & Tishby (2017).

Each unit's activation is put into one of the cells cut by fixed edges ``linspace(lo, hi, n_bins)``
(the same for every unit, layer and epoch, as in the authors' code); a layer's vector of cells is
one discrete symbol T. X is uniform over the n distinct inputs and the network is deterministic, so
H(T|X) = 0 and I(X;T) = H(T) ≤ log2 n, and I(T;Y) = H(T) + H(Y) − H(T,Y).
"""

from __future__ import annotations

import numpy as np

from ._common import check_representation, codes_are_exact, encode_rows, entropy_of_codes, joint_entropies, log_base


def digitize(t: np.ndarray, n_bins: int = 30, value_range: tuple[float, float] = (-1.0, 1.0)) -> np.ndarray:
    """Cell index of every activation: ``np.digitize(t, linspace(lo, hi, n_bins))``, values 0..n_bins.

    Inside [lo, hi) this is the authors' binning exactly. Values below ``lo`` or at/above ``hi`` fall in
    the two open outer cells (the authors' code folded values below ``lo`` onto the top edge).
    """
    lo, hi = value_range
    edges = np.linspace(lo, hi, n_bins)
    t = np.asarray(t)
    dtype = np.float32 if t.dtype == np.float32 else np.float64
    # Edges are uniform: the cell is floor((t - lo) / width) + 1. Values within rounding error of an
    # edge are recomputed with np.digitize, so that the result equals np.digitize(t, edges) exactly
    # (several times faster than np.digitize alone).
    u = (t.astype(dtype, copy=False) - dtype(lo)) * dtype((n_bins - 1) / (hi - lo))
    np.clip(u, -1, n_bins, out=u)
    cells = np.floor(u)
    near = np.abs(u - np.rint(u)) < (1e-4 if dtype == np.float32 else 1e-9)
    cells = cells.astype(np.int16 if n_bins < 2**15 else np.int64) + 1
    np.clip(cells, 0, n_bins, out=cells)
    if near.any():
        cells[near] = np.digitize(t[near], edges)
    return cells


def binned_mi(
    t,
    y,
    n_bins: int = 30,
    value_range: tuple[float, float] | None = (-1.0, 1.0),
    *,
    bin_size: float | None = None,
    base: float = 2.0,
) -> tuple[np.ndarray, np.ndarray]:
    """I(X;T) and I(T;Y) of a deterministic layer by binning its activations (SZT17, Sec. 3.2).

    Parameters
    ----------
    t : array_like, shape (..., n_samples, n_units)
        Activations of one layer on all n_samples inputs; leading dims (seeds, epochs, ...) broadcast.
    y : array_like of int, shape (n_samples,)
        Labels of the inputs. X is uniform over the n_samples distinct inputs.
    n_bins : int
        Number of edges ``linspace(lo, hi, n_bins)`` (30 in the paper, 50 in the 2017 runs).
    value_range : (lo, hi) or None
        Fixed range of the edges, (−1, 1) as in the paper (right for tanh; clips ReLU). ``None``
        adapts it per row of the leading dims to [min, max] of that layer's activations
        (an adaptive per-layer range, as needed for ReLU).
    bin_size : float, optional
        Instead of a bin count, cells of this width: symbol = floor(t / bin_size) (Saxe et al. 2018
        used 0.07). Overrides ``n_bins`` and ``value_range``.
    base : float
        Logarithm base of the result (2: bits).

    Returns
    -------
    i_xt, i_ty : ndarray, shape t.shape[:-2]
        I(X;T) = H(T) ≤ log n_samples and I(T;Y) ≤ min(H(Y), I(X;T)), in units of log ``base``.

    Raises
    ------
    ValueError
        Wrong shapes, labels of the wrong length, NaN/inf activations (diverged run), n_bins < 2,
        lo ≥ hi or bin_size ≤ 0.
    TypeError
        Non-integer labels.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.linspace(-0.9, 0.9, 8)[:, None]          # 8 inputs in 8 different bins
    >>> i_xt, i_ty = binned_mi(t, np.array([0, 0, 0, 0, 1, 1, 1, 1]), n_bins=30)
    >>> round(float(i_xt), 6), round(float(i_ty), 6)     # log2 8 and H(Y) = 1 bit
    (3.0, 1.0)
    """
    t, y = check_representation(t, y)
    if bin_size is not None:
        if not bin_size > 0:
            raise ValueError(f"bin_size must be > 0, got {bin_size}")
        symbols = np.floor(t / bin_size).astype(np.int64)
        symbols -= symbols.min(axis=(-2, -1), keepdims=True)
        n_symbols = int(symbols.max()) + 1
    else:
        if int(n_bins) != n_bins or n_bins < 2:
            raise ValueError(f"n_bins must be an integer ≥ 2, got {n_bins}")
        n_bins = int(n_bins)
        if value_range is None:
            lo = t.min(axis=(-2, -1), keepdims=True)
            hi = t.max(axis=(-2, -1), keepdims=True)
            hi = np.where(hi > lo, hi, lo + 1.0)
            # edges linspace(lo, hi, n_bins) per row, the top edge nudged so the maximum stays inside
            scaled = (t - lo) / (hi - lo) * (n_bins - 1) * (1 - 1e-9)
            symbols = np.floor(scaled).astype(np.int64) + 1
        else:
            lo, hi = value_range
            if not lo < hi:
                raise ValueError(f"value_range must have lo < hi, got {value_range}")
            symbols = digitize(t, n_bins, (lo, hi))
        n_symbols = n_bins + 1
    scale = log_base(base)
    n_classes = int(y.max()) + 1 if y.size else 1
    codes_t, codes_ty = encode_rows(symbols, n_symbols, labels=y, n_classes=n_classes)
    exact = codes_are_exact(symbols.shape[-1], n_symbols, n_classes)
    h_t, h_ty = joint_entropies(codes_t, codes_ty, n_classes, exact)
    h_y = entropy_of_codes(y)
    i_ty = np.clip(h_t + h_y - h_ty, 0.0, None)
    return h_t / scale, i_ty / scale
