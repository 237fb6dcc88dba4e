"""Bounding-box kernels: format conversion, clamping and the geometric transforms on boxes.

Boxes are ``(..., 4)`` tensors; every geometric kernel converts to XYXY, maps the corners, and
converts back to the original format and dtype (integer boxes are rounded down like torchvision
when a division by 2 is involved).
"""

from __future__ import annotations

import ember

from ...tv_tensors import BoundingBoxFormat
from .._functional_tensor import _affine_output_size
from ..functional import _get_inverse_affine_matrix

__all__ = []


def _fmt(fmt) -> BoundingBoxFormat:
    if isinstance(fmt, str):
        try:
            return BoundingBoxFormat[fmt.upper()]
        except KeyError:
            raise ValueError(f"unknown bounding box format {fmt!r}; expected one of "
                             f"{[f.value for f in BoundingBoxFormat]}") from None
    if not isinstance(fmt, BoundingBoxFormat):
        raise TypeError(f"bounding box format must be a BoundingBoxFormat or str, got {fmt!r}")
    return fmt


def _half(x):
    """``x / 2`` for floats, ``floor(x / 2)`` for integers."""
    return x / 2 if x.dtype.is_floating_point else x.div(2, rounding_mode="floor")


def _to_xyxy(boxes, fmt: BoundingBoxFormat):
    if fmt == BoundingBoxFormat.XYXY:
        return boxes
    xy, wh = boxes[..., :2], boxes[..., 2:]
    if fmt == BoundingBoxFormat.XYWH:
        return ember.cat([xy, xy + wh], -1)
    # NOTE: ceil(wh / 2) for integers (as -floor(-wh / 2)) keeps x1 = cx - ceil(w/2) exact
    half = wh / 2 if wh.dtype.is_floating_point else -((-wh).div(2, rounding_mode="floor"))
    x1y1 = xy - half
    return ember.cat([x1y1, x1y1 + wh], -1)


def _from_xyxy(boxes, fmt: BoundingBoxFormat):
    if fmt == BoundingBoxFormat.XYXY:
        return boxes
    xy, xy2 = boxes[..., :2], boxes[..., 2:]
    wh = xy2 - xy
    if fmt == BoundingBoxFormat.XYWH:
        return ember.cat([xy, wh], -1)
    return ember.cat([_half(xy * 2 + wh), wh], -1)


def convert_bounding_box_format(boxes, old_format, new_format):
    """Convert ``(..., 4)`` boxes between XYXY, XYWH and CXCYWH (same dtype)."""
    old_format, new_format = _fmt(old_format), _fmt(new_format)
    if old_format == new_format:
        return boxes.clone()
    return _from_xyxy(_to_xyxy(boxes, old_format), new_format)


def clamp_bounding_boxes(boxes, format, canvas_size):
    """Clamp x to ``[0, W]`` and y to ``[0, H]`` (in XYXY), returning the original format."""
    fmt = _fmt(format)
    h, w = canvas_size
    xyxy = _to_xyxy(boxes, fmt)
    x = xyxy[..., 0::2].clamp(0, w)
    y = xyxy[..., 1::2].clamp(0, h)
    xyxy = ember.stack([x[..., 0], y[..., 0], x[..., 1], y[..., 1]], -1)
    return _from_xyxy(xyxy, fmt)


def horizontal_flip_bounding_boxes(boxes, format, canvas_size):
    """Mirror x: XYXY ``[W - x2, y1, W - x1, y2]``, XYWH ``x -> W - x - w``, CXCYWH
    ``cx -> W - cx``."""
    return _flip(boxes, _fmt(format), canvas_size[1], 0)


def vertical_flip_bounding_boxes(boxes, format, canvas_size):
    """Mirror y (see :func:`horizontal_flip_bounding_boxes`)."""
    return _flip(boxes, _fmt(format), canvas_size[0], 1)


def _flip(boxes, fmt, size, axis):
    cols = list(boxes.unbind(-1))
    if fmt == BoundingBoxFormat.XYXY:
        cols[axis], cols[axis + 2] = size - cols[axis + 2], size - cols[axis]
    elif fmt == BoundingBoxFormat.XYWH:
        cols[axis] = size - cols[axis] - cols[axis + 2]
    else:
        cols[axis] = size - cols[axis]
    return ember.stack(cols, -1)


