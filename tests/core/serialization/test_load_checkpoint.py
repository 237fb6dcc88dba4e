"""ember.load_checkpoint: format sniffing by content and Hugging Face sharded checkpoints."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import ember
from ember.serialization import CorruptCheckpointError
from ember.utils import safetensors as S


def test_formats_are_recognised_by_content_not_extension(tmp_path):
    w = ember.arange(6.0).reshape(2, 3)
    ember.save({"w": w}, tmp_path / "a.safetensors")  # a zip despite the name
    ember.save({"w": w}, tmp_path / "b.bin", _use_new_zipfile_serialization=False)
    S.save_file({"w": w}, tmp_path / "c.pt")  # safetensors despite the name
    for name in ("a.safetensors", "b.bin", "c.pt"):
        out = ember.load_checkpoint(tmp_path / name)
        np.testing.assert_array_equal(out["w"].numpy(), np.arange(6.0).reshape(2, 3))


def test_options_pass_through(tmp_path):
    ember.save({"w": ember.ones(3)}, tmp_path / "m.pt")
    out = ember.load_checkpoint(tmp_path / "m.pt", map_location="cpu", mmap=True)
    assert not out["w"].numpy().flags.owndata
    S.save_file({"w": ember.ones(3)}, tmp_path / "s")
    assert ember.load_checkpoint(tmp_path / "s", map_location="cpu")["w"].tolist() == [1.0] * 3
    with pytest.raises(TypeError, match="device or string"):
        ember.load_checkpoint(tmp_path / "s", map_location=lambda s, loc: s)


def _sharded(tmp_path):
    S.save_file({"a": ember.ones(2), "b": ember.zeros(1)}, tmp_path / "model-00001.safetensors")
    ember.save({"c": ember.tensor([5, 6])}, tmp_path / "model-00002.bin")
    index = {"metadata": {"total_size": 20},
             "weight_map": {"a": "model-00001.safetensors", "c": "model-00002.bin",
                            "b": "model-00001.safetensors"}}
    p = tmp_path / "model.safetensors.index.json"
    p.write_text(json.dumps(index))
    return p, index


def test_sharded_index(tmp_path):
    p, _ = _sharded(tmp_path)
    out = ember.load_checkpoint(p)
    assert list(out) == ["a", "c", "b"]
    assert out["a"].tolist() == [1.0, 1.0] and out["c"].tolist() == [5, 6]
    model = ember.nn.Linear(2, 1)
    S.save_file({"weight": ember.ones(1, 2)}, tmp_path / "w1.safetensors")
    S.save_file({"bias": ember.zeros(1)}, tmp_path / "w2.safetensors")
    (tmp_path / "lin.index.json").write_text(json.dumps(
        {"weight_map": {"weight": "w1.safetensors", "bias": "w2.safetensors"}}))
    model.load_state_dict(ember.load_checkpoint(tmp_path / "lin.index.json"))
    assert model.weight.tolist() == [[1.0, 1.0]]


@pytest.mark.parametrize(("mutate", "exc", "match"), [
    (lambda ix: ix.pop("weight_map"), CorruptCheckpointError, "needs a 'weight_map'"),
    (lambda ix: ix["weight_map"].update(d="missing.bin"), FileNotFoundError,
     "shard 'missing.bin' is missing"),
    (lambda ix: ix["weight_map"].update(d="../x.bin"), CorruptCheckpointError,
     "not a file beside the index"),
    (lambda ix: ix["weight_map"].update(zz="model-00002.bin"), CorruptCheckpointError,
     "has no tensor 'zz'"),
])
def test_sharded_index_errors(tmp_path, mutate, exc, match):
    p, index = _sharded(tmp_path)
    mutate(index)
    p.write_text(json.dumps(index))
    with pytest.raises(exc, match=match):
        ember.load_checkpoint(p)


def test_unrecognised_and_empty_files(tmp_path):
    (tmp_path / "x").write_bytes(b"hello world, not a checkpoint")
    with pytest.raises(CorruptCheckpointError, match="not a checkpoint"):
        ember.load_checkpoint(tmp_path / "x")
    (tmp_path / "e").write_bytes(b"")
    with pytest.raises(CorruptCheckpointError, match="empty"):
        ember.load_checkpoint(tmp_path / "e")
    (tmp_path / "j.json").write_text("{not json")
    with pytest.raises(CorruptCheckpointError, match="not a checkpoint or sharded index"):
        ember.load_checkpoint(tmp_path / "j.json")
    with pytest.raises(FileNotFoundError):
        ember.load_checkpoint(os.path.join(tmp_path, "nope"))


@pytest.mark.parametrize("fmt", ["zip", "safetensors"])
def test_module_load_state_dict_accepts_a_path(tmp_path, fmt):
    src, dst = ember.nn.Linear(3, 2), ember.nn.Linear(3, 2)
    path = tmp_path / "weights.bin"  # the suffix says nothing: the content decides
    if fmt == "zip":
        ember.save(src.state_dict(), path)
    else:
        ember.utils.safetensors.save_file(dict(src.state_dict()), str(path))
    assert not np.array_equal(src.weight.detach().numpy(), dst.weight.detach().numpy())
    dst.load_state_dict(str(path))
    np.testing.assert_array_equal(dst.weight.detach().numpy(), src.weight.detach().numpy())
    np.testing.assert_array_equal(dst.bias.detach().numpy(), src.bias.detach().numpy())
    with pytest.raises(FileNotFoundError):
        dst.load_state_dict(tmp_path / "missing.pt")
