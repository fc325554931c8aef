"""Self-check exercises of chapter 7: right answers pass, typical mistakes fail with the reason, bad input fails."""

import math

import numpy as np
import pytest

from ipflow_lib.exercises import check
from ipflow_lib.exercises.ch07 import DECODER_ROWS


@pytest.mark.parametrize("eps", [0.01, 0.1, 0.3])
def test_dual_bsc_beta_c_right_answer_is_the_closed_form(eps):
    closed = 4 / math.log((1 - eps) / eps) ** 2
    fb = check("7.dual_bsc_beta_c", closed, epsilon=eps)
    assert fb and fb.expected == pytest.approx(closed, rel=1e-6)


def test_dual_bsc_beta_c_typical_mistakes_are_named():
    eps, L = 0.1, math.log(9.0)
    assert "log base 2" in check("7.dual_bsc_beta_c", 4 / math.log2(9.0) ** 2).explanation
    assert "IB's threshold" in check("7.dual_bsc_beta_c", 1 / (1 - 2 * eps) ** 2).explanation
    assert "L²/4" in check("7.dual_bsc_beta_c", 1 / L**2).explanation
    assert "reciprocal" in check("7.dual_bsc_beta_c", L**2 / 4).explanation
    assert not check("7.dual_bsc_beta_c", 4 / L**2, epsilon=0.2)  # right for ε = 0.1 only


def test_dual_decoder_right_answer_is_the_normalised_geometric_mean():
    g = np.sqrt(DECODER_ROWS[0] * DECODER_ROWS[1])  # independent of the solver: (y = 0, y = 1)
    fb = check("7.dual_decoder", g[1] / g.sum())
    assert fb and fb.expected == pytest.approx(0.25, abs=1e-9)  # √0.05 / (√0.05 + √0.45) = 1/4


def test_dual_decoder_typical_mistakes_are_named():
    assert "IB's decoder" in check("7.dual_decoder", DECODER_ROWS[:, 1].mean()).explanation
    assert "before normalisation" in check("7.dual_decoder", math.sqrt(0.05)).explanation
    assert "p(y = 0 | t)" in check("7.dual_decoder", 0.75).explanation
    assert not check("7.dual_decoder", 0.5)


@pytest.mark.parametrize("exercise", ["7.dual_bsc_beta_c", "7.dual_decoder"])
@pytest.mark.parametrize("bad", ["a quarter", float("nan"), float("-inf"), None, False, [0.25, 0.75]])
def test_bad_answers_fail_cleanly(exercise, bad):
    fb = check(exercise, bad)
    assert not fb and "expected a finite" in fb.explanation


@pytest.mark.parametrize("bad", [0.0, 0.5, 1.2, "ten percent", float("nan")])
def test_bad_epsilon_is_rejected(bad):
    with pytest.raises(ValueError, match="epsilon"):
        check("7.dual_bsc_beta_c", 1.0, epsilon=bad)
