"""Op records for the normalisation functionals of ``nn.functional`` (batch/layer/group/
instance/local-response/RMS norm).  References are numpy in float64, written here
independently of ember; ops are ``op(lib, ...)`` so the parity session runs them on PyTorch.
"""

from __future__ import annotations

import numpy as np

from ..op_record import ErrorInput, OpRecord

# running statistics for the evaluation-mode samples (positive variances)
_RM3 = np.array([0.3, -0.2, 0.1])
_RV3 = np.array([0.5, 1.5, 2.0])


def _affine(y, w, b, shape):
    if w is not None:
        y = y * w.reshape(shape)
    if b is not None:
        y = y + b.reshape(shape)
    return y


def _bn_ref(x, w=None, b=None, eps=1e-5):
    axes = (0,) + tuple(range(2, x.ndim))
    m = x.mean(axes, keepdims=True)
    v = ((x - m) ** 2).mean(axes, keepdims=True)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return _affine((x - m) / np.sqrt(v + eps), w, b, shape)


def _bn_eval_ref(x, rm, rv, w=None, b=None, eps=1e-5):
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return _affine((x - rm.reshape(shape)) / np.sqrt(rv.reshape(shape) + eps), w, b, shape)


def _ln_ref(x, ns, w=None, b=None, eps=1e-5):
    axes = tuple(range(x.ndim - len(ns), x.ndim))
    m = x.mean(axes, keepdims=True)
    v = ((x - m) ** 2).mean(axes, keepdims=True)
    return _affine((x - m) / np.sqrt(v + eps), w, b, tuple(ns))


def _gn_ref(x, groups, w=None, b=None, eps=1e-5):
    n, c = x.shape[:2]
    xg = x.reshape(n, groups, -1)
    m = xg.mean(2, keepdims=True)
    v = ((xg - m) ** 2).mean(2, keepdims=True)
    y = ((xg - m) / np.sqrt(v + eps)).reshape(x.shape)
    return _affine(y, w, b, (1, c) + (1,) * (x.ndim - 2))


def _in_ref(x, w=None, b=None, eps=1e-5):
    axes = tuple(range(2, x.ndim))
    m = x.mean(axes, keepdims=True)
    v = ((x - m) ** 2).mean(axes, keepdims=True)
    return _affine((x - m) / np.sqrt(v + eps), w, b, (1, -1) + (1,) * (x.ndim - 2))


def _rms_ref(x, ns, w=None, eps=None):
    eps = np.finfo(np.float32).eps if eps is None else eps
    axes = tuple(range(x.ndim - len(ns), x.ndim))
    y = x / np.sqrt((x ** 2).mean(axes, keepdims=True) + eps)
    return y if w is None else y * w


