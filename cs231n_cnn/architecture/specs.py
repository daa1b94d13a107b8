"""Layer specifications: what a parsed architecture is made of.

:func:`cs231n_cnn.architecture.parse` turns the course's notation into an
:class:`Architecture`, a flat sequence of frozen ``LayerSpec`` objects, one
per layer after ``[ ... ]*N`` repetition has been expanded. Each spec knows
its hyperparameters, the volume it receives and the volume it produces, so a
model builder can walk the list and create parameters and layers without
re-deriving any size::

    for layer in arch:
        if layer.kind == "conv":
            W = rng.standard_normal(layer.weight_shape)   # (K, D, F, F)
            ...conv_relu_forward(x, W, b, layer.conv_param)

Volumes are written ``(H, W, D)``: height, width, depth (channels), the
course's ``[HxWxD]``. The library's arrays are NCHW, so a volume ``(H, W, D)``
is an array of shape ``(N, D, H, W)``. After the first ``FC`` the data is a
vector; its volume is written ``(1, 1, N)`` as in the later notes' VGGNet table,
and layers that need a spatial layout (CONV, LOCAL, POOL, NORM) may not follow.

Nothing here computes budgets (see :mod:`.budget`) or parses text
(see :mod:`.notation`).
"""

from __future__ import annotations

import dataclasses
import numbers
from dataclasses import dataclass
from typing import ClassVar, Iterator

from ..shapes import output_size
from .vocabulary import POOL_MODES, pool_keyword

__all__ = [
    "SpecError",
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
    "Architecture",
    "resolve",
    "MAX_LAYERS",
]

Volume = tuple[int, int, int]

# A guard against `[...]*100000`: far beyond any real ConvNet, small enough
# that expanding and describing it stays instant.
MAX_LAYERS = 10_000


class SpecError(ValueError):
    """An error in an architecture spec, located at one token.

    Attributes
    ----------
    token : int
        1-based index of the offending token in the spec (``0`` if unknown).
    column : int
        1-based character column where that token starts (``0`` if unknown).
    """

    def __init__(self, message: str, *, token: int = 0, column: int = 0):
        super().__init__(message)
        self.token = token
        self.column = column


def _vol(shape: Volume) -> str:
    return "x".join(str(s) for s in shape)


@dataclass(frozen=True, kw_only=True)
class LayerSpec:
    """One layer of an architecture: hyperparameters plus the volumes in and out.

    Attributes
    ----------
    source : str
        The layer as written in the spec (with its options), for messages.
    token, column : int
        1-based position of the layer's first token in the spec.
    input_shape : tuple of int or None
        Volume ``(H, W, D)`` the layer receives; ``None`` for INPUT and before
        :func:`resolve` has run.
    output_shape : tuple of int or None
        Volume ``(H, W, D)`` the layer produces (``(1, 1, N)`` after an FC).
    """

    kind: ClassVar[str] = ""

    source: str = ""
    token: int = 0
    column: int = 0
    input_shape: Volume | None = None
    output_shape: Volume | None = None

    # -- notation ---------------------------------------------------------
    @property
    def notation(self) -> str:
        """The layer in canonical notation (upper case, default options omitted)."""
        return self.kind.upper()

    @property
    def where(self) -> str:
        """``"'CONV3-4 S2' (token 3, column 18)"``: how errors point at this layer."""
        text = self.source or self.notation
        return f"{text!r} (token {self.token}, column {self.column})"

    # -- parameters -------------------------------------------------------
    @property
    def weight_shape(self) -> tuple[int, ...] | None:
        """Shape of the layer's weights (multiplicative parameters), or None."""
        return None

    @property
    def bias_shape(self) -> tuple[int, ...] | None:
        """Shape of the layer's biases (additive parameters), or None."""
        return None

    @property
    def mult_adds(self) -> int:
        """Multiply-adds of the layer's dot products for one image (0 if none)."""
        return 0

    # -- shape inference --------------------------------------------------
    def _output(self, shape: Volume, *, index: int, vector: bool, num_classes: int, last: bool) -> "LayerSpec":
        """Return a copy with shapes (and context-dependent fields) filled in."""
        return dataclasses.replace(self, input_shape=shape, output_shape=shape)

    def _fits(self, size: int, field: int, stride: int, pad: int, axis: str, index: int,
              padded: bool = True) -> int:
        try:
            return output_size(size, field, stride, pad, axis=axis, layer=f"layer {index} {self.where}",
                               padded=padded)
        except ValueError as exc:
            raise SpecError(str(exc), token=self.token, column=self.column) from None


