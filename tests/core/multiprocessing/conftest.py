"""Every multiprocessing test starts by noting the shared-memory segments that already exist."""

from __future__ import annotations

import pytest

from tests.core.multiprocessing._shm import remember_existing_segments


@pytest.fixture(autouse=True)
def _baseline():
    remember_existing_segments()
    yield
