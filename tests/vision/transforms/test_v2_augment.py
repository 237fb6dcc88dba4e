"""v2 photometric/scale augmentations, auto-augment on samples, and videos."""

import numpy as np
import pytest

import ember
from embervision import tv_tensors as tv
from embervision.transforms import v2
from embervision.transforms import v2 as T2
from embervision.transforms.v2 import functional as F

RNG = np.random.default_rng(5)
U8 = RNG.integers(0, 256, size=(3, 20, 30), dtype=np.uint8)


def _img():
    return tv.Image(ember.from_numpy(U8.copy()))


def test_random_channel_permutation_permutes_channels():
    ember.manual_seed(0)
    out = v2.RandomChannelPermutation()(_img()).numpy()
    perms = [p for p in ([0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0])
             if np.array_equal(out, U8[p])]
    assert len(perms) == 1


def test_photometric_distort_p0_is_identity_and_p1_changes_image():
    img = _img()
    assert np.array_equal(v2.RandomPhotometricDistort(p=0.0)(img).numpy(), U8)
    ember.manual_seed(1)
    out = v2.RandomPhotometricDistort(p=1.0)(img)
    assert isinstance(out, tv.Image) and not np.array_equal(out.numpy(), U8)
    boxes = tv.BoundingBoxes([[1, 1, 5, 5]], format="XYXY", canvas_size=(20, 30))
    assert v2.RandomPhotometricDistort(p=1.0)(img, boxes)[1] is boxes


def test_scale_transforms_sizes():
    img = _img()
    boxes = tv.BoundingBoxes([[0.0, 0.0, 30.0, 20.0]], format="XYXY", canvas_size=(20, 30))
    ember.manual_seed(2)
    out, b = v2.RandomShortestSize([10, 40], max_size=45)(img, boxes)
    assert min(out.shape[-2:]) in (10, 30) and max(out.shape[-2:]) <= 45
    assert b.canvas_size == tuple(out.shape[-2:])
    assert b.tolist() == [[0.0, 0.0, float(out.shape[-1]), float(out.shape[-2])]]
    out = v2.RandomResize(8, 12)(img)
    assert 8 <= min(out.shape[-2:]) < 12
    out = v2.ScaleJitter((40, 60), scale_range=(1.0, 1.0))(img)
    # torchvision convention: r = min(target[1] / h, target[0] / w) = min(3, 4/3)
    assert tuple(out.shape[-2:]) == (26, 40)
    with pytest.raises(ValueError, match="min_size"):
        v2.RandomResize(5, 5)


@pytest.mark.parametrize("cls", [T2.AutoAugment, T2.RandAugment, T2.TrivialAugmentWide])
def test_v2_autoaugment_only_touches_the_image(cls):
    ember.manual_seed(3)
    img = _img()
    labels = ember.tensor([1, 2])
    out_img, out_labels, extra = cls()(img, labels, "meta")
    assert isinstance(out_img, tv.Image) and out_img.shape == (3, 20, 30)
    assert out_labels is labels and extra == "meta"
    plain = cls()(ember.from_numpy(U8.copy()))
    assert type(plain) is ember.Tensor and plain.shape == (3, 20, 30)
    with pytest.raises(TypeError, match="only properly defined for a single image or video, "
                                        "but found 2"):
        cls()(img, _img())
    with pytest.raises(TypeError, match="Found no image in the sample"):
        cls()({"label": 3})


@pytest.mark.parametrize("cls", [T2.AutoAugment, T2.RandAugment, T2.TrivialAugmentWide,
                                 T2.AugMix])
@pytest.mark.parametrize("other", ["boxes", "mask"])
def test_v2_autoaugment_refuses_boxes_and_masks(cls, other):
    img = _img()
    extra = (tv.BoundingBoxes([[1, 1, 5, 5]], format="XYXY", canvas_size=(20, 30))
             if other == "boxes" else tv.Mask(ember.zeros(20, 30, dtype=ember.uint8)))
    name = type(extra).__name__
    with pytest.raises(TypeError, match=f"Inputs of type {name} are not supported by "
                                        rf"{cls.__name__}\(\)"):
        cls()(img, extra)
    # the check runs leaf by leaf, before the image count (a sample without image included)
    with pytest.raises(TypeError, match=f"Inputs of type {name}"):
        cls()({"target": extra})


def test_videos_are_transformed_frame_wise():
    frames = RNG.random((4, 3, 12, 16)).astype(np.float32)
    video = tv.Video(ember.from_numpy(frames))
    out = v2.Resize((6, 8))(video)
    assert isinstance(out, tv.Video) and out.shape == (4, 3, 6, 8)
    for i in range(4):
        assert np.allclose(out.numpy()[i], F.resize(ember.from_numpy(frames[i]), [6, 8]).numpy())
    flipped = v2.RandomHorizontalFlip(1.0)(video)
    assert np.array_equal(flipped.numpy(), frames[..., ::-1])
    assert v2.ColorJitter(brightness=0.5)(video).shape == video.shape


def test_elastic_transform_zero_displacement_is_identity_and_shift():
    import embervision.transforms as T
    import embervision.transforms.functional as F1
    x = ember.from_numpy(U8.copy())
    zero = ember.zeros(1, 20, 30, 2)
    assert np.array_equal(F1.elastic_transform(x, zero, F1.InterpolationMode.NEAREST).numpy(),
                          U8)
    # a displacement of exactly 2 pixels in x (2 * 2 / W in grid units) shifts the image left
    shift = ember.zeros(1, 20, 30, 2)
    shift[..., 0] = 4.0 / 30
    out = F1.elastic_transform(x, shift, F1.InterpolationMode.NEAREST, fill=0).numpy()
    assert np.array_equal(out[:, :, :-2], U8[:, :, 2:]) and (out[:, :, -2:] == 0).all()
    with pytest.raises(ValueError, match="displacement shape"):
        F1.elastic_transform(x, ember.zeros(1, 5, 5, 2))
    ember.manual_seed(0)
    big = ember.rand(3, 64, 64)
    d = T.ElasticTransform.get_params([50.0, 50.0], [5.0, 5.0], [64, 64])
    assert d.shape == (1, 64, 64, 2)
    assert T.ElasticTransform()(big).shape == big.shape
    img, mask = v2.ElasticTransform()(tv.Image(big), tv.Mask(ember.zeros(1, 64, 64)))
    assert isinstance(img, tv.Image) and isinstance(mask, tv.Mask)
    img, boxes = v2.ElasticTransform()(tv.Image(big), tv.BoundingBoxes(
        [[0, 0, 1, 1]], format="XYXY", canvas_size=(64, 64)))
    assert isinstance(boxes, tv.BoundingBoxes) and boxes.shape == (1, 4)
    with pytest.raises(ValueError, match="non-negative"):
        T.ElasticTransform(alpha=-1.0)
