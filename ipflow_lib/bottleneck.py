r"""The information bottleneck (IB) and the dual IB: self-consistent solvers, annealed curves, critical β.

Given a joint table p(x, y), the IB of Tishby, Pereira & Bialek (1999) looks for a stochastic encoder
p(t|x) that minimises the Lagrangian

.. math:: \mathcal{L}[p(t|x)] = I(X;T) + \beta\, \mathbb{E}_{p(x,t)}\, d(x, t)

over the Markov chain T ← X ↔ Y. Two distortions are implemented, with one iteration (``kind``):

``"ib"`` (Tishby, Pereira & Bialek 1999)
    d(x,t) = D_KL[p(y|x) || p(y|t)], decoder p(y|t) = Σ_x p(y|x) p(x|t) (the Markov decoder).
    Then E d = I(X;Y) − I(T;Y) and the Lagrangian is I(X;T) − β I(T;Y) + const.
``"dualib"`` (Piran, Shwartz-Ziv & Tishby 2020)
    d(x,t) = D_KL[p(y|t) || p(y|x)], decoder p(y|t) ∝ Π_x p(y|x)^{p(x|t)} (a normalised geometric mean).

Both iterate the same three self-consistent equations to a fixed point:

- p(t|x) = p(t) exp(−β d(x,t)) / Z(x, β)
- p(t) = Σ_x p(x) p(t|x)
- the decoder from p(x|t) = p(x) p(t|x) / p(t)

Solutions report I(X;T) and I(T;Y) in bits, I(T;Y) always with the Markov decoder
p(y|t) = Σ_x p(y|x) p(x|t) (for the dual IB the geometric-mean decoder is kept as ``decoder``).

Inputs with the same p(y|x) are interchangeable: at any fixed point p(t|x) depends on x only through
p(y|x), so merging them (adding their p(x)) changes neither I(X;T) nor I(T;Y). :func:`merge_inputs`
does this exactly; the 4096 inputs of the noisy 12-bit task merge into 2.

Everything runs in NumPy on (n_x, n_t) arrays; logarithms are natural inside (β is unit-free), results
are converted to bits.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import NamedTuple

import numpy as np
from scipy.special import logsumexp, rel_entr, xlogy

from .information import check_distribution
from .validation import as_array, as_flag, as_float, as_int, as_range, as_seed, check_size

__all__ = [
    "KINDS",
    "Bifurcation",
    "ExponentialFamily",
    "IBCurve",
    "IBSolution",
    "bifurcations",
    "critical_beta",
    "critical_beta_exponential_family",
    "exponential_family_dual_ib",
    "exponential_family_dual_ib_curve",
    "ib",
    "ib_curve",
    "merge_inputs",
    "self_consistency_error",
]

#: The distortions implemented: the IB and the dual IB.
KINDS = ("ib", "dualib")

_LN2 = float(np.log(2.0))
_TINY = np.finfo(np.float64).tiny  # the smallest normal float
_TINY_LOG = np.log(_TINY)  # ~ -708


# ----------------------------------------------------------------------------------------------
# Input checks and the merged problem
# ----------------------------------------------------------------------------------------------


def _check_kind(kind: str) -> str:
    if not isinstance(kind, str) or kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    return kind


def _check_beta(beta, name: str = "beta") -> float:
    return as_float(name, beta, above=0.0, expect="a positive finite number (β > 0)")


def _check_betas(betas) -> np.ndarray:
    b = as_array("betas", betas, finite=False, nonempty=False).astype(np.float64)
    if b.ndim != 1 or b.size == 0:
        raise ValueError(f"betas must be a non-empty 1-d array, got shape {b.shape}")
    if not np.isfinite(b).all() or (b <= 0).any():
        raise ValueError("betas must be positive finite numbers (β > 0)")
    if np.unique(b).size != b.size:
        raise ValueError("betas must not repeat a value")
    return np.sort(b)


def _group_rows(rows: np.ndarray, decimals: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the distinct rows (rounded to ``decimals``) and the group of every row."""
    key = np.round(rows, decimals) + 0.0  # + 0.0 turns -0.0 into 0.0
    _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
    return first, inverse.reshape(-1)


