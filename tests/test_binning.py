import numpy as np
import pytest

from ipflow_lib.estimators import binned_mi, digitize, layer_cells, noisy_label_information, plugin_entropy


def brute_force(t, y, n_bins, lo=-1.0, hi=1.0):
    """Straightforward reference: np.digitize, np.unique on rows, plug-in entropies (bits)."""
    sym = np.digitize(t, np.linspace(lo, hi, n_bins))
    _, inv = np.unique(sym, axis=0, return_inverse=True)
    inv = inv.ravel()
    p_t = np.bincount(inv) / len(inv)
    h_t = -(p_t * np.log2(p_t)).sum()
    h_t_given_y = 0.0
    for c in np.unique(y):
        sel = inv[y == c]
        q = np.bincount(sel) / len(sel)
        q = q[q > 0]
        h_t_given_y += (y == c).mean() * -(q * np.log2(q)).sum()
    return h_t, h_t - h_t_given_y


@pytest.mark.parametrize("n_units,n_bins", [(1, 30), (3, 5), (7, 30), (12, 50), (20, 30)])
def test_matches_brute_force_count(n_units, n_bins):
    rng = np.random.default_rng(n_units)
    t = np.tanh(rng.normal(scale=1.5, size=(4, 500, n_units))).astype(np.float32)
    y = rng.integers(0, 3, 500)
    i_xt, i_ty = binned_mi(t, y, n_bins=n_bins)
    assert i_xt.shape == (4,)
    for k in range(4):
        ref_xt, ref_ty = brute_force(t[k], y, n_bins)
        assert i_xt[k] == pytest.approx(ref_xt, abs=1e-9)
        assert i_ty[k] == pytest.approx(ref_ty, abs=1e-9)


def test_closed_forms():
    n = 256
    y = np.arange(n) % 2
    distinct = np.linspace(-0.99, 0.99, n)[:, None]  # every input in its own bin with 1000 bins
    i_xt, i_ty = binned_mi(distinct, y, n_bins=1000)
    assert i_xt == pytest.approx(np.log2(n))
    assert i_ty == pytest.approx(1.0)  # H(Y) = 1 bit
    const = np.full((n, 4), 0.3)
    i_xt, i_ty = binned_mi(const, y)
    assert i_xt == pytest.approx(0.0) and i_ty == pytest.approx(0.0)
    # a layer that is exactly the label: I(X;T) = I(T;Y) = H(Y)
    i_xt, i_ty = binned_mi(np.where(y[:, None] == 1, 0.5, -0.5), y)
    assert i_xt == pytest.approx(1.0) and i_ty == pytest.approx(1.0)


def test_bounds_hold_on_random_layers():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 1000)
    p = y.mean()
    h_y = -(p * np.log2(p) + (1 - p) * np.log2(1 - p))
    t = np.tanh(rng.normal(size=(3, 5, 1000, 4)))
    i_xt, i_ty = binned_mi(t, y, n_bins=8)
    assert i_xt.shape == (3, 5)
    assert (i_ty <= h_y + 1e-12).all() and (i_ty <= i_xt + 1e-12).all() and (i_xt <= np.log2(1000) + 1e-12).all()


def test_digitize_equals_numpy_exactly_even_on_edges():
    rng = np.random.default_rng(1)
    for n_bins in (2, 7, 30, 50):
        edges = np.linspace(-1, 1, n_bins)
        values = np.concatenate([rng.uniform(-1.5, 1.5, 10_000), edges, np.nextafter(edges, -2),
                                 np.nextafter(edges, 2)])
        np.testing.assert_array_equal(digitize(values, n_bins), np.digitize(values, edges))
        v32 = values.astype(np.float32)
        np.testing.assert_array_equal(digitize(v32, n_bins), np.digitize(v32, edges))


def test_adaptive_range_and_bin_size():
    rng = np.random.default_rng(2)
    relu = np.maximum(rng.normal(scale=3.0, size=(600, 3)), 0)
    y = rng.integers(0, 2, 600)
    clipped, _ = binned_mi(relu, y, n_bins=30)  # fixed [-1, 1] edges clip ReLU activations above 1
    adaptive, _ = binned_mi(relu, y, n_bins=30, value_range=None)
    assert adaptive > clipped
    scaled, _ = binned_mi(relu * 7.0, y, n_bins=30, value_range=None)
    assert scaled == pytest.approx(adaptive)  # adaptive range: invariant to rescaling the layer
    by_size, _ = binned_mi(relu, y, bin_size=0.07)
    sym = np.floor(relu / 0.07)
    _, inv = np.unique(sym, axis=0, return_inverse=True)
    p = np.bincount(inv.ravel()) / 600
    assert by_size == pytest.approx(-(p * np.log2(p)).sum())


