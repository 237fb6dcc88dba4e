"""Stochastic gradient descent with momentum, dampening, Nesterov momentum, weight decay."""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._cuda_kernels import fused_dtype, sgd_momentum_
from ._kernels import add_, decayed_grad
from .optimizer import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent (optionally with momentum), PyTorch's formulation.

    With :math:`g_t` the gradient (negated if ``maximize``), :math:`\lambda` the weight decay,
    :math:`\mu` the momentum and :math:`\tau` the dampening:

    .. math::
        g_t \leftarrow g_t + \lambda \theta_{t-1}, \quad
        b_t = \mu b_{t-1} + (1-\tau) g_t \ (b_1 = g_1), \quad
        g_t \leftarrow g_t + \mu b_t \text{ (nesterov) or } b_t, \quad
        \theta_t = \theta_{t-1} - \gamma g_t

    Args:
        params (iterable): tensors or parameter-group dicts.
        lr (float): learning rate :math:`\gamma`. Default: 1e-3.
        momentum (float): momentum factor. Default: 0.
        dampening (float): dampening for momentum. Default: 0.
        weight_decay (float): L2 penalty. Default: 0.
        nesterov (bool): Nesterov momentum. Default: False.
        maximize (bool): maximize the objective. Default: False.
        foreach, differentiable, fused: accepted for PyTorch compatibility (ignored).

    State (per parameter): ``momentum_buffer`` (only when momentum != 0).

    Raises:
        ValueError: negative lr, momentum or weight_decay; nesterov without momentum or with
            dampening.

    Example:
        >>> import ember
        >>> w = ember.nn.Parameter(ember.tensor([1.0, 2.0]))
        >>> opt = ember.optim.SGD([w], lr=0.1, momentum=0.9)
        >>> for _ in range(2):
        ...     opt.zero_grad()
        ...     (w * w).sum().backward()
        ...     _ = opt.step()
        >>> w.detach()
        tensor([0.4600, 0.9200])
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, differentiable: bool = False,
                 fused: bool | None = None) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
                    "foreach": foreach, "differentiable": differentiable, "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("nesterov", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("differentiable", False)
            group.setdefault("fused", None)

    def _init_state(self, p, group, state) -> None:
        pass  # the momentum buffer is created from the first gradient, in _update

    def _update(self, p, g, group, state) -> None:
        momentum = group["momentum"]
        arrays = [p._data, g]
        first = False
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = self._zeros_like(p)
                first = True
            arrays.append(buf._data)
            if fused_dtype(p._data):  # one CUDA kernel per tensor
                sgd_momentum_(p._data, g, buf._data, lr=float(group["lr"]), momentum=momentum,
                              dampening=group["dampening"], weight_decay=group["weight_decay"],
                              nesterov=group["nesterov"], maximize=group["maximize"],
                              first=first)
                return
        lr, wd, maximize = float(group["lr"]), group["weight_decay"], group["maximize"]
        kernel = _sgd_kernel(lr=lr, weight_decay=wd, momentum=momentum,
                             dampening=group["dampening"], nesterov=group["nesterov"],
                             maximize=maximize, first=first)
        if momentum == 0:
            loop = ("sgd", (-lr, wd, maximize))
        elif (not first and wd == 0 and group["dampening"] == 0 and not maximize
              and not group["nesterov"]):  # branch-free: ~5% faster (memory-bound)
            loop = ("sgd_momentum_plain", (-lr, momentum))
        else:
            loop = ("sgd_momentum", (-lr, wd, momentum, 1 - group["dampening"], maximize,
                                     group["nesterov"], first))
        self._defer(kernel, arrays, 2, loop)


def _sgd_kernel(*, lr, weight_decay, momentum, dampening, nesterov, maximize, first):
    """The in-place SGD update of one parameter (or one chunk of it) as
    ``kernel(p, g, [momentum_buffer,] gbuf, tmp)``, PyTorch's single-tensor order of
    operations: ``buf.mul_(momentum).add_(g, alpha=1 - dampening)`` (``buf = g`` on the
    ``first`` step), ``g = g + momentum * buf`` (nesterov) or ``buf``, ``p.add_(g, alpha=-lr)``.

    NOTE: a closure over the hyper-parameters, with the plain momentum case written inline: it
    runs once per cache-sized chunk (~200 times per step of 25 M parameters)."""
    neg_lr = -lr
    alpha = 1 - dampening
    multiply = np.multiply
    if (momentum != 0 and not first and not nesterov and not maximize and weight_decay == 0
            and alpha == 1):
        def plain(p, g, b, gbuf, tmp):
            b *= momentum
            b += g
            multiply(b, neg_lr, out=tmp)
            p += tmp

        return plain

    def kernel(p, g, *rest):
        gbuf, tmp = rest[-2:]
        d = decayed_grad(p, g, maximize, weight_decay, gbuf, tmp)
        if momentum != 0:
            b = rest[0]
            if first:
                b[...] = d
            else:
                b *= momentum
                add_(b, d, alpha, tmp)
            if nesterov:
                multiply(b, momentum, out=tmp)
                if d is g:
                    np.add(g, tmp, out=gbuf)
                    d = gbuf
                else:
                    d += tmp
            else:
                d = b
        add_(p, d, neg_lr, tmp)

    return kernel
