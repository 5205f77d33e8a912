"""Decoding: a path, bytes, a PIL image or an array in; an HWC uint8 RGB array out.

JPEGs are decoded with simplejpeg (libjpeg-turbo), strictly: a file libjpeg reports as corrupt
is refused, never decoded to partly gray pixels. Other formats are decoded with Pillow.
``augkit.encoded`` decodes windows of JPEGs with the same pixels.

Conversions (documented contract):
  * grayscale (L, 1, I;16, I, F) -> the gray value repeated in R, G and B;
  * palette (P) -> its RGB colours, through RGBA when it has transparency;
  * RGBA, LA, PA -> composited on black: ``rgb * alpha / 255``, rounded;
  * CMYK, YCbCr, LAB, HSV -> RGB by Pillow's conversion;
  * 16-bit samples -> 8-bit by ``round(x / 257)``;
  * EXIF orientation is applied (the pixels come out upright);
  * animated GIF / multi-page TIFF -> the first frame.
Images declaring more than ``max_pixels`` pixels are refused before any pixel is decoded.
Every PNG chunk CRC is verified (Pillow does not check the image data's), so a corrupt PNG is
refused rather than decoded to wrong pixels.
"""

from __future__ import annotations

import io
import os
import struct
import warnings
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from augkit.errors import ImageDecodeError

try:
    import simplejpeg
except ImportError:  # pragma: no cover - simplejpeg is a declared dependency
    simplejpeg = None

#: File name suffixes treated as images when a folder is scanned (lower case).
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm")

#: Default limit on declared pixels (Pillow's own bomb limit, ~89.5 megapixels).
MAX_PIXELS = 89_478_485

#: The first bytes of every JPEG file.
JPEG_MAGIC = b"\xff\xd8\xff"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_EXIF_ORIENTATION_TAG = 0x0112


