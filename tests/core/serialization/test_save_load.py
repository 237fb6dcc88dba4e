"""ember.save / ember.load round trips, the zip layout, map_location, mmap and file handling."""

from __future__ import annotations

import argparse
import collections
import io
import math
import os
import pickle
import struct
import zipfile

import numpy as np
import pytest

import ember
from ember.serialization import CorruptCheckpointError

DTYPES = [ember.float16, ember.float32, ember.float64, ember.int8, ember.int16, ember.int32,
          ember.int64, ember.uint8, ember.bool, ember.complex64, ember.complex128]


def roundtrip(obj, legacy=False, **load_kw):
    buf = io.BytesIO()
    ember.save(obj, buf, _use_new_zipfile_serialization=not legacy)
    buf.seek(0)
    return ember.load(buf, **load_kw)


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
@pytest.mark.parametrize("dt", DTYPES, ids=lambda d: d.name)
def test_roundtrip_every_dtype(dt, legacy):
    ref = (np.arange(12).reshape(3, 4) % 3).astype(dt.np)
    out = roundtrip({"t": ember.from_numpy(ref.copy())}, legacy)["t"]
    assert out.dtype == dt
    assert out.shape == (3, 4)
    np.testing.assert_array_equal(out.numpy(), ref)


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_roundtrip_python_objects(legacy):
    od = collections.OrderedDict(a=1)
    od._metadata = collections.OrderedDict({"": {"version": 2}})
    obj = {"int": -(2**70), "float": 1.5, "nan": math.nan, "str": "é", "none": None,
           "bool": True, "list": [1, [2, (3,)]], "tuple": (1.0, "x"), "bytes": b"\x00\x01",
           "set": {1, 2}, "complex": 1 + 2j, "od": od, "ns": argparse.Namespace(lr=0.1),
           "np_scalar": np.float32(2.5), "np_array": np.arange(3), "size": ember.Size([2, 3]),
           "dtype": ember.float64, "device": ember.device("cpu"),
           "empty": ember.zeros(0, 3), "scalar": ember.tensor(7)}
    out = roundtrip(obj, legacy)
    for k in ("int", "float", "str", "none", "bool", "list", "tuple", "bytes", "set", "complex"):
        assert out[k] == obj[k] and type(out[k]) is type(obj[k]), k
    assert math.isnan(out["nan"])
    assert type(out["od"]) is collections.OrderedDict and out["od"]._metadata == od._metadata
    assert out["ns"] == argparse.Namespace(lr=0.1)
    assert out["np_scalar"] == np.float32(2.5) and out["np_scalar"].dtype == np.float32
    np.testing.assert_array_equal(out["np_array"], [0, 1, 2])
    assert out["size"] == (2, 3) and type(out["size"]) is ember.Size
    assert out["dtype"] is ember.float64
    assert out["device"] == ember.device("cpu")
    assert out["empty"].shape == (0, 3)
    assert out["scalar"].shape == () and out["scalar"].item() == 7


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_views_stay_shared(legacy):
    base = ember.arange(12.0)
    obj = {"base": base, "slice": base[3:7], "t": base.view(3, 4).t(), "step": base[1::3],
           "el": base[5]}
    out = roundtrip(obj, legacy)
    np.testing.assert_array_equal(out["slice"].numpy(), [3, 4, 5, 6])
    np.testing.assert_array_equal(out["t"].numpy(), np.arange(12.0).reshape(3, 4).T)
    np.testing.assert_array_equal(out["step"].numpy(), [1, 4, 7, 10])
    assert out["slice"].storage_offset() == 3 and out["t"].stride() == (1, 4)
    out["slice"].mul_(-1)  # writes through to the base and the other views
    np.testing.assert_array_equal(out["base"].numpy()[3:7], [-3, -4, -5, -6])
    assert out["el"].item() == -5.0 and out["t"][1, 1].item() == -5.0


def test_one_storage_record_for_views():
    base = ember.arange(10.0)
    buf = io.BytesIO()
    ember.save([base, base[2:], base[::2]], buf)
    names = zipfile.ZipFile(buf).namelist()
    assert [n for n in names if "/data/" in n] == ["archive/data/0"]


