"""Encode/decode PNG and JPEG between bytes tensors (1-D uint8) and ``(C, H, W)`` uint8 images.

Pillow does the codec work; EXIF orientation is applied with ``ImageOps.exif_transpose`` when
``apply_exif_orientation=True``.
"""

from __future__ import annotations

import io as _io
import os
from enum import Enum

import numpy as np
from PIL import Image, ImageOps

import ember

__all__ = []


class ImageReadMode(Enum):
    """Channel layout to decode to: as stored, gray, gray+alpha, RGB or RGB+alpha."""

    UNCHANGED = 0
    GRAY = 1
    GRAY_ALPHA = 2
    RGB = 3
    RGB_ALPHA = 4
    RGBA = 4  # alias of RGB_ALPHA


_PIL_MODE = {ImageReadMode.GRAY: "L", ImageReadMode.GRAY_ALPHA: "LA",
             ImageReadMode.RGB: "RGB", ImageReadMode.RGB_ALPHA: "RGBA"}


def _read_mode(mode) -> ImageReadMode:
    if isinstance(mode, ImageReadMode):
        return mode
    if isinstance(mode, str):
        try:
            return ImageReadMode[mode.upper()]
        except KeyError:
            raise ValueError(f"unknown ImageReadMode {mode!r}; expected one of "
                             f"{[m.name for m in ImageReadMode]}") from None
    raise TypeError(f"mode must be an ImageReadMode or its name, got {mode!r}")


def read_file(path) -> ember.Tensor:
    """The bytes of a file as a 1-D uint8 tensor.

    Example:
        >>> import os, tempfile
        >>> p = os.path.join(tempfile.mkdtemp(), "x.bin")
        >>> write_file(p, ember.tensor([1, 2, 3], dtype=ember.uint8))
        >>> read_file(p).tolist()
        [1, 2, 3]
    """
    with open(os.fspath(path), "rb") as f:
        data = f.read()
    return ember.from_numpy(np.frombuffer(data, dtype=np.uint8).copy())


def _check_bytes(data, fname: str) -> None:
    if not isinstance(data, ember.Tensor):
        raise TypeError(f"{fname}(): expected a 1-D uint8 Tensor, got {type(data).__name__}")
    if data.dtype != ember.uint8 or data.ndim != 1:
        raise RuntimeError(f"{fname}(): expected a 1-dimensional uint8 tensor, got dtype "
                           f"{data.dtype} and shape {tuple(data.shape)}")


def write_file(filename, data) -> None:
    """Write a 1-D uint8 tensor's bytes to ``filename``."""
    _check_bytes(data, "write_file")
    with open(os.fspath(filename), "wb") as f:
        f.write(data.cpu().numpy().tobytes())


def _decode(data, mode, apply_exif_orientation: bool, fname: str, formats=None):
    if isinstance(data, (str, os.PathLike)):
        data = read_file(data)
    _check_bytes(data, fname)
    if data.numel() == 0:
        raise RuntimeError(f"{fname}(): the input tensor is empty")
    mode = _read_mode(mode)
    try:
        img = Image.open(_io.BytesIO(data.cpu().numpy().tobytes()), formats=formats)
        img.load()
    except (OSError, Image.UnidentifiedImageError) as e:
        expected = "/".join(formats) if formats else "PNG/JPEG/GIF/BMP/WEBP"
        raise RuntimeError(f"{fname}(): could not decode the input as {expected}: {e}") from e
    if apply_exif_orientation:
        img = ImageOps.exif_transpose(img)
    if mode == ImageReadMode.UNCHANGED:
        if img.mode == "P":
            img = img.convert("RGBA" if "transparency" in img.info else "RGB")
        elif img.mode == "1":
            img = img.convert("L")
        elif img.mode in ("CMYK", "YCbCr", "HSV"):
            img = img.convert("RGB")
        elif img.mode == "PA":
            img = img.convert("RGBA")
    else:
        img = img.convert(_PIL_MODE[mode])
    if img.mode in ("I;16", "I;16B", "I", "F"):
        # NOTE: ember has no uint16: 16-bit images decode to int32 with the same values
        arr = np.array(img).astype(np.int32 if img.mode != "F" else np.float32)
    else:
        arr = np.array(img)
    arr = arr.reshape(img.height, img.width, -1).transpose(2, 0, 1)
    return ember.from_numpy(np.ascontiguousarray(arr))


