"""Rprop: resilient backpropagation, per-coordinate step sizes driven by gradient signs."""

from __future__ import annotations

import functools

import numpy as np

from .._tensor import Tensor
from ..ops._dispatch import xp_of
from .optimizer import Optimizer, advance_step

__all__ = ["Rprop"]


class Rprop(Optimizer):
    r"""Rprop (Riedmiller and Braun 1993), in PyTorch's variant (Rprop with weight backtracking
    replaced by skipping the step after a sign change).

    For each coordinate, with :math:`g_t` the gradient (negated if ``maximize``) and
    :math:`g_{t-1}` the previous *effective* gradient (``prev``):

    .. math::
        \eta_t = \eta_+ \text{ if } g_t g_{t-1} > 0,\ \eta_- \text{ if } g_t g_{t-1} < 0,
        \ 1 \text{ otherwise}; \qquad
        s_t = \mathrm{clamp}(\eta_t s_{t-1}, s_{\min}, s_{\max});

        g_t \leftarrow 0 \text{ where } \eta_t = \eta_-; \qquad
        \theta_t = \theta_{t-1} - s_t\,\mathrm{sign}(g_t); \qquad \mathrm{prev} = g_t.

    State per parameter: ``step``, ``prev``, ``step_size`` (starts at ``lr``).

    Args:
        params (iterable): parameters or parameter groups.
        lr (float, optional): initial step size. Default: 1e-2.
        etas (tuple[float, float], optional): :math:`(\eta_-, \eta_+)`, the decrease and
            increase factors. Default: (0.5, 1.2).
        step_sizes (tuple[float, float], optional): :math:`(s_{\min}, s_{\max})`.
            Default: (1e-6, 50).
        capturable, foreach, differentiable (optional): accepted for PyTorch compatibility.
        maximize (bool, optional): maximise the objective. Default: False.

    Raises:
        ValueError: a negative ``lr``, or not ``0 < etas[0] < 1 < etas[1]``.

    Example:
        >>> import ember
        >>> w = ember.nn.Parameter(ember.tensor([1.0, -2.0]))
        >>> opt = ember.optim.Rprop([w], lr=0.25)
        >>> (w * w).sum().backward()
        >>> _ = opt.step()
        >>> w
        Parameter containing:
        tensor([ 0.7500, -1.7500], requires_grad=True)
    """

    def __init__(self, params, lr: float = 1e-2, etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50), *, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = {"lr": lr, "etas": etas, "step_sizes": step_sizes, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("maximize", False)

    def _init_state(self, p, group, state) -> None:
        xp = xp_of(p._data)
        state["step"] = self._step_tensor()
        state["prev"] = self._zeros_like(p)
        lr = float(group["lr"])
        # a complex parameter is two real ones: lr for the imaginary part too (as PyTorch)
        state["step_size"] = Tensor._make(
            xp.full_like(p._data, complex(lr, lr) if p._data.dtype.kind == "c" else lr))

    def _update(self, p, g, group, state) -> None:
        advance_step(state)
        etaminus, etaplus = group["etas"]
        lo, hi = group["step_sizes"]
        kernel = functools.partial(_rprop_kernel, etaminus=etaminus, etaplus=etaplus, lo=lo,
                                   hi=hi, maximize=group["maximize"])
        self._defer(kernel, [p._data, g, state["prev"]._data, state["step_size"]._data], 3)


def _rprop_kernel(p, g, prev, step_size, gbuf, s, factor, *, etaminus, etaplus, lo, hi,
                  maximize) -> None:
    """One Rprop update of arrays in place, PyTorch's single-tensor order of operations:
    ``s = sign(g * prev)``; factor ``etaplus`` where ``s > 0``, ``etaminus`` where ``s < 0``,
    1 where ``s == 0`` (NaN stays NaN); ``step_size.mul_(factor).clamp_(lo, hi)``; ``g`` set
    to 0 where ``s < 0``; ``p.addcmul_(g.sign(), step_size, value=-1)``; ``prev = g``."""
    xp = xp_of(p)
    if maximize:
        np.negative(g, out=gbuf)
    else:
        xp.copyto(gbuf, g)
    np.multiply(gbuf, prev, out=s)
    np.sign(s, out=s)
    factor.fill(1)
    xp.copyto(factor, s, where=np.isnan(s))
    xp.copyto(factor, etaplus, where=s > 0)
    negative = s < 0
    xp.copyto(factor, etaminus, where=negative)
    step_size *= factor
    xp.clip(step_size, lo, hi, out=step_size)
    xp.copyto(gbuf, 0, where=negative)  # no step after a sign change
    np.sign(gbuf, out=s)
    s *= -1
    s *= step_size
    p += s
    xp.copyto(prev, gbuf)
