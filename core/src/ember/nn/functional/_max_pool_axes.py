r"""Max pooling one spatial axis at a time (private; used by :mod:`._pool`).

The max over a box window is the max over its last axis, then over the axis before, and so on:

.. math::
    \max_{(t_1, \dots, t_n)} x[\dots] = \max_{t_1} \cdots \max_{t_n} x[\dots]

so a 3×3 window costs 2 + 2 elementwise maxima over the (partly reduced) image instead of 8
over strided views, and the winner's position is found per axis the same way. PyTorch's
choice among equal values — the first in row-major scan order, or the last NaN when a window
holds NaNs (it updates on ``val > max || isnan(val)``) — composes per axis: the first row that
holds the maximum, and in it the first column that does (for NaNs: the last row holding a NaN,
and in it the last NaN).

Each stage keeps ``a`` (uint8), the winning tap along its axis for every stage output. The
backward routes the gradient back one axis at a time (``k`` strided slice-adds per axis);
the combined tap index (row-major over the whole window, the form :class:`._pool.MaxPool`
turns into PyTorch's flat indices) is only assembled when asked for.

Shapes: ``x`` (N, C, *S); stage ``i`` maps (N, C, *S_i) to (N, C, *S_{i+1}) where only its
axis shrinks to the output size.
"""

from __future__ import annotations

import math

import numpy as np

from ... import _host_buffers as workspace
from ._windows import _window_pads, pad_temp

__all__: list[str] = []


def _taps_along(a, axis: int, kk: int, s: int, d: int, o: int) -> list:
    """The ``kk`` strided views of ``a`` along spatial ``axis``: view ``t`` holds tap ``t`` of
    every window (``o`` windows, stride ``s``, dilation ``d``)."""
    pre = (slice(None),) * (2 + axis)
    return [a[pre + (slice(t * d, t * d + (o - 1) * s + 1, s),)] for t in range(kk)]


def winner(xp, views, best, floating: bool):
    """Index of the winning view at every position: the first equal to ``best``, or where
    ``best`` is NaN the last NaN (PyTorch's scan rule). uint8 for under 256 views, else
    int64."""
    kk = len(views)
    dtype = np.uint8 if kk < 256 else np.int64
    if floating and bool(xp.isnan(best).any()):
        cur = views[0].copy()
        arg = xp.zeros(best.shape, dtype=dtype)
        for t in range(1, kk):
            upd = (views[t] > cur) | xp.isnan(views[t])
            xp.copyto(cur, views[t], where=upd)
            xp.copyto(arg, t, where=upd)
        return arg
    # the winner is the number of leading taps that differ from the max: boolean arithmetic,
    # several times faster than masked writes (``copyto(where=)``) on numpy
    differs = views[0] != best
    arg = differs.astype(dtype)
    for t in range(1, kk - 1):
        differs &= views[t] != best
        arg += differs
    return arg


def all_finite(xp, a) -> bool:
    """Whether every element of numpy array ``a`` is finite (always for integer arrays); False
    off the CPU, where :func:`masked` then uses ``where`` (as fast there) without a device
    synchronisation for the check."""
    if xp is not np:
        return False
    return a.dtype.kind not in "fc" or bool(np.isfinite(a).all())


def masked(xp, g, mask, finite: bool, out=None):
    """``g`` where ``mask`` else 0, into ``out`` when given. With ``finite`` (``g`` holds no
    inf/NaN) as a product with the mask, several times faster than ``where`` on numpy; a
    product would turn inf or NaN into NaN where the mask is False, so otherwise ``where``."""
    if finite:
        return xp.multiply(g, mask, out=out)
    res = xp.where(mask, g, xp.zeros((), dtype=g.dtype))
    if out is None:
        return res
    out[...] = res
    return out


