"""Tests of ipflow_lib.claims: every judge flips when its synthetic result is inverted.

The results are lightweight stand-ins (``SimpleNamespace``) with the array fields the judges read, built so that
the claim holds, or is inverted (no compression, an inverted depth trend, the SNR transition after the onset,
ReLU networks that compress, full-batch networks that do not).
"""

import os
from types import SimpleNamespace as NS

import numpy as np
import pytest

from ipflow_lib import claims
from ipflow_lib.claims import VERDICTS, Claim, combine_lenses, interval_verdict

EPOCHS = np.arange(0, 1000, 10)  # 100 logged epochs
N_NET = 6


def _curve(epochs, peak_epoch, rise=3.0, fall=2.0, base=5.0):
    """I(X;T)-like curve: rises by ``rise`` until ``peak_epoch``, then falls by ``fall`` (linearly)."""
    e = np.asarray(epochs, dtype=float)
    up = base + rise * np.minimum(e / max(peak_epoch, 1), 1.0)
    down = fall * np.clip((e - peak_epoch) / max(e[-1] - peak_epoch, 1), 0.0, 1.0)
    return up - down


def _networks(curve, n=N_NET, noise=0.01, seed=0):
    rng = np.random.default_rng(seed)
    return curve[None] + noise * rng.standard_normal((n, curve.size))


def _accuracy(epochs, fit_epoch, n=N_NET):
    """Training accuracy that crosses 0.95 at about ``fit_epoch`` (ends at 1.0)."""
    e = np.asarray(epochs, dtype=float)
    acc = 0.5 + 0.5 * np.clip(e / (fit_epoch / 0.9), 0.0, 1.0)
    return np.repeat(acc[None], n, axis=0)


def _plane(peak_epoch=100, fall=2.0, fit_epoch=50, snr_epoch=100, full_batch=False, epochs=EPOCHS):
    """Stand-in for information_plane.Result: 2 hidden layers + the output."""
    layers = [_networks(_curve(epochs, peak_epoch, fall=fall), seed=k) for k in range(3)]
    i_xt = np.stack(layers, axis=-1)
    grad_mean = np.ones((N_NET, epochs.size, 3))
    grad_std = np.where(epochs[None, :, None] >= snr_epoch, 2.0, 0.5) * np.ones((N_NET, 1, 3))
    if full_batch:
        grad_std = np.zeros_like(grad_std)
    i_ty = np.broadcast_to(np.array([0.9, 0.8, 0.7]), i_xt.shape).copy()
    return NS(i_xt=i_xt, i_ty=i_ty, logged_epochs=epochs, train_acc=_accuracy(epochs, fit_epoch),
              grad_mean=grad_mean, grad_std=grad_std)


def _estimates(i_xt_by_name, epochs):
    return {name: NS(epochs=epochs, i_xt=v, i_ty=np.zeros_like(v)) for name, v in i_xt_by_name.items()}


def _debate(compress=None, names=("bins30", "adaptive30", "kde_upper", "kde_lower"), epochs=EPOCHS):
    """Stand-in for compression_debate.Result: ``compress`` maps regime -> bits of compression (0 = none)."""
    compress = compress or {"tanh-minibatch": 2.0, "tanh-fullbatch": 2.0, "relu-minibatch": 0.0}
    estimates, acc = {}, {}
    for r, bits in compress.items():
        if bits > 0:
            layer = _curve(epochs, 100, fall=bits)
        else:
            layer = _curve(epochs, epochs[-1], fall=0.0)  # rises to the end: no compression
        i_xt = np.stack([_networks(layer, seed=k) for k in range(3)], axis=-1)
        estimates[r] = _estimates({n: i_xt for n in names}, epochs)
        acc[r] = _accuracy(epochs, 50)
    return NS(estimates=estimates, train_acc=acc, logged_epochs=epochs, regimes=tuple(compress))


# ------------------------------------------------------------------------------------------------
# The verdict rule and the record
# ------------------------------------------------------------------------------------------------
def test_interval_verdict_sides_and_nan():
    assert interval_verdict((0.6, 0.9), 0.5, "above") == "supported"
    assert interval_verdict((0.1, 0.5), 0.5, "above") == "contradicted"
    assert interval_verdict((0.4, 0.6), 0.5, "above") == "mixed"
    assert interval_verdict((0.1, 0.4), 0.5, "below") == "supported"
    assert interval_verdict((0.6, 0.7), 0.5, "below") == "contradicted"
    assert interval_verdict((np.nan, 0.7), 0.5, "below") == "mixed"
    with pytest.raises(ValueError, match="side"):
        interval_verdict((0, 1), 0.5, "left")


def test_combine_lenses_disagreement_caps_at_mixed():
    assert combine_lenses("supported", {"a": "supported", "b": "supported"}) == ("supported", (2, 2))
    assert combine_lenses("supported", {"a": "supported", "b": "contradicted", "c": "mixed"}) == ("mixed", (1, 3))
    assert combine_lenses("contradicted", {"a": "contradicted", "b": "mixed"}) == ("mixed", (1, 2))
    assert combine_lenses("mixed", {"a": "mixed", "b": "supported"}) == ("mixed", (1, 2))


