"""Noisy networks (Goldfeld et al., ICML 2019): is compression of a meaningful I(X;T) clustering?

In a deterministic network I(X;T) of a discrete input is the constant H(X), so what binning calls compression
must be something else. Goldfeld et al. add noise N(0, β² I) to every hidden unit, in training and in
measurement, so that T_ℓ = f_ℓ(T_ℓ₋₁) + Z_ℓ and I(X;T_ℓ) is finite, meaningful and estimable, and argue
that its compression is the *clustering* of the representations at the scale β. This experiment trains
noisy 12-bit networks (:class:`ipflow_lib.ensembles.TrainingSpec` with ``hidden_noise_std = β``) and, at
each logged epoch and hidden layer, measures

- **I(X;T_ℓ) by sample propagation** (:func:`ipflow_lib.estimators.sample_propagation_mi`): the centres of
  h(T_ℓ) are S_ℓ = f_ℓ(T_ℓ₋₁) of one noisy pass of every input (the noise of layers 1..ℓ−1 propagated), the
  centres of h(T_ℓ | X = x) those of ``n_replicas`` noisy passes of each of ``n_conditional_inputs`` inputs;
  with its Monte Carlo standard error;
- **clustering**: the fraction of pairs of distinct inputs whose noise-free representations (the trained noisy
  network run without noise) lie within ``cluster_radius`` · β of each other; at 2β two noisy copies overlap
  (Bhattacharyya coefficient above e^(-1/2)), so a rising fraction is the clustering that makes noisy I(X;T)
  fall; over ``n_cluster_inputs`` inputs (a fixed random subset);
- **binned I(X;T)** of the same noise-free representations (30 bins on [-1, 1], SZT17), the estimate of the
  earlier chapters;

and the **single tanh neuron** of their Sec. 4: T = tanh(wX + b) + Z with X uniform on four points, whose
I(X;T) (1-d quadrature, :func:`single_neuron_information`) first rises with w, as the points separate beyond
the noise, then falls as tanh saturates and the points merge into two clusters.

Settings (``paper`` preset) from the authors' released 12-bit code (Greenewald et al., ``kgreenewald/smoothMI``):
12-10-7-5-4-3-2 tanh, β = 0.005, Adam 4·10⁻⁴, mini-batches of 256, 10 000 epochs, log-spaced
measured epochs (theirs: 100 points), loss and accuracy measured without noise. Deviations (time budget of a
2-core machine): 6 networks (theirs: one run), 37 logged epochs (theirs: about 100), 32 noisy replicas of 64
inputs for h(T|X) (theirs: 100 of every input), one replica of every input as the centres of h(T) (theirs:
100), 512 Monte Carlo points per h(T) and 128 per h(T|X=x) (theirs: 1000 per centre), the library's
truncated-normal initialisation and 85 % training sets (theirs: PyTorch's default and the SZT data split).
"""

from __future__ import annotations

import dataclasses
import math
import threading

import numpy as np

from ..datasets import tishby_12bit, train_test_masks
from ..ensembles import TrainingSpec
from ..runtime import TrainingStopped
from ..trajectories import bootstrap_interval, compression, spearman
from ._common import Checkpoint, RunInfo, cached_run, select_config
from ._sweep import check_training, run_resumable

__all__ = ["Config", "PRESETS", "Result", "clustered_fraction", "propagate_samples", "run",
           "single_neuron_information"]

PAPER_TRAINING = TrainingSpec(hidden_noise_std=0.005, batch_size=256, n_networks=6, n_logged_points=40)


