"""Self-check exercises of chapter 3 (training size, depth and the IB bound).

``check("3.steps", answer, train_fraction=0.05)``: optimiser steps per epoch of a network of the training-size
sweep that trains on ``train_fraction`` of the 4096 inputs with the sweep's mini-batches;
``check("3.corner", answer)``: I(X;Y), in bits, of the noisy 12-bit task whose IB curve is the bound of the
chapter (labels flipped with probability ε): the height of the bound's corner;
``check("3.decoder", answer, epsilon=0.01)``: the decoder distance (Jensen-Shannon, bits) of a perfect network, one
cell per input, against the IB decoder of the ε-noisy labels.

Every expected value is computed here from the data set, the experiments' configurations and the library
(:func:`ipflow_lib.datasets.sweep_masks`, :func:`ipflow_lib.experiments.training_size.steps_per_epoch`,
:func:`ipflow_lib.datasets.noisy_12bit_joint`, :func:`ipflow_lib.information.mutual_information`).
"""

from __future__ import annotations

import math

import numpy as np

from ..datasets import noisy_12bit_joint, noisy_labels, sweep_masks, tishby_12bit
from ..experiments import ib_bound, ib_layers, training_size
from ..information import entropy, mutual_information
from . import Feedback, as_number, checker, close_to, not_a_number

__all__ = ["check_corner", "check_decoder", "check_steps"]


@checker("3.steps")
def check_steps(answer, *, train_fraction: float = 0.05) -> Feedback:
    """Steps per epoch of a network trained on ``train_fraction`` of the inputs, with the ``paper`` preset's batch."""
    config = training_size.PRESETS["paper"]
    batch = config.training.batch_size
    X, _ = tishby_12bit()
    train, _ = sweep_masks(X.shape[0], [float(train_fraction)], [config.training.seed])
    m = int(train[0, 0].sum())
    expected = int(training_size.steps_per_epoch([m], batch)[0])
    value = as_number(answer)
    if value is None:
        return not_a_number("3.steps", answer, "a number of steps", expected)
    if batch is None:
        why = f"The sweep trains full batch: one step per epoch over its {m} training inputs."
    else:
        why = (f"With {100 * train_fraction:g} % of the {X.shape[0]} inputs a network trains on m = {m} inputs, "
               f"shuffled every epoch into mini-batches of {batch}: ⌈{m} / {batch}⌉ = {expected} step"
               f"{'s' if expected != 1 else ''} per epoch{' (the last batch may be smaller)' if expected > 1 else ''}.")
        if expected == 1:
            why += (" One batch holds the whole training set: this size is trained full batch, and at equal epochs "
                    "it takes fewer optimiser steps than the larger sizes, so training size and the number of steps "
                    "are confounded.")
    if value == expected:
        return Feedback("3.steps", True, why, expected)
    if batch is not None and value == m // batch:
        hint = f"{value:g} rounds m / batch down; the remaining {m % batch} inputs make one more (smaller) batch."
    elif batch is not None and close_to(value, m / batch, rel=1e-3):
        hint = f"{value:g} is m / batch; a step uses one whole mini-batch, so round up."
    elif batch is not None and value == math.ceil(X.shape[0] / batch):
        hint = f"{value:g} counts batches of all {X.shape[0]} inputs; a network only trains on its m = {m}."
    elif value == m:
        hint = f"{value:g} is the number of training inputs, one step per input would be batch size 1."
    else:
        hint = f"{value:g} steps is not it."
    return Feedback("3.steps", False, f"{hint} {why}", expected)


