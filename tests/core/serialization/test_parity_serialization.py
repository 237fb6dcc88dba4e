"""PyTorch reads ember's checkpoints and ember reads PyTorch's (parity session only)."""

from __future__ import annotations

import collections
import os

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch") if os.environ.get("EMBER_PARITY") else None

pytestmark = [pytest.mark.parity,
              pytest.mark.skipif(torch is None,
                                 reason="parity tests run in the parity session (EMBER_PARITY=1 "
                                        "with PyTorch installed)")]

DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool",
          "complex64", "complex128"]


def _ember_checkpoint():
    base = ember.arange(12.0)
    sd = collections.OrderedDict((d, ember.from_numpy((np.arange(6) % 3).astype(d)))
                                 for d in DTYPES)
    sd._metadata = collections.OrderedDict({"": {"version": 1}})
    return {"sd": sd, "base": base, "view": base[2:8].view(2, 3).t(), "step": 4,
            "param": ember.nn.Parameter(ember.ones(2)), "size": ember.Size([1, 2]),
            "dtype": ember.float16, "nested": [(1, 2.5), {"k": None}]}


@pytest.mark.parametrize("mmap", [False, True])
@pytest.mark.parametrize("legacy", [False, True])
def test_torch_reads_ember_files(tmp_path, mmap, legacy):
    if mmap and legacy:
        return  # torch maps zip files only
    p = tmp_path / "e.pt"
    ember.save(_ember_checkpoint(), p, _use_new_zipfile_serialization=not legacy)
    out = torch.load(p, weights_only=True, mmap=mmap)
    for d in DTYPES:
        t = out["sd"][d]
        assert t.dtype == getattr(torch, d)
        np.testing.assert_array_equal(t.numpy(), (np.arange(6) % 3).astype(d))
    assert out["sd"]._metadata == {"": {"version": 1}}
    assert out["view"].untyped_storage().data_ptr() == out["base"].untyped_storage().data_ptr()
    np.testing.assert_array_equal(out["view"].numpy(), np.arange(2.0, 8.0).reshape(2, 3).T)
    assert isinstance(out["param"], torch.nn.Parameter) and out["param"].requires_grad
    assert out["size"] == torch.Size([1, 2]) and out["dtype"] is torch.float16
    assert out["nested"] == [(1, 2.5), {"k": None}] and out["step"] == 4


@pytest.mark.parametrize("legacy", [False, True])
def test_ember_reads_torch_files(tmp_path, legacy):
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.randn(2, 3, 8, 8)).sum().backward()
    opt.step()
    p = tmp_path / "t.pt"
    torch.save({"model": model.state_dict(), "opt": opt.state_dict()}, p,
               _use_new_zipfile_serialization=not legacy)
    out = ember.load(p)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(out["model"][k].numpy(), v.numpy())
    mine = ember.nn.Sequential(ember.nn.Conv2d(3, 4, 3), ember.nn.BatchNorm2d(4))
    mine.load_state_dict(out["model"])
    x = np.random.default_rng(0).standard_normal((2, 3, 8, 8)).astype(np.float32)
    model.eval()
    mine.eval()
    np.testing.assert_allclose(mine(ember.from_numpy(x)).detach().numpy(),
                               model(torch.from_numpy(x)).detach().numpy(), rtol=1e-5,
                               atol=1e-5)
    buf = opt.state_dict()["state"][0]["momentum_buffer"].numpy()
    np.testing.assert_array_equal(out["opt"]["state"][0]["momentum_buffer"].numpy(), buf)


def test_torch_reads_zip64_records(monkeypatch, tmp_path):
    from ember.serialization import _zip_writer
    monkeypatch.setattr(_zip_writer, "ZIP64_THRESHOLD", 16)
    x = ember.arange(100.0)
    ember.save({"x": x, "v": x[5:9]}, tmp_path / "z.pt")
    for mmap in (False, True):
        out = torch.load(tmp_path / "z.pt", weights_only=True, mmap=mmap)
        assert out["v"].tolist() == [5.0, 6.0, 7.0, 8.0] and out["x"].sum().item() == 4950.0
