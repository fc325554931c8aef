"""The paper's setups as stated: SGD and the caption's architectures, the equal-steps control of the
training-size sweep, and the decoder half of the IB self-consistent equations."""

import numpy as np
import pytest

from ipflow_lib.datasets import tishby_12bit
from ipflow_lib.ensembles import TrainingSpec, compile_trainer
from ipflow_lib.experiments import depth, ib_layers, information_plane, training_size
from ipflow_lib.information import js_divergence

TINY = TrainingSpec(n_networks=2, n_epochs=20, n_logged_points=8)


# ------------------------------------------------------------------------------------------------
# Equal steps
# ------------------------------------------------------------------------------------------------
def _trainer_steps(config: training_size.Config) -> list[int]:
    """Optimiser steps of the whole run per training size, as the compiled trainer takes them."""
    X, _ = tishby_12bit()
    from ipflow_lib.datasets import sweep_masks

    train, _ = sweep_masks(X.shape[0], config.train_fractions, [0])
    n_train = train[:, 0].sum(axis=1)
    steps = []
    for m, b in zip(n_train, training_size.batch_sizes(config, n_train), strict=True):
        spec = config.training.replace(batch_size=b)
        trainer = compile_trainer(spec, (12, *spec.hidden_widths, 2), X.shape[0], int(m))
        steps.append(trainer.n_batches * spec.n_epochs)
    return steps


def test_equal_steps_control_takes_the_same_optimizer_steps_at_every_size():
    paper = training_size.PRESETS["paper"]
    base = _trainer_steps(paper)
    assert len(set(base)) > 1  # the sweep itself is confounded: 1 step per epoch at 5 %, 7 at 85 %
    assert base[0] == paper.training.n_epochs and base[-1] == 7 * paper.training.n_epochs
    control = training_size.equal_steps_control(paper)
    assert control.equal_steps == 7 and control.train_fractions == paper.train_fractions
    steps = _trainer_steps(control)
    assert steps == [7 * paper.training.n_epochs] * len(paper.train_fractions)
    # same epochs and logged epochs: only the mini-batches change
    assert np.array_equal(control.training.logged_epochs, paper.training.logged_epochs)


