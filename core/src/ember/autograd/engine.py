"""The backward pass: a topological walk over the recorded graph and gradient accumulation.

``run`` counts, for every node reachable from the roots, how many edges lead into it; a node
runs once all of them have delivered their gradient (Kahn's algorithm), so each node runs once
and sees the full sum of its output gradients.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .. import _host_buffers
from . import grad_mode
from .node import AccumulateGrad, _anomaly, accumulator, edge

__all__ = ["backward", "grad"]


def _tuple(x):
    if x is None:
        return None
    from .._tensor import Tensor
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def _make_grads(outputs, grads, what="backward"):
    """Default the output gradients (ones for scalars) and check shapes."""
    from .._tensor import Tensor
    from ..ops.creation import ones_like
    res = []
    if grads is None:
        grads = (None,) * len(outputs)
    if len(grads) != len(outputs):
        raise RuntimeError(f"grad can be implicitly created only for scalar outputs: got "
                           f"{len(grads)} gradients for {len(outputs)} outputs")
    for i, (out, g) in enumerate(zip(outputs, grads, strict=True)):
        if not isinstance(out, Tensor):
            raise TypeError(f"{what}: expected a Tensor as output {i}, got {type(out).__name__}")
        if g is None:
            if not out._rg:
                res.append(None)
                continue
            if out._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if out._data.dtype.kind not in "fc":
                raise RuntimeError("grad can be implicitly created only for real scalar outputs "
                                   f"but got {out.dtype}")
            res.append(ones_like(out))
            continue
        if not isinstance(g, Tensor):
            raise TypeError(f"{what}: gradient {i} must be a Tensor or None, got "
                            f"{type(g).__name__}")
        if g._data.shape != out._data.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of "
                               f"{g.shape} and output[{i}] has a shape of {out.shape}.")
        if g.device != out.device:
            raise RuntimeError(f"Mismatch in device: grad_output[{i}] is on {g.device} and "
                               f"output[{i}] is on {out.device}.")
        res.append(g)
    return res


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
             grad_variables=None, inputs=None) -> None:
    """Accumulate the gradients of ``tensors`` w.r.t. the graph leaves into their ``.grad``.

    Args:
        tensors: tensor(s) to differentiate.
        grad_tensors: d(loss)/d(tensors); may be omitted for scalar outputs (ones).
        retain_graph: keep saved values for another backward (default: ``create_graph``).
        create_graph: record the backward pass so gradients can be differentiated again.
        inputs: accumulate only into these tensors' ``.grad``.
    """
    tensors = _tuple(tensors)
    if grad_variables is not None:
        grad_tensors = grad_variables
    grads = _make_grads(tensors, _tuple(grad_tensors))
    for i, t in enumerate(tensors):
        if not t._rg:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have "
                               "a grad_fn")
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is not None:
        inputs = _tuple(inputs)
        if len(inputs) == 0:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    captured = run(tensors, grads, retain_graph, create_graph, inputs, accumulate=True)
    if inputs is not None:  # non-leaf inputs get their gradient in .grad, as if retained
        for t, g in zip(inputs, captured, strict=True):
            if g is not None and t.grad_fn is not None:
                if t._grad is None:
                    t._grad = g if create_graph else g.detach().clone()
                else:
                    t._grad = t._grad + g if create_graph else t._grad + g.detach()


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Gradients of ``outputs`` w.r.t. ``inputs``, returned (``.grad`` is left untouched).

    Example:
        >>> import ember
        >>> x = ember.tensor(3.0, requires_grad=True)
        >>> (g,) = ember.autograd.grad(x ** 3, x, create_graph=True)
        >>> g, ember.autograd.grad(g, x)[0]
        (tensor(27., grad_fn=<MulBackward0>), tensor(18.))
    """
    if is_grads_batched:
        raise RuntimeError("autograd.grad: is_grads_batched=True is not supported by ember "
                           "(see docs/differences.md); loop over the gradients instead")
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when "
                         "materialize_grads=True, but got: allow_unused=False.")
    if allow_unused is None:
        allow_unused = materialize_grads
    outputs = _tuple(outputs)
    inputs = _tuple(inputs)
    grads = _make_grads(outputs, _tuple(grad_outputs), "grad")
    for i, t in enumerate(outputs):
        if not t._rg:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have "
                               "a grad_fn")
    if retain_graph is None:
        retain_graph = create_graph
    res = run(outputs, grads, retain_graph, create_graph, inputs, accumulate=False)
    out = []
    for i, (t, g) in enumerate(zip(inputs, res, strict=True)):
        if g is None:
            if materialize_grads:
                from ..ops.creation import zeros_like
                g = zeros_like(t)
            elif not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have "
                                   "been used in the graph. Set allow_unused=True if this is the "
                                   "desired behavior.")
        out.append(g)
    return tuple(out)


