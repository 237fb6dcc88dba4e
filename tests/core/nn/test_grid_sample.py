"""``grid_sample`` (bilinear / nearest / bicubic × zeros / border / reflection) and ``affine_grid``.

References: a scalar loop over grid points in Python float64 written from PyTorch's documented
formulas (unnormalise, pad, blend the taps), literal values read once from PyTorch 2.13, and
finite differences for the input, grid and theta gradients.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember.autograd import gradcheck
from ember.testing import assert_close


def _t(a, device, dtype=ember.float64, rg=False):
    return ember.tensor(np.asarray(a), dtype=dtype, device=device, requires_grad=rg)


# ------------------------------------------------------------------ scalar reference
def _unnorm(c, n, ac):
    return (c + 1) / 2 * (n - 1) if ac else ((c + 1) * n - 1) / 2


def _reflect(c, lo2, hi2):
    if lo2 == hi2:
        return 0.0
    lo, span = lo2 / 2, (hi2 - lo2) / 2
    c = abs(c - lo)
    extra, flips = math.fmod(c, span), math.floor(c / span)
    return extra + lo if flips % 2 == 0 else span - extra + lo


def _pad(c, n, pm, ac):
    if pm == "border":
        return min(max(c, 0.0), n - 1.0)
    if pm == "reflection":
        c = _reflect(c, 0, 2 * (n - 1)) if ac else _reflect(c, -1, 2 * n - 1)
        return min(max(c, 0.0), n - 1.0)
    return c


def _read(img, idx):
    if all(0 <= i < n for i, n in zip(idx, img.shape, strict=True)):
        return img[tuple(idx)]
    return 0.0


def _cubic(t):
    a = -0.75
    def c1(x):
        return ((a + 2) * x - (a + 3)) * x * x + 1
    def c2(x):
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return [c2(t + 1), c1(t), c1(1 - t), c2(2 - t)]


def _sample(img, pt, mode, pm, ac):
    """One channel ``img`` (D?, H, W) at the grid point ``pt = (x, y[, z])``."""
    nd = img.ndim
    c = [_unnorm(pt[nd - 1 - d], img.shape[d], ac) for d in range(nd)]
    if mode == "bicubic":
        f = [math.floor(v) for v in c]
        wy, wx = _cubic(c[0] - f[0]), _cubic(c[1] - f[1])
        s = 0.0
        for i, j in itertools.product(range(4), repeat=2):
            iy = int(_pad(f[0] - 1 + i, img.shape[0], pm, ac))
            ix = int(_pad(f[1] - 1 + j, img.shape[1], pm, ac))
            s += wy[i] * wx[j] * _read(img, (iy, ix))
        return s
    c = [_pad(v, n, pm, ac) for v, n in zip(c, img.shape, strict=True)]
    if mode == "nearest":
        return _read(img, [int(np.rint(v)) for v in c])
    f = [math.floor(v) for v in c]
    s = 0.0
    for bits in itertools.product((0, 1), repeat=nd):
        w = math.prod((c[d] - f[d]) if b else (1 - (c[d] - f[d])) for d, b in enumerate(bits))
        s += w * _read(img, [f[d] + b for d, b in enumerate(bits)])
    return s


def _grid_ref(x, g, mode, pm, ac):
    n, ch = x.shape[:2]
    out = np.zeros((n, ch) + g.shape[1:-1])
    for b in range(n):
        for pos in itertools.product(*(range(s) for s in g.shape[1:-1])):
            for k in range(ch):
                out[(b, k) + pos] = _sample(x[b, k], g[(b,) + pos], mode, pm, ac)
    return out


_CASES = [(2, "bilinear"), (2, "nearest"), (2, "bicubic"), (3, "bilinear"), (3, "nearest")]


@pytest.mark.parametrize("ac", [False, True])
@pytest.mark.parametrize("pm", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("nd,mode", _CASES, ids=str)
def test_grid_sample_matches_reference(nd, mode, pm, ac, device):
    rng = np.random.default_rng(nd)
    x = rng.standard_normal((2, 2) + (3, 4, 5)[-nd:])
    g = rng.uniform(-1.7, 1.7, (2,) + (2, 3, 2)[:nd] + (nd,))
    exp = _grid_ref(x, g, mode, pm, ac)
    got = F.grid_sample(_t(x, device), _t(g, device), mode=mode, padding_mode=pm,
                        align_corners=ac)
    assert_close(got, _t(exp, device), rtol=1e-12, atol=1e-12)
    got32 = F.grid_sample(_t(x, device, ember.float32), _t(g, device, ember.float32), mode=mode,
                          padding_mode=pm, align_corners=ac)
    assert got32.dtype == ember.float32
    if mode != "nearest":  # float32 rounding may move a nearest tap; the others are smooth
        assert_close(got32, _t(exp, device, ember.float32), rtol=1e-4, atol=1e-4)


def test_grid_sample_literal_values(device):
    # values read once from PyTorch 2.13 (align_corners=False)
    x = _t(np.arange(16.0).reshape(1, 1, 4, 4), device)
    g = _t([[[[1.3, -0.2], [-1.2, 0.9]]]], device)
    expected = {("bilinear", "zeros"): [0.0, 0.84], ("bilinear", "border"): [7.4, 12.0],
                ("bilinear", "reflection"): [7.3, 12.0], ("nearest", "border"): [7.0, 12.0],
                ("bicubic", "zeros"): [-0.458298, 0.74075925],
                ("bicubic", "border"): [7.544, 12.43425],
                ("bicubic", "reflection"): [7.46875, 12.5625]}
    for (mode, pm), vals in expected.items():
        got = F.grid_sample(x, g, mode=mode, padding_mode=pm, align_corners=False)
        assert_close(got.flatten(), _t(vals, device), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("ac", [False, True])
@pytest.mark.parametrize("pm", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("nd,mode", [(2, "bilinear"), (2, "bicubic"), (3, "bilinear")], ids=str)
def test_grid_sample_gradcheck(nd, mode, pm, ac, device):
    rng = np.random.default_rng(5)
    x = _t(rng.standard_normal((1, 2) + (3, 3, 4)[-nd:]), device, rg=True)
    g = _t(rng.uniform(-1.3, 1.3, (1,) + (2, 2, 1)[:nd] + (nd,)), device, rg=True)
    assert gradcheck(lambda a, b: F.grid_sample(a, b, mode=mode, padding_mode=pm,
                                                align_corners=ac), (x, g))


@pytest.mark.parametrize("pm", ["zeros", "border", "reflection"])
def test_grid_sample_nearest_gradcheck_input(pm, device):
    rng = np.random.default_rng(6)
    x = _t(rng.standard_normal((1, 2, 3, 4)), device, rg=True)
    g = _t(rng.uniform(-1.3, 1.3, (1, 2, 3, 2)), device)
    assert gradcheck(lambda a: F.grid_sample(a, g, mode="nearest", padding_mode=pm,
                                             align_corners=False), (x,))


def test_grid_sample_nearest_grid_gets_a_zero_gradient(device):
    # piecewise constant in the grid: PyTorch returns zeros (not None), also for infinite points
    x = _t(np.arange(12.0).reshape(1, 1, 3, 4), device, rg=True)
    grid = _t([[[[0.3, -0.2], [float("inf"), 0.0], [-0.9, 0.7]]]], device, rg=True)
    out = F.grid_sample(x, grid, mode="nearest", align_corners=False)
    assert out[0, 0, 0, 1].item() == 0.0  # an infinite point reads the zero padding
    out.sum().backward()
    assert grid.grad is not None
    np.testing.assert_array_equal(grid.grad.cpu().numpy(), np.zeros((1, 1, 3, 2)))


def test_grid_sample_errors_and_warning(device):
    x, g = _t(np.ones((1, 1, 3, 3)), device), _t(np.zeros((1, 2, 2, 2)), device)
    with pytest.raises(ValueError, match="expected mode to be 'bilinear', 'nearest' or 'bicubic'"):
        F.grid_sample(x, g, mode="linear", align_corners=False)
    with pytest.raises(ValueError, match="expected padding_mode to be 'zeros', 'border'"):
        F.grid_sample(x, g, padding_mode="circular", align_corners=False)
    with pytest.raises(RuntimeError, match="same batch size"):
        F.grid_sample(x, _t(np.zeros((2, 2, 2, 2)), device), align_corners=False)
    with pytest.raises(RuntimeError, match="size 2 in last dimension"):
        F.grid_sample(x, _t(np.zeros((1, 2, 2, 3)), device), align_corners=False)
    with pytest.raises(RuntimeError, match="same dtype"):
        F.grid_sample(x, g.float(), align_corners=False)
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        F.grid_sample(x, _t(np.zeros((1, 2, 2, 2, 2)), device), align_corners=False)
    with pytest.raises(RuntimeError, match="bicubic interpolation only supports 4D"):
        F.grid_sample(_t(np.ones((1, 1, 2, 2, 2)), device), _t(np.zeros((1, 1, 1, 1, 3)), device),
                      mode="bicubic", align_corners=False)
    with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior"):
        F.grid_sample(x, g)


# ------------------------------------------------------------------ affine_grid
def _centres(n, ac):
    if n == 1:
        return np.zeros(1)
    return np.array([-1 + 2 * i / (n - 1) for i in range(n)]) if ac else \
        np.array([(2 * i + 1) / n - 1 for i in range(n)])


@pytest.mark.parametrize("ac", [False, True])
def test_affine_grid_identity_is_pixel_centres(ac, device):
    th = _t([[[1.0, 0, 0], [0, 1, 0]]] * 2, device)
    got = F.affine_grid(th, (2, 3, 3, 4), align_corners=ac)
    xs, ys = _centres(4, ac), _centres(3, ac)
    exp = np.stack(np.broadcast_arrays(xs[None, :], ys[:, None]), -1)
    assert got.shape == (2, 3, 4, 2)
    assert_close(got, _t(np.broadcast_to(exp, (2, 3, 4, 2)), device))
    # sampling an image at the identity grid returns the image
    x = _t(np.random.default_rng(0).standard_normal((2, 1, 3, 4)), device)
    assert_close(F.grid_sample(x, got, align_corners=ac), x)


@pytest.mark.parametrize("ac", [False, True])
def test_affine_grid_matches_reference(ac, device):
    rng = np.random.default_rng(8)
    th2, th3 = rng.standard_normal((2, 2, 3)), rng.standard_normal((2, 3, 4))
    xs, ys, zs = _centres(4, ac), _centres(3, ac), _centres(2, ac)
    exp2 = np.zeros((2, 3, 4, 2))
    exp3 = np.zeros((2, 2, 3, 4, 3))
    for b, i, j in itertools.product(range(2), range(3), range(4)):
        exp2[b, i, j] = th2[b] @ np.array([xs[j], ys[i], 1.0])
        for k in range(2):
            exp3[b, k, i, j] = th3[b] @ np.array([xs[j], ys[i], zs[k], 1.0])
    assert_close(F.affine_grid(_t(th2, device), (2, 1, 3, 4), align_corners=ac),
                 _t(exp2, device))
    assert_close(F.affine_grid(_t(th3, device), (2, 1, 2, 3, 4), align_corners=ac),
                 _t(exp3, device))
    f32 = F.affine_grid(_t(th2, device, ember.float32), (2, 1, 3, 4), align_corners=ac)
    assert f32.dtype == ember.float32


def test_affine_grid_gradcheck_and_errors(device):
    th = _t(np.random.default_rng(9).standard_normal((1, 2, 3)), device, rg=True)
    assert gradcheck(lambda t: F.affine_grid(t, (1, 1, 2, 3), align_corners=False), (th,))
    th3 = _t(np.random.default_rng(9).standard_normal((1, 3, 4)), device, rg=True)
    assert gradcheck(lambda t: F.affine_grid(t, (1, 1, 2, 2, 3), align_corners=True), (th3,))
    with pytest.raises(ValueError, match="floating point type"):
        F.affine_grid(ember.zeros(1, 2, 3, dtype=ember.int64), (1, 1, 2, 2), align_corners=False)
    with pytest.raises(ValueError, match="shape Nx2x3"):
        F.affine_grid(_t(np.zeros((1, 3, 4)), device), (1, 1, 2, 2), align_corners=False)
    with pytest.raises(ValueError, match="shape Nx3x4"):
        F.affine_grid(_t(np.zeros((1, 2, 3)), device), (1, 1, 2, 2, 2), align_corners=False)
    with pytest.raises(NotImplementedError, match="only supports 4D and 5D sizes"):
        F.affine_grid(_t(np.zeros((1, 2, 3)), device), (1, 1, 2), align_corners=False)
    with pytest.raises(ValueError, match="non-zero, positive output size"):
        F.affine_grid(_t(np.zeros((1, 2, 3)), device), (1, 1, 0, 2), align_corners=False)
    with pytest.warns(UserWarning, match="unit-size grids"):
        F.affine_grid(_t(np.zeros((1, 2, 3)), device), (1, 1, 1, 2), align_corners=True)
    with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior"):
        F.affine_grid(_t(np.zeros((1, 2, 3)), device), (1, 1, 2, 2))
