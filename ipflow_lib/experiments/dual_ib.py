"""The dual information bottleneck against the IB, analytically (Piran, Shwartz-Ziv & Tishby 2020).

Four exact computations on probability tables, all with ``bottleneck.ib_curve(..., kind=...)``:

1. **The authors' 5-point example** (``datasets.dual_ib_five_points``): IB and dual-IB curves annealed
   over β = 2^6 … 2^1 (1000 values in the paper), their bifurcations (cluster splits) and the analytic
   first critical β of each; the dual IB solved a second time on natural parameters only
   (``bottleneck.exponential_family_dual_ib_curve``) as a cross-check.
2. **The noisy 12-bit task** of SZT17 (``datasets.tishby_12bit`` with ``noisy_labels``): both curves.
3. **Exponential families**: on a random family with 2 statistics and 6 labels (a proper sub-family),
   how far each method's decoder p(y|t) is from the family, at every β.
4. **Prediction error against I(X;T)** for both methods: the 0-1 error of predicting Y from T with the
   method's own decoder, and the two expected distortions (the IB's E D_KL[p(y|x) || p(y|t)] and the dual
   IB's E D_KL[p(y|t) || p(y|x)], the mean prediction-error exponent of the dual-IB paper).
5. **Finite samples** (the claim that the dual IB predicts better on unseen data): for each sample size n
   and each of ``finite_samples`` draws, p̂(x, y) is estimated from n labelled examples of the 5-point
   problem (:func:`empirical_joint`, a pseudo-count per cell), both methods are annealed on p̂, and each
   solution (encoder and the method's own decoder, both fit on p̂) is scored on the TRUE p(x, y)
   (:func:`true_prediction_measures`: 0-1 error, log-loss and dual distortion), the two compared at equal
   empirical I(X;T) (:func:`finite_sample_gap`).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..trajectories import bootstrap_interval
from ._common import Checkpoint, RunInfo, cached_run, progress, select_config

__all__ = [
    "BetaGrid",
    "Config",
    "PRESETS",
    "Result",
    "empirical_joint",
    "error_order",
    "expected_distortions",
    "family_residual",
    "finite_sample_gap",
    "own_distortion_order",
    "prediction_error",
    "run",
    "true_prediction_measures",
]

NAME = "dual-ib"
KINDS = ("ib", "dualib")
_LN2 = float(np.log(2.0))
#: The measures of :func:`true_prediction_measures`, in the order of the finite-sample results.
MEASURES = ("error", "log_loss", "dual")


@dataclasses.dataclass(frozen=True)
class BetaGrid:
    """``n`` values of β, log-spaced on [``low``, ``high``] (``numpy.geomspace``).

    Raises
    ------
    ValueError
        If ``n`` < 2 or not 0 < ``low`` < ``high``.
    """

    n: int
    low: float
    high: float

    def __post_init__(self):
        if self.n < 2:
            raise ValueError(f"a β grid needs n ≥ 2 values, got {self.n}")
        if not 0 < self.low < self.high:
            raise ValueError(f"a β grid needs 0 < low < high, got {self.low}, {self.high}")

    @property
    def betas(self) -> np.ndarray:
        """The grid, shape (n,), increasing."""
        return np.geomspace(self.low, self.high, self.n)


@dataclasses.dataclass(frozen=True)
class Config:
    """Settings of the analytic dual-IB experiments.

    Attributes
    ----------
    five_point_betas : BetaGrid
        β of the 5-point example: 1000 values on [2^1, 2^6] in the paper.
    twelve_bit_betas : BetaGrid
        β of the 12-bit task (the dual IB's first split lies far below the IB's there, so the grid starts low).
    family_betas : BetaGrid
        β of the random exponential family of part 3.
    direction : str
        Annealing direction of ``bottleneck.ib_curve``: ``"down"`` (the paper's, from large to small β),
        ``"up"`` or ``"both"``.
    epsilon : float
        Label noise of the 12-bit task, p(y=1|x) = y(1 − ε) + (1 − y)ε.
    family_shape : (n_x, n_y, n_stats) of the random exponential family; family_seed : its seed.
    tol, max_iter : convergence of the self-consistent iteration at each β.
    seed : int
        Seed of the annealing perturbations, and of the finite samples of part 5.
    finite_sizes : tuple of int
        Sample sizes n of part 5 (labelled examples drawn from the 5-point p(x, y)).
    finite_samples : int
        Independent samples per size (the bootstrap resamples these).
    finite_betas : BetaGrid
        β of the curves annealed on each estimate p̂(x, y).
    finite_pseudo_count : float
        Added to every count n(x, y) before normalising (the dual IB needs p̂(y|x) > 0; 0.5 is the
        Krichevsky-Trofimov estimator).
    finite_grid : int
        Points of the common I(X;T) grid on which the two methods are compared, per sample.
    """

    five_point_betas: BetaGrid = BetaGrid(1000, 2.0, 64.0)
    twelve_bit_betas: BetaGrid = BetaGrid(256, 0.05, 200.0)
    family_betas: BetaGrid = BetaGrid(200, 0.1, 200.0)
    direction: str = "down"
    epsilon: float = 0.01
    family_shape: tuple[int, int, int] = (8, 6, 2)
    family_seed: int = 0
    tol: float = 1e-10
    max_iter: int = 50_000
    seed: int = 0
    finite_sizes: tuple[int, ...] = (10, 30, 100, 300)
    finite_samples: int = 25
    finite_betas: BetaGrid = BetaGrid(60, 0.5, 64.0)
    finite_pseudo_count: float = 0.5
    finite_grid: int = 50

    def __post_init__(self):
        if self.direction not in ("up", "down", "both"):
            raise ValueError(f"direction must be 'up', 'down' or 'both', got {self.direction!r}")
        if not 0 < self.epsilon < 0.5:
            raise ValueError(f"epsilon must be in (0, 0.5) (the dual IB needs p(y|x) > 0), got {self.epsilon}")
        if not self.finite_sizes or min(self.finite_sizes) < 1:
            raise ValueError(f"finite_sizes must be non-empty sample sizes >= 1, got {self.finite_sizes}")
        if self.finite_samples < 2 or self.finite_grid < 2:
            raise ValueError(f"finite_samples and finite_grid must be >= 2, got {self.finite_samples}, "
                             f"{self.finite_grid}")
        if not self.finite_pseudo_count > 0:
            raise ValueError(f"finite_pseudo_count must be > 0, got {self.finite_pseudo_count}")

    def betas(self, task: str = "five_point") -> np.ndarray:
        """The β grid of ``task`` ("five_point", "12bit" or "family"), increasing."""
        grid = {"five_point": self.five_point_betas, "12bit": self.twelve_bit_betas, "family": self.family_betas}
        return grid[task].betas


PRESETS = {
    "paper": Config(),
    "quick": Config(five_point_betas=BetaGrid(200, 2.0, 64.0), twelve_bit_betas=BetaGrid(80, 0.05, 200.0),
                    family_betas=BetaGrid(60, 0.1, 200.0), tol=1e-9, finite_sizes=(10, 100), finite_samples=6,
                    finite_betas=BetaGrid(30, 0.5, 64.0)),
}


@dataclasses.dataclass
class Result:
    """Curves and derived numbers; dicts are keyed by kind, ``"ib"`` or ``"dualib"``.

    Attributes
    ----------
    config : Config
    five_point : dict of IBCurve
        Curves of the 5-point example (arrays over β increasing, shape (n_betas, ...)).
    five_point_natural : IBCurve
        The dual IB of the 5-point example solved on natural parameters only.
    five_point_critical : dict of float
        Analytic first critical β (``bottleneck.critical_beta``).
    five_point_error, twelve_bit_error : dict of ndarray, shape (n_betas,)
        0-1 prediction error of Y from T with the kind's own decoder (probability).
    five_point_distortion, twelve_bit_distortion : dict of dict of ndarray, shape (n_betas,)
        ``[kind][measure]``: E D_KL[p(y|x) || p(y|t)] (measure ``"ib"``) and E D_KL[p(y|t) || p(y|x)]
        (measure ``"dualib"``) in bits, with the kind's own decoder p(y|t).
    bayes_error, chance_error : dict of float
        Per task (``"five_point"``, ``"12bit"``): the error with X itself and with no information.
    twelve_bit : dict of IBCurve
    twelve_bit_critical : dict of float
    family_curves : dict of IBCurve
        Curves on the random exponential family.
    family_residual : dict of ndarray, shape (n_betas_family,)
        Largest distance of the kind's own decoder from the family, in nats of log p(y|t) (0 = inside).
    family_residual_markov : ndarray, shape (n_betas_family,)
        The same for the dual-IB solution read through the Markov decoder Σ_x p(y|x) p(x|t).
    i_xt_grid : ndarray, shape (200,)
        A common grid of I(X;T) (bits) inside the range both 5-point curves cover.
    i_ty_gap : ndarray, shape (200,)
        I(T;Y) of the dual-IB curve minus that of the IB curve at the same I(X;T) (≤ 0: the IB curve is
        the optimal one in this plane).
    error_gap : ndarray, shape (200,)
        0-1 error of the dual-IB solution minus that of the IB solution at the same I(X;T) (on the grid).
    distortion_gap : dict of ndarray, shape (200,)
        ``[measure]``: the same difference for the IB distortion (``"ib"``) and the dual distortion
        (``"dualib"``), bits. Each method is optimal for its own distortion at given I(X;T), so
        ``distortion_gap["ib"]`` ≥ 0 and ``distortion_gap["dualib"]`` ≤ 0 up to annealing errors.
    natural_agreement : float
        Largest |Δ I(X;T)|, |Δ I(T;Y)| (bits) between the table and natural-parameter dual IB.
    finite_sizes : ndarray of int, shape (n_sizes,)
        The sample sizes of part 5.
    finite_measures : dict of dict of ndarray, shape (n_sizes, n_samples, finite_grid)
        ``[measure][kind]``: :func:`true_prediction_measures` of the kind's curve fit on a sample, on the TRUE
        p(x, y), on that sample's grid of empirical I(X;T) (``finite_i_xt``); measures in :data:`MEASURES`
        (0-1 error as a probability, log-loss and dual distortion in bits).
    finite_i_xt : ndarray, shape (n_sizes, n_samples, finite_grid)
        The grids: 0 to the smaller of the two curves' largest empirical I(X;T), bits.
    finite_gap : dict of ndarray, shape (n_sizes, n_samples)
        ``[measure]``: :func:`finite_sample_gap`, IB minus dual IB averaged over the grid (> 0: the dual IB
        predicts the unseen data better).
    finite_gap_mean : dict of ndarray, shape (n_sizes,)
        ``[measure]``: the mean of ``finite_gap`` over samples; ``finite_gap_band`` (n_sizes, 2): its 5–95 %
        bootstrap interval over samples.
    finite_mean : dict of dict of ndarray, shape (n_sizes,)
        ``[measure][kind]``: the measure averaged over the grid and the samples.
    info : RunInfo or None
    """

    config: Config
    five_point: dict
    five_point_natural: object
    five_point_critical: dict
    five_point_error: dict
    five_point_distortion: dict
    twelve_bit: dict
    twelve_bit_critical: dict
    twelve_bit_error: dict
    twelve_bit_distortion: dict
    bayes_error: dict
    chance_error: dict
    family_curves: dict
    family_residual: dict
    family_residual_markov: np.ndarray
    i_xt_grid: np.ndarray
    i_ty_gap: np.ndarray
    error_gap: np.ndarray
    distortion_gap: dict
    natural_agreement: float
    finite_sizes: np.ndarray
    finite_measures: dict
    finite_i_xt: np.ndarray
    finite_gap: dict
    finite_gap_mean: dict
    finite_gap_band: dict
    finite_mean: dict
    info: RunInfo | None = None

    def summary(self) -> dict[str, float | int | str]:
        """Headline numbers of chapter 7 (first half), flat, for ``myst_nb.glue``.

        Keys (bits unless stated): ``five_n_betas``, ``eps``; the 5-point curves: ``five_i_xy``, ``five_h_x``,
        ``five_end_ib`` / ``five_end_dual`` (final I(X;T)), ``five_gap`` (largest I(T;Y) deficit of the dual IB
        at equal I(X;T), millibits) and ``five_gap_pct`` (% of I(X;Y)); critical β: ``bc_<kind>`` (analytic,
        5-point), ``bc12_<kind>`` (12-bit), ``bc_pct`` (% by which the dual IB's is smaller), ``splits_<kind>``
        (the annealed splits, a comma-separated string), ``n_splits`` (compared pairs) and ``n_earlier``
        (dual-IB splits earlier than the IB's), ``bsc_ib`` = 1/(1 − 2ε)² and ``bsc_dual`` = 4/ln²((1 − ε)/ε)
        (the binary symmetric channel's thresholds); exponential family: ``fam_k``, ``fam_ny``, ``fam_<kind>``
        (largest residual, nats), ``natural_agreement``; prediction error (%, 5-point): ``err_best`` (largest
        advantage of the dual IB) at ``err_best_at`` bits, ``err_cross`` (largest I(X;T) where it is better),
        ``err_worst``, ``err_order`` (:func:`error_order`: which method has the lower 0-1 error where);
        ``gap_ib`` / ``gap_dual`` (largest distortion gaps, millibits), ``own_objective``
        (:func:`own_distortion_order`), ``chance``, ``bayes`` (probabilities); ``fam_markov`` (largest residual
        of the dual-IB clusters read through the Markov decoder, nats); finite samples (part 5):
        ``fin_sizes`` (the sample sizes, a comma-separated string), ``fin_samples``, ``fin_n_betas``, ``fin_pseudo``,
        ``fin_err_ib`` / ``fin_err_dual`` (true 0-1 error averaged over sizes, samples and the grid, %),
        ``fin_err_gap`` (IB minus dual IB, percentage points; > 0: the dual IB predicts better),
        ``fin_err_gap_small`` / ``fin_err_gap_large`` (the same at the smallest and the largest n),
        ``fin_ll_gap`` and ``fin_dual_gap`` (log-loss and dual-distortion gaps, IB minus dual IB, millibits),
        ``fin_n_dual_better`` (sizes at which the dual IB's mean 0-1 error is the lower) of ``fin_n_sizes``.
        """
        ib5, dual5 = self.five_point["ib"], self.five_point["dualib"]
        eps, grid, gap = self.config.epsilon, self.i_xt_grid, self.error_gap
        s_ib, s_dual = ib5.critical_betas, dual5.critical_betas
        n = min(s_ib.size, s_dual.size)
        better = grid[gap < -1e-9]
        out: dict[str, float | int | str] = {
            "five_n_betas": int(self.config.five_point_betas.n), "eps": float(eps), "five_i_xy": float(ib5.i_xy),
            "five_gap": 1e3 * float(-self.i_ty_gap.min()), "five_gap_pct": 100 * float(-self.i_ty_gap.min()) / ib5.i_xy,
            "five_end_ib": float(ib5.i_xt[-1]), "five_end_dual": float(dual5.i_xt[-1]), "five_h_x": float(ib5.h_x),
        }
        for kind in KINDS:
            out[f"bc_{kind}"] = float(self.five_point_critical[kind])
            out[f"splits_{kind}"] = self.five_point[kind].summary(split_digits=2)["splits"]
            out[f"bc12_{kind}"] = float(self.twelve_bit_critical[kind])
        out.update({
            "bc_pct": 100 * (1 - self.five_point_critical["dualib"] / self.five_point_critical["ib"]),
            "n_splits": int(n), "n_earlier": int((s_dual[:n] < s_ib[:n]).sum()),
            "bsc_ib": float(1 / (1 - 2 * eps) ** 2), "bsc_dual": float(4 / np.log((1 - eps) / eps) ** 2),
            "fam_k": int(self.config.family_shape[2]), "fam_ny": int(self.config.family_shape[1]),
            "fam_dual": float(self.family_residual["dualib"].max()), "fam_ib": float(self.family_residual["ib"].max()),
            "natural_agreement": float(self.natural_agreement),
            "err_best": -100 * float(gap.min()), "err_best_at": float(grid[np.argmin(gap)]),
            "err_cross": float(better.max()) if better.size else 0.0, "err_worst": 100 * float(gap.max()),
            "gap_ib": 1e3 * float(self.distortion_gap["ib"].max()),
            "gap_dual": 1e3 * float(-self.distortion_gap["dualib"].min()),
            "chance": float(self.chance_error["five_point"]), "bayes": float(self.bayes_error["five_point"]),
            "err_order": error_order(grid, gap), "own_objective": own_distortion_order(self.distortion_gap),
            "fam_markov": float(self.family_residual_markov.max()),
        })
        gap, err = self.finite_gap, self.finite_measures["error"]
        out.update({
            "fin_sizes": ", ".join(str(int(n)) for n in self.finite_sizes), "fin_n_sizes": int(self.finite_sizes.size),
            "fin_samples": int(self.config.finite_samples), "fin_n_betas": int(self.config.finite_betas.n),
            "fin_pseudo": float(self.config.finite_pseudo_count),
            "fin_err_ib": 100 * float(err["ib"].mean()), "fin_err_dual": 100 * float(err["dualib"].mean()),
            "fin_err_gap": 100 * float(gap["error"].mean()), "fin_err_gap_small": 100 * float(gap["error"][0].mean()),
            "fin_err_gap_large": 100 * float(gap["error"][-1].mean()),
            "fin_ll_gap": 1e3 * float(gap["log_loss"].mean()), "fin_dual_gap": 1e3 * float(gap["dual"].mean()),
            "fin_n_dual_better": int((self.finite_gap_mean["error"] > 0).sum()),
        })
        return out


def error_order(i_xt, error_gap, tol: float = 1e-9) -> str:
    """Which method predicts Y with the lower 0-1 error, and where, from the dual-IB-minus-IB error gap.

    Parameters
    ----------
    i_xt : array_like, shape (n,) -- a grid of I(X;T), bits, increasing
    error_gap : array_like, shape (n,) -- 0-1 error of the dual-IB solution minus the IB's at those I(X;T)
    tol : float -- differences within ``tol`` count as ties and are ignored

    Returns
    -------
    str, the object of "the lower 0-1 error belongs to …": "the dual IB at every I(X;T) of the grid", "the IB
    at every …", "the dual IB below 0.71 bits of I(X;T) and the IB above" (the largest I(X;T) where the first
    one is ahead), its mirror image, "neither method (the two errors are equal)" or, when the lead changes more
    than once, "each method in turn (the lead changes k times)".

    Raises
    ------
    ValueError
        If the two arrays differ in shape.
    """
    i_xt, gap = np.asarray(i_xt, dtype=float), np.asarray(error_gap, dtype=float)
    if i_xt.shape != gap.shape:
        raise ValueError(f"i_xt and error_gap must have the same shape, got {i_xt.shape} and {gap.shape}")
    ahead = np.abs(gap) > tol
    signs, where = np.sign(gap[ahead]), i_xt[ahead]
    if signs.size == 0:
        return "neither method (the two errors are equal)"
    names = {-1.0: "the dual IB", 1.0: "the IB"}
    changes = int(np.count_nonzero(np.diff(signs)))
    if changes == 0:
        return f"{names[signs[0]]} at every I(X;T) of the grid"
    if changes == 1:
        first = signs[0]
        return (f"{names[first]} below {where[signs == first].max():.2f} bits of I(X;T) and "
                f"{names[-first]} above")
    return f"each method in turn (the lead changes {changes} times)"


def own_distortion_order(distortion_gap: dict, tol: float = 1e-6) -> str:
    """Whether each method has the smaller value of its own distortion at equal I(X;T).

    ``distortion_gap``: ``Result.distortion_gap`` (``[measure]``: dual-IB solution minus IB solution, bits).
    The IB should have the smaller IB distortion (gap ≥ 0) and the dual IB the smaller dual distortion (gap ≤ 0)
    everywhere, up to ``tol`` bits of annealing error. Returns "each method has the smaller value of its own
    distortion at every I(X;T) of the grid" or "the methods do not each have the smaller value of their own
    distortion everywhere (an annealing error of more than 1e-06 bits)".
    """
    ib, dual = np.asarray(distortion_gap["ib"], dtype=float), np.asarray(distortion_gap["dualib"], dtype=float)
    if ib.min() >= -tol and dual.max() <= tol:
        return "each method has the smaller value of its own distortion at every I(X;T) of the grid"
    return (f"the methods do not each have the smaller value of their own distortion everywhere (an annealing "
            f"error of more than {tol:g} bits)")


# ----------------------------------------------------------------------------------------------
# Measures on annealed curves
# ----------------------------------------------------------------------------------------------
def _merged(curve, p_xy) -> tuple[np.ndarray, np.ndarray]:
    """p(x') (m,) and p(y|x') (m, n_y) of the merged inputs of ``curve`` (``curve.groups``)."""
    p_xy = np.asarray(p_xy, dtype=np.float64)
    p_x = p_xy.sum(axis=1)
    groups = np.asarray(curve.groups)
    if groups.shape != (p_xy.shape[0],):
        raise ValueError(f"p_xy has {p_xy.shape[0]} inputs but the curve was computed for {groups.shape[0]}")
    m = int(groups.max()) + 1
    p_m = np.bincount(groups[groups >= 0], weights=p_x[groups >= 0], minlength=m)
    rep = np.array([np.flatnonzero(groups == g)[0] for g in range(m)])
    return p_m, p_xy[rep] / p_x[rep, None]


def prediction_error(curve, p_xy, decoder: str = "own") -> np.ndarray:
    """0-1 error of predicting Y from T, at every β of an annealed curve.

    The prediction is ŷ(t) = argmax_y p(y|t); the error is Σ_{x,t} p(x) p(t|x) (1 − p(ŷ(t)|x)).

    Parameters
    ----------
    curve : bottleneck.IBCurve
        With encoders kept (``keep_encoders=True``).
    p_xy : array_like, shape (n_x, n_y)
        The joint the curve was computed for.
    decoder : {"own", "markov"}
        The kind's own decoder (geometric mean for the dual IB) or the Markov decoder Σ_x p(y|x) p(x|t)
        (the Bayes decision given T).

    Returns
    -------
    ndarray, shape (n_betas,), probabilities.

    Raises
    ------
    ValueError
        If the curve has no encoders or ``decoder`` is unknown.
    """
    if curve.p_t_given_x is None:
        raise ValueError("the curve has no encoders; compute it with keep_encoders=True")
    if decoder not in ("own", "markov"):
        raise ValueError(f"decoder must be 'own' or 'markov', got {decoder!r}")
    p_m, cond = _merged(curve, p_xy)
    dec = curve.decoder if decoder == "own" else curve.p_y_given_t
    y_hat = dec.argmax(axis=-1)  # (n_betas, n_t)
    correct = np.take_along_axis(cond[None, :, :], y_hat[:, None, :], axis=2)  # (n_betas, m, n_t)
    return np.einsum("m,bmt,bmt->b", p_m, curve.p_t_given_x, 1.0 - correct)


def expected_distortions(curve, p_xy) -> dict[str, np.ndarray]:
    """Both distortions of an annealed curve with its own decoder, in bits, shape (n_betas,) each.

    ``"ib"``: E_{p(x,t)} D_KL[p(y|x) || p(y|t)] (for the IB equal to I(X;Y) − I(T;Y));
    ``"dualib"``: E_{p(x,t)} D_KL[p(y|t) || p(y|x)], the dual distortion, whose mean the dual IB
    minimises (Piran et al. 2020: the mean prediction-error exponent).
    """
    from scipy.special import rel_entr

    if curve.p_t_given_x is None:
        raise ValueError("the curve has no encoders; compute it with keep_encoders=True")
    p_m, cond = _merged(curve, p_xy)
    dec = np.maximum(curve.decoder, np.finfo(np.float64).tiny)  # (n_betas, n_t, n_y)
    fwd = rel_entr(cond[None, :, None, :], dec[:, None, :, :]).sum(-1)  # (n_betas, m, n_t)
    rev = rel_entr(dec[:, None, :, :], cond[None, :, None, :]).sum(-1)
    weight = p_m[None, :, None] * curve.p_t_given_x
    return {"ib": (weight * fwd).sum((1, 2)) / _LN2, "dualib": (weight * rev).sum((1, 2)) / _LN2}


def family_residual(decoders, p_t, statistics, log_h=None, mass_tol: float = 1e-6) -> np.ndarray:
    """Distance of decoders p(y|t) from the exponential family h(y) exp(θ·s(y) − A(θ)), per β.

    log p(y|t) − log h(y) is projected (least squares) onto span{s_1(y), …, s_k(y), 1}; the residual
    is zero exactly when p(y|t) is in the family. Returned: its largest absolute entry over the
    clusters with p(t) > ``mass_tol``, in nats.

    Parameters
    ----------
    decoders : ndarray, shape (n_betas, n_t, n_y)
    p_t : ndarray, shape (n_betas, n_t)
    statistics : ndarray, shape (n_y, k)
    log_h : ndarray, shape (n_y,), optional
    mass_tol : float

    Returns
    -------
    ndarray, shape (n_betas,)
    """
    decoders = np.asarray(decoders, dtype=np.float64)
    s = np.asarray(statistics, dtype=np.float64)
    if decoders.ndim != 3 or s.ndim != 2 or s.shape[0] != decoders.shape[2]:
        raise ValueError(f"need decoders (n_betas, n_t, n_y) and statistics (n_y, k); got {decoders.shape}, {s.shape}")
    log_h = np.zeros(s.shape[0]) if log_h is None else np.asarray(log_h, dtype=np.float64)
    design = np.column_stack([s, np.ones(s.shape[0])])
    proj = design @ np.linalg.pinv(design)
    centred = np.log(np.maximum(decoders, np.finfo(np.float64).tiny)) - log_h
    resid = np.abs(centred - centred @ proj.T).max(axis=-1)  # (n_betas, n_t)
    return np.where(np.asarray(p_t) > mass_tol, resid, 0.0).max(axis=-1)


def empirical_joint(p_xy, n_samples: int, rng: np.random.Generator, pseudo_count: float = 0.5) -> np.ndarray:
    """p̂(x, y) from ``n_samples`` i.i.d. labelled examples of ``p_xy``, with ``pseudo_count`` added to every count.

    Parameters
    ----------
    p_xy : array_like, shape (n_x, n_y) -- the true joint (sums to 1)
    n_samples : int -- examples drawn (≥ 1)
    rng : numpy.random.Generator -- the draw
    pseudo_count : float -- > 0, so that p̂(y|x) > 0 (the dual IB needs it) and unseen inputs keep p̂(x) > 0

    Returns
    -------
    ndarray, shape (n_x, n_y): (n(x, y) + pseudo_count) / (n_samples + pseudo_count · n_x · n_y).

    Raises
    ------
    ValueError
        If ``p_xy`` is not a joint distribution, ``n_samples`` < 1 or ``pseudo_count`` ≤ 0.
    """
    p = np.asarray(p_xy, dtype=np.float64)
    if p.ndim != 2 or np.any(p < 0) or not np.isclose(p.sum(), 1.0):
        raise ValueError(f"p_xy must be a (n_x, n_y) table of probabilities summing to 1, got shape {p.shape}")
    if int(n_samples) < 1 or not pseudo_count > 0:
        raise ValueError(f"need n_samples >= 1 and pseudo_count > 0, got {n_samples}, {pseudo_count}")
    counts = rng.multinomial(int(n_samples), p.ravel() / p.sum()).reshape(p.shape) + float(pseudo_count)
    return counts / counts.sum()


def true_prediction_measures(curve, p_xy_true) -> dict[str, np.ndarray]:
    """Score the encoders p(t|x) and own decoders q(y|t) of a curve on the TRUE joint, at every β.

    The curve was annealed on an estimate p̂(x, y) with ``merge=False`` (one encoder row per input); unseen data
    are new examples (x, y) ~ p(x, y), which the solution maps to t ~ p(t|x) and predicts with q(y|t).

    Parameters
    ----------
    curve : bottleneck.IBCurve
        With encoders (``keep_encoders=True``) and unmerged inputs (``p_t_given_x`` of shape (n_betas, n_x, n_t)).
    p_xy_true : array_like, shape (n_x, n_y)

    Returns
    -------
    dict of ndarray, shape (n_betas,) each (keys :data:`MEASURES`):

    * ``"error"``: Σ_{x,t} p(x) p(t|x) (1 − p(ŷ(t)|x)) with ŷ(t) = argmax_y q(y|t), a probability;
    * ``"log_loss"``: Σ_{x,t} p(x) p(t|x) Σ_y p(y|x) (−log₂ q(y|t)), bits (≥ H(Y|X), the IB's measure);
    * ``"dual"``: Σ_{x,t} p(x) p(t|x) D_KL[q(y|t) ‖ p(y|x)], bits (the dual IB's mean prediction-error exponent).

    Raises
    ------
    ValueError
        If the curve has no encoders or merged inputs.
    """
    from scipy.special import rel_entr

    p = np.asarray(p_xy_true, dtype=np.float64)
    if curve.p_t_given_x is None or curve.p_t_given_x.shape[1] != p.shape[0]:
        raise ValueError("need a curve with encoders over every input (ib_curve(..., merge=False, keep_encoders=True))")
    p_x = p.sum(axis=1)
    cond = p / p_x[:, None]
    dec = np.maximum(curve.decoder, np.finfo(np.float64).tiny)  # (n_betas, n_t, n_y)
    weight = p_x[None, :, None] * curve.p_t_given_x  # (n_betas, n_x, n_t)
    correct = np.take_along_axis(cond[None, :, :], dec.argmax(-1)[:, None, :], axis=2)  # (n_betas, n_x, n_t)
    log_loss = -np.einsum("xy,bty->bxt", cond, np.log2(dec))
    dual = rel_entr(dec[:, None, :, :], cond[None, :, None, :]).sum(-1) / _LN2
    return {"error": (weight * (1.0 - correct)).sum((1, 2)), "log_loss": (weight * log_loss).sum((1, 2)),
            "dual": (weight * dual).sum((1, 2))}


def finite_sample_gap(measures: dict) -> dict[str, np.ndarray]:
    """IB minus dual IB of each measure, averaged over the I(X;T) grid: > 0 where the dual IB predicts better.

    ``measures``: ``Result.finite_measures`` (``[measure][kind]`` arrays of shape (..., n_grid)); returns
    ``[measure]`` arrays of shape (...) (e.g. (n_sizes, n_samples)).
    """
    return {m: (np.asarray(v["ib"], float) - np.asarray(v["dualib"], float)).mean(-1) for m, v in measures.items()}


def _finite_samples(config: Config, p_xy, bn) -> tuple[np.ndarray, dict]:
    """Part 5: the grids (n_sizes, n_samples, G) and ``[measure][kind]`` arrays of the same shape."""
    sizes, n_s, n_g = config.finite_sizes, config.finite_samples, config.finite_grid
    grids = np.zeros((len(sizes), n_s, n_g))
    out = {m: {k: np.zeros_like(grids) for k in KINDS} for m in MEASURES}
    solver = dict(direction=config.direction, tol=config.tol, max_iter=config.max_iter, seed=config.seed)
    for i, n in enumerate(progress(sizes, desc=f"{NAME}: finite samples", unit="size")):
        for j in range(n_s):
            rng = np.random.default_rng([config.seed, int(n), j])
            p_hat = empirical_joint(p_xy, n, rng, config.finite_pseudo_count)
            curves = {k: bn.ib_curve(p_hat, config.finite_betas.betas, kind=k, merge=False, **solver) for k in KINDS}
            grids[i, j] = np.linspace(0.0, min(float(c.i_xt.max()) for c in curves.values()), n_g)
            for k, c in curves.items():
                for m, values in true_prediction_measures(c, p_xy).items():
                    out[m][k][i, j] = _on_grid(c.i_xt, values, grids[i, j])
    return grids, out


def _on_grid(i_xt: np.ndarray, values: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """values(I(X;T)) interpolated on ``grid``; ``i_xt`` is non-decreasing along the curve."""
    x, first = np.unique(i_xt, return_index=True)
    return np.interp(grid, x, values[first])


# ----------------------------------------------------------------------------------------------
# The experiment
# ----------------------------------------------------------------------------------------------
def _compute(config: Config, checkpoint: Checkpoint) -> Result:
    from .. import bottleneck as bn
    from ..datasets import dual_ib_five_points, noisy_12bit_joint, random_exponential_family

    solver = dict(direction=config.direction, tol=config.tol, max_iter=config.max_iter, seed=config.seed)
    five = dual_ib_five_points()
    p5 = five.p_xy
    p12 = noisy_12bit_joint(config.epsilon)
    fam_task = random_exponential_family(*config.family_shape, seed=config.family_seed)
    family5 = bn.ExponentialFamily.finite(five.statistics, five.log_h, name="5-point")
    jobs = [("five_point", k, p5, config.betas("five_point")) for k in KINDS]
    jobs += [("12bit", k, p12, config.betas("12bit")) for k in KINDS]
    jobs += [("family", k, fam_task.p_xy, config.betas("family")) for k in KINDS]
    jobs += [("natural", "dualib", None, config.betas("five_point"))]
    curves = (checkpoint.load() or {}).get("curves", {})
    for task, kind, p_xy, betas in progress(jobs, desc=f"{NAME}: annealed curves", unit="curve"):
        if (task, kind) in curves:
            continue
        if task == "natural":
            curves[(task, kind)] = bn.exponential_family_dual_ib_curve(five.p_x, five.theta, family5, betas, **solver)
        else:
            curves[(task, kind)] = bn.ib_curve(p_xy, betas, kind=kind, **solver)
        checkpoint.save({"curves": curves})

    def pick(task):
        return {k: curves[(task, k)] for k in KINDS}

    five_c, twelve_c, fam_c = pick("five_point"), pick("12bit"), pick("family")
    natural = curves[("natural", "dualib")]
    agreement = max(float(np.abs(natural.i_xt - five_c["dualib"].i_xt).max()),
                    float(np.abs(natural.i_ty - five_c["dualib"].i_ty).max()))

    def errors(cs, p_xy):
        return {k: prediction_error(c, p_xy) for k, c in cs.items()}

    def distortions(cs, p_xy):
        return {k: expected_distortions(c, p_xy) for k, c in cs.items()}

    def bayes(p_xy):
        return float(1.0 - p_xy.max(axis=1).sum())

    def chance(p_xy):
        return float(1.0 - p_xy.sum(axis=0).max())

    err5, dist5 = errors(five_c, p5), distortions(five_c, p5)
    top = min(float(c.i_xt.max()) for c in five_c.values())
    grid = np.linspace(0.0, top, 200)

    def gap(ib_values, dual_values):
        return (_on_grid(five_c["dualib"].i_xt, dual_values, grid) - _on_grid(five_c["ib"].i_xt, ib_values, grid))

    residual = {k: family_residual(c.decoder, c.p_t, fam_task.statistics, fam_task.log_h) for k, c in fam_c.items()}
    fin_grid, fin = (checkpoint.load() or {}).get("finite") or _finite_samples(config, p5, bn)
    checkpoint.save({"curves": curves, "finite": (fin_grid, fin)})
    fin_gap = finite_sample_gap(fin)
    band = {m: np.array([bootstrap_interval(lambda pick, g=g: float(g[pick].mean()), g.size) for g in v])
            for m, v in fin_gap.items()}
    return Result(
        config=config,
        five_point=five_c,
        five_point_natural=natural,
        five_point_critical={k: bn.critical_beta(p5, k) for k in KINDS},
        five_point_error=err5,
        five_point_distortion=dist5,
        twelve_bit=twelve_c,
        twelve_bit_critical={k: bn.critical_beta(p12, k) for k in KINDS},
        twelve_bit_error=errors(twelve_c, p12),
        twelve_bit_distortion=distortions(twelve_c, p12),
        bayes_error={"five_point": bayes(p5), "12bit": bayes(p12)},
        chance_error={"five_point": chance(p5), "12bit": chance(p12)},
        family_curves=fam_c,
        family_residual=residual,
        family_residual_markov=family_residual(fam_c["dualib"].p_y_given_t, fam_c["dualib"].p_t,
                                               fam_task.statistics, fam_task.log_h),
        i_xt_grid=grid,
        i_ty_gap=gap(five_c["ib"].i_ty, five_c["dualib"].i_ty),
        error_gap=gap(err5["ib"], err5["dualib"]),
        distortion_gap={m: gap(dist5["ib"][m], dist5["dualib"][m]) for m in KINDS},
        natural_agreement=agreement,
        finite_sizes=np.asarray(config.finite_sizes, dtype=int),
        finite_measures=fin,
        finite_i_xt=fin_grid,
        finite_gap=fin_gap,
        finite_gap_mean={m: v.mean(-1) for m, v in fin_gap.items()},
        finite_gap_band=band,
        finite_mean={m: {k: a.mean((1, 2)) for k, a in v.items()} for m, v in fin.items()},
    )


def run(config: Config | None = None) -> Result:
    """Run (or load from the cache) the analytic dual-IB experiments; ``config`` defaults to the preset's."""
    config = config or select_config(PRESETS)
    return cached_run(NAME, config, _compute, PRESETS)
