"""AdamW: Adam with decoupled weight decay (Loshchilov & Hutter)."""

from __future__ import annotations

from .adam import Adam

__all__ = ["AdamW"]


class AdamW(Adam):
    r"""AdamW: Adam whose weight decay shrinks the parameters directly,
    :math:`\theta \leftarrow \theta (1 - \gamma\lambda)`, before the Adam update, instead of
    entering the moments.

    Args:
        params (iterable): tensors or parameter-group dicts.
        lr (float): learning rate. Default: 1e-3.
        betas (Tuple[float, float]): moving-average coefficients. Default: (0.9, 0.999).
        eps (float): added to the denominator. Default: 1e-8.
        weight_decay (float): decoupled decay coefficient :math:`\lambda`. Default: 1e-2.
        amsgrad (bool): use the running maximum of the second moment. Default: False.
        maximize (bool): maximize the objective. Default: False.
        foreach, capturable, differentiable, fused: accepted for PyTorch compatibility.

    State: as Adam (``step``, ``exp_avg``, ``exp_avg_sq``, ``max_exp_avg_sq``).

    Raises:
        ValueError: a negative lr, eps or weight_decay, or a beta outside [0, 1).

    Example:
        >>> import ember
        >>> w = ember.nn.Parameter(ember.tensor([1.0, -2.0]))
        >>> opt = ember.optim.AdamW([w], lr=0.1, weight_decay=0.5)
        >>> (w * w).sum().backward()
        >>> _ = opt.step()
        >>> w.detach()
        tensor([ 0.8500, -1.8000])
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