def test_claim_validates_its_fields():
    kw = dict(id="x", source="s", claim="c", test="t", estimate=1.0, unit="bits", interval=(0.0, 2.0),
              lenses=(1, 1), verdict="supported", evidence="chapters/02_information_plane")
    Claim(**kw)
    with pytest.raises(ValueError, match="verdict"):
        Claim(**{**kw, "verdict": "probably"})
    with pytest.raises(ValueError, match="lenses"):
        Claim(**{**kw, "lenses": (3, 2)})
    with pytest.raises(ValueError, match="reason"):
        Claim(**{**kw, "verdict": "not testable here"})


def test_row_cells_match_header_and_escape_pipes():
    claim = claims.judge_dualib_exponential_family(NS(family_residual={"dualib": np.zeros(3), "ib": np.ones(3)}))
    row = claim.row()
    assert len(row) == len(claims.ROW_HEADER)
    assert "p(y\\|x)" in row[2]  # the claim text has p(y|x): escaped for the table
    assert row[5] == "supported" and row[4] == "1 of 1"
    assert row[6] == "{doc}`Do exponential families stay exponential families? </chapters/07_dual_ib>`"
    table = claims.markdown_table([claim]).splitlines()
    assert len(table) == 3 and table[2].count(" | ") == len(claims.ROW_HEADER) - 1


# ------------------------------------------------------------------------------------------------
# SZT17
# ------------------------------------------------------------------------------------------------
def test_most_of_training_flips_without_compression():
    yes = claims.judge_szt17_compression_most_of_training(_plane(peak_epoch=100))
    assert yes.verdict == "supported" and yes.estimate == pytest.approx((990 - 100) / 990, abs=0.02)
    no = claims.judge_szt17_compression_most_of_training(_plane(fall=0.0))
    assert no.verdict == "contradicted" and no.estimate == 0.0
    late = claims.judge_szt17_compression_most_of_training(_plane(peak_epoch=800))
    assert late.verdict == "contradicted"


def test_most_of_training_small_fall_is_not_compression():
    # a fall of 0.05 bits is below the fixed floor of 0.1 bits
    assert claims.judge_szt17_compression_most_of_training(_plane(fall=0.05)).estimate == 0.0


def test_lenses_that_disagree_make_the_verdict_mixed():
    agree = claims.judge_szt17_compression_most_of_training(_plane(), _debate())
    assert agree.verdict == "supported" and agree.lenses == (5, 5)
    flat = _debate({"tanh-minibatch": 0.0})
    disagree = claims.judge_szt17_compression_most_of_training(_plane(), flat)
    assert disagree.verdict == "mixed" and disagree.lenses == (1, 5)
    assert dict(disagree.lens_verdicts)["kde_upper"] == "contradicted"


def test_lenses_are_compared_on_common_epochs():
    debate = _debate()
    est = debate.estimates["tanh-minibatch"]
    # the KDE lens ran at 3 epochs only; the peak (epoch 100) is among them
    est["kde_upper"] = NS(epochs=np.array([0, 100, 990]), i_xt=est["kde_upper"].i_xt[:, [0, 10, 99]],
                          i_ty=None)
    views, common = claims._common_lenses(est)
    assert list(common) == [0, 100, 990]
    assert all(v.shape[1] == 3 for v in views.values())


def test_compression_after_fitting_flips_with_the_fit_epoch():
    assert claims.judge_szt17_compression_after_fitting(_plane(fit_epoch=50)).verdict == "supported"
    late_fit = claims.judge_szt17_compression_after_fitting(_plane(fit_epoch=600))
    assert late_fit.verdict == "contradicted" and late_fit.estimate < 0
    none = claims.judge_szt17_compression_after_fitting(_plane(fall=0.0))
    assert none.verdict == "not testable here" and "compress" in none.reason


def test_compression_at_diffusion_flips_when_the_snr_falls_after_the_onset():
    assert claims.judge_szt17_compression_at_diffusion(_plane(snr_epoch=100)).verdict == "supported"
    after = claims.judge_szt17_compression_at_diffusion(_plane(snr_epoch=800))
    assert after.verdict == "contradicted"
    assert after.estimate == pytest.approx(np.log10(801 / 101), abs=0.05)
    never = claims.judge_szt17_compression_at_diffusion(_plane(snr_epoch=10_000))
    assert never.verdict == "contradicted"  # never below 1 within the run
    full = claims.judge_szt17_compression_at_diffusion(_plane(full_batch=True))
    assert full.verdict == "not testable here" and "full-batch" in full.reason


def test_diffusion_at_fitting_flips_when_the_snr_falls_before_fitting():
    assert claims.judge_szt17_diffusion_at_fitting(_plane(fit_epoch=100, snr_epoch=100)).verdict == "supported"
    early = claims.judge_szt17_diffusion_at_fitting(_plane(fit_epoch=700, snr_epoch=20))
    assert early.verdict == "contradicted" and early.estimate > 1.0


