"""torch: the variational IB (VIB) and the variational dual IB (VdualIB) with a Gaussian encoder.

Both models share one architecture: an MLP encoder e(z|x) = N(μ(x), diag σ(x)²), a prior r(z) = N(0, I)
and a softmax decoder q(ŷ|z) = softmax(W z + b) (Alemi et al. 2017; the dual-IB authors' decoder is the
same "one softmax layer"). They differ only in the loss, per example and in nats:

* rate  R = KL[e(z|x) || r(z)]                      an upper bound on I(X;Z) (averaged over x)
* CE    = −Σ_y p̃(y|x) log q(y|z)                    the IB prediction term, z ~ e(z|x)
* dual  = KL[q(ŷ|z) || p̃(y|x)]                      the dual-IB distortion, switched KL arguments

and the objectives are (``KINDS``)

* ``"vib"``           R + β·CE                                  (Alemi et al. 2017, β on the prediction term)
* ``"vdualib"``       R + β·CE + γ·dual                         (Piran et al. 2020 as summarised in REFERENCE;
  the authors' code calls it ``combined``; γ = β unless set)
* ``"vdualib_pure"``  R + γ·dual                                (the authors' code's ``dual_ib`` loss; γ = β
  unless set)

p̃(y|x) is the *noise model* of the labels: the dual IB needs a non-deterministic p(y|x) (its
distortion is infinite on one-hot labels). As in the authors' code, p̃(y|x) is the row of a confusion
matrix for x's label: :func:`confusion_noise` builds it from a cross-validated classifier, the way
the authors used a pretrained network's confusion matrix on CIFAR-10; :func:`uniform_noise` is label
smoothing. Both models are trained on the same p̃.

Many models (β values × objectives × seeds) train at once: :class:`GaussianEncoderEnsemble` stacks their
weights on a leading model axis and runs them as batched matrix products, so a β sweep is one
computation. Models with the same seed share their initialisation, mini-batch order and
reparameterisation noise, whatever the rest of the sweep is: a model's result depends only on its own
(objective, β, γ, seed).

Source: Alemi, Fischer, Dillon & Murphy, *Deep Variational Information Bottleneck*, ICLR 2017;
Piran, Shwartz-Ziv & Tishby, *The Dual Information Bottleneck*, arXiv:2006.04641 (2020), Sec. 6.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence

import numpy as np
import torch

from .validation import as_float

__all__ = [
    "KINDS",
    "GaussianEncoderEnsemble",
    "SweepHistory",
    "confusion_noise",
    "evaluate",
    "loss_terms",
    "objective",
    "train_variational_ensemble",
    "uniform_noise",
]

KINDS = ("vib", "vdualib", "vdualib_pure")
LN2 = math.log(2.0)


# ----------------------------------------------------------------------------------------------
# Label noise models p̃(y|x) = C[label(x)]
# ----------------------------------------------------------------------------------------------
def uniform_noise(n_classes: int, epsilon: float) -> np.ndarray:
    """Label smoothing as a confusion matrix: 1 − ε on the diagonal, ε/(K−1) elsewhere.

    Returns
    -------
    ndarray, shape (n_classes, n_classes), rows sum to 1.

    Raises
    ------
    ValueError
        If ``n_classes`` < 2 or ``epsilon`` is not in (0, 1 − 1/K].
    """
    if int(n_classes) != n_classes or n_classes < 2:
        raise ValueError(f"n_classes must be an integer >= 2, got {n_classes}")
    if not 0.0 < epsilon <= 1.0 - 1.0 / n_classes:
        raise ValueError(f"epsilon must be in (0, {1 - 1 / n_classes:g}] (the dual IB needs noise), got {epsilon}")
    c = np.full((n_classes, n_classes), epsilon / (n_classes - 1))
    np.fill_diagonal(c, 1.0 - epsilon)
    return c


def confusion_noise(
    x: np.ndarray, y: np.ndarray, n_classes: int, *, pseudo_count: float = 1.0, n_folds: int = 5, seed: int = 0
) -> np.ndarray:
    """Noise model from a classifier's confusion matrix, as in the dual-IB authors' code.

    A logistic regression is fitted and evaluated by stratified ``n_folds``-fold cross-validation on
    ``(x, y)``; row c of the result is the distribution of its predictions on examples of class c,
    with ``pseudo_count`` added to every cell so that no entry is zero (the dual distortion
    KL[q || p̃] needs p̃ > 0). p̃(y|x) is then ``C[label(x)]``.

    Parameters
    ----------
    x : ndarray, shape (n_samples, n_features)
    y : ndarray of int, shape (n_samples,), values in 0..n_classes−1
    n_classes : int
    pseudo_count : float > 0
        Added to every count (Laplace smoothing).
    n_folds : int
    seed : int
        Seed of the fold assignment.

    Returns
    -------
    ndarray, shape (n_classes, n_classes), rows sum to 1, all entries > 0.

    Raises
    ------
    ValueError
        If shapes disagree, labels are out of range or ``pseudo_count`` <= 0.

    Source: Piran et al. (2020), Sec. 6; authors' code (``confusion_matrix_noise``).
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y)
    if x.ndim != 2 or y.shape != (x.shape[0],):
        raise ValueError(f"x must have shape (n, d) and y shape (n,), got {x.shape} and {y.shape}")
    if y.min() < 0 or y.max() >= n_classes:
        raise ValueError(f"labels must lie in 0..{n_classes - 1}")
    if not pseudo_count > 0:
        raise ValueError(f"pseudo_count must be > 0, got {pseudo_count}")
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=0.1))
    folds = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    pred = cross_val_predict(clf, x, y, cv=folds)
    counts = np.full((n_classes, n_classes), float(pseudo_count))
    np.add.at(counts, (y, pred), 1.0)
    return counts / counts.sum(axis=1, keepdims=True)


