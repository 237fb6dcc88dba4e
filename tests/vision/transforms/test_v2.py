"""v2 transforms and tv_tensors: boxes and masks move consistently with the image."""

import pickle

import numpy as np
import pytest
from PIL import Image

import ember
from embervision import tv_tensors as tv
from embervision.transforms import v2
from embervision.transforms.v2 import functional as F

H, W = 20, 30


def _sample():
    """An image with one bright rectangle, its mask and its box (XYXY, exclusive max)."""
    img = np.zeros((3, H, W), dtype=np.uint8)
    img[:, 4:10, 6:15] = 200
    mask = (img[0] > 0).astype(np.uint8)[None]
    return (tv.Image(ember.from_numpy(img)), tv.Mask(ember.from_numpy(mask)),
            tv.BoundingBoxes([[6, 4, 15, 10]], format="XYXY", canvas_size=(H, W),
                             dtype=ember.float32))


def _box_of(mask):
    ys, xs = np.nonzero(mask.numpy().reshape(mask.shape[-2:]))
    return [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]


# ------------------------------------------------------------------ tv_tensors

def test_tv_tensor_construction_and_metadata():
    img = tv.Image(ember.zeros(4, 5))
    assert img.shape == (1, 4, 5) and isinstance(img, tv.Image)
    assert tv.Image(Image.new("RGB", (5, 4))).shape == (3, 4, 5)
    assert tv.Mask(Image.new("L", (5, 4))).shape == (1, 4, 5)
    b = tv.BoundingBoxes([1, 2, 3, 4], format=tv.BoundingBoxFormat.XYWH, canvas_size=[8, 9])
    assert b.shape == (1, 4) and b.canvas_size == (8, 9) and b.format.value == "XYWH"
    assert "canvas_size=(8, 9)" in repr(b)
    assert type(b + 1) is ember.Tensor
    w = tv.wrap(ember.zeros(2, 4), like=b)
    assert isinstance(w, tv.BoundingBoxes) and w.canvas_size == (8, 9)
    c = pickle.loads(pickle.dumps(b))
    assert c.canvas_size == (8, 9) and c.tolist() == b.tolist()


def test_tv_tensor_errors():
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        tv.Image(ember.zeros(3))
    with pytest.raises(ValueError, match="at least 4 dimensions"):
        tv.Video(ember.zeros(3, 4, 5))
    with pytest.raises(ValueError, match=r"\(N, 4\)"):
        tv.BoundingBoxes(ember.zeros(2, 3), format="XYXY", canvas_size=(2, 2))
    with pytest.raises(KeyError):
        tv.BoundingBoxes(ember.zeros(1, 4), format="XXYY", canvas_size=(2, 2))


# ------------------------------------------------------------------ box formats

@pytest.mark.parametrize("dtype", [ember.float32, ember.int64])
def test_convert_bounding_box_format_round_trips(dtype):
    xyxy = ember.tensor([[2, 4, 10, 12], [0, 0, 6, 2]], dtype=dtype)
    xywh = F.convert_bounding_box_format(xyxy, "XYXY", "XYWH")
    assert xywh.tolist() == [[2, 4, 8, 8], [0, 0, 6, 2]]
    cxcywh = F.convert_bounding_box_format(xyxy, "XYXY", "CXCYWH")
    assert cxcywh.tolist() == [[6, 8, 8, 8], [3, 1, 6, 2]]
    for fmt in ("XYWH", "CXCYWH"):
        conv = F.convert_bounding_box_format(xyxy, "XYXY", fmt)
        assert F.convert_bounding_box_format(conv, fmt, "XYXY").tolist() == xyxy.tolist()
        assert conv.dtype == dtype
    boxes = tv.BoundingBoxes(xyxy, format="XYXY", canvas_size=(20, 20))
    out = v2.ConvertBoundingBoxFormat("CXCYWH")(boxes)
    assert out.format == tv.BoundingBoxFormat.CXCYWH and out.tolist() == cxcywh.tolist()
    with pytest.raises(ValueError, match="unknown bounding box format"):
        F.convert_bounding_box_format(xyxy, "XYXY", "ABCD")


