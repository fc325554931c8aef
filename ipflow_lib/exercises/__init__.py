"""Self-check exercises: a student computes an answer and asks the library whether it is right, and why.

Each chapter's self-check exercise names a checker, e.g. in chapter 2::

    from ipflow_lib.exercises import check
    check("2.ceiling", 12.0)        # -> Right: ... / Not quite: ...

A checker computes the expected answer itself (from the data and the library, never a typed constant where
a computation exists), compares it with the student's answer within a stated tolerance, and explains the
reasoning either way. Checkers live in one module per chapter (``ipflow_lib.exercises.ch02`` …) and register
themselves with :func:`checker`; ``check`` imports them on first use.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
import pkgutil
from collections.abc import Callable

__all__ = ["Feedback", "as_number", "available", "check", "checker", "close_to", "not_a_number"]

_CHECKERS: dict[str, Callable[..., Feedback]] = {}


@dataclasses.dataclass(frozen=True)
class Feedback:
    """The verdict on one answer: ``correct``, a one-paragraph ``explanation`` and the ``expected`` value."""

    exercise: str
    correct: bool
    explanation: str
    expected: object = None

    def __str__(self) -> str:
        head = "Right" if self.correct else "Not quite"
        return f"{head} (exercise {self.exercise}): {self.explanation}"

    def _repr_markdown_(self) -> str:  # how a notebook shows it
        return f"**{'Right' if self.correct else 'Not quite'}** (exercise {self.exercise}): {self.explanation}"

    def __bool__(self) -> bool:
        return self.correct


def checker(exercise: str) -> Callable[[Callable[..., Feedback]], Callable[..., Feedback]]:
    """Register ``fn(answer, ...) -> Feedback`` as the checker of ``exercise`` (e.g. ``"2.ceiling"``)."""

    def register(fn: Callable[..., Feedback]) -> Callable[..., Feedback]:
        if exercise in _CHECKERS and _CHECKERS[exercise] is not fn:
            raise ValueError(f"two checkers for exercise {exercise!r}")
        _CHECKERS[exercise] = fn
        return fn

    return register


def _load_all() -> None:
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("ch"):
            importlib.import_module(f"{__name__}.{info.name}")


def available() -> list[str]:
    """The exercises that have a checker, sorted."""
    _load_all()
    return sorted(_CHECKERS)


def check(exercise: str, answer, **kwargs) -> Feedback:
    """Check ``answer`` to the self-check ``exercise``; returns a :class:`Feedback` (printable, truthy if right).

    Raises
    ------
    KeyError
        If there is no such exercise; the message lists the available ones.
    """
    _load_all()
    if exercise not in _CHECKERS:
        raise KeyError(f"no self-check exercise {exercise!r}; available: {', '.join(sorted(_CHECKERS))}")
    return _CHECKERS[exercise](answer, **kwargs)


def close_to(answer, expected: float, *, rel: float = 0.02, abs_tol: float = 1e-3) -> bool:
    """Whether a numeric ``answer`` matches ``expected`` within ``rel`` (relative) or ``abs_tol``.

    Non-numbers and non-finite numbers are never close (a checker explains what it expected instead).
    """
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return False
    return math.isfinite(value) and math.isclose(value, float(expected), rel_tol=rel, abs_tol=abs_tol)


def as_number(answer) -> float | None:
    """``answer`` as a finite float, or None for anything a student should not hand in as a number.

    Text (even ``"0.5"``: compute it), booleans, NaN, infinities, ``None`` and arrays of several numbers give
    None, so that a checker can say what it expected instead of failing.
    """
    if isinstance(answer, bool | str | bytes):
        return None
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def not_a_number(exercise: str, answer, what: str, expected) -> Feedback:
    """The feedback for an answer that is not a finite number: what was expected (``what``) and what came."""
    return Feedback(exercise, False, f"expected a finite number ({what}), got {answer!r}.", expected)
