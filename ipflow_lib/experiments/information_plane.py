"""The information plane of the 12-bit network (Shwartz-Ziv & Tishby 2017, Figs. 2 and 4).

50 networks 12-10-7-5-4-3-2 (tanh hidden layers, softmax output) are trained on the 12-bit task; at the
964 logged epochs every layer is binned (30 bins on [-1, 1]) on all 4096 inputs, giving I(X;T) and I(T;Y)
per network, epoch and layer, together with losses, accuracies and the per-layer gradient mean and
standard deviation over each epoch's mini-batches.

Where the authors' released code differs from the paper's text, ``Config`` exposes both (``training`` is
an :class:`ipflow_lib.ensembles.TrainingSpec`; ``spec.replace(...)`` changes one setting):

=================  ==============================  ====================================================
setting            ``paper`` preset                 alternatives
=================  ==============================  ====================================================
optimizer          Adam, 4e-4 (authors' code)       ``training.replace(optimizer="sgd")`` (the paper's text)
batch              mini-batches of 512              ``training.replace(batch_size=None)``: full batch
train size         85 % (SZT17 figures)             ``train_fraction=0.80`` in the authors' code
bins               30 (paper)                       ``n_bins=50`` in the 2017 runs
networks           50 (paper)                       40 in the code, 20-40 in saved runs (``n_networks``)
=================  ==============================  ====================================================

:func:`paper_text` turns any config into the paper's text (plain SGD at :data:`SGD_LEARNING_RATE`, fewer
networks for the control); ``PRESETS["paper-text"]`` is that of the ``paper`` preset, and :func:`compare`
quotes what changes between the two.
"""

from __future__ import annotations

import dataclasses
import threading

import numpy as np

from ..datasets import tishby_12bit, train_test_masks
from ..ensembles import TrainingSpec
from ..trajectories import compression, compression_onset, drift_diffusion_transition, first_epoch_reaching
from ._common import Checkpoint, RunInfo, cached_run, select_config
from ._sweep import Curves, ceilings, check_training, run_resumable

__all__ = ["Config", "PRESETS", "Result", "SGD_LEARNING_RATE", "compare", "compute", "paper_text", "run"]

#: Learning rate of plain SGD in the paper-text variant. SZT17's text says the networks are trained with SGD and
#: gives no rate; the authors' code uses Adam at 4·10⁻⁴. We take the SGD rate whose training accuracy follows
#: Adam's most closely, so that the two runs fit on the same time scale and differ in the optimiser, not in how
#: long fitting takes: in a scan of 0.01, 0.05 and 0.2 (mean cross entropy, mini-batches of 512, 85 % of the data,
#: 4 networks, mean training accuracy at epochs 100, 300, 1000, 2000, 3999), the summed absolute difference from
#: Adam's (0.892, 0.936, 0.969, 0.983, 0.994) is 0.29 at 0.01, 0.05 at 0.05 (0.896, 0.930, 0.991, 0.996, 1.000)
#: and 0.07 at 0.2.
SGD_LEARNING_RATE = 0.05
#: Networks of the paper-text control (the ``paper`` preset has 50): enough for the means and the claims'
#: bootstrap, at 40 % of the cost.
PAPER_TEXT_NETWORKS = 20


@dataclasses.dataclass(frozen=True)
class Config:
    """Settings of the information-plane experiment (defaults: the SZT17 figure settings).

    Attributes
    ----------
    training : :class:`ipflow_lib.ensembles.TrainingSpec` -- network, optimiser, epochs, logged epochs and
        seeds (default: 50 networks 12-10-7-5-4-3-2, Adam 4·10⁻⁴, batches of 512, 10 000 epochs, 964 logged
        epochs); network ``i`` uses seed ``training.seed + i`` for its initialisation, mini-batches and split
    train_fraction : fraction of the inputs in each network's training set (:func:`ipflow_lib.datasets.paper_split`)
    n_bins : bins on [-1, 1] of the binning estimator
    n_calls : the networks are split into this many trainer calls, run side by side (one per core); a part of
        the config because float reduction order may differ between splits
    """

    training: TrainingSpec = TrainingSpec()
    train_fraction: float = 0.85
    n_bins: int = 30
    n_calls: int = 2

    def __post_init__(self):
        check_training(self.training, self.n_bins, self.train_fraction)
        if self.n_calls < 1:
            raise ValueError(f"n_calls must be ≥ 1, got {self.n_calls}")