def test_clamp_bounding_boxes():
    b = tv.BoundingBoxes([[-3.0, 2.0, 40.0, 25.0]], format="XYXY", canvas_size=(H, W))
    assert v2.ClampBoundingBoxes()(b).tolist() == [[0.0, 2.0, 30.0, 20.0]]
    c = tv.BoundingBoxes([[-2.0, 0.0, 8.0, 4.0]], format="XYWH", canvas_size=(H, W))
    assert v2.ClampBoundingBoxes()(c).tolist() == [[0.0, 0.0, 6.0, 4.0]]


# ------------------------------------------------------------------ consistency

CONSISTENT = [
    ("hflip", v2.RandomHorizontalFlip(1.0)),
    ("vflip", v2.RandomVerticalFlip(1.0)),
    ("crop", v2.RandomCrop((14, 20))),
    ("center_crop", v2.CenterCrop((12, 18))),
    ("pad", v2.Pad([3, 1, 2, 5])),
    ("resize", v2.Resize((40, 60), interpolation=v2.InterpolationMode.NEAREST)),
    ("rotate90", v2.RandomRotation((90, 90))),
    ("rotate90_expand", v2.RandomRotation((90, 90), expand=True)),
    ("affine_translate", v2.RandomAffine(0, translate=(0.1, 0.1))),
    ("zoom_out", v2.RandomZoomOut(p=1.0, side_range=(1.5, 2.0))),
]


@pytest.mark.parametrize("name,tr", CONSISTENT, ids=[c[0] for c in CONSISTENT])
def test_boxes_and_masks_follow_the_image(name, tr):
    ember.manual_seed(0)
    img, mask, boxes = _sample()
    out = tr({"image": img, "mask": mask, "boxes": boxes})
    oi, om, ob = out["image"], out["mask"], out["boxes"]
    assert isinstance(oi, tv.Image) and isinstance(om, tv.Mask)
    assert isinstance(ob, tv.BoundingBoxes)
    assert tuple(oi.shape[-2:]) == tuple(om.shape[-2:]) == ob.canvas_size
    assert np.array_equal((oi.numpy()[0] > 100), om.numpy()[0].astype(bool))
    assert np.allclose(ob.numpy()[0], _box_of(om), atol=1e-4)


def test_resized_crop_and_affine_boxes_scale():
    img, mask, boxes = _sample()
    out = F.resized_crop(boxes, 2, 4, 10, 14, [20, 28])
    assert out.canvas_size == (20, 28)
    assert np.allclose(out.numpy(), [[4.0, 4.0, 22.0, 16.0]])
    aff = F.affine(boxes, 0.0, [0, 0], 2.0, [0.0, 0.0])
    # scale 2 about the centre (15, 10), then clamp to the 30x20 canvas
    assert np.allclose(aff.numpy(), [[0.0, 0.0, 15.0, 10.0]])  # x: 15 + 2 (6 - 15) = -3 -> 0


def test_resize_int_boxes_truncate():
    b = tv.BoundingBoxes([[1, 1, 3, 3]], format="XYXY", canvas_size=(4, 4))
    assert F.resize(b, [6, 6]).tolist() == [[1, 1, 4, 4]]


def test_pad_boxes_rejects_non_constant_mode():
    _, _, boxes = _sample()
    with pytest.raises(ValueError, match="not supported with bounding boxes"):
        F.pad(boxes, 2, padding_mode="reflect")


# ------------------------------------------------------------------ sample structure

