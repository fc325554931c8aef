"""The vectorised trainer against independent references (torch) and its own invariances."""

import numpy as np
import pytest

from ipflow_lib.datasets import tishby_12bit, train_test_masks
from ipflow_lib.ensembles import (
    TrainingLog,
    TrainingSpec,
    TrainingStopped,
    compile_trainer,
    forward,
    initial_params,
    log_spaced_epochs,
    train_ensemble,
)
from ipflow_lib.estimators import binned_mi
from ipflow_lib.runtime import Checkpoint

torch = pytest.importorskip("torch")

WIDTHS = (6, 4, 3)
SIZES = (12, *WIDTHS, 2)


def spec(logged, n_epochs=None, **kw) -> TrainingSpec:
    """A small TrainingSpec with an explicit logged-epoch schedule (n_epochs: one past the last logged)."""
    kw.setdefault("hidden_widths", WIDTHS)
    return TrainingSpec(custom_logged_epochs=tuple(logged), n_epochs=n_epochs or max(logged[-1] + 1, 2), **kw)


@pytest.fixture(scope="module")
def data():
    X, y = tishby_12bit()
    train, test = train_test_masks(4096, 0.3, [0, 1, 2])
    return X, y, train, test


def torch_loss(params, X, y):
    h = torch.tensor(X)
    for w, b in params[:-1]:
        h = torch.tanh(h @ w + b)
    w, b = params[-1]
    return torch.nn.functional.cross_entropy(h @ w + b, torch.tensor(y))


def as_torch(params, net):
    return [(torch.tensor(w[net], dtype=torch.float64, requires_grad=True),
             torch.tensor(b[net], dtype=torch.float64, requires_grad=True)) for w, b in params]


def test_logged_epochs_of_the_paper():
    e = log_spaced_epochs(10_000, 1800)
    assert e.size == 964 and e[0] == 0 and e[-1] == 9998
    np.testing.assert_array_equal(e[:214], np.arange(214))  # every epoch up to 213


def test_initialisation_is_truncated_normal_over_sqrt_fan_in():
    params = initial_params(np.arange(200), (12, 10))
    w = params[0][0]
    assert np.abs(w).max() <= 2 / np.sqrt(12) + 1e-6
    # std of a standard normal truncated at ±2 is 0.8796
    assert w.std() * np.sqrt(12) == pytest.approx(0.8796, rel=0.03)
    assert (params[0][1] == 0).all()


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_one_full_batch_step_equals_torch(data, optimizer):
    X, y, train, test = data
    lr = 0.05
    run = train_ensemble(X, y, train, test, spec([0], optimizer=optimizer, learning_rate=lr, batch_size=None),
                         seeds=[0, 1, 2], estimators={})
    p0 = initial_params([0, 1, 2], SIZES)
    for net in range(3):
        tp = as_torch(p0, net)
        flat = [p for pair in tp for p in pair]
        opt = torch.optim.SGD(flat, lr=lr) if optimizer == "sgd" else torch.optim.Adam(flat, lr=lr)
        loss = torch_loss(tp, X[train[net]].astype(np.float64), y[train[net]])
        opt.zero_grad()
        loss.backward()
        grad_norms = [float(w.grad.norm()) for w, _ in tp]
        opt.step()
        for (w_j, b_j), (w_t, b_t) in zip(run.params, tp, strict=True):
            np.testing.assert_allclose(w_j[net], w_t.detach().numpy(), atol=2e-6)
            np.testing.assert_allclose(b_j[net], b_t.detach().numpy(), atol=2e-6)
        # full batch: the "mean" gradient is the gradient, and there is no spread across batches
        np.testing.assert_allclose(run.grad_mean[net, 0], grad_norms, rtol=1e-4)
        np.testing.assert_allclose(run.grad_std[net, 0], 0.0, atol=1e-6)
        assert run.train_loss[net, 0] == pytest.approx(loss.item(), rel=1e-5)


