"""Tensor subclasses that tag what a tensor holds, so v2 transforms can treat each correctly.

``Image`` ``(..., C, H, W)``, ``Video`` ``(..., T, C, H, W)``, ``Mask`` ``(..., H, W)`` and
``BoundingBoxes`` ``(N, 4)`` with a ``format`` and the ``canvas_size`` ``(H, W)`` of the image they
belong to. Like torchvision, ops on them return plain ``ember.Tensor`` (the metadata could be
wrong after an arbitrary op); :func:`wrap` re-attaches it.
"""

from __future__ import annotations

from enum import Enum

from PIL import Image as _PILImage

import ember

__all__ = ["TVTensor", "Image", "Video", "Mask", "BoundingBoxes", "BoundingBoxFormat", "wrap"]


def _as_tensor(data, dtype, device, requires_grad):
    if isinstance(data, ember.Tensor):
        t = data
        if dtype is not None or device is not None:
            t = t.to(dtype=dtype or t.dtype, device=device or t.device)
    else:
        t = ember.as_tensor(data, dtype=dtype, device=device)
    if requires_grad is not None:
        t = t.detach().requires_grad_(requires_grad)
    return t


class TVTensor(ember.Tensor):
    """Base class of the tagged tensors; shares storage with the tensor it wraps."""

    __slots__ = ()

    @classmethod
    def _wrap(cls, tensor):
        """View ``tensor``'s data as ``cls`` without copying (autograd history is kept)."""
        return cls._make(tensor._data, tensor._rg, tensor.grad_fn, tensor._output_nr,
                         tensor._vc, tensor._base)

    def __reduce_ex__(self, protocol):
        return (_rebuild, (type(self), _plain(self), self.__dict__.copy()))


def _rebuild(cls, tensor, state):
    out = cls._wrap(tensor)
    out.__dict__.update(state)
    return out


def _plain(self):
    return ember.Tensor._make(self._data, self._rg, self.grad_fn, self._output_nr, self._vc,
                              self._base)


class Image(TVTensor):
    """An image tensor ``(..., C, H, W)``; a 2-D input gains a channel axis, a PIL image is
    converted with ``pil_to_tensor``.

    Example:
        >>> import ember
        >>> Image(ember.zeros(4, 5)).shape
        ember.Size([1, 4, 5])
    """

    def __new__(cls, data, *, dtype=None, device=None, requires_grad=None):
        if isinstance(data, _PILImage.Image):
            from .transforms.functional import pil_to_tensor
            data = pil_to_tensor(data)
        t = _as_tensor(data, dtype, device, requires_grad)
        if t.ndim < 2:
            raise ValueError(f"Image(): expected at least 2 dimensions (H, W), got shape "
                             f"{tuple(t.shape)}")
        if t.ndim == 2:
            t = t.unsqueeze(0)
        return cls._wrap(t)

    def __init__(self, *args, **kwargs) -> None:
        pass


class Video(TVTensor):
    """A video tensor ``(..., T, C, H, W)``."""

    def __new__(cls, data, *, dtype=None, device=None, requires_grad=None):
        t = _as_tensor(data, dtype, device, requires_grad)
        if t.ndim < 4:
            raise ValueError(f"Video(): expected at least 4 dimensions (T, C, H, W), got shape "
                             f"{tuple(t.shape)}")
        return cls._wrap(t)

    def __init__(self, *args, **kwargs) -> None:
        pass


class Mask(TVTensor):
    """A segmentation mask ``(..., H, W)`` (a PIL image becomes ``(1, H, W)``)."""

    def __new__(cls, data, *, dtype=None, device=None, requires_grad=None):
        if isinstance(data, _PILImage.Image):
            from .transforms.functional import pil_to_tensor
            data = pil_to_tensor(data)
        return cls._wrap(_as_tensor(data, dtype, device, requires_grad))

    def __init__(self, *args, **kwargs) -> None:
        pass


class BoundingBoxFormat(Enum):
    """Coordinate layout of a box: corners, corner + size, or centre + size."""

    XYXY = "XYXY"
    XYWH = "XYWH"
    CXCYWH = "CXCYWH"


class BoundingBoxes(TVTensor):
    """Boxes ``(N, 4)`` (or ``(4,)``, made ``(1, 4)``) in ``format`` on a ``canvas_size=(H, W)``.

    Raises:
        ValueError: wrong shape or canvas size. KeyError: unknown format name.

    Example:
        >>> b = BoundingBoxes([[0, 0, 2, 3]], format="XYXY", canvas_size=(4, 4))
        >>> b.format, b.canvas_size
        (<BoundingBoxFormat.XYXY: 'XYXY'>, (4, 4))
    """

    def __new__(cls, data, *, format, canvas_size, dtype=None, device=None,
                requires_grad=None):
        t = _as_tensor(data, dtype, device, requires_grad)
        if t.ndim == 1:
            t = t.unsqueeze(0)
        if t.ndim != 2 or t.shape[-1] != 4:
            raise ValueError(f"BoundingBoxes(): expected a tensor of shape (N, 4), got "
                             f"{tuple(t.shape)}")
        return cls._wrap_meta(t, format=format, canvas_size=canvas_size)

    def __init__(self, *args, **kwargs) -> None:
        pass

    @classmethod
    def _wrap_meta(cls, tensor, *, format, canvas_size):
        if isinstance(format, str):
            format = BoundingBoxFormat[format.upper()]
        if not isinstance(format, BoundingBoxFormat):
            raise TypeError(f"BoundingBoxes(): format must be a BoundingBoxFormat or its name, "
                            f"got {format!r}")
        canvas_size = tuple(int(s) for s in canvas_size)
        if len(canvas_size) != 2:
            raise ValueError(f"BoundingBoxes(): canvas_size must be (H, W), got {canvas_size}")
        out = cls._wrap(tensor)
        out.format, out.canvas_size = format, canvas_size
        return out

    def __repr__(self) -> str:
        return super().__repr__()[:-1] + f", format={self.format}, canvas_size={self.canvas_size})"


def wrap(wrappee, *, like, **kwargs):
    """Wrap ``wrappee`` as the same TVTensor type as ``like`` (metadata from ``like`` unless
    overridden in ``kwargs``)."""
    if isinstance(like, BoundingBoxes):
        return BoundingBoxes._wrap_meta(wrappee, format=kwargs.get("format", like.format),
                                        canvas_size=kwargs.get("canvas_size", like.canvas_size))
    return type(like)._wrap(wrappee)
