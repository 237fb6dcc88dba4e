"""embervision.io: PNG/JPEG round trips, read modes, EXIF orientation, errors."""

import io

import numpy as np
import pytest
from PIL import Image

import ember
from embervision.io import (
    ImageReadMode,
    decode_image,
    decode_jpeg,
    decode_png,
    encode_jpeg,
    encode_png,
    read_file,
    read_image,
    write_file,
    write_jpeg,
    write_png,
)

RNG = np.random.default_rng(3)
RGB = RNG.integers(0, 256, size=(3, 10, 14), dtype=np.uint8)


def _bytes(img, fmt, **kw):
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return ember.from_numpy(np.frombuffer(buf.getvalue(), dtype=np.uint8).copy())


def test_png_round_trip_is_lossless_rgb_and_gray(tmp_path):
    x = ember.from_numpy(RGB)
    assert np.array_equal(decode_png(encode_png(x)).numpy(), RGB)
    g = ember.from_numpy(RGB[:1].copy())
    assert np.array_equal(decode_image(encode_png(g, compression_level=9)).numpy(), RGB[:1])
    path = tmp_path / "a.png"
    write_png(x, str(path))
    assert np.array_equal(read_image(str(path)).numpy(), RGB)
    assert np.array_equal(np.asarray(Image.open(path)), RGB.transpose(1, 2, 0))


def test_jpeg_round_trip_matches_pillow_decode(tmp_path):
    yy, xx = np.mgrid[0:16, 0:24]
    smooth = np.stack([yy * 8, xx * 5, 128 + 0 * xx]).astype(np.uint8)
    x = ember.from_numpy(smooth)
    data = encode_jpeg(x, quality=90)
    assert data.dtype == ember.uint8 and data.ndim == 1
    ref = np.asarray(Image.open(io.BytesIO(data.numpy().tobytes()))).transpose(2, 0, 1)
    out = decode_jpeg(data)
    assert np.array_equal(out.numpy(), ref)
    assert np.abs(out.numpy().astype(int) - smooth).max() < 8
    path = tmp_path / "a.jpg"
    write_jpeg(x, path, quality=50)
    assert read_image(path).shape == (3, 16, 24)
    assert [t.tolist() for t in encode_jpeg([x, x])] == [encode_jpeg(x).tolist()] * 2
    assert len(decode_jpeg([data, data])) == 2


def test_read_modes():
    rgba = Image.fromarray(RNG.integers(0, 256, size=(6, 7, 4), dtype=np.uint8), "RGBA")
    data = _bytes(rgba, "PNG")
    assert decode_image(data).shape == (4, 6, 7)
    assert decode_image(data, ImageReadMode.RGB).shape == (3, 6, 7)
    gray = decode_image(data, ImageReadMode.GRAY)
    assert np.array_equal(gray.numpy()[0], np.asarray(rgba.convert("L")))
    assert decode_image(data, ImageReadMode.GRAY_ALPHA).shape == (2, 6, 7)
    assert decode_image(data, "RGB_ALPHA").shape == (4, 6, 7)
    assert ImageReadMode.RGBA is ImageReadMode.RGB_ALPHA
    pal = Image.fromarray(RGB[0]).convert("P")
    assert decode_image(_bytes(pal, "PNG")).shape == (3, 10, 14)


def test_sixteen_bit_png_decodes_to_int32():
    a = RNG.integers(0, 65536, size=(5, 6)).astype(np.uint16)
    data = _bytes(Image.fromarray(a), "PNG")
    out = decode_png(data)
    assert out.dtype == ember.int32 and np.array_equal(out.numpy()[0], a)


@pytest.mark.parametrize("orientation,ref", [
    (2, lambda a: a[:, ::-1]), (3, lambda a: a[::-1, ::-1]), (6, lambda a: np.rot90(a, -1)),
    (8, lambda a: np.rot90(a, 1))])
def test_exif_orientation(orientation, ref):
    a = RNG.integers(0, 256, size=(4, 6), dtype=np.uint8)
    img = Image.fromarray(a)
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = _bytes(img, "PNG", exif=exif.tobytes())
    assert np.array_equal(decode_image(data).numpy()[0], a)
    out = decode_image(data, apply_exif_orientation=True).numpy()[0]
    assert np.array_equal(out, ref(a))


def test_read_write_file(tmp_path):
    path = tmp_path / "raw.bin"
    data = ember.tensor([0, 1, 255], dtype=ember.uint8)
    write_file(str(path), data)
    assert path.read_bytes() == bytes([0, 1, 255])
    assert read_file(path).tolist() == [0, 1, 255]


def test_io_errors():
    x = ember.from_numpy(RGB)
    with pytest.raises(ValueError, match="between 1 and 100"):
        encode_jpeg(x, quality=0)
    with pytest.raises(RuntimeError, match="dtype should be uint8"):
        encode_jpeg(x.float())
    with pytest.raises(RuntimeError, match="1 or 3"):
        encode_png(ember.zeros(2, 3, 3, dtype=ember.uint8))
    with pytest.raises(RuntimeError, match="between 0 and 9"):
        encode_png(x, compression_level=10)
    with pytest.raises(RuntimeError, match="3-dimensional"):
        encode_png(ember.zeros(3, 3, dtype=ember.uint8))
    with pytest.raises(RuntimeError, match="could not decode"):
        decode_image(ember.tensor([1, 2, 3], dtype=ember.uint8))
    with pytest.raises(RuntimeError, match="could not decode the input as PNG"):
        decode_png(encode_jpeg(x))
    with pytest.raises(RuntimeError, match="empty"):
        decode_image(ember.zeros(0, dtype=ember.uint8))
    with pytest.raises(RuntimeError, match="1-dimensional uint8"):
        decode_image(ember.zeros(3, 3, dtype=ember.uint8))
    with pytest.raises(TypeError, match="uint8 Tensor"):
        decode_image(b"abc")
    with pytest.raises(ValueError, match="unknown ImageReadMode"):
        decode_image(encode_png(x), "CMYK")
    with pytest.raises(ValueError, match="device='cpu'"):
        decode_jpeg(encode_jpeg(x), device="cuda")
