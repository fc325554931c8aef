"""Chapter 4's self-check exercises: right answers pass, typical mistakes fail with an explanation, bad input
fails cleanly."""

import math

import pytest

from ipflow_lib.exercises import available, check


def test_chapter_4_checkers_are_registered():
    assert {"4.max_info", "4.classical"} <= set(available())


def test_max_info_inverts_the_bound():
    # independent of the library: the bound at the answer equals ε
    m, eps, delta = 3482, 0.05, 0.05
    answer = math.log2(2 * m * eps**2 - math.log(2 / delta))
    right = check("4.max_info", answer)
    assert right and right.expected == pytest.approx(answer)
    assert math.sqrt((2**answer + math.log(2 / delta)) / (2 * m)) == pytest.approx(eps)
    assert not check("4.max_info", answer + 0.1)


def test_max_info_follows_epsilon_and_the_training_size():
    fb = check("4.max_info", 0.0, epsilon=0.1, train_fraction=0.45)  # m = 1843
    assert fb.expected == pytest.approx(math.log2(2 * 1843 * 0.01 - math.log(40)))
    impossible = check("4.max_info", 1.0, epsilon=0.01, train_fraction=0.05)
    assert not impossible and math.isnan(impossible.expected)
    assert "no representation qualifies" in impossible.explanation


@pytest.mark.parametrize(("answer", "phrase"), [
    (math.log(2 * 3482 * 0.0025 - math.log(40)), "nats"),
    (math.log2(2 * 3482 * 0.0025), "confidence term"),
    (math.log2(3482), "log2 m"),
])
def test_max_info_typical_mistakes_are_named(answer, phrase):
    fb = check("4.max_info", answer)
    assert not fb and phrase in fb.explanation and "2^I" in fb.explanation


def test_classical_bound_is_vacuous_at_five_percent():
    expected = math.sqrt((4096 + math.log(40)) / (2 * 205))
    right = check("4.classical", expected)
    assert right and right.expected == pytest.approx(expected) and "says nothing" in right.explanation
    big = check("4.classical", math.sqrt((4096 + math.log(40)) / (2 * 3482)), train_fraction=0.85)
    assert big and big.expected < 1 and "says nothing" not in big.explanation


@pytest.mark.parametrize(("answer", "phrase"), [
    ((4096 + math.log(40)) / 410, "square root"),
    (math.sqrt((12 + math.log(40)) / 410), "2^H(X)"),
    (math.sqrt((4096 + math.log(40)) / 205), "instead of 2m"),
    (0.5, "not the classical bound"),
])
def test_classical_typical_mistakes_are_named(answer, phrase):
    fb = check("4.classical", answer)
    assert not fb and phrase in fb.explanation


@pytest.mark.parametrize("exercise", ["4.max_info", "4.classical"])
@pytest.mark.parametrize("bad", ["3.8", float("nan"), -math.inf, None])
def test_bad_input_fails_cleanly(exercise, bad):
    fb = check(exercise, bad)
    assert not fb and "expected a finite number" in fb.explanation
