"""The table of op records for ember's core ops, one module per op family.

Each module holds ``RECORDS: list[OpRecord]``; the core tests run them with
:func:`ember.testing.check_op`, and the parity session runs the same records against
PyTorch.  Domain packages may build their own tables the same way.
"""

from __future__ import annotations

from importlib import import_module

FAMILIES = ("unary", "binary", "reduction", "shape", "indexing", "matmul", "linalg",
            "sorting", "nn_norm", "nn_sparse", "nn_activation", "nn_loss", "nn_conv")

__all__ = ["FAMILIES", "records"]


def records(family: str | None = None) -> list:
    """All records, or those of one family (a name from ``FAMILIES``)."""
    if family is not None and family not in FAMILIES:
        raise ValueError(f"unknown op family {family!r}; choose one of {FAMILIES}")
    names = FAMILIES if family is None else (family,)
    out = []
    for n in names:
        out.extend(import_module(f"{__name__}.{n}").RECORDS)
    return out
