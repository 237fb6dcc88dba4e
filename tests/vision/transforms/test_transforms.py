"""v1 transform classes: parameter draws, reproducibility, composition and argument errors."""

import math

import numpy as np
import pytest
from PIL import Image

import ember
import embervision.transforms as T
import embervision.transforms.functional as F

RNG = np.random.default_rng(2)
ARR = RNG.integers(0, 256, size=(24, 32, 3), dtype=np.uint8)
IMG = Image.fromarray(ARR)
X = ember.from_numpy(ARR.transpose(2, 0, 1).copy())


def _eq(a, b):
    if isinstance(a, Image.Image):
        return np.array_equal(np.asarray(a), np.asarray(b))
    return np.array_equal(a.numpy(), b.numpy())


RANDOM = [
    T.RandomResizedCrop(16), T.RandomCrop(10, padding=2), T.RandomHorizontalFlip(),
    T.RandomVerticalFlip(), T.RandomRotation(30), T.RandomAffine(20, (0.1, 0.1), (0.8, 1.2), 10),
    T.RandomPerspective(), T.ColorJitter(0.4, 0.4, 0.4, 0.1), T.RandomGrayscale(0.5),
    T.GaussianBlur(3), T.RandomInvert(), T.RandomPosterize(4), T.RandomSolarize(128),
    T.RandomAdjustSharpness(2.0), T.RandomAutocontrast(), T.RandomEqualize(),
]


@pytest.mark.parametrize("tr", RANDOM, ids=lambda tr: type(tr).__name__)
@pytest.mark.parametrize("kind", ["tensor", "pil"])
def test_manual_seed_makes_random_transforms_reproducible(tr, kind):
    inp = X if kind == "tensor" else IMG
    ember.manual_seed(123)
    a = [tr(inp) for _ in range(3)]
    ember.manual_seed(123)
    b = [tr(inp) for _ in range(3)]
    assert all(_eq(u, v) for u, v in zip(a, b, strict=True))


def test_random_resized_crop_params_respect_scale_and_ratio():
    ember.manual_seed(0)
    for _ in range(50):
        i, j, h, w = T.RandomResizedCrop.get_params(X, (0.2, 0.6), (0.5, 2.0))
        assert 0 <= i <= 24 - h and 0 <= j <= 32 - w
        assert 0.2 * 768 * 0.8 <= h * w <= 0.6 * 768 * 1.25
        assert 0.4 <= w / h <= 2.5


def test_random_resized_crop_draws_come_from_the_global_generator():
    # the parameters are drawn as ember.rand(1, float64) / ember.randint(lo, hi, (1,)) would
    # draw them (the transform uses scalar draws of the same stream): replay them here
    ember.manual_seed(5)
    got = [T.RandomResizedCrop.get_params(X, (0.08, 1.0), (3 / 4, 4 / 3)) for _ in range(20)]
    flips = [T.RandomHorizontalFlip(0.5)(IMG) is IMG for _ in range(20)]
    ember.manual_seed(5)
    want = []
    for _ in range(20):
        for _ in range(10):
            area = 768 * (0.08 + 0.92 * ember.rand(1, dtype=ember.float64).item())
            lo, hi = math.log(3 / 4), math.log(4 / 3)
            ar = math.exp(lo + (hi - lo) * ember.rand(1, dtype=ember.float64).item())
            w, h = round(math.sqrt(area * ar)), round(math.sqrt(area / ar))
            if 0 < w <= 32 and 0 < h <= 24:
                want.append((ember.randint(0, 24 - h + 1, (1,)).item(),
                             ember.randint(0, 32 - w + 1, (1,)).item(), h, w))
                break
    assert got == want
    assert flips == [ember.rand(1).item() >= 0.5 for _ in range(20)]


def test_random_resized_crop_fallback_is_centre_crop_clamped_to_ratio():
    # scale > 1 can never fit: the fallback crops the centre with the ratio bound
    i, j, h, w = T.RandomResizedCrop.get_params(X, (2.0, 3.0), (0.5, 1.0))
    assert (h, w) == (24, 24) and (i, j) == (0, 4)
    out = T.RandomResizedCrop(8, scale=(2.0, 3.0), ratio=(0.5, 1.0))(X)
    assert out.shape == (3, 8, 8)


