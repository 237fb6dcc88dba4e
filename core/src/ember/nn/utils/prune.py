"""``ember.nn.utils.prune``: mask-based pruning of parameters (PyTorch's mechanics).

Pruning ``weight`` moves the parameter to ``weight_orig``, adds a buffer ``weight_mask``
and a forward pre-hook that sets ``module.weight = weight_mask * weight_orig``. Pruning the
same tensor again combines the masks (a :class:`PruningContainer`); :func:`remove` makes
the pruning permanent.
"""

from __future__ import annotations

import numbers
from abc import ABC, abstractmethod
from collections.abc import Iterable

from ...autograd.grad_mode import no_grad

__all__ = ["BasePruningMethod", "CustomFromMask", "Identity", "L1Unstructured",
           "LnStructured", "PruningContainer", "RandomStructured", "RandomUnstructured",
           "custom_from_mask", "global_unstructured", "identity", "is_pruned",
           "l1_unstructured", "ln_structured", "random_structured", "random_unstructured",
           "remove"]


class BasePruningMethod(ABC):
    """Base class of pruning methods: ``compute_mask`` decides, the rest is shared.

    Subclasses set ``PRUNING_TYPE`` (``"unstructured"``, ``"structured"`` or ``"global"``)
    and implement ``compute_mask(t, default_mask)``.
    """

    _tensor_name: str

    def __call__(self, module, inputs) -> None:
        setattr(module, self._tensor_name, self.apply_mask(module))

    @abstractmethod
    def compute_mask(self, t, default_mask):
        """The new mask for ``t`` given the mask of previous prunings ``default_mask``."""

    def apply_mask(self, module):
        """``<name>_mask * <name>_orig`` of ``module``."""
        orig = getattr(module, self._tensor_name + "_orig")
        mask = getattr(module, self._tensor_name + "_mask")
        return mask.to(dtype=orig.dtype) * orig

    @classmethod
    def apply(cls, module, name, *args, importance_scores=None, **kwargs):
        """Prune ``module.<name>`` with a new ``cls(*args, **kwargs)`` (combined with earlier
        prunings of the same tensor) and register the reparametrization hook."""
        import ember
        old_method = None
        found = 0
        hooks_to_remove = []
        for k, hook in module._forward_pre_hooks.items():
            if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
                old_method = hook
                hooks_to_remove.append(k)
                found += 1
        if found > 1:
            raise RuntimeError(f"Avoid adding multiple pruning hooks to the same tensor {name} "
                               f"of module {module}. Use a PruningContainer.")
        for k in hooks_to_remove:
            del module._forward_pre_hooks[k]
        method = cls(*args, **kwargs)
        method._tensor_name = name
        if old_method is not None:
            if isinstance(old_method, PruningContainer):
                old_method.add_pruning_method(method)
                method = old_method
            else:
                container = PruningContainer(old_method)
                container.add_pruning_method(method)
                method = container
        orig = getattr(module, name)
        if importance_scores is not None:
            if importance_scores.shape != orig.shape:
                raise ValueError(f"importance_scores should have the same shape as parameter "
                                 f"{name} of {module}")
        else:
            importance_scores = orig
        if old_method is None:
            module.register_parameter(name + "_orig", orig)
            del module._parameters[name]
            default_mask = ember.ones_like(orig)
        else:
            default_mask = getattr(module, name + "_mask").detach().clone()
        try:
            with no_grad():
                mask = method.compute_mask(importance_scores, default_mask=default_mask)
            module.register_buffer(name + "_mask", mask)
            setattr(module, name, method.apply_mask(module))
            module.register_forward_pre_hook(method)
        except Exception:
            if old_method is None:
                orig = getattr(module, name + "_orig")
                module.register_parameter(name, orig)
                del module._parameters[name + "_orig"]
            raise
        return method

    def prune(self, t, default_mask=None, importance_scores=None):
        """``t`` times the mask computed from ``importance_scores`` (default ``t``)."""
        import ember
        if importance_scores is not None and importance_scores.shape != t.shape:
            raise ValueError("importance_scores should have the same shape as tensor t")
        scores = importance_scores if importance_scores is not None else t
        default_mask = default_mask if default_mask is not None else ember.ones_like(t)
        with no_grad():
            mask = self.compute_mask(scores, default_mask=default_mask)
        return t * mask

    def remove(self, module) -> None:
        """Make the pruning permanent: ``<name>`` becomes the parameter ``<name>_orig`` holding
        the masked values; the mask buffer goes."""
        weight = self.apply_mask(module)
        if hasattr(module, self._tensor_name):
            delattr(module, self._tensor_name)
        orig = module._parameters[self._tensor_name + "_orig"]
        with no_grad():
            orig.copy_(weight)
        del module._parameters[self._tensor_name + "_orig"]
        del module._buffers[self._tensor_name + "_mask"]
        setattr(module, self._tensor_name, orig)


