"""Box coding, matching and sampling against hand-computed values."""

import math

import numpy as np
import pytest

import ember
from ember import nn
from embervision.models.detection import _utils as det_utils
from embervision.models.detection.roi_heads import fastrcnn_loss
from embervision.models.detection.rpn import concat_box_prediction_layers
from embervision.ops import FrozenBatchNorm2d


def test_encode_hand_math():
    coder = det_utils.BoxCoder((10.0, 10.0, 5.0, 5.0))
    proposals = ember.tensor([[0.0, 0.0, 10.0, 20.0]])
    reference = ember.tensor([[2.0, 4.0, 14.0, 24.0]])
    # centres (5, 10) -> (8, 14); sizes (10, 20) -> (12, 20)
    expected = [10 * 3 / 10, 10 * 4 / 20, 5 * math.log(12 / 10), 5 * math.log(20 / 20)]
    got = coder.encode_single(reference, proposals)
    assert got.dtype == ember.float32
    np.testing.assert_allclose(got.numpy()[0], expected, rtol=1e-6, atol=1e-6)


def test_encode_decode_round_trip_float64():
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 50, (20, 2))
    wh = rng.uniform(1, 40, (20, 2))
    props = np.concatenate([xy, xy + wh], 1)
    xy2 = rng.uniform(0, 50, (20, 2))
    refs = np.concatenate([xy2, xy2 + rng.uniform(1, 40, (20, 2))], 1)
    coder = det_utils.BoxCoder((10.0, 10.0, 5.0, 5.0))
    codes = coder.encode([ember.tensor(refs)], [ember.tensor(props)])
    assert isinstance(codes, tuple) and codes[0].shape == (20, 4)
    back = coder.decode(codes[0], [ember.tensor(props)])
    assert back.shape == (20, 1, 4)
    np.testing.assert_allclose(back.numpy()[:, 0], refs, rtol=1e-10, atol=1e-9)


def test_decode_multiple_classes_and_clip():
    coder = det_utils.BoxCoder((1.0, 1.0, 1.0, 1.0))
    box = ember.tensor([[0.0, 0.0, 10.0, 10.0]])
    codes = ember.tensor([[0.0, 0.0, 0.0, 0.0, 0.5, -0.5, 100.0, math.log(2.0)]])
    out = coder.decode_single(codes, box).numpy().reshape(2, 4)
    np.testing.assert_allclose(out[0], [0, 0, 10, 10], atol=1e-5)
    w = math.exp(math.log(1000.0 / 16)) * 10  # dw clamped at bbox_xform_clip
    cx, cy, h = 5 + 0.5 * 10, 5 - 0.5 * 10, 20.0
    np.testing.assert_allclose(out[1], [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], rtol=1e-5)


def test_decode_type_errors():
    coder = det_utils.BoxCoder((1.0, 1.0, 1.0, 1.0))
    with pytest.raises(TypeError, match="boxes of type list or tuple"):
        coder.decode(ember.zeros(1, 4), ember.zeros(1, 4))
    with pytest.raises(TypeError, match="rel_codes of type"):
        coder.decode([[0.0] * 4], [ember.zeros(1, 4)])


QUALITY = [[0.9, 0.5, 0.1, 0.2],
           [0.1, 0.6, 0.25, 0.05]]


def test_matcher_thresholds():
    m = det_utils.Matcher(0.7, 0.3)
    assert m(ember.tensor(QUALITY)).tolist() == [0, -2, -1, -1]


def test_matcher_low_quality_matches():
    m = det_utils.Matcher(0.7, 0.3, allow_low_quality_matches=True)
    # gt 1's best prediction (column 1, quality 0.6) keeps its match
    assert m(ember.tensor(QUALITY)).tolist() == [0, 1, -1, -1]


def test_matcher_low_quality_ties():
    q = ember.tensor([[0.2, 0.2, 0.1]])
    m = det_utils.Matcher(0.7, 0.3, allow_low_quality_matches=True)
    assert m(q).tolist() == [0, 0, -1]


def test_matcher_errors():
    with pytest.raises(ValueError, match="low_threshold should be <= high_threshold"):
        det_utils.Matcher(0.3, 0.7)
    m = det_utils.Matcher(0.7, 0.3)
    with pytest.raises(ValueError, match="No ground-truth boxes"):
        m(ember.zeros(0, 5))
    with pytest.raises(ValueError, match="No proposal boxes"):
        m(ember.zeros(2, 0))


def test_sampler_counts():
    ember.manual_seed(0)
    s = det_utils.BalancedPositiveNegativeSampler(4, 0.5)
    matched = ember.tensor([1, 2, 1, 0, 0, 0, 0, -1])
    pos, neg = s([matched, ember.tensor([1, 0, 0, 0, 0])])
    p0, n0 = pos[0].numpy(), neg[0].numpy()
    assert pos[0].dtype == ember.uint8
    assert p0.sum() == 2 and n0.sum() == 2
    assert set(np.nonzero(p0)[0]) <= {0, 1, 2} and set(np.nonzero(n0)[0]) <= {3, 4, 5, 6}
    # one positive only: the rest of the batch is negatives
    assert pos[1].tolist() == [1, 0, 0, 0, 0] and neg[1].numpy().sum() == 3


def test_overwrite_eps():
    m = nn.Sequential(FrozenBatchNorm2d(2), nn.Sequential(FrozenBatchNorm2d(3)))
    det_utils.overwrite_eps(m, 0.0)
    assert m[0].eps == 0.0 and m[1][0].eps == 0.0


def test_fastrcnn_loss_hand_values():
    logits = ember.zeros(2, 3, requires_grad=True)
    reg = ember.zeros(2, 12)
    reg[1, 8] = 1.0  # class 2's dx of the positive sample
    reg.requires_grad_(True)
    cls_loss, box_loss = fastrcnn_loss(logits, reg, [ember.tensor([0, 2])], [ember.zeros(2, 4)])
    assert cls_loss.item() == pytest.approx(math.log(3), rel=1e-6)
    # smooth L1 with beta 1/9 at |x| = 1: 1 - beta / 2, summed, over 2 sampled
    assert box_loss.item() == pytest.approx((1 - 0.5 / 9) / 2, rel=1e-6)
    (cls_loss + box_loss).backward()
    assert reg.grad[1, 8].item() == pytest.approx(0.5) and reg.grad[0].abs().sum().item() == 0


def test_concat_box_prediction_layers_order():
    # N=1, A=2 anchors, C=1, H=1, W=2: output ordered by (h, w, anchor)
    cls = ember.arange(4.0).reshape(1, 2, 1, 2)
    reg = ember.arange(16.0).reshape(1, 8, 1, 2)
    c, r = concat_box_prediction_layers([cls], [reg])
    assert c.shape == (4, 1) and c.reshape(-1).tolist() == [0.0, 2.0, 1.0, 3.0]
    # anchor a, location w: channel 4a + k at position w -> value (4a + k) * 2 + w
    expected = [[(4 * a + k) * 2 + w for k in range(4)] for w in range(2) for a in range(2)]
    assert r.tolist() == expected
