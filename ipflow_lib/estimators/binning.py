"""The binning estimator of Shwartz-Ziv & Tishby (2017).

Each unit's activation is put into one of the cells cut by fixed edges ``linspace(lo, hi, n_bins)``
(the same for every unit, layer and epoch, as in the authors' code); a layer's vector of cells is
one discrete symbol T. X is uniform over the n distinct inputs and the network is deterministic, so
H(T|X) = 0 and I(X;T) = H(T) ≤ log2 n, and I(T;Y) = H(T) + H(Y) − H(T,Y).
"""

from __future__ import annotations

import numpy as np

from ..validation import as_array, as_float, as_int, as_range, check_size
from ._common import check_representation, codes_are_exact, encode_rows, entropy_of_codes, joint_entropies, log_base

#: Most cells ``t / bin_size`` may span: the cell numbers must be exact integers in int64.
MAX_CELLS = 2**52


def _check_bins(n_bins, minimum: int) -> int:
    n_bins = as_int("n_bins", n_bins, minimum=minimum)
    check_size("n_bins", n_bins)
    return n_bins


def digitize(t: np.ndarray, n_bins: int = 30, value_range: tuple[float, float] = (-1.0, 1.0)) -> np.ndarray:
    """Cell index of every activation: ``np.digitize(t, linspace(lo, hi, n_bins))``, values 0..n_bins.

    Inside [lo, hi) this is the authors' binning exactly. Values below ``lo`` or at/above ``hi`` fall in
    the two open outer cells (the authors' code folded values below ``lo`` onto the top edge).

    Raises
    ------
    TypeError
        Non-numeric ``t``, ``n_bins`` or ``value_range``.
    ValueError
        NaN/inf in ``t`` (NaN has no cell), ``n_bins`` < 1 or too large to allocate, a range that is not
        finite with lo < hi.
    """
    t = as_array("t", t, nonempty=False)
    return _digitize(t, _check_bins(n_bins, 1), as_range("value_range", value_range))


def _digitize(t: np.ndarray, n_bins: int, value_range: tuple[float, float]) -> np.ndarray:
    lo, hi = value_range
    edges = np.linspace(lo, hi, n_bins)
    t = np.asarray(t)
    dtype = np.float32 if t.dtype == np.float32 else np.float64
    # Edges are uniform: the cell is floor((t - lo) / width) + 1. Values within rounding error of an
    # edge are recomputed with np.digitize, so that the result equals np.digitize(t, edges) exactly
    # (several times faster than np.digitize alone).
    u = (t.astype(dtype, copy=False) - dtype(lo)) * dtype((n_bins - 1) / (hi - lo))
    np.clip(u, -1, n_bins, out=u)
    cells = np.floor(u)
    near = np.abs(u - np.rint(u)) < (1e-4 if dtype == np.float32 else 1e-9)
    cells = cells.astype(np.int16 if n_bins < 2**15 else np.int64) + 1
    np.clip(cells, 0, n_bins, out=cells)
    if near.any():
        cells[near] = np.digitize(t[near], edges)
    return cells


