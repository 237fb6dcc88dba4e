"""Containers: Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict.

Reprs and messages were read from PyTorch 2.13 (``torch`` → ``ember``).
"""

from __future__ import annotations

import copy
from collections import OrderedDict

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.testing import assert_close


class Scale(nn.Module):
    def __init__(self, k):
        super().__init__()
        self.k = k

    def forward(self, x):
        return x * self.k

    def extra_repr(self):
        return f"k={self.k}"


def _seq(*ks):
    return nn.Sequential(*(Scale(k) for k in ks))


def _ks(seq):
    return [m.k for m in seq]


def test_sequential_forward_and_names():
    s = _seq(2, 3)
    assert float(s(ember.tensor(1.0))) == 6.0
    assert list(s._modules) == ["0", "1"]
    d = nn.Sequential(OrderedDict([("a", Scale(2)), ("b", Scale(5))]))
    assert list(d._modules) == ["a", "b"] and float(d(ember.tensor(1.0))) == 10.0
    assert repr(d) == "Sequential(\n  (a): Scale(k=2)\n  (b): Scale(k=5)\n)"
    assert float(nn.Sequential()(ember.tensor(4.0))) == 4.0


def test_sequential_indexing_and_slicing():
    s = _seq(1, 2, 3, 4)
    assert s[0].k == 1 and s[-1].k == 4 and len(s) == 4
    sub = s[1:3]
    assert type(sub) is nn.Sequential and _ks(sub) == [2, 3] and list(sub._modules) == ["1", "2"]
    assert _ks(s[::-1]) == [4, 3, 2, 1]
    with pytest.raises(IndexError, match="index 4 is out of range"):
        s[4]
    with pytest.raises(IndexError, match="index -5 is out of range"):
        s[-5]
    with pytest.raises(TypeError):
        s["0"]
    s[1] = Scale(20)
    assert _ks(s) == [1, 20, 3, 4]
    del s[0]
    assert _ks(s) == [20, 3, 4] and list(s._modules) == ["0", "1", "2"]
    del s[0:2]
    assert _ks(s) == [4] and list(s._modules) == ["0"]


def test_sequential_mutation():
    s = _seq(1)
    assert s.append(Scale(2)) is s
    s.insert(0, Scale(0))
    s.insert(-1, Scale(9))
    assert _ks(s) == [0, 1, 9, 2] and list(s._modules) == ["0", "1", "2", "3"]
    s.extend(_seq(5, 6))
    assert _ks(s) == [0, 1, 9, 2, 5, 6]
    assert s.pop(2).k == 9 and _ks(s) == [0, 1, 2, 5, 6]
    with pytest.raises(IndexError, match="Index out of range: 9"):
        s.insert(9, Scale(1))
    with pytest.raises(AssertionError, match="module should be of type"):
        s.insert(0, 3)
    t = _seq(1) + _seq(2, 3)
    assert _ks(t) == [1, 2, 3]
    with pytest.raises(ValueError, match="add operator supports only objects of Sequential"):
        _seq(1) + [Scale(2)]
    u = _seq(1)
    u += _seq(7)
    assert _ks(u) == [1, 7]
    assert _ks(_seq(1, 2) * 2) == [1, 2, 1, 2] and _ks(2 * _seq(3)) == [3, 3]
    v = _seq(1, 2)
    v *= 2
    assert _ks(v) == [1, 2, 1, 2]
    with pytest.raises(ValueError, match="Non-positive multiplication factor 0"):
        _seq(1) * 0
    assert not any(k.isdigit() for k in dir(_seq(1, 2)))


def test_module_list():
    ml = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2), nn.Identity(), nn.Linear(2, 2)])
    assert repr(ml) == ("ModuleList(\n"
                        "  (0-1): 2 x Linear(in_features=2, out_features=2, bias=True)\n"
                        "  (2): Identity()\n"
                        "  (3): Linear(in_features=2, out_features=2, bias=True)\n)")
    assert repr(nn.ModuleList()) == "ModuleList()"
    assert len(list(ml.parameters())) == 6
    assert type(ml[1:3]) is nn.ModuleList and len(ml[1:3]) == 2
    assert isinstance(ml[-2], nn.Identity)
    with pytest.raises(IndexError, match="index 4 is out of range"):
        ml[4]
    ml.append(Scale(1)).extend([Scale(2)])
    ml.insert(0, Scale(0))
    assert ml[0].k == 0 and len(ml) == 7 and list(ml._modules)[-1] == "6"
    assert ml.pop(0).k == 0 and len(ml) == 6
    del ml[0:2]
    assert list(ml._modules) == ["0", "1", "2", "3"] and isinstance(ml[0], nn.Identity)
    ml[0] = Scale(9)
    assert ml[0].k == 9
    ml += [Scale(10)]
    assert ml[-1].k == 10
    both = nn.ModuleList([Scale(1)]) + nn.ModuleList([Scale(2)])
    assert [m.k for m in both] == [1, 2]
    with pytest.raises(TypeError, match="ModuleList.extend should be called with an iterable, "
                                        "but got int"):
        ml.extend(3)
    with pytest.raises(NotImplementedError, match='missing the required "forward" function'):
        ml(ember.ones(1))


