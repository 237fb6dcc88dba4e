"""Padding, im2col / col2im (``unfold`` / ``fold``) and the channel <-> space shuffles.

``pad`` in constant mode is one node whose adjoint is the same pad with negated widths; the
reflect / replicate / circular modes are concatenations of slices of the input (so their
gradients are slice-adds, with no scatter).  ``unfold`` / ``fold`` are a node pair built on the
sliding-window view of :mod:`._conv`, each the other's backward.

Example:
    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.pad(ember.tensor([[1., 2., 3.]]), (2, 1), mode="reflect").tolist()
    [[3.0, 2.0, 1.0, 2.0, 3.0, 2.0]]
"""

from __future__ import annotations

import math

from ..._tensor import Tensor
from ...autograd.node import Node
from ...ops._dispatch import apply, xp_of
from ._windows import col2im, windows

__all__ = ["pad", "unfold", "fold", "pixel_shuffle", "pixel_unshuffle", "channel_shuffle"]


# ---------------------------------------------------------------------- pad
class ConstantPad(Node):
    """Constant padding with per-dimension ``(before, after)`` widths (negative ones crop)."""

    def forward(self, xp, x, widths, value):
        self.widths = widths
        shape = tuple(n + a + b for n, (a, b) in zip(x.shape, widths, strict=True))
        out = xp.full(shape, value, dtype=x.dtype)
        src, dst = [], []
        for n, (a, b) in zip(x.shape, widths, strict=True):
            s0, s1 = max(-a, 0), n - max(-b, 0)
            src.append(slice(s0, s1))
            dst.append(slice(max(a, 0), max(a, 0) + max(s1 - s0, 0)))
        if all(s.stop > s.start for s in src):
            out[tuple(dst)] = x[tuple(src)]
        return out

    def backward(self, gy):
        return (_constant_pad(gy, tuple((-a, -b) for a, b in self.widths), 0),)

    def fast(self, gy):
        return (self.forward(xp_of(gy), gy, tuple((-a, -b) for a, b in self.widths), 0),)


def _constant_pad(x, widths, value):
    return apply(ConstantPad(), (x,), x._data, widths, value)


def _slices_pad(x, dim, a, b, mode):
    """Pad dimension ``dim`` by ``a`` before and ``b`` after (both >= 0) with slices of x."""
    import ember
    n = x.shape[dim]
    parts = []
    if mode == "reflect":
        if a:
            parts.append(x.narrow(dim, 1, a).flip(dim))
        parts.append(x)
        if b:
            parts.append(x.narrow(dim, n - 1 - b, b).flip(dim))
    elif mode == "replicate":
        if a:
            parts.append(x.narrow(dim, 0, 1).expand(*[a if d == dim else -1
                                                       for d in range(x.dim())]))
        parts.append(x)
        if b:
            parts.append(x.narrow(dim, n - 1, 1).expand(*[b if d == dim else -1
                                                           for d in range(x.dim())]))
    else:  # circular
        if a:
            parts.append(x.narrow(dim, n - a, a))
        parts.append(x)
        if b:
            parts.append(x.narrow(dim, 0, b))
    return ember.cat(parts, dim) if len(parts) > 1 else x


_MODES = ("constant", "reflect", "replicate", "circular")