@dataclass(frozen=True, kw_only=True)
class InputSpec(LayerSpec):
    """``INPUT[HxWxD]``: the image volume; no parameters."""

    kind: ClassVar[str] = "input"
    height: int
    width: int
    depth: int

    @property
    def notation(self) -> str:
        return f"INPUT[{self.height}x{self.width}x{self.depth}]"

    @property
    def shape(self) -> Volume:
        return (self.height, self.width, self.depth)


@dataclass(frozen=True, kw_only=True)
class ConvSpec(LayerSpec):
    """``CONV{F}-{K} [S{s}] [P{p}]``: K filters of size F x F x D, stride S, pad P.

    Weights have the library's shape ``(K, D, F, F)`` (``(F, C, HH, WW)`` in
    the layer docstrings), biases ``(K,)``.
    """

    kind: ClassVar[str] = "conv"
    filter_size: int
    num_filters: int
    stride: int = 1
    pad: int = 0

    @property
    def notation(self) -> str:
        text = f"{self.kind.upper()}{self.filter_size}-{self.num_filters}"
        if self.stride != 1:
            text += f" S{self.stride}"
        if 2 * self.pad != self.filter_size - 1:  # not the default "same" pad
            text += f" P{self.pad}"
        return text

    @property
    def conv_param(self) -> dict:
        """``{'stride': S, 'pad': P}``, as the conv layers take it."""
        return {"stride": self.stride, "pad": self.pad}

    @property
    def weight_shape(self):
        if self.input_shape is None:
            return None
        return (self.num_filters, self.input_shape[2], self.filter_size, self.filter_size)

    @property
    def bias_shape(self):
        return (self.num_filters,)

    @property
    def neurons(self) -> int:
        """Output neurons ``H_out * W_out * K`` (0 before shapes are known)."""
        if self.output_shape is None:
            return 0
        h, w, d = self.output_shape
        return h * w * d

    @property
    def mult_adds(self) -> int:
        if self.input_shape is None:
            return 0
        # Each output neuron is one dot product over an F x F x D window.
        return self.neurons * self.filter_size ** 2 * self.input_shape[2]

    @property
    def unshared_params(self) -> int:
        """Parameters if every output neuron had its own filter and bias (no sharing)."""
        if self.input_shape is None:
            return 0
        return self.neurons * (self.filter_size ** 2 * self.input_shape[2] + 1)

    def _output(self, shape, *, index, vector, num_classes, last):
        h, w, _ = shape
        h_out = self._fits(h, self.filter_size, self.stride, self.pad, "height", index)
        w_out = self._fits(w, self.filter_size, self.stride, self.pad, "width", index)
        return dataclasses.replace(self, input_shape=shape, output_shape=(h_out, w_out, self.num_filters))


@dataclass(frozen=True, kw_only=True)
class LocalSpec(ConvSpec):
    """``LOCAL{F}-{K}``: like CONV but without parameter sharing.

    Every output position has its own filters: weights
    ``(H_out, W_out, K, D, F, F)`` and biases ``(H_out, W_out, K)``, the
    shapes ``locally_connected_forward`` takes.
    """

    kind: ClassVar[str] = "local"

    @property
    def weight_shape(self):
        if self.input_shape is None or self.output_shape is None:
            return None
        h, w, k = self.output_shape
        return (h, w, k, self.input_shape[2], self.filter_size, self.filter_size)

    @property
    def bias_shape(self):
        if self.output_shape is None:
            return None
        h, w, k = self.output_shape
        return (h, w, k)


@dataclass(frozen=True, kw_only=True)
class ReluSpec(LayerSpec):
    """``RELU``: elementwise max(0, x); no parameters."""

    kind: ClassVar[str] = "relu"


@dataclass(frozen=True, kw_only=True)
class NormSpec(LayerSpec):
    """``NORM``: local response normalization across channels.

    Defaults are AlexNet's constants (Krizhevsky et al. 2012, section 3.3):
    ``b = a / (k + alpha * sum_{size neighbours} a^2) ** beta`` with size=5,
    alpha=1e-4, beta=0.75, k=2. No parameters.
    """

    kind: ClassVar[str] = "norm"
    size: int = 5
    alpha: float = 1e-4
    beta: float = 0.75
    k: float = 2.0

    @property
    def lrn_param(self) -> dict:
        """``lrn_param`` for ``lrn_forward``, which follows PyTorch and divides alpha by size.

        The paper's alpha multiplies the plain sum of squares, so it is passed
        on as ``alpha * size`` to give the paper's normalization.
        """
        return {"size": self.size, "alpha": self.alpha * self.size, "beta": self.beta, "k": self.k}


