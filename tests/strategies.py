"""Reusable hypothesis strategies for images, batches and seeds."""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

seeds = st.integers(min_value=0, max_value=2**32 - 1)


@st.composite
def hwc_images(draw, min_side: int = 1, max_side: int = 48, channels: int = 3, dtype=np.uint8) -> np.ndarray:
    """Draw an HWC image; uint8 by default, or float32 in [0, 1]."""
    height = draw(st.integers(min_side, max_side))
    width = draw(st.integers(min_side, max_side))
    seed = draw(seeds)
    generator = np.random.default_rng(seed)
    if np.dtype(dtype) == np.uint8:
        return generator.integers(0, 256, size=(height, width, channels), dtype=np.uint8)
    return generator.random((height, width, channels), dtype=np.float32)


@st.composite
def batches(draw, min_batch: int = 1, max_batch: int = 6, min_side: int = 2, max_side: int = 24, dtype=torch.uint8) -> torch.Tensor:
    """Draw a ``[B, 3, H, W]`` tensor batch; uint8 by default, or float32 in [0, 1]."""
    b = draw(st.integers(min_batch, max_batch))
    h = draw(st.integers(min_side, max_side))
    w = draw(st.integers(min_side, max_side))
    generator = torch.Generator().manual_seed(draw(seeds))
    if dtype == torch.uint8:
        return torch.randint(0, 256, (b, 3, h, w), dtype=torch.uint8, generator=generator)
    return torch.rand((b, 3, h, w), generator=generator, dtype=dtype)


def small_arrays(shape, dtype=np.uint8):
    """Arbitrary arrays of a fixed shape (edge values included)."""
    return arrays(dtype, shape)


@st.composite
def label_masks(draw, height: int, width: int, labels=(0, 3, 7, 12, 255)) -> np.ndarray:
    """Draw a ``[H, W]`` uint8 label map: a background label and a few rectangles of other labels."""
    generator = np.random.default_rng(draw(seeds))
    chosen = draw(st.lists(st.sampled_from(labels), min_size=1, max_size=4, unique=True))
    mask = np.full((height, width), chosen[0], np.uint8)
    for label in chosen[1:]:
        top, left = generator.integers(0, height), generator.integers(0, width)
        mask[top : top + generator.integers(1, height + 1), left : left + generator.integers(1, width + 1)] = label
    return mask


@st.composite
def boxes_in(draw, height: int, width: int, max_boxes: int = 6, integer: bool = False) -> np.ndarray:
    """Draw ``[N, 4]`` xyxy float32 boxes inside a ``height x width`` image (integer corners, or at least half a pixel wide)."""
    count = draw(st.integers(0, max_boxes))
    generator = np.random.default_rng(draw(seeds))

    def sides(length: int) -> tuple[np.ndarray, np.ndarray]:
        if integer:
            low = generator.integers(0, length, size=count)
            return low, generator.integers(low + 1, length + 1)
        low = generator.uniform(0, length - 0.5, size=count)
        return low, generator.uniform(low + 0.5, length)

    (x1, x2), (y1, y2) = sides(width), sides(height)
    return np.stack([x1, y1, x2, y2], axis=1).astype(np.float32).reshape(count, 4)


@st.composite
def keypoints_in(draw, height: int, width: int, max_points: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``[N, 2]`` keypoints at pixel positions inside ``[0, W - 1] x [0, H - 1]`` (visible) and outside (invisible)."""
    count = draw(st.integers(1, max_points))
    generator = np.random.default_rng(draw(seeds))
    xy = np.stack([generator.uniform(-0.5 * width, 1.5 * width, count), generator.uniform(-0.5 * height, 1.5 * height, count)], axis=1)
    inside = (xy[:, 0] >= 0) & (xy[:, 0] <= width - 1) & (xy[:, 1] >= 0) & (xy[:, 1] <= height - 1)
    outside = (xy[:, 0] < 0) | (xy[:, 0] >= width) | (xy[:, 1] < 0) | (xy[:, 1] >= height)
    keep = inside | outside  # leave out the last pixel's far half, where a flip moves a point out of the image
    return xy[keep].astype(np.float32), inside[keep]
