"""ember.hub against torch.hub on the same files (parity session only)."""

from __future__ import annotations

import hashlib
import os

import numpy as np
import pytest

import ember
from ember import hub
from ember.utils import _download_http, _download_paths
from ember.utils._download_testing import FileServer

torch = pytest.importorskip("torch") if os.environ.get("EMBER_PARITY") else None

pytestmark = [pytest.mark.parity,
              pytest.mark.skipif(torch is None,
                                 reason="parity tests run in the parity session (EMBER_PARITY=1 "
                                        "with PyTorch installed)")]


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    monkeypatch.setenv("EMBER_HOME", str(tmp_path / "ember-home"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))
    monkeypatch.delenv("EMBER_OFFLINE", raising=False)
    monkeypatch.setattr(_download_http, "_BACKOFF_S", 0.0)
    monkeypatch.setattr(_download_paths, "_hub_dir", None)


def test_load_state_dict_from_url_same_file_same_values(tmp_path):
    src = tmp_path / "src.pth"
    torch.save({"w": torch.arange(12.0).reshape(3, 4), "n": torch.tensor([1, 2, 3])}, src)
    data = src.read_bytes()
    name = f"net-{hashlib.sha256(data).hexdigest()[:8]}.pth"
    with FileServer({name: data}) as srv:
        ours = hub.load_state_dict_from_url(srv.url(name), check_hash=True, progress=False)
        theirs = torch.hub.load_state_dict_from_url(srv.url(name), check_hash=True,
                                                    progress=False, weights_only=True)
    assert sorted(ours) == sorted(theirs)
    for key in theirs:
        np.testing.assert_array_equal(ours[key].numpy(), theirs[key].numpy())
        assert str(ours[key].dtype).split(".")[1] == str(theirs[key].dtype).split(".")[1]
    # same cache layout: <home>/hub/checkpoints/<name>
    assert os.path.relpath(hub.get_dir(), tmp_path / "ember-home") == "hub"
    assert os.path.relpath(torch.hub.get_dir(), tmp_path / "torch-home") == "hub"


def test_hash_regex_matches_torch():
    for name in ["resnet50-11ad3fa6.pth", "shufflenetv2_x1-5666bf0f80.pth", "model.pth",
                 "a-b-0123.tar.gz", "x-ABCDEF.pth"]:
        ours, theirs = hub.HASH_REGEX.search(name), torch.hub.HASH_REGEX.search(name)
        assert (ours and ours.group(1) or None) == (theirs and theirs.group(1) or None), name


def test_local_hubconf_same_entrypoints(tmp_path):
    (tmp_path / "hubconf.py").write_text(
        "dependencies = []\n\ndef a(x=1):\n    '''doc a'''\n    return x\n\n"
        "def _hidden():\n    pass\n\nclass B:\n    pass\n")
    # (torch.hub.list only takes GitHub repositories; its rule is dir() minus _names)
    assert hub.list(tmp_path) == ["B", "a"]
    assert hub.load(tmp_path, "a", 5, source="local") == torch.hub.load(
        str(tmp_path), "a", 5, source="local")
    assert ember.hub.help(tmp_path, "a") == "doc a"
