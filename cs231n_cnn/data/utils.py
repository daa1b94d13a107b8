"""Small data helpers from the course's ``cs231n.data_utils``.

CIFAR-10 itself is loaded by :mod:`cs231n_cnn.data.cifar10`, which reads the
batches with a restricted unpickler; this module holds the general helper.
"""

from __future__ import annotations

import os
import pickle

__all__ = ["load_pickle"]


def load_pickle(f):
    """Unpickle a file written by Python 2 or 3, as the course's ``load_pickle`` does.

    Parameters
    ----------
    f : binary file object or path-like
        An open file (``open(path, 'rb')``, as the course passes) or a path,
        which is opened and closed here.

    Returns
    -------
    object
        The unpickled object.

    Notes
    -----
    ``encoding='latin1'`` lets Python 3 read byte strings pickled by
    Python 2 (CIFAR-10's batches, the course's saved models): latin-1 maps
    every byte to one character, so NumPy arrays pickled under Python 2
    come back intact. The course branches on the Python version; this
    package needs Python 3, so there is no branch.

    Unpickling runs code named in the file: only load files you trust. (The
    CIFAR-10 loader uses an unpickler that accepts nothing but arrays.)
    """
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fh:
            return pickle.load(fh, encoding="latin1")
    return pickle.load(f, encoding="latin1")
