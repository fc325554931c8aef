"""Mutual information from samples. One call shape for every estimator::

    i_xt, i_ty = estimator(t, y, ...)

``t`` has shape (..., n_samples, n_units) (leading dims: seeds, epochs, layers; they broadcast), ``y``
has shape (n_samples,) with integer labels; X is uniform over the n_samples inputs. Results are in
bits unless ``base`` says otherwise.

``binned_mi``                 SZT17 binning (fixed, per-layer [min, max] range, or Saxe's bin size)
``FixedBins``                 ``binned_mi`` with fixed edges, its cells and row codes computed in the trainer
``binned_mi_max_abs``         binning over each layer's [−max|t|, max|t|] range (ReLU)
``binned_mi_sweep``           binning under several bin counts / sizes at once
``layer_cells``, ``plugin_entropy``  a binned layer's cells, and the plug-in entropy of integer symbols
``noisy_label_information``   I(T;Y) of a partition of the inputs under soft labels p(y|x)
``kde_mi``, ``kde_bounds``    Kolchinsky–Tracey pairwise-distance bounds for T = h + N(0, σ² I)
``noisy_mi``                  Monte Carlo I(X;T), I(T;Y) of the same noisy layer, with error bars
``sample_propagation_mi``     Goldfeld et al.'s SP estimator of a noisy network's I(X;T) (``mixture_entropy``)
``ksg_mi``                    Kraskov–Stögbauer–Grassberger kNN estimator for continuous (x, z)
``plugin_mi``, ``binned_pair_mi``  plug-in I(X;Z) of discrete / binned continuous pairs

Gaussian channels (closed forms; :mod:`.gaussian`): ``gaussian_entropy``, ``gaussian_kl``,
``gaussian_bhattacharyya``, ``gaussian_kl_full``, and ``mixture_information`` (pairwise and sampled bounds
on I(X;Z), I(Z;Y) of a Gaussian mixture). The pairwise-distance bounds have one implementation,
:mod:`.pairwise`, which ``kde_*`` (equal variances) and ``mixture_information`` (any diagonal variances) share.
"""

from .binning import FixedBins, binned_mi, digitize, layer_cells, noisy_label_information, plugin_entropy
from .gaussian import (
    MixtureInformation,
    check_gaussian_moments,
    gaussian_bhattacharyya,
    gaussian_entropy,
    gaussian_kl,
    gaussian_kl_full,
    mixture_information,
)
from .kde import KDEBounds, kde_bounds, kde_estimators, kde_mi, pairwise_kernel_sums
from .knn import ksg_mi
from .noisy import NoisyMIEstimate, noisy_estimators, noisy_mi, noisy_mi_estimate
from .pairwise import pairwise_cross_bounds, pairwise_entropy_terms, pairwise_mi
from .sample_propagation import SPEstimate, mixture_entropy, sample_propagation_mi
from .sweeps import binned_mi_max_abs, binned_mi_sweep, binned_pair_mi, binning_estimators, plugin_mi

__all__ = [
    "FixedBins",
    "KDEBounds",
    "MixtureInformation",
    "NoisyMIEstimate",
    "SPEstimate",
    "binned_mi",
    "binned_mi_max_abs",
    "binned_mi_sweep",
    "binned_pair_mi",
    "binning_estimators",
    "check_gaussian_moments",
    "digitize",
    "gaussian_bhattacharyya",
    "gaussian_entropy",
    "gaussian_kl",
    "gaussian_kl_full",
    "kde_bounds",
    "kde_estimators",
    "kde_mi",
    "ksg_mi",
    "layer_cells",
    "mixture_entropy",
    "mixture_information",
    "noisy_estimators",
    "noisy_label_information",
    "noisy_mi",
    "noisy_mi_estimate",
    "pairwise_cross_bounds",
    "pairwise_entropy_terms",
    "pairwise_kernel_sums",
    "pairwise_mi",
    "plugin_entropy",
    "plugin_mi",
    "sample_propagation_mi",
]
