"""Graph nodes: what one op application records for the backward pass.

A :class:`Node` (a tensor's ``grad_fn``) holds the backward formula of its op, the values the
formula needs — saved explicitly, nothing more — and one edge per differentiable input:
``next_functions[i] = (node_of_input_i, output_nr)``.  Leaves that require grad are reached
through an :class:`AccumulateGrad` node that adds into ``leaf.grad``.

Built-in ops subclass :class:`Node` with ``forward(self, xp, *arrays_and_params)`` (numpy or
cupy arrays in, arrays out) and ``backward(self, *grads)`` written with ember ops on tensors, so
the backward pass is itself differentiable (``create_graph=True``).
"""

from __future__ import annotations

import weakref

from . import grad_mode

__all__ = ["Node", "AccumulateGrad"]

_FREED_MSG = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)

# [enabled, check_nan]: detect_anomaly sets these; kept here so recording can check them cheaply
_anomaly = [False, True]


class Node:
    """A recorded op: ``backward`` maps output grads to input grads along ``next_functions``."""

    __slots__ = ("next_functions", "_in_meta", "_versions", "__weakref__", "__dict__")

    saves_output = False  # subclasses set True to get ``self.output`` in backward
    materialize_grads = True  # multi-output nodes get zeros for outputs that got no gradient
    _foreign_grads = False  # True: backward is user code whose results .grad must not adopt
    # NOTE: per-node defaults live on the class, so creating a node (once per op call,
    # recorded or not) writes nothing; instances shadow them only when they change.
    _saved = None
    _outs = None
    _freed = False
    _pre_hooks = None
    _hooks = None
    _has_hooks = False  # a tensor hook, retain_grad or pre-hook waits on this node's outputs
    _out_meta = None  # multi-output nodes: ((shape, dtype, device), ...) per output
    _trace = None
    fast = None  # optional array-level backward, see below

    # ------------------------------------------------------------------ identity
    def name(self) -> str:
        return type(self).__name__ + "Backward0"

    def __repr__(self) -> str:
        return f"<{self.name()} object at {id(self):#x}>"

    @property
    def metadata(self) -> dict:
        d = self.__dict__.get("_metadata")
        if d is None:
            d = self.__dict__["_metadata"] = {}
        return d

    # ------------------------------------------------------------------ saving
    def save(self, *tensors) -> None:
        """Keep input tensors for backward; their versions are checked when unpacked."""
        self._saved = tensors
        if len(tensors) == 1:
            self._versions = (tensors[0]._vc[0],)
        else:
            self._versions = tuple(None if t is None else t._vc[0] for t in tensors)

    @property
    def saved(self) -> tuple:
        """The tensors passed to :meth:`save`, after checking none was modified in place."""
        saved = self._saved
        if saved is None:
            if self._freed:
                raise RuntimeError(_FREED_MSG)
            return ()
        for i, (t, v) in enumerate(zip(saved, self._versions, strict=True)):
            if t is not None and t._vc[0] != v:
                raise RuntimeError(_modified_message(t, self, i, v))
        return saved

    # Array-level formulas.  A node class may define ``fast(self, g) -> tuple`` taking the
    # output gradient as an array and returning one array (or None) per input: the same
    # derivative as ``backward``, used by plain (non create_graph) backward passes, where
    # building ember tensors for every intermediate would dominate small ops.  Tests compare
    # both paths for every op that has one.
    def out_array(self):
        """Output 0's array (version-checked), for ``fast`` formulas."""
        outs = self._outs
        if outs is None or outs[0][1][0] != outs[0][2]:
            return self.output._data  # raises the freed / modified error
        return outs[0][0]

    def saved_arrays(self) -> list:
        """The saved tensors' arrays (version-checked), for ``fast`` formulas."""
        return [None if t is None else t._data for t in self.saved]

    @property
    def output(self):
        """Output 0 as a tensor whose ``grad_fn`` is this node (for formulas like exp's)."""
        return self.outputs[0]

    @property
    def outputs(self) -> tuple:
        outs = self._outs
        if outs is None:
            raise RuntimeError(_FREED_MSG if self._freed else
                               f"{self.name()} did not save its outputs")
        from .._tensor import Tensor
        res = []
        for nr, (arr, vc, ver) in enumerate(outs):
            if vc[0] != ver:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by "
                    f"an inplace operation: output {nr} of {self.name()} is at version {vc[0]}; "
                    f"expected version {ver} instead. Hint: the operation that produced it saved "
                    "its result for backward; compute the in-place op on a clone instead.")
            res.append(Tensor._from_node(arr, self, nr, vc))
        return tuple(res)

    def release(self) -> None:
        """Free saved values after a backward pass without ``retain_graph``."""
        if self._saved is not None or self._outs is not None:
            self._saved = None
            self._outs = None
            self._freed = True
            self._release_extra()

    def _release_extra(self) -> None:
        """Subclasses holding big arrays outside ``save`` drop them here."""

    # ------------------------------------------------------------------ hooks
    def register_hook(self, fn):
        """``fn(grad_inputs, grad_outputs)`` runs after this node's backward."""
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(fn)
        self._has_hooks = True
        return _RemovableHandle(self._hooks, fn)

    def register_prehook(self, fn):
        """``fn(grad_outputs)`` runs before this node's backward and may replace the grads."""
        if self._pre_hooks is None:
            self._pre_hooks = []
        self._pre_hooks.append(fn)
        self._has_hooks = True
        return _RemovableHandle(self._pre_hooks, fn)

    # ------------------------------------------------------------------ protocol
    def forward(self, xp, *args):  # pragma: no cover - every op overrides
        raise NotImplementedError(f"{type(self).__name__} has no forward")

    def backward(self, *grads):  # pragma: no cover - every op overrides
        raise RuntimeError(f"derivative for {self.name()} is not implemented")

    def apply(self, grads: list) -> tuple:
        """Run the backward formula (grad mode is set by the engine)."""
        return self.backward(*grads)


