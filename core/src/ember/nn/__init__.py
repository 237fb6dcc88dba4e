"""``ember.nn``: modules, layers, losses, initialisation — PyTorch's ``torch.nn``.

Layers are :class:`Module` subclasses whose ``forward`` calls one function of
:mod:`ember.nn.functional`; parameters, buffers and ``state_dict`` keys are PyTorch's.
"""

from __future__ import annotations

from . import functional, init, utils  # noqa: F401
from .modules import *  # noqa: F403
from .modules import __all__ as _modules_all
from .parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter

__all__ = ["functional", "init", "utils", "Parameter", "Buffer", "UninitializedParameter",
           "UninitializedBuffer", *_modules_all]
