"""v2 posterize / equalize on every dtype and elastic on boxes and masks, against numpy
references, Pillow and hand-derived values."""

import numpy as np
import pytest
from PIL import Image as PILImage
from PIL import ImageOps

import ember
from embervision import tv_tensors as tv
from embervision.transforms import v2
from embervision.transforms.v2 import functional as F

RNG = np.random.default_rng(11)
F32 = RNG.random((2, 3, 9, 11)).astype(np.float32)
U8 = RNG.integers(0, 256, size=(2, 3, 9, 11), dtype=np.uint8)


# ------------------------------------------------------------------------------- posterize

def test_posterize_float_hand_values():
    x = ember.tensor([[[0.0, 0.3, 0.74, 0.999, 1.0]]])
    assert F.posterize(x, 2).tolist() == [[[0.0, 0.25, 0.5, 0.75, 0.75]]]
    assert F.posterize(x, 1).tolist() == [[[0.0, 0.0, 0.5, 0.5, 0.5]]]
    assert F.posterize(x, 0).tolist() == [[[0.0, 0.0, 0.0, 0.0, 0.0]]]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bits", range(9))
def test_posterize_float_matches_numpy(dtype, bits):
    arr = F32.astype(dtype)
    x = ember.from_numpy(arr.copy())
    out = F.posterize(x, bits)
    levels = 2 ** bits
    ref = np.clip(np.floor(arr * levels), 0, levels - 1) * (1.0 / levels)
    assert out.dtype == x.dtype and np.array_equal(out.numpy(), ref.astype(dtype))
    assert np.array_equal(x.numpy(), arr)  # no input mutation
    for i in range(2):  # batched == unbatched
        assert np.array_equal(F.posterize(x[i], bits).numpy(), out.numpy()[i])


@pytest.mark.parametrize("bits", range(9))
def test_posterize_uint8_keeps_high_bits(bits):
    out = F.posterize(ember.from_numpy(U8.copy()), bits)
    mask = (0xFF << (8 - bits)) & 0xFF
    assert out.dtype == ember.uint8 and np.array_equal(out.numpy(), U8 & mask)


def test_posterize_other_integer_dtypes_use_value_bits():
    # int16 has 15 value bits: bits=3 keeps 0b111 << 12 = 0x7000
    x = ember.tensor([[[0x7FFF, 0x1234, 0x4FFF]]], dtype=ember.int16)
    assert F.posterize(x, 3).tolist() == [[[0x7000, 0x1000, 0x4000]]]
    # int8 has 7 value bits: bits=2 keeps 0b11 << 5 = 96
    x8 = ember.tensor([[[127, 31, 64]]], dtype=ember.int8)
    assert F.posterize(x8, 2).tolist() == [[[96, 0, 64]]]
    assert F.posterize(x8, 7).tolist() == [[[127, 31, 64]]]  # bits >= value bits: unchanged


@pytest.mark.parametrize("bits", [9, -1, 2.0, "3"])
def test_posterize_rejects_bad_bits(bits):
    with pytest.raises(TypeError, match=r"bits must be a positive integer in the range \[0, 8\]"):
        F.posterize(ember.from_numpy(F32.copy()), bits)


def test_posterize_wrappers_and_passthrough():
    img = tv.Image(ember.from_numpy(F32[0].copy()))
    out = F.posterize(img, 3)
    assert isinstance(out, tv.Image) and out.dtype == ember.float32
    boxes = tv.BoundingBoxes([[1.0, 1.0, 4.0, 4.0]], format="XYXY", canvas_size=(9, 11))
    mask = tv.Mask(ember.ones(9, 11))
    assert F.posterize(boxes, 3) is boxes and F.posterize(mask, 3) is mask
    pil = PILImage.fromarray(U8[0].transpose(1, 2, 0))
    assert np.array_equal(np.asarray(F.posterize(pil, 3)), np.asarray(ImageOps.posterize(pil, 3)))
    out = v2.RandomPosterize(2, p=1.0)(tv.Image(ember.from_numpy(F32[0].copy())))
    assert np.array_equal(out.numpy(), np.clip(np.floor(F32[0] * 4), 0, 3) * 0.25)


