"""``parameters_to_vector`` / ``vector_to_parameters``."""

from __future__ import annotations

from ..._tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _check_param_device(param, old_param_device):
    if old_param_device is None:
        return param.get_device() if param.is_cuda else -1
    if param.is_cuda:
        warn = param.get_device() != old_param_device
    else:
        warn = old_param_device != -1
    if warn:
        raise TypeError("Found two parameters on different devices, this is currently not "
                        "supported.")
    return old_param_device


def parameters_to_vector(parameters) -> Tensor:
    """Flatten and concatenate ``parameters`` into one 1-D tensor (differentiable).

    Raises:
        TypeError: parameters on different devices.

    Example:
        >>> import ember
        >>> from ember.nn.utils import parameters_to_vector
        >>> parameters_to_vector([ember.ones(2, 2), ember.zeros(1)])
        tensor([1., 1., 1., 1., 0.])
    """
    from ...ops._join import cat
    param_device = None
    vec = []
    for param in parameters:
        param_device = _check_param_device(param, param_device)
        vec.append(param.reshape(-1))
    return cat(vec)


def vector_to_parameters(vec, parameters) -> None:
    """Copy slices of the 1-D ``vec`` into ``parameters`` (each ``.data`` becomes a view of
    ``vec``, as in PyTorch).

    Raises:
        TypeError: ``vec`` is not a Tensor, or parameters on different devices.

    Example:
        >>> import ember
        >>> from ember.nn.utils import vector_to_parameters
        >>> a, b = ember.zeros(2), ember.zeros(1)
        >>> vector_to_parameters(ember.tensor([1.0, 2.0, 3.0]), [a, b]); a, b
        (tensor([1., 2.]), tensor([3.]))
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected ember.Tensor, but got: {type(vec).__name__}")
    param_device = None
    pointer = 0
    for param in parameters:
        param_device = _check_param_device(param, param_device)
        num_param = param.numel()
        param.data = vec[pointer:pointer + num_param].view_as(param).data
        pointer += num_param