def _lrn_ref(x, size, alpha=1e-4, beta=0.75, k=1.0):
    c = x.shape[1]
    sq = x ** 2
    div = np.zeros_like(x)
    for ch in range(c):  # the window of channel ch, clipped at the edges
        lo, hi = max(0, ch - size // 2), min(c, ch + (size - 1) // 2 + 1)
        div[:, ch] = sq[:, lo:hi].sum(1)
    return x / (k + alpha / size * div) ** beta


def _F(lib):
    return lib.nn.functional


RECORDS: list[OpRecord] = [
    OpRecord("nn.batch_norm_train",
             lambda lib, x, w, b: _F(lib).batch_norm(x, None, None, w, b, training=True),
             _bn_ref, [((4, 3, 5), (3,), (3,)), ((6, 2), None, (2,)),
                       ((2, 3, 2, 2), (3,), None)],
             rtol32=1e-4, errors=[
                 ErrorInput(((1, 3), (3,), (3,)), ValueError,
                            "Expected more than 1 value per channel when training"),
                 ErrorInput(((2, 3), (4,), (3,)), RuntimeError,
                            "weight should contain 3 elements not 4")]),
    OpRecord("nn.batch_norm_train_eps",
             lambda lib, x, eps: _F(lib).batch_norm(x, None, None, training=True, eps=eps),
             lambda x, eps: _bn_ref(x, eps=eps), [((5, 2, 3), 0.5)], rtol32=1e-4),
    OpRecord("nn.batch_norm_eval",
             lambda lib, x, rm, rv, w, b: _F(lib).batch_norm(x, rm, rv, w, b),
             _bn_eval_ref, [((4, 3, 5), _RM3, _RV3, (3,), (3,)), ((4, 3), _RM3, _RV3, (3,), (3,))],
             nondiff_args=(1, 2), rtol32=1e-4, errors=[
                 ErrorInput(((2, 3), None, None, (3,), (3,)), RuntimeError,
                            "running_mean must be defined in evaluation mode")]),
    OpRecord("nn.layer_norm",
             lambda lib, x, ns, w, b: _F(lib).layer_norm(x, ns, w, b),
             _ln_ref, [((2, 3, 4), [4], (4,), (4,)), ((2, 3, 4), [3, 4], (3, 4), (3, 4)),
                       ((5, 3), [3], None, (3,)), ((5, 3), [3], (3,), None),
                       ((5, 3), [3], None, None)],
             rtol32=1e-4, errors=[
                 ErrorInput(((2, 3), [4], None, None), RuntimeError,
                            r"Given normalized_shape=\[4\], expected input with shape \[\*, 4\], "
                            r"but got input of size\[2, 3\]")]),
    OpRecord("nn.group_norm",
             lambda lib, x, g, w, b: _F(lib).group_norm(x, g, w, b),
             _gn_ref, [((2, 6, 3), 3, (6,), (6,)), ((2, 4, 2, 2), 2, (4,), (4,)),
                       ((3, 4, 5), 1, None, None)],
             rtol32=1e-4, errors=[
                 ErrorInput(((2, 3, 4), 2, None, None), RuntimeError,
                            "Expected number of channels in input to be divisible by num_groups"
                            r", but got input of shape \[2, 3, 4\] and num_groups=2")]),
    OpRecord("nn.instance_norm",
             lambda lib, x, w, b: _F(lib).instance_norm(x, weight=w, bias=b),
             _in_ref, [((2, 3, 4), (3,), (3,)), ((2, 3, 2, 3), None, None)],
             rtol32=1e-4, errors=[
                 ErrorInput(((2, 3, 1), None, None), ValueError,
                            "Expected more than 1 spatial element when training")]),
    OpRecord("nn.instance_norm_eval",
             lambda lib, x, rm, rv: _F(lib).instance_norm(x, rm, rv, use_input_stats=False),
             lambda x, rm, rv: _bn_eval_ref(x, rm, rv), [((2, 3, 4), _RM3, _RV3)],
             nondiff_args=(1, 2), rtol32=1e-4),
    OpRecord("nn.rms_norm",
             lambda lib, x, ns, w, eps: _F(lib).rms_norm(x, ns, w, eps),
             _rms_ref, [((2, 3, 4), [4], (4,), 1e-6), ((2, 3, 4), [3, 4], None, 0.1)],
             rtol32=1e-4, errors=[
                 ErrorInput(((2, 3), [4], None, None), RuntimeError,
                            r"Given normalized_shape=\[4\]")]),
    OpRecord("nn.local_response_norm",
             lambda lib, x, size, alpha, beta, k: _F(lib).local_response_norm(
                 x, size, alpha, beta, k),
             _lrn_ref, [((2, 5, 3), 3, 0.5, 0.75, 1.0), ((2, 4, 2, 3), 2, 1.0, 0.5, 2.0),
                        ((1, 3, 2, 2, 2), 4, 0.3, 1.2, 1.5)],
             rtol32=1e-4, errors=[
                 ErrorInput(((2, 3), 2, 1e-4, 0.75, 1.0), ValueError,
                            r"Expected 3D or higher dimensionality input \(got 2 dimensions\)")]),
]
