"""Op records for ``ember.nn.functional`` activations, softmax and distances (see
:mod:`ember.testing.op_db`).

References are numpy float64 formulas written independently of ember.  Non-smooth functions
sample a domain that avoids their kinks by construction (``_away``: values at least 0.1 away
from the kink points).
"""

from __future__ import annotations

import math

import numpy as np

from ..op_record import ErrorInput, OpRecord

__all__ = ["RECORDS"]

_ERF = np.vectorize(math.erf, otypes=[np.float64])


def _F(lib):
    return lib.nn.functional


def _away(shape, kinks=(0.0,), seed=0, lo=-3.0, hi=3.0):
    """Random float64 values in [lo, hi] at least 0.1 away from every kink."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(lo, hi, shape)
    for k in kinks:
        near = np.abs(x - k) < 0.1
        x[near] = k + np.where(x[near] >= k, 0.15, -0.15)
    return x


def _softmax(x, dim):
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


def _log_softmax(x, dim):
    m = x.max(axis=dim, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=dim, keepdims=True))


def _sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def _softplus(x, beta=1.0, threshold=20.0):
    return np.where(x * beta > threshold, x, np.log1p(np.exp(np.minimum(x * beta, 50))) / beta)


_S = (3, 4)
_SA, _SC = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946

RECORDS = [
    OpRecord("nn.softmax", lambda lib, x, dim: _F(lib).softmax(x, dim), _softmax,
             [((3, 5), 1), ((4, 3, 2), 0), ((2, 3, 4), -1)],
             errors=[ErrorInput(((2, 3), 2), IndexError, "Dimension out of range")]),
    OpRecord("nn.log_softmax", lambda lib, x, dim: _F(lib).log_softmax(x, dim), _log_softmax,
             [((3, 5), 1), ((4, 3, 2), 0), ((2, 3, 4), -1)],
             errors=[ErrorInput(((2, 3), -3), IndexError, "Dimension out of range")]),
    OpRecord("nn.softmin", lambda lib, x: _F(lib).softmin(x, 1), lambda x: _softmax(-x, 1),
             [((3, 4),)]),
    OpRecord("nn.gelu", lambda lib, x, **kw: _F(lib).gelu(x, **kw),
             lambda x: 0.5 * x * (1 + _ERF(x / math.sqrt(2))), [(_S,), ((2, 3, 2),)],
             domain=(-4.0, 4.0),
             errors=[ErrorInput((_S,), RuntimeError, "approximate argument must be either none "
                                "or tanh", {"approximate": "x"})]),
    OpRecord("nn.gelu_tanh", lambda lib, x: _F(lib).gelu(x, approximate="tanh"),
             lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3))),
             [(_S,)], domain=(-4.0, 4.0)),
    OpRecord("nn.silu", lambda lib, x: _F(lib).silu(x), lambda x: x * _sig(x), [(_S,)],
             domain=(-5.0, 5.0)),
    OpRecord("nn.mish", lambda lib, x: _F(lib).mish(x), lambda x: x * np.tanh(_softplus(x)),
             [(_S,)]),
    OpRecord("nn.relu", lambda lib, x: _F(lib).relu(x), lambda x: np.maximum(x, 0),
             [(_away(_S),)], gradgrad=False),
    OpRecord("nn.relu6", lambda lib, x: _F(lib).relu6(x), lambda x: np.clip(x, 0, 6),
             [(_away(_S, (0.0, 6.0), lo=-2, hi=8),)], gradgrad=False),
    OpRecord("nn.leaky_relu", lambda lib, x, s: _F(lib).leaky_relu(x, s),
             lambda x, s: np.where(x > 0, x, s * x),
             [(_away(_S), 0.01), (_away(_S), 0.3), (_away(_S), -0.5), (_away(_S), 1.5)]),
    OpRecord("nn.hardtanh", lambda lib, x: _F(lib).hardtanh(x, -0.5, 1.5),
             lambda x: np.clip(x, -0.5, 1.5), [(_away(_S, (-0.5, 1.5)),)], gradgrad=False,
             errors=[]),
    OpRecord("nn.elu", lambda lib, x, a: _F(lib).elu(x, a),
             lambda x, a: np.where(x > 0, x, a * np.expm1(np.minimum(x, 0))),
             [(_away(_S), 1.0), (_away(_S), 0.5)], gradgrad=False),
    OpRecord("nn.selu", lambda lib, x: _F(lib).selu(x),
             lambda x: _SC * np.where(x > 0, x, _SA * np.expm1(np.minimum(x, 0))),
             [(_away(_S),)], gradgrad=False),
    OpRecord("nn.celu", lambda lib, x: _F(lib).celu(x, 2.0),
             lambda x: np.maximum(x, 0) + np.minimum(0, 2.0 * np.expm1(np.minimum(x, 0) / 2)),
             [(_away(_S),)], gradgrad=False),
    OpRecord("nn.softplus", lambda lib, x, b, t: _F(lib).softplus(x, b, t),
             _softplus, [(_S, 1.0, 20.0), (_away(_S, (1.0,)), 2.0, 2.0)], gradgrad=True),
    OpRecord("nn.logsigmoid", lambda lib, x: _F(lib).logsigmoid(x), lambda x: np.log(_sig(x)),
             [(_S,)], domain=(-8.0, 8.0)),
    OpRecord("nn.softsign", lambda lib, x: _F(lib).softsign(x), lambda x: x / (1 + np.abs(x)),
             [(_away(_S),)]),
    OpRecord("nn.softshrink", lambda lib, x: _F(lib).softshrink(x, 0.5),
             lambda x: np.where(x > 0.5, x - 0.5, np.where(x < -0.5, x + 0.5, 0.0)),
             [(_away(_S, (-0.5, 0.5)),)], gradgrad=False),
    OpRecord("nn.hardshrink", lambda lib, x: _F(lib).hardshrink(x, 0.5),
             lambda x: np.where(np.abs(x) > 0.5, x, 0.0), [(_away(_S, (-0.5, 0.5)),)],
             gradgrad=False),
    OpRecord("nn.tanhshrink", lambda lib, x: _F(lib).tanhshrink(x), lambda x: x - np.tanh(x),
             [(_S,)]),
    OpRecord("nn.hardswish", lambda lib, x: _F(lib).hardswish(x),
             lambda x: x * np.clip(x + 3, 0, 6) / 6, [(_away(_S, (-3.0, 3.0), lo=-5, hi=5),)],
             gradgrad=False),
    OpRecord("nn.hardsigmoid", lambda lib, x: _F(lib).hardsigmoid(x),
             lambda x: np.clip(x + 3, 0, 6) / 6, [(_away(_S, (-3.0, 3.0), lo=-5, hi=5),)],
             gradgrad=False),
    OpRecord("nn.threshold", lambda lib, x: _F(lib).threshold(x, 0.5, -2.0),
             lambda x: np.where(x > 0.5, x, -2.0), [(_away(_S, (0.5,)),)], gradgrad=False),
    OpRecord("nn.glu", lambda lib, x, d: _F(lib).glu(x, d),
             lambda x, d: np.split(x, 2, axis=d)[0] * _sig(np.split(x, 2, axis=d)[1]),
             [((3, 4), -1), ((4, 3), 0)],
             errors=[ErrorInput(((2, 5), -1), RuntimeError,
                                "Halving dimension must be even, but dimension 1 is size 5")]),
    OpRecord("nn.prelu", lambda lib, x, w: _F(lib).prelu(x, w),
             lambda x, w: np.where(x > 0, x, w.reshape(-1, 1) * x),
             [(_away((2, 3, 4)), np.array([0.25, -0.5, 1.5]))], gradgrad=False,
             errors=[ErrorInput(((2, 3), np.array([0.1, 0.2])), RuntimeError,
                                "Found parameter numbers = 2 and channel size = 3")]),
    OpRecord("nn.cosine_similarity", lambda lib, a, b: _F(lib).cosine_similarity(a, b),
             lambda a, b: (lambda a, b: (a * b).sum(1) / (
                 np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)))(
                 *np.broadcast_arrays(a, b)),
             [((3, 5), (3, 5)), ((2, 4, 3), (4, 3))]),
    OpRecord("nn.pairwise_distance",
             lambda lib, a, b, p: _F(lib).pairwise_distance(a, b, p),
             lambda a, b, p: (np.abs(a - b + 1e-6) ** p).sum(-1) ** (1 / p),
             [((3, 5), (3, 5), 2.0), ((4, 3), (3,), 1.5)]),
    OpRecord("nn.pdist", lambda lib, x, p: _F(lib).pdist(x, p),
             lambda x, p: np.array([(np.abs(x[i] - x[j]) ** p).sum() ** (1 / p)
                                    for i in range(len(x)) for j in range(i + 1, len(x))]),
             [((4, 3), 2.0), ((3, 2), 3.0)],
             errors=[ErrorInput(((2, 3, 4), 2.0), RuntimeError,
                                "pdist only supports 2D tensors, got: 3D")]),
    OpRecord("nn.normalize", lambda lib, x, p, d: _F(lib).normalize(x, p, d),
             lambda x, p, d: x / (np.abs(x) ** p).sum(d, keepdims=True) ** (1 / p),
             [((3, 4), 2.0, 1), ((3, 4), 3.0, 0)]),
]
