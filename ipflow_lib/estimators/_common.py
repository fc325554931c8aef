"""Input checks and entropy helpers shared by all estimators.

Every estimator takes representations ``t`` of shape (..., n_samples, n_units) — leading dims are
seeds, layers or epochs and broadcast — and labels ``y`` of shape (n_samples,), and returns
``(i_xt, i_ty)`` of shape (...). Results are in bits unless ``base`` says otherwise.
"""

from __future__ import annotations

import numpy as np


def check_representation(t, y=None, *, name: str = "t") -> tuple[np.ndarray, np.ndarray | None]:
    """Validate ``t`` (..., n_samples, n_units) and integer labels ``y`` (n_samples,).

    Raises
    ------
    TypeError
        If ``y`` is not an integer array.
    ValueError
        If ``t`` has fewer than 2 dims or no units/samples, holds NaN or inf (a diverged run),
        or ``y`` has the wrong shape or length.
    """
    t = np.asarray(t)
    if t.ndim < 2:
        raise ValueError(f"{name} must have shape (..., n_samples, n_units), got shape {t.shape}")
    if t.shape[-1] == 0 or t.shape[-2] == 0:
        raise ValueError(f"{name} has an empty axis: shape {t.shape} (n_samples and n_units must be ≥ 1)")
    if not np.issubdtype(t.dtype, np.number) or np.issubdtype(t.dtype, np.complexfloating):
        raise TypeError(f"{name} must be a real numeric array, got dtype {t.dtype}")
    if np.issubdtype(t.dtype, np.floating) and not np.isfinite(t).all():
        bad = int(np.size(t) - np.isfinite(t).sum())
        raise ValueError(
            f"{name} contains {bad} NaN/inf values: the network probably diverged "
            "(lower the learning rate, or check the inputs)"
        )
    if y is None:
        return t, None
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must have shape (n_samples,), got shape {y.shape}")
    if y.shape[0] != t.shape[-2]:
        raise ValueError(
            f"y has {y.shape[0]} labels but {name} has {t.shape[-2]} samples (shape {t.shape}); "
            "they must match"
        )
    if not np.issubdtype(y.dtype, np.integer):
        if np.issubdtype(y.dtype, np.floating) and np.all(np.mod(y, 1) == 0):
            y = y.astype(np.int64)
        else:
            raise TypeError(f"y must hold integer class labels, got dtype {y.dtype}")
    if y.size and y.min() < 0:
        raise ValueError("y must hold non-negative class labels")
    return t, y


def log_base(base: float) -> float:
    if base <= 0 or base == 1:
        raise ValueError(f"base must be positive and not 1, got {base}")
    return float(np.log(base))


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
    new_run = np.ones(flat.shape, dtype=bool)
    np.not_equal(flat[:, 1:], flat[:, :-1], out=new_run[:, 1:])
    starts = np.flatnonzero(new_run.ravel())
    lengths = np.diff(np.append(starts, flat.size)).astype(np.float64)
    rows = starts // n
    c_log_c = np.bincount(rows, weights=lengths * np.log(lengths), minlength=flat.shape[0])
    return (np.log(n) - c_log_c / n).reshape(codes.shape[:-1])


def joint_entropies(codes: np.ndarray, joint: np.ndarray, n_classes: int, exact: bool):
    """H(T) and H(T,Y) in nats from row codes (..., n) and joint codes of (row, label) (..., n).

    With exact codes (joint = codes · n_classes + label), sorting ``joint`` also sorts
    ``joint // n_classes`` = codes, so both entropies come from a single sort.
    """
    if not exact:
        return entropy_of_codes(codes), entropy_of_codes(joint)
    n = joint.shape[-1]
    joint_sorted = np.sort(joint.reshape(-1, n), axis=-1)
    h_ty = entropy_of_codes(joint_sorted, presorted=True)
    h_t = entropy_of_codes(joint_sorted // n_classes, presorted=True)
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
