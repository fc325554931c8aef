"""Shared machinery of the sweep experiments (``training-size``, ``depth``): train groups of networks with
:func:`ipflow_lib.ensembles.train_ensemble`, one vectorised call per group, resumable group by group.

A *group* is a set of networks of one architecture trained in one call; each network has its own seed and
train/test masks. Per group we keep only what the chapters need: binned I(X;T), I(T;Y) at every logged
epoch, losses and accuracies, and each layer's partition of the inputs at the last logged epoch (the bin
cell of every input), from which any quantity of the final layers can be recomputed later.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

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


def layer_cells(t: np.ndarray, n_bins: int, value_range=(-1.0, 1.0)) -> np.ndarray:
    """The bin cell of every input in one layer, relabelled 0..k−1 per network.

    Parameters
    ----------
    t : array (n_nets, n_samples, n_units) of activations

    Returns
    -------
    int32 array (n_nets, n_samples): inputs with equal binned activation vectors share a label
    (the symbol T of the binning estimator, :func:`ipflow_lib.estimators.binned_mi`).
    """
    from ..estimators import digitize
    from ..estimators._common import encode_rows

    codes = encode_rows(digitize(t, n_bins, value_range), n_bins + 1)
    cells = np.empty(codes.shape, dtype=np.int32)
    for i, row in enumerate(codes):
        cells[i] = np.unique(row, return_inverse=True)[1]
    return cells


def train_groups(
    X: np.ndarray,
    y: np.ndarray,
    groups: Sequence[GroupSpec],
    *,
    n_bins: int,
    activation: str,
    optimizer: str,
    learning_rate: float,
    batch_size: int | None,
    n_epochs: int,
    logged_epochs: np.ndarray,
    checkpoint: Checkpoint | None,
) -> list[dict[str, np.ndarray]]:
    """Train every group (one :func:`train_ensemble` call each) and return one dict of arrays per group.

    Keys: ``i_xt``, ``i_ty`` (n, n_logged, n_layers) bits; ``train_loss``, ``test_loss`` (n, n_logged) nats;
    ``train_acc``, ``test_acc`` (n, n_logged); ``cells`` (n, n_layers, n_samples) int32 at the last logged
    epoch; ``layer_widths`` (n_layers,).

    Finished groups are saved in ``checkpoint`` and the running group in a sibling checkpoint file, so an
    interrupted sweep resumes where it stopped and gives the same numbers.
    """
    from ..ensembles import train_ensemble
    from ..estimators import binned_mi

    def binning(t, labels):
        return binned_mi(t, labels, n_bins=n_bins, value_range=(-1.0, 1.0))

    state = (checkpoint.load() if checkpoint is not None else None) or {}
    done: dict[int, dict] = dict(state.get("groups", {}))
    last = int(logged_epochs[-1])
    out = []
    for k, group in enumerate(groups):
        if k in done:
            out.append(done[k])
            continue
        sub = None
        if checkpoint is not None:
            sub = Checkpoint(checkpoint.path.with_name(f"{checkpoint.path.stem}-group{k}.pkl"))
        run = train_ensemble(
            X, y, group.train_mask, group.test_mask,
            seeds=group.seeds,
            hidden_widths=group.hidden_widths,
            activation=activation,
            optimizer=optimizer,
            learning_rate=learning_rate,
            batch_size=batch_size,
            n_epochs=n_epochs,
            logged_epochs=logged_epochs,
            estimators={"binning": binning},
            record_epochs=[last],
            checkpoint=sub,
            desc=group.desc,
        )
        est = run.estimates["binning"]
        cells = np.stack([layer_cells(t, n_bins) for t in run.activations[last]], axis=1)
        done[k] = {
            "i_xt": est.i_xt, "i_ty": est.i_ty,
            "train_loss": run.train_loss, "test_loss": run.test_loss,
            "train_acc": run.train_acc, "test_acc": run.test_acc,
            "cells": cells, "layer_widths": np.asarray(run.layer_widths),
        }
        out.append(done[k])
        if checkpoint is not None:
            checkpoint.save({"groups": done})
            sub.clear()
    return out
