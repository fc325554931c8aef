"""The compression debate on the 12-bit task: estimators side by side, tanh vs ReLU, mini-batch vs full batch.

Chapter 5, sections 2 and 3. Networks 12-10-7-5-4-3-2 (softmax output) are trained on the 12-bit task
of Shwartz-Ziv & Tishby (2017) with the streaming JAX trainer (:func:`ipflow_lib.ensembles.train_ensemble`)
in four regimes, the 2 × 2 design of Saxe et al. (2018, Secs. 2 and 4):

* hidden non-linearity: tanh (saturating, SZT17) or ReLU (Saxe et al.);
* training: mini-batches (Adam, batch 512, the authors' optimizer) or full-batch gradient descent (the
  same Adam steps on the whole training set each epoch: no gradient noise, as in many of the authors'
  2017 runs, whose batch was at least the training-set size).

Every layer is measured on all 4096 inputs by

* binning with 30 bins on the fixed range [−1, 1] (SZT17) and over each layer's own range
  [−max|t|, max|t|] ("adaptive", needed for ReLU);
* the Kolchinsky–Tracey KDE upper and lower bounds for T = h + N(0, σ² I), σ² = 1e-3 (Saxe et al.);

and, in the first regime (tanh, mini-batch: the SZT17 setting), also by binning with other bin counts
and by the Monte Carlo estimator of the same noisy layer (Goldfeld et al. 2019), with error bars, so
that one set of runs is seen through every lens. The expensive estimators run at a few log-spaced
logged epochs only.
"""

from __future__ import annotations

import dataclasses
import threading

import numpy as np

from ._common import Checkpoint, RunInfo, cached_run, select_config
from ._sweep import run_resumable

__all__ = ["COMPRESSION_THRESHOLD", "Config", "PRESETS", "Result", "regime_name", "run"]

#: Bits of compression (max_t I(X;T) − final I(X;T), mean over nets) above which a hidden layer is said to
#: compress in the chapter's verdicts; well above the Monte Carlo standard errors and the binning jitter.
COMPRESSION_THRESHOLD = 0.25


def regime_name(activation: str, batch_size: int | None) -> str:
    """``"tanh-minibatch"``, ``"relu-fullbatch"``, ..."""
    return f"{activation}-{'fullbatch' if batch_size is None else 'minibatch'}"


@dataclasses.dataclass(frozen=True)
class Config:
    """Settings of the compression-debate runs (defaults: the published settings where there are any)."""

    hidden_widths: tuple[int, ...] = (10, 7, 5, 4, 3)
    regimes: tuple[tuple[str, int | None], ...] = (("tanh", 512), ("tanh", None), ("relu", 512), ("relu", None))
    optimizer: str = "adam"
    learning_rate: float = 4e-4
    n_nets: int = 20
    n_epochs: int = 10_000  # SZT17; the four regimes train side by side, one per CPU core
    n_logged_points: int = 100  # log-spaced points before de-duplication (see ensembles.log_spaced_epochs)
    train_fraction: float = 0.85
    n_bins: int = 30
    sweep_bins: tuple[int, ...] = (10, 100)  # extra bin counts, first regime only
    noise_variance: float = 1e-3  # σ² of the KDE bounds and the noisy-layer estimator (Saxe et al.)
    n_kde_epochs: int = 10  # logged epochs at which the KDE and Monte Carlo estimators run
    noisy_inputs: int = 1024  # inputs whose noisy copies form the Monte Carlo sample (first regime only)
    seed: int = 0

    def __post_init__(self):
        if not self.regimes:
            raise ValueError("regimes must hold at least one (activation, batch_size) pair")
        if self.n_nets < 1 or self.n_epochs < 2 or self.n_kde_epochs < 1:
            raise ValueError("n_nets ≥ 1, n_epochs ≥ 2 and n_kde_epochs ≥ 1 are required")
        if not self.noise_variance > 0:
            raise ValueError(f"noise_variance must be > 0, got {self.noise_variance}")

    @property
    def logged_epochs(self) -> np.ndarray:
        from ..ensembles import log_spaced_epochs

        return log_spaced_epochs(self.n_epochs, self.n_logged_points)

    @property
    def kde_epochs(self) -> np.ndarray:
        """The logged epochs closest to ``n_kde_epochs`` log-spaced points from 0 to the last logged epoch."""
        logged = self.logged_epochs
        targets = np.concatenate([[0.0], np.geomspace(1, logged[-1], self.n_kde_epochs - 1)])
        picks = {int(logged[np.argmin(np.abs(np.log1p(logged) - np.log1p(t)))]) for t in targets}
        return np.array(sorted(picks), dtype=np.int64)

    @property
    def regime_names(self) -> tuple[str, ...]:
        return tuple(regime_name(a, b) for a, b in self.regimes)


