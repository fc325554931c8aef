"""Infinite ensembles of infinitely wide networks and their information (Shwartz-Ziv & Alemi 2020).

An infinitely wide fully connected network trained by gradient flow on the mean squared error is a
linear model in its parameters, driven by the neural tangent kernel (NTK) Θ; at initialisation its
output is a Gaussian process with the NNGP kernel K (Jacot et al. 2018; Lee et al. 2019). Over the
random initialisations, the *ensemble* of outputs at training time t is therefore Gaussian on any set
of inputs, with mean and covariance (train inputs D, targets Y, n·k target entries, loss
½·mean((f − Y)²), rate r = 1/(n·k)):

    μ_t(x)     = Θ_xD Θ⁻¹ (I − e^{−r Θ t}) Y
    Σ_t(x, x') = K_xx' + Θ_xD Θ⁻¹ (I − e^{−rΘt}) K_DD (I − e^{−rΘt}) Θ⁻¹ Θ_Dx'
                 − [Θ_xD Θ⁻¹ (I − e^{−rΘt}) K_Dx' + (x ↔ x')]

(Lee et al. 2019, Eq. 16), computed here by ``neural_tangents.predict.gradient_descent_mse_ensemble``.
The k outputs of a Dense readout are independent and identically distributed, so the ensemble's
output at input x_i is p_t(z | x_i) = N(μ_t(x_i), s_t(x_i) I_k) with s_t(x_i) = Σ_t(x_i, x_i).

With X uniform over a set of N inputs, Z is a mixture of N Gaussians, and (computed by
:func:`ipflow_lib.estimators.mixture_information` and :func:`ipflow_lib.estimators.gaussian_kl`, the
Gaussian information measures of the estimators layer)

* I(X;Z) = H(Z) − H(Z|X), H(Z|X) exact, H(Z) bounded on both sides by pairwise distances between
  the components (Kolchinsky & Tracey 2017): Bhattacharyya (lower) and Kullback–Leibler (upper);
* I(X;Z) estimated by sampling z_i ~ p(z|x_i): the InfoNCE bound with the whole set as the batch
  (unbiased for the exact value, since p(x) is uniform on exactly these N inputs) and the
  leave-one-out upper bound (Poole et al. 2019);
* I(Z;Y) = H(Z) − H(Z|Y), the class-conditional mixtures bounded and sampled the same way;
* KL[p_t(z|x) ‖ p_0(z|x)], the divergence from the initial (prior) ensemble, an upper bound on the
  information the output at x holds about the training set;
* the Gibbs loss E_θ[−log p(y|x,θ)] and the Bayes loss −log E_θ[p(y|x,θ)] of the ensemble under a
  Gaussian observation model p(y|z) = N(y; z, σ²_obs I).

Units: information in bits unless ``base`` says otherwise; losses in nats per example; training
time t in units of (learning rate × gradient-descent steps) on ½·mean((f − Y)²), as in
neural-tangents. neural-tangents (and TensorFlow, which it imports) is loaded on first use only.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .estimators import check_gaussian_moments

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

__all__ = [
    "GaussianEnsemble",
    "Kernels",
    "bayes_loss",
    "batched_kernel_fn",
    "ensemble_moments",
    "finite_ensemble",
    "gibbs_loss",
    "infinite_ensemble",
    "kernels",
    "network",
    "regression_targets",
]

NONLINEARITIES = ("erf", "relu")


# --------------------------------------------------------------------------------------------------
# neural-tangents: networks and kernels
# --------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _quiet_stderr_fd():
    """Silence C-level writes to file descriptor 2 (TensorFlow's absl log lines at import)."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real fd 2 (some embedded interpreters)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


@functools.lru_cache(maxsize=1)
def _nt():
    """``neural_tangents``, imported once, without TensorFlow's log lines."""
    import warnings

    with _quiet_stderr_fd(), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # jax.core names used by neural-tangents 0.6.5
        import neural_tangents

    return neural_tangents


def _x64():
    from jax.experimental import enable_x64

    return enable_x64()


def network(
    depth: int = 2,
    width: int = 1000,
    nonlinearity: str = "erf",
    w_std: float = 1.0,
    b_std: float | None = 0.0,
    out_dim: int = 1,
):
    """A fully connected network in the NTK parameterisation: ``depth`` × (Dense(width), φ), Dense(out_dim).

    The authors' network is ``network(2, 1000, "erf", w_std, 0.0)``: Dense(1000)-Erf-Dense(1000)-Erf-Dense(1)
    with the same weight scale in every layer (Shwartz-Ziv & Alemi 2020, code ``info_ntk``).

    Parameters
    ----------
    depth : int ≥ 1
        Number of hidden layers.
    width : int ≥ 1
        Hidden width of the finite network (``init_fn``/``apply_fn``); the kernel is that of infinite width.
    nonlinearity : {"erf", "relu"}
    w_std, b_std : float
        Weight and bias scales σ_w, σ_b of every Dense layer: W_ij ~ N(0, 1), pre-activation
        σ_w/√fan_in · W h + σ_b · b. ``b_std=None`` leaves the biases out (same kernel as 0.0).
    out_dim : int
        Number of outputs k (1 for a scalar ±1 target, C for C one-hot classes).

    Returns
    -------
    init_fn, apply_fn, kernel_fn
        The ``neural_tangents.stax`` triple.

    Raises
    ------
    ValueError
        For a non-positive depth, width or out_dim, an unknown nonlinearity, w_std ≤ 0 or b_std < 0.
    """
    if int(depth) != depth or depth < 1:
        raise ValueError(f"depth must be a positive integer, got {depth}")
    if int(width) != width or width < 1:
        raise ValueError(f"width must be a positive integer, got {width}")
    if int(out_dim) != out_dim or out_dim < 1:
        raise ValueError(f"out_dim must be a positive integer, got {out_dim}")
    if nonlinearity not in NONLINEARITIES:
        raise ValueError(f"nonlinearity must be one of {NONLINEARITIES}, got {nonlinearity!r}")
    if not (np.isfinite(w_std) and w_std > 0):
        raise ValueError(f"w_std must be positive, got {w_std}")
    if b_std is not None and not (np.isfinite(b_std) and b_std >= 0):
        raise ValueError(f"b_std must be ≥ 0 or None, got {b_std}")
    stax = _nt().stax
    act = {"erf": stax.Erf, "relu": stax.Relu}[nonlinearity]
    layers = []
    for _ in range(int(depth)):
        layers += [stax.Dense(int(width), W_std=float(w_std), b_std=b_std), act()]
    layers.append(stax.Dense(int(out_dim), W_std=float(w_std), b_std=b_std))
    return stax.serial(*layers)


def _check_inputs(x, name: str, n_features: int | None = None) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"{name} must have shape (n_inputs, n_features) with n_inputs ≥ 1, got shape {x.shape}")
    if not np.issubdtype(x.dtype, np.number):
        raise TypeError(f"{name} must be a real numeric array, got dtype {x.dtype}")
    x = x.astype(np.float64)
    if not np.isfinite(x).all():
        raise ValueError(f"{name} contains NaN or inf")
    if n_features is not None and x.shape[1] != n_features:
        raise ValueError(f"{name} has {x.shape[1]} features but x_train has {n_features}; they must match")
    return x


