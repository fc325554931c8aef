"""Deep linear networks (Saxe et al. 2018): exact Gaussian-channel information against independent computations,
the trainer's gradients against finite differences, GD against SGD with the whole batch, and the quick
experiment's invariants."""

import dataclasses
import math

import numpy as np
import pytest

from ipflow_lib.estimators import ksg_mi
from ipflow_lib.experiments import linear_networks
from ipflow_lib.linear import (
    LinearSpec,
    channel_information,
    gaussian_mi,
    generalization_error,
    layer_maps,
    loss_gradients,
    teacher_student_data,
    train_linear,
)


def test_scalar_channel_is_half_log_of_one_plus_snr():
    info = channel_information([[2.0]], 1.0, 1.0)
    assert info.i_xt == pytest.approx(0.5 * math.log2(5.0), rel=1e-12)
    assert channel_information([[2.0]], 1.0, 1.0, base=math.e).i_xt == pytest.approx(0.5 * math.log(5.0))
    # one relevant and one irrelevant input, unit weights: each carries ½ log(1 + 1/(1 + σ²)) about T
    both = channel_information([[1.0, 1.0]], 1.0, 1.0, relevant=[True, False])
    assert both.i_t_rel == pytest.approx(0.5 * math.log2(1 + 1 / 2), rel=1e-12)
    assert both.i_t_irr == pytest.approx(both.i_t_rel, rel=1e-12)
    assert both.i_t_irr_given_rel == pytest.approx(0.5 * math.log2(2.0), rel=1e-12)


def test_gaussian_mi_of_correlated_pair():
    rho = 0.8
    assert gaussian_mi([[1.0]], [[1.0]], [[rho]]) == pytest.approx(-0.5 * math.log2(1 - rho**2), rel=1e-12)
    with pytest.raises(ValueError, match="do not fit"):
        gaussian_mi(np.eye(2), np.eye(1), np.zeros((1, 1)))


def _channel(seed=0):
    rng = np.random.default_rng(seed)
    m = rng.normal(size=(2, 3))
    v = np.array([1.0, 0.5, 2.0])
    w0 = rng.normal(size=(1, 3)) * [1.0, 1.0, 0.0]  # reads the first two inputs
    return m, v, 0.5, w0, 0.3, np.array([True, True, False])


def _samples(n, seed=1):
    m, v, s2, w0, s0, _ = _channel()
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)) * np.sqrt(v)
    t = x @ m.T + rng.normal(size=(n, 2)) * math.sqrt(s2)
    y = x @ w0.T + rng.normal(size=(n, 1)) * math.sqrt(s0)
    return x, t, y


def test_i_xt_equals_a_monte_carlo_over_the_mixture_marginal():
    """E log p(t|x)/p(t) with p(t) the average of p(t|x_j) over sampled inputs: no log-determinant involved."""
    m, v, s2, *_ = _channel()
    exact = channel_information(m, v, s2).i_xt
    x, t, _ = _samples(3000)
    centres = x[:1500] @ m.T  # p(t) ≈ mean_j N(t; M x_j, σ² I)
    x_eval, t_eval = x[1500:], t[1500:]
    sq = ((t_eval[:, None, :] - centres[None]) ** 2).sum(-1)
    log_pt = np.logaddexp.reduce(-sq / (2 * s2), axis=1) - math.log(len(centres))
    log_ptx = -((t_eval - x_eval @ m.T) ** 2).sum(-1) / (2 * s2)
    per_sample = (log_ptx - log_pt) / math.log(2)
    est, se = per_sample.mean(), per_sample.std() / math.sqrt(len(per_sample))
    assert abs(est - exact) < 4 * se + 0.03, (est, se, exact)
    assert exact > 0.5  # a real test: the channel carries information


def test_i_ty_and_relevant_information_agree_with_ksg_on_samples():
    m, v, s2, w0, s0, rel = _channel()
    info = channel_information(m, v, s2, w0, s0, rel)
    x, t, y = _samples(6000, seed=2)
    assert ksg_mi(t, y, k=5) == pytest.approx(float(info.i_ty), abs=0.06)
    assert ksg_mi(t, x[:, :2], k=5) == pytest.approx(float(info.i_t_rel), abs=0.06)
    assert ksg_mi(t, x[:, 2:], k=5) == pytest.approx(float(info.i_t_irr), abs=0.06)
    assert ksg_mi(t, x, k=5) == pytest.approx(float(info.i_xt), abs=0.08)