def _combine_masks(method, t, mask):
    """Apply ``method`` only to the still-unpruned part of ``t`` (PyTorch's rules)."""
    new_mask = mask.to(dtype=t.dtype)
    if method.PRUNING_TYPE == "unstructured":
        slc = mask == 1
    elif method.PRUNING_TYPE == "structured":
        if not hasattr(method, "dim"):
            raise AttributeError("Pruning methods of PRUNING_TYPE 'structured' need to have the "
                                 "attribute `dim` defined.")
        n_dims = t.ndim
        dim = method.dim + n_dims if method.dim < 0 else method.dim
        if dim < 0:
            raise IndexError(f"Index is out of bounds for tensor of size {n_dims}")
        others = [d for d in range(n_dims) if d != dim]
        keep = mask.sum(dim=others) != 0 if others else mask != 0
        slc = tuple(keep if d == dim else slice(None) for d in range(n_dims))
    elif method.PRUNING_TYPE == "global":
        slc = (slice(None),) * t.ndim
    else:
        raise ValueError(f"Unrecognized PRUNING_TYPE {method.PRUNING_TYPE}")
    partial = method.compute_mask(t[slc], default_mask=mask[slc])
    new_mask[slc] = partial.to(dtype=new_mask.dtype)
    return new_mask


class PruningContainer(BasePruningMethod):
    """A sequence of pruning methods applied iteratively to one tensor; each new method
    acts only on the entries (or channels) the previous ones kept."""

    def __init__(self, *args) -> None:
        self._pruning_methods: tuple = ()
        if len(args) == 1:
            self._tensor_name = args[0]._tensor_name
            self.add_pruning_method(args[0])
        else:
            for method in args:
                self.add_pruning_method(method)

    def add_pruning_method(self, method) -> None:
        """Append ``method`` (it must prune the same tensor)."""
        if not isinstance(method, BasePruningMethod) and method is not None:
            raise TypeError(f"{type(method)} is not a BasePruningMethod subclass")
        if method is not None and getattr(self, "_tensor_name", None) != method._tensor_name:
            raise ValueError("Can only add pruning methods acting on the parameter named "
                             f"'{getattr(self, '_tensor_name', None)}' to PruningContainer "
                             f"{self}. Found '{method._tensor_name}'")
        self._pruning_methods += (method,)

    def __len__(self) -> int:
        return len(self._pruning_methods)

    def __iter__(self):
        return iter(self._pruning_methods)

    def __getitem__(self, idx):
        return self._pruning_methods[idx]

    def compute_mask(self, t, default_mask):
        return _combine_masks(self._pruning_methods[-1], t, default_mask)


class Identity(BasePruningMethod):
    """Prune nothing (the mask is all ones)."""

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t, default_mask):
        return default_mask

    @classmethod
    def apply(cls, module, name):
        return super().apply(module, name)


