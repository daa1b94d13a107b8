"""The layer-pattern notation, the architecture calculator and the ZOO.

Expected figures come from the course notes (AlexNet's first layer, the
3x3-stack argument, the 72 MB example; the VGGNet breakdown of later versions
of the notes), from the papers (ZFNet's figure 3) or are worked out by hand in
the test with the notes' formulas; none is read back from the code under test.
"""

from __future__ import annotations

import dataclasses
import json
import math

import pytest

from cs231n_cnn.architecture import (
    NOTES,
    ZOO,
    Architecture,
    BatchNormSpec,
    ConvSpec,
    DropoutSpec,
    FCSpec,
    InputSpec,
    LocalSpec,
    NormSpec,
    PoolSpec,
    ReluSpec,
    SpecError,
    describe,
    format_bytes,
    lookup,
    parse,
    tokenize,
)

MiB = 1024 ** 2


def conv_out(w, f, s, p):
    """The notes' output-size formula, written out independently of shapes.py."""
    return (w - f + 2 * p) // s + 1


# --------------------------------------------------------------------------
# Tokenizer and parser
# --------------------------------------------------------------------------

def test_tokenizer_reports_kinds_and_1_based_columns():
    toks = tokenize("INPUT[8x8x1] -> [CONV3-4 S2]*2")
    assert [(t.kind, t.text, t.index, t.column) for t in toks] == [
        ("input", "INPUT[8x8x1]", 1, 1),
        ("arrow", "->", 2, 14),
        ("lbrack", "[", 3, 17),
        ("word", "CONV3-4", 4, 18),
        ("word", "S2", 5, 26),
        ("rbrack", "]", 6, 28),
        ("star", "*", 7, 29),
        ("word", "2", 8, 30),
        ("end", "", 9, 31),
    ]


def test_simple_cifar_example_from_the_notes():
    """INPUT [32x32x3] -> CONV (12 filters) [32x32x12] -> RELU -> POOL [16x16x12] -> FC [1x1x10]."""
    arch = parse("INPUT[32x32x3] -> CONV3-12 -> RELU -> POOL2 -> FC")
    assert [type(layer) for layer in arch] == [InputSpec, ConvSpec, ReluSpec, PoolSpec, FCSpec]
    assert [layer.output_shape for layer in arch] == [
        (32, 32, 3), (32, 32, 12), (32, 32, 12), (16, 16, 12), (1, 1, 10)]
    assert [layer.input_shape for layer in arch] == [
        None, (32, 32, 3), (32, 32, 12), (32, 32, 12), (16, 16, 12)]
    assert arch.input_shape == (32, 32, 3) and arch.output_shape == (1, 1, 10)


def test_defaults_stride_1_same_pad_pool_stride_f_bare_pool_is_pool2():
    arch = parse("INPUT[12x12x2] -> CONV5-4 -> CONV3-4 -> POOL -> POOL3 -> AVGPOOL2 S1 -> L2POOL1")
    conv5, conv3, pool, pool3, avg, l2 = arch[1:]
    assert (conv5.stride, conv5.pad, conv3.stride, conv3.pad) == (1, 2, 1, 1)
    assert (pool.mode, pool.pool_size, pool.stride) == ("max", 2, 2)
    assert (pool3.pool_size, pool3.stride) == (3, 3)
    assert (avg.mode, avg.pool_size, avg.stride) == ("avg", 2, 1)
    assert l2.mode == "l2"
    # 12 -> 12 -> 12 -> 6 -> 2 -> 1 -> 1
    assert [layer.output_shape[0] for layer in arch] == [12, 12, 12, 6, 2, 1, 1]


def test_bare_final_fc_is_num_classes():
    assert parse("INPUT[4x4x1] -> FC").output_shape == (1, 1, 10)
    arch = parse("INPUT[4x4x1] -> FC-7 -> RELU -> FC", num_classes=3)
    assert arch[1].num_outputs == 7 and arch[-1].num_outputs == 3 and arch.num_classes == 3


def test_case_and_whitespace_do_not_matter():
    a = parse("INPUT[32x32x3] -> CONV5-8 S1 P2 -> RELU -> MAXPOOL2 -> DROPOUT0.75 -> FC-10")
    b = parse("input[32X32X3]->conv5-8 s1 p2->ReLU->maxpool2->dropout0.75->fc-10")
    c = parse("INPUT [ 32 x 32 x 3 ]\n  -> CONV5-8  P2 S1 → relu -> pool2 -> Dropout-0.75 -> FC-10")
    assert str(a) == str(b) == str(c)
    assert [layer.output_shape for layer in a] == [layer.output_shape for layer in c]


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("INPUT[16x16x1] -> [[CONV3-4 -> RELU]*2 -> POOL2]*3 -> FC",
         ["input"] + ["conv", "relu", "conv", "relu", "pool"] * 3 + ["fc"]),
        ("INPUT[16x16x1] -> [CONV3-4 -> RELU]*0 -> FC", ["input", "fc"]),
        ("INPUT[16x16x1] -> [CONV3-4 -> RELU] -> FC", ["input", "conv", "relu", "fc"]),
        ("INPUT[16x16x1] -> CONV3-4*3 -> FC", ["input", "conv", "conv", "conv", "fc"]),
        ("INPUT[16x16x1] -> [FC-8 -> RELU]*2 -> FC", ["input", "fc", "relu", "fc", "relu", "fc"]),
    ],
    ids=["nested", "times-zero-removes", "bare-bracket-groups", "single-layer-repeat", "fc-block"],
)
def test_repetition_expands(spec, expected):
    assert [layer.kind for layer in parse(spec)] == expected


