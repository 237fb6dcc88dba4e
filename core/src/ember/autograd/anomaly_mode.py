"""Anomaly detection: record forward stack traces and fail on NaN gradients.

While anomaly detection is on, every recorded node keeps the stack of the forward call that
made it; when a backward formula returns NaN (and ``check_nan`` is on) the engine raises
``RuntimeError`` naming the node (``"Function 'SqrtBackward0' returned nan values in its 0th
output."``) and warns with that forward stack.  The setting is process-wide, as in PyTorch.

Example:
    >>> import ember
    >>> with ember.autograd.set_detect_anomaly(True):
    ...     ember.autograd.is_anomaly_enabled()
    True
    >>> ember.autograd.is_anomaly_enabled()
    False
"""

from __future__ import annotations

import functools
import warnings

from .node import _anomaly

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled"]


def is_anomaly_enabled() -> bool:
    """True while anomaly detection records forward traces."""
    return _anomaly[0]


def is_anomaly_check_nan_enabled() -> bool:
    """True when anomaly detection also fails on NaN gradients."""
    return _anomaly[1]


class detect_anomaly:
    """Context manager / decorator enabling anomaly detection (warns that it is slow).

    Args:
        check_nan: raise when a backward formula returns NaN. Default: True.
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan
        self.prev = (_anomaly[0], _anomaly[1])
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime "
                      "and should only be enabled for debugging.", UserWarning, stacklevel=2)

    def __enter__(self) -> None:
        self.prev = (_anomaly[0], _anomaly[1])
        _anomaly[0], _anomaly[1] = True, self.check_nan

    def __exit__(self, *exc) -> None:
        _anomaly[0], _anomaly[1] = self.prev

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*a, **k):
            prev = (_anomaly[0], _anomaly[1])
            _anomaly[0], _anomaly[1] = True, self.check_nan
            try:
                return fn(*a, **k)
            finally:
                _anomaly[0], _anomaly[1] = prev
        return wrapper


class set_detect_anomaly:
    """Turn anomaly detection on or off (immediately; restores on exit as a context).

    Args:
        mode: enable (True) or disable (False).
        check_nan: raise when a backward formula returns NaN. Default: True.
    """

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev = (_anomaly[0], _anomaly[1])
        _anomaly[0], _anomaly[1] = bool(mode), bool(check_nan)

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc) -> None:
        _anomaly[0], _anomaly[1] = self.prev
