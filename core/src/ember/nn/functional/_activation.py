"""Pointwise activations: ``relu``, ``gelu``, ``silu``, ``elu``, ``softplus``, ``hardtanh`` …

Most are compositions of ember ops (autograd and double backward come free).  ``gelu`` and
``silu`` — the hot ones of transformers and modern CNNs — are fused nodes
(``_activation_fused.py``).  Functions with
PyTorch's ``inplace=`` write the result into ``input`` (through ember's in-place machinery, so
autograd sees the change); the ``*_`` variants (``relu_``, ``elu_`` …) are the same with
``inplace=True``.

NOTE: branches that would overflow where they are not selected (``exp`` in ``elu``,
``softplus``) are fed a masked "safe" input, so the unselected branch's gradient is 0, not NaN.
"""

from __future__ import annotations

import numpy as np

from ..._tensor import Tensor
from ...ops._dispatch import xp_of
from ...ops.comparison import where
from ...ops.inplace import inplace as _inplace
from ...random import generator_for
from ._activation_fused import Gelu, LeakyRelu, Silu

__all__ = ["relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "prelu", "rrelu", "rrelu_",
           "elu", "elu_", "selu", "selu_", "celu", "celu_", "gelu", "silu", "mish", "sigmoid",
           "tanh", "softplus", "softsign", "softshrink", "hardshrink", "tanhshrink", "hardswish",
           "hardsigmoid", "hardtanh", "hardtanh_", "logsigmoid", "threshold", "threshold_"]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _maybe_inplace(fn, name: str):
    """``fn(input, ...)``, or its in-place version writing into ``input`` (``name``)."""
    method = _inplace(fn, name)

    def run(input, *args, inplace: bool = False):
        return method(input, *args) if inplace else fn(input, *args)
    return run


_LEGACY = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
           "bool": "Bool"}
# functions whose PyTorch kernels refuse integer/bool inputs (the rest compute or promote)
_FLOAT_ONLY = {"leaky_relu", "prelu", "rrelu", "elu", "selu", "celu", "gelu", "silu", "mish",
               "softplus", "logsigmoid", "softshrink", "hardshrink", "hardsigmoid", "hardswish"}


def _check(input, name: str) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if name in _FLOAT_ONLY and input._data.dtype.kind not in "fc":
        raise NotImplementedError(f'"{name}" not implemented for '
                                  f"'{_LEGACY.get(input.dtype.name, input.dtype.name)}'")


# ---------------------------------------------------------------------- relu family
def relu(input, inplace: bool = False) -> Tensor:
    r"""Rectified linear unit: :math:`\max(0, x)`.

    Args:
        input (Tensor): the input.
        inplace (bool): write the result into ``input``. Default: ``False``.

    Example:
        >>> import ember
        >>> ember.nn.functional.relu(ember.tensor([-1.0, 2.0]))
        tensor([0., 2.])
    """
    _check(input, "relu")
    return input.relu_() if inplace else input.relu()


def relu_(input) -> Tensor:
    """In-place :func:`relu`."""
    return relu(input, inplace=True)


def _hardtanh(x, min_val, max_val):
    if not x.is_floating_point():  # integer inputs keep their dtype (no gradient to mind)
        return x.clamp(int(min_val), int(max_val))
    # NOTE: PyTorch's gradient is 1 strictly inside (min_val, max_val) and 0 at the bounds
    # (clamp's would be 1 there), so the bounds are selected explicitly; NaN passes through.
    return where(x <= min_val, min_val, where(x >= max_val, max_val, x))


_hardtanh_ip = _maybe_inplace(_hardtanh, "hardtanh_")