def test_each_layer_remembers_where_it_was_written():
    arch = parse("INPUT[8x8x1] -> [CONV3-4 -> RELU]*2")
    # Both repetitions point at the same source token.
    assert [(layer.token, layer.column) for layer in arch] == [(1, 1), (4, 18), (6, 29), (4, 18), (6, 29)]


def test_layer_specs_carry_what_a_model_builder_needs():
    arch = parse("INPUT[8x8x3] -> CONV3-16 S1 P1 -> BN -> RELU -> NORM -> POOL2 -> LOCAL3-5 P0"
                 " -> FC-20 -> BN -> DROPOUT0.8 -> FC")
    inp, conv, bn1, relu, norm, pool, local, fc, bn2, drop, out = arch
    assert conv.weight_shape == (16, 3, 3, 3) and conv.bias_shape == (16,)
    assert conv.conv_param == {"stride": 1, "pad": 1}
    assert (bn1.spatial, bn1.weight_shape, bn1.bias_shape) == (True, (16,), (16,))
    # AlexNet's constants; alpha is scaled by size because lrn_forward divides it by size
    assert norm.lrn_param == {"size": 5, "alpha": 5 * 1e-4, "beta": 0.75, "k": 2.0}
    assert pool.pool_param == {"pool_height": 2, "pool_width": 2, "stride": 2}
    # LOCAL: one filter and bias per output position.
    assert local.output_shape == (2, 2, 5)
    assert local.weight_shape == (2, 2, 5, 16, 3, 3) and local.bias_shape == (2, 2, 5)
    # FC flattens the volume before it.
    assert fc.input_shape == (2, 2, 5) and fc.weight_shape == (2 * 2 * 5, 20) and fc.in_features == 20
    assert (bn2.spatial, bn2.weight_shape) == (False, (20,))
    assert drop.p == 0.8 and drop.dropout_param == {"mode": "train", "p": 0.8}
    assert out.weight_shape == (20, 10)
    assert isinstance(arch, Architecture) and len(arch) == 11
    with pytest.raises(dataclasses.FrozenInstanceError):  # frozen: a builder cannot corrupt the spec
        conv.stride = 2


def test_canonical_notation_round_trips():
    spec = "INPUT[227x227x3] -> CONV11-96 S4 P0 -> RELU -> NORM -> POOL3 S2 -> CONV4-8 P1 -> AVGPOOL2 -> FC"
    arch = parse(spec)
    assert str(arch) == spec.replace("-> FC", "-> FC-10")
    assert str(parse(str(arch))) == str(arch)
    tiny = parse("INPUT[2x2x1] -> DROPOUT0.00001")
    assert str(tiny) == "INPUT[2x2x1] -> DROPOUT0.00001" and tiny[1].p == 1e-5


# --------------------------------------------------------------------------
# Errors: ValueError naming the token, its position and what was expected
# --------------------------------------------------------------------------

