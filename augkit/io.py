"""Decoding: a path, bytes, a PIL image or an array in; an HWC array out.

Three output modes (``mode=``):
  * ``"RGB"`` (the default): ``(H, W, 3)`` uint8 RGB;
  * ``"L"``: ``(H, W, 1)`` uint8 gray;
  * ``"unchanged"``: the stored sample type and channels: uint8 or uint16 (16-bit PNG and
    TIFF), float32 (float TIFF), int32 (32-bit integer TIFF); 1 channel (gray), 2 (gray +
    alpha), 3 (RGB) or 4 (RGBA); arrays keep any channel count. Palette images give RGB (or
    RGBA with transparency); CMYK, YCbCr, LAB and HSV give RGB.

JPEGs are decoded strictly: a file libjpeg reports as corrupt is refused, never decoded to
partly gray pixels. The common sampling layouts go through simplejpeg (libjpeg-turbo's
TurboJPEG API); the others (4:4:1, 4:1:0, h3v1, chroma sampled more finely than luma) through
plain libjpeg (augkit's ``augkit._jpeg`` extension, or Pillow where it is not built); CMYK
through Pillow after a strict check. Other formats are decoded with Pillow, 16-bit colour PNGs
with OpenCV (Pillow keeps only their high byte). ``augkit.encoded`` decodes windows of JPEGs
with the same pixels.

Conversions to ``"RGB"`` and ``"L"`` (documented contract):
  * gray -> the gray value repeated in R, G and B;
  * RGB -> gray: ``(19595 R + 38470 G + 7471 B + 32768) >> 16``, ITU-R 601-2 luma as Pillow's
    ``convert("L")``;
  * palette (P) -> its RGB colours, through RGBA when it has transparency;
  * alpha (RGBA, LA, PA) -> composited on black: ``rgb * alpha / 255``, rounded;
  * CMYK, YCbCr, LAB, HSV -> RGB by Pillow's conversion;
  * 16-bit samples (uint16, and 32-bit integers holding 0-65535) -> 8-bit by ``round(x / 257)``;
  * float samples must lie in [0, 1] (checked: NaN, infinities and values outside are
    refused) -> ``round(x * 255)``;
  * arrays of other integer types (int64 from ``np.full``, int32, ...) are refused: convert
    them to uint8 (0-255) or uint16 (0-65535) first, so no scale is guessed;
  * EXIF orientation is applied (the pixels come out upright), in every mode;
  * animated GIF / multi-page TIFF -> the first frame.

Bounds: images declaring more than ``max_pixels`` pixels are refused before any pixel is
decoded, whatever the format (Pillow's process-wide limit is neither used nor changed).
Files are opened without blocking and only regular files are read (a FIFO or a device named
``x.jpg`` is refused); a file larger than ``max_file_bytes(max_pixels)`` is refused unread.
Every PNG chunk CRC is verified (Pillow does not check the image data's), so a corrupt PNG is
refused rather than decoded to wrong pixels. Any failure of a third-party decoder, running
out of memory included, is an ``ImageDecodeError`` naming the source.
"""

from __future__ import annotations

import io
import os
import stat
import struct
import warnings
import zlib
from collections.abc import Sequence
from numbers import Integral
from pathlib import Path

import numpy as np
from PIL import Image

from augkit._jpeg_header import JpegHeader, read_jpeg_header
from augkit._modes import MODES as MODES  # re-exported: the modes, their check and the gray conversion
from augkit._modes import check_mode, from_array
from augkit._modes import luma as luma
from augkit._pillow import pixel_limit
from augkit.errors import ImageDecodeError

try:
    import simplejpeg
except ImportError:  # pragma: no cover - simplejpeg is a declared dependency
    simplejpeg = None

try:
    from augkit import _jpeg
except ImportError:  # built by setup.py where a C compiler and libjpeg-turbo's headers exist
    _jpeg = None  # type: ignore[assignment]

try:
    import cv2
except ImportError:  # pragma: no cover - OpenCV is a declared dependency
    cv2 = None  # type: ignore[assignment]

#: File name suffixes treated as images when a folder is scanned (lower case).
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm")

#: Default limit on declared pixels (Pillow's own bomb limit, ~89.5 megapixels).
MAX_PIXELS = 89_478_485

