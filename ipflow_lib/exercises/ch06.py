"""Self-check exercises of chapter 6 (information in infinite ensembles).

``check("6.learning_slope", answer, depth=None)``: the exponent p of the learning time t_1/2 ∝ σ_w^p of the
bias-free Erf network of the chapter at small σ_w, whose kernels scale as σ_w^(2(L+1)) for L hidden layers
(``depth``; default: that of :class:`ipflow_lib.experiments.infinite_ensembles.Config`);
``check("6.bayes_gap", answer)``: Gibbs minus Bayes loss, in nats, of one Gaussian ensemble output
N(μ, s) = N(:data:`OUTPUT_MEAN`, :data:`OUTPUT_VARIANCE`) on the target :data:`TARGET`, with the chapter's unit
observation noise (the config's ``obs_var``).

Every expected value is computed here from the experiment's config and the closed forms of the chapter's
equations, never typed in.
"""

from __future__ import annotations

import math

from ..experiments import infinite_ensembles
from . import Feedback, as_number, checker, close_to, not_a_number

__all__ = ["OUTPUT_MEAN", "OUTPUT_VARIANCE", "TARGET", "check_bayes_gap", "check_learning_slope"]

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
