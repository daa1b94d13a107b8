"""``cs231n.solver``: the Solver (same options and histories as the course's; see :mod:`cs231n_cnn.solver`)."""

from ..solver import Solver

__all__ = ["Solver"]
