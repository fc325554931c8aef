r"""Generalization bounds from input compression (Shwartz-Ziv, Painsky & Tishby, *Representation compression
and generalization in deep neural networks*, ICLR 2019 submission; thesis ch. 4).

The classical PAC bound for a finite hypothesis class over a finite input space counts every labelling of
the inputs. With the asymptotic equipartition property only the :math:`2^{H(X)}` typical inputs matter, so a
class of all :math:`2^{2^{H(X)}}` labellings and Hoeffding's inequality with a union bound give, with
probability at least :math:`1 - \delta` over a training set of size :math:`m`,

.. math:: |\text{gap}| \le \sqrt{\frac{2^{H(X)} + \log(2/\delta)}{2m}}.

A representation :math:`T` of :math:`X` partitions the typical inputs into about :math:`2^{I(X;T)}` cells;
a classifier that reads only :math:`T` labels cells, not inputs, and the same argument gives the *input
compression bound*

.. math:: |\text{gap}| \le \sqrt{\frac{2^{I(X;T)} + \log(2/\delta)}{2m}}:

:math:`k` bits of compression are worth a factor :math:`2^k` in training examples.

Conventions: information in bits (the exponent is base 2), :math:`\log(2/\delta)` natural (Hoeffding). The
exact union bound has :math:`2^{I} \ln 2` where the paper writes :math:`2^{I}`; as :math:`\ln 2 < 1` the
paper's form, implemented here, is the (slightly) larger and still valid of the two. The gap is that of the
0-1 loss: test error minus training error.
"""

from __future__ import annotations

import numpy as np

from .validation import as_array

__all__ = [
    "classical_bound",
    "input_compression_bound",
    "max_information",
    "sample_complexity",
]


def _real(name: str, x) -> np.ndarray:
    return as_array(name, x, finite=False, nonempty=False).astype(np.float64)


def _broadcast(**arrays) -> None:
    try:
        np.broadcast_shapes(*(a.shape for a in arrays.values()))
    except ValueError:
        shapes = ", ".join(f"{k} {a.shape}" for k, a in arrays.items())
        raise ValueError(f"the arguments must broadcast to one shape, got {shapes}") from None


def _check_bits(bits, name: str) -> np.ndarray:
    bits = _real(name, bits)
    if not np.isfinite(bits).all():
        raise ValueError(f"{name} must be finite (bits), got NaN or inf")
    if (bits < 0).any():
        raise ValueError(f"{name} must be ≥ 0 bits, got a minimum of {bits.min()}")
    return bits


def _check_m(m, name: str = "m") -> np.ndarray:
    m = _real(name, m)
    if not np.isfinite(m).all() or (m < 1).any():
        raise ValueError(f"{name} (training-set size) must be ≥ 1, got {m.min() if m.size else m}")
    return m


def _check_delta(delta) -> np.ndarray:
    delta = _real("delta", delta)
    if not np.isfinite(delta).all() or (delta <= 0).any() or (delta >= 1).any():
        raise ValueError(f"delta (failure probability) must be in (0, 1), got {delta}")
    return delta


def input_compression_bound(i_xt, m, delta=0.05) -> np.ndarray:
    r"""The input compression bound on the generalization gap: :math:`\sqrt{(2^{I(X;T)} + \ln(2/\delta)) / (2m)}`.

    Shwartz-Ziv, Painsky & Tishby (ICLR 2019 submission), the input compression bound (Sec. 3); thesis ch. 4.

    Parameters
    ----------
    i_xt : array_like, bits, ≥ 0
        I(X;T) of the representation the classifier reads (any shape; broadcasts with ``m`` and ``delta``).
    m : array_like, ≥ 1
        Number of training examples.
    delta : array_like in (0, 1)
        The bound holds with probability at least 1 − δ over the draw of the training set.

    Returns
    -------
    ndarray, the broadcast shape of the inputs
        Bound on |test error − training error| (0-1 loss); values above 1 say nothing.

    Raises
    ------
    ValueError
        If ``i_xt`` is negative or not finite, ``m`` < 1, or ``delta`` is outside (0, 1).

    Examples
    --------
    >>> float(input_compression_bound(3.0, m=100, delta=2 / np.e))  # sqrt((8 + 1) / 200)
    0.21213203435596426
    """
    bits = _check_bits(i_xt, "i_xt")
    m, delta = _check_m(m), _check_delta(delta)
    _broadcast(i_xt=bits, m=m, delta=delta)
    return np.sqrt((np.exp2(bits) + np.log(2.0 / delta)) / (2.0 * m))


