"""``ember.nn.utils.parametrize``: express a parameter or buffer as a function of others.

``register_parametrization(module, "weight", p)`` moves ``module.weight`` to
``module.parametrizations.weight.original`` and swaps the module's class for a dynamically
created subclass (``ParametrizedLinear``…) whose ``weight`` property returns
``p(original)``; assigning to ``module.weight`` calls ``p.right_inverse``. The state dict keys
are PyTorch's (``parametrizations.weight.original``, ``original0``/``original1``… when
``right_inverse`` returns a sequence).
"""

from __future__ import annotations

import collections.abc
import contextlib
import copy
import copyreg

from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ..modules.container import ModuleDict, ModuleList
from ..modules.module import Module
from ..parameter import Parameter

__all__ = ["ParametrizationList", "cached", "is_parametrized", "register_parametrization",
           "remove_parametrizations", "transfer_parametrizations_and_params",
           "type_before_parametrizations"]

_cache_enabled = 0
_cache: dict = {}


@contextlib.contextmanager
def cached():
    """Context manager that caches every parametrized tensor computed inside it.

    Each parametrized attribute is computed once on first access and reused until the
    outermost ``cached()`` block exits (useful when a weight is used several times per
    forward, e.g. in RNNs).

    Example:
        >>> import ember
        >>> from ember.nn.utils import parametrize
        >>> class Double(ember.nn.Module):
        ...     def forward(self, x):
        ...         return 2 * x
        >>> m = parametrize.register_parametrization(ember.nn.Linear(2, 2), "weight", Double())
        >>> with parametrize.cached():
        ...     m.weight is m.weight
        True
    """
    global _cache_enabled
    _cache_enabled += 1
    try:
        yield
    finally:
        _cache_enabled -= 1
        if not _cache_enabled:
            _cache.clear()


def _register_parameter_or_buffer(module, name, value):
    if isinstance(value, Parameter):
        module.register_parameter(name, value)
    else:
        module.register_buffer(name, value)


def _maybe_set(dest: Tensor, src: Tensor) -> None:
    """Give ``dest`` the value of ``src`` keeping ``dest``'s identity (PyTorch's ``set_``)."""
    with no_grad():
        if tuple(dest.shape) == tuple(src.shape):
            dest.copy_(src)
        else:
            dest.data = src.detach()


