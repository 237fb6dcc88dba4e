"""Embedding lookups: :func:`embedding` and :func:`embedding_bag`.

``embedding`` is one node: a row gather forward, and a backward that adds the output
gradient rows into a zero weight gradient (ember ``index_add``, so double backward works;
sort + segment sums on arrays for plain backward passes).  ``embedding_bag`` reduces the
looked-up rows per bag with ember ops on top of it.
"""

from __future__ import annotations

import numpy as np

from ..._tensor import Tensor
from ...autograd import grad_mode
from ...autograd.node import Node
from ...ops._dispatch import apply, xp_of

__all__ = ["embedding", "embedding_bag"]

_INT_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "bool": "Bool",
              "uint8": "Byte", "int8": "Char", "int16": "Short", "bfloat16": "BFloat16"}


def _row_sums(xp, n: int, idx, g):
    """``out[idx[i]] += g[i]`` for a flat index vector, as a ``(n, D)`` array."""
    out = xp.zeros((n,) + g.shape[1:], dtype=g.dtype)
    if idx.size == 0:
        return out
    if xp is np:
        # NOTE: sort + segment sums (np.add.reduceat) instead of np.add.at's slow scatter
        order = np.argsort(idx, kind="stable")
        s = idx[order]
        starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
        out[s[starts]] = np.add.reduceat(g[order], starts, axis=0)
    else:
        xp.add.at(out, idx, g)
    return out


class _Embedding(Node):
    """``weight[indices]``; gradient rows scaled by ``self.scale`` (padding / frequency)."""

    def forward(self, xp, w, idx, scale):
        self.idx, self.scale, self.num = idx.reshape(-1), scale, w.shape[0]
        return xp.take(w, idx, axis=0)

    def _release_extra(self) -> None:
        self.idx = self.scale = None

    def fast(self, g):
        g2 = g.reshape(self.idx.size, -1)
        if self.scale is not None:
            g2 = g2 * self.scale
        return (_row_sums(xp_of(g), self.num, self.idx, g2),)

    def backward(self, gy):
        from ...ops.creation import zeros
        g2 = gy.reshape(self.idx.size, -1)
        if self.scale is not None:
            g2 = g2 * Tensor._make(self.scale.astype(g2._data.dtype, copy=False))
        z = zeros((self.num, g2.shape[1]), dtype=gy.dtype, device=gy.device)
        return (z.index_add(0, Tensor._make(self.idx), g2),)


def _check_indices(input, op: str) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(input).__name__}")
    if input.dtype.name not in ("int64", "int32"):
        name = _INT_NAMES.get(input.dtype.name, input.dtype.name)
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the "
                           "following scalar types: Long, Int; but got ember."
                           f"{name}Tensor instead (while checking arguments for {op})")


def _padding(padding_idx, num: int):
    if padding_idx is None:
        return None
    if not -num <= padding_idx < num:
        # NOTE: AssertionError (raised, not asserted) is PyTorch's exception type here
        raise AssertionError("Padding_idx must be within num_embeddings")
    return padding_idx + num if padding_idx < 0 else padding_idx


