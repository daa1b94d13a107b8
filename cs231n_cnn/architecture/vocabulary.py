"""The notation's words, defined once: the pool modes and the layer keywords.

Everything that knows a layer by its name reads these tables: the parser and
its list of known layers (:mod:`.notation`), the canonical notation of a
:class:`~.specs.PoolSpec` (and so :func:`~cs231n_cnn.architecture.describe`),
and :class:`~cs231n_cnn.convnet.ConvNet`, which runs a pool layer with the
functions its mode names. Adding a pooling mode to the notation and to the
model is one entry in :data:`POOL_MODES`, besides the mode's own forward and
backward functions in :mod:`cs231n_cnn.layers`.

Nothing here imports NumPy or the layers: the functions are named, and the
model looks them up in :mod:`cs231n_cnn.layers` when it calls them (so a layer
edited and reloaded in a running kernel is the one used).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PoolMode", "POOL_MODES", "BARE_POOL_MODE", "SIMPLE_LAYERS", "pool_keyword"]


@dataclass(frozen=True)
class PoolMode:
    """One pooling mode of the notation.

    Attributes
    ----------
    keyword : str
        What precedes ``POOL`` in a spec: ``AVG`` for ``AVGPOOL{F}``.
    forward, backward : str
        Names of the mode's ``(x, pool_param) -> (out, cache)`` and
        ``(dout, cache) -> dx`` functions in :mod:`cs231n_cnn.layers`.
    """

    keyword: str
    forward: str
    backward: str


# mode name (PoolSpec.mode) -> PoolMode, in the order the error messages list them.
POOL_MODES: dict[str, PoolMode] = {
    "max": PoolMode("MAX", "max_pool_forward_fast", "max_pool_backward_fast"),
    "avg": PoolMode("AVG", "avg_pool_forward", "avg_pool_backward"),
    "l2": PoolMode("L2", "l2_pool_forward", "l2_pool_backward"),
}

# A bare POOL{F} is max pooling, as in the notes; it is also written that way.
BARE_POOL_MODE = "max"

# Layer keywords that take no number and no option -> the kind of their spec (LayerSpec.kind).
SIMPLE_LAYERS = {"RELU": "relu", "NORM": "norm", "BN": "bn"}


def pool_keyword(mode: str) -> str:
    """The canonical head of a pool layer in ``mode``, before its size: ``''`` (max), ``'AVG'``, ``'L2'``."""
    return "" if mode == BARE_POOL_MODE else POOL_MODES[mode].keyword
