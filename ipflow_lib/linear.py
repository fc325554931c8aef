"""Deep linear student–teacher networks and the exact information of their noisy hidden layers.

Saxe et al. (2018, Sec. 3, Fig. 4; Sec. 5, Fig. 7) follow Advani & Saxe (2017): a linear *teacher*
y = W₀x + ε₀ with Gaussian inputs x ~ N(0, diag v) and label noise ε₀ ~ N(0, σ₀² I) produces a few training
samples; a deep *linear* student ŷ = W_out W_L ⋯ W_1 x is trained on them by gradient descent on the squared
error. Its hidden layer ℓ is read through a Gaussian channel T_ℓ = M_ℓ x + ε, M_ℓ = W_ℓ ⋯ W_1,
ε ~ N(0, σ² I) (noise added for the measurement only), so every information quantity is exact and finite, in
closed form from the weights (:func:`channel_information`):

    I(X;T) = ½ log det(I + M diag(v) Mᵀ / σ²),

and, T and Y being jointly Gaussian, I(T;Y), I(T;X_rel), I(T;X_irrel) by log-determinants of their
covariances. Information in bits unless ``base`` says otherwise; "epoch" = one pass over the training set.

``LinearSpec``, ``train_linear``     the experiment's networks, trained (numpy, vectorised over networks)
``loss_gradients``                   squared error and its exact gradient for every weight matrix
``channel_information``              exact I(X;T), I(T;Y), I(T;X_rel), I(T;X_irrel | X_rel), I(T;X_irrel)
"""

from __future__ import annotations

import dataclasses
import math
from typing import NamedTuple

import numpy as np

from .validation import as_array, as_base, as_float, as_int, as_seed

__all__ = [
    "DIVERGED",
    "ChannelInformation",
    "LinearRun",
    "LinearSpec",
    "channel_information",
    "gaussian_mi",
    "generalization_error",
    "layer_maps",
    "loss_gradients",
    "teacher_student_data",
    "train_linear",
]


#: Magnitude of a weight at which :func:`train_linear` declares the training diverged.
DIVERGED = 1e30


def _logdet(a: np.ndarray, name: str = "a covariance") -> np.ndarray:
    """log det of symmetric positive definite matrices (..., p, p), by Cholesky; ValueError if one is not."""
    if not np.isfinite(a).all():
        raise ValueError(f"{name} contains NaN or inf (weights of a diverged run?)")
    try:
        chol = np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        raise ValueError(f"{name} is not positive definite") from None
    return 2.0 * np.sum(np.log(np.diagonal(chol, axis1=-2, axis2=-1)), axis=-1)


def _check_base(base: float) -> float:
    return as_base(base)


def gaussian_mi(cov_a, cov_b, cov_ab, *, base: float = 2.0) -> np.ndarray:
    """I(A;B) of jointly Gaussian vectors: ½ [log|Σ_A| + log|Σ_B| − log|Σ_(A,B)|].

    Parameters
    ----------
    cov_a : array_like, shape (..., p, p) -- covariance of A
    cov_b : array_like, shape (..., q, q) -- covariance of B
    cov_ab : array_like, shape (..., p, q) -- cross-covariance E[(A − μ_A)(B − μ_B)ᵀ]
    base : 2 for bits, e for nats

    Returns
    -------
    ndarray, shape (...), ≥ 0 (Cover & Thomas 2006, Eq. 8.56 applied to h(A) + h(B) − h(A, B)).

    Raises
    ------
    ValueError
        Shapes that do not fit together, or a joint covariance that is not positive definite.
    """
    cov_a, cov_b, cov_ab = (np.asarray(c, dtype=np.float64) for c in (cov_a, cov_b, cov_ab))
    p, q = cov_a.shape[-1], cov_b.shape[-1]
    if cov_a.shape[-2:] != (p, p) or cov_b.shape[-2:] != (q, q) or cov_ab.shape[-2:] != (p, q):
        raise ValueError(f"cov_a (p, p), cov_b (q, q) and cov_ab (p, q) do not fit: {cov_a.shape}, {cov_b.shape}, "
                         f"{cov_ab.shape}")
    lead = np.broadcast_shapes(cov_a.shape[:-2], cov_b.shape[:-2], cov_ab.shape[:-2])
    joint = np.empty(lead + (p + q, p + q))
    joint[..., :p, :p], joint[..., p:, p:] = cov_a, cov_b
    joint[..., :p, p:], joint[..., p:, :p] = cov_ab, np.swapaxes(cov_ab, -1, -2)
    mi = 0.5 * (_logdet(cov_a, "cov_a") + _logdet(cov_b, "cov_b") - _logdet(joint, "the joint covariance"))
    return np.maximum(mi, 0.0) / _check_base(base)