def test_noncontiguous_base_and_negative_strides_are_copied():
    a = np.arange(12.0, dtype=np.float32).reshape(3, 4)
    t = ember.from_numpy(a.T)  # a non-contiguous tensor without a base
    out = roundtrip([t, ember.from_numpy(a[:, ::-1])])
    np.testing.assert_array_equal(out[0].numpy(), a.T)
    np.testing.assert_array_equal(out[1].numpy(), a[:, ::-1])


def test_parameter_and_requires_grad():
    p = ember.nn.Parameter(ember.tensor([1.0, 2.0]))
    frozen = ember.nn.Parameter(ember.tensor([3.0]), requires_grad=False)
    leaf = ember.tensor([4.0], requires_grad=True)
    out = roundtrip([p, frozen, leaf])
    assert type(out[0]) is ember.nn.Parameter and out[0].requires_grad
    assert type(out[1]) is ember.nn.Parameter and not out[1].requires_grad
    assert type(out[2]) is ember.Tensor and out[2].requires_grad and out[2].is_leaf
    np.testing.assert_array_equal(out[0].detach().numpy(), [1.0, 2.0])


def test_module_and_optimizer_state_dicts():
    model = ember.nn.Sequential(ember.nn.Linear(3, 2), ember.nn.BatchNorm1d(2))
    opt = ember.optim.Adam(model.parameters(), lr=0.1)
    model(ember.ones(4, 3)).sum().backward()
    opt.step()
    ckpt = {"model": model.state_dict(), "opt": opt.state_dict(), "epoch": 1}
    out = roundtrip(ckpt)
    assert list(out["model"]) == list(ckpt["model"])
    assert out["model"]._metadata == ckpt["model"]._metadata
    for k, v in ckpt["model"].items():
        np.testing.assert_array_equal(out["model"][k].numpy(), v.numpy())
    model2 = ember.nn.Sequential(ember.nn.Linear(3, 2), ember.nn.BatchNorm1d(2))
    model2.load_state_dict(out["model"])
    opt2 = ember.optim.Adam(model2.parameters(), lr=0.1)
    opt2.load_state_dict(out["opt"])
    st = out["opt"]["state"][0]
    np.testing.assert_array_equal(st["exp_avg"].numpy(), opt.state_dict()["state"][0]["exp_avg"]
                                  .numpy())
    assert out["opt"]["param_groups"][0]["lr"] == 0.1


def test_zip_layout_matches_pytorch_format(tmp_path):
    p = tmp_path / "model.pt"
    ember.save({"w": ember.ones(3), "i": ember.tensor([1, 2])}, p)
    with zipfile.ZipFile(p) as z:
        names = z.namelist()
        assert names[0] == "model/data.pkl"
        assert z.read("model/version") == b"3\n"
        assert z.read("model/byteorder") == b"little"
        assert z.read("model/.format_version") == b"1"
        assert z.read("model/.storage_alignment") == b"64"
        assert len(z.read("model/.data/serialization_id")) == 40
        raw = p.read_bytes()
        for info in z.infolist():
            assert info.compress_type == zipfile.ZIP_STORED
            assert z.testzip() is None  # CRCs are right
            if "/data/" in info.filename:
                nlen, elen = struct.unpack("<HH", raw[info.header_offset + 26:
                                                      info.header_offset + 30])
                start = info.header_offset + 30 + nlen + elen
                assert start % 64 == 0
        assert np.frombuffer(z.read("model/data/0"), "<f4").tolist() == [1.0, 1.0, 1.0]
        assert np.frombuffer(z.read("model/data/1"), "<i8").tolist() == [1, 2]
        pkl = z.read("model/data.pkl")
    assert pkl[:2] == b"\x80\x02"  # protocol 2
    assert b"ctorch._utils\n_rebuild_tensor_v2\n" in pkl
    assert b"ctorch\nFloatStorage\n" in pkl and b"ctorch\nLongStorage\n" in pkl


def test_file_object_archive_name_and_position():
    buf = io.BytesIO(b"xx")
    buf.seek(2)
    ember.save([1], buf)
    buf.seek(2)
    assert ember.load(buf) == [1]
    assert zipfile.ZipFile(io.BytesIO(buf.getvalue()[2:])).namelist()[0] == "archive/data.pkl"


