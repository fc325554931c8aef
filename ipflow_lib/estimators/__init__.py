"""Mutual information from samples. One call shape for every estimator::

    i_xt, i_ty = estimator(t, y, ...)

``t`` has shape (..., n_samples, n_units) (leading dims: seeds, epochs, layers; they broadcast), ``y``
has shape (n_samples,) with integer labels; X is uniform over the n_samples inputs. Results are in
bits unless ``base`` says otherwise.

``binned_mi``                 SZT17 binning (fixed, per-layer [min, max] range, or Saxe's bin size)
``binned_mi_max_abs``         binning over each layer's [−max|t|, max|t|] range (ReLU)
``binned_mi_sweep``           binning under several bin counts / sizes at once
``kde_mi``, ``kde_bounds``    Kolchinsky–Tracey pairwise-distance bounds for T = h + N(0, σ² I)
``noisy_mi``                  Monte Carlo I(X;T), I(T;Y) of the same noisy layer, with error bars
``ksg_mi``                    Kraskov–Stögbauer–Grassberger kNN estimator for continuous (x, z)
``plugin_mi``, ``binned_pair_mi``  plug-in I(X;Z) of discrete / binned continuous pairs
"""

from .binning import binned_mi, digitize
from .kde import KDEBounds, kde_bounds, kde_estimators, kde_mi, pairwise_kernel_sums
from .knn import ksg_mi
from .noisy import NoisyMIEstimate, noisy_estimators, noisy_mi, noisy_mi_estimate
from .sweeps import binned_mi_max_abs, binned_mi_sweep, binned_pair_mi, binning_estimators, plugin_mi

__all__ = [
    "KDEBounds",
    "NoisyMIEstimate",
    "binned_mi",
    "binned_mi_max_abs",
    "binned_mi_sweep",
    "binned_pair_mi",
    "binning_estimators",
    "digitize",
    "kde_bounds",
    "kde_estimators",
    "kde_mi",
    "ksg_mi",
    "noisy_estimators",
    "noisy_mi",
    "noisy_mi_estimate",
    "pairwise_kernel_sums",
    "plugin_mi",
]
