"""Op records for ``nn.functional.embedding`` and ``embedding_bag``; numpy float64 references.

Gradient-altering options (``padding_idx``, ``scale_grad_by_freq``) are not true derivatives,
so their records use indices for which they change nothing; the tests in
``tests/core/nn/test_embedding.py`` check the altered gradients by hand.
"""

from __future__ import annotations

import numpy as np

from ..op_record import ErrorInput, OpRecord

_IDX = np.array([[0, 2, 2], [4, 1, 2]])
_FLAT = np.array([0, 2, 2, 4, 1, 3, 3])
_OFF = np.array([0, 3, 3, 5])  # bags [0, 2, 2], [], [4, 1], [3, 3]


def _bags(idx, off, n):
    ends = list(off[1:]) + [n]
    return [idx[s:e] for s, e in zip(off, ends, strict=True)]


def _bag_ref(w, idx, off, mode, psw=None, padding_idx=None):
    out = np.zeros((len(off), w.shape[1]))
    psw = np.ones(len(idx)) if psw is None else psw
    pos = _bags(np.arange(len(idx)), off, len(idx))
    for b, p in enumerate(pos):
        p = [i for i in p if idx[i] != padding_idx]
        if not p:
            continue
        rows = w[idx[p]] * psw[p][:, None]
        out[b] = {"sum": rows.sum(0), "mean": rows.mean(0), "max": rows.max(0)}[mode]
    return out


def _F(lib):
    return lib.nn.functional


RECORDS: list[OpRecord] = [
    OpRecord("nn.embedding", lambda lib, w, i: _F(lib).embedding(i, w),
             lambda w, i: w[i], [((5, 3), _IDX), ((4, 2), np.array([3, 3, 0]))],
             errors=[ErrorInput(((5, 3), np.array([5])), IndexError, "index out of range in self"),
                     ErrorInput(((5, 3), np.array([1.0])), RuntimeError,
                                "Expected tensor for argument #1 'indices' to have one of the "
                                "following scalar types: Long, Int")]),
    OpRecord("nn.embedding_padding_unused",
             lambda lib, w, i: _F(lib).embedding(i, w, padding_idx=3, scale_grad_by_freq=True),
             lambda w, i: w[i], [((5, 3), np.array([[0, 2], [4, 1]]))]),
    OpRecord("nn.embedding_bag_sum",
             lambda lib, w, i, o: _F(lib).embedding_bag(i, w, o, mode="sum"),
             lambda w, i, o: _bag_ref(w, i, o, "sum"), [((5, 3), _FLAT, _OFF)],
             errors=[ErrorInput(((5, 3), _FLAT, np.array([1, 3])), RuntimeError,
                                "offsets\\[0\\] has to be 0")]),
    OpRecord("nn.embedding_bag_mean",
             lambda lib, w, i, o: _F(lib).embedding_bag(i, w, o, mode="mean", padding_idx=4),
             lambda w, i, o: _bag_ref(w, i, o, "mean", padding_idx=4), [((5, 3), _FLAT, _OFF)]),
    OpRecord("nn.embedding_bag_max",
             lambda lib, w, i, o: _F(lib).embedding_bag(i, w, o, mode="max"),
             lambda w, i, o: _bag_ref(w, i, o, "max"), [((5, 3), _FLAT, _OFF)]),
    OpRecord("nn.embedding_bag_psw",
             lambda lib, w, i, o, p: _F(lib).embedding_bag(i, w, o, mode="sum",
                                                           per_sample_weights=p),
             lambda w, i, o, p: _bag_ref(w, i, o, "sum", psw=p), [((5, 3), _FLAT, _OFF, (7,))]),
    OpRecord("nn.embedding_bag_2d",
             lambda lib, w, i: _F(lib).embedding_bag(i, w, mode="mean"),
             lambda w, i: w[i].mean(1), [((5, 3), _IDX)]),
]
