"""``cs231n.im2col``: im2col by fancy indexing, the classic three index arrays ``(k, i, j)``.

The course's ``cs231n/im2col.py`` builds the columns of an input with one
NumPy fancy-indexing expression, ``x_padded[:, k, i, j]``, where ``k``, ``i``
and ``j`` say, for every row (element of a receptive field) and every column
(output position), which channel, row and column of the padded input to
read. It is worth reading beside :mod:`cs231n_cnn.im2col`, which copies one
strided slice per kernel offset instead: same numbers, different layout and
a different cost (fancy indexing gathers element by element and ``np.add.at``
is unbuffered, so these are several times slower than ours).

This module follows the course's argument order and column layout:

``cols`` has shape ``(C*fh*fw, out_h*out_w*N)``.

* Row ``r = (c*fh + a)*fw + b`` is channel ``c``, offset ``(a, b)`` in the
  window: channel-major, the same rows as :func:`cs231n_cnn.im2col.im2col`
  and as ``w.reshape(F, -1)``.
* Column ``q = (y*out_w + x)*N + n`` is output position ``(y, x)`` of image
  ``n``: position-major, image fastest. :func:`cs231n_cnn.im2col.im2col` orders
  its columns the other way, ``(n*out_h + y)*out_w + x``, so::

      im2col_indices(x, fh, fw, P, S)
          == im2col(x, fh, fw, S, P).reshape(K, N, L).transpose(0, 2, 1).reshape(K, L*N)

  with ``K = C*fh*fw`` and ``L = out_h*out_w``. (Note the argument orders:
  ``padding`` before ``stride`` here, as in the course; ``stride`` first there.)

Sizes are validated by :func:`cs231n_cnn.shapes.output_size`: where the
course asserts ``(H + 2P - fh) % S == 0`` (and, by a slip, compares the
width with ``fh``), this module raises a ``ValueError`` that shows the formula
with the numbers.

Notes
-----
The index construction is the course's (CS231n ``im2col.py``, after
Andrej Karpathy's); numpy-ml's ``_im2col_indices`` documents the same
arrays. Written here from that specification.
"""

from __future__ import annotations

import numpy as np

from ..shapes import check_array, output_size

__all__ = ["get_im2col_indices", "im2col_indices", "col2im_indices"]


def _output_hw(x_shape, field_height: int, field_width: int, padding: int, stride: int,
               layer: str) -> tuple[int, int, int, int, int, int]:
    x_shape = tuple(int(s) for s in x_shape)
    if len(x_shape) != 4:
        raise ValueError(f"{layer}: x_shape must be (N, C, H, W), got {x_shape}")
    N, C, H, W = x_shape
    out_h = output_size(H, field_height, stride, padding, axis="height", layer=layer)
    out_w = output_size(W, field_width, stride, padding, axis="width", layer=layer)
    return N, C, H, W, out_h, out_w


def get_im2col_indices(x_shape, field_height, field_width, padding=1, stride=1):
    """Index arrays that gather the receptive fields of a padded input.

    Parameters
    ----------
    x_shape : tuple (N, C, H, W)
        Shape of the unpadded input.
    field_height, field_width : int
        Window size ``fh``, ``fw``.
    padding, stride : int
        Zero padding P on each side and stride S.

    Returns
    -------
    k : ndarray of int, shape (C*fh*fw, 1)
        Channel of each row.
    i : ndarray of int, shape (C*fh*fw, out_h*out_w)
        Row of the padded input read by each (row, position).
    j : ndarray of int, shape (C*fh*fw, out_h*out_w)
        Column of the padded input read by each (row, position).

    ``x_padded[n, k, i, j]`` (broadcast to (C*fh*fw, out_h*out_w)) is then
    the column block of image n, with ``out_h = (H - fh + 2P)/S + 1`` and
    likewise ``out_w``.

    Raises
    ------
    ValueError
        If the windows do not tile the padded input (the message shows the formula).
    """
    _, C, _, _, out_h, out_w = _output_hw(x_shape, field_height, field_width, padding, stride,
                                          "get_im2col_indices")
    fh, fw = int(field_height), int(field_width)
    # Offsets inside the window, one per row r = (c*fh + a)*fw + b:
    i0 = np.tile(np.repeat(np.arange(fh), fw), C)          # (C*fh*fw,)  a
    j0 = np.tile(np.arange(fw), fh * C)                    # (C*fh*fw,)  b
    # Top-left corner of each window, one per position p = y*out_w + x:
    i1 = stride * np.repeat(np.arange(out_h), out_w)       # (out_h*out_w,)  y*S
    j1 = stride * np.tile(np.arange(out_w), out_h)         # (out_h*out_w,)  x*S
    i = i0[:, None] + i1[None, :]                          # (C*fh*fw, out_h*out_w)  y*S + a
    j = j0[:, None] + j1[None, :]                          # (C*fh*fw, out_h*out_w)  x*S + b
    k = np.repeat(np.arange(C), fh * fw)[:, None]          # (C*fh*fw, 1)  c
    return k, i, j


