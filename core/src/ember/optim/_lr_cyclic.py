"""Cyclic schedulers: CosineAnnealingWarmRestarts, CyclicLR and OneCycleLR."""
from __future__ import annotations

import math
import types
from functools import partial

from ._lr_base import (
    LRScheduler,
    _check_optimizer,
    _format_param,
    _group_values,
    _set_group_value,
    _warn_get_lr_outside_step,
)

__all__ = ["CosineAnnealingWarmRestarts", "CyclicLR", "OneCycleLR"]


def _init_momentum_cycling(scheduler, optimizer, base_momentum, max_momentum, last_epoch):
    """Set up momentum (or Adam's beta1) cycling; groups start at ``max_momentum``."""
    if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
        raise ValueError("optimizer must support momentum or beta1 with `cycle_momentum` "
                         "option enabled")
    scheduler.use_beta1 = "betas" in optimizer.defaults
    base = _format_param("base_momentum", optimizer, base_momentum)
    top = _format_param("max_momentum", optimizer, max_momentum)
    if last_epoch == -1:
        for m, b, group in zip(top, base, optimizer.param_groups, strict=True):
            _set_momentum(group, m, scheduler.use_beta1)
            group["max_momentum"] = m
            group["base_momentum"] = b
    return base, top


def _set_momentum(group, value, use_beta1):
    if use_beta1:
        group["betas"] = (value, *group["betas"][1:])
    else:
        group["momentum"] = value


