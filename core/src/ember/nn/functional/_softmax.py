"""Softmax family: ``softmax``, ``log_softmax``, ``softmin``, ``gumbel_softmax``, ``glu``.

``softmax`` and ``log_softmax`` are fused nodes: a numerically stable forward (shift by the
maximum, one ``exp`` pass written in place) and a backward written with ember ops (so double
backward works) plus an array-level ``fast`` formula for plain backward passes.
"""

from __future__ import annotations

import warnings

import numpy as np

from ... import _dtype as T
from ... import _host_buffers
from ..._tensor import Tensor, _wrap_dim
from ...autograd.node import Node
from ...ops._dispatch import apply, xp_of
from ...random import generator_for

__all__ = ["softmax", "log_softmax", "softmin", "gumbel_softmax", "glu"]


def _softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    """PyTorch's legacy implicit dim (0 for 0-, 1- and 3-D inputs, else 1), with its warning."""
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", UserWarning, stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


class _SoftmaxBase(Node):
    """Shared forward of softmax / log_softmax over axis ``dim``."""

    saves_output = True
    log = False

    def forward(self, xp, x, dim):
        self.dim = dim
        if x.ndim == 0:
            return xp.zeros_like(x) if self.log else xp.ones_like(x)
        if x.size == 0:
            return x.copy()
        # NOTE: subtracting the row maximum keeps exp() <= 1, so +-1000 logits cannot overflow;
        # the shifted copy is the output buffer, written in place from here on.
        y = x - x.max(axis=dim, keepdims=True)
        if self.log:
            s = xp.exp(y).sum(axis=dim, keepdims=True)
            y -= xp.log(s)
        else:
            xp.exp(y, out=y)
            y /= y.sum(axis=dim, keepdims=True)
        return y


class Softmax(_SoftmaxBase):
    def backward(self, gy):
        y = self.output
        return (y * (gy - (gy * y).sum(self.dim, keepdim=True)),)

    def fast(self, g):
        y = self.out_array()
        if y.ndim == 0:
            return (g * 0,)
        xp = xp_of(y)
        gx = _host_buffers.ufunc_into(np.multiply, g, y) if xp is np else g * y
        s = gx.sum(axis=self.dim, keepdims=True)
        ys = xp.multiply(y, s, out=_host_buffers.scratch(xp, y.shape,
                                                          np.result_type(y.dtype, s.dtype)))
        gx -= ys
        _host_buffers.give(ys)
        return (gx,)


class LogSoftmax(_SoftmaxBase):
    log = True

    def backward(self, gy):
        y = self.output
        return (gy - y.exp() * gy.sum(self.dim, keepdim=True),)

    def fast(self, g):
        y = self.out_array()
        if y.ndim == 0:
            return (g * 0,)
        xp = xp_of(y)
        gx = xp.exp(y)
        gx *= g.sum(axis=self.dim, keepdims=True)
        return (g - gx,)


def _check_tensor(input, name: str) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(input).__name__}")


def _run(cls, name: str, input, dim, dtype):
    if dtype is not None:
        input = input.to(T.to_dtype(dtype))
    if input._data.dtype.kind not in "f":
        legacy = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
                  "uint8": "Byte", "bool": "Bool"}.get(input.dtype.name, input.dtype.name)
        raise NotImplementedError(f'"{name}_lastdim_kernel_impl" not implemented for '
                                  f"'{legacy}'")
    d = _wrap_dim(dim, input.ndim, name)
    node = cls()
    r = apply(node, (input,), input._data, d)
    return r


