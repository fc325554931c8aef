"""One module per chapter experiment: a frozen ``Config``, its ``PRESETS`` and ``run(config) -> Result``.

Experiments are found by name: every module here that defines ``PRESETS`` and ``run`` is one, named
after the module with ``-`` for ``_`` (``information_plane`` -> ``information-plane``).
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

from ._common import (
    PRESET_NAMES,
    Checkpoint,
    RunInfo,
    cache_dir,
    cached_run,
    clear_cache,
    library_hash,
    preset_name,
    progress,
    select_config,
)

__all__ = [
    "PRESET_NAMES",
    "Checkpoint",
    "RunInfo",
    "cache_dir",
    "cached_run",
    "clear_cache",
    "library_hash",
    "preset_name",
    "progress",
    "select_config",
    "available",
    "get",
]


def available() -> list[str]:
    """Names of all experiments (``ipflow list``)."""
    names = []
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            names.append(info.name.replace("_", "-"))
    return sorted(names)


def get(name: str) -> ModuleType:
    """The experiment module called ``name`` (``information-plane`` or ``information_plane``).

    Raises
    ------
    KeyError
        If there is no such experiment; the message lists the available ones.
    """
    module_name = name.replace("-", "_")
    if name.replace("_", "-") not in available():
        raise KeyError(f"no experiment {name!r}; available: {', '.join(available())}")
    module = importlib.import_module(f"{__name__}.{module_name}")
    if not (hasattr(module, "PRESETS") and hasattr(module, "run")):
        raise KeyError(f"module {module.__name__} is not an experiment (needs PRESETS and run)")
    return module
