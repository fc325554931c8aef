"""The information plane of the 12-bit network (Shwartz-Ziv & Tishby 2017, Figs. 2 and 4).

50 networks 12-10-7-5-4-3-2 (tanh hidden layers, softmax output) are trained on the 12-bit task; at the
964 logged epochs every layer is binned (30 bins on [-1, 1]) on all 4096 inputs, giving I(X;T) and I(T;Y)
per network, epoch and layer, together with losses, accuracies and the per-layer gradient mean and
standard deviation over each epoch's mini-batches.

Where the authors' released code differs from the paper's text, ``Config`` exposes both:

=================  ==============================  ===========================================
setting            ``paper`` preset                 alternatives
=================  ==============================  ===========================================
optimizer          Adam, lr 4e-4 (authors' code)    ``optimizer="sgd"`` (the paper's text says SGD)
batch              mini-batches of 512              ``batch_size=None``: full batch (many 2017 runs)
train size         85 % (SZT17 figures)             0.80 in the authors' code
bins               30 (paper)                       50 in the 2017 runs
seeds              50 (paper)                       40 in the code, 20-40 in saved runs
=================  ==============================  ===========================================
"""

from __future__ import annotations

import dataclasses
import threading

import numpy as np

from ..datasets import paper_split, tishby_12bit
from ._common import Checkpoint, RunInfo, cached_run, select_config
from ._sweep import run_resumable

__all__ = ["Config", "PRESETS", "Result", "run", "train_test_masks"]


@dataclasses.dataclass(frozen=True)
class Config:
    """Settings of the information-plane experiment (defaults: the SZT17 figure settings)."""

    hidden_widths: tuple[int, ...] = (10, 7, 5, 4, 3)
    activation: str = "tanh"
    n_seeds: int = 50
    n_epochs: int = 10_000
    n_logged_points: int = 1800  # logspace points before de-duplication: 1800 -> 964 logged epochs
    batch_size: int | None = 512
    optimizer: str = "adam"
    learning_rate: float = 4e-4
    train_fraction: float = 0.85
    n_bins: int = 30
    seed: int = 0  # network i uses seed + i for its initialisation, mini-batches and data split
    n_calls: int = 2  # the networks are split into this many trainer calls, run side by side (one per core)

    def __post_init__(self):
        if self.n_seeds < 1:
            raise ValueError(f"n_seeds must be ≥ 1, got {self.n_seeds}")
        if self.n_epochs < 2:
            raise ValueError(f"n_epochs must be ≥ 2, got {self.n_epochs}")
        if self.n_bins < 2:
            raise ValueError(f"n_bins must be ≥ 2, got {self.n_bins}")
        if self.n_calls < 1:
            raise ValueError(f"n_calls must be ≥ 1, got {self.n_calls}")

    @property
    def logged_epochs(self) -> np.ndarray:
        from ..ensembles import log_spaced_epochs

        return log_spaced_epochs(self.n_epochs, self.n_logged_points)

    @property
    def seeds(self) -> np.ndarray:
        return self.seed + np.arange(self.n_seeds)


PRESETS = {
    "paper": Config(),
    "quick": Config(n_seeds=10, n_epochs=1500, n_logged_points=240),
}


