"""Argument checks shared by every public function of the library (the lowest layer: imports only numpy).

Each check returns the argument in its canonical form (a Python ``int``/``float``, a NumPy array, a
``(lo, hi)`` pair) or raises an error that names the argument, shows what it got (``!r``) and says
what is expected:

- ``TypeError`` when the *kind* is wrong: a string, ``None``, a bool or a complex number where a real
  number is expected, a float where an integer is expected, non-numeric arrays;
- ``ValueError`` when the kind is right but the *value* is not: out of range, NaN or inf, a fractional
  integer scalar, the wrong shape, an empty array, labels < 0, a size that cannot fit in memory (an array
  of fractional values where integers are expected is a ``TypeError``: floats are not labels).

No check truncates or wraps: ``2.5`` is not an integer, ``'8'`` is not a number, a seed of 2**32 is
out of range (a JAX key would wrap it onto seed 0), integral floats such as ``8.0`` are accepted as 8.

>>> as_int("batch_size", 8.0, minimum=1)
8
>>> as_int("batch_size", 2.5, minimum=1)
Traceback (most recent call last):
...
ValueError: batch_size must be an integer ≥ 1, got 2.5 (a fractional value; it is not rounded)
"""

from __future__ import annotations

import numbers
import operator

import numpy as np

__all__ = [
    "MAX_SEED",
    "as_array",
    "as_base",
    "as_flag",
    "as_float",
    "as_int",
    "as_int_sequence",
    "as_labels",
    "as_range",
    "as_seed",
    "check_size",
]

#: Seeds are integers in [0, MAX_SEED): what a 32-bit generator state (a JAX ``PRNGKey``) holds without wrapping.
MAX_SEED = 2**32

#: Largest array (in bytes) a check lets a function allocate for a size argument (e.g. ``n_bins``): 4 GiB.
MAX_BYTES = 4 * 2**30


def _num(v) -> str:
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return str(v)


def _bounds_text(minimum=None, maximum=None, *, above=None, below=None) -> str:
    parts = []
    if minimum is not None:
        parts.append(f"≥ {_num(minimum)}")
    if above is not None:
        parts.append(f"> {_num(above)}")
    if maximum is not None:
        parts.append(f"≤ {_num(maximum)}")
    if below is not None:
        parts.append(f"< {_num(below)}")
    return (" " + " and ".join(parts)) if parts else ""


