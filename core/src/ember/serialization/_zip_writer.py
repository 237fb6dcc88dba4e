"""A minimal ZIP writer for checkpoints: STORED entries with 64-byte aligned payloads.

PyTorch's reader (miniz) and ``mmap=True`` loading want every record's bytes to start at a
multiple of 64 in the file, so each local header carries a padding extra field. Sizes are
known up front (the payloads are in memory), so no data descriptors are written; entries or
offsets past 4 GiB switch to ZIP64 records.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

ALIGNMENT = 64
_PAD_ID = 0x4246  # "FB": the id PyTorch's writer gives its padding field
_ZIP64_ID = 0x0001
_LIMIT = 0xFFFFFFFF  # the 32-bit field value that means "see the ZIP64 extra field"
ZIP64_THRESHOLD = _LIMIT  # sizes/offsets from here on need ZIP64 (tests lower it)
# NOTE: a fixed DOS timestamp (1980-01-01 00:00) keeps the bytes of a save reproducible.
_DOS_TIME, _DOS_DATE = 0, (0 << 9) | (1 << 5) | 1


class ZipWriter:
    """Write STORED records to a binary file object, then the central directory.

    Args:
        f: a writable binary file object; offsets count from its position at creation.
    """

    def __init__(self, f) -> None:
        self._f = f
        self._pos = 0
        self._entries: list[tuple[bytes, int, int, int]] = []  # name, crc, size, offset

    def _write(self, data) -> None:
        self._f.write(data)
        self._pos += memoryview(data).nbytes

    def write_record(self, name: str, data) -> None:
        """Append record ``name`` holding the bytes of ``data`` (bytes or a C-contiguous
        buffer such as a numpy array)."""
        view = memoryview(data.reshape(-1).view(np.uint8)) if isinstance(data, np.ndarray) \
            else memoryview(data).cast("B")
        size = len(view)
        crc = zlib.crc32(view) & _LIMIT
        bname = name.encode("utf-8")
        offset = self._pos
        zip64 = size >= ZIP64_THRESHOLD
        extra = struct.pack("<HHQQ", _ZIP64_ID, 16, size, size) if zip64 else b""
        start = offset + 30 + len(bname) + len(extra) + 4
        pad = -start % ALIGNMENT
        extra += struct.pack("<HH", _PAD_ID, pad) + b"\0" * pad
        stored = _LIMIT if zip64 else size
        self._write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 45 if zip64 else 20, 0x0800, 0,
                                _DOS_TIME, _DOS_DATE, crc, stored, stored, len(bname),
                                len(extra)))
        self._write(bname + extra)
        if size:
            self._write(view)
        self._entries.append((bname, crc, size, offset))

    def finish(self) -> None:
        """Write the central directory and end records (ZIP64 ones when needed)."""
        cd_start = self._pos
        for bname, crc, size, offset in self._entries:
            big = size >= ZIP64_THRESHOLD or offset >= ZIP64_THRESHOLD
            extra = struct.pack("<HHQQQ", _ZIP64_ID, 24, size, size, offset) if big else b""
            s, o = (_LIMIT, _LIMIT) if big else (size, offset)
            self._write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0x031E,
                                    45 if big else 20, 0x0800, 0, _DOS_TIME, _DOS_DATE, crc,
                                    s, s, len(bname), len(extra), 0, 0, 0, 0o644 << 16, o))
            self._write(bname + extra)
        cd_size = self._pos - cd_start
        n = len(self._entries)
        if n >= 0xFFFF or cd_size >= ZIP64_THRESHOLD or cd_start >= ZIP64_THRESHOLD:
            eocd64 = self._pos
            self._write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 0x031E, 45, 0, 0, n, n,
                                    cd_size, cd_start))
            self._write(struct.pack("<IIQI", 0x07064B50, 0, eocd64, 1))
            # the classic record then holds only markers pointing at the ZIP64 one
            self._write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, _LIMIT,
                                    _LIMIT, 0))
        else:
            self._write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, n, n, cd_size, cd_start, 0))
