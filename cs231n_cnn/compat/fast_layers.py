"""``cs231n.fast_layers``: the course's fast-layer names, as aliases of this package's fast paths.

CS231n's ``cs231n/fast_layers.py`` offers several implementations of the same
two layers: a convolution through Cython im2col (``conv_forward_im2col``) or
through ``as_strided`` windows (``conv_forward_strides``), and max pooling
through a reshape (``max_pool_forward_reshape``, square tiling windows only)
or through im2col (``max_pool_forward_im2col``). Each computes exactly the
same function as the naive layer; they differ only in how fast they are.

This package has one fast path per layer, in :mod:`cs231n_cnn.layers`:

* :func:`~cs231n_cnn.layers.conv_forward_fast` /
  :func:`~cs231n_cnn.layers.conv_backward_fast` (im2col columns built by
  strided copies, one matrix multiply);
* :func:`~cs231n_cnn.layers.max_pool_forward_fast` /
  :func:`~cs231n_cnn.layers.max_pool_backward_fast` (elementwise maxima over
  the window's strided views, any window and stride).

Every course name below is the *same function object* as ours, so code and
notebooks written against the course's module run unchanged, and a cache
from any forward alias can be passed to any matching backward alias.

Differences from the course, all in what is accepted, never in the maths:

* The reshape pooling of the course asserts ``pool_height == pool_width ==
  stride`` and that the window tiles the input; the alias accepts every
  window that :func:`~cs231n_cnn.shapes.pool_output_shape` accepts (a
  superset), and gives the same output on the course's cases.
* Ties in a max-pooling window: the course's reshape backward splits the
  gradient evenly among the tied maxima; ours (like the course's naive and
  im2col versions) routes it all to the first maximum in row-major window
  order. Both are valid subgradients; they agree wherever the maximum is
  unique, which is the only place the gradient is defined.
* Caches differ from the course's (ours hold the columns, theirs the Cython
  buffers); they are opaque in both APIs.
"""

from __future__ import annotations

from ..layers.conv import conv_backward_fast, conv_forward_fast
from ..layers.pool import max_pool_backward_fast, max_pool_forward_fast

__all__ = [
    "conv_forward_fast",
    "conv_backward_fast",
    "conv_forward_im2col",
    "conv_backward_im2col",
    "conv_forward_strides",
    "conv_backward_strides",
    "max_pool_forward_fast",
    "max_pool_backward_fast",
    "max_pool_forward_reshape",
    "max_pool_backward_reshape",
    "max_pool_forward_im2col",
    "max_pool_backward_im2col",
]

#: The course's Cython-im2col convolution; ours builds the same columns in NumPy.
#: Alias of :func:`conv_forward_fast`.
conv_forward_im2col = conv_forward_fast
#: Alias of :func:`conv_backward_fast` (the course's im2col backward).
conv_backward_im2col = conv_backward_fast
#: The course's ``as_strided`` convolution: the same product of filters and
#: windows, so the same function. Alias of :func:`conv_forward_fast`.
conv_forward_strides = conv_forward_fast
#: Alias of :func:`conv_backward_fast` (the course's strided backward).
conv_backward_strides = conv_backward_fast

#: The course's reshape pooling (square windows tiling the input only); the
#: alias accepts every window ours does. Alias of :func:`max_pool_forward_fast`.
max_pool_forward_reshape = max_pool_forward_fast
#: Alias of :func:`max_pool_backward_fast`; on ties the gradient goes to the
#: first maximum instead of being split (see the module docstring).
max_pool_backward_reshape = max_pool_backward_fast
#: The course's im2col pooling (argmax over columns: first maximum wins, as
#: here). Alias of :func:`max_pool_forward_fast`.
max_pool_forward_im2col = max_pool_forward_fast
#: Alias of :func:`max_pool_backward_fast` (the course's im2col backward).
max_pool_backward_im2col = max_pool_backward_fast
