"""Information in infinite ensembles of infinitely wide networks (Shwartz-Ziv & Alemi 2020).

For each task, weight scale σ_w and gradient-flow time t, the ensemble over initialisations of
infinitely wide networks trained on MSE is Gaussian: p_t(z|x) = N(μ_t(x), s_t(x) I_k)
(:func:`ipflow_lib.ntk.infinite_ensemble`). On the training inputs and, separately, on the test
inputs (X uniform over each set) this records

* I(X;Z) (pairwise bounds and the sampled InfoNCE / leave-one-out values) and I(Z;Y), in bits;
* KL[p_t(z|x) ‖ p_0(z|x)], bits per input, averaged over the inputs;
* the Gibbs and Bayes losses (nats per example, unit observation noise) and the error of the
  ensemble mean's class (sign for one output, argmax for several).

Tasks: ``digits-parity`` (even vs odd digit, one ±1 output), ``digits-10`` (ten classes, centred
one-hot outputs) on the same scikit-learn digit images, and ``tishby-12bit`` (the 12-bit task of
Shwartz-Ziv & Tishby 2017, bits mapped to ±1, the paper's split); ``mnist-parity`` and ``mnist-10``, the
same two tasks on real MNIST digits (:func:`ipflow_lib.datasets.mnist_5k_split`, pixels mapped to
x/128 − 1 as in the authors' code), run by the sibling experiment ``infinite-ensembles-mnist``.

Z carries a tiny independent Gaussian noise of variance ``noise`` × (mean prior variance): as t → ∞
the ensemble collapses on the training inputs (s_t → 0) and I(X;Z) there is set by the resolution
at which outputs are compared; the noise fixes that resolution, scale-free in σ_w.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ._common import Checkpoint, RunInfo, cached_run, progress, select_config

NAME = "infinite-ensembles"
#: The tasks of the chapter's main sweep (the default of :attr:`Config.tasks`).
DEFAULT_TASKS = ("digits-parity", "digits-10", "tishby-12bit")
#: The same parity and ten-class tasks on real MNIST (``infinite_ensembles_mnist``).
MNIST_TASKS = ("mnist-parity", "mnist-10")
TASKS = (*DEFAULT_TASKS, *MNIST_TASKS)
#: Short names of the tasks in :meth:`Result.summary` keys.
SHORT_NAMES = {"digits-parity": "parity", "digits-10": "ten", "tishby-12bit": "bits", "mnist-parity": "mparity",
               "mnist-10": "mten"}
SPLITS = ("train", "test")
# the information fields of ipflow_lib.estimators.MixtureInformation that the sweep keeps
MIXTURE_QUANTITIES = ("i_xz_lower", "i_xz_upper", "i_xz_nce", "i_xz_loo", "i_zy_lower", "i_zy_upper", "i_zy_mc")
QUANTITIES = (*MIXTURE_QUANTITIES, "kl_prior", "gibbs", "bayes", "error")


@dataclasses.dataclass(frozen=True)
class Config:
    """Settings of the sweep over tasks × weight scales × training times.

    The ``paper`` preset follows the authors' code (``info_ntk``): Dense-Erf-Dense-Erf-Dense with the
    same σ_w in every layer and σ_b = 0, σ_w from 10⁻² to 10^0.3, t from 10⁻² to 10⁸ (log-spaced),
    small training sets, unit observation noise in the losses; on a coarser grid (10 × 31 instead of
    100 × 100) and on the digits and 12-bit tasks instead of MNIST. ``tishby_n_test=None`` tests on the
    paper split's last 20 % (819 patterns); a number keeps only that many of them.
    """

    tasks: tuple[str, ...] = DEFAULT_TASKS
    digits_n_train: int = 300
    digits_n_test: int = 500
    mnist_n_train: int = 300
    mnist_n_test: int = 500
    tishby_train_fraction: float = 0.05
    tishby_n_test: int | None = None
    data_seed: int = 0
    depth: int = 2
    nonlinearity: str = "erf"
    b_std: float = 0.0
    w_stds: tuple[float, ...] = (0.01, 0.05, 0.1, 0.2, 0.35, 0.5, 0.7, 1.0, 1.4, 2.0)
    log10_t_range: tuple[float, float] = (-2.0, 8.0)
    n_times: int = 31
    noise: float = 1e-10
    noise_sweep: tuple[float, ...] = (1e-14, 1e-6, 1e-3)
    obs_var: float = 1.0
    n_samples: int = 2
    mi_seed: int = 0
    reference_w_std: float = 1.0
    display_w_stds: tuple[float, ...] = (0.2, 0.5, 1.0, 2.0)

    @property
    def times(self) -> np.ndarray:
        """Training times t, shape (n_times,)."""
        return np.logspace(*self.log10_t_range, self.n_times)


PRESETS = {
    "paper": Config(),
    "quick": Config(
        digits_n_train=120,
        digits_n_test=150,
        w_stds=(0.1, 0.2, 0.5, 1.0, 2.0),
        tishby_n_test=200,
        n_times=13,
        n_samples=1,
        noise_sweep=(1e-14, 1e-6),
    ),
}


@dataclasses.dataclass(frozen=True)
class TaskResult:
    """One task's sweep. Quantities have shape (2, n_w, n_t): split (train, test) × σ_w × t.

    ``quantities`` maps each name of :data:`QUANTITIES` to its array, and each is also an attribute
    (``task_result.i_xz_nce`` is ``task_result.quantities["i_xz_nce"]``).

    Attributes
    ----------
    task : str
    n_train, n_test, n_classes : int
    h_y : ndarray, shape (2,)
        H(Y) of the labels of the train and test inputs, bits (the ceiling of I(Z;Y)).
    log2_n : ndarray, shape (2,)
        log₂ of the number of inputs of each split (the ceiling of I(X;Z)), bits.
    i_xz_lower, i_xz_upper, i_xz_nce, i_xz_loo : ndarray, shape (2, n_w, n_t)
        I(X;Z) in bits: pairwise bounds (Kolchinsky & Tracey) and sampled InfoNCE / leave-one-out values.
    i_zy_lower, i_zy_upper, i_zy_mc : ndarray, shape (2, n_w, n_t)
        I(Z;Y) in bits: pairwise bounds and the sampled estimate.
    kl_prior : ndarray, shape (2, n_w, n_t)
        mean over inputs of KL[p_t(z|x) ‖ p_0(z|x)], bits per input.
    gibbs, bayes : ndarray, shape (2, n_w, n_t)
        Losses of the ensemble, nats per example.
    error : ndarray, shape (2, n_w, n_t)
        Classification error of the ensemble mean.
    ref_mean_train, ref_var_train, ref_mean_test, ref_var_test : ndarray
        p_t(z|x) at σ_w = ``reference_w_std``: means (n_t, n, k) and variances (n_t, n) (noise not added).
    noise_i_xz : ndarray, shape (n_noise, 2, n_t)
        I(X;Z) (InfoNCE, bits) at σ_w = ``reference_w_std`` with the noise levels ``config.noise_sweep``.
    y_train, y_test : ndarray of int
    """

    task: str
    n_train: int
    n_test: int
    n_classes: int
    h_y: np.ndarray
    log2_n: np.ndarray
    quantities: dict[str, np.ndarray]
    ref_mean_train: np.ndarray
    ref_var_train: np.ndarray
    ref_mean_test: np.ndarray
    ref_var_test: np.ndarray
    noise_i_xz: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray

    def __getattr__(self, name: str):
        quantities = self.__dict__.get("quantities", {})
        if name in quantities:
            return quantities[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def gap(self, quantity: str = "gibbs") -> np.ndarray:
        """Generalisation gap of ``quantity`` ("gibbs", "bayes" or "error"): test − train, shape (n_w, n_t)."""
        if quantity not in ("gibbs", "bayes", "error"):
            raise ValueError(f"quantity must be 'gibbs', 'bayes' or 'error', got {quantity!r}")
        values = getattr(self, quantity)
        return values[1] - values[0]


@dataclasses.dataclass(frozen=True)
class Result:
    """The sweep: ``t`` (n_t,), ``w_stds`` (n_w,), one :class:`TaskResult` per task."""

    config: Config
    t: np.ndarray
    w_stds: np.ndarray
    tasks: tuple[TaskResult, ...]
    info: RunInfo | None = None

    def task(self, name: str) -> TaskResult:
        """The :class:`TaskResult` of task ``name``."""
        for task in self.tasks:
            if task.task == name:
                return task
        raise KeyError(f"no task {name!r}; this result has {[t.task for t in self.tasks]}")

    def learning_times(self, task: str, fraction: float = 0.5) -> np.ndarray:
        """Per σ_w, the first time the training Gibbs loss has fallen by ``fraction`` of its total drop, shape (n_w,).

        The drop is measured from t → 0 to the final time of the grid, relative to the smallest final loss over
        all σ_w (so a σ_w that has not learned within the grid gives NaN). Interpolated linearly in log t.
        Feeds the slope of log t½ against log σ_w in :meth:`summary` (t½ ∝ σ_w^(−2(L+1)) for a near-linear net).
        """
        tr = self.task(task)
        loss = tr.gibbs[0]
        target_final = np.nanmin(loss[:, -1])
        out = np.full(loss.shape[0], np.nan)
        log_t = np.log10(self.t)
        for i, row in enumerate(loss):
            level = row[0] - fraction * (row[0] - target_final)
            below = np.flatnonzero(row <= level)
            if below.size == 0 or below[0] == 0:
                continue
            j = below[0]
            w = (row[j - 1] - level) / (row[j - 1] - row[j])
            out[i] = 10 ** (log_t[j - 1] + w * (log_t[j] - log_t[j - 1]))
        return out

    def gap_correlations(self, split: int = 1, gap: str = "gibbs") -> dict[str, dict[str, float]]:
        """Spearman rank correlation, over the (σ_w, t) grid, between the generalisation gap and each quantity.

        Parameters
        ----------
        split : int
            0: quantities on the training inputs, 1: on the test inputs.
        gap : str
            "gibbs", "bayes" or "error" (see :meth:`TaskResult.gap`).

        Returns
        -------
        dict
            ``{task: {quantity: rho}}`` for quantity in i_xz_nce, i_zy_mc, kl_prior (NaN where a quantity
            is constant over the grid).
        """
        from scipy.stats import spearmanr

        out = {}
        for task in self.tasks:
            g = task.gap(gap).ravel()
            out[task.task] = {}
            for q in ("i_xz_nce", "i_zy_mc", "kl_prior"):
                v = getattr(task, q)[split].ravel()
                ok = np.isfinite(g) & np.isfinite(v)
                if np.ptp(v[ok]) == 0 or np.ptp(g[ok]) == 0:
                    out[task.task][q] = float("nan")
                else:
                    out[task.task][q] = float(spearmanr(g[ok], v[ok]).statistic)
        return out

    def summary(self) -> dict[str, float]:
        """Numbers quoted in the chapter (for ``glue``), keyed ``<task short name>_<quantity>``.

        Per task (short names ``parity``, ``ten``, ``bits``, ``mparity``, ``mten``: :data:`SHORT_NAMES`) at
        σ_w = ``reference_w_std``: sizes, the
        peak and final I(X;Z) on training inputs and when the peak happens, the final I(X;Z), I(Z;Y),
        error and Gibbs gap on test inputs, the largest test I(Z;Y); over the grid: Spearman correlations
        of the gap with I(X;Z), I(Z;Y), KL on test inputs, the σ_w with the lowest final test Gibbs loss,
        and the slope of log t½ against log σ_w for σ_w ≤ 0.35 (learning times, :meth:`learning_times`).
        """
        short = SHORT_NAMES
        cfg = self.config
        i_ref = list(self.w_stds).index(cfg.reference_w_std)
        out: dict[str, float] = {
            "n_w": len(self.w_stds),
            "n_t": self.t.size,
            "w_min": float(self.w_stds.min()),
            "w_max": float(self.w_stds.max()),
            "t_min": float(self.t.min()),
            "t_max": float(self.t.max()),
            "noise": cfg.noise,
            "w_ref": cfg.reference_w_std,
            "depth": cfg.depth,
            "n_samples": cfg.n_samples,
        }
        corr = self.gap_correlations()
        for tr in self.tasks:
            k = short[tr.task]
            train_ixz = tr.i_xz_nce[0, i_ref]
            peak = int(np.argmax(train_ixz))
            final = -1
            best = int(np.nanargmin(tr.gibbs[1, :, final]))
            out |= {
                f"{k}_n_train": tr.n_train,
                f"{k}_n_test": tr.n_test,
                f"{k}_log2_n_train": float(tr.log2_n[0]),
                f"{k}_log2_n_test": float(tr.log2_n[1]),
                f"{k}_h_y": float(tr.h_y[0]),
                f"{k}_log2_n_classes": float(np.log2(tr.n_classes)),
                f"{k}_train_ixz_peak": float(train_ixz[peak]),
                f"{k}_train_ixz_peak_t": float(self.t[peak]),
                f"{k}_train_ixz_final": float(train_ixz[final]),
                f"{k}_train_izy_final": float(tr.i_zy_mc[0, i_ref, final]),
                f"{k}_test_ixz_final": float(tr.i_xz_nce[1, i_ref, final]),
                f"{k}_test_ixz_lower_final": float(tr.i_xz_lower[1, i_ref, final]),
                f"{k}_test_ixz_upper_final": float(tr.i_xz_upper[1, i_ref, final]),
                f"{k}_test_izy_final": float(tr.i_zy_mc[1, i_ref, final]),
                f"{k}_test_izy_max": float(tr.i_zy_mc[1, i_ref].max()),
                f"{k}_test_izy_max_t": float(self.t[int(np.argmax(tr.i_zy_mc[1, i_ref]))]),
                f"{k}_test_error_final": float(tr.error[1, i_ref, final]),
                f"{k}_test_error_min": float(tr.error[1, i_ref].min()),
                f"{k}_gap_final": float(tr.gap("gibbs")[i_ref, final]),
                f"{k}_best_w": float(self.w_stds[best]),
                f"{k}_best_w_test_ixz": float(tr.i_xz_nce[1, best, final]),
                f"{k}_best_w_test_izy": float(tr.i_zy_mc[1, best, final]),
                f"{k}_best_w_test_error": float(tr.error[1, best, final]),
                f"{k}_kl_final": float(tr.kl_prior[1, i_ref, final]),
                f"{k}_test_gibbs_first": float(tr.gibbs[1, i_ref, 0]),
                f"{k}_test_bayes_first": float(tr.bayes[1, i_ref, 0]),
                f"{k}_test_gibbs_final": float(tr.gibbs[1, i_ref, final]),
                f"{k}_test_bayes_final": float(tr.bayes[1, i_ref, final]),
            }
            for q, v in corr[tr.task].items():
                out[f"{k}_rho_{q}"] = v
            t_half = self.learning_times(tr.task)
            ok = np.isfinite(t_half) & (self.w_stds <= 0.35)
            slope = np.polyfit(np.log10(self.w_stds[ok]), np.log10(t_half[ok]), 1)[0] if ok.sum() >= 2 else np.nan
            out[f"{k}_learning_slope"] = float(slope)
        return out


def task_data(name: str, config: Config):
    """``(x_train, y_train, x_test, y_test, n_classes)`` of a task (labels int, inputs float64)."""
    from ..datasets import digits, mnist_5k_split, paper_split, tishby_12bit

    if name in ("digits-parity", "digits-10"):
        data = digits(n_train=config.digits_n_train, n_test=config.digits_n_test, seed=config.data_seed)
        if name == "digits-parity":
            return data.x_train, data.y_train % 2, data.x_test, data.y_test % 2, 2
        return data.x_train, data.y_train, data.x_test, data.y_test, 10
    if name in MNIST_TASKS:
        data = mnist_5k_split(config.mnist_n_train, config.mnist_n_test, seed=config.data_seed)
        # the authors' preprocessing (info_ntk/datasets.py): bytes b -> b / 128 − 1, in [−1, 0.99]
        x_train, x_test = (np.round(x.astype(np.float64) * 255.0) / 128.0 - 1.0 for x in (data.x_train, data.x_test))
        if name == "mnist-parity":
            return x_train, data.y_train % 2, x_test, data.y_test % 2, 2
        return x_train, data.y_train, x_test, data.y_test, 10
    if name == "tishby-12bit":
        x, y = tishby_12bit()
        x = 2.0 * x.astype(np.float64) - 1.0
        train, test = paper_split(len(y), config.tishby_train_fraction, config.data_seed)
        test = test if config.tishby_n_test is None else test[: config.tishby_n_test]
        return x[train], y[train], x[test], y[test], 2
    raise ValueError(f"unknown task {name!r}; expected one of {TASKS}")


def _entropy_bits(y: np.ndarray) -> float:
    p = np.bincount(y) / len(y)
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())


def _class_error(mean: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Error of the ensemble mean's class: mean (..., n, k) → (...)."""
    pred = (mean[..., 0] > 0).astype(np.int64) if mean.shape[-1] == 1 else mean.argmax(-1)
    return (pred != y).mean(axis=-1)


