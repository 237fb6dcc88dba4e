"""Padding layers: ``ZeroPad``, ``ConstantPad``, ``ReflectionPad``, ``ReplicationPad`` and
``CircularPad`` in 1, 2 and 3 dimensions (each calls :func:`~ember.nn.functional.pad`)."""

from __future__ import annotations

from .. import functional as F
from .module import Module

__all__ = ["ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "ConstantPad1d", "ConstantPad2d",
           "ConstantPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
           "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "CircularPad1d",
           "CircularPad2d", "CircularPad3d"]


def _widths(padding, nd):
    """``padding`` as F.pad's ``(left, right, top, bottom, front, back)`` tuple (2 * nd)."""
    if isinstance(padding, (list, tuple)):
        return tuple(padding)
    return (padding,) * (2 * nd)


class _PadNd(Module):
    __constants__ = ["padding"]
    _nd = 0
    _mode = "constant"

    def __init__(self, padding) -> None:
        super().__init__()
        self.padding = _widths(padding, self._nd)

    def forward(self, input):
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    __constants__ = ["padding", "value"]

    def __init__(self, padding, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


_DOC = """Pads the last {nd} dimension(s) {how}.

    Args:
        padding (int or {n}-tuple): ``(left, right{more})``; an int pads every side.{value}

    Example:
        >>> import ember
        >>> ember.nn.{name}({args})(ember.ones(1, {size})).shape
        ember.Size([1, {out}])
    """


def _doc(name, nd, how, value=""):
    more = ", top, bottom" if nd >= 2 else ""
    more += ", front, back" if nd == 3 else ""
    size = ", ".join(["3"] * nd)
    out = ", ".join(["5"] * nd)
    args = "1, 2.0" if value else "1"
    return _DOC.format(nd=nd, how=how, n=2 * nd, more=more, value=value, name=name, args=args,
                       size=size, out=out)


_V = "\n        value: the fill value."


class ZeroPad1d(_ConstantPadNd):
    __doc__ = _doc("ZeroPad1d", 1, "with zeros")
    _nd = 1

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ZeroPad1d):
    __doc__ = _doc("ZeroPad2d", 2, "with zeros")
    _nd = 2


class ZeroPad3d(ZeroPad1d):
    __doc__ = _doc("ZeroPad3d", 3, "with zeros")
    _nd = 3


class ConstantPad1d(_ConstantPadNd):
    __doc__ = _doc("ConstantPad1d", 1, "with a constant", _V)
    _nd = 1


class ConstantPad2d(_ConstantPadNd):
    __doc__ = _doc("ConstantPad2d", 2, "with a constant", _V)
    _nd = 2


class ConstantPad3d(_ConstantPadNd):
    __doc__ = _doc("ConstantPad3d", 3, "with a constant", _V)
    _nd = 3


_REFLECT = "by reflecting the input at its edges (edge not repeated)"


class ReflectionPad1d(_PadNd):
    __doc__ = _doc("ReflectionPad1d", 1, _REFLECT)
    _nd = 1
    _mode = "reflect"


class ReflectionPad2d(_PadNd):
    __doc__ = _doc("ReflectionPad2d", 2, _REFLECT)
    _nd = 2
    _mode = "reflect"


class ReflectionPad3d(_PadNd):
    __doc__ = _doc("ReflectionPad3d", 3, _REFLECT)
    _nd = 3
    _mode = "reflect"


_REPLICATE = "by repeating the edge values"


class ReplicationPad1d(_PadNd):
    __doc__ = _doc("ReplicationPad1d", 1, _REPLICATE)
    _nd = 1
    _mode = "replicate"


class ReplicationPad2d(_PadNd):
    __doc__ = _doc("ReplicationPad2d", 2, _REPLICATE)
    _nd = 2
    _mode = "replicate"


class ReplicationPad3d(_PadNd):
    __doc__ = _doc("ReplicationPad3d", 3, _REPLICATE)
    _nd = 3
    _mode = "replicate"


_CIRCULAR = "by wrapping the input around (periodic)"


class CircularPad1d(_PadNd):
    __doc__ = _doc("CircularPad1d", 1, _CIRCULAR)
    _nd = 1
    _mode = "circular"


class CircularPad2d(_PadNd):
    __doc__ = _doc("CircularPad2d", 2, _CIRCULAR)
    _nd = 2
    _mode = "circular"


class CircularPad3d(_PadNd):
    __doc__ = _doc("CircularPad3d", 3, _CIRCULAR)
    _nd = 3
    _mode = "circular"