class ParametrizationList(ModuleList):
    """The list of parametrizations of one tensor, holding the original tensor(s).

    Lives at ``module.parametrizations[tensor_name]``; calling it computes the parametrized
    tensor ``p_n(...p_1(p_0(original)))``. The original is ``self.original``, or
    ``self.original0``, ``self.original1``… when the first ``right_inverse`` returns a
    sequence. Built by :func:`register_parametrization`; not meant to be created directly.

    Args:
        modules (sequence of Module): the parametrizations (at least one).
        original (Tensor or Parameter): the tensor being parametrized.
        unsafe (bool): skip the dtype/shape consistency checks. Default: ``False``.

    Raises:
        ValueError: no modules, a ``right_inverse`` result of the wrong type/dtype, or (unless
            ``unsafe``) a parametrization that changes the dtype or shape.
    """

    def __init__(self, modules, original, unsafe: bool = False) -> None:
        if len(modules) == 0:
            raise ValueError("ParametrizationList requires one or more modules.")
        super().__init__(modules)
        self.unsafe = unsafe
        original_shape, original_dtype = original.shape, original.dtype
        with no_grad():
            new = original
            for module in reversed(self):
                if hasattr(module, "right_inverse"):
                    try:
                        new = module.right_inverse(new)
                    except NotImplementedError:
                        pass
        if not isinstance(new, (Tensor, collections.abc.Sequence)):
            raise ValueError("'right_inverse' must return a Tensor or a Sequence of tensors "
                             f"(list, tuple...). Got {type(new).__name__}")
        self.is_tensor = isinstance(new, Tensor)
        self.ntensors = 1 if self.is_tensor else len(new)
        if self.is_tensor:
            if original.dtype != new.dtype:
                raise ValueError("When `right_inverse` outputs one tensor, it may not change "
                                 f"the dtype.\noriginal.dtype: {original.dtype}\n"
                                 f"right_inverse(original).dtype: {new.dtype}")
            if original.device != new.device:
                raise ValueError("When `right_inverse` outputs one tensor, it may not change "
                                 f"the device.\noriginal.device: {original.device}\n"
                                 f"right_inverse(original).device: {new.device}")
            if new is not original:
                _maybe_set(original, new)
            _register_parameter_or_buffer(self, "original", original)
        else:
            for i, originali in enumerate(new):
                if not isinstance(originali, Tensor):
                    raise ValueError("'right_inverse' must return a Tensor or a Sequence of "
                                     f"tensors (list, tuple...). Got element {i} of the "
                                     f"sequence with type {type(originali).__name__}.")
                if isinstance(original, Parameter):
                    originali = Parameter(originali, original.requires_grad)
                originali.requires_grad_(original.requires_grad)
                _register_parameter_or_buffer(self, f"original{i}", originali)
        if not self.unsafe:
            z = self()
            if not isinstance(z, Tensor):
                raise ValueError(f"A parametrization must return a tensor. Got "
                                 f"{type(z).__name__}.")
            if z.dtype != original_dtype:
                raise ValueError("Registering a parametrization may not change the dtype of "
                                 "the tensor, unless `unsafe` flag is enabled.\n"
                                 f"unparametrized dtype: {original_dtype}\n"
                                 f"parametrized dtype: {z.dtype}")
            if z.shape != original_shape:
                raise ValueError("Registering a parametrization may not change the shape of "
                                 "the tensor, unless `unsafe` flag is enabled.\n"
                                 f"unparametrized shape: {original_shape}\n"
                                 f"parametrized shape: {z.shape}")

    def right_inverse(self, value: Tensor) -> None:
        """Set the original(s) so that the parametrized tensor equals ``value``.

        Calls each parametrization's ``right_inverse`` in reverse registration order and
        stores the result in ``self.original`` (or ``original0``, ``original1``…).

        Raises:
            RuntimeError: a parametrization has no ``right_inverse``.
            ValueError: the result has the wrong type, length or dtype.
        """
        with no_grad():
            for module in reversed(self):
                if not hasattr(module, "right_inverse"):
                    raise RuntimeError(f"parametrization {type(module).__name__} does not "
                                       "implement right_inverse.")
                value = module.right_inverse(value)
            if self.is_tensor:
                if not isinstance(value, Tensor):
                    raise ValueError(f"`right_inverse` should return a tensor. Got "
                                     f"{type(value).__name__}")
                if value.dtype != self.original.dtype:
                    raise ValueError(f"The tensor returned by `right_inverse` has dtype "
                                     f"{value.dtype} while `original` has dtype "
                                     f"{self.original.dtype}")
                _maybe_set(self.original, value)
                return
            if not isinstance(value, collections.abc.Sequence):
                raise ValueError("'right_inverse' must return a sequence of tensors. Got "
                                 f"{type(value).__name__}.")
            if len(value) != self.ntensors:
                raise ValueError("'right_inverse' must return a sequence of tensors of length "
                                 f"{self.ntensors}. Got a sequence of length {len(value)}.")
            for i, tensor in enumerate(value):
                original_i = getattr(self, f"original{i}")
                if not isinstance(tensor, Tensor):
                    raise ValueError("'right_inverse' must return a sequence of tensors. Got "
                                     f"element {i} of type {type(tensor).__name__}.")
                if original_i.dtype != tensor.dtype:
                    raise ValueError(f"Tensor {i} returned by `right_inverse` has dtype "
                                     f"{tensor.dtype} while `original{i}` has dtype "
                                     f"{original_i.dtype}")
                _maybe_set(original_i, tensor)

    def forward(self) -> Tensor:
        if self.is_tensor:
            x = self[0](self.original)
        else:
            x = self[0](*(getattr(self, f"original{i}") for i in range(self.ntensors)))
        for i in range(1, len(self)):
            x = self[i](x)
        return x


