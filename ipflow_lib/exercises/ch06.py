"""Self-check exercises of chapter 6 (information in infinite ensembles).

``check("6.learning_slope", answer, depth=None)``: the exponent p of the learning time t_1/2 ∝ σ_w^p of the
bias-free Erf network of the chapter at small σ_w, whose kernels scale as σ_w^(2(L+1)) for L hidden layers
(``depth``; default: that of :class:`ipflow_lib.experiments.infinite_ensembles.Config`);
``check("6.bayes_gap", answer)``: Gibbs minus Bayes loss, in nats, of one Gaussian ensemble output
N(μ, s) = N(:data:`OUTPUT_MEAN`, :data:`OUTPUT_VARIANCE`) on the target :data:`TARGET`, with the chapter's unit
observation noise (the config's ``obs_var``);
``check("6.mnist_collapse", answer, n_train=None)``: I(X;Z), in bits, of the training images of the ``mnist-10``
task once the ensemble has collapsed every training output onto its class target (``n_train``: the size of the
stratified split; default: that of the ``paper`` preset of ``infinite_ensembles_mnist``).

Every expected value is computed here from the experiment's config and the closed forms of the chapter's
equations, never typed in.
"""

from __future__ import annotations

import math

from ..experiments import infinite_ensembles, infinite_ensembles_mnist
from . import Feedback, as_number, checker, close_to, not_a_number

__all__ = ["OUTPUT_MEAN", "OUTPUT_VARIANCE", "TARGET", "check_bayes_gap", "check_learning_slope",
           "check_mnist_collapse"]

#: The ensemble output of exercise 6.bayes_gap: mean μ and variance s of p(z|x) (one output), and the target y.
OUTPUT_MEAN, OUTPUT_VARIANCE, TARGET = 0.5, 0.25, 1.0


@checker("6.learning_slope")
def check_learning_slope(answer, depth: int | None = None) -> Feedback:
    """The exponent p in t_1/2 ∝ σ_w^p: the NTK scales as σ_w^(2(L+1)) and learning time as its inverse."""
    depth = int(infinite_ensembles.Config().depth if depth is None else depth)
    if depth < 1:
        raise ValueError(f"depth must be at least 1 hidden layer, got {depth}")
    layers = depth + 1  # dense layers: the hidden ones and the read-out
    expected = float(-2 * layers)
    value = as_number(answer)
    if value is None:
        return not_a_number("6.learning_slope", answer, "an exponent", expected)
    why = (f"with σ_b = 0 and small σ_w the Erf network is nearly linear, so its output scales as σ_w^{layers} "
           f"({depth} hidden layers and the read-out) and its kernels, covariances of the output, as "
           f"σ_w^{2 * layers}. Gradient flow moves the mean as e^(-rΘt): the time to learn scales as 1/Θ, "
           f"t_1/2 ∝ σ_w^({expected:g}). The chapter fits this slope on the σ_w ≤ 0.35 part of its grid.")
    if close_to(value, expected, rel=0, abs_tol=0.05):
        return Feedback("6.learning_slope", True, why, expected)
    if close_to(value, -expected, rel=0, abs_tol=0.05):
        hint = "the sign is wrong: a larger σ_w makes the kernel larger and learning faster, so the exponent is < 0."
    elif close_to(value, -2.0 * depth, rel=0, abs_tol=0.05):
        hint = f"{value:g} counts only the {depth} hidden layers; the read-out layer is scaled by σ_w as well."
    elif close_to(value, -float(layers), rel=0, abs_tol=0.05):
        hint = f"{value:g} is the scaling of the output itself; the kernel is a covariance, quadratic in the output."
    else:
        hint = f"{value:g} is not the exponent."
    return Feedback("6.learning_slope", False, f"{hint} {why}", expected)