def test_dpi_ordering_flips_when_a_deeper_layer_has_more_information():
    plane = _plane()
    plane.i_xt = plane.i_xt - np.arange(3) * 1.0  # each layer 1 bit below the one before it
    ordered = claims.judge_szt17_dpi_ordering(plane)
    assert ordered.verdict == "supported" and ordered.estimate == 1.0
    plane.i_xt[..., 2] += 5.0  # the output now has more I(X;T) than the layer before it: half the pairs fail
    broken = claims.judge_szt17_dpi_ordering(plane)
    assert broken.verdict == "contradicted" and broken.estimate == pytest.approx(0.5)


def _depth(fit_epochs=(600, 300, 100), comp_ends=(900, 500, 200)):
    """Stand-in for depth.Result: depths 1, 3, 5 with the output's compression ending at ``comp_ends``."""
    depths = np.array([1, 3, 5])
    n_logged, max_layers = EPOCHS.size, 6
    i_xt = np.full((3, N_NET, n_logged, max_layers), np.nan)
    i_ty = np.full_like(i_xt, np.nan)
    for d, (k, end) in enumerate(zip(depths, comp_ends, strict=True)):
        for layer in range(k + 1):
            peak = 50
            # falls linearly from the peak to its final value at `end`, then flat: 90 % of the fall just before end
            e = EPOCHS.astype(float)
            curve = 8.0 - 3.0 * np.clip((e - peak) / (end - peak), 0.0, 1.0) + np.minimum(e / peak, 1.0)
            i_xt[d, :, :, layer] = _networks(curve, seed=d * 10 + layer)
            i_ty[d, :, :, layer] = np.minimum(e / peak, 1.0)
    train_acc = np.stack([_accuracy(EPOCHS, f) for f in fit_epochs])
    return NS(depths=depths, logged_epochs=EPOCHS, i_xt=i_xt, i_ty=i_ty, train_acc=train_acc)


def test_depth_claims_flip_with_an_inverted_trend():
    deep_faster = _depth()
    assert claims.judge_szt17_depth_fit(deep_faster).verdict == "supported"
    assert claims.judge_szt17_depth_compression(deep_faster).verdict == "supported"
    inverted = _depth(fit_epochs=(100, 300, 600), comp_ends=(200, 500, 900))
    fit, comp = claims.judge_szt17_depth_fit(inverted), claims.judge_szt17_depth_compression(inverted)
    assert fit.verdict == "contradicted" and fit.estimate < 0
    assert comp.verdict == "contradicted" and comp.estimate < 0


def test_depth_fit_counts_never_fitting_as_after_the_run():
    never_deep = _depth(fit_epochs=(100, 300, 5000))  # the deepest never reaches 0.95
    claim = claims.judge_szt17_depth_fit(never_deep)
    assert claim.verdict == "contradicted"
    assert claim.estimate == pytest.approx(np.log10((100 + 1) / (2 * 990 + 1)), abs=0.1)


def _training_size(fall_small=0.3):
    e = EPOCHS.astype(float)
    rise = np.minimum(e / 100, 1.0)
    small = rise - fall_small * np.clip((e - 100) / 890, 0.0, 1.0)
    i_ty = np.zeros((2, N_NET, EPOCHS.size, 3))
    i_ty[0, :, :, 1] = _networks(small, noise=0.005)
    i_ty[1, :, :, 1] = _networks(rise, noise=0.005)
    return NS(train_fractions=np.array([0.05, 0.85]), i_ty=i_ty)


def test_small_data_overfit_flips_without_a_loss_of_label_information():
    assert claims.judge_szt17_small_data_overfit(_training_size(0.3)).verdict == "supported"
    assert claims.judge_szt17_small_data_overfit(_training_size(0.0)).verdict == "contradicted"


def _ib_layers(gap_small=0.3, gap_big=0.02, sc=0.02, i_xy=0.9):
    rng = np.random.default_rng(1)
    ity_gap = np.zeros((2, N_NET, 3))
    ity_gap[0, :, 1] = gap_small + 0.005 * rng.standard_normal(N_NET)
    ity_gap[1, :, 1] = gap_big + 0.005 * rng.standard_normal(N_NET)
    sc_gap = np.full((2, N_NET, 3), sc) + 0.001 * rng.standard_normal((2, N_NET, 3))
    return NS(train_fractions=np.array([0.05, 0.85]), ity_gap=ity_gap, sc_gap=sc_gap, i_xy=i_xy)


def test_ib_bound_claims_flip():
    good = _ib_layers()
    assert claims.judge_szt17_near_ib_bound(good).verdict == "supported"
    assert claims.judge_szt17_self_consistent(good).verdict == "supported"
    assert claims.judge_szt17_more_data_toward_bound(good).verdict == "supported"
    far = _ib_layers(gap_small=0.02, gap_big=0.3, sc=0.5)
    assert claims.judge_szt17_near_ib_bound(far).verdict == "contradicted"
    assert claims.judge_szt17_self_consistent(far).verdict == "contradicted"
    assert claims.judge_szt17_more_data_toward_bound(far).verdict == "contradicted"