def test_gradient_matches_finite_differences(data):
    """The SGD step (θ0 − θ1)/lr is the gradient: check one coordinate per layer by central differences."""
    X, y, train, test = data
    lr = 1.0  # large enough that float32 weights resolve the step
    s = spec([0], optimizer="sgd", learning_rate=lr, batch_size=None)  # one full-batch step
    run = train_ensemble(X, y, train[:1], test[:1], s, seeds=[7], estimators={})
    p0 = initial_params([7], SIZES)
    Xt, yt = X[train[0]].astype(np.float64), y[train[0]]
    for layer in range(len(p0)):
        grad = (p0[layer][0][0] - run.params[layer][0][0]) / lr
        params = [(w[0].astype(np.float64).copy(), b[0].astype(np.float64)) for w, b in p0]
        eps = 1e-5
        params[layer][0][0, 0] += eps
        up = float(torch_loss([(torch.tensor(w), torch.tensor(b)) for w, b in params], Xt, yt))
        params[layer][0][0, 0] -= 2 * eps
        down = float(torch_loss([(torch.tensor(w), torch.tensor(b)) for w, b in params], Xt, yt))
        assert grad[0, 0] == pytest.approx((up - down) / (2 * eps), rel=2e-3, abs=1e-6)


def test_same_seed_same_numbers_and_networks_are_independent(data):
    X, y, train, test = data
    s = spec([0, 2, 5], batch_size=64, learning_rate=1e-2, n_networks=3)
    a = train_ensemble(X, y, train, test, s)
    b = train_ensemble(X, y, train, test, s, seeds=[0, 1, 2])
    np.testing.assert_array_equal(a.estimates["binning"].i_xt, b.estimates["binning"].i_xt)
    np.testing.assert_array_equal(a.params[0][0], b.params[0][0])
    # network 1 trained alone equals network 1 trained with the others (its own seed and mask only)
    alone = train_ensemble(X, y, train[1:2], test[1:2], s.replace(n_networks=1, seed=1))
    np.testing.assert_allclose(alone.params[0][0][0], a.params[0][0][1], atol=1e-5)
    np.testing.assert_allclose(alone.train_loss[0], a.train_loss[1], rtol=1e-5)


def test_networks_with_different_training_sizes_in_one_run(data):
    """Padding batches of the smaller training set must not move its weights (nor Adam's moments)."""
    X, y, _, _ = data
    train, test = train_test_masks(4096, 0.05, [4])
    big, big_test = train_test_masks(4096, 0.5, [5])
    s = spec([0, 3], batch_size=100, learning_rate=1e-2)
    both = train_ensemble(X, y, np.vstack([train, big]), np.vstack([test, big_test]), s, seeds=[4, 5])
    small_alone = train_ensemble(X, y, train, test, s, seeds=[4])
    np.testing.assert_allclose(both.params[0][0][0], small_alone.params[0][0][0], atol=1e-5)
    np.testing.assert_allclose(both.train_acc[0], small_alone.train_acc[0], atol=1e-6)


def test_streamed_estimates_equal_estimator_on_recorded_activations(data):
    X, y, train, test = data
    run = train_ensemble(X, y, train, test, spec([0, 4], batch_size=128, learning_rate=1e-2), seeds=[0, 1, 2],
                         record_epochs=[4])
    layers = run.activations[4]
    assert [t.shape for t in layers] == [(3, 4096, w) for w in (*WIDTHS, 2)]
    for k, t in enumerate(layers):  # the default estimator bins inside the jitted evaluation: the same numbers
        i_xt, i_ty = binned_mi(t, y)
        np.testing.assert_array_equal(run.estimates["binning"].i_xt[:, 1, k], i_xt)
        np.testing.assert_array_equal(run.estimates["binning"].i_ty[:, 1, k], i_ty)
    # recorded activations are the forward pass of the final weights' predecessor: check the output layer
    # sums to one and that the first layer is tanh of an affine map of X
    np.testing.assert_allclose(layers[-1].sum(axis=-1), 1.0, atol=1e-5)
    assert np.abs(layers[0]).max() < 1


def test_forward_returns_softmax_output():
    import jax

    params = [(np.asarray(w[0]), np.asarray(b[0])) for w, b in initial_params([0], SIZES)]
    X, _ = tishby_12bit()
    layers, logits = forward(params, X[:10])
    np.testing.assert_allclose(np.asarray(layers[-1]), np.asarray(jax.nn.softmax(logits)), rtol=1e-6)


class Interrupt(Exception):
    pass


RESUME = spec([0, 1, 3, 7, 11], n_epochs=12, batch_size=128, learning_rate=1e-2, n_networks=3)


