"""Box utilities against hand-computed boxes and an independent numpy reference."""

import math

import numpy as np
import pytest

import ember
from embervision import ops

A = [[0.0, 0.0, 2.0, 2.0], [1.0, 1.0, 3.0, 3.0], [4.0, 4.0, 5.0, 6.0]]


def _t(x, dtype=ember.float64):
    return ember.tensor(x, dtype=dtype)


def test_box_area_and_iou_by_hand():
    assert ops.box_area(_t(A)).tolist() == [4.0, 4.0, 2.0]
    iou = ops.box_iou(_t(A), _t(A)).numpy()
    # [0] and [1] overlap in a 1x1 square: 1 / (4 + 4 - 1)
    np.testing.assert_allclose(iou, [[1, 1 / 7, 0], [1 / 7, 1, 0], [0, 0, 1]], rtol=1e-12)


def test_iou_keeps_float32_and_upcasts_ints():
    assert ops.box_iou(_t(A, ember.float32), _t(A, ember.float32)).dtype == ember.float32
    assert ops.box_area(ember.tensor([[0, 0, 2, 3]], dtype=ember.int16)).dtype == ember.int32


def test_generalized_distance_complete_iou_by_hand():
    a, b = _t([[0.0, 0.0, 1.0, 1.0]]), _t([[2.0, 0.0, 3.0, 2.0]])
    # enclosing box 3x2 = 6, union 1 + 2 = 3: giou = 0 - (6 - 3) / 6
    assert ops.generalized_box_iou(a, b).item() == pytest.approx(-0.5)
    # centres (0.5, 0.5) and (2.5, 1): d^2 = 4.25; diagonal^2 = 9 + 4 = 13
    assert ops.distance_box_iou(a, b).item() == pytest.approx(-4.25 / 13, rel=1e-6)
    v = 4 / math.pi ** 2 * (math.atan(1 / 2) - math.atan(1.0)) ** 2
    alpha = v / (1 - 0 + v)
    assert ops.complete_box_iou(a, b).item() == pytest.approx(-4.25 / 13 - alpha * v, rel=1e-6)
    same = ops.complete_box_iou(_t(A), _t(A)).numpy().diagonal()
    np.testing.assert_allclose(same, 1.0, rtol=1e-6)


def test_giou_diou_gradients_match_finite_differences():
    a = _t([[0.1, 0.2, 1.3, 1.1]]).requires_grad_()
    b = _t([[0.5, 0.0, 2.0, 1.5]])
    assert ember.autograd.gradcheck(lambda x: ops.generalized_box_iou(x, b), (a,))
    assert ember.autograd.gradcheck(lambda x: ops.distance_box_iou(x, b), (a,))
    # NOTE: complete_box_iou treats alpha as a constant, so its gradient is deliberately not
    # the finite-difference one


def test_box_convert_round_trips_by_hand():
    xyxy = _t([[1.0, 2.0, 4.0, 6.0]])
    assert ops.box_convert(xyxy, "xyxy", "xywh").tolist() == [[1.0, 2.0, 3.0, 4.0]]
    assert ops.box_convert(xyxy, "xyxy", "cxcywh").tolist() == [[2.5, 4.0, 3.0, 4.0]]
    assert ops.box_convert(_t([[2.5, 4.0, 3.0, 4.0]]), "cxcywh", "xywh").tolist() == \
        [[1.0, 2.0, 3.0, 4.0]]
    assert ops.box_convert(_t([[1.0, 2.0, 3.0, 4.0]]), "xywh", "xyxy").tolist() == \
        [[1.0, 2.0, 4.0, 6.0]]
    with pytest.raises(ValueError, match="Unsupported Bounding Box Conversions"):
        ops.box_convert(xyxy, "xyxy", "yxyx")


def test_clip_and_remove_small():
    b = _t([[-1.0, 2.0, 9.0, 12.0], [3.0, -4.0, 5.0, 1.0]])
    assert ops.clip_boxes_to_image(b, (10, 8)).tolist() == [[0.0, 2.0, 8.0, 10.0],
                                                            [3.0, 0.0, 5.0, 1.0]]
    assert ops.remove_small_boxes(_t(A), 1.5).tolist() == [0, 1]
    assert ops.remove_small_boxes(_t(A), 1.0).tolist() == [0, 1, 2]


def _nms_ref(boxes, scores, thr):
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    keep = []
    for i in order:
        ok = True
        for j in keep:
            xa, ya = max(boxes[i][0], boxes[j][0]), max(boxes[i][1], boxes[j][1])
            xb, yb = min(boxes[i][2], boxes[j][2]), min(boxes[i][3], boxes[j][3])
            inter = max(0.0, xb - xa) * max(0.0, yb - ya)
            ai = (boxes[i][2] - boxes[i][0]) * (boxes[i][3] - boxes[i][1])
            aj = (boxes[j][2] - boxes[j][0]) * (boxes[j][3] - boxes[j][1])
            if inter / (ai + aj - inter) > thr:
                ok = False
                break
        if ok:
            keep.append(i)
    return keep


