"""``interpolate`` (every mode), the deprecated ``upsample*`` aliases and the ``Upsample`` layers.

References: per-output-sample loops in numpy float64 written from PyTorch's documented source-
index formulas (one ``(out, in)`` weight matrix per axis, applied with ``tensordot``); a few
literal values read once from PyTorch 2.13; gradients by finite differences.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.autograd import gradcheck
from ember.testing import assert_close


def _t(a, device, dtype=ember.float64, rg=False):
    return ember.tensor(np.asarray(a), dtype=dtype, device=device, requires_grad=rg)


def _np(t):
    return t.detach().cpu().numpy()


# ------------------------------------------------------------------ numpy reference
def _scale(n_in, n_out, ac, sf):
    if ac:
        return (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    return 1.0 / sf if sf else n_in / n_out


def _keys(x, a):
    x = abs(x)
    if x <= 1:
        return ((a + 2) * x - (a + 3)) * x * x + 1
    if x < 2:
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return 0.0


def _matrix(mode, n_in, n_out, ac, sf, nd, antialias=False):
    """(n_out, n_in) weights of one axis, one output sample at a time."""
    m = np.zeros((n_out, n_in))
    s = _scale(n_in, n_out, ac, sf)
    for o in range(n_out):
        if antialias:
            support = (2.0 if mode == "bicubic" else 1.0) * max(s, 1.0)
            center = s * (o + 0.5)
            lo, hi = max(int(center - support + 0.5), 0), min(int(center + support + 0.5), n_in)
            for i in range(lo, hi):
                x = (i - center + 0.5) / max(s, 1.0)
                m[o, i] = _keys(x, -0.5) if mode == "bicubic" else max(0.0, 1 - abs(x))
            m[o] /= m[o].sum()
        elif mode in ("nearest", "nearest-exact"):
            sh = mode == "nearest" and nd == 2
            if sh and n_out == n_in:
                i = o
            elif sh and n_out == 2 * n_in:
                i = o // 2
            else:  # float32 scale and product, as PyTorch
                s32 = np.float32(1 / sf) if sf else np.float32(n_in) / np.float32(n_out)
                off = np.float32(0.5) if mode == "nearest-exact" else np.float32(0)
                i = min(int(np.floor((np.float32(o) + off) * s32)), n_in - 1)
            m[o, i] = 1.0
        elif mode == "bicubic":
            src = s * o if ac else s * (o + 0.5) - 0.5
            f = math.floor(src)
            for k in range(-1, 3):
                m[o, min(max(f + k, 0), n_in - 1)] += _keys(src - (f + k), -0.75)
        else:  # linear family
            if n_out == n_in:
                m[o, o] = 1.0
                continue
            src = s * o if ac else max(s * (o + 0.5) - 0.5, 0.0)
            i0 = min(math.floor(src), n_in - 1)
            lam = min(max(src - i0, 0.0), 1.0)
            i1 = i0 + (1 if i0 < n_in - 1 else 0)
            m[o, i0] += 1 - lam
            m[o, i1] += lam
    return m


def _ref(x, mode, out, ac=False, sfs=None, antialias=False):
    nd = x.ndim - 2
    sfs = sfs or [None] * nd
    y = x
    for d in range(nd):
        m = _matrix(mode, x.shape[2 + d], out[d], ac, sfs[d], nd, antialias)
        y = np.moveaxis(np.tensordot(y, m, axes=([2 + d], [1])), -1, 2 + d)
    return y


def _area_ref(x, out):
    nd = x.ndim - 2
    y = x
    for d in range(nd):
        n = x.shape[2 + d]
        m = np.zeros((out[d], n))
        for o in range(out[d]):
            a, b = (o * n) // out[d], -((-(o + 1) * n) // out[d])
            m[o, a:b] = 1 / (b - a)
        y = np.moveaxis(np.tensordot(y, m, axes=([2 + d], [1])), -1, 2 + d)
    return y


_MODES = [("nearest", 1), ("nearest", 2), ("nearest", 3), ("nearest-exact", 1),
          ("nearest-exact", 2), ("nearest-exact", 3), ("linear", 1), ("bilinear", 2),
          ("bicubic", 2), ("trilinear", 3), ("area", 1), ("area", 2), ("area", 3)]
_SIZES = [dict(size=4), dict(size=9), dict(size=5), dict(scale_factor=2),
          dict(scale_factor=1.7), dict(scale_factor=0.6), dict(scale_factor=2.3),
          dict(scale_factor=0.45, recompute_scale_factor=True)]


def _expected(x, mode, ac, kw, antialias=False):
    nd = x.ndim - 2
    if "size" in kw:
        out, sfs = [kw["size"]] * nd, None
    else:
        out = [int(n * kw["scale_factor"]) for n in x.shape[2:]]
        sfs = None if kw.get("recompute_scale_factor") else [kw["scale_factor"]] * nd
    if mode == "area":
        return _area_ref(x, out)
    return _ref(x, mode, out, bool(ac), sfs, antialias)


@pytest.mark.parametrize("kw", _SIZES, ids=str)
@pytest.mark.parametrize("mode,nd", _MODES, ids=str)
def test_interpolate_matches_reference(mode, nd, kw, device):
    rng = np.random.default_rng(nd)
    x = rng.standard_normal((2, 2) + (5, 4, 3)[:nd])
    acs = [None] if mode in ("nearest", "nearest-exact", "area") else [False, True]
    for ac in acs:
        exp = _expected(x, mode, ac, kw)
        got = F.interpolate(_t(x, device), mode=mode, align_corners=ac, **kw)
        assert_close(got, _t(exp, device), rtol=1e-12, atol=1e-12)
        got32 = F.interpolate(_t(x, device, ember.float32), mode=mode, align_corners=ac, **kw)
        assert got32.dtype == ember.float32
        assert_close(got32, _t(exp, device, ember.float32), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("ac", [False, True])
@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("kw", [dict(size=(3, 2)), dict(size=(7, 2)), dict(scale_factor=0.4),
                                dict(scale_factor=(0.5, 1.5))], ids=str)
def test_interpolate_antialias(mode, ac, kw, device):
    x = np.random.default_rng(3).standard_normal((1, 2, 8, 5))
    if "size" in kw:
        out, sfs = list(kw["size"]), None
    else:
        sf = kw["scale_factor"]
        sf = sf if isinstance(sf, tuple) else (sf, sf)
        out, sfs = [int(n * s) for n, s in zip(x.shape[2:], sf, strict=True)], list(sf)
    exp = _ref(x, mode, out, ac, sfs, antialias=True)
    got = F.interpolate(_t(x, device), mode=mode, align_corners=ac, antialias=True, **kw)
    assert_close(got, _t(exp, device), rtol=1e-12, atol=1e-12)


def test_interpolate_literal_values(device):
    # values read once from PyTorch 2.13
    x = _t(np.arange(8.0).reshape(1, 1, 1, 8), device)
    got = F.interpolate(x, size=(1, 3), mode="bilinear", antialias=True)
    assert_close(got.flatten(), _t([1.1052631578947367, 3.5, 5.894736842105262], device))
    got = F.interpolate(x, size=(1, 3), mode="bicubic", antialias=True)
    assert_close(got.flatten(), _t([0.8964650199674604, 3.5, 6.103534980032542], device))
    got = F.interpolate(x, size=(1, 3), mode="bilinear", antialias=True, align_corners=True)
    assert_close(got.flatten(), _t([1.5813953488372092, 4.6875, 6.533333333333334], device))
    x = _t(np.arange(5.0).reshape(1, 1, 1, 5), device)
    got = F.interpolate(x, scale_factor=1.1, mode="bicubic")
    assert_close(got.flatten(), _t([-0.031062139198184013, 0.808767557144165, 1.7248317003250122,
                                    2.6423757076263428, 3.676068067550659], device), atol=1e-6,
                 rtol=1e-6)
    # scale 1.1 keeps the size: 1-D nearest still uses 1/1.1, 2-D nearest short-cuts
    assert F.interpolate(x[0], scale_factor=1.1).flatten().tolist() == [0, 0, 1, 2, 3]
    assert F.interpolate(x, scale_factor=1.1).flatten().tolist() == [0, 1, 2, 3, 4]
    x = _t(np.arange(4.0).reshape(1, 1, 4), device)
    got = F.interpolate(x, scale_factor=1.5, mode="linear", align_corners=True)
    assert_close(got.flatten(), _t([0.0, 0.6, 1.2, 1.8, 2.4, 3.0], device))


def test_interpolate_unbatched_shapes_and_tuple_args(device):
    x = _t(np.ones((1, 3, 4, 5, 6)), device)
    assert F.interpolate(x, size=(2, 3, 4), mode="trilinear").shape == (1, 3, 2, 3, 4)
    assert F.interpolate(x, scale_factor=(0.5, 1, 2)).shape == (1, 3, 2, 5, 12)
    assert F.interpolate(x[0, 0], scale_factor=2, mode="linear").shape == (4, 5, 12)


@pytest.mark.parametrize("mode,nd,ac,kw", [
    ("nearest", 1, None, dict(size=5)), ("nearest-exact", 2, None, dict(scale_factor=1.5)),
    ("nearest", 3, None, dict(size=(3, 2, 3))), ("linear", 1, False, dict(size=5)),
    ("linear", 1, True, dict(scale_factor=0.7)), ("bilinear", 2, False, dict(size=(4, 2))),
    ("bilinear", 2, True, dict(size=(4, 2))), ("bicubic", 2, False, dict(size=(4, 5))),
    ("bicubic", 2, True, dict(scale_factor=1.5)), ("trilinear", 3, False, dict(size=3)),
    ("trilinear", 3, True, dict(size=(3, 1, 2))), ("area", 2, None, dict(size=(2, 2))),
], ids=str)
def test_interpolate_gradcheck(mode, nd, ac, kw, device):
    x = _t(np.random.default_rng(1).standard_normal((1, 2) + (3, 3, 2)[:nd]), device, rg=True)
    assert gradcheck(lambda t: F.interpolate(t, mode=mode, align_corners=ac, **kw), (x,))


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_interpolate_antialias_gradcheck(mode, device):
    x = _t(np.random.default_rng(2).standard_normal((1, 1, 6, 5)), device, rg=True)
    assert gradcheck(lambda t: F.interpolate(t, size=(2, 3), mode=mode, antialias=True), (x,))


def test_interpolate_errors(device):
    x3, x4 = _t(np.ones((1, 1, 4)), device), _t(np.ones((1, 1, 4, 4)), device)
    msg = "align_corners option can only be set with the interpolating modes"
    for mode in ("nearest", "area", "nearest-exact"):
        with pytest.raises(ValueError, match=msg):
            F.interpolate(x4, size=2, mode=mode, align_corners=False)
    with pytest.raises(ValueError, match="only one of size or scale_factor"):
        F.interpolate(x4, size=2, scale_factor=2)
    with pytest.raises(ValueError, match="either size or scale_factor"):
        F.interpolate(x4)
    with pytest.raises(ValueError, match="same number of spatial dimensions"):
        F.interpolate(x4, size=(2, 2, 2))
    with pytest.raises(ValueError, match="same number of spatial dimensions"):
        F.interpolate(x4, scale_factor=(2.0,))
    with pytest.raises(TypeError, match="expected size to be one of int"):
        F.interpolate(x4, size=(2.0, 2))
    with pytest.raises(ValueError, match="recompute_scale_factor is not meaningful"):
        F.interpolate(x4, size=2, recompute_scale_factor=True)
    with pytest.raises(ValueError, match="Anti-alias option is restricted"):
        F.interpolate(x4, size=2, antialias=True)
    with pytest.raises(NotImplementedError, match="Got 3D input, but bilinear mode needs 4D"):
        F.interpolate(x3, size=2, mode="bilinear")
    with pytest.raises(NotImplementedError, match="Got 4D input, but linear mode needs 3D"):
        F.interpolate(x4, size=2, mode="linear")
    with pytest.raises(NotImplementedError, match="Only 3D, 4D and 5D input"):
        F.interpolate(x4, size=2, mode="cubic")
    with pytest.raises(NotImplementedError, match="Only 3D, 4D and 5D input"):
        F.interpolate(_t(np.ones((1, 4)), device), size=2)
    with pytest.raises(RuntimeError, match="greater than 0"):
        F.interpolate(x4, scale_factor=0.1)
    with pytest.raises(NotImplementedError, match="mode 'bilinear' is not implemented for"):
        F.interpolate(ember.ones(1, 1, 2, 2, dtype=ember.int64), size=3, mode="bilinear")
    xi = ember.arange(4, device=device).view(1, 1, 2, 2)
    assert F.interpolate(xi, size=3).flatten().tolist() == [0, 0, 1, 0, 0, 1, 2, 2, 3]
    with pytest.raises(TypeError, match="must be Tensor"):
        F.interpolate(np.ones((1, 1, 4)), size=2)


def test_deprecated_upsample_aliases(device):
    x = _t(np.arange(4.0).reshape(1, 1, 2, 2), device)
    with pytest.warns(UserWarning, match="nn.functional.upsample` is deprecated"):
        got = F.upsample(x, scale_factor=2, mode="bilinear")
    assert_close(got, F.interpolate(x, scale_factor=2, mode="bilinear"))
    with pytest.warns(UserWarning, match="upsample_nearest` is deprecated"):
        got = F.upsample_nearest(x, 3)
    assert_close(got, _t(_ref(_np(x), "nearest", [3, 3]), device))
    with pytest.warns(UserWarning, match="upsample_bilinear` is deprecated"):
        got = F.upsample_bilinear(x, 3)
    assert_close(got, _t([[[[0, 0.5, 1], [1, 1.5, 2], [2, 2.5, 3]]]], device))


def test_upsample_layers(device):
    x = _t(np.random.default_rng(4).standard_normal((1, 2, 3, 4)), device)
    up = nn.Upsample(scale_factor=2, mode="bicubic", align_corners=True)
    assert up.scale_factor == 2.0 and isinstance(up.scale_factor, float)
    assert_close(up(x), _t(_ref(_np(x), "bicubic", [6, 8], True, [2.0, 2.0]), device))
    assert list(up.parameters()) == [] and up.state_dict() == {}
    # reprs read from PyTorch 2.13
    assert repr(nn.Upsample(scale_factor=2)) == "Upsample(scale_factor=2.0, mode='nearest')"
    assert repr(nn.Upsample(size=(2, 3), mode="bilinear")) == \
        "Upsample(size=(2, 3), mode='bilinear')"
    assert repr(nn.UpsamplingBilinear2d(size=3)) == "UpsamplingBilinear2d(size=3, mode='bilinear')"
    assert repr(nn.UpsamplingNearest2d(scale_factor=(2, 3))) == \
        "UpsamplingNearest2d(scale_factor=(2.0, 3.0), mode='nearest')"
    bil = nn.UpsamplingBilinear2d(size=(5, 2))
    assert bil.align_corners is True
    assert_close(bil(x), _t(_ref(_np(x), "bilinear", [5, 2], True), device))
    near = nn.UpsamplingNearest2d(scale_factor=2)
    assert_close(near(x), _t(np.repeat(np.repeat(_np(x), 2, 2), 2, 3), device))
    rec = nn.Upsample(scale_factor=0.5, mode="linear", recompute_scale_factor=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert rec(x[0]).shape == (2, 3, 2)
