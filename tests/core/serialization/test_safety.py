"""Safe loading: the allow-list, safe-global opt-ins, corrupt files, atomic saves."""

from __future__ import annotations

import io
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import zipfile
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ember
from ember.serialization import CorruptCheckpointError

FIX = os.path.join(os.path.dirname(__file__), "fixtures")
CLEAN = (CorruptCheckpointError, pickle.UnpicklingError)


class Evil:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def saved(obj) -> io.BytesIO:
    buf = io.BytesIO()
    ember.save(obj, buf)
    buf.seek(0)
    return buf


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_os_system_pickle_is_refused(tmp_path, legacy):
    marker = tmp_path / "pwned"
    p = tmp_path / "evil.pt"
    ember.save({"w": ember.ones(1), "x": Evil(str(marker))}, p,
               _use_new_zipfile_serialization=not legacy)
    with pytest.raises(pickle.UnpicklingError) as info:
        ember.load(p)
    msg = str(info.value)
    assert "evil.pt" in msg and f"{os.system.__module__}.system" in msg
    assert "ember.serialization.add_safe_globals" in msg and "safe_globals" in msg
    assert "weights_only=False" in msg
    assert not marker.exists()


def test_plain_pickle_with_reduce_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    buf = io.BytesIO(pickle.dumps(Evil(str(marker)), protocol=2))
    with pytest.raises(pickle.UnpicklingError, match="not an allowed global"):
        ember.load(buf)
    assert not marker.exists()


def test_add_safe_globals_and_context_manager():
    buf = saved({"f": Fraction(1, 3)})
    with pytest.raises(pickle.UnpicklingError, match="fractions.Fraction"):
        ember.load(buf)
    with ember.serialization.safe_globals([Fraction]):
        buf.seek(0)
        assert ember.load(buf) == {"f": Fraction(1, 3)}
        assert ember.serialization.get_safe_globals() == [Fraction]
    assert ember.serialization.get_safe_globals() == []
    buf.seek(0)
    with pytest.raises(pickle.UnpicklingError):
        ember.load(buf)
    try:
        ember.serialization.add_safe_globals([(Fraction, "fractions.Fraction")])
        buf.seek(0)
        assert ember.load(buf)["f"] == Fraction(1, 3)
    finally:
        ember.serialization.clear_safe_globals()
    assert ember.serialization.get_safe_globals() == []
    with pytest.raises(TypeError, match="add_safe_globals"):
        ember.serialization.add_safe_globals([3])


def test_weights_only_false_is_explicit():
    buf = saved({"f": Fraction(2, 5)})
    assert ember.load(buf, weights_only=False) == {"f": Fraction(2, 5)}
    buf.seek(0)
    with pytest.raises(pickle.UnpicklingError):  # None means the default, True
        ember.load(buf, weights_only=None)


def test_weights_only_false_maps_torch_globals_to_ember():
    data = (b"\x80\x02ctorch.nn.modules.activation\nReLU\nq\x00)\x81q\x01.")
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as z:
        z.writestr("m/data.pkl", data)
        z.writestr("m/version", "3\n")
    zbuf.seek(0)
    with pytest.raises(pickle.UnpicklingError, match="torch.nn.modules.activation.ReLU"):
        ember.load(zbuf)
    zbuf.seek(0)
    assert type(ember.load(zbuf, weights_only=False)) is ember.nn.ReLU
    zbuf2 = io.BytesIO()
    with zipfile.ZipFile(zbuf2, "w") as z:
        z.writestr("m/data.pkl", b"\x80\x02ctorch.nn\nNoSuchThing\nq\x00.")
    zbuf2.seek(0)
    with pytest.raises(pickle.UnpicklingError, match="no ember counterpart"):
        ember.load(zbuf2, weights_only=False)


def test_unsupported_tensor_kinds_are_refused():
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as z:
        z.writestr("m/data.pkl", b"\x80\x02ctorch._utils\n_rebuild_sparse_tensor\nq\x00)R.")
    zbuf.seek(0)
    with pytest.raises(pickle.UnpicklingError, match="sparse tensor"):
        ember.load(zbuf)


