"""Array kernels of the convolutions (numpy or cupy arrays in, arrays out; no autograd).

``conv_fwd`` lays the windows of the input out as columns (im2col, one strided copy) and
multiplies them with the weight in one GEMM, batched over groups; ``conv_t_fwd`` and
``conv_w_fwd`` are its adjoints in the input and in the weight. On the CPU a batch whose columns
would not fit the last-level cache runs in blocks of samples (:func:`_block`): the columns of
one block are copied and consumed by the GEMM while they are still cached, and a weight
gradient recomputes them block by block instead of keeping the forward's (a 3x3 conv on
16x64x56x56 copies 115 MB of columns; per sample the copy takes a third of the time and the
GEMM reads cached data).

Shapes: x (N, C, *S), w (O, C/groups, *k), y (N, O, *osz); columns
(groups, C/groups * prod(k), N * prod(osz)).

Example:
    >>> import numpy as np
    >>> g = Geom((0, 0), (1, 1), (1, 1), 1)
    >>> conv_fwd(np, np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)), None, g, (2, 2)).tolist()
    [[[[4.0, 4.0], [4.0, 4.0]]]]
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from ... import _host_buffers as workspace
from ._windows import _window_pads, _window_view, as_strided, col2im, pad_temp

__all__ = ["Geom", "conv_fwd", "conv_fwd_cols", "conv_t_fwd", "conv_w_fwd", "bias_grad",
           "release"]

# lo: zero padding before each spatial dim (the padding after follows from the sizes)
Geom = namedtuple("Geom", "lo stride dil groups")


# ---------------------------------------------------------------------- array kernels
def _pointwise(g: Geom, k) -> bool:
    return (all(kk == 1 for kk in k) and not any(g.lo)
            and all(s == 1 for s in g.stride))


def _materialize(xp, view, shape):
    """``view`` copied into a fresh C-contiguous array (CPU: a reusable workspace buffer) and
    reshaped to ``shape``."""
    if xp is not np:
        return view.reshape(shape)
    out = workspace.take(view.shape, view.dtype)
    np.copyto(out, view)
    return out.reshape(shape)


def release(cols) -> None:
    """Hand the CPU columns of :func:`_columns` back to the workspace (nothing reads them)."""
    if cols is not None and type(cols[0]) is np.ndarray:
        workspace.give(cols[0])


def im2col(xp, x, g: Geom, osz, k):
    """Columns ``(groups, C/groups * prod(k), N * prod(osz))`` of the windows of ``x``."""
    n, c = x.shape[:2]
    xpad, temp = pad_temp(xp, x, _window_pads(x, g.lo, osz, k, g.stride, g.dil))
    w = _window_view(xp, xpad, osz, k, g.stride, g.dil)
    nd = len(k)
    perm = (1, *range(2, 2 + nd), 0, *range(2 + nd, 2 + 2 * nd))
    cols = _materialize(xp, w.transpose(perm), (g.groups, c // g.groups * math.prod(k),
                                                n * math.prod(osz)))
    if temp:
        workspace.give(xpad)
    return cols


def _padded_sizes(g: Geom, size, osz, k) -> list:
    """Per spatial dim: the input padded by ``lo`` before and after only as far as the last
    window of a stride-1 conv reaches."""
    return [max(lo + s, o + d * (kk - 1))
            for lo, s, o, d, kk in zip(g.lo, size, osz, g.dil, k, strict=True)]


def _wide_cols(xp, x, g: Geom, osz, k):
    """Stride-1 im2col on the padded grid: ``(cols, wide)``.

    The padded input is flattened per channel; the window tap ``t`` of every output position
    on the grid ``wide = (osz[0], *Sp[1:])`` (``Sp``: padded sizes) is then one contiguous run
    of it at offset ``sum(t_i * dil_i * F_i)`` (``F_i``: flat strides).  Copying runs of
    ``prod(wide)`` elements is several times faster than rows of ``osz[-1]`` elements when the
    image is small; the GEMM computes ``Sp[i] - osz[i]`` junk positions per row, which the
    caller crops away.  Columns: ``(groups, C/groups * prod(k), N * prod(wide))``.
    """
    n, c = x.shape[:2]
    size = x.shape[2:]
    nd = len(k)
    sp = _padded_sizes(g, size, osz, k)
    hi = [p - lo - s for p, lo, s in zip(sp, g.lo, size, strict=True)]
    flat_stride = [math.prod(sp[i + 1:]) for i in range(nd)]
    length = osz[0] * flat_stride[0]
    reach = sum((kk - 1) * d * f for kk, d, f in zip(k, g.dil, flat_stride, strict=True))
    short = reach + length - sp[0] * flat_stride[0]  # the last taps run past the last row
    if short > 0:
        hi[0] += -(-short // flat_stride[0])
    x, temp = pad_temp(xp, x, list(zip(g.lo, hi, strict=True)))
    flat = xp.ascontiguousarray(x).reshape(n, c, -1)
    st, item = flat.strides, flat.itemsize
    view = as_strided(xp, flat, (n, c, *k, length),
                      (st[0], st[1], *(d * f * item for d, f in zip(g.dil, flat_stride,
                                                                     strict=True)), item))
    perm = (1, *range(2, 2 + nd), 0, 2 + nd)
    cols = _materialize(xp, view.transpose(perm),
                        (g.groups, c // g.groups * math.prod(k), n * length))
    if temp:
        workspace.give(x)
    return cols, (osz[0], *sp[1:])


def _columns(xp, x, g: Geom, osz, k):
    """``(cols, wide)``: :func:`_wide_cols` for stride-1 convs of 2+ spatial dims whose wide
    grid is at most 1/12 junk, else :func:`im2col` with ``wide=None``."""
    if len(k) >= 2 and all(s == 1 for s in g.stride):
        # the junk positions cost GEMM work in the forward and both gradients: 16x256x14x14
        # 3x3 (1/8 junk) forward + backward 64 -> 60 ms exact, 16x512x7x7 (2/9) 73 -> 63 ms
        # (measured with blocked columns); at 1/15 junk (28x28) both are equal
        sp = _padded_sizes(g, x.shape[2:], osz, k)
        if math.prod(osz[1:]) * 12 >= math.prod(sp[1:]) * 11:
            return _wide_cols(xp, x, g, osz, k)
    return im2col(xp, x, g, osz, k), None


def _crop(osz):
    """Index of the ``osz`` corner of a ``(N, C, *wide)`` array."""
    return (slice(None), slice(None), slice(None)) + tuple(slice(0, o) for o in osz[1:])


# below this many output positions per sample, one GEMM over the whole batch plus a
# (N, O) transpose copy beats a per-sample batched GEMM (measured on OpenBLAS, float32)
_PER_SAMPLE_MIN = 1024


def _gemm_nop(xp, wm, cols, n, osz, temp: bool = False, out=None):
    """``wm (g, Og, CgK) @ cols (g, CgK, N * P)`` laid out as ``(N, g * Og, *osz)``, written
    into ``out`` (a C-contiguous array of that shape) when given. With ``temp`` (the caller
    only copies out of it) the per-sample product goes to a scratch buffer that the caller
    gives back (``give`` ignores the recycled results of the other paths)."""
    ng, og, _ = wm.shape
    p = math.prod(osz)
    dtype = np.result_type(wm.dtype, cols.dtype)
    if p >= _PER_SAMPLE_MIN:
        # per-sample GEMMs on strided views of the columns write (N, O, P) directly
        c4 = cols.reshape(ng, -1, n, p).transpose(2, 0, 1, 3)  # (N, g, CgK, P) view
        dst = (out.reshape(n, ng, og, p) if out is not None else
               (workspace.scratch if temp else workspace.result)(xp, (n, ng, og, p), dtype))
        return xp.matmul(wm, c4, out=dst).reshape(n, ng * og, *osz)
    if n == 1 or ng * og == 1:  # the (O, N) and (N, O) orders coincide: no transpose
        dst = (out.reshape(ng, og, -1) if out is not None else
               workspace.result(xp, (ng, og, cols.shape[2]), dtype))
        return xp.matmul(wm, cols, out=dst).reshape(n, ng * og, *osz)
    prod = xp.matmul(wm, cols, out=workspace.scratch(xp, (ng, og, cols.shape[2]), dtype))
    if out is None:
        out = workspace.copy(xp, prod.reshape(ng * og, n, *osz).swapaxes(0, 1))
    else:
        out[...] = prod.reshape(ng * og, n, *osz).swapaxes(0, 1)
    workspace.give(prod)
    return out


# Columns larger than this run in blocks of samples of about this size on the CPU: a quarter
# of our CPU's 32 MB L3 cache, so that a block's columns are still cached when the GEMM reads
# them (a 16x64x56x56 3x3 conv: columns + GEMM 23.7 ms whole, 18.6 ms per sample)
_BLOCK_BYTES = 8 << 20


def _block(xp, n: int, c: int, osz, k, dtype) -> int:
    """Samples per block of columns ``(C * prod(k), N * prod(osz))``: the whole batch off the
    CPU or when its columns are small."""
    if xp is not np:
        return n
    per_sample = c * math.prod(k) * math.prod(osz) * np.dtype(dtype).itemsize
    return max(1, min(n, _BLOCK_BYTES // max(1, per_sample)))


def _cols_product(xp, wm, cols, n, osz, out=None):
    """The convolution ``(N, O, *osz)`` of ``n`` samples from their ``(columns, wide)``,
    written into ``out`` when given; a product on the wide grid is cropped (a copy)."""
    cols, wide = cols
    if wide is None or tuple(wide) == tuple(osz):
        return _gemm_nop(xp, wm, cols, n, osz, out=out)
    prod = _gemm_nop(xp, wm, cols, n, wide, temp=True)
    if out is None:
        out = workspace.copy(xp, prod[_crop(osz)])
    else:
        out[...] = prod[_crop(osz)]
    workspace.give(prod)
    return out


def _fwd_blocks(xp, x, wm, g: Geom, osz, k, bs: int):
    """The im2col forward ``(N, O, *osz)`` in blocks of ``bs`` samples; the columns of each
    block go back to the workspace before the next is copied (the same cached buffer)."""
    n = x.shape[0]
    y = workspace.result(xp, (n, wm.shape[0] * wm.shape[1], *osz),
                         np.result_type(wm.dtype, x.dtype))
    for s in range(0, n, bs):
        xb = x[s:s + bs]
        cols = _columns(xp, xb, g, osz, k)
        _cols_product(xp, wm, cols, xb.shape[0], osz, out=y[s:s + bs])
        release(cols)
    return y


def _as_conv(g: Geom, k) -> bool:
    """Whether conv_transpose with this geometry is a plain stride-1 conv (no negative pad)."""
    return (all(s == 1 for s in g.stride)
            and all(d * (kk - 1) >= l_ for d, kk, l_ in zip(g.dil, k, g.lo, strict=True)))


def conv_fwd_cols(xp, x, w, b, g: Geom, osz):
    """Array convolution: x (N, C, *S), w (O, C/g, *k) -> ((N, O, *osz), columns), the
    columns as :func:`_columns` returns them (``None`` for a 1x1 convolution and for a
    forward in blocks)."""
    n, c = x.shape[:2]
    o = w.shape[0]
    k = w.shape[2:]
    nd = len(k)
    cols = None
    if _pointwise(g, k) and tuple(x.shape[2:]) == tuple(osz):
        # 1x1 convolution: a plain GEMM per sample on the input itself, no im2col
        wm = w.reshape(g.groups, o // g.groups, -1)
        y = (wm @ x.reshape(n, g.groups, c // g.groups, -1)).reshape(n, o, *osz)
    elif (bs := _block(xp, n, c, osz, k, x.dtype)) < n:  # no columns kept for the backward
        y = _fwd_blocks(xp, x, w.reshape(g.groups, o // g.groups, -1), g, osz, k, bs)
    else:
        cols = _columns(xp, x, g, osz, k)
        y = _cols_product(xp, w.reshape(g.groups, o // g.groups, -1), cols, n, osz)
    if b is not None:
        y += b.reshape((1, o) + (1,) * nd)
    return y, cols


def conv_fwd(xp, x, w, b, g: Geom, osz):
    """Array convolution: x (N, C, *S), w (O, C/g, *k) -> (N, O, *osz)."""
    y, cols = conv_fwd_cols(xp, x, w, b, g, osz)
    release(cols)
    return y


def conv_t_fwd(xp, y, w, b, g: Geom, size):
    """Array adjoint of conv in x: y (N, O, *osz), w (O, C/g, *k) -> (N, C, *size)."""
    n, o = y.shape[:2]
    osz = y.shape[2:]
    k = w.shape[2:]
    nd = len(k)
    cg = w.shape[1]
    c = cg * g.groups
    og = o // g.groups
    if _pointwise(g, k) and tuple(size) == tuple(osz):
        wm = w.reshape(g.groups, og, -1).swapaxes(1, 2)  # (g, Cg, Og)
        x = (wm @ y.reshape(n, g.groups, og, -1)).reshape(n, c, *size)
    elif og <= cg and _as_conv(g, k):
        # stride 1: the adjoint is a plain convolution of y with the flipped, transposed
        # kernel (one im2col + one GEMM instead of a GEMM to columns and a per-tap scatter);
        # it copies og * K rows of columns where the scatter writes and re-reads cg * K, so it
        # only wins when y has no more channels than the result (measured)
        flip = (slice(None), slice(None)) + (slice(None, None, -1),) * nd
        wt = w.reshape(g.groups, og, cg, *k).swapaxes(1, 2).reshape(c, og, *k)[flip]
        lo = tuple(d * (kk - 1) - l_ for d, kk, l_ in zip(g.dil, k, g.lo, strict=True))
        x = conv_fwd(xp, y, xp.ascontiguousarray(wt), None,
                     Geom(lo, g.stride, g.dil, g.groups), tuple(size))
    else:  # GEMM to columns, scattered into the image: in blocks of samples when large
        wm = w.reshape(g.groups, og, -1).swapaxes(1, 2)  # (g, Cg*K, Og)
        dtype = np.result_type(wm.dtype, y.dtype)
        bs = _block(xp, n, c, osz, k, dtype)
        x = None if bs >= n else workspace.result(xp, (n, c, *size), y.dtype)
        for s in range(0, n, bs):
            yb = y[s:s + bs]
            nb = yb.shape[0]
            ym = yb.reshape(nb, g.groups, og, -1).transpose(1, 2, 0, 3).reshape(g.groups, og, -1)
            buf = workspace.scratch(xp, (g.groups, wm.shape[1], ym.shape[2]), dtype)
            # an inner dimension of 1 (depthwise) is an outer product: broadcasting beats BLAS
            (xp.multiply if og == 1 else xp.matmul)(wm, ym, out=buf)
            xb = col2im(xp, buf.reshape(c, *k, nb, *osz), size, g.lo, g.stride, g.dil,
                        y.dtype, out=None if x is None else x[s:s + bs])
            workspace.give(buf)
        if x is None:
            x = xb
    if b is not None:
        x += b.reshape((1, c) + (1,) * nd)
    return x


def conv_w_fwd(xp, x, y, g: Geom, k, cols=None):
    """Array adjoint of conv in w: x (N, C, *S), y (N, O, *osz) -> (O, C/g, *k); ``cols``:
    the forward's ``(columns, wide)`` when it kept them, else they are made again (in blocks
    of samples when large: the block products are summed)."""
    n, c = x.shape[:2]
    osz = y.shape[2:]
    shape = (y.shape[1], c // g.groups, *k)
    if cols is not None:
        return _w_product(xp, cols, y, g, osz).reshape(shape)
    bs = _block(xp, n, c, osz, k, x.dtype)
    gw = None
    for s in range(0, n, bs):
        own = _columns(xp, x[s:s + bs], g, osz, k)
        part = _w_product(xp, own, y[s:s + bs], g, osz)
        release(own)
        if gw is None:
            gw = part
        else:
            gw += part
    return gw.reshape(shape)


def _w_product(xp, cols, y, g: Geom, osz):
    """``y (g, Og, N * P) @ cols^T``: the weight gradient ``(g, Og, CgK)`` of one block."""
    cols, wide = cols
    n, og = y.shape[0], y.shape[1] // g.groups
    if wide is None:  # y as (g, Og, N * P): one transpose copy (one GEMM beats per-sample
        # products on strided views here, measured)
        ym = workspace.scratch(xp, (g.groups, og, n, math.prod(osz)), y.dtype)
        ym[...] = y.reshape(n, g.groups, og, -1).transpose(1, 2, 0, 3)
    else:  # y on the wide grid of the columns, zero at the junk positions
        ym = workspace.scratch(xp, (g.groups, og, n, *wide), y.dtype, zero=True)
        ym[(slice(None),) + _crop(osz)] = y.reshape(n, g.groups, og, *osz).transpose(
            1, 2, 0, *range(3, 3 + len(osz)))
    gw = ym.reshape(g.groups, og, -1) @ cols.swapaxes(1, 2)
    workspace.give(ym)
    return gw


def bias_grad(gy):
    return gy.sum(axis=(0, *range(2, gy.ndim)))
