"""Convolutions: ``conv1d/2d/3d`` and ``conv_transpose1d/2d/3d`` as strided windows + one GEMM.

The forward pads the input, takes a sliding-window view of it with ``as_strided`` (no copy),
lays the windows out as columns (im2col, one copy) and multiplies them with the weight in a
single matmul, batched over groups.  Three nodes close the autograd system under
differentiation, so double backward works:

* ``Convolution``          y  = conv(x, w)
* ``ConvolutionTranspose`` x' = conv_transpose(y, w)  (the adjoint of conv in ``x``)
* ``ConvolutionWeight``    w' = conv_weight(x, y)     (the adjoint of conv in ``w``)

Each one's backward is expressed through the other two.  ``col2im`` (the scatter of columns
back into an image) loops over kernel taps only, adding one strided slice per tap.  A stride-1
``conv_transpose`` (the input gradient of a stride-1 conv) skips the scatter: it is a plain
conv of its input with the flipped, transposed kernel.  With many output positions per sample
the forward GEMM runs per sample on strided views of the columns, writing ``(N, O, ...)``
directly instead of transposing an ``(O, N, ...)`` product.

Example:
    >>> import ember
    >>> import ember.nn.functional as F
    >>> x = ember.ones(1, 1, 3, 3)
    >>> F.conv2d(x, ember.ones(1, 1, 2, 2)).shape
    ember.Size([1, 1, 2, 2])
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from ... import _host_buffers as workspace
from ..._tensor import Tensor
from ...autograd.node import Node
from ...ops._dispatch import apply
from ._windows import _window_pads, _window_view, as_strided, col2im, pad_temp

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d"]

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


def _release(cols) -> None:
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
    hi = [max(0, o + d * (kk - 1) - s - lo)
          for o, d, kk, s, lo in zip(osz, g.dil, k, size, g.lo, strict=True)]
    sp = [lo + s + h for lo, s, h in zip(g.lo, size, hi, strict=True)]
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
    """``(cols, wide)``: :func:`_wide_cols` for stride-1 convs of 2+ spatial dims, else
    :func:`im2col` with ``wide=None``."""
    if len(k) >= 2 and all(s == 1 for s in g.stride):
        return _wide_cols(xp, x, g, osz, k)
    return im2col(xp, x, g, osz, k), None


def _crop(osz):
    """Index of the ``osz`` corner of a ``(N, C, *wide)`` array."""
    return (slice(None), slice(None), slice(None)) + tuple(slice(0, o) for o in osz[1:])


# below this many output positions per sample, one GEMM over the whole batch plus a
# (N, O) transpose copy beats a per-sample batched GEMM (measured on OpenBLAS, float32)
_PER_SAMPLE_MIN = 1024


def _gemm_nop(xp, wm, cols, n, osz, temp: bool = False):
    """``wm (g, Og, CgK) @ cols (g, CgK, N * P)`` laid out as ``(N, g * Og, *osz)``. With
    ``temp`` (the caller only copies out of it) the per-sample product goes to a scratch buffer
    that the caller gives back (``give`` ignores the recycled results of the other paths)."""
    ng, og, _ = wm.shape
    p = math.prod(osz)
    dtype = np.result_type(wm.dtype, cols.dtype)
    if p >= _PER_SAMPLE_MIN:
        # per-sample GEMMs on strided views of the columns write (N, O, P) directly
        c4 = cols.reshape(ng, -1, n, p).transpose(2, 0, 1, 3)  # (N, g, CgK, P) view
        out = (workspace.scratch if temp else workspace.result)(xp, (n, ng, og, p), dtype)
        return xp.matmul(wm, c4, out=out).reshape(n, ng * og, *osz)
    if n == 1 or ng * og == 1:  # the (O, N) and (N, O) orders coincide: no transpose
        out = workspace.result(xp, (ng, og, cols.shape[2]), dtype)
        return xp.matmul(wm, cols, out=out).reshape(n, ng * og, *osz)
    prod = xp.matmul(wm, cols, out=workspace.scratch(xp, (ng, og, cols.shape[2]), dtype))
    y = workspace.copy(xp, prod.reshape(ng * og, n, *osz).swapaxes(0, 1))
    workspace.give(prod)
    return y


def _as_conv(g: Geom, k) -> bool:
    """Whether conv_transpose with this geometry is a plain stride-1 conv (no negative pad)."""
    return (all(s == 1 for s in g.stride)
            and all(d * (kk - 1) >= l_ for d, kk, l_ in zip(g.dil, k, g.lo, strict=True)))


def conv_fwd_cols(xp, x, w, b, g: Geom, osz):
    """Array convolution: x (N, C, *S), w (O, C/g, *k) -> ((N, O, *osz), columns), the
    columns as :func:`_columns` returns them (``None`` for a 1x1 convolution)."""
    n, c = x.shape[:2]
    o = w.shape[0]
    k = w.shape[2:]
    nd = len(k)
    cols = None
    if _pointwise(g, k) and tuple(x.shape[2:]) == tuple(osz):
        # 1x1 convolution: a plain GEMM per sample on the input itself, no im2col
        wm = w.reshape(g.groups, o // g.groups, -1)
        y = (wm @ x.reshape(n, g.groups, c // g.groups, -1)).reshape(n, o, *osz)
    else:
        cols = _columns(xp, x, g, osz, k)
        wm = w.reshape(g.groups, o // g.groups, -1)
        if cols[1] is None or tuple(cols[1]) == tuple(osz):
            y = _gemm_nop(xp, wm, cols[0], n, osz)
        else:  # the product on the wide grid is cropped into the result (a copy)
            wide = _gemm_nop(xp, wm, cols[0], n, cols[1], temp=True)
            y = workspace.copy(xp, wide[_crop(osz)])
            workspace.give(wide)
    if b is not None:
        y += b.reshape((1, o) + (1,) * nd)
    return y, cols


def conv_fwd(xp, x, w, b, g: Geom, osz):
    """Array convolution: x (N, C, *S), w (O, C/g, *k) -> (N, O, *osz)."""
    y, cols = conv_fwd_cols(xp, x, w, b, g, osz)
    _release(cols)
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
    else:
        wm = w.reshape(g.groups, og, -1).swapaxes(1, 2)  # (g, Cg*K, Og)
        ym = y.reshape(n, g.groups, og, -1).transpose(1, 2, 0, 3).reshape(g.groups, og, -1)
        buf = workspace.scratch(xp, (g.groups, wm.shape[1], ym.shape[2]),
                                np.result_type(wm.dtype, ym.dtype))
        # an inner dimension of 1 (depthwise) is an outer product: broadcasting beats BLAS
        (xp.multiply if og == 1 else xp.matmul)(wm, ym, out=buf)
        x = col2im(xp, buf.reshape(c, *k, n, *osz), size, g.lo, g.stride, g.dil, y.dtype)
        workspace.give(buf)
    if b is not None:
        x += b.reshape((1, c) + (1,) * nd)
    return x


def conv_w_fwd(xp, x, y, g: Geom, k, cols=None):
    """Array adjoint of conv in w: x (N, C, *S), y (N, O, *osz) -> (O, C/g, *k); ``cols``:
    the forward's ``(columns, wide)`` when it kept them."""
    n, c = x.shape[:2]
    o = y.shape[1]
    osz = y.shape[2:]
    og = o // g.groups
    own = cols is None
    cols, wide = _columns(xp, x, g, osz, k) if own else cols
    if wide is None:  # y as (g, Og, N * P): one transpose copy (one GEMM beats per-sample
        # products on strided views here, measured)
        ym = workspace.scratch(xp, (g.groups, og, n, math.prod(osz)), y.dtype)
        ym[...] = y.reshape(n, g.groups, og, -1).transpose(1, 2, 0, 3)
    else:  # y on the wide grid of the columns, zero at the junk positions
        ym = workspace.scratch(xp, (g.groups, og, n, *wide), y.dtype, zero=True)
        ym[(slice(None),) + _crop(osz)] = y.reshape(n, g.groups, og, *osz).transpose(
            1, 2, 0, *range(3, 3 + len(osz)))
    gw = (ym.reshape(g.groups, og, -1) @ cols.swapaxes(1, 2)).reshape(o, c // g.groups, *k)
    workspace.give(ym)
    if own:
        _release((cols, wide))
    return gw


def _bias_grad(gy):
    return gy.sum(axis=(0, *range(2, gy.ndim)))


# ---------------------------------------------------------------------- nodes
class Convolution(Node):
    """y = conv(x, w) + b."""

    _cols = None  # the forward's im2col columns, kept for a plain backward's weight gradient

    def forward(self, xp, x, w, b, g, osz):
        self.g = g
        y, self._cols = conv_fwd_cols(xp, x, w, b, g, osz)
        return y

    def _release_extra(self) -> None:
        cols, self._cols = self._cols, None
        _release(cols)

    def backward(self, gy):
        x, w = self.saved
        nf = self.next_functions
        gx = conv_transpose_raw(gy, w, self.g, x.shape[2:]) if nf[0][0] is not None else None
        gw = conv_weight_raw(x, gy, self.g, w.shape[2:]) if nf[1][0] is not None else None
        gb = gy.sum((0, *range(2, gy.dim()))) if nf[2][0] is not None else None
        return gx, gw, gb

    def fast(self, gy):
        x, w = self.saved_arrays()
        nf = self.next_functions
        xp = _xp(gy)
        gx = conv_t_fwd(xp, gy, w, None, self.g, x.shape[2:]) if nf[0][0] is not None else None
        gw = conv_w_fwd(xp, x, gy, self.g, w.shape[2:], self._cols) \
            if nf[1][0] is not None else None
        gb = _bias_grad(gy) if nf[2][0] is not None else None
        return gx, gw, gb


class ConvolutionTranspose(Node):
    """x = conv_transpose(y, w) + b (cropped to ``size``)."""

    def name(self) -> str:
        return "ConvolutionBackward0"

    def forward(self, xp, y, w, b, g, size):
        self.g = g
        return conv_t_fwd(xp, y, w, b, g, size)

    def backward(self, gx):
        y, w = self.saved
        nf = self.next_functions
        gy = conv_raw(gx, w, self.g, y.shape[2:]) if nf[0][0] is not None else None
        gw = conv_weight_raw(gx, y, self.g, w.shape[2:]) if nf[1][0] is not None else None
        gb = gx.sum((0, *range(2, gx.dim()))) if nf[2][0] is not None else None
        return gy, gw, gb

    def fast(self, gx):
        y, w = self.saved_arrays()
        nf = self.next_functions
        xp = _xp(gx)
        gy = conv_fwd(xp, gx, w, None, self.g, y.shape[2:]) if nf[0][0] is not None else None
        gw = conv_w_fwd(xp, gx, y, self.g, w.shape[2:]) if nf[1][0] is not None else None
        gb = _bias_grad(gx) if nf[2][0] is not None else None
        return gy, gw, gb


class ConvolutionWeight(Node):
    """w = conv_weight(x, y): the gradient of conv with respect to its weight."""

    def name(self) -> str:
        return "ConvolutionBackwardBackward0"

    def forward(self, xp, x, y, g, k):
        self.g = g
        return conv_w_fwd(xp, x, y, g, k)

    def backward(self, gw):
        x, y = self.saved
        nf = self.next_functions
        gx = conv_transpose_raw(y, gw, self.g, x.shape[2:]) if nf[0][0] is not None else None
        gy = conv_raw(x, gw, self.g, y.shape[2:]) if nf[1][0] is not None else None
        return gx, gy


def _xp(a):
    from ...ops._dispatch import xp_of
    return xp_of(a)


def _run(node, inputs, *args):
    r = apply(node, inputs, *args)
    if r.grad_fn is node:
        node.save(*inputs[:2])
    return r


def conv_raw(x, w, g, osz, b=None):
    node = Convolution()
    r = _run(node, (x, w, b), x._data, w._data, None if b is None else b._data, g, tuple(osz))
    if r.grad_fn is not node or node.next_functions[1][0] is None:
        node._release_extra()  # no weight gradient will need the columns
    return r


def conv_transpose_raw(y, w, g, size, b=None):
    return _run(ConvolutionTranspose(), (y, w, b), y._data, w._data,
                None if b is None else b._data, g, tuple(size))


def conv_weight_raw(x, y, g, k):
    return _run(ConvolutionWeight(), (x, y), x._data, y._data, g, tuple(k))


# ---------------------------------------------------------------------- argument handling
def _tuple(v, nd, op, name):
    if isinstance(v, int):
        return (v,) * nd
    v = tuple(int(i) for i in v)
    if len(v) == 1:
        return v * nd
    if len(v) != nd:
        raise RuntimeError(f"{op}: expected {name} to be a single integer value or a list of "
                           f"{nd} values to match the convolution dimensions, but got "
                           f"{name}={list(v)}")
    return v


def _sizes(t):
    return "[" + ", ".join(str(s) for s in t.shape) + "]"


def _batched(op, input, nd, what="input"):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}() argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) {what} to "
                           f"{op}, but got input of size: {_sizes(input)}")
    return input.dim() == nd + 1


