"""Forward and backward hooks of :class:`~ember.nn.Module` (``__call__`` runs them).

Full backward hooks wrap the module's tensor inputs and outputs in identity
:class:`~ember.autograd.Function` nodes: the output node's backward sees the gradients w.r.t.
the outputs (and runs the backward pre-hooks, which may replace them), the input node's
backward sees the gradients w.r.t. the inputs and runs the backward hooks, which may replace
those.
"""

from __future__ import annotations

import itertools
import warnings
import weakref
from collections import OrderedDict

from ..._tensor import Tensor
from ...autograd.function import Function

__all__ = ["RemovableHandle", "register_module_forward_pre_hook", "register_module_forward_hook",
           "register_module_full_backward_pre_hook", "register_module_full_backward_hook"]

# hooks that run for every module (PyTorch's ``register_module_*_hook``)
_global_forward_pre_hooks: OrderedDict = OrderedDict()
_global_forward_hooks: OrderedDict = OrderedDict()
_global_forward_hooks_with_kwargs: OrderedDict = OrderedDict()
_global_forward_hooks_always_called: OrderedDict = OrderedDict()
_global_backward_pre_hooks: OrderedDict = OrderedDict()
_global_backward_hooks: OrderedDict = OrderedDict()


class RemovableHandle:
    """A handle that removes a registered hook with ``handle.remove()`` (or as a context
    manager on exit)."""

    next_id = itertools.count()

    def __init__(self, hooks_dict, *, extra_dict=None) -> None:
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = next(RemovableHandle.next_id)
        if extra_dict is None:
            extra_dict = ()
        elif isinstance(extra_dict, dict):
            extra_dict = (extra_dict,)
        self.extra_dict_ref = tuple(weakref.ref(d) for d in extra_dict)

    def remove(self) -> None:
        """Unregister the hook (a no-op if already removed)."""
        hooks_dict = self.hooks_dict_ref()
        if hooks_dict is not None and self.id in hooks_dict:
            del hooks_dict[self.id]
        for ref in self.extra_dict_ref:
            d = ref()
            if d is not None and self.id in d:
                del d[self.id]

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, type, value, tb) -> None:
        self.remove()

    def __getstate__(self):
        return (self.hooks_dict_ref(), self.id, tuple(r() for r in self.extra_dict_ref))

    def __setstate__(self, state) -> None:
        self.hooks_dict_ref = weakref.ref(OrderedDict() if state[0] is None else state[0])
        self.id = state[1]
        RemovableHandle.next_id = itertools.count(max(next(RemovableHandle.next_id),
                                                      self.id + 1))
        self.extra_dict_ref = tuple(weakref.ref(d) for d in state[2] if d is not None)


class _HookState:
    """What the input and output identity nodes of one module call share."""

    def __init__(self, module, hooks, pre_hooks, n_inputs, input_index) -> None:
        self.module = module
        self.hooks = hooks
        self.pre_hooks = pre_hooks
        self.n_inputs = n_inputs
        self.input_index = input_index  # positions of the input tensors that require grad
        self.n_outputs = 0
        self.output_index = ()
        self.grad_outputs = None


def _pack(index, values, n):
    res = [None] * n
    for i, v in zip(index, values, strict=False):
        res[i] = v
    return tuple(res)


