"""Nearest mask resizing: OpenCV's pixels against torch's ``"nearest"``, the windowed resize-crop, and its use in Compose.

Every comparison is exact: masks carry class ids, so a resampled mask must hold exactly the
source pixels torch's ``F.interpolate(mode="nearest")`` (torchvision v2's ``Mask`` resize)
picks, whichever path (OpenCV, numpy, torch) gathered them.
"""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
import torch
from PIL import Image

import augkit
from augkit import Compose, HorizontalFlip, PadIfSmaller, RandomCrop, RandomCropUpTo, RandomScale, Resize, ToTensor
from augkit.encoded import WINDOWED_DECODING, EncodedJpeg, open_image
from augkit.functional import targets as T
from augkit.functional.geometry import nearest_indices

#: Lengths a side has in the segmentation recipe (photos of 300-640 pixels resized to 260-1300).
LENGTHS_IN = (1, 2, 3, 7, 31, 100, 299, 333, 375, 419, 427, 500, 640)
LENGTHS_OUT = (1, 2, 5, 13, 64, 150, 224, 260, 301, 480, 520, 599, 777, 1000, 1039, 1300)


def torch_nearest(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """torch's ``"nearest"`` resize of an ``[H, W]`` / ``[H, W, M]`` integer or bool mask (as float32: values below 2**24)."""
    planes = torch.from_numpy(mask.reshape(*mask.shape[:2], -1).astype(np.float32)).permute(2, 0, 1)[None]
    out = torch.nn.functional.interpolate(planes, size=size, mode="nearest")[0].permute(1, 2, 0).numpy()
    return out.reshape(*size, *mask.shape[2:]).astype(mask.dtype)


def index_mask(height: int, width: int, dtype=np.int32, planes: int = 0) -> np.ndarray:
    """A mask whose every pixel is distinct (so a wrong source pixel shows), of ``dtype``."""
    count = height * width * max(planes, 1)
    values = np.arange(count, dtype=np.int64) % (2 if dtype is bool else min(count, np.iinfo(np.int16).max))
    return values.reshape(height, width, *((planes,) if planes else ())).astype(dtype)


def test_opencv_nearest_equals_torch_nearest_wherever_its_indices_are_declared_equal():
    """OpenCV's INTER_NEAREST gives torch's pixels exactly for every length pair the predicate accepts; not for all pairs."""
    agree = disagree = 0
    for n_in in LENGTHS_IN:
        for n_out in LENGTHS_OUT:
            row = np.arange(n_in, dtype=np.int32)[None]
            picked = cv2.resize(row, (n_out, 1), interpolation=cv2.INTER_NEAREST)[0]
            if T._opencv_picks_torch_indices(n_in, n_out):
                agree += 1
                np.testing.assert_array_equal(picked, nearest_indices(n_in, n_out), err_msg=f"{n_in} -> {n_out}")
            else:
                disagree += 1
                assert not np.array_equal(picked, nearest_indices(n_in, n_out)), f"{n_in} -> {n_out} agrees: the predicate is too strict"
    # Both kinds occur among these lengths, so both paths of resize_mask are exercised below.
    assert agree > 100 and disagree > 5


@pytest.mark.parametrize("dtype", [np.uint8, bool, np.int16, np.int32, np.int64])
@pytest.mark.parametrize("planes", [0, 3])
def test_resize_mask_equals_torch_nearest_over_many_size_pairs(dtype, planes):
    pairs = [(37, 53), (419, 452), (300, 640)]
    for in_h, in_w in pairs:
        mask = index_mask(in_h, in_w, dtype, planes)
        for out_h, out_w in [(1, 1), (13, 777), (260, 301), (480, 520), (599, 1039), (in_h, 1300), (1000, in_w)]:
            out = T.resize_mask(mask, (out_h, out_w))
            assert out.dtype == mask.dtype and out.flags.c_contiguous
            np.testing.assert_array_equal(out, torch_nearest(mask, (out_h, out_w)), err_msg=f"{mask.shape} -> {(out_h, out_w)}")


def test_resize_mask_of_tensors_equals_the_array_path():
    mask = index_mask(41, 67, np.int64, planes=2)
    for size in [(97, 13), (20, 150), (41, 30)]:
        expected = T.resize_mask(mask, size)
        np.testing.assert_array_equal(T.resize_mask(torch.from_numpy(mask[..., 0].copy()), size).numpy(), expected[..., 0])
        planes = torch.from_numpy(np.ascontiguousarray(np.moveaxis(mask, 2, 0)))
        np.testing.assert_array_equal(T.resize_mask(planes, size).numpy(), np.moveaxis(expected, 2, 0))
        np.testing.assert_array_equal(T.resize_mask(planes[None], size)[0].numpy(), np.moveaxis(expected, 2, 0))


def test_resize_mask_without_opencv_gives_the_same_pixels(monkeypatch):
    mask = index_mask(77, 91, np.uint8)
    with_opencv = {size: T.resize_mask(mask, size) for size in [(150, 200), (30, 45), (77, 300)]}
    monkeypatch.setattr(T, "cv2", None)
    for size, expected in with_opencv.items():
        np.testing.assert_array_equal(T.resize_mask(mask, size), expected)


@pytest.mark.parametrize("kind", ["array", "tensor"])
def test_resize_crop_mask_equals_resize_then_crop(kind):
    rng = np.random.default_rng(0)
    for _ in range(300):
        in_h, in_w = (int(v) for v in rng.integers(1, 60, 2))
        size = tuple(int(v) for v in rng.integers(1, 150, 2))
        top, left = int(rng.integers(-10, size[0] + 5)), int(rng.integers(-10, size[1] + 5))
        height, width = (int(v) for v in rng.integers(1, 90, 2))
        mask = index_mask(in_h, in_w, np.int32)
        expected = T.crop_mask(torch_nearest(mask, size), top, left, height, width, fill=-1)
        given = torch.from_numpy(mask) if kind == "tensor" else mask
        out = T.resize_crop_mask(given, size, top, left, height, width, fill=-1)
        assert type(out) is type(given)
        np.testing.assert_array_equal(np.asarray(out), expected, err_msg=f"{mask.shape} -> {size}, window {(top, left, height, width)}")


def label_sample(height: int = 419, width: int = 452, seed: int = 0) -> augkit.Sample:
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    mask = np.zeros((height, width), np.uint8)
    for label in range(1, 8):
        y, x = int(rng.integers(0, height - 20)), int(rng.integers(0, width - 20))
        mask[y : y + int(rng.integers(10, height // 2)), x : x + int(rng.integers(10, width // 2))] = label
    return augkit.Sample(image, mask=mask, boxes=[[10, 20, 200, 220], [300, 5, 450, 400]], keypoints=[[30.5, 40.0], [440.0, 410.0]])


def pipelines() -> dict[str, list]:
    """Resize + pure crop pairs that Compose fuses (with targets, and padding that leaves the image)."""
    return {
        "segmentation": [RandomScale(260, 1039), RandomCropUpTo(480), HorizontalFlip(), PadIfSmaller(480, mask_fill=255), ToTensor()],
        "random_crop_padded": [RandomScale(100, 600), RandomCrop(480, pad_if_needed=True, mask_fill=255)],
        "resize_center": [Resize(shorter=300), augkit.CenterCrop((320, 500), mask_fill=9)],
    }


def unfused(steps: list, sample, rng):
    for step in steps:
        sample = step(sample, rng=rng)
    return sample


def assert_same_sample(got, expected) -> None:
    np.testing.assert_array_equal(np.asarray(got.image), np.asarray(expected.image))
    np.testing.assert_array_equal(np.asarray(got.mask), np.asarray(expected.mask))
    np.testing.assert_array_equal(np.asarray(got.boxes.xyxy), np.asarray(expected.boxes.xyxy))
    np.testing.assert_array_equal(np.asarray(got.keypoints.xy), np.asarray(expected.keypoints.xy))
    np.testing.assert_array_equal(np.asarray(got.keypoints.visible), np.asarray(expected.keypoints.visible))


@pytest.mark.parametrize("name", sorted(pipelines()))
@pytest.mark.parametrize("tensor_mask", [False, True])
def test_compose_moves_masks_through_a_fused_resize_crop_as_step_by_step(name, tensor_mask):
    steps = pipelines()[name]
    for seed in range(6):
        sample = label_sample(seed=seed)
        if tensor_mask:
            sample = sample.replace(mask=torch.from_numpy(sample.mask))
        got = Compose(steps)(sample, rng=seed)
        assert_same_sample(got, unfused(steps, sample, np.random.default_rng(seed)))
        assert set(np.unique(np.asarray(got.mask))) <= set(np.unique(np.asarray(sample.mask))) | {255, 9}


def test_a_fused_resize_crop_never_resizes_the_whole_mask(monkeypatch):
    """Only the crop's window of the mask is resampled (the whole resized mask is never made)."""
    calls = []
    original = T.resize_mask
    monkeypatch.setattr(T, "resize_mask", lambda mask, size: calls.append(size) or original(mask, size))
    steps = pipelines()["segmentation"]
    out = Compose(steps)(label_sample(), rng=3)
    assert tuple(out.mask.shape) == (480, 480)
    assert calls == []
    unfused(steps, label_sample(), np.random.default_rng(3))
    assert calls, "the step-by-step run resizes the mask whole"


def test_a_mask_of_another_size_than_the_image_moves_step_by_step():
    sample = label_sample()
    small = sample.replace(mask=sample.mask[::2, ::2].copy())
    steps = [RandomScale(300, 700), RandomCrop(256, pad_if_needed=True, mask_fill=255)]
    got = Compose(steps)(small, rng=1)
    np.testing.assert_array_equal(got.mask, unfused(steps, small, np.random.default_rng(1)).mask)


@pytest.mark.skipif(not WINDOWED_DECODING, reason="augkit._jpeg (the optional C extension) is not built")
def test_windowed_jpeg_decoding_moves_the_mask_in_the_window_too(monkeypatch):
    sample = label_sample(seed=5)
    buffer = io.BytesIO()
    Image.fromarray(sample.image).save(buffer, "JPEG", quality=90)
    data = buffer.getvalue()
    steps = pipelines()["segmentation"]
    decoded = sample.replace(image=augkit.decode(data))
    calls = []
    original = T.resize_mask
    monkeypatch.setattr(T, "resize_mask", lambda mask, size: calls.append(size) or original(mask, size))
    for seed in range(4):
        jpeg = open_image(data)
        assert isinstance(jpeg, EncodedJpeg)
        got = Compose(steps)(sample.replace(image=jpeg), rng=seed)
        assert calls == []
        assert_same_sample(got, unfused(steps, decoded, np.random.default_rng(seed)))
        calls.clear()  # the step-by-step reference resized the mask whole
