"""The information-bottleneck bound of the 12-bit task: the IB limit in the information plane (SZT17).

The joint p(x, y) is the 12-bit task of SZT17 with X uniform over its 4096 patterns and noisy labels
p(y=1|x) = y(1 − ε) + (1 − y)ε (``datasets.noisy_labels``). With deterministic labels the IB curve is
degenerate (the straight line I(T;Y) = I(X;T) up to H(Y), then flat; Kolchinsky et al. 2019), so the
authors added a little label noise.

Inputs with the same p(y|x) are interchangeable for the IB (``bottleneck.merge_inputs``): under this
noise model p(y|x) takes two values, so the 4096 inputs merge exactly into 2 (the class is a minimal
sufficient statistic of X for Y), and the curve is computed on a 2 × 2 table. It is traced by
deterministic annealing in both directions (``bottleneck.ib_curve(..., direction="both")``).

How later chapters use it
-------------------------
``Result.as_bound(x_max=12)`` gives the bound as a curve in the information plane, extended
horizontally at I(X;Y) up to ``x_max`` bits; ``plotting.ib_bound(result, ax=ax)`` draws it. The bound
holds for I(T;Y) measured with the *same* noisy p(y|x); networks trained and measured on clean labels
can reach up to H(Y) ≈ 1 bit, above I(X;Y) of the noisy joint.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ._common import RunInfo, cached_run, progress, select_config

__all__ = ["Config", "PRESETS", "Result", "run"]


@dataclasses.dataclass(frozen=True)
class Config:
    """Settings of the 12-bit IB bound.

    Attributes
    ----------
    epsilon : float
        Label-noise level ε in p(y=1|x) = y(1 − ε) + (1 − y)ε, in (0, 0.5).
    n_betas : int
        Number of β values, log-spaced on [beta_min, beta_max] (≥ 200 in the paper preset).
    beta_min, beta_max : float
        Range of β (> 0). The trivial solution holds below the critical β (≈ 1 for small ε); by β ≈ 100
        the encoder is deterministic and the curve has reached its end.
    direction : str
        Annealing direction of ``bottleneck.ib_curve``: "both" (default), "up" or "down".
    tol : float
        Convergence tolerance on max |Δ p(t|x)|.
    max_iter : int
        Iterations allowed per β.
    seed : int
        Seed of the annealing perturbations.
    """

    epsilon: float = 0.01
    n_betas: int = 256
    beta_min: float = 0.5
    beta_max: float = 200.0
    direction: str = "both"
    tol: float = 1e-10
    max_iter: int = 50_000
    seed: int = 0

    def __post_init__(self):
        if not 0.0 < self.epsilon < 0.5:
            raise ValueError(f"epsilon must be in (0, 0.5) (ε = 0 makes the IB curve degenerate), got {self.epsilon}")
        if self.n_betas < 2:
            raise ValueError(f"n_betas must be ≥ 2, got {self.n_betas}")
        if not 0.0 < self.beta_min < self.beta_max:
            raise ValueError(f"need 0 < beta_min < beta_max, got {self.beta_min}, {self.beta_max}")
        if self.direction not in ("up", "down", "both"):
            raise ValueError(f"direction must be 'up', 'down' or 'both', got {self.direction!r}")

    @property
    def betas(self) -> np.ndarray:
        """The β grid, shape (n_betas,), log-spaced and increasing."""
        return np.geomspace(self.beta_min, self.beta_max, self.n_betas)


PRESETS = {
    "paper": Config(),
    "quick": Config(n_betas=80),
}


@dataclasses.dataclass
class Result:
    """The IB curve of the noisy 12-bit task.

    Attributes
    ----------
    config : Config
    betas : ndarray, shape (n_betas,)
        β values, increasing.
    i_xt : ndarray, shape (n_betas,)
        I(X;T) in bits on the curve (non-decreasing in β; at most ``h_x_merged``).
    i_ty : ndarray, shape (n_betas,)
        I(T;Y) in bits on the curve (non-decreasing in β; at most ``i_xy``).
    n_clusters : ndarray of int, shape (n_betas,)
        Effective number of clusters of T at each β (1, then 2: the merged problem has two inputs).
    converged : ndarray of bool, shape (n_betas,)
        Whether the iteration converged at each β.
    critical_beta : float
        The analytic first critical β = 1/λ₂ (linear stability of the trivial solution,
        ``bottleneck.critical_beta``).
    critical_betas : ndarray, shape (n_splits,)
        The splits found on the annealed curve (geometric means of the bracketing grid values).
    i_xy : float
        I(X;Y) in bits of the noisy joint: the end of the curve (= H(Y) − h(ε) for this noise model).
    h_y : float
        H(Y) in bits of the noisy labels.
    h_x_merged : float
        H(X') in bits of the merged input (the class): the I(X;T) at which the curve reaches I(X;Y).
    n_inputs, n_merged : int
        4096 inputs, merged into ``n_merged`` (= 2) with distinct p(y|x).
    info : RunInfo
        Preset, compute time, cache provenance.
    """

    config: Config
    betas: np.ndarray
    i_xt: np.ndarray
    i_ty: np.ndarray
    n_clusters: np.ndarray
    converged: np.ndarray
    critical_beta: float
    critical_betas: np.ndarray
    i_xy: float
    h_y: float
    h_x_merged: float
    n_inputs: int
    n_merged: int
    info: RunInfo | None = None

    def summary(self) -> dict[str, float | int]:
        """Headline numbers of chapter 1's 12-bit bound, flat, for ``myst_nb.glue``.

        ``eps`` (ε), ``n_betas``, ``n_inputs`` (4096) and ``n_merged`` (2), ``i_xy``, ``h_y`` and ``h_x``
        (H(X') of the merged input; bits), ``beta_c`` (analytic first critical β), ``split`` (first split on
        the annealed curve, NaN if none) and ``converged`` (number of β values whose iteration converged).
        """
        return {
            "eps": float(self.config.epsilon), "n_betas": int(self.config.n_betas), "n_inputs": int(self.n_inputs),
            "n_merged": int(self.n_merged), "i_xy": float(self.i_xy), "h_y": float(self.h_y),
            "h_x": float(self.h_x_merged), "beta_c": float(self.critical_beta),
            "split": float(self.critical_betas[0]) if self.critical_betas.size else float("nan"),
            "converged": int(self.converged.sum()),
        }

    def as_bound(self, x_max: float = 12.0) -> tuple[np.ndarray, np.ndarray]:
        """The bound as a curve in the information plane, for drawing over network layers.

        Starts at (0, 0), follows the annealed points, reaches (H(X'), I(X;Y)) and continues flat to
        (``x_max``, I(X;Y)): no representation of X, however much it keeps, has more than I(X;Y) about Y.

        Returns
        -------
        i_xt, i_ty : ndarray, shape (n_points,), bits, I(X;T) increasing.
        """
        x = np.concatenate([[0.0], self.i_xt, [self.h_x_merged, max(x_max, self.h_x_merged)]])
        y = np.concatenate([[0.0], self.i_ty, [self.i_xy, self.i_xy]])
        order = np.argsort(x, kind="stable")
        return x[order], y[order]

    def bound_at(self, i_xt) -> np.ndarray:
        """The largest I(T;Y) (bits) reachable with the given I(X;T) (bits), by interpolation on the curve.

        Parameters
        ----------
        i_xt : array_like, any shape, bits

        Returns
        -------
        ndarray, same shape, bits.
        """
        x, y = self.as_bound(x_max=max(12.0, float(np.max(i_xt, initial=0.0))))
        keep = np.r_[True, np.diff(x) > 0]
        return np.interp(np.asarray(i_xt, dtype=np.float64), x[keep], y[keep])


def _compute(config: Config, checkpoint) -> Result:
    from ..bottleneck import critical_beta, ib_curve, merge_inputs
    from ..datasets import noisy_12bit_joint
    from ..information import entropy

    p_xy = noisy_12bit_joint(config.epsilon)
    merged, _ = merge_inputs(p_xy)
    curve = ib_curve(p_xy, config.betas, direction=config.direction, tol=config.tol, max_iter=config.max_iter,
                     seed=config.seed, keep_encoders=False,
                     progress=lambda it: progress(it, desc=f"IB bound (ε={config.epsilon:g})", total=len(it)))
    return Result(
        config=config, betas=curve.betas, i_xt=curve.i_xt, i_ty=curve.i_ty, n_clusters=curve.n_clusters,
        converged=curve.converged, critical_beta=critical_beta(p_xy), critical_betas=curve.critical_betas,
        i_xy=curve.i_xy, h_y=entropy(p_xy.sum(axis=0)), h_x_merged=curve.h_x, n_inputs=p_xy.shape[0],
        n_merged=merged.shape[0],
    )


def run(config: Config | None = None) -> Result:
    """Run (or load from the cache) the 12-bit IB bound; ``None`` = the current preset (``IPFLOW_PRESET``)."""
    config = config or select_config(PRESETS)
    return cached_run("ib-bound", config, _compute, PRESETS)
