"""RAdam: Adam with a rectified adaptive learning rate (Liu et al., 2019)."""

from __future__ import annotations

import functools

import numpy as np

from ._kernels import addcmul_, decayed_grad, lerp_
from .adam import _check_adam_args
from .optimizer import Optimizer, advance_step

__all__ = ["RAdam"]


class RAdam(Optimizer):
    r"""RAdam, PyTorch's formulation.

    .. math::
        m_t, v_t \text{ as in Adam}, \quad \rho_\infty = \frac{2}{1-\beta_2} - 1, \quad
        \rho_t = \rho_\infty - \frac{2 t \beta_2^t}{1-\beta_2^t}, \\
        \theta_t = \theta_{t-1} - \gamma \frac{m_t}{1-\beta_1^t}
        \cdot \begin{cases} r_t \frac{\sqrt{1-\beta_2^t}}{\sqrt{v_t} + \epsilon} &
        \rho_t > 5 \\ 1 & \text{otherwise} \end{cases}, \quad
        r_t = \sqrt{\frac{(\rho_t-4)(\rho_t-2)\rho_\infty}{(\rho_\infty-4)(\rho_\infty-2)\rho_t}}

    with :math:`g_t \leftarrow g_t + \lambda\theta_{t-1}` (or, if ``decoupled_weight_decay``,
    :math:`\theta_{t-1} \leftarrow \theta_{t-1}(1-\gamma\lambda)`).

    Args:
        params (iterable): tensors or parameter-group dicts.
        lr (float): learning rate. Default: 1e-3.
        betas (Tuple[float, float]): moving-average coefficients. Default: (0.9, 0.999).
        eps (float): added to the denominator. Default: 1e-8.
        weight_decay (float): weight decay. Default: 0.
        decoupled_weight_decay (bool): AdamW-style decay. Default: False.
        maximize (bool): maximize the objective. Default: False.
        foreach, capturable, differentiable: accepted for PyTorch compatibility.

    State: ``step`` (0-d float32), ``exp_avg``, ``exp_avg_sq``.

    Raises:
        ValueError: a negative lr, eps or weight_decay, or a beta outside [0, 1).

    Example:
        >>> import ember
        >>> w = ember.nn.Parameter(ember.tensor([1.0, -2.0]))
        >>> opt = ember.optim.RAdam([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> _ = opt.step()
        >>> w.detach()
        tensor([ 0.8000, -1.6000])
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        _check_adam_args(lr, betas, eps, weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "decoupled_weight_decay": decoupled_weight_decay,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            for k, v in (("foreach", None), ("maximize", False), ("differentiable", False),
                         ("decoupled_weight_decay", False), ("capturable", False)):
                group.setdefault(k, v)

    def _init_state(self, p, group, state) -> None:
        state["step"] = self._step_tensor()
        state["exp_avg"] = self._zeros_like(p)
        state["exp_avg_sq"] = self._zeros_like(p)

    def _update(self, p, g, group, state) -> None:
        lr = float(group["lr"])
        beta1, beta2 = group["betas"]
        wd = group["weight_decay"]
        decoupled = group["decoupled_weight_decay"]
        step = advance_step(state)
        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
        rect = None
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                    / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
        l2 = 0 if decoupled else wd
        decay = 1 - lr * wd if decoupled and wd != 0 else None
        bc2_sqrt = bias_correction2 ** 0.5
        kernel = functools.partial(
            _radam_kernel, beta1=beta1, beta2=beta2, eps=group["eps"],
            maximize=group["maximize"], l2=l2, decay=decay, lr=lr,
            bias_correction1=bias_correction1, bias_correction2_sqrt=bc2_sqrt, rect=rect)
        w = 1 - beta1
        loop = ("radam", (w, 1 - w, beta2, 1 - beta2, bias_correction1, lr, bc2_sqrt,
                          group["eps"], 1 if rect is None else rect, l2,
                          1 if decay is None else decay, abs(w) < 0.5, decay is not None,
                          rect is not None, group["maximize"]))
        self._defer(kernel, [p._data, g, state["exp_avg"]._data, state["exp_avg_sq"]._data],
                    3, loop)


def _radam_kernel(p, g, m, v, gbuf, tmp, adaptive, *, beta1, beta2, eps, maximize, l2, decay,
                  lr, bias_correction1, bias_correction2_sqrt, rect) -> None:
    """One RAdam update of arrays in place (PyTorch's single-tensor order of operations);
    ``rect`` is None while the variance is not tractable (:math:`\\rho_t \\le 5`)."""
    if decay is not None:
        p *= decay
    g = decayed_grad(p, g, maximize, l2, gbuf, tmp)
    lerp_(m, g, 1 - beta1, tmp)
    v *= beta2
    addcmul_(v, g, g, 1 - beta2, tmp)
    np.divide(m, bias_correction1, out=tmp)     # bias-corrected exp_avg
    tmp *= lr
    if rect is not None:
        np.sqrt(v, out=adaptive)
        adaptive += eps
        np.divide(bias_correction2_sqrt, adaptive, out=adaptive)
        tmp *= adaptive
        tmp *= rect
    p -= tmp
