"""Pairwise-distance bounds on the information of a Gaussian mixture (Kolchinsky & Tracey 2017).

With X uniform over n inputs and p(z|x_i) = p_i a Gaussian, Z is the mixture (1/n) Σ_i p_i. For any
pairwise divergence D between its components, Kolchinsky & Tracey (2017, Eqs. 10, 13–14) bound

    Ĥ_D(Z) = H(Z|X) − (1/n) Σ_i ln[(1/n) Σ_j exp(−D(p_i ‖ p_j))],

from above with D = KL and from below with D = Bhattacharyya. H(Z|X) cancels in I(X;Z) = H(Z) − H(Z|X), and
the same bound on each class-conditional mixture (1/n_y) Σ_{j: y_j = y} p_j gives Σ_y p(y) H(Z|Y=y). This
module is the one implementation of that step; two callers feed it the kernel exp(−D_ij):

* :mod:`ipflow_lib.estimators.kde` — equal variances σ² I (a noisy layer T = h + N(0, σ² I)), where
  KL = ||h_i − h_j||² / (2σ²) and Bhattacharyya = ||h_i − h_j||² / (8σ²), summed by fast matrix products;
* :func:`ipflow_lib.estimators.mixture_information` — components with their own diagonal variances
  (the infinite ensembles of :mod:`ipflow_lib.ntk`), with the general Gaussian KL and Bhattacharyya.

Everything here is in nats; callers divide by ln(base).
"""

from __future__ import annotations

import numpy as np

from ..validation import as_array

__all__ = ["pairwise_cross_bounds", "pairwise_entropy_terms", "pairwise_mi"]


def pairwise_entropy_terms(log_mean_all, log_mean_own) -> tuple[np.ndarray, np.ndarray]:
    """Pairwise estimates of H(Z) − H(Z|X) and Σ_y p(y) H(Z|Y=y) − H(Z|X), nats, from log mean kernels.

    Parameters
    ----------
    log_mean_all : array_like, shape (..., n)
        ln[(1/n) Σ_j exp(−D_ij)] for every component i (row i of the kernel matrix, averaged).
    log_mean_own : array_like, shape (..., n)
        ln[(1/n_{y_i}) Σ_{j: y_j = y_i} exp(−D_ij)]: the same over the components of i's class.

    Returns
    -------
    h, h_given_y : ndarray, shape (...)
        −mean_i log_mean_all and −mean_i log_mean_own (Kolchinsky & Tracey 2017, Eq. 10 with H(Z|X)
        subtracted; with X uniform, Σ_y p(y) · mean over class y = mean over all i). With D = KL they
        are upper bounds, with D = Bhattacharyya lower bounds, of the quantities named.
    """
    log_mean_all = as_array("log_mean_all", log_mean_all, min_ndim=1, finite=False)
    log_mean_own = as_array("log_mean_own", log_mean_own, min_ndim=1, finite=False)
    return -log_mean_all.mean(axis=-1), -log_mean_own.mean(axis=-1)


def pairwise_mi(h, h_given_y) -> tuple[np.ndarray, np.ndarray]:
    """(I(X;Z), I(Z;Y)) from the terms of one divergence: (max(h, 0), h − h_given_y), nats.

    I(X;Z) = h is a bound (upper for KL, lower for Bhattacharyya; clipped at 0 against rounding). I(Z;Y)
    is the difference of two bounds of the same kind, an estimate but not a bound (Saxe et al. 2018's code).
    """
    h = as_array("h", h, finite=False, nonempty=False)
    as_array("h_given_y", h_given_y, finite=False, nonempty=False)  # checked; used as given (dtype kept)
    return np.clip(h, 0.0, None), h - h_given_y


def pairwise_cross_bounds(upper_terms, lower_terms, h_y) -> tuple[np.ndarray, np.ndarray]:
    """Bounds (lower, upper) on I(Z;Y) = H(Z) − Σ_y p(y) H(Z|Y=y), nats, from the KL and Bhattacharyya terms.

    upper = min(h_KL − h_given_y_B, h_KL, H(Y)) and lower = max(h_B − h_given_y_KL, 0): each mixture
    entropy replaced by the bound that keeps the inequality (data processing gives the caps).

    Parameters
    ----------
    upper_terms, lower_terms : (h, h_given_y)
        :func:`pairwise_entropy_terms` of the KL and of the Bhattacharyya kernel; arrays of one shape.
    h_y : float or array_like
        H(Y) in nats.
    """
    (h_up, hy_up), (h_lo, hy_lo) = upper_terms, lower_terms
    upper = np.minimum(np.minimum(h_up - hy_lo, h_up), h_y)
    lower = np.maximum(h_lo - hy_up, 0.0)
    return lower, upper
