"""Sample types and channels: nothing rescaled by guess, ``mode=`` keeps 16-bit and odd channel counts.

``augkit.decode(..., mode=)``: ``"RGB"`` (8-bit RGB, the default), ``"L"`` (8-bit gray,
one channel) and ``"unchanged"`` (the stored type and channels). Geometry and ``Normalize``
take uint16 and any channel count; colour transforms refuse what they cannot do, naming
themselves, the dtype and the channel count. TIFF orientation is applied once.
"""

from __future__ import annotations

import io
import struct
import zlib

import cv2
import numpy as np
import pytest
import torch
from corpus import exif_upright
from PIL import Image

import augkit
from augkit import (
    CenterCrop,
    ColorJitter,
    Compose,
    HorizontalFlip,
    ImageDecodeError,
    Normalize,
    PCALighting,
    RandomCrop,
    RandomResizedCrop,
    RandomScale,
    Resize,
    ToTensor,
    VerticalFlip,
)
from augkit.data import AugmentedDataset, ImageList
from augkit.encoded import EncodedJpeg, open_image

PHOTO = np.ascontiguousarray(augkit.decode("samples/chelsea.png")[60:120, 100:180])  # 60 x 80


def encode(image, fmt: str = "PNG", **kwargs) -> bytes:
    buffer = io.BytesIO()
    (image if isinstance(image, Image.Image) else Image.fromarray(image)).save(buffer, fmt, **kwargs)
    return buffer.getvalue()


def wide(shape, seed: int = 0) -> np.ndarray:
    """uint16 samples over the whole range, most not multiples of 257."""
    return np.random.default_rng(seed).integers(0, 65536, shape).astype(np.uint16)


