"""User-defined differentiable ops: subclass :class:`Function` with ``forward`` and ``backward``.

``MyOp.apply(*args)`` runs ``forward`` with grad mode off and, when an input requires grad,
records one graph node for the whole call.  That node is the ``ctx`` that ``forward`` received
(``y.grad_fn``, named ``MyOpBackward``): it carries the tensors passed to
``ctx.save_for_backward`` (version-checked when unpacked, freed after a backward pass without
``retain_graph``) and any attributes ``forward`` set, and its ``backward`` calls the user's
``backward(ctx, *grad_outputs)``, which returns one gradient (or ``None``) per argument of
``forward``.  Because the user's backward is written with ember ops, it is recorded under
``create_graph=True`` and higher derivatives work, unless it is marked
:func:`once_differentiable`.

Example:
    >>> import ember
    >>> class Cube(ember.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x ** 3
    ...     @staticmethod
    ...     def backward(ctx, gy):
    ...         (x,) = ctx.saved_tensors
    ...         return gy * 3 * x ** 2
    >>> x = ember.tensor([1.0, 2.0], requires_grad=True)
    >>> y = Cube.apply(x)
    >>> y.grad_fn.name()
    'CubeBackward'
    >>> y.sum().backward()
    >>> x.grad
    tensor([ 3., 12.])
"""

from __future__ import annotations

import functools
import inspect
import warnings

from . import grad_mode
from .node import Node

__all__ = ["Function", "FunctionCtx", "BackwardCFunction", "once_differentiable"]

_state = grad_mode._state


class FunctionCtx:
    """The ``ctx`` handed to ``forward``/``setup_context``/``backward`` of a :class:`Function`.

    Set any attribute on it to pass values from forward to backward; use
    :meth:`save_for_backward` for tensors (it detects in-place changes made in between).
    """

    def save_for_backward(self, *tensors) -> None:
        """Keep ``tensors`` (inputs, outputs or ``None``) for backward, as ``ctx.saved_tensors``.

        Call it at most once, from ``forward`` or ``setup_context``.

        Raises:
            TypeError: when an argument is not a Tensor or None.
        """
        from .._tensor import Tensor
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save variables, but argument {i} "
                                f"is of type {type(t).__name__}")
        self.to_save = tensors

    def mark_dirty(self, *tensors) -> None:
        """Declare input tensors that ``forward`` modified in place (they must be returned)."""
        self.dirty_tensors = tensors

    def mark_non_differentiable(self, *tensors) -> None:
        """Declare outputs that get no gradient (``requires_grad=False``, like sort's indices);
        backward still receives a (zero or None) gradient for them."""
        self.non_differentiable = tensors

    def set_materialize_grads(self, value: bool) -> None:
        """``False``: backward gets ``None`` (not zeros) for outputs that received no gradient."""
        self.materialize_grads = bool(value)


class BackwardCFunction(Node, FunctionCtx):
    """The graph node (and ``ctx``) of one :meth:`Function.apply` call."""

    # NOTE: Node's ``saved``/``output``/``outputs`` helpers are for built-in ops; shadowing them
    # with plain class attributes lets a user's forward store ``ctx.output = ...`` freely.
    saved = output = outputs = None
    _foreign_grads = True

    def __init__(self, cls) -> None:
        Node.__init__(self)
        self._forward_cls = cls
        self.next_functions = ()

    def name(self) -> str:
        return self._forward_cls.__name__ + "Backward"

    @property
    def saved_tensors(self) -> tuple:
        """The tensors given to ``save_for_backward``, after checking none changed in place.

        Raises:
            RuntimeError: when one was modified in place since it was saved, or when the saved
                values were freed by an earlier backward pass without ``retain_graph=True``.
        """
        d = self.__dict__
        if "to_save" in d:  # still inside forward/setup_context
            return d["to_save"]
        return Node.saved.fget(self)

    def apply(self, grads: list) -> tuple:
        """Call the user's ``backward(ctx, *grads)`` and check what it returned."""
        from .._tensor import Tensor
        cls = self._forward_cls
        user_bw, user_vjp = cls.backward, cls.vjp
        if user_bw is not Function.backward and user_vjp is not Function.vjp \
                and user_bw is not user_vjp:
            raise RuntimeError("Implementing both 'backward' and 'vjp' for a custom Function is "
                               "not allowed.")
        fn = user_vjp if user_vjp is not Function.vjp else user_bw
        res = fn(self, *grads)
        if not isinstance(res, tuple):
            res = (res,)
        n = len(self.next_functions)
        if len(res) != n:
            if len(res) < n or any(g is not None for g in res[n:]):
                raise RuntimeError(f"function {self.name()} returned an incorrect number of "
                                   f"gradients (expected {n}, got {len(res)})")
            res = res[:n]  # PyTorch drops trailing Nones
        for i, g in enumerate(res):
            if g is None:
                continue
            if not isinstance(g, Tensor):
                raise RuntimeError(f"function {self.name()} returned a gradient of type "
                                   f"{type(g).__name__} at index {i}: expected Variable or None "
                                   f"(got {type(g).__name__})")
            if not self._input_was_tensor[i]:
                raise RuntimeError(f"function {self.name()} returned a gradient different than "
                                   f"None at position {i + 1}, but the corresponding forward "
                                   "input was not a Variable")
        return res

    def _release_extra(self) -> None:
        self.__dict__.pop("to_save", None)


