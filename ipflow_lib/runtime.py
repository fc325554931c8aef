"""Runtime services that trainers and experiments share: progress bars, checkpoints, stopping.

This module sits below every computing module (``ensembles``, ``ntk``, ``variational``, ``experiments``)
and imports none of them, so a trainer can show a progress bar and save its progress without knowing
about presets or the result cache.

``progress``          a tqdm bar on stderr, shown on terminals only (``$IPFLOW_PROGRESS`` = 1/0 forces it)
``set_progress``      the caller's choice (the CLI: bars on its terminal), used when ``$IPFLOW_PROGRESS`` is unset
``Checkpoint``        partial progress of one run, saved atomically, so that an interrupted run resumes
``TrainingStopped``   raised by a trainer stopped through its ``stop`` event (its checkpoint holds the progress)
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import joblib

PROGRESS_ENV = "IPFLOW_PROGRESS"

__all__ = ["PROGRESS_ENV", "Checkpoint", "TrainingStopped", "progress", "set_progress"]

_progress_choice: bool | None = None  # set_progress(); None: decide by the terminal


class TrainingStopped(RuntimeError):
    """A trainer was stopped through its ``stop`` event; its checkpoint (if any) holds the progress."""


def set_progress(enabled: bool | None) -> None:
    """Show (``True``) or hide (``False``) progress bars in this process; ``None``: on a terminal only (default).

    ``$IPFLOW_PROGRESS`` (1/0), when set, still wins: it is the user's explicit choice. The command line
    calls ``set_progress(sys.stderr.isatty())`` instead of writing the environment.
    """
    global _progress_choice
    if enabled is not None and not isinstance(enabled, bool):
        raise TypeError(f"enabled must be True, False or None, got {enabled!r}")
    _progress_choice = enabled


def _tqdm_disable() -> bool | None:
    """tqdm's ``disable`` flag: ``$IPFLOW_PROGRESS``, else :func:`set_progress`'s choice, else None (TTY only)."""
    flag = os.environ.get(PROGRESS_ENV)
    if flag is not None:
        return flag.strip().lower() in ("0", "false", "no")
    if _progress_choice is not None:
        return not _progress_choice
    return None  # tqdm: disable on a non-TTY (notebook outputs, CI logs)


def progress(iterable=None, **kwargs):
    """A tqdm progress bar on stderr, shown on terminals only (see :func:`set_progress`, ``$IPFLOW_PROGRESS``)."""
    from tqdm import tqdm

    kwargs.setdefault("file", sys.stderr)
    kwargs.setdefault("dynamic_ncols", True)
    kwargs.setdefault("disable", _tqdm_disable())
    return tqdm(iterable, **kwargs)


class Checkpoint:
    """Partial progress of one run, saved atomically so that an interrupted run resumes.

    A checkpoint that cannot be read (a run killed while writing, a disk error) is reported with a
    warning and removed; the run then starts over rather than failing.

    ``clock_start`` (a ``time.perf_counter()`` value, set by the cached run) makes every save record the
    compute time so far as ``_elapsed_s``, earlier interrupted runs included, so that a resumed result
    reports the whole time it took.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self.clock_start: float | None = None

    def load(self) -> dict[str, Any] | None:
        if not self.path.exists():
            return None
        try:
            state = joblib.load(self.path)
            if not isinstance(state, dict):
                raise TypeError(f"expected a dict, found {type(state).__name__}")
            return state
        except Exception as err:  # noqa: BLE001 - any unreadable file is treated the same way
            warnings.warn(
                f"checkpoint {self.path} is unreadable ({type(err).__name__}: {err}); it was removed "
                "and this run starts from the beginning",
                RuntimeWarning,
                stacklevel=2,
            )
            self.clear()
            return None

    def save(self, state: dict[str, Any]) -> None:
        if self.clock_start is not None:
            state = {**state, "_elapsed_s": time.perf_counter() - self.clock_start}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(f".tmp{os.getpid()}")
        joblib.dump(state, tmp)
        os.replace(tmp, self.path)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)
