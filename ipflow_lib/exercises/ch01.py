"""Self-check exercises of chapter 1 (information theory and the information bottleneck).

``check("1.die_mi", answer, flip=0.25)``: I(X;Y) in bits of the chapter's four-sided die whose parity is sent
through a line that flips it with probability ``flip``;
``check("1.bsc_beta_c", answer, epsilon=0.1)``: the IB's first critical β of a binary symmetric channel with a
uniform input and flip probability ``epsilon``.

Every expected value is computed here with the library (:func:`ipflow_lib.information.mutual_information`,
:func:`ipflow_lib.bottleneck.critical_beta`), never typed in.
"""

from __future__ import annotations

import math

import numpy as np

from .. import bottleneck as bn
from ..information import conditional_entropy, entropy, mutual_information
from . import Feedback, as_number, checker, close_to

__all__ = ["check_bsc_beta_c", "check_die_mi", "die_joint"]


def _probability(name: str, value) -> float:
    p = as_number(value)
    if p is None or not 0 < p < 0.5:
        raise ValueError(f"{name} must be a number in (0, 0.5), got {value!r}")
    return p


def die_joint(flip: float) -> np.ndarray:
    """p(x, y) of the chapter's example, shape (4, 2): X a fair four-sided die, Y = (X mod 2) XOR a coin that
    shows 1 with probability ``flip``."""
    rows = [[1 - flip, flip] if x % 2 == 0 else [flip, 1 - flip] for x in range(4)]
    return 0.25 * np.array(rows)


@checker("1.die_mi")
def check_die_mi(answer, flip: float = 0.25) -> Feedback:
    """I(X;Y) in bits of the die sent through a line flipping its parity with probability ``flip``."""
    flip = _probability("flip", flip)
    p_xy = die_joint(flip)
    expected = mutual_information(p_xy)
    h_y, h_y_x = entropy(p_xy.sum(axis=0)), conditional_entropy(p_xy)
    value = as_number(answer)
    if value is None:
        return Feedback("1.die_mi", False, f"expected a finite number of bits, got {answer!r}.", expected)
    why = (f"Y is a fair bit, so H(Y) = {h_y:.4g} bit; given X only the flip is uncertain, so H(Y|X) = h({flip:g}) "
           f"= {h_y_x:.4f} bits, and I(X;Y) = H(Y) − H(Y|X) = {expected:.4f} bits. The die has two bits, but only its "
           "parity reaches Y.")
    if close_to(value, expected, rel=1e-3, abs_tol=5e-4):
        return Feedback("1.die_mi", True, why, expected)
    if close_to(value, expected * math.log(2), rel=1e-3, abs_tol=5e-4):
        hint = f"{value:.4g} is I(X;Y) in nats (natural logarithm); the book uses bits (log base 2)."
    elif close_to(value, h_y_x, rel=1e-3, abs_tol=5e-4):
        hint = f"{value:.4g} is H(Y|X), what the line loses, not what gets through."
    elif close_to(value, entropy(p_xy.sum(axis=1)) - h_y_x, rel=1e-3, abs_tol=5e-4):
        hint = f"{value:.4g} is H(X) − H(Y|X): subtract H(Y|X) from H(Y), not from H(X)."
    else:
        hint = f"{value:.4g} bits is not I(X;Y)."
    return Feedback("1.die_mi", False, f"{hint} {why}", expected)


@checker("1.bsc_beta_c")
def check_bsc_beta_c(answer, epsilon: float = 0.1) -> Feedback:
    """The IB's first critical β of a binary symmetric channel, uniform input, flip probability ``epsilon``."""
    eps = _probability("epsilon", epsilon)
    p_xy = 0.5 * np.array([[1 - eps, eps], [eps, 1 - eps]])
    expected = bn.critical_beta(p_xy)
    lam = 1.0 / expected
    value = as_number(answer)
    if value is None:
        return Feedback("1.bsc_beta_c", False, f"expected a finite number (a value of β), got {answer!r}.", expected)
    why = (f"M(x, x') = Σ_y p(y|x) p(x'|y) has eigenvalues 1 (the constant vector) and λ₂ = (1 − 2ε)² = {lam:.4g} "
           f"(the vector (1, −1)); the trivial solution is stable while βλ₂ < 1, so β_c = 1/λ₂ = {expected:.4g}.")
    if close_to(value, expected, rel=1e-3, abs_tol=1e-4):
        return Feedback("1.bsc_beta_c", True, why, expected)
    if close_to(value, lam, rel=1e-3, abs_tol=1e-4):
        hint = f"{value:.4g} is λ₂ itself; the critical β is its reciprocal."
    elif close_to(value, 1 / (1 - 2 * eps), rel=1e-3, abs_tol=1e-4):
        hint = f"{value:.4g} is 1/(1 − 2ε): λ₂ is the *squared* maximal correlation, (1 − 2ε)²."
    elif close_to(value, bn.critical_beta(p_xy, "dualib"), rel=1e-3, abs_tol=1e-4):
        hint = f"{value:.4g} is the dual IB's threshold 4/ln²((1 − ε)/ε), not the IB's."
    else:
        hint = f"{value:.4g} is not β_c."
    return Feedback("1.bsc_beta_c", False, f"{hint} {why}", expected)