class Function:
    """Base class of user-defined differentiable ops; call them with ``MyOp.apply(*args)``.

    Define ``forward(ctx, *args, **kwargs)`` and ``backward(ctx, *grad_outputs)`` as static
    methods, or the new style ``forward(*args)`` plus ``setup_context(ctx, inputs, output)``.
    ``backward`` gets one gradient per tensor output of ``forward`` and returns one gradient
    (or ``None``) per argument of ``forward``; gradients may be broadcast (they are summed to
    the input's shape).

    Raises:
        RuntimeError: from backward, when it returns the wrong number of gradients, a gradient
            whose shape doesn't broadcast to its input, or a non-tensor.
    """

    def __init__(self, *args, **kwargs) -> None:
        warnings.warn(f"{type(self)} should not be instantiated. Methods on autograd functions "
                      "are all static, so you should invoke them on the class itself.",
                      DeprecationWarning, stacklevel=2)

    def __call__(self, *args, **kwargs):
        raise RuntimeError("Legacy autograd function with non-static forward method is "
                           "deprecated. Please use new-style autograd function with static "
                           "forward method. (Example: "
                           "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)")

    @staticmethod
    def forward(*args, **kwargs):
        """Compute the outputs (runs with grad mode off)."""
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs: tuple, output):
        """New-style hook: fill ``ctx`` from the inputs and output of ``forward(*inputs)``."""
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        """Map output gradients to one gradient (or None) per forward argument."""
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward mode "
                                  "AD.")

    vjp = backward

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError("You must implement the jvp function for custom "
                                  "autograd.Function to use it with forward mode AD "
                                  "(ember has no forward-mode AD; see docs/differences.md).")

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run ``forward`` and record the call in the graph when an input requires grad."""
        return _apply(cls, args, kwargs)


def _apply(cls, args, kwargs):
    from .._tensor import Tensor
    new_style = cls.setup_context is not Function.setup_context
    if new_style or kwargs:  # PyTorch binds defaults so setup_context sees every argument
        sig = inspect.signature(cls.forward)
        bound = sig.bind(*args, **kwargs) if new_style else sig.bind(None, *args, **kwargs)
        bound.apply_defaults()
        args = bound.args if new_style else bound.args[1:]
        kwargs = bound.kwargs
    inputs = tuple(a if isinstance(a, Tensor) else None for a in args)
    recording = False
    if _state.enabled:
        for t in inputs:
            if t is not None and t._rg:
                recording = True
                break
    ctx = BackwardCFunction(cls)
    ctx.needs_input_grad = tuple(t is not None and t._rg for t in inputs)
    prev = _state.enabled
    _state.enabled = False
    try:
        if new_style:
            output = cls.forward(*args, **kwargs)
            cls.setup_context(ctx, args, output)
        else:
            output = cls.forward(ctx, *args, **kwargs)
    finally:
        _state.enabled = prev
    return _wrap_outputs(ctx, inputs, output, recording)


def _wrap_outputs(node, inputs, output, recording):
    """Give the tensor outputs ``grad_fn=node`` (keeping the objects forward returned)."""
    from .._tensor import Tensor
    from ..ops._dispatch import _record
    d = node.__dict__
    dirty = d.pop("dirty_tensors", ())
    nondiff = {id(t) for t in d.pop("non_differentiable", ())}
    to_save = d.pop("to_save", None)
    is_tuple = isinstance(output, tuple)
    outs = output if is_tuple else (output,)
    dirty_ids = {id(t) for t in dirty}
    if dirty_ids - {id(o) for o in outs}:
        raise RuntimeError("Some elements marked as dirty during the forward method were not "
                           "returned as output. The inputs that are modified inplace must all be "
                           "outputs of the Function.")
    if recording:
        _record(node, inputs)
        node._input_was_tensor = tuple(t is not None for t in inputs)
    input_ids = {id(t) for t in inputs if t is not None}
    res, meta, seen = [], [], set()
    for o in outs:
        if not isinstance(o, Tensor):
            res.append(o)
            continue
        if id(o) in dirty_ids:
            t = _dirty(node, o, recording)
        elif recording and (id(o) in input_ids or id(o) in seen or o._rg):
            # an input (or an already-tracked tensor) returned as-is: a new alias gets the node
            t = Tensor._make(o._data, vc=o._vc, base=o._base if o._base is not None else o)
        else:
            t = o
        seen.add(id(o))
        if recording:
            if t._data.dtype.kind in "fc" and id(o) not in nondiff:
                t.grad_fn, t._output_nr, t._rg = node, len(meta), True
                if id(o) in dirty_ids and t._base is not None:
                    from ..ops.inplace import CopySlices
                    CopySlices.rebase(t._base, t, t)
            elif t.grad_fn is None:
                t._rg = False
            meta.append((t._data.shape, t.dtype, t.device))
        res.append(t)
    if recording:
        node._out_meta = tuple(meta)
        if to_save is not None:
            node.save(*to_save)
    return tuple(res) if is_tuple else res[0]


def _dirty(node, t, recording):
    """An input modified in place by forward: check it may be, and bump its version."""
    if recording:
        if t.grad_fn is None and t._rg:
            raise RuntimeError("a leaf Variable that requires grad has been used in an in-place "
                               f"operation. ({node.name()})")
        b = t._base
        if b is not None and b.grad_fn is None and b._rg:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                               f"in-place operation. ({node.name()})")
    t._bump()
    return t


class _DelayedError(Node):
    """Stands in for the graph of a :func:`once_differentiable` backward: fails if reached."""

    def forward(self, xp, x):
        return x

    def backward(self, *grads):
        raise RuntimeError("trying to differentiate twice a function that was marked with "
                           "@once_differentiable")

    def name(self) -> str:
        return "DelayedError"


def once_differentiable(fn):
    """Decorate a :class:`Function`'s ``backward`` that is not itself differentiable.

    The backward runs with grad mode off; under ``create_graph=True``, gradients that would
    have needed a graph get a node that raises when a second backward reaches it.

    Example:
        >>> import ember
        >>> from ember.autograd.function import once_differentiable
        >>> class Double(ember.autograd.Function):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         return x * 2
        ...     @staticmethod
        ...     @once_differentiable
        ...     def backward(ctx, gy):
        ...         return gy * 2
        >>> x = ember.ones(2, requires_grad=True)
        >>> Double.apply(x).sum().backward()
        >>> x.grad
        tensor([2., 2.])
    """
    @functools.wraps(fn)
    def wrapper(ctx, *args):
        from .._tensor import Tensor
        from ..ops._dispatch import wrap
        prev = _state.enabled
        _state.enabled = False
        try:
            outputs = fn(ctx, *args)
        finally:
            _state.enabled = prev
        if not prev:
            return outputs
        tracked = tuple(a for a in args if isinstance(a, Tensor) and a._rg)
        if not tracked:
            return outputs
        is_tuple = isinstance(outputs, tuple)
        res = []
        for g in (outputs if is_tuple else (outputs,)):
            if isinstance(g, Tensor) and g._data.dtype.kind in "fc":
                g = wrap(_DelayedError(), tracked, g._data)
            res.append(g)
        return tuple(res) if is_tuple else res[0]
    return wrapper