#: The first bytes of every JPEG file.
JPEG_MAGIC = b"\xff\xd8\xff"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_EXIF_ORIENTATION_TAG = 0x0112
#: Files up to this size are read in one go; larger ones header first.
_READ_WHOLE_BYTES = 8 << 20
#: Bytes read before the rest of a large file, enough for the headers that declare the image size.
_HEAD_BYTES = 1 << 16


def check_max_pixels(max_pixels) -> int:
    """Return ``max_pixels`` as an int >= 1, else raise ``TypeError`` / ``ValueError`` naming it."""
    if isinstance(max_pixels, bool) or not isinstance(max_pixels, Integral):
        raise TypeError(f"max_pixels must be an int, got {type(max_pixels).__name__}")
    if max_pixels < 1:
        raise ValueError(f"max_pixels must be >= 1, got {max_pixels}")
    return int(max_pixels)


def max_file_bytes(max_pixels: int) -> int:
    """The largest file ``decode`` reads for a pixel limit: 64 MiB plus 32 bytes per pixel.

    No single image within the limit needs more (four float32 channels take 16 bytes a
    pixel, uncompressed); larger files are refused before they are read.
    """
    return (64 << 20) + 32 * max_pixels


def decode(source, *, max_pixels: int = MAX_PIXELS, mode: str = "RGB") -> np.ndarray:
    """Decode an image to an HWC array (``(H, W, 3)`` uint8 RGB by default).

    Args:
        source: A path (str or ``os.PathLike``), ``bytes``, a PIL image, or a numpy array
            (HW gray or HWC; uint8, uint16, bool, or float in [0, 1]).
        max_pixels: Refuse images declaring more pixels than this (decompression bombs),
            for every format.
        mode: ``"RGB"`` (``(H, W, 3)`` uint8), ``"L"`` (``(H, W, 1)`` uint8 gray) or
            ``"unchanged"`` (the stored sample type and channel count; see the module
            docstring).

    Returns:
        An upright, C-contiguous ``(H, W, C)`` array.

    Raises:
        ImageDecodeError: The source is missing, unreadable, not a regular file, not an
            image, corrupt, truncated or too large; the message names the source and the reason.
        TypeError: ``source`` is of an unsupported type, or an array of an unsupported dtype.
        ValueError: ``mode`` or ``max_pixels`` is invalid.

    Example:
        >>> decode(np.zeros((2, 3), np.uint8)).shape
        (2, 3, 3)
        >>> decode(np.full((2, 3, 3), 65535, np.uint16), mode="L")[0, 0].tolist()
        [255]
    """
    mode, max_pixels = check_mode(mode), check_max_pixels(max_pixels)
    if isinstance(source, np.ndarray):
        return from_array(source, "<array>", mode, user=True)
    if isinstance(source, Image.Image):
        return _decode_pil_image(source, "<PIL image>", max_pixels, mode)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return decode_bytes(bytes(source), f"<bytes: {len(source)}>", max_pixels=max_pixels, mode=mode)
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        return decode_bytes(read_file(path, max_pixels), path, max_pixels=max_pixels, mode=mode)
    raise TypeError(f"cannot decode a {type(source).__name__}: expected a path, bytes, a PIL image or an array")


