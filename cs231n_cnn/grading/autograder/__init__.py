"""The autograder: submissions in, Gradescope reports out.

* :mod:`.staging`: a submission's files, copied safely into the sandbox's staging directory;
* :mod:`.report`: the Gradescope ``results.json`` and how it is written;
* :mod:`.grade`: grading one submission (:func:`~.grade.grade`, :func:`~.grade.grade_to_file`);
* :mod:`.command`: the ``cs231n-cnn grade`` command line for one submission;
* :mod:`.batch`: grading a directory of submissions into a CSV;
* :mod:`.gradescope`: the autograder zip Gradescope runs (its scripts in ``templates/``).

Nothing is re-exported here, so ``autograder.grade`` is always the module.
"""
