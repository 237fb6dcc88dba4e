"""Variable-length sequences: ``PackedSequence``, ``pack_padded_sequence``,
``pad_packed_sequence``, ``pad_sequence``, ``pack_sequence``, ``unpack_sequence``,
``unpad_sequence``."""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..._tensor import Tensor
from ...ops._join import cat, stack

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence",
           "pad_sequence", "unpad_sequence", "pack_sequence", "unpack_sequence"]


def _ember():
    import ember
    return ember


def invert_permutation(permutation):
    """The inverse of a 1-D index permutation (``None`` stays ``None``).

    Example:
        >>> import ember
        >>> from ember.nn.utils.rnn import invert_permutation
        >>> invert_permutation(ember.tensor([2, 0, 1]))
        tensor([1, 2, 0])
    """
    if permutation is None:
        return None
    return _ember().argsort(permutation)


class PackedSequence(namedtuple("PackedSequence",
                                ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """Holds the data and per-time-step batch sizes of a packed batch of sequences.

    Build it with :func:`pack_padded_sequence` or :func:`pack_sequence`, never by hand.
    ``data`` is ``(sum(lengths), *)`` with the time steps concatenated; ``batch_sizes[t]``
    (an int64 CPU tensor) is the number of sequences longer than ``t``; ``sorted_indices``
    (or ``None`` when the input was already sorted) maps sorted position → original batch
    index and ``unsorted_indices`` is its inverse.

    Example:
        >>> import ember
        >>> from ember.nn.utils.rnn import pack_sequence
        >>> p = pack_sequence([ember.tensor([1., 2., 3.]), ember.tensor([4., 5.])])
        >>> p.data, p.batch_sizes
        (tensor([1., 4., 2., 5., 3.]), tensor([2, 2, 1]))
    """

    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            if not isinstance(data, (list, tuple)) or len(data) != 2:
                raise ValueError("PackedSequence: batch_sizes must be given (use "
                                 "pack_padded_sequence or pack_sequence to build one)")
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs) -> PackedSequence:
        """``data.to(*args, **kwargs)``; the index tensors follow ``data``'s device
        (``batch_sizes`` stays on the CPU)."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        dev = data.device
        si = None if self.sorted_indices is None else self.sorted_indices.to(dev)
        ui = None if self.unsorted_indices is None else self.unsorted_indices.to(dev)
        return type(self)(data, self.batch_sizes, si, ui)

    def cuda(self, *args, **kwargs) -> PackedSequence:
        """Move ``data`` to the GPU."""
        return self.to(self.data.cuda(*args, **kwargs).device)

    def cpu(self) -> PackedSequence:
        """Move ``data`` to the CPU."""
        return self.to("cpu")

    def double(self) -> PackedSequence:
        """``data`` as float64."""
        return self.to(dtype=_ember().float64)

    def float(self) -> PackedSequence:
        """``data`` as float32."""
        return self.to(dtype=_ember().float32)

    def half(self) -> PackedSequence:
        """``data`` as float16."""
        return self.to(dtype=_ember().float16)

    @property
    def is_cuda(self) -> bool:
        """Whether ``data`` lives on the GPU."""
        return self.data.is_cuda


def _lengths_list(lengths) -> list:
    if isinstance(lengths, Tensor):
        return [int(v) for v in lengths.cpu().numpy().reshape(-1)]
    return [int(v) for v in lengths]


def pack_padded_sequence(input, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch of variable-length sequences.

    Args:
        input (Tensor): ``(T, B, *)`` (or ``(B, T, *)`` with ``batch_first``).
        lengths (Tensor or list of int): the length of each sequence (all > 0).
        batch_first (bool): layout of ``input``. Default: ``False``.
        enforce_sorted (bool): require decreasing ``lengths``; if ``False`` the batch is sorted
            here and the permutation is stored in the result. Default: ``True``.

    Returns:
        PackedSequence

    Raises:
        RuntimeError: unsorted lengths with ``enforce_sorted=True``, a length <= 0 or longer
            than ``T``, or ``len(lengths)`` different from the batch size.

    Example:
        >>> import ember
        >>> from ember.nn.utils.rnn import pack_padded_sequence
        >>> x = ember.tensor([[1., 4.], [2., 5.], [3., 0.]])
        >>> pack_padded_sequence(x, [3, 2]).batch_sizes
        tensor([2, 2, 1])
    """
    em = _ember()
    lens = _lengths_list(lengths)
    if input.dim() < 2:
        raise ValueError(f"pack_padded_sequence: expected input with at least 2 dimensions, "
                         f"got {input.dim()}")
    if batch_first:
        input = input.transpose(0, 1)
    steps, batch = input.shape[0], input.shape[1]
    if len(lens) != batch:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{len(lens)} (batch_size={batch})")
    if enforce_sorted:
        if any(a < b for a, b in zip(lens, lens[1:], strict=False)):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                "pack_sequence to sidestep this requirement if you do not need ONNX "
                "exportability.")
        sorted_indices = None
    else:
        order = np.argsort(-np.asarray(lens, dtype=np.int64), kind="stable")
        lens = [lens[i] for i in order]
        sorted_indices = em.tensor(order.astype(np.int64), device=input.device)
        input = input.index_select(1, sorted_indices)
    if lens and min(lens) <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element "
                           "in 'lengths' that is <= 0")
    if lens and max(lens) > steps:
        raise RuntimeError(f"pack_padded_sequence: a length ({max(lens)}) exceeds the padded "
                           f"sequence length {steps}")
    larr = np.asarray(lens, dtype=np.int64)
    max_len = int(larr.max()) if lens else 0
    mask = np.arange(max_len)[:, None] < larr[None, :]  # (T', B), time-major
    batch_sizes = mask.sum(1).astype(np.int64)
    flat = np.flatnonzero(mask)  # (t, b) -> t * B + b, valid positions in packed order
    data = input[:max_len].reshape(max_len * batch, *input.shape[2:])
    data = data.index_select(0, em.tensor(flat, device=input.device))
    return PackedSequence(data, em.tensor(batch_sizes), sorted_indices, None)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0, total_length: int | None = None) -> tuple:
    """Inverse of :func:`pack_padded_sequence`: ``(padded, lengths)``.

    Args:
        sequence (PackedSequence): the batch to pad.
        batch_first (bool): return ``(B, T, *)`` instead of ``(T, B, *)``. Default: ``False``.
        padding_value (float): value of the padded positions. Default: ``0.0``.
        total_length (int, optional): pad to this length instead of the longest sequence.

    Returns:
        ``(padded, lengths)`` with ``lengths`` an int64 CPU tensor in the original batch order.

    Raises:
        ValueError: ``total_length`` shorter than the longest sequence.

    Example:
        >>> import ember
        >>> from ember.nn.utils.rnn import pack_sequence, pad_packed_sequence
        >>> p = pack_sequence([ember.tensor([1., 2., 3.]), ember.tensor([4., 5.])])
        >>> pad_packed_sequence(p, batch_first=True)
        (tensor([[1., 2., 3.],
                [4., 5., 0.]]), tensor([3, 2]))
    """
    em = _ember()
    data = sequence.data
    bs = np.asarray(_lengths_list(sequence.batch_sizes), dtype=np.int64)
    max_len = len(bs)
    batch = int(bs[0]) if max_len else 0
    if total_length is not None:
        if total_length < max_len:
            raise ValueError(f"Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {max_len}")
        max_len = total_length
    bs_full = np.zeros(max_len, dtype=np.int64)
    bs_full[:len(bs)] = bs
    lens = (bs[None, :] > np.arange(batch)[:, None]).sum(1).astype(np.int64)
    mask = np.arange(batch)[None, :] < bs_full[:, None]  # (T, B)
    offsets = np.concatenate([[0], np.cumsum(bs)])[:-1] if len(bs) else np.zeros(0, np.int64)
    off_full = np.zeros(max_len, dtype=np.int64)
    off_full[:len(bs)] = offsets
    n = data.shape[0]
    src = off_full[:, None] + np.arange(batch)[None, :]
    gather = np.where(mask, src, n).reshape(-1)
    pad_row = em.full((1, *data.shape[1:]), padding_value, dtype=data.dtype, device=data.device)
    padded = cat([data, pad_row], 0).index_select(0, em.tensor(gather, device=data.device))
    padded = padded.reshape(max_len, batch, *data.shape[1:])
    lengths = em.tensor(lens)
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(1, sequence.unsorted_indices)
        lengths = lengths.index_select(0, sequence.unsorted_indices.cpu())
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, lengths


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right"):
    """Stack variable-length ``(L_i, *)`` tensors into one padded tensor.

    Args:
        sequences (list of Tensor): with equal trailing dimensions.
        batch_first (bool): ``(B, T, *)`` instead of ``(T, B, *)``. Default: ``False``.
        padding_value (float): value of the padding. Default: ``0.0``.
        padding_side (str): ``"right"`` or ``"left"``. Default: ``"right"``.

    Shape:
        ``T = max(L_i)``; output ``(T, B, *)`` or ``(B, T, *)``.

    Raises:
        RuntimeError: unknown ``padding_side`` or mismatching trailing dimensions.

    Example:
        >>> import ember
        >>> from ember.nn.utils.rnn import pad_sequence
        >>> pad_sequence([ember.tensor([1., 2.]), ember.tensor([3.])], batch_first=True)
        tensor([[1., 2.],
                [3., 0.]])
    """
    em = _ember()
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got "
                           f"{padding_side}.")
    if isinstance(sequences, Tensor):
        sequences = list(sequences.unbind(0))
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    trailing = tuple(sequences[0].shape[1:])
    for s in sequences[1:]:
        if tuple(s.shape[1:]) != trailing:
            raise RuntimeError(f"pad_sequence: all sequences must have the same trailing "
                               f"dimensions, got {list(trailing)} and {list(s.shape[1:])}")
    max_len = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        extra = max_len - s.shape[0]
        if extra:
            pad = em.full((extra, *trailing), padding_value, dtype=s.dtype, device=s.device)
            s = cat([s, pad] if padding_side == "right" else [pad, s], 0)
        padded.append(s)
    return stack(padded, 0 if batch_first else 1)


