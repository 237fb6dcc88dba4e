"""``ember.nn.functional``: the functional form of every layer (``F.linear``, ``F.conv2d`` …).

One private module per family (``_linear.py``, ``_activation.py``, ``_loss.py`` …), each with
``__all__``; a new family is added to the import block and to ``FAMILIES``.
"""

from __future__ import annotations

from . import (  # noqa: F401  (the family modules, listed in FAMILIES)
    _activation,
    _attention,
    _conv,
    _distance,
    _dropout,
    _interpolate,
    _linear,
    _loss,
    _loss_ctc,
    _loss_margin,
    _norm,
    _padding,
    _pool,
    _pool_adaptive,
    _pool_fractional,
    _softmax,
    _sparse,
)
from ._activation import *  # noqa: F403
from ._attention import *  # noqa: F403
from ._conv import *  # noqa: F403
from ._distance import *  # noqa: F403
from ._dropout import *  # noqa: F403
from ._interpolate import *  # noqa: F403
from ._linear import *  # noqa: F403
from ._loss import *  # noqa: F403
from ._loss_ctc import *  # noqa: F403
from ._loss_margin import *  # noqa: F403
from ._norm import *  # noqa: F403
from ._padding import *  # noqa: F403
from ._pool import *  # noqa: F403
from ._pool_adaptive import *  # noqa: F403
from ._pool_fractional import *  # noqa: F403
from ._softmax import *  # noqa: F403
from ._sparse import *  # noqa: F403

FAMILIES = (
    _activation,
    _attention,
    _conv,
    _distance,
    _dropout,
    _interpolate,
    _linear,
    _loss,
    _loss_ctc,
    _loss_margin,
    _norm,
    _padding,
    _pool,
    _pool_adaptive,
    _pool_fractional,
    _softmax,
    _sparse,
)
__all__ = [n for family in FAMILIES for n in family.__all__]
