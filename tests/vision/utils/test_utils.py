"""embervision.utils against hand-computed pixels."""

import doctest
import importlib

import numpy as np
import pytest
from PIL import Image

import ember
from embervision.utils import (
    draw_bounding_boxes,
    draw_keypoints,
    draw_segmentation_masks,
    make_grid,
    save_image,
)


def test_make_grid_layout_and_padding():
    x = ember.stack([ember.full((3, 2, 2), float(i + 1)) for i in range(3)])
    g = make_grid(x, nrow=2, padding=1, pad_value=9.0).numpy()
    assert g.shape == (3, 7, 7)
    ref = np.full((7, 7), 9.0)
    ref[1:3, 1:3], ref[1:3, 4:6], ref[4:6, 1:3] = 1, 2, 3
    assert np.array_equal(g[0], ref)
    assert make_grid([ember.zeros(3, 4, 4)] * 2).shape == (3, 8, 14)
    assert make_grid(ember.zeros(1, 4, 4)).shape == (3, 4, 4)
    assert make_grid(ember.zeros(4, 4)).shape == (3, 4, 4)


def test_make_grid_normalize_range_and_scale_each():
    x = ember.stack([ember.tensor([[[0.0, 2.0]]]), ember.tensor([[[2.0, 4.0]]])])
    g = make_grid(x, normalize=True, padding=0).numpy()[0]
    assert np.allclose(g, [[0.0, 0.5, 0.5, 1.0]])
    g = make_grid(x, normalize=True, scale_each=True, padding=0).numpy()[0]
    assert np.allclose(g, [[0.0, 1.0, 0.0, 1.0]])
    g = make_grid(x, normalize=True, value_range=(1.0, 3.0), padding=0).numpy()[0]
    assert np.allclose(g, [[0.0, 0.5, 0.5, 1.0]])
    with pytest.raises(TypeError, match="value_range has to be a tuple"):
        make_grid(x, normalize=True, value_range=[0, 1])
    with pytest.raises(TypeError, match="ember.Tensor"):
        make_grid(np.zeros((2, 3, 4, 4)))


def test_save_image_rounds_to_uint8(tmp_path):
    x = ember.tensor([[[0.0, 0.5, 1.0]]]).expand(3, 1, 3)
    p = tmp_path / "x.png"
    save_image(x, str(p))
    assert np.asarray(Image.open(p))[0, :, 0].tolist() == [0, 128, 255]


def test_draw_bounding_boxes_outline_fill_and_gray():
    img = ember.zeros(3, 6, 6, dtype=ember.uint8)
    out = draw_bounding_boxes(img, ember.tensor([[1, 1, 4, 4]]), colors=(10, 20, 30)).numpy()
    border = np.zeros((6, 6), bool)
    border[1:5, 1:5] = True
    border[2:4, 2:4] = False
    assert np.array_equal(out[0] == 10, border) and (out[1][border] == 20).all()
    assert float(img.sum()) == 0
    filled = draw_bounding_boxes(img, ember.tensor([[1, 1, 4, 4]]), colors="red",
                                 fill=True).numpy()
    assert filled[0, 2, 2] == round(255 * 100 / 255) and filled[0, 1, 1] == 255
    gray = draw_bounding_boxes(ember.zeros(1, 6, 6, dtype=ember.uint8),
                               ember.tensor([[0, 0, 5, 5]]), colors="white")
    assert gray.shape == (3, 6, 6)
    f = draw_bounding_boxes(ember.zeros(3, 6, 6), ember.tensor([[0, 0, 5, 5]]), colors="white")
    assert f.dtype == ember.float32 and float(f.max()) == 1.0
    lab = draw_bounding_boxes(ember.zeros(3, 30, 60, dtype=ember.uint8),
                              ember.tensor([[0, 0, 59, 29]]), labels=["cat"], colors="white")
    assert int((lab.numpy() > 0).sum()) > 3 * (2 * 60 + 2 * 30 - 4)


