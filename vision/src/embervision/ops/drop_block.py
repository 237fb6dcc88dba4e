"""DropBlock (Ghiasi et al. 2018): drop contiguous square regions of feature maps."""

from __future__ import annotations

import ember
from ember import Tensor, nn
from ember.nn import functional as F

__all__ = ["DropBlock2d", "DropBlock3d", "drop_block2d", "drop_block3d"]


def _check(p: float, input: Tensor, ndim: int, block_size: int) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"drop probability has to be between 0 and 1, but got {p}.")
    if input.ndim != ndim:
        raise ValueError(f"input should be {ndim} dimensional. Got {input.ndim} dimensions.")
    if block_size % 2 == 0:
        # NOTE: an even block cannot be centred on its seed; the padded mask would not fit
        raise ValueError(f"block size should be odd. Got {block_size} which is even.")


def drop_block2d(input: Tensor, p: float, block_size: int, inplace: bool = False,
                 eps: float = 1e-06, training: bool = True) -> Tensor:
    """Zero ``block_size`` x ``block_size`` squares around Bernoulli(gamma) seeds, rescale.

    ``gamma = p H W / (b^2 (H - b + 1)(W - b + 1))``, the mask is dilated from the seeds by a
    b x b max pool, and survivors are scaled by ``numel / (eps + kept)``.

    Args:
        input (Tensor): (N, C, H, W).
        p (float): drop probability in [0, 1].
        block_size (int): side of the dropped squares (capped at H and W).
        inplace (bool): Default: False. eps (float): Default: 1e-6.
        training (bool): identity when False. Default: True.

    Raises:
        ValueError: for ``p`` outside [0, 1], a non-4-d input or an even ``block_size``.

    Example:
        >>> drop_block2d(ember.ones(1, 1, 4, 4), 0.5, 3, training=False).sum().item()
        16.0
    """
    _check(p, input, 4, block_size)
    if not training or p == 0:
        return input
    n, c, h, w = input.shape
    b = min(block_size, w, h)
    gamma = (p * h * w) / ((b ** 2) * ((h - b + 1) * (w - b + 1)))
    noise = ember.empty((n, c, h - b + 1, w - b + 1), dtype=input.dtype,
                        device=input.device).bernoulli_(gamma)
    noise = F.pad(noise, [b // 2] * 4, value=0)
    noise = F.max_pool2d(noise, stride=(1, 1), kernel_size=(b, b), padding=b // 2)
    noise = 1 - noise
    scale = noise.numel() / (eps + noise.sum())
    if inplace:
        return input.mul_(noise).mul_(scale)
    return input * noise * scale


def drop_block3d(input: Tensor, p: float, block_size: int, inplace: bool = False,
                 eps: float = 1e-06, training: bool = True) -> Tensor:
    """The 3-d (N, C, D, H, W) version of :func:`drop_block2d` with cubes.

    Example:
        >>> drop_block3d(ember.ones(1, 1, 2, 2, 2), 0.5, 3, training=False).sum().item()
        8.0
    """
    _check(p, input, 5, block_size)
    if not training or p == 0:
        return input
    n, c, d, h, w = input.shape
    b = min(block_size, d, h, w)
    gamma = (p * d * h * w) / ((b ** 3) * ((d - b + 1) * (h - b + 1) * (w - b + 1)))
    noise = ember.empty((n, c, d - b + 1, h - b + 1, w - b + 1), dtype=input.dtype,
                        device=input.device).bernoulli_(gamma)
    noise = F.pad(noise, [b // 2] * 6, value=0)
    noise = F.max_pool3d(noise, stride=(1, 1, 1), kernel_size=(b, b, b), padding=b // 2)
    noise = 1 - noise
    scale = noise.numel() / (eps + noise.sum())
    if inplace:
        return input.mul_(noise).mul_(scale)
    return input * noise * scale


class DropBlock2d(nn.Module):
    """Module form of :func:`drop_block2d` (active in training mode).

    Example:
        >>> DropBlock2d(0.1, 3).eval()(ember.ones(1, 1, 3, 3)).sum().item()
        9.0
    """

    def __init__(self, p: float, block_size: int, inplace: bool = False,
                 eps: float = 1e-06) -> None:
        super().__init__()
        self.p = p
        self.block_size = block_size
        self.inplace = inplace
        self.eps = eps

    def forward(self, input: Tensor) -> Tensor:
        return drop_block2d(input, self.p, self.block_size, self.inplace, self.eps,
                            self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, block_size={self.block_size}, inplace={self.inplace}"


class DropBlock3d(DropBlock2d):
    """Module form of :func:`drop_block3d`."""

    def forward(self, input: Tensor) -> Tensor:
        return drop_block3d(input, self.p, self.block_size, self.inplace, self.eps,
                            self.training)
