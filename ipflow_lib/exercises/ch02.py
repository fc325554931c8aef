"""Self-check exercises of chapter 2 (the information plane of the 12-bit networks).

``check("2.ceiling", answer)``: the ceiling of I(X;T), in bits, on the 4096 inputs;
``check("2.h_y", answer)``: H(Y) of the 12-bit labels, in bits (the ceiling of I(T;Y));
``check("2.overlap", answer, train_fraction=0.85, seed=0)``: how many inputs are in both the training and the
"test" set of one network of the information-plane experiment;
``check("2.sgd_step", answer, gradient=0.02)``: how many times larger the first plain-SGD step of a weight is
than Adam's, at the learning rates of the paper-text and the ``paper`` runs.

Every expected value is computed here from the data set and the library (:func:`ipflow_lib.datasets.tishby_12bit`,
:func:`ipflow_lib.information.entropy`, :func:`ipflow_lib.datasets.train_test_masks`).
"""

from __future__ import annotations

import math

import numpy as np

from ..datasets import tishby_12bit, train_test_masks
from ..information import entropy
from . import Feedback, as_number, checker, close_to, not_a_number

__all__ = ["check_ceiling", "check_h_y", "check_overlap", "check_sgd_step"]


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


@checker("2.sgd_step")
def check_sgd_step(answer, *, gradient: float = 0.02) -> Feedback:
    """How many times larger the first plain-SGD step of one weight is than Adam's first step, for a gradient of
    ``gradient``: SGD at :data:`ipflow_lib.experiments.information_plane.SGD_LEARNING_RATE` (the paper's text)
    against Adam at the ``paper`` preset's rate (the authors' code). The expected value is the ratio of the two
    updates that optax computes."""
    import jax.numpy as jnp
    import optax

    from ..experiments import information_plane

    lr_sgd = information_plane.SGD_LEARNING_RATE
    lr_adam = information_plane.PRESETS["paper"].training.learning_rate
    g = jnp.asarray([float(gradient)])

    def first_step(tx):
        updates, _ = tx.update(g, tx.init(jnp.zeros(1)))
        return float(updates[0])

    sgd, adam = first_step(optax.sgd(lr_sgd)), first_step(optax.adam(lr_adam))
    expected = sgd / adam
    value = as_number(answer)
    if value is None:
        return not_a_number("2.sgd_step", answer, "a ratio", expected)
    why = (f"SGD moves the weight by −η g = −{lr_sgd:g} × {gradient:g} = {sgd:.3g}. Adam's first step, after its bias "
           f"correction (m̂ = g, v̂ = g²), is −η g / (|g| + 10⁻⁸) ≈ −η sign(g) = {adam:.3g}, whatever the size of the "
           f"gradient: the ratio is {expected:.4g}. SGD's steps shrink with the gradients as the loss flattens; "
           "Adam's do not, which is one reason the two optimisers need different learning rates.")
    if close_to(value, expected, rel=1e-3):
        return Feedback("2.sgd_step", True, why, expected)
    if close_to(value, 1 / expected, rel=1e-3):
        hint = f"{value:.4g} is Adam's step over SGD's; the question asks for SGD's over Adam's."
    elif close_to(value, lr_sgd / lr_adam, rel=1e-3):
        hint = f"{value:.4g} is the ratio of the learning rates; SGD's step also scales with the gradient."
    elif close_to(value, expected * math.sqrt(0.001) / 0.1, rel=1e-3):
        hint = "That leaves out Adam's bias correction of its moment estimates (m̂ = m / (1 − β1), v̂ = v / (1 − β2))."
    else:
        hint = f"{value:.4g} is not the ratio of the two first steps."
    return Feedback("2.sgd_step", False, f"{hint} {why}", expected)