@pytest.mark.parametrize(
    "spec, pattern",
    [
        # A layer that does not fit shows the formula with the numbers.
        ("INPUT[10x10x1] -> CONV3-4 S2 P0",
         r"layer 1 'CONV3-4 S2 P0' \(token 3, column 19\): height does not fit: "
         r"\(W - F \+ 2P\)/S \+ 1 = \(10 - 3 \+ 2\*0\)/2 \+ 1 = 4\.5 is not an integer"),
        ("INPUT[9x11x1] -> POOL3 -> FC", r"layer 1 'POOL3'.*width does not fit: .*\(11 - 3 \+ 2\*0\)/3 \+ 1 = 3\.667"),
        ("INPUT[4x4x1] -> CONV7-2 P1", r"filter is larger than the padded input .*F=7 > W \+ 2P = 4 \+ 2\*1 = 6"),
        ("INPUT[8x8x1] -> CONV4-8", r"'CONV4-8' \(token 3, column 17\): F=4 is even, so the default 'same' "
                                    r"padding P=\(F-1\)/2 = 1\.5 is not an integer; give the padding, e.g. 'CONV4-8 P1'"),
        # The course's abstract notation, used as if concrete.
        ("INPUT[8x8x1] -> [[CONV3-4 -> RELU]*2 -> POOL?]*2", r"'POOL\?' \(token 12, column 41\): '\?' marks an optional layer"),
        ("INPUT[8x8x1] -> CONV -> FC", r"'CONV' \(token 3, column 17\): CONV needs a filter size F and a number of filters K"),
        ("INPUT[8x8x1] -> LOCAL3 -> FC", r"LOCAL needs a filter size F and a number of filters K: LOCAL\{F\}-\{K\}"),
        ("INPUT[8x8x1] -> [CONV3-4]*N", r"'N' \(token 7, column 27\): expected a repeat count .*N, M, K stand for numbers"),
        ("INPUT[8x8x1] -> [CONV3-4]*", r"'\*' \(token 6, column 26\): expected a repeat count"),
        ("INPUT[8x8x1] -> [CONV3-4]*-1", r"'-1'.*expected a repeat count \(a non-negative integer\)"),
        # Structure.
        ("INPUT[8x8x1] -> CONV3-4 RELU", r"'RELU' \(token 4, column 25\): CONV3-4 takes the options S\{stride\} or "
                                         r"P\{pad\}; if this is the next layer, put '->' before it"),
        ("INPUT[8x8x1] -> RELU S2", r"'S2'.*RELU takes no options"),
        ("INPUT[8x8x1] -> POOL2 P1", r"'P1'.*POOL2 takes the options S\{stride\}"),
        ("INPUT[8x8x1] -> CONV3-4 S1 S2", r"'S2'.*given S twice"),
        ("INPUT[8x8x1] -> CONV3-4 ->", r"end of spec \(token 5, column 27\): the spec ends where a layer should be"),
        ("INPUT[8x8x1] -> -> FC", r"'->' \(token 3, column 17\): '->' with no layer before it"),
        ("INPUT[8x8x1] -> [CONV3-4 -> RELU", r"end of spec.*expected '\]' to close the '\[' at column 17"),
        ("INPUT[8x8x1] -> CONV3-4] -> FC", r"'\]' \(token 4.*closes no '\['"),
        ("INPUT[8x8x1] -> [] -> FC", r"'\]'.*where a layer should be"),
        ("INPUT[8x8x1] -> CONV3-4 [RELU]", r"'\['.*expected '->' between layers"),
        ("", r"the spec is empty"),
        ("   ", r"the spec is empty"),
        ("INPUT[8x8x1] -> CONV3-4, RELU", r"unexpected character ',' at column 24"),
        # INPUT.
        ("CONV3-4 -> FC", r"a spec starts with INPUT\[HxWxD\].*got 'CONV3-4' \(token 1, column 1\) first"),
        ("INPUT[8x8x1] -> INPUT[8x8x1]", r"layer 1 'INPUT\[8x8x1\]' \(token 3, column 17\): INPUT may appear only once"),
        ("INPUT -> FC", r"'INPUT' \(token 1, column 1\): INPUT needs its volume size, e.g. INPUT\[32x32x3\]"),
        ("INPUT[8x8] -> FC", r"expected INPUT\[HxWxD\] with three positive integers"),
        ("INPUT[8x0x1] -> FC", r"the input width W must be a positive integer, got 0"),
        ("INPUT[8x8x1 -> FC", r"INPUT\[ at column 1 is not closed"),
        # FC.
        ("INPUT[8x8x1] -> FC -> RELU -> FC", r"layer 1 'FC' \(token 3, column 17\): a bare FC means 'one output per "
                                             r"class' and may only be the last layer"),
        ("INPUT[8x8x1] -> FC10", r"'FC10'.*write the number of outputs after a dash: FC-10"),
        ("INPUT[8x8x1] -> FC-0", r"the number of outputs N must be a positive integer, got 0"),
        ("INPUT[8x8x1] -> FC-16 -> CONV3-4", r"layer 2 'CONV3-4' \(token 5, column 26\) comes after FC-16, whose "
                                             r"output is a vector \(1x1x16\)"),
        ("INPUT[8x8x1] -> FC-16 -> POOL2", r"comes after FC-16.*put CONV, LOCAL, POOL and NORM layers before the first FC"),
        ("INPUT[8x8x1] -> FC -> SOFTMAX", r"'SOFTMAX'.*the loss is not a layer of the spec"),
        # Values.
        ("INPUT[8x8x1] -> CONV3-0", r"the number of filters K must be a positive integer, got 0"),
        ("INPUT[8x8x1] -> CONV0-4", r"the filter size F must be a positive integer, got 0"),
        ("INPUT[8x8x1] -> CONV3-4 S0", r"'S0'.*the stride S must be a positive integer, got 0"),
        ("INPUT[8x8x1] -> POOL0", r"the pool size F must be a positive integer, got 0"),
        ("INPUT[8x8x1] -> DROPOUT1.5", r"DROPOUT\{p\} takes the probability of keeping an activation, 0 < p <= 1, got p=1\.5"),
        ("INPUT[8x8x1] -> DROPOUT0", r"0 < p <= 1, got p=0"),
        ("INPUT[8x8x1] -> TANH", r"'TANH' \(token 3, column 17\): unknown layer; expected one of INPUT\[HxWxD\], "
                                 r"CONV\{F\}-\{K\}"),
        ("vgg16", r"'vgg16'.*unknown layer.*is a ready spec: use ZOO\['vgg16'\]"),
        ("INPUT[8x8x1] -> [RELU]*20000", r"expands to more than 10,000 layers"),
    ],
    ids=lambda v: v if len(v) < 40 else v[:37] + "...",
)
def test_spec_errors_name_the_token_and_what_was_expected(spec, pattern):
    with pytest.raises(ValueError, match=pattern):
        parse(spec)


