"""embervision.transforms.functional on PIL images (against Pillow itself) and conversions."""

import numpy as np
import pytest
from PIL import Image, ImageEnhance, ImageOps

import ember
import embervision.transforms.functional as F
from embervision.transforms.functional import InterpolationMode as IM

RNG = np.random.default_rng(1)
ARR = RNG.integers(0, 256, size=(12, 16, 3), dtype=np.uint8)
IMG = Image.fromarray(ARR)


def same(a, b):
    return np.array_equal(np.asarray(a), np.asarray(b)) and a.mode == b.mode


@pytest.mark.parametrize("interp,pil", [(IM.BILINEAR, Image.Resampling.BILINEAR),
                                        (IM.BICUBIC, Image.Resampling.BICUBIC),
                                        (IM.NEAREST, Image.Resampling.NEAREST),
                                        (IM.LANCZOS, Image.Resampling.LANCZOS),
                                        (2, Image.Resampling.BILINEAR)])
def test_resize_uses_pillow(interp, pil):
    assert same(F.resize(IMG, [7, 9], interp), IMG.resize((9, 7), pil))
    assert F.resize(IMG, 6).size == (8, 6)


def test_resize_pil_antialias_false_warns():
    with pytest.warns(UserWarning, match="always applied for PIL"):
        F.resize(IMG, [5, 5], antialias=False)


def test_geometry_matches_pillow():
    assert same(F.hflip(IMG), IMG.transpose(Image.Transpose.FLIP_LEFT_RIGHT))
    assert same(F.vflip(IMG), IMG.transpose(Image.Transpose.FLIP_TOP_BOTTOM))
    assert same(F.crop(IMG, 2, 3, 5, 6), IMG.crop((3, 2, 9, 7)))
    assert same(F.center_crop(IMG, [4, 6]), IMG.crop((5, 4, 11, 8)))
    assert same(F.rotate(IMG, 30), IMG.rotate(30, Image.Resampling.NEAREST, False, None,
                                              fillcolor=(0, 0, 0)))
    assert same(F.pad(IMG, [1, 2], fill=(9, 8, 7)),
                ImageOps.expand(IMG, border=(1, 2, 1, 2), fill=(9, 8, 7)))


@pytest.mark.parametrize("mode", ["edge", "reflect", "symmetric"])
def test_pad_pil_modes_match_numpy(mode):
    out = np.asarray(F.pad(IMG, [1, 2, 3, 4], padding_mode=mode))
    assert np.array_equal(out, np.pad(ARR, ((2, 4), (1, 3), (0, 0)), mode=mode))


def test_pil_and_tensor_agree_on_crop_pad_flip():
    x = F.pil_to_tensor(IMG)
    for fn in (lambda i: F.crop(i, 1, 2, 6, 7), lambda i: F.pad(i, [2, 1], padding_mode="edge"),
               F.hflip, F.vflip, lambda i: F.center_crop(i, [15, 20]),
               lambda i: F.rotate(i, 90.0)):
        assert np.array_equal(F.pil_to_tensor(fn(IMG)).numpy(), fn(x).numpy())


def test_color_matches_pillow_enhance_and_ops():
    assert same(F.adjust_brightness(IMG, 1.4), ImageEnhance.Brightness(IMG).enhance(1.4))
    assert same(F.adjust_contrast(IMG, 0.6), ImageEnhance.Contrast(IMG).enhance(0.6))
    assert same(F.adjust_saturation(IMG, 0.2), ImageEnhance.Color(IMG).enhance(0.2))
    assert same(F.adjust_sharpness(IMG, 2.0), ImageEnhance.Sharpness(IMG).enhance(2.0))
    assert same(F.invert(IMG), ImageOps.invert(IMG))
    assert same(F.posterize(IMG, 2), ImageOps.posterize(IMG, 2))
    assert same(F.solarize(IMG, 100), ImageOps.solarize(IMG, 100))
    assert same(F.autocontrast(IMG), ImageOps.autocontrast(IMG))
    assert same(F.equalize(IMG), ImageOps.equalize(IMG))
    assert F.rgb_to_grayscale(IMG).mode == "L"
    assert F.to_grayscale(IMG, 3).mode == "RGB"


def test_adjust_hue_pil_zero_is_identity_and_gray_passthrough():
    hsv = np.asarray(IMG.convert("HSV")).copy()
    hsv[..., 0] = (hsv[..., 0].astype(int) + int(0.2 * 255)) % 256
    ref = Image.fromarray(hsv, "HSV").convert("RGB")
    assert same(F.adjust_hue(IMG, 0.2), ref)
    gray = IMG.convert("L")
    assert F.adjust_hue(gray, 0.3) is gray


