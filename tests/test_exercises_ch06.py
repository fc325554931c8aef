"""Chapter 6's self-check exercises: right answers pass, typical mistakes fail with an explanation of why."""

import math

import numpy as np
import pytest

from ipflow_lib.exercises import available, check
from ipflow_lib.exercises.ch06 import OUTPUT_MEAN, OUTPUT_VARIANCE, TARGET
from ipflow_lib.experiments import infinite_ensembles


def test_chapter_6_checkers_are_registered():
    assert {"6.learning_slope", "6.bayes_gap"} <= set(available())


def test_learning_slope_counts_every_dense_layer_twice():
    depth = infinite_ensembles.Config().depth
    right = check("6.learning_slope", -2 * (depth + 1))
    assert right and right.expected == -2 * (depth + 1) and "read-out" in right.explanation
    assert check("6.learning_slope", -8, depth=3) and not check("6.learning_slope", -8)
    sign = check("6.learning_slope", 2 * (depth + 1))
    assert not sign and "sign" in sign.explanation
    hidden = check("6.learning_slope", -2 * depth)
    assert not hidden and "read-out" in hidden.explanation
    square = check("6.learning_slope", -(depth + 1))
    assert not square and "quadratic" in square.explanation
    with pytest.raises(ValueError, match="depth"):
        check("6.learning_slope", -2, depth=0)


def test_bayes_gap_matches_numerical_integration():
    noise = infinite_ensembles.Config().obs_var
    z = np.linspace(-12, 12, 200_001)  # quadrature of the two losses, independent of the checker's closed forms
    dz = z[1] - z[0]
    p = np.exp(-(z - OUTPUT_MEAN) ** 2 / (2 * OUTPUT_VARIANCE)) / np.sqrt(2 * np.pi * OUTPUT_VARIANCE)
    lik = np.exp(-(TARGET - z) ** 2 / (2 * noise)) / np.sqrt(2 * np.pi * noise)
    gibbs = float(np.sum(p * -np.log(lik)) * dz)
    bayes = float(-np.log(np.sum(p * lik) * dz))
    right = check("6.bayes_gap", gibbs - bayes)
    assert right and right.expected == pytest.approx(gibbs - bayes, abs=1e-6)
    assert right.expected > 0 and "Jensen" in right.explanation
    sign = check("6.bayes_gap", bayes - gibbs)
    assert not sign and "sign" in sign.explanation
    bits = check("6.bayes_gap", (gibbs - bayes) / math.log(2))
    assert not bits and "bits" in bits.explanation
    variance_only = check("6.bayes_gap", OUTPUT_VARIANCE / (2 * noise))
    assert not variance_only and "variance" in variance_only.explanation
    assert not check("6.bayes_gap", 0.0)


@pytest.mark.parametrize("exercise", ["6.learning_slope", "6.bayes_gap"])
@pytest.mark.parametrize("bad", ["-6", float("nan"), None, False, float("inf")])
def test_bad_answers_fail_cleanly(exercise, bad):
    feedback = check(exercise, bad)
    assert not feedback and "expected a finite number" in feedback.explanation
    assert np.isfinite(feedback.expected)


def test_mnist_collapse_is_the_label_entropy_of_the_split():
    from ipflow_lib.datasets import mnist_5k_split
    from ipflow_lib.experiments import infinite_ensembles_mnist

    n = infinite_ensembles_mnist.PRESETS["paper"].mnist_n_train
    counts = np.bincount(mnist_5k_split(n, 0, seed=0).y_train, minlength=10)
    h_y = float(-(counts / n * np.log2(counts / n)).sum())  # independent of the checker's loop
    right = check("6.mnist_collapse", h_y)
    assert right and right.expected == pytest.approx(h_y, abs=1e-12) and "stratified" in right.explanation
    assert right.expected == pytest.approx(math.log2(10), abs=1e-3)  # 300 images, 30 per digit
    ceiling = check("6.mnist_collapse", math.log2(n))
    assert not ceiling and "ceiling" in ceiling.explanation
    nats = check("6.mnist_collapse", h_y * math.log(2))
    assert not nats and "nats" in nats.explanation
    parity = check("6.mnist_collapse", 1.0)
    assert not parity and "parity" in parity.explanation
    # an unbalanced split (13 images: 1 or 2 per digit) has a smaller H(Y) than log2 10
    odd = check("6.mnist_collapse", math.log2(10), n_train=13)
    assert not odd and odd.expected < math.log2(10) - 0.05
    assert "6.mnist_collapse" in available()
