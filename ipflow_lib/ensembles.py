"""Many small MLPs trained at once in JAX, with estimators streamed at the logged epochs.

Shwartz-Ziv & Tishby (2017) train 50 randomly initialised 12-10-7-5-4-3-2 networks for 10 000 epochs
and look at every layer at 964 logged epochs. Storing those activations would take ~24 GB, so this
module never does: at each logged epoch it computes every layer on all inputs, hands them to the
estimators (e.g. :func:`ipflow_lib.estimators.binned_mi`) and keeps only their outputs.

The networks are one batched computation: ``jax.vmap`` over networks, ``lax.scan`` over the
mini-batches of an epoch, ``lax.fori_loop`` over the epochs between two logged epochs, all ``jit``-ed.
Each network has its own seed, training set and test set, so a sweep over seeds *and* training sizes of
one architecture is a single run, and a network's numbers do not depend on which others it is trained
with (up to floating-point reduction order).

Three pieces: :class:`TrainingSpec` says how to train; :func:`compile_trainer` turns it into the jitted
functions (:class:`CompiledTrainer`, no data inside); :class:`TrainingLog` owns what is kept at the logged
epochs and its checkpoint; :func:`train_ensemble` is the loop that joins them.

Conventions: the state at logged epoch ``e`` is the network after ``e`` epochs (``e = 0`` is the
initialisation). Gradient statistics at logged epoch ``e`` are taken over the mini-batches of the
epoch that starts from that state (SZT17, Sec. 4.2, Fig. 4).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from .runtime import Terminated, TrainingStopped, progress, termination_requested, watch_termination
from .validation import MAX_SEED

ACTIVATIONS = ("tanh", "relu", "linear")
OPTIMIZERS = ("adam", "sgd")
INITIALISATIONS = ("truncated_normal",)

Estimator = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]

__all__ = [
    "ACTIVATIONS",
    "OPTIMIZERS",
    "INITIALISATIONS",
    "CompiledTrainer",
    "EnsembleRun",
    "Estimates",
    "TrainingLog",
    "TrainingSpec",
    "TIMINGS",
    "TrainingStopped",
    "compile_trainer",
    "forward",
    "init_params",
    "initial_params",
    "log_spaced_epochs",
    "train_ensemble",
]


def log_spaced_epochs(n_epochs: int, n_points: int = 1800) -> np.ndarray:
    """The logged epochs of the authors' code: ``unique(int(logspace(0, log2(n_epochs), n_points, base=2))) - 1``.

    For ``n_epochs = 10000, n_points = 1800`` this gives 964 epochs: every epoch up to 213, then
    log-spaced up to 9998 (SZT17 runs).

    Returns
    -------
    ndarray of int64, shape (n_logged,), sorted, in [0, n_epochs).
    """
    if n_epochs < 1 or n_points < 1:
        raise ValueError(f"n_epochs and n_points must be ≥ 1, got {n_epochs}, {n_points}")
    grid = np.logspace(0, np.log2(n_epochs), n_points, base=2)
    return np.unique(grid.astype(np.int64)) - 1


@dataclasses.dataclass(frozen=True)
class TrainingSpec:
    """How an ensemble of MLPs is trained: the one training specification of every trainer experiment.

    The defaults are the SZT17 network and the authors' optimiser: 50 networks 12-10-7-5-4-3-2 with tanh
    hidden units and a softmax output, Adam at learning rate 4·10⁻⁴, mini-batches of 512, 10 000 epochs,
    measured at the 964 logged epochs of the authors' code.

    Attributes
    ----------
    hidden_widths : tuple of int ≥ 1 -- hidden layer widths, e.g. (10, 7, 5, 4, 3)
    activation : "tanh" | "relu" | "linear" -- hidden units; the output layer is always a softmax
    optimizer : "adam" (the authors' code) | "sgd" (plain gradient descent, the paper's text)
    learning_rate : float > 0
    batch_size : int ≥ 1 or None -- mini-batch size (reshuffled every epoch); None = full batch
    n_epochs : int ≥ 2 -- length of training
    n_logged_points : int ≥ 1 -- logspace points of the logged-epoch schedule before de-duplication
        (:func:`log_spaced_epochs`: 1800 → 964 logged epochs for 10 000 epochs)
    init : "truncated_normal" -- W ~ truncated normal on ±2σ, σ = 1/√fan_in, b = 0 (authors' code)
    n_networks : int ≥ 1 -- networks in the ensemble
    seed : int ≥ 0 -- network ``i`` uses seed ``seed + i`` for its initialisation and mini-batch order
    custom_logged_epochs : tuple of int or None -- an explicit logged-epoch schedule (strictly increasing,
        in [0, n_epochs)) instead of the log-spaced one
    hidden_noise_std : float ≥ 0 -- β of a noisy network (Goldfeld et al. 2019, Sec. 2): N(0, β²) noise is added
        to every hidden unit in training, after its activation, and propagates through the later layers; 0 (the
        default) trains exactly the noise-free network, and is left out of the pickled state (cache keys)

    Raises
    ------
    TypeError, ValueError
        On a setting of the wrong type or out of range, naming the field.
    """

    hidden_widths: tuple[int, ...] = (10, 7, 5, 4, 3)
    activation: str = "tanh"
    optimizer: str = "adam"
    learning_rate: float = 4e-4
    batch_size: int | None = 512
    n_epochs: int = 10_000
    n_logged_points: int = 1800
    init: str = "truncated_normal"
    n_networks: int = 50
    seed: int = 0
    custom_logged_epochs: tuple[int, ...] | None = None
    hidden_noise_std: float = 0.0

    def __post_init__(self):
        def integer(name, value, low):
            if isinstance(value, bool) or not isinstance(value, int | np.integer):
                raise TypeError(f"TrainingSpec.{name} must be an int, got {value!r}")
            if value < low:
                raise ValueError(f"TrainingSpec.{name} must be ≥ {low}, got {value!r}")

        widths = self.hidden_widths
        if not isinstance(widths, tuple) or not widths:
            raise TypeError(f"TrainingSpec.hidden_widths must be a non-empty tuple of ints, got {widths!r}")
        for w in widths:
            integer("hidden_widths", w, 1)
        for name, choices in (("activation", ACTIVATIONS), ("optimizer", OPTIMIZERS), ("init", INITIALISATIONS)):
            if getattr(self, name) not in choices:
                raise ValueError(f"TrainingSpec.{name} must be one of {choices}, got {getattr(self, name)!r}")
        lr = self.learning_rate
        if isinstance(lr, bool) or not isinstance(lr, int | float | np.integer | np.floating):
            raise TypeError(f"TrainingSpec.learning_rate must be a number, got {lr!r}")
        if not math.isfinite(lr) or lr <= 0:
            raise ValueError(f"TrainingSpec.learning_rate must be a finite number > 0, got {lr!r}")
        if self.batch_size is not None:
            integer("batch_size", self.batch_size, 1)
        integer("n_epochs", self.n_epochs, 2)
        integer("n_logged_points", self.n_logged_points, 1)
        integer("n_networks", self.n_networks, 1)
        integer("seed", self.seed, 0)
        if self.seed + self.n_networks > MAX_SEED:  # network i uses seed + i; a JAX key would wrap it modulo 2**32
            raise ValueError(f"TrainingSpec.seed + n_networks must be ≤ 2**32 (seeds of networks seed..seed + "
                             f"n_networks − 1 in [0, 2**32), not wrapped), got seed={self.seed!r}, "
                             f"n_networks={self.n_networks!r}")
        if self.custom_logged_epochs is not None:
            logged = self.custom_logged_epochs
            if not isinstance(logged, tuple) or not logged:
                raise TypeError(f"TrainingSpec.custom_logged_epochs must be a non-empty tuple of ints, got {logged!r}")
            for e in logged:
                integer("custom_logged_epochs", e, 0)
            if any(b <= a for a, b in zip(logged[:-1], logged[1:], strict=True)) or logged[-1] >= self.n_epochs:
                raise ValueError("TrainingSpec.custom_logged_epochs must be strictly increasing and < n_epochs "
                                 f"= {self.n_epochs}, got {logged!r}")
        beta = self.hidden_noise_std
        if isinstance(beta, bool) or not isinstance(beta, int | float | np.integer | np.floating):
            raise TypeError(f"TrainingSpec.hidden_noise_std must be a number, got {beta!r}")
        if not math.isfinite(beta) or beta < 0:
            raise ValueError(f"TrainingSpec.hidden_noise_std must be a finite number ≥ 0, got {beta!r}")

    def __getstate__(self):
        # the noise-free default is left out, so that pickles and cache keys of noise-free specs stay as before
        state = dict(self.__dict__)
        if state.get("hidden_noise_std") == 0:
            del state["hidden_noise_std"]
        return state

    @property
    def logged_epochs(self) -> np.ndarray:
        """The logged epochs: ``custom_logged_epochs`` if set, else :func:`log_spaced_epochs` (n_epochs,
        n_logged_points); int64 (n_logged,)."""
        if self.custom_logged_epochs is not None:
            return np.asarray(self.custom_logged_epochs, dtype=np.int64)
        return log_spaced_epochs(self.n_epochs, self.n_logged_points)

    @property
    def seeds(self) -> np.ndarray:
        """Seeds of the networks, ``seed + arange(n_networks)``: int64 (n_networks,)."""
        return self.seed + np.arange(self.n_networks, dtype=np.int64)

    def replace(self, **changes) -> TrainingSpec:
        """A copy with some fields changed (``dataclasses.replace``), validated again."""
        return dataclasses.replace(self, **changes)


@dataclasses.dataclass
class Estimates:
    """One estimator's information-plane coordinates.

    Attributes
    ----------
    epochs : ndarray (n_epochs,) of int -- the logged epochs where the estimator ran
    i_xt, i_ty : ndarray (n_networks, n_epochs, n_layers) -- I(X;T) and I(T;Y), in the estimator's units
        (bits for the estimators of :mod:`ipflow_lib.estimators`)
    """

    epochs: np.ndarray
    i_xt: np.ndarray
    i_ty: np.ndarray


@dataclasses.dataclass
class EnsembleRun:
    """What :func:`train_ensemble` measured. Shapes use n_networks networks, n_logged logged epochs and
    n_layers = hidden layers + the softmax output layer.

    Attributes
    ----------
    logged_epochs : (n_logged,) int
    layer_widths : widths of the n_layers layers
    estimates : dict name -> :class:`Estimates`
    train_loss, test_loss : (n_networks, n_logged) mean cross entropy [nats]
    train_acc, test_acc : (n_networks, n_logged) accuracy in [0, 1]
    grad_mean, grad_std : (n_networks, n_logged, n_layers) norm of the mean and of the per-coordinate standard
        deviation of the weight gradients over the mini-batches of that epoch (SZT17 Fig. 4)
    weight_norm : (n_networks, n_logged, n_layers) Frobenius norm of each layer's weights
    activations : dict epoch -> list of per-layer arrays (n_networks, n_samples, n_units), for ``record_epochs``
    params : final weights, list of (W (n_networks, fan_in, fan_out), b (n_networks, fan_out)) after
        ``logged_epochs[-1] + 1`` epochs
    timings : where this call's time went, seconds (:data:`TIMINGS`; this session only, not a resumed one's)
    """

    logged_epochs: np.ndarray
    layer_widths: tuple[int, ...]
    estimates: dict[str, Estimates]
    train_loss: np.ndarray
    train_acc: np.ndarray
    test_loss: np.ndarray
    test_acc: np.ndarray
    weight_norm: np.ndarray
    grad_mean: np.ndarray
    grad_std: np.ndarray
    activations: dict[int, list[np.ndarray]]
    params: list[tuple[np.ndarray, np.ndarray]] | None = None
    timings: dict[str, float] | None = None


# --------------------------------------------------------------------------------------------------
# One network (these functions are vmapped over networks)


def init_params(key, layer_sizes: Sequence[int]):
    """Weights of one MLP: W ~ truncated normal on ±2σ with σ = 1/sqrt(fan_in), b = 0 (authors' code).

    Returns a list of ``(W, b)`` with W of shape (fan_in, fan_out) and b of shape (fan_out,), float32.
    """
    import jax
    import jax.numpy as jnp

    params = []
    for fan_in, fan_out in zip(layer_sizes[:-1], layer_sizes[1:], strict=True):
        key, sub = jax.random.split(key)
        w = jax.random.truncated_normal(sub, -2.0, 2.0, (fan_in, fan_out), jnp.float32) / math.sqrt(fan_in)
        params.append((w, jnp.zeros((fan_out,), jnp.float32)))
    return params


def initial_params(seeds: Sequence[int], layer_sizes: Sequence[int]):
    """The initial weights :func:`train_ensemble` gives the networks with these seeds.

    Returns a list of (W (n_networks, fan_in, fan_out), b (n_networks, fan_out)) numpy arrays, as in
    ``EnsembleRun.params``; each network's weights depend on its own seed only.
    """
    import jax
    import jax.numpy as jnp

    keys = jax.vmap(jax.random.PRNGKey)(jnp.asarray(np.asarray(seeds), dtype=jnp.uint32))
    init_keys = jax.vmap(lambda k: jax.random.fold_in(k, 0))(keys)
    params = jax.vmap(lambda k: init_params(k, tuple(layer_sizes)))(init_keys)
    return [(np.asarray(w), np.asarray(b)) for w, b in params]


def _activate(z, activation: str):
    import jax.numpy as jnp

    if activation == "tanh":
        return jnp.tanh(z)
    if activation == "relu":
        return jnp.maximum(z, 0.0)
    return z


#: Layers with at most this many inputs (or outputs, for the backward pass) are computed as unrolled sums of
#: elementwise products instead of dots: for the small networks of the thesis XLA's CPU backend fuses them into
#: one vectorised loop, 3-4x faster than a batched dot, whose cost is the per-matrix call.
UNROLL_MAX = 16


def _dense_t(w, h):
    """w (fan_in, fan_out), h (fan_in, batch) -> wᵀh (fan_out, batch)."""
    if w.shape[0] > UNROLL_MAX:
        return w.T @ h
    out = w[0][:, None] * h[0][None, :]
    for i in range(1, w.shape[0]):
        out = out + w[i][:, None] * h[i][None, :]
    return out


def _dense(w, d):
    """w (fan_in, fan_out), d (fan_out, batch) -> w d (fan_in, batch): the backward pass of :func:`_dense_t`."""
    if w.shape[1] > UNROLL_MAX:
        return w @ d
    out = w[:, 0][:, None] * d[0][None, :]
    for j in range(1, w.shape[1]):
        out = out + w[:, j][:, None] * d[j][None, :]
    return out


def _outer_t(h, d):
    """h (fan_in, batch), d (fan_out, batch) -> h dᵀ (fan_in, fan_out): a weight gradient, summed over the batch."""
    if h.shape[0] * d.shape[0] > UNROLL_MAX**2:
        return h @ d.T
    import jax.numpy as jnp

    return jnp.stack([(h[i][None, :] * d).sum(axis=-1) for i in range(h.shape[0])])


def _slope(z, a, activation: str):
    """σ'(z) of the hidden activations, a = σ(z): tanh 1 − a²; relu 1 for z > 0, 0 for z < 0 and ½ at z = 0
    (the derivative JAX gives ``maximum(z, 0)`` there, which inputs of all zeros reach at b = 0); linear 1."""
    import jax.numpy as jnp

    if activation == "tanh":
        return 1.0 - a * a
    if activation == "relu":
        return jnp.where(z > 0, 1.0, jnp.where(z == 0, 0.5, 0.0)).astype(z.dtype)
    return 1.0


def forward(params, x, activation: str = "tanh", noise_std: float = 0.0, key=None):
    """All layers of one MLP on inputs x (n, n_in): ``(layers, logits)``.

    ``layers`` is the list of hidden activations followed by the softmax output (the layers of the
    information plane); ``logits`` (n, n_classes) are the pre-softmax outputs. With ``noise_std`` β > 0 and a
    PRNG ``key``, every hidden layer is T_ℓ = σ(W_ℓ T_ℓ₋₁ + b_ℓ) + β Z_ℓ, Z_ℓ ~ N(0, I), the noise propagating
    to the later layers (the noisy network of Goldfeld et al. 2019, Sec. 2); ``layers`` then holds the noisy T_ℓ.
    """
    import jax

    layers = []
    h = x
    for k, (w, b) in enumerate(params[:-1]):
        h = _activate(h @ w + b, activation)
        if noise_std > 0:
            h = h + noise_std * jax.random.normal(jax.random.fold_in(key, k), h.shape, h.dtype)
        layers.append(h)
    w, b = params[-1]
    logits = h @ w + b
    layers.append(jax.nn.softmax(logits, axis=-1))
    return layers, logits


# --------------------------------------------------------------------------------------------------
# The compile step: the jitted functions of one architecture, optimiser and batch geometry (no data)


@dataclasses.dataclass(frozen=True)
class CompiledTrainer:
    """The jitted computations that train an ensemble of one architecture; made by :func:`compile_trainer`.

    Nothing here holds data: the data travel as the argument ``data`` (a dict made by :meth:`data`), since
    closed-over arrays would become compile-time constants, which XLA then spends seconds constant-folding.
    Each network's parameters are one flat float32 vector (``params`` has shape (n_networks, n_weights));
    ``opt_state`` is the optax state of those vectors, batched over networks.

    Attributes
    ----------
    spec : the :class:`TrainingSpec` it was compiled for
    layer_sizes : (n_inputs, *hidden_widths, n_classes)
    n_samples : samples of the data it trains on (train and test together)
    batch, n_batches : mini-batch size and mini-batches per epoch (the largest training set, padded)
    advance : ``(params, opt_state, shuffle_keys, start, stop, data) -> (params, opt_state)``:
        epochs ``start .. stop - 1``, one ``lax.fori_loop``
    epoch_with_stats : ``(params, opt_state, shuffle_keys, epoch, data) -> (params, opt_state, stats)``: one
        epoch; ``stats`` (n_networks, 2, n_layers) are the norm of the mean and of the per-coordinate standard
        deviation of each layer's weight gradients over that epoch's mini-batches (SZT17 Sec. 4.2, Fig. 4)
    evaluate : ``(params, data) -> (layers, metrics, weight_norm)``: every layer on all samples (list of
        (n_networks, n_samples, n_units)), metrics (n_networks, 4) = train loss, test loss [nats, mean cross
        entropy], train accuracy, test accuracy, and the Frobenius norm of each layer's weights
        (n_networks, n_layers)
    evaluate_with : ``(params, data, lenses, keep_layers) -> (layers or None, metrics, weight_norm, codes)``: the
        same, and for each device estimator of the tuple ``lenses`` (e.g.
        :class:`ipflow_lib.estimators.FixedBins`; static, hashable) and each layer the arrays of its
        ``device_codes`` (batched over networks); ``layers`` only when ``keep_layers``
    init : ``seeds -> (params, opt_state, shuffle_keys)``: network ``i`` starts from
        ``PRNGKey(seeds[i])`` folded with 0 (weights, :func:`init_params`) and shuffles with it folded with 1
    unravel : flat vector of one network -> list of ``(W, b)``
    """

    spec: TrainingSpec
    layer_sizes: tuple[int, ...]
    n_samples: int
    batch: int
    n_batches: int
    advance: Callable
    epoch_with_stats: Callable
    evaluate: Callable
    evaluate_with: Callable
    init: Callable
    unravel: Callable

    @property
    def n_layers(self) -> int:
        """Layers of the information plane: the hidden layers and the softmax output."""
        return len(self.layer_sizes) - 1

    def data(self, X, y, train_mask, test_mask) -> dict:
        """The device arrays that ``advance``, ``epoch_with_stats`` and ``evaluate`` take as ``data``.

        X float32 (n_samples, n_inputs), y int32 (n_samples,), masks bool (n_networks, n_samples), checked
        by :func:`train_ensemble`; every network needs a training sample.
        """
        import jax.numpy as jnp

        te_count = np.maximum(test_mask.sum(axis=1, keepdims=True), 1)
        return {
            "XT": jnp.asarray(np.ascontiguousarray(X.T)), "y": jnp.asarray(y),
            "mask": jnp.asarray(train_mask),
            "n_train": jnp.asarray(train_mask.sum(axis=1)),
            "base_order": jnp.asarray(np.argsort(~train_mask, axis=1, kind="stable").astype(np.int32)),
            "train_w": jnp.asarray(train_mask / train_mask.sum(axis=1, keepdims=True), dtype=jnp.float32),
            "test_w": jnp.asarray(test_mask / te_count, dtype=jnp.float32),
        }

    def layer_params(self, params) -> list[tuple[np.ndarray, np.ndarray]]:
        """Flat parameters (n_networks, n_weights) as numpy (W (n_networks, fan_in, fan_out), b (n_networks,
        fan_out)) per layer, the form of ``EnsembleRun.params`` and :func:`initial_params`."""
        import jax

        return [(np.asarray(w), np.asarray(b)) for w, b in jax.vmap(self.unravel)(params)]


def compile_trainer(spec: TrainingSpec, layer_sizes: Sequence[int], n_samples: int, n_train_max: int
                    ) -> CompiledTrainer:
    """The jitted training and evaluation functions for ``spec`` on data of this geometry (pure: no data).

    Parameters
    ----------
    spec : :class:`TrainingSpec` -- activation, optimiser, learning rate and batch size are used here
    layer_sizes : (n_inputs, *spec.hidden_widths, n_classes)
    n_samples : int ≥ 1, at most 2**24 -- samples of the data (train and test together)
    n_train_max : int in [1, n_samples] -- the largest training set; every epoch has
        ``ceil(n_train_max / batch)`` mini-batches, the smaller training sets' extra slots are padding that
        changes nothing (not even Adam's moments)

    Returns
    -------
    CompiledTrainer

    Raises
    ------
    TypeError
        ``spec`` is not a :class:`TrainingSpec`.
    ValueError
        ``layer_sizes`` do not match ``spec.hidden_widths``, or sample counts out of range.
    """
    import jax
    import jax.numpy as jnp
    import optax
    from jax.flatten_util import ravel_pytree

    if not isinstance(spec, TrainingSpec):
        raise TypeError(f"spec must be a TrainingSpec, got {type(spec).__name__}")
    layer_sizes = tuple(int(s) for s in layer_sizes)
    if len(layer_sizes) < 3 or layer_sizes[1:-1] != tuple(spec.hidden_widths) or min(layer_sizes) < 1:
        raise ValueError(f"layer_sizes must be (n_inputs, *spec.hidden_widths, n_classes) with positive sizes, "
                         f"got {layer_sizes} for hidden_widths {spec.hidden_widths}")
    n_samples, n_train_max = int(n_samples), int(n_train_max)
    if not 1 <= n_train_max <= n_samples:
        raise ValueError(f"n_train_max must be in [1, n_samples = {n_samples}], got {n_train_max}")
    index_bits = max(int(n_samples - 1).bit_length(), 1)
    if index_bits > 24:
        raise ValueError(f"at most 2**24 samples are supported, got {n_samples}")

    activation, n_layers = spec.activation, len(layer_sizes) - 1
    batch = n_train_max if spec.batch_size is None else min(int(spec.batch_size), n_train_max)
    n_batches = math.ceil(n_train_max / batch)
    n_slots = n_batches * batch
    tx = optax.adam(spec.learning_rate) if spec.optimizer == "adam" else optax.sgd(spec.learning_rate)

    # Each network's parameters are one flat vector: the optimizer, the masking of empty batches and the
    # gradient statistics are then a few fused operations per step instead of one per weight matrix.
    template = init_params(jax.random.PRNGKey(0), layer_sizes)
    _, unravel = ravel_pytree(template)
    # layer index of every flat coordinate that belongs to a weight matrix (biases: n_layers, dropped)
    segments = jnp.asarray(ravel_pytree(
        [(jnp.full(w.shape, k), jnp.full(b.shape, n_layers)) for k, (w, b) in enumerate(template)]
    )[0].astype(jnp.int32))

    def per_layer_sq(v):
        return jax.ops.segment_sum(v, segments, num_segments=n_layers + 1)[:n_layers]

    noise = float(spec.hidden_noise_std)
    classes = jnp.arange(layer_sizes[-1], dtype=jnp.int32)

    def hidden_t(params, h, key=None):
        """The hidden layers of one network on inputs h (n_inputs, n): a list of (input, z, a = σ(z)) per layer,
        samples as the last axis, and the last one's output; with a ``key`` (training a noisy network) the next
        layer's input is a + β Z, Z drawn as (n, units), as :func:`forward` draws it."""
        hidden = []
        for k, (w, b) in enumerate(params[:-1]):
            z = _dense_t(w, h) + b[:, None]
            a = _activate(z, activation)
            hidden.append((h, z, a))
            h = a
            if noise > 0 and key is not None:
                h = h + noise * jax.random.normal(jax.random.fold_in(key, k), h.shape[::-1], h.dtype).T
        return hidden, h

    def batch_gradient(flat, idx, weight, XT, y, key=None):
        """∇ of Σ_b weight_b · cross entropy_b over one mini-batch (indices idx (batch,)), by hand: forward and
        backward with the samples as the last axis, (units, batch), so that every small layer is a fused
        elementwise loop (see :func:`_dense_t`). Returns the flat gradient, ordered as ``ravel_pytree``."""
        params = unravel(flat)
        hidden, h = hidden_t(params, XT[:, idx], key)  # (n_inputs, batch) in
        inputs = [x for x, _, _ in hidden] + [h]
        slopes = [_slope(z, a, activation) for _, z, a in hidden]
        w, b = params[-1]
        logits = _dense_t(w, h) + b[:, None]  # (n_classes, batch)
        p = jax.nn.softmax(logits, axis=0)
        delta = (p - (y[idx][None, :] == classes[:, None])) * weight[None, :]  # ∂loss/∂logits
        grads = []
        for k in range(len(params) - 1, -1, -1):
            w, _ = params[k]
            grads.append((_outer_t(inputs[k], delta), jnp.sum(delta, axis=1)))
            if k > 0:
                delta = _dense(w, delta) * slopes[k - 1]
        return ravel_pytree(grads[::-1])[0]

    def autodiff_gradient(flat, idx, weight, XT, y, key=None):
        """The same gradient by ``jax.grad`` of :func:`forward`'s cross entropy (samples as the first axis)."""
        def loss(flat):
            _, logits = forward(unravel(flat), XT[:, idx].T, activation, noise, key)
            ce = -jnp.sum(jax.nn.log_softmax(logits, axis=-1) * (y[idx][:, None] == classes), axis=-1)
            return jnp.sum(weight * ce)

        return jax.grad(loss)(flat)

    # tanh: by hand, 2-3x faster than autodiff; relu and linear keep autodiff, which is faster for them (measured in
    # benchmarks/bench_trainer.py: by hand, the cheap activations let XLA fuse long chains it then recomputes)
    gradient = batch_gradient if activation == "tanh" else autodiff_gradient

    low_mask = jnp.uint32((1 << index_bits) - 1)
    high_mask = jnp.uint32(0xFFFFFFFF) ^ low_mask

    def one_epoch(flat, opt_state, key, mask, base_order, n_train, epoch, X, y, with_stats=True):
        """One epoch of one network; returns the new state and the weight-gradient statistics (None when
        ``with_stats`` is False: the epochs between logged epochs keep no statistics, and skip them)."""
        if n_batches == 1:  # full batch: the order does not matter
            order = base_order
        else:  # shuffle: sort random keys whose low bits hold the index (one uint32 sort, ~10x argsort)
            bits = jax.random.bits(jax.random.fold_in(key, epoch), (n_samples,), jnp.uint32)
            keys = jnp.where(mask, bits & high_mask, high_mask) | jnp.arange(n_samples, dtype=jnp.uint32)
            order = (jnp.sort(keys) & low_mask).astype(jnp.int32)  # training samples first, shuffled
        if n_slots > n_samples:
            order = jnp.concatenate([order, order[: n_slots - n_samples]])
        slots = order[:n_slots].reshape(n_batches, batch)
        valid = (jnp.arange(n_slots) < n_train).reshape(n_batches, batch)

        def step(carry, xs):
            flat, opt_state, g_mean, g_m2, count = carry
            idx, ok = xs[:2]
            n_ok = ok.sum()
            # a noisy network draws its hidden noise from (network, epoch, mini-batch); β = 0 draws nothing
            noise_key = jax.random.fold_in(jax.random.fold_in(key, 0x7FFFFFFF - epoch), xs[2]) if noise > 0 else None
            grads = gradient(flat, idx, ok / jnp.maximum(n_ok, 1), X, y, noise_key)
            updates, new_state = tx.update(grads, opt_state, flat)
            active = n_ok > 0  # an empty (padding) batch changes nothing, not even Adam's moments
            flat = jnp.where(active, flat + updates, flat)
            opt_state = jax.tree_util.tree_map(lambda new, old: jnp.where(active, new, old), new_state, opt_state)
            if not with_stats:
                return (flat, opt_state, g_mean, g_m2, count), None
            # Welford's update of the mean and the sum of squared deviations of the batch gradients
            count = count + active.astype(jnp.float32)
            delta = grads - g_mean
            g_mean = jnp.where(active, g_mean + delta / jnp.maximum(count, 1.0), g_mean)
            g_m2 = jnp.where(active, g_m2 + delta * (grads - g_mean), g_m2)
            return (flat, opt_state, g_mean, g_m2, count), None

        zeros = jnp.zeros_like(flat) if with_stats else jnp.zeros((0,), flat.dtype)
        (flat, opt_state, g_mean, g_m2, count), _ = jax.lax.scan(
            step, (flat, opt_state, zeros, zeros, jnp.float32(0.0)),
            (slots, valid) if noise == 0 else (slots, valid, jnp.arange(n_batches, dtype=jnp.uint32))
        )
        if not with_stats:
            return flat, opt_state, None
        var = g_m2 / count
        stats = jnp.sqrt(jnp.stack([per_layer_sq(g_mean * g_mean), per_layer_sq(var)]))
        return flat, opt_state, stats

    def epoch_all(p, o, keys, epoch, d, with_stats=True):
        epoch_v = jax.vmap(functools.partial(one_epoch, with_stats=with_stats),
                           in_axes=(0, 0, 0, 0, 0, 0, None, None, None))
        return epoch_v(p, o, keys, d["mask"], d["base_order"], d["n_train"], epoch, d["XT"], d["y"])

    # The networks are too small for Eigen's threads: a dot split over the two cores spends more in waiting than
    # it saves, and the sweeps already train one call per core (the same numbers, 1.3x faster per network-epoch)
    jit = functools.partial(jax.jit, compiler_options={"xla_cpu_multi_thread_eigen": False})

    @jit
    def advance(params, opt_state, keys, start, stop, d):
        def body(epoch, state):
            p, o, _ = epoch_all(*state, keys, epoch, d, with_stats=False)
            return p, o

        return jax.lax.fori_loop(start, stop, body, (params, opt_state))

    def forward_t(flat, XT):
        """Every layer of one network on all inputs, (units, n_samples) each (hidden, then the softmax output),
        and the logits (n_classes, n_samples): :func:`forward` with the samples as the last axis."""
        params = unravel(flat)
        hidden, h = hidden_t(params, XT)
        layers = [a for _, _, a in hidden]
        w, b = params[-1]
        logits = _dense_t(w, h) + b[:, None]
        layers.append(jax.nn.softmax(logits, axis=0))
        return layers, logits

    @functools.partial(jit, static_argnums=(2, 3))
    def evaluate_with(params, d, lenses, keep_layers):
        def one(flat, trw, tew):
            layers, logits = forward_t(flat, d["XT"])
            onehot = d["y"][None, :] == classes[:, None]
            ce = -jnp.sum(jax.nn.log_softmax(logits, axis=0) * onehot, axis=0)
            correct = (jnp.argmax(logits, axis=0) == d["y"]).astype(jnp.float32)
            wnorm = jnp.sqrt(per_layer_sq(flat * flat))
            return layers, jnp.stack([ce @ trw, ce @ tew, correct @ trw, correct @ tew]), wnorm

        layers, metrics, wnorm = jax.vmap(one)(params, d["train_w"], d["test_w"])  # layers (n_networks, units, n)
        codes = tuple(tuple(lens.device_codes(h, layer_sizes[-1]) for h in layers) for lens in lenses)
        out = [jnp.swapaxes(h, 1, 2) for h in layers] if keep_layers else None
        return out, metrics, wnorm, codes

    def evaluate(params, d):
        return evaluate_with(params, d, (), True)[:3]

    def init(seeds):
        keys = jax.vmap(jax.random.PRNGKey)(jnp.asarray(seeds, dtype=jnp.uint32))
        init_keys = jax.vmap(lambda k: jax.random.fold_in(k, 0))(keys)
        shuffle_keys = jax.vmap(lambda k: jax.random.fold_in(k, 1))(keys)
        params = jax.vmap(lambda k: ravel_pytree(init_params(k, layer_sizes))[0])(init_keys)
        return params, jax.vmap(tx.init)(params), shuffle_keys

    return CompiledTrainer(
        spec=spec, layer_sizes=layer_sizes, n_samples=n_samples, batch=batch, n_batches=n_batches,
        advance=advance, epoch_with_stats=jit(epoch_all), evaluate=evaluate, evaluate_with=evaluate_with, init=init,
        unravel=unravel,
    )


# --------------------------------------------------------------------------------------------------
# The buffers of the logged epochs and their checkpoint


@dataclasses.dataclass
class TrainingLog:
    """What a run keeps at its logged epochs, and its checkpoint save / load.

    Made empty (NaN) by :meth:`empty`; :func:`train_ensemble` fills column ``i`` of logged epoch
    ``logged_epochs[i]`` with :meth:`record`, :meth:`record_gradients`, :meth:`measure` and
    :meth:`keep_activations`, and turns it into an :class:`EnsembleRun` with :meth:`to_run`.

    Attributes
    ----------
    logged_epochs : (n_logged,) int64
    estimator_epochs : dict name -> sorted int64 epochs, a subset of ``logged_epochs``
    record_epochs : frozenset of logged epochs whose activations are kept
    metrics : (4, n_networks, n_logged) -- train loss, test loss [nats], train accuracy, test accuracy
    grad : (2, n_networks, n_logged, n_layers) -- norm of the mean and of the std of the weight gradients
    weight_norm : (n_networks, n_logged, n_layers)
    estimates : dict name -> (2, n_networks, len(estimator_epochs[name]), n_layers) -- I(X;T), I(T;Y)
    activations : dict epoch -> list of per-layer arrays (n_networks, n_samples, n_units)
    """

    logged_epochs: np.ndarray
    estimator_epochs: dict[str, np.ndarray]
    record_epochs: frozenset[int]
    metrics: np.ndarray
    grad: np.ndarray
    weight_norm: np.ndarray
    estimates: dict[str, np.ndarray]
    activations: dict[int, list[np.ndarray]]

    KIND = "train_ensemble"  # the checkpoint's "kind": a checkpoint of another kind is not resumed

    @classmethod
    def empty(cls, n_networks: int, n_layers: int, logged_epochs, estimator_names: Sequence[str],
              estimator_epochs: Mapping[str, Sequence[int]] | None = None, record_epochs: Sequence[int] = ()
              ) -> TrainingLog:
        """All-NaN buffers for ``n_networks`` networks of ``n_layers`` layers.

        Every estimator runs at every logged epoch unless ``estimator_epochs`` names its epochs.

        Raises
        ------
        ValueError
            ``estimator_epochs`` names an estimator not in ``estimator_names`` or an epoch that is not logged;
            ``record_epochs`` holds an epoch that is not logged.
        """
        logged = np.asarray(logged_epochs, dtype=np.int64)
        est_epochs = {name: logged for name in estimator_names}
        for name, epochs in (estimator_epochs or {}).items():
            if name not in est_epochs:
                raise ValueError(f"estimator_epochs names {name!r}, which is not in estimators {sorted(est_epochs)}")
            epochs = np.asarray(epochs, dtype=np.int64)
            if not np.isin(epochs, logged).all():
                raise ValueError(f"estimator_epochs[{name!r}] must be a subset of logged_epochs")
            est_epochs[name] = np.unique(epochs)
        record = frozenset(int(e) for e in record_epochs)
        if not record <= set(logged.tolist()):
            raise ValueError("record_epochs must be a subset of logged_epochs")
        shape = (n_networks, logged.size)
        return cls(
            logged_epochs=logged, estimator_epochs=est_epochs, record_epochs=record,
            metrics=np.full((4, *shape), np.nan), grad=np.full((2, *shape, n_layers), np.nan),
            weight_norm=np.full((*shape, n_layers), np.nan),
            estimates={name: np.full((2, n_networks, ep.size, n_layers), np.nan) for name, ep in est_epochs.items()},
            activations={},
        )

    def __post_init__(self):
        self._positions = {name: {int(e): j for j, e in enumerate(ep)} for name, ep in self.estimator_epochs.items()}

    def needs_layers(self, epoch: int, names: Sequence[str] | None = None) -> bool:
        """Whether an estimator (of ``names``; None: any) runs at ``epoch`` or its activations are kept."""
        return epoch in self.record_epochs or self.scheduled(epoch, names)

    def scheduled(self, epoch: int, names: Sequence[str] | None = None) -> bool:
        """Whether one of the estimators ``names`` (None: any) runs at ``epoch``."""
        return any(epoch in pos for name, pos in self._positions.items() if names is None or name in names)

    def record(self, i: int, metrics, weight_norm) -> None:
        """Logged epoch ``i``: metrics (n_networks, 4) and weight norms (n_networks, n_layers) of ``evaluate``."""
        self.metrics[:, :, i] = np.asarray(metrics).T
        self.weight_norm[:, i] = np.asarray(weight_norm)

    def record_gradients(self, i: int, stats) -> None:
        """Logged epoch ``i``: gradient statistics (n_networks, 2, n_layers) of ``epoch_with_stats``."""
        self.grad[:, :, i] = np.moveaxis(np.asarray(stats), 1, 0)

    def keep_activations(self, epoch: int, layers: list[np.ndarray] | None) -> None:
        """Keep the layers (n_networks, n_samples, n_units) of ``epoch`` if it is one of ``record_epochs``."""
        if epoch in self.record_epochs:
            self.activations[epoch] = layers

    def measure(self, epoch: int, layers: list[np.ndarray] | None, estimators: Mapping[str, Estimator], y,
                codes: Mapping[object, list] | None = None, widths: Sequence[int] = ()) -> None:
        """Run each estimator scheduled at ``epoch`` on every layer (n_networks, n_samples, n_units) with labels
        y; a device estimator (one with ``device_codes``/``from_device``, e.g.
        :class:`ipflow_lib.estimators.FixedBins`) found in ``codes`` (estimator -> per-layer device codes)
        gets those instead, with the layer ``widths``. Called from the estimators' worker thread, it writes
        only ``estimates``."""
        for name, fn in estimators.items():
            j = self._positions[name].get(epoch)
            if j is None:
                continue
            if codes is not None and _on_device(fn) and fn in codes:
                for k, words in enumerate(codes[fn]):
                    self.estimates[name][0, :, j, k], self.estimates[name][1, :, j, k] = fn.from_device(
                        words, y, widths[k])
            else:
                for k, t in enumerate(layers):
                    self.estimates[name][0, :, j, k], self.estimates[name][1, :, j, k] = fn(t, y)

    def save(self, checkpoint, index: int, epoch: int, params, opt_state) -> None:
        """Save the buffers and the training state: ``index`` logged epochs done, the networks after ``epoch``
        epochs (``params``, ``opt_state``: device arrays, fetched here)."""
        import jax

        checkpoint.save({
            "kind": self.KIND, "index": index, "epoch": epoch,
            "params": jax.device_get(params), "opt_state": jax.device_get(opt_state),
            "metrics": self.metrics, "grad": self.grad, "wnorm": self.weight_norm, "est": self.estimates,
            "activations": self.activations,
        })

    def load(self, checkpoint) -> tuple[int, int, object, object] | None:
        """Restore the buffers saved by :meth:`save`; returns ``(index, epoch, params, opt_state)`` (host
        arrays), or None when the checkpoint is empty or of another kind (the buffers are then unchanged)."""
        state = checkpoint.load()
        if state is None or state.get("kind") != self.KIND:
            return None
        self.metrics, self.grad, self.weight_norm = state["metrics"], state["grad"], state["wnorm"]
        self.estimates, self.activations = state["est"], state["activations"]
        return state["index"], state["epoch"], state["params"], state["opt_state"]

    def to_run(self, layer_widths: Sequence[int], params: list[tuple[np.ndarray, np.ndarray]] | None
               ) -> EnsembleRun:
        """The :class:`EnsembleRun` of these buffers, with the final ``params`` (see
        :meth:`CompiledTrainer.layer_params`)."""
        m, g = self.metrics, self.grad
        return EnsembleRun(
            logged_epochs=self.logged_epochs,
            estimates={name: Estimates(self.estimator_epochs[name], e[0], e[1]) for name, e in self.estimates.items()},
            train_loss=m[0], test_loss=m[1], train_acc=m[2], test_acc=m[3],
            grad_mean=g[0], grad_std=g[1], weight_norm=self.weight_norm,
            activations=self.activations, layer_widths=tuple(layer_widths), params=params,
        )


# --------------------------------------------------------------------------------------------------
# The loop


def _check_inputs(X, y, train_mask, test_mask, seeds):
    X = np.asarray(X, dtype=np.float32)
    y = np.asarray(y)
    if X.ndim != 2:
        raise ValueError(f"X must have shape (n_samples, n_inputs), got {X.shape}")
    if not np.isfinite(X).all():
        raise ValueError("X contains NaN or inf")
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},) to match X, got {y.shape}")
    if not np.issubdtype(y.dtype, np.integer) or (y.size and y.min() < 0):
        raise TypeError(f"y must hold non-negative integer class labels, got dtype {y.dtype}")
    seeds = np.atleast_1d(np.asarray(seeds))
    if seeds.ndim != 1 or not np.issubdtype(seeds.dtype, np.integer):
        raise ValueError(f"seeds must be a 1-d sequence of integers (one per network), got {seeds!r}")
    masks = []
    for name, mask in (("train_mask", train_mask), ("test_mask", test_mask)):
        mask = np.asarray(mask)
        if mask.dtype != bool or mask.shape != (seeds.size, X.shape[0]):
            raise ValueError(
                f"{name} must be a boolean array of shape (n_networks, n_samples) = ({seeds.size}, {X.shape[0]}), "
                f"got {mask.dtype} {mask.shape}"
            )
        masks.append(mask)
    if not masks[0].sum(axis=1).min() > 0:
        raise ValueError("every network needs at least one training sample (a row of train_mask is all False)")
    return X, y.astype(np.int32), masks[0], masks[1], seeds