def test_random_crop_padding_and_pad_if_needed():
    ember.manual_seed(1)
    assert T.RandomCrop(10, padding=2)(X).shape == (3, 10, 10)
    out = T.RandomCrop((30, 40), pad_if_needed=True)(X)
    assert out.shape == (3, 30, 40)
    assert T.RandomCrop.get_params(X, (24, 32)) == (0, 0, 24, 32)
    with pytest.raises(ValueError, match="larger than input image size"):
        T.RandomCrop(40)(X)


def test_flip_probabilities_zero_and_one():
    assert _eq(T.RandomHorizontalFlip(1.0)(X), F.hflip(X))
    assert T.RandomHorizontalFlip(0.0)(X) is X
    assert _eq(T.RandomVerticalFlip(1.0)(IMG), F.vflip(IMG))


def test_flip_frequency_close_to_p():
    ember.manual_seed(7)
    flips = sum(not _eq(T.RandomHorizontalFlip(0.3)(X), X) for _ in range(400))
    assert abs(flips / 400 - 0.3) < 0.07


def test_resize_center_crop_pad_normalize_classes_call_functionals():
    assert _eq(T.Resize((10, 12))(X), F.resize(X, [10, 12]))
    assert _eq(T.CenterCrop(7)(IMG), F.center_crop(IMG, [7, 7]))
    assert _eq(T.Pad(3, fill=5, padding_mode="constant")(X), F.pad(X, 3, 5))
    xf = F.convert_image_dtype(X)
    assert _eq(T.Normalize([0.5] * 3, [0.2] * 3)(xf), F.normalize(xf, [0.5] * 3, [0.2] * 3))
    assert _eq(T.ConvertImageDtype(ember.float32)(X), xf)
    assert T.ToTensor()(IMG).dtype == ember.float32
    assert T.PILToTensor()(IMG).dtype == ember.uint8
    assert T.ToPILImage()(X).size == (32, 24)
    assert T.Grayscale(3)(X).shape == (3, 24, 32)


def test_color_jitter_params_and_identity():
    ember.manual_seed(3)
    idx, b, c, s, h = T.ColorJitter.get_params((0.5, 1.5), None, (1.0, 2.0), (-0.1, 0.1))
    assert sorted(idx) == [0, 1, 2, 3] and c is None
    assert 0.5 <= b <= 1.5 and 1.0 <= s <= 2.0 and -0.1 <= h <= 0.1
    assert T.ColorJitter().brightness is None
    assert T.ColorJitter(brightness=0.5).brightness == (0.5, 1.5)
    assert T.ColorJitter(brightness=2).brightness == (0.0, 3.0)
    assert _eq(T.ColorJitter()(X), X)


def test_color_jitter_errors():
    with pytest.raises(ValueError, match="non negative"):
        T.ColorJitter(brightness=-1)
    with pytest.raises(ValueError, match="should be between"):
        T.ColorJitter(hue=0.8)
    with pytest.raises(TypeError, match="single number or a list/tuple"):
        T.ColorJitter(contrast=[1, 2, 3])


def test_random_erasing_erases_a_rectangle_with_value():
    x = ember.ones(3, 20, 20)
    ember.manual_seed(5)
    out = T.RandomErasing(p=1.0, value=0)(x)
    zeros = (out.numpy() == 0).all(axis=0)
    rows, cols = np.nonzero(zeros)
    assert zeros.sum() == (rows.max() - rows.min() + 1) * (cols.max() - cols.min() + 1)
    assert 0.02 * 400 * 0.5 <= zeros.sum() <= 0.33 * 400 * 1.5
    assert float(x.min()) == 1.0
    rnd = T.RandomErasing(p=1.0, value="random")(x)
    assert rnd.shape == x.shape
    assert T.RandomErasing(p=0.0)(x) is x


def test_random_erasing_errors():
    with pytest.raises(ValueError, match="'random'"):
        T.RandomErasing(value="zeros")
    with pytest.raises(ValueError, match="between 0 and 1"):
        T.RandomErasing(scale=(0.1, 2.0))
    with pytest.raises(ValueError, match="probability"):
        T.RandomErasing(p=1.5)
    with pytest.raises(ValueError, match="number of input channels"):
        T.RandomErasing(p=1.0, value=[1, 2])(ember.ones(3, 8, 8))