# ------------------------------------------------------------------------------------------------
# Shwartz-Ziv, Painsky & Tishby
# ------------------------------------------------------------------------------------------------
def _generalization(bounds=(0.5, 0.2, 0.05), gaps=(0.3, 0.1, 0.02), classical=(5.0, 3.0, 2.0)):
    rng = np.random.default_rng(2)
    n_sizes = len(bounds)
    bound = np.zeros((n_sizes, N_NET, 2, 3))
    gap = np.zeros((n_sizes, N_NET, 2))
    for s in range(n_sizes):
        bound[s, :, -1, 1] = bounds[s] * (1 + 0.02 * rng.standard_normal(N_NET))
        gap[s, :, -1] = gaps[s] * (1 + 0.02 * rng.standard_normal(N_NET))
    return NS(train_fractions=np.array([0.05, 0.45, 0.85][:n_sizes]), bound=bound, gap=gap,
              classical=np.array(classical))


def test_bound_tighter_flips_when_the_bound_is_no_better():
    assert claims.judge_spt_bound_tighter(_generalization()).verdict == "supported"  # 2 / 0.05 = 40 times
    loose = claims.judge_spt_bound_tighter(_generalization(bounds=(0.5, 0.2, 1.0)))
    assert loose.verdict == "contradicted" and loose.estimate == pytest.approx(np.log10(2.0), abs=0.02)


def test_bound_orders_gaps_flips_with_an_inverted_order():
    assert claims.judge_spt_bound_orders_gaps(_generalization()).verdict == "supported"
    inverted = claims.judge_spt_bound_orders_gaps(_generalization(gaps=(0.02, 0.1, 0.3)))
    assert inverted.verdict == "contradicted" and inverted.estimate == pytest.approx(-1.0)
    two = claims.judge_spt_bound_orders_gaps(_generalization(bounds=(0.5, 0.2), gaps=(0.3, 0.1)))
    assert two.verdict == "not testable here"


# ------------------------------------------------------------------------------------------------
# Saxe et al.: ReLU and full batch as negative controls
# ------------------------------------------------------------------------------------------------
def test_relu_claim_flips_when_relu_networks_compress():
    assert claims.judge_saxe_relu_no_compression(_debate()).verdict == "supported"
    relu_compresses = _debate({"tanh-minibatch": 2.0, "relu-minibatch": 1.5})
    claim = claims.judge_saxe_relu_no_compression(relu_compresses)
    assert claim.verdict == "contradicted" and claim.estimate == pytest.approx(1.5, abs=0.1)
    assert claim.lenses == (3, 3)  # kde_upper, kde_lower, adaptive30: fixed bins are not part of the claim


def test_fullbatch_claim_flips_when_fullbatch_networks_do_not_compress():
    assert claims.judge_saxe_fullbatch_compresses(_debate()).verdict == "supported"
    flat = claims.judge_saxe_fullbatch_compresses(_debate({"tanh-minibatch": 2.0, "tanh-fullbatch": 0.0}))
    assert flat.verdict == "contradicted" and flat.lenses == (4, 4)
    missing = claims.judge_saxe_fullbatch_compresses(_debate({"tanh-minibatch": 2.0}))
    assert missing.verdict == "not testable here"


def test_compression_noise_floor_grows_with_network_disagreement():
    # final I(X;T) differs by ±1.5 bits between networks: a 0.3-bit mean fall is not compression
    i_xt = np.stack([_networks(_curve(EPOCHS, 100, fall=0.3), noise=0.0)] * 3, axis=-1)
    i_xt[:, :, :2] += np.linspace(-1.5, 1.5, N_NET)[:, None, None] * (EPOCHS[None, :, None] > 900)
    est, ci, floor = claims._largest_compression(i_xt)
    assert floor > 0.3 > claims.COMPRESSION_FLOOR_BITS
    assert interval_verdict(ci, floor, "above") != "supported"


# ------------------------------------------------------------------------------------------------
# Dual IB, infinite ensembles, not testable
# ------------------------------------------------------------------------------------------------
def test_dual_ib_claims_flip():
    earlier = NS(five_point_critical={"ib": 2.0, "dualib": 1.5}, twelve_bit_critical={"ib": 1.0, "dualib": 0.2})
    claim = claims.judge_dualib_splits_earlier(earlier)
    assert claim.verdict == "supported" and claim.estimate == pytest.approx(0.75)
    assert claim.interval == pytest.approx((0.2, 0.75))
    later = NS(five_point_critical={"ib": 1.5, "dualib": 2.0}, twelve_bit_critical={"ib": 1.0, "dualib": 1.2})
    assert claims.judge_dualib_splits_earlier(later).verdict == "contradicted"
    out = NS(family_residual={"dualib": np.array([0.0, 0.3]), "ib": np.ones(2)})
    assert claims.judge_dualib_exponential_family(out).verdict == "contradicted"
    both_in = NS(family_residual={"dualib": np.zeros(2), "ib": np.zeros(2)})
    assert claims.judge_dualib_exponential_family(both_in).verdict == "not testable here"


