"""The vectorised trainer against independent references (torch) and its own invariances."""

import numpy as np
import pytest

from ipflow_lib.datasets import tishby_12bit
from ipflow_lib.ensembles import forward, initial_params, log_spaced_epochs, train_ensemble
from ipflow_lib.estimators import binned_mi
from ipflow_lib.experiments import Checkpoint
from ipflow_lib.experiments.information_plane import train_test_masks

torch = pytest.importorskip("torch")

WIDTHS = (6, 4, 3)
SIZES = (12, *WIDTHS, 2)


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
    run = train_ensemble(X, y, train, test, seeds=[0, 1, 2], hidden_widths=WIDTHS, optimizer=optimizer,
                         learning_rate=lr, batch_size=None, n_epochs=1, logged_epochs=[0], estimators={})
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
    run = train_ensemble(X, y, train[:1], test[:1], seeds=[7], hidden_widths=WIDTHS, optimizer="sgd",
                         learning_rate=lr, n_epochs=1, logged_epochs=[0], estimators={})
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
    kw = dict(hidden_widths=WIDTHS, batch_size=64, n_epochs=6, logged_epochs=[0, 2, 5], learning_rate=1e-2)
    a = train_ensemble(X, y, train, test, seeds=[0, 1, 2], **kw)
    b = train_ensemble(X, y, train, test, seeds=[0, 1, 2], **kw)
    np.testing.assert_array_equal(a.estimates["binning"].i_xt, b.estimates["binning"].i_xt)
    np.testing.assert_array_equal(a.params[0][0], b.params[0][0])
    # network 1 trained alone equals network 1 trained with the others (its own seed and mask only)
    alone = train_ensemble(X, y, train[1:2], test[1:2], seeds=[1], **kw)
    np.testing.assert_allclose(alone.params[0][0][0], a.params[0][0][1], atol=1e-5)
    np.testing.assert_allclose(alone.train_loss[0], a.train_loss[1], rtol=1e-5)


def test_networks_with_different_training_sizes_in_one_run(data):
    """Padding batches of the smaller training set must not move its weights (nor Adam's moments)."""
    X, y, _, _ = data
    train, test = train_test_masks(4096, 0.05, [4])
    big, big_test = train_test_masks(4096, 0.5, [5])
    kw = dict(hidden_widths=WIDTHS, batch_size=100, n_epochs=4, logged_epochs=[0, 3], learning_rate=1e-2)
    both = train_ensemble(X, y, np.vstack([train, big]), np.vstack([test, big_test]), seeds=[4, 5], **kw)
    small_alone = train_ensemble(X, y, train, test, seeds=[4], **kw)
    np.testing.assert_allclose(both.params[0][0][0], small_alone.params[0][0][0], atol=1e-5)
    np.testing.assert_allclose(both.train_acc[0], small_alone.train_acc[0], atol=1e-6)


def test_streamed_estimates_equal_estimator_on_recorded_activations(data):
    X, y, train, test = data
    run = train_ensemble(X, y, train, test, seeds=[0, 1, 2], hidden_widths=WIDTHS, batch_size=128, n_epochs=5,
                         logged_epochs=[0, 4], record_epochs=[4], learning_rate=1e-2)
    layers = run.activations[4]
    assert [t.shape for t in layers] == [(3, 4096, w) for w in (*WIDTHS, 2)]
    for k, t in enumerate(layers):
        i_xt, i_ty = binned_mi(t, y)
        np.testing.assert_allclose(run.estimates["binning"].i_xt[:, 1, k], i_xt)
        np.testing.assert_allclose(run.estimates["binning"].i_ty[:, 1, k], i_ty)
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


