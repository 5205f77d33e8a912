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