def test_interrupted_run_resumes_with_identical_numbers(data, tmp_path):
    X, y, train, test = data
    reference = train_ensemble(X, y, train, test, RESUME)
    calls = []

    def flaky(t, labels):
        calls.append(1)
        if len(calls) == 3 * 4 + 1:  # interrupt in the 4th logged epoch, after checkpoints were saved
            raise Interrupt
        return binned_mi(t, labels)

    ckpt = Checkpoint(tmp_path / "run.pkl")
    with pytest.raises(Interrupt):
        train_ensemble(X, y, train, test, RESUME, estimators={"binning": flaky}, checkpoint=ckpt, checkpoint_every_s=0)
    assert ckpt.path.exists()
    resumed = train_ensemble(X, y, train, test, RESUME, estimators={"binning": binned_mi}, checkpoint=ckpt)
    np.testing.assert_array_equal(resumed.estimates["binning"].i_xt, reference.estimates["binning"].i_xt)
    np.testing.assert_array_equal(resumed.params[0][0], reference.params[0][0])
    np.testing.assert_array_equal(resumed.grad_std, reference.grad_std)
    np.testing.assert_array_equal(resumed.train_loss, reference.train_loss)


def test_stop_event_saves_progress_and_the_run_resumes(data, tmp_path):
    """A run in a worker thread is stopped through its event (Ctrl-C reaches only the main thread)."""
    import threading

    X, y, train, test = data
    reference = train_ensemble(X, y, train, test, RESUME)
    stop, calls = threading.Event(), []

    def stopping(t, labels):  # sets the event while logged epoch 3 is measured (the estimators' thread)
        calls.append(1)
        if len(calls) == 2 * 4 + 1:
            stop.set()
        return binned_mi(t, labels)

    ckpt = Checkpoint(tmp_path / "run.pkl")
    with pytest.raises(TrainingStopped, match="progress saved"):
        train_ensemble(X, y, train, test, RESUME, estimators={"binning": stopping}, checkpoint=ckpt, stop=stop)
    state = ckpt.load()
    logged = RESUME.custom_logged_epochs
    assert 3 <= state["index"] < 5 and state["epoch"] == logged[state["index"] - 1] + 1
    resumed = train_ensemble(X, y, train, test, RESUME, checkpoint=ckpt)
    np.testing.assert_array_equal(resumed.estimates["binning"].i_xt, reference.estimates["binning"].i_xt)
    np.testing.assert_array_equal(resumed.params[0][0], reference.params[0][0])


def test_divergence_is_reported(data):
    X, y, train, test = data
    with pytest.raises(ValueError, match="diverged"):
        train_ensemble(X, y, train, test, spec([0, 19], activation="linear", optimizer="sgd", learning_rate=1e12,
                                                n_networks=3), estimators={})


def test_bad_arguments(data):
    X, y, train, test = data
    s = spec([0, 4], n_networks=3)
    with pytest.raises(ValueError, match="train_mask"):
        train_ensemble(X, y, train[:2], test, s)
    with pytest.raises(ValueError, match="test_mask"):
        train_ensemble(X, y, train, test.astype(int), s)
    with pytest.raises(ValueError, match="y must have shape"):
        train_ensemble(X, y[:-1], train, test, s)
    with pytest.raises(TypeError, match="y must hold"):
        train_ensemble(X, y.astype(float), train, test, s)
    with pytest.raises(ValueError, match="every network needs"):
        train_ensemble(X, y, np.zeros_like(train), test, s)
    with pytest.raises(ValueError, match="estimator_epochs"):
        train_ensemble(X, y, train, test, s, estimator_epochs={"kde": [0]})
    with pytest.raises(ValueError, match="estimator_epochs"):
        train_ensemble(X, y, train, test, s, estimator_epochs={"binning": [1]})
    with pytest.raises(ValueError, match="record_epochs"):
        train_ensemble(X, y, train, test, s, record_epochs=[3])
    with pytest.raises(TypeError, match="TrainingSpec"):
        train_ensemble(X, y, train, test, {"hidden_widths": WIDTHS})


# --------------------------------------------------------------------------------------------------
# TrainingSpec


