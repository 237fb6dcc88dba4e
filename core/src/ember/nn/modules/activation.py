"""Activation layers: ``ReLU``, ``GELU``, ``Softmax``, ``PReLU`` … — each ``forward`` calls one
function of :mod:`ember.nn.functional`; ``extra_repr`` prints the config like PyTorch.

Example:
    >>> import ember
    >>> m = ember.nn.LeakyReLU(0.2)
    >>> m
    LeakyReLU(negative_slope=0.2)
    >>> m(ember.tensor([-1.0, 1.0]))
    tensor([-0.2000,  1.0000])
"""

from __future__ import annotations

import warnings

from ...ops.creation import empty
from .. import functional as F
from .. import init as _init
from ..parameter import Parameter
from .module import Module

__all__ = ["ReLU", "ReLU6", "LeakyReLU", "PReLU", "RReLU", "ELU", "SELU", "CELU", "GELU", "SiLU",
           "Mish", "Sigmoid", "Tanh", "Softmax", "Softmin", "LogSoftmax", "Softmax2d",
           "Softplus", "Softsign", "Softshrink", "Hardshrink", "Tanhshrink", "Hardswish",
           "Hardsigmoid", "Hardtanh", "LogSigmoid", "GLU", "Threshold"]


class _Inplace(Module):
    """An activation whose only option is ``inplace``."""

    _fn = None

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return type(self)._fn(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class _Plain(Module):
    """An activation without options."""

    _fn = None

    def forward(self, input):
        return type(self)._fn(input)


class ReLU(_Inplace):
    """:math:`\\max(0, x)` (see :func:`ember.nn.functional.relu`)."""

    _fn = staticmethod(F.relu)


class SELU(_Inplace):
    """Scaled ELU (see :func:`ember.nn.functional.selu`)."""

    _fn = staticmethod(F.selu)


class SiLU(_Inplace):
    """:math:`x\\sigma(x)` (see :func:`ember.nn.functional.silu`)."""

    _fn = staticmethod(F.silu)


class Mish(_Inplace):
    """:math:`x\\tanh(\\mathrm{softplus}(x))` (see :func:`ember.nn.functional.mish`)."""

    _fn = staticmethod(F.mish)


class Hardswish(_Inplace):
    """:math:`x\\,\\mathrm{relu6}(x+3)/6` (see :func:`ember.nn.functional.hardswish`)."""

    _fn = staticmethod(F.hardswish)

    def extra_repr(self) -> str:  # PyTorch prints no config for Hardswish
        return ""


class Hardsigmoid(_Inplace):
    """:math:`\\mathrm{relu6}(x+3)/6` (see :func:`ember.nn.functional.hardsigmoid`)."""

    _fn = staticmethod(F.hardsigmoid)

    def extra_repr(self) -> str:  # PyTorch prints no config for Hardsigmoid
        return ""


class Sigmoid(_Plain):
    """Logistic sigmoid."""

    _fn = staticmethod(F.sigmoid)


class Tanh(_Plain):
    """Hyperbolic tangent."""

    _fn = staticmethod(F.tanh)


class Softsign(_Plain):
    """:math:`x / (1 + |x|)`."""

    _fn = staticmethod(F.softsign)


class Tanhshrink(_Plain):
    """:math:`x - \\tanh(x)`."""

    _fn = staticmethod(F.tanhshrink)


class LogSigmoid(_Plain):
    """:math:`\\log\\sigma(x)`."""

    _fn = staticmethod(F.logsigmoid)


class Hardtanh(Module):
    """Clamp to ``[min_val, max_val]`` (see :func:`ember.nn.functional.hardtanh`).

    Raises:
        AssertionError: ``max_val <= min_val`` (PyTorch's exception type for this check).
    """

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False,
                 min_value: float | None = None, max_value: float | None = None) -> None:
        super().__init__()
        if min_value is not None:
            warnings.warn("keyword argument `min_value` is deprecated and renamed to `min_val`",
                          FutureWarning, stacklevel=2)
            min_val = min_value
        if max_value is not None:
            warnings.warn("keyword argument `max_value` is deprecated and renamed to `max_val`",
                          FutureWarning, stacklevel=2)
            max_val = max_value
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace
        if self.max_val <= self.min_val:
            raise AssertionError(f"max_val ({self.max_val}) must be greater than min_val "
                                 f"({self.min_val})")

    def forward(self, input):
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self) -> str:
        s = f"min_val={self.min_val}, max_val={self.max_val}"
        return s + (", inplace=True" if self.inplace else "")


