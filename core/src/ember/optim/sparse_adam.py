"""SparseAdam: Adam that only touches the rows of a parameter that received a gradient."""

from __future__ import annotations

import math

from ..ops._dispatch import xp_of
from .optimizer import Optimizer

__all__ = ["SparseAdam"]


class SparseAdam(Optimizer):
    r"""Masked Adam for embedding-style gradients (PyTorch's ``SparseAdam``).

    ember has no sparse tensors, so the gradient is dense and the *rows* (slices along the
    first dimension) that take part in the step are those whose gradient row has a non-zero
    entry; a 0-d parameter is one row. For those rows only, with :math:`g` the gradient
    (negated if ``maximize``) and :math:`t` the step count of the parameter (incremented on
    every ``step`` in which it has a gradient):

    .. math::
        m \leftarrow m + (1 - \beta_1)(g - m), \qquad
        v \leftarrow v + (1 - \beta_2)(g^2 - v),

        \theta \leftarrow \theta - \gamma \frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t}
        \frac{m}{\sqrt{v} + \epsilon};

    the other rows of :math:`m`, :math:`v` and :math:`\theta` are left as they are.

    State per parameter: ``step`` (a Python int, as in PyTorch), ``exp_avg``, ``exp_avg_sq``.

    Args:
        params (iterable): parameters or parameter groups.
        lr (float, optional): learning rate :math:`\gamma`. Default: 1e-3.
        betas (tuple[float, float], optional): :math:`(\beta_1, \beta_2)`.
            Default: (0.9, 0.999).
        eps (float, optional): added to the denominator. Default: 1e-8.
        maximize (bool, optional): maximise the objective. Default: False.

    Raises:
        ValueError: ``lr`` or ``eps`` not positive, a beta outside [0, 1), complex parameters.

    Example:
        >>> import ember
        >>> w = ember.nn.Parameter(ember.ones(3, 2))
        >>> opt = ember.optim.SparseAdam([w], lr=0.5)
        >>> w[1].sum().backward()  # only row 1 receives a gradient
        >>> _ = opt.step()
        >>> w
        Parameter containing:
        tensor([[1.0000, 1.0000],
                [0.5000, 0.5000],
                [1.0000, 1.0000]], requires_grad=True)
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, maximize: bool = False) -> None:
        if not 0.0 < lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "maximize": maximize}
        super().__init__(params, defaults)
        complex_params = [[i, j] for i, group in enumerate(self.param_groups)
                          for j, p in enumerate(group["params"]) if p.is_complex()]
        if complex_params:
            raise ValueError(f"Complex params at indices {complex_params}: SparseAdam does not "
                             "support complex parameters")

    def _init_state(self, p, group, state) -> None:
        state["step"] = 0
        state["exp_avg"] = self._zeros_like(p)
        state["exp_avg_sq"] = self._zeros_like(p)

    def _update(self, p, g, group, state) -> None:
        xp = xp_of(p._data)
        beta1, beta2 = group["betas"]
        state["step"] += 1
        step = state["step"]
        if group["maximize"]:
            g = -g
        rows = g != 0 if g.ndim <= 1 else xp.any(g != 0, axis=tuple(range(1, g.ndim)))
        if not bool(rows.any()):
            return
        x, m, v = p._data, state["exp_avg"]._data, state["exp_avg_sq"]._data
        gr = g[rows]
        m_rows = m[rows]
        m_rows += (1 - beta1) * (gr - m_rows)
        v_rows = v[rows]
        v_rows += (1 - beta2) * (gr * gr - v_rows)
        m[rows] = m_rows
        v[rows] = v_rows
        step_size = float(group["lr"]) * math.sqrt(1 - beta2 ** step) / (1 - beta1 ** step)
        denom = xp.sqrt(v_rows)
        denom += group["eps"]
        x[rows] -= step_size * (m_rows / denom)
