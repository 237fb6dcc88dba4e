"""Layer classes, one file per family (``linear.py``, ``conv.py``, ``activation.py`` …).

Each family module defines ``__all__``; a new family is added to the import block and to
``FAMILIES``.
"""

from __future__ import annotations

from . import (  # noqa: F401  (the family modules, listed in FAMILIES)
    activation,
    activation_mha,
    batchnorm,
    container,
    conv,
    distance,
    dropout,
    flatten,
    fold,
    instancenorm,
    linear,
    loss,
    normalization,
    padding,
    pixelshuffle,
    pooling,
    pooling_fractional,
    rnn,
    sparse,
    transformer,
    upsampling,
)
from .activation import *  # noqa: F403
from .activation_mha import *  # noqa: F403
from .batchnorm import *  # noqa: F403
from .container import *  # noqa: F403
from .conv import *  # noqa: F403
from .distance import *  # noqa: F403
from .dropout import *  # noqa: F403
from .flatten import *  # noqa: F403
from .fold import *  # noqa: F403
from .instancenorm import *  # noqa: F403
from .linear import *  # noqa: F403
from .loss import *  # noqa: F403
from .module import Module
from .normalization import *  # noqa: F403
from .padding import *  # noqa: F403
from .pixelshuffle import *  # noqa: F403
from .pooling import *  # noqa: F403
from .pooling_fractional import *  # noqa: F403
from .rnn import *  # noqa: F403
from .sparse import *  # noqa: F403
from .transformer import *  # noqa: F403
from .upsampling import *  # noqa: F403

FAMILIES = (
    activation,
    activation_mha,
    batchnorm,
    container,
    conv,
    distance,
    dropout,
    flatten,
    fold,
    instancenorm,
    linear,
    loss,
    normalization,
    padding,
    pixelshuffle,
    pooling,
    pooling_fractional,
    rnn,
    sparse,
    transformer,
    upsampling,
)
__all__ = ["Module", *(n for family in FAMILIES for n in family.__all__)]
