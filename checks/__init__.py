"""Graded check definitions, loaded by ``cs231n_cnn.grading`` (not an installed package).

One module per topic; ``_reference.py`` holds the independent reference
implementations the checks compare against. Hidden checks sit between
``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS`` and are left out of
the student release.
"""
