"""Shared fixtures for the core tests: the device under test and GPU skipping."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import ember
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


def pytest_collection_modifyitems(config, items):
    if ember.cuda.is_available():
        return
    skip = pytest.mark.skip(reason=f"needs a GPU: {ember.cuda.unavailable_reason()}")
    for item in items:
        if item.get_closest_marker("cuda") is not None:  # (keywords also hold folder names)
            item.add_marker(skip)


def pytest_configure(config):
    if test_device().startswith("cuda") and not ember.cuda.is_available():
        raise pytest.UsageError(f"EMBER_TEST_DEVICE={test_device()} but CUDA is unavailable: "
                                f"{ember.cuda.unavailable_reason()}")
