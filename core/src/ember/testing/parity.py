"""Run op records against PyTorch: same inputs, compare forward values and gradients.

Used by the ``parity`` nox session (``pytest -m parity``) when PyTorch is installed; ember
never depends on torch otherwise.
"""

from __future__ import annotations

import warnings

import numpy as np

from .. import _dtype as T
from .._tensor import Tensor
from .asserts import assert_close, to_numpy
from .op_record import OpRecord, _lib, _make_args

__all__ = ["check_parity"]


def _to_torch(torch, args, dtype):
    out = []
    for a in args:
        if isinstance(a, Tensor):
            arr = to_numpy(a).copy()
            t = torch.from_numpy(arr)
            out.append(t)
        else:
            out.append(a)
    return out


def _flat(out):
    if isinstance(out, (tuple, list)):
        res = []
        for o in out:
            res.extend(_flat(o))
        return res
    return [out]


def check_parity(rec: OpRecord, torch, device: str = "cpu") -> None:
    """Forward and (for float64, when ``rec.grad``) gradients of ``rec`` equal PyTorch's."""
    ember = _lib()
    if "ember_only" in rec.tags:
        return  # no PyTorch counterpart under that name
    for n, sample in enumerate(rec.samples):
        kw = rec.sample_kwargs[n] if rec.sample_kwargs else {}
        for dt in rec.dtypes:
            eargs, _ = _make_args(rec, sample, dt, device, seed=n)
            targs = _to_torch(torch, eargs, dt)
            eout = _flat(rec.op(ember, *eargs, **kw))
            with warnings.catch_warnings():  # PyTorch's own deprecation notices
                warnings.simplefilter("ignore")
                tout = _flat(rec.op(torch, *targs, **kw))
            if len(eout) != len(tout):
                raise AssertionError(f"{rec.name}: ember returned {len(eout)} outputs, PyTorch "
                                     f"{len(tout)}")
            for eo, to in zip(eout, tout, strict=False):
                if not isinstance(eo, Tensor):
                    if eo != to:
                        raise AssertionError(f"{rec.name}: {eo!r} != PyTorch's {to!r}")
                    continue
                tn = to.detach().cpu().numpy(force=True)
                if eo.dtype.name != str(to.dtype).replace("torch.", ""):
                    raise AssertionError(f"{rec.name} sample {n}: dtype {eo.dtype} != PyTorch's "
                                         f"{to.dtype}")
                tol = {"rtol": 1e-7, "atol": 1e-8} if dt is T.float64 else \
                    {"rtol": rec.rtol32, "atol": rec.atol32}
                assert_close(to_numpy(eo), tn, msg=f"{rec.name} sample {n} vs PyTorch", **tol)
            if dt is not T.float64 or not rec.grad or "no_parity_grad" in rec.tags:
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                _grad_parity(rec, ember, torch, eargs, targs, kw, n)


def _grad_parity(rec, ember, torch, eargs, targs, kw, n):
    idx = [i for i, a in enumerate(eargs) if isinstance(a, Tensor) and a.is_floating_point()
           and i not in rec.nondiff_args]
    if not idx:
        return
    for i in idx:
        eargs[i].requires_grad_(True)
        targs[i].requires_grad_(True)
    eout = [o for o in _flat(rec.op(ember, *eargs, **kw)) if isinstance(o, Tensor)
            and o.requires_grad]
    tout = [o for o in _flat(rec.op(torch, *targs, **kw)) if hasattr(o, "grad_fn")
            and o.requires_grad]
    if not eout:
        return
    rng = np.random.default_rng(n)
    weights = [rng.standard_normal(to_numpy(o).shape) for o in eout]
    eloss = sum((o * ember.tensor(w, dtype=o.dtype)).sum()
                for o, w in zip(eout, weights, strict=True))
    tloss = sum((o * torch.tensor(w, dtype=o.dtype)).sum()
                for o, w in zip(tout, weights, strict=True))
    eg = ember.autograd.grad(eloss, [eargs[i] for i in idx], allow_unused=True)
    tg = torch.autograd.grad(tloss, [targs[i] for i in idx], allow_unused=True)
    for k, (a, b) in enumerate(zip(eg, tg, strict=False)):
        if (a is None) != (b is None):
            if a is not None and not np.any(to_numpy(a)) or b is not None and \
                    not np.any(b.numpy(force=True)):
                continue  # an all-zero gradient vs None is the same answer
            raise AssertionError(f"{rec.name}: gradient {k} is None on one side only")
        if a is not None:
            assert_close(to_numpy(a), b.numpy(force=True), rtol=1e-6, atol=1e-7,
                         msg=f"{rec.name} sample {n}: gradient of input {idx[k]} vs PyTorch")
