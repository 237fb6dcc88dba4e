"""Pooling: max / average / adaptive / power-average pools and max-unpooling.

Max and average pools read a strided window view of the (padded) input and reduce it with one
vectorised pass per kernel tap (the only Python loop is over taps).  Their backward scatters the
gradient back into the window positions tap by tap; each backward is itself a node whose
backward is the forward again, so double backward works.  Adaptive average pooling is a
contraction with one averaging matrix per spatial dimension; adaptive max pooling gathers
candidate windows by index.

Example:
    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.max_pool2d(ember.arange(16.).view(1, 1, 4, 4), 2).flatten().tolist()
    [5.0, 7.0, 13.0, 15.0]
"""

from __future__ import annotations

import math

import numpy as np

from ... import _host_buffers as workspace
from ..._tensor import Tensor
from ...autograd.node import Node
from ...ops._dispatch import apply, needs_grad, xp_of
from ._max_pool_axes import AxisMax, all_finite, masked, winner
from ._windows import _taps, scatter_taps, windows

__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices",
           "max_pool2d_with_indices", "max_pool3d_with_indices", "avg_pool1d", "avg_pool2d",
           "avg_pool3d", "lp_pool1d", "lp_pool2d", "lp_pool3d"]


# ---------------------------------------------------------------------- geometry
def _tuple(v, nd, op, name):
    if isinstance(v, (int, np.integer)):
        return (int(v),) * nd
    v = tuple(int(i) for i in v)
    if len(v) == 1:
        return v * nd
    if len(v) != nd:
        raise RuntimeError(f"{op}: {name} must either be a single int, or a tuple of {nd} ints")
    return v


def _plane_input(op, input, nd):
    """(input with a batch dim, whether it was added)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if input.dim() not in (nd + 1, nd + 2) or input.numel() == 0:
        raise RuntimeError(f"{op}: Expected {nd + 1}D or {nd + 2}D (batch mode) tensor for "
                           f"input, but got input of size: "
                           f"[{', '.join(map(str, input.shape))}]")
    if input.dim() == nd + 1:
        return input.unsqueeze(0), True
    return input, False


def _pool_geometry(op, input, nd, kernel_size, stride, padding, dilation, ceil_mode,
                   effective=True):
    k = _tuple(kernel_size, nd, op, "kernel_size")
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) else \
        _tuple(stride, nd, op, "stride")
    p = _tuple(padding, nd, op, "padding")
    d = _tuple(dilation, nd, op, "dilation")
    if any(v <= 0 for v in k):
        raise RuntimeError(f"{op}: kernel_size must be greater than zero, but got "
                           f"kernel_size={list(k)}")
    if any(v == 0 for v in s):
        raise RuntimeError("stride should not be zero")
    if any(v <= 0 for v in s):
        raise RuntimeError(f"{op}: stride must be greater than zero, but got stride={list(s)}")
    if any(v <= 0 for v in d):
        raise RuntimeError(f"{op}: dilation must be greater than zero, but got "
                           f"dilation={list(d)}")
    for pp, kk, dd in zip(p, k, d, strict=True):
        half = (dd * (kk - 1) + 1) // 2 if effective else kk // 2
        if pp < 0 or pp > half:
            raise RuntimeError("pad should be at most half of effective kernel size, but got "
                               f"pad={pp}, kernel_size={kk} and dilation={dd}")
    size = tuple(input.shape[2:])
    osz = []
    for n, kk, ss, pp, dd in zip(size, k, s, p, d, strict=True):
        num = n + 2 * pp - dd * (kk - 1) - 1
        o = (-(-num // ss) if ceil_mode else num // ss) + 1
        if ceil_mode and (o - 1) * ss >= n + pp:
            o -= 1  # the last window must start inside the input or the left padding
        osz.append(o)
    if any(o <= 0 for o in osz):
        raise RuntimeError(
            f"Given input size: ({'x'.join(map(str, input.shape[1:]))}). Calculated output "
            f"size: ({'x'.join(map(str, [input.shape[1], *osz]))}). Output size is too small")
    return k, s, p, d, tuple(osz)


def _scatter_taps(xp, parts, shape, size, lo, k, stride, dil, osz, dtype):
    """Sum ``parts(i)`` (N, C, *osz) into the window positions of an (N, C, *size) image."""
    return scatter_taps(xp, lambda i, tap: parts(i), shape, size, lo, k, stride, dil, osz,
                        dtype)


# ---------------------------------------------------------------------- max pooling
class MaxPool(Node):
    """Windowed max; remembers the winning tap of every window.

    Windows that tile the input (kernel = stride) are laid out tap by tap in one copy
    (``self.arg``: the winning tap); any other window is reduced one axis at a time
    (:class:`._max_pool_axes.AxisMax` in ``self.axes``).
    """

    def forward(self, xp, x, lo, osz, k, stride, dil, need_arg=True):
        self.geom = (x.shape[2:], lo, osz, k, stride, dil)
        self.arg = self.axes = None
        if need_arg and _tiled(self.geom):
            # one copy lays tap i of every window out as a contiguous plane, faster to compare
            # than strided views
            views = list(_tiles(xp, x, osz, k))
            best = workspace.copy(xp, views[0])
            for v in views[1:]:
                xp.maximum(best, v, out=best)  # NOTE: propagates NaN, as PyTorch's max pool
            self.arg = winner(xp, views, best, x.dtype.kind == "f")
            return best
        axes = AxisMax(xp, x, lo, osz, k, stride, dil, need_arg)
        if need_arg:
            self.axes = axes
        return axes.out

    def tap_index(self, xp):
        """The winning tap of every window (row-major over the window)."""
        return self.arg if self.axes is None else self.axes.tap_index(xp)

    def flat_indices(self, xp):
        """PyTorch's indices: the flat position of each maximum within its input plane."""
        size, lo, osz, k, stride, dil = self.geom
        mult = [math.prod(size[i + 1:]) for i in range(len(size))]
        base = 0
        for i, (o, s, l_, m) in enumerate(zip(osz, stride, lo, mult, strict=True)):
            shape = [1] * len(osz)
            shape[i] = o
            base = base + ((xp.arange(o, dtype=np.int64) * s - l_) * m).reshape(shape)
        off = xp.asarray([sum(t * d * m for t, d, m in zip(tap, dil, mult, strict=True))
                          for tap in _taps(k)], dtype=np.int64)
        return base + off[self.tap_index(xp)]

    def route(self, xp, gy):
        """Adjoint of the forward in ``x``: each window's gradient to its maximum."""
        if self.axes is not None:
            return self.axes.route(xp, gy)
        return _untile_max(xp, gy, self.arg, self.geom)

    def _release_extra(self) -> None:
        self.arg = self.axes = None

    def backward(self, gy):
        return (_max_pool_scatter(gy, self),)

    def fast(self, gy):
        return (self.route(xp_of(gy), gy),)


