"""Where the models' initial weights come from, and the checks of the arguments that decide it.

Shared by :class:`~cs231n_cnn.convnet.ConvNet` and the course's nets in
:mod:`cs231n_cnn.models`; package-private (not re-exported by the package).
"""

from __future__ import annotations

import numpy as np

from .shapes import ArgumentTypeError, check_int

__all__ = ["check_dtype_and_seed", "init_generator"]


def check_dtype_and_seed(dtype, seed, layer: str):
    """``(np.dtype, seed)`` checked: a floating dtype, and a seed that is None or an int >= 0."""
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise ArgumentTypeError(f"{layer}: dtype must be float32 or float64, got {dtype!r}") from None
    if dtype.kind != "f":
        raise ValueError(f"{layer}: dtype must be float32 or float64, got {dtype}")
    return dtype, (None if seed is None else check_int(seed, "seed", minimum=0, layer=layer))


def init_generator(seed):
    """Where initial weights come from: ``default_rng(SeedSequence(seed))``, or
    NumPy's global generator when ``seed`` is None (``standard_normal`` then
    draws exactly what the course's ``np.random.randn`` does)."""
    if seed is None:
        return np.random.mtrand._rand  # the RandomState behind np.random.randn and np.random.seed
    return np.random.default_rng(np.random.SeedSequence(seed))
