"""Shared fixtures for the core tests: the device under test (GPU skipping: tests/conftest.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ember.testing import test_device

# Processes started with "spawn" unpickle the test helpers they run by module name
# (tests.core.multiprocessing.test_queue._echo ...). They inherit sys.path, so the repository
# root must be on it whatever launched pytest (`python -m pytest` adds the cwd, the `pytest`
# script that nox runs does not).
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.append(_ROOT)


@pytest.fixture
def device() -> str:
    """``$EMBER_TEST_DEVICE`` (``cpu`` unless the suite runs on a GPU machine)."""
    return test_device()
