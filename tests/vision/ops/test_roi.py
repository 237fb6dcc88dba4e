"""roi_align / roi_pool / MultiScaleRoIAlign against direct per-sample numpy references."""

import math

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck, gradgradcheck
from embervision import ops


def _bilinear(img, y, x):
    """The bilinear rule of the RoI Align paper's reference kernel, one sample at a time."""
    c, h, w = img.shape
    if y < -1.0 or y > h or x < -1.0 or x > w:
        return np.zeros(c)
    y, x = max(y, 0.0), max(x, 0.0)
    yl, xl = int(math.floor(y)), int(math.floor(x))
    if yl >= h - 1:
        yl = yh = h - 1
        y = float(yl)
    else:
        yh = yl + 1
    if xl >= w - 1:
        xl = xh = w - 1
        x = float(xl)
    else:
        xh = xl + 1
    ly, lx = y - yl, x - xl
    return ((1 - ly) * (1 - lx) * img[:, yl, xl] + (1 - ly) * lx * img[:, yl, xh]
            + ly * (1 - lx) * img[:, yh, xl] + ly * lx * img[:, yh, xh])


def _roi_align_ref(x, rois, ph, pw, scale, sr, aligned):
    out = np.zeros((len(rois), x.shape[1], ph, pw))
    off = 0.5 if aligned else 0.0
    for k, (b, x1, y1, x2, y2) in enumerate(rois):
        sx, sy = x1 * scale - off, y1 * scale - off
        rw, rh = x2 * scale - off - sx, y2 * scale - off - sy
        if not aligned:
            rw, rh = max(rw, 1.0), max(rh, 1.0)
        gh = sr if sr > 0 else math.ceil(rh / ph)
        gw = sr if sr > 0 else math.ceil(rw / pw)
        for i in range(ph):
            for j in range(pw):
                acc = sum(_bilinear(x[int(b)], sy + i * rh / ph + (iy + 0.5) * rh / ph / gh,
                                    sx + j * rw / pw + (ix + 0.5) * rw / pw / gw)
                          for iy in range(gh) for ix in range(gw))
                out[k, :, i, j] = acc / max(gh * gw, 1)
    return out


ROIS = np.array([[0, 1.2, 0.3, 7.7, 5.1], [1, -2.0, -1.5, 12.0, 10.0], [1, 3.0, 3.0, 3.2, 3.1],
                 [0, 8.0, 6.0, 20.0, 12.0], [0, 30.0, 30.0, 40.0, 40.0]])


@pytest.mark.parametrize("sampling_ratio", [-1, 1, 2])
@pytest.mark.parametrize("aligned", [False, True])
def test_roi_align_matches_reference(sampling_ratio, aligned):
    x = np.random.default_rng(0).standard_normal((2, 3, 9, 11))
    got = ops.roi_align(ember.from_numpy(x), ember.from_numpy(ROIS), (3, 2), 0.9,
                        sampling_ratio, aligned)
    ref = _roi_align_ref(x, ROIS, 3, 2, 0.9, sampling_ratio, aligned)
    np.testing.assert_allclose(got.numpy(), ref, rtol=1e-10, atol=1e-12)


def test_roi_align_float32_list_boxes_and_module():
    x = np.random.default_rng(1).standard_normal((2, 4, 8, 8)).astype(np.float32)
    boxes = [ember.tensor([[0.5, 0.5, 6.0, 7.0]]), ember.tensor([[1.0, 2.0, 3.0, 4.0],
                                                                 [0.0, 0.0, 8.0, 8.0]])]
    got = ops.RoIAlign((2, 2), 0.5, 2, aligned=True)(ember.from_numpy(x), boxes)
    assert got.dtype == ember.float32 and tuple(got.shape) == (3, 4, 2, 2)
    rois = np.array([[0, 0.5, 0.5, 6.0, 7.0], [1, 1.0, 2.0, 3.0, 4.0], [1, 0, 0, 8, 8]])
    ref = _roi_align_ref(x.astype(np.float64), rois, 2, 2, 0.5, 2, True)
    np.testing.assert_allclose(got.numpy(), ref, rtol=1e-5, atol=1e-6)


def test_roi_align_by_hand():
    x = ember.arange(16.0).reshape(1, 1, 4, 4)
    # one sample at the box centre (1, 1): pixel value 5
    assert ops.roi_align(x, ember.tensor([[0.0, 0.0, 0.0, 2.0, 2.0]]), 1,
                         sampling_ratio=1).item() == 5.0
    # aligned: the same box's centre moves to (0.5, 0.5): mean of pixels 0, 1, 4, 5
    assert ops.roi_align(x, ember.tensor([[0.0, 0.0, 0.0, 2.0, 2.0]]), 1, sampling_ratio=1,
                         aligned=True).item() == 2.5


