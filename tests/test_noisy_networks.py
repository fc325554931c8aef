"""Noisy networks (Goldfeld et al. 2019): the SP estimator against known entropies, the noise option of the
trainer (β = 0 is the noise-free trainer bit for bit, and its cache keys are unchanged), noise propagation,
the single neuron, the clustering measure and a tiny run of the experiment."""

import math
import pickle

import joblib
import numpy as np
import pytest
from scipy import integrate

from ipflow_lib.datasets import tishby_12bit, train_test_masks
from ipflow_lib.ensembles import TrainingSpec, initial_params, train_ensemble
from ipflow_lib.estimators import gaussian_entropy, mixture_entropy, sample_propagation_mi
from ipflow_lib.experiments import noisy_networks as nn


def _quadrature_entropy(centres, beta):
    """h of the 1-d mixture (1/n) Σ N(c_i, β²) in bits, by adaptive quadrature (independent of the library)."""
    c = np.asarray(centres, dtype=float)

    def p(t):
        return np.mean(np.exp(-0.5 * ((t - c) / beta) ** 2)) / (beta * math.sqrt(2 * math.pi))

    def integrand(t):
        v = p(t)
        return -v * math.log(v) if v > 0 else 0.0

    points = sorted(set(np.round(c, 9)))
    lo, hi = c.min() - 12 * beta, c.max() + 12 * beta
    h, _ = integrate.quad(integrand, lo, hi, points=points if len(points) < 50 else None, limit=400)
    return h / math.log(2)


# ------------------------------------------------------------------------------------------------
# The sample-propagation estimator
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("centres, beta", [([0.0, 0.1, 0.25, 1.0], 0.1), ([0.0, 0.0, 0.05, 0.3, 0.31], 0.08),
                                           (list(np.linspace(-1, 1, 9)), 0.2)])
def test_mixture_entropy_matches_quadrature_of_overlapping_mixtures(centres, beta):
    h, se = mixture_entropy(np.asarray(centres)[:, None], beta, n_mc=20_000, seed=1)
    exact = _quadrature_entropy(centres, beta)
    assert se > 0
    assert abs(float(h) - exact) < 4 * float(se) + 1e-3


def test_well_separated_components_give_log_k_plus_the_gaussian_entropy():
    rng = np.random.default_rng(0)
    k, d, beta = 16, 3, 0.01
    centres = rng.uniform(-1, 1, (k, d)) * 50  # far apart compared with β
    h, se = mixture_entropy(centres, beta, n_mc=4000, seed=0)
    expected = math.log2(k) + float(gaussian_entropy(beta**2, d))
    assert abs(float(h) - expected) < 4 * float(se) + 1e-9
    # one component: the Gaussian entropy itself
    h1, _ = mixture_entropy(centres[:1], beta, n_mc=100, seed=0)
    assert float(h1) == pytest.approx(float(gaussian_entropy(beta**2, d)), abs=1e-9)


def test_mixture_entropy_error_bar_covers_the_truth_across_seeds():
    centres, beta = np.array([[0.0], [0.15], [0.4]]), 0.1
    exact = _quadrature_entropy(centres[:, 0], beta)
    z = [(float(h) - exact) / float(se) for h, se in (mixture_entropy(centres, beta, n_mc=500, seed=s)
                                                       for s in range(40))]
    assert abs(np.mean(z)) < 0.6 and 0.6 < np.std(z) < 1.5  # unbiased, and the error bar has the right size


def test_sample_propagation_mi_first_layer_and_conditional_parts():
    rng = np.random.default_rng(0)
    beta = 0.05
    s = rng.uniform(-1, 1, (2, 64, 2)) * 10  # 64 inputs far apart: I(X;T) = log2 64
    est = sample_propagation_mi(s, None, beta, n_mc=2000, seed=0)
    assert est.i_xt == pytest.approx([6.0, 6.0], abs=4 * est.i_xt_stderr.max() + 1e-6)
    assert np.allclose(est.h_t_given_x, gaussian_entropy(beta**2, 2))
    # conditional samples that all coincide with the input's centre give the same answer
    same = np.repeat(s[:, :8, None, :], 5, axis=2)
    est2 = sample_propagation_mi(s, same, beta, n_mc=2000, seed=0)
    assert np.allclose(est2.h_t_given_x, gaussian_entropy(beta**2, 2), atol=1e-9)
    # inputs whose noisy samples spread over 2 far-apart points lose exactly one bit
    split = same.copy()
    split[:, :, 2:, :] += 100.0
    est3 = sample_propagation_mi(s, split, beta, n_mc=2000, n_mc_conditional=500, seed=0)
    assert est3.h_t_given_x - est2.h_t_given_x == pytest.approx([1.0, 1.0] * 1, abs=0.1)
    with pytest.raises(ValueError, match="conditional_centres"):
        sample_propagation_mi(s, same[:, :, :, :1], beta)
    with pytest.raises(ValueError, match="beta"):
        mixture_entropy(s, 0.0)