def _validate_amount_init(amount) -> None:
    if not isinstance(amount, numbers.Real):
        raise TypeError(f"Invalid type for amount: {amount}. Must be int or float.")
    if (isinstance(amount, numbers.Integral) and amount < 0) or \
            (not isinstance(amount, numbers.Integral) and (float(amount) > 1.0 or
                                                          float(amount) < 0.0)):
        raise ValueError(f"amount={amount} should either be a float in the range [0, 1] or a "
                         "non-negative integer")


def _nparams_toprune(amount, size: int) -> int:
    if isinstance(amount, numbers.Integral):
        if amount > size:
            raise ValueError(f"amount={amount} should be smaller than the number of parameters "
                             f"to prune={size}")
        return int(amount)
    return round(amount * size)


def _check_structured(t) -> None:
    if t.ndim <= 1:
        raise ValueError("Structured pruning can only be applied to multidimensional tensors. "
                         f"Found tensor of shape {t.shape} with {t.ndim} dims")


class RandomUnstructured(BasePruningMethod):
    """Prune ``amount`` (fraction or count) of the entries, chosen uniformly at random."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount) -> None:
        _validate_amount_init(amount)
        self.amount = amount

    def compute_mask(self, t, default_mask):
        import ember
        k = _nparams_toprune(self.amount, t.numel())
        mask = default_mask.clone()
        if k:
            idx = ember.topk(ember.rand_like(t).reshape(-1), k).indices
            mask.view(-1)[idx] = 0
        return mask

    @classmethod
    def apply(cls, module, name, amount):
        return super().apply(module, name, amount=amount)


class L1Unstructured(BasePruningMethod):
    """Prune ``amount`` (fraction or count) of the entries with the smallest ``|x|``."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount) -> None:
        _validate_amount_init(amount)
        self.amount = amount

    def compute_mask(self, t, default_mask):
        import ember
        k = _nparams_toprune(self.amount, t.numel())
        mask = default_mask.clone()
        if k:
            idx = ember.topk(t.abs().reshape(-1), k, largest=False).indices
            mask.view(-1)[idx] = 0
        return mask

    @classmethod
    def apply(cls, module, name, amount, importance_scores=None):
        return super().apply(module, name, amount=amount, importance_scores=importance_scores)


def _channel_mask(t, dim: int, keep):
    import ember
    mask = ember.zeros_like(t)
    slc = tuple(keep if d == dim % t.ndim else slice(None) for d in range(t.ndim))
    mask[slc] = 1
    return mask


class RandomStructured(BasePruningMethod):
    """Prune ``amount`` of the channels along ``dim``, chosen uniformly at random."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount, dim: int = -1) -> None:
        _validate_amount_init(amount)
        self.amount = amount
        self.dim = dim

    def compute_mask(self, t, default_mask):
        import ember
        _check_structured(t)
        n = t.shape[self.dim]
        k = _nparams_toprune(self.amount, n)
        if k == 0:
            return default_mask
        prob = ember.rand(n, device=t.device)
        threshold = ember.kthvalue(prob, k).values
        mask = _channel_mask(t, self.dim, prob > threshold)
        return mask * default_mask.to(dtype=mask.dtype)

    @classmethod
    def apply(cls, module, name, amount, dim=-1):
        return super().apply(module, name, amount=amount, dim=dim)


class LnStructured(BasePruningMethod):
    """Prune ``amount`` of the channels along ``dim`` with the smallest ``L_n`` norm."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount, n, dim: int = -1) -> None:
        _validate_amount_init(amount)
        self.amount = amount
        self.n = n
        self.dim = dim

    def compute_mask(self, t, default_mask):
        import ember
        _check_structured(t)
        d = self.dim % t.ndim
        size = t.shape[d]
        k = _nparams_toprune(self.amount, size)
        if k == 0:
            return default_mask
        others = [i for i in range(t.ndim) if i != d]
        norm = ember.norm(t, p=self.n, dim=others)
        keep = ember.topk(norm, size - k, largest=True).indices
        mask = _channel_mask(t, d, keep)
        return mask * default_mask.to(dtype=mask.dtype)

    @classmethod
    def apply(cls, module, name, amount, n, dim, importance_scores=None):
        return super().apply(module, name, amount=amount, n=n, dim=dim,
                             importance_scores=importance_scores)