def test_roi_align_gradients():
    x = ember.from_numpy(np.random.default_rng(2).standard_normal((1, 2, 5, 6))).requires_grad_()
    rois = ember.tensor([[0, 0.3, 0.6, 4.1, 3.7], [0, 2.0, 1.0, 5.5, 4.5]], dtype=ember.float64)
    for aligned in (False, True):
        def f(t, aligned=aligned):
            return ops.roi_align(t, rois, (2, 3), 1.0, -1, aligned)
        assert gradcheck(f, (x,))
        assert gradgradcheck(f, (x,))


def _roi_pool_ref(x, rois, ph, pw, scale):
    out = np.zeros((len(rois), x.shape[1], ph, pw))
    h, w = x.shape[2:]

    def rnd(v):
        return int(math.floor(abs(v) + 0.5)) * (1 if v >= 0 else -1)
    for k, (b, x1, y1, x2, y2) in enumerate(rois):
        sw, sh, ew, eh = rnd(x1 * scale), rnd(y1 * scale), rnd(x2 * scale), rnd(y2 * scale)
        bh, bw = max(eh - sh + 1, 1) / ph, max(ew - sw + 1, 1) / pw
        for i in range(ph):
            for j in range(pw):
                hs = min(max(math.floor(i * bh) + sh, 0), h)
                he = min(max(math.ceil((i + 1) * bh) + sh, 0), h)
                ws = min(max(math.floor(j * bw) + sw, 0), w)
                we = min(max(math.ceil((j + 1) * bw) + sw, 0), w)
                if he > hs and we > ws:
                    out[k, :, i, j] = x[int(b), :, hs:he, ws:we].reshape(x.shape[1], -1).max(1)
    return out


def test_roi_pool_matches_reference_and_by_hand():
    x = np.random.default_rng(3).standard_normal((2, 3, 9, 11))
    got = ops.roi_pool(ember.from_numpy(x), ember.from_numpy(ROIS), (3, 2), 0.9)
    np.testing.assert_allclose(got.numpy(), _roi_pool_ref(x, ROIS, 3, 2, 0.9), rtol=0, atol=0)
    img = ember.arange(16.0).reshape(1, 1, 4, 4)
    assert ops.RoIPool(2, 1.0)(img, [ember.tensor([[0.0, 0.0, 3.0, 3.0]])]).flatten().tolist() \
        == [5.0, 7.0, 13.0, 15.0]


def test_roi_pool_gradient_goes_to_the_maximum():
    x = ember.from_numpy(np.random.default_rng(4).standard_normal((1, 2, 6, 6))).requires_grad_()
    rois = ember.tensor([[0, 0.0, 0.0, 4.0, 5.0], [0, 1.0, 1.0, 5.0, 3.0]], dtype=ember.float64)
    assert gradcheck(lambda t: ops.roi_pool(t, rois, 2, 1.0), (x,))
    assert gradgradcheck(lambda t: ops.roi_pool(t, rois, 2, 1.0), (x,))


def test_roi_argument_errors():
    x = ember.zeros(1, 1, 4, 4)
    with pytest.raises(ValueError, match=r"boxes must be a Tensor\[K, 5\]"):
        ops.roi_align(x, ember.zeros(2, 4), 2)
    with pytest.raises(ValueError, match=r"must be Tensor\[L, 4\]"):
        ops.roi_pool(x, [ember.zeros(2, 5)], 2)
    with pytest.raises(ValueError, match="batch indices must lie in"):
        ops.roi_align(x, ember.tensor([[1.0, 0, 0, 1, 1]]), 2)
    with pytest.raises(ValueError, match="output_size must be an int or a pair"):
        ops.roi_align(x, ember.tensor([[0.0, 0, 0, 1, 1]]), (1, 2, 3))


def test_multiscale_roi_align_picks_levels():
    rng = np.random.default_rng(5)
    feats = {"p2": ember.from_numpy(rng.standard_normal((1, 2, 32, 32))),
             "p3": ember.from_numpy(rng.standard_normal((1, 2, 16, 16))),
             "skip": ember.zeros(1, 2, 8, 8)}
    small, large = [2.0, 2.0, 30.0, 30.0], [0.0, 0.0, 120.0, 120.0]
    boxes = [ember.tensor([large, small], dtype=ember.float64)]
    m = ops.MultiScaleRoIAlign(["p2", "p3"], 3, 2, canonical_scale=56, canonical_level=3)
    out = m(feats, boxes, [(128, 128)])
    assert m.scales == [0.25, 0.125]
    # level = floor(3 + log2(sqrt(area) / 56)): 120 -> 4 (clamped to 3: p3), 28 -> 2 (p2)
    ref_large = _roi_align_ref(feats["p3"].numpy(), np.array([[0] + large]), 3, 3, 0.125, 2,
                               False)
    ref_small = _roi_align_ref(feats["p2"].numpy(), np.array([[0] + small]), 3, 3, 0.25, 2,
                               False)
    np.testing.assert_allclose(out.numpy(), np.concatenate([ref_large, ref_small]), rtol=1e-10)
    with pytest.raises(ValueError, match="not in the input"):
        ops.MultiScaleRoIAlign(["p9"], 3, 2)(feats, boxes, [(128, 128)])
