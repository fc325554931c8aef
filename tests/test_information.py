"""Exact information quantities: closed forms, identities, and dit (a test-only oracle) on random tables."""

from __future__ import annotations

import doctest
import itertools

import numpy as np
import pytest

from ipflow_lib import information as info
from ipflow_lib.information import (
    conditional_entropy,
    entropy,
    js_divergence,
    kl_divergence,
    mutual_information,
)


def _random_joint(rng, n_x, n_y, sparsity=0.0):
    p = rng.dirichlet(np.full(n_x * n_y, 0.7)).reshape(n_x, n_y)
    if sparsity:
        p[rng.random(p.shape) < sparsity] = 0.0
        p[0, 0] += 1e-3  # never all zero
        p /= p.sum()
    return p


def _h2(e):
    return -e * np.log2(e) - (1 - e) * np.log2(1 - e)


# --- closed forms ---------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 3, 7, 64])
def test_entropy_of_uniform_is_log_n(n):
    assert entropy(np.full(n, 1.0 / n)) == pytest.approx(np.log2(n), abs=1e-12)
    assert entropy(np.full(n, 1.0 / n), base=np.e) == pytest.approx(np.log(n), abs=1e-12)


def test_entropy_of_a_point_mass_and_of_a_joint_table():
    assert entropy([0.0, 1.0, 0.0]) == 0.0
    # A joint table is one distribution over its cells: shape does not matter.
    p = np.array([[0.125, 0.375], [0.25, 0.25]])
    assert entropy(p) == pytest.approx(entropy(p.ravel()))


@pytest.mark.parametrize("eps", [0.01, 0.1, 0.3])
def test_binary_symmetric_channel(eps):
    """X a fair bit, Y = X flipped with probability eps: I = 1 − h(eps), H(Y|X) = h(eps)."""
    p_xy = 0.5 * np.array([[1 - eps, eps], [eps, 1 - eps]])
    assert mutual_information(p_xy) == pytest.approx(1 - _h2(eps), abs=1e-12)
    assert conditional_entropy(p_xy) == pytest.approx(_h2(eps), abs=1e-12)
    assert conditional_entropy(p_xy.T) == pytest.approx(_h2(eps), abs=1e-12)


def test_kl_of_bernoullis_and_infinite_kl():
    a, b = 0.3, 0.6
    closed = a * np.log2(a / b) + (1 - a) * np.log2((1 - a) / (1 - b))
    assert kl_divergence([a, 1 - a], [b, 1 - b]) == pytest.approx(closed, abs=1e-12)
    assert kl_divergence([0.5, 0.5], [1.0, 0.0]) == np.inf
    assert kl_divergence([1.0, 0.0], [0.5, 0.5]) == pytest.approx(1.0)


def test_js_of_disjoint_supports_is_one_bit():
    assert js_divergence([1.0, 0.0], [0.0, 1.0]) == pytest.approx(1.0)
    assert js_divergence([0.2, 0.8], [0.2, 0.8]) == 0.0


# --- identities on random tables ------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_identities(seed):
    rng = np.random.default_rng(seed)
    p = _random_joint(rng, 4, 3, sparsity=0.3)
    p_x, p_y = p.sum(1), p.sum(0)
    i = mutual_information(p)
    assert i == pytest.approx(entropy(p_x) + entropy(p_y) - entropy(p), abs=1e-12)
    assert i == pytest.approx(kl_divergence(p, np.outer(p_x, p_y)), abs=1e-12)
    assert i == pytest.approx(mutual_information(p.T), abs=1e-12)
    assert i == pytest.approx(entropy(p_y) - conditional_entropy(p), abs=1e-12)
    assert 0 <= i <= min(entropy(p_x), entropy(p_y)) + 1e-12
    q = _random_joint(rng, 4, 3)
    assert kl_divergence(p, q) >= 0
    assert 0 <= js_divergence(p, q) <= 1.0
    assert js_divergence(p, q) == pytest.approx(js_divergence(q, p), abs=1e-14)


@pytest.mark.parametrize("seed", range(5))
def test_data_processing_inequality(seed):
    """X → Y → Z: I(X;Z) ≤ I(X;Y), with equality when Z is an invertible function of Y."""
    rng = np.random.default_rng(seed)
    p_xy = _random_joint(rng, 5, 4)
    channel = rng.dirichlet(np.ones(3), size=4)  # p(z|y)
    p_xz = p_xy @ channel
    assert mutual_information(p_xz) <= mutual_information(p_xy) + 1e-12
    perm = np.eye(4)[rng.permutation(4)]
    assert mutual_information(p_xy @ perm) == pytest.approx(mutual_information(p_xy), abs=1e-12)