class ReLU6(Hardtanh):
    """:math:`\\min(\\max(0, x), 6)`."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """``x`` for ``x > 0``, else ``negative_slope * x``."""

    def __init__(self, negative_slope: float = 1e-2, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace
                                                          else "")


class PReLU(Module):
    """Leaky ReLU with a learned slope: ``weight`` ``(num_parameters,)`` initialised to ``init``.

    Example:
        >>> import ember
        >>> ember.nn.PReLU(3).weight.shape
        ember.Size([3])
    """

    __constants__ = ["num_parameters"]

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None,
                 dtype=None) -> None:
        self.num_parameters = num_parameters
        super().__init__()
        self.init = init
        self.weight = Parameter(empty(num_parameters, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Fill ``weight`` with ``init`` (PyTorch's default)."""
        _init.constant_(self.weight, self.init)

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class RReLU(Module):
    """Randomized leaky ReLU: random slopes in training, ``(lower + upper) / 2`` in eval."""

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
                 inplace: bool = False) -> None:
        super().__init__()
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, input):
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"lower={self.lower}, upper={self.upper}" + (", inplace=True" if self.inplace
                                                            else "")


class ELU(Module):
    """:math:`x` for :math:`x > 0`, else :math:`\\alpha(e^x - 1)`."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input):
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class CELU(ELU):
    """:math:`\\max(0,x) + \\min(0, \\alpha(e^{x/\\alpha} - 1))`."""

    def forward(self, input):
        return F.celu(input, self.alpha, self.inplace)


class GELU(Module):
    """:math:`x\\Phi(x)`, or its tanh approximation (``approximate='tanh'``)."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class _DimModule(Module):
    _fn = None

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return type(self)._fn(input, self.dim, _stacklevel=5)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax(_DimModule):
    """Softmax along ``dim`` (rows sum to 1)."""

    _fn = staticmethod(F.softmax)


class Softmin(_DimModule):
    """Softmax of ``-x`` along ``dim``."""

    _fn = staticmethod(F.softmin)


class LogSoftmax(_DimModule):
    """Log-softmax along ``dim``."""

    _fn = staticmethod(F.log_softmax)


class Softmax2d(Module):
    """Softmax over channels (dim -3) of ``(N, C, H, W)`` or ``(C, H, W)`` inputs.

    Raises:
        ValueError: input not 3-D or 4-D.
    """

    def forward(self, input):
        if input.ndim not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {input.ndim}D "
                             "instead")
        return F.softmax(input, -3, _stacklevel=5)


class Softplus(Module):
    """:math:`\\frac1\\beta\\log(1 + e^{\\beta x})`, linear above ``threshold``."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Softshrink(Module):
    """Soft shrinkage by ``lambd``."""

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        return F.softshrink(input, self.lambd)

    def extra_repr(self) -> str:
        return str(self.lambd)


class Hardshrink(Softshrink):
    """Hard shrinkage by ``lambd``."""

    def forward(self, input):
        return F.hardshrink(input, self.lambd)


class GLU(Module):
    """Gated linear unit over ``dim`` (halves ``a, b``: :math:`a\\sigma(b)`)."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.glu(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Threshold(Module):
    """``x`` where ``x > threshold``, else ``value``."""

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, input):
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self) -> str:
        return f"threshold={self.threshold}, value={self.value}" + (
            ", inplace=True" if self.inplace else "")
