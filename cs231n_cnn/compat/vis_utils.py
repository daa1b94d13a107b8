"""``cs231n.vis_utils``: image grids for filters and nearest neighbours."""

from ..vis import vis_grid, vis_nn, visualize_grid

__all__ = ["visualize_grid", "vis_grid", "vis_nn"]
