"""``ember.nn.utils.weight_norm``: the older hook-based weight normalization (deprecated).

``weight_norm(module)`` replaces the parameter ``weight`` by ``weight_g`` (magnitude) and
``weight_v`` (direction) and recomputes ``module.weight = g * v / ||v||`` in a forward
pre-hook. Prefer :func:`ember.nn.utils.parametrizations.weight_norm`.
"""

from __future__ import annotations

import warnings

from ..modules.module import Module
from ..parameter import Parameter, UninitializedParameter

__all__ = ["WeightNorm", "remove_weight_norm", "weight_norm"]


def _norm_except_dim(v, pow=2, dim: int = 0):
    """The ``pow``-norm of ``v`` over every dim except ``dim`` (kept, others size 1);
    ``dim=-1`` means one norm over the whole tensor (a 0-d result), as in PyTorch."""
    import ember
    if dim == -1:
        return ember.linalg.vector_norm(v, pow)
    d = dim % v.ndim
    others = tuple(i for i in range(v.ndim) if i != d)
    if not others:
        return v.abs() if pow != 0 else (v != 0).to(v.dtype)
    return ember.linalg.vector_norm(v, pow, dim=others, keepdim=True)


def _weight_norm(v, g, dim: int = 0):
    """``v * (g / ||v||)`` with the norm of :func:`_norm_except_dim` (PyTorch's
    ``torch._weight_norm``)."""
    return v * (g / _norm_except_dim(v, 2, dim))


class WeightNorm:
    """The forward pre-hook that recomputes ``module.<name>`` from ``<name>_g``/``<name>_v``."""

    def __init__(self, name: str, dim: int) -> None:
        self.name = name
        self.dim = -1 if dim is None else dim

    def compute_weight(self, module: Module):
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return _weight_norm(v, g, self.dim)

    @staticmethod
    def apply(module: Module, name: str, dim: int) -> WeightNorm:
        warnings.warn("`ember.nn.utils.weight_norm` is deprecated in favor of "
                      "`ember.nn.utils.parametrizations.weight_norm`.", FutureWarning,
                      stacklevel=3)
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, WeightNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two weight_norm hooks on the same "
                                   f"parameter {name}")
        fn = WeightNorm(name, dim)
        weight = getattr(module, name)
        if isinstance(weight, UninitializedParameter):
            raise ValueError("The module passed to `WeightNorm` can't have uninitialized "
                             "parameters. Make sure to run the dummy forward before applying "
                             "weight normalization")
        del module._parameters[name]
        module.register_parameter(name + "_g",
                                  Parameter(_norm_except_dim(weight, 2, fn.dim).detach()))
        module.register_parameter(name + "_v", Parameter(weight.detach()))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module: Module) -> None:
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.detach()))

    def __call__(self, module: Module, inputs) -> None:
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    r"""Apply (hook-based, deprecated) weight normalization: :math:`w = g \frac{v}{\|v\|}`.

    Replaces parameter ``name`` by ``name_g`` (the norm over every dim except ``dim``, that
    dim kept) and ``name_v`` (the direction), and recomputes ``module.<name>`` before every
    forward. ``dim=None`` uses one norm over the whole tensor. Emits a ``FutureWarning``:
    use :func:`ember.nn.utils.parametrizations.weight_norm` instead.

    Args:
        module (Module): module holding the parameter.
        name (str): parameter name. Default: ``"weight"``.
        dim (int, optional): the dimension kept by the norm. Default: ``0``.

    Returns:
        Module: ``module`` with the hook registered.

    Raises:
        RuntimeError: weight norm already applied to ``name``.
        ValueError: the parameter is uninitialized.

    Example:
        >>> import ember, warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore", FutureWarning)
        ...     m = ember.nn.utils.weight_norm(ember.nn.Linear(20, 40), name="weight")
        >>> m.weight_g.shape, m.weight_v.shape
        (ember.Size([40, 1]), ember.Size([40, 20]))
    """
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module: Module, name: str = "weight") -> Module:
    """Remove the hook-based weight normalization of ``name``, leaving a plain parameter.

    Args:
        module (Module): the module.
        name (str): parameter name. Default: ``"weight"``.

    Returns:
        Module: ``module``.

    Raises:
        ValueError: no weight norm on ``name``.

    Example:
        >>> import ember, warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore", FutureWarning)
        ...     m = ember.nn.utils.weight_norm(ember.nn.Linear(2, 3))
        >>> sorted(ember.nn.utils.remove_weight_norm(m).state_dict())
        ['bias', 'weight']
    """
    for k, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, WeightNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")
