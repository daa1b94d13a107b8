"""Sizes, parameters, memory, receptive fields and multiply-adds of an architecture.

This is the arithmetic of the notes' "Computational Considerations" and of the
VGGNet breakdown that later versions of the notes add, done exactly. What is
counted:

* **activations** of a layer: the numbers in its output volume, ``H*W*D``.
  The INPUT row counts the image, as the later notes' VGGNet table does, and
  the totals include it. RELU outputs are counted too, because this library's
  layers do not work in place (``relu_forward`` returns a new array and the
  next layer caches it). Caffe models run ReLU and dropout in place
  (overwriting their input), and the later notes' VGGNet table lists neither,
  so the total without RELU and DROPOUT rows is reported alongside.
* **weights / biases**: multiplicative / additive parameters. BN's gamma and
  beta count as weights and biases; its running mean and variance are buffers
  and are not counted.
* **unshared params** of a CONV: what it would cost if every output neuron had
  its own filter and bias, ``H_out*W_out*K * (F*F*D + 1)`` (the notes'
  105,705,600 for AlexNet's CONV1, against 34,944 shared).
* **receptive field**: the side of the input region (padding included, so it
  can exceed the image) that one output neuron depends on, propagated exactly:
  ``r_out = r_in + (F - 1) * j_in`` and ``j_out = j_in * S``, where ``j`` is
  the distance on the input between neighbouring neurons. An FC sees its whole
  input volume.
* **multiply-adds**: of the dot products of CONV, LOCAL and FC layers, per
  image; elementwise, pooling and normalization layers are counted as 0.
* **memory** (bytes, times the batch size): forward = activations;
  forward + backward = activations and their gradients (equal size, so twice
  the forward); parameters x3 = weights, their gradients and one optimizer
  cache of the same size (momentum, or the RMSProp cache; Adam keeps two).
  Human units use 1024: 1 MB = 1024**2 bytes.
* **test-time memory** (inference): without a backward pass no activation has
  to be kept once the next layer has used it, so while a layer runs only its
  input and its output are alive. The activations at test time are therefore
  the largest sum of two consecutive rows, ``max(a[i-1] + a[i])``, per image,
  times the batch. The rows are counted as for the activations above: INPUT is
  the first row (the pair INPUT + first layer includes the image), and a RELU
  or DROPOUT row is a layer output of its own (in test mode this library's
  dropout returns a copy), so a CONV output and its ReLU output form a pair. A
  spec of INPUT alone has just the image. The test-time total adds the
  parameters once: no gradients, no optimizer cache. Scratch memory of the
  implementation (im2col columns, padded inputs) is not counted, here or in
  training.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

from .notation import parse
from .specs import Architecture, ConvSpec, FCSpec, LocalSpec, PoolSpec
from .zoo import ZOO, lookup

__all__ = ["describe", "Description", "LayerBudget", "format_bytes", "ITEMSIZE"]

ITEMSIZE = {"float32": 4, "float64": 8}

# Layers that frameworks such as Caffe run in place, overwriting their input.
_IN_PLACE = ("relu", "dropout")


def format_bytes(n: int | float) -> str:
    """``1536 -> '1.50 KB'``: bytes in units of 1024 (1 KB = 1024 B), about three digits."""
    value = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if abs(value) < 1024 or unit == "GB":
            break
        value /= 1024
    if unit == "B":
        return f"{int(value)} B"
    decimals = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2
    return f"{value:.{decimals}f} {unit}"


def _prod(shape) -> int:
    return 0 if shape is None else math.prod(shape)


@dataclass(frozen=True)
class LayerBudget:
    """The budget of one layer; see the module docstring for what is counted."""

    index: int
    name: str
    kind: str
    output: tuple[int, int, int]
    activations: int
    weights: int
    biases: int
    params: int
    params_unshared: int
    receptive_field: tuple[int, int]
    mult_adds: int

    def to_dict(self) -> dict:
        return {
            "index": self.index,
            "name": self.name,
            "kind": self.kind,
            "output": list(self.output),
            "activations": self.activations,
            "weights": self.weights,
            "biases": self.biases,
            "params": self.params,
            "params_unshared": self.params_unshared,
            "receptive_field": list(self.receptive_field),
            "mult_adds": self.mult_adds,
        }


@dataclass(frozen=True)
class Description:
    """What :func:`describe` returns: per-layer budgets, totals and memory.

    ``str(description)`` is the text table; :meth:`to_dict` the JSON form.
    """

    architecture: Architecture
    layers: tuple[LayerBudget, ...]
    batch: int
    dtypes: tuple[str, ...]
    sharing: bool
    name: str | None = None
    memory: dict = field(default_factory=dict)

    # -- totals -----------------------------------------------------------
    @property
    def total_params(self) -> int:
        return sum(layer.params for layer in self.layers)

    @property
    def total_params_unshared(self) -> int:
        return sum(layer.params_unshared for layer in self.layers)

    @property
    def total_activations(self) -> int:
        """Activations per image, INPUT and RELU outputs included."""
        return sum(layer.activations for layer in self.layers)

    @property
    def total_activations_in_place(self) -> int:
        """Activations per image if ReLU and dropout overwrote their input, as Caffe models run them.

        This is how the VGGNet table of later versions of the notes counts (no RELU or DROPOUT rows).
        """
        return sum(layer.activations for layer in self.layers if layer.kind not in _IN_PLACE)

    @property
    def input_activations(self) -> int:
        return self.layers[0].activations

    @property
    def inference_activations(self) -> int:
        """Activations per image alive at test time: the largest input + output pair of consecutive rows."""
        return _largest_pair([layer.activations for layer in self.layers])

    @property
    def total_mult_adds(self) -> int:
        return sum(layer.mult_adds for layer in self.layers)

    def to_dict(self) -> dict:
        """Everything as JSON-ready builtins; memory figures are bytes."""
        return {
            "name": self.name,
            "spec": self.architecture.spec or str(self.architecture),
            "num_classes": self.architecture.num_classes,
            "batch": self.batch,
            "layers": [layer.to_dict() for layer in self.layers],
            "total_params": self.total_params,
            "total_params_unshared": self.total_params_unshared,
            "total_activations": self.total_activations,
            "total_activations_in_place": self.total_activations_in_place,
            "input_activations": self.input_activations,
            "inference_activations": self.inference_activations,
            "total_mult_adds": self.total_mult_adds,
            "memory": self.memory,
            "counting": {
                "activations": "output volume of every layer per image, INPUT, RELU and DROPOUT rows included",
                "forward_backward": "activations and their gradients: 2 x forward",
                "parameters_x3": "weights, their gradients and one optimizer cache",
                "inference": ("test time: the largest sum of two consecutive rows' activations (a layer's input "
                              "and output), INPUT the first row, RELU and DROPOUT rows layer outputs of their own"),
                "inference_total": "test time: inference + parameters x1 (no gradients, no optimizer cache)",
                "mult_adds": "dot products of CONV, LOCAL and FC layers per image",
                "receptive_field": "side on the (padded) input, [height, width]",
                "units": "bytes; the text table uses 1 KB = 1024 B",
            },
        }

    # -- text -------------------------------------------------------------
    def table(self) -> str:
        """The per-layer table and totals, like the VGGNet breakdown of later versions of the notes."""
        cols = ["#", "layer", "output", "activations", "weights", "biases", "params"]
        cols += [] if self.sharing else ["no sharing"]
        cols += ["RF", "mult-adds"]
        rows = []
        for b in self.layers:
            row = [str(b.index), b.name, "x".join(map(str, b.output)), f"{b.activations:,}",
                   f"{b.weights:,}", f"{b.biases:,}", f"{b.params:,}"]
            if not self.sharing:
                row.append(f"{b.params_unshared:,}" if b.kind == "conv" else "")
            row += ["x".join(map(str, b.receptive_field)), f"{b.mult_adds:,}"]
            rows.append(row)
        total = ["", "total", "", f"{self.total_activations:,}", f"{sum(b.weights for b in self.layers):,}",
                 f"{sum(b.biases for b in self.layers):,}", f"{self.total_params:,}"]
        total += [] if self.sharing else [f"{self.total_params_unshared:,}"]
        total += ["", f"{self.total_mult_adds:,}"]
        rule = ["-" * max(len(r[i]) for r in [cols, *rows, total]) for i in range(len(cols))]

        title = f"{self.name}: " if self.name else ""
        out = [f"{title}{self.architecture.spec or self.architecture}", ""]
        out += _align([cols, rule, *rows, rule, total], left=(1, 2))
        out.append("")
        out.append(f"parameters:    {self.total_params:,}")
        if not self.sharing:
            out.append(f"  without parameter sharing in CONV layers: {self.total_params_unshared:,}")
        act = f"activations:   {self.total_activations:,} per image (INPUT included)"
        if any(b.kind in _IN_PLACE for b in self.layers):
            # True of every spec; which published table counts this way is said where that table is discussed.
            act += (f"; {self.total_activations_in_place:,} if ReLU and dropout work in place "
                    "(as Caffe models run them)")
        out.append(act)
        out.append(f"multiply-adds: {self.total_mult_adds:,} per image")
        out.append("")

        images = "1 image" if self.batch == 1 else f"a batch of {self.batch} images"
        labels = [
            ("forward", "activations"),
            ("forward_backward", "forward + backward (activations and their gradients)"),
            ("parameters", "parameters"),
            ("parameters_x3", "parameters x3 (weights, gradients, optimizer cache)"),
            ("total", "total (forward + backward and parameters x3)"),
            ("inference", "test time: activations (largest input + output pair)"),
            ("inference_total", "test time total (activations and parameters x1)"),
        ]
        mem = [[f"memory for {images}", *self.dtypes]]
        mem += [[text] + [format_bytes(self.memory[d][key]) for d in self.dtypes] for key, text in labels]
        out += _align(mem, left=(0,))
        return "\n".join(out)

    def __str__(self) -> str:
        return self.table()


def _align(rows: list[list[str]], left=()) -> list[str]:
    """Pad cells to column width: columns in ``left`` flush left, numbers flush right."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip()
            for r in rows]


