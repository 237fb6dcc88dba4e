"""Batch normalisation layers: ``BatchNorm1d/2d/3d`` and ``SyncBatchNorm``.

Buffers and ``state_dict`` keys are PyTorch's: ``weight``, ``bias``, ``running_mean``,
``running_var`` and the int64 0-d ``num_batches_tracked``.
"""

from __future__ import annotations

from ... import _dtype as T
from ...ops.creation import empty, ones, tensor, zeros
from .. import functional as F
from .. import init
from ..parameter import Parameter, UninitializedBuffer, UninitializedParameter
from .lazy import LazyModuleMixin
from .module import Module

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "SyncBatchNorm", "LazyBatchNorm1d",
           "LazyBatchNorm2d", "LazyBatchNorm3d"]


class _NormBase(Module):
    """Parameters, running buffers and ``extra_repr`` shared by batch and instance norm."""

    _version = 2  # version 2 added num_batches_tracked (older checkpoints lack it)

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device=None,
                 dtype=None, *, bias: bool = True) -> None:
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = Parameter(empty(num_features, **factory_kwargs))
            if bias:
                self.bias = Parameter(empty(num_features, **factory_kwargs))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, **factory_kwargs))
            self.register_buffer("running_var", ones(num_features, **factory_kwargs))
            self.register_buffer("num_batches_tracked",
                                 tensor(0, dtype=T.int64, device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batches tracked."""
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        """Running statistics reset; weight 1, bias 0 (PyTorch's default)."""
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def _check_input_dim(self, input) -> None:
        raise NotImplementedError

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs) -> None:
        version = local_metadata.get("version", None)
        if (version is None or version < 2) and self.track_running_stats:
            # checkpoints from before num_batches_tracked existed load with a count of 0
            key = prefix + "num_batches_tracked"
            if key not in state_dict:
                state_dict[key] = (self.num_batches_tracked if self.num_batches_tracked
                                   is not None else tensor(0, dtype=T.int64))
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)


def _dim_error(expected: str, input) -> ValueError:
    return ValueError(f"expected {expected} input (got {input.dim()}D input)")


class _BatchNorm(_NormBase):
    def forward(self, input):
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            # momentum=None: a cumulative moving average, 1/n of the n-th batch
            factor = (1.0 / float(self.num_batches_tracked.item()) if self.momentum is None
                      else self.momentum)
        # buffers are used for normalisation in eval mode (if present) and updated in
        # training mode only when tracking
        bn_training = self.training or (self.running_mean is None and self.running_var is None)
        use_buffers = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if use_buffers else None,
                            self.running_var if use_buffers else None, self.weight, self.bias,
                            bn_training, factor, self.eps)


