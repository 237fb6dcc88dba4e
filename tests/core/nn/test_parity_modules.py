"""Layers against PyTorch (parity session): same state_dict, same outputs and gradients.

For every case the PyTorch module is built under a torch seed, its state_dict is loaded into
the ember module (after checking identical keys, shapes and dtypes), both run in float64 on
the same input, and outputs, input gradients, parameter gradients and buffers are compared; the
``repr`` strings must match and ember's state_dict must load back into PyTorch.  The
non-parity tests of each layer live beside it (test_conv.py, test_pool.py …) against numpy
references; this file only adds the cross-check.
"""

from __future__ import annotations

import os
import warnings
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

import ember
from ember.testing import assert_close

torch = pytest.importorskip("torch") if os.environ.get("EMBER_PARITY") else None

pytestmark = [pytest.mark.parity,
              pytest.mark.skipif(torch is None,
                                 reason="parity tests run in the parity session (EMBER_PARITY=1 "
                                        "with PyTorch installed)")]

TOL = {"rtol": 1e-9, "atol": 1e-10}


@dataclass
class Case:
    """``make(lib)`` builds the layer (``lib`` is ember or torch); ``inputs`` are numpy arrays
    (floating ones get gradients unless their index is in ``nograd``); ``call(lib, m, *xs)``
    replaces ``m(*xs)``; ``steps`` forward/backward passes in train mode, then (``eval``) one
    more pass in eval mode."""

    name: str
    make: Callable
    inputs: list
    call: Callable | None = None
    nograd: tuple = ()
    steps: int = 1
    eval: bool = False
    train: bool = True
    backward: bool = True
    kwargs: dict = field(default_factory=dict)
    tol: dict = field(default_factory=lambda: dict(TOL))
    extra: Any = None


_RNG = np.random.default_rng(1234)


def r(*shape, low=None, high=None):
    """A float64 normal (or uniform in [low, high)) array."""
    if low is not None:
        return _RNG.uniform(low, high, size=shape)
    return _RNG.standard_normal(shape)


def ri(high, *shape, low=0):
    return _RNG.integers(low, high, size=shape).astype(np.int64)


def _to(lib, a, grad):
    if isinstance(a, np.ndarray):
        t = lib.tensor(a.copy())
        if grad and t.is_floating_point():
            t.requires_grad_()
        return t
    return a


def _flat(out):
    if out is None:
        return []
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flat(o)]
    if hasattr(out, "batch_sizes"):  # PackedSequence
        return [out.data, out.batch_sizes]
    return [out]


def _np(t):
    if isinstance(t, ember.Tensor):
        return t.detach().cpu().numpy()
    return t.detach().numpy()


def _convert_sd(sd, to):
    out = OrderedDict((k, to(v)) for k, v in sd.items())
    out._metadata = sd._metadata
    return out


def _state(lib_sd):
    return {k: (tuple(v.shape), str(v.dtype).split(".")[-1]) for k, v in lib_sd.items()}


def _weight(i, shape):
    """The fixed cotangent of output ``i`` (the same array for both libraries)."""
    return np.random.default_rng(100 + i).standard_normal(tuple(shape))


def _run(lib, m, case):
    xs = [_to(lib, a, i not in case.nograd) for i, a in enumerate(case.inputs)]
    kw = {k: _to(lib, v, False) for k, v in case.kwargs.items()}
    out = case.call(lib, m, *xs, **kw) if case.call else m(*xs, **kw)
    outs = _flat(out)
    if case.backward:
        terms = [(o * lib.tensor(_weight(i, o.shape))).sum() for i, o in enumerate(outs)
                 if o.is_floating_point() and o.requires_grad]
        if terms:
            sum(terms[1:], terms[0]).backward()
    return outs, xs


