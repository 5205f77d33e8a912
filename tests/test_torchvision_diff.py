"""Differential tests against torchvision v2, with an explicit tolerance per op.

Skipped when torchvision is not installed; CI installs it, so there they run.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image
from strategies import hwc_images, seeds

import augkit
from augkit import constants

torchvision = pytest.importorskip("torchvision")
from torchvision.transforms import v2 as T  # noqa: E402
from torchvision.transforms.v2 import functional as TF  # noqa: E402


def to_chw(image: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).contiguous()


def to_hwc(tensor: torch.Tensor) -> np.ndarray:
    return tensor.as_subclass(torch.Tensor).permute(1, 2, 0).numpy()


# --- crops: exact ---------------------------------------------------------------------------


@given(image=hwc_images(max_side=32), size=st.tuples(st.integers(1, 40), st.integers(1, 40)))
def test_center_crop_equals_torchvision(image, size):
    ours = augkit.CenterCrop(size)(image)
    theirs = to_hwc(T.CenterCrop(size)(to_chw(image)))
    np.testing.assert_array_equal(ours, theirs)


@given(
    image=hwc_images(max_side=24),
    size=st.tuples(st.integers(1, 32), st.integers(1, 32)),
    padding=st.sampled_from([0, 2, 4, (1, 3), (0, 2, 5, 1)]),
    fill=st.integers(0, 255),
    seed=seeds,
)
def test_random_crop_equals_torchvision_crop_of_the_padded_image(image, size, padding, fill, seed):
    t = augkit.RandomCrop(size, padding=padding, fill=fill)
    out, params = t.run(image, np.random.default_rng(seed))
    # torchvision v2 RandomCrop: pad by `padding` with fill, pad_if_needed, then crop (top, left).
    pad_left, pad_top, pad_right, pad_bottom = t.padding
    padded = TF.pad(to_chw(image), [pad_left, pad_top, pad_right, pad_bottom], fill=fill)
    height, width = padded.shape[-2:]
    extra_h, extra_w = max(0, size[0] - height), max(0, size[1] - width)
    padded = TF.pad(padded, [extra_w, extra_h, extra_w, extra_h], fill=fill)
    top, left = params.top + pad_top + extra_h, params.left + pad_left + extra_w
    assert 0 <= top <= padded.shape[-2] - size[0] and 0 <= left <= padded.shape[-1] - size[1]
    np.testing.assert_array_equal(out, to_hwc(TF.crop(padded, top, left, *size)))


# --- RandomResizedCrop: box statistics ------------------------------------------------------


def ks_statistic(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov statistic: the largest gap between the two ECDFs."""
    a, b = np.sort(a), np.sort(b)
    grid = np.concatenate([a, b])
    return float(np.abs(np.searchsorted(a, grid, side="right") / a.size - np.searchsorted(b, grid, side="right") / b.size).max())


def box_features(boxes: np.ndarray, height: int, width: int) -> dict[str, np.ndarray]:
    top, left, h, w = boxes.T.astype(np.float64)
    return {
        "area fraction": h * w / (height * width),
        "log aspect": np.log(w / h),
        "center y": (top + h / 2) / height,
        "center x": (left + w / 2) / width,
    }


@pytest.mark.parametrize(
    ("height", "width", "scale", "ratio"),
    [
        (224, 224, (0.08, 1.0), (3 / 4, 4 / 3)),
        (120, 360, (0.08, 1.0), (3 / 4, 4 / 3)),  # wide: many tries fail, fallback matters
        (32, 32, (0.5, 1.0), (0.5, 2.0)),  # small: integer rounding matters
    ],
)
def test_random_resized_crop_box_statistics_match_torchvision(height, width, scale, ratio):
    n = 3000
    image = np.zeros((height, width, 3), np.uint8)
    ours_t = augkit.RandomResizedCrop(16, scale=scale, ratio=ratio)
    rng = np.random.default_rng(2024)
    ours = np.array([[getattr(p, k) for k in ("top", "left", "height", "width")] for p in (ours_t.sample(rng, image) for _ in range(n))])
    theirs_t = T.RandomResizedCrop(16, scale=scale, ratio=ratio, antialias=True)
    flat = [torch.zeros(3, height, width, dtype=torch.uint8)]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(2024)
        theirs = np.array([[d[k] for k in ("top", "left", "height", "width")] for d in (theirs_t.make_params(flat) for _ in range(n))])
    ours_f, theirs_f = box_features(ours, height, width), box_features(theirs, height, width)
    # With n = m = 3000, the KS critical value at alpha = 0.001 is 1.95 * sqrt(2 / 3000) = 0.050.
    # The seeds are fixed, so the test cannot flake (measured: at most 0.031). Drawing the
    # aspect uniformly instead of log-uniformly gives 0.07, so the check has teeth.
    for name in ours_f:
        d = ks_statistic(ours_f[name], theirs_f[name])
        assert d < 0.05, f"{name}: KS statistic {d:.4f} between augkit and torchvision boxes"
        assert abs(np.mean(ours_f[name]) - np.mean(theirs_f[name])) < 0.03, name
    # The same fallback (whole-height or whole-width center crop) in the same share of draws.
    is_fallback = lambda b: (b[:, 2] == height) | (b[:, 3] == width)  # noqa: E731
    assert abs(is_fallback(ours).mean() - is_fallback(theirs).mean()) < 0.03


