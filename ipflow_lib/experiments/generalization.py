"""Input compression and generalization (Shwartz-Ziv, Painsky & Tishby; thesis ch. 4) on the 12-bit networks.

For every network of the training-size sweep (:mod:`.training_size`), every layer and every logged epoch,
the input compression bound :func:`ipflow_lib.generalization.input_compression_bound` is evaluated at the
layer's binned I(X;T) and the network's training-set size m, and set against the measured generalization
gap (test error − training error on the inputs outside the training set) and against the classical bound,
which uses H(X) = 12 bits in place of I(X;T). No network is trained here: the sweep is loaded from the cache
(or computed once, and shared with the chapter on training size and depth).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..generalization import classical_bound, input_compression_bound, max_information
from . import training_size
from ._common import RunInfo, cached_run, select_config

__all__ = ["Config", "PRESETS", "Result", "headings", "layer_trend_sentence", "run"]


@dataclasses.dataclass(frozen=True)
class Config:
    """Settings (``paper``: the ``paper`` training-size sweep, δ = 0.05).

    Attributes
    ----------
    sweep : training_size.Config -- the networks
    delta : float in (0, 1) -- the bounds hold with probability 1 − δ
    """

    sweep: training_size.Config = training_size.PRESETS["paper"]
    delta: float = 0.05

    def __post_init__(self):
        if not 0.0 < self.delta < 1.0:
            raise ValueError(f"delta must be in (0, 1), got {self.delta}")


PRESETS = {
    "paper": Config(),
    "quick": Config(sweep=training_size.PRESETS["quick"]),
}


@dataclasses.dataclass
class Result:
    """Bounds and measured gaps across training sizes, networks, logged epochs and layers.

    Attributes
    ----------
    config : Config
    train_fractions : (n_sizes,) ; n_train : (n_sizes,) int -- training-set sizes m
    logged_epochs : (n_logged,) int
    i_xt : (n_sizes, n_networks, n_logged, n_layers), bits -- binned I(X;T) of every layer
    gap : (n_sizes, n_networks, n_logged) -- measured test error − training error (0-1 loss)
    train_error, test_error : (n_sizes, n_networks, n_logged)
    bound : (n_sizes, n_networks, n_logged, n_layers) -- input compression bound at each layer's I(X;T)
    classical : (n_sizes,) -- the bound with H(X) in place of I(X;T)
    h_x : float, bits -- H(X) = log2 4096 = 12
    layer_widths : widths of the layers
    info : RunInfo
    """

    config: Config
    train_fractions: np.ndarray
    n_train: np.ndarray
    logged_epochs: np.ndarray
    i_xt: np.ndarray
    gap: np.ndarray
    train_error: np.ndarray
    test_error: np.ndarray
    bound: np.ndarray
    classical: np.ndarray
    h_x: float
    layer_widths: tuple[int, ...]
    info: RunInfo | None = None

    @property
    def final_bound(self) -> np.ndarray:
        """Bound at the last logged epoch, (n_sizes, n_networks, n_layers)."""
        return self.bound[:, :, -1]

    @property
    def final_gap(self) -> np.ndarray:
        """Measured gap at the last logged epoch, (n_sizes, n_networks)."""
        return self.gap[:, :, -1]

    def violations(self, at_end: bool = False) -> np.ndarray:
        """Fraction of networks (and logged epochs) where the measured gap exceeds the bound, (n_sizes, n_layers).

        ``at_end``: at the last logged epoch only; otherwise over all (network, logged epoch) pairs.
        """
        if at_end:
            return (self.final_gap[..., None] > self.final_bound).mean(axis=1)
        return (self.gap[..., None] > self.bound).mean(axis=(1, 2))

    def layer_names(self) -> list[str]:
        """Labels of the layers: ``["L1 (10 units)", ...]``."""
        return [f"L{k + 1} ({w} units)" for k, w in enumerate(self.layer_widths)]

    def shown_layers(self) -> list[int]:
        """The layers the chapter draws: the first, the fourth (if any) and the last hidden layer and the output."""
        last = len(self.layer_widths) - 2
        return sorted({0, min(3, last), last, last + 1})

    def size_title(self, s: int) -> str:
        """Title of training size ``s``: "85 % of the data (m = 3482)"."""
        return f"{100 * self.train_fractions[s]:g} % of the data (m = {self.n_train[s]})"

    def size_table(self) -> str:
        """One line per training size at the end of training (mean over networks): the measured gap, the bound
        of the last hidden layer and the classical bound."""
        last = len(self.layer_widths) - 2
        gap, bound = self.final_gap.mean(axis=1), self.final_bound[:, :, last].mean(axis=1)
        return "\n".join(
            f"{100 * f:4g} % (m = {m:4d}): measured gap {g:.4f}; bound, last hidden layer {b:.3f}; classical {c:.3f}"
            for f, m, g, b, c in zip(self.train_fractions, self.n_train, gap, bound, self.classical, strict=True)
        )

    def violation_table(self) -> str:
        """Per training size, the % of networks whose final gap exceeds the bound of each layer."""
        rows = [f"{100 * f:4g} %: {np.round(100 * v, 0)}"
                for f, v in zip(self.train_fractions, self.violations(at_end=True), strict=True)]
        return "\n".join(["networks whose final gap exceeds the bound of each layer [%]:", *rows])

    def summary(self) -> dict[str, float | int | str]:
        """The numbers and phrases chapter 4 quotes (flat), keyed by their glue names.

        ``*_big`` / ``*_small``: the largest / smallest training set; ``last``: the last hidden layer; ``l4``:
        the layer before it (4 units); ``out``: the softmax output; means over networks at the last logged
        epoch. Bounds: ``delta``, ``m_min``, ``m_max``, ``classical_m_max``, ``classical_m_min``,
        ``max_info_005`` (the largest I(X;T) whose bound is ≤ 0.05 with ``m_max`` examples, bits).
        Measured: ``gap_*``, ``bound_*``, ``ratio_big`` (bound / gap), ``ixt_last_*`` (bits),
        ``bound_first_big``, ``classical_ratio_big``, ``bound_out_big``, ``ratio_out_big``, ``corr``
        (correlation of log bound and log gap of the last hidden layer across sizes). Violations, % of networks
        (:meth:`violations`): ``viol_last_worst`` and ``viol_out_worst`` at the size ``viol_worst_pct`` where
        the last hidden layer's fails most, ``viol_last_big``, ``viol_out_big``, ``viol_l4_max``,
        ``viol_any_epoch`` (output, over all logged epochs). Phrases: ``l4_sentence``
        (:func:`layer_trend_sentence`) and the bold headings of :func:`headings` (its ``violation_pct``: the
        largest violation of the last hidden layer's or the output's bound over training sizes).
        """
        delta = float(self.config.delta)
        m = self.n_train
        big, small = int(np.argmax(self.train_fractions)), int(np.argmin(self.train_fractions))
        last = len(self.layer_widths) - 2
        gap, bound = self.final_gap.mean(axis=1), self.final_bound[:, :, last].mean(axis=1)
        violations = 100 * self.violations(at_end=True)  # % of networks, (n_sizes, n_layers)
        worst = int(np.argmax(violations[:, last]))
        bound_out_big = float(self.final_bound[big, :, -1].mean())
        l4 = self.final_bound[:, :, last - 1].mean(axis=1)
        l4_ixt = self.i_xt[:, :, -1, last - 1].mean(axis=1)
        out = {
            "delta": delta,
            "m_max": int(m.max()),
            "m_min": int(m.min()),
            "classical_m_max": float(classical_bound(self.h_x, m.max(), delta)),
            "classical_m_min": float(classical_bound(self.h_x, m.min(), delta)),
            "max_info_005": float(max_information(0.05, m.max(), delta)),
            "n_sizes": int(self.train_fractions.size),
            "n_networks": int(self.gap.shape[1]),
            "gap_big": float(gap[big]),
            "gap_small": float(gap[small]),
            "bound_big": float(bound[big]),
            "bound_small": float(bound[small]),
            "ratio_big": float(bound[big] / max(gap[big], 1e-12)),
            "ixt_last_big": float(self.i_xt[big, :, -1, last].mean()),
            "ixt_last_small": float(self.i_xt[small, :, -1, last].mean()),
            "bound_first_big": float(self.final_bound[big, :, 0].mean()),
            "classical_ratio_big": float(self.classical[big] / max(gap[big], 1e-12)),
            "viol_last_worst": float(violations[worst, last]),
            "viol_out_worst": float(violations[worst, -1]),
            "viol_worst_pct": float(100 * self.train_fractions[worst]),
            "viol_last_big": float(violations[big, last]),
            "viol_out_big": float(violations[big, -1]),
            "viol_l4_max": float(violations[:, last - 1].max()),
            "viol_any_epoch": float(100 * self.violations()[:, -1].max()),
            "bound_out_big": bound_out_big,
            "ratio_out_big": float(bound_out_big / max(gap[big], 1e-12)),
            "corr": float(np.corrcoef(np.log(bound), np.log(np.maximum(gap, 1e-6)))[0, 1]),
            "l4_sentence": layer_trend_sentence(l4, l4_ixt),
        }
        out.update(headings(classical_ratio=out["classical_ratio_big"], bound=out["bound_big"], corr=out["corr"],
                            violation_pct=float(violations[:, last:].max()), delta=delta))
        return out


def layer_trend_sentence(bounds, i_xt, layer: str = "the 4-unit layer") -> str:
    """How the final bound of one layer moves with the number of examples, as a sentence for chapter 4.

    Parameters
    ----------
    bounds : (n_sizes,) the layer's bound (mean over networks), in the order of increasing m
    i_xt : (n_sizes,) bits -- the layer's final I(X;T) (mean over networks)
    layer : how the sentence names the layer

    Returns
    -------
    str -- "The bound of <layer> falls with the number of examples too (…)." when it never rises; otherwise
    "Not for every layer: as m grows, the bound of <layer> rises (…)" ("does not fall steadily" when it rises
    only in places), with the reason — more bits about the input — when I(X;T) grows with m.
    """
    bounds, i_xt = np.asarray(bounds, dtype=float), np.asarray(i_xt, dtype=float)
    if bounds.ndim != 1 or bounds.shape != i_xt.shape or bounds.size < 1:
        raise ValueError(f"bounds and i_xt must have the same shape (n_sizes,), got {bounds.shape}, {i_xt.shape}")
    listed = ", ".join(f"{b:.3f}" for b in bounds)
    if not np.any(np.diff(bounds) > 0):
        return f"The bound of {layer} falls with the number of examples too ({listed})."
    trend = "rises" if np.all(np.diff(bounds) > 0) else "does not fall steadily"
    why = (f": more data leaves that layer more bits about the input ({i_xt[0]:.2f} bits with the least, "
           f"{i_xt[-1]:.2f} with the most), and the 2^I(X;T) of the bound can grow faster than m"
           if i_xt[-1] > i_xt[0] else "")
    return f"Not for every layer: as m grows, the bound of {layer} {trend} ({listed}){why}."


def headings(*, classical_ratio: float, bound: float, corr: float, violation_pct: float, delta: float) -> dict:
    """The bold verdicts of chapter 4's list, chosen by the numbers they head.

    Parameters
    ----------
    classical_ratio : classical bound / measured gap with the most data
    bound : the last hidden layer's input compression bound with the most data
    corr : correlation, across training sizes, of the log bound and the log measured gap
    violation_pct : the largest % of networks, over training sizes and the compressed layers (the last hidden
        layer and the output), whose final gap exceeds the layer's bound
    delta : the bound's failure probability; more than 100·δ % violations contradict a valid bound

    Returns
    -------
    dict of str: ``heading_classical`` ("The classical bound is useless here" when it is ≥ 10 times the gap,
    else "The classical bound is loose"), ``heading_compression`` ("Compression makes the bound informative"
    when the bound is below 1, else "Even compression leaves the bound vacuous"), ``heading_trend`` ("The trend
    is right" for a positive correlation, else "The trend is wrong"), ``heading_violations`` ("But the
    compressed layers violate it" above 100·δ %, else "And the compressed layers respect it").
    """
    return {
        "heading_classical": "The classical bound is useless here" if classical_ratio >= 10
        else "The classical bound is loose",
        "heading_compression": "Compression makes the bound informative" if bound < 1
        else "Even compression leaves the bound vacuous",
        "heading_trend": "The trend is right" if corr > 0 else "The trend is wrong",
        "heading_violations": "But the compressed layers violate it" if violation_pct > 100 * delta
        else "And the compressed layers respect it",
    }


def _compute(config: Config, checkpoint) -> Result:
    sweep = training_size.run(config.sweep)
    m = sweep.n_train.astype(np.float64)
    return Result(
        config=config,
        train_fractions=sweep.train_fractions,
        n_train=sweep.n_train,
        logged_epochs=sweep.logged_epochs,
        i_xt=sweep.i_xt,
        gap=sweep.generalization_gap,
        train_error=1.0 - sweep.train_acc,
        test_error=1.0 - sweep.test_acc,
        bound=input_compression_bound(np.clip(sweep.i_xt, 0.0, None), m[:, None, None, None], config.delta),
        classical=classical_bound(sweep.h_x, m, config.delta),
        h_x=sweep.h_x,
        layer_widths=sweep.layer_widths,
    )


def run(config: Config | None = None) -> Result:
    """Run (or load from the cache) the generalization-bound evaluation; ``None`` = the current preset."""
    config = config or select_config(PRESETS)
    return cached_run("generalization", config, _compute, PRESETS)
