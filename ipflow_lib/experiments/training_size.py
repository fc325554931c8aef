"""Training size in the information plane (Shwartz-Ziv & Tishby 2017, Figs. 3 and 7).

Networks 12-10-7-5-4-3-2 (as in :mod:`.information_plane`) are trained on a sweep of training-set sizes,
``training.n_networks`` networks per size. Network ``i`` of every size uses seed ``training.seed + i`` for its
initialisation, its mini-batch order and its random permutation of the 4096 inputs, so the training sets of one seed are
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

**Equal steps.** With a fixed mini-batch of 512 a smaller training set takes fewer optimiser steps per epoch
(5 %: one full-batch step, 85 %: seven noisy ones), so at equal epochs training size is confounded with the
number and the noise of the updates. ``Config.equal_steps = K`` is the control: every size splits its training
set into K mini-batches (:func:`equal_steps_batch`: about m / K inputs each; a size that already takes K steps
with ``training.batch_size`` keeps it), so every size takes K steps per epoch, each on about the same fraction
1/K of its training set, with the same epochs and logged epochs as the sweep (so the curves compare point by
point). The price: the small sets' batches are smaller (noisier gradients per step).
:func:`equal_steps_control` derives the control of a sweep (K = the largest size's steps, so that size trains
exactly as in the sweep).

Differences from the paper, all fields of ``Config``: 20 networks per size instead of 50 and 218 logged
epochs instead of 964 (the sweep trains 8 sizes; see the chapter for the time budget); the test set is every
input *not* in the training set (``test_split="held_out"``), because the authors' split (test = the last
20 % of the permutation, ``test_split="paper"``) overlaps the training set when it covers more than 80 %.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ..datasets import sweep_masks, tishby_12bit
from ..datasets.tishby import TEST_SPLITS
from ..ensembles import TrainingSpec
from ._common import RunInfo, cached_run, select_config
from ._sweep import Curves, ceilings, check_training

__all__ = ["EQUAL_STEPS_FRACTIONS", "EQUAL_STEPS_NETWORKS", "Config", "PRESETS", "Result", "batch_phrase",
           "batch_sizes", "equal_steps_batch", "equal_steps_control", "run", "steps_per_epoch"]

VECTORISE = ("all", "by_batches", "per_size")


@dataclasses.dataclass(frozen=True)
class Config:
    """Settings of the training-size sweep (``paper``: the SZT17 network and optimiser, 8 sizes).

    Attributes
    ----------
    train_fractions : fractions of the 4096 inputs used for training, each in (0, 1]
    training : :class:`ipflow_lib.ensembles.TrainingSpec` -- network (12-10-7-5-4-3-2), optimiser, epochs,
        logged epochs and ``n_networks`` networks per training size (default: 20 networks, 10 000 epochs,
        300 logspace points → 218 logged epochs); network ``i`` of every size uses seed ``training.seed + i``
    n_bins : bins on [-1, 1] of the binning estimator
    vectorise : "all" | "by_batches" | "per_size" (see the module docstring)
    test_split : "held_out" (every input outside the training set) | "paper" (last 20 % of the permutation)
    n_workers : calls of the trainer run at the same time, in threads (None: one per CPU core); the numbers
        do not depend on it, so it is not part of the cache key
    equal_steps : None (every size uses mini-batches of ``training.batch_size``, SZT17) or K ≥ 1: every size
        splits its training set into K mini-batches (:func:`equal_steps_batch`), so all take K steps per epoch
    """

    train_fractions: tuple[float, ...] = (0.05, 0.10, 0.20, 0.30, 0.45, 0.60, 0.70, 0.85)
    training: TrainingSpec = TrainingSpec(n_networks=20, n_logged_points=300)
    n_bins: int = 30
    vectorise: str = "by_batches"
    test_split: str = "held_out"
    n_workers: int | None = dataclasses.field(default=None, metadata={"cache_key": False})
    equal_steps: int | None = None

    def __post_init__(self):
        fr = tuple(float(f) for f in self.train_fractions)
        if not fr or any(not 0.0 < f <= 1.0 for f in fr) or len(set(fr)) != len(fr):
            raise ValueError(f"train_fractions must be distinct numbers in (0, 1], got {self.train_fractions}")
        check_training(self.training, self.n_bins)
        if self.vectorise not in VECTORISE:
            raise ValueError(f"vectorise must be one of {VECTORISE}, got {self.vectorise!r}")
        if self.test_split not in TEST_SPLITS:
            raise ValueError(f"test_split must be one of {TEST_SPLITS}, got {self.test_split!r}")
        if self.equal_steps is not None:
            if isinstance(self.equal_steps, bool) or not isinstance(self.equal_steps, int) or self.equal_steps < 1:
                raise ValueError(f"equal_steps must be None or an int ≥ 1, got {self.equal_steps!r}")


PRESETS = {
    "paper": Config(),
    "quick": Config(train_fractions=(0.05, 0.45, 0.85),
                    training=TrainingSpec(n_networks=4, n_epochs=1500, n_logged_points=120)),
}


@dataclasses.dataclass
class Result(Curves):
    """Information-plane trajectories for every training size (the fields of :class:`._sweep.Curves` and more).

    Attributes
    ----------
    config : Config
    train_fractions : (n_sizes,) float -- the fractions of the inputs used for training
    n_train : (n_sizes,) int -- training-set sizes m
    logged_epochs : (n_logged,) int -- epochs after which the layers were measured (0 = initialisation)
    i_xt, i_ty : (n_sizes, n_networks, n_logged, n_layers) float, bits -- binned I(X;T), I(T;Y) on all inputs;
        layers are the hidden layers then the softmax output
    train_loss, test_loss : (n_sizes, n_networks, n_logged) mean cross entropy, nats
    train_acc, test_acc : (n_sizes, n_networks, n_logged) accuracy in [0, 1]
    cells : (n_sizes, n_networks, n_layers, n_samples) int32 -- bin cell of every input in every layer at the last
        logged epoch (labels 0..k−1 per network and layer); H(cells) = the final I(X;T)
    output_prob : (n_sizes, n_networks, n_samples, n_classes) float32 -- every network's softmax output on every
        input at the last logged epoch (its own p(y|x); :mod:`.ib_layers` builds the network's decoder from it)
    train_mask, test_mask : (n_sizes, n_networks, n_samples) bool -- each network's training and test inputs
    h_y, h_x : float, bits -- H(Y) and log2(4096) = 12, the ceilings of I(T;Y) and I(X;T)
    layer_widths : widths of the n_layers layers
    info : RunInfo
    """

    config: Config
    train_fractions: np.ndarray
    n_train: np.ndarray
    cells: np.ndarray
    train_mask: np.ndarray
    test_mask: np.ndarray
    h_y: float
    h_x: float
    layer_widths: tuple[int, ...]
    output_prob: np.ndarray | None = None
    info: RunInfo | None = None

    @property
    def generalization_gap(self) -> np.ndarray:
        """Test error − training error (0-1 loss) = train_acc − test_acc, shape (n_sizes, n_networks, n_logged)."""
        return self.train_acc - self.test_acc

    def size_index(self, fraction: float) -> int:
        """Index of the training size closest to ``fraction``."""
        return int(np.argmin(np.abs(self.train_fractions - fraction)))

    def size_titles(self, indices) -> list[str]:
        """Panel titles of the sizes ``indices``: "5 % of the data (m = 205)"."""
        return [f"{100 * self.train_fractions[s]:g} % of the data (m = {self.n_train[s]})" for s in indices]

    def last_hidden(self) -> int:
        """Index of the last hidden layer (the output is the last layer)."""
        return len(self.layer_widths) - 2

    def batch_sizes(self) -> list[int | None]:
        """The mini-batch size of every training size (None: full batch): ``training.batch_size`` for all, or
        with ``Config.equal_steps`` the :func:`equal_steps_batch` of each size."""
        return batch_sizes(self.config, self.n_train)

    def steps_per_epoch(self) -> np.ndarray:
        """Optimiser steps per epoch of every training size, ``ceil(m / batch)`` (1 for full batch), (n_sizes,) int.

        With mini-batches of a fixed size, a smaller training set takes fewer steps per epoch, so at equal epochs
        the sizes differ in the number of updates too (a set no larger than one batch is trained full batch).
        With ``Config.equal_steps`` = K every size takes K.
        """
        return np.array([steps_per_epoch([m], b)[0] for m, b in zip(self.n_train, self.batch_sizes(), strict=True)])

    def generalization_trend(self) -> float:
        """Spearman rank correlation, across training sizes, of the size and the final generalisation gap (mean
        over networks): below 0 when the gap shrinks with more data (NaN with fewer than 3 sizes)."""
        from scipy.stats import spearmanr

        gap = self.generalization_gap[:, :, -1].mean(axis=1)
        if gap.size < 3 or np.ptp(gap) == 0:
            return float("nan")
        return float(spearmanr(self.train_fractions, gap).statistic)

    def label_information_table(self) -> str:
        """One line per training size: peak and final I(T;Y) of the last hidden layer (mean over networks)."""
        mean_ty = self.i_ty[:, :, :, self.last_hidden()].mean(axis=1)  # (n_sizes, n_logged)
        return "\n".join(
            f"{100 * f:4g} % of the data: last hidden layer I(T;Y) peaks at {p:.3f} bits, ends at {e:.3f} bits"
            for f, p, e in zip(self.train_fractions, mean_ty.max(axis=1), mean_ty[:, -1], strict=True)
        )

    def summary(self) -> dict[str, float | int | str]:
        """The numbers chapter 3 quotes about training size (flat; bits, accuracies), keyed by their glue names.

        Settings: ``n_sizes``, ``sizes_list`` ("5 %, 45 %, 85 %"), ``n_networks``, ``n_epochs``, ``n_logged``,
        ``m_min``, ``m_max``, ``sizes_minutes`` (compute time, NaN without provenance), and the ``paper``
        preset's ``paper_networks``, ``paper_epochs``, ``paper_logged`` and ``paper_every`` (the last epoch
        up to which every epoch is logged). ``small_*`` / ``large_*``: the smallest and the largest training
        set (``*_pct``): the last hidden layer's I(T;Y) (mean over networks) ``*_peak``, ``*_final`` and
        ``*_loss`` = peak − final; test accuracy ``small_test_peak``, ``small_test_final``,
        ``large_test_final``; final I(X;T) of the last hidden layer ``*_end_ixt`` and of the layer before it
        ``*_l4_ixt``; final I(T;Y) of the output ``*_out_ity``. Steps per epoch (:meth:`steps_per_epoch`):
        ``batch_size`` (or "full batch"), ``steps_list`` ("1, 4, 7"), ``small_steps``, ``large_steps`` and
        ``small_batch_text`` (:func:`batch_phrase` of the smallest set), ``equal_steps`` (K, or 0 when off),
        ``small_batch`` / ``large_batch`` (the batch of the smallest / largest set, 0 for full batch). The
        generalisation gap (train − test accuracy, mean over networks, last logged epoch): ``gap_small``,
        ``gap_large``, and ``gap_rho`` (:meth:`generalization_trend`).
        """
        spec = self.config.training
        last = self.last_hidden()
        mean_ty = self.i_ty[:, :, :, last].mean(axis=1)  # (n_sizes, n_logged)
        peak, final = mean_ty.max(axis=1), mean_ty[:, -1]
        test_acc = self.test_acc.mean(axis=1)  # (n_sizes, n_logged)
        paper = PRESETS["paper"].training
        paper_logged = paper.logged_epochs
        out: dict[str, float | int | str] = {
            "n_sizes": int(self.train_fractions.size),
            "sizes_list": ", ".join(f"{100 * f:g} %" for f in self.train_fractions),
            "n_networks": int(self.i_xt.shape[1]),
            "n_epochs": int(spec.n_epochs),
            "n_logged": int(self.logged_epochs.size),
            "m_min": int(self.n_train.min()),
            "m_max": int(self.n_train.max()),
            "sizes_minutes": float(self.info.elapsed_s / 60) if self.info is not None else float("nan"),
            "paper_networks": int(paper.n_networks),
            "paper_epochs": int(paper.n_epochs),
            "paper_logged": int(paper_logged.size),
            "paper_every": int(paper_logged[np.argmax(np.diff(paper_logged) > 1)]),
        }
        steps = self.steps_per_epoch()
        small, large = int(np.argmin(self.train_fractions)), int(np.argmax(self.train_fractions))
        out.update({
            "batch_size": spec.batch_size if spec.batch_size else "full batch",
            "steps_list": ", ".join(str(int(n)) for n in steps),
            "small_steps": int(steps[small]),
            "large_steps": int(steps[large]),
            "small_batch_text": batch_phrase(int(self.n_train[small]), self.batch_sizes()[small]),
            "equal_steps": int(self.config.equal_steps or 0),
            "small_batch": int(self.batch_sizes()[small] or 0),
            "large_batch": int(self.batch_sizes()[large] or 0),
            "gap_small": float(self.generalization_gap[small, :, -1].mean()),
            "gap_large": float(self.generalization_gap[large, :, -1].mean()),
            "gap_rho": self.generalization_trend(),
        })
        for name, s in (("small", int(np.argmin(self.train_fractions))),
                        ("large", int(np.argmax(self.train_fractions)))):
            out.update({
                f"{name}_pct": float(100 * self.train_fractions[s]),
                f"{name}_peak": float(peak[s]),
                f"{name}_final": float(final[s]),
                f"{name}_loss": float(peak[s] - final[s]),
                f"{name}_end_ixt": float(self.i_xt[s, :, -1, last].mean()),
                f"{name}_l4_ixt": float(self.i_xt[s, :, -1, last - 1].mean()),
                f"{name}_out_ity": float(self.i_ty[s, :, -1, -1].mean()),
            })
            if name == "small":
                out["small_test_peak"] = float(test_acc[s].max())
            out[f"{name}_test_final"] = float(test_acc[s, -1])
        return out


def steps_per_epoch(n_train, batch_size: int | None) -> np.ndarray:
    """Optimiser steps per epoch, ``ceil(m / batch_size)`` for each training-set size m (1 when ``batch_size`` is None).

    Raises
    ------
    ValueError
        If a size is below 1 or ``batch_size`` is below 1.
    """
    m = np.asarray(n_train, dtype=np.int64)
    if m.size and m.min() < 1:
        raise ValueError(f"n_train must be ≥ 1, got {m.min()}")
    if batch_size is None:
        return np.ones_like(m)
    if int(batch_size) < 1:
        raise ValueError(f"batch_size must be ≥ 1 or None, got {batch_size}")
    return -(-m // int(batch_size))


def equal_steps_batch(n_train, steps: int, preferred: int | None = None) -> list[int]:
    """The mini-batch size that splits a training set of m inputs into exactly ``steps`` mini-batches, per m.

    ``preferred`` (e.g. the sweep's 512) where it already gives ``steps`` batches, so such a size trains exactly
    as in the sweep; else ``ceil(m / steps)``, the smallest b with ``ceil(m / b) ≤ steps``: near-equal batches of
    about m / steps (the last may be smaller). Every training size then takes ``steps`` optimiser steps per epoch
    (the equal-steps control of the module docstring).

    Raises
    ------
    ValueError
        If ``steps`` < 1, or no batch size gives exactly ``steps`` batches for some m (m < steps, or a few small
        m such as m = 5, steps = 4: then ``ceil(m / ceil(m / steps)) < steps`` and every b gives fewer or more).

    Examples
    --------
    >>> equal_steps_batch([205, 3482], 7), equal_steps_batch([205, 3482], 7, preferred=512)
    ([30, 498], [30, 512])
    """
    if isinstance(steps, bool) or int(steps) != steps or steps < 1:
        raise ValueError(f"steps must be an int ≥ 1, got {steps!r}")
    out = []
    for m in np.asarray(n_train, dtype=np.int64).ravel():
        m = int(m)
        if m < 1:
            raise ValueError(f"n_train must be ≥ 1, got {m}")
        if preferred is not None and -(-m // int(preferred)) == steps:
            out.append(int(preferred))
            continue
        b = -(-m // int(steps))
        if -(-m // b) != steps:
            raise ValueError(f"no mini-batch size splits m = {m} inputs into exactly {steps} batches")
        out.append(b)
    return out


def batch_sizes(config: Config, n_train) -> list[int | None]:
    """Mini-batch size of every training size of ``config`` (None: full batch), for training sets of ``n_train``."""
    if config.equal_steps is None:
        return [config.training.batch_size] * len(np.asarray(n_train).ravel())
    return [int(b) for b in equal_steps_batch(n_train, config.equal_steps, config.training.batch_size)]


def equal_steps_control(config: Config, train_fractions: tuple[float, ...] | None = None,
                        n_networks: int | None = None) -> Config:
    """The equal-steps control of a sweep: ``config`` with ``equal_steps`` = the steps per epoch of its largest
    training set (so that set keeps its schedule), optionally on fewer ``train_fractions`` and on the first
    ``min(n_networks, config's)`` networks.

    The training sets are the same (same seeds, same nested permutations), so a network of the control differs
    from its twin in the sweep only by its mini-batches.
    """
    n_samples = tishby_12bit()[0].shape[0]
    fractions = tuple(train_fractions or config.train_fractions)
    n_train = sweep_masks(n_samples, (max(config.train_fractions),), [0])[0][0, 0].sum()
    k = int(steps_per_epoch([n_train], config.training.batch_size)[0])
    n = config.training.n_networks if n_networks is None else min(int(n_networks), config.training.n_networks)
    training = config.training.replace(n_networks=n)
    return dataclasses.replace(config, train_fractions=fractions, training=training, equal_steps=k)


#: The sizes and networks of the equal-steps control that chapter 3 reruns beside the sweep.
EQUAL_STEPS_FRACTIONS = (0.05, 0.45, 0.85)
EQUAL_STEPS_NETWORKS = 10
#: That control of the ``paper`` sweep, a preset so that ``make book`` computes it before the chapters run
#: (``ipflow run ib-layers --preset equal-steps`` computes both it and its final layers against the IB bound).
PRESETS["equal-steps"] = equal_steps_control(PRESETS["paper"], EQUAL_STEPS_FRACTIONS, EQUAL_STEPS_NETWORKS)


def batch_phrase(n_train: int, batch_size: int | None) -> str:
    """What one mini-batch is for a training set of ``n_train`` inputs, for the chapter's prose.

    "the whole training set (full batch: one step per epoch)" when one batch holds every input, else
    "one of 7 mini-batches (7 steps per epoch)".
    """
    steps = int(steps_per_epoch([n_train], batch_size)[0])
    if steps == 1:
        return "the whole training set (full batch: one step per epoch)"
    return f"one of {steps} mini-batches ({steps} steps per epoch)"


def _groups(config: Config, n_train: np.ndarray) -> list[list[int]]:
    """Indices of the training sizes trained together in one call, per ``config.vectorise``."""
    n_sizes = n_train.size
    if config.equal_steps is not None:  # one batch size per training size: one call each
        return [[i] for i in range(n_sizes)]
    if config.vectorise == "all":
        return [list(range(n_sizes))]
    if config.vectorise == "per_size":
        return [[i] for i in range(n_sizes)]
    batch = config.training.batch_size
    n_batches = [1 if batch is None else math.ceil(int(m) / batch) for m in n_train]
    return [[i for i in range(n_sizes) if n_batches[i] == b] for b in sorted(set(n_batches))]


def _compute(config: Config, checkpoint) -> Result:
    from ._sweep import GroupSpec, train_groups

    spec = config.training
    X, y = tishby_12bit()
    fractions = np.asarray(config.train_fractions, dtype=np.float64)
    seeds = spec.seeds
    train, test = sweep_masks(X.shape[0], fractions, seeds, config.test_split)
    n_train = train[:, 0].sum(axis=1)
    index_groups = _groups(config, n_train)
    batches = batch_sizes(config, n_train)
    groups = [
        GroupSpec(
            train_mask=train[idx].reshape(-1, X.shape[0]),
            test_mask=test[idx].reshape(-1, X.shape[0]),
            seeds=np.tile(seeds, len(idx)),
            hidden_widths=spec.hidden_widths,
            desc="training sizes " + ", ".join(f"{100 * fractions[i]:g} %" for i in idx),
            batch_size="sweep" if config.equal_steps is None else batches[idx[0]],
        )
        for idx in index_groups
    ]
    outs = train_groups(X, y, groups, spec, n_bins=config.n_bins, checkpoint=checkpoint, n_workers=config.n_workers)
    n_sizes, n_networks = fractions.size, seeds.size
    fields = {}
    for key in ("i_xt", "i_ty", "train_loss", "test_loss", "train_acc", "test_acc", "cells", "output_prob"):
        first = outs[0][key]
        arr = np.empty((n_sizes, n_networks, *first.shape[1:]), dtype=first.dtype)
        for idx, out in zip(index_groups, outs, strict=True):
            arr[idx] = out[key].reshape(len(idx), n_networks, *first.shape[1:])
        fields[key] = arr
    return Result(
        config=config,
        train_fractions=fractions,
        n_train=n_train,
        logged_epochs=spec.logged_epochs,
        train_mask=train,
        test_mask=test,
        **ceilings(X, y),
        layer_widths=tuple(int(w) for w in outs[0]["layer_widths"]),
        **fields,
    )


def run(config: Config | None = None) -> Result:
    """Run (or load from the cache) the training-size sweep; ``None`` = the current preset (``IPFLOW_PRESET``)."""
    config = config or select_config(PRESETS)
    return cached_run("training-size", config, _compute, PRESETS)
