"""Normalisation functionals: batch, layer, group, instance, local-response and RMS norm.

Batch, layer, group and instance norm share one fused node, :class:`_Normalize`: the input is
reshaped (a view for contiguous inputs) so that the statistics are reductions over whole axes,
``y = (x - mean) * invstd * weight + bias``, and the backward is the closed form

    dx = invstd * (g' - mean(g') - xhat * mean(g' * xhat)),   g' = g * weight

(means over the statistics axes), written once with ember ops (double backward) and once on
arrays (``fast``, plain backward passes).
"""

from __future__ import annotations

import math

import numpy as np

from ... import _dtype as T
from ... import _host_buffers
from ..._tensor import Tensor
from ...autograd.node import Node
from ...ops._dispatch import apply, xp_of

__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm", "local_response_norm",
           "rms_norm"]


def _sum(xp, keep, a, b=None):
    """Sum of ``a`` (or of ``a * b``) over all axes not in ``keep``, keeping them as size 1.

    NOTE: einsum reduces several axes in one pass without temporaries (``a * b`` is never
    materialised); numpy's ``sum``/``mean`` over non-trailing axes is 3x slower.
    """
    letters = "abcdefgh"[:a.ndim]
    out = "".join(letters[i] for i in keep)
    r = xp.einsum(f"{letters}->{out}" if b is None else f"{letters},{letters}->{out}",
                  *((a,) if b is None else (a, b)))
    return r.reshape(tuple(s if i in keep else 1 for i, s in enumerate(a.shape)))


def _centered(xp, x, mean):
    """``x - mean`` in a fresh array (a reusable host buffer on the CPU): it becomes the
    node's result or input gradient."""
    return xp.subtract(x, mean, out=_host_buffers.result(xp, x.shape, x.dtype))


class _Normalize(Node):
    """``(x - mean) * invstd * weight + bias`` on ``x`` viewed as ``view``.

    ``red``: the statistics axes; ``wshape``: where weight/bias broadcast in the view;
    ``stats``: ``None`` (batch statistics) or fixed ``(mean, var)`` arrays (evaluation).
    """

    def forward(self, xp, x, w, b, view, red, wshape, eps, stats):
        self.shape, self.view, self.red, self.wshape, self.eps = x.shape, view, red, wshape, eps
        nd = len(view)
        self.waxes = tuple(i for i, s in enumerate(wshape) if s == 1)
        self.skeep = tuple(i for i in range(nd) if i not in red)  # axes the stats keep
        self.wkeep = tuple(i for i in range(nd) if i not in self.waxes)
        self.n = math.prod(view[i] for i in red)
        p = w if w is not None else b
        self.pshape = None if p is None else p.shape  # the parameters' own shape
        dt = x.dtype
        if dt.itemsize < 4:  # NOTE: half precision computes in float32, as PyTorch's kernels
            x, w, b = (None if a is None else a.astype(np.float32) for a in (x, w, b))
        x3 = x.reshape(view)
        self.training = stats is None
        if stats is None:
            mean = _sum(xp, self.skeep, x3) / self.n
            xc = _centered(xp, x3, mean)
            # NOTE: two-pass variance (of x - mean): no cancellation for large means
            var = _sum(xp, self.skeep, xc, xc) / self.n
        else:
            mean = stats[0].astype(x.dtype, copy=False)
            var = stats[1].astype(x.dtype, copy=False)
            xc = _centered(xp, x3, mean)
        invstd = 1.0 / xp.sqrt(var + eps)  # NOTE: eps inside the root, as PyTorch
        self.mean, self.var, self.invstd = mean, var, invstd
        y = xc  # a fresh array: the rest runs in place
        if self.waxes == red or w is None:
            # per-channel statistics and parameters (batch norm): one scale pass
            y *= invstd if w is None else invstd * w.reshape(wshape)
        else:
            y *= invstd
            y *= w.reshape(wshape)
        if b is not None:
            y += b.reshape(wshape)
        return y.reshape(self.shape).astype(dt, copy=False)

    def _release_extra(self) -> None:
        self.mean = self.var = self.invstd = None

    def _needs(self):
        return [self.next_functions[i][0] is not None for i in range(3)]

    def fast(self, g):
        x, w, b = self.saved_arrays()
        xp = xp_of(g)
        if x.dtype.itemsize < 4:  # half precision: as in forward (the engine casts back)
            x, w, g = (None if a is None else a.astype(np.float32) for a in (x, w, g))
        need_x, need_w, need_b = self._needs()
        view, invstd, n = self.view, self.invstd, self.n
        g3 = g.reshape(view)
        wb = None if w is None else w.reshape(self.wshape)
        same = self.waxes == self.red  # batch norm: parameters and statistics per channel
        xhat = None
        if need_w or (need_x and self.training):
            xhat = _centered(xp, x.reshape(view), self.mean)
            xhat *= invstd
        gb = _sum(xp, self.wkeep, g3) if need_b or (need_x and self.training and same) else None
        gw = _sum(xp, self.wkeep, g3, xhat) if need_w or (need_x and self.training and same) \
            else None
        gx = None
        if need_x:
            if not self.training:
                gx = g3 * (invstd if wb is None else invstd * wb)
            elif same:
                # sums of g * w and g * w * xhat over the statistics axes are w * gb, w * gw
                k = invstd if wb is None else invstd * wb
                gx = xhat
                gx *= gw / n
                xp.subtract(g3, gx, out=gx)
                gx -= gb / n
                gx *= k
            else:
                gxh = g3 if wb is None else g3 * wb
                s1 = _sum(xp, self.skeep, gxh) / n
                s2 = _sum(xp, self.skeep, gxh, xhat) / n
                gx = xhat
                gx *= s2
                xp.subtract(gxh, gx, out=gx)
                gx -= s1
                gx *= invstd
            gx = gx.reshape(self.shape)
        return (gx,
                None if not need_w else gw.reshape(self.pshape),
                None if not need_b else gb.reshape(self.pshape))

    def backward(self, gy):
        x, w, b = self.saved
        need_x, need_w, need_b = self._needs()
        view, red, waxes = self.view, self.red, self.waxes
        x3, g3 = x.reshape(view), gy.reshape(view)
        if self.training:
            xc = x3 - x3.mean(red, keepdim=True)
            invstd = ((xc * xc).mean(red, keepdim=True) + self.eps).rsqrt()
        else:
            xc = x3 - Tensor._make(self.mean)
            invstd = Tensor._make(self.invstd)
        xhat = xc * invstd
        gx = gw = gb = None
        if need_b:
            gb = g3.sum(waxes).reshape(self.pshape)
        if need_w:
            gw = (g3 * xhat).sum(waxes).reshape(self.pshape)
        if need_x:
            gxh = g3 if w is None else g3 * w.reshape(self.wshape)
            if self.training:
                gxh = (gxh - gxh.mean(red, keepdim=True)
                       - xhat * (gxh * xhat).mean(red, keepdim=True))
            gx = (gxh * invstd).reshape(self.shape)
        return gx, gw, gb


