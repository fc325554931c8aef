"""Finite-width check: ensembles of wide networks approach the infinite ensemble as width grows.

For each width, ``n_networks`` networks of the same architecture as the infinite ensemble
(``neural_tangents.stax`` ``init_fn`` / ``apply_fn``, NTK parameterisation) are trained by full-batch
gradient descent on ½·mean((f − Y)²) with learning rate η, and their outputs on the test inputs are
recorded at times t = η × steps (:func:`ipflow_lib.ntk.finite_ensemble`). Their Monte-Carlo mean and
variance are compared with the infinite ensemble's (:func:`ipflow_lib.ntk.infinite_ensemble`):

* mean error   sqrt(mean_i Σ_d (m̂_id − μ_id)² / (k s_i)), in units of the ensemble's standard deviation;
* variance error sqrt(mean_i (ŝ_i / s_i − 1)²), relative.

Even infinitely wide networks would not give zero with finitely many of them: the same errors of
``n_networks`` draws from the exact Gaussian ensemble (``n_replicates`` times) give the Monte-Carlo
floor that finite widths should reach. Gradient descent with η > 0 also differs from gradient flow;
the config's η keeps that difference below the floor.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from ._common import Checkpoint, RunInfo, cached_run, progress, select_config

NAME = "ntk-finite-width"


@dataclasses.dataclass(frozen=True)
class Config:
    """Task (digit parity on a small split), architecture (as the infinite ensembles), widths, training."""

    n_train: int = 64
    n_test: int = 64
    data_seed: int = 0
    widths: tuple[int, ...] = (2, 4, 8, 16, 32, 64, 128, 256)
    depth: int = 2
    nonlinearity: str = "erf"
    w_std: float = 1.0
    b_std: float = 0.0
    times: tuple[float, ...] = (0.0, 2.0, 8.0, 32.0)
    n_networks: int = 256
    networks_per_batch: int = 64
    learning_rate: float = 0.5
    seed: int = 0
    n_replicates: int = 200


PRESETS = {
    "paper": Config(),
    "quick": Config(widths=(4, 16, 64), n_networks=64, times=(0.0, 2.0, 8.0), n_replicates=100),
}


@dataclasses.dataclass(frozen=True)
class Result:
    """Errors of finite ensembles against the infinite one.

    Attributes
    ----------
    widths : ndarray, shape (n_w,)
    t : ndarray, shape (n_t,)
    mean_error, var_error : ndarray, shape (n_w, n_t)
        Normalised RMS errors of the finite ensembles' mean and variance (see the module docstring).
    floor_mean_error, floor_var_error : ndarray, shape (3, n_t)
        5 %, 50 % and 95 % quantiles of the same errors for ``n_networks`` exact draws from the infinite
        ensemble: the Monte-Carlo floor.
    finite_mean : ndarray, shape (n_w, n_t, n_test, k)
    finite_var : ndarray, shape (n_w, n_t, n_test)
    infinite_mean : ndarray, shape (n_t, n_test, k)
    infinite_var : ndarray, shape (n_t, n_test)
    train_seconds : ndarray, shape (n_w,)
        Wall time of training each width's ensemble.
    """

    config: Config
    widths: np.ndarray
    t: np.ndarray
    mean_error: np.ndarray
    var_error: np.ndarray
    floor_mean_error: np.ndarray
    floor_var_error: np.ndarray
    finite_mean: np.ndarray
    finite_var: np.ndarray
    infinite_mean: np.ndarray
    infinite_var: np.ndarray
    train_seconds: np.ndarray
    info: RunInfo | None = None

    def summary(self) -> dict[str, float | str]:
        """Numbers quoted in the chapter (for ``glue``): setup, and errors at the last time for the
        narrowest and widest networks against the Monte-Carlo floor's median; ``fw_width_verdict``
        (:func:`width_verdict`) at the last time."""
        cfg = self.config
        return {
            "fw_n_networks": cfg.n_networks,
            "fw_n_train": cfg.n_train,
            "fw_n_test": cfg.n_test,
            "fw_learning_rate": cfg.learning_rate,
            "fw_t_max": float(self.t[-1]),
            "fw_steps_max": int(round(self.t[-1] / cfg.learning_rate)),
            "fw_width_min": int(self.widths[0]),
            "fw_width_max": int(self.widths[-1]),
            "fw_mean_err_narrow": float(self.mean_error[0, -1]),
            "fw_mean_err_wide": float(self.mean_error[-1, -1]),
            "fw_var_err_narrow": float(self.var_error[0, -1]),
            "fw_var_err_wide": float(self.var_error[-1, -1]),
            "fw_var_ratio_narrow": float(np.mean(self.finite_var[0, -1] / self.infinite_var[-1])),
            "fw_var_ratio_wide": float(np.mean(self.finite_var[-1, -1] / self.infinite_var[-1])),
            "fw_floor_mean": float(self.floor_mean_error[1, -1]),
            "fw_floor_var": float(self.floor_var_error[1, -1]),
            "fw_floor_mean_hi": float(self.floor_mean_error[2, -1]),
            "fw_floor_var_hi": float(self.floor_var_error[2, -1]),
            "fw_width_verdict": width_verdict(self.mean_error[:, -1], self.var_error[:, -1],
                                              self.floor_mean_error[2, -1], self.floor_var_error[2, -1]),
        }


def width_verdict(mean_error, var_error, floor_mean_hi: float, floor_var_hi: float) -> str:
    """Chapter 6's sentence on the finite ensembles: do their errors fall with width, and does the widest reach
    the Monte-Carlo floor (its 95 % quantile, ``floor_*_hi``)?

    ``mean_error``, ``var_error``: (n_widths,) errors at one time, widths increasing. Raises ``ValueError`` if they
    are empty or of different lengths.
    """
    m, v = np.asarray(mean_error, dtype=float).ravel(), np.asarray(var_error, dtype=float).ravel()
    if not m.size or m.shape != v.shape:
        raise ValueError(f"mean_error and var_error must be non-empty and of one length, got {m.size} and {v.size}")
    falls = bool(np.all(np.diff(m) <= 0) and np.all(np.diff(v) <= 0))
    trend = "both errors fall at every step in width" if falls else (
        "the errors do not fall at every step in width" if m[-1] < m[0] and v[-1] < v[0] else
        "the errors do not fall with width")
    within = bool(m[-1] <= floor_mean_hi and v[-1] <= floor_var_hi)
    floor = ("the widest networks' errors lie within the sampling noise of as many exact draws (below its 95 % "
             "quantile)" if within else "the widest networks' errors lie above the sampling noise of as many exact "
             "draws (its 95 % quantile)")
    return f"{trend}, and {floor}"


def moment_errors(mean, var, ref_mean, ref_var) -> tuple[np.ndarray, np.ndarray]:
    """Normalised RMS errors of (mean (..., n, k), var (..., n)) against the reference, shape (...)."""
    mean, var = np.asarray(mean), np.asarray(var)
    k = mean.shape[-1]
    e_mean = np.sqrt(np.mean(np.sum((mean - ref_mean) ** 2, axis=-1) / (k * ref_var), axis=-1))
    e_var = np.sqrt(np.mean((var / ref_var - 1.0) ** 2, axis=-1))
    return e_mean, e_var


def monte_carlo_floor(mean, cov, n_networks: int, n_replicates: int, seed: int, k: int):
    """Errors of ``n_networks`` exact draws from N(mean[:, d], cov) (d = 1..k i.i.d.), ``n_replicates`` times.

    Returns two arrays of shape (n_replicates,): mean errors and variance errors.
    """
    rng = np.random.default_rng(seed)
    evals, evecs = np.linalg.eigh(cov)
    root = evecs * np.sqrt(np.clip(evals, 0.0, None))
    ref_var = np.diag(cov)
    e_m, e_v = np.empty(n_replicates), np.empty(n_replicates)
    for r in range(n_replicates):
        eps = rng.standard_normal((n_networks, k, mean.shape[0]))
        draws = mean.T[None] + eps @ root.T  # (n_networks, k, n)
        draws = np.moveaxis(draws, 1, 2)  # (n_networks, n, k)
        m = draws.mean(axis=0)
        v = draws.var(axis=0, ddof=1).mean(axis=-1)
        e_m[r], e_v[r] = moment_errors(m, v, mean, ref_var)
    return e_m, e_v


def _compute(config: Config, checkpoint: Checkpoint) -> Result:
    from .. import ntk
    from ..datasets import digits

    data = digits(n_train=config.n_train, n_test=config.n_test, seed=config.data_seed)
    y_train = ntk.regression_targets(data.y_train % 2)
    t = np.asarray(config.times, dtype=np.float64)
    _, _, kernel_fn = ntk.network(config.depth, 1, config.nonlinearity, config.w_std, config.b_std)
    inf = ntk.infinite_ensemble(kernel_fn, data.x_train, y_train, t, data.x_test, full_cov=True)
    k = y_train.shape[1]

    state = checkpoint.load() or {"done": {}}
    for width in progress([w for w in config.widths if w not in state["done"]], desc=NAME, unit="width"):
        init_fn, apply_fn, _ = ntk.network(
            config.depth, width, config.nonlinearity, config.w_std, config.b_std, out_dim=k
        )
        tic = time.perf_counter()
        outputs = ntk.finite_ensemble(
            init_fn, apply_fn, data.x_train, y_train, data.x_test, t,
            n_networks=config.n_networks, seed=config.seed,
            learning_rate=config.learning_rate, networks_per_batch=config.networks_per_batch,
        )
        seconds = time.perf_counter() - tic
        mean, var = ntk.ensemble_moments(outputs)
        state["done"][width] = (mean, var, seconds)
        checkpoint.save(state)

    finite_mean = np.stack([state["done"][w][0] for w in config.widths])
    finite_var = np.stack([state["done"][w][1] for w in config.widths])
    mean_error, var_error = moment_errors(finite_mean, finite_var, inf.mean[None], inf.var[None])
    floors = [
        monte_carlo_floor(inf.mean[j], inf.cov[j], config.n_networks, config.n_replicates, config.seed + j, k)
        for j in range(t.size)
    ]
    quantiles = (5, 50, 95)
    return Result(
        config=config,
        widths=np.array(config.widths),
        t=t,
        mean_error=mean_error,
        var_error=var_error,
        floor_mean_error=np.stack([np.percentile(f[0], quantiles) for f in floors], axis=1),
        floor_var_error=np.stack([np.percentile(f[1], quantiles) for f in floors], axis=1),
        finite_mean=finite_mean,
        finite_var=finite_var,
        infinite_mean=inf.mean,
        infinite_var=inf.var,
        train_seconds=np.array([state["done"][w][2] for w in config.widths]),
    )


def run(config: Config | None = None) -> Result:
    """Run (or load from the cache) the finite-width check; ``config`` defaults to the ``IPFLOW_PRESET`` preset."""
    config = config or select_config(PRESETS)
    return cached_run(NAME, config, _compute, PRESETS)


__all__ = ["NAME", "PRESETS", "Config", "Result", "monte_carlo_floor", "moment_errors", "run", "width_verdict"]
