"""augkit.decode: every input kind, every pixel mode, EXIF orientation, and bad input."""

from __future__ import annotations

import io
import pickle
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
import simplejpeg
from PIL import Image, ImageOps, features

import augkit
from augkit import ImageDecodeError
from augkit.samples import sample_paths

JPEG_SAMPLES = [p for p in sample_paths() if p.suffix.lower() in (".jpg", ".jpeg")]


@pytest.fixture(scope="module")
def small(sample_images) -> np.ndarray:
    """A small non-square natural image (so orientation mistakes change the shape)."""
    return np.ascontiguousarray(sample_images["chelsea.png"][100:140, 150:206])


def encode(image, fmt: str = "PNG", **kwargs) -> bytes:
    buffer = io.BytesIO()
    (image if isinstance(image, Image.Image) else Image.fromarray(image)).save(buffer, fmt, **kwargs)
    return buffer.getvalue()


def pil_rgb(data: bytes) -> np.ndarray:
    """Pillow's reference decode: open, apply EXIF orientation, convert to RGB."""
    return np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB"))


def composite_on_black(rgba: np.ndarray) -> np.ndarray:
    color, alpha = rgba[..., :-1].astype(np.float64), rgba[..., -1:].astype(np.float64)
    out = np.rint(color * alpha / 255.0).astype(np.uint8)
    return np.repeat(out, 3, axis=2) if out.shape[2] == 1 else out


def check_rgb(out: np.ndarray, shape) -> None:
    assert out.dtype == np.uint8 and out.ndim == 3 and out.shape[2] == 3
    assert out.shape[:2] == tuple(shape) and out.flags.c_contiguous


# --- input kinds ---------------------------------------------------------------------------


def test_path_bytes_pil_and_array_agree(tmp_path, small):
    data = encode(small)
    path = tmp_path / "small.png"
    path.write_bytes(data)
    expected = augkit.decode(path)
    check_rgb(expected, small.shape[:2])
    np.testing.assert_array_equal(expected, small)
    for source in (str(path), data, bytearray(data), memoryview(data), Image.open(path), small):
        np.testing.assert_array_equal(augkit.decode(source), expected)


def test_decoding_a_pil_image_or_array_leaves_it_unchanged(small):
    pil = Image.fromarray(np.dstack([small, np.full(small.shape[:2], 128, np.uint8)]), "RGBA")
    augkit.decode(pil)
    assert pil.mode == "RGBA"
    array = small.copy()
    augkit.decode(array)
    np.testing.assert_array_equal(array, small)


@pytest.mark.parametrize("source", [42, None, [1, 2, 3], 3.5])
def test_unsupported_source_type_is_a_type_error(source):
    with pytest.raises(TypeError, match="cannot decode a"):
        augkit.decode(source)


def test_array_inputs():
    gray = np.arange(12, dtype=np.uint8).reshape(3, 4)
    np.testing.assert_array_equal(augkit.decode(gray), np.repeat(gray[:, :, None], 3, axis=2))
    np.testing.assert_array_equal(augkit.decode(gray[:, :, None]), np.repeat(gray[:, :, None], 3, axis=2))
    rgba = np.random.default_rng(0).integers(0, 256, (3, 4, 4), dtype=np.uint8)
    np.testing.assert_array_equal(augkit.decode(rgba), composite_on_black(rgba))
    wide = np.array([[0, 257, 65535, 128]], dtype=np.uint16)
    assert augkit.decode(wide)[0, :, 0].tolist() == [0, 1, 255, 0]
    assert augkit.decode(np.array([[True, False]]))[0, :, 0].tolist() == [255, 0]
    # float: the [0, 1] convention, checked
    assert augkit.decode(np.array([[0.0, 0.5, 1.0, 0.001]], np.float32))[0, :, 0].tolist() == [0, 128, 255, 0]
    with pytest.raises(ImageDecodeError, match=r"outside \[0, 1\].*mode='unchanged'"):
        augkit.decode(np.array([[0.4, 254.6]], np.float32))
    with pytest.raises(ImageDecodeError, match="NaN"):
        augkit.decode(np.array([[np.nan]], np.float32))
    with pytest.raises(ImageDecodeError, match="unsupported array shape"):
        augkit.decode(np.zeros((2, 2, 5), np.uint8))
    with pytest.raises(ImageDecodeError, match="no pixels"):
        augkit.decode(np.zeros((0, 2, 3), np.uint8))
    with pytest.raises(TypeError, match="unsupported pixel type complex64"):
        augkit.decode(np.zeros((2, 2, 3), np.complex64))


