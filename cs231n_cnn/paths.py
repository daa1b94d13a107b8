"""Where things are: the package itself, and the course repository it may sit in.

The package works installed anywhere. Checks, benchmarks, notebooks and the
repository's ``data/`` folder live only in a checkout of the course
repository; :func:`checkout_root` finds one or says clearly that it is needed.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["PACKAGE", "CheckoutRequired", "package_dir", "checkout_root", "find_checkout"]

PACKAGE = "cs231n_cnn"


class CheckoutRequired(FileNotFoundError):
    """Something that lives only in a checkout of the course repository was asked for."""


def package_dir() -> Path:
    """The directory of the ``cs231n_cnn`` package in use."""
    return Path(__file__).resolve().parent


def find_checkout() -> Path | None:
    """The course repository holding this package (a ``pyproject.toml`` beside it), or None."""
    root = package_dir().parent
    return root if (root / "pyproject.toml").is_file() and (root / PACKAGE).is_dir() else None


def checkout_root(what: str = "this command") -> Path:
    """The course repository holding this package; :class:`CheckoutRequired` naming ``what`` otherwise."""
    root = find_checkout()
    if root is None:
        raise CheckoutRequired(
            f"{what}: needs a checkout of the cs231n_cnn repository, but the package at {package_dir()} is "
            f"installed on its own; clone the repository and `pip install -e .` there")
    return root
