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


class _ZeroPad:
    """Mixed in before ``ConstantPad{n}d``: the fill value is always 0 (PyTorch's ZeroPad
    classes subclass the ConstantPad ones)."""

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


def _define(name, bases, nd, mode, how, value=""):
    """One public padding class: ``bases`` with the dimension count and mode as class
    attributes (module-level names, so pickling and ``repr`` work as for a class statement)."""
    return type(name, bases, {"__doc__": _doc(name, nd, how, value), "__module__": __name__,
                              "__qualname__": name, "_nd": nd, "_mode": mode})


_HOW = {"reflect": "by reflecting the input at its edges (edge not repeated)",
        "replicate": "by repeating the edge values",
        "circular": "by wrapping the input around (periodic)"}

ConstantPad1d, ConstantPad2d, ConstantPad3d = (
    _define(f"ConstantPad{n}d", (_ConstantPadNd,), n, "constant", "with a constant", _V)
    for n in (1, 2, 3))
ZeroPad1d, ZeroPad2d, ZeroPad3d = (
    _define(f"ZeroPad{n}d", (_ZeroPad, const), n, "constant", "with zeros")
    for n, const in ((1, ConstantPad1d), (2, ConstantPad2d), (3, ConstantPad3d)))
ReflectionPad1d, ReflectionPad2d, ReflectionPad3d = (
    _define(f"ReflectionPad{n}d", (_PadNd,), n, "reflect", _HOW["reflect"]) for n in (1, 2, 3))
ReplicationPad1d, ReplicationPad2d, ReplicationPad3d = (
    _define(f"ReplicationPad{n}d", (_PadNd,), n, "replicate", _HOW["replicate"])
    for n in (1, 2, 3))
CircularPad1d, CircularPad2d, CircularPad3d = (
    _define(f"CircularPad{n}d", (_PadNd,), n, "circular", _HOW["circular"]) for n in (1, 2, 3))
