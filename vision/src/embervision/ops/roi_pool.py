"""RoI max pooling (Girshick 2015, Fast R-CNN)."""

from __future__ import annotations

import numpy as np

from ember import Tensor, nn

from ._roi_common import _gather_rows, pair, rois_array, to_device

__all__ = ["RoIPool", "roi_pool"]

# NOTE: bounds the padded (box, channel, bin, window) candidate array built per chunk of boxes.
_CHUNK_ELEMENTS = 1 << 24


def _bins(start, end, bins: int, limit: int):
    size = np.maximum(end - start + 1, 1).astype(np.float64) / bins
    i = np.arange(bins)[None, :]
    lo = np.clip(np.floor(i * size[:, None]).astype(np.int64) + start[:, None], 0, limit)
    hi = np.clip(np.ceil((i + 1) * size[:, None]).astype(np.int64) + start[:, None], 0, limit)
    return lo, hi


def roi_pool(input: Tensor, boxes, output_size, spatial_scale: float = 1.0) -> Tensor:
    """Max-pool each box into a fixed ``output_size`` grid (Fast R-CNN's RoI pooling).

    Box corners are scaled and rounded to pixels (``round(x * spatial_scale)``); the box of
    ``(x2 - x1 + 1) x (y2 - y1 + 1)`` pixels (at least 1) is split into PH x PW bins with
    ``floor``/``ceil`` edges, clipped to the image; each output is the bin's maximum (0 for an
    empty bin). The gradient goes to the first maximal pixel of each bin.

    Args:
        input (Tensor): (N, C, H, W).
        boxes (Tensor | list[Tensor]): (K, 5) or a list of (L_i, 4), as in :func:`roi_align`.
        output_size (int | tuple[int, int]): (PH, PW).
        spatial_scale (float): Default: 1.0.

    Shape:
        output (K, C, PH, PW).

    Raises:
        ValueError: for malformed boxes, input or output_size.

    Example:
        >>> import ember
        >>> x = ember.arange(16.).reshape(1, 1, 4, 4)
        >>> roi_pool(x, ember.tensor([[0., 0., 0., 3., 3.]]), 2).flatten().tolist()
        [5.0, 7.0, 13.0, 15.0]
    """
    ph, pw = pair(output_size, "roi_pool", "output_size")
    rois = rois_array("roi_pool", input, boxes)
    n, c, h, w = input.shape
    k = rois.shape[0]
    # NOTE: C's round() (half away from zero), not numpy's banker's rounding
    r = np.sign(rois[:, 1:] * spatial_scale) * np.floor(np.abs(rois[:, 1:] * spatial_scale) + 0.5)
    r = r.astype(np.int64)
    hlo, hhi = _bins(r[:, 1], r[:, 3], ph, h)
    wlo, whi = _bins(r[:, 0], r[:, 2], pw, w)
    bh = max(int((hhi - hlo).max()) if k else 1, 1)
    bw = max(int((whi - wlo).max()) if k else 1, 1)
    data = input.detach().cpu().numpy() if k else None
    b = rois[:, 0].astype(np.int64)
    flat_idx = np.zeros((k, c, ph, pw), dtype=np.int64)
    found = np.zeros((k, c, ph, pw), dtype=bool)
    step = max(1, _CHUNK_ELEMENTS // max(c * ph * pw * bh * bw, 1))
    for s in range(0, k, step):  # NOTE: chunks of boxes bound the memory, not a per-box loop
        sl = slice(s, min(s + step, k))
        rows = hlo[sl][:, :, None] + np.arange(bh)[None, None, :]          # (k', PH, bh)
        cols = wlo[sl][:, :, None] + np.arange(bw)[None, None, :]          # (k', PW, bw)
        rv = rows < hhi[sl][:, :, None]
        cv = cols < whi[sl][:, :, None]
        rows_c = np.minimum(rows, h - 1)
        cols_c = np.minimum(cols, w - 1)
        # values (k', C, PH, PW, bh, bw)
        vals = data[b[sl][:, None, None, None, None, None], np.arange(c)[None, :, None, None,
                                                                         None, None],
                    rows_c[:, None, :, None, :, None], cols_c[:, None, None, :, None, :]]
        ok = rv[:, None, :, None, :, None] & cv[:, None, None, :, None, :]
        vals = np.where(ok, vals, -np.inf).reshape(*vals.shape[:4], bh * bw)
        arg = vals.argmax(-1)  # first maximum in row-major order, as the reference kernel
        has = np.take_along_axis(vals, arg[..., None], -1)[..., 0] > -np.inf
        ar, ac = arg // bw, arg % bw
        pix = (np.take_along_axis(rows_c[:, None, :, None, :], ar[..., None], -1)[..., 0] * w
               + np.take_along_axis(cols_c[:, None, None, :, :], ac[..., None], -1)[..., 0])
        flat_idx[sl] = ((b[sl][:, None, None, None] * c + np.arange(c)[None, :, None, None])
                        * h * w + pix)
        found[sl] = has
    table = input.reshape(n * c * h * w, 1)
    idx = to_device(flat_idx.reshape(1, -1), input)
    wts = to_device(found.reshape(1, -1).astype(np.float64), input)
    return _gather_rows(table, idx, wts, n * c * h * w).reshape(k, c, ph, pw)


class RoIPool(nn.Module):
    """Module form of :func:`roi_pool`.

    Example:
        >>> import ember
        >>> RoIPool(2, 1.0)(ember.zeros(1, 2, 4, 4), [ember.tensor([[0., 0., 3., 3.]])]).shape
        ember.Size([1, 2, 2, 2])
    """

    def __init__(self, output_size, spatial_scale: float) -> None:
        super().__init__()
        self.output_size = output_size
        self.spatial_scale = spatial_scale

    def forward(self, input: Tensor, rois) -> Tensor:
        return roi_pool(input, rois, self.output_size, self.spatial_scale)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}, spatial_scale={self.spatial_scale}"
