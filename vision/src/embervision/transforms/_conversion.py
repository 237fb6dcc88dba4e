"""PIL image / ndarray <-> tensor conversions (re-exported by ``functional``)."""

from __future__ import annotations

import sys

import numpy as np
from PIL import Image

import ember

from . import _functional_pil as F_pil

__all__ = ["to_tensor", "pil_to_tensor", "to_pil_image"]



def to_tensor(pic):
    """Convert a PIL image or an ``(H, W[, C])`` ndarray to a ``(C, H, W)`` tensor.

    uint8 data becomes default-float in ``[0, 1]`` (divided by 255); other dtypes keep their
    values (PIL ``I`` -> int32, ``I;16`` -> int16, ``F`` -> float32; mode ``1`` becomes 0/255).

    Raises:
        TypeError: ``pic`` is neither a PIL image nor an ndarray.
        ValueError: an ndarray that is not 2- or 3-dimensional.

    Example:
        >>> import numpy as np
        >>> to_tensor(np.full((1, 2, 3), 255, dtype=np.uint8)).shape
        ember.Size([3, 1, 2])
    """
    if not (F_pil._is_pil_image(pic) or isinstance(pic, np.ndarray)):
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    if isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        if pic.ndim == 2:
            pic = pic[:, :, None]
        arr = np.ascontiguousarray(pic.transpose(2, 0, 1))
    else:
        nptype = {"I": np.int32, "I;16" if sys.byteorder == "little" else "I;16B": np.int16,
                  "F": np.float32}.get(pic.mode, np.uint8)
        # NOTE: Pillow exports a fresh (read-only) buffer; uint8 data is only read by the fused
        # divide below, so it is not copied again; other dtypes get a writable copy
        arr = np.asarray(pic) if nptype is np.uint8 else np.array(pic, nptype, copy=True)
        if pic.mode == "1":
            arr = arr * np.uint8(255)
        arr = arr.reshape(pic.height, pic.width, -1).transpose(2, 0, 1)
        if arr.dtype != np.uint8:
            return ember.from_numpy(np.ascontiguousarray(arr))
    if arr.dtype == np.uint8:
        # NOTE: one fused float pass: a uint8 -> float32 cast then a true division, like torch
        dtype = ember.get_default_dtype()
        npdtype = np.float32 if dtype == ember.float32 else np.float64
        out = np.empty(arr.shape, dtype=npdtype)
        np.divide(arr, npdtype(255), out=out, casting="unsafe")
        return ember.from_numpy(out)
    return ember.from_numpy(arr)


def pil_to_tensor(pic):
    """Convert a PIL image to a ``(C, H, W)`` tensor of the same dtype (a copy).

    Example:
        >>> from PIL import Image
        >>> pil_to_tensor(Image.new("RGB", (4, 2))).shape
        ember.Size([3, 2, 4])
    """
    if not F_pil._is_pil_image(pic):
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    arr = np.array(pic, copy=True)
    arr = arr.reshape(pic.height, pic.width, -1).transpose(2, 0, 1)
    return ember.from_numpy(arr)


def to_pil_image(pic, mode: str | None = None):
    """Convert a ``(C, H, W)`` tensor or ``(H, W, C)`` ndarray to a PIL image.

    Floats are scaled by 255 and truncated to uint8 (unless ``mode='F'``); the mode is inferred
    from the channel count and dtype (``L``, ``I;16``, ``I``, ``F``, ``LA``, ``RGB``, ``RGBA``).

    Raises:
        TypeError: not a Tensor/ndarray, or an unsupported dtype.
        ValueError: wrong number of dimensions or channels, or a mode that does not fit.
    """
    if isinstance(pic, ember.Tensor):
        if pic.ndim == 3:
            pic = pic.permute(1, 2, 0)
        pic = pic.detach().cpu().numpy()
    elif not isinstance(pic, np.ndarray):
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
    if pic.ndim == 2:
        pic = pic[:, :, None]
    if pic.ndim != 3:
        raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
    if pic.shape[-1] > 4:
        raise ValueError(f"pic should not have > 4 channels. Got {pic.shape[-1]} channels.")
    npimg = pic
    if np.issubdtype(npimg.dtype, np.floating) and mode != "F":
        npimg = (npimg * 255).astype(np.uint8)
    c = npimg.shape[2]
    if c == 1:
        npimg = npimg[:, :, 0]
        expected = {np.dtype(np.uint8): "L", np.dtype(np.int16): "I;16",
                    np.dtype(np.int32): "I", np.dtype(np.float32): "F"}.get(npimg.dtype)
        if mode is not None and mode != expected:
            raise ValueError(f"Incorrect mode ({mode}) supplied for input type {npimg.dtype}. "
                             f"Should be {expected}")
        mode = expected
    else:
        permitted = {2: ["LA"], 3: ["RGB", "YCbCr", "HSV"], 4: ["RGBA", "CMYK", "RGBX"]}[c]
        if mode is not None and mode not in permitted:
            raise ValueError(f"Only modes {permitted} are supported for {c}D inputs")
        if mode is None and npimg.dtype == np.uint8:
            mode = permitted[0]
    if mode is None:
        raise TypeError(f"Input type {npimg.dtype} is not supported")
    if mode == "I;16":
        return Image.fromarray(np.ascontiguousarray(npimg).astype("<u2")).convert("I;16")
    return Image.frombuffer(mode, (npimg.shape[1], npimg.shape[0]),
                            np.ascontiguousarray(npimg).tobytes(), "raw", mode, 0, 1)