def test_module_dict():
    d = nn.ModuleDict({"b": Scale(1), "a": nn.Identity()})
    assert list(d.keys()) == ["b", "a"]  # insertion order, not sorted
    d["c"] = Scale(3)
    assert "c" in d and len(d) == 3 and list(d) == ["b", "a", "c"]
    assert d.pop("b") is not None and list(d.keys()) == ["a", "c"]
    assert [k for k, _ in d.items()] == ["a", "c"] and len(list(d.values())) == 2
    del d["a"]
    assert list(d) == ["c"]
    d.update([("x", Scale(4))])
    assert list(d) == ["c", "x"]
    assert repr(d) == "ModuleDict(\n  (c): Scale(k=3)\n  (x): Scale(k=4)\n)"
    with pytest.raises(TypeError, match="ModuleDict.update should be called with an iterable"):
        d.update(3)
    with pytest.raises(ValueError, match="element #0 has length 3; 2 is required"):
        d.update([("a", Scale(1), 3)])
    d.clear()
    assert len(d) == 0


def test_parameter_list():
    pl = nn.ParameterList([nn.Parameter(ember.ones(2, 3)),
                           ember.zeros(2, dtype=ember.float64)])
    assert all(type(p) is nn.Parameter for p in pl)
    assert repr(pl) == ("ParameterList(\n"
                        "    (0): Parameter containing: [ember.float32 of size 2x3]\n"
                        "    (1): Parameter containing: [ember.float64 of size 2]\n)")
    assert [n for n, _ in pl.named_parameters()] == ["0", "1"]
    pl.append(ember.ones(1))
    pl.extend([ember.ones(4)])
    assert len(pl) == 4 and pl[-1].shape == (4,)
    sl = pl[1:3]
    assert type(sl) is nn.ParameterList and [tuple(p.shape) for p in sl] == [(2,), (1,)]
    pl[0] = ember.full((1,), 5.0)
    assert float(pl[0]) == 5.0 and type(pl[0]) is nn.Parameter
    with pytest.raises(TypeError, match="ParameterList.extend should be called with an "
                                        "iterable, but got Tensor"):
        pl.extend(ember.ones(2))
    with pytest.raises(IndexError, match="index 9 is out of range"):
        pl[9]
    with pytest.raises(RuntimeError, match="ParameterList should not be called."):
        pl()
    c = copy.deepcopy(pl)
    assert len(c) == 4 and c[0] is not pl[0]


def test_parameter_dict():
    pd = nn.ParameterDict({"b": ember.ones(1), "a": ember.ones(2)})
    assert list(pd.keys()) == ["a", "b"]  # a plain dict is sorted, as in PyTorch
    assert repr(pd) == ("ParameterDict(\n"
                        "    (a): Parameter containing: [ember.FloatTensor of size 2]\n"
                        "    (b): Parameter containing: [ember.FloatTensor of size 1]\n)")
    od = nn.ParameterDict(OrderedDict([("z", ember.ones(1)), ("y", ember.ones(1))]))
    assert list(od) == ["z", "y"]
    assert [n for n, _ in pd.named_parameters()] == ["a", "b"]
    pd["c"] = ember.zeros(3)
    assert type(pd["c"]) is nn.Parameter and "c" in pd and len(pd) == 3
    assert pd.get("nope") is None and pd.get("a") is pd["a"]
    assert pd.setdefault("d", ember.ones(1)) is pd["d"]
    k, v = pd.popitem()
    assert k == "d" and "d" not in pd
    assert pd.pop("c").shape == (3,)
    del pd["a"]
    assert list(pd) == ["b"] and list(reversed(pd)) == ["b"]
    merged = pd | nn.ParameterDict(OrderedDict([("e", ember.ones(1))]))
    assert list(merged) == ["b", "e"] and merged["b"] is pd["b"]
    assert list(pd.copy()) == ["b"]
    with pytest.raises(TypeError, match="Index given to ParameterDict cannot be used as a key "
                                        "as it is not a string"):
        pd[1] = ember.ones(1)
    with pytest.raises(RuntimeError, match="ParameterDict should not be called."):
        pd()
    pd.clear()
    assert len(pd) == 0


def test_containers_state_dict_and_training():
    model = nn.Sequential(nn.Linear(3, 2), nn.ModuleList([nn.Linear(2, 2)]),
                          nn.ModuleDict({"out": nn.Linear(2, 1)}))
    assert list(model.state_dict()) == ["0.weight", "0.bias", "1.0.weight", "1.0.bias",
                                        "2.out.weight", "2.out.bias"]
    clone = copy.deepcopy(model)
    clone.load_state_dict(model.state_dict())
    for a, b in zip(model.parameters(), clone.parameters(), strict=True):
        assert_close(a, b)
        assert not np.shares_memory(a.detach().numpy(), b.detach().numpy())
    model.eval()
    assert not model[1][0].training and not model[2]["out"].training