def _check_weight(op, input, weight, bias, nd, groups, transposed):
    if not isinstance(weight, Tensor):
        raise TypeError(f"{op}() argument 'weight' (position 2) must be Tensor, not "
                        f"{type(weight).__name__}")
    if weight.dim() != nd + 2:
        raise RuntimeError(f"Expected {nd + 2}-dimensional weight for {nd + 2}-dimensional "
                           f"input {_sizes(input)}, but got {weight.dim()}-dimensional weight "
                           f"of size {_sizes(weight)} instead")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if input.dtype != weight.dtype:
        raise RuntimeError(f"{op}: Input type ({input.dtype}) and weight type ({weight.dtype}) "
                           "should be the same")
    if input.device != weight.device:
        raise RuntimeError(f"{op}: Input ({input.device}) and weight ({weight.device}) should "
                           "be on the same device")
    c = input.shape[1]
    if transposed:
        if c != weight.shape[0]:
            raise RuntimeError(
                f"Given transposed=1, weight of size {_sizes(weight)}, expected input"
                f"{_sizes(input)} to have {weight.shape[0]} channels, but got {c} channels "
                "instead")
        if c % groups:
            raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by "
                               f"{groups} at dimension 0, but got weight of shape "
                               f"{_sizes(weight)} instead")
        out_c = weight.shape[1] * groups
    else:
        if weight.shape[0] % groups:
            raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by "
                               f"{groups} at dimension 0, but got weight of shape "
                               f"{_sizes(weight)} instead")
        if c != weight.shape[1] * groups:
            raise RuntimeError(
                f"Given groups={groups}, weight of size {_sizes(weight)}, expected input"
                f"{_sizes(input)} to have {weight.shape[1] * groups} channels, but got {c} "
                "channels instead")
        out_c = weight.shape[0]
    if bias is not None:
        if not isinstance(bias, Tensor) or bias.dim() != 1 or bias.shape[0] != out_c:
            got = _sizes(bias) if isinstance(bias, Tensor) else type(bias).__name__
            raise RuntimeError(f"Given weight of size {_sizes(weight)}, expected bias to be "
                               f"1-dimensional with {out_c} elements, but got bias of size "
                               f"{got} instead")
        if bias.dtype != input.dtype:
            raise RuntimeError(f"{op}: Input type ({input.dtype}) and bias type ({bias.dtype}) "
                               "should be the same")