def _targets(inputs):
    """Map (node, output_nr) -> position for the tensors whose gradient is wanted."""
    targets = {}
    for i, t in enumerate(inputs):
        if not t._rg:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
        key = (t.grad_fn, t._output_nr) if t.grad_fn is not None else (accumulator(t), 0)
        targets.setdefault(key, []).append(i)
    return targets


def _collect(roots):
    """All nodes reachable from ``roots`` in DFS post-order (children before parents)."""
    order, seen = [], set()
    for root in roots:
        if root is None or root in seen:
            continue
        seen.add(root)
        stack = [(root, iter(root.next_functions))]
        while stack:
            node, it = stack[-1]
            for child, _ in it:
                if child is not None and child not in seen:
                    seen.add(child)
                    stack.append((child, iter(child.next_functions)))
                    break
            else:
                stack.pop()
                order.append(node)
    return order


def run(roots, root_grads, keep_graph, create_graph, inputs, accumulate):
    """Execute the backward graph; returns the captured gradients of ``inputs`` (if given)."""
    from .._tensor import Tensor
    root_edges = [edge(t) for t in roots]
    targets = _targets(inputs) if inputs is not None else None
    target_nodes = {n for n, _ in targets} if targets is not None else None

    if target_nodes is None:  # every reachable node runs: count the edges into each
        run_set = None
        deps = {}
        stack = list(dict.fromkeys(n for n, _ in root_edges if n is not None))
        while stack:
            for child, _ in stack.pop().next_functions:
                if child is not None:
                    if child in deps:
                        deps[child] += 1
                    else:
                        deps[child] = 1
                        stack.append(child)
    else:  # only nodes with a wanted input below them run
        order = _collect([n for n, _ in root_edges])
        run_set = set()
        for node in order:  # children come first
            if any(c in run_set or c in target_nodes for c, _ in node.next_functions
                   if c is not None):
                run_set.add(node)
        run_set |= {n for n in target_nodes if isinstance(n, AccumulateGrad)}
        deps = {}
        for node in order:
            if node in run_set:
                for child, _ in node.next_functions:
                    if child is not None:
                        deps[child] = deps.get(child, 0) + 1

    buffers = {}
    # ids of arrays a .grad must not take over: already handed to a .grad, or seen by user code
    # (root gradients, hooks, custom Function backwards), which may keep and reuse them
    owned = set()
    for (node, nr), g in zip(root_edges, root_grads, strict=True):
        if node is None or g is None:
            continue
        owned.add(id(g._data))
        _add(buffers, node, nr, g, create_graph)
    captured = [None] * len(inputs) if inputs is not None else None
    ready = [n for n in dict.fromkeys(n for n, _ in root_edges)
             if n is not None and deps.get(n, 0) == 0]
    # NOTE: array-level formulas (Node.fast) serve plain backward passes over the whole graph;
    # recorded (create_graph), anomaly-checked or input-restricted passes use ember ops.
    fast_ok = not create_graph and not _anomaly[0] and targets is None
    make = Tensor._make

    from ..ops._dispatch import loud, quiet
    prev = grad_mode._state.enabled
    grad_mode._state.enabled = create_graph
    tok = quiet()  # backward formulas, like forwards, never emit numpy fp warnings
    try:
        while ready:
            node = ready.pop()
            grads = buffers.pop(node, None)
            fast = node.fast if fast_ok else None
            if fast is not None and not node._has_hooks and node._out_meta is None:
                # the hot path: arrays in, arrays out, no tensor wrapping
                g = grads[0] if grads is not None else None
                if g is not None:
                    arrays = fast(g if type(g) is not Tensor else g._data)
                    if not keep_graph and (node._saved is not None or node._outs is not None):
                        node.release()
                    in_meta = node._in_meta
                    for i, (child, nr) in enumerate(node.next_functions):
                        if child is None:
                            continue
                        a = arrays[i]
                        if a is not None:
                            shape, dt = in_meta[i]
                            if a.shape != shape:
                                a = _sum_to(node, i, a, shape)
                            if a.dtype != dt:
                                a = _cast(a, dt)
                            buf = buffers.get(child)
                            if buf is None:
                                meta = child._out_meta
                                buf = buffers[child] = [None] * len(meta) if meta else [None]
                            cur = buf[nr]
                            buf[nr] = a if cur is None else _data(cur) + a
                        d = deps[child] - 1
                        deps[child] = d
                        if d == 0:
                            ready.append(child)
                    continue
            if grads is None:
                grads = [None] * _n_out(node)
            else:  # gradients left as arrays by the hot path become tensors here
                grads = [g if g is None or type(g) is Tensor else make(g) for g in grads]
            if node._has_hooks or type(node) is AccumulateGrad:
                grads = _pre_hooks(node, grads, create_graph, owned)
            if targets is not None:
                for nr, g in enumerate(grads):
                    for i in targets.get((node, nr), ()):
                        captured[i] = g if (g is None or create_graph) else g.detach()
            if run_set is not None and node not in run_set:
                continue
            if any(g is not None for g in grads):
                if type(node) is AccumulateGrad:
                    if accumulate and (target_nodes is None or node in target_nodes):
                        _accumulate(node.variable, grads[0], create_graph, owned)
                else:
                    _execute(node, grads, keep_graph, buffers, create_graph, Tensor, owned)
            for child, _ in node.next_functions:
                if child is not None:
                    d = deps[child] - 1
                    deps[child] = d
                    if d == 0:
                        ready.append(child)
    finally:
        loud(tok)
        grad_mode._state.enabled = prev
    return captured