class CustomFromMask(BasePruningMethod):
    """Prune with a given mask (combined with earlier masks)."""

    PRUNING_TYPE = "global"

    def __init__(self, mask) -> None:
        self.mask = mask

    def compute_mask(self, t, default_mask):
        if default_mask.shape != self.mask.shape:
            raise ValueError(f"mask of shape {tuple(self.mask.shape)} does not match the "
                             f"tensor shape {tuple(default_mask.shape)}")
        return default_mask * self.mask.to(dtype=default_mask.dtype)

    @classmethod
    def apply(cls, module, name, mask):
        return super().apply(module, name, mask=mask)


def identity(module, name):
    """Apply a no-op pruning (all-ones ``<name>_mask``), creating the reparametrization.

    Example:
        >>> import ember
        >>> from ember.nn.utils import prune
        >>> m = prune.identity(ember.nn.Linear(2, 3), "bias")
        >>> m.bias_mask.tolist()
        [1.0, 1.0, 1.0]
    """
    Identity.apply(module, name)
    return module


def random_unstructured(module, name, amount):
    """Zero ``amount`` (float: fraction, int: count) random entries of ``module.<name>``.

    Raises:
        ValueError: ``amount`` negative, a fraction above 1, or a count above the size.
        TypeError: ``amount`` not a number.

    Example:
        >>> import ember
        >>> from ember.nn.utils import prune
        >>> m = prune.random_unstructured(ember.nn.Linear(4, 5), "weight", amount=6)
        >>> int((m.weight_mask == 0).sum())
        6
    """
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module, name, amount, importance_scores=None):
    """Zero the ``amount`` entries of ``module.<name>`` with the lowest ``|importance|``
    (the tensor itself by default).

    Example:
        >>> import ember
        >>> from ember.nn.utils import prune
        >>> m = ember.nn.Linear(2, 1, bias=False)
        >>> with ember.no_grad():
        ...     _ = m.weight.copy_(ember.tensor([[0.5, -2.0]]))
        >>> prune.l1_unstructured(m, "weight", amount=0.5).weight.tolist()
        [[0.0, -2.0]]
    """
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def random_structured(module, name, amount, dim):
    """Zero ``amount`` random channels of ``module.<name>`` along ``dim``.

    Example:
        >>> import ember
        >>> from ember.nn.utils import prune
        >>> m = prune.random_structured(ember.nn.Linear(3, 4), "weight", amount=2, dim=0)
        >>> int((m.weight_mask.sum(1) == 0).sum())
        2
    """
    RandomStructured.apply(module, name, amount, dim)
    return module


