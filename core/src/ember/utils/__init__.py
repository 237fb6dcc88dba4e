"""``ember.utils``: data loading, downloads and checkpoint helpers (``torch.utils``).

Submodules load on first attribute access, so ``import ember`` stays fast::

    >>> import ember
    >>> ember.utils.__name__
    'ember.utils'
"""

from __future__ import annotations

import importlib

__all__ = ["data", "download", "safetensors"]

_SUBMODULES = set(__all__)


def __getattr__(name):
    if name in _SUBMODULES:
        mod = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = mod
        return mod
    raise AttributeError(f"module 'ember.utils' has no attribute '{name}'")
