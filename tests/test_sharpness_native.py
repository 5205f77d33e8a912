"""augkit._sharpness (augkit/_ext/sharpness.c): torchvision v2's uint8 adjust_sharpness, bit-exact, at every level.

The kernel reads any strides: HWC images take one run per row over all channels (neighbours
C bytes apart), planes one run per row, other layouts pixel by pixel. Weights (1 - factor) near
0 and beyond 2^40 take libm's fmaf at the portable level instead of the exact double sum.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from native_levels import LEVELS, at_level

from augkit.functional import photometric as P

native = pytest.importorskip("augkit._sharpness")
TF = pytest.importorskip("torchvision.transforms.v2.functional")


@pytest.fixture(params=LEVELS, scope="module")
def level(request):
    """Each SIMD level the CPU runs (a missing one falls back to the next below, still checked)."""
    with at_level(native, request.param) as name:
        yield name


def _layouts(images: torch.Tensor):
    """The same ``[B, C, H, W]`` pixels as planes, as HWC memory, and with transposed planes."""
    yield "planes", images.contiguous()
    yield "hwc", images.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2)
    yield "transposed", images.transpose(2, 3).contiguous().transpose(2, 3)


FACTORS = st.one_of(
    st.floats(0.0, 3.0),
    st.sampled_from([0.0, 1.0, 2.0, 1e-7, 1.0 - 1e-7, 1.0 + 1e-7, 1.0 + 2.0**-30, 50.0, 999.0]),
)


@settings(max_examples=50, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    channels=st.sampled_from([1, 3]),
    size=st.tuples(st.integers(1, 24), st.integers(1, 40)),
    factors=st.tuples(FACTORS, FACTORS),
)
def test_equals_torchvision(level, seed, channels, size, factors):
    rng = np.random.default_rng(seed)
    images = torch.from_numpy(rng.integers(0, 256, (2, channels, *size), dtype=np.uint8))
    expected = torch.stack([TF.adjust_sharpness(image, factor) for image, factor in zip(images, factors)])
    weights = P._blend_weight(np.asarray(factors), False)
    for name, source in _layouts(images):
        for out in (torch.empty_like(images), torch.empty((2, *size, channels), dtype=torch.uint8).permute(0, 3, 1, 2)):
            native.sharpen(source.numpy(), out.numpy(), weights)
            assert torch.equal(out, expected), f"{level} {name} factors {factors}"


def test_the_functional_op_uses_it_and_agrees_without_it(monkeypatch):
    rng = np.random.default_rng(1)
    photo = rng.integers(0, 256, (37, 53, 3), dtype=np.uint8)
    batch = torch.from_numpy(rng.integers(0, 256, (4, 3, 29, 31), dtype=np.uint8)).contiguous(memory_format=torch.channels_last)
    factors = np.array([0.0, 0.3, 1.9, 7.0])
    with_kernel = [P.adjust_sharpness(photo, 1.7), P.adjust_sharpness(photo[..., :1], 0.2), P.adjust_sharpness(batch, factors)]
    monkeypatch.setattr(P, "_native_sharpness", None)
    without = [P.adjust_sharpness(photo, 1.7), P.adjust_sharpness(photo[..., :1], 0.2), P.adjust_sharpness(batch, factors)]
    for got, expected in zip(with_kernel, without):
        assert torch.equal(torch.as_tensor(got), torch.as_tensor(expected))
    reference = torch.stack([TF.adjust_sharpness(image, float(f)) for image, f in zip(batch, factors)])
    assert torch.equal(with_kernel[2], reference)


def test_bad_arguments_are_refused():
    image = np.zeros((1, 3, 8, 8), np.uint8)
    out = np.zeros_like(image)
    native.sharpen(image, out, np.array([0.5]))
    with pytest.raises(ValueError, match="4-dimensional"):
        native.sharpen(image[0], out[0], np.array([0.5]))
    with pytest.raises(ValueError, match="uint8"):
        native.sharpen(image.astype(np.float32), out.astype(np.float32), np.array([0.5]))
    with pytest.raises(ValueError, match="same shape"):
        native.sharpen(image, out[:, :, :7], np.array([0.5]))
    with pytest.raises(ValueError, match="one weight per image"):
        native.sharpen(image, out, np.array([0.5, 0.5]))
    with pytest.raises(ValueError, match="one weight per image"):
        native.sharpen(image, out, np.array([0.5], np.float32))
    with pytest.raises(ValueError, match="finite"):
        native.sharpen(image, out, np.array([np.nan]))