def classical_bound(h_x, m, delta=0.05) -> np.ndarray:
    r"""The classical bound :math:`\sqrt{(2^{H(X)} + \ln(2/\delta)) / (2m)}`, which counts all typical inputs.

    The same expression as :func:`input_compression_bound` with the input entropy H(X) in place of
    I(X;T) (Shwartz-Ziv, Painsky & Tishby, Sec. 3): the bound for a classifier that may label each typical
    input separately. Since I(X;T) ≤ H(X), it is never below the input compression bound.

    Parameters
    ----------
    h_x : array_like, bits, ≥ 0 -- entropy of the input (12 bits for the 4096 equiprobable 12-bit patterns)
    m : array_like, ≥ 1 -- number of training examples
    delta : array_like in (0, 1)

    Returns
    -------
    ndarray, the broadcast shape of the inputs

    Raises
    ------
    ValueError
        As :func:`input_compression_bound`.
    """
    bits = _check_bits(h_x, "h_x")
    m, delta = _check_m(m), _check_delta(delta)
    _broadcast(h_x=bits, m=m, delta=delta)
    return np.sqrt((np.exp2(bits) + np.log(2.0 / delta)) / (2.0 * m))


def sample_complexity(i_xt, epsilon, delta=0.05) -> np.ndarray:
    r"""Training examples for which the input compression bound guarantees a gap ≤ ε:
    :math:`m = (2^{I(X;T)} + \ln(2/\delta)) / (2\varepsilon^2)`.

    The inverse of :func:`input_compression_bound` in ``m``: each bit less of I(X;T) divides the 2^I term,
    and so (for I large) the number of examples needed, by 2.

    Parameters
    ----------
    i_xt : array_like, bits, ≥ 0
    epsilon : array_like, > 0 -- the gap to guarantee
    delta : array_like in (0, 1)

    Returns
    -------
    ndarray (float; round up for an integer number of examples)

    Raises
    ------
    ValueError
        Negative or non-finite ``i_xt``, ``epsilon`` ≤ 0, ``delta`` outside (0, 1).
    """
    bits = _check_bits(i_xt, "i_xt")
    epsilon = _real("epsilon", epsilon)
    if not np.isfinite(epsilon).all() or (epsilon <= 0).any():
        raise ValueError(f"epsilon must be > 0, got {epsilon}")
    delta = _check_delta(delta)
    _broadcast(i_xt=bits, epsilon=epsilon, delta=delta)
    return (np.exp2(bits) + np.log(2.0 / delta)) / (2.0 * epsilon**2)


def max_information(epsilon, m, delta=0.05) -> np.ndarray:
    r"""The largest I(X;T) (bits) for which the input compression bound guarantees a gap ≤ ε with m examples:
    :math:`\log_2(2m\varepsilon^2 - \ln(2/\delta))`.

    NaN where no representation qualifies (2mε² ≤ ln(2/δ): even I(X;T) = 0 gives a bound above ε); the
    result may be negative, meaning that the guarantee needs less than 1 cell's worth of 2^I.

    Parameters
    ----------
    epsilon : array_like, > 0
    m : array_like, ≥ 1
    delta : array_like in (0, 1)

    Returns
    -------
    ndarray, bits
    """
    epsilon = _real("epsilon", epsilon)
    if not np.isfinite(epsilon).all() or (epsilon <= 0).any():
        raise ValueError(f"epsilon must be > 0, got {epsilon}")
    m, delta = _check_m(m), _check_delta(delta)
    _broadcast(epsilon=epsilon, m=m, delta=delta)
    budget = 2.0 * m * epsilon**2 - np.log(2.0 / delta)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(budget > 0, np.log2(np.where(budget > 0, budget, 1.0)), np.nan)