# --- pixel modes ---------------------------------------------------------------------------


def test_grayscale_png_and_jpeg(small):
    gray = np.asarray(Image.fromarray(small).convert("L"))
    np.testing.assert_array_equal(augkit.decode(encode(gray)), np.repeat(gray[:, :, None], 3, axis=2))
    data = encode(gray, "JPEG", quality=90)  # the simplejpeg path, gray -> RGB
    np.testing.assert_array_equal(augkit.decode(data), pil_rgb(data))


def test_one_bit_png():
    bits = Image.fromarray(np.array([[0, 255, 0], [255, 255, 0]], np.uint8)).convert("1")
    assert augkit.decode(encode(bits))[:, :, 0].tolist() == [[0, 255, 0], [255, 255, 0]]


def test_palette_without_transparency(small):
    palette = Image.fromarray(small).quantize(16)
    assert palette.mode == "P"
    out = augkit.decode(encode(palette))
    np.testing.assert_array_equal(out, np.asarray(palette.convert("RGB")))


def test_palette_with_transparency_is_composited_on_black(small):
    palette = Image.fromarray(small).quantize(16)
    data = encode(palette, transparency=3)  # colour index 3 fully transparent
    reopened = Image.open(io.BytesIO(data))
    assert "transparency" in reopened.info
    expected = composite_on_black(np.asarray(reopened.convert("RGBA")))
    out = augkit.decode(data)
    np.testing.assert_array_equal(out, expected)
    index = np.asarray(reopened)
    assert (index == 3).any() and (out[index == 3] == 0).all()


def test_rgba_and_la_are_composited_on_black(small):
    alpha = np.tile(np.linspace(0, 255, small.shape[1]).astype(np.uint8), (small.shape[0], 1))
    rgba = np.dstack([small, alpha])
    out = augkit.decode(encode(rgba))
    np.testing.assert_array_equal(out, composite_on_black(rgba))
    assert (out[:, 0] == 0).all() and np.array_equal(out[:, -1], small[:, -1])  # alpha 0 and 255
    gray = np.asarray(Image.fromarray(small).convert("L"))
    la = Image.fromarray(np.dstack([gray, alpha]), "LA")
    np.testing.assert_array_equal(augkit.decode(encode(la)), composite_on_black(np.dstack([gray, alpha])))


def test_cmyk_jpeg(small):
    data = encode(Image.fromarray(small).convert("CMYK"), "JPEG", quality=95)
    assert Image.open(io.BytesIO(data)).mode == "CMYK"
    out = augkit.decode(data)
    check_rgb(out, small.shape[:2])
    np.testing.assert_array_equal(out, pil_rgb(data))
    assert np.abs(out.astype(int) - small.astype(int)).mean() < 8  # still the same picture


def test_sixteen_bit_png():
    values = np.array([[0, 1, 128, 129], [257, 32767, 65279, 65535]], dtype=np.uint16)
    data = encode(Image.fromarray(values))
    assert Image.open(io.BytesIO(data)).mode in ("I;16", "I")
    out = augkit.decode(data)
    expected = np.rint(values / 257.0).astype(np.uint8)
    np.testing.assert_array_equal(out, np.repeat(expected[:, :, None], 3, axis=2))


def test_animated_gif_gives_the_first_frame():
    frames = [Image.fromarray(np.full((4, 5, 3), v, np.uint8)) for v in (10, 200)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:])
    out = augkit.decode(buffer.getvalue())
    check_rgb(out, (4, 5))
    np.testing.assert_array_equal(out, np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")))


# --- EXIF orientation ----------------------------------------------------------------------


def with_orientation(image: np.ndarray, fmt: str, orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    extra = {"JPEG": {"quality": 95}, "WEBP": {"lossless": True}, "PNG": {}}[fmt]
    return encode(image, fmt, exif=exif.tobytes(), **extra)


EXIF_FORMATS = ["JPEG", "PNG"] + (["WEBP"] if features.check("webp") else [])


@pytest.mark.parametrize("fmt", EXIF_FORMATS)
@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_matches_pillow_exif_transpose(small, fmt, orientation):
    data = with_orientation(small, fmt, orientation)
    assert Image.open(io.BytesIO(data)).getexif().get(0x0112) == orientation
    out = augkit.decode(data)
    expected = pil_rgb(data)
    assert out.shape == expected.shape
    assert out.shape[:2] == (small.shape[:2] if orientation <= 4 else small.shape[1::-1])
    np.testing.assert_array_equal(out, expected)
    if fmt != "JPEG":  # lossless: the stored pixels come back turned upright
        np.testing.assert_array_equal(out, np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(data)))))