class CosineAnnealingWarmRestarts(LRScheduler):
    r"""Cosine annealing with warm restarts (SGDR).

    .. math:: \eta_t = \eta_{min} + \tfrac12(\eta_0 - \eta_{min})(1 + \cos(\pi T_{cur}/T_i))

    ``T_cur`` counts epochs since the last restart; the period ``T_i`` starts at ``T_0`` and is
    multiplied by ``T_mult`` at every restart. ``step(epoch)`` accepts fractional epochs
    (e.g. ``epoch + i / iters``) without the deprecation warning.

    Args:
        optimizer (Optimizer): wrapped optimizer.
        T_0 (int): epochs until the first restart (positive).
        T_mult (int): period growth factor (>= 1). Default 1.
        eta_min (float): minimum lr. Default 0.0.
        last_epoch (int): index of the last epoch. Default -1.

    Raises:
        ValueError: bad ``T_0``, ``T_mult``, ``eta_min`` or a negative ``epoch``.

    Example:
        >>> import ember
        >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0)
        >>> s = ember.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2)
        >>> opt.step(); s.step(); s.step(); s.get_last_lr()
        [1.0]
    """

    def __init__(self, optimizer, T_0: int, T_mult: int = 1, eta_min: float = 0.0,
                 last_epoch: int = -1) -> None:
        if T_0 <= 0 or not isinstance(T_0, int):
            raise ValueError(f"Expected positive integer T_0, but got {T_0}")
        if T_mult < 1 or not isinstance(T_mult, int):
            raise ValueError(f"Expected integer T_mult >= 1, but got {T_mult}")
        if not isinstance(eta_min, (float, int)):
            raise ValueError(f"Expected float or int eta_min, but got {eta_min} "
                             f"of type {type(eta_min)}")
        self.T_0 = T_0
        self.T_i = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        """Return the cosine lr at ``T_cur`` within the current period ``T_i``."""
        _warn_get_lr_outside_step(self)
        c = (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
        return [self.eta_min + (b - self.eta_min) * c for b in self.base_lrs]

    def step(self, epoch=None) -> None:
        """Advance one epoch, or jump to the (possibly fractional) ``epoch``.

        Args:
            epoch (float, optional): epoch to move to. Default None (next epoch).

        Example:
            >>> import ember
            >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0)
            >>> s = ember.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2)
            >>> s.step(1.0); round(s.get_last_lr()[0], 6)
            0.5
        """
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur += 1
            if self.T_cur >= self.T_i:
                self.T_cur -= self.T_i
                self.T_i *= self.T_mult
        else:
            if epoch < 0:
                raise ValueError(f"Expected non-negative epoch, but got {epoch}")
            if epoch >= self.T_0:
                if self.T_mult == 1:
                    self.T_cur = epoch % self.T_0
                else:
                    # number of completed periods n: T_0 (T_mult^n - 1)/(T_mult - 1) <= epoch
                    n = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
                    self.T_cur = epoch - self.T_0 * (self.T_mult ** n - 1) / (self.T_mult - 1)
                    self.T_i = self.T_0 * self.T_mult ** n
            else:
                self.T_i = self.T_0
                self.T_cur = epoch
        self.last_epoch = math.floor(epoch)
        self._get_lr_called_within_step = True
        try:
            values = self.get_lr()
        finally:
            self._get_lr_called_within_step = False
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            _set_group_value(group, "lr", lr)
        self._last_lr = _group_values(self.optimizer, "lr")


class CyclicLR(LRScheduler):
    r"""Cycle the lr (and momentum) between two boundaries (cyclical learning rates).

    With ``cycle = floor(1 + t / (up + down))`` and ``x`` the position in the cycle, the lr is
    ``base_lr + (max_lr - base_lr) * h(x) * scale_fn(...)`` where ``h`` rises linearly over
    ``step_size_up`` iterations and falls over ``step_size_down``. Modes: ``triangular``
    (scale 1), ``triangular2`` (halved each cycle), ``exp_range`` (``gamma**iteration``).
    Momentum moves in the opposite direction between ``max_momentum`` and ``base_momentum``
    (``betas[0]`` for Adam-like optimizers). The scheduler is stepped per batch.

    Args:
        optimizer (Optimizer): wrapped optimizer.
        base_lr (float or list): lower boundary (also the initial lr).
        max_lr (float or list): upper boundary.
        step_size_up (int): iterations in the rising half. Default 2000.
        step_size_down (int, optional): iterations in the falling half. Default ``step_size_up``.
        mode (str): ``'triangular'``, ``'triangular2'`` or ``'exp_range'``. Default triangular.
        gamma (float): ``exp_range`` base. Default 1.0.
        scale_fn (callable, optional): custom scaling, overrides ``mode``. Default None.
        scale_mode (str): ``'cycle'`` or ``'iterations'`` argument of ``scale_fn``.
        cycle_momentum (bool): cycle momentum too. Default True.
        base_momentum (float or list): lower momentum boundary. Default 0.8.
        max_momentum (float or list): upper momentum boundary. Default 0.9.
        last_epoch (int): index of the last batch. Default -1.

    Raises:
        ValueError: unknown mode without ``scale_fn``; momentum cycling on an optimizer
            without ``momentum``/``betas``; list arguments of the wrong length.

    Example:
        >>> import ember
        >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0, momentum=0.9)
        >>> s = ember.optim.lr_scheduler.CyclicLR(opt, 0.1, 1.1, step_size_up=2)
        >>> opt.step(); s.step(); round(s.get_last_lr()[0], 6)
        0.6
    """

    def __init__(self, optimizer, base_lr, max_lr, step_size_up: int = 2000,
                 step_size_down: int | None = None, mode: str = "triangular",
                 gamma: float = 1.0, scale_fn=None, scale_mode: str = "cycle",
                 cycle_momentum: bool = True, base_momentum=0.8, max_momentum=0.9,
                 last_epoch: int = -1) -> None:
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        base_lrs = _format_param("base_lr", optimizer, base_lr)
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups, strict=True):
                _set_group_value(group, "lr", lr)
        self.max_lrs = _format_param("max_lr", optimizer, max_lr)
        up = float(step_size_up)
        down = float(step_size_down) if step_size_down is not None else up
        self.total_size = up + down
        self.step_ratio = up / self.total_size
        if mode not in ("triangular", "triangular2", "exp_range") and scale_fn is None:
            raise ValueError("mode is invalid and scale_fn is None")
        self.mode = mode
        self.gamma = gamma
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode
        self._init_scale_fn()
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.base_momentums, self.max_momentums = _init_momentum_cycling(
                self, optimizer, base_momentum, max_momentum, last_epoch)
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def _init_scale_fn(self) -> None:
        if self._scale_fn_custom is not None:
            return
        if self.mode == "triangular":
            self._scale_fn_ref = self._triangular_scale_fn
            self.scale_mode = "cycle"
        elif self.mode == "triangular2":
            self._scale_fn_ref = self._triangular2_scale_fn
            self.scale_mode = "cycle"
        elif self.mode == "exp_range":
            self._scale_fn_ref = partial(self._exp_range_scale_fn, self.gamma)
            self.scale_mode = "iterations"

    def scale_fn(self, x) -> float:
        """Evaluate the custom ``scale_fn`` or the mode's built-in one at ``x``."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        return self._scale_fn_ref(x)

    @staticmethod
    def _triangular_scale_fn(x):
        return 1.0

    @staticmethod
    def _triangular2_scale_fn(x):
        return 1 / (2.0 ** (x - 1))

    @staticmethod
    def _exp_range_scale_fn(gamma, x):
        return gamma ** x

    def get_lr(self) -> list:
        """Return the cyclic lrs and write the cycled momenta into the groups."""
        _warn_get_lr_outside_step(self)
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        if x <= self.step_ratio:
            height = x / self.step_ratio
        else:
            height = (x - 1) / (self.step_ratio - 1)
        scale = self.scale_fn(cycle if self.scale_mode == "cycle" else self.last_epoch)
        lrs = [b + (m - b) * height * scale
               for b, m in zip(self.base_lrs, self.max_lrs, strict=True)]
        if self.cycle_momentum:
            for b, m, group in zip(self.base_momentums, self.max_momentums,
                                   self.optimizer.param_groups, strict=True):
                _set_momentum(group, m - (m - b) * height * scale, self.use_beta1)
        return lrs

    def state_dict(self) -> dict:
        """Return the state; a plain-function ``scale_fn`` is dropped, an object's dict kept.

        Example:
            >>> import ember
            >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0, momentum=0.9)
            >>> "_scale_fn_ref" in ember.optim.lr_scheduler.CyclicLR(opt, 0.1, 1.0).state_dict()
            False
        """
        state = super().state_dict()
        state.pop("_scale_fn_ref", None)
        fn = state.pop("_scale_fn_custom")
        state["_scale_fn_custom"] = None
        if fn is not None and not isinstance(fn, types.FunctionType):
            state["_scale_fn_custom"] = fn.__dict__.copy()
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        """Load a state from :meth:`state_dict` (a custom ``scale_fn`` keeps its identity)."""
        state = dict(state_dict)
        fn_state = state.pop("_scale_fn_custom")
        super().load_state_dict(state)
        if fn_state is not None:
            self._scale_fn_custom.__dict__.update(fn_state)
        self._init_scale_fn()


class OneCycleLR(LRScheduler):
    r"""The 1cycle policy: warm up from ``max_lr/div_factor`` to ``max_lr``, then anneal down.

    Phases (``T`` total steps, ``p = pct_start``): lr goes ``initial -> max`` over steps
    ``[0, pT-1]``, then ``max -> min`` to step ``T-1`` (``min = initial / final_div_factor``);
    ``three_phase`` goes ``max -> initial`` until ``2pT-2`` and then ``initial -> min``.
    Annealing is cosine, ``end + (start-end)(1+cos(pi*pct))/2``, or linear. Momentum (or
    ``betas[0]``) moves inversely between ``max_momentum`` and ``base_momentum``. Stepped per
    batch; stepping beyond ``total_steps`` raises.

    Args:
        optimizer (Optimizer): wrapped optimizer.
        max_lr (float or list): peak lr.
        total_steps (int, optional): number of steps; else ``epochs * steps_per_epoch``.
        epochs (int, optional): number of epochs.
        steps_per_epoch (int, optional): steps per epoch.
        pct_start (float): fraction of the cycle spent increasing the lr. Default 0.3.
        anneal_strategy (str): ``'cos'`` or ``'linear'``. Default ``'cos'``.
        cycle_momentum (bool): cycle momentum too. Default True.
        base_momentum (float or list): lower momentum. Default 0.85.
        max_momentum (float or list): upper momentum. Default 0.95.
        div_factor (float): ``initial_lr = max_lr / div_factor``. Default 25.
        final_div_factor (float): ``min_lr = initial_lr / final_div_factor``. Default 1e4.
        three_phase (bool): use the three-phase schedule. Default False.
        last_epoch (int): index of the last batch. Default -1.

    Raises:
        ValueError: inconsistent step counts, bad ``pct_start``/``anneal_strategy``, momentum
            cycling without momentum, or stepping more than ``total_steps`` times.

    Example:
        >>> import ember
        >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0, momentum=0.9)
        >>> s = ember.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10)
        >>> round(s.get_last_lr()[0], 6)
        0.04
    """

    def __init__(self, optimizer, max_lr, total_steps: int | None = None,
                 epochs: int | None = None, steps_per_epoch: int | None = None,
                 pct_start: float = 0.3, anneal_strategy: str = "cos",
                 cycle_momentum: bool = True, base_momentum=0.85, max_momentum=0.95,
                 div_factor: float = 25.0, final_div_factor: float = 1e4,
                 three_phase: bool = False, last_epoch: int = -1) -> None:
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        if total_steps is not None:
            if total_steps <= 0 or not isinstance(total_steps, int):
                raise ValueError(f"Expected positive integer total_steps, but got {total_steps}")
            self.total_steps = total_steps
        elif epochs is not None and steps_per_epoch is not None:
            if not isinstance(epochs, int) or epochs <= 0:
                raise ValueError(f"Expected positive integer epochs, but got {epochs}")
            if not isinstance(steps_per_epoch, int) or steps_per_epoch <= 0:
                raise ValueError("Expected positive integer steps_per_epoch, "
                                 f"but got {steps_per_epoch}")
            self.total_steps = epochs * steps_per_epoch
        else:
            raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch)")
        T = self.total_steps
        if three_phase:
            self._schedule_phases = [
                self._phase(float(pct_start * T) - 1, "initial_lr", "max_lr",
                            "max_momentum", "base_momentum"),
                self._phase(float(2 * pct_start * T) - 2, "max_lr", "initial_lr",
                            "base_momentum", "max_momentum"),
                self._phase(T - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum")]
        else:
            self._schedule_phases = [
                self._phase(float(pct_start * T) - 1, "initial_lr", "max_lr",
                            "max_momentum", "base_momentum"),
                self._phase(T - 1, "max_lr", "min_lr", "base_momentum", "max_momentum")]
        if pct_start < 0 or pct_start > 1 or not isinstance(pct_start, float):
            raise ValueError(f"Expected float between 0 and 1 pct_start, but got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError("anneal_strategy must be one of 'cos' or 'linear', "
                             f"instead got {anneal_strategy}")
        self._anneal_func_type = anneal_strategy
        max_lrs = _format_param("max_lr", optimizer, max_lr)
        if last_epoch == -1:
            for m, group in zip(max_lrs, optimizer.param_groups, strict=True):
                group["initial_lr"] = m / div_factor
                group["max_lr"] = m
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            _init_momentum_cycling(self, optimizer, base_momentum, max_momentum, last_epoch)
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _phase(end_step, start_lr, end_lr, start_momentum, end_momentum):
        return {"end_step": end_step, "start_lr": start_lr, "end_lr": end_lr,
                "start_momentum": start_momentum, "end_momentum": end_momentum}

    def _anneal_func(self, start, end, pct):
        if self._anneal_func_type == "cos":
            return self._annealing_cos(start, end, pct)
        return self._annealing_linear(start, end, pct)

    @staticmethod
    def _annealing_cos(start, end, pct):
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)

    @staticmethod
    def _annealing_linear(start, end, pct):
        return (end - start) * pct + start

    def get_lr(self) -> list:
        """Return the lr of the current phase; writes the cycled momentum into the groups."""
        _warn_get_lr_outside_step(self)
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(f"Tried to step {step} times. The specified number of total "
                             f"steps is {self.total_steps}")
        lrs = []
        last = len(self._schedule_phases) - 1
        for group in self.optimizer.param_groups:
            start_step = 0.0
            for i, phase in enumerate(self._schedule_phases):
                end_step = phase["end_step"]
                if step <= end_step or i == last:
                    pct = (step - start_step) / (end_step - start_step)
                    lrs.append(self._anneal_func(group[phase["start_lr"]],
                                                 group[phase["end_lr"]], pct))
                    if self.cycle_momentum:
                        mom = self._anneal_func(group[phase["start_momentum"]],
                                                group[phase["end_momentum"]], pct)
                        _set_momentum(group, mom, self.use_beta1)
                    break
                start_step = phase["end_step"]
        return lrs
