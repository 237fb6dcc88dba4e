"""Lookup-table layers: ``Embedding`` and ``EmbeddingBag``."""

from __future__ import annotations

from ...autograd.grad_mode import no_grad
from ...ops.creation import empty
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["Embedding", "EmbeddingBag"]


def _check_padding(padding_idx, num: int):
    """``padding_idx`` made non-negative; AssertionError (PyTorch's type) when out of range."""
    if padding_idx is None:
        return None
    if not -num <= padding_idx < num:
        raise AssertionError("Padding_idx must be within num_embeddings")
    return padding_idx + num if padding_idx < 0 else padding_idx


def _init_weight(module, num_embeddings, embedding_dim, _weight, requires_grad, factory_kwargs):
    if _weight is None:
        module.weight = Parameter(empty((num_embeddings, embedding_dim), **factory_kwargs),
                                  requires_grad=requires_grad)
        module.reset_parameters()
    else:
        if list(_weight.shape) != [num_embeddings, embedding_dim]:
            raise AssertionError("Shape of weight does not match num_embeddings and "
                                 "embedding_dim")
        module.weight = Parameter(_weight, requires_grad=requires_grad)


class _Lookup(Module):
    def reset_parameters(self) -> None:
        """Weight ~ N(0, 1); the ``padding_idx`` row zero."""
        init.normal_(self.weight)
        self._fill_padding_idx_with_zero()

    def _fill_padding_idx_with_zero(self) -> None:
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx].fill_(0)


class Embedding(_Lookup):
    """A lookup table of ``num_embeddings`` vectors of size ``embedding_dim``.

    Args:
        num_embeddings: size of the table.
        embedding_dim: size of each vector.
        padding_idx: row initialised to zeros that gets no gradient (negative counts from
            the end). Default ``None``.
        max_norm: looked-up rows with a larger ``norm_type``-norm are renormalised in place.
            Default ``None``.
        norm_type: p of the p-norm for ``max_norm``. Default 2.
        scale_grad_by_freq: scale gradients by the inverse frequency of the indices in the
            batch. Default ``False``.
        sparse: accepted; gradients are dense.

    Shape:
        input ``(*)`` int64/int32, output ``(*, embedding_dim)``.

    Raises:
        AssertionError: ``padding_idx`` out of range (PyTorch's type).

    Example:
        >>> import ember
        >>> ember.nn.Embedding(10, 3, padding_idx=0)
        Embedding(10, 3, padding_idx=0)
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx=None,
                 max_norm=None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                 sparse: bool = False, _weight=None, _freeze: bool = False, device=None,
                 dtype=None) -> None:
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = _check_padding(padding_idx, num_embeddings)
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        _init_weight(self, num_embeddings, embedding_dim, _weight, not _freeze,
                     {"device": device, "dtype": dtype})
        self.sparse = sparse

    def forward(self, input):
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                           self.scale_grad_by_freq, self.sparse)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        if self.sparse is not False:
            s += ", sparse=True"
        return s

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, max_norm=None,
                        norm_type=2.0, scale_grad_by_freq=False, sparse=False):
        """An ``Embedding`` whose weight is ``embeddings`` (shared), frozen by default.

        Raises:
            AssertionError: ``embeddings`` not 2-D (PyTorch's type).

        Example:
            >>> import ember
            >>> e = ember.nn.Embedding.from_pretrained(ember.tensor([[1., 2.], [3., 4.]]))
            >>> e(ember.tensor([1]))
            tensor([[3., 4.]])
        """
        if embeddings.dim() != 2:
            raise AssertionError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = embeddings.shape
        return cls(num_embeddings=rows, embedding_dim=cols, _weight=embeddings, _freeze=freeze,
                   padding_idx=padding_idx, max_norm=max_norm, norm_type=norm_type,
                   scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


class EmbeddingBag(_Lookup):
    """Sums, means or maxima of bags of embeddings (see ``F.embedding_bag``).

    Args:
        num_embeddings, embedding_dim, max_norm, norm_type, scale_grad_by_freq, sparse,
            padding_idx: as in :class:`Embedding` (``padding_idx`` entries are left out of
            the bags).
        mode: ``"sum"``, ``"mean"`` or ``"max"``. Default ``"mean"``.
        include_last_offset: ``offsets`` ends with the end of the last bag. Default ``False``.

    Shape:
        ``forward(input, offsets=None, per_sample_weights=None)``: output
        ``(B, embedding_dim)``.

    Example:
        >>> import ember
        >>> ember.nn.EmbeddingBag(10, 3, mode="sum")
        EmbeddingBag(10, 3, mode='sum')
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, max_norm=None,
                 norm_type: float = 2.0, scale_grad_by_freq: bool = False, mode: str = "mean",
                 sparse: bool = False, _weight=None, include_last_offset: bool = False,
                 padding_idx=None, device=None, dtype=None) -> None:
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.padding_idx = _check_padding(padding_idx, num_embeddings)
        _init_weight(self, num_embeddings, embedding_dim, _weight, True,
                     {"device": device, "dtype": dtype})
        self.mode = mode
        self.sparse = sparse
        self.include_last_offset = include_last_offset

    def forward(self, input, offsets=None, per_sample_weights=None):
        return F.embedding_bag(input, self.weight, offsets, self.max_norm, self.norm_type,
                               self.scale_grad_by_freq, self.mode, self.sparse,
                               per_sample_weights, self.include_last_offset, self.padding_idx)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm!r}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type!r}"
        if self.scale_grad_by_freq is not False:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq!r}"
        s += f", mode={self.mode!r}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx!r}"
        return s

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, max_norm=None, norm_type=2.0,
                        scale_grad_by_freq=False, mode="mean", sparse=False,
                        include_last_offset=False, padding_idx=None):
        """An ``EmbeddingBag`` whose weight is ``embeddings`` (shared), frozen by default.

        Raises:
            AssertionError: ``embeddings`` not 2-D (PyTorch's type).

        Example:
            >>> import ember
            >>> bag = ember.nn.EmbeddingBag.from_pretrained(ember.tensor([[1., 2.], [3., 4.]]))
            >>> bag(ember.tensor([[0, 1]]))
            tensor([[2., 3.]])
        """
        if embeddings.dim() != 2:
            raise AssertionError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = embeddings.shape
        bag = cls(num_embeddings=rows, embedding_dim=cols, _weight=embeddings,
                  max_norm=max_norm, norm_type=norm_type, scale_grad_by_freq=scale_grad_by_freq,
                  mode=mode, sparse=sparse, include_last_offset=include_last_offset,
                  padding_idx=padding_idx)
        bag.weight.requires_grad = not freeze
        return bag
