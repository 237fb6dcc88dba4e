"""Fractional max pooling: F.fractional_max_pool2d/3d and FractionalMaxPool2d/3d.

The reference is a numpy float64 loop over planes and output cells written here from the
interval formula of Graham's paper as PyTorch implements it: ``alpha = (n - k) / (o - 1)``,
``start_i = floor((i + u) * alpha) - floor(u * alpha)`` for ``i < o - 1``, last start ``n - k``;
samples ordered (width, height) in 2-D and (time, height, width) in 3-D.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.autograd import gradcheck, gradgradcheck
from ember.testing import assert_close


def _starts(u, n, o, k):
    if o == 1:
        return [n - k]
    alpha = (n - k) / (o - 1)
    return [math.floor((i + u) * alpha) - math.floor(u * alpha) for i in range(o - 1)] + [n - k]


def _reference(x, k, osz, samples):
    """(output, flat indices) by looping over planes and output cells."""
    nd = len(k)
    slots = (1, 0) if nd == 2 else (0, 1, 2)
    n_, c = x.shape[:2]
    size = x.shape[2:]
    out = np.zeros((n_, c, *osz))
    idx = np.zeros((n_, c, *osz), dtype=np.int64)
    for b, ch in itertools.product(range(n_), range(c)):
        starts = [_starts(samples[b, ch, slots[d]], size[d], osz[d], k[d]) for d in range(nd)]
        for cell in itertools.product(*(range(o) for o in osz)):
            lo = [starts[d][cell[d]] for d in range(nd)]
            win = x[(b, ch, *(slice(lo[d], lo[d] + k[d]) for d in range(nd)))]
            j = np.unravel_index(int(np.argmax(win)), win.shape)
            pos = tuple(lo[d] + j[d] for d in range(nd))
            out[(b, ch, *cell)] = win[j]
            idx[(b, ch, *cell)] = np.ravel_multi_index(pos, size)
    return out, idx


CASES = [
    (2, (2, 3, 7, 9), 2, (4, 5)),
    (2, (1, 2, 10, 10), 3, (4, 4)),
    (2, (2, 1, 6, 8), (1, 2), (6, 3)),
    (2, (1, 1, 5, 5), 2, (1, 1)),
    (3, (2, 2, 7, 8, 9), 2, (4, 5, 3)),
    (3, (1, 1, 6, 6, 7), (2, 1, 3), (3, 4, 2)),
]


@pytest.mark.parametrize("nd, shape, k, osz", CASES, ids=lambda v: str(v))
def test_forward_and_indices_match_reference(nd, shape, k, osz, device):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)
    u = rng.uniform(size=(shape[0], shape[1], nd))
    fn = F.fractional_max_pool2d if nd == 2 else F.fractional_max_pool3d
    kt = k if isinstance(k, tuple) else (k,) * nd
    ref, ref_idx = _reference(x, kt, osz, u)
    out, idx = fn(ember.tensor(x, device=device), k, output_size=osz, return_indices=True,
                  _random_samples=ember.tensor(u, device=device))
    assert out.dtype == ember.float64 and idx.dtype == ember.int64
    assert_close(out, ref, rtol=0, atol=0)
    np.testing.assert_array_equal(idx.cpu().numpy(), ref_idx)
    # float32 stays float32 and (away from float32 rounding of the window starts) agrees
    out32 = fn(ember.tensor(x, dtype=ember.float32, device=device), k, output_size=osz,
               _random_samples=ember.tensor(u, dtype=ember.float32, device=device))
    assert out32.dtype == ember.float32 and out32.shape == out.shape


def test_hand_computed_windows(device):
    # 5x5 ramp, k=2, o=3, u=0.25: alpha = 1.5, starts [0, 1, 3]; the max of each window is its
    # bottom-right element
    x = ember.arange(25.0, device=device).view(1, 1, 5, 5)
    u = ember.full((1, 1, 2), 0.25, device=device)
    out, idx = F.fractional_max_pool2d(x, 2, output_size=3, _random_samples=u,
                                       return_indices=True)
    expected = [[6.0, 7.0, 9.0], [11.0, 12.0, 14.0], [21.0, 22.0, 24.0]]
    assert out[0, 0].tolist() == expected
    assert idx[0, 0].tolist() == [[6, 7, 9], [11, 12, 14], [21, 22, 24]]


def test_samples_are_width_then_height_in_2d(device):
    # only the height sample changes: rows move, columns stay
    x = ember.arange(63.0, device=device).view(1, 1, 7, 9)
    a = F.fractional_max_pool2d(x, 2, output_size=(4, 5), return_indices=True,
                                _random_samples=ember.tensor([[[0.3, 0.1]]], device=device))[1]
    b = F.fractional_max_pool2d(x, 2, output_size=(4, 5), return_indices=True,
                                _random_samples=ember.tensor([[[0.3, 0.9]]], device=device))[1]
    assert (a % 9).tolist() == (b % 9).tolist()
    assert (a // 9).tolist() != (b // 9).tolist()


def test_output_ratio_and_unbatched(device):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 10, 13))
    u = rng.uniform(size=(1, 3, 2))
    out = F.fractional_max_pool2d(ember.tensor(x, device=device), 3, output_ratio=(0.5, 0.4),
                                  _random_samples=ember.tensor(u, device=device))
    assert out.shape == (3, 5, 5)  # int(10 * 0.5), int(13 * 0.4)
    ref, _ = _reference(x[None], (3, 3), (5, 5), u)
    assert_close(out, ref[0], rtol=0, atol=0)


def test_random_samples_drawn_when_absent(device):
    ember.manual_seed(0)
    x = ember.randn(2, 3, 9, 9, device=device)
    out, idx = F.fractional_max_pool2d(x, 2, output_size=4, return_indices=True)
    assert out.shape == (2, 3, 4, 4)
    # whatever the samples, each output is the input at its index
    flat = x.reshape(2, 3, -1)
    assert_close(out, flat.gather(2, idx.reshape(2, 3, -1)).reshape(out.shape))


def test_nan_propagates(device):
    x = ember.tensor([[[[1.0, float("nan"), 3.0, 0.0]]]], dtype=ember.float64, device=device)
    out, idx = F.fractional_max_pool2d(x, (1, 3), output_size=(1, 1), return_indices=True,
                                       _random_samples=ember.zeros(1, 1, 2, dtype=ember.float64,
                                                                   device=device))
    # the single window starts at n - k = 1: [nan, 3, 0]
    assert math.isnan(out.item()) and idx.item() == 1


@pytest.mark.parametrize("nd", [2, 3])
def test_gradcheck_and_gradgradcheck(nd, device):
    rng = np.random.default_rng(2)
    shape = (2, 2, 6, 7) if nd == 2 else (1, 2, 5, 6, 6)
    # distinct values so the maxima are unique and finite differences are well defined
    x = ember.tensor(rng.permutation(math.prod(shape)).reshape(shape) / 10.0, device=device,
                     requires_grad=True)
    u = ember.tensor(rng.uniform(size=(shape[0], 2, nd)), device=device)
    fn = F.fractional_max_pool2d if nd == 2 else F.fractional_max_pool3d
    osz = (3, 4) if nd == 2 else (2, 3, 3)

    def f(t):
        return fn(t, 2, output_size=osz, _random_samples=u)

    assert gradcheck(f, (x,))
    assert gradgradcheck(f, (x,))


def test_backward_scatters_to_the_maxima(device):
    x = ember.arange(25.0, device=device).view(1, 1, 5, 5).requires_grad_()
    u = ember.full((1, 1, 2), 0.25, device=device)
    F.fractional_max_pool2d(x, 2, output_size=3, _random_samples=u).sum().backward()
    g = np.zeros(25)
    g[[6, 7, 9, 11, 12, 14, 21, 22, 24]] = 1.0
    assert_close(x.grad, g.reshape(1, 1, 5, 5))


def test_overlapping_windows_accumulate_gradient(device):
    # k=3 over 5 with o=3: starts [0, 1, 2]; a spike at the centre wins every window
    x = ember.zeros(1, 1, 1, 5, device=device)
    x[..., 2] = 1.0
    x.requires_grad_()
    u = ember.full((1, 1, 2), 0.5, device=device)
    F.fractional_max_pool2d(x, (1, 3), output_size=(1, 3), _random_samples=u).sum().backward()
    assert x.grad.flatten().tolist() == [0.0, 0.0, 3.0, 0.0, 0.0]


def test_modules(device):
    rng = np.random.default_rng(3)
    x = ember.tensor(rng.standard_normal((2, 3, 9, 10)), device=device)
    u = ember.tensor(rng.uniform(size=(2, 3, 2)), device=device)
    m = nn.FractionalMaxPool2d(3, output_size=(4, 5), return_indices=True, _random_samples=u)
    assert repr(m) == "FractionalMaxPool2d()"
    assert m.kernel_size == (3, 3) and m.output_size == (4, 5) and m.output_ratio is None
    out, idx = m(x)
    ref, ref_idx = _reference(x.cpu().numpy(), (3, 3), (4, 5), u.cpu().numpy())
    assert_close(out, ref, rtol=0, atol=0)
    np.testing.assert_array_equal(idx.cpu().numpy(), ref_idx)
    assert "_random_samples" in m.state_dict()
    m3 = nn.FractionalMaxPool3d(2, output_ratio=0.5)
    assert m3.output_ratio == (0.5, 0.5, 0.5) and "_random_samples" not in m3.state_dict()
    assert m3(ember.randn(1, 2, 8, 8, 8, device=device)).shape == (1, 2, 4, 4, 4)


@pytest.mark.parametrize("kw, exc, msg", [
    ({"output_size": None}, ValueError, "requires specifying either an output size"),
    ({"output_size": 3, "output_ratio": 0.5}, ValueError, "only one of output_size"),
    ({"output_ratio": 1.5}, ValueError, "output_ratio must be between 0 and 1"),
])
def test_module_errors(kw, exc, msg):
    with pytest.raises(exc, match=msg):
        nn.FractionalMaxPool2d(2, **kw)


def test_functional_errors(device):
    x = ember.randn(1, 1, 7, 9, dtype=ember.float64, device=device)
    u = ember.rand(1, 1, 2, dtype=ember.float64, device=device)
    with pytest.raises(ValueError, match="requires specifying either an output_size"):
        F.fractional_max_pool2d(x, 2)
    with pytest.raises(RuntimeError, match="pool height 5 too large relative to input height 7"):
        F.fractional_max_pool2d(x, 5, output_size=(4, 3), _random_samples=u)
    with pytest.raises(RuntimeError, match="pool width 2 too large relative to input width 9"):
        F.fractional_max_pool2d(x, 2, output_size=(3, 9), _random_samples=u)
    with pytest.raises(RuntimeError, match=r"Expected 3D or 4D tensor, but got: \[7, 9\]"):
        F.fractional_max_pool2d(x[0, 0], 2, output_size=3)
    with pytest.raises(RuntimeError, match="same dtype as input"):
        F.fractional_max_pool2d(x, 2, output_size=3, _random_samples=u.float())
    with pytest.raises(RuntimeError, match=r"_random_samples of shape \(N, C, 2\)"):
        F.fractional_max_pool2d(x, 2, output_size=3, _random_samples=u[..., :1])
    with pytest.raises(RuntimeError, match="fewer than the input's 2 batch"):
        F.fractional_max_pool2d(x.expand(2, 1, 7, 9), 2, output_size=3, _random_samples=u)
    with pytest.raises(RuntimeError, match="kernel_size must either be a single int"):
        F.fractional_max_pool2d(x, (2, 2, 2), output_size=3, _random_samples=u)
    with pytest.raises(ValueError, match="output_ratio to either be a single float"):
        F.fractional_max_pool2d(x, 2, output_ratio=(0.5, 0.5, 0.5), _random_samples=u)
    with pytest.raises(RuntimeError, match="floating-point input"):
        F.fractional_max_pool2d(x.long(), 2, output_size=3)
    with pytest.raises(TypeError, match="must be Tensor"):
        F.fractional_max_pool2d([1.0], 2, output_size=3)
    # the 3-D kernel also rejects a window that exactly fits
    with pytest.raises(RuntimeError, match="pool time 1 too large relative to input time 7"):
        F.fractional_max_pool3d(ember.randn(1, 1, 7, 8, 9), 1, output_size=(7, 2, 2))
