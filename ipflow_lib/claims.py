"""Each claim of the thesis and of its critics as code: source, operational test, estimate, interval, verdict.

A :class:`Claim` is the record of one conclusion judged on the book's results: where it comes from
(``source``), what it says (``claim``, paraphrased), the operational test fixed here (``test``: what is
measured, on which experiment, with which threshold), the ``estimate`` (in ``unit``) with a 5–95 %
``interval``, how many estimator ``lenses`` agree, and a ``verdict`` from :data:`VERDICTS`. One PURE function
per claim, ``judge_<id>(result, ...) -> Claim``, computes it from result objects (it never runs an
experiment); :func:`scorecard` judges every claim from a mapping of experiment names to results, and
:meth:`Claim.row` / :func:`markdown_table` give the scorecard page its table, :meth:`Claim.sentence` and
:func:`glue_values` the chapters their verdicts. The scorecard page needs two calls::

    results = {name: experiments.get(name).run() for name in claims.EXPERIMENTS}  # cached, no training
    card = claims.scorecard(results)

Definitions shared by the judges (fixed before any ``paper``-preset run was looked at)
-------------------------------------------------------------------------------------
*Interval.* For experiments over networks: the 5–95 % percentile interval of the statistic over
:data:`N_BOOTSTRAP` bootstrap resamples of the networks (:func:`ipflow_lib.trajectories.bootstrap`, seed
:data:`BOOTSTRAP_SEED`; the statistic of a resample is computed on the *mean* trajectory of the resampled
networks). For exact computations without networks (the IB / dual IB tables, the infinite ensembles) there is
nothing to resample: the interval is the range of the statistic over the problems (tasks) the experiment
solves, or the single value where there is one problem; the test text says which.

*Compresses.* A layer compresses when the drop of its (network-mean) I(X;T) from its peak to its final value
exceeds the **noise floor** max(:data:`COMPRESSION_FLOOR_BITS`, :data:`NOISE_SE` · sd/√n), sd the standard
deviation over the n networks of the layer's final I(X;T): a fixed floor (the max of a noisy curve always lies
above its end) and the across-network noise of the end point. A claim "X compresses" is judged on the interval
of the largest drop over the hidden layers against that floor.

*Compression onset* = the logged epoch of the peak of the mean I(X;T) of a compressing layer (NaN for a layer
that does not compress). *Fitted* = the first logged epoch at which the mean training accuracy reaches
:data:`FIT_ACCURACY`. *Drift → diffusion* = the first logged epoch at which the gradient SNR, nanmean ‖mean‖ /
nanmean ‖std‖ over networks, falls below 1 (:func:`ipflow_lib.trajectories.drift_diffusion_transition`).
An event that never happens within the run is placed at :data:`NEVER_FACTOR` × the last logged epoch
("after the run") when two epochs are compared. Epochs are compared in decades,
log10((e₁ + 1) / (e₂ + 1)); "coincide" means within :data:`COINCIDE_DECADES` (a factor of 2).

*Verdict rule* (:func:`interval_verdict`, :func:`combine_lenses`). Every claim has a threshold and a side
("above" or "below"): *supported* when the whole interval lies on the claim's side of the threshold,
*contradicted* when it lies wholly on the other side, *mixed* when it straddles it (or is NaN). The verdict is
then recomputed under every estimator lens the experiment has (fixed binning with 10 / 30 / 100 bins,
adaptive binning, the KDE upper and lower bounds, the Monte Carlo noisy-layer estimate; the InfoNCE,
leave-one-out and pairwise bounds of the infinite ensembles); the main lens is one of them. ``lenses`` =
(k, n): of the n lenses, k give the main verdict. **When any lens disagrees, a supported or contradicted
verdict becomes mixed.** Lenses of one experiment are compared on the same logged epochs (the epochs at which
every one of them ran). *Not testable here*: the book has no experiment (or no data) that can test the claim;
``reason`` says why.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from .trajectories import (
    after_run,
    bootstrap_interval,
    compression,
    decades,
    drift_diffusion_transition,
    first_epoch_reaching,
    noise_floor,
    onset_above_floor,
    phase_times,
    spearman,
)

__all__ = [
    "BOOTSTRAP_SEED",
    "COINCIDE_DECADES",
    "COMPRESSION_FLOOR_BITS",
    "DPI_FRACTION",
    "FIT_ACCURACY",
    "LABEL_FLOOR_BITS",
    "N_BOOTSTRAP",
    "NEVER_FACTOR",
    "NOISE_SE",
    "ROW_HEADER",
    "VERDICTS",
    "Claim",
    "combine_lenses",
    "interval_verdict",
    "judge_dualib_exponential_family",
    "judge_dualib_predicts_unseen",
    "judge_dualib_splits_earlier",
    "judge_goldfeld_clustering",
    "judge_saxe_fullbatch_compresses",
    "judge_saxe_irrelevant_compression",
    "judge_saxe_linear_no_compression",
    "judge_saxe_relu_no_compression",
    "judge_spt_bound_orders_gaps",
    "judge_spt_bound_tighter",
    "judge_sza_information_tracks_gap",
    "judge_sza_train_compression",
    "judge_szt17_compression_after_fitting",
    "judge_szt17_compression_at_diffusion",
    "judge_szt17_compression_most_of_training",
    "judge_szt17_depth_compression",
    "judge_szt17_depth_fit",
    "judge_szt17_diffusion_at_fitting",
    "judge_szt17_dpi_ordering",
    "judge_szt17_more_data_toward_bound",
    "judge_szt17_near_ib_bound",
    "judge_szt17_self_consistent",
    "judge_szt17_small_data_overfit",
    "judge_vdualib_label_information",
    "glue_values",
    "markdown_table",
    "scorecard",
    "verdict_changes",
    "verdict_counts",
]

#: The fixed set of verdicts.
VERDICTS = ("supported", "contradicted", "mixed", "not testable here")

#: Bootstrap resamples of the networks for every interval, and the seed of their draws.
N_BOOTSTRAP = 200
BOOTSTRAP_SEED = 0
#: Fixed part of the noise floor of "compresses", bits (the library's ``min_compression_bits`` default).
COMPRESSION_FLOOR_BITS = 0.1
#: Fixed floor, bits, of a loss of label information I(T;Y) from its peak to its final value (2 % of H(Y) ≈ 1 bit).
LABEL_FLOOR_BITS = 0.02
#: Standard errors of the across-network noise in the noise floor.
NOISE_SE = 2.0
#: Training accuracy (mean over networks) at which a network has *fitted* the labels.
FIT_ACCURACY = 0.95
#: Two epochs *coincide* when they are within this many decades (log10 2: a factor of 2).
COINCIDE_DECADES = math.log10(2.0)
#: An event that never happens is placed at this multiple of the last logged epoch.
NEVER_FACTOR = 2.0
#: Fraction of the training epochs that is "most of training".
MOST_FRACTION = 0.5
#: "Far tighter": the H(X) bound over the input compression bound, in decades (10 times).
TIGHTER_DECADES = 1.0
#: Share of ordered layer pairs above which the estimates "obey" the data-processing inequality.
DPI_FRACTION = 0.95
#: Rank correlation above which one quantity "orders" or "tracks" another.
ORDER_RHO = 0.5
#: A layer is "near the IB bound" when the I(T;Y) it lacks below the bound is under this fraction of I(X;Y).
NEAR_BOUND_FRACTION = 0.1
#: The layer "satisfies the IB self-consistent equations" when E_x KL[layer encoder ‖ IB encoder] is below this, bits.
SELF_CONSISTENT_BITS = 0.1
#: A decoder is "in the exponential family" when its residual from the family is below this, nats.
FAMILY_TOL_NATS = 1e-4

#: Column titles of :meth:`Claim.row`.
ROW_HEADER = ("claim", "source", "operational test", "estimate [5–95 %]", "lenses agree", "verdict", "evidence")


@dataclasses.dataclass(frozen=True)
class Claim:
    """One claim judged on the book's results.

    Attributes
    ----------
    id : str -- short stable name, e.g. ``"szt17-compression-most-of-training"``
    source : str -- paper and figure or section
    claim : str -- the claim, paraphrased
    test : str -- the operational test in words: what is measured, on which experiment, which threshold
    estimate : float -- the measured statistic, in ``unit`` (NaN when not testable)
    unit : str -- "bits", "decades", "fraction", ...
    interval : (float, float) -- 5–95 % interval (see the module docstring: bootstrap over networks, or the
        range over problems for exact computations)
    lenses : (k, n) -- of n estimator lenses, k give the verdict of the main lens
    verdict : one of :data:`VERDICTS`
    evidence : str -- the book document that shows the evidence, e.g. ``"chapters/02_information_plane"``
    section : str -- the section title there
    reason : str -- why the claim is not testable here (required for that verdict)
    threshold : float -- the threshold of the test, in ``unit``
    lens_verdicts : tuple of (lens, verdict) pairs, the main lens first

    Raises
    ------
    ValueError
        A verdict outside :data:`VERDICTS`, lenses with k > n, or "not testable here" without a reason.
    """

    id: str
    source: str
    claim: str
    test: str
    estimate: float
    unit: str
    interval: tuple[float, float]
    lenses: tuple[int, int]
    verdict: str
    evidence: str
    section: str = ""
    reason: str = ""
    threshold: float = float("nan")
    lens_verdicts: tuple[tuple[str, str], ...] = ()

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {self.verdict!r}")
        k, n = self.lenses
        if not 0 <= k <= n:
            raise ValueError(f"lenses must be (k, n) with 0 ≤ k ≤ n, got {self.lenses}")
        if self.verdict == "not testable here" and not self.reason:
            raise ValueError(f"claim {self.id!r} is not testable here but gives no reason")

    def estimate_text(self) -> str:
        """``"0.62 [0.55, 0.70] fraction"``; ``"—"`` when there is no estimate."""
        if not np.isfinite(self.estimate):
            return "—"
        lo, hi = self.interval
        return f"{_fmt(self.estimate)} [{_fmt(lo)}, {_fmt(hi)}] {self.unit}".rstrip()

    def sentence(self) -> str:
        """The verdict for prose: ``"supported (0.43 [0.16, 0.56] decades; 1 of 1 lenses agree)"``, or
        ``"not testable here: <reason>"``."""
        if self.verdict == "not testable here":
            return f"not testable here: {self.reason}"
        k, n = self.lenses
        return f"{self.verdict} ({self.estimate_text()}; {k} of {n} lenses agree)"

    def row(self) -> tuple[str, ...]:
        """The cells of this claim's row in the scorecard table (strings, in the order of :data:`ROW_HEADER`).

        The evidence cell is a MyST ``{doc}`` link to ``evidence`` titled by ``section``; table pipes are escaped.
        A not-testable claim carries its reason in the verdict cell.
        """
        k, n = self.lenses
        verdict = f"{self.verdict} ({self.reason})" if self.verdict == "not testable here" else self.verdict
        title = self.section or self.evidence.rsplit("/", 1)[-1]
        link = f"{{doc}}`{title} </{self.evidence}>`" if self.evidence else ""
        cells = (self.id, self.source, f"{self.claim} *Test:* {self.test}", self.estimate_text(),
                 f"{k} of {n}" if n else "—", verdict, link)
        return tuple(c.replace("|", "\\|") for c in cells)


def markdown_table(claims: Sequence[Claim]) -> str:
    """The scorecard as a markdown table: :data:`ROW_HEADER` and one :meth:`Claim.row` per claim."""
    lines = ["| " + " | ".join(ROW_HEADER) + " |", "|" + "---|" * len(ROW_HEADER)]
    lines += ["| " + " | ".join(c.row()) + " |" for c in claims]
    return "\n".join(lines)


def glue_values(card: Sequence[Claim]) -> dict[str, float | str]:
    """Flat values of a scorecard for ``myst_nb.glue``: per claim, with ``-`` in its id read as ``_``,
    ``<id>_verdict``, ``<id>_sentence`` (:meth:`Claim.sentence`), ``<id>_estimate`` (float, NaN when not testable),
    ``<id>_lo``, ``<id>_hi`` and ``<id>_lenses`` ("k of n"); and ``n_claims`` and ``n_<verdict>`` counts
    (``n_supported``, ``n_contradicted``, ``n_mixed``, ``n_not_testable_here``)."""
    out: dict[str, float | str] = {"n_claims": len(card)}
    for verdict in VERDICTS:
        out["n_" + verdict.replace(" ", "_")] = sum(c.verdict == verdict for c in card)
    for c in card:
        key = c.id.replace("-", "_")
        out.update({f"{key}_verdict": c.verdict, f"{key}_sentence": c.sentence(), f"{key}_estimate": c.estimate,
                    f"{key}_lo": c.interval[0], f"{key}_hi": c.interval[1], f"{key}_lenses": f"{c.lenses[0]} of "
                    f"{c.lenses[1]}"})
    return out


def verdict_counts(card: Sequence[Claim]) -> dict[str, dict[str, int]]:
    """How many claims of each paper got each verdict: ``{paper: {verdict: count}}``.

    The paper is :attr:`Claim.source` up to its first year ("Shwartz-Ziv, Painsky & Tishby 2019, Sec. 3" →
    "Shwartz-Ziv, Painsky & Tishby 2019"; the whole source when it has no year); papers in the order of their
    first claim in ``card``, verdicts in the order of :data:`VERDICTS`, every verdict present (0 when none). The
    counts over all papers sum to ``len(card)``.

    Examples
    --------
    >>> c = Claim("a", "P, Q & R 2020, Sec. 1", "", "", 1.0, "", (0.0, 2.0), (1, 1), "mixed", "")
    >>> verdict_counts([c, dataclasses.replace(c, verdict="supported")])["P, Q & R 2020"]
    {'supported': 1, 'contradicted': 0, 'mixed': 1, 'not testable here': 0}
    """
    out: dict[str, dict[str, int]] = {}
    for c in card:
        year = re.match(r"(.*?\b(19|20)\d\d[a-z]?)\b", c.source)
        paper = (year.group(1) if year else c.source).strip()
        out.setdefault(paper, dict.fromkeys(VERDICTS, 0))[c.verdict] += 1
    return out


def verdict_changes(base: Sequence[Claim], control: Sequence[Claim]) -> str:
    """Whether a control run changes the verdicts of the same claims, for prose.

    ``base`` and ``control`` judge the same claims in the same order (the book's run and a control of it). Returns
    "changes none of the 2 verdicts (a: supported; b: mixed)" or "changes 1 of the 2 verdicts (a: supported →
    contradicted; b: mixed)".

    Raises
    ------
    ValueError
        If the two lists do not hold the same claim ids in the same order.

    Examples
    --------
    >>> c = Claim("a", "P 2020", "", "", 1.0, "", (0.0, 2.0), (1, 1), "supported", "")
    >>> verdict_changes([c], [dataclasses.replace(c, verdict="mixed")])
    'changes 1 of the 1 verdicts (a: supported → mixed)'
    """
    if [c.id for c in base] != [c.id for c in control]:
        raise ValueError(f"base and control must judge the same claims, got {[c.id for c in base]} and "
                         f"{[c.id for c in control]}")
    parts = [f"{a.id}: {a.verdict}" if a.verdict == b.verdict else f"{a.id}: {a.verdict} → {b.verdict}"
             for a, b in zip(base, control, strict=True)]
    n = sum(a.verdict != b.verdict for a, b in zip(base, control, strict=True))
    return f"changes {n or 'none'} of the {len(base)} verdicts ({'; '.join(parts)})"


def _fmt(x: float) -> str:
    return "nan" if not np.isfinite(x) else f"{x:.3g}"


# ----------------------------------------------------------------------------------------------
# The verdict rule
# ----------------------------------------------------------------------------------------------
def interval_verdict(interval, threshold: float, side: str) -> str:
    """The verdict of one interval against a threshold.

    Parameters
    ----------
    interval : (lo, hi) -- the 5–95 % interval of the estimate
    threshold : float -- in the estimate's unit
    side : "above" (the claim says the statistic exceeds the threshold) or "below"

    Returns
    -------
    "supported" when the interval lies wholly on the claim's side (strictly), "contradicted" when it lies
    wholly on the other side (or touches the threshold from there), "mixed" when it straddles the threshold or
    is NaN.

    Raises
    ------
    ValueError
        ``side`` not "above" / "below".

    Examples
    --------
    >>> interval_verdict((0.6, 0.8), 0.5, "above"), interval_verdict((0.1, 0.4), 0.5, "above")
    ('supported', 'contradicted')
    >>> interval_verdict((0.4, 0.6), 0.5, "below")
    'mixed'
    """
    if side not in ("above", "below"):
        raise ValueError(f"side must be 'above' or 'below', got {side!r}")
    lo, hi = (float(v) for v in interval)
    if np.isnan(lo) or np.isnan(hi):
        return "mixed"
    if side == "above":
        return "supported" if lo > threshold else "contradicted" if hi <= threshold else "mixed"
    return "supported" if hi < threshold else "contradicted" if lo >= threshold else "mixed"


def combine_lenses(main: str, lens_verdicts: Mapping[str, str]) -> tuple[str, tuple[int, int]]:
    """The final verdict and (k, n) from the main lens's verdict and every lens's own verdict.

    ``lens_verdicts`` holds every lens, the main one included (an empty mapping counts the main lens alone).
    k counts the lenses whose verdict equals ``main``; if k < n a supported / contradicted ``main`` becomes
    "mixed" (the lenses disagree), a mixed one stays mixed.

    Examples
    --------
    >>> combine_lenses("supported", {"bins30": "supported", "kde_upper": "mixed"})
    ('mixed', (1, 2))
    >>> combine_lenses("contradicted", {})
    ('contradicted', (1, 1))
    """
    if main not in VERDICTS:
        raise ValueError(f"main must be one of {VERDICTS}, got {main!r}")
    if not lens_verdicts:
        return main, (1, 1)
    n = len(lens_verdicts)
    k = sum(v == main for v in lens_verdicts.values())
    if k < n and main in ("supported", "contradicted"):
        return "mixed", (k, n)
    return main, (k, n)


# ----------------------------------------------------------------------------------------------
# The claims' fixed texts
# ----------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class _Spec:
    source: str
    claim: str
    test: str
    unit: str
    threshold: float
    side: str
    evidence: str
    section: str


_CH2, _CH3, _CH4 = "chapters/02_information_plane", "chapters/03_depth_data_ib_bound", \
    "chapters/04_compression_generalization"
_CH5, _CH6, _CH7 = "chapters/05_estimating_information", "chapters/06_infinite_ensembles", "chapters/07_dual_ib"
_SZT = "Shwartz-Ziv & Tishby 2017"
_SPT = "Shwartz-Ziv, Painsky & Tishby 2019"
_SAXE = "Saxe et al. 2018"
_DUAL = "Piran, Shwartz-Ziv & Tishby 2020"
_SZA = "Shwartz-Ziv & Alemi 2020"
_FLOOR = (f"the noise floor max({COMPRESSION_FLOOR_BITS:g} bits, {NOISE_SE:g} standard errors over networks of the "
          f"final I(X;T))")
_LENS_NOTE = "lenses: the compression-debate's tanh mini-batch runs through every estimator, on common epochs"

SPECS: dict[str, _Spec] = {
    "szt17-compression-most-of-training": _Spec(
        f"{_SZT}, Sec. 3.3, Figs. 2-3", "Most of training is spent compressing the representation.",
        "information-plane: per hidden layer, the share of the training epochs after the compression onset "
        f"(0 for a layer that does not compress above {_FLOOR}), averaged over hidden layers; supported above "
        f"{MOST_FRACTION:g} ({_LENS_NOTE}).", "fraction", MOST_FRACTION, "above", _CH2, "The information plane"),
    "szt17-compression-after-fitting": _Spec(
        f"{_SZT}, Sec. 3.3", "Compression starts once the training error has become small.",
        f"information-plane: median over compressing hidden layers of log10((onset + 1)/(fitted + 1)), fitted = "
        f"first epoch with mean training accuracy ≥ {FIT_ACCURACY:g}; supported above 0 ({_LENS_NOTE}).",
        "decades", 0.0, "above", _CH2, "The information plane"),
    "szt17-compression-at-diffusion": _Spec(
        f"{_SZT}, Sec. 4.2, Fig. 4", "Compression starts at the transition from drift to diffusion of the gradients.",
        "information-plane: median over compressing hidden layers of |log10((onset + 1)/(SNR epoch + 1))|, SNR "
        f"epoch = first with gradient SNR < 1 (never: {NEVER_FACTOR:g} × the last epoch); supported below "
        f"{COINCIDE_DECADES:.2f} decades (a factor of 2).", "decades", COINCIDE_DECADES, "below", _CH2,
        "Drift and diffusion: the gradients"),
    "szt17-diffusion-at-fitting": _Spec(
        f"{_SZT}, Sec. 4.2, Fig. 4", "The gradients turn from drift to diffusion when the training error has become "
        "small.", "information-plane: median over hidden layers of |log10((SNR epoch + 1)/(fitted + 1))|; "
        f"supported below {COINCIDE_DECADES:.2f} decades.", "decades", COINCIDE_DECADES, "below", _CH2,
        "Drift and diffusion: the gradients"),
    "szt17-dpi-ordering": _Spec(
        f"{_SZT}, Sec. 2.2", "The layers form a Markov chain, so their information decreases with depth "
        "(data-processing inequality), layer by layer.", "information-plane: share of (network, logged epoch, "
        "consecutive layer pair) with I(X;T_k) ≥ I(X;T_k+1) and I(T_k;Y) ≥ I(T_k+1;Y) (to 1e-9 bits) of the binned "
        f"estimates, which the inequality does not bind (the binned T_k+1 is no function of the binned T_k); "
        f"supported above {DPI_FRACTION:g} ({_LENS_NOTE}).", "fraction", DPI_FRACTION, "above", _CH2,
        "The information plane"),
    "szt17-near-ib-bound": _Spec(
        f"{_SZT}, Sec. 5, Fig. 6", "The converged layers lie close to the IB bound.",
        "ib-layers, largest training set: the I(T;Y) the last hidden layer lacks below the IB bound at its I(X;T), "
        f"as a fraction of I(X;Y), mean over networks; supported below {NEAR_BOUND_FRACTION:g}.", "fraction of "
        "I(X;Y)", NEAR_BOUND_FRACTION, "below", _CH3, "The converged layers and the IB bound"),
    "szt17-self-consistent": _Spec(
        f"{_SZT}, Sec. 5, Fig. 6", "Each converged layer satisfies the IB self-consistent equations for some β.",
        "ib-layers, largest training set, last hidden layer, both halves: the encoder residual E_x KL[layer encoder "
        "‖ IB encoder at the best β] and the decoder distance E_t JS[IB decoder Σ_x p(y|x)p(x|t) ‖ the network's "
        "softmax averaged over the cell], means over networks; the larger of the two, supported below "
        f"{SELF_CONSISTENT_BITS:g} bits.", "bits", SELF_CONSISTENT_BITS,
        "below", _CH3, "The β of each layer"),
    "szt17-depth-fit": _Spec(
        f"{_SZT}, Sec. 3.4, Fig. 5", "More hidden layers reach good training accuracy in fewer epochs.",
        f"depth: log10 of (epoch + 1) at which the mean training accuracy reaches {FIT_ACCURACY:g}, shallowest over "
        f"deepest network (never: {NEVER_FACTOR:g} × the last epoch); supported above 0.", "decades", 0.0, "above",
        _CH3, "Depth"),
    "szt17-depth-compression": _Spec(
        f"{_SZT}, Sec. 3.4, Fig. 5", "More hidden layers end the compression phase in fewer epochs.",
        "depth: log10 of (epoch + 1) at which the softmax output's compression ends (90 % of its fall, falls "
        f"≥ {COMPRESSION_FLOOR_BITS:g} bits), shallowest over deepest network; supported above 0.", "decades", 0.0,
        "above", _CH3, "Depth"),
    "szt17-small-data-overfit": _Spec(
        f"{_SZT}, Sec. 3.3, Fig. 3", "With little data, compression discards label information (overfitting).",
        "training-size, smallest training set: fall of the last hidden layer's mean I(T;Y) from its peak to its "
        f"final value; supported above max({LABEL_FLOOR_BITS:g} bits, {NOISE_SE:g} standard errors).", "bits",
        LABEL_FLOOR_BITS, "above", _CH3, "Training size"),
    "szt17-more-data-toward-bound": _Spec(
        f"{_SZT}, Sec. 5, Fig. 6", "More training data moves the layers towards the IB bound.",
        "ib-layers: the last hidden layer's I(T;Y) deficit below the bound, smallest minus largest training set "
        "(mean over networks, paired by seed); supported above 0.", "bits", 0.0, "above", _CH3,
        "The converged layers and the IB bound"),
    "spt-bound-tighter": _Spec(
        f"{_SPT}, Sec. 3", "The input compression bound is far tighter than the classical bound with H(X).",
        "generalization, largest training set, last logged epoch: log10(classical bound / input compression bound "
        f"of the last hidden layer, mean over networks); supported above {TIGHTER_DECADES:g} decade (10 times).",
        "decades", TIGHTER_DECADES, "above", _CH4, "The bound on the trained layers"),
    "spt-bound-orders-gaps": _Spec(
        f"{_SPT}, Sec. 4", "Across training sizes the bound orders the networks as their generalisation gaps.",
        "generalization: Spearman rank correlation across training sizes of the last hidden layer's final bound "
        f"and the measured gap (means over networks); supported above {ORDER_RHO:g}.", "ρ", ORDER_RHO, "above",
        _CH4, "The bound on the trained layers"),
    "saxe-relu-no-compression": _Spec(
        f"{_SAXE}, Sec. 2, Fig. 1", "ReLU networks do not compress under KDE or adaptive binning.",
        "compression-debate, ReLU mini-batch: largest fall of a hidden layer's mean I(X;T) from its peak to its end "
        "(KDE upper bound; lenses KDE lower, adaptive binning, and the three on mnist-debate's ReLU networks when "
        f"run; common epochs); supported below {_FLOOR}.",
        "bits", COMPRESSION_FLOOR_BITS, "below", _CH5, "Saxe et al.: tanh against ReLU, mini-batch against "
        "full batch"),
    "saxe-fullbatch-compresses": _Spec(
        f"{_SAXE}, Sec. 4, Fig. 5", "Compression, where it happens, does not need stochastic gradients.",
        "compression-debate, tanh full batch: largest fall of a hidden layer's mean I(X;T) from its peak to its end "
        f"(binning, 30 bins; every lens on common epochs); supported above {_FLOOR}.", "bits",
        COMPRESSION_FLOOR_BITS, "above", _CH5, "Saxe et al.: tanh against ReLU, mini-batch against full batch"),
    "saxe-linear-no-compression": _Spec(
        f"{_SAXE}, Sec. 3, Fig. 4", "Deep linear networks generalise, and overfit, without compressing: the test "
        "error changes while the exact I(X;T) of the noisy hidden layer does not fall.",
        "linear-networks, overfitting run (full-batch gradient descent, exact Gaussian-channel information): largest "
        f"fall of a hidden layer's mean I(X;T) from its peak to its end; supported below {_FLOOR}; not testable "
        "unless the mean test error rises above its minimum by the end of the run (overfitting).", "bits",
        COMPRESSION_FLOOR_BITS, "below", "chapters/05_linear_networks", "Generalisation without compression"),
    "saxe-irrelevant-compression": _Spec(
        f"{_SAXE}, Sec. 5, Fig. 7", "Information about the task-irrelevant inputs is compressed while the relevant "
        "ones are fitted, with full-batch gradient descent as well as with SGD.",
        "linear-networks, relevant / irrelevant runs (exact Gaussian-channel information): the smaller, over the "
        "full-batch and the SGD run, of the fall of the mean I(T;X_irrel) from its peak to its end (networks paired "
        f"by seed); supported above the noise floor max({COMPRESSION_FLOOR_BITS:g} bits, {NOISE_SE:g} standard errors "
        "over networks of the final I(T;X_irrel)).", "bits", COMPRESSION_FLOOR_BITS, "above",
        "chapters/05_linear_networks", "Compressing what the task ignores"),
    "goldfeld-clustering": _Spec(
        "Goldfeld et al. 2019, Secs. 4-5", "What binning calls compression is clustering of the representations.",
        "noisy-networks (noise β in every hidden unit, in training and measurement), last hidden layer, from the peak "
        "of its mean sample-propagation I(X;T) to the end: minus the Spearman ρ over logged epochs between I(X;T) and "
        "the fraction of input pairs closer than 2β, mean over networks (main lens sample propagation, other lens "
        f"binning of the same networks); supported above {ORDER_RHO:g}.", "−ρ", ORDER_RHO, "above",
        "chapters/05_noisy_networks", "Does compression coincide with clustering?"),
    "dualib-splits-earlier": _Spec(
        f"{_DUAL}, Sec. 4", "The dual IB leaves the trivial solution (splits) at a smaller β than the IB.",
        "dual-ib: analytic first critical β of the dual IB over that of the IB, 5-point example (interval: "
        "range over the 5-point and 12-bit problems); supported below 1.", "ratio", 1.0, "below", _CH7,
        "Bifurcations: does the dual IB split earlier?"),
    "dualib-exponential-family": _Spec(
        f"{_DUAL}, Sec. 5", "For exponential-family p(y|x) the dual IB's decoders stay in the family.",
        "dual-ib, random family (2 statistics, 6 labels): largest distance of the dual IB's decoder from the family "
        f"over β (nats), not testable if the IB's is also below the tolerance; supported below "
        f"{FAMILY_TOL_NATS:g} nats.", "nats", FAMILY_TOL_NATS, "below", _CH7,
        "Do exponential families stay exponential families?"),
    "dualib-predicts-unseen": _Spec(
        f"{_DUAL}, Secs. 3, 6", "The dual IB predicts better on unseen data (finite samples).",
        "dual-ib, 5-point problem: both methods annealed on p̂(x, y) estimated from n examples (several n, many "
        "samples each), their solutions scored on the true p(x, y); IB minus dual IB of the 0-1 error at equal "
        "empirical I(X;T), mean over the grid, the sizes and the samples (bootstrap over samples; lens: the "
        "log-loss); supported above 0.", "percentage points", 0.0, "above", _CH7,
        "Predicting unseen data: the finite-sample test"),
    "vdualib-label-information": _Spec(
        f"{_DUAL}, Sec. 6", "At equal rate, the variational dual IB keeps more label information on held-out "
        "data than the VIB.", "variational-dual-ib: mean over the rates both cover of the test I(Z;Y) bound, "
        "VdualIB minus VIB (interpolated at equal test rate; bootstrap over seeds); supported above 0.", "bits",
        0.0, "above", _CH7, "The variational dual IB on MNIST"),
    "sza-train-compression": _Spec(
        f"{_SZA}, Sec. 4", "On the training inputs the infinite ensemble's I(X;Z) rises, then falls (compresses).",
        "infinite-ensembles, reference σ_w: peak minus final I(X;Z) on the training inputs (InfoNCE; lenses "
        "leave-one-out and the pairwise bounds), median over tasks (interval: range over tasks); supported above "
        f"{COMPRESSION_FLOOR_BITS:g} bits.", "bits", COMPRESSION_FLOOR_BITS, "above", _CH6,
        "Information during training"),
    "sza-information-tracks-gap": _Spec(
        f"{_SZA}, Sec. 5", "The ensemble's information about the test inputs tracks its generalisation gap.",
        "infinite-ensembles: Spearman ρ over the (σ_w, t) grid of the test Gibbs-loss gap and the test I(X;Z) "
        f"(InfoNCE; lenses leave-one-out and the pairwise bounds), median over tasks (interval: range over "
        f"tasks); supported above {ORDER_RHO:g}.", "ρ", ORDER_RHO, "above", _CH6,
        "Do these quantities track the generalisation gap?"),
}


def _claim(claim_id: str, estimate: float, interval, lens_verdicts: Mapping[str, str] | None = None,
           main: str | None = None, threshold: float | None = None) -> Claim:
    """A judged claim: the main verdict of ``interval`` (or of the lens ``main`` in ``lens_verdicts``), combined
    with the lenses' verdicts."""
    spec = SPECS[claim_id]
    thr = spec.threshold if threshold is None else float(threshold)
    lens_verdicts = dict(lens_verdicts or {})
    verdict = lens_verdicts[main] if main is not None else interval_verdict(interval, thr, spec.side)
    final, lenses = combine_lenses(verdict, lens_verdicts)
    ordered = ((main, lens_verdicts[main]),) if main is not None else ()
    ordered += tuple((k, v) for k, v in lens_verdicts.items() if k != main)
    return Claim(id=claim_id, source=spec.source, claim=spec.claim, test=spec.test, estimate=float(estimate),
                 unit=spec.unit, interval=(float(interval[0]), float(interval[1])), lenses=lenses, verdict=final,
                 evidence=spec.evidence, section=spec.section, threshold=thr, lens_verdicts=ordered)