def test_draw_bounding_boxes_errors():
    img = ember.zeros(3, 6, 6, dtype=ember.uint8)
    with pytest.raises(ValueError, match=r"\(xmin, ymin, xmax, ymax\)"):
        draw_bounding_boxes(img, ember.tensor([[4, 1, 1, 4]]))
    with pytest.raises(ValueError, match="individual images"):
        draw_bounding_boxes(ember.zeros(1, 3, 6, 6, dtype=ember.uint8), ember.zeros(0, 4))
    with pytest.raises(ValueError, match="dtype must be uint8 or float"):
        draw_bounding_boxes(img.to(ember.int32), ember.tensor([[0, 0, 1, 1]]))
    with pytest.raises(ValueError, match="Number of boxes"):
        draw_bounding_boxes(img, ember.tensor([[0, 0, 1, 1]]), labels=["a", "b"])
    with pytest.raises(ValueError, match="Number of colors"):
        draw_bounding_boxes(img, ember.tensor([[0, 0, 1, 1], [0, 0, 2, 2]]), colors=["red"])
    with pytest.warns(UserWarning, match="No box was drawn"):
        assert draw_bounding_boxes(img, ember.zeros(0, 4)) is img


def test_draw_segmentation_masks_blend_and_overlap():
    img = ember.full((3, 2, 2), 100, dtype=ember.uint8)
    m = ember.tensor([[[True, True], [False, False]], [[False, True], [False, False]]])
    out = draw_segmentation_masks(img, m, alpha=0.5, colors=["red", "blue"]).numpy()
    assert out[:, 0, 0].tolist() == [177, 50, 50]  # 0.5 * 100 + 0.5 * (255, 0, 0)
    assert out[:, 0, 1].tolist() == [50, 50, 50]  # two masks overlap: painted black
    assert out[:, 1, 0].tolist() == [100, 100, 100]
    f = draw_segmentation_masks(ember.zeros(3, 2, 2), m[0], alpha=1.0, colors="red")
    assert f[:, 0, 0].tolist() == [1.0, 0.0, 0.0]
    with pytest.raises(ValueError, match="dtype bool"):
        draw_segmentation_masks(img, m.to(ember.uint8))
    with pytest.raises(ValueError, match="same height and width"):
        draw_segmentation_masks(img, ember.zeros(1, 3, 3, dtype=ember.bool))
    with pytest.raises(ValueError, match="RGB image"):
        draw_segmentation_masks(ember.zeros(1, 2, 2), m)


def test_draw_keypoints_circles_lines_and_visibility():
    img = ember.zeros(3, 11, 11, dtype=ember.uint8)
    kp = ember.tensor([[[2.0, 2.0], [8.0, 8.0]]])
    out = draw_keypoints(img, kp, colors="white", radius=1).numpy()
    assert out[0, 2, 2] == 255 and out[0, 8, 8] == 255 and out[0, 5, 5] == 0
    line = draw_keypoints(img, kp, connectivity=[(0, 1)], colors="white", radius=1,
                          width=1).numpy()
    assert line[0, 5, 5] == 255
    hidden = draw_keypoints(img, kp, colors="white", radius=1,
                            visibility=ember.tensor([[True, False]])).numpy()
    assert hidden[0, 2, 2] == 255 and hidden[0, 8, 8] == 0
    with pytest.raises(ValueError, match=r"\(num_instances, K, 2\)"):
        draw_keypoints(img, ember.zeros(2, 2))
    with pytest.raises(ValueError, match="same dimensionality"):
        draw_keypoints(img, kp, visibility=ember.ones(1, 3, dtype=ember.bool))


@pytest.mark.parametrize("module", [
    "embervision.utils", "embervision.tv_tensors", "embervision.io._image",
    "embervision.transforms.functional", "embervision.transforms._transforms_base",
    "embervision.transforms._conversion"])
def test_docstring_examples_run(module):
    mod = importlib.import_module(module)
    failures, _ = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert failures == 0
