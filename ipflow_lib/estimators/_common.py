"""Input checks and entropy helpers shared by all estimators.

Every estimator takes representations ``t`` of shape (..., n_samples, n_units) — leading dims are
seeds, layers or epochs and broadcast — and labels ``y`` of shape (n_samples,), and returns
``(i_xt, i_ty)`` of shape (...). Results are in bits unless ``base`` says otherwise.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..validation import as_array, as_base, as_int, as_labels


def check_representation(
    t, y=None, *, name: str = "t", labels: bool = True
) -> tuple[np.ndarray, np.ndarray | None]:
    """Validate ``t`` (..., n_samples, n_units) and integer labels ``y`` (n_samples,).

    ``y=None`` is a ``TypeError`` unless ``labels=False`` (then ``t`` alone is checked and ``(t, None)`` returned).

    Raises
    ------
    TypeError
        If ``t`` is not a real numeric array (strings, objects, bools, complex) or ``y`` is not numeric.
    ValueError
        If ``t`` has fewer than 2 dims or no units/samples, holds NaN or inf (a diverged run),
        or ``y`` has the wrong shape or length, fractional values (integral floats are accepted) or labels < 0.
    """
    t = as_array(name, t, kind="real", finite=False, nonempty=False)
    if t.ndim < 2:
        raise ValueError(f"{name} must have shape (..., n_samples, n_units), got shape {t.shape}")
    if t.shape[-1] == 0 or t.shape[-2] == 0:
        raise ValueError(f"{name} has an empty axis: shape {t.shape} (n_samples and n_units must be ≥ 1)")
    if np.issubdtype(t.dtype, np.floating) and not np.isfinite(t).all():
        bad = int(np.size(t) - np.isfinite(t).sum())
        raise ValueError(
            f"{name} contains {bad} NaN/inf values: the network probably diverged "
            "(lower the learning rate, or check the inputs)"
        )
    if y is None and not labels:
        return t, None
    if np.ndim(y) == 1 and len(y) != t.shape[-2]:
        raise ValueError(
            f"y has {len(y)} labels but {name} has {t.shape[-2]} samples (shape {t.shape}); they must match"
        )
    y = as_labels("y", y, n=t.shape[-2])
    return t, y


def log_base(base: float) -> float:
    """ln(base), the divisor that turns nats into units of log ``base``; ValueError unless base > 0, ≠ 1."""
    return as_base(base)


def check_variance(noise_variance, name: str = "noise_variance") -> float:
    """``noise_variance`` as a float σ² > 0 (TypeError for non-numbers and bools, ValueError for ≤ 0, NaN, inf)."""
    if isinstance(noise_variance, (bool, np.bool_, str, bytes)):
        raise TypeError(f"{name} must be a positive number, got {noise_variance!r}")
    try:
        value = float(noise_variance)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a positive number, got {noise_variance!r}") from None
    if not np.isfinite(value) or value <= 0:
        raise ValueError(
            f"{name} must be a finite number > 0 (the variance σ² of the added noise), got {noise_variance}"
        )
    return value


def compact_labels(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Labels renumbered 0..C−1 (int64, shape (n,)) and the count of each class (shape (C,))."""
    _, inverse, counts = np.unique(y, return_inverse=True, return_counts=True)
    return inverse.reshape(-1).astype(np.int64), counts


def resolve_n_jobs(n_jobs: int | None, n_problems: int) -> int:
    """Threads to use for ``n_problems`` independent problems (None: one per CPU core); ValueError if < 1."""
    if n_jobs is None:
        n_jobs = os.cpu_count() or 1
    n_jobs = as_int("n_jobs", n_jobs, minimum=1)
    return int(max(1, min(n_jobs, n_problems)))


def map_problems(one: Callable[[int], object], n_problems: int, n_jobs: int | None) -> list:
    """``[one(p) for p in range(n_problems)]`` on a thread pool, with single-threaded BLAS in every thread."""
    from threadpoolctl import threadpool_limits

    jobs = resolve_n_jobs(n_jobs, n_problems)
    with threadpool_limits(1, user_api="blas"):
        if jobs == 1:
            return [one(p) for p in range(n_problems)]
        with ThreadPoolExecutor(jobs) as pool:
            return list(pool.map(one, range(n_problems)))


class ContentMemo:
    """``fn(t, y)`` remembered for the last ``memory`` inputs, keyed by a hash of their bytes."""

    def __init__(self, fn: Callable, memory: int = 64):
        self.fn, self.memory = fn, int(memory)
        self.cache: OrderedDict[str, object] = OrderedDict()

    def __call__(self, t, y):
        t_arr, y_arr = np.ascontiguousarray(t), np.ascontiguousarray(y)
        digest = hashlib.blake2b(digest_size=16)
        for arr in (t_arr, y_arr):
            digest.update(str((arr.shape, arr.dtype.str)).encode())
            digest.update(arr.view(np.uint8).reshape(-1) if arr.size else b"")
        key = digest.hexdigest()
        if key in self.cache:
            self.cache.move_to_end(key)
            return self.cache[key]
        self.cache[key] = value = self.fn(t_arr, y_arr)
        while len(self.cache) > self.memory:
            self.cache.popitem(last=False)
        return value


