"""AutoAugment / RandAugment / TrivialAugmentWide: op table, magnitudes, reproducibility."""

import math

import numpy as np
import pytest
from PIL import Image

import ember
import embervision.transforms as T
import embervision.transforms.functional as F
from embervision.transforms.autoaugment import _apply_op, _space

RNG = np.random.default_rng(4)
U8 = RNG.integers(0, 256, size=(3, 12, 16), dtype=np.uint8)
X = ember.from_numpy(U8)
NEAREST = F.InterpolationMode.NEAREST


def test_magnitude_tables():
    space = _space(10, 331, 662)
    assert np.allclose(space["ShearX"][0], np.linspace(0, 0.3, 10))
    assert space["TranslateX"][0][-1] == pytest.approx(300.0)
    assert space["TranslateY"][0][-1] == pytest.approx(150.0)
    assert space["Posterize"][0].tolist() == [8, 8, 7, 7, 6, 6, 5, 5, 4, 4]
    assert space["Solarize"][0][0] == 255.0 and space["Solarize"][0][-1] == 0.0
    wide = _space(31, 0, 0, wide=True)
    assert wide["Rotate"][0][-1] == 135.0 and wide["Posterize"][0][-1] == 2
    assert list(space)[0] == "Identity" and "Invert" not in space


def test_apply_op_matches_functionals():
    shear = _apply_op(X, "ShearX", 0.3, NEAREST, None)
    ref = F.affine(X, 0.0, [0, 0], 1.0, [math.degrees(math.atan(0.3)), 0.0], NEAREST,
                   center=[0, 0])
    assert np.array_equal(shear.numpy(), ref.numpy())
    tx = _apply_op(X, "TranslateX", 3.7, NEAREST, [0.0, 0.0, 0.0]).numpy()
    assert np.array_equal(tx[:, :, 3:], U8[:, :, :-3]) and (tx[:, :, :3] == 0).all()
    assert np.array_equal(_apply_op(X, "Brightness", -0.5, NEAREST, None).numpy(),
                          F.adjust_brightness(X, 0.5).numpy())
    assert np.array_equal(_apply_op(X, "Posterize", 4.0, NEAREST, None).numpy(), U8 & 0xF0)
    assert _apply_op(X, "Identity", 0.0, NEAREST, None) is X
    with pytest.raises(ValueError, match="not recognized"):
        _apply_op(X, "Blur", 1.0, NEAREST, None)


@pytest.mark.parametrize("make", [lambda: T.AutoAugment(),
                                  lambda: T.AutoAugment(T.AutoAugmentPolicy.CIFAR10),
                                  lambda: T.AutoAugment(T.AutoAugmentPolicy.SVHN, fill=0),
                                  lambda: T.RandAugment(), lambda: T.TrivialAugmentWide()])
@pytest.mark.parametrize("kind", ["tensor", "pil"])
def test_reproducible_and_shape_preserving(make, kind):
    tr = make()
    inp = X if kind == "tensor" else Image.fromarray(U8.transpose(1, 2, 0))
    ember.manual_seed(11)
    a = [tr(inp) for _ in range(8)]
    ember.manual_seed(11)
    b = [tr(inp) for _ in range(8)]
    for u, v in zip(a, b, strict=True):
        assert np.array_equal(np.asarray(u.numpy() if kind == "tensor" else u),
                              np.asarray(v.numpy() if kind == "tensor" else v))
    if kind == "tensor":
        assert all(u.shape == X.shape and u.dtype == ember.uint8 for u in a)
    assert np.array_equal(X.numpy(), U8)


def test_autoaugment_params_and_errors():
    ember.manual_seed(0)
    pid, probs, signs = T.AutoAugment.get_params(25)
    assert 0 <= pid < 25 and all(0 <= p < 1 for p in probs) and set(signs) <= {0, 1}
    assert len(T.AutoAugment().policies) == 25
    with pytest.raises(ValueError, match="not recognized"):
        T.AutoAugment(policy="imagenet")
    with pytest.raises(ValueError, match="magnitude must be in"):
        T.RandAugment(magnitude=31)