def test_nms_by_hand_and_against_a_reference():
    b = _t([[0.0, 0.0, 2.0, 2.0], [0.1, 0.0, 2.0, 2.0], [3.0, 3.0, 4.0, 4.0]])
    assert ops.nms(b, _t([0.9, 0.8, 0.7]), 0.5).tolist() == [0, 2]
    assert ops.nms(b, _t([0.7, 0.8, 0.9]), 0.5).tolist() == [2, 1]
    assert ops.nms(b, _t([0.9, 0.8, 0.7]), 0.99).tolist() == [0, 1, 2]
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 50, (60, 2))
    boxes = np.concatenate([xy, xy + rng.uniform(1, 20, (60, 2))], 1)
    scores = rng.permutation(60) / 60.0
    for thr in (0.1, 0.3, 0.7):
        got = ops.nms(_t(boxes.tolist()), _t(scores.tolist()), thr)
        assert got.dtype == ember.int64
        assert got.tolist() == _nms_ref(boxes.tolist(), scores.tolist(), thr)
    assert ops.nms(ember.zeros(0, 4), ember.zeros(0), 0.5).tolist() == []
    with pytest.raises(ValueError, match="scores must be a 1-d Tensor of length 3"):
        ops.nms(b, _t([0.9, 0.8]), 0.5)


def test_batched_nms_only_suppresses_within_a_class():
    b = _t([[0.0, 0.0, 2.0, 2.0], [0.1, 0.0, 2.0, 2.0], [0.0, 0.1, 2.0, 2.0]])
    s = _t([0.9, 0.8, 0.7])
    assert ops.batched_nms(b, s, ember.tensor([0, 1, 0]), 0.5).tolist() == [0, 1]
    assert ops.batched_nms(b, s, ember.tensor([0, 1, 2]), 0.5).tolist() == [0, 1, 2]
    assert ops.batched_nms(ember.zeros(0, 4), ember.zeros(0), ember.zeros(0, dtype=ember.int64),
                           0.5).tolist() == []


def test_masks_to_boxes_by_hand():
    m = ember.zeros(2, 5, 6)
    m[0, 1:3, 2:5] = 1
    m[1, 4, 0] = 1
    assert ops.masks_to_boxes(m).tolist() == [[2.0, 1.0, 4.0, 2.0], [0.0, 4.0, 0.0, 4.0]]
    assert tuple(ops.masks_to_boxes(ember.zeros(0, 3, 3)).shape) == (0, 4)
    with pytest.raises(ValueError, match="mask 1 has no non-zero pixel"):
        ops.masks_to_boxes(ember.stack([m[0], ember.zeros(5, 6)]))


def test_box_shape_errors():
    with pytest.raises(ValueError, match=r"box_iou\(\): boxes1 must have shape \(\.\.\., 4\)"):
        ops.box_iou(ember.zeros(2, 3), ember.zeros(2, 4))
    with pytest.raises(TypeError, match="must be a Tensor"):
        ops.box_area([[0, 0, 1, 1]])


def test_box_iou_losses_by_hand():
    a = _t([[0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 2.0, 2.0]])
    b = _t([[2.0, 0.0, 3.0, 2.0], [0.0, 0.0, 2.0, 2.0]])
    eps = 1e-7
    # pair 0 (see the pairwise test): giou = -0.5, d^2 / c^2 = 4.25 / 13; pair 1 identical
    giou = ops.generalized_box_iou_loss(a, b).numpy()
    np.testing.assert_allclose(giou, [1 - (0 - 3 / (6 + eps)), 1 - (4 / (4 + eps))], rtol=1e-12)
    diou = ops.distance_box_iou_loss(a, b).numpy()
    np.testing.assert_allclose(diou, [1 + 4.25 / (13 + eps), 1 - 4 / (4 + eps)], rtol=1e-12)
    v = 4 / math.pi ** 2 * (math.atan(1 / 2) - math.atan(1.0)) ** 2
    ciou = ops.complete_box_iou_loss(a, b).numpy()
    assert ciou[0] == pytest.approx(diou[0] + v / (1 + v + eps) * v, rel=1e-12)
    assert ciou[1] == pytest.approx(diou[1], abs=1e-12)
    assert ops.generalized_box_iou_loss(a, b, "sum").item() == pytest.approx(giou.sum())
    assert ops.distance_box_iou_loss(a, b, "mean").item() == pytest.approx(diou.mean())
    assert ops.complete_box_iou_loss(ember.zeros(0, 4), ember.zeros(0, 4), "mean").item() == 0.0
    assert ops.generalized_box_iou_loss(ember.tensor([[0, 0, 2, 2]]),
                                        ember.tensor([[0, 0, 2, 2]])).dtype == ember.float32
    x = _t([[0.1, 0.2, 1.3, 1.1]]).requires_grad_()
    y = _t([[0.5, 0.0, 2.0, 1.5]])
    assert ember.autograd.gradcheck(lambda t: ops.generalized_box_iou_loss(t, y), (x,))
    assert ember.autograd.gradcheck(lambda t: ops.distance_box_iou_loss(t, y), (x,))
    with pytest.raises(ValueError, match="Invalid Value for arg 'reduction'"):
        ops.generalized_box_iou_loss(a, b, "avg")
    with pytest.raises(ValueError, match=r"boxes2 must be a Tensor of shape \(\.\.\., 4\)"):
        ops.distance_box_iou_loss(a, ember.zeros(2, 3))
