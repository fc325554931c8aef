"""Monte Carlo information of a noisy layer, in the spirit of Goldfeld et al. (2019).

Goldfeld et al. (ICML 2019, arXiv:1810.05728) make the information-plane quantities well defined by
injecting Gaussian noise: T = h(X) + Z, Z ~ N(0, σ² I_d). With X uniform over n inputs, p(t) is a
mixture of n Gaussians N(h_i, σ² I) and the mutual information is an expectation that Monte Carlo
estimates without bias:

    I(X;T) = E_{i, z}[ ln p(t | x_i) − ln p(t) ],   t = h_i + z,
           = ln n + E[ −||z||² / (2σ²) − ln Σ_j exp(−||t − h_j||² / (2σ²)) ],
    I(T;Y) = E[ ln p(t | y_i) − ln p(t) ],   p(t | y) the mixture over the inputs of class y.

Every input is drawn ``n_draws`` times (stratified over X), each with fresh noise, so the standard
error (reported with every estimate) comes from the noise alone. The KDE bounds of
:mod:`ipflow_lib.estimators.kde` bracket the same quantity; this estimator pins it down.

Goldfeld et al. also propagate the noise through the later layers of the network (a noisy DNN) and
estimate the resulting mixtures by sampling; here the noise is added to the measured layer only, so
the estimator needs nothing but that layer's activations (the quantity Saxe et al. bound).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from ..validation import as_int, as_seed, check_size
from ._common import (
    check_representation,
    check_variance,
    compact_labels,
    log_base,
    map_problems,
    memo_pair,
    resolve_n_jobs,
)

__all__ = ["NoisyMIEstimate", "noisy_estimators", "noisy_mi", "noisy_mi_estimate"]

_BLOCK_ELEMENTS = 1 << 21


@dataclasses.dataclass(frozen=True)
class NoisyMIEstimate:
    """Monte Carlo estimate of I(X;T) and I(T;Y) for T = h + N(0, σ² I), with standard errors.

    Arrays of shape t.shape[:-2], in units of log ``base`` (bits by default). The standard errors
    are those of the mean of i.i.d. terms (conservative: the draws are stratified over X).
    """

    i_xt: np.ndarray
    i_ty: np.ndarray
    i_xt_stderr: np.ndarray
    i_ty_stderr: np.ndarray
    noise_variance: float
    n_draws: int


def _terms_one(h, labels, counts, variance, n_draws, n_inputs, rng, block_elements):
    """Per-draw terms (ln p(t|x) − ln p(t), ln p(t|y) − ln p(t)) for one problem h (n, d)."""
    n, d = h.shape
    h = h.astype(np.float64) - h.mean(axis=0, dtype=np.float64)
    inputs = np.arange(n) if n_inputs is None or n_inputs >= n else np.sort(rng.choice(n, n_inputs, replace=False))
    idx = np.repeat(inputs, n_draws)
    z = rng.standard_normal((idx.size, d)) * np.sqrt(variance)
    q = h[idx] + z
    scale = 1.0 / (2.0 * variance)
    sq_h = np.einsum("nd,nd->n", h, h)
    sq_q = np.einsum("nd,nd->n", q, q)
    # float32 only where its rounding of the exponent (≈ 1e-6 · scale · ||·||²) is negligible and the
    # own-component term exp(−||z||²/(2σ²)) cannot underflow
    big = max(sq_h.max(initial=0.0), sq_q.max(initial=0.0))
    dtype = np.float32 if (1e-6 * scale * big < 5e-3 and d <= 48) else np.float64
    u = np.column_stack([2.0 * scale * q, -scale * sq_q, -scale * np.ones(q.shape[0])]).astype(dtype)
    vt = np.ascontiguousarray(np.column_stack([h, np.ones(n), sq_h]).T.astype(dtype))
    onehot = np.zeros((n, counts.size), dtype=dtype)
    onehot[np.arange(n), labels] = 1.0
    own_noise = -scale * np.einsum("nd,nd->n", z, z)  # ln of the own component's kernel
    term_xt = np.empty(q.shape[0])
    term_ty = np.empty(q.shape[0])
    rows = int(min(q.shape[0], max(64, block_elements // max(n, 1))))
    for r0 in range(0, q.shape[0], rows):
        r1 = min(q.shape[0], r0 + rows)
        block = u[r0:r1] @ vt  # −||t_m − h_j||² / (2σ²)
        np.minimum(block, 0.0, out=block)
        shift = block.max(axis=1)
        np.subtract(block, shift[:, None], out=block)
        np.exp(block, out=block)
        per_class = (block @ onehot).astype(np.float64)  # (r, C)
        lse_all = shift + np.log(per_class.sum(axis=1))
        lab = labels[idx[r0:r1]]
        lse_own = shift + np.log(per_class[np.arange(r1 - r0), lab])
        term_xt[r0:r1] = np.log(n) + own_noise[r0:r1] - lse_all
        term_ty[r0:r1] = (lse_own - np.log(counts[lab])) - (lse_all - np.log(n))
    return term_xt, term_ty


def noisy_mi_estimate(
    t,
    y,
    noise_variance: float,
    *,
    n_draws: int = 1,
    n_inputs: int | None = None,
    seed: int | np.random.SeedSequence = 0,
    base: float = 2.0,
    n_jobs: int | None = None,
) -> NoisyMIEstimate:
    """I(X;T) and I(T;Y) of T = h + N(0, σ² I) by Monte Carlo, with standard errors.

    Parameters
    ----------
    t : array_like, shape (..., n_samples, n_units)
        Activations h of one layer on all inputs (X uniform over them); leading dims independent.
    y : array_like of int, shape (n_samples,)
        Class labels.
    noise_variance : float
        σ² of the injected Gaussian noise, > 0.
    n_draws : int
        Noise draws per input: n_samples · n_draws Monte Carlo terms per estimate.
    n_inputs : int, optional
        Draw noise for a random subset of this many inputs (without replacement) instead of all of
        them: still unbiased, cheaper by n_samples / n_inputs, with larger error bars.
    seed : int or numpy.random.SeedSequence
        Seed of the noise; problem k of the flattened leading dims uses child k of
        ``SeedSequence(seed)``, so results do not depend on ``n_jobs``.
    base : float
        Logarithm base (2: bits).
    n_jobs : int or None
        Threads over the leading dims (None: one per CPU core).

    Returns
    -------
    NoisyMIEstimate
        With 0 ≤ E[i_xt] ≤ log n_samples.

    Raises
    ------
    ValueError
        NaN/inf activations, mismatched lengths, noise_variance ≤ 0, n_draws < 1.

    Source: Goldfeld et al. (2019), Sec. 3 (Gaussian-noise channel; Monte Carlo integration of the
    mixture entropy).
    """
    t, y = check_representation(t, y)
    variance = check_variance(noise_variance)
    n_draws = as_int("n_draws", n_draws, minimum=1)
    check_size("n_draws", n_draws * t.shape[-2] * t.shape[-1])
    if n_inputs is not None:
        n_inputs = as_int("n_inputs", n_inputs, minimum=2)
    if not isinstance(seed, np.random.SeedSequence):
        seed = as_seed("seed", seed)
    scale = log_base(base)
    labels, counts = compact_labels(y)
    lead = t.shape[:-2]
    problems = t.reshape((-1,) + t.shape[-2:])
    seq = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    rngs = [np.random.default_rng(s) for s in seq.spawn(problems.shape[0])]

    def one(p: int):
        return _terms_one(problems[p], labels, counts, variance, int(n_draws), n_inputs, rngs[p], _BLOCK_ELEMENTS)

    results = map_problems(one, problems.shape[0], n_jobs)
    xt = np.stack([r[0] for r in results])
    ty = np.stack([r[1] for r in results])
    m = xt.shape[1]
    se = (lambda a: a.std(axis=1, ddof=1) / np.sqrt(m)) if m > 1 else (lambda a: np.full(a.shape[0], np.nan))
    return NoisyMIEstimate(
        i_xt=(xt.mean(axis=1) / scale).reshape(lead),
        i_ty=(ty.mean(axis=1) / scale).reshape(lead),
        i_xt_stderr=(se(xt) / scale).reshape(lead),
        i_ty_stderr=(se(ty) / scale).reshape(lead),
        noise_variance=variance,
        n_draws=int(n_draws),
    )


def noisy_mi(
    t,
    y,
    noise_variance: float = 1e-3,
    *,
    n_draws: int = 1,
    seed: int | np.random.SeedSequence = 0,
    base: float = 2.0,
    n_jobs: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``(i_xt, i_ty)`` of :func:`noisy_mi_estimate`, in the estimator call shape (no error bars).

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(8.0)[:, None]            # 8 points far apart compared with σ = 0.03
    >>> i_xt, i_ty = noisy_mi(t, np.array([0, 0, 0, 0, 1, 1, 1, 1]), 1e-3, seed=0)
    >>> round(float(i_xt), 4), round(float(i_ty), 4)
    (3.0, 1.0)
    """
    est = noisy_mi_estimate(t, y, noise_variance, n_draws=n_draws, seed=seed, base=base, n_jobs=n_jobs)
    return est.i_xt, est.i_ty


