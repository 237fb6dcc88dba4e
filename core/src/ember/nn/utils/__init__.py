"""``ember.nn.utils``: gradient clipping, parameter/vector conversion, ``stateless``."""

from __future__ import annotations

from . import (  # noqa: F401
    clip_grad,
    convert_parameters,
    fusion,
    parametrizations,
    parametrize,
    prune,
    rnn,
    stateless,
)
from .clip_grad import *  # noqa: F403
from .convert_parameters import *  # noqa: F403
from .fusion import *  # noqa: F403
from .spectral_norm import remove_spectral_norm, spectral_norm
from .weight_norm import remove_weight_norm, weight_norm

__all__ = ["rnn", "stateless", *clip_grad.__all__, *convert_parameters.__all__,
           "parametrizations", "parametrize", *fusion.__all__, "remove_spectral_norm",
           "remove_weight_norm", "spectral_norm", "weight_norm"]
