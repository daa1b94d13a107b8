"""Output sizes and input validation: the one place every layer asks.

The course's output-size rule for a window of size F sliding with stride S
over an input of size W that has P zeros added on each side is::

    W_out = (W - F + 2P) / S + 1

A layer whose hyperparameters make this a non-integer does not "fit": the
last window would hang over the edge of the padded input. Rather than
silently dropping the overhang (as some frameworks do with ``floor``), every
layer here raises a ``ValueError`` that shows the formula with the numbers,
so a learner can see which of W, F, P or S to change.

All validation errors are ``ValueError`` and name the offending value and the
rule it breaks. An argument of the wrong *type* (a list where an array is
needed, a complex array, a float stride) raises :class:`ArgumentTypeError`,
which is both a ``TypeError`` and a ``ValueError``: ``except TypeError`` works
and older callers catching ``ValueError`` keep working. Integer and boolean
data arrays given to a layer are promoted to float64 first, as NumPy's own
arithmetic (and the course's code) would (:func:`promote_integer_arrays`).

Checks are cheap (shape and dtype inspection); the only data scan is
:func:`check_finite`, used where its cost is small next to the layer; it
raises :class:`NonFiniteError` (a ``ValueError``).
"""

from __future__ import annotations

import functools
import inspect
import numbers
from fractions import Fraction

import numpy as np

__all__ = [
    "ArgumentTypeError",
    "NonFiniteError",
    "promote_integer_arrays",
    "output_size",
    "check_array",
    "check_finite",
    "check_same_dtype",
    "conv_params",
    "pool_params",
    "conv_output_shape",
    "pool_output_shape",
    "check_conv_inputs",
    "check_param_dict",
    "check_int",
    "check_real",
    "check_choice",
    "check_labels",
]


class ArgumentTypeError(TypeError, ValueError):
    """An argument has the wrong type or dtype; the message names the parameter and the type expected.

    Both a ``TypeError`` (what Python raises for a wrong type) and a
    ``ValueError`` (what these checks raised before, so callers catching it
    keep working), like scikit-learn's ``check_scalar``.
    """


class NonFiniteError(ValueError):
    """An array holds NaN or inf where finite values are needed (:func:`check_finite`).

    A ``ValueError`` as before; its own class so that callers (the Solver,
    which reports it as divergence) can catch it by type, not by its text.
    """


def _fmt(v: Fraction) -> str:
    """Format an exact fraction the way a learner would write it: 4.5, 3, 3.333."""
    if v.denominator == 1:
        return str(v.numerator)
    return f"{float(v):.4g}"


