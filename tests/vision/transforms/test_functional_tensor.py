"""embervision.transforms.functional on tensors, against numpy float64 references."""

import colorsys

import numpy as np
import pytest

import ember
import embervision.transforms.functional as F
from ember.testing import assert_close
from embervision.transforms.functional import InterpolationMode as IM

RNG = np.random.default_rng(0)
U8 = RNG.integers(0, 256, size=(2, 3, 9, 11), dtype=np.uint8)
F32 = (RNG.random((2, 3, 9, 11)) ).astype(np.float32)


def t(a):
    return ember.from_numpy(np.ascontiguousarray(a))


# ------------------------------------------------------------------ numpy references

def _bilinear_ref(a, oh, ow):
    """align_corners=False bilinear without antialias, float64."""
    h, w = a.shape[-2:]

    def coords(o, n):
        s = (np.arange(o) + 0.5) * (n / o) - 0.5
        s = np.clip(s, 0, None)
        i0 = np.minimum(np.floor(s).astype(int), n - 1)
        i1 = np.minimum(i0 + 1, n - 1)
        return i0, i1, s - i0

    y0, y1, fy = coords(oh, h)
    x0, x1, fx = coords(ow, w)
    a = a.astype(np.float64)
    top = a[..., y0, :][..., :, x0] * (1 - fx) + a[..., y0, :][..., :, x1] * fx
    bot = a[..., y1, :][..., :, x0] * (1 - fx) + a[..., y1, :][..., :, x1] * fx
    return top * (1 - fy)[:, None] + bot * fy[:, None]


def _gray_ref(a):
    return 0.2989 * a[..., 0, :, :] + 0.587 * a[..., 1, :, :] + 0.114 * a[..., 2, :, :]


# ------------------------------------------------------------------ resize

def test_resize_bilinear_upsample_matches_reference_float():
    out = F.resize(t(F32), [13, 17], antialias=False)
    assert_close(out, t(_bilinear_ref(F32, 13, 17).astype(np.float32)), atol=1e-5, rtol=1e-5)


def test_resize_uint8_rounds_the_float_result():
    out = F.resize(t(U8), [13, 17], antialias=False)
    assert out.dtype == ember.uint8
    ref = np.round(_bilinear_ref(U8, 13, 17))
    assert np.abs(out.numpy().astype(np.float64) - ref).max() <= 1


def test_resize_nearest_picks_floor_of_scaled_index():
    a = np.arange(16, dtype=np.float32).reshape(1, 4, 4)
    out = F.resize(t(a), [2, 2], IM.NEAREST)
    assert out.numpy().tolist() == [[[0.0, 2.0], [8.0, 10.0]]]


def test_resize_antialias_box_average_for_integer_factor():
    # NOTE: bilinear antialias with an exact 2x downscale is a triangle filter of support 2
    # (weights 1/8, 3/8, 3/8, 1/8 per axis, renormalised at the border)
    a = RNG.random((1, 8, 8))
    out = F.resize(t(a), [4, 4], antialias=True).numpy()
    w = np.array([1, 3, 3, 1], dtype=np.float64) / 8
    inner = (w[:, None] * w[None, :] * a[0, 1:5, 1:5]).sum()
    assert abs(out[0, 1, 1] - inner) < 1e-10


def test_resize_int_size_matches_smaller_edge_and_max_size():
    x = ember.zeros(3, 20, 40)
    assert F.resize(x, 10).shape == (3, 10, 20)
    assert F.resize(x, [10]).shape == (3, 10, 20)
    assert F.resize(x, 10, max_size=15).shape == (3, 7, 15)
    assert F.resize(ember.zeros(3, 40, 20), 10).shape == (3, 20, 10)


def test_resize_same_size_returns_input():
    x = t(F32)
    assert F.resize(x, [9, 11]) is x


def test_resize_errors():
    with pytest.raises(ValueError, match="1 or 2 element"):
        F.resize(ember.zeros(3, 4, 4), [1, 2, 3])
    with pytest.raises(ValueError, match="max_size should only be passed"):
        F.resize(ember.zeros(3, 4, 4), [2, 2], max_size=5)
    with pytest.raises(ValueError, match="must be strictly greater"):
        F.resize(ember.zeros(3, 4, 4), 5, max_size=5)
    with pytest.raises(TypeError, match="InterpolationMode"):
        F.resize(ember.zeros(3, 4, 4), 2, interpolation=object())
    with pytest.raises(ValueError, match="not supported for tensors"):
        F.resize(ember.zeros(3, 4, 4), 2, interpolation=IM.LANCZOS)