def check_case(case):
    """Run ``case`` in both libraries and compare everything (see the module docstring)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's own deprecation / fast-path notices
        torch.manual_seed(0)
        tm = case.make(torch)
        em = case.make(ember)
        tsd, esd = tm.state_dict(), em.state_dict()
        assert list(esd) == list(tsd), f"{case.name}: keys {list(esd)} != {list(tsd)}"
        assert _state(esd) == _state(tsd), f"{case.name}: {_state(esd)} != {_state(tsd)}"
        # (dtype names print with their library's prefix: ember.float32 / torch.float32)
        assert repr(em).replace("ember.", "torch.") == repr(tm), f"{case.name}:\n{em!r}\n!=\n{tm!r}"
        assert dict(esd._metadata) == dict(tsd._metadata), f"{case.name}: _metadata"
        # torch -> ember, then ember -> a fresh torch module (round trip), with _metadata
        res = em.load_state_dict(_convert_sd(tsd, lambda v: ember.tensor(_np(v).copy())))
        assert not res.missing_keys and not res.unexpected_keys
        tm2 = case.make(torch)
        tm2.load_state_dict(_convert_sd(em.state_dict(), lambda v: torch.from_numpy(_np(v).copy())))
        for k, v in tm2.state_dict().items():
            np.testing.assert_array_equal(v.numpy(), tsd[k].numpy(), err_msg=k)
        em.double()
        tm.double()
        for mode in [case.train] * case.steps + ([False] if case.eval else []):
            em.train(mode)
            tm.train(mode)
            em.zero_grad()
            tm.zero_grad()
            touts, txs = _run(torch, tm, case)
            eouts, exs = _run(ember, em, case)
            _compare(case, mode, em, tm, eouts, touts, exs, txs)


def _compare(case, mode, em, tm, eouts, touts, exs, txs):
    where = f"{case.name} ({'train' if mode else 'eval'})"
    assert len(eouts) == len(touts), f"{where}: {len(eouts)} outputs != {len(touts)}"
    for i, (eo, to) in enumerate(zip(eouts, touts, strict=True)):
        assert tuple(eo.shape) == tuple(to.shape), f"{where} output {i}: shape"
        assert str(eo.dtype).split(".")[-1] == str(to.dtype).split(".")[-1], \
            f"{where} output {i}: {eo.dtype} != {to.dtype}"
        assert_close(_np(eo), _np(to), msg=f"{where} output {i}", **case.tol)
    if not case.backward:
        return
    for i, (ex, tx) in enumerate(zip(exs, txs, strict=True)):
        if isinstance(tx, torch.Tensor) and tx.grad is not None:
            assert ex.grad is not None, f"{where}: input {i} has no gradient"
            assert_close(_np(ex.grad), _np(tx.grad), msg=f"{where} input {i} grad", **case.tol)
    tparams = dict(tm.named_parameters())
    for name, p in em.named_parameters():
        tg = tparams[name].grad
        if tg is None:
            assert p.grad is None or not _np(p.grad).any(), f"{where}: {name} grad"
        else:
            assert p.grad is not None, f"{where}: {name} has no gradient"
            assert_close(_np(p.grad), _np(tg), msg=f"{where} grad of {name}", **case.tol)
    for (name, b), (_, tb) in zip(em.named_buffers(), tm.named_buffers(), strict=True):
        assert_close(_np(b), _np(tb), msg=f"{where} buffer {name}", **case.tol)
    for (name, p), (_, tp) in zip(em.named_parameters(), tm.named_parameters(), strict=True):
        assert_close(_np(p), _np(tp), msg=f"{where} parameter {name}", **case.tol)


def _Holder(lib):
    """A custom module with a ModuleDict and a ParameterList (state_dict nesting)."""

    class Holder(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = lib.nn.ModuleDict({"a": lib.nn.Linear(4, 4), "b": lib.nn.Tanh()})
            self.scales = lib.nn.ParameterList([lib.nn.Parameter(lib.ones(4) * 0.5),
                                                lib.nn.Parameter(lib.zeros(4))])
            self.register_buffer("offset", lib.arange(4.0))
            self.register_buffer("scratch", lib.zeros(2), persistent=False)

        def forward(self, x):
            y = self.blocks["b"](self.blocks["a"](x)) * self.scales[0] + self.scales[1]
            return y + self.offset

    return Holder()


def _unpool(nd):
    def call(lib, m, x):
        pool = getattr(lib.nn.functional, f"max_pool{nd}d")
        y, idx = pool(x, 2, return_indices=True)
        return m(y, idx)
    return call


def _pack(lib, m, x, lengths):
    packed = lib.nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True,
                                                   enforce_sorted=False)
    out, h = m(packed)
    padded, lens = lib.nn.utils.rnn.pad_packed_sequence(out, batch_first=True)
    return padded, lens, h


def _fmp_samples(n, c, nd):
    return np.random.default_rng(5).uniform(size=(n, c, nd))


_EMB = r(4, 3)


def _weight_norm(lib):
    return lib.nn.utils.parametrizations.weight_norm(lib.nn.Linear(4, 3), dim=0)


def _spectral_norm(lib):
    return lib.nn.utils.parametrizations.spectral_norm(lib.nn.Linear(4, 3), n_power_iterations=2)


LAYERS = [
    Case("weight_norm-Linear", _weight_norm, [r(5, 4)]),
    Case("spectral_norm-Linear", _spectral_norm, [r(5, 4)], steps=2, eval=True),
    Case("Sequential-nested", lambda lib: lib.nn.Sequential(
        lib.nn.Conv2d(2, 3, 3), lib.nn.BatchNorm2d(3), lib.nn.ReLU(),
        lib.nn.Sequential(lib.nn.Flatten(), lib.nn.Linear(27, 2))), [r(2, 2, 5, 5)],
         steps=2, eval=True),
    Case("ModuleDict-ParameterList", lambda lib: _Holder(lib), [r(3, 4)]),
    # linear
    Case("Linear", lambda lib: lib.nn.Linear(5, 3), [r(4, 5)]),
    Case("Linear-nobias-3d", lambda lib: lib.nn.Linear(5, 3, bias=False), [r(2, 4, 5)]),
    Case("Bilinear", lambda lib: lib.nn.Bilinear(4, 3, 2), [r(5, 4), r(5, 3)]),
    Case("Bilinear-nobias", lambda lib: lib.nn.Bilinear(4, 3, 2, bias=False), [r(5, 4), r(5, 3)]),
    Case("Identity", lambda lib: lib.nn.Identity(3, foo=1), [r(2, 3)]),
    Case("Flatten", lambda lib: lib.nn.Flatten(1, 2), [r(2, 3, 4, 5)]),
    Case("Unflatten", lambda lib: lib.nn.Unflatten(1, (2, 3)), [r(4, 6)]),
    # convolutions
    Case("Conv1d-stride-dil-groups", lambda lib: lib.nn.Conv1d(4, 6, 3, stride=2, padding=1,
                                                              dilation=2, groups=2), [r(2, 4, 11)]),
    Case("Conv1d-same-reflect", lambda lib: lib.nn.Conv1d(3, 2, 4, padding="same",
                                                         padding_mode="reflect"), [r(2, 3, 9)]),
    Case("Conv1d-unbatched", lambda lib: lib.nn.Conv1d(3, 2, 3), [r(3, 7)]),
    Case("Conv2d-circular-groups", lambda lib: lib.nn.Conv2d(
        4, 6, (3, 2), stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2,
        padding_mode="circular"), [r(2, 4, 7, 8)]),
    Case("Conv2d-valid-replicate", lambda lib: lib.nn.Conv2d(3, 4, 3, padding="valid",
                                                            padding_mode="replicate"),
         [r(2, 3, 6, 5)]),
    Case("Conv2d-same-replicate", lambda lib: lib.nn.Conv2d(3, 4, (3, 4), padding="same",
                                                           padding_mode="replicate",
                                                           dilation=(2, 1)), [r(2, 3, 7, 6)]),
    Case("Conv2d-depthwise", lambda lib: lib.nn.Conv2d(4, 8, 3, groups=4, padding=1, bias=False),
         [r(2, 4, 5, 5)]),
    Case("Conv2d-1x1", lambda lib: lib.nn.Conv2d(4, 3, 1), [r(2, 4, 5, 5)]),
    Case("Conv3d", lambda lib: lib.nn.Conv3d(2, 4, 3, stride=2, padding=1), [r(2, 2, 5, 6, 5)]),
    Case("Conv3d-reflect-groups", lambda lib: lib.nn.Conv3d(4, 2, (2, 3, 2), padding=1,
                                                           groups=2, padding_mode="reflect"),
         [r(1, 4, 4, 5, 4)]),
    Case("ConvTranspose1d", lambda lib: lib.nn.ConvTranspose1d(
        4, 6, 3, stride=2, padding=1, output_padding=1, groups=2, dilation=2), [r(2, 4, 6)]),
    Case("ConvTranspose2d", lambda lib: lib.nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1,
                                                              output_padding=1), [r(2, 4, 4, 5)]),
    Case("ConvTranspose2d-output_size", lambda lib: lib.nn.ConvTranspose2d(3, 2, 3, stride=2),
         [r(1, 3, 4, 4)], call=lambda lib, m, x: m(x, output_size=[10, 10])),
    Case("ConvTranspose2d-dil-groups", lambda lib: lib.nn.ConvTranspose2d(
        4, 4, (2, 3), stride=(1, 2), dilation=(2, 1), groups=4, bias=False), [r(2, 4, 3, 4)]),
    Case("ConvTranspose3d", lambda lib: lib.nn.ConvTranspose3d(2, 4, (2, 3, 2), stride=(2, 1, 2),
                                                              groups=2), [r(1, 2, 3, 3, 3)]),
    # pooling
    Case("MaxPool1d-dil-ceil-indices", lambda lib: lib.nn.MaxPool1d(
        3, 2, 1, dilation=2, ceil_mode=True, return_indices=True), [r(2, 3, 12)]),
    Case("MaxPool2d-ceil", lambda lib: lib.nn.MaxPool2d(3, 2, 1, ceil_mode=True), [r(2, 3, 8, 9)]),
    Case("MaxPool2d-indices", lambda lib: lib.nn.MaxPool2d((2, 3), (1, 2), return_indices=True),
         [r(3, 7, 8)]),
    Case("MaxPool3d-indices", lambda lib: lib.nn.MaxPool3d(2, 1, 1, return_indices=True),
         [r(1, 2, 4, 4, 3)]),
    Case("MaxUnpool1d", lambda lib: lib.nn.MaxUnpool1d(2), [r(2, 3, 8)], call=_unpool(1)),
    Case("MaxUnpool2d", lambda lib: lib.nn.MaxUnpool2d(2), [r(2, 3, 6, 4)], call=_unpool(2)),
    Case("MaxUnpool3d", lambda lib: lib.nn.MaxUnpool3d(2), [r(1, 2, 4, 4, 2)], call=_unpool(3)),
    Case("AvgPool1d", lambda lib: lib.nn.AvgPool1d(3, 2, 1, ceil_mode=True,
                                                   count_include_pad=False), [r(2, 3, 10)]),
    Case("AvgPool2d-divisor", lambda lib: lib.nn.AvgPool2d(3, 2, 1, divisor_override=4),
         [r(2, 3, 7, 6)]),
    Case("AvgPool2d-ceil-nopad", lambda lib: lib.nn.AvgPool2d((3, 2), padding=1, ceil_mode=True,
                                                              count_include_pad=False),
         [r(2, 3, 7, 6)]),
    Case("AvgPool3d", lambda lib: lib.nn.AvgPool3d(2, stride=1, padding=1), [r(1, 2, 3, 4, 3)]),
    Case("AdaptiveAvgPool1d", lambda lib: lib.nn.AdaptiveAvgPool1d(4), [r(2, 3, 10)]),
    Case("AdaptiveAvgPool2d", lambda lib: lib.nn.AdaptiveAvgPool2d((3, None)), [r(2, 3, 7, 5)]),
    Case("AdaptiveAvgPool3d", lambda lib: lib.nn.AdaptiveAvgPool3d((2, 3, 1)), [r(1, 2, 5, 7, 3)]),
    Case("AdaptiveMaxPool1d", lambda lib: lib.nn.AdaptiveMaxPool1d(4, return_indices=True),
         [r(2, 3, 10)]),
    Case("AdaptiveMaxPool2d", lambda lib: lib.nn.AdaptiveMaxPool2d((3, 4)), [r(2, 3, 7, 5)]),
    Case("AdaptiveMaxPool3d", lambda lib: lib.nn.AdaptiveMaxPool3d(2, return_indices=True),
         [r(1, 2, 5, 3, 4)]),
    Case("LPPool1d", lambda lib: lib.nn.LPPool1d(2, 3, 2), [r(2, 3, 9, low=0.5, high=2)]),
    Case("LPPool2d", lambda lib: lib.nn.LPPool2d(3, 2, ceil_mode=True),
         [r(2, 3, 7, 6, low=0.5, high=2)]),
    Case("FractionalMaxPool2d", lambda lib: lib.nn.FractionalMaxPool2d(
        3, output_size=(4, 5), return_indices=True,
        _random_samples=lib.tensor(_fmp_samples(2, 3, 2))), [r(2, 3, 9, 10)]),
    Case("FractionalMaxPool2d-ratio", lambda lib: lib.nn.FractionalMaxPool2d(
        2, output_ratio=0.5, _random_samples=lib.tensor(_fmp_samples(1, 3, 2))), [r(3, 9, 10)]),
    Case("FractionalMaxPool3d", lambda lib: lib.nn.FractionalMaxPool3d(
        2, output_size=(3, 4, 3), return_indices=True,
        _random_samples=lib.tensor(_fmp_samples(2, 2, 3))), [r(2, 2, 6, 7, 6)]),
    # normalisation
    Case("BatchNorm1d-2d-input", lambda lib: lib.nn.BatchNorm1d(4), [r(6, 4)], steps=2,
         eval=True),
    Case("BatchNorm1d-3d-momentum-None", lambda lib: lib.nn.BatchNorm1d(4, momentum=None),
         [r(3, 4, 5)], steps=2, eval=True),
    Case("BatchNorm2d", lambda lib: lib.nn.BatchNorm2d(3, momentum=0.3, eps=1e-3),
         [r(2, 3, 4, 5)], steps=2, eval=True),
    Case("BatchNorm2d-no-affine", lambda lib: lib.nn.BatchNorm2d(3, affine=False),
         [r(2, 3, 4, 5)], steps=2, eval=True),
    Case("BatchNorm3d-no-stats", lambda lib: lib.nn.BatchNorm3d(2, track_running_stats=False),
         [r(2, 2, 3, 3, 2)], steps=2, eval=True),
    Case("SyncBatchNorm", lambda lib: lib.nn.SyncBatchNorm(3), [r(2, 3, 4, 5)], steps=2,
         eval=True),
    Case("LayerNorm", lambda lib: lib.nn.LayerNorm((4, 5)), [r(2, 3, 4, 5)]),
    Case("LayerNorm-no-affine", lambda lib: lib.nn.LayerNorm(5, elementwise_affine=False),
         [r(3, 5)]),
    Case("LayerNorm-no-bias", lambda lib: lib.nn.LayerNorm(5, eps=1e-3, bias=False), [r(3, 5)]),
    Case("GroupNorm", lambda lib: lib.nn.GroupNorm(2, 4), [r(3, 4, 5, 2)]),
    Case("GroupNorm-no-affine", lambda lib: lib.nn.GroupNorm(3, 6, affine=False, eps=1e-3),
         [r(2, 6, 7)]),
    Case("InstanceNorm1d", lambda lib: lib.nn.InstanceNorm1d(3), [r(2, 3, 7)]),
    Case("InstanceNorm2d-affine-stats", lambda lib: lib.nn.InstanceNorm2d(
        3, affine=True, track_running_stats=True), [r(2, 3, 4, 5)], steps=2, eval=True),
    Case("InstanceNorm3d", lambda lib: lib.nn.InstanceNorm3d(2, affine=True), [r(2, 2, 3, 4, 3)]),
    Case("LocalResponseNorm", lambda lib: lib.nn.LocalResponseNorm(3, alpha=0.1, beta=0.6, k=2.0),
         [r(2, 5, 4, 3)]),
    Case("LocalResponseNorm-3d", lambda lib: lib.nn.LocalResponseNorm(2), [r(2, 4, 6)]),
    Case("RMSNorm", lambda lib: lib.nn.RMSNorm([4, 5]), [r(2, 4, 5)]),
    Case("RMSNorm-eps-no-affine", lambda lib: lib.nn.RMSNorm(5, eps=1e-4,
                                                             elementwise_affine=False), [r(3, 5)]),
    # embeddings
    Case("Embedding-from_pretrained", lambda lib: lib.nn.Embedding.from_pretrained(
        lib.tensor(_EMB), freeze=False, padding_idx=1), [np.array([[1, 2], [0, 3]])]),
    Case("EmbeddingBag-from_pretrained", lambda lib: lib.nn.EmbeddingBag.from_pretrained(
        lib.tensor(_EMB), freeze=False, mode="max"),
         [np.array([1, 2, 0, 3, 3]), np.array([0, 2])]),
    Case("Embedding-padding_idx", lambda lib: lib.nn.Embedding(10, 4, padding_idx=2),
         [np.array([[1, 2, 3], [2, 9, 1]])]),
    Case("Embedding-max_norm", lambda lib: lib.nn.Embedding(10, 4, max_norm=1.0, norm_type=1.5),
         [np.array([[1, 2, 3], [2, 9, 1]])]),
    Case("Embedding-scale_grad_by_freq", lambda lib: lib.nn.Embedding(6, 3,
                                                                       scale_grad_by_freq=True),
         [np.array([1, 2, 1, 1, 5])]),
    Case("EmbeddingBag-mean-offsets", lambda lib: lib.nn.EmbeddingBag(10, 4),
         [np.array([1, 2, 4, 5, 4, 3, 2, 9]), np.array([0, 3, 3, 6])]),
    Case("EmbeddingBag-sum-weights", lambda lib: lib.nn.EmbeddingBag(10, 4, mode="sum"),
         [np.array([1, 2, 4, 5, 4, 3, 2, 9]), np.array([0, 2, 5])],
         kwargs={"per_sample_weights": r(8)}),
    Case("EmbeddingBag-max-2d", lambda lib: lib.nn.EmbeddingBag(10, 4, mode="max"),
         [np.array([[1, 2, 4], [5, 4, 3]])]),
    Case("EmbeddingBag-sum-padding-last", lambda lib: lib.nn.EmbeddingBag(
        10, 4, mode="sum", padding_idx=4, include_last_offset=True),
         [np.array([1, 2, 4, 5, 4, 3, 2, 9]), np.array([0, 3, 5, 8])]),
]


@pytest.mark.parametrize("case", LAYERS, ids=lambda c: c.name)
def test_layer_matches_pytorch(case, device):
    if device != "cpu":
        pytest.skip("the PyTorch oracle is the CPU build")
    check_case(case)


def _cell_seq(lib, m, x, h):
    """Two steps of a cell (the second from the first's state)."""
    h1 = m(x[0], h)
    return h1, m(x[1], h1)


def _lstm_cell_seq(lib, m, x, h, c):
    h1, c1 = m(x[0], (h, c))
    return h1, c1, m(x[1], (h1, c1)), m(x[1])


RECURRENT = [
    Case("RNN-2layer-bidir-relu-batch_first", lambda lib: lib.nn.RNN(
        4, 5, num_layers=2, nonlinearity="relu", bidirectional=True, batch_first=True),
         [r(3, 6, 4)]),
    Case("RNN-h0-nobias", lambda lib: lib.nn.RNN(4, 5, bias=False), [r(6, 3, 4), r(1, 3, 5)]),
    Case("RNN-unbatched", lambda lib: lib.nn.RNN(3, 4, num_layers=2), [r(5, 3), r(2, 4)]),
    Case("LSTM-2layer-bidir", lambda lib: lib.nn.LSTM(4, 5, num_layers=2, bidirectional=True),
         [r(6, 3, 4)]),
    Case("LSTM-proj-batch_first", lambda lib: lib.nn.LSTM(
        4, 6, num_layers=2, proj_size=3, batch_first=True, bidirectional=True),
         [r(3, 5, 4), r(4, 3, 3), r(4, 3, 6)],
         call=lambda lib, m, x, h, c: m(x, (h, c))),
    Case("LSTM-nobias", lambda lib: lib.nn.LSTM(4, 5, bias=False), [r(6, 3, 4)]),
    Case("GRU-2layer-bidir", lambda lib: lib.nn.GRU(4, 5, num_layers=2, bidirectional=True),
         [r(6, 3, 4), r(4, 3, 5)]),
    Case("GRU-nobias-batch_first", lambda lib: lib.nn.GRU(4, 5, bias=False, batch_first=True),
         [r(3, 6, 4)]),
    Case("LSTM-packed", lambda lib: lib.nn.LSTM(4, 5, num_layers=2, bidirectional=True,
                                                batch_first=True),
         [r(4, 6, 4), np.array([6, 2, 4, 5])], call=_pack),
    Case("GRU-packed-proj", lambda lib: lib.nn.GRU(4, 5, batch_first=True),
         [r(3, 5, 4), np.array([2, 5, 3])], call=_pack),
    Case("RNN-packed-tanh", lambda lib: lib.nn.RNN(4, 3, num_layers=2, batch_first=True),
         [r(3, 5, 4), np.array([5, 1, 3])], call=_pack),
    Case("RNNCell", lambda lib: lib.nn.RNNCell(4, 5, nonlinearity="relu"), [r(2, 3, 4), r(3, 5)],
         call=_cell_seq),
    Case("RNNCell-nobias-unbatched", lambda lib: lib.nn.RNNCell(4, 5, bias=False), [r(4)]),
    Case("GRUCell", lambda lib: lib.nn.GRUCell(4, 5), [r(2, 3, 4), r(3, 5)], call=_cell_seq),
    Case("LSTMCell", lambda lib: lib.nn.LSTMCell(4, 5), [r(2, 3, 4), r(3, 5), r(3, 5)],
         call=_lstm_cell_seq),
]


def _mha(lib, m, q, k, v, **kw):
    return m(q, k, v, **kw)


ATTENTION = [
    Case("MHA", lambda lib: lib.nn.MultiheadAttention(8, 2), [r(5, 3, 8), r(4, 3, 8), r(4, 3, 8)],
         call=_mha),
    Case("MHA-kdim-vdim-batch_first", lambda lib: lib.nn.MultiheadAttention(
        8, 2, kdim=6, vdim=5, batch_first=True), [r(3, 5, 8), r(3, 4, 6), r(3, 4, 5)],
         call=_mha, kwargs={"key_padding_mask": np.array([[False] * 3 + [True]] * 3),
                            "average_attn_weights": False}),
    Case("MHA-bias_kv-zero_attn", lambda lib: lib.nn.MultiheadAttention(
        8, 4, add_bias_kv=True, add_zero_attn=True), [r(5, 2, 8), r(4, 2, 8), r(4, 2, 8)],
         call=_mha, kwargs={"attn_mask": r(5, 4)}),
    Case("MHA-bool-mask-nobias", lambda lib: lib.nn.MultiheadAttention(8, 2, bias=False),
         [r(4, 2, 8), r(4, 2, 8), r(4, 2, 8)], call=_mha,
         kwargs={"attn_mask": np.triu(np.ones((4, 4), dtype=bool), 1),
                 "key_padding_mask": r(2, 4), "need_weights": False}),
    Case("MHA-unbatched-kdim", lambda lib: lib.nn.MultiheadAttention(6, 3, kdim=4, vdim=4),
         [r(5, 6), r(3, 4), r(3, 4)], call=_mha),
    Case("MHA-is_causal", lambda lib: lib.nn.MultiheadAttention(8, 2, batch_first=True),
         [r(2, 5, 8), r(2, 5, 8), r(2, 5, 8)], call=_mha,
         kwargs={"attn_mask": np.triu(np.ones((5, 5), dtype=bool), 1), "is_causal": True}),
    Case("TransformerEncoderLayer", lambda lib: lib.nn.TransformerEncoderLayer(
        8, 2, 16, dropout=0.0), [r(5, 3, 8)]),
    Case("TransformerEncoderLayer-norm_first-gelu", lambda lib: lib.nn.TransformerEncoderLayer(
        8, 2, 16, dropout=0.0, activation="gelu", norm_first=True, batch_first=True),
         [r(3, 5, 8)], kwargs={"src_key_padding_mask": np.array([[False] * 4 + [True]] * 3)}),
    Case("TransformerEncoderLayer-callable", lambda lib: lib.nn.TransformerEncoderLayer(
        8, 2, 16, dropout=0.0, activation=lib.nn.functional.silu, bias=False,
        layer_norm_eps=1e-3), [r(5, 3, 8)], kwargs={"is_causal": False}),
    Case("TransformerDecoderLayer", lambda lib: lib.nn.TransformerDecoderLayer(
        8, 2, 16, dropout=0.0), [r(4, 3, 8), r(5, 3, 8)]),
    Case("TransformerDecoderLayer-norm_first-masks", lambda lib: lib.nn.TransformerDecoderLayer(
        8, 2, 16, dropout=0.0, norm_first=True, activation="gelu", batch_first=True),
         [r(3, 4, 8), r(3, 5, 8)],
         kwargs={"tgt_mask": np.triu(np.full((4, 4), -np.inf), 1),
                 "memory_key_padding_mask": np.array([[False] * 4 + [True]] * 3)}),
    Case("TransformerEncoder", lambda lib: lib.nn.TransformerEncoder(
        lib.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0), 2, norm=lib.nn.LayerNorm(8),
        enable_nested_tensor=False), [r(5, 3, 8)]),
    Case("TransformerDecoder", lambda lib: lib.nn.TransformerDecoder(
        lib.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0), 2), [r(4, 3, 8), r(5, 3, 8)]),
    Case("Transformer", lambda lib: lib.nn.Transformer(
        8, 2, num_encoder_layers=1, num_decoder_layers=2, dim_feedforward=16, dropout=0.0),
         [r(5, 3, 8), r(4, 3, 8)],
         kwargs={"tgt_mask": np.triu(np.full((4, 4), -np.inf), 1)}),
]


