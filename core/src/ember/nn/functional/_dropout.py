"""Dropout: ``dropout``, ``dropout1d/2d/3d``, ``alpha_dropout``, ``feature_alpha_dropout``.

The keep-mask is Bernoulli(1 - p) drawn from the default generator of the input's device
(``ember.manual_seed`` makes it reproducible; streams differ from PyTorch's bit for bit), built
directly in the input's dtype and applied with ONE multiply, so the gradient is the same mask.
Feature ("channel") variants draw one value per ``(sample, channel)`` and broadcast it.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..._tensor import Tensor
from ...random import generator_for

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
           "feature_alpha_dropout"]

# -selu_alpha * selu_scale: the value SELU saturates to; alpha dropout sets dropped units to it
_ALPHA = 1.7580993408473766


def _check_p(p) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _keep_mask(input, p: float, shape):
    """Bernoulli(1 - p) keep-mask of ``shape`` in the input's float dtype (an array)."""
    arr = input._data
    dt = arr.dtype if arr.dtype in (np.float32, np.float64) else np.float64
    u = generator_for(input.device, None)._uniform(shape, dt)
    return (u < (1.0 - p)).astype(arr.dtype if arr.dtype.kind == "f" else dt)


def _feature_shape(shape, batched: bool):
    """Noise shape of channel dropout: ``(N, C, 1, …)``, or ``(C, 1, …)`` when unbatched."""
    if batched:
        if len(shape) < 2:
            raise RuntimeError(f"Feature dropout requires at least 2 dimensions in the input, "
                               f"got {len(shape)}")
        return tuple(shape[:2]) + (1,) * (len(shape) - 2)
    if len(shape) < 1:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input, got 1")
    return (shape[0],) + (1,) * (len(shape) - 1)


