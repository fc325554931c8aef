"""Exact information quantities of Gaussians, and of Gaussian mixtures (Kolchinsky & Tracey; Poole et al.).

A channel whose output is Gaussian given the input, p(z|x_i) = N(μ_i, diag s_i) (the infinite ensembles of
:mod:`ipflow_lib.ntk`, or a noisy layer), has closed-form entropies and divergences between its components;
with X uniform over n inputs, Z is a mixture of n Gaussians whose information is bracketed by the pairwise
bounds of :mod:`.pairwise` and estimated by sampling. Information in bits unless ``base`` says otherwise.

``gaussian_entropy``, ``gaussian_kl``, ``gaussian_bhattacharyya``   per-input closed forms (diagonal)
``gaussian_kl_full``                                               KL with full covariances over inputs
``mixture_information``                                            I(X;Z), I(Z;Y): pairwise + sampled bounds
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import numpy as np

from ..validation import as_array, as_int, as_seed, check_size
from ._common import compact_labels, log_base
from .pairwise import pairwise_cross_bounds, pairwise_entropy_terms, pairwise_mi

__all__ = [
    "MixtureInformation",
    "check_gaussian_moments",
    "gaussian_bhattacharyya",
    "gaussian_entropy",
    "gaussian_kl",
    "gaussian_kl_full",
    "mixture_information",
]


def check_gaussian_moments(mean, var, name: str = "", *, allow_zero: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Validate diagonal Gaussians N(mean, diag var): float64 ``mean`` (..., n, k) and ``var`` broadcast to it.

    Parameters
    ----------
    mean : array_like, shape (..., n, k)
        Means of n Gaussians over k outputs.
    var : array_like, shape (..., n) or (..., n, k)
        One variance per Gaussian (shared by its k outputs) or one per output.
    name : str
        Suffix of the argument names in error messages (e.g. "_p").
    allow_zero : bool
        Accept zero variances (point masses: fine for losses, not for densities).

    Raises
    ------
    ValueError
        ``mean`` with fewer than 2 dims, ``var`` of another shape, NaN/inf, negative (or zero) variances.
    """
    mean = as_array(f"mean{name}", mean, finite=False, nonempty=False).astype(np.float64)
    var = as_array(f"var{name}", var, finite=False, nonempty=False).astype(np.float64)
    if mean.ndim < 2:
        raise ValueError(f"mean{name} must have shape (..., n, k), got {mean.shape}")
    if var.shape == mean.shape[:-1]:
        var = np.broadcast_to(var[..., None], mean.shape)
    elif var.shape != mean.shape:
        raise ValueError(
            f"var{name} must have shape {mean.shape[:-1]} (one variance per input) or {mean.shape} "
            f"(one per output), to match mean{name} of shape {mean.shape}; got {var.shape}"
        )
    if not (np.isfinite(mean).all() and np.isfinite(var).all()):
        raise ValueError(f"mean{name} and var{name} must be finite (no NaN/inf)")
    if (var < 0).any() or (not allow_zero and (var == 0).any()):
        raise ValueError(
            f"var{name} must be {'≥ 0' if allow_zero else '> 0 (a Gaussian with zero variance has no density)'}"
        )
    return mean, var


def gaussian_entropy(var, k: int = 1, *, base: float = 2.0) -> np.ndarray:
    """Differential entropy of N(μ, diag(var)): ½ Σ_d log(2πe·var_d), in units of log ``base``.

    Parameters
    ----------
    var : array_like, shape (...,) or (..., k)
        Per-input variance (isotropic over ``k`` outputs) if ``k`` is given and var has no output axis,
        else one variance per output along the last axis (then pass ``k=None``).
    k : int or None
        Number of i.i.d. outputs sharing the variance; ``None``: the last axis of ``var`` holds them.
    base : float
        Logarithm base (2: bits, e: nats).

    Returns
    -------
    ndarray, shape var.shape (or var.shape[:-1] for k=None). Can be negative (differential entropy).

    Raises
    ------
    ValueError
        NaN/inf or non-positive variances; base ≤ 0 or 1.

    Source: Cover & Thomas (2006), Theorem 8.4.1.
    """
    var = as_array("var", var, finite=False, nonempty=False).astype(np.float64)
    if not np.isfinite(var).all() or (var <= 0).any():
        raise ValueError("var must be finite and > 0")
    if k is not None:
        k = as_int("k", k, minimum=1)
    h = 0.5 * np.log(2 * np.pi * np.e * var)
    h = h.sum(axis=-1) if k is None else int(k) * h
    return h / log_base(base)


