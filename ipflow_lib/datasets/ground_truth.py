"""Tasks whose mutual information is known in closed form: the yardsticks for every estimator.

``gaussian_mi``              I(X;Z) of a jointly Gaussian vector from its covariance
``correlated_gaussians``     samples of dim independent pairs (x_k, z_k) with correlation rho, and their MI
``discrete_mi``              I(X;Z) of a joint probability table
``sample_discrete``          samples of a joint table, and its MI
``gaussian_mixture_mi``      I(X;T) and I(T;Y) of T = h(X) + N(0, σ²) for 1-d centres, by quadrature
``noisy_grid``               the same for centres on a d-dimensional product grid (truth = d × the 1-d value)
``deterministic_ceiling``    log n: I(X;T) of any injective layer when X is uniform over n inputs
``TWELVE_BIT_CEILING``       the 12-bit task's ceilings: I(X;T) ≤ log2 4096 = 12 bits, I(T;Y) ≤ H(Y)

All results are in bits unless a ``base`` argument says otherwise.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..validation import as_array, as_base, as_float, as_int, as_seed, check_size

__all__ = [
    "TWELVE_BIT_CEILING",
    "GroundTruthSample",
    "correlated_gaussians",
    "deterministic_ceiling",
    "discrete_mi",
    "gaussian_mi",
    "gaussian_mixture_mi",
    "NoisyGridTask",
    "noisy_grid",
    "sample_discrete",
]


def _log(base: float) -> float:
    return as_base(base)


def _rng(seed) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(as_seed("seed", seed))


@dataclasses.dataclass(frozen=True)
class GroundTruthSample:
    """Paired samples with their true mutual information.

    Attributes
    ----------
    x : ndarray, shape (n_samples, dx)
    z : ndarray, shape (n_samples, dz)
    mi : float
        The true I(X;Z) of the distribution sampled (bits unless the generator was given ``base``).
    description : str
    """

    x: np.ndarray
    z: np.ndarray
    mi: float
    description: str


def gaussian_mi(cov, dx: int, *, base: float = 2.0) -> float:
    """I(X;Z) of a jointly Gaussian (X, Z) with covariance ``cov``: ½ log(det Σ_xx det Σ_zz / det Σ).

    Parameters
    ----------
    cov : array_like, shape (dx + dz, dx + dz)
        Symmetric positive-definite joint covariance; X is the first ``dx`` coordinates.
    dx : int
        Dimension of X, 1 ≤ dx < len(cov).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        Non-square, non-symmetric or not positive-definite ``cov``, or dx out of range.

    Source: Cover & Thomas (2006), Eq. 8.56 (entropy of a multivariate normal).

    Examples
    --------
    >>> round(gaussian_mi([[1.0, 0.6], [0.6, 1.0]], 1), 6)     # −½ log2(1 − 0.36)
    0.321928
    """
    cov = as_array("cov", cov).astype(np.float64)
    if cov.ndim != 2 or cov.shape[0] != cov.shape[1]:
        raise ValueError(f"cov must be a square matrix, got shape {cov.shape}")
    dx = as_int("dx", dx)
    _log(base)
    if not 1 <= dx < cov.shape[0]:
        raise ValueError(f"dx must be in 1..{cov.shape[0] - 1}, got {dx}")
    if not np.allclose(cov, cov.T):
        raise ValueError("cov must be symmetric")
    logdets = []
    for block in (cov, cov[:dx, :dx], cov[dx:, dx:]):
        sign, logdet = np.linalg.slogdet(block)
        if sign <= 0:
            raise ValueError("cov must be positive definite")
        logdets.append(logdet)
    return float(0.5 * (logdets[1] + logdets[2] - logdets[0]) / _log(base))


def correlated_gaussians(
    n_samples: int, dim: int = 1, rho: float = 0.5, *, seed: int | np.random.Generator = 0, base: float = 2.0
) -> GroundTruthSample:
    """``dim`` independent pairs (x_k, z_k) of standard normals with correlation ``rho``.

    I(X;Z) = −(dim/2) log(1 − rho²), the sum over the pairs.

    Parameters
    ----------
    n_samples : int
        Number of i.i.d. samples, ≥ 1.
    dim : int
        Dimension of X and of Z, ≥ 1.
    rho : float
        Correlation of each pair, in (−1, 1).
    seed : int or numpy.random.Generator

    Returns
    -------
    GroundTruthSample with x, z of shape (n_samples, dim).
    """
    n_samples = as_int("n_samples", n_samples, minimum=1)
    dim = as_int("dim", dim, minimum=1)
    check_size("n_samples × dim", 2 * n_samples * dim)
    rho = as_float("rho", rho, above=-1.0, below=1.0)
    _log(base)
    rng = _rng(seed)
    x = rng.standard_normal((int(n_samples), int(dim)))
    z = rho * x + np.sqrt(1.0 - rho**2) * rng.standard_normal((int(n_samples), int(dim)))
    mi = -0.5 * dim * np.log(1.0 - rho**2) / _log(base)
    return GroundTruthSample(x, z, float(mi), f"{dim}+{dim}-dim Gaussian, rho = {rho:g}")


def _check_table(p_xz) -> np.ndarray:
    p = as_array("p_xz", p_xz, finite=False, nonempty=False).astype(np.float64)
    if p.ndim != 2 or p.size == 0:
        raise ValueError(f"p_xz must be a 2-d joint probability table, got shape {p.shape}")
    if not np.isfinite(p).all() or (p < 0).any():
        raise ValueError("p_xz must hold finite non-negative probabilities")
    if not np.isclose(p.sum(), 1.0, atol=1e-9):
        raise ValueError(f"p_xz must sum to 1, sums to {p.sum():.12g}")
    return p


def discrete_mi(p_xz, *, base: float = 2.0) -> float:
    """I(X;Z) = Σ p(x,z) log[p(x,z) / (p(x) p(z))] of a joint table.

    Parameters
    ----------
    p_xz : array_like, shape (n_x, n_z), non-negative, summing to 1.

    Raises
    ------
    ValueError
        Negative entries, NaN, or a table that does not sum to 1.

    Examples
    --------
    >>> discrete_mi([[0.5, 0.0], [0.0, 0.5]])
    1.0
    """
    p = _check_table(p_xz)
    px = p.sum(axis=1, keepdims=True)
    pz = p.sum(axis=0, keepdims=True)
    nz = p > 0
    return float(np.sum(p[nz] * np.log(p[nz] / (px @ pz)[nz])) / _log(base))


def sample_discrete(
    p_xz, n_samples: int, *, seed: int | np.random.Generator = 0, base: float = 2.0
) -> GroundTruthSample:
    """``n_samples`` i.i.d. pairs (x, z) of integer symbols drawn from the table ``p_xz``.

    Returns
    -------
    GroundTruthSample with integer x, z of shape (n_samples, 1) and mi = :func:`discrete_mi`.
    """
    p = _check_table(p_xz)
    n_samples = as_int("n_samples", n_samples, minimum=1)
    check_size("n_samples", 2 * n_samples)
    _log(base)
    rng = _rng(seed)
    flat = rng.choice(p.size, size=int(n_samples), p=p.ravel() / p.sum())
    x, z = np.divmod(flat, p.shape[1])
    return GroundTruthSample(
        x[:, None].astype(np.int64), z[:, None].astype(np.int64), discrete_mi(p, base=base),
        f"{p.shape[0]}x{p.shape[1]} joint table",
    )


def gaussian_mixture_mi(
    centres, noise_variance: float, labels=None, *, base: float = 2.0, points_per_sigma: int = 40
) -> tuple[float, float]:
    """Exact I(X;T) and I(T;Y) of T = h(X) + N(0, σ²) for scalar centres h, by numerical quadrature.

    X is uniform over the n centres h_i (an n-input, 1-unit deterministic layer); T is the mixture
    (1/n) Σ N(h_i, σ²), so I(X;T) = h(T) − ½ ln(2πeσ²), and I(T;Y) = h(T) − Σ_y p(y) h(T|y). The
    entropies are integrated on a uniform grid (``points_per_sigma`` points per σ, ±10σ beyond the
    extreme centres), accurate to ~1e-9 bits: the ground truth for the KDE bounds and the noisy
    Monte Carlo estimator.

    Parameters
    ----------
    centres : array_like, shape (n,)
    noise_variance : float
        σ² > 0.
    labels : array_like of int, shape (n,), optional
        Classes of the centres (all one class if omitted: I(T;Y) = 0).

    Returns
    -------
    i_xt, i_ty : float
    """
    h = as_array("centres", centres, finite=False, nonempty=False).astype(np.float64).reshape(-1)
    if h.size == 0 or not np.isfinite(h).all():
        raise ValueError("centres must be a non-empty finite 1-d array")
    noise_variance = as_float("noise_variance", noise_variance, above=0.0)
    points_per_sigma = as_float("points_per_sigma", points_per_sigma, minimum=1.0, maximum=1e4)
    _log(base)
    y = np.zeros(h.size, dtype=np.int64) if labels is None else as_array("labels", labels, kind="integer").reshape(-1)
    if y.size != h.size:
        raise ValueError(f"labels has {y.size} entries for {h.size} centres")
    sigma = float(np.sqrt(noise_variance))
    # integrate only near the centres: merge the windows [h_i − 10σ, h_i + 10σ]
    order = np.sort(h)
    grids, lo, hi = [], order[0] - 10 * sigma, order[0] + 10 * sigma
    for c in order[1:]:
        if c - 10 * sigma > hi:
            grids.append((lo, hi))
            lo = c - 10 * sigma
        hi = c + 10 * sigma
    grids.append((lo, hi))
    step = sigma / points_per_sigma
    grid = np.concatenate([np.arange(a, b + step, step) for a, b in grids])

    def entropy(cs):  # differential entropy (nats) of (1/len(cs)) Σ N(c, σ²)
        total = 0.0
        for chunk in np.array_split(grid, max(1, grid.size * cs.size // 4_000_000 + 1)):
            dens = np.exp(-((chunk[:, None] - cs[None, :]) ** 2) / (2 * noise_variance)).mean(axis=1)
            dens /= np.sqrt(2 * np.pi * noise_variance)
            total -= np.sum(np.where(dens > 0, dens * np.log(np.where(dens > 0, dens, 1.0)), 0.0)) * step
        return total

    h_noise = 0.5 * np.log(2 * np.pi * np.e * noise_variance)
    h_t = entropy(h)
    classes, counts = np.unique(y, return_counts=True)
    h_t_y = sum(cnt / h.size * entropy(h[y == c]) for c, cnt in zip(classes, counts, strict=True))
    scale = _log(base)
    return float((h_t - h_noise) / scale), float((h_t - h_t_y) / scale)


@dataclasses.dataclass(frozen=True)
class NoisyGridTask:
    """A noisy layer with known information: centres on a product grid, T = h(X) + N(0, σ² I).

    Attributes
    ----------
    centres : ndarray, shape (m**dim, dim)
        All points of the grid levels × ... × levels; X is uniform over them.
    labels : ndarray of int, shape (m**dim,)
        Y = (index of the first coordinate's level) mod 2.
    noise_variance : float
    i_xt, i_ty : float
        The exact I(X;T) and I(T;Y) (bits unless ``base`` was given).
    """

    centres: np.ndarray
    labels: np.ndarray
    noise_variance: float
    i_xt: float
    i_ty: float


def noisy_grid(levels, dim: int, noise_variance: float, *, base: float = 2.0) -> NoisyGridTask:
    """Ground truth for noisy-layer estimators in ``dim`` dimensions.

    X is uniform over the grid levels^dim, so its coordinates X_1..X_dim are independent and so
    are those of T = X + N(0, σ² I): I(X;T) = dim · I(X_1;T_1), and Y depends on X_1 only, so
    I(T;Y) = I(T_1;Y). Both 1-d terms come from :func:`gaussian_mixture_mi`.

    Parameters
    ----------
    levels : array_like, shape (m,)
        Coordinates of the grid along each axis.
    dim : int, ≥ 1
    noise_variance : float, > 0

    Returns
    -------
    NoisyGridTask
    """
    levels = as_array("levels", levels).astype(np.float64).reshape(-1)
    dim = as_int("dim", dim, minimum=1)
    if dim * np.log2(max(levels.size, 1)) > 16 or levels.size ** dim > 2**16:
        raise ValueError(f"levels ({levels.size}) ** dim ({dim}) grid points exceed 65536; use fewer levels or dims")
    index = np.stack(np.meshgrid(*[np.arange(levels.size)] * int(dim), indexing="ij"), axis=-1).reshape(-1, dim)
    level_labels = np.arange(levels.size) % 2
    i_xt_1, i_ty_1 = gaussian_mixture_mi(levels, noise_variance, level_labels, base=base)
    return NoisyGridTask(
        centres=levels[index], labels=level_labels[index[:, 0]].astype(np.int64),
        noise_variance=float(noise_variance), i_xt=float(dim * i_xt_1), i_ty=float(i_ty_1),
    )


def deterministic_ceiling(n_samples: int, *, base: float = 2.0) -> float:
    """log n_samples: I(X;T) = H(T) of any layer that maps n equiprobable inputs to distinct values.

    For a deterministic network and discrete X, this is the value every faithful estimator must
    give once the layer is injective (log2 4096 = 12 bits for the 12-bit task).
    """
    n_samples = as_int("n_samples", n_samples, minimum=1)
    return float(np.log(n_samples) / _log(base))


#: The 12-bit task's ceilings (bits): I(X;T) ≤ log2 4096 and I(T;Y) ≤ H(Y) (2118 ones in 4096 labels).
TWELVE_BIT_CEILING = {
    "i_xt": 12.0,
    "i_ty": float(-(2118 / 4096) * np.log2(2118 / 4096) - (1978 / 4096) * np.log2(1978 / 4096)),
}
