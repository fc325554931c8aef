"""Chapter 3's self-check exercises, and the steps-per-epoch count its prose glues: right answers pass, typical
mistakes fail with an explanation of why, bad input fails cleanly."""

import math

import numpy as np
import pytest

from ipflow_lib.datasets import noisy_labels, tishby_12bit
from ipflow_lib.exercises import available, check
from ipflow_lib.experiments import training_size
from ipflow_lib.information import entropy


def test_chapter_3_checkers_are_registered():
    assert {"3.steps", "3.corner"} <= set(available())


def test_steps_per_epoch_rounds_up_and_full_batch_is_one():
    assert training_size.steps_per_epoch([205, 512, 513, 3482], 512).tolist() == [1, 1, 2, 7]
    assert training_size.steps_per_epoch([205, 3482], None).tolist() == [1, 1]
    with pytest.raises(ValueError, match="batch_size"):
        training_size.steps_per_epoch([205], 0)
    with pytest.raises(ValueError, match="n_train"):
        training_size.steps_per_epoch([0], 512)


def test_batch_phrase_says_full_batch_only_when_one_batch_holds_the_set():
    assert "full batch" in training_size.batch_phrase(205, 512)
    assert "full batch" in training_size.batch_phrase(3482, None)
    many = training_size.batch_phrase(3482, 512)
    assert "full batch" not in many and "7 steps" in many


def test_steps_right_answers_at_the_smallest_and_largest_sizes():
    small = check("3.steps", 1, train_fraction=0.05)
    assert small and small.expected == 1 and "full batch" in small.explanation and "confounded" in small.explanation
    large = check("3.steps", 7, train_fraction=0.85)
    assert large and large.expected == 7 and "3482" in large.explanation and "full batch" not in large.explanation


@pytest.mark.parametrize(("answer", "phrase"), [(6, "rounds m / batch down"), (3482 / 512, "round up"),
                                                (8, "all 4096 inputs"), (3482, "number of training inputs")])
def test_steps_typical_mistakes_are_named(answer, phrase):
    fb = check("3.steps", answer, train_fraction=0.85)
    assert not fb and phrase in fb.explanation and fb.expected == 7


@pytest.mark.parametrize("bad", ["seven", float("nan"), math.inf, None, True])
def test_steps_bad_input_fails_cleanly(bad):
    fb = check("3.steps", bad)
    assert not fb and "expected a finite number" in fb.explanation


def test_corner_is_h_y_minus_the_binary_entropy_of_the_noise():
    _, y = tishby_12bit()
    p_y = noisy_labels(y, 0.01).mean(axis=0)
    expected = entropy(p_y) - entropy([0.01, 0.99])  # independent of mutual_information on the joint
    right = check("3.corner", expected)
    assert right and right.expected == pytest.approx(expected, abs=1e-12)
    assert 0.9 < expected < entropy(np.bincount(y) / y.size)
    assert check("3.corner", 0.5, epsilon=0.1).expected == pytest.approx(
        entropy(noisy_labels(y, 0.1).mean(axis=0)) - entropy([0.1, 0.9]))


@pytest.mark.parametrize(("wrong", "phrase"), [("nats", "nats"), ("h_y", "H(Y)"), ("balanced", "balanced"),
                                               ("noise", "the noise")])
def test_corner_typical_mistakes_are_named(wrong, phrase):
    right = check("3.corner", 0.0).expected
    _, y = tishby_12bit()
    h_flip = entropy([0.01, 0.99])
    answer = {"nats": right * math.log(2), "h_y": entropy(np.bincount(y) / y.size), "balanced": 1 - h_flip,
              "noise": h_flip}[wrong]
    fb = check("3.corner", answer)
    assert not fb and phrase in fb.explanation and "I(X;Y) = H(Y) − H(Y|X)" in fb.explanation


@pytest.mark.parametrize("bad", ["0.918", float("nan"), [0.9, 0.9]])
def test_corner_bad_input_fails_cleanly(bad):
    fb = check("3.corner", bad)
    assert not fb and "expected a finite number" in fb.explanation


def test_decoder_floor_is_the_js_of_the_label_noise():
    eps = 0.01
    m = np.array([1 - eps / 2, eps / 2])  # the mixture of (1 - eps, eps) and (1, 0), computed here by hand
    js = entropy(m) - 0.5 * entropy([1 - eps, eps])
    right = check("3.decoder", js)
    assert right and right.expected == pytest.approx(js, rel=1e-9)
    assert "3.decoder" in available()
    assert not check("3.decoder", 0.0)
    nats = check("3.decoder", js * math.log(2))
    assert not nats and "nats" in nats.explanation
    noise = check("3.decoder", entropy([1 - eps, eps]))
    assert not noise and "entropy of the noise" in noise.explanation
    assert "at most 1 bit" in check("3.decoder", 3.0).explanation
    # more label noise, a higher floor
    assert check("3.decoder", entropy([1 - 0.025, 0.025]) - 0.5 * entropy([0.95, 0.05]), epsilon=0.05)
