"""A test-mode forward pass keeps no backward caches (measured with tracemalloc).

Bound: the extra memory of ``ConvNet.loss(X)`` stays within two of the
largest activations plus one im2col buffer. A conv layer's zero-padded input
copy (made inside im2col) counts as an activation here: it is one, of size
(N, C, H + 2P, W + 2P). The net is chosen so that what a training-mode
forward pass keeps for the backward pass is at least 10x that bound.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from cs231n_cnn import workspace
from cs231n_cnn.architecture.specs import ConvSpec
from cs231n_cnn.models import ConvNet

# Small allocations besides the arrays counted in the bound: Python objects,
# per-channel vectors, NumPy's iterator buffers.
SLACK = 32 * 1024
SPEC = "INPUT[16x16x3] -> [CONV3-8 -> BN -> RELU]*12 -> POOL2 -> FC-32 -> RELU -> FC"
N = 8


def _bound(model, N: int) -> int:
    """Two largest activations (padded conv inputs included) plus the largest im2col buffer, in bytes."""
    item = model.dtype.itemsize
    acts, cols = [], [0]
    for layer in model.architecture.layers:
        H, W, D = layer.output_shape
        acts.append(N * H * W * D * item)
        if isinstance(layer, ConvSpec):
            h, w, c = layer.input_shape
            p, k = layer.pad, layer.filter_size
            acts.append(N * (h + 2 * p) * (w + 2 * p) * c * item)
            cols.append(c * k * k * N * H * W * item)
    acts.sort()
    return acts[-1] + acts[-2] + max(cols)


def _cache_bytes(model, X, y):
    """Bytes of the distinct memory blocks a training-mode forward pass keeps in its caches."""
    seen, total = set(), 0

    def visit(obj):
        nonlocal total
        if isinstance(obj, np.ndarray):
            base = obj
            while isinstance(base.base, np.ndarray):
                base = base.base
            if id(base) not in seen:
                seen.add(id(base))
                total += base.nbytes
        elif isinstance(obj, (tuple, list)):
            for item in obj:
                visit(item)
        elif isinstance(obj, dict):
            for item in obj.values():
                visit(item)

    out, owned, caches = X, False, []
    for layer, idx in model._plan:
        out, cache = model._forward_layer(layer, idx, out, "train", owned=owned)
        caches.append(cache)
        owned = True
    visit(caches)
    return total


def _peak_of(fn):
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    result = fn()
    peak = tracemalloc.get_traced_memory()[1] - before
    tracemalloc.stop()
    return peak, result


@pytest.mark.parametrize("fused", [False, True], ids=["plain", "fused"])
def test_test_mode_forward_keeps_no_caches(rng, fused):
    model = ConvNet(SPEC, dtype=np.float64, seed=0, fused=fused)
    X = rng.standard_normal((N, 3, 16, 16))
    y = rng.integers(10, size=N)
    model.loss(X, y)  # running statistics for test-mode batch norm
    bound = _bound(model, N) + SLACK
    caches = _cache_bytes(model, X, y)
    assert caches >= 10 * bound, (caches, bound)

    for warm in (False, True):  # from an empty scratch pool, and with the pool warmed by training
        if not warm:
            workspace.clear()
        else:
            model.loss(X, y)
        peak, scores = _peak_of(lambda: model.loss(X))
        extra = peak - scores.nbytes
        print(f"fused={fused} warm={warm}: extra {extra} bytes, bound {bound}, training caches {caches}")
        assert extra <= bound, f"warm={warm}: {extra} bytes > bound {bound} (training caches {caches})"
    workspace.clear()


def test_predictions_equal_in_both_pool_states(rng):
    model = ConvNet(SPEC, dtype=np.float64, seed=0)
    X = rng.standard_normal((N, 3, 16, 16))
    model.loss(X, rng.integers(10, size=N))
    workspace.clear()
    cold = model.loss(X)
    model.loss(X, rng.integers(10, size=N))
    np.testing.assert_allclose(model.loss(X), model.loss(X))
    assert cold.shape == (N, 10)


def test_predict_is_the_argmax_of_test_mode_scores_and_keeps_no_caches(rng):
    model = ConvNet(SPEC, dtype=np.float64, seed=0)
    X = rng.standard_normal((2 * N + 3, 3, 16, 16))
    model.loss(X[:N], rng.integers(10, size=N))
    np.testing.assert_array_equal(model.predict(X, batch_size=N), np.argmax(model.loss(X), axis=1))
    workspace.clear()
    peak, _ = _peak_of(lambda: model.predict(X[:N], batch_size=N))
    assert peak <= _bound(model, N) + SLACK
    workspace.clear()