def read_file(path: str, max_pixels: int = MAX_PIXELS) -> bytes:
    """Read an image file's bytes, refusing what cannot be a single image within ``max_pixels``.

    The file is opened without blocking (a FIFO would wait for a writer forever) and only a
    regular file is read. Its size is checked against ``max_file_bytes(max_pixels)``, and the
    size a JPEG, PNG or GIF header declares against ``max_pixels``, before the body is read.

    Args:
        path: The file.
        max_pixels: The pixel limit the file is checked against.

    Returns:
        The file's bytes.

    Raises:
        ImageDecodeError: Naming the path: missing, unreadable, a directory, not a regular
            file, too large, or a declared decompression bomb.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as error:
        if os.path.isdir(path):
            raise ImageDecodeError(path, "is a directory") from error
        raise ImageDecodeError(path, error.strerror or str(error)) from error
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise ImageDecodeError(path, "is a directory")
        if not stat.S_ISREG(info.st_mode):
            raise ImageDecodeError(path, f"not a regular file (a {_file_kind(info.st_mode)}); only files are decoded")
        limit = max_file_bytes(max_pixels)
        if info.st_size > limit:
            raise ImageDecodeError(path, f"file too large: {info.st_size} bytes (at most {limit} are read for max_pixels={max_pixels})")
        with os.fdopen(fd, "rb", buffering=0) as file:
            fd = -1  # the file object closes it
            if info.st_size <= _READ_WHOLE_BYTES:
                data = file.readall()
            else:  # a large file: its header first, so a declared bomb is refused unread
                head = file.read(_HEAD_BYTES)
                _check_declared_size(head, path, max_pixels)
                data = head + file.readall()
    except ImageDecodeError:
        raise
    except MemoryError as error:
        raise ImageDecodeError(path, "out of memory while reading the file") from error
    except OSError as error:
        raise ImageDecodeError(path, error.strerror or str(error)) from error
    finally:
        if fd >= 0:
            os.close(fd)
    if len(data) > limit:
        raise ImageDecodeError(path, f"file too large: more than {limit} bytes (for max_pixels={max_pixels})")
    return data


def _file_kind(st_mode: int) -> str:
    kinds = ((stat.S_ISFIFO, "FIFO"), (stat.S_ISCHR, "character device"), (stat.S_ISBLK, "block device"), (stat.S_ISSOCK, "socket"))
    return next((name for test, name in kinds if test(st_mode)), "special file")


def _check_declared_size(head: bytes, source: str, max_pixels: int) -> None:
    """Refuse a JPEG, PNG or GIF whose header (within ``head``) declares too many pixels."""
    size = None
    if head.startswith(JPEG_MAGIC):
        try:
            header = read_jpeg_header(head)
            size = (header.height, header.width)
        except ValueError:
            return  # headers longer than ``head`` or malformed: the decoder judges the whole file
    elif head.startswith(_PNG_MAGIC) and len(head) >= 24 and head[12:16] == b"IHDR":
        width, height = struct.unpack_from(">II", head, 16)
        size = (height, width)
    elif head[:6] in (b"GIF87a", b"GIF89a") and len(head) >= 10:
        width, height = struct.unpack_from("<HH", head, 6)
        size = (height, width)
    if size is not None and size[0] * size[1] > max_pixels:
        _check_pixels(source, size[0], size[1], max_pixels)


def decode_bytes(data: bytes, source: str = "<bytes>", *, max_pixels: int = MAX_PIXELS, mode: str = "RGB") -> np.ndarray:
    """Decode encoded image bytes; ``source`` names them in errors.

    Args:
        data: The encoded file.
        source: A path or description used in error messages.
        max_pixels: Refuse images declaring more pixels than this.
        mode: ``"RGB"``, ``"L"`` or ``"unchanged"``, as ``decode``.

    Returns:
        An upright ``(H, W, C)`` array, as ``decode``.
    """
    if not data:
        raise ImageDecodeError(source, "empty file")
    try:
        if data.startswith(JPEG_MAGIC):
            return _decode_jpeg(data, source, max_pixels, mode)
        if data.startswith(_PNG_MAGIC):
            check_png_chunks(data, source)
            if _is_wide_color_png(data) and cv2 is not None:
                return _decode_wide_png(data, source, max_pixels, mode)
        return _decode_pillow(data, source, max_pixels, mode)
    except MemoryError as error:
        raise ImageDecodeError(source, "out of memory while decoding") from error


# --------------------------------------------------------------------------- JPEG


def jpeg_header(data: bytes, source: str = "<bytes>", max_pixels: int = MAX_PIXELS) -> JpegHeader:
    """Read a JPEG's header (``augkit._jpeg_header.JpegHeader``) and check its size against ``max_pixels``.

    Raises:
        ImageDecodeError: The headers are corrupt or truncated, or declare too many pixels.
    """
    try:
        header = read_jpeg_header(data)
    except ValueError as error:
        raise ImageDecodeError(source, f"corrupt JPEG header ({error})") from error
    _check_pixels(source, header.height, header.width, max_pixels)
    return header


def jpeg_decoder(header: JpegHeader) -> str:
    """Which decoder ``decode`` uses for a JPEG: ``"simplejpeg"``, ``"libjpeg"`` or ``"pillow"``.

    ``"libjpeg"`` is augkit's own ``augkit._jpeg`` extension (plain libjpeg, strict), used for
    the sampling layouts TurboJPEG cannot classify; ``"pillow"`` serves CMYK / YCCK files (after a
    strict check with simplejpeg) and, where neither library is available, everything.
    """
    if header.components == 4:
        return "pillow"
    if simplejpeg is not None and header.turbojpeg_sampling:
        return "simplejpeg"
    return "libjpeg" if _jpeg is not None else "pillow"


def _decode_jpeg(data: bytes, source: str, max_pixels: int, mode: str) -> np.ndarray:
    header = jpeg_header(data, source, max_pixels)
    if header.precision != 8:
        raise ImageDecodeError(source, f"unsupported JPEG: {header.precision}-bit samples (8-bit JPEGs are decoded)")
    decoder = jpeg_decoder(header)
    image = None
    if decoder == "simplejpeg":
        image = _decode_turbojpeg(data, source, header, mode)
        if image is None:  # TurboJPEG could not classify the sampling factors after all
            decoder = "libjpeg" if _jpeg is not None else "pillow"
    if decoder == "pillow":
        if header.components == 4 and simplejpeg is not None:
            _check_cmyk_jpeg(data, source)
        return _decode_pillow(data, source, max_pixels, mode, orientation=header.orientation)
    if image is None:
        image = _decode_libjpeg(data, source, header, mode)
    image = from_array(image, source, mode)
    return apply_orientation(image, header.orientation) if header.orientation > 1 else image


def _decode_turbojpeg(data: bytes, source: str, header: JpegHeader, mode: str) -> np.ndarray | None:
    """Decode with simplejpeg; None when TurboJPEG cannot classify the sampling factors."""
    colorspace = "GRAY" if header.components == 1 and mode != "RGB" else "RGB"
    try:
        return simplejpeg.decode_jpeg(data, colorspace=colorspace, fastdct=False, fastupsample=False, strict=True)
    except MemoryError:
        raise  # decode_bytes names it
    except Exception as error:  # any failure of the third-party decoder names the file
        if isinstance(error, ValueError) and "subsampling" in str(error):
            return None
        raise ImageDecodeError(source, f"corrupt or truncated JPEG ({_describe(error)})") from error


def _decode_libjpeg(data: bytes, source: str, header: JpegHeader, mode: str) -> np.ndarray:
    """Decode the whole image with ``augkit._jpeg`` (plain libjpeg, every warning an error)."""
    channels = 1 if header.components == 1 and mode != "RGB" else 3
    out = np.empty((header.height, header.width, channels), np.uint8)
    try:
        _jpeg.decode_window(data, out, 0, 0, header.height, header.width, True, channels, False)
    except MemoryError:
        raise
    except Exception as error:
        raise ImageDecodeError(source, f"corrupt or truncated JPEG ({_describe(error)})") from error
    return out


def _check_cmyk_jpeg(data: bytes, source: str) -> None:
    """Refuse a CMYK JPEG libjpeg reports as corrupt (Pillow would decode it silently)."""
    try:
        simplejpeg.decode_jpeg(data, colorspace="CMYK", strict=True)
    except MemoryError:
        raise
    except Exception as error:
        if isinstance(error, ValueError) and "subsampling" in str(error):
            return  # a sampling layout TurboJPEG cannot classify: Pillow alone decodes it
        raise ImageDecodeError(source, f"corrupt or truncated JPEG ({_describe(error)})") from error


def _describe(error: BaseException) -> str:
    text = str(error)
    return f"{type(error).__name__}: {text}" if not isinstance(error, ValueError) or not text else text


# --------------------------------------------------------------------------- PNG


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


def _is_wide_color_png(data: bytes) -> bool:
    """A 16-bit PNG with colour or alpha (IHDR bit depth 16, colour type 2, 4 or 6)."""
    return len(data) >= 26 and data[12:16] == b"IHDR" and data[24] == 16 and data[25] in (2, 4, 6)


def _decode_wide_png(data: bytes, source: str, max_pixels: int, mode: str) -> np.ndarray:
    """Decode a 16-bit colour PNG at 16 bits with OpenCV (Pillow keeps only the high byte)."""
    width, height = struct.unpack_from(">II", data, 16)
    _check_pixels(source, height, width, max_pixels)
    try:
        array = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    except MemoryError:
        raise
    except Exception as error:
        raise ImageDecodeError(source, f"corrupt or truncated image ({_describe(error)})") from error
    if array is None or array.shape[:2] != (height, width):
        raise ImageDecodeError(source, "corrupt or truncated image (OpenCV could not decode the PNG)")
    if array.ndim == 3:  # OpenCV's BGR(A) order; gray + alpha comes back as BGRA
        array = array[:, :, [0, 3]] if data[25] == 4 else array[:, :, [2, 1, 0, 3][: array.shape[2]]]
    orientation = 1
    try:
        with pixel_limit(max_pixels), Image.open(io.BytesIO(data)) as pil:
            orientation = _pil_orientation(pil)
    except Exception:  # the pixels decoded; unreadable metadata means upright, as for other files
        orientation = 1
    return apply_orientation(from_array(array, source, mode), orientation)


# --------------------------------------------------------------------------- Pillow


def _decode_pillow(data: bytes, source: str, max_pixels: int, mode: str, orientation: int | None = None) -> np.ndarray:
    try:
        with pixel_limit(max_pixels), Image.open(io.BytesIO(data)) as pil:
            return _from_pil(pil, source, max_pixels, mode, orientation)
    except ImageDecodeError:
        raise
    except Image.DecompressionBombError as error:
        raise ImageDecodeError(source, f"decompression bomb refused ({error})") from error
    except Image.UnidentifiedImageError as error:
        raise ImageDecodeError(source, "not a recognised image format") from error
    except MemoryError:
        raise
    except Exception as error:  # any failure of the third-party decoder names the file
        raise ImageDecodeError(source, f"corrupt or truncated image ({_describe(error)})") from error


def _decode_pil_image(pil: Image.Image, source: str, max_pixels: int, mode: str) -> np.ndarray:
    try:
        with pixel_limit(max_pixels):
            return _from_pil(pil, source, max_pixels, mode)
    except ImageDecodeError:
        raise
    except Image.DecompressionBombError as error:
        raise ImageDecodeError(source, f"decompression bomb refused ({error})") from error
    except MemoryError as error:
        raise ImageDecodeError(source, "out of memory while decoding") from error
    except Exception as error:
        raise ImageDecodeError(source, f"corrupt or truncated image ({_describe(error)})") from error


def _check_pixels(source: str, height: int, width: int, max_pixels: int) -> None:
    if height * width > max_pixels:
        raise ImageDecodeError(source, f"decompression bomb refused: {width}x{height} exceeds max_pixels={max_pixels}")
    if height == 0 or width == 0:
        raise ImageDecodeError(source, f"image has no pixels ({width}x{height})")


def _pil_orientation(pil: Image.Image) -> int:
    """The EXIF orientation Pillow still reports (its TIFF loader applies and removes it itself)."""
    try:
        value = pil.getexif().get(_EXIF_ORIENTATION_TAG, 1)
        return int(value) if 1 <= int(value) <= 8 else 1
    except Exception:  # unreadable metadata: upright
        return 1


#: Pillow modes converted before their samples are read (palette, premultiplied, other colour models).
_PIL_CONVERSIONS = {
    "1": "L",
    "CMYK": "RGB",
    "YCbCr": "RGB",
    "LAB": "RGB",
    "HSV": "RGB",
    "RGBX": "RGB",
    "RGBa": "RGBA",
    "La": "LA",
    "PA": "RGBA",
}


def _from_pil(pil: Image.Image, source: str, max_pixels: int, mode: str, orientation: int | None = None) -> np.ndarray:
    width, height = pil.size
    _check_pixels(source, height, width, max_pixels)
    pil.load()
    if orientation is None:
        orientation = _pil_orientation(pil)  # read after load: Pillow's TIFF loader turns the image itself
    pil_mode = pil.mode
    if pil_mode == "P":
        pil = pil.convert("RGBA" if "transparency" in pil.info else "RGB")
    elif pil_mode in _PIL_CONVERSIONS:
        pil = pil.convert(_PIL_CONVERSIONS[pil_mode])
    image = from_array(np.asarray(pil), source, mode)
    return apply_orientation(image, orientation) if 1 < orientation <= 8 else image


# --------------------------------------------------------------------------- label masks


def decode_mask(source, *, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Read a label mask (a segmentation map) as an ``(H, W)`` array of class indices.

    A palette PNG gives its palette indices (never the RGB colours they are drawn with); an
    8-bit or 16-bit grayscale image gives its values (uint8 or uint16); a 1-bit image gives
    0 / 1. Colour images are refused: their colours would have to be mapped to classes
    first. EXIF orientation is applied, as for images. An array is checked and returned.

    Args:
        source: A path, bytes, a PIL image, or an ``(H, W)`` integer or bool array.
        max_pixels: Refuse masks declaring more pixels than this.

    Returns:
        ``(H, W)`` uint8 or uint16 array (bool arrays are kept as they are).

    Raises:
        ImageDecodeError: The file is missing, corrupt, too large or not a label image.

    Example:
        >>> from PIL import Image
        >>> pil = Image.fromarray(np.array([[0, 3], [7, 3]], np.uint8), mode="P")
        >>> decode_mask(pil).tolist()
        [[0, 3], [7, 3]]
    """
    max_pixels = check_max_pixels(max_pixels)
    if isinstance(source, np.ndarray):
        if source.ndim != 2 or not (source.dtype == np.bool_ or np.issubdtype(source.dtype, np.integer)):
            raise ImageDecodeError("<array>", f"a mask must be an (H, W) integer or bool array, got {source.dtype} {source.shape}")
        return source
    if isinstance(source, Image.Image):
        return _mask_from_pil(source, "<PIL image>", max_pixels)
    if isinstance(source, (bytes, bytearray, memoryview)):
        data, name = bytes(source), f"<bytes: {len(source)}>"
    elif isinstance(source, (str, os.PathLike)):
        name = os.fspath(source)
        data = read_file(name, max_pixels)
    else:
        raise TypeError(f"cannot read a mask from a {type(source).__name__}: expected a path, bytes, a PIL image or an array")
    if data.startswith(_PNG_MAGIC):
        check_png_chunks(data, name)
    try:
        with pixel_limit(max_pixels), Image.open(io.BytesIO(data)) as pil:
            return _mask_from_pil(pil, name, max_pixels)
    except ImageDecodeError:
        raise
    except Image.UnidentifiedImageError as error:
        raise ImageDecodeError(name, "not a recognised image format") from error
    except Exception as error:
        raise ImageDecodeError(name, f"corrupt or truncated mask ({_describe(error)})") from error