def test_spec_error_carries_token_and_column():
    with pytest.raises(SpecError) as info:
        parse("INPUT[10x10x1] -> RELU -> CONV3-4 S2 P0")
    assert (info.value.token, info.value.column) == (5, 27)
    assert isinstance(info.value, ValueError)


def test_fit_error_points_at_the_repeated_layer_that_breaks():
    # 16 -> 8 -> 4 -> 2 -> 1 -> 0.5: the fifth POOL2 does not fit.
    with pytest.raises(SpecError, match=r"layer 10 'POOL2' \(token 7, column 34\): height does not fit: "
                                        r".*\(1 - 2 \+ 2\*0\)/2 \+ 1|filter is larger than the padded input"):
        parse("INPUT[16x16x1] -> [CONV3-4 -> POOL2]*5")


@pytest.mark.parametrize("bad", [0, -1, 2.0, True, "10"], ids=repr)
def test_num_classes_must_be_a_positive_integer(bad):
    with pytest.raises(ValueError, match="num_classes must be a positive integer"):
        parse("INPUT[4x4x1] -> FC", num_classes=bad)


def test_non_string_spec_is_a_type_error():
    with pytest.raises(TypeError, match="must be a string, got int"):
        parse(42)


# --------------------------------------------------------------------------
# The course's figures
# --------------------------------------------------------------------------

def test_alexnet_first_layer():
    """Notes: [227x227x3] -> 55x55x96 = 290,400 neurons, each with 11*11*3 = 363 weights and 1 bias:
    290400 * 364 = 105,705,600 parameters without sharing; with sharing 96*11*11*3 = 34,848 weights
    + 96 biases = 34,944."""
    d = describe("INPUT[227x227x3] -> CONV11-96 S4 P0", sharing=False)
    conv1 = d.layers[1]
    assert conv1.output == (55, 55, 96) == (conv_out(227, 11, 4, 0),) * 2 + (96,)
    assert conv1.activations == 55 * 55 * 96 == 290_400
    assert (conv1.weights, conv1.biases, conv1.params) == (34_848, 96, 34_944)
    assert conv1.params_unshared == 290_400 * (11 * 11 * 3 + 1) == 105_705_600
    assert conv1.receptive_field == (11, 11)
    assert d.total_params_unshared == 105_705_600
    text = str(d)
    assert "no sharing" in text and "105,705,600" in text and "34,944" in text
    assert "no sharing" not in str(describe("INPUT[227x227x3] -> CONV11-96 S4 P0"))


@pytest.mark.parametrize("C", [1, 3, 16, 64, 512])
@pytest.mark.parametrize("relu", [False, True], ids=["no-relu", "relu-between"])
def test_three_3x3_convs_vs_one_7x7(C, relu):
    """Notes: three CONV3-C layers have C*(3*3*C) weights each, 27C^2 in all, one CONV7-C has 49C^2,
    and both see a 7x7 region of the input."""
    act = " -> RELU" if relu else ""
    stack = describe(f"INPUT[32x32x{C}] -> CONV3-{C}{act} -> CONV3-{C}{act} -> CONV3-{C}{act}")
    single = describe(f"INPUT[32x32x{C}] -> CONV7-{C}")
    assert sum(b.weights for b in stack.layers) == 27 * C ** 2
    assert sum(b.weights for b in single.layers) == 49 * C ** 2
    assert stack.layers[-1].receptive_field == single.layers[-1].receptive_field == (7, 7)
    # Intermediate receptive fields grow 3, 5, 7.
    convs = [b for b in stack.layers if b.kind == "conv"]
    assert [b.receptive_field[0] for b in convs] == [3, 5, 7]