def _inject_new_class(module: Module) -> None:
    """Swap ``module``'s class for a ``Parametrized<Name>`` subclass (to hold properties)."""
    cls = module.__class__

    def default_deepcopy(self, memo):
        obj = memo.get(id(self), None)
        if obj is not None:
            return obj
        replica = self.__new__(self.__class__)
        memo[id(self)] = replica
        replica.__dict__ = copy.deepcopy(self.__dict__, memo)
        for slot in copyreg._slotnames(self.__class__):
            if hasattr(self, slot):
                setattr(replica, slot, copy.deepcopy(getattr(self, slot), memo))
        return replica

    def getstate(self):
        raise RuntimeError("Serialization of parametrized modules is only supported through "
                           "state_dict().")

    dct = {"__getstate__": getstate}
    if not hasattr(cls, "__deepcopy__"):
        dct["__deepcopy__"] = default_deepcopy
    module.__class__ = type(f"Parametrized{cls.__name__}", (cls,), dct)


def _inject_property(module: Module, tensor_name: str) -> None:
    """Add the ``tensor_name`` property (get: parametrize, set: right_inverse) to the class."""
    if hasattr(module, tensor_name):
        raise AssertionError(f"Module already has an attribute named '{tensor_name}'")

    def get_parametrized(self) -> Tensor:
        parametrization = self.parametrizations[tensor_name]
        if _cache_enabled:
            key = (id(self), tensor_name)
            tensor = _cache.get(key)
            if tensor is None:
                tensor = parametrization()
                _cache[key] = tensor
            return tensor
        return parametrization()

    def set_original(self, value: Tensor) -> None:
        self.parametrizations[tensor_name].right_inverse(value)

    setattr(module.__class__, tensor_name, property(get_parametrized, set_original))


