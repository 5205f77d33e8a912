"""Targets in previews: masks, boxes and keypoints drawn on every tile, following the image."""

from __future__ import annotations

import numpy as np
import pytest

from augkit import Boxes, Keypoints, Sample
from augkit.preview import augment_one, fit_tile, render_grid
from augkit.preview.drawing import PALETTE
from augkit.rng import derive_generator
from augkit.transforms import CenterCrop, Compose, HorizontalFlip, Normalize, RandomCrop, ToTensor

GRAY = 77  # no palette colour is this gray, so every drawn pixel changes
SAMPLE_FLIP = HorizontalFlip(p=1.0)
BATCH_FLIP = (ToTensor(), Compose([Normalize(mean=(0.2, 0.3, 0.4), std=(0.5, 0.5, 0.5)), HorizontalFlip(p=1.0)]))


def _gray(height: int, width: int) -> np.ndarray:
    return np.full((height, width, 3), GRAY, np.uint8)


def _cells(sample: Sample, pipeline, size: int) -> list[np.ndarray]:
    """The original's tile and the one variant's tile of a one-row, n=1 grid."""
    grid, layout = render_grid([sample], pipeline, n=1, size=size)
    pixels = np.asarray(grid)
    out = []
    for col in (0, 1):
        x, y = layout.tile_origin(0, col)
        out.append(pixels[y : y + size, x : x + size])
    return out


def _changed(tile: np.ndarray, plain: np.ndarray) -> np.ndarray:
    return np.any(tile != plain, axis=2)