def test_three_conv3_64_layers_on_224_memory():
    """Notes: "filtering a 224x224x3 image with three 3x3 CONV layers with 64 filters each and padding 1
    would create three activation volumes of size [224x224x64]. This amounts to a total of about 10
    million activations, or 72MB of memory (per image, for both activations and gradients)."

    Exactly: the three volumes hold 3*224*224*64 = 9,633,792 numbers; with their gradients, in float32,
    9,633,792 * 2 * 4 = 77,070,336 B = 73.5 MB (1024-based): the notes' 72MB, rounded down. Our totals
    also count the INPUT volume (150,528, as the later notes' VGGNet table does): 9,784,320 activations and
    78,274,560 B = 74.6 MB for activations + gradients, float32, batch 1.
    """
    d = describe("INPUT[224x224x3] -> CONV3-64 -> CONV3-64 -> CONV3-64")
    convs = [b for b in d.layers if b.kind == "conv"]
    assert [b.output for b in convs] == [(224, 224, 64)] * 3
    conv_acts = sum(b.activations for b in convs)
    assert conv_acts == 3 * 224 * 224 * 64 == 9_633_792
    assert d.input_activations == 224 * 224 * 3 == 150_528
    assert d.total_activations == 9_633_792 + 150_528 == 9_784_320
    assert d.total_activations == pytest.approx(10e6, rel=0.05)       # "about 10 million"
    assert conv_acts * 2 * 4 == 77_070_336 and 77_070_336 / MiB == 73.5
    mem = d.memory["float32"]
    assert mem["forward"] == 9_784_320 * 4
    assert mem["forward_backward"] == 9_784_320 * 4 * 2 == 78_274_560
    assert mem["forward_backward"] / MiB == pytest.approx(72, rel=0.04)  # "72MB"
    assert d.memory["float64"]["forward_backward"] == 2 * mem["forward_backward"]


VGG16_TABLE = [
    # (name, output volume, weights) as in the later notes' VGGNet breakdown (biases not in their column).
    ("INPUT[224x224x3]", (224, 224, 3), 0),
    ("CONV3-64", (224, 224, 64), 3 * 3 * 3 * 64),
    ("CONV3-64", (224, 224, 64), 3 * 3 * 64 * 64),
    ("POOL2", (112, 112, 64), 0),
    ("CONV3-128", (112, 112, 128), 3 * 3 * 64 * 128),
    ("CONV3-128", (112, 112, 128), 3 * 3 * 128 * 128),
    ("POOL2", (56, 56, 128), 0),
    ("CONV3-256", (56, 56, 256), 3 * 3 * 128 * 256),
    ("CONV3-256", (56, 56, 256), 3 * 3 * 256 * 256),
    ("CONV3-256", (56, 56, 256), 3 * 3 * 256 * 256),
    ("POOL2", (28, 28, 256), 0),
    ("CONV3-512", (28, 28, 512), 3 * 3 * 256 * 512),
    ("CONV3-512", (28, 28, 512), 3 * 3 * 512 * 512),
    ("CONV3-512", (28, 28, 512), 3 * 3 * 512 * 512),
    ("POOL2", (14, 14, 512), 0),
    ("CONV3-512", (14, 14, 512), 3 * 3 * 512 * 512),
    ("CONV3-512", (14, 14, 512), 3 * 3 * 512 * 512),
    ("CONV3-512", (14, 14, 512), 3 * 3 * 512 * 512),
    ("POOL2", (7, 7, 512), 0),
    ("FC-4096", (1, 1, 4096), 7 * 7 * 512 * 4096),
    ("FC-4096", (1, 1, 4096), 4096 * 4096),
    ("FC-1000", (1, 1, 1000), 4096 * 1000),
]


def _vgg_rows_as_in_the_notes(d):
    """The later notes' table lists no RELU or DROPOUT rows (Caffe models run them in place)."""
    return [b for b in d.layers if b.kind not in ("relu", "dropout")]


def test_vgg16_matches_the_notes_breakdown():
    d = describe("vgg16")
    rows = _vgg_rows_as_in_the_notes(d)
    assert [(b.name, b.output, b.weights) for b in rows] == VGG16_TABLE
    # Spot values printed in the notes.
    assert [rows[i].weights for i in (1, 2, 4, 7, 11, 12, 19, 20, 21)] == [
        1_728, 36_864, 73_728, 294_912, 1_179_648, 2_359_296, 102_760_448, 16_777_216, 4_096_000]
    biases = 2 * 64 + 2 * 128 + 3 * 256 + 6 * 512 + 4096 + 4096 + 1000
    assert d.total_params == sum(w for _, _, w in VGG16_TABLE) + biases == 138_357_544
    # Pool5's neuron sees 212x212 of the (padded) input; an FC sees the whole 7x7x512 volume.
    assert rows[18].receptive_field == (212, 212)
    assert rows[19].receptive_field == (212 + 6 * 32,) * 2


