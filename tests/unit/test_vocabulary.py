"""A pool mode is registered in one place (architecture/vocabulary.POOL_MODES) and every user accepts it."""

from __future__ import annotations

import numpy as np
import pytest

from cs231n_cnn.architecture import SpecError, describe, notation, parse
from cs231n_cnn.architecture.vocabulary import POOL_MODES, PoolMode
from cs231n_cnn.convnet import ConvNet

SPEC = "INPUT[4x6x2] -> MEANPOOL2 -> FC-3"


@pytest.fixture
def mean_pool(monkeypatch):
    """A dummy mode 'mean' (MEANPOOL{F}) running the average-pooling layer functions: one table entry."""
    monkeypatch.setitem(POOL_MODES, "mean", PoolMode("MEAN", "avg_pool_forward", "avg_pool_backward"))


def test_the_parser_and_the_notation_accept_a_registered_pool_mode(mean_pool):
    arch = parse("INPUT[4x6x2] -> MEANPOOL2 -> RELU -> MEANPOOL1 S1 -> FC")
    pool = arch[1]
    assert (pool.kind, pool.mode, pool.pool_size, pool.stride) == ("pool", "mean", 2, 2)
    assert pool.output_shape == (2, 3, 2)
    assert str(arch) == "INPUT[4x6x2] -> MEANPOOL2 -> RELU -> MEANPOOL1 -> FC-10"
    assert str(parse(SPEC)) == SPEC


def test_known_layers_and_the_unknown_layer_message_list_a_registered_pool_mode(mean_pool):
    assert "MEANPOOL{F}" in notation.KNOWN_LAYERS
    assert notation.KNOWN_LAYERS[-2:] == ("FC-{N}", "FC")
    with pytest.raises(SpecError, match=r"expected one of .*L2POOL\{F\}, MEANPOOL\{F\}, FC-\{N\}"):
        parse("INPUT[4x4x1] -> BOGUS -> FC")


def test_describe_costs_a_registered_pool_mode(mean_pool):
    rows = describe(SPEC).layers
    assert (rows[1].name, rows[1].kind, rows[1].output, rows[1].params) == ("MEANPOOL2", "pool", (2, 3, 2), 0)
    assert rows[1].receptive_field == (2, 2)


@pytest.mark.parametrize("fused", [False, True], ids=["nchw", "fused"])
def test_convnet_runs_a_registered_pool_mode(mean_pool, fused):
    rng = np.random.default_rng(0)
    model = ConvNet(SPEC, dtype=np.float64, seed=0, fused=fused)
    X = rng.standard_normal((5, 2, 4, 6))
    # Independent reference: the mean of each 2x2 window by reshaping, then the affine layer.
    pooled = X.reshape(5, 2, 2, 2, 3, 2).mean(axis=(3, 5))
    expected = pooled.reshape(5, -1) @ model.params["W1"] + model.params["b1"]
    np.testing.assert_allclose(model.loss(X), expected, rtol=1e-12)
    y = np.array([0, 1, 2, 0, 1])
    loss, grads = model.loss(X, y)
    assert np.isfinite(loss) and set(grads) == {"W1", "b1"}


def test_without_the_entry_the_mode_is_unknown_everywhere():
    assert "mean" not in POOL_MODES
    assert "MEANPOOL{F}" not in notation.KNOWN_LAYERS
    with pytest.raises(SpecError, match="unknown layer"):
        parse(SPEC)