def _impl(input, p, training, inplace, feature=None, alpha=False):
    """PyTorch's ``_dropout_impl``: mask, scale, and for alpha dropout the affine shift."""
    if not isinstance(input, Tensor):
        raise TypeError(f"dropout(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    _check_p(p)
    if p == 0 or not training or input.numel() == 0:
        return input
    if p == 1:
        return input.mul_(0.0) if inplace else input * 0.0
    shape = input._data.shape if feature is None else feature
    keep = _keep_mask(input, p, shape)
    if not alpha:
        keep *= 1.0 / (1.0 - p)  # NOTE: kept units scale by 1/(1-p) so the mean is unchanged
        noise = Tensor._make(keep)
        return input.mul_(noise) if inplace else input * noise
    # NOTE: alpha dropout keeps SELU's zero mean / unit variance: dropped units become
    # -alpha, then everything goes through a * x + b with a = ((1-p)(1 + p alpha^2))^-1/2
    a = 1.0 / math.sqrt((_ALPHA * _ALPHA * p + 1) * (1 - p))
    b = Tensor._make((keep - 1) * (_ALPHA * a) + _ALPHA * a * p)
    keep *= a
    noise = Tensor._make(keep)
    return input.mul_(noise).add_(b) if inplace else input * noise + b


def dropout(input, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    r"""Zero each element with probability ``p`` and scale the rest by :math:`1/(1-p)`.

    Args:
        input (Tensor): the input.
        p (float): probability of an element being zeroed. Default: 0.5.
        training (bool): apply dropout; ``False`` returns ``input``. Default: ``True``.
        inplace (bool): write the result into ``input``. Default: ``False``.

    Raises:
        ValueError: ``p`` outside ``[0, 1]``.

    Example:
        >>> import ember
        >>> x = ember.ones(4)
        >>> ember.nn.functional.dropout(x, 0.5, training=False) is x
        True
        >>> sorted(set(ember.nn.functional.dropout(x, 0.5).tolist())) in ([0.0, 2.0], [0.0],
        ...                                                               [2.0])
        True
    """
    return _impl(input, p, training, inplace)


def alpha_dropout(input, p: float = 0.5, training: bool = False,
                  inplace: bool = False) -> Tensor:
    r"""Alpha dropout for SELU networks: keeps the input's mean and variance.

    Dropped elements are set to :math:`-\lambda\alpha` of SELU, then the result is
    :math:`a x + b` with :math:`a = ((1-p)(1 + p\,\alpha'^2))^{-1/2}`, :math:`b = a\alpha' p`.

    Args:
        input (Tensor): the input.
        p (float): drop probability. Default: 0.5.
        training (bool): apply it. Default: ``False``.
        inplace (bool): write the result into ``input``. Default: ``False``.

    Raises:
        ValueError: ``p`` outside ``[0, 1]``.

    Example:
        >>> import ember
        >>> ember.nn.functional.alpha_dropout(ember.ones(2), 0.2)
        tensor([1., 1.])
    """
    return _impl(input, p, training, inplace, alpha=True)


def feature_alpha_dropout(input, p: float = 0.5, training: bool = False,
                          inplace: bool = False) -> Tensor:
    """Alpha dropout of whole channels (dim 1 of ``(N, C, *)``); see :func:`alpha_dropout`.

    Example:
        >>> import ember
        >>> ember.nn.functional.feature_alpha_dropout(ember.ones(2, 3), 0.2).shape
        ember.Size([2, 3])
    """
    _check_p(p)
    feature = _feature_shape(input.shape, True) if training and 0 < p < 1 else None
    return _impl(input, p, training, inplace, feature, alpha=True)


def _channel_dropout(input, p, training, inplace, batched):
    _check_p(p)
    feature = _feature_shape(input.shape, batched) if training and 0 < p < 1 else None
    return _impl(input, p, training, inplace, feature)


def dropout1d(input, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of ``(N, C, L)`` or ``(C, L)`` inputs with probability ``p``.

    Raises:
        RuntimeError: input not 2-D or 3-D. ValueError: ``p`` outside ``[0, 1]``.

    Example:
        >>> import ember
        >>> ember.nn.functional.dropout1d(ember.ones(2, 3, 4), training=False).shape
        ember.Size([2, 3, 4])
    """
    _check_p(p)
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. Note that "
            "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension,"
            " a channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _channel_dropout(input, p, training, inplace, input.ndim == 3)


def dropout2d(input, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of ``(N, C, H, W)`` inputs with probability ``p``.

    A 3-D input is read as ``(N, C, L)`` (PyTorch's legacy behaviour, with its warning); other
    sizes warn that they are deprecated.

    Example:
        >>> import ember
        >>> ember.nn.functional.dropout2d(ember.ones(2, 3, 4, 4), training=False).shape
        ember.Size([2, 3, 4, 4])
    """
    _check_p(p)
    n = input.ndim
    if n not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {n}-D input to dropout2d, which is deprecated and will "
            "result in an error in a future release. To retain the behavior and silence this "
            "warning, please use dropout instead. Note that dropout2d exists to provide "
            "channel-wise dropout on inputs with 2 spatial dimensions, a channel dimension, and "
            "an optional batch dimension (i.e. 3D or 4D inputs).", UserWarning, stacklevel=2)
    if n == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            UserWarning, stacklevel=2)
    return _channel_dropout(input, p, training, inplace, True)


def dropout3d(input, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of ``(N, C, D, H, W)`` or ``(C, D, H, W)`` inputs with
    probability ``p``.

    Example:
        >>> import ember
        >>> ember.nn.functional.dropout3d(ember.ones(1, 2, 2, 2, 2), training=False).shape
        ember.Size([1, 2, 2, 2, 2])
    """
    _check_p(p)
    n = input.ndim
    if n not in (4, 5):
        warnings.warn(
            f"dropout3d: Received a {n}-D input to dropout3d, which is deprecated and will "
            "result in an error in a future release. To retain the behavior and silence this "
            "warning, please use dropout instead. Note that dropout3d exists to provide "
            "channel-wise dropout on inputs with 3 spatial dimensions, a channel dimension, and "
            "an optional batch dimension (i.e. 4D or 5D inputs).", UserWarning, stacklevel=2)
    return _channel_dropout(input, p, training, inplace, n == 5)