@dataclasses.dataclass(frozen=True)
class Config:
    """Settings of the noisy-network experiment (``paper``: the authors' 12-bit settings, fewer samples).

    Attributes
    ----------
    training : :class:`ipflow_lib.ensembles.TrainingSpec` with ``hidden_noise_std`` = β > 0
    train_fraction : fraction of the inputs in each network's training set
    n_bins : bins on [-1, 1] of the binned estimate
    n_mc : Monte Carlo points of ĥ(T_ℓ); n_mc_conditional : of each ĥ(T_ℓ | X = x)
    n_conditional_inputs : inputs (a fixed random subset) whose ĥ(T_ℓ | X = x) is averaged
    n_replicas : noisy passes of each of them (the centres of h(T_ℓ | X = x))
    n_cluster_inputs : inputs (a fixed random subset) whose pairs the clustering measure counts
    cluster_radius : pairs closer than this many β count as clustered
    neuron_inputs : the four inputs of the single neuron (X uniform on them); neuron_bias : its b
    neuron_beta : its noise standard deviation; neuron_weights : the weights w of its curve
    n_bootstrap : resamples of the networks for the intervals
    measure_seed : seed of the measurement noise and of the input subsets
    n_calls : trainer calls (threads, one per core); part of the key since float order may differ
    """

    training: TrainingSpec = PAPER_TRAINING
    train_fraction: float = 0.85
    n_bins: int = 30
    n_mc: int = 512
    n_mc_conditional: int = 128
    n_conditional_inputs: int = 64
    n_replicas: int = 32
    n_cluster_inputs: int = 512
    cluster_radius: float = 2.0
    neuron_inputs: tuple[float, ...] = (-3.0, -1.0, 1.0, 3.0)
    neuron_bias: float = 0.0
    neuron_beta: float = 0.05
    neuron_weights: tuple[float, ...] = tuple(np.round(np.logspace(-2, 1.5, 71), 6).tolist())
    n_bootstrap: int = 200
    measure_seed: int = 0
    n_calls: int = 2

    def __post_init__(self):
        check_training(self.training, self.n_bins, self.train_fraction)
        if not self.training.hidden_noise_std > 0:
            raise ValueError("training.hidden_noise_std (β) must be > 0 for a noisy network, got "
                             f"{self.training.hidden_noise_std!r}")
        for name in ("n_mc", "n_mc_conditional", "n_conditional_inputs", "n_replicas", "n_cluster_inputs"):
            if int(getattr(self, name)) != getattr(self, name) or getattr(self, name) < 2:
                raise ValueError(f"{name} must be an integer ≥ 2, got {getattr(self, name)!r}")
        if not self.cluster_radius > 0 or not self.neuron_beta > 0:
            raise ValueError("cluster_radius and neuron_beta must be > 0")
        if len(self.neuron_inputs) < 2 or len(self.neuron_weights) < 3:
            raise ValueError("need at least 2 neuron_inputs and 3 neuron_weights")
        if self.n_bootstrap < 0 or self.n_calls < 1:
            raise ValueError("n_bootstrap must be ≥ 0 and n_calls ≥ 1")

    @property
    def beta(self) -> float:
        """β, the standard deviation of the hidden noise."""
        return float(self.training.hidden_noise_std)


PRESETS = {
    "paper": Config(),
    "quick": Config(training=PAPER_TRAINING.replace(n_networks=2, n_epochs=600, n_logged_points=20), n_mc=128,
                    n_mc_conditional=64, n_conditional_inputs=16, n_replicas=16, n_cluster_inputs=256,
                    neuron_weights=tuple(np.round(np.logspace(-2, 1.5, 36), 6).tolist()), n_bootstrap=50),
}


# --------------------------------------------------------------------------------------------------
# The measurements (public: the chapter's exercises and the tests call them)


def _activate(z, activation: str):
    if activation == "tanh":
        return np.tanh(z)
    if activation == "relu":
        return np.maximum(z, 0.0)
    return z


