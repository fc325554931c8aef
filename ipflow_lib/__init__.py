"""ipflow_lib: the shared library behind the ipflow book.

An executable companion to R. Shwartz-Ziv, *Information Flow in Deep Neural Networks*
(PhD thesis, arXiv:2202.06749). One module per idea (see DESIGN.md):

``datasets``      the 12-bit task of Shwartz-Ziv & Tishby (2017) and other data
``information``   exact information quantities on probability tables
``estimators``    mutual information from samples (binning, KDE bounds, KSG, ...)
``bottleneck``    information-bottleneck and dual-IB solvers, IB curves
``ensembles``     JAX: many small MLPs trained at once, estimators streamed at logged epochs
``ntk``           infinite ensembles of infinitely wide networks (neural-tangents)
``variational``   torch: VIB and the variational dual IB
``probes``        torch: the information plane of any ``nn.Module`` via forward hooks
``experiments``   one module per chapter experiment: Config, PRESETS, run(config) -> Result
``plotting``      the book's figures (plotting never computes)

``import ipflow_lib`` is fast: submodules (and their heavy dependencies: JAX, torch,
neural-tangents/TensorFlow) are imported on first attribute access.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_SUBMODULES = {
    "datasets",
    "information",
    "estimators",
    "bottleneck",
    "ensembles",
    "ntk",
    "variational",
    "probes",
    "experiments",
    "plotting",
    "cli",
}

__all__ = sorted(_SUBMODULES) + ["__version__"]


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