def batched_kernel_fn(kernel_fn: Callable, batch_size: int = 512) -> Callable:
    """``kernel_fn(x1, x2=None, get)`` computed in blocks of ``batch_size`` inputs with ``nt.batch``.

    ``neural_tangents.batch`` needs the numbers of inputs to be multiples of the batch size; this
    wrapper pads the inputs (with copies of their first row), computes and cuts the padding off, so
    any sizes work. Kernels of inputs that fit in one block are computed in one call.

    Parameters
    ----------
    kernel_fn : callable
        An analytic ``kernel_fn`` of ``neural_tangents.stax``.
    batch_size : int ≥ 1
        Inputs per block; memory grows as batch_size² per kernel block.

    Returns
    -------
    callable
        ``fn(x1, x2=None, get=("nngp", "ntk"))``: an array (n1, n2) for a string ``get``, else a
        namedtuple of arrays with fields ``get``.
    """
    if int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size}")
    import jax

    nt = _nt()
    batch_size = int(batch_size)
    blocked = nt.batch(kernel_fn, batch_size=batch_size, device_count=0, store_on_device=True)
    direct = jax.jit(kernel_fn, static_argnames=("get",))

    def pad(x):
        extra = (-x.shape[0]) % batch_size
        return x if extra == 0 else np.concatenate([x, np.repeat(x[:1], extra, axis=0)])

    def fn(x1, x2=None, get=("nngp", "ntk"), **kwargs):
        if kwargs:
            raise TypeError(f"unexpected keyword arguments {sorted(kwargs)}")
        x1 = np.asarray(x1)
        n1 = x1.shape[0]
        n2 = n1 if x2 is None else np.asarray(x2).shape[0]
        if n1 <= batch_size and n2 <= batch_size:
            return direct(x1, x2, get=get)
        out = blocked(pad(x1), None if x2 is None else pad(np.asarray(x2)), get)
        return jax.tree_util.tree_map(lambda a: a[:n1, :n2], out)

    return fn


