"""Pairwise-distance (KDE) bounds on the information of a noisy layer (Kolchinsky & Tracey 2017).

A deterministic layer h(X) carries infinite (continuous X) or trivially maximal (discrete X)
information about X. Saxe et al. (2018) therefore measured the information of a *noisy* copy
T = h(X) + ε, ε ~ N(0, σ² I_d): with X uniform over n inputs, T is a mixture of n Gaussians
N(h_i, σ² I), whose entropy is bracketed by pairwise distances D_ij = ||h_i − h_j||²
(Kolchinsky & Tracey 2017, Eqs. 10 and 14; Saxe et al. 2018, Appendix C):

    H(T) ≤ (d/2) ln(2πeσ²) − (1/n) Σ_i ln[(1/n) Σ_j exp(−D_ij / (2σ²))]     (KL, upper)
    H(T) ≥ (d/2) ln(2πeσ²) − (1/n) Σ_i ln[(1/n) Σ_j exp(−D_ij / (8σ²))]     (Bhattacharyya, lower)

H(T|X) = (d/2) ln(2πeσ²) exactly, so I(X;T) = H(T) − H(T|X) is bracketed by the two sums alone,
between 0 (all h_i equal) and ln n (all h_i far apart compared with σ). These are the general Gaussian-mixture
bounds of :mod:`ipflow_lib.estimators.pairwise` for equal variances σ² I, where KL = D_ij/(2σ²) and
Bhattacharyya = D_ij/(8σ²); this module computes the kernel sums fast and hands them to that module's
formulas (:func:`ipflow_lib.estimators.mixture_information` handles components with their own variances).

How it is computed: the O(n²) sums run in blocks of rows. One matrix product gives −D/(8σ²) for a
block (squared distances through the augmented-vector identity, centred data, float32 unless the
activations are so large that float32 rounding would matter), one ``exp`` gives the lower-bound
kernel, two in-place squarings give the upper-bound kernel exp(−D/(2σ²)) = exp(−D/(8σ²))⁴, and a
product with the one-hot label matrix gives the row sums per class. The kernel is symmetric, so only
blocks on and above the diagonal are computed. Independent problems (seeds, layers) run on a small
thread pool with single-threaded BLAS (multi-threaded BLAS on tiny inner dimensions is slower).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import numpy as np

from ..validation import as_int
from ._common import (
    check_representation,
    check_variance,
    compact_labels,
    log_base,
    map_problems,
    memo_pair,
    resolve_n_jobs,
)
from .pairwise import pairwise_entropy_terms, pairwise_mi

__all__ = ["KDEBounds", "kde_bounds", "kde_estimators", "kde_mi", "pairwise_kernel_sums"]

_BOUNDS = ("upper", "lower")
_BLOCK_ELEMENTS = 1 << 21  # kernel entries per block: 8 MB of float32
# float32 rounding of the exponent −D/(2σ²) is about 1e-6 · scale · max ||h||² (four terms of that size,
# eps = 6e-8, times 4 for the upper bound); an error δ in the exponent moves the result by ≤ δ / ln 2 bits.
_FLOAT32_MAX_ROUNDING = 5e-3


def _sums_one(h: np.ndarray, onehot: np.ndarray, scale: float, which: tuple[str, ...], block_elements: int):
    """Row sums per class of exp(−scale·D) ("lower") and of its 4th power ("upper") for one problem."""
    n = h.shape[0]
    h = h.astype(np.float64) - h.mean(axis=0, dtype=np.float64)
    sq = np.einsum("nd,nd->n", h, h)
    # float32 unless the largest exponent (the upper bound's 4·scale·D) makes rounding matter
    dtype = np.float32 if 1e-6 * scale * sq.max(initial=0.0) < _FLOAT32_MAX_ROUNDING else np.float64
    # U_i · V_j = −scale · (||h_i||² + ||h_j||² − 2 h_i·h_j) = −scale · D_ij
    u = np.column_stack([2.0 * scale * h, -scale * sq, -scale * np.ones(n)]).astype(dtype)
    vt = np.ascontiguousarray(np.column_stack([h, np.ones(n), sq]).T.astype(dtype))
    onehot = onehot.astype(dtype)
    out = {name: np.zeros((n, onehot.shape[1])) for name in which}
    rows = int(min(n, max(64, block_elements // max(n, 1))))
    for r0 in range(0, n, rows):
        r1 = min(n, r0 + rows)
        block = u[r0:r1] @ vt[:, r0:]  # (r, n − r0): −scale · D, columns from r0 on (symmetry)
        np.minimum(block, 0.0, out=block)
        np.exp(block, out=block)
        diag = np.arange(r1 - r0)
        block[diag, diag] = 1.0  # exact self-term: identical points give exactly exp(0)
        for name in ("lower", "upper"):
            if name not in which:
                continue
            if name == "upper":  # exp(−D/(2σ²)) = exp(−D/(8σ²))⁴
                np.multiply(block, block, out=block)
                np.multiply(block, block, out=block)
            acc = out[name]
            acc[r0:r1] += block @ onehot[r0:]
            if r1 < n:  # the blocks below the diagonal are the transposes of those above it
                acc[r1:] += block[:, r1 - r0 :].T @ onehot[r0:r1]
    return out


def pairwise_kernel_sums(
    h,
    labels,
    noise_variance: float,
    bounds: Sequence[str] = _BOUNDS,
    *,
    n_jobs: int | None = None,
    block_elements: int = _BLOCK_ELEMENTS,
) -> dict[str, np.ndarray]:
    """Gaussian-kernel row sums per class, the core of the KDE bounds.

    S[b][..., i, c] = Σ_{j : labels_j = c} exp(−||h_i − h_j||² / (k σ²)), k = 2 for b = "upper" and
    k = 8 for b = "lower" (Kolchinsky & Tracey 2017, Eqs. 10, 14).

    Parameters
    ----------
    h : ndarray, shape (..., n, d)
        Points; leading dims are independent problems (seeds, layers).
    labels : ndarray of int, shape (n,)
        Class of every point, numbered 0..C−1.
    noise_variance : float
        σ² > 0.
    bounds : sequence of {"upper", "lower"}
        Which sums to return (both cost little more than one).
    n_jobs : int or None
        Threads over the independent problems (None: one per CPU core).
    block_elements : int
        Kernel entries per block (memory per thread ≈ 4–8 bytes × block_elements).

    Returns
    -------
    dict of ndarray, float64, shape (..., n, C)
        The self-term exp(0) = 1 is counted exactly.
    """
    variance = check_variance(noise_variance)
    which = tuple(dict.fromkeys(bounds))
    if not which or any(b not in _BOUNDS for b in which):
        raise ValueError(f"bounds must be a non-empty subset of {_BOUNDS}, got {bounds!r}")
    h, labels = check_representation(h, labels, name="h")
    block_elements = as_int("block_elements", block_elements, minimum=1)
    lead, n = h.shape[:-2], h.shape[-2]
    labels = np.asarray(labels, dtype=np.int64)
    n_classes = int(labels.max()) + 1
    onehot = np.zeros((n, n_classes))
    onehot[np.arange(n), labels] = 1.0
    problems = h.reshape((-1,) + h.shape[-2:])
    scale = 1.0 / (8.0 * variance)

    def one(p: int):
        return _sums_one(problems[p], onehot, scale, which, block_elements)

    results = map_problems(one, problems.shape[0], n_jobs)
    return {name: np.stack([r[name] for r in results]).reshape(lead + (n, n_classes)) for name in which}


def _mi_from_sums(sums: np.ndarray, labels: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """I(X;T) and I(T;Y) in nats from the per-class kernel sums (..., n, C), by :mod:`.pairwise`."""
    n = labels.size
    total = sums.sum(axis=-1)
    own = np.take_along_axis(sums, np.broadcast_to(labels[:, None], sums.shape[:-1] + (1,)), axis=-1)[..., 0]
    return pairwise_mi(*pairwise_entropy_terms(np.log(total / n), np.log(own / counts[labels])))


@dataclasses.dataclass(frozen=True)
class KDEBounds:
    """Both pairwise-distance estimates of one call of :func:`kde_bounds`; arrays of shape t.shape[:-2].

    ``i_xt_lower ≤ I(X;T) ≤ i_xt_upper`` for the noisy layer; ``i_ty_*`` are the matching I(T;Y)
    estimates (differences of bounds, not bounds). Units: log ``base`` (bits by default).
    """

    i_xt_upper: np.ndarray
    i_xt_lower: np.ndarray
    i_ty_upper: np.ndarray
    i_ty_lower: np.ndarray
    noise_variance: float


def kde_bounds(
    t, y, noise_variance: float = 1e-3, *, base: float = 2.0, n_jobs: int | None = None
) -> KDEBounds:
    """Upper and lower pairwise-distance estimates at once (about the cost of one).

    Same parameters and errors as :func:`kde_mi`; returns a :class:`KDEBounds`.
    """
    t, y = check_representation(t, y)
    scale = log_base(base)
    labels, counts = compact_labels(y)
    sums = pairwise_kernel_sums(t, labels, noise_variance, _BOUNDS, n_jobs=n_jobs)
    up_xt, up_ty = _mi_from_sums(sums["upper"], labels, counts)
    lo_xt, lo_ty = _mi_from_sums(sums["lower"], labels, counts)
    return KDEBounds(up_xt / scale, lo_xt / scale, up_ty / scale, lo_ty / scale, float(noise_variance))


def kde_mi(
    t,
    y,
    noise_variance: float = 1e-3,
    bound: str = "upper",
    *,
    base: float = 2.0,
    n_jobs: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """I(X;T) and I(T;Y) of the noisy layer T = h + N(0, σ² I) by pairwise-distance entropy bounds.

    With X uniform over the n inputs and ``t`` = h(X) their activations, T is a mixture of n Gaussians
    and (Kolchinsky & Tracey 2017, Eqs. 10, 14; as used by Saxe et al. 2018 with σ² = 1e-3 on the
    12-bit task and 0.1 on MNIST)

        I(X;T)_upper = −(1/n) Σ_i ln[(1/n) Σ_j exp(−||h_i − h_j||² / (2σ²))]
        I(X;T)_lower = the same with 8σ² in place of 2σ²

    and I(T;Y) = H(T) − Σ_y p(y) H(T|Y=y), each entropy estimated by the same bound on the
    class-conditional mixture (as in Saxe et al.'s code). I(X;T) is a true upper / lower bound;
    I(T;Y) is a difference of two bounds, an estimate but not a bound.

    Parameters
    ----------
    t : array_like, shape (..., n_samples, n_units)
        Activations h of one layer on all inputs; leading dims (seeds, epochs) are independent.
    y : array_like of int, shape (n_samples,)
        Class labels.
    noise_variance : float
        σ² of the Gaussian noise added to the activations (units of ``t`` squared), > 0.
    bound : {"upper", "lower"}
        "upper": the KL (pairwise KL divergence) bound; "lower": the Bhattacharyya bound.
    base : float
        Logarithm base of the result (2: bits).
    n_jobs : int or None
        Threads over the leading dims (None: one per CPU core).

    Returns
    -------
    i_xt, i_ty : ndarray, float64, shape t.shape[:-2]
        0 ≤ i_xt ≤ log n_samples; i_ty ≤ log(number of classes).

    Raises
    ------
    ValueError
        NaN/inf activations, mismatched lengths, noise_variance ≤ 0, unknown bound.
    TypeError
        Non-integer labels or a non-numeric noise_variance.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(8.0)[:, None]                     # 8 points 1 apart, σ ≈ 0.03: well separated
    >>> i_xt, i_ty = kde_mi(t, np.array([0, 0, 0, 0, 1, 1, 1, 1]), noise_variance=1e-3)
    >>> round(float(i_xt), 6), round(float(i_ty), 6)    # log2 8 and H(Y) = 1 bit
    (3.0, 1.0)
    """
    if not isinstance(bound, str) or bound not in _BOUNDS:
        raise ValueError(f"bound must be 'upper' or 'lower', got {bound!r}")
    t, y = check_representation(t, y)
    check_variance(noise_variance)
    scale = log_base(base)
    labels, counts = compact_labels(y)
    sums = pairwise_kernel_sums(t, labels, noise_variance, (bound,), n_jobs=n_jobs)[bound]
    i_xt, i_ty = _mi_from_sums(sums, labels, counts)
    return i_xt / scale, i_ty / scale


def kde_estimators(
    noise_variance: float = 1e-3,
    *,
    base: float = 2.0,
    n_jobs: int | None = None,
    prefix: str = "kde",
    memory: int = 64,
) -> dict[str, Callable]:
    """``{"kde_upper": est, "kde_lower": est}`` for a streaming trainer, sharing one computation.

    Each ``est(t, y) -> (i_xt, i_ty)`` has the estimator call shape. The pair remembers the bounds of
    the last ``memory`` (t, y) it saw, keyed by content, so a trainer that runs one estimator over all
    layers and then the other pays for one pass per layer.
    """
    check_variance(noise_variance)
    log_base(base)
    resolve_n_jobs(n_jobs, 1)
    memory = as_int("memory", memory, minimum=1)
    if not isinstance(prefix, str):
        raise TypeError(f"prefix must be a string, got {prefix!r}")
    return memo_pair(
        lambda t, y: kde_bounds(t, y, noise_variance, base=base, n_jobs=n_jobs),
        (f"{prefix}_upper", f"{prefix}_lower"),
        (("i_xt_upper", "i_ty_upper"), ("i_xt_lower", "i_ty_lower")),
        (
            f"KDE upper (KL) estimate, σ² = {noise_variance:g} (see ipflow_lib.estimators.kde_mi).",
            f"KDE lower (Bhattacharyya) estimate, σ² = {noise_variance:g}.",
        ),
        memory,
    )
