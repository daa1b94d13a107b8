"""Trainable ConvNets built from the architecture notation.

:class:`ConvNet` turns a spec such as
``INPUT[32x32x3] -> [CONV3-32 -> RELU]*2 -> POOL2 -> FC-256 -> RELU -> FC``
into a network on the fast layers, with the interface the course's Solver
expects: a ``params`` dict of arrays and ``loss(X, y=None)``, which returns
class scores at test time, or ``(loss, grads)`` when labels are given.

Parameter names
---------------
Layers with parameters are numbered from 1 in order: CONV, LOCAL and FC
layers own ``W{i}`` and ``b{i}``, batch norm layers ``gamma{i}`` and
``beta{i}``. So the classic three-layer net has ``W1, b1`` (conv),
``W2, b2`` (hidden FC) and ``W3, b3`` (output FC), as in the course.

Initialisation
--------------
Weights are drawn from N(0, s^2) with ``s = weight_scale`` when given, and
otherwise He et al.'s ``s = sqrt(2 / fan_in)``, which keeps the variance of
activations roughly constant through ReLU layers (fan_in is C*HH*WW for a
filter and D for an FC layer). Biases and BN shifts start at 0, BN scales at 1.
Without ``seed=`` the weights come from NumPy's global generator, as in the
course: ``np.random.seed(231)`` before building a model reproduces it.

:class:`FullyConnectedNet` is the course's fully connected net of assignment
2: ``{affine - [batch/layer norm] - relu - [dropout]} x (L - 1) - affine -
softmax``, with the course's constructor, parameter names and ``bn_params``.

Student exercises, as in the course: :class:`ThreeLayerConvNet`'s
``__init__`` and ``loss`` (notebook 07) and :meth:`FullyConnectedNet.loss`
(notebook 08). :class:`ConvNet` is library code and uses neither, so
``ConvNet("three_layer_convnet")`` (what ``cs231n-cnn train`` and the
benchmarks build) works in a student release before they are written.
"""

from __future__ import annotations

import contextlib

import numpy as np

from . import layers as L
from . import workspace
from .architecture import ZOO, lookup, parse
from .architecture.specs import (
    Architecture,
    BatchNormSpec,
    ConvSpec,
    DropoutSpec,
    FCSpec,
    LocalSpec,
    NormSpec,
    PoolSpec,
    ReluSpec,
)
from .layers.channel_major import (
    conv_backward_cm,
    conv_forward_cm,
    fast_paths_present,
    spatial_batchnorm_backward_cm,
    spatial_batchnorm_forward_cm,
    swap_batch_and_channels,
)
from .layers.fc import relu_backward_inplace, relu_forward_inplace
from .shapes import ArgumentTypeError, check_int, check_real

__all__ = ["ConvNet", "ThreeLayerConvNet", "FullyConnectedNet"]

_POOL_LAYERS = {
    "max": (L.max_pool_forward_fast, L.max_pool_backward_fast),
    "avg": (L.avg_pool_forward, L.avg_pool_backward),
    "l2": (L.l2_pool_forward, L.l2_pool_backward),
}


def _check_dtype_and_seed(dtype, seed, layer: str):
    """``(np.dtype, seed)`` checked: a floating dtype, and a seed that is None or an int >= 0."""
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise ArgumentTypeError(f"{layer}: dtype must be float32 or float64, got {dtype!r}") from None
    if dtype.kind != "f":
        raise ValueError(f"{layer}: dtype must be float32 or float64, got {dtype}")
    return dtype, (None if seed is None else check_int(seed, "seed", minimum=0, layer=layer))


def _init_generator(seed):
    """Where initial weights come from: ``default_rng(SeedSequence(seed))``, or
    NumPy's global generator when ``seed`` is None (``standard_normal`` then
    draws exactly what the course's ``np.random.randn`` does)."""
    if seed is None:
        return np.random.mtrand._rand  # the RandomState behind np.random.randn and np.random.seed
    return np.random.default_rng(np.random.SeedSequence(seed))