def test_bad_input_raises_clear_errors():
    y = np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match="shape"):
        binned_mi(np.zeros(4), y)
    with pytest.raises(ValueError, match="labels but t has"):
        binned_mi(np.zeros((5, 2)), y)
    with pytest.raises(ValueError, match="NaN"):
        binned_mi(np.array([[0.1], [np.nan], [0.2], [0.3]]), y)
    with pytest.raises(TypeError, match="integer"):
        binned_mi(np.zeros((4, 2)), np.array([0.5, 1, 0, 1]))
    with pytest.raises(ValueError, match="n_bins"):
        binned_mi(np.zeros((4, 2)), y, n_bins=1)
    with pytest.raises(ValueError, match="lo < hi"):
        binned_mi(np.zeros((4, 2)), y, value_range=(1, -1))


def test_base_changes_units():
    rng = np.random.default_rng(3)
    t, y = rng.uniform(-1, 1, (300, 2)), rng.integers(0, 2, 300)
    bits = binned_mi(t, y, n_bins=6)
    nats = binned_mi(t, y, n_bins=6, base=np.e)
    np.testing.assert_allclose(np.array(nats), np.array(bits) * np.log(2))


def test_plugin_entropy_closed_forms_and_units():
    assert plugin_entropy(np.arange(8)) == pytest.approx(3.0)  # 8 different symbols: log2 8
    assert plugin_entropy(np.zeros(5, dtype=int)) == 0.0
    codes = np.array([[0, 0, 1, 2], [7, 7, 7, 7]])  # rows are independent; symbols need not be 0..k−1
    np.testing.assert_allclose(plugin_entropy(codes), [1.5, 0.0])
    assert plugin_entropy([3, 1, 3, 1], base=np.e) == pytest.approx(np.log(2))
    with pytest.raises(TypeError):
        plugin_entropy(np.array([0.5, 1.0]))
    with pytest.raises(ValueError):
        plugin_entropy(np.zeros((2, 0), dtype=int))
    with pytest.raises(ValueError):
        plugin_entropy([0, 1], base=1.0)


@pytest.mark.parametrize("n_symbols", [2**40, 4096, 40])  # mostly distinct (only repeated codes add), mixed, few
def test_entropy_of_codes_sums_the_runs_in_order(n_symbols):
    """The plug-in entropy of every row is log n − (1/n) Σ c log c over its symbols' counts in sorted order,
    the same float64 number as np.unique's counts summed one after the other."""
    from ipflow_lib.estimators._common import entropy_of_codes

    rng = np.random.default_rng(n_symbols % 1000)
    codes = rng.integers(0, n_symbols, size=(7, 3000))
    codes[3] = 5  # one symbol
    got = entropy_of_codes(codes)
    for row, h in zip(codes, got, strict=True):
        counts = np.unique(row, return_counts=True)[1].astype(np.float64)
        total = 0.0
        for c_log_c in counts * np.log(counts):
            total += c_log_c
        assert h == np.log(row.size) - total / row.size
    assert got[3] == 0.0 and entropy_of_codes(np.sort(codes, axis=-1), presorted=True).tolist() == got.tolist()


def test_layer_cells_are_the_binning_partition():
    rng = np.random.default_rng(3)
    t = np.tanh(rng.normal(size=(4, 300, 3)))
    y = rng.integers(0, 2, 300)
    cells = layer_cells(t, n_bins=8)
    assert cells.shape == (4, 300) and cells.dtype == np.int32
    for k in range(4):  # labels 0..k−1, equal iff the binned vectors are equal
        sym = digitize(t[k], 8)
        _, inverse = np.unique(sym, axis=0, return_inverse=True)
        assert set(np.unique(cells[k])) == set(range(cells[k].max() + 1))
        np.testing.assert_array_equal(cells[k][:, None] == cells[k][None], inverse.ravel()[:, None] == inverse.ravel())
    # its plug-in entropy is the binned I(X;T)
    np.testing.assert_allclose(plugin_entropy(cells), binned_mi(t, y, n_bins=8)[0], atol=1e-12)
    with pytest.raises(ValueError):
        layer_cells(t[0], n_bins=8)


def test_noisy_label_information_limits():
    n = 8
    # deterministic labels: I(T;Y) of the partition, here 2 cells that each hold one class → H(Y) = 1 bit
    hard = np.eye(2)[np.arange(n) % 2]
    cells = np.arange(n) % 2
    assert noisy_label_information(cells, hard) == pytest.approx(1.0)
    assert noisy_label_information(np.zeros(n, dtype=int), hard) == pytest.approx(0.0)  # one cell: nothing
    # labels flipped with probability 0.25: one cell per input keeps I(X;Y) = 1 − h(0.25) bits
    soft = 0.75 * hard + 0.25 * hard[:, ::-1]
    h = -(0.25 * np.log2(0.25) + 0.75 * np.log2(0.75))
    assert noisy_label_information(np.arange(n), soft) == pytest.approx(1.0 - h)
    assert noisy_label_information(np.arange(n), soft, base=np.e) == pytest.approx((1.0 - h) * np.log(2))
    with pytest.raises(ValueError):
        noisy_label_information(cells, hard[:, :1])  # rows do not sum to 1
    with pytest.raises(ValueError):
        noisy_label_information(cells[:5], hard)


# --------------------------------------------------------------------------------------------------
# FixedBins: the binning of the trainer's jitted evaluation equals binned_mi bit for bit