def test_pure_tensor_heuristics():
    x = ember.zeros(3, H, W)
    label = ember.tensor([1, 2])
    out_x, out_label = v2.Resize((10, 15))(x, label)
    assert out_x.shape == (3, 10, 15) and out_label is label
    img, _, _ = _sample()
    out_img, out_x = v2.Resize((10, 15))(img, x)
    assert out_img.shape == (3, 10, 15) and out_x is x
    out = v2.Resize((10, 15))([x, {"a": "text", "b": 3}])
    assert out[0].shape == (3, 10, 15) and out[1] == {"a": "text", "b": 3}


def test_color_transforms_skip_masks_and_boxes():
    img, mask, boxes = _sample()
    out = v2.ColorJitter(brightness=(0.5, 0.5))((img, mask, boxes))
    assert int(out[0].max()) == 100 and out[1] is mask and out[2] is boxes
    assert F.invert(mask) is mask


def test_to_dtype_and_normalize_only_touch_images():
    img, mask, boxes = _sample()
    f_img, f_mask, f_boxes = v2.ToDtype(ember.float32, scale=True)(img, mask, boxes)
    assert f_img.dtype == ember.float32 and float(f_img.max()) == pytest.approx(200 / 255)
    assert f_mask.dtype == ember.uint8 and f_boxes is boxes
    d_img, d_mask, _ = v2.ToDtype({tv.Image: ember.float64, tv.Mask: ember.int64})(
        img, mask, boxes)
    assert d_img.dtype == ember.float64 and d_mask.dtype == ember.int64
    n_img, n_mask, _ = v2.Normalize([0.5] * 3, [0.5] * 3)(f_img, f_mask, f_boxes)
    assert float(n_img.min()) == -1.0 and n_mask is f_mask


def test_conversions():
    pil = Image.new("RGB", (4, 3), (10, 20, 30))
    img = v2.ToImage()(pil)
    assert isinstance(img, tv.Image) and img.shape == (3, 3, 4) and img.dtype == ember.uint8
    assert type(v2.ToPureTensor()(img)) is ember.Tensor
    assert v2.PILToTensor()(pil).shape == (3, 3, 4)
    assert v2.ToPILImage()(img).size == (4, 3)
    assert v2.ToImage()(np.zeros((3, 4, 3), dtype=np.uint8)).shape == (3, 3, 4)
    assert v2.ToTensor()(pil).dtype == ember.float32


def test_sanitize_bounding_boxes_drops_degenerate_and_labels():
    boxes = tv.BoundingBoxes([[0, 0, 5, 5], [3, 3, 3.5, 9], [25, 15, 35, 19], [1, 1, 4, 4]],
                             format="XYXY", canvas_size=(H, W))
    masks = tv.Mask(ember.zeros(4, H, W, dtype=ember.uint8))
    sample = {"boxes": boxes, "masks": masks, "labels": ember.tensor([1, 2, 3, 4])}
    out = v2.SanitizeBoundingBoxes()(sample)
    assert out["labels"].tolist() == [1, 4]
    assert out["boxes"].tolist() == [[0, 0, 5, 5], [1, 1, 4, 4]]
    assert out["masks"].shape == (2, H, W)
    out = v2.SanitizeBoundingBoxes(min_size=4)(sample)
    assert out["labels"].tolist() == [1]
    img = tv.Image(ember.zeros(3, H, W))
    img2, target = v2.SanitizeBoundingBoxes()(img, {"boxes": boxes, "class_labels":
                                                    ember.tensor([1, 2, 3, 4])})
    assert target["class_labels"].tolist() == [1, 4] and img2 is img
    with pytest.raises(ValueError, match="Could not infer where the labels are"):
        v2.SanitizeBoundingBoxes()({"boxes": boxes})
    assert v2.SanitizeBoundingBoxes(labels_getter=None)({"boxes": boxes})["boxes"].shape == (2, 4)
    with pytest.raises(ValueError, match="min_size"):
        v2.SanitizeBoundingBoxes(min_size=0)


