"""Load CIFAR-10 from the official python layout, with every value checked.

The official archive unpacks to ``cifar-10-batches-py/`` holding five
training batches ``data_batch_1`` .. ``data_batch_5``, one ``test_batch``
and ``batches.meta``. Each batch is a pickled dict with

* ``'data'``: uint8 array of shape (n, 3072). A row is one 32x32 colour
  image stored channel-major: 1024 red values, then 1024 green, then 1024
  blue, each plane row by row. So ``row.reshape(3, 32, 32)`` is (C, H, W).
* ``'labels'``: n integers in 0..9 (indices into :data:`class_names`).

The official release has 10,000 images per batch; nothing here assumes
that (the CI mirror has 2,000), so a batch may hold any positive number of
images.

Where the data lives
--------------------
Functions that take ``root=None`` look in ``$CS231N_DATA_DIR`` if set,
otherwise in the repository's ``data/`` directory (found by
:func:`cs231n_cnn.paths.find_checkout`, not from the working directory), otherwise in
``~/.cache/cs231n_cnn/data`` for an installed package; see
:func:`default_data_dir`. ``root`` may name either the
``cifar-10-batches-py`` directory itself or the directory that contains it.

Safety
------
A pickle can name any Python callable to run while it is loaded. The
batches are read with a restricted unpickler that only lets through what a
CIFAR-10 batch needs (NumPy array reconstruction, ``numpy.dtype`` and
``_codecs.encode``); anything else is refused with a ``ValueError``. The
downloader also checks the archive's MD5 before anything is unpacked.
"""

from __future__ import annotations

import numbers
import os
import pickle
from pathlib import Path

import numpy as np

from ..paths import find_checkout

__all__ = [
    "class_names",
    "DATASET_DIRNAME",
    "TRAIN_BATCHES",
    "TEST_BATCH",
    "META_FILE",
    "EXPECTED_FILES",
    "DATA_DIR_ENV",
    "DatasetMissingError",
    "default_data_dir",
    "find_dataset_dir",
    "load_CIFAR_batch",
    "load_CIFAR10",
    "get_CIFAR10_data",
]

#: Names of the ten classes, indexed by label (as in ``batches.meta``).
class_names = ("airplane", "automobile", "bird", "cat", "deer",
               "dog", "frog", "horse", "ship", "truck")

NUM_CLASSES = len(class_names)
#: Pixels per image row of ``'data'``: 3 channels x 32 x 32.
IMAGE_SIZE = 3 * 32 * 32

DATASET_DIRNAME = "cifar-10-batches-py"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCH = "test_batch"
META_FILE = "batches.meta"
#: Files a complete dataset directory holds (``readme.html`` is optional).
EXPECTED_FILES = TRAIN_BATCHES + (TEST_BATCH, META_FILE)

#: Environment variable naming the data directory (the one holding
#: ``cifar-10-batches-py``).
DATA_DIR_ENV = "CS231N_DATA_DIR"



class DatasetMissingError(FileNotFoundError):
    """CIFAR-10 is not where it was looked for; the message is one line saying how to fetch it.

    A :class:`FileNotFoundError`, so callers that catch that keep working;
    its own type lets a notebook show the message alone instead of a
    traceback (the student can do nothing with the frames).
    """


def _download_hint(where: Path) -> str:
    """How to fetch the data into ``where``, in words that work for a student in a terminal.

    ``cs231n-cnn`` is on the PATH only inside an activated ``.venv``, so the
    first advice is ``make data`` (the course's and the student release's
    Makefiles both have it) when ``where`` is the checkout's ``data/``.
    """
    checkout = find_checkout()
    if checkout is not None and where.absolute() == checkout / "data":
        return (f"run `make data` in a terminal at the top of your checkout ({checkout}), or "
                f"`.venv/bin/cs231n-cnn data download` there (or set {DATA_DIR_ENV} to where the data is)")
    return (f"fetch it with `python -m cs231n_cnn data download --dest {where}`, or `make data` in a terminal at "
            f"the top of your checkout (or set {DATA_DIR_ENV} to where the data is)")


# --------------------------------------------------------------------------- paths

def default_data_dir() -> Path:
    """The directory that holds (or will hold) ``cifar-10-batches-py``.

    Returns
    -------
    pathlib.Path
        ``$CS231N_DATA_DIR`` if set and non-empty; else the repository's
        ``data/`` directory when running from a checkout (recognised by
        ``data/get_datasets.sh`` next to the package); else
        ``$XDG_CACHE_HOME/cs231n_cnn/data`` (default ``~/.cache/...``).
        Never relative to the current working directory.
    """
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser()
    checkout = find_checkout()
    if checkout is not None and (checkout / "data" / "get_datasets.sh").is_file():
        return checkout / "data"
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "cs231n_cnn" / "data"


