"""Depth in the information plane (Shwartz-Ziv & Tishby 2017, Fig. 5): networks with 1 to 6 hidden layers.

SZT17 trained the 12-bit task with hidden layers [10], [10, 7], [10, 7, 5], [10, 7, 5, 4], [10, 7, 5, 4, 3]
and [10, 7, 5, 4, 4, 3] and reported that adding hidden layers cuts the number of epochs needed, both to fit
the labels and to compress: the compression of a layer is faster when it starts from an already compressed
layer. Here every depth is one vectorised call of :func:`ipflow_lib.ensembles.train_ensemble`
(``n_seeds`` networks; network ``i`` uses seed ``seed + i`` and the same training set at every depth), and
:func:`phase_times` turns each layer's seed-averaged trajectory into the epochs of its two phases:

- **fitting**: the first logged epoch at which I(T;Y) has covered ``fit_level`` of its rise from the
  initial value to its maximum over the run ("reaches its full I(T;Y)");
- **compression**: from the epoch of the peak of I(X;T) to the first later epoch at which I(X;T) has covered
  ``compression_level`` of its fall from the peak to the final value; only where it falls by at least
  ``min_compression_bits``.

Bootstrap intervals over networks (resampling the seeds) come with every number.

Differences from the paper (fields of ``Config``): 20 networks per depth instead of 50, 218 logged epochs
instead of 964 (time budget, see the chapter); test set = every input outside the training set.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..datasets import tishby_12bit
from ..trajectories import bootstrap_phase_times as _bootstrap
from ..trajectories import first_epoch_reaching, phase_times  # noqa: F401 (re-exported)
from ._common import RunInfo, cached_run, select_config

__all__ = ["ARCHITECTURES", "Config", "PRESETS", "Result", "first_epoch_reaching", "phase_times", "run"]

ARCHITECTURES: dict[int, tuple[int, ...]] = {
    1: (10,),
    2: (10, 7),
    3: (10, 7, 5),
    4: (10, 7, 5, 4),
    5: (10, 7, 5, 4, 3),
    6: (10, 7, 5, 4, 4, 3),
}


@dataclasses.dataclass(frozen=True)
class Config:
    """Settings of the depth sweep (``paper``: the six SZT17 architectures, 85 % of the data).

    Attributes
    ----------
    architectures : hidden widths of every network, one tuple per depth (default: :data:`ARCHITECTURES`)
    train_fraction : fraction of the inputs used for training (same training set for every depth)
    n_seeds, n_epochs, n_logged_points, batch_size, optimizer, learning_rate, activation, n_bins, seed :
        as in :class:`.training_size.Config`
    test_split : "held_out" | "paper" (see :func:`.training_size.sweep_masks`)
    fit_level : fraction of the rise of I(T;Y) that counts as fitted, in (0, 1]
    compression_level : fraction of the fall of I(X;T) that counts as compressed, in (0, 1]
    min_compression_bits : smaller falls of I(X;T) (bits) are not counted as compression
    n_bootstrap : bootstrap resamples of the networks for the intervals
    accuracy_level : training accuracy (mean over networks) that counts as "trained", for ``accuracy_epoch``
    n_workers : calls of the trainer run at the same time, in threads (None: one per CPU core); the numbers
        do not depend on it
    """

    architectures: tuple[tuple[int, ...], ...] = tuple(ARCHITECTURES.values())
    train_fraction: float = 0.85
    activation: str = "tanh"
    n_seeds: int = 20
    n_epochs: int = 10_000
    n_logged_points: int = 300
    batch_size: int | None = 512
    optimizer: str = "adam"
    learning_rate: float = 4e-4
    n_bins: int = 30
    seed: int = 0
    test_split: str = "held_out"
    fit_level: float = 0.95
    compression_level: float = 0.9
    min_compression_bits: float = 0.1
    n_bootstrap: int = 200
    accuracy_level: float = 0.95
    n_workers: int | None = None

    def __post_init__(self):
        if not self.architectures or any(not a or min(a) < 1 for a in self.architectures):
            raise ValueError(f"architectures must be non-empty tuples of positive widths, got {self.architectures}")
        if not 0.0 < self.train_fraction <= 1.0:
            raise ValueError(f"train_fraction must be in (0, 1], got {self.train_fraction}")
        if self.n_seeds < 1 or self.n_epochs < 2 or self.n_bins < 2:
            raise ValueError("need n_seeds ≥ 1, n_epochs ≥ 2 and n_bins ≥ 2")
        for name in ("fit_level", "compression_level"):
            if not 0.0 < getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in (0, 1], got {getattr(self, name)}")
        if self.min_compression_bits < 0 or self.n_bootstrap < 0:
            raise ValueError("min_compression_bits and n_bootstrap must be ≥ 0")
        if not 0.0 < self.accuracy_level <= 1.0:
            raise ValueError(f"accuracy_level must be in (0, 1], got {self.accuracy_level}")

    @property
    def logged_epochs(self) -> np.ndarray:
        from ..ensembles import log_spaced_epochs

        return log_spaced_epochs(self.n_epochs, self.n_logged_points)

    @property
    def seeds(self) -> np.ndarray:
        return self.seed + np.arange(self.n_seeds)

    @property
    def depths(self) -> np.ndarray:
        return np.array([len(a) for a in self.architectures])


PRESETS = {
    "paper": Config(),
    "quick": Config(architectures=(ARCHITECTURES[1], ARCHITECTURES[3], ARCHITECTURES[5]), n_seeds=4,
                    n_epochs=1500, n_logged_points=120, n_bootstrap=50),
}


@dataclasses.dataclass
class Result:
    """Trajectories and phase times of every depth. Arrays over layers are padded with NaN to the deepest
    network (``max_layers`` = its hidden layers + the output); layer ``k`` of depth ``d`` exists for
    ``k ≤ d`` (index ``d − 1`` is the last hidden layer, index ``d`` the softmax output).

    Attributes
    ----------
    config : Config
    depths : (n_depths,) int -- hidden layers per network
    logged_epochs : (n_logged,) int
    i_xt, i_ty : (n_depths, n_seeds, n_logged, max_layers) float, bits (NaN-padded)
    train_loss, test_loss : (n_depths, n_seeds, n_logged), nats
    train_acc, test_acc : (n_depths, n_seeds, n_logged)
    fit_epoch : (n_depths, max_layers) float, epochs -- see :func:`phase_times`
    compression_start, compression_end : (n_depths, max_layers) float, epochs (NaN: no compression)
    compression_bits : (n_depths, max_layers) float, bits -- peak minus final I(X;T)
    fit_epoch_ci, compression_start_ci, compression_end_ci, compression_bits_ci : (n_depths, max_layers, 2)
        5th and 95th percentiles over bootstrap resamples of the networks
    accuracy_epoch : (n_depths,) float -- first logged epoch at which the mean training accuracy reaches
        ``config.accuracy_level`` (NaN if never); accuracy_epoch_ci : (n_depths, 2) its bootstrap interval
    h_y, h_x : float, bits
    layer_widths : per depth, the widths of its layers (hidden then output)
    info : RunInfo
    """

    config: Config
    depths: np.ndarray
    logged_epochs: np.ndarray
    i_xt: np.ndarray
    i_ty: np.ndarray
    train_loss: np.ndarray
    test_loss: np.ndarray
    train_acc: np.ndarray
    test_acc: np.ndarray
    fit_epoch: np.ndarray
    compression_start: np.ndarray
    compression_end: np.ndarray
    compression_bits: np.ndarray
    fit_epoch_ci: np.ndarray
    compression_start_ci: np.ndarray
    compression_end_ci: np.ndarray
    compression_bits_ci: np.ndarray
    accuracy_epoch: np.ndarray
    accuracy_epoch_ci: np.ndarray
    h_y: float
    h_x: float
    layer_widths: tuple[tuple[int, ...], ...]
    info: RunInfo | None = None

    @property
    def compression_duration(self) -> np.ndarray:
        """Epochs from the peak of I(X;T) to the end of compression, (n_depths, max_layers)."""
        return self.compression_end - self.compression_start

    def phases(self, which: str = "last_hidden") -> dict[str, np.ndarray]:
        """The phase epochs of one layer of every depth: ``"last_hidden"`` or ``"output"``.

        Returns
        -------
        dict with ``layer`` (n_depths,) layer indices, ``width`` (n_depths,) units, and ``fit_epoch``,
        ``compression_start``, ``compression_end``, ``compression_bits`` (n_depths,) and their ``*_ci``
        (n_depths, 2), as in the attributes of the same names.
        """
        k = np.array([self.layer(d, which) for d in range(self.depths.size)])
        rows = np.arange(self.depths.size)
        out = {"layer": k, "width": np.array([self.layer_widths[d][k[d]] for d in rows])}
        for key in ("fit_epoch", "compression_start", "compression_end", "compression_bits"):
            out[key] = getattr(self, key)[rows, k]
            out[f"{key}_ci"] = getattr(self, f"{key}_ci")[rows, k]
        return out

    def layer(self, depth_index: int, which: str = "last_hidden") -> int:
        """Layer index of ``"last_hidden"`` or ``"output"`` in the network of ``depth_index``."""
        d = int(self.depths[depth_index])
        if which == "last_hidden":
            return d - 1
        if which == "output":
            return d
        raise ValueError(f"which must be 'last_hidden' or 'output', got {which!r}")


def _compute(config: Config, checkpoint) -> Result:
    from ..estimators._common import entropy_of_codes
    from ._sweep import GroupSpec, train_groups
    from .training_size import sweep_masks

    X, y = tishby_12bit()
    seeds = config.seeds
    train, test = sweep_masks(X.shape[0], [config.train_fraction], seeds, config.test_split)
    specs = [
        GroupSpec(train_mask=train[0], test_mask=test[0], seeds=seeds, hidden_widths=tuple(widths),
                  desc=f"depth {len(widths)}: {'-'.join(map(str, (12, *widths, 2)))}")
        for widths in config.architectures
    ]
    outs = train_groups(
        X, y, specs, n_bins=config.n_bins, activation=config.activation, optimizer=config.optimizer,
        learning_rate=config.learning_rate, batch_size=config.batch_size, n_epochs=config.n_epochs,
        logged_epochs=config.logged_epochs, checkpoint=checkpoint, n_workers=config.n_workers,
    )
    depths = config.depths
    n_depths, max_layers = depths.size, int(depths.max()) + 1
    epochs = config.logged_epochs
    pad = np.full((n_depths, seeds.size, epochs.size, max_layers), np.nan)
    i_xt, i_ty = pad.copy(), pad.copy()
    for d, out in enumerate(outs):
        n_layers = out["i_xt"].shape[-1]
        i_xt[d, ..., :n_layers], i_ty[d, ..., :n_layers] = out["i_xt"], out["i_ty"]
    levels = dict(fit_level=config.fit_level, compression_level=config.compression_level,
                  min_compression_bits=config.min_compression_bits)
    metrics = {k: np.full((n_depths, max_layers), np.nan) for k in ("fit_epoch", "compression_start",
                                                                     "compression_end", "compression_bits")}
    cis = {k: np.full((n_depths, max_layers, 2), np.nan) for k in metrics}
    for d in range(n_depths):
        n_layers = int(depths[d]) + 1
        x, t = i_xt[d, ..., :n_layers], i_ty[d, ..., :n_layers]
        for key, value in phase_times(x.mean(0), t.mean(0), epochs, **levels).items():
            metrics[key][d, :n_layers] = value
        boot = _bootstrap(x, t, epochs, config.n_bootstrap, config.seed + d, **levels)
        for key, value in boot.items():
            cis[key][d, :n_layers] = value

    def stack(key):
        return np.stack([out[key] for out in outs])

    train_acc = stack("train_acc")
    acc_epoch = np.array([first_epoch_reaching(a.mean(0), epochs, config.accuracy_level) for a in train_acc])
    acc_ci = np.full((n_depths, 2), np.nan)
    rng = np.random.default_rng(config.seed)
    for d, a in enumerate(train_acc):
        draws = np.array([first_epoch_reaching(a[rng.integers(0, a.shape[0], a.shape[0])].mean(0), epochs,
                                               config.accuracy_level) for _ in range(config.n_bootstrap)])
        draws = draws[np.isfinite(draws)]
        if config.n_bootstrap and draws.size >= 0.5 * config.n_bootstrap:
            acc_ci[d] = np.percentile(draws, [5, 95])

    return Result(
        config=config,
        depths=depths,
        logged_epochs=epochs,
        i_xt=i_xt,
        i_ty=i_ty,
        train_loss=stack("train_loss"),
        test_loss=stack("test_loss"),
        train_acc=train_acc,
        test_acc=stack("test_acc"),
        **metrics,
        **{f"{k}_ci": v for k, v in cis.items()},
        accuracy_epoch=acc_epoch,
        accuracy_epoch_ci=acc_ci,
        h_y=float(entropy_of_codes(y) / np.log(2)),
        h_x=float(np.log2(X.shape[0])),
        layer_widths=tuple(tuple(int(w) for w in out["layer_widths"]) for out in outs),
    )


def run(config: Config | None = None) -> Result:
    """Run (or load from the cache) the depth sweep; ``None`` = the current preset (``IPFLOW_PRESET``)."""
    config = config or select_config(PRESETS)
    return cached_run("depth", config, _compute, PRESETS)