def register_parametrization(module: Module, tensor_name: str, parametrization: Module, *,
                             unsafe: bool = False) -> Module:
    """Register a parametrization on the parameter or buffer ``tensor_name`` of ``module``.

    Afterwards ``module.weight`` (say) returns ``parametrization(original)`` where the
    original tensor lives at ``module.parametrizations.weight.original``; assigning
    ``module.weight = X`` stores ``parametrization.right_inverse(X)`` into the original. On
    registration, if ``parametrization`` has a ``right_inverse``, the original is initialised
    with ``right_inverse(weight)`` (so the parametrized value is unchanged). If it returns a
    sequence, the originals are ``original0``, ``original1``…. Registering again on the same
    name appends to the chain: ``module.weight = p_1(p_0(original))``.

    Args:
        module (Module): module holding the tensor.
        tensor_name (str): name of the parameter/buffer (or already parametrized tensor).
        parametrization (Module): the map; ``forward`` takes the original(s), an optional
            ``right_inverse`` maps a value back to original(s).
        unsafe (bool): allow the parametrization to change the dtype or shape (skips the
            consistency checks). Default: ``False``.

    Returns:
        Module: ``module`` (its class is now ``Parametrized<Class>``).

    Raises:
        ValueError: ``module`` has no such tensor, or (unless ``unsafe``) the parametrization
            or its ``right_inverse`` changes the dtype or shape.

    Example:
        >>> import ember
        >>> from ember.nn.utils import parametrize
        >>> class Symmetric(ember.nn.Module):
        ...     def forward(self, X):
        ...         return X.triu() + X.triu(1).mT
        >>> m = parametrize.register_parametrization(ember.nn.Linear(3, 3), "weight",
        ...                                          Symmetric())
        >>> bool((m.weight == m.weight.T).all())
        True
        >>> sorted(m.state_dict())
        ['bias', 'parametrizations.weight.original']
    """
    parametrization.train(module.training)
    if is_parametrized(module, tensor_name):
        if not unsafe:
            y = getattr(module, tensor_name)
            x = parametrization(y)
            if not isinstance(x, Tensor):
                raise ValueError(f"A parametrization must return a tensor. Got "
                                 f"{type(x).__name__}.")
            if x.dtype != y.dtype:
                raise ValueError("Registering a parametrization may not change the dtype of "
                                 "the tensor, unless the `unsafe` flag is enabled.\n"
                                 f"module.{tensor_name}.dtype: {y.dtype}\n"
                                 f"parametrization(module.{tensor_name}).dtype: {x.dtype}")
            if x.shape != y.shape:
                raise ValueError("Registering a parametrization may not change the shape of "
                                 "the tensor, unless the `unsafe` flag is enabled.\n"
                                 f"module.{tensor_name}.shape: {y.shape}\n"
                                 f"parametrization(module.{tensor_name}).shape: {x.shape}")
            if hasattr(parametrization, "right_inverse"):
                try:
                    z = parametrization.right_inverse(x)
                except NotImplementedError:
                    pass
                else:
                    if not isinstance(z, Tensor):
                        raise ValueError("parametrization.right_inverse must return a tensor. "
                                         f"Got: {type(z).__name__}")
                    if z.dtype != y.dtype:
                        raise ValueError(
                            "The tensor returned by parametrization.right_inverse must have "
                            f"the same dtype as module.{tensor_name}, unless the `unsafe` flag "
                            f"is enabled.\nmodule.{tensor_name}.dtype: {y.dtype}\n"
                            f"returned dtype: {z.dtype}")
                    if z.shape != y.shape:
                        raise ValueError(
                            "The tensor returned by parametrization.right_inverse must have "
                            f"the same shape as module.{tensor_name}, unless the `unsafe` flag "
                            f"is enabled.\nmodule.{tensor_name}.shape: {y.shape}\n"
                            f"returned shape: {z.shape}")
        plist = module.parametrizations[tensor_name]
        plist.append(parametrization)
        plist.unsafe |= unsafe
    elif tensor_name in module._buffers or tensor_name in module._parameters:
        original = getattr(module, tensor_name)
        plist = ParametrizationList([parametrization], original, unsafe=unsafe)
        delattr(module, tensor_name)
        if not is_parametrized(module):
            _inject_new_class(module)
            module.parametrizations = ModuleDict()
        _inject_property(module, tensor_name)
        module.parametrizations[tensor_name] = plist
    else:
        raise ValueError(f"Module '{module}' does not have a parameter, a buffer, or a "
                         f"parametrized element with name '{tensor_name}'")
    return module


def is_parametrized(module: Module, tensor_name: str | None = None) -> bool:
    """Whether ``module`` has a parametrization (on ``tensor_name``, or on any tensor).

    Args:
        module (Module): module to query.
        tensor_name (str, optional): tensor name; ``None`` asks about any. Default: ``None``.

    Example:
        >>> import ember
        >>> from ember.nn.utils import parametrize
        >>> parametrize.is_parametrized(ember.nn.Linear(2, 2))
        False
    """
    parametrizations = getattr(module, "parametrizations", None)
    if parametrizations is None or not isinstance(parametrizations, ModuleDict):
        return False
    if tensor_name is None:
        return len(parametrizations) > 0
    return tensor_name in parametrizations


