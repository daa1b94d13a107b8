"""describe()'s test-time (inference) memory: the largest input + output pair of consecutive rows.

Expected figures come from activation counts written out by hand with (W - F + 2P)/S + 1,
not from the calculator's own rows.
"""

from __future__ import annotations

import json

import pytest

from cs231n_cnn.architecture import describe

ITEM = {"float32": 4, "float64": 8}

SMALL = "INPUT[32x32x3] -> CONV3-16 -> RELU -> POOL2 -> FC"
# Output volumes, by hand: CONV3-16 has P = 1, (32 - 3 + 2)/1 + 1 = 32; POOL2 has (32 - 2)/2 + 1 = 16.
SMALL_ACTS = [32 * 32 * 3, 32 * 32 * 16, 32 * 32 * 16, 16 * 16 * 16, 10]
SMALL_PARAMS = (3 * 3 * 3 * 16 + 16) + (16 * 16 * 16 * 10 + 10)


def largest_pair(acts):
    best = 0
    for i in range(1, len(acts)):
        best = max(best, acts[i - 1] + acts[i])
    return best


def test_small_spec_by_hand():
    assert largest_pair(SMALL_ACTS) == 32_768                  # the CONV output and its ReLU output
    d = describe(SMALL)
    assert d.inference_activations == 32_768
    assert d.total_params == SMALL_PARAMS == 41_418


@pytest.mark.parametrize("batch", [1, 3, 64])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_inference_bytes_scale_with_batch_and_itemsize(batch, dtype):
    mem = describe(SMALL, batch=batch, dtypes=dtype).memory[dtype]
    assert mem["inference"] == 32_768 * batch * ITEM[dtype]
    # Parameters once: no gradients and no optimizer cache at test time, and no factor for the batch.
    assert mem["inference_total"] == 32_768 * batch * ITEM[dtype] + SMALL_PARAMS * ITEM[dtype]


def test_the_pair_is_of_neighbours_not_the_two_largest_rows():
    # 32x32x16 -> CONV1-1 (P = 0): 32x32x1 -> CONV1-16: 32x32x16. The two 16384-sized volumes are never alive
    # together: the 1-channel volume is between them.
    d = describe("INPUT[32x32x16] -> CONV1-1 -> CONV1-16 -> FC")
    assert [layer.activations for layer in d.layers] == [16_384, 1_024, 16_384, 10]
    assert d.inference_activations == 16_384 + 1_024


def test_input_is_the_first_layer_of_a_pair():
    # POOL2: (64 - 2)/2 + 1 = 32. The image is the largest volume, so the pair with it is the largest.
    d = describe("INPUT[64x64x3] -> POOL2 -> FC")
    assert [layer.activations for layer in d.layers] == [12_288, 3_072, 10]
    assert d.inference_activations == 12_288 + 3_072


def test_input_alone_is_just_the_image():
    assert describe("INPUT[4x4x2]").inference_activations == 32


def test_relu_and_dropout_rows_are_layer_outputs():
    # FC-100 -> DROPOUT: this library's dropout returns a copy in test mode, so both volumes are alive.
    d = describe("INPUT[4x4x1] -> FC-100 -> DROPOUT0.5 -> FC")
    assert d.inference_activations == 100 + 100
    # The same net without the DROPOUT row: INPUT (16) + FC-100.
    assert describe("INPUT[4x4x1] -> FC-100 -> FC").inference_activations == 16 + 100


VGG_BATCH = 64
# VGG-16's largest pair: the first CONV3-64 on 224x224 (P = 1 keeps 224) and its ReLU output.
VGG_PAIR = 2 * 224 * 224 * 64
VGG_PARAMS = 138_357_544                                         # the notes' 138M, biases included


def test_vgg16_known_values():
    d = describe("vgg16", batch=VGG_BATCH)
    assert d.inference_activations == VGG_PAIR == 6_422_528
    for dtype, item in ITEM.items():
        mem = d.memory[dtype]
        assert mem["inference"] == VGG_PAIR * VGG_BATCH * item
        assert mem["inference_total"] == (VGG_PAIR * VGG_BATCH + VGG_PARAMS) * item
    assert d.memory["float32"]["inference"] == 1_644_167_168
    assert d.memory["float32"]["inference_total"] == 2_197_597_344
    # Test time needs far less than training: the pair is about 22% of the activations kept for training.
    assert d.inference_activations / d.total_activations == pytest.approx(0.223, abs=0.001)
    assert d.memory["float32"]["inference_total"] < d.memory["float32"]["total"] / 6


def test_the_training_entries_are_unchanged():
    acts, params = sum(SMALL_ACTS), SMALL_PARAMS
    mem = describe(SMALL, batch=2, dtypes="float64").memory["float64"]
    assert mem == {
        "forward": 2 * acts * 8, "forward_backward": 2 * 2 * acts * 8, "parameters": params * 8,
        "parameters_x3": 3 * params * 8, "total": 2 * 2 * acts * 8 + 3 * params * 8,
        "inference": 2 * 32_768 * 8, "inference_total": 2 * 32_768 * 8 + params * 8}


def test_json_form():
    data = json.loads(json.dumps(describe(SMALL, batch=5).to_dict()))
    assert data["inference_activations"] == 32_768
    assert data["memory"]["batch"] == 5
    for dtype, item in ITEM.items():
        assert data["memory"][dtype]["inference"] == 5 * 32_768 * item
        assert data["memory"][dtype]["inference_total"] == 5 * 32_768 * item + SMALL_PARAMS * item
    counting = data["counting"]
    assert "consecutive" in counting["inference"] and "INPUT" in counting["inference"]
    assert "RELU" in counting["inference"] and "DROPOUT" in counting["inference"]
    assert "parameters x1" in counting["inference_total"]


def test_text_table_shows_the_test_time_rows_after_the_training_rows():
    lines = str(describe("vgg16", batch=VGG_BATCH)).splitlines()
    start = lines.index(next(line for line in lines if line.startswith("memory for a batch of 64 images")))
    labels = [line[:52].rstrip() for line in lines[start + 1:]]
    assert labels == [
        "activations",
        "forward + backward (activations and their gradients)",
        "parameters",
        "parameters x3 (weights, gradients, optimizer cache)",
        "total (forward + backward and parameters x3)",
        "test time: activations (largest input + output pair)",
        "test time total (activations and parameters x1)",
    ]
    # 1,644,167,168 B = 1.53 GB; 2,197,597,344 B = 2.05 GB (1 GB = 2**30 B); float64 twice each.
    assert lines[start + 6].endswith("1.53 GB  3.06 GB")
    assert lines[start + 7].endswith("2.05 GB  4.09 GB")
