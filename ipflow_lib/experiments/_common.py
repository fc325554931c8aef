"""What every experiment shares: the preset switch, the on-disk cache, checkpoints, progress bars.

The preset is read in exactly one place, :func:`preset_name`, from the environment variable
``IPFLOW_PRESET`` (``paper`` by default, or ``quick``). Results are cached with
:class:`joblib.Memory`, keyed by the experiment's name, its frozen ``Config`` and a hash of the
``ipflow_lib`` sources, so that editing prose never recomputes and editing the library always does.
Long computations save :class:`Checkpoint` files as they go: an interrupted run resumes.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import joblib

from ..runtime import PROGRESS_ENV, Checkpoint, progress, progress_enabled  # noqa: F401 (re-exported)

PRESET_ENV = "IPFLOW_PRESET"
CACHE_ENV = "IPFLOW_CACHE"
PRESET_NAMES = ("paper", "quick")
DEFAULT_PRESET = "paper"

C = TypeVar("C")


def preset_name(preset: str | None = None) -> str:
    """The preset to use: ``preset`` if given, else ``$IPFLOW_PRESET``, else ``"paper"``.

    Raises
    ------
    ValueError
        If the name is not one of ``"paper"`` or ``"quick"``.
    """
    name = preset if preset is not None else os.environ.get(PRESET_ENV, "").strip() or DEFAULT_PRESET
    if name not in PRESET_NAMES:
        raise ValueError(
            f"unknown preset {name!r} (from {'the argument' if preset is not None else '$' + PRESET_ENV}); "
            f"expected one of {PRESET_NAMES}"
        )
    return name


def select_config(presets: Mapping[str, C], preset: str | None = None) -> C:
    """The config of ``presets`` for :func:`preset_name` (``preset``)."""
    return presets[preset_name(preset)]


def cache_dir() -> Path:
    """Folder of the result cache: ``$IPFLOW_CACHE``, else ``$XDG_CACHE_HOME/ipflow`` (``~/.cache/ipflow``)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "ipflow"


@functools.lru_cache(maxsize=1)
def library_hash() -> str:
    """SHA-256 (first 16 hex digits) of every ``ipflow_lib`` source file: part of every cache key."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


@dataclasses.dataclass(frozen=True)
class RunInfo:
    """Provenance of a result: which experiment, preset and library produced it, and how long it took."""

    experiment: str
    preset: str | None
    library_hash: str
    elapsed_s: float
    created: str
    from_cache: bool = False

    def describe(self) -> str:
        """One line for a chapter: preset, compute time, and whether it was loaded from the cache."""
        minutes, seconds = divmod(round(self.elapsed_s), 60)
        took = f"{minutes} min {seconds} s" if minutes else f"{self.elapsed_s:.1f} s"
        preset = f"the `{self.preset}` preset" if self.preset else "a custom configuration"
        where = "loaded from the cache" if self.from_cache else "computed in this build"
        return (
            f"Experiment `{self.experiment}` with {preset}: {took} of computation "
            f"({where}, library {self.library_hash})."
        )


def _preset_of(config: Any, presets: Mapping[str, Any] | None) -> str | None:
    for name, cfg in (presets or {}).items():
        if cfg == config:
            return name
    return None


def _execute(experiment: str, config: Any, lib_hash: str, compute: Callable, presets: Mapping | None):
    """The cached call: ``compute(config, checkpoint)`` plus provenance (joblib keys the first 3 args)."""
    key = joblib.hash((experiment, config, lib_hash))
    checkpoint = Checkpoint(cache_dir() / "checkpoints" / f"{experiment}-{key}.pkl")
    state = checkpoint.load()
    # compute time of earlier, interrupted runs counts (Checkpoint.save records it)
    checkpoint.clock_start = time.perf_counter() - float(state.get("_elapsed_s", 0.0) if state else 0.0)
    result = compute(config, checkpoint)
    info = RunInfo(
        experiment=experiment,
        preset=_preset_of(config, presets),
        library_hash=lib_hash,
        elapsed_s=time.perf_counter() - checkpoint.clock_start,
        created=time.strftime("%Y-%m-%d %H:%M:%S"),
    )
    checkpoint.clear()
    return dataclasses.replace(result, info=info)


def cached_run(
    experiment: str,
    config: Any,
    compute: Callable[[Any, Checkpoint], Any],
    presets: Mapping[str, Any] | None = None,
    *,
    use_cache: bool = True,
):
    """Run ``compute(config, checkpoint)`` once per (experiment, config, library) and cache the result.

    ``compute`` must return a dataclass with an ``info`` field (filled here with a :class:`RunInfo`).
    A corrupt cache entry is reported by joblib and recomputed.
    """
    if not use_cache:
        return _execute(experiment, config, library_hash(), compute, presets)
    memory = joblib.Memory(cache_dir() / "results", verbose=0)
    call = memory.cache(_execute, ignore=["compute", "presets"])
    args = (experiment, config, library_hash(), compute, presets)
    hit = call.check_call_in_cache(*args)
    result = call(*args)
    if hit:
        result = dataclasses.replace(result, info=dataclasses.replace(result.info, from_cache=True))
    return result


def clear_cache() -> Path:
    """Delete every cached result and checkpoint; returns the folder that was cleared."""
    import shutil

    folder = cache_dir()
    for sub in ("results", "checkpoints"):
        shutil.rmtree(folder / sub, ignore_errors=True)
    return folder
