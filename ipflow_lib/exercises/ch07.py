"""Self-check exercises of chapter 7 (the dual information bottleneck).

``check("7.dual_bsc_beta_c", answer, epsilon=0.1)``: the dual IB's first critical β of a binary symmetric
channel with a uniform input and flip probability ``epsilon``;
``check("7.dual_decoder", answer)``: p(y = 1 | t) of the dual-IB decoder of a cluster holding, with equal
weights, the inputs with p(y = 1 | x) = 0.1 and 0.5 (:data:`DECODER_ROWS`).

Every expected value is computed here with the library's solvers (:func:`ipflow_lib.bottleneck.critical_beta`,
:func:`ipflow_lib.bottleneck.ib` with ``kind="dualib"``), never typed in.
"""

from __future__ import annotations

import math

import numpy as np

from .. import bottleneck as bn
from . import Feedback, as_number, checker, close_to

__all__ = ["DECODER_ROWS", "check_dual_bsc_beta_c", "check_dual_decoder", "decoder_cluster"]

#: p(y | x) of the two inputs of the decoder exercise, shape (2, 2): rows x, columns y = 0, 1.
DECODER_ROWS = np.array([[0.9, 0.1], [0.5, 0.5]])


@checker("7.dual_bsc_beta_c")
def check_dual_bsc_beta_c(answer, epsilon: float = 0.1) -> Feedback:
    """The dual IB's first critical β of a binary symmetric channel, uniform input, flip probability ``epsilon``."""
    eps = as_number(epsilon)
    if eps is None or not 0 < eps < 0.5:
        raise ValueError(f"epsilon must be a number in (0, 0.5), got {epsilon!r}")
    p_xy = 0.5 * np.array([[1 - eps, eps], [eps, 1 - eps]])
    expected = bn.critical_beta(p_xy, "dualib")
    log_ratio = math.log((1 - eps) / eps)
    value = as_number(answer)
    if value is None:
        return Feedback("7.dual_bsc_beta_c", False, f"expected a finite number (a value of β), got {answer!r}.",
                        expected)
    why = (f"The natural parameters of the two rows are ±L/2 with L = ln((1 − ε)/ε) = {log_ratio:.4g}, so "
           f"Var[θ] = L²/4 and ∇²A(0) = 1: β_c = 4/L² = {expected:.4g}, below the IB's "
           f"1/(1 − 2ε)² = {bn.critical_beta(p_xy):.4g} (the dual IB splits first).")
    if close_to(value, expected, rel=1e-3, abs_tol=1e-4):
        return Feedback("7.dual_bsc_beta_c", True, why, expected)
    if close_to(value, 4 / math.log2((1 - eps) / eps) ** 2, rel=1e-3, abs_tol=1e-4):
        hint = f"{value:.4g} uses log base 2; the natural parameters of p(y|x) ∝ e^{{θ s(y)}} are natural logarithms."
    elif close_to(value, bn.critical_beta(p_xy), rel=1e-3, abs_tol=1e-4):
        hint = f"{value:.4g} is the IB's threshold 1/(1 − 2ε)², not the dual IB's."
    elif close_to(value, 1 / log_ratio**2, rel=1e-3, abs_tol=1e-4):
        hint = f"{value:.4g} is 1/L²: the natural parameters are ±L/2, so Var[θ] = L²/4, not L²."
    elif close_to(value, log_ratio**2 / 4, rel=1e-3, abs_tol=1e-4):
        hint = f"{value:.4g} is Var[θ]·∇²A, the largest eigenvalue; β_c is its reciprocal."
    else:
        hint = f"{value:.4g} is not the dual IB's β_c."
    return Feedback("7.dual_bsc_beta_c", False, f"{hint} {why}", expected)


def decoder_cluster() -> np.ndarray:
    """p(x, y) of the decoder exercise: the two inputs of :data:`DECODER_ROWS`, equally likely, shape (2, 2)."""
    return 0.5 * DECODER_ROWS


@checker("7.dual_decoder")
def check_dual_decoder(answer) -> Feedback:
    """p(y = 1 | t) of the dual-IB decoder of one cluster holding both inputs of :data:`DECODER_ROWS` equally."""
    p_xy = decoder_cluster()
    # a tiny β leaves one cluster with p(x|t) = p(x): its decoder is the library's normalised geometric mean
    expected = float(bn.ib(p_xy, beta=1e-3, kind="dualib").decoder[0, 1])
    rows = DECODER_ROWS[:, 1]
    value = as_number(answer)
    if value is None:
        return Feedback("7.dual_decoder", False, f"expected a finite probability, got {answer!r}.", expected)
    (a0, a1), (b0, b1) = DECODER_ROWS
    unnormalised = math.sqrt(a1 * b1)
    why = (f"The dual decoder is the normalised geometric mean: √({a1:g} · {b1:g}) = {unnormalised:.4f} for y = 1 and "
           f"√({a0:g} · {b0:g}) = {math.sqrt(a0 * b0):.4f} for y = 0, so p(y = 1 | t) = {expected:.4f}. The IB's "
           f"decoder, the mixture, would give {rows.mean():.4f}.")
    if close_to(value, expected, rel=1e-3, abs_tol=1e-4):
        return Feedback("7.dual_decoder", True, why, expected)
    if close_to(value, rows.mean(), rel=1e-3, abs_tol=1e-4):
        hint = f"{value:.4g} is the arithmetic mean, the IB's decoder."
    elif close_to(value, unnormalised, rel=1e-3, abs_tol=1e-4):
        hint = f"{value:.4g} is the geometric mean before normalisation; divide by the sum over both labels."
    elif close_to(value, 1 - expected, rel=1e-3, abs_tol=1e-4):
        hint = f"{value:.4g} is p(y = 0 | t)."
    else:
        hint = f"{value:.4g} is not the dual decoder's p(y = 1 | t)."
    return Feedback("7.dual_decoder", False, f"{hint} {why}", expected)
