"""``ember.nn.init``: parameter initialisers, PyTorch's ``torch.nn.init``.

Every initialiser fills its tensor in place under ``no_grad`` (so it works on Parameters),
returns it, and takes ``generator=`` for reproducible draws.  Fan computation and the gain
table are PyTorch's, so layers start from the same distribution.

Example:
    >>> import ember
    >>> w = ember.empty(3, 5)
    >>> _ = ember.nn.init.constant_(w, 0.5)
    >>> float(w.sum())
    7.5
"""

from __future__ import annotations

import math
import warnings

from .._tensor import Tensor
from ..autograd.grad_mode import no_grad

__all__ = ["calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_",
           "zeros_", "eye_", "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
           "kaiming_normal_", "orthogonal_", "sparse_"]

_LINEAR_FNS = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
               "conv_transpose3d")


def calculate_gain(nonlinearity: str, param=None) -> float:
    """The recommended gain for a nonlinearity (PyTorch's table).

    ============  ===============================
    linear/conv   1
    sigmoid       1
    tanh          5/3
    relu          sqrt(2)
    leaky_relu    sqrt(2 / (1 + negative_slope²)) (``param``, default 0.01)
    selu          3/4
    ============  ===============================

    Raises:
        ValueError: an unknown nonlinearity or a non-numeric ``param``.

    Example:
        >>> from ember.nn.init import calculate_gain
        >>> calculate_gain("tanh")
        1.6666666666666667
    """
    if nonlinearity in _LINEAR_FNS or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor):
    dimensions = tensor.dim()
    if dimensions < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 "
                         "dimensions")
    shape = tensor.shape
    receptive_field_size = 1
    for s in shape[2:]:
        receptive_field_size *= s
    fan_in = shape[1] * receptive_field_size
    fan_out = shape[0] * receptive_field_size
    return fan_in, fan_out


def _calculate_correct_fan(tensor, mode: str) -> int:
    mode = mode.lower()
    valid_modes = ["fan_in", "fan_out"]
    if mode not in valid_modes:
        raise ValueError(f"Mode {mode} not supported, please use one of {valid_modes}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _check(tensor, name: str) -> None:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{name}(): argument 'tensor' must be Tensor, not "
                        f"{type(tensor).__name__}")


def uniform_(tensor, a: float = 0.0, b: float = 1.0, generator=None):
    """Fill ``tensor`` with draws from U(a, b).

    Example:
        >>> import ember
        >>> w = ember.nn.init.uniform_(ember.empty(100), -1.0, 1.0)
        >>> bool((w >= -1).all() and (w < 1).all())
        True
    """
    _check(tensor, "uniform_")
    with no_grad():
        return tensor.uniform_(a, b, generator=generator)


def normal_(tensor, mean: float = 0.0, std: float = 1.0, generator=None):
    """Fill ``tensor`` with draws from N(mean, std²).

    Example:
        >>> import ember
        >>> tuple(ember.nn.init.normal_(ember.empty(2, 3), std=0.02).shape)
        (2, 3)
    """
    _check(tensor, "normal_")
    with no_grad():
        return tensor.normal_(mean, std, generator=generator)


def _trunc_normal_rejection(tensor, mean, std, a, b, generator):
    """Draw N(mean, std²) and redraw the values outside [a, b] until none is left.

    NOTE: same distribution as the inverse-CDF method, much cheaper when most draws land in
    [a, b] (the usual ``trunc_normal_(w, std=0.02)`` keeps all but ~1e-30 of them): the
    inverse CDF needs an ``erfinv`` per element. Used when the acceptance rate is >= 1/2, so
    each round keeps at least half of what it redraws (expected rounds ~ log2(numel))."""
    flat = tensor.new_empty(tensor.numel()).normal_(mean, std, generator=generator)
    bad = (flat < a) | (flat > b)
    while bool(bad.any()):
        flat[bad] = flat.new_empty(int(bad.sum())).normal_(mean, std, generator=generator)
        bad = (flat < a) | (flat > b)
    return tensor.copy_(flat.view(tensor.shape))


