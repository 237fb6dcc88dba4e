"""``repr`` of tensors, formatted like PyTorch's (to be refined)."""

from __future__ import annotations

import numpy as np

__all__ = ["format_tensor", "set_printoptions"]

_opts = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    for k, v in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems),
                 ("linewidth", linewidth)):
        if v is not None:
            _opts[k] = v
    _opts["sci_mode"] = sci_mode


def format_tensor(t) -> str:
    a = t._data if type(t._data) is np.ndarray else t._data.get()
    body = np.array2string(a, separator=", ", precision=_opts["precision"], prefix="tensor(")
    extra = []
    if t.grad_fn is not None:
        extra.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        extra.append("requires_grad=True")
    return "tensor(" + body + "".join(", " + e for e in extra) + ")"
