"""JPEGs off the beaten path: every sampling layout, unrefined progressive scans, EXIF stored as LONG.

Files come from ``tests/jpeg_writer.py`` (any sampling factors, any scan script) and Pillow.
Each decodes as Pillow (libjpeg) decodes it, windows equal the full decode, and whatever a
third-party decoder raises reaches the caller as an ``ImageDecodeError`` naming the file.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from corpus import _drop_refinement_scans, _exif_long, base_image
from jpeg_writer import FULL_SCANS, UNREFINED_SCANS, encode_jpeg, random_scan_script
from PIL import Image, ImageOps

import augkit
import augkit.io
from augkit import Compose, HorizontalFlip, ImageDecodeError, RandomCrop, RandomResizedCrop, RandomScale, ToTensor
from augkit.cli import main
from augkit.data import AugmentedDataset, ImageList, SkippedItemWarning
from augkit.encoded import WINDOWED_DECODING, EncodedJpeg, open_image

PHOTO = np.ascontiguousarray(augkit.decode("samples/china.jpg")[40:141, 90:237])  # 101 x 147: partial MCUs

#: Sampling layouts TurboJPEG (simplejpeg) cannot classify, and two it can, as controls.
LAYOUTS = {
    "441": ((1, 4), (1, 1), (1, 1)),
    "410": ((4, 2), (1, 1), (1, 1)),
    "h3v1": ((3, 1), (1, 1), (1, 1)),
    "h1v3": ((1, 3), (1, 1), (1, 1)),
    "chroma_finer": ((1, 1), (2, 2), (2, 2)),
    "chroma_2x1": ((1, 1), (2, 1), (2, 1)),
    "420": ((2, 2), (1, 1), (1, 1)),
    "440": ((1, 2), (1, 1), (1, 1)),
}


def pillow_rgb(data: bytes) -> np.ndarray:
    return np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB"))


def random_windows(shape, count: int, seed: int):
    rng = np.random.default_rng(seed)
    h, w = shape[:2]
    for _ in range(count):
        top, left = int(rng.integers(0, h)), int(rng.integers(0, w))
        yield top, left, int(rng.integers(1, h - top + 1)), int(rng.integers(1, w - left + 1))


# --------------------------------------------------------------------------- sampling layouts


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_every_sampling_layout_decodes_as_pillow(name, tmp_path):
    data = encode_jpeg(PHOTO, LAYOUTS[name])
    path = tmp_path / f"{name}.jpg"
    path.write_bytes(data)
    out = augkit.decode(path)
    assert out.shape == PHOTO.shape and out.dtype == np.uint8
    # Pillow's libjpeg-turbo and augkit's decoders: identical where measured; one level allowed.
    assert np.abs(out.astype(int) - pillow_rgb(data)).max() <= 1
    assert np.abs(out.astype(int) - PHOTO).mean() < 20  # and the picture it encodes (luma at half resolution in one)
    np.testing.assert_array_equal(augkit.decode(data), out)


@pytest.mark.parametrize("name", ["441", "410", "chroma_finer"])
def test_every_sampling_layout_decodes_without_the_extension_too(name, monkeypatch):
    data = encode_jpeg(PHOTO, LAYOUTS[name])
    expected = augkit.decode(data)
    monkeypatch.setattr(augkit.io, "_jpeg", None)  # Pillow then decodes what TurboJPEG cannot
    assert np.abs(augkit.decode(data).astype(int) - expected).max() <= 1


@pytest.mark.skipif(not WINDOWED_DECODING, reason="augkit._jpeg (the optional C extension) is not built")
@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_windows_of_every_sampling_layout_equal_the_full_decode(name):
    data = encode_jpeg(PHOTO, LAYOUTS[name])
    full = augkit.decode(data)
    jpeg = open_image(data)
    assert isinstance(jpeg, EncodedJpeg)
    for top, left, height, width in random_windows(full.shape, 40, seed=len(name)):
        np.testing.assert_array_equal(jpeg.decode_window(top, left, height, width), full[top : top + height, left : left + width])


def test_a_flipped_sof_sampling_byte_is_an_image_decode_error(tmp_path, capsys):
    data = bytearray(Image.fromarray(PHOTO).save(buffer := io.BytesIO(), "JPEG", quality=90, subsampling=0) or buffer.getvalue())
    data[data.index(b"\xff\xc0") + 11] = 0x14  # luma sampling 1x1 -> 1x4 (TurboJPEG's code 6)
    path = tmp_path / "flipped.jpg"
    path.write_bytes(bytes(data))
    with pytest.raises(ImageDecodeError, match="corrupt") as info:
        augkit.decode(path)
    assert info.value.source == str(path)
    with pytest.raises(ImageDecodeError):
        open_image(path).decode_window(0, 0, 8, 8) if WINDOWED_DECODING else open_image(path)
    # on_error="skip" counts it; the CLIs report it instead of a traceback.
    good = tmp_path / "good.png"
    Image.fromarray(PHOTO).save(good)
    ds = AugmentedDataset(ImageList([str(path), str(good)]), Compose([RandomCrop(16), ToTensor()]), on_error="skip")
    with pytest.warns(SkippedItemWarning, match="flipped.jpg"):
        assert tuple(ds[0].shape) == (3, 16, 16)
    assert ds.num_skipped == 1
    assert main(["stats", str(tmp_path), "--out", str(tmp_path / "s.json"), "--no-progress"]) == 1
    assert main(["preview", str(path), "-n", "1", "--size", "16", "--out", str(tmp_path / "g.png")]) == 1
    err = capsys.readouterr().err
    assert err.count(str(path)) == 2 and "Traceback" not in err


def test_a_441_jpeg_goes_through_stats_and_preview(tmp_path, capsys):
    path = tmp_path / "441.jpg"
    path.write_bytes(encode_jpeg(PHOTO, LAYOUTS["441"]))
    assert main(["stats", str(tmp_path), "--out", str(tmp_path / "s.json"), "--no-progress"]) == 0
    assert main(["preview", str(path), "-n", "1", "--size", "16", "--out", str(tmp_path / "g.png")]) == 0
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("error", [KeyError(6), RuntimeError("decoder state"), IndexError("tables"), MemoryError()])
def test_any_exception_from_simplejpeg_is_an_image_decode_error(error, tmp_path, monkeypatch):
    path = tmp_path / "a.jpg"
    Image.fromarray(PHOTO).save(path, quality=90)

    def broken(*args, **kwargs):
        raise error

    monkeypatch.setattr(augkit.io.simplejpeg, "decode_jpeg", broken)
    with pytest.raises(ImageDecodeError) as info:
        augkit.decode(path)
    assert info.value.source == str(path)
    ds = AugmentedDataset(ImageList([str(path)] * 2), None, on_error="skip")
    with pytest.warns(SkippedItemWarning), pytest.raises(ImageDecodeError, match="can be decoded"):
        ds[0]  # every item fails: skipped and counted, then one clear error


@pytest.mark.parametrize("error", [KeyError("mode"), RuntimeError("plugin"), ZeroDivisionError(), MemoryError()])
def test_any_exception_from_pillow_is_an_image_decode_error(error, tmp_path, monkeypatch):
    path = tmp_path / "a.png"
    Image.fromarray(PHOTO).save(path)

    def broken(self, *args, **kwargs):
        raise error

    monkeypatch.setattr(Image.Image, "load", broken)
    with pytest.raises(ImageDecodeError) as info:
        augkit.decode(path)
    assert info.value.source == str(path)


# --------------------------------------------------------------------------- unrefined progressive scans


def unrefined_files() -> dict[str, bytes]:
    """Progressive JPEGs whose coefficients are not all refined to the last bit (libjpeg smooths them)."""
    pillow = io.BytesIO()
    Image.fromarray(PHOTO).save(pillow, "JPEG", quality=90, progressive=True)
    rng = np.random.default_rng(7)
    return {
        "writer_420": encode_jpeg(PHOTO, scans=UNREFINED_SCANS),
        "writer_444": encode_jpeg(PHOTO, ((1, 1), (1, 1), (1, 1)), scans=UNREFINED_SCANS),
        "writer_441": encode_jpeg(PHOTO, LAYOUTS["441"], scans=UNREFINED_SCANS),
        "writer_gray": encode_jpeg(PHOTO[:, :, 1].copy(), scans=(((0,), 0, 0, 0, 1), ((0,), 1, 63, 0, 1))),
        "writer_random": encode_jpeg(PHOTO, scans=random_scan_script(rng, 3, refine=0.3)),
        "pillow_cut_scans": _drop_refinement_scans(pillow.getvalue()),
    }


UNREFINED = unrefined_files()


def test_the_unrefined_files_are_valid_and_decode_as_pillow():
    for name, data in UNREFINED.items():
        out = augkit.decode(data)
        assert np.abs(out.astype(int) - pillow_rgb(data)).max() <= 1, name
        assert np.abs(out.astype(int) - (PHOTO if out.shape[2] == 3 else PHOTO[:, :, 1:2])).mean() < 20, name


@pytest.mark.skipif(not WINDOWED_DECODING, reason="augkit._jpeg (the optional C extension) is not built")
@pytest.mark.parametrize("name", sorted(UNREFINED))
def test_windows_of_unrefined_progressive_jpegs_equal_the_full_decode(name):
    data = UNREFINED[name]
    for mode in ("RGB", "L", "unchanged"):
        full = augkit.decode(data, mode=mode)
        jpeg = open_image(data, mode=mode)
        for top, left, height, width in random_windows(full.shape, 30, seed=3):
            window = jpeg.decode_window(top, left, height, width)
            np.testing.assert_array_equal(
                window, full[top : top + height, left : left + width], err_msg=f"{mode} {top, left, height, width}"
            )


@pytest.mark.skipif(not WINDOWED_DECODING, reason="augkit._jpeg (the optional C extension) is not built")
def test_augmented_dataset_trains_on_the_pixels_of_decode_then_pipeline(tmp_path):
    paths = []
    for name, data in UNREFINED.items():
        paths.append(tmp_path / f"{name}.jpg")
        paths[-1].write_bytes(data)
    pipeline = Compose([RandomScale(110, 160), RandomCrop(64), HorizontalFlip(), ToTensor()])
    for pipe in (pipeline, Compose([RandomResizedCrop(48), ToTensor()])):
        ds = AugmentedDataset(ImageList([str(p) for p in paths]), pipe, seed=11)
        for index, path in enumerate(paths):
            for epoch in range(3):
                ds.set_epoch(epoch)
                expected = pipe(augkit.decode(path), rng=augkit.rng.derive_generator(11, epoch, index))
                assert bool((ds[index] == expected).all()), (path.name, epoch)


def test_fully_refined_progressive_files_are_still_windowed_without_decoding_whole(monkeypatch):
    data = encode_jpeg(PHOTO, scans=FULL_SCANS)
    jpeg = open_image(data)
    if not isinstance(jpeg, EncodedJpeg):
        pytest.skip("windowed decoding is not built")
    monkeypatch.setattr(EncodedJpeg, "decode", lambda self: pytest.fail("decoded whole"))
    np.testing.assert_array_equal(jpeg.decode_window(20, 30, 40, 50), augkit.decode(data)[20:60, 30:80])


# --------------------------------------------------------------------------- EXIF orientation stored as LONG


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_long_orientation_turns_rgb_and_cmyk_jpegs_alike(orientation):
    image = base_image(40, 56)
    rgb = io.BytesIO()
    Image.fromarray(image).save(rgb, "JPEG", quality=95, exif=_exif_long(orientation))
    cmyk = io.BytesIO()
    Image.fromarray(image).convert("CMYK").save(cmyk, "JPEG", quality=95, exif=_exif_long(orientation))
    out_rgb, out_cmyk = augkit.decode(rgb.getvalue()), augkit.decode(cmyk.getvalue())
    expected_shape = (56, 40, 3) if orientation >= 5 else (40, 56, 3)
    assert out_rgb.shape == out_cmyk.shape == expected_shape
    np.testing.assert_array_equal(out_rgb, pillow_rgb(rgb.getvalue()))  # Pillow reads LONG too
    np.testing.assert_array_equal(out_cmyk, pillow_rgb(cmyk.getvalue()))
    assert np.abs(out_rgb.astype(int) - out_cmyk.astype(int)).mean() < 8  # the same picture, the same way up
    assert not isinstance(open_image(rgb.getvalue()), EncodedJpeg)  # windows would be in the stored frame
