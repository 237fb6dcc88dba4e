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

from ..._tensor import Tensor
from ...autograd.node import Node
from ...ops._dispatch import apply
from ._conv_arrays import Geom, bias_grad, conv_fwd, conv_fwd_cols, conv_t_fwd, conv_w_fwd, release

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d"]


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
        release(cols)

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
        gb = bias_grad(gy) if nf[2][0] is not None else None
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
        gb = bias_grad(gx) if nf[2][0] is not None else None
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