def _outline(size: int, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
    """The one-pixel border of the inclusive rectangle, as a boolean image."""
    expected = np.zeros((size, size), bool)
    expected[y0 : y1 + 1, [x0, x1]] = True
    expected[[y0, y1], x0 : x1 + 1] = True
    return expected


# An image 40 high and 60 wide; a box covering columns [10, 30) and rows [5, 25).
# In a 60-pixel tile it is placed at scale 1, 10 pixels down; in a 120-pixel tile at scale 2, 20 down.
@pytest.mark.parametrize("pipeline", [SAMPLE_FLIP, BATCH_FLIP], ids=["sample_stage", "batch_stage"])
@pytest.mark.parametrize("size, scale, top", [(60, 1, 10), (120, 2, 20)])
def test_box_outline_is_drawn_exactly_along_the_transformed_box(pipeline, size, scale, top):
    sample = Sample(_gray(40, 60), boxes=Boxes([[10, 5, 30, 25]]))
    original, variant = _cells(sample, pipeline, size)
    plain = fit_tile(_gray(40, 60), size)
    box = _outline(size, 10 * scale, top + 5 * scale, 30 * scale - 1, top + 25 * scale - 1)
    assert np.array_equal(_changed(original, plain), box)
    flipped = _outline(size, 30 * scale, top + 5 * scale, 50 * scale - 1, top + 25 * scale - 1)  # x -> 60 - x
    assert np.array_equal(_changed(variant, plain), flipped)


def test_box_labels_are_drawn_beside_their_box():
    sample = Sample(_gray(40, 60), boxes=Boxes([[10, 20, 30, 38]], labels=[3]))
    original, _ = _cells(sample, RandomCrop(40), 60)
    changed = _changed(original, fit_tile(_gray(40, 60), 60))
    outline = _outline(60, 10, 30, 29, 47)
    assert np.all(changed[outline])
    extra = changed & ~outline
    rows, cols = np.nonzero(extra)
    assert extra.sum() > 10  # the label
    assert rows.max() < 30 and rows.min() >= 10 and cols.min() >= 10 and cols.max() < 30  # above the box's top-left corner


@pytest.mark.parametrize("pipeline", [SAMPLE_FLIP, BATCH_FLIP], ids=["sample_stage", "batch_stage"])
def test_mask_overlay_changes_only_labelled_pixels(pipeline):
    mask = np.zeros((20, 30), np.uint8)
    mask[2:9, 3:12] = 1
    mask[10:18, 5:25] = 2
    mask[12:16, 20:28] = 255  # ignored
    mask[0, 29] = 7
    original, variant = _cells(Sample(_gray(20, 30), mask=mask), pipeline, 60)
    plain = fit_tile(_gray(20, 30), 60)  # scale 2, 10 pixels down
    for shown, labels in ((original, mask), (variant, mask[:, ::-1])):
        expected = np.zeros((60, 60), np.int64)
        expected[10:50] = np.repeat(np.repeat(labels, 2, axis=0), 2, axis=1)
        labelled = (expected != 0) & (expected != 255)
        assert np.array_equal(_changed(shown, plain), labelled)
        for value in (1, 2, 7):
            colours = np.unique(shown[expected == value], axis=0)
            assert len(colours) == 1
            blended = np.rint(0.55 * GRAY + 0.45 * PALETTE[value].astype(float))
            assert np.array_equal(colours[0], blended)


def test_multichannel_and_bool_masks_are_overlaid():
    channels = np.zeros((20, 30, 2), bool)
    channels[0:5, 0:5, 0] = True
    channels[10:15, 10:15, 1] = True
    shown, _ = _cells(Sample(_gray(20, 30), mask=channels), SAMPLE_FLIP, 60)
    changed = _changed(shown, fit_tile(_gray(20, 30), 60))
    assert changed.sum() == 4 * (25 + 25)
    assert not np.array_equal(shown[10, 0], shown[30, 20])  # channel 0 and 1 in different colours


def test_keypoints_visible_dots_invisible_rings_outside_hidden():
    keypoints = Keypoints([[10, 8], [40, 20], [-5, -5]], visible=[True, False, False])
    original, variant = _cells(Sample(_gray(40, 60), keypoints=keypoints), SAMPLE_FLIP, 60)
    plain = fit_tile(_gray(40, 60), 60)
    moved = SAMPLE_FLIP(Sample(_gray(40, 60), keypoints=keypoints)).keypoints.xy.astype(int)  # x -> 59 - x
    flipped = [(moved[0, 0], moved[0, 1] + 10), (moved[1, 0], moved[1, 1] + 10)]
    for shown, points in ((original, [(10, 18), (40, 30)]), (variant, flipped)):
        changed = _changed(shown, plain)
        (vx, vy), (ix, iy) = points
        assert changed[vy, vx]  # a filled dot
        assert not changed[iy, ix] and changed[iy, ix + 2]  # a ring
        ys, xs = np.nonzero(changed)
        near = np.minimum(np.hypot(xs - vx, ys - vy), np.hypot(xs - ix, ys - iy))
        assert near.max() <= 3.5  # nothing drawn for the point outside the image


def test_augment_one_moves_targets_with_the_image(photo):
    mask = np.zeros(photo.shape[:2], np.uint8)
    mask[40:120, 60:200] = 3
    sample = Sample(photo, mask=mask, boxes=Boxes([[60, 40, 200, 120]], labels=[3]), keypoints=Keypoints([[100, 80]]))
    pipeline = Compose([RandomCrop(96), HorizontalFlip()])
    shown, lines = augment_one(sample, pipeline, derive_generator(0, 0, 4))
    expected = pipeline(sample, rng=derive_generator(0, 0, 4))
    assert np.array_equal(shown.image, expected.image) and np.array_equal(shown.mask, expected.mask)
    np.testing.assert_array_equal(shown.boxes.xyxy, expected.boxes.xyxy)
    np.testing.assert_array_equal(shown.keypoints.xy, expected.keypoints.xy)
    assert lines[0].startswith("RandomCrop: box=96x96@(")
    image_only, _ = augment_one(photo, pipeline, derive_generator(0, 0, 4))
    assert np.array_equal(image_only, shown.image)


def test_batch_stage_carries_targets_and_is_denormalized(photo):
    sample = Sample(photo[:64, :80], mask=np.eye(64, 80, dtype=np.uint8), boxes=Boxes([[0, 0, 20, 10]], labels=[1]))
    shown, lines = augment_one(sample, BATCH_FLIP, derive_generator(0, 0, 0))
    assert np.abs(shown.image.astype(int) - photo[:64, :80][:, ::-1].astype(int)).max() <= 1
    assert np.array_equal(shown.mask, np.eye(64, 80, dtype=np.uint8)[:, ::-1])
    np.testing.assert_array_equal(shown.boxes.xyxy, [[60, 0, 80, 10]])
    assert isinstance(shown.mask, np.ndarray) and isinstance(shown.boxes.xyxy, np.ndarray)
    assert lines == ["batch HorizontalFlip: flip=yes"]


def test_views_show_their_own_targets(photo):
    from augkit.transforms import TenCrop

    sample = Sample(photo, boxes=Boxes([[30, 40, 90, 70]]))
    pipe = Compose([CenterCrop(100), TenCrop(64)])
    shown, lines = augment_one(sample, pipe, derive_generator(0, 0, 0), view=3)
    views = pipe(sample, rng=0)  # a Batch of the ten views, each with its own boxes
    assert lines[-1] == "view 3/10"
    np.testing.assert_allclose(shown.boxes.xyxy, views.boxes[3].xyxy)


def test_mask_of_another_size_is_refused():
    with pytest.raises(ValueError, match=r"mask of images\[0\] is \(10, 10\), the image \(20, 30\)"):
        render_grid([Sample(_gray(20, 30), mask=np.zeros((10, 10), np.uint8))], n=1, size=32)
