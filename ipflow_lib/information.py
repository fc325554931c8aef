"""Exact information quantities on explicit probability tables.

Everything here works on finite distributions given as arrays of probabilities: a distribution
``p`` of any shape (its entries sum to 1), a joint table ``p_xy`` of shape (n_x, n_y) with X on the
rows, or a channel ``p_y_given_x`` of shape (n_x, n_y) whose rows sum to 1. Results are in bits
unless ``base`` says otherwise; 0 log 0 = 0 throughout.

Definitions (Cover & Thomas, *Elements of Information Theory*, ch. 2):

- entropy H(X) = −Σ_x p(x) log p(x)
- conditional entropy H(Y|X) = H(X,Y) − H(X)
- mutual information I(X;Y) = H(X) + H(Y) − H(X,Y) = D_KL[p(x,y) || p(x)p(y)]
- Kullback–Leibler divergence D_KL[p || q] = Σ p log(p/q) (infinite where p > 0 = q)
- Jensen–Shannon divergence JS(p, q) = ½ D_KL[p || m] + ½ D_KL[q || m], m = ½(p + q)

>>> import numpy as np
>>> p_xy = np.array([[0.5, 0.0], [0.0, 0.5]])   # Y = X, one fair bit
>>> float(mutual_information(p_xy))
1.0
"""

from __future__ import annotations

import numpy as np
from scipy.special import rel_entr, xlogy

from .validation import as_array, as_base, as_float

__all__ = [
    "check_channel",
    "check_distribution",
    "conditional_entropy",
    "empirical_joint",
    "entropy",
    "joint",
    "js_divergence",
    "kl_divergence",
    "marginals",
    "mutual_information",
]

#: Default tolerance on |Σ p − 1| for a probability table.
ATOL = 1e-6


def _log_base(base: float) -> float:
    return as_base(base)


def _as_table(p, name: str, ndim: int | None) -> np.ndarray:
    try:
        arr = as_array(name, p, finite=False, nonempty=False).astype(np.float64)
    except TypeError as err:
        raise TypeError(f"{err} (expected a numeric array of probabilities)") from None
    if ndim is not None and arr.ndim != ndim:
        shape = "(n,)" if ndim == 1 else "(n_x, n_y)" if ndim == 2 else f"{ndim} dims"
        raise ValueError(f"{name} must have shape {shape}, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}); a distribution needs at least one outcome")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or inf")
    if (arr < 0).any():
        raise ValueError(f"{name} has negative entries (smallest {arr.min():.3g}); probabilities must be ≥ 0")
    return arr


def check_distribution(p, name: str = "p", *, ndim: int | None = None, atol: float = ATOL) -> np.ndarray:
    """Validate a probability table and return it as float64.

    Parameters
    ----------
    p : array_like, any shape (or ``ndim`` dims)
        Probabilities of the joint outcomes; all entries together must sum to 1.
    name : str
        Name used in error messages.
    ndim : int, optional
        Required number of dimensions.
    atol : float
        Tolerance on |Σ p − 1|.

    Returns
    -------
    ndarray, float64, same shape as ``p``.

    Raises
    ------
    TypeError
        If ``p`` is not a real numeric array (strings, ``None``, bools, complex numbers are refused).
    ValueError
        If ``p`` is empty, has the wrong number of dims, holds NaN/inf or negative entries,
        or does not sum to 1 within ``atol``.
    """
    atol = as_float("atol", atol, minimum=0.0)
    arr = _as_table(p, name, ndim)
    total = arr.sum()
    if abs(total - 1.0) > atol:
        raise ValueError(f"{name} must sum to 1 (within {atol:g}), but sums to {total:.6g}")
    return arr


def check_channel(p_y_given_x, name: str = "p_y_given_x", *, atol: float = ATOL) -> np.ndarray:
    """Validate a conditional distribution (channel) of shape (n_x, n_y): each row sums to 1.

    Raises
    ------
    TypeError, ValueError
        As :func:`check_distribution`, with the first row that does not sum to 1 named.
    """
    atol = as_float("atol", atol, minimum=0.0)
    arr = _as_table(p_y_given_x, name, 2)
    sums = arr.sum(axis=1)
    bad = np.flatnonzero(np.abs(sums - 1.0) > atol)
    if bad.size:
        raise ValueError(
            f"every row of {name} must sum to 1 (within {atol:g}); row {bad[0]} sums to {sums[bad[0]]:.6g} "
            f"({bad.size} bad rows)"
        )
    return arr