@pytest.mark.parametrize("case", RECURRENT + ATTENTION, ids=lambda c: c.name)
def test_sequence_layer_matches_pytorch(case, device):
    if device != "cpu":
        pytest.skip("the PyTorch oracle is the CPU build")
    check_case(case)


def _act(name, *args, shape=(3, 4, 5), tol=None, **kw):
    return Case(f"{name}{'-' + '-'.join(map(str, args)) if args else ''}"
                f"{'-' + '-'.join(f'{k}={v}' for k, v in kw.items()) if kw else ''}",
                lambda lib: getattr(lib.nn, name)(*args, **kw), [r(*shape) * 3],
                tol=tol or dict(TOL))


ACTIVATIONS = [
    _act("ReLU"), _act("ReLU6"), _act("LeakyReLU", 0.2), _act("PReLU"),
    _act("PReLU", num_parameters=4, init=0.1), _act("ELU", alpha=0.7), _act("SELU"),
    _act("CELU", alpha=1.5), _act("GELU"), _act("GELU", approximate="tanh"), _act("SiLU"),
    _act("Mish"), _act("Sigmoid"), _act("Tanh"), _act("Softmax", dim=1), _act("Softmin", dim=-1),
    _act("LogSoftmax", dim=0), _act("Softmax2d", shape=(2, 3, 4, 5)),
    _act("Softplus", beta=2.0, threshold=3.0), _act("Softsign"), _act("Softshrink", 0.7),
    _act("Hardshrink", 0.6), _act("Tanhshrink"), _act("Hardswish"),
    _act("Hardsigmoid", tol={"rtol": 1e-7, "atol": 1e-10}),  # PyTorch: float32 1/6 in grad
    _act("Hardtanh", -1.5, 2.0), _act("LogSigmoid"), _act("GLU", dim=1, shape=(3, 4, 5)),
    _act("Threshold", 0.3, -2.0),
    Case("RReLU-eval", lambda lib: lib.nn.RReLU(0.1, 0.3), [r(3, 4)], train=False),
    Case("Dropout-eval", lambda lib: lib.nn.Dropout(0.3), [r(3, 4)], train=False),
    Case("Dropout2d-eval", lambda lib: lib.nn.Dropout2d(0.3), [r(2, 3, 4, 4)], train=False),
    Case("AlphaDropout-eval", lambda lib: lib.nn.AlphaDropout(0.3), [r(3, 4)], train=False),
    Case("Dropout-p0", lambda lib: lib.nn.Dropout(0.0), [r(3, 4)]),
]


