"""COCO segmentations to masks: the same pixels as pycocotools (stored reference runs, and pycocotools itself when installed)."""

from __future__ import annotations

import numpy as np
import pytest
from detseg_data import encode_string
from hypothesis import given, settings
from hypothesis import strategies as st

from augkit.data.coco_mask import polygon_mask, polygon_rle, rle_decode, rle_from_string, segmentation_mask

# Polygons, image size, and the run lengths pycocotools 2.0.11 gives for them
# (``decode(merge(frPyObjects(polygons, h, w)))``, counted in column-major order).
POLYGON_CASES = [
    (
        [[2.3, 1.7, 15.8, 3.1, 12.4, 14.9, 4.6, 11.2]],
        18,
        20,
        [56, 4, 14, 9, 9, 10, 8, 10, 8, 11, 7, 11, 8, 11, 7, 11, 7, 12, 6, 12, 6, 8, 10, 5, 13, 1, 86],
    ),
    (
        [[0.0, 0.0, 10.0, 0.0, 10.0, 10.0, 0.0, 10.0], [12.5, 4.5, 17.5, 4.5, 15.0, 9.5]],
        12,
        19,
        [0, 10, 2, 10, 2, 10, 2, 10, 2, 10, 2, 10, 2, 10, 2, 10, 2, 10, 2, 10, 43, 1, 11, 3, 9, 4, 8, 2, 29],
    ),
    ([[-3.0, 2.0, 8.0, -1.5, 11.0, 9.0, 3.0, 13.7]], 10, 10, [1, 8, 2, 79, 4, 6]),
    # a repeated vertex (0 / 0 slope in pycocotools) and a closing vertex equal to the first
    ([[5.0, 5.0, 5.0, 5.0, 9.0, 1.0, 12.0, 8.0, 5.0, 5.0]], 11, 14, [59, 1, 9, 3, 7, 4, 6, 5, 7, 5, 8, 3, 11, 1, 25]),
]


def runs_to_mask(runs, height, width) -> np.ndarray:
    """An independent decoder: alternate 0 / 1 runs, column-major."""
    flat = []
    for i, run in enumerate(runs):
        flat += [i % 2] * run
    return np.array(flat, np.uint8).reshape(width, height).T


def mask_runs(mask: np.ndarray) -> list[int]:
    flat = mask.T.reshape(-1)
    changes = np.flatnonzero(np.diff(flat)) + 1
    bounds = np.concatenate([[0], changes, [flat.size]])
    runs = np.diff(bounds).tolist()
    return ([0] + runs) if flat.size and flat[0] == 1 else runs


@pytest.mark.parametrize("polygons, height, width, runs", POLYGON_CASES)
def test_polygons_match_stored_pycocotools_runs(polygons, height, width, runs):
    np.testing.assert_array_equal(segmentation_mask(polygons, height, width), runs_to_mask(runs, height, width))
    if len(polygons) == 1:
        assert polygon_rle(polygons[0], height, width).tolist() == runs


def test_compressed_strings_from_pycocotools_decode():
    # pycocotools.mask.encode of these masks
    small = np.zeros((9, 13), np.uint8)
    small[2:7, 3:11] = 1
    small[4, 5] = 0
    small[0, 0] = 1
    got = segmentation_mask({"counts": "01l04XO00MM03300000000`0", "size": [9, 13]}, 9, 13)
    np.testing.assert_array_equal(got, small)
    big = np.zeros((300, 200), np.uint8)
    big[10:290, 20:180] = 1
    text = "jk5h8d0" + "0" * 317 + "Vk5"
    np.testing.assert_array_equal(segmentation_mask({"counts": text, "size": [300, 200]}, 300, 200), big)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 30), st.integers(1, 30), st.integers(0, 2**31 - 1))
def test_rle_string_round_trip(height, width, seed):
    mask = (np.random.default_rng(seed).random((height, width)) < 0.4).astype(np.uint8)
    runs = mask_runs(mask)
    assert rle_from_string(encode_string(runs)).tolist() == runs
    np.testing.assert_array_equal(segmentation_mask({"counts": encode_string(runs), "size": [height, width]}, height, width), mask)
    np.testing.assert_array_equal(segmentation_mask({"counts": runs, "size": [height, width]}, height, width), mask)


def test_polygon_inside_its_bounding_box_and_union_of_parts():
    square = [2.0, 3.0, 9.0, 3.0, 9.0, 8.0, 2.0, 8.0]
    other = [12.0, 1.0, 15.0, 1.0, 15.0, 4.0]
    a, b = polygon_mask(square, 12, 18), polygon_mask(other, 12, 18)
    rows, cols = np.nonzero(a)
    assert rows.min() >= 3 and rows.max() < 8 and cols.min() >= 2 and cols.max() < 9
    assert a.sum() == 5 * 7  # pixel centres inside [2, 9) x [3, 8)
    np.testing.assert_array_equal(segmentation_mask([square, other], 12, 18), a | b)


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="size"):
        segmentation_mask({"counts": [4], "size": [2, 3]}, 2, 2)
    with pytest.raises(ValueError, match="cover 3 pixels"):
        rle_decode([1, 2], 2, 2)
    with pytest.raises(ValueError, match="middle of a count"):
        rle_from_string("h")
    with pytest.raises(TypeError, match="polygons or an RLE"):
        segmentation_mask(3, 2, 2)
    assert segmentation_mask([], 2, 3).tolist() == [[0, 0, 0], [0, 0, 0]]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("seed", range(4))
def test_random_polygons_equal_pycocotools(seed):
    mask_api = pytest.importorskip("pycocotools.mask")
    rng = np.random.default_rng(seed)
    for trial in range(300):
        height, width = int(rng.integers(1, 60)), int(rng.integers(1, 60))
        count = int(rng.integers(3, 12))
        if trial % 3 == 0:
            points = rng.uniform(-5, max(height, width) + 5, 2 * count)
        elif trial % 3 == 1:
            points = rng.integers(-2, max(height, width) + 2, 2 * count).astype(float)
        else:
            points = np.round(rng.uniform(0, max(height, width), 2 * count) * 2) / 2
        polygons = [points.tolist(), rng.uniform(0, max(height, width), 8).tolist()]
        expected = mask_api.decode(mask_api.merge(mask_api.frPyObjects(polygons, height, width)))
        np.testing.assert_array_equal(segmentation_mask(polygons, height, width), expected, err_msg=f"{polygons} {height}x{width}")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_random_masks_equal_pycocotools_encoding():
    mask_api = pytest.importorskip("pycocotools.mask")
    rng = np.random.default_rng(0)
    for _ in range(100):
        height, width = int(rng.integers(1, 80)), int(rng.integers(1, 80))
        mask = (rng.random((height, width)) < rng.random()).astype(np.uint8)
        rle = mask_api.encode(np.asfortranarray(mask))
        got = segmentation_mask({"counts": rle["counts"].decode(), "size": rle["size"]}, height, width)
        np.testing.assert_array_equal(got, mask)
