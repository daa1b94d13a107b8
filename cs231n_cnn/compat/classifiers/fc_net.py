"""``cs231n.classifiers.fc_net``: the fully connected net with optional batch/layer norm and dropout."""

from ...models import FullyConnectedNet

__all__ = ["FullyConnectedNet"]
