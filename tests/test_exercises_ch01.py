"""Self-check exercises of chapter 1: right answers pass, typical mistakes fail with the reason, bad input fails."""

import math

import numpy as np
import pytest

from ipflow_lib import bottleneck as bn
from ipflow_lib.exercises import check
from ipflow_lib.exercises.ch01 import die_joint


def test_die_joint_is_the_chapters_table():
    p = die_joint(0.1)
    assert p.shape == (4, 2) and p.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(p.sum(axis=1), 0.25)
    np.testing.assert_allclose(p[0] / 0.25, [0.9, 0.1])  # even faces: parity 0 arrives with probability 0.9
    np.testing.assert_allclose(p[1] / 0.25, [0.1, 0.9])


@pytest.mark.parametrize("flip", [0.1, 0.25, 0.4])
def test_die_mi_right_answer_is_one_minus_binary_entropy(flip):
    h = -(flip * math.log2(flip) + (1 - flip) * math.log2(1 - flip))
    fb = check("1.die_mi", 1 - h, flip=flip)  # the closed form, independent of the checker's table
    assert fb and fb.expected == pytest.approx(1 - h, abs=1e-12)
    assert "H(Y|X)" in fb.explanation


def test_die_mi_typical_mistakes_are_named():
    h = -(0.25 * math.log2(0.25) + 0.75 * math.log2(0.75))
    nats = check("1.die_mi", (1 - h) * math.log(2))
    assert not nats and "nats" in nats.explanation
    loss = check("1.die_mi", h)
    assert not loss and "what the line loses" in loss.explanation
    from_x = check("1.die_mi", 2 - h)
    assert not from_x and "not from H(X)" in from_x.explanation
    assert not check("1.die_mi", 0.5)


@pytest.mark.parametrize("eps", [0.05, 0.1, 0.3])
def test_bsc_beta_c_right_answer_is_the_closed_form(eps):
    fb = check("1.bsc_beta_c", 1 / (1 - 2 * eps) ** 2, epsilon=eps)
    assert fb and fb.expected == pytest.approx(1 / (1 - 2 * eps) ** 2, rel=1e-9)


def test_bsc_beta_c_typical_mistakes_are_named():
    eps = 0.1
    assert "reciprocal" in check("1.bsc_beta_c", (1 - 2 * eps) ** 2).explanation
    assert "squared" in check("1.bsc_beta_c", 1 / (1 - 2 * eps)).explanation
    dual = bn.critical_beta(0.5 * np.array([[1 - eps, eps], [eps, 1 - eps]]), "dualib")
    fb = check("1.bsc_beta_c", dual)
    assert not fb and "dual IB" in fb.explanation
    assert not check("1.bsc_beta_c", 1.5625, epsilon=0.2)  # right for ε = 0.1, wrong for 0.2


@pytest.mark.parametrize("exercise", ["1.die_mi", "1.bsc_beta_c"])
@pytest.mark.parametrize("bad", ["one bit", float("nan"), float("inf"), None, True, [0.5, 0.5]])
def test_bad_answers_fail_cleanly(exercise, bad):
    fb = check(exercise, bad)
    assert not fb and "expected a finite number" in fb.explanation


@pytest.mark.parametrize("bad", [0.0, 0.5, -0.1, "ten percent", float("nan")])
def test_bad_parameters_are_rejected(bad):
    with pytest.raises(ValueError, match="in \\(0, 0.5\\)"):
        check("1.bsc_beta_c", 1.0, epsilon=bad)
    with pytest.raises(ValueError, match="flip"):
        check("1.die_mi", 0.5, flip=bad)