@checker("6.bayes_gap")
def check_bayes_gap(answer) -> Feedback:
    """Gibbs minus Bayes loss (nats) of p(z|x) = N(OUTPUT_MEAN, OUTPUT_VARIANCE) on TARGET, noise obs_var."""
    noise = float(infinite_ensembles.Config().obs_var)
    r2, s = (TARGET - OUTPUT_MEAN) ** 2, OUTPUT_VARIANCE
    gibbs = r2 / (2 * noise) + s / (2 * noise) + 0.5 * math.log(2 * math.pi * noise)
    bayes = r2 / (2 * (s + noise)) + 0.5 * math.log(2 * math.pi * (s + noise))
    expected = gibbs - bayes
    value = as_number(answer)
    if value is None:
        return not_a_number("6.bayes_gap", answer, "nats", expected)
    why = (f"Gibbs: E_z[-log N(y; z, {noise:g})] = (y − μ)²/2 + s/2 + ½ log 2π = {gibbs:.4f} nats; Bayes: "
           f"-log N(y; μ, s + {noise:g}) = (y − μ)²/(2(s + {noise:g})) + ½ log 2π(s + {noise:g}) = {bayes:.4f} nats. "
           f"The gap {expected:.4f} nats is ≥ 0 by Jensen's inequality and vanishes as s → 0: averaging helps "
           "only where the ensemble disagrees.")
    if close_to(value, expected, rel=5e-3, abs_tol=5e-5):
        return Feedback("6.bayes_gap", True, why, expected)
    if close_to(value, -expected, rel=5e-3, abs_tol=5e-5):
        hint = "the sign is wrong: the Bayes loss is never larger than the Gibbs loss (Jensen's inequality)."
    elif close_to(value, expected / math.log(2), rel=5e-3, abs_tol=5e-5):
        hint = f"{value:.4f} is the gap in bits; the losses of the chapter are in nats (natural logarithm)."
    elif close_to(value, s / (2 * noise), rel=5e-3, abs_tol=5e-5):
        hint = (f"s/2 is the Gibbs loss's variance term alone; the Bayes loss also changes: its variance is "
                f"s + {noise:g}, in the log term and in the residual term.")
    else:
        hint = f"{value:.4g} nats is not the gap."
    return Feedback("6.bayes_gap", False, f"{hint} {why}", expected)


@checker("6.mnist_collapse")
def check_mnist_collapse(answer, n_train: int | None = None) -> Feedback:
    """I(X;Z) of collapsed training outputs: one point per class, so H(Y) of the split's training labels, bits."""
    from ..datasets import mnist_5k_split

    config = infinite_ensembles_mnist.PRESETS["paper"]
    n_train = int(config.mnist_n_train if n_train is None else n_train)
    labels = mnist_5k_split(n_train, 0, seed=config.data_seed).y_train
    counts = [int((labels == c).sum()) for c in range(10)]
    p = [c / n_train for c in counts if c]
    expected = -sum(q * math.log2(q) for q in p)
    value = as_number(answer)
    if value is None:
        return not_a_number("6.mnist_collapse", answer, "bits", expected)
    why = (f"once every training output sits on its class target, Z is a function of Y and Y a function of Z, so "
           f"I(X;Z) = H(Z) = H(Y) = {expected:.4f} bits for the {n_train} training images ({counts[0]} to "
           f"{max(counts)} per digit: the split is stratified). Before the collapse I(X;Z) was larger: the outputs "
           "of two images of one class still differed by more than the added noise.")
    if close_to(value, expected, rel=1e-3, abs_tol=1e-3):
        return Feedback("6.mnist_collapse", True, why, expected)
    if close_to(value, math.log2(n_train), rel=1e-3, abs_tol=1e-3):
        hint = (f"log2 {n_train} = {math.log2(n_train):.4f} is the ceiling, reached only while every image has its "
                "own output; after the collapse images of one class share one output.")
    elif close_to(value, expected * math.log(2), rel=1e-3, abs_tol=1e-3):
        hint = f"{value:.4f} is H(Y) in nats; the chapter's information is in bits."
    elif close_to(value, 1.0, rel=1e-3, abs_tol=1e-3):
        hint = "1 bit is the parity task's H(Y); mnist-10 has ten classes."
    elif close_to(value, 0.0, rel=0, abs_tol=1e-3):
        hint = "0 bits would mean all outputs are equal; the targets of the ten classes differ."
    else:
        hint = f"{value:.4g} bits is not the information of ten collapsed classes."
    return Feedback("6.mnist_collapse", False, f"{hint} {why}", expected)