def png16(array: np.ndarray) -> bytes:
    """A 16-bit PNG written by hand (colour type from the channel count: gray, gray+alpha, RGB, RGBA)."""
    height, width, channels = array.shape
    color_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    rows = b"".join(b"\x00" + array[y].astype(">u2").tobytes() for y in range(height))

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    header = struct.pack(">IIBBBBB", width, height, 16, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def to8(x: np.ndarray) -> np.ndarray:
    return ((x.astype(np.int64) + 128) // 257).astype(np.uint8)


# --------------------------------------------------------------------------- no silent rescaling


def test_integer_arrays_are_refused_not_divided_by_257():
    full = np.full((4, 5, 3), 200)  # int64: what np.full and lists of ints give
    assert full.dtype == np.int64
    with pytest.raises(TypeError, match="int64.*uint8 \\(0-255\\) or uint16"):
        augkit.decode(full)
    for dtype in (np.int32, np.int16, np.uint32, np.int8):
        with pytest.raises(TypeError, match=np.dtype(dtype).name):
            augkit.decode(np.zeros((2, 2, 3), dtype))
    np.testing.assert_array_equal(augkit.decode(full.astype(np.uint8)), np.full((4, 5, 3), 200, np.uint8))


def test_float_arrays_follow_the_unit_convention():
    x = np.array([[0.0, 0.25, 0.5, 1.0]], np.float64)
    assert augkit.decode(x)[0, :, 0].tolist() == [0, 64, 128, 255]
    with pytest.raises(ImageDecodeError, match=r"outside \[0, 1\]"):
        augkit.decode(x * 255)
    np.testing.assert_array_equal(augkit.decode(x * 255, mode="unchanged"), (x * 255)[:, :, None])


def test_a_float_tiff_in_unit_range_is_not_rounded_to_zero_and_one():
    unit = np.linspace(0, 1, 60 * 80, dtype=np.float32).reshape(60, 80)
    data = encode(Image.fromarray(unit, "F"), "TIFF")
    out = augkit.decode(data)
    np.testing.assert_array_equal(out[:, :, 0], np.rint(unit.astype(np.float64) * 255).astype(np.uint8))
    assert len(np.unique(out)) > 200
    np.testing.assert_array_equal(augkit.decode(data, mode="unchanged")[:, :, 0], unit)
    with pytest.raises(ImageDecodeError, match=r"outside \[0, 1\].*mode='unchanged'"):
        augkit.decode(encode(Image.fromarray(unit * 255, "F"), "TIFF"))


def test_16_bit_rgb_png_is_read_at_16_bits():
    values = wide((20, 30, 3))
    ok, data = cv2.imencode(".png", np.ascontiguousarray(values[:, :, ::-1]))
    data = data.tobytes()
    assert Image.open(io.BytesIO(data)).mode == "RGB"  # Pillow: 8 bits, the high byte
    np.testing.assert_array_equal(augkit.decode(data), to8(values))  # round(x / 257), as documented
    unchanged = augkit.decode(data, mode="unchanged")
    assert unchanged.dtype == np.uint16 and unchanged.shape == (20, 30, 3)
    np.testing.assert_array_equal(unchanged, values)


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_16_bit_pngs_of_every_colour_type(channels):
    values = wide((9, 11, channels), seed=channels)
    data = png16(values)
    unchanged = augkit.decode(data, mode="unchanged")
    assert unchanged.dtype == np.uint16 and unchanged.shape == (9, 11, channels)
    np.testing.assert_array_equal(unchanged, values)
    eight = to8(values)
    if channels in (2, 4):  # alpha: composited on black after the 16 -> 8 bit rounding
        color, alpha = eight[:, :, :-1].astype(np.uint32), eight[:, :, -1:].astype(np.uint32)
        eight = ((color * alpha + 127) // 255).astype(np.uint8)
    expected = np.repeat(eight, 3, axis=2) if eight.shape[2] == 1 else eight
    np.testing.assert_array_equal(augkit.decode(data), expected)


# --------------------------------------------------------------------------- mode=


def test_mode_l_is_pillows_luma_in_one_channel():
    for data in (encode(PHOTO), encode(np.dstack([PHOTO, np.full(PHOTO.shape[:2], 255, np.uint8)]))):
        out = augkit.decode(data, mode="L")
        assert out.shape == (60, 80, 1) and out.dtype == np.uint8
        np.testing.assert_array_equal(out[:, :, 0], np.asarray(Image.open(io.BytesIO(data)).convert("L")))
    gray = PHOTO[:, :, 1].copy()
    for data in (encode(gray), encode(gray, "JPEG", quality=90)):
        np.testing.assert_array_equal(augkit.decode(data, mode="L"), augkit.decode(data)[:, :, :1])
    jpeg = encode(PHOTO, "JPEG", quality=90)
    np.testing.assert_array_equal(augkit.decode(jpeg, mode="L")[:, :, 0], np.asarray(Image.fromarray(augkit.decode(jpeg)).convert("L")))


def test_mode_unchanged_keeps_types_and_channels():
    cases = {
        "gray": (encode(PHOTO[:, :, 0].copy()), np.uint8, 1),
        "rgba": (encode(np.dstack([PHOTO, PHOTO[:, :, :1]])), np.uint8, 4),
        "gray16": (encode(Image.fromarray(wide((6, 7)))), np.uint16, 1),
        "gray_jpeg": (encode(PHOTO[:, :, 0].copy(), "JPEG"), np.uint8, 1),
        "rgb_jpeg": (encode(PHOTO, "JPEG"), np.uint8, 3),
        "palette": (encode(Image.fromarray(PHOTO).quantize(8)), np.uint8, 3),
    }
    for name, (data, dtype, channels) in cases.items():
        out = augkit.decode(data, mode="unchanged")
        assert out.dtype == dtype and out.ndim == 3 and out.shape[2] == channels, name
    gray16 = wide((6, 7))
    np.testing.assert_array_equal(augkit.decode(encode(Image.fromarray(gray16)), mode="unchanged")[:, :, 0], gray16)
    assert augkit.decode(encode(Image.fromarray(gray16))).max() <= 255  # the RGB default: 8 bits, documented
    five = wide((4, 4, 5))
    np.testing.assert_array_equal(augkit.decode(five, mode="unchanged"), five)  # arrays: any channel count


def test_modes_are_validated():
    with pytest.raises(ValueError, match="mode must be one of"):
        augkit.decode(PHOTO, mode="RGBA")
    with pytest.raises(ValueError, match="mode must be one of"):
        AugmentedDataset([PHOTO], None, mode="rgb")
    with pytest.raises(ValueError, match="max_pixels"):
        augkit.decode(PHOTO, max_pixels=0)


@pytest.mark.parametrize("mode", ["L", "unchanged"])
def test_windows_of_gray_and_colour_jpegs_in_every_mode(mode):
    for image in (PHOTO, PHOTO[:, :, 2].copy()):
        data = encode(image, "JPEG", quality=90)
        full = augkit.decode(data, mode=mode)
        jpeg = open_image(data, mode=mode)
        if not isinstance(jpeg, EncodedJpeg):
            pytest.skip("windowed decoding is not built")
        assert jpeg.shape == full.shape
        np.testing.assert_array_equal(jpeg.decode_window(7, 9, 30, 41), full[7:37, 9:50])
        np.testing.assert_array_equal(jpeg.decode(), full)


def test_augmented_dataset_keeps_16_bits_with_mode_unchanged(tmp_path):
    values = wide((60, 80, 3), seed=5)
    ok, data = cv2.imencode(".png", np.ascontiguousarray(values[:, :, ::-1]))
    path = tmp_path / "wide.png"
    path.write_bytes(data.tobytes())
    gray_path = tmp_path / "gray16.png"
    Image.fromarray(values[:, :, 0].copy()).save(gray_path)
    pipeline = Compose([RandomResizedCrop(24), HorizontalFlip(), ToTensor()])
    ds = AugmentedDataset(ImageList([str(path), str(gray_path)]), pipeline, seed=4, mode="unchanged")
    for index, source in enumerate((path, gray_path)):
        item = ds[index]
        assert item.dtype == torch.uint16
        expected = pipeline(augkit.decode(source, mode="unchanged"), rng=augkit.rng.derive_generator(4, 0, index))
        assert bool((item == expected).all())
        assert int(item.to(torch.int32).max()) > 255  # the bits are there: a value of 1000 stays 1000
    assert tuple(ds[0].shape) == (3, 24, 24) and tuple(ds[1].shape) == (1, 24, 24)
    default = AugmentedDataset(ImageList([str(path)]), pipeline, seed=4)
    assert default[0].dtype == torch.uint8  # the documented 8-bit RGB default
    gray = AugmentedDataset(ImageList([str(path)]), Compose([CenterCrop(16), ToTensor()]), mode="L")
    assert tuple(gray[0].shape) == (1, 16, 16)
    arrays = AugmentedDataset([values], Compose([CenterCrop(16)]), mode="unchanged")  # array items converted too
    np.testing.assert_array_equal(arrays[0], values[22:38, 32:48])


# --------------------------------------------------------------------------- transforms on uint16 and odd channel counts


def reference_resize(image: np.ndarray, size) -> np.ndarray:
    """Per-channel float64 antialiased bilinear resize, rounded (written with torch directly)."""
    x = torch.from_numpy(image.astype(np.float64)).permute(2, 0, 1)[None]
    out = torch.nn.functional.interpolate(x, size=size, mode="bilinear", antialias=True, align_corners=False)
    return np.clip(np.rint(out[0].permute(1, 2, 0).numpy()), 0, np.iinfo(image.dtype).max).astype(image.dtype)


@pytest.mark.parametrize("channels", [1, 2, 4, 5])
def test_geometry_takes_uint16_and_any_channel_count(channels):
    image = wide((37, 53, channels), seed=channels)
    np.testing.assert_array_equal(Resize(size=(20, 31))(image), reference_resize(image, (20, 31)))
    np.testing.assert_array_equal(Resize(size=(70, 90))(image), reference_resize(image, (70, 90)))
    scaled = RandomScale(20, 30)(image, rng=1)
    assert scaled.dtype == np.uint16 and scaled.shape[2] == channels and min(scaled.shape[:2]) >= 20
    crop, params = RandomCrop(16).run(image, np.random.default_rng(2))
    np.testing.assert_array_equal(crop, image[params.top : params.top + 16, params.left : params.left + 16])
    np.testing.assert_array_equal(HorizontalFlip(p=1.0)(image), image[:, ::-1])
    np.testing.assert_array_equal(VerticalFlip(p=1.0)(image), image[::-1])
    out = RandomResizedCrop(12)(image, rng=3)
    assert out.dtype == np.uint16 and out.shape == (12, 12, channels)
    fused = Compose([Resize(shorter=24), CenterCrop(20)])(image)
    np.testing.assert_array_equal(fused, CenterCrop(20)(Resize(shorter=24)(image)))
    tensor = ToTensor()(image)
    assert tensor.dtype == torch.uint16 and tuple(tensor.shape) == (channels, 37, 53)
    batch = torch.from_numpy(np.stack([image, image])).permute(0, 3, 1, 2).contiguous()
    flipped = HorizontalFlip(p=1.0)(batch, rng=0)
    assert torch.equal(flipped, batch.flip(-1))


def test_normalize_scales_uint16_by_1_over_65535():
    image = wide((8, 9, 3))
    mean, std = (0.1, 0.2, 0.3), (0.5, 0.25, 0.125)
    expected = (image.astype(np.float64) / 65535 - np.array(mean)) / np.array(std)
    norm = Normalize(mean=mean, std=std)
    np.testing.assert_allclose(norm(image), expected, atol=2e-5)
    batch = torch.from_numpy(np.stack([image, image[::-1]])).permute(0, 3, 1, 2).contiguous()
    np.testing.assert_allclose(norm(batch)[0].permute(1, 2, 0).numpy(), expected, atol=2e-5)
    one = Normalize(mean=(0.5,), std=(0.2,))
    np.testing.assert_allclose(one(image[:, :, :1]), (image[:, :, :1] / 65535 - 0.5) / 0.2, atol=2e-5)
    five = Normalize(mean=(0.5,) * 5)
    np.testing.assert_allclose(five(wide((3, 3, 5))), wide((3, 3, 5)) / 65535 - 0.5, atol=2e-5)
    mean_image = Normalize(mean_image=np.full((8, 9, 3), 0.25))
    np.testing.assert_allclose(mean_image(image), image / 65535 - 0.25, atol=2e-5)


@pytest.mark.parametrize("transform", [ColorJitter(brightness=0.4, saturation=0.4), PCALighting(0.1)], ids=["ColorJitter", "PCALighting"])
def test_colour_transforms_refuse_what_they_cannot_do_naming_it(transform):
    name = type(transform).__name__
    with pytest.raises(TypeError, match=f"{name} .*got uint16 with 3 channel"):
        transform(wide((8, 8, 3)), rng=0)
    with pytest.raises(ValueError, match=f"{name} .*got uint8 with 1 channel"):
        transform(PHOTO[:, :, :1], rng=0)
    with pytest.raises(ValueError, match=f"{name} .*got uint8 with 4 channel"):
        transform(np.dstack([PHOTO, PHOTO[:, :, :1]]), rng=0)
    batch = torch.from_numpy(wide((2, 3, 4, 4))).contiguous()
    with pytest.raises(TypeError, match=f"{name} .*got uint16 with 3 channel"):
        transform(batch, rng=0)
    assert transform(PHOTO, rng=0).shape == PHOTO.shape  # what it can do, it does


# --------------------------------------------------------------------------- TIFF orientation


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("compression", [None, "tiff_deflate"])
def test_tiff_orientation_is_applied_once(orientation, compression):
    exif = Image.Exif()
    exif[0x0112] = orientation
    options = {"exif": exif.tobytes()} | ({"compression": compression} if compression else {})
    data = encode(PHOTO, "TIFF", **options)
    out = augkit.decode(data)
    np.testing.assert_array_equal(out, exif_upright(PHOTO, orientation))
    np.testing.assert_array_equal(augkit.decode(Image.open(io.BytesIO(data))), out)  # a PIL image as well
    np.testing.assert_array_equal(augkit.decode(data, mode="unchanged"), out)
