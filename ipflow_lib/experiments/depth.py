"""Depth in the information plane (Shwartz-Ziv & Tishby 2017, Fig. 5): networks with 1 to 6 hidden layers.

SZT17 trained the 12-bit task with hidden layers [10], [10, 7], [10, 7, 5], [10, 7, 5, 4], [10, 7, 5, 4, 3]
and [10, 7, 5, 4, 4, 3] and reported that adding hidden layers cuts the number of epochs needed, both to fit
the labels and to compress: the compression of a layer is faster when it starts from an already compressed
layer. Here every depth is one vectorised call of :func:`ipflow_lib.ensembles.train_ensemble`
(``training.n_networks`` networks; network ``i`` uses seed ``training.seed + i`` and the same training set
at every depth), and :func:`ipflow_lib.trajectories.phase_times` turns each layer's network-averaged trajectory
into the epochs of its two phases:

- **fitting**: the first logged epoch at which I(T;Y) has covered ``fit_level`` of its rise from the
  initial value to its maximum over the run ("reaches its full I(T;Y)");
- **compression**: from the epoch of the peak of I(X;T) to the first later epoch at which I(X;T) has covered
  ``compression_level`` of its fall from the peak to the final value; only where it falls by at least
  ``min_compression_bits``.

Bootstrap intervals over networks (:func:`ipflow_lib.trajectories.bootstrap`, resampling the networks) come
with every number.

Differences from the paper (fields of ``Config``): 20 networks per depth instead of 50, 218 logged epochs
instead of 964 (time budget, see the chapter); test set = every input outside the training set.

The architectures are those of the authors' code (:data:`ARCHITECTURES`). The caption of SZT17 Fig. 5 states
others: "the width of the hidden layers start with 12, and each additional layer has 2 fewer neurons", i.e.
[12], [12, 10], ..., [12, 10, 8, 6, 4, 2] (:data:`CAPTION_ARCHITECTURES`); :func:`paper_text` gives that
variant of a config and ``PRESETS["paper-text"]`` that of the ``paper`` preset.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..datasets import sweep_masks, tishby_12bit
from ..datasets.tishby import TEST_SPLITS
from ..ensembles import TrainingSpec
from ..trajectories import (
    bootstrap,
    bootstrap_phase_times,
    compare_epochs,
    epochs_text,
    first_epoch_reaching,
    phase_times,
)
from ._common import RunInfo, cached_run, select_config
from ._sweep import Curves, ceilings, check_training

__all__ = ["ARCHITECTURES", "CAPTION_ARCHITECTURES", "Config", "PRESETS", "Result", "depth_verdict",
           "paper_text", "run"]

ARCHITECTURES: dict[int, tuple[int, ...]] = {
    1: (10,),
    2: (10, 7),
    3: (10, 7, 5),
    4: (10, 7, 5, 4),
    5: (10, 7, 5, 4, 3),
    6: (10, 7, 5, 4, 4, 3),
}

#: The architectures of the caption of SZT17 Fig. 5: hidden widths from 12 down, 2 fewer per added layer.
CAPTION_ARCHITECTURES: dict[int, tuple[int, ...]] = {d: tuple(range(12, 12 - 2 * d, -2)) for d in range(1, 7)}
#: Networks per depth of the paper-text control (the ``paper`` preset has 20).
PAPER_TEXT_NETWORKS = 10


@dataclasses.dataclass(frozen=True)
class Config:
    """Settings of the depth sweep (``paper``: the six SZT17 architectures, 85 % of the data).

    Attributes
    ----------
    architectures : hidden widths of every network, one tuple per depth (default: :data:`ARCHITECTURES`)
    training : :class:`ipflow_lib.ensembles.TrainingSpec` -- optimiser, epochs, logged epochs and
        ``n_networks`` networks per depth (default: 20 networks, 10 000 epochs, 218 logged epochs); its
        ``hidden_widths`` is replaced by each of ``architectures``
    train_fraction : fraction of the inputs used for training (same training set for every depth)
    n_bins : bins on [-1, 1] of the binning estimator
    test_split : "held_out" | "paper" (see :func:`ipflow_lib.datasets.sweep_masks`)
    fit_level : fraction of the rise of I(T;Y) that counts as fitted, in (0, 1]
    compression_level : fraction of the fall of I(X;T) that counts as compressed, in (0, 1]
    min_compression_bits : smaller falls of I(X;T) (bits) are not counted as compression
    n_bootstrap : bootstrap resamples of the networks for the intervals
    accuracy_level : training accuracy (mean over networks) that counts as "trained", for ``accuracy_epoch``
    n_workers : calls of the trainer run at the same time, in threads (None: one per CPU core); the numbers
        do not depend on it, so it is not part of the cache key
    """

    architectures: tuple[tuple[int, ...], ...] = tuple(ARCHITECTURES.values())
    training: TrainingSpec = TrainingSpec(n_networks=20, n_logged_points=300)
    train_fraction: float = 0.85
    n_bins: int = 30
    test_split: str = "held_out"
    fit_level: float = 0.95
    compression_level: float = 0.9
    min_compression_bits: float = 0.1
    n_bootstrap: int = 200
    accuracy_level: float = 0.95
    n_workers: int | None = dataclasses.field(default=None, metadata={"cache_key": False})

    def __post_init__(self):
        if not self.architectures or any(not a or min(a) < 1 for a in self.architectures):
            raise ValueError(f"architectures must be non-empty tuples of positive widths, got {self.architectures}")
        check_training(self.training, self.n_bins, self.train_fraction)
        if self.test_split not in TEST_SPLITS:
            raise ValueError(f"test_split must be one of {TEST_SPLITS}, got {self.test_split!r}")
        for name in ("fit_level", "compression_level"):
            if not 0.0 < getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in (0, 1], got {getattr(self, name)}")
        if self.min_compression_bits < 0 or self.n_bootstrap < 0:
            raise ValueError("min_compression_bits and n_bootstrap must be ≥ 0")
        if not 0.0 < self.accuracy_level <= 1.0:
            raise ValueError(f"accuracy_level must be in (0, 1], got {self.accuracy_level}")

    @property
    def depths(self) -> np.ndarray:
        return np.array([len(a) for a in self.architectures])


PRESETS = {
    "paper": Config(),
    "quick": Config(architectures=(ARCHITECTURES[1], ARCHITECTURES[3], ARCHITECTURES[5]),
                    training=TrainingSpec(n_networks=4, n_epochs=1500, n_logged_points=120), n_bootstrap=50),
}


def paper_text(config: Config, n_networks: int | None = PAPER_TEXT_NETWORKS) -> Config:
    """``config`` with the caption's architectures (:data:`CAPTION_ARCHITECTURES`) at the same depths, on the
    first ``min(n_networks, config's)`` networks (None: all); optimiser and everything else unchanged."""
    archs = tuple(CAPTION_ARCHITECTURES[len(a)] for a in config.architectures)
    n = config.training.n_networks if n_networks is None else min(int(n_networks), config.training.n_networks)
    return dataclasses.replace(config, architectures=archs, training=config.training.replace(n_networks=n))


PRESETS["paper-text"] = paper_text(PRESETS["paper"])


@dataclasses.dataclass
class Result(Curves):
    """Trajectories (the fields of :class:`._sweep.Curves`) and phase times of every depth. Arrays over layers
    are padded with NaN to the deepest network (``max_layers`` = its hidden layers + the output); layer ``k``
    of depth ``d`` exists for ``k ≤ d`` (index ``d − 1`` is the last hidden layer, index ``d`` the softmax
    output).

    Attributes
    ----------
    config : Config
    depths : (n_depths,) int -- hidden layers per network
    logged_epochs : (n_logged,) int
    i_xt, i_ty : (n_depths, n_networks, n_logged, max_layers) float, bits (NaN-padded)
    train_loss, test_loss : (n_depths, n_networks, n_logged), nats
    train_acc, test_acc : (n_depths, n_networks, n_logged)
    fit_epoch : (n_depths, max_layers) float, epochs -- see :func:`ipflow_lib.trajectories.phase_times`
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

    def depth_titles(self) -> list[str]:
        """Panel titles, one per depth: "3 hidden: 12-10-7-5-2"."""
        return [f"{d} hidden: 12-{'-'.join(map(str, w))}" for d, w in zip(self.depths, self.layer_widths, strict=True)]

    def accuracy(self) -> tuple[float, np.ndarray, np.ndarray]:
        """(``config.accuracy_level``, ``accuracy_epoch``, ``accuracy_epoch_ci``): the accuracy series of
        :func:`ipflow_lib.plotting.phase_times_by_depth`."""
        return float(self.config.accuracy_level), self.accuracy_epoch, self.accuracy_epoch_ci

    def phase_table(self) -> str:
        """One line per depth: phase epochs of the last hidden layer and the output, the epoch the training
        accuracy reaches ``config.accuracy_level`` and the final test accuracy ("never" for a phase that does
        not happen)."""
        lh, out = self.phases("last_hidden"), self.phases("output")
        level = self.config.accuracy_level
        lines = []
        for i, d in enumerate(self.depths):
            compressed = (f"compressed {lh['compression_bits'][i]:.2f} bits by epoch {lh['compression_end'][i]:5.0f}"
                          if np.isfinite(lh["compression_end"][i]) else "does not compress")
            lines.append(
                f"{d} hidden: last hidden layer ({lh['width'][i]:2d} units) fitted at epoch "
                f"{epochs_text([lh['fit_epoch'][i]]):>5}, {compressed} | output fitted at "
                f"{epochs_text([out['fit_epoch'][i]]):>5}, compressed by {epochs_text([out['compression_end'][i]]):>5}"
                f" | training accuracy {level:g} at {epochs_text([self.accuracy_epoch[i]]):>5} | test accuracy "
                f"{self.test_acc[i, :, -1].mean():.3f}"
            )
        return "\n".join(lines)

    def verdict(self) -> str:
        """SZT17's depth claim tested on this sweep: :func:`depth_verdict` of the training-accuracy epochs and
        of the end of the output's compression, shallowest against deepest network."""
        out = self.phases("output")
        return depth_verdict(self.accuracy_epoch, self.accuracy_epoch_ci, out["compression_end"],
                             out["compression_end_ci"])

    def summary(self) -> dict[str, float | int | str]:
        """The numbers and phrases chapter 3 quotes about depth (flat), keyed by their glue names.

        Settings: ``depth_list`` ("1, 3, 5"), ``depth_list_and`` ("1, 3 and 5"), ``depth_archs``,
        ``depth_networks``, ``paper_depth_networks``, ``depth_pct``, ``depth_minutes`` (compute time of the
        run, NaN without provenance), ``fit_level_pct``, ``comp_level_pct``, ``min_bits``, ``acc_level``.
        Epochs per depth as text (:func:`ipflow_lib.trajectories.epochs_text`): ``acc_epochs``,
        ``out_fit_epochs``, ``out_comp_epochs``, ``lh_fit_epochs``; ``lh_widths``; ``test_accs``; and
        ``depth_verdict`` (:meth:`verdict`).
        """
        cfg = self.config
        lh, out = self.phases("last_hidden"), self.phases("output")
        depths = [str(d) for d in self.depths]
        return {
            "depth_list": ", ".join(depths),
            "depth_list_and": " and ".join([", ".join(depths[:-1]), depths[-1]]) if len(depths) > 1 else depths[0],
            "depth_archs": ", ".join(str(list(w[:-1])) for w in self.layer_widths),
            "depth_networks": int(self.i_xt.shape[1]),
            "paper_depth_networks": int(PRESETS["paper"].training.n_networks),
            "depth_pct": float(100 * cfg.train_fraction),
            "depth_minutes": float(self.info.elapsed_s / 60) if self.info is not None else float("nan"),
            "fit_level_pct": float(100 * cfg.fit_level),
            "comp_level_pct": float(100 * cfg.compression_level),
            "min_bits": float(cfg.min_compression_bits),
            "acc_level": float(cfg.accuracy_level),
            "acc_epochs": epochs_text(self.accuracy_epoch),
            "out_fit_epochs": epochs_text(out["fit_epoch"]),
            "out_comp_epochs": epochs_text(out["compression_end"]),
            "lh_fit_epochs": epochs_text(lh["fit_epoch"]),
            "lh_widths": ", ".join(str(int(w)) for w in lh["width"]),
            "test_accs": ", ".join(f"{a:.3f}" for a in self.test_acc[:, :, -1].mean(axis=1)),
            "depth_verdict": self.verdict(),
        }


def depth_verdict(accuracy_epoch, accuracy_epoch_ci, compression_end, compression_end_ci) -> str:
    """The sentence that tests SZT17's depth claim ("more layers: fewer epochs to fit and to compress").

    Two comparisons of the shallowest (first) and the deepest (last) network, by
    :func:`ipflow_lib.trajectories.compare_epochs`: the epoch at which the training accuracy reaches its level,
    and the end of the compression of the softmax output. Each *supports* the claim when the deepest is
    sooner and the 5–95 % intervals are apart.

    Parameters
    ----------
    accuracy_epoch, compression_end : (n_depths,) epochs (NaN: never), ordered from shallow to deep
    accuracy_epoch_ci, compression_end_ci : (n_depths, 2) their bootstrap intervals

    Returns
    -------
    str -- "Both support SZT17's direction: the deepest networks reach the training accuracy 2.0 times
    sooner than the shallowest (5–95 % intervals apart), and end the compression of their output ..."
    ("Only one of the two supports" / "Neither supports" otherwise).
    """
    acc_text, acc_ok = compare_epochs("reach the training accuracy", accuracy_epoch, accuracy_epoch_ci,
                                      than=" than the shallowest")
    comp_text, comp_ok = compare_epochs("end the compression of their output", compression_end, compression_end_ci)
    verdict = {2: "Both support SZT17's direction", 1: "Only one of the two supports SZT17's direction",
               0: "Neither supports SZT17's direction"}[int(acc_ok) + int(comp_ok)]
    return f"{verdict}: the deepest networks {acc_text}, and {comp_text}"


def _compute(config: Config, checkpoint) -> Result:
    from ._sweep import GroupSpec, train_groups

    spec = config.training
    X, y = tishby_12bit()
    seeds = spec.seeds
    train, test = sweep_masks(X.shape[0], [config.train_fraction], seeds, config.test_split)
    groups = [
        GroupSpec(train_mask=train[0], test_mask=test[0], seeds=seeds, hidden_widths=tuple(widths),
                  desc=f"depth {len(widths)}: {'-'.join(map(str, (12, *widths, 2)))}")
        for widths in config.architectures
    ]
    outs = train_groups(X, y, groups, spec, n_bins=config.n_bins, checkpoint=checkpoint, n_workers=config.n_workers)
    depths = config.depths
    n_depths, max_layers = depths.size, int(depths.max()) + 1
    epochs = spec.logged_epochs
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
        boot = bootstrap_phase_times(x, t, epochs, config.n_bootstrap, spec.seed + d, **levels)
        for key, value in boot.items():
            cis[key][d, :n_layers] = value

    def stack(key):
        return np.stack([out[key] for out in outs])

    train_acc = stack("train_acc")
    acc_epoch = np.array([first_epoch_reaching(a.mean(0), epochs, config.accuracy_level) for a in train_acc])
    rng = np.random.default_rng(spec.seed)  # one stream of draws for the intervals of every depth
    acc_ci = np.stack([
        bootstrap(lambda pick, a=a: first_epoch_reaching(a[pick].mean(0), epochs, config.accuracy_level),
                  a.shape[0], config.n_bootstrap, rng)
        for a in train_acc
    ])

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
        **ceilings(X, y),
        layer_widths=tuple(tuple(int(w) for w in out["layer_widths"]) for out in outs),
    )


def run(config: Config | None = None) -> Result:
    """Run (or load from the cache) the depth sweep; ``None`` = the current preset (``IPFLOW_PRESET``)."""
    config = config or select_config(PRESETS)
    return cached_run("depth", config, _compute, PRESETS)
