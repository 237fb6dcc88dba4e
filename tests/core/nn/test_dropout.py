"""ember.nn dropout: statistics of the mask, scaling, eval identity, seeding, channel
variants, alpha dropout moments, errors, layer reprs."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.testing import assert_close


def _ones(shape, device, dtype=ember.float32, rg=False):
    return ember.ones(*shape, dtype=dtype, device=device, requires_grad=rg)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_fraction_and_scaling(p, device):
    n = 40000
    y = F.dropout(_ones((n,), device), p).cpu().numpy()
    zeroed = (y == 0).mean()
    assert abs(zeroed - p) < 5 * math.sqrt(p * (1 - p) / n)
    assert_close(y[y != 0], np.full((y != 0).sum(), 1 / (1 - p), np.float32))
    assert y.dtype == np.float32


def test_dropout_gradient_is_the_mask(device):
    x = _ones((1000,), device, ember.float64, rg=True)
    y = F.dropout(x, 0.3)
    y.sum().backward()
    assert_close(x.grad.cpu().numpy(), y.detach().cpu().numpy())


def test_dropout_eval_identity_and_edge_p(device):
    x = _ones((5,), device)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    assert_close(F.dropout(x, 1.0).cpu().numpy(), np.zeros(5, np.float32))
    assert F.alpha_dropout(x, 0.5) is x  # alpha_dropout defaults to training=False


def test_dropout_seeded_reproducible(device):
    x = _ones((100,), device)
    ember.manual_seed(3)
    a = F.dropout(x, 0.5).cpu().numpy()
    ember.manual_seed(3)
    b = F.dropout(x, 0.5).cpu().numpy()
    assert (a == b).all()
    assert not (a == F.dropout(x, 0.5).cpu().numpy()).all()


def test_dropout_inplace(device):
    x = _ones((200,), device)
    y = F.dropout(x, 0.5, inplace=True)
    assert y is x and set(np.unique(x.cpu().numpy())) <= {0.0, 2.0}


@pytest.mark.parametrize("fn,shape,noise_axes", [
    (F.dropout1d, (8, 50, 6), (2,)), (F.dropout1d, (50, 6), (1,)),
    (F.dropout2d, (8, 50, 3, 4), (2, 3)), (F.dropout3d, (4, 50, 2, 2, 2), (2, 3, 4)),
    (F.dropout3d, (50, 2, 2, 2), (1, 2, 3)), (F.feature_alpha_dropout, (8, 50, 3), (2,))])
def test_channel_dropout_zeroes_whole_channels(fn, shape, noise_axes, device):
    kw = {"training": True} if fn is F.feature_alpha_dropout else {}
    y = fn(_ones(shape, device), 0.5, **kw).cpu().numpy()
    # every channel is constant along its spatial axes
    assert (y.max(axis=noise_axes) == y.min(axis=noise_axes)).all()
    if fn is not F.feature_alpha_dropout:
        frac = (y.max(axis=noise_axes) == 0).mean()
        assert abs(frac - 0.5) < 5 * math.sqrt(0.25 / y.max(axis=noise_axes).size)


def test_alpha_dropout_keeps_mean_and_variance(device):
    ember.manual_seed(0)
    n = 200000
    x = ember.randn(n, dtype=ember.float64, device=device)
    y = F.alpha_dropout(x, 0.3, training=True).cpu().numpy()
    assert abs(y.mean()) < 0.02 and abs(y.var() - 1.0) < 0.03
    # hand-derived values: dropped units a * (-alpha') + b
    alpha = 1.7580993408473766
    a = 1 / math.sqrt((alpha ** 2 * 0.3 + 1) * 0.7)
    dropped = a * alpha * (0.3 - 1)
    frac = np.isclose(y, dropped).mean()
    assert abs(frac - 0.3) < 5 * math.sqrt(0.21 / n)


def test_dropout_errors_and_warnings(device):
    x = _ones((2, 3), device)
    for fn in (F.dropout, F.alpha_dropout, F.dropout1d, F.dropout2d, F.dropout3d,
               F.feature_alpha_dropout):
        with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, "
                                             "but got 1.5"):
            fn(x, 1.5)
    with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input, but received "
                                           "a 4D input"):
        F.dropout1d(_ones((2, 3, 4, 5), device))
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d"):
        F.dropout2d(_ones((2, 3, 4), device))
    with pytest.warns(UserWarning, match="Received a 2-D input to dropout3d"):
        F.dropout3d(x)
    with pytest.raises(ValueError, match="but got -0.1"):
        nn.Dropout(-0.1)


@pytest.mark.parametrize("cls", [nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d,
                                 nn.AlphaDropout, nn.FeatureAlphaDropout])
def test_dropout_layers_repr_and_modes(cls, device):
    assert repr(cls()) == f"{cls.__name__}(p=0.5, inplace=False)"
    assert repr(cls(0.2, True)) == f"{cls.__name__}(p=0.2, inplace=True)"
    m = cls(0.5)
    shape = {nn.Dropout3d: (4, 6, 2, 2, 2), nn.Dropout2d: (4, 6, 2, 3)}.get(cls, (4, 6, 5))
    x = _ones(shape, device)
    assert m.eval()(x) is x
    y = m.train()(x).cpu().numpy()
    assert not np.allclose(y, 1.0)