def _variational(delta=0.1, n_seeds=3):
    betas = np.array([1.0, 10.0, 100.0, 1000.0])
    rate = np.broadcast_to(np.log10(betas)[None, :, None] * 2.0, (2, betas.size, n_seeds)).copy()
    i_zy = np.broadcast_to((1 - np.exp(-np.log10(betas)))[None, :, None], (2, betas.size, n_seeds)).copy()
    i_zy[1] += delta + 0.001 * np.arange(n_seeds)
    return NS(kinds=("vib", "vdualib"), rate_test=rate, i_zy_test=i_zy)


def test_vdualib_flips_with_the_sign_of_the_margin():
    better = claims.judge_vdualib_label_information(_variational(0.1))
    assert better.verdict == "supported" and better.estimate == pytest.approx(0.101, abs=1e-3)
    assert claims.judge_vdualib_label_information(_variational(-0.1)).verdict == "contradicted"
    no_vib = NS(kinds=("vdualib",), rate_test=np.zeros((1, 2, 1)), i_zy_test=np.zeros((1, 2, 1)))
    assert claims.judge_vdualib_label_information(no_vib).verdict == "not testable here"


def _ensembles(train_fall=2.0, rho_sign=1.0, loo_flat=False):
    w_stds, times = np.array([0.5, 1.0]), np.arange(8.0)
    tasks = []
    for k in range(3):
        rise = np.minimum(times / 3, 1.0) * 4.0
        train = rise - train_fall * np.clip((times - 3) / 4, 0, 1)
        gap = np.outer(w_stds, times) + 0.1 * k  # (n_w, n_t)
        test = rho_sign * gap
        q = {}
        for lens in claims._NTK_LENSES:
            tr = rise if (loo_flat and lens == "i_xz_loo") else train
            q[lens] = np.stack([np.broadcast_to(tr, (2, times.size)), test])  # (2 splits, n_w, n_t)
        q["gibbs"] = np.stack([np.zeros_like(gap), gap])
        tasks.append(NS(task=f"t{k}", quantities=q))
    return NS(tasks=tuple(tasks), w_stds=w_stds, config=NS(reference_w_std=1.0))


def test_infinite_ensemble_claims_flip_and_count_lenses():
    ok = claims.judge_sza_train_compression(_ensembles())
    assert ok.verdict == "supported" and ok.lenses == (4, 4) and ok.estimate == pytest.approx(2.0)
    assert claims.judge_sza_train_compression(_ensembles(train_fall=0.0)).verdict == "contradicted"
    split = claims.judge_sza_train_compression(_ensembles(loo_flat=True))
    assert split.verdict == "mixed" and split.lenses == (3, 4)
    assert claims.judge_sza_information_tracks_gap(_ensembles()).verdict == "supported"
    anti = claims.judge_sza_information_tracks_gap(_ensembles(rho_sign=-1.0))
    assert anti.verdict == "contradicted" and anti.estimate == pytest.approx(-1.0)


def test_not_testable_claims_give_reasons():
    for claim in (claims.judge_goldfeld_clustering(), claims.judge_dualib_predicts_unseen()):
        assert claim.verdict == "not testable here" and len(claim.reason) > 40
        assert not np.isfinite(claim.estimate) and claim.lenses == (0, 0)


# ------------------------------------------------------------------------------------------------
# The scorecard
# ------------------------------------------------------------------------------------------------
def test_scorecard_covers_at_least_15_claims_and_reports_missing_experiments():
    card = claims.scorecard({"information_plane": _plane(), "compression-debate": _debate()})
    ids = [c.id for c in card]
    assert len(ids) >= 15 and len(set(ids)) == len(ids) and set(ids) == set(claims.SPECS)
    by_id = {c.id: c for c in card}
    assert by_id["szt17-compression-most-of-training"].verdict == "supported"
    assert by_id["szt17-compression-most-of-training"].lenses == (5, 5)  # the debate is found under its name
    assert by_id["saxe-relu-no-compression"].verdict == "supported"
    depth = by_id["szt17-depth-fit"]
    assert depth.verdict == "not testable here" and depth.reason == "not run: depth"
    assert all(c.verdict in VERDICTS for c in card)
    assert all(c.source and c.test and c.evidence.startswith("chapters/") for c in card)


def test_sentence_and_glue_values_follow_the_verdict():
    card = claims.scorecard({"dual-ib": NS(five_point_critical={"ib": 2.0, "dualib": 1.5},
                                          twelve_bit_critical={"ib": 1.0, "dualib": 0.2},
                                          family_residual={"dualib": np.zeros(2), "ib": np.ones(2)})})
    by_id = {c.id: c for c in card}
    assert by_id["dualib-splits-earlier"].sentence() == "supported (0.75 [0.2, 0.75] ratio; 1 of 1 lenses agree)"
    assert by_id["goldfeld-clustering"].sentence().startswith("not testable here: the book trains")
    values = claims.glue_values(card)
    assert values["dualib_splits_earlier_verdict"] == "supported"
    assert values["dualib_splits_earlier_estimate"] == pytest.approx(0.75)
    assert values["n_claims"] == len(card)
    assert values["n_supported"] + values["n_contradicted"] + values["n_mixed"] + values["n_not_testable_here"] \
        == len(card)
    assert values["n_supported"] == 2  # the two dual-IB claims; everything else was not run or not testable
    assert all(isinstance(v, (int, float, str)) for v in values.values())


