"""VIB and the variational dual IB (ipflow_lib.variational) and their β sweep experiment."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from ipflow_lib import variational as v  # noqa: E402
from ipflow_lib.datasets import digits  # noqa: E402


@pytest.fixture(scope="module")
def data():
    x, y, xt, yt, _ = digits(n_train=400, n_test=200, seed=0)
    return x, y, xt, yt


SMALL = dict(hidden_widths=(32,), z_dim=4, batch_size=50, learning_rate=1e-2)


def test_loss_terms_match_closed_forms():
    torch.manual_seed(0)
    model = v.GaussianEncoderEnsemble(5, (7,), 3, 4, seeds=[1, 2])
    x = torch.randn(2, 6, 5)
    p = torch.distributions.Dirichlet(torch.ones(4)).sample((2, 6))
    eps = torch.randn(2, 6, 3)
    terms = v.loss_terms(model, x, p, eps)
    mu, sigma = model.encode(x)
    # rate: KL between diagonal Gaussians by torch.distributions, independently of our closed form
    enc = torch.distributions.Normal(mu, sigma)
    prior = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(sigma))
    kl = torch.distributions.kl_divergence(enc, prior).sum(-1)
    torch.testing.assert_close(terms["rate"], kl, rtol=1e-4, atol=1e-4)
    # CE and dual KL from the decoder probabilities, by hand in numpy (float64)
    q = torch.softmax(model.decode(mu + sigma * eps), -1).detach().double().numpy()
    pn = p.double().numpy()
    np.testing.assert_allclose(terms["ce"].detach().numpy(), -(pn * np.log(q)).sum(-1), rtol=1e-4)
    np.testing.assert_allclose(terms["dual"].detach().numpy(), (q * np.log(q / pn)).sum(-1), rtol=1e-3, atol=1e-5)


def test_objective_weights_each_term_as_documented():
    terms = {k: torch.tensor([[1.0, 3.0]] * 3) * s for k, s in (("rate", 1.0), ("ce", 10.0), ("dual", 100.0))}
    beta, gamma = torch.tensor([2.0, 2.0, 2.0]), torch.tensor([0.5, 0.5, 0.5])
    got = v.objective(terms, ["vib", "vdualib", "vdualib_pure"], beta, gamma)
    # batch means: rate 2, ce 20, dual 200
    np.testing.assert_allclose(got.numpy(), [2 + 2 * 20, 2 + 2 * 20 + 0.5 * 200, 2 + 0.5 * 200])
    with pytest.raises(ValueError, match="kind"):
        v.objective(terms, ["vib", "ib", "vib"], beta, gamma)


def test_equal_seeds_give_equal_initial_networks():
    model = v.GaussianEncoderEnsemble(6, (5, 4), 2, 3, seeds=[3, 3, 4])
    for w in list(model.weights) + list(model.biases):
        assert torch.equal(w[0], w[1])
        assert not torch.equal(w[0], w[2])


def test_noise_models_are_stochastic_matrices(data):
    x, y, _, _ = data
    c = v.confusion_noise(x, y, 10, seed=0)
    assert c.shape == (10, 10) and np.all(c > 0)
    np.testing.assert_allclose(c.sum(1), 1.0)
    assert np.all(np.argmax(c, axis=1) == np.arange(10))  # a decent classifier: mass on the diagonal
    u = v.uniform_noise(4, 0.3)
    np.testing.assert_allclose(u, [[0.7, 0.1, 0.1, 0.1], [0.1, 0.7, 0.1, 0.1], [0.1, 0.1, 0.7, 0.1],
                                   [0.1, 0.1, 0.1, 0.7]])
    with pytest.raises(ValueError, match="epsilon"):
        v.uniform_noise(4, 0.0)
    with pytest.raises(ValueError, match="pseudo_count"):
        v.confusion_noise(x, y, 10, pseudo_count=0.0)


def test_losses_decrease_for_every_objective(data):
    x, y, _, _ = data
    noise = v.uniform_noise(10, 0.05)
    kinds = ["vib", "vdualib", "vdualib_pure"]
    hist = v.train_variational_ensemble(x, y, noise, kinds=kinds, betas=[10.0] * 3, gammas=[10.0] * 3, seeds=[0] * 3,
                            n_epochs=15, **SMALL)
    assert hist.loss.shape == (3, 15)
    assert np.all(hist.loss[:, -3:].mean(1) < 0.5 * hist.loss[:, :3].mean(1))


def test_sweep_is_reproducible_and_models_independent_of_the_rest(data):
    x, y, xt, yt = data
    noise = v.uniform_noise(10, 0.05)
    kw = dict(n_epochs=4, **SMALL)
    a = v.train_variational_ensemble(x, y, noise, kinds=["vib", "vdualib"], betas=[3.0, 30.0], gammas=[3.0, 30.0],
                         seeds=[5, 5], **kw)
    b = v.train_variational_ensemble(x, y, noise, kinds=["vib", "vdualib"], betas=[3.0, 30.0], gammas=[3.0, 30.0],
                         seeds=[5, 5], **kw)
    np.testing.assert_array_equal(a.loss, b.loss)
    ea, eb = v.evaluate(a.model, xt, yt, noise, seed=1), v.evaluate(b.model, xt, yt, noise, seed=1)
    for key in ea:
        np.testing.assert_array_equal(ea[key], eb[key])
    # the second model trained alone follows the same trajectory as inside the sweep
    alone = v.train_variational_ensemble(x, y, noise, kinds=["vdualib"], betas=[30.0], gammas=[30.0], seeds=[5], **kw)
    np.testing.assert_allclose(alone.loss[0], a.loss[1], rtol=1e-4)
    # another seed gives another trajectory
    other = v.train_variational_ensemble(x, y, noise, kinds=["vdualib"], betas=[30.0], gammas=[30.0], seeds=[6], **kw)
    assert not np.allclose(other.loss[0], a.loss[1])


def test_beta_trades_rate_for_prediction(data):
    """Small β collapses the encoder (rate ≈ 0, chance accuracy); large β keeps information and accuracy."""
    x, y, xt, yt = data
    noise = v.uniform_noise(10, 0.05)
    betas = [0.2, 100.0]
    hist = v.train_variational_ensemble(x, y, noise, kinds=["vib", "vib", "vdualib", "vdualib"], betas=betas * 2,
                            gammas=betas * 2, seeds=[0] * 4, n_epochs=30, **SMALL)
    ev = v.evaluate(hist.model, xt, yt, noise)
    h_y = np.log2(10)
    assert np.all(ev["rate"] >= 0) and np.all(ev["i_zy"] <= h_y + 1e-6)
    for low, high in ((0, 1), (2, 3)):
        assert ev["rate"][low] < 1.0 < 5.0 < ev["rate"][high]
        assert ev["accuracy"][low] < 0.25 < 0.8 < ev["accuracy"][high]
        assert ev["i_zy"][low] < 0.2 < 1.5 < ev["i_zy"][high]
        # the data-processing inequality holds for the bounds: I(Z;Y) lower bound <= I(X;Z) upper bound
        assert ev["i_zy"][high] <= ev["rate"][high]


def test_bad_input_is_rejected(data):
    x, y, _, _ = data
    noise = v.uniform_noise(10, 0.05)
    with pytest.raises(ValueError, match="beta"):
        v.train_variational_ensemble(x, y, noise, kinds=["vib"], betas=[0.0], gammas=[1.0], seeds=[0], n_epochs=1)
    with pytest.raises(ValueError, match="same"):
        v.train_variational_ensemble(x, y, noise, kinds=["vib"], betas=[1.0, 2.0], gammas=[1.0], seeds=[0], n_epochs=1)
    with pytest.raises(ValueError, match="noise"):
        v.train_variational_ensemble(x, y, np.eye(10), kinds=["vib"], betas=[1.0], gammas=[1.0], seeds=[0], n_epochs=1)
    bad = x.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        v.train_variational_ensemble(bad, y, noise, kinds=["vib"], betas=[1.0], gammas=[1.0], seeds=[0], n_epochs=1)


def test_experiment_sweep_is_reproducible(tmp_path):
    from ipflow_lib.experiments import Checkpoint
    from ipflow_lib.experiments import variational_dual_ib as exp

    config = exp.Config(dataset="digits", noise_pca=None, kinds=("vib", "vdualib"), betas=(2.0, 50.0), seeds=(0, 1),
                        n_train=300, hidden_widths=(16,), z_dim=4, n_epochs=3, n_eval_samples=2)
    first = exp._compute(config, Checkpoint(tmp_path / "a.pkl"))
    second = exp._compute(config, Checkpoint(tmp_path / "b.pkl"))
    assert first.rate_test.shape == (2, 2, 2) and first.loss.shape == (2, 2, 2, 3)
    for name in ("rate_test", "i_zy_test", "accuracy_test", "loss", "noise"):
        np.testing.assert_array_equal(getattr(first, name), getattr(second, name))
    assert first.n_train == 300 and first.n_test == 1497
    assert not np.array_equal(first.loss[:, :, 0], first.loss[:, :, 1])  # seeds differ
    # the summaries: interpolation through a curve's own points returns them, NaN outside its range
    own = first.rate_test.mean(-1)[0]
    at = exp.i_zy_at_rate(first, np.append(own, own.max() + 1.0), "test")
    np.testing.assert_allclose(at[0, :-1], first.i_zy_test.mean(-1)[0], atol=1e-9)
    assert np.isnan(at[0, -1])
    summ = first.summary()
    assert all(isinstance(k, str) and isinstance(val, int | float | str) for k, val in summ.items())  # flat
    for i, kind in enumerate(first.kinds):
        assert summ[f"best_{kind}"] == pytest.approx(100 * first.accuracy_test.mean(-1)[i].max())
        assert summ[f"leave_beta_{kind}"] in (*first.betas, float("inf"))
    # the margin over VIB is the gap of the interpolated curves at the rate where it is quoted, and no rate
    # covered by both curves has a larger one
    at = exp.i_zy_at_rate(first, [summ["margin_at_vdualib"]])[:, 0]
    assert summ["margin_vdualib"] == pytest.approx(at[1] - at[0], abs=1e-9)
    mean_rate = first.rate_test.mean(-1)
    dense = exp.i_zy_at_rate(first, np.linspace(mean_rate.min(1).max(), mean_rate.max(1).min(), 2000))
    assert np.nanmax(dense[1] - dense[0]) <= summ["margin_vdualib"] + 1e-3
    assert summ["n_networks"] == 2 and summ["n_betas"] == 2


def test_transition_order_words():
    from ipflow_lib.experiments import variational_dual_ib as exp

    assert exp.transition_order(10.0, 3.0) == "later than"
    assert exp.transition_order(3.0, 3.0) == "no later than"
    assert exp.transition_order(1.0, float("inf")) == "no later than"


def test_experiment_runs_on_the_mnist_digits(tmp_path):
    from ipflow_lib.experiments import Checkpoint
    from ipflow_lib.experiments import variational_dual_ib as exp

    assert exp.Config().dataset == "mnist" and exp.PRESETS["quick"].dataset == "mnist"
    config = exp.Config(kinds=("vib",), betas=(1.0, 300.0), seeds=(0,), n_train=500, hidden_widths=(32,), z_dim=4,
                        n_epochs=10, batch_size=50, learning_rate=3e-3, n_eval_samples=2)
    res = exp._compute(config, Checkpoint(tmp_path / "m.pkl"))
    assert res.n_train == 500 and res.n_test == 4500 and res.rate_test.shape == (1, 2, 1)
    np.testing.assert_allclose(res.noise.sum(1), 1.0) and np.all(res.noise > 0)
    assert res.h_y == pytest.approx(np.log2(10), abs=1e-3)  # 450 test images of every class
    assert res.accuracy_test[0, 1, 0] > 0.5 > 0.1  # a large β learns the real digits, well above chance
    assert res.rate_test[0, 1, 0] > res.rate_test[0, 0, 0]  # and pays for it in rate
    summ = res.summary()
    assert summ["dataset"] == "mnist" and summ["n_inputs"] == 784 and summ["hidden"] == "32"
    settings = exp.paper_settings()
    assert all(k.startswith("alemi_") for k in settings) and settings["alemi_z_dim"] == 256
    with pytest.raises(ValueError, match="dataset"):
        exp._compute(exp.Config(dataset="cifar"), Checkpoint(tmp_path / "c.pkl"))
