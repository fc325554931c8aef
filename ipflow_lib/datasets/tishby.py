"""The 12-bit task of Shwartz-Ziv & Tishby (2017).

``tishby_12bit``  the 12-bit task of Shwartz-Ziv & Tishby (2017), regenerated bit for bit
``paper_split``   the paper's train/test split (fresh permutation per seed, last 20 % tested)
``noisy_labels``  its noisy p(y|x) variant, needed for a non-degenerate IB curve
``train_test_masks``  the paper split of many networks as boolean masks, one row per seed
``noisy_12bit_joint`` p(x, y) of the noisy 12-bit task (X uniform), the input of the IB and dual-IB solvers
``sweep_masks``   train/test masks of every (training size, seed) of a training-size sweep (nested sets)
"""

from __future__ import annotations

import numpy as np

from ..validation import as_array, as_float, as_int, as_labels, as_seed, check_size

__all__ = [
    "ICOSAHEDRON_ANTIPODE",
    "ICOSAHEDRON_NEIGHBOURS",
    "TISHBY_12BIT_LABELS_SHA256",
    "icosahedron_distances",
    "noisy_12bit_joint",
    "noisy_labels",
    "paper_split",
    "sweep_masks",
    "train_test_masks",
    "tishby_12bit",
]

# Icosahedron on which the 12 input bits sit (bit column -> neighbouring bit columns), as in the
# authors' data set (file var_u.mat of their code).
ICOSAHEDRON_NEIGHBOURS: tuple[tuple[int, ...], ...] = (
    (1, 3, 5, 10, 11), (0, 2, 3, 4, 11), (1, 3, 4, 8, 9), (0, 1, 2, 8, 10),
    (1, 2, 6, 9, 11), (0, 6, 7, 10, 11), (4, 5, 7, 9, 11), (5, 6, 8, 9, 10),
    (2, 3, 7, 9, 10), (2, 4, 6, 7, 8), (0, 3, 5, 7, 8), (0, 1, 4, 5, 6),
)
ICOSAHEDRON_ANTIPODE: tuple[int, ...] = (9, 7, 5, 6, 10, 2, 3, 1, 11, 0, 4, 8)

#: SHA-256 of the 4096 labels written as one ASCII string of '0'/'1' in row order (authors' labels).
TISHBY_12BIT_LABELS_SHA256 = "8adbd792d6400d00410815b5a1f01b05b59f15fd41ace0db85c7772aa5cf4566"


def icosahedron_distances() -> np.ndarray:
    """Graph distance (1, 2 or 3) between the 12 vertices, shape (12, 12), zeros on the diagonal."""
    dist = np.full((12, 12), 3, dtype=np.int64)
    np.fill_diagonal(dist, 0)
    for i, neighbours in enumerate(ICOSAHEDRON_NEIGHBOURS):
        dist[i, list(neighbours)] = 1
    for i in range(12):
        for j in range(12):
            if dist[i, j] == 3 and j != ICOSAHEDRON_ANTIPODE[i]:
                dist[i, j] = 2
    return dist