class BatchNorm1d(_BatchNorm):
    """Batch normalisation over a 2-D ``(N, C)`` or 3-D ``(N, C, L)`` input.

    ``y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias`` per channel; in training the batch
    statistics are used and the running ones updated with ``momentum`` (``None``: a cumulative
    average over ``num_batches_tracked`` batches); in eval the running statistics are used.

    Args:
        num_features: ``C``.
        eps: added to the variance. Default 1e-5.
        momentum: running-average factor, or ``None`` for a cumulative average. Default 0.1.
        affine: learnable ``weight``/``bias``. Default ``True``.
        track_running_stats: keep running statistics. Default ``True``.
        bias: (keyword) learnable ``bias`` when ``affine``. Default ``True``.

    Raises:
        ValueError: input not 2-D or 3-D.

    Example:
        >>> import ember
        >>> ember.nn.BatchNorm1d(3)
        BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
    """

    def _check_input_dim(self, input) -> None:
        if input.dim() not in (2, 3):
            raise _dim_error("2D or 3D", input)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation over a 4-D ``(N, C, H, W)`` input (see :class:`BatchNorm1d`).

    Example:
        >>> import ember
        >>> bn = ember.nn.BatchNorm2d(2)
        >>> bn(ember.ones(2, 2, 1, 1)).shape
        ember.Size([2, 2, 1, 1])
    """

    def _check_input_dim(self, input) -> None:
        if input.dim() != 4:
            raise _dim_error("4D", input)


class BatchNorm3d(_BatchNorm):
    """Batch normalisation over a 5-D ``(N, C, D, H, W)`` input (see :class:`BatchNorm1d`).

    Example:
        >>> import ember
        >>> ember.nn.BatchNorm3d(2, momentum=None).momentum is None
        True
    """

    def _check_input_dim(self, input) -> None:
        if input.dim() != 5:
            raise _dim_error("5D", input)


class SyncBatchNorm(_BatchNorm):
    """Batch normalisation synchronised across processes; on one process, plain batch norm.

    ember has no process groups yet, so statistics are those of the local batch (what
    PyTorch's SyncBatchNorm computes with a world size of 1).  ``process_group`` is accepted
    and kept.

    Raises:
        ValueError: input with fewer than 2 dimensions.

    Example:
        >>> import ember
        >>> ember.nn.SyncBatchNorm(3)
        SyncBatchNorm(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, process_group=None,
                 device=None, dtype=None, *, bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)
        self.process_group = process_group

    def _check_input_dim(self, input) -> None:
        if input.dim() < 2:
            raise ValueError(f"expected at least 2D input (got {input.dim()}D input)")
        if input.size(1) == 0:
            raise ValueError("SyncBatchNorm number of input channels should be non-zero")

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """Return ``module`` with every ``BatchNorm*d`` replaced by a ``SyncBatchNorm``.

        Parameters, buffers and ``requires_grad`` flags carry over (shared, not copied).

        Example:
            >>> import ember
            >>> m = ember.nn.SyncBatchNorm.convert_sync_batchnorm(ember.nn.BatchNorm2d(4))
            >>> type(m).__name__
            'SyncBatchNorm'
        """
        out = module
        if isinstance(module, _BatchNorm):
            out = SyncBatchNorm(module.num_features, module.eps, module.momentum, module.affine,
                                module.track_running_stats, process_group,
                                bias=module.bias is not None)
            if module.affine:
                with _no_grad():
                    out.weight = module.weight
                    if module.bias is not None:
                        out.bias = module.bias
            out.running_mean = module.running_mean
            out.running_var = module.running_var
            out.num_batches_tracked = module.num_batches_tracked
            out.training = module.training
        for name, child in module.named_children():
            out.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        del module
        return out


class _LazyNormBase(LazyModuleMixin, _NormBase):
    """``num_features`` taken from the first input's dimension 1; parameters and running
    buffers stay uninitialised until then."""

    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 device=None, dtype=None, *, bias=True) -> None:
        factory_kwargs = {"device": device, "dtype": dtype}
        # built empty (no affine, no stats), then given placeholders to materialise
        super().__init__(0, eps, momentum, False, False, device, dtype, bias=False)
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = UninitializedParameter(**factory_kwargs)
            if bias:
                self.bias = UninitializedParameter(**factory_kwargs)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(**factory_kwargs)
            self.running_var = UninitializedBuffer(**factory_kwargs)
            self.num_batches_tracked = tensor(0, dtype=T.int64, device=device)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input) -> None:
        if self.has_uninitialized_params():
            self.num_features = input.shape[1]
            for t in (self.weight, self.bias, self.running_mean, self.running_var):
                if t is not None:
                    t.materialize((self.num_features,))
            self.reset_parameters()


class LazyBatchNorm1d(_LazyNormBase, _BatchNorm):
    """A :class:`BatchNorm1d` whose ``num_features`` comes from the first input.

    Example:
        >>> import ember
        >>> m = ember.nn.LazyBatchNorm1d()
        >>> _ = m(ember.randn(4, 3)); type(m).__name__, tuple(m.running_mean.shape)
        ('BatchNorm1d', (3,))
    """

    cls_to_become = BatchNorm1d
    _check_input_dim = BatchNorm1d._check_input_dim


class LazyBatchNorm2d(_LazyNormBase, _BatchNorm):
    """A :class:`BatchNorm2d` whose ``num_features`` comes from the first input.

    Example:
        >>> import ember
        >>> m = ember.nn.LazyBatchNorm2d()
        >>> _ = m(ember.randn(2, 3, 1, 2)); type(m).__name__, m.num_features
        ('BatchNorm2d', 3)
    """

    cls_to_become = BatchNorm2d
    _check_input_dim = BatchNorm2d._check_input_dim


class LazyBatchNorm3d(_LazyNormBase, _BatchNorm):
    """A :class:`BatchNorm3d` whose ``num_features`` comes from the first input.

    Example:
        >>> import ember
        >>> m = ember.nn.LazyBatchNorm3d(affine=False)
        >>> _ = m(ember.randn(2, 2, 1, 1, 2)); m.num_features
        2
    """

    cls_to_become = BatchNorm3d
    _check_input_dim = BatchNorm3d._check_input_dim


def _no_grad():
    from ...autograd.grad_mode import no_grad
    return no_grad()