# ------------------------------------------------------------------ crop / pad / flip

def test_crop_center_crop_and_out_of_bounds_padding():
    a = np.arange(25, dtype=np.float32).reshape(1, 5, 5)
    assert np.array_equal(F.crop(t(a), 1, 2, 2, 3).numpy(), a[:, 1:3, 2:5])
    assert np.array_equal(F.center_crop(t(a), 3).numpy(), a[:, 1:4, 1:4])
    out = F.crop(t(a), -1, -1, 3, 3).numpy()
    ref = np.pad(a, ((0, 0), (1, 0), (1, 0)))[:, :3, :3]
    assert np.array_equal(out, ref)
    big = F.center_crop(t(a), [7, 8]).numpy()
    assert np.array_equal(big, np.pad(a, ((0, 0), (1, 1), (1, 2))))


@pytest.mark.parametrize("mode,np_mode", [("constant", "constant"), ("edge", "edge"),
                                          ("reflect", "reflect"), ("symmetric", "symmetric")])
def test_pad_modes_match_numpy(mode, np_mode):
    out = F.pad(t(U8), [1, 2, 3, 4], padding_mode=mode)
    ref = np.pad(U8, ((0, 0), (0, 0), (2, 4), (1, 3)), mode=np_mode)
    assert out.dtype == ember.uint8
    assert np.array_equal(out.numpy(), ref)


def test_pad_fill_and_negative_padding():
    out = F.pad(t(F32), [2, 1], fill=0.5)
    assert np.array_equal(out.numpy(), np.pad(F32, ((0, 0), (0, 0), (1, 1), (2, 2)),
                                              constant_values=0.5))
    out = F.pad(t(F32), [-1, 1, 2, -2], padding_mode="edge")
    ref = np.pad(F32[..., :-2, 1:], ((0, 0), (0, 0), (1, 0), (0, 2)), mode="edge")
    assert np.array_equal(out.numpy(), ref)


def test_pad_errors():
    with pytest.raises(ValueError, match="1, 2, or 4 element"):
        F.pad(t(F32), [1, 2, 3])
    with pytest.raises(ValueError, match="constant, edge, reflect or symmetric"):
        F.pad(t(F32), 1, padding_mode="wrap")
    with pytest.raises(TypeError, match="padding"):
        F.pad(t(F32), 1.5)
    with pytest.raises(ValueError, match="smaller than the image"):
        F.pad(t(F32), 20, padding_mode="reflect")


def test_flips_and_five_ten_crop():
    assert np.array_equal(F.hflip(t(U8)).numpy(), U8[..., ::-1])
    assert np.array_equal(F.vflip(t(U8)).numpy(), U8[..., ::-1, :])
    crops = F.five_crop(t(U8), [4, 5])
    refs = [U8[..., :4, :5], U8[..., :4, -5:], U8[..., -4:, :5], U8[..., -4:, -5:],
            U8[..., 2:6, 3:8]]
    for c, r in zip(crops, refs, strict=True):
        assert np.array_equal(c.numpy(), r)
    ten = F.ten_crop(t(U8), [4, 5])
    assert len(ten) == 10 and np.array_equal(ten[5].numpy(), U8[..., ::-1][..., :4, :5])
    with pytest.raises(ValueError, match="bigger than input size"):
        F.five_crop(t(U8), 20)


# ------------------------------------------------------------------ grid transforms

def test_rotate_90_nearest_equals_rot90():
    a = RNG.integers(0, 256, size=(3, 6, 6), dtype=np.uint8)
    out = F.rotate(t(a), 90.0)
    assert np.array_equal(out.numpy(), np.rot90(a, 1, axes=(1, 2)))


def test_rotate_expand_grows_canvas():
    out = F.rotate(ember.ones(1, 4, 8), 90.0, expand=True)
    assert out.shape == (1, 8, 4)


def test_affine_integer_translation_shifts_and_fills():
    a = RNG.random((1, 5, 6)).astype(np.float32)
    out = F.affine(t(a), 0.0, [2, 1], 1.0, 0.0, fill=7.0).numpy()
    ref = np.full_like(a, 7.0)
    ref[:, 1:, 2:] = a[:, :-1, :-2]
    assert np.array_equal(out, ref)