def _shift(boxes, fmt, dx, dy):
    """Translate in the box's own format (exact for integer boxes)."""
    wh = (dx, dy) if fmt == BoundingBoxFormat.XYXY else (0, 0)
    offset = ember.tensor([dx, dy, *wh], dtype=boxes.dtype, device=boxes.device)
    return boxes + offset


def crop_bounding_boxes(boxes, format, top, left, height, width):
    """Move boxes into the crop's frame and clamp them to it; returns ``(boxes, (h, w))``."""
    fmt = _fmt(format)
    b = _shift(boxes, fmt, -left, -top)
    return clamp_bounding_boxes(b, fmt, (height, width)), (height, width)


def pad_bounding_boxes(boxes, format, canvas_size, padding):
    """Shift by ``(left, top)``; returns ``(boxes, new canvas)``."""
    fmt = _fmt(format)
    left, top, right, bottom = padding
    h, w = canvas_size
    return _shift(boxes, fmt, left, top), (h + top + bottom, w + left + right)


def resize_bounding_boxes(boxes, format, canvas_size, size):
    """Scale x by ``new_w / w`` and y by ``new_h / h``; returns ``(boxes, size)``."""
    _fmt(format)
    h, w = canvas_size
    nh, nw = size
    # NOTE: scaling is linear in every format; integer boxes are truncated like torchvision
    dtype = boxes.dtype if boxes.dtype.is_floating_point else ember.float32
    ratio = ember.tensor([nw / w, nh / h, nw / w, nh / h], dtype=dtype, device=boxes.device)
    return (boxes.to(dtype) * ratio).to(boxes.dtype), (nh, nw)


def affine_bounding_boxes(boxes, format, canvas_size, angle, translate, scale, shear,
                          center=None, expand=False):
    """Map the four corners of each box with the forward affine matrix and take their bounding
    box, clamped to the (possibly expanded) canvas; returns ``(boxes, canvas)``."""
    fmt = _fmt(format)
    h, w = canvas_size
    if center is None:
        center = [w * 0.5, h * 0.5]
    m = _get_inverse_affine_matrix(center, angle, translate, scale, shear, inverted=False)
    b = _to_xyxy(boxes, fmt).to(ember.float64)
    xs = ember.stack([b[..., 0], b[..., 2], b[..., 2], b[..., 0]], -1)
    ys = ember.stack([b[..., 1], b[..., 1], b[..., 3], b[..., 3]], -1)
    tx = m[0] * xs + m[1] * ys + m[2]
    ty = m[3] * xs + m[4] * ys + m[5]
    out = ember.stack([tx.amin(-1), ty.amin(-1), tx.amax(-1), ty.amax(-1)], -1)
    if expand:
        cx = [m[0] * px + m[1] * py + m[2] for px, py in ((0, 0), (0, h), (w, h), (w, 0))]
        cy = [m[3] * px + m[4] * py + m[5] for px, py in ((0, 0), (0, h), (w, h), (w, 0))]
        out = out - ember.tensor([min(cx), min(cy), min(cx), min(cy)], dtype=out.dtype,
                                 device=out.device)
        inv = _get_inverse_affine_matrix(center, angle, translate, scale, shear)
        nw, nh = _affine_output_size(inv, w, h)
        canvas_size = (nh, nw)
    out = clamp_bounding_boxes(out, BoundingBoxFormat.XYXY, canvas_size)
    return _from_xyxy(out.to(boxes.dtype), fmt), tuple(canvas_size)