class _BackwardHookFunction(Function):
    """Identity on tensors; its backward runs module backward (pre-)hooks."""

    @staticmethod
    def forward(ctx, state, is_output, *tensors):
        ctx.state, ctx.is_output = state, is_output
        ctx.set_materialize_grads(False)
        return tensors

    @staticmethod
    def backward(ctx, *grads):
        st = ctx.state
        if ctx.is_output:
            st.grad_outputs = _pack(st.output_index, grads, st.n_outputs)
            expected = len(st.grad_outputs)
            for hook in st.pre_hooks:
                out = hook(st.module, st.grad_outputs)
                if out is None:
                    continue
                if not isinstance(out, tuple):
                    out = (out,)
                if len(out) != expected:
                    raise RuntimeError(f"Backward pre hook returned an invalid number of "
                                       f"grad_output, got {len(out)}, but expected {expected}")
                st.grad_outputs = out
            local = st.grad_outputs
            if not st.input_index:  # no input requires grad: call the hooks right here
                grad_inputs = _pack((), (), st.n_inputs)
                for hook in st.hooks:
                    res = hook(st.module, grad_inputs, st.grad_outputs)
                    if res is not None and not (isinstance(res, tuple)
                                                and all(r is None for r in res)):
                        raise RuntimeError("Backward hook for Modules where no input requires "
                                           "gradient should always return None or None for "
                                           "all gradients.")
                st.grad_outputs = None
            return (None, None, *(local[i] for i in st.output_index))
        if st.grad_outputs is None:
            return (None, None, *grads)
        res = _pack(st.input_index, grads, st.n_inputs)
        for hook in st.hooks:
            out = hook(st.module, res, st.grad_outputs)
            if out is None:
                continue
            if not isinstance(out, tuple):
                out = (out,)
            if len(out) != len(res):
                raise RuntimeError(f"Backward hook returned an invalid number of grad_input, "
                                   f"got {len(out)}, but expected {len(res)}")
            res = out
        st.grad_outputs = None
        return (None, None, *(res[i] for i in st.input_index))


def _wrap_tensors(state, values, is_output):
    """Route the tensors requiring grad among ``values`` through one identity node."""
    index = [i for i, v in enumerate(values) if isinstance(v, Tensor) and v.requires_grad]
    if not index:
        return values, ()
    new = _BackwardHookFunction.apply(state, is_output, *(values[i] for i in index))
    values = list(values)
    for i, t in zip(index, new, strict=True):
        values[i] = t
    return tuple(values), tuple(index)


def _call_impl(self, *args, **kwargs):
    """``module(*args, **kwargs)``: forward pre-hooks, ``forward``, forward hooks."""
    forward_call = self.forward
    if not (self._backward_hooks or self._backward_pre_hooks or self._forward_hooks
            or self._forward_pre_hooks or _global_forward_pre_hooks or _global_forward_hooks
            or _global_backward_hooks or _global_backward_pre_hooks):
        return forward_call(*args, **kwargs)
    called_always = set()
    result = None
    fwd_hooks = list(_global_forward_hooks.items()) + list(self._forward_hooks.items())
    with_kwargs = {**_global_forward_hooks_with_kwargs, **self._forward_hooks_with_kwargs}
    always = {**_global_forward_hooks_always_called, **self._forward_hooks_always_called}
    try:
        for hook in list(_global_forward_pre_hooks.values()):
            out = hook(self, args)
            if out is not None:
                args = out if isinstance(out, tuple) else (out,)
        for hook_id, hook in list(self._forward_pre_hooks.items()):
            if hook_id in self._forward_pre_hooks_with_kwargs:
                out = hook(self, args, kwargs)
                if out is not None:
                    if isinstance(out, tuple) and len(out) == 2:
                        args, kwargs = out
                    else:
                        raise RuntimeError("forward pre-hook must return None or a tuple of "
                                           f"(new_args, new_kwargs), but got {out}.")
            else:
                out = hook(self, args)
                if out is not None:
                    args = out if isinstance(out, tuple) else (out,)
        state = None
        full = self._is_full_backward_hook is not False
        local = list(self._backward_hooks.values())
        bw_hooks = list(_global_backward_hooks.values()) + (local if full else [])
        bw_pre = list(_global_backward_pre_hooks.values()) \
            + list(self._backward_pre_hooks.values())
        if bw_hooks or bw_pre:
            state = _HookState(self, bw_hooks, bw_pre, len(args), ())
            args, state.input_index = _wrap_tensors(state, args, False)
        result = forward_call(*args, **kwargs)
        for hook_id, hook in fwd_hooks:
            if hook_id in always:
                called_always.add(hook_id)
            if hook_id in with_kwargs:
                out = hook(self, args, kwargs, result)
            else:
                out = hook(self, args, result)
            if out is not None:
                result = out
        if state is not None:
            if isinstance(result, Tensor):
                state.n_outputs = 1
                (result,), state.output_index = _wrap_tensors(state, (result,), True)
            elif isinstance(result, tuple):
                state.n_outputs = len(result)
                result, state.output_index = _wrap_tensors(state, result, True)
            else:
                warnings.warn("For backward hooks to be called, module output should be a "
                              f"Tensor or a tuple of Tensors but received {type(result)}",
                              UserWarning, stacklevel=2)
        if not full and local:
            _register_non_full(self, result, local)
        return result
    except Exception:
        for hook_id, hook in fwd_hooks:
            if hook_id in always and hook_id not in called_always:
                try:
                    if hook_id in with_kwargs:
                        out = hook(self, args, kwargs, result)
                    else:
                        out = hook(self, args, result)
                    if out is not None:
                        result = out
                except Exception as e:
                    warnings.warn("global module forward hook with ``always_call=True`` raised "
                                  f"an exception that was silenced as another error was raised "
                                  f"in forward: {e}", UserWarning, stacklevel=2)
        raise