def gaussian_kl(mean_p, var_p, mean_q, var_q, *, base: float = 2.0) -> np.ndarray:
    """KL[N(μ_p, diag s_p) ‖ N(μ_q, diag s_q)] per input, summed over the k outputs.

    KL = ½ Σ_d [s_p/s_q + (μ_p − μ_q)²/s_q − 1 + log(s_q/s_p)] (exact for Gaussians).

    Parameters
    ----------
    mean_p, mean_q : array_like, shape (..., n, k)
    var_p, var_q : array_like, shape (..., n) or (..., n, k)
    base : float
        2 for bits, e for nats.

    Returns
    -------
    ndarray, shape (..., n), ≥ 0, in units of log ``base``.

    Raises
    ------
    ValueError
        Shapes that do not match (see :func:`check_gaussian_moments`), NaN/inf, variances ≤ 0.

    Source: the Gaussian KL (e.g. Cover & Thomas 2006, Problem 8.8); used for the upper pairwise bound of
    Kolchinsky & Tracey (2017) and the divergence from the prior of Shwartz-Ziv & Alemi (2020).
    """
    mean_p, var_p = check_gaussian_moments(mean_p, var_p, "_p")
    mean_q, var_q = check_gaussian_moments(mean_q, var_q, "_q")
    mean_p, mean_q = np.broadcast_arrays(mean_p, mean_q)
    kl = 0.5 * np.sum(var_p / var_q + (mean_p - mean_q) ** 2 / var_q - 1.0 + np.log(var_q / var_p), axis=-1)
    return kl / log_base(base)


def gaussian_bhattacharyya(mean_p, var_p, mean_q, var_q, *, base: float = 2.0) -> np.ndarray:
    """Bhattacharyya distance −log ∫√(p q) between diagonal Gaussians, per input (summed over outputs).

    D_B = Σ_d [(μ_p − μ_q)²/(8 s̄) + ½ log(s̄/√(s_p s_q))], s̄ = (s_p + s_q)/2. It is the Chernoff
    α-divergence at α = ½ used for the lower bound of Kolchinsky & Tracey (2017).

    Shapes, units and errors as :func:`gaussian_kl`; 0 ≤ D_B ≤ KL/2 (Jensen: the Chernoff divergence at
    α = ½ is at most half the KL).
    """
    mean_p, var_p = check_gaussian_moments(mean_p, var_p, "_p")
    mean_q, var_q = check_gaussian_moments(mean_q, var_q, "_q")
    mean_p, mean_q = np.broadcast_arrays(mean_p, mean_q)
    s = 0.5 * (var_p + var_q)
    d = np.sum((mean_p - mean_q) ** 2 / (8 * s) + 0.5 * np.log(s) - 0.25 * np.log(var_p) - 0.25 * np.log(var_q), -1)
    return d / log_base(base)


