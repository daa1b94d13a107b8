"""ConvNets in the course's layer-pattern notation, and their budgets.

The notes write architectures as ``INPUT -> [[CONV -> RELU]*N -> POOL?]*M ->
[FC -> RELU]*K -> FC``. Here a concrete spec such as::

    INPUT[32x32x3] -> [CONV3-32 -> RELU]*2 -> POOL2 -> FC-100 -> RELU -> FC

is parsed into a checked list of layer specs (:func:`parse`), and costed
layer by layer, as in the VGGNet breakdown of later versions of the notes (:func:`describe`, also
``cs231n-cnn describe``). :data:`ZOO` holds the case studies (written up in later versions of the notes).

Modules
-------
notation  tokenizer and recursive-descent parser for the notation
specs     the LayerSpec types and shape propagation
budget    activations, parameters, memory, receptive fields, multiply-adds
zoo       ready specs: AlexNet, ZFNet, VGG-16, CIFAR-10 examples

Examples
--------
>>> from cs231n_cnn.architecture import parse, describe
>>> [layer.output_shape for layer in parse("INPUT[32x32x3] -> CONV3-12 -> RELU -> POOL2 -> FC")]
[(32, 32, 3), (32, 32, 12), (32, 32, 12), (16, 16, 12), (1, 1, 10)]
>>> describe("vgg16").total_params
138357544
"""

from .budget import Description, LayerBudget, describe, format_bytes
from .notation import parse, tokenize
from .specs import (
    Architecture,
    BatchNormSpec,
    ConvSpec,
    DropoutSpec,
    FCSpec,
    InputSpec,
    LayerSpec,
    LocalSpec,
    NormSpec,
    PoolSpec,
    ReluSpec,
    SpecError,
)
from .zoo import NOTES, ZOO, lookup

__all__ = [
    "parse",
    "tokenize",
    "describe",
    "Description",
    "LayerBudget",
    "format_bytes",
    "ZOO",
    "NOTES",
    "lookup",
    "SpecError",
    "Architecture",
    "LayerSpec",
    "InputSpec",
    "ConvSpec",
    "LocalSpec",
    "ReluSpec",
    "NormSpec",
    "BatchNormSpec",
    "DropoutSpec",
    "PoolSpec",
    "FCSpec",
]
