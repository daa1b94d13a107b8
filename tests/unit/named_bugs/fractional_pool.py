"""Fractional max pooling (checks/pool.py, fractional_max_pool): mistakes in cs231n_cnn/layers/fractional_pool.py.

Sources: the mistakes of max pooling carried over (the tie rule, the region's
first entry for its maximum) and the ones the regions of 1 or 2 rows and
columns invite (every region taken as 2x2, its second row forgotten, a region
one entry wide visited twice).
"""

from . import Bug, Edit

M = "cs231n_cnn.layers.fractional_pool"
F, B = "fractional_max_pool_forward", "fractional_max_pool_backward"
CORNERS = "((top, right), (bottom, left), (bottom, right))"
ORDER = "corners = ((top, left), (top, right), (bottom, left), (bottom, right))"
HIT = "hit = pending & (x[:, :, r[:, None], c] == out)"


BUGS = [
    Bug("fracpool-first-row-only", "fractional_max_pool",
        (Edit(M, F, f"for r, c in {CORNERS}:", "for r, c in ((top, right),):"),),
        "fractional_max_pool: [7x9 -> 4x6, regions 1 or 2 rows high and 1 or 2 columns wide] out: only the "
        "first row of each region is used",
        why="forgot that a region can be 2 rows high"),
    Bug("fracpool-always-2x2", "fractional_max_pool",
        (Edit(M, F, "top, bottom = rows[:-1], rows[1:] - 1",
              "top, bottom = rows[:-1], np.minimum(rows[:-1] + 1, rows[-1] - 1)"),
         Edit(M, F, "left, right = cols[:-1], cols[1:] - 1",
              "left, right = cols[:-1], np.minimum(cols[:-1] + 1, cols[-1] - 1)")),
        "out: every region is taken as 2 rows by 2 columns",
        why="fixed 2x2 windows at the region starts"),
    Bug("fracpool-back-last-max", "fractional_max_pool",
        (Edit(M, B, ORDER, "corners = ((bottom, right), (bottom, left), (top, right), (top, left))"),),
        "the LAST maximum of a region in row-major order gets its gradient",
        why="corners visited from the bottom-right"),
    Bug("fracpool-back-no-pending", "fractional_max_pool",
        (Edit(M, B, HIT, "hit = x[:, :, r[:, None], c] == out"),),
        "each corner of a region that equals its maximum gets dout, even the same entry twice",
        why="no mask of the regions already routed"),
    Bug("fracpool-back-first-entry", "fractional_max_pool",
        (Edit(M, B, HIT, "hit = pending"),),
        "the region's first entry x[rows[i], cols[j]] gets dout, whatever the maximum",
        why="the comparison with the maximum left out"),
]
