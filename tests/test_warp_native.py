"""augkit._warp (augkit/_ext/warp.c): torch's grid_sample at a grid, bit-exact, at every SIMD level.

The reference is torch's own CPU ``grid_sample`` followed by torchvision's fill blend and
rounding (``warping._warp_rows``, the path taken without the extension). The avx2 level
gathers 8 pixels at a time and reads 8 bytes per tap row, so blocks at the image's borders
and its last bytes take the per-pixel path: the hypothesis grids reach outside the image and
the guard-page test checks that no read passes the end.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from guard_page import before_a_guard_page
from hypothesis import given, settings
from hypothesis import strategies as st
from native_levels import LEVELS, at_level

from augkit.functional import warping as W

native = pytest.importorskip("augkit._warp")


@pytest.fixture(params=LEVELS, scope="module")
def level(request):
    """Each SIMD level the CPU runs (a missing one falls back to the next below, still checked)."""
    with at_level(native, request.param) as name:
        yield name


def _reference(images: torch.Tensor, grid: torch.Tensor, interpolation: str, fill) -> torch.Tensor:
    """torch's grid_sample path of ``warping`` (what runs without the extension)."""
    return W._warp_rows(images, grid, interpolation, W._fill_values(fill, images.shape[1]), tuple(grid.shape[1:3]))


def _native(images: torch.Tensor, grid: torch.Tensor, interpolation: str, fill, hwc_out: bool = False) -> torch.Tensor:
    batch, channels = images.shape[:2]
    if hwc_out:
        out = torch.empty((batch, *grid.shape[1:3], channels), dtype=images.dtype).permute(0, 3, 1, 2)
    else:
        out = torch.empty((batch, channels, *grid.shape[1:3]), dtype=images.dtype)
    W._sample_native(images.numpy(), out.numpy(), grid, interpolation, W._fill_values(fill, channels))
    return out


def _grid(rng: np.random.Generator, batch: int, out_size, in_size, ties: bool, reach: float = 1.3) -> torch.Tensor:
    """Sampling positions up to ``reach`` (past the border when > 1); ``ties`` puts them on pixel centres and half-way points."""
    h, w = in_size
    shape = (batch, *out_size, 2)
    if ties:
        half_steps = rng.integers(-2 * max(h, w) - 4, 2 * max(h, w) + 4, shape)
        grid = half_steps / np.array([2.0 * w, 2.0 * h]) - 1.0
    else:
        grid = rng.uniform(-reach, reach, shape)
    return torch.from_numpy(grid.astype(np.float32))


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    channels=st.integers(1, 4),
    size=st.tuples(st.integers(1, 40), st.integers(1, 40)),
    out_size=st.tuples(st.integers(1, 30), st.integers(1, 45)),
    layout=st.sampled_from(["chw", "hwc", "transposed"]),
    ties=st.booleans(),
    reach=st.sampled_from([0.8, 1.3]),  # inside: the avx2 rows' 8-pixel blocks; beyond: the borders
    with_fill=st.booleans(),
)
def test_bilinear_equals_torch(level, seed, channels, size, out_size, layout, ties, reach, with_fill):
    rng = np.random.default_rng(seed)
    for dtype in (torch.uint8, torch.float32):
        images = torch.from_numpy(rng.integers(0, 256, (2, *size, channels))).to(dtype)
        images = images.permute(0, 3, 1, 2)  # HWC memory
        if layout == "chw":
            images = images.contiguous()
        elif layout == "transposed":
            images = images.transpose(2, 3).contiguous().transpose(2, 3)
        grid = _grid(rng, 2, out_size, size, ties, reach)
        fill = [float(v) for v in rng.uniform(0, 255, channels).round(2)] if with_fill else None
        expected = _reference(images, grid, "bilinear", fill)
        for hwc_out in (False, True):
            got = _native(images, grid, "bilinear", fill, hwc_out)
            torch.testing.assert_close(got, expected, rtol=0, atol=0, msg=f"{level} {dtype} {layout} hwc_out={hwc_out}")


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    channels=st.integers(1, 4),
    size=st.tuples(st.integers(1, 40), st.integers(1, 40)),
    out_size=st.tuples(st.integers(1, 30), st.integers(1, 45)),
    ties=st.booleans(),
    with_fill=st.booleans(),
)
def test_nearest_equals_torch_for_every_dtype(level, seed, channels, size, out_size, ties, with_fill):
    rng = np.random.default_rng(seed)
    grid = _grid(rng, 2, out_size, size, ties)
    fill = [float(v) for v in rng.uniform(0, 300, channels).round(1)] if with_fill else None
    for dtype in (torch.bool, torch.uint8, torch.int16, torch.int32, torch.int64, torch.float32):
        values = rng.integers(0, 2 if dtype == torch.bool else 1000, (2, channels, *size))
        images = torch.from_numpy(values).to(dtype)
        expected = _reference(images, grid, "nearest", fill)
        assert torch.equal(_native(images, grid, "nearest", fill), expected), f"{level} {dtype}"


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_no_read_past_the_source_end(level, channels):
    # the avx2 rows read 8 bytes per tap: taps at the image's last pixels must take the short path
    rng = np.random.default_rng(channels)
    for height, width in ((7, 37), (3, 9), (16, 16)):
        image = rng.integers(0, 256, (height, width, channels), dtype=np.uint8)
        guarded = before_a_guard_page(image)
        if guarded is None:
            pytest.skip("no guard pages here")
        source = torch.from_numpy(guarded[0]).permute(2, 0, 1)[None]
        # every output pixel reads the last row and column, between them and just past them
        xs = np.linspace(1.0 - 2.0 / width, 1.05, 24, dtype=np.float32)
        ys = np.linspace(1.0 - 2.0 / height, 1.05, 9, dtype=np.float32)
        grid = torch.from_numpy(np.stack(np.meshgrid(xs, ys), axis=-1)[None])
        for interpolation in ("bilinear", "nearest"):
            expected = _reference(torch.from_numpy(image).permute(2, 0, 1)[None], grid, interpolation, [7.0])
            assert torch.equal(_native(source, grid, interpolation, [7.0]), expected)
        planes = before_a_guard_page(np.ascontiguousarray(image.transpose(2, 0, 1)))
        source = torch.from_numpy(planes[0])[None]
        assert torch.equal(_native(source, grid, "bilinear", None), _reference(source.clone(), grid, "bilinear", None))