@dataclass(frozen=True, kw_only=True)
class BatchNormSpec(LayerSpec):
    """``BN``: batch normalization with a learned scale gamma and shift beta.

    After a CONV/POOL volume it is spatial batch norm (statistics per channel
    over N, H, W); after an FC it is ordinary batch norm over N. Either way it
    has ``D`` gammas and ``D`` betas, reported as weights and biases. The
    running mean and variance are buffers, not parameters, and not counted.
    """

    kind: ClassVar[str] = "bn"
    spatial: bool | None = None  # decided by resolve(): True unless after an FC

    @property
    def weight_shape(self):
        return None if self.input_shape is None else (self.input_shape[2],)

    @property
    def bias_shape(self):
        return self.weight_shape

    def _output(self, shape, *, index, vector, num_classes, last):
        return dataclasses.replace(self, input_shape=shape, output_shape=shape, spatial=not vector)


@dataclass(frozen=True, kw_only=True)
class DropoutSpec(LayerSpec):
    """``DROPOUT{p}``: inverted dropout keeping each activation with probability ``p``."""

    kind: ClassVar[str] = "dropout"
    p: float = 0.5

    @property
    def notation(self) -> str:
        # Plain decimals (no exponent) so the notation parses back.
        return "DROPOUT" + format(self.p, "f").rstrip("0").rstrip(".")

    @property
    def dropout_param(self) -> dict:
        """``{'mode': 'train', 'p': p}``, as the course's dropout layer takes it."""
        return {"mode": "train", "p": self.p}


@dataclass(frozen=True, kw_only=True)
class PoolSpec(LayerSpec):
    """``POOL{F} [S{s}]`` (max), ``AVGPOOL{F}``, ``L2POOL{F}``: F x F windows, stride S.

    The modes and their keywords are :data:`.vocabulary.POOL_MODES`.
    """

    kind: ClassVar[str] = "pool"
    mode: str = "max"  # a key of POOL_MODES: 'max', 'avg', 'l2', ...
    pool_size: int = 2
    stride: int = 2

    def __post_init__(self):
        if self.mode not in POOL_MODES:
            raise ValueError(f"PoolSpec: mode must be one of {', '.join(map(repr, POOL_MODES))}, got {self.mode!r}")

    @property
    def notation(self) -> str:
        text = f"{pool_keyword(self.mode)}POOL{self.pool_size}"
        if self.stride != self.pool_size:
            text += f" S{self.stride}"
        return text

    @property
    def pool_param(self) -> dict:
        """``{'pool_height', 'pool_width', 'stride'}``, as the pooling layers take it."""
        return {"pool_height": self.pool_size, "pool_width": self.pool_size, "stride": self.stride}

    def _output(self, shape, *, index, vector, num_classes, last):
        h, w, d = shape
        h_out = self._fits(h, self.pool_size, self.stride, 0, "height", index, padded=False)
        w_out = self._fits(w, self.pool_size, self.stride, 0, "width", index, padded=False)
        return dataclasses.replace(self, input_shape=shape, output_shape=(h_out, w_out, d))


@dataclass(frozen=True, kw_only=True)
class FCSpec(LayerSpec):
    """``FC-{N}``: fully connected layer; a bare final ``FC`` has N = number of classes.

    An FC after a volume ``(H, W, D)`` flattens it: weights ``(H*W*D, N)``,
    biases ``(N,)``, the shapes the course's ``affine_forward`` takes.
    """

    kind: ClassVar[str] = "fc"
    num_outputs: int | None = None  # None: "number of classes", set by resolve()

    @property
    def notation(self) -> str:
        return "FC" if self.num_outputs is None else f"FC-{self.num_outputs}"

    @property
    def in_features(self) -> int | None:
        if self.input_shape is None:
            return None
        h, w, d = self.input_shape
        return h * w * d

    @property
    def weight_shape(self):
        if self.in_features is None or self.num_outputs is None:
            return None
        return (self.in_features, self.num_outputs)

    @property
    def bias_shape(self):
        return None if self.num_outputs is None else (self.num_outputs,)

    @property
    def mult_adds(self) -> int:
        shape = self.weight_shape
        return 0 if shape is None else shape[0] * shape[1]

    def _output(self, shape, *, index, vector, num_classes, last):
        n = self.num_outputs
        if n is None:
            if not last:
                raise SpecError(
                    f"layer {index} {self.where}: a bare FC means 'one output per class' and may only be the last "
                    f"layer; give this one a size, e.g. FC-100",
                    token=self.token, column=self.column,
                )
            n = num_classes
        return dataclasses.replace(self, input_shape=shape, output_shape=(1, 1, n), num_outputs=n)


