"""Table-driven op checks: one :class:`OpRecord` per op instead of many hand-written tests.

A record names the op as ``op(lib, *args, **kwargs)`` — ``lib`` is the ``ember`` module, or
``torch`` in the parity session, so one table serves both — an independent numpy reference
(``ref(*float64_arrays, **kwargs)``), sample inputs (shapes or arrays, plus kwargs), the input
domain, and error inputs with the exception and message they must raise.  :func:`check_op`
runs, for every sample, the forward against the reference in float64 and float32, then
``gradcheck`` and (for smooth ops) ``gradgradcheck`` in float64.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import _dtype as T
from ..autograd.gradcheck import gradcheck, gradgradcheck
from ..ops.creation import tensor
from .asserts import assert_close, to_numpy

__all__ = ["OpRecord", "ErrorInput", "check_op", "check_errors"]


@dataclass
class ErrorInput:
    """Arguments (tensors as arrays or shapes) that must raise ``exc`` matching ``match``."""

    args: tuple
    exc: type
    match: str
    kwargs: dict = field(default_factory=dict)


@dataclass
class OpRecord:
    """How to test one op.

    ``samples`` is a list of argument tuples; each positional argument is a shape tuple (a
    random float tensor is made), a numpy array (converted as is), or any other Python value
    passed through.  ``kwargs`` (dict, or one dict per sample via ``sample_kwargs``) go to both
    ``op`` and ``ref``.  ``domain`` bounds the random values; ``grad``/``gradgrad`` turn the
    gradient checks on.
    """

    name: str
    op: Callable
    ref: Callable | None
    samples: list
    sample_kwargs: list | None = None
    domain: tuple = (-2.0, 2.0)
    grad: bool = True
    gradgrad: bool = True
    dtypes: tuple = (T.float32, T.float64)
    rtol32: float = 1e-5
    atol32: float = 1e-5
    grad_atol: float = 1e-5
    grad_rtol: float = 1e-3
    errors: list = field(default_factory=list)
    nondiff_args: tuple = ()  # positions of tensor args that get no gradient check
    skip_reason: str | None = None
    tags: tuple = ()
    extra: Any = None


def _lib():
    import ember
    return ember


def _make_args(rec: OpRecord, sample, dtype, device, seed):
    rng = np.random.default_rng(seed)
    lo, hi = rec.domain
    out, arrays = [], []
    for a in sample:
        if isinstance(a, tuple) and all(isinstance(s, int) for s in a):
            arr = rng.uniform(lo, hi, a)
            arrays.append(arr)
            t = tensor(arr, dtype=dtype, device=device)
            out.append(t)
        elif isinstance(a, np.ndarray):
            arrays.append(a.astype(np.float64) if a.dtype.kind == "f" else a)
            dt = dtype if a.dtype.kind == "f" else None
            out.append(tensor(a, dtype=dt, device=device))
        else:
            arrays.append(a)
            out.append(a)
    return out, arrays


def check_op(rec: OpRecord, device: str = "cpu") -> None:
    """Run every check of ``rec`` on ``device``; raises AssertionError / GradcheckError."""
    from .._tensor import Tensor
    for n, sample in enumerate(rec.samples):
        kw = rec.sample_kwargs[n] if rec.sample_kwargs else {}
        for dt in rec.dtypes:
            args, arrays = _make_args(rec, sample, dt, device, seed=n)
            out = rec.op(_lib(), *args, **kw)
            if rec.ref is not None:
                with np.errstate(all="ignore"):
                    expect = rec.ref(*[a.astype(np.float64) if isinstance(a, np.ndarray) and
                                       a.dtype.kind == "f" else a for a in arrays], **kw)
                outs = out if isinstance(out, tuple) else (out,)
                exps = expect if isinstance(expect, tuple) else (expect,)
                for o, e in zip(outs, exps, strict=False):
                    e = np.asarray(e)
                    tol = {} if dt is T.float64 else {"rtol": rec.rtol32, "atol": rec.atol32}
                    if dt is T.float64:
                        tol = {"rtol": 1e-7, "atol": 1e-8}
                    assert_close(to_numpy(o), e.astype(to_numpy(o).dtype)
                                 if e.dtype.kind == "f" and to_numpy(o).dtype.kind == "f" else e,
                                 msg=f"{rec.name} sample {n} ({dt})", **tol)
                    if isinstance(o, Tensor) and e.dtype.kind == "f" and \
                            any(isinstance(a, Tensor) for a in args):
                        assert o.dtype is dt, f"{rec.name}: dtype {o.dtype} != {dt}"
            if dt is not T.float64 or not rec.grad:
                continue
            diff = [i for i, a in enumerate(args) if isinstance(a, Tensor) and
                    a.is_floating_point() and i not in rec.nondiff_args]
            if not diff:
                continue
            for i in diff:
                args[i].requires_grad_(True)

            def fn(*xs, _kw=kw):
                return rec.op(_lib(), *xs, **_kw)
            gradcheck(fn, tuple(args), atol=rec.grad_atol, rtol=rec.grad_rtol)
            if rec.gradgrad:
                gradgradcheck(fn, tuple(args), atol=rec.grad_atol, rtol=rec.grad_rtol)


def check_errors(rec: OpRecord, device: str = "cpu") -> None:
    """Every error input of ``rec`` raises its exception with a matching message."""
    for ei in rec.errors:
        args, _ = _make_args(rec, ei.args, T.float32, device, seed=0)
        try:
            rec.op(_lib(), *args, **ei.kwargs)
        except ei.exc as e:
            if not re.search(ei.match, str(e)):
                raise AssertionError(f"{rec.name}: message {str(e)!r} does not match "
                                     f"{ei.match!r}") from None
        else:
            raise AssertionError(f"{rec.name}: {ei.args} did not raise {ei.exc.__name__}")