def _normalize(input, weight, bias, view, red, wshape, eps, stats=None):
    """Run :class:`_Normalize`; returns ``(output, node)`` (the node holds mean/var)."""
    node = _Normalize()
    out = apply(node, (input, weight, bias), input._data,
                None if weight is None else weight._data, None if bias is None else bias._data,
                view, red, wshape, eps, stats)
    if out.grad_fn is node:
        node.save(input, weight, bias)
    return out, node


def _check_input(input, op: str) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(input).__name__}")
    if not input.is_floating_point():
        raise RuntimeError(f"{op}: expected a floating-point input, got {input.dtype}")


def _check_numel(t, name: str, c: int) -> None:
    if t is not None and t.numel() != c:
        raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")


def _update_running(running, batch, momentum: float) -> None:
    """``running = (1 - momentum) * running + momentum * batch`` in place (bumps version)."""
    r = running._data
    r *= 1.0 - momentum
    r += (momentum * batch.reshape(r.shape)).astype(r.dtype, copy=False)
    running._bump()


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Batch normalisation over all axes but the channel axis 1.

    ``y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias`` per channel, with the batch
    statistics (biased variance) when ``training``, else ``running_mean``/``running_var``.
    In training, given running buffers are updated in place:
    ``running = (1 - momentum) * running + momentum * batch_stat`` with the *unbiased* batch
    variance.

    Args:
        input: ``(N, C, *)`` tensor.
        running_mean, running_var: ``(C,)`` buffers or ``None`` (only allowed in training).
        weight, bias: optional ``(C,)`` affine parameters.
        training: use batch statistics (and update the running ones). Default ``False``.
        momentum: running-average factor. Default 0.1.
        eps: added to the variance. Default 1e-5.

    Shape:
        input ``(N, C, *)``, output the same.

    Raises:
        ValueError: a single value per channel in training.
        RuntimeError: no running statistics in evaluation, or buffers of the wrong size.

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> F.batch_norm(ember.tensor([[1.], [3.]]), None, None, training=True)
        tensor([[-1.0000],
                [ 1.0000]])
    """
    _check_input(input, "batch_norm")
    if input.dim() < 2:
        raise ValueError(f"batch_norm: expected input with at least 2 dimensions (N, C, *), "
                         f"got {input.dim()}D input")
    shape = tuple(input.shape)
    c = shape[1]
    if training:
        if math.prod(shape) // c == 1:
            raise ValueError("Expected more than 1 value per channel when training, got input "
                             f"size {input.size()}")
    elif running_mean is None or running_var is None:
        raise RuntimeError(f"running_{'mean' if running_mean is None else 'var'} must be "
                           "defined in evaluation mode")
    for t, name in ((running_mean, "running_mean"), (running_var, "running_var"),
                    (weight, "weight"), (bias, "bias")):
        _check_numel(t, name, c)
    view = (shape[0], c, math.prod(shape[2:]))
    stats = None if training else (running_mean._data.reshape(1, c, 1),
                                   running_var._data.reshape(1, c, 1))
    out, node = _normalize(input, weight, bias, view, (0, 2), (1, c, 1), eps, stats)
    if training and (running_mean is not None or running_var is not None):
        n = view[0] * view[2]
        if running_mean is not None:
            _update_running(running_mean, node.mean, momentum)
        if running_var is not None:
            _update_running(running_var, node.var * (n / (n - 1)), momentum)
    return out


def _norm_shape(normalized_shape) -> tuple:
    if isinstance(normalized_shape, (int, np.integer)):
        return (int(normalized_shape),)
    return tuple(int(s) for s in normalized_shape)


def _check_trailing(input, ns, star: str) -> None:
    k = len(ns)
    if input.dim() < k or tuple(input.shape[input.dim() - k:]) != ns:
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape "
                           f"[{star}{', '.join(map(str, ns))}], but got input of size"
                           f"{list(input.shape)}")


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Layer normalisation over the trailing ``normalized_shape`` dimensions.

    ``y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias`` with mean and biased variance over
    the last ``len(normalized_shape)`` dimensions.

    Args:
        input: tensor of shape ``(*, *normalized_shape)``.
        normalized_shape: int or sequence, the trailing shape to normalise over.
        weight, bias: optional tensors of shape ``normalized_shape``.
        eps: added to the variance. Default 1e-5.

    Raises:
        RuntimeError: the input's trailing shape differs from ``normalized_shape``.

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> F.layer_norm(ember.tensor([[1., 3.]]), (2,))
        tensor([[-1.0000,  1.0000]])
    """
    _check_input(input, "layer_norm")
    ns = _norm_shape(normalized_shape)
    _check_trailing(input, ns, "*, ")
    for t, name in ((weight, "weight"), (bias, "bias")):
        if t is not None and tuple(t.shape) != ns:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but "
                               f"got {name} of shape {list(t.shape)} and normalized_shape = "
                               f"{list(ns)}")
    k = math.prod(ns)
    m = math.prod(input.shape[:input.dim() - len(ns)])
    return _normalize(input, weight, bias, (m, k), (1,), (1, k), eps)[0]


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Group normalisation: channels split into ``num_groups`` groups, each normalised.

    ``y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias`` with statistics over each group's
    channels and all spatial positions, per sample; ``weight``/``bias`` are per channel.

    Args:
        input: ``(N, C, *)`` tensor, ``C`` divisible by ``num_groups``.
        num_groups: number of groups.
        weight, bias: optional ``(C,)`` tensors.
        eps: added to the variance. Default 1e-5.

    Raises:
        RuntimeError: ``C`` not divisible by ``num_groups``.

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> F.group_norm(ember.tensor([[[1.], [3.]]]), 1)
        tensor([[[-1.0000],
                 [ 1.0000]]])
    """
    _check_input(input, "group_norm")
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{input.dim()}")
    shape = tuple(input.shape)
    n, c, g = shape[0], shape[1], int(num_groups)
    if g <= 0 or c % g:
        raise RuntimeError("Expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {list(shape)} and "
                           f"num_groups={num_groups}")
    for t, name in ((weight, "weight"), (bias, "bias")):
        if t is not None and (t.dim() != 1 or t.numel() != c):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of "
                               f"channels in input, but got {name} of shape {list(t.shape)} "
                               f"and input of shape {list(shape)}")
    view = (n, g, c // g, math.prod(shape[2:]))
    return _normalize(input, weight, bias, view, (2, 3), (1, g, c // g, 1), eps)[0]


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """Instance normalisation: each (sample, channel) normalised over its spatial positions.

    With ``use_input_stats`` the statistics are the instance's own (and given running buffers
    get ``momentum`` updates with the batch average of the unbiased instance variances);
    otherwise ``running_mean``/``running_var`` are used.

    Args:
        input: ``(N, C, *)`` tensor.
        running_mean, running_var: optional ``(C,)`` buffers.
        weight, bias: optional ``(C,)`` affine parameters.
        use_input_stats: normalise with the instance statistics. Default ``True``.
        momentum: running-average factor. Default 0.1.
        eps: added to the variance. Default 1e-5.

    Raises:
        ValueError: a single spatial element with ``use_input_stats``.
        RuntimeError: ``use_input_stats=False`` without running statistics.

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> F.instance_norm(ember.tensor([[[1., 3.]]]))
        tensor([[[-1.0000,  1.0000]]])
    """
    _check_input(input, "instance_norm")
    if input.dim() < 2:
        raise ValueError(f"instance_norm: expected input with at least 2 dimensions (N, C, *), "
                         f"got {input.dim()}D input")
    shape = tuple(input.shape)
    n, c, length = shape[0], shape[1], math.prod(shape[2:])
    if use_input_stats and length == 1:
        raise ValueError("Expected more than 1 spatial element when training, got input size "
                         f"{input.size()}")
    if not use_input_stats and (running_mean is None or running_var is None):
        raise RuntimeError("Expected running_mean and running_var to be defined when "
                           "use_input_stats is false")
    for t, name in ((running_mean, "running_mean"), (running_var, "running_var"),
                    (weight, "weight"), (bias, "bias")):
        _check_numel(t, name, c)
    stats = None if use_input_stats else (running_mean._data.reshape(1, c, 1),
                                          running_var._data.reshape(1, c, 1))
    out, node = _normalize(input, weight, bias, (n, c, length), (2,), (1, c, 1), eps, stats)
    if use_input_stats:
        # the batch average of per-instance statistics, as PyTorch's repeated-buffer update
        if running_mean is not None:
            _update_running(running_mean, node.mean.mean(0), momentum)
        if running_var is not None:
            _update_running(running_var, node.var.mean(0) * (length / (length - 1)), momentum)
    return out


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """Local response normalisation across channels.

    ``y_c = x_c / (k + alpha / size * sum_{c' in window(c)} x_{c'}^2) ** beta`` where the
    window spans channels ``c - size // 2 .. c + (size - 1) // 2`` (zero beyond the edges).

    Args:
        input: ``(N, C, *)`` tensor with at least 3 dimensions.
        size: number of neighbouring channels in the window.
        alpha: multiplicative factor. Default 1e-4.
        beta: exponent. Default 0.75.
        k: additive factor. Default 1.

    Raises:
        ValueError: input with fewer than 3 dimensions.

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> F.local_response_norm(ember.tensor([[[2.]]]), 1, alpha=1., beta=1., k=0.)
        tensor([[[0.5000]]])
    """
    _check_input(input, "local_response_norm")
    if input.dim() < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {input.dim()} "
                         "dimensions)")
    if input.numel() == 0:
        return input
    from ...ops.creation import zeros
    from ...ops.shape import cat
    shape = tuple(input.shape)
    c = shape[1]
    sq = input * input
    front, back = size // 2, (size - 1) // 2
    parts = [sq]
    if front:
        parts.insert(0, zeros((shape[0], front) + shape[2:], dtype=input.dtype,
                              device=input.device))
    if back:
        parts.append(zeros((shape[0], back) + shape[2:], dtype=input.dtype,
                           device=input.device))
    padded = cat(parts, 1) if len(parts) > 1 else sq
    # a sliding window sum over channels: ``size`` shifted slices (size is small)
    win = padded[:, 0:c]
    for j in range(1, size):
        win = win + padded[:, j:j + c]
    div = (win * (alpha / size) + k).pow(beta)
    return input / div


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """Root-mean-square normalisation over the trailing ``normalized_shape`` dimensions.

    ``y = x / sqrt(mean(x^2) + eps) * weight``; ``eps=None`` uses the input dtype's machine
    epsilon (``finfo(dtype).eps``), as PyTorch does.

    Args:
        input: tensor of shape ``(*, *normalized_shape)``.
        normalized_shape: int or sequence.
        weight: optional tensor of shape ``normalized_shape``.
        eps: added to the mean square. Default ``None`` (machine epsilon).

    Raises:
        RuntimeError: the input's trailing shape differs from ``normalized_shape``.

    Example:
        >>> import ember
        >>> import ember.nn.functional as F
        >>> F.rms_norm(ember.tensor([[3., 4.]]), (2,), eps=0.)
        tensor([[0.8485, 1.1314]])
    """
    _check_input(input, "rms_norm")
    ns = _norm_shape(normalized_shape)
    _check_trailing(input, ns, "*")
    if eps is None:
        eps = T.finfo(input.dtype).eps
    dims = tuple(range(-len(ns), 0))
    y = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt()
    return y if weight is None else y * weight

