"""The learning-rate scheduler base class and the helpers every scheduler shares."""
from __future__ import annotations

import warnings
import weakref
from functools import wraps

from .._tensor import Tensor
from .optimizer import Optimizer

__all__ = ["LRScheduler"]

EPOCH_DEPRECATION_WARNING = (
    "The epoch parameter in `scheduler.step()` was not necessary and is being "
    "deprecated where possible. Please use `scheduler.step()` to step the "
    "scheduler. During the deprecation, if epoch is different from None, the "
    "closed form is used instead of the new chainable form, where available. "
    "Please open an issue if you are unable to replicate your use case: "
    "https://github.com/pytorch/pytorch/issues/new/choose."
)

_ORDER_WARNING = (
    "Detected call of `lr_scheduler.step()` before `optimizer.step()`. "
    "In PyTorch 1.1.0 and later, you should call them in the opposite order: "
    "`optimizer.step()` before `lr_scheduler.step()`.  Failure to do this "
    "will result in PyTorch skipping the first value of the learning rate schedule. "
    "See more details at "
    "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate"
)

_OVERRIDE_WARNING = (
    "Seems like `optimizer.step()` has been overridden after learning rate scheduler "
    "initialization. Please, make sure to call `optimizer.step()` before "
    "`lr_scheduler.step()`. See more details at "
    "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate"
)


def _format_param(name, optimizer, param):
    """One value per param group: broadcast a scalar or check a list's length."""
    if isinstance(param, (list, tuple)):
        if len(param) != len(optimizer.param_groups):
            raise ValueError(
                f"{name} must have the same length as optimizer.param_groups. "
                f"{name} has {len(param)} values, param_groups has {len(optimizer.param_groups)}.")
        return [_copy(p) for p in param]
    return [_copy(param) for _ in optimizer.param_groups]


def _copy(value):
    return value.clone() if isinstance(value, Tensor) else value


def _group_values(optimizer, key):
    """``[group[key] for group]`` with tensors cloned so callers never alias a group's value."""
    return [_copy(group[key]) for group in optimizer.param_groups]


def _set_group_value(group, key, value):
    # NOTE: a tensor lr (capturable/compiled setups) is updated in place so that anything
    # holding the tensor sees the new value, as PyTorch does.
    if isinstance(group[key], Tensor):
        group[key].fill_(float(value))
    else:
        group[key] = value


def _check_optimizer(optimizer):
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")


def _warn_get_lr_outside_step(scheduler):
    if not scheduler._get_lr_called_within_step:
        warnings.warn("To get the last learning rate computed by the scheduler, "
                      "please use `get_last_lr()`.", UserWarning, stacklevel=3)


def _patch_optimizer_step(optimizer):
    """Wrap ``optimizer.step`` so that a call sets ``optimizer._opt_called`` (order check)."""
    if hasattr(optimizer.step, "_wrapped_by_lr_sched"):
        return
    opt_ref = weakref.ref(optimizer)
    func = optimizer.step.__func__

    @wraps(func)
    def wrapper(*args, **kwargs):
        opt = opt_ref()
        opt._opt_called = True
        return func.__get__(opt, opt.__class__)(*args, **kwargs)

    wrapper._wrapped_by_lr_sched = True
    optimizer.step = wrapper


class LRScheduler:
    r"""Base class of the learning-rate schedulers (``torch.optim.lr_scheduler.LRScheduler``).

    A subclass implements :meth:`get_lr` (the *chainable* form: next lr from the groups' current
    ``lr``) and optionally ``_get_closed_form_lr`` (lr as a function of ``last_epoch`` and
    ``base_lrs``, used by the deprecated ``step(epoch)``). Construction records
    ``group["initial_lr"]`` (when ``last_epoch == -1``) and performs one initial ``step()``,
    which moves ``last_epoch`` to 0.

    Args:
        optimizer (Optimizer): the optimizer whose ``param_groups[i]["lr"]`` are scheduled.
        last_epoch (int): index of the last epoch; ``-1`` (default) starts a new schedule, other
            values resume one and need ``initial_lr`` in every group.

    Raises:
        TypeError: ``optimizer`` is not an Optimizer.
        KeyError: resuming (``last_epoch >= 0``) without ``initial_lr`` in a group.

    Example:
        >>> import ember
        >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = ember.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
        >>> opt.step(); sched.step(); sched.get_last_lr()
        [0.5]
    """

    _get_lr_called_within_step = False
    _is_initial = False

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", _copy(group["lr"]))
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"param 'initial_lr' is not specified in param_groups[{i}] when resuming "
                        "scheduler with last_epoch >= 0.")
        self.base_lrs = _group_values(optimizer, "initial_lr")
        self.last_epoch = last_epoch
        _patch_optimizer_step(optimizer)
        self._initial_step()

    def _initial_step(self) -> None:
        """Reset the step count and take the construction step."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def state_dict(self) -> dict:
        """Return the scheduler's state: every attribute except the optimizer.

        Example:
            >>> import ember
            >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0)
            >>> ember.optim.lr_scheduler.StepLR(opt, 2).state_dict()["last_epoch"]
            0
        """
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict) -> None:
        """Load a state produced by :meth:`state_dict`.

        Args:
            state_dict (dict): the scheduler state.

        Example:
            >>> import ember
            >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0)
            >>> s = ember.optim.lr_scheduler.StepLR(opt, 2)
            >>> s.load_state_dict({**s.state_dict(), "last_epoch": 5}); s.last_epoch
            5
        """
        self.__dict__.update(state_dict)

    def get_last_lr(self) -> list:
        """Return the learning rates most recently set by this scheduler, one per group.

        Example:
            >>> import ember
            >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=0.1)
            >>> ember.optim.lr_scheduler.StepLR(opt, 2).get_last_lr()
            [0.1]
        """
        return self._last_lr

    def get_lr(self) -> list:
        """Compute the next learning rate of every param group (subclasses implement it)."""
        raise NotImplementedError

    def step(self, epoch: int | None = None) -> None:
        """Advance the schedule by one epoch and write the new lrs into the param groups.

        Args:
            epoch (int, optional): deprecated; sets ``last_epoch`` and uses the closed form
                where the scheduler has one. Default None.

        Example:
            >>> import ember
            >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0)
            >>> s = ember.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
            >>> opt.step(); s.step(); opt.param_groups[0]["lr"]
            0.5
        """
        if self._step_count == 1:
            if not hasattr(self.optimizer.step, "_wrapped_by_lr_sched"):
                warnings.warn(_OVERRIDE_WARNING, UserWarning, stacklevel=2)
            elif not getattr(self.optimizer, "_opt_called", False):
                warnings.warn(_ORDER_WARNING, UserWarning, stacklevel=2)
        self._step_count += 1
        if epoch is not None:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self._update_lr(epoch)

    def _update_lr(self, epoch=None) -> None:
        self._get_lr_called_within_step = True
        try:
            if epoch is None:
                self.last_epoch += 1
                values = self.get_lr()
            else:
                self.last_epoch = epoch
                closed = getattr(self, "_get_closed_form_lr", None)
                values = closed() if closed is not None else self.get_lr()
        finally:
            self._get_lr_called_within_step = False
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            _set_group_value(group, "lr", lr)
        self._last_lr = _group_values(self.optimizer, "lr")


class _LRScheduler(LRScheduler):
    """Deprecated alias of :class:`LRScheduler` kept for old code."""
