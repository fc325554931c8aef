"""Saxe et al. (2018), the deep linear networks: generalisation without compression, and compression of the
task-irrelevant inputs while the relevant ones are fitted.

Chapter 5, section 5.1. Deep linear students are trained on linear teachers with Gaussian inputs
(:mod:`ipflow_lib.linear`) and every hidden layer is read through the Gaussian channel T = Mx + N(0, σ² I), whose
I(X;T), I(T;Y), I(T;X_rel) and I(T;X_irrel) are exact (closed form from the weights). Three runs:

* ``generalization`` (Saxe et al. Sec. 3, Fig. 4): all 100 inputs relevant, P = N_i = 100 samples with label noise
  σ₀² = 1 (the regime where Advani & Saxe 2017 find the strongest overfitting), full-batch gradient descent
  (learning rate 0.25: as the overfitting weights grow, so does the curvature, and larger steps leave the
  stable range late in training);
* ``subspace-gd`` and ``subspace-sgd`` (Sec. 5, Fig. 7): the teacher reads 30 of the 100 inputs; full-batch
  gradient descent, and SGD on mini-batches with the learning rate scaled by B/P (the same step per sample).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..linear import LinearRun, LinearSpec
from ..trajectories import compression
from ._common import Checkpoint, RunInfo, cached_run, select_config

__all__ = ["FIT_FRACTION", "Config", "PRESETS", "Result", "fit_epoch", "peak_epoch", "run"]

#: Share of its total fall the training error has made at the "fitted" epoch of the subspace runs.
FIT_FRACTION = 0.9

GENERALIZATION = LinearSpec(n_networks=20, n_epochs=5000, n_logged_points=60, learning_rate=0.25,
                            teacher_noise_var=1.0, n_train=100, mi_noise_var=1e-3)
SUBSPACE = LinearSpec(n_networks=20, n_epochs=1000, n_logged_points=60, learning_rate=2.0, n_relevant=30,
                      teacher_noise_var=0.01, n_train=200, mi_noise_var=1e-3)


@dataclasses.dataclass(frozen=True)
class Config:
    """Settings of the linear-network runs.

    Attributes
    ----------
    generalization : :class:`ipflow_lib.linear.LinearSpec` of the overfitting run (every input relevant)
    subspace : LinearSpec of the relevant / irrelevant runs (full batch; the SGD run replaces its batch size and
        learning rate)
    sgd_batch_size : B of the SGD run; its learning rate is ``subspace.learning_rate · B / P``

    Raises
    ------
    TypeError
        A spec that is not a LinearSpec. ValueError: a subspace spec without irrelevant inputs, a batch size
        outside [1, P).
    """

    generalization: LinearSpec = GENERALIZATION
    subspace: LinearSpec = SUBSPACE
    sgd_batch_size: int = 20

    def __post_init__(self):
        for name in ("generalization", "subspace"):
            if not isinstance(getattr(self, name), LinearSpec):
                raise TypeError(f"{name} must be a LinearSpec, got {type(getattr(self, name)).__name__}")
        if self.subspace.n_relevant is None or self.subspace.n_relevant >= self.subspace.n_inputs:
            raise ValueError("subspace.n_relevant must leave some inputs irrelevant")
        if not 1 <= self.sgd_batch_size < self.subspace.n_train:
            raise ValueError(f"sgd_batch_size must be in [1, {self.subspace.n_train}), got {self.sgd_batch_size}")

    def specs(self) -> dict[str, LinearSpec]:
        """The three runs by name."""
        sub = self.subspace.replace(batch_size=None)
        sgd = sub.replace(batch_size=self.sgd_batch_size,
                          learning_rate=sub.learning_rate * self.sgd_batch_size / sub.n_train)
        return {"generalization": self.generalization, "subspace-gd": sub, "subspace-sgd": sgd}


PRESETS = {
    "paper": Config(),
    "quick": Config(generalization=GENERALIZATION.replace(n_networks=4, n_epochs=1000, n_logged_points=30),
                    subspace=SUBSPACE.replace(n_networks=4, n_epochs=300, n_logged_points=30)),
}


def peak_epoch(values, epochs) -> float:
    """The logged epoch of the maximum of ``values`` (n_logged,)."""
    return float(np.asarray(epochs)[int(np.argmax(values))])


def fit_epoch(train_error, epochs, fraction: float = FIT_FRACTION) -> float:
    """First logged epoch at which the (mean) training error has made ``fraction`` of its fall from the first to
    the last logged epoch. ``train_error``: (n_logged,)."""
    e = np.asarray(train_error, dtype=float)
    progress = (e[0] - e) / max(e[0] - e[-1], 1e-300)
    return float(np.asarray(epochs)[int(np.argmax(progress >= fraction))])


@dataclasses.dataclass
class Result:
    """The three runs' logged curves (:class:`ipflow_lib.linear.LinearRun`, arrays (n_networks, n_logged[,
    n_hidden_layers]), information in bits); ``runs`` keyed by :meth:`Config.specs` names."""

    config: Config
    runs: dict[str, LinearRun]
    info: RunInfo | None = None

    def summary(self) -> dict[str, float | int | str]:
        """Headline numbers of section 5.1 for ``myst_nb.glue`` (means over networks, bits, epochs).

        ``gen_*``: sizes of the generalisation run; test error at the start, at its minimum (``_min`` and
        ``_min_epoch``) and at the end, ``gen_overfit`` (final minus minimal test error); I(X;T) at the best
        test error and at the end, ``gen_ixt_comp`` (largest fall of a hidden layer's mean I(X;T) from its peak,
        :func:`ipflow_lib.trajectories.compression`), I(T;Y) at its peak (and when) and at the end.
        ``gd_*`` / ``sgd_*``: of the subspace runs, I(T;X_irrel) peak, its epoch, final value and fall
        (``_irr_comp``), I(T;X_rel) final value and fall, I(X;T) fall, the fitted epoch (:func:`fit_epoch`), the
        final test error and the optimiser steps; sizes of the subspace task and ``fit_percent`` (:data:`FIT_FRACTION`
        in per cent).
        """
        gen, cfg = self.runs["generalization"], self.config
        spec = cfg.generalization
        ep = gen.logged_epochs
        test = gen.test_error.mean(0)
        best = int(np.argmin(test))
        ixt = gen.i_xt.mean(0)[:, 0]
        ity = gen.i_ty.mean(0)[:, 0]
        out: dict[str, float | int | str] = {
            "gen_n_networks": spec.n_networks, "gen_n_inputs": spec.n_inputs, "gen_n_hidden": spec.n_hidden,
            "gen_n_train": spec.n_train, "gen_noise_var": spec.teacher_noise_var, "mi_noise_var": spec.mi_noise_var,
            "gen_n_epochs": spec.n_epochs, "gen_lr": spec.learning_rate, "gen_init_std": spec.init_std,
            "gen_test_initial": float(test[0]), "gen_test_min": float(test[best]), "gen_test_min_epoch": int(ep[best]),
            "gen_test_final": float(test[-1]), "gen_overfit": float(test[-1] - test[best]),
            "gen_train_final": float(gen.train_error.mean(0)[-1]),
            "gen_ixt_at_best": float(ixt[best]), "gen_ixt_final": float(ixt[-1]),
            "gen_ixt_comp": float(compression(gen.i_xt.mean(0), axis=0).max()),
            "gen_ity_peak": float(ity.max()), "gen_ity_peak_epoch": int(peak_epoch(ity, ep)),
            "gen_ity_final": float(ity[-1]),
        }
        sub = cfg.specs()["subspace-sgd"]
        out.update(sub_n_inputs=sub.n_inputs, sub_n_relevant=int(sub.n_relevant), sub_n_train=sub.n_train,
                   sub_noise_var=sub.teacher_noise_var, sub_n_epochs=sub.n_epochs, sub_n_networks=sub.n_networks,
                   sgd_batch=int(sub.batch_size), sgd_lr=float(sub.learning_rate),
                   gd_lr=float(cfg.subspace.learning_rate), fit_percent=100 * FIT_FRACTION)
        for key, name in (("gd", "subspace-gd"), ("sgd", "subspace-sgd")):
            r = self.runs[name]
            irr, rel = r.i_t_irr.mean(0)[:, 0], r.i_t_rel.mean(0)[:, 0]
            out.update({
                f"{key}_irr_peak": float(irr.max()), f"{key}_irr_peak_epoch": int(peak_epoch(irr, r.logged_epochs)),
                f"{key}_irr_final": float(irr[-1]), f"{key}_irr_comp": float(irr.max() - irr[-1]),
                f"{key}_rel_final": float(rel[-1]), f"{key}_rel_comp": float(rel.max() - rel[-1]),
                f"{key}_ixt_comp": float(compression(r.i_xt.mean(0), axis=0).max()),
                f"{key}_ixt_final": float(r.i_xt.mean(0)[-1, 0]),
                f"{key}_fit_epoch": int(fit_epoch(r.train_error.mean(0), r.logged_epochs)),
                f"{key}_test_final": float(r.test_error.mean(0)[-1]), f"{key}_steps": int(r.steps),
            })
        return out


def _compute(config: Config, checkpoint: Checkpoint) -> Result:
    from ..linear import train_linear

    runs = {}
    for name, spec in config.specs().items():
        run_ = train_linear(spec)
        runs[name] = dataclasses.replace(run_, final_weights=[])  # the curves are the result
    return Result(config=config, runs=runs)


def run(config: Config | None = None) -> Result:
    """Run (or load from the cache) the three linear-network runs; ``config`` defaults to the preset's."""
    config = config or select_config(PRESETS)
    return cached_run("linear-networks", config, _compute, PRESETS)