def test_bad_arguments_are_refused():
    image = np.zeros((1, 3, 8, 8), np.uint8)
    grid = np.zeros((1, 4, 5, 2), np.float32)
    out = np.zeros((1, 3, 4, 5), np.uint8)
    native.sample(image, out, grid, True, None)
    with pytest.raises(ValueError, match="4-dimensional"):
        native.sample(image[0], out, grid, True, None)
    with pytest.raises(ValueError, match="same item type"):
        native.sample(image, out.astype(np.float32), grid, True, None)
    with pytest.raises(ValueError, match="float32"):
        native.sample(image, out, grid.astype(np.float64), True, None)
    with pytest.raises(ValueError, match="do not agree"):
        native.sample(image, out[:, :, :3], grid, True, None)
    with pytest.raises(ValueError, match="uint8 or float32"):
        native.sample(image.astype(np.int16), out.astype(np.int16), grid, True, None)
    with pytest.raises(ValueError, match="one value per channel"):
        native.sample(image, out, grid, True, np.zeros(2, np.float32))
    with pytest.raises(ValueError, match="one value per channel"):
        native.sample(image, out, grid, False, np.zeros(3, np.float32))  # nearest: the image's type
    read_only = out.copy()
    read_only.flags.writeable = False
    with pytest.raises((ValueError, BufferError)):
        native.sample(image, read_only, grid, True, None)