def _as_int(value, name: str, *, minimum: int) -> int:
    """Validate a hyperparameter that must be an integer >= ``minimum``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ArgumentTypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    value = int(value)
    if value < minimum:
        rule = "positive" if minimum == 1 else f">= {minimum}"
        # "conv: stride S" -> "S": the symbol the formula uses, without the prefix
        symbol = name.rsplit(": ", 1)[-1].split()[-1]
        raise ValueError(f"{name} must be {rule}, got {symbol}={value}")
    return value


def output_size(size: int, field: int, stride: int, pad: int = 0, *,
                axis: str = "width", layer: str = "layer", padded: bool = True) -> int:
    """Spatial output size ``(size - field + 2*pad) / stride + 1``, checked.

    Parameters
    ----------
    size : int
        Input extent ``W`` (or ``H``) along one axis.
    field : int
        Receptive field / kernel extent ``F`` along that axis.
    stride : int
        Stride ``S`` (>= 1).
    pad : int
        Zero padding ``P`` added on *each* side (>= 0).
    axis, layer : str
        Used only to make error messages specific ("conv: height ...").
    padded : bool
        Whether the layer can zero-pad (conv: yes; pooling: no); only
        changes the advice in the error message.

    Returns
    -------
    int
        The output extent.

    Raises
    ------
    ValueError
        If any argument is not an integer in range, if the kernel is larger
        than the padded input, or if the formula does not give an integer.

    Examples
    --------
    >>> output_size(5, 3, 1, 1), output_size(5, 3, 2, 1)
    (5, 3)
    >>> output_size(227, 11, 4, 0)  # AlexNet's first layer
    55
    >>> output_size(10, 3, 2, 0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: layer: width does not fit: (W - F + 2P)/S + 1 = (10 - 3 + 2*0)/2 + 1 = 4.5 is not an integer ...
    """
    size = _as_int(size, f"{layer}: input {axis} W", minimum=1)
    field = _as_int(field, f"{layer}: {axis} of the filter F", minimum=1)
    stride = _as_int(stride, f"{layer}: stride S", minimum=1)
    pad = _as_int(pad, f"{layer}: pad P", minimum=0)
    padded_size = size + 2 * pad
    if field > padded_size:
        raise ValueError(
            f"{layer}: the filter is larger than the padded input along the {axis}: "
            f"F={field} > W + 2P = {size} + 2*{pad} = {padded_size}"
        )
    value = Fraction(size - field + 2 * pad, stride) + 1
    if value.denominator != 1:
        raise ValueError(
            f"{layer}: {axis} does not fit: (W - F + 2P)/S + 1 = "
            f"({size} - {field} + 2*{pad})/{stride} + 1 = {_fmt(value)} is not an integer "
            f"(W={size}, F={field}, P={pad}, S={stride}); "
            + ("change the stride or the zero-padding so the windows tile the input" if padded else
               "change the window size or the stride (or the input size) so the windows tile the input")
        )
    return int(value)


def check_array(a, name: str, ndim: int | None = None, *, layer: str = "layer",
                shape: tuple | None = None) -> np.ndarray:
    """Check that ``a`` is a floating-point ndarray with the expected ndim/shape.

    Integer, boolean, complex and object arrays are rejected here: the
    public layers promote integer and boolean data to float64 before they
    ask (:func:`promote_integer_arrays`), so what reaches this is a mistake.
    ``shape`` may contain ``None`` for "any size" on that axis.
    """
    if not isinstance(a, np.ndarray):
        raise ArgumentTypeError(f"{layer}: {name} must be a numpy array, got {type(a).__name__}")
    if a.dtype.kind != "f":
        raise ArgumentTypeError(
            f"{layer}: {name} must be a floating-point array (float32 or float64), "
            f"got dtype {a.dtype}; convert it with {name}.astype(np.float64)"
        )
    if ndim is not None and a.ndim != ndim:
        raise ValueError(f"{layer}: {name} must have {ndim} dimensions, got shape {a.shape} ({a.ndim}-D)")
    if shape is not None:
        if len(shape) != a.ndim or any(s is not None and s != t for s, t in zip(shape, a.shape)):
            dims = ["*" if s is None else str(s) for s in shape]
            want = f"({dims[0]},)" if len(dims) == 1 else "(" + ", ".join(dims) + ")"
            raise ValueError(f"{layer}: {name} must have shape {want}, got {a.shape}")
    return a


def check_finite(a: np.ndarray, name: str, *, layer: str = "layer") -> None:
    """Raise :class:`NonFiniteError` if ``a`` contains NaN or inf.

    One reduction (no temporary the size of ``a``) answers the common case;
    only when the sum is not finite do we look element-wise, which also tells
    apart a genuine NaN/inf from a sum that merely overflowed.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.add.reduce(a, axis=None)):
            return
    bad = ~np.isfinite(a)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise NonFiniteError(
            f"{layer}: {name} contains {int(bad.sum())} non-finite value(s) "
            f"(first {float(a[idx])!r} at index {idx}); check the learning rate and the input data"
        )


def check_same_dtype(layer: str = "layer", **arrays) -> None:
    """Raise unless all arrays share one dtype.

    Mixing float32 and float64 would make NumPy silently upcast the result
    (and double its memory); we would rather say so.
    """
    dtypes = {name: a.dtype for name, a in arrays.items()}
    if len(set(dtypes.values())) > 1:
        listed = ", ".join(f"{n}: {d}" for n, d in dtypes.items())
        raise ValueError(f"{layer}: arrays must share one dtype, got {listed}")


def conv_params(conv_param, *, layer: str = "conv") -> tuple[int, int]:
    """Return ``(stride, pad)`` from a ``{'stride': S, 'pad': P}`` dict, validated."""
    if not isinstance(conv_param, dict):
        raise ArgumentTypeError(f"{layer}: conv_param must be a dict with keys 'stride' and 'pad', got {conv_param!r}")
    missing = [k for k in ("stride", "pad") if k not in conv_param]
    if missing:
        raise ValueError(f"{layer}: conv_param is missing {missing}; expected {{'stride': S, 'pad': P}}")
    stride = _as_int(conv_param["stride"], f"{layer}: stride S", minimum=1)
    pad = _as_int(conv_param["pad"], f"{layer}: pad P", minimum=0)
    return stride, pad