def joint(p_x, p_y_given_x) -> np.ndarray:
    """The joint table p(x, y) = p(x) p(y|x).

    Parameters
    ----------
    p_x : array_like, shape (n_x,)
    p_y_given_x : array_like, shape (n_x, n_y), rows sum to 1

    Returns
    -------
    p_xy : ndarray, shape (n_x, n_y)

    Raises
    ------
    ValueError
        If either is not a valid distribution or their shapes disagree.
    """
    p_x = check_distribution(p_x, "p_x", ndim=1)
    p_y_given_x = check_channel(p_y_given_x)
    if p_y_given_x.shape[0] != p_x.shape[0]:
        raise ValueError(
            f"p_x has {p_x.shape[0]} outcomes but p_y_given_x has {p_y_given_x.shape[0]} rows; they must match"
        )
    return p_x[:, None] * p_y_given_x


def marginals(p_xy) -> tuple[np.ndarray, np.ndarray]:
    """``(p_x, p_y)`` of a joint table ``p_xy`` of shape (n_x, n_y): row sums and column sums."""
    p_xy = check_distribution(p_xy, "p_xy", ndim=2)
    return p_xy.sum(axis=1), p_xy.sum(axis=0)


def _symbols(a, name: str, n: int | None) -> np.ndarray:
    a = np.asarray(a)
    if a.ndim not in (1, 2) or a.shape[0] == 0:
        raise ValueError(f"{name} must have shape (n_samples,) or (n_samples, n_features), got {a.shape}")
    if n is not None and a.shape[0] != n:
        raise ValueError(f"{name} has {a.shape[0]} samples, expected {n} (as the first argument)")
    if a.dtype.kind == "f" and not np.isfinite(a).all():
        raise ValueError(f"{name} contains NaN or inf")
    _, codes = np.unique(a if a.ndim == 2 else a[:, None], axis=0, return_inverse=True)
    return codes.reshape(-1)


def empirical_joint(a, b, weights=None) -> np.ndarray:
    """The joint table p(a, b) of two discrete variables given as aligned samples (or as functions of X).

    With ``weights`` = p(x) and a = f(x), b = g(x) listed over all inputs x, this is the exact joint of
    f(X) and g(X); without weights every sample counts 1/n (X uniform, as for the 12-bit task).

    Parameters
    ----------
    a : array_like, shape (n,) or (n, k_a)
        Symbols of the first variable (rows of a 2-d array are one symbol each).
    b : array_like, shape (n,) or (n, k_b)
    weights : array_like, shape (n,), optional
        Probability of each sample (sums to 1); default uniform.

    Returns
    -------
    p_ab : ndarray, shape (n_distinct_a, n_distinct_b)
        Rows and columns ordered as ``np.unique`` orders the symbols.

    Raises
    ------
    ValueError
        On mismatched lengths, empty input, NaN, or invalid weights.

    >>> empirical_joint([0, 0, 1, 1], [0, 1, 1, 1]).tolist()
    [[0.25, 0.25], [0.0, 0.5]]
    """
    codes_a = _symbols(a, "a", None)
    n = codes_a.size
    codes_b = _symbols(b, "b", n)
    w = np.full(n, 1.0 / n) if weights is None else check_distribution(weights, "weights", ndim=1)
    if w.shape[0] != n:
        raise ValueError(f"weights has {w.shape[0]} entries, expected {n}")
    table = np.zeros((codes_a.max() + 1, codes_b.max() + 1))
    np.add.at(table, (codes_a, codes_b), w)
    return table


def _entropy_nats(p: np.ndarray) -> float:
    return float(-xlogy(p, p).sum())


def entropy(p, base: float = 2.0) -> float:
    """Shannon entropy H = −Σ p log p of a distribution (of all entries of ``p`` taken jointly).

    Parameters
    ----------
    p : array_like, any shape
        Probabilities summing to 1. A joint table p(x, y) gives the joint entropy H(X, Y).
    base : float
        Logarithm base: 2 for bits (default), e for nats.

    Returns
    -------
    float, ≥ 0, at most log(p.size).

    Raises
    ------
    ValueError
        If ``p`` is not a valid distribution (see :func:`check_distribution`) or ``base`` is invalid.

    Source: Cover & Thomas (2006), Eq. (2.1).

    >>> entropy([0.5, 0.25, 0.25])
    1.5
    """
    return _entropy_nats(check_distribution(p)) / _log_base(base)