def _device_estimates(lens, t, y):
    """FixedBins' device path on t (n_networks, n_samples, n_units), as train_ensemble runs it."""
    import jax
    import jax.numpy as jnp

    n_classes = int(y.max()) + 1
    words = jax.jit(lambda h: lens.device_codes(jnp.swapaxes(h, 1, 2), n_classes))(jnp.asarray(t))
    return lens.from_device([np.asarray(w) for w in words], y, t.shape[-1])


@pytest.mark.parametrize("n_bins, value_range, n_units, n_classes", [
    (30, (-1.0, 1.0), 10, 2),    # the paper's first hidden layer: two uint32 words
    (30, (-1.0, 1.0), 3, 2),     # a narrow layer: int32 codes
    (30, (-1.0, 1.0), 1, 2),     # one unit: every cell counts, the edge values included
    (100, (-1.0, 1.0), 7, 10),   # many bins, ten classes
    (10, (0.0, 1.0), 4, 3),      # an edge at 0 and values below the range
    (30, (-1.0, 1.0), 13, 2),    # too wide for exact codes: the cells come back and are hashed as binned_mi does
    (2, (-0.5, 0.5), 40, 2),     # one interior cell, many units
])
def test_fixed_bins_device_path_equals_binned_mi_exactly(n_bins, value_range, n_units, n_classes):
    from ipflow_lib.estimators import FixedBins

    rng = np.random.default_rng(n_bins + n_units)
    t = np.tanh(rng.normal(scale=2.0, size=(3, 4096, n_units))).astype(np.float32)
    edges = np.linspace(*value_range, n_bins)
    # values exactly on the edges (as float32) and one float32 step below them: where rounding decides the cell
    t[1, :n_bins, 0] = edges.astype(np.float32)
    below = np.nextafter(edges.astype(np.float32), np.float32(-np.inf))
    tiny = np.finfo(np.float32).tiny  # below 0 the next float32 is subnormal, which XLA's CPU flushes to 0 (as its
    below[np.abs(below) < tiny] = -tiny  # own activations are never subnormal): the smallest normal one instead
    t[1, n_bins:2 * n_bins, 0] = below
    t[2, :, :] = np.round(t[2] * 4) / 4  # many equal rows
    y = rng.integers(0, n_classes, 4096)
    lens = FixedBins(n_bins, value_range)
    expected = binned_mi(t, y, n_bins, value_range)
    got = _device_estimates(lens, t, y)
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(lens(t, y)[0], expected[0])  # the host call is binned_mi
    if expected[0].min() < 11.5:  # not every row distinct: the check above has teeth, other edges change the numbers
        assert not np.array_equal(_device_estimates(FixedBins(n_bins + 1, value_range), t, y)[0], expected[0])


@pytest.mark.parametrize("value_range", [(-1.0, 1.0), (0.0, 1.0), (-1.0, 1.5), (0.0, 5.0), (-3.0, 3.0), (0.0, 1e-3)])
def test_fixed_bins_device_cells_equal_digitize_at_every_edge(value_range):
    """The cells computed from the edges (no table lookup) are np.digitize's on the edges and one float32 on
    either side of each, for every number of bins that fits the masks; configurations whose edges cannot be
    computed exactly (an edge near 0) take the lookup and are right too."""
    import jax
    import jax.numpy as jnp

    from ipflow_lib.estimators import FixedBins
    from ipflow_lib.estimators.binning import digitize

    tiny = np.finfo(np.float32).tiny
    paths = set()
    for n_bins in range(2, 31):
        lens = FixedBins(n_bins, value_range)
        paths.add(lens._computed is not None)
        edges = np.linspace(*value_range, n_bins).astype(np.float32)
        t = np.concatenate([edges, np.nextafter(edges, np.float32(-np.inf)), np.nextafter(edges, np.float32(np.inf)),
                            np.linspace(value_range[0] - 0.5, value_range[1] + 0.5, 999, dtype=np.float32)])
        t = t[(t == 0) | (np.abs(t) >= tiny)]  # no subnormal values (XLA's CPU flushes them to 0)
        got = np.asarray(jax.jit(lens.device_cells)(jnp.asarray(t)))
        np.testing.assert_array_equal(got, digitize(t, n_bins, value_range), err_msg=f"{n_bins} bins")
    if value_range == (-1.0, 1.0):
        assert paths == {True, False}  # both the computed edges and the lookup (odd n_bins: an edge near 0)
        assert FixedBins(30, value_range)._computed is not None  # the paper's 30 bins: computed


def test_fixed_bins_is_a_hashable_value_and_checks_its_settings():
    from ipflow_lib.estimators import FixedBins

    assert FixedBins(30) == FixedBins(30, (-1, 1)) and hash(FixedBins(30)) == hash(FixedBins(30, (-1.0, 1.0)))
    assert FixedBins(30) != FixedBins(31) and "n_bins=30" in repr(FixedBins(30))
    with pytest.raises(ValueError, match="n_bins"):
        FixedBins(1)
    with pytest.raises(ValueError):
        FixedBins(30, (1.0, -1.0))
    with pytest.raises(TypeError):
        FixedBins("30")
