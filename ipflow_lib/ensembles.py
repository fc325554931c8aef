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

Conventions: the state at logged epoch ``e`` is the network after ``e`` epochs (``e = 0`` is the
initialisation). Gradient statistics at logged epoch ``e`` are taken over the mini-batches of the
epoch that starts from that state (SZT17, Sec. 4.2, Fig. 4).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from .runtime import TrainingStopped, progress

ACTIVATIONS = ("tanh", "relu", "linear")
OPTIMIZERS = ("adam", "sgd")
INITIALISATIONS = ("truncated_normal",)

Estimator = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]

__all__ = [
    "ACTIVATIONS",
    "OPTIMIZERS",
    "INITIALISATIONS",
    "EnsembleRun",
    "Estimates",
    "TrainingSpec",
    "TrainingStopped",
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
        if isinstance(lr, bool) or not isinstance(lr, int | float | np.floating) or not math.isfinite(lr) or lr <= 0:
            raise ValueError(f"TrainingSpec.learning_rate must be a finite number > 0, got {lr!r}")
        if self.batch_size is not None:
            integer("batch_size", self.batch_size, 1)
        integer("n_epochs", self.n_epochs, 2)
        integer("n_logged_points", self.n_logged_points, 1)
        integer("n_networks", self.n_networks, 1)
        integer("seed", self.seed, 0)
        if self.custom_logged_epochs is not None:
            logged = self.custom_logged_epochs
            if not isinstance(logged, tuple) or not logged:
                raise TypeError(f"TrainingSpec.custom_logged_epochs must be a non-empty tuple of ints, got {logged!r}")
            for e in logged:
                integer("custom_logged_epochs", e, 0)
            if any(b <= a for a, b in zip(logged[:-1], logged[1:], strict=True)) or logged[-1] >= self.n_epochs:
                raise ValueError("TrainingSpec.custom_logged_epochs must be strictly increasing and < n_epochs "
                                 f"= {self.n_epochs}, got {logged!r}")

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
    i_xt, i_ty : ndarray (n_nets, n_epochs, n_layers) -- I(X;T) and I(T;Y), in the estimator's units
        (bits for the estimators of :mod:`ipflow_lib.estimators`)
    """

    epochs: np.ndarray
    i_xt: np.ndarray
    i_ty: np.ndarray


@dataclasses.dataclass
class EnsembleRun:
    """What :func:`train_ensemble` measured. Shapes use n_nets networks, n_logged logged epochs and
    n_layers = hidden layers + the softmax output layer.

    Attributes
    ----------
    logged_epochs : (n_logged,) int
    estimates : dict name -> :class:`Estimates`
    train_loss, test_loss : (n_nets, n_logged) mean cross entropy [nats]
    train_acc, test_acc : (n_nets, n_logged) accuracy in [0, 1]
    grad_mean, grad_std : (n_nets, n_logged, n_layers) norm of the mean and of the per-coordinate standard
        deviation of the weight gradients over the mini-batches of that epoch (SZT17 Fig. 4)
    weight_norm : (n_nets, n_logged, n_layers) Frobenius norm of each layer's weights
    activations : dict epoch -> list of per-layer arrays (n_nets, n_samples, n_units), for ``record_epochs``
    layer_widths : widths of the n_layers layers
    params : final weights, list of (W (n_nets, fan_in, fan_out), b (n_nets, fan_out)) after
        ``logged_epochs[-1] + 1`` epochs
    """

    logged_epochs: np.ndarray
    estimates: dict[str, Estimates]
    train_loss: np.ndarray
    test_loss: np.ndarray
    train_acc: np.ndarray
    test_acc: np.ndarray
    grad_mean: np.ndarray
    grad_std: np.ndarray
    weight_norm: np.ndarray
    activations: dict[int, list[np.ndarray]]
    layer_widths: tuple[int, ...]
    params: list[tuple[np.ndarray, np.ndarray]] | None = None


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

    Returns a list of (W (n_nets, fan_in, fan_out), b (n_nets, fan_out)) numpy arrays, as in
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


def forward(params, x, activation: str = "tanh"):
    """All layers of one MLP on inputs x (n, n_in): ``(layers, logits)``.

    ``layers`` is the list of hidden activations followed by the softmax output (the layers of the
    information plane); ``logits`` (n, n_classes) are the pre-softmax outputs.
    """
    import jax

    layers = []
    h = x
    for w, b in params[:-1]:
        h = _activate(h @ w + b, activation)
        layers.append(h)
    w, b = params[-1]
    logits = h @ w + b
    layers.append(jax.nn.softmax(logits, axis=-1))
    return layers, logits


# --------------------------------------------------------------------------------------------------
# The ensemble


def _check_inputs(X, y, train_mask, test_mask, seeds, hidden_widths, activation, optimizer, learning_rate,
                  batch_size, n_epochs, logged_epochs):
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
                f"{name} must be a boolean array of shape (n_nets, n_samples) = ({seeds.size}, {X.shape[0]}), "
                f"got {mask.dtype} {mask.shape}"
            )
        masks.append(mask)
    if not masks[0].sum(axis=1).min() > 0:
        raise ValueError("every network needs at least one training sample (a row of train_mask is all False)")
    widths = tuple(int(w) for w in hidden_widths)
    if not widths or min(widths) < 1:
        raise ValueError(f"hidden_widths must be a non-empty sequence of positive ints, got {hidden_widths!r}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {optimizer!r}")
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be > 0, got {learning_rate}")
    if batch_size is not None and int(batch_size) < 1:
        raise ValueError(f"batch_size must be None (full batch) or ≥ 1, got {batch_size}")
    logged = np.asarray(logged_epochs, dtype=np.int64)
    if logged.ndim != 1 or logged.size == 0 or np.any(np.diff(logged) <= 0) or logged[0] < 0 \
            or logged[-1] >= n_epochs:
        raise ValueError(f"logged_epochs must be strictly increasing integers in [0, n_epochs={n_epochs})")
    return X, y.astype(np.int32), masks[0], masks[1], seeds, widths, logged


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
    """Train ``len(seeds)`` MLPs at once and stream estimators over their layers at the logged epochs.

    Parameters
    ----------
    X : array (n_samples, n_inputs)
        All inputs; the information plane is measured on all of them (train and test together, SZT17).
    y : int array (n_samples,)
        Class labels 0..n_classes-1; the output layer has n_classes softmax units.
    train_mask, test_mask : bool arrays (n_nets, n_samples)
        Each network's training and test samples (see :func:`ipflow_lib.datasets.paper_split`).
        Training sets may differ in size between networks.
    spec : :class:`TrainingSpec`
        Architecture, optimiser, mini-batches, epochs, logged-epoch schedule, initialisation and seeds.
        Every logged epoch is < ``spec.n_epochs``; the state at logged epoch e is the network after e epochs.
    seeds : ints (n_nets,), optional
        One seed per network, overriding ``spec.seeds`` (sweeps that train several training sizes in one
        call repeat seeds); a network's seed alone sets its initialisation and mini-batch order.
    estimators : dict name -> ``est(t, y) -> (i_xt, i_ty)``
        Called per layer with t of shape (n_nets, n_samples, n_units); default ``{"binning": binned_mi}``.
    estimator_epochs : dict name -> logged epochs at which that estimator runs (default: all of them)
    record_epochs : logged epochs whose activations are kept (memory: n_nets·n_samples·Σwidths floats each)
    checkpoint : :class:`ipflow_lib.experiments.Checkpoint` or None
        Where partial progress is saved every ``checkpoint_every_s`` seconds; a run restarted with the same
        arguments and checkpoint resumes and gives the same numbers.
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
    ValueError
        Wrong shapes, bad settings, or a run that diverged (NaN loss), with the epoch where it happened.
    TrainingStopped
        ``stop`` was set; the progress so far is in ``checkpoint``.
    """
    import jax
    import jax.numpy as jnp
    import optax

    from .estimators import binned_mi

    if not isinstance(spec, TrainingSpec):
        raise TypeError(f"spec must be a TrainingSpec, got {type(spec).__name__}")
    activation, optimizer, learning_rate = spec.activation, spec.optimizer, spec.learning_rate
    batch_size, n_epochs = spec.batch_size, spec.n_epochs
    X, y, train_mask, test_mask, seeds, widths, logged = _check_inputs(
        X, y, train_mask, test_mask, spec.seeds if seeds is None else seeds, spec.hidden_widths, activation,
        optimizer, learning_rate, batch_size, n_epochs, spec.logged_epochs,
    )
    estimators = dict(estimators) if estimators is not None else {"binning": binned_mi}
    est_epochs = {name: logged for name in estimators}
    for name, epochs in (estimator_epochs or {}).items():
        if name not in estimators:
            raise ValueError(f"estimator_epochs names {name!r}, which is not in estimators {sorted(estimators)}")
        epochs = np.asarray(epochs, dtype=np.int64)
        if not np.isin(epochs, logged).all():
            raise ValueError(f"estimator_epochs[{name!r}] must be a subset of logged_epochs")
        est_epochs[name] = np.unique(epochs)
    record = set(int(e) for e in record_epochs)
    if not record <= set(logged.tolist()):
        raise ValueError("record_epochs must be a subset of logged_epochs")

    n_nets, n_samples = train_mask.shape
    n_classes = int(y.max()) + 1
    layer_sizes = (X.shape[1], *widths, n_classes)
    n_layers = len(layer_sizes) - 1
    n_train_max = int(train_mask.sum(axis=1).max())
    batch = n_train_max if batch_size is None else min(int(batch_size), n_train_max)
    n_batches = math.ceil(n_train_max / batch)
    n_slots = n_batches * batch

    tx = optax.adam(learning_rate) if optimizer == "adam" else optax.sgd(learning_rate)
    Xj, yj = jnp.asarray(X), jnp.asarray(y)

    # Each network's parameters are one flat vector: the optimizer, the masking of empty batches and the
    # gradient statistics are then a few fused operations per step instead of one per weight matrix.
    from jax.flatten_util import ravel_pytree

    template = init_params(jax.random.PRNGKey(0), layer_sizes)
    _, unravel = ravel_pytree(template)
    # layer index of every flat coordinate that belongs to a weight matrix (biases: n_layers, dropped)
    segments = jnp.asarray(ravel_pytree(
        [(jnp.full(w.shape, k), jnp.full(b.shape, n_layers)) for k, (w, b) in enumerate(template)]
    )[0].astype(jnp.int32))

    def per_layer_sq(v):
        return jax.ops.segment_sum(v, segments, num_segments=n_layers + 1)[:n_layers]

    def loss_fn(flat, idx, weight, X, y):
        _, logits = forward(unravel(flat), X[idx], activation)
        ce = -jax.nn.log_softmax(logits, axis=-1)[jnp.arange(idx.shape[0]), y[idx]]
        return jnp.sum(weight * ce)

    index_bits = max(int(n_samples - 1).bit_length(), 1)
    if index_bits > 24:
        raise ValueError(f"at most 2**24 samples are supported, got {n_samples}")
    low_mask = jnp.uint32((1 << index_bits) - 1)
    high_mask = jnp.uint32(0xFFFFFFFF) ^ low_mask

    def one_epoch(flat, opt_state, key, mask, base_order, n_train, epoch, X, y):
        """One epoch of one network; returns the new state and the weight-gradient statistics."""
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
            idx, ok = xs
            n_ok = ok.sum()
            grads = jax.grad(loss_fn)(flat, idx, ok / jnp.maximum(n_ok, 1), X, y)
            updates, new_state = tx.update(grads, opt_state, flat)
            active = n_ok > 0  # an empty (padding) batch changes nothing, not even Adam's moments
            flat = jnp.where(active, flat + updates, flat)
            opt_state = jax.tree_util.tree_map(lambda new, old: jnp.where(active, new, old), new_state, opt_state)
            # Welford's update of the mean and the sum of squared deviations of the batch gradients
            count = count + active.astype(jnp.float32)
            delta = grads - g_mean
            g_mean = jnp.where(active, g_mean + delta / jnp.maximum(count, 1.0), g_mean)
            g_m2 = jnp.where(active, g_m2 + delta * (grads - g_mean), g_m2)
            return (flat, opt_state, g_mean, g_m2, count), None

        zeros = jnp.zeros_like(flat)
        (flat, opt_state, g_mean, g_m2, count), _ = jax.lax.scan(
            step, (flat, opt_state, zeros, zeros, jnp.float32(0.0)), (slots, valid)
        )
        var = g_m2 / count
        stats = jnp.sqrt(jnp.stack([per_layer_sq(g_mean * g_mean), per_layer_sq(var)]))
        return flat, opt_state, stats

    # The data travel as arguments of the jitted functions: closed-over arrays would become compile-time
    # constants, which XLA then spends seconds constant-folding.
    te_count = np.maximum(test_mask.sum(axis=1, keepdims=True), 1)
    data = {
        "X": Xj, "y": yj, "mask": jnp.asarray(train_mask), "n_train": jnp.asarray(train_mask.sum(axis=1)),
        "base_order": jnp.asarray(np.argsort(~train_mask, axis=1, kind="stable").astype(np.int32)),
        "train_w": jnp.asarray(train_mask / train_mask.sum(axis=1, keepdims=True), dtype=jnp.float32),
        "test_w": jnp.asarray(test_mask / te_count, dtype=jnp.float32),
    }
    epoch_v = jax.vmap(one_epoch, in_axes=(0, 0, 0, 0, 0, 0, None, None, None))

    def epoch_all(p, o, keys, epoch, d):
        return epoch_v(p, o, keys, d["mask"], d["base_order"], d["n_train"], epoch, d["X"], d["y"])

    @jax.jit
    def advance(params, opt_state, keys, start, stop, d):
        def body(epoch, state):
            p, o, _ = epoch_all(*state, keys, epoch, d)
            return p, o

        return jax.lax.fori_loop(start, stop, body, (params, opt_state))

    epoch_with_stats = jax.jit(epoch_all)

    @jax.jit
    def evaluate(params, d):
        def one(flat, trw, tew):
            layers, logits = forward(unravel(flat), d["X"], activation)
            ce = -jax.nn.log_softmax(logits, axis=-1)[jnp.arange(n_samples), d["y"]]
            correct = (jnp.argmax(logits, axis=-1) == d["y"]).astype(jnp.float32)
            wnorm = jnp.sqrt(per_layer_sq(flat * flat))
            return layers, jnp.stack([ce @ trw, ce @ tew, correct @ trw, correct @ tew]), wnorm

        return jax.vmap(one)(params, d["train_w"], d["test_w"])

    keys = jax.vmap(jax.random.PRNGKey)(jnp.asarray(seeds, dtype=jnp.uint32))
    init_keys = jax.vmap(lambda k: jax.random.fold_in(k, 0))(keys)
    shuffle_keys = jax.vmap(lambda k: jax.random.fold_in(k, 1))(keys)
    params = jax.vmap(lambda k: ravel_pytree(init_params(k, layer_sizes))[0])(init_keys)
    opt_state = jax.vmap(tx.init)(params)

    n_logged = logged.size
    metrics = np.full((4, n_nets, n_logged), np.nan)
    grad = np.full((2, n_nets, n_logged, n_layers), np.nan)
    wnorm = np.full((n_nets, n_logged, n_layers), np.nan)
    est_pos = {name: {int(e): i for i, e in enumerate(ep)} for name, ep in est_epochs.items()}
    est = {name: np.full((2, n_nets, ep.size, n_layers), np.nan) for name, ep in est_epochs.items()}
    activations: dict[int, list[np.ndarray]] = {}
    start_index, epoch = 0, 0

    state = checkpoint.load() if checkpoint is not None else None
    if state is not None and state.get("kind") == "train_ensemble":
        params = jax.tree_util.tree_map(jnp.asarray, state["params"])
        opt_state = jax.tree_util.tree_map(jnp.asarray, state["opt_state"])
        metrics, grad, wnorm, est = state["metrics"], state["grad"], state["wnorm"], state["est"]
        activations, start_index, epoch = state["activations"], state["index"], state["epoch"]

    def save(index):
        checkpoint.save({
            "kind": "train_ensemble", "index": index, "epoch": epoch,
            "params": jax.device_get(params), "opt_state": jax.device_get(opt_state),
            "metrics": metrics, "grad": grad, "wnorm": wnorm, "est": est, "activations": activations,
        })

    def run_estimators(host_layers, target):
        for name, fn in estimators.items():
            j = est_pos[name].get(target)
            if j is not None:
                for k, t in enumerate(host_layers):
                    est[name][0, :, j, k], est[name][1, :, j, k] = fn(t, y)

    # The estimators (numpy) of logged epoch i run in a worker thread while JAX trains towards logged
    # epoch i + 1; at most one epoch's activations wait in memory. Results are identical to a serial run.
    from concurrent.futures import ThreadPoolExecutor

    pending = None
    last_save = time.monotonic()
    bar = progress(total=n_logged, initial=start_index, desc=desc or f"{n_nets} nets", unit="logged epoch")
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            for i in range(start_index, n_logged):
                target = int(logged[i])
                if target > epoch:
                    params, opt_state = advance(params, opt_state, shuffle_keys, epoch, target, data)
                    epoch = target
                layers, m, wn = evaluate(params, data)
                m = np.asarray(m)
                if not np.isfinite(m).all():
                    bad = np.flatnonzero(~np.isfinite(m).all(axis=1))
                    raise ValueError(
                        f"training diverged: NaN/inf loss at epoch {epoch} for network(s) {bad.tolist()} "
                        f"(seeds {seeds[bad].tolist()}); lower learning_rate (now {learning_rate})"
                    )
                metrics[:, :, i] = m.T
                wnorm[:, i] = np.asarray(wn)
                wanted = any(target in est_pos[name] for name in estimators) or target in record
                host_layers = [np.asarray(h) for h in layers] if wanted else None
                if target in record:
                    activations[target] = host_layers
                if pending is not None:
                    pending.result()  # re-raises an estimator's error here
                pending = pool.submit(run_estimators, host_layers, target) if host_layers is not None else None
                params, opt_state, stats = epoch_with_stats(params, opt_state, shuffle_keys, epoch, data)
                epoch += 1
                grad[:, :, i] = np.moveaxis(np.asarray(stats), 1, 0)
                bar.update(1)
                if checkpoint is not None and time.monotonic() - last_save > checkpoint_every_s:
                    if pending is not None:
                        pending.result()
                        pending = None
                    save(i + 1)
                    last_save = time.monotonic()
                if stop is not None and stop.is_set() and i + 1 < n_logged:
                    if pending is not None:
                        pending.result()
                        pending = None
                    if checkpoint is not None:
                        save(i + 1)
                    raise TrainingStopped(
                        f"stopped at epoch {epoch} of {n_epochs} ({desc or f'{n_nets} nets'}); "
                        + ("progress saved: the same call resumes from here" if checkpoint is not None
                           else "no checkpoint, progress lost")
                    )
            if pending is not None:
                pending.result()
    finally:
        bar.close()

    return EnsembleRun(
        logged_epochs=logged,
        estimates={name: Estimates(est_epochs[name], e[0], e[1]) for name, e in est.items()},
        train_loss=metrics[0], test_loss=metrics[1], train_acc=metrics[2], test_acc=metrics[3],
        grad_mean=grad[0], grad_std=grad[1], weight_norm=wnorm,
        activations=activations, layer_widths=tuple(layer_sizes[1:]),
        params=[(np.asarray(w), np.asarray(b)) for w, b in jax.vmap(unravel)(params)],
    )