def gaussian_kl_full(mean_p, cov_p, mean_q, cov_q, *, base: float = 2.0) -> np.ndarray:
    """KL between Gaussians over n inputs with full covariances, for k outputs sharing them.

    KL = ½ [k·tr(Σ_q⁻¹Σ_p) + Σ_d Δ_dᵀ Σ_q⁻¹ Δ_d − k·n + k·(log|Σ_q| − log|Σ_p|)], Δ_d = μ_q[:, d] − μ_p[:, d]:
    the joint divergence of the ensemble's outputs on a whole set of inputs (exact; by Cholesky).

    Parameters
    ----------
    mean_p, mean_q : array_like, shape (..., n, k)
    cov_p, cov_q : array_like, shape (..., n, n), symmetric positive definite
    base : float
        2 for bits, e for nats.

    Returns
    -------
    ndarray, shape (...), in units of log ``base`` (the authors' joint KL of Shwartz-Ziv & Alemi 2020).

    Raises
    ------
    ValueError
        Mismatched shapes, NaN/inf, or a covariance that is not positive definite.
    TypeError
        Non-numeric input.
    """
    mean_p = as_array("mean_p", mean_p, nonempty=False).astype(np.float64)
    mean_q = as_array("mean_q", mean_q, nonempty=False).astype(np.float64)
    cov_p = as_array("cov_p", cov_p, nonempty=False).astype(np.float64)
    cov_q = as_array("cov_q", cov_q, nonempty=False).astype(np.float64)
    if mean_p.ndim < 2 or mean_p.shape != mean_q.shape:
        raise ValueError(f"mean_p and mean_q must have the same shape (..., n, k), got {mean_p.shape}, {mean_q.shape}")
    n, k = mean_p.shape[-2:]
    for name, c in (("cov_p", cov_p), ("cov_q", cov_q)):
        if c.shape != mean_p.shape[:-2] + (n, n):
            raise ValueError(f"{name} must have shape {mean_p.shape[:-2] + (n, n)}, got {c.shape}")
    try:
        lp = np.linalg.cholesky(cov_p)
        lq = np.linalg.cholesky(cov_q)
    except np.linalg.LinAlgError as err:
        raise ValueError("cov_p and cov_q must be positive definite") from err
    logdet_p = 2 * np.log(np.diagonal(lp, axis1=-2, axis2=-1)).sum(-1)
    logdet_q = 2 * np.log(np.diagonal(lq, axis1=-2, axis2=-1)).sum(-1)
    a = np.linalg.solve(lq, lp)  # L_q⁻¹ L_p: tr(Σ_q⁻¹ Σ_p) = ‖a‖²_F
    b = np.linalg.solve(lq, mean_q - mean_p)
    kl = 0.5 * (k * np.sum(a**2, axis=(-2, -1)) + np.sum(b**2, axis=(-2, -1)) - k * n + k * (logdet_q - logdet_p))
    return kl / log_base(base)


# --------------------------------------------------------------------------------------------------
# Information of a Gaussian mixture: pairwise bounds (Kolchinsky & Tracey) and sampled bounds (Poole)
# --------------------------------------------------------------------------------------------------


class MixtureInformation(NamedTuple):
    """Information of Z ~ (1/N) Σ_i N(μ_i, diag s_i) with X uniform over the N components.

    Every field has the shape of the leading dims of ``mean`` (e.g. (n_t,)), in units of log ``base``.

    Attributes
    ----------
    i_xz_lower, i_xz_upper
        Pairwise bounds on I(X;Z): Bhattacharyya (lower) and KL (upper) (Kolchinsky & Tracey 2017,
        Eqs. 13–14 with H(Z|X) subtracted; :func:`ipflow_lib.estimators.pairwise_entropy_terms`, shared
        with the KDE estimator). Deterministic; 0 ≤ lower ≤ I(X;Z) ≤ upper ≤ log N (clipped at 0
        against rounding).
    i_xz_nce
        InfoNCE with the whole set as the batch and the true log-density as critic,
        log N + mean_i[S_ii − logsumexp_j S_ij] with S_ij = log p(z_i | x_j), z_i ~ p(z | x_i)
        (Poole et al. 2019, Eq. 12; van den Oord et al. 2018). Its expectation is exactly I(X;Z) here,
        because p(x) is uniform on exactly these N inputs; a lower bound for a batch drawn from a larger set.
    i_xz_loo
        Leave-one-out upper bound log(N−1) + mean_i[S_ii − logsumexp_{j≠i} S_ij] (Poole et al. 2019,
        Eq. 13), an upper bound in expectation (it is random: with the same samples it can, rarely,
        fall below ``i_xz_nce``).
    i_zy_lower, i_zy_upper
        Pairwise bounds on I(Z;Y) = H(Z) − Σ_y p(y) H(Z|Y=y), each mixture entropy bounded as above
        (:func:`ipflow_lib.estimators.pairwise_cross_bounds`); clipped to [0, min(H(Y), i_xz_upper)].
    i_zy_mc
        Sampled estimate mean_i[logsumexp_{j: y_j = y_i} S_ij − log N_{y_i} − logsumexp_j S_ij + log N],
        unbiased for I(Z;Y).
    h_z_given_x
        H(Z|X) = mean_i ½ Σ_d log(2πe s_id), exact (differential entropy).
    """

    i_xz_lower: np.ndarray
    i_xz_upper: np.ndarray
    i_xz_nce: np.ndarray
    i_xz_loo: np.ndarray
    i_zy_lower: np.ndarray
    i_zy_upper: np.ndarray
    i_zy_mc: np.ndarray
    h_z_given_x: np.ndarray