@pytest.mark.parametrize(("field", "value", "error"), [
    ("hidden_widths", [6, 4], TypeError),
    ("hidden_widths", (), TypeError),
    ("hidden_widths", (6, 0), ValueError),
    ("hidden_widths", (6, 2.5), TypeError),
    ("activation", "sigmoid", ValueError),
    ("optimizer", "rmsprop", ValueError),
    ("init", "xavier", ValueError),
    ("learning_rate", "0.1", TypeError),
    ("learning_rate", 0.0, ValueError),
    ("learning_rate", float("nan"), ValueError),
    ("batch_size", 0, ValueError),
    ("batch_size", 64.0, TypeError),
    ("n_epochs", 1, ValueError),
    ("n_logged_points", 0, ValueError),
    ("n_networks", True, TypeError),
    ("n_networks", 0, ValueError),
    ("seed", -1, ValueError),
    ("custom_logged_epochs", [0, 1], TypeError),
    ("custom_logged_epochs", (4, 0), ValueError),
    ("custom_logged_epochs", (0, 1, 1), ValueError),
    ("custom_logged_epochs", (0, 10), ValueError),  # n_epochs is 10
])
def test_training_spec_rejects_bad_settings_naming_the_field(field, value, error):
    good = TrainingSpec(n_epochs=10)
    with pytest.raises(error, match=f"TrainingSpec.{field}"):
        good.replace(**{field: value})


def test_training_spec_schedule_and_seeds():
    paper = TrainingSpec()
    assert paper.logged_epochs.size == 964 and paper.logged_epochs[-1] == 9998  # SZT17 schedule
    np.testing.assert_array_equal(paper.seeds, np.arange(50))
    s = paper.replace(n_epochs=20, custom_logged_epochs=(0, 3, 19), seed=5, n_networks=2)
    np.testing.assert_array_equal(s.logged_epochs, [0, 3, 19])
    np.testing.assert_array_equal(s.seeds, [5, 6])
    assert paper.n_epochs == 10_000  # replace copies
    hash(s)  # frozen and hashable


# --------------------------------------------------------------------------------------------------
# The compile step on its own


@pytest.fixture(scope="module")
def compiled(data):
    X, y, train, test = data
    trainer = compile_trainer(TrainingSpec(hidden_widths=WIDTHS, batch_size=200, learning_rate=1e-2), SIZES,
                              X.shape[0], int(train.sum(axis=1).max()))
    return trainer, trainer.data(X.astype(np.float32), y.astype(np.int32), train, test)