def pool_params(pool_param, *, layer: str = "pool") -> tuple[int, int, int]:
    """Return ``(pool_height, pool_width, stride)`` from a pool_param dict, validated."""
    keys = ("pool_height", "pool_width", "stride")
    if not isinstance(pool_param, dict):
        raise ArgumentTypeError(f"{layer}: pool_param must be a dict with keys {keys}, got {pool_param!r}")
    missing = [k for k in keys if k not in pool_param]
    if missing:
        raise ValueError(f"{layer}: pool_param is missing {missing}; expected keys {keys}")
    ph = _as_int(pool_param["pool_height"], f"{layer}: pool_height", minimum=1)
    pw = _as_int(pool_param["pool_width"], f"{layer}: pool_width", minimum=1)
    stride = _as_int(pool_param["stride"], f"{layer}: stride S", minimum=1)
    return ph, pw, stride


def conv_output_shape(x_shape, w_shape, stride: int, pad: int, *, layer: str = "conv"):
    """Output shape ``(N, F, H_out, W_out)`` of a convolution of x (N, C, H, W) with w (F, C, HH, WW)."""
    N, C, H, W = x_shape
    F, Cw, HH, WW = w_shape
    if C != Cw:
        raise ValueError(
            f"{layer}: channel mismatch: x has C={C} channels (shape {tuple(x_shape)}) "
            f"but w expects C={Cw} (shape {tuple(w_shape)})"
        )
    H_out = output_size(H, HH, stride, pad, axis="height", layer=layer)
    W_out = output_size(W, WW, stride, pad, axis="width", layer=layer)
    return N, F, H_out, W_out


def pool_output_shape(x_shape, ph: int, pw: int, stride: int, *, layer: str = "pool"):
    """Output shape ``(N, C, H_out, W_out)`` of pooling x (N, C, H, W) with a ph x pw window."""
    N, C, H, W = x_shape
    H_out = output_size(H, ph, stride, 0, axis="height", layer=layer, padded=False)
    W_out = output_size(W, pw, stride, 0, axis="width", layer=layer, padded=False)
    return N, C, H_out, W_out


def check_conv_inputs(x, w, b, conv_param, *, layer: str = "conv"):
    """Validate a convolution's inputs; return ``(stride, pad, out_shape)``.

    x : (N, C, H, W), w : (F, C, HH, WW), b : (F,), conv_param : {'stride', 'pad'}.
    """
    check_array(x, "x", 4, layer=layer)
    check_array(w, "w", 4, layer=layer)
    check_array(b, "b", 1, layer=layer)
    if b.shape[0] != w.shape[0]:
        raise ValueError(
            f"{layer}: bias b has length {b.shape[0]} but w has F={w.shape[0]} filters; "
            f"b must have shape ({w.shape[0]},)"
        )
    check_same_dtype(layer, x=x, w=w, b=b)
    stride, pad = conv_params(conv_param, layer=layer)
    out_shape = conv_output_shape(x.shape, w.shape, stride, pad, layer=layer)
    return stride, pad, out_shape


def check_param_dict(d, name: str, required=(), *, layer: str = "layer") -> dict:
    """Check that ``d`` is a dict holding every key in ``required``; return it.

    Extra keys are allowed (the course stores running statistics and seeds in
    the same dicts).
    """
    if not isinstance(d, dict):
        raise ArgumentTypeError(f"{layer}: {name} must be a dict, got {type(d).__name__}")
    missing = [k for k in required if k not in d]
    if missing:
        raise ValueError(f"{layer}: {name} is missing {missing}; it must have the keys {list(required)}")
    return d


def check_int(value, name: str, *, minimum: int = 0, layer: str = "layer") -> int:
    """Validate an integer hyperparameter ``>= minimum`` (bools rejected); return it as ``int``."""
    return _as_int(value, f"{layer}: {name}", minimum=minimum)


