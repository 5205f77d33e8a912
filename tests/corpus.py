"""A corpus of bad and odd image files, generated (nothing is downloaded), with expected results.

Each ``Case`` is one file (or a directory) and what ``augkit.decode`` must do with it, as
SPEC section 8 and ``augkit/io.py`` document it: either the converted ``(H, W, 3)`` uint8
array (with the exact pixels where the format is lossless), or ``ImageDecodeError`` whose
message names the path and whose reason matches ``error``.

Used by ``tests/test_reliability.py`` and ``scripts/reliability_report.py`` (which writes
the table in ``docs/reliability.md``)::

    from corpus import build_corpus, write_corpus
    for case, path in write_corpus(folder):
        ...
"""

from __future__ import annotations

import functools
import io
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from jpeg_writer import UNREFINED_SCANS, encode_jpeg
from PIL import Image, features

#: The base picture: smooth gradients and stripes, so that JPEG behaves as on a photo.
HEIGHT, WIDTH = 48, 64


@dataclass(frozen=True)
class Case:
    """One corpus input and its documented result.

    Attributes:
        name: Short identifier (also the test id).
        filename: File name to write (its suffix is what a dataset would see).
        what: One line for people: what is odd about it.
        data: The file's bytes, or None for a directory or a special file.
        shape: The expected ``(H, W, 3)`` of the decoded image, or None when it is refused.
        error: Regex the refusal reason must match (None when it decodes).
        pixels: The exact expected pixels, where they are known (lossless formats), else None.
        same_as: Name of another case whose decoded pixels this one must equal, or None.
        transform: With ``same_as``: ``"exif<k>"`` turns the other case's pixels by EXIF
            orientation k (written independently of augkit), else None.
        special: What to create instead of a file from ``data``: ``"fifo"`` (a named pipe),
            ``"dev_zero"`` (a symbolic link to ``/dev/zero``) or ``"sparse"`` (a file of
            ``SPARSE_BYTES`` bytes, a JPEG header then holes); None for a plain file or directory.
    """

    name: str
    filename: str
    what: str
    data: bytes | None
    shape: tuple[int, int, int] | None = None
    error: str | None = None
    pixels: np.ndarray | None = None
    same_as: str | None = None
    transform: str | None = None
    special: str | None = None

    @property
    def decodes(self) -> bool:
        """True when the documented result is an image (not ``ImageDecodeError``)."""
        return self.error is None

    @property
    def expected(self) -> str:
        """The documented result in words, for the report."""
        if self.decodes:
            return f"RGB {self.shape[0]}x{self.shape[1]}"
        return f"ImageDecodeError /{self.error}/"


def base_image(height: int = HEIGHT, width: int = WIDTH) -> np.ndarray:
    """A deterministic HWC uint8 RGB picture with smooth and sharp structure."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    red = 255 * x / max(width - 1, 1)
    green = 255 * y / max(height - 1, 1)
    blue = 127.5 + 100 * np.sin(x / 3.0) * np.cos(y / 5.0)
    image = np.stack([red, green, blue], axis=2)
    image[height // 3 : height // 2, width // 4 : width // 2] = (250, 20, 30)
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def encode(image, fmt: str = "PNG", **kwargs) -> bytes:
    """Encode an array or PIL image with Pillow."""
    buffer = io.BytesIO()
    (image if isinstance(image, Image.Image) else Image.fromarray(image)).save(buffer, fmt, **kwargs)
    return buffer.getvalue()


def _composite(color: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """The documented compositing on black: round(rgb * alpha / 255), gray repeated."""
    out = np.rint(color.astype(np.float64) * alpha[..., None].astype(np.float64) / 255.0).astype(np.uint8)
    return np.repeat(out, 3, axis=2) if out.shape[2] == 1 else out


def _exif(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif.tobytes()


def exif_upright(image: np.ndarray, orientation: int) -> np.ndarray:
    """What EXIF orientation ``k`` means, written with Pillow's transposes (independent of augkit)."""
    op = {
        2: Image.Transpose.FLIP_LEFT_RIGHT,
        3: Image.Transpose.ROTATE_180,
        4: Image.Transpose.FLIP_TOP_BOTTOM,
        5: Image.Transpose.TRANSPOSE,
        6: Image.Transpose.ROTATE_270,
        7: Image.Transpose.TRANSVERSE,
        8: Image.Transpose.ROTATE_90,
    }.get(orientation)
    return image if op is None else np.asarray(Image.fromarray(image).transpose(op))


