"""``cs231n.im2col``: the fancy-index im2col helpers, in the course's layout.

Columns are ordered position-major, then image; :mod:`cs231n_cnn.im2col`
(used by the fast layers) orders them image-major. See
:mod:`cs231n_cnn.im2col_indices`.
"""

from ..im2col_indices import col2im_indices, get_im2col_indices, im2col_indices

__all__ = ["get_im2col_indices", "im2col_indices", "col2im_indices"]