def _data(g):
    """The array of a buffered gradient (a tensor, or an array left by the hot path)."""
    return g._data if hasattr(g, "_data") else g


def _n_out(node) -> int:
    meta = node._out_meta
    return len(meta) if meta else 1


def _add(buffers, node, nr, g, create_graph):
    buf = buffers.get(node)
    if buf is None:
        buf = buffers[node] = [None] * _n_out(node)
    cur = buf[nr]
    if cur is None:
        buf[nr] = g
    elif create_graph:
        buf[nr] = cur + g
    else:
        from .._tensor import Tensor
        buf[nr] = Tensor._make(_data(cur) + g._data)


def _sum_to(node, i, a, shape):
    """Sum array gradient ``a`` down to its input's ``shape`` (inverse of broadcasting)."""
    gs = a.shape
    lead = len(gs) - len(shape)
    if lead < 0 or not all(s == 1 or s == t for s, t in zip(shape, gs[lead:], strict=False)):
        raise RuntimeError(f"Function {node.name()} returned an invalid gradient at index {i} - "
                           f"got {list(gs)} but expected shape compatible with {list(shape)}")
    axes = tuple(range(lead)) + tuple(lead + k for k, s in enumerate(shape)
                                      if s == 1 and gs[lead + k] != 1)
    if not axes:
        return a.reshape(shape)
    r = _gemv_sum(a, axes)
    if r is None:
        r = a.sum(axis=axes)
    return r.reshape(shape)


def _gemv_sum(a, axes):
    """Sum a C-contiguous float array over a leading or trailing block of axes as one
    matrix-vector product: OpenBLAS runs it on every core, ~5x faster than numpy's
    single-threaded reduction for the (batch, features) gradients of broadcast ops."""
    if type(a) is not np.ndarray or a.dtype.kind != "f" or a.itemsize < 4 or \
            not a.flags.c_contiguous or a.size < 65536:
        return None
    nd, k = a.ndim, len(axes)
    if axes == tuple(range(k)):
        m = math.prod(a.shape[:k])
        return _ones(m, a.dtype) @ a.reshape(m, -1)
    if axes == tuple(range(nd - k, nd)):
        m = math.prod(a.shape[nd - k:])
        return a.reshape(-1, m) @ _ones(m, a.dtype)
    return None


_ONES: dict = {}


def _ones(n, dtype):
    key = (n, dtype)
    v = _ONES.get(key)
    if v is None:
        if len(_ONES) > 64:
            _ONES.clear()
        v = _ONES[key] = np.ones(n, dtype)
        v.flags.writeable = False
    return v


def _cast(a, dt):
    """Cast an array gradient to its input's dtype; complex to real keeps the real part."""
    if a.dtype.kind == "c" and dt.kind != "c":
        a = a.real
    return a.astype(dt)


def _run_tensor_hooks(hooks, grads, nr, owned):
    for h in list(hooks):
        g = grads[nr]
        if g is None:
            break
        owned.add(id(g._data))
        r = h(g)
        if r is not None:
            owned.add(id(r._data))
            grads[nr] = r


def _pre_hooks(node, grads, create_graph, owned):
    """Tensor hooks (registered on this node's outputs), retain_grad, then node pre-hooks."""
    if type(node) is AccumulateGrad:  # a leaf's own hooks (they also see autograd.grad's grads)
        hooks = node.variable._hooks
        if hooks:
            _run_tensor_hooks(hooks, grads, 0, owned)
    d = node.__dict__
    th = d.get("_tensor_hooks")
    if th:
        for nr, hooks in th.items():
            _run_tensor_hooks(hooks, grads, nr, owned)
    rt = d.get("_retained")
    if rt:
        for nr, ref in rt.items():
            t = ref()
            g = grads[nr]
            if t is None or g is None:
                continue
            if t._grad is None:
                t._grad = g if create_graph else g.detach().clone()
            else:
                t._grad = t._grad + g if create_graph else (t._grad + g.detach())
    if node._pre_hooks:
        for h in list(node._pre_hooks):
            _own(grads, owned)
            r = h(tuple(grads))
            if r is not None:
                grads = list(r)
                _own(grads, owned)
    return grads


