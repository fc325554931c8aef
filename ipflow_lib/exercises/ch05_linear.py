"""Self-check exercise of section 5.1 (Saxe et al.'s deep linear networks).

``check("5.linear_irrelevant", answer)``: the information, in bits, that a one-unit noisy layer
T = w_rel·x_rel + w_irr·x_irr + ε carries about the *irrelevant* input x_irr, with x_rel, x_irr independent
N(0, 1), weights :data:`WEIGHTS` and noise variance :data:`NOISE_VARIANCE`. The expected value and the typical
wrong ones are computed here by :func:`ipflow_lib.linear.channel_information`, never typed in.
"""

from __future__ import annotations

import math

from ..linear import channel_information
from . import Feedback, as_number, checker, close_to, not_a_number

__all__ = ["NOISE_VARIANCE", "WEIGHTS", "check_linear_irrelevant"]

#: (w_rel, w_irr) of the exercise's one-unit layer, and the variance σ² of its measurement noise.
WEIGHTS = (2.0, 1.0)
NOISE_VARIANCE = 1.0


def _info(base: float = 2.0):
    return channel_information([list(WEIGHTS)], 1.0, NOISE_VARIANCE, relevant=[True, False], base=base)


@checker("5.linear_irrelevant")
def check_linear_irrelevant(answer) -> Feedback:
    """I(T;X_irrel) in bits for T = :data:`WEIGHTS` · (x_rel, x_irr) + N(0, :data:`NOISE_VARIANCE`)."""
    info = _info()
    expected = float(info.i_t_irr)
    value = as_number(answer)
    if value is None:
        return not_a_number("5.linear_irrelevant", answer, "bits", expected)
    a, b, s2 = WEIGHTS[0] ** 2, WEIGHTS[1] ** 2, NOISE_VARIANCE
    why = (f"T is Gaussian with variance w_rel² + w_irr² + σ² = {a + b + s2:g}; given x_irr, what is left is "
           f"w_rel·x_rel + ε, of variance {a + s2:g}: the relevant input acts as *noise* on the irrelevant one. "
           f"So I(T;X_irr) = ½ log2({a + b + s2:g}/{a + s2:g}) = {expected:.4f} bits, much less than the "
           f"½ log2(1 + w_irr²/σ²) = {float(info.i_t_irr_given_rel):.4f} bits it would carry with x_rel known.")
    if close_to(value, expected, rel=5e-3, abs_tol=5e-4):
        return Feedback("5.linear_irrelevant", True, why, expected)
    if close_to(value, float(_info(math.e).i_t_irr), rel=5e-3, abs_tol=5e-4):
        hint = f"{value:.4f} is the answer in nats; divide by ln 2 for bits."
    elif close_to(value, float(info.i_t_irr_given_rel), rel=5e-3, abs_tol=5e-4):
        hint = f"{value:.4f} bits is I(T;X_irr | X_rel): it treats x_rel as known."
    elif close_to(value, float(info.i_xt), rel=5e-3, abs_tol=5e-4):
        hint = f"{value:.4f} bits is I(X;T), the information about both inputs together."
    elif close_to(value, float(info.i_t_rel), rel=5e-3, abs_tol=5e-4):
        hint = f"{value:.4f} bits is I(T;X_rel), the information about the relevant input."
    else:
        hint = f"{value:.4g} bits is not I(T;X_irr)."
    return Feedback("5.linear_irrelevant", False, f"{hint} {why}", expected)
