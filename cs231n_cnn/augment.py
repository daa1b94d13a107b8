"""Data augmentation for training minibatches: random flips and crops.

Each function takes a minibatch ``X`` of shape (N, C, H, W) and a
``np.random.Generator`` and returns a new array of the same shape and dtype
(the input is never modified). The Solver calls them with its own generator,
so augmented runs stay reproducible and resume exactly from checkpoints.
"""

from __future__ import annotations

import numpy as np

from .shapes import check_array, check_int

__all__ = ["random_flip", "random_crop", "flip_and_crop", "AUGMENTATIONS", "get_augmentation"]


def random_flip(X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Mirror each image left-right with probability 1/2.

    X : (N, C, H, W) -> (N, C, H, W). A horizontal flip keeps the class of a
    natural image (a cat facing left is still a cat), so it doubles the
    variety of the training set for free.
    """
    check_array(X, "X", 4, layer="random_flip")
    flip = rng.random(X.shape[0]) < 0.5
    out = X.copy()
    out[flip] = X[flip, :, :, ::-1]
    return out


def random_crop(X: np.ndarray, rng: np.random.Generator, pad: int = 4) -> np.ndarray:
    """Shift each image by up to ``pad`` pixels, filling with zeros.

    Equivalent to zero-padding by ``pad`` on each side and taking a random
    H x W crop. On mean-subtracted data zero is the mean pixel.

    X : (N, C, H, W) -> (N, C, H, W).
    """
    check_array(X, "X", 4, layer="random_crop")
    pad = check_int(pad, "pad", minimum=0, layer="random_crop")
    N, C, H, W = X.shape
    if pad == 0:
        return X.copy()
    padded = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=X.dtype)
    padded[:, :, pad:pad + H, pad:pad + W] = X
    dy = rng.integers(0, 2 * pad + 1, size=N)
    dx = rng.integers(0, 2 * pad + 1, size=N)
    out = np.empty_like(X)
    # One slice per image: N is a minibatch, and a gather over all pixels would cost more.
    for n in range(N):
        out[n] = padded[n, :, dy[n]:dy[n] + H, dx[n]:dx[n] + W]
    return out


def flip_and_crop(X: np.ndarray, rng: np.random.Generator, pad: int = 4) -> np.ndarray:
    """:func:`random_crop` then :func:`random_flip`: the usual CIFAR-10 augmentation."""
    return random_flip(random_crop(X, rng, pad), rng)


AUGMENTATIONS = {
    "none": None,
    "flip": random_flip,
    "crop": random_crop,
    "flip-crop": flip_and_crop,
}


def get_augmentation(name):
    """Look up an augmentation by name (or pass a callable through)."""
    if name is None or callable(name):
        return name
    if name not in AUGMENTATIONS:
        raise ValueError(f"unknown augmentation {name!r}; choose one of {', '.join(AUGMENTATIONS)}")
    return AUGMENTATIONS[name]