def test_perspective_identity_points_keep_image():
    pts = [[0, 0], [10, 0], [10, 8], [0, 8]]
    out = F.perspective(t(F32), pts, pts)
    assert_close(out, t(F32), atol=1e-5, rtol=0)


def test_grid_transform_errors():
    with pytest.raises(ValueError, match="interpolation"):
        F.rotate(t(F32), 10, interpolation=IM.BICUBIC)
    with pytest.raises(ValueError, match="scale should be positive"):
        F.affine(t(F32), 0, [0, 0], 0.0, 0)
    with pytest.raises(ValueError, match="fill"):
        F.rotate(t(F32), 10, fill=[1.0, 2.0])


def test_gaussian_blur_matches_numpy_convolution():
    a = RNG.random((1, 7, 8))
    out = F.gaussian_blur(t(a), [3, 5], [0.8, 1.2]).numpy()
    def k1(n, s):
        x = np.arange(n) - (n - 1) / 2
        k = np.exp(-0.5 * (x / s) ** 2)
        return k / k.sum()
    kx, ky = k1(3, 0.8), k1(5, 1.2)
    p = np.pad(a[0], ((2, 2), (1, 1)), mode="reflect")
    ref = np.zeros((7, 8))
    for i in range(5):
        for j in range(3):
            ref += ky[i] * kx[j] * p[i:i + 7, j:j + 8]
    assert np.abs(out[0] - ref).max() < 1e-12


def test_gaussian_blur_errors():
    with pytest.raises(ValueError, match="odd and positive"):
        F.gaussian_blur(t(F32), 4)
    with pytest.raises(ValueError, match="positive values"):
        F.gaussian_blur(t(F32), 3, -1.0)


# ------------------------------------------------------------------ dtype / normalize

def test_convert_image_dtype_hand_values():
    u = ember.tensor([0, 128, 255], dtype=ember.uint8)
    assert_close(F.convert_image_dtype(u, ember.float32),
                 ember.tensor([0.0, 128 / 255, 1.0]))
    f = ember.tensor([0.0, 0.5, 1.0])
    assert F.convert_image_dtype(f, ember.uint8).tolist() == [0, 127, 255]
    assert F.convert_image_dtype(u, ember.int32).tolist() == [0, 128 * 2**23, 255 * 2**23]
    big = ember.tensor([0, 2**31 - 1], dtype=ember.int32)
    assert F.convert_image_dtype(big, ember.uint8).tolist() == [0, 255]
    assert F.convert_image_dtype(f, ember.float32) is f
    with pytest.raises(RuntimeError, match="cannot be performed safely"):
        F.convert_image_dtype(f, ember.int32)
    with pytest.raises(TypeError, match="Tensor"):
        F.convert_image_dtype(np.zeros(3), ember.uint8)


def test_normalize_per_channel_and_no_mutation():
    x = t(F32.copy())
    out = F.normalize(x, [0.1, 0.2, 0.3], [0.5, 0.25, 2.0])
    ref = (F32.astype(np.float64) - np.array([0.1, 0.2, 0.3])[:, None, None]) / \
        np.array([0.5, 0.25, 2.0])[:, None, None]
    assert_close(out, t(ref.astype(np.float32)), atol=1e-6, rtol=1e-6)
    assert np.array_equal(x.numpy(), F32)
    y = t(F32.copy())
    assert F.normalize(y, [0.5] * 3, [0.5] * 3, inplace=True) is y


def test_normalize_outside_and_inside_a_graph_agree():
    # outside a graph normalize runs as numpy passes; with a graph as ember ops
    rng = np.random.default_rng(4)
    x = rng.random((2, 3, 5, 4)).astype(np.float32)
    mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
    ref = (x.astype(np.float64) - np.array(mean)[:, None, None]) / np.array(std)[:, None, None]
    plain = F.normalize(t(x), mean, std)
    xg = t(x).requires_grad_()
    graph = F.normalize(xg, mean, std)
    assert plain.dtype == graph.dtype == ember.float32 and not plain.requires_grad
    assert_close(plain, t(ref.astype(np.float32)), atol=1e-6, rtol=1e-6)
    assert np.array_equal(plain.numpy(), graph.detach().numpy())
    graph.sum().backward()
    assert_close(xg.grad, t(np.broadcast_to(1 / np.array(std, np.float32)[:, None, None],
                                            x.shape).copy()))
    with ember.no_grad():
        assert not F.normalize(xg, mean, std).requires_grad
    with pytest.raises(RuntimeError, match="size of tensor"):  # does not broadcast
        F.normalize(t(x), [0.5] * 4, [0.5] * 4)