def test_interrupted_run_resumes_with_identical_numbers(data, tmp_path):
    X, y, train, test = data
    kw = dict(seeds=[0, 1, 2], hidden_widths=WIDTHS, batch_size=128, n_epochs=12, logged_epochs=[0, 1, 3, 7, 11],
              learning_rate=1e-2)
    reference = train_ensemble(X, y, train, test, **kw)
    calls = []

    def flaky(t, labels):
        calls.append(1)
        if len(calls) == 3 * 4 + 1:  # interrupt in the 4th logged epoch, after checkpoints were saved
            raise Interrupt
        return binned_mi(t, labels)

    ckpt = Checkpoint(tmp_path / "run.pkl")
    with pytest.raises(Interrupt):
        train_ensemble(X, y, train, test, estimators={"binning": flaky}, checkpoint=ckpt, checkpoint_every_s=0, **kw)
    assert ckpt.path.exists()
    resumed = train_ensemble(X, y, train, test, estimators={"binning": binned_mi}, checkpoint=ckpt, **kw)
    np.testing.assert_array_equal(resumed.estimates["binning"].i_xt, reference.estimates["binning"].i_xt)
    np.testing.assert_allclose(resumed.params[0][0], reference.params[0][0])
    np.testing.assert_allclose(resumed.grad_std, reference.grad_std)


def test_stop_event_saves_progress_and_the_run_resumes(data, tmp_path):
    """A run in a worker thread is stopped through its event (Ctrl-C reaches only the main thread)."""
    import threading

    from ipflow_lib.ensembles import TrainingStopped

    X, y, train, test = data
    kw = dict(seeds=[0, 1, 2], hidden_widths=WIDTHS, batch_size=128, n_epochs=12, logged_epochs=[0, 1, 3, 7, 11],
              learning_rate=1e-2)
    reference = train_ensemble(X, y, train, test, **kw)
    stop, calls = threading.Event(), []

    def stopping(t, labels):  # sets the event while logged epoch 3 is measured (the estimators' thread)
        calls.append(1)
        if len(calls) == 2 * 4 + 1:
            stop.set()
        return binned_mi(t, labels)

    ckpt = Checkpoint(tmp_path / "run.pkl")
    with pytest.raises(TrainingStopped, match="progress saved"):
        train_ensemble(X, y, train, test, estimators={"binning": stopping}, checkpoint=ckpt, stop=stop, **kw)
    state = ckpt.load()
    assert 3 <= state["index"] < 5 and state["epoch"] == kw["logged_epochs"][state["index"] - 1] + 1
    resumed = train_ensemble(X, y, train, test, checkpoint=ckpt, **kw)
    np.testing.assert_array_equal(resumed.estimates["binning"].i_xt, reference.estimates["binning"].i_xt)
    np.testing.assert_allclose(resumed.params[0][0], reference.params[0][0])


def test_divergence_is_reported(data):
    X, y, train, test = data
    with pytest.raises(ValueError, match="diverged"):
        train_ensemble(X, y, train, test, seeds=[0, 1, 2], hidden_widths=WIDTHS, activation="linear",
                       optimizer="sgd", learning_rate=1e12, n_epochs=20, logged_epochs=[0, 19], estimators={})


def test_bad_arguments(data):
    X, y, train, test = data
    kw = dict(seeds=[0, 1, 2], hidden_widths=WIDTHS, n_epochs=5, logged_epochs=[0, 4])
    with pytest.raises(ValueError, match="train_mask"):
        train_ensemble(X, y, train[:2], test, **kw)
    with pytest.raises(ValueError, match="logged_epochs"):
        train_ensemble(X, y, train, test, **{**kw, "logged_epochs": [4, 0]})
    with pytest.raises(ValueError, match="logged_epochs"):
        train_ensemble(X, y, train, test, **{**kw, "logged_epochs": [0, 5]})
    with pytest.raises(ValueError, match="activation"):
        train_ensemble(X, y, train, test, **{**kw, "activation": "sigmoid"})
    with pytest.raises(ValueError, match="y must have shape"):
        train_ensemble(X, y[:-1], train, test, **kw)
    with pytest.raises(ValueError, match="estimator_epochs"):
        train_ensemble(X, y, train, test, estimator_epochs={"kde": [0]}, **kw)
