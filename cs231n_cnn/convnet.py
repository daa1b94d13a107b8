"""Trainable ConvNets built from the architecture notation.

:class:`ConvNet` turns a spec such as
``INPUT[32x32x3] -> [CONV3-32 -> RELU]*2 -> POOL2 -> FC-256 -> RELU -> FC``
into a network on the fast layers, with the interface the course's Solver
expects: a ``params`` dict of arrays and ``loss(X, y=None)``, which returns
class scores at test time, or ``(loss, grads)`` when labels are given.

Each kind of layer is one entry of :data:`LAYER_KINDS` (its forward and
backward passes, channel-major versions where they exist, its parameter
names, whether a ReLU after it may rectify in place); a pool layer runs the
functions its mode names in :data:`~cs231n_cnn.architecture.vocabulary.POOL_MODES`.

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

:class:`ConvNet` is library code and uses none of the student exercises of
:mod:`cs231n_cnn.models`, so ``ConvNet("three_layer_convnet")`` (what
``cs231n-cnn train`` and the benchmarks build) works in a student release
before they are written. ``cs231n_cnn.models.ConvNet`` is the same class.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import layers as L
from . import workspace
from .architecture import ZOO, lookup, parse
from .architecture.specs import Architecture, ConvSpec, DropoutSpec, FCSpec
from .architecture.vocabulary import POOL_MODES
from .layers import channel_major as CM
from .layers import fc as FC
from .layers.channel_major import fast_paths_present, swap_batch_and_channels
from .model_init import init_generator
from .shapes import check_int

__all__ = ["ConvNet", "LayerKind", "LAYER_KINDS"]


# ------------------------------------------------------------------ the table
# Every function is looked up in its module (L, CM, FC) when it is called, so a layer edited and reloaded in a
# running kernel is the one used, and the benchmarks can time each call.

@dataclass(frozen=True)
class LayerKind:
    """How :class:`ConvNet` builds and runs one kind of layer (a ``LayerSpec.kind``).

    Attributes
    ----------
    forward : callable ``(net, layer, idx, x, mode, owned) -> (out, cache)``
        ``idx`` numbers the layer's parameters (None without), ``mode`` is
        'train' or 'test', ``owned``: ``x`` may be overwritten.
    backward : callable ``(net, layer, dout, cache, x_ndim, first) -> dx or (dx, d1, d2)``
        ``d1, d2`` are the gradients of the two parameters; ``x_ndim`` is the
        forward input's ndim; ``first``: the images' gradient is not needed.
    forward_cm, backward_cm : callable or None
        The same on channel-major volumes (C, N, H, W), for the fused path;
        None: the layer sees the NCHW view.
    params : tuple of str
        Names of its parameters, numbered by ``idx``: ``('W', 'b')``,
        ``('gamma', 'beta')`` or none. A ``W`` is regularized.
    init : callable ``(layer, rng, weight_scale, dtype) -> tuple of ndarray`` or None
        Initial values of ``params``, in order.
    fresh_output : bool
        Its output is a new array that no cache refers to, so a ReLU after it
        may rectify in place.
    running_stats : bool
        It keeps running statistics, ``net.bn_params[str(idx)]`` (batch norm).
    """

    forward: Callable
    backward: Callable
    forward_cm: Callable | None = None
    backward_cm: Callable | None = None
    params: tuple[str, ...] = ()
    init: Callable | None = None
    fresh_output: bool = False
    running_stats: bool = False


def _weights_init(layer, rng, weight_scale, dtype):
    """W ~ N(0, s^2), s = weight_scale or He's sqrt(2 / fan_in); b = 0."""
    fan_in = int(np.prod(layer.weight_shape[-3:])) if isinstance(layer, ConvSpec) else layer.in_features
    std = weight_scale if weight_scale is not None else np.sqrt(2.0 / fan_in)
    return (std * rng.standard_normal(layer.weight_shape)).astype(dtype), np.zeros(layer.bias_shape, dtype=dtype)


def _bn_init(layer, rng, weight_scale, dtype):
    return np.ones(layer.weight_shape, dtype=dtype), np.zeros(layer.bias_shape, dtype=dtype)


def _bn_param(net, idx, mode):
    bn_param = net.bn_params[str(idx)]
    bn_param["mode"] = mode
    return bn_param


def _conv_backward(net, layer, dout, cache, x_ndim, first):
    if first:  # the gradient with respect to the images is never used
        return L.conv_backward_fast(dout, cache, compute_dx=False)
    return L.conv_backward_fast(dout, cache)