def _ctc(lib, m, x, *args):
    return m(x.log_softmax(2), *args)


def _loss(name, inputs, nograd=(1,), reductions=("none", "mean", "sum"), **kw):
    return [Case(f"{name}-{red}{'-' + '-'.join(f'{k}' for k in kw) if kw else ''}",
                 lambda lib, red=red: getattr(lib.nn, name)(
                     reduction=red, **{k: (lib.tensor(v) if isinstance(v, np.ndarray) else v)
                                       for k, v in kw.items()}),
                 inputs, nograd=nograd, call=_ctc if name == "CTCLoss" else None)
            for red in reductions]


def _probs(*shape):
    e = np.exp(r(*shape))
    return e / e.sum(1, keepdims=True)


LOSSES = [
    *_loss("L1Loss", [r(3, 4), r(3, 4)], nograd=()),
    *_loss("MSELoss", [r(3, 4), r(3, 4)], nograd=()),
    *_loss("CrossEntropyLoss", [r(5, 4), ri(4, 5)]),
    *_loss("CrossEntropyLoss", [r(5, 4, 3, 2), ri(4, 5, 3, 2)], weight=r(4, low=0.5, high=2),
           ignore_index=1),
    *_loss("CrossEntropyLoss", [r(5, 4), ri(4, 5)], label_smoothing=0.2,
           weight=r(4, low=0.5, high=2)),
    *_loss("CrossEntropyLoss", [r(5, 4, 3), _probs(5, 4, 3)], label_smoothing=0.1),
    *_loss("NLLLoss", [r(5, 4), ri(4, 5)], weight=r(4, low=0.5, high=2), ignore_index=2),
    *_loss("NLLLoss", [r(3, 4, 5, 2), ri(4, 3, 5, 2)]),
    *_loss("BCELoss", [r(3, 4, low=0.05, high=0.95), r(3, 4, low=0, high=1)],
           weight=r(4, low=0.5, high=2)),
    *_loss("BCEWithLogitsLoss", [r(3, 4), r(3, 4, low=0, high=1)], pos_weight=r(4, low=0.5,
                                                                                high=3)),
    *_loss("BCEWithLogitsLoss", [r(3, 4), r(3, 4, low=0, high=1)], weight=r(3, 4)),
    *_loss("KLDivLoss", [np.log(_probs(3, 4)), _probs(3, 4)], nograd=()),
    *_loss("KLDivLoss", [np.log(_probs(3, 4)), np.log(_probs(3, 4))], nograd=(),
           reductions=("batchmean", "sum"), log_target=True),
    *_loss("SmoothL1Loss", [r(3, 4), r(3, 4)], nograd=(), beta=0.5),
    *_loss("HuberLoss", [r(3, 4), r(3, 4)], nograd=(), delta=0.7),
    *_loss("SoftMarginLoss", [r(3, 4), np.sign(r(3, 4))]),
    *_loss("MultiLabelSoftMarginLoss", [r(3, 4), ri(2, 3, 4).astype(np.float64)],
           weight=r(4, low=0.5, high=2)),
    *_loss("MultiLabelMarginLoss", [r(3, 4), np.array([[3, 0, -1, 1], [1, 2, 3, -1],
                                                         [-1, 0, 0, 0]])]),
    *_loss("MultiMarginLoss", [r(5, 4), ri(4, 5)], p=2, margin=0.7,
           weight=r(4, low=0.5, high=2)),
    *_loss("MarginRankingLoss", [r(6), r(6), np.sign(r(6))], nograd=(2,), margin=0.3),
    *_loss("HingeEmbeddingLoss", [r(3, 4), np.sign(r(3, 4))], margin=0.5),
    *_loss("CosineEmbeddingLoss", [r(4, 5), r(4, 5), np.sign(r(4))], nograd=(2,), margin=0.2),
    *_loss("TripletMarginLoss", [r(4, 5), r(4, 5), r(4, 5)], nograd=(), margin=0.5, p=1.5,
           swap=True),
    *_loss("TripletMarginWithDistanceLoss", [r(4, 5), r(4, 5), r(4, 5)], nograd=(), margin=0.5,
           swap=True),
    *[Case(f"TripletMarginWithDistanceLoss-callable-{red}",
           lambda lib, red=red: lib.nn.TripletMarginWithDistanceLoss(
               distance_function=lambda a, b: 1 - lib.nn.functional.cosine_similarity(a, b),
               margin=0.3, reduction=red), [r(4, 5), r(4, 5), r(4, 5)])
      for red in ("none", "mean", "sum")],
    *_loss("PoissonNLLLoss", [r(3, 4), r(3, 4, low=0, high=3)], full=True),
    *_loss("PoissonNLLLoss", [r(3, 4, low=0.2, high=2), r(3, 4, low=0, high=3)],
           log_input=False),
    *_loss("GaussianNLLLoss", [r(3, 4), r(3, 4), r(3, 4, low=0.2, high=2)], nograd=(),
           full=True),
    *_loss("GaussianNLLLoss", [r(3, 4), r(3, 4), r(3, 1, low=0.2, high=2)], nograd=(1,),
           eps=1e-3),
    # PyTorch's CTC gradient w.r.t. log_probs is only the true one after a log_softmax (it
    # assumes normalised inputs), so the comparison goes through log_softmax like real use
    *_loss("CTCLoss", [r(7, 2, 5), np.array([[1, 2, 2], [3, 1, 0]]), np.array([7, 6]),
                       np.array([3, 2])], nograd=(1, 2, 3), blank=0),
    *_loss("CTCLoss", [r(6, 2, 4), np.array([1, 0, 1, 1, 2, 2, 2, 0]), np.array([6, 5]),
                       np.array([2, 6])], nograd=(1, 2, 3), zero_infinity=True, blank=3),
]