@functools.lru_cache(maxsize=1)
def _row_stats_fn():
    import jax
    import jax.numpy as jnp

    def lse_all_and_masked(a, mask):
        """logsumexp over the last axis, over all entries and over ``mask`` (which must hold the row's
        own entry, within ~700 of the row maximum: true for −KL_ii = 0, −BC_ii = 0 and log p_i(z_i)),
        from one pass of exponentials."""
        top = jnp.max(a, axis=-1, keepdims=True)
        e = jnp.exp(a - top)
        top = top[..., 0]
        return top + jnp.log(e.sum(-1)), top + jnp.log(jnp.where(mask, e, 0.0).sum(-1))

    def lse_masked(a, mask):
        a = jnp.where(mask, a, -jnp.inf)
        top = jnp.max(a, axis=-1, keepdims=True)
        return top[..., 0] + jnp.log(jnp.exp(a - top).sum(-1))

    @jax.jit
    def row_stats(rows, mean, var, z, y):
        """Row reductions for the rows ``rows`` (B,) of the N×N pairwise and sample–component matrices."""
        log_var = jnp.log(var)
        mi, si, lsi, yi = mean[rows], var[rows], log_var[rows], y[rows]
        d2 = (mi[:, None, :] - mean[None, :, :]) ** 2  # (B, N, k)
        kl = 0.5 * jnp.sum(si[:, None] / var[None] + d2 / var[None] - 1.0 + log_var[None] - lsi[:, None], -1)
        sbar = 0.5 * (si[:, None] + var[None])
        bc = jnp.sum(d2 / (8 * sbar) + 0.5 * jnp.log(sbar) - 0.25 * lsi[:, None] - 0.25 * log_var[None], -1)
        n = mean.shape[0]
        same = yi[:, None] == y[None, :]
        not_self = rows[:, None] != jnp.arange(n)[None, :]
        zi = z[:, rows]  # (S, B, k)
        score = -0.5 * jnp.sum(
            jnp.log(2 * jnp.pi) + log_var[None, None] + (zi[:, :, None, :] - mean[None, None]) ** 2 / var[None, None],
            -1,
        )  # (S, B, N): log p(z_i | x_j)
        s_self = jnp.take_along_axis(score, rows[None, :, None], axis=-1)[..., 0]
        kl_all, kl_same = lse_all_and_masked(-kl, same)
        bc_all, bc_same = lse_all_and_masked(-bc, same)
        s_all, s_same = lse_all_and_masked(score, same[None])
        return kl_all, kl_same, bc_all, bc_same, s_self, s_all, lse_masked(score, not_self[None]), s_same

    return row_stats


