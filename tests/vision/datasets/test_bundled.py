"""Digits (bundled real data) and FakeData."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import ember
from embervision.datasets import Digits, FakeData

NPZ = Path(__file__).resolve().parents[3] / "examples" / "data" / "digits.npz"


def test_digits_splits_and_pixels_match_the_source_file():
    with np.load(NPZ) as z:
        images, target = z["images"], z["target"]
    train, test = Digits(), Digits(train=False)
    assert len(train) == 1437 and len(test) == 360
    assert train.data.shape == (1437, 8, 8) and train.data.dtype == ember.uint8
    assert test.targets.dtype == ember.int64
    np.testing.assert_array_equal(test.targets.numpy(), target[1437:])
    img, label = test[5]
    assert img.mode == "L" and img.size == (8, 8) and label == int(target[1437 + 5])
    expected = np.floor(images[1437 + 5].astype(np.float64) * 255 / 16 + 0.5)
    np.testing.assert_array_equal(np.asarray(img), expected)
    assert Digits.classes[3] == "3 - three" and train.class_to_idx["9 - nine"] == 9


def test_digits_transforms():
    ds = Digits(train=False, transform=lambda im: np.asarray(im).sum(),
                target_transform=lambda t: -t)
    x, y = ds[0]
    assert y == -int(ds.targets[0]) and x == int(ds.data[0].numpy().astype(np.int64).sum())


def test_fakedata_is_reproducible_per_index():
    ds = FakeData(size=5, image_size=(3, 6, 7), num_classes=4)
    a, b = ds[2], ds[2]
    assert np.array_equal(np.asarray(a[0]), np.asarray(b[0])) and a[1] == b[1]
    assert a[0].size == (7, 6) and a[0].mode == "RGB" and 0 <= a[1] < 4
    assert not np.array_equal(np.asarray(ds[1][0]), np.asarray(a[0]))
    assert len(ds) == 5
    with pytest.raises(IndexError, match="out of range"):
        ds[5]