def noisy_estimators(
    noise_variance: float = 1e-3,
    *,
    n_draws: int = 1,
    n_inputs: int | None = None,
    seed: int = 0,
    base: float = 2.0,
    n_jobs: int | None = None,
    prefix: str = "noisy",
    memory: int = 64,
) -> dict[str, Callable]:
    """``{"noisy": est, "noisy_stderr": est}`` for a streaming trainer, sharing one computation.

    ``noisy`` returns the Monte Carlo (i_xt, i_ty) of :func:`noisy_mi_estimate`, ``noisy_stderr``
    their standard errors, in the estimator call shape, so that a trainer that stores only
    ``(i_xt, i_ty)`` pairs keeps the error bars too. Every call uses the same ``seed`` (common random
    numbers across epochs and layers).
    """
    check_variance(noise_variance)
    as_int("n_draws", n_draws, minimum=1)
    if n_inputs is not None:
        as_int("n_inputs", n_inputs, minimum=2)
    as_seed("seed", seed)
    log_base(base)
    resolve_n_jobs(n_jobs, 1)
    memory = as_int("memory", memory, minimum=1)
    if not isinstance(prefix, str):
        raise TypeError(f"prefix must be a string, got {prefix!r}")
    return memo_pair(
        lambda t, y: noisy_mi_estimate(
            t, y, noise_variance, n_draws=n_draws, n_inputs=n_inputs, seed=seed, base=base, n_jobs=n_jobs
        ),
        (prefix, f"{prefix}_stderr"),
        (("i_xt", "i_ty"), ("i_xt_stderr", "i_ty_stderr")),
        (f"Monte Carlo I(X;T), I(T;Y) of the layer plus N(0, {noise_variance:g} I).", "Their standard errors."),
        memory,
    )
