"""Reusable scratch buffers for the fast layers.

Why: a fresh NumPy array of tens of megabytes is mapped from the operating
system page by page, and every first touch of a page costs a page fault and a
page of zeroing. For the im2col columns of a VGG-style layer (38 MB in
float32) that is most of the time of the copy itself, paid again on every
call. Reusing the same buffer from one training iteration to the next
avoids it.

Safety: a buffer is handed out again only when nothing outside this pool
refers to it any more (its reference count says only the pool holds it). A
layer's cache that still holds the columns of an earlier forward pass (say,
during a gradient check that keeps several caches alive) therefore keeps its
buffer, and the pool allocates another one. Results returned to callers never
alias a buffer that is still in use.

Only buffers of at least ``MIN_BYTES`` are pooled (small allocations are
cheap), at most ``MAX_PER_KEY`` per shape and dtype, and at most
``MAX_BYTES`` in total; :func:`clear` releases everything.
"""

from __future__ import annotations

import contextlib
import sys
import threading

import numpy as np

__all__ = ["empty", "zeros", "clear", "pooled_bytes", "no_new_buffers", "MIN_BYTES", "MAX_BYTES"]

MIN_BYTES = 1 << 20          # 1 MiB
MAX_BYTES = 1 << 30          # 1 GiB held by the pool at most
MAX_PER_KEY = 8             # a deep net holds several caches of one shape

_pool: dict[tuple, list[np.ndarray]] = {}
_lock = threading.Lock()
_frozen = threading.local()  # _frozen.on: no_new_buffers() is active in this thread
# References to a pooled buffer that are not "users": the pool's list, the
# loop variable, and getrefcount's own argument.
_IDLE_REFS = 3


def pooled_bytes() -> int:
    """Bytes currently held by the pool (in use or idle)."""
    return sum(b.nbytes for bufs in _pool.values() for b in bufs)


def empty(shape, dtype) -> np.ndarray:
    """An uninitialised array of ``shape`` and ``dtype``, reused when possible."""
    shape = tuple(int(s) for s in shape)
    dtype = np.dtype(dtype)
    nbytes = dtype.itemsize * int(np.prod(shape))
    if nbytes < MIN_BYTES:
        return np.empty(shape, dtype)
    key = (shape, dtype.str)
    with _lock:
        bufs = _pool.setdefault(key, [])
        for buf in bufs:
            if sys.getrefcount(buf) <= _IDLE_REFS:
                return buf
        buf = np.empty(shape, dtype)
        if getattr(_frozen, "on", False):
            return buf  # freed as soon as its user drops it
        if len(bufs) < MAX_PER_KEY and pooled_bytes() + nbytes <= MAX_BYTES:
            bufs.append(buf)
        return buf


@contextlib.contextmanager
def no_new_buffers():
    """Within this block, :func:`empty` reuses idle pooled buffers but adds none to the pool.

    For a test-mode forward pass: each layer's scratch is freed when the
    layer is done instead of staying pooled, so the pass's extra memory is
    one layer's scratch at a time, not the sum over layers of every shape.
    """
    previous = getattr(_frozen, "on", False)
    _frozen.on = True
    try:
        yield
    finally:
        _frozen.on = previous


def zeros(shape, dtype) -> np.ndarray:
    """Like :func:`empty`, filled with zeros."""
    buf = empty(shape, dtype)
    buf.fill(0)
    return buf


def clear() -> None:
    """Drop every pooled buffer (arrays still in use stay valid)."""
    with _lock:
        _pool.clear()