def decode(source, *, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Decode an image to an HWC uint8 RGB array.

    Args:
        source: A path (str or ``os.PathLike``), ``bytes``, a PIL image, or a numpy array
            (HW gray, HWC with 1, 3 or 4 channels; uint8 or uint16).
        max_pixels: Refuse images declaring more pixels than this (decompression bombs).

    Returns:
        ``(H, W, 3)`` uint8 array, C-contiguous, upright.

    Raises:
        ImageDecodeError: The source is missing, unreadable, not an image, corrupt,
            truncated or too large; the message names the source and the reason.
        TypeError: ``source`` is of an unsupported type.

    Example:
        >>> decode(np.zeros((2, 3), np.uint8)).shape
        (2, 3, 3)
    """
    if isinstance(source, np.ndarray):
        return _from_array(source, "<array>")
    if isinstance(source, Image.Image):
        return _from_pil(source, "<PIL image>", max_pixels)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return decode_bytes(bytes(source), f"<bytes: {len(source)}>", max_pixels=max_pixels)
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        return decode_bytes(read_file(path), path, max_pixels=max_pixels)
    raise TypeError(f"cannot decode a {type(source).__name__}: expected a path, bytes, a PIL image or an array")


def read_file(path: str) -> bytes:
    """Read a file's bytes, turning OS errors into ``ImageDecodeError`` naming the path."""
    if os.path.isdir(path):
        raise ImageDecodeError(path, "is a directory")
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise ImageDecodeError(path, error.strerror or str(error)) from error


def decode_bytes(data: bytes, source: str = "<bytes>", *, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Decode encoded image bytes; ``source`` names them in errors.

    Args:
        data: The encoded file.
        source: A path or description used in error messages.
        max_pixels: Refuse images declaring more pixels than this.

    Returns:
        ``(H, W, 3)`` uint8 array.
    """
    if not data:
        raise ImageDecodeError(source, "empty file")
    if data.startswith(JPEG_MAGIC) and simplejpeg is not None:
        image = _decode_jpeg(data, source, max_pixels)
        if image is not None:
            return image
    if data.startswith(_PNG_MAGIC):
        check_png_chunks(data, source)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as pil:
                return _from_pil(pil, source, max_pixels)
    except ImageDecodeError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageDecodeError(source, f"decompression bomb refused ({error})") from error
    except Image.UnidentifiedImageError as error:
        raise ImageDecodeError(source, "not a recognised image format") from error
    except (OSError, ValueError, SyntaxError, struct.error, EOFError, IndexError, TypeError) as error:
        raise ImageDecodeError(source, f"corrupt or truncated image ({error})") from error


def jpeg_header(data: bytes, source: str = "<bytes>", max_pixels: int = MAX_PIXELS) -> tuple[int, int, str]:
    """Read a JPEG's ``(height, width, colorspace)`` and check its size against ``max_pixels``.

    ``colorspace`` is libjpeg's: ``"YCbCr"``, ``"RGB"``, ``"Gray"``, ``"CMYK"`` or ``"YCCK"``.
    """
    try:
        height, width, colorspace, _ = simplejpeg.decode_jpeg_header(data)
    except ValueError as error:
        raise ImageDecodeError(source, f"corrupt JPEG header ({error})") from error
    _check_pixels(source, height, width, max_pixels)
    return height, width, colorspace


def _decode_jpeg(data: bytes, source: str, max_pixels: int) -> np.ndarray | None:
    """Decode a JPEG with libjpeg-turbo; None when Pillow must handle it (CMYK / YCCK)."""
    height, width, colorspace = jpeg_header(data, source, max_pixels)
    try:
        if colorspace in ("CMYK", "YCCK"):
            # Pillow converts CMYK (Adobe inversion included) but silently decodes data that
            # libjpeg reports as corrupt; a strict decode checks the data first.
            simplejpeg.decode_jpeg(data, colorspace="CMYK", strict=True)
            return None
        image = simplejpeg.decode_jpeg(data, colorspace="RGB", fastdct=False, fastupsample=False, strict=True)
    except ValueError as error:
        raise ImageDecodeError(source, f"corrupt or truncated JPEG ({error})") from error
    orientation = jpeg_exif_orientation(data)
    return apply_orientation(image, orientation) if orientation > 1 else image


def check_png_chunks(data: bytes, source: str = "<bytes>") -> None:
    """Verify the CRC of every PNG chunk up to ``IEND``; raise ``ImageDecodeError`` on a mismatch.

    Pillow checks the CRCs of header chunks but not of the image data (``IDAT``), so a
    corrupt PNG whose compressed stream still inflates would decode to wrong pixels
    silently. A CRC pass costs about as much as a memory copy.

    Args:
        data: The PNG file's bytes (starting with the PNG signature).
        source: A path or description used in error messages.
    """
    position, end = len(_PNG_MAGIC), len(data)
    while position + 12 <= end:
        (length,) = struct.unpack_from(">I", data, position)
        chunk_end = position + 8 + length
        if chunk_end + 4 > end:
            return  # truncated: Pillow reports it with its own reason
        kind = data[position + 4 : position + 8]
        (stored,) = struct.unpack_from(">I", data, chunk_end)
        if zlib.crc32(memoryview(data)[position + 4 : chunk_end]) != stored:
            name = kind.decode("latin-1") if kind.isalpha() else repr(kind)
            raise ImageDecodeError(source, f"corrupt PNG: bad CRC in chunk {name} at byte {position}")
        if kind == b"IEND":
            return
        position = chunk_end + 4


def _check_pixels(source: str, height: int, width: int, max_pixels: int) -> None:
    if height * width > max_pixels:
        raise ImageDecodeError(source, f"decompression bomb refused: {width}x{height} exceeds max_pixels={max_pixels}")
    if height == 0 or width == 0:
        raise ImageDecodeError(source, f"image has no pixels ({width}x{height})")


def _from_pil(pil: Image.Image, source: str, max_pixels: int) -> np.ndarray:
    width, height = pil.size
    _check_pixels(source, height, width, max_pixels)
    orientation = 1
    try:
        orientation = int(pil.getexif().get(_EXIF_ORIENTATION_TAG, 1))
    except (OSError, ValueError, SyntaxError, struct.error, TypeError):
        orientation = 1
    pil.load()
    mode = pil.mode
    if mode == "P" or mode == "PA":
        pil = pil.convert("RGBA" if mode == "PA" or "transparency" in pil.info else "RGB")
    elif mode in ("CMYK", "YCbCr", "LAB", "HSV"):
        pil = pil.convert("RGB")
    elif mode == "1":
        pil = pil.convert("L")
    image = _from_array(np.array(pil), source)
    return apply_orientation(image, orientation) if 1 < orientation <= 8 else image


def _from_array(array: np.ndarray, source: str) -> np.ndarray:
    """Convert a gray / RGB / RGBA array of uint8, uint16, int32 or float to RGB uint8."""
    if array.ndim == 2:
        array = array[:, :, None]
    if array.ndim != 3 or array.shape[2] not in (1, 2, 3, 4):
        raise ImageDecodeError(source, f"unsupported array shape {array.shape}")
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ImageDecodeError(source, f"image has no pixels ({array.shape})")
    array = _to_uint8(array, source)
    channels = array.shape[2]
    if channels in (2, 4):
        color, alpha = array[:, :, :-1].astype(np.uint32), array[:, :, -1:].astype(np.uint32)
        array = ((color * alpha + 127) // 255).astype(np.uint8)
    if array.shape[2] == 1:
        array = np.repeat(array, 3, axis=2)
    return np.ascontiguousarray(array)


def _to_uint8(array: np.ndarray, source: str) -> np.ndarray:
    if array.dtype == np.uint8:
        return array
    if array.dtype == np.bool_:
        return array.astype(np.uint8) * 255
    if array.dtype in (np.uint16, np.int32, np.int64, np.dtype(">u2"), np.dtype("<u2")):
        # 16-bit samples (Pillow's I;16 and I modes): round(x / 257) maps 65535 to 255.
        return ((np.clip(array.astype(np.int64), 0, 65535) + 128) // 257).astype(np.uint8)
    if np.issubdtype(array.dtype, np.floating):
        if not np.all(np.isfinite(array)):
            raise ImageDecodeError(source, "float image has NaN or infinite values")
        # Pillow's F mode holds 0-255 values.
        return np.clip(np.rint(array), 0, 255).astype(np.uint8)
    raise ImageDecodeError(source, f"unsupported pixel type {array.dtype}")


def apply_orientation(image: np.ndarray, orientation: int) -> np.ndarray:
    """Return ``image`` turned upright for an EXIF orientation value (1-8).

    Args:
        image: HWC array as stored in the file.
        orientation: The EXIF Orientation tag; 1 (or anything outside 2-8) means upright.

    Returns:
        The upright HWC array (C-contiguous).
    """
    ops = {
        2: lambda a: a[:, ::-1],
        3: lambda a: a[::-1, ::-1],
        4: lambda a: a[::-1],
        5: lambda a: a.transpose(1, 0, 2),
        6: lambda a: np.rot90(a, -1),
        7: lambda a: np.rot90(a, 2).transpose(1, 0, 2),
        8: lambda a: np.rot90(a, 1),
    }
    op = ops.get(orientation)
    return image if op is None else np.ascontiguousarray(op(image))


def jpeg_exif_orientation(data: bytes) -> int:
    """Return the EXIF orientation of a JPEG (1 when absent or unreadable), reading only headers."""
    position = 2
    end = len(data)
    while position + 4 <= end:
        if data[position] != 0xFF:
            return 1
        marker = data[position + 1]
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no more metadata
            return 1
        length = int.from_bytes(data[position + 2 : position + 4], "big")
        if marker == 0xE1 and data[position + 4 : position + 10] == b"Exif\x00\x00":
            return _tiff_orientation(data[position + 10 : position + 2 + length])
        position += 2 + length
    return 1


def _tiff_orientation(tiff: bytes) -> int:
    if len(tiff) < 8 or tiff[:2] not in (b"II", b"MM"):
        return 1
    order = "<" if tiff[:2] == b"II" else ">"
    try:
        (ifd_offset,) = struct.unpack_from(order + "I", tiff, 4)
        (count,) = struct.unpack_from(order + "H", tiff, ifd_offset)
        for i in range(count):
            tag, kind, _, value = struct.unpack_from(order + "HHI4s", tiff, ifd_offset + 2 + 12 * i)
            if tag == _EXIF_ORIENTATION_TAG and kind == 3:
                (orientation,) = struct.unpack_from(order + "H", value, 0)
                return int(orientation) if 1 <= orientation <= 8 else 1
    except struct.error:
        return 1
    return 1


def list_images(
    folder: str | os.PathLike, extensions: Sequence[str] = IMAGE_SUFFIXES, *, strict: bool = False
) -> tuple[list[Path], list[Path]]:
    """Find the image files under ``folder``, recursively, by file suffix.

    Hidden files and folders (names starting with ``.``) are ignored. Symbolic links to
    folders are followed, each folder at most once: a link to a folder already listed (a
    cycle such as ``ln -s . again``, or a second link to the same folder) is skipped, and the
    skipped links are counted and named in one warning. A sub-folder that cannot be read is
    skipped the same way (one warning counting and naming them), or is an error with
    ``strict=True``.

    Args:
        folder: A directory.
        extensions: Lower-case suffixes that mark image files.
        strict: Raise, rather than warn, when a sub-folder cannot be read.

    Returns:
        ``(images, skipped)``: sorted image paths, and the sorted other files.

    Raises:
        NotADirectoryError: ``folder`` does not exist or is not a directory.
        OSError: ``folder`` itself cannot be read, or (with ``strict=True``) a sub-folder
            cannot be read; the error names the folder.
    """
    top = os.fspath(folder)
    if not os.path.isdir(top):
        raise NotADirectoryError(f"source folder {top} does not exist or is not a directory")
    unreadable: list[OSError] = []
    repeated: list[str] = []

    def on_error(error: OSError) -> None:
        if strict or error.filename == top:
            raise error
        unreadable.append(error)

    status = os.stat(top)
    visited = {(status.st_dev, status.st_ino)}
    images, skipped = [], []
    for root, dirs, files in os.walk(top, onerror=on_error, followlinks=True):
        kept = []
        for name in sorted(d for d in dirs if not d.startswith(".")):
            path = os.path.join(root, name)
            try:
                status = os.stat(path)
            except OSError as error:
                on_error(error)
                continue
            if (status.st_dev, status.st_ino) in visited:
                repeated.append(path)
                continue
            visited.add((status.st_dev, status.st_ino))
            kept.append(name)
        dirs[:] = kept
        for name in files:
            if name.startswith("."):
                continue
            path = Path(root, name)
            (images if path.suffix.lower() in extensions else skipped).append(path)

    def some(names: list[str]) -> str:
        return ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")

    if unreadable:
        named = [f"{e.filename} ({e.strerror})" for e in unreadable]
        warnings.warn(
            f"skipped {len(unreadable)} folder(s) under {top} that cannot be read: {some(named)};"
            " pass strict=True (augkit stats --strict) to make this an error",
            stacklevel=2,
        )
    if repeated:
        warnings.warn(
            f"skipped {len(repeated)} symbolic link(s) under {top} to folders already listed"
            f" (a link cycle, or a second link to the same folder): {some(repeated)}",
            stacklevel=2,
        )
    return sorted(images), sorted(skipped)