def test_chain_rule_and_data_processing_hold_for_random_channels():
    rng = np.random.default_rng(3)
    for _ in range(20):
        k, n = rng.integers(1, 6, size=2) + 1
        m = rng.normal(size=(k, n)) * rng.uniform(0.1, 3)
        rel = rng.random(n) < 0.5
        w0 = rng.normal(size=(2, n)) * rel
        info = channel_information(m, rng.uniform(0.1, 2, n), rng.uniform(0.01, 1), w0, rng.uniform(0.01, 1), rel)
        assert info.i_xt == pytest.approx(info.i_t_rel + info.i_t_irr_given_rel, rel=1e-9, abs=1e-12)
        assert info.i_t_irr <= info.i_t_irr_given_rel + 1e-12  # independent inputs: conditioning cannot hurt
        assert 0 <= info.i_ty <= info.i_xt + 1e-12  # Y ← X → T


def test_channel_information_rejects_bad_input():
    with pytest.raises(ValueError, match="noise_var"):
        channel_information([[1.0]], 1.0, 0.0)
    with pytest.raises(ValueError, match="relevant"):
        channel_information([[1.0, 2.0]], 1.0, 1.0, relevant=[True])
    with pytest.raises(ValueError, match="teacher_noise_var"):
        channel_information([[1.0]], 1.0, 1.0, teacher=[[1.0]])
    with pytest.raises(ValueError, match="finite"):
        channel_information([[np.nan]], 1.0, 1.0)


def _loss(weights, x, y):
    return float(loss_gradients(weights, x, y)[0])


@pytest.mark.parametrize("dims", [(4, 2), (4, 3, 2), (5, 3, 3, 2)])
def test_gradients_match_finite_differences(dims):
    rng = np.random.default_rng(4)
    weights = [rng.normal(size=(b, a)) for a, b in zip(dims[:-1], dims[1:], strict=True)]
    x, y = rng.normal(size=(dims[0], 7)), rng.normal(size=(dims[-1], 7))
    loss, grads = loss_gradients(weights, x, y)
    total = layer_maps(weights)[-1]
    assert loss == pytest.approx(0.5 * np.sum((y - total @ x) ** 2) / 7)
    if len(weights) == 1:  # one layer: the closed form −(y − Wx)xᵀ/B
        assert np.allclose(grads[0], -(y - weights[0] @ x) @ x.T / 7)
    h = 1e-6
    for j, w in enumerate(weights):
        for idx in [(0, 0), (w.shape[0] - 1, w.shape[1] - 1), (0, w.shape[1] - 1)]:
            plus = [a.copy() for a in weights]
            minus = [a.copy() for a in weights]
            plus[j][idx] += h
            minus[j][idx] -= h
            numeric = (_loss(plus, x, y) - _loss(minus, x, y)) / (2 * h)
            assert grads[j][idx] == pytest.approx(numeric, rel=1e-5, abs=1e-8), (j, idx)


def test_one_layer_gradient_closed_form():
    rng = np.random.default_rng(5)
    w, x, y = rng.normal(size=(2, 4)), rng.normal(size=(4, 9)), rng.normal(size=(2, 9))
    _, (g,) = loss_gradients([w], x, y)
    assert np.allclose(g, -(y - w @ x) @ x.T / 9, rtol=1e-12)


SMALL = LinearSpec(n_inputs=8, n_relevant=3, n_hidden=6, n_train=12, n_epochs=40, n_logged_points=6,
                   n_networks=3, learning_rate=0.5, init_std=0.3)


def test_full_batch_is_deterministic_and_equals_sgd_with_the_whole_batch():
    a, b = train_linear(SMALL), train_linear(SMALL)
    assert np.array_equal(a.i_xt, b.i_xt) and np.array_equal(a.test_error, b.test_error)
    whole = train_linear(SMALL.replace(batch_size=SMALL.n_train))  # shuffled, but one batch holds everything
    assert whole.steps == a.steps == SMALL.n_epochs
    for field in ("train_error", "test_error", "i_xt", "i_ty", "i_t_irr"):
        assert np.allclose(getattr(whole, field), getattr(a, field), rtol=1e-9, atol=1e-12), field
    mini = train_linear(SMALL.replace(batch_size=5))  # batches 5, 5, 2
    assert mini.steps == SMALL.n_epochs * 3
    assert not np.allclose(mini.test_error[:, -1], a.test_error[:, -1], rtol=1e-3)
    assert a.train_error[:, -1].mean() < a.train_error[:, 0].mean()  # it learns