def pad(input, pad, mode="constant", value=None):
    """Pad the last ``len(pad) // 2`` dimensions of ``input``.

    ``pad = (left_last, right_last, left_second_last, right_second_last, ...)``; negative
    widths crop.  Modes: ``'constant'`` (fill with ``value``, default 0), ``'reflect'`` (mirror
    without repeating the edge), ``'replicate'`` (repeat the edge), ``'circular'`` (wrap).

    Args:
        input: the tensor (non-constant modes pad the last 1-3 dims of a 2-5-D tensor).
        pad: even-length sequence of ints.
        mode: Default: ``'constant'``.
        value: fill value for ``'constant'``. Default: ``None`` (0).

    Raises:
        RuntimeError: odd ``pad`` length, too many dims, reflect widths >= the size, circular
            widths > the size, ``value`` given for a non-constant mode.
        NotImplementedError: unknown mode, or a non-constant mode on an unsupported rank.

    Example:
        >>> import ember
        >>> ember.nn.functional.pad(ember.ones(1, 2), (1, 1), value=5.).tolist()
        [[5.0, 1.0, 1.0, 5.0]]
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"pad(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    pad = [int(p) for p in pad]
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    nd = input.dim()
    if len(pad) // 2 > nd:
        raise RuntimeError("Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pad)} and input of "
                           f"dimension {nd}")
    if mode not in _MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    npad = len(pad) // 2
    # widths per dimension, last dimension first in ``pad``
    pairs = [(pad[2 * i], pad[2 * i + 1]) for i in range(npad)]
    if mode == "constant":
        widths = tuple([(0, 0)] * (nd - npad) + pairs[::-1])
        for n, (a, b) in zip(input.shape, widths, strict=True):
            if n + a + b < 0:
                raise RuntimeError(f"The input size {n}, plus negative padding {a} and {b} "
                                   f"resulted in a negative output size, which is invalid. "
                                   f"Check dimension {widths.index((a, b))} of your input.")
        return _constant_pad(input, widths, 0 if value is None else value)
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument.')
    if npad > 3 or nd not in (npad + 1, npad + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {nd}D input tensor.\nSupported "
            "combinations for non-constant padding:\n  - 2D or 3D input: padding size = 2 (pads "
            "last dimension)\n  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    x = input
    for i, (a, b) in enumerate(pairs):
        dim = nd - 1 - i
        n = x.shape[dim]
        if mode == "circular" and (a < 0 or b < 0):  # PyTorch crops first, then wraps
            x = x.narrow(dim, max(-a, 0), n - max(-a, 0) - max(-b, 0))
            a, b, n = max(a, 0), max(b, 0), x.shape[dim]
        if mode == "reflect" and (a >= n or b >= n):
            raise RuntimeError("Argument #4: Padding size should be less than the corresponding "
                               f"input dimension, but got: padding ({a}, {b}) at dimension "
                               f"{dim} of input [{', '.join(map(str, input.shape))}]")
        if mode == "circular" and (a > n or b > n):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if mode == "replicate" and n == 0 and (a or b):
            raise RuntimeError(f"padding size of replicate mode requires a non-empty dimension "
                               f"{dim}")
        if a < 0 or b < 0:
            x = _index_pad(x, dim, a, b, mode)
        else:
            x = _slices_pad(x, dim, a, b, mode)
    return x


def _index_pad(x, dim, a, b, mode):
    """Pad / crop ``dim`` by gathering source positions (reflect / replicate with a negative
    width: the kept edge reflects or repeats relative to the uncropped input, as in PyTorch)."""
    import numpy as np

    import ember
    n = x.shape[dim]
    j = np.arange(-a, n + b)
    if mode == "reflect":
        j = np.abs(j)
        j = np.where(j >= n, 2 * (n - 1) - j, j)
    else:
        j = np.clip(j, 0, n - 1)
    return x.index_select(dim, ember.tensor(j, dtype=ember.int64, device=x.device))


# ---------------------------------------------------------------------- unfold / fold
def _pair(v, op, name):
    if isinstance(v, int):
        return (v, v)
    v = tuple(int(i) for i in v)
    if len(v) != 2:
        raise RuntimeError(f"{op}: {name} must be an int or a tuple of 2 ints, got {list(v)}")
    return v


class Im2Col(Node):
    """Sliding blocks of an (N, C, H, W) image as columns (N, C * kh * kw, L)."""

    def forward(self, xp, x, geom):
        lo, osz, k, stride, dil = geom
        self.geom, self.size = geom, x.shape[2:]
        n, c = x.shape[:2]
        return windows(xp, x, lo, osz, k, stride, dil).reshape(n, c * math.prod(k), -1)

    def backward(self, g):
        return (apply(Col2Im(), (g,), g._data, self.geom, self.size),)

    def fast(self, g):
        return (_col2im_fwd(xp_of(g), g, self.geom, self.size),)


def _col2im_fwd(xp, cols, geom, size):
    lo, osz, k, stride, dil = geom
    n = cols.shape[0]
    c = cols.shape[1] // math.prod(k)
    nd = len(k)
    v = cols.reshape(n, c, *k, *osz)
    v = v.transpose(1, *range(2, 2 + nd), 0, *range(2 + nd, 2 + 2 * nd))
    return col2im(xp, v, size, lo, stride, dil, cols.dtype)


class Col2Im(Node):
    """Sum columns (N, C * kh * kw, L) back into an (N, C, H, W) image (the adjoint)."""

    def forward(self, xp, cols, geom, size):
        self.geom = geom
        return _col2im_fwd(xp, cols, geom, size)

    def backward(self, g):
        return (apply(Im2Col(), (g,), g._data, self.geom),)


def _blocks(op, size, k, dilation, padding, stride):
    d = _pair(dilation, op, "dilation")
    p = _pair(padding, op, "padding")
    s = _pair(stride, op, "stride")
    if any(v <= 0 for v in (*k, *d, *s)) or any(v < 0 for v in p):
        raise RuntimeError(f"{op}: expected kernel_size, dilation and stride greater than zero "
                           f"and padding non-negative, but got kernel_size={list(k)}, "
                           f"dilation={list(d)}, padding={list(p)}, stride={list(s)}")
    osz = tuple((n + 2 * pp - dd * (kk - 1) - 1) // ss + 1
                for n, pp, dd, kk, ss in zip(size, p, d, k, s, strict=True))
    return (p, osz, k, s, d)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Extract sliding local blocks (im2col): ``(N, C, H, W) -> (N, C * prod(k), L)``.

    ``L = prod_d floor((size_d + 2 * padding_d - dilation_d * (k_d - 1) - 1) / stride_d + 1)``.

    Args:
        input: ``(N, C, H, W)`` or unbatched ``(C, H, W)``.
        kernel_size: int or pair.
        dilation: Default: 1.
        padding: zero padding on both sides. Default: 0.
        stride: Default: 1.

    Raises:
        RuntimeError: a non 3-D / 4-D input, or no complete block.

    Example:
        >>> import ember
        >>> ember.nn.functional.unfold(ember.ones(1, 2, 3, 3), 2).shape
        ember.Size([1, 8, 4])
    """
    if not isinstance(input, Tensor) or input.dim() not in (3, 4):
        got = f"{input.dim()}D" if isinstance(input, Tensor) else type(input).__name__
        raise RuntimeError(f"Input Error: Only 3D or 4D input Tensors are supported (got {got})")
    unbatched = input.dim() == 3
    x = input.unsqueeze(0) if unbatched else input
    k = _pair(kernel_size, "unfold", "kernel_size")
    geom = _blocks("unfold", x.shape[2:], k, dilation, padding, stride)
    if any(o <= 0 for o in geom[1]):
        raise RuntimeError(f"Given input with spatial size {list(x.shape[2:])}, kernel_size="
                           f"{list(k)}, dilation={list(geom[4])}, padding={list(geom[0])}, "
                           f"calculated shape of the array of sliding blocks as "
                           f"{list(geom[1])}, but its components must be at least one.")
    out = apply(Im2Col(), (x,), x._data, geom)
    return out.squeeze(0) if unbatched else out


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Combine sliding local blocks into an image (col2im, summing overlaps).

    The adjoint of :func:`unfold`: ``(N, C * prod(k), L) -> (N, C, *output_size)``.

    Args:
        input: ``(N, C * prod(k), L)`` or unbatched ``(C * prod(k), L)``.
        output_size: int or pair, the spatial size of the image.
        kernel_size, dilation, padding, stride: as for :func:`unfold`.

    Raises:
        RuntimeError: a non 2-D / 3-D input, channels not divisible by ``prod(k)``, or ``L``
            not matching the number of blocks.

    Example:
        >>> import ember
        >>> F = ember.nn.functional
        >>> F.fold(F.unfold(ember.ones(1, 1, 3, 3), 2), 3, 2).tolist()
        [[[[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]]]
    """
    if not isinstance(input, Tensor) or input.dim() not in (2, 3):
        got = f"{input.dim()}D" if isinstance(input, Tensor) else type(input).__name__
        raise RuntimeError(f"Input Error: Only unbatched (2D) or batched (3D) input Tensors "
                           f"are supported (got {got})")
    unbatched = input.dim() == 2
    x = input.unsqueeze(0) if unbatched else input
    k = _pair(kernel_size, "fold", "kernel_size")
    size = _pair(output_size, "fold", "output_size")
    geom = _blocks("fold", size, k, dilation, padding, stride)
    kk = math.prod(k)
    if x.shape[1] % kk:
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product "
                           f"of kernel_size, but got input.size(1)={x.shape[1]} and "
                           f"kernel_size={tuple(k)}")
    blocks = math.prod(geom[1])
    if x.shape[2] != blocks:
        raise RuntimeError(
            f"Given output_size={tuple(size)}, kernel_size={tuple(k)}, dilation="
            f"{tuple(geom[4])}, padding={tuple(geom[0])}, stride={tuple(geom[3])}, expected "
            f"size of input's dimension 2 to match the calculated number of sliding blocks "
            f"{' * '.join(map(str, geom[1]))} = {blocks}, but got input.size(2)={x.shape[2]}.")
    out = apply(Col2Im(), (x,), x._data, geom, size)
    return out.squeeze(0) if unbatched else out


# ---------------------------------------------------------------------- shuffles
def pixel_shuffle(input, upscale_factor):
    """Rearrange ``(*, C * r^2, H, W)`` into ``(*, C, H * r, W * r)``.

    Raises:
        RuntimeError: fewer than 3 dims, or channels not divisible by ``r^2``.

    Example:
        >>> import ember
        >>> ember.nn.functional.pixel_shuffle(ember.arange(4.).view(1, 4, 1, 1), 2).tolist()
        [[[[0.0, 1.0], [2.0, 3.0]]]]
    """
    r = int(upscale_factor)
    if input.dim() < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got "
                           f"input with {input.dim()} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError("pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)={c} "
                           f"is not divisible by {r * r}")
    b = len(lead)
    x = input.reshape(*lead, c // (r * r), r, r, h, w)
    x = x.permute(*range(b), b, b + 3, b + 1, b + 4, b + 2)
    return x.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor):
    """Rearrange ``(*, C, H * r, W * r)`` into ``(*, C * r^2, H, W)`` (inverse of pixel_shuffle).

    Raises:
        RuntimeError: fewer than 3 dims, or H / W not divisible by ``r``.

    Example:
        >>> import ember
        >>> ember.nn.functional.pixel_unshuffle(ember.ones(1, 1, 4, 4), 2).shape
        ember.Size([1, 4, 2, 2])
    """
    r = int(downscale_factor)
    if input.dim() < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but "
                           f"got input with {input.dim()} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    if h % r or w % r:
        which = ("height", -2, h) if h % r else ("width", -1, w)
        raise RuntimeError(f"pixel_unshuffle expects {which[0]} to be divisible by "
                           f"downscale_factor, but input.size({which[1]})={which[2]} is not "
                           f"divisible by {r}")
    b = len(lead)
    x = input.reshape(*lead, c, h // r, r, w // r, r)
    x = x.permute(*range(b), b, b + 2, b + 4, b + 1, b + 3)
    return x.reshape(*lead, c * r * r, h // r, w // r)


def channel_shuffle(input, groups):
    """Shuffle the channels of ``(N, C, *)``: view as ``(N, g, C / g, *)`` and swap those dims.

    Raises:
        RuntimeError: ``groups`` not dividing the channels.

    Example:
        >>> import ember
        >>> ember.nn.functional.channel_shuffle(ember.arange(4.).view(1, 4), 2).tolist()
        [[0.0, 2.0, 1.0, 3.0]]
    """
    g = int(groups)
    if input.dim() < 2:
        raise RuntimeError(f"channel_shuffle expects input to have at least 2 dimensions, but "
                           f"got input with {input.dim()} dimension(s)")
    if g <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of "
                           f"groups:{g}")
    n, c, *rest = input.shape
    if c % g:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels "
                           f"and {g} groups.")
    return input.reshape(n, g, c // g, *rest).transpose(1, 2).reshape(n, c, *rest)