def test_scorecard_is_pure():
    plane = _plane()
    before = plane.i_xt.copy()
    first = claims.scorecard({"information-plane": plane})
    second = claims.scorecard({"information-plane": plane})
    assert np.array_equal(plane.i_xt, before)
    assert [c.estimate_text() for c in first] == [c.estimate_text() for c in second]


@pytest.mark.skipif(not os.environ.get("IPFLOW_CLAIMS_CACHE"),
                    reason="set IPFLOW_CLAIMS_CACHE to a cache holding the quick results to judge them")
def test_scorecard_on_real_quick_results(monkeypatch, capsys):
    from ipflow_lib import experiments

    monkeypatch.setenv("IPFLOW_CACHE", os.environ["IPFLOW_CLAIMS_CACHE"])
    results = {}
    for name in claims.EXPERIMENTS:
        module = experiments.get(name)
        results[name] = module.run(module.PRESETS["quick"])
    card = claims.scorecard(results)
    assert len(card) >= 15
    assert sum(c.verdict != "not testable here" for c in card) >= 15
    assert all(np.isfinite(c.estimate) for c in card if c.verdict != "not testable here")
    with capsys.disabled():
        print("\n" + claims.markdown_table(card))


def test_verdict_counts_group_by_paper_and_sum_to_the_card():
    card = claims.scorecard({"information_plane": _plane(), "compression-debate": _debate()})
    counts = claims.verdict_counts(card)
    assert sum(sum(v.values()) for v in counts.values()) == len(card)
    assert all(list(v) == list(VERDICTS) for v in counts.values())
    assert list(counts)[0] == "Shwartz-Ziv & Tishby 2017"  # the first claim's paper first
    assert list(counts) == ["Shwartz-Ziv & Tishby 2017", "Shwartz-Ziv, Painsky & Tishby 2019", "Saxe et al. 2018",
                            "Goldfeld et al. 2019", "Piran, Shwartz-Ziv & Tishby 2020", "Shwartz-Ziv & Alemi 2020"]
    saxe = counts["Saxe et al. 2018"]
    by_id = {c.id: c for c in card}
    assert sum(saxe.values()) == 4  # ReLU, full batch, the two of the linear networks
    assert saxe[by_id["saxe-relu-no-compression"].verdict] >= 1
    # the counts are those of glue_values, split by paper
    values = claims.glue_values(card)
    for verdict in VERDICTS:
        assert sum(v[verdict] for v in counts.values()) == values["n_" + verdict.replace(" ", "_")]


def test_every_claim_links_to_a_section_that_exists():
    """The evidence of each claim is a chapter of the book, and the section it names is a heading there."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    toc = (root / "_toc.yml").read_text()
    for claim_id, spec in claims.SPECS.items():
        page = root / f"{spec.evidence}.md"
        assert page.is_file() and spec.evidence in toc, claim_id
        headings = {line.lstrip("#").strip() for line in page.read_text().splitlines() if line.startswith("#")}
        assert spec.section in headings, f"{claim_id}: no section {spec.section!r} in {page.name}"
    # the row's link is a {doc} role to that page, titled by the section
    row = claims.scorecard({})[0].row()
    assert row[-1] == f"{{doc}}`{claims.SPECS[claims.scorecard({})[0].id].section} </chapters/02_information_plane>`"


def test_self_consistent_is_judged_on_both_halves():
    """SZT17 (iii) needs the encoder *and* the decoder equation: a large decoder distance alone flips it."""
    good = _ib_layers()
    good.decoder_js = np.full_like(good.sc_gap, 0.01)
    assert claims.judge_szt17_self_consistent(good).verdict == "supported"
    bad_decoder = _ib_layers()
    bad_decoder.decoder_js = np.full_like(bad_decoder.sc_gap, 0.4) + 0.01 * np.random.default_rng(2).random(
        bad_decoder.sc_gap.shape)
    claim = claims.judge_szt17_self_consistent(bad_decoder)
    assert claim.verdict == "contradicted"
    assert claim.estimate == pytest.approx(bad_decoder.decoder_js[1, :, -2].mean())
    # without a decoder (older results) the encoder alone is judged
    assert claims.judge_szt17_self_consistent(_ib_layers()).estimate == pytest.approx(
        _ib_layers().sc_gap[1, :, -2].mean())


def test_verdict_changes_reports_flips():
    c = claims.judge_szt17_self_consistent(_ib_layers())
    flipped = claims.judge_szt17_self_consistent(_ib_layers(sc=0.5))
    assert claims.verdict_changes([c], [c]).startswith("changes none of the 1 verdicts")
    assert claims.verdict_changes([c], [flipped]) == (
        "changes 1 of the 1 verdicts (szt17-self-consistent: supported → contradicted)")
    with pytest.raises(ValueError, match="same claims"):
        claims.verdict_changes([c], [])


def _linear(i_xt, test_error):
    """A synthetic ``linear_networks.Result``: its generalisation run's I(X;T) (n, e, layers) and test error (n, e)."""
    return NS(runs={"generalization": NS(i_xt=np.asarray(i_xt, float), test_error=np.asarray(test_error, float))})