def _mask_from_pil(pil: Image.Image, source: str, max_pixels: int) -> np.ndarray:
    width, height = pil.size
    _check_pixels(source, height, width, max_pixels)
    pil.load()
    orientation = _pil_orientation(pil)
    if pil.mode in ("P", "L", "1"):
        array = np.asarray(pil if pil.mode != "1" else pil.convert("L"), dtype=np.uint8)
        if pil.mode == "1":
            array = (array > 0).astype(np.uint8)
    elif pil.mode.startswith("I;16") or pil.mode == "I":
        array = np.asarray(pil)
        if array.min() < 0 or array.max() > 65535:
            raise ImageDecodeError(source, f"mask values must lie in [0, 65535], got [{array.min()}, {array.max()}]")
        array = array.astype(np.uint16)
    else:
        raise ImageDecodeError(
            source,
            f"a label mask must be a palette, grayscale or 16-bit image, got mode {pil.mode} (map its colours to class indices first)",
        )
    array = np.ascontiguousarray(array)
    if 1 < orientation <= 8:
        array = apply_orientation(array[:, :, None], orientation)[:, :, 0]
    return np.ascontiguousarray(array)


# --------------------------------------------------------------------------- orientation


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


# --------------------------------------------------------------------------- folders


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
    images: list[Path] = []
    skipped: list[Path] = []
    for root, dirs, files in os.walk(top, onerror=on_error, followlinks=True):
        kept: list[str] = []
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