def _not_testable(claim_id: str, reason: str) -> Claim:
    spec = SPECS[claim_id]
    return Claim(id=claim_id, source=spec.source, claim=spec.claim, test=spec.test, estimate=float("nan"),
                 unit=spec.unit, interval=(float("nan"), float("nan")), lenses=(0, 0), verdict="not testable here",
                 evidence=spec.evidence, section=spec.section, reason=reason, threshold=spec.threshold)


# ----------------------------------------------------------------------------------------------
# The trajectory helpers of :mod:`ipflow_lib.trajectories`, bound to the claims' constants
# ----------------------------------------------------------------------------------------------
def _interval(statistic: Callable[[np.ndarray], float], n_networks: int) -> tuple[float, float]:
    """:func:`~ipflow_lib.trajectories.bootstrap_interval` with :data:`N_BOOTSTRAP` and :data:`BOOTSTRAP_SEED`."""
    return bootstrap_interval(statistic, n_networks, N_BOOTSTRAP, BOOTSTRAP_SEED)


def _noise_floor(i_xt, floor: float = COMPRESSION_FLOOR_BITS) -> np.ndarray:
    """:func:`~ipflow_lib.trajectories.noise_floor` with :data:`NOISE_SE` standard errors."""
    return noise_floor(i_xt, floor, NOISE_SE)


