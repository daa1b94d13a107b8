"""What the release tree holds and where: the manifest, the copied files, the reference paths, what is skipped."""

from __future__ import annotations

__all__ = ["MANIFEST", "DATA_FILES", "LICENSES", "NOTEBOOK_FILES", "REFERENCE", "REFERENCE_DATA", "ignored"]

# Written into every release: marks a directory that --force may replace.
MANIFEST = ".cs231n-release.json"

DATA_FILES = ("get_datasets.sh", "README.md", ".gitignore")   # data/: the committed files only
LICENSES = ("LICENSE", "LICENSE.txt", "LICENSE.md")
NOTEBOOK_FILES = ("nbval_sanitize.cfg",)
# The reference implementations: replaced in the release by lookups of recorded results. (_helpers.py stays:
# its helpers call the student and unpack results, they compute no reference result.)
REFERENCE = "checks/_reference.py"
REFERENCE_DATA = "checks/_reference_data.npz"

_IGNORE = ("__pycache__", ".ipynb_checkpoints", ".pytest_cache")   # and *.pyc, *.pyo, *.egg-info


def ignored(name: str) -> bool:
    """Whether a file or directory called ``name`` is generated, never part of a release."""
    return name in _IGNORE or name.endswith((".pyc", ".pyo", ".egg-info"))
