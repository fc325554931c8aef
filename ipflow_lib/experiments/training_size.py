"""Training size in the information plane (Shwartz-Ziv & Tishby 2017, Figs. 3 and 7).

Networks 12-10-7-5-4-3-2 (as in :mod:`.information_plane`) are trained on a sweep of training-set sizes,
``n_seeds`` networks per size. Network ``i`` of every size uses seed ``seed + i`` for its initialisation,
its mini-batch order and its random permutation of the 4096 inputs, so the training sets of one seed are
nested (the 5 % set is the first 5 % of the same permutation as the 85 % set) and the sizes differ only in
how much data the network sees. Every layer is binned at the logged epochs on all 4096 inputs (SZT17).

Sweeps are vectorised: all networks of one call of :func:`ipflow_lib.ensembles.train_ensemble` train as one
batched computation. ``Config.vectorise`` chooses the calls:

``"all"``         one call for every size × seed. Networks with smaller training sets then also step
                  through the (empty, masked) mini-batches of the largest one: simplest, but wasted work.
``"by_batches"``  one call per group of sizes with the same number of mini-batches per epoch (no wasted
                  steps; the default of the ``paper`` preset).
``"per_size"``    one call per training size.

A network's numbers depend only on its seed and masks, so the three give the same results up to
floating-point reduction order (tested).

Differences from the paper, all fields of ``Config``: 20 networks per size instead of 50 and 218 logged
epochs instead of 964 (the sweep trains 8 sizes; see the chapter for the time budget); the test set is every
input *not* in the training set (``test_split="held_out"``), because the authors' split (test = the last
20 % of the permutation, ``test_split="paper"``) overlaps the training set when it covers more than 80 %.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ..datasets import paper_split, tishby_12bit
from ._common import RunInfo, cached_run, select_config

__all__ = ["Config", "PRESETS", "Result", "run", "sweep_masks"]

VECTORISE = ("all", "by_batches", "per_size")
TEST_SPLITS = ("held_out", "paper")


@dataclasses.dataclass(frozen=True)
class Config:
    """Settings of the training-size sweep (``paper``: the SZT17 network and optimiser, 8 sizes).

    Attributes
    ----------
    train_fractions : fractions of the 4096 inputs used for training, each in (0, 1]
    hidden_widths : hidden layer widths (12-10-7-5-4-3-2 network: (10, 7, 5, 4, 3))
    n_seeds : networks per training size
    n_epochs, n_logged_points : training length and the logspace points of the logged epochs
        (:func:`ipflow_lib.ensembles.log_spaced_epochs`)
    batch_size, optimizer, learning_rate, activation : as in :class:`.information_plane.Config`
    n_bins : bins on [-1, 1] of the binning estimator
    seed : network ``i`` of every size uses seed ``seed + i``
    vectorise : "all" | "by_batches" | "per_size" (see the module docstring)
    test_split : "held_out" (every input outside the training set) | "paper" (last 20 % of the permutation)
    n_workers : calls of the trainer run at the same time, in threads (None: one per CPU core); the numbers
        do not depend on it
    """

    train_fractions: tuple[float, ...] = (0.05, 0.10, 0.20, 0.30, 0.45, 0.60, 0.70, 0.85)
    hidden_widths: tuple[int, ...] = (10, 7, 5, 4, 3)
    activation: str = "tanh"
    n_seeds: int = 20
    n_epochs: int = 10_000
    n_logged_points: int = 300
    batch_size: int | None = 512
    optimizer: str = "adam"
    learning_rate: float = 4e-4
    n_bins: int = 30
    seed: int = 0
    vectorise: str = "by_batches"
    test_split: str = "held_out"
    n_workers: int | None = None

    def __post_init__(self):
        fr = tuple(float(f) for f in self.train_fractions)
        if not fr or any(not 0.0 < f <= 1.0 for f in fr) or len(set(fr)) != len(fr):
            raise ValueError(f"train_fractions must be distinct numbers in (0, 1], got {self.train_fractions}")
        if self.n_seeds < 1:
            raise ValueError(f"n_seeds must be ≥ 1, got {self.n_seeds}")
        if self.n_epochs < 2:
            raise ValueError(f"n_epochs must be ≥ 2, got {self.n_epochs}")
        if self.n_bins < 2:
            raise ValueError(f"n_bins must be ≥ 2, got {self.n_bins}")
        if self.vectorise not in VECTORISE:
            raise ValueError(f"vectorise must be one of {VECTORISE}, got {self.vectorise!r}")
        if self.test_split not in TEST_SPLITS:
            raise ValueError(f"test_split must be one of {TEST_SPLITS}, got {self.test_split!r}")

    @property
    def logged_epochs(self) -> np.ndarray:
        from ..ensembles import log_spaced_epochs

        return log_spaced_epochs(self.n_epochs, self.n_logged_points)

    @property
    def seeds(self) -> np.ndarray:
        return self.seed + np.arange(self.n_seeds)


PRESETS = {
    "paper": Config(),
    "quick": Config(train_fractions=(0.05, 0.45, 0.85), n_seeds=4, n_epochs=1500, n_logged_points=120),
}


@dataclasses.dataclass
class Result:
    """Information-plane trajectories for every training size.

    Attributes
    ----------
    config : Config
    train_fractions : (n_sizes,) float -- the fractions of the inputs used for training
    n_train : (n_sizes,) int -- training-set sizes m
    logged_epochs : (n_logged,) int -- epochs after which the layers were measured (0 = initialisation)
    i_xt, i_ty : (n_sizes, n_seeds, n_logged, n_layers) float, bits -- binned I(X;T), I(T;Y) on all inputs;
        layers are the hidden layers then the softmax output
    train_loss, test_loss : (n_sizes, n_seeds, n_logged) mean cross entropy, nats
    train_acc, test_acc : (n_sizes, n_seeds, n_logged) accuracy in [0, 1]
    cells : (n_sizes, n_seeds, n_layers, n_samples) int32 -- bin cell of every input in every layer at the last
        logged epoch (labels 0..k−1 per network and layer); H(cells) = the final I(X;T)
    train_mask, test_mask : (n_sizes, n_seeds, n_samples) bool -- each network's training and test inputs
    h_y, h_x : float, bits -- H(Y) and log2(4096) = 12, the ceilings of I(T;Y) and I(X;T)
    layer_widths : widths of the n_layers layers
    info : RunInfo
    """

    config: Config
    train_fractions: np.ndarray
    n_train: np.ndarray
    logged_epochs: np.ndarray
    i_xt: np.ndarray
    i_ty: np.ndarray
    train_loss: np.ndarray
    test_loss: np.ndarray
    train_acc: np.ndarray
    test_acc: np.ndarray
    cells: np.ndarray
    train_mask: np.ndarray
    test_mask: np.ndarray
    h_y: float
    h_x: float
    layer_widths: tuple[int, ...]
    info: RunInfo | None = None

    @property
    def generalization_gap(self) -> np.ndarray:
        """Test error − training error (0-1 loss) = train_acc − test_acc, shape (n_sizes, n_seeds, n_logged)."""
        return self.train_acc - self.test_acc

    def size_index(self, fraction: float) -> int:
        """Index of the training size closest to ``fraction``."""
        return int(np.argmin(np.abs(self.train_fractions - fraction)))


def sweep_masks(n_samples: int, train_fractions, seeds, test_split: str = "held_out") -> tuple[np.ndarray, np.ndarray]:
    """Train and test masks of every (training size, seed), shape (n_sizes, n_seeds, n_samples) each.

    The training set of (f, seed) is the first round(f · n_samples) inputs of the permutation of
    :func:`ipflow_lib.datasets.paper_split` with that seed. ``test_split="held_out"``: the test set is every
    other input; ``"paper"``: the last 20 % of the permutation (as the authors; it overlaps the training set
    when f > 0.8).
    """
    if test_split not in TEST_SPLITS:
        raise ValueError(f"test_split must be one of {TEST_SPLITS}, got {test_split!r}")
    fractions, seeds = np.atleast_1d(train_fractions), np.atleast_1d(seeds)
    train = np.zeros((fractions.size, seeds.size, n_samples), dtype=bool)
    test = np.zeros_like(train)
    for i, f in enumerate(fractions):
        for j, s in enumerate(seeds):
            tr, te = paper_split(n_samples, float(f), int(s))
            train[i, j, tr] = True
            if test_split == "paper":
                test[i, j, te] = True
            else:
                test[i, j] = ~train[i, j]
    return train, test


def _groups(config: Config, n_train: np.ndarray) -> list[list[int]]:
    """Indices of the training sizes trained together in one call, per ``config.vectorise``."""
    n_sizes = n_train.size
    if config.vectorise == "all":
        return [list(range(n_sizes))]
    if config.vectorise == "per_size":
        return [[i] for i in range(n_sizes)]
    batch = config.batch_size
    n_batches = [1 if batch is None else math.ceil(int(m) / batch) for m in n_train]
    return [[i for i in range(n_sizes) if n_batches[i] == b] for b in sorted(set(n_batches))]


def _compute(config: Config, checkpoint) -> Result:
    from ..estimators._common import entropy_of_codes
    from ._sweep import GroupSpec, train_groups

    X, y = tishby_12bit()
    fractions = np.asarray(config.train_fractions, dtype=np.float64)
    seeds = config.seeds
    train, test = sweep_masks(X.shape[0], fractions, seeds, config.test_split)
    n_train = train[:, 0].sum(axis=1)
    index_groups = _groups(config, n_train)
    specs = [
        GroupSpec(
            train_mask=train[idx].reshape(-1, X.shape[0]),
            test_mask=test[idx].reshape(-1, X.shape[0]),
            seeds=np.tile(seeds, len(idx)),
            hidden_widths=config.hidden_widths,
            desc="training sizes " + ", ".join(f"{100 * fractions[i]:g} %" for i in idx),
        )
        for idx in index_groups
    ]
    outs = train_groups(
        X, y, specs, n_bins=config.n_bins, activation=config.activation, optimizer=config.optimizer,
        learning_rate=config.learning_rate, batch_size=config.batch_size, n_epochs=config.n_epochs,
        logged_epochs=config.logged_epochs, checkpoint=checkpoint, n_workers=config.n_workers,
    )
    n_sizes, n_seeds = fractions.size, seeds.size
    fields = {}
    for key in ("i_xt", "i_ty", "train_loss", "test_loss", "train_acc", "test_acc", "cells"):
        first = outs[0][key]
        arr = np.empty((n_sizes, n_seeds, *first.shape[1:]), dtype=first.dtype)
        for idx, out in zip(index_groups, outs, strict=True):
            arr[idx] = out[key].reshape(len(idx), n_seeds, *first.shape[1:])
        fields[key] = arr
    return Result(
        config=config,
        train_fractions=fractions,
        n_train=n_train,
        logged_epochs=config.logged_epochs,
        train_mask=train,
        test_mask=test,
        h_y=float(entropy_of_codes(y) / np.log(2)),
        h_x=float(np.log2(X.shape[0])),
        layer_widths=tuple(int(w) for w in outs[0]["layer_widths"]),
        **fields,
    )


def run(config: Config | None = None) -> Result:
    """Run (or load from the cache) the training-size sweep; ``None`` = the current preset (``IPFLOW_PRESET``)."""
    config = config or select_config(PRESETS)
    return cached_run("training-size", config, _compute, PRESETS)