PRESETS = {
    "paper": Config(),
    "quick": Config(training=TrainingSpec(n_networks=10, n_epochs=1500, n_logged_points=240)),
}


def paper_text(config: Config, n_networks: int | None = PAPER_TEXT_NETWORKS) -> Config:
    """``config`` as SZT17's text states it: plain SGD (at :data:`SGD_LEARNING_RATE`) instead of the code's Adam,
    everything else unchanged, on the first ``min(n_networks, config's)`` networks (None: all of them), which have
    the same seeds, hence the same initial weights, mini-batch orders and training sets as their twins."""
    n = config.training.n_networks if n_networks is None else min(int(n_networks), config.training.n_networks)
    return dataclasses.replace(config, training=config.training.replace(
        optimizer="sgd", learning_rate=SGD_LEARNING_RATE, n_networks=n))


PRESETS["paper-text"] = paper_text(PRESETS["paper"])


@dataclasses.dataclass
class Result(Curves):
    """Information-plane trajectories of ``n_networks`` networks (the fields of :class:`._sweep.Curves` and more).

    Attributes
    ----------
    config : Config
    logged_epochs : (n_logged,) int -- epochs after which the layers were measured (0 = initialisation)
    i_xt, i_ty : (n_networks, n_logged, n_layers) float, bits -- binned I(X;T) and I(T;Y); layers are the
        hidden layers then the softmax output
    h_y : float, bits -- H(Y) of the labels, the ceiling of I(T;Y)
    h_x : float, bits -- log2(4096) = 12, the ceiling of I(X;T)
    train_loss, test_loss : (n_networks, n_logged) mean cross entropy, nats
    train_acc, test_acc : (n_networks, n_logged) accuracy
    grad_mean, grad_std : (n_networks, n_logged, n_layers) norms of the mean and standard deviation of each
        layer's weight gradients over the mini-batches of the epoch (SZT17 Fig. 4)
    weight_norm : (n_networks, n_logged, n_layers) Frobenius norm of each layer's weights
    layer_widths : widths of the n_layers layers
    info : RunInfo -- preset, compute time, cache provenance
    """

    config: Config
    h_y: float
    h_x: float
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
        """Per layer, the first logged epoch at which the gradient SNR falls below 1 (SZT17 Fig. 4):
        :func:`ipflow_lib.trajectories.drift_diffusion_transition` of this run, (n_layers,), NaN if never."""
        return drift_diffusion_transition(self.grad_mean, self.grad_std, self.logged_epochs)

    def layer_names(self, units: bool = False) -> list[str]:
        """``["L1", "L2", ...]``, or with ``units`` ``["L1 (10)", ...]``: labels of the layers for figures."""
        return [f"L{k + 1} ({w})" if units else f"L{k + 1}" for k, w in enumerate(self.layer_widths)]

    def layer_table(self) -> str:
        """One line per layer: peak and final I(X;T) (bits, with the epoch of the peak) and final I(T;Y),
        of the mean over networks."""
        i_xt, i_ty = self.i_xt.mean(axis=0), self.i_ty.mean(axis=0)
        peak = i_xt.argmax(axis=0)
        return "\n".join(
            f"layer {k + 1} ({w:2d} units): I(X;T) peaks at {i_xt[peak[k], k]:6.3f} bits "
            f"(epoch {self.logged_epochs[peak[k]]:5d}), ends at {i_xt[-1, k]:6.3f} bits; "
            f"final I(T;Y) = {i_ty[-1, k]:.3f} bits"
            for k, w in enumerate(self.layer_widths)
        )

    def summary(self) -> dict[str, float | int | str]:
        """The numbers chapter 2 quotes (flat; bits, epochs, accuracies), keyed by their glue names.

        Settings: ``n_networks``, ``n_epochs``, ``n_logged``, ``n_bins``, ``train_pct``, ``batch`` (int, or
        "full batch"), ``learning_rate``, ``arch`` ("12-10-7-5-4-3-2"), ``n_layers``, ``h_x``, ``h_y``.
        Mean over networks at the last logged epoch: ``first_ixt`` (first hidden layer), ``last_ixt``,
        ``last_ity`` (last hidden layer), ``train_acc``, ``test_acc``. Compression
        (:func:`ipflow_lib.trajectories.compression` of the mean trajectory): ``max_compression`` bits, in layer
        ``max_compression_layer`` (1-based); ``peak_epoch_last_hidden``. Drift → diffusion:
        ``n_transition`` layers whose SNR falls below 1, between epochs ``transition_min`` and
        ``transition_max`` (−1 when no layer's does).
        """
        spec = self.config.training
        i_xt, i_ty = self.i_xt.mean(axis=0), self.i_ty.mean(axis=0)  # (n_logged, n_layers)
        drop = compression(i_xt, axis=0)
        transitions = self.drift_diffusion_transition()
        finite = transitions[np.isfinite(transitions)]
        n_input_bits = int(round(self.h_x))  # the 2^12 inputs are all patterns of 12 bits
        return {
            "h_y": float(self.h_y),
            "h_x": float(self.h_x),
            "n_networks": int(self.i_xt.shape[0]),
            "n_epochs": int(spec.n_epochs),
            "n_logged": int(self.logged_epochs.size),
            "n_bins": int(self.config.n_bins),
            "train_pct": float(100 * self.config.train_fraction),
            "batch": spec.batch_size if spec.batch_size else "full batch",
            "learning_rate": float(spec.learning_rate),
            "arch": "-".join(map(str, (n_input_bits, *self.layer_widths))),
            "n_layers": int(i_xt.shape[1]),
            "last_ixt": float(i_xt[-1, -2]),
            "last_ity": float(i_ty[-1, -2]),
            "first_ixt": float(i_xt[-1, 0]),
            "max_compression": float(drop.max()),
            "max_compression_layer": int(drop.argmax()) + 1,
            "peak_epoch_last_hidden": int(self.logged_epochs[i_xt.argmax(axis=0)[-2]]),
            "train_acc": float(self.train_acc[:, -1].mean()),
            "test_acc": float(self.test_acc[:, -1].mean()),
            "transition_min": int(finite.min()) if finite.size else -1,
            "transition_max": int(finite.max()) if finite.size else -1,
            "n_transition": int(finite.size),
        }