def remove_parametrizations(module: Module, tensor_name: str,
                            leave_parametrized: bool = True) -> Module:
    """Remove the parametrizations on ``tensor_name``, leaving a plain parameter/buffer.

    With ``leave_parametrized=True`` the tensor keeps its current parametrized value (stored
    into the original tensor object, so optimizers that hold it stay valid); with ``False`` it
    becomes the unparametrized ``original`` (only possible with a single original). When the
    last parametrization goes, the module gets its original class back.

    Args:
        module (Module): the parametrized module.
        tensor_name (str): the parametrized tensor.
        leave_parametrized (bool): keep the parametrized value. Default: ``True``.

    Returns:
        Module: ``module``.

    Raises:
        ValueError: ``tensor_name`` is not parametrized, or ``leave_parametrized=False`` with
            several originals.

    Example:
        >>> import ember
        >>> from ember.nn.utils import parametrize
        >>> class Double(ember.nn.Module):
        ...     def forward(self, x):
        ...         return 2 * x
        >>> m = ember.nn.Linear(2, 2)
        >>> w = m.weight.detach().clone()
        >>> m = parametrize.register_parametrization(m, "weight", Double())
        >>> m = parametrize.remove_parametrizations(m, "weight")
        >>> type(m).__name__, bool((m.weight == 2 * w).all())
        ('Linear', True)
    """
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"Module {module} does not have a parametrization on {tensor_name}")
    plist = module.parametrizations[tensor_name]
    if plist.is_tensor:
        original = plist.original
        if leave_parametrized:
            with no_grad():
                t = getattr(module, tensor_name)
            _maybe_set(original, t)
    else:
        if not leave_parametrized:
            raise ValueError("Cannot leave unparametrized (`leave_parametrized=False`) a tensor "
                             "that is parametrized in terms of a sequence of tensors.")
        t = getattr(module, tensor_name)
        original = Parameter(t.detach()) if t.requires_grad else t
    delattr(module.__class__, tensor_name)
    del module.parametrizations[tensor_name]
    _register_parameter_or_buffer(module, tensor_name, original)
    if not is_parametrized(module):
        delattr(module, "parametrizations")
        module.__class__ = module.__class__.__bases__[0]
    return module


def type_before_parametrizations(module: Module) -> type:
    """The module's class before parametrizations were registered (its class otherwise).

    Example:
        >>> import ember
        >>> from ember.nn.utils import parametrize
        >>> parametrize.type_before_parametrizations(ember.nn.Linear(1, 1)).__name__
        'Linear'
    """
    if is_parametrized(module):
        return module.__class__.__bases__[0]
    return type(module)


def transfer_parametrizations_and_params(from_module: Module, to_module: Module,
                                         tensor_name: str | None = None) -> Module:
    """Copy the parametrizations (and their originals) of ``from_module`` onto ``to_module``.

    Transfers ``tensor_name`` only, or every parametrized tensor when ``None``; tensors that
    ``to_module`` lacks are created. The parametrization modules and originals are shared,
    not copied. Does nothing if ``from_module`` is not parametrized.

    Args:
        from_module (Module): source module.
        to_module (Module): destination module.
        tensor_name (str, optional): the one tensor to transfer. Default: ``None``.

    Returns:
        Module: ``to_module``.

    Example:
        >>> import ember
        >>> from ember.nn.utils import parametrize
        >>> class Double(ember.nn.Module):
        ...     def forward(self, x):
        ...         return 2 * x
        >>> a = parametrize.register_parametrization(ember.nn.Linear(2, 2), "weight", Double())
        >>> b = parametrize.transfer_parametrizations_and_params(a, ember.nn.Linear(2, 2))
        >>> bool((a.weight == b.weight).all())
        True
    """
    if not is_parametrized(from_module):
        return to_module
    names = list(from_module.parametrizations) if tensor_name is None else [tensor_name]
    for name in names:
        if not hasattr(to_module, name):
            setattr(to_module, name, Parameter(getattr(from_module, name).detach()))
        for param_func in from_module.parametrizations[name]:
            register_parametrization(to_module, name, param_func)
        src = from_module.parametrizations[name]
        dst = to_module.parametrizations[name]
        if hasattr(src, "original"):
            dst.original = src.original
        else:
            i = 0
            while hasattr(src, f"original{i}"):
                setattr(dst, f"original{i}", getattr(src, f"original{i}"))
                i += 1
    return to_module
