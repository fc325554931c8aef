"""One module per chapter experiment: a frozen ``Config``, its ``PRESETS`` and ``run(config) -> Result``.

Experiments are found by name: every module here that defines ``PRESETS`` and ``run`` is one, named
after the module with ``-`` for ``_`` (``information_plane`` -> ``information-plane``).

Shared by all of them (from the private module ``_common``, public here): the preset switch
(:func:`preset_name`, :func:`select_config`, ``$IPFLOW_PRESET``) and the result cache (:func:`cached_run`,
keyed by :func:`cache_key` = experiment, :func:`key_config` and :func:`source_hash` of the modules listed by
:func:`source_modules`; :func:`cache_dir`, :func:`check_cache_dir`, :func:`clear_cache`, ``$IPFLOW_CACHE``,
:class:`CacheError` for an unusable cache folder; entries are checksummed and locked, see ``_common``).
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

from ..runtime import Checkpoint
from ._common import (
    CACHE_ENV,
    PRESET_NAMES,
    CacheError,
    RunInfo,
    cache_dir,
    cache_key,
    cached_run,
    check_cache_dir,
    clear_cache,
    key_config,
    library_hash,
    preset_name,
    select_config,
    source_hash,
    source_modules,
)

__all__ = [
    "CACHE_ENV",
    "PRESET_NAMES",
    "CacheError",
    "Checkpoint",
    "RunInfo",
    "cache_dir",
    "cache_key",
    "cached_run",
    "check_cache_dir",
    "clear_cache",
    "key_config",
    "library_hash",
    "preset_name",
    "select_config",
    "source_hash",
    "source_modules",
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