def _budgets(arch: Architecture) -> tuple[LayerBudget, ...]:
    budgets = []
    # Receptive field r and jump j (input pixels between neighbouring
    # neurons), per axis: (height, width).
    r = [1, 1]
    j = [1, 1]
    for index, layer in enumerate(arch):
        if isinstance(layer, (ConvSpec, PoolSpec)):
            f = layer.filter_size if isinstance(layer, ConvSpec) else layer.pool_size
            for a in (0, 1):
                r[a] += (f - 1) * j[a]
                j[a] *= layer.stride
        elif isinstance(layer, FCSpec):
            # A filter as large as the input volume, applied once.
            for a in (0, 1):
                r[a] += (layer.input_shape[a] - 1) * j[a]
        weights, biases = _prod(layer.weight_shape), _prod(layer.bias_shape)
        params = weights + biases
        unshared = layer.unshared_params if isinstance(layer, ConvSpec) and not isinstance(layer, LocalSpec) else params
        budgets.append(LayerBudget(
            index=index,
            name=layer.notation,
            kind=layer.kind,
            output=layer.output_shape,
            activations=_prod(layer.output_shape),
            weights=weights,
            biases=biases,
            params=params,
            params_unshared=unshared,
            receptive_field=(r[0], r[1]),
            mult_adds=layer.mult_adds,
        ))
    return tuple(budgets)


