"""Small problems of the IB and dual-IB papers, given as exact probability tables.

``ExponentialFamilyTask``     p(x) and p(y|x) = h(y) exp(θ(x)·s(y) − A(θ(x))), kept in its natural form
``dual_ib_five_points``       the 5-point example of Piran, Shwartz-Ziv & Tishby (2020)
``random_exponential_family`` a random exponential-family p(y|x) with fewer statistics than labels

The dual IB keeps exponential families: when p(y|x) is of the form above, its decoder p(y|t) is of the
same form with θ(t) = Σ_x p(x|t) θ(x) (Piran et al. 2020, Sec. 3). These tasks carry θ(x) and s(y) so
that this can be checked; ``bottleneck.ExponentialFamily.finite(task.statistics, task.log_h)`` is the
family. (The paper writes p(y|x) ∝ exp(−Σ_r A_r(x) λ_r(y)); here θ(x) = A(x) and s(y) = −λ(y).)
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..validation import as_array, as_float, as_int, as_range, as_seed, check_size

__all__ = [
    "ExponentialFamilyTask",
    "dual_ib_five_points",
    "exponential_family_p_y_given_x",
    "random_exponential_family",
]


def exponential_family_p_y_given_x(
    theta: np.ndarray, statistics: np.ndarray, log_h: np.ndarray | None = None
) -> np.ndarray:
    """p(y|x) = h(y) exp(θ(x)·s(y) − A(θ(x))), computed stably.

    Parameters
    ----------
    theta : ndarray, shape (n_x, k)
        Natural parameters θ(x).
    statistics : ndarray, shape (n_y, k)
        Sufficient statistics s(y).
    log_h : ndarray, shape (n_y,), optional
        Log base measure log h(y); zero if omitted.

    Returns
    -------
    p_y_given_x : ndarray, shape (n_x, n_y), rows sum to 1.

    Raises
    ------
    ValueError
        If the shapes do not match or an entry is not finite.

    Source: Piran, Shwartz-Ziv & Tishby (2020), the exponential forms of the dual IB.

    >>> p = exponential_family_p_y_given_x(np.array([[0.0], [1.0]]), np.array([[1.0], [-1.0]]))
    >>> np.round(p, 3).tolist()
    [[0.5, 0.5], [0.881, 0.119]]
    """
    theta = as_array("theta", theta, finite=False, nonempty=False).astype(np.float64)
    s = as_array("statistics", statistics, finite=False, nonempty=False).astype(np.float64)
    if theta.ndim != 2:
        raise ValueError(f"theta must have shape (n_x, k), got {theta.shape}")
    if s.ndim != 2 or s.shape[1] != theta.shape[1]:
        raise ValueError(f"statistics must have shape (n_y, k={theta.shape[1]}), got {s.shape}")
    log_h = np.zeros(s.shape[0]) if log_h is None else np.asarray(log_h, dtype=np.float64)
    if log_h.shape != (s.shape[0],):
        raise ValueError(f"log_h must have shape (n_y={s.shape[0]},), got {log_h.shape}")
    if not (np.all(np.isfinite(theta)) and np.all(np.isfinite(s)) and np.all(np.isfinite(log_h))):
        raise ValueError("theta, statistics and log_h must be finite")
    logits = theta @ s.T + log_h[None, :]
    logits -= logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    return p / p.sum(axis=1, keepdims=True)


@dataclasses.dataclass(frozen=True, eq=False)
class ExponentialFamilyTask:
    """A joint p(x, y) whose p(y|x) = h(y) exp(θ(x)·s(y) − A(θ(x))) is an exponential family in natural form.

    Attributes
    ----------
    x : ndarray, shape (n_x,)
        The input values (for plots; the information quantities do not depend on them).
    y : ndarray, shape (n_y,)
        The label values.
    p_x : ndarray, shape (n_x,)
        Input distribution, sums to 1.
    theta : ndarray, shape (n_x, k)
        Natural parameters θ(x).
    statistics : ndarray, shape (n_y, k)
        Sufficient statistics s(y).
    log_h : ndarray, shape (n_y,)
        Log base measure.
    """

    x: np.ndarray
    y: np.ndarray
    p_x: np.ndarray
    theta: np.ndarray
    statistics: np.ndarray
    log_h: np.ndarray

    @property
    def p_y_given_x(self) -> np.ndarray:
        """p(y|x), shape (n_x, n_y)."""
        return exponential_family_p_y_given_x(self.theta, self.statistics, self.log_h)

    @property
    def p_xy(self) -> np.ndarray:
        """The joint p(x, y) = p(x) p(y|x), shape (n_x, n_y), sums to 1."""
        return self.p_x[:, None] * self.p_y_given_x


def dual_ib_five_points(n_points: int = 5, low: float = -1.0, high: float = 0.6) -> ExponentialFamilyTask:
    """The analytic example of the dual-IB paper: 5 inputs, binary label, p(y|x) = softmax_y(−y·x).

    x = linspace(−1, 0.6, 5) with p(x) uniform, y ∈ {−1, +1} and
    p(y|x) = exp(−y·x) / (exp(−x) + exp(x)), an exponential family with one natural parameter
    θ(x) = x and statistic s(y) = −y (h = 1). The dual IB's decoder of a cluster t is then the member
    with θ(t) = Σ_x p(x|t) x: the cluster's mean input.

    Parameters
    ----------
    n_points : int
        Number of inputs (5 in the paper).
    low, high : float
        Range of x (−1 and 0.6 in the paper).

    Returns
    -------
    ExponentialFamilyTask
        ``.p_xy`` has shape (n_points, 2); columns are y = −1, +1.

    Raises
    ------
    ValueError
        If ``n_points`` < 2 or ``low`` >= ``high``.

    Source: Piran, Shwartz-Ziv & Tishby (2020), arXiv:2006.04641, the analytic example.

    >>> task = dual_ib_five_points()
    >>> task.x.tolist()
    [-1.0, -0.6, -0.2, 0.2, 0.6]
    >>> round(float(task.p_y_given_x[0, 1]), 4)  # p(y=+1 | x=-1) = e^1 / (e^1 + e^-1)
    0.8808
    """
    n_points = as_int("n_points", n_points, minimum=2)
    check_size("n_points", n_points * 2)
    low, high = as_range("(low, high)", (low, high))
    x = np.round(np.linspace(low, high, n_points), 12)
    y = np.array([-1.0, 1.0])
    return ExponentialFamilyTask(
        x=x, y=y, p_x=np.full(x.size, 1.0 / x.size), theta=x[:, None].copy(), statistics=-y[:, None],
        log_h=np.zeros(2),
    )


def random_exponential_family(
    n_x: int, n_y: int, n_stats: int, seed: int, scale: float = 2.0
) -> ExponentialFamilyTask:
    """A random exponential-family p(y|x) with ``n_stats`` statistics on ``n_y`` labels.

    θ(x) ~ N(0, scale²), s(y) ~ N(0, 1), log h(y) ~ N(0, 1), p(x) = (Dirichlet(1, ..., 1) + uniform) / 2
    (bounded away from 0). With ``n_stats`` < n_y − 1 the family is a proper subset of all conditionals
    on n_y labels, so an arithmetic mixture of its members (the IB decoder) generally leaves it while a
    geometric one (the dual-IB decoder) does not.

    Parameters
    ----------
    n_x, n_y, n_stats : int
        Numbers of inputs, labels and statistics.
    seed : int
        Seed of ``numpy.random.default_rng``.
    scale : float
        Standard deviation of θ (larger: more deterministic p(y|x)).

    Returns
    -------
    ExponentialFamilyTask
        ``.x`` is ``arange(n_x)``.

    Raises
    ------
    ValueError
        If a size is below 1, ``n_y`` < 2 or ``scale`` <= 0.
    """
    n_x = as_int("n_x", n_x, minimum=1)
    n_stats = as_int("n_stats", n_stats, minimum=1)
    n_y = as_int("n_y", n_y, minimum=2)
    scale = as_float("scale", scale, above=0.0)
    check_size("(n_x, n_y, n_stats)", n_x * n_stats + n_y * n_stats + n_x * n_y)
    rng = np.random.default_rng(as_seed("seed", seed))
    theta = scale * rng.standard_normal((n_x, n_stats))
    s = rng.standard_normal((n_y, n_stats))
    log_h = rng.standard_normal(n_y)
    p_x = 0.5 * rng.dirichlet(np.ones(n_x)) + 0.5 / n_x
    return ExponentialFamilyTask(
        x=np.arange(n_x, dtype=np.float64), y=np.arange(n_y, dtype=np.float64),
        p_x=p_x / p_x.sum(), theta=theta, statistics=s, log_h=log_h,
    )
