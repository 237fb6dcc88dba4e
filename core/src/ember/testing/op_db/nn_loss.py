"""Op records for the loss functionals of ``nn.functional`` (see :mod:`ember.testing.op_db`).

References are numpy float64, written here independently of ember; ops are ``op(lib, ...)``
so the parity session runs the same table on PyTorch.  Targets get no gradient check
(``nondiff_args``) because PyTorch refuses target gradients for most losses.
"""

from __future__ import annotations

import numpy as np

from ..op_record import ErrorInput, OpRecord

_T4 = np.array([0, 2, 1, 4])  # class indices for (4, 5) logits
_T4_IGN = np.array([0, -100, 1, 4])
_T3D = np.array([[0, 2, 1], [4, 4, 0]])  # (2, 3) targets for (2, 5, 3) logits
_W5 = np.array([0.5, 1.0, 2.0, 1.5, 0.2])
_SIGNS = np.array([1.0, -1.0, -1.0, 1.0])


def _red(loss, reduction="mean"):
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


def _log_softmax(x, axis):
    m = x.max(axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis, keepdims=True))


def _nll_ref(logp, t, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    C = logp.shape[1]
    w = np.ones(C) if weight is None else weight
    lp = np.moveaxis(logp, 1, -1).reshape(-1, C)
    tf = t.reshape(-1)
    keep = tf != ignore_index
    ts = np.where(keep, tf, 0)
    wt = w[ts] * keep
    eps = label_smoothing
    per = -(1 - eps) * wt * lp[np.arange(len(ts)), ts] - eps / C * (lp * w).sum(1) * keep
    if reduction == "none":
        return per.reshape(t.shape)
    return per.sum() if reduction == "sum" else per.sum() / wt.sum()


def _ce_ref(x, t, weight=None, **kw):
    return _nll_ref(_log_softmax(x, 1), t, weight, **kw)


def _ce(lib, x, t, weight=None, **kw):
    return lib.nn.functional.cross_entropy(x, t, weight, **kw)


def _nll(lib, x, t, weight=None, **kw):
    return lib.nn.functional.nll_loss(x, t, weight, **kw)


def _f(name):
    return lambda lib, *a, **kw: getattr(lib.nn.functional, name)(*a, **kw)


_RK = [{"reduction": r} for r in ("none", "mean", "sum")]

RECORDS = [
    OpRecord("nn.cross_entropy", _ce, _ce_ref,
             [((4, 5), _T4), ((4, 5), _T4_IGN, _W5), ((4, 5), _T4_IGN, _W5), ((2, 5, 3), _T3D),
              ((4, 5), _T4)],
             sample_kwargs=[{}, {"reduction": "sum"}, {"label_smoothing": 0.2},
                            {"reduction": "none", "label_smoothing": 0.1},
                            {"ignore_index": 2}],
             nondiff_args=(1, 2),
             errors=[ErrorInput(((3, 5), np.array([0, 1, 5])), IndexError,
                                "Target 5 is out of bounds."),
                     ErrorInput(((3, 5), np.array([0, 1])), ValueError,
                                r"Expected input batch_size \(3\) to match target batch_size "
                                r"\(2\)")]),
    OpRecord("nn.cross_entropy_probs", _ce,
             lambda x, y, **kw: _red(-(_log_softmax(x, 1) * y).sum(1), **kw),
             [((4, 5), (4, 5))], sample_kwargs=[{"reduction": "sum"}], domain=(0.0, 1.0)),
    OpRecord("nn.nll_loss", _nll, _nll_ref,
             [((4, 5), _T4_IGN, _W5), ((2, 5, 3), _T3D)], sample_kwargs=[{}, _RK[0]],
             nondiff_args=(1, 2)),
    OpRecord("nn.mse_loss", _f("mse_loss"), lambda x, y, **kw: _red((x - y) ** 2, **kw),
             [((3, 4), (3, 4))] * 3, sample_kwargs=_RK, nondiff_args=(1,)),
    OpRecord("nn.l1_loss", _f("l1_loss"), lambda x, y, **kw: _red(np.abs(x - y), **kw),
             [((3, 4), (3, 4))] * 3, sample_kwargs=_RK, nondiff_args=(1,), gradgrad=False),
    OpRecord("nn.smooth_l1_loss", _f("smooth_l1_loss"),
             lambda x, y, beta=1.0, **kw: _red(np.where(np.abs(x - y) < beta,
                                                        0.5 * (x - y) ** 2 / beta,
                                                        np.abs(x - y) - 0.5 * beta), **kw),
             [((3, 4), (3, 4))], sample_kwargs=[{"beta": 0.5}], nondiff_args=(1,),
             gradgrad=False),
    OpRecord("nn.binary_cross_entropy", _f("binary_cross_entropy"),
             lambda x, y, **kw: _red(-(y * np.log(x) + (1 - y) * np.log(1 - x)), **kw),
             [((3, 4), (3, 4))], domain=(0.05, 0.95), nondiff_args=(1,),
             errors=[ErrorInput((np.array([1.5]), np.array([1.0])), RuntimeError,
                                "all elements of input should be between 0 and 1")]),
    OpRecord("nn.binary_cross_entropy_with_logits", _f("binary_cross_entropy_with_logits"),
             lambda x, y, **kw: _red(np.logaddexp(0, x) - x * y, **kw),
             [((3, 4), (3, 4))] * 3, sample_kwargs=_RK, nondiff_args=(1,)),
    OpRecord("nn.kl_div", _f("kl_div"),
             lambda x, y, reduction="batchmean", **kw: (y * (np.log(y) - x)).sum() / x.shape[0],
             [((3, 4), (3, 4))], sample_kwargs=[{"reduction": "batchmean"}], domain=(0.1, 1.0),
             nondiff_args=(1,)),
    OpRecord("nn.soft_margin_loss", _f("soft_margin_loss"),
             lambda x, y, **kw: _red(np.log1p(np.exp(-y * x)), **kw),
             [((4,), _SIGNS)], nondiff_args=(1,)),
    OpRecord("nn.hinge_embedding_loss", _f("hinge_embedding_loss"),
             lambda x, y, **kw: _red(np.where(y == 1, x, np.maximum(0, 1 - x)), **kw),
             [((4,), _SIGNS)], nondiff_args=(1,), gradgrad=False),
    OpRecord("nn.multi_margin_loss", _f("multi_margin_loss"),
             lambda x, t, **kw: np.mean([
                 sum(max(0.0, 1 - x[n, t[n]] + x[n, i]) for i in range(x.shape[1])
                     if i != t[n]) / x.shape[1] for n in range(x.shape[0])]),
             [((4, 5), _T4)], nondiff_args=(1,), gradgrad=False),
    OpRecord("nn.poisson_nll_loss", _f("poisson_nll_loss"),
             lambda x, y, **kw: _red(np.exp(x) - y * x, **kw), [((3, 4), (3, 4))],
             nondiff_args=(1,)),
    OpRecord("nn.gaussian_nll_loss", _f("gaussian_nll_loss"),
             lambda x, y, v, **kw: _red(0.5 * (np.log(v) + (x - y) ** 2 / v), **kw),
             [((3, 4), (3, 4), (3, 1))], domain=(0.2, 2.0), nondiff_args=(1,)),
]