class ConvNet:
    """A ConvNet from a layer-pattern spec, trained with softmax loss.

    Parameters
    ----------
    spec : str or Architecture
        A spec in the course notation, a ZOO name, or a parsed Architecture.
        It must start with ``INPUT[HxWxD]`` and end with an ``FC`` layer.
    num_classes : int
        Outputs of a bare final ``FC``.
    weight_scale : float or None
        Standard deviation of the initial weights; None for He initialisation.
    reg : float
        L2 regularization strength; the loss adds ``0.5 * reg * sum(W**2)``
        over weight matrices (not biases or BN parameters).
    dtype : numpy dtype
        float32 to train fast, float64 for gradient checks.
    seed : int or None
        Seeds the initial weights and the dropout masks. None draws both
        from NumPy's global generator, as the course does, so
        ``np.random.seed`` before building the model makes them reproducible.
    fused : bool, keyword-only, default False
        True trains with the fast paths that are not student work: volumes
        stay channel-major, (C, N, H, W), from the images to the first FC
        layer, so conv layers neither regroup their matrix products nor
        their gradients and batch norm reduces contiguous rows
        (:mod:`cs231n_cnn.layers.channel_major`); ReLU works in place after
        conv, FC and batch norm layers. Same numbers (to rounding), faster.
        False (the default) calls the student-facing NCHW layers, which the
        checks observe through the model.

    Attributes
    ----------
    params : dict of str -> ndarray
        Learnable parameters (see the module docstring for names).
    architecture : Architecture
        The parsed spec, with every layer's input and output shape.
    bn_params : dict of str -> dict
        Running statistics of batch norm layer ``i`` under key ``str(i)``
        (updated in training mode).
    dropout_state : dict
        ``{'entropy', 'calls'}``: where the next dropout masks come from
        (entropy None when the net has no dropout and no seed).
    dropout_seed : int or None
        When set, every dropout layer uses this seed on every call, so the
        same masks are drawn each time: needed for numerical gradient checks.
    """

    def __init__(self, spec, num_classes: int = 10, weight_scale: float | None = None,
                 reg: float = 0.0, dtype=np.float32, seed=None, *, fused: bool = False):
        if isinstance(spec, str) and lookup(spec) is not None:
            spec = ZOO[lookup(spec)]
        arch = spec if isinstance(spec, Architecture) else parse(spec, num_classes=num_classes)
        if not isinstance(arch.layers[-1], FCSpec):
            raise ValueError(
                f"ConvNet: the spec must end with an FC layer that gives the class scores, "
                f"but it ends with {arch.layers[-1].notation}; add '-> FC'"
            )
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise ValueError(f"ConvNet: dtype must be float32 or float64, got {dtype}")
        if weight_scale is not None and not weight_scale > 0:
            raise ValueError(f"ConvNet: weight_scale must be positive (or None for He initialisation), "
                             f"got {weight_scale}")
        if not reg >= 0:
            raise ValueError(f"ConvNet: reg must be >= 0, got {reg}")
        self.architecture = arch
        self.num_classes = arch.output_shape[2]
        self.reg = float(reg)
        self.dtype = dtype
        self.fused = bool(fused)
        if self.fused and not fast_paths_present():
            raise ValueError(
                "ConvNet: fused=True trains with the library's own fast layers "
                "(cs231n_cnn/layers/channel_major.py), which a student release leaves out with the other "
                "solutions; use fused=False, which trains with the layers you implement"
            )
        if seed is not None and not isinstance(seed, (int, np.integer)):
            raise ValueError(f"ConvNet: seed must be an int or None, got {seed!r}")
        rng = _init_generator(seed)
        self.dropout_seed: int | None = None
        self.params: dict[str, np.ndarray] = {}
        self.bn_params: dict[int, dict] = {}
        # (layer spec, index of its parameters or None) for every layer after INPUT
        self._plan: list[tuple[object, int | None]] = []
        n = 0
        for layer in arch.layers[1:]:
            idx = None
            if isinstance(layer, (ConvSpec, FCSpec)):  # LocalSpec is a ConvSpec
                n += 1
                idx = n
                fan_in = int(np.prod(layer.weight_shape[-3:])) if isinstance(layer, ConvSpec) else layer.in_features
                std = weight_scale if weight_scale is not None else np.sqrt(2.0 / fan_in)
                self.params[f"W{n}"] = (std * rng.standard_normal(layer.weight_shape)).astype(dtype)
                self.params[f"b{n}"] = np.zeros(layer.bias_shape, dtype=dtype)
            elif isinstance(layer, BatchNormSpec):
                n += 1
                idx = n
                self.params[f"gamma{n}"] = np.ones(layer.weight_shape, dtype=dtype)
                self.params[f"beta{n}"] = np.zeros(layer.bias_shape, dtype=dtype)
                self.bn_params[str(n)] = {"mode": "train"}
            elif not isinstance(layer, (ReluSpec, NormSpec, PoolSpec, DropoutSpec)):
                raise ValueError(f"ConvNet: layer {layer.notation} is not supported by the model builder")
            self._plan.append((layer, idx))
        # Dropout masks come from (entropy, call number), so the model's whole
        # random state is this small dict: the Solver checkpoints it and a
        # resumed run draws exactly the masks an uninterrupted one would.
        # Without a seed the entropy is drawn from NumPy's global generator,
        # after the weights and only if there is dropout, so a net without
        # dropout takes from it exactly the course's np.random.randn draws.
        if seed is not None:
            entropy = int(np.random.SeedSequence(seed).entropy)
        elif any(isinstance(layer, DropoutSpec) for layer in arch.layers):
            entropy = int(np.random.randint(2**63, dtype=np.int64))
        else:
            entropy = None
        self.dropout_state = {"entropy": entropy, "calls": 0}

    def __repr__(self) -> str:
        return f"ConvNet('{self.architecture}', dtype={self.dtype.name}, params={self.num_params:,})"

    @property
    def num_params(self) -> int:
        return int(sum(p.size for p in self.params.values()))

    def get_config(self) -> dict:
        """How to rebuild this model: ``ConvNet(**{k: v for k, v in config.items() if k != 'model'})``.

        The Solver stores it in checkpoints, so ``cs231n-cnn train --resume``
        needs no ``--spec``. The initial weights (``weight_scale``, ``seed``)
        are left out: a resumed model gets its parameters from the checkpoint.

        Returns
        -------
        dict
            ``model`` ('ConvNet'), ``spec`` (the architecture in the course
            notation, every FC width written out), ``dtype`` (a name),
            ``reg`` and ``fused``.
        """
        return {"model": "ConvNet", "spec": str(self.architecture), "dtype": self.dtype.name,
                "reg": self.reg, "fused": self.fused}

    # ------------------------------------------------------------------ passes

    def _channel_major(self, layer) -> bool:
        """Whether the fused path runs ``layer`` on channel-major volumes as they are.

        Conv and spatial batch norm have channel-major versions; ReLU and
        pooling act on each (H, W) plane alone, so their NCHW functions accept
        a (C, N, H, W) array unchanged. Every other layer (FC, LOCAL, LRN,
        dropout, whose masks must match the NCHW path's) sees the NCHW view.
        """
        return (self.fused and not isinstance(layer, LocalSpec)
                and isinstance(layer, (ConvSpec, BatchNormSpec, ReluSpec, PoolSpec)))

    def _forward_layer(self, layer, idx, x, mode, owned=False, cm=False):
        """One layer's ``(out, cache)``; ``owned``: ``x`` may be overwritten (nothing else needs it).

        ``cm``: ``x`` is a channel-major volume (C, N, H, W) of the fused
        path; a 4-d output is then channel-major too.
        """
        if cm and not self._channel_major(layer):
            out, cache = self._forward_layer(layer, idx, x.transpose(1, 0, 2, 3), mode)
            return (swap_batch_and_channels(out) if out.ndim == 4 else out), cache
        p = self.params
        if cm and isinstance(layer, ConvSpec):
            return conv_forward_cm(x, p[f"W{idx}"], p[f"b{idx}"], layer.conv_param)
        if cm and isinstance(layer, BatchNormSpec):
            bn_param = self.bn_params[str(idx)]
            bn_param["mode"] = mode
            return spatial_batchnorm_forward_cm(x, p[f"gamma{idx}"], p[f"beta{idx}"], bn_param)
        if isinstance(layer, LocalSpec):
            return L.locally_connected_forward(x, p[f"W{idx}"], p[f"b{idx}"], layer.conv_param)
        if isinstance(layer, ConvSpec):
            return L.conv_forward_fast(x, p[f"W{idx}"], p[f"b{idx}"], layer.conv_param)
        if isinstance(layer, FCSpec):
            return L.affine_forward(x, p[f"W{idx}"], p[f"b{idx}"])
        if isinstance(layer, ReluSpec):
            return relu_forward_inplace(x) if owned and self.fused else L.relu_forward(x)
        if isinstance(layer, PoolSpec):
            return _POOL_LAYERS[layer.mode][0](x, layer.pool_param)
        if isinstance(layer, NormSpec):
            return L.lrn_forward(x, layer.lrn_param)
        if isinstance(layer, BatchNormSpec):
            bn_param = self.bn_params[str(idx)]
            bn_param["mode"] = mode
            forward = L.batchnorm_forward if x.ndim == 2 else L.spatial_batchnorm_forward
            return forward(x, p[f"gamma{idx}"], p[f"beta{idx}"], bn_param)
        if isinstance(layer, DropoutSpec):
            seed = self.dropout_seed
            if seed is None:
                seed = np.random.default_rng(np.random.SeedSequence(
                    self.dropout_state["entropy"], spawn_key=(self.dropout_state["calls"],)))
            return L.dropout_forward(x, {**layer.dropout_param, "mode": mode, "seed": seed})
        raise AssertionError(f"unhandled layer {layer!r}")  # the constructor rejects these

    def _backward_layer(self, layer, dout, cache, x_ndim, first=False, cm=False):
        """The gradients of one layer; ``cm``: as for :meth:`_forward_layer` (``dout`` and a 4-d ``dx``)."""
        if cm and not self._channel_major(layer):
            result = self._backward_layer(layer, dout.transpose(1, 0, 2, 3) if dout.ndim == 4 else dout,
                                          cache, x_ndim, first)
            if isinstance(result, tuple):
                dx, *rest = result
                return (swap_batch_and_channels(dx), *rest)
            return swap_batch_and_channels(result)
        if cm and isinstance(layer, ConvSpec):
            return conv_backward_cm(dout, cache, compute_dx=not first)
        if cm and isinstance(layer, BatchNormSpec):
            return spatial_batchnorm_backward_cm(dout, cache)
        if isinstance(layer, LocalSpec):
            return L.locally_connected_backward(dout, cache)
        if isinstance(layer, ConvSpec):
            if first:  # the gradient with respect to the images is never used
                return L.conv_backward_fast(dout, cache, compute_dx=False)
            return L.conv_backward_fast(dout, cache)
        if isinstance(layer, FCSpec):
            return L.affine_backward(dout, cache)
        if isinstance(layer, ReluSpec):
            # dout is always a fresh array from the layer above (or the loss), never a cache
            return relu_backward_inplace(dout, cache) if self.fused else L.relu_backward(dout, cache)
        if isinstance(layer, PoolSpec):
            return _POOL_LAYERS[layer.mode][1](dout, cache)
        if isinstance(layer, NormSpec):
            return L.lrn_backward(dout, cache)
        if isinstance(layer, BatchNormSpec):
            backward = L.batchnorm_backward if x_ndim == 2 else L.spatial_batchnorm_backward
            return backward(dout, cache)
        if isinstance(layer, DropoutSpec):
            return L.dropout_backward(dout, cache)
        raise AssertionError(f"unhandled layer {layer!r}")

    def loss(self, X, y=None):
        """Class scores, or the loss and its gradients.

        Parameters
        ----------
        X : ndarray, shape (N, D, H, W)
            Images in NCHW layout matching the spec's ``INPUT[HxWxD]``; cast
            to the model's dtype.
        y : ndarray of int, shape (N,), optional
            Labels in ``[0, num_classes)``.

        Returns
        -------
        scores : ndarray, shape (N, num_classes)
            If ``y`` is None (test mode: dropout off, BN uses running statistics).
        (loss, grads) : (float, dict of str -> ndarray)
            Otherwise (training mode); ``grads[k]`` has the shape of ``params[k]``.
        """
        X = np.asarray(X)
        H, W, D = self.architecture.input_shape
        if X.ndim != 4 or X.shape[1:] != (D, H, W):
            raise ValueError(
                f"ConvNet.loss: X must have shape (N, {D}, {H}, {W}) for INPUT[{H}x{W}x{D}] (NCHW), got {X.shape}"
            )
        X = X.astype(self.dtype, copy=False)
        mode = "test" if y is None else "train"
        if mode == "train":
            self.dropout_state["calls"] += 1
        out = X
        owned = False  # whether `out` is ours to overwrite (never the caller's X)
        # The fused path keeps every 4-d volume channel-major (C, N, H, W);
        # the images are swapped once here (a copy, so ours to overwrite).
        cm = self.fused
        if cm:
            out, owned = swap_batch_and_channels(X), True
        caches = []
        # Test mode keeps no caches: each layer's cache (the conv columns, its
        # input) is dropped as soon as the next layer has its output, and no
        # scratch buffer is added to the pool (workspace.no_new_buffers).
        with contextlib.nullcontext() if mode == "train" else workspace.no_new_buffers():
            for layer, idx in self._plan:
                x_ndim = out.ndim
                layer_cm = cm and x_ndim == 4
                out, cache = self._forward_layer(layer, idx, out, mode, owned=owned, cm=layer_cm)
                if mode == "train":
                    caches.append((cache, x_ndim, layer_cm))
                del cache
                # Conv, FC and BN outputs are fresh arrays that no cache refers
                # to (their caches hold their inputs, or x_hat), so a ReLU
                # after them may rectify in place.
                owned = isinstance(layer, (ConvSpec, FCSpec, BatchNormSpec)) and not isinstance(layer, LocalSpec)
        scores = out
        if y is None:
            return scores

        loss, dout = L.softmax_loss(scores, np.asarray(y))
        weights = [k for k in self.params if k.startswith("W")]
        if self.reg:  # with reg = 0 the sums of squares would cost a pass over every weight for nothing
            loss += 0.5 * self.reg * sum(float(np.sum(self.params[k] ** 2)) for k in weights)
        grads: dict[str, np.ndarray] = {}
        first = len(self._plan) - 1
        for i, ((layer, idx), (cache, x_ndim, layer_cm)) in enumerate(zip(reversed(self._plan), reversed(caches))):
            result = self._backward_layer(layer, dout, cache, x_ndim, first=i == first, cm=layer_cm)
            if idx is None:
                dout = result
                continue
            dout, d1, d2 = result
            if isinstance(layer, BatchNormSpec):
                grads[f"gamma{idx}"], grads[f"beta{idx}"] = d1, d2
            else:
                grads[f"W{idx}"] = d1 + self.reg * self.params[f"W{idx}"] if self.reg else d1
                grads[f"b{idx}"] = d2
        return loss, grads


    def predict(self, X, batch_size: int = 100):
        """Predicted class of each image: the argmax of the test-mode scores.

        Parameters
        ----------
        X : ndarray, shape (N, D, H, W)
            Images, as for :meth:`loss`.
        batch_size : int
            Images per forward pass; a test-mode pass keeps no caches, so its
            memory is a few activations of one batch.

        Returns
        -------
        y_pred : ndarray of int, shape (N,)
        """
        batch_size = check_int(batch_size, "batch_size", minimum=1, layer="ConvNet.predict")
        X = np.asarray(X)
        return np.concatenate([np.argmax(self.loss(X[i:i + batch_size]), axis=1)
                               for i in range(0, len(X), batch_size)] or [np.zeros(0, np.intp)])


