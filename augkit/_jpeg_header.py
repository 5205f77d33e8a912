"""Reading a JPEG's headers: size, components, sampling factors and EXIF orientation.

One pass over the marker segments before the first scan, in Python (a few microseconds: no
decoder handle is created). ``augkit.io`` routes each JPEG by what it finds: the sampling
layouts libjpeg-turbo's TurboJPEG API knows go to simplejpeg, the others to plain libjpeg.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

#: Start-of-frame markers (SOF0-SOF15 except DHT, JPG and DAC); progressive ones listed apart.
_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_PROGRESSIVE_SOF = frozenset({0xC2, 0xC6, 0xCA, 0xCE})
#: Markers without a length field: TEM and RST0-RST7.
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})
_EXIF_ORIENTATION_TAG = 0x0112
#: EXIF integer field types (BYTE, SHORT, LONG, SSHORT, SLONG) -> struct format.
_INTEGER_TYPES = {1: "B", 3: "H", 4: "I", 8: "h", 9: "i"}
#: Luma ``(h, v)`` sampling factors TurboJPEG classifies (4:4:4, 4:2:2, 4:2:0, 4:4:0, 4:1:1)
#: when both chroma components are sampled 1x1. Others (4:4:1, 4:1:0, h3v1, chroma sampled
#: more finely than luma) are decoded with plain libjpeg.
TURBOJPEG_LUMA_SAMPLING = frozenset({(1, 1), (2, 1), (2, 2), (1, 2), (4, 1)})


class JpegHeader(NamedTuple):
    """What a JPEG's headers declare.

    Attributes:
        height: Image height (0 when the file defers it to a DNL marker).
        width: Image width.
        components: Number of colour components (1 gray, 3 YCbCr or RGB, 4 CMYK or YCCK).
        sampling: ``(h, v)`` sampling factors of each component.
        precision: Bits per sample (8 for almost every file, 12 or 16 for a few).
        progressive: True for a progressive (SOF2, SOF6, SOF10, SOF14) file.
        orientation: The EXIF orientation (1-8; 1 when absent or unreadable).
    """

    height: int
    width: int
    components: int
    sampling: tuple[tuple[int, int], ...]
    precision: int
    progressive: bool
    orientation: int

    @property
    def turbojpeg_sampling(self) -> bool:
        """True when TurboJPEG (simplejpeg) can classify the sampling factors."""
        if self.components == 1:
            return True
        if self.components != 3 or self.sampling[1] != (1, 1) or self.sampling[2] != (1, 1):
            return False
        return self.sampling[0] in TURBOJPEG_LUMA_SAMPLING


def read_jpeg_header(data: bytes) -> JpegHeader:
    """Parse the marker segments of a JPEG up to its first scan.

    Args:
        data: The file's bytes, starting with the SOI marker.

    Returns:
        The ``JpegHeader``.

    Raises:
        ValueError: The headers are truncated or malformed (the message says where).
    """
    size = len(data)
    position = 2
    frame: _Frame | None = None
    orientation = 0
    while True:
        if position + 4 > size:
            raise ValueError(f"the headers end at byte {size}, before the first scan")
        if data[position] != 0xFF:
            raise ValueError(f"expected a marker at byte {position}, found 0x{data[position]:02x}")
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker in _STANDALONE:
            position += 2
            continue
        if marker in (0xD8, 0xD9):
            raise ValueError(f"unexpected marker 0xff{marker:02x} at byte {position}, before the first scan")
        length = (data[position + 2] << 8) | data[position + 3]
        end = position + 2 + length
        if length < 2 or end > size:
            raise ValueError(f"marker 0xff{marker:02x} at byte {position} has a bad length ({length})")
        if marker == 0xDA:
            if frame is None:
                raise ValueError("no frame header (SOF) before the first scan")
            return JpegHeader(*frame, orientation or 1)
        if marker in _SOF_MARKERS:
            if frame is not None:
                raise ValueError(f"a second frame header at byte {position}")
            frame = _frame(data, position, length, marker)
        elif marker == 0xE1 and not orientation and data[position + 4 : position + 10] == b"Exif\x00\x00":
            orientation = exif_orientation(data, position + 10, end) or 1
        position = end


#: What a frame header (SOF) declares: height, width, components, sampling, precision, progressive.
_Frame = tuple[int, int, int, tuple[tuple[int, int], ...], int, bool]


def _frame(data: bytes, position: int, length: int, marker: int) -> _Frame:
    if length < 8:
        raise ValueError(f"frame header at byte {position} is too short ({length} bytes)")
    precision, height, width, count = struct.unpack_from(">BHHB", data, position + 4)
    if count == 0 or length != 8 + 3 * count:
        raise ValueError(f"frame header at byte {position} declares {count} components in {length} bytes")
    sampling: list[tuple[int, int]] = []
    for i in range(count):
        factors = data[position + 11 + 3 * i]
        h, v = factors >> 4, factors & 15
        if not (1 <= h <= 4 and 1 <= v <= 4):
            raise ValueError(f"component {i + 1} has bad sampling factors {h}x{v}")
        sampling.append((h, v))
    return height, width, count, tuple(sampling), precision, marker in _PROGRESSIVE_SOF


def exif_orientation(data: bytes, start: int, end: int) -> int:
    """Return the Orientation of the TIFF-structured EXIF block ``data[start:end]`` (1 when absent).

    The tag is read whatever integer type it is stored as (SHORT as the standard says, LONG
    or BYTE as some writers do), as Pillow reads it; values outside 1-8 mean upright.

    Args:
        data: Bytes holding the block.
        start: Offset of the block's ``II`` / ``MM`` byte-order mark.
        end: Offset just past the block.
    """
    if end - start < 8 or data[start : start + 2] not in (b"II", b"MM"):
        return 1
    order = "<" if data[start] == 0x49 else ">"
    try:
        (ifd,) = struct.unpack_from(order + "I", data, start + 4)
        (count,) = struct.unpack_from(order + "H", data, start + ifd)
        if start + ifd + 2 + 12 * count > end:
            count = max((end - start - ifd - 2) // 12, 0)
        for i in range(count):
            entry = start + ifd + 2 + 12 * i
            tag, kind, number = struct.unpack_from(order + "HHI", data, entry)
            if tag != _EXIF_ORIENTATION_TAG:
                continue
            code = _INTEGER_TYPES.get(kind)
            if code is None or number < 1:
                return 1
            (value,) = struct.unpack_from(order + code, data, entry + 8)
            return int(value) if 1 <= value <= 8 else 1
    except struct.error:
        return 1
    return 1
