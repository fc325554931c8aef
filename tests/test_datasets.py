import hashlib

import numpy as np
import pytest

from ipflow_lib.datasets import (
    ICOSAHEDRON_ANTIPODE,
    ICOSAHEDRON_NEIGHBOURS,
    TISHBY_12BIT_LABELS_SHA256,
    icosahedron_distances,
    noisy_labels,
    paper_split,
    tishby_12bit,
)


def test_12bit_labels_match_the_authors_checksum():
    X, y = tishby_12bit()
    assert hashlib.sha256("".join(map(str, y)).encode()).hexdigest() == TISHBY_12BIT_LABELS_SHA256
    assert int(y.sum()) == 2118


def test_12bit_inputs_are_all_patterns_in_binary_order():
    X, y = tishby_12bit()
    assert X.shape == (4096, 12) and X.dtype == np.float32
    assert y.shape == (4096,) and y.dtype == np.int64
    as_int = (X.astype(int) * (2 ** np.arange(11, -1, -1))).sum(axis=1)
    np.testing.assert_array_equal(as_int, np.arange(4096))  # row i is i, most significant bit first
    p = y.mean()
    h_y = -(p * np.log2(p) + (1 - p) * np.log2(1 - p))
    assert h_y == pytest.approx(0.99916, abs=1e-5)


def test_icosahedron_is_a_regular_icosahedron():
    d = icosahedron_distances()
    assert (d == d.T).all()
    # every vertex: 5 neighbours, 5 at distance 2, 1 antipode
    for i in range(12):
        counts = np.bincount(d[i], minlength=4)
        assert counts.tolist() == [1, 5, 5, 1]
        assert d[i, ICOSAHEDRON_ANTIPODE[i]] == 3
        assert all(i in ICOSAHEDRON_NEIGHBOURS[j] for j in ICOSAHEDRON_NEIGHBOURS[i])


def test_label_rule_is_rotation_invariant():
    """The label depends only on pair distances, so relabelling vertices by a symmetry keeps it."""
    X, y = tishby_12bit()
    d = icosahedron_distances()
    # the antipodal map is a symmetry of the icosahedron (it preserves all graph distances)
    perm = np.array(ICOSAHEDRON_ANTIPODE)
    assert (d[np.ix_(perm, perm)] == d).all()
    Xp = X[:, perm]
    idx = (Xp.astype(int) * (2 ** np.arange(11, -1, -1))).sum(axis=1)
    np.testing.assert_array_equal(y[idx], y)


def test_paper_split():
    train, test = paper_split(4096, 0.85, seed=3)
    assert train.size == round(0.85 * 4096) and test.size == 4096 - round(0.8 * 4096)
    assert np.unique(train).size == train.size
    # train = first 85 %, test = last 20 % of one permutation: they overlap by 5 %, as in the authors' code
    assert np.intersect1d(train, test).size == round(0.85 * 4096) - round(0.8 * 4096)
    train2, _ = paper_split(4096, 0.85, seed=3)
    np.testing.assert_array_equal(train, train2)
    assert not np.array_equal(train, paper_split(4096, 0.85, seed=4)[0])
    small, test_small = paper_split(4096, 0.05, seed=3)
    assert np.intersect1d(small, test_small).size == 0
    with pytest.raises(ValueError, match="train_fraction"):
        paper_split(4096, 0.0, seed=0)


def test_noisy_labels():
    p = noisy_labels(np.array([0, 1, 1]), 0.1)
    np.testing.assert_allclose(p, [[0.9, 0.1], [0.1, 0.9], [0.1, 0.9]])
    with pytest.raises(ValueError, match="epsilon"):
        noisy_labels(np.array([0, 1]), 0.7)
