"""Adagrad: per-coordinate learning rates from the accumulated squared gradients."""

from __future__ import annotations

import functools

import numpy as np

from .._tensor import Tensor
from ..ops._dispatch import xp_of
from ._kernels import addcdiv_, addcmul_, decayed_grad
from .optimizer import Optimizer, advance_step

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad (Duchi, Hazan and Singer 2011).

    With :math:`g_t` the gradient (negated if ``maximize``, plus ``weight_decay`` times the
    parameter) at step :math:`t = 1, 2, \dots`:

    .. math::
        \tilde\gamma_t = \gamma / (1 + (t - 1)\,\eta), \qquad
        s_t = s_{t-1} + g_t^2, \qquad
        \theta_t = \theta_{t-1} - \tilde\gamma_t\, g_t / (\sqrt{s_t} + \epsilon),

    with :math:`s_0` = ``initial_accumulator_value`` and :math:`\eta` = ``lr_decay``. Like
    PyTorch, the state (``step``, ``sum``) is created in the constructor for every parameter.

    Args:
        params (iterable): parameters or parameter groups.
        lr (float, optional): learning rate :math:`\gamma`. Default: 1e-2.
        lr_decay (float, optional): learning rate decay :math:`\eta`. Default: 0.
        weight_decay (float, optional): L2 penalty. Default: 0.
        initial_accumulator_value (float, optional): starting value of ``sum``. Default: 0.
        eps (float, optional): added to the denominator. Default: 1e-10.
        foreach, differentiable, fused (optional): accepted for PyTorch compatibility.
        maximize (bool, optional): maximise the objective. Default: False.

    Raises:
        ValueError: a negative ``lr``, ``lr_decay``, ``weight_decay``,
            ``initial_accumulator_value`` or ``eps``.

    Example:
        >>> import ember
        >>> w = ember.nn.Parameter(ember.tensor([1.0, -2.0]))
        >>> opt = ember.optim.Adagrad([w], lr=0.5)
        >>> (w * w).sum().backward()
        >>> _ = opt.step()
        >>> w  # first step moves each coordinate by lr * sign(g)
        Parameter containing:
        tensor([ 0.5000, -1.5000], requires_grad=True)
    """

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10,
                 foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError("Invalid initial_accumulator_value value: "
                             f"{initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group, self.state[p])

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("maximize", False)

    def _init_state(self, p, group, state) -> None:
        state["step"] = self._step_tensor()
        xp = xp_of(p._data)
        state["sum"] = Tensor._make(xp.full_like(p._data, group["initial_accumulator_value"]))

    def _update(self, p, g, group, state) -> None:
        t = advance_step(state)
        clr = float(group["lr"]) / (1 + (t - 1) * group["lr_decay"])
        kernel = functools.partial(_adagrad_kernel, clr=clr, eps=group["eps"],
                                   weight_decay=group["weight_decay"],
                                   maximize=group["maximize"])
        loop = ("adagrad", (-clr, group["eps"], group["weight_decay"], group["maximize"]))
        self._defer(kernel, [p._data, g, state["sum"]._data], 3, loop)


def _adagrad_kernel(p, g, acc, gbuf, tmp, std, *, clr, eps, weight_decay, maximize) -> None:
    """One Adagrad update of arrays in place, PyTorch's single-tensor order of operations:
    ``sum.addcmul_(g, g, value=1)``, ``std = sum.sqrt().add_(eps)``,
    ``p.addcdiv_(g, std, value=-clr)``."""
    g = decayed_grad(p, g, maximize, weight_decay, gbuf, tmp)
    addcmul_(acc, g, g, 1, tmp)
    np.sqrt(acc, out=std)
    std += eps
    addcdiv_(p, g, std, -clr, tmp)