# ------------------------------------------------------------------------------------------------
# The trainer's noise option
# ------------------------------------------------------------------------------------------------
SMALL = TrainingSpec(hidden_widths=(6, 4), n_networks=2, n_epochs=12, custom_logged_epochs=(0, 5, 11), batch_size=256)
# Recorded from the trainer before the noise option existed (same machine class, float32 CPU).
GOLDEN_W = [[-0.029987789690494537, 0.28635597229003906, -0.08360519260168076],
            [-0.2941553592681885, -0.2828177213668823, -0.08823972940444946],
            [0.07209760695695877, 0.27922874689102173, -0.2424299716949463]]
GOLDEN_LOSS = [[0.7537059187889099, 0.7028778195381165, 0.6829884648323059],
               [0.6903855204582214, 0.6619358062744141, 0.6369158029556274]]


def _train(spec):
    X, y = tishby_12bit()
    tr, te = train_test_masks(X.shape[0], 0.85, spec.seeds)
    return train_ensemble(X, y, tr, te, spec)


def test_beta_zero_is_the_noise_free_trainer_bit_for_bit():
    plain, zero = _train(SMALL), _train(SMALL.replace(hidden_noise_std=0.0))
    for a, b in zip(plain.params, zero.params, strict=True):
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert np.array_equal(plain.train_loss, zero.train_loss)
    # and the numbers are those of the trainer before the option existed
    np.testing.assert_allclose(plain.params[0][0][0, :3, :3], GOLDEN_W, rtol=1e-6)
    np.testing.assert_allclose(plain.train_loss, GOLDEN_LOSS, rtol=1e-6)
    noisy = _train(SMALL.replace(hidden_noise_std=0.1))
    assert not np.array_equal(noisy.params[0][0], plain.params[0][0])  # the noise is used in training
    assert np.array_equal(noisy.train_loss[:, 0], plain.train_loss[:, 0])  # same start, measured without noise


def test_noise_option_leaves_cache_keys_unchanged_and_is_validated():
    # joblib hashes of noise-free specs, recorded before the field existed
    assert joblib.hash(TrainingSpec()) == "283025c73d31513c1416e34aa611ee42"
    assert joblib.hash(SMALL) == "f9411483664d667fa91871930ad3e6e5"
    noisy = SMALL.replace(hidden_noise_std=0.005)
    assert joblib.hash(noisy) != joblib.hash(SMALL)
    assert pickle.loads(pickle.dumps(noisy)) == noisy and pickle.loads(pickle.dumps(SMALL)).hidden_noise_std == 0.0
    for bad, err in ((-0.1, ValueError), (float("nan"), ValueError), ("0.1", TypeError), (True, TypeError)):
        with pytest.raises(err, match="hidden_noise_std"):
            TrainingSpec(hidden_noise_std=bad)
    with pytest.raises(ValueError, match="hidden_noise_std"):
        nn.Config(training=TrainingSpec())


def test_noise_propagates_to_later_layers():
    params = initial_params([0], (12, 10, 7, 5, 2))
    x = np.repeat(tishby_12bit()[0][:1], 4000, axis=0)  # one input, 4000 noisy passes
    beta = 0.05
    s = nn.propagate_samples(params, x, beta, np.random.default_rng(0))
    assert np.ptp(s[0], axis=1).max() == 0.0  # S_1 = f_1(x) is deterministic
    spread2 = s[1][0].std(axis=0)
    assert spread2.min() > 0.01  # S_2 = f_2(T_1) carries the noise of layer 1
    t2 = s[1][0] + beta * np.random.default_rng(1).standard_normal(s[1][0].shape)
    assert (t2.std(axis=0) > 1.05 * beta).all()  # T_2 spreads more than its own noise alone
    clean = nn.propagate_samples(params, x[:3], 0.0, np.random.default_rng(0))
    assert all(np.ptp(c, axis=1).max() == 0.0 for c in clean)