def register_module_forward_pre_hook(hook) -> RemovableHandle:
    """Run ``hook(module, args)`` before the forward of every module (before the module's
    own pre-hooks); a non-None result replaces the arguments."""
    handle = RemovableHandle(_global_forward_pre_hooks)
    _global_forward_pre_hooks[handle.id] = hook
    return handle


def register_module_forward_hook(hook, *, with_kwargs: bool = False,
                                 always_call: bool = False) -> RemovableHandle:
    """Run ``hook(module, args, output)`` after the forward of every module (before the
    module's own hooks); a non-None result replaces the output."""
    handle = RemovableHandle(_global_forward_hooks,
                             extra_dict=[_global_forward_hooks_with_kwargs,
                                         _global_forward_hooks_always_called])
    _global_forward_hooks[handle.id] = hook
    if with_kwargs:
        _global_forward_hooks_with_kwargs[handle.id] = True
    if always_call:
        _global_forward_hooks_always_called[handle.id] = True
    return handle


def register_module_full_backward_pre_hook(hook) -> RemovableHandle:
    """Like ``Module.register_full_backward_pre_hook``, for every module."""
    handle = RemovableHandle(_global_backward_pre_hooks)
    _global_backward_pre_hooks[handle.id] = hook
    return handle


def register_module_full_backward_hook(hook) -> RemovableHandle:
    """Like ``Module.register_full_backward_hook``, for every module."""
    handle = RemovableHandle(_global_backward_hooks)
    _global_backward_hooks[handle.id] = hook
    return handle


def _register_non_full(module, result, hooks) -> None:
    """Old-style backward hooks: on the grad_fn of the (first) output tensor."""
    var = result
    while not isinstance(var, Tensor):
        if isinstance(var, dict):
            var = next(v for v in var.values() if isinstance(v, Tensor))
        else:
            var = var[0]
    grad_fn = var.grad_fn
    if grad_fn is not None:
        for hook in hooks:
            grad_fn.register_hook(_WrappedHook(hook, module))


class _WrappedHook:
    def __init__(self, hook, module) -> None:
        self.hook = hook
        self.module = weakref.ref(module)

    def __call__(self, grad_inputs, grad_outputs):
        return self.hook(self.module(), grad_inputs, grad_outputs)


