"""Higher-level derivatives of whole functions: ``jacobian``, ``hessian``, ``vjp``, ``jvp``,
``hvp`` and ``vhp`` (PyTorch's ``torch.autograd.functional``).

Each takes ``func`` and ``inputs`` (a Tensor or a tuple of Tensors) and returns results shaped
like PyTorch's: a Tensor where ``inputs``/the output was a Tensor, a tuple where it was a tuple.
Results are detached unless ``create_graph=True``.  ``strict=True`` raises when an output is
independent of an input instead of returning zeros.

ember has no forward-mode AD: ``jvp`` and ``hvp`` use the double-backward trick
(``J v = d/du (u^T J)^T v`` for a dummy ``u``), and ``vectorize=True`` computes the same result
with a loop (ember has no ``vmap``).

Example:
    >>> import ember
    >>> from ember.autograd.functional import jacobian
    >>> jacobian(lambda x: x ** 2, ember.tensor([1.0, 3.0]))
    tensor([[2., 0.],
            [0., 6.]])
"""

from __future__ import annotations

from .engine import grad as _grad
from .grad_mode import enable_grad, is_grad_enabled, set_grad_enabled

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


# ---------------------------------------------------------------------- structure helpers
def _as_tuple(x, arg_name: str, fn_name: str):
    """``(was_tuple, tuple_of_tensors)``, with PyTorch's TypeError for anything else."""
    from .._tensor import Tensor
    is_tuple = isinstance(x, tuple)
    xs = x if is_tuple else (x,)
    for i, el in enumerate(xs):
        if not isinstance(el, Tensor):
            where = f"the value at index {i}" if is_tuple else f"the given {arg_name}"
            raise TypeError(f"The {arg_name} given to {fn_name} must be either a Tensor or a "
                            f"tuple of Tensors but {where} has type {type(el)}.")
    return is_tuple, xs


def _unpack(res, is_tuple):
    return res if is_tuple else res[0]


def _unpack2(res, outer_tuple, inner_tuple):
    """Undo two levels of tupling: ``res[i][j]`` for output i and input j."""
    if not inner_tuple:
        res = tuple(r[0] for r in res)
    return res if outer_tuple else res[0]


def _prepare(inputs, create_graph: bool, need_graph: bool):
    """Fresh tensor objects for ``func`` to see (differentiable aliases under create_graph)."""
    res = []
    for x in inputs:
        if create_graph and x.requires_grad:
            res.append(x.view_as(x))
        else:
            res.append(x.detach().requires_grad_(need_graph))
    return tuple(res)


def _finish(xs, create_graph: bool):
    """Detach results unless the caller asked for a graph through them."""
    if create_graph:
        return tuple(xs)
    return tuple(None if x is None else x.detach() for x in xs)


def _validate_v(v, other, other_is_tuple: bool) -> None:
    if len(v) != len(other):
        if other_is_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(other)} but got "
                               f"{len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (a, b) in enumerate(zip(v, other, strict=True)):
        if a.shape != b.shape:
            where = f"Entry {i} in " if other_is_tuple else ""
            raise RuntimeError(f"{where}v has invalid size: should be {b.shape} but got "
                               f"{a.shape}.")


_STRICT = {
    "outputs": "Output {i} of the user-provided function does not require gradients. The "
               "outputs must be computed in a differentiable manner from the input when running "
               "in strict mode.",
    "grad_inputs": "The gradient with respect to input {i} is independent of the inputs of the "
                   "user-provided function. This is not allowed in strict mode.",
    "jacobian": "While computing the hessian, found that the jacobian of the user-provided "
                "function with respect to input {i} is independent of the input. This is not "
                "allowed in strict mode. You should ensure that your function is twice "
                "differentiable and that the jacobian depends on the inputs (this would be "
                "violated by a linear function for example).",
    "hessian": "The hessian of the user-provided function with respect to input {i} is "
               "independent of the input. This is not allowed in strict mode. You should ensure "
               "that your function is thrice differentiable and that the hessian depends on the "
               "inputs.",
}


def _check_requires_grad(xs, kind: str, strict: bool) -> None:
    if not strict:
        return
    for i, x in enumerate(xs):
        if x is None:
            raise RuntimeError(f"The output of the user-provided function is independent of "
                               f"input {i}. This is not allowed in strict mode.")
        if not x.requires_grad:
            raise RuntimeError(_STRICT[kind].format(i=i))


