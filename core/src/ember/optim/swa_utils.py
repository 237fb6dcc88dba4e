"""Weight averaging (``torch.optim.swa_utils``): AveragedModel, SWALR and update_bn."""
from __future__ import annotations

import itertools
import math
import warnings
from copy import deepcopy

from ..nn.modules.batchnorm import _BatchNorm
from ..nn.modules.module import Module
from ._lr_base import LRScheduler, _format_param

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn",
           "get_swa_multi_avg_fn", "get_ema_avg_fn", "get_swa_avg_fn"]


def _ember():
    import ember  # the package namespace (tensor, no_grad, long) is complete once imported
    return ember


def _check_decay(decay):
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. "
                         "Please provide a value in [0,1] range.")


def get_ema_multi_avg_fn(decay: float = 0.999):
    r"""Return an in-place EMA update over lists of tensors: ``ema = decay*ema + (1-decay)*p``.

    Args:
        decay (float): EMA decay in [0, 1]. Default 0.999.

    Raises:
        ValueError: ``decay`` outside [0, 1].

    Example:
        >>> import ember
        >>> e, p = [ember.tensor([0.0])], [ember.tensor([1.0])]
        >>> ember.optim.swa_utils.get_ema_multi_avg_fn(0.75)(e, p, 1); e[0].tolist()
        [0.25]
    """
    _check_decay(decay)

    def ema_update(ema_param_list, current_param_list, _num_averaged) -> None:
        ember = _ember()
        with ember.no_grad():
            for p_ema, p_model in zip(ema_param_list, current_param_list, strict=True):
                if p_ema.is_floating_point() or p_ema.is_complex():
                    # NOTE: lerp keeps the update in the parameter's dtype, like _foreach_lerp_
                    p_ema.lerp_(p_model, 1 - decay)
                else:
                    p_ema.copy_(p_ema * decay + p_model * (1 - decay))

    return ema_update


def get_swa_multi_avg_fn():
    r"""Return an in-place running-mean update: ``avg += (p - avg) / (n + 1)``.

    Example:
        >>> import ember
        >>> a, p = [ember.tensor([1.0])], [ember.tensor([4.0])]
        >>> ember.optim.swa_utils.get_swa_multi_avg_fn()(a, p, 2); a[0].tolist()
        [2.0]
    """

    def swa_update(averaged_param_list, current_param_list, num_averaged) -> None:
        ember = _ember()
        n = int(num_averaged)
        with ember.no_grad():
            for p_avg, p_model in zip(averaged_param_list, current_param_list, strict=True):
                p_avg.copy_(p_avg + (p_model - p_avg) / (n + 1))

    return swa_update


def get_ema_avg_fn(decay: float = 0.999):
    r"""Return ``f(ema, p, n) = decay * ema + (1 - decay) * p`` (out of place).

    Args:
        decay (float): EMA decay in [0, 1]. Default 0.999.

    Raises:
        ValueError: ``decay`` outside [0, 1].

    Example:
        >>> import ember
        >>> f = ember.optim.swa_utils.get_ema_avg_fn(0.5)
        >>> f(ember.tensor([0.0]), ember.tensor([1.0]), 1).tolist()
        [0.5]
    """
    _check_decay(decay)

    def ema_update(ema_param, current_param, num_averaged):
        with _ember().no_grad():
            return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn():
    r"""Return ``f(avg, p, n) = avg + (p - avg) / (n + 1)`` (out of place).

    Example:
        >>> import ember
        >>> f = ember.optim.swa_utils.get_swa_avg_fn()
        >>> f(ember.tensor([1.0]), ember.tensor([4.0]), 2).tolist()
        [2.0]
    """

    def swa_update(averaged_param, current_param, num_averaged):
        with _ember().no_grad():
            return averaged_param + (current_param - averaged_param) / (num_averaged + 1)

    return swa_update


