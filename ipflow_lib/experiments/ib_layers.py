r"""The converged layers against the IB bound of the 12-bit task (Shwartz-Ziv & Tishby 2017, Fig. 6).

SZT17 report that the layers of trained networks end on or near the information-bottleneck bound and that
the maps X → T and T → Y of every layer satisfy the IB self-consistent equations for some β, which they
fit per layer. This experiment takes the final layers of the training-size sweep (:mod:`.training_size`)
and the IB curve of the noisy 12-bit task (:mod:`.ib_bound`) and, for every network and layer, measures

- I(X;T) of the binned layer, and I(T;Y) with the *same* noisy labels p(y|x) as the bound
  (:func:`ipflow_lib.estimators.noisy_label_information`): the bound only holds for the joint it was computed from;
- how far the layer sits from the bound: the I(T;Y) it lacks at its I(X;T) (``ity_gap``) and the I(X;T) it
  spends beyond the least the bound needs for its I(T;Y) (``ixt_excess``);
- the β that fits the layer, two ways (both in :mod:`ipflow_lib.bottleneck`, section "Fitting β to a
  representation"): on the curve (:func:`~ipflow_lib.bottleneck.fit_beta_on_curve`: the β of the IB solution
  with the layer's I(T;Y), where the curve's slope is 1/β), and by the self-consistent equations
  (:func:`~ipflow_lib.bottleneck.fit_beta_self_consistent`: the β whose IB encoder
  p(t)exp(−β D_KL[p(y|x)||p(y|t)])/Z, built from the layer's own p(t) and p(y|t), best explains the layer's
  assignment of inputs to cells).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..bottleneck import CURVE_METHODS, fit_beta_on_curve, fit_beta_self_consistent
from ..estimators import noisy_label_information
from . import ib_bound, training_size
from ._common import RunInfo, cached_run, select_config

__all__ = [
    "Config",
    "PRESETS",
    "Result",
    "noisy_label_information",
    "run",
]

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
    curve_method : method of :func:`ipflow_lib.bottleneck.fit_beta_on_curve`
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
    i_xt : (n_sizes, n_networks, n_layers), bits -- binned I(X;T) at the last logged epoch
    i_ty_clean : (n_sizes, n_networks, n_layers), bits -- I(T;Y) with the clean labels (as in the sweep)
    i_ty : (n_sizes, n_networks, n_layers), bits -- I(T;Y) with the noisy labels of the bound
    bound_i_ty : (n_sizes, n_networks, n_layers), bits -- the bound's I(T;Y) at the layer's I(X;T)
    ity_gap : (n_sizes, n_networks, n_layers), bits -- bound_i_ty − i_ty ≥ 0
    ixt_excess : (n_sizes, n_networks, n_layers), bits -- i_xt minus the least I(X;T) the bound needs for i_ty
    beta_curve : (n_sizes, n_networks, n_layers) -- β on the curve (:func:`ipflow_lib.bottleneck.fit_beta_on_curve`;
        inf past its end)
    beta_sc : (n_sizes, n_networks, n_layers) -- self-consistent β
        (:func:`ipflow_lib.bottleneck.fit_beta_self_consistent`)
    sc_gap : (n_sizes, n_networks, n_layers), bits -- E_x KL[layer encoder || IB encoder at beta_sc]
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

    def layer_names(self) -> list[str]:
        """Labels of the layers for figures: ``["L1 (10)", "L2 (7)", ...]`` (index and units)."""
        return [f"L{k + 1} ({w})" for k, w in enumerate(self.layer_widths)]

    def gap_table(self) -> str:
        """One line per training size: per layer (mean over networks), the I(T;Y) the layer lacks below the
        bound and the I(X;T) it keeps beyond the bound's, bits."""
        return "\n".join(
            f"{100 * f:4g} %: I(T;Y) below the bound by {np.round(self.ity_gap[s].mean(0), 3)} bits; I(X;T) beyond "
            f"the bound's by {np.round(self.ixt_excess[s].mean(0), 2)} bits (layers 1..)"
            for s, f in enumerate(self.train_fractions)
        )

    def summary(self) -> dict[str, float | int | str]:
        """The numbers chapter 3 quotes about the layers and the IB bound (flat; bits, β), keyed by glue names.

        The bound: ``epsilon``, ``i_xy``, ``h_x_merged``, ``critical_beta``. For the last hidden layer
        (``*_last_*``) and the output (``*_out_*``), mean over networks of the largest (``*_big``) or the
        smallest (``*_small``) training set: ``vgap_*`` (= ``ity_gap``), ``excess_*`` (= ``ixt_excess``),
        ``sc_gap_last``; medians over networks: ``beta_curve_last``, ``beta_sc_last`` and their ``*_small``.
        """
        big, small = int(np.argmax(self.train_fractions)), int(np.argmin(self.train_fractions))
        last = len(self.layer_widths) - 2
        return {
            "epsilon": float(self.epsilon),
            "i_xy": float(self.i_xy),
            "h_x_merged": float(self.h_x_merged),
            "critical_beta": float(self.critical_beta),
            "vgap_last_big": float(self.ity_gap[big, :, last].mean()),
            "vgap_last_small": float(self.ity_gap[small, :, last].mean()),
            "excess_last_big": float(self.ixt_excess[big, :, last].mean()),
            "vgap_out_big": float(self.ity_gap[big, :, -1].mean()),
            "excess_out_big": float(self.ixt_excess[big, :, -1].mean()),
            "beta_curve_last": float(np.median(self.beta_curve[big, :, last])),
            "beta_sc_last": float(np.median(self.beta_sc[big, :, last])),
            "sc_gap_last": float(self.sc_gap[big, :, last].mean()),
            "beta_curve_last_small": float(np.median(self.beta_curve[small, :, last])),
            "beta_sc_last_small": float(np.median(self.beta_sc[small, :, last])),
        }


def _compute(config: Config, checkpoint) -> Result:
    from ..datasets import noisy_labels, tishby_12bit
    from ..estimators import plugin_entropy

    sweep = training_size.run(config.sweep)
    bound = ib_bound.run(config.bound)
    _, y = tishby_12bit()
    p_noisy = noisy_labels(y, config.bound.epsilon)
    cells = sweep.cells  # (n_sizes, n_networks, n_layers, n_samples)
    i_xt = plugin_entropy(cells)
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
