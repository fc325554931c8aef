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
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ._common import Checkpoint, RunInfo, cached_run, progress, select_config

__all__ = [
    "Config",
    "PRESETS",
    "Result",
    "expected_distortions",
    "family_residual",
    "prediction_error",
    "run",
    "twelve_bit_joint",
]

NAME = "dual-ib"
KINDS = ("ib", "dualib")
_LN2 = float(np.log(2.0))


@dataclasses.dataclass(frozen=True)
class Config:
    """Settings of the analytic dual-IB experiments.

    Attributes
    ----------
    n_betas : int
        β values of the 5-point example, log-spaced on [beta_min, beta_max] (1000 in the paper).
    beta_min, beta_max : float
        Range of β of the 5-point example (2^1 and 2^6 in the paper).
    direction : str
        Annealing direction of ``bottleneck.ib_curve``: ``"down"`` (the paper's, from large to small β),
        ``"up"`` or ``"both"``.
    epsilon : float
        Label noise of the 12-bit task, p(y=1|x) = y(1 − ε) + (1 − y)ε.
    n_betas_12bit, beta_min_12bit, beta_max_12bit : β grid of the 12-bit task (the dual IB's first
        split lies far below the IB's there, so the grid starts low).
    family_n_x, family_n_y, family_n_stats, family_seed : the random exponential family of part 3.
    n_betas_family, beta_min_family, beta_max_family : its β grid.
    tol, max_iter : convergence of the self-consistent iteration at each β.
    seed : int
        Seed of the annealing perturbations.
    """

    n_betas: int = 1000
    beta_min: float = 2.0
    beta_max: float = 64.0
    direction: str = "down"
    epsilon: float = 0.01
    n_betas_12bit: int = 256
    beta_min_12bit: float = 0.05
    beta_max_12bit: float = 200.0
    family_n_x: int = 8
    family_n_y: int = 6
    family_n_stats: int = 2
    family_seed: int = 0
    n_betas_family: int = 200
    beta_min_family: float = 0.1
    beta_max_family: float = 200.0
    tol: float = 1e-10
    max_iter: int = 50_000
    seed: int = 0

    def __post_init__(self):
        for name in ("n_betas", "n_betas_12bit", "n_betas_family"):
            if getattr(self, name) < 2:
                raise ValueError(f"{name} must be >= 2, got {getattr(self, name)}")
        for lo, hi in (("beta_min", "beta_max"), ("beta_min_12bit", "beta_max_12bit"),
                       ("beta_min_family", "beta_max_family")):
            if not 0 < getattr(self, lo) < getattr(self, hi):
                raise ValueError(f"need 0 < {lo} < {hi}, got {getattr(self, lo)}, {getattr(self, hi)}")
        if self.direction not in ("up", "down", "both"):
            raise ValueError(f"direction must be 'up', 'down' or 'both', got {self.direction!r}")
        if not 0 < self.epsilon < 0.5:
            raise ValueError(f"epsilon must be in (0, 0.5) (the dual IB needs p(y|x) > 0), got {self.epsilon}")

    def betas(self, task: str = "five_point") -> np.ndarray:
        """The β grid of ``task`` ("five_point", "12bit" or "family"), increasing."""
        suffix = {"five_point": "", "12bit": "_12bit", "family": "_family"}[task]
        return np.geomspace(getattr(self, "beta_min" + suffix), getattr(self, "beta_max" + suffix),
                            getattr(self, "n_betas" + suffix))


PRESETS = {
    "paper": Config(),
    "quick": Config(n_betas=200, n_betas_12bit=80, n_betas_family=60, tol=1e-9),
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
    info: RunInfo | None = None


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


def _on_grid(i_xt: np.ndarray, values: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """values(I(X;T)) interpolated on ``grid``; ``i_xt`` is non-decreasing along the curve."""
    x, first = np.unique(i_xt, return_index=True)
    return np.interp(grid, x, values[first])


def twelve_bit_joint(epsilon: float) -> np.ndarray:
    """p(x, y) of the noisy 12-bit task, X uniform over the 4096 patterns, shape (4096, 2)."""
    from ..datasets import noisy_labels, tishby_12bit

    _, y = tishby_12bit()
    return noisy_labels(y, epsilon) / y.size


# ----------------------------------------------------------------------------------------------
# The experiment
# ----------------------------------------------------------------------------------------------
def _compute(config: Config, checkpoint: Checkpoint) -> Result:
    from .. import bottleneck as bn
    from ..datasets import dual_ib_five_points, random_exponential_family

    solver = dict(direction=config.direction, tol=config.tol, max_iter=config.max_iter, seed=config.seed)
    five = dual_ib_five_points()
    p5 = five.p_xy
    p12 = twelve_bit_joint(config.epsilon)
    fam_task = random_exponential_family(config.family_n_x, config.family_n_y, config.family_n_stats,
                                         seed=config.family_seed)
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
    )


def run(config: Config | None = None) -> Result:
    """Run (or load from the cache) the analytic dual-IB experiments; ``config`` defaults to the preset's."""
    config = config or select_config(PRESETS)
    return cached_run(NAME, config, _compute, PRESETS)