def unpad_sequence(padded_sequences, lengths, batch_first: bool = False) -> list:
    """Split a padded batch back into a list of its sequences (inverse of
    :func:`pad_sequence`).

    Example:
        >>> import ember
        >>> from ember.nn.utils.rnn import unpad_sequence
        >>> [t.tolist() for t in unpad_sequence(ember.tensor([[1., 3.], [2., 0.]]), [2, 1])]
        [[1.0, 2.0], [3.0]]
    """
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [padded_sequences[i, :n] for i, n in enumerate(_lengths_list(lengths))]


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of ``(L_i, *)`` tensors (``pad_sequence`` then ``pack_padded_sequence``).

    Example:
        >>> import ember
        >>> from ember.nn.utils.rnn import pack_sequence
        >>> pack_sequence([ember.tensor([1.]), ember.tensor([2., 3.])],
        ...               enforce_sorted=False).sorted_indices
        tensor([1, 0])
    """
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list:
    """The list of sequences held by a ``PackedSequence`` (inverse of :func:`pack_sequence`).

    Example:
        >>> import ember
        >>> from ember.nn.utils.rnn import pack_sequence, unpack_sequence
        >>> p = pack_sequence([ember.tensor([1.]), ember.tensor([2., 3.])], enforce_sorted=False)
        >>> [t.tolist() for t in unpack_sequence(p)]
        [[1.0], [2.0, 3.0]]
    """
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