def test_saxe_linear_no_compression_flips_when_i_xt_compresses():
    rng = np.random.default_rng(0)
    rise = np.linspace(0.0, 3.0, 12)[None, :, None] + rng.normal(0, 0.01, (6, 12, 1))
    overfit = np.concatenate([np.linspace(2.0, 1.0, 6), np.linspace(1.2, 3.0, 6)])[None].repeat(6, 0)
    flat = claims.judge_saxe_linear_no_compression(_linear(np.maximum.accumulate(rise, axis=1), overfit))
    assert flat.verdict == "supported" and flat.lenses == (1, 1) and flat.estimate < claims.COMPRESSION_FLOOR_BITS
    fall = rise.copy()
    fall[:, 6:] = fall[:, 5:6] - np.linspace(0.3, 1.5, 6)[None, :, None]  # loses 1.5 bits after its peak
    squeezed = claims.judge_saxe_linear_no_compression(_linear(fall, overfit))
    assert squeezed.verdict == "contradicted" and squeezed.estimate > 1.0
    no_overfit = claims.judge_saxe_linear_no_compression(_linear(rise, np.linspace(2.0, 1.0, 12)[None].repeat(6, 0)))
    assert no_overfit.verdict == "not testable here" and "overfitting" in no_overfit.reason
    card = claims.scorecard({"linear-networks": _linear(np.maximum.accumulate(rise, axis=1), overfit)})
    assert {c.id: c.verdict for c in card}["saxe-linear-no-compression"] == "supported"


# ------------------------------------------------------------------------------------------------
# The dual IB on unseen data (finite samples)
# ------------------------------------------------------------------------------------------------
def _finite(error_sign: float, log_loss_sign: float, n_sizes: int = 3, n_samples: int = 20):
    """A synthetic ``dual_ib.Result``: IB-minus-dual-IB gaps of known sign and noise, shape (n_sizes, n_samples)."""
    rng = np.random.default_rng(3)
    noise = rng.normal(0.0, 0.002, (n_sizes, n_samples))
    return NS(finite_gap={"error": error_sign * 0.01 + noise, "log_loss": log_loss_sign * 0.02 + noise,
                          "dual": noise})


def test_dualib_unseen_flips_when_the_ib_predicts_better():
    better = claims.judge_dualib_predicts_unseen(_finite(1.0, 1.0))
    assert better.verdict == "supported" and better.lenses == (2, 2)
    assert better.estimate == pytest.approx(100 * _finite(1.0, 1.0).finite_gap["error"].mean())  # percentage points
    assert better.interval[0] > 0 and better.lens_verdicts[0] == ("0-1 error", "supported")
    worse = claims.judge_dualib_predicts_unseen(_finite(-1.0, -1.0))
    assert worse.verdict == "contradicted" and worse.estimate < 0 and worse.interval[1] < 0
    split = claims.judge_dualib_predicts_unseen(_finite(1.0, -1.0))  # the log-loss lens disagrees
    assert split.verdict == "mixed" and split.lenses == (1, 2)
    tied = claims.judge_dualib_predicts_unseen(NS(finite_gap={"error": _finite(0, 0).finite_gap["dual"] * 0.01,
                                                              "log_loss": np.zeros((3, 20))}))
    assert tied.verdict in ("mixed", "contradicted") and tied.verdict != "supported"
    assert claims.judge_dualib_predicts_unseen(NS()).verdict == "not testable here"
    dual = NS(five_point_critical={"ib": 2.0, "dualib": 1.5}, twelve_bit_critical={"ib": 1.0, "dualib": 0.2},
              family_residual={"dualib": np.zeros(2), "ib": np.ones(2)}, finite_gap=_finite(-1.0, -1.0).finite_gap)
    assert {c.id: c.verdict for c in claims.scorecard({"dual-ib": dual})}["dualib-predicts-unseen"] == "contradicted"


def test_saxe_relu_claim_gains_mnist_lenses_that_flip_with_the_mnist_numbers():
    names = ("kde_upper", "kde_lower", "adaptive30")
    twelve_bit = _debate()  # ReLU mini-batch does not compress
    flat_mnist = _debate({"tanh-minibatch": 2.0, "relu-minibatch": 0.0}, names=names)
    alone = claims.judge_saxe_relu_no_compression(twelve_bit)
    claim = claims.judge_saxe_relu_no_compression(twelve_bit, flat_mnist)
    assert claim.verdict == "supported" and claim.lenses == (6, 6)
    assert claim.estimate == alone.estimate and claim.interval == alone.interval  # the 12-bit estimate stays
    assert [k for k, _ in claim.lens_verdicts][3:] == [f"{n} (MNIST)" for n in names]
    # the MNIST ReLU networks compress: their lenses contradict, the claim is no longer supported
    squeezed = claims.judge_saxe_relu_no_compression(
        twelve_bit, _debate({"tanh-minibatch": 2.0, "relu-minibatch": 2.0}, names=names))
    assert squeezed.verdict != "supported" and squeezed.lenses == (3, 6)
    assert dict(squeezed.lens_verdicts)["kde_upper (MNIST)"] == "contradicted"
    # an MNIST result without ReLU runs adds nothing; the scorecard passes it when present
    assert claims.judge_saxe_relu_no_compression(twelve_bit, _debate({"tanh-minibatch": 2.0})) == alone
    card = claims.scorecard({"compression-debate": twelve_bit, "mnist-debate": flat_mnist})
    assert next(c for c in card if c.id == "saxe-relu-no-compression").lenses == (6, 6)
    assert "mnist-debate" in claims.EXPERIMENTS


