"""Packaging checks for emberaudio: the installed package matches its pyproject.toml."""

import importlib
import re
from pathlib import Path

import pytest

import emberaudio

tomllib = pytest.importorskip("tomllib")  # Python >= 3.11

PYPROJECT = Path(__file__).resolve().parents[2] / "audio" / "pyproject.toml"


def _project() -> dict:
    with PYPROJECT.open("rb") as f:
        return tomllib.load(f)["project"]


def test_version_matches_pyproject():
    assert emberaudio.__version__ == _project()["version"]


def test_depends_on_ember_and_imports_it():
    deps = _project()["dependencies"]
    names = [re.split(r"[\s<>=!~\[;]", d, maxsplit=1)[0] for d in deps]
    assert "ember" in names
    ember = importlib.import_module("ember")
    assert isinstance(ember.__version__, str)


def test_public_names_exist():
    for name in emberaudio.__all__:
        assert hasattr(emberaudio, name), name


def test_declared_dependency_is_installed():
    # NOTE: the import name differs from the distribution name for some packages (pillow -> PIL).
    assert "soundfile" in _project()["dependencies"]
    importlib.import_module("soundfile")
