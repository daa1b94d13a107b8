"""Grading submissions into Gradescope reports: see :mod:`.autograder`.

Kept so that ``cs231n_cnn.grading.grader`` stays importable with the names it always had.
"""

from __future__ import annotations

from ..paths import PACKAGE
from .autograder.batch import BATCH_COLUMNS, csv_safe, grade_batch
from .autograder.grade import PRELOAD, grade, grade_to_file
from .autograder.report import LOG_FOOTER, LOG_HEADER, STATUS_EXIT, error_report, write_results
from .autograder.staging import (
                                 MAX_SUBMISSION_BYTES,
                                 MAX_SUBMISSION_FILES,
                                 SubmissionError,
                                 extract_zip,
                                 find_package_root,
                                 stage_submission,
)

__all__ = ["grade", "grade_to_file", "grade_batch", "write_results", "error_report", "SubmissionError",
           "stage_submission", "extract_zip", "find_package_root", "PRELOAD", "PACKAGE", "LOG_HEADER", "LOG_FOOTER",
           "STATUS_EXIT", "BATCH_COLUMNS", "csv_safe", "MAX_SUBMISSION_BYTES", "MAX_SUBMISSION_FILES"]