def test_save_load_paths(tmp_path):
    p = tmp_path / "x.pt"
    ember.save({"a": ember.ones(2)}, str(p))
    assert ember.load(p)["a"].tolist() == [1.0, 1.0]
    assert [f for f in os.listdir(tmp_path)] == ["x.pt"]  # no temporary left behind


def test_map_location_variants(tmp_path):
    p = tmp_path / "x.pt"
    ember.save({"a": ember.ones(2)}, p)
    for loc in ("cpu", ember.device("cpu"), {"cpu": "cpu"}):
        assert ember.load(p, map_location=loc)["a"].device == ember.device("cpu")
    seen = []

    def fn(storage, location):
        seen.append((storage.shape, location))
        return storage * 2

    assert ember.load(p, map_location=fn)["a"].tolist() == [2.0, 2.0]
    assert seen == [((2,), "cpu")]
    assert ember.load(p, map_location=lambda s, loc: None)["a"].tolist() == [1.0, 1.0]
    with pytest.raises(TypeError, match="map_location must be"):
        ember.load(p, map_location=3)
    with pytest.raises(TypeError, match="must return a tensor"):
        ember.load(p, map_location=lambda s, loc: 1)


@pytest.mark.skipif(ember.cuda.is_available(), reason="checks the CPU-only error")
def test_cuda_location_without_gpu():
    here = os.path.join(os.path.dirname(__file__), "fixtures", "cuda_location.pt")
    with pytest.raises(RuntimeError, match="CUDA device but ember.cuda.is_available"):
        ember.load(here)
    assert ember.load(here, map_location="cpu")["x"].tolist() == [1.0, 1.0]
    assert ember.load(here, map_location={"cuda:0": "cpu"})["x"].tolist() == [1.0, 1.0]


def test_mmap_maps_copy_on_write(tmp_path):
    p = tmp_path / "m.pt"
    x = ember.arange(1000.0)
    ember.save({"x": x, "v": x[10:20]}, p)
    out = ember.load(p, mmap=True)
    arr = out["x"].numpy()
    assert not arr.flags.owndata  # a view of the mapping, not a copy
    np.testing.assert_array_equal(arr, np.arange(1000.0))
    out["v"].fill_(-1)  # writable, shared with its base, never written back to the file
    assert out["x"][10].item() == -1.0
    assert ember.load(p)["x"][10].item() == 10.0
    with open(p, "rb") as f:
        assert ember.load(f, mmap=True)["v"].tolist() == list(range(10, 20))


def test_mmap_needs_a_real_zip_file(tmp_path):
    buf = io.BytesIO()
    ember.save([ember.ones(1)], buf)
    buf.seek(0)
    with pytest.raises(TypeError, match="mmap=True needs"):
        ember.load(buf, mmap=True)
    p = tmp_path / "l.pt"
    ember.save([ember.ones(1)], p, _use_new_zipfile_serialization=False)
    with pytest.raises(RuntimeError, match="mmap=True can only be used with zip"):
        ember.load(p, mmap=True)


def test_argument_errors(tmp_path):
    with pytest.raises(TypeError, match="only the standard pickle module"):
        ember.save(1, io.BytesIO(), pickle_module=object())
    with pytest.raises(TypeError, match="path or a writable binary file"):
        ember.save(1, 42)
    with pytest.raises(RuntimeError, match="Can not safely load weights"):
        ember.load(io.BytesIO(b"x"), pickle_module=pickle)
    with pytest.raises(TypeError, match="unexpected keyword"):
        ember.load(io.BytesIO(b"x"), bogus=1)
    with pytest.raises(TypeError, match="path or a binary file object"):
        ember.load(42)
    with pytest.raises(FileNotFoundError):
        ember.load(tmp_path / "missing.pt")


def test_non_seekable_file_is_refused():
    class Pipe(io.RawIOBase):
        def readable(self):
            return True

        def seekable(self):
            return False

    with pytest.raises(RuntimeError, match="not seekable.*io.BytesIO"):
        ember.load(Pipe())


def test_empty_file(tmp_path):
    p = tmp_path / "e.pt"
    p.write_bytes(b"")
    with pytest.raises(CorruptCheckpointError, match="e.pt.*empty"):
        ember.load(p)