def _tiled(geom) -> bool:
    """Whether the pooling windows tile the input: kernel = stride, no padding, no dilation."""
    size, lo, osz, k, stride, dil = geom
    return (tuple(k) == tuple(stride) and not any(lo) and all(d == 1 for d in dil)
            and all(o * kk <= n for o, kk, n in zip(osz, k, size, strict=True)))


def _tiles(xp, x, osz, k):
    """``(prod(k), N, C, *osz)``: tap ``i`` (PyTorch's scan order) of every window of ``x``
    that tiles it, as one contiguous plane per tap (one copy)."""
    nd = len(k)
    used = tuple(slice(0, o * kk) for o, kk in zip(osz, k, strict=True))
    x = x[(slice(None), slice(None)) + used]
    x = x.reshape(x.shape[:2] + tuple(v for o, kk in zip(osz, k, strict=True) for v in (o, kk)))
    perm = tuple(range(3, 3 + 2 * nd, 2)) + (0, 1) + tuple(range(2, 2 + 2 * nd, 2))
    return x.transpose(perm).reshape((-1,) + x.shape[:2] + tuple(osz))


def _untile_max(xp, gy, arg, geom):
    """Adjoint of the tiled max: ``gy`` routed to each window's ``arg`` tap, written tap by
    tap into the strided positions of that tap (a border that no window covers gets 0)."""
    size, _, osz, k, _, _ = geom
    shape = gy.shape[:2] + tuple(size)
    covered = all(o * kk == n for o, kk, n in zip(osz, k, size, strict=True))
    gx = workspace.result(xp, shape, gy.dtype)
    if not covered:
        gx.fill(0)
    finite = all_finite(xp, gy)
    for i, tap in enumerate(_taps(k)):
        key = (slice(None), slice(None)) + tuple(
            slice(t, t + o * kk, kk) for t, o, kk in zip(tap, osz, k, strict=True))
        masked(xp, gy, arg == i, finite, out=gx[key])
    return gx


class MaxPoolScatter(Node):
    """Backward of :class:`MaxPool`: route each gradient to its window's maximum."""

    def name(self) -> str:
        return "MaxPoolBackwardBackward0"

    def forward(self, xp, gy, pool, idx):
        self.idx = idx
        return pool.route(xp, gy)

    def backward(self, ggx):
        n, c = ggx.shape[:2]
        idx = Tensor._make(self.idx)
        return (ggx.reshape(n, c, -1).gather(2, idx.reshape(n, c, -1)).reshape(idx.shape),)