def memo_pair(
    compute: Callable, names: tuple[str, str], fields: tuple[tuple[str, str], tuple[str, str]], docs, memory: int
) -> dict[str, Callable]:
    """Two estimators ``{names[k]: est}`` reading the fields ``fields[k]`` of one remembered ``compute(t, y)``.

    The streaming-trainer form of an estimator that yields two pairs (i_xt, i_ty) from one computation
    (KDE upper/lower bounds; Monte Carlo values and their standard errors).
    """
    remembered = ContentMemo(compute, memory)
    out = {}
    for name, (f_xt, f_ty), doc in zip(names, fields, docs, strict=True):

        def est(t, y, f_xt=f_xt, f_ty=f_ty):
            r = remembered(t, y)
            return getattr(r, f_xt), getattr(r, f_ty)

        est.__doc__ = doc
        est.__name__ = name
        out[name] = est
    return out


@functools.lru_cache(maxsize=8)
def _c_log_c(n: int) -> np.ndarray:
    """c · log c (nats) for c = 0..n, 0 at c = 0: the terms of a plug-in entropy of n samples, looked up instead
    of computed per run length (the same float64 numbers: the same elementwise ``c * np.log(c)``)."""
    c = np.arange(1, n + 1, dtype=np.float64)
    out = np.concatenate([[0.0], c * np.log(c)])
    out.flags.writeable = False
    return out


def _sorted_entropy(flat: np.ndarray) -> np.ndarray:
    """Plug-in entropies (nats) of the rows of sorted integer codes (m, n): H = log n − (1/n) Σ c log c over the
    run lengths c, summed in the order of the runs (those of length 1 add 1 · log 1 = 0 and are left out)."""
    m, n = flat.shape
    new_run = np.ones(flat.shape, dtype=bool)
    np.not_equal(flat[:, 1:], flat[:, :-1], out=new_run[:, 1:])
    starts = np.flatnonzero(new_run)  # runs never span two rows: every row starts one
    ends = np.empty_like(starts)
    ends[:-1], ends[-1:] = starts[1:], flat.size
    lengths = ends - starts
    repeated = lengths > 1
    if np.count_nonzero(repeated) < lengths.size // 4:  # mostly distinct codes: only the repeated ones add
        starts, lengths = starts[repeated], lengths[repeated]
    c_log_c = np.bincount(starts // n, weights=_c_log_c(n)[lengths], minlength=m)
    return np.log(n) - c_log_c / n


def entropy_of_codes(codes: np.ndarray, *, presorted: bool = False) -> np.ndarray:
    """Plug-in entropy (nats) of the empirical distribution of integer symbols along the last axis.

    ``codes`` has shape (..., n); every row is one sample of n symbols. Vectorised over leading dims:
    one sort (skipped if ``presorted``), then run lengths c give H = log n − (1/n) Σ c log c.
    """
    codes = np.asarray(codes)
    n = codes.shape[-1]
    flat = codes.reshape(-1, n)
    if not presorted:
        flat = np.sort(flat, axis=-1)
    return _sorted_entropy(flat).reshape(codes.shape[:-1])


def joint_entropies(codes: np.ndarray, joint: np.ndarray, n_classes: int, exact: bool):
    """H(T) and H(T,Y) in nats from row codes (..., n) and joint codes of (row, label) (..., n).

    With exact codes (joint = codes · n_classes + label), sorting ``joint`` also sorts
    ``joint // n_classes`` = codes, so both entropies come from a single sort.
    """
    if not exact:
        return entropy_of_codes(codes), entropy_of_codes(joint)
    n = joint.shape[-1]
    joint_sorted = np.sort(joint.reshape(-1, n), axis=-1)
    h_ty = _sorted_entropy(joint_sorted)
    h_t = _sorted_entropy(joint_sorted // n_classes)
    return h_t.reshape(joint.shape[:-1]), h_ty.reshape(joint.shape[:-1])


def codes_are_exact(n_units: int, n_symbols: int, n_classes: int = 1) -> bool:
    """Whether :func:`encode_rows` uses exact mixed-radix codes (n_symbols**n_units · n_classes < 2**62)."""
    return n_units * np.log2(max(n_symbols, 2)) + np.log2(max(n_classes, 1)) < 62


_HASH_MULTIPLIERS = np.random.default_rng(20170301).integers(1, 2**63 - 1, size=4096, dtype=np.int64) | 1


def encode_rows(
    symbols: np.ndarray, n_symbols: int, *, labels: np.ndarray | None = None, n_classes: int = 1
):
    """One int64 code per row of non-negative integer ``symbols`` (..., n, k), equal iff the rows are equal.

    Exact mixed-radix code when n_symbols**k · n_classes fits in int64; otherwise a 64-bit
    multiplicative hash (probability of any collision among n rows below n²/2^64, < 1e-12 for
    n = 4096). With ``labels`` (n,), also returns the codes of the pairs (row, label).
    """
    k = symbols.shape[-1]
    if codes_are_exact(k, n_symbols, n_classes):
        radix = np.int64(n_symbols) ** np.arange(k, dtype=np.int64)
        code = symbols.astype(np.int64) @ radix
        if labels is None:
            return code
        return code, code * np.int64(n_classes) + labels
    if k > _HASH_MULTIPLIERS.size:
        raise ValueError(f"at most {_HASH_MULTIPLIERS.size} units per layer are supported, got {k}")
    with np.errstate(over="ignore"):
        mixed = (symbols.astype(np.int64) + 1) * _HASH_MULTIPLIERS[:k]
        code = np.bitwise_xor.reduce(mixed ^ (mixed >> 29), axis=-1) * _GOLDEN
        if labels is None:
            return code
        joint = (code ^ (labels.astype(np.int64) * _HASH_MULTIPLIERS[-1])) * _GOLDEN
    return code, joint


_GOLDEN = np.int64(0x9E3779B97F4A7C15 - 2**64)
