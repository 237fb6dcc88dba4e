"""Finite-difference checks of gradients: ``gradcheck`` and ``gradgradcheck``.

``gradcheck`` compares the Jacobian that autograd computes (one vector-Jacobian product per
output element) with central differences ``(f(x + eps) - f(x - eps)) / (2 eps)`` taken on
float64 inputs, elementwise within ``atol + rtol * |numerical|``.

Example:
    >>> import ember
    >>> x = ember.randn(3, dtype=ember.float64, requires_grad=True)
    >>> ember.autograd.gradcheck(lambda t: (t * t).sin(), (x,))
    True
"""

from __future__ import annotations

import numpy as np

from .engine import grad as _grad
from .grad_mode import no_grad

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Raised by :func:`gradcheck` when analytical and numerical gradients disagree."""


def _as_tuple(x):
    from .._tensor import Tensor
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def _outputs(func, inputs):
    from .._tensor import Tensor
    out = func(*inputs)
    outs = _as_tuple(out)
    return tuple(o for o in outs if isinstance(o, Tensor) and o.is_floating_point()
                 or isinstance(o, Tensor) and o.is_complex())


def _numerical(func, inputs, diff_idx, outs_shape, eps):
    """Jacobians d(out_k)/d(in_i) by central differences, as numpy (n_in, n_out) arrays."""
    jac = []
    for i in diff_idx:
        x = inputs[i]
        arr = x._data
        flat = arr.reshape(-1) if arr.flags.c_contiguous else None
        if flat is None:
            raise GradcheckError("gradcheck expects contiguous inputs")
        cols = [np.zeros((arr.size, int(np.prod(s))), dtype=np.float64) for s in outs_shape]
        for j in range(arr.size):
            orig = flat[j].item()
            flat[j] = orig + eps
            with no_grad():
                plus = [o._data.astype(np.float64).reshape(-1) if type(o._data) is np.ndarray
                        else o._data.get().astype(np.float64).reshape(-1)
                        for o in _outputs(func, inputs)]
            flat[j] = orig - eps
            with no_grad():
                minus = [o._data.astype(np.float64).reshape(-1) if type(o._data) is np.ndarray
                         else o._data.get().astype(np.float64).reshape(-1)
                         for o in _outputs(func, inputs)]
            flat[j] = orig
            for k, (p, m) in enumerate(zip(plus, minus, strict=True)):
                cols[k][j] = (p - m) / (2 * eps)
        jac.append(cols)
    return jac


def _analytical(outs, inputs, diff_idx):
    from ..ops.creation import zeros_like
    jac = [[np.zeros((inputs[i].numel(), o.numel()), dtype=np.float64) for o in outs]
           for i in diff_idx]
    for k, o in enumerate(outs):
        if not o.requires_grad:
            continue
        for j in range(o.numel()):
            go = zeros_like(o)
            go._data.reshape(-1)[j] = 1
            gs = _grad(o, [inputs[i] for i in diff_idx], go, retain_graph=True,
                       allow_unused=True)
            for n, g in enumerate(gs):
                if g is not None:
                    ga = g._data if type(g._data) is np.ndarray else g._data.get()
                    jac[n][k][:, j] = ga.astype(np.float64).reshape(-1)
    return jac


def gradcheck(func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, nondet_tol: float = 0.0,
              check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
              check_batched_grad: bool = False, check_batched_forward_grad: bool = False,
              check_forward_ad: bool = False, check_backward_ad: bool = True,
              fast_mode: bool = False, masked=None) -> bool:
    """Check ``func``'s gradients w.r.t. the float64 inputs that require grad.

    Raises:
        GradcheckError: when a Jacobian entry differs by more than ``atol + rtol * |num|``
            (with ``raise_exception=True``; else returns False).
    """
    from .._tensor import Tensor
    inputs = _as_tuple(inputs)
    diff_idx = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    for i in diff_idx:
        if inputs[i].dtype.name not in ("float64", "complex128"):
            import warnings
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating "
                          "point or complex. This check will likely fail if all the inputs are "
                          "not of double precision floating point or complex.", UserWarning,
                          stacklevel=2)
    if not diff_idx:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but "
                         "none of the them have requires_grad=True.")
    outs = _outputs(func, inputs)
    ana = _analytical(outs, inputs, diff_idx)
    num = _numerical(func, inputs, diff_idx, [o.shape for o in outs], eps)
    for n, i in enumerate(diff_idx):
        for k in range(len(outs)):
            a, b = ana[n][k], num[n][k]
            if not np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True):
                bad = np.argmax(np.abs(a - b) - (atol + rtol * np.abs(b)))
                r, c = np.unravel_index(bad, a.shape)
                msg = (f"Jacobian mismatch for output {k} with respect to input {i},\n"
                       f"numerical:{b}\nanalytical:{a}\n(largest difference at input element "
                       f"{r}, output element {c}: numerical {b[r, c]!r}, analytical "
                       f"{a[r, c]!r})")
                if raise_exception:
                    raise GradcheckError(msg)
                return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, gen_non_contig_grad_outputs: bool = False,
                  raise_exception: bool = True, nondet_tol: float = 0.0,
                  check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
                  check_batched_grad: bool = False, check_fwd_over_rev: bool = False,
                  check_rev_over_rev: bool = True, fast_mode: bool = False, masked=False) -> bool:
    """Check second derivatives: gradcheck of ``(inputs, grad_outputs) -> d func/d inputs``."""
    from .._tensor import Tensor
    from ..ops.creation import randn
    from ..random import Generator
    inputs = _as_tuple(inputs)
    diff = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    if grad_outputs is None:
        g = Generator().manual_seed(0)
        outs = _outputs(func, inputs)
        grad_outputs = tuple(randn(o.shape, dtype=o.dtype, generator=g).to(o.device)
                             .requires_grad_()
                             for o in outs)
    grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)

    def first(*args):
        from .grad_mode import enable_grad
        ins, gos = args[:n_in], args[n_in:]
        with enable_grad():  # the numerical pass runs under no_grad
            outs = _outputs(func, ins)
            d = [x for x in ins if isinstance(x, Tensor) and x.requires_grad]
            gs = _grad(outs, d, gos, create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    _ = diff
    return gradcheck(first, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
