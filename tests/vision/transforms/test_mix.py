"""AugMix (v1 and v2), v2 MixUp and CutMix: numpy float64 references with the random
parameters fixed, soft labels, reproducibility, errors; parity tests against torchvision."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image

import ember
from embervision import tv_tensors as tv
from embervision.transforms import AugMix, _sampling, v2
from embervision.transforms import autoaugment as aa
from embervision.transforms.v2 import _mix

torch = pytest.importorskip("torch") if os.environ.get("EMBER_PARITY") else None

RNG = np.random.default_rng(11)
U8 = RNG.integers(0, 256, size=(2, 3, 10, 12), dtype=np.uint8)
F64 = RNG.random((2, 3, 10, 12))

# AugMix op indices in torchvision's order
OPS = ["ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate", "Posterize", "Solarize",
       "AutoContrast", "Equalize", "Brightness", "Color", "Contrast", "Sharpness"]
POSTERIZE, SOLARIZE = OPS.index("Posterize"), OPS.index("Solarize")


def _script(monkeypatch, values):
    """Make every AugMix draw (depth, op, severity bin, sign) return the next scripted value."""
    it = iter(values)
    monkeypatch.setattr(aa, "_randint", lambda n: next(it))
    monkeypatch.setattr(aa, "_randint_range", lambda lo, hi: next(it))
    monkeypatch.setattr(aa, "_rand", lambda: next(it))
    return it


def _fixed_dirichlet(*rows):
    """A ``_sample_dirichlet`` replacement returning the given (N, K) weights in call order."""
    it = iter(rows)
    calls = []

    def sample(params):
        calls.append(params.numpy().copy())
        w = np.asarray(next(it), dtype=np.float32)
        assert w.shape == tuple(params.shape)
        return ember.from_numpy(w)

    return sample, calls


def _posterize_ref(x, bits):
    return x & np.uint8((0xFF << (8 - bits)) & 0xFF)


def _solarize_ref(x, threshold, bound):
    return np.where(x >= threshold, bound - x, x)


# ------------------------------------------------------------------------------ AugMix (v1)
def test_augmix_matches_reference_with_fixed_draws(monkeypatch):
    t = AugMix(severity=3, mixture_width=3, chain_depth=2)
    # dyadic weights keep the float32 blend exact
    t._sample_dirichlet, calls = _fixed_dirichlet([[0.5, 0.5]] * 2,
                                                  [[0.5, 0.25, 0.25], [0.25, 0.5, 0.25]])
    # chain 1: Posterize bin 2 (3 bits), Solarize bin 1; chain 2: Solarize bin 0, Posterize bin 0;
    # chain 3: Posterize bin 1 twice (4 bits)
    it = _script(monkeypatch, [POSTERIZE, 2, SOLARIZE, 1, SOLARIZE, 0, POSTERIZE, 0,
                               POSTERIZE, 1, POSTERIZE, 1])
    img = ember.from_numpy(U8.copy())
    out = t(img)
    assert next(it, None) is None
    x = U8.astype(np.int64)
    thr1 = 255.0 - 255.0 / 9.0  # linspace(255, 0, 10)[1]
    c1 = _solarize_ref(_posterize_ref(U8, 3).astype(np.int64), thr1, 255)
    c2 = _posterize_ref(_solarize_ref(x, 255.0, 255).astype(np.uint8), 4)
    c3 = _posterize_ref(U8, 4)
    w = np.array([[0.5, 0.25, 0.25], [0.25, 0.5, 0.25]]) * 0.5
    ref = 0.5 * x + sum(w[:, i, None, None, None] * c for i, c in enumerate((c1, c2, c3)))
    assert out.dtype == ember.uint8
    np.testing.assert_array_equal(out.numpy(), np.floor(ref).astype(np.uint8))
    np.testing.assert_array_equal(img.numpy(), U8)  # input untouched
    # the concentrations: (N, 2) then (N, mixture_width), all alpha
    np.testing.assert_array_equal(calls[0], np.ones((2, 2)))
    np.testing.assert_array_equal(calls[1], np.ones((2, 3)))


def test_augmix_one_weight_set_per_leading_item_and_image_gets_batch_of_one(monkeypatch):
    t = AugMix(mixture_width=1, chain_depth=1, alpha=0.5)
    t._sample_dirichlet, calls = _fixed_dirichlet([[0.75, 0.25]], [[1.0]])
    _script(monkeypatch, [POSTERIZE, 0])  # 4 bits
    out = t(ember.from_numpy(U8[0].copy()))
    ref = 0.75 * U8[0] + 0.25 * _posterize_ref(U8[0], 4)
    np.testing.assert_array_equal(out.numpy(), np.floor(ref).astype(np.uint8))
    np.testing.assert_array_equal(calls[0], np.full((1, 2), 0.5))


def test_augmix_stochastic_depth_draws_one_to_three(monkeypatch):
    seen = []
    monkeypatch.setattr(aa, "_randint_range", lambda lo, hi: seen.append((lo, hi)) or 1)
    ember.manual_seed(0)
    AugMix(mixture_width=4)(ember.from_numpy(U8.copy()))
    assert seen == [(1, 4)] * 4


def test_augmix_sign_and_magnitude_table(monkeypatch):
    space = aa._augmix_space(10, 30, 60, all_ops=True, v2=False)
    assert list(space) == OPS
    np.testing.assert_allclose(space["TranslateX"][0], np.linspace(0, 20.0, 10), rtol=1e-6)
    np.testing.assert_allclose(space["TranslateY"][0], np.linspace(0, 10.0, 10), rtol=1e-6)
    np.testing.assert_allclose(space["Solarize"][0], np.linspace(255, 0, 10), rtol=1e-6)
    np.testing.assert_array_equal(space["Posterize"][0], [4, 4, 3, 3, 2, 2, 1, 1, 0, 0])
    assert space["AutoContrast"][0] is None and not space["Posterize"][1]
    assert list(aa._augmix_space(10, 8, 8, all_ops=False, v2=True)) == OPS[:9]
    np.testing.assert_allclose(aa._augmix_space(10, 8, 8, False, True)["Solarize"][0],
                               np.linspace(1, 0, 10), rtol=1e-6)
    # a signed op draws the sign after the bin: ShearX bin 2, negative -> shear -atan(1/15)
    got = []
    monkeypatch.setattr(aa, "_apply_op", lambda img, name, mag, *a: got.append((name, mag)) or img)
    t = AugMix(mixture_width=1, chain_depth=1)
    t._sample_dirichlet, _ = _fixed_dirichlet([[0.5, 0.5]], [[1.0]])
    _script(monkeypatch, [0, 2, 1])
    t(ember.from_numpy(U8[0].copy()))
    assert got[0][0] == "ShearX" and got[0][1] == pytest.approx(-0.3 * 2 / 9, rel=1e-6)


def test_augmix_reproducible_under_manual_seed_and_keeps_dtype():
    img = ember.from_numpy(U8.copy())
    ember.manual_seed(3)
    a = AugMix()(img)
    ember.manual_seed(3)
    b = AugMix()(img)
    ember.manual_seed(4)
    c = AugMix()(img)
    assert a.dtype == ember.uint8 and tuple(a.shape) == U8.shape
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.array_equal(a.numpy(), c.numpy())
    np.testing.assert_array_equal(img.numpy(), U8)


def test_augmix_pil_roundtrip_and_repr():
    ember.manual_seed(0)
    pil = Image.fromarray(np.ascontiguousarray(U8[0].transpose(1, 2, 0)))
    out = AugMix(fill=0)(pil)
    assert isinstance(out, Image.Image) and out.size == pil.size and out.mode == "RGB"
    r = repr(AugMix(severity=2, all_ops=False))
    assert r.startswith("AugMix(") and "severity=2" in r and "all_ops=False" in r


@pytest.mark.parametrize("cls", [AugMix, v2.AugMix])
@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(severity=0), ValueError, "severity must be between"),
    (dict(severity=11), ValueError, "severity must be between"),
    (dict(alpha=0.0), ValueError, "alpha must be a finite number > 0"),
    (dict(alpha=-1.0), ValueError, "alpha must be a finite number > 0"),
    (dict(alpha=float("nan")), ValueError, "alpha must be a finite number > 0"),
    (dict(alpha="1"), TypeError, "alpha must be a number"),
    (dict(mixture_width=0), ValueError, "mixture_width must be an integer >= 1"),
])
def test_augmix_argument_errors(cls, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        cls(**kwargs)


def test_augmix_rejects_non_images():
    with pytest.raises(TypeError, match="expected an image of shape"):
        AugMix()(ember.zeros(5, dtype=ember.uint8))


# ------------------------------------------------------------------------------ AugMix (v2)
def test_v2_augmix_float_reference_solarize_scaled_to_dtype(monkeypatch):
    t = v2.AugMix(mixture_width=2, chain_depth=1)
    t._sample_dirichlet, _ = _fixed_dirichlet([[0.3, 0.7]], [[0.6, 0.4]])
    # chain 1: Solarize bin 2 (threshold 7/9 on [0, 1]); chain 2: Posterize bin 2 (3 bits)
    _script(monkeypatch, [SOLARIZE, 2, POSTERIZE, 2])
    x = F64[0]
    out = t(tv.Image(ember.from_numpy(x.copy())))
    assert isinstance(out, tv.Image) and out.dtype == ember.float64
    c1 = _solarize_ref(x, 7.0 / 9.0, 1.0)
    c2 = np.clip(np.floor(x * 8), 0, 7) / 8
    # the weights are float32 (as torch's Dirichlet draws), the blend is float64
    ref = np.float32(0.3) * x + np.float32(np.float32(0.6) * np.float32(0.7)) * c1 \
        + np.float32(np.float32(0.4) * np.float32(0.7)) * c2
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-12, atol=1e-12)


def _equalize_ref(u8):
    """PIL's equalize per channel: lut = (cumhist + step // 2) // step, step from the
    non-max pixels (unchanged when step == 0)."""
    out = u8.copy()
    for c in range(u8.shape[0]):
        ch = u8[c].ravel()
        hist = np.bincount(ch, minlength=256)
        step = (ch.size - hist[np.nonzero(hist)[0][-1]]) // 255
        if step:
            lut = np.concatenate([[0], np.clip((np.cumsum(hist)[:-1] + step // 2) // step, 0,
                                               255)])
            out[c] = lut[u8[c]]
    return out


def test_v2_augmix_float_equalize_goes_through_uint8(monkeypatch):
    t = v2.AugMix(mixture_width=1, chain_depth=1)
    t._sample_dirichlet, _ = _fixed_dirichlet([[0.0, 1.0]], [[1.0]])
    _script(monkeypatch, [OPS.index("Equalize")])
    x = RNG.uniform(0.2, 0.4, (3, 40, 40))
    out = t(ember.from_numpy(x.copy())).numpy()
    u8 = np.floor(x * (256 - 1e-3)).astype(np.uint8)  # float -> uint8 with scaling
    np.testing.assert_allclose(out, _equalize_ref(u8) / 255.0, rtol=0, atol=1e-12)
    assert out.min() == 0.0 and out.max() == 1.0


def test_v2_augmix_uint8_and_sign_from_uniform(monkeypatch):
    got = []
    monkeypatch.setattr(aa, "_apply_op", lambda img, name, mag, *a: got.append((name, mag)) or img)
    t = v2.AugMix(mixture_width=2, chain_depth=1)
    t._sample_dirichlet, _ = _fixed_dirichlet([[0.5, 0.5]], [[0.5, 0.5]])
    # Rotate bin 1 with uniform 0.5 (<= 0.5 -> negative); Rotate bin 1 with 0.75 (positive)
    _script(monkeypatch, [4, 1, 0.5, 4, 1, 0.75])
    out = t(ember.from_numpy(U8[0].copy()))
    assert got == [("Rotate", pytest.approx(-30 / 9)), ("Rotate", pytest.approx(30 / 9))]
    assert out.dtype == ember.uint8
    np.testing.assert_array_equal(out.numpy(), U8[0])  # identity ops, weights sum to 1


def test_v2_augmix_video_weights_per_video_and_sample_structure():
    ember.manual_seed(0)
    vid = tv.Video(ember.from_numpy(RNG.integers(0, 256, (2, 3, 3, 8, 8), dtype=np.uint8)))
    t = v2.AugMix()
    shapes = []
    orig = t._sample_dirichlet
    t._sample_dirichlet = lambda p: shapes.append(tuple(p.shape)) or orig(p)
    out = t({"video": vid, "label": 3})
    assert isinstance(out["video"], tv.Video) and out["label"] == 3
    assert tuple(out["video"].shape) == (2, 3, 3, 8, 8) and out["video"].dtype == ember.uint8
    assert shapes == [(2, 2), (2, 3)]


def test_v2_augmix_sample_errors_and_pil():
    img = tv.Image(ember.from_numpy(U8[0].copy()))
    boxes = tv.BoundingBoxes([[0, 0, 2, 2]], format="XYXY", canvas_size=(10, 12))
    with pytest.raises(TypeError, match="BoundingBoxes are not supported by AugMix"):
        v2.AugMix()(img, boxes)
    with pytest.raises(TypeError, match="Mask are not supported by AugMix"):
        v2.AugMix()(img, tv.Mask(ember.zeros(10, 12)))
    with pytest.raises(TypeError, match="Found no image in the sample"):
        v2.AugMix()({"a": 1})
    with pytest.raises(TypeError, match="single image or video, but found 2"):
        v2.AugMix()(img, img)
    ember.manual_seed(1)
    pil = Image.fromarray(np.ascontiguousarray(U8[0].transpose(1, 2, 0)))
    out, lab = v2.AugMix(fill={tv.Image: 0, "others": 0})(pil, 7)
    assert isinstance(out, Image.Image) and lab == 7


# ------------------------------------------------------------------------------- samplers
def test_beta_and_dirichlet_samplers_statistics_and_seed():
    ember.manual_seed(0)
    draws = np.array([_sampling.sample_beta(0.5) for _ in range(20000)])
    assert ((draws >= 0) & (draws <= 1)).all()
    assert abs(draws.mean() - 0.5) < 0.01
    assert abs(draws.var() - 1 / 8) < 0.005  # Beta(a, a): 1 / (4 (2a + 1))
    w = _sampling.sample_dirichlet(ember.full((20000, 3), 2.0))
    assert w.dtype == ember.float32 and tuple(w.shape) == (20000, 3)
    wn = w.numpy().astype(np.float64)
    np.testing.assert_allclose(wn.sum(1), 1.0, atol=1e-6)
    np.testing.assert_allclose(wn.mean(0), 1 / 3, atol=0.01)
    assert abs(wn[:, 0].var() - (1 / 3) * (2 / 3) / 7) < 0.003  # a_i (a0 - a_i) / (a0^2 (a0+1))
    mixed = _sampling.sample_dirichlet(ember.tensor([[1.0, 1.0], [5.0, 1.0]]))
    np.testing.assert_allclose(mixed.numpy().sum(1), 1.0, atol=1e-6)
    ember.manual_seed(9)
    a = (_sampling.sample_beta(2.0), _sampling.sample_dirichlet(ember.ones(2, 4)).numpy())
    ember.manual_seed(9)
    b = (_sampling.sample_beta(2.0), _sampling.sample_dirichlet(ember.ones(2, 4)).numpy())
    assert a[0] == b[0] and np.array_equal(a[1], b[1])
    with pytest.raises(ValueError, match=r"expected \(N, K\) concentrations"):
        _sampling.sample_dirichlet(ember.ones(3))


# ------------------------------------------------------------------------------ MixUp
IMGS = RNG.random((4, 3, 6, 5)).astype(np.float32)
LABELS = np.array([0, 2, 1, 2])


def _onehot(y, k):
    return np.eye(k)[y]


def test_mixup_matches_reference_with_fixed_lambda(monkeypatch):
    t = v2.MixUp(num_classes=3)
    monkeypatch.setattr(t, "_sample_lambda", lambda: 0.3)
    imgs, labels = ember.from_numpy(IMGS.copy()), ember.from_numpy(LABELS.copy())
    out, soft = t(imgs, labels)
    x = IMGS.astype(np.float64)
    ref = 0.3 * x + 0.7 * np.roll(x, 1, 0)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-6, atol=1e-6)
    ref_l = 0.3 * _onehot(LABELS, 3) + 0.7 * _onehot(np.roll(LABELS, 1), 3)
    assert soft.dtype == ember.float32
    np.testing.assert_allclose(soft.numpy(), ref_l, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(soft.numpy().sum(1), 1.0, atol=1e-6)
    # inputs untouched
    np.testing.assert_array_equal(imgs.numpy(), IMGS)
    np.testing.assert_array_equal(labels.numpy(), LABELS)


def test_mixup_soft_labels_carry_the_mixing_weights_and_seeded_lambda():
    ember.manual_seed(5)
    _, soft = v2.MixUp(num_classes=4)(ember.from_numpy(IMGS), ember.tensor([0, 1, 2, 3]))
    ember.manual_seed(5)
    lam = _sampling.sample_beta(1.0)
    s = soft.numpy()
    np.testing.assert_allclose(np.diag(s), lam, rtol=1e-6)
    np.testing.assert_allclose(s[np.arange(4), np.roll(np.arange(4), 1)], 1 - lam, rtol=1e-5)
    ember.manual_seed(5)
    _, again = v2.MixUp(num_classes=4)(ember.from_numpy(IMGS), ember.tensor([0, 1, 2, 3]))
    np.testing.assert_array_equal(again.numpy(), s)


def test_mixup_probability_labels_tvtensors_and_sample_dict(monkeypatch):
    t = v2.MixUp()
    monkeypatch.setattr(t, "_sample_lambda", lambda: 0.25)
    probs = RNG.dirichlet([1, 1, 1], size=4)
    vid = tv.Video(ember.from_numpy(RNG.random((4, 2, 3, 4, 4))))
    out = t({"video": vid, "labels": ember.from_numpy(probs.copy()), "id": "x"})
    assert isinstance(out["video"], tv.Video) and out["id"] == "x"
    v = vid.numpy()
    np.testing.assert_allclose(out["video"].numpy(), 0.25 * v + 0.75 * np.roll(v, 1, 0),
                               rtol=1e-12)
    assert out["labels"].dtype == ember.float64
    np.testing.assert_allclose(out["labels"].numpy(), 0.25 * probs + 0.75 * np.roll(probs, 1, 0),
                               rtol=1e-12)
    got = v2.MixUp(num_classes=3, labels_getter=lambda s: s[1]["y"])(
        ember.from_numpy(IMGS), {"y": ember.from_numpy(LABELS)})
    assert tuple(got[1]["y"].shape) == (4, 3)


def test_mixup_integer_images_refused_like_torch():
    with pytest.raises(RuntimeError, match="can't be cast"):
        v2.MixUp(num_classes=3)(ember.from_numpy(U8[:1].repeat(4, 0)), ember.tensor([0, 1, 2, 0]))


# ------------------------------------------------------------------------------ CutMix
def _fix_cutmix(monkeypatch, t, lam, r_x, r_y):
    monkeypatch.setattr(t, "_sample_lambda", lambda: lam)
    it = iter([r_x, r_y])
    monkeypatch.setattr(_mix._sampling, "randint", lambda low, high: next(it))


@pytest.mark.parametrize("lam, r_x, r_y, box", [
    # r = 0.5 sqrt(1 - lam): 0.3 -> half sides int(0.3 * 12) = 3, int(0.3 * 10) = 3
    (0.64, 3, 8, (0, 5, 6, 10)),
    (0.64, 6, 5, (3, 2, 9, 8)),
    # lam = 0: half sides 6 and 5 -> the box clips at the borders
    (0.0, 11, 0, (5, 0, 12, 5)),
    # lam = 1: empty box, nothing pasted
    (1.0, 4, 4, (4, 4, 4, 4)),
])
def test_cutmix_box_and_adjusted_lambda(monkeypatch, lam, r_x, r_y, box):
    t = v2.CutMix(num_classes=3)
    _fix_cutmix(monkeypatch, t, lam, r_x, r_y)
    imgs = ember.from_numpy(U8[:1].repeat(4, 0) // np.arange(1, 5, dtype=np.uint8)[:, None, None,
                                                                                  None])
    before = imgs.numpy().copy()
    out, soft = t(imgs, ember.from_numpy(LABELS[:4].copy()))
    x1, y1, x2, y2 = box
    ref = before.copy()
    ref[..., y1:y2, x1:x2] = np.roll(before, 1, 0)[..., y1:y2, x1:x2]
    assert out.dtype == ember.uint8
    np.testing.assert_array_equal(out.numpy(), ref)
    np.testing.assert_array_equal(imgs.numpy(), before)
    lam_adj = 1.0 - (x2 - x1) * (y2 - y1) / 120.0
    ref_l = lam_adj * _onehot(LABELS, 3) + (1 - lam_adj) * _onehot(np.roll(LABELS, 1), 3)
    np.testing.assert_allclose(soft.numpy(), ref_l, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(soft.numpy().sum(1), 1.0, atol=1e-6)


def test_cutmix_label_weight_equals_pasted_area_fraction():
    ember.manual_seed(2)
    imgs = ember.from_numpy(np.arange(4, dtype=np.float32)[:, None, None, None]
                            * np.ones((1, 1, 9, 11), np.float32))
    out, soft = v2.CutMix(num_classes=4)(tv.Image(imgs), ember.tensor([0, 1, 2, 3]))
    assert isinstance(out, tv.Image)
    pasted = (out.numpy()[1, 0] == 0).mean()  # sample 1 gets sample 0's pixels
    assert soft.numpy()[1, 0] == pytest.approx(pasted, abs=1e-6)
    assert soft.numpy()[1, 1] == pytest.approx(1 - pasted, abs=1e-6)
    ember.manual_seed(2)
    out2, soft2 = v2.CutMix(num_classes=4)(tv.Image(imgs), ember.tensor([0, 1, 2, 3]))
    np.testing.assert_array_equal(out2.numpy(), out.numpy())
    np.testing.assert_array_equal(soft2.numpy(), soft.numpy())


# ------------------------------------------------------------------------- MixUp/CutMix errors
@pytest.mark.parametrize("cls", [v2.MixUp, v2.CutMix])
def test_mix_errors(cls):
    imgs, labels = ember.from_numpy(IMGS), ember.from_numpy(LABELS)
    for alpha in (0.0, -0.5, float("inf")):
        with pytest.raises(ValueError, match="alpha must be a finite number > 0"):
            cls(alpha=alpha)
    with pytest.raises(ValueError, match="num_classes must be a positive integer"):
        cls(num_classes=0)
    with pytest.raises(ValueError, match="labels_getter should either be 'default'"):
        cls(labels_getter="labels")
    t = cls(num_classes=3)
    boxes = tv.BoundingBoxes([[0, 0, 2, 2]], format="XYXY", canvas_size=(6, 5))
    with pytest.raises(ValueError, match="does not support PIL images, bounding boxes"):
        t(imgs, labels, boxes)
    with pytest.raises(ValueError, match="does not support PIL images, bounding boxes"):
        t({"image": imgs, "labels": labels, "masks": tv.Mask(ember.zeros(4, 6, 5))})
    with pytest.raises(ValueError, match="does not support PIL images"):
        t(Image.new("RGB", (5, 6)), labels)
    with pytest.raises(ValueError, match="must be a dictionary or a two-tuple"):
        t(imgs, [0, 1, 2, 0])
    with pytest.raises(ValueError, match="The labels must be a tensor"):
        cls(num_classes=3, labels_getter=lambda s: [0, 1, 2, 0])(imgs, labels)
    with pytest.raises(ValueError, match="labels should be index based"):
        t(imgs, ember.zeros(4, 3, 1, dtype=ember.int64))
    with pytest.raises(ValueError, match="index-based .1D. labels must be an integer tensor"):
        t(imgs, ember.tensor([0.0, 1.0, 2.0, 0.0]))
    with pytest.raises(ValueError, match="num_classes must be passed"):
        cls()(imgs, labels)
    with pytest.raises(ValueError, match="must match num_classes: 4 != 3"):
        t(imgs, ember.zeros(4, 4))
    with pytest.raises(ValueError, match="does not match the batch size of the labels: 4 != 3"):
        t(imgs, labels[:3])
    with pytest.raises(ValueError, match="Expected a batched input with 4 dims"):
        t(imgs[0], labels)
    with pytest.raises(ValueError, match="Expected a batched input with 5 dims"):
        t(tv.Video(imgs), labels)
    with pytest.raises(ValueError, match="Could not infer where the labels are"):
        t([imgs, {"y": labels}])
    with pytest.raises(RuntimeError, match="Class values must be smaller than num_classes"):
        t(imgs, ember.tensor([0, 1, 2, 3]))
    assert repr(t) == f"{cls.__name__}(alpha=1.0, num_classes=3)"


# ------------------------------------------------------------------------------ parity
@pytest.fixture
def tvm(torchvision):
    return torchvision


def _torch_script(monkeypatch, values):
    """Script torch.randint / torch.rand to return the next value with the requested shape."""
    it = iter(values)

    def randint(*args, size=None, **kw):
        if size is None:
            size = args[-1]
        return torch.full(tuple(size), next(it), dtype=torch.long)

    monkeypatch.setattr(torch, "randint", randint)
    monkeypatch.setattr(torch, "rand", lambda *a, **k: torch.tensor(float(next(it))))


def _augmix_script(op: int, version: str) -> list:
    """Two ops of kind ``op`` (depth-2 chain): bins 2 then 1, signs negative then positive."""
    name = OPS[op]
    if name in ("AutoContrast", "Equalize"):
        return [op, op]
    if name in ("Posterize", "Solarize"):
        return [op, 2, op, 1]
    neg, pos = (1, 0) if version == "v1" else (0.25, 0.75)  # v2: uniform <= 0.5 -> negative
    return [op, 2, neg, op, 1, pos]


@pytest.mark.parity
@pytest.mark.skipif(torch is None, reason="parity session only (EMBER_PARITY=1)")
@pytest.mark.parametrize("op", range(len(OPS)), ids=OPS)
@pytest.mark.parametrize("version", ["v1", "v2", "v2-float"])
def test_parity_augmix(monkeypatch, tvm, op, version):
    floats = version == "v2-float"
    version = version[:2]
    script = _augmix_script(op, version)
    weights = ([[0.5, 0.5], [0.25, 0.75]], [[1.0], [1.0]])
    if version == "v1":
        e = AugMix(mixture_width=1, chain_depth=2)
        t = tvm.transforms.AugMix(mixture_width=1, chain_depth=2)
    else:
        e = v2.AugMix(mixture_width=1, chain_depth=2)
        t = tvm.transforms.v2.AugMix(mixture_width=1, chain_depth=2)
    e._sample_dirichlet, _ = _fixed_dirichlet(*weights)
    it = iter(weights)
    t._sample_dirichlet = lambda p: torch.tensor(next(it), dtype=torch.float32)
    x = (U8 / 255.0).astype(np.float32) if floats else U8
    _script(monkeypatch, script)
    got = e(ember.from_numpy(x.copy())).numpy()
    _torch_script(monkeypatch, script)
    want = t(torch.from_numpy(x.copy())).numpy()
    assert got.dtype == want.dtype
    if floats:
        np.testing.assert_allclose(got, want, rtol=0, atol=2e-6)
        return
    assert np.abs(got.astype(int) - want.astype(int)).max() <= 1
    assert (got == want).mean() > 0.97


@pytest.mark.parity
@pytest.mark.skipif(torch is None, reason="parity session only (EMBER_PARITY=1)")
def test_parity_linspace_tables():
    for start, end in [(0, 0.3), (0, 224 / 3), (0, 30.0), (1.0, 0.0), (255.0, 0.0), (0, 0.9)]:
        np.testing.assert_array_equal(aa._linspace32(start, end, 10),
                                      torch.linspace(start, end, 10).numpy())


@pytest.mark.parity
@pytest.mark.skipif(torch is None, reason="parity session only (EMBER_PARITY=1)")
@pytest.mark.parametrize("lam, r_x, r_y", [(0.3, 2, 7), (0.9, 0, 0), (0.05, 4, 9)])
def test_parity_mixup_cutmix(monkeypatch, tvm, lam, r_x, r_y):
    imgs = RNG.random((4, 3, 10, 5)).astype(np.float32)
    for name in ("MixUp", "CutMix"):
        e = getattr(v2, name)(num_classes=3)
        t = getattr(tvm.transforms.v2, name)(num_classes=3)
        _fix_cutmix(monkeypatch, e, lam, r_x, r_y)
        got = e(ember.from_numpy(imgs.copy()), ember.from_numpy(LABELS.copy()))
        monkeypatch.setattr(t._dist, "sample", lambda shape: torch.tensor(lam))
        draws = iter([r_x, r_y])
        monkeypatch.setattr(torch, "randint",
                            lambda high, size, it=draws: torch.tensor([next(it)]))
        want = t(torch.from_numpy(imgs.copy()), torch.from_numpy(LABELS.copy()))
        np.testing.assert_allclose(got[0].numpy(), want[0].numpy(), rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(got[1].numpy(), want[1].numpy(), rtol=1e-6, atol=1e-7)