def _on_device(estimator) -> bool:
    """Whether an estimator computes part of its work inside the jitted evaluation (``device_codes``, then
    ``from_device`` on the host), as :class:`ipflow_lib.estimators.FixedBins` does."""
    return callable(getattr(estimator, "device_codes", None)) and callable(getattr(estimator, "from_device", None))


def _check_finite(metrics: np.ndarray, epoch: int, seeds: np.ndarray, learning_rate: float) -> None:
    if not np.isfinite(metrics).all():
        bad = np.flatnonzero(~np.isfinite(metrics).all(axis=1))
        raise ValueError(
            f"training diverged: NaN/inf loss at epoch {epoch} for network(s) {bad.tolist()} "
            f"(seeds {seeds[bad].tolist()}); lower learning_rate (now {learning_rate})"
        )


#: The parts of a :func:`train_ensemble` call that ``EnsembleRun.timings`` reports, in seconds: the first call of
#: each jitted function ("compile", which includes its work), the epochs between logged epochs ("training"), the
#: epochs that also collect gradient statistics, the evaluation of every layer at the logged epochs (with the
#: device estimators' binning), the host estimators in their worker thread (which overlaps training), and the
#: main thread waiting for them; "total" is the whole call.
TIMINGS = ("compile", "training", "gradient-statistics epochs", "evaluation", "estimators (worker thread)",
           "waiting for the estimators")

