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
- the *decoder* half of the self-consistent equations (:func:`decoder_divergence`): for every cell t of the
  binned layer, the network's own decoder — its softmax output p̂(y|x) averaged over the inputs in t, which is
  what the network predicts for Y from that cell — against the IB decoder of the same encoder,
  p(y|t) = Σ_x p(y|x) p(x|t) with the noisy labels of the bound; their Jensen-Shannon divergence in bits,
  averaged over the cells with weights p(t). (The empirical label frequency of a cell would not do: with the
  bound's p(y|x) it *is* the IB decoder, so the distance would be zero by construction.)
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
    "decoder_divergence",
    "noisy_label_information",
    "run",
]


def decoder_divergence(cells, p_model, p_y_given_x) -> np.ndarray:
    """E_t JS[p(y|t) ‖ p̂(y|t)] in bits: the IB decoder of a layer's encoder against the network's own decoder.

    For a deterministic layer whose inputs (uniform p(x)) fall into the cells ``cells``, the IB decoder of that
    encoder is p(y|t) = Σ_x p(y|x) p(x|t), the mean of ``p_y_given_x`` over the inputs of cell t
    (Tishby, Pereira & Bialek 1999, the third self-consistent equation); the network's decoder p̂(y|t) is the
    mean of its own output ``p_model`` over the same inputs. The Jensen-Shannon divergence (bits, in [0, 1]
    for two labels; finite even where the network's output saturates at 0 or 1, unlike the KL divergence) of
    the two is averaged over the cells with weights p(t).

    Parameters
    ----------
    cells : int array (..., n_samples) -- cell of every input (any labels)
    p_model : (..., n_samples, n_classes) -- the network's output distribution on every input
    p_y_given_x : (n_samples, n_classes) -- the labels' distribution (rows sum to 1), the same for every leading index

    Returns
    -------
    ndarray of shape ``cells.shape[:-1]``, bits; 0 exactly when the two decoders agree on every cell.

    Raises
    ------
    ValueError
        On mismatched shapes.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> float(decoder_divergence(np.array([0, 1]), p, p))  # the network predicts what the labels say
    0.0
    >>> round(float(decoder_divergence(np.array([0, 1]), np.full((2, 2), 0.5), p)), 3)  # it does not know
    0.311
    """
    cells = np.asarray(cells)
    p_model = np.asarray(p_model, dtype=np.float64)
    p_yx = np.asarray(p_y_given_x, dtype=np.float64)
    if p_model.shape[:-1] != cells.shape or p_yx.shape != (cells.shape[-1], p_model.shape[-1]):
        raise ValueError(f"cells {cells.shape}, p_model {p_model.shape} and p_y_given_x {p_yx.shape} do not match: "
                         "expected (..., n), (..., n, k) and (n, k)")
    lead, n, k = cells.shape[:-1], cells.shape[-1], p_model.shape[-1]
    flat_cells = cells.reshape(-1, n)
    flat_model = p_model.reshape(-1, n, k)
    out = np.empty(flat_cells.shape[0])

    def h(p):  # entropy of each row, bits
        with np.errstate(divide="ignore", invalid="ignore"):
            return -np.sum(np.where(p > 0, p * np.log2(p), 0.0), axis=-1)

    for i, (c, q) in enumerate(zip(flat_cells, flat_model, strict=True)):
        _, t = np.unique(c, return_inverse=True)
        count = np.bincount(t).astype(np.float64)
        net = np.stack([np.bincount(t, q[:, j]) for j in range(k)], 1) / count[:, None]
        ib = np.stack([np.bincount(t, p_yx[:, j]) for j in range(k)], 1) / count[:, None]
        js = h(0.5 * (net + ib)) - 0.5 * (h(net) + h(ib))
        out[i] = float(np.sum(count / n * np.maximum(js, 0.0)))
    return out.reshape(lead)

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
#: The final layers of chapter 3's equal-steps control (:data:`training_size.PRESETS` ``["equal-steps"]``).
PRESETS["equal-steps"] = Config(sweep=training_size.PRESETS["equal-steps"], bound=ib_bound.PRESETS["paper"])


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
    decoder_js : (n_sizes, n_networks, n_layers), bits -- E_t JS[IB decoder of the layer's encoder || the
        network's own decoder] (:func:`decoder_divergence`); NaN when the sweep kept no outputs
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
    decoder_js: np.ndarray
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
        The decoder half (:attr:`decoder_js`, bits): mean over networks ``dec_js_last`` (largest set, last hidden
        layer), with its smallest and largest network ``dec_js_last_min`` / ``dec_js_last_max`` and standard
        deviation ``dec_js_last_sd``; ``dec_js_out`` (output), ``dec_js_first`` (first layer), ``dec_js_last_small``
        (smallest set); ``dec_js_worst`` the largest mean over layers (largest set) and ``dec_js_worst_layer``
        (1-based).
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
            "dec_js_last": float(self.decoder_js[big, :, last].mean()),
            "dec_js_last_min": float(self.decoder_js[big, :, last].min()),
            "dec_js_last_max": float(self.decoder_js[big, :, last].max()),
            "dec_js_last_sd": float(self.decoder_js[big, :, last].std(ddof=1)) if self.decoder_js.shape[1] > 1
            else float("nan"),
            "dec_js_out": float(self.decoder_js[big, :, -1].mean()),
            "dec_js_first": float(self.decoder_js[big, :, 0].mean()),
            "dec_js_last_small": float(self.decoder_js[small, :, last].mean()),
            "dec_js_worst": float(self.decoder_js[big].mean(axis=0).max()),
            "dec_js_worst_layer": int(self.decoder_js[big].mean(axis=0).argmax()) + 1,
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
    if sweep.output_prob is None:
        decoder_js = np.full(cells.shape[:-1], np.nan)
    else:  # the same network's output for every layer of it
        outputs = np.broadcast_to(sweep.output_prob[:, :, None], (*cells.shape, sweep.output_prob.shape[-1]))
        decoder_js = decoder_divergence(cells, outputs, p_noisy)
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
        decoder_js=decoder_js,
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
