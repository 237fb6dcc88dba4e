"""ASGD: averaged stochastic gradient descent (Polyak-Ruppert averaging)."""

from __future__ import annotations

import functools

import numpy as np

from .._dtype import get_default_dtype
from .._tensor import Tensor
from ._kernels import add_, decayed_grad
from .optimizer import Optimizer, advance_step

__all__ = ["ASGD"]


def _scalar(value: float) -> Tensor:
    """A 0-d float32 CPU tensor (the dtype PyTorch uses for ``eta`` and ``mu``)."""
    return Tensor._make(np.asarray(value, dtype=np.float32))


class ASGD(Optimizer):
    r"""Averaged SGD (Polyak and Juditsky 1992; Bottou 2012), PyTorch's formulation.

    With :math:`g_t` the gradient (negated if ``maximize``, plus ``weight_decay`` times the
    parameter), at step :math:`t = 1, 2, \dots` (:math:`\eta_0 = \gamma`, :math:`\mu_0 = 1`):

    .. math::
        \theta_t = (1 - \lambda \eta_{t-1})\,\theta_{t-1} - \eta_{t-1} g_t, \qquad
        a_t = \theta_t \text{ if } \mu_{t-1} = 1 \text{ else }
        a_{t-1} + \mu_{t-1} (\theta_t - a_{t-1}),

        \eta_t = \gamma / (1 + \lambda \gamma t)^{\alpha}, \qquad
        \mu_t = 1 / \max(1, t - t_0).

    State per parameter: ``step``, ``eta`` and ``mu`` (0-d float32 tensors, like PyTorch),
    ``ax`` (the running average :math:`a`, the quantity to evaluate the model with).

    Args:
        params (iterable): parameters or parameter groups.
        lr (float, optional): learning rate :math:`\gamma`. Default: 1e-2.
        lambd (float, optional): decay term :math:`\lambda`. Default: 1e-4.
        alpha (float, optional): power for the ``eta`` update. Default: 0.75.
        t0 (float, optional): step at which averaging starts. Default: 1e6.
        weight_decay (float, optional): L2 penalty. Default: 0.
        foreach, differentiable, capturable (optional): accepted for PyTorch compatibility.
        maximize (bool, optional): maximise the objective. Default: False.

    Raises:
        ValueError: a negative ``lr`` or ``weight_decay``.

    Example:
        >>> import ember
        >>> w = ember.nn.Parameter(ember.tensor([1.0, -2.0]))
        >>> opt = ember.optim.ASGD([w], lr=0.5, lambd=0.0)
        >>> (w * w).sum().backward()
        >>> _ = opt.step()
        >>> w
        Parameter containing:
        tensor([0., 0.], requires_grad=True)
    """

    def __init__(self, params, lr: float = 1e-2, lambd: float = 1e-4, alpha: float = 0.75,
                 t0: float = 1e6, weight_decay: float = 0, foreach: bool | None = None,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0,
                    "weight_decay": weight_decay, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("maximize", False)

    def _init_state(self, p, group, state) -> None:
        state["step"] = self._step_tensor()
        state["eta"] = _scalar(float(group["lr"]))
        state["mu"] = _scalar(1.0)
        state["ax"] = self._zeros_like(p)

    def _update(self, p, g, group, state) -> None:
        lr, lambd, alpha, t0 = float(group["lr"]), group["lambd"], group["alpha"], group["t0"]
        wd, maximize = group["weight_decay"], group["maximize"]
        t = advance_step(state)
        eta_t, mu_t = state["eta"], state["mu"]
        eta, mu = float(eta_t._data), float(mu_t._data)
        kernel = functools.partial(_asgd_kernel, decay=1 - lambd * eta, eta=eta, mu=mu,
                                   weight_decay=wd, maximize=maximize)
        loop = ("asgd", (1 - lambd * eta, -eta, mu, wd, maximize, mu != 1))
        self._defer(kernel, [p._data, g, state["ax"]._data], 2, loop)
        # written into the existing 0-d tensors: they keep their dtype (float32 when fresh).
        # NOTE: PyTorch first makes the new values tensors of the default dtype, so they are
        # rounded to float32 even when eta and mu were loaded as float64
        rnd = get_default_dtype().np.type
        eta_t._data[...] = rnd(lr / ((1 + lambd * lr * t) ** alpha))
        mu_t._data[...] = rnd(1 / max(1, t - t0))


def _asgd_kernel(p, g, ax, gbuf, tmp, *, decay, eta, mu, weight_decay, maximize) -> None:
    """One ASGD update of arrays in place, PyTorch's single-tensor order of operations:
    ``p.mul_(decay)``, ``p.add_(g, alpha=-eta)``, then ``ax.add_(p.sub(ax).mul_(mu))`` or,
    while ``mu == 1``, ``ax.copy_(p)``."""
    g = decayed_grad(p, g, maximize, weight_decay, gbuf, tmp)
    p *= decay
    add_(p, g, -eta, tmp)
    if mu != 1:
        np.subtract(p, ax, out=tmp)
        tmp *= mu
        ax += tmp
    else:
        ax[...] = p