PRESETS = {
    "paper": Config(),
    "quick": Config(n_nets=4, n_epochs=300, n_logged_points=30, n_kde_epochs=4, noisy_inputs=256),
}


@dataclasses.dataclass
class Result:
    """Information-plane trajectories of every regime through every estimator (bits).

    Attributes
    ----------
    config : Config
    regimes : tuple of regime names, e.g. ("tanh-minibatch", ...); the first one is seen through every lens
    logged_epochs : (n_logged,) epochs at which the cheap estimators ran
    estimates : dict regime -> dict estimator -> :class:`ipflow_lib.ensembles.Estimates`
        with ``epochs`` (n_e,), ``i_xt`` and ``i_ty`` (n_nets, n_e, n_layers). Estimators: "bins30"
        (fixed [−1, 1]), "adaptive30" (max-|t| range), "kde_upper", "kde_lower"; first regime also
        "bins10", "bins100", "noisy" and "noisy_stderr" (standard errors of "noisy").
    train_acc, test_acc, train_loss : dict regime -> (n_nets, n_logged)
    layer_widths : widths of the n_layers layers (hidden, then softmax output)
    info : RunInfo
    """

    config: Config
    regimes: tuple[str, ...]
    logged_epochs: np.ndarray
    estimates: dict
    train_acc: dict
    test_acc: dict
    train_loss: dict
    layer_widths: tuple[int, ...]
    info: RunInfo | None = None

    def compression(self, regime: str, estimator: str) -> np.ndarray:
        """Compression of every net and layer: max over epochs of I(X;T) − its final value, bits.

        Returns (n_nets, n_layers); 0 means I(X;T) ended at its maximum (no compression phase).
        """
        i_xt = self.estimates[regime][estimator].i_xt
        return i_xt.max(axis=1) - i_xt[:, -1]

    def strongest_compression(self, regime: str, estimator: str) -> tuple[float, int]:
        """(bits, layer number from 1) of the hidden layer whose mean compression over nets is largest."""
        mean = self.compression(regime, estimator).mean(axis=0)[:-1]  # hidden layers only
        k = int(np.argmax(mean))
        return float(mean[k]), k + 1

    def summary(self) -> dict[str, float | int | str]:
        """Headline numbers of the chapter, for ``myst_nb.glue`` (keys ``<regime>_<estimator>_...``).

        For every regime and estimator: ``_comp`` (largest mean compression of a hidden layer, bits),
        ``_layer`` (which layer), ``_verdict`` ("compresses" / "does not compress", threshold
        :data:`COMPRESSION_THRESHOLD`); per regime ``_train_acc`` and ``_test_acc`` (final, mean over nets).
        """
        out: dict[str, float | int | str] = {
            "n_nets": int(self.config.n_nets), "n_epochs": int(self.config.n_epochs),
            "noise_variance": float(self.config.noise_variance), "threshold": float(COMPRESSION_THRESHOLD),
            "n_kde_epochs": int(len(self.estimates[self.regimes[0]]["kde_upper"].epochs)),
        }
        for regime in self.regimes:
            key = regime.replace("-", "_")
            out[f"{key}_train_acc"] = float(np.mean(self.train_acc[regime][:, -1]))
            out[f"{key}_test_acc"] = float(np.mean(self.test_acc[regime][:, -1]))
            for est in self.estimates[regime]:
                if est.endswith("_stderr"):
                    continue
                bits, layer = self.strongest_compression(regime, est)
                out[f"{key}_{est}_comp"] = bits
                out[f"{key}_{est}_layer"] = layer
                out[f"{key}_{est}_verdict"] = "compresses" if bits > COMPRESSION_THRESHOLD else "does not compress"
        # Saxe et al.'s two claims, checked with the KDE upper bound (their estimator)
        verdict = {r: out.get(f"{r.replace('-', '_')}_kde_upper_verdict") for r in self.regimes}
        if verdict.get("relu-minibatch"):
            out["saxe_relu"] = (
                "as Saxe et al. found" if verdict["relu-minibatch"] == "does not compress" else "unlike Saxe et al."
            )
        if verdict.get("tanh-fullbatch"):
            out["saxe_fullbatch"] = (
                "as Saxe et al. found" if verdict["tanh-fullbatch"] == "compresses" else "unlike Saxe et al."
            )
        lens = self.estimates[self.regimes[0]]
        layer = min(3, len(self.layer_widths) - 1)  # the 4th layer at the end of training, through every lens
        out["lens_layer"], out["lens_layer_width"] = layer + 1, int(self.layer_widths[layer])
        for est, values in lens.items():
            out[f"lens_{est}_final"] = float(values.i_xt[:, -1, layer].mean())
        if "noisy_stderr" in lens:
            out["noisy_max_stderr"] = float(np.nanmax(lens["noisy_stderr"].i_xt.mean(axis=0)))
        return out

    def final(self, regime: str, estimator: str, quantity: str = "i_xt") -> np.ndarray:
        """The last estimated value of ``quantity`` per net and layer, (n_nets, n_layers)."""
        return getattr(self.estimates[regime][estimator], quantity)[:, -1]


