"""Self-check exercises of chapter 2 (the information plane of the 12-bit networks).

``check("2.ceiling", answer)``: the ceiling of I(X;T), in bits, on the 4096 inputs;
``check("2.h_y", answer)``: H(Y) of the 12-bit labels, in bits (the ceiling of I(T;Y));
``check("2.overlap", answer, train_fraction=0.85, seed=0)``: how many inputs are in both the training and the
"test" set of one network of the information-plane experiment.

Every expected value is computed here from the data set and the library (:func:`ipflow_lib.datasets.tishby_12bit`,
:func:`ipflow_lib.information.entropy`, :func:`ipflow_lib.datasets.train_test_masks`).
"""

from __future__ import annotations

import math

import numpy as np

from ..datasets import tishby_12bit, train_test_masks
from ..information import entropy
from . import Feedback, as_number, checker, close_to, not_a_number

__all__ = ["check_ceiling", "check_h_y", "check_overlap"]


@checker("2.ceiling")
def check_ceiling(answer) -> Feedback:
    """The largest possible I(X;T), in bits: X uniform over the 4096 distinct inputs, a deterministic layer."""
    X, _ = tishby_12bit()
    n = X.shape[0]
    expected = float(np.log2(n))
    value = as_number(answer)
    if value is None:
        return not_a_number("2.ceiling", answer, "bits", expected)
    why = (f"X is uniform over the {n} distinct inputs and the network is deterministic, so H(T|X) = 0 and "
           f"I(X;T) = H(T) ≤ H(X) = log2 {n} = {expected:.4g} bits, reached when the layer keeps every input apart.")
    if close_to(value, expected):
        return Feedback("2.ceiling", True, why, expected)
    if close_to(value, math.log(n)):
        hint = f"{value:.4g} is ln {n}, the ceiling in nats; the book measures information in bits (log base 2)."
    elif close_to(value, n):
        hint = f"{value:.4g} is the number of inputs, not its logarithm: information is log2 of the count."
    else:
        hint = f"{value:.4g} bits is not the ceiling."
    return Feedback("2.ceiling", False, f"{hint} {why}", expected)


@checker("2.h_y")
def check_h_y(answer) -> Feedback:
    """H(Y) of the 12-bit task's labels over the 4096 inputs, in bits: the ceiling of I(T;Y)."""
    _, y = tishby_12bit()
    p = np.bincount(y, minlength=2) / y.size
    expected = entropy(p)
    value = as_number(answer)
    if value is None:
        return not_a_number("2.h_y", answer, "bits", expected)
    why = (f"{int(y.sum())} of the {y.size} inputs have label 1, so p(y = 1) = {p[1]:.4f} and "
           f"H(Y) = -Σ p log2 p = {expected:.5f} bits: a little under 1 bit, because the classes are not exactly "
           "balanced. I(T;Y) ≤ H(Y) for every layer.")
    if close_to(value, expected, rel=1e-4, abs_tol=5e-5):
        return Feedback("2.h_y", True, why, expected)
    if close_to(value, entropy(p, base=math.e), rel=1e-3, abs_tol=5e-5):
        hint = f"{value:.5f} is H(Y) in nats (natural logarithm); in bits divide by ln 2."
    elif close_to(value, 1.0, rel=0, abs_tol=5e-5):
        hint = "1 bit would be right for exactly balanced labels; count the labels: they are not."
    elif close_to(value, p[1], rel=1e-3, abs_tol=5e-5) or close_to(value, p[0], rel=1e-3, abs_tol=5e-5):
        hint = f"{value:.4f} is a class probability, not the entropy of the two."
    else:
        hint = f"{value:.5f} bits is not H(Y)."
    return Feedback("2.h_y", False, f"{hint} {why}", expected)


@checker("2.overlap")
def check_overlap(answer, *, train_fraction: float = 0.85, seed: int = 0) -> Feedback:
    """How many of the 4096 inputs are both in the training set and in the "test" set of the network with ``seed``
    (:func:`ipflow_lib.datasets.paper_split`: first ``train_fraction`` of a permutation, test = its last 20 %)."""
    X, _ = tishby_12bit()
    n = X.shape[0]
    train, test = train_test_masks(n, train_fraction, [seed])
    expected = int((train & test).sum())
    value = as_number(answer)
    if value is None:
        return not_a_number("2.overlap", answer, "a count of inputs", expected)
    n_train, n_test = int(train[0].sum()), int(test[0].sum())
    why = (f"The network trains on the first {n_train} inputs of its permutation ({100 * n_train / n:.0f} %) and is "
           f"tested on the last {n_test} ({100 * n_test / n:.0f} %), so the {expected} inputs in between, from "
           f"position {n - n_test} to {n_train} of the permutation, are in both ({100 * expected / n:.1f} % of the "
           "data): its test accuracy is not measured on held-out inputs only.")
    if expected == 0:
        why = (f"The network trains on the first {n_train} inputs of its permutation and is tested on the last "
               f"{n_test}: {n_train} + {n_test} ≤ {n}, so the two sets are disjoint.")
    if value == expected:
        return Feedback("2.overlap", True, why, expected)
    if value == 0:
        hint = "The two sets are not disjoint, as they would be in a clean split."
    elif value in (n_test, n - n_train):
        hint = f"{value:g} is the size of a set, not of the intersection of the two."
    elif 0 < value < 1:
        hint = f"{value:g} looks like a fraction; the question asks for a count of inputs."
    else:
        hint = f"{value:g} inputs is not the overlap."
    return Feedback("2.overlap", False, f"{hint} {why}", expected)
