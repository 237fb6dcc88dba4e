"""Hooks shared by every package's tests: tests marked ``cuda`` run only where a GPU is."""

from __future__ import annotations

import pytest

import ember
from ember.testing import test_device


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
