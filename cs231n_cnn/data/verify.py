"""What a ``cifar-10-batches-py`` directory holds: checksums, missing files, and the record of its installation.

:func:`dataset_problems` is the cheap look (files present); :func:`verify_dataset`
reads every byte against the SHA-256 recorded in :data:`SOURCE_FILE` at install time.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from .cifar10 import EXPECTED_FILES, META_FILE, load_CIFAR_batch
from .errors import one_line

__all__ = ["SOURCE_FILE", "file_md5", "file_sha256", "dataset_problems", "verify_dataset", "read_source_info",
           # for extract.py: what an installation records
           "file_records"]

#: Written into the dataset directory: where the data came from.
SOURCE_FILE = ".cs231n-source.json"

_CHUNK = 1 << 20


def _file_digest(path: str | os.PathLike, algorithm: str) -> str:
    """Hex digest of a file by ``hashlib.new(algorithm)``, read in 1 MiB chunks (archives are large)."""
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def file_md5(path: str | os.PathLike) -> str:
    """Hex MD5 of a file (what the CIFAR-10 site publishes)."""
    return _file_digest(path, "md5")


def dataset_problems(directory: str | os.PathLike) -> list[str]:
    """What is missing from a ``cifar-10-batches-py`` directory.

    A cheap check (no unpickling): every file of :data:`EXPECTED_FILES`
    must be a non-empty regular file that can be opened for reading.

    Returns
    -------
    list of str
        Empty if the directory looks complete, else one entry per problem.
    """
    directory = Path(directory)
    if not directory.is_dir():
        return [f"{directory} does not exist"]
    problems = []
    for name in EXPECTED_FILES:
        path = directory / name
        if not path.is_file():
            problems.append(f"{name} is missing")
            continue
        try:
            with open(path, "rb") as f:
                if not f.read(1):
                    problems.append(f"{name} is empty")
        except OSError as exc:
            problems.append(f"{name} is not readable ({exc.strerror or exc})")
    return problems


def file_sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file (what an installation records)."""
    return _file_digest(path, "sha256")


def file_records(directory: Path) -> dict[str, dict]:
    """``{name: {"bytes": n, "sha256": hex}}`` of every expected file: what an installation records."""
    return {name: {"bytes": (directory / name).stat().st_size, "sha256": file_sha256(directory / name)}
            for name in EXPECTED_FILES}


def _matches(path: Path, record: dict) -> bool:
    return path.stat().st_size == record.get("bytes") and file_sha256(path) == record.get("sha256")


def verify_dataset(directory: str | os.PathLike) -> list[str]:
    """What is wrong with a ``cifar-10-batches-py`` directory, reading every byte.

    :func:`dataset_problems` first (every file there and non-empty); then,
    when the installation recorded the size and SHA-256 of each file (in
    :data:`SOURCE_FILE`), every file must still match them; without that
    record (a dataset unpacked by hand or by an older version), every batch
    must load (:func:`~cs231n_cnn.data.cifar10.load_CIFAR_batch`).

    Returns
    -------
    list of str
        Empty if the dataset is intact, else one entry per problem.
    """
    directory = Path(directory)
    problems = dataset_problems(directory)
    if problems:
        return problems
    recorded = (read_source_info(directory) or {}).get("files")
    if not (isinstance(recorded, dict) and all(isinstance(recorded.get(n), dict) for n in EXPECTED_FILES)):
        recorded = None
    for name in EXPECTED_FILES:
        path = directory / name
        if recorded is not None:
            try:
                if _matches(path, recorded[name]):
                    continue
            except OSError as exc:
                problems.append(f"{name} is not readable ({exc.strerror or exc})")
                continue
        if name != META_FILE:            # a batch that does not load says why
            try:
                load_CIFAR_batch(path)
            except (ValueError, OSError) as exc:
                problems.append(one_line(exc))
                continue
        if recorded is not None:
            problems.append(f"{name} changed since it was installed (its size or SHA-256 differs)")
    return problems


def read_source_info(directory: str | os.PathLike) -> dict | None:
    """The ``{url, md5, num_train, num_test, files}`` record written at install time, if any."""
    try:
        info = json.loads((Path(directory) / SOURCE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None
