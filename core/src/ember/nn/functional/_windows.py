"""Sliding windows over ``(N, C, *S)`` arrays, shared by convolution, pooling and unfold.

:func:`windows` pads an input and views every window of it as ``(N, C, *k, *osz)`` (no copy,
``as_strided``); :func:`pad_temp` pads into a reusable workspace buffer for callers that only
read the padded copy while they copy out of it. The adjoints scatter per-window values back:
:func:`col2im` from im2col columns, :func:`scatter_taps` from one array per kernel tap, each
with one strided slice-add per tap (the only Python loop is over taps).

Example:
    >>> import numpy as np
    >>> windows(np, np.arange(4.0).reshape(1, 1, 4), (0,), (3,), (2,), (1,), (1,)).shape
    (1, 1, 2, 3)
"""

from __future__ import annotations

import numpy as np

from ... import _host_buffers as workspace

__all__: list[str] = []


def as_strided(xp, a, shape, strides):
    return xp.lib.stride_tricks.as_strided(a, shape=shape, strides=strides)


def _window_pads(x, lo, osz, k, stride, dil) -> list:
    """``[(before, after), ...]`` per spatial dim: ``lo`` before, and after only as far as the
    last window reaches."""
    return [(lo_, max(0, (o - 1) * s + d * (kk - 1) + 1 - n - lo_))
            for o, s, d, kk, n, lo_ in zip(osz, stride, dil, k, x.shape[2:], lo, strict=True)]


def pad_temp(xp, x, pads, fill=0):
    """``(padded, temp)``: ``x`` (N, C, *S) padded by ``pads`` ``[(before, after), ...]`` per
    spatial dim with ``fill`` (``x`` itself when there is nothing to pad). On the CPU the padded
    copy is a workspace buffer (``temp`` True) that the caller hands back with
    ``workspace.give`` once nothing reads it."""
    if not any(v for pair in pads for v in pair):
        return x, False
    if xp is not np:
        return xp.pad(x, [(0, 0), (0, 0)] + list(pads), constant_values=fill), False
    spatial = x.shape[2:]
    out = workspace.take(x.shape[:2] + tuple(a + n + b for (a, b), n in
                                             zip(pads, spatial, strict=True)), x.dtype)
    for i, ((a, b), n) in enumerate(zip(pads, spatial, strict=True)):
        pre = (slice(None),) * (2 + i)
        if a:
            out[pre + (slice(0, a),)] = fill
        if b:
            out[pre + (slice(a + n, None),)] = fill
    out[(slice(None), slice(None)) + tuple(slice(a, a + n) for (a, _), n in
                                           zip(pads, spatial, strict=True))] = x
    return out, True


def windows(xp, x, lo, osz, k, stride, dil, fill=0):
    """View ``(N, C, *k, *osz)`` of ``x`` (N, C, *S) padded by ``lo`` before each dim.

    Pads after each dim only as far as the last window reaches (``fill`` values).
    """
    pads = _window_pads(x, lo, osz, k, stride, dil)
    if any(v for pair in pads for v in pair):
        x = xp.pad(x, [(0, 0), (0, 0)] + pads, constant_values=fill)
    return _window_view(xp, x, osz, k, stride, dil)


def _window_view(xp, x, osz, k, stride, dil):
    """The ``(N, C, *k, *osz)`` windows of an already padded ``x``."""
    st = x.strides
    sp = st[2:]
    return as_strided(xp, x, x.shape[:2] + tuple(k) + tuple(osz),
                      st[:2] + tuple(a * d for a, d in zip(sp, dil, strict=True))
                      + tuple(a * s for a, s in zip(sp, stride, strict=True)))


def col2im(xp, cols, size, lo, stride, dil, out_dtype, out=None):
    """Adjoint of :func:`windows`: sum ``cols`` (C, *k, N, *osz) into an (N, C, *size) image
    (written into ``out`` when given).

    One strided slice-add per kernel tap (the loop is over taps only).
    """
    nd = len(size)
    c, k, n, osz = cols.shape[0], cols.shape[1:1 + nd], cols.shape[1 + nd], cols.shape[2 + nd:]
    return scatter_taps(xp, lambda i, tap: cols[(slice(None),) + tap], (n, c), size, lo, k,
                        stride, dil, osz, out_dtype, swapped=True, out=out)


def _taps(k):
    taps = [()]
    for kk in k:
        taps = [t + (i,) for t in taps for i in range(kk)]
    return taps


def scatter_taps(xp, parts, shape, size, lo, k, stride, dil, osz, dtype, swapped=False,
                 out=None):
    """Sum ``parts(i, tap)`` (N, C, *osz) into the window positions of an (N, C, *size) image
    (``shape`` = (N, C)); with ``swapped`` the parts are (C, N, *osz).

    The adjoint of reading tap ``tap`` of every window; one strided slice-add per tap. The sum
    is built in a padded scratch buffer (cropped into a recycled result) or, without padding,
    straight in the result; ``out``, when given, is that result.
    """
    full = [max((o - 1) * s + d * (kk - 1) + 1, l_ + sz)
            for o, s, d, kk, l_, sz in zip(osz, stride, dil, k, lo, size, strict=True)]
    cropped = tuple(full) != tuple(size)
    if cropped:
        buf = workspace.scratch(xp, (*shape, *full), dtype, zero=True)
    else:
        buf = workspace.result(xp, (*shape, *full), dtype) if out is None else out
        buf.fill(0)
    target = buf.swapaxes(0, 1) if swapped else buf
    # windows that neither overlap nor repeat a position: each slot gets one value, so plain
    # assignment (no read-modify-write) is enough
    disjoint = all(s >= d * (kk - 1) + 1 for s, d, kk in zip(stride, dil, k, strict=True))
    for i, tap in enumerate(_taps(k)):
        key = (slice(None), slice(None)) + tuple(
            slice(t * d, t * d + (o - 1) * s + 1, s)
            for t, d, o, s in zip(tap, dil, osz, stride, strict=True))
        if disjoint:
            target[key] = parts(i, tap)
        else:
            target[key] += parts(i, tap)
    if not cropped:
        return buf
    crop = buf[(slice(None), slice(None)) + tuple(
        slice(l_, l_ + sz) for l_, sz in zip(lo, size, strict=True))]
    if out is None:
        out = workspace.copy(xp, crop)
    else:
        out[...] = crop
    workspace.give(buf)
    return out
