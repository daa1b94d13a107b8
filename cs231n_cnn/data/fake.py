"""Tiny CIFAR-10 lookalikes in the official layout, for tests and offline demos.

The files match the official release in structure (protocol-2 pickles with
str keys, uint8 ``'data'`` of shape (n, 3072), a ``'labels'`` list,
``batches.meta``), so every loader and the downloader treat them like the
real thing. The pixels are random noise: nothing can be learned from them.
"""

from __future__ import annotations

import hashlib
import io
import pickle
import tarfile
from pathlib import Path

import numpy as np

from .cifar10 import DATASET_DIRNAME, IMAGE_SIZE, META_FILE, TEST_BATCH, TRAIN_BATCHES, class_names

__all__ = ["fake_batches", "write_fake_cifar10", "make_fake_archive"]


def fake_batches(images_per_batch=4, num_test=None, seed=0):
    """Random batch contents keyed by file name.

    Parameters
    ----------
    images_per_batch : int or sequence of 5 ints
        Images in each training batch.
    num_test : int, optional
        Images in the test batch (default: ``images_per_batch`` or its first entry).
    seed : int
        Seed of the ``np.random.default_rng`` that draws pixels and labels.

    Returns
    -------
    dict
        ``{name: (data, labels)}`` for ``data_batch_1`` .. ``data_batch_5``
        and ``test_batch``; ``data`` is uint8 (n, 3072), ``labels`` a list
        of ints in 0..9.
    """
    rng = np.random.default_rng(seed)
    sizes = ([int(images_per_batch)] * len(TRAIN_BATCHES)
             if np.ndim(images_per_batch) == 0 else [int(s) for s in images_per_batch])
    if len(sizes) != len(TRAIN_BATCHES):
        raise ValueError(f"images_per_batch needs {len(TRAIN_BATCHES)} sizes, got {len(sizes)}")
    if num_test is None:
        num_test = sizes[0]
    out = {}
    for name, n in zip(TRAIN_BATCHES + (TEST_BATCH,), sizes + [int(num_test)]):
        data = rng.integers(0, 256, size=(n, IMAGE_SIZE), dtype=np.uint8)
        labels = [int(v) for v in rng.integers(0, len(class_names), size=n)]
        out[name] = (data, labels)
    return out


def _batch_bytes(name: str, data: np.ndarray, labels) -> bytes:
    batch = {
        "batch_label": f"fake {name}",
        "labels": list(labels),
        "data": data,
        "filenames": [f"fake_{name}_{i}.png" for i in range(len(labels))],
    }
    return pickle.dumps(batch, protocol=2)


def _meta_bytes(n_per_batch: int) -> bytes:
    meta = {"num_cases_per_batch": n_per_batch, "label_names": list(class_names),
            "num_vis": IMAGE_SIZE}
    return pickle.dumps(meta, protocol=2)


def write_fake_cifar10(root, images_per_batch=4, num_test=None, seed=0):
    """Write a fake ``cifar-10-batches-py`` directory under ``root``.

    Parameters
    ----------
    root : path-like
        Directory to create ``cifar-10-batches-py`` in (created if needed).
    images_per_batch, num_test, seed
        See :func:`fake_batches`.

    Returns
    -------
    path : pathlib.Path
        The ``cifar-10-batches-py`` directory.
    batches : dict
        What was written, as returned by :func:`fake_batches`.
    """
    batches = fake_batches(images_per_batch, num_test, seed)
    directory = Path(root) / DATASET_DIRNAME
    directory.mkdir(parents=True, exist_ok=True)
    for name, (data, labels) in batches.items():
        (directory / name).write_bytes(_batch_bytes(name, data, labels))
    (directory / META_FILE).write_bytes(_meta_bytes(len(batches[TRAIN_BATCHES[0]][1])))
    return directory, batches


def make_fake_archive(path, images_per_batch=4, num_test=None, seed=0, *,
                      omit=(), extra_members=()):
    """Write a fake ``cifar-10-python.tar.gz`` and return its MD5.

    Parameters
    ----------
    path : path-like
        The archive to write.
    images_per_batch, num_test, seed
        See :func:`fake_batches`.
    omit : iterable of str
        File names (e.g. ``"data_batch_5"``) to leave out.
    extra_members : iterable of (tarfile.TarInfo, bytes or None)
        Members appended after the dataset, e.g. to build malicious archives
        for tests of the safe extraction.

    Returns
    -------
    md5 : str
        Hex MD5 of the written archive.
    batches : dict
        The contents, as returned by :func:`fake_batches`.
    """
    batches = fake_batches(images_per_batch, num_test, seed)
    files = {name: _batch_bytes(name, *batch) for name, batch in batches.items()}
    files[META_FILE] = _meta_bytes(len(batches[TRAIN_BATCHES[0]][1]))
    path = Path(path)
    with tarfile.open(path, "w:gz") as tar:
        top = tarfile.TarInfo(DATASET_DIRNAME)
        top.type, top.mode = tarfile.DIRTYPE, 0o755
        tar.addfile(top)
        for name, payload in files.items():
            if name in omit:
                continue
            info = tarfile.TarInfo(f"{DATASET_DIRNAME}/{name}")
            info.size, info.mode = len(payload), 0o644
            tar.addfile(info, io.BytesIO(payload))
        for info, payload in extra_members:
            tar.addfile(info, io.BytesIO(payload) if payload is not None else None)
    return hashlib.md5(path.read_bytes()).hexdigest(), batches