# -------------------------------------------------------------------------------- equalize

def _equalize_plane_ref(plane):
    """PIL's ImageOps.equalize lookup table on one uint8 plane (written from its docs)."""
    hist = np.bincount(plane.ravel(), minlength=256)
    nonzero = hist[hist != 0]
    step = (int(nonzero.sum()) - int(nonzero[-1])) // 255
    if step == 0:
        return plane.copy()
    lut, n = np.zeros(256, np.int64), step // 2
    for i in range(256):
        lut[i] = min(n // step, 255)
        n += hist[i]
    return lut[plane].astype(np.uint8)


def _equalize_ref(u8):
    flat = u8.reshape(-1, *u8.shape[-2:])
    return np.stack([_equalize_plane_ref(p) for p in flat]).reshape(u8.shape)


def test_equalize_uint8_matches_pil_and_reference():
    out = F.equalize(ember.from_numpy(U8.copy())).numpy()
    assert np.array_equal(out, _equalize_ref(U8))
    for c in range(3):
        pil = ImageOps.equalize(PILImage.fromarray(U8[0, c]))
        assert np.array_equal(out[0, c], np.asarray(pil))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_equalize_float_goes_through_uint8(dtype):
    arr = F32.astype(dtype)
    x = ember.from_numpy(arr.copy())
    out = F.equalize(x)
    u8 = (arr * (255 + 1.0 - 1e-3)).astype(np.uint8)
    ref = _equalize_ref(u8).astype(dtype) * dtype(1.0 / 255)
    assert out.dtype == x.dtype and np.array_equal(out.numpy(), ref)
    assert np.array_equal(x.numpy(), arr)
    for i in range(2):
        assert np.array_equal(F.equalize(x[i]).numpy(), out.numpy()[i])


def test_equalize_float_hand_values():
    # constant plane: step == 0 so only the uint8 round trip shows: floor(0.5 * 255.999) = 127
    out = F.equalize(ember.full((1, 2, 2), 0.5))
    assert np.allclose(out.numpy(), 127 / 255, rtol=0, atol=1e-7)
    # two values, 255 pixels each of 0.0 and 1.0: step = 255 // 255 = 1, lut[255] = 255
    x = ember.cat([ember.zeros(1, 1, 255), ember.ones(1, 1, 255)], -1)
    assert np.array_equal(F.equalize(x).numpy(), x.numpy())


def test_equalize_int16_and_channels_and_empty():
    arr = RNG.integers(0, 32768, size=(4, 6, 7)).astype(np.int16)
    out = F.equalize(ember.from_numpy(arr.copy()))
    ref = _equalize_ref((arr >> 7).astype(np.uint8)).astype(np.int16) << 7
    assert out.dtype == ember.int16 and np.array_equal(out.numpy(), ref)  # 4 channels accepted
    empty = ember.zeros(3, 0, 5)
    assert F.equalize(empty) is empty
    mask = tv.Mask(ember.zeros(6, 7))
    assert F.equalize(mask) is mask
    img = F.equalize(tv.Video(ember.from_numpy(F32.copy())))
    assert isinstance(img, tv.Video) and img.dtype == ember.float32


# ------------------------------------------------------------------------- elastic on boxes

H, W = 17, 23


def _boxes(data, fmt="XYXY", dtype=ember.float32):
    return tv.BoundingBoxes(ember.tensor(data, dtype=dtype), format=fmt, canvas_size=(H, W))


def _const_disp(dx, dy):
    d = np.zeros((1, H, W, 2), np.float32)
    d[..., 0], d[..., 1] = dx, dy
    return ember.from_numpy(d)


def _elastic_boxes_ref(xyxy, disp):
    """numpy float64: corners (ceil, clamped as indices) through ``identity - disp``."""
    gx = np.linspace((-W + 1) / W, (W - 1) / W, W)[None, :] - disp[0, ..., 0]
    gy = np.linspace((-H + 1) / H, (H - 1) / H, H)[:, None] - disp[0, ..., 1]
    out = []
    for x1, y1, x2, y2 in xyxy:
        pts = [(x1, y1), (x2, y1), (x2, y2), (x1, y2)]
        ix = [int(np.clip(np.ceil(px), 0, W - 1)) for px, _ in pts]
        iy = [int(np.clip(np.ceil(py), 0, H - 1)) for _, py in pts]
        tx = [(gx[j, i] + 1) * W / 2 - 0.5 for i, j in zip(ix, iy, strict=True)]
        ty = [(gy[j, i] + 1) * H / 2 - 0.5 for i, j in zip(ix, iy, strict=True)]
        out.append([np.clip(min(tx), 0, W), np.clip(min(ty), 0, H),
                    np.clip(max(tx), 0, W), np.clip(max(ty), 0, H)])
    return np.array(out)


def test_elastic_boxes_zero_displacement_rounds_corners_up():
    # identity grid at pixel i is (2i + 1 - W) / W, which maps back to exactly i
    b = _boxes([[1.3, 2.2, 9.7, 12.1], [-3.0, 4.0, 30.0, 16.0]])
    out = F.elastic(b, ember.zeros(1, H, W, 2))
    assert isinstance(out, tv.BoundingBoxes) and out.canvas_size == (H, W)
    assert np.allclose(out.numpy(), [[2, 3, 10, 13], [0, 4, W - 1, 16]], atol=1e-5)


def test_elastic_boxes_constant_shift_follows_the_image():
    # +4 / W in x moves content 2 pixels left (see the image test); -2 / H in y moves it 1 down
    out = F.elastic(_boxes([[5.0, 6.0, 10.0, 12.0]]), _const_disp(4.0 / W, -2.0 / H))
    assert np.allclose(out.numpy(), [[3, 7, 8, 13]], atol=1e-5)
    img = ember.zeros(1, H, W)
    img[0, 6:12, 5:10] = 1.0
    warped = F.elastic(img, _const_disp(4.0 / W, -2.0 / H), F.InterpolationMode.NEAREST, [0.0])
    ys, xs = np.nonzero(warped.numpy()[0])
    assert (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1) == (3, 7, 8, 13)


def test_elastic_boxes_integer_boxes_truncate():
    # half a pixel left and down: corner (i, j) maps to (i - 0.5, j + 0.5), truncated to zero
    out = F.elastic(_boxes([[0, 2, 5, 9]], dtype=ember.int64), _const_disp(1.0 / W, -1.0 / H))
    assert out.dtype == ember.int64 and out.tolist() == [[0, 2, 4, 9]]


@pytest.mark.parametrize("fmt", ["XYXY", "XYWH", "CXCYWH"])
def test_elastic_boxes_random_field_matches_numpy(fmt):
    disp = ((RNG.random((1, H, W, 2)) - 0.5) * 0.3).astype(np.float32)
    xyxy = np.array([[1.3, 2.2, 9.7, 12.1], [0.0, 0.0, 5.0, 5.0], [12.5, 3.0, 22.9, 16.4]],
                    np.float32)
    b = F.convert_bounding_box_format(ember.from_numpy(xyxy), "XYXY", fmt)
    boxes = tv.BoundingBoxes(b, format=fmt, canvas_size=(H, W))
    out = F.elastic(boxes, ember.from_numpy(disp))
    assert out.format == boxes.format and out.dtype == ember.float32
    got = F.convert_bounding_box_format(ember.from_numpy(out.numpy()), fmt, "XYXY").numpy()
    assert np.allclose(got, _elastic_boxes_ref(xyxy, disp.astype(np.float64)), atol=1e-4)
    assert np.array_equal(boxes.numpy(), b.numpy())  # no input mutation
    from embervision.transforms.v2 import _box_kernels as K
    batched = K.elastic_bounding_boxes(b.reshape(1, 3, 4), fmt, (H, W), ember.from_numpy(disp))
    assert batched.shape == (1, 3, 4) and np.array_equal(batched.numpy()[0], out.numpy())


def test_elastic_boxes_errors_and_empty():
    b = _boxes([[1.0, 1.0, 3.0, 3.0]])
    with pytest.raises(TypeError, match="displacement should be a Tensor"):
        F.elastic(b, np.zeros((1, H, W, 2)))
    with pytest.raises(ValueError, match=r"displacement shape should be \(1, 17, 23, 2\)"):
        F.elastic(b, ember.zeros(1, 5, 5, 2))
    empty = tv.BoundingBoxes(ember.zeros(0, 4), format="XYXY", canvas_size=(H, W))
    assert F.elastic(empty, ember.zeros(1, H, W, 2)).shape == (0, 4)


def test_elastic_transform_moves_image_boxes_and_mask_together():
    import embervision.transforms as T
    img = tv.Image(ember.rand(3, H, W))
    mask = tv.Mask((ember.rand(H, W) > 0.5).to(ember.uint8))
    boxes = _boxes([[2.0, 3.0, 12.0, 14.0]])
    ember.manual_seed(7)
    out_img, out_boxes, out_mask = v2.ElasticTransform(alpha=30.0, sigma=2.0)(img, boxes, mask)
    ember.manual_seed(7)
    disp = T.ElasticTransform.get_params([30.0, 30.0], [2.0, 2.0], [H, W])
    assert isinstance(out_boxes, tv.BoundingBoxes) and isinstance(out_mask, tv.Mask)
    assert np.allclose(out_boxes.numpy(),
                       _elastic_boxes_ref([[2.0, 3.0, 12.0, 14.0]], disp.numpy()), atol=1e-4)
    ref_mask = F.elastic(ember.from_numpy(mask.numpy()).unsqueeze(0), disp,
                         F.InterpolationMode.NEAREST, [0.0]).squeeze(0)
    assert out_mask.shape == (H, W) and np.array_equal(out_mask.numpy(), ref_mask.numpy())
    assert np.allclose(out_img.numpy(),
                       F.elastic(ember.from_numpy(img.numpy()), disp, fill=[0.0] * 3).numpy())


# ------------------------------------------------------------- auto-augment on float images

def test_v2_policy_ops_accept_float_images():
    from embervision.transforms.v2._augment import _policy_op
    x = ember.tensor([[[0.1, 0.5, 0.8, 1.0]]])
    # Solarize magnitude is on the 0..255 scale: 127.5 -> threshold 0.5 for float images
    assert np.allclose(_policy_op(x, "Solarize", 127.5, None, None).numpy(),
                       [[[0.1, 0.5, 0.2, 0.0]]])
    assert _policy_op(x, "Posterize", 1, None, None).tolist() == [[[0.0, 0.5, 0.5, 0.5]]]
    u8 = ember.tensor([[[10, 128, 200]]], dtype=ember.uint8)
    assert _policy_op(u8, "Solarize", 128.0, None, None).tolist() == [[[10, 127, 55]]]
    eq = _policy_op(ember.from_numpy(F32[0].copy()), "Equalize", 0.0, None, None)
    assert np.array_equal(eq.numpy(), F.equalize(ember.from_numpy(F32[0].copy())).numpy())


@pytest.mark.parametrize("cls", [v2.AutoAugment, v2.RandAugment, v2.TrivialAugmentWide])
def test_v2_autoaugment_runs_on_float_images(cls):
    img = tv.Image(ember.from_numpy(F32[0].copy()))
    for seed in range(40):  # these seeds draw Posterize, Solarize and Equalize in each class
        ember.manual_seed(seed)
        out = cls()(img)
        assert isinstance(out, tv.Image) and out.dtype == ember.float32
        assert out.shape == img.shape and 0.0 <= float(out.min()) and float(out.max()) <= 1.0
    assert np.array_equal(img.numpy(), F32[0])