def test_vgg16_activation_total_versus_the_notes_24M():
    """The later notes: "TOTAL memory: 24M * 4 bytes ~= 93MB / image (only forward!)". Their own table does not
    add up to that. Summing the notes' rounded rows:

        150K + 3.2M*2 + 800K + 1.6M*2 + 400K + 800K*3 + 200K + 400K*3 + 100K + 100K*3 + 25K
        + 4096 + 4096 + 1000 = 15,184,192

    and the exact rows (224*224*3 + 2*224*224*64 + ...) give 15,237,608, i.e. 58.1 MB in float32, not
    93MB. Counting the outputs of the 13 ReLUs after the CONV layers as well would give 28,793,320 (plus
    2 * 4096 for the FC ReLUs and 2 * 4096 for dropout in our spec: 28,801,512) - not 24M either. The
    notes' "24M" is an arithmetic slip; the library reports the exact figures.
    """
    course_rounded = (150e3 + 3.2e6 * 2 + 800e3 + 1.6e6 * 2 + 400e3 + 800e3 * 3 + 200e3 + 400e3 * 3
                      + 100e3 + 100e3 * 3 + 25e3 + 4096 + 4096 + 1000)
    assert course_rounded == 15_184_192
    exact = sum(math.prod(shape) for _, shape, _ in VGG16_TABLE)
    assert exact == 15_237_608

    d = describe("vgg16")
    assert d.total_activations_in_place == exact
    assert sum(b.activations for b in _vgg_rows_as_in_the_notes(d)) == exact
    relu_and_dropout = (2 * 224 * 224 * 64 + 2 * 112 * 112 * 128 + 3 * 56 * 56 * 256 + 3 * 28 * 28 * 512
                        + 3 * 14 * 14 * 512) + 2 * 4096 + 2 * 4096
    assert d.total_activations == exact + relu_and_dropout == 28_801_512
    assert d.memory["float32"]["forward"] == exact * 4 + relu_and_dropout * 4
    assert exact * 4 / MiB == pytest.approx(58.13, abs=0.01)
    assert not math.isclose(exact, 24e6, rel_tol=0.2)


def test_vgg16_multiply_adds():
    d = describe("vgg16")
    expected = 0
    prev_depth = 3
    for name, (h, w, depth), weights in VGG16_TABLE[1:]:
        if name.startswith("CONV"):
            expected += h * w * depth * 3 * 3 * prev_depth
        elif name.startswith("FC"):
            expected += weights
        prev_depth = depth
    assert d.total_mult_adds == expected == 15_470_264_320  # the usual "15.5 G multiply-adds"


def test_alexnet_single_tower_227():
    """Ungrouped AlexNet on 227x227x3: 62,378,344 parameters (the paper's two-GPU grouped version has
    60,965,224; "about 60 million" in the paper)."""
    d = describe("alexnet")
    convs_fcs = [b for b in d.layers if b.kind in ("conv", "fc")]
    assert [b.output for b in convs_fcs] == [
        (55, 55, 96), (27, 27, 256), (13, 13, 384), (13, 13, 384), (13, 13, 256),
        (1, 1, 4096), (1, 1, 4096), (1, 1, 1000)]
    expected = [
        11 * 11 * 3 * 96 + 96,
        5 * 5 * 96 * 256 + 256,
        3 * 3 * 256 * 384 + 384,
        3 * 3 * 384 * 384 + 384,
        3 * 3 * 384 * 256 + 256,
        6 * 6 * 256 * 4096 + 4096,
        4096 * 4096 + 4096,
        4096 * 1000 + 1000,
    ]
    assert [b.params for b in convs_fcs] == expected
    assert d.total_params == sum(expected) == 62_378_344
    grouped = expected[0] + (5 * 5 * 48 * 256 + 256) + expected[2] + (3 * 3 * 192 * 384 + 384) \
        + (3 * 3 * 192 * 256 + 256) + sum(expected[5:])
    assert grouped == 60_965_224  # the figure quoted in zoo.py's docstring
    pools = [b.output for b in d.layers if b.kind == "pool"]
    assert pools == [(27, 27, 96), (13, 13, 256), (6, 6, 256)]
    assert [b.kind for b in d.layers].count("norm") == 2


def test_zfnet_made_consistent():
    d = describe("zfnet")
    assert d.architecture.input_shape == (225, 225, 3)
    sizes = [(b.kind, b.output[0]) for b in d.layers if b.kind in ("conv", "pool")]
    assert sizes == [("conv", conv_out(225, 7, 2, 1)), ("pool", 55), ("conv", conv_out(55, 5, 2, 1)),
                     ("pool", 13), ("conv", 13), ("conv", 13), ("conv", 13), ("pool", 6)]
    assert sizes[0][1] == 111 and sizes[2][1] == 27
    expected = (7 * 7 * 3 * 96 + 96) + (5 * 5 * 96 * 256 + 256) + (3 * 3 * 256 * 384 + 384) \
        + (3 * 3 * 384 * 384 + 384) + (3 * 3 * 384 * 256 + 256) + (6 * 6 * 256 * 4096 + 4096) \
        + (4096 * 4096 + 4096) + (4096 * 1000 + 1000)
    assert d.total_params == expected == 62_357_608


