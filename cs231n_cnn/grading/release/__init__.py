"""The student release: solutions stubbed, hidden checks left out, a tree to ``pip install -e``.

:func:`build_release` (``cs231n-cnn release --out DIR``) copies the parts of
the course repository a student needs and rewrites them on the way
(:mod:`.plan`):

* **Python files** (the library and ``checks/``, :mod:`.pysource`): each
  solution region (:mod:`.markers`) becomes one ``raise
  NotImplementedError(...)`` naming the function, its file and the notebook
  that teaches it (:mod:`.mapping`); each hidden-test region is deleted.
* **Notebooks** (:mod:`.notebooks`): solution cells get nbgrader's stub and
  lose their outputs; check cells lose their outputs; other outputs stay.
* **Generated** from templates shipped as package data (:mod:`.generated`):
  a student README, a student Makefile (``make lab``, ``make data``,
  ``make check``, ``make submit``), ``test_public_checks.py`` (what
  ``make check VERBOSE=1`` runs) and a manifest, :data:`MANIFEST`, which
  also records what students upload (:mod:`cs231n_cnn.grading.submit`).
* **Reference results, not reference code** (:mod:`.references`): the
  public checks run against the repository's solution in a fresh
  interpreter (:mod:`.probe_record`) and the release ships their recorded
  results with a generated ``_reference.py`` of lookups.

The tree is written to a temporary directory next to ``--out``, verified
(:mod:`.verify`, with the probes :mod:`.probe_import` and
:mod:`.probe_replay`) and only then renamed into place (:mod:`.build`).
"""

from __future__ import annotations

from .build import ReleaseSummary, build_release, repo_root
from .errors import ReleaseError
from .layout import MANIFEST, REFERENCE, REFERENCE_DATA
from .markers import FORBIDDEN, MarkerError, Region, find_regions
from .notebooks import release_notebook
from .pysource import release_python
from .references import REFERENCE_MARKERS
from .verify import verify_release

__all__ = [
    "ReleaseError", "MarkerError", "Region", "ReleaseSummary", "find_regions", "release_python",
    "release_notebook", "repo_root", "build_release", "verify_release", "MANIFEST", "FORBIDDEN",
    "REFERENCE", "REFERENCE_DATA", "REFERENCE_MARKERS",
]