def _twoarg(lib, m, x, y):
    return m(x, y)


MISC = [
    Case("Upsample-nearest", lambda lib: lib.nn.Upsample(scale_factor=2), [r(2, 3, 4, 5)]),
    Case("Upsample-nearest-exact", lambda lib: lib.nn.Upsample(size=(7, 3), mode="nearest-exact"),
         [r(2, 3, 4, 5)]),
    Case("Upsample-linear-ac", lambda lib: lib.nn.Upsample(scale_factor=2.5, mode="linear",
                                                          align_corners=True), [r(2, 3, 4)]),
    Case("Upsample-bilinear", lambda lib: lib.nn.Upsample(size=(6, 9), mode="bilinear"),
         [r(2, 3, 4, 5)]),
    Case("Upsample-bicubic-ac", lambda lib: lib.nn.Upsample(scale_factor=(1.5, 2),
                                                           mode="bicubic", align_corners=True),
         [r(2, 3, 4, 5)]),
    Case("Upsample-trilinear", lambda lib: lib.nn.Upsample(scale_factor=(2, 1.5, 1),
                                                          mode="trilinear"), [r(1, 2, 3, 4, 2)]),
    Case("UpsamplingNearest2d", lambda lib: lib.nn.UpsamplingNearest2d(scale_factor=3),
         [r(1, 2, 3, 2)]),
    Case("UpsamplingBilinear2d", lambda lib: lib.nn.UpsamplingBilinear2d(size=(5, 7)),
         [r(1, 2, 3, 4)]),
    Case("PixelShuffle", lambda lib: lib.nn.PixelShuffle(2), [r(2, 8, 3, 4)]),
    Case("PixelUnshuffle", lambda lib: lib.nn.PixelUnshuffle(2), [r(2, 2, 4, 6)]),
    Case("ChannelShuffle", lambda lib: lib.nn.ChannelShuffle(3), [r(2, 6, 3, 2)],
         backward=False),
    Case("Fold", lambda lib: lib.nn.Fold((5, 6), (2, 3), dilation=(2, 1), padding=1, stride=(2, 1)),
         [r(2, 12, 18)]),
    Case("Unfold", lambda lib: lib.nn.Unfold((2, 3), dilation=(1, 2), padding=(1, 0), stride=2),
         [r(2, 3, 6, 7)]),
    Case("CosineSimilarity", lambda lib: lib.nn.CosineSimilarity(dim=1, eps=1e-6),
         [r(3, 5, 2), r(3, 5, 2)], call=_twoarg),
    Case("PairwiseDistance", lambda lib: lib.nn.PairwiseDistance(p=3, keepdim=True),
         [r(4, 5), r(4, 5)], call=_twoarg),
    Case("Softmax-module-default", lambda lib: lib.nn.Softmax(dim=-1), [r(2, 3)]),
    *[Case(f"{kind}Pad{nd}d", lambda lib, kind=kind, nd=nd: getattr(lib.nn, f"{kind}Pad{nd}d")(
        tuple(range(1, 2 * nd + 1)) if kind != "Reflection" else (1, 2) * nd),
        [r(2, 3, *[7] * nd)]) for kind in ("Zero", "Reflection", "Replication", "Circular")
      for nd in (1, 2, 3)],
    *[Case(f"ConstantPad{nd}d", lambda lib, nd=nd: getattr(lib.nn, f"ConstantPad{nd}d")(
        2, -1.5), [r(2, 3, *[4] * nd)]) for nd in (1, 2, 3)],
]