def test_zfnet_paper_sizes_are_the_formula_rounded_up():
    """Zeiler & Fergus (2013), figure 3, no padding stated: 224 -> 110 (CONV7 S2) -> 55 (POOL3 S2) -> 26
    (CONV5 S2) -> 13 (POOL3 S2) -> 13, 13, 13 (CONV3) -> 6 (POOL3 S2). Those are (W - F + 2P)/S + 1 with the
    fraction rounded up, as cuda-convnet counts positions: 1 + ceil((2P + W - F) / S). The exact rule refuses
    three of them, and 110 or 26 fits no 3x3 stride-2 pool, which is why the ZOO has 111 and 27 there."""
    paper = [110, 55, 26, 13, 13, 13, 13, 6]
    layers = [(7, 2, 0), (3, 2, 0), (5, 2, 0), (3, 2, 0), (3, 1, 1), (3, 1, 1), (3, 1, 1), (3, 2, 0)]
    size, rounded_up = 224, []
    for f, s, p in layers:
        size = 1 + math.ceil((2 * p + size - f) / s)
        rounded_up.append(size)
    assert rounded_up == paper
    for spec in ("INPUT[224x224x3] -> CONV7-96 S2 P0", "INPUT[110x110x96] -> POOL3 S2",
                 "INPUT[26x26x256] -> POOL3 S2"):
        with pytest.raises(SpecError, match="does not fit"):
            parse(spec)
    zoo = [b.output[0] for b in describe("zfnet").layers if b.kind in ("conv", "pool")]
    assert zoo == [111, 55, 27, 13, 13, 13, 13, 6]
    assert [i for i, (ours, theirs) in enumerate(zip(zoo, paper)) if ours != theirs] == [0, 2]


@pytest.mark.parametrize("name", sorted(ZOO))
def test_in_place_total_is_worded_for_every_table(name):
    """Every table names the convention of its in-place total (Caffe's), never the VGGNet table of the notes,
    which describes VGG-16 only."""
    d = describe(name)
    text = d.table()
    assert "VGGNet" not in text and "notes" not in text
    if any(b.kind in ("relu", "dropout") for b in d.layers):
        assert (f"; {d.total_activations_in_place:,} if ReLU and dropout work in place (as Caffe models run them)"
                in text)


def test_zfnet_first_layer_cannot_fit_224():
    """Why the ZOO uses 225: 7x7 stride 2 on 224 gives (224 - 7 + 2P)/2 + 1, never an integer."""
    for pad in range(4):
        with pytest.raises(SpecError, match=r"does not fit"):
            parse(f"INPUT[224x224x3] -> CONV7-96 S2 P{pad}")


@pytest.mark.parametrize("name", sorted(ZOO))
def test_every_zoo_spec_parses_to_class_scores(name):
    arch = parse(ZOO[name], num_classes=10)
    expected_classes = 1000 if name in ("alexnet", "zfnet", "vgg16") else 10
    assert arch.output_shape == (1, 1, expected_classes)
    assert name in NOTES
    assert lookup(name) == name


def test_cifar_examples():
    assert describe("cifar10_linear").total_params == 32 * 32 * 3 * 10 + 10
    three = parse(ZOO["three_layer_convnet"])
    assert [layer.output_shape for layer in three] == [
        (32, 32, 3), (32, 32, 32), (32, 32, 32), (16, 16, 32), (1, 1, 100), (1, 1, 100), (1, 1, 10)]
    assert three[1].pad == 3  # (7 - 1) / 2, as assignment 2 pads
    js = parse(ZOO["cifar10_convnetjs"])
    assert [layer.output_shape for layer in js if layer.kind == "pool"] == [(16, 16, 16), (8, 8, 20), (4, 4, 20)]


@pytest.mark.parametrize("name", ["VGG-16", "vgg_16", " Vgg16 ", "AlexNet", "THREE-LAYER-CONVNET"])
def test_zoo_lookup_is_forgiving(name):
    assert lookup(name) is not None
    assert describe(name).name == lookup(name)


# --------------------------------------------------------------------------
# describe(): memory, options, JSON
# --------------------------------------------------------------------------

def test_memory_scales_with_batch_and_dtype_but_parameters_do_not_scale_with_batch():
    spec = "INPUT[8x8x3] -> CONV3-4 -> RELU -> POOL2 -> FC"
    acts = 8 * 8 * 3 + 8 * 8 * 4 * 2 + 4 * 4 * 4 + 10
    params = (3 * 3 * 3 * 4 + 4) + (4 * 4 * 4 * 10 + 10)
    d1 = describe(spec)
    d5 = describe(spec, batch=5, dtypes=("float64",))
    assert (d1.total_activations, d1.total_params) == (acts, params)
    pair = 8 * 8 * 4 * 2                        # test time: the CONV output and its ReLU output
    assert d1.memory["float32"] == {
        "forward": acts * 4, "forward_backward": acts * 8, "parameters": params * 4,
        "parameters_x3": params * 12, "total": acts * 8 + params * 12,
        "inference": pair * 4, "inference_total": pair * 4 + params * 4}
    assert set(d5.memory) == {"batch", "float64"} and d5.memory["batch"] == 5
    assert d5.memory["float64"]["forward"] == 5 * acts * 8
    assert d5.memory["float64"]["parameters_x3"] == 3 * params * 8
    assert "a batch of 5 images" in str(d5)


