"""Adadelta: an adaptive learning rate from running averages of squared gradients and updates."""

from __future__ import annotations

import functools

import numpy as np

from ._kernels import add_, addcmul_, decayed_grad
from .optimizer import Optimizer, advance_step

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler 2012), with PyTorch's extra learning-rate factor.

    With :math:`g_t` the gradient (negated if ``maximize``, plus ``weight_decay`` times the
    parameter):

    .. math::
        v_t = \rho v_{t-1} + (1 - \rho) g_t^2, \qquad
        \Delta_t = \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}}\, g_t,

        u_t = \rho u_{t-1} + (1 - \rho) \Delta_t^2, \qquad
        \theta_t = \theta_{t-1} - \gamma \Delta_t.

    State per parameter: ``step``, ``square_avg`` (:math:`v`), ``acc_delta`` (:math:`u`).

    Args:
        params (iterable): parameters or parameter groups.
        lr (float, optional): factor :math:`\gamma` applied to the update. Default: 1.0.
        rho (float, optional): averaging coefficient, in [0, 1]. Default: 0.9.
        eps (float, optional): added inside both square roots. Default: 1e-6.
        weight_decay (float, optional): L2 penalty. Default: 0.
        foreach, capturable, differentiable (optional): accepted for PyTorch compatibility.
        maximize (bool, optional): maximise the objective. Default: False.

    Raises:
        ValueError: a negative ``lr``, ``eps`` or ``weight_decay``, or ``rho`` outside [0, 1].

    Example:
        >>> import ember
        >>> w = ember.nn.Parameter(ember.tensor([3.0]))
        >>> opt = ember.optim.Adadelta([w], eps=0.01)
        >>> (0.5 * w * w).sum().backward()
        >>> _ = opt.step()
        >>> w  # 3 - sqrt(0.01) / sqrt(0.1 * 9 + 0.01) * 3
        Parameter containing:
        tensor([2.6855], requires_grad=True)
    """

    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach: bool | None = None, *,
                 capturable: bool = False, maximize: bool = False,
                 differentiable: bool = False) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "capturable": capturable, "foreach": foreach,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("maximize", False)

    def _init_state(self, p, group, state) -> None:
        state["step"] = self._step_tensor()
        state["square_avg"] = self._zeros_like(p)
        state["acc_delta"] = self._zeros_like(p)

    def _update(self, p, g, group, state) -> None:
        advance_step(state)
        kernel = functools.partial(_adadelta_kernel, rho=group["rho"], eps=group["eps"],
                                   lr=float(group["lr"]), weight_decay=group["weight_decay"],
                                   maximize=group["maximize"])
        rho = group["rho"]
        loop = ("adadelta", (rho, 1 - rho, group["eps"], -float(group["lr"]),
                             group["weight_decay"], group["maximize"]))
        self._defer(kernel, [p._data, g, state["square_avg"]._data, state["acc_delta"]._data],
                    3, loop)


def _adadelta_kernel(p, g, sq, acc, gbuf, delta, std, *, rho, eps, lr, weight_decay,
                     maximize) -> None:
    """One Adadelta update of arrays in place, PyTorch's single-tensor order of operations:
    ``square_avg.mul_(rho).addcmul_(g, g, value=1 - rho)``, ``std = square_avg.add(eps)
    .sqrt_()``, ``delta = acc_delta.add(eps).sqrt_().div_(std).mul_(g)``,
    ``acc_delta.mul_(rho).addcmul_(delta, delta, value=1 - rho)``,
    ``p.add_(delta, alpha=-lr)``."""
    g = decayed_grad(p, g, maximize, weight_decay, gbuf, delta)
    sq *= rho
    addcmul_(sq, g, g, 1 - rho, delta)
    np.add(sq, eps, out=std)
    np.sqrt(std, out=std)
    np.add(acc, eps, out=delta)
    np.sqrt(delta, out=delta)
    delta /= std
    delta *= g
    acc *= rho
    addcmul_(acc, delta, delta, 1 - rho, std)  # std is free again
    add_(p, delta, -lr, std)
