"""Self-check exercises of chapter 4 (the input compression bound and the generalization gap).

``check("4.max_info", answer, epsilon=0.05, train_fraction=0.85)``: the largest I(X;T), in bits, for which the
input compression bound guarantees a gap of at most ε with the m examples of that training size;
``check("4.classical", answer, train_fraction=0.05)``: the classical bound (with H(X) = 12 bits) for that
training size.

Every expected value is computed here from the data set, the experiment's configuration and the library
(:func:`ipflow_lib.datasets.sweep_masks`, :func:`ipflow_lib.generalization.max_information`,
:func:`ipflow_lib.generalization.classical_bound`).
"""

from __future__ import annotations

import math

import numpy as np

from ..datasets import sweep_masks, tishby_12bit
from ..experiments import generalization as experiment
from ..generalization import classical_bound, max_information
from . import Feedback, as_number, checker, close_to, not_a_number

__all__ = ["check_classical", "check_max_info"]


def _setting(train_fraction: float) -> tuple[int, float, float]:
    """(m, δ, H(X) in bits) of the ``paper`` preset's network trained on ``train_fraction`` of the inputs."""
    config = experiment.PRESETS["paper"]
    X, _ = tishby_12bit()
    train, _ = sweep_masks(X.shape[0], [float(train_fraction)], [config.sweep.training.seed])
    return int(train[0, 0].sum()), float(config.delta), float(np.log2(X.shape[0]))


@checker("4.max_info")
def check_max_info(answer, *, epsilon: float = 0.05, train_fraction: float = 0.85) -> Feedback:
    """The largest I(X;T) (bits) for which the bound guarantees a gap ≤ ``epsilon`` with m examples."""
    m, delta, _ = _setting(train_fraction)
    expected = float(max_information(epsilon, m, delta))
    value = as_number(answer)
    if value is None:
        return not_a_number("4.max_info", answer, "bits", expected)
    budget = 2 * m * epsilon**2 - math.log(2 / delta)
    why = (f"Solve √((2^I + ln(2/δ)) / (2m)) ≤ ε for I: 2^I ≤ 2mε² − ln(2/δ) = 2·{m}·{epsilon:g}² − ln({2 / delta:g}) "
           f"= {budget:.3f}, so I ≤ log2 {budget:.3f} = {expected:.3f} bits. A layer that keeps more bits about the "
           f"input than that gets no guarantee of a gap below {epsilon:g} from {m} examples.")
    if not math.isfinite(expected):
        why = (f"2mε² = {2 * m * epsilon**2:.3f} is not above ln(2/δ) = {math.log(2 / delta):.3f}: even I(X;T) = 0 "
               f"gives a bound above {epsilon:g}, so no representation qualifies (the answer is NaN).")
        return Feedback("4.max_info", False, why, expected)
    if close_to(value, expected, rel=0, abs_tol=5e-3):
        return Feedback("4.max_info", True, why, expected)
    if close_to(value, math.log(budget), rel=0, abs_tol=5e-3):
        hint = f"{value:.3f} is ln of the budget, in nats; the exponent of 2^I is in bits, so take log2."
    elif close_to(value, math.log2(2 * m * epsilon**2), rel=0, abs_tol=5e-3):
        hint = f"{value:.3f} forgets the confidence term ln(2/δ) = {math.log(2 / delta):.3f}."
    elif close_to(value, math.log2(m * epsilon**2), rel=0, abs_tol=5e-3):
        hint = f"{value:.3f} drops the factor 2 of 2m (and the confidence term)."
    elif close_to(value, math.log2(m), rel=0, abs_tol=5e-3):
        hint = f"{value:.3f} is log2 m, the bits needed to tell the training examples apart, not the answer."
    else:
        hint = f"{value:.3f} bits is not it."
    return Feedback("4.max_info", False, f"{hint} {why}", expected)


@checker("4.classical")
def check_classical(answer, *, train_fraction: float = 0.05) -> Feedback:
    """The classical bound √((2^H(X) + ln(2/δ)) / (2m)) for the m examples of ``train_fraction``."""
    m, delta, h_x = _setting(train_fraction)
    expected = float(classical_bound(h_x, m, delta))
    value = as_number(answer)
    if value is None:
        return not_a_number("4.classical", answer, "a bound on the gap", expected)
    why = (f"H(X) = log2 4096 = {h_x:g} bits and m = {m}: √((2^{h_x:g} + ln(2/δ)) / (2m)) = "
           f"√(({2**h_x:g} + {math.log(2 / delta):.3f}) / {2 * m}) = {expected:.4f}"
           + (", above 1: a bound on an error difference that says nothing." if expected > 1 else "."))
    if close_to(value, expected, rel=1e-3, abs_tol=0):
        return Feedback("4.classical", True, why, expected)
    if close_to(value, expected**2, rel=1e-3, abs_tol=0):
        hint = f"{value:.4f} is the square of the bound: take the square root."
    elif close_to(value, math.sqrt((h_x + math.log(2 / delta)) / (2 * m)), rel=1e-3, abs_tol=0):
        hint = f"{value:.4f} uses H(X) itself; the bound counts the 2^H(X) typical inputs."
    elif close_to(value, math.sqrt((2**h_x + math.log(2 / delta)) / m), rel=1e-3, abs_tol=0):
        hint = f"{value:.4f} divides by m instead of 2m."
    else:
        hint = f"{value:.4f} is not the classical bound."
    return Feedback("4.classical", False, f"{hint} {why}", expected)
