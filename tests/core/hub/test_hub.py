"""ember.hub: cache directories, verified weight downloads, local hubconf.py."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile

import numpy as np
import pytest

import ember
from ember import hub
from ember.utils import _download_http, _download_paths
from ember.utils import download as dl
from ember.utils._download_testing import FileServer


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    monkeypatch.setenv("EMBER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("EMBER_OFFLINE", raising=False)
    monkeypatch.setattr(_download_http, "_BACKOFF_S", 0.0)
    monkeypatch.setattr(_download_paths, "_hub_dir", None)


def _checkpoint_bytes(tmp_path):
    path = tmp_path / "src.pth"
    ember.save({"weight": ember.tensor(np.arange(6.0).reshape(2, 3)),
                "bias": ember.tensor(np.array([0.5, -1.5], dtype=np.float32))}, path)
    return path.read_bytes()


def _check_state(state):
    np.testing.assert_array_equal(state["weight"].numpy(), np.arange(6.0).reshape(2, 3))
    assert state["bias"].dtype == ember.float32
    np.testing.assert_array_equal(state["bias"].numpy(), np.array([0.5, -1.5], np.float32))


def test_get_dir_defaults(monkeypatch, tmp_path):
    assert hub.get_dir() == str(tmp_path / "home" / "hub")
    monkeypatch.delenv("EMBER_HOME")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert hub.get_dir() == str(tmp_path / "xdg" / "ember" / "hub")
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert hub.get_dir() == os.path.expanduser(os.path.join("~", ".cache", "ember", "hub"))
    hub.set_dir(tmp_path / "custom")
    assert hub.get_dir() == str(tmp_path / "custom")


def test_download_url_to_file_hash_prefix(tmp_path):
    data = b"weights" * 5000
    sha = hashlib.sha256(data).hexdigest()
    with FileServer({"w.bin": data}) as srv:
        hub.download_url_to_file(srv.url("w.bin"), tmp_path / "ok.bin", hash_prefix=sha[:8],
                                 progress=False)
        assert (tmp_path / "ok.bin").read_bytes() == data
        with pytest.raises(RuntimeError, match=f"expected 00000000, got {sha[:8]}"):
            hub.download_url_to_file(srv.url("w.bin"), tmp_path / "bad.bin",
                                     hash_prefix="00000000", progress=False)
    assert not (tmp_path / "bad.bin").exists()


def test_load_state_dict_from_url(tmp_path):
    data = _checkpoint_bytes(tmp_path)
    name = f"net-{hashlib.sha256(data).hexdigest()[:10]}.pth"
    with FileServer({name: data}) as srv:
        state = hub.load_state_dict_from_url(srv.url(name), check_hash=True, progress=False)
        _check_state(state)
        cached = tmp_path / "home" / "hub" / "checkpoints" / name
        assert cached.read_bytes() == data
        # cached: no second request, verified from the .verified record
        _check_state(hub.load_state_dict_from_url(srv.url(name), check_hash=True))
        assert srv.count(name) == 1


def test_load_state_dict_from_url_file_name_and_model_dir(tmp_path):
    data = _checkpoint_bytes(tmp_path)
    with FileServer({"x/model.pth": data}) as srv:
        state = hub.load_state_dict_from_url(srv.url("x/model.pth"), model_dir=tmp_path / "md",
                                             file_name="renamed.pth", progress=False,
                                             map_location="cpu")
    _check_state(state)
    assert (tmp_path / "md" / "renamed.pth").exists()


def test_check_hash_wrong_prefix_not_kept(tmp_path):
    data = _checkpoint_bytes(tmp_path)
    with FileServer({"net-deadbeef.pth": data}) as srv:
        with pytest.raises(dl.IntegrityError, match="expected deadbeef"):
            hub.load_state_dict_from_url(srv.url("net-deadbeef.pth"), check_hash=True,
                                         progress=False)
    assert not (tmp_path / "home" / "hub" / "checkpoints" / "net-deadbeef.pth").exists()


def test_check_hash_needs_prefix_in_name(tmp_path):
    with pytest.raises(ValueError, match="needs a file name like <name>-<sha256 prefix>"):
        hub.load_state_dict_from_url("http://127.0.0.1:1/model.pth", check_hash=True)


def test_corrupted_cache_refetched_when_check_hash(tmp_path):
    data = _checkpoint_bytes(tmp_path)
    name = f"net-{hashlib.sha256(data).hexdigest()[:8]}.pth"
    cache = tmp_path / "home" / "hub" / "checkpoints"
    cache.mkdir(parents=True)
    (cache / name).write_bytes(data[:100])  # a truncated earlier download
    with FileServer({name: data}) as srv:
        with pytest.warns(RuntimeWarning, match="sha256 mismatch"):
            _check_state(hub.load_state_dict_from_url(srv.url(name), check_hash=True,
                                                      progress=False))


def test_legacy_zipped_checkpoint(tmp_path):
    inner = _checkpoint_bytes(tmp_path)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("legacy_inner.pth", inner)
    with FileServer({"legacy.zip": buf.getvalue()}) as srv:
        _check_state(hub.load_state_dict_from_url(srv.url("legacy.zip"), progress=False))
    assert (tmp_path / "home" / "hub" / "checkpoints" / "legacy_inner.pth").read_bytes() == inner


def test_registry_reexported():
    assert hub.register_weights is dl.register_weights and hub.registry is dl.registry


HUBCONF = '''
dependencies = ["numpy"]
import helper  # a sibling module: the directory is on sys.path while importing


def make(n, scale=1):
    """Make a list."""
    return [helper.VALUE * scale] * n


def _private():
    pass

CONSTANT = 3
'''


@pytest.fixture
def repo(tmp_path):
    d = tmp_path / "repo"
    d.mkdir()
    (d / "hubconf.py").write_text(HUBCONF)
    (d / "helper.py").write_text("VALUE = 7\n")
    return d


def test_local_load_list_help(repo):
    assert hub.load(repo, "make", 2, source="local", scale=2) == [14, 14]
    assert hub.list(repo) == ["make"]
    assert hub.help(repo, "make") == "Make a list."


def test_github_never_fetched(repo):
    with pytest.raises(RuntimeError, match="never downloads and runs remote code"):
        hub.load("pytorch/vision", "resnet18")
    with pytest.raises(RuntimeError, match="never downloads and runs remote code"):
        hub.list("pytorch/vision:main")
    with pytest.raises(RuntimeError, match="never downloads and runs remote code"):
        hub.load(repo, "make", 1, source="github")
    with pytest.raises(ValueError, match='Unknown source: "svn"'):
        hub.load(repo, "make", source="svn")


def test_hubconf_errors(repo, tmp_path):
    with pytest.raises(RuntimeError, match=r"Cannot find callable nope in hubconf \(available: "
                                           r"make\)"):
        hub.load(repo, "nope", source="local")
    with pytest.raises(RuntimeError, match="Cannot find callable CONSTANT"):
        hub.help(repo, "CONSTANT")
    with pytest.raises(ValueError, match="model should be a string"):
        hub.load(repo, 3, source="local")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no hubconf.py"):
        hub.list(tmp_path / "empty")
    (repo / "hubconf.py").write_text(HUBCONF.replace('["numpy"]', '["numpy", "no_such_pkg_x"]'))
    with pytest.raises(RuntimeError, match="Missing dependencies: no_such_pkg_x"):
        hub.load(repo, "make", 1, source="local")


def test_offline_uses_cached_checkpoint(tmp_path, monkeypatch):
    data = _checkpoint_bytes(tmp_path)
    name = f"net-{hashlib.sha256(data).hexdigest()[:8]}.pth"
    cache = tmp_path / "home" / "hub" / "checkpoints"
    cache.mkdir(parents=True)
    (cache / name).write_bytes(data)
    monkeypatch.setenv("EMBER_OFFLINE", "1")
    _check_state(hub.load_state_dict_from_url(f"http://127.0.0.1:1/{name}", check_hash=True))
    with pytest.raises(dl.OfflineError, match=f"place it by hand at {cache / 'other.pth'}"):
        hub.load_state_dict_from_url("http://127.0.0.1:1/other.pth")