def compute(config: Config, checkpoint: Checkpoint | None = None) -> Result:
    """Train and measure the networks of ``config`` (no cache; :func:`run` caches it): the information-plane
    computation, public so that other experiments (``authors_run``) reuse it under their own cache name.
    ``checkpoint`` (None: none) saves finished trainer calls so that an interrupted run resumes."""
    from ..ensembles import train_ensemble
    from ..estimators import FixedBins

    spec = config.training
    X, y = tishby_12bit()
    train_mask, test_mask = train_test_masks(X.shape[0], config.train_fraction, spec.seeds)

    binning = FixedBins(config.n_bins, (-1.0, 1.0))  # binned_mi, its cells computed in the trainer

    # A network's numbers depend only on its seed (up to float rounding), so the networks are split into
    # calls that run in threads, one per CPU core; the split is fixed by the config, not by the machine.
    parts = [rows for rows in np.array_split(np.arange(spec.n_networks), config.n_calls) if rows.size]
    kept = ("train_loss", "test_loss", "train_acc", "test_acc", "grad_mean", "grad_std", "weight_norm")

    def train_part(j: int, sub: Checkpoint | None, stop: threading.Event) -> dict[str, np.ndarray]:
        rows = parts[j]
        run_ = train_ensemble(
            X, y, train_mask[rows], test_mask[rows], spec,
            seeds=spec.seeds[rows],
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
        logged_epochs=spec.logged_epochs,
        i_xt=cat("i_xt"),
        i_ty=cat("i_ty"),
        **ceilings(X, y),
        **{name: cat(name) for name in kept},
        layer_widths=tuple(int(w) for w in done[0]["layer_widths"]),
    )


