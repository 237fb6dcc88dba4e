"""``ember.nn.utils.fusion``: fold an eval-mode BatchNorm into the preceding conv/linear."""

from __future__ import annotations

import copy

from ..parameter import Parameter

__all__ = ["fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval",
           "fuse_linear_bn_weights"]


def _check_eval(layer, bn) -> None:
    if layer.training or bn.training:
        raise AssertionError("Fusion only for eval!")
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError("Fusion needs the BatchNorm running statistics "
                             "(track_running_stats=True)")


def fuse_conv_bn_eval(conv, bn, transpose: bool = False):
    r"""Return a copy of ``conv`` whose output equals ``bn(conv(x))`` in eval mode.

    With :math:`s = \gamma / \sqrt{\sigma^2_{run} + \epsilon}` per output channel:
    :math:`W' = W s`, :math:`b' = (b - \mu_{run}) s + \beta` (see
    :func:`fuse_conv_bn_weights`).

    Args:
        conv (Module): a ``Conv*d`` (or ``ConvTranspose*d`` with ``transpose=True``) module.
        bn (Module): a ``BatchNorm*d`` module with running statistics.
        transpose (bool): ``conv`` is transposed (output channels on dim 1). Default:
            ``False``.

    Returns:
        Module: the fused convolution (a deep copy; ``conv`` is untouched).

    Raises:
        AssertionError: either module is in training mode, or ``bn`` has no running stats.

    Example:
        >>> import ember
        >>> conv, bn = ember.nn.Conv2d(2, 3, 3).eval(), ember.nn.BatchNorm2d(3).eval()
        >>> x = ember.randn(1, 2, 5, 5)
        >>> fused = ember.nn.utils.fuse_conv_bn_eval(conv, bn)
        >>> bool(ember.allclose(fused(x), bn(conv(x)), atol=1e-5))
        True
    """
    _check_eval(conv, bn)
    fused = copy.deepcopy(conv)
    fused.weight, fused.bias = fuse_conv_bn_weights(
        fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias,
        transpose)
    return fused


def fuse_conv_bn_weights(conv_w, conv_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b,
                         transpose: bool = False):
    r"""Fold BatchNorm statistics and affine parameters into convolution weights.

    :math:`s = w_{bn} / \sqrt{\sigma^2 + \epsilon}`, :math:`W' = W \cdot s` along the
    output-channel dim (0, or 1 for transposed convs), :math:`b' = (b - \mu) s + b_{bn}`.
    ``None`` for ``conv_b``/``bn_w``/``bn_b`` means zeros/ones/zeros. Results keep the conv
    weight's and bias's dtypes.

    Args:
        conv_w (Tensor): conv weight. conv_b (Tensor or None): conv bias.
        bn_rm (Tensor): running mean. bn_rv (Tensor): running variance.
        bn_eps (float): BatchNorm epsilon.
        bn_w (Tensor or None): BatchNorm weight. bn_b (Tensor or None): BatchNorm bias.
        transpose (bool): the conv is transposed. Default: ``False``.

    Returns:
        tuple[Parameter, Parameter]: fused weight and bias (``requires_grad`` copied from
        ``conv_w``/``conv_b``).

    Example:
        >>> import ember
        >>> w, b = ember.nn.utils.fuse_conv_bn_weights(
        ...     ember.ones(2, 1, 1, 1), None, ember.zeros(2), ember.full((2,), 3.0), 1.0,
        ...     None, None)
        >>> w.flatten().tolist(), b.tolist()
        ([0.5, 0.5], [0.0, 0.0])
    """
    import ember
    w_dtype = conv_w.dtype
    b_dtype = conv_b.dtype if conv_b is not None else w_dtype
    if conv_b is None:
        conv_b = ember.zeros_like(bn_rm)
    if bn_w is None:
        bn_w = ember.ones_like(bn_rm)
    if bn_b is None:
        bn_b = ember.zeros_like(bn_rm)
    rsqrt = ember.rsqrt(bn_rv + bn_eps)
    shape = ([1, -1] if transpose else [-1, 1]) + [1] * (conv_w.ndim - 2)
    fused_w = (conv_w * (bn_w * rsqrt).reshape(shape)).to(dtype=w_dtype)
    fused_b = ((conv_b - bn_rm) * rsqrt * bn_w + bn_b).to(dtype=b_dtype)
    return (Parameter(fused_w, conv_w.requires_grad),
            Parameter(fused_b, conv_b.requires_grad))


def fuse_linear_bn_eval(linear, bn):
    r"""Return a copy of ``linear`` whose output equals ``bn(linear(x))`` in eval mode.

    ``bn.num_features`` must equal ``linear.out_features`` or be 1 (so the fused weight keeps
    its shape). :math:`s = \gamma / \sqrt{\sigma^2_{run} + \epsilon}`, :math:`W' = s W`,
    :math:`b' = (b - \mu_{run}) s + \beta`.

    Args:
        linear (Module): a ``Linear`` module.
        bn (Module): a ``BatchNorm1d`` module with running statistics.

    Returns:
        Module: the fused ``Linear`` (a deep copy).

    Raises:
        AssertionError: a module in training mode, no running stats, or mismatched features.

    Example:
        >>> import ember
        >>> lin, bn = ember.nn.Linear(4, 3).eval(), ember.nn.BatchNorm1d(3).eval()
        >>> x = ember.randn(5, 4)
        >>> fused = ember.nn.utils.fuse_linear_bn_eval(lin, bn)
        >>> bool(ember.allclose(fused(x), bn(lin(x)), atol=1e-5))
        True
    """
    _check_eval(linear, bn)
    if not (linear.out_features == bn.num_features or bn.num_features == 1):
        raise AssertionError("To fuse, linear.out_features == bn.num_features or "
                             "bn.num_features == 1")
    fused = copy.deepcopy(linear)
    fused.weight, fused.bias = fuse_linear_bn_weights(
        fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias)
    return fused


def fuse_linear_bn_weights(linear_w, linear_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b):
    r"""Fold BatchNorm statistics and affine parameters into linear weights.

    :math:`s = w_{bn} / \sqrt{\sigma^2 + \epsilon}`, :math:`W' = s[:, None] W`,
    :math:`b' = (b - \mu) s + b_{bn}`; ``linear_b=None`` means zeros.

    Args:
        linear_w (Tensor): weight ``(out, in)``. linear_b (Tensor or None): bias.
        bn_rm, bn_rv (Tensor): running mean / variance. bn_eps (float): epsilon.
        bn_w, bn_b (Tensor): BatchNorm weight and bias.

    Returns:
        tuple[Parameter, Parameter]: fused weight and bias.

    Example:
        >>> import ember
        >>> w, b = ember.nn.utils.fuse_linear_bn_weights(
        ...     ember.ones(1, 2), ember.ones(1), ember.zeros(1), ember.full((1,), 3.0), 1.0,
        ...     ember.ones(1), ember.zeros(1))
        >>> w.tolist(), b.tolist()
        ([[0.5, 0.5]], [0.5])
    """
    import ember
    w_dtype = linear_w.dtype
    b_dtype = linear_b.dtype if linear_b is not None else w_dtype
    if linear_b is None:
        linear_b = ember.zeros_like(bn_rm)
    scale = bn_w * ember.rsqrt(bn_rv + bn_eps)
    fused_w = linear_w * scale.unsqueeze(-1).to(dtype=w_dtype)
    fused_b = ((linear_b - bn_rm) * scale + bn_b).to(dtype=b_dtype)
    return (Parameter(fused_w, linear_w.requires_grad),
            Parameter(fused_b, linear_b.requires_grad))
