"""Input compression and generalization (Shwartz-Ziv, Painsky & Tishby; thesis ch. 4) on the 12-bit networks.

For every network of the training-size sweep (:mod:`.training_size`), every layer and every logged epoch,
the input compression bound :func:`ipflow_lib.generalization.input_compression_bound` is evaluated at the
layer's binned I(X;T) and the network's training-set size m, and set against the measured generalization
gap (test error − training error on the inputs outside the training set) and against the classical bound,
which uses H(X) = 12 bits in place of I(X;T). No network is trained here: the sweep is loaded from the cache
(or computed once, and shared with the chapter on training size and depth).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..generalization import classical_bound, input_compression_bound
from . import training_size
from ._common import RunInfo, cached_run, select_config

__all__ = ["Config", "PRESETS", "Result", "run"]


@dataclasses.dataclass(frozen=True)
class Config:
    """Settings (``paper``: the ``paper`` training-size sweep, δ = 0.05).

    Attributes
    ----------
    sweep : training_size.Config -- the networks
    delta : float in (0, 1) -- the bounds hold with probability 1 − δ
    """

    sweep: training_size.Config = training_size.PRESETS["paper"]
    delta: float = 0.05

    def __post_init__(self):
        if not 0.0 < self.delta < 1.0:
            raise ValueError(f"delta must be in (0, 1), got {self.delta}")


PRESETS = {
    "paper": Config(),
    "quick": Config(sweep=training_size.PRESETS["quick"]),
}


@dataclasses.dataclass
class Result:
    """Bounds and measured gaps across training sizes, networks, logged epochs and layers.

    Attributes
    ----------
    config : Config
    train_fractions : (n_sizes,) ; n_train : (n_sizes,) int -- training-set sizes m
    logged_epochs : (n_logged,) int
    i_xt : (n_sizes, n_seeds, n_logged, n_layers), bits -- binned I(X;T) of every layer
    gap : (n_sizes, n_seeds, n_logged) -- measured test error − training error (0-1 loss)
    train_error, test_error : (n_sizes, n_seeds, n_logged)
    bound : (n_sizes, n_seeds, n_logged, n_layers) -- input compression bound at each layer's I(X;T)
    classical : (n_sizes,) -- the bound with H(X) in place of I(X;T)
    h_x : float, bits -- H(X) = log2 4096 = 12
    layer_widths : widths of the layers
    info : RunInfo
    """

    config: Config
    train_fractions: np.ndarray
    n_train: np.ndarray
    logged_epochs: np.ndarray
    i_xt: np.ndarray
    gap: np.ndarray
    train_error: np.ndarray
    test_error: np.ndarray
    bound: np.ndarray
    classical: np.ndarray
    h_x: float
    layer_widths: tuple[int, ...]
    info: RunInfo | None = None

    @property
    def final_bound(self) -> np.ndarray:
        """Bound at the last logged epoch, (n_sizes, n_seeds, n_layers)."""
        return self.bound[:, :, -1]

    @property
    def final_gap(self) -> np.ndarray:
        """Measured gap at the last logged epoch, (n_sizes, n_seeds)."""
        return self.gap[:, :, -1]

    def violations(self, at_end: bool = False) -> np.ndarray:
        """Fraction of networks (and logged epochs) where the measured gap exceeds the bound, (n_sizes, n_layers).

        ``at_end``: at the last logged epoch only; otherwise over all (network, logged epoch) pairs.
        """
        if at_end:
            return (self.final_gap[..., None] > self.final_bound).mean(axis=1)
        return (self.gap[..., None] > self.bound).mean(axis=(1, 2))


def _compute(config: Config, checkpoint) -> Result:
    sweep = training_size.run(config.sweep)
    m = sweep.n_train.astype(np.float64)
    return Result(
        config=config,
        train_fractions=sweep.train_fractions,
        n_train=sweep.n_train,
        logged_epochs=sweep.logged_epochs,
        i_xt=sweep.i_xt,
        gap=sweep.generalization_gap,
        train_error=1.0 - sweep.train_acc,
        test_error=1.0 - sweep.test_acc,
        bound=input_compression_bound(np.clip(sweep.i_xt, 0.0, None), m[:, None, None, None], config.delta),
        classical=classical_bound(sweep.h_x, m, config.delta),
        h_x=sweep.h_x,
        layer_widths=sweep.layer_widths,
    )


def run(config: Config | None = None) -> Result:
    """Run (or load from the cache) the generalization-bound evaluation; ``None`` = the current preset."""
    config = config or select_config(PRESETS)
    return cached_run("generalization", config, _compute, PRESETS)