def mixture_information(
    mean,
    var,
    y=None,
    *,
    n_samples: int = 1,
    seed: int = 0,
    base: float = 2.0,
    max_floats: int = 2**20,
) -> MixtureInformation:
    """I(X;Z) and I(Z;Y) of the Gaussian ensemble p(z|x_i) = N(μ_i, diag s_i), X uniform over n inputs.

    Both families of bounds are computed from one pass over the n × n pairs (in row blocks, never
    materialising more than ``max_floats`` numbers): the deterministic pairwise bounds of
    Kolchinsky & Tracey (2017) and the sampled InfoNCE / leave-one-out bounds of Poole et al. (2019),
    with ``n_samples`` draws z ~ p(z|x_i) per input. See :class:`MixtureInformation` for each field.

    Parameters
    ----------
    mean : array_like, shape (..., n, k)
        Ensemble means; leading dims (times, weight scales) are looped over.
    var : array_like, shape (..., n) or (..., n, k)
        Ensemble variances, > 0 (per input, shared by the k outputs, or per output).
    y : array_like of int, shape (n,), optional
        Labels, for I(Z;Y); without them the I(Z;Y) fields are NaN.
    n_samples : int ≥ 1
        Samples per input for the sampled estimates (the authors used 1).
    seed : int
        Seed of those samples (``numpy.random.default_rng``); same seed, same numbers.
    base : float
        2 for bits, e for nats.

    Returns
    -------
    MixtureInformation
        Fields of shape ``mean.shape[:-2]``.

    Raises
    ------
    ValueError
        Mismatched shapes, NaN, var ≤ 0, fewer than 2 inputs, labels of the wrong length, n_samples < 1.

    Examples
    --------
    Two far-apart components carry one bit; two equal ones carry none:

    >>> far = mixture_information(np.array([[0.0], [100.0]]), np.ones(2))
    >>> round(float(far.i_xz_lower), 6), round(float(far.i_xz_upper), 6)
    (1.0, 1.0)
    >>> float(mixture_information(np.zeros((2, 1)), np.ones(2)).i_xz_upper)
    0.0
    """
    mean, var = check_gaussian_moments(mean, var)
    lead, (n, k) = mean.shape[:-2], mean.shape[-2:]
    if n < 2:
        raise ValueError(f"need at least 2 inputs (components), got {n}")
    n_samples = as_int("n_samples", n_samples, minimum=1)
    check_size("n_samples", n_samples * n * k)
    if not isinstance(seed, (np.random.Generator, np.random.SeedSequence)):
        seed = as_seed("seed", seed)
    max_floats = as_int("max_floats", max_floats, minimum=1)
    has_y = y is not None
    if has_y:
        y = as_array("y", y, nonempty=False)
        if y.shape != (n,):
            raise ValueError(f"y must have shape (n,) = ({n},) to match mean, got {y.shape}")
        if not np.issubdtype(y.dtype, np.integer):
            raise TypeError(f"y must hold integer labels, got dtype {y.dtype}")
        if y.min() < 0:
            raise ValueError(f"y must hold class labels ≥ 0, got {int(y.min())}")
        y, counts = compact_labels(y)
    else:
        y = np.zeros(n, dtype=np.int64)
        counts = np.array([n])
    p_y = counts / n
    h_y = float(-(p_y * np.log(p_y)).sum())
    log_n_y = np.log(counts)[y]
    scale = log_base(base)

    block = int(max(1, min(n, max_floats // max(1, n * k * (n_samples + 2)))))
    n_blocks = -(-n // block)
    row_blocks = np.arange(n_blocks * block) % n  # last block padded with rows from the start
    row_stats = _row_stats_fn()
    rng = np.random.default_rng(seed)
    flat_mean = mean.reshape((-1, n, k))
    flat_var = var.reshape((-1, n, k))
    out = {f: np.empty(flat_mean.shape[0]) for f in MixtureInformation._fields}
    import jax.numpy as jnp
    from jax.experimental import enable_x64

    for idx in range(flat_mean.shape[0]):
        m, s = flat_mean[idx], flat_var[idx]
        z = m[None] + np.sqrt(s)[None] * rng.standard_normal((n_samples, n, k))
        stats = []
        with enable_x64():
            mj, sj, zj, yj = jnp.asarray(m), jnp.asarray(s), jnp.asarray(z), jnp.asarray(y)
            for b in range(n_blocks):
                rows = jnp.asarray(row_blocks[b * block : (b + 1) * block])
                stats.append([np.asarray(a) for a in row_stats(rows, mj, sj, zj, yj)])
        kl_all, kl_same, bc_all, bc_same = (np.concatenate([st[i] for st in stats])[:n] for i in range(4))
        s_self, s_all, s_loo, s_same = (np.concatenate([st[i] for st in stats], axis=1)[:, :n] for i in range(4, 8))
        # Pairwise bounds (Kolchinsky & Tracey) on I(X;Z) and, class by class, on I(Z;Y): see .pairwise
        kl_terms = pairwise_entropy_terms(kl_all - math.log(n), kl_same - log_n_y)
        bc_terms = pairwise_entropy_terms(bc_all - math.log(n), bc_same - log_n_y)
        out["i_xz_upper"][idx] = pairwise_mi(*kl_terms)[0]
        out["i_xz_lower"][idx] = pairwise_mi(*bc_terms)[0]
        out["i_zy_lower"][idx], out["i_zy_upper"][idx] = pairwise_cross_bounds(kl_terms, bc_terms, h_y)
        out["i_xz_nce"][idx] = math.log(n) + float(np.mean(s_self - s_all))
        out["i_xz_loo"][idx] = math.log(n - 1) + float(np.mean(s_self - s_loo))
        out["i_zy_mc"][idx] = float(np.mean(s_same - log_n_y[None] - s_all + math.log(n)))
        out["h_z_given_x"][idx] = float(np.mean(0.5 * np.sum(np.log(2 * np.pi * np.e * s), axis=-1)))
    if not has_y:
        for f in ("i_zy_lower", "i_zy_upper", "i_zy_mc"):
            out[f][:] = np.nan
    return MixtureInformation(**{f: (v / scale).reshape(lead) for f, v in out.items()})

