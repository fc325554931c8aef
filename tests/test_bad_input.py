"""Bad input to the public functions: an error that names the argument and what is wrong, never a number.

One table (a row per class of bad input and per family of public functions) and the property that valid
input still gives bitwise the numbers it gave before the checks were added (issue 17).
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from ipflow_lib import bottleneck as B
from ipflow_lib import estimators as E
from ipflow_lib import generalization as G
from ipflow_lib import information as I
from ipflow_lib import linear as LIN
from ipflow_lib import trajectories as T
from ipflow_lib import validation as V
from ipflow_lib.datasets import digits, ground_truth, tishby, toy
from ipflow_lib.ensembles import TrainingSpec
from ipflow_lib.estimators import sample_propagation as SP

RNG = np.random.default_rng(0)
TT = np.tanh(RNG.standard_normal((32, 3)))  # one layer: 32 samples × 3 units
YY = RNG.integers(0, 2, 32)
P = np.array([[0.4, 0.1], [0.1, 0.4]])
NAN, INF = float("nan"), float("inf")



def _train_vib(**bad):
    from ipflow_lib import variational

    x = np.random.default_rng(0).random((20, 4)).astype(np.float32)
    y = np.arange(20) % 2
    args = dict(kinds=["vib"], betas=[1.0], gammas=[1.0], seeds=[0], n_epochs=1) | bad
    return variational.train_variational_ensemble(x, y, variational.uniform_noise(2, 0.05), **args)


# (callable, exception, words the message must contain): one row per class of bad input × function family
CASES = {
    # --- the validation module itself
    "as_int fractional": (lambda: V.as_int("batch_size", 2.5, minimum=1), ValueError, ["batch_size", "2.5"]),
    "as_int string": (lambda: V.as_int("batch_size", "8"), TypeError, ["batch_size", "'8'", "integer"]),
    "as_int bool": (lambda: V.as_int("k", True), TypeError, ["k", "True"]),
    "as_int None": (lambda: V.as_int("k", None), TypeError, ["k", "None"]),
    "as_int nan": (lambda: V.as_int("k", NAN), ValueError, ["k", "nan"]),
    "as_float nan": (lambda: V.as_float("x", NAN), ValueError, ["x", "nan", "finite"]),
    "as_float complex": (lambda: V.as_float("x", 1j), TypeError, ["x", "1j"]),
    "as_seed 2**32": (lambda: V.as_seed("seed", 2**32), ValueError, ["seed", "4294967296"]),
    "as_seed negative": (lambda: V.as_seed("seed", -1), ValueError, ["seed", "-1", "≥ 0"]),
    "as_range reversed": (lambda: V.as_range("value_range", (1, -1)), ValueError, ["value_range", "lo < hi"]),
    "as_range string": (lambda: V.as_range("value_range", "ab"), TypeError, ["value_range", "'ab'"]),
    "as_array ragged": (lambda: V.as_array("t", [[1, 2], [3]]), ValueError, ["t", "rectangular"]),
    "as_labels float": (lambda: V.as_labels("y", [0.0, 0.5]), TypeError, ["y", "integer"]),
    "as_int_sequence fraction": (lambda: V.as_int_sequence("hidden_widths", (2.7,)), ValueError,
                                 ["hidden_widths[0]", "2.7"]),
    # --- binning: overflow, tiny / infinite cells, digitize, non-finite ranges, sizes, messages
    "binned_mi overflow": (lambda: E.binned_mi(TT * 1e18, YY, bin_size=0.07), ValueError, ["bin_size", "too small"]),
    "binned_mi bin_size 1e-300": (lambda: E.binned_mi(TT, YY, bin_size=1e-300), ValueError, ["bin_size", "2**52"]),
    "binned_mi bin_size inf": (lambda: E.binned_mi(TT, YY, bin_size=INF), ValueError, ["bin_size", "inf"]),
    "binned_mi bin_size str": (lambda: E.binned_mi(TT, YY, bin_size="0.1"), TypeError, ["bin_size", "'0.1'"]),
    "binned_mi range inf": (lambda: E.binned_mi(TT, YY, 30, (-INF, INF)), ValueError, ["value_range", "finite"]),
    "binned_mi range nan": (lambda: E.binned_mi(TT, YY, 30, (NAN, 1)), ValueError, ["value_range", "nan"]),
    "binned_mi n_bins str": (lambda: E.binned_mi(TT, YY, "30"), TypeError, ["n_bins", "'30'"]),
    "binned_mi n_bins 2.5": (lambda: E.binned_mi(TT, YY, 2.5), ValueError, ["n_bins", "2.5"]),
    "binned_mi n_bins 1e12": (lambda: E.binned_mi(TT, YY, 10**12), ValueError, ["n_bins", "GiB"]),
    "binned_mi base nan": (lambda: E.binned_mi(TT, YY, base=NAN), ValueError, ["base", "nan"]),
    "binned_mi base str": (lambda: E.binned_mi(TT, YY, base="2"), TypeError, ["base", "'2'"]),
    "binned_mi float labels": (lambda: E.binned_mi(TT, YY + 0.5), TypeError, ["y", "integer"]),
    "binned_mi label -1": (lambda: E.binned_mi(TT, YY - 1), ValueError, ["y", "≥ 0", "-1"]),
    "binned_mi labels length": (lambda: E.binned_mi(TT, YY[:5]), ValueError, ["y", "5 labels", "32 samples"]),
    "binned_mi complex t": (lambda: E.binned_mi(TT + 0j, YY), TypeError, ["t", "complex"]),
    "binned_mi string t": (lambda: E.binned_mi([["a"]], [0]), TypeError, ["t", "dtype"]),
    "binned_mi None t": (lambda: E.binned_mi(None, YY), TypeError, ["t", "None"]),
    "binned_mi nan t": (lambda: E.binned_mi(np.full((4, 2), NAN), [0, 0, 1, 1]), ValueError, ["t", "NaN"]),
    "digitize n_bins 0": (lambda: E.digitize(TT, 0), ValueError, ["n_bins", "≥ 1", "0"]),
    "digitize reversed": (lambda: E.digitize(TT, 30, (1.0, -1.0)), ValueError, ["value_range", "lo < hi"]),
    "digitize nan": (lambda: E.digitize(np.array([NAN, 0.2]), 30), ValueError, ["t", "NaN"]),
    "digitize huge": (lambda: E.digitize(TT, 10**12), ValueError, ["n_bins", "GiB"]),
    "layer_cells n_bins": (lambda: E.layer_cells(TT[None], 2.5), ValueError, ["n_bins", "2.5"]),
    "plugin_entropy floats": (lambda: E.plugin_entropy([0.5, 1.0]), TypeError, ["codes", "integer"]),
    "noisy_label_information str": (lambda: E.noisy_label_information([0, 1], [["a", "b"], ["c", "d"]]), TypeError,
                                    ["p_y_given_x"]),
    "sweep n_bins fraction": (lambda: E.binned_mi_sweep(TT, YY, (5, 7.5)), ValueError, ["n_bins[1]", "7.5"]),
    "sweep bin_sizes nan": (lambda: E.binned_mi_sweep(TT, YY, bin_sizes=[0.1, NAN]), ValueError, ["bin_sizes[1]"]),
    "binning_estimators fraction": (lambda: E.binning_estimators((10, 2.7)), ValueError, ["n_bins[1]", "2.7"]),
    "plugin_mi negative": (lambda: E.plugin_mi([0, -1], [0, 1]), ValueError, ["x_codes", "non-negative"]),
    "binned_pair_mi n_bins str": (lambda: E.binned_pair_mi(TT[:, 0], TT[:, 1], "8"), TypeError, ["n_bins", "'8'"]),
    "binned_pair_mi empty": (lambda: E.binned_pair_mi([], []), ValueError, ["empty"]),
    # --- KSG: ties refused on request, empty input blamed on the input, not on k
    "ksg empty": (lambda: E.ksg_mi([], []), ValueError, ["at least 2", "got 0"]),
    "ksg ties without jitter": (lambda: E.ksg_mi(YY, YY, jitter=0), ValueError, ["ties", "jitter"]),
    "ksg k fraction": (lambda: E.ksg_mi(TT[:, 0], TT[:, 1], k=2.5), ValueError, ["k", "2.5"]),
    "ksg k too large": (lambda: E.ksg_mi(TT[:, 0], TT[:, 1], k=32), ValueError, ["k", "≤ 31"]),
    "ksg seed out of range": (lambda: E.ksg_mi(YY, YY, seed=2**32), ValueError, ["seed"]),
    "ksg jitter negative": (lambda: E.ksg_mi(YY, YY, jitter=-1.0), ValueError, ["jitter"]),
    "binned_mi labels None": (lambda: E.binned_mi(TT, None), TypeError, ["y", "None"]),
    "ksg standardize": (lambda: E.ksg_mi(TT[:, 0], TT[:, 1], standardize="no"), TypeError, ["standardize", "'no'"]),
    # --- KDE, Monte Carlo, Gaussian measures
    "kde bound array": (lambda: E.kde_mi(TT, YY, bound=np.array([])), ValueError, ["bound"]),
    "noisy n_draws huge": (lambda: E.noisy_mi(TT, YY, 1e-3, n_draws=10**12), ValueError, ["n_draws", "GiB"]),
    "mixture n_samples huge": (lambda: E.mixture_information(TT, np.ones(32), n_samples=10**12), ValueError,
                               ["n_samples", "GiB"]),
    "kde negative labels": (lambda: E.kde_mi(TT, YY - 1), ValueError, ["y", "≥ 0"]),
    "kde variance str": (lambda: E.kde_mi(TT, YY, "1e-3"), TypeError, ["noise_variance"]),
    "kde_estimators memory": (lambda: E.kde_estimators(memory=0.5), ValueError, ["memory", "0.5"]),
    "kde n_jobs": (lambda: E.kde_mi(TT, YY, n_jobs=1.5), ValueError, ["n_jobs", "1.5"]),
    "noisy n_draws fraction": (lambda: E.noisy_mi(TT, YY, 1e-3, n_draws=1.5), ValueError, ["n_draws", "1.5"]),
    "noisy seed wraps": (lambda: E.noisy_mi(TT, YY, 1e-3, seed=2**32), ValueError, ["seed"]),
    "noisy_estimators seed": (lambda: E.noisy_estimators(seed=-1), ValueError, ["seed", "-1"]),
    "gaussian_entropy k": (lambda: E.gaussian_entropy([1.0], k=1.5), ValueError, ["k", "1.5"]),
    "gaussian_kl_full nan": (lambda: E.gaussian_kl_full(np.zeros((2, 1)), np.eye(2), np.full((2, 1), NAN), np.eye(2)),
                             ValueError, ["mean_q", "NaN"]),
    "mixture negative labels": (lambda: E.mixture_information(TT, np.ones(32), YY - 1), ValueError, ["y", "≥ 0"]),
    "mixture n_samples": (lambda: E.mixture_information(TT, np.ones(32), n_samples="2"), TypeError, ["n_samples"]),
    # --- exact information on tables
    "entropy complex": (lambda: I.entropy(np.array([0.5 + 0j, 0.5])), TypeError, ["p", "complex"]),
    "entropy strings": (lambda: I.entropy(["0.5", "0.5"]), TypeError, ["p"]),
    "entropy bools": (lambda: I.entropy([True, False]), TypeError, ["p", "bool"]),
    "entropy None": (lambda: I.entropy(None), TypeError, ["p", "None"]),
    "entropy base nan": (lambda: I.entropy([0.5, 0.5], base=NAN), ValueError, ["base", "nan"]),
    "entropy base str": (lambda: I.entropy([0.5, 0.5], base="2"), TypeError, ["base", "'2'"]),
    "mutual_information ragged": (lambda: I.mutual_information([[0.5], [0.25, 0.25]]), ValueError, ["p_xy"]),
    "check_distribution atol": (lambda: I.check_distribution([1.0], atol=NAN), ValueError, ["atol"]),
    # --- datasets
    "paper_split seed 2**32": (lambda: tishby.paper_split(4096, 0.85, 2**32), ValueError, ["seed"]),
    "paper_split fraction str": (lambda: tishby.paper_split(4096, "0.8", 0), TypeError, ["train_fraction", "'0.8'"]),
    "train_test_masks fractional seed": (lambda: tishby.train_test_masks(64, 0.5, [0, 2.7]), TypeError, ["seeds"]),
    "sweep_masks negative seed": (lambda: tishby.sweep_masks(64, [0.5], [-1]), ValueError, ["seeds[0]", "-1"]),
    "noisy_labels float labels": (lambda: tishby.noisy_labels(np.array([0.0, 0.5]), 0.1), TypeError, ["y"]),
    "noisy_labels label -1": (lambda: tishby.noisy_labels(np.array([0, -1]), 0.1), ValueError, ["y", "≥ 0"]),
    "noisy_labels epsilon nan": (lambda: tishby.noisy_labels(np.array([0, 1]), NAN), ValueError, ["epsilon"]),
    "digits classes fraction": (lambda: digits((2.7, 3)), ValueError, ["classes[0]", "2.7"]),
    "digits n_train float": (lambda: digits((3, 5), n_train=100.5), ValueError, ["n_train", "100.5"]),
    "correlated_gaussians n str": (lambda: ground_truth.correlated_gaussians("10"), TypeError, ["n_samples", "'10'"]),
    "correlated_gaussians rho nan": (lambda: ground_truth.correlated_gaussians(10, rho=NAN), ValueError, ["rho"]),
    "correlated_gaussians seed": (lambda: ground_truth.correlated_gaussians(10, seed=-1), ValueError, ["seed", "-1"]),
    "gaussian_mi base": (lambda: ground_truth.gaussian_mi(np.eye(2), 1, base=NAN), ValueError, ["base"]),
    "gaussian_mixture_mi variance": (lambda: ground_truth.gaussian_mixture_mi([0.0, 1.0], NAN), ValueError,
                                     ["noise_variance"]),
    "correlated_gaussians huge": (lambda: ground_truth.correlated_gaussians(10**12), ValueError, ["n_samples", "GiB"]),
    "noisy_grid huge dim": (lambda: ground_truth.noisy_grid([0.0, 1.0], 10**12, 0.1), ValueError, ["dim", "65536"]),
    "mixture_mi points_per_sigma": (lambda: ground_truth.gaussian_mixture_mi([0.0, 1.0], 0.1, points_per_sigma=-1),
                                    ValueError, ["points_per_sigma"]),
    "paper_split huge": (lambda: tishby.paper_split(10**12, 0.5, 0), ValueError, ["n_samples", "GiB"]),
    "noisy_labels n_classes huge": (lambda: tishby.noisy_labels(np.array([0, 1]), 0.1, 10**12), ValueError,
                                    ["n_classes", "GiB"]),
    "five_points n fraction": (lambda: toy.dual_ib_five_points(5.5), ValueError, ["n_points", "5.5"]),
    "random_family n_x str": (lambda: toy.random_exponential_family("3", 2, 1, 0), TypeError, ["n_x", "'3'"]),
    # --- bottleneck
    "ib beta str": (lambda: B.ib(P, "2"), TypeError, ["beta", "'2'"]),
    "ib beta nan": (lambda: B.ib(P, NAN), ValueError, ["beta", "nan"]),
    "ib cluster_tol nan": (lambda: B.ib(P, 2.0, cluster_tol=NAN), ValueError, ["cluster_tol", "nan"]),
    "ib seed negative": (lambda: B.ib(P, 2.0, seed=-1), ValueError, ["seed", "-1"]),
    "ib tol str": (lambda: B.ib(P, 2.0, tol="small"), TypeError, ["tol", "'small'"]),
    "ib merge string": (lambda: B.ib(P, 2.0, merge="no"), TypeError, ["merge", "'no'", "True or False"]),
    "ib accelerate number": (lambda: B.ib(P, 2.0, accelerate=0.5), TypeError, ["accelerate", "0.5"]),
    "ib n_clusters fraction": (lambda: B.ib(P, 2.0, n_clusters=2.5), ValueError, ["n_clusters", "2.5"]),
    "ib kind array": (lambda: B.ib(P, 2.0, kind=np.array([])), ValueError, ["kind"]),
    "ib n_clusters huge": (lambda: B.ib(P, 2.0, n_clusters=10**12), ValueError, ["n_clusters", "GiB"]),
    "self_consistency_error strings": (lambda: B.self_consistency_error(P, [["a", "b"]], 2.0), TypeError,
                                       ["p_t_given_x"]),
    "merge_inputs decimals": (lambda: B.merge_inputs(P, decimals=-3), ValueError, ["decimals", "-3"]),
    "ib_curve betas nan": (lambda: B.ib_curve(P, [NAN]), ValueError, ["betas"]),
    "ib_curve betas str": (lambda: B.ib_curve(P, ["1", "2"]), TypeError, ["betas"]),
    "ib_curve perturbation nan": (lambda: B.ib_curve(P, [1.0, 2.0], perturbation=NAN), ValueError, ["perturbation"]),
    "fit_beta_on_curve nan point": (lambda: B.fit_beta_on_curve(NAN, 0.1, [1.0, 2.0], [0.0, 1.0], [0.0, 0.5]),
                                    ValueError, ["i_xt", "NaN"]),
    "fit_beta_self_consistent range": (lambda: B.fit_beta_self_consistent(np.array([0, 1]), P * 2, None, (NAN, 1.0)),
                                       ValueError, ["beta_range"]),
    "variational betas nan": (lambda: _train_vib(betas=[NAN]), ValueError, ["betas[0]", "nan"]),
    "variational gammas str": (lambda: _train_vib(gammas=["1"]), TypeError, ["gammas[0]", "'1'"]),
    # --- generalization bounds
    "bound i_xt str": (lambda: G.input_compression_bound("3", 100), TypeError, ["i_xt"]),
    "bound m bool": (lambda: G.classical_bound(3.0, True), TypeError, ["m", "bool"]),
    "bound shapes": (lambda: G.input_compression_bound(np.ones(3), np.ones(2) * 100), ValueError, ["broadcast"]),
    "sample_complexity epsilon None": (lambda: G.sample_complexity(3.0, None), TypeError, ["epsilon"]),
    # --- trajectories
    "compression_onset bits nan": (lambda: T.compression_onset(np.ones((3, 1)), [0, 1, 2], NAN), ValueError,
                                   ["min_compression_bits"]),
    "phase_times strings": (lambda: T.phase_times([["a"]], [["b"]], [0]), TypeError, ["i_xt"]),
    "noise_floor n_se str": (lambda: T.noise_floor(np.ones((2, 3, 1)), n_se="2"), TypeError, ["n_se"]),
    "bootstrap n fraction": (lambda: T.bootstrap(lambda pick: 0.0, 4, 2.5, 0), ValueError, ["n_bootstrap", "2.5"]),
    "bootstrap seed 2**32": (lambda: T.bootstrap(lambda pick: 0.0, 4, 10, 2**32), ValueError, ["seed"]),
    "first_epoch_reaching level": (lambda: T.first_epoch_reaching([0.1, 0.9], [0, 1], "0.5"), TypeError, ["level"]),
    "first_epoch_reaching lengths": (lambda: T.first_epoch_reaching([0.1, 0.9], [0, 1, 2], 0.5), ValueError,
                                     ["values", "(3,)"]),
    "compression axis": (lambda: T.compression(np.ones((2, 3)), axis=2), ValueError, ["axis=2", "(2, 3)"]),
    "after_run no epochs": (lambda: T.after_run(np.nan, []), ValueError, ["epochs", "non-empty"]),
    "after_run factor": (lambda: T.after_run(np.nan, [0, 10], factor=-2.0), ValueError, ["factor"]),
    "decades negative epoch": (lambda: T.decades(-1.0, 9.0), ValueError, ["epochs ≥ 0"]),
    "onset floor nan": (lambda: T.onset_above_floor(np.ones((3, 1)), [0, 1, 2], NAN), ValueError, ["floor"]),
    "bootstrap percentiles": (lambda: T.bootstrap(lambda pick: 0.0, 4, 10, 0, percentiles=(5, 150)), ValueError,
                              ["percentiles[1]", "150"]),
    "bootstrap huge": (lambda: T.bootstrap(lambda pick: 0.0, 10**12, 1, 0), ValueError, ["n_networks", "GiB"]),
    "epochs_text strings": (lambda: T.epochs_text(["a"]), TypeError, ["values"]),
    # --- the trainer's spec: integers are integers, seeds do not wrap
    "spec batch 2.5": (lambda: TrainingSpec(batch_size=2.5), TypeError, ["batch_size", "2.5"]),
    "spec batch '8'": (lambda: TrainingSpec(batch_size="8"), TypeError, ["batch_size", "'8'"]),
    "spec widths 2.7": (lambda: TrainingSpec(hidden_widths=(2.7,)), TypeError, ["hidden_widths", "2.7"]),
    "spec logged fraction": (lambda: TrainingSpec(custom_logged_epochs=(0, 1.5)), TypeError,
                             ["custom_logged_epochs", "1.5"]),
    "spec seed 2**32": (lambda: TrainingSpec(seed=2**32), ValueError, ["seed", "2**32"]),
    "spec seeds wrap": (lambda: TrainingSpec(seed=2**32 - 10, n_networks=50), ValueError, ["seed", "n_networks"]),
    # --- sample propagation (Goldfeld et al.): Monte Carlo sizes and seeds
    "sp n_mc fraction": (lambda: SP.mixture_entropy(TT[:20, :2], 0.1, n_mc=2.5), ValueError, ["n_mc", "2.5"]),
    "sp n_mc huge": (lambda: SP.mixture_entropy(TT[:20, :2], 0.1, n_mc=10**12), ValueError, ["n_mc", "GiB"]),
    "sp seed negative": (lambda: SP.mixture_entropy(TT[:20, :2], 0.1, seed=-1), ValueError, ["seed", "-1"]),
    "sp conditional n_mc": (lambda: SP.sample_propagation_mi(TT[:20, :2], np.repeat(TT[:20, None, :2], 3, axis=1),
                                                             0.1, n_mc_conditional=0),
                            ValueError, ["n_mc_conditional", "0"]),
    "sp beta string": (lambda: SP.mixture_entropy(TT[:20, :2], "0.1"), TypeError, ["beta", "'0.1'"]),
    # --- deep linear networks (Saxe et al.): integers, seeds, covariances, shapes
    "linear spec fraction": (lambda: LIN.LinearSpec(n_inputs=2.5), ValueError, ["n_inputs", "2.5"]),
    "linear spec seed": (lambda: LIN.LinearSpec(seed=-1), ValueError, ["seed", "-1"]),
    "linear mi nan": (lambda: LIN.gaussian_mi(np.full((2, 2), NAN), np.eye(2), np.zeros((2, 2))), ValueError,
                      ["cov_a", "NaN"]),
    "linear mi not pd": (lambda: LIN.gaussian_mi(-np.eye(2), np.eye(2), np.zeros((2, 2))), ValueError,
                         ["cov_a", "positive definite"]),
    "linear gradients shapes": (lambda: LIN.loss_gradients([np.ones((3, 2))], np.ones((5, 4)), np.ones((5, 1))),
                                ValueError, ["x must be", "(5, 4)"]),
    "linear noise string": (lambda: LIN.channel_information(np.ones((2, 3)), 1.0, "x"), TypeError,
                            ["noise_var", "'x'"]),
}


@pytest.mark.parametrize("call, error, words", list(CASES.values()), ids=list(CASES))
def test_bad_input_raises_a_clear_error(call, error, words):
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    for word in words:
        assert word in message, f"{word!r} missing from the message {message!r}"


def test_valid_edge_values_are_accepted():
    """The checks refuse nonsense, not values that merely look unusual."""
    assert V.as_int("n", 8.0) == 8 and V.as_int("n", np.int32(3)) == 3
    assert V.as_seed("seed", 2**32 - 1) == 2**32 - 1
    assert V.as_range("r", (np.float32(-1), 1)) == (-1.0, 1.0)
    assert E.digitize(np.array([-2.0, 0.0, 2.0]), 1, (0.0, 1.0)).tolist() == [0, 1, 1]  # one edge, two cells
    assert float(E.binned_mi(TT, YY.astype(float))[0]) == float(E.binned_mi(TT, YY)[0])  # integral float labels
    assert TrainingSpec(seed=2**32 - 50, n_networks=50).seed == 2**32 - 50


# ---------------------------------------------------------------------------------------- ties in KSG


def test_ksg_on_tied_samples_is_jittered_like_scikit_learn():
    """Ties gave large negative MI (−2.6 bits for ksg_mi(y, y) of a fair bit); jittered they give ≈ H(Y)."""
    y = np.random.default_rng(3).integers(0, 2, 2000)
    h_y = I.entropy(np.bincount(y) / y.size)
    estimate = E.ksg_mi(y, y)
    assert abs(estimate - h_y) < 0.1
    assert E.ksg_mi(y, y) == estimate  # seeded: same numbers
    assert E.ksg_mi(y, y, seed=1) != estimate  # the seed is the noise's
    # ReLU-like samples (half exact zeros): the built-in jitter agrees with jittering by hand
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3000, 2))
    t = np.maximum(x, 0.0)
    z = t[:, 0] + 0.5 * rng.standard_normal(3000)
    by_hand = E.ksg_mi(t + 1e-7 * rng.standard_normal(t.shape), z)
    assert E.ksg_mi(t, z) > 0 and abs(E.ksg_mi(t, z) - by_hand) < 0.05


def test_ksg_leaves_samples_without_ties_untouched():
    rng = np.random.default_rng(5)
    x = rng.standard_normal(300)
    z = x + rng.standard_normal(300)
    assert E.ksg_mi(x, z) == E.ksg_mi(x, z, jitter=0.0) == E.ksg_mi(x, z, seed=7)


# ---------------------------------------------------------------------------------------- valid input unchanged

# Values computed on this data by the code before the checks were added (issue 17; their SHA-256 digests were
# compared with the checked code's bitwise before these literals were written down).
BEFORE = {
    "binned_mi(t, y, 4)": [5.295009133144316, 5.433364648336087, 5.390319531114782, 0.7187936537636714,
                           0.6891040517341397, 0.6891040517341385],
    "binned_mi(t, y, 3, None)": [3.821623393011544, 3.8567559710789405, 3.8119996115311405, 0.24757924937179981,
                                 0.1341215929965884, 0.1304463347470796],
    "binned_mi(t, y, bin_size=0.5)": [5.59375, 5.812499999999999, 5.738204882778695, 0.755739403398052,
                                      0.8807394033980511, 0.8689442861767472],
    "binned_mi_sweep(t, y, (5, 10))": [5.59375, 5.812499999999999, 5.738204882778695, 6.0, 6.0, 6.0,
                                       0.755739403398052, 0.8807394033980511, 0.8689442861767472,
                                       0.9744894033980513, 0.9744894033980513, 0.9744894033980513],
    "ksg_mi(x, z)": [0.5058604708114693],
    "ksg_mi(x, z, k=5, base=e)": [0.3194342449311858],
    "binned_pair_mi(x, z, 8)": [0.5131848948265567],
    "gaussian_entropy([0.5, 2], 3)": [4.641286755541923, 7.641286755541922],
    "entropy(p)": [1.8464393446710157],
    "mutual_information(p)": [0.005802149014345686],
    "input_compression_bound([2, 5], 1000)": [0.062003546084534296, 0.13358308173963113],
    "max_information(0.1, 1000)": [4.02778399100599],
}


def _fixed_data():
    rng = np.random.default_rng(1234)
    t = np.tanh(rng.standard_normal((3, 64, 4)))
    y = rng.integers(0, 2, 64)
    x = rng.standard_normal(200)
    z = 0.6 * x + 0.8 * rng.standard_normal(200)
    return t, y, x, z


def test_valid_input_gives_bitwise_the_numbers_of_before():
    t, y, x, z = _fixed_data()
    p = np.array([[0.1, 0.2], [0.3, 0.4]])
    now = {
        "binned_mi(t, y, 4)": E.binned_mi(t, y, 4),
        "binned_mi(t, y, 3, None)": E.binned_mi(t, y, 3, None),
        "binned_mi(t, y, bin_size=0.5)": E.binned_mi(t, y, bin_size=0.5),
        "binned_mi_sweep(t, y, (5, 10))": E.binned_mi_sweep(t, y, (5, 10)),
        "ksg_mi(x, z)": E.ksg_mi(x, z),
        "ksg_mi(x, z, k=5, base=e)": E.ksg_mi(x, z, k=5, base=np.e),
        "binned_pair_mi(x, z, 8)": E.binned_pair_mi(x, z, 8),
        "gaussian_entropy([0.5, 2], 3)": E.gaussian_entropy(np.array([0.5, 2.0]), 3),
        "entropy(p)": I.entropy(p),
        "mutual_information(p)": I.mutual_information(p),
        "input_compression_bound([2, 5], 1000)": G.input_compression_bound(np.array([2.0, 5.0]), 1000),
        "max_information(0.1, 1000)": G.max_information(0.1, 1000),
    }
    for key, value in now.items():
        assert np.asarray(value, dtype=float).ravel().tolist() == BEFORE[key], key


def _naive_binned(t_layer, y, n_bins):
    """I(X;T) and I(T;Y) in bits by np.digitize and counting tuples: a second, independent path."""
    cells = [tuple(row) for row in np.digitize(t_layer, np.linspace(-1.0, 1.0, n_bins))]
    n = len(cells)

    def h(counter):
        c = np.array(list(counter.values()), dtype=float)
        return float(-(c / n * np.log2(c / n)).sum())

    h_t, h_y, h_ty = h(Counter(cells)), h(Counter(y.tolist())), h(Counter(zip(cells, y.tolist(), strict=True)))
    return h_t, h_t + h_y - h_ty


def test_binning_agrees_with_an_independent_count():
    t, y, _, _ = _fixed_data()
    i_xt, i_ty = E.binned_mi(t, y, 4)
    for s in range(t.shape[0]):
        naive_xt, naive_ty = _naive_binned(t[s], y, 4)
        assert i_xt[s] == pytest.approx(naive_xt, rel=1e-12)
        assert i_ty[s] == pytest.approx(naive_ty, rel=1e-12)
    assert np.array_equal(E.digitize(t, 30), np.digitize(t, np.linspace(-1.0, 1.0, 30)))
