"""ReduceLROnPlateau and the composing schedulers SequentialLR and ChainedScheduler."""
from __future__ import annotations

import math
import warnings
from bisect import bisect_right

from ._lr_base import (
    EPOCH_DEPRECATION_WARNING,
    LRScheduler,
    _check_optimizer,
    _group_values,
    _set_group_value,
)

__all__ = ["ReduceLROnPlateau", "SequentialLR", "ChainedScheduler"]


class ReduceLROnPlateau(LRScheduler):
    r"""Reduce the lr by ``factor`` when a metric stops improving for ``patience`` epochs.

    A metric ``a`` improves on ``best`` when (mode ``min``) ``a < best * (1 - threshold)``
    (``rel``) or ``a < best - threshold`` (``abs``); mirrored for ``max``. After more than
    ``patience`` bad epochs each lr becomes ``max(lr * factor, min_lr)`` (skipped when the
    change is at most ``eps``) and ``cooldown`` epochs follow in which bad epochs are not
    counted.

    Args:
        optimizer (Optimizer): wrapped optimizer.
        mode (str): ``'min'`` or ``'max'``. Default ``'min'``.
        factor (float): reduction factor, < 1. Default 0.1.
        patience (int): bad epochs tolerated. Default 10.
        threshold (float): significance threshold. Default 1e-4.
        threshold_mode (str): ``'rel'`` or ``'abs'``. Default ``'rel'``.
        cooldown (int): epochs to wait after a reduction. Default 0.
        min_lr (float or list): lower bound per group. Default 0.
        eps (float): minimal lr change applied. Default 1e-8.

    Raises:
        ValueError: ``factor >= 1``, unknown mode/threshold_mode, wrong ``min_lr`` length.

    Example:
        >>> import ember
        >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0)
        >>> s = ember.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=0)
        >>> s.step(1.0); s.step(1.0); s.get_last_lr()
        [0.5]
    """

    def __init__(self, optimizer, mode: str = "min", factor: float = 0.1, patience: int = 10,
                 threshold: float = 1e-4, threshold_mode: str = "rel", cooldown: int = 0,
                 min_lr=0, eps: float = 1e-8) -> None:
        if factor >= 1.0:
            raise ValueError("Factor should be < 1.0.")
        self.factor = factor
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != len(optimizer.param_groups):
                raise ValueError(f"expected {len(optimizer.param_groups)} min_lrs, "
                                 f"got {len(min_lr)}")
            self.default_min_lr = None
            self.min_lrs = list(min_lr)
        else:
            self.default_min_lr = min_lr
            self.min_lrs = [min_lr] * len(optimizer.param_groups)
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.last_epoch = 0
        self._last_lr = _group_values(optimizer, "lr")
        self._init_is_better(mode, threshold, threshold_mode)
        self._reset()

    def _reset(self) -> None:
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def step(self, metrics, epoch=None) -> None:
        """Record one epoch's metric and reduce the lrs if it has plateaued.

        Args:
            metrics (float or 0-d Tensor): the monitored quantity.
            epoch (int, optional): deprecated explicit epoch. Default None.

        Example:
            >>> import ember
            >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0)
            >>> s = ember.optim.lr_scheduler.ReduceLROnPlateau(opt)
            >>> s.step(0.5); s.best
            0.5
        """
        current = float(metrics)
        if epoch is None:
            epoch = self.last_epoch + 1
        else:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self.last_epoch = epoch
        if self._is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs during cooldown are ignored
        if self.num_bad_epochs > self.patience:
            self._reduce_lr(epoch)
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = _group_values(self.optimizer, "lr")

    def _reduce_lr(self, epoch) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(
                    f"The number of param groups in the `optimizer` ({len(groups)}) differs "
                    f"from when `ReduceLROnPlateau` was initialized ({len(self.min_lrs)}), "
                    "usually due to a new param group being added to the optimizer. Please "
                    "modify the `min_lrs` field to match the length of the `optimizer` param "
                    "groups.")
            self.min_lrs = [self.default_min_lr] * len(groups)
        for i, group in enumerate(groups):
            old = float(group["lr"])
            new = max(old * self.factor, self.min_lrs[i])
            if old - new > self.eps:
                _set_group_value(group, "lr", new)

    @property
    def in_cooldown(self) -> bool:
        """Whether the scheduler is inside a cooldown period."""
        return self.cooldown_counter > 0

    def _is_better(self, a, best) -> bool:
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)
        if self.mode == "min":
            return a < best - self.threshold
        if self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    def _init_is_better(self, mode, threshold, threshold_mode) -> None:
        if mode not in ("min", "max"):
            raise ValueError("mode " + mode + " is unknown!")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError("threshold mode " + threshold_mode + " is unknown!")
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode

    def load_state_dict(self, state_dict: dict) -> None:
        """Load a state from :meth:`state_dict`."""
        self.__dict__.update(state_dict)
        self._init_is_better(self.mode, self.threshold, self.threshold_mode)


