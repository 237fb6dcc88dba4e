"""Adam (and its decoupled-weight-decay form, the base of AdamW)."""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._cuda_kernels import adam_, fused_dtype
from ._kernels import decayed_grad
from .optimizer import Optimizer, advance_step

__all__ = ["Adam"]


def _check_adam_args(lr, betas, eps, weight_decay) -> None:
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


class Adam(Optimizer):
    r"""Adam (Kingma & Ba), PyTorch's formulation.

    .. math::
        g_t \leftarrow g_t + \lambda\theta_{t-1}\ \text{(or } \theta_{t-1} \leftarrow
        \theta_{t-1}(1-\gamma\lambda) \text{ if decoupled)}, \quad
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2, \\
        \theta_t = \theta_{t-1} - \frac{\gamma}{1-\beta_1^t}
        \frac{m_t}{\sqrt{\hat v_t}/\sqrt{1-\beta_2^t} + \epsilon}

    with :math:`\hat v_t = v_t`, or :math:`\max(\hat v_{t-1}, v_t)` with ``amsgrad``.

    Args:
        params (iterable): tensors or parameter-group dicts.
        lr (float): learning rate. Default: 1e-3.
        betas (Tuple[float, float]): moving-average coefficients. Default: (0.9, 0.999).
        eps (float): added to the denominator. Default: 1e-8.
        weight_decay (float): L2 penalty (decoupled if ``decoupled_weight_decay``). Default: 0.
        amsgrad (bool): use the running maximum of :math:`v_t`. Default: False.
        maximize (bool): maximize the objective. Default: False.
        decoupled_weight_decay (bool): AdamW-style decay. Default: False.
        foreach, capturable, differentiable, fused: accepted for PyTorch compatibility.

    State: ``step`` (0-d float32), ``exp_avg``, ``exp_avg_sq``, ``max_exp_avg_sq`` (amsgrad).

    Raises:
        ValueError: a negative lr, eps or weight_decay, or a beta outside [0, 1).

    Example:
        >>> import ember
        >>> w = ember.nn.Parameter(ember.tensor([1.0, -2.0]))
        >>> opt = ember.optim.Adam([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> _ = opt.step()
        >>> w.detach()
        tensor([ 0.9000, -1.9000])
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None,
                 decoupled_weight_decay: bool = False) -> None:
        _check_adam_args(lr, betas, eps, weight_decay)
        betas = tuple(float(b) for b in betas)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach,
                    "capturable": capturable, "differentiable": differentiable, "fused": fused,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            for k, v in (("amsgrad", False), ("maximize", False), ("foreach", None),
                         ("capturable", False), ("differentiable", False),
                         ("decoupled_weight_decay", False), ("fused", None)):
                group.setdefault(k, v)

    def _init_state(self, p, group, state) -> None:
        state["step"] = self._step_tensor()
        state["exp_avg"] = self._zeros_like(p)
        state["exp_avg_sq"] = self._zeros_like(p)
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = self._zeros_like(p)

    def _update(self, p, g, group, state) -> None:
        lr = float(group["lr"])
        beta1, beta2 = group["betas"]
        wd = group["weight_decay"]
        step = advance_step(state)
        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        if not group["amsgrad"] and fused_dtype(p._data):  # one CUDA kernel per tensor
            adam_(p._data, g, state["exp_avg"]._data, state["exp_avg_sq"]._data,
                  beta1=beta1, beta2=beta2, eps=group["eps"], step_size=lr / bias_correction1,
                  bias_correction2_sqrt=bias_correction2 ** 0.5,
                  l2=0 if group["decoupled_weight_decay"] else wd,
                  decay=1 - lr * wd if group["decoupled_weight_decay"] and wd != 0 else None,
                  maximize=group["maximize"])
            return
        eps, maximize, amsgrad = group["eps"], group["maximize"], group["amsgrad"]
        l2 = 0 if group["decoupled_weight_decay"] else wd
        decay = 1 - lr * wd if group["decoupled_weight_decay"] and wd != 0 else None
        step_size, bc2_sqrt = lr / bias_correction1, bias_correction2 ** 0.5
        kernel = _adam_kernel(beta1=beta1, beta2=beta2, eps=eps, maximize=maximize, l2=l2,
                              decay=decay, step_size=step_size,
                              bias_correction2_sqrt=bc2_sqrt, amsgrad=amsgrad)
        v = state["exp_avg_sq"]._data
        arrays = [p._data, g, state["exp_avg"]._data, v,
                  state["max_exp_avg_sq"]._data if amsgrad else v]
        w = 1 - beta1
        loop = ("adam", (w, 1 - w, beta2, 1 - beta2, bc2_sqrt, eps, -step_size, l2,
                         1 if decay is None else decay, abs(w) < 0.5, decay is not None,
                         maximize, amsgrad))
        self._defer(kernel, arrays, 3, loop)


def _adam_kernel(*, beta1, beta2, eps, maximize, l2, decay, step_size, bias_correction2_sqrt,
                 amsgrad):
    """The in-place Adam update of one parameter (or one chunk of it) as
    ``kernel(p, g, m, v, vmax, gbuf, tmp, denom)`` (``vmax`` is used only with ``amsgrad``),
    PyTorch's single-tensor order of operations: ``m.lerp_(g, 1 - beta1)``,
    ``v.mul_(beta2).addcmul_(g, g, value=1 - beta2)``,
    ``denom = sqrt(v) / bias_correction2_sqrt + eps``, ``p.addcdiv_(m, denom, -step_size)``.

    NOTE: a closure over the hyper-parameters with the ``_kernels`` steps written inline: it
    runs once per cache-sized chunk (~200 times per step of 25 M parameters), where keyword
    binding and helper calls cost ~15% of the kernel's Python time."""
    subtract, multiply, sqrt = np.subtract, np.multiply, np.sqrt
    w = 1 - beta1
    lerp_near = abs(w) < 0.5  # PyTorch's two-sided lerp formula
    w_far = 1 - w
    c2 = 1 - beta2
    neg_step = -step_size
    plain = not maximize and l2 == 0 and decay is None

    def kernel(p, g, m, v, vmax, gbuf, tmp, denom):
        if not plain:
            if decay is not None:
                p *= decay
            g = decayed_grad(p, g, maximize, l2, gbuf, tmp)
        subtract(g, m, out=tmp)
        if lerp_near:
            tmp *= w
            m += tmp
        else:
            tmp *= w_far
            subtract(g, tmp, out=m)
        v *= beta2
        multiply(g, c2, out=tmp)
        tmp *= g
        v += tmp
        if amsgrad:
            np.maximum(vmax, v, out=vmax)
            v = vmax
        sqrt(v, out=denom)
        denom /= bias_correction2_sqrt
        denom += eps
        multiply(m, neg_step, out=tmp)
        tmp /= denom
        p += tmp

    return kernel