@pytest.mark.parametrize("case", ACTIVATIONS + LOSSES + MISC, ids=lambda c: c.name)
def test_pointwise_loss_and_resampling_layers_match_pytorch(case, device):
    if device != "cpu":
        pytest.skip("the PyTorch oracle is the CPU build")
    check_case(case)


def _fn(name, inputs, *args, nograd=(), **kw):
    """A functional call (through an ``Identity`` module, which has no state)."""
    label = "-".join([name, *map(str, args), *(f"{k}={v}" for k, v in kw.items()
                                                if not isinstance(v, np.ndarray))])
    return Case(label, lambda lib: lib.nn.Identity(), inputs, nograd=nograd,
                call=lambda lib, m, *xs: getattr(lib.nn.functional, name)(
                    *xs, *args, **{k: (lib.tensor(v) if isinstance(v, np.ndarray) else v)
                                   for k, v in kw.items()}))


_THETA2 = np.array([[[0.9, -0.2, 0.1], [0.3, 1.1, -0.2]], [[1.2, 0.1, 0.0], [-0.1, 0.8, 0.3]]])
_THETA3 = np.concatenate([np.eye(3, 4)[None] + 0.1 * r(1, 3, 4), np.eye(3, 4)[None]])

FUNCTIONAL = [
    _fn("interpolate", [r(2, 3, 5)], size=8, mode="linear"),
    _fn("interpolate", [r(2, 3, 5, 6)], scale_factor=0.5, mode="area"),
    _fn("interpolate", [r(2, 3, 7, 9)], size=(4, 5), mode="area"),
    _fn("interpolate", [r(2, 3, 9, 8)], size=(4, 3), mode="bilinear", antialias=True),
    _fn("interpolate", [r(2, 3, 9, 8)], scale_factor=0.4, mode="bicubic", antialias=True),
    _fn("interpolate", [r(2, 3, 4, 5)], scale_factor=1.7, mode="bicubic",
        recompute_scale_factor=True),
    _fn("interpolate", [r(1, 2, 3, 4, 5)], size=(5, 3, 7), mode="trilinear", align_corners=True),
    _fn("interpolate", [r(1, 2, 3, 4, 5)], scale_factor=(2, 1.5, 0.6), mode="nearest"),
    _fn("interpolate", [r(1, 2, 5)], scale_factor=1.6, mode="nearest-exact"),
    *[_fn("grid_sample", [r(2, 3, 5, 6), r(2, 4, 7, 2) * 0.7], mode=mode, padding_mode=pad,
          align_corners=ac) for mode in ("bilinear", "nearest", "bicubic")
      for pad in ("zeros", "border", "reflection") for ac in (False, True)
      if mode != "nearest" or pad == "zeros"],
    _fn("grid_sample", [r(1, 2, 3, 4, 5), r(1, 2, 3, 4, 3) * 1.1], mode="bilinear",
        padding_mode="reflection", align_corners=False),
    _fn("affine_grid", [_THETA2], [2, 3, 4, 5], align_corners=False),
    _fn("affine_grid", [_THETA2], [2, 1, 3, 2], align_corners=True),
    _fn("affine_grid", [_THETA3], [2, 1, 2, 3, 4], align_corners=False),
    *[_fn("pad", [r(2, 3, 5, 6)], (1, 2, 2, 0), mode=mode)
      for mode in ("constant", "reflect", "replicate", "circular")],
    _fn("pad", [r(2, 3, 5)], (2, -1), value=0.5),
    _fn("scaled_dot_product_attention", [r(2, 3, 5, 4), r(2, 3, 6, 4), r(2, 3, 6, 2)],
        attn_mask=np.tril(np.ones((5, 6), dtype=bool))),
    _fn("scaled_dot_product_attention", [r(2, 4, 5, 4), r(2, 2, 5, 4), r(2, 2, 5, 3)],
        is_causal=True, scale=0.3, enable_gqa=True),
    _fn("scaled_dot_product_attention", [r(2, 5, 4), r(2, 6, 4), r(2, 6, 3)],
        attn_mask=r(5, 6)),
    _fn("normalize", [r(3, 4)], p=3.0, dim=0),
    _fn("pdist", [r(5, 3)], p=1.5),
    _fn("cosine_similarity", [r(3, 4), r(1, 4)]),
    _fn("one_hot", [np.array([0, 3, 1])], 5),
    _fn("embedding", [np.array([[0, 2], [3, 2]]), r(4, 3)], padding_idx=2),
    _fn("unfold", [r(2, 3, 5, 6)], (2, 2), stride=2, padding=1),
    _fn("fold", [r(2, 12, 4)], (4, 4), (2, 3), stride=(1, 1), dilation=(2, 1)),
    _fn("local_response_norm", [r(2, 6, 3)], 4, alpha=0.2),
    _fn("gelu", [r(3, 4)], approximate="tanh"),
    _fn("softplus", [r(3, 4) * 10], beta=0.5, threshold=5),
    _fn("log_softmax", [r(3, 4)], dim=0),
    _fn("glu", [r(4, 6)]),
    _fn("max_pool2d", [r(2, 3, 7, 6)], 3, stride=2, padding=1, dilation=(1, 2), ceil_mode=True,
        return_indices=True),
    _fn("adaptive_max_pool2d", [r(2, 3, 7, 6)], (4, 5), return_indices=True),
    _fn("lp_pool3d", [r(1, 2, 4, 4, 4, low=0.5, high=2)], 2.0, 2),
    _fn("conv_transpose2d", [r(2, 4, 3, 4), r(4, 3, 3, 2)], stride=2, padding=1,
        output_padding=1, groups=2, dilation=(1, 2)),
    _fn("conv1d", [r(2, 4, 9), r(6, 2, 3), r(6)], stride=1, padding="same", dilation=2, groups=2),
    _fn("bilinear", [r(3, 4), r(3, 5), r(2, 4, 5)]),
]


