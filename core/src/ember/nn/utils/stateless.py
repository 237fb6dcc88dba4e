"""``functional_call``: run a module with some parameters/buffers replaced for one call."""

from __future__ import annotations

import contextlib

__all__ = ["functional_call"]


def _untie(module, names: set):
    """``{name: [tied names]}`` for parameters/buffers registered under several names."""
    by_obj = {}
    for name, t in module.named_parameters(remove_duplicate=False):
        by_obj.setdefault(id(t), []).append(name)
    for name, t in module.named_buffers(remove_duplicate=False):
        by_obj.setdefault(id(t), []).append(name)
    return [group for group in by_obj.values() if len(group) > 1]


def _slot(module, name):
    """The dict (``_parameters``/``_buffers``) that holds dotted ``name``, and the key."""
    prefix, _, attr = name.rpartition(".")
    mod = module.get_submodule(prefix)
    if attr in mod._parameters:
        return mod._parameters, attr
    if attr in mod._buffers:
        return mod._buffers, attr
    return None, attr


@contextlib.contextmanager
def _reparametrize(module, tensors: dict, tie_weights: bool, strict: bool):
    if tie_weights:
        for group in _untie(module, set(tensors)):
            given = [n for n in group if n in tensors]
            if given:
                first = tensors[given[0]]
                for n in given[1:]:
                    if tensors[n] is not first:
                        raise ValueError(f"functional_call got multiple values for keys "
                                         f"{given}, which are tied. Consider using "
                                         "tie_weights=False")
                for n in group:
                    tensors.setdefault(n, first)
    if strict:
        known = {n for n, _ in module.named_parameters(remove_duplicate=False)}
        known |= {n for n, _ in module.named_buffers(remove_duplicate=False)}
        missing = sorted(known - set(tensors))
        unexpected = sorted(set(tensors) - known)
        errors = []
        if unexpected:
            errors.append("Unexpected key(s): {}.".format(", ".join(map(repr, unexpected))))
        if missing:
            errors.append("Missing key(s): {}.".format(", ".join(map(repr, missing))))
        if errors:
            raise RuntimeError(f"Error(s) in reparametrizing for {module._get_name()}:\n\t"
                               + "\n\t".join(errors))
    saved = []
    try:
        for name, value in tensors.items():
            slot, key = _slot(module, name)
            if slot is None:
                prefix, _, attr = name.rpartition(".")
                mod = module.get_submodule(prefix)
                saved.append((mod.__dict__, attr, mod.__dict__.get(attr, _MISSING)))
                mod.__dict__[attr] = value
            else:
                saved.append((slot, key, slot[key]))
                slot[key] = value  # NOTE: bypasses __setattr__: plain tensors are allowed here
        yield
    finally:
        for slot, key, old in reversed(saved):
            if old is _MISSING:
                slot.pop(key, None)
            else:
                slot[key] = old


_MISSING = object()


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
                    tie_weights: bool = True, strict: bool = False):
    """Call ``module(*args, **kwargs)`` with parameters and buffers taken from the given
    dict(s) (by dotted name) instead of the module's own; the module is unchanged afterwards.

    Args:
        module (Module): the module to call.
        parameter_and_buffer_dicts (dict or tuple of dicts): replacement tensors by name
            (plain tensors are fine: gradients flow to them).
        args (tuple or single value, optional): positional arguments.
        kwargs (dict, optional): keyword arguments.
        tie_weights (bool): a tensor registered under several names is replaced under all of
            them when one is given. Default: ``True``.
        strict (bool): require exactly the module's parameter and buffer names.
            Default: ``False``.

    Raises:
        ValueError: a key given in several dicts, or different values for tied names.
        RuntimeError: missing or unexpected keys with ``strict=True``.

    Example:
        >>> import ember
        >>> from ember.nn.utils.stateless import functional_call
        >>> m = ember.nn.Linear(2, 1)
        >>> w = {"weight": ember.ones(1, 2), "bias": ember.zeros(1)}
        >>> functional_call(m, w, (ember.tensor([[1.0, 2.0]]),))
        tensor([[3.]])
    """
    if isinstance(parameter_and_buffer_dicts, dict):
        merged = dict(parameter_and_buffer_dicts)
    elif isinstance(parameter_and_buffer_dicts, (list, tuple)):
        merged = {}
        for d in parameter_and_buffer_dicts:
            for k, v in d.items():
                if k in merged:
                    raise ValueError(f"['{k}'] appeared in multiple dictionaries; behavior of "
                                     "functional call is ambiguous")
                merged[k] = v
    else:
        raise ValueError(f"Expected parameter_and_buffer_dicts to be a dict, or a list/tuple "
                         f"of dicts, but got {type(parameter_and_buffer_dicts)}")
    if kwargs is None:
        kwargs = {}
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _reparametrize(module, merged, tie_weights, strict):
        return module(*args, **kwargs)
