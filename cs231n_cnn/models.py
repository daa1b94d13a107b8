"""The course's models: the three-layer ConvNet and the fully connected net, student exercises.

:class:`ThreeLayerConvNet` is the course's classic net of assignment 2:
``conv - relu - 2x2 max pool - affine - relu - affine - softmax``.
:class:`FullyConnectedNet` is the course's fully connected net of assignment
2: ``{affine - [batch/layer norm] - relu - [dropout]} x (L - 1) - affine -
softmax``, with the course's constructor, parameter names and ``bn_params``.

Student exercises, as in the course: :class:`ThreeLayerConvNet`'s
``__init__`` and ``loss`` (notebook 07) and :meth:`FullyConnectedNet.loss`
(notebook 08).

:class:`ConvNet`, the library's net built from a spec in the course's
notation, lives in :mod:`cs231n_cnn.convnet` and is imported here too, so
``from cs231n_cnn.models import ConvNet`` works; it uses none of these
exercises, so ``ConvNet("three_layer_convnet")`` works in a student release
before they are written.

Initialisation
--------------
Weights are drawn from N(0, s^2) with ``s = weight_scale``, or with He et
al.'s ``s = sqrt(2 / fan_in)`` where ``weight_scale=None`` is allowed. Without
``seed=`` the weights come from NumPy's global generator, as in the course:
``np.random.seed(231)`` before building a model reproduces it.
"""

from __future__ import annotations

import numpy as np

from . import layers as L
from .convnet import ConvNet
from .model_init import check_dtype_and_seed as _check_dtype_and_seed
from .model_init import init_generator as _init_generator
from .shapes import ArgumentTypeError, check_int, check_real

__all__ = ["ConvNet", "ThreeLayerConvNet", "FullyConnectedNet"]


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