def im2col_indices(x, field_height, field_width, padding=1, stride=1):
    """Columns of ``x`` by fancy indexing, in the course's layout.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W), float
    field_height, field_width, padding, stride : int
        As for :func:`get_im2col_indices`.

    Returns
    -------
    cols : ndarray, shape (C*fh*fw, out_h*out_w*N), dtype of x
        Row ``(c*fh + a)*fw + b``, column ``(y*out_w + x)*N + n`` holds
        ``x_padded[n, c, y*S + a, x*S + b]`` (see the module docstring).
    """
    check_array(x, "x", 4, layer="im2col_indices")
    k, i, j = get_im2col_indices(x.shape, field_height, field_width, padding, stride)
    p = padding
    x_padded = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), mode="constant")
    cols = x_padded[:, k, i, j]                 # (N, C*fh*fw, out_h*out_w)
    # (C*fh*fw, out_h*out_w, N): position-major, image fastest
    return cols.transpose(1, 2, 0).reshape(k.shape[0], -1)


def col2im_indices(cols, x_shape, field_height=3, field_width=3, padding=1, stride=1):
    """Adjoint of :func:`im2col_indices`: add every column entry back where it came from.

    Parameters
    ----------
    cols : ndarray, shape (C*fh*fw, out_h*out_w*N), float
        Columns in the layout of :func:`im2col_indices`.
    x_shape : tuple (N, C, H, W)
        Shape of the unpadded input.
    field_height, field_width, padding, stride : int
        As for :func:`get_im2col_indices` (defaults are the course's: 3x3, P=1, S=1).

    Returns
    -------
    x : ndarray, shape (N, C, H, W), dtype of cols
        Entries that overlapping windows read several times receive the sum
        of their column entries; entries that fell in the padding are
        dropped. For all x and c, ``<im2col_indices(x), c> == <x, col2im_indices(c)>``.

    Notes
    -----
    ``np.add.at`` is needed rather than ``x_padded[:, k, i, j] += ...``:
    with overlapping windows the same index appears several times, and
    buffered fancy-index assignment would keep only one of the additions.
    """
    check_array(cols, "cols", 2, layer="col2im_indices")
    N, C, H, W, out_h, out_w = _output_hw(x_shape, field_height, field_width, padding, stride,
                                          "col2im_indices")
    K, L = C * int(field_height) * int(field_width), out_h * out_w
    if cols.shape != (K, L * N):
        raise ValueError(
            f"col2im_indices: cols must have shape (C*fh*fw, out_h*out_w*N) = ({K}, {L * N}) for "
            f"x_shape {(N, C, H, W)}, fh={field_height}, fw={field_width}, P={padding}, S={stride}; "
            f"got {cols.shape}")
    k, i, j = get_im2col_indices((N, C, H, W), field_height, field_width, padding, stride)
    x_padded = np.zeros((N, C, H + 2 * padding, W + 2 * padding), dtype=cols.dtype)
    per_image = cols.reshape(K, L, N).transpose(2, 0, 1)    # (N, C*fh*fw, out_h*out_w)
    np.add.at(x_padded, (slice(None), k, i, j), per_image)
    if padding == 0:
        return x_padded
    return x_padded[:, :, padding:-padding, padding:-padding]