@checker("3.corner")
def check_corner(answer, *, epsilon: float | None = None) -> Feedback:
    """I(X;Y) in bits of the 12-bit task with labels flipped with probability ``epsilon`` (default: the bound's ε)."""
    eps = float(ib_bound.PRESETS["paper"].epsilon if epsilon is None else epsilon)
    p_xy = noisy_12bit_joint(eps)
    expected = mutual_information(p_xy)
    value = as_number(answer)
    if value is None:
        return not_a_number("3.corner", answer, "bits", expected)
    h_y = entropy(p_xy.sum(axis=0))
    h_flip = entropy([eps, 1.0 - eps])
    _, y = tishby_12bit()
    h_clean = entropy(np.bincount(y, minlength=2) / y.size)
    why = (f"X is uniform and p(y|x) flips the label with probability ε = {eps:g}, so H(Y|X) = H_b(ε) = "
           f"{h_flip:.5f} bits for every input and I(X;Y) = H(Y) − H(Y|X) = {h_y:.5f} − {h_flip:.5f} = "
           f"{expected:.5f} bits, where H(Y) is the entropy of the noisy labels. It is the height of the IB bound: "
           "no representation T of X has I(T;Y) above I(X;Y).")
    if close_to(value, expected, rel=0, abs_tol=5e-5):
        return Feedback("3.corner", True, why, expected)
    if close_to(value, expected * math.log(2), rel=0, abs_tol=5e-5):
        hint = f"{value:.5f} is I(X;Y) in nats (natural logarithm); in bits divide by ln 2."
    elif close_to(value, h_clean, rel=0, abs_tol=5e-5) or close_to(value, h_y, rel=0, abs_tol=5e-5):
        hint = f"{value:.5f} is H(Y): that is I(X;Y) only for deterministic labels; subtract the noise H(Y|X)."
    elif close_to(value, 1.0 - h_flip, rel=0, abs_tol=5e-5):
        hint = (f"{value:.5f} is 1 − H_b(ε), right for exactly balanced classes; the 12-bit labels are not, so "
                "use their H(Y).")
    elif close_to(value, h_flip, rel=0, abs_tol=5e-5):
        hint = f"{value:.5f} is H(Y|X) = H_b(ε), the noise, not the information."
    else:
        hint = f"{value:.5f} bits is not I(X;Y)."
    return Feedback("3.corner", False, f"{hint} {why}", expected)


@checker("3.decoder")
def check_decoder(answer, *, epsilon: float = 0.01) -> Feedback:
    """The decoder distance of a perfect network: a layer that keeps every input in its own cell and a network whose
    output is the clean label, against the IB decoder of the labels flipped with probability ``epsilon``: the
    Jensen-Shannon divergence JS[(1 − ε, ε) ‖ (1, 0)] in bits (:func:`ipflow_lib.experiments.ib_layers.
    decoder_divergence`)."""
    _, y = tishby_12bit()
    expected = float(ib_layers.decoder_divergence(np.arange(y.size), np.eye(2)[y], noisy_labels(y, epsilon)))
    value = as_number(answer)
    if value is None:
        return not_a_number("3.decoder", answer, "bits", expected)
    why = (f"Every cell holds one input x, so the IB decoder of the cell is p(y|x) = (1 − ε, ε) for its label and "
           f"the network's decoder is (1, 0): every cell contributes JS[(1 − ε, ε) ‖ (1, 0)] = H(M) − ½ H(1 − ε, ε) "
           f"with M = (1 − ε/2, ε/2), = {expected:.5f} bits at ε = {epsilon:g}, and so does their average. The "
           "label noise alone sets this floor for a network that is sure of every label.")
    if close_to(value, expected, rel=1e-3, abs_tol=1e-6):
        return Feedback("3.decoder", True, why, expected)
    if close_to(value, expected * math.log(2), rel=1e-3, abs_tol=1e-6):
        hint = f"{value:.5f} is the divergence in nats; the book uses bits."
    elif close_to(value, entropy([1 - epsilon, epsilon]), rel=1e-3):
        hint = f"{value:.5f} bits is the entropy of the noise H(ε), not the divergence of the two decoders."
    elif close_to(value, 0.0, rel=0, abs_tol=1e-6):
        hint = "The two decoders are not equal: the network is sure of the label, the noisy labels are not."
    elif value > 1.0:
        hint = "The JS divergence of two distributions is at most 1 bit (the KL divergence here would be infinite)."
    else:
        hint = f"{value:.5f} bits is not JS[(1 − ε, ε) ‖ (1, 0)]; check it with information.js_divergence."
    return Feedback("3.decoder", False, f"{hint} {why}", expected)