_INDEPENDENT = {
    "back": "The output of the user-provided function is independent of input {i}.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the "
                  "grad_outputs when using the double backward trick to compute forward mode "
                  "gradients.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry "
                         "{i} in the grad_jacobian.",
}


def _fill_zeros(grads, refs, strict: bool, create_graph: bool, stage: str):
    """Replace ``None`` gradients by zeros shaped like ``refs`` (or raise in strict mode)."""
    from ..ops.creation import zeros_like
    res = []
    for i, g in enumerate(grads):
        if g is None:
            if strict:
                raise RuntimeError(_INDEPENDENT[stage].format(i=i) + " This is not allowed in "
                                   "strict mode.")
            g = zeros_like(refs[i])
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if stage.startswith("double") else "jacobian"
            raise RuntimeError(f"The {what} of the user-provided function is independent of "
                               f"input {i}. This is not allowed in strict mode when "
                               "create_graph=True.")
        res.append(g)
    return tuple(res)


def _grad_of(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None):
    """``autograd.grad`` that skips outputs without a graph and allows unused inputs."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    outs, gos = [], []
    for o, g in zip(outputs, grad_outputs, strict=True):
        if o is not None and o.requires_grad:
            outs.append(o)
            gos.append(g)
    if not outs:
        return (None,) * len(inputs)
    return _grad(outs, inputs, gos, retain_graph=retain_graph, create_graph=create_graph,
                 allow_unused=True)


def _one_element_v(xs, what: str) -> None:
    if len(xs) != 1 or xs[0].numel() != 1:
        raise RuntimeError(f"The vector v can only be None if {what} is a single Tensor with a "
                           "single element.")


# ---------------------------------------------------------------------- public API
def vjp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """Vector-Jacobian product ``v^T J`` of ``func`` at ``inputs``.

    Args:
        func: function of tensors returning a Tensor or a tuple of Tensors.
        inputs: Tensor or tuple of Tensors.
        v: cotangent shaped like ``func``'s output(s); may be omitted when the output is a
            single one-element tensor. Default: None.
        create_graph: make the result differentiable. Default: False.
        strict: raise when an output doesn't depend on the inputs. Default: False.

    Returns:
        ``(func_output, vjp)`` where ``vjp`` has ``inputs``' structure.

    Raises:
        RuntimeError: for a badly shaped ``v``, or independence in strict mode.

    Example:
        >>> import ember
        >>> out, g = vjp(lambda x: x * x, ember.tensor([1.0, 2.0]), ember.tensor([1.0, 1.0]))
        >>> g
        tensor([2., 4.])
    """
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _prepare(inputs, create_graph, need_graph=True)
        outputs = func(*inputs)
        out_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", "vjp")
        _check_requires_grad(outputs, "outputs", strict)
        if v is not None:
            _, v = _as_tuple(v, "v", "vjp")
            v = _prepare(v, create_graph, need_graph=False)
            _validate_v(v, outputs, out_tuple)
        else:
            if len(outputs) != 1 or outputs[0].numel() != 1:
                raise RuntimeError("The vector v can only be None if the user-provided function "
                                   "returns a single Tensor with a single element.")
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        g = _grad_of(outputs, inputs, v, create_graph=create_graph)
        g = _fill_zeros(g, inputs, strict, create_graph, "back")
    return (_unpack(_finish(outputs, create_graph), out_tuple),
            _unpack(_finish(g, create_graph), in_tuple))


def jvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """Jacobian-vector product ``J v`` of ``func`` at ``inputs`` (double-backward trick).

    Args:
        func: function of tensors returning a Tensor or a tuple of Tensors.
        inputs: Tensor or tuple of Tensors.
        v: tangent shaped like ``inputs``; may be omitted for a single one-element input.
            Default: None.
        create_graph: make the result differentiable. Default: False.
        strict: raise when an output doesn't depend on the inputs. Default: False.

    Returns:
        ``(func_output, jvp)`` where ``jvp`` has the output's structure.

    Raises:
        RuntimeError: for a badly shaped ``v``, or independence in strict mode.

    Example:
        >>> import ember
        >>> out, t = jvp(lambda x: x * x, ember.tensor([1.0, 2.0]), ember.tensor([1.0, 1.0]))
        >>> t
        tensor([2., 4.])
    """
    from ..ops.creation import zeros_like
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _prepare(inputs, create_graph, need_graph=True)
        if v is not None:
            _, v = _as_tuple(v, "v", "jvp")
            v = _prepare(v, create_graph, need_graph=False)
            _validate_v(v, inputs, in_tuple)
        else:
            _one_element_v(inputs, "the input to the user-provided function")
        outputs = func(*inputs)
        out_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", "jvp")
        _check_requires_grad(outputs, "outputs", strict)
        # NOTE: u^T J is linear in u, so any finite u works; zeros keep nan/inf out
        us = tuple(zeros_like(o, requires_grad=True) for o in outputs)
        grad_inputs = _grad_of(outputs, inputs, us, create_graph=True)
        _check_requires_grad(grad_inputs, "grad_inputs", strict)
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        g = _grad_of(grad_inputs, us, v, create_graph=create_graph)
        g = _fill_zeros(g, outputs, strict, create_graph, "back_trick")
    return (_unpack(_finish(outputs, create_graph), out_tuple),
            _unpack(_finish(g, create_graph), out_tuple))


def jacobian(func, inputs, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode"):
    """The Jacobian ``d func(inputs)_i / d inputs_j``, shaped ``out_i.shape + in_j.shape``.

    Args:
        func: function of tensors returning a Tensor or a tuple of Tensors.
        inputs: Tensor or tuple of Tensors.
        create_graph: make the result differentiable. Default: False.
        strict: raise when an output doesn't depend on an input. Default: False.
        vectorize: accepted for compatibility; ember computes the same values with a loop.
            Default: False.
        strategy: ``"reverse-mode"`` (one vjp per output element) or ``"forward-mode"`` (one
            jvp per input element; needs ``vectorize=True`` as in PyTorch).
            Default: ``"reverse-mode"``.

    Returns:
        A Tensor for one input and one output; a tuple over inputs (or outputs) when only that
        side is a tuple; ``res[i][j]`` (output i, input j) when both are.

    Raises:
        RuntimeError: independence in strict mode; ``strict`` with ``vectorize``.
        ValueError: an unknown ``strategy``.
        NotImplementedError: forward-mode with ``vectorize=False`` or ``create_graph=True``.

    Example:
        >>> import ember
        >>> j = jacobian(lambda a, b: a * b, (ember.tensor([2.0]), ember.tensor([3.0])))
        >>> j
        (tensor([[3.]]), tensor([[2.]]))
    """
    if strategy not in ("forward-mode", "reverse-mode"):
        raise ValueError(f'jacobian(): expected strategy to be either "forward-mode" or '
                         f'"reverse-mode", got {strategy!r}. Hint: if your function has more '
                         'outputs than inputs, "forward-mode" tends to be more performant. '
                         'Otherwise, prefer to use "reverse-mode".')
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError(
                'ember.autograd.functional.jacobian: `create_graph=True` and '
                '`strategy="forward-mode"` are not supported together (yet). Please either set '
                '`create_graph=False` or `strategy="reverse-mode"`.')
        if strict:
            raise RuntimeError('ember.autograd.functional.jacobian: `strict=True` and '
                               '`strategy="forward-mode"` are not supported together (yet). '
                               'Please either set `strict=False` or `strategy="reverse-mode"`.')
        if not vectorize:
            raise NotImplementedError("Computing Jacobian using forward-AD or "
                                      "forward-over-reverse Hessian is only implemented for "
                                      "`vectorize=True`.")
        return _jacobian_forward(func, inputs)
    from ..ops.creation import zeros, zeros_like
    from ..ops.shape import stack
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _prepare(inputs, create_graph, need_graph=True)
        outputs = func(*inputs)
        out_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function",
                                       "jacobian")
        _check_requires_grad(outputs, "outputs", strict)
        if vectorize and strict:
            raise RuntimeError("ember.autograd.functional.jacobian: `strict=True` and "
                               "`vectorized=True` are not supported together. Please either set "
                               "`strict=False` or `vectorize=False`.")
        jac = []
        for i, out in enumerate(outputs):
            rows = [[] for _ in inputs]
            for k in range(out.numel()):
                onehot = zeros(out.numel(), dtype=out.dtype, device=out.device)
                onehot[k] = 1
                vj = _grad_of((out,), inputs, (onehot.reshape(out.shape),),
                              create_graph=create_graph, retain_graph=True)
                for j, (g, x) in enumerate(zip(vj, inputs, strict=True)):
                    if g is None:
                        if strict:
                            raise RuntimeError(f"Output {i} of the user-provided function is "
                                               f"independent of input {j}. This is not allowed "
                                               "in strict mode.")
                        g = zeros_like(x)
                    elif strict and create_graph and not g.requires_grad:
                        raise RuntimeError(f"The jacobian of the user-provided function is "
                                           f"independent of input {i}. This is not allowed in "
                                           "strict mode when create_graph=True.")
                    rows[j].append(g)
            jac.append(tuple(
                (stack(r) if r else zeros((0,) + tuple(x.shape), dtype=x.dtype,
                                          device=x.device)).reshape(tuple(out.shape) +
                                                                    tuple(x.shape))
                for r, x in zip(rows, inputs, strict=True)))
        jac = tuple(_finish(r, create_graph) for r in jac)
    return _unpack2(jac, out_tuple, in_tuple)


def _jacobian_forward(func, inputs):
    """Forward-mode Jacobian: one jvp (double-backward trick) per input element."""
    from ..ops.creation import zeros, zeros_like
    from ..ops.shape import stack
    in_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
    cols = None  # cols[i][j]: list over elements of input j of d out_i / d x_j[k]
    for j, x in enumerate(inputs):
        for k in range(x.numel()):
            v = tuple(zeros_like(y) for y in inputs)
            v[j].view(-1)[k] = 1
            out, jv = jvp(func, inputs, v)
            out_tuple = isinstance(out, tuple)
            outs = out if out_tuple else (out,)
            jv = jv if out_tuple else (jv,)
            if cols is None:
                cols = [[[] for _ in inputs] for _ in outs]
            for i, t in enumerate(jv):
                cols[i][j].append(t)
    if cols is None:  # no input elements: evaluate once for the output shapes
        with enable_grad():
            out = func(*inputs)
        out_tuple, outs = _as_tuple(out, "outputs of the user-provided function", "jacobian")
        cols = [[[] for _ in inputs] for _ in outs]
    else:
        out_tuple = isinstance(out, tuple)
        outs = out if out_tuple else (out,)
    jac = []
    for i, o in enumerate(outs):
        row = []
        for j, x in enumerate(inputs):
            c = cols[i][j]
            # stacking over input elements puts them first; move them behind the output dims
            m = stack(c, -1) if c else zeros(tuple(o.shape) + (0,), dtype=o.dtype,
                                              device=o.device)
            row.append(m.reshape(tuple(o.shape) + tuple(x.shape)).detach())
        jac.append(tuple(row))
    return _unpack2(tuple(jac), out_tuple, in_tuple)


def hessian(func, inputs, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode"):
    """The Hessian of scalar function ``func``: ``d^2 func / d inputs_i d inputs_j``.

    Args:
        func: function of tensors returning a single one-element Tensor.
        inputs: Tensor or tuple of Tensors.
        create_graph: make the result differentiable. Default: False.
        strict: raise when the Hessian doesn't depend on an input. Default: False.
        vectorize: as in :func:`jacobian`. Default: False.
        outer_jacobian_strategy: strategy of the outer :func:`jacobian`.
            Default: ``"reverse-mode"``.

    Returns:
        A Tensor shaped ``inputs.shape * 2`` for one input; ``res[i][j]`` shaped
        ``in_i.shape + in_j.shape`` for a tuple of inputs.

    Raises:
        RuntimeError: when ``func`` doesn't return one one-element Tensor; strict violations.

    Example:
        >>> import ember
        >>> hessian(lambda x: (x ** 3).sum(), ember.tensor([1.0, 2.0]))
        tensor([[ 6.,  0.],
                [ 0., 12.]])
    """
    from .._tensor import Tensor
    in_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise ValueError('hessian(): expected outer_jacobian_strategy to be either '
                         f'"forward-mode" or "reverse-mode", got {outer_jacobian_strategy!r}.')

    def scalar_func(*xs):
        out = func(*xs)
        out_tuple, outs = _as_tuple(out, "outputs of the user-provided function", "hessian")
        _check_requires_grad(outs, "outputs", strict)
        if out_tuple or not isinstance(out, Tensor):
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out.numel() != 1:
            raise RuntimeError("The Tensor returned by the function given to hessian should "
                               "contain a single element")
        return out.squeeze()

    def jac_func(*xs):
        jac = jacobian(scalar_func, xs, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
        return jac

    res = jacobian(jac_func, inputs, create_graph=create_graph, strict=strict,
                   vectorize=vectorize, strategy=outer_jacobian_strategy)
    return _unpack2(res, in_tuple, in_tuple)


def _scalar_output(outputs, out_tuple, name):
    from .._tensor import Tensor
    if out_tuple or not isinstance(outputs[0], Tensor):
        raise RuntimeError(f"The function given to {name} should return a single Tensor")
    if outputs[0].numel() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {name} should contain "
                           "a single element")


def _first_order(func, inputs, v, create_graph, strict, name):
    """The shared start of vhp/hvp: checked inputs and ``v``, the scalar output of ``func``
    and its gradient with a graph (to be differentiated once more)."""
    in_tuple, inputs = _as_tuple(inputs, "inputs", name)
    inputs = _prepare(inputs, create_graph, need_graph=True)
    if v is not None:
        _, v = _as_tuple(v, "v", name)
        v = _prepare(v, create_graph, need_graph=False)
        _validate_v(v, inputs, in_tuple)
    else:
        _one_element_v(inputs, "the input to the user-provided function")
    outputs = func(*inputs)
    out_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", name)
    _check_requires_grad(outputs, "outputs", strict)
    _scalar_output(outputs, out_tuple, name)
    jac = _grad_of(outputs, inputs, create_graph=True)
    _check_requires_grad(jac, "jacobian", strict)
    return in_tuple, inputs, v, out_tuple, outputs, jac


def vhp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """Vector-Hessian product ``v^T H`` of scalar function ``func`` at ``inputs``.

    Args:
        func: function of tensors returning a single one-element Tensor.
        inputs: Tensor or tuple of Tensors.
        v: vector shaped like ``inputs``; may be omitted for a single one-element input.
            Default: None.
        create_graph: make the result differentiable. Default: False.
        strict: raise on independence. Default: False.

    Returns:
        ``(func_output, vhp)`` where ``vhp`` has ``inputs``' structure.

    Raises:
        RuntimeError: when ``func`` doesn't return a one-element Tensor; bad ``v``; strict.

    Example:
        >>> import ember
        >>> out, r = vhp(lambda x: (x ** 3).sum(), ember.tensor([1.0, 2.0]),
        ...              ember.tensor([1.0, 1.0]))
        >>> r
        tensor([ 6., 12.])
    """
    with enable_grad():
        in_tuple, inputs, v, out_tuple, outputs, jac = _first_order(
            func, inputs, v, create_graph, strict, "vhp")
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        g = _grad_of(jac, inputs, v, create_graph=create_graph)
        g = _fill_zeros(g, inputs, strict, create_graph, "double_back")
    return (_unpack(_finish(outputs, create_graph), out_tuple),
            _unpack(_finish(g, create_graph), in_tuple))


def hvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """Hessian-vector product ``H v`` of scalar function ``func`` at ``inputs``.

    Computed with the double-backward trick, so it equals :func:`vhp` for the symmetric
    Hessians of twice continuously differentiable functions.

    Args:
        func: function of tensors returning a single one-element Tensor.
        inputs: Tensor or tuple of Tensors.
        v: vector shaped like ``inputs``; may be omitted for a single one-element input.
            Default: None.
        create_graph: make the result differentiable. Default: False.
        strict: raise on independence. Default: False.

    Returns:
        ``(func_output, hvp)`` where ``hvp`` has ``inputs``' structure.

    Raises:
        RuntimeError: when ``func`` doesn't return a one-element Tensor; bad ``v``; strict.

    Example:
        >>> import ember
        >>> out, r = hvp(lambda x: (x ** 3).sum(), ember.tensor([1.0, 2.0]),
        ...              ember.tensor([1.0, 1.0]))
        >>> r
        tensor([ 6., 12.])
    """
    from ..ops.creation import zeros_like
    with enable_grad():
        in_tuple, inputs, v, out_tuple, outputs, jac = _first_order(
            func, inputs, v, create_graph, strict, "hvp")
        us = tuple(zeros_like(x, requires_grad=True) for x in inputs)
        double_back = _grad_of(jac, inputs, us, create_graph=True)
        _check_requires_grad(jac, "hessian", strict)
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        g = _grad_of(double_back, us, v, create_graph=create_graph)
        g = _fill_zeros(g, inputs, strict, create_graph, "double_back_trick")
    return (_unpack(_finish(outputs, create_graph), out_tuple),
            _unpack(_finish(g, create_graph), in_tuple))