def _largest_pair(activations: list[int]) -> int:
    """Largest sum of two consecutive entries (the only entry if there is one): a layer's input and output."""
    if len(activations) == 1:
        return activations[0]
    return max(a + b for a, b in zip(activations, activations[1:]))


def _memory(total_activations: int, inference_activations: int, total_params: int, batch: int, dtypes) -> dict:
    memory: dict = {"batch": batch}
    for d in dtypes:
        size = ITEMSIZE[d]
        forward = total_activations * batch * size
        inference = inference_activations * batch * size
        params = total_params * size
        memory[d] = {
            "forward": forward,
            "forward_backward": 2 * forward,
            "parameters": params,
            "parameters_x3": 3 * params,
            "total": 2 * forward + 3 * params,
            "inference": inference,
            "inference_total": inference + params,
        }
    return memory


def describe(spec, *, batch: int = 1, dtypes=("float32", "float64"), sharing: bool = True,
             num_classes: int = 10) -> Description:
    """Sizes, parameters, memory, receptive fields and multiply-adds of an architecture.

    Parameters
    ----------
    spec : str or Architecture
        A spec in the course's notation (see :func:`parse`), a name from
        :data:`ZOO` (``"vgg16"``), or an already parsed architecture.
    batch : int
        Images per batch; multiplies the activation memory (not the parameters).
    dtypes : sequence of {'float32', 'float64'}
        Element types to report memory for.
    sharing : bool
        If False, the text table also shows what each CONV layer would cost
        without parameter sharing (the JSON form always has it).
    num_classes : int
        Size of a bare final ``FC``.

    Returns
    -------
    Description
        ``str()`` gives the table, ``.to_dict()`` the JSON form.

    Examples
    --------
    >>> d = describe("INPUT[227x227x3] -> CONV11-96 S4 P0", sharing=False)
    >>> conv1 = d.layers[1]
    >>> conv1.output, conv1.activations, conv1.params, conv1.params_unshared
    ((55, 55, 96), 290400, 34944, 105705600)
    """
    if isinstance(batch, bool) or not isinstance(batch, numbers.Integral) or batch < 1:
        raise ValueError(f"batch must be a positive integer, got {batch!r}")
    batch = int(batch)
    if isinstance(dtypes, str):
        dtypes = (dtypes,)
    dtypes = tuple(dtypes)
    for d in dtypes:
        if d not in ITEMSIZE:
            raise ValueError(f"dtype must be one of {sorted(ITEMSIZE)}, got {d!r}")
    if not dtypes:
        raise ValueError("dtypes must name at least one of 'float32', 'float64'")
    name = None
    if isinstance(spec, Architecture):
        arch = spec
    else:
        name = lookup(spec)
        arch = parse(ZOO[name] if name else spec, num_classes=num_classes)
    layers = _budgets(arch)
    total_acts = sum(b.activations for b in layers)
    inference_acts = _largest_pair([b.activations for b in layers])
    total_params = sum(b.params for b in layers)
    return Description(
        architecture=arch, layers=layers, batch=batch, dtypes=dtypes, sharing=bool(sharing), name=name,
        memory=_memory(total_acts, inference_acts, total_params, batch, dtypes),
    )