def conditional_entropy(p_xy, base: float = 2.0) -> float:
    """Conditional entropy H(Y|X) = H(X,Y) − H(X) of a joint table with X on the rows.

    For H(X|Y) pass ``p_xy.T``.

    Parameters
    ----------
    p_xy : array_like, shape (n_x, n_y)
        Joint probabilities p(x, y), summing to 1.
    base : float
        Logarithm base (2: bits).

    Returns
    -------
    float, between 0 and H(Y).

    Raises
    ------
    ValueError
        If ``p_xy`` is not a valid 2-d distribution.

    Source: Cover & Thomas (2006), Eq. (2.10) and Theorem 2.2.1 (chain rule).
    """
    p_xy = check_distribution(p_xy, "p_xy", ndim=2)
    h = _entropy_nats(p_xy) - _entropy_nats(p_xy.sum(axis=1))
    return max(h, 0.0) / _log_base(base)


def mutual_information(p_xy, base: float = 2.0) -> float:
    """Mutual information I(X;Y) = Σ p(x,y) log[p(x,y) / (p(x)p(y))] of a joint table.

    Takes ``p_xy`` (n_x, n_y), the joint p(x, y) summing to 1, and the logarithm ``base`` (2: bits), as
    :func:`conditional_entropy`, and raises the same ValueError for a table that is not a 2-d
    distribution. Returns a float between 0 and min(H(X), H(Y)). Source: Cover & Thomas (2006), Eq. (2.28).

    >>> mutual_information([[0.25, 0.25], [0.25, 0.25]])   # independent
    0.0
    """
    p_xy = check_distribution(p_xy, "p_xy", ndim=2)
    outer = p_xy.sum(axis=1, keepdims=True) * p_xy.sum(axis=0, keepdims=True)
    # Where p(x,y) > 0 also p(x)p(y) > 0, so rel_entr is finite; clip rounding below 0.
    return max(float(rel_entr(p_xy, outer).sum()), 0.0) / _log_base(base)


def _pair(p, q) -> tuple[np.ndarray, np.ndarray]:
    p = check_distribution(p, "p")
    q = check_distribution(q, "q")
    if p.shape != q.shape:
        raise ValueError(f"p and q must have the same shape, got {p.shape} and {q.shape}")
    return p, q


def kl_divergence(p, q, base: float = 2.0) -> float:
    """Kullback–Leibler divergence D_KL[p || q] = Σ p log(p / q).

    Parameters
    ----------
    p, q : array_like, same shape
        Two distributions over the same outcomes.
    base : float
        Logarithm base (2: bits).

    Returns
    -------
    float, ≥ 0; ``inf`` when p puts mass where q has none.

    Raises
    ------
    ValueError
        If ``p`` or ``q`` is not a valid distribution or their shapes differ.

    Source: Cover & Thomas (2006), Eq. (2.26).
    """
    p, q = _pair(p, q)
    return max(float(rel_entr(p, q).sum()), 0.0) / _log_base(base)


def js_divergence(p, q, base: float = 2.0) -> float:
    """Jensen–Shannon divergence ½ D_KL[p || m] + ½ D_KL[q || m] with m = ½(p + q).

    Symmetric, always finite, at most 1 bit; its square root is a metric.

    Parameters
    ----------
    p, q : array_like, same shape
    base : float
        Logarithm base (2: bits).

    Returns
    -------
    float in [0, log_base 2].

    Raises
    ------
    ValueError
        If ``p`` or ``q`` is not a valid distribution or their shapes differ.

    Source: Lin (1991), *Divergence measures based on the Shannon entropy*, IEEE Trans. Inf. Theory 37.
    """
    p, q = _pair(p, q)
    m = 0.5 * (p + q)
    js = 0.5 * rel_entr(p, m).sum() + 0.5 * rel_entr(q, m).sum()
    return max(float(js), 0.0) / _log_base(base)
