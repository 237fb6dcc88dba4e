"""Learning-rate schedulers with PyTorch's ``torch.optim.lr_scheduler`` semantics.

Each scheduler has a chainable ``get_lr`` (next lr from the groups' current lr, so several
schedulers can be combined) and, where PyTorch has one, a closed form ``_get_closed_form_lr``
used by the deprecated ``step(epoch)``. The cyclic schedulers live in ``_lr_cyclic.py``, the
plateau and composition schedulers in ``_lr_plateau.py``.
"""
from __future__ import annotations

import math
import types
from bisect import bisect_right
from collections import Counter

from ._lr_base import EPOCH_DEPRECATION_WARNING as EPOCH_DEPRECATION_WARNING
from ._lr_base import LRScheduler, _group_values, _warn_get_lr_outside_step
from ._lr_base import _LRScheduler as _LRScheduler
from ._lr_cyclic import CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR
from ._lr_plateau import ChainedScheduler, ReduceLROnPlateau, SequentialLR

__all__ = ["LRScheduler", "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR",
           "LinearLR", "ExponentialLR", "SequentialLR", "CosineAnnealingLR", "ChainedScheduler",
           "ReduceLROnPlateau", "CyclicLR", "CosineAnnealingWarmRestarts", "OneCycleLR",
           "PolynomialLR"]


def _lambdas(optimizer, lr_lambda):
    if isinstance(lr_lambda, (list, tuple)):
        if len(lr_lambda) != len(optimizer.param_groups):
            raise ValueError(f"Expected {len(optimizer.param_groups)} lr_lambdas, "
                             f"but got {len(lr_lambda)}")
        return list(lr_lambda)
    return [lr_lambda] * len(optimizer.param_groups)


class _LambdaStateMixin:
    """state_dict without plain functions; a callable object's ``__dict__`` is saved."""

    def state_dict(self) -> dict:
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [None if isinstance(fn, types.FunctionType) else fn.__dict__.copy()
                               for fn in self.lr_lambdas]
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        state = dict(state_dict)
        saved = state.pop("lr_lambdas")
        self.__dict__.update(state)
        for fn, fn_state in zip(self.lr_lambdas, saved, strict=True):
            if fn_state is not None:
                fn.__dict__.update(fn_state)


