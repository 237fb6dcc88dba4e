"""``Flatten`` and ``Unflatten``."""

from __future__ import annotations

from .module import Module

__all__ = ["Flatten", "Unflatten"]


class Flatten(Module):
    """Flatten dimensions ``start_dim`` … ``end_dim`` into one (``input.flatten``).

    Args:
        start_dim (int): default 1 (keeps the batch dimension).
        end_dim (int): default -1.

    Shape:
        ``(*, S_start, …, S_end, *)`` → ``(*, ∏ S, *)``.

    Example:
        >>> import ember
        >>> ember.nn.Flatten()(ember.ones(32, 1, 5, 5)).shape
        ember.Size([32, 25])
    """

    __constants__ = ["start_dim", "end_dim"]

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Expand dimension ``dim`` into ``unflattened_size`` (``input.unflatten``).

    Args:
        dim (int): the dimension to expand.
        unflattened_size (tuple or list of ints): its new shape (may hold one ``-1``).

    Raises:
        TypeError: ``dim`` not an int (named tensors are not supported), or sizes that are not
            a tuple/list of ints.

    Example:
        >>> import ember
        >>> ember.nn.Unflatten(1, (2, 5, 5))(ember.ones(2, 50)).shape
        ember.Size([2, 2, 5, 5])
    """

    __constants__ = ["dim", "unflattened_size"]

    def __init__(self, dim, unflattened_size) -> None:
        super().__init__()
        if isinstance(dim, int) and not isinstance(dim, bool):
            self._require_tuple_int(unflattened_size)
        elif isinstance(dim, str):
            raise TypeError("Unflatten: named dimensions are not supported by ember (no named "
                            "tensors)")
        else:
            raise TypeError("invalid argument type for dim parameter")
        self.dim = dim
        self.unflattened_size = unflattened_size

    @staticmethod
    def _require_tuple_int(input) -> None:
        if isinstance(input, (tuple, list)):
            for idx, elem in enumerate(input):
                if not isinstance(elem, int):
                    raise TypeError("unflattened_size must be tuple of ints, but found element "
                                    f"of type {type(elem).__name__} at pos {idx}")
            return
        raise TypeError(f"unflattened_size must be a tuple of ints, but found type "
                        f"{type(input).__name__}")

    def forward(self, input):
        return input.unflatten(self.dim, self.unflattened_size)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