def _inside(kk: int, s: int, d: int, o: int, lo: int, n: int) -> list:
    """Per tap ``t``: ``(j0, j1, q0)`` — the windows ``j0 <= j < j1`` whose tap ``t`` lies
    inside the unpadded input (``n`` long, ``lo`` padding before it) and the input position
    of the first; None where no window's tap ``t`` does."""
    out = []
    for t in range(kk):
        j0 = max(0, -(-(lo - t * d) // s))
        j1 = min(o, (n - 1 + lo - t * d) // s + 1)
        out.append((j0, j1, t * d + j0 * s - lo) if j0 < j1 else None)
    return out


class AxisMax:
    """Forward state of one axis-by-axis max pool: the stages' geometry and winners."""

    def __init__(self, xp, x, lo, osz, k, stride, dil, need_arg: bool) -> None:
        floating = x.dtype.kind == "f"
        fill = -xp.inf if floating else np.iinfo(x.dtype).min
        padded, temp = pad_temp(xp, x, _window_pads(x, lo, osz, k, stride, dil), fill)
        cur = padded
        self.size = tuple(x.shape[2:])
        self.lo = tuple(lo)
        self.stages = []  # (axis, kk, s, d, o, winners) in processing order
        for axis in reversed(range(len(k))):
            geo = (k[axis], stride[axis], dil[axis], osz[axis])
            views = _taps_along(cur, axis, *geo)
            best = workspace.copy(xp, views[0])
            for v in views[1:]:
                xp.maximum(best, v, out=best)  # NOTE: propagates NaN, as PyTorch's max pool
            arg = None
            if need_arg:
                arg = winner(xp, views, best, floating)
                self._no_padding_wins(xp, arg, best, axis, geo, fill)
            self.stages.append((axis, *geo, arg))
            cur = best
        self.out = cur
        if temp:
            workspace.give(padded)

    def _no_padding_wins(self, xp, arg, best, axis, geo, fill) -> None:
        """Where a window's maximum is the padding value itself (``-inf`` or the integer
        minimum) its first tap equal to it may lie in the padding; PyTorch scans only the
        input and keeps the first tap inside it. Only the leading windows can start in the
        padding."""
        kk, s, d, o = geo
        lo = self.lo[axis]
        first = [max(0, -(-(lo - j * s) // d)) for j in range(min(o, -(-lo // s)))]
        if not first:
            return
        key = (slice(None),) * (2 + axis) + (slice(0, len(first)),)
        at_fill = best[key] == fill
        if bool(at_fill.any()):
            shape = [1] * best.ndim
            shape[2 + axis] = len(first)
            lead = arg[key]
            xp.copyto(lead, xp.asarray(first, dtype=arg.dtype).reshape(shape), where=at_fill)

    def tap_index(self, xp):
        """Winning tap of every window, row-major over the window (``_taps`` order): uint8
        for windows under 256 taps, else int64."""
        n_taps = math.prod(st[1] for st in self.stages)
        dtype = np.uint8 if n_taps < 256 else np.int64
        arg, later = None, 1
        for axis, kk, s, d, o, a in self.stages:
            if arg is None:
                arg = a.astype(dtype)
            else:  # the previous stages' index at the position this axis chose
                prev = _taps_along(arg, axis, kk, s, d, o)
                sel = prev[0] * (a == 0)
                for t in range(1, kk):
                    sel += prev[t] * (a == t)
                arg = a.astype(dtype)
                arg *= later
                arg += sel
            later *= kk
        return arg

    def route(self, xp, gy):
        """Adjoint of the forward: ``gy`` (N, C, *osz) into (N, C, *S) at the winners.

        Axis by axis in reverse, each straight into the unpadded extent (no winner lies in
        the padding); the intermediate arrays are workspace buffers on the CPU."""
        g, g_temp = gy, False
        finite = all_finite(xp, gy)
        stages = self.stages[::-1]
        for i, (axis, kk, s, d, o, a) in enumerate(stages):
            # winners of this stage at the unpadded positions of the axes already routed
            a = a[(slice(None), slice(None)) + tuple(
                slice(self.lo[j], self.lo[j] + self.size[j]) for j in range(axis))]
            shape = g.shape[:2 + axis] + (self.size[axis],) + g.shape[3 + axis:]
            temp = xp is np and i < len(stages) - 1
            gin = workspace.take(shape, gy.dtype) if temp else workspace.result(xp, shape,
                                                                                  gy.dtype)
            gin.fill(0)
            disjoint = s >= d * (kk - 1) + 1  # each input position in at most one window
            pre = (slice(None),) * (2 + axis)
            for t, span in enumerate(_inside(kk, s, d, o, self.lo[axis], self.size[axis])):
                if span is None:
                    continue
                j0, j1, q0 = span
                view = gin[pre + (slice(q0, q0 + (j1 - j0 - 1) * s + 1, s),)]
                win = pre + (slice(j0, j1),)
                part = masked(xp, g[win], a[win] == t, finite,
                              out=workspace.scratch(xp, view.shape, gy.dtype))
                if disjoint:
                    view[...] = part
                else:
                    view += part
                workspace.give(part)
            if g_temp:
                workspace.give(g)
            g, g_temp = gin, temp
        return g
