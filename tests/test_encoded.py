"""Windowed JPEG decoding: windows equal the full decode, pipelines equal their decoded runs."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

import augkit
from augkit import CenterCrop, ColorJitter, Compose, HorizontalFlip, RandomCrop, RandomResizedCrop, RandomScale, Resize, ToTensor
from augkit.data import AugmentedDataset, ImageList
from augkit.encoded import WINDOWED_DECODING, EncodedJpeg, open_image
from augkit.errors import ImageDecodeError

pytestmark = pytest.mark.skipif(not WINDOWED_DECODING, reason="augkit._jpeg (the optional C extension) is not built")

PHOTO = augkit.decode("samples/china.jpg")  # 427x640 photo


def jpeg_bytes(image: np.ndarray, **options) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "JPEG", quality=options.pop("quality", 90), **options)
    return buffer.getvalue()


#: Encodings a window must cope with: chroma subsampling, progressive scans, restart markers, gray.
VARIANTS = {
    "420": dict(subsampling=2),
    "422": dict(subsampling=1),
    "444": dict(subsampling=0),
    "progressive": dict(subsampling=2, progressive=True),
    "restart": dict(subsampling=2, restart_marker_rows=1),
}


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def encoded(request) -> tuple[bytes, np.ndarray]:
    image = PHOTO[:301, 17:470]  # odd sizes: partial MCUs on both axes
    data = jpeg_bytes(np.ascontiguousarray(image), **VARIANTS[request.param])
    return data, augkit.decode(data)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_a_window_equals_the_full_decode_cropped(encoded, data):
    raw, full = encoded
    jpeg = open_image(raw)
    assert isinstance(jpeg, EncodedJpeg) and jpeg.shape == full.shape
    h, w = full.shape[:2]
    top = data.draw(st.integers(0, h - 1), label="top")
    left = data.draw(st.integers(0, w - 1), label="left")
    height = data.draw(st.integers(1, h - top), label="height")
    width = data.draw(st.integers(1, w - left), label="width")
    window = jpeg.decode_window(top, left, height, width)
    assert window.shape == (height, width, 3) and window.dtype == np.uint8 and window.flags.c_contiguous
    np.testing.assert_array_equal(window, full[top : top + height, left : left + width])


def test_the_whole_image_and_gray_jpegs_decode_as_augkit_decode():
    gray = jpeg_bytes(np.ascontiguousarray(PHOTO[:, :, 1]))
    for raw in (jpeg_bytes(PHOTO), gray, open("samples/rocket.jpg", "rb").read()):
        jpeg = open_image(raw)
        assert isinstance(jpeg, EncodedJpeg)
        np.testing.assert_array_equal(jpeg.decode(), augkit.decode(raw))
    np.testing.assert_array_equal(open_image(gray).decode_window(3, 5, 7, 9), augkit.decode(gray)[3:10, 5:14])


def test_windows_outside_the_image_are_refused():
    jpeg = open_image(jpeg_bytes(PHOTO[:40, :50].copy()))
    for window in ((0, 0, 0, 5), (0, 0, 41, 5), (-1, 0, 5, 5), (0, 45, 5, 6)):
        with pytest.raises(ValueError, match="outside the 40x50 image"):
            jpeg.decode_window(*window)


def test_open_image_decodes_what_cannot_be_windowed(tmp_path):
    png = tmp_path / "a.png"
    Image.fromarray(PHOTO[:20, :30]).save(png)
    rotated = tmp_path / "rotated.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90: windows would be in the stored, not the upright, frame
    Image.fromarray(PHOTO[:20, :30]).save(rotated, exif=exif.tobytes())
    for source in (png, rotated, PHOTO[:20, :30]):
        out = open_image(source)
        assert isinstance(out, np.ndarray)
        np.testing.assert_array_equal(out, augkit.decode(source))
    path = tmp_path / "plain.jpg"
    path.write_bytes(jpeg_bytes(PHOTO[:20, :30].copy()))
    assert isinstance(open_image(path), EncodedJpeg) and isinstance(open_image(str(path)), EncodedJpeg)


PIPELINES = {
    "resnet": Compose([RandomScale(256, 480), RandomCrop(224), HorizontalFlip(), ToTensor()]),
    "inception": Compose([RandomResizedCrop(224), HorizontalFlip()]),
    "eval": Compose([Resize(shorter=256), CenterCrop(224)]),
    "crop": Compose([RandomCrop(300)]),
    "padded crop": Compose([RandomCrop(120, padding=4)]),
    "crop past the edges": Compose([CenterCrop(500)]),
    "no window": Compose([ColorJitter(0.4, 0.4, 0.4, 0.1), RandomCrop(64)]),
    "upscale": Compose([RandomScale(700, 800), RandomCrop(224)]),
}


@pytest.mark.parametrize("name", sorted(PIPELINES))
def test_a_pipeline_on_an_encoded_jpeg_equals_it_on_decoded_pixels(name, encoded):
    raw, full = encoded
    pipeline = PIPELINES[name]
    for seed in range(6):
        expected, expected_params = pipeline.run(full, np.random.default_rng(seed))
        got, params = pipeline.run(open_image(raw), np.random.default_rng(seed))
        assert params == expected_params
        np.testing.assert_array_equal(np.asarray(got), np.asarray(expected))
        np.testing.assert_array_equal(np.asarray(pipeline.apply(open_image(raw), params)), np.asarray(expected))


def test_a_single_transform_decodes_an_encoded_jpeg_whole():
    raw = jpeg_bytes(PHOTO)
    crop = RandomResizedCrop(64)
    got, params = crop.run(open_image(raw), np.random.default_rng(1))
    np.testing.assert_array_equal(got, crop.apply(augkit.decode(raw), params))


def test_augmented_dataset_gives_the_same_items_as_decoding_first():
    paths = [f"samples/{name}" for name in ("china.jpg", "rocket.jpg", "flower.jpg", "coffee.png")]
    windowed = AugmentedDataset(ImageList(paths), PIPELINES["resnet"], seed=5)
    for index, path in enumerate(paths):
        expected = PIPELINES["resnet"](augkit.decode(path), rng=augkit.rng.derive_generator(5, 0, index))
        assert bool((windowed[index] == expected).all())


def test_corrupt_data_after_the_window_is_still_refused():
    raw = jpeg_bytes(PHOTO)
    middle = len(raw) * 3 // 4
    broken = raw[:middle] + b"\xff\xd9" + raw[middle:]  # an EOI in the last quarter of the scan
    with pytest.raises(ImageDecodeError):
        augkit.decode(broken)
    with pytest.raises(ImageDecodeError, match="corrupt"):
        open_image(broken).decode_window(0, 0, 8, 8)  # the top-left corner alone is intact
    with pytest.raises(ImageDecodeError):
        open_image(raw[: len(raw) - 100]).decode_window(0, 0, 8, 8)  # truncated


def test_every_corpus_file_is_refused_or_windowed_as_a_full_decode_says():
    """Windowed decoding refuses exactly the corpus files ``augkit.decode`` refuses."""
    from corpus import build_corpus

    for case in build_corpus():
        if case.data is None:
            continue
        try:
            full = augkit.decode(case.data)
        except ImageDecodeError:
            full = None
        try:
            opened = open_image(case.data)
            corner = opened.decode_window(0, 0, 1, 1) if isinstance(opened, EncodedJpeg) else opened[:1, :1]
        except ImageDecodeError:
            corner = None
        assert (corner is None) == (full is None), case.name
        if full is not None:
            np.testing.assert_array_equal(corner, full[:1, :1], err_msg=case.name)


def test_without_simplejpeg_jpegs_decode_with_plain_libjpeg_then_pillow(monkeypatch):
    raw = jpeg_bytes(PHOTO[:30, :40].copy())
    expected = augkit.decode(raw)
    monkeypatch.setattr(augkit.io, "simplejpeg", None)
    np.testing.assert_array_equal(augkit.decode(raw), expected)  # augkit's libjpeg, same settings
    opened = open_image(raw)
    assert isinstance(opened, EncodedJpeg) and opened.decoder == "libjpeg"
    np.testing.assert_array_equal(opened.decode_window(3, 4, 10, 20), expected[3:13, 4:24])
    monkeypatch.setattr(augkit.io, "_jpeg", None)
    out = open_image(raw)
    assert isinstance(out, np.ndarray)
    np.testing.assert_array_equal(out, expected)  # Pillow's libjpeg-turbo, same settings


def test_a_raised_pixel_limit_carries_over_to_whole_decodes():
    raw = jpeg_bytes(PHOTO[:40, :50].copy())
    with pytest.raises(ImageDecodeError, match="decompression bomb"):
        open_image(raw, max_pixels=1999)
    jpeg = open_image(raw, max_pixels=2000)
    assert jpeg.max_pixels == 2000
    with pytest.raises(ImageDecodeError, match="decompression bomb"):
        augkit.decode(raw, max_pixels=1999)
    small = open_image(raw, max_pixels=2000)
    small.max_pixels = 1999  # decode() checks against the limit the file was opened with
    with pytest.raises(ImageDecodeError, match="decompression bomb"):
        small.decode()
    np.testing.assert_array_equal(jpeg.decode(), augkit.decode(raw))


def test_check_whole_file_false_stops_after_the_window():
    raw = jpeg_bytes(PHOTO)
    middle = len(raw) * 3 // 4
    damaged_late = raw[:middle] + b"\xff\xd9" + raw[middle:]
    lax = open_image(damaged_late, check_whole_file=False)
    np.testing.assert_array_equal(lax.decode_window(0, 0, 8, 8), augkit.decode(raw)[:8, :8])  # right pixels, damage unseen
    with pytest.raises(ImageDecodeError):
        lax.decode_window(PHOTO.shape[0] - 8, 0, 8, 8)  # a window past the damage still sees it
    with pytest.raises(ImageDecodeError):
        open_image(damaged_late).decode_window(0, 0, 8, 8)  # the default checks the whole file
    with pytest.raises(TypeError, match="check_whole_file"):
        AugmentedDataset(ImageList(["samples/china.jpg"]), PIPELINES["resnet"], check_whole_file="no")


def test_augmented_dataset_items_do_not_depend_on_check_whole_file():
    paths = [f"samples/{name}" for name in ("china.jpg", "rocket.jpg")]
    strict = AugmentedDataset(ImageList(paths), PIPELINES["inception"], seed=2)
    lax = AugmentedDataset(ImageList(paths), PIPELINES["inception"], seed=2, check_whole_file=False)
    for index in range(len(paths)):
        np.testing.assert_array_equal(lax[index], strict[index])
