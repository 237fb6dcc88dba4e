"""Op records for convolution, pooling and padding functionals of ``nn.functional``.

Hyper-parameters given as sequences are lists: int tuples in samples mean tensor shapes.

References are numpy float64 loops written here independently of ember (a direct sum over
output positions and kernel taps; window scans for pools; ``numpy.pad`` for padding); ops are
``op(lib, ...)`` so the parity session runs the same records on PyTorch.
"""

from __future__ import annotations

import math

import numpy as np

from ..op_record import ErrorInput, OpRecord


def _tup(v, nd):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * nd


def _conv_ref(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    nd = x.ndim - 2
    s, p, d = _tup(stride, nd), _tup(padding, nd), _tup(dilation, nd)
    k = w.shape[2:]
    xp = np.pad(x, [(0, 0), (0, 0)] + [(q, q) for q in p])
    c, o = x.shape[1], w.shape[0]
    cg, og = c // groups, o // groups
    osz = [(xp.shape[2 + i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(nd)]
    out = np.zeros((x.shape[0], o, *osz))
    for pos in np.ndindex(*osz):
        for g in range(groups):
            for tap in np.ndindex(*k):
                idx = tuple(pos[i] * s[i] + tap[i] * d[i] for i in range(nd))
                xs = xp[(slice(None), slice(g * cg, (g + 1) * cg)) + idx]
                ws = w[(slice(g * og, (g + 1) * og), slice(None)) + tap]
                out[(slice(None), slice(g * og, (g + 1) * og)) + pos] += xs @ ws.T
    return out if b is None else out + b.reshape((1, o) + (1,) * nd)


def _conv_t_ref(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    nd = x.ndim - 2
    s, p, q, d = (_tup(v, nd) for v in (stride, padding, output_padding, dilation))
    k = w.shape[2:]
    cg, og = x.shape[1] // groups, w.shape[1]
    osz = [(x.shape[2 + i] - 1) * s[i] - 2 * p[i] + d[i] * (k[i] - 1) + q[i] + 1
           for i in range(nd)]
    full = np.zeros((x.shape[0], og * groups, *[a + 2 * c for a, c in zip(osz, p, strict=True)]))
    for pos in np.ndindex(*x.shape[2:]):
        for g in range(groups):
            for tap in np.ndindex(*k):
                idx = tuple(pos[i] * s[i] + tap[i] * d[i] for i in range(nd))
                full[(slice(None), slice(g * og, (g + 1) * og)) + idx] += \
                    x[(slice(None), slice(g * cg, (g + 1) * cg)) + pos] @ \
                    w[(slice(g * cg, (g + 1) * cg), slice(None)) + tap]
    out = full[(slice(None), slice(None)) + tuple(slice(c, c + a)
                                                  for c, a in zip(p, osz, strict=True))]
    return out if b is None else out + b.reshape((1, -1) + (1,) * nd)


def _pool_ref(x, k, stride, padding, reduce, ceil_mode=False, count_include_pad=True):
    nd = x.ndim - 2
    k, s, p = _tup(k, nd), _tup(stride or k, nd), _tup(padding, nd)
    size = x.shape[2:]
    osz = []
    for i in range(nd):
        num = size[i] + 2 * p[i] - k[i]
        o = (-(-num // s[i]) if ceil_mode else num // s[i]) + 1
        if ceil_mode and (o - 1) * s[i] >= size[i] + p[i]:
            o -= 1
        osz.append(o)
    out = np.zeros(x.shape[:2] + tuple(osz))
    for o in np.ndindex(*osz):
        start = [o[i] * s[i] - p[i] for i in range(nd)]
        end = [min(start[i] + k[i], size[i] + p[i]) for i in range(nd)]
        sl = tuple(slice(max(a, 0), min(b, n)) for a, b, n in zip(start, end, size, strict=True))
        win = x[(slice(None), slice(None)) + sl].reshape(x.shape[:2] + (-1,))
        if reduce == "max":
            out[(slice(None), slice(None)) + o] = win.max(-1)
        else:
            div = math.prod(b - a for a, b in zip(start, end, strict=True)) if \
                count_include_pad else win.shape[-1]
            out[(slice(None), slice(None)) + o] = win.sum(-1) / div
    return out


def _adaptive_ref(x, osz, reduce):
    nd = x.ndim - 2
    size = x.shape[2:]
    out = np.zeros(x.shape[:2] + tuple(osz))
    for o in np.ndindex(*osz):
        sl = tuple(slice(o[i] * size[i] // osz[i], -(-(o[i] + 1) * size[i] // osz[i]))
                   for i in range(nd))
        win = x[(slice(None), slice(None)) + sl].reshape(x.shape[:2] + (-1,))
        out[(slice(None), slice(None)) + o] = win.max(-1) if reduce == "max" else win.mean(-1)
    return out


_NP_MODE = {"constant": "constant", "reflect": "reflect", "replicate": "edge",
            "circular": "wrap"}


def _pad_ref(x, pad, mode="constant"):
    pairs = [(pad[2 * i], pad[2 * i + 1]) for i in range(len(pad) // 2)]
    return np.pad(x, [(0, 0)] * (x.ndim - len(pairs)) + pairs[::-1], mode=_NP_MODE[mode])


def _unfold_ref(x, k, padding=0, stride=1):
    k, p, s = _tup(k, 2), _tup(padding, 2), _tup(stride, 2)
    xp = np.pad(x, [(0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])])
    oh = (xp.shape[2] - k[0]) // s[0] + 1
    ow = (xp.shape[3] - k[1]) // s[1] + 1
    blocks = [xp[:, :, i * s[0]:i * s[0] + k[0], j * s[1]:j * s[1] + k[1]].reshape(
        x.shape[0], -1) for i in range(oh) for j in range(ow)]
    return np.stack(blocks, -1)


def _pixel_shuffle_ref(x, r):
    n, c, h, w = x.shape
    out = np.zeros((n, c // (r * r), h * r, w * r))
    for ch in range(c // (r * r)):
        for i in range(r):
            for j in range(r):
                out[:, ch, i::r, j::r] = x[:, ch * r * r + i * r + j]
    return out


def _F(lib):
    return lib.nn.functional


RECORDS: list[OpRecord] = [
    OpRecord("nn.conv2d",
             lambda lib, x, w, b, s, p, d, g: _F(lib).conv2d(x, w, b, s, p, d, g),
             _conv_ref, [((2, 4, 5, 6), (6, 2, 3, 2), (6,), 1, 1, 1, 2),
                         ((1, 3, 6, 5), (4, 3, 2, 3), None, [2, 1], [0, 1], [1, 2], 1),
                         ((2, 4, 5, 5), (4, 1, 3, 3), (4,), 2, 1, 1, 4)],
             rtol32=1e-4, atol32=1e-4, errors=[
                 ErrorInput(((2, 3), (1, 1, 1, 1), None, 1, 0, 1, 1), RuntimeError,
                            r"Expected 3D \(unbatched\) or 4D \(batched\) input to conv2d, but "
                            r"got input of size: \[2, 3\]"),
                 ErrorInput(((1, 4, 5, 5), (2, 3, 3, 3), None, 1, 0, 1, 1), RuntimeError,
                            r"expected input\[1, 4, 5, 5\] to have 3 channels, but got 4 "
                            "channels instead")]),
    OpRecord("nn.conv1d",
             lambda lib, x, w, b: _F(lib).conv1d(x, w, b, stride=2, padding=1, dilation=2),
             lambda x, w, b: _conv_ref(x, w, b, 2, 1, 2),
             [((2, 3, 9), (4, 3, 3), (4,))], rtol32=1e-4, atol32=1e-4),
    OpRecord("nn.conv_transpose2d",
             lambda lib, x, w, b, s, p, q, g, d: _F(lib).conv_transpose2d(x, w, b, s, p, q, g,
                                                                          d),
             _conv_t_ref, [((2, 4, 3, 4), (4, 2, 3, 2), (4,), 2, 1, 1, 2, 1),
                           ((1, 2, 3, 3), (2, 3, 2, 2), None, [1, 2], 0, [0, 1], 1, [2, 1])],
             rtol32=1e-4, atol32=1e-4),
    OpRecord("nn.max_pool2d",
             lambda lib, x, k, s, p, c: _F(lib).max_pool2d(x, k, s, p, ceil_mode=c),
             lambda x, k, s, p, c: _pool_ref(x, k, s, p, "max", c),
             [((2, 3, 6, 7), 2, None, 0, False), ((1, 2, 7, 6), 3, 2, 1, True)]),
    OpRecord("nn.avg_pool2d",
             lambda lib, x, k, s, p, c, cip: _F(lib).avg_pool2d(x, k, s, p, c, cip),
             lambda x, k, s, p, c, cip: _pool_ref(x, k, s, p, "avg", c, cip),
             [((2, 3, 6, 7), 2, None, 0, False, True), ((1, 2, 7, 6), 3, 2, 1, True, False),
              ((1, 2, 5, 6), [3, 2], 2, 1, True, True)], rtol32=1e-4),
    OpRecord("nn.adaptive_avg_pool2d",
             lambda lib, x, o: _F(lib).adaptive_avg_pool2d(x, o),
             lambda x, o: _adaptive_ref(x, o, "avg"),
             [((2, 3, 7, 6), [3, 4]), ((1, 2, 5, 5), [5, 2])], rtol32=1e-4),
    OpRecord("nn.adaptive_max_pool2d",
             lambda lib, x, o: _F(lib).adaptive_max_pool2d(x, o),
             lambda x, o: _adaptive_ref(x, o, "max"),
             [((2, 3, 7, 6), [3, 4]), ((1, 2, 6, 4), [3, 2])]),
    OpRecord("nn.pad",
             lambda lib, x, pad, mode: _F(lib).pad(x, pad, mode=mode),
             _pad_ref, [((2, 3, 5, 6), [1, 2, 2, 0], m) for m in _NP_MODE] +
             [((2, 3, 4), [2, 1], m) for m in _NP_MODE], errors=[
                 ErrorInput(((1, 1, 3), [3, 3], "reflect"), RuntimeError,
                            "Padding size should be less than the corresponding input "
                            "dimension")]),
    OpRecord("nn.unfold",
             lambda lib, x, k, p, s: _F(lib).unfold(x, k, padding=p, stride=s),
             _unfold_ref, [((2, 3, 5, 6), [2, 3], 1, [2, 1]), ((1, 2, 4, 4), 2, 0, 2)]),
    OpRecord("nn.pixel_shuffle",
             lambda lib, x, r: _F(lib).pixel_shuffle(x, r),
             _pixel_shuffle_ref, [((2, 8, 3, 2), 2), ((1, 9, 2, 2), 3)]),
]
