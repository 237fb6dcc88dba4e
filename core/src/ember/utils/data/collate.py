"""Collation: merge a list of samples into a batch (``torch.utils.data._utils.collate``).

:func:`collate` walks the structure of the first sample. Leaf types are looked up in a plain
dict ``collate_fn_map`` (exact type first, then ``isinstance`` in insertion order); containers
(mappings, namedtuples, sequences) are collated field by field. :data:`default_collate_fn_map`
is the table :func:`default_collate` uses — extend it in place to teach it new types.

Example:
    >>> import ember
    >>> from ember.utils.data import default_collate
    >>> b = default_collate([{"x": ember.zeros(2), "y": 1}, {"x": ember.ones(2), "y": 2}])
    >>> b["x"].shape, b["y"]
    (ember.Size([2, 2]), tensor([1, 2]))
"""

from __future__ import annotations

import collections.abc
import copy
import re
from collections.abc import Callable

import numpy as np

from ..._tensor import Tensor

__all__ = ["collate", "default_collate", "default_convert", "default_collate_fn_map",
           "collate_tensor_fn", "collate_numpy_array_fn", "collate_numpy_scalar_fn",
           "collate_float_fn", "collate_int_fn", "collate_str_fn"]

# numpy dtypes that cannot become tensors: strings (S, a, U) and objects (O).
np_str_obj_array_pattern = re.compile(r"[SaUO]")

default_collate_err_msg_format = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
    "found {}")


def _ember():
    import ember
    return ember


def _is_numpy_value(x) -> bool:
    t = type(x)
    return t.__module__ == "numpy" and t.__name__ not in ("str_", "bytes_", "string_")


def default_convert(data):
    """Convert numpy arrays and scalars inside ``data`` to tensors; keep everything else.

    Containers (mappings, namedtuples, sequences) are rebuilt with converted elements; tuples
    become lists (as in PyTorch). Used by the DataLoader when ``batch_size=None``.

    Args:
        data: one sample.

    Example:
        >>> import numpy as np
        >>> from ember.utils.data import default_convert
        >>> default_convert({"a": np.array([1, 2]), "b": "text"})
        {'a': tensor([1, 2]), 'b': 'text'}
    """
    if isinstance(data, Tensor):
        return data
    if _is_numpy_value(data):
        if isinstance(data, np.ndarray) and np_str_obj_array_pattern.search(data.dtype.str):
            return data
        return _ember().as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        items = {key: default_convert(data[key]) for key in data}
        return _rebuild_mapping(data, items)
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild_sequence(data, [default_convert(d) for d in data])
    return data


def _rebuild_mapping(template, items: dict):
    """A mapping of ``template``'s type holding ``items`` (a plain dict when that fails)."""
    try:
        if isinstance(template, collections.abc.MutableMapping):
            clone = copy.copy(template)
            clone.update(items)
            return clone
        return type(template)(items)
    except TypeError:
        return items


def _rebuild_sequence(template, items: list):
    """A sequence of ``template``'s type holding ``items`` (a list when that fails)."""
    try:
        if isinstance(template, collections.abc.MutableSequence):
            clone = copy.copy(template)
            for i, v in enumerate(items):
                clone[i] = v
            return clone
        return type(template)(items)
    except TypeError:
        return items


def collate(batch, *, collate_fn_map: dict[type | tuple[type, ...], Callable] | None = None):
    """Collate a list of samples, dispatching leaves through ``collate_fn_map``.

    Mappings collate per key, namedtuples per field (same type), other sequences are transposed
    (all samples must have the same length; tuples come back as lists).

    Args:
        batch (list): the samples.
        collate_fn_map (dict, optional): type (or tuple of types) → function called as
            ``fn(batch, collate_fn_map=collate_fn_map)``.

    Raises:
        RuntimeError: sequences of different lengths.
        TypeError: an element type with no handler and no container structure.

    Example:
        >>> from ember.utils.data.collate import collate
        >>> collate([(1, "a"), (2, "b")], collate_fn_map={int: lambda b, collate_fn_map: sum(b),
        ...                                                str: lambda b, collate_fn_map: b})
        [3, ('a', 'b')]
    """
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for key, fn in collate_fn_map.items():
            if isinstance(elem, key):
                return fn(batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        items = {key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map)
                 for key in elem}
        return _rebuild_mapping(elem, items)
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        # NOTE: columns are passed on as tuples (so strings stay tuples), as PyTorch does.
        return elem_type(*(collate(s, collate_fn_map=collate_fn_map)
                           for s in zip(*batch, strict=True)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(e) != size for e in batch):
            sizes = sorted({len(e) for e in batch})
            raise RuntimeError(f"each element in list of batch should be of equal size "
                               f"(found sizes {sizes})")
        columns = [collate(s, collate_fn_map=collate_fn_map) for s in zip(*batch, strict=True)]
        if isinstance(elem, tuple):
            return columns
        return _rebuild_sequence(elem, columns)
    raise TypeError(default_collate_err_msg_format.format(elem_type))


def collate_tensor_fn(batch, *, collate_fn_map=None):
    """Stack tensors along a new dimension 0 (shapes must match)."""
    return _ember().stack(batch, 0)


def collate_numpy_array_fn(batch, *, collate_fn_map=None):
    """Convert numpy arrays to tensors and stack them (string/object arrays are refused)."""
    elem = batch[0]
    if np_str_obj_array_pattern.search(elem.dtype.str) is not None:
        raise TypeError(default_collate_err_msg_format.format(elem.dtype))
    shapes = {b.shape for b in batch}
    if len(shapes) > 1:
        raise RuntimeError(f"stack expects each array to be equal size, but got shapes "
                           f"{sorted(shapes)} in the batch")
    # One np.stack instead of one tensor per sample: same values, one copy.
    return _ember().from_numpy(np.stack(batch, 0))


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None):
    """numpy scalars → a 1-D tensor of their dtype."""
    return _ember().as_tensor(np.array(batch))


def collate_float_fn(batch, *, collate_fn_map=None):
    """Python floats → a float64 tensor."""
    em = _ember()
    return em.tensor(batch, dtype=em.float64)


def collate_int_fn(batch, *, collate_fn_map=None):
    """Python ints → an int64 tensor (bools → a bool tensor)."""
    return _ember().tensor(batch)


def collate_str_fn(batch, *, collate_fn_map=None):
    """Strings and bytes are returned as given (the batch list, or a transposed tuple)."""
    return batch


default_collate_fn_map: dict[type | tuple[type, ...], Callable] = {
    Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def default_collate(batch):
    """Merge a list of samples into a batch, the way PyTorch's DataLoader does by default.

    ============================  =============================================
    element type                  batch
    ============================  =============================================
    Tensor / numpy array          ``stack`` along a new dimension 0
    numpy scalar                  1-D tensor of that dtype
    float / int (bool)            float64 / int64 (bool) tensor
    str / bytes                   the batch unchanged
    Mapping                       same mapping type, each key collated
    namedtuple                    same namedtuple type, each field collated
    Sequence                      transposed, each position collated (tuple → list)
    ============================  =============================================

    Args:
        batch (list): the samples.

    Raises:
        TypeError: an unsupported element type (the message lists the accepted ones), or a
            numpy array of strings/objects.
        RuntimeError: sequences of different lengths, or tensors of different shapes.

    Example:
        >>> import ember
        >>> from ember.utils.data import default_collate
        >>> default_collate([(1, 2.5), (3, 0.5)])
        [tensor([1, 3]), tensor([2.5000, 0.5000], dtype=ember.float64)]
    """
    return collate(batch, collate_fn_map=default_collate_fn_map)