# ----------------------------------------------------------------------------------------------
# The models
# ----------------------------------------------------------------------------------------------
class GaussianEncoderEnsemble(torch.nn.Module):
    """``n_models`` independent VIB-style networks run as one batched computation.

    Encoder: x → ReLU MLP (``hidden_widths``) → (μ, ρ) with σ = softplus(ρ − 5) + 1e-4 (Alemi et al. 2017);
    decoder: q(ŷ|z) = softmax(W z + b). Every weight has a leading axis of size ``n_models``.

    Parameters
    ----------
    n_in : int
        Input dimension (64 for the 8×8 digits).
    hidden_widths : sequence of int
        Hidden widths of the encoder.
    z_dim : int
        Dimension of Z.
    n_classes : int
    seeds : sequence of int, length n_models
        Model m is initialised from ``torch.Generator().manual_seed(seeds[m])`` (PyTorch's default
        ``nn.Linear`` scheme, uniform in ±1/sqrt(fan_in)): equal seeds, equal initial weights.
    """

    def __init__(self, n_in: int, hidden_widths: Sequence[int], z_dim: int, n_classes: int, seeds: Sequence[int]):
        super().__init__()
        if len(seeds) < 1:
            raise ValueError("seeds must name at least one model")
        if min([n_in, z_dim, n_classes, *hidden_widths]) < 1:
            raise ValueError("all layer sizes must be >= 1")
        self.z_dim = int(z_dim)
        sizes = [int(n_in), *map(int, hidden_widths), 2 * self.z_dim]
        shapes = [*zip(sizes[:-1], sizes[1:], strict=True), (self.z_dim, int(n_classes))]
        weights: list[list[torch.Tensor]] = [[] for _ in shapes]
        biases: list[list[torch.Tensor]] = [[] for _ in shapes]
        cache: dict[int, list[tuple[torch.Tensor, torch.Tensor]]] = {}
        for seed in seeds:
            if int(seed) not in cache:
                gen = torch.Generator().manual_seed(int(seed))
                layers = []
                for fan_in, fan_out in shapes:
                    bound = 1.0 / math.sqrt(fan_in)
                    w = (torch.rand(fan_in, fan_out, generator=gen, dtype=torch.float64) * 2 - 1) * bound
                    b = (torch.rand(fan_out, generator=gen, dtype=torch.float64) * 2 - 1) * bound
                    layers.append((w.float(), b.float()))
                cache[int(seed)] = layers
            for i, (w, b) in enumerate(cache[int(seed)]):
                weights[i].append(w)
                biases[i].append(b)
        self.weights = torch.nn.ParameterList([torch.nn.Parameter(torch.stack(w)) for w in weights])
        self.biases = torch.nn.ParameterList([torch.nn.Parameter(torch.stack(b)[:, None, :]) for b in biases])

    @property
    def n_models(self) -> int:
        return self.weights[0].shape[0]

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(μ, σ) of e(z|x), each of shape (n_models, batch, z_dim), for x of shape (n_models, batch, n_in)."""
        h = x
        n_enc = len(self.weights) - 1
        for i in range(n_enc):
            h = torch.baddbmm(self.biases[i], h, self.weights[i])
            if i < n_enc - 1:
                h = torch.relu(h)
        mu, rho = h[..., : self.z_dim], h[..., self.z_dim :]
        return mu, torch.nn.functional.softplus(rho - 5.0) + 1e-4

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Logits of q(ŷ|z), shape (n_models, batch, n_classes), for z of shape (n_models, batch, z_dim)."""
        return torch.baddbmm(self.biases[-1], z, self.weights[-1])