def test_adjust_gamma_pil_lut():
    out = np.asarray(F.adjust_gamma(IMG, 2.0))
    ref = ((255 + 1 - 1e-3) * (ARR / 255.0) ** 2).astype(np.uint8)
    assert np.array_equal(out, ref)


def test_gaussian_blur_pil_goes_through_tensor_kernel():
    out = F.gaussian_blur(IMG, 3, 1.0)
    ref = F.gaussian_blur(F.pil_to_tensor(IMG), 3, 1.0)
    assert np.array_equal(F.pil_to_tensor(out).numpy(), ref.numpy())


def test_pil_errors():
    with pytest.raises(TypeError, match="PIL Image or Tensor"):
        F.hflip(ARR)
    with pytest.raises(ValueError, match="does not match the number of channels"):
        F.rotate(IMG, 10, fill=(1, 2))
    with pytest.raises(TypeError, match="PIL Image"):
        F.to_grayscale(ember.zeros(3, 2, 2))


# ------------------------------------------------------------------ conversions

def test_to_tensor_scales_uint8_and_keeps_other_dtypes():
    x = F.to_tensor(IMG)
    assert x.dtype == ember.float32 and x.shape == (3, 12, 16)
    assert np.allclose(x.numpy(), ARR.transpose(2, 0, 1) / 255.0, atol=1e-7)
    assert F.to_tensor(ARR[:, :, 0]).shape == (1, 12, 16)
    i32 = Image.fromarray(ARR[:, :, 0].astype(np.int32))
    assert F.to_tensor(i32).dtype == ember.int32
    f = F.to_tensor(np.ones((2, 2, 1), dtype=np.float64))
    assert f.dtype == ember.float64
    one = Image.fromarray(ARR[:, :, 0] > 128)
    assert set(np.unique(F.to_tensor(one).numpy())) <= {0.0, 1.0}


def test_pil_to_tensor_modes():
    assert F.pil_to_tensor(IMG).dtype == ember.uint8
    assert np.array_equal(F.pil_to_tensor(IMG).numpy(), ARR.transpose(2, 0, 1))
    assert F.pil_to_tensor(IMG.convert("L")).shape == (1, 12, 16)
    assert F.pil_to_tensor(IMG.convert("RGBA")).shape == (4, 12, 16)
    with pytest.raises(TypeError, match="PIL Image"):
        F.pil_to_tensor(ARR)


def test_to_pil_image_round_trips_and_modes():
    x = F.pil_to_tensor(IMG)
    assert same(F.to_pil_image(x), IMG)
    assert F.to_pil_image(ember.zeros(1, 3, 4)).mode == "L"
    assert F.to_pil_image(ember.zeros(4, 3, 4, dtype=ember.uint8)).mode == "RGBA"
    assert F.to_pil_image(ember.zeros(2, 3, 4, dtype=ember.uint8)).mode == "LA"
    assert F.to_pil_image(ember.zeros(1, 3, 4), mode="F").mode == "F"
    assert F.to_pil_image(np.zeros((3, 4, 1), dtype=np.int32)).mode == "I"
    f = F.to_pil_image(ember.full((3, 2, 2), 0.5))
    assert np.asarray(f)[0, 0].tolist() == [127, 127, 127]


def test_to_pil_image_errors():
    with pytest.raises(TypeError, match="Tensor or ndarray"):
        F.to_pil_image([1, 2])
    with pytest.raises(ValueError, match="2/3 dimensional"):
        F.to_pil_image(np.zeros((1, 2, 3, 4)))
    with pytest.raises(ValueError, match="> 4 channels"):
        F.to_pil_image(np.zeros((2, 2, 5), dtype=np.uint8))
    with pytest.raises(ValueError, match="Incorrect mode"):
        F.to_pil_image(np.zeros((2, 2, 1), dtype=np.uint8), mode="F")
    with pytest.raises(ValueError, match="Only modes"):
        F.to_pil_image(np.zeros((2, 2, 3), dtype=np.uint8), mode="RGBA")
    with pytest.raises(TypeError, match="not supported"):
        F.to_pil_image(np.zeros((2, 2, 3), dtype=np.int32))
    with pytest.raises(TypeError, match="PIL Image or ndarray"):
        F.to_tensor([1])
    with pytest.raises(ValueError, match="2/3 dimensional"):
        F.to_tensor(np.zeros(3))
