"""Normalize: the three classic modes, dtype semantics, inverse, and array / tensor agreement."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from strategies import hwc_images

import augkit
from augkit import constants

means = st.tuples(*[st.floats(0.0, 1.0)] * 3)
stds = st.tuples(*[st.floats(0.05, 2.0)] * 3)


def to_chw(image: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).contiguous()


def stats(height: int = 6, width: int = 5, seed: int = 0) -> SimpleNamespace:
    """A stand-in for augkit.stats.Stats: anything with mean, std and mean_image in [0, 1] units."""
    mean_image = np.random.default_rng(seed).random((height, width, 3)).astype(np.float32)
    return SimpleNamespace(mean=(0.4, 0.5, 0.6), std=(0.2, 0.25, 0.3), mean_image=mean_image)


@given(image=hwc_images(max_side=16, dtype=np.float32), mean=means, std=stds)
def test_normalize_then_inverse_is_identity_on_float(image, mean, std):
    t = augkit.Normalize(mean, std)
    out = t(image)
    assert out.dtype == np.float32
    np.testing.assert_allclose(t.inverse(out), image, rtol=0, atol=1e-6)
    chw = to_chw(image)
    torch.testing.assert_close(t.inverse(t(chw)), chw, rtol=0, atol=1e-6)


@given(image=hwc_images(max_side=16), mean=means, std=stds)
def test_normalize_then_inverse_gives_uint8_over_255(image, mean, std):
    t = augkit.Normalize(mean, std)
    np.testing.assert_allclose(t.inverse(t(image)), image / 255.0, rtol=0, atol=1e-6)


@given(image=hwc_images(max_side=12, dtype=np.float32))
def test_mean_image_inverse_is_identity(image):
    mean_image = np.random.default_rng(1).random(image.shape).astype(np.float32)
    t = augkit.Normalize(mean_image=mean_image)
    np.testing.assert_allclose(t.inverse(t(image)), image, rtol=0, atol=1e-6)
    chw = to_chw(image)
    torch.testing.assert_close(t.inverse(t(chw)), chw, rtol=0, atol=1e-6)


def test_three_modes_from_stats():
    s = stats()
    image = np.random.default_rng(2).integers(0, 256, (6, 5, 3), dtype=np.uint8)
    x = image / 255.0

    ours = augkit.Normalize.from_stats(s, "mean_image")(image)
    np.testing.assert_allclose(ours, x - s.mean_image, rtol=0, atol=1e-6)

    t = augkit.Normalize.from_stats(s, "per_channel_mean")
    assert t.mean == s.mean and t.std is None
    np.testing.assert_allclose(t(image), x - np.array(s.mean), rtol=0, atol=1e-6)

    t = augkit.Normalize.from_stats(s, "per_channel_std")
    assert augkit.Normalize.from_stats(s).std == t.std == s.std  # the default mode
    np.testing.assert_allclose(t(image), (x - np.array(s.mean)) / np.array(s.std), rtol=0, atol=1e-5)


def test_from_stats_errors():
    with pytest.raises(ValueError, match="mode must be one of"):
        augkit.Normalize.from_stats(stats(), "per_pixel")
    with pytest.raises(ValueError, match="mean_image"):
        augkit.Normalize.from_stats(SimpleNamespace(mean=(0.5,) * 3, std=(0.2,) * 3, mean_image=None), "mean_image")
    with pytest.raises(ValueError, match="mean_image"):
        augkit.Normalize.from_stats(SimpleNamespace(mean=(0.5,) * 3, std=(0.2,) * 3), "mean_image")


def test_mean_image_on_another_size_raises_clearly():
    t = augkit.Normalize.from_stats(stats(6, 5), "mean_image")
    message = r"expects images of size \(6, 5\), got \(7, 5\)"
    with pytest.raises(ValueError, match=message):
        t(np.zeros((7, 5, 3), np.uint8))
    with pytest.raises(ValueError, match=message):
        t(torch.zeros(3, 7, 5, dtype=torch.uint8))
    with pytest.raises(ValueError, match=message):
        t(torch.zeros(2, 3, 7, 5))


def test_channel_mismatch_raises_clearly():
    t = augkit.Normalize(constants.IMAGENET_MEAN, constants.IMAGENET_STD)
    with pytest.raises(ValueError, match="built for 3 channels, got an image with 1"):
        t(np.zeros((4, 4, 1), np.uint8))
    with pytest.raises(ValueError, match="built for 3 channels, got an image with 4"):
        t(torch.zeros(2, 4, 8, 8))
    with pytest.raises(ValueError, match="built for 3 channels, got an image with 1"):
        augkit.Normalize.from_stats(stats(), "mean_image")(np.zeros((6, 5, 1), np.uint8))


def test_uint8_is_scaled_and_float_is_taken_as_unit_range():
    t = augkit.Normalize(mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0))
    np.testing.assert_allclose(t(np.full((1, 1, 3), 255, np.uint8)), 1.0, rtol=0, atol=1e-7)
    np.testing.assert_allclose(t(np.full((1, 1, 3), 51, np.uint8)), 0.2, rtol=0, atol=1e-7)
    np.testing.assert_allclose(t(np.full((1, 1, 3), 0.2, np.float32)), 0.2, rtol=0, atol=1e-7)
    np.testing.assert_allclose(t(np.full((1, 1, 3), 0.2, np.float64)), 0.2, rtol=0, atol=1e-7)
    assert t(torch.full((3, 1, 1), 255, dtype=torch.uint8)).flatten().tolist() == [1.0, 1.0, 1.0]
    torch.testing.assert_close(t(torch.full((3, 1, 1), 0.2, dtype=torch.float64)), torch.full((3, 1, 1), 0.2), rtol=0, atol=1e-7)


@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
def test_output_is_float32(dtype):
    image = np.ones((4, 4, 3), dtype)
    assert augkit.Normalize((0.5,) * 3, (0.2,) * 3)(image).dtype == np.float32
    assert augkit.Normalize((0.5,) * 3)(image).dtype == np.float32
    assert augkit.Normalize(mean_image=np.zeros((4, 4, 3)))(image).dtype == np.float32
    tensor = to_chw(image)
    assert augkit.Normalize((0.5,) * 3, (0.2,) * 3)(tensor).dtype == torch.float32
    assert augkit.Normalize(mean_image=np.zeros((4, 4, 3)))(tensor).dtype == torch.float32


@pytest.mark.parametrize(
    "make",
    [
        lambda: augkit.Normalize(constants.IMAGENET_MEAN, constants.IMAGENET_STD),
        lambda: augkit.Normalize((0.3, 0.2, 0.1)),
        lambda: augkit.Normalize(mean_image=stats(12, 9).mean_image),
    ],
)
@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_tensor_and_array_paths_agree(make, dtype):
    t = make()
    images = [hwc for hwc in (np.random.default_rng(s).integers(0, 256, (12, 9, 3)).astype(np.uint8) for s in range(3))]
    if dtype == np.float32:
        images = [(im / 255.0).astype(np.float32) for im in images]
    from_arrays = [to_chw(t(im)) for im in images]
    for im, expected in zip(images, from_arrays):
        torch.testing.assert_close(t(to_chw(im)), expected, rtol=0, atol=1e-6)
    batch = torch.stack([to_chw(im) for im in images])
    out = t(batch)
    assert out.shape == batch.shape and out.dtype == torch.float32
    torch.testing.assert_close(out, torch.stack(from_arrays), rtol=0, atol=1e-6)


def test_input_is_not_modified():
    image = np.random.default_rng(0).random((5, 5, 3)).astype(np.float32)
    before = image.copy()
    augkit.Normalize((0.5,) * 3, (0.2,) * 3)(image)
    augkit.Normalize(mean_image=np.full((5, 5, 3), 0.1))(image)
    np.testing.assert_array_equal(image, before)
    tensor = torch.rand(3, 5, 5)  # a float32 tensor: .to(float32) returns it as is, no copy
    clone = tensor.clone()
    augkit.Normalize(mean_image=np.full((5, 5, 3), 0.1))(tensor)
    augkit.Normalize((0.5,) * 3, (0.2,) * 3)(tensor)
    assert torch.equal(tensor, clone)


def test_mean_image_from_npy_file_and_config_round_trip(tmp_path):
    mean_image = stats(4, 4).mean_image
    path = tmp_path / "mean.npy"
    np.save(path, mean_image)
    image = np.random.default_rng(3).integers(0, 256, (4, 4, 3), dtype=np.uint8)
    expected = augkit.Normalize(mean_image=mean_image)(image)
    from_file = augkit.Normalize(mean_image=str(path))
    np.testing.assert_array_equal(from_file(image), expected)
    assert augkit.from_config(from_file.to_config()).to_config() == from_file.to_config()
    rebuilt = augkit.from_config(augkit.Normalize(mean_image=mean_image).to_config())
    np.testing.assert_allclose(rebuilt(image), expected, rtol=0, atol=1e-7)
    per_channel = augkit.Normalize((0.1, 0.2, 0.3))
    assert augkit.from_config(per_channel.to_config()).to_config() == {"name": "Normalize", "mean": [0.1, 0.2, 0.3]}


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({}, ValueError, "needs mean="),
        ({"std": (1.0,) * 3}, ValueError, "needs mean="),
        ({"mean": (0.5,) * 3, "mean_image": np.zeros((2, 2, 3))}, ValueError, "either mean/std or mean_image"),
        ({"mean": (0.5,) * 3, "std": (0.2, 0.0, 0.2)}, ValueError, "std must be > 0"),
        ({"mean": (0.5,) * 3, "std": (0.2, 0.2)}, ValueError, "std must have 3 values"),
        ({"mean": (0.5, float("nan"), 0.5)}, ValueError, "mean must be finite"),
        ({"mean": "abc"}, TypeError, "mean must be a sequence of numbers"),
        ({"mean_image": np.zeros((2, 2))}, ValueError, r"mean_image must have shape \(height, width, channels\)"),
        ({"mean_image": "/nonexistent/mean.npy"}, ValueError, "mean_image: cannot load"),
    ],
)
def test_arguments_are_validated(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        augkit.Normalize(**kwargs)