def _bn_forward(net, layer, idx, x, mode, owned):
    forward = L.batchnorm_forward if x.ndim == 2 else L.spatial_batchnorm_forward
    return forward(x, *net.layer_params(layer, idx), _bn_param(net, idx, mode))


def _bn_backward(net, layer, dout, cache, x_ndim, first):
    backward = L.batchnorm_backward if x_ndim == 2 else L.spatial_batchnorm_backward
    return backward(dout, cache)


def _relu_forward(net, layer, idx, x, mode, owned):
    return FC.relu_forward_inplace(x) if owned and net.fused else L.relu_forward(x)


def _relu_backward(net, layer, dout, cache, x_ndim, first):
    # dout is always a fresh array from the layer above (or the loss), never a cache
    return FC.relu_backward_inplace(dout, cache) if net.fused else L.relu_backward(dout, cache)


def _pool_forward(net, layer, idx, x, mode, owned):
    return getattr(L, POOL_MODES[layer.mode].forward)(x, layer.pool_param)


def _pool_backward(net, layer, dout, cache, x_ndim, first):
    return getattr(L, POOL_MODES[layer.mode].backward)(dout, cache)


def _dropout_forward(net, layer, idx, x, mode, owned):
    seed = net.dropout_seed
    if seed is None:
        seed = np.random.default_rng(np.random.SeedSequence(
            net.dropout_state["entropy"], spawn_key=(net.dropout_state["calls"],)))
    return L.dropout_forward(x, {**layer.dropout_param, "mode": mode, "seed": seed})