def test_safetensors_file_hint(tmp_path):
    p = tmp_path / "w.safetensors"
    ember.utils.safetensors.save_file({"a": ember.ones(1)}, p)
    with pytest.raises(CorruptCheckpointError, match="safetensors file"):
        ember.load(p)


def test_non_tensor_storage_dtype_reinterpreted_view_is_saved():
    x = ember.arange(4, dtype=ember.int32)
    v = x.view(ember.float32)
    out = roundtrip([x, v])
    np.testing.assert_array_equal(out[1].numpy().view(np.int32), [0, 1, 2, 3])


def test_zip64_records(monkeypatch, tmp_path):
    # NOTE: a > 4 GiB file is too big for a test; lowering the threshold exercises the same
    # ZIP64 records (local and central extra fields, ZIP64 end records) on a small file.
    from ember.serialization import _zip_writer
    monkeypatch.setattr(_zip_writer, "ZIP64_THRESHOLD", 16)
    p = tmp_path / "z.pt"
    x = ember.arange(100.0)
    ember.save({"x": x, "v": x[5:9]}, p)
    with zipfile.ZipFile(p) as z:
        assert z.testzip() is None
        assert np.frombuffer(z.read("z/data/0"), "<f4").tolist() == list(range(100))
    out = ember.load(p)
    assert out["v"].tolist() == [5.0, 6.0, 7.0, 8.0]
    assert ember.load(p, mmap=True)["x"].sum().item() == 4950.0


FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")


@pytest.mark.cuda
def test_cuda_tensors_round_trip_and_map_location(tmp_path):
    x = ember.arange(6.0).view(2, 3).cuda()
    p = tmp_path / "gpu.pt"
    ember.save({"x": x, "v": x[1]}, p)
    out = ember.load(p)  # saved on cuda:0, loaded back there
    assert out["x"].device == ember.device("cuda", 0)
    assert out["x"].cpu().tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert out["v"].cpu().tolist() == [3.0, 4.0, 5.0]
    assert ember.load(p, map_location="cpu")["x"].device == ember.device("cpu")
    # a file written by PyTorch from a cuda:0 tensor
    gpu = ember.load(os.path.join(FIXTURES, "cuda_location.pt"))["x"]
    assert gpu.device.type == "cuda" and gpu.cpu().tolist() == [1.0, 1.0]
    cpu = ember.load(os.path.join(FIXTURES, "cuda_location.pt"), map_location="cpu")["x"]
    assert cpu.device.type == "cpu"
    # CPU file moved to the GPU on load
    ember.save({"y": ember.ones(3)}, tmp_path / "cpu.pt")
    y = ember.load(tmp_path / "cpu.pt", map_location="cuda")["y"]
    assert y.device.type == "cuda" and y.sum().item() == 3.0


def test_loaded_tensors_reuse_freed_memory_but_never_live_memory(tmp_path):
    # tensors over 1 MiB are read into cached host blocks: a second load must not touch the
    # first one's tensors, and memory freed by a dropped state dict serves the next load
    from ember import _host_buffers
    _host_buffers.clear()
    rng = np.random.default_rng(3)
    sd = {f"w{i}": ember.tensor(rng.standard_normal((512, 300)).astype(np.float32))
          for i in range(3)}
    path = tmp_path / "big.pt"
    ember.save(sd, path)
    first = ember.load(path, weights_only=True)
    view = first["w1"][::2]  # a view keeps its block alive on its own
    second = ember.load(path, weights_only=True)
    for k in sd:
        second[k].mul_(-1)
    del first
    for k in sd:
        np.testing.assert_array_equal(second[k].numpy(), -sd[k].numpy())
    np.testing.assert_array_equal(view.numpy(), sd["w1"].numpy()[::2])
    ptrs = {v.data_ptr() for v in second.values()}
    del second
    third = ember.load(path, weights_only=True)
    assert ptrs & {v.data_ptr() for v in third.values()}  # freed blocks were reused
    for k in sd:
        np.testing.assert_array_equal(third[k].numpy(), sd[k].numpy())
    np.testing.assert_array_equal(view.numpy(), sd["w1"].numpy()[::2])
    _host_buffers.clear()
