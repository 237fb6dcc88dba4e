"""``ember.Size`` (a tuple subclass, as ``torch.Size``), layouts and memory formats."""

from __future__ import annotations

__all__ = ["Size", "strided", "contiguous_format", "channels_last", "preserve_format",
           "UntypedStorage"]


class Size(tuple):
    """The shape of a tensor: a tuple of ints that prints as ``ember.Size([2, 3])``.

    Example:
        >>> import ember
        >>> s = ember.Size([2, 3])
        >>> s.numel(), s[1:]
        (6, ember.Size([3]))
    """

    __slots__ = ()

    def __new__(cls, seq=()):
        return tuple.__new__(cls, (int(s) for s in seq))

    def __repr__(self) -> str:
        return f"ember.Size([{', '.join(map(str, self))}])"

    def __getitem__(self, i):
        r = tuple.__getitem__(self, i)
        return Size(r) if isinstance(i, slice) else r

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __reduce__(self):
        return (Size, (tuple(self),))


class _Named:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"ember.{self.name}"

    def __reduce__(self):
        return (_named, (self.name,))


_NAMED = {}


def _named(name):
    return _NAMED[name]


strided = _NAMED["strided"] = _Named("strided")
contiguous_format = _NAMED["contiguous_format"] = _Named("contiguous_format")
channels_last = _NAMED["channels_last"] = _Named("channels_last")
preserve_format = _NAMED["preserve_format"] = _Named("preserve_format")


class UntypedStorage:
    """The memory under a tensor and its views (a view of the owning array's bytes)."""

    def __init__(self, arr) -> None:
        self._arr = arr

    def data_ptr(self) -> int:
        a = self._arr
        return a.__array_interface__["data"][0] if hasattr(a, "__array_interface__") \
            else a.data.ptr

    def nbytes(self) -> int:
        return int(self._arr.nbytes)

    def size(self) -> int:
        return int(self._arr.nbytes)

    def __len__(self) -> int:
        return int(self._arr.nbytes)
