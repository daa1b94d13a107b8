"""The Gradescope autograder bundle: see :mod:`.autograder.gradescope`.

Kept so that ``cs231n_cnn.grading.gradescope`` stays importable.
"""

from __future__ import annotations

from .autograder.gradescope import RUN_AUTOGRADER, SETUP_SH, build_bundle, requirements

__all__ = ["build_bundle", "SETUP_SH", "RUN_AUTOGRADER", "requirements"]