def check_real(value, name: str, *, low: float | None = None, high: float | None = None,
               low_open: bool = False, high_open: bool = False, layer: str = "layer") -> float:
    """Validate a finite real hyperparameter in an interval; return it as a Python ``float``.

    ``low``/``high`` bound the interval (``None`` for unbounded); ``low_open`` /
    ``high_open`` exclude the endpoint. A Python float (never ``np.float64``)
    is returned because under NumPy 1.26 a ``np.float64`` scalar would upcast
    float32 arrays it multiplies.

    Examples
    --------
    >>> check_real(0.5, "p", low=0, high=1, low_open=True)
    0.5
    >>> check_real(0, "p", low=0, high=1, low_open=True, layer="dropout")
    Traceback (most recent call last):
    ...
    ValueError: dropout: p must lie in (0, 1], got p=0
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ArgumentTypeError(f"{layer}: {name} must be a real number, got {value!r} ({type(value).__name__})")
    v = float(value)
    too_low = low is not None and (v < low or (low_open and v == low))
    too_high = high is not None and (v > high or (high_open and v == high))
    if v != v or too_low or too_high:
        interval = (("(" if low_open else "[") + ("-inf" if low is None else f"{low:g}") + ", "
                    + ("inf" if high is None else f"{high:g}") + (")" if high_open or high is None else "]"))
        if low is None:
            interval = "(" + interval[1:]
        raise ValueError(f"{layer}: {name} must lie in {interval}, got {name}={value!r}")
    return v


def check_choice(value, name: str, choices, *, layer: str = "layer") -> str:
    """Check that the string ``value`` is one of ``choices`` (e.g. a layer's ``'mode'``)."""
    if not isinstance(value, str):
        raise ArgumentTypeError(f"{layer}: {name} must be one of {list(choices)}, got {value!r} "
                                f"({type(value).__name__})")
    if value not in choices:
        raise ValueError(f"{layer}: {name} must be one of {list(choices)}, got {value!r}")
    return value


def check_labels(y, num_examples: int, num_classes: int, *, layer: str = "loss") -> np.ndarray:
    """Check class labels ``y`` of shape (N,) with integer entries ``0 <= y[i] < C``.

    The out-of-range message shows the first bad label, its index and C: the
    usual cause is 1-based labels or a dataset with more classes than scores.
    """
    if not isinstance(y, np.ndarray):
        raise ArgumentTypeError(
            f"{layer}: y must be a numpy array of integer class labels, got {type(y).__name__}")
    if y.dtype.kind not in "iu":
        raise ArgumentTypeError(
            f"{layer}: y must hold integer class labels, got dtype {y.dtype}; convert it with y.astype(np.int64)"
        )
    if y.ndim != 1 or y.shape[0] != num_examples:
        raise ValueError(f"{layer}: y must have shape (N,) = ({num_examples},) to match the scores, got {y.shape}")
    bad = (y < 0) | (y >= num_classes)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(
            f"{layer}: label y[{i}] = {int(y[i])} is out of range for C={num_classes} classes; "
            f"labels must satisfy 0 <= y < C ({int(bad.sum())} bad label(s))"
        )
    return y


# Arguments that hold real-valued data (never labels or hyperparameters).
_DATA_ARGUMENTS = frozenset({"x", "w", "b", "gamma", "beta", "dout"})


def promote_integer_arrays(fn):
    """Decorator: integer and boolean arrays passed as data become float64, as NumPy's arithmetic would.

    The course's notebooks pass ``b = np.array([0, 128])`` as a conv bias
    and integer ``gamma``/``beta``; NumPy, and the course's code, promote
    them. Only the data arguments (``x``, ``w``, ``b``, ``gamma``, ``beta``,
    ``dout``) are promoted: labels ``y`` stay integers, and a float32 array
    next to a promoted one still gets :func:`check_same_dtype`'s clear error
    rather than a silent upcast. Other dtypes (complex, object, strings) go
    through unchanged and are refused by :func:`check_array`.
    """
    def promote(a):
        return a.astype(np.float64) if type(a) is np.ndarray and a.dtype.kind in "biu" else a

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        __tracebackhide__ = True  # noqa: F841 - read by the grader's traceback, which skips this frame
        # The function and its data positions are read from the wrapper's __dict__ on every call, not
        # from this closure: IPython's autoreload (and cs231n_cnn.notebook) update a reloaded function
        # in place by swapping __code__ and __dict__ (a closure cannot be swapped), so a student's edit
        # of a decorated layer reaches every name that already refers to it.
        inner, positions = wrapper.__wrapped__, wrapper.promoted_positions
        if any(i < len(args) and type(args[i]) is np.ndarray and args[i].dtype.kind in "biu" for i in positions):
            args = tuple(promote(a) if i in positions else a for i, a in enumerate(args))
        for name in _DATA_ARGUMENTS.intersection(kwargs):
            kwargs[name] = promote(kwargs[name])
        return inner(*args, **kwargs)

    wrapper.promoted_positions = tuple(i for i, name in enumerate(inspect.signature(fn).parameters)
                                       if name in _DATA_ARGUMENTS)
    return wrapper