def softmax(input, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    r"""Softmax along ``dim``: :math:`\mathrm{softmax}(x)_i = e^{x_i} / \sum_j e^{x_j}`.

    Args:
        input (Tensor): the input.
        dim (int, optional): the dimension that sums to 1. ``None`` (deprecated) picks
            PyTorch's legacy choice (0 for 0-, 1- and 3-D inputs, else 1) and warns.
        dtype (ember.dtype, optional): cast the input to this dtype first. Default: ``None``.

    Shape:
        Output has the input's shape.

    Raises:
        IndexError: ``dim`` out of range. NotImplementedError: integer input without
        ``dtype``.

    Example:
        >>> import ember
        >>> ember.nn.functional.softmax(ember.tensor([1000.0, 1000.0]), dim=0)
        tensor([0.5000, 0.5000])
    """
    _check_tensor(input, "softmax")
    if dim is None:
        dim = _softmax_dim("softmax", input.ndim, _stacklevel)
    return _run(Softmax, "softmax", input, dim, dtype)


def log_softmax(input, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    r"""Log-softmax along ``dim``: :math:`x_i - \log \sum_j e^{x_j}`, computed stably.

    Args:
        input (Tensor): the input.
        dim (int, optional): the normalised dimension (``None``: legacy choice, warns).
        dtype (ember.dtype, optional): cast the input to this dtype first. Default: ``None``.

    Shape:
        Output has the input's shape.

    Raises:
        IndexError: ``dim`` out of range. NotImplementedError: integer input without
        ``dtype``.

    Example:
        >>> import ember
        >>> ember.nn.functional.log_softmax(ember.tensor([0.0, 0.0]), dim=0)
        tensor([-0.6931, -0.6931])
    """
    _check_tensor(input, "log_softmax")
    if dim is None:
        dim = _softmax_dim("log_softmax", input.ndim, _stacklevel)
    return _run(LogSoftmax, "log_softmax", input, dim, dtype)


def softmin(input, dim=None, _stacklevel: int = 3, dtype=None) -> Tensor:
    r"""Softmin along ``dim``: :math:`\mathrm{softmax}(-x)`.

    Args:
        input (Tensor): the input.
        dim (int, optional): the dimension that sums to 1 (``None``: legacy choice, warns).
        dtype (ember.dtype, optional): cast the input to this dtype first. Default: ``None``.

    Example:
        >>> import ember
        >>> ember.nn.functional.softmin(ember.tensor([0.0, 0.0]), dim=0)
        tensor([0.5000, 0.5000])
    """
    _check_tensor(input, "softmin")
    if dim is None:
        dim = _softmax_dim("softmin", input.ndim, _stacklevel)
    if dtype is not None:
        input = input.to(T.to_dtype(dtype))
    return _run(Softmax, "softmin", -input, dim, None)


def gumbel_softmax(logits, tau: float = 1.0, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1) -> Tensor:
    r"""Sample from the Gumbel-softmax distribution: ``softmax((logits + g) / tau)``.

    ``g = -log(E)`` with ``E ~ Exponential(1)`` drawn from the default generator of the
    logits' device (seed with ``ember.manual_seed``).  With ``hard=True`` the result is the
    one-hot argmax in the forward pass with the soft sample's gradient (straight-through).

    Args:
        logits (Tensor): unnormalised log-probabilities ``[..., num_features]``.
        tau (float): temperature. Default: 1.
        hard (bool): return one-hot samples. Default: ``False``.
        eps (float): unused, kept for PyTorch compatibility. Default: 1e-10.
        dim (int): the category dimension. Default: -1.

    Example:
        >>> import ember
        >>> _ = ember.manual_seed(0)
        >>> y = ember.nn.functional.gumbel_softmax(ember.zeros(2, 3), hard=True)
        >>> y.sum(-1)
        tensor([1., 1.])
    """
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", UserWarning,
                      stacklevel=2)
    g = generator_for(logits.device, None)
    u = g._uniform(logits._data.shape, np.float64)
    xp = xp_of(u)
    # NOTE: E = -log(1 - U) ~ Exponential(1) with U in [0, 1); the gumbel noise is -log(E)
    gumbels = -xp.log(-xp.log1p(-u))
    noise = Tensor._make(gumbels.astype(logits._data.dtype, copy=False))
    y_soft = softmax((logits + noise) / tau, dim)
    if not hard:
        return y_soft
    index = y_soft.argmax(dim, keepdim=True)
    from ...ops.creation import zeros_like
    y_hard = zeros_like(logits).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft


def glu(input, dim: int = -1) -> Tensor:
    r"""Gated linear unit: split ``input`` in halves ``a, b`` along ``dim``; :math:`a \otimes
    \sigma(b)`.

    Args:
        input (Tensor): the input; its ``dim`` size must be even.
        dim (int): the halved dimension. Default: -1.

    Shape:
        ``(*, 2N, *)`` -> ``(*, N, *)``.

    Raises:
        RuntimeError: a 0-d input, or an odd size along ``dim``.

    Example:
        >>> import ember
        >>> ember.nn.functional.glu(ember.tensor([1.0, 0.0]))
        tensor([0.5000])
    """
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = _wrap_dim(dim, input.ndim, "glu")
    n = input.shape[d]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {n}")
    a, b = input.narrow(d, 0, n // 2), input.narrow(d, n // 2, n // 2)
    return a * b.sigmoid()