class ThreeLayerConvNet:
    """The course's classic net: conv - relu - 2x2 max pool - affine - relu - affine - softmax.

    A student exercise (notebook 07), written as in the course: ``__init__``
    draws the parameters, ``loss`` chains the layers' forward and backward
    passes. The same architecture, as library code that no exercise touches,
    is ``ConvNet("three_layer_convnet")`` (the spec ``cs231n-cnn train`` and
    the benchmarks use):
    ``INPUT[HxWxC] -> CONV{filter_size}-{num_filters} -> RELU -> POOL2 -> FC-{hidden_dim} -> RELU -> FC``.

    The conv layer keeps the spatial size (stride 1, pad ``(filter_size - 1) // 2``);
    the 2x2 max pool with stride 2 halves it.

    Parameters
    ----------
    input_dim : tuple (C, H, W)
        Shape of one image; H and W must be even (the pool halves them).
    num_filters : int
        F, the number of conv filters.
    filter_size : int
        HH = WW, odd, so that the padding keeps the size.
    hidden_dim : int
        Width of the hidden affine layer.
    num_classes : int
        Number of scores.
    weight_scale : float or None
        Standard deviation of the initial weights, N(0, weight_scale^2); the
        course's default is 1e-3. None selects He initialisation,
        ``sqrt(2 / fan_in)`` per weight (fan_in is C*HH*WW for W1, F*H/2*W/2
        for W2 and hidden_dim for W3).
    reg : float
        L2 regularization strength: the loss adds ``0.5 * reg * sum(W**2)``
        over W1, W2 and W3 (not the biases).
    dtype : numpy dtype
        float32 to train fast, float64 for gradient checks.
    seed : int or None
        Where the weights come from: ``default_rng(SeedSequence(seed))``, or
        NumPy's global generator when None, as the course's ``np.random.randn``
        (reproducible after ``np.random.seed``). Draw W1, W2, W3 in this order
        from ``rng.standard_normal(shape)``.

    Attributes
    ----------
    params : dict of str -> ndarray
        ``W1 (F, C, HH, WW), b1 (F,), W2 (F*H/2*W/2, hidden_dim), b2 (hidden_dim,),
        W3 (hidden_dim, num_classes), b3 (num_classes,)``, all of ``dtype``;
        biases start at 0.
    input_dim, filter_size, num_classes, reg, dtype
        As given.
    """

    def __init__(self, input_dim=(3, 32, 32), num_filters=32, filter_size=7, hidden_dim=100,
                 num_classes=10, weight_scale=1e-3, reg=0.0, dtype=np.float32, seed=None):
        layer = "ThreeLayerConvNet"
        if isinstance(input_dim, (str, bytes)) or not hasattr(input_dim, "__len__") or len(input_dim) != 3:
            raise ArgumentTypeError(f"{layer}: input_dim must be a tuple (C, H, W), got {input_dim!r}")
        C, H, W = (check_int(v, f"input_dim[{i}]", minimum=1, layer=layer) for i, v in enumerate(input_dim))
        if H % 2 or W % 2:
            raise ValueError(f"{layer}: input_dim H and W must be even (the 2x2 pool with stride 2 halves them), "
                             f"got H={H}, W={W}")
        num_filters = check_int(num_filters, "num_filters", minimum=1, layer=layer)
        filter_size = check_int(filter_size, "filter_size", minimum=1, layer=layer)
        if filter_size % 2 == 0:
            raise ValueError(f"{layer}: filter_size must be odd (pad (filter_size - 1)/2 keeps the size), "
                             f"got {filter_size}")
        hidden_dim = check_int(hidden_dim, "hidden_dim", minimum=1, layer=layer)
        num_classes = check_int(num_classes, "num_classes", minimum=1, layer=layer)
        if weight_scale is not None:
            weight_scale = check_real(weight_scale, "weight_scale (None for He initialisation)", low=0,
                                      low_open=True, layer=layer)
        self.reg = check_real(reg, "reg", low=0, layer=layer)
        dtype, seed = _check_dtype_and_seed(dtype, seed, layer)
        self.input_dim = (C, H, W)
        self.filter_size = filter_size
        self.num_classes = num_classes
        self.dtype = dtype
        self.params: dict[str, np.ndarray] = {}
        rng = _init_generator(seed)
        ### BEGIN SOLUTION
        F, HH = num_filters, filter_size
        pooled = F * (H // 2) * (W // 2)         # values per image after conv (same size) and the 2x2 pool
        # (shape, fan_in) of W1, W2, W3, drawn in this order
        weights = [((F, C, HH, HH), C * HH * HH), ((pooled, hidden_dim), pooled),
                   ((hidden_dim, num_classes), hidden_dim)]
        for i, (shape, fan_in) in enumerate(weights, start=1):
            std = weight_scale if weight_scale is not None else np.sqrt(2.0 / fan_in)
            self.params[f"W{i}"] = (std * rng.standard_normal(shape)).astype(dtype)
            # A conv filter's bias is one number per filter, an affine layer's one per output.
            self.params[f"b{i}"] = np.zeros(shape[0] if i == 1 else shape[1], dtype=dtype)
        ### END SOLUTION

    def __repr__(self) -> str:
        C, H, W = self.input_dim
        return f"ThreeLayerConvNet(input_dim={(C, H, W)}, filter_size={self.filter_size}, dtype={self.dtype.name})"

    @property
    def num_params(self) -> int:
        return int(sum(p.size for p in self.params.values()))

    def loss(self, X, y=None):
        """Class scores, or the loss and its gradients.

        Parameters
        ----------
        X : ndarray, shape (N, C, H, W)
            Images in NCHW layout, ``input_dim`` each; cast to the model's dtype.
        y : ndarray of int, shape (N,), optional
            Labels in ``[0, num_classes)``.

        Returns
        -------
        scores : ndarray, shape (N, num_classes)
            If ``y`` is None.
        (loss, grads) : (float, dict of str -> ndarray)
            Otherwise: the mean softmax loss plus ``0.5 * reg * sum(W**2)``
            over W1, W2, W3, and ``grads[k]`` of the shape of ``params[k]``.
        """
        X = np.asarray(X)
        C, H, W = self.input_dim
        if X.ndim != 4 or X.shape[1:] != (C, H, W):
            raise ValueError(f"ThreeLayerConvNet.loss: X must have shape (N, {C}, {H}, {W}) (NCHW, input_dim="
                             f"{(C, H, W)}), got {X.shape}")
        X = X.astype(self.dtype, copy=False)
        conv_param = {"stride": 1, "pad": (self.filter_size - 1) // 2}
        pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}
        ### BEGIN SOLUTION
        # Each layer is looked up in cs231n_cnn.layers at call time (L.<name>), so a layer edited and
        # reloaded in a running kernel is the one used.
        p = self.params
        conv, conv_cache = L.conv_forward_fast(X, p["W1"], p["b1"], conv_param)
        relu1, relu1_cache = L.relu_forward(conv)
        pooled, pool_cache = L.max_pool_forward_fast(relu1, pool_param)
        hidden, fc1_cache = L.affine_forward(pooled, p["W2"], p["b2"])
        relu2, relu2_cache = L.relu_forward(hidden)
        scores, fc2_cache = L.affine_forward(relu2, p["W3"], p["b3"])
        if y is None:
            return scores

        loss, dscores = L.softmax_loss(scores, np.asarray(y))
        weights = ("W1", "W2", "W3")
        loss += 0.5 * self.reg * sum(float(np.sum(p[k] ** 2)) for k in weights)
        grads: dict[str, np.ndarray] = {}
        drelu2, grads["W3"], grads["b3"] = L.affine_backward(dscores, fc2_cache)
        dpooled, grads["W2"], grads["b2"] = L.affine_backward(L.relu_backward(drelu2, relu2_cache), fc1_cache)
        dconv = L.relu_backward(L.max_pool_backward_fast(dpooled, pool_cache), relu1_cache)
        # The images need no gradient: skip the first layer's dx (its col2im).
        _, grads["W1"], grads["b1"] = L.conv_backward_fast(dconv, conv_cache, compute_dx=False)
        for k in weights:
            grads[k] = grads[k] + self.reg * p[k]
        return loss, grads
        ### END SOLUTION

    def predict(self, X, batch_size: int = 100):
        """Predicted class of each image, the argmax of the scores, in batches: ``(N,)`` ints."""
        batch_size = check_int(batch_size, "batch_size", minimum=1, layer="ThreeLayerConvNet.predict")
        X = np.asarray(X)
        return np.concatenate([np.argmax(self.loss(X[i:i + batch_size]), axis=1)
                               for i in range(0, len(X), batch_size)] or [np.zeros(0, np.intp)])


class FullyConnectedNet:
    """The course's fully connected net, any depth, with optional normalization and dropout.

    The architecture is ``{affine - [norm] - relu - [dropout]} x (L - 1) -
    affine - softmax`` with ``L = len(hidden_dims) + 1`` affine layers; each
    hidden layer is one :func:`~cs231n_cnn.layers.affine_norm_relu_forward`.

    Parameters
    ----------
    hidden_dims : list of int
        Width of each hidden layer (an empty list gives a softmax classifier).
    input_dim : int
        Values per example, D; inputs of shape (N, d_1, ..., d_k) are
        flattened, so images need ``input_dim = C*H*W``.
    num_classes : int
        Number of classes, the width of the last layer.
    dropout_keep_ratio : float in (0, 1]
        Probability of keeping each hidden unit; 1 means no dropout.
    normalization : None, 'batchnorm' or 'layernorm'
        Normalization after each hidden affine layer.
    reg : float
        L2 regularization strength: the loss adds ``0.5 * reg * sum(W**2)``
        over the weight matrices (not biases, gammas or betas).
    weight_scale : float
        Standard deviation of the initial weights, N(0, weight_scale^2).
    dtype : numpy dtype
        float32 to train fast, float64 for gradient checks.
    seed : int or None
        An int seeds the initial weights and, as in the course, becomes
        ``dropout_param['seed']``, so every forward pass drops the same units
        (what gradient checks need; train without it). None draws the
        weights and every dropout mask from NumPy's global generator, like
        the course's ``np.random.randn``, reproducible after ``np.random.seed``.

    Attributes
    ----------
    params : dict of str -> ndarray
        ``W1 (D, H_1), b1 (H_1,), ..., WL (H_{L-1}, num_classes), bL
        (num_classes,)``; with normalization also ``gamma{i}, beta{i}``
        (H_i,) for each hidden layer ``i < L``.
    num_layers : int
        L, the number of affine layers.
    bn_params : list of dict
        One per hidden layer: ``{'mode': ...}`` and the running statistics
        for batch norm, ``{}`` (the ``ln_param``) for layer norm, empty list
        without normalization. :meth:`loss` sets the batch norm modes.
    dropout_param : dict
        ``{'mode', 'p'[, 'seed']}`` when ``use_dropout``, else ``{}``.
    use_dropout : bool
    normalization, reg, dtype
        As given.

    Raises
    ------
    TypeError
        For arguments of the wrong type (e.g. ``hidden_dims=100``).
    ValueError
        For values out of range; the message names the argument and value.

    Examples
    --------
    >>> net = FullyConnectedNet([100, 50], normalization="batchnorm", seed=0)
    >>> sorted(net.params)  # doctest: +NORMALIZE_WHITESPACE
    ['W1', 'W2', 'W3', 'b1', 'b2', 'b3', 'beta1', 'beta2', 'gamma1', 'gamma2']
    """

    def __init__(self, hidden_dims, *, input_dim=3 * 32 * 32, num_classes=10, dropout_keep_ratio=1,
                 normalization=None, reg=0.0, weight_scale=1e-2, dtype=np.float32, seed=None):
        layer = "FullyConnectedNet"
        if isinstance(hidden_dims, (str, bytes)) or not hasattr(hidden_dims, "__iter__"):
            raise ArgumentTypeError(f"{layer}: hidden_dims must be a list of layer widths such as [100, 100], "
                                    f"got {hidden_dims!r} ({type(hidden_dims).__name__})")
        hidden_dims = [check_int(h, f"hidden_dims[{i}]", minimum=1, layer=layer) for i, h in enumerate(hidden_dims)]
        input_dim = check_int(input_dim, "input_dim", minimum=1, layer=layer)
        num_classes = check_int(num_classes, "num_classes", minimum=1, layer=layer)
        keep = check_real(dropout_keep_ratio, "dropout_keep_ratio", low=0, high=1, low_open=True, layer=layer)
        if not (normalization is None or isinstance(normalization, str)):
            raise ArgumentTypeError(f"{layer}: normalization must be None, 'batchnorm' or 'layernorm', "
                                    f"got {normalization!r} ({type(normalization).__name__})")
        if normalization not in L.NORMALIZATIONS:
            raise ValueError(f"{layer}: normalization must be None, 'batchnorm' or 'layernorm', got {normalization!r}")
        self.reg = check_real(reg, "reg", low=0, layer=layer)
        weight_scale = check_real(weight_scale, "weight_scale", low=0, low_open=True, layer=layer)
        dtype, seed = _check_dtype_and_seed(dtype, seed, layer)

        self.normalization = normalization
        self.use_dropout = keep != 1
        self.num_layers = len(hidden_dims) + 1
        self.dtype = dtype
        self.params: dict[str, np.ndarray] = {}
        rng = _init_generator(seed)
        dims = [input_dim, *hidden_dims, num_classes]
        for i in range(1, self.num_layers + 1):
            fan_in, fan_out = dims[i - 1], dims[i]
            self.params[f"W{i}"] = (weight_scale * rng.standard_normal((fan_in, fan_out))).astype(dtype)
            self.params[f"b{i}"] = np.zeros(fan_out, dtype=dtype)
            if normalization is not None and i < self.num_layers:
                self.params[f"gamma{i}"] = np.ones(fan_out, dtype=dtype)
                self.params[f"beta{i}"] = np.zeros(fan_out, dtype=dtype)

        self.dropout_param: dict = {}
        if self.use_dropout:
            self.dropout_param = {"mode": "train", "p": keep}
            if seed is not None:
                self.dropout_param["seed"] = seed
        hidden = self.num_layers - 1
        if normalization == "batchnorm":
            self.bn_params = [{"mode": "train"} for _ in range(hidden)]
        elif normalization == "layernorm":
            self.bn_params = [{} for _ in range(hidden)]
        else:
            self.bn_params = []

    def __repr__(self) -> str:
        widths = [self.params[f"W{i}"].shape[1] for i in range(1, self.num_layers)]
        return (f"FullyConnectedNet({widths}, input_dim={self.params['W1'].shape[0]}, "
                f"num_classes={self.params[f'W{self.num_layers}'].shape[1]}, normalization={self.normalization!r}, "
                f"dropout_keep_ratio={self.dropout_param.get('p', 1)}, dtype={self.dtype.name})")

    def loss(self, X, y=None):
        """Class scores, or the loss and its gradients.

        Parameters
        ----------
        X : ndarray, shape (N, d_1, ..., d_k)
            With ``d_1 * ... * d_k = input_dim``; cast to the model's dtype.
        y : ndarray of int, shape (N,), optional
            Labels in ``[0, num_classes)``.

        Returns
        -------
        scores : ndarray, shape (N, num_classes)
            If ``y`` is None (test mode: dropout off, batch norm uses its
            running statistics).
        (loss, grads) : (float, dict of str -> ndarray)
            Otherwise (training mode); ``grads[k]`` has the shape of ``params[k]``.
        """
        X = np.asarray(X)
        D = self.params["W1"].shape[0]
        if X.ndim < 2 or int(np.prod(X.shape[1:])) != D:
            raise ValueError(f"FullyConnectedNet.loss: X must have shape (N, ...) with input_dim={D} values "
                             f"per example, got shape {X.shape}")
        X = X.astype(self.dtype, copy=False)
        mode = "test" if y is None else "train"
        if self.use_dropout:
            self.dropout_param["mode"] = mode
        if self.normalization == "batchnorm":
            for bn_param in self.bn_params:
                bn_param["mode"] = mode
        # The forward pass: for each hidden layer i < L, affine_norm_relu_forward with self.bn_params[i - 1]
        # (or None without normalization), then dropout_forward with self.dropout_param if self.use_dropout;
        # the last affine layer gives the scores. The backward pass runs the same layers in reverse.
        ### BEGIN SOLUTION
        p = self.params
        out, caches = X, []
        for i in range(1, self.num_layers):
            bn_param = self.bn_params[i - 1] if self.normalization is not None else None
            out, cache = L.affine_norm_relu_forward(out, p[f"W{i}"], p[f"b{i}"], p.get(f"gamma{i}"),
                                                    p.get(f"beta{i}"), bn_param, self.normalization)
            drop_cache = None
            if self.use_dropout:
                out, drop_cache = L.dropout_forward(out, self.dropout_param)
            caches.append((cache, drop_cache))
        last = self.num_layers
        scores, last_cache = L.affine_forward(out, p[f"W{last}"], p[f"b{last}"])
        if y is None:
            return scores

        loss, dout = L.softmax_loss(scores, np.asarray(y))
        loss += 0.5 * self.reg * sum(float(np.sum(p[f"W{i}"] ** 2)) for i in range(1, last + 1))
        grads: dict[str, np.ndarray] = {}
        dout, grads[f"W{last}"], grads[f"b{last}"] = L.affine_backward(dout, last_cache)
        for i in range(last - 1, 0, -1):
            cache, drop_cache = caches[i - 1]
            if drop_cache is not None:
                dout = L.dropout_backward(dout, drop_cache)
            dout, grads[f"W{i}"], grads[f"b{i}"], dgamma, dbeta = L.affine_norm_relu_backward(dout, cache)
            if self.normalization is not None:
                grads[f"gamma{i}"], grads[f"beta{i}"] = dgamma, dbeta
        for i in range(1, last + 1):
            grads[f"W{i}"] = grads[f"W{i}"] + self.reg * p[f"W{i}"]
        return loss, grads
        ### END SOLUTION