def loss_terms(
    model: GaussianEncoderEnsemble, x: torch.Tensor, p_tilde: torch.Tensor, eps: torch.Tensor
) -> dict[str, torch.Tensor]:
    """Per-example loss terms in nats, each of shape (n_models, batch).

    Parameters
    ----------
    model : GaussianEncoderEnsemble
    x : tensor, shape (n_models, batch, n_in)
    p_tilde : tensor, shape (n_models, batch, n_classes)
        The noise model p̃(y|x) of each example (rows sum to 1, entries > 0).
    eps : tensor, shape (n_models, batch, z_dim)
        Standard normal draws for the reparameterisation z = μ + σ·eps.

    Returns
    -------
    dict with ``rate`` (KL[e(z|x) || N(0, I)], closed form), ``ce`` (−Σ_y p̃ log q),
    ``dual`` (KL[q(ŷ|z) || p̃(y|x)]) and ``logits`` (n_models, batch, n_classes).

    Source: Alemi et al. (2017), Eq. (7)-(8); Piran et al. (2020), Sec. 6.
    """
    mu, sigma = model.encode(x)
    rate = 0.5 * (sigma.square() + mu.square() - 1.0 - 2.0 * sigma.log()).sum(-1)
    z = mu + sigma * eps
    logits = model.decode(z)
    log_q = torch.log_softmax(logits, dim=-1)
    ce = -(p_tilde * log_q).sum(-1)
    dual = (log_q.exp() * (log_q - p_tilde.log())).sum(-1)
    return {"rate": rate, "ce": ce, "dual": dual, "logits": logits}


def objective(
    terms: dict[str, torch.Tensor], kind: Sequence[str], beta: torch.Tensor, gamma: torch.Tensor
) -> torch.Tensor:
    """The training loss of each model (mean over the batch), shape (n_models,).

    Parameters
    ----------
    terms : dict from :func:`loss_terms`
    kind : sequence of str, length n_models, each in ``KINDS``
    beta, gamma : tensor, shape (n_models,)
        Weights of the prediction term and of the dual term (γ is ignored for ``"vib"``).

    Raises
    ------
    ValueError
        On an unknown kind.
    """
    unknown = set(kind) - set(KINDS)
    if unknown:
        raise ValueError(f"kind must be in {KINDS}, got {sorted(unknown)}")
    w_ce = torch.tensor([0.0 if k == "vdualib_pure" else 1.0 for k in kind]) * beta
    w_dual = torch.tensor([0.0 if k == "vib" else 1.0 for k in kind]) * gamma
    per_example = terms["rate"] + w_ce[:, None] * terms["ce"] + w_dual[:, None] * terms["dual"]
    return per_example.mean(-1)


# ----------------------------------------------------------------------------------------------
# Training a sweep
# ----------------------------------------------------------------------------------------------
@dataclasses.dataclass
class SweepHistory:
    """What :func:`train_variational_ensemble` returns.

    Attributes
    ----------
    model : GaussianEncoderEnsemble
        The trained ensemble (n_models networks).
    loss : ndarray, shape (n_models, n_epochs)
        Mean training objective of each epoch (nats).
    """

    model: GaussianEncoderEnsemble
    loss: np.ndarray


