"""Helpers shared by the model builders."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from ember import nn

__all__ = ["IntermediateLayerGetter"]


def _make_divisible(v: float, divisor: int, min_value: int | None = None) -> int:
    """Round ``v`` to the nearest multiple of ``divisor`` (at least ``min_value``), losing at
    most 10 %."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:  # NOTE: rounding down must not lose more than 10 % of the channels
        new_v += divisor
    return new_v


def _ovewrite_named_param(kwargs: dict[str, Any], param: str, new_value: Any) -> None:
    """Set ``kwargs[param] = new_value``; a conflicting value the user passed is an error.

    Raises:
        ValueError: when ``kwargs`` already holds a different value.
    """
    if param in kwargs:
        if kwargs[param] != new_value:
            raise ValueError(f"The parameter '{param}' expected value {new_value} but got "
                             f"{kwargs[param]} instead.")
    else:
        kwargs[param] = new_value


def _load_weights(model: nn.Module, weights, progress: bool) -> None:
    model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))


class IntermediateLayerGetter(nn.ModuleDict):
    """Run a model's direct children in order and return chosen outputs by new names.

    Keeps the children up to the last one named in ``return_layers`` (so the state_dict keys stay
    the model's own) and returns an ``OrderedDict`` ``{new_name: output}``.

    Args:
        model (nn.Module): its children must be called in registration order.
        return_layers (dict[str, str]): child name -> output name.

    Raises:
        ValueError: when a name in ``return_layers`` is not a child of ``model``.

    Example:
        >>> import ember
        >>> m = nn.Sequential(nn.Conv2d(1, 2, 1), nn.ReLU())
        >>> out = IntermediateLayerGetter(m, {"0": "feat"})(ember.zeros(1, 1, 2, 2))
        >>> list(out), out["feat"].shape
        (['feat'], ember.Size([1, 2, 2, 2]))
    """

    def __init__(self, model: nn.Module, return_layers: dict[str, str]) -> None:
        names = [name for name, _ in model.named_children()]
        if not set(return_layers).issubset(names):
            raise ValueError(f"return_layers are not present in model: {sorted(return_layers)} "
                             f"not all in {names}")
        orig = {str(k): str(v) for k, v in return_layers.items()}
        pending = dict(orig)
        layers = OrderedDict()
        for name, module in model.named_children():
            layers[name] = module
            pending.pop(name, None)
            if not pending:
                break
        super().__init__(layers)
        self.return_layers = orig

    def forward(self, x):
        out = OrderedDict()
        for name, module in self.items():
            x = module(x)
            if name in self.return_layers:
                out[self.return_layers[name]] = x
        return out