#: A training loss above this multiple of max(first logged training loss, ln n_classes) is a divergence.
DIVERGENCE_FACTOR = 100.0


def _check_bounded(metrics: np.ndarray, first_loss: np.ndarray, n_classes: int, epoch: int, seeds: np.ndarray,
                   learning_rate: float) -> None:
    """Divergence whose loss stays finite (SGD at learning rate 1e30: loss ~1e28): the training loss
    (``metrics[:, 0]``, nats) above :data:`DIVERGENCE_FACTOR` × max(``first_loss``, ln n_classes)."""
    bound = DIVERGENCE_FACTOR * np.maximum(first_loss, np.log(max(n_classes, 2)))
    bad = np.flatnonzero(metrics[:, 0] > bound)
    if bad.size:
        raise ValueError(
            f"training diverged: the training loss of network(s) {bad.tolist()} (seeds {seeds[bad].tolist()}) "
            f"reached {metrics[bad, 0].max():.3g} nats at epoch {epoch}, over {DIVERGENCE_FACTOR:g} x its first "
            f"logged value ({first_loss[bad].max():.3g} nats); the loss is finite but exploding: lower "
            f"learning_rate (now {learning_rate})"
        )


def _wait(pending):
    """Wait for the estimators' job (re-raising its error here); None, the next value of ``pending``."""
    if pending is not None:
        pending.result()