def hardtanh(input, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
    r"""Clamp to ``[min_val, max_val]``; gradient 1 inside, 0 outside.

    Args:
        input (Tensor): the input.
        min_val (float): lower bound. Default: -1.
        max_val (float): upper bound. Default: 1.
        inplace (bool): write the result into ``input``. Default: ``False``.

    Raises:
        ValueError: ``min_val > max_val``.

    Example:
        >>> import ember
        >>> ember.nn.functional.hardtanh(ember.tensor([-2.0, 0.5, 2.0]))
        tensor([-1.0000,  0.5000,  1.0000])
    """
    _check(input, "hardtanh")
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _hardtanh_ip(input, min_val, max_val, inplace=inplace)


def hardtanh_(input, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """In-place :func:`hardtanh`."""
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input, inplace: bool = False) -> Tensor:
    r"""ReLU capped at 6: :math:`\min(\max(0, x), 6)` (``hardtanh(x, 0, 6)``).

    Example:
        >>> import ember
        >>> ember.nn.functional.relu6(ember.tensor([-1.0, 3.0, 9.0]))
        tensor([0., 3., 6.])
    """
    return hardtanh(input, 0.0, 6.0, inplace)


def _leaky(x, slope):
    return LeakyRelu.run(x, slope)


_leaky_ip = _maybe_inplace(_leaky, "leaky_relu_")


def leaky_relu(input, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    r"""Leaky ReLU: :math:`x` for :math:`x > 0`, else ``negative_slope * x``.

    Args:
        input (Tensor): the input.
        negative_slope (float): slope for negative inputs. Default: 0.01.
        inplace (bool): write the result into ``input``. Default: ``False``.

    Example:
        >>> import ember
        >>> ember.nn.functional.leaky_relu(ember.tensor([-1.0, 2.0]), 0.5)
        tensor([-0.5000,  2.0000])
    """
    _check(input, "leaky_relu")
    return _leaky_ip(input, negative_slope, inplace=inplace)


def leaky_relu_(input, negative_slope: float = 0.01) -> Tensor:
    """In-place :func:`leaky_relu`."""
    return leaky_relu(input, negative_slope, inplace=True)


def prelu(input, weight) -> Tensor:
    r"""Parametric ReLU: :math:`x` for :math:`x > 0`, else ``weight[c] * x`` per channel.

    Args:
        input (Tensor): the input; channels are dim 1 (a 0- or 1-D input has one channel).
        weight (Tensor): 1 value shared by all channels, or one per channel.

    Shape:
        ``input`` ``(N, C, *)``; ``weight`` ``(1,)`` or ``(C,)``.

    Raises:
        RuntimeError: ``weight.numel()`` neither 1 nor the channel count.

    Example:
        >>> import ember
        >>> ember.nn.functional.prelu(ember.tensor([[-1.0, 2.0]]), ember.tensor([0.25]))
        tensor([[-0.2500,  2.0000]])
    """
    _check(input, "prelu")
    n = weight.numel()
    channels = input.shape[1] if input.ndim >= 2 else 1
    if n != 1:
        if n != channels:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found "
                               f"parameter numbers = {n} and channel size = {channels}.")
        weight = weight.reshape((n,) + (1,) * (input.ndim - 2))
    elif weight.ndim > 0:
        weight = weight.reshape(())
    return where(input > 0, input, weight * input)


def _rrelu(x, lower, upper, training):
    if not training:
        return _leaky(x, (lower + upper) / 2)
    g = generator_for(x.device, None)
    arr = x._data
    slope = g._uniform(arr.shape, arr.dtype) * (upper - lower) + lower
    xp = xp_of(arr)
    noise = xp.where(arr > 0, xp.ones((), arr.dtype), slope).astype(arr.dtype, copy=False)
    return x * Tensor._make(noise)


_rrelu_ip = _maybe_inplace(_rrelu, "rrelu_")


def rrelu(input, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Tensor:
    r"""Randomized leaky ReLU: negative inputs times a slope drawn from U(lower, upper).

    In training each element draws its slope from the default generator; in evaluation the
    slope is the fixed ``(lower + upper) / 2``.

    Args:
        input (Tensor): the input.
        lower (float): lower bound of the slope. Default: 1/8.
        upper (float): upper bound of the slope. Default: 1/3.
        training (bool): draw random slopes. Default: ``False``.
        inplace (bool): write the result into ``input``. Default: ``False``.

    Raises:
        RuntimeError: ``lower > upper``.

    Example:
        >>> import ember
        >>> ember.nn.functional.rrelu(ember.tensor([-3.0, 1.0]), 0.1, 0.3)
        tensor([-0.6000,  1.0000])
    """
    _check(input, "rrelu")
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    return _rrelu_ip(input, lower, upper, training, inplace=inplace)


def rrelu_(input, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
           training: bool = False) -> Tensor:
    """In-place :func:`rrelu`."""
    return rrelu(input, lower, upper, training, inplace=True)


def _threshold(x, threshold, value):
    # NOTE: PyTorch's test is x <= threshold, so NaN passes through (with its gradient)
    return where(x <= threshold, value, x)


_threshold_ip = _maybe_inplace(_threshold, "threshold_")


def threshold(input, threshold: float, value: float, inplace: bool = False) -> Tensor:
    r"""``x`` where ``x > threshold``, else ``value``.

    Example:
        >>> import ember
        >>> ember.nn.functional.threshold(ember.tensor([1.0, 2.0]), 1.5, -1.0)
        tensor([-1.,  2.])
    """
    _check(input, "threshold")
    return _threshold_ip(input, threshold, value, inplace=inplace)


def threshold_(input, threshold: float, value: float) -> Tensor:
    """In-place :func:`threshold`."""
    _check(input, "threshold_")
    return _threshold_ip(input, threshold, value, inplace=True)


# ---------------------------------------------------------------------- exponential family
def _elu(x, alpha, scale, input_scale):
    # NOTE: expm1 sees min(x, 0) only, so large positive inputs give no inf * 0 = NaN gradient;
    # PyTorch takes the exponential branch where x <= 0, so NaN takes the linear one
    safe = where(x <= 0, x, 0.0)
    neg = (safe * input_scale).expm1() * alpha
    out = where(x <= 0, neg, x)
    return out * scale if scale != 1.0 else out


_elu_ip = _maybe_inplace(_elu, "elu_")


def elu(input, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    r"""Exponential linear unit: :math:`x` for :math:`x > 0`, else :math:`\alpha (e^x - 1)`.

    Args:
        input (Tensor): the input.
        alpha (float): the negative saturation value. Default: 1.
        inplace (bool): write the result into ``input``. Default: ``False``.

    Example:
        >>> import ember
        >>> ember.nn.functional.elu(ember.tensor([0.0, 1.0]))
        tensor([0., 1.])
    """
    _check(input, "elu")
    return _elu_ip(input, alpha, 1.0, 1.0, inplace=inplace)


def elu_(input, alpha: float = 1.0) -> Tensor:
    """In-place :func:`elu`."""
    return elu(input, alpha, inplace=True)


def selu(input, inplace: bool = False) -> Tensor:
    r"""Scaled ELU: :math:`\lambda\,\mathrm{elu}(x, \alpha)` with the self-normalising
    constants :math:`\alpha \approx 1.6733`, :math:`\lambda \approx 1.0507`.

    Example:
        >>> import ember
        >>> ember.nn.functional.selu(ember.tensor([0.0, 1.0]))
        tensor([0.0000, 1.0507])
    """
    _check(input, "selu")
    return _elu_ip(input, _SELU_ALPHA, _SELU_SCALE, 1.0, inplace=inplace)


def selu_(input) -> Tensor:
    """In-place :func:`selu`."""
    return selu(input, inplace=True)


def celu(input, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    r"""Continuously differentiable ELU: :math:`\max(0,x) + \min(0, \alpha(e^{x/\alpha}-1))`.

    Raises:
        RuntimeError: ``alpha == 0``.

    Example:
        >>> import ember
        >>> ember.nn.functional.celu(ember.tensor([0.0, 1.0]), alpha=2.0)
        tensor([0., 1.])
    """
    _check(input, "celu")
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return _elu_ip(input, alpha, 1.0, 1.0 / alpha, inplace=inplace)


def celu_(input, alpha: float = 1.0) -> Tensor:
    """In-place :func:`celu`."""
    return celu(input, alpha, inplace=True)


def gelu(input, approximate: str = "none") -> Tensor:
    r"""Gaussian error linear unit :math:`x\,\Phi(x)`, :math:`\Phi(x) = \tfrac12(1 +
    \mathrm{erf}(x/\sqrt2))`; ``approximate='tanh'`` uses :math:`\tfrac12 x (1 +
    \tanh(\sqrt{2/\pi}(x + 0.044715 x^3)))`.

    Args:
        input (Tensor): the input (floating point).
        approximate (str): ``'none'`` or ``'tanh'``. Default: ``'none'``.

    Raises:
        RuntimeError: another ``approximate`` value.

    Example:
        >>> import ember
        >>> ember.nn.functional.gelu(ember.tensor([0.0, 1.0]))
        tensor([0.0000, 0.8413])
    """
    _check(input, "gelu")
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return Gelu.run(input, approximate)


def silu(input, inplace: bool = False) -> Tensor:
    r"""Sigmoid linear unit (swish): :math:`x\,\sigma(x)`.

    Example:
        >>> import ember
        >>> ember.nn.functional.silu(ember.tensor([0.0, 1.0]))
        tensor([0.0000, 0.7311])
    """
    _check(input, "silu")
    return _silu_ip(input, inplace=inplace)


_silu_ip = _maybe_inplace(Silu.run, "silu_")


def mish(input, inplace: bool = False) -> Tensor:
    r"""Mish: :math:`x \tanh(\mathrm{softplus}(x))`.

    Example:
        >>> import ember
        >>> ember.nn.functional.mish(ember.tensor([0.0, 1.0]))
        tensor([0.0000, 0.8651])
    """
    _check(input, "mish")
    return _mish_ip(input, inplace=inplace)


def _mish(x):
    return x * _softplus(x, 1.0, 20.0).tanh()


_mish_ip = _maybe_inplace(_mish, "mish_")


def sigmoid(input) -> Tensor:
    r"""Logistic sigmoid :math:`1 / (1 + e^{-x})`.

    Example:
        >>> import ember
        >>> ember.nn.functional.sigmoid(ember.tensor([0.0]))
        tensor([0.5000])
    """
    return input.sigmoid()


def tanh(input) -> Tensor:
    r"""Hyperbolic tangent.

    Example:
        >>> import ember
        >>> ember.nn.functional.tanh(ember.tensor([0.0]))
        tensor([0.])
    """
    return input.tanh()


def _softplus(x, beta, threshold):
    z = x * beta
    big = z > threshold
    # NOTE: exp sees only the non-linear region, so the masked region's gradient stays finite
    soft = where(big, 0.0, z).exp().log1p() / beta
    return where(big, x, soft)


def softplus(input, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    r"""Softplus :math:`\frac1\beta \log(1 + e^{\beta x})`, linear where
    :math:`\beta x > \text{threshold}`.

    Args:
        input (Tensor): the input.
        beta (float): sharpness. Default: 1.
        threshold (float): above ``beta * x > threshold`` the result is ``x``. Default: 20.

    Example:
        >>> import ember
        >>> ember.nn.functional.softplus(ember.tensor([0.0, 30.0]))
        tensor([ 0.6931, 30.0000])
    """
    _check(input, "softplus")
    return _softplus(input, beta, threshold)


def logsigmoid(input) -> Tensor:
    r"""Log-sigmoid :math:`\log \sigma(x) = -\mathrm{softplus}(-x)`, stable for large
    :math:`|x|`.

    Example:
        >>> import ember
        >>> ember.nn.functional.logsigmoid(ember.tensor([0.0]))
        tensor([-0.6931])
    """
    _check(input, "logsigmoid")
    return -_softplus(-input, 1.0, 20.0)


# ---------------------------------------------------------------------- shrink and hard family
def _check_lambd(input, lambd, name):
    fi = np.finfo(input._data.dtype) if input._data.dtype.kind == "f" else np.finfo(np.float32)
    if not 0 <= lambd <= float(fi.max):
        legacy = {"float32": "Float", "float64": "Double", "float16": "Half"}.get(
            input.dtype.name, input.dtype.name)
        raise RuntimeError(f"{name}: lambda must be in range [0, {float(fi.max):g}] for input "
                           f"dtype {legacy}, but found {lambd:g}")


def softshrink(input, lambd: float = 0.5) -> Tensor:
    r"""Soft shrinkage: :math:`x - \lambda` above :math:`\lambda`, :math:`x + \lambda` below
    :math:`-\lambda`, else 0.

    Raises:
        RuntimeError: ``lambd`` negative.

    Example:
        >>> import ember
        >>> ember.nn.functional.softshrink(ember.tensor([-1.0, 0.2, 1.0]))
        tensor([-0.5000,  0.0000,  0.5000])
    """
    _check(input, "softshrink")
    _check_lambd(input, lambd, "softshrink")
    # NOTE: PyTorch zeroes [-lambd, lambd] (as x * 0: -0.0 stays negative); NaN passes
    inside = (input >= -lambd) & (input <= lambd)
    return where(inside, input * 0, where(input > lambd, input - lambd, input + lambd))


def hardshrink(input, lambd: float = 0.5) -> Tensor:
    r"""Hard shrinkage: :math:`x` where :math:`|x| > \lambda`, else 0.

    Example:
        >>> import ember
        >>> ember.nn.functional.hardshrink(ember.tensor([-1.0, 0.2, 1.0]))
        tensor([-1.,  0.,  1.])
    """
    _check(input, "hardshrink")
    # NOTE: PyTorch zeroes [-lambd, lambd]; NaN passes (with its gradient)
    return where((input >= -lambd) & (input <= lambd), 0.0, input)


def tanhshrink(input) -> Tensor:
    r""":math:`x - \tanh(x)`.

    Example:
        >>> import ember
        >>> ember.nn.functional.tanhshrink(ember.tensor([0.0]))
        tensor([0.])
    """
    _check(input, "tanhshrink")
    return input - input.tanh()


def softsign(input) -> Tensor:
    r""":math:`x / (1 + |x|)`.

    Example:
        >>> import ember
        >>> ember.nn.functional.softsign(ember.tensor([1.0, -3.0]))
        tensor([ 0.5000, -0.7500])
    """
    _check(input, "softsign")
    return input / (input.abs() + 1)


def _hardsigmoid(x):
    # NOTE: PyTorch's gradient is 1/6 strictly inside (-3, 3), else 0 (NaN: output NaN,
    # gradient 0)
    inside = (x > -3) & (x < 3)
    return where(inside, x / 6 + 0.5, where(x <= -3, 0.0, where(x >= 3, 1.0, x.detach())))


_hardsigmoid_ip = _maybe_inplace(_hardsigmoid, "hardsigmoid_")


def hardsigmoid(input, inplace: bool = False) -> Tensor:
    r"""Piecewise-linear sigmoid: :math:`\mathrm{relu6}(x + 3) / 6`.

    Example:
        >>> import ember
        >>> ember.nn.functional.hardsigmoid(ember.tensor([-4.0, 0.0, 4.0]))
        tensor([0.0000, 0.5000, 1.0000])
    """
    _check(input, "hardsigmoid")
    return _hardsigmoid_ip(input, inplace=inplace)


def _hardswish(x):
    # NOTE: PyTorch's values and gradients: x * 0 for x <= -3 (gradient 0; -inf gives NaN as
    # in PyTorch), x (gradient 1) from 3 up and for NaN; the quadratic sees only (-3, 3), so
    # infinite inputs leave no inf * 0 = NaN gradient
    mid = where((x > -3) & (x < 3), x, 0.0)
    return where(x <= -3, x * 0, where(x < 3, mid * (mid + 3) / 6, x))


_hardswish_ip = _maybe_inplace(_hardswish, "hardswish_")


def hardswish(input, inplace: bool = False) -> Tensor:
    r"""Hard swish: :math:`x\,\mathrm{relu6}(x + 3) / 6`.

    Example:
        >>> import ember
        >>> ember.nn.functional.hardswish(ember.tensor([-4.0, 0.0, 4.0]))
        tensor([-0., 0., 4.])
    """
    _check(input, "hardswish")
    return _hardswish_ip(input, inplace=inplace)