def decode_image(input, mode=ImageReadMode.UNCHANGED, apply_exif_orientation: bool = False):
    """Decode PNG/JPEG/GIF/BMP/WEBP bytes (a 1-D uint8 tensor or a path) to ``(C, H, W)``.

    Args:
        input (Tensor or str): encoded bytes or a file path.
        mode (ImageReadMode): output channels. Default: ``UNCHANGED``.
        apply_exif_orientation (bool): rotate/flip per the EXIF Orientation tag.
            Default: ``False``.

    Raises:
        TypeError / RuntimeError: not a 1-D uint8 tensor, empty, or undecodable data.
    """
    return _decode(input, mode, apply_exif_orientation, "decode_image")


def decode_png(input, mode=ImageReadMode.UNCHANGED, apply_exif_orientation: bool = False):
    """Decode PNG bytes to a ``(C, H, W)`` tensor (16-bit PNGs give int32)."""
    return _decode(input, mode, apply_exif_orientation, "decode_png", ["PNG"])


def decode_jpeg(input, mode=ImageReadMode.UNCHANGED, device="cpu",
                apply_exif_orientation: bool = False):
    """Decode JPEG bytes (or a list of them) to ``(C, H, W)`` uint8 tensors."""
    if str(device) != "cpu":
        raise ValueError(f"decode_jpeg(): only device='cpu' is supported, got {device!r}")
    if isinstance(input, (list, tuple)):
        return [_decode(x, mode, apply_exif_orientation, "decode_jpeg", ["JPEG"]) for x in input]
    return _decode(input, mode, apply_exif_orientation, "decode_jpeg", ["JPEG"])


def _to_pil(image, fname: str):
    if not isinstance(image, ember.Tensor):
        raise TypeError(f"{fname}(): expected a Tensor, got {type(image).__name__}")
    if image.dtype != ember.uint8:
        raise RuntimeError(f"{fname}(): Input tensor dtype should be uint8, got {image.dtype}")
    if image.ndim != 3:
        raise RuntimeError(f"{fname}(): Input data should be a 3-dimensional tensor (C, H, W), "
                           f"got shape {tuple(image.shape)}")
    c = int(image.shape[0])
    if c not in (1, 3):
        raise RuntimeError(f"{fname}(): The number of channels should be 1 or 3, got: {c}")
    arr = np.ascontiguousarray(image.cpu().numpy().transpose(1, 2, 0))
    return Image.fromarray(arr[:, :, 0] if c == 1 else arr, "L" if c == 1 else "RGB")


def _bytes_tensor(buf: bytes):
    return ember.from_numpy(np.frombuffer(buf, dtype=np.uint8).copy())


def encode_jpeg(input, quality: int = 75):
    """Encode a ``(C, H, W)`` uint8 image (C = 1 or 3), or a list of them, as JPEG bytes.

    Raises:
        ValueError: ``quality`` outside ``[1, 100]``. RuntimeError: wrong dtype/shape/channels.
    """
    if not 1 <= quality <= 100:
        raise ValueError("Image quality should be a positive number between 1 and 100")
    if isinstance(input, (list, tuple)):
        if not input:
            raise ValueError("encode_jpeg requires at least one input tensor when a list is "
                             "passed")
        return [encode_jpeg(x, quality) for x in input]
    buf = _io.BytesIO()
    _to_pil(input, "encode_jpeg").save(buf, format="JPEG", quality=quality)
    return _bytes_tensor(buf.getvalue())


def encode_png(input, compression_level: int = 6):
    """Encode a ``(C, H, W)`` uint8 image (C = 1 or 3) as PNG bytes (lossless).

    Raises:
        RuntimeError: compression level outside ``[0, 9]``, wrong dtype/shape/channels.

    Example:
        >>> img = ember.arange(12, dtype=ember.uint8).reshape(3, 2, 2)
        >>> bool((decode_png(encode_png(img)) == img).all())
        True
    """
    if not 0 <= compression_level <= 9:
        raise RuntimeError(f"Compression level should be between 0 and 9, got "
                           f"{compression_level}")
    buf = _io.BytesIO()
    _to_pil(input, "encode_png").save(buf, format="PNG", compress_level=compression_level)
    return _bytes_tensor(buf.getvalue())


def read_image(path, mode=ImageReadMode.UNCHANGED, apply_exif_orientation: bool = False):
    """``decode_image(read_file(path), mode, apply_exif_orientation)``."""
    return decode_image(read_file(path), mode, apply_exif_orientation)


def write_jpeg(input, filename, quality: int = 75) -> None:
    """Encode as JPEG and write to ``filename``."""
    write_file(filename, encode_jpeg(input, quality))


def write_png(input, filename, compression_level: int = 6) -> None:
    """Encode as PNG and write to ``filename``."""
    write_file(filename, encode_png(input, compression_level))
