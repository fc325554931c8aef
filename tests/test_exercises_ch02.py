"""Chapter 2's self-check exercises: right answers pass, typical mistakes fail with an explanation of why."""

import math

import numpy as np
import pytest

from ipflow_lib.datasets import tishby_12bit
from ipflow_lib.exercises import available, check


def test_chapter_2_checkers_are_registered():
    assert {"2.ceiling", "2.h_y", "2.overlap"} <= set(available())


def test_ceiling_is_log2_of_the_number_of_inputs():
    X, _ = tishby_12bit()
    right = check("2.ceiling", np.log2(X.shape[0]))
    assert right and right.expected == pytest.approx(12.0)
    assert "H(T|X) = 0" in right.explanation
    nats = check("2.ceiling", math.log(4096))
    assert not nats and "nats" in nats.explanation
    count = check("2.ceiling", 4096)
    assert not count and "logarithm" in count.explanation
    assert not check("2.ceiling", 11.0)


def test_h_y_is_the_entropy_of_the_label_frequencies_in_bits():
    _, y = tishby_12bit()
    p = y.mean()
    h = -(p * np.log2(p) + (1 - p) * np.log2(1 - p))  # computed here independently of the checker
    right = check("2.h_y", h)
    assert right and right.expected == pytest.approx(h, abs=1e-12)
    assert 0.99 < h < 1.0  # nearly, but not exactly, balanced labels
    nats = check("2.h_y", h * math.log(2))
    assert not nats and "nats" in nats.explanation
    balanced = check("2.h_y", 1.0)
    assert not balanced and "balanced" in balanced.explanation
    prob = check("2.h_y", p)
    assert not prob and "probability" in prob.explanation
    assert not check("2.h_y", round(h, 2))  # 1.00 is not close enough to tell H(Y) from 1 bit


def test_overlap_counts_inputs_in_both_sets():
    right = check("2.overlap", 205)  # 3482 training inputs (85 %) and the last 819 (20 %): 3482 + 819 - 4096
    assert right and right.expected == 205
    assert "5.0 %" in right.explanation
    disjoint = check("2.overlap", 0)
    assert not disjoint and "not disjoint" in disjoint.explanation
    size = check("2.overlap", 819)
    assert not size and "size of a set" in size.explanation
    fraction = check("2.overlap", 0.05)
    assert not fraction and "fraction" in fraction.explanation
    clean = check("2.overlap", 0, train_fraction=0.8, seed=3)  # the authors' code's 80 %: disjoint
    assert clean and clean.expected == 0 and "disjoint" in clean.explanation
    assert check("2.overlap", 614, train_fraction=0.95).expected == 614


@pytest.mark.parametrize("exercise", ["2.ceiling", "2.h_y", "2.overlap"])
@pytest.mark.parametrize("bad", ["twelve", float("nan"), float("inf"), None, [1, 2]])
def test_bad_answers_fail_cleanly(exercise, bad):
    feedback = check(exercise, bad)
    assert not feedback
    assert "expected a finite number" in feedback.explanation
    assert str(feedback).startswith("Not quite")


def test_sgd_step_is_the_ratio_of_the_first_updates():
    from ipflow_lib.experiments import information_plane

    # Adam's bias-corrected first step is lr · g / (|g| + 1e-8), computed here by hand, independently of optax
    g = 0.02
    adam = information_plane.PRESETS["paper"].training.learning_rate * g / (g + 1e-8)
    ratio = information_plane.SGD_LEARNING_RATE * g / adam
    right = check("2.sgd_step", ratio)
    assert right and right.expected == pytest.approx(ratio, rel=1e-5)
    assert "2.sgd_step" in available()
    inverted = check("2.sgd_step", 1 / ratio)
    assert not inverted and "Adam's step over SGD's" in inverted.explanation
    rates = check("2.sgd_step", information_plane.SGD_LEARNING_RATE / information_plane.PRESETS["paper"]
                  .training.learning_rate)
    assert not rates and "learning rates" in rates.explanation
    uncorrected = check("2.sgd_step", ratio * math.sqrt(0.001) / 0.1)
    assert not uncorrected and "bias correction" in uncorrected.explanation
    # the step of SGD scales with the gradient, Adam's does not: twice the gradient, twice the ratio
    assert check("2.sgd_step", 2 * ratio, gradient=2 * g)
