"""augkit._resize: windows of torch's uint8 bilinear resize, bit-exact, from only the input they read."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from guard_page import before_a_guard_page
from hypothesis import given, settings
from hypothesis import strategies as st

import augkit
from augkit.functional import geometry as G


def native():
    return pytest.importorskip("augkit._resize")


def torch_resize(image: np.ndarray, size: tuple[int, int], antialias: bool) -> np.ndarray:
    """torch's CPU uint8 kernel on the whole image (channels-last), as HWC."""
    tensor = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).unsqueeze(0)
    if antialias:
        out = torch.ops.aten._upsample_bilinear2d_aa(tensor, list(size), False)
    else:
        out = torch.ops.aten.upsample_bilinear2d(tensor, list(size), False)
    return out[0].permute(1, 2, 0).numpy()


@st.composite
def cases(draw, max_side=300):
    in_h, in_w = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    # shrink, enlarge or keep each axis
    out_h = draw(st.one_of(st.integers(1, max_side), st.just(in_h)))
    out_w = draw(st.one_of(st.integers(1, max_side), st.just(in_w)))
    height, width = draw(st.integers(1, out_h)), draw(st.integers(1, out_w))
    top, left = draw(st.integers(0, out_h - height)), draw(st.integers(0, out_w - width))
    channels = draw(st.integers(1, 4))
    antialias = draw(st.booleans())
    seed = draw(st.integers(0, 2**32 - 1))
    image = np.random.default_rng(seed).integers(0, 256, (in_h, in_w, channels), dtype=np.uint8)
    if draw(st.booleans()):  # saturated pixels: rounding and clamping at 0 and 255
        image = np.where(image > 127, 255, 0).astype(np.uint8)
    return image, (out_h, out_w), (top, left, height, width), antialias


def window_from(image, region, size, window, antialias):
    rows, cols = region
    top, left, height, width = window
    out = np.empty((height, width, image.shape[2]), np.uint8)
    native().resize_window(image[rows, cols], out, rows.start, cols.start, *image.shape[:2], *size, top, left, antialias)
    return out


@settings(max_examples=150, deadline=None)
@given(cases())
def test_a_window_equals_torch_on_the_whole_image_cropped(case):
    image, size, window, antialias = case
    top, left, height, width = window
    expected = torch_resize(image, size, antialias)[top : top + height, left : left + width]
    whole = (slice(0, image.shape[0]), slice(0, image.shape[1]))
    np.testing.assert_array_equal(window_from(image, whole, size, window, antialias), expected)
    # the planned region is enough ...
    region = G._resize_window_region(image.shape[:2], size, *window, antialias)
    np.testing.assert_array_equal(window_from(image, region, size, window, antialias), expected)
    # ... and every row and column of it is read: one less at either end is refused
    rows, cols = region
    for smaller in (
        (slice(rows.start + 1, rows.stop), cols),
        (slice(rows.start, rows.stop - 1), cols),
        (rows, slice(cols.start + 1, cols.stop)),
        (rows, slice(cols.start, cols.stop - 1)),
    ):
        if smaller[0].stop > smaller[0].start and smaller[1].stop > smaller[1].start:
            with pytest.raises(ValueError, match="lacks input"):
                window_from(image, smaller, size, window, antialias)


@settings(max_examples=60, deadline=None)
@given(cases())
def test_the_region_is_within_the_filter_support(case):
    image, size, (top, left, height, width), antialias = case
    rows, cols = G._resize_window_region(image.shape[:2], size, top, left, height, width, antialias)
    for span, n_in, n_out, first, count in ((rows, image.shape[0], size[0], top, height), (cols, image.shape[1], size[1], left, width)):
        assert 0 <= span.start < span.stop <= n_in
        if n_in == n_out:
            assert (span.start, span.stop) == (first, first + count)
            continue
        scale = n_in / n_out
        support = max(scale, 1.0) if antialias else 1.0
        # centres (j + 0.5) * scale of the window's outputs, widened by the support and rounding
        assert span.start >= math.floor((first + 0.5) * scale - support) - 1
        assert span.stop <= math.ceil((first + count - 0.5) * scale + support) + 1


def test_resnet_sizes_are_exact_on_a_photo():
    import augkit
    from augkit.samples import sample_paths

    photo = augkit.decode(sample_paths()[0])
    rng = np.random.default_rng(0)
    for shorter in (256, 299, 341, 384, 480):
        size = G.shorter_side_size(photo.shape[0], photo.shape[1], shorter)
        full = torch_resize(photo, size, True)
        top, left = int(rng.integers(0, size[0] - 223)), int(rng.integers(0, size[1] - 223))
        region = G._resize_window_region(photo.shape[:2], size, top, left, 224, 224)
        got = window_from(photo, region, size, (top, left, 224, 224), True)
        np.testing.assert_array_equal(got, full[top : top + 224, left : left + 224])


