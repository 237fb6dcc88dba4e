"""Adamax: Adam with the infinity norm of past gradients (Kingma & Ba, section 7)."""

from __future__ import annotations

import functools

import numpy as np

from ._kernels import addcdiv_, decayed_grad, lerp_
from .adam import _check_adam_args
from .optimizer import Optimizer, advance_step

__all__ = ["Adamax"]


class Adamax(Optimizer):
    r"""Adamax, PyTorch's formulation.

    .. math::
        g_t \leftarrow g_t + \lambda\theta_{t-1}, \quad
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad
        u_t = \max(\beta_2 u_{t-1}, |g_t| + \epsilon), \quad
        \theta_t = \theta_{t-1} - \frac{\gamma}{1-\beta_1^t} \frac{m_t}{u_t}

    Args:
        params (iterable): tensors or parameter-group dicts.
        lr (float): learning rate. Default: 2e-3.
        betas (Tuple[float, float]): coefficients of the moving average and of the infinity
            norm. Default: (0.9, 0.999).
        eps (float): added to :math:`|g_t|`. Default: 1e-8.
        weight_decay (float): L2 penalty. Default: 0.
        foreach (bool, optional): accepted for PyTorch compatibility. Default: None.
        maximize (bool): maximize the objective. Default: False.
        differentiable, capturable: accepted for PyTorch compatibility.

    State: ``step`` (0-d float32), ``exp_avg``, ``exp_inf``.

    Raises:
        ValueError: a negative lr, eps or weight_decay, or a beta outside [0, 1).

    Example:
        >>> import ember
        >>> w = ember.nn.Parameter(ember.tensor([1.0, -2.0]))
        >>> opt = ember.optim.Adamax([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> _ = opt.step()
        >>> w.detach()
        tensor([ 0.9000, -1.9000])
    """

    def __init__(self, params, lr: float = 2e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        _check_adam_args(lr, betas, eps, weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            for k, v in (("foreach", None), ("maximize", False), ("differentiable", False),
                         ("capturable", False)):
                group.setdefault(k, v)

    def _init_state(self, p, group, state) -> None:
        state["step"] = self._step_tensor()
        state["exp_avg"] = self._zeros_like(p)
        state["exp_inf"] = self._zeros_like(p)

    def _update(self, p, g, group, state) -> None:
        lr = float(group["lr"])
        beta1, beta2 = group["betas"]
        clr = lr / (1 - beta1 ** advance_step(state))
        kernel = functools.partial(_adamax_kernel, beta1=beta1, beta2=beta2, eps=group["eps"],
                                   weight_decay=group["weight_decay"],
                                   maximize=group["maximize"], clr=clr)
        w = 1 - beta1
        loop = ("adamax", (w, 1 - w, beta2, group["eps"], -clr, group["weight_decay"],
                           abs(w) < 0.5, group["maximize"]))
        self._defer(kernel, [p._data, g, state["exp_avg"]._data, state["exp_inf"]._data], 2,
                    loop)


def _adamax_kernel(p, g, m, u, gbuf, tmp, *, beta1, beta2, eps, weight_decay, maximize,
                   clr) -> None:
    """One Adamax update of arrays in place (PyTorch's single-tensor order of operations)."""
    g = decayed_grad(p, g, maximize, weight_decay, gbuf, tmp)
    lerp_(m, g, 1 - beta1, tmp)
    u *= beta2
    np.abs(g, out=tmp)
    tmp += eps
    np.maximum(u, tmp, out=u)
    addcdiv_(p, m, u, -clr, tmp)