class AveragedModel(Module):
    r"""Keep a running average (SWA, or EMA via ``multi_avg_fn``) of a model's parameters.

    The averaged copy lives in ``self.module`` (state-dict keys ``module.*`` plus the buffer
    ``n_averaged``). The first :meth:`update_parameters` copies the model; later ones apply
    ``avg_fn(avg, p, n)`` (returns the new value) or ``multi_avg_fn(avgs, ps, n)`` (in place);
    the default is the equal-weight mean ``avg + (p - avg)/(n + 1)``. With ``use_buffers`` the
    buffers are averaged too, otherwise they are copied from the model.

    Args:
        model (Module): model to average (deep-copied).
        device (device, optional): where to keep the copy. Default None (model's device).
        avg_fn (callable, optional): per-tensor averaging function. Default None.
        multi_avg_fn (callable, optional): in-place list averaging function. Default None.
        use_buffers (bool): average buffers as well. Default False.

    Raises:
        AssertionError: both ``avg_fn`` and ``multi_avg_fn`` given (PyTorch's type).

    Example:
        >>> import ember
        >>> m = ember.nn.Linear(1, 1, bias=False)
        >>> swa = ember.optim.swa_utils.AveragedModel(m)
        >>> swa.update_parameters(m); int(swa.n_averaged)
        1
    """

    def __init__(self, model: Module, device=None, avg_fn=None, multi_avg_fn=None,
                 use_buffers: bool = False) -> None:
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            # NOTE: PyTorch raises AssertionError here; kept for compatibility
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        ember = _ember()
        self.module = deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", ember.tensor(0, dtype=ember.long, device=device))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        """Run the averaged model."""
        return self.module(*args, **kwargs)

    def update_parameters(self, model: Module) -> None:
        """Fold ``model``'s current parameters (and buffers) into the average.

        Args:
            model (Module): a model with the same structure as the averaged one.
        """
        ember = _ember()
        if self.use_buffers:
            mine = itertools.chain(self.module.parameters(), self.module.buffers())
            theirs = itertools.chain(model.parameters(), model.buffers())
        else:
            mine, theirs = self.parameters(), model.parameters()
        n = int(self.n_averaged.item())
        avgs, currents = [], []
        with ember.no_grad():
            for p_avg, p_model in zip(mine, theirs, strict=False):
                p_model_ = p_model.detach().to(p_avg.device)
                avgs.append(p_avg.detach())
                currents.append(p_model_)
                if n == 0:
                    p_avg.detach().copy_(p_model_)
            if n > 0:
                if self.avg_fn is not None and self.multi_avg_fn is None:
                    for p_avg, p_model in zip(avgs, currents, strict=True):
                        p_avg.copy_(self.avg_fn(p_avg, p_model, self.n_averaged))
                else:
                    multi = self.multi_avg_fn or get_swa_multi_avg_fn()
                    multi(avgs, currents, self.n_averaged)
            if not self.use_buffers:
                for b_avg, b_model in zip(self.module.buffers(), model.buffers(), strict=True):
                    b_avg.detach().copy_(b_model.detach().to(b_avg.device))
            self.n_averaged.add_(1)


def update_bn(loader, model: Module, device=None) -> None:
    r"""Recompute BatchNorm running statistics with one pass over ``loader``.

    Every BatchNorm's running stats are reset and its momentum set to ``None`` (cumulative
    average over the batches); momenta and the model's training mode are restored afterwards.
    A batch that is a list/tuple contributes its first element.

    Args:
        loader (iterable): batches of inputs.
        model (Module): the model (usually an :class:`AveragedModel`).
        device (device, optional): move each input there first. Default None.

    Example:
        >>> import ember
        >>> bn = ember.nn.BatchNorm1d(1)
        >>> ember.optim.swa_utils.update_bn([ember.tensor([[1.0], [3.0]])], bn)
        >>> bn.running_mean.tolist()
        [2.0]
    """
    ember = _ember()
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    with ember.no_grad():
        for batch in loader:
            if isinstance(batch, (list, tuple)):
                batch = batch[0]
            if device is not None:
                batch = batch.to(device)
            model(batch)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    r"""Anneal each group's lr to a fixed ``swa_lr`` over ``anneal_epochs``, then hold it.

    With ``alpha(t)`` = ``t`` (linear) or ``(1 - cos(pi t))/2`` (cos) and
    ``t = min(1, step / anneal_epochs)``, the lr is ``swa_lr * alpha + lr_0 * (1 - alpha)``,
    where ``lr_0`` is recovered from the previous step's lr (chainable form).

    Args:
        optimizer (Optimizer): wrapped optimizer.
        swa_lr (float or list): target lr per group.
        anneal_epochs (int): number of annealing epochs (>= 0). Default 10.
        anneal_strategy (str): ``'cos'`` or ``'linear'``. Default ``'cos'``.
        last_epoch (int): index of the last epoch. Default -1.

    Raises:
        ValueError: bad ``anneal_strategy`` or ``anneal_epochs``.

    Example:
        >>> import ember
        >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=1.0)
        >>> s = ember.optim.swa_utils.SWALR(opt, swa_lr=0.5, anneal_epochs=2,
        ...                                 anneal_strategy="linear")
        >>> opt.step(); s.step(); s.get_last_lr()
        [0.75]
    """

    def __init__(self, optimizer, swa_lr, anneal_epochs: int = 10, anneal_strategy: str = "cos",
                 last_epoch: int = -1) -> None:
        swa_lrs = _format_param("swa_lr", optimizer, swa_lr)
        for lr, group in zip(swa_lrs, optimizer.param_groups, strict=True):
            group["swa_lr"] = lr
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError("anneal_strategy must be one of 'cos' or 'linear', "
                             f"instead got {anneal_strategy}")
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t):
        return t

    @staticmethod
    def _cosine_anneal(t):
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self) -> list:
        """Return the annealed lrs for the current step."""
        if not self._get_lr_called_within_step:
            warnings.warn("To get the last learning rate computed by the scheduler, "
                          "please use `get_last_lr()`.", UserWarning, stacklevel=2)
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        groups = self.optimizer.param_groups
        prev_alpha = self.anneal_func(max(0, min(1, (step - 1) / max(1, self.anneal_epochs))))
        prev_lrs = [self._get_initial_lr(g["lr"], g["swa_lr"], prev_alpha) for g in groups]
        alpha = self.anneal_func(max(0, min(1, step / max(1, self.anneal_epochs))))
        return [g["swa_lr"] * alpha + lr * (1 - alpha)
                for g, lr in zip(groups, prev_lrs, strict=True)]

    def _set_anneal_func(self, anneal_strategy) -> None:
        self._anneal_strategy = anneal_strategy
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else self._linear_anneal

    def state_dict(self) -> dict:
        """Return the state without the optimizer and the anneal function."""
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict: dict) -> None:
        """Load a state from :meth:`state_dict`."""
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)

