"""Binning with adaptive ranges, bin sweeps, and plug-in binned MI between two variables.

Extensions of :func:`ipflow_lib.estimators.binned_mi` (the SZT17 estimator) used to show how much
of the information plane is a property of the binning:

``binned_mi_max_abs``   edges over each layer's own range [−max|t|, max|t|] (or [0, max t] for a
                        non-negative layer such as ReLU or softmax), the range Saxe et al. needed for ReLU
``binned_mi_sweep``     the same activations under several bin counts or bin sizes
``binning_estimators``  a dict of estimators (one per bin count) for a streaming trainer
``plugin_mi``           I(X;Z) of paired integer symbols by plug-in entropies
``binned_pair_mi``      I(X;Z) of two continuous samples, each coordinate binned equally over its range
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import numpy as np

from ..validation import as_array, as_float, as_int, as_int_sequence, as_range
from ._common import check_representation, encode_rows, entropy_of_codes, log_base
from .binning import binned_mi

__all__ = ["binned_mi_max_abs", "binned_mi_sweep", "binned_pair_mi", "binning_estimators", "plugin_mi"]

_TOP = 1.0 + 1e-9  # keeps the largest activation inside the last interior cell


def binned_mi_max_abs(t, y, n_bins: int = 30, *, base: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """Binning with edges over each layer's own range: ``linspace(−m, m, n_bins)``, m = max |t|.

    The range is chosen per row of the leading dims (one network's layer at one epoch). A layer
    whose activations are all ≥ 0 (ReLU, softmax) gets ``linspace(0, m, n_bins)`` so that no
    bins are wasted on negative values. Fixed edges on [−1, 1] clip every ReLU activation above 1
    into one cell; this is the adaptive range that makes binning meaningful for ReLU networks
    (Saxe et al. 2018, Sec. 2 and Appendix).

    Parameters
    ----------
    t : array_like, shape (..., n_samples, n_units)
    y : array_like of int, shape (n_samples,)
    n_bins : int
        Number of edges, ≥ 2.
    base : float
        Logarithm base (2: bits).

    Returns
    -------
    i_xt, i_ty : ndarray, shape t.shape[:-2]

    Raises
    ------
    ValueError, TypeError
        As :func:`ipflow_lib.estimators.binned_mi`.
    """
    t, y = check_representation(t, y)
    t = t.astype(np.float64)
    m = np.abs(t).max(axis=(-2, -1), keepdims=True)
    m = np.where(m > 0, m, 1.0)
    lo = np.where(t.min(axis=(-2, -1), keepdims=True) >= 0, 0.0, -m)
    u = (t - lo) / (m - lo)  # in [0, 1]
    return binned_mi(u, y, n_bins, (0.0, _TOP), base=base)


def binned_mi_sweep(
    t,
    y,
    n_bins: Sequence[int] = (5, 10, 15, 20, 25, 35),
    value_range: tuple[float, float] | str | None = (-1.0, 1.0),
    *,
    bin_sizes: Sequence[float] | None = None,
    base: float = 2.0,
) -> tuple[np.ndarray, np.ndarray]:
    """The binning estimate under several bin counts (or bin sizes), stacked on a new first axis.

    Parameters
    ----------
    t : array_like, shape (..., n_samples, n_units)
    y : array_like of int, shape (n_samples,)
    n_bins : sequence of int
        Bin counts to sweep (ignored when ``bin_sizes`` is given).
    value_range : (lo, hi), "max_abs" or None
        Fixed edges (SZT17), each layer's max-|t| range (:func:`binned_mi_max_abs`) or its
        [min, max] range (``binned_mi(value_range=None)``).
    bin_sizes : sequence of float, optional
        Sweep Saxe et al.'s equal-width cells floor(t / size) instead of counts.
    base : float
        Logarithm base (2: bits).

    Returns
    -------
    i_xt, i_ty : ndarray, shape (n_values,) + t.shape[:-2]
    """
    t, y = check_representation(t, y)
    if bin_sizes is not None:
        if isinstance(bin_sizes, (str, bytes)) or not hasattr(bin_sizes, "__iter__"):
            raise TypeError(f"bin_sizes must be a sequence of numbers > 0, got {bin_sizes!r}")
        sizes = [as_float(f"bin_sizes[{i}]", s, above=0.0) for i, s in enumerate(bin_sizes)]
        if not sizes:
            raise ValueError("bin_sizes must hold at least one bin size")
        runs = [binned_mi(t, y, bin_size=s, base=base) for s in sizes]
    else:
        counts = as_int_sequence("n_bins", n_bins, minimum=2)
        if len(counts) == 0:
            raise ValueError("n_bins must hold at least one bin count")
        runs = [_binning(b, value_range, base)(t, y) for b in counts]
    return np.stack([r[0] for r in runs]), np.stack([r[1] for r in runs])


def _binning(n_bins: int, value_range, base: float) -> Callable:
    log_base(base)
    if isinstance(value_range, str):
        if value_range != "max_abs":
            raise ValueError(f"value_range must be (lo, hi), 'max_abs' or None, got {value_range!r}")
        return functools.partial(binned_mi_max_abs, n_bins=n_bins, base=base)
    if value_range is not None:
        value_range = as_range("value_range", value_range)
    return functools.partial(binned_mi, n_bins=n_bins, value_range=value_range, base=base)


def binning_estimators(
    n_bins: Sequence[int] = (10, 30, 100),
    value_range: tuple[float, float] | str | None = (-1.0, 1.0),
    *,
    base: float = 2.0,
    prefix: str = "bins",
) -> dict[str, Callable]:
    """``{"bins10": est, "bins30": est, ...}``: one binning estimator per bin count, for a trainer.

    Each ``est(t, y) -> (i_xt, i_ty)`` has the estimator call shape; ``value_range`` as in
    :func:`binned_mi_sweep`.
    """
    if not isinstance(prefix, str):
        raise TypeError(f"prefix must be a string, got {prefix!r}")
    return {f"{prefix}{b}": _binning(b, value_range, base) for b in as_int_sequence("n_bins", n_bins, minimum=2)}


def plugin_mi(x_codes, z_codes, *, base: float = 2.0) -> float:
    """Plug-in I(X;Z) = H(X) + H(Z) − H(X,Z) of paired non-negative integer symbols.

    Parameters
    ----------
    x_codes : array_like of int, shape (n_samples,) or (n_samples, kx)
    z_codes : array_like of int, shape (n_samples,) or (n_samples, kz)
        Paired symbols (a row of k integers is one symbol).
    base : float
        Logarithm base (2: bits).

    Returns
    -------
    float
        0 ≤ result ≤ min(H(X), H(Z)) of the empirical distribution. Biased upwards by about
        (|X| − 1)(|Z| − 1) / (2 n ln 2) bits when X and Z are independent (Miller–Madow).

    Raises
    ------
    TypeError
        Non-integer symbols.
    ValueError
        Negative symbols, mismatched lengths, wrong shapes.
    """
    arrays = []
    for name, a in (("x_codes", x_codes), ("z_codes", z_codes)):
        a = as_array(name, a, nonempty=False)
        if not np.issubdtype(a.dtype, np.integer):
            raise TypeError(f"{name} must hold integer symbols, got dtype {a.dtype}")
        a = a[:, None] if a.ndim == 1 else a
        if a.ndim != 2 or a.shape[0] == 0:
            raise ValueError(f"{name} must have shape (n_samples,) or (n_samples, k), got {np.shape(a)}")
        if a.min() < 0:
            raise ValueError(f"{name} must hold non-negative symbols")
        arrays.append(a.astype(np.int64))
    xs, zs = arrays
    if xs.shape[0] != zs.shape[0]:
        raise ValueError(
            f"x_codes and z_codes must have the same number of samples, got {xs.shape[0]} and {zs.shape[0]}"
        )
    scale = log_base(base)
    # compact both symbols to 0..K−1 so that the joint code cannot overflow
    cx = np.unique(encode_rows(xs, int(xs.max()) + 1), return_inverse=True)[1].reshape(-1)
    cz = np.unique(encode_rows(zs, int(zs.max()) + 1), return_inverse=True)[1].reshape(-1)
    joint = cx * (int(cz.max()) + 1) + cz
    mi = entropy_of_codes(cx) + entropy_of_codes(cz) - entropy_of_codes(joint)
    return float(max(mi, 0.0) / scale)


def binned_pair_mi(x, z, n_bins: int = 10, *, base: float = 2.0) -> float:
    """Plug-in I(X;Z) of continuous samples, each coordinate cut into ``n_bins`` equal cells over its range.

    The naive estimator applied to ground-truth tasks: it is biased up by the finite sample (the
    plug-in bias grows like n_bins^(dx + dz) / n) and down by the discretisation.

    Parameters
    ----------
    x : array_like, shape (n_samples,) or (n_samples, dx)
    z : array_like, shape (n_samples,) or (n_samples, dz)
    n_bins : int
        Cells per coordinate, ≥ 1.

    Returns
    -------
    float, in log ``base`` units.
    """
    xs = as_array("x", x, finite=False, nonempty=False).astype(np.float64)
    zs = as_array("z", z, finite=False, nonempty=False).astype(np.float64)
    xs = xs[:, None] if xs.ndim == 1 else xs
    zs = zs[:, None] if zs.ndim == 1 else zs
    if xs.ndim != 2 or zs.ndim != 2 or xs.shape[0] != zs.shape[0]:
        raise ValueError(f"x and z must be (n_samples, dims) with equal n_samples, got {xs.shape} and {zs.shape}")
    if not (np.isfinite(xs).all() and np.isfinite(zs).all()):
        raise ValueError("x and z must be finite (found NaN/inf)")
    if xs.shape[0] == 0:
        raise ValueError("x and z are empty: they need at least one paired sample")
    n_bins = as_int("n_bins", n_bins, minimum=1, maximum=2**31)
    log_base(base)

    def cells(a):
        lo, hi = a.min(axis=0), a.max(axis=0)
        width = np.where(hi > lo, hi - lo, 1.0)
        return np.clip(np.floor((a - lo) / width * n_bins), 0, n_bins - 1).astype(np.int64)

    return plugin_mi(cells(xs), cells(zs), base=base)