def test_random_affine_params():
    ember.manual_seed(4)
    angle, (tx, ty), scale, (sx, sy) = T.RandomAffine.get_params(
        [-10, 10], [0.1, 0.2], [0.9, 1.1], [-5, 5, -3, 3], [32, 24])
    assert -10 <= angle <= 10 and abs(tx) <= 3 and abs(ty) <= 5  # rounded draws
    assert 0.9 <= scale <= 1.1 and -5 <= sx <= 5 and -3 <= sy <= 3
    with pytest.raises(ValueError, match="translation values"):
        T.RandomAffine(0, translate=(2.0, 0.0))
    with pytest.raises(ValueError, match="scale values should be positive"):
        T.RandomAffine(0, scale=(0.0, 1.0))
    with pytest.raises(ValueError, match="must be positive"):
        T.RandomRotation(-5)


def test_random_perspective_points():
    ember.manual_seed(6)
    start, end = T.RandomPerspective.get_params(32, 24, 0.5)
    assert start == [[0, 0], [31, 0], [31, 23], [0, 23]]
    assert 0 <= end[0][0] <= 8 and 0 <= end[0][1] <= 6 and 23 <= end[1][0] <= 31


def test_compose_lambda_random_apply_choice_order():
    c = T.Compose([T.Lambda(lambda x: x + 1), T.Lambda(lambda x: x * 3)])
    assert c(ember.tensor(1)).item() == 6
    assert "Lambda()" in repr(c)
    with pytest.raises(TypeError, match="callable"):
        T.Lambda(3)
    assert T.RandomApply([T.Lambda(lambda x: x + 1)], p=1.0)(ember.tensor(1)).item() == 2
    assert T.RandomApply([T.Lambda(lambda x: x + 1)], p=0.0)(ember.tensor(1)).item() == 1
    out = T.RandomChoice([T.Lambda(lambda x: x + 1), T.Lambda(lambda x: x + 2)])(
        ember.tensor(0)).item()
    assert out in (1, 2)
    out = T.RandomOrder([T.Lambda(lambda x: x * 2), T.Lambda(lambda x: x + 1)])(
        ember.tensor(1)).item()
    assert out in (3, 4)


def test_gaussian_blur_class_and_errors():
    ember.manual_seed(8)
    s = T.GaussianBlur.get_params(0.5, 1.5)
    assert 0.5 <= s <= 1.5
    with pytest.raises(ValueError, match="odd and positive"):
        T.GaussianBlur(4)
    with pytest.raises(ValueError, match="positive"):
        T.GaussianBlur(3, sigma=-1)


def test_size_argument_errors():
    with pytest.raises(TypeError, match="Size should be int or sequence"):
        T.Resize(2.5)
    with pytest.raises(ValueError, match="1 or 2 values"):
        T.Resize([1, 2, 3])
    with pytest.raises(ValueError, match="only two dimensions"):
        T.CenterCrop([1, 2, 3])
    with pytest.raises(ValueError, match="constant, edge, reflect or symmetric"):
        T.Pad(1, padding_mode="wrap")


def test_linear_transformation_whitening():
    x = ember.arange(12.0).reshape(3, 2, 2)
    eye = ember.eye(12)
    out = T.LinearTransformation(eye, ember.ones(12))(x)
    assert np.array_equal(out.numpy(), x.numpy() - 1)
    with pytest.raises(ValueError, match="square"):
        T.LinearTransformation(ember.zeros(3, 4), ember.zeros(3))


def test_standard_imagenet_pipeline_shapes_and_stats():
    ember.manual_seed(0)
    pipe = T.Compose([T.RandomResizedCrop(16), T.RandomHorizontalFlip(), T.ToTensor(),
                      T.Normalize([0.5, 0.5, 0.5], [0.25, 0.25, 0.25])])
    out = pipe(IMG)
    assert out.shape == (3, 16, 16) and out.dtype == ember.float32
    assert math.isfinite(float(out.abs().max()))
    assert float(out.min()) >= -2.0 - 1e-6 and float(out.max()) <= 2.0 + 1e-6