def find_dataset_dir(root: str | os.PathLike | None = None) -> Path:
    """Resolve ``root`` to the directory that holds the batch files.

    Parameters
    ----------
    root : path-like or None
        The ``cifar-10-batches-py`` directory, or a directory containing
        it. ``None`` means :func:`default_data_dir`.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    DatasetMissingError
        A :class:`FileNotFoundError`: neither ``root`` nor
        ``root/cifar-10-batches-py`` holds batch files. The message is one
        line saying how to download the dataset.
    """
    base = Path(root).expanduser() if root is not None else default_data_dir()
    if any((base / name).exists() for name in TRAIN_BATCHES + (TEST_BATCH,)):
        return base
    nested = base / DATASET_DIRNAME
    if nested.is_dir():
        return nested
    raise DatasetMissingError(f"CIFAR-10 is not in {base}: {_download_hint(base)}")


# --------------------------------------------------------------------------- pickles

def _numpy_reconstruct():
    # NumPy 2 moved numpy.core to numpy._core; the official pickles name the
    # old path. Resolve it here rather than through the deprecated alias.
    try:
        from numpy._core.multiarray import _reconstruct
    except ImportError:  # pragma: no cover - NumPy < 1.26 layout
        from numpy.core.multiarray import _reconstruct
    return _reconstruct


def _numpy_scalar():
    try:
        from numpy._core.multiarray import scalar
    except ImportError:  # pragma: no cover
        from numpy.core.multiarray import scalar
    return scalar


_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): _numpy_reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _numpy_reconstruct,
    ("numpy.core.multiarray", "scalar"): _numpy_scalar,
    ("numpy._core.multiarray", "scalar"): _numpy_scalar,
    ("numpy", "ndarray"): lambda: np.ndarray,
    ("numpy", "dtype"): lambda: np.dtype,
    # Python 3 writes bytes in protocol-2 pickles as _codecs.encode(str, 'latin1').
    ("_codecs", "encode"): lambda: __import__("codecs").encode,
    # ...and an empty bytes object as __builtin__.bytes().
    ("__builtin__", "bytes"): lambda: bytes,
    ("builtins", "bytes"): lambda: bytes,
}


class _ForbiddenGlobal(pickle.UnpicklingError):
    pass


class _BatchUnpickler(pickle.Unpickler):
    """Unpickler that resolves only the globals a CIFAR-10 batch needs."""

    def find_class(self, module, name):
        try:
            return _ALLOWED_GLOBALS[(module, name)]()
        except KeyError:
            raise _ForbiddenGlobal(
                f"refusing to load {module}.{name}: a CIFAR-10 batch holds only "
                "NumPy arrays, lists, numbers and strings") from None


def _read_pickle(path: Path):
    try:
        with open(path, "rb") as f:
            # latin1 decodes the Python 2 str keys and array buffers of the
            # official pickles byte for byte.
            return _BatchUnpickler(f, encoding="latin1").load()
    except FileNotFoundError:
        # A partial download or a deleted file: downloading again repairs it.
        base = path.parent.parent if path.parent.name == DATASET_DIRNAME else path.parent
        raise DatasetMissingError(f"CIFAR-10 is incomplete: {path} is missing; {_download_hint(base)}") from None
    except _ForbiddenGlobal as exc:
        raise ValueError(f"CIFAR-10 batch {path}: {exc}") from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError,
            IndexError, KeyError, ImportError, UnicodeDecodeError) as exc:
        raise ValueError(f"CIFAR-10 batch {path} is not a readable batch pickle "
                         f"(truncated or corrupt?): {type(exc).__name__}: {exc}") from None


def _get_key(batch: dict, key: str, path: Path):
    # The official pickles have str keys under encoding='latin1'; pickles
    # written by Python 3 from bytes keys keep them as bytes.
    for k in (key, key.encode("ascii")):
        if k in batch:
            return batch[k]
    found = sorted(repr(k) for k in batch)
    raise ValueError(f"CIFAR-10 batch {path}: missing key '{key}' "
                     f"(found keys: {', '.join(found) or 'none'})")