def perspective_bounding_boxes(boxes, format, canvas_size, coeffs):
    """Map box corners with the forward homography (the inverse of Pillow's output -> input
    ``coeffs``) and take their clamped hull; returns ``(boxes, canvas_size)``."""
    import numpy as np
    fmt = _fmt(format)
    c = list(coeffs)
    h_inv = np.array([[c[0], c[1], c[2]], [c[3], c[4], c[5]], [c[6], c[7], 1.0]])
    if abs(np.linalg.det(h_inv)) < 1e-12:
        raise RuntimeError(f"perspective coefficients {coeffs} cannot be inverted to transform "
                           f"bounding boxes")
    m = np.linalg.inv(h_inv).tolist()
    b = _to_xyxy(boxes, fmt).to(ember.float64)
    xs = ember.stack([b[..., 0], b[..., 2], b[..., 2], b[..., 0]], -1)
    ys = ember.stack([b[..., 1], b[..., 1], b[..., 3], b[..., 3]], -1)
    den = m[2][0] * xs + m[2][1] * ys + m[2][2]
    tx = (m[0][0] * xs + m[0][1] * ys + m[0][2]) / den
    ty = (m[1][0] * xs + m[1][1] * ys + m[1][2]) / den
    out = ember.stack([tx.amin(-1), ty.amin(-1), tx.amax(-1), ty.amax(-1)], -1)
    out = clamp_bounding_boxes(out, BoundingBoxFormat.XYXY, canvas_size)
    return _from_xyxy(out.to(boxes.dtype), fmt), tuple(canvas_size)


def elastic_bounding_boxes(boxes, format, canvas_size, displacement):
    """Move each box corner by the inverse displacement at its pixel and take the clamped hull.

    torchvision's approximation: with the identity grid ``g`` (pixel centres in ``[-1, 1]``),
    a corner ``(x, y)`` (floats rounded up, then clamped to the canvas as indices) maps to
    ``((g - displacement)[y, x] + 1) * (W, H) / 2 - 0.5``; the new box is the min/max of its
    four mapped corners, clamped to the canvas, in the input's format and dtype (integer boxes
    truncate).

    Raises:
        TypeError: ``displacement`` is not a Tensor.
        ValueError: ``displacement`` is not ``(1, H, W, 2)`` for ``canvas_size = (H, W)``.
    """
    fmt = _fmt(format)
    h, w = int(canvas_size[0]), int(canvas_size[1])
    if not isinstance(displacement, ember.Tensor):
        raise TypeError("Argument displacement should be a Tensor")
    if tuple(displacement.shape) != (1, h, w, 2):
        raise ValueError(f"Argument displacement shape should be {(1, h, w, 2)}, but given "
                         f"{tuple(displacement.shape)}")
    if boxes.numel() == 0:
        return boxes
    dtype = boxes.dtype if boxes.dtype.is_floating_point else ember.float32
    disp = displacement.to(dtype=dtype, device=boxes.device)
    xyxy = _to_xyxy(boxes, fmt).reshape(-1, 4)
    xs = ember.linspace((-w + 1) / w, (w - 1) / w, w, dtype=dtype, device=boxes.device)
    ys = ember.linspace((-h + 1) / h, (h - 1) / h, h, dtype=dtype, device=boxes.device)
    inv_x = xs.unsqueeze(0) - disp[0, :, :, 0]
    inv_y = ys.unsqueeze(1) - disp[0, :, :, 1]
    corners = ember.stack([xyxy[:, 0], xyxy[:, 1], xyxy[:, 2], xyxy[:, 1], xyxy[:, 2],
                           xyxy[:, 3], xyxy[:, 0], xyxy[:, 3]], -1).reshape(-1, 2)
    if corners.dtype.is_floating_point:
        corners = corners.ceil()
    idx = corners.to(ember.int64)
    ix, iy = idx[:, 0].clamp(0, w - 1), idx[:, 1].clamp(0, h - 1)
    px = (inv_x[iy, ix] + 1) * (0.5 * w) - 0.5
    py = (inv_y[iy, ix] + 1) * (0.5 * h) - 0.5
    px, py = px.reshape(-1, 4), py.reshape(-1, 4)
    out = ember.stack([px.amin(-1), py.amin(-1), px.amax(-1), py.amax(-1)], -1).to(boxes.dtype)
    out = clamp_bounding_boxes(out, BoundingBoxFormat.XYXY, (h, w))
    return _from_xyxy(out, fmt).reshape(boxes.shape)
