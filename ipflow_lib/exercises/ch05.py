"""Self-check exercises of chapter 5 (estimating mutual information).

``check("5.kde_upper", answer)``: the KDE (Kolchinsky–Tracey) upper bound on I(X;T), in bits, of four inputs whose
one-dimensional representations are h = (0, 0, 2, 2), with noise variance σ² = 1;
``check("5.miller_madow", answer, n=None)``: the Miller–Madow prediction of the plug-in bias, in bits, for the
discrete table of section 1 (the shape of :class:`ipflow_lib.experiments.estimator_benchmarks.Config`) estimated
from ``n`` samples (default: the smallest sample size of that config).

Every expected value is computed here from the library (:func:`ipflow_lib.estimators.kde_mi`) or from the
experiment's config, never typed in.
"""

from __future__ import annotations

import math

import numpy as np

from ..estimators import kde_mi
from ..experiments import estimator_benchmarks
from . import Feedback, as_number, checker, close_to, not_a_number

__all__ = ["KDE_CENTRES", "KDE_NOISE_VARIANCE", "check_kde_upper", "check_miller_madow"]

#: The exercise's representations h_i (one unit, four inputs: two pairs) and its noise variance σ².
KDE_CENTRES = (0.0, 0.0, 2.0, 2.0)
KDE_NOISE_VARIANCE = 1.0


def _kde(bound: str, base: float = 2.0) -> float:
    h = np.asarray(KDE_CENTRES, dtype=float)[:, None]
    i_xt, _ = kde_mi(h, np.zeros(h.shape[0], dtype=int), KDE_NOISE_VARIANCE, bound, base=base)
    return float(i_xt)


@checker("5.kde_upper")
def check_kde_upper(answer) -> Feedback:
    """The KDE upper bound on I(X;T) in bits for h = :data:`KDE_CENTRES`, σ² = :data:`KDE_NOISE_VARIANCE`."""
    expected = _kde("upper")
    value = as_number(answer)
    if value is None:
        return not_a_number("5.kde_upper", answer, "bits", expected)
    n = len(KDE_CENTRES)
    d = (KDE_CENTRES[2] - KDE_CENTRES[0]) ** 2
    why = (f"each input has two points at distance 0 (itself and its twin) and two at squared distance D = {d:g}, "
           f"so S_i = (1/{n})(2 + 2 e^(-D/(2σ²))) = {(1 + math.exp(-d / (2 * KDE_NOISE_VARIANCE))) / 2:.4f} for every "
           f"i and the bound is -ln S_i = {_kde('upper', math.e):.4f} nats = {expected:.4f} bits. It lies between "
           f"1 bit (the two clusters, told apart perfectly) and 0: the noise blurs the clusters into each other.")
    if close_to(value, expected, rel=5e-3, abs_tol=5e-4):
        return Feedback("5.kde_upper", True, why, expected)
    if close_to(value, _kde("upper", math.e), rel=5e-3, abs_tol=5e-4):
        hint = f"{value:.4f} is the bound in nats (natural logarithm); divide by ln 2 for bits."
    elif close_to(value, _kde("lower"), rel=5e-3, abs_tol=5e-4):
        hint = (f"{value:.4f} bits is the Bhattacharyya *lower* bound (kernel e^(-D/(8σ²))); the upper bound uses "
                "e^(-D/(2σ²)).")
    elif close_to(value, math.log2(n), abs_tol=5e-3):
        hint = f"{value:g} bits = log2 {n} would hold if all four points were distinct and far apart compared with σ."
    elif close_to(value, 1.0, abs_tol=5e-3):
        hint = "1 bit is the limit σ → 0, where only the two clusters can be told apart; with σ² = 1 they overlap."
    else:
        hint = f"{value:.4g} bits is not the upper bound."
    return Feedback("5.kde_upper", False, f"{hint} {why}", expected)


@checker("5.miller_madow")
def check_miller_madow(answer, n: int | None = None) -> Feedback:
    """The Miller–Madow plug-in bias (|X|−1)(|Z|−1)/(2 n ln 2) in bits, for the section-1 table and ``n`` samples."""
    cfg = estimator_benchmarks.Config()
    kx, kz = cfg.table_shape
    n = int(cfg.table_sizes[0] if n is None else n)
    if n < 1:
        raise ValueError(f"n must be a positive number of samples, got {n}")
    expected = (kx - 1) * (kz - 1) / (2 * n * math.log(2))
    value = as_number(answer)
    if value is None:
        return not_a_number("5.miller_madow", answer, "bits", expected)
    why = (f"the table is {kx} × {kz}, so the plug-in estimate of I(X;Z) from n = {n} samples is biased up by about "
           f"(|X| − 1)(|Z| − 1) / (2 n ln 2) = {(kx - 1) * (kz - 1)} / ({2 * n} ln 2) = {expected:.4f} bits: the "
           "degrees of freedom of the joint table beyond those of its margins, each worth 1/(2n) nats.")
    if close_to(value, expected, rel=5e-3, abs_tol=5e-5):
        return Feedback("5.miller_madow", True, why, expected)
    if close_to(value, expected * math.log(2), rel=5e-3, abs_tol=5e-5):
        hint = f"{value:.4f} is the bias in nats; in bits divide by ln 2."
    elif close_to(value, kx * kz / (2 * n * math.log(2)), rel=5e-3, abs_tol=5e-5):
        hint = f"{value:.4f} counts all {kx * kz} cells; the margins' cells do not add bias: use (|X|−1)(|Z|−1)."
    elif close_to(value, 2 * expected, rel=5e-3, abs_tol=5e-5):
        hint = f"{value:.4f} is twice the bias: the denominator is 2 n ln 2."
    elif close_to(value, -expected, rel=5e-3, abs_tol=5e-5):
        hint = "the plug-in estimate of mutual information is biased *upwards* with few samples: the sign is +."
    else:
        hint = f"{value:.4g} bits is not the Miller–Madow bias."
    return Feedback("5.miller_madow", False, f"{hint} {why}", expected)