def ln_structured(module, name, amount, n, dim, importance_scores=None):
    """Zero the ``amount`` channels of ``module.<name>`` along ``dim`` with the lowest
    ``L_n`` norm (``n`` as in :func:`ember.norm`).

    Example:
        >>> import ember
        >>> from ember.nn.utils import prune
        >>> m = ember.nn.Linear(2, 2, bias=False)
        >>> with ember.no_grad():
        ...     _ = m.weight.copy_(ember.tensor([[1.0, 1.0], [3.0, 0.0]]))
        >>> prune.ln_structured(m, "weight", amount=1, n=1, dim=0).weight.tolist()
        [[0.0, 0.0], [3.0, 0.0]]
    """
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def global_unstructured(parameters, pruning_method, importance_scores=None, **kwargs):
    """Prune the ``(module, name)`` tensors jointly, as one flattened tensor.

    Args:
        parameters (iterable of (Module, str)): the tensors.
        pruning_method (type): an unstructured :class:`BasePruningMethod` subclass.
        importance_scores (dict, optional): ``{(module, name): scores}``. Default: the
            tensors themselves.
        **kwargs: arguments of ``pruning_method`` (e.g. ``amount``).

    Raises:
        TypeError: ``parameters`` not iterable, ``importance_scores`` not a dict, or a
            non-unstructured method.

    Example:
        >>> import ember
        >>> from ember.nn.utils import prune
        >>> a, b = ember.nn.Linear(2, 2, bias=False), ember.nn.Linear(2, 2, bias=False)
        >>> prune.global_unstructured([(a, "weight"), (b, "weight")],
        ...                           pruning_method=prune.L1Unstructured, amount=3)
        >>> int((a.weight_mask == 0).sum() + (b.weight_mask == 0).sum())
        3
    """
    import ember

    from .convert_parameters import parameters_to_vector
    if not isinstance(parameters, Iterable):
        raise TypeError("global_unstructured(): parameters is not an Iterable")
    parameters = list(parameters)
    importance_scores = importance_scores if importance_scores is not None else {}
    if not isinstance(importance_scores, dict):
        raise TypeError("global_unstructured(): importance_scores must be of type dict")
    scores = parameters_to_vector([importance_scores.get((m, n), getattr(m, n)).detach()
                                   for m, n in parameters])
    default_mask = parameters_to_vector([getattr(m, n + "_mask", ember.ones_like(getattr(m, n)))
                                         for m, n in parameters])
    container = PruningContainer()
    container._tensor_name = "temp"
    method = pruning_method(**kwargs)
    method._tensor_name = "temp"
    if method.PRUNING_TYPE != "unstructured":
        raise TypeError('Only "unstructured" PRUNING_TYPE supported for the `pruning_method`. '
                        f"Found method {pruning_method} of type {method.PRUNING_TYPE}")
    container.add_pruning_method(method)
    with no_grad():
        final_mask = container.compute_mask(scores, default_mask)
    pointer = 0
    for m, n in parameters:
        param = getattr(m, n)
        num = param.numel()
        custom_from_mask(m, n, mask=final_mask[pointer:pointer + num].view_as(param))
        pointer += num


def custom_from_mask(module, name, mask):
    """Prune ``module.<name>`` with the given 0/1 ``mask`` (same shape).

    Example:
        >>> import ember
        >>> from ember.nn.utils import prune
        >>> m = prune.custom_from_mask(ember.nn.Linear(2, 3), "bias",
        ...                            mask=ember.tensor([0.0, 1.0, 0.0]))
        >>> m.bias_mask.tolist()
        [0.0, 1.0, 0.0]
    """
    CustomFromMask.apply(module, name, mask)
    return module


def remove(module, name):
    """Make the pruning of ``module.<name>`` permanent: it becomes a plain parameter with
    the masked values; ``<name>_orig``, ``<name>_mask`` and the hook go.

    Raises:
        ValueError: ``name`` is not pruned.

    Example:
        >>> import ember
        >>> from ember.nn.utils import prune
        >>> m = prune.random_unstructured(ember.nn.Linear(2, 3), "weight", amount=0.5)
        >>> sorted(prune.remove(m, "weight").state_dict())
        ['bias', 'weight']
    """
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"Parameter '{name}' of module {module} has to be pruned before pruning "
                     "can be removed")


def is_pruned(module) -> bool:
    """Whether ``module`` or any submodule has a pruning hook.

    Example:
        >>> import ember
        >>> from ember.nn.utils import prune
        >>> prune.is_pruned(ember.nn.Linear(2, 2))
        False
    """
    for _, sub in module.named_modules():
        for hook in sub._forward_pre_hooks.values():
            if isinstance(hook, BasePruningMethod):
                return True
    return False
