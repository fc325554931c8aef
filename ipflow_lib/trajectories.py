"""Analysis of logged information-plane trajectories: phases, compression, first epochs, one bootstrap.

The curves come from the trainer experiments (I(X;T), I(T;Y), accuracies and gradient statistics per
network, logged epoch and layer); the functions here turn them into the numbers the chapters and the claims
quote:

``compression``                 drop of I(X;T) from its peak to its final value, per network and layer
``compression_onset``           the logged epoch of the peak of I(X;T) that a real fall follows
``phase_times``                 epochs of the fitting and compression phases of each layer (SZT17 Sec. 5, Fig. 5)
``first_epoch_reaching``        the first logged epoch at which a curve reaches a level
``drift_diffusion_transition``  the first logged epoch at which the gradient SNR falls below 1 (SZT17 Fig. 4)
``noise_floor``                 per layer, the smallest fall of I(X;T) that counts as compression
``onset_above_floor``           per layer, the epoch of the peak of a curve whose fall exceeds a floor
``after_run``                   an epoch that never happened, placed after the run (for comparing epochs)
``decades``                     log10((a + 1)/(b + 1)): epochs compared on the book's log axes
``spearman``                    Spearman rank correlation of two sequences (NaN for a constant one)
``bootstrap``                   5–95 % intervals of any statistic of resampled networks (the one bootstrap)
``bootstrap_interval``          :func:`bootstrap` of a scalar statistic, as a (lo, hi) pair
``bootstrap_phase_times``       :func:`bootstrap` of :func:`phase_times` of the mean over networks
``compare_epochs``              shallow against deep: how many times sooner, and do the intervals separate
``epochs_text``                 a list of epochs for prose, "never" where an epoch is NaN

Units: information in bits, time in epochs. Nothing here trains or plots.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .validation import as_array, as_float, as_int, as_seed, check_size


def _real(name: str, x) -> np.ndarray:
    """``x`` as a float64 array (NaN allowed: logged curves and intervals hold NaN for "never"); TypeError for
    strings, ``None``, bools, complex numbers."""
    return as_array(name, x, finite=False, nonempty=False).astype(np.float64)


def _epochs(epochs) -> np.ndarray:
    """Logged epochs as a non-empty 1-d float64 array (ValueError otherwise)."""
    epochs = _real("epochs", epochs)
    if epochs.ndim != 1 or epochs.size == 0:
        raise ValueError(f"epochs must be a non-empty 1-d array of logged epochs, got shape {epochs.shape}")
    return epochs

__all__ = [
    "after_run",
    "bootstrap",
    "bootstrap_interval",
    "bootstrap_phase_times",
    "compare_epochs",
    "compression",
    "compression_onset",
    "decades",
    "drift_diffusion_transition",
    "epochs_text",
    "first_epoch_reaching",
    "noise_floor",
    "onset_above_floor",
    "phase_times",
    "spearman",
]

PHASE_KEYS = ("fit_epoch", "compression_start", "compression_end", "compression_bits")


def compression(i_xt, axis: int = 1) -> np.ndarray:
    """Compression of I(X;T): its maximum over logged epochs minus its final value, bits.

    Parameters
    ----------
    i_xt : array, e.g. (n_networks, n_logged, n_layers), bits
    axis : the axis of the logged epochs (default 1)

    Returns
    -------
    ndarray with ``axis`` removed, ≥ 0: 0 means I(X;T) ended at its maximum (no compression phase).
    """
    i_xt = _real("i_xt", i_xt)
    axis = as_int("axis", axis)
    if not -i_xt.ndim <= axis < i_xt.ndim or i_xt.shape[axis] == 0:
        raise ValueError(f"axis={axis} must name a non-empty axis of i_xt, whose shape is {i_xt.shape}")
    return i_xt.max(axis=axis) - np.take(i_xt, -1, axis=axis)


def compression_onset(i_xt, epochs, min_compression_bits: float = 0.1) -> np.ndarray:
    """The logged epoch at which compression starts: the peak of I(X;T), when a fall of at least
    ``min_compression_bits`` from the peak to the final value follows (SZT17's compression phase).

    Parameters
    ----------
    i_xt : array (n_logged, n_layers), bits -- one trajectory per layer (e.g. the mean over networks)
    epochs : (n_logged,) logged epochs
    min_compression_bits : float ≥ 0 -- smaller falls are not compression

    Returns
    -------
    (n_layers,) float, epochs; NaN for a layer that does not compress (or an all-NaN padding column).

    Raises
    ------
    ValueError
        If ``i_xt`` is not (n_logged, n_layers) with n_logged = len(epochs), or ``min_compression_bits`` < 0.

    Examples
    --------
    >>> compression_onset(np.array([[3.0, 1.0], [5.0, 2.0], [4.0, 3.0]]), [0, 10, 20])
    array([10., nan])
    """
    i_xt, epochs = _real("i_xt", i_xt), _real("epochs", epochs)
    if i_xt.ndim != 2 or i_xt.shape[0] != epochs.size:
        raise ValueError(f"i_xt must have shape (n_logged, n_layers) with n_logged = len(epochs) = {epochs.size}, "
                         f"got {i_xt.shape}")
    min_compression_bits = as_float("min_compression_bits", min_compression_bits, minimum=0.0)
    return phase_times(i_xt, np.zeros_like(i_xt), epochs, min_compression_bits=min_compression_bits)[
        "compression_start"]


def phase_times(
    i_xt,
    i_ty,
    epochs,
    *,
    fit_level: float = 0.95,
    compression_level: float = 0.9,
    min_compression_bits: float = 0.1,
) -> dict[str, np.ndarray]:
    """Epochs of the fitting and compression phases of each layer's trajectory (SZT17 Sec. 5, Fig. 5).

    Parameters
    ----------
    i_xt, i_ty : arrays (n_logged, n_layers), bits -- one trajectory per layer (e.g. the mean over networks);
        columns that are all NaN (padding) give NaN
    epochs : (n_logged,) increasing logged epochs
    fit_level : the layer has *fitted* once I(T;Y) ≥ I₀ + fit_level · (max I(T;Y) − I₀), I₀ its initial value
    compression_level : compression *ends* once I(X;T) ≤ peak − compression_level · (peak − final)
    min_compression_bits : a fall of I(X;T) from its peak to its final value smaller than this is not
        compression (start and end are NaN)

    Returns
    -------
    dict of (n_layers,) float arrays: ``fit_epoch``, ``compression_start`` (epoch of the peak of I(X;T)),
    ``compression_end``, ``compression_bits`` (peak − final I(X;T), bits). A layer whose I(T;Y) never rises
    has fit_epoch = its first logged epoch.

    Raises
    ------
    ValueError
        On mismatched shapes or levels outside (0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> e = np.arange(5)
    >>> out = phase_times(np.array([[3.], [5.], [4.], [3.2], [3.]]), np.array([[0.], [.5], [1.], [1.], [1.]]), e)
    >>> [float(out[k][0]) for k in ("fit_epoch", "compression_start", "compression_end", "compression_bits")]
    [2.0, 1.0, 3.0, 2.0]
    """
    i_xt, i_ty, epochs = _real("i_xt", i_xt), _real("i_ty", i_ty), _real("epochs", epochs)
    if i_xt.ndim != 2 or i_xt.shape != i_ty.shape or i_xt.shape[0] != epochs.size:
        raise ValueError(
            f"i_xt and i_ty must have shape (n_logged, n_layers) with n_logged = len(epochs) = {epochs.size}; "
            f"got {i_xt.shape} and {i_ty.shape}"
        )
    for name, level in (("fit_level", fit_level), ("compression_level", compression_level)):
        as_float(name, level, above=0.0, maximum=1.0)
    min_compression_bits = as_float("min_compression_bits", min_compression_bits, minimum=0.0)
    n_layers = i_xt.shape[1]
    out = {k: np.full(n_layers, np.nan) for k in PHASE_KEYS}
    for k in range(n_layers):
        x, t = i_xt[:, k], i_ty[:, k]
        if np.isnan(x).all():
            continue
        target = t[0] + fit_level * (t.max() - t[0])
        out["fit_epoch"][k] = epochs[np.argmax(t >= target - 1e-12)]
        peak = int(np.argmax(x))
        drop = x[peak] - x[-1]
        out["compression_bits"][k] = drop
        if drop < min_compression_bits or drop <= 0:
            continue
        after = x[peak:] <= x[peak] - compression_level * drop + 1e-12
        out["compression_start"][k] = epochs[peak]
        out["compression_end"][k] = epochs[peak + int(np.argmax(after))]
    return out


def noise_floor(i_xt, floor: float = 0.1, n_se: float = 2.0) -> np.ndarray:
    """Per layer, the smallest fall of the network-mean I(X;T) that counts as compression, bits.

    The floor is max(``floor``, ``n_se`` · sd / √n), sd the standard deviation (ddof 1) over the n networks of
    the layer's *final* value: a fixed part (the maximum of a noisy curve always lies above its end) and the
    across-network noise of the end point (``n_se`` standard errors). With one network sd is taken as 0.

    Parameters
    ----------
    i_xt : (n_networks, n_logged, n_layers), bits
    floor : fixed part, bits ≥ 0
    n_se : standard errors of the across-network noise, ≥ 0

    Returns
    -------
    (n_layers,) float, bits

    Raises
    ------
    ValueError
        ``i_xt`` not 3-d, or ``floor`` / ``n_se`` negative.

    Examples
    --------
    >>> x = np.zeros((4, 3, 2)); x[:, -1, 1] = [0.0, 1.0, 0.0, 1.0]  # layer 2 ends at 0 or 1 bit
    >>> noise_floor(x).round(3)
    array([0.1  , 0.577])
    """
    i_xt = _real("i_xt", i_xt)
    if i_xt.ndim != 3:
        raise ValueError(f"i_xt must have shape (n_networks, n_logged, n_layers), got {i_xt.shape}")
    floor = as_float("floor", floor, minimum=0.0)
    n_se = as_float("n_se", n_se, minimum=0.0)
    n = i_xt.shape[0]
    sd = i_xt[:, -1].std(axis=0, ddof=1) if n > 1 else np.zeros(i_xt.shape[2])
    return np.maximum(floor, n_se * np.nan_to_num(sd) / math.sqrt(n))


def onset_above_floor(mean_i_xt, epochs, floor) -> np.ndarray:
    """Per layer, the logged epoch of the peak of ``mean_i_xt`` when its fall from the peak to the end is
    *larger* than ``floor``; NaN otherwise (the compression onset against a per-layer :func:`noise_floor`).

    Parameters
    ----------
    mean_i_xt : (n_logged, n_layers), bits -- e.g. the mean over networks
    epochs : (n_logged,) logged epochs
    floor : float or (n_layers,), bits

    Returns
    -------
    (n_layers,) float, epochs

    Raises
    ------
    ValueError
        On mismatched shapes.

    Examples
    --------
    >>> onset_above_floor(np.array([[3.0, 1.0], [5.0, 2.0], [4.0, 3.0]]), [0, 10, 20], 0.5)
    array([10., nan])
    """
    mean_i_xt, epochs = _real("mean_i_xt", mean_i_xt), _real("epochs", epochs)
    if mean_i_xt.ndim != 2 or mean_i_xt.shape[0] != epochs.size:
        raise ValueError(f"mean_i_xt must have shape (n_logged, n_layers) with n_logged = len(epochs) = "
                         f"{epochs.size}, got {mean_i_xt.shape}")
    drop = compression(mean_i_xt, axis=0)
    peak = epochs[np.argmax(mean_i_xt, axis=0)]
    floor = _real("floor", floor)
    if np.isnan(floor).any() or (floor < 0).any():
        raise ValueError(f"floor must be ≥ 0 bits (no NaN), got {floor!r}")
    return np.where(drop > floor, peak, np.nan)


def after_run(epoch, epochs, factor: float = 2.0):
    """``epoch`` (float or array) with NaN (the event never happened) replaced by ``factor`` × the last of
    ``epochs``: an event that never happens is placed after the run when two epochs are compared.

    >>> after_run(np.array([5.0, np.nan]), [0, 10, 100])
    array([  5., 200.])
    """
    checked = _real("epoch", epoch)  # checked only: the result keeps the caller's dtype, as before
    if (checked < 0).any():
        raise ValueError(f"epoch must hold epochs ≥ 0 (NaN: never), got {epoch!r}")
    factor = as_float("factor", factor, above=0.0)
    return np.where(np.isfinite(epoch), epoch, factor * float(_epochs(epochs)[-1]))


def decades(a, b):
    """log10((a + 1)/(b + 1)): how many decades epoch ``a`` lies after epoch ``b`` (epochs + 1, as on the
    book's log axes); arrays broadcast.

    >>> float(decades(99, 9))
    1.0
    """
    a, b = _real("a", a), _real("b", b)
    if (a < 0).any() or (b < 0).any():
        raise ValueError(f"a and b must be epochs ≥ 0 (NaN allowed), got {a!r} and {b!r}")
    return np.log10((a + 1.0) / (b + 1.0))


def spearman(a, b) -> float:
    """Spearman rank correlation of two sequences of equal length (ties get mean ranks); NaN when either is
    constant (no order to correlate).

    Raises
    ------
    ValueError
        ``a`` and ``b`` not 1-d of the same length ≥ 2.

    >>> spearman([1, 2, 3, 4], [10, 20, 30, 1000]), spearman([1, 2, 3], [3, 2, 1])
    (1.0, -1.0)
    """
    from scipy.stats import rankdata

    a, b = _real("a", a), _real("b", b)
    if a.ndim != 1 or a.shape != b.shape or a.size < 2:
        raise ValueError(f"a and b must be 1-d of the same length ≥ 2, got {a.shape} and {b.shape}")
    ra, rb = rankdata(a), rankdata(b)
    if np.ptp(ra) == 0 or np.ptp(rb) == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


def first_epoch_reaching(values, epochs, level: float) -> float:
    """The first of ``epochs`` at which ``values`` (n_logged,) reaches ``level``; NaN if it never does.

    Examples
    --------
    >>> first_epoch_reaching([0.1, 0.5, 0.97, 0.96], [0, 1, 2, 3], 0.95)
    2.0
    """
    values = _real("values", values)
    level = as_float("level", level)
    epochs = _epochs(epochs)
    if values.shape != epochs.shape:
        raise ValueError(f"values must have one value per logged epoch, shape {epochs.shape}; got {values.shape}")
    hit = values >= level
    return float(epochs[np.argmax(hit)]) if hit.any() else float("nan")


def drift_diffusion_transition(grad_mean, grad_std, epochs) -> np.ndarray:
    """Per layer, the first logged epoch at which the gradient SNR falls below 1 (SZT17 Sec. 4.2, Fig. 4).

    The SNR is the ratio of the network-averaged norms, nanmean ||mean|| / nanmean ||std||: while it is above
    1 the weights *drift*, below it they *diffuse*.

    Parameters
    ----------
    grad_mean, grad_std : (n_networks, n_logged, n_layers) -- norms of the mean and of the standard deviation
        of each layer's weight gradients over the mini-batches of each logged epoch
    epochs : (n_logged,) logged epochs

    Returns
    -------
    (n_layers,) float, epochs -- NaN for a layer whose SNR never falls below 1 (e.g. full-batch training,
    where the standard deviation over mini-batches is 0).

    Raises
    ------
    ValueError
        On mismatched shapes.
    """
    grad_mean, grad_std, epochs = np.asarray(grad_mean), np.asarray(grad_std), np.asarray(epochs)
    if grad_mean.ndim != 3 or grad_mean.shape != grad_std.shape or grad_mean.shape[1] != epochs.size:
        raise ValueError(f"grad_mean and grad_std must have shape (n_networks, n_logged, n_layers) with n_logged = "
                         f"len(epochs) = {epochs.size}; got {grad_mean.shape} and {grad_std.shape}")
    with np.errstate(divide="ignore", invalid="ignore"):
        snr = np.nanmean(grad_mean, axis=0) / np.nanmean(grad_std, axis=0)
    out = np.full(snr.shape[1], np.nan)
    for k in range(snr.shape[1]):
        below = np.flatnonzero(snr[:, k] < 1.0)
        if below.size:
            out[k] = epochs[below[0]]
    return out


def bootstrap(
    statistic: Callable[[np.ndarray], np.ndarray | float | dict],
    n_networks: int,
    n_bootstrap: int,
    seed: int | np.random.Generator,
    *,
    percentiles=(5, 95),
    min_fraction: float = 0.5,
):
    """Percentile intervals of a statistic of the networks over bootstrap resamples of the networks.

    The one bootstrap of the library: resample ``n_networks`` networks with replacement ``n_bootstrap``
    times (``pick = rng.integers(0, n_networks, n_networks)``, one draw per resample, in order), evaluate
    ``statistic(pick)`` on each and take the ``percentiles`` of every element over the resamples.

    **NaN rule**: a statistic may be NaN or inf in a resample (a phase that does not happen, a level never
    reached); such values are dropped, and an element whose finite values number fewer than
    ``min_fraction · n_bootstrap`` gets a NaN interval (the event is not typical of the resamples). With
    ``n_bootstrap = 0`` every interval is NaN.

    Parameters
    ----------
    statistic : callable ``pick -> value`` -- ``pick`` is an int array (n_networks,) of network indices;
        the value is a float, an array of a fixed shape, or a dict of such arrays
    n_networks : int ≥ 1
    n_bootstrap : int ≥ 0 -- resamples
    seed : int or ``numpy.random.Generator`` -- an int seeds ``numpy.random.default_rng``; a generator is used
        as is (and advanced), so that several bootstraps can share one stream of draws
    percentiles : the percentiles of the interval (default 5 and 95)
    min_fraction : see the NaN rule

    Returns
    -------
    ndarray (*shape, len(percentiles)), or a dict of them for a dict-valued statistic.

    Raises
    ------
    ValueError
        ``n_networks`` < 1, ``n_bootstrap`` < 0 or ``min_fraction`` outside [0, 1].

    Examples
    --------
    >>> x = np.array([1.0, 2.0, 3.0, 4.0])
    >>> lo, hi = bootstrap(lambda pick: x[pick].mean(), 4, 200, seed=0)
    >>> bool(1.0 < lo < 2.5 < hi < 4.0)
    True
    """
    n_networks = as_int("n_networks", n_networks)
    check_size("n_networks", n_networks)
    n_bootstrap = as_int("n_bootstrap", n_bootstrap)
    min_fraction = as_float("min_fraction", min_fraction)
    if not isinstance(seed, np.random.Generator):
        seed = as_seed("seed", seed)
    if n_networks < 1 or n_bootstrap < 0 or not 0.0 <= min_fraction <= 1.0:
        raise ValueError(f"need n_networks ≥ 1, n_bootstrap ≥ 0 and min_fraction in [0, 1]; got {n_networks}, "
                         f"{n_bootstrap}, {min_fraction}")
    if isinstance(percentiles, (str, bytes)) or not hasattr(percentiles, "__len__") or not len(percentiles):
        raise TypeError(f"percentiles must be a non-empty sequence of numbers in [0, 100], got {percentiles!r}")
    for i, q in enumerate(percentiles):
        as_float(f"percentiles[{i}]", q, minimum=0.0, maximum=100.0)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    draws = [statistic(rng.integers(0, n_networks, n_networks)) for _ in range(n_bootstrap)]
    example = draws[0] if draws else statistic(np.arange(n_networks))
    levels = list(percentiles)

    def intervals(values: np.ndarray) -> np.ndarray:  # values (n_bootstrap, *shape)
        out = np.full((*values.shape[1:], len(levels)), np.nan)
        for idx in np.ndindex(*values.shape[1:]):
            v = values[(slice(None), *idx)]
            v = v[np.isfinite(v)]
            if n_bootstrap and v.size >= min_fraction * n_bootstrap:
                out[idx] = np.percentile(v, levels)
        return out

    def stacked(get) -> np.ndarray:
        shape = np.shape(get(example))
        return np.array([get(d) for d in draws], dtype=float).reshape(len(draws), *shape)

    if isinstance(example, dict):
        return {key: intervals(stacked(lambda d, key=key: d[key])) for key in example}
    return intervals(stacked(lambda d: d))


def bootstrap_interval(
    statistic: Callable[[np.ndarray], float],
    n_networks: int,
    n_bootstrap: int = 200,
    seed: int | np.random.Generator = 0,
    percentiles=(5.0, 95.0),
) -> tuple[float, float]:
    """The (lo, hi) percentile interval of a scalar statistic of the networks: :func:`bootstrap` (same draws,
    same NaN rule) returned as a pair of floats (NaN, NaN when the statistic is not typical of the resamples).

    >>> x = np.array([1.0, 2.0, 3.0, 4.0])
    >>> lo, hi = bootstrap_interval(lambda pick: x[pick].mean(), 4)
    >>> (lo, hi) == tuple(float(v) for v in bootstrap(lambda pick: x[pick].mean(), 4, 200, 0))
    True
    """
    lo, hi = bootstrap(statistic, n_networks, n_bootstrap, seed, percentiles=percentiles)
    return float(lo), float(hi)


def bootstrap_phase_times(i_xt, i_ty, epochs, n_bootstrap, seed, **levels) -> dict[str, np.ndarray]:
    """5–95 % bootstrap intervals (n_layers, 2) of :func:`phase_times` of the mean over resampled networks.

    ``i_xt``, ``i_ty`` have shape (n_networks, n_logged, n_layers), bits; ``levels`` are the keyword
    arguments of :func:`phase_times`; resampling and the NaN rule as in :func:`bootstrap` (an int ``seed``
    or a generator). Returns the dict of :func:`phase_times` with an interval per layer.
    """
    i_xt, i_ty = _real("i_xt", i_xt), _real("i_ty", i_ty)
    return bootstrap(lambda pick: phase_times(i_xt[pick].mean(0), i_ty[pick].mean(0), epochs, **levels),
                     i_xt.shape[0], n_bootstrap, seed)


def compare_epochs(what: str, epochs, ci, than: str = "") -> tuple[str, bool]:
    """Compare the first and the last entry of ``epochs`` (e.g. the shallowest and the deepest network).

    The ratio is (epoch₀ + 1) / (epoch₋₁ + 1), epochs + 1 as on the book's log axes; the two are *apart* when
    their intervals do not overlap.

    Parameters
    ----------
    what : the phrase that the comparison completes, e.g. "reach the training accuracy"
    epochs : (n,) float epochs (NaN: not reached)
    ci : (n, 2) intervals of the epochs
    than : appended after "sooner"/"later", e.g. " than the shallowest"

    Returns
    -------
    (sentence, supports) -- e.g. ("reach the training accuracy 2.0 times sooner (5–95 % intervals apart)",
    True); ``supports`` is True when the last is sooner *and* the intervals are apart. Where either epoch is
    NaN: ("<what>: not reached by both", False).

    Examples
    --------
    >>> compare_epochs("fit", np.array([99.0, 49.0]), np.array([[90, 110], [40, 60]]))
    ('fit 2.0 times sooner (5–95 % intervals apart)', True)
    """
    epochs, ci = _real("epochs", epochs), _real("ci", ci)
    if epochs.ndim != 1 or epochs.size < 1 or ci.shape != (epochs.size, 2):
        raise ValueError(f"epochs must have shape (n,) and ci (n, 2), got {epochs.shape} and {ci.shape}")
    if not np.all(np.isfinite(epochs[[0, -1]])):
        return f"{what}: not reached by both", False
    ratio = float((epochs[0] + 1) / (epochs[-1] + 1))
    clear = bool(ci[-1, 1] < ci[0, 0] or ci[0, 1] < ci[-1, 0])
    how = f"{ratio:.1f} times sooner" if ratio >= 1 else f"{1 / ratio:.1f} times later"
    apart = "5–95 % intervals apart" if clear else "5–95 % intervals overlap"
    return f"{what} {how}{than} ({apart})", ratio > 1 and clear


def epochs_text(values) -> str:
    """Epochs for prose: ``"12, never, 300"`` (whole epochs, "never" for NaN).

    >>> epochs_text([12.0, float("nan"), 300.0])
    '12, never, 300'
    """
    return ", ".join("never" if not np.isfinite(v) else f"{v:.0f}" for v in np.atleast_1d(_real("values", values)))