def tishby_12bit() -> tuple[np.ndarray, np.ndarray]:
    """The 12-bit task of Shwartz-Ziv & Tishby (2017), exactly as in the authors' data.

    X holds all 2^12 binary patterns; y = Θ(f(x) − θ) with a rotation-invariant f of the pattern on
    the icosahedron. For a pattern with k ones, and E1, E2, E3 pairs of ones at graph distance 1, 2, 3:
    y = 1 exactly when 41.2·k + 0.8·E1 − 8.8·E2 − 13.6·E3 > 171.8. This reproduces the authors' labels
    bit for bit (2118 ones, H(Y) = 0.99916 bits; checksum ``TISHBY_12BIT_LABELS_SHA256``).

    Returns
    -------
    X : ndarray, float32, shape (4096, 12)
        Row i is the binary expansion of i, most significant bit in column 0.
    y : ndarray, int64, shape (4096,)
        Labels in {0, 1}.

    Source: SZT17, Sec. 3.1 (arXiv:1703.00810); REFERENCE.md.
    """
    idx = np.arange(4096)
    X = ((idx[:, None] >> np.arange(11, -1, -1)[None, :]) & 1).astype(np.int64)
    dist = icosahedron_distances()
    pair_counts = np.stack(
        [np.einsum("ni,ij,nj->n", X, (dist == d).astype(np.int64), X) // 2 for d in (1, 2, 3)], axis=1
    )
    k = X.sum(axis=1)
    score = 41.2 * k + 0.8 * pair_counts[:, 0] - 8.8 * pair_counts[:, 1] - 13.6 * pair_counts[:, 2]
    y = (score > 171.8).astype(np.int64)
    return X.astype(np.float32), y


def paper_split(n_samples: int, train_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Train/test indices as in the authors' 2017 runs.

    A fresh random permutation per seed; the network trains on its first ``train_fraction`` and is
    tested on its last 20 %. For ``train_fraction`` > 0.8 the two overlap, as in the authors' code.

    Parameters
    ----------
    n_samples : int
        Size of the data set (4096 for the 12-bit task).
    train_fraction : float
        In (0, 1]: 0.05, 0.45, 0.85 in the SZT17 figures, 0.8 in the authors' code.
    seed : int
        Seed of the permutation (``numpy.random.default_rng``).

    Returns
    -------
    train_idx : ndarray, int64, shape (round(train_fraction * n_samples),)
    test_idx : ndarray, int64, shape (n_samples - round(0.8 * n_samples),)

    Raises
    ------
    ValueError
        If ``train_fraction`` is not in (0, 1] or gives an empty training set.
    """
    n_samples = as_int("n_samples", n_samples, minimum=1)
    check_size("n_samples", n_samples)
    train_fraction = as_float("train_fraction", train_fraction, above=0.0, maximum=1.0)
    seed = as_seed("seed", seed)
    n_train = int(round(train_fraction * n_samples))
    if n_train < 1:
        raise ValueError(f"train_fraction={train_fraction} leaves no training sample of {n_samples}")
    perm = np.random.default_rng(seed).permutation(n_samples)
    n_test_start = int(round(0.8 * n_samples))
    return perm[:n_train].astype(np.int64), perm[n_test_start:].astype(np.int64)


def noisy_labels(y: np.ndarray, epsilon: float, n_classes: int = 2) -> np.ndarray:
    """p(y|x) with label noise: the true class gets 1 − ε, the others share ε.

    For two classes this is p(y=1|x) = y(1−ε) + (1−y)ε, the noisy 12-bit task used for its IB curve.

    Parameters
    ----------
    y : ndarray of int, shape (n_samples,)
    epsilon : float in [0, 1 − 1/n_classes]

    Returns
    -------
    p_y_given_x : ndarray, float64, shape (n_samples, n_classes), rows sum to 1.
    """
    y = as_labels("y", y)
    n_classes = as_int("n_classes", n_classes, minimum=2)
    check_size("n_classes", y.size * n_classes)
    epsilon = as_float("epsilon", epsilon, minimum=0.0, maximum=1.0 - 1.0 / n_classes)
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"labels must lie in 0..{n_classes - 1}")
    p = np.full((y.size, n_classes), epsilon / (n_classes - 1))
    p[np.arange(y.size), y] = 1.0 - epsilon
    return p


def _as_seeds(seeds) -> np.ndarray:
    """Seeds (an int or a 1-d sequence of ints in [0, 2**32)) as an int64 array, none truncated or wrapped."""
    arr = as_array("seeds", seeds if seeds is None else np.atleast_1d(seeds), ndim=1, kind="integer")
    return np.array([as_seed(f"seeds[{i}]", int(s)) for i, s in enumerate(arr)], dtype=np.int64)


def train_test_masks(n_samples: int, train_fraction: float, seeds) -> tuple[np.ndarray, np.ndarray]:
    """The :func:`paper_split` of every network as boolean masks, one row per seed.

    Parameters
    ----------
    n_samples : int
        Size of the data set (4096 for the 12-bit task).
    train_fraction : float in (0, 1]
    seeds : int or sequence of ints, shape (n_networks,)
        Row ``i`` is the split of ``paper_split(n_samples, train_fraction, seeds[i])``.

    Returns
    -------
    train_mask, test_mask : bool ndarrays, shape (n_networks, n_samples)
        The masks that :func:`ipflow_lib.ensembles.train_ensemble` takes. For ``train_fraction`` > 0.8
        they overlap, as in the authors' code.
    """
    n_samples = as_int("n_samples", n_samples, minimum=1)
    seeds = _as_seeds(seeds)
    check_size("n_samples", n_samples * seeds.size, itemsize=1)
    train = np.zeros((seeds.size, n_samples), dtype=bool)
    test = np.zeros_like(train)
    for row, seed in enumerate(seeds):
        tr, te = paper_split(n_samples, train_fraction, int(seed))
        train[row, tr] = True
        test[row, te] = True
    return train, test


def noisy_12bit_joint(epsilon: float) -> np.ndarray:
    """p(x, y) of the noisy 12-bit task, shape (4096, 2): X uniform, p(y=1|x) = y(1 − ε) + (1 − y)ε.

    The IB curve of the 12-bit task needs a noisy p(y|x): with deterministic labels it is degenerate
    (SZT17 used small ε). ``epsilon`` as in :func:`noisy_labels`; rows of the result sum to 1/4096.
    """
    _, y = tishby_12bit()
    return noisy_labels(y, epsilon) / y.size


TEST_SPLITS = ("held_out", "paper")


def sweep_masks(n_samples: int, train_fractions, seeds, test_split: str = "held_out") -> tuple[np.ndarray, np.ndarray]:
    """Train and test masks of every (training size, seed) of a sweep, shape (n_sizes, n_seeds, n_samples) each.

    The training set of (f, seed) is the first round(f · n_samples) inputs of the permutation of
    :func:`paper_split` with that seed, so the training sets of one seed are nested across sizes (SZT17
    Fig. 3). ``test_split="held_out"``: the test set is every other input; ``"paper"``: the last 20 % of the
    permutation (the authors' split, :func:`train_test_masks`; it overlaps the training set when f > 0.8).

    Raises
    ------
    ValueError
        Unknown ``test_split``, or a fraction outside (0, 1] (from :func:`paper_split`).
    """
    if test_split not in TEST_SPLITS:
        raise ValueError(f"test_split must be one of {TEST_SPLITS}, got {test_split!r}")
    n_samples = as_int("n_samples", n_samples, minimum=1)
    fractions = as_array("train_fractions", np.atleast_1d(train_fractions) if train_fractions is not None else None)
    fractions, seeds = fractions.reshape(-1), _as_seeds(seeds)
    check_size("n_samples", n_samples * seeds.size * fractions.size, itemsize=1)
    train = np.zeros((fractions.size, seeds.size, n_samples), dtype=bool)
    test = np.zeros_like(train)
    for i, f in enumerate(fractions):
        train[i], test[i] = train_test_masks(n_samples, float(f), seeds)
        if test_split == "held_out":
            test[i] = ~train[i]
    return train, test
