"""JPEGs read but not decoded yet: the header is known, pixels are decoded on demand.

A sample-stage pipeline that starts by cropping (``RandomResizedCrop``, or a resize followed
by a crop) needs only part of the image. ``open_image`` returns an ``EncodedJpeg`` for such
files, and ``Compose`` decodes only the rows and columns its first transforms read
(``augkit.transforms._window``). Every other transform decodes it whole first.

Pixels equal the full decode's (``augkit.decode``: accurate integer IDCT, smooth chroma
upsampling); only work is skipped. Validity is judged as for a full strict decode: the rows
after a window are still entropy-decoded (not transformed to pixels), so a corrupt or
truncated file is refused whichever window is asked for (``check_whole_file=False`` skips
them: faster, and damage after the window goes unnoticed). One kind of file is decoded whole
whatever the window: a progressive JPEG whose coefficients are never refined to the last bit
(libjpeg smooths its blocks using their neighbours, so a window would differ at its edges).
Windows need augkit's compiled ``augkit._jpeg`` module (built by ``pip install`` where a C
compiler and libjpeg-turbo's headers exist); without it ``open_image`` decodes whole files.
"""

from __future__ import annotations

import os
from types import ModuleType

import numpy as np

from augkit import io
from augkit._image import shape_only
from augkit.errors import ImageDecodeError

_jpeg: ModuleType | None
try:
    from augkit import _jpeg
except ImportError:  # built by setup.py where a C compiler and libjpeg-turbo's headers exist
    _jpeg = None

#: True when windows can be decoded (augkit's C extension ``augkit._jpeg`` is built).
WINDOWED_DECODING = _jpeg is not None


class EncodedJpeg:
    """An upright RGB or grayscale JPEG whose pixels are decoded on demand.

    Args:
        data: The file's bytes.
        source: A path or description used in error messages.
        height: Image height from the header.
        width: Image width from the header.
        max_pixels: The size limit the header was checked against (``decode`` keeps it).
        check_whole_file: Entropy-decode the rows after a window too, so a file damaged
            anywhere is refused (as by ``augkit.decode``). False stops after the window:
            faster, but damage after it goes unnoticed (the pixels returned are still right).
        mode: The ``augkit.decode`` mode pixels are decoded in: ``"RGB"``, ``"L"`` or
            ``"unchanged"`` (a grayscale JPEG then has one channel, a colour one three).
        gray: True when the file itself is grayscale (one component).
        decoder: The decoder ``augkit.decode`` uses for this file
            (``augkit.io.jpeg_decoder``); windows match its pixels.

    Shape:
        ``shape`` is ``(height, width, channels)``, the decoded image's.
    """

    __slots__ = ("data", "source", "height", "width", "max_pixels", "check_whole_file", "mode", "gray", "decoder")

    def __init__(
        self,
        data: bytes,
        source: str,
        height: int,
        width: int,
        max_pixels: int = io.MAX_PIXELS,
        check_whole_file: bool = True,
        mode: str = "RGB",
        gray: bool = False,
        decoder: str = "simplejpeg",
    ) -> None:
        self.data, self.source, self.height, self.width = data, source, height, width
        self.max_pixels, self.check_whole_file = max_pixels, bool(check_whole_file)
        self.mode, self.gray, self.decoder = io.check_mode(mode), bool(gray), decoder

    @property
    def channels(self) -> int:
        """Channels of the decoded pixels: 3, or 1 in mode ``"L"`` and for gray files in ``"unchanged"``."""
        if self.mode == "L" or (self.mode == "unchanged" and self.gray):
            return 1
        return 3

    @property
    def shape(self) -> tuple[int, int, int]:
        """The decoded image's ``(height, width, channels)``."""
        return (self.height, self.width, self.channels)

    def stand_in(self) -> np.ndarray:
        """A zero-cost read-only array of the image's shape, for sampling parameters from."""
        return shape_only(self.shape)

    def decode(self) -> np.ndarray:
        """Decode the whole image with ``augkit.decode``."""
        return io.decode_bytes(self.data, self.source, max_pixels=self.max_pixels, mode=self.mode)

    def decode_window(self, top: int, left: int, height: int, width: int) -> np.ndarray:
        """Decode rows ``[top, top + height)`` and columns ``[left, left + width)``.

        Args:
            top: First row, >= 0.
            left: First column, >= 0.
            height: Rows, >= 1; the window must lie inside the image.
            width: Columns, >= 1.

        Returns:
            ``(height, width, channels)`` uint8 array, equal to ``decode()[top:top+height, left:left+width]``.

        Raises:
            ValueError: The window is empty or leaves the image.
            ImageDecodeError: The file is corrupt or truncated: anywhere, or with
                ``check_whole_file=False`` in or before the window.
        """
        if not (0 <= top and 0 <= left and 0 < height and 0 < width and top + height <= self.height and left + width <= self.width):
            raise ValueError(
                f"window (top={top}, left={left}, height={height}, width={width}) is outside the {self.height}x{self.width} image"
            )
        channels = 1 if self.gray and self.mode != "RGB" else 3  # what libjpeg writes; "L" of colour is converted after
        out = np.empty((height, width, channels), np.uint8)
        # Only the library that decodes the whole file may smooth a progressive file's blocks
        # (libjpeg-turbo releases smooth differently): for other decoders such a file is decoded whole.
        exact_only = self.decoder != "libjpeg"
        if _jpeg is None:
            raise ImportError("decoding a window needs augkit's compiled augkit._jpeg module (build augkit with a C compiler)")
        try:
            written = _jpeg.decode_window(self.data, out, top, left, height, width, self.check_whole_file, channels, exact_only)
        except (ValueError, MemoryError) as error:
            raise ImageDecodeError(self.source, f"corrupt or truncated JPEG ({error})") from error
        if not written:
            return np.ascontiguousarray(self.decode()[top : top + height, left : left + width])
        if self.mode == "L" and channels == 3:
            return io.luma(out)
        return out

    def __repr__(self) -> str:
        return f"EncodedJpeg({self.source!r}, {self.height}x{self.width})"