class Kernels(NamedTuple):
    """NNGP and NTK matrices, float64, shape (n1, n2)."""

    nngp: np.ndarray
    ntk: np.ndarray


def kernels(kernel_fn: Callable, x1, x2=None, *, batch_size: int = 512) -> Kernels:
    """NNGP kernel K(x1, x2) and NTK Θ(x1, x2) of an infinitely wide network, in float64.

    Parameters
    ----------
    kernel_fn : callable
        ``network(...)[2]``.
    x1 : array_like, shape (n1, d)
    x2 : array_like, shape (n2, d), optional
        Default: ``x1``.
    batch_size : int
        Block size of :func:`batched_kernel_fn` (memory ∝ batch_size²).

    Returns
    -------
    Kernels
        ``(nngp, ntk)``, each of shape (n1, n2).

    Raises
    ------
    ValueError
        For inputs that are not 2-D, hold NaN, or whose feature dimensions differ.
    """
    x1 = _check_inputs(x1, "x1")
    if x2 is not None:
        x2 = _check_inputs(x2, "x2", x1.shape[1])
    with _x64():
        out = batched_kernel_fn(kernel_fn, batch_size)(x1, x2, ("nngp", "ntk"))
        return Kernels(np.asarray(out.nngp, dtype=np.float64), np.asarray(out.ntk, dtype=np.float64))


def regression_targets(y, n_classes: int | None = None) -> np.ndarray:
    """MSE targets of class labels: ±1 for two classes (one output), centred one-hot for more.

    Parameters
    ----------
    y : array_like of int, shape (n,)
        Labels 0..C−1.
    n_classes : int, optional
        C; default ``y.max() + 1`` (at least 2).

    Returns
    -------
    ndarray, float64, shape (n, 1) for C = 2 (label 1 → +1, label 0 → −1), else (n, C) with entries
    1 − 1/C at the label and −1/C elsewhere (zero mean over the C outputs).
    """
    y = np.asarray(y)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"y must be a 1-D integer label array, got shape {y.shape} and dtype {y.dtype}")
    n_classes = max(int(y.max()) + 1, 2) if n_classes is None else int(n_classes)
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"labels must lie in 0..{n_classes - 1}")
    if n_classes == 2:
        return (2.0 * y - 1.0)[:, None]
    return np.eye(n_classes)[y] - 1.0 / n_classes


def _check_times(t) -> np.ndarray:
    t = np.atleast_1d(np.asarray(t, dtype=np.float64))
    if t.ndim != 1 or t.size == 0:
        raise ValueError(f"t must be a scalar or a 1-D array of times, got shape {t.shape}")
    if not np.isfinite(t).all():
        raise ValueError("t must be finite (use a large t, e.g. 1e12, for the end of training)")
    if (t < 0).any():
        raise ValueError(f"training times t must be ≥ 0, got min(t) = {t.min():g}")
    return t