def train_ensemble(
    X,
    y,
    train_mask,
    test_mask,
    spec: TrainingSpec,
    *,
    seeds: Sequence[int] | None = None,
    estimators: Mapping[str, Estimator] | None = None,
    estimator_epochs: Mapping[str, Sequence[int]] | None = None,
    record_epochs: Sequence[int] = (),
    checkpoint=None,
    checkpoint_every_s: float = 60.0,
    stop=None,
    desc: str | None = None,
) -> EnsembleRun:
    """Train ``n_networks`` MLPs at once and stream estimators over their layers at the logged epochs.

    The procedure of SZT17: each network trains on its own training set from its own random
    initialisation; at every logged epoch all its layers are computed on all inputs and measured.

    Parameters
    ----------
    X : array (n_samples, n_inputs)
        All inputs; the information plane is measured on all of them (train and test together, SZT17).
    y : int array (n_samples,)
        Class labels 0..n_classes-1; the output layer has n_classes softmax units.
    train_mask, test_mask : bool arrays (n_networks, n_samples)
        Each network's training and test samples (see :func:`ipflow_lib.datasets.train_test_masks`).
        Training sets may differ in size between networks.
    spec : :class:`TrainingSpec`
        Architecture, optimiser, mini-batches, epochs, logged-epoch schedule, initialisation and seeds.
        Every logged epoch is < ``spec.n_epochs``; the state at logged epoch e is the network after e epochs.
    seeds : ints (n_networks,), optional
        One seed per network, overriding ``spec.seeds`` (sweeps that train several training sizes in one
        call repeat seeds); a network's seed alone sets its initialisation and mini-batch order.
    estimators : dict name -> ``est(t, y) -> (i_xt, i_ty)``
        Called per layer with t of shape (n_networks, n_samples, n_units); default ``{"binning": binned_mi}``.
    estimator_epochs : dict name -> logged epochs at which that estimator runs (default: all of them)
    record_epochs : logged epochs whose activations are kept (memory: n_networks·n_samples·Σwidths floats each)
    checkpoint : :class:`ipflow_lib.runtime.Checkpoint` or None
        Where partial progress is saved every ``checkpoint_every_s`` seconds, and when Ctrl-C (or SIGTERM,
        see :func:`ipflow_lib.runtime.sigterm_as_interrupt`) interrupts this thread; a run restarted with the
        same arguments and checkpoint resumes and gives the same numbers. A checkpoint that cannot be
        written warns once and the run goes on.
    stop : :class:`threading.Event` or None
        Set by another thread to stop this run at its next logged epoch: the run saves its checkpoint
        (when it has one) and raises :class:`TrainingStopped`. Used to interrupt runs in worker threads,
        which Ctrl-C does not reach.
    desc : label of the progress bar

    Returns
    -------
    EnsembleRun

    Raises
    ------
    TypeError
        ``spec`` is not a :class:`TrainingSpec`, or y does not hold integer labels.
    ValueError
        Wrong shapes, bad schedules, or a run that diverged (NaN/inf loss, or a finite training loss above
        :data:`DIVERGENCE_FACTOR` times its first logged value), with the epoch where it happened.
    TrainingStopped
        ``stop`` was set; the progress so far is in ``checkpoint``.
    """
    from concurrent.futures import ThreadPoolExecutor

    import jax
    import jax.numpy as jnp

    from .estimators import FixedBins

    if not isinstance(spec, TrainingSpec):
        raise TypeError(f"spec must be a TrainingSpec, got {type(spec).__name__}")
    X, y, train_mask, test_mask, seeds = _check_inputs(
        X, y, train_mask, test_mask, spec.seeds if seeds is None else seeds)
    estimators = dict(estimators) if estimators is not None else {"binning": FixedBins()}
    n_networks, n_samples = train_mask.shape
    layer_sizes = (X.shape[1], *spec.hidden_widths, int(y.max()) + 1)
    log = TrainingLog.empty(n_networks, len(layer_sizes) - 1, spec.logged_epochs, list(estimators),
                            estimator_epochs, record_epochs)
    trainer = compile_trainer(spec, layer_sizes, n_samples, int(train_mask.sum(axis=1).max()))
    # device estimators (FixedBins) bin inside the jitted evaluation; the others get the layers on the host
    lenses = tuple(dict.fromkeys(fn for fn in estimators.values() if _on_device(fn)))
    device_names = [name for name, fn in estimators.items() if _on_device(fn)]
    host_names = [name for name in estimators if name not in device_names]
    data = trainer.data(X, y, train_mask, test_mask)
    params, opt_state, shuffle_keys = trainer.init(seeds)
    start_index, epoch = 0, 0
    resumed = log.load(checkpoint) if checkpoint is not None else None
    if resumed is not None:
        start_index, epoch, params, opt_state = resumed
        params, opt_state = jax.tree_util.tree_map(jnp.asarray, (params, opt_state))

    # The estimators (numpy) of logged epoch i run in a worker thread while JAX trains towards logged
    # epoch i + 1; at most one epoch's activations wait in memory. Results are identical to a serial run.
    label = desc or f"{n_networks} networks"
    logged, n_logged = log.logged_epochs, log.logged_epochs.size
    pending, last_save = None, time.monotonic()
    started, timings, compiled = time.perf_counter(), dict.fromkeys(TIMINGS, 0.0), set()

    def clock(name, fn, *args):
        """fn(*args), waited for, its seconds added to ``timings[name]`` (a jitted function's first call: "compile")."""
        t0 = time.perf_counter()
        out = jax.block_until_ready(fn(*args))
        timings[name if (name, fn) in compiled or name == "waiting for the estimators" else "compile"] += (
            time.perf_counter() - t0)
        compiled.add((name, fn))
        return out

    def measure(*args):  # the estimators, in the worker thread
        t0 = time.perf_counter()
        log.measure(*args)
        timings["estimators (worker thread)"] += time.perf_counter() - t0

    # the bar counts training epochs (logged epochs are log-spaced: counting them misleads after a resume)
    bar = progress(total=int(logged[-1]) + 1, initial=epoch, desc=label, unit="epoch")
    shown = epoch
    snapshot = (start_index, epoch, params, opt_state)  # the last finished logged epoch: saved on Ctrl-C/SIGTERM
    watch = watch_termination()  # SIGTERM sets a flag that this loop checks after each logged epoch
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            for i in range(start_index, n_logged):
                target = int(logged[i])
                if target > epoch:  # train up to the logged epoch
                    params, opt_state = clock("training", trainer.advance, params, opt_state, shuffle_keys, epoch,
                                              target, data)
                    epoch = target
                # measure it: the device estimators' codes inside the evaluation, the layers only when needed
                with_lenses = lenses if log.scheduled(target, device_names) else ()
                keep = log.needs_layers(target, host_names)
                layers, metrics, weight_norm, codes = clock("evaluation", trainer.evaluate_with, params, data,
                                                            with_lenses, keep)
                metrics = np.asarray(metrics)
                _check_finite(metrics, epoch, seeds, spec.learning_rate)
                log.record(i, metrics, weight_norm)
                _check_bounded(metrics, log.metrics[0, :, 0], layer_sizes[-1], epoch, seeds, spec.learning_rate)
                host_layers = [np.asarray(h) for h in layers] if keep else None
                host_codes = {lens: [[np.asarray(w) for w in layer] for layer in per_lens]
                              for lens, per_lens in zip(with_lenses, codes, strict=True)}
                log.keep_activations(target, host_layers)
                pending = clock("waiting for the estimators", _wait, pending)
                if log.scheduled(target):
                    pending = pool.submit(measure, target, host_layers, estimators, y, host_codes, layer_sizes[1:])
                # the next epoch, with the gradient statistics of its mini-batches (SZT17 Fig. 4)
                params, opt_state, stats = clock("gradient-statistics epochs", trainer.epoch_with_stats, params,
                                                 opt_state, shuffle_keys, epoch, data)
                epoch += 1
                log.record_gradients(i, stats)
                bar.update(epoch - shown)
                shown = epoch
                snapshot = (i + 1, epoch, params, opt_state)
                if termination_requested() and i + 1 < n_logged:
                    raise Terminated(f"terminated by SIGTERM at epoch {epoch} of {spec.n_epochs} ({label})")
                if checkpoint is not None and time.monotonic() - last_save > checkpoint_every_s:
                    pending = _wait(pending)
                    log.save(checkpoint, i + 1, epoch, params, opt_state)
                    last_save = time.monotonic()
                if stop is not None and stop.is_set() and i + 1 < n_logged:
                    pending = _wait(pending)
                    if checkpoint is not None:
                        log.save(checkpoint, i + 1, epoch, params, opt_state)
                    raise TrainingStopped(
                        f"stopped at epoch {epoch} of {spec.n_epochs} ({label}); "
                        + ("progress saved: the same call resumes from here" if checkpoint is not None
                           else "no checkpoint, progress lost")
                    )
            _wait(pending)
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM (runtime.sigterm_as_interrupt) in this thread: save, then stop
        if checkpoint is not None:
            try:
                _wait(pending)  # the pool is shut down: the estimators of the snapshot's epochs are done
            except Exception:  # noqa: BLE001 - an estimator failed: its epoch is not finished, keep the old checkpoint
                pass
            else:
                log.save(checkpoint, *snapshot)
        raise
    finally:
        bar.close()
        watch.close()
    run = log.to_run(layer_sizes[1:], trainer.layer_params(params))
    run.timings = {**timings, "total": time.perf_counter() - started}
    return run
