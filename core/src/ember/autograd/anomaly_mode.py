"""Anomaly detection: record forward stack traces and fail on NaN gradients.

Inside ``detect_anomaly()`` every recorded node keeps the stack of the forward call that made
it; when a backward formula returns NaN the engine raises ``RuntimeError`` naming the node
(``"Function 'LogBackward0' returned nan values in its 0th output."``) and warns with that
forward stack.

Example:
    >>> import ember
    >>> x = ember.tensor([0.0], requires_grad=True)
    >>> with ember.autograd.detect_anomaly(check_nan=True):
    ...     y = (x * 0).sqrt()
    >>> y.requires_grad
    True
"""

from __future__ import annotations

import warnings

from .node import _anomaly

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled"]


def is_anomaly_enabled() -> bool:
    return _anomaly[0]


class detect_anomaly:
    """Context manager / decorator enabling anomaly detection."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan
        self.prev = _anomaly[0]
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime "
                      "and should only be enabled for debugging.", UserWarning, stacklevel=2)

    def __enter__(self) -> None:
        self.prev = _anomaly[0]
        _anomaly[0] = True

    def __exit__(self, *exc) -> None:
        _anomaly[0] = self.prev

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*a, **k):
            prev = _anomaly[0]
            _anomaly[0] = True
            try:
                return fn(*a, **k)
            finally:
                _anomaly[0] = prev
        return wrapper


class set_detect_anomaly:
    """Turn anomaly detection on or off (immediately; restores on exit as a context)."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev = _anomaly[0]
        _anomaly[0] = bool(mode)

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc) -> None:
        _anomaly[0] = self.prev