def sweep_point(config: Config, kernel_fn, data, times: np.ndarray) -> tuple[dict, tuple]:
    """All quantities of one (task, σ_w) over ``times``: arrays (2, n_t) and the raw ensembles."""
    from .. import ntk
    from ..estimators import gaussian_kl, mixture_information

    x_train, y_train, x_test, y_test, n_classes = data
    targets = (ntk.regression_targets(y_train, n_classes), ntk.regression_targets(y_test, n_classes))
    t_all = np.concatenate([[0.0], times])
    ensembles = (
        ntk.infinite_ensemble(kernel_fn, x_train, targets[0], t_all),
        ntk.infinite_ensemble(kernel_fn, x_train, targets[0], t_all, x_test),
    )
    out = {q: np.empty((2, times.size)) for q in QUANTITIES}
    for split, (ens, labels, target) in enumerate(zip(ensembles, (y_train, y_test), targets, strict=True)):
        noise = config.noise * float(ens.prior_var.mean())
        mean, var = ens.mean[1:], ens.var[1:] + noise
        info = mixture_information(mean, var, labels, n_samples=config.n_samples, seed=config.mi_seed)
        for field in MIXTURE_QUANTITIES:
            out[field][split] = getattr(info, field)
        out["kl_prior"][split] = gaussian_kl(mean, var, ens.mean[:1], ens.var[:1] + noise).mean(axis=-1)
        out["gibbs"][split] = ntk.gibbs_loss(mean, ens.var[1:], target, obs_var=config.obs_var)
        out["bayes"][split] = ntk.bayes_loss(mean, ens.var[1:], target, obs_var=config.obs_var)
        out["error"][split] = _class_error(mean, labels)
    return out, ensembles