def test_exact_test_error_matches_fresh_samples():
    w0, *_ = teacher_student_data(SMALL, 0)
    rng = np.random.default_rng(6)
    w = w0 + rng.normal(size=w0.shape) * 0.5
    x = rng.normal(size=(SMALL.n_inputs, 200_000)) * math.sqrt(SMALL.input_var)
    y = w0 @ x + rng.normal(size=(1, x.shape[1])) * math.sqrt(SMALL.teacher_noise_var)
    sampled = np.mean(np.sum((y - w @ x) ** 2, axis=0))
    assert generalization_error(w, w0, SMALL.input_var, SMALL.teacher_noise_var) == pytest.approx(sampled, rel=0.01)


def test_divergence_is_reported():
    with pytest.raises(FloatingPointError, match="learning_rate"):
        train_linear(SMALL.replace(learning_rate=1e4, n_epochs=200))


def test_spec_validates_and_logs_from_zero():
    assert SMALL.logged_epochs[0] == 0 and SMALL.logged_epochs[-1] == SMALL.n_epochs
    assert SMALL.relevant.sum() == 3 and LinearSpec().relevant.all()
    with pytest.raises(ValueError, match="n_relevant"):
        LinearSpec(n_inputs=4, n_relevant=5)
    with pytest.raises(ValueError, match="batch_size"):
        LinearSpec(n_train=10, batch_size=11)
    with pytest.raises(ValueError, match="learning_rate"):
        LinearSpec(learning_rate=0.0)


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:  # a private cache for this module's one run
        mp.setenv("IPFLOW_CACHE", str(tmp_path_factory.mktemp("cache")))
        return linear_networks.run(linear_networks.PRESETS["quick"])


def test_quick_experiment_invariants(quick):
    for name, r in quick.runs.items():
        assert np.all(r.i_ty >= 0) and np.all(r.i_xt >= r.i_ty - 1e-9), name  # data processing, exact
        assert np.allclose(r.i_xt, r.i_t_rel + r.i_t_irr_given_rel, rtol=1e-9, atol=1e-10), name
        assert np.all(r.i_t_irr <= r.i_t_irr_given_rel + 1e-10), name
        assert r.i_xt.shape == (r.spec.n_networks, len(r.logged_epochs), r.spec.n_hidden_layers)
    for name in ("generalization", "subspace-gd"):  # full-batch GD with a stable step never raises the loss
        err = quick.runs[name].train_error
        assert np.all(np.diff(err, axis=1) <= 1e-9 * err[:, :-1]), name
    gen = quick.runs["generalization"]
    assert np.all(gen.i_t_irr == 0)  # every input relevant
    s = quick.summary()
    assert all(isinstance(v, (int, float, str)) for v in s.values())
    assert s["gen_test_min"] <= s["gen_test_final"] and s["gen_overfit"] > 0  # it overfits ...
    assert s["gen_ixt_final"] > s["gen_ixt_at_best"]  # ... while I(X;T) keeps growing
    assert s["gd_irr_peak"] > s["gd_irr_final"] and s["sgd_irr_peak"] > s["sgd_irr_final"]
    assert s["sgd_steps"] == s["gd_steps"] * s["sub_n_train"] // s["sgd_batch"]


def test_config_builds_the_sgd_run_with_a_scaled_rate():
    cfg = linear_networks.Config()
    sgd = cfg.specs()["subspace-sgd"]
    assert sgd.batch_size == cfg.sgd_batch_size
    assert sgd.learning_rate == pytest.approx(cfg.subspace.learning_rate * cfg.sgd_batch_size / cfg.subspace.n_train)
    with pytest.raises(ValueError, match="irrelevant"):
        linear_networks.Config(subspace=cfg.subspace.replace(n_relevant=None))
    assert dataclasses.replace(cfg) == cfg


def test_self_check_irrelevant_information():
    from ipflow_lib.exercises import available, check
    from ipflow_lib.exercises.ch05_linear import NOISE_VARIANCE, WEIGHTS

    assert "5.linear_irrelevant" in available()
    a, b, s2 = WEIGHTS[0] ** 2, WEIGHTS[1] ** 2, NOISE_VARIANCE
    by_hand = 0.5 * math.log2((a + b + s2) / (a + s2))  # x_rel is noise for x_irr
    right = check("5.linear_irrelevant", by_hand)
    assert right and right.expected == pytest.approx(by_hand, rel=1e-12)
    nats = check("5.linear_irrelevant", by_hand * math.log(2))
    assert not nats and "nats" in nats.explanation
    known = check("5.linear_irrelevant", 0.5 * math.log2(1 + b / s2))
    assert not known and "X_rel" in known.explanation
    total = check("5.linear_irrelevant", 0.5 * math.log2(1 + (a + b) / s2))
    assert not total and "both inputs" in total.explanation
    assert not check("5.linear_irrelevant", "0.13")