def _own(grads, owned) -> None:
    for g in grads:
        if g is not None:
            owned.add(id(g._data))


def _execute(node, grads, keep_graph, buffers, create_graph, Tensor, owned):
    meta = node._out_meta
    if meta and node.materialize_grads:  # zeros for outputs that received no gradient
        from ..ops.creation import zeros
        for i, g in enumerate(grads):
            if g is None:
                shape, dt, dev = meta[i]
                grads[i] = zeros(shape, dtype=dt, device=dev)
    in_grads = node.apply(grads)
    if not isinstance(in_grads, tuple):
        in_grads = (in_grads,)
    if _anomaly[0] and _anomaly[1]:
        _check_nan(node, in_grads)
    if node._foreign_grads:  # a user's backward may return tensors it keeps elsewhere
        _own(in_grads, owned)
    if node._hooks:
        for h in list(node._hooks):
            _own(in_grads, owned)
            r = h(in_grads, tuple(grads))
            if r is not None:
                in_grads = tuple(r)
                _own(in_grads, owned)
    if not keep_graph:
        node.release()
    nf = node.next_functions
    if len(in_grads) < len(nf):
        raise RuntimeError(f"function {node.name()} returned an incorrect number of gradients "
                           f"(expected {len(nf)}, got {len(in_grads)})")
    in_meta = node._in_meta
    for i, (child, nr) in enumerate(nf):
        if child is None:
            continue
        g = in_grads[i]
        if g is None:
            continue
        if not isinstance(g, Tensor):
            raise TypeError(f"function {node.name()} returned a gradient of type "
                            f"{type(g).__name__} at index {i}; expected a Tensor or None")
        shape, dt = in_meta[i]
        if g._data.shape != shape:
            g = _reduce_to(node, i, g, shape)
        if g._data.dtype != dt:
            from .._dtype import _BY_NP
            if g._data.dtype.kind == "c" and dt.kind != "c":  # PyTorch keeps the real part
                from ..ops.unary import real
                g = real(g)
            g = g.to(_BY_NP[dt])
        _add(buffers, child, nr, g, create_graph)


def _reduce_to(node, i, g, shape):
    """Sum a broadcast gradient back to its input's shape (PyTorch's validate_outputs)."""
    gs = g._data.shape
    lead = len(gs) - len(shape)
    ok = lead >= 0 and all(s == 1 or s == t for s, t in zip(shape, gs[lead:], strict=True))
    if not ok:
        raise RuntimeError(f"Function {node.name()} returned an invalid gradient at index {i} - "
                           f"got {list(gs)} but expected shape compatible with {list(shape)}")
    return g.sum_to_size(shape)


def _accumulate(t, g, create_graph, owned):
    """PyTorch's AccumulateGrad: ``t.grad = g`` or ``t.grad += g`` (hooks ran before)."""
    from .._tensor import Tensor
    if g._data.shape != t._data.shape:
        g = g.sum_to_size(t._data.shape)
    if g._data.dtype != t._data.dtype:
        g = g.to(t.dtype)
    cur = t._grad
    if cur is None:
        if create_graph:
            t._grad = g
        else:
            arr = g._data
            # steal the array only when nothing else can see it (fresh, owning, writeable)
            shared = arr.base is not None and not _host_buffers.is_fresh(arr)
            if shared or id(arr) in owned or (
                    type(arr) is np.ndarray and not arr.flags.writeable):  # cupy: no flag
                arr = arr.copy()
            owned.add(id(arr))
            t._grad = Tensor._make(arr)
    elif create_graph or cur._rg:
        t._grad = cur + g
    else:
        xp_add = cur._data.__iadd__
        xp_add(g._data)
        cur._bump()
    hooks = t.__dict__.get("_post_acc_hooks")
    if hooks:
        for h in list(hooks):
            h(t)


def _check_nan(node, in_grads):
    for i, g in enumerate(in_grads):
        if g is not None and g._data.dtype.kind in "fc" and bool((g._data != g._data).any()):
            trace = node.__dict__.get("_trace")
            if trace:
                warnings.warn("Error detected in " + node.name() + ". Traceback of forward call "
                              "that caused the error:\n" + "".join(trace), UserWarning,
                              stacklevel=2)
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th "
                               "output.")
