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

from ..ensembles import Estimates, TrainingSpec
from ..trajectories import compression
from ._common import Checkpoint, RunInfo, cached_run, select_config
from ._sweep import run_resumable

__all__ = ["COMPRESSION_THRESHOLD", "Config", "PAPER_TRAINING", "PRESETS", "Result", "compressing_networks",
           "compression_verdict", "lens_agreement", "network_count", "regime_name", "run", "strongest_compression"]

#: Bits of compression (max_t I(X;T) − final I(X;T), mean over networks) above which a hidden layer is said to
#: compress in the chapter's verdicts; well above the Monte Carlo standard errors and the binning jitter.
COMPRESSION_THRESHOLD = 0.25


def log_spaced_subset(logged_epochs, n: int) -> np.ndarray:
    """The logged epochs closest (in log(1 + epoch)) to ``n`` points: 0 and ``n − 1`` log-spaced ones up to the last
    logged epoch; sorted int64, fewer than ``n`` where two points pick the same epoch (the epochs of the KDE lens)."""
    logged = np.asarray(logged_epochs)
    targets = np.concatenate([[0.0], np.geomspace(1, logged[-1], n - 1)])
    picks = {int(logged[np.argmin(np.abs(np.log1p(logged) - np.log1p(t)))]) for t in targets}
    return np.array(sorted(picks), dtype=np.int64)


def regime_name(activation: str, batch_size: int | None) -> str:
    """``"tanh-minibatch"``, ``"relu-fullbatch"``, ..."""
    return f"{activation}-{'fullbatch' if batch_size is None else 'minibatch'}"


#: The networks and optimiser of the debate's `paper` preset; each regime replaces its activation and batch size.
PAPER_TRAINING = TrainingSpec(n_networks=20, n_epochs=10_000, n_logged_points=100)


