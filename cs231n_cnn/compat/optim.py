"""``cs231n.optim``: the course's update rules ``w, config = rule(w, dw, config)``."""

from ..optim import adam, rmsprop, sgd, sgd_momentum

__all__ = ["sgd", "sgd_momentum", "rmsprop", "adam"]