def propagate_samples(params, x, beta: float, rng: np.random.Generator, activation: str = "tanh"
                      ) -> list[np.ndarray]:
    """The noiseless maps S_ℓ = f_ℓ(T_ℓ₋₁) of one noisy pass of the inputs through every hidden layer.

    T_0 = x and T_ℓ = S_ℓ + β Z_ℓ (Goldfeld et al. 2019, Sec. 2): the noise of every layer propagates to the
    later ones, so S_ℓ given x is random for ℓ ≥ 2. β = 0 gives the deterministic network.

    Parameters
    ----------
    params : list of (W (n_networks, fan_in, fan_out), b (n_networks, fan_out)) -- as ``EnsembleRun.params``;
        the last pair (the output layer) is not used
    x : (n, n_inputs) inputs
    beta : noise standard deviation ≥ 0
    rng : the generator of the noise

    Returns
    -------
    list over hidden layers of S_ℓ, (n_networks, n, width_ℓ) float64
    """
    h = np.asarray(x, dtype=np.float64)[None]
    out = []
    for w, b in params[:-1]:
        s = _activate(h @ np.asarray(w, np.float64) + np.asarray(b, np.float64)[:, None, :], activation)
        out.append(s)
        h = s + beta * rng.standard_normal(s.shape) if beta > 0 else s
    return out


def clustered_fraction(t, radius: float) -> np.ndarray:
    """Fraction of pairs of distinct rows of ``t`` (..., n, d) closer than ``radius`` (Euclidean): (...,)."""
    t = np.asarray(t, dtype=np.float64)
    sq = np.einsum("...nd,...nd->...n", t, t)
    d2 = sq[..., :, None] - 2.0 * t @ np.swapaxes(t, -1, -2) + sq[..., None, :]
    n = t.shape[-2]
    close = (d2 < radius * radius).sum(axis=(-1, -2)) - n  # drop the diagonal
    return close / (n * (n - 1))


def single_neuron_information(weights, inputs=(-3.0, -1.0, 1.0, 3.0), beta: float = 0.05, bias: float = 0.0,
                              *, points_per_beta: int = 40) -> np.ndarray:
    """I(X;T) in bits of one noisy tanh neuron T = tanh(wX + b) + Z, Z ~ N(0, β²), X uniform on ``inputs``.

    I(X;T) = h(T) − h(Z), h(T) of the 1-d Gaussian mixture by quadrature (trapezoid on a grid of spacing
    β / ``points_per_beta`` over the centres ± 10 β). Goldfeld et al. (2019), Sec. 4: as w grows the points
    separate beyond the noise (I rises towards log2 of the number of inputs), then tanh saturates and the points
    of one sign merge (I falls towards log2 of the number of clusters).

    Returns
    -------
    ndarray (n_weights,), bits
    """
    w = np.atleast_1d(np.asarray(weights, dtype=np.float64))
    x = np.asarray(inputs, dtype=np.float64)
    if not beta > 0:
        raise ValueError(f"beta must be > 0, got {beta!r}")
    out = np.empty(w.size)
    for k, wk in enumerate(w):
        c = np.tanh(wk * x + bias)
        grid = np.arange(c.min() - 10 * beta, c.max() + 10 * beta, beta / points_per_beta)
        p = np.exp(-0.5 * ((grid[:, None] - c[None, :]) / beta) ** 2).mean(axis=1) / (beta * math.sqrt(2 * math.pi))
        with np.errstate(divide="ignore", invalid="ignore"):
            integrand = np.where(p > 0, -p * np.log(p), 0.0)
        h_t = float(np.sum(0.5 * (integrand[1:] + integrand[:-1]) * np.diff(grid)))  # trapezoid rule
        out[k] = (h_t - 0.5 * math.log(2 * math.pi * math.e * beta * beta)) / math.log(2)
    return out


# --------------------------------------------------------------------------------------------------
# The result