@dataclass(frozen=True)
class GaussianEnsemble:
    """The infinite ensemble's outputs p_t(z | x_i) = N(mean[j, i], var[j, i] · I_k) at times t[j].

    Attributes
    ----------
    t : ndarray, shape (n_t,)
        Gradient-flow times (learning rate × steps on ½·mean((f − Y)²)).
    mean : ndarray, shape (n_t, n, k)
        Ensemble mean of the k outputs on the n inputs.
    var : ndarray, shape (n_t, n)
        Ensemble variance of each output on each input (the k outputs are i.i.d.), ≥ 0. On training
        inputs it decays to 0 as t → ∞ (then rounding gives exact zeros).
    prior_var : ndarray, shape (n,)
        The variance at initialisation, K(x_i, x_i) of the NNGP kernel (the prior; t = 0).
    cov : ndarray, shape (n_t, n, n), or None
        Covariance over inputs (of each output), if asked for.
    """

    t: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    prior_var: np.ndarray
    cov: np.ndarray | None = None


def infinite_ensemble(
    kernel_fn: Callable,
    x_train,
    y_train,
    t,
    x_test=None,
    *,
    full_cov: bool = False,
    chunk_size: int = 256,
    batch_size: int = 512,
    max_floats: int = 2**22,
) -> GaussianEnsemble:
    """Mean and variance of the infinite ensemble trained by gradient flow on MSE, at times ``t``.

    Computed by ``neural_tangents.predict.gradient_descent_mse_ensemble(..., get="ntk",
    compute_cov=True)`` (Lee et al. 2019, Eq. 16): an ensemble over initialisations of infinitely wide
    networks whose every layer is trained. The train–train eigendecomposition is done once; test
    inputs are processed ``chunk_size`` at a time and only the diagonal of each chunk's covariance
    is kept, unless ``full_cov``; times are batched so that no block holds more than ``max_floats``.

    Parameters
    ----------
    kernel_fn : callable
        ``network(...)[2]``.
    x_train : array_like, shape (n_train, d)
    y_train : array_like, shape (n_train, k) or (n_train,)
        Regression targets (see :func:`regression_targets`).
    t : float or array_like, shape (n_t,)
        Times ≥ 0; t = 0 is the NNGP prior, large t the end of training.
    x_test : array_like, shape (n, d), optional
        Inputs on which to evaluate; default: the training inputs (with the training-set formulas,
        whose variance goes to 0 as t → ∞).
    full_cov : bool
        Also return the covariance over inputs, shape (n_t, n, n) (memory!).
    chunk_size, batch_size, max_floats : int
        Memory knobs: test inputs per chunk, kernel block size, largest block of floats.

    Returns
    -------
    GaussianEnsemble

    Raises
    ------
    ValueError
        For t < 0 or non-finite, inputs/targets of mismatched shapes, or NaN.

    Examples
    --------
    >>> _, _, kernel_fn = network(depth=1, w_std=1.5, b_std=0.1)
    >>> x = np.linspace(-1, 1, 6)[:, None]
    >>> ens = infinite_ensemble(kernel_fn, x, np.sin(3 * x), t=[0.0, 1e9])
    >>> bool(np.allclose(ens.mean[-1], np.sin(3 * x), atol=1e-4)), bool(np.all(ens.mean[0] == 0))
    (True, True)
    >>> bool(np.allclose(ens.var[0], ens.prior_var)), bool(ens.var[-1].max() < 1e-8)
    (True, True)
    """
    x_train = _check_inputs(x_train, "x_train")
    y_train = np.asarray(y_train, dtype=np.float64)
    if y_train.ndim == 1:
        y_train = y_train[:, None]
    if y_train.ndim != 2 or y_train.shape[0] != x_train.shape[0]:
        raise ValueError(
            f"y_train must have shape (n_train, k) = ({x_train.shape[0]}, k) to match x_train, got {y_train.shape}"
        )
    if not np.isfinite(y_train).all():
        raise ValueError("y_train contains NaN or inf")
    x_eval = None if x_test is None else _check_inputs(x_test, "x_test", x_train.shape[1])
    t = _check_times(t)
    for name, value in (("chunk_size", chunk_size), ("batch_size", batch_size), ("max_floats", max_floats)):
        if int(value) != value or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value}")
    import jax.numpy as jnp

    nt = _nt()
    n = x_train.shape[0] if x_eval is None else x_eval.shape[0]
    k = y_train.shape[1]
    with _x64():
        kfn = batched_kernel_fn(kernel_fn, batch_size)
        predict = nt.predict.gradient_descent_mse_ensemble(kfn, x_train, jnp.asarray(y_train))
        if x_eval is None:
            blocks = [None]
        elif full_cov:
            blocks = [x_eval]
        else:
            blocks = [x_eval[i : i + chunk_size] for i in range(0, n, chunk_size)]
        block_n = n if blocks[0] is None else blocks[0].shape[0]
        t_per_call = max(1, int(max_floats // (block_n * block_n)))
        means, variances, covs, priors = [], [], [], []
        for block in blocks:
            m_block, v_block, c_block = [], [], []
            for j in range(0, t.size, t_per_call):
                out = predict(t=t[j : j + t_per_call], x_test=block, get="ntk", compute_cov=True)
                m_block.append(np.asarray(out.mean, dtype=np.float64))
                cov = np.asarray(out.covariance, dtype=np.float64)
                v_block.append(np.diagonal(cov, axis1=-2, axis2=-1).copy())
                if full_cov:
                    c_block.append(cov)
            means.append(np.concatenate(m_block))
            variances.append(np.concatenate(v_block))
            if full_cov:
                covs.append(np.concatenate(c_block))
            inputs = x_train if block is None else block
            priors.append(np.diagonal(np.asarray(kfn(inputs, None, "nngp"), dtype=np.float64)).copy())
    mean = np.concatenate(means, axis=1).reshape(t.size, n, k)
    var = np.maximum(np.concatenate(variances, axis=1), 0.0)  # rounding can give tiny negatives
    return GaussianEnsemble(
        t=t, mean=mean, var=var, prior_var=np.concatenate(priors), cov=covs[0] if full_cov else None
    )


# --------------------------------------------------------------------------------------------------
# Losses of the ensemble
# --------------------------------------------------------------------------------------------------


def _check_targets(y, mean: np.ndarray) -> np.ndarray:
    y = np.asarray(y, dtype=np.float64)
    if y.ndim == 1:
        y = y[:, None]
    if y.shape != mean.shape[-2:]:
        raise ValueError(f"targets y must have shape {mean.shape[-2:]} (n, k) to match mean, got {y.shape}")
    if not np.isfinite(y).all():
        raise ValueError("targets y contain NaN or inf")
    return y


def gibbs_loss(mean, var, y, *, obs_var: float = 1.0) -> np.ndarray:
    """Gibbs loss: the ensemble members' mean negative log-likelihood, nats per example.

    E_{z ~ N(μ, s)}[−log N(y; z, σ²_obs I_k)] = Σ_d [(y_d − μ_d)² + s_d] / (2σ²_obs) + (k/2) log(2πσ²_obs),
    averaged over the n inputs (exact; Shwartz-Ziv & Alemi 2020, σ²_obs = 1).

    Parameters
    ----------
    mean : array_like, shape (..., n, k)
    var : array_like, shape (..., n) or (..., n, k)
    y : array_like, shape (n, k) or (n,)
        Regression targets.
    obs_var : float > 0
        Variance σ²_obs of the Gaussian observation model.

    Returns
    -------
    ndarray, shape (...), nats per example.
    """
    mean, var = check_gaussian_moments(mean, var, allow_zero=True)
    y = _check_targets(y, mean)
    if not obs_var > 0:
        raise ValueError(f"obs_var must be > 0, got {obs_var}")
    k = mean.shape[-1]
    per = np.sum((y - mean) ** 2 + var, axis=-1) / (2 * obs_var) + 0.5 * k * np.log(2 * np.pi * obs_var)
    return per.mean(axis=-1)


def bayes_loss(mean, var, y, *, obs_var: float = 1.0, joint: bool = False) -> np.ndarray:
    """Bayes loss: negative log-likelihood of the ensemble's predictive distribution, nats per example.

    −log E_z[N(y; z, σ²_obs I)] = −log N(y; μ, s + σ²_obs) per input (``joint=False``), or for the whole
    set at once −(1/n) Σ_d log N(y[:, d]; μ[:, d], Σ + σ²_obs I) with the covariance Σ over inputs
    (``joint=True``, as in the authors' code). By Jensen's inequality Bayes ≤ Gibbs loss.

    Parameters
    ----------
    mean : array_like, shape (..., n, k)
    var : array_like, shape (..., n) or (..., n, k); with ``joint=True`` the covariance (..., n, n)
    y : array_like, shape (n, k) or (n,)
    obs_var : float > 0
    joint : bool

    Returns
    -------
    ndarray, shape (...), nats per example.
    """
    if not obs_var > 0:
        raise ValueError(f"obs_var must be > 0, got {obs_var}")
    if not joint:
        mean, var = check_gaussian_moments(mean, var, allow_zero=True)
        y = _check_targets(y, mean)
        s = var + obs_var
        per = 0.5 * np.sum((y - mean) ** 2 / s + np.log(2 * np.pi * s), axis=-1)
        return per.mean(axis=-1)
    mean = np.asarray(mean, dtype=np.float64)
    cov = np.asarray(var, dtype=np.float64)
    y = _check_targets(y, mean)
    n, k = mean.shape[-2:]
    if cov.shape != mean.shape[:-2] + (n, n):
        raise ValueError(f"with joint=True, var must be the covariance of shape {mean.shape[:-2] + (n, n)}")
    chol = np.linalg.cholesky(cov + obs_var * np.eye(n))
    r = np.linalg.solve(chol, y - mean)
    logdet = 2 * np.log(np.diagonal(chol, axis1=-2, axis2=-1)).sum(-1)
    nll = 0.5 * (np.sum(r**2, axis=(-2, -1)) + k * logdet + k * n * np.log(2 * np.pi))
    return nll / n


# --------------------------------------------------------------------------------------------------
# Finite-width ensembles (for checking the infinite-width predictions)
# --------------------------------------------------------------------------------------------------


def finite_ensemble(
    init_fn: Callable,
    apply_fn: Callable,
    x_train,
    y_train,
    x_eval,
    t,
    *,
    n_networks: int,
    seed: int,
    learning_rate: float = 1.0,
    networks_per_batch: int | None = None,
) -> np.ndarray:
    """Outputs of ``n_networks`` finite networks trained by full-batch gradient descent on MSE.

    Every network starts from its own initialisation (``init_fn``, keys split from ``seed``) and takes
    steps θ ← θ − η ∇_θ ½·mean((f(x_train) − y_train)²) (mean over all n·k entries, the loss behind
    the infinite ensemble's time t = η × steps). Networks are trained together: ``jax.vmap`` over
    networks, ``jax.lax.fori_loop`` over steps, ``jax.jit``; float32.

    Parameters
    ----------
    init_fn, apply_fn : callable
        From ``network(depth, width, ...)``.
    x_train : array_like, shape (n, d)
    y_train : array_like, shape (n, k) or (n,)
    x_eval : array_like, shape (m, d)
        Inputs on which the outputs are recorded.
    t : array_like, shape (n_t,)
        Increasing times ≥ 0, multiples of ``learning_rate``.
    n_networks : int
    seed : int
    learning_rate : float > 0
    networks_per_batch : int, optional
        Train this many networks at a time (memory); default all.

    Returns
    -------
    ndarray, float32, shape (n_networks, n_t, m, k)

    Raises
    ------
    ValueError
        t < 0, not increasing or not a multiple of the learning rate; mismatched shapes; bad counts.
    """
    import jax
    import jax.numpy as jnp

    x_train = _check_inputs(x_train, "x_train")
    x_eval = _check_inputs(x_eval, "x_eval", x_train.shape[1])
    y_train = np.asarray(y_train, dtype=np.float64)
    if y_train.ndim == 1:
        y_train = y_train[:, None]
    if y_train.ndim != 2 or y_train.shape[0] != x_train.shape[0]:
        raise ValueError(f"y_train must have shape ({x_train.shape[0]}, k) to match x_train, got {y_train.shape}")
    t = _check_times(t)
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be > 0, got {learning_rate}")
    if (np.diff(t) < 0).any():
        raise ValueError("t must be increasing")
    steps = np.rint(t / learning_rate).astype(np.int64)
    if np.any(np.abs(steps * learning_rate - t) > 1e-6 * np.maximum(1.0, t)):
        raise ValueError(f"every t must be a multiple of learning_rate={learning_rate}, got t={t}")
    if int(n_networks) != n_networks or n_networks < 1:
        raise ValueError(f"n_networks must be a positive integer, got {n_networks}")
    per_batch = int(n_networks if networks_per_batch is None else min(networks_per_batch, n_networks))

    xtr = jnp.asarray(x_train, dtype=jnp.float32)
    ytr = jnp.asarray(y_train, dtype=jnp.float32)
    xev = jnp.asarray(x_eval, dtype=jnp.float32)
    rate = jnp.float32(learning_rate)
    init, advance, outputs = _trainer(init_fn, apply_fn, tuple(xtr.shape))
    keys = jax.random.split(jax.random.PRNGKey(seed), int(n_networks))
    result = []
    for start in range(0, int(n_networks), per_batch):
        params = init(keys[start : start + per_batch])
        done, recorded = 0, []
        for s in steps:
            params = advance(params, xtr, ytr, rate, jnp.int32(s - done))
            done = int(s)
            recorded.append(np.asarray(outputs(params, xev)))
        result.append(np.stack(recorded, axis=1))
    return np.concatenate(result, axis=0)


@functools.lru_cache(maxsize=16)
def _trainer(init_fn: Callable, apply_fn: Callable, input_shape: tuple[int, ...]):
    """Jitted (init, advance, outputs) for one architecture, cached so repeated calls do not recompile."""
    import jax
    import jax.numpy as jnp

    def step(params, x, y, rate):
        grads = jax.grad(lambda p: 0.5 * jnp.mean((apply_fn(p, x) - y) ** 2))(params)
        return jax.tree_util.tree_map(lambda p, g: p - rate * g, params, grads)

    @jax.jit
    def advance(params, x, y, rate, n_steps):
        batched = jax.vmap(step, in_axes=(0, None, None, None))
        return jax.lax.fori_loop(0, n_steps, lambda _, p: batched(p, x, y, rate), params)

    outputs = jax.jit(jax.vmap(apply_fn, in_axes=(0, None)))
    init = jax.jit(jax.vmap(lambda key: init_fn(key, input_shape)[1]))
    return init, advance, outputs


def ensemble_moments(outputs) -> tuple[np.ndarray, np.ndarray]:
    """Mean (n_t, m, k) and per-input variance (n_t, m) of finite-ensemble ``outputs`` (N, n_t, m, k).

    The variance pools the k outputs (i.i.d. under the infinite-width ensemble) and uses N − 1.
    """
    outputs = np.asarray(outputs, dtype=np.float64)
    if outputs.ndim != 4 or outputs.shape[0] < 2:
        raise ValueError(f"outputs must have shape (n_networks ≥ 2, n_t, m, k), got {outputs.shape}")
    return outputs.mean(axis=0), outputs.var(axis=0, ddof=1).mean(axis=-1)