def _max_pool_scatter(gy, pool):
    xp = xp_of(gy._data)
    return apply(MaxPoolScatter(), (gy,), gy._data, pool, pool.flat_indices(xp))


def _max_pool(op, nd, input, kernel_size, stride, padding, dilation, ceil_mode,
              return_indices):
    x, unbatched = _plane_input(op, input, nd)
    k, s, p, d, osz = _pool_geometry(op, x, nd, kernel_size, stride, padding, dilation,
                                     ceil_mode)
    node = MaxPool()
    out = apply(node, (x,), x._data, p, osz, k, s, d, return_indices or needs_grad(x))
    if return_indices:
        idx = Tensor._make(node.flat_indices(xp_of(x._data)))
        if unbatched:
            return out.squeeze(0), idx.squeeze(0)
        return out, idx
    if out.grad_fn is not node:
        node._release_extra()
    return out.squeeze(0) if unbatched else out


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """1-D max pooling: ``out[n, c, l] = max_k input[n, c, stride * l - padding + dilation * k]``.

    Args:
        input: ``(N, C, L)`` or ``(C, L)``.
        kernel_size: window size.
        stride: Default: ``kernel_size``.
        padding: implicit ``-inf`` padding on both sides, at most half the kernel. Default: 0.
        dilation: Default: 1.
        ceil_mode: round the output size up. Default: ``False``.
        return_indices: also return the flat index of each maximum. Default: ``False``.

    Raises:
        RuntimeError: wrong input rank, padding larger than half the kernel, empty output.

    Example:
        >>> import ember
        >>> ember.nn.functional.max_pool1d(ember.tensor([[1., 3., 2., 0.]]), 2).tolist()
        [[3.0, 2.0]]
    """
    return _max_pool("max_pool1d", 1, input, kernel_size, stride, padding, dilation,
                     ceil_mode, return_indices)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """2-D max pooling over ``(N, C, H, W)`` or ``(C, H, W)`` inputs (see :func:`max_pool1d`).

    Example:
        >>> import ember
        >>> ember.nn.functional.max_pool2d(ember.ones(1, 4, 4), 2).shape
        ember.Size([1, 2, 2])
    """
    return _max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation,
                     ceil_mode, return_indices)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """3-D max pooling over ``(N, C, D, H, W)`` or ``(C, D, H, W)`` inputs.

    Example:
        >>> import ember
        >>> ember.nn.functional.max_pool3d(ember.ones(1, 1, 4, 4, 4), 2).shape
        ember.Size([1, 1, 2, 2, 2])
    """
    return _max_pool("max_pool3d", 3, input, kernel_size, stride, padding, dilation,
                     ceil_mode, return_indices)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=True):
    """:func:`max_pool1d` returning ``(output, indices)``."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=True):
    """:func:`max_pool2d` returning ``(output, indices)``."""
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=True):
    """:func:`max_pool3d` returning ``(output, indices)``."""
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


# ---------------------------------------------------------------------- average pooling
def _window_sum(xp, x, geom, div):
    lo, osz, k, stride = geom
    win = windows(xp, x, lo, osz, k, stride, (1,) * len(k))
    taps = _taps(k)
    acc = win[(slice(None), slice(None)) + taps[0]].copy()
    for tap in taps[1:]:
        acc += win[(slice(None), slice(None)) + tap]
    return acc / div if div is not None else acc


def _window_sum_t(xp, g, geom, div, size):
    lo, osz, k, stride = geom
    if div is not None:
        g = g / div
    return _scatter_taps(xp, lambda i: g, g.shape[:2], size, lo, k, stride, (1,) * len(k), osz,
                         g.dtype)


class AvgPool(Node):
    """Window sums divided by a per-window divisor (an array over output positions)."""

    def forward(self, xp, x, geom, div):
        self.geom, self.div, self.size = geom, div, x.shape[2:]
        return _window_sum(xp, x, geom, div)

    def backward(self, gy):
        return (apply(AvgPoolT(), (gy,), gy._data, self.geom, self.div, self.size),)

    def fast(self, gy):
        return (_window_sum_t(xp_of(gy), gy, self.geom, self.div, self.size),)


class AvgPoolT(Node):
    """Adjoint of :class:`AvgPool` (its backward)."""

    def name(self) -> str:
        return "AvgPoolBackwardBackward0"

    def forward(self, xp, g, geom, div, size):
        self.geom, self.div = geom, div
        return _window_sum_t(xp, g, geom, div, size)

    def backward(self, ggx):
        return (apply(AvgPool(), (ggx,), ggx._data, self.geom, self.div),)


def _avg_divisor(xp, size, k, s, p, osz, count_include_pad, divisor_override, dtype):
    if divisor_override is not None:
        if divisor_override == 0:
            raise RuntimeError("divisor must be not zero")
        return xp.asarray(np.asarray(divisor_override, dtype=dtype))
    div = np.ones((), dtype=np.float64)
    for i, (n, kk, ss, pp, o) in enumerate(zip(size, k, s, p, osz, strict=True)):
        start = np.arange(o) * ss - pp
        end = np.minimum(start + kk, n + pp)
        cnt = end - start if count_include_pad else \
            np.minimum(end, n) - np.maximum(start, 0)
        shape = [1] * len(osz)
        shape[i] = o
        div = div * cnt.reshape(shape)
    return xp.asarray(div.astype(dtype))


def _avg_pool(op, nd, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override):
    x, unbatched = _plane_input(op, input, nd)
    k, s, p, _, osz = _pool_geometry(op, x, nd, kernel_size, stride, padding, 1, ceil_mode,
                                     effective=False)
    if not x.is_floating_point():
        raise RuntimeError(f"{op}: expected a floating-point input, got {x.dtype}")
    xp = xp_of(x._data)
    div = _avg_divisor(xp, x.shape[2:], k, s, p, osz, count_include_pad, divisor_override,
                       x._data.dtype)
    out = apply(AvgPool(), (x,), x._data, (p, osz, k, s), div)
    return out.squeeze(0) if unbatched else out


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """1-D average pooling: the mean of each window.

    The divisor is the window size, counting zero padding when ``count_include_pad``
    (windows cut by ``ceil_mode`` count only what lies inside the padded input).

    Args:
        input: ``(N, C, L)`` or ``(C, L)``.
        kernel_size: window size.
        stride: Default: ``kernel_size``.
        padding: zero padding on both sides, at most half the kernel. Default: 0.
        ceil_mode: round the output size up. Default: ``False``.
        count_include_pad: count padded zeros in the divisor. Default: ``True``.

    Raises:
        RuntimeError: wrong input rank, padding larger than half the kernel.

    Example:
        >>> import ember
        >>> ember.nn.functional.avg_pool1d(ember.tensor([[1., 3., 2., 0.]]), 2).tolist()
        [[2.0, 1.0]]
    """
    return _avg_pool("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, None)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """2-D average pooling (see :func:`avg_pool1d`); ``divisor_override`` replaces the divisor.

    Example:
        >>> import ember
        >>> ember.nn.functional.avg_pool2d(ember.ones(1, 1, 4, 4), 2, divisor_override=1).sum()
        tensor(16.)
    """
    return _avg_pool("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """3-D average pooling (see :func:`avg_pool2d`).

    Example:
        >>> import ember
        >>> ember.nn.functional.avg_pool3d(ember.ones(1, 1, 2, 2, 2), 2).item()
        1.0
    """
    return _avg_pool("avg_pool3d", 3, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


# ---------------------------------------------------------------------- power-average pooling
def _lp_pool(nd, input, norm_type, kernel_size, stride, ceil_mode):
    import ember
    k = _tuple(kernel_size, nd, f"lp_pool{nd}d", "kernel_size")
    pool = (avg_pool1d, avg_pool2d, avg_pool3d)[nd - 1]
    out = pool(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    # NOTE: as PyTorch: sign(out) * relu(|out|) keeps the gradient at 0 finite
    return (ember.sign(out) * ember.relu(ember.abs(out))).mul(math.prod(k)).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling: ``(sum_window x ** p) ** (1 / p)``.

    Args:
        input: ``(N, C, L)`` or ``(C, L)``.
        norm_type: the power ``p``.
        kernel_size: window size.
        stride: Default: ``kernel_size``.
        ceil_mode: Default: ``False``.

    Example:
        >>> import ember
        >>> ember.nn.functional.lp_pool1d(ember.tensor([[3., 4.]]), 2, 2).tolist()
        [[5.0]]
    """
    return _lp_pool(1, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """2-D power-average pooling (see :func:`lp_pool1d`).

    Example:
        >>> import ember
        >>> ember.nn.functional.lp_pool2d(ember.ones(1, 1, 2, 2), 1, 2).item()
        4.0
    """
    return _lp_pool(2, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """3-D power-average pooling (see :func:`lp_pool1d`).

    Example:
        >>> import ember
        >>> ember.nn.functional.lp_pool3d(ember.ones(1, 1, 2, 2, 2), 1, 2).item()
        8.0
    """
    return _lp_pool(3, input, norm_type, kernel_size, stride, ceil_mode)

