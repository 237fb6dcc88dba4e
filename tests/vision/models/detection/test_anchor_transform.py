"""AnchorGenerator, ImageList and GeneralizedRCNNTransform against hand-computed values."""

import math

import numpy as np
import pytest

import ember
from embervision.models.detection import AnchorGenerator, GeneralizedRCNNTransform, ImageList
from embervision.models.detection.transform import resize_boxes, resize_keypoints


def _cell(size, ratio):
    h = size * math.sqrt(ratio)
    w = size / math.sqrt(ratio)
    return [float(round(v)) for v in (-w / 2, -h / 2, w / 2, h / 2)]


def test_cell_anchors_hand_values():
    g = AnchorGenerator(((32, 64),), ((0.5, 1.0, 2.0),))
    expected = [_cell(s, r) for r in (0.5, 1.0, 2.0) for s in (32, 64)]
    assert g.cell_anchors[0].tolist() == expected
    assert expected[0] == [-23.0, -11.0, 23.0, 11.0]
    assert g.num_anchors_per_location() == [6]


def test_anchor_generator_shorthand_arguments():
    g = AnchorGenerator((16, 32), (1.0,))
    assert g.sizes == ((16,), (32,)) and g.aspect_ratios == ((1.0,), (1.0,))
    assert g.num_anchors_per_location() == [1, 1]


def test_grid_anchors_over_levels():
    g = AnchorGenerator(((32,), (64,)), ((0.5, 1.0, 2.0),) * 2)
    images = ImageList(ember.zeros(2, 3, 64, 64), [(64, 60), (50, 64)])
    feats = [ember.zeros(2, 4, 2, 2), ember.zeros(2, 4, 1, 1)]
    anchors = g(images, feats)
    assert len(anchors) == 2 and anchors[0].shape == (2 * 2 * 3 + 1 * 1 * 3, 4)
    expected = []
    for y in (0, 32):  # stride 64 // 2, locations row-major
        for x in (0, 32):
            for r in (0.5, 1.0, 2.0):
                c = _cell(32, r)
                expected.append([c[0] + x, c[1] + y, c[2] + x, c[3] + y])
    expected += [_cell(64, r) for r in (0.5, 1.0, 2.0)]
    assert anchors[0].tolist() == expected
    assert anchors[1].tolist() == expected
    assert anchors[0].dtype == ember.float32


def test_anchor_generator_level_mismatch():
    g = AnchorGenerator(((32,),), ((1.0,),))
    with pytest.raises(ValueError, match="number of feature maps"):
        g(ImageList(ember.zeros(1, 3, 32, 32), [(32, 32)]), [ember.zeros(1, 1, 2, 2)] * 2)


def _transform(**kw):
    args = dict(min_size=128, max_size=200, image_mean=[0.5, 0.25, 0.0],
                image_std=[0.5, 0.25, 2.0])
    args.update(kw)
    return GeneralizedRCNNTransform(**args)


def test_transform_resize_and_pad_sizes():
    t = _transform().eval()
    images = [ember.rand(3, 100, 120), ember.rand(3, 50, 200)]
    il, targets = t(images)
    assert targets is None
    # scale min(128 / 100, 200 / 120) = 1.28 -> floor(100 * 1.28), floor(120 * 1.28)
    # scale min(128 / 50, 200 / 200) = 1.0 -> unchanged
    assert il.image_sizes == [(128, 153), (50, 200)]
    assert tuple(il.tensors.shape) == (2, 3, 128, 224)  # max, rounded up to multiples of 32
    assert il.tensors[1, :, 50:, :].abs().sum().item() == 0
    assert il.tensors[0, :, :, 153:].abs().sum().item() == 0


def test_transform_normalize_values():
    t = _transform(min_size=4, max_size=4, size_divisible=1).eval()
    img = ember.full((3, 4, 4), 0.75)
    il, _ = t([img])
    np.testing.assert_allclose(il.tensors[0, :, 0, 0].numpy(),
                               [(0.75 - 0.5) / 0.5, (0.75 - 0.25) / 0.25, 0.75 / 2.0], rtol=1e-6)


def test_transform_rescales_target_boxes():
    t = _transform().train()
    target = {"boxes": ember.tensor([[10.0, 20.0, 60.0, 80.0]]), "labels": ember.tensor([1])}
    il, targets = t([ember.rand(3, 100, 120)], [target])
    rw, rh = 153 / 120, 128 / 100
    np.testing.assert_allclose(targets[0]["boxes"].numpy(),
                               [[10 * rw, 20 * rh, 60 * rw, 80 * rh]], rtol=1e-6)
    assert target["boxes"].tolist() == [[10.0, 20.0, 60.0, 80.0]]  # the input is not modified
    assert targets[0]["labels"] is target["labels"]


def test_transform_min_size_choice_in_training():
    ember.manual_seed(0)
    t = _transform(min_size=(64, 96), max_size=1000).train()
    sizes = {t([ember.rand(3, 32, 32)])[0].image_sizes[0] for _ in range(12)}
    assert sizes == {(64, 64), (96, 96)}
    assert t.eval()([ember.rand(3, 32, 32)])[0].image_sizes == [(96, 96)]


def test_transform_fixed_size():
    t = _transform(fixed_size=(40, 24), size_divisible=8).eval()  # (width, height)
    il, _ = t([ember.rand(3, 100, 120)])
    assert il.image_sizes == [(24, 40)]


def test_transform_postprocess_maps_back():
    t = _transform().eval()
    result = [{"boxes": ember.tensor([[12.75, 25.6, 76.5, 102.4]])}]
    out = t.postprocess(result, [(128, 153)], [(100, 120)])
    rw, rh = np.float32(120) / np.float32(153), np.float32(100) / np.float32(128)
    np.testing.assert_allclose(out[0]["boxes"].numpy(),
                               [[12.75 * rw, 25.6 * rh, 76.5 * rw, 102.4 * rh]], rtol=1e-6)
    t.train()
    same = [{"boxes": ember.ones(1, 4)}]
    assert t.postprocess(same, [(1, 1)], [(2, 2)]) is same


def test_resize_helpers():
    assert resize_boxes(ember.tensor([[1.0, 2.0, 3.0, 4.0]]), (10, 20), (20, 10)).tolist() == \
        [[0.5, 4.0, 1.5, 8.0]]
    assert resize_keypoints(ember.tensor([[[1.0, 2.0, 1.0]]]), (10, 10), (20, 30)).tolist() == \
        [[[3.0, 4.0, 1.0]]]


def test_transform_errors():
    t = _transform()
    with pytest.raises(ValueError, match="list of 3d tensors"):
        t([ember.rand(1, 3, 10, 10)])
    with pytest.raises(TypeError, match="floating type"):
        t([ember.zeros(3, 10, 10, dtype=ember.uint8)])
    with pytest.raises(TypeError, match="unexpected keyword"):
        _transform(bogus=1)


def test_image_list_to():
    il = ImageList(ember.zeros(1, 3, 4, 4), [(3, 4)])
    moved = il.to("cpu")
    assert moved.image_sizes == [(3, 4)] and moved.tensors.shape == (1, 3, 4, 4)


def test_transform_repr():
    assert "Resize(min_size=(128,), max_size=200, mode='bilinear')" in repr(_transform())