@dataclasses.dataclass(frozen=True)
class Config:
    """Settings of the compression-debate runs (defaults: the published settings where there are any).

    Attributes
    ----------
    training : :class:`ipflow_lib.ensembles.TrainingSpec`
        Networks 12-10-7-5-4-3-2, Adam at 4·10⁻⁴ (the authors' code), 10 000 epochs (SZT17), 20 networks,
        100 log-spaced logged points; its ``activation`` and ``batch_size`` are replaced per regime.
    regimes : tuple of (activation, batch_size or None) -- the 2 × 2 design of Saxe et al. (2018)
    train_fraction : share of the 4096 inputs in each network's training set (SZT17: 0.85)
    n_bins : bins of the two binning estimators
    sweep_bins : extra bin counts, first regime only
    noise_variance : σ² of the KDE bounds and the noisy-layer estimator (Saxe et al.: 1e-3)
    n_kde_epochs : logged epochs at which the KDE and Monte Carlo estimators run
    noisy_inputs : inputs whose noisy copies form the Monte Carlo sample (first regime only)

    Raises
    ------
    TypeError
        ``training`` is not a TrainingSpec (which validates its own fields).
    ValueError
        No regime, ``n_kde_epochs`` < 1 or ``noise_variance`` ≤ 0.
    """

    training: TrainingSpec = PAPER_TRAINING
    regimes: tuple[tuple[str, int | None], ...] = (("tanh", 512), ("tanh", None), ("relu", 512), ("relu", None))
    train_fraction: float = 0.85
    n_bins: int = 30
    sweep_bins: tuple[int, ...] = (10, 100)
    noise_variance: float = 1e-3
    n_kde_epochs: int = 10
    noisy_inputs: int = 1024

    def __post_init__(self):
        if not isinstance(self.training, TrainingSpec):
            raise TypeError(f"training must be a TrainingSpec, got {type(self.training).__name__}")
        if not self.regimes:
            raise ValueError("regimes must hold at least one (activation, batch_size) pair")
        if self.n_kde_epochs < 1:
            raise ValueError(f"n_kde_epochs must be ≥ 1, got {self.n_kde_epochs}")
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
        training=PAPER_TRAINING.replace(n_networks=4, n_epochs=300, n_logged_points=30), n_kde_epochs=4,
        noisy_inputs=256,
    ),
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
        with ``epochs`` (n_e,), ``i_xt`` and ``i_ty`` (n_networks, n_e, n_layers). Estimators: "bins30"
        (fixed [−1, 1]), "adaptive30" (max-|t| range), "kde_upper", "kde_lower"; first regime also
        "bins10", "bins100", "noisy" and "noisy_stderr" (standard errors of "noisy").
    train_acc, test_acc, train_loss : dict regime -> (n_networks, n_logged)
    layer_widths : widths of the n_layers layers (hidden, then softmax output)
    info : RunInfo
    """

    config: Config
    regimes: tuple[str, ...]
    logged_epochs: np.ndarray
    estimates: dict[str, dict[str, Estimates]]
    train_acc: dict[str, np.ndarray]
    test_acc: dict[str, np.ndarray]
    train_loss: dict[str, np.ndarray]
    layer_widths: tuple[int, ...]
    info: RunInfo | None = None

    def compression(self, regime: str, estimator: str) -> np.ndarray:
        """Compression of every network and layer (:func:`ipflow_lib.trajectories.compression`), bits.

        Returns (n_networks, n_layers): max over logged epochs of I(X;T) − its final value; 0 means I(X;T)
        ended at its maximum (no compression phase).
        """
        return compression(self.estimates[regime][estimator].i_xt, axis=1)

    def strongest_compression(self, regime: str, estimator: str) -> tuple[float, int]:
        """(bits, layer number from 1) of the hidden layer whose mean compression over networks is largest."""
        return strongest_compression(self.estimates[regime][estimator].i_xt)

    def on_common_epochs(self) -> Result:
        """This result with each regime's estimators restricted to the logged epochs at which all of them ran.

        The cheap estimators (binning) run at every logged epoch, the expensive ones (KDE, Monte Carlo) at the
        few :attr:`Config.kde_epochs`; a maximum over ~100 binning epochs is not comparable with one over a
        handful of KDE epochs. On the common epochs (the KDE epochs, which include the last one) every lens
        sees the same trajectory points. ``logged_epochs`` and the accuracies are unchanged.
        """
        estimates = {}
        for regime, ests in self.estimates.items():
            common = None
            for values in ests.values():
                common = np.asarray(values.epochs) if common is None else np.intersect1d(common, values.epochs)
            estimates[regime] = {
                name: Estimates(epochs=common, i_xt=np.asarray(v.i_xt)[:, np.isin(v.epochs, common)],
                                i_ty=np.asarray(v.i_ty)[:, np.isin(v.epochs, common)])
                for name, v in ests.items()
            }
        return dataclasses.replace(self, estimates=estimates)

    def summary(self) -> dict[str, float | int | str]:
        """Headline numbers of chapter 5, for ``myst_nb.glue`` (keys ``<regime>_<estimator>_...``).

        For every regime and estimator, on the epochs common to all the regime's estimators
        (:meth:`on_common_epochs`; ``n_common_epochs`` of them, of ``n_logged`` logged epochs): ``_comp`` (largest
        mean compression of a hidden layer, bits), ``_layer`` (which layer), ``_verdict``
        (:func:`compression_verdict`), ``_n_compress`` and ``_n_flat`` (how many networks compress or do not,
        :func:`compressing_networks`) and ``_networks`` (:func:`network_count`); per regime ``_train_acc`` and
        ``_test_acc`` (final, mean over networks); ``saxe_relu`` and ``saxe_fullbatch`` (whether the KDE
        upper bound agrees with Saxe et al.'s two claims); ``lens_<estimator>_final`` (final I(X;T) of the
        4th layer, first regime, bits); ``same_layer`` (a sentence: do the binning and KDE-upper lenses pick
        the same most-compressing layer in the first regime, :func:`lens_agreement`).
        """
        out: dict[str, float | int | str] = {
            "n_networks": int(self.config.training.n_networks), "n_epochs": int(self.config.training.n_epochs),
            "noise_variance": float(self.config.noise_variance), "threshold": float(COMPRESSION_THRESHOLD),
            "n_kde_epochs": int(len(self.estimates[self.regimes[0]]["kde_upper"].epochs)),
            "n_logged": int(len(self.logged_epochs)),
        }
        common = self.on_common_epochs()
        out["n_common_epochs"] = int(len(next(iter(common.estimates[self.regimes[0]].values())).epochs))
        for regime in self.regimes:
            key = regime.replace("-", "_")
            out[f"{key}_train_acc"] = float(np.mean(self.train_acc[regime][:, -1]))
            out[f"{key}_test_acc"] = float(np.mean(self.test_acc[regime][:, -1]))
            for est in self.estimates[regime]:
                if est.endswith("_stderr"):
                    continue
                bits, layer = common.strongest_compression(regime, est)
                out[f"{key}_{est}_comp"] = bits
                out[f"{key}_{est}_layer"] = layer
                out[f"{key}_{est}_verdict"] = compression_verdict(bits)
                flags = compressing_networks(common.estimates[regime][est].i_xt)
                out[f"{key}_{est}_n_compress"] = int(flags.sum())
                out[f"{key}_{est}_n_flat"] = int(flags.size - flags.sum())
                out[f"{key}_{est}_networks"] = network_count(flags)
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
        first = self.regimes[0].replace("-", "_")
        lenses = [e for e in ("bins10", "bins30", "bins100", "kde_upper") if f"{first}_{e}_layer" in out]
        out["same_layer"] = lens_agreement([int(out[f"{first}_{e}_layer"]) for e in lenses])
        return out

    def final(self, regime: str, estimator: str, quantity: str = "i_xt") -> np.ndarray:
        """The last estimated value of ``quantity`` per network and layer, (n_networks, n_layers)."""
        return getattr(self.estimates[regime][estimator], quantity)[:, -1]


def strongest_compression(i_xt) -> tuple[float, int]:
    """The hidden layer that compresses most, on average over networks.

    Parameters
    ----------
    i_xt : array (n_networks, n_logged, n_layers), bits -- the last layer is the output and is skipped

    Returns
    -------
    (bits, layer): the largest mean :func:`ipflow_lib.trajectories.compression` of a hidden layer and its
    number, counted from 1.
    """
    mean = compression(i_xt, axis=1).mean(axis=0)[:-1]  # hidden layers only
    k = int(np.argmax(mean))
    return float(mean[k]), k + 1


def compressing_networks(i_xt, threshold: float = COMPRESSION_THRESHOLD) -> np.ndarray:
    """Which networks compress: a hidden layer of the network loses more than ``threshold`` bits from its peak.

    Parameters
    ----------
    i_xt : array (n_networks, n_logged, n_layers), bits -- the last layer is the output and is skipped
    threshold : bits (default :data:`COMPRESSION_THRESHOLD`, the rule of :func:`compression_verdict` applied to
        each network instead of to the mean over networks)

    Returns
    -------
    (n_networks,) bool. Raises ``ValueError`` unless ``i_xt`` is 3-d with at least one hidden layer.
    """
    i_xt = np.asarray(i_xt, dtype=float)
    if i_xt.ndim != 3 or i_xt.shape[2] < 2:
        raise ValueError(f"i_xt must be (n_networks, n_logged, n_layers ≥ 2), got shape {i_xt.shape}")
    return compression(i_xt, axis=1)[:, :-1].max(axis=1) > threshold


def network_count(flags) -> str:
    """Chapter 5's count of networks per verdict, e.g. ``"3 of 4 networks compress, 1 does not"``.

    ``flags``: one bool per network (:func:`compressing_networks`). Raises ``ValueError`` if it is empty.
    """
    flags = np.asarray(flags, dtype=bool).ravel()
    if not flags.size:
        raise ValueError("flags must hold at least one network")
    k, n = int(flags.sum()), int(flags.size)
    if k == n:
        return f"all {n} networks compress" if n > 1 else "the network compresses"
    if k == 0:
        return f"none of the {n} networks compresses" if n > 1 else "the network does not compress"
    return f"{k} of {n} networks {'compresses' if k == 1 else 'compress'}, {n - k} {'does' if n - k == 1 else 'do'} not"


def compression_verdict(bits: float, threshold: float = COMPRESSION_THRESHOLD) -> str:
    """``"compresses"`` if ``bits`` of compression exceed ``threshold`` (default :data:`COMPRESSION_THRESHOLD`),
    else ``"does not compress"`` (NaN does not compress)."""
    return "compresses" if bits > threshold else "does not compress"


def lens_agreement(layers) -> str:
    """Chapter 5's sentence on whether several estimators ("lenses") pick the same most-compressing layer.

    ``layers``: the layer number (from 1) each lens picks. Raises ``ValueError`` if it is empty.
    """
    layers = [int(v) for v in layers]
    if not layers:
        raise ValueError("layers must name at least one layer")
    if len(set(layers)) == 1:
        return f"the layer that compresses most is layer {layers[0]} through all {len(layers)} lenses"
    return "the layer that compresses most depends on the lens (layers " + ", ".join(map(str, layers)) + ")"


def _estimators(config: Config, lens: bool) -> tuple[dict, dict]:
    import functools

    from ..estimators import FixedBins, binned_mi_max_abs, kde_estimators, noisy_estimators

    kde_epochs = config.kde_epochs
    ests = {
        f"bins{config.n_bins}": FixedBins(config.n_bins, (-1.0, 1.0)),
        f"adaptive{config.n_bins}": functools.partial(binned_mi_max_abs, n_bins=config.n_bins),
        **kde_estimators(config.noise_variance),
    }
    epochs = {"kde_upper": kde_epochs, "kde_lower": kde_epochs}
    if lens:
        for b in config.sweep_bins:
            ests[f"bins{b}"] = FixedBins(b, (-1.0, 1.0))
        ests.update(noisy_estimators(config.noise_variance, n_inputs=config.noisy_inputs, seed=config.training.seed))
        epochs.update(noisy=kde_epochs, noisy_stderr=kde_epochs)
    return ests, epochs


def _compute(config: Config, checkpoint: Checkpoint) -> Result:
    from ..datasets import tishby_12bit, train_test_masks
    from ..ensembles import train_ensemble

    X, y = tishby_12bit()
    train, test = train_test_masks(X.shape[0], config.train_fraction, config.training.seeds)
    regimes = {regime_name(a, b): (k, a, b) for k, (a, b) in enumerate(config.regimes)}

    def train_regime(name: str, sub: Checkpoint, stop: threading.Event) -> dict:
        k, activation, batch = regimes[name]
        estimators, estimator_epochs = _estimators(config, lens=(k == 0))
        run = train_ensemble(
            X, y, train, test, config.regime_training(activation, batch), estimators=estimators,
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