def test_batchnorm_and_dropout_budget():
    d = describe("INPUT[8x8x3] -> CONV3-4 -> BN -> RELU -> FC-6 -> BN -> DROPOUT0.5 -> FC")
    bn_conv, bn_fc, drop = d.layers[2], d.layers[5], d.layers[6]
    assert (bn_conv.weights, bn_conv.biases, bn_conv.params) == (4, 4, 8)
    assert bn_fc.params == 2 * 6
    assert drop.params == 0 and drop.activations == 6
    assert d.total_activations_in_place == d.total_activations - 8 * 8 * 4 - 6


def test_local_layer_costs_what_an_unshared_conv_would():
    local = describe("INPUT[227x227x3] -> LOCAL11-96 S4 P0").layers[1]
    conv = describe("INPUT[227x227x3] -> CONV11-96 S4 P0").layers[1]
    assert local.params == local.params_unshared == conv.params_unshared == 105_705_600
    assert local.mult_adds == conv.mult_adds == 290_400 * 363


def test_to_dict_is_json_with_the_documented_keys():
    d = describe("cifar10_simple", batch=2)
    data = json.loads(json.dumps(d.to_dict()))
    assert {"layers", "total_params", "total_activations", "memory"} <= set(data)
    assert data["layers"][1] == {
        "index": 1, "name": "CONV3-12", "kind": "conv", "output": [32, 32, 12],
        "activations": 32 * 32 * 12, "weights": 3 * 3 * 3 * 12, "biases": 12, "params": 3 * 3 * 3 * 12 + 12,
        "params_unshared": 32 * 32 * 12 * (3 * 3 * 3 + 1), "receptive_field": [3, 3],
        "mult_adds": 32 * 32 * 12 * 27}
    assert data["memory"]["batch"] == 2
    assert data["memory"]["float32"]["forward"] == 2 * 4 * data["total_activations"]


def test_describe_accepts_a_parsed_architecture():
    arch = parse("INPUT[4x4x1] -> FC", num_classes=3)
    assert describe(arch).layers[-1].output == (1, 1, 3)


def test_table_has_a_row_per_layer_and_the_totals():
    text = str(describe("INPUT[32x32x3] -> CONV3-12 -> RELU -> POOL2 -> FC"))
    lines = text.splitlines()
    assert lines[0] == "INPUT[32x32x3] -> CONV3-12 -> RELU -> POOL2 -> FC"
    assert any(line.split()[:3] == ["3", "POOL2", "16x16x12"] for line in lines)
    assert "parameters:    31,066" in text  # 3*3*3*12 + 12 + 16*16*12*10 + 10
    assert "forward + backward" in text and "float64" in text


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        ({"batch": 0}, "batch must be a positive integer, got 0"),
        ({"batch": 2.5}, "batch must be a positive integer"),
        ({"dtypes": ("float16",)}, r"dtype must be one of \['float32', 'float64'\], got 'float16'"),
        ({"dtypes": ()}, "at least one"),
    ],
    ids=["batch-0", "batch-float", "float16", "no-dtype"],
)
def test_describe_rejects_bad_options(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        describe("INPUT[4x4x1] -> FC", **kwargs)


@pytest.mark.parametrize(
    "n, text",
    [(0, "0 B"), (1023, "1023 B"), (1024, "1.00 KB"), (1536, "1.50 KB"), (78_274_560, "74.6 MB"),
     (555 * MiB, "555 MB"), (3 * 1024 ** 3, "3.00 GB"), (2000 * 1024 ** 3, "2000 GB")],
)
def test_format_bytes_uses_1024(n, text):
    assert format_bytes(n) == text


def test_dropout_and_norm_and_bn_parse_standalone():
    arch = parse("INPUT[4x4x2] -> NORM -> BN -> DROPOUT")
    assert isinstance(arch[1], NormSpec) and isinstance(arch[2], BatchNormSpec) and isinstance(arch[3], DropoutSpec)
    assert arch[3].p == 0.5
    assert isinstance(parse("INPUT[4x4x2] -> LOCAL3-2")[1], LocalSpec)


def test_norm_layer_uses_alexnets_normalization_exactly():
    """NORM's lrn_param must reproduce the paper's formula, whose alpha is not divided by size."""
    import numpy as np

    from cs231n_cnn.layers import lrn_forward

    norm = parse("INPUT[1x1x7] -> NORM")[1]
    x = np.random.default_rng(0).standard_normal((2, 7, 3, 3))
    out, _ = lrn_forward(x, norm.lrn_param)
    expected = np.empty_like(x)
    for c in range(7):
        lo, hi = max(0, c - 2), min(7, c + 3)  # n=5 neighbours centred on c
        expected[:, c] = x[:, c] / (2.0 + 1e-4 * (x[:, lo:hi] ** 2).sum(axis=1)) ** 0.75
    np.testing.assert_allclose(out, expected, rtol=1e-12)
