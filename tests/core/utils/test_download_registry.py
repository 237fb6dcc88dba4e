"""The artifact registry: records, registration, entry points, entry operations."""

from __future__ import annotations

import hashlib
import os

import pytest

from ember.utils import _download_http, _download_registry
from ember.utils import download as dl
from ember.utils._download_testing import FileServer, write_registry_plugin

A = b"alpha" * 1000
B = b"beta" * 3000


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    monkeypatch.setenv("EMBER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("EMBER_DATA", raising=False)
    monkeypatch.delenv("EMBER_OFFLINE", raising=False)
    monkeypatch.setattr(_download_http, "_BACKOFF_S", 0.0)
    monkeypatch.setattr(_download_registry, "_ENTRIES", {})
    monkeypatch.setattr(_download_registry, "_entry_points_loaded", True)  # none installed


@pytest.fixture
def server():
    import io
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo("inner/b.bin")
        info.size = len(B)
        tar.addfile(info, io.BytesIO(B))
    with FileServer({"a.bin": A, "pack.tar.gz": buf.getvalue()}) as srv:
        srv.pack_sha = hashlib.sha256(buf.getvalue()).hexdigest()
        yield srv


def _toy(server, **kw):
    return dl.register_dataset("toy", [
        dl.RemoteFile("raw/a.bin", [server.url("a.bin")], sha256=hashlib.sha256(A).hexdigest(),
                      size=len(A), splits=("train",)),
        {"path": "raw/pack.tar.gz", "urls": [server.url("pack.tar.gz")],
         "md5": None, "sha256": server.pack_sha, "extract_to": "", "splits": ["test"]},
    ], licence="CC0", description="a toy", directory="Toy", meta={"classes": ["a", "b"]}, **kw)


def test_remote_file_validation():
    with pytest.raises(ValueError, match="no absolute path, no '..'"):
        dl.RemoteFile("../x", ["https://x.org/x"])
    with pytest.raises(ValueError, match="absolute URLs"):
        dl.RemoteFile("x", ["x.org/x"])
    with pytest.raises(ValueError, match="absolute URLs"):
        dl.RemoteFile("x", [])
    with pytest.raises(ValueError, match="md5 must be a hex digest of 32"):
        dl.RemoteFile("x", ["https://x.org/x"], md5="abc")
    with pytest.raises(ValueError, match="size must be a non-negative int"):
        dl.RemoteFile("x", ["https://x.org/x"], size=-1)
    f = dl.RemoteFile("a/./b", "https://x.org/b", sha256="ABCDEF12", splits="train")
    assert (f.path, f.urls, f.sha256, f.splits) == ("a/b", ("https://x.org/b",), "abcdef12",
                                                    ("train",))


def test_entry_validation():
    f = dl.RemoteFile("x", ["https://x.org/x"])
    with pytest.raises(ValueError, match="kind must be one of"):
        dl.RegistryEntry("n", "model", [f])
    with pytest.raises(ValueError, match="without spaces"):
        dl.RegistryEntry("a b", "dataset", [f])
    with pytest.raises(ValueError, match="at least one file"):
        dl.RegistryEntry("n", "dataset", [])
    with pytest.raises(ValueError, match="share a path"):
        dl.RegistryEntry("n", "dataset", [f, f])
    e = dl.RegistryEntry("n", "dataset", [f, dl.RemoteFile("y", ["https://x.org/y"], size=3)])
    assert e.directory == "n" and e.size is None and e.splits == ()


def test_register_and_lookup(server):
    entry = _toy(server)
    assert dl.registry() == {"toy": entry} and dl.registry("weights") == {}
    assert dl.get_entry("toy") is entry and dl.get_entry("TOY") is entry
    assert entry.splits == ("test", "train") and entry.size is None
    assert _toy(server) == entry  # same content again: no-op
    with pytest.raises(ValueError, match="'toy' is already registered .*replace=True"):
        dl.register_dataset("toy", [dl.RemoteFile("z", ["https://x.org/z"])])
    with pytest.raises(ValueError, match="kind must be one of"):
        dl.registry("models")


def test_unknown_name_suggests():
    dl.register_dataset("mnist", [dl.RemoteFile("a", ["https://x.org/a"])])
    dl.register_dataset("fashion-mnist", [dl.RemoteFile("a", ["https://x.org/a"])])
    with pytest.raises(KeyError) as info:
        dl.get_entry("mnsit")
    assert isinstance(info.value, dl.UnknownEntryError)
    assert info.value.suggestions == ["mnist"]
    assert str(info.value).startswith("no registered dataset or weights named 'mnsit'; "
                                      "did you mean 'mnist'?")


def test_register_weights_takes_prefix_from_name():
    e = dl.register_weights("net", "https://x.org/w/resnet-0a1b2c3d.pth", size=10,
                            meta={"categories": ["cat"]})
    f = e.files[0]
    assert (e.kind, f.path, f.sha256, f.size, e.directory) == (
        "weights", "resnet-0a1b2c3d.pth", "0a1b2c3d", 10, "")
    e2 = dl.register_weights("plain", ["https://x.org/model.pt"], file_name="m.pt")
    assert e2.files[0].sha256 is None and e2.files[0].path == "m.pt"


def test_paths(server, tmp_path):
    entry = _toy(server)
    assert dl.entry_dir(entry) == str(tmp_path / "home" / "datasets" / "Toy")
    assert dl.file_path(entry, entry.files[0], tmp_path / "r") == str(
        tmp_path / "r" / "Toy" / "raw" / "a.bin")
    w = dl.register_weights("w", "https://x.org/w-00ff.pth")
    assert dl.entry_dir(w) == str(tmp_path / "home" / "hub" / "checkpoints")


def test_download_verify_status_remove(server, tmp_path):
    entry = _toy(server)
    root = tmp_path / "root"
    assert dl.entry_status("toy", root) == "missing"
    paths = dl.download_entry("toy", root, split="train", progress=False)
    assert paths == [str(root / "Toy" / "raw" / "a.bin")]
    assert dl.entry_status(entry, root) == "partial"
    dl.download_entry("toy", root, progress=False)
    assert (root / "Toy" / "inner" / "b.bin").read_bytes() == B  # extracted into the entry dir
    assert dl.entry_status(entry, root) == "verified"
    dl.download_entry("toy", root, progress=False)  # idempotent, not re-extracted
    assert server.count("a.bin") == 1 and server.count("pack.tar.gz") == 1
    assert [s for _, s in dl.verify_entry("toy", root)] == ["ok", "ok"]
    (root / "Toy" / "raw" / "a.bin").write_bytes(b"tampered")
    assert dl.entry_status(entry, root) == "present"  # stale record: not verified any more
    statuses = [s for _, s in dl.verify_entry("toy", root)]
    assert statuses[0].startswith(f"{root / 'Toy' / 'raw' / 'a.bin'} has 8 bytes, expected")
    removed = dl.remove_entry("toy", root)
    assert str(root / "Toy" / "raw" / "a.bin") in removed
    assert not (root / "Toy" / "raw" / "a.bin.verified").exists()
    assert dl.entry_status(entry, root) == "missing"
    assert [s for _, s in dl.verify_entry("toy", root)] == ["missing", "missing"]


def test_unknown_split(server):
    _toy(server)
    with pytest.raises(ValueError, match="toy has no split 'val'; valid splits: test, train"):
        dl.download_entry("toy", split="val")


def test_mirror_override(server, tmp_path):
    server.files["m/a.bin"] = A
    dl.register_dataset("one", [dl.RemoteFile("a.bin", [server.url("gone/a.bin")],
                                              sha256=hashlib.sha256(A).hexdigest())])
    dl.download_entry("one", tmp_path, mirror=server.url("m/"), progress=False)
    assert server.count("m/a.bin") == 1 and server.count("gone/a.bin") == 0


def test_entry_point_plugin(monkeypatch, tmp_path):
    plugin = write_registry_plugin(tmp_path / "site", "ember_registry_demo", """
        from ember.utils.download import RegistryEntry, RemoteFile

        def entries():
            return [
                RegistryEntry("demo-data", "dataset",
                              [RemoteFile("d.bin", ["https://x.org/d.bin"], md5="0" * 32)],
                              licence="MIT"),
                {"name": "demo-weights", "kind": "weights",
                 "files": [{"path": "w-abcd1234.pth", "urls": ["https://x.org/w.pth"]}]},
            ]
    """)
    monkeypatch.syspath_prepend(plugin)
    monkeypatch.setattr(_download_registry, "_entry_points_loaded", False)
    reg = dl.registry()
    assert {"demo-data", "demo-weights"} <= set(reg)  # (other installed packages may add more)
    assert reg["demo-data"].licence == "MIT"
    assert reg["demo-data"].source == "entry point test = ember_registry_demo:entries"


def test_broken_plugin_warns_and_others_load(monkeypatch, tmp_path):
    plugin = write_registry_plugin(tmp_path / "site", "ember_registry_broken", """
        def entries():
            raise RuntimeError("boom")
    """, name="broken")
    monkeypatch.syspath_prepend(plugin)
    monkeypatch.setattr(_download_registry, "_entry_points_loaded", False)
    dl.register_dataset("ok", [dl.RemoteFile("a", ["https://x.org/a"])])
    with pytest.warns(RuntimeWarning, match="skipping entry point broken .*RuntimeError: boom"):
        assert "ok" in dl.registry()


def test_offline_entry_download_names_path(server, tmp_path, monkeypatch):
    _toy(server)
    monkeypatch.setenv("EMBER_OFFLINE", "1")
    with pytest.raises(dl.OfflineError) as info:
        dl.download_entry("toy", tmp_path, split="train")
    assert f"place it by hand at {tmp_path / 'Toy' / 'raw' / 'a.bin'}" in str(info.value)
    assert os.listdir(tmp_path) == []
