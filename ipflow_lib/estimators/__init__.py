"""Mutual information from samples. One call shape for every estimator::

    i_xt, i_ty = estimator(t, y, ...)

``t`` has shape (..., n_samples, n_units) (leading dims: seeds, epochs, layers; they broadcast), ``y``
has shape (n_samples,) with integer labels; X is uniform over the n_samples inputs. Results are in
bits unless ``base`` says otherwise.
"""

from .binning import binned_mi, digitize

__all__ = ["binned_mi", "digitize"]
