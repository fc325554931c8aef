"""scikit-learn's bundled 8×8 handwritten digits (no download), as a stratified train/test split.

``digits``  a class subset of the 1797 images of :func:`sklearn.datasets.load_digits`, relabelled
            0..C−1, split into stratified train and test sets and standardised with the training
            set's per-pixel statistics.

The book uses these images wherever the papers used MNIST: MNIST loaders download at run time,
these are bundled with scikit-learn.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from ..validation import MAX_SEED, as_int, as_int_sequence, as_seed

__all__ = ["DIGITS_N_FEATURES", "DigitsData", "digits"]

#: Number of pixels of one image (8 × 8).
DIGITS_N_FEATURES = 64


class DigitsData(NamedTuple):
    """A train/test split of the digits; unpack as ``x_train, y_train, x_test, y_test = digits(...)``.

    Attributes
    ----------
    x_train : ndarray, float64, shape (n_train, 64)
    y_train : ndarray, int64, shape (n_train,)
        Labels 0..C−1; label c stands for the digit ``classes[c]``.
    x_test : ndarray, float64, shape (n_test, 64)
    y_test : ndarray, int64, shape (n_test,)
    classes : tuple of int
        The digits, in label order.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: tuple[int, ...]


def digits(
    classes: Sequence[int] | None = None,
    n_train: int | None = None,
    seed: int = 0,
    *,
    n_test: int | None = None,
    standardize: bool = True,
) -> DigitsData:
    """The 8×8 digits of scikit-learn, restricted to ``classes`` and split into train and test sets.

    The split is stratified (every class keeps its share in both sets) and drawn with ``seed``.
    Pixels are standardised with the mean and standard deviation of the *training* set (pixels that
    are constant there are only centred), so no information from the test set leaks into the inputs.

    Parameters
    ----------
    classes : sequence of int in 0..9, optional
        The digits to keep, e.g. ``(3, 5)`` for a binary task; label c of the result is the digit
        ``classes[c]``. Default: all ten, labels equal to the digits.
    n_train : int, optional
        Size of the training set. Default: every selected image goes to the training set and the
        test set is empty (the whole data set, standardised).
    seed : int
        Seed of the stratified split (``sklearn.model_selection.train_test_split``).
    n_test : int, optional
        Size of the test set; default: every selected image not in the training set.
    standardize : bool
        If False, return raw pixel intensities (0..16).

    Returns
    -------
    DigitsData
        ``(x_train, y_train, x_test, y_test, classes)``; shapes (n_train, 64), (n_train,), (n_test, 64),
        (n_test,); inputs float64, labels int64.

    Raises
    ------
    ValueError
        If ``classes`` has repeated, fractional or out-of-range digits or fewer than 2 of them, ``n_train`` /
        ``n_test`` are fractional, not positive or ask for more images than there are, or ``seed`` is outside
        [0, 2**32).
    TypeError
        If ``classes``, ``n_train``, ``n_test`` or ``seed`` is not a number (a string, ``None``, a bool).

    Examples
    --------
    >>> x_train, y_train, x_test, y_test, classes = digits((3, 5), n_train=100, seed=0)
    >>> x_train.shape, sorted(set(y_train.tolist())), classes
    ((100, 64), [0, 1], (3, 5))
    >>> bool(abs(x_train.mean()) < 1e-12)
    True
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    classes = tuple(range(10)) if classes is None else as_int_sequence("classes", classes, minimum=0, maximum=9)
    seed = as_seed("seed", seed)
    if n_train is not None:
        n_train = as_int("n_train", n_train, minimum=1)
    if n_test is not None:
        n_test = as_int("n_test", n_test, minimum=0)
    if len(classes) < 2 or len(set(classes)) != len(classes) or not all(0 <= c <= 9 for c in classes):
        raise ValueError(f"classes must be at least 2 distinct digits in 0..9, got {classes}")
    data = load_digits()
    keep = np.isin(data.target, classes)
    x = data.data[keep].astype(np.float64)
    digit = data.target[keep]
    label_of_digit = np.zeros(10, dtype=np.int64)
    label_of_digit[list(classes)] = np.arange(len(classes))
    y = label_of_digit[digit]
    n = len(y)

    if n_train is None:
        if n_test is not None:
            raise ValueError("n_test needs n_train (the training set is everything by default)")
        x_train, y_train = x, y
        x_test, y_test = x[:0], y[:0]
    else:
        n_test = n - n_train if n_test is None else n_test
        if n_train < len(classes) or n_test < 0 or n_train + n_test > n:
            raise ValueError(
                f"n_train={n_train} and n_test={n_test} must satisfy n_train ≥ {len(classes)} (one per class), "
                f"n_test ≥ 0 and n_train + n_test ≤ {n} images of digits {classes}"
            )
        x_train, x_rest, y_train, y_rest = train_test_split(
            x, y, train_size=n_train, stratify=y, random_state=seed
        )
        if n_test == 0:
            x_test, y_test = x_rest[:0], y_rest[:0]
        elif n_test == len(y_rest):
            x_test, y_test = x_rest, y_rest
        else:
            x_test, _, y_test, _ = train_test_split(
                x_rest, y_rest, train_size=n_test, stratify=y_rest, random_state=(seed + 1) % MAX_SEED
            )

    if standardize:
        mean = x_train.mean(axis=0)
        std = x_train.std(axis=0)
        std = np.where(std > 0, std, 1.0)
        x_train = (x_train - mean) / std
        x_test = (x_test - mean) / std
    return DigitsData(
        np.ascontiguousarray(x_train),
        y_train.astype(np.int64),
        np.ascontiguousarray(x_test),
        y_test.astype(np.int64),
        classes,
    )