class ChannelInformation(NamedTuple):
    """Exact information of the Gaussian channel T = M x + ε (fields of shape M.shape[:-2], in log ``base``).

    Attributes
    ----------
    i_xt : I(X;T) = ½ log det(I + M diag(v) Mᵀ/σ²)
    i_ty : I(T;Y) for the teacher's y = W₀x + ε₀ (NaN without a teacher); ≤ i_xt (data processing, Y ← X → T)
    i_t_rel : I(T;X_rel), information about the inputs the teacher reads
    i_t_irr : I(T;X_irrel), information about the inputs it ignores
    i_t_irr_given_rel : I(T;X_irrel | X_rel); the chain rule gives i_xt = i_t_rel + i_t_irr_given_rel
    """

    i_xt: np.ndarray
    i_ty: np.ndarray
    i_t_rel: np.ndarray
    i_t_irr: np.ndarray
    i_t_irr_given_rel: np.ndarray


def channel_information(
    maps,
    input_var,
    noise_var: float,
    teacher=None,
    teacher_noise_var: float | None = None,
    relevant=None,
    *,
    base: float = 2.0,
) -> ChannelInformation:
    """Exact information of T = M x + ε, x ~ N(0, diag v), ε ~ N(0, σ² I) (Saxe et al. 2018, Sec. 3, Eq. 3–4).

    Parameters
    ----------
    maps : array_like, shape (..., k, n) -- M, the linear map from the n inputs to the k units of the layer
    input_var : float or array_like (n,) -- v, the variance of each (independent) input
    noise_var : float -- σ² > 0, the variance of the measurement noise of each unit
    teacher : array_like, shape (..., m, n), optional -- W₀ of y = W₀x + ε₀; without it ``i_ty`` is NaN
    teacher_noise_var : float -- σ₀² ≥ 0 of the teacher's label noise (with ``teacher``; 0 needs m ≤ n)
    relevant : array_like of bool, shape (n,), optional -- which inputs are task-relevant (default: all)
    base : 2 for bits, e for nats

    Returns
    -------
    :class:`ChannelInformation`. With every input relevant, ``i_t_irr`` and ``i_t_irr_given_rel`` are 0.

    Raises
    ------
    ValueError
        ``noise_var`` ≤ 0, negative input variances or label noise, shapes that do not fit, NaN weights.
    """
    m = np.asarray(maps, dtype=np.float64)
    if m.ndim < 2 or not np.isfinite(m).all():
        raise ValueError(f"maps must be a finite array (..., k, n), got shape {m.shape}")
    k, n = m.shape[-2:]
    v = np.broadcast_to(np.asarray(input_var, dtype=np.float64), (n,))
    if not np.isfinite(v).all() or (v < 0).any():
        raise ValueError(f"input_var must be finite and ≥ 0, got {input_var!r}")
    noise_var = as_float("noise_var", noise_var, above=0.0)
    rel = np.ones(n, dtype=bool) if relevant is None else np.asarray(relevant, dtype=bool)
    if rel.shape != (n,):
        raise ValueError(f"relevant must have shape ({n},), got {rel.shape}")
    log_b = _check_base(base)
    eye = np.eye(k)

    def cov(cols):
        mc = m[..., cols]
        return (mc * v[cols]) @ np.swapaxes(mc, -1, -2) + noise_var * eye

    ld_t = _logdet(cov(np.ones(n, dtype=bool)))
    ld_noise = k * math.log(noise_var)
    ld_rel, ld_irr = _logdet(cov(rel)), _logdet(cov(~rel))  # h(T | X_irr) and h(T | X_rel), up to constants
    i_xt = 0.5 * (ld_t - ld_noise)
    if teacher is None:
        i_ty = np.full(m.shape[:-2], np.nan)
    else:
        w0 = np.asarray(teacher, dtype=np.float64)
        if w0.ndim < 2 or w0.shape[-1] != n:
            raise ValueError(f"teacher must have shape (..., m, {n}), got {w0.shape}")
        if teacher_noise_var is None:
            raise ValueError("teacher_noise_var (≥ 0) is needed with a teacher, got None")
        teacher_noise_var = as_float("teacher_noise_var", teacher_noise_var, minimum=0.0)
        cov_y = (w0 * v) @ np.swapaxes(w0, -1, -2) + teacher_noise_var * np.eye(w0.shape[-2])
        cov_ty = (m * v) @ np.swapaxes(w0, -1, -2)
        i_ty = gaussian_mi(cov(np.ones(n, dtype=bool)), cov_y, cov_ty, base=math.e)
    clip = lambda a: np.maximum(a, 0.0) / log_b  # noqa: E731  (rounding can leave −1e-15)
    return ChannelInformation(
        i_xt=clip(i_xt), i_ty=clip(i_ty) if teacher is not None else i_ty, i_t_rel=clip(0.5 * (ld_t - ld_irr)),
        i_t_irr=clip(0.5 * (ld_t - ld_rel)), i_t_irr_given_rel=clip(0.5 * (ld_irr - ld_noise)),
    )


