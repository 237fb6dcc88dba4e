"""The ember-data CLI over a registry entry point supplied by this test suite."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import pytest

from ember.cli import main
from ember.utils import _download_http, _download_paths, _download_registry
from ember.utils._download_testing import FileServer, write_registry_plugin

A = b"a-file" * 2000
W = b"weights" * 1000
SHA_A = hashlib.sha256(A).hexdigest()
SHA_W = hashlib.sha256(W).hexdigest()

PLUGIN = """
    import os
    from ember.utils.download import RegistryEntry, RemoteFile

    def entries():
        base = os.environ["EMBER_TEST_BASE"]
        return [
            RegistryEntry("tinyset", "dataset", [
                RemoteFile("raw/a.bin", [base + "a.bin"], sha256="{sha_a}", size={size_a},
                           splits=["train"]),
                RemoteFile("raw/b.bin", [base + "b.bin"], md5="0" * 32, splits=["test"]),
            ], licence="CC-BY-4.0", description="a tiny set", meta={{"classes": 2}}),
            RegistryEntry("tinynet", "weights", [
                RemoteFile("tinynet-{sha_w8}.pth", [base + "w.pth"], sha256="{sha_w8}",
                           size={size_w})],
                licence="MIT"),
        ]
""".format(sha_a=SHA_A, size_a=len(A), sha_w8=SHA_W[:8], size_w=len(W))


@pytest.fixture
def env(monkeypatch, tmp_path):
    """A server, a plugin on sys.path, an isolated EMBER_HOME; returns (server, plugin dir)."""
    with FileServer({"a.bin": A, "w.pth": W, "b.bin": b"wrong content"}) as srv:
        plugin = write_registry_plugin(tmp_path / "site", "ember_cli_test_registry", PLUGIN)
        monkeypatch.syspath_prepend(plugin)
        monkeypatch.setenv("EMBER_TEST_BASE", srv.url(""))
        monkeypatch.setenv("EMBER_HOME", str(tmp_path / "home"))
        for var in ("EMBER_OFFLINE", "EMBER_DATA"):
            monkeypatch.delenv(var, raising=False)
        monkeypatch.setattr(_download_http, "_BACKOFF_S", 0.0)
        monkeypatch.setattr(_download_paths, "_hub_dir", None)
        monkeypatch.setattr(_download_registry, "_ENTRIES", {})
        monkeypatch.setattr(_download_registry, "_entry_points_loaded", False)
        yield srv, plugin


def _table(out):
    return {line.split()[0]: line.split() for line in out.splitlines()[1:]}


def test_list(env, capsys):
    assert main(["list"]) == 0
    rows = _table(capsys.readouterr().out)
    assert rows["tinyset"] == ["tinyset", "dataset", "?", "CC-BY-4.0", "missing"]
    assert rows["tinynet"] == ["tinynet", "weights", "6.8", "KiB", "MIT", "missing"]
    assert main(["list", "--kind", "weights"]) == 0
    assert "tinyset" not in _table(capsys.readouterr().out)


def test_download_split_then_list_and_verify(env, tmp_path, capsys):
    srv, _ = env
    root = tmp_path / "data"
    assert main(["download", "tinyset", "--split", "train", "--root", str(root),
                 "--no-progress"]) == 0
    assert (root / "tinyset" / "raw" / "a.bin").read_bytes() == A
    assert srv.count("b.bin") == 0
    assert main(["list", "--root", str(root)]) == 0
    assert _table(capsys.readouterr().out)["tinyset"][-1] == "partial"
    assert main(["verify", "tinyset", "--split", "train", "--root", str(root)]) == 0
    assert "raw/a.bin: ok" in capsys.readouterr().out
    assert main(["verify", "tinyset", "--root", str(root)]) == 1  # b.bin is missing
    assert "raw/b.bin: missing" in capsys.readouterr().out


def test_download_weights_to_hub(env, tmp_path, capsys):
    srv, _ = env
    assert main(["download", "tinynet", "--no-progress"]) == 0
    path = tmp_path / "home" / "hub" / "checkpoints" / f"tinynet-{SHA_W[:8]}.pth"
    assert path.read_bytes() == W
    assert main(["download", "tinynet", "--no-progress"]) == 0
    assert srv.count("w.pth") == 1
    assert main(["list"]) == 0
    assert _table(capsys.readouterr().out)["tinynet"][-1] == "verified"


def test_download_failure_exit_1(env, capsys):
    assert main(["download", "tinyset", "--split", "test", "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "tinyset: every URL served a corrupted copy" in err
    assert "expected 00000000000000000000000000000000" in err and "place it by hand at" in err


def test_mirror_option(env, capsys):
    srv, _ = env
    srv.files["mirror/a.bin"] = A
    assert main(["download", "tinyset", "--split", "train", "--no-progress",
                 "--mirror", srv.url("mirror")]) == 0
    assert srv.count("mirror/a.bin") == 1 and srv.count("a.bin") == 0


def test_offline_download(env, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("EMBER_OFFLINE", "1")
    assert main(["download", "tinyset", "--split", "train"]) == 1
    expected = tmp_path / "home" / "datasets" / "tinyset" / "raw" / "a.bin"
    assert f"place it by hand at {expected}" in capsys.readouterr().err


def test_unknown_name_and_split_exit_2(env, capsys):
    assert main(["info", "tinyst"]) == 2
    assert "did you mean 'tinyset'" in capsys.readouterr().err
    assert main(["download", "tinyset", "nothere"]) == 2
    assert "'nothere'" in capsys.readouterr().err
    assert main(["download", "tinyset", "--split", "val"]) == 2
    assert "valid splits: test, train" in capsys.readouterr().err
    assert main(["frobnicate"]) == 2
    assert main([]) == 2
    assert main(["--help"]) == 0


def test_info(env, tmp_path, capsys):
    assert main(["info", "tinyset"]) == 0
    out = capsys.readouterr().out
    assert "licence:     CC-BY-4.0" in out and "meta.classes: 2" in out
    assert f"sha256 {SHA_A}" in out and "splits:      test, train" in out
    assert f"local: {tmp_path / 'home' / 'datasets' / 'tinyset' / 'raw' / 'a.bin'}" in out
    assert "registered:  entry point test = ember_cli_test_registry:entries" in out


def test_remove(env, tmp_path, capsys):
    assert main(["download", "tinyset", "--split", "train", "--no-progress"]) == 0
    path = tmp_path / "home" / "datasets" / "tinyset" / "raw" / "a.bin"
    assert path.exists()
    assert main(["remove", "tinyset"]) == 0
    assert not path.exists() and not os.path.exists(str(path) + ".verified")
    assert "tinyset: removed" in capsys.readouterr().out


def test_where(env, tmp_path, capsys):
    assert main(["where"]) == 0
    out = capsys.readouterr().out
    assert f"hub: {tmp_path / 'home' / 'hub'}" in out
    assert f"datasets: {tmp_path / 'home' / 'datasets'}" in out


def test_console_module_subprocess(env, tmp_path):
    _, plugin = env
    environ = dict(os.environ, PYTHONPATH=os.pathsep.join([str(plugin)] + sys.path))
    run = subprocess.run([sys.executable, "-m", "ember.cli", "download", "tinynet",
                          "--root", str(tmp_path / "w")], env=environ, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "w" / f"tinynet-{SHA_W[:8]}.pth").read_bytes() == W
    run = subprocess.run([sys.executable, "-m", "ember.cli", "info", "tinynett"], env=environ,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "did you mean 'tinynet'" in run.stderr


def test_console_script(env, tmp_path):
    import shutil

    script = shutil.which("ember-data")
    if script is None:
        pytest.skip("the ember-data console script is not installed in this environment")
    _, plugin = env
    environ = dict(os.environ, PYTHONPATH=os.pathsep.join([str(plugin)] + sys.path))
    run = subprocess.run([script, "list"], env=environ, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    assert "tinyset" in run.stdout and "CC-BY-4.0" in run.stdout