def _renorm_(weight, idx, max_norm, norm_type) -> None:
    """Rows of ``weight`` used by ``idx`` whose ``norm_type``-norm exceeds ``max_norm`` are
    rescaled in place to norm ``max_norm`` (PyTorch's ``embedding_renorm_``)."""
    xp = xp_of(weight._data)
    rows = xp.unique(idx.reshape(-1))
    if rows.size == 0:
        return
    w = weight._data
    sel = xp.abs(w[rows])
    p = float(norm_type)
    if p == float("inf"):
        norms = sel.max(1)
    elif p == 1:
        norms = sel.sum(1)
    else:
        norms = (sel ** p).sum(1) ** (1.0 / p)
    big = norms > max_norm
    # NOTE: 1e-7 keeps the division finite, as PyTorch's renorm
    scale = xp.where(big, max_norm / (norms + 1e-7), 1.0).astype(w.dtype)
    w[rows] *= scale[:, None]
    weight._bump()


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Look up rows of ``weight``: ``out[..., :] = weight[input[...], :]``.

    Args:
        input: int64/int32 tensor of indices in ``[0, num_embeddings)``.
        weight: ``(num_embeddings, embedding_dim)`` tensor.
        padding_idx: row that receives no gradient (negative counts from the end).
            Default ``None``.
        max_norm: rows looked up whose ``norm_type``-norm exceeds it are rescaled in place
            to this norm before the lookup. Default ``None``.
        norm_type: the p of the p-norm for ``max_norm``. Default 2.
        scale_grad_by_freq: scale each row's gradient by the inverse of its number of
            occurrences in ``input``. Default ``False``.
        sparse: accepted for compatibility; the gradient is dense.

    Shape:
        input ``(*)``, output ``(*, embedding_dim)``.

    Raises:
        RuntimeError: non-integer indices.
        IndexError: an index out of range.
        AssertionError: ``padding_idx`` out of range (PyTorch's type).

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> F.embedding(ember.tensor([2, 0]), ember.tensor([[0., 1.], [2., 3.], [4., 5.]]))
        tensor([[4., 5.],
                [0., 1.]])
    """
    _check_indices(input, "embedding")
    if weight.dim() != 2:
        raise RuntimeError(f"'weight' must be 2-D, got a {weight.dim()}-D tensor")
    num = weight.shape[0]
    pad = _padding(padding_idx, num)
    idx = input._data
    if idx.size and bool(((idx < 0) | (idx >= num)).any()):
        raise IndexError("index out of range in self")
    if max_norm is not None:
        with grad_mode.no_grad():
            _renorm_(weight, idx, max_norm, norm_type)
    scale = None
    if (pad is not None or scale_grad_by_freq) and weight.requires_grad:
        xp = xp_of(idx)
        flat = idx.reshape(-1)
        scale = xp.ones(flat.size, dtype=weight._data.dtype)
        if scale_grad_by_freq:
            scale = scale / xp.bincount(flat, minlength=num)[flat]
        if pad is not None:
            scale = scale * (flat != pad)
        scale = scale[:, None]
    node = _Embedding()
    return apply(node, (weight,), weight._data, idx, scale)


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False,
                  mode="mean", sparse=False, per_sample_weights=None, include_last_offset=False,
                  padding_idx=None):
    """Sums, means or maxima of bags of embeddings, without the intermediate lookup tensor.

    A 2-D ``input`` ``(B, L)`` is B bags of L indices; a 1-D ``input`` is cut into bags at
    ``offsets`` (bag ``b`` is ``input[offsets[b]:offsets[b + 1]]``).  Entries equal to
    ``padding_idx`` are left out (and not counted by ``mean``); empty bags give zeros.

    Args:
        input: int64/int32 indices, 1-D (with ``offsets``) or 2-D.
        weight: ``(num_embeddings, embedding_dim)`` tensor.
        offsets: 1-D int tensor of bag starts (1-D input only). Default ``None``.
        max_norm, norm_type, scale_grad_by_freq, sparse: as in :func:`embedding`.
        mode: ``"sum"``, ``"mean"`` or ``"max"``. Default ``"mean"``.
        per_sample_weights: weights of ``input``'s shape multiplying each looked-up row
            (``mode="sum"`` only). Default ``None``.
        include_last_offset: ``offsets`` has one more entry, the end of the last bag.
            Default ``False``.
        padding_idx: index excluded from the reductions. Default ``None``.

    Shape:
        output ``(B, embedding_dim)``.

    Raises:
        ValueError: bad shapes, offsets with 2-D input, unknown mode.
        NotImplementedError: ``per_sample_weights`` with a mode other than ``"sum"``.
        RuntimeError: ``offsets`` not starting at 0 or beyond the input.

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> w = ember.tensor([[0., 1.], [2., 3.], [4., 5.]])
        >>> F.embedding_bag(ember.tensor([0, 2, 1]), w, ember.tensor([0, 2]), mode="sum")
        tensor([[4., 6.],
                [2., 3.]])
    """
    from ...ops.creation import full, zeros
    from ...ops.shape import cat

    _check_indices(input, "embedding_bag")
    psw = per_sample_weights
    if psw is not None and tuple(input.shape) != tuple(psw.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights ({psw.shape}) is not None, then "
                         f"it must have the same shape as the input ({input.shape})")
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension "
                         f"{weight.dim()}")
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated "
                             "is a mini-batch of fixed length sequences. However, found offsets "
                             f"of type {type(offsets)}")
        b_, length = input.shape
        off = np.arange(0, b_ * length, length, dtype=np.int64) if length else \
            np.zeros(b_, dtype=np.int64)
        include_last_offset = False
        input = input.reshape(-1)
        if psw is not None:
            psw = psw.reshape(-1)
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        _check_indices(offsets, "embedding_bag")
        off = offsets.cpu().numpy().astype(np.int64)
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{input.dim()}")
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if psw is not None and mode != "sum":
        raise NotImplementedError("embedding_bag: per_sample_weights was not None. "
                                  "per_sample_weights is only supported for mode='sum' (got "
                                  f"mode='{mode}'). Please open a feature request on GitHub.")
    n = input.shape[0]
    if off.size and off[0] != 0:
        raise RuntimeError("offsets[0] has to be 0, i.e., the first sequence in the mini-batch "
                           f"has to start from position 0. However, got {off[0]}")
    if off.size and off[-1] > n:
        raise RuntimeError(f"offsets[-1] can not be greater than input's length {n}, but got "
                           f"{off[-1]}")
    if off.size > 1 and bool((off[1:] < off[:-1]).any()):
        raise RuntimeError("embedding_bag: offsets must be non-decreasing")
    if include_last_offset:
        starts, end = off[:-1], (int(off[-1]) if off.size else 0)
    else:
        starts, end = off, n
    nbags, dim = starts.size, weight.shape[1]
    pad = _padding(padding_idx, weight.shape[0])
    # which bag each entry falls in, and which entries take part (not padding, before the end)
    idx = input.cpu().numpy().reshape(-1)
    pos = np.arange(n)
    bag = np.searchsorted(starts, pos, side="right") - 1
    keep = (pos < end) & (bag >= 0)
    if pad is not None:
        keep &= idx != pad
    kept = np.flatnonzero(keep)
    bag = bag[kept]
    sel = input if kept.size == n else input[Tensor._make(kept).to(input.device)]
    rows = embedding(sel, weight, None, max_norm, norm_type, scale_grad_by_freq, sparse)
    dev, dt = weight.device, weight.dtype
    bag_t = Tensor._make(bag).to(dev)
    counts = np.bincount(bag, minlength=nbags) if nbags else np.zeros(0, dtype=np.int64)
    if mode in ("sum", "mean"):
        if psw is not None:
            w_ = psw if kept.size == n else psw[Tensor._make(kept).to(psw.device)]
            rows = rows * w_.unsqueeze(1)
        out = zeros((nbags, dim), dtype=dt, device=dev).index_add(0, bag_t, rows)
        if mode == "mean":
            denom = np.maximum(counts, 1).astype(dt.np)[:, None]
            out = out / Tensor._make(denom).to(dev)
        return out
    # max: gather each bag's rows into a dense (B, longest, D) block padded with -inf
    width = int(counts.max()) if counts.size else 0
    if width == 0:
        return zeros((nbags, dim), dtype=dt, device=dev)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    slot = np.full((nbags, width), kept.size, dtype=np.int64)
    slot[bag, np.arange(kept.size) - first[bag]] = np.arange(kept.size)
    ext = cat([rows, full((1, dim), float("-inf"), dtype=dt, device=dev)], 0)
    dense = ext[Tensor._make(slot).to(dev)]
    out = dense.max(1).values
    empty = Tensor._make((counts == 0)[:, None]).to(dev)
    return out.masked_fill(empty, 0.0)