# --------------------------------------------------------------------------------------------------
# The networks
# --------------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class LinearSpec:
    """One set of deep linear student networks on linear teachers (Saxe et al. 2018; Advani & Saxe 2017).

    Attributes
    ----------
    n_inputs : N_i, input dimension; x ~ N(0, I/N_i)
    n_relevant : inputs the teacher reads (the first ones); None = all (Sec. 3), Saxe et al. Sec. 5: 30 of 100
    n_hidden : N_h, units of every hidden layer
    n_hidden_layers : hidden layers of the student (≥ 1)
    n_outputs : outputs of teacher and student
    n_train : P, training samples per network
    teacher_weight_var : variance of the teacher's weights on the relevant inputs (mean signal variance =
        teacher_weight_var · n_relevant / n_inputs)
    teacher_noise_var : σ₀², the label noise variance
    init_std : standard deviation of the student's initial weights, scaled by 1/√fan-in (small: rich regime)
    learning_rate : step size of gradient descent on ½·mean squared error
    n_epochs, n_logged_points : training length, and how many log-spaced epochs (0 included) are measured
    batch_size : None = full-batch gradient descent; else SGD on shuffled mini-batches of this size
    n_networks : independent replications (teacher, samples, initial weights and batches each drawn anew)
    seed : network j draws everything from ``numpy.random.default_rng([seed, j])``
    mi_noise_var : σ², the measurement noise of :func:`channel_information`

    Raises
    ------
    ValueError
        Non-positive sizes, rates or variances, more relevant inputs than inputs, a batch larger than P.
    """

    n_inputs: int = 100
    n_relevant: int | None = None
    n_hidden: int = 100
    n_hidden_layers: int = 1
    n_outputs: int = 1
    n_train: int = 100
    teacher_weight_var: float = 1.0
    teacher_noise_var: float = 1.0
    init_std: float = 0.01
    learning_rate: float = 1.0
    n_epochs: int = 10_000
    n_logged_points: int = 60
    batch_size: int | None = None
    n_networks: int = 10
    seed: int = 0
    mi_noise_var: float = 1e-2

    def __post_init__(self):
        for name in ("n_inputs", "n_hidden", "n_hidden_layers", "n_outputs", "n_train", "n_epochs", "n_networks"):
            as_int(f"LinearSpec.{name}", getattr(self, name), minimum=1)
        as_int("LinearSpec.n_logged_points", self.n_logged_points, minimum=2)
        if self.n_relevant is not None:
            as_int("LinearSpec.n_relevant", self.n_relevant, minimum=1)
        if self.batch_size is not None:
            as_int("LinearSpec.batch_size", self.batch_size, minimum=1)
        for name in ("teacher_weight_var", "learning_rate", "mi_noise_var", "init_std"):
            as_float(f"LinearSpec.{name}", getattr(self, name), above=0.0)
        as_float("LinearSpec.teacher_noise_var", self.teacher_noise_var, minimum=0.0)
        as_seed("LinearSpec.seed", self.seed)
        if self.n_relevant is not None and not 1 <= self.n_relevant <= self.n_inputs:
            raise ValueError(f"n_relevant must be in [1, n_inputs={self.n_inputs}] or None, got {self.n_relevant}")
        if self.batch_size is not None and not 1 <= self.batch_size <= self.n_train:
            raise ValueError(f"batch_size must be in [1, n_train={self.n_train}] or None, got {self.batch_size}")
        for name in ("teacher_weight_var", "learning_rate", "mi_noise_var", "init_std"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        if self.teacher_noise_var < 0:
            raise ValueError(f"teacher_noise_var must be ≥ 0, got {self.teacher_noise_var}")

    def replace(self, **changes) -> LinearSpec:
        """A copy with ``changes`` (validated again)."""
        return dataclasses.replace(self, **changes)

    @property
    def relevant(self) -> np.ndarray:
        """(n_inputs,) bool: the inputs the teacher reads."""
        mask = np.zeros(self.n_inputs, dtype=bool)
        mask[: self.n_inputs if self.n_relevant is None else self.n_relevant] = True
        return mask

    @property
    def input_var(self) -> float:
        """Variance of every input, 1/N_i (so that ‖x‖² ≈ 1)."""
        return 1.0 / self.n_inputs

    @property
    def logged_epochs(self) -> np.ndarray:
        """0 and about ``n_logged_points − 1`` log-spaced epochs up to ``n_epochs`` (unique integers)."""
        pts = np.geomspace(1, self.n_epochs, self.n_logged_points - 1)
        return np.unique(np.concatenate([[0], np.round(pts).astype(np.int64), [self.n_epochs]]))


def teacher_student_data(spec: LinearSpec, network: int):
    """Teacher, training set and initial student weights of network ``network`` (its own random stream).

    Returns
    -------
    (w0, x, y, weights): w0 (n_outputs, n_inputs) with zeros on the irrelevant inputs; x (n_inputs, n_train);
    y (n_outputs, n_train) = w0 x + noise; weights, a list [W_1 (N_h, N_i), W_2 … W_L (N_h, N_h), W_out
    (n_outputs, N_h)], entries N(0, init_std² / fan-in).
    """
    rng = np.random.default_rng([spec.seed, network])
    w0 = rng.normal(0.0, math.sqrt(spec.teacher_weight_var), (spec.n_outputs, spec.n_inputs)) * spec.relevant
    x = rng.normal(0.0, math.sqrt(spec.input_var), (spec.n_inputs, spec.n_train))
    y = w0 @ x + rng.normal(0.0, math.sqrt(spec.teacher_noise_var), (spec.n_outputs, spec.n_train))
    dims = [spec.n_inputs] + [spec.n_hidden] * spec.n_hidden_layers + [spec.n_outputs]
    weights = [rng.normal(0.0, spec.init_std / math.sqrt(a), (b, a)) for a, b in zip(dims[:-1], dims[1:], strict=True)]
    return w0, x, y, weights


def layer_maps(weights) -> list[np.ndarray]:
    """The maps M_ℓ = W_ℓ ⋯ W_1 from the input to every layer, the output's included (the last one).

    ``weights``: list of arrays (..., d_out, d_in) as in :func:`teacher_student_data` (leading dims: networks).
    """
    maps, m = [], None
    for w in weights:
        m = w if m is None else w @ m
        maps.append(m)
    return maps


def loss_gradients(weights, x, y) -> tuple[np.ndarray, list[np.ndarray]]:
    """Loss ½·mean_samples ‖y − W_out ⋯ W_1 x‖² and its exact gradient with respect to every weight matrix.

    Parameters
    ----------
    weights : list of arrays (..., d_out, d_in), input layer first (leading dims: networks)
    x : array (..., n_inputs, B) -- a batch of inputs, one column per sample
    y : array (..., n_outputs, B) -- their targets

    Returns
    -------
    (loss (...), grads): ∂loss/∂W_j = −S_jᵀ g (W_{j−1} ⋯ W_1)ᵀ with g = (y − Wx) xᵀ / B and S_j = W_out ⋯ W_{j+1},
    computed with row blocks of n_outputs rows only (the products of the square hidden matrices are never
    formed), so one step costs O(n_outputs · depth · N_h²).
    """
    weights = [as_array(f"weights[{j}]", w, min_ndim=2) for j, w in enumerate(weights)]
    x, y = as_array("x", x, min_ndim=2), as_array("y", y, min_ndim=2)
    if not weights:
        raise ValueError("weights must hold at least one matrix")
    for j in range(1, len(weights)):
        if weights[j].shape[-1] != weights[j - 1].shape[-2]:
            raise ValueError(f"weights[{j}] has {weights[j].shape[-1]} inputs but weights[{j - 1}] has "
                             f"{weights[j - 1].shape[-2]} outputs")
    if x.shape[-2] != weights[0].shape[-1] or y.shape[-2] != weights[-1].shape[-2] or x.shape[-1] != y.shape[-1]:
        raise ValueError(f"x must be (..., {weights[0].shape[-1]}, B) and y (..., {weights[-1].shape[-2]}, B) with the "
                         f"same B, got {x.shape} and {y.shape}")
    n_out = weights[-1].shape[-2]
    suffix = [None] * len(weights)
    s = np.broadcast_to(np.eye(n_out), weights[-1].shape[:-2] + (n_out, n_out))
    for j in range(len(weights) - 1, -1, -1):
        suffix[j] = s
        s = s @ weights[j]
    total = s  # W_out ⋯ W_1, (..., n_out, n_in)
    resid = y - total @ x
    batch = x.shape[-1]
    loss = 0.5 * np.sum(resid**2, axis=(-2, -1)) / batch
    g = resid @ np.swapaxes(x, -1, -2) / batch
    grads = []
    for j, w in enumerate(weights):
        grads.append(-np.swapaxes(suffix[j], -1, -2) @ g)
        g = g @ np.swapaxes(w, -1, -2)
    return loss, grads


def generalization_error(total, w0, input_var, teacher_noise_var) -> np.ndarray:
    """Expected squared error E‖y − W x‖² on fresh samples: Σ (W − W₀)² v + n_outputs σ₀² (the generalisation
    error of Advani & Saxe 2017). ``total``, ``w0``: (..., n_outputs, n_inputs)."""
    input_var = as_float("input_var", input_var, minimum=0.0)
    teacher_noise_var = as_float("teacher_noise_var", teacher_noise_var, minimum=0.0)
    d = np.asarray(total, dtype=np.float64) - np.asarray(w0, dtype=np.float64)
    return np.sum(d**2 * input_var, axis=(-2, -1)) + d.shape[-2] * teacher_noise_var


@dataclasses.dataclass
class LinearRun:
    """Logged curves of :func:`train_linear`: every array (n_networks, n_logged[, n_hidden_layers]).

    ``train_error``: mean squared error on the training samples; ``test_error``: its expectation on fresh
    samples (:func:`generalization_error`); ``i_xt``, ``i_ty``, ``i_t_rel``, ``i_t_irr``, ``i_t_irr_given_rel``:
    bits, per hidden layer (:func:`channel_information`); ``steps``: optimiser steps taken.
    """

    spec: LinearSpec
    logged_epochs: np.ndarray
    train_error: np.ndarray
    test_error: np.ndarray
    i_xt: np.ndarray
    i_ty: np.ndarray
    i_t_rel: np.ndarray
    i_t_irr: np.ndarray
    i_t_irr_given_rel: np.ndarray
    steps: int
    final_weights: list = dataclasses.field(default_factory=list, repr=False)


def train_linear(spec: LinearSpec) -> LinearRun:
    """Train ``spec.n_networks`` deep linear students at once (stacked along a leading axis) and log them.

    Full-batch gradient descent (``batch_size=None``) uses every sample in their stored order each epoch;
    SGD draws a fresh permutation per epoch and network and takes ⌈P/B⌉ steps (the last batch may be smaller).
    The information of every hidden layer is measured with σ² = ``spec.mi_noise_var`` at the logged epochs.
    Deterministic: the same spec gives the same numbers.

    Raises
    ------
    FloatingPointError
        If a weight reaches :data:`DIVERGED` in magnitude or NaN (a learning rate beyond the stable range of
        gradient descent).
    """
    nets = [teacher_student_data(spec, j) for j in range(spec.n_networks)]
    w0 = np.stack([n[0] for n in nets])
    x = np.stack([n[1] for n in nets])
    y = np.stack([n[2] for n in nets])
    weights = [np.stack([n[3][j] for n in nets]) for j in range(len(nets[0][3]))]
    logged = spec.logged_epochs
    rng = np.random.default_rng([spec.seed, 2**31 - 1])  # the mini-batch draws
    n_layers = spec.n_hidden_layers
    shape = (spec.n_networks, len(logged))
    out = {k: np.zeros(shape + (n_layers,)) for k in ChannelInformation._fields}
    train_err, test_err = np.zeros(shape), np.zeros(shape)
    steps, k = 0, 0
    lr = spec.learning_rate
    for epoch in range(spec.n_epochs + 1):
        if not all(np.all(np.abs(w) < DIVERGED) for w in weights):  # False for NaN too
            raise FloatingPointError(f"training diverged by epoch {epoch}: lower learning_rate "
                                     f"(now {spec.learning_rate})")
        if k < len(logged) and epoch == logged[k]:
            maps = layer_maps(weights)
            info = channel_information(np.stack(maps[:-1], axis=1), spec.input_var, spec.mi_noise_var,
                                       w0[:, None], spec.teacher_noise_var, spec.relevant)
            for name in ChannelInformation._fields:
                out[name][:, k] = getattr(info, name)
            train_err[:, k] = np.mean(np.sum((y - maps[-1] @ x) ** 2, axis=1), axis=-1)
            test_err[:, k] = generalization_error(maps[-1], w0, spec.input_var, spec.teacher_noise_var)
            k += 1
        if epoch == spec.n_epochs:
            break
        if spec.batch_size is None:
            batches = [(x, y)]
        else:
            perm = np.argsort(rng.random((spec.n_networks, spec.n_train)), axis=1)
            xs = np.take_along_axis(x, perm[:, None, :], axis=2)
            ys = np.take_along_axis(y, perm[:, None, :], axis=2)
            batches = [(xs[..., i:i + spec.batch_size], ys[..., i:i + spec.batch_size])
                       for i in range(0, spec.n_train, spec.batch_size)]
        for xb, yb in batches:
            _, grads = loss_gradients(weights, xb, yb)
            weights = [w - lr * g for w, g in zip(weights, grads, strict=True)]
            steps += 1
    return LinearRun(spec=spec, logged_epochs=logged, train_error=train_err, test_error=test_err,
                     i_xt=out["i_xt"], i_ty=out["i_ty"], i_t_rel=out["i_t_rel"], i_t_irr=out["i_t_irr"],
                     i_t_irr_given_rel=out["i_t_irr_given_rel"], steps=steps, final_weights=weights)
