"""NAdam: Adam with Nesterov momentum and momentum decay (Dozat, 2016)."""

from __future__ import annotations

import functools

import numpy as np

from .._tensor import Tensor
from ._kernels import addcdiv_, addcmul_, decayed_grad, lerp_
from .adam import _check_adam_args
from .optimizer import Optimizer, advance_step

__all__ = ["NAdam"]


class NAdam(Optimizer):
    r"""NAdam, PyTorch's formulation.

    .. math::
        \mu_t = \beta_1 (1 - \tfrac12 0.96^{t\psi}), \quad
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2, \\
        \theta_t = \theta_{t-1} - \gamma \Big(\frac{(1-\mu_t) g_t}{1-\prod_{i\le t}\mu_i}
        + \frac{\mu_{t+1} m_t}{1-\prod_{i\le t+1}\mu_i}\Big) \Big/
        \Big(\sqrt{v_t/(1-\beta_2^t)} + \epsilon\Big)

    with :math:`g_t \leftarrow g_t + \lambda\theta_{t-1}` (or, if ``decoupled_weight_decay``,
    :math:`\theta_{t-1} \leftarrow \theta_{t-1}(1-\gamma\lambda)`).

    Args:
        params (iterable): tensors or parameter-group dicts.
        lr (float): learning rate. Default: 2e-3.
        betas (Tuple[float, float]): moving-average coefficients. Default: (0.9, 0.999).
        eps (float): added to the denominator. Default: 1e-8.
        weight_decay (float): weight decay. Default: 0.
        momentum_decay (float): :math:`\psi`. Default: 4e-3.
        decoupled_weight_decay (bool): AdamW-style decay (NAdamW). Default: False.
        maximize (bool): maximize the objective. Default: False.
        foreach, capturable, differentiable: accepted for PyTorch compatibility.

    State: ``step`` and ``mu_product`` (0-d float32), ``exp_avg``, ``exp_avg_sq``.

    Raises:
        ValueError: a negative lr, eps, weight_decay or momentum_decay, or a beta outside
            [0, 1).

    Example:
        >>> import ember
        >>> w = ember.nn.Parameter(ember.tensor([1.0, -2.0]))
        >>> opt = ember.optim.NAdam([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> _ = opt.step()
        >>> w.detach()
        tensor([ 0.8944, -1.8944])
    """

    def __init__(self, params, lr: float = 2e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        _check_adam_args(lr, betas, eps, weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay,
                    "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            for k, v in (("maximize", False), ("foreach", None), ("capturable", False),
                         ("differentiable", False), ("decoupled_weight_decay", False)):
                group.setdefault(k, v)

    def _init_state(self, p, group, state) -> None:
        state["step"] = self._step_tensor()
        mu_product = self._step_tensor()
        mu_product._data += 1
        state["mu_product"] = mu_product
        state["exp_avg"] = self._zeros_like(p)
        state["exp_avg_sq"] = self._zeros_like(p)

    def _update(self, p, g, group, state) -> None:
        lr = float(group["lr"])
        beta1, beta2 = group["betas"]
        wd, psi = group["weight_decay"], group["momentum_decay"]
        decoupled = group["decoupled_weight_decay"]
        step = advance_step(state)
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * psi)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * psi)))
        mp = state["mu_product"]
        if not isinstance(mp, Tensor):      # a number in old checkpoints
            mp = state["mu_product"] = Tensor._make(np.asarray(float(mp), dtype=np.float32))
        mp._data *= mu                      # a float32 product, as PyTorch keeps it
        mu_product = float(mp._data)
        mu_product_next = mu_product * mu_next
        l2 = 0 if decoupled else wd
        decay = 1 - lr * wd if decoupled and wd != 0 else None
        bias_correction2 = 1 - beta2 ** step
        grad_coef = -lr * (1.0 - mu) / (1.0 - mu_product)
        avg_coef = (-lr * mu_next) / (1.0 - mu_product_next)
        kernel = functools.partial(
            _nadam_kernel, beta1=beta1, beta2=beta2, eps=group["eps"],
            maximize=group["maximize"], l2=l2, decay=decay, bias_correction2=bias_correction2,
            grad_coef=grad_coef, avg_coef=avg_coef)
        w = 1 - beta1
        loop = ("nadam", (w, 1 - w, beta2, 1 - beta2, bias_correction2, group["eps"], grad_coef,
                          avg_coef, l2, 1 if decay is None else decay, abs(w) < 0.5,
                          decay is not None, group["maximize"]))
        self._defer(kernel, [p._data, g, state["exp_avg"]._data, state["exp_avg_sq"]._data],
                    3, loop)


def _nadam_kernel(p, g, m, v, gbuf, tmp, denom, *, beta1, beta2, eps, maximize, l2, decay,
                  bias_correction2, grad_coef, avg_coef) -> None:
    """One NAdam update of arrays in place (PyTorch's single-tensor order of operations)."""
    if decay is not None:
        p *= decay
    g = decayed_grad(p, g, maximize, l2, gbuf, tmp)
    lerp_(m, g, 1 - beta1, tmp)
    v *= beta2
    addcmul_(v, g, g, 1 - beta2, tmp)
    np.divide(v, bias_correction2, out=denom)
    np.sqrt(denom, out=denom)
    denom += eps
    addcdiv_(p, g, denom, grad_coef, tmp)
    addcdiv_(p, m, denom, avg_coef, tmp)