def test_containers_and_query_errors():
    img, mask, boxes = _sample()
    c = v2.Compose([v2.RandomHorizontalFlip(1.0), v2.RandomVerticalFlip(1.0)])
    out_img, out_boxes = c(img, boxes)
    assert out_boxes.tolist() == [[15.0, 10.0, 24.0, 16.0]]
    with pytest.raises(ValueError, match="at least one transform"):
        v2.Compose([])
    ember.manual_seed(0)
    assert v2.RandomChoice([v2.Identity()])(img) is img
    assert v2.RandomApply([v2.RandomHorizontalFlip(1.0)], p=0.0)(img) is img
    assert v2.RandomOrder([v2.Identity(), v2.Identity()])(img) is img
    assert v2.Lambda(lambda x: x + 1, tv.Image)(img, 3)[1] == 3
    with pytest.raises(ValueError, match="multiple HxW"):
        v2.RandomResizedCrop(8)(img, tv.Mask(ember.zeros(1, 5, 5)))
    with pytest.raises(TypeError, match="No image"):
        v2.RandomResizedCrop(8)({"a": 1})
    with pytest.raises(ValueError, match=r"interval \[0.0, 1.0\]"):
        v2.RandomHorizontalFlip(2.0)


def test_pil_images_in_v2():
    pil = Image.new("RGB", (30, 20))
    boxes = tv.BoundingBoxes([[0, 0, 10, 10]], format="XYXY", canvas_size=(20, 30))
    out_pil, out_boxes = v2.RandomHorizontalFlip(1.0)(pil, boxes)
    assert isinstance(out_pil, Image.Image) and out_boxes.tolist() == [[20, 0, 30, 10]]


def test_random_erasing_v2_and_grayscale():
    ember.manual_seed(2)
    img = tv.Image(ember.ones(3, 16, 16))
    out = v2.RandomErasing(p=1.0)(img)
    assert isinstance(out, tv.Image) and float(out.sum()) < 3 * 256
    assert v2.RandomGrayscale(p=1.0)(img).shape == (3, 16, 16)
    assert v2.Grayscale()(img).shape == (1, 16, 16)
    assert v2.GaussianBlur(3)(img).shape == (3, 16, 16)
    for tr in (v2.RandomInvert(p=1.0), v2.RandomAutocontrast(p=1.0),
               v2.RandomAdjustSharpness(2.0, p=1.0), v2.RandomSolarize(0.5, p=1.0)):
        assert isinstance(tr(img), tv.Image)
    u8 = tv.Image(ember.ones(3, 4, 4, dtype=ember.uint8))
    assert int(v2.RandomPosterize(1, p=1.0)(u8 * 200).max()) == 128
    assert v2.RandomEqualize(p=1.0)(u8).dtype == ember.uint8


def test_perspective_v2_moves_boxes_with_mask():
    img, mask, boxes = _sample()
    start = [[0, 0], [29, 0], [29, 19], [0, 19]]
    end = [[3, 2], [27, 1], [28, 18], [1, 17]]
    out_img, out_mask, out_boxes = (F.perspective(img, start, end),
                                    F.perspective(mask, start, end),
                                    F.perspective(boxes, start, end))
    assert out_img.shape == img.shape and out_mask.shape == mask.shape
    # the warped mask lies inside the warped box (up to a pixel of sampling)
    mx0, my0, mx1, my1 = _box_of(out_mask)
    bx0, by0, bx1, by1 = out_boxes.numpy()[0]
    assert bx0 - 1 <= mx0 and by0 - 1 <= my0 and mx1 <= bx1 + 1 and my1 <= by1 + 1
    ident = F.perspective(boxes, start, start)
    assert np.allclose(ident.numpy(), boxes.numpy(), atol=1e-3)
    ember.manual_seed(3)
    _, _, b = v2.RandomPerspective(p=1.0)(img, mask, boxes)
    assert isinstance(b, tv.BoundingBoxes)