@pytest.mark.parametrize("case", FUNCTIONAL, ids=lambda c: c.name)
def test_functional_matches_pytorch(case, device):
    if device != "cpu":
        pytest.skip("the PyTorch oracle is the CPU build")
    check_case(case)


# (name, call, whether the messages must be identical; else only the exception type)
ERRORS = [
    ("Linear features", lambda lib: lib.nn.Linear(5, 3)(lib.randn(2, 4))),
    ("Conv2d rank", lambda lib: lib.nn.Conv2d(3, 4, 3)(lib.randn(3, 5))),
    ("Conv2d channels", lambda lib: lib.nn.Conv2d(3, 4, 3)(lib.randn(1, 2, 5, 5))),
    ("Conv2d too small", lambda lib: lib.nn.Conv2d(3, 4, 3)(lib.randn(1, 3, 2, 2))),
    ("Conv groups", lambda lib: lib.nn.Conv2d(3, 4, 3, groups=2)),
    ("Conv same stride", lambda lib: lib.nn.Conv2d(3, 4, 3, padding="same", stride=2)),
    ("Conv padding string", lambda lib: lib.nn.Conv2d(3, 4, 3, padding="foo"), False),
    ("Conv padding_mode", lambda lib: lib.nn.Conv2d(3, 4, 3, padding_mode="foo"), False),
    ("BatchNorm channels", lambda lib: lib.nn.BatchNorm1d(3)(lib.randn(4, 5))),
    ("BatchNorm one value", lambda lib: lib.nn.BatchNorm1d(3)(lib.randn(1, 3))),
    ("BatchNorm2d rank", lambda lib: lib.nn.BatchNorm2d(3)(lib.randn(3, 4, 4))),
    ("LayerNorm shape", lambda lib: lib.nn.LayerNorm(4)(lib.randn(3, 5))),
    ("GroupNorm divisibility", lambda lib: lib.nn.GroupNorm(3, 4)),
    ("GroupNorm channels", lambda lib: lib.nn.GroupNorm(2, 4)(lib.randn(2, 6, 3))),
    ("Embedding index", lambda lib: lib.nn.Embedding(5, 3)(lib.tensor([5]))),
    ("Embedding float", lambda lib: lib.nn.Embedding(5, 3)(lib.tensor([1.0]))),
    ("MaxPool padding", lambda lib: lib.nn.MaxPool2d(2, padding=2)(lib.randn(1, 1, 4, 4))),
    ("MaxPool rank", lambda lib: lib.nn.MaxPool2d(2)(lib.randn(4, 4)), False),
    ("LSTM input size", lambda lib: lib.nn.LSTM(4, 3)(lib.randn(5, 2, 3))),
    ("GRU h0 shape", lambda lib: lib.nn.GRU(4, 3)(lib.randn(5, 2, 4), lib.randn(2, 2, 3))),
    ("RNN rank", lambda lib: lib.nn.RNN(4, 3)(lib.randn(2, 3, 5, 4))),
    ("MHA divisibility", lambda lib: lib.nn.MultiheadAttention(7, 2)),
    ("MHA embed_dim", lambda lib: lib.nn.MultiheadAttention(8, 2)(
        lib.randn(3, 2, 6), lib.randn(3, 2, 6), lib.randn(3, 2, 6))),
    ("CE target bound", lambda lib: lib.nn.CrossEntropyLoss()(lib.randn(3, 4),
                                                              lib.tensor([0, 1, 4]))),
    ("CE batch", lambda lib: lib.nn.CrossEntropyLoss()(lib.randn(3, 4), lib.tensor([0, 1]))),
    ("NLL target batch", lambda lib: lib.nn.NLLLoss()(lib.randn(3, 4), lib.tensor([[0, 1, 2]]))),
    ("BCE size", lambda lib: lib.nn.BCELoss()(lib.rand(3, 4), lib.rand(3, 5))),
    ("BCE range", lambda lib: lib.nn.BCELoss()(lib.rand(3) + 1, lib.rand(3))),
    ("reduction", lambda lib: lib.nn.L1Loss(reduction="foo")(lib.randn(2), lib.randn(2))),
    ("interpolate mode", lambda lib: lib.nn.functional.interpolate(lib.randn(1, 1, 4), size=3,
                                                                   mode="bilinear")),
    ("interpolate both", lambda lib: lib.nn.functional.interpolate(lib.randn(1, 1, 4), size=3,
                                                                   scale_factor=2)),
    ("interpolate none", lambda lib: lib.nn.functional.interpolate(lib.randn(1, 1, 4))),
    ("interpolate align", lambda lib: lib.nn.functional.interpolate(lib.randn(1, 1, 4), size=3,
                                                                    align_corners=True)),
    ("pad reflect", lambda lib: lib.nn.functional.pad(lib.randn(1, 1, 3), (3, 3),
                                                      mode="reflect")),
    ("pad odd", lambda lib: lib.nn.functional.pad(lib.randn(1, 1, 3), (3,))),
    ("PixelShuffle", lambda lib: lib.nn.PixelShuffle(2)(lib.randn(1, 3, 2, 2))),
    ("Fold blocks", lambda lib: lib.nn.Fold((4, 4), 2)(lib.randn(1, 4, 5))),
    ("Dropout p", lambda lib: lib.nn.Dropout(1.5)),
    ("Softmax dim", lambda lib: lib.nn.Softmax(dim=3)(lib.randn(2, 3))),
    ("Bilinear", lambda lib: lib.nn.Bilinear(3, 4, 2)(lib.randn(2, 3), lib.randn(2, 5))),
    ("state_dict shape", lambda lib: lib.nn.Linear(3, 2).load_state_dict(
        {"weight": lib.zeros(2, 4), "bias": lib.zeros(2)})),
    ("state_dict missing", lambda lib: lib.nn.Linear(3, 2).load_state_dict(
        {"weight": lib.zeros(2, 3)})),
    ("state_dict unexpected", lambda lib: lib.nn.Linear(3, 2).load_state_dict(
        {"weight": lib.zeros(2, 3), "bias": lib.zeros(2), "foo": lib.zeros(1)})),
    ("Transformer d_model", lambda lib: lib.nn.TransformerEncoderLayer(8, 2)(lib.randn(3, 2, 6))),
    ("CTC lengths", lambda lib: lib.nn.CTCLoss()(
        lib.randn(5, 2, 4).log_softmax(2), lib.tensor([[1, 2], [1, 1]]), lib.tensor([5, 5]),
        lib.tensor([2]))),
    ("adaptive negative", lambda lib: lib.nn.AdaptiveAvgPool2d(-1)(lib.randn(1, 1, 4, 4)), False),
    ("MaxUnpool output_size", lambda lib: lib.nn.MaxUnpool2d(2)(
        lib.randn(1, 1, 2, 2), lib.zeros(1, 1, 2, 2, dtype=lib.int64), output_size=(9, 9))),
    ("get_submodule", lambda lib: lib.nn.Sequential(lib.nn.Linear(2, 2)).get_submodule("1")),
    ("Sequential index", lambda lib: lib.nn.Sequential(lib.nn.Linear(2, 2))[3]),
    ("Parameter assignment", lambda lib: setattr(lib.nn.Linear(2, 2), "weight", lib.zeros(2, 2))),
]