# ------------------------------------------------------------------------------------------------
# Single neuron, clustering, the experiment
# ------------------------------------------------------------------------------------------------
def test_single_neuron_information_rises_then_falls():
    w = np.logspace(-2, 1.5, 60)
    i = nn.single_neuron_information(w, (-3.0, -1.0, 1.0, 3.0), beta=0.05)
    peak = int(np.argmax(i))
    assert 0 < peak < w.size - 1
    assert i[0] < 0.2 and i[peak] == pytest.approx(2.0, abs=0.02) and i[-1] == pytest.approx(1.0, abs=0.02)
    assert np.all(np.diff(i[: peak + 1]) > -1e-6) and i[-1] < i[peak] - 0.9
    # the quadrature agrees with the Monte Carlo estimator at one weight
    c = np.tanh(0.3 * np.array([-3.0, -1.0, 1.0, 3.0]))[:, None]
    h, se = mixture_entropy(c, 0.05, n_mc=20_000, seed=0)
    mc = float(h) - float(gaussian_entropy(0.05**2, 1))
    assert abs(nn.single_neuron_information([0.3], beta=0.05)[0] - mc) < 4 * float(se) + 1e-3


def test_clustered_fraction_counts_close_pairs():
    t = np.array([[0.0, 0.0], [0.001, 0.0], [1.0, 1.0], [5.0, 5.0]])
    assert nn.clustered_fraction(t, 0.01) == pytest.approx(2 / 12)
    assert nn.clustered_fraction(np.stack([t, np.zeros_like(t)]), 0.01) == pytest.approx([2 / 12, 1.0])


def test_tiny_run_measures_what_it_should():
    cfg = nn.Config(training=TrainingSpec(hidden_widths=(6, 3), hidden_noise_std=0.01, batch_size=256, n_networks=2,
                                          n_epochs=30, custom_logged_epochs=(0, 10, 29)),
                    n_mc=128, n_mc_conditional=32, n_conditional_inputs=8, n_replicas=8, n_cluster_inputs=128,
                    neuron_weights=(0.01, 0.3, 30.0), n_bootstrap=20, n_calls=1)
    r = nn.compute(cfg)
    assert r.i_xt_sp.shape == (2, 3, 2) and r.clustered.shape == (2, 3, 2) and r.train_acc.shape == (2, 3)
    # at initialisation the 4096 inputs stay apart in the first layer: SP and binning both see ~12 bits
    assert r.i_xt_sp[:, 0, 0] == pytest.approx(12.0, abs=4 * r.i_xt_sp_stderr[:, 0, 0].max() + 0.05)
    assert (r.i_xt_sp <= 12.0 + 4 * r.i_xt_sp_stderr + 1e-6).all()
    assert np.all(r.i_xt_sp_stderr[..., 1] > 0)
    s = r.summary()
    assert s["n_networks"] == 2 and s["arch"] == "12-6-3-2" and s["neuron_n_inputs"] == 4
    assert all(isinstance(v, (int, float, str)) for v in s.values())


# ------------------------------------------------------------------------------------------------
# The self-check exercise
# ------------------------------------------------------------------------------------------------
def test_noisy_saturated_exercise():
    from ipflow_lib.exercises import available, check
    from ipflow_lib.exercises.ch05_noisy import NEURON_INPUTS

    assert "5.noisy_saturated" in available()
    p = np.mean(np.asarray(NEURON_INPUTS) < 2)  # the share of inputs in the −1 cluster, written out here
    entropy = -(p * math.log2(p) + (1 - p) * math.log2(1 - p))
    right = check("5.noisy_saturated", entropy)
    assert right and right.expected == pytest.approx(entropy, abs=1e-4)
    nats = check("5.noisy_saturated", entropy * math.log(2))
    assert not nats and "nats" in nats.explanation
    apart = check("5.noisy_saturated", 2.0)
    assert not apart and "further apart" in apart.explanation
    equal = check("5.noisy_saturated", 1.0)
    assert not equal and "equally likely" in equal.explanation
    assert not check("5.noisy_saturated", 0.3) and not check("5.noisy_saturated", "many")