def binned_mi(
    t,
    y,
    n_bins: int = 30,
    value_range: tuple[float, float] | None = (-1.0, 1.0),
    *,
    bin_size: float | None = None,
    base: float = 2.0,
) -> tuple[np.ndarray, np.ndarray]:
    """I(X;T) and I(T;Y) of a deterministic layer by binning its activations (SZT17, Sec. 3.2).

    Parameters
    ----------
    t : array_like, shape (..., n_samples, n_units)
        Activations of one layer on all n_samples inputs; leading dims (seeds, epochs, ...) broadcast.
    y : array_like of int, shape (n_samples,)
        Labels of the inputs. X is uniform over the n_samples distinct inputs.
    n_bins : int
        Number of edges ``linspace(lo, hi, n_bins)`` (30 in the paper, 50 in the 2017 runs).
    value_range : (lo, hi) or None
        Fixed range of the edges, (−1, 1) as in the paper (right for tanh; clips ReLU). ``None``
        adapts it per row of the leading dims to [min, max] of that layer's activations
        (an adaptive per-layer range, as needed for ReLU).
    bin_size : float, optional
        Instead of a bin count, cells of this width: symbol = floor(t / bin_size) (Saxe et al. 2018
        used 0.07). Overrides ``n_bins`` and ``value_range``.
    base : float
        Logarithm base of the result (2: bits).

    Returns
    -------
    i_xt, i_ty : ndarray, shape t.shape[:-2]
        I(X;T) = H(T) ≤ log n_samples and I(T;Y) ≤ min(H(Y), I(X;T)), in units of log ``base``.

    Raises
    ------
    ValueError
        Wrong shapes, labels of the wrong length or < 0, NaN/inf activations (diverged run), n_bins < 2 or
        too large to allocate, a non-finite range or lo ≥ hi, bin_size ≤ 0 or not finite, or a bin_size so
        small that the cell numbers t / bin_size would overflow (more than 2**52 cells).
    TypeError
        Non-numeric activations or parameters (strings, ``None``), fractional n_bins or labels.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.linspace(-0.9, 0.9, 8)[:, None]          # 8 inputs in 8 different bins
    >>> i_xt, i_ty = binned_mi(t, np.array([0, 0, 0, 0, 1, 1, 1, 1]), n_bins=30)
    >>> round(float(i_xt), 6), round(float(i_ty), 6)     # log2 8 and H(Y) = 1 bit
    (3.0, 1.0)
    """
    t, y = check_representation(t, y)
    if bin_size is not None:
        as_float("bin_size", bin_size, above=0.0)  # checked; the division keeps the caller's dtype as before
        with np.errstate(over="ignore"):
            scaled = t / bin_size
        reach = float(np.abs(scaled).max())
        if not reach < MAX_CELLS:
            raise ValueError(
                f"bin_size={bin_size!r} is too small for activations up to {float(np.abs(t).max()):.3g}: "
                f"t / bin_size reaches {reach:.3g} cells, more than the 2**52 that exact integer cell numbers allow; "
                "use a larger bin_size"
            )
        symbols = np.floor(scaled).astype(np.int64)
        symbols -= symbols.min(axis=(-2, -1), keepdims=True)
        n_symbols = int(symbols.max()) + 1
    else:
        n_bins = _check_bins(n_bins, 2)
        if value_range is None:
            lo = t.min(axis=(-2, -1), keepdims=True)
            hi = t.max(axis=(-2, -1), keepdims=True)
            hi = np.where(hi > lo, hi, lo + 1.0)
            # edges linspace(lo, hi, n_bins) per row, the top edge nudged so the maximum stays inside
            scaled = (t - lo) / (hi - lo) * (n_bins - 1) * (1 - 1e-9)
            symbols = np.floor(scaled).astype(np.int64) + 1
        else:
            symbols = _digitize(t, n_bins, as_range("value_range", value_range))
        n_symbols = n_bins + 1
    scale = log_base(base)
    n_classes = int(y.max()) + 1 if y.size else 1
    codes_t, codes_ty = encode_rows(symbols, n_symbols, labels=y, n_classes=n_classes)
    exact = codes_are_exact(symbols.shape[-1], n_symbols, n_classes)
    h_t, h_ty = joint_entropies(codes_t, codes_ty, n_classes, exact)
    h_y = entropy_of_codes(y)
    i_ty = np.clip(h_t + h_y - h_ty, 0.0, None)
    return h_t / scale, i_ty / scale