def test_normalize_errors():
    with pytest.raises(TypeError, match="float tensor"):
        F.normalize(t(U8), [0.5] * 3, [0.5] * 3)
    with pytest.raises(ValueError, match="std evaluated to zero"):
        F.normalize(t(F32), [0.5] * 3, [0.5, 0.0, 0.5])
    with pytest.raises(ValueError, match=r"\(..., C, H, W\)"):
        F.normalize(ember.zeros(4, 4), [0.5], [0.5])
    with pytest.raises(TypeError, match="Tensor Image"):
        F.normalize(F32, [0.5], [0.5])


# ------------------------------------------------------------------ colour

def test_grayscale_brightness_contrast_saturation_reference():
    a = F32.astype(np.float64)
    g = _gray_ref(a)
    assert_close(F.rgb_to_grayscale(t(F32)), t(g[:, None].astype(np.float32)), atol=1e-6,
                 rtol=0)
    assert_close(F.adjust_brightness(t(F32), 1.5), t(np.clip(1.5 * a, 0, 1).astype(np.float32)),
                 atol=1e-6, rtol=0)
    mean = g.mean(axis=(-2, -1), keepdims=True)[:, None]
    ref = np.clip(0.3 * a + 0.7 * mean, 0, 1)
    assert_close(F.adjust_contrast(t(F32), 0.3), t(ref.astype(np.float32)), atol=1e-6, rtol=0)
    ref = np.clip(1.7 * a - 0.7 * g[:, None], 0, 1)
    assert_close(F.adjust_saturation(t(F32), 1.7), t(ref.astype(np.float32)), atol=1e-6, rtol=0)


def test_uint8_blend_truncates():
    u = ember.tensor([[[100, 101]]], dtype=ember.uint8)
    # 1.5 * 101 = 151.5 -> 151 (truncated like torchvision)
    assert F.adjust_brightness(u, 1.5).tolist() == [[[150, 151]]]


def test_adjust_hue_matches_colorsys():
    a = RNG.random((3, 4, 5))
    out = F.adjust_hue(t(a.astype(np.float32)), 0.2).numpy()
    ref = np.empty_like(a)
    for i in range(4):
        for j in range(5):
            h, s, v = colorsys.rgb_to_hsv(*a[:, i, j])
            ref[:, i, j] = colorsys.hsv_to_rgb((h + 0.2) % 1.0, s, v)
    assert np.abs(out - ref).max() < 1e-5


def test_gamma_invert_posterize_solarize():
    a = F32.astype(np.float64)
    assert_close(F.adjust_gamma(t(F32), 2.0, 0.9),
                 t(np.clip(0.9 * a ** 2, 0, 1).astype(np.float32)), atol=1e-6, rtol=0)
    assert np.array_equal(F.invert(t(U8)).numpy(), 255 - U8)
    assert np.array_equal(F.posterize(t(U8), 3).numpy(), U8 & 0b11100000)
    assert np.array_equal(F.solarize(t(U8), 128).numpy(), np.where(U8 >= 128, 255 - U8, U8))
    with pytest.raises(TypeError, match="uint8"):
        F.posterize(t(F32), 3)
    with pytest.raises(TypeError, match="Threshold"):
        F.solarize(t(F32), 2.0)
    with pytest.raises(ValueError, match="hue_factor"):
        F.adjust_hue(t(F32), 0.7)
    with pytest.raises(ValueError, match="brightness_factor"):
        F.adjust_brightness(t(F32), -1)
    with pytest.raises(TypeError, match="permitted channel values"):
        F.adjust_brightness(ember.zeros(2, 4, 4), 1.0)


def test_autocontrast_and_sharpness_reference():
    a = F32.astype(np.float64)
    lo, hi = a.min(axis=(-2, -1), keepdims=True), a.max(axis=(-2, -1), keepdims=True)
    assert_close(F.autocontrast(t(F32)), t(((a - lo) / (hi - lo)).astype(np.float32)),
                 atol=1e-5, rtol=0)
    const = ember.full((1, 3, 3), 0.5)
    assert F.autocontrast(const).tolist() == const.tolist()
    k = np.ones((3, 3)) / 13.0
    k[1, 1] = 5 / 13.0
    blur = a.copy()
    inner = sum(k[i, j] * a[..., i:i + 7, j:j + 9] for i in range(3) for j in range(3))
    blur[..., 1:-1, 1:-1] = inner
    ref = np.clip(2.0 * a - blur, 0, 1)
    assert_close(F.adjust_sharpness(t(F32), 2.0), t(ref.astype(np.float32)), atol=1e-5, rtol=0)


