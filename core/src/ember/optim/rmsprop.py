"""RMSprop: divide the gradient by a running root mean square of its recent magnitudes."""

from __future__ import annotations

import functools

import numpy as np

from ._kernels import add_, addcdiv_, addcmul_, decayed_grad, lerp_
from .optimizer import Optimizer, advance_step

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop (Hinton's lecture 6e; centred form of Graves 2013).

    With :math:`g_t` the gradient (negated if ``maximize``, plus ``weight_decay`` times the
    parameter):

    .. math::
        v_t = \alpha v_{t-1} + (1 - \alpha) g_t^2, \qquad
        \bar g_t = \alpha \bar g_{t-1} + (1 - \alpha) g_t \ (\text{centered}),

        d_t = \sqrt{v_t - \bar g_t^2} + \epsilon \ (\text{centered}) \text{ else }
        \sqrt{v_t} + \epsilon,

        b_t = \mu b_{t-1} + g_t / d_t, \quad \theta_t = \theta_{t-1} - \gamma b_t
        \ (\text{momentum } \mu > 0) \text{ else } \theta_t = \theta_{t-1} - \gamma g_t / d_t.

    State per parameter: ``step``, ``square_avg``, ``momentum_buffer`` (momentum > 0),
    ``grad_avg`` (centered).

    Args:
        params (iterable): parameters or parameter groups.
        lr (float, optional): learning rate :math:`\gamma`. Default: 1e-2.
        alpha (float, optional): smoothing constant. Default: 0.99.
        eps (float, optional): added to the denominator (outside the square root). Default: 1e-8.
        weight_decay (float, optional): L2 penalty. Default: 0.
        momentum (float, optional): momentum factor. Default: 0.
        centered (bool, optional): normalise by the estimated variance instead of the second
            moment. Default: False.
        capturable, foreach, differentiable (bool, optional): accepted for PyTorch
            compatibility; ember has one implementation.
        maximize (bool, optional): maximise the objective. Default: False.

    Raises:
        ValueError: a negative ``lr``, ``eps``, ``momentum``, ``weight_decay`` or ``alpha``.

    Example:
        >>> import ember
        >>> w = ember.nn.Parameter(ember.tensor([1.0, -2.0]))
        >>> opt = ember.optim.RMSprop([w], lr=0.01)
        >>> (w * w).sum().backward()
        >>> _ = opt.step()
        >>> w  # first step: g / sqrt(0.01 g^2) = 10 sign(g)
        Parameter containing:
        tensor([ 0.9000, -1.9000], requires_grad=True)
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False,
                 capturable: bool = False, foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay, "capturable": capturable,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("momentum", 0)
            group.setdefault("centered", False)
            group.setdefault("maximize", False)

    def _init_state(self, p, group, state) -> None:
        state["step"] = self._step_tensor()
        state["square_avg"] = self._zeros_like(p)
        if group["momentum"] > 0:
            state["momentum_buffer"] = self._zeros_like(p)
        if group["centered"]:
            state["grad_avg"] = self._zeros_like(p)

    def _update(self, p, g, group, state) -> None:
        advance_step(state)
        alpha, eps, lr, wd = group["alpha"], group["eps"], float(group["lr"]), group["weight_decay"]
        momentum, centered, maximize = group["momentum"], group["centered"], group["maximize"]
        sq = state["square_avg"]._data
        arrays = [p._data, g, sq, state["grad_avg"]._data if centered else sq,
                  state["momentum_buffer"]._data if momentum > 0 else sq]
        kernel = functools.partial(
            _rmsprop_kernel, alpha=alpha, eps=eps, lr=lr, weight_decay=wd, maximize=maximize,
            centered=centered, momentum=momentum)
        w = 1 - alpha
        loop = ("rmsprop", (alpha, w, w, 1 - w, eps, -lr, momentum, wd, abs(w) < 0.5, maximize,
                            centered, momentum > 0))
        self._defer(kernel, arrays, 3, loop)


def _rmsprop_kernel(p, g, sq, ga, buf, gbuf, tmp, avg, *, alpha, eps, lr, weight_decay,
                    maximize, centered, momentum) -> None:
    """One RMSprop update of arrays in place (``grad_avg`` and ``momentum_buffer`` are used
    only with their options), PyTorch's single-tensor order of operations:
    ``square_avg.mul_(alpha).addcmul_(g, g, value=1 - alpha)``; centered:
    ``grad_avg.lerp_(g, 1 - alpha)``, ``avg = square_avg.addcmul(grad_avg, grad_avg,
    value=-1).sqrt_()``, else ``avg = square_avg.sqrt()``; ``avg.add_(eps)``; then
    ``buf.mul_(momentum).addcdiv_(g, avg)``, ``p.add_(buf, alpha=-lr)`` or
    ``p.addcdiv_(g, avg, value=-lr)``."""
    g = decayed_grad(p, g, maximize, weight_decay, gbuf, tmp)
    sq *= alpha
    addcmul_(sq, g, g, 1 - alpha, tmp)
    if centered:
        lerp_(ga, g, 1 - alpha, tmp)
        np.negative(ga, out=avg)  # sq + (-1 * ga) * ga
        avg *= ga
        avg += sq
        np.sqrt(avg, out=avg)
    else:
        np.sqrt(sq, out=avg)
    avg += eps
    if momentum > 0:
        buf *= momentum
        addcdiv_(buf, g, avg, 1, tmp)
        add_(p, buf, -lr, tmp)
    else:
        addcdiv_(p, g, avg, -lr, tmp)