def _check_data(x: np.ndarray, y: np.ndarray, n_classes: int) -> None:
    if x.ndim != 2 or y.shape != (x.shape[0],):
        raise ValueError(f"x must have shape (n, d) and y shape (n,), got {x.shape} and {y.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("x contains NaN or inf")
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"labels must lie in 0..{n_classes - 1}")


def train_variational_ensemble(
    x: np.ndarray,
    y: np.ndarray,
    noise: np.ndarray,
    *,
    kinds: Sequence[str],
    betas: Sequence[float],
    gammas: Sequence[float],
    seeds: Sequence[int],
    hidden_widths: Sequence[int] = (128, 128),
    z_dim: int = 16,
    n_epochs: int = 200,
    batch_size: int = 100,
    learning_rate: float = 1e-3,
    n_threads: int | None = None,
    callback: Callable[[int, np.ndarray], None] | None = None,
) -> SweepHistory:
    """Train one VIB / VdualIB model per (kinds[m], betas[m], gammas[m], seeds[m]) with Adam, all at once.

    (Not to be confused with :func:`ipflow_lib.ensembles.train_ensemble`, the JAX trainer of the 12-bit MLPs.)

    Parameters
    ----------
    x : ndarray, shape (n_train, n_in)
        Training inputs.
    y : ndarray of int, shape (n_train,)
        Training labels (0..K−1).
    noise : ndarray, shape (K, K)
        Confusion matrix of the label noise: p̃(y|x) = noise[label(x)] (rows sum to 1, entries > 0).
    kinds, betas, gammas, seeds : sequences of length n_models
        Objective (in ``KINDS``), β > 0, γ >= 0 and seed of each model. The seed fixes the
        initialisation, the mini-batch order and the reparameterisation noise.
    hidden_widths, z_dim : encoder architecture (ReLU hidden widths, dimension of Z).
    n_epochs, batch_size, learning_rate : Adam training (mini-batches drawn without replacement each epoch).
    n_threads : int, optional
        ``torch.set_num_threads`` during training (restored afterwards).
    callback : callable(epoch, loss_of_epoch), optional
        Called after every epoch with the (n_models,) mean losses, e.g. to advance a progress bar.

    Returns
    -------
    SweepHistory

    Raises
    ------
    ValueError
        On inconsistent lengths, β <= 0, γ < 0, a bad noise matrix or bad data.
    """
    x = np.asarray(x, dtype=np.float32)
    y = np.asarray(y, dtype=np.int64)
    noise = np.asarray(noise, dtype=np.float64)
    n_classes = noise.shape[0]
    _check_data(x, y, n_classes)
    if noise.shape != (n_classes, n_classes) or np.any(noise <= 0) or not np.allclose(noise.sum(1), 1.0):
        raise ValueError("noise must be a (K, K) matrix with positive entries and rows summing to 1")
    n_models = len(kinds)
    if not (len(betas) == len(gammas) == len(seeds) == n_models) or n_models == 0:
        raise ValueError("kinds, betas, gammas and seeds must have the same, non-zero length")
    for i, (b, g) in enumerate(zip(betas, gammas, strict=True)):  # NaN or inf would train to NaN
        as_float(f"betas[{i}]", b, above=0.0)
        as_float(f"gammas[{i}]", g, minimum=0.0)
    if n_epochs < 1 or batch_size < 1:
        raise ValueError("n_epochs and batch_size must be >= 1")

    old_threads = torch.get_num_threads()
    if n_threads:
        torch.set_num_threads(int(n_threads))
    try:
        model = GaussianEncoderEnsemble(x.shape[1], hidden_widths, z_dim, n_classes, seeds)
        opt = torch.optim.Adam(model.parameters(), lr=learning_rate)
        xt = torch.from_numpy(x)
        pt = torch.from_numpy(noise[y]).float()
        beta_t = torch.tensor(betas, dtype=torch.float32)
        gamma_t = torch.tensor(gammas, dtype=torch.float32)
        unique_seeds = sorted(set(int(s) for s in seeds))
        row = torch.tensor([unique_seeds.index(int(s)) for s in seeds])
        gens = [torch.Generator().manual_seed(10_007 * s + 1) for s in unique_seeds]
        n = x.shape[0]
        batch_size = min(batch_size, n)
        n_batches = math.ceil(n / batch_size)
        losses = np.zeros((n_models, n_epochs))
        for epoch in range(n_epochs):
            perms = torch.stack([torch.randperm(n, generator=g) for g in gens])  # (n_unique_seeds, n)
            total = torch.zeros(n_models)
            for b in range(n_batches):
                idx = perms[:, b * batch_size : (b + 1) * batch_size][row]  # (n_models, B)
                eps_s = torch.stack([torch.randn(idx.shape[1], model.z_dim, generator=g) for g in gens])
                terms = loss_terms(model, xt[idx], pt[idx], eps_s[row])
                loss = objective(terms, kinds, beta_t, gamma_t)
                opt.zero_grad(set_to_none=True)
                loss.sum().backward()
                opt.step()
                total += loss.detach() * idx.shape[1]
            losses[:, epoch] = (total / n).numpy()
            if callback is not None:
                callback(epoch, losses[:, epoch])
    finally:
        torch.set_num_threads(old_threads)
    return SweepHistory(model=model, loss=losses)