def test_exif_orientation_of_a_pil_image(small):
    data = with_orientation(small, "PNG", 6)
    np.testing.assert_array_equal(augkit.decode(Image.open(io.BytesIO(data))), np.rot90(small, -1))


# --- the JPEG path (simplejpeg) against Pillow ---------------------------------------------


@pytest.mark.parametrize("path", JPEG_SAMPLES, ids=lambda p: p.name)
def test_jpeg_path_equals_pillow_on_samples(path):
    data = path.read_bytes()
    out = augkit.decode(data)
    expected = pil_rgb(data)
    assert out.shape == expected.shape
    # Both are libjpeg-turbo with the accurate DCT and fancy upsampling: measured identical.
    assert np.abs(out.astype(int) - expected.astype(int)).max() <= 1


@pytest.mark.parametrize("subsampling", [0, 1, 2])
def test_jpeg_path_equals_pillow_for_each_chroma_subsampling(sample_images, subsampling):
    data = encode(sample_images["coffee.png"][:120, :160], "JPEG", quality=90, subsampling=subsampling)
    assert np.abs(augkit.decode(data).astype(int) - pil_rgb(data).astype(int)).max() <= 1


# --- bad input -----------------------------------------------------------------------------


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def check_refused(path: Path, pattern: str, **kwargs) -> ImageDecodeError:
    with pytest.raises(ImageDecodeError, match=pattern) as info:
        augkit.decode(path, **kwargs)
    assert str(path) in str(info.value) and info.value.source == str(path)
    return info.value


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9, 0.99])
def test_truncated_jpeg_is_refused_naming_the_path(tmp_path, fraction):
    data = JPEG_SAMPLES[0].read_bytes()
    check_refused(write(tmp_path, "cut.jpg", data[: int(len(data) * fraction)]), "corrupt|truncated")