LAYER_KINDS: dict[str, LayerKind] = {
    "conv": LayerKind(
        forward=lambda net, layer, idx, x, mode, owned: L.conv_forward_fast(
            x, *net.layer_params(layer, idx), layer.conv_param),
        backward=_conv_backward,
        forward_cm=lambda net, layer, idx, x, mode, owned: CM.conv_forward_cm(
            x, *net.layer_params(layer, idx), layer.conv_param),
        backward_cm=lambda net, layer, dout, cache, x_ndim, first: CM.conv_backward_cm(
            dout, cache, compute_dx=not first),
        params=("W", "b"), init=_weights_init, fresh_output=True),
    "local": LayerKind(
        forward=lambda net, layer, idx, x, mode, owned: L.locally_connected_forward(
            x, *net.layer_params(layer, idx), layer.conv_param),
        backward=lambda net, layer, dout, cache, x_ndim, first: L.locally_connected_backward(dout, cache),
        params=("W", "b"), init=_weights_init),
    "fc": LayerKind(
        forward=lambda net, layer, idx, x, mode, owned: L.affine_forward(x, *net.layer_params(layer, idx)),
        backward=lambda net, layer, dout, cache, x_ndim, first: L.affine_backward(dout, cache),
        params=("W", "b"), init=_weights_init, fresh_output=True),
    "bn": LayerKind(
        forward=_bn_forward,
        backward=_bn_backward,
        forward_cm=lambda net, layer, idx, x, mode, owned: CM.spatial_batchnorm_forward_cm(
            x, *net.layer_params(layer, idx), _bn_param(net, idx, mode)),
        backward_cm=lambda net, layer, dout, cache, x_ndim, first: CM.spatial_batchnorm_backward_cm(dout, cache),
        params=("gamma", "beta"), init=_bn_init, fresh_output=True, running_stats=True),
    # ReLU and pooling act on each (H, W) plane alone: their NCHW functions take a (C, N, H, W) array as it is.
    "relu": LayerKind(forward=_relu_forward, backward=_relu_backward,
                      forward_cm=_relu_forward, backward_cm=_relu_backward),
    "pool": LayerKind(forward=_pool_forward, backward=_pool_backward,
                      forward_cm=_pool_forward, backward_cm=_pool_backward),
    "norm": LayerKind(
        forward=lambda net, layer, idx, x, mode, owned: L.lrn_forward(x, layer.lrn_param),
        backward=lambda net, layer, dout, cache, x_ndim, first: L.lrn_backward(dout, cache)),
    # dropout's masks must match the NCHW path's, so it has no channel-major version
    "dropout": LayerKind(
        forward=_dropout_forward,
        backward=lambda net, layer, dout, cache, x_ndim, first: L.dropout_backward(dout, cache)),
}


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
        self.dropout_seed: int | None = None
        self._build(init_generator(seed), weight_scale)
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

    def _build(self, rng, weight_scale):
        """``params``, ``bn_params`` and ``_plan``, the (layer spec, index of its parameters or None) of every
        layer after INPUT; the weights drawn from ``rng`` layer by layer."""
        self.params: dict[str, np.ndarray] = {}
        self.bn_params: dict[str, dict] = {}
        self._plan: list[tuple[object, int | None]] = []
        n = 0
        for layer in self.architecture.layers[1:]:
            kind = LAYER_KINDS.get(layer.kind)
            if kind is None:
                raise ValueError(f"ConvNet: layer {layer.notation} is not supported by the model builder")
            idx = None
            if kind.params:
                n += 1
                idx = n
                for name, value in zip(kind.params, kind.init(layer, rng, weight_scale, self.dtype)):
                    self.params[f"{name}{n}"] = value
                if kind.running_stats:
                    self.bn_params[str(n)] = {"mode": "train"}
            self._plan.append((layer, idx))

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

    def layer_params(self, layer, idx) -> tuple:
        """The parameters of the layer numbered ``idx``, in its kind's order: ``(W, b)`` or ``(gamma, beta)``."""
        return tuple(self.params[f"{name}{idx}"] for name in LAYER_KINDS[layer.kind].params)

    def _channel_major(self, layer) -> bool:
        """Whether the fused path runs ``layer`` on channel-major volumes as they are (its kind has a
        channel-major version); every other layer sees the NCHW view."""
        return self.fused and LAYER_KINDS[layer.kind].forward_cm is not None

    def _forward_layer(self, layer, idx, x, mode, owned=False, cm=False):
        """One layer's ``(out, cache)``; ``owned``: ``x`` may be overwritten (nothing else needs it).

        ``cm``: ``x`` is a channel-major volume (C, N, H, W) of the fused
        path; a 4-d output is then channel-major too.
        """
        if cm and not self._channel_major(layer):
            out, cache = self._forward_layer(layer, idx, x.transpose(1, 0, 2, 3), mode)
            return (swap_batch_and_channels(out) if out.ndim == 4 else out), cache
        kind = LAYER_KINDS[layer.kind]
        return (kind.forward_cm if cm else kind.forward)(self, layer, idx, x, mode, owned)

    def _backward_layer(self, layer, dout, cache, x_ndim, first=False, cm=False):
        """The gradients of one layer; ``cm``: as for :meth:`_forward_layer` (``dout`` and a 4-d ``dx``)."""
        if cm and not self._channel_major(layer):
            result = self._backward_layer(layer, dout.transpose(1, 0, 2, 3) if dout.ndim == 4 else dout,
                                          cache, x_ndim, first)
            if isinstance(result, tuple):
                dx, *rest = result
                return (swap_batch_and_channels(dx), *rest)
            return swap_batch_and_channels(result)
        kind = LAYER_KINDS[layer.kind]
        return (kind.backward_cm if cm else kind.backward)(self, layer, dout, cache, x_ndim, first)

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
        scores, caches = self._forward(X, mode)
        if y is None:
            return scores

        loss, dout = L.softmax_loss(scores, np.asarray(y))
        weights = [k for k in self.params if k.startswith("W")]
        if self.reg:  # with reg = 0 the sums of squares would cost a pass over every weight for nothing
            loss += 0.5 * self.reg * sum(float(np.sum(self.params[k] ** 2)) for k in weights)
        return loss, self._backward(dout, caches)

    def _forward(self, X, mode):
        """``(scores, caches)``: the forward pass of images ``X`` (N, D, H, W) in ``mode``; in 'train' mode one
        ``(cache, input ndim, channel-major)`` per layer of ``_plan``, in 'test' mode none."""
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
                owned = LAYER_KINDS[layer.kind].fresh_output
        return out, caches

    def _backward(self, dout, caches):
        """The gradients of every parameter (plus ``reg * W`` for weights), from ``dout`` (N, num_classes)."""
        grads: dict[str, np.ndarray] = {}
        first = len(self._plan) - 1
        for i, ((layer, idx), (cache, x_ndim, layer_cm)) in enumerate(zip(reversed(self._plan), reversed(caches))):
            result = self._backward_layer(layer, dout, cache, x_ndim, first=i == first, cm=layer_cm)
            if idx is None:
                dout = result
                continue
            dout, *dparams = result
            for name, grad in zip(LAYER_KINDS[layer.kind].params, dparams):
                key = f"{name}{idx}"
                grads[key] = grad + self.reg * self.params[key] if self.reg and name == "W" else grad
        return grads

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