def test_equalize_matches_pillow():
    from PIL import Image, ImageOps
    a = RNG.integers(40, 120, size=(3, 16, 16), dtype=np.uint8)
    ref = np.asarray(ImageOps.equalize(Image.fromarray(a.transpose(1, 2, 0)))).transpose(2, 0, 1)
    assert np.array_equal(F.equalize(t(a)).numpy(), ref)


# ------------------------------------------------------------------ kernel invariants

KERNELS = [
    ("resize", lambda x: F.resize(x, [5, 7])),
    ("resize_bicubic", lambda x: F.resize(x, [12, 15], IM.BICUBIC)),
    ("pad", lambda x: F.pad(x, [1, 2], padding_mode="reflect")),
    ("crop", lambda x: F.crop(x, 1, 2, 4, 5)),
    ("rotate", lambda x: F.rotate(x, 30.0, IM.BILINEAR)),
    ("affine", lambda x: F.affine(x, 10.0, [1, 2], 1.1, [3.0, 2.0])),
    ("perspective", lambda x: F.perspective(x, [[0, 0], [10, 0], [10, 8], [0, 8]],
                                            [[1, 1], [9, 0], [10, 7], [0, 8]])),
    ("gaussian_blur", lambda x: F.gaussian_blur(x, 3, 1.0)),
    ("brightness", lambda x: F.adjust_brightness(x, 1.3)),
    ("contrast", lambda x: F.adjust_contrast(x, 0.7)),
    ("saturation", lambda x: F.adjust_saturation(x, 0.4)),
    ("hue", lambda x: F.adjust_hue(x, -0.3)),
    ("gamma", lambda x: F.adjust_gamma(x, 0.8)),
    ("sharpness", lambda x: F.adjust_sharpness(x, 0.5)),
    ("invert", F.invert),
    ("solarize", lambda x: F.solarize(x, 0.5 if x.dtype.is_floating_point else 128)),
    ("autocontrast", F.autocontrast),
    ("grayscale", F.rgb_to_grayscale),
]


@pytest.mark.parametrize("name,fn", KERNELS, ids=[k[0] for k in KERNELS])
@pytest.mark.parametrize("dtype", ["uint8", "float32"])
def test_kernel_keeps_dtype_batches_and_does_not_mutate(name, fn, dtype):
    a = U8 if dtype == "uint8" else F32
    x = t(a.copy())
    out = fn(x)
    assert out.dtype == x.dtype
    assert np.array_equal(x.numpy(), a)
    single = np.stack([fn(t(a[i].copy())).numpy() for i in range(a.shape[0])])
    assert np.allclose(out.numpy().astype(np.float64), single.astype(np.float64), atol=1e-6)
    five_d = fn(t(a[None].copy()))
    assert five_d.shape == (1, *out.shape)


def test_equalize_and_posterize_batched():
    out = F.equalize(t(U8))
    single = np.stack([F.equalize(t(U8[i])).numpy() for i in range(2)])
    assert np.array_equal(out.numpy(), single)


def test_erase_copy_and_inplace():
    x = ember.zeros(3, 4, 4)
    out = F.erase(x, 1, 1, 2, 2, ember.ones(3, 1, 1))
    assert float(out.sum()) == 12.0 and float(x.sum()) == 0.0
    assert F.erase(x, 0, 0, 1, 1, 5.0, inplace=True) is x and float(x[0, 0, 0]) == 5.0
    with pytest.raises(TypeError, match="Tensor Image"):
        F.erase(np.zeros((3, 4, 4)), 0, 0, 1, 1, 0)


def test_dimensions_helpers():
    assert F.get_dimensions(ember.zeros(2, 3, 4, 5)) == [3, 4, 5]
    assert F.get_image_size(ember.zeros(3, 4, 5)) == [5, 4]
    assert F.get_image_num_channels(ember.zeros(4, 5)) == 1
    with pytest.raises(TypeError, match="PIL Image or Tensor"):
        F.get_dimensions([1, 2])
