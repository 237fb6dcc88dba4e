"""Array-level backward formulas (``Node.fast``) agree with the ember-op formulas.

A plain ``backward`` uses a node's ``fast`` formula when it has one; ``create_graph=True``
always runs the ember-op ``backward``.  For every differentiable record of the op table, the
two gradients must match.
"""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.autograd.node import Node
from ember.testing import assert_close
from ember.testing.op_db import records
from ember.testing.op_record import _make_args

RECORDS = [r for r in records() if r.grad]


def _grads(rec, args, kw, create_graph):
    idx = [i for i, a in enumerate(args) if isinstance(a, ember.Tensor)
           and a.is_floating_point() and i not in rec.nondiff_args]
    ins = []
    for i in idx:
        args[i] = args[i].detach().requires_grad_(True)
        ins.append(args[i])
    out = rec.op(ember, *args, **kw)
    outs = [o for o in (out if isinstance(out, (tuple, list)) else (out,))
            if isinstance(o, ember.Tensor) and o.requires_grad]
    if not outs:
        return None
    rng = np.random.default_rng(0)
    loss = sum((o * ember.tensor(rng.standard_normal(tuple(o.shape)), dtype=o.dtype,
                                 device=o.device)).sum() for o in outs)
    return ember.autograd.grad(loss, ins, allow_unused=True, create_graph=create_graph)


@pytest.mark.parametrize("rec", RECORDS, ids=lambda r: r.name)
def test_fast_backward_matches_ember_op_backward(rec, device):
    for n, sample in enumerate(rec.samples[:3]):
        kw = rec.sample_kwargs[n] if rec.sample_kwargs else {}
        args, _ = _make_args(rec, sample, ember.float64, device, seed=n)
        fast = _grads(rec, list(args), kw, create_graph=False)
        slow = _grads(rec, list(args), kw, create_graph=True)
        if fast is None:
            continue
        for a, b in zip(fast, slow, strict=False):
            if a is None or b is None:
                assert (a is None) == (b is None) or not bool(
                    ((a if a is not None else b) != 0).any())
                continue
            assert_close(a.detach(), b.detach(), rtol=1e-10, atol=1e-12)


def test_hot_ops_have_fast_formulas():
    x = ember.randn(4, requires_grad=True)
    y = ((x * 0.9 + 0.1).sin() - 0.05).exp().sum()
    node, seen = y.grad_fn, []
    while node is not None and node.next_functions:
        seen.append(type(node).__name__)
        assert type(node).fast is not Node.fast, f"{type(node).__name__} has no fast formula"
        node = node.next_functions[0][0]
    assert seen[:3] == ["Sum", "Exp", "Sub"]