def merge_inputs(p_xy, decimals: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """Merge the inputs x that share the same p(y|x): an exact reduction of the IB and the dual IB.

    At every fixed point of either iteration p(t|x) is a function of p(y|x) (and of p(t) and the
    decoder), so inputs with equal rows p(y|x) have equal encoders. Since the merged input X' = g(X)
    is a function of X and T depends on X only through X', I(X;T) = I(X';T) and I(T;Y) is unchanged:
    the merged problem has the same IB curve. Inputs with p(x) = 0 are dropped.

    Parameters
    ----------
    p_xy : array_like, shape (n_x, n_y)
        Joint probabilities, summing to 1.
    decimals : int
        Rows of p(y|x) equal after rounding to this many decimals are merged.

    Returns
    -------
    p_xy_merged : ndarray, shape (n_groups, n_y)
        Joint table of the merged input: p(x', y) = Σ_{x in x'} p(x, y).
    groups : ndarray of int, shape (n_x,)
        The merged input of every original input, −1 for inputs with p(x) = 0.

    Raises
    ------
    ValueError
        If ``p_xy`` is not a valid 2-d distribution.

    >>> import numpy as np
    >>> p_xy = np.array([[0.1, 0.1], [0.2, 0.2], [0.4, 0.0]])
    >>> merged, groups = merge_inputs(p_xy)
    >>> merged.tolist(), groups.tolist()
    ([[0.30000000000000004, 0.30000000000000004], [0.4, 0.0]], [0, 0, 1])
    """
    p_xy = check_distribution(p_xy, "p_xy", ndim=2)
    decimals = as_int("decimals", decimals, minimum=0, maximum=20)
    p_x = p_xy.sum(axis=1)
    alive = p_x > 0
    rows = p_xy[alive] / p_x[alive, None]
    _, inverse = _group_rows(rows, decimals)
    n_groups = int(inverse.max()) + 1
    merged = np.zeros((n_groups, p_xy.shape[1]))
    np.add.at(merged, inverse, p_xy[alive])
    groups = np.full(p_xy.shape[0], -1, dtype=np.int64)
    groups[alive] = inverse
    return merged, groups


@dataclasses.dataclass(frozen=True, eq=False)
class _Problem:
    """The (merged) problem the iteration runs on: p(x) and a model of p(y|x)."""

    p_x: np.ndarray  # (m,)
    groups: np.ndarray  # (n_x,) merged input of every original input, -1 if p(x) = 0
    p_y_given_x: np.ndarray | None  # (m, n_y) or None (continuous exponential family)
    log_p_y_given_x: np.ndarray | None  # (m, n_y), clipped at _TINY_LOG
    theta: np.ndarray | None = None  # (m, k) natural parameters (exponential family)

    @property
    def m(self) -> int:
        return self.p_x.shape[0]

    def expand(self, q: np.ndarray, p_t: np.ndarray) -> np.ndarray:
        """p(t|x) of the original inputs (n_x, n_t) from the merged ones (m, n_t); p(t) where p(x) = 0."""
        out = np.empty((self.groups.shape[0], q.shape[1]))
        alive = self.groups >= 0
        out[alive] = q[self.groups[alive]]
        out[~alive] = p_t
        return out

    def reduce(self, q_full: np.ndarray) -> np.ndarray:
        """p(t|x') of the merged inputs: the p(x)-weighted mean of the rows of each group."""
        alive = self.groups >= 0
        out = np.zeros((self.m, q_full.shape[1]))
        counts = np.zeros(self.m)
        np.add.at(out, self.groups[alive], q_full[alive])
        np.add.at(counts, self.groups[alive], 1.0)
        return out / counts[:, None]


def _table_problem(p_xy, kind: str, merge: bool) -> _Problem:
    p_xy = check_distribution(p_xy, "p_xy", ndim=2)
    merge = as_flag("merge", merge)
    if merge:
        merged, groups = merge_inputs(p_xy)
    else:
        p_x_full = p_xy.sum(axis=1)
        alive = p_x_full > 0
        merged = p_xy[alive]
        groups = np.full(p_xy.shape[0], -1, dtype=np.int64)
        groups[alive] = np.arange(int(alive.sum()))
    p_x = merged.sum(axis=1)
    p_y_given_x = merged / p_x[:, None]
    if kind == "dualib" and (p_y_given_x <= 0).any():
        raise ValueError(
            "kind='dualib' needs p(y|x) > 0 for every input with p(x) > 0 (its decoder is a geometric mean "
            "of p(y|x) and its distortion D_KL[p(y|t) || p(y|x)] is infinite where p(y|x) = 0); "
            "add label noise, e.g. datasets.noisy_labels(y, epsilon)"
        )
    with np.errstate(divide="ignore"):
        log_p = np.maximum(np.log(p_y_given_x), _TINY_LOG)
    return _Problem(p_x=p_x, groups=groups, p_y_given_x=p_y_given_x, log_p_y_given_x=log_p)


# ----------------------------------------------------------------------------------------------
# Models: decoder and distortion of each kind (the only place where the kinds differ)
# ----------------------------------------------------------------------------------------------


class _IBModel:
    """d(x,t) = D_KL[p(y|x) || p(y|t)] with the Markov decoder p(y|t) = Σ_x p(y|x) p(x|t)."""

    kind = "ib"

    def __init__(self, problem: _Problem):
        self.pr = problem
        self.neg_h = xlogy(problem.p_y_given_x, problem.p_y_given_x).sum(axis=1)  # Σ_y p log p, (m,)

    def decode(self, p_x_given_t: np.ndarray) -> np.ndarray:
        return p_x_given_t.T @ self.pr.p_y_given_x  # (n_t, n_y)

    def distortion(self, decoder: np.ndarray) -> np.ndarray:
        log_dec = np.log(np.maximum(decoder, _TINY))
        return self.neg_h[:, None] - self.pr.p_y_given_x @ log_dec.T  # (m, n_t), nats

    def tables(self, decoder: np.ndarray) -> np.ndarray:
        return decoder


class _DualIBModel:
    """d(x,t) = D_KL[p(y|t) || p(y|x)] with the decoder p(y|t) ∝ exp Σ_x p(x|t) log p(y|x)."""

    kind = "dualib"

    def __init__(self, problem: _Problem):
        self.pr = problem

    def decode(self, p_x_given_t: np.ndarray) -> np.ndarray:
        return _normalise_log(p_x_given_t.T @ self.pr.log_p_y_given_x)  # log p(y|t), (n_t, n_y)

    def distortion(self, log_dec: np.ndarray) -> np.ndarray:
        dec = np.exp(log_dec)
        return (dec * log_dec).sum(axis=1)[None, :] - self.pr.log_p_y_given_x @ dec.T

    def tables(self, log_dec: np.ndarray) -> np.ndarray:
        return np.exp(log_dec)


class _ExpFamilyDualModel:
    """The dual IB on natural parameters: θ_t = Σ_x p(x|t) θ(x), d(x,t) = KL[p_θt || p_θx] (a Bregman divergence)."""

    kind = "dualib"

    def __init__(self, problem: _Problem, family: ExponentialFamily):
        self.pr = problem
        self.family = family
        self.a_x = np.asarray(family.log_partition(problem.theta), dtype=np.float64)  # (m,)

    def decode(self, p_x_given_t: np.ndarray) -> np.ndarray:
        return p_x_given_t.T @ self.pr.theta  # (n_t, k)

    def distortion(self, theta_t: np.ndarray) -> np.ndarray:
        a_t = np.asarray(self.family.log_partition(theta_t), dtype=np.float64)  # (n_t,)
        mu_t = np.asarray(self.family.mean(theta_t), dtype=np.float64)  # (n_t, k)
        # KL[p_θt || p_θx] = A(θx) − A(θt) − (θx − θt)·∇A(θt)
        return self.a_x[:, None] - a_t[None, :] - self.pr.theta @ mu_t.T + (theta_t * mu_t).sum(axis=1)[None, :]

    def tables(self, theta_t: np.ndarray) -> np.ndarray | None:
        if self.family.sufficient_statistics is None:
            return None
        return self.family.probabilities(theta_t)


def _model(problem: _Problem, kind: str):
    return _IBModel(problem) if kind == "ib" else _DualIBModel(problem)


# ----------------------------------------------------------------------------------------------
# The iteration (shared by every kind)
# ----------------------------------------------------------------------------------------------


def _lse(z: np.ndarray) -> np.ndarray:
    """log Σ exp over the last axis, keeping it (a lean scipy.special.logsumexp for the inner loop)."""
    top = z.max(axis=-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    return top + np.log(np.exp(z - top).sum(axis=-1, keepdims=True))


def _normalise_log(log_q: np.ndarray) -> np.ndarray:
    """Rows of log-probabilities normalised: log_q − log Σ_t exp(log_q) (every row has a finite entry)."""
    z = log_q - log_q.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def _posterior(p_x: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """p(t) (n_t,) and p(x|t) (m, n_t); a cluster with p(t) = 0 gets p(x|t) = p(x) (it is never used)."""
    p_t = p_x @ q
    joint = p_x[:, None] * q
    dead = p_t <= 0
    if dead.any():
        joint[:, dead] = p_x[:, None]
        p_x_given_t = joint / np.where(dead, 1.0, p_t)
    else:
        p_x_given_t = joint / p_t
    return p_t, p_x_given_t


def _step(model, p_x: np.ndarray, q: np.ndarray, beta: float):
    """One application of the self-consistent equations: new log p(t|x), and the decoder used."""
    p_t, p_x_given_t = _posterior(p_x, q)
    decoder = model.decode(p_x_given_t)
    d = model.distortion(decoder)
    with np.errstate(divide="ignore"):
        log_q = np.log(p_t)[None, :] - beta * d
    return _normalise_log(log_q), decoder


def _apply(model, p_x: np.ndarray, log_q: np.ndarray, q: np.ndarray, beta: float):
    """One pass of the equations from p(t|x) = q: the new (log q, q) and the Lagrangian of q (nats).

    The Lagrangian I(X;T) + β E d(X,T) of the input q comes for free: p(t) and d are computed anyway.
    """
    p_t = p_x @ q
    if p_t.min() > 0:
        p_x_given_t = (p_x[:, None] * q) / p_t
    else:
        p_t, p_x_given_t = _posterior(p_x, q)
    d = model.distortion(model.decode(p_x_given_t))
    log_pt = np.log(np.maximum(p_t, _TINY))  # an empty cluster gets log p(t) ≈ −708 and stays empty
    z = log_pt - beta * d
    lagrangian = float(p_x @ (q * (log_q - z)).sum(axis=1))
    z -= z.max(axis=1, keepdims=True)
    z -= np.log(np.exp(z).sum(axis=1, keepdims=True))
    return z, np.exp(z), lagrangian


def _solve(model, beta: float, log_q: np.ndarray, tol: float, max_iter: int, accelerate: bool = True):
    """Iterate to a fixed point: max_{x,t} |Δ p(t|x)| < tol. Returns (log_q, n_iter, converged, delta).

    With ``accelerate``, SQUAREM (Varadhan & Roland 2008): every two passes x → F(x) → F(F(x)), a step
    of length α along the extrapolated path x − 2αr + α²v (r, v the first and second differences of
    log p(t|x)), kept only if it does not increase the Lagrangian, which the plain passes never increase
    (both kinds are alternating minimisations). Near critical β, where plain passes converge as λ^n
    with λ → 1, this saves most passes. ``n_iter`` counts passes.
    """
    accelerate = as_flag("accelerate", accelerate)
    p_x = model.pr.p_x
    x0 = np.maximum(log_q, _TINY_LOG)
    q0 = np.exp(x0)
    delta = np.inf
    n = 0
    while n < max_iter:
        x1, q1, _ = _apply(model, p_x, x0, q0, beta)
        n += 1
        delta = float(np.abs(q1 - q0).max())
        if delta < tol or n >= max_iter:
            return x1, n, delta < tol, delta
        if not accelerate:
            x0, q0 = x1, q1
            continue
        x2, q2, lag1 = _apply(model, p_x, x1, q1, beta)
        n += 1
        delta = float(np.abs(q2 - q1).max())
        if delta < tol or n >= max_iter:
            return x2, n, delta < tol, delta
        r = x1 - x0
        v = x2 - x1 - r
        norm_v = float(np.sqrt((v * v).sum()))
        if norm_v == 0.0:
            x0, q0 = x2, q2
            continue
        alpha = min(-float(np.sqrt((r * r).sum())) / norm_v, -1.0)
        xp = x0 - 2.0 * alpha * r + alpha * alpha * v
        if not np.isfinite(xp).all():
            x0, q0 = x2, q2
            continue
        xp = np.maximum(_normalise_log(xp), _TINY_LOG)
        x3, q3, lag_p = _apply(model, p_x, xp, np.exp(xp), beta)
        n += 1
        if lag_p <= lag1:
            x0, q0 = x3, q3
        else:
            x0, q0 = x2, q2
    return x0, n, False, delta


def _count_clusters(p_t: np.ndarray, p_x_given_t: np.ndarray, cluster_tol: float, mass_tol: float) -> int:
    """Effective clusters: clusters with p(t) > mass_tol, those whose p(x|t) are within cluster_tol
    in total variation counted once (equal p(x|t) means equal decoder and equal encoder column)."""
    alive = np.flatnonzero(p_t > mass_tol)
    reps: list[np.ndarray] = []
    for t in alive[np.argsort(-p_t[alive])]:
        col = p_x_given_t[:, t]
        if not any(0.5 * np.abs(col - r).sum() < cluster_tol for r in reps):
            reps.append(col)
    return len(reps)


# ----------------------------------------------------------------------------------------------
# Solutions
# ----------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)
class IBSolution:
    """A fixed point of the IB (or dual-IB) self-consistent equations at one β.

    Attributes
    ----------
    kind : str
        ``"ib"`` or ``"dualib"``.
    beta : float
        The trade-off parameter β (> 0).
    p_t_given_x : ndarray, shape (n_x, n_t)
        The encoder p(t|x) of the original inputs (rows sum to 1; p(t) for inputs with p(x) = 0).
    p_t : ndarray, shape (n_t,)
        Cluster probabilities p(t).
    p_y_given_t : ndarray, shape (n_t, n_y), or None
        The Markov decoder Σ_x p(y|x) p(x|t), used for ``i_ty`` for both kinds (None for an exponential
        family without a finite table).
    decoder : ndarray, shape (n_t, n_y), or None
        The kind's own decoder: equal to ``p_y_given_t`` for ``"ib"``, the normalised geometric mean
        Π_x p(y|x)^{p(x|t)} for ``"dualib"`` (None for a non-finite exponential family).
    i_xt : float
        I(X;T) in bits.
    i_ty : float
        I(T;Y) in bits with the Markov decoder (NaN for a non-finite exponential family).
    distortion : float
        E_{p(x,t)} d(x,t) of the kind's distortion, in bits (for ``"ib"``: I(X;Y) − I(T;Y)).
    n_clusters : int
        Effective clusters: clusters with p(t) > 1e-6 and distinct p(x|t) (total variation > ``cluster_tol``).
    n_iter : int
        Iterations used.
    converged : bool
        Whether max |Δ p(t|x)| fell below ``tol`` within ``max_iter`` iterations.
    delta : float
        The last max |Δ p(t|x)|.
    theta_t : ndarray, shape (n_t, k), or None
        Decoder natural parameters Σ_x p(x|t) θ(x) (exponential-family dual IB only).
    """

    kind: str
    beta: float
    p_t_given_x: np.ndarray
    p_t: np.ndarray
    p_y_given_t: np.ndarray | None
    decoder: np.ndarray | None
    i_xt: float
    i_ty: float
    distortion: float
    n_clusters: int
    n_iter: int
    converged: bool
    delta: float
    theta_t: np.ndarray | None = None

    @property
    def lagrangian(self) -> float:
        """I(X;T) + β E d(X,T), in bits: the functional the iteration decreases."""
        return self.i_xt + self.beta * self.distortion


def _measure(model, beta: float, log_q: np.ndarray, cluster_tol: float):
    """Everything reported about an encoder (merged inputs): a dict of IBSolution fields."""
    pr = model.pr
    q = np.exp(log_q)
    p_t, p_x_given_t = _posterior(pr.p_x, q)
    params = model.decode(p_x_given_t)
    d = model.distortion(params)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_pt = np.log(p_t)
        terms = np.where(q > 0, q * (log_q - log_pt[None, :]), 0.0)
    i_xt = max(float(pr.p_x @ terms.sum(axis=1)), 0.0) / _LN2
    distortion = float(pr.p_x @ (q * d).sum(axis=1)) / _LN2
    if pr.p_y_given_x is not None:
        markov = p_x_given_t.T @ pr.p_y_given_x
        p_y = p_t @ markov
        i_ty = max(float((p_t[:, None] * rel_entr(markov, p_y[None, :])).sum()), 0.0) / _LN2
    else:
        markov, i_ty = None, float("nan")
    return {
        "p_t": p_t,
        "p_y_given_t": markov,
        "decoder": model.tables(params),
        "i_xt": i_xt,
        "i_ty": i_ty,
        "distortion": distortion,
        "n_clusters": _count_clusters(p_t, p_x_given_t, cluster_tol, 1e-6),
        "theta_t": params if isinstance(model, _ExpFamilyDualModel) else None,
    }


def _check_encoder(q, problem: _Problem, name: str) -> np.ndarray:
    """``q`` as a float64 encoder p(t|x) of the problem's n_x inputs, or ``ValueError`` naming ``name``."""
    q = as_array(name, q, finite=False, nonempty=False).astype(np.float64)
    n_x = problem.groups.shape[0]
    if q.ndim != 2 or q.shape[0] != n_x:
        raise ValueError(f"{name} must be an encoder p(t|x) of shape (n_x={n_x}, n_t), got shape {q.shape}")
    if not np.isfinite(q).all() or (q < 0).any() or not np.allclose(q.sum(axis=1), 1.0, atol=1e-6):
        raise ValueError(f"{name} must hold probabilities p(t|x) ≥ 0 whose rows sum to 1")
    return q


def _initial(problem: _Problem, n_t: int, init, rng: np.random.Generator) -> np.ndarray:
    """Initial log p(t|x) (m, n_t) of the merged inputs."""
    m = problem.m
    if init is None or (isinstance(init, str) and init == "random"):
        return _normalise_log(rng.standard_normal((m, n_t)))
    if isinstance(init, str):
        if init == "trivial":
            return _normalise_log(1e-3 * rng.standard_normal((m, n_t)))
        if init == "identity":
            q = np.full((m, n_t), 1e-8)
            q[np.arange(m), np.arange(m) % n_t] = 1.0
            return np.log(q / q.sum(axis=1, keepdims=True))
        raise ValueError(f"init must be None, 'random', 'trivial', 'identity', an array or an IBSolution; got {init!r}")
    q_full = _check_encoder(init.p_t_given_x if isinstance(init, IBSolution) else init, problem, "init")
    with np.errstate(divide="ignore"):
        return _normalise_log(np.log(problem.reduce(q_full)))


def _n_clusters(problem: _Problem, n_clusters, init) -> int:
    if init is not None and not isinstance(init, str):
        q = init.p_t_given_x if isinstance(init, IBSolution) else np.asarray(init)
        if q.ndim == 2:
            if n_clusters is not None and n_clusters != q.shape[1]:
                raise ValueError(f"n_clusters={n_clusters} disagrees with init, which has {q.shape[1]} clusters")
            return int(q.shape[1])
    if n_clusters is None:
        return max(problem.m, 2)
    n_clusters = as_int("n_clusters", n_clusters, minimum=1)
    check_size("n_clusters", problem.m * n_clusters)
    return n_clusters


def _check_solver_args(tol, max_iter, cluster_tol=1e-3, seed=0) -> None:
    as_float("tol", tol, above=0.0)
    as_int("max_iter", max_iter, minimum=1)
    as_float("cluster_tol", cluster_tol, above=0.0, maximum=1.0)  # a total-variation distance
    as_seed("seed", seed)


def _solution(model, beta, log_q, n_iter, converged, delta, cluster_tol) -> IBSolution:
    fields = _measure(model, beta, log_q, cluster_tol)
    return IBSolution(
        kind=model.kind,
        beta=beta,
        p_t_given_x=model.pr.expand(np.exp(log_q), fields["p_t"]),
        n_iter=n_iter,
        converged=converged,
        delta=delta,
        **fields,
    )


def ib(
    p_xy,
    beta: float,
    n_clusters: int | None = None,
    init=None,
    tol: float = 1e-9,
    max_iter: int = 20_000,
    *,
    kind: str = "ib",
    seed: int = 0,
    merge: bool = True,
    cluster_tol: float = 1e-3,
    accelerate: bool = True,
) -> IBSolution:
    """Solve the IB (or dual-IB) self-consistent equations at one β by iterating them to a fixed point.

    Parameters
    ----------
    p_xy : array_like, shape (n_x, n_y)
        Joint distribution p(x, y) (sums to 1). For ``kind="dualib"``, p(y|x) must be > 0.
    beta : float
        Trade-off β > 0 (unit-free): larger β keeps more information about Y.
    n_clusters : int, optional
        Number of clusters |T| (default: the number of distinct rows p(y|x), at least 2).
    init : None, "random", "trivial", "identity", ndarray (n_x, n_t) or IBSolution
        Initial encoder: a random one from ``seed`` (default), the trivial p(t|x) = p(t) slightly
        perturbed, one cluster per distinct input, or a given p(t|x) (warm start).
    tol : float
        Stop when max_{x,t} |Δ p(t|x)| between two iterations is below ``tol``.
    max_iter : int
        At most this many iterations (the solution then has ``converged=False``).
    kind : {"ib", "dualib"}
        The IB of Tishby et al. (1999) or the dual IB of Piran et al. (2020).
    seed : int
        Seed of the random initial encoder.
    merge : bool
        Merge inputs with identical p(y|x) first (:func:`merge_inputs`; exact, and much faster).
    cluster_tol : float
        Two clusters count as one in ``n_clusters`` when their p(x|t) differ by less than this
        (total variation).
    accelerate : bool
        Extrapolate the iteration (SQUAREM, kept only where it lowers the Lagrangian); ``False`` runs the
        plain self-consistent iteration.

    Returns
    -------
    IBSolution
        Encoder, decoders, I(X;T) and I(T;Y) in bits, and convergence information.

    Raises
    ------
    ValueError
        If ``p_xy`` is not a distribution, β ≤ 0, ``kind`` is unknown, ``init`` has the wrong shape,
        or ``kind="dualib"`` meets p(y|x) = 0.

    Source: Tishby, Pereira & Bialek (1999): the self-consistent equations of the IB and their convergent
    re-estimation (generalised Blahut–Arimoto) algorithm; Piran, Shwartz-Ziv & Tishby (2020): the dual-IB
    equations, iterated the same way.

    >>> import numpy as np
    >>> p_xy = np.array([[0.45, 0.05], [0.05, 0.45]])   # a binary symmetric channel, ε = 0.1
    >>> round(ib(p_xy, beta=0.5).i_xt, 6)                # below β_c = 1/0.8² ≈ 1.56: trivial T
    0.0
    >>> round(ib(p_xy, beta=50.0).i_ty, 3)               # large β: T keeps all of I(X;Y)
    0.531
    """
    kind = _check_kind(kind)
    beta = _check_beta(beta)
    _check_solver_args(tol, max_iter, cluster_tol, seed)
    problem = _table_problem(p_xy, kind, merge)
    n_t = _n_clusters(problem, n_clusters, init)
    log_q = _initial(problem, n_t, init, np.random.default_rng(seed))
    model = _model(problem, kind)
    log_q, n_iter, converged, delta = _solve(model, beta, log_q, tol, max_iter, accelerate)
    return _solution(model, beta, log_q, n_iter, converged, delta, cluster_tol)


def self_consistency_error(p_xy, p_t_given_x, beta: float, kind: str = "ib") -> float:
    """How far an encoder is from a fixed point: max_{x,t} |F(p(t|x)) − p(t|x)|.

    F is one application of the self-consistent equations of ``kind`` (p(t), then the decoder, then
    p(t|x) ∝ p(t) exp(−β d(x,t))). Zero exactly at a fixed point. Also usable on the encoder of a
    network layer, to ask whether it satisfies the IB equations (as Shwartz-Ziv & Tishby 2017 ask of converged layers).

    Parameters
    ----------
    p_xy : array_like, shape (n_x, n_y)
    p_t_given_x : array_like, shape (n_x, n_t), rows sum to 1
    beta : float, > 0
    kind : {"ib", "dualib"}

    Returns
    -------
    float, the largest change of any p(t|x) (inputs with p(x) = 0 ignored).

    Raises
    ------
    ValueError
        On invalid distributions, shapes, β ≤ 0 or kind.
    """
    kind = _check_kind(kind)
    beta = _check_beta(beta)
    problem = _table_problem(p_xy, kind, merge=False)
    q = _check_encoder(p_t_given_x, problem, "p_t_given_x")[problem.groups >= 0]
    log_q, _ = _step(_model(problem, kind), problem.p_x, q, beta)
    return float(np.abs(np.exp(log_q) - q).max())


# ----------------------------------------------------------------------------------------------
# Annealing: the IB curve
# ----------------------------------------------------------------------------------------------


class Bifurcation(NamedTuple):
    """A change of the number of effective clusters between two neighbouring β of a curve."""

    beta_low: float
    beta_high: float
    n_before: int
    n_after: int

    @property
    def beta(self) -> float:
        """The estimate of the critical β: the geometric mean of the bracketing grid values."""
        return float(np.sqrt(self.beta_low * self.beta_high))


@dataclasses.dataclass(frozen=True, eq=False)
class IBCurve:
    """An IB (or dual-IB) curve traced by annealing β with warm starts.

    All arrays are ordered by increasing β, whatever the annealing direction.

    Attributes
    ----------
    kind : str
        ``"ib"`` or ``"dualib"``.
    direction : str
        ``"up"`` (annealed from small to large β, starting at the trivial solution), ``"down"``
        (from large to small β, starting with one cluster per distinct input) or ``"both"`` (at every β
        the better of the two, by the Lagrangian).
    betas : ndarray, shape (n_betas,)
        β values, increasing.
    i_xt, i_ty : ndarray, shape (n_betas,)
        I(X;T) and I(T;Y) in bits (I(T;Y) with the Markov decoder for both kinds).
    distortion : ndarray, shape (n_betas,)
        E d(X,T) of the kind's distortion, bits.
    n_clusters : ndarray of int, shape (n_betas,)
        Effective clusters at each β (see :attr:`IBSolution.n_clusters`).
    converged : ndarray of bool, shape (n_betas,)
    n_iter : ndarray of int, shape (n_betas,)
    i_xy : float
        I(X;Y) in bits, the limit of ``i_ty`` as β → ∞.
    h_x : float
        H(X') in bits of the merged input: the limit of ``i_xt`` as β → ∞.
    p_t : ndarray, shape (n_betas, n_t)
    p_y_given_t : ndarray, shape (n_betas, n_t, n_y) or None
        Markov decoders.
    decoder : ndarray, shape (n_betas, n_t, n_y) or None
        The kind's own decoders.
    p_t_given_x : ndarray, shape (n_betas, m, n_t) or None
        Encoders of the m merged inputs (``groups`` maps the original inputs to them); None if not kept.
    groups : ndarray of int, shape (n_x,)
        Merged input of every original input (−1 where p(x) = 0).
    theta_t : ndarray, shape (n_betas, n_t, k) or None
        Decoder natural parameters (exponential-family dual IB only).
    """

    kind: str
    direction: str
    betas: np.ndarray
    i_xt: np.ndarray
    i_ty: np.ndarray
    distortion: np.ndarray
    n_clusters: np.ndarray
    converged: np.ndarray
    n_iter: np.ndarray
    i_xy: float
    h_x: float
    p_t: np.ndarray
    p_y_given_t: np.ndarray | None
    decoder: np.ndarray | None
    p_t_given_x: np.ndarray | None
    groups: np.ndarray
    theta_t: np.ndarray | None = None

    @property
    def bifurcations(self) -> list[Bifurcation]:
        """Every increase of the number of effective clusters as β grows (see :func:`bifurcations`)."""
        return bifurcations(self)

    @property
    def critical_betas(self) -> np.ndarray:
        """Estimated critical β of the splits, shape (n_splits,): geometric means of the brackets."""
        return np.array([b.beta for b in bifurcations(self)])

    @property
    def slope(self) -> np.ndarray:
        """dI(T;Y)/dI(X;T) by central differences, shape (n_betas,) (NaN where I(X;T) does not move).

        On the IB curve it equals 1/β (Tishby et al. 1999)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            dx = np.gradient(self.i_xt)
            dy = np.gradient(self.i_ty)
            return np.where(np.abs(dx) > 1e-9, dy / dx, np.nan)

    def summary(self, split_digits: int = 2) -> dict[str, float | int | str]:
        """The numbers the chapters quote about an annealed curve, flat, for ``myst_nb.glue``.

        ``i_xy`` and ``h_x`` (bits, the end of the curve), ``n_clusters_max``, ``slope_error_pct`` (median
        over the β where I(X;T) moves of |slope · β − 1|, in %: 0 on an exact IB curve, whose slope is 1/β,
        Tishby et al. 1999), ``first_split_low`` / ``first_split_high`` (the grid values around the first
        split, NaN without one) and ``splits`` (:attr:`critical_betas` as text, ``split_digits`` decimals,
        comma-separated; "" without splits).
        """
        finite = np.isfinite(self.slope)
        first = self.bifurcations[0] if self.bifurcations else Bifurcation(np.nan, np.nan, 0, 0)
        slope_error = np.median(np.abs(self.slope[finite] * self.betas[finite] - 1)) if finite.any() else np.nan
        return {
            "i_xy": float(self.i_xy), "h_x": float(self.h_x), "n_clusters_max": int(self.n_clusters.max()),
            "slope_error_pct": 100 * float(slope_error),
            "first_split_low": float(first.beta_low), "first_split_high": float(first.beta_high),
            "splits": ", ".join(f"{b:.{split_digits}f}" for b in self.critical_betas),
        }


def bifurcations(curve: IBCurve) -> list[Bifurcation]:
    """The cluster splits of an annealed curve: where the number of effective clusters grows with β.

    Parameters
    ----------
    curve : IBCurve

    Returns
    -------
    list of Bifurcation
        One per increase of ``curve.n_clusters`` between neighbouring β, in increasing β; each brackets
        the critical β between two grid values (``.beta`` is their geometric mean).
    """
    n = np.asarray(curve.n_clusters)
    out = []
    for k in np.flatnonzero(np.diff(n) > 0):
        out.append(Bifurcation(float(curve.betas[k]), float(curve.betas[k + 1]), int(n[k]), int(n[k + 1])))
    return out


def _sweep(
    model, betas, n_t, direction, tol, max_iter, rng, perturbation, cluster_tol, keep_encoders, progress, accelerate
):
    """Solve at every β in the order of ``direction``, each from the previous solution."""
    pr = model.pr
    order = np.arange(betas.size) if direction == "up" else np.arange(betas.size)[::-1]
    log_q = _initial(pr, n_t, "trivial" if direction == "up" else "identity", rng)
    records: list[dict] = [{}] * betas.size
    steps = progress(order) if progress is not None else order
    for k in steps:
        if perturbation > 0:
            # Deterministic annealing: a small random kick lets clusters that coincide split when the
            # current solution loses stability (otherwise a symmetric solution stays a fixed point).
            log_q = _normalise_log(log_q + perturbation * rng.standard_normal(log_q.shape))
        log_q, n_iter, converged, _ = _solve(model, float(betas[k]), log_q, tol, max_iter, accelerate)
        rec = _measure(model, float(betas[k]), log_q, cluster_tol)
        rec.update(n_iter=n_iter, converged=converged, encoder=np.exp(log_q) if keep_encoders else None)
        records[k] = rec
    return records


#: Default solver settings of the annealed curves (:func:`ib_curve`'s keyword defaults).
_ANNEAL_DEFAULTS = dict(tol=1e-9, max_iter=20_000, seed=0, perturbation=1e-3, cluster_tol=1e-3, keep_encoders=True,
                        progress=None, accelerate=True)


def _anneal(model, betas, n_clusters, direction, tol, max_iter, seed, perturbation, cluster_tol, keep_encoders,
            progress, accelerate) -> IBCurve:
    """The curve of ``model`` (its problem ``model.pr``) annealed over ``betas``: the one body of
    :func:`ib_curve` and :func:`exponential_family_dual_ib_curve`, whose parameters these are."""
    betas = _check_betas(betas)
    _check_solver_args(tol, max_iter, cluster_tol, seed)
    n_t = _n_clusters(model.pr, n_clusters, None)
    if direction not in ("up", "down", "both"):
        raise ValueError(f"direction must be 'up', 'down' or 'both', got {direction!r}")
    as_float("perturbation", perturbation, minimum=0.0)
    pr = model.pr
    rng = np.random.default_rng(seed)
    args = (tol, max_iter, rng, perturbation, cluster_tol, keep_encoders, progress, accelerate)
    if direction == "both":
        up = _sweep(model, betas, n_t, "up", *args)
        down = _sweep(model, betas, n_t, "down", *args)
        # Keep, at every β, the solution of lower Lagrangian I(X;T) + β E d (the better local optimum).
        records = [
            u if u["i_xt"] + b * u["distortion"] <= d["i_xt"] + b * d["distortion"] else d
            for b, u, d in zip(betas, up, down, strict=True)
        ]
    else:
        records = _sweep(model, betas, n_t, direction, *args)

    def stack(key, dtype=np.float64):
        return np.array([r[key] for r in records], dtype=dtype)

    def stack_or_none(key):
        return None if records[0][key] is None else np.stack([r[key] for r in records])

    return IBCurve(
        kind=model.kind,
        direction=direction,
        betas=betas,
        i_xt=stack("i_xt"),
        i_ty=stack("i_ty"),
        distortion=stack("distortion"),
        n_clusters=stack("n_clusters", np.int64),
        converged=stack("converged", bool),
        n_iter=stack("n_iter", np.int64),
        i_xy=_i_xy(pr),
        h_x=float(-xlogy(pr.p_x, pr.p_x).sum()) / _LN2,
        p_t=stack_or_none("p_t"),
        p_y_given_t=stack_or_none("p_y_given_t"),
        decoder=stack_or_none("decoder"),
        p_t_given_x=stack_or_none("encoder"),
        groups=pr.groups,
        theta_t=stack_or_none("theta_t"),
    )


def _i_xy(problem: _Problem) -> float:
    if problem.p_y_given_x is None:
        return float("nan")
    p_y = problem.p_x @ problem.p_y_given_x
    return max(float((problem.p_x[:, None] * rel_entr(problem.p_y_given_x, p_y[None, :])).sum()), 0.0) / _LN2


def ib_curve(
    p_xy,
    betas,
    kind: str = "ib",
    *,
    direction: str = "up",
    n_clusters: int | None = None,
    tol: float = 1e-9,
    max_iter: int = 20_000,
    seed: int = 0,
    perturbation: float = 1e-3,
    merge: bool = True,
    cluster_tol: float = 1e-3,
    keep_encoders: bool = True,
    progress: Callable[[Iterable], Iterable] | None = None,
    accelerate: bool = True,
) -> IBCurve:
    """Trace the IB (or dual-IB) curve by deterministic annealing: solve at each β from the previous one.

    Parameters
    ----------
    p_xy : array_like, shape (n_x, n_y)
        Joint distribution p(x, y). For ``kind="dualib"``, p(y|x) must be > 0.
    betas : array_like, shape (n_betas,)
        Distinct β > 0 (sorted internally; a fine grid resolves the splits).
    kind : {"ib", "dualib"}
        Which self-consistent equations (same iteration, different distortion and decoder).
    direction : {"up", "down", "both"}
        ``"up"``: from the smallest β, starting near the trivial solution p(t|x) = p(t); clusters split
        as β grows, each where the current solution loses stability (the first at :func:`critical_beta`).
        ``"down"``: from the largest β, starting with one cluster per distinct input; clusters merge as
        β falls (the dual-IB paper anneals this way). ``"both"``: both sweeps, keeping at every β the
        solution with the lower Lagrangian I(X;T) + β E d. Where a transition is discontinuous
        (first order) the two sweeps disagree over a range of β (hysteresis) and ``"both"`` is the
        better approximation of the optimal curve.
    n_clusters : int, optional
        |T| (default: the number of distinct rows p(y|x), at least 2).
    tol, max_iter
        Convergence at each β, as in :func:`ib`.
    seed : int
        Seed of the initial encoder and of the perturbations.
    perturbation : float
        Before solving at each β the warm-start encoder is multiplied by exp(perturbation · N(0, 1))
        (then renormalised), so that coinciding clusters can split where the solution loses stability.
    merge : bool
        Merge inputs with identical p(y|x) first (exact; :func:`merge_inputs`).
    cluster_tol : float
        Tolerance for counting effective clusters (total variation between p(x|t)).
    keep_encoders : bool
        Keep every encoder (``p_t_given_x`` of shape (n_betas, m, n_t)).
    progress : callable, optional
        Wraps the loop over β (e.g. ``ipflow_lib.runtime.progress``).
    accelerate : bool
        As in :func:`ib`.

    Returns
    -------
    IBCurve
        Arrays ordered by increasing β.

    Raises
    ------
    ValueError
        On an invalid ``p_xy``, β ≤ 0, repeated β, unknown ``kind`` or ``direction``.

    Source: Tishby, Pereira & Bialek (1999) (IB curves by annealing β; deterministic annealing, Rose 1998);
    Piran, Shwartz-Ziv & Tishby (2020) (dual-IB curves, annealed from high to low β).
    """
    kind = _check_kind(kind)
    model = _model(_table_problem(p_xy, kind, merge), kind)
    return _anneal(model, betas, n_clusters, direction, tol, max_iter, seed, perturbation, cluster_tol,
                   keep_encoders, progress, accelerate)


# ----------------------------------------------------------------------------------------------
# The first critical β: linear stability of the trivial solution
# ----------------------------------------------------------------------------------------------


def critical_beta(p_xy, kind: str = "ib") -> float:
    r"""The first critical β: where the trivial solution p(t|x) = p(t) stops being a stable fixed point.

    **IB.** Perturb the trivial fixed point, p(t|x) = p(t)(1 + ε u_t(x)) with Σ_t p(t) u_t(x) = 0, and
    write u_t = ū_t + v_t(x) with E_{p(x)} v_t = 0. One pass of the equations gives, to first order,
    p(y|t) = p(y)(1 + ε Σ_x p(x|y) v_t(x)) and then

    .. math:: v_t' = \beta\, M v_t, \qquad M(x, x') = \sum_y p(y|x)\, p(x'|y),

    while ū_t (moving mass between identical clusters) is neutral (eigenvalue 1). M is a stochastic
    matrix, self-adjoint for the inner product weighted by p(x), with eigenvalues 1 = λ_1 ≥ λ_2 ≥ … ≥ 0
    (the squared singular values of p(x,y)/√(p(x)p(y))); λ_1 belongs to the constant vector, which is
    excluded. The trivial solution is stable while β λ_2 < 1, so

    .. math:: \beta_c = 1/\lambda_2 = 1/\rho_m^2(X;Y),

    with ρ_m the Hirschfeld–Gebelein–Rényi maximal correlation of X and Y: the first phase transition
    found by a second-order (stability) analysis of the IB Lagrangian (Wu & Fischer 2020: each transition
    picks up a component of maximal correlation between X and Y). Annealing β upwards leaves the trivial
    solution exactly there. Caveat: β_c is where the trivial solution stops being a *local* optimum.
    When the transition is discontinuous (typical for asymmetric p(x, y)) a non-trivial solution with
    a lower Lagrangian already exists below β_c; the true onset of learning is 1/s*(X;Y) ≤ 1/ρ_m², with
    s* the strong data-processing constant (Anantharam et al. 2013; Ngampruetikorn & Schwab 2021).
    ``ib_curve(..., direction="both")`` finds that earlier branch by annealing down.

    **Dual IB.** The same perturbation around the trivial fixed point, whose decoder is the
    normalised geometric mean q_0(y) ∝ exp Σ_x p(x) log p(y|x), gives
    log p(y|t) = log q_0(y) + ε (g_t(y) − E_{q_0} g_t) with g_t(y) = Σ_x p(x) v_t(x) log p(y|x), and the
    first variation of d(x,t) = D_KL[p(y|t) || p(y|x)] is −ε Cov_{q_0}(g_t, log p(y|x)) plus a term that
    does not depend on x (it only moves mass between clusters). Hence

    .. math:: v_t' = \beta\, K P v_t, \qquad K(x, x') = \mathrm{Cov}_{q_0}\!\big(\ell_x, \ell_{x'}\big),
              \quad \ell_x(y) = \log p(y|x) - \textstyle\sum_{x''} p(x'') \log p(y|x''),

    with P = diag p(x). K P is self-adjoint in the p(x)-weighted inner product and positive
    semi-definite, so β_c^dual = 1/λ_max(K P) (our derivation, following the IB case above). For an
    exponential family p(y|x) = h(y) exp(θ(x)·s(y) − A(θ(x))), K P has the nonzero eigenvalues of
    Cov_{p(x)}[θ(X)] ∇²A(θ̄) with θ̄ = E θ(X) (see :func:`critical_beta_exponential_family`). To
    second order in the differences between the rows p(y|x), both kinds have the same β_c.

    Parameters
    ----------
    p_xy : array_like, shape (n_x, n_y)
        Joint distribution (for ``"dualib"``, p(y|x) > 0).
    kind : {"ib", "dualib"}

    Returns
    -------
    float
        β_c (``inf`` when X and Y are independent: the trivial solution is then optimal for every β).

    Raises
    ------
    ValueError
        On an invalid ``p_xy`` or kind, or p(y|x) = 0 with ``kind="dualib"``.

    >>> import numpy as np
    >>> round(critical_beta(np.array([[0.45, 0.05], [0.05, 0.45]])), 4)   # BSC: 1/(1 − 2ε)²
    1.5625
    """
    kind = _check_kind(kind)
    problem = _table_problem(p_xy, kind, merge=True)
    p_x, cond = problem.p_x, problem.p_y_given_x
    if kind == "ib":
        p_y = p_x @ cond
        keep = p_y > 0
        b = np.sqrt(p_x)[:, None] * cond[:, keep] / np.sqrt(p_y[keep])[None, :]
        s = np.linalg.svd(b, compute_uv=False)
        lam = float(s[1] ** 2) if s.size > 1 else 0.0
    else:
        ell = problem.log_p_y_given_x - p_x @ problem.log_p_y_given_x  # centred over x, (m, n_y)
        log_q0 = p_x @ problem.log_p_y_given_x
        q0 = np.exp(log_q0 - logsumexp(log_q0))
        ell = ell - (ell @ q0)[:, None]  # centred under q0
        a = np.sqrt(p_x)[:, None] * ell * np.sqrt(q0)[None, :]  # K P ~ a a^T (similar matrices)
        lam = float(np.linalg.eigvalsh(a.T @ a).max()) if a.size else 0.0
    return float("inf") if lam <= 1e-15 else 1.0 / lam


# ----------------------------------------------------------------------------------------------
# The dual IB of an exponential family
# ----------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)
class ExponentialFamily:
    """An exponential family p(y|θ) = h(y) exp(θ·s(y) − A(θ)), θ ∈ R^k.

    Attributes
    ----------
    log_partition : callable
        A(θ): array (..., k) -> array (...), in nats.
    mean : callable
        ∇A(θ) = E_θ[s(Y)]: array (..., k) -> array (..., k).
    covariance : callable
        ∇²A(θ) = Cov_θ[s(Y)]: array (k,) -> array (k, k).
    sufficient_statistics : ndarray, shape (n_y, k), or None
        s(y) for a finite outcome space (then tables p(y|θ) exist).
    log_base_measure : ndarray, shape (n_y,), or None
        log h(y) for a finite outcome space.
    name : str
    """

    log_partition: Callable[[np.ndarray], np.ndarray]
    mean: Callable[[np.ndarray], np.ndarray]
    covariance: Callable[[np.ndarray], np.ndarray]
    sufficient_statistics: np.ndarray | None = None
    log_base_measure: np.ndarray | None = None
    name: str = ""

    @classmethod
    def finite(cls, sufficient_statistics, log_base_measure=None, name: str = "") -> ExponentialFamily:
        """The family on a finite outcome space with statistics s(y) (n_y, k) and base measure log h(y) (n_y,).

        A(θ) = log Σ_y h(y) exp(θ·s(y)); its gradient and Hessian are the mean and covariance of s(Y).

        >>> fam = ExponentialFamily.finite([[-1.0], [1.0]])    # y in {-1, +1}, s(y) = y
        >>> fam.probabilities(np.array([[0.0]])).tolist()
        [[0.5, 0.5]]
        """
        s = as_array("sufficient_statistics", sufficient_statistics, finite=False).astype(np.float64)
        if s.ndim != 2 or s.shape[0] < 1 or s.shape[1] < 1:
            raise ValueError(f"sufficient_statistics must have shape (n_y, k), got {s.shape}")
        if not np.isfinite(s).all():
            raise ValueError("sufficient_statistics must be finite")
        log_h = np.zeros(s.shape[0]) if log_base_measure is None else np.asarray(log_base_measure, np.float64)
        if log_h.shape != (s.shape[0],):
            raise ValueError(f"log_base_measure must have shape (n_y={s.shape[0]},), got {log_h.shape}")

        def log_partition(theta):
            return _lse(np.asarray(theta) @ s.T + log_h)[..., 0]

        def probs(theta):
            z = np.asarray(theta) @ s.T + log_h
            return np.exp(z - _lse(z))

        def mean(theta):
            return probs(theta) @ s

        def covariance(theta):
            p = probs(np.asarray(theta).reshape(-1))
            mu = p @ s
            return (s - mu).T @ ((s - mu) * p[:, None])

        return cls(log_partition, mean, covariance, s, log_h, name)

    def probabilities(self, theta) -> np.ndarray:
        """p(y|θ) for a finite family: array (..., k) -> (..., n_y)."""
        if self.sufficient_statistics is None:
            raise ValueError(f"the family {self.name or ''} has no finite outcome space (no sufficient_statistics)")
        z = np.asarray(theta) @ self.sufficient_statistics.T + self.log_base_measure
        return np.exp(z - _lse(z))

    def natural_parameters(self, p_y_given_x, atol: float = 1e-8) -> np.ndarray:
        """θ(x) (n_x, k) with p(y|θ(x)) = p_y_given_x (n_x, n_y), by least squares on log p (finite family).

        Raises
        ------
        ValueError
            If some row is not in the family (residual above ``atol``) or has zeros.
        """
        if self.sufficient_statistics is None:
            raise ValueError("natural_parameters needs a finite family")
        p = np.asarray(p_y_given_x, dtype=np.float64)
        if p.ndim != 2 or p.shape[1] != self.sufficient_statistics.shape[0] or (p <= 0).any():
            raise ValueError(f"p_y_given_x must be positive with shape (n_x, {self.sufficient_statistics.shape[0]})")
        # log p(y|x) − log h(y) = θ(x)·s(y) − A(θ(x)): regress on [s(y), 1].
        design = np.column_stack([self.sufficient_statistics, np.ones(p.shape[1])])
        target = (np.log(p) - self.log_base_measure).T
        coef, *_ = np.linalg.lstsq(design, target, rcond=None)
        theta = coef[:-1].T
        if np.abs(self.probabilities(theta) - p).max() > atol:
            raise ValueError("p_y_given_x is not in this exponential family")
        return theta


def _expfam_problem(p_x, theta, family: ExponentialFamily, merge: bool) -> _Problem:
    merge = as_flag("merge", merge)
    if not isinstance(family, ExponentialFamily):
        raise TypeError(f"family must be an ExponentialFamily, got {type(family).__name__}")
    p_x = check_distribution(p_x, "p_x", ndim=1)
    theta = as_array("theta", theta, finite=False, nonempty=False).astype(np.float64)
    if theta.ndim != 2 or theta.shape[0] != p_x.shape[0]:
        raise ValueError(f"theta must have shape (n_x={p_x.shape[0]}, k), got {theta.shape}")
    if not np.isfinite(theta).all():
        raise ValueError("theta must be finite")
    alive = p_x > 0
    if merge:
        first, inverse = _group_rows(theta[alive], 12)
        m = first.size
        pm = np.zeros(m)
        np.add.at(pm, inverse, p_x[alive])
        theta_m = theta[alive][first]
    else:
        inverse = np.arange(int(alive.sum()))
        pm, theta_m = p_x[alive], theta[alive]
    groups = np.full(p_x.shape[0], -1, dtype=np.int64)
    groups[alive] = inverse
    cond = log_cond = None
    if family.sufficient_statistics is not None:
        cond = family.probabilities(theta_m)
        with np.errstate(divide="ignore"):
            log_cond = np.maximum(np.log(cond), _TINY_LOG)
    return _Problem(p_x=pm, groups=groups, p_y_given_x=cond, log_p_y_given_x=log_cond, theta=theta_m)


def exponential_family_dual_ib(
    p_x,
    theta,
    family: ExponentialFamily,
    beta: float,
    n_clusters: int | None = None,
    init=None,
    tol: float = 1e-9,
    max_iter: int = 20_000,
    *,
    seed: int = 0,
    merge: bool = True,
    cluster_tol: float = 1e-3,
    accelerate: bool = True,
) -> IBSolution:
    """The dual IB of an exponential-family p(y|x), on natural parameters only.

    If p(y|x) = h(y) exp(θ(x)·s(y) − A(θ(x))), the geometric-mean decoder Π_x p(y|x)^{p(x|t)} is again
    in the family, with θ_t = Σ_x p(x|t) θ(x), and the dual distortion is the Bregman divergence of A:
    d(x,t) = KL[p_θt || p_θx] = A(θ(x)) − A(θ_t) − (θ(x) − θ_t)·∇A(θ_t). The iteration therefore never
    needs p(y|x) as a table: Y may be continuous (e.g. a Gaussian of known variance). It is the same
    iteration as ``ib(..., kind="dualib")`` and gives the same fixed points on a finite family.

    Parameters
    ----------
    p_x : array_like, shape (n_x,)
    theta : array_like, shape (n_x, k)
        Natural parameters θ(x).
    family : ExponentialFamily
    beta, n_clusters, init, tol, max_iter, seed, merge, cluster_tol, accelerate
        As in :func:`ib` (``init`` arrays are p(t|x) of shape (n_x, n_t)).

    Returns
    -------
    IBSolution
        With ``kind="dualib"`` and ``theta_t`` (n_t, k). For a finite family also the tables
        (``decoder`` = p(y|θ_t), ``p_y_given_t`` the Markov decoder) and I(T;Y); otherwise those are
        None and ``i_ty`` is NaN.

    Raises
    ------
    TypeError
        If ``family`` is not an ExponentialFamily.
    ValueError
        On invalid p_x, theta shapes or β ≤ 0.

    Source: Piran, Shwartz-Ziv & Tishby (2020), the dual IB of exponential families.
    """
    beta = _check_beta(beta)
    _check_solver_args(tol, max_iter, cluster_tol, seed)
    problem = _expfam_problem(p_x, theta, family, merge)
    n_t = _n_clusters(problem, n_clusters, init)
    log_q = _initial(problem, n_t, init, np.random.default_rng(seed))
    model = _ExpFamilyDualModel(problem, family)
    log_q, n_iter, converged, delta = _solve(model, beta, log_q, tol, max_iter, accelerate)
    return _solution(model, beta, log_q, n_iter, converged, delta, cluster_tol)


def exponential_family_dual_ib_curve(
    p_x, theta, family: ExponentialFamily, betas, *, direction: str = "down", n_clusters: int | None = None,
    merge: bool = True, **options,
) -> IBCurve:
    """The annealed dual-IB curve of an exponential family (see :func:`exponential_family_dual_ib`).

    Same parameters and result as :func:`ib_curve` (default ``direction="down"``, as in the dual-IB
    paper); ``options`` are its solver settings ``tol``, ``max_iter``, ``seed``, ``perturbation``,
    ``cluster_tol``, ``keep_encoders``, ``progress`` and ``accelerate``, with the same defaults
    (another name raises ``TypeError``). The curve also holds ``theta_t`` of shape (n_betas, n_t, k).
    """
    unknown = set(options) - set(_ANNEAL_DEFAULTS)
    if unknown:
        raise TypeError(f"unknown solver options {sorted(unknown)}; expected some of {sorted(_ANNEAL_DEFAULTS)}")
    model = _ExpFamilyDualModel(_expfam_problem(p_x, theta, family, merge), family)
    return _anneal(model, betas, n_clusters, direction, **{**_ANNEAL_DEFAULTS, **options})


def critical_beta_exponential_family(p_x, theta, family: ExponentialFamily) -> float:
    r"""First critical β of the dual IB for an exponential family: 1/λ_max(Cov_{p(x)}[θ(X)] ∇²A(θ̄)).

    With ℓ_x(y) = θ(x)·s(y) − A(θ(x)) + log h(y), the kernel of :func:`critical_beta` (dual IB) is
    K(x,x') = θ̃(x)ᵀ Cov_{q_0}[s] θ̃(x') with θ̃ = θ − θ̄, θ̄ = Σ_x p(x) θ(x), and q_0 = p_θ̄ (the
    geometric mean of the family members is the member at the mean natural parameter). The nonzero
    eigenvalues of K P are those of Cov_{p(x)}[θ(X)] ∇²A(θ̄) (k × k), the analogue of the Gaussian IB's
    critical β (Chechik et al. 2005) with the Fisher information ∇²A in place of the noise covariance.

    Parameters
    ----------
    p_x : array_like, shape (n_x,)
    theta : array_like, shape (n_x, k)
    family : ExponentialFamily

    Returns
    -------
    float, ``inf`` when θ(x) is constant.
    """
    problem = _expfam_problem(p_x, theta, family, merge=True)
    th = problem.theta
    bar = problem.p_x @ th
    cov_theta = (th - bar).T @ ((th - bar) * problem.p_x[:, None])
    fisher = np.asarray(family.covariance(bar), dtype=np.float64).reshape(th.shape[1], th.shape[1])
    lam = float(np.max(np.real(np.linalg.eigvals(cov_theta @ fisher))))
    return float("inf") if lam <= 1e-15 else 1.0 / lam

# ----------------------------------------------------------------------------------------------
# Fitting β to a representation
# ----------------------------------------------------------------------------------------------
# SZT17 (Sec. 5, Fig. 6) give each converged layer of a network the β of the IB that fits it. Two fits:
# on an annealed IB curve (fit_beta_on_curve: the curve point with the layer's information) and by the
# self-consistent IB equations (fit_beta_self_consistent: the β whose IB encoder best explains the layer's
# own encoder). Used by ipflow_lib.experiments.ib_layers.

#: The projections of a point onto the IB curve that :func:`fit_beta_on_curve` offers.
CURVE_METHODS = ("relevance", "compression", "nearest")


def _monotone_in_beta(betas, values):
    """(values, log β) along the curve with the values strictly increasing, for interpolation.

    Of a plateau (equal values over several β) the first β is kept, the least β that reaches the value;
    of the initial plateau (e.g. I(T;Y) = 0 below the critical β) the last one.
    """
    order = np.argsort(betas)
    log_b, v = np.log(np.asarray(betas, float)[order]), np.maximum.accumulate(np.asarray(values, float)[order])
    rises = np.diff(v) > 1e-12
    keep = np.r_[True, rises]
    start = int(np.argmax(rises)) if rises.any() else v.size - 1  # last point of the initial plateau
    keep[: start + 1] = False
    keep[start] = True
    return v[keep], log_b[keep]


def fit_beta_on_curve(i_xt, i_ty, curve_betas, curve_i_xt, curve_i_ty, method: str = "relevance") -> np.ndarray:
    """The β of the IB-curve point that matches a point (I(X;T), I(T;Y)) of the information plane.

    On the IB curve the slope dI(T;Y)/dI(X;T) is 1/β (Tishby, Pereira & Bialek 1999), so β labels the
    points of the curve; SZT17 (Fig. 6) give each converged layer the β that fits it.

    Parameters
    ----------
    i_xt, i_ty : array_like, same shape, bits -- the points (e.g. layers)
    curve_betas, curve_i_xt, curve_i_ty : arrays (n_betas,) -- an annealed IB curve (any order of β;
        I(X;T) and I(T;Y) non-decreasing in β, as on any IB curve)
    method : {"relevance", "compression", "nearest"}
        ``"relevance"``: the β at which the curve reaches the point's I(T;Y), i.e. the most compressed
        representation as informative about Y as the point (horizontal projection onto the bound);
        ``"compression"``: the β at which the curve reaches the point's I(X;T) (vertical projection);
        ``"nearest"``: the curve point nearest in the plane (Euclidean, bits), on the curve interpolated
        in log β. Curve points are interpolated linearly between neighbouring β in log β.

    Returns
    -------
    ndarray, the shape of ``i_xt``
        β > 0. For "relevance"/"compression": ``inf`` where the point's value reaches the end of the curve
        (the curve attains I(X;Y) and H(X') only as β → ∞); a value on a plateau of the curve gets the least
        β that reaches it, except the initial plateau (I = 0 below the critical β), which gets its largest β.

    Raises
    ------
    ValueError
        Unknown ``method``, mismatched shapes, β ≤ 0 or NaN on the curve.

    Examples
    --------
    >>> import numpy as np
    >>> b = np.array([1.0, 2.0, 4.0])
    >>> fit_beta_on_curve(0.5, 0.25, b, np.array([0.0, 0.5, 1.0]), np.array([0.0, 0.25, 0.4]))
    array(2.)
    """
    if method not in CURVE_METHODS:
        raise ValueError(f"method must be one of {CURVE_METHODS}, got {method!r}")
    betas = as_array("curve_betas", curve_betas, finite=False, nonempty=False).astype(float)
    cx = as_array("curve_i_xt", curve_i_xt, finite=False, nonempty=False).astype(float)
    cy = as_array("curve_i_ty", curve_i_ty, finite=False, nonempty=False).astype(float)
    if betas.ndim != 1 or cx.shape != betas.shape or cy.shape != betas.shape or betas.size < 2:
        raise ValueError(f"the curve arrays must have the same shape (n_betas ≥ 2,), got {betas.shape}, "
                         f"{cx.shape}, {cy.shape}")
    if not (np.isfinite(betas).all() and (betas > 0).all() and np.isfinite(cx).all() and np.isfinite(cy).all()):
        raise ValueError("the curve must have finite values and β > 0")
    px = as_array("i_xt", i_xt, nonempty=False).astype(float)
    py = as_array("i_ty", i_ty, nonempty=False).astype(float)
    try:
        px, py = np.broadcast_arrays(px, py)
    except ValueError:
        raise ValueError(f"i_xt and i_ty must broadcast to one shape, got {px.shape} and {py.shape}") from None
    if method in ("relevance", "compression"):
        v, log_b = _monotone_in_beta(betas, cy if method == "relevance" else cx)
        point = py if method == "relevance" else px
        out = np.exp(np.interp(point, v, log_b))
        return np.where(point >= v[-1] - 1e-9, np.inf, out)
    order = np.argsort(betas)
    log_b = np.log(betas[order])
    fine = np.linspace(log_b[0], log_b[-1], 64 * betas.size)
    fx, fy = np.interp(fine, log_b, cx[order]), np.interp(fine, log_b, cy[order])
    d2 = (px[..., None] - fx) ** 2 + (py[..., None] - fy) ** 2
    return np.exp(fine[np.argmin(d2, axis=-1)])


def fit_beta_self_consistent(encoder, p_y_given_x, p_x=None, beta_range=(1e-2, 1e4)) -> tuple[float, float]:
    r"""The β for which an encoder best satisfies the IB self-consistent equations (SZT17, Sec. 5 and Fig. 6).

    From the encoder p(t|x) take its own marginal p(t) = Σ_x p(x) p(t|x) and decoder
    p(y|t) = Σ_x p(y|x) p(x|t); the IB equation (Tishby, Pereira & Bialek 1999) then predicts the encoder

    .. math:: q_\beta(t|x) = \frac{p(t)\, e^{-\beta D_{KL}[p(y|x) \| p(y|t)]}}{Z(x, \beta)}.

    The fitted β minimises :math:`\mathbb{E}_{p(x)} D_{KL}[p(t|x) \| q_\beta(t|x)]`, which is 0 exactly when
    the encoder is a fixed point of the IB equations at that β (Gibbs' inequality). The objective is a cross
    entropy minus a constant; as −log q_β is convex in β, the minimum is unique.

    Parameters
    ----------
    encoder : int array (n_x,) of cell labels (a deterministic layer) or array (n_x, n_t) of p(t|x)
    p_y_given_x : array (n_x, n_y) -- rows are distributions (soft labels, e.g. the noisy 12-bit task)
    p_x : array (n_x,) or None -- input distribution (default uniform)
    beta_range : (low, high) -- search range of β; a minimum at ``high`` is returned as ``inf`` (the encoder
        is best explained by the deterministic limit β → ∞)

    Returns
    -------
    beta : float -- NaN if the objective does not depend on β (an encoder whose decoders p(y|t) are all
        equal, like the trivial IB solution, is a fixed point at every β below the critical one)
    gap : float, bits -- the minimal E_x D_KL[p(t|x) || q_β(t|x)] (0 for an exact IB fixed point)

    Raises
    ------
    ValueError
        Mismatched shapes, rows that are not distributions, or a bad ``beta_range``.
    """
    from scipy.optimize import minimize_scalar

    p = as_array("p_y_given_x", p_y_given_x, ndim=2).astype(np.float64)
    n_x = p.shape[0]
    if p.ndim != 2 or (p < 0).any() or not np.allclose(p.sum(axis=1), 1.0, atol=1e-9):
        raise ValueError("p_y_given_x must have shape (n_x, n_y) with rows that are distributions")
    p_x = np.full(n_x, 1.0 / n_x) if p_x is None else as_array("p_x", p_x).astype(np.float64)
    if p_x.shape != (n_x,) or (p_x < 0).any() or not np.isclose(p_x.sum(), 1.0):
        raise ValueError(f"p_x must be a distribution of shape ({n_x},)")
    lo, hi = as_range("beta_range", beta_range)
    if not 0 < lo < hi:
        raise ValueError(f"beta_range must be 0 < low < high, got {beta_range}")
    # Inputs with the same p(y|x) have the same distortions: work on the distinct rows.
    rows, group = np.unique(np.round(p, 12), axis=0, return_inverse=True)
    group = group.ravel()
    p_g = np.bincount(group, weights=p_x, minlength=rows.shape[0])
    enc = as_array("encoder", encoder)
    if enc.ndim == 1:  # deterministic: no (n_x, n_t) matrix (a layer may have as many cells as inputs)
        if enc.shape != (n_x,) or not np.issubdtype(enc.dtype, np.integer) or enc.min() < 0:
            raise ValueError(f"a deterministic encoder must be non-negative integer cells of shape ({n_x},)")
        _, cell = np.unique(enc, return_inverse=True)
        p_t = np.bincount(cell, weights=p_x)
        alive = p_t > 0
        cell = (np.cumsum(alive) - 1)[cell]
        p_t = p_t[alive]
        p_y_t = np.stack([np.bincount(cell, weights=p_x * p[:, j], minlength=p_t.size) for j in range(p.shape[1])],
                         axis=1) / p_t[:, None]
        d = rel_entr(rows[:, None, :], p_y_t[None, :, :]).sum(-1)  # (n_groups, n_t), nats, may be inf
        log_pt = np.log(p_t)
        own_d = float(p_x @ d[group, cell])
        own_logp = float(p_x @ log_pt[cell])
        h_cond = 0.0
    else:
        q = enc.astype(np.float64)
        if q.shape[0] != n_x or (q < 0).any() or not np.allclose(q.sum(axis=1), 1.0, atol=1e-6):
            raise ValueError(f"encoder p(t|x) must have shape ({n_x}, n_t) with rows that are distributions")
        p_t = p_x @ q
        alive = p_t > 0
        q, p_t = q[:, alive], p_t[alive]
        p_y_t = (q * p_x[:, None]).T @ p / p_t[:, None]  # (n_t, n_y)
        d = rel_entr(rows[:, None, :], p_y_t[None, :, :]).sum(-1)
        log_pt = np.log(p_t)
        own_d = float(np.where(q > 0, q * d[group], 0.0).sum(1) @ p_x)  # E_x Σ_t p(t|x) d(x,t)
        own_logp = float(np.sum(q * log_pt, axis=1) @ p_x)
        h_cond = -float(np.sum(np.where(q > 0, q * np.log(np.where(q > 0, q, 1.0)), 0.0), axis=1) @ p_x)
    if not np.isfinite(own_d):
        raise ValueError("some input is assigned to a cell whose decoder gives its labels probability 0")
    # Z(x, β) = Σ_t p(t) exp(−β d(x,t)) only depends on the distinct decoders: sum p(t) over equal ones.
    decoders, which = np.unique(np.round(p_y_t, 12), axis=0, return_inverse=True)
    which = which.ravel()
    log_pu = np.log(np.bincount(which, weights=p_t, minlength=decoders.shape[0]))
    d_u = np.zeros((rows.shape[0], decoders.shape[0]))
    d_u[:, which] = d  # equal decoders have equal distortions

    def objective(log_beta):  # cross entropy E_x Σ_t p(t|x) [−log q_β(t|x)], nats
        beta = np.exp(log_beta)
        lse = logsumexp(log_pu[None, :] - beta * d_u, axis=1)
        return -(own_logp - beta * own_d) + float(p_g @ lse)

    res = minimize_scalar(objective, bounds=(np.log(lo), np.log(hi)), method="bounded",
                          options={"xatol": 1e-7})
    beta, best = float(np.exp(res.x)), float(res.fun)
    at_lo, at_hi = objective(np.log(lo)), objective(np.log(hi))
    tol = 1e-12 * max(1.0, abs(best))
    if abs(at_hi - at_lo) <= tol and abs(best - at_lo) <= tol:  # flat: the decoder ignores t (trivial encoder)
        beta = float("nan")
    elif at_hi <= best + tol:  # still falling at the top of the range
        beta, best = float("inf"), at_hi
    return beta, max(best - h_cond, 0.0) / _LN2


__all__ += ["CURVE_METHODS", "fit_beta_on_curve", "fit_beta_self_consistent"]
