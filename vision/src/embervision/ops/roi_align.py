"""RoI Align (He et al. 2017): bilinear samples averaged over each bin of each box."""

from __future__ import annotations

import numpy as np

from ember import Tensor, nn

from ._roi_common import _gather_rows, pair, rois_array, to_device

__all__ = ["RoIAlign", "roi_align"]

def _axis_plan(start, size, bins: int, grid, gmax: int, limit: int):
    """Per box, per bin, per sample along one axis: low/high pixel, weights, validity.

    Shapes (K, bins, gmax). Follows the bilinear rule of the reference kernel: a sample more
    than one pixel outside is dropped; a sample in [-1, 0] is clamped to 0; at the last pixel
    the high neighbour is the pixel itself.
    """
    bin_size = size / bins
    i = np.arange(bins)[None, :, None]
    g = np.arange(gmax)[None, None, :]
    gk = grid[:, None, None]
    pos = start[:, None, None] + i * bin_size[:, None, None] \
        + (g + 0.5) * bin_size[:, None, None] / gk
    valid = (g < gk) & (pos >= -1.0) & (pos <= limit)
    pos = np.clip(pos, 0.0, None)
    low = np.floor(pos).astype(np.int64)
    at_edge = low >= limit - 1
    low = np.where(at_edge, limit - 1, low)
    high = np.where(at_edge, limit - 1, low + 1)
    pos = np.where(at_edge, low.astype(np.float64), pos)
    frac = pos - low
    return low, high, 1.0 - frac, frac, valid

def roi_align(input: Tensor, boxes, output_size, spatial_scale: float = 1.0,
              sampling_ratio: int = -1, aligned: bool = False) -> Tensor:
    """Pool each box into a fixed ``output_size`` grid by averaging bilinear samples.

    For box (x1, y1, x2, y2) scaled by ``spatial_scale`` (minus 0.5 when ``aligned``), each of
    the PH x PW bins takes ``sampling_ratio`` x ``sampling_ratio`` regularly spaced samples
    (``ceil(box size / bins)`` per axis when ``sampling_ratio <= 0``), each sample is bilinearly
    interpolated from the four nearest pixels, and the bin value is their mean.
    Without ``aligned`` the box size is at least one pixel.

    Args:
        input (Tensor): (N, C, H, W) features.
        boxes (Tensor | list[Tensor]): (K, 5) rows (batch index, x1, y1, x2, y2) or a list of
            (L_i, 4) boxes per image.
        output_size (int | tuple[int, int]): (PH, PW).
        spatial_scale (float): multiplies box coordinates. Default: 1.0.
        sampling_ratio (int): samples per bin and axis; <= 0 adapts. Default: -1.
        aligned (bool): shift boxes by -0.5 pixel (pixel-centre convention). Default: False.

    Shape:
        output (K, C, PH, PW).

    Raises:
        ValueError: for malformed boxes, input or output_size.

    Example:
        >>> import ember
        >>> x = ember.arange(16.).reshape(1, 1, 4, 4)
        >>> roi_align(x, ember.tensor([[0., 0., 0., 2., 2.]]), 1, sampling_ratio=1).item()
        5.0
    """
    ph, pw = pair(output_size, "roi_align", "output_size")
    rois = rois_array("roi_align", input, boxes)
    n, c, h, w = input.shape
    k = rois.shape[0]
    offset = 0.5 if aligned else 0.0
    x1 = rois[:, 1] * spatial_scale - offset
    y1 = rois[:, 2] * spatial_scale - offset
    rw = rois[:, 3] * spatial_scale - offset - x1
    rh = rois[:, 4] * spatial_scale - offset - y1
    if not aligned:
        rw, rh = np.maximum(rw, 1.0), np.maximum(rh, 1.0)
    if sampling_ratio > 0:
        gh = np.full(k, sampling_ratio, dtype=np.int64)
        gw = gh.copy()
    else:
        gh = np.ceil(rh / ph).astype(np.int64)
        gw = np.ceil(rw / pw).astype(np.int64)
    ghm = int(gh.max()) if k else 1
    gwm = int(gw.max()) if k else 1
    ylo, yhi, yhw, ylw, yv = _axis_plan(y1, rh, ph, gh, max(ghm, 1), h)
    xlo, xhi, xhw, xlw, xv = _axis_plan(x1, rw, pw, gw, max(gwm, 1), w)
    count = np.maximum(gh * gw, 1).astype(np.float64)
    b = rois[:, 0].astype(np.int64)
    # broadcast to (K, PH, Gh, PW, Gw)
    Y = (slice(None), slice(None), slice(None), None, None)
    X = (slice(None), None, None, slice(None), slice(None))
    base = (b * h * w)[:, None, None, None, None]
    valid = (yv[Y] & xv[X]) / count[:, None, None, None, None]
    idx, wts = [], []
    for ya, yw in ((ylo, yhw), (yhi, ylw)):
        for xa, xw in ((xlo, xhw), (xhi, xlw)):
            idx.append(base + ya[Y] * w + xa[X])
            wts.append(yw[Y] * xw[X] * valid)
    # (4, K, PH, Gh, PW, Gw) -> (4 * Gh * Gw, K * PH * PW)
    shape = (4, k, ph, max(ghm, 1), pw, max(gwm, 1))
    idx = np.broadcast_to(np.stack(idx), shape).transpose(0, 3, 5, 1, 2, 4).reshape(-1, k * ph * pw)
    wts = np.broadcast_to(np.stack(wts), shape).transpose(0, 3, 5, 1, 2, 4).reshape(-1, k * ph * pw)
    table = input.permute(0, 2, 3, 1).reshape(n * h * w, c)
    out = _gather_rows(table, to_device(np.ascontiguousarray(idx), input),
                       to_device(np.ascontiguousarray(wts), input), n * h * w)
    return out.reshape(k, ph, pw, c).permute(0, 3, 1, 2)

class RoIAlign(nn.Module):
    """Module form of :func:`roi_align`.

    Example:
        >>> import ember
        >>> m = RoIAlign(2, spatial_scale=1.0, sampling_ratio=2)
        >>> m(ember.zeros(1, 3, 8, 8), [ember.tensor([[0., 0., 4., 4.]])]).shape
        ember.Size([1, 3, 2, 2])
    """

    def __init__(self, output_size, spatial_scale: float, sampling_ratio: int,
                 aligned: bool = False) -> None:
        super().__init__()
        self.output_size = output_size
        self.spatial_scale = spatial_scale
        self.sampling_ratio = sampling_ratio
        self.aligned = aligned

    def forward(self, input: Tensor, rois) -> Tensor:
        return roi_align(input, rois, self.output_size, self.spatial_scale,
                         self.sampling_ratio, self.aligned)

    def extra_repr(self) -> str:
        return (f"output_size={self.output_size}, spatial_scale={self.spatial_scale}, "
                f"sampling_ratio={self.sampling_ratio}, aligned={self.aligned}")

