"""Stochastic depth: drop whole residual branches at random during training."""

from __future__ import annotations

import ember
from ember import nn

__all__ = ["StochasticDepth", "stochastic_depth"]


def stochastic_depth(input, p: float, mode: str, training: bool = True):
    """Zero each sample ("row") or the whole batch ("batch") with probability ``p``.

    Survivors are divided by ``1 - p`` so the expectation is unchanged:
    ``y = x * Bernoulli(1 - p) / (1 - p)``.

    Args:
        input (Tensor): at least 1-d; dimension 0 is the batch.
        p (float): drop probability in [0, 1].
        mode (str): ``"row"`` (one draw per sample) or ``"batch"`` (one draw for all).
        training (bool): identity when False. Default: True.

    Raises:
        ValueError: when ``p`` is outside [0, 1] or ``mode`` is unknown.

    Example:
        >>> stochastic_depth(ember.ones(2, 3), 0.5, "row", training=False).sum().item()
        6.0
    """
    if p < 0.0 or p > 1.0:
        raise ValueError(f"stochastic_depth(): drop probability has to be between 0 and 1, "
                         f"but got {p}")
    if mode not in ("batch", "row"):
        raise ValueError(f"stochastic_depth(): mode has to be either 'batch' or 'row', "
                         f"but got {mode}")
    if not training or p == 0.0:
        return input
    survival = 1.0 - p
    shape = [input.shape[0]] + [1] * (input.ndim - 1) if mode == "row" else [1] * input.ndim
    noise = ember.empty(shape, dtype=input.dtype, device=input.device).bernoulli_(survival)
    if survival > 0.0:
        noise = noise / survival
    return input * noise


class StochasticDepth(nn.Module):
    """Module form of :func:`stochastic_depth` (active only in training mode).

    Example:
        >>> StochasticDepth(0.2, "row").eval()(ember.ones(2)).tolist()
        [1.0, 1.0]
    """

    def __init__(self, p: float, mode: str) -> None:
        super().__init__()
        self.p = p
        self.mode = mode

    def forward(self, input):
        return stochastic_depth(input, self.p, self.mode, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, mode={self.mode}"
