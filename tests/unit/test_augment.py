"""Random flips and crops: each output image is a flipped/shifted copy of its input."""

from __future__ import annotations

import numpy as np
import pytest

from cs231n_cnn.augment import flip_and_crop, get_augmentation, random_crop, random_flip


def test_random_flip_flips_about_half_and_nothing_else(rng):
    X = rng.standard_normal((400, 2, 3, 5)).astype(np.float32)
    X0 = X.copy()
    out = random_flip(X, np.random.default_rng(0))
    flipped = [np.array_equal(out[n], X[n, :, :, ::-1]) for n in range(400)]
    kept = [np.array_equal(out[n], X[n]) for n in range(400)]
    assert all(f or k for f, k in zip(flipped, kept))
    assert 150 < sum(flipped) < 250
    assert out.dtype == np.float32
    np.testing.assert_array_equal(X, X0)


def test_random_crop_is_a_zero_filled_shift(rng):
    X = rng.standard_normal((50, 3, 8, 8)) + 10  # no zeros inside the images
    out = random_crop(X, np.random.default_rng(1), pad=2)
    shifts = set()
    for n in range(50):
        padded = np.pad(X[n], ((0, 0), (2, 2), (2, 2)))
        matches = [(dy, dx) for dy in range(5) for dx in range(5)
                   if np.array_equal(out[n], padded[:, dy:dy + 8, dx:dx + 8])]
        assert len(matches) == 1
        shifts.add(matches[0])
    assert len(shifts) > 10  # many different shifts drawn


def test_same_generator_state_same_batch(rng):
    X = rng.standard_normal((10, 3, 6, 6))
    a = flip_and_crop(X, np.random.default_rng(5))
    b = flip_and_crop(X, np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)
    assert np.array_equal(random_crop(X, np.random.default_rng(0), pad=0), X)


def test_lookup_and_errors():
    assert get_augmentation("flip") is random_flip and get_augmentation(None) is None
    with pytest.raises(ValueError, match=r"unknown augmentation 'rotate'; choose one of none, flip, crop, flip-crop"):
        get_augmentation("rotate")
    with pytest.raises(ValueError, match=r"pad must be >= 0"):
        random_crop(np.zeros((1, 1, 2, 2)), np.random.default_rng(0), pad=-1)