def test_torchscript_archive_error():
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as z:
        z.writestr("m/constants.pkl", b"")
        z.writestr("m/code/x.py", b"")
    zbuf.seek(0)
    with pytest.raises(CorruptCheckpointError, match="TorchScript"):
        ember.load(zbuf)


def _ckpt_bytes() -> bytes:
    base = ember.arange(8.0)
    return saved({"w": base, "v": base[2:5], "n": [1, 2.5, "s"]}).getvalue()


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_every_truncation_is_a_clean_error(tmp_path, legacy):
    buf = io.BytesIO()
    base = ember.arange(8.0)
    ember.save({"w": base, "v": base[2:5]}, buf, _use_new_zipfile_serialization=not legacy)
    data = buf.getvalue()
    p = tmp_path / "trunc.pt"
    for cut in range(0, len(data), 7):
        p.write_bytes(data[:cut])
        with pytest.raises(CLEAN, match="trunc.pt"):
            ember.load(p)


def test_unknown_version_and_byteorder(tmp_path):
    for record, value, match in (("version", b"99\n", "unsupported checkpoint version"),
                                 ("byteorder", b"middle", "unknown byteorder")):
        src = zipfile.ZipFile(io.BytesIO(_ckpt_bytes()))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as z:
            for info in src.infolist():
                z.writestr(info.filename, value if info.filename.endswith("/" + record)
                           else src.read(info))
        out.seek(0)
        with pytest.raises(CorruptCheckpointError, match=match):
            ember.load(out)


def test_layout_out_of_bounds_is_refused():
    src = zipfile.ZipFile(io.BytesIO(_ckpt_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("data.pkl"):
                # the view v = base[2:5] is saved as size (3,) at offset 2; make it size (9,)
                data = data.replace(b"K\x02K\x03\x85", b"K\x02K\x09\x85")
            z.writestr(info.filename, data)
    out.seek(0)
    with pytest.raises(CorruptCheckpointError, match="out of bounds"):
        ember.load(out)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fuzzed_bytes_give_only_clean_errors(data):
    raw = bytearray(_CKPT)
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(raw) - 1))
        raw[pos] = data.draw(st.integers(0, 255))
    try:
        out = ember.load(io.BytesIO(bytes(raw)))
    except CLEAN:
        return
    assert isinstance(out, dict)  # a mutation in tensor bytes or padding may load


@settings(max_examples=100, deadline=None)
@given(st.binary(min_size=0, max_size=200))
def test_random_bytes_give_only_clean_errors(raw):
    with pytest.raises(CLEAN):
        ember.load(io.BytesIO(raw))


_CKPT = _ckpt_bytes()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_killed_save_leaves_previous_file_intact(tmp_path):
    p = tmp_path / "ckpt.pt"
    ember.save({"w": ember.arange(4.0)}, p)
    before = p.read_bytes()
    script = textwrap.dedent(f"""
        import sys, time, ember
        from ember.serialization import _zip_writer
        orig = _zip_writer.ZipWriter.write_record
        def slow(self, name, data):
            orig(self, name, data)
            if name.endswith("/data/0"):
                print("writing", flush=True)
                time.sleep(60)
        _zip_writer.ZipWriter.write_record = slow
        ember.save({{"w": ember.zeros(2_000_000)}}, {str(p)!r})
    """)
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "writing"
        assert any(n.endswith(".tmp") for n in os.listdir(tmp_path))  # mid-write
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
        child.stdout.close()
    assert p.read_bytes() == before
    np.testing.assert_array_equal(ember.load(p)["w"].numpy(), np.arange(4.0))


def test_failed_save_removes_its_temporary(tmp_path):
    p = tmp_path / "x.pt"
    ember.save([1], p)
    with pytest.raises((pickle.PicklingError, TypeError, AttributeError)):
        ember.save([lambda: 0], p)
    assert os.listdir(tmp_path) == ["x.pt"]
    assert ember.load(p) == [1]
