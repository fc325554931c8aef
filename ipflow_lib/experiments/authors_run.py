"""The authors' own run, rerun: the configuration of the authors' released 12-bit result files, beside their values.

The authors released the saved results of one 12-bit run (IDNNs repository; ``/work/shared/REFERENCE.md``,
"The authors' released result files"): 20 networks 12-10-7-5-4-4-3-2 (hidden widths 10-7-5-4-4-3, tanh, a
softmax output of 2 units), full-batch Adam with learning rate 2·10⁻⁴, 100 % of the 4096 inputs for training,
50 bins on [−1, 1], 10 000 epochs measured at the 964 logged epochs of their code. The ``paper`` preset is
that configuration; it is trained and measured by the information-plane computation
(:func:`ipflow_lib.experiments.information_plane.compute`), cached under this experiment's own name.

The authors' saved values are reference *data* (:data:`AUTHORS_I_XT`, :data:`AUTHORS_I_TY`,
:data:`AUTHORS_ONSET`): the mean over their 20 networks at logged epoch 9998, layers from the first hidden one
to the output, and the epoch of the peak of the mean I(X;T) (the compression onset) of the last four layers.
:meth:`Result.rows` and :meth:`Result.table` put ours beside theirs, with the differences ours − theirs.

=================  ==============================  =======================================
setting            ``paper`` (the released files)   ``quick`` (minutes, 2 cores)
=================  ==============================  =======================================
networks           20                               4
epochs             10 000 (964 logged)              1500 (240 logged points)
time, 2 cores      about 5 min (estimated)          about 15 s (measured)
=================  ==============================  =======================================

The ``paper`` time is an estimate, not a measured run: short runs of the paper configuration on a shared
2-core machine took about 25 ms per epoch of training (20 networks, full batch) and 35 ms per logged epoch
(binning 7 layers of 20 networks), i.e. 10 000 × 25 ms + 964 × 35 ms ≈ 4.7 min.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..ensembles import TrainingSpec
from ._common import RunInfo, cached_run, select_config
from .information_plane import Config as PlaneConfig
from .information_plane import Result as PlaneResult
from .information_plane import compute as plane_compute

__all__ = ["AUTHORS_I_TY", "AUTHORS_I_XT", "AUTHORS_ONSET", "AUTHORS_TRAINING", "Config", "PRESETS", "ROW_HEADER",
           "Result", "run"]

#: The authors' saved run: final mean I(X;T), bits, first hidden layer to output (REFERENCE.md, released files).
AUTHORS_I_XT = (12.00, 11.98, 11.23, 5.79, 2.79, 1.50, 1.05)
#: The authors' saved run: final mean I(T;Y), bits, first hidden layer to output.
AUTHORS_I_TY = (0.999, 0.999, 0.999, 0.994, 0.982, 0.978, 0.978)
#: The authors' saved run: epoch of the peak of the mean I(X;T) (compression onset); NaN where not reported
#: (the first three layers, which stay near 12 bits). The values are "about" these (read from the saved curves).
AUTHORS_ONSET = (float("nan"), float("nan"), float("nan"), 452.0, 446.0, 441.0, 533.0)

#: The training of the released files: 20 networks, hidden 10-7-5-4-4-3, tanh, full-batch Adam 2·10⁻⁴, 10 000
#: epochs at the 964 logged epochs (1800 log-spaced points).
AUTHORS_TRAINING = TrainingSpec(hidden_widths=(10, 7, 5, 4, 4, 3), activation="tanh", optimizer="adam",
                                learning_rate=2e-4, batch_size=None, n_epochs=10_000, n_logged_points=1800,
                                n_networks=20)

#: Column titles of :meth:`Result.rows` / :meth:`Result.table`.
ROW_HEADER = ("layer", "I(X;T) ours", "I(X;T) authors", "I(X;T) diff", "I(T;Y) ours", "I(T;Y) authors",
              "I(T;Y) diff", "onset ours", "onset authors", "onset diff")


@dataclasses.dataclass(frozen=True)
class Config(PlaneConfig):
    """The information-plane settings (:class:`ipflow_lib.experiments.information_plane.Config`) with the
    defaults of the authors' released result files: ``training`` = :data:`AUTHORS_TRAINING`,
    ``train_fraction`` = 1.0 (every input is a training input; the test set, as in the authors' code, then
    overlaps it), ``n_bins`` = 50."""

    training: TrainingSpec = AUTHORS_TRAINING
    train_fraction: float = 1.0
    n_bins: int = 50


PRESETS = {
    "paper": Config(),
    "quick": Config(training=dataclasses.replace(AUTHORS_TRAINING, n_networks=4, n_epochs=1500, n_logged_points=240)),
}


def _fmt(x: float, digits: int) -> str:
    return "—" if not np.isfinite(x) else f"{x:.{digits}f}"


@dataclasses.dataclass
class Result:
    """The rerun of the authors' configuration and the comparison with their saved values.

    Attributes
    ----------
    config : Config
    plane : :class:`ipflow_lib.experiments.information_plane.Result` -- the trajectories (``i_xt``, ``i_ty``
        (n_networks, n_logged, n_layers) bits, accuracies, gradients) of the rerun
    info : RunInfo -- preset, compute time, cache provenance
    """

    config: Config
    plane: PlaneResult
    info: RunInfo | None = None

    def ours(self) -> dict[str, np.ndarray]:
        """Our numbers per layer (first hidden to output), of the mean over networks: ``i_xt`` and ``i_ty`` at the
        last logged epoch (bits), ``onset`` the logged epoch of the peak of the mean I(X;T) (NaN where the
        authors report none, :data:`AUTHORS_ONSET`). Each (n_layers,) float.

        Raises
        ------
        ValueError
            If the run does not have the authors' 7 layers (a different ``hidden_widths``).
        """
        i_xt, i_ty = self.plane.i_xt.mean(axis=0), self.plane.i_ty.mean(axis=0)  # (n_logged, n_layers)
        if i_xt.shape[1] != len(AUTHORS_I_XT):
            raise ValueError(f"the authors' values are for {len(AUTHORS_I_XT)} layers; this run has {i_xt.shape[1]} "
                             f"(hidden_widths {self.config.training.hidden_widths})")
        peak = np.asarray(self.plane.logged_epochs, dtype=float)[np.argmax(i_xt, axis=0)]
        return {"i_xt": i_xt[-1], "i_ty": i_ty[-1], "onset": np.where(np.isfinite(AUTHORS_ONSET), peak, np.nan)}

    def differences(self) -> dict[str, np.ndarray]:
        """Per layer, ours − theirs: ``i_xt``, ``i_ty`` (bits), ``onset`` (epochs; NaN where they report none)."""
        ours = self.ours()
        theirs = {"i_xt": AUTHORS_I_XT, "i_ty": AUTHORS_I_TY, "onset": AUTHORS_ONSET}
        return {k: ours[k] - np.asarray(theirs[k], dtype=float) for k in ours}

    def rows(self) -> list[tuple[str, ...]]:
        """One row of strings per layer in the order of :data:`ROW_HEADER`: the layer ("L1 (10)"), then for
        I(X;T) (2 decimals), I(T;Y) (3 decimals) and the onset epoch (whole epochs): ours, the authors', ours −
        theirs ("—" where a value is missing)."""
        ours, diff = self.ours(), self.differences()
        theirs = {"i_xt": AUTHORS_I_XT, "i_ty": AUTHORS_I_TY, "onset": AUTHORS_ONSET}
        digits = {"i_xt": 2, "i_ty": 3, "onset": 0}
        names = self.plane.layer_names(units=True)
        out = []
        for k, name in enumerate(names):
            cells = [name]
            for q in ("i_xt", "i_ty", "onset"):
                d = digits[q]
                sign = "+" if np.isfinite(diff[q][k]) and diff[q][k] >= 0 else ""
                cells += [_fmt(ours[q][k], d), _fmt(theirs[q][k], d), sign + _fmt(diff[q][k], d)]
            out.append(tuple(cells))
        return out

    def table(self) -> str:
        """:meth:`rows` as a markdown table with :data:`ROW_HEADER` (bits; epochs; differences ours − theirs)."""
        lines = ["| " + " | ".join(ROW_HEADER) + " |", "|" + "---|" * len(ROW_HEADER)]
        lines += ["| " + " | ".join(r) + " |" for r in self.rows()]
        return "\n".join(lines)

    def summary(self) -> dict[str, float | int | str]:
        """Flat numbers for the scorecard page: settings ``n_networks``, ``n_epochs``, ``n_logged``, ``n_bins``,
        ``train_pct``, ``learning_rate``, ``arch``; the largest absolute differences ours − theirs over the layers,
        ``max_abs_diff_ixt``, ``max_abs_diff_ity`` (bits) and ``max_abs_diff_onset`` (epochs, over the layers with
        an authors' onset; NaN if ours has none there); our onsets' range ``onset_min``, ``onset_max``; and the
        authors' ``reference_onset_min``, ``reference_onset_max``."""
        spec, diff, ours = self.config.training, self.differences(), self.ours()
        onset = ours["onset"][np.isfinite(ours["onset"])]
        theirs = np.asarray(AUTHORS_ONSET)[np.isfinite(AUTHORS_ONSET)]
        return {
            "n_networks": int(self.plane.i_xt.shape[0]),
            "n_epochs": int(spec.n_epochs),
            "n_logged": int(np.size(self.plane.logged_epochs)),
            "n_bins": int(self.config.n_bins),
            "train_pct": float(100 * self.config.train_fraction),
            "learning_rate": float(spec.learning_rate),
            "arch": "-".join(map(str, (12, *self.plane.layer_widths))),
            "max_abs_diff_ixt": float(np.max(np.abs(diff["i_xt"]))),
            "max_abs_diff_ity": float(np.max(np.abs(diff["i_ty"]))),
            "max_abs_diff_onset": float(np.nanmax(np.abs(diff["onset"]))) if onset.size else float("nan"),
            "onset_min": float(onset.min()) if onset.size else float("nan"),
            "onset_max": float(onset.max()) if onset.size else float("nan"),
            "reference_onset_min": float(theirs.min()),
            "reference_onset_max": float(theirs.max()),
        }


def _compute(config: Config, checkpoint) -> Result:
    return Result(config=config, plane=plane_compute(config, checkpoint))


def run(config: Config | None = None) -> Result:
    """Run (or load from the cache, under ``"authors-run"``) the authors' configuration; ``None`` = the current
    preset."""
    config = config or select_config(PRESETS)
    return cached_run("authors-run", config, _compute, PRESETS)
