"""Instance normalisation layers: ``InstanceNorm1d/2d/3d``.

Each (sample, channel) is normalised over its spatial positions; no affine parameters and
no running statistics by default (PyTorch's defaults since 0.4).
"""

from __future__ import annotations

import warnings

from .. import functional as F
from .batchnorm import _LazyNormBase, _NormBase

__all__ = ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "LazyInstanceNorm1d",
           "LazyInstanceNorm2d", "LazyInstanceNorm3d"]


class _InstanceNorm(_NormBase):
    _no_batch_dim = 2  # dimensions of an unbatched input (C, L)

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1,
                 affine: bool = False, track_running_stats: bool = False, device=None,
                 dtype=None, *, bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)

    def _check_input_dim(self, input) -> None:
        n = self._no_batch_dim
        if input.dim() not in (n, n + 1):
            raise ValueError(f"expected {n}D or {n + 1}D input (got {input.dim()}D input)")

    def _apply_instance_norm(self, input):
        return F.instance_norm(input, self.running_mean, self.running_var, self.weight,
                               self.bias, self.training or not self.track_running_stats,
                               self.momentum if self.momentum is not None else 0.0, self.eps)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs) -> None:
        version = local_metadata.get("version", None)
        if version is None and not self.track_running_stats:
            keys = [prefix + k for k in ("running_mean", "running_var")
                    if prefix + k in state_dict]
            if keys:
                name = type(self).__name__
                error_msgs.append(
                    f"Unexpected running stats buffer(s) {' and '.join(repr(k) for k in keys)} "
                    f"for {name} with track_running_stats=False. If state_dict is a checkpoint "
                    f"saved before 0.4.0, this may be expected because {name} does not track "
                    "running stats by default since 0.4.0. Please remove these keys from "
                    "state_dict. If the running stats are actually needed, instead set "
                    f"track_running_stats=True in {name} to enable them. See the "
                    f"documentation of {name} for details.")
                for k in keys:
                    state_dict.pop(k)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)

    def forward(self, input):
        self._check_input_dim(input)
        feature_dim = input.dim() - self._no_batch_dim
        if input.size(feature_dim) != self.num_features:
            if self.affine:
                raise ValueError(f"expected input's size at dim={feature_dim} to match "
                                 f"num_features ({self.num_features}), but got: "
                                 f"{input.size(feature_dim)}.")
            warnings.warn(f"input's size at dim={feature_dim} does not match num_features. "
                          "You can silence this warning by not passing in num_features, which "
                          "is not used because affine=False", stacklevel=2)
        if input.dim() == self._no_batch_dim:
            return self._apply_instance_norm(input.unsqueeze(0)).squeeze(0)
        return self._apply_instance_norm(input)


class InstanceNorm1d(_InstanceNorm):
    """Instance normalisation of a ``(N, C, L)`` or unbatched ``(C, L)`` input.

    ``y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias`` with statistics over ``L`` for
    every sample and channel.  With ``track_running_stats`` the running statistics are
    updated in training and used in eval.

    Args:
        num_features: ``C``.
        eps: added to the variance. Default 1e-5.
        momentum: running-average factor. Default 0.1.
        affine: learnable per-channel ``weight``/``bias``. Default ``False``.
        track_running_stats: keep running statistics. Default ``False``.

    Raises:
        ValueError: input not 2-D or 3-D; with ``affine``, a channel count other than
            ``num_features``.

    Example:
        >>> import ember
        >>> m = ember.nn.InstanceNorm1d(3)
        >>> m.weight is None, m.running_mean is None
        (True, True)
    """

    _no_batch_dim = 2


class InstanceNorm2d(_InstanceNorm):
    """Instance normalisation of a ``(N, C, H, W)`` or ``(C, H, W)`` input (see
    :class:`InstanceNorm1d`).

    Example:
        >>> import ember
        >>> ember.nn.InstanceNorm2d(2)(ember.ones(1, 2, 2, 2)).shape
        ember.Size([1, 2, 2, 2])
    """

    _no_batch_dim = 3


class InstanceNorm3d(_InstanceNorm):
    """Instance normalisation of a ``(N, C, D, H, W)`` or ``(C, D, H, W)`` input (see
    :class:`InstanceNorm1d`).

    Example:
        >>> import ember
        >>> ember.nn.InstanceNorm3d(2, affine=True).weight.shape
        ember.Size([2])
    """

    _no_batch_dim = 4


class _LazyInstanceNorm(_LazyNormBase, _InstanceNorm):
    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 device=None, dtype=None, *, bias=True) -> None:
        super().__init__(eps, momentum, affine, track_running_stats, device, dtype, bias=bias)


class LazyInstanceNorm1d(_LazyInstanceNorm):
    """An :class:`InstanceNorm1d` whose ``num_features`` comes from the first input
    (``affine`` and ``track_running_stats`` default to ``True`` here, as in PyTorch).

    Example:
        >>> import ember
        >>> m = ember.nn.LazyInstanceNorm1d()
        >>> _ = m(ember.randn(2, 3, 4)); type(m).__name__, tuple(m.weight.shape)
        ('InstanceNorm1d', (3,))
    """

    cls_to_become = InstanceNorm1d
    _no_batch_dim = 2


class LazyInstanceNorm2d(_LazyInstanceNorm):
    """An :class:`InstanceNorm2d` whose ``num_features`` comes from the first input.

    Example:
        >>> import ember
        >>> m = ember.nn.LazyInstanceNorm2d()
        >>> _ = m(ember.randn(2, 3, 2, 2)); m.num_features
        3
    """

    cls_to_become = InstanceNorm2d
    _no_batch_dim = 3


class LazyInstanceNorm3d(_LazyInstanceNorm):
    """An :class:`InstanceNorm3d` whose ``num_features`` comes from the first input.

    Example:
        >>> import ember
        >>> m = ember.nn.LazyInstanceNorm3d(affine=False)
        >>> _ = m(ember.randn(1, 2, 2, 2, 2)); tuple(m.running_var.shape)
        (2,)
    """

    cls_to_become = InstanceNorm3d
    _no_batch_dim = 4
