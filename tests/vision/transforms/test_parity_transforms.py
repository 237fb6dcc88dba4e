"""embervision transforms/io/utils against torchvision (parity session: EMBER_PARITY=1)."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image

import ember

torch = pytest.importorskip("torch") if os.environ.get("EMBER_PARITY") else None

pytestmark = [pytest.mark.parity,
              pytest.mark.skipif(torch is None,
                                 reason="parity tests run in the parity session (EMBER_PARITY=1 "
                                        "with PyTorch installed)")]


@pytest.fixture
def tv(torchvision):
    return torchvision


RNG = np.random.default_rng(0)
U8 = RNG.integers(0, 256, size=(2, 3, 17, 23), dtype=np.uint8)
F32 = (U8 / 255.0).astype(np.float32)
SP = [[0, 0], [22, 0], [22, 16], [0, 16]]
EP = [[2, 1], [20, 3], [21, 15], [1, 14]]

# (name, call(F, InterpolationMode, x) -> output, tolerance for uint8, for float32)
CASES = [
    ("resize_down_bilinear", lambda F, IM, x: F.resize(x, [9, 11], IM.BILINEAR), 0, 1e-5),
    ("resize_down_bicubic", lambda F, IM, x: F.resize(x, [9, 11], IM.BICUBIC), 0, 1e-5),
    ("resize_up_bicubic", lambda F, IM, x: F.resize(x, [30, 40], IM.BICUBIC), 0, 1e-5),
    ("resize_up_bilinear", lambda F, IM, x: F.resize(x, [30, 40], IM.BILINEAR,
                                                     antialias=False), 1, 1e-5),
    ("resize_nearest", lambda F, IM, x: F.resize(x, [30, 10], IM.NEAREST), 0, 0),
    ("resize_nearest_exact", lambda F, IM, x: F.resize(x, [7, 40], IM.NEAREST_EXACT), 0, 0),
    ("center_crop", lambda F, IM, x: F.center_crop(x, [30, 10]), 0, 0),
    ("pad_reflect", lambda F, IM, x: F.pad(x, [1, 2, 3, 4], padding_mode="reflect"), 0, 0),
    ("pad_symmetric", lambda F, IM, x: F.pad(x, [-1, 2, 3, -4], padding_mode="symmetric"), 0,
     0),
    ("crop_outside", lambda F, IM, x: F.crop(x, -2, 3, 30, 5), 0, 0),
    ("brightness", lambda F, IM, x: F.adjust_brightness(x, 1.3), 0, 1e-6),
    ("contrast", lambda F, IM, x: F.adjust_contrast(x, 0.6), 0, 1e-6),
    ("saturation", lambda F, IM, x: F.adjust_saturation(x, 1.7), 0, 1e-6),
    ("hue", lambda F, IM, x: F.adjust_hue(x, 0.2), 0, 1e-5),
    ("gamma", lambda F, IM, x: F.adjust_gamma(x, 0.7, 1.1), 0, 1e-6),
    ("sharpness", lambda F, IM, x: F.adjust_sharpness(x, 1.8), 0, 1e-6),
    ("invert", lambda F, IM, x: F.invert(x), 0, 0),
    ("autocontrast", lambda F, IM, x: F.autocontrast(x), 1, 1e-6),
    ("grayscale", lambda F, IM, x: F.rgb_to_grayscale(x, 3), 0, 1e-6),
    ("rotate", lambda F, IM, x: F.rotate(x, 33.0), 0, 0),
    ("rotate_expand_fill", lambda F, IM, x: F.rotate(x, 33.0, IM.BILINEAR, True,
                                                     fill=[0.5, 0.2, 0.1]), 1, 1e-5),
    ("affine", lambda F, IM, x: F.affine(x, 20.0, [2, 3], 1.2, [5.0, 3.0]), 0, 0),
    ("affine_bilinear", lambda F, IM, x: F.affine(x, 20.0, [2, 3], 1.2, [5.0, 3.0],
                                                  IM.BILINEAR, fill=1.0), 1, 1e-5),
    ("perspective", lambda F, IM, x: F.perspective(x, SP, EP), 1, 1e-5),
    ("gaussian_blur", lambda F, IM, x: F.gaussian_blur(x, [3, 5], [0.8, 1.3]), 0, 1e-6),
    ("elastic", lambda F, IM, x: F.elastic_transform(x, _disp(x), IM.BILINEAR, fill=[0.5] * 3),
     0, 1e-5),
]


def _disp(x):
    """A fixed displacement field in the library of ``x``."""
    d = (np.random.default_rng(1).random((1, 17, 23, 2)) * 0.2 - 0.1).astype(np.float32)
    return ember.from_numpy(d) if isinstance(x, ember.Tensor) else torch.from_numpy(d)


def _run(lib_f, lib_im, arr, to_tensor, call):
    return np.asarray(call(lib_f, lib_im, to_tensor(arr)).numpy(), dtype=np.float64)


@pytest.mark.parametrize("name,call,tol_u8,tol_f", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("dtype", ["uint8", "float32"])
def test_tensor_functional_matches_torchvision(tv, name, call, tol_u8, tol_f, dtype):
    import torchvision.transforms.functional as TF

    import embervision.transforms.functional as F
    arr = U8 if dtype == "uint8" else F32
    ours = _run(F, F.InterpolationMode, arr, ember.from_numpy, call)
    ref = _run(TF, TF.InterpolationMode, arr, torch.from_numpy, call)
    assert ours.shape == ref.shape
    assert np.abs(ours - ref).max() <= (tol_u8 if dtype == "uint8" else tol_f)


@pytest.mark.parametrize("fn", ["posterize", "solarize", "equalize"])
def test_uint8_only_kernels_match_torchvision(tv, fn):
    import torchvision.transforms.functional as TF

    import embervision.transforms.functional as F
    args = {"posterize": (3,), "solarize": (100,), "equalize": ()}[fn]
    ours = getattr(F, fn)(ember.from_numpy(U8), *args).numpy()
    ref = getattr(TF, fn)(torch.from_numpy(U8), *args).numpy()
    assert np.array_equal(ours, ref)


def test_conversions_and_normalize_match_torchvision(tv):
    import torchvision.transforms.functional as TF

    import embervision.transforms.functional as F
    img = Image.fromarray(U8[0].transpose(1, 2, 0))
    assert np.array_equal(F.to_tensor(img).numpy(), TF.to_tensor(img).numpy())
    assert np.array_equal(F.pil_to_tensor(img).numpy(), TF.pil_to_tensor(img).numpy())
    x = ember.from_numpy(F32)
    t = torch.from_numpy(F32)
    assert np.array_equal(np.asarray(F.to_pil_image(x[0])), np.asarray(TF.to_pil_image(t[0])))
    out = F.normalize(x, [0.4, 0.5, 0.6], [0.2, 0.3, 0.4]).numpy()
    ref = TF.normalize(t, [0.4, 0.5, 0.6], [0.2, 0.3, 0.4]).numpy()
    assert np.abs(out - ref).max() < 1e-6
    for e_dt, t_dt in [(ember.uint8, torch.uint8), (ember.int16, torch.int16)]:
        assert np.array_equal(F.convert_image_dtype(x, e_dt).numpy(),
                              TF.convert_image_dtype(t, t_dt).numpy())


@pytest.mark.parametrize("name", ["resize", "center_crop", "pad", "rotate", "affine", "hue",
                                  "gamma", "blur", "perspective"])
def test_pil_functional_matches_torchvision(tv, name):
    import torchvision.transforms.functional as TF

    import embervision.transforms.functional as F
    img = Image.fromarray(U8[0].transpose(1, 2, 0))
    calls = {
        "resize": lambda M: M.resize(img, [9, 11]),
        "center_crop": lambda M: M.center_crop(img, 30),
        "pad": lambda M: M.pad(img, [1, 2, 3, 4], 0, "reflect"),
        "rotate": lambda M: M.rotate(img, 30.0),
        "affine": lambda M: M.affine(img, 20.0, [2, 3], 1.2, [5.0, 3.0]),
        "hue": lambda M: M.adjust_hue(img, 0.2),
        "gamma": lambda M: M.adjust_gamma(img, 0.7),
        "blur": lambda M: M.gaussian_blur(img, 5),
        "perspective": lambda M: M.perspective(img, SP, EP),
    }
    assert np.array_equal(np.asarray(calls[name](F)), np.asarray(calls[name](TF)))


def test_v2_boxes_match_torchvision(tv):
    from torchvision import tv_tensors as ttv
    from torchvision.transforms.v2 import functional as TF2

    from embervision import tv_tensors as etv
    from embervision.transforms.v2 import functional as F2
    data = [[2.0, 3.0, 12.0, 9.0], [20.0, 1.0, 29.0, 18.0]]
    eb = etv.BoundingBoxes(data, format="XYXY", canvas_size=(20, 30))
    tb = ttv.BoundingBoxes(data, format="XYXY", canvas_size=(20, 30))
    cases = [
        lambda M: M.horizontal_flip(b), lambda M: M.vertical_flip(b),
        lambda M: M.crop(b, 2, 3, 10, 20), lambda M: M.resize(b, [40, 15]),
        lambda M: M.pad(b, [1, 2, 3, 4]), lambda M: M.affine(b, 30.0, [2, 1], 1.1, [5.0, 0.0]),
        lambda M: M.rotate(b, 45.0, expand=True), lambda M: M.center_crop(b, [10, 10]),
        lambda M: M.perspective(b, [[0, 0], [29, 0], [29, 19], [0, 19]],
                                [[3, 2], [27, 1], [28, 18], [1, 17]]),
    ]
    for case in cases:
        b = eb
        ours = case(F2)
        b = tb
        ref = case(TF2)
        assert tuple(ours.canvas_size) == tuple(ref.canvas_size)
        assert np.abs(ours.numpy() - ref.numpy()).max() < 1e-3
    for fmt in ("XYWH", "CXCYWH"):
        ours = F2.convert_bounding_box_format(eb, "XYXY", fmt).numpy()
        ref = TF2.convert_bounding_box_format(tb, new_format=fmt).numpy()
        assert np.allclose(ours, ref)


def test_utils_match_torchvision(tv):
    import torchvision.utils as TU

    import embervision.utils as U
    x = F32[:, :, :8, :8]
    assert np.allclose(U.make_grid(ember.from_numpy(x), nrow=1, padding=3, pad_value=0.3).numpy(),
                       TU.make_grid(torch.from_numpy(x), nrow=1, padding=3,
                                    pad_value=0.3).numpy())
    img = U8[0]
    boxes = [[1, 2, 10, 12], [5, 5, 20, 15]]
    ours = U.draw_bounding_boxes(ember.from_numpy(img), ember.tensor(boxes), width=2,
                                 fill=True).numpy()
    ref = TU.draw_bounding_boxes(torch.from_numpy(img), torch.tensor(boxes), width=2,
                                 fill=True).numpy()
    assert np.array_equal(ours, ref)
    masks = RNG.random((2, 17, 23)) > 0.5
    ours = U.draw_segmentation_masks(ember.from_numpy(img), ember.from_numpy(masks), 0.6)
    ref = TU.draw_segmentation_masks(torch.from_numpy(img), torch.from_numpy(masks), 0.6)
    assert np.abs(ours.numpy().astype(int) - ref.numpy().astype(int)).max() <= 1


def _classes(T, F32_ratio):
    """Deterministic (fixed-parameter) instances of the v1 classes in namespace ``T``."""
    return [
        T.Resize((9, 11)), T.Resize(8, max_size=12), T.CenterCrop(10), T.Pad([1, 2], 3, "edge"),
        T.Grayscale(3), T.RandomHorizontalFlip(1.0), T.RandomVerticalFlip(1.0),
        T.RandomInvert(1.0), T.RandomPosterize(4, 1.0), T.RandomSolarize(128, 1.0),
        T.RandomAdjustSharpness(2.0, 1.0), T.RandomAutocontrast(1.0), T.RandomEqualize(1.0),
        T.GaussianBlur(3, sigma=(1.0, 1.0)), T.ColorJitter(brightness=(1.3, 1.3)),
        T.RandomRotation((30, 30)), T.RandomAffine((20, 20), scale=(1.2, 1.2),
                                                   shear=(5, 5, 3, 3)),
        T.RandomResizedCrop(8, scale=(1.0, 1.0), ratio=(F32_ratio, F32_ratio)),
    ]


def test_v1_classes_with_fixed_parameters_match_torchvision(tv):
    import torchvision.transforms as TT

    import embervision.transforms as T
    ratio = 23 / 17
    for ours, ref in zip(_classes(T, ratio), _classes(TT, ratio), strict=True):
        e = ours(ember.from_numpy(U8[0].copy())).numpy().astype(np.float64)
        t = ref(torch.from_numpy(U8[0].copy())).numpy().astype(np.float64)
        assert e.shape == t.shape, type(ours).__name__
        assert np.abs(e - t).max() <= 1, type(ours).__name__


def test_v2_classes_move_boxes_like_torchvision(tv):
    from torchvision import tv_tensors as ttv
    from torchvision.transforms import v2 as TV2

    from embervision import tv_tensors as etv
    from embervision.transforms import v2 as EV2

    def make(V):
        return [V.Resize((40, 30)), V.CenterCrop((12, 14)), V.Pad([1, 2, 3, 4]),
                V.RandomHorizontalFlip(1.0), V.RandomVerticalFlip(1.0),
                V.RandomRotation((30, 30), expand=True), V.RandomAffine((10, 10),
                                                                        scale=(0.9, 0.9)),
                V.ConvertBoundingBoxFormat("CXCYWH"), V.ClampBoundingBoxes()]

    data = [[2.0, 3.0, 12.0, 9.0], [15.0, 1.0, 22.0, 16.0]]
    mask = (np.arange(17 * 23).reshape(1, 17, 23) % 7 == 0).astype(np.uint8)
    for ours, ref in zip(make(EV2), make(TV2), strict=True):
        e = ours(etv.Image(ember.from_numpy(U8[0].copy())),
                 etv.BoundingBoxes(data, format="XYXY", canvas_size=(17, 23)),
                 etv.Mask(ember.from_numpy(mask)))
        t = ref(ttv.Image(torch.from_numpy(U8[0].copy())),
                ttv.BoundingBoxes(data, format="XYXY", canvas_size=(17, 23)),
                ttv.Mask(torch.from_numpy(mask)))
        name = type(ours).__name__
        assert np.abs(e[0].numpy().astype(int) - t[0].numpy().astype(int)).max() <= 1, name
        assert np.abs(e[1].numpy() - t[1].numpy()).max() < 1e-3, name
        assert tuple(e[1].canvas_size) == tuple(t[1].canvas_size), name
        assert np.array_equal(e[2].numpy(), t[2].numpy()), name


@pytest.mark.parametrize("dtype", ["float32", "float64", "uint8", "int16"])
def test_v2_posterize_equalize_all_dtypes_match_torchvision(tv, dtype):
    from torchvision.transforms.v2 import functional as TF2

    from embervision.transforms.v2 import functional as F2
    arr = {"float32": F32, "float64": F32.astype(np.float64), "uint8": U8,
           "int16": U8.astype(np.int16) * 128 + 5}[dtype]
    for bits in range(9):
        ours = F2.posterize(ember.from_numpy(arr.copy()), bits).numpy()
        ref = TF2.posterize(torch.from_numpy(arr.copy()), bits).numpy()
        assert ours.dtype == ref.dtype and np.array_equal(ours, ref), bits
    ours = F2.equalize(ember.from_numpy(arr.copy())).numpy()
    ref = TF2.equalize(torch.from_numpy(arr.copy())).numpy()
    assert ours.dtype == ref.dtype and np.array_equal(ours, ref)
    with pytest.raises(TypeError) as e_ours:
        F2.posterize(ember.from_numpy(arr.copy()), 9)
    with pytest.raises(TypeError) as e_ref:
        TF2.posterize(torch.from_numpy(arr.copy()), 9)
    assert str(e_ours.value) == str(e_ref.value)


@pytest.mark.parametrize("fmt", ["XYXY", "XYWH", "CXCYWH"])
@pytest.mark.parametrize("dtype", ["float32", "int64"])
def test_v2_elastic_boxes_and_masks_match_torchvision(tv, fmt, dtype):
    from torchvision import tv_tensors as ttv
    from torchvision.transforms.v2 import functional as TF2

    from embervision import tv_tensors as etv
    from embervision.transforms.v2 import functional as F2
    disp = ((RNG.random((1, 17, 23, 2)) - 0.5) * 0.4).astype(np.float32)
    data = np.array([[1.3, 2.2, 9.7, 12.1], [-3.0, 4.0, 30.0, 16.0], [12.0, 3.0, 8.0, 9.0]],
                    np.float32).astype(dtype)
    ours = F2.elastic(etv.BoundingBoxes(ember.from_numpy(data), format=fmt,
                                        canvas_size=(17, 23)), ember.from_numpy(disp))
    ref = TF2.elastic(ttv.BoundingBoxes(torch.from_numpy(data), format=fmt,
                                        canvas_size=(17, 23)), torch.from_numpy(disp))
    assert ours.dtype == getattr(ember, dtype) and tuple(ours.canvas_size) == ref.canvas_size
    assert np.abs(ours.numpy().astype(np.float64) - ref.numpy()).max() <= 1e-5
    mask = (np.arange(17 * 23).reshape(17, 23) % 5 == 0).astype(np.uint8)
    ours = F2.elastic(etv.Mask(ember.from_numpy(mask)), ember.from_numpy(disp))
    ref = TF2.elastic(ttv.Mask(torch.from_numpy(mask)), torch.from_numpy(disp))
    assert np.array_equal(ours.numpy(), ref.numpy())


@pytest.mark.parametrize("name", ["AutoAugment", "RandAugment", "TrivialAugmentWide", "AugMix"])
def test_v2_autoaugment_refuses_boxes_and_masks_like_torchvision(tv, name):
    from torchvision import tv_tensors as ttv
    from torchvision.transforms import v2 as TV2

    from embervision import tv_tensors as etv
    from embervision.transforms import v2 as EV2

    def samples(T, lib):
        img = T.Image(lib.from_numpy(U8[0].copy()))
        return [(img, T.BoundingBoxes([[1, 1, 5, 5]], format="XYXY", canvas_size=(17, 23))),
                (img, T.Mask(lib.from_numpy(np.zeros((17, 23), np.uint8)))),
                ({"label": 3},), (img, T.Image(lib.from_numpy(U8[1].copy())))]

    for ours_in, ref_in in zip(samples(etv, ember), samples(ttv, torch), strict=True):
        with pytest.raises(TypeError) as e_ours:
            getattr(EV2, name)()(*ours_in)
        with pytest.raises(TypeError) as e_ref:
            getattr(TV2, name)()(*ref_in)
        assert str(e_ours.value) == str(e_ref.value)


@pytest.mark.parametrize("dtype", ["float32", "uint8"])
def test_v2_autoaugment_ops_on_any_dtype_match_torchvision(tv, dtype):
    from torchvision.transforms import v2 as TV2

    from embervision.transforms.v2._augment import _policy_op
    arr = F32[0] if dtype == "float32" else U8[0]
    ref_aug = TV2.AutoAugment()
    for op, mags in [("Posterize", [8, 6, 4]), ("Equalize", [0.0]),
                     ("Solarize", [1.0, 0.6, 0.0])]:
        for m in mags:
            ours = _policy_op(ember.from_numpy(arr.copy()), op, m * 255.0 if op == "Solarize"
                              else m, None, None).numpy()
            ref = ref_aug._apply_image_or_video_transform(
                torch.from_numpy(arr.copy()), op, m, interpolation=ref_aug.interpolation,
                fill=ref_aug._fill).numpy()
            assert ours.dtype == ref.dtype and np.array_equal(ours, ref), (op, m)
