"""ipflow_lib: the shared library behind the ipflow book.

An executable companion to R. Shwartz-Ziv, *Information Flow in Deep Neural Networks*
(PhD thesis, arXiv:2202.06749). One module per idea (see DESIGN.md):

``runtime``       progress bars, checkpoints and stopping, shared by trainers and experiments (imports none)
``datasets``      the 12-bit task of Shwartz-Ziv & Tishby (2017) and other data
``information``   exact information quantities on probability tables
``estimators``    mutual information from samples (binning, KDE bounds, KSG, ...)
``bottleneck``    information-bottleneck and dual-IB solvers, IB curves
``generalization`` the input compression bound and the classical bound it improves on
``ensembles``     JAX: many small MLPs trained at once, estimators streamed at logged epochs
``ntk``           infinite ensembles of infinitely wide networks (neural-tangents)
``variational``   torch: VIB and the variational dual IB
``probes``        torch: the information plane of any ``nn.Module`` via forward hooks
``trajectories``  analysis of logged curves: compression, phase times, first epoch reaching, one bootstrap
``experiments``   one module per chapter experiment: Config, PRESETS, run(config) -> Result (cached)
``exercises``     self-check exercises: the student's answer checked and explained
``course``        the course plan (sessions, goals, exercises) and each chapter's measured runtime
``plotting``      the book's figures (plotting never computes)
``cli``           the ``ipflow`` command

Lower layers never import higher ones (the table is in README.md, "Layout", and is checked by
``tests/test_architecture.py``).

``import ipflow_lib`` is fast: submodules (and their heavy dependencies: JAX, torch,
neural-tangents/TensorFlow) are imported on first attribute access.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_SUBMODULES = {
    "runtime",
    "datasets",
    "information",
    "estimators",
    "bottleneck",
    "generalization",
    "ensembles",
    "ntk",
    "variational",
    "probes",
    "trajectories",
    "experiments",
    "exercises",
    "course",
    "plotting",
    "cli",
}

__all__ = sorted(_SUBMODULES) + ["__version__"]


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