@dataclasses.dataclass
class Result:
    """Noisy 12-bit networks over training, and the single neuron.

    Attributes
    ----------
    config : Config
    logged_epochs : (n_logged,) int
    layer_widths : widths of the hidden layers
    i_xt_sp, i_xt_sp_stderr : (n_networks, n_logged, n_hidden) bits -- SP estimate of the noisy I(X;T_ℓ), its
        standard error
    h_t_given_x : (n_networks, n_logged, n_hidden) bits -- the ĥ(T_ℓ | X) part
    i_xt_bin, i_ty_bin : (n_networks, n_logged, n_hidden) bits -- binned estimates of the noise-free layers
    clustered : (n_networks, n_logged, n_hidden) -- fraction of pairs within ``cluster_radius`` β
    train_acc, test_acc : (n_networks, n_logged) -- accuracy of the network run without noise
    neuron_weights, neuron_i_xt : (n_weights,) -- the single neuron's curve, bits
    h_x : float -- log2 of the number of inputs
    info : RunInfo
    """

    config: Config
    logged_epochs: np.ndarray
    layer_widths: tuple[int, ...]
    i_xt_sp: np.ndarray
    i_xt_sp_stderr: np.ndarray
    h_t_given_x: np.ndarray
    i_xt_bin: np.ndarray
    i_ty_bin: np.ndarray
    clustered: np.ndarray
    train_acc: np.ndarray
    test_acc: np.ndarray
    neuron_weights: np.ndarray
    neuron_i_xt: np.ndarray
    h_x: float
    info: RunInfo | None = None

    def compression_start(self, layer: int = -1) -> int:
        """Index of the logged epoch at which the network-mean SP I(X;T) of ``layer`` peaks: where compression
        (its fall) starts."""
        return int(np.argmax(self.i_xt_sp.mean(axis=0)[:, layer]))

    def rank_correlations(self, layer: int = -1, start: int | None = None) -> dict[str, np.ndarray]:
        """Per network, Spearman ρ over the logged epochs from index ``start`` (default
        :meth:`compression_start`: the compression phase) of layer ``layer`` (default: the last hidden one):
        ``sp_clustered`` (SP I(X;T) against the clustered fraction; compression coincides with clustering when
        it is close to −1), ``bin_clustered`` (binned I(X;T) against it) and ``bin_sp``; (n_networks,), NaN where
        a curve is constant or fewer than 3 epochs remain."""
        start = self.compression_start(layer) if start is None else int(start)

        def rho(a, b):
            a, b = a[:, start:, layer], b[:, start:, layer]
            if a.shape[1] < 3:
                return np.full(a.shape[0], np.nan)
            return np.array([spearman(a[k], b[k]) for k in range(a.shape[0])])

        return {"sp_clustered": rho(self.i_xt_sp, self.clustered), "bin_clustered": rho(self.i_xt_bin, self.clustered),
                "bin_sp": rho(self.i_xt_bin, self.i_xt_sp)}

    def coupling(self, which: str = "sp_clustered", layer: int = -1, start: int | None = None
                 ) -> tuple[float, tuple[float, float]]:
        """Mean over networks of a rank correlation of :meth:`rank_correlations` (NaN networks dropped), and its
        5–95 % bootstrap interval over networks (``config.n_bootstrap`` resamples, seed 0)."""
        r = self.rank_correlations(layer, start)[which]

        def stat(pick):
            v = r[pick]
            return float(np.nanmean(v)) if np.isfinite(v).any() else float("nan")

        return stat(np.arange(r.size)), bootstrap_interval(stat, r.size, self.config.n_bootstrap, 0)

    def summary(self) -> dict[str, float | int | str]:
        """The numbers the chapter quotes (flat; bits, epochs), keyed by their glue names.

        Settings: ``n_networks``, ``n_epochs``, ``n_logged``, ``beta``, ``batch``, ``learning_rate``, ``arch``,
        ``n_mc``, ``n_replicas``, ``n_conditional_inputs``, ``cluster_radius``, ``n_bins``. Last hidden layer,
        network means: ``sp_peak``, ``sp_final``, ``sp_drop`` (peak − final of the mean curve), ``sp_stderr_max``
        (largest standard error), ``bin_peak``, ``bin_final``, ``bin_drop``, ``clustered_initial``,
        ``clustered_final``; ``first_sp_final`` (first hidden layer). Rank correlations over the compression
        phase (from ``peak_epoch``, the logged epoch of the peak of the mean SP curve; ``n_phase`` logged epochs;
        means over networks, 5–95 % intervals ``*_lo``, ``*_hi``): ``rho_sp_clustered``, ``rho_bin_clustered``,
        ``rho_bin_sp``; and over the whole run, ``rho_all_sp_clustered``, ``rho_all_bin_clustered``.
        Neuron: ``neuron_peak_bits``, ``neuron_peak_w``, ``neuron_final_bits``, ``neuron_max_w``, ``neuron_beta``,
        ``neuron_n_inputs``. Accuracy without noise: ``train_acc``, ``test_acc``.
        """
        spec, cfg = self.config.training, self.config
        sp, bins, clus = (a.mean(axis=0)[:, -1] for a in (self.i_xt_sp, self.i_xt_bin, self.clustered))
        out: dict[str, float | int | str] = {
            "n_networks": int(self.i_xt_sp.shape[0]), "n_epochs": int(spec.n_epochs),
            "n_logged": int(self.logged_epochs.size), "beta": float(cfg.beta),
            "batch": spec.batch_size if spec.batch_size else "full batch", "learning_rate": float(spec.learning_rate),
            "arch": "-".join(map(str, (int(round(self.h_x)), *self.layer_widths, 2))), "n_mc": int(cfg.n_mc),
            "n_replicas": int(cfg.n_replicas), "n_conditional_inputs": int(cfg.n_conditional_inputs),
            "cluster_radius": float(cfg.cluster_radius), "n_bins": int(cfg.n_bins),
            "sp_peak": float(sp.max()), "sp_final": float(sp[-1]), "sp_drop": float(compression(sp[:, None], 0)[0]),
            "sp_stderr_max": float(np.nanmax(self.i_xt_sp_stderr)),
            "bin_peak": float(bins.max()), "bin_final": float(bins[-1]),
            "bin_drop": float(compression(bins[:, None], 0)[0]),
            "clustered_initial": float(clus[0]), "clustered_final": float(clus[-1]),
            "first_sp_final": float(self.i_xt_sp.mean(axis=0)[-1, 0]),
            "train_acc": float(self.train_acc[:, -1].mean()), "test_acc": float(self.test_acc[:, -1].mean()),
        }
        start = self.compression_start()
        out.update({"peak_epoch": int(self.logged_epochs[start]), "n_phase": int(self.logged_epochs.size - start)})
        for which in ("sp_clustered", "bin_clustered", "bin_sp"):
            est, (lo, hi) = self.coupling(which)
            out.update({f"rho_{which}": est, f"rho_{which}_lo": lo, f"rho_{which}_hi": hi})
        for which in ("sp_clustered", "bin_clustered"):
            out[f"rho_all_{which}"] = self.coupling(which, start=0)[0]
        peak = int(np.argmax(self.neuron_i_xt))
        w, i_n = self.neuron_weights, self.neuron_i_xt
        out.update({"neuron_peak_bits": float(i_n[peak]), "neuron_peak_w": float(w[peak]),
                    "neuron_final_bits": float(i_n[-1]), "neuron_max_w": float(w[-1]),
                    "neuron_beta": float(cfg.neuron_beta), "neuron_n_inputs": len(cfg.neuron_inputs)})
        return out