def trunc_normal_(tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0,
                  generator=None):
    """Fill ``tensor`` with draws from N(mean, std²) truncated to [a, b].

    Inverse-CDF sampling (PyTorch's method) when less than half of N(mean, std²) lies in
    [a, b]; otherwise rejection sampling, which gives the same distribution without an
    ``erfinv`` per element.

    Warns (UserWarning) when ``mean`` is more than 2 std outside [a, b].

    Example:
        >>> import ember
        >>> w = ember.nn.init.trunc_normal_(ember.empty(1000), a=-0.5, b=0.5)
        >>> bool((w.abs() <= 0.5).all())
        True
    """
    _check(tensor, "trunc_normal_")

    def norm_cdf(x):
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    if (mean < a - 2 * std) or (mean > b + 2 * std):
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The "
                      "distribution of values may be incorrect.", UserWarning, stacklevel=2)
    with no_grad():
        lo = norm_cdf((a - mean) / std)
        hi = norm_cdf((b - mean) / std)
        if hi - lo >= 0.5:
            return _trunc_normal_rejection(tensor, mean, std, a, b, generator)
        tensor.uniform_(2 * lo - 1, 2 * hi - 1, generator=generator)
        tensor.erfinv_()
        tensor.mul_(std * math.sqrt(2.0))
        tensor.add_(mean)
        tensor.clamp_(min=a, max=b)
        return tensor


def constant_(tensor, val: float):
    """Fill ``tensor`` with ``val``."""
    _check(tensor, "constant_")
    with no_grad():
        return tensor.fill_(val)


def ones_(tensor):
    """Fill ``tensor`` with 1."""
    return constant_(tensor, 1.0)


def zeros_(tensor):
    """Fill ``tensor`` with 0."""
    _check(tensor, "zeros_")
    with no_grad():
        return tensor.zero_()


def eye_(tensor):
    """Fill a 2-D ``tensor`` with the identity (ones on the diagonal, zeros elsewhere).

    Raises:
        ValueError: ``tensor`` is not 2-D.

    Example:
        >>> import ember
        >>> ember.nn.init.eye_(ember.empty(2, 3))
        tensor([[1., 0., 0.],
                [0., 1., 0.]])
    """
    _check(tensor, "eye_")
    if tensor.ndimension() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    from ..ops.creation import eye
    with no_grad():
        return tensor.copy_(eye(*tensor.shape, dtype=tensor.dtype, device=tensor.device))