def test_the_kernels_give_torchs_pixels_with_and_without_the_extension(monkeypatch):
    """affine / rotate / perspective: the same pixels with augkit._warp and with torch's grid_sample."""
    rng = np.random.default_rng(5)
    image = rng.integers(0, 256, (37, 53, 3), dtype=np.uint8)
    batch = torch.from_numpy(rng.integers(0, 256, (3, 3, 29, 31), dtype=np.uint8))
    mask = rng.integers(0, 9, (37, 53)).astype(np.int64)
    coefficients = W.perspective_coefficients(W.perspective_startpoints(29, 31), [[2, 1], [28, 3], [30, 27], [1, 26]])

    def run():
        return [
            W.affine(image, 17.0, (3.0, -2.0), 1.1, (5.0, 2.0), "bilinear", fill=[10, 20, 30]),
            W.affine(image.astype(np.float32), -8.0, interpolation="bilinear"),
            W.affine(mask, 33.0, interpolation="nearest", fill=255),
            W.rotate(batch, np.array([10.0, 90.0, -31.0]), "bilinear", fill=[128.0]),
            W.perspective(batch, coefficients, "nearest", fill=[1, 2, 3]),
            W.affine(batch.float(), np.array([1.0, 2.0, 3.0]), interpolation="bilinear"),
        ]

    with_extension = run()
    monkeypatch.setattr(W, "_native", None)
    without = run()
    for got, expected in zip(with_extension, without):
        got, expected = torch.as_tensor(got), torch.as_tensor(expected)
        assert got.dtype == expected.dtype and torch.equal(got, expected)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    size=st.tuples(st.integers(1, 300), st.integers(1, 300)),
    out_size=st.tuples(st.integers(1, 300), st.integers(1, 300)),
    batch=st.integers(1, 3),
)
def test_affine_grids_equal_torchs(level, seed, size, out_size, batch):
    """The grid rows the extension builds are torch's matmul's, bit for bit (where the check at first use agreed)."""
    if not W.native_affine_grids():
        pytest.skip("this machine's BLAS orders the grid's operations differently: torch's grids are used")
    rng = np.random.default_rng(seed)
    matrices = [
        W.affine_matrix(
            rng.uniform(-20, 20, 2), rng.uniform(-180, 180), rng.uniform(-60, 60, 2), rng.uniform(0.3, 3), rng.uniform(-40, 40, 2)
        )
        for _ in range(batch)
    ]
    grids = W.AffineGrids(torch.tensor(np.stack(matrices), dtype=torch.float32), size, out_size)
    built = np.empty((batch, *out_size, 2), np.float32)
    native.affine_grid(grids.coefficients(0, batch), *grids.start, built)
    np.testing.assert_array_equal(built, grids(0, batch).numpy())


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_sample_affine_equals_sample_at_torchs_grid(level, interpolation):
    rng = np.random.default_rng(11)
    images = torch.from_numpy(rng.integers(0, 256, (3, 3, 45, 67), dtype=np.uint8))
    matrices = np.stack([W.affine_matrix((0.0, 0.0), angle, (3.0, -5.0), 1.2, (7.0, 0.0)) for angle in (0.0, 27.0, -133.0)])
    grids = W.AffineGrids(torch.tensor(matrices, dtype=torch.float32), (45, 67), (51, 38))
    for fill in (None, np.array([12, 200, 99], np.float32 if interpolation == "bilinear" else np.uint8)):
        expected = torch.empty((3, 3, 51, 38), dtype=torch.uint8)
        native.sample(images.numpy(), expected.numpy(), grids(0, 3).numpy(), interpolation == "bilinear", fill)
        got = torch.empty_like(expected)
        native.sample_affine(images.numpy(), got.numpy(), grids.coefficients(0, 3), *grids.start, interpolation == "bilinear", fill)
        assert torch.equal(got, expected)
    with pytest.raises(ValueError, match="one row per image"):
        native.sample_affine(images.numpy(), got.numpy(), grids.coefficients(0, 2), *grids.start, True, None)
    with pytest.raises(ValueError, match="float32"):
        native.affine_grid(grids.coefficients(0, 3), 0.0, 0.0, np.empty((3, 4, 5, 2), np.float64))


def test_affine_grid_is_the_documented_arithmetic(level):
    """fl(fma(y, b, x * a)) + c per coordinate at every level (the fused step emulated in extended precision)."""
    rng = np.random.default_rng(3)
    coefficients = rng.uniform(-0.05, 0.05, (2, 6)).astype(np.float32)
    coefficients[:, [2, 5]] = rng.uniform(-1.5, 1.5, (2, 2))
    x0, y0 = -41.5, -17.0
    built = np.empty((2, 35, 84, 2), np.float32)
    native.affine_grid(coefficients, x0, y0, built)
    x = (np.float32(x0) + np.arange(84, dtype=np.float32))[None, None, :]
    y = (np.float32(y0) + np.arange(35, dtype=np.float32))[None, :, None]
    wide = np.longdouble
    for axis in range(2):
        a, b, c = (coefficients[:, 3 * axis + k].reshape(2, 1, 1) for k in range(3))
        product = (x * a).astype(np.float32)
        fused = (wide(1) * y * b.astype(wide) + product).astype(np.float32)  # one rounding of the exact y * b + product
        np.testing.assert_array_equal(built[..., axis], (fused + c).astype(np.float32))


def test_warp_keeps_torchs_precision_for_float64_grids():
    """A float64 grid is resampled by torch in float64, as before the extension (no silent float32 rounding)."""
    rng = np.random.default_rng(2)
    images = torch.from_numpy(rng.integers(0, 256, (2, 3, 20, 30), dtype=np.uint8))
    grid = torch.from_numpy(rng.uniform(-1.1, 1.1, (2, 17, 23, 2)))
    for interpolation in ("nearest", "bilinear"):
        expected = W._warp_rows(images, grid, interpolation, [9.0], (17, 23))
        assert torch.equal(W.warp(images, grid, interpolation, fill=9.0), expected)
        assert torch.equal(W.warp(images, lambda start, stop: grid[start:stop], interpolation, fill=9.0, out_size=(17, 23)), expected)