def _after_run(epoch, epochs):
    """:func:`~ipflow_lib.trajectories.after_run` at :data:`NEVER_FACTOR` × the last logged epoch."""
    return after_run(epoch, epochs, NEVER_FACTOR)


def _fit_epoch(train_acc, epochs) -> float:
    return first_epoch_reaching(np.asarray(train_acc).mean(axis=0), epochs, FIT_ACCURACY)


def _most_of_training(i_xt, epochs) -> tuple[float, tuple[float, float]]:
    """Share of the training epochs after the compression onset, mean over hidden layers, and its interval."""
    i_xt, epochs = np.asarray(i_xt, dtype=float)[..., :-1], np.asarray(epochs, dtype=float)
    floor = _noise_floor(i_xt)
    span = max(epochs[-1] - epochs[0], 1.0)

    def stat(pick):
        onset = onset_above_floor(i_xt[pick].mean(axis=0), epochs, floor)
        return float(np.mean(np.where(np.isfinite(onset), (epochs[-1] - onset) / span, 0.0)))

    return stat(np.arange(i_xt.shape[0])), _interval(stat, i_xt.shape[0])


def _onset_after_fit(i_xt, train_acc, epochs, acc_epochs) -> tuple[float, tuple[float, float]]:
    """Median over compressing hidden layers of log10((onset + 1)/(fitted + 1)), and its interval."""
    i_xt, train_acc = np.asarray(i_xt, dtype=float)[..., :-1], np.asarray(train_acc, dtype=float)
    floor = _noise_floor(i_xt)

    def stat(pick):
        onset = onset_above_floor(i_xt[pick].mean(axis=0), epochs, floor)
        onset = onset[np.isfinite(onset)]
        if not onset.size:
            return float("nan")
        fit = _after_run(_fit_epoch(train_acc[pick], acc_epochs), acc_epochs)
        return float(np.median(decades(onset, fit)))

    return stat(np.arange(i_xt.shape[0])), _interval(stat, i_xt.shape[0])