def as_int(name: str, value, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """``value`` as a Python int in [minimum, maximum]; integral floats (``8.0``) are accepted.

    Raises
    ------
    TypeError
        For bools, strings, ``None``, complex numbers and other non-numbers.
    ValueError
        For a fractional, NaN or infinite float, or a value outside [minimum, maximum].
    """
    expect = f"an integer{_bounds_text(minimum, maximum)}"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be {expect}, got {value!r} of type {type(value).__name__}")
    if isinstance(value, numbers.Integral):
        number = operator.index(value)
    else:
        as_float_value = float(value)
        if not np.isfinite(as_float_value):
            raise ValueError(f"{name} must be {expect}, got {value!r}")
        if not as_float_value.is_integer():
            raise ValueError(f"{name} must be {expect}, got {value!r} (a fractional value; it is not rounded)")
        number = int(as_float_value)
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise ValueError(f"{name} must be {expect}, got {value!r}")
    return number


def as_float(
    name: str,
    value,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    above: float | None = None,
    below: float | None = None,
    finite: bool = True,
    expect: str | None = None,
) -> float:
    """``value`` as a Python float, finite (unless ``finite=False``) and inside the given bounds.

    ``minimum``/``maximum`` are inclusive bounds, ``above``/``below`` exclusive ones. NaN is always rejected.
    ``expect`` replaces the description of what is expected in the messages.

    Raises
    ------
    TypeError
        For bools, strings, ``None``, complex numbers, arrays and other non-real-numbers.
    ValueError
        For NaN, ±inf (when ``finite``) or a value outside the bounds.
    """
    if expect is None:
        bounds = _bounds_text(minimum, maximum, above=above, below=below)
        expect = ("a finite number" if finite else "a number") + bounds
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be {expect}, got {value!r} of type {type(value).__name__}")
    number = float(value)
    if np.isnan(number) or (finite and not np.isfinite(number)):
        raise ValueError(f"{name} must be {expect}, got {value!r}")
    if (
        (minimum is not None and number < minimum)
        or (maximum is not None and number > maximum)
        or (above is not None and not number > above)
        or (below is not None and not number < below)
    ):
        raise ValueError(f"{name} must be {expect}, got {value!r}")
    return number


def as_base(base, name: str = "base") -> float:
    """ln(``base``), the divisor that turns nats into units of log base: ``base`` finite, > 0 and ≠ 1.

    Raises
    ------
    TypeError, ValueError
        As :func:`as_float`; ValueError also for ``base == 1`` (log 1 = 0).
    """
    expect = "a finite number > 0 and ≠ 1 (2: bits, e: nats)"
    value = as_float(name, base, above=0.0, expect=expect)
    if value == 1.0:
        raise ValueError(f"{name} must be {expect}, got {base!r}")
    return float(np.log(value))


def as_flag(name: str, value) -> bool:
    """``value`` as a bool: only ``True``/``False`` (and NumPy bools) are flags; ``"no"``, 0.5 or an array are not.

    Raises
    ------
    TypeError
        For anything that is not a bool.
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {_short(value)}")
    return bool(value)


def as_seed(name: str, seed) -> int:
    """``seed`` as an int in [0, 2**32) (:data:`MAX_SEED`): no wrapping, so different seeds stay different.

    Raises
    ------
    TypeError
        For non-integers (strings, ``None``, bools).
    ValueError
        For fractional values, negative seeds and seeds ≥ 2**32.
    """
    return as_int(name, seed, minimum=0, maximum=MAX_SEED - 1)


def as_range(name: str, value, *, finite: bool = True) -> tuple[float, float]:
    """``value`` as a pair of floats ``(lo, hi)`` with lo < hi, both finite (unless ``finite=False``).

    Raises
    ------
    TypeError
        If ``value`` is not a pair (a string, ``None``, a scalar) or holds non-numbers.
    ValueError
        For a pair of the wrong length, NaN, ±inf or lo ≥ hi.
    """
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or not hasattr(value, "__getitem__"):
        raise TypeError(f"{name} must be a pair (lo, hi) of finite numbers with lo < hi, got {value!r}")
    if len(value) != 2:
        raise ValueError(f"{name} must be a pair (lo, hi) of finite numbers with lo < hi, got {value!r}")
    lo = as_float(f"{name}[0] (lo)", value[0], finite=finite)
    hi = as_float(f"{name}[1] (hi)", value[1], finite=finite)
    if not lo < hi:
        raise ValueError(f"{name} must be a pair (lo, hi) with lo < hi, got {value!r}")
    return lo, hi


def as_int_sequence(name: str, values, *, minimum: int | None = None, maximum: int | None = None) -> tuple[int, ...]:
    """A sequence of integers (each checked as :func:`as_int`) as a tuple; ``(2.7,)`` is refused, not truncated.

    Raises
    ------
    TypeError
        If ``values`` is not a sequence (a string, a scalar, ``None``) or an element is not an integer.
    ValueError
        For a fractional element or one outside [minimum, maximum].
    """
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{name} must be a sequence of integers, got {values!r}")
    return tuple(as_int(f"{name}[{i}]", v, minimum=minimum, maximum=maximum) for i, v in enumerate(values))


def _asarray(name: str, x) -> np.ndarray:
    if x is None:
        raise TypeError(f"{name} must be a numeric array, got None")
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError):  # ragged nested lists
        raise ValueError(f"{name} must be a rectangular array (rows of equal length), got {_short(x)}") from None
    return arr


def _short(x) -> str:
    text = repr(x)
    return text if len(text) <= 60 else text[:57] + "..."


def as_array(
    name: str,
    x,
    *,
    ndim: int | None = None,
    min_ndim: int | None = None,
    kind: str = "real",
    finite: bool = True,
    nonempty: bool = True,
) -> np.ndarray:
    """``x`` as a NumPy array of real numbers (``kind="real"``) or integers (``kind="integer"``), checked.

    Parameters
    ----------
    name : str
        The argument's name, used in the messages.
    x : array_like
    ndim, min_ndim : int, optional
        Required number of dims, or the fewest allowed.
    kind : {"real", "integer"}
        "real": any integer or floating dtype (bools, complex, strings, objects refused); "integer": integer
        dtype, or floats whose values are all integral (converted to int64; fractional values refused).
    finite : bool
        Refuse NaN and ±inf.
    nonempty : bool
        Refuse arrays with no elements.

    Returns
    -------
    ndarray, the input's dtype (int64 for integral floats under ``kind="integer"``).

    Raises
    ------
    TypeError
        Wrong dtype (strings, objects, complex, bools, ``None``), fractional values where integers are expected.
    ValueError
        Ragged input, wrong number of dims, empty, NaN/inf.
    """
    arr = _asarray(name, x)
    want = "an integer array" if kind == "integer" else "a real numeric array"
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name} must be {want}, got dtype {arr.dtype} ({_short(x)})")
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dims, got shape {arr.shape}")
    if min_ndim is not None and arr.ndim < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dims, got shape {arr.shape}")
    if nonempty and arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}); it needs at least one element")
    if finite and np.issubdtype(arr.dtype, np.floating) and not np.isfinite(arr).all():
        bad = int(arr.size - np.isfinite(arr).sum())
        raise ValueError(f"{name} contains {bad} NaN/inf values; all values must be finite")
    if kind == "integer" and not np.issubdtype(arr.dtype, np.integer):
        if not np.all(np.mod(arr, 1) == 0):
            raise TypeError(
                f"{name} must hold integer values, got fractional values (dtype {arr.dtype}); none is rounded"
            )
        arr = arr.astype(np.int64)
    return arr


def as_labels(name: str, y, *, n: int | None = None) -> np.ndarray:
    """Class labels ``y`` (n_samples,) as an integer array of non-negative values (0, 1, ..., C−1 or any ≥ 0).

    Integral floats (``1.0``) are accepted; fractional floats, bools, strings are not; −1 is not "the last
    class". With ``n``, the length must be ``n``.

    Raises
    ------
    TypeError
        Non-numeric, boolean or fractional labels.
    ValueError
        Not 1-D, empty, the wrong length, NaN or negative labels.
    """
    arr = as_array(name, y, ndim=1, kind="integer")
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name} has {arr.shape[0]} labels but {n} samples were given; they must match")
    if arr.min() < 0:
        raise ValueError(
            f"{name} must hold class labels ≥ 0, got {int(arr.min())} ({int((arr < 0).sum())} negative labels)"
        )
    return arr


def check_size(name: str, n_elements, itemsize: int = 8, limit: int = MAX_BYTES) -> None:
    """Refuse a size argument whose array of ``n_elements`` × ``itemsize`` bytes would exceed ``limit``.

    Raises
    ------
    ValueError
        Naming the argument, the memory it would need and the limit.
    """
    need = float(n_elements) * itemsize
    if need > limit:
        raise ValueError(
            f"{name} = {n_elements!r} would need {need / 2**30:.3g} GiB for one array (limit {limit / 2**30:.3g} GiB); "
            "choose a smaller value"
        )
