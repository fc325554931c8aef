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
import os
import threading
from collections.abc import Callable, Hashable, Sequence

import numpy as np

from ..ensembles import TrainingSpec
from ..estimators import layer_cells
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


def default_workers(n_groups: int) -> int:
    """Groups trained at the same time: one per CPU core, at most one per group.

    The trainer runs each call on about one core (its operations are too small for XLA to split), and JAX
    releases the GIL while it computes, so two groups in two threads take half the time on two cores.
    """
    try:
        cores = len(os.sched_getaffinity(0))  # the cores this process may use (containers, taskset)
    except AttributeError:  # not on every platform
        cores = os.cpu_count() or 1
    return max(1, min(n_groups, cores))


def run_in_threads(jobs: Sequence[Callable[[threading.Event], None]], n_workers: int | None = None) -> None:
    """Call ``job(stop)`` for every job, ``n_workers`` at a time in threads (None: :func:`default_workers`).

    Jobs start in the given order (put the longest first). When a job raises, or the caller is interrupted
    (Ctrl-C reaches only the main thread), ``stop`` is set so that the running jobs can save their progress
    and return early (pass it on to :func:`ipflow_lib.ensembles.train_ensemble`), jobs not yet started
    never start, and the first error is raised here. With one worker the jobs run one after the other in
    the calling thread.
    """
    from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait

    stop = threading.Event()
    workers = default_workers(len(jobs)) if n_workers is None else max(1, int(n_workers))
    if workers == 1 or len(jobs) <= 1:
        for job in jobs:
            job(stop)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(job, stop) for job in jobs]
        try:
            wait(futures, return_when=FIRST_EXCEPTION)
            for future in futures:
                if future.done() and future.exception() is not None:
                    raise future.exception()  # the first error, with its traceback
        except BaseException:
            stop.set()  # the running jobs save their progress and stop; waiting ones never start
            for future in futures:
                future.cancel()
            raise


def run_resumable(
    checkpoint: Checkpoint | None,
    keys: Sequence[Hashable],
    train: Callable[[Hashable, Checkpoint | None, threading.Event], dict],
    n_workers: int | None = None,
) -> dict:
    """``{key: train(key, sub_checkpoint, stop)}`` for every key, the calls run side by side (:func:`run_in_threads`).

    Each call gets its own checkpoint file beside ``checkpoint`` (``<stem>-<key>.pkl``) for its partial
    progress, and a finished call's output is saved in ``checkpoint`` (under ``"done"``) at once, so an
    interrupted run redoes only the unfinished calls. Keys start in the given order (put the longest first).
    With ``checkpoint=None`` nothing is saved and ``sub_checkpoint`` is None.
    """
    state = (checkpoint.load() if checkpoint is not None else None) or {}
    done = dict(state.get("done", {}))
    lock = threading.Lock()

    def job(key: Hashable, stop: threading.Event) -> None:
        sub = None if checkpoint is None else Checkpoint(checkpoint.path.with_name(f"{checkpoint.path.stem}-{key}.pkl"))
        out = train(key, sub, stop)
        with lock:
            done[key] = out
            if checkpoint is not None:
                checkpoint.save({"done": dict(done)})
                sub.clear()

    run_in_threads([functools.partial(job, key) for key in keys if key not in done], n_workers)
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
) -> list[dict[str, np.ndarray]]:
    """Train every group (one :func:`train_ensemble` call each) and return one dict of arrays per group.

    ``spec`` (:class:`ipflow_lib.ensembles.TrainingSpec`) sets the optimiser, epochs and logged epochs of
    every group; each group trains ``spec.replace(hidden_widths=group.hidden_widths, n_networks=len(group.seeds))``
    with its own seeds and masks. ``n_bins``: bins on [-1, 1] of the binning estimator.

    Keys: ``i_xt``, ``i_ty`` (n, n_logged, n_layers) bits; ``train_loss``, ``test_loss`` (n, n_logged) nats;
    ``train_acc``, ``test_acc`` (n, n_logged); ``cells`` (n, n_layers, n_samples) int32 at the last logged
    epoch; ``output_prob`` (n, n_samples, n_classes) float32, the softmax output on every input at the last logged
    epoch; ``layer_widths`` (n_layers,). A group's ``batch_size`` (unless "sweep") replaces ``spec.batch_size``.

    ``n_workers`` groups are trained at the same time, in threads (default :func:`default_workers`), the
    largest first; a group's numbers do not depend on which others run beside it. Finished groups are saved
    in ``checkpoint`` and running groups in sibling checkpoint files, so an interrupted sweep resumes where
    it stopped and gives the same numbers. When one group fails or the sweep is interrupted (Ctrl-C), the
    groups running beside it stop at their next logged epoch and save their progress first.
    """
    from ..ensembles import train_ensemble
    from ..estimators import binned_mi

    def binning(t, labels):
        return binned_mi(t, labels, n_bins=n_bins, value_range=(-1.0, 1.0))

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