# --- dit as an oracle -----------------------------------------------------------------------------


def _dit_joint(p):
    dit = pytest.importorskip("dit")
    n_x, n_y = p.shape
    outcomes, probs = [], []
    for i, j in itertools.product(range(n_x), range(n_y)):
        if p[i, j] > 0:
            outcomes.append((i, j))
            probs.append(p[i, j])
    return dit.Distribution(outcomes, probs)


@pytest.mark.parametrize("seed", range(4))
def test_against_dit(seed):
    dit = pytest.importorskip("dit")
    from dit.divergences import jensen_shannon_divergence, kullback_leibler_divergence

    rng = np.random.default_rng(100 + seed)
    n_x, n_y = rng.integers(2, 5, size=2)
    p = _random_joint(rng, n_x, n_y, sparsity=0.2 if seed % 2 else 0.0)
    d = _dit_joint(p)
    assert entropy(p) == pytest.approx(dit.shannon.entropy(d), abs=1e-10)
    assert mutual_information(p) == pytest.approx(dit.shannon.mutual_information(d, [0], [1]), abs=1e-10)
    assert conditional_entropy(p) == pytest.approx(dit.shannon.conditional_entropy(d, [1], [0]), abs=1e-10)
    assert conditional_entropy(p.T) == pytest.approx(dit.shannon.conditional_entropy(d, [0], [1]), abs=1e-10)

    a = rng.dirichlet(np.ones(4))
    b = rng.dirichlet(np.ones(4))
    da = dit.Distribution([str(k) for k in range(4)], a)
    db = dit.Distribution([str(k) for k in range(4)], b)
    assert kl_divergence(a, b) == pytest.approx(kullback_leibler_divergence(da, db), abs=1e-10)
    assert js_divergence(a, b) == pytest.approx(jensen_shannon_divergence([da, db]), abs=1e-10)


# --- validation -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("p", "match"),
    [
        ([0.5, 0.6], "sum to 1"),
        ([1.2, -0.2], "negative"),
        ([0.5, np.nan], "NaN"),
        ([], "empty"),
    ],
)
def test_bad_distributions_are_rejected(p, match):
    with pytest.raises(ValueError, match=match):
        entropy(p)


def test_shapes_and_types_are_checked():
    with pytest.raises(ValueError, match=r"shape \(n_x, n_y\)"):
        mutual_information([0.5, 0.5])
    with pytest.raises(ValueError, match=r"shape \(n_x, n_y\)"):
        conditional_entropy(np.full((2, 2, 2), 0.125))
    with pytest.raises(ValueError, match="same shape"):
        kl_divergence([0.5, 0.5], [0.2, 0.3, 0.5])
    with pytest.raises(TypeError, match="numeric"):
        entropy(["a", "b"])
    with pytest.raises(ValueError, match="base"):
        entropy([0.5, 0.5], base=1)
    with pytest.raises(ValueError, match="p_x has 2 outcomes"):
        info.joint([0.5, 0.5], [[1.0, 0.0]])
    with pytest.raises(ValueError, match="row 1 sums"):
        info.check_channel([[1.0, 0.0], [0.5, 0.6]])


def test_float32_tables_within_tolerance_are_accepted():
    p = np.full(3, 1 / 3, dtype=np.float32)
    assert entropy(p) == pytest.approx(np.log2(3), abs=1e-6)


def test_doctests():
    assert doctest.testmod(info).failed == 0


def test_empirical_joint_of_functions_of_x():
    rng = np.random.default_rng(0)
    x = np.arange(64)
    p_ab = info.empirical_joint(x % 4, x % 2)
    # x % 2 is a function of x % 4: H(B|A) = 0 and I(A;B) = H(B) = 1 bit
    assert conditional_entropy(p_ab) == pytest.approx(0.0, abs=1e-12)
    assert mutual_information(p_ab) == pytest.approx(1.0)
    # rows of a 2-d array are symbols; identity gives I(X;X) = H(X) = log2 n
    bits = (x[:, None] >> np.arange(6)) & 1
    assert mutual_information(info.empirical_joint(bits, x)) == pytest.approx(6.0)
    w = rng.dirichlet(np.ones(64))
    p_w = info.empirical_joint(x % 3, x % 5, weights=w)
    assert p_w.shape == (3, 5) and p_w.sum() == pytest.approx(1.0)
    assert p_w[1, 2] == pytest.approx(w[(x % 3 == 1) & (x % 5 == 2)].sum())
    with pytest.raises(ValueError, match="samples"):
        info.empirical_joint([0, 1], [0, 1, 1])