def test_resize_crop_plans_the_tight_region_for_uint8_only():
    native()
    plan = G._resize_crop_plan((500, 375), (341, 256), 100, 20, 224, 224)
    assert plan.native and (plan.rows, plan.cols) == G._resize_window_region((500, 375), (341, 256), 100, 20, 224, 224)
    assert plan.rows.start > 0 and plan.cols.start > 0
    for dtype, channels in ((np.float32, 3), (np.uint8, 5)):
        assert not G._resize_crop_plan((500, 375), (341, 256), 100, 20, 224, 224, True, dtype, channels).native
    image = np.random.default_rng(1).integers(0, 256, (50, 40, 5), dtype=np.uint8)  # 5 channels: torch
    expected = G.crop(G.resize(image, (30, 33)), 3, 4, 20, 21)
    assert np.abs(G.resize_crop(image, (30, 33), 3, 4, 20, 21).astype(int) - expected).max() <= 1


def test_strided_sources_and_bad_arguments():
    module = native()
    image = np.random.default_rng(2).integers(0, 256, (40, 50, 3), dtype=np.uint8)
    out = np.empty((10, 12, 3), np.uint8)
    module.resize_window(image[5:35, 7:49], out, 5, 7, 40, 50, 30, 36, 8, 9, True)  # rows 50 pixels apart
    np.testing.assert_array_equal(out, torch_resize(image, (30, 36), True)[8:18, 9:21])
    with pytest.raises(ValueError, match="uint8"):
        module.resize_window(image.astype(np.float32), out, 0, 0, 40, 50, 30, 36, 8, 9, True)
    with pytest.raises(ValueError, match="uint8"):
        module.resize_window(image[:, ::-1], out, 0, 0, 40, 50, 30, 36, 8, 9, True)
    with pytest.raises(ValueError, match="channels"):
        module.resize_window(image, np.empty((10, 12, 4), np.uint8), 0, 0, 40, 50, 30, 36, 8, 9, True)
    with pytest.raises(ValueError, match="not inside the 30x36 output"):
        module.resize_window(image, out, 0, 0, 40, 50, 30, 36, 25, 9, True)
    with pytest.raises(ValueError, match="not inside the image"):
        module.resize_window(image, out, 1, 0, 40, 50, 30, 36, 8, 9, True)
    with pytest.raises(ValueError):
        module.resize_window(image, out.view(np.int8)[::-1], 0, 0, 40, 50, 30, 36, 8, 9, True)


@pytest.mark.parametrize("channels", [3, 4])
def test_no_read_past_the_source_end(channels):
    # the SIMD passes read 4 or 16 bytes at a time: near the end of the last row they must not
    # pass the buffer's end (a read there would crash)
    native()
    rng = np.random.default_rng(channels)
    for in_w, out_w, antialias in ((37, 23, True), (37, 23, False), (20, 41, True), (61, 29, True), (9, 4, True)):
        image = rng.integers(0, 256, (7, in_w, channels), dtype=np.uint8)
        guarded = before_a_guard_page(image)
        if guarded is None:
            pytest.skip("no guard pages here")
        for size in ((7, out_w), (5, out_w)):  # horizontal pass alone, and both passes
            width = min(9, out_w)
            window = (0, out_w - width, size[0], width)  # the right edge reads the last pixel
            got = window_from(guarded[0], (slice(0, 7), slice(0, in_w)), size, window, antialias)
            np.testing.assert_array_equal(got, torch_resize(image, size, antialias)[:, out_w - width :])


def test_resize_and_resize_crop_take_any_array_layout():
    """Views with odd strides (flips, transposes, Fortran order) give the contiguous array's result."""
    pytest.importorskip("augkit._resize")
    image = augkit.decode("samples/china.jpg")[:120, :150]
    views = (
        image[10:100, 30:140],
        image[:, ::-1],
        image[::2],
        image.transpose(1, 0, 2),
        image[:, :, ::-1],
        np.asfortranarray(image),
        image[::-1],
    )
    for view in views:
        dense = np.ascontiguousarray(view)
        reference = G._bilinear_hwc(dense, (70, 90), True)
        np.testing.assert_array_equal(G.resize(view, (70, 90)), reference, err_msg=str(view.strides))
        np.testing.assert_array_equal(G.resize_crop(view, (70, 90), 5, 7, 30, 40), reference[5:35, 7:47], err_msg=str(view.strides))