def dirac_(tensor, groups: int = 1):
    """Fill a 3/4/5-D (conv weight) ``tensor`` with the Dirac delta: identity convolution,
    per group.

    Raises:
        ValueError: other ranks, or ``size(0)`` not divisible by ``groups``.
    """
    _check(tensor, "dirac_")
    dimensions = tensor.ndimension()
    if dimensions not in [3, 4, 5]:
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    sizes = tensor.size()
    if sizes[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    out_chans_per_grp = sizes[0] // groups
    min_dim = min(out_chans_per_grp, sizes[1])
    with no_grad():
        tensor.zero_()
        centre = tuple(s // 2 for s in sizes[2:])
        import numpy as np
        d = np.arange(min_dim)
        rows = (np.arange(groups)[:, None] * out_chans_per_grp + d[None, :]).reshape(-1)
        cols = np.tile(d, groups)
        idx = (rows.tolist(), cols.tolist()) + tuple([c] * rows.size for c in centre)
        if rows.size:
            from ..ops.creation import tensor as _tensor
            tensor[tuple(_tensor(i, device=tensor.device) for i in idx)] = 1
    return tensor


def xavier_uniform_(tensor, gain: float = 1.0, generator=None):
    """Glorot uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)).

    Raises:
        ValueError: ``tensor`` has fewer than 2 dimensions.
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor, gain: float = 1.0, generator=None):
    """Glorot normal: N(0, std²) with std = gain * sqrt(2 / (fan_in + fan_out)).

    Raises:
        ValueError: ``tensor`` has fewer than 2 dimensions.
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def _kaiming_std(tensor, a, mode, nonlinearity):
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    return gain / math.sqrt(fan)


def kaiming_uniform_(tensor, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator=None):
    """He uniform: U(-bound, bound), bound = gain(nonlinearity, a) * sqrt(3 / fan).

    Args:
        a (float): negative slope of the following leaky ReLU. Default: 0.
        mode (str): ``"fan_in"`` (default) or ``"fan_out"``.
        nonlinearity (str): default ``"leaky_relu"``.

    Raises:
        ValueError: an unknown mode or nonlinearity, or fewer than 2 dimensions.

    Example:
        >>> import ember, math
        >>> w = ember.nn.init.kaiming_uniform_(ember.empty(64, 100), a=math.sqrt(5))
        >>> bool(w.abs().max() <= 0.1)
        True
    """
    _check(tensor, "kaiming_uniform_")
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", UserWarning, stacklevel=2)
        return tensor
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator=None):
    """He normal: N(0, std²), std = gain(nonlinearity, a) / sqrt(fan).

    Raises:
        ValueError: an unknown mode or nonlinearity, or fewer than 2 dimensions.
    """
    _check(tensor, "kaiming_normal_")
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", UserWarning, stacklevel=2)
        return tensor
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    return normal_(tensor, 0.0, std, generator)


def orthogonal_(tensor, gain: float = 1, generator=None):
    """A (semi-)orthogonal matrix (trailing dimensions flattened) times ``gain``: Q of the QR
    decomposition of a standard normal matrix, with columns' signs fixed by diag(R).

    Raises:
        ValueError: ``tensor`` has fewer than 2 dimensions.

    Example:
        >>> import ember
        >>> q = ember.nn.init.orthogonal_(ember.empty(3, 3))
        >>> bool(((q @ q.T) - ember.eye(3)).abs().max() < 1e-5)
        True
    """
    _check(tensor, "orthogonal_")
    if tensor.ndimension() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    from ..linalg import qr
    from ..ops.creation import empty
    rows = tensor.size(0)
    cols = tensor.numel() // rows
    with no_grad():
        flattened = empty((rows, cols), dtype=tensor.dtype, device=tensor.device)
        flattened.normal_(0, 1, generator=generator)
        if rows < cols:
            flattened = flattened.t()
        q, r = qr(flattened)
        ph = r.diagonal(0, -2, -1).sign()
        q = q * ph
        if rows < cols:
            q = q.t()
        tensor.copy_(q.reshape(tensor.shape))
        tensor.mul_(gain)
    return tensor


def sparse_(tensor, sparsity: float, std: float = 0.01, generator=None):
    """A 2-D matrix from N(0, std²) with ``ceil(sparsity * rows)`` zeros in every column.

    Raises:
        ValueError: ``tensor`` is not 2-D.
    """
    _check(tensor, "sparse_")
    if tensor.ndimension() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tensor.shape
    num_zeros = int(math.ceil(sparsity * rows))
    from ..ops.creation import arange
    from ..ops.sorting import argsort
    with no_grad():
        tensor.normal_(0, std, generator=generator)
        if num_zeros:
            # one random permutation of the rows per column, drawn at once
            keys = _rand_keys(tensor, generator)
            zero_rows = argsort(keys, dim=0)[:num_zeros]
            col_idx = arange(cols, device=tensor.device).expand(num_zeros, cols)
            tensor[zero_rows, col_idx] = 0
    return tensor


def _rand_keys(tensor, generator):
    from ..ops.creation import empty
    keys = empty(tuple(tensor.shape), dtype=tensor.dtype, device=tensor.device)
    return keys.uniform_(0, 1, generator=generator)


# ---------------------------------------------------------------- PyTorch's private helpers
def _no_grad_uniform_(tensor, a, b, generator=None):
    return uniform_(tensor, a, b, generator)


def _no_grad_normal_(tensor, mean, std, generator=None):
    return normal_(tensor, mean, std, generator)


def _no_grad_trunc_normal_(tensor, mean, std, a, b, generator=None):
    return trunc_normal_(tensor, mean, std, a, b, generator)


def _no_grad_fill_(tensor, val):
    return constant_(tensor, val)


def _no_grad_zero_(tensor):
    return zeros_(tensor)


def _make_deprecate(meth):
    new_name = meth.__name__
    old_name = new_name[:-1]

    def deprecated_init(*args, **kwargs):
        warnings.warn(f"`nn.init.{old_name}` is now deprecated in favor of "
                      f"`nn.init.{new_name}`.", FutureWarning, stacklevel=2)
        return meth(*args, **kwargs)

    deprecated_init.__doc__ = f"Deprecated alias of :func:`{new_name}` (warns)."
    deprecated_init.__name__ = old_name
    return deprecated_init


# deprecated names without the trailing underscore, as in PyTorch
uniform = _make_deprecate(uniform_)
normal = _make_deprecate(normal_)
constant = _make_deprecate(constant_)
eye = _make_deprecate(eye_)
dirac = _make_deprecate(dirac_)
xavier_uniform = _make_deprecate(xavier_uniform_)
xavier_normal = _make_deprecate(xavier_normal_)
kaiming_uniform = _make_deprecate(kaiming_uniform_)
kaiming_normal = _make_deprecate(kaiming_normal_)
orthogonal = _make_deprecate(orthogonal_)
sparse = _make_deprecate(sparse_)