# --------------------------------------------------------------------------------------------------
# The computation


def _measure(params, X, y, config: Config, rng: np.random.Generator, cond_idx, clus_idx, activation: str):
    """SP estimate, clustering and binning of every hidden layer of the networks ``params`` at one epoch."""
    from ..estimators import binned_mi, sample_propagation_mi

    beta = config.beta
    centres = propagate_samples(params, X, beta, rng, activation)
    k = config.n_replicas
    cond = propagate_samples(params, np.repeat(X[cond_idx], k, axis=0), beta, rng, activation)
    clean = propagate_samples(params, X, 0.0, rng, activation)
    seed = int(rng.integers(2**31))
    out = {name: [] for name in ("sp", "sp_se", "h_cond", "bin_xt", "bin_ty", "clustered")}
    for layer, (s, c, t) in enumerate(zip(centres, cond, clean, strict=True)):
        cc = None if layer == 0 else c.reshape(c.shape[0], cond_idx.size, k, c.shape[-1])
        est = sample_propagation_mi(s, cc, beta, n_mc=config.n_mc, n_mc_conditional=config.n_mc_conditional,
                                    seed=seed + layer)
        i_xt, i_ty = binned_mi(t, y, n_bins=config.n_bins, value_range=(-1.0, 1.0))
        for name, v in (("sp", est.i_xt), ("sp_se", est.i_xt_stderr), ("h_cond", est.h_t_given_x),
                        ("bin_xt", i_xt), ("bin_ty", i_ty),
                        ("clustered", clustered_fraction(t[:, clus_idx], config.cluster_radius * beta))):
            out[name].append(np.asarray(v, dtype=float))
    return {name: np.stack(v, axis=-1) for name, v in out.items()}  # (n_networks, n_hidden)