@torch.no_grad()
def evaluate(
    model: GaussianEncoderEnsemble,
    x: np.ndarray,
    y: np.ndarray,
    noise: np.ndarray,
    *,
    n_samples: int = 8,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Information and accuracy of every model of ``model`` on one data set.

    Parameters
    ----------
    model : GaussianEncoderEnsemble
    x : ndarray, shape (n, n_in)
    y : ndarray of int, shape (n,)
    noise : ndarray, shape (K, K)
        The label noise model (for the dual term).
    n_samples : int
        Draws of z ~ e(z|x) per example for the sampled terms.
    seed : int
        Seed of those draws.

    Returns
    -------
    dict of ndarrays, each of shape (n_models,):

    * ``rate``: E_x KL[e(z|x) || r(z)] in bits, an upper bound on I(X;Z) (Alemi et al. 2017, Eq. 13).
    * ``i_zy``: H(Y) − E[−log q(y|z)] in bits with the true labels, a lower bound on I(Z;Y)
      (Alemi et al. 2017, Eq. 12), H(Y) the empirical label entropy of ``y``.
    * ``ce``: E[−log q(y|z)] in bits (true labels).
    * ``dual``: E KL[q(ŷ|z) || p̃(y|x)] in bits.
    * ``accuracy``: fraction of correct argmax q(ŷ|μ(x)) (the encoder mean, as in the authors' test step).
    """
    x = np.asarray(x, dtype=np.float32)
    y = np.asarray(y, dtype=np.int64)
    noise = np.asarray(noise, dtype=np.float64)
    _check_data(x, y, noise.shape[0])
    if n_samples < 1:
        raise ValueError(f"n_samples must be >= 1, got {n_samples}")
    m = model.n_models
    xt = torch.from_numpy(x).expand(m, -1, -1)
    yt = torch.from_numpy(y)
    pt = torch.from_numpy(noise[y]).float().expand(m, -1, -1)
    gen = torch.Generator().manual_seed(int(seed))
    mu, _ = model.encode(xt)
    accuracy = (model.decode(mu).argmax(-1) == yt).float().mean(-1)
    rate = ce = dual = 0.0
    for _ in range(n_samples):
        eps = torch.randn(mu.shape[1], mu.shape[2], generator=gen).expand(m, -1, -1)
        terms = loss_terms(model, xt, pt, eps)
        log_q = torch.log_softmax(terms["logits"], -1)
        rate = terms["rate"].mean(-1)
        ce = ce + (-log_q.gather(-1, yt.expand(m, -1)[..., None])[..., 0]).mean(-1) / n_samples
        dual = dual + terms["dual"].mean(-1) / n_samples
    p_y = np.bincount(y, minlength=noise.shape[0]) / y.size
    h_y = -np.sum(p_y[p_y > 0] * np.log2(p_y[p_y > 0]))
    ce_bits = ce.numpy() / LN2
    return {
        "rate": rate.numpy() / LN2,
        "i_zy": h_y - ce_bits,
        "ce": ce_bits,
        "dual": dual.numpy() / LN2,
        "accuracy": accuracy.numpy(),
    }
