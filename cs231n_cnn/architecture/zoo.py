"""Ready specs for the case studies and the CIFAR-10 examples of the course notes.

The case studies (AlexNet, ZFNet, VGGNet) are written up only in later versions
of the notes; the draft notes name them and state AlexNet's 227x227x3 input.

``ZOO`` maps a name to a spec string (pass it to ``parse`` or ``describe``);
``NOTES`` gives each a one-line description. Names are looked up
case-insensitively, ignoring ``-`` and ``_`` (``VGG-16`` is ``vgg16``).

Choices the papers leave open or get wrong, made explicit:

* **AlexNet** (Krizhevsky et al. 2012) is the *single-tower* variant: no split
  into two GPU groups, so CONV2, CONV4 and CONV5 see all channels of the layer
  below (the paper's grouped layers see half). Input 227x227x3, as in the notes
  (the paper's 224 does not fit an 11x11 stride-4 filter: (224 - 11)/4 + 1 =
  54.25). Layer sizes: CONV11-96 S4 P0, CONV5-256, CONV3-384, CONV3-384,
  CONV3-256, FC-4096, FC-4096, FC-1000; LRN (``NORM``) after CONV1 and CONV2,
  3x3 stride-2 overlapping max pooling after both norms and after CONV5,
  dropout 0.5 on the first two FC layers. 62,378,344 parameters (the grouped
  original has 60,965,224).
* **ZFNet** (Zeiler & Fergus 2013) as in their figure 3 (CONV7-96 S2, CONV5-256
  S2, CONV3-384, CONV3-384, CONV3-256, FC-4096 x2, FC-1000, contrast norm after
  the first two pools). The figure's sizes, 224 -> 110 -> 55 -> 26 -> 13 -> 6
  with no padding stated, are the output-size formula with its fraction rounded
  *up*, which is how cuda-convnet (the library AlexNet was trained with) counts
  positions, ``1 + ceil((W - F + 2P) / S)``, letting the last window hang over
  the edge: (224 - 7)/2 + 1 = 109.5 -> 110, (110 - 3)/2 + 1 = 54.5 -> 55,
  (55 - 5)/2 + 1 = 26, (26 - 3)/2 + 1 = 12.5 -> 13. The notes' rule, which this
  library enforces, refuses those fractions, and no padding can make 110 or 26
  fit: a 3x3 stride-2 pool (no padding) needs an odd input. So we use a
  225x225 input with P1 on CONV1 (-> 111, pooled to 55 as in the paper) and P1
  on CONV2 (-> 27 instead of 26, pooled to 13 as in the paper): 111 and 27 are
  the only sizes that differ from the figure, and the parameter count is the
  paper network's.
* **VGG-16** (Simonyan & Zisserman 2015, configuration D), 224x224x3:
  138,357,544 parameters, the "138M" of the later notes' VGGNet breakdown.
* The **CIFAR-10** examples follow the layer patterns of the notes; the notes
  fix the patterns but rarely the filter counts, so the counts are ours unless
  a note says otherwise.
"""

from __future__ import annotations

__all__ = ["ZOO", "NOTES", "lookup"]

ZOO: dict[str, str] = {
    "alexnet": (
        "INPUT[227x227x3] -> CONV11-96 S4 P0 -> RELU -> NORM -> POOL3 S2"
        " -> CONV5-256 P2 -> RELU -> NORM -> POOL3 S2"
        " -> CONV3-384 -> RELU -> CONV3-384 -> RELU -> CONV3-256 -> RELU -> POOL3 S2"
        " -> [FC-4096 -> RELU -> DROPOUT0.5]*2 -> FC-1000"
    ),
    "zfnet": (
        "INPUT[225x225x3] -> CONV7-96 S2 P1 -> RELU -> POOL3 S2 -> NORM"
        " -> CONV5-256 S2 P1 -> RELU -> POOL3 S2 -> NORM"
        " -> CONV3-384 -> RELU -> CONV3-384 -> RELU -> CONV3-256 -> RELU -> POOL3 S2"
        " -> [FC-4096 -> RELU -> DROPOUT0.5]*2 -> FC-1000"
    ),
    "vgg16": (
        "INPUT[224x224x3] -> [CONV3-64 -> RELU]*2 -> POOL2 -> [CONV3-128 -> RELU]*2 -> POOL2"
        " -> [CONV3-256 -> RELU]*3 -> POOL2 -> [CONV3-512 -> RELU]*3 -> POOL2"
        " -> [CONV3-512 -> RELU]*3 -> POOL2 -> [FC-4096 -> RELU -> DROPOUT0.5]*2 -> FC-1000"
    ),
    # The notes' first example network, INPUT - CONV - RELU - POOL - FC (12 filters; filter size ours).
    "cifar10_simple": "INPUT[32x32x3] -> CONV3-12 -> RELU -> POOL2 -> FC",
    # The notes' layer patterns, from "INPUT -> FC" upwards.
    "cifar10_linear": "INPUT[32x32x3] -> FC",
    "cifar10_conv_relu_fc": "INPUT[32x32x3] -> CONV3-32 -> RELU -> FC",
    "cifar10_two_pools": "INPUT[32x32x3] -> [CONV5-32 -> RELU -> POOL2]*2 -> FC-256 -> RELU -> FC",
    "cifar10_deep": (
        "INPUT[32x32x3] -> [CONV3-64 -> RELU -> CONV3-64 -> RELU -> POOL2]*3 -> [FC-256 -> RELU]*2 -> FC"
    ),
    # Karpathy's ConvNetJS CIFAR-10 demo, linked from later versions of the notes.
    "cifar10_convnetjs": (
        "INPUT[32x32x3] -> CONV5-16 -> RELU -> POOL2 -> [CONV5-20 -> RELU -> POOL2]*2 -> FC"
    ),
    # Assignment 2's ThreeLayerConvNet with its defaults (32 7x7 filters, 100 hidden units).
    "three_layer_convnet": "INPUT[32x32x3] -> CONV7-32 -> RELU -> POOL2 -> FC-100 -> RELU -> FC",
}

NOTES: dict[str, str] = {
    "alexnet": "AlexNet, single-tower (ungrouped) variant on 227x227x3, 62.4M parameters",
    "zfnet": "ZFNet, made consistent: 225x225x3 input, P1 on CONV1 and CONV2",
    "vgg16": "VGG-16 (configuration D) on 224x224x3, 138.4M parameters",
    "cifar10_simple": "the notes' first example: INPUT -> CONV -> RELU -> POOL -> FC",
    "cifar10_linear": "pattern INPUT -> FC: a linear classifier",
    "cifar10_conv_relu_fc": "pattern INPUT -> CONV -> RELU -> FC",
    "cifar10_two_pools": "pattern INPUT -> [CONV -> RELU -> POOL]*2 -> FC -> RELU -> FC",
    "cifar10_deep": "pattern INPUT -> [CONV -> RELU -> CONV -> RELU -> POOL]*3 -> [FC -> RELU]*2 -> FC",
    "cifar10_convnetjs": "the ConvNetJS CIFAR-10 demo: three CONV5/POOL2 stages",
    "three_layer_convnet": "assignment 2's ThreeLayerConvNet: conv - relu - 2x2 pool - affine - relu - affine",
}


def _key(name: str) -> str:
    return name.strip().lower().replace("-", "").replace("_", "")


_BY_KEY = {_key(name): name for name in ZOO}


def lookup(name: str) -> str | None:
    """The ZOO name ``name`` refers to (``'VGG-16'`` -> ``'vgg16'``), or None."""
    return _BY_KEY.get(_key(name)) if isinstance(name, str) else None