def compute(config: Config, checkpoint: Checkpoint | None = None) -> Result:
    """Train and measure the noisy networks of ``config`` (no cache; :func:`run` caches it)."""
    from ..ensembles import compile_trainer

    spec = config.training
    X, y = tishby_12bit()
    train_mask, test_mask = train_test_masks(X.shape[0], config.train_fraction, spec.seeds)
    pick = np.random.default_rng(config.measure_seed)
    cond_idx = np.sort(pick.choice(X.shape[0], config.n_conditional_inputs, replace=False))
    clus_idx = np.sort(pick.choice(X.shape[0], min(config.n_cluster_inputs, X.shape[0]), replace=False))
    parts = [rows for rows in np.array_split(np.arange(spec.n_networks), config.n_calls) if rows.size]
    layer_sizes = (X.shape[1], *spec.hidden_widths, int(y.max()) + 1)
    logged = spec.logged_epochs

    def train_part(j: int, sub: Checkpoint | None, stop: threading.Event) -> dict[str, np.ndarray]:
        rows = parts[j]
        trainer = compile_trainer(spec, layer_sizes, X.shape[0], int(train_mask[rows].sum(axis=1).max()))
        data = trainer.data(X, y, train_mask[rows], test_mask[rows])
        params, opt_state, keys = trainer.init(spec.seeds[rows])
        rng = np.random.default_rng([config.measure_seed, j])
        rows_out, epoch = [], 0
        for target in logged:
            if stop.is_set():
                raise TrainingStopped("noisy-networks stopped; finished trainer calls are saved")
            if target > epoch:
                params, opt_state = trainer.advance(params, opt_state, keys, epoch, int(target), data)
                epoch = int(target)
            _, metrics, _ = trainer.evaluate(params, data)
            m = _measure(trainer.layer_params(params), X, y, config, rng, cond_idx, clus_idx, spec.activation)
            m["acc"] = np.asarray(metrics)[:, 2:4]
            rows_out.append(m)
        return {name: np.stack([r[name] for r in rows_out], axis=1) for name in rows_out[0]}

    done = run_resumable(checkpoint, range(len(parts)), train_part)

    def cat(name):
        return np.concatenate([done[j][name] for j in range(len(parts))], axis=0)

    weights = np.asarray(config.neuron_weights, dtype=float)
    acc = cat("acc")
    return Result(
        config=config, logged_epochs=logged, layer_widths=tuple(int(w) for w in spec.hidden_widths),
        i_xt_sp=cat("sp"), i_xt_sp_stderr=cat("sp_se"), h_t_given_x=cat("h_cond"), i_xt_bin=cat("bin_xt"),
        i_ty_bin=cat("bin_ty"), clustered=cat("clustered"), train_acc=acc[..., 0], test_acc=acc[..., 1],
        neuron_weights=weights,
        neuron_i_xt=single_neuron_information(weights, config.neuron_inputs, config.neuron_beta, config.neuron_bias),
        h_x=float(np.log2(X.shape[0])),
    )


def run(config: Config | None = None) -> Result:
    """Run (or load from the cache) the noisy-network experiment; ``None`` = the current preset."""
    config = config or select_config(PRESETS)
    return cached_run("noisy-networks", config, compute, PRESETS)