def compare(code: Result, text: Result, fit_accuracy: float = 0.95) -> dict[str, float | int | str]:
    """What changes between two runs of the information plane, e.g. the code's Adam and the text's SGD
    (:func:`paper_text`), on the networks they share (the first ``n`` of each, same seeds), for ``glue``.

    For each run (prefix ``code_`` / ``text_``), from the mean over the shared networks: ``*_fit_epoch``, the
    first logged epoch with training accuracy ≥ ``fit_accuracy`` (−1 if never); ``*_onset`` the compression onset
    (:func:`ipflow_lib.trajectories.compression_onset`: peak of I(X;T) followed by a fall ≥ 0.1 bits; −1 if
    none) of the last hidden layer, ``*_n_compress`` how many hidden layers compress; ``*_last_ixt`` and
    ``*_last_ity`` the final I(X;T), I(T;Y) of the last hidden layer (bits); ``*_max_compression`` the largest
    fall of a layer (bits); ``*_test_acc``. Differences text − code: ``diff_last_ixt``, ``diff_last_ity``. The
    standard errors of the means over the shared networks (bits): ``*_last_ixt_se``, ``*_last_ity_se``, and of
    the paired differences ``diff_last_ixt_se``, ``diff_last_ity_se`` (std with ddof 1 over √n; NaN for one
    network). ``shared_networks``, ``text_optimizer``, ``text_lr``, ``code_optimizer``, ``code_lr``.

    Raises
    ------
    ValueError
        If the two runs differ in logged epochs or layers.
    """
    if not np.array_equal(code.logged_epochs, text.logged_epochs) or code.layer_widths != text.layer_widths:
        raise ValueError("code and text must have the same logged epochs and layers")
    n = min(code.i_xt.shape[0], text.i_xt.shape[0])
    out: dict[str, float | int | str] = {"shared_networks": int(n)}

    def se(per_network) -> float:
        return float(np.std(per_network, ddof=1) / np.sqrt(n)) if n > 1 else float("nan")

    last = {name: (r.i_xt[:n, -1, -2], r.i_ty[:n, -1, -2]) for name, r in (("code", code), ("text", text))}
    epochs = code.logged_epochs
    for name, r in (("code", code), ("text", text)):
        i_xt, i_ty = r.i_xt[:n].mean(axis=0), r.i_ty[:n].mean(axis=0)
        onset = compression_onset(i_xt[:, :-1], epochs)
        fit = first_epoch_reaching(r.train_acc[:n].mean(axis=0), epochs, fit_accuracy)
        out.update({
            f"{name}_optimizer": {"adam": "Adam", "sgd": "SGD"}[r.config.training.optimizer],
            f"{name}_lr": float(r.config.training.learning_rate),
            f"{name}_fit_epoch": int(fit) if np.isfinite(fit) else -1,
            f"{name}_onset": int(onset[-1]) if np.isfinite(onset[-1]) else -1,
            f"{name}_n_compress": int(np.isfinite(onset).sum()),
            f"{name}_last_ixt": float(i_xt[-1, -2]),
            f"{name}_last_ity": float(i_ty[-1, -2]),
            f"{name}_max_compression": float(compression(i_xt, axis=0).max()),
            f"{name}_test_acc": float(r.test_acc[:n, -1].mean()),
            f"{name}_last_ixt_se": se(last[name][0]),
            f"{name}_last_ity_se": se(last[name][1]),
        })
    out["diff_last_ixt"] = out["text_last_ixt"] - out["code_last_ixt"]
    out["diff_last_ity"] = out["text_last_ity"] - out["code_last_ity"]
    out["diff_last_ixt_se"] = se(last["text"][0] - last["code"][0])
    out["diff_last_ity_se"] = se(last["text"][1] - last["code"][1])
    return out


def paper_settings() -> dict[str, float | int]:
    """The settings of the ``paper`` preset that the chapter quotes whatever preset built it (for ``glue``):
    ``paper_bins``, ``paper_train_pct`` (%), ``paper_networks``, ``paper_epochs``, ``paper_lr``."""
    paper = PRESETS["paper"]
    return {"paper_bins": paper.n_bins, "paper_train_pct": 100 * paper.train_fraction,
            "paper_networks": paper.training.n_networks, "paper_epochs": paper.training.n_epochs,
            "paper_lr": paper.training.learning_rate}


def run(config: Config | None = None) -> Result:
    """Run (or load from the cache) the information-plane experiment; ``None`` = the current preset."""
    config = config or select_config(PRESETS)
    return cached_run("information-plane", config, compute, PRESETS)