# ------------------------------------------------------------------------------------------------
# Goldfeld et al.: compression of the noisy I(X;T) is clustering (appended with the noisy-networks experiment)
# ------------------------------------------------------------------------------------------------
def _noisy(couple_sp=True, couple_bin=True, n=N_NET, n_ep=30, seed=0):
    """A noisy_networks.Result whose last layer's I(X;T) peaks at epoch index 10 and then falls as the clustered
    fraction rises (coupled), or falls in an order unrelated to the clustering (decoupled; the peak stays put)."""
    from ipflow_lib.experiments import noisy_networks

    rng = np.random.default_rng(seed)
    epochs = np.arange(n_ep)
    shape = (n, n_ep, 2)
    curve = np.where(epochs < 10, 8 + 0.1 * epochs, 9 - 0.1 * (epochs - 10))
    clustered = np.zeros(shape)
    clustered[..., 1] = np.clip(0.01 * (epochs - 10), 0, None)[None] + 1e-4 * rng.random((n, n_ep))

    def info(coupled):
        out = np.full(shape, 12.0)
        out[..., 1] = curve[None] + 0.01 * rng.standard_normal((n, n_ep))
        if not coupled:
            for k in range(n):
                out[k, 11:, 1] = out[k, 11:, 1][rng.permutation(n_ep - 11)]
        return out

    sp, bins = info(couple_sp), info(couple_bin)
    cfg = noisy_networks.PRESETS["quick"]
    return noisy_networks.Result(
        config=cfg, logged_epochs=epochs, layer_widths=(4, 3), i_xt_sp=sp, i_xt_sp_stderr=np.full(shape, 0.01),
        h_t_given_x=np.zeros(shape), i_xt_bin=bins, i_ty_bin=np.zeros(shape), clustered=clustered,
        train_acc=np.ones((n, n_ep)), test_acc=np.ones((n, n_ep)), neuron_weights=np.array([0.1, 1.0, 10.0]),
        neuron_i_xt=np.array([1.0, 2.0, 1.0]), h_x=12.0)


def test_goldfeld_clustering_flips_when_compression_and_clustering_decouple():
    coupled = claims.judge_goldfeld_clustering(_noisy())
    assert coupled.verdict == "supported" and coupled.lenses == (2, 2)
    assert coupled.estimate > 0.9 and coupled.interval[0] > claims.ORDER_RHO
    assert [name for name, _ in coupled.lens_verdicts] == ["sample_propagation", "binning"]
    decoupled = claims.judge_goldfeld_clustering(_noisy(couple_sp=False, couple_bin=False))
    assert decoupled.verdict == "contradicted" and decoupled.interval[1] < claims.ORDER_RHO
    # binning still tracks the clustering but the noisy I(X;T) does not: the lenses disagree
    split = claims.judge_goldfeld_clustering(_noisy(couple_sp=False, couple_bin=True))
    assert split.verdict == "mixed" and split.lenses == (1, 2)
    # no compression phase (I(X;T) peaks at the end): nothing to compare
    late = _noisy()
    late.i_xt_sp[:, -1, 1] = 20.0
    assert claims.judge_goldfeld_clustering(late).verdict == "not testable here"
    assert "noisy-networks" in claims.EXPERIMENTS
    card = {c.id: c for c in claims.scorecard({"noisy-networks": _noisy()})}
    assert card["goldfeld-clustering"].verdict == "supported"


def test_saxe_irrelevant_compression_needs_both_gd_and_sgd_to_compress():
    rng = np.random.default_rng(1)
    epochs = np.arange(12)
    bump = 0.05 + 0.2 * np.exp(-0.5 * ((epochs - 4) / 1.5) ** 2)  # rises to 0.25 bits, ends near 0.05
    hump = bump[None, :, None] + rng.normal(0, 0.005, (8, 12, 1))
    rise = np.maximum.accumulate(hump, axis=1)  # the same curves without their fall

    def result(gd, sgd):
        return NS(runs={"subspace-gd": NS(i_t_irr=gd), "subspace-sgd": NS(i_t_irr=sgd)})

    both = claims.judge_saxe_irrelevant_compression(result(hump, hump))
    assert both.verdict == "supported" and both.estimate > 0.15
    only_gd = claims.judge_saxe_irrelevant_compression(result(hump, rise))
    assert only_gd.verdict == "contradicted" and only_gd.estimate < claims.COMPRESSION_FLOOR_BITS
    assert claims.judge_saxe_irrelevant_compression(result(rise, hump)).verdict == "contradicted"
    missing = claims.judge_saxe_irrelevant_compression(NS(runs={}))
    assert missing.verdict == "not testable here" and "irrelevant runs" in missing.reason
