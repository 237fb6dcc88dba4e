"""PyTorch's private layout, for code that imports ``torch.utils.data._utils.collate``."""

from __future__ import annotations

from . import collate

__all__ = ["collate"]
