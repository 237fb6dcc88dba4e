"""``repr`` of tensors, character for character as PyTorch prints them.

A tensor prints as ``tensor(<body>, <suffixes>)``.  The body is a nested list whose numbers
share one column width across the whole tensor; one formatting mode is chosen per tensor:

* integers and bools print as Python does (``3``, ``True``);
* floats whose finite nonzero values are all integers print as ``1.`` (*int mode*);
* otherwise fixed point with ``precision`` digits (``1.5000``);
* scientific (``1.0000e+10``) when, over the finite nonzero values,
  ``max|x| / min|x| > 1000`` or ``max|x| > 1e8`` or ``min|x| < 1e-4`` (non-int mode only);
  ``set_printoptions(sci_mode=...)`` forces it on or off;
* complex numbers format their real and imaginary parts with one formatter each (``1.+2.j``).

Tensors with more than ``threshold`` elements are summarised: each dimension longer than
``2 * edgeitems`` keeps its first and last ``edgeitems`` entries around ``...``.  Rows wrap at
``linewidth`` characters.  Suffixes follow in PyTorch's order: ``device=``, ``size=`` (empty
tensors of dim != 1, or ``edgeitems == 0``), ``dtype=`` (when not the default of its kind),
then ``grad_fn=<...>`` or ``requires_grad=True``.  CUDA tensors are formatted from a host copy
of (only) the elements that are shown.

Example:
    >>> import ember
    >>> ember.tensor([[1.0, -2.5], [1e-3, 4.0]])
    tensor([[ 1.0000e+00, -2.5000e+00],
            [ 1.0000e-03,  4.0000e+00]])
    >>> ember.tensor([1, 2], dtype=ember.int32)
    tensor([1, 2], dtype=ember.int32)
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import sys

import numpy as np

from . import _device as D
from . import _dtype as T

__all__ = ["format_tensor", "set_printoptions", "get_printoptions", "printoptions"]


@dataclasses.dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


PRINT_OPTS = _PrintOptions()

# set_printoptions(profile=...) presets; explicit arguments override them.
_PROFILES = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None) -> None:
    """Set how tensors print (global, like ``torch.set_printoptions``).

    ``profile`` is applied first, then every argument that is not None.  ``sci_mode`` is always
    assigned, so a call without it returns to automatic choice of scientific notation.

    Args:
        precision (int, optional): digits after the decimal point for floats (default 4).
        threshold (float, optional): element count above which tensors are summarised
            (default 1000).
        edgeitems (int, optional): items kept at each end of a summarised dimension (default 3).
        linewidth (int, optional): characters per line before rows wrap (default 80).
        profile (str, optional): ``'default'``, ``'short'`` (precision 2, edgeitems 2) or
            ``'full'`` (threshold infinite).
        sci_mode (bool, optional): force scientific notation on (True) or off (False);
            None (default) lets each tensor choose.

    Raises:
        ValueError: ``profile`` is not one of the three names.

    Example:
        >>> import ember
        >>> ember.set_printoptions(precision=2)
        >>> ember.tensor([1.12345])
        tensor([1.12])
        >>> ember.set_printoptions(threshold=5)
        >>> ember.arange(10)
        tensor([0, 1, 2,  ..., 7, 8, 9])
        >>> ember.set_printoptions(profile="default")
        >>> ember.tensor([1.12345])
        tensor([1.1235])
    """
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"set_printoptions(): profile must be one of "
                             f"{', '.join(map(repr, _PROFILES))}, got {profile!r}")
        for k, v in _PROFILES[profile].items():
            setattr(PRINT_OPTS, k, v)
    for k, v in (("precision", precision), ("threshold", threshold),
                 ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if v is not None:
            setattr(PRINT_OPTS, k, v)
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict:
    """The current print options as a dict that :func:`set_printoptions` accepts as ``**kwargs``.

    Example:
        >>> import ember
        >>> ember._tensor_str.get_printoptions()["precision"]
        4
    """
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs):
    """Context manager that sets print options (as :func:`set_printoptions`) and restores them.

    Example:
        >>> import ember
        >>> with ember._tensor_str.printoptions(precision=1):
        ...     print(ember.tensor([0.25, 1.5]))
        tensor([0.2, 1.5])
    """
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


class _Formatter:
    """Chooses one mode and column width for every element of a (real) host array."""

    def __init__(self, a: np.ndarray) -> None:
        self.floating = a.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        if not self.floating:
            for v in a.ravel().tolist():
                self.max_width = max(self.max_width, len(str(v)))
            return
        # NOTE: float64 holds every float16/32 value exactly, so mode tests and digits are the
        # same as on the original dtype (PyTorch also compares in double).
        v = a.ravel().astype(np.float64)
        v = v[np.isfinite(v) & (v != 0)]
        if v.size == 0:
            return  # only zeros / nan / inf: int mode, width 1, sci_mode option ignored
        absv = np.abs(v)
        lo, hi = float(absv.min()), float(absv.max())
        self.int_mode = bool(np.all(v == np.ceil(v)))
        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        else:
            self.sci_mode = bool(PRINT_OPTS.sci_mode)
        p = PRINT_OPTS.precision
        if self.sci_mode:
            spec, extra = f".{p}e", 0
        elif self.int_mode:
            spec, extra = ".0f", 1  # room for the trailing "."
        else:
            spec, extra = f".{p}f", 0
        for x in v.tolist():
            self.max_width = max(self.max_width, len(format(x, spec)) + extra)

    def format(self, value) -> str:
        """One element (a Python number), right-aligned to the common width."""
        if self.floating:
            if self.sci_mode:
                ret = format(value, f"{self.max_width}.{PRINT_OPTS.precision}e")
            elif self.int_mode:
                ret = format(value, ".0f")
                if math.isfinite(value):
                    ret += "."
            else:
                ret = format(value, f".{PRINT_OPTS.precision}f")
        else:
            ret = str(value)
        return ret.rjust(self.max_width)


def _element_formatter(a: np.ndarray):
    """``(format, width)`` for the elements of ``a``: one formatter, or two for complex."""
    if a.dtype.kind != "c":
        f = _Formatter(a)
        return f.format, f.max_width + 2

    real, imag = _Formatter(a.real), _Formatter(a.imag)

    def fmt(z) -> str:
        re_s = real.format(z.real)
        im_s = (imag.format(z.imag) + "j").lstrip()
        # a sign (negative numbers, -0.) joins directly; otherwise insert "+"
        return re_s + im_s if im_s[0] in "+-" else re_s + "+" + im_s

    # comma + space, both parts, and the "j"
    return fmt, real.max_width + 2 + imag.max_width + 1


def _edges(a, dev, e: int):
    """Keep the first and last ``e`` entries of every dimension longer than ``2 * e``.

    Done on ``a``'s own device so that only the shown elements reach the host.
    """
    xp = D.array_module(dev)
    with D.device_guard(dev):
        for ax, n in enumerate(a.shape):
            if n > 2 * e:
                head = (slice(None),) * ax
                a = xp.concatenate([a[head + (slice(None, e),)], a[head + (slice(n - e, None),)]],
                                   axis=ax)
    return a


def _body(a: np.ndarray, cut: tuple, indent: int, fmt, width: int) -> str:
    """Nested-list text of host array ``a``; ``cut[d]`` marks dimensions shown as edges."""
    e = PRINT_OPTS.edgeitems
    if a.ndim == 0:
        return fmt(a.item())
    if a.ndim == 1:
        items = [fmt(x) for x in a.tolist()]
        if cut[0]:
            items = items[:e] + [" ..."] + items[e:]
        per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / width))
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    rows = [_body(a[i], cut[1:], indent + 1, fmt, width) for i in range(a.shape[0])]
    if cut[0]:
        rows = rows[:e] + ["..."] + rows[e:]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(rows) + "]"


def _tensor_str(t, indent: int) -> str:
    """The bracketed body of a non-empty tensor."""
    a, dev = t._data, t.device
    e = PRINT_OPTS.edgeitems
    summarize = a.size > PRINT_OPTS.threshold
    if summarize and a.ndim > 0 and not e:
        return "[...]"  # PyTorch shows nothing at all when edgeitems is 0
    cut = tuple(summarize and n > 2 * e for n in a.shape)
    if any(cut):
        a = _edges(a, dev, e)
    a = D.move_array(a, dev, D.CPU)
    fmt, width = _element_formatter(a)
    return _body(a, cut, indent, fmt, width)


def _add_suffixes(s: str, suffixes: list, indent: int) -> str:
    """Append ``, suffix`` items, starting a new line where one would pass ``linewidth``."""
    parts = [s]
    # NOTE: PyTorch's count is two more than the last line's length when there is no newline
    # (rfind gives -1); kept so lines break at the same places.
    last = len(s) - s.rfind("\n") + 1
    for suf in suffixes:
        if last + len(suf) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suf)
            last = indent + len(suf)
        else:
            parts.append(", " + suf)
            last += len(suf) + 2
    return "".join(parts) + ")"


def _parameter_type():
    nn = sys.modules.get("ember.nn")  # no Parameter can exist before ember.nn is imported
    return getattr(nn, "Parameter", None)


def format_tensor(t) -> str:
    """``repr(t)``: the tensor as PyTorch prints it, with ``ember.`` dtype names.

    Args:
        t (Tensor): any tensor (CPU or CUDA, any dtype, any shape, empty included).

    Example:
        >>> import ember
        >>> x = ember.tensor([1.0, 2.0], requires_grad=True)
        >>> format_tensor(x * 2)
        'tensor([2., 4.], grad_fn=<MulBackward0>)'
    """
    from ._tensor import Tensor

    param = _parameter_type()
    plain = type(t) is Tensor or (param is not None and type(t) is param)
    prefix = "tensor(" if plain else f"{type(t).__name__}("
    indent = len(prefix)
    dev, dt = t.device, t.dtype
    suffixes = []
    if dev.type != "cpu":
        suffixes.append(f"device='{dev}'")
    default = T.get_default_dtype()
    default_complex = T.complex128 if default is T.float64 else T.complex64
    if t.numel() == 0:
        if t.ndim != 1:
            suffixes.append(f"size={tuple(t.shape)}")
        if dt is not default:  # nothing to infer the dtype from, so even int64 is shown
            suffixes.append(f"dtype={dt}")
        body = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append(f"size={tuple(t.shape)}")
        if dt not in (default, default_complex, T.int64, T.bool):
            suffixes.append(f"dtype={dt}")
        body = _tensor_str(t, indent)
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    s = _add_suffixes(prefix + body, suffixes, indent)
    if param is not None and isinstance(t, param) and not plain:
        s = f"Parameter({s})"
    return s
