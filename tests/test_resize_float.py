"""float32 resizing equals torchvision v2 ``Resize``, including outputs one pixel wide.

torch's channels-last float kernel (which augkit runs on HWC arrays) gets an antialiased
output width of 1 wrong by up to 0.96; augkit resamples those in planar memory instead.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import augkit
from augkit.functional import geometry as G

v2 = pytest.importorskip("torchvision.transforms.v2")

#: float32 rounding of the same arithmetic in another memory layout.
ATOL = 1e-5


def _reference(image: np.ndarray, size: tuple[int, int], antialias: bool) -> np.ndarray:
    tensor = torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1)))
    return v2.Resize(size, antialias=antialias)(tensor).permute(1, 2, 0).numpy()


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
@pytest.mark.parametrize("antialias", [True, False])
def test_resize_to_one_column_equals_torchvision(channels, antialias):
    rng = np.random.default_rng(channels)
    for in_size, out_h in (((20, 30), 10), ((5, 7), 9), ((33, 1), 12), ((40, 64), 40), ((3, 200), 1)):
        image = rng.random((*in_size, channels), dtype=np.float32)
        expected = _reference(image, (out_h, 1), antialias)
        got = G.resize(image, (out_h, 1), antialias)
        assert got.dtype == np.float32 and got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=0, atol=ATOL, err_msg=f"{in_size} -> ({out_h}, 1)")
        transform = augkit.Resize(size=(out_h, 1), antialias=antialias)
        np.testing.assert_allclose(transform(image), expected, rtol=0, atol=ATOL)


@pytest.mark.parametrize("antialias", [True, False])
def test_a_window_of_a_one_column_resize_equals_torchvision(antialias):
    rng = np.random.default_rng(0)
    for in_size, out_h in (((36, 14), 6), ((20, 24), 6), ((38, 38), 7)):
        image = rng.random((*in_size, 3), dtype=np.float32)
        expected = _reference(image, (out_h, 1), antialias)
        for top in range(out_h):
            got = G.resize_crop(image, (out_h, 1), top, 0, out_h - top, 1, antialias)
            np.testing.assert_allclose(got, expected[top:], rtol=0, atol=ATOL, err_msg=f"{in_size}, top {top}")


def test_float32_resizes_of_any_small_size_equal_torchvision():
    rng = np.random.default_rng(1)
    for _ in range(60):
        in_h, in_w, out_h, out_w = (int(v) for v in rng.integers(1, 24, 4))
        channels = int(rng.integers(1, 5))
        antialias = bool(rng.integers(2))
        image = rng.random((in_h, in_w, channels), dtype=np.float32)
        expected = _reference(image, (out_h, out_w), antialias)
        np.testing.assert_allclose(G.resize(image, (out_h, out_w), antialias), expected, rtol=0, atol=ATOL)
