"""``linear`` and ``bilinear``: the functional forms of ``nn.Linear`` and ``nn.Bilinear``."""

from __future__ import annotations

from ..._tensor import Tensor
from ...ops.matmul import matmul

__all__ = ["linear", "bilinear"]


def linear(input, weight, bias=None):
    r"""Affine map :math:`y = x W^T + b` over the last dimension of ``input``.

    Args:
        input (Tensor): ``(*, in_features)``.
        weight (Tensor): ``(out_features, in_features)`` (or ``(in_features,)``).
        bias (Tensor, optional): ``(out_features,)`` or ``()``. Default: ``None``.

    Shape:
        ``(*, in_features)`` → ``(*, out_features)``.

    Raises:
        RuntimeError: ``in_features`` differs between input and weight (the message names
            both shapes, as ``mat1 and mat2 shapes cannot be multiplied (2x5 and 4x3)``), or a
            bias that doesn't broadcast.

    Example:
        >>> import ember
        >>> from ember.nn.functional import linear
        >>> linear(ember.tensor([[1.0, 2.0]]), ember.tensor([[1.0, 1.0], [0.0, 1.0]]),
        ...        ember.tensor([0.5, 0.0]))
        tensor([[3.5000, 2.0000]])
    """
    for name, t in (("input", input), ("weight", weight)):
        if not isinstance(t, Tensor):
            raise TypeError(f"linear(): argument '{name}' (position "
                            f"{1 if name == 'input' else 2}) must be Tensor, not "
                            f"{type(t).__name__}")
    if bias is not None and not isinstance(bias, Tensor):
        raise TypeError(f"linear(): argument 'bias' (position 3) must be Tensor, not "
                        f"{type(bias).__name__}")
    if weight.ndim > 2:
        raise RuntimeError(f"linear(): weight must be 1-D or 2-D, got {weight.ndim}-D")
    w = weight.t() if weight.ndim == 2 else weight
    if input.ndim >= 2 and w.ndim == 2 and input.shape[-1] != w.shape[0]:
        rows = 1
        for s in input.shape[:-1]:
            rows *= s
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x"
                           f"{input.shape[-1]} and {w.shape[0]}x{w.shape[1]})")
    out = matmul(input, w)
    if bias is not None:
        if tuple(bias.shape) not in ((), (1,), tuple(out.shape[-1:])) \
                and not (out.ndim == 0 and bias.numel() == 1):
            raise RuntimeError(f"linear(): bias of shape {tuple(bias.shape)} doesn't match "
                               f"the output features {tuple(out.shape[-1:])}")
        out = out + bias
    return out


def bilinear(input1, input2, weight, bias=None):
    r"""Bilinear map :math:`y_o = x_1^T A_o x_2 + b_o` over the last dimensions.

    Args:
        input1 (Tensor): ``(*, in1_features)``.
        input2 (Tensor): ``(*, in2_features)`` (same batch dimensions as ``input1``).
        weight (Tensor): ``(out_features, in1_features, in2_features)``.
        bias (Tensor, optional): ``(out_features,)``. Default: ``None``.

    Shape:
        ``(*, in1)``, ``(*, in2)`` → ``(*, out)``.

    Raises:
        RuntimeError: sizes that don't match the weight, or different batch dimensions (the
            messages are PyTorch's).

    Example:
        >>> import ember
        >>> from ember.nn.functional import bilinear
        >>> bilinear(ember.tensor([[1.0, 2.0]]), ember.tensor([[3.0]]), ember.ones(1, 2, 1))
        tensor([[9.]])
    """
    if weight.ndim != 3:
        raise RuntimeError(f"bilinear(): weight must be three-dimensional, but got "
                           f"{weight.ndim} dimensions")
    if input1.ndim != input2.ndim:
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.ndim} and "
                           f"{input2.ndim}")
    for i in range(input1.ndim - 1):
        if input1.shape[i] != input2.shape[i]:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {i}: "
                               f"got {input1.shape[i]} and {input2.shape[i]}")
    out_f, in1, in2 = weight.shape
    if input1.shape[-1] != in1:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got "
                           f"{input1.shape[-1]} but expected {in1}")
    if input2.shape[-1] != in2:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got "
                           f"{input2.shape[-1]} but expected {in2}")
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != out_f):
        got = bias.shape[0] if bias.ndim == 1 else tuple(bias.shape)
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got {got} but "
                           f"expected {out_f}")
    # ONE GEMM: x1 (*, in1) @ W' (in1, out*in2), then contract with x2 over in2
    w = weight.permute(1, 0, 2).reshape(in1, out_f * in2)
    t = matmul(input1, w).reshape(*input1.shape[:-1], out_f, in2)
    out = (t * input2.unsqueeze(-2)).sum(-1)
    if bias is not None:
        out = out + bias
    return out
