"""``cs231n.classifiers.cnn``: the three-layer ConvNet."""

from ...models import ThreeLayerConvNet

__all__ = ["ThreeLayerConvNet"]