# Layers that need the (H, W) layout of a volume and so cannot follow an FC.
_SPATIAL = (ConvSpec, PoolSpec, NormSpec)


@dataclass(frozen=True)
class Architecture:
    """A parsed, shape-checked architecture: a sequence of :class:`LayerSpec`.

    Iterating gives the layers in order, starting with the :class:`InputSpec`.
    ``str(arch)`` is the canonical notation (repetitions expanded).

    Attributes
    ----------
    layers : tuple of LayerSpec
    spec : str
        The text it was parsed from.
    num_classes : int
        What a bare final ``FC`` was resolved to.
    """

    layers: tuple[LayerSpec, ...]
    spec: str = ""
    num_classes: int = 10

    def __iter__(self) -> Iterator[LayerSpec]:
        return iter(self.layers)

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, i):
        return self.layers[i]

    def __str__(self) -> str:
        return " -> ".join(layer.notation for layer in self.layers)

    @property
    def input_shape(self) -> Volume:
        return self.layers[0].output_shape

    @property
    def output_shape(self) -> Volume:
        return self.layers[-1].output_shape


def resolve(layers: list[LayerSpec], *, num_classes: int = 10, spec: str = "") -> Architecture:
    """Propagate volumes through ``layers`` and check that every layer fits.

    Parameters
    ----------
    layers : list of LayerSpec
        Expanded layers as produced by the parser, shapes not yet filled in.
        The first must be an :class:`InputSpec`, and only the first.
    num_classes : int
        Size of a bare final ``FC``.
    spec : str
        Source text, kept on the result.

    Returns
    -------
    Architecture

    Raises
    ------
    SpecError
        If INPUT is missing or repeated, a layer does not fit its input
        (the message shows ``(W - F + 2P)/S + 1`` with the numbers), a spatial
        layer follows an FC, or a bare FC is not last.
    """
    if isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral) or num_classes < 1:
        raise ValueError(f"num_classes must be a positive integer, got {num_classes!r}")
    num_classes = int(num_classes)
    if not layers or not isinstance(layers[0], InputSpec):
        first = layers[0] if layers else None
        got = f", got {first.where} first" if first else " (after expanding repetitions nothing is left)"
        raise SpecError(
            f"a spec starts with INPUT[HxWxD], e.g. 'INPUT[32x32x3] -> CONV3-12 -> RELU -> POOL2 -> FC'{got}",
            token=first.token if first else 0, column=first.column if first else 0,
        )
    resolved: list[LayerSpec] = []
    shape: Volume = layers[0].shape
    vector = False
    last_fc: LayerSpec | None = None
    for index, layer in enumerate(layers):
        if index == 0:
            resolved.append(dataclasses.replace(layer, input_shape=None, output_shape=shape))
            continue
        if isinstance(layer, InputSpec):
            raise SpecError(
                f"layer {index} {layer.where}: INPUT may appear only once, as the first layer",
                token=layer.token, column=layer.column,
            )
        if vector and isinstance(layer, _SPATIAL):
            raise SpecError(
                f"layer {index} {layer.where} comes after {last_fc.notation}, whose output is a vector "
                f"({_vol(shape)}) with no spatial layout; put CONV, LOCAL, POOL and NORM layers before "
                f"the first FC",
                token=layer.token, column=layer.column,
            )
        out = layer._output(shape, index=index, vector=vector, num_classes=num_classes,
                            last=index == len(layers) - 1)
        resolved.append(out)
        shape = out.output_shape
        if isinstance(out, FCSpec):
            vector, last_fc = True, out
    return Architecture(tuple(resolved), spec=spec, num_classes=num_classes)