def _check_children(owner, optimizer, schedulers):
    name = type(owner).__name__
    for i, s in enumerate(schedulers):
        if not hasattr(s, "optimizer"):
            raise TypeError(f"{name} at index {i} should have `optimizer` as its attribute.")
        if isinstance(s, ReduceLROnPlateau):
            raise ValueError(
                f"{name} does not support `ReduceLROnPlateau` scheduler as it requires "
                "additional kwargs to be specified when calling `step`, but got one at index "
                f"{i} in the given schedulers sequence.")
        if optimizer != s.optimizer:
            raise ValueError(
                f"{name} expects all schedulers to belong to the same optimizer, but got "
                f"scheduler {type(s).__name__} at index {i} has {s.optimizer}, which is "
                f"different from {type(optimizer).__name__}.")


class _ComposedStateMixin:
    def state_dict(self) -> dict:
        """Return the state with each child scheduler's own state dict."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        """Load a state from :meth:`state_dict`, including the children's states."""
        state = dict(state_dict)
        children = state.pop("_schedulers")
        self.__dict__.update(state)
        for s, child_state in zip(self._schedulers, children, strict=True):
            s.load_state_dict(child_state)


class SequentialLR(_ComposedStateMixin, LRScheduler):
    r"""Run schedulers one after another, switching at the given milestones.

    At milestone ``m_k`` scheduler ``k+1`` starts from epoch 0 (its closed form at 0).

    Args:
        optimizer (Optimizer): wrapped optimizer.
        schedulers (list): schedulers, all on ``optimizer``.
        milestones (list of int): switch points, one fewer than schedulers.
        last_epoch (int): index of the last epoch. Default -1.

    Raises:
        ValueError: no scheduler, a ReduceLROnPlateau, another optimizer, wrong milestones.

    Example:
        >>> import ember
        >>> from ember.optim import lr_scheduler as L
        >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0)
        >>> a = L.ConstantLR(opt, factor=0.5, total_iters=10); b = L.ExponentialLR(opt, 0.5)
        >>> s = L.SequentialLR(opt, [a, b], milestones=[1])
        >>> opt.step(); s.step(); s.get_last_lr()
        [1.0]
    """

    def __init__(self, optimizer, schedulers, milestones, last_epoch: int = -1) -> None:
        if len(schedulers) < 1:
            raise ValueError(f"{type(self).__name__} expects at least one scheduler, "
                             "but got no scheduler.")
        _check_children(self, optimizer, schedulers)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                "Sequential Schedulers expects number of schedulers provided to be one more "
                f"than the number of milestone points, but got number of schedulers "
                f"{len(schedulers)} and the number of milestones to be equal to "
                f"{len(milestones)}")
        self._schedulers = schedulers
        self._milestones = milestones
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        # undo the children's construction steps, then start the first scheduler afresh
        for group in optimizer.param_groups:
            _set_group_value(group, "lr", group["initial_lr"])
        self.recursive_undo()
        idx = bisect_right(self._milestones, 0)
        self._schedulers[idx]._initial_step()
        self._last_lr = schedulers[idx].get_last_lr()

    def recursive_undo(self, sched=None) -> None:
        """Decrement ``last_epoch`` of every (nested) child scheduler by one."""
        target = self if sched is None else sched
        if hasattr(target, "_schedulers"):
            for s in target._schedulers:
                self.recursive_undo(s)
        elif hasattr(target, "last_epoch"):
            target.last_epoch -= 1

    def step(self) -> None:
        """Step the active scheduler (restarting it at epoch 0 on its milestone)."""
        self.last_epoch += 1
        idx = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            scheduler._update_lr(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()


class ChainedScheduler(_ComposedStateMixin, LRScheduler):
    r"""Step several chainable schedulers together at every step (their effects multiply).

    Args:
        schedulers (sequence): schedulers on the same optimizer.
        optimizer (Optimizer, optional): defaults to the first scheduler's optimizer.

    Raises:
        ValueError: no scheduler, a ReduceLROnPlateau, or schedulers on other optimizers.

    Example:
        >>> import ember
        >>> from ember.optim import lr_scheduler as L
        >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0)
        >>> s = L.ChainedScheduler([L.ExponentialLR(opt, 0.5), L.StepLR(opt, 1, 0.5)])
        >>> opt.step(); s.step(); s.get_last_lr()
        [0.25]
    """

    def __init__(self, schedulers, optimizer=None) -> None:
        if len(schedulers) < 1:
            raise ValueError(f"{type(self).__name__} expects at least one scheduler to be "
                             "chained, but got no scheduler.")
        optimizer = optimizer or schedulers[0].optimizer
        _check_children(self, optimizer, schedulers)
        self._schedulers = schedulers
        self.optimizer = optimizer
        self._last_lr = _group_values(self._schedulers[-1].optimizer, "lr")

    def step(self) -> None:
        """Step every chained scheduler once."""
        for s in self._schedulers:
            s.step()
        self._last_lr = _group_values(self._schedulers[-1].optimizer, "lr")