def plugin_entropy(codes, *, base: float = 2.0) -> np.ndarray:
    """Plug-in (maximum-likelihood) entropy of the empirical distribution of integer symbols, last axis.

    H = log n − (1/n) Σ_s c_s log c_s, with c_s the number of times symbol s occurs among the n samples
    of a row (Cover & Thomas 2006, Eq. 2.1 applied to the empirical distribution). With X uniform over n
    inputs and T a deterministic symbol of each input (a binned layer, :func:`layer_cells`), it is I(X;T).

    Parameters
    ----------
    codes : array_like of int, shape (..., n)
        Every row is one sample of n symbols (any integers: labels, cells, codes); leading dims broadcast.
    base : float
        Logarithm base of the result (2: bits, e: nats).

    Returns
    -------
    ndarray, float64, shape codes.shape[:-1]
        Between 0 (one symbol) and log n (all different).

    Raises
    ------
    TypeError
        Non-integer ``codes``.
    ValueError
        A 0-d array or an empty last axis; base ≤ 0 or 1.

    Examples
    --------
    >>> float(plugin_entropy([0, 0, 1, 2]))
    1.5
    """
    codes = as_array("codes", codes, nonempty=False)
    if not np.issubdtype(codes.dtype, np.integer):
        raise TypeError(f"codes must hold integer symbols, got dtype {codes.dtype}")
    if codes.ndim < 1 or codes.shape[-1] == 0:
        raise ValueError(f"codes must have shape (..., n) with n ≥ 1, got shape {codes.shape}")
    return entropy_of_codes(codes) / log_base(base)


def layer_cells(t, n_bins: int, value_range: tuple[float, float] = (-1.0, 1.0)) -> np.ndarray:
    """The bin cell of every input in one layer (the symbol T of :func:`binned_mi`), numbered 0..k−1 per row.

    Parameters
    ----------
    t : array_like, shape (n_networks, n_samples, n_units)
        Activations of one layer of each network on all inputs.
    n_bins, value_range
        The binning of :func:`digitize` (edges ``linspace(lo, hi, n_bins)``, SZT17 Sec. 3.2).

    Returns
    -------
    ndarray, int32, shape (n_networks, n_samples)
        Inputs whose binned activation vectors are equal share a label; labels are 0..k−1 in the order
        of the sorted codes. ``plugin_entropy(cells)`` is the binned I(X;T).

    Raises
    ------
    ValueError
        ``t`` not 3-D; ``n_bins`` and ``value_range`` as :func:`digitize`. (NaN activations of a diverged
        network are not refused here: they fall in a cell of their own.)
    """
    t = as_array("t", t, finite=False, nonempty=False)
    if t.ndim != 3:
        raise ValueError(f"t must have shape (n_networks, n_samples, n_units), got shape {t.shape}")
    n_bins = _check_bins(n_bins, 1)
    codes = encode_rows(_digitize(t, n_bins, as_range("value_range", value_range)), n_bins + 1)
    cells = np.empty(codes.shape, dtype=np.int32)
    for i, row in enumerate(codes):
        cells[i] = np.unique(row, return_inverse=True)[1]
    return cells


def noisy_label_information(cells, p_y_given_x, *, base: float = 2.0) -> np.ndarray:
    """I(T;Y) of a deterministic partition T of uniformly distributed inputs, for soft labels p(y|x).

    I(T;Y) = H(Y) − Σ_t p(t) H(Y | T=t), with p(y|t) the mean of p(y|x) over the inputs of cell t
    (REFERENCE: binning with soft labels; SZT17 measured the layers against the IB bound of the noisy
    12-bit task, whose labels are soft).

    Parameters
    ----------
    cells : array_like of int, shape (..., n_samples)
        Cell of every input (e.g. :func:`layer_cells`).
    p_y_given_x : array_like, shape (n_samples, n_y)
        Rows are distributions over the labels.
    base : float
        Logarithm base of the result (2: bits).

    Returns
    -------
    ndarray, shape cells.shape[:-1]
        Between 0 and I(X;Y) of the soft joint (data processing), in units of log ``base``.

    Raises
    ------
    ValueError
        Mismatched sizes, negative or non-integer cells, or rows of ``p_y_given_x`` that are not distributions.
    """
    cells = as_array("cells", cells, nonempty=False)
    p = as_array("p_y_given_x", p_y_given_x, ndim=2).astype(np.float64)
    scale = log_base(base)
    if p.ndim != 2 or cells.shape[-1:] != p.shape[:1]:
        raise ValueError(
            f"cells (..., n_samples) and p_y_given_x (n_samples, n_y) must match, got {cells.shape} and {p.shape}"
        )
    if not np.issubdtype(cells.dtype, np.integer) or (cells.size and cells.min() < 0):
        raise ValueError("cells must hold non-negative integer cell labels")
    if (p < 0).any() or not np.allclose(p.sum(axis=1), 1.0, atol=1e-9):
        raise ValueError("p_y_given_x must hold probabilities ≥ 0 whose rows sum to 1")
    n = p.shape[0]
    p_y = p.mean(axis=0)
    h_y = -float(np.sum(p_y * np.log(np.where(p_y > 0, p_y, 1.0))))
    flat = cells.reshape(-1, n)
    out = np.empty(flat.shape[0])
    for i, row in enumerate(flat):
        counts = np.bincount(row).astype(np.float64)
        sums = np.stack([np.bincount(row, weights=p[:, j], minlength=counts.size) for j in range(p.shape[1])], 1)
        used = counts > 0
        q = sums[used] / counts[used, None]
        h_cond = -np.sum(np.where(q > 0, q * np.log(np.where(q > 0, q, 1.0)), 0.0), axis=1)
        out[i] = h_y - float(counts[used] @ h_cond) / n
    return np.clip(out, 0.0, None).reshape(cells.shape[:-1]) / scale