class LambdaLR(_LambdaStateMixin, LRScheduler):
    r"""Set each group's lr to its initial lr times a function of the epoch.

    .. math:: \eta_t = \eta_0 \cdot \lambda(t)

    Args:
        optimizer (Optimizer): wrapped optimizer.
        lr_lambda (callable or list): ``lambda(epoch) -> factor``, or one per param group.
        last_epoch (int): index of the last epoch. Default -1.

    Raises:
        ValueError: a list of lambdas whose length differs from the number of groups.

    Example:
        >>> import ember
        >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0)
        >>> s = ember.optim.lr_scheduler.LambdaLR(opt, lambda e: 0.5 ** e)
        >>> opt.step(); s.step(); s.get_last_lr()
        [0.5]
    """

    def __init__(self, optimizer, lr_lambda, last_epoch: int = -1) -> None:
        self.optimizer = optimizer
        self.lr_lambdas = _lambdas(optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        """Return ``base_lr * lr_lambda(last_epoch)`` per group."""
        _warn_get_lr_outside_step(self)
        return [base * fn(self.last_epoch)
                for fn, base in zip(self.lr_lambdas, self.base_lrs, strict=True)]


class MultiplicativeLR(_LambdaStateMixin, LRScheduler):
    r"""Multiply each group's lr by a function of the epoch at every step.

    .. math:: \eta_t = \eta_{t-1} \cdot \lambda(t)

    Args:
        optimizer (Optimizer): wrapped optimizer.
        lr_lambda (callable or list): ``lambda(epoch) -> factor``, or one per param group.
        last_epoch (int): index of the last epoch. Default -1.

    Raises:
        ValueError: wrong number of lambdas. TypeError: a lambda is not callable.

    Example:
        >>> import ember
        >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0)
        >>> s = ember.optim.lr_scheduler.MultiplicativeLR(opt, lambda e: 0.5)
        >>> opt.step(); s.step(); s.step(); s.get_last_lr()
        [0.25]
    """

    def __init__(self, optimizer, lr_lambda, last_epoch: int = -1) -> None:
        self.optimizer = optimizer
        self.lr_lambdas = _lambdas(optimizer, lr_lambda)
        for fn in self.lr_lambdas:
            if not callable(fn):
                raise TypeError(f"lr_lambda should be a function, but got {type(fn).__name__}")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        """Return ``lr * lr_lambda(last_epoch)`` per group (unchanged on the initial step)."""
        _warn_get_lr_outside_step(self)
        if self._is_initial:
            return _group_values(self.optimizer, "lr")
        return [g["lr"] * fn(self.last_epoch)
                for fn, g in zip(self.lr_lambdas, self.optimizer.param_groups, strict=True)]


class StepLR(LRScheduler):
    r"""Decay each group's lr by ``gamma`` every ``step_size`` epochs.

    .. math:: \eta_t = \eta_0 \cdot \gamma^{\lfloor t / \text{step\_size} \rfloor}

    Args:
        optimizer (Optimizer): wrapped optimizer.
        step_size (int): period of the decay.
        gamma (float): multiplicative factor. Default 0.1.
        last_epoch (int): index of the last epoch. Default -1.

    Example:
        >>> import ember
        >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0)
        >>> s = ember.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
        >>> opt.step(); s.step(); s.step(); s.get_last_lr()
        [0.5]
    """

    def __init__(self, optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        """Return the lr times ``gamma`` on multiples of ``step_size``, else unchanged."""
        _warn_get_lr_outside_step(self)
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return _group_values(self.optimizer, "lr")
        return [g["lr"] * self.gamma for g in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list:
        return [b * self.gamma ** (self.last_epoch // self.step_size) for b in self.base_lrs]


class MultiStepLR(LRScheduler):
    r"""Decay each group's lr by ``gamma`` at each milestone (repeated milestones compound).

    .. math:: \eta_t = \eta_0 \cdot \gamma^{\#\{m \in \text{milestones} : m \le t\}}

    Args:
        optimizer (Optimizer): wrapped optimizer.
        milestones (iterable of int): epochs at which to decay.
        gamma (float): multiplicative factor. Default 0.1.
        last_epoch (int): index of the last epoch. Default -1.

    Example:
        >>> import ember
        >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0)
        >>> s = ember.optim.lr_scheduler.MultiStepLR(opt, milestones=[1], gamma=0.5)
        >>> opt.step(); s.step(); s.get_last_lr()
        [0.5]
    """

    def __init__(self, optimizer, milestones, gamma: float = 0.1, last_epoch: int = -1) -> None:
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        """Return the lr times ``gamma**count`` at a milestone, else unchanged."""
        _warn_get_lr_outside_step(self)
        if self.last_epoch not in self.milestones:
            return _group_values(self.optimizer, "lr")
        k = self.milestones[self.last_epoch]
        return [g["lr"] * self.gamma ** k for g in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list:
        ms = sorted(self.milestones.elements())
        return [b * self.gamma ** bisect_right(ms, self.last_epoch) for b in self.base_lrs]


class ConstantLR(LRScheduler):
    r"""Multiply the lr by ``factor`` for the first ``total_iters`` epochs.

    .. math:: \eta_t = \eta_0 \cdot (\text{factor} \text{ if } t < T \text{ else } 1)

    Args:
        optimizer (Optimizer): wrapped optimizer.
        factor (float): factor in [0, 1]. Default 1/3.
        total_iters (int): number of epochs with the reduced lr. Default 5.
        last_epoch (int): index of the last epoch. Default -1.

    Raises:
        ValueError: ``factor`` outside [0, 1].

    Example:
        >>> import ember
        >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0)
        >>> ember.optim.lr_scheduler.ConstantLR(opt, factor=0.5, total_iters=2).get_last_lr()
        [0.5]
    """

    def __init__(self, optimizer, factor: float = 1.0 / 3, total_iters: int = 5,
                 last_epoch: int = -1) -> None:
        if factor > 1.0 or factor < 0:
            raise ValueError("Constant multiplicative factor expected to be between 0 and 1.")
        self.factor = factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        """Scale by ``factor`` at epoch 0 and back by ``1/factor`` at ``total_iters``."""
        _warn_get_lr_outside_step(self)
        if self.last_epoch == 0:
            return [g["lr"] * self.factor for g in self.optimizer.param_groups]
        if self.last_epoch != self.total_iters:
            return _group_values(self.optimizer, "lr")
        return [g["lr"] * (1.0 / self.factor) for g in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list:
        on = self.last_epoch >= self.total_iters
        return [b * (self.factor + on * (1 - self.factor)) for b in self.base_lrs]


class LinearLR(LRScheduler):
    r"""Change the lr factor linearly from ``start_factor`` to ``end_factor`` over ``total_iters``.

    .. math:: \eta_t = \eta_0 \left(s + (e - s)\frac{\min(t, T)}{T}\right)

    Args:
        optimizer (Optimizer): wrapped optimizer.
        start_factor (float): factor at epoch 0, in (0, 1]. Default 1/3.
        end_factor (float): factor from ``total_iters`` on, in [0, 1]. Default 1.0.
        total_iters (int): length of the ramp. Default 5.
        last_epoch (int): index of the last epoch. Default -1.

    Raises:
        ValueError: a factor out of range.

    Example:
        >>> import ember
        >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0)
        >>> s = ember.optim.lr_scheduler.LinearLR(opt, start_factor=0.5, total_iters=2)
        >>> opt.step(); s.step(); s.get_last_lr()
        [0.75]
    """

    def __init__(self, optimizer, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
                 total_iters: int = 5, last_epoch: int = -1) -> None:
        if start_factor > 1.0 or start_factor <= 0:
            raise ValueError("Starting multiplicative factor expected to be greater than 0 "
                             "and less or equal to 1.")
        if end_factor > 1.0 or end_factor < 0:
            raise ValueError("Ending multiplicative factor expected to be between 0 and 1.")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        """Return the chainable linear-ramp lr (ratio of consecutive closed-form factors)."""
        _warn_get_lr_outside_step(self)
        if self.last_epoch == 0:
            return [g["lr"] * self.start_factor for g in self.optimizer.param_groups]
        if self._is_initial or self.last_epoch > self.total_iters:
            return _group_values(self.optimizer, "lr")
        d = self.end_factor - self.start_factor
        ratio = 1.0 + d / (self.total_iters * self.start_factor + (self.last_epoch - 1) * d)
        return [g["lr"] * ratio for g in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list:
        frac = min(self.total_iters, self.last_epoch) / self.total_iters
        return [b * (self.start_factor + (self.end_factor - self.start_factor) * frac)
                for b in self.base_lrs]


class ExponentialLR(LRScheduler):
    r"""Decay each group's lr by ``gamma`` every epoch.

    .. math:: \eta_t = \eta_0 \gamma^t

    Args:
        optimizer (Optimizer): wrapped optimizer.
        gamma (float): multiplicative factor.
        last_epoch (int): index of the last epoch. Default -1.

    Example:
        >>> import ember
        >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0)
        >>> s = ember.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
        >>> opt.step(); s.step(); s.get_last_lr()
        [0.5]
    """

    def __init__(self, optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        """Return the lr times ``gamma`` (unchanged on the initial step)."""
        _warn_get_lr_outside_step(self)
        if self._is_initial:
            return _group_values(self.optimizer, "lr")
        return [g["lr"] * self.gamma for g in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list:
        return [b * self.gamma ** self.last_epoch for b in self.base_lrs]


class PolynomialLR(LRScheduler):
    r"""Decay the lr polynomially to 0 over ``total_iters`` epochs.

    .. math:: \eta_t = \eta_0 \left(1 - \frac{\min(t, T)}{T}\right)^{p}

    Args:
        optimizer (Optimizer): wrapped optimizer.
        total_iters (int): number of decay epochs. Default 5.
        power (float): power of the polynomial. Default 1.0.
        last_epoch (int): index of the last epoch. Default -1.

    Example:
        >>> import ember
        >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0)
        >>> s = ember.optim.lr_scheduler.PolynomialLR(opt, total_iters=4, power=1.0)
        >>> opt.step(); s.step(); s.get_last_lr()
        [0.75]
    """

    def __init__(self, optimizer, total_iters: int = 5, power: float = 1.0,
                 last_epoch: int = -1) -> None:
        self.total_iters = total_iters
        self.power = power
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        """Return the lr times the ratio of consecutive closed-form factors."""
        _warn_get_lr_outside_step(self)
        if self._is_initial or self.last_epoch > self.total_iters:
            return _group_values(self.optimizer, "lr")
        t, n = self.last_epoch, self.total_iters
        decay = ((1.0 - t / n) / (1.0 - (t - 1) / n)) ** self.power
        return [g["lr"] * decay for g in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list:
        frac = min(self.total_iters, self.last_epoch) / self.total_iters
        return [b * (1.0 - frac) ** self.power for b in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    r"""Anneal the lr along a cosine from the initial lr to ``eta_min`` over ``T_max`` epochs.

    .. math:: \eta_t = \eta_{min} + \tfrac12(\eta_0 - \eta_{min})(1 + \cos(\pi t / T_{max}))

    The chainable (recursive) form of PyTorch is used: past ``T_max`` the lr rises again.

    Args:
        optimizer (Optimizer): wrapped optimizer.
        T_max (int): half period in epochs.
        eta_min (float): minimum lr. Default 0.0.
        last_epoch (int): index of the last epoch. Default -1.

    Example:
        >>> import ember
        >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0)
        >>> s = ember.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=2)
        >>> opt.step(); s.step(); round(s.get_last_lr()[0], 6)
        0.5
    """

    def __init__(self, optimizer, T_max: int, eta_min: float = 0.0,
                 last_epoch: int = -1) -> None:
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        """Return the recursive cosine-annealing lr."""
        _warn_get_lr_outside_step(self)
        t, T, lo = self.last_epoch, self.T_max, self.eta_min
        groups = self.optimizer.param_groups
        if self._is_initial:
            return _group_values(self.optimizer, "lr")
        if self._step_count == 1 and t > 0:
            # resumed with last_epoch > 0: start from the closed form
            return [lo + (b - lo) * (1 + math.cos(t * math.pi / T)) / 2 for b in self.base_lrs]
        if (t - 1 - T) % (2 * T) == 0:
            # NOTE: at the trough the ratio below would divide by ~0; step up additively.
            return [g["lr"] + (b - lo) * (1 - math.cos(math.pi / T)) / 2
                    for b, g in zip(self.base_lrs, groups, strict=True)]
        ratio = (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
        return [ratio * (g["lr"] - lo) + lo for g in groups]

    def _get_closed_form_lr(self) -> list:
        c = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        return [self.eta_min + (b - self.eta_min) * c for b in self.base_lrs]