def test_equal_steps_batch_splits_into_exactly_k_batches():
    for m in (205, 410, 819, 1843, 3482, 4096):
        for k in (1, 2, 7):
            for preferred in (None, 512):
                b = training_size.equal_steps_batch([m], k, preferred)[0]
                assert -(-m // b) == k
    assert training_size.equal_steps_batch([3482], 7, preferred=512) == [512]  # the sweep's batch where it fits
    assert training_size.equal_steps_batch([3482], 7) == [498]
    with pytest.raises(ValueError, match="exactly 4 batches"):
        training_size.equal_steps_batch([5], 4)  # 5 = 2+2+1 or 1+1+1+1+1: never 4
    with pytest.raises(ValueError):
        training_size.equal_steps_batch([3], 4)
    with pytest.raises(ValueError, match="equal_steps"):
        training_size.Config(equal_steps=0)


def test_equal_steps_run_changes_only_the_small_sizes():
    base_cfg = training_size.Config(train_fractions=(0.05, 0.85), training=TINY)
    base = training_size.run(base_cfg)
    ctl = training_size.run(training_size.equal_steps_control(base_cfg))
    assert base.steps_per_epoch().tolist() == [1, 7]
    assert ctl.steps_per_epoch().tolist() == [7, 7]
    assert ctl.batch_sizes() == [30, 512]
    assert ctl.summary()["equal_steps"] == 7 and base.summary()["equal_steps"] == 0
    # the largest size trains exactly as in the sweep (same batch, seeds and data); the smallest does not
    np.testing.assert_array_equal(ctl.i_xt[1], base.i_xt[1])
    np.testing.assert_array_equal(ctl.output_prob[1], base.output_prob[1])
    assert not np.array_equal(ctl.train_loss[0], base.train_loss[0])
    # the kept outputs are the softmax: rows sum to 1
    np.testing.assert_allclose(base.output_prob.sum(axis=-1), 1.0, atol=1e-5)


# ------------------------------------------------------------------------------------------------
# The decoder half of the self-consistent equations
# ------------------------------------------------------------------------------------------------
def test_decoder_divergence_against_a_per_cell_computation():
    rng = np.random.default_rng(0)
    n = 60
    cells = rng.integers(0, 5, size=n)
    q = rng.dirichlet([1.0, 1.0], size=n)  # the network's outputs
    p = rng.dirichlet([0.5, 0.5], size=n)  # the labels' p(y|x)
    expected = 0.0
    for t in np.unique(cells):
        inside = cells == t
        expected += inside.mean() * js_divergence(p[inside].mean(0), q[inside].mean(0))
    assert ib_layers.decoder_divergence(cells, q, p) == pytest.approx(expected, rel=1e-9)
    # cell labels do not matter; a network that outputs p(y|x) has the IB decoder exactly
    assert ib_layers.decoder_divergence(cells * 7 + 3, q, p) == pytest.approx(expected, rel=1e-9)
    assert ib_layers.decoder_divergence(cells, p, p) == pytest.approx(0.0, abs=1e-12)
    # leading axes are independent problems
    both = ib_layers.decoder_divergence(np.stack([cells, cells]), np.stack([q, p]), p)
    np.testing.assert_allclose(both, [expected, 0.0], atol=1e-12)
    with pytest.raises(ValueError, match="do not match"):
        ib_layers.decoder_divergence(cells, q[:-1], p)


def test_decoder_divergence_is_the_label_noise_for_a_perfect_network():
    """A network that outputs the clean label on every input, against the ε-noisy labels: JS(1-ε, 1) per cell."""
    from ipflow_lib.datasets import noisy_labels

    _, y = tishby_12bit()
    eps = 0.05
    clean = np.eye(2)[y]
    cells = np.arange(y.size)  # every input its own cell
    js = js_divergence([1 - eps, eps], [1.0, 0.0])
    assert ib_layers.decoder_divergence(cells, clean, noisy_labels(y, eps)) == pytest.approx(js, rel=1e-9)
    # one cell for everything: both decoders are the label marginal, up to the noise
    one = np.zeros_like(y)
    p1 = y.mean()
    expected = js_divergence([1 - p1, p1], [(1 - p1) * (1 - eps) + p1 * eps, p1 * (1 - eps) + (1 - p1) * eps])
    assert ib_layers.decoder_divergence(one, clean, noisy_labels(y, eps)) == pytest.approx(expected, rel=1e-9)


# ------------------------------------------------------------------------------------------------
# SGD and the caption's architectures
# ------------------------------------------------------------------------------------------------
def test_paper_text_configs():
    text = information_plane.PRESETS["paper-text"]
    paper = information_plane.PRESETS["paper"]
    assert text.training.optimizer == "sgd" and text.training.learning_rate == information_plane.SGD_LEARNING_RATE
    assert text.training.n_networks == information_plane.PAPER_TEXT_NETWORKS < paper.training.n_networks
    # nothing else changes: same seeds (hence initial weights and data), epochs, logging, bins, split
    assert text.training.replace(optimizer="adam", learning_rate=4e-4, n_networks=50) == paper.training
    assert (text.n_bins, text.train_fraction) == (paper.n_bins, paper.train_fraction)
    quick = information_plane.paper_text(information_plane.PRESETS["quick"])
    assert quick.training.n_networks == information_plane.PRESETS["quick"].training.n_networks
    caption = depth.PRESETS["paper-text"]
    assert caption.architectures == ((12,), (12, 10), (12, 10, 8), (12, 10, 8, 6), (12, 10, 8, 6, 4),
                                     (12, 10, 8, 6, 4, 2))
    assert depth.paper_text(depth.PRESETS["quick"]).architectures == ((12,), (12, 10, 8), (12, 10, 8, 6, 4))


def test_compare_runs_of_the_information_plane():
    cfg = information_plane.Config(training=TINY.replace(n_epochs=40), n_calls=1)
    code = information_plane.run(cfg)
    text = information_plane.run(information_plane.paper_text(cfg))
    same = information_plane.compare(code, code)
    assert same["diff_last_ixt"] == 0.0 and same["diff_last_ity"] == 0.0
    out = information_plane.compare(code, text)
    assert (out["code_optimizer"], out["text_optimizer"]) == ("Adam", "SGD")
    assert out["shared_networks"] == 2
    assert out["text_last_ixt"] == pytest.approx(float(text.i_xt[:, -1, -2].mean()))
    assert out["diff_last_ity"] == pytest.approx(out["text_last_ity"] - out["code_last_ity"])
    # standard errors over the 2 shared networks: |a − b| / 2 for two values; paired for the differences
    a, b = text.i_xt[:2, -1, -2]
    assert out["text_last_ixt_se"] == pytest.approx(abs(a - b) / 2)
    paired = text.i_ty[:2, -1, -2] - code.i_ty[:2, -1, -2]
    assert out["diff_last_ity_se"] == pytest.approx(abs(paired[0] - paired[1]) / 2)
    assert same["diff_last_ixt_se"] == 0.0
    # the two optimisers end in different networks from the same initialisation
    assert not np.array_equal(code.train_loss, text.train_loss)
    np.testing.assert_array_equal(code.train_loss[:, 0], text.train_loss[:, 0])