def test_random_resized_crop_fallback_equals_torchvision():
    # Scale (1, 1) never fits for aspect ratios outside [3/4, 4/3]: both fall back deterministically.
    for height, width in [(10, 100), (100, 10), (50, 60)]:
        ours = augkit.RandomResizedCrop(8, scale=(1.0, 1.0)).sample(np.random.default_rng(0), np.zeros((height, width, 3), np.uint8))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            theirs = T.RandomResizedCrop(8, scale=(1.0, 1.0)).make_params([torch.zeros(3, height, width)])
        if (height, width) != (50, 60):
            assert (ours.top, ours.left, ours.height, ours.width) == (theirs["top"], theirs["left"], theirs["height"], theirs["width"])
        else:  # 60/50 lies inside the ratio range: the whole image, which any try also finds
            assert (ours.height, ours.width) == (theirs["height"], theirs["width"]) == (50, 60)


def test_random_resized_crop_output_equals_torchvision_for_the_same_box(photo):
    t = augkit.RandomResizedCrop((48, 64))
    params = t.sample(np.random.default_rng(5), photo)
    ours = t.apply(photo, params)
    theirs = to_hwc(TF.resized_crop(to_chw(photo), params.top, params.left, params.height, params.width, [48, 64], antialias=True))
    assert np.abs(ours.astype(int) - theirs.astype(int)).mean() <= 1.5


# --- Resize: natural photos ----------------------------------------------------------------


def resize_differences(sample_images) -> list[tuple[str, str, float, int]]:
    rows = []
    for name, image in sorted(sample_images.items()):
        height, width = image.shape[:2]
        chw = to_chw(image)
        cases = [
            ("shorter=224", augkit.Resize(shorter=224), T.Resize(224, antialias=True)),
            ("shorter=97", augkit.Resize(shorter=97), T.Resize(97, antialias=True)),
            (
                "size=(h*1.5, w*0.6)",
                augkit.Resize(size=(int(height * 1.5), int(width * 0.6))),
                T.Resize((int(height * 1.5), int(width * 0.6)), antialias=True),
            ),
            ("upscale x1.7", augkit.Resize(shorter=int(min(height, width) * 1.7)), T.Resize(int(min(height, width) * 1.7), antialias=True)),
        ]
        for label, ours_t, theirs_t in cases:
            ours, theirs = ours_t(image), to_hwc(theirs_t(chw))
            assert ours.shape == theirs.shape, f"{name} {label}: shape {ours.shape} vs torchvision {theirs.shape}"
            diff = np.abs(ours.astype(np.int16) - theirs.astype(np.int16))
            rows.append((name, label, float(diff.mean()), int(diff.max())))
    return rows


def test_resize_matches_torchvision_on_natural_photos(sample_images):
    rows = resize_differences(sample_images)
    print("\nResize vs torchvision v2 Resize(antialias=True): name, case, mean |diff|, max |diff|")
    for row in rows:
        print("  {:<24} {:<22} {:.4f} {}".format(*row))
    # The contract (SPEC section 4) is a mean absolute difference <= 1.5 levels; with torch's
    # antialiased bilinear kernel on both sides it is measured at exactly 0 (max 0).
    for name, label, mean, largest in rows:
        assert mean <= 1.5, f"{name} {label}: mean absolute difference {mean:.3f} > 1.5 levels (max {largest})"


# --- Normalize and ToTensor ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("mean", "std"), [(constants.IMAGENET_MEAN, constants.IMAGENET_STD), ((0.5, 0.4, 0.3), (1.0, 1.0, 1.0)), ((0.0,) * 3, (0.01, 0.2, 3.0))]
)
def test_normalize_equals_torchvision_on_uint8(photo, mean, std):
    image = photo[:64, :80]
    theirs = T.Compose([T.ToDtype(torch.float32, scale=True), T.Normalize(list(mean), list(std))])(to_chw(image))
    theirs = theirs.as_subclass(torch.Tensor)
    t = augkit.Normalize(mean, std)
    tol = 1e-6 * max(1.0, 1.0 / min(std))  # float32 rounding grows with 1/std
    torch.testing.assert_close(t(to_chw(image)), theirs, rtol=0, atol=tol)
    torch.testing.assert_close(to_chw(t(image)), theirs, rtol=0, atol=tol)
    batch = torch.stack([to_chw(image), to_chw(image[::-1])])
    torch.testing.assert_close(
        t(batch)[1], T.Normalize(list(mean), list(std))(TF.to_dtype(batch[1], torch.float32, scale=True)), rtol=0, atol=tol
    )


@given(image=hwc_images(max_side=16, dtype=np.float32))
def test_normalize_equals_torchvision_on_float(image):
    mean, std = constants.IMAGENET_MEAN, constants.IMAGENET_STD
    chw = to_chw(image)
    theirs = T.Compose([T.ToDtype(torch.float32, scale=True), T.Normalize(list(mean), list(std))])(chw).as_subclass(torch.Tensor)
    t = augkit.Normalize(mean, std)
    torch.testing.assert_close(t(chw), theirs, rtol=0, atol=1e-6)
    torch.testing.assert_close(to_chw(t(image)), theirs, rtol=0, atol=1e-6)


@given(image=hwc_images(max_side=16))
def test_to_tensor_equals_torchvision(image):
    ours = augkit.ToTensor()(image)
    assert ours.dtype == torch.uint8 and ours.shape == (3,) + image.shape[:2]
    assert torch.equal(ours, T.PILToTensor()(Image.fromarray(image)))
    assert torch.equal(ours, T.ToImage()(image).as_subclass(torch.Tensor))