def open_image(source, *, max_pixels: int = io.MAX_PIXELS, check_whole_file: bool = True, mode: str = "RGB") -> np.ndarray | EncodedJpeg:
    """Read an image, leaving it undecoded where a window of it can be decoded later.

    Args:
        source: As ``augkit.decode``: a path, bytes, a PIL image or an array.
        max_pixels: Refuse images declaring more pixels than this.
        check_whole_file: As ``EncodedJpeg``: False lets a window skip the rest of the file,
            leaving damage after it unchecked.
        mode: As ``augkit.decode``: ``"RGB"``, ``"L"`` or ``"unchanged"``.

    Returns:
        An ``EncodedJpeg`` for an upright (EXIF orientation 1) RGB or grayscale JPEG read from
        a path or bytes when windowed decoding is available; otherwise the decoded array,
        exactly as ``augkit.decode`` returns it.

    Raises:
        ImageDecodeError: As ``augkit.decode`` (a corrupt JPEG header is refused here; the
            data is checked when pixels are decoded).
    """
    mode, max_pixels = io.check_mode(mode), io.check_max_pixels(max_pixels)
    readable = isinstance(source, (str, os.PathLike, bytes, bytearray, memoryview))
    if not WINDOWED_DECODING or not readable:
        return io.decode(source, max_pixels=max_pixels, mode=mode)
    if isinstance(source, (str, os.PathLike)):
        name = os.fspath(source)
        data = io.read_file(name, max_pixels)
    else:
        data, name = bytes(source), f"<bytes: {len(source)}>"
    header = io.jpeg_header(data, name, max_pixels) if data.startswith(io.JPEG_MAGIC) else None
    decoder = io.jpeg_decoder(header) if header is not None else None
    if header is None or decoder not in ("simplejpeg", "libjpeg") or header.orientation != 1 or header.precision != 8:
        return io.decode_bytes(data, name, max_pixels=max_pixels, mode=mode)
    return EncodedJpeg(data, name, header.height, header.width, max_pixels, check_whole_file, mode, header.components == 1, decoder)