def test_compiled_geometry_and_initialisation(data, compiled):
    trainer, _ = compiled
    n_train = int(data[2].sum(axis=1).max())
    assert trainer.batch == 200 and trainer.n_batches == -(-n_train // 200) and trainer.n_layers == 4
    params, _, _ = trainer.init(np.array([3, 8]))
    for (w, b), (w0, b0) in zip(trainer.layer_params(params), initial_params([3, 8], SIZES), strict=True):
        np.testing.assert_array_equal(w, w0)
        np.testing.assert_array_equal(b, b0)
    full = compile_trainer(TrainingSpec(hidden_widths=WIDTHS, batch_size=None), SIZES, 4096, 1000)
    assert (full.batch, full.n_batches) == (1000, 1)
    with pytest.raises(ValueError, match="layer_sizes"):
        compile_trainer(TrainingSpec(hidden_widths=WIDTHS), (12, 6, 4, 2), 4096, 1000)
    with pytest.raises(ValueError, match="n_train_max"):
        compile_trainer(TrainingSpec(hidden_widths=WIDTHS), SIZES, 4096, 5000)
    with pytest.raises(TypeError, match="spec"):
        compile_trainer({"hidden_widths": WIDTHS}, SIZES, 4096, 1000)


def test_advance_over_k_epochs_equals_k_single_epochs(compiled):
    trainer, d = compiled
    params, opt_state, keys = trainer.init(np.array([0, 1, 2]))
    p_adv, o_adv = trainer.advance(params, opt_state, keys, 0, 3, d)
    p, o = params, opt_state
    for epoch in range(3):
        p, o, stats = trainer.epoch_with_stats(p, o, keys, epoch, d)
    np.testing.assert_array_equal(np.asarray(p_adv), np.asarray(p))
    np.testing.assert_array_equal(np.asarray(o_adv[0].mu), np.asarray(o[0].mu))  # Adam's first moment
    assert not np.array_equal(np.asarray(p), np.asarray(params))  # it did train
    # mini-batches of one epoch differ, so the spread of their gradients is positive
    assert stats.shape == (3, 2, 4) and (np.asarray(stats)[:, 1] > 0).all()
    # the shuffle depends on the epoch: epoch 3 from the same state is not epoch 4 from it
    a = trainer.epoch_with_stats(p, o, keys, 3, d)[0]
    b = trainer.epoch_with_stats(p, o, keys, 4, d)[0]
    assert not np.array_equal(np.asarray(a), np.asarray(b))


def test_evaluate_equals_a_numpy_recomputation(data, compiled):
    X, y, train, test = data
    trainer, d = compiled
    params, opt_state, keys = trainer.init(np.array([0, 1, 2]))
    params, _ = trainer.advance(params, opt_state, keys, 0, 2, d)
    layers, metrics, weight_norm = trainer.evaluate(params, d)
    metrics, weight_norm = np.asarray(metrics), np.asarray(weight_norm)
    final = trainer.layer_params(params)
    for net in range(3):
        h = X.astype(np.float64)
        for k, (w, b) in enumerate(final):
            z = h @ w[net].astype(np.float64) + b[net]
            h = np.tanh(z) if k < len(final) - 1 else z
            if k < len(final) - 1:
                np.testing.assert_allclose(np.asarray(layers[k])[net], h, atol=1e-5)
            assert weight_norm[net, k] == pytest.approx(np.linalg.norm(w[net]), rel=1e-5)
        log_p = z - z.max(axis=1, keepdims=True)
        log_p -= np.log(np.exp(log_p).sum(axis=1, keepdims=True))
        np.testing.assert_allclose(np.asarray(layers[-1])[net], np.exp(log_p), atol=1e-5)
        ce, correct = -log_p[np.arange(y.size), y], z.argmax(axis=1) == y
        expected = [ce[train[net]].mean(), ce[test[net]].mean(), correct[train[net]].mean(), correct[test[net]].mean()]
        np.testing.assert_allclose(metrics[net], expected, rtol=1e-5)


# --------------------------------------------------------------------------------------------------
# The logged-epoch buffers on their own


def filled_log(rng):
    log = TrainingLog.empty(2, 3, [0, 2, 5], ["a", "b"], estimator_epochs={"b": [5]}, record_epochs=[2])
    for i in range(3):
        log.record(i, rng.normal(size=(2, 4)), rng.normal(size=(2, 3)))
        log.record_gradients(i, rng.normal(size=(2, 2, 3)))
    layers = [rng.normal(size=(2, 7, w)) for w in (4, 3, 2)]
    log.keep_activations(2, layers)
    return log


def test_training_log_schedules_and_estimates():
    log = TrainingLog.empty(2, 3, [0, 2, 5], ["a", "b"], estimator_epochs={"b": [5]}, record_epochs=[2])
    assert log.metrics.shape == (4, 2, 3) and np.isnan(log.metrics).all()
    assert log.estimates["a"].shape == (2, 2, 3, 3) and log.estimates["b"].shape == (2, 2, 1, 3)
    assert [log.needs_layers(e) for e in (0, 2, 5)] == [True, True, True]
    only = TrainingLog.empty(2, 3, [0, 2, 5], ["b"], estimator_epochs={"b": [5]})
    assert [only.needs_layers(e) for e in (0, 2, 5)] == [False, False, True]
    layers = [np.full((2, 7, w), float(w)) for w in (4, 3, 2)]
    estimators = {"a": lambda t, y: (t.mean(axis=(1, 2)), -t.mean(axis=(1, 2))), "b": lambda t, y: (t[:, 0, 0], 0)}
    log.measure(2, layers, estimators, np.zeros(7, int))
    np.testing.assert_array_equal(log.estimates["a"][0, :, 1], [[4, 3, 2], [4, 3, 2]])
    np.testing.assert_array_equal(log.estimates["a"][1, :, 1], [[-4, -3, -2], [-4, -3, -2]])
    assert np.isnan(log.estimates["a"][:, :, [0, 2]]).all() and np.isnan(log.estimates["b"]).all()
    log.measure(5, layers, estimators, np.zeros(7, int))
    np.testing.assert_array_equal(log.estimates["b"][0, :, 0], [[4, 3, 2], [4, 3, 2]])
    with pytest.raises(ValueError, match="estimator_epochs"):
        TrainingLog.empty(2, 3, [0, 2, 5], ["a"], estimator_epochs={"a": [1]})
    with pytest.raises(ValueError, match="record_epochs"):
        TrainingLog.empty(2, 3, [0, 2, 5], ["a"], record_epochs=[3])


def test_training_log_to_run_names_the_rows():
    log = filled_log(np.random.default_rng(0))
    run = log.to_run((4, 3, 2), params=None)
    for k, name in enumerate(("train_loss", "test_loss", "train_acc", "test_acc")):
        np.testing.assert_array_equal(getattr(run, name), log.metrics[k])
    np.testing.assert_array_equal(run.grad_mean, log.grad[0])
    np.testing.assert_array_equal(run.grad_std, log.grad[1])
    np.testing.assert_array_equal(run.estimates["b"].epochs, [5])
    assert run.layer_widths == (4, 3, 2) and list(run.activations) == [2]


def test_training_log_checkpoint_round_trip(tmp_path):
    rng = np.random.default_rng(1)
    log = filled_log(rng)
    estimators = {"a": lambda t, y: (t[:, 0, 0], t[:, 1, 0]), "b": lambda t, y: (t[:, 2, 0], t[:, 3, 0])}
    log.measure(5, [rng.normal(size=(2, 7, w)) for w in (4, 3, 2)], estimators, None)
    params = rng.normal(size=(2, 11)).astype(np.float32)
    opt_state = ({"mu": rng.normal(size=(2, 11))}, np.int32(7))
    ckpt = Checkpoint(tmp_path / "log.pkl")
    log.save(ckpt, 2, 3, params, opt_state)
    fresh = TrainingLog.empty(2, 3, [0, 2, 5], ["a", "b"], estimator_epochs={"b": [5]}, record_epochs=[2])
    index, epoch, p, o = fresh.load(ckpt)
    assert (index, epoch) == (2, 3)
    np.testing.assert_array_equal(p, params)
    np.testing.assert_array_equal(o[0]["mu"], opt_state[0]["mu"])
    assert o[1] == 7
    for name in ("metrics", "grad", "weight_norm"):
        np.testing.assert_array_equal(getattr(fresh, name), getattr(log, name))
    for name in ("a", "b"):
        np.testing.assert_array_equal(fresh.estimates[name], log.estimates[name])
    for a, b in zip(fresh.activations[2], log.activations[2], strict=True):
        np.testing.assert_array_equal(a, b)
    # a checkpoint of another kind (another trainer's) is not resumed and leaves the buffers alone
    ckpt.save({"kind": "something else", "index": 1})
    other = TrainingLog.empty(2, 3, [0, 2, 5], ["a"])
    assert other.load(ckpt) is None and np.isnan(other.metrics).all()


@pytest.mark.parametrize("activation", ["tanh", "relu", "linear"])
def test_hand_written_gradient_equals_autodiff(data, activation):
    """The trainer's gradient (tanh: forward and backward by hand, samples as the last axis; relu, linear: autodiff
    with a one-hot cross entropy) against jax.grad of the cross entropy of :func:`forward`, on one full-batch SGD
    step; the all-zero input is in the training set, where z = 0 at b = 0 (JAX's derivative of maximum(z, 0): 1/2)."""
    import jax
    import jax.numpy as jnp

    X, y, train, test = data
    zero = np.flatnonzero(~X.any(axis=1))[0]  # the all-zero input, put in every training set
    train, test = train.copy(), test.copy()
    train[:, zero], test[:, zero] = True, False
    lr = 1.0
    s = spec([0], optimizer="sgd", learning_rate=lr, batch_size=None, activation=activation)
    run = train_ensemble(X, y, train, test, s, seeds=[0, 1, 2], estimators={})
    p0 = initial_params([0, 1, 2], SIZES)
    for net in range(3):
        params = [(jnp.asarray(w[net]), jnp.asarray(b[net])) for w, b in p0]
        Xt, yt = jnp.asarray(X[train[net]], jnp.float32), jnp.asarray(y[train[net]])

        def loss(params, Xt=Xt, yt=yt):
            _, logits = forward(params, Xt, activation)
            return -jnp.mean(jax.nn.log_softmax(logits)[jnp.arange(yt.shape[0]), yt])

        grads = jax.grad(loss)(params)
        for (w1, b1), (w0, b0), (gw, gb) in zip(run.params, p0, grads, strict=True):
            np.testing.assert_allclose((w0[net] - w1[net]) / lr, np.asarray(gw), atol=2e-6)
            np.testing.assert_allclose((b0[net] - b1[net]) / lr, np.asarray(gb), atol=2e-6)


def test_timings_say_where_the_time_went(data):
    from ipflow_lib.ensembles import TIMINGS

    X, y, train, test = data
    run = train_ensemble(X, y, train, test, spec([0, 3, 9], batch_size=128, learning_rate=1e-2), seeds=[0, 1, 2])
    assert set(run.timings) == {*TIMINGS, "total"} and min(run.timings.values()) >= 0
    main_thread = sum(v for k, v in run.timings.items() if k not in ("total", "estimators (worker thread)"))
    assert run.timings["compile"] > 0 and run.timings["training"] > 0 and main_thread <= run.timings["total"]
