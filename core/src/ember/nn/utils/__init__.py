"""``ember.nn.utils``: gradient clipping, parameter/vector conversion, ``stateless``."""

from __future__ import annotations

from . import clip_grad, convert_parameters, stateless  # noqa: F401
from .clip_grad import *  # noqa: F403
from .convert_parameters import *  # noqa: F403

__all__ = ["stateless", *clip_grad.__all__, *convert_parameters.__all__]
