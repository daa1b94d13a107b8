"""``cs231n.data_utils``: CIFAR-10 loading and ``load_pickle``.

:func:`get_CIFAR10_data` returns the course's dict of NCHW arrays
(``X_train``, ``y_train``, ``X_val``, ...) with the course's split and mean
subtraction. Images are float32 by default, the models' default dtype (the
course returns float64; ``dtype=np.float64`` gives its arrays exactly). The
data is found through ``CS231N_DATA_DIR`` or where ``cs231n-cnn data
download`` put it, not through a path relative to the notebook (see
:func:`cs231n_cnn.data.find_dataset_dir`).

:func:`load_CIFAR_batch` is the one adapter in ``compat``: the package's
loader returns a batch's raw rows, the course's returns images.
"""

from __future__ import annotations

import numpy as np

from ..data import get_CIFAR10_data, load_CIFAR10, load_pickle
from ..data import load_CIFAR_batch as _load_batch_rows

__all__ = ["load_pickle", "load_CIFAR_batch", "load_CIFAR10", "get_CIFAR10_data"]


def load_CIFAR_batch(filename):
    """One batch file as the course returns it: images (n, 32, 32, 3) float64 and labels (n,).

    Parameters
    ----------
    filename : path-like
        A ``data_batch_*`` or ``test_batch`` file.

    Returns
    -------
    X : ndarray of float64, shape (n, 32, 32, 3)
        Pixel values 0..255, channels last (NHWC), as :func:`load_CIFAR10`.
    Y : ndarray of int64, shape (n,)

    Notes
    -----
    Reads and validates the file with :func:`cs231n_cnn.data.load_CIFAR_batch`
    (raw uint8 rows of shape (n, 3072), channel-major), then reshapes each row
    to (3, 32, 32) and moves the channels last. Unlike the course, n need not
    be 10,000.
    """
    data, labels = _load_batch_rows(filename)
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).astype(np.float64), labels