def noise_sensitivity(config: Config, ensembles, labels) -> np.ndarray:
    """I(X;Z) (InfoNCE, bits) of the (train, test) ``ensembles`` with each noise of ``config.noise_sweep``.

    Returns an array of shape (n_noise, 2, n_t) (times without the t = 0 entry of the ensembles).
    """
    from ..estimators import mixture_information

    out = np.empty((len(config.noise_sweep), 2, ensembles[0].t.size - 1))
    for i, level in enumerate(config.noise_sweep):
        for split, (ens, y) in enumerate(zip(ensembles, labels, strict=True)):
            var = ens.var[1:] + level * float(ens.prior_var.mean())
            info = mixture_information(ens.mean[1:], var, y, n_samples=config.n_samples, seed=config.mi_seed)
            out[i, split] = info.i_xz_nce
    return out


def compute_sweep(config: Config, checkpoint: Checkpoint) -> Result:
    """The sweep of ``config`` without the cache (what :func:`run` caches), resumable through ``checkpoint``."""
    from .. import ntk

    for name in config.tasks:
        if name not in TASKS:
            raise ValueError(f"unknown task {name!r}; expected one of {TASKS}")
    if config.reference_w_std not in config.w_stds:
        raise ValueError(f"reference_w_std={config.reference_w_std} must be one of w_stds={config.w_stds}")
    times = config.times
    n_w, n_t = len(config.w_stds), times.size
    state = checkpoint.load() or {"done": [], "tasks": {}}
    todo = [(name, i) for name in config.tasks for i in range(n_w) if [name, i] not in state["done"]]
    data_cache: dict[str, tuple] = {}
    for name, i_w in progress(todo, desc=NAME, unit="σ_w"):
        data = data_cache.setdefault(name, task_data(name, config))
        arrays = state["tasks"].setdefault(name, {q: np.full((2, n_w, n_t), np.nan) for q in QUANTITIES})
        w_std = config.w_stds[i_w]
        out_dim = 1 if data[4] == 2 else data[4]  # the kernel does not depend on it; for the record
        _, _, kernel_fn = ntk.network(config.depth, 1, config.nonlinearity, w_std, config.b_std, out_dim)
        values, ensembles = sweep_point(config, kernel_fn, data, times)
        for q in QUANTITIES:
            arrays[q][:, i_w] = values[q]
        if w_std == config.reference_w_std:
            arrays["ref"] = {
                "mean_train": ensembles[0].mean[1:],
                "var_train": ensembles[0].var[1:],
                "mean_test": ensembles[1].mean[1:],
                "var_test": ensembles[1].var[1:],
                "noise_i_xz": noise_sensitivity(config, ensembles, (data[1], data[3])),
            }
        state["done"].append([name, i_w])
        checkpoint.save(state)

    results = []
    for name in config.tasks:
        x_train, y_train, x_test, y_test, n_classes = data_cache.setdefault(name, task_data(name, config))
        arrays = state["tasks"][name]
        ref = arrays["ref"]
        results.append(
            TaskResult(
                task=name,
                n_train=len(y_train),
                n_test=len(y_test),
                n_classes=n_classes,
                h_y=np.array([_entropy_bits(y_train), _entropy_bits(y_test)]),
                log2_n=np.log2([len(y_train), len(y_test)]),
                quantities={q: arrays[q] for q in QUANTITIES},
                ref_mean_train=ref["mean_train"],
                ref_var_train=ref["var_train"],
                ref_mean_test=ref["mean_test"],
                ref_var_test=ref["var_test"],
                noise_i_xz=ref["noise_i_xz"],
                y_train=y_train,
                y_test=y_test,
            )
        )
    return Result(config=config, t=times, w_stds=np.array(config.w_stds), tasks=tuple(results))


_compute = compute_sweep  # the name every experiment module gives its computation (benchmarks call it)


def run(config: Config | None = None) -> Result:
    """Run (or load from the cache) the sweep; ``config`` defaults to the ``IPFLOW_PRESET`` preset."""
    config = config or select_config(PRESETS)
    return cached_run(NAME, config, compute_sweep, PRESETS)


__all__ = [
    "DEFAULT_TASKS",
    "MIXTURE_QUANTITIES",
    "MNIST_TASKS",
    "NAME",
    "PRESETS",
    "QUANTITIES",
    "SHORT_NAMES",
    "SPLITS",
    "TASKS",
    "Config",
    "Result",
    "TaskResult",
    "compute_sweep",
    "noise_sensitivity",
    "run",
    "sweep_point",
    "task_data",
]
