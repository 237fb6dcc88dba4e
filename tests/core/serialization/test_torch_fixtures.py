"""Reading files written by real PyTorch 2.13 (fixtures/make_fixtures.py wrote them).

Expected values are recomputed with numpy from the recipe in make_fixtures.py.
"""

from __future__ import annotations

import argparse
import collections
import os
import pickle

import numpy as np
import pytest

import ember

FIX = os.path.join(os.path.dirname(__file__), "fixtures")


def load(name, **kw):
    return ember.load(os.path.join(FIX, name), **kw)


@pytest.mark.parametrize(("name", "mmap"), [("module_sd.pt", False), ("module_sd.pt", True),
                                            ("module_sd_legacy.pt", False)])
def test_module_state_dict(name, mmap):
    sd = load(name, mmap=mmap)
    assert type(sd) is collections.OrderedDict
    assert list(sd) == ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                        "1.running_var", "1.num_batches_tracked"]
    np.testing.assert_allclose(sd["0.weight"].numpy(),
                               (np.arange(6.0) / 10).reshape(2, 3).astype(np.float32))
    assert sd["0.bias"].tolist() == [-1.0, 1.0]
    assert sd["1.running_mean"].tolist() == [0.5, -0.5]
    assert sd["1.running_var"].tolist() == [1.0, 1.0]
    nbt = sd["1.num_batches_tracked"]
    assert nbt.dtype == ember.int64 and nbt.shape == () and nbt.item() == 7
    assert sd._metadata[""] == {"version": 1}
    assert sd._metadata["1"] == {"version": 2}
    model = ember.nn.Sequential(ember.nn.Linear(3, 2), ember.nn.BatchNorm1d(2))
    model.load_state_dict(sd)
    np.testing.assert_allclose(model[0].bias.detach().numpy(), [-1.0, 1.0])


@pytest.mark.parametrize("name", ["dtypes.pt", "dtypes_legacy.pt"])
def test_every_dtype(name):
    with pytest.warns(UserWarning, match="BFloat16Storage widened to ember.float32"):
        d = load(name)
    for dt in ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8"):
        assert d[dt].dtype == getattr(ember, dt), dt
        np.testing.assert_array_equal(d[dt].numpy(), np.arange(4).astype(dt))
    assert d["bfloat16"].dtype == ember.float32  # widened exactly
    np.testing.assert_array_equal(d["bfloat16"].numpy(), [0.0, 1.0, 2.0, 3.0])
    assert d["bool"].tolist() == [False, True, False, True]
    for dt in ("complex64", "complex128"):
        assert d[dt].dtype == getattr(ember, dt)
        np.testing.assert_array_equal(d[dt].numpy(), np.arange(4) * (1 + 1j))


@pytest.mark.parametrize("name", ["views.pt", "views_legacy.pt"])
def test_views_share_storage(name):
    v = load(name)
    base = np.arange(12.0)
    np.testing.assert_array_equal(v["base"].numpy(), base)
    np.testing.assert_array_equal(v["slice"].numpy(), base[3:7])
    np.testing.assert_array_equal(v["matrix_t"].numpy(), base.reshape(3, 4).T)
    np.testing.assert_array_equal(v["strided"].numpy(), base[1::3])
    assert v["scalar"].shape == () and v["scalar"].item() == 5.0
    v["base"].zero_()
    assert v["slice"].tolist() == [0.0] * 4 and v["scalar"].item() == 0.0


def test_optimizer_checkpoint():
    ck = load("optimizer.pt")
    # Adam, lr 0.1, betas (0.9, 0.99), grad g = [1, 2], one step from w = 1
    g = np.array([1.0, 2.0])
    m, v = 0.1 * g, 0.01 * g**2
    w = 1 - 0.1 * (m / 0.1) / (np.sqrt(v / 0.01) + 1e-8)
    np.testing.assert_allclose(ck["model"]["w"].numpy(), w, rtol=1e-6)
    st = ck["optimizer"]["state"][0]
    assert st["step"].item() == 1.0
    np.testing.assert_allclose(st["exp_avg"].numpy(), m, rtol=1e-6)
    np.testing.assert_allclose(st["exp_avg_sq"].numpy(), v, rtol=1e-6)
    group = ck["optimizer"]["param_groups"][0]
    assert group["lr"] == 0.1 and group["betas"] == (0.9, 0.99) and group["params"] == [0]
    assert ck["epoch"] == 3


def test_misc_globals_in_the_allow_list():
    d = load("misc.pt")
    assert d["numpy_scalar"] == 2.5 and d["numpy_scalar"].dtype == np.float64
    np.testing.assert_array_equal(d["numpy_array"], np.arange(3, dtype=np.int32))
    assert d["args"] == argparse.Namespace(lr=0.01, name="run")
    assert d["size"] == ember.Size([2, 3]) and isinstance(d["size"], ember.Size)
    assert d["device"] == ember.device("cpu")
    assert d["dtype"] is ember.float16
    assert d["set"] == {1, 2} and d["bytes"] == b"\x00\xff" and d["tuple"] == (1, "a", None)
    assert d["inf"] == float("inf") and d["big"] == 2**70
    assert type(d["param"]) is ember.nn.Parameter and d["param"].requires_grad
    assert d["param"].tolist() == [1.0, -1.0]


def test_big_endian_records_are_swapped():
    assert load("big_endian.pt")["x"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert load("big_endian.pt", mmap=True)["x"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_load_checkpoint_reads_torch_files():
    sd = ember.load_checkpoint(os.path.join(FIX, "module_sd_legacy.pt"))
    assert sd["1.num_batches_tracked"].item() == 7


def test_lazy_conj_neg_bits_and_attributes():
    d = load("lazy_bits.pt")
    np.testing.assert_array_equal(d["conj"].numpy(), np.conj([1j, 2 + 1j]))
    assert d["neg"].tolist() == [-1.0, 2.0]
    assert d["attr"].tolist() == [1.0, 2.0] and d["attr"].note == "hello"


def test_rebuild_tensor_v3_and_unsupported_dtypes():
    # uint16.pt's bytes reinterpreted as int16 (make_fixtures renamed the dtype global)
    assert load("v3_int16.pt")["u"].tolist() == [1, 2, 3]
    assert load("v3_int16.pt")["u"].dtype == ember.int16
    with pytest.raises(pickle.UnpicklingError, match="torch.uint16, a dtype ember does not"):
        load("uint16.pt")
