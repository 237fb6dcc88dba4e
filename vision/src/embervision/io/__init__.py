"""Image file I/O (torchvision.io's image part) through Pillow."""

from ._image import (
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

__all__ = ["ImageReadMode", "decode_image", "decode_jpeg", "decode_png", "encode_jpeg",
           "encode_png", "read_file", "read_image", "write_file", "write_jpeg", "write_png"]