def _largest_compression(i_xt) -> tuple[float, tuple[float, float], float]:
    """(largest fall of a hidden layer's mean I(X;T), its interval, the noise floor of that layer)."""
    i_xt = np.asarray(i_xt, dtype=float)[..., :-1]

    def stat(pick):
        return float(compression(i_xt[pick].mean(axis=0), axis=0).max())

    everyone = np.arange(i_xt.shape[0])
    k = int(np.argmax(compression(i_xt.mean(axis=0), axis=0)))
    return stat(everyone), _interval(stat, i_xt.shape[0]), float(_noise_floor(i_xt)[k])


def _common_lenses(estimates: Mapping, names=None) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Every lens's I(X;T) (n_networks, n_common, n_layers) on the epochs common to all lenses in ``names``
    (default: every estimator but the ``*_stderr`` ones), and those epochs; no lenses when fewer than 2 epochs
    are common."""
    names = [n for n in (names or estimates) if n in estimates and not n.endswith("_stderr")]
    if not names:
        return {}, np.zeros(0, dtype=np.int64)
    common = estimates[names[0]].epochs
    for n in names[1:]:
        common = np.intersect1d(common, estimates[n].epochs)
    if np.size(common) < 2:  # no trajectory to compare on
        return {}, np.asarray(common)
    out = {n: np.asarray(estimates[n].i_xt)[:, np.isin(estimates[n].epochs, common)] for n in names}
    return out, np.asarray(common)


def _regime(debate, activation: str, batch: str) -> str | None:
    name = f"{activation}-{batch}"
    return name if name in debate.estimates else None


# ----------------------------------------------------------------------------------------------
# SZT17
# ----------------------------------------------------------------------------------------------
def judge_szt17_compression_most_of_training(plane, debate=None) -> Claim:
    """SZT17 (i): most of training is spent compressing.

    Parameters
    ----------
    plane : ``information_plane.Result`` (or any object with ``i_xt`` (n_networks, n_logged, n_layers) bits, the
        last layer the output, and ``logged_epochs``)
    debate : optional ``compression_debate.Result``; its ``"tanh-minibatch"`` runs are the lenses

    Returns
    -------
    Claim -- estimate: share of the epochs after the onset (0–1), averaged over hidden layers; threshold
    :data:`MOST_FRACTION`, above.
    """
    est, ci = _most_of_training(plane.i_xt, plane.logged_epochs)
    lenses = {"bins30 (information-plane)": interval_verdict(ci, MOST_FRACTION, "above")}
    regime = _regime(debate, "tanh", "minibatch") if debate is not None else None
    if regime:
        views, common = _common_lenses(debate.estimates[regime])
        for name, i_xt in views.items():
            lenses[name] = interval_verdict(_most_of_training(i_xt, common)[1], MOST_FRACTION, "above")
    return _claim("szt17-compression-most-of-training", est, ci, lenses, main="bins30 (information-plane)")


def judge_szt17_compression_after_fitting(plane, debate=None) -> Claim:
    """SZT17 (ii, first half): compression starts once the training error is small.

    Estimate: median over compressing hidden layers of log10((onset + 1)/(fitted + 1)), decades; above 0.
    Not testable when no hidden layer compresses (there is no onset to time). Lenses as in
    :func:`judge_szt17_compression_most_of_training`, with the debate's own training accuracies.
    """
    est, ci = _onset_after_fit(plane.i_xt, plane.train_acc, plane.logged_epochs, plane.logged_epochs)
    if not np.isfinite(est):
        return _not_testable("szt17-compression-after-fitting",
                             "no hidden layer compresses above the noise floor, so there is no onset to time")
    main = "bins30 (information-plane)"
    lenses = {main: interval_verdict(ci, 0.0, "above")}
    regime = _regime(debate, "tanh", "minibatch") if debate is not None else None
    if regime:
        views, common = _common_lenses(debate.estimates[regime])
        for name, i_xt in views.items():
            lens_ci = _onset_after_fit(i_xt, debate.train_acc[regime], common, debate.logged_epochs)[1]
            lenses[name] = interval_verdict(lens_ci, 0.0, "above")
    return _claim("szt17-compression-after-fitting", est, ci, lenses, main=main)


def _gradient_noise(plane) -> bool:
    std = np.asarray(plane.grad_std, dtype=float)
    return bool(np.nanmax(np.abs(std), initial=0.0) > 0)


def judge_szt17_compression_at_diffusion(plane) -> Claim:
    """SZT17 (ii, second half): compression starts at the drift → diffusion transition.

    Per compressing hidden layer, |log10((onset + 1)/(SNR epoch + 1))|; estimate the median over those layers,
    decades; supported below :data:`COINCIDE_DECADES`. Needs ``grad_mean``, ``grad_std``
    (n_networks, n_logged, n_layers); not testable without gradient noise (full batch: the SNR is infinite)
    or without a compressing layer. One lens (the debate does not record gradients).
    """
    claim_id = "szt17-compression-at-diffusion"
    if not _gradient_noise(plane):
        return _not_testable(claim_id, "full-batch training has no gradient noise, so no drift-diffusion transition")
    i_xt, epochs = np.asarray(plane.i_xt, dtype=float)[..., :-1], np.asarray(plane.logged_epochs)
    gm, gs = np.asarray(plane.grad_mean)[..., :-1], np.asarray(plane.grad_std)[..., :-1]
    floor = _noise_floor(i_xt)

    def stat(pick):
        onset = onset_above_floor(i_xt[pick].mean(axis=0), epochs, floor)
        ok = np.isfinite(onset)
        if not ok.any():
            return float("nan")
        snr = _after_run(drift_diffusion_transition(gm[pick], gs[pick], epochs), epochs)
        return float(np.median(np.abs(decades(onset[ok], snr[ok]))))

    est = stat(np.arange(i_xt.shape[0]))
    if not np.isfinite(est):
        return _not_testable(claim_id, "no hidden layer compresses above the noise floor, so there is no onset")
    return _claim(claim_id, est, _interval(stat, i_xt.shape[0]))


def judge_szt17_diffusion_at_fitting(plane) -> Claim:
    """SZT17 (ii): the drift → diffusion transition comes when the training error has become small.

    Median over hidden layers of |log10((SNR epoch + 1)/(fitted + 1))|, decades; supported below
    :data:`COINCIDE_DECADES`. Not testable without gradient noise.
    """
    claim_id = "szt17-diffusion-at-fitting"
    if not _gradient_noise(plane):
        return _not_testable(claim_id, "full-batch training has no gradient noise, so no drift-diffusion transition")
    epochs = np.asarray(plane.logged_epochs)
    gm, gs = np.asarray(plane.grad_mean)[..., :-1], np.asarray(plane.grad_std)[..., :-1]
    acc = np.asarray(plane.train_acc, dtype=float)

    def stat(pick):
        snr = _after_run(drift_diffusion_transition(gm[pick], gs[pick], epochs), epochs)
        fit = _after_run(_fit_epoch(acc[pick], epochs), epochs)
        return float(np.median(np.abs(decades(snr, fit))))

    return _claim(claim_id, stat(np.arange(acc.shape[0])), _interval(stat, acc.shape[0]))


def _ordered_share(i_xt, i_ty) -> tuple[float, tuple[float, float]]:
    """Share of (network, epoch, consecutive layer pair) where both I(X;T) and I(T;Y) do not increase with depth."""
    i_xt, i_ty = np.asarray(i_xt, dtype=float), np.asarray(i_ty, dtype=float)
    ok = ((np.diff(i_xt, axis=-1) <= 1e-9) & (np.diff(i_ty, axis=-1) <= 1e-9)).reshape(i_xt.shape[0], -1)
    share = ok.mean(axis=1)  # per network
    return float(share.mean()), _interval(lambda pick: share[pick].mean(), share.size)


def judge_szt17_dpi_ordering(plane, debate=None) -> Claim:
    """SZT17: the data-processing inequality orders the layers — tested on the *estimates*.

    For the true information of a Markov chain X → T₁ → T₂ → … the order holds; for binned estimates it need not
    (the binned T_{k+1} is not a function of the binned T_k). Estimate: the share of (network, logged epoch,
    consecutive layer pair) where neither I(X;T) nor I(T;Y) increases (``plane.i_xt``, ``plane.i_ty``
    (n_networks, n_logged, n_layers)); the interval resamples networks; above :data:`DPI_FRACTION`. Lenses: the
    debate's tanh mini-batch estimators, on their common epochs (``i_ty`` as well as ``i_xt``).
    """
    est, ci = _ordered_share(plane.i_xt, plane.i_ty)
    main = "bins30 (information-plane)"
    lenses = {main: interval_verdict(ci, DPI_FRACTION, "above")}
    regime = _regime(debate, "tanh", "minibatch") if debate is not None else None
    if regime:
        estimates = debate.estimates[regime]
        views, common = _common_lenses(estimates)
        for name, i_xt in views.items():
            i_ty = np.asarray(estimates[name].i_ty)[:, np.isin(estimates[name].epochs, common)]
            lenses[name] = interval_verdict(_ordered_share(i_xt, i_ty)[1], DPI_FRACTION, "above")
    return _claim("szt17-dpi-ordering", est, ci, lenses, main=main)


def judge_szt17_near_ib_bound(ib_layers) -> Claim:
    """SZT17 (iii): the converged layers lie near the IB bound.

    ``ib_layers``: ``ib_layers.Result`` (``ity_gap`` (n_sizes, n_networks, n_layers) bits, ``i_xy`` bits,
    ``train_fractions``). Estimate: mean over networks of the last hidden layer's ``ity_gap`` / ``i_xy`` at the
    largest training set; below :data:`NEAR_BOUND_FRACTION`.
    """
    big = int(np.argmax(ib_layers.train_fractions))
    gap = np.asarray(ib_layers.ity_gap, dtype=float)[big, :, -2] / float(ib_layers.i_xy)
    return _claim("szt17-near-ib-bound", gap.mean(), _interval(lambda p: gap[p].mean(), gap.size))


def judge_szt17_self_consistent(ib_layers) -> Claim:
    """SZT17 (iii): the layers satisfy the IB self-consistent equations for some β.

    Both halves of the equations, for the last hidden layer at the largest training set: the encoder residual
    ``sc_gap`` (n_sizes, n_networks, n_layers; bits) and, where the result has it, the decoder distance
    ``decoder_js`` (same shape; bits: JS of the IB decoder of the layer's encoder and the network's own decoder).
    Estimate: the larger of the two means over networks (bootstrap over the same resampled networks); below
    :data:`SELF_CONSISTENT_BITS` (both halves hold) is supported. A result without ``decoder_js`` (or all NaN) is
    judged on the encoder alone.
    """
    big = int(np.argmax(ib_layers.train_fractions))
    gap = np.asarray(ib_layers.sc_gap, dtype=float)[big, :, -2]
    dec = getattr(ib_layers, "decoder_js", None)
    dec = None if dec is None else np.asarray(dec, dtype=float)[big, :, -2]
    if dec is None or not np.isfinite(dec).all():
        return _claim("szt17-self-consistent", gap.mean(), _interval(lambda p: gap[p].mean(), gap.size))
    return _claim("szt17-self-consistent", max(gap.mean(), dec.mean()),
                  _interval(lambda p: max(gap[p].mean(), dec[p].mean()), gap.size))


def judge_szt17_depth_fit(depth) -> Claim:
    """SZT17 (iv): more hidden layers reach good training accuracy in fewer epochs.

    ``depth``: ``depth.Result`` (``train_acc`` (n_depths, n_networks, n_logged), ``logged_epochs``, depths from
    shallow to deep). Estimate: log10((e_shallow + 1)/(e_deep + 1)), e = first epoch with mean training accuracy
    ≥ :data:`FIT_ACCURACY` (never: after the run); above 0. The networks of one seed are resampled together.
    """
    acc, epochs = np.asarray(depth.train_acc, dtype=float), np.asarray(depth.logged_epochs)

    def stat(pick):
        first = _after_run(_fit_epoch(acc[0][pick], epochs), epochs)
        last = _after_run(_fit_epoch(acc[-1][pick], epochs), epochs)
        return float(decades(first, last))

    return _claim("szt17-depth-fit", stat(np.arange(acc.shape[1])), _interval(stat, acc.shape[1]))


def judge_szt17_depth_compression(depth) -> Claim:
    """SZT17 (iv): more hidden layers end the compression of the output in fewer epochs.

    ``depth.i_xt``, ``depth.i_ty``: (n_depths, n_networks, n_logged, max_layers) bits, NaN-padded; the output of
    depth d is layer index d (``depth.depths``). End of compression by
    :func:`ipflow_lib.trajectories.phase_times` (90 % of the fall, falls ≥ :data:`COMPRESSION_FLOOR_BITS`).
    Estimate: log10((end_shallow + 1)/(end_deep + 1)) (never: after the run); above 0. Not testable when
    neither output compresses.
    """
    epochs = np.asarray(depth.logged_epochs)
    x, t, depths = np.asarray(depth.i_xt, dtype=float), np.asarray(depth.i_ty, dtype=float), np.asarray(depth.depths)

    def end(d, pick):
        k = int(depths[d])
        pt = phase_times(x[d][pick][..., [k]].mean(0), t[d][pick][..., [k]].mean(0), epochs,
                         min_compression_bits=COMPRESSION_FLOOR_BITS)
        return float(pt["compression_end"][0])

    everyone = np.arange(x.shape[1])
    if not (np.isfinite(end(0, everyone)) or np.isfinite(end(-1, everyone))):
        return _not_testable("szt17-depth-compression", "neither the shallowest nor the deepest network's output "
                                                        "compresses in this run")

    def stat(pick):
        return float(decades(_after_run(end(0, pick), epochs), _after_run(end(-1, pick), epochs)))

    return _claim("szt17-depth-compression", stat(everyone), _interval(stat, x.shape[1]))


def judge_szt17_small_data_overfit(training_size) -> Claim:
    """SZT17 (v): with little data, compression discards label information.

    ``training_size.i_ty``: (n_sizes, n_networks, n_logged, n_layers) bits. Estimate: fall of the last hidden
    layer's mean I(T;Y) from its peak to its end at the smallest training set, bits; supported above
    max(:data:`LABEL_FLOOR_BITS`, NOISE_SE standard errors of the final value).
    """
    small = int(np.argmin(training_size.train_fractions))
    i_ty = np.asarray(training_size.i_ty, dtype=float)[small][..., -2:-1]  # (n_networks, n_logged, 1)
    floor = float(_noise_floor(i_ty, LABEL_FLOOR_BITS)[0])

    def stat(pick):
        return float(compression(i_ty[pick].mean(axis=0), axis=0)[0])

    return _claim("szt17-small-data-overfit", stat(np.arange(i_ty.shape[0])), _interval(stat, i_ty.shape[0]),
                  threshold=floor)


def judge_szt17_more_data_toward_bound(ib_layers) -> Claim:
    """SZT17 (v): more data moves the layers toward the IB bound.

    Estimate: mean ``ity_gap`` of the last hidden layer at the smallest minus the largest training set, bits
    (networks paired by seed); above 0.
    """
    fr = np.asarray(ib_layers.train_fractions)
    gap = np.asarray(ib_layers.ity_gap, dtype=float)[..., -2]
    diff = gap[int(np.argmin(fr))] - gap[int(np.argmax(fr))]
    return _claim("szt17-more-data-toward-bound", diff.mean(), _interval(lambda p: diff[p].mean(), diff.size))


# ----------------------------------------------------------------------------------------------
# Shwartz-Ziv, Painsky & Tishby
# ----------------------------------------------------------------------------------------------
def judge_spt_bound_tighter(generalization) -> Claim:
    """The input compression bound is far tighter than the H(X) bound.

    ``generalization``: ``generalization.Result`` (``bound`` (n_sizes, n_networks, n_logged, n_layers),
    ``classical`` (n_sizes,), ``train_fractions``). Estimate: log10(classical / mean bound of the last hidden
    layer) at the largest training set and the last logged epoch, decades; above :data:`TIGHTER_DECADES`.
    """
    big = int(np.argmax(generalization.train_fractions))
    bound = np.asarray(generalization.bound, dtype=float)[big, :, -1, -2]
    classical = float(np.asarray(generalization.classical)[big])

    def stat(pick):
        return float(np.log10(classical / bound[pick].mean()))

    return _claim("spt-bound-tighter", stat(np.arange(bound.size)), _interval(stat, bound.size))


def judge_spt_bound_orders_gaps(generalization) -> Claim:
    """Across training sizes, the bound orders the networks as their measured generalisation gaps.

    Estimate: Spearman ρ over training sizes of the last hidden layer's final bound and the final measured gap
    (``gap`` (n_sizes, n_networks, n_logged)), both means over networks (resampled together); above
    :data:`ORDER_RHO`. Not testable with fewer than 3 training sizes.
    """
    bound = np.asarray(generalization.bound, dtype=float)[:, :, -1, -2]
    gap = np.asarray(generalization.gap, dtype=float)[:, :, -1]
    if bound.shape[0] < 3:
        return _not_testable("spt-bound-orders-gaps", "fewer than 3 training sizes")

    def stat(pick):
        return spearman(bound[:, pick].mean(axis=1), gap[:, pick].mean(axis=1))

    return _claim("spt-bound-orders-gaps", stat(np.arange(bound.shape[1])), _interval(stat, bound.shape[1]))


# ----------------------------------------------------------------------------------------------
# Saxe et al., Goldfeld et al.
# ----------------------------------------------------------------------------------------------
def _debate_compression(claim_id: str, debate, regime: str | None, names, main: str) -> Claim:
    if regime is None:
        return _not_testable(claim_id, "the compression-debate run has no such regime")
    views, _ = _common_lenses(debate.estimates[regime], names)
    if main not in views:
        return _not_testable(claim_id, f"the compression-debate run has no {main} estimate")
    side = SPECS[claim_id].side
    lenses, numbers = {}, {}
    for name, i_xt in views.items():
        est, ci, floor = _largest_compression(i_xt)
        numbers[name] = (est, ci, floor)
        lenses[name] = interval_verdict(ci, floor, side)
    est, ci, floor = numbers[main]
    return _claim(claim_id, est, ci, lenses, main=main, threshold=floor)


def judge_saxe_relu_no_compression(debate, mnist=None) -> Claim:
    """Saxe et al.: ReLU networks do not compress under KDE or adaptive binning.

    ``debate``: ``compression_debate.Result``; regime ``"relu-minibatch"``. Main lens the KDE upper bound, other
    lenses the KDE lower bound and adaptive binning (the estimators the claim names), on their common epochs.
    Estimate: largest fall of a hidden layer's mean I(X;T), bits; supported *below* the noise floor.
    ``mnist``: optional ``mnist_debate.Result`` (Saxe et al.'s MNIST networks, regime ``"relu-minibatch"``): the
    same three estimators on it are extra lenses ``"<name> (MNIST)"``; the estimate stays the 12-bit one.
    """
    names = ("kde_upper", "kde_lower", "adaptive30")
    claim = _debate_compression("saxe-relu-no-compression", debate, _regime(debate, "relu", "minibatch"), names,
                                "kde_upper")
    regime = _regime(mnist, "relu", "minibatch") if mnist is not None else None
    if regime is None or claim.verdict == "not testable here":
        return claim
    lenses = dict(claim.lens_verdicts)
    for name, i_xt in _common_lenses(mnist.estimates[regime], names)[0].items():
        _, ci, floor = _largest_compression(i_xt)
        lenses[f"{name} (MNIST)"] = interval_verdict(ci, floor, SPECS[claim.id].side)
    return _claim(claim.id, claim.estimate, claim.interval, lenses, main="kde_upper", threshold=claim.threshold)


def judge_saxe_fullbatch_compresses(debate) -> Claim:
    """Saxe et al.: compression does not need stochastic gradients (full-batch tanh networks compress too).

    Regime ``"tanh-fullbatch"``; main lens fixed binning with 30 bins, every other estimator of the regime a
    lens, on their common epochs. Estimate: largest fall of a hidden layer's mean I(X;T), bits; supported above
    the noise floor.
    """
    return _debate_compression("saxe-fullbatch-compresses", debate, _regime(debate, "tanh", "fullbatch"), None,
                               "bins30")


def judge_saxe_linear_no_compression(linear) -> Claim:
    """Saxe et al.: deep linear networks overfit without compressing (exact information, no estimator).

    ``linear``: ``linear_networks.Result``; its ``runs["generalization"]`` holds ``i_xt`` (n_networks, n_logged,
    n_hidden_layers, bits; every layer hidden) and ``test_error`` (n_networks, n_logged). Estimate: largest fall of
    a hidden layer's mean I(X;T) from its peak to its end, bootstrap interval over networks; supported *below* the
    noise floor. One lens (the exact value). Not testable when the mean test error does not end above its minimum.
    """
    if "generalization" not in linear.runs:
        return _not_testable("saxe-linear-no-compression", "the linear-networks result has no generalisation run")
    run = linear.runs["generalization"]
    i_xt = np.asarray(run.i_xt, dtype=float)
    test = np.asarray(run.test_error, dtype=float).mean(axis=0)
    if not test[-1] > test.min():
        return _not_testable("saxe-linear-no-compression", "the test error of the run does not rise above its "
                                                           "minimum, so there is no overfitting to compare with")

    def stat(pick):
        return float(compression(i_xt[pick].mean(axis=0), axis=0).max())

    k = int(np.argmax(compression(i_xt.mean(axis=0), axis=0)))
    ci = _interval(stat, i_xt.shape[0])
    floor = float(_noise_floor(i_xt)[k])
    return _claim("saxe-linear-no-compression", stat(np.arange(i_xt.shape[0])), ci,
                  {"exact": interval_verdict(ci, floor, "below")}, main="exact", threshold=floor)


def judge_saxe_irrelevant_compression(linear) -> Claim:
    """Saxe et al.: the task-irrelevant information is compressed, with full-batch GD and with SGD.

    ``linear``: ``linear_networks.Result``; ``runs["subspace-gd"]`` and ``runs["subspace-sgd"]`` hold ``i_t_irr``
    (n_networks, n_logged, n_hidden_layers, bits), their networks paired by seed (same teachers, samples and initial
    weights). Estimate: the smaller over the two runs of the largest fall of a hidden layer's mean I(T;X_irrel)
    from its peak to its end; bootstrap interval over the paired networks; supported above the larger of the two
    runs' noise floors. One lens (the exact value).
    """
    names = ("subspace-gd", "subspace-sgd")
    if not all(name in linear.runs for name in names):
        return _not_testable("saxe-irrelevant-compression", "the linear-networks result has no relevant / "
                                                            "irrelevant runs")
    runs = [np.asarray(linear.runs[name].i_t_irr, dtype=float) for name in names]

    def stat(pick):
        return float(min(compression(r[pick].mean(axis=0), axis=0).max() for r in runs))

    floor = max(float(_noise_floor(r).max()) for r in runs)
    ci = _interval(stat, runs[0].shape[0])
    return _claim("saxe-irrelevant-compression", stat(np.arange(runs[0].shape[0])), ci,
                  {"exact": interval_verdict(ci, floor, "above")}, main="exact", threshold=floor)


def judge_goldfeld_clustering(noisy=None) -> Claim:
    """Goldfeld et al.: compression (of the noisy I(X;T), and what binning calls compression) is clustering.

    ``noisy``: ``noisy_networks.Result`` (``rank_correlations(layer, start)`` -> dict of (n_networks,) Spearman ρ,
    ``compression_start(layer)``, ``logged_epochs``), or None (not run: not testable). Last hidden layer, logged
    epochs from the peak of its mean sample-propagation I(X;T) on (at least 4, else not testable). Per network
    −ρ(I(X;T), clustered fraction); estimate the mean over networks, bootstrap interval over networks; supported
    above :data:`ORDER_RHO`. Lenses: sample propagation (main) and binning of the same networks.
    """
    claim_id = "goldfeld-clustering"
    if noisy is None:
        return _not_testable(claim_id, "the book trains noisy networks only in the noisy-networks experiment, which "
                                       "was not run")
    start = noisy.compression_start(-1)
    if np.asarray(noisy.logged_epochs).size - start < 4:
        return _not_testable(claim_id, "the noisy networks' I(X;T) peaks within the last 3 logged epochs: there is "
                                       "no compression phase to compare with clustering")
    rhos = noisy.rank_correlations(-1, start)
    lenses, numbers = {}, {}
    for lens, key in (("sample_propagation", "sp_clustered"), ("binning", "bin_clustered")):
        coupling = -np.asarray(rhos[key], dtype=float)

        def stat(pick, coupling=coupling):
            v = coupling[pick]
            return float(np.nanmean(v)) if np.isfinite(v).any() else float("nan")

        numbers[lens] = (stat(np.arange(coupling.size)), _interval(stat, coupling.size))
        lenses[lens] = interval_verdict(numbers[lens][1], ORDER_RHO, "above")
    est, ci = numbers["sample_propagation"]
    return _claim(claim_id, est, ci, lenses, main="sample_propagation")


# ----------------------------------------------------------------------------------------------
# Dual IB
# ----------------------------------------------------------------------------------------------
def judge_dualib_splits_earlier(dual_ib) -> Claim:
    """The dual IB splits at a smaller β than the IB.

    ``dual_ib``: ``dual_ib.Result`` (``five_point_critical``, ``twelve_bit_critical``: dicts kind → analytic first
    critical β). Estimate: β_c(dual IB) / β_c(IB) of the 5-point example; interval: range over the 5-point and
    12-bit problems (exact, no resampling); below 1.
    """
    ratios = [float(c["dualib"]) / float(c["ib"]) for c in (dual_ib.five_point_critical, dual_ib.twelve_bit_critical)]
    return _claim("dualib-splits-earlier", ratios[0], (min(ratios), max(ratios)))


def judge_dualib_exponential_family(dual_ib) -> Claim:
    """The dual IB keeps exponential families.

    ``dual_ib.family_residual``: dict kind → (n_betas,) nats. Estimate: the dual IB's largest residual; below
    :data:`FAMILY_TOL_NATS`. Not testable when the IB's residual is also below it (the family would not tell the
    methods apart).
    """
    dual = float(np.max(dual_ib.family_residual["dualib"]))
    ib = float(np.max(dual_ib.family_residual["ib"]))
    if ib < FAMILY_TOL_NATS:
        return _not_testable("dualib-exponential-family", "the IB's decoders stay in this family as well, so it "
                                                          "cannot tell the two methods apart")
    return _claim("dualib-exponential-family", dual, (dual, dual))


def judge_dualib_predicts_unseen(dual_ib=None) -> Claim:
    """The dual IB predicts unseen data better than the IB, when both are fit on a finite sample.

    ``dual_ib``: ``dual_ib.Result`` with ``finite_gap`` (dict measure → (n_sizes, n_samples): IB minus dual IB of
    the measure on the true p(x, y), averaged over a grid of empirical I(X;T); ``dual_ib.finite_sample_gap``).
    Estimate: the mean 0-1 error gap over sizes and samples, percentage points; interval: bootstrap over the
    samples (one index for all sizes); above 0. Lenses: the 0-1 error (main) and the log-loss (bits, above 0).
    Not testable without the finite-sample results (None, or a result without ``finite_gap``).
    """
    gaps = getattr(dual_ib, "finite_gap", None)
    if gaps is None:
        return _not_testable("dualib-predicts-unseen", "needs both methods fit on finite samples and scored on the "
                             "true p(x, y), the finite-sample part of the dual-ib experiment, which was not given")
    lenses, main = {}, None
    for lens, key, scale in (("0-1 error", "error", 100.0), ("log-loss", "log_loss", 1.0)):
        gap = np.asarray(gaps[key], dtype=float)

        def stat(pick, gap=gap, scale=scale):
            return scale * float(gap[:, pick].mean())

        interval = _interval(stat, gap.shape[1])
        lenses[lens] = interval_verdict(interval, 0.0, "above")
        if main is None:
            main = (stat(np.arange(gap.shape[1])), interval)
    return _claim("dualib-predicts-unseen", main[0], main[1], lenses, main="0-1 error")


def judge_vdualib_label_information(variational) -> Claim:
    """At equal rate the variational dual IB keeps more held-out label information than the VIB.

    ``variational``: ``variational_dual_ib.Result`` (``kinds``, ``rate_test``, ``i_zy_test``
    (n_kinds, n_betas, n_seeds) bits). For each resample of the seeds, both objectives' seed-mean curves I(Z;Y)
    against rate are interpolated on 200 rates inside the range both cover; the estimate is the mean of
    VdualIB − VIB over those rates, bits; above 0. Not testable without both objectives.
    """
    kinds = list(variational.kinds)
    if "vib" not in kinds or "vdualib" not in kinds:
        return _not_testable("vdualib-label-information", "the sweep lacks the VIB or the VdualIB objective")
    rate = np.asarray(variational.rate_test, dtype=float)[[kinds.index("vib"), kinds.index("vdualib")]]
    i_zy = np.asarray(variational.i_zy_test, dtype=float)[[kinds.index("vib"), kinds.index("vdualib")]]

    def stat(pick):
        r, v = rate[..., pick].mean(-1), i_zy[..., pick].mean(-1)  # (2, n_betas)
        lo, hi = r.min(axis=1).max(), r.max(axis=1).min()
        if not hi > lo:
            return float("nan")
        grid = np.linspace(lo, hi, 200)
        curves = [np.interp(grid, r[k][np.argsort(r[k])], v[k][np.argsort(r[k])]) for k in range(2)]
        return float(np.mean(curves[1] - curves[0]))

    est = stat(np.arange(rate.shape[-1]))
    if not np.isfinite(est):
        return _not_testable("vdualib-label-information", "the two objectives cover no common range of rates")
    return _claim("vdualib-label-information", est, _interval(stat, rate.shape[-1]))


# ----------------------------------------------------------------------------------------------
# Infinite ensembles
# ----------------------------------------------------------------------------------------------
_NTK_LENSES = ("i_xz_nce", "i_xz_loo", "i_xz_lower", "i_xz_upper")


def _ntk_claim(claim_id: str, ensembles, per_task: Callable[[object, str], float]) -> Claim:
    lenses, numbers = {}, {}
    spec = SPECS[claim_id]
    for lens in _NTK_LENSES:
        values = np.array([per_task(task, lens) for task in ensembles.tasks if lens in task.quantities])
        if not values.size:
            continue
        ci = (float(np.nanmin(values)), float(np.nanmax(values)))
        numbers[lens] = (float(np.nanmedian(values)), ci)
        lenses[lens] = interval_verdict(ci, spec.threshold, spec.side)
    if "i_xz_nce" not in numbers:
        return _not_testable(claim_id, "the infinite-ensembles run has no InfoNCE estimate of I(X;Z)")
    est, ci = numbers["i_xz_nce"]
    return _claim(claim_id, est, ci, lenses, main="i_xz_nce")


def judge_sza_train_compression(ensembles) -> Claim:
    """Infinite ensembles: on the training inputs I(X;Z) rises, then falls.

    ``ensembles``: ``infinite_ensembles.Result`` (``tasks`` with ``quantities[name]`` (2, n_w, n_t) bits,
    split 0 = training inputs; ``w_stds``; ``config.reference_w_std``). Per task, peak minus final I(X;Z) on the
    training inputs at the reference σ_w; estimate the median over tasks, interval their range; above
    :data:`COMPRESSION_FLOOR_BITS`. Lenses: InfoNCE (main), leave-one-out, pairwise lower and upper bounds.
    """
    i_ref = int(np.argmin(np.abs(np.asarray(ensembles.w_stds) - ensembles.config.reference_w_std)))

    def per_task(task, lens):
        curve = np.asarray(task.quantities[lens], dtype=float)[0, i_ref]
        return float(np.nanmax(curve) - curve[-1])

    return _ntk_claim("sza-train-compression", ensembles, per_task)


def judge_sza_information_tracks_gap(ensembles) -> Claim:
    """Infinite ensembles: the test-input information tracks the generalisation gap.

    Per task, Spearman ρ over the (σ_w, t) grid of the Gibbs-loss gap (test − train, ``quantities["gibbs"]``)
    and I(X;Z) on the test inputs; estimate the median over tasks, interval their range; above
    :data:`ORDER_RHO`. Lenses as in :func:`judge_sza_train_compression`.
    """
    def per_task(task, lens):
        gibbs = np.asarray(task.quantities["gibbs"], dtype=float)
        gap, info = (gibbs[1] - gibbs[0]).ravel(), np.asarray(task.quantities[lens], dtype=float)[1].ravel()
        ok = np.isfinite(gap) & np.isfinite(info)
        return spearman(gap[ok], info[ok]) if ok.sum() >= 3 else float("nan")

    return _ntk_claim("sza-information-tracks-gap", ensembles, per_task)


# ----------------------------------------------------------------------------------------------
# The scorecard
# ----------------------------------------------------------------------------------------------
#: The claims in scorecard order: (judge, names of the experiments it reads; optional ones marked with "?").
JUDGES: tuple[tuple[Callable[..., Claim], tuple[str, ...]], ...] = (
    (judge_szt17_compression_most_of_training, ("information-plane", "compression-debate?")),
    (judge_szt17_compression_after_fitting, ("information-plane", "compression-debate?")),
    (judge_szt17_compression_at_diffusion, ("information-plane",)),
    (judge_szt17_diffusion_at_fitting, ("information-plane",)),
    (judge_szt17_dpi_ordering, ("information-plane", "compression-debate?")),
    (judge_szt17_near_ib_bound, ("ib-layers",)),
    (judge_szt17_self_consistent, ("ib-layers",)),
    (judge_szt17_depth_fit, ("depth",)),
    (judge_szt17_depth_compression, ("depth",)),
    (judge_szt17_small_data_overfit, ("training-size",)),
    (judge_szt17_more_data_toward_bound, ("ib-layers",)),
    (judge_spt_bound_tighter, ("generalization",)),
    (judge_spt_bound_orders_gaps, ("generalization",)),
    (judge_saxe_relu_no_compression, ("compression-debate", "mnist-debate?")),
    (judge_saxe_fullbatch_compresses, ("compression-debate",)),
    (judge_saxe_linear_no_compression, ("linear-networks",)),
    (judge_saxe_irrelevant_compression, ("linear-networks",)),
    (judge_goldfeld_clustering, ("noisy-networks?",)),
    (judge_dualib_splits_earlier, ("dual-ib",)),
    (judge_dualib_exponential_family, ("dual-ib",)),
    (judge_dualib_predicts_unseen, ("dual-ib?",)),
    (judge_vdualib_label_information, ("variational-dual-ib",)),
    (judge_sza_train_compression, ("infinite-ensembles",)),
    (judge_sza_information_tracks_gap, ("infinite-ensembles",)),
)

#: The experiments :func:`scorecard` reads.
EXPERIMENTS = tuple(sorted({n.rstrip("?") for _, names in JUDGES for n in names}))


def _claim_id(judge) -> str:
    return judge.__name__.removeprefix("judge_").replace("_", "-", 1).replace("_", "-")


def scorecard(results: Mapping[str, object]) -> list[Claim]:
    """Judge every claim from the experiments' results.

    Parameters
    ----------
    results : mapping experiment name (``"information-plane"`` or ``"information_plane"``) -> its Result;
        :data:`EXPERIMENTS` lists the names read. Nothing is run here: a claim whose experiment is missing is
        "not testable here" with that reason.

    Returns
    -------
    list of :class:`Claim`, in the order of :data:`JUDGES`.
    """
    by_name = {str(k).replace("_", "-"): v for k, v in results.items()}
    out = []
    for judge, names in JUDGES:
        args, missing = [], []
        for name in names:
            optional, key = name.endswith("?"), name.rstrip("?")
            if key in by_name:
                args.append(by_name[key])
            elif optional:
                args.append(None)
            else:
                missing.append(key)
        if missing:
            out.append(_not_testable(_claim_id(judge), "not run: " + ", ".join(missing)))
        else:
            out.append(judge(*args))
    return out
