"""Gradient clipping: ``clip_grad_norm_``, ``clip_grad_value_``, ``get_total_norm``,
``clip_grads_with_norm_``."""

from __future__ import annotations

from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm",
           "clip_grads_with_norm_"]


def _tensor_list(tensors) -> list:
    if isinstance(tensors, Tensor):
        return [tensors]
    return list(tensors)


def get_total_norm(tensors, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach=None) -> Tensor:
    r"""The ``norm_type``-norm of all ``tensors`` together, as if concatenated:
    :math:`\| (\|g_1\|_p, \ldots, \|g_n\|_p) \|_p`.

    Args:
        tensors (Tensor or iterable of Tensors): typically gradients.
        norm_type (float): ``p``; ``inf`` for the max-abs norm. Default: 2.
        error_if_nonfinite (bool): raise if the total norm is nan or inf. Default: ``False``.
        foreach (bool, optional): accepted for compatibility (no effect).

    Raises:
        RuntimeError: a non-finite norm with ``error_if_nonfinite=True``.

    Example:
        >>> import ember
        >>> from ember.nn.utils import get_total_norm
        >>> get_total_norm([ember.tensor([3.0]), ember.tensor([4.0])])
        tensor(5.)
    """
    from ...linalg import vector_norm
    from ...ops.creation import tensor
    from ...ops.shape import stack
    tensors = _tensor_list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return tensor(0.0)
    with no_grad():
        first = tensors[0].device
        norms = [vector_norm(g, norm_type).to(first) for g in tensors]
        total_norm = vector_norm(stack(norms), norm_type)
    if error_if_nonfinite and bool((total_norm.isnan() | total_norm.isinf()).item()):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` "
                           "is non-finite, so it cannot be clipped. To disable this error and "
                           "scale the gradients by the non-finite norm anyway, set "
                           "`error_if_nonfinite=False`")
    return total_norm


def clip_grads_with_norm_(parameters, max_norm: float, total_norm, foreach=None) -> None:
    r"""Scale the ``.grad`` of ``parameters`` in place by
    :math:`\min(1, \text{max\_norm} / (\text{total\_norm} + 10^{-6}))`."""
    grads = [p.grad for p in _tensor_list(parameters) if p.grad is not None]
    max_norm = float(max_norm)
    if not grads:
        return
    with no_grad():
        clip_coef = (max_norm / (total_norm + 1e-6)).clamp(max=1.0)
        for g in grads:
            # NOTE: not g.mul_(): ember's in-place mul lets numpy warn on inf * 0 (reported)
            g.copy_(g * clip_coef.to(g.device))


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    r"""Rescale the gradients of ``parameters`` in place so that their total norm (as one
    concatenated vector) is at most ``max_norm``; return the total norm before clipping.

    Args:
        parameters (Tensor or iterable of Tensors): parameters with ``.grad``.
        max_norm (float): the largest allowed norm.
        norm_type (float): ``p`` of the p-norm (``inf`` allowed). Default: 2.
        error_if_nonfinite (bool): raise when the total norm is nan/inf. Default: ``False``.
        foreach (bool, optional): accepted for compatibility (no effect).

    Raises:
        RuntimeError: a non-finite norm with ``error_if_nonfinite=True``.

    Example:
        >>> import ember
        >>> from ember.nn.utils import clip_grad_norm_
        >>> p = ember.zeros(2, requires_grad=True)
        >>> p.grad = ember.tensor([3.0, 4.0])
        >>> clip_grad_norm_([p], 1.0), p.grad
        (tensor(5.), tensor([0.6000, 0.8000]))
    """
    parameters = _tensor_list(parameters)
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_norm(parameters, max_norm: float, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """Deprecated alias of :func:`clip_grad_norm_` (warns, like PyTorch)."""
    import warnings
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient of ``parameters`` to ``[-clip_value, clip_value]`` in place.

    Example:
        >>> import ember
        >>> from ember.nn.utils import clip_grad_value_
        >>> p = ember.zeros(2, requires_grad=True)
        >>> p.grad = ember.tensor([3.0, -0.5])
        >>> clip_grad_value_(p, 1.0); p.grad
        tensor([ 1.0000, -0.5000])
    """
    clip_value = float(clip_value)
    with no_grad():
        for p in _tensor_list(parameters):
            if p.grad is not None:
                p.grad.clamp_(min=-clip_value, max=clip_value)
