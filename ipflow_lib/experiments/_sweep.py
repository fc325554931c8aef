"""Shared machinery of the sweep experiments (``training-size``, ``depth``): train groups of networks with
:func:`ipflow_lib.ensembles.train_ensemble`, one vectorised call per group, resumable group by group.

A *group* is a set of networks of one architecture trained in one call; each network has its own seed and
train/test masks. Per group we keep only what the chapters need: binned I(X;T), I(T;Y) at every logged
epoch, losses and accuracies, and each layer's partition of the inputs at the last logged epoch (the bin
cell of every input), from which any quantity of the final layers can be recomputed later.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
from collections.abc import Callable, Hashable, Sequence

import numpy as np

from ..ensembles import TrainingSpec
from ..estimators import layer_cells
from ..parallel import default_workers, run_jobs  # noqa: F401 - default_workers: kept importable from here
from ._common import Checkpoint

__all__: list[str] = []


@dataclasses.dataclass
class GroupSpec:
    """One call of the trainer: ``n`` networks of one architecture."""

    train_mask: np.ndarray  # (n, n_samples) bool
    test_mask: np.ndarray  # (n, n_samples) bool
    seeds: np.ndarray  # (n,) int
    hidden_widths: tuple[int, ...]
    desc: str
    batch_size: int | None | str = "sweep"  # "sweep": the sweep's ``spec.batch_size``; else this group's own


@dataclasses.dataclass
class Curves:
    """What every trainer experiment logs, per network and logged epoch: the base of their ``Result`` classes.

    Attributes
    ----------
    logged_epochs : (n_logged,) int -- epochs after which the layers were measured (0 = initialisation)
    i_xt, i_ty : (..., n_networks, n_logged, n_layers) float, bits -- binned I(X;T) and I(T;Y) on all inputs
    train_loss, test_loss : (..., n_networks, n_logged) mean cross entropy, nats
    train_acc, test_acc : (..., n_networks, n_logged) accuracy in [0, 1]

    The leading dimensions (``...``) are the sweep's (training sizes, depths); see each ``Result``.
    """

    logged_epochs: np.ndarray
    i_xt: np.ndarray
    i_ty: np.ndarray
    train_loss: np.ndarray
    test_loss: np.ndarray
    train_acc: np.ndarray
    test_acc: np.ndarray


def check_training(training, n_bins: int, train_fraction: float | None = None) -> None:
    """Validate the fields every trainer experiment's ``Config`` shares.

    Raises
    ------
    TypeError
        ``training`` is not an :class:`ipflow_lib.ensembles.TrainingSpec`.
    ValueError
        ``n_bins`` < 2, or ``train_fraction`` (when given) outside (0, 1].
    """
    if not isinstance(training, TrainingSpec):
        raise TypeError(f"training must be a TrainingSpec, got {type(training).__name__}")
    if n_bins < 2:
        raise ValueError(f"n_bins must be ≥ 2, got {n_bins}")
    if train_fraction is not None and not 0.0 < train_fraction <= 1.0:
        raise ValueError(f"train_fraction must be in (0, 1], got {train_fraction}")


def ceilings(X: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """``{"h_y": H(Y), "h_x": log2 n_samples}`` in bits: the ceilings of I(T;Y) and I(X;T) on all inputs."""
    from ..estimators import plugin_entropy

    return {"h_y": float(plugin_entropy(y)), "h_x": float(np.log2(X.shape[0]))}


def _resumable_job(train: Callable, key: Hashable, sub: Checkpoint | None, stop) -> dict:
    """One call of :func:`run_resumable` on a worker (module level, so that it pickles by reference)."""
    return train(key, sub, stop)


def run_resumable(
    checkpoint: Checkpoint | None,
    keys: Sequence[Hashable],
    train: Callable[[Hashable, Checkpoint | None, threading.Event], dict],
    n_workers: int | None = None,
) -> dict:
    """``{key: train(key, sub_checkpoint, stop)}`` for every key, the calls run side by side on the current
    backend (:func:`ipflow_lib.parallel.run_jobs`: threads, or a Dask / Ray cluster).

    Each call gets its own checkpoint file beside ``checkpoint`` (``<stem>-<key>.pkl``) for its partial
    progress, written by the worker (on a cluster the workers must see this disk), and a finished call's
    output is saved by the caller in ``checkpoint`` (under ``"done"``) at once, so an interrupted run redoes
    only the unfinished calls, from their own checkpoints. Keys start in the given order (put the longest
    first). ``stop`` is a :class:`threading.Event` on threads, a :class:`ipflow_lib.parallel.StopFile`
    (``<stem>.stop`` beside ``checkpoint``) on a cluster: pass it on to ``train_ensemble``. With
    ``checkpoint=None`` nothing is saved and ``sub_checkpoint`` is None. Raises what
    :func:`ipflow_lib.parallel.run_jobs` raises.
    """
    state = (checkpoint.load() if checkpoint is not None else None) or {}
    done = dict(state.get("done", {}))
    todo = [key for key in keys if key not in done]

    def sub_of(key: Hashable) -> Checkpoint | None:
        if checkpoint is None:
            return None
        return Checkpoint(checkpoint.path.with_name(f"{checkpoint.path.stem}-{key}.pkl"))

    def finished(i: int, out: dict) -> None:  # in the calling process, as each call finishes
        done[todo[i]] = out
        if checkpoint is not None:
            checkpoint.save({"done": dict(done)})
            sub_of(todo[i]).clear()

    stop_file = None if checkpoint is None else checkpoint.path.with_name(f"{checkpoint.path.stem}.stop")
    run_jobs([functools.partial(_resumable_job, train, key, sub_of(key)) for key in todo], n_workers,
             on_done=finished, stop_file=stop_file)
    return done


def train_groups(
    X: np.ndarray,
    y: np.ndarray,
    groups: Sequence[GroupSpec],
    spec: TrainingSpec,
    *,
    n_bins: int,
    checkpoint: Checkpoint | None,
    n_workers: int | None = None,
    checkpoint_every_s: float = 60.0,
) -> list[dict[str, np.ndarray]]:
    """Train every group (one :func:`train_ensemble` call each) and return one dict of arrays per group.

    ``spec`` (:class:`ipflow_lib.ensembles.TrainingSpec`) sets the optimiser, epochs and logged epochs of
    every group; each group trains ``spec.replace(hidden_widths=group.hidden_widths, n_networks=len(group.seeds))``
    with its own seeds and masks. ``n_bins``: bins on [-1, 1] of the binning estimator.

    Keys: ``i_xt``, ``i_ty`` (n, n_logged, n_layers) bits; ``train_loss``, ``test_loss`` (n, n_logged) nats;
    ``train_acc``, ``test_acc`` (n, n_logged); ``cells`` (n, n_layers, n_samples) int32 at the last logged
    epoch; ``output_prob`` (n, n_samples, n_classes) float32, the softmax output on every input at the last logged
    epoch; ``layer_widths`` (n_layers,). A group's ``batch_size`` (unless "sweep") replaces ``spec.batch_size``.

    ``n_workers`` groups are trained at the same time on the current backend (:mod:`ipflow_lib.parallel`:
    threads by default, :func:`ipflow_lib.parallel.default_workers` of them; or a Dask / Ray cluster), the
    largest first; a group's numbers depend neither on which others run beside it nor on the backend.
    Finished groups are saved in ``checkpoint`` and running groups in sibling checkpoint files (every
    ``checkpoint_every_s`` seconds), so an interrupted sweep resumes where it stopped and gives the same
    numbers. When one group fails or the sweep is interrupted (Ctrl-C), the
    groups running beside it stop at their next logged epoch and save their progress first.
    """
    from ..ensembles import train_ensemble
    from ..estimators import FixedBins

    binning = FixedBins(n_bins, (-1.0, 1.0))  # binned_mi, its cells computed inside the trainer

    last = int(spec.logged_epochs[-1])

    def train(k: int, sub: Checkpoint | None, stop: threading.Event) -> dict[str, np.ndarray]:
        group = groups[k]
        run = train_ensemble(
            X, y, group.train_mask, group.test_mask,
            spec.replace(hidden_widths=tuple(group.hidden_widths), n_networks=len(group.seeds),
                         **({} if group.batch_size == "sweep" else {"batch_size": group.batch_size})),
            seeds=group.seeds,
            estimators={"binning": binning},
            record_epochs=[last],
            checkpoint=sub,
            checkpoint_every_s=checkpoint_every_s,
            stop=stop,
            desc=group.desc,
        )
        est = run.estimates["binning"]
        cells = np.stack([layer_cells(t, n_bins) for t in run.activations[last]], axis=1)
        return {
            "output_prob": np.asarray(run.activations[last][-1], dtype=np.float32),  # (n, n_samples, n_classes)
            "i_xt": est.i_xt, "i_ty": est.i_ty,
            "train_loss": run.train_loss, "test_loss": run.test_loss,
            "train_acc": run.train_acc, "test_acc": run.test_acc,
            "cells": cells, "layer_widths": np.asarray(run.layer_widths),
        }

    # largest first (networks × mini-batch steps), so that the workers finish together
    order = sorted(range(len(groups)),
                   key=lambda k: -groups[k].train_mask.shape[0] * int(groups[k].train_mask.sum(axis=1).max()))
    done = run_resumable(checkpoint, order, train, n_workers)
    return [done[k] for k in range(len(groups))]
