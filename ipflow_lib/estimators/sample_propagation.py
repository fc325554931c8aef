"""The sample-propagation (SP) estimator of Goldfeld et al. (ICML 2019, arXiv:1810.05728, Sec. 3).

In a noisy network every hidden layer is T_ℓ = S_ℓ + Z_ℓ with S_ℓ = f_ℓ(T_ℓ₋₁) (the noiseless map of the
previous, noisy layer) and Z_ℓ ~ N(0, β² I_d) independent of everything else. With X uniform over the
inputs,

    I(X;T_ℓ) = h(T_ℓ) − (1/m) Σ_i h(T_ℓ | X = x_i),

and both entropies are entropies of Gaussian convolutions h(S + Z). The SP estimator replaces the law of S
by the empirical law of samples s_1..s_n of S (obtained by propagating inputs, and the noise of the earlier
layers, through the network) and computes the differential entropy of the resulting Gaussian mixture,

    ĥ_SP = h(P̂_n ∗ N(0, β² I)) = −E[ log g(S + Z) ],   g(t) = (1/n) Σ_j φ_β(t − s_j),      (Goldfeld Eq. 6)

by Monte Carlo integration: draw a centre s_i and noise z, average −log g(s_i + z) over ``n_mc`` draws. The
Monte Carlo standard error is reported with every estimate. For the first hidden layer S₁ is a function of
X, so h(T₁ | X) = h(Z) = (d/2) log(2πe β²) exactly (:func:`ipflow_lib.estimators.gaussian_entropy`).

``mixture_entropy``          ĥ of a Gaussian mixture with equal weights and isotropic variance β², with error
``sample_propagation_mi``    I(X;T) = ĥ(T) − mean_i ĥ(T | X = x_i), with error (:class:`SPEstimate`)

Information in bits unless ``base`` says otherwise.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ..validation import as_int, as_seed, check_size
from ._common import log_base
from .gaussian import gaussian_entropy

__all__ = ["SPEstimate", "mixture_entropy", "sample_propagation_mi"]

_BLOCK_ELEMENTS = 1 << 22


def _check_beta(beta) -> float:
    if isinstance(beta, bool) or not isinstance(beta, int | float | np.integer | np.floating):
        raise TypeError(f"beta must be a number, got {beta!r}")
    if not math.isfinite(beta) or beta <= 0:
        raise ValueError(f"beta (the noise standard deviation) must be a finite number > 0, got {beta!r}")
    return float(beta)


def _check_centres(centres, name: str) -> np.ndarray:
    c = np.asarray(centres)
    if not np.issubdtype(c.dtype, np.number) or np.issubdtype(c.dtype, np.complexfloating):
        raise TypeError(f"{name} must be a real numeric array, got dtype {c.dtype}")
    c = c.astype(np.float64)
    if c.ndim < 2 or c.shape[-2] < 1 or c.shape[-1] < 1:
        raise ValueError(f"{name} must have shape (..., n_samples, n_units) with n_samples, n_units ≥ 1, got {c.shape}")
    if not np.isfinite(c).all():
        raise ValueError(f"{name} contains NaN or inf")
    return c


def _check_n_mc(name: str, n_mc, d: int) -> int:
    n_mc = as_int(name, n_mc, minimum=2)
    check_size(f"{name} × {d} units", n_mc * d)  # the (n_mc, d) noise draws
    return n_mc


def _neg_log_density(centres: np.ndarray, beta: float, n_mc: int, rng: np.random.Generator) -> np.ndarray:
    """Terms (nats) whose mean is ĥ: −log g(t) at n_mc points t = s_i + β z of the mixture of ``centres`` (n, d),
    with the own component's −log φ_β(z) replaced by its exact mean h(Z) (a control variate: same expectation,
    and no variance at all when the centres are far apart compared with β)."""
    n, d = centres.shape
    # stratified over the centres: every centre n_mc // n times, the rest without replacement (unbiased)
    idx = np.concatenate([np.repeat(np.arange(n), n_mc // n), rng.choice(n, n_mc % n, replace=False)])
    z = rng.standard_normal((n_mc, d))
    t = centres[idx] + beta * z
    scale = 1.0 / (2.0 * beta * beta)
    sq_c = np.einsum("nd,nd->n", centres, centres)
    own = 0.5 * np.einsum("md,md->m", z, z)  # ||t − s_i||² / (2β²) of the own centre
    out = np.empty(n_mc)
    rows = int(max(1, min(n_mc, _BLOCK_ELEMENTS // n)))
    h_z = 0.5 * d * math.log(2.0 * math.pi * math.e * beta * beta)
    for r0 in range(0, n_mc, rows):
        tb = t[r0:r0 + rows]
        d2 = np.einsum("md,md->m", tb, tb)[:, None] - 2.0 * tb @ centres.T + sq_c[None, :]
        a = own[r0:r0 + rows, None] - scale * np.maximum(d2, 0.0)  # log φ_β(t − s_j) − log φ_β(z)
        a[np.arange(a.shape[0]), idx[r0:r0 + rows]] = 0.0  # the own centre, exactly
        top = a.max(axis=1)
        out[r0:r0 + rows] = h_z + math.log(n) - (top + np.log(np.exp(a - top[:, None]).sum(axis=1)))
    return out


def mixture_entropy(centres, beta: float, *, n_mc: int = 1024, seed: int | np.random.SeedSequence = 0,
                    base: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """Differential entropy of the Gaussian mixture (1/n) Σ_i N(s_i, β² I_d), by Monte Carlo, with its error.

    ĥ = −(1/n_mc) Σ_k log g(t_k), t_k = s_{i_k} + β z_k (Goldfeld et al. 2019, Eq. 6 and Sec. 3.2): unbiased
    for the mixture's entropy, with standard error sd / √n_mc of the terms. The own component's part of each
    term, −log φ_β(z_k), is replaced by its exact mean h(Z) (a control variate: the estimate stays unbiased and
    its error shrinks to 0 as the centres separate).

    Parameters
    ----------
    centres : array_like, shape (..., n, d) -- the n equally weighted centres s_i; leading dims independent
    beta : float > 0 -- the noise standard deviation β
    n_mc : int ≥ 2 -- Monte Carlo points per entropy (stratified over the centres)
    seed : int or numpy.random.SeedSequence -- problem k of the flattened leading dims uses child k
    base : float -- logarithm base (2: bits)

    Returns
    -------
    (h, stderr) : arrays of shape ``centres.shape[:-2]``, in units of log ``base``. For centres far apart
    compared with β, h → log n + (d/2) log(2πe β²); for one centre, h = (d/2) log(2πe β²).

    Raises
    ------
    TypeError, ValueError
        Non-numeric or non-finite centres, a wrong shape, β ≤ 0, n_mc < 2.

    Examples
    --------
    >>> h, se = mixture_entropy(np.array([[0.0], [10.0]]), 0.1, n_mc=4000, seed=0)
    >>> exact = 1.0 + 0.5 * np.log2(2 * np.pi * np.e * 0.01)   # log2(2) + entropy of N(0, 0.1²)
    >>> bool(abs(h - exact) < 4 * se + 1e-9)
    True
    """
    c = _check_centres(centres, "centres")
    beta = _check_beta(beta)
    n_mc = _check_n_mc("n_mc", n_mc, c.shape[-1])
    scale = log_base(base)
    lead = c.shape[:-2]
    problems = c.reshape((-1,) + c.shape[-2:])
    seq = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(as_seed("seed", seed))
    h, se = np.empty(problems.shape[0]), np.empty(problems.shape[0])
    for p, child in enumerate(seq.spawn(problems.shape[0])):
        terms = _neg_log_density(problems[p], beta, n_mc, np.random.default_rng(child))
        h[p], se[p] = terms.mean(), terms.std(ddof=1) / math.sqrt(terms.size)
    return (h / scale).reshape(lead), (se / scale).reshape(lead)


@dataclasses.dataclass(frozen=True)
class SPEstimate:
    """I(X;T) of a noisy layer by sample propagation, with its parts; arrays of the leading dims, log ``base``.

    Attributes
    ----------
    i_xt, i_xt_stderr : I(X;T) = h_t − h_t_given_x, and its standard error (the two errors in quadrature)
    h_t, h_t_stderr : ĥ(T) of the mixture over one sample of S per input
    h_t_given_x, h_t_given_x_stderr : mean over inputs of ĥ(T | X = x); exact (error 0) for a first layer
    beta : the noise standard deviation
    """

    i_xt: np.ndarray
    i_xt_stderr: np.ndarray
    h_t: np.ndarray
    h_t_stderr: np.ndarray
    h_t_given_x: np.ndarray
    h_t_given_x_stderr: np.ndarray
    beta: float


def sample_propagation_mi(centres, conditional_centres, beta: float, *, n_mc: int = 1024,
                          n_mc_conditional: int = 256, seed: int = 0, base: float = 2.0) -> SPEstimate:
    """I(X;T) of a noisy layer T = S + N(0, β² I) by the SP estimator (Goldfeld et al. 2019, Sec. 3).

    I(X;T) = ĥ(T) − (1/m) Σ_i ĥ(T | X = x_i): ĥ(T) is :func:`mixture_entropy` of ``centres`` (one sample of S
    per input, all inputs, so that the centres are a stratified sample of the law of S); ĥ(T | X = x_i) that of
    the k samples of S given x_i in ``conditional_centres`` (k noisy passes of x_i through the earlier layers),
    for m inputs (all of them, or a random subset: still unbiased for the mean). ``conditional_centres=None``
    means S is a function of X (a first hidden layer): h(T | X) = (d/2) log(2πe β²) exactly.

    Parameters
    ----------
    centres : array_like (..., n, d) -- samples of S, one per input
    conditional_centres : array_like (..., m, k, d) or None -- k samples of S for each of m inputs
    beta : float > 0
    n_mc : Monte Carlo points of ĥ(T); n_mc_conditional : Monte Carlo points of each ĥ(T | X = x_i)
    seed : int -- seeds the draws (ĥ(T) and the conditional terms use independent children)
    base : float -- logarithm base (2: bits)

    Returns
    -------
    SPEstimate

    Raises
    ------
    TypeError, ValueError
        As :func:`mixture_entropy`; leading dims or d of ``conditional_centres`` that do not match ``centres``.
    """
    c = _check_centres(centres, "centres")
    beta = _check_beta(beta)
    lead, d = c.shape[:-2], c.shape[-1]
    n_mc = _check_n_mc("n_mc", n_mc, d)
    n_mc_conditional = _check_n_mc("n_mc_conditional", n_mc_conditional, d)
    seq_t, seq_c = np.random.SeedSequence(as_seed("seed", seed)).spawn(2)
    h_t, h_t_se = mixture_entropy(c, beta, n_mc=n_mc, seed=seq_t, base=base)
    if conditional_centres is None:
        h_cond = np.broadcast_to(gaussian_entropy(beta * beta, d, base=base), lead).astype(float)
        h_cond_se = np.zeros(lead)
    else:
        cc = _check_centres(conditional_centres, "conditional_centres")
        if cc.ndim != c.ndim + 1 or cc.shape[:-3] != lead or cc.shape[-1] != d:
            raise ValueError(f"conditional_centres must have shape {(*lead, 'm', 'k', d)} to match centres {c.shape}, "
                             f"got {cc.shape}")
        per_input, _ = mixture_entropy(cc, beta, n_mc=n_mc_conditional, seed=seq_c, base=base)  # (*lead, m)
        m = per_input.shape[-1]
        h_cond = per_input.mean(axis=-1)
        h_cond_se = per_input.std(axis=-1, ddof=1) / math.sqrt(m) if m > 1 else np.full(lead, np.nan)
    i_xt = h_t - h_cond
    return SPEstimate(i_xt=np.asarray(i_xt), i_xt_stderr=np.sqrt(h_t_se ** 2 + h_cond_se ** 2), h_t=h_t,
                      h_t_stderr=h_t_se, h_t_given_x=np.asarray(h_cond), h_t_given_x_stderr=np.asarray(h_cond_se),
                      beta=beta)