def _conv(op, nd, input, weight, bias, stride, padding, dilation, groups):
    unbatched = _batched(op, input, nd)
    if unbatched:
        input = input.unsqueeze(0)
    _check_weight(op, input, weight, bias, nd, groups, False)
    stride = _tuple(stride, nd, op, "stride")
    dilation = _tuple(dilation, nd, op, "dilation")
    k = tuple(weight.shape[2:])
    size = tuple(input.shape[2:])
    if any(s <= 0 for s in stride):
        raise RuntimeError(f"{op}: non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"{op}: dilation should be greater than zero")
    if isinstance(padding, str):
        if padding == "valid":
            lo = hi = (0,) * nd
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            total = [d * (kk - 1) for d, kk in zip(dilation, k, strict=True)]
            lo = tuple(t // 2 for t in total)
            hi = tuple(t - t // 2 for t in total)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        lo = hi = _tuple(padding, nd, op, "padding")
        if any(p < 0 for p in lo):
            raise RuntimeError(f"{op}: negative padding is not supported")
    padded = [n + a + b for n, a, b in zip(size, lo, hi, strict=True)]
    ext = [d * (kk - 1) + 1 for d, kk in zip(dilation, k, strict=True)]
    if any(p < e for p, e in zip(padded, ext, strict=True)):
        raise RuntimeError(
            f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
            f"Kernel size: ({' x '.join(map(str, ext))}). Kernel size can't be greater than "
            "actual input size")
    osz = tuple((p - e) // s + 1 for p, e, s in zip(padded, ext, stride, strict=True))
    out = conv_raw(input, weight, Geom(lo, stride, dilation, groups), osz, bias)
    return out.squeeze(0) if unbatched else out


def _conv_transpose(op, nd, input, weight, bias, stride, padding, output_padding, groups,
                    dilation):
    unbatched = _batched(op, input, nd)
    if unbatched:
        input = input.unsqueeze(0)
    _check_weight(op, input, weight, bias, nd, groups, True)
    stride = _tuple(stride, nd, op, "stride")
    dilation = _tuple(dilation, nd, op, "dilation")
    if isinstance(padding, str):
        raise RuntimeError(f"{op}: padding must be an int or a tuple of ints, "
                           f"got '{padding}'")
    padding = _tuple(padding, nd, op, "padding")
    output_padding = _tuple(output_padding, nd, op, "output_padding")
    if any(s <= 0 for s in stride):
        raise RuntimeError(f"{op}: non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"{op}: dilation should be greater than zero")
    if any(p < 0 for p in padding) or any(p < 0 for p in output_padding):
        raise RuntimeError(f"{op}: negative padding is not supported")
    for op_, s, d in zip(output_padding, stride, dilation, strict=True):
        if op_ >= s and op_ >= d:
            raise RuntimeError(
                f"{op}: output padding must be smaller than either stride or dilation, but got "
                f"output_padding={list(output_padding)}, stride={list(stride)}, "
                f"dilation={list(dilation)}")
    k = tuple(weight.shape[2:])
    size = tuple((n - 1) * s - 2 * p + d * (kk - 1) + q + 1 for n, s, p, d, kk, q in zip(
        input.shape[2:], stride, padding, dilation, k, output_padding, strict=True))
    if any(n <= 0 for n in size):
        raise RuntimeError(f"{op}: Given input size per channel: {list(input.shape[2:])}, "
                           f"calculated output size per channel: {list(size)}. Output size "
                           "is too small")
    out = conv_transpose_raw(input, weight, Geom(padding, stride, dilation, groups), size, bias)
    return out.squeeze(0) if unbatched else out


# ---------------------------------------------------------------------- public functions
_CONV_DOC = """Applies a {nd}-D convolution over an input signal composed of several planes.

    ``out[n, o] = bias[o] + sum_{{c, k}} weight[o, c, k] * input_padded[n, g(o)*C/groups + c,
    stride * p + dilation * k]`` (cross-correlation, like PyTorch).

    Args:
        input: ``(N, C_in, {sp})`` or unbatched ``(C_in, {sp})``.
        weight: ``(C_out, C_in / groups, {ks})``.
        bias: optional ``(C_out,)``. Default: ``None``.
        stride: int or tuple. Default: 1.
        padding: int, tuple, ``'valid'`` or ``'same'`` (stride 1 only). Default: 0.
        dilation: int or tuple. Default: 1.
        groups: split channels into this many groups. Default: 1.

    Shape:
        Output ``(N, C_out, {sp_out})`` with
        ``L_out = floor((L + 2 * padding - dilation * (k - 1) - 1) / stride) + 1``.

    Raises:
        RuntimeError: wrong input rank, channel / weight mismatch, groups not dividing the
            channels, kernel larger than the padded input.

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> F.conv{nd}d(ember.ones(1, 1, {ones}), ember.ones(1, 1, {twos})).flatten()[0].item()
        {val}
    """

_CONVT_DOC = """Applies a {nd}-D transposed convolution ("deconvolution"), the adjoint of conv{nd}d.

    Args:
        input: ``(N, C_in, {sp})`` or unbatched ``(C_in, {sp})``.
        weight: ``(C_in, C_out / groups, {ks})``.
        bias: optional ``(C_out,)``. Default: ``None``.
        stride: int or tuple. Default: 1.
        padding: implicit zero padding ``dilation * (k - 1) - padding``. Default: 0.
        output_padding: extra size added to one side of the output. Default: 0.
        groups: Default: 1.
        dilation: Default: 1.

    Shape:
        ``L_out = (L - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1``.

    Raises:
        RuntimeError: wrong input rank, channel mismatch, output_padding not smaller than
            stride or dilation.

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> F.conv_transpose{nd}d(ember.ones(1, 1, {ones}), ember.ones(1, 1, {twos})).shape[2]
        4
    """


def _doc(template, nd, val):
    sp = ", ".join("DHW"[3 - nd:][i] for i in range(nd)) if nd > 1 else "L"
    return template.format(nd=nd, sp=sp, ks=", ".join(["k"] * nd), sp_out=sp,
                           ones=", ".join(["3"] * nd), twos=", ".join(["2"] * nd), val=val)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    return _conv_transpose("conv_transpose1d", 1, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    return _conv_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    return _conv_transpose("conv_transpose3d", 3, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


for _f, _n in ((conv1d, 1), (conv2d, 2), (conv3d, 3)):
    _f.__doc__ = _doc(_CONV_DOC, _n, [2.0, 4.0, 8.0][_n - 1])
for _f, _n in ((conv_transpose1d, 1), (conv_transpose2d, 2), (conv_transpose3d, 3)):
    _f.__doc__ = _doc(_CONVT_DOC, _n, 0)
del _f, _n