def _masks(n_samples: int, train_fraction: float, seeds) -> tuple[np.ndarray, np.ndarray]:
    from ..datasets import paper_split

    train = np.zeros((len(seeds), n_samples), dtype=bool)
    test = np.zeros_like(train)
    for row, seed in enumerate(seeds):
        tr, te = paper_split(n_samples, train_fraction, int(seed))
        train[row, tr] = True
        test[row, te] = True
    return train, test


def _estimators(config: Config, lens: bool) -> tuple[dict, dict]:
    import functools

    from ..estimators import binned_mi, binned_mi_max_abs, kde_estimators, noisy_estimators

    kde_epochs = config.kde_epochs
    ests = {
        f"bins{config.n_bins}": functools.partial(binned_mi, n_bins=config.n_bins, value_range=(-1.0, 1.0)),
        f"adaptive{config.n_bins}": functools.partial(binned_mi_max_abs, n_bins=config.n_bins),
        **kde_estimators(config.noise_variance),
    }
    epochs = {"kde_upper": kde_epochs, "kde_lower": kde_epochs}
    if lens:
        for b in config.sweep_bins:
            ests[f"bins{b}"] = functools.partial(binned_mi, n_bins=b, value_range=(-1.0, 1.0))
        ests.update(noisy_estimators(config.noise_variance, n_inputs=config.noisy_inputs, seed=config.seed))
        epochs.update(noisy=kde_epochs, noisy_stderr=kde_epochs)
    return ests, epochs


def _compute(config: Config, checkpoint: Checkpoint) -> Result:
    from ..datasets import tishby_12bit
    from ..ensembles import TrainingSpec, train_ensemble

    X, y = tishby_12bit()
    seeds = config.seed + np.arange(config.n_nets)
    train, test = _masks(X.shape[0], config.train_fraction, seeds)
    regimes = {regime_name(a, b): (k, a, b) for k, (a, b) in enumerate(config.regimes)}

    def train_regime(name: str, sub: Checkpoint, stop: threading.Event) -> dict:
        k, activation, batch = regimes[name]
        estimators, estimator_epochs = _estimators(config, lens=(k == 0))
        spec = TrainingSpec(
            hidden_widths=config.hidden_widths, activation=activation, optimizer=config.optimizer,
            learning_rate=config.learning_rate, batch_size=batch, n_epochs=config.n_epochs,
            n_logged_points=config.n_logged_points, n_networks=len(seeds),
        )
        run = train_ensemble(
            X, y, train, test, spec, seeds=seeds, estimators=estimators,
            estimator_epochs=estimator_epochs, checkpoint=sub, stop=stop, desc=name,
        )
        return {
            "estimates": run.estimates, "train_acc": run.train_acc, "test_acc": run.test_acc,
            "train_loss": run.train_loss, "layer_widths": run.layer_widths, "logged_epochs": run.logged_epochs,
        }

    # the regimes are independent: trained side by side, one per CPU core (the first, with the extra
    # estimators of the lens comparison, starts first)
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
    """Run (or load from the cache) the four regimes; ``config`` defaults to the preset's."""
    config = config or select_config(PRESETS)
    return cached_run("compression-debate", config, _compute, PRESETS)
