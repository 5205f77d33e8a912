"""Properties of the geometry transforms: flips, crops, resizes and their argument checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from strategies import batches, hwc_images, seeds

import augkit
from augkit.transforms.geometry import CropParams, FlipParams, ResizedCropParams, ScaleParams


def padded_reference(image: np.ndarray, top: int, left: int, height: int, width: int, fill) -> np.ndarray:
    """The window at (top, left) of ``image`` surrounded by an endless border of ``fill``."""
    margin = max(height, width) + max(abs(top), abs(left)) + 1
    big = np.pad(image, ((margin, margin), (margin, margin), (0, 0)), constant_values=fill)
    return big[top + margin : top + margin + height, left + margin : left + margin + width]


# --- flips ---------------------------------------------------------------------------------


@pytest.mark.parametrize("flip", [augkit.HorizontalFlip, augkit.VerticalFlip])
@given(image=hwc_images())
def test_flip_twice_is_identity_on_arrays(flip, image):
    t = flip(p=1.0)
    once = t(image, rng=0)
    assert once.shape == image.shape
    np.testing.assert_array_equal(t(once, rng=0), image)


@pytest.mark.parametrize("flip", [augkit.HorizontalFlip, augkit.VerticalFlip])
@given(batch=batches(), seed=seeds)
def test_flip_twice_is_identity_on_tensors(flip, batch, seed):
    t = flip(p=0.5)
    params = t.sample(np.random.default_rng(seed), batch)
    assert isinstance(params.flip, np.ndarray) and params.flip.shape == (batch.shape[0],)
    assert torch.equal(t.apply(t.apply(batch, params), params), batch)
    single = batch[0]
    assert torch.equal(t.apply(t.apply(single, FlipParams(True)), FlipParams(True)), single)


def test_flips_mirror_the_right_axis():
    image = np.arange(2 * 3 * 1, dtype=np.uint8).reshape(2, 3, 1)
    np.testing.assert_array_equal(augkit.HorizontalFlip(p=1.0)(image), image[:, ::-1])
    np.testing.assert_array_equal(augkit.VerticalFlip(p=1.0)(image), image[::-1])
    tensor = torch.from_numpy(image).permute(2, 0, 1)
    assert torch.equal(augkit.HorizontalFlip(p=1.0)(tensor), tensor.flip(-1))
    assert torch.equal(augkit.VerticalFlip(p=1.0)(tensor), tensor.flip(-2))


def test_batch_flip_draws_per_sample():
    batch = torch.arange(64 * 3 * 2 * 2, dtype=torch.float32).reshape(64, 3, 2, 2)
    out, params = augkit.HorizontalFlip(p=0.5).run(batch, np.random.default_rng(0))
    flipped = params.flip
    assert 0 < flipped.sum() < 64
    assert torch.equal(out[torch.from_numpy(flipped)], batch[torch.from_numpy(flipped)].flip(-1))
    assert torch.equal(out[torch.from_numpy(~flipped)], batch[torch.from_numpy(~flipped)])


# --- crops ---------------------------------------------------------------------------------


@given(image=hwc_images(min_side=4), data=st.data())
def test_random_crop_without_padding_is_a_sub_array(image, data):
    height, width = image.shape[:2]
    size = (data.draw(st.integers(1, height)), data.draw(st.integers(1, width)))
    out, params = augkit.RandomCrop(size).run(image, np.random.default_rng(data.draw(seeds)))
    assert out.shape == size + (3,)
    assert 0 <= params.top <= height - size[0] and 0 <= params.left <= width - size[1]
    np.testing.assert_array_equal(out, image[params.top : params.top + size[0], params.left : params.left + size[1]])


@given(image=hwc_images(max_side=20), data=st.data())
def test_random_crop_with_padding_pads_with_fill(image, data):
    height, width = image.shape[:2]
    padding = data.draw(st.sampled_from([0, 3, (2, 5), (1, 0, 4, 2)]))
    size = (data.draw(st.integers(1, 32)), data.draw(st.integers(1, 32)))
    fill = data.draw(st.integers(0, 255))
    t = augkit.RandomCrop(size, padding=padding, fill=fill)
    out, params = t.run(image, np.random.default_rng(data.draw(seeds)))
    assert out.shape == size + (3,) and out.dtype == np.uint8
    # The window lies in the padded image (plus the symmetric pad_if_needed extension).
    pad_left, pad_top, pad_right, pad_bottom = t.padding
    extra_h = max(0, size[0] - (height + pad_top + pad_bottom))
    extra_w = max(0, size[1] - (width + pad_left + pad_right))
    assert -(pad_top + extra_h) <= params.top and params.top + size[0] <= height + pad_bottom + extra_h
    assert -(pad_left + extra_w) <= params.left and params.left + size[1] <= width + pad_right + extra_w
    np.testing.assert_array_equal(out, padded_reference(image, params.top, params.left, *size, fill))


def test_random_crop_smaller_image_is_padded_around():
    image = np.full((3, 5, 3), 200, np.uint8)
    out, params = augkit.RandomCrop(7, fill=9).run(image, np.random.default_rng(0))
    assert out.shape == (7, 7, 3)
    # Height 3 -> 7 needs 4 more rows: torchvision pads 4 on each side, then crops uniformly.
    assert -4 <= params.top <= 0 and -2 <= params.left <= 0
    assert (out == 200).all(axis=2).sum() == 15 and set(np.unique(out)) == {9, 200}


def test_random_crop_without_pad_if_needed_refuses_small_images():
    with pytest.raises(ValueError, match="larger than the padded image"):
        augkit.RandomCrop(8, pad_if_needed=False)(np.zeros((4, 10, 3), np.uint8), rng=0)
    # Padding that makes it big enough is fine.
    assert augkit.RandomCrop(8, padding=2, pad_if_needed=False)(np.zeros((4, 10, 3), np.uint8), rng=0).shape == (8, 8, 3)


def test_random_crop_positions_are_uniform():
    image = np.zeros((10, 12, 3), np.uint8)
    t = augkit.RandomCrop(8)
    rng = np.random.default_rng(0)
    counts = np.zeros((3, 5), int)
    for _ in range(3000):
        p = t.sample(rng, image)
        counts[p.top, p.left] += 1
    expected = 3000 / counts.size
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert counts.min() > 0 and chi2 < 45  # 14 degrees of freedom: p ~ 5e-5 at 45; fixed seed


@given(image=hwc_images(), data=st.data())
def test_center_crop_size_and_position(image, data):
    height, width = image.shape[:2]
    size = (data.draw(st.integers(1, height)), data.draw(st.integers(1, width)))
    out, params = augkit.CenterCrop(size).run(image, None)
    top, left = int(round((height - size[0]) / 2.0)), int(round((width - size[1]) / 2.0))
    assert (params.top, params.left) == (top, left)
    assert out.shape == size + (3,)
    np.testing.assert_array_equal(out, image[top : top + size[0], left : left + size[1]])


@given(image=hwc_images(max_side=16), data=st.data())
def test_center_crop_of_a_smaller_image_pads_with_fill(image, data):
    size = (data.draw(st.integers(1, 24)), data.draw(st.integers(1, 24)))
    fill = data.draw(st.integers(0, 255))
    out, params = augkit.CenterCrop(size, fill=fill).run(image, None)
    assert out.shape == size + (3,)
    np.testing.assert_array_equal(out, padded_reference(image, params.top, params.left, *size, fill))


def test_center_crop_rounds_like_torchvision():
    # (H - h) / 2 = 0.5 and 1.5: Python's round() (to even), as torchvision uses.
    assert augkit.CenterCrop(2).window(3, 3) == CropParams(0, 0, 2, 2)
    assert augkit.CenterCrop(2).window(5, 5) == CropParams(2, 2, 2, 2)
    # Smaller than the crop: the extra pixel of padding goes after the image, as torchvision.
    assert augkit.CenterCrop((4, 5)).window(1, 2) == CropParams(-1, -1, 4, 5)


@given(image=hwc_images(min_side=2, max_side=40), seed=seeds, size=st.integers(1, 20))
def test_random_resized_crop_window_lies_inside(image, seed, size):
    height, width = image.shape[:2]
    t = augkit.RandomResizedCrop(size)
    out, params = t.run(image, np.random.default_rng(seed))
    assert isinstance(params, ResizedCropParams)
    assert out.shape == (size, size, 3) and out.dtype == np.uint8
    assert 0 <= params.top and params.top + params.height <= height and params.height > 0
    assert 0 <= params.left and params.left + params.width <= width and params.width > 0
    window = image[params.top : params.top + params.height, params.left : params.left + params.width]
    np.testing.assert_array_equal(out, augkit.Resize(size=(size, size))(window))


def test_random_resized_crop_without_resizing_is_a_sub_array(photo):
    image = photo[:50, :60]
    t = augkit.RandomResizedCrop(20, scale=(0.1, 0.2))
    rng = np.random.default_rng(1)
    checked = 0
    for _ in range(20):
        params = t.sample(rng, image)
        if params.top + 20 <= 50 and params.left + 20 <= 60:
            same_size = ResizedCropParams(params.top, params.left, 20, 20)
            np.testing.assert_array_equal(t.apply(image, same_size), image[params.top : params.top + 20, params.left : params.left + 20])
            checked += 1
    assert checked >= 10


def test_random_resized_crop_falls_back_to_a_center_crop_with_clamped_ratio():
    # Scale (1, 1) on a 10x100 image can never fit a ratio in [3/4, 4/3]: the fallback
    # takes the whole height and width = round(height * 4/3), centered.
    t = augkit.RandomResizedCrop(8, scale=(1.0, 1.0))
    assert t.sample(np.random.default_rng(0), np.zeros((10, 100, 3), np.uint8)) == ResizedCropParams(0, 43, 10, 13)
    assert t.sample(np.random.default_rng(0), np.zeros((100, 10, 3), np.uint8)) == ResizedCropParams(43, 0, 13, 10)


# --- resizes -------------------------------------------------------------------------------


@given(image=hwc_images(max_side=40), shorter=st.integers(1, 64))
def test_resize_shorter_truncates_the_longer_side(image, shorter):
    height, width = image.shape[:2]
    out = augkit.Resize(shorter=shorter)(image)
    short, long = min(height, width), max(height, width)
    expected_long = int(shorter * long / short)
    assert out.shape == ((shorter, expected_long, 3) if height <= width else (expected_long, shorter, 3))
    assert out.dtype == np.uint8


@given(image=hwc_images(max_side=40), size=st.tuples(st.integers(1, 50), st.integers(1, 50)))
def test_resize_to_exact_size(image, size):
    out = augkit.Resize(size=size)(image)
    assert out.shape == size + (3,)


@given(image=hwc_images(), value=st.integers(0, 255), size=st.tuples(st.integers(1, 50), st.integers(1, 50)))
def test_resize_keeps_constant_images_constant(image, value, size):
    flat = np.full_like(image, value)
    np.testing.assert_array_equal(augkit.Resize(size=size)(flat), np.full(size + (3,), value, np.uint8))


def test_resize_float_input_stays_float():
    image = np.random.default_rng(0).random((20, 30, 3), dtype=np.float32)
    out = augkit.Resize(shorter=10)(image)
    assert out.dtype == np.float32 and out.shape == (10, 15, 3)
    assert 0.0 <= out.min() and out.max() <= 1.0


@given(image=hwc_images(max_side=40), seed=seeds, sizes=st.tuples(st.integers(1, 60), st.integers(0, 20)))
def test_random_scale_shorter_side_in_range_and_aspect_kept(image, seed, sizes):
    min_size, extra = sizes
    t = augkit.RandomScale(min_size, min_size + extra)
    out, params = t.run(image, np.random.default_rng(seed))
    assert isinstance(params, ScaleParams)
    height, width = image.shape[:2]
    out_h, out_w = out.shape[:2]
    assert min(out_h, out_w) == params.shorter
    assert min_size <= params.shorter <= min_size + extra
    # Aspect kept to within one pixel: the longer side is the exact scaled length, truncated.
    if height <= width:
        assert abs(out_w - params.shorter * width / height) < 1
    else:
        assert abs(out_h - params.shorter * height / width) < 1


def test_random_scale_draws_every_size_uniformly():
    t = augkit.RandomScale(10, 14)
    rng = np.random.default_rng(0)
    draws = [t.sample(rng, None).shorter for _ in range(2000)]
    counts = np.bincount(draws, minlength=15)[10:]
    assert counts.min() > 300 and counts.max() < 500


# --- argument validation -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "error", "pattern"),
    [
        (lambda: augkit.RandomCrop(0), ValueError, "size must be >= 1"),
        (lambda: augkit.RandomCrop((4, 0)), ValueError, r"size\[1\] must be >= 1"),
        (lambda: augkit.RandomCrop((4, 4, 4)), ValueError, "size must be an int or a"),
        (lambda: augkit.RandomCrop(2.5), TypeError, "size must be an int"),
        (lambda: augkit.RandomCrop(4, padding=-1), ValueError, "padding must be >= 0"),
        (lambda: augkit.RandomCrop(4, padding=(1, 2, 3)), ValueError, "padding must be an int"),
        (lambda: augkit.RandomCrop(4, padding=(1, -2)), ValueError, r"padding\[1\] must be >= 0"),
        (lambda: augkit.RandomCrop(4, padding="4"), TypeError, "padding must be an int"),
        (lambda: augkit.RandomCrop(4, fill=float("nan")), ValueError, "fill must be finite"),
        (lambda: augkit.RandomCrop(4, fill=300), ValueError, r"fill must lie in \[0, 255\]"),
        (lambda: augkit.CenterCrop(4, fill=-1), ValueError, r"fill must lie in \[0, 255\]"),
        (lambda: augkit.CenterCrop(-3), ValueError, "size must be >= 1"),
        (lambda: augkit.CenterCrop(4, fill="black"), TypeError, "fill must be a real number"),
        (lambda: augkit.HorizontalFlip(p=1.5), ValueError, r"p must be a probability in \[0, 1\]"),
        (lambda: augkit.VerticalFlip(p=-0.1), ValueError, r"p must be a probability in \[0, 1\]"),
        (lambda: augkit.HorizontalFlip(p="0.5"), TypeError, "p must be a real number"),
        (lambda: augkit.RandomScale(300, 200), ValueError, "max_size must be >= min_size"),
        (lambda: augkit.RandomScale(0, 200), ValueError, "min_size must be >= 1"),
        (lambda: augkit.Resize(), ValueError, "exactly one of shorter= or size="),
        (lambda: augkit.Resize(shorter=10, size=10), ValueError, "exactly one of shorter= or size="),
        (lambda: augkit.Resize(shorter=0), ValueError, "shorter must be >= 1"),
        (lambda: augkit.Resize(size=(10, 0)), ValueError, r"size\[1\] must be >= 1"),
        (lambda: augkit.RandomResizedCrop(0), ValueError, "size must be >= 1"),
        (lambda: augkit.RandomResizedCrop(8, scale=(0.5, 0.2)), ValueError, "scale must have low <= high"),
        (lambda: augkit.RandomResizedCrop(8, scale=(0.5, 1.5)), ValueError, "scale must lie within"),
        (lambda: augkit.RandomResizedCrop(8, scale=(0.0, 0.0)), ValueError, "scale must have high > 0"),
        (lambda: augkit.RandomResizedCrop(8, scale=0.5), TypeError, "scale must be a"),
        (lambda: augkit.RandomResizedCrop(8, ratio=(0.0, 1.0)), ValueError, "ratio must lie within"),
        (lambda: augkit.RandomResizedCrop(8, ratio=(2.0, 1.0)), ValueError, "ratio must have low <= high"),
    ],
)
def test_arguments_are_validated_naming_the_argument(make, error, pattern):
    with pytest.raises(error, match=pattern):
        make()


@pytest.mark.parametrize(
    "t",
    [augkit.Resize(shorter=4), augkit.RandomScale(4, 8), augkit.RandomCrop(4), augkit.CenterCrop(4), augkit.RandomResizedCrop(4)],
    ids=repr,
)
def test_sample_stage_transforms_refuse_non_arrays_clearly(t):
    with pytest.raises(TypeError, match="HWC numpy array"):
        t(b"\xff\xd8\xff", rng=0)
    with pytest.raises(ValueError, match=r"shape \(height, width, channels\)"):
        t(np.zeros((4, 4), np.uint8), rng=0)
    with pytest.raises(ValueError, match="must not be empty"):
        t(np.zeros((0, 4, 3), np.uint8), rng=0)


def test_params_are_frozen_and_printable():
    params = augkit.RandomCrop(4).sample(np.random.default_rng(0), np.zeros((8, 8, 3), np.uint8))
    assert repr(params).startswith("CropParams(top=")
    with pytest.raises(AttributeError):
        params.top = 1  # type: ignore[misc]