@dataclasses.dataclass
class Result:
    """Information-plane trajectories of ``n_seeds`` networks.

    Attributes
    ----------
    config : Config
    logged_epochs : (n_logged,) int -- epochs after which the layers were measured (0 = initialisation)
    i_xt, i_ty : (n_seeds, n_logged, n_layers) float, bits -- binned I(X;T) and I(T;Y); layers are the
        hidden layers then the softmax output
    h_y : float, bits -- H(Y) of the labels, the ceiling of I(T;Y)
    h_x : float, bits -- log2(4096) = 12, the ceiling of I(X;T)
    train_loss, test_loss : (n_seeds, n_logged) mean cross entropy, nats
    train_acc, test_acc : (n_seeds, n_logged) accuracy
    grad_mean, grad_std : (n_seeds, n_logged, n_layers) norms of the mean and standard deviation of each
        layer's weight gradients over the mini-batches of the epoch (SZT17 Fig. 4)
    weight_norm : (n_seeds, n_logged, n_layers) Frobenius norm of each layer's weights
    layer_widths : widths of the n_layers layers
    info : RunInfo -- preset, compute time, cache provenance
    """

    config: Config
    logged_epochs: np.ndarray
    i_xt: np.ndarray
    i_ty: np.ndarray
    h_y: float
    h_x: float
    train_loss: np.ndarray
    test_loss: np.ndarray
    train_acc: np.ndarray
    test_acc: np.ndarray
    grad_mean: np.ndarray
    grad_std: np.ndarray
    weight_norm: np.ndarray
    layer_widths: tuple[int, ...]
    info: RunInfo | None = None

    @property
    def snr(self) -> np.ndarray:
        """Gradient signal-to-noise ratio ||mean|| / ||std|| per network, logged epoch and layer."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.grad_mean / self.grad_std

    def drift_diffusion_transition(self) -> np.ndarray:
        """Per layer, the first logged epoch at which the gradient SNR falls below 1 (SZT17 Fig. 4).

        The SNR here is the ratio of the network-averaged norms ||mean|| and ||std||. Returns an array
        (n_layers,) of epochs, NaN for a layer whose SNR never falls below 1 (e.g. full-batch training,
        where the standard deviation over mini-batches is 0).
        """
        with np.errstate(divide="ignore", invalid="ignore"):
            snr = np.nanmean(self.grad_mean, axis=0) / np.nanmean(self.grad_std, axis=0)
        out = np.full(snr.shape[1], np.nan)
        for k in range(snr.shape[1]):
            below = np.flatnonzero(snr[:, k] < 1.0)
            if below.size:
                out[k] = self.logged_epochs[below[0]]
        return out


def train_test_masks(n_samples: int, train_fraction: float, seeds) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks (n_nets, n_samples) of :func:`ipflow_lib.datasets.paper_split`, one row per seed."""
    seeds = np.atleast_1d(seeds)
    train = np.zeros((seeds.size, n_samples), dtype=bool)
    test = np.zeros_like(train)
    for row, seed in enumerate(seeds):
        tr, te = paper_split(n_samples, train_fraction, int(seed))
        train[row, tr] = True
        test[row, te] = True
    return train, test


def _compute(config: Config, checkpoint) -> Result:
    from ..ensembles import TrainingSpec, train_ensemble
    from ..estimators import binned_mi
    from ..estimators._common import entropy_of_codes

    X, y = tishby_12bit()
    train_mask, test_mask = train_test_masks(X.shape[0], config.train_fraction, config.seeds)

    def binning(t, labels):
        return binned_mi(t, labels, n_bins=config.n_bins, value_range=(-1.0, 1.0))

    # A network's numbers depend only on its seed (up to float rounding), so the networks are split into
    # calls that run in threads, one per CPU core; the split is fixed by the config, not by the machine.
    parts = [rows for rows in np.array_split(np.arange(config.n_seeds), config.n_calls) if rows.size]
    kept = ("train_loss", "test_loss", "train_acc", "test_acc", "grad_mean", "grad_std", "weight_norm")

    def train_part(j: int, sub: Checkpoint | None, stop: threading.Event) -> dict[str, np.ndarray]:
        rows = parts[j]
        spec = TrainingSpec(
            hidden_widths=config.hidden_widths, activation=config.activation, optimizer=config.optimizer,
            learning_rate=config.learning_rate, batch_size=config.batch_size, n_epochs=config.n_epochs,
            n_logged_points=config.n_logged_points, n_networks=config.n_seeds, seed=config.seed,
        )
        run_ = train_ensemble(
            X, y, train_mask[rows], test_mask[rows], spec,
            seeds=config.seeds[rows],
            estimators={"binning": binning},
            checkpoint=sub,
            stop=stop,
            desc=f"information plane, networks {rows[0]}-{rows[-1]}",
        )
        est = run_.estimates["binning"]
        return {"i_xt": est.i_xt, "i_ty": est.i_ty, **{name: getattr(run_, name) for name in kept},
                "layer_widths": np.asarray(run_.layer_widths)}

    done = run_resumable(checkpoint, range(len(parts)), train_part)

    def cat(name):
        return np.concatenate([done[j][name] for j in range(len(parts))], axis=0)

    return Result(
        config=config,
        logged_epochs=config.logged_epochs,
        i_xt=cat("i_xt"),
        i_ty=cat("i_ty"),
        h_y=float(entropy_of_codes(y) / np.log(2)),
        h_x=float(np.log2(X.shape[0])),
        **{name: cat(name) for name in kept},
        layer_widths=tuple(int(w) for w in done[0]["layer_widths"]),
    )


def run(config: Config | None = None) -> Result:
    """Run (or load from the cache) the information-plane experiment; ``None`` = the current preset."""
    config = config or select_config(PRESETS)
    return cached_run("information-plane", config, _compute, PRESETS)
