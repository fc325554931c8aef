r"""The converged layers against the IB bound of the 12-bit task (Shwartz-Ziv & Tishby 2017, Fig. 6).

SZT17 report that the layers of trained networks end on or near the information-bottleneck bound and that
the maps X → T and T → Y of every layer satisfy the IB self-consistent equations for some β, which they
fit per layer. This experiment takes the final layers of the training-size sweep (:mod:`.training_size`)
and the IB curve of the noisy 12-bit task (:mod:`.ib_bound`) and, for every network and layer, measures

- I(X;T) of the binned layer, and I(T;Y) with the *same* noisy labels p(y|x) as the bound
  (:func:`noisy_label_information`): the bound only holds for the joint it was computed from;
- how far the layer sits from the bound: the I(T;Y) it lacks at its I(X;T) (``ity_gap``) and the I(X;T) it
  spends beyond the least the bound needs for its I(T;Y) (``ixt_excess``);
- the β that fits the layer, two ways: on the curve (:func:`fit_beta_on_curve`: the β of the IB solution
  with the layer's I(T;Y), where the curve's slope is 1/β), and by the self-consistent equations
  (:func:`fit_beta_self_consistent`: the β whose IB encoder p(t)exp(−β D_KL[p(y|x)||p(y|t)])/Z, built from
  the layer's own p(t) and p(y|t), best explains the layer's assignment of inputs to cells).

Neither fit is in :mod:`ipflow_lib.bottleneck`; both are defined and tested here.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy.special import logsumexp, rel_entr

from . import ib_bound, training_size
from ._common import RunInfo, cached_run, select_config

__all__ = [
    "Config",
    "PRESETS",
    "Result",
    "fit_beta_on_curve",
    "fit_beta_self_consistent",
    "noisy_label_information",
    "run",
]

_LN2 = float(np.log(2.0))
CURVE_METHODS = ("relevance", "compression", "nearest")


# ----------------------------------------------------------------------------------------------
# Information of a binned layer under soft labels
# ----------------------------------------------------------------------------------------------


def noisy_label_information(cells, p_y_given_x) -> np.ndarray:
    """I(T;Y) in bits of a deterministic partition T of uniformly distributed inputs, for soft labels p(y|x).

    I(T;Y) = H(Y) − Σ_t p(t) H(Y | T=t), with p(y|t) the mean of p(y|x) over the inputs of cell t
    (REFERENCE: binning with soft labels; SZT17 measured the layers against the IB bound of the noisy task).

    Parameters
    ----------
    cells : int array (..., n_samples) -- cell of every input (e.g. ``training_size.Result.cells``)
    p_y_given_x : array (n_samples, n_y) -- rows are distributions

    Returns
    -------
    ndarray (...), bits; between 0 and I(X;Y) of the soft joint (data processing).

    Raises
    ------
    ValueError
        Mismatched sizes, negative cells, or rows of ``p_y_given_x`` that are not distributions.
    """
    cells = np.asarray(cells)
    p = np.asarray(p_y_given_x, dtype=np.float64)
    if p.ndim != 2 or cells.shape[-1:] != p.shape[:1]:
        raise ValueError(
            f"cells (..., n_samples) and p_y_given_x (n_samples, n_y) must match, got {cells.shape} and {p.shape}"
        )
    if not np.issubdtype(cells.dtype, np.integer) or (cells.size and cells.min() < 0):
        raise ValueError("cells must hold non-negative integer cell labels")
    if (p < 0).any() or not np.allclose(p.sum(axis=1), 1.0, atol=1e-9):
        raise ValueError("p_y_given_x must hold probabilities ≥ 0 whose rows sum to 1")
    n = p.shape[0]
    p_y = p.mean(axis=0)
    h_y = -float(np.sum(p_y * np.log(np.where(p_y > 0, p_y, 1.0))))
    flat = cells.reshape(-1, n)
    out = np.empty(flat.shape[0])
    for i, row in enumerate(flat):
        counts = np.bincount(row).astype(np.float64)
        sums = np.stack([np.bincount(row, weights=p[:, j], minlength=counts.size) for j in range(p.shape[1])], 1)
        used = counts > 0
        q = sums[used] / counts[used, None]
        h_cond = -np.sum(np.where(q > 0, q * np.log(np.where(q > 0, q, 1.0)), 0.0), axis=1)
        out[i] = h_y - float(counts[used] @ h_cond) / n
    return np.clip(out, 0.0, None).reshape(cells.shape[:-1]) / _LN2


# ----------------------------------------------------------------------------------------------
# β of a point of the information plane, on the IB curve
# ----------------------------------------------------------------------------------------------


def _monotone(betas, values):
    """(values, log β) along the curve with the values strictly increasing, for interpolation.

    Of a plateau (equal values over several β) the first β is kept, the least β that reaches the value;
    of the initial plateau (e.g. I(T;Y) = 0 below the critical β) the last one.
    """
    order = np.argsort(betas)
    log_b, v = np.log(np.asarray(betas, float)[order]), np.maximum.accumulate(np.asarray(values, float)[order])
    rises = np.diff(v) > 1e-12
    keep = np.r_[True, rises]
    start = int(np.argmax(rises)) if rises.any() else v.size - 1  # last point of the initial plateau
    keep[: start + 1] = False
    keep[start] = True
    return v[keep], log_b[keep]


def fit_beta_on_curve(i_xt, i_ty, curve_betas, curve_i_xt, curve_i_ty, method: str = "relevance") -> np.ndarray:
    """The β of the IB-curve point that matches a point (I(X;T), I(T;Y)) of the information plane.

    On the IB curve the slope dI(T;Y)/dI(X;T) is 1/β (Tishby, Pereira & Bialek 1999), so β labels the
    points of the curve; SZT17 (Fig. 6) give each converged layer the β that fits it.

    Parameters
    ----------
    i_xt, i_ty : array_like, same shape, bits -- the points (e.g. layers)
    curve_betas, curve_i_xt, curve_i_ty : arrays (n_betas,) -- an annealed IB curve (any order of β;
        I(X;T) and I(T;Y) non-decreasing in β, as on any IB curve)
    method : {"relevance", "compression", "nearest"}
        ``"relevance"``: the β at which the curve reaches the point's I(T;Y), i.e. the most compressed
        representation as informative about Y as the point (horizontal projection onto the bound);
        ``"compression"``: the β at which the curve reaches the point's I(X;T) (vertical projection);
        ``"nearest"``: the curve point nearest in the plane (Euclidean, bits), on the curve interpolated
        in log β. Curve points are interpolated linearly between neighbouring β in log β.

    Returns
    -------
    ndarray, the shape of ``i_xt``
        β > 0. For "relevance"/"compression": ``inf`` where the point's value reaches the end of the curve
        (the curve attains I(X;Y) and H(X') only as β → ∞); a value on a plateau of the curve gets the least
        β that reaches it, except the initial plateau (I = 0 below the critical β), which gets its largest β.

    Raises
    ------
    ValueError
        Unknown ``method``, mismatched shapes, β ≤ 0 or NaN on the curve.

    Examples
    --------
    >>> b = np.array([1.0, 2.0, 4.0])
    >>> fit_beta_on_curve(0.5, 0.25, b, np.array([0.0, 0.5, 1.0]), np.array([0.0, 0.25, 0.4]))
    array(2.)
    """
    if method not in CURVE_METHODS:
        raise ValueError(f"method must be one of {CURVE_METHODS}, got {method!r}")
    betas = np.asarray(curve_betas, float)
    cx, cy = np.asarray(curve_i_xt, float), np.asarray(curve_i_ty, float)
    if betas.ndim != 1 or cx.shape != betas.shape or cy.shape != betas.shape or betas.size < 2:
        raise ValueError(f"the curve arrays must have the same shape (n_betas ≥ 2,), got {betas.shape}, "
                         f"{cx.shape}, {cy.shape}")
    if not (np.isfinite(betas).all() and (betas > 0).all() and np.isfinite(cx).all() and np.isfinite(cy).all()):
        raise ValueError("the curve must have finite values and β > 0")
    px, py = np.broadcast_arrays(np.asarray(i_xt, float), np.asarray(i_ty, float))
    if method in ("relevance", "compression"):
        v, log_b = _monotone(betas, cy if method == "relevance" else cx)
        point = py if method == "relevance" else px
        out = np.exp(np.interp(point, v, log_b))
        return np.where(point >= v[-1] - 1e-9, np.inf, out)
    order = np.argsort(betas)
    log_b = np.log(betas[order])
    fine = np.linspace(log_b[0], log_b[-1], 64 * betas.size)
    fx, fy = np.interp(fine, log_b, cx[order]), np.interp(fine, log_b, cy[order])
    d2 = (px[..., None] - fx) ** 2 + (py[..., None] - fy) ** 2
    return np.exp(fine[np.argmin(d2, axis=-1)])


# ----------------------------------------------------------------------------------------------
# β of a layer by the IB self-consistent equations
# ----------------------------------------------------------------------------------------------


def fit_beta_self_consistent(encoder, p_y_given_x, p_x=None, beta_range=(1e-2, 1e4)) -> tuple[float, float]:
    r"""The β for which an encoder best satisfies the IB self-consistent equations (SZT17, Sec. 5 and Fig. 6).

    From the encoder p(t|x) take its own marginal p(t) = Σ_x p(x) p(t|x) and decoder
    p(y|t) = Σ_x p(y|x) p(x|t); the IB equation (Tishby, Pereira & Bialek 1999) then predicts the encoder

    .. math:: q_\beta(t|x) = \frac{p(t)\, e^{-\beta D_{KL}[p(y|x) \| p(y|t)]}}{Z(x, \beta)}.

    The fitted β minimises :math:`\mathbb{E}_{p(x)} D_{KL}[p(t|x) \| q_\beta(t|x)]`, which is 0 exactly when
    the encoder is a fixed point of the IB equations at that β (Gibbs' inequality). The objective is a cross
    entropy minus a constant; as −log q_β is convex in β, the minimum is unique.

    Parameters
    ----------
    encoder : int array (n_x,) of cell labels (a deterministic layer) or array (n_x, n_t) of p(t|x)
    p_y_given_x : array (n_x, n_y) -- rows are distributions (soft labels, e.g. the noisy 12-bit task)
    p_x : array (n_x,) or None -- input distribution (default uniform)
    beta_range : (low, high) -- search range of β; a minimum at ``high`` is returned as ``inf`` (the encoder
        is best explained by the deterministic limit β → ∞)

    Returns
    -------
    beta : float -- NaN if the objective does not depend on β (an encoder whose decoders p(y|t) are all
        equal, like the trivial IB solution, is a fixed point at every β below the critical one)
    gap : float, bits -- the minimal E_x D_KL[p(t|x) || q_β(t|x)] (0 for an exact IB fixed point)

    Raises
    ------
    ValueError
        Mismatched shapes, rows that are not distributions, or a bad ``beta_range``.
    """
    from scipy.optimize import minimize_scalar

    p = np.asarray(p_y_given_x, dtype=np.float64)
    n_x = p.shape[0]
    if p.ndim != 2 or (p < 0).any() or not np.allclose(p.sum(axis=1), 1.0, atol=1e-9):
        raise ValueError("p_y_given_x must have shape (n_x, n_y) with rows that are distributions")
    p_x = np.full(n_x, 1.0 / n_x) if p_x is None else np.asarray(p_x, dtype=np.float64)
    if p_x.shape != (n_x,) or (p_x < 0).any() or not np.isclose(p_x.sum(), 1.0):
        raise ValueError(f"p_x must be a distribution of shape ({n_x},)")
    lo, hi = beta_range
    if not 0 < lo < hi:
        raise ValueError(f"beta_range must be 0 < low < high, got {beta_range}")
    # Inputs with the same p(y|x) have the same distortions: work on the distinct rows.
    rows, group = np.unique(np.round(p, 12), axis=0, return_inverse=True)
    group = group.ravel()
    p_g = np.bincount(group, weights=p_x, minlength=rows.shape[0])
    enc = np.asarray(encoder)
    if enc.ndim == 1:  # deterministic: no (n_x, n_t) matrix (a layer may have as many cells as inputs)
        if enc.shape != (n_x,) or not np.issubdtype(enc.dtype, np.integer) or enc.min() < 0:
            raise ValueError(f"a deterministic encoder must be non-negative integer cells of shape ({n_x},)")
        _, cell = np.unique(enc, return_inverse=True)
        p_t = np.bincount(cell, weights=p_x)
        alive = p_t > 0
        cell = (np.cumsum(alive) - 1)[cell]
        p_t = p_t[alive]
        p_y_t = np.stack([np.bincount(cell, weights=p_x * p[:, j], minlength=p_t.size) for j in range(p.shape[1])],
                         axis=1) / p_t[:, None]
        d = rel_entr(rows[:, None, :], p_y_t[None, :, :]).sum(-1)  # (n_groups, n_t), nats, may be inf
        log_pt = np.log(p_t)
        own_d = float(p_x @ d[group, cell])
        own_logp = float(p_x @ log_pt[cell])
        h_cond = 0.0
    else:
        q = enc.astype(np.float64)
        if q.shape[0] != n_x or (q < 0).any() or not np.allclose(q.sum(axis=1), 1.0, atol=1e-6):
            raise ValueError(f"encoder p(t|x) must have shape ({n_x}, n_t) with rows that are distributions")
        p_t = p_x @ q
        alive = p_t > 0
        q, p_t = q[:, alive], p_t[alive]
        p_y_t = (q * p_x[:, None]).T @ p / p_t[:, None]  # (n_t, n_y)
        d = rel_entr(rows[:, None, :], p_y_t[None, :, :]).sum(-1)
        log_pt = np.log(p_t)
        own_d = float(np.where(q > 0, q * d[group], 0.0).sum(1) @ p_x)  # E_x Σ_t p(t|x) d(x,t)
        own_logp = float(np.sum(q * log_pt, axis=1) @ p_x)
        h_cond = -float(np.sum(np.where(q > 0, q * np.log(np.where(q > 0, q, 1.0)), 0.0), axis=1) @ p_x)
    if not np.isfinite(own_d):
        raise ValueError("some input is assigned to a cell whose decoder gives its labels probability 0")
    # Z(x, β) = Σ_t p(t) exp(−β d(x,t)) only depends on the distinct decoders: sum p(t) over equal ones.
    decoders, which = np.unique(np.round(p_y_t, 12), axis=0, return_inverse=True)
    which = which.ravel()
    log_pu = np.log(np.bincount(which, weights=p_t, minlength=decoders.shape[0]))
    d_u = np.zeros((rows.shape[0], decoders.shape[0]))
    d_u[:, which] = d  # equal decoders have equal distortions

    def objective(log_beta):  # cross entropy E_x Σ_t p(t|x) [−log q_β(t|x)], nats
        beta = np.exp(log_beta)
        lse = logsumexp(log_pu[None, :] - beta * d_u, axis=1)
        return -(own_logp - beta * own_d) + float(p_g @ lse)

    res = minimize_scalar(objective, bounds=(np.log(lo), np.log(hi)), method="bounded",
                          options={"xatol": 1e-7})
    beta, best = float(np.exp(res.x)), float(res.fun)
    at_lo, at_hi = objective(np.log(lo)), objective(np.log(hi))
    tol = 1e-12 * max(1.0, abs(best))
    if abs(at_hi - at_lo) <= tol and abs(best - at_lo) <= tol:  # flat: the decoder ignores t (trivial encoder)
        beta = float("nan")
    elif at_hi <= best + tol:  # still falling at the top of the range
        beta, best = float("inf"), at_hi
    return beta, max(best - h_cond, 0.0) / _LN2


# ----------------------------------------------------------------------------------------------
# The experiment
# ----------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Config:
    """Which sweep and which IB bound to compare (``paper``: both ``paper`` presets).

    Attributes
    ----------
    sweep : training_size.Config -- the networks whose final layers are measured
    bound : ib_bound.Config -- the IB curve, and the label noise ε of I(T;Y) for the layers
    curve_method : method of :func:`fit_beta_on_curve`
    """

    sweep: training_size.Config = training_size.PRESETS["paper"]
    bound: ib_bound.Config = ib_bound.PRESETS["paper"]
    curve_method: str = "relevance"

    def __post_init__(self):
        if self.curve_method not in CURVE_METHODS:
            raise ValueError(f"curve_method must be one of {CURVE_METHODS}, got {self.curve_method!r}")


PRESETS = {
    "paper": Config(),
    "quick": Config(sweep=training_size.PRESETS["quick"], bound=ib_bound.PRESETS["quick"]),
}


@dataclasses.dataclass
class Result:
    """Final layers of every network of the sweep, against the IB bound.

    Attributes
    ----------
    config : Config
    train_fractions, n_train : (n_sizes,) -- as in :class:`.training_size.Result`
    i_xt : (n_sizes, n_seeds, n_layers), bits -- binned I(X;T) at the last logged epoch
    i_ty_clean : (n_sizes, n_seeds, n_layers), bits -- I(T;Y) with the clean labels (as in the sweep)
    i_ty : (n_sizes, n_seeds, n_layers), bits -- I(T;Y) with the noisy labels of the bound
    bound_i_ty : (n_sizes, n_seeds, n_layers), bits -- the bound's I(T;Y) at the layer's I(X;T)
    ity_gap : (n_sizes, n_seeds, n_layers), bits -- bound_i_ty − i_ty ≥ 0
    ixt_excess : (n_sizes, n_seeds, n_layers), bits -- i_xt minus the least I(X;T) the bound needs for i_ty
    beta_curve : (n_sizes, n_seeds, n_layers) -- β on the curve (:func:`fit_beta_on_curve`; inf past its end)
    beta_sc : (n_sizes, n_seeds, n_layers) -- self-consistent β (:func:`fit_beta_self_consistent`)
    sc_gap : (n_sizes, n_seeds, n_layers), bits -- E_x KL[layer encoder || IB encoder at beta_sc]
    curve_betas, curve_i_xt, curve_i_ty : (n_betas,) -- the IB curve
    bound_x, bound_y : (n_points,) -- the bound drawn in the plane (``ib_bound.Result.as_bound``)
    i_xy, h_x_merged, epsilon, critical_beta : float -- end of the curve, its I(X;T) there, label noise, β_c
    layer_widths : widths of the layers
    info : RunInfo
    """

    config: Config
    train_fractions: np.ndarray
    n_train: np.ndarray
    i_xt: np.ndarray
    i_ty_clean: np.ndarray
    i_ty: np.ndarray
    bound_i_ty: np.ndarray
    ity_gap: np.ndarray
    ixt_excess: np.ndarray
    beta_curve: np.ndarray
    beta_sc: np.ndarray
    sc_gap: np.ndarray
    curve_betas: np.ndarray
    curve_i_xt: np.ndarray
    curve_i_ty: np.ndarray
    bound_x: np.ndarray
    bound_y: np.ndarray
    i_xy: float
    h_x_merged: float
    epsilon: float
    critical_beta: float
    layer_widths: tuple[int, ...]
    info: RunInfo | None = None


def _compute(config: Config, checkpoint) -> Result:
    from ..datasets import noisy_labels, tishby_12bit
    from ..estimators._common import entropy_of_codes

    sweep = training_size.run(config.sweep)
    bound = ib_bound.run(config.bound)
    _, y = tishby_12bit()
    p_noisy = noisy_labels(y, config.bound.epsilon)
    cells = sweep.cells  # (n_sizes, n_seeds, n_layers, n_samples)
    i_xt = entropy_of_codes(cells) / _LN2
    i_ty = noisy_label_information(cells, p_noisy)
    bx, by = bound.as_bound(x_max=max(12.0, float(i_xt.max())))
    bound_i_ty = bound.bound_at(i_xt)
    # the least I(X;T) on the bound with the layer's I(T;Y): invert the (non-decreasing) bound
    v = np.maximum.accumulate(by)
    first = np.r_[True, np.diff(v) > 1e-12]  # the first point of every plateau: the least I(X;T)
    least_x = np.interp(i_ty, v[first], bx[first])
    beta_curve = fit_beta_on_curve(i_xt, i_ty, bound.betas, bound.i_xt, bound.i_ty, config.curve_method)
    beta_sc = np.empty(cells.shape[:-1])
    sc_gap = np.empty(cells.shape[:-1])
    for idx in np.ndindex(*cells.shape[:-1]):
        beta_sc[idx], sc_gap[idx] = fit_beta_self_consistent(cells[idx], p_noisy)
    return Result(
        config=config,
        train_fractions=sweep.train_fractions,
        n_train=sweep.n_train,
        i_xt=i_xt,
        i_ty_clean=sweep.i_ty[:, :, -1],
        i_ty=i_ty,
        bound_i_ty=bound_i_ty,
        ity_gap=np.maximum(bound_i_ty - i_ty, 0.0),
        ixt_excess=np.maximum(i_xt - least_x, 0.0),
        beta_curve=beta_curve,
        beta_sc=beta_sc,
        sc_gap=sc_gap,
        curve_betas=bound.betas,
        curve_i_xt=bound.i_xt,
        curve_i_ty=bound.i_ty,
        bound_x=bx,
        bound_y=by,
        i_xy=float(bound.i_xy),
        h_x_merged=float(bound.h_x_merged),
        epsilon=float(config.bound.epsilon),
        critical_beta=float(bound.critical_beta),
        layer_widths=sweep.layer_widths,
    )


def run(config: Config | None = None) -> Result:
    """Run (or load from the cache) the layers-versus-IB-bound comparison; ``None`` = the current preset."""
    config = config or select_config(PRESETS)
    return cached_run("ib-layers", config, _compute, PRESETS)
