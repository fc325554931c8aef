"""Chapter 5's self-check exercises: right answers pass, typical mistakes fail with an explanation of why."""

import math

import numpy as np
import pytest

from ipflow_lib.exercises import available, check
from ipflow_lib.exercises.ch05 import KDE_CENTRES, KDE_NOISE_VARIANCE
from ipflow_lib.experiments import estimator_benchmarks


def test_chapter_5_checkers_are_registered():
    assert {"5.kde_upper", "5.miller_madow"} <= set(available())


def _kde_by_hand(kernel_divisor: float) -> float:
    """The pairwise-distance bound -1/N Σ_i ln 1/N Σ_j exp(-D_ij / (divisor σ²)) in nats, written out here."""
    h = np.asarray(KDE_CENTRES)
    d = (h[:, None] - h[None, :]) ** 2
    return float(-np.mean(np.log(np.mean(np.exp(-d / (kernel_divisor * KDE_NOISE_VARIANCE)), axis=1))))


def test_kde_upper_bound_in_bits():
    upper_nats = _kde_by_hand(2.0)
    right = check("5.kde_upper", upper_nats / math.log(2))
    assert right and right.expected == pytest.approx(upper_nats / math.log(2), rel=1e-6)
    assert 0 < right.expected < 1  # two blurred clusters: less than the 1 bit of two sharp ones
    nats = check("5.kde_upper", upper_nats)
    assert not nats and "nats" in nats.explanation
    lower = check("5.kde_upper", _kde_by_hand(8.0) / math.log(2))
    assert not lower and "lower" in lower.explanation
    ceiling = check("5.kde_upper", 2.0)
    assert not ceiling and "distinct" in ceiling.explanation
    sharp = check("5.kde_upper", 1.0)
    assert not sharp and "σ → 0" in sharp.explanation
    assert not check("5.kde_upper", 0.5)


def test_miller_madow_bias_in_bits():
    cfg = estimator_benchmarks.Config()
    (kx, kz), n = cfg.table_shape, cfg.table_sizes[0]
    bias = (kx - 1) * (kz - 1) / (2 * n) / math.log(2)
    right = check("5.miller_madow", bias)
    assert right and right.expected == pytest.approx(bias) and f"n = {n}" in right.explanation
    assert check("5.miller_madow", (kx - 1) * (kz - 1) / (2 * 300 * math.log(2)), n=300)
    assert not check("5.miller_madow", bias, n=300)  # the bias shrinks as 1/n
    nats = check("5.miller_madow", bias * math.log(2))
    assert not nats and "nats" in nats.explanation
    cells = check("5.miller_madow", kx * kz / (2 * n * math.log(2)))
    assert not cells and "(|X|−1)(|Z|−1)" in cells.explanation
    twice = check("5.miller_madow", 2 * bias)
    assert not twice and "twice" in twice.explanation
    sign = check("5.miller_madow", -bias)
    assert not sign and "upwards" in sign.explanation
    with pytest.raises(ValueError, match="n must"):
        check("5.miller_madow", bias, n=0)


@pytest.mark.parametrize("exercise", ["5.kde_upper", "5.miller_madow"])
@pytest.mark.parametrize("bad", ["0.8", float("nan"), None, True, [0.1, 0.2]])
def test_bad_answers_fail_cleanly(exercise, bad):
    feedback = check(exercise, bad)
    assert not feedback and "expected a finite number" in feedback.explanation
    assert np.isfinite(feedback.expected)