def load_CIFAR_batch(filename: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read and validate one batch file, returning its raw contents.

    Parameters
    ----------
    filename : path-like
        A ``data_batch_*`` or ``test_batch`` file.

    Returns
    -------
    data : ndarray of uint8, shape (n, 3072)
        One image per row, channel-major (see the module docstring).
    labels : ndarray of int64, shape (n,)
        Class indices in 0..9.

    Raises
    ------
    DatasetMissingError
        A :class:`FileNotFoundError`: the file does not exist.
    ValueError
        If the file is not a batch pickle, lacks ``'data'``/``'labels'``,
        ``data`` is not uint8 of shape (n, 3072) with n >= 1, the number of
        labels differs from n, or a label is outside 0..9. The message names
        the file.

    Notes
    -----
    Unpickling can run code named in the file. Only the globals a batch
    needs (NumPy array reconstruction) are resolved; a pickle asking for
    anything else is refused. The downloader also verifies the archive's
    MD5 before the files exist on disk.
    """
    path = Path(filename)
    batch = _read_pickle(path)
    if not isinstance(batch, dict):
        raise ValueError(f"CIFAR-10 batch {path}: expected a dict with 'data' and 'labels', "
                         f"got {type(batch).__name__}")
    data = _get_key(batch, "data", path)
    labels = _get_key(batch, "labels", path)

    if not (isinstance(data, np.ndarray) and data.dtype == np.uint8 and data.ndim == 2
            and data.shape[1] == IMAGE_SIZE and data.shape[0] >= 1):
        got = (f"{data.dtype} array of shape {data.shape}" if isinstance(data, np.ndarray)
               else type(data).__name__)
        raise ValueError(f"CIFAR-10 batch {path}: 'data' must be a uint8 array of shape "
                         f"(n, {IMAGE_SIZE}) with n >= 1 (3 x 32 x 32 pixels per row), got {got}")
    n = data.shape[0]

    try:
        labels_arr = np.asarray(labels)
    except (TypeError, ValueError):  # pragma: no cover - ragged nested lists
        labels_arr = np.asarray(labels, dtype=object)
    if labels_arr.ndim != 1 or not (np.issubdtype(labels_arr.dtype, np.integer) or labels_arr.size == 0):
        raise ValueError(f"CIFAR-10 batch {path}: 'labels' must be a flat list of integers, "
                         f"got {labels_arr.dtype} values of shape {labels_arr.shape}")
    if labels_arr.shape[0] != n:
        raise ValueError(f"CIFAR-10 batch {path}: 'labels' has {labels_arr.shape[0]} entries "
                         f"but 'data' has {n} images")
    bad = np.flatnonzero((labels_arr < 0) | (labels_arr >= NUM_CLASSES))
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"CIFAR-10 batch {path}: labels must be in 0..{NUM_CLASSES - 1}, "
                         f"got {labels_arr[i]} at index {i} ({bad.size} out of range)")
    return data, labels_arr.astype(np.int64)


def _load_split(directory: Path, names) -> tuple[np.ndarray, np.ndarray]:
    parts = [load_CIFAR_batch(directory / name) for name in names]
    data = np.concatenate([p[0] for p in parts]) if len(parts) > 1 else parts[0][0]
    labels = np.concatenate([p[1] for p in parts]) if len(parts) > 1 else parts[0][1]
    return data, labels


def _check_dtype(dtype, allowed: str, name: str = "dtype") -> np.dtype:
    dt = np.dtype(dtype)
    ok = np.issubdtype(dt, np.floating) or (allowed == "float-or-uint8" and dt == np.uint8)
    if not ok:
        what = "a floating dtype or uint8" if allowed == "float-or-uint8" else "a floating dtype"
        raise ValueError(f"{name} must be {what}, got {dt}")
    return dt


# --------------------------------------------------------------------------- course API

def load_CIFAR10(root: str | os.PathLike | None = None, dtype=np.float64):
    """Load all of CIFAR-10 in the course's layout: images as (N, 32, 32, 3).

    Parameters
    ----------
    root : path-like or None
        The ``cifar-10-batches-py`` directory or a directory containing it;
        ``None`` uses :func:`default_data_dir`.
    dtype : dtype, default float64
        Dtype of the returned images. The course returns float64 (values
        0..255, not rescaled); float32 halves the memory and ``np.uint8``
        returns the raw bytes (about 180 MB for the full set instead of
        1.4 GB in float64).

    Returns
    -------
    Xtr : ndarray, shape (N_train, 32, 32, 3)
        Training images of all five batches in order, channels last (NHWC),
        as in the course. N_train is 50,000 for the official release.
    Ytr : ndarray of int64, shape (N_train,)
    Xte : ndarray, shape (N_test, 32, 32, 3)
    Yte : ndarray of int64, shape (N_test,)

    Raises
    ------
    DatasetMissingError
        A :class:`FileNotFoundError`: the data is missing (the one-line
        message says how to download it).
    ValueError
        If a batch fails validation (see :func:`load_CIFAR_batch`).

    Notes
    -----
    Models take NCHW input; :func:`get_CIFAR10_data` returns that layout.
    """
    dt = _check_dtype(dtype, "float-or-uint8")
    directory = find_dataset_dir(root)
    out = []
    for names in (TRAIN_BATCHES, (TEST_BATCH,)):
        data, labels = _load_split(directory, names)
        images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        out += [np.ascontiguousarray(images, dtype=dt), labels]
    return tuple(out)


def _count(value, name: str, minimum: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {name}={value}")
    return int(value)


def get_CIFAR10_data(num_training=49000, num_validation=1000, num_test=1000,
                     subtract_mean=True, dtype=np.float32, root=None, normalize=False):
    """Load CIFAR-10 and split it the course's way, as NCHW arrays.

    The first ``num_training`` training images form the training set, the
    next ``num_validation`` the validation set, and the first ``num_test``
    test images the test set (no shuffling: the official batches are
    already in random order).

    Parameters
    ----------
    num_training, num_validation, num_test : int or None
        Sizes of the three sets. ``num_training >= 1``; the others may be
        0. ``num_training=None`` takes every training image not held out for
        validation, ``num_test=None`` every test image. ``num_training + num_validation`` must not exceed the number of
        training images available (50,000 officially, 10,000 in the CI
        mirror) and ``num_test`` the number of test images.
    subtract_mean : bool
        Subtract the per-pixel mean of the *training* set, shape (3, 32, 32),
        from all three sets (computed in float64, then cast to ``dtype``).
    dtype : floating dtype, default float32
    root : path-like or None
        Where the data is; see :func:`find_dataset_dir`.
    normalize : bool, default False
        Also divide every set by the per-channel standard deviation of the
        training set (after mean subtraction), so pixels have unit scale.
        He initialisation assumes inputs of unit scale; raw pixels minus the
        mean have a standard deviation of about 60, which makes the first
        scores huge. The course's default (False) keeps raw pixel units.

    Returns
    -------
    dict
        ``'X_train'`` (num_training, 3, 32, 32), ``'y_train'``
        (num_training,), ``'X_val'`` (num_validation, 3, 32, 32),
        ``'y_val'`` (num_validation,), ``'X_test'`` (num_test, 3, 32, 32),
        ``'y_test'`` (num_test,). Images have ``dtype`` (pixel values 0..255
        minus the mean if ``subtract_mean``); labels are int64 in 0..9.

    Raises
    ------
    ValueError
        For bad sizes or dtype, requests for more images than exist (the
        message says how many there are), or invalid batch files.
    DatasetMissingError
        A :class:`FileNotFoundError`: the data is missing (the one-line
        message says how to download it).
    """
    num_validation = _count(num_validation, "num_validation", 0)
    dt = _check_dtype(dtype, "float")

    directory = find_dataset_dir(root)
    train_data, train_labels = _load_split(directory, TRAIN_BATCHES)
    n_train = train_data.shape[0]
    if num_training is None:  # everything not held out for validation
        num_training = max(n_train - num_validation, 1)
    num_training = _count(num_training, "num_training", 1)
    if num_training + num_validation > n_train:
        raise ValueError(
            f"requested num_training + num_validation = {num_training:,} + {num_validation:,} = "
            f"{num_training + num_validation:,} training images, but {directory} has only "
            f"{n_train:,}; ask for at most {n_train:,} in total")
    test_data, test_labels = _load_split(directory, (TEST_BATCH,))
    n_test = test_data.shape[0]
    num_test = n_test if num_test is None else _count(num_test, "num_test", 0)
    if num_test > n_test:
        raise ValueError(f"requested num_test = {num_test:,} test images, but {directory} has only "
                         f"{n_test:,}")

    # Rows are channel-major, so a plain reshape is already NCHW.
    train_images = train_data.reshape(-1, 3, 32, 32)
    test_images = test_data.reshape(-1, 3, 32, 32)
    stop_val = num_training + num_validation
    X_train = train_images[:num_training].astype(dt)
    X_val = train_images[num_training:stop_val].astype(dt)
    X_test = test_images[:num_test].astype(dt)
    if subtract_mean:
        mean_image = train_images[:num_training].mean(axis=0, dtype=np.float64).astype(dt)  # (3, 32, 32)
        X_train -= mean_image
        X_val -= mean_image
        X_test -= mean_image
    if normalize:
        centred = X_train if subtract_mean else X_train - X_train.mean(axis=(0, 2, 3), keepdims=True)
        std = centred.std(axis=(0, 2, 3), dtype=np.float64, keepdims=True)[0]  # (3, 1, 1)
        std = np.where(std > 0, std, 1.0).astype(dt)
        X_train /= std
        X_val /= std
        X_test /= std
    return {
        "X_train": X_train, "y_train": train_labels[:num_training].copy(),
        "X_val": X_val, "y_val": train_labels[num_training:stop_val].copy(),
        "X_test": X_test, "y_test": test_labels[:num_test].copy(),
    }
