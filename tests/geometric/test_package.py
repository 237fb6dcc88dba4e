"""Packaging checks for ember-geometric: the installed package matches its pyproject.toml."""

import importlib
import re
from pathlib import Path

import pytest

import ember_geometric

tomllib = pytest.importorskip("tomllib")  # Python >= 3.11

PYPROJECT = Path(__file__).resolve().parents[2] / "geometric" / "pyproject.toml"


def _project() -> dict:
    with PYPROJECT.open("rb") as f:
        return tomllib.load(f)["project"]


def test_version_matches_pyproject():
    assert ember_geometric.__version__ == _project()["version"]


def test_depends_on_ember_and_imports_it():
    deps = _project()["dependencies"]
    names = [re.split(r"[\s<>=!~\[;]", d, maxsplit=1)[0] for d in deps]
    assert "ember" in names
    ember = importlib.import_module("ember")
    assert isinstance(ember.__version__, str)


def test_public_names_exist():
    for name in ember_geometric.__all__:
        assert hasattr(ember_geometric, name), name