def _nineteen_bits(x) -> np.float32:
    """x as float32 with its last 5 mantissa bits cleared: times an integer below 32 it is exact in float32."""
    return (np.asarray(x, dtype=np.float32).view(np.uint32) & np.uint32(0xFFFFFFE0)).view(np.float32)[()]


def _computed_edges(table: np.ndarray, lo: float, hi: float) -> tuple[np.float32, np.float32, int, int] | None:
    """For :meth:`FixedBins.device_cells`: the edges ``table[j]`` (j = 1..n_bins), computed.

    ``E(j) = (lo + k·s1) + k·s2`` with k = j − 1 and the step (hi − lo)/(n_bins − 1) split into two float32
    numbers of 19 significant bits, so that both products are exact and the sums round the same with or
    without a fused multiply-add (XLA's CPU backend may fuse): E(j) is the same float32 on the host and on the
    device. The float32 edge is then E(j) moved by δ(j) ∈ {−1, 0, 1} units in its last place, δ + 1 stored in
    two 32-bit masks over j. Returns (s1, s2, mask0, mask1), or None when the table does not fit in the masks
    or an edge is within reach of 0 or of subnormal numbers (XLA's CPU flushes those): then the edges are
    looked up.
    """
    n = table.size - 2
    if table.size > 32:
        return None
    step = (float(hi) - float(lo)) / (n - 1)
    s1 = _nineteen_bits(step)
    s2 = _nineteen_bits(step - float(s1))
    k = np.arange(n, dtype=np.float32)
    first, second = np.float32(lo) + k * s1, k * s2
    computed = first + second
    edges = table[1:-1]
    tiny = np.finfo(np.float32).tiny
    normal = [(a == 0) | (np.abs(a) >= tiny) for a in (first, second, computed)]
    delta = edges.view(np.int32).astype(np.int64) - computed.view(np.int32).astype(np.int64)
    moved = delta != 0
    if not (np.all(normal) and np.all(np.abs(delta) <= 1)
            and np.all(~moved | ((np.sign(computed) == np.sign(edges)) & (np.abs(computed) >= tiny)))):
        return None
    code = (delta + 1).astype(np.int64)  # 0, 1, 2 for j = 1..n
    j = np.arange(1, n + 1, dtype=np.int64)
    mask0 = int(np.sum(np.left_shift(code & 1, j)))
    mask1 = int(np.sum(np.left_shift(code >> 1, j)))
    return s1, s2, mask0, mask1