def test_truncated_png_is_refused_naming_the_path(tmp_path, small):
    data = encode(small)
    check_refused(write(tmp_path, "cut.png", data[: len(data) // 2]), "corrupt|truncated")


def corruptions(data: bytes):
    """JPEGs that libjpeg reports as corrupt but recovers from (gray or garbled pixels)."""
    scan = data.index(b"\xff\xda")
    for fraction in (0.2, 0.5, 0.95):
        position = scan + int((len(data) - scan) * fraction)
        for inserted in (b"\xff\xd3", b"\xff\xd9", b"\x00\xff\xff\xd0", b"\xff\xc4\x00\x00"):
            yield data[:position] + inserted + data[position:]


@pytest.mark.parametrize("cmyk", [False, True], ids=["rgb", "cmyk"])
def test_jpeg_that_libjpeg_recovers_from_is_refused(tmp_path, sample_images, cmyk):
    image = Image.fromarray(sample_images["chelsea.png"][:96, :128])
    data = encode(image.convert("CMYK") if cmyk else image, "JPEG", quality=90)
    for i, broken in enumerate(corruptions(data)):
        simplejpeg.decode_jpeg(broken, colorspace="CMYK" if cmyk else "RGB", strict=False)  # libjpeg recovers...
        check_refused(write(tmp_path, f"broken{i}.jpg", broken), "corrupt")  # ...augkit refuses


def test_jpeg_with_flipped_bits_is_refused_or_decoded_to_the_intact_pixels(tmp_path):
    # Flipped bits in the entropy-coded data may go unnoticed by libjpeg (then nothing can
    # tell), but whatever libjpeg does notice must be refused, never half-decoded.
    data = JPEG_SAMPLES[0].read_bytes()
    intact = augkit.decode(data)
    scan = data.index(b"\xff\xda")
    rng = np.random.default_rng(0)
    refused = 0
    for trial in range(12):
        broken = bytearray(data)
        for position in rng.integers(scan + 200, len(data) - 10, size=3):
            broken[position] ^= 0x5A
        try:
            simplejpeg.decode_jpeg(bytes(broken), strict=True)
        except ValueError:
            check_refused(write(tmp_path, f"broken{trial}.jpg", bytes(broken)), "corrupt")
            refused += 1
            continue
        out = augkit.decode(bytes(broken))
        assert out.shape == intact.shape
    assert refused > 0


def test_corrupt_jpeg_header_is_refused(tmp_path):
    data = bytearray(JPEG_SAMPLES[0].read_bytes()[:600])
    check_refused(write(tmp_path, "header.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 40), "corrupt")
    data[4:] = b"\x00" * (len(data) - 4)
    check_refused(write(tmp_path, "zeros.jpg", bytes(data)), "corrupt")


def test_non_image_file_is_refused(tmp_path):
    check_refused(write(tmp_path, "notes.jpg", b"these are not the pixels you are looking for\n" * 10), "not a recognised image format")


def test_zero_byte_file_is_refused(tmp_path):
    check_refused(write(tmp_path, "empty.png", b""), "empty file")
    with pytest.raises(ImageDecodeError, match="empty file"):
        augkit.decode(b"")


def test_directory_is_refused(tmp_path):
    folder = tmp_path / "folder.jpg"
    folder.mkdir()
    check_refused(folder, "is a directory")


def test_missing_file_is_refused(tmp_path):
    error = check_refused(tmp_path / "missing.jpg", "No such file")
    assert isinstance(error, ValueError)  # ImageDecodeError is a ValueError


def jpeg_declaring(width: int, height: int, small) -> bytes:
    """A tiny real JPEG whose SOF header claims another size (no pixels are allocated)."""
    data = bytearray(encode(small[:8, :8], "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def png_declaring(width: int, height: int, small) -> bytes:
    """A tiny real PNG whose IHDR claims another size, with a correct CRC."""
    data = bytearray(encode(small[:8, :8]))
    start = data.index(b"IHDR")
    data[start + 4 : start + 12] = struct.pack(">II", width, height)
    data[start + 17 : start + 21] = struct.pack(">I", zlib.crc32(bytes(data[start : start + 17])))
    return bytes(data)


@pytest.mark.parametrize("size", [(30000, 30000), (12000, 10000)])
@pytest.mark.parametrize("kind", ["jpg", "png"])
def test_decompression_bombs_are_refused(tmp_path, small, size, kind):
    make = jpeg_declaring if kind == "jpg" else png_declaring
    data = make(*size, small)
    if kind == "png":
        assert Image.open(io.BytesIO(png_declaring(9, 9, small))).size == (9, 9)  # the crafted IHDR is valid
    check_refused(write(tmp_path, f"bomb.{kind}", data), "decompression bomb")


def test_max_pixels_is_configurable(tmp_path, small):
    for kind, data in (("jpg", encode(small, "JPEG")), ("png", encode(small))):
        path = write(tmp_path, f"small.{kind}", data)
        check_refused(path, "decompression bomb", max_pixels=small.shape[0] * small.shape[1] - 1)
        assert augkit.decode(path, max_pixels=small.shape[0] * small.shape[1]).shape == small.shape
    with pytest.raises(ImageDecodeError, match="decompression bomb"):
        augkit.decode(Image.fromarray(small), max_pixels=100)


def test_zero_sized_jpeg_header_is_refused(tmp_path, small):
    with pytest.raises(ImageDecodeError):
        augkit.decode(write(tmp_path, "zero.jpg", jpeg_declaring(0, 8, small)))


def test_image_decode_error_pickles():
    error = ImageDecodeError("/data/a.jpg", "corrupt or truncated JPEG")
    clone = pickle.loads(pickle.dumps(error))
    assert type(clone) is ImageDecodeError
    assert (clone.source, clone.reason, str(clone)) == (error.source, error.reason, str(error))
    assert "/data/a.jpg" in str(clone)


def test_image_decode_error_from_a_real_failure_pickles(tmp_path):
    with pytest.raises(ImageDecodeError) as info:
        augkit.decode(write(tmp_path, "bad.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 30))
    clone = pickle.loads(pickle.dumps(info.value))
    assert str(clone) == str(info.value) and clone.source.endswith("bad.png")
