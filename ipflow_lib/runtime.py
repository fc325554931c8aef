"""Runtime services that trainers and experiments share: progress bars, checkpoints, stopping.

This module sits below every computing module (``ensembles``, ``ntk``, ``variational``, ``experiments``)
and imports none of them, so a trainer can show a progress bar and save its progress without knowing
about presets or the result cache.

``progress``          a tqdm bar on stderr, shown on terminals only (``$IPFLOW_PROGRESS`` = 1/0 forces it)
``set_progress``      the caller's choice (the CLI: bars on its terminal), used when ``$IPFLOW_PROGRESS`` is unset
``Checkpoint``        partial progress of one run, saved atomically, so that an interrupted run resumes
``TrainingStopped``   raised by a trainer stopped through its ``stop`` event (its checkpoint holds the progress)
``Terminated``        the ``KeyboardInterrupt`` that SIGTERM raises inside :func:`sigterm_as_interrupt`
``sigterm_as_interrupt``  SIGTERM (CI cancellation, ``timeout``, a batch scheduler) handled like Ctrl-C
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import joblib

PROGRESS_ENV = "IPFLOW_PROGRESS"

__all__ = ["PROGRESS_ENV", "Checkpoint", "Terminated", "TrainingStopped", "progress", "set_progress",
           "sigterm_as_interrupt", "termination_requested", "watch_termination"]

_progress_choice: bool | None = None  # set_progress(); None: decide by the terminal
_unwritable: set[Path] = set()  # checkpoint folders already reported as unwritable (warn once per folder)


class TrainingStopped(RuntimeError):
    """A trainer was stopped through its ``stop`` event; its checkpoint (if any) holds the progress."""


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived inside :func:`sigterm_as_interrupt`: handled exactly like Ctrl-C (checkpoints are saved)."""


_terminate = threading.Event()  # set by the SIGTERM handler of sigterm_as_interrupt
_watchers: list[object] = []  # running loops that check termination_requested() themselves (trainers)


def termination_requested() -> bool:
    """Whether SIGTERM arrived inside :func:`sigterm_as_interrupt`: loops check it and raise :class:`Terminated`."""
    return _terminate.is_set()


class watch_termination:
    """Registers a loop that checks :func:`termination_requested` at safe points (a trainer, after each logged
    epoch) until :meth:`close`. While one is registered, SIGTERM only sets the flag: the loop stops at its
    next safe point, with consistent state to save, instead of an exception raised at a random line (one
    raised inside a garbage-collector callback, for instance, is swallowed by Python)."""

    def __init__(self):
        _watchers.append(self)

    def close(self) -> None:
        if self in _watchers:
            _watchers.remove(self)


@contextlib.contextmanager
def sigterm_as_interrupt():
    """Within the block, SIGTERM is handled like Ctrl-C: the run saves its checkpoints and :class:`Terminated`
    (a ``KeyboardInterrupt``) is raised.

    So a run stopped by CI cancellation, ``timeout`` or a batch scheduler saves its checkpoints and says so
    instead of dying silently. The handler sets :func:`termination_requested`; a running trainer (see
    :class:`watch_termination`) then stops at its next logged epoch, otherwise the handler raises at once in
    the main thread. Only the first SIGTERM counts; later ones are ignored while the checkpoints are written
    (SIGKILL still ends the process). Does nothing outside the main thread, or when SIGTERM already has a
    handler other than the default (a notebook kernel's, an outer block's); the previous handler is restored
    on exit.
    """
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGTERM) != signal.SIG_DFL:
        yield
        return

    def handler(signum, frame):
        _terminate.set()
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the first one counts; the cleanup is not cut short
        if not _watchers:
            raise Terminated("terminated by SIGTERM")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
        _terminate.clear()


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
    warning and removed; the run then starts over rather than failing. A checkpoint that cannot be
    written (a read-only or full disk, a path under a regular file) is reported with one warning per
    folder and the run goes on without it: finished work is never thrown away for a checkpoint.

    ``clock_start`` (a ``time.perf_counter()`` value, set by the cached run) makes every save record the
    compute time so far as ``_elapsed_s``, earlier interrupted runs included, so that a resumed result
    reports the whole time it took.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self.clock_start: float | None = None

    def load(self) -> dict[str, Any] | None:
        try:
            if not self.path.is_file():
                return None
        except OSError:  # a folder we may not read: there is nothing to resume
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

    def save(self, state: dict[str, Any]) -> bool:
        """Write ``state`` atomically; returns False (after one warning per folder) when it cannot be written."""
        if self.clock_start is not None:
            state = {**state, "_elapsed_s": time.perf_counter() - self.clock_start}
        tmp = self.path.with_suffix(f".tmp{os.getpid()}.{threading.get_ident()}")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            joblib.dump(state, tmp)
            os.replace(tmp, self.path)
        except OSError as err:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            folder = self.path.parent
            if folder not in _unwritable:
                _unwritable.add(folder)
                warnings.warn(
                    f"cannot write checkpoints in {folder} ({type(err).__name__}: {err}); the run goes on without "
                    "them, so an interruption would lose its progress: free disk space or point $IPFLOW_CACHE to "
                    "a writable folder",
                    RuntimeWarning,
                    stacklevel=2,
                )
            return False
        return True

    def clear(self) -> None:
        with contextlib.suppress(OSError):  # nothing there, or a folder we may not touch: nothing to remove
            self.path.unlink(missing_ok=True)