def _png_chunk(data: bytes, kind: bytes) -> tuple[int, int]:
    """Return ``(start of the chunk's data, its length)``."""
    start = data.index(kind) + 4
    (length,) = struct.unpack(">I", data[start - 8 : start - 4])
    return start, length


def _png_declaring(width: int, height: int) -> bytes:
    """A real PNG whose IHDR claims another size, CRC fixed (nothing big is allocated to make it)."""
    data = bytearray(encode(base_image(8, 8)))
    start, _ = _png_chunk(bytes(data), b"IHDR")
    data[start : start + 8] = struct.pack(">II", width, height)
    data[start + 13 : start + 17] = struct.pack(">I", zlib.crc32(bytes(data[start - 4 : start + 13])))
    return bytes(data)


def _jpeg_declaring(width: int, height: int) -> bytes:
    """A real JPEG whose SOF0 header claims another size."""
    data = bytearray(encode(base_image(8, 8), "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def _gif_declaring(width: int, height: int) -> bytes:
    """A GIF whose logical screen and only frame claim another size."""
    data = bytearray(encode(np.zeros((4, 4), np.uint8), "GIF"))
    data[6:10] = struct.pack("<HH", width, height)
    frame = data.index(b"\x2c")
    data[frame + 5 : frame + 9] = struct.pack("<HH", width, height)
    return bytes(data)


def _animated_gif() -> tuple[bytes, np.ndarray]:
    """A three-frame GIF of flat colour blocks (exact under the palette); returns its first frame."""
    frames = []
    for k, color in enumerate([(255, 0, 0), (0, 255, 0), (0, 0, 255)]):
        frame = np.zeros((20, 30, 3), np.uint8)
        frame[:, : 10 * (k + 1)] = color
        frames.append(Image.fromarray(frame))
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=50, loop=0)
    return buffer.getvalue(), np.asarray(frames[0])


def _cmyk_jpeg() -> bytes:
    return encode(Image.fromarray(base_image()).convert("CMYK"), "JPEG", quality=90)


def _exif_long(orientation: int) -> bytes:
    """An EXIF block whose Orientation is stored as a LONG (type 4), as some writers do."""
    return b"Exif\x00\x00II*\x00" + struct.pack("<IHHHII", 8, 1, 0x0112, 4, 1, orientation) + struct.pack("<I", 0)


def _tiff_with_orientation(image: np.ndarray, orientation: int) -> bytes:
    """A lossless TIFF storing ``image`` with an EXIF Orientation tag in its IFD."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encode(image, "TIFF", exif=exif.tobytes())


def _drop_refinement_scans(progressive: bytes) -> bytes:
    """A Pillow progressive JPEG without its refinement scans (valid: coefficients stay unrefined)."""
    out, position = bytearray(), 0
    starts = []
    while True:
        found = progressive.find(b"\xff\xda", position)
        if found < 0:
            break
        starts.append(found)
        position = found + 2
    out += progressive[: starts[0]]
    ends = starts[1:] + [progressive.rindex(b"\xff\xd9")]
    for start, end in zip(starts, ends):
        ah_al = progressive[start + 4 + 2 * progressive[start + 4] + 3]
        if ah_al >> 4 == 0:  # a first scan (Ah = 0): kept; refinement scans (Ah > 0) dropped
            out += progressive[start:end]
    return bytes(out + b"\xff\xd9")


def _wide_rgb() -> np.ndarray:
    """A 16-bit RGB picture whose values are not multiples of 257 (Pillow's high byte would be off)."""
    rgb = base_image().astype(np.uint32)
    return (rgb * 257 + (np.arange(rgb.size).reshape(rgb.shape) * 97) % 257).astype(np.uint16)


#: Size of the ``"sparse"`` special case: more than ``max_file_bytes`` at the default pixel limit.
SPARSE_BYTES = 5 << 30


def special_files_supported() -> bool:
    """True where named pipes, ``/dev/zero`` and sparse files exist (POSIX)."""
    return hasattr(os, "mkfifo") and os.path.exists("/dev/zero")


def _truncations(jpeg: bytes) -> list[tuple[str, int, str]]:
    scan = jpeg.index(b"\xff\xda")
    return [
        ("soi_only", 2, "the 2-byte SOI marker alone"),
        ("in_header", 40, "cut inside the headers (40 bytes)"),
        ("at_scan", scan + 4, "cut just after the start-of-scan marker"),
        ("half", len(jpeg) // 2, "cut at half the file"),
        ("most", int(len(jpeg) * 0.95), "cut at 95% of the file"),
        ("no_eoi", len(jpeg) - 2, "only the end-of-image marker missing"),
    ]


@functools.lru_cache(maxsize=1)
def build_corpus() -> tuple[Case, ...]:
    """Build every case (bytes and expectations), once per process."""
    rgb = base_image()
    h, w = rgb.shape[:2]
    jpeg = encode(rgb, "JPEG", quality=90)
    png = encode(rgb)
    cases: list[Case] = []
    add = cases.append

    # --- controls and small images --------------------------------------------------------
    add(Case("png_rgb", "rgb.png", "plain RGB PNG (control)", png, (h, w, 3), pixels=rgb))
    add(Case("jpeg_rgb", "rgb.jpg", "plain baseline JPEG (control)", jpeg, (h, w, 3)))
    for name, (ch, cw) in {"png_1x1": (1, 1), "png_1x40": (1, 40), "png_40x1": (40, 1), "png_5x7": (5, 7)}.items():
        small = base_image(ch, cw)
        add(Case(name, f"{name[4:]}.png", f"{ch}x{cw} image (smaller than every crop)", encode(small), (ch, cw, 3), pixels=small))
    add(Case("jpeg_1x1", "1x1.jpg", "1x1 JPEG", encode(base_image(1, 1), "JPEG"), (1, 1, 3)))

    # --- pixel modes -----------------------------------------------------------------------
    gray = rgb[..., 1].copy()
    add(Case("png_gray", "gray.png", "grayscale PNG (mode L)", encode(gray), (h, w, 3), pixels=np.repeat(gray[..., None], 3, axis=2)))
    add(Case("jpeg_gray", "gray.jpg", "grayscale JPEG", encode(gray, "JPEG"), (h, w, 3)))
    palette = Image.fromarray(rgb).quantize(16)
    add(Case("png_palette", "palette.png", "palette PNG (mode P)", encode(palette), (h, w, 3), pixels=np.asarray(palette.convert("RGB"))))
    indices = np.asarray(palette)
    add(
        Case(
            "png_palette_trns",
            "palette_trns.png",
            "palette PNG with a transparent index",
            encode(palette, transparency=int(indices[0, 0])),
            (h, w, 3),
            pixels=np.where((indices == indices[0, 0])[..., None], 0, np.asarray(palette.convert("RGB"))).astype(np.uint8),
        )
    )
    alpha = np.linspace(0, 255, w, dtype=np.float64).round().astype(np.uint8)[None, :].repeat(h, 0)
    rgba = np.dstack([rgb, alpha])
    add(Case("png_rgba", "rgba.png", "RGBA PNG with an alpha ramp", encode(rgba), (h, w, 3), pixels=_composite(rgb, alpha)))
    la = np.dstack([gray, alpha])
    add(
        Case(
            "png_la",
            "la.png",
            "gray + alpha PNG (mode LA)",
            encode(Image.fromarray(la, "LA")),
            (h, w, 3),
            pixels=_composite(gray[..., None], alpha),
        )
    )
    add(Case("jpeg_cmyk", "cmyk.jpg", "CMYK JPEG (Adobe)", _cmyk_jpeg(), (h, w, 3)))
    wide = (np.arange(h * w, dtype=np.uint32).reshape(h, w) * 37 % 65536).astype(np.uint16)
    eight = ((wide.astype(np.int64) + 128) // 257).astype(np.uint8)
    add(
        Case(
            "png_16bit",
            "gray16.png",
            "16-bit grayscale PNG (mode I;16)",
            encode(Image.fromarray(wide)),
            (h, w, 3),
            pixels=np.repeat(eight[..., None], 3, axis=2),
        )
    )

    # --- EXIF orientation ----------------------------------------------------------------------
    for k in range(1, 9):
        shape = (w, h, 3) if k >= 5 else (h, w, 3)
        add(
            Case(
                f"jpeg_exif{k}",
                f"exif{k}.jpg",
                f"JPEG with EXIF orientation {k}",
                encode(rgb, "JPEG", quality=90, exif=_exif(k)),
                shape,
                same_as="jpeg_exif1",
                transform=f"exif{k}",
            )
        )

    # --- other formats -----------------------------------------------------------------------
    gif, first = _animated_gif()
    add(Case("gif_animated", "animated.gif", "animated GIF, 3 frames (first frame kept)", gif, first.shape, pixels=first))
    if features.check("webp"):
        add(Case("webp_lossless", "lossless.webp", "lossless WebP", encode(rgb, "WEBP", lossless=True), (h, w, 3), pixels=rgb))
        add(Case("webp_lossy", "lossy.webp", "lossy WebP", encode(rgb, "WEBP", quality=80), (h, w, 3)))
    add(Case("tiff_rgb", "rgb.tiff", "RGB TIFF (uncompressed)", encode(rgb, "TIFF"), (h, w, 3), pixels=rgb))
    pages = io.BytesIO()
    Image.fromarray(rgb).save(pages, "TIFF", save_all=True, append_images=[Image.fromarray(rgb[::-1].copy())], compression="tiff_deflate")
    add(Case("tiff_multipage", "pages.tif", "2-page deflate TIFF (first page kept)", pages.getvalue(), (h, w, 3), pixels=rgb))
    add(
        Case(
            "jpeg_trailing_garbage",
            "trailing.jpg",
            "JPEG with 4 KiB of garbage after EOI",
            jpeg + bytes(range(256)) * 16,
            (h, w, 3),
            same_as="jpeg_rgb",
        )
    )

    # --- JPEG sampling layouts and scan scripts (decoded by plain libjpeg where TurboJPEG cannot) ----
    layouts = {
        "jpeg_441": ("441.jpg", "4:4:1 JPEG (luma sampled 1x4, chroma 1x1)", ((1, 4), (1, 1), (1, 1))),
        "jpeg_410": ("410.jpg", "4:1:0 JPEG (luma 4x2, chroma 1x1)", ((4, 2), (1, 1), (1, 1))),
        "jpeg_h3v1": ("h3v1.jpg", "JPEG with luma sampled 3x1", ((3, 1), (1, 1), (1, 1))),
        "jpeg_chroma_finer": (
            "chroma_finer.jpg",
            "JPEG whose chroma is sampled more finely than luma (1x1, 2x2, 2x2)",
            ((1, 1), (2, 2), (2, 2)),
        ),
    }
    for name, (filename, what, sampling) in layouts.items():
        add(Case(name, filename, what, encode_jpeg(rgb, sampling), (h, w, 3)))
    flipped = bytearray(encode(rgb, "JPEG", quality=90, subsampling=0))
    flipped[flipped.index(b"\xff\xc0") + 11] = 0x14  # luma sampling 1x1 -> 1x4: the scan no longer fits
    add(
        Case(
            "jpeg_sof_sampling_flipped",
            "sof_sampling.jpg",
            "4:4:4 JPEG whose luma sampling byte reads 1x4",
            bytes(flipped),
            error="corrupt",
        )
    )
    add(
        Case(
            "jpeg_progressive_unrefined",
            "unrefined.jpg",
            "progressive JPEG never refined (DC, then one AC scan per component at Al=1)",
            encode_jpeg(rgb, scans=UNREFINED_SCANS),
            (h, w, 3),
        )
    )
    add(
        Case(
            "jpeg_progressive_cut_scans",
            "cut_scans.jpg",
            "Pillow progressive JPEG with its refinement scans removed",
            _drop_refinement_scans(encode(rgb, "JPEG", quality=90, progressive=True)),
            (h, w, 3),
        )
    )
    add(
        Case(
            "jpeg_exif_long6",
            "exif_long6.jpg",
            "JPEG with EXIF orientation 6 stored as a LONG",
            encode(rgb, "JPEG", quality=90, exif=_exif_long(6)),
            (w, h, 3),
            same_as="jpeg_exif1",
            transform="exif6",
        )
    )
    cmyk = Image.fromarray(rgb).convert("CMYK")
    add(
        Case(
            "jpeg_cmyk_exif_long6",
            "cmyk_exif_long6.jpg",
            "CMYK JPEG with EXIF orientation 6 stored as a LONG",
            encode(cmyk, "JPEG", quality=90, exif=_exif_long(6)),
            (w, h, 3),
            same_as="jpeg_cmyk",
            transform="exif6",
        )
    )

    # --- TIFF orientation, 16-bit colour, float samples -----------------------------------------
    for k in (3, 6, 8):
        shape = (w, h, 3) if k >= 5 else (h, w, 3)
        add(
            Case(
                f"tiff_exif{k}",
                f"exif{k}.tiff",
                f"TIFF with EXIF orientation {k}",
                _tiff_with_orientation(rgb, k),
                shape,
                pixels=exif_upright(rgb, k),
            )
        )
    wide_rgb = _wide_rgb()
    ok, png16 = cv2.imencode(".png", np.ascontiguousarray(wide_rgb[:, :, ::-1]))
    add(
        Case(
            "png_rgb16",
            "rgb16.png",
            "16-bit RGB PNG (values not multiples of 257)",
            png16.tobytes(),
            (h, w, 3),
            pixels=((wide_rgb.astype(np.int64) + 128) // 257).astype(np.uint8),
        )
    )
    unit = (gray.astype(np.float32) / 255.0) ** 1.5
    add(
        Case(
            "tiff_float01",
            "float01.tiff",
            "float32 TIFF with values in [0, 1]",
            encode(Image.fromarray(unit, "F"), "TIFF"),
            (h, w, 3),
            pixels=np.repeat(np.rint(unit.astype(np.float64) * 255).astype(np.uint8)[..., None], 3, axis=2),
        )
    )
    add(
        Case(
            "tiff_float255",
            "float255.tiff",
            "float32 TIFF with values in [0, 255] (outside the float convention)",
            encode(Image.fromarray(gray.astype(np.float32), "F"), "TIFF"),
            error=r"outside \[0, 1\]",
        )
    )

    # --- refused ------------------------------------------------------------------------------
    add(Case("zero_bytes", "empty.jpg", "zero-byte file", b"", error="empty file"))
    add(
        Case(
            "text_as_jpg",
            "notes.jpg",
            "a text file named .jpg",
            b"these are not the pixels you are looking for\n" * 20,
            error="not a recognised image format",
        )
    )
    add(Case("directory_png", "folder.png", "a directory named .png", None, error="is a directory"))
    for name, cut, what in _truncations(jpeg):
        add(Case(f"jpeg_cut_{name}", f"cut_{name}.jpg", f"truncated JPEG: {what}", jpeg[:cut], error="corrupt|truncated|not a recognised"))
    scan = jpeg.index(b"\xff\xda")
    middle = scan + (len(jpeg) - scan) // 2
    add(
        Case(
            "jpeg_rst_in_scan",
            "rst.jpg",
            "JPEG with a stray RST marker in the scan (libjpeg warns and recovers)",
            jpeg[:middle] + b"\xff\xd3" + jpeg[middle:],
            error="corrupt",
        )
    )
    add(
        Case(
            "jpeg_eoi_in_scan",
            "early_eoi.jpg",
            "JPEG with an EOI marker in mid-scan",
            jpeg[:middle] + b"\xff\xd9" + jpeg[middle:],
            error="corrupt",
        )
    )
    dht = jpeg.index(b"\xff\xc4")
    bad_marker = jpeg[:dht] + b"\xff\x01" + jpeg[dht + 2 :]
    add(Case("jpeg_bad_marker", "bad_marker.jpg", "JPEG whose DHT marker is overwritten (0xFF01)", bad_marker, error="corrupt"))
    sof = jpeg.index(b"\xff\xc0")
    add(
        Case(
            "jpeg_sof_garbled",
            "bad_sof.jpg",
            "JPEG whose SOF segment is zeroed",
            jpeg[: sof + 4] + b"\x00" * 15 + jpeg[sof + 19 :],
            error="corrupt",
        )
    )
    start, length = _png_chunk(png, b"IDAT")
    crc = bytearray(png)
    crc[start + length] ^= 0xFF
    add(Case("png_bad_crc_idat", "bad_crc.png", "PNG whose IDAT CRC is wrong (data intact)", bytes(crc), error="bad CRC in chunk IDAT"))
    flipped = bytearray(png)
    flipped[start + length // 2] ^= 0x10
    add(
        Case(
            "png_corrupt_idat",
            "corrupt_idat.png",
            "PNG with a flipped bit in IDAT (stale CRC)",
            bytes(flipped),
            error="bad CRC in chunk IDAT",
        )
    )
    header = bytearray(png)
    header[_png_chunk(png, b"IHDR")[0] + 13] ^= 0xFF
    add(Case("png_bad_crc_ihdr", "bad_ihdr.png", "PNG whose IHDR CRC is wrong", bytes(header), error="bad CRC in chunk IHDR"))
    add(Case("png_truncated", "cut.png", "PNG cut at half the file", png[: len(png) // 2], error="corrupt|truncated"))
    add(
        Case("bomb_png", "bomb.png", "PNG declaring 30000x30000 (a 90-byte file)", _png_declaring(30000, 30000), error="decompression bomb")
    )
    add(Case("bomb_jpeg", "bomb.jpg", "JPEG declaring 40000x40000", _jpeg_declaring(40000, 40000), error="decompression bomb"))
    add(Case("bomb_gif", "bomb.gif", "GIF declaring 65535x65535", _gif_declaring(65535, 65535), error="decompression bomb"))
    if special_files_supported():
        add(Case("fifo_jpg", "pipe.jpg", "a named pipe (FIFO) named .jpg, no writer", None, error="not a regular file", special="fifo"))
        add(
            Case(
                "dev_zero_jpg", "zero.jpg", "a symbolic link to /dev/zero named .jpg", None, error="not a regular file", special="dev_zero"
            )
        )
        add(Case("huge_sparse_jpg", "huge.jpg", "a 5 GiB (sparse) file starting as a JPEG", None, error="file too large", special="sparse"))
    return tuple(cases)


def case_named(name: str) -> Case:
    """Return the corpus case called ``name``."""
    for case in build_corpus():
        if case.name == name:
            return case
    raise KeyError(name)


def materialize(case: Case, path) -> Path:
    """Create ``case`` at ``path``: its bytes, a directory, or its special file."""
    path = Path(path)
    if case.special == "fifo":
        os.mkfifo(path)
    elif case.special == "dev_zero":
        path.symlink_to("/dev/zero")
    elif case.special == "sparse":
        with open(path, "wb") as handle:
            handle.write(encode(base_image(8, 8), "JPEG"))
            handle.truncate(SPARSE_BYTES)
    elif case.data is None:
        path.mkdir(exist_ok=True)
    else:
        path.write_bytes(case.data)
    return path


def write_corpus(folder) -> list[tuple[Case, Path]]:
    """Write every case into ``folder`` (created if needed); return ``(case, path)`` pairs."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return [(case, materialize(case, folder / case.filename)) for case in build_corpus()]


def expected_pixels(case: Case, decoded: dict[str, np.ndarray]) -> np.ndarray | None:
    """The exact pixels ``case`` must decode to, given the decoded images of other cases."""
    if case.pixels is not None:
        return case.pixels
    if case.same_as is None:
        return None
    other = decoded[case.same_as]
    if case.transform and case.transform.startswith("exif"):
        return exif_upright(other, int(case.transform[4:]))
    return other
