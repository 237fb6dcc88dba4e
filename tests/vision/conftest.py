"""Fixtures shared by the embervision tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def torchvision():
    """The installed torchvision, for parity tests (skipped where it cannot be imported).

    NOTE: the torchvision wheel's C ops do not match the local torch build; its Python parts
    (models, transforms, datasets, the Python ops) work once ``register_fake``, which only
    registers fake kernels for those C ops at import time, is a no-op.
    """
    torch_library = pytest.importorskip("torch.library")
    torch_library.register_fake = lambda *a, **k: (lambda f: f)
    tv = pytest.importorskip("torchvision")
    import torchvision.datasets
    import torchvision.transforms.v2  # noqa: F401
    return tv
