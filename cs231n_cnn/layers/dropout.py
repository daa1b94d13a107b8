"""Inverted dropout.

In train mode each activation is kept with probability ``p`` and the kept
ones are divided by ``p``, so the expected output equals the input and test
mode needs no rescaling: it is the identity. (Srivastava et al., "Dropout: A
Simple Way to Prevent Neural Networks from Overfitting", JMLR 2014; the
"inverted" scaling at train time is the course notes' recommendation.)

``p`` is the probability of *keeping* a unit, as in the course (PyTorch's
``p`` is the probability of dropping one).

Randomness: ``dropout_param['seed']`` chooses where the mask comes from (see
:func:`dropout_forward`). Without a seed the mask is drawn from NumPy's global
generator, as the course's ``np.random.rand`` does, so ``np.random.seed``
makes a notebook reproducible.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..shapes import check_array, check_choice, check_param_dict, check_real, check_same_dtype, promote_integer_arrays

__all__ = [
    "dropout_forward",
    "dropout_backward",
]


def _dropout_params(dropout_param, *, layer: str):
    """Return ``(p, mode, seed)`` from ``dropout_param``, validated."""
    check_param_dict(dropout_param, "dropout_param", ("mode", "p"), layer=layer)
    mode = check_choice(dropout_param["mode"], "dropout_param['mode']", ("train", "test"), layer=layer)
    p = check_real(dropout_param["p"], "dropout_param['p'] (keep probability)", low=0, high=1, low_open=True,
                   layer=layer)
    seed = dropout_param.get("seed")
    ok_seed = (seed is None or isinstance(seed, np.random.Generator)
               or (isinstance(seed, numbers.Integral) and not isinstance(seed, (bool, np.bool_)) and seed >= 0))
    if not ok_seed:
        raise ValueError(
            f"{layer}: dropout_param['seed'] must be None, a non-negative integer or a "
            f"numpy.random.Generator, got {seed!r}"
        )
    return p, mode, seed


def _global_generator() -> np.random.Generator:
    """A Generator over the bit generator behind NumPy's global functions.

    It draws the same float64 numbers as ``np.random.rand``, advances the
    global state and is reset by ``np.random.seed``: where a mask comes from
    when ``dropout_param`` has no seed, as in the course.
    """
    return np.random.Generator(np.random.get_bit_generator())


@promote_integer_arrays
def dropout_forward(x, dropout_param):
    """Inverted dropout, forward pass.

    Parameters
    ----------
    x : ndarray, any shape
    dropout_param : dict
        ``'mode'``: ``'train'`` or ``'test'``;
        ``'p'``: keep probability in (0, 1];
        ``'seed'`` (optional): an int, a ``numpy.random.Generator`` or None,
        passed to ``np.random.default_rng``. An int gives the same mask on
        every call with the same shape (what gradient checks need); a
        Generator gives a new mask each call, reproducibly. None (or no
        key) draws from NumPy's global generator, as the course's
        ``np.random.rand(*x.shape) < p`` does: a new mask each call,
        reproducible after ``np.random.seed``. Only None touches global state.

    Returns
    -------
    out : ndarray, same shape and dtype as x
        Train mode: ``x * mask``; test mode: a copy of x.
    cache : tuple
        ``(dropout_param, mask)`` where ``mask`` (shape of x, dtype of x)
        holds ``1/p`` for kept units and 0 for dropped ones; ``None`` in test mode.

    Raises
    ------
    ValueError
        If x is not floating point, ``mode`` is unknown, ``p`` is not in
        (0, 1] or ``seed`` is not an accepted type.
    """
    layer = "dropout_forward"
    check_array(x, "x", layer=layer)
    p, mode, seed = _dropout_params(dropout_param, layer=layer)
    rng = _global_generator() if seed is None else np.random.default_rng(seed)
    out = mask = None
    ### BEGIN SOLUTION
    if mode == "train":
        # Uniforms in [0, 1) are < p with probability p; p = 1 keeps everything.
        mask = (rng.random(x.shape, dtype=x.dtype) < p).astype(x.dtype) / p
        out = x * mask
    else:
        out = x.copy()
    ### END SOLUTION
    cache = (dropout_param, mask)
    return out, cache


@promote_integer_arrays
def dropout_backward(dout, cache):
    """Inverted dropout, backward pass.

    Parameters
    ----------
    dout : ndarray, any shape
        Upstream gradient, shape of x.
    cache : tuple
        ``(dropout_param, mask)`` from :func:`dropout_forward`.

    Returns
    -------
    dx : ndarray, same shape and dtype as dout
        Train mode: ``dout * mask`` (the same mask as the forward pass);
        test mode: a copy of ``dout``.
    """
    layer = "dropout_backward"
    dropout_param, mask = cache
    p, mode, _ = _dropout_params(dropout_param, layer=layer)
    check_array(dout, "dout", layer=layer)
    if (mode == "train") != (mask is not None):
        raise ValueError(
            f"{layer}: dropout_param['mode'] is {mode!r} but the forward pass ran in "
            f"{'test' if mask is None else 'train'} mode; do not change the mode between forward and backward"
        )
    if mode == "train":
        check_array(mask, "mask (cache)", layer=layer, shape=dout.shape)
        check_same_dtype(layer, mask=mask, dout=dout)
    dx = None
    ### BEGIN SOLUTION
    if mode == "train":
        dx = dout * mask
    else:
        dx = dout.copy()
    ### END SOLUTION
    return dx