class _HooksMixin:
    """Hook registration methods of :class:`~ember.nn.Module`."""

    def register_forward_pre_hook(self, hook, *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """Run ``hook(module, args)`` (or ``hook(module, args, kwargs)`` with
        ``with_kwargs``) before ``forward``; a non-None result replaces the arguments."""
        handle = RemovableHandle(self._forward_pre_hooks,
                                 extra_dict=self._forward_pre_hooks_with_kwargs)
        self._forward_pre_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs[handle.id] = True
        if prepend:
            self._forward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_forward_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:
        """Run ``hook(module, args, output)`` (``hook(module, args, kwargs, output)`` with
        ``with_kwargs``) after ``forward``; a non-None result replaces the output.
        ``always_call=True`` runs it even when ``forward`` raised."""
        handle = RemovableHandle(self._forward_hooks,
                                 extra_dict=[self._forward_hooks_with_kwargs,
                                             self._forward_hooks_always_called])
        self._forward_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_hooks_with_kwargs[handle.id] = True
        if always_call:
            self._forward_hooks_always_called[handle.id] = True
        if prepend:
            self._forward_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_full_backward_pre_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """Run ``hook(module, grad_output)`` when the output gradients are known; a non-None
        tuple replaces them."""
        handle = RemovableHandle(self._backward_pre_hooks)
        self._backward_pre_hooks[handle.id] = hook
        if prepend:
            self._backward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_backward_hook(self, hook) -> RemovableHandle:
        """Old-style backward hook ``hook(module, grad_input, grad_output)`` on the autograd
        node that produced the module's (first) output: ``grad_input`` are that node's input
        gradients, not necessarily the module's.  Prefer :meth:`register_full_backward_hook`.

        Raises:
            RuntimeError: when full backward hooks are registered on the module too.
        """
        if self._is_full_backward_hook is True:
            raise RuntimeError("Cannot use both regular backward hooks and full backward hooks "
                               "on a single Module. Please use only one of them.")
        self._is_full_backward_hook = False
        handle = RemovableHandle(self._backward_hooks)
        self._backward_hooks[handle.id] = hook
        return handle

    def register_full_backward_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """Run ``hook(module, grad_input, grad_output)`` when the gradients w.r.t. the module
        inputs are computed; a non-None tuple replaces ``grad_input``.

        Raises:
            RuntimeError: when non-full backward hooks are registered on the module too.
        """
        if self._is_full_backward_hook is False:
            raise RuntimeError("Cannot use both regular backward hooks and full backward hooks "
                               "on a single Module. Please use only one of them.")
        self._is_full_backward_hook = True
        handle = RemovableHandle(self._backward_hooks)
        self._backward_hooks[handle.id] = hook
        if prepend:
            self._backward_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_state_dict_pre_hook(self, hook) -> RemovableHandle:
        """Run ``hook(module, prefix, keep_vars)`` before ``state_dict`` saves this module."""
        handle = RemovableHandle(self._state_dict_pre_hooks)
        self._state_dict_pre_hooks[handle.id] = hook
        return handle

    def register_state_dict_post_hook(self, hook) -> RemovableHandle:
        """Run ``hook(module, state_dict, prefix, local_metadata)`` after ``state_dict``
        saved this module (a non-None result replaces the dict)."""
        handle = RemovableHandle(self._state_dict_hooks)
        self._state_dict_hooks[handle.id] = hook
        return handle

    _register_state_dict_hook = register_state_dict_post_hook

    def register_load_state_dict_pre_hook(self, hook) -> RemovableHandle:
        """Run ``hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs)`` before this module loads its entries."""
        handle = RemovableHandle(self._load_state_dict_pre_hooks)
        self._load_state_dict_pre_hooks[handle.id] = _WithModule(hook, self)
        return handle

    def _register_load_state_dict_pre_hook(self, hook, with_module: bool = False):
        handle = RemovableHandle(self._load_state_dict_pre_hooks)
        self._load_state_dict_pre_hooks[handle.id] = _WithModule(hook, self) if with_module \
            else hook
        return handle

    def register_load_state_dict_post_hook(self, hook) -> RemovableHandle:
        """Run ``hook(module, incompatible_keys)`` after this module and its children loaded;
        the hook may edit ``incompatible_keys.missing_keys``/``unexpected_keys`` in place."""
        handle = RemovableHandle(self._load_state_dict_post_hooks)
        self._load_state_dict_post_hooks[handle.id] = hook
        return handle


class _WithModule:
    """A load-state-dict pre-hook that also receives the module (held weakly)."""

    def __init__(self, hook, module) -> None:
        self.hook = hook
        self.module = weakref.ref(module)

    def __call__(self, *args, **kwargs):
        return self.hook(self.module(), *args, **kwargs)

    def __getstate__(self):
        return {"hook": self.hook, "module": self.module()}

    def __setstate__(self, state) -> None:
        self.hook = state["hook"]
        self.module = weakref.ref(state["module"])