class AccumulateGrad(Node):
    """Sink node of a leaf: adds the incoming gradient into ``variable.grad``."""

    __slots__ = ("variable",)

    def __init__(self, variable) -> None:
        self.variable = variable
        self.next_functions = ()

    def name(self) -> str:
        return "AccumulateGrad"


def accumulator(t) -> AccumulateGrad:
    """The (cached) AccumulateGrad node of leaf ``t``; the leaf holds it weakly, as PyTorch."""
    ref = t._acc
    node = ref() if ref is not None else None
    if node is None:
        node = AccumulateGrad(t)
        t._acc = weakref.ref(node)
    return node


def edge(t) -> tuple:
    """The graph edge for tensor ``t``: ``(grad_fn, output_nr)``, or its accumulator."""
    fn = t.grad_fn
    if fn is not None:
        return (fn, t._output_nr)
    if t.requires_grad:
        return (accumulator(t), 0)
    return (None, 0)


def _modified_message(t, node, i, expected) -> str:
    kind = f"{_legacy_type(t)}[{', '.join(map(str, t.shape))}]"
    owner = (f", which is output {t._output_nr} of {t.grad_fn.name()}," if t.grad_fn is not None
             else "")
    return ("one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: [{kind}]{owner} is at version {t._vc[0]}; expected version "
            f"{expected} instead (saved input {i} of {node.name()}). Hint: enable anomaly "
            "detection to find the operation that failed to compute its gradient, with "
            "ember.autograd.set_detect_anomaly(True).")


def _legacy_type(t) -> str:
    names = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
             "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
             "complex64": "ComplexFloat", "complex128": "ComplexDouble"}
    where = "" if t.device.type == "cpu" else t.device.type + "."  # ember.cuda.FloatTensor
    return f"ember.{where}{names.get(t.dtype.name, t.dtype.name)}Tensor "


class _RemovableHandle:
    __slots__ = ("_list", "_fn")

    def __init__(self, lst, fn) -> None:
        self._list, self._fn = lst, fn

    def remove(self) -> None:
        if self._fn in self._list:
            self._list.remove(self._fn)


def recording(*tensors) -> bool:
    """True when grad mode is on and any tensor requires grad (the op must record)."""
    if not grad_mode._state.enabled:
        return False
    for t in tensors:
        if t is not None and t.requires_grad:
            return True
    return False
