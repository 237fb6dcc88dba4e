"""ImageFolder / DatasetFolder / VisionDataset against trees of real image files."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image

from embervision.datasets import (
    DatasetFolder,
    ImageFolder,
    VisionDataset,
    find_classes,
    has_file_allowed_extension,
    make_dataset,
)


def _png(path, value):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.fromarray(np.full((4, 5, 3), value, np.uint8)).save(path)


@pytest.fixture
def tree(tmp_path):
    _png(tmp_path / "dog" / "b.png", 10)
    _png(tmp_path / "dog" / "a.PNG", 20)
    _png(tmp_path / "dog" / "sub" / "c.png", 30)
    _png(tmp_path / "cat" / "x.jpg", 40)
    (tmp_path / "cat" / "notes.txt").write_text("not an image")
    _png(tmp_path / ".ipynb_checkpoints" / "y.png", 50)  # hidden: never a class
    _png(tmp_path / "cat" / ".hidden" / "z.png", 60)  # hidden folder inside a class: skipped
    return tmp_path


def test_classes_samples_targets(tree):
    ds = ImageFolder(tree)
    assert ds.classes == ["cat", "dog"]
    assert ds.class_to_idx == {"cat": 0, "dog": 1}
    rel = [(os.path.relpath(p, tree), t) for p, t in ds.samples]
    assert rel == [("cat/x.jpg", 0), ("dog/a.PNG", 1), ("dog/b.png", 1),
                   (os.path.join("dog", "sub", "c.png"), 1)]
    assert ds.targets == [0, 1, 1, 1] and ds.imgs == ds.samples and len(ds) == 4


def test_getitem_loads_rgb_and_applies_transforms(tree):
    ds = ImageFolder(tree, transform=lambda im: np.asarray(im)[0, 0, 0],
                     target_transform=lambda t: t * 10)
    # x.jpg is lossy; the PNGs are exact
    assert ds[1] == (20, 10) and ds[2] == (10, 10) and ds[3] == (30, 10)
    img, _ = ImageFolder(tree)[0]
    assert img.mode == "RGB" and img.size == (5, 4)


def test_find_classes_errors(tmp_path):
    (tmp_path / ".git").mkdir()
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder"):
        find_classes(tmp_path)


def test_empty_class_raises_unless_allowed(tree):
    (tree / "eel").mkdir()
    with pytest.raises(FileNotFoundError, match="no valid file for the classes eel"):
        ImageFolder(tree)
    ds = ImageFolder(tree, allow_empty=True)
    assert ds.classes == ["cat", "dog", "eel"] and len(ds) == 4


def test_make_dataset_arguments(tree):
    with pytest.raises(ValueError, match="Both extensions and is_valid_file"):
        make_dataset(tree, {"cat": 0}, extensions=(".png",), is_valid_file=lambda p: True)
    with pytest.raises(ValueError, match="Both extensions and is_valid_file"):
        make_dataset(tree, {"cat": 0})
    with pytest.raises(ValueError, match="at least one entry"):
        make_dataset(tree, {}, extensions=".png")
    got = make_dataset(tree, {"cat": 0}, is_valid_file=lambda p: p.endswith(".txt"))
    assert [os.path.basename(p) for p, _ in got] == ["notes.txt"]


def test_dataset_folder_custom_loader(tree):
    ds = DatasetFolder(tree, loader=lambda p: os.path.getsize(p), extensions=(".txt",),
                       allow_empty=True)
    assert len(ds) == 1 and ds[0] == (len("not an image"), 0)


def test_extension_helper():
    assert has_file_allowed_extension("A.JPEG", (".jpeg",))
    assert not has_file_allowed_extension("a.jpeg.txt", (".jpeg",))


def test_vision_dataset_transform_arguments_are_exclusive():
    with pytest.raises(ValueError, match="Only transforms or transform/target_transform"):
        VisionDataset(transforms=lambda x, y: (x, y), transform=str)


def test_repr(tree):
    text = repr(ImageFolder(str(tree), transform=None))
    assert text.splitlines() == ["Dataset ImageFolder", "    Number of datapoints: 4",
                                 f"    Root location: {tree}"]