@pytest.mark.parametrize("case", ERRORS, ids=lambda c: c[0])
def test_bad_inputs_raise_like_pytorch(case):
    name, fn, *exact = case
    got = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for lib in (ember, torch):
            with pytest.raises(Exception) as info:  # noqa: PT011 (compared below)
                fn(lib)
            got.append((type(info.value).__name__, str(info.value).replace("ember.", "torch.")))
    if exact and not exact[0]:
        assert got[0][0] == got[1][0], f"{name}: {got[0]} vs {got[1]}"
    else:
        assert got[0] == got[1]


INIT = [
    lambda lib: lib.nn.Linear(300, 200), lambda lib: lib.nn.Conv2d(32, 64, 3),
    lambda lib: lib.nn.ConvTranspose2d(32, 64, 3, groups=2), lambda lib: lib.nn.Conv1d(16, 32, 5),
    lambda lib: lib.nn.Conv3d(8, 16, 3), lambda lib: lib.nn.Embedding(1000, 64),
    lambda lib: lib.nn.EmbeddingBag(500, 32), lambda lib: lib.nn.LSTM(128, 128, proj_size=64),
    lambda lib: lib.nn.GRU(64, 96), lambda lib: lib.nn.RNNCell(64, 64),
    lambda lib: lib.nn.MultiheadAttention(128, 4, kdim=64, vdim=32),
    lambda lib: lib.nn.Bilinear(40, 50, 60),
    lambda lib: lib.nn.TransformerEncoderLayer(128, 4, 256),
]


@pytest.mark.parametrize("make", INIT, ids=lambda f: type(f(ember)).__name__)
def test_default_initialisation_has_pytorchs_distribution(make):
    # the generators differ, so the comparison is statistical, on tensors of >= 1000 entries
    # (fixed seeds: the outcome is deterministic)
    ember.manual_seed(0)
    torch.manual_seed(0)
    em, tm = make(ember), make(torch)
    for (name, p), (_, q) in zip(em.named_parameters(), tm.named_parameters(), strict=True):
        a, b = _np(p).ravel(), _np(q).ravel()
        if b.size < 1000:
            continue
        assert abs(a.std() - b.std()) <= 0.05 * b.std(), name
        assert abs(a.mean() - b.mean()) <= 0.05 * b.std(), name
        # the same law: two-sample Kolmogorov-Smirnov statistic below its 0.1 % critical value
        # (a comparison of maxima was too loose for bounded laws and too tight for normal ones)
        grid = np.concatenate([a, b])
        cdf_a = np.searchsorted(np.sort(a), grid, side="right") / a.size
        cdf_b = np.searchsorted(np.sort(b), grid, side="right") / b.size
        assert np.abs(cdf_a - cdf_b).max() <= 1.95 * np.sqrt(1 / a.size + 1 / b.size), name