class FixedBins:
    """:func:`binned_mi` with fixed edges, as an estimator that :func:`ipflow_lib.ensembles.train_ensemble` runs
    partly on the device: the bin cells and the codes of the binned rows are computed inside the jitted
    evaluation of the logged epochs, so that only one integer per input and layer comes back to the host,
    where the codes are sorted once for H(T) and H(T, Y) (SZT17 Sec. 3.2).

    ``FixedBins(n_bins, value_range)(t, y)`` is ``binned_mi(t, y, n_bins, value_range)``, and the device path
    gives the same numbers bit for bit: the cells are those of ``np.digitize(t, linspace(lo, hi, n_bins))``
    (float32 activations compared with the float64 edges exactly; XLA's CPU backend treats subnormal numbers as 0,
    and its own activations are never subnormal) and the codes are the same mixed-radix integers as
    :func:`binned_mi`'s, so the sorted order and every sum are the same.

    Parameters
    ----------
    n_bins : int ≥ 2 -- number of edges (30 in the paper)
    value_range : (lo, hi), finite, lo < hi -- the fixed range of the edges, (−1, 1) for tanh
    base : float -- logarithm base of the results (2: bits)

    Raises
    ------
    TypeError, ValueError
        As :func:`binned_mi` for these parameters.
    """

    def __init__(self, n_bins: int = 30, value_range: tuple[float, float] = (-1.0, 1.0), *, base: float = 2.0):
        self.n_bins = _check_bins(n_bins, 2)
        self.value_range = as_range("value_range", value_range)
        log_base(base)  # checked
        self.base = float(base)
        edges = np.linspace(*self.value_range, self.n_bins)
        up = edges.astype(np.float32)  # the smallest float32 ≥ each edge: t ≥ edge ⟺ t ≥ up for float32 t
        up = np.where(up.astype(np.float64) < edges, np.nextafter(up, np.float32(np.inf)), up)
        # E[c] ≤ t < E[c + 1] for the cell c = np.digitize(t, edges) in 0..n_bins
        self._table = np.concatenate([[-np.inf], up, [np.inf]]).astype(np.float32)
        n_symbols = self.n_bins + 1
        self._units_per_word = max(int(np.floor(31.999 / np.log2(n_symbols))), 1)  # n_symbols**m < 2**32
        self._computed = _computed_edges(self._table, *self.value_range)

    def _key(self):
        return (self.n_bins, self.value_range, self.base)

    def __eq__(self, other):
        return type(other) is type(self) and other._key() == self._key()

    def __hash__(self):
        return hash((type(self).__name__, self._key()))

    def __repr__(self):
        return f"FixedBins(n_bins={self.n_bins}, value_range={self.value_range}, base={self.base:g})"

    def __call__(self, t, y) -> tuple[np.ndarray, np.ndarray]:
        """``binned_mi(t, y, n_bins, value_range, base=base)``: t (..., n_samples, n_units) -> (i_xt, i_ty)."""
        return binned_mi(t, y, self.n_bins, self.value_range, base=self.base)

    def device_cells(self, t):
        """Inside a jitted JAX function: ``np.digitize(t, linspace(lo, hi, n_bins))`` of t (..., n_samples)
        float32, exactly, as int32 cells 0..n_bins of the same shape.

        A first guess ``g`` from ``floor((t − lo) / step)`` is within one cell of the true one; the true cell
        follows from comparing t with the float32 edges on either side of ``g``. Those edges are computed rather
        than looked up (a gather on XLA's CPU backend costs more than the rest of the evaluation): see
        :func:`_computed_edges`, which falls back to the lookup where computing them would not be exact.
        """
        import jax
        import jax.numpy as jnp

        lo, hi = self.value_range
        n = self.n_bins
        guess = jnp.floor((t - np.float32(lo)) * np.float32((n - 1) / (hi - lo)))
        guess = jnp.clip(guess, -1, n) + 1  # 0..n + 1, within one cell of the true one
        g = guess.astype(jnp.int32)
        if self._computed is None:
            table = jnp.asarray(self._table)
            below, above = jnp.take(table, g, mode="clip"), jnp.take(table, g + 1, mode="clip")
        else:
            s1, s2, mask0, mask1 = self._computed

            def edge(j, k):  # table[j] = -inf, E(j) moved by δ(j) (j = 1..n), inf; k = j - 1 as float32
                computed = (np.float32(lo) + k * s1) + k * s2
                at = jnp.minimum(j, n + 1).astype(jnp.uint32)
                delta = ((jnp.uint32(mask0) >> at) & 1) + 2 * ((jnp.uint32(mask1) >> at) & 1)
                bits = jax.lax.bitcast_convert_type(computed, jnp.int32) + delta.astype(jnp.int32) - 1
                value = jax.lax.bitcast_convert_type(bits, jnp.float32)
                return jnp.where(j == 0, -np.inf, jnp.where(j > n, np.inf, value))

            below, above = edge(g, guess - 1), edge(g + 1, guess)
        return g - (t < below) + (t >= above)

    def device_codes(self, t, n_classes: int) -> tuple:
        """Inside a jitted JAX function: the binned rows of t (n_networks, n_units, n_samples) float32 as uint32
        words (:meth:`device_cells`, then packed).

        Returns a tuple of uint32 arrays (n_networks, n_samples), the mixed-radix code of the cells of
        consecutive groups of units (each < 2**32), or, when :func:`binned_mi` would not use exact codes for
        ``n_classes`` labels (wide layers: it hashes the rows), the cells themselves, a uint8/int16 array
        (n_networks, n_units, n_samples).
        """
        import jax.numpy as jnp

        if t.ndim != 3:
            raise ValueError(f"t must have shape (n_networks, n_units, n_samples), got shape {t.shape}")
        n_units = t.shape[1]
        cells = self.device_cells(t)
        n_symbols = self.n_bins + 1
        if not codes_are_exact(n_units, n_symbols, n_classes):
            return (cells.astype(jnp.uint8 if n_symbols <= 256 else jnp.int16),)
        words, m = [], self._units_per_word
        cells = cells.astype(jnp.uint32)
        for start in range(0, n_units, m):
            word = cells[:, start]
            for k in range(start + 1, min(start + m, n_units)):
                word = word + cells[:, k] * jnp.uint32(n_symbols ** (k - start))
            words.append(word)
        return tuple(words)

    def from_device(self, words, y, n_units: int) -> tuple[np.ndarray, np.ndarray]:
        """I(X;T), I(T;Y) from :meth:`device_codes` of a layer, batched over networks: words are (n_networks,
        n_samples) arrays (or cells (n_networks, n_units, n_samples)); y (n_samples,) labels, the same
        n_classes = y.max() + 1 as on the device; n_units of the layer. Returns two arrays (n_networks,), equal
        to :func:`binned_mi` on the layer's activations."""
        y = np.asarray(y)
        n_symbols = self.n_bins + 1
        n_classes = int(y.max()) + 1 if y.size else 1
        exact = codes_are_exact(n_units, n_symbols, n_classes)
        if not exact:  # the cells of a wide layer: binned_mi's hash codes
            symbols = np.swapaxes(np.asarray(words[0]), -1, -2).astype(np.int16)
            codes_t, codes_ty = encode_rows(symbols, n_symbols, labels=y, n_classes=n_classes)
        else:
            # the codes of (row, label) pairs, row · n_classes + label: int32 for a narrow layer (sorts twice as fast)
            dtype = np.int32 if float(n_symbols) ** n_units * n_classes < 2**31 else np.int64
            n_units_word = self._units_per_word
            codes_ty = np.asarray(words[0]).astype(dtype)
            for w, word in enumerate(words[1:], start=1):
                codes_ty += np.asarray(word).astype(dtype) * dtype(n_symbols) ** (n_units_word * w)
            codes_ty *= dtype(n_classes)
            codes_ty += y.astype(dtype)
            codes_t = codes_ty  # joint_entropies takes H(T) from the sorted pairs
        h_t, h_ty = joint_entropies(codes_t, codes_ty, n_classes, exact)
        i_ty = np.clip(h_t + entropy_of_codes(y) - h_ty, 0.0, None)
        scale = log_base(self.base)
        return h_t / scale, i_ty / scale
