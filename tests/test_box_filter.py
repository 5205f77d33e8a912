"""``BoxFilter`` against albumentations' ``BboxParams(min_visibility, min_area, min_width, min_height)``.

The same crops (augkit's ``RandomCrop`` windows replayed as ``A.Crop``) on the same boxes must
keep the same boxes with the same labels, corners within ``BOX_ATOL`` px (albumentations
computes in normalized float coordinates). Thresholds are drawn so that no box sits exactly
on one (albumentations compares with a 1e-7 slack).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import augkit
from augkit.rng import SampleStreams

A = pytest.importorskip("albumentations")

BOX_ATOL = 1e-3


def random_boxes(rng: np.random.Generator, height: int, width: int, count: int = 30) -> augkit.Boxes:
    """Boxes inside a ``height x width`` image, of many sizes, with labels 0..count-1."""
    x = np.sort(rng.uniform(0, width, size=(count, 2)), axis=1)
    y = np.sort(rng.uniform(0, height, size=(count, 2)), axis=1)
    xyxy = np.stack([x[:, 0], y[:, 0], x[:, 1], y[:, 1]], axis=1).astype(np.float32)
    return augkit.Boxes(xyxy, labels=np.arange(count))


def albumentations_crop(image, boxes: augkit.Boxes, window, **thresholds) -> tuple[np.ndarray, np.ndarray]:
    """Albumentations' boxes and labels after ``A.Crop`` of ``window = (top, left, height, width)``."""
    top, left, height, width = window
    pipeline = A.Compose(
        [A.Crop(x_min=left, y_min=top, x_max=left + width, y_max=top + height)],
        bbox_params=A.BboxParams(format="pascal_voc", label_fields=["labels"], **thresholds),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = pipeline(image=image, bboxes=boxes.xyxy, labels=boxes.labels)
    return np.asarray(out["bboxes"], np.float64).reshape(-1, 4), np.asarray(out["labels"]).astype(np.int64)


THRESHOLDS = [
    {},
    {"min_visibility": 0.3},
    {"min_visibility": 0.75},
    {"min_area": 150.0},
    {"min_width": 12.0, "min_height": 7.0},
    {"min_visibility": 0.5, "min_area": 40.0, "min_width": 3.0},
]


@pytest.mark.parametrize("thresholds", THRESHOLDS, ids=lambda t: ",".join(f"{k}={v}" for k, v in t.items()) or "defaults")
def test_box_filter_equals_albumentations_on_the_same_crops(thresholds, photo):
    height, width = photo.shape[:2]
    pipeline = augkit.Compose([augkit.RandomCrop((200, 260)), augkit.BoxFilter(**thresholds)])
    total_kept = total_dropped = 0
    for seed in range(12):
        rng = np.random.default_rng(seed)
        boxes = random_boxes(rng, height, width)
        out, params = pipeline.run(augkit.Sample(photo, boxes=boxes), rng)
        crop = params.params[0]
        expected_boxes, expected_labels = albumentations_crop(photo, boxes, (crop.top, crop.left, crop.height, crop.width), **thresholds)
        np.testing.assert_array_equal(out.boxes.labels, expected_labels)
        np.testing.assert_allclose(out.boxes.xyxy, expected_boxes, atol=BOX_ATOL)
        total_kept += len(out.boxes)
        total_dropped += len(boxes) - len(out.boxes)
    assert total_kept > 0 and total_dropped > 0  # the crops both keep and drop boxes


def test_default_crops_keep_every_box_with_some_area_as_albumentations(photo):
    """Without a BoxFilter, a crop keeps exactly what albumentations' defaults keep."""
    height, width = photo.shape[:2]
    for seed in range(8):
        rng = np.random.default_rng(seed)
        boxes = random_boxes(rng, height, width)
        out, crop = augkit.RandomCrop((150, 330)).run(augkit.Sample(photo, boxes=boxes), rng)
        expected_boxes, expected_labels = albumentations_crop(photo, boxes, (crop.top, crop.left, crop.height, crop.width))
        np.testing.assert_array_equal(out.boxes.labels, expected_labels)
        np.testing.assert_allclose(out.boxes.xyxy, expected_boxes, atol=BOX_ATOL)


def test_visibility_is_judged_against_the_area_before_all_crops_and_in_resized_pixels():
    from augkit.transforms.geometry import CropParams

    boxes = augkit.Boxes([[0, 0, 40, 20], [40, 0, 80, 20]], labels=[1, 2])
    sample = augkit.Sample(np.zeros((40, 80, 3), np.uint8), boxes=boxes)
    # Keep the left 60 columns (box 2: half of it), double the size, keep the left 100 columns (box 2: a quarter).
    moved = augkit.RandomCrop((40, 60)).apply(sample, CropParams(0, 0, 40, 60))
    np.testing.assert_allclose(moved.boxes.visibility(), [1.0, 0.5])
    moved = augkit.Resize(size=(80, 120))(moved)
    np.testing.assert_allclose(moved.boxes.reference_area, [3200, 3200])
    moved = augkit.RandomCrop((80, 100)).apply(moved, CropParams(0, 0, 80, 100))
    np.testing.assert_allclose(moved.boxes.visibility(), [1.0, 0.25])
    assert augkit.BoxFilter(min_visibility=0.3)(moved).boxes.labels.tolist() == [1]
    assert augkit.BoxFilter(min_visibility=0.25)(moved).boxes.labels.tolist() == [1, 2]
    # min_area is in the current image's pixels (after the resize): box 2 covers 20 x 40 = 800 of them.
    np.testing.assert_allclose(moved.boxes.area(), [3200, 800])
    assert augkit.BoxFilter(min_area=801)(moved).boxes.labels.tolist() == [1]
    assert augkit.BoxFilter(min_area=800)(moved).boxes.labels.tolist() == [1, 2]


def test_box_filter_leaves_images_masks_and_keypoints():
    image = np.arange(48, dtype=np.uint8).reshape(4, 4, 3)
    sample = augkit.Sample(image, mask=np.ones((4, 4), np.uint8), boxes=[[0, 0, 1, 1], [0, 0, 4, 4]], keypoints=[[1, 1]])
    out = augkit.BoxFilter(min_area=2)(sample)
    assert out.image is image and out.mask is sample.mask and out.keypoints is sample.keypoints
    np.testing.assert_array_equal(out.boxes.xyxy, [[0, 0, 4, 4]])
    assert augkit.BoxFilter(min_area=2)(image) is image


def test_box_filter_in_the_batch_stage_filters_each_row():
    boxes = [augkit.Boxes(torch.tensor([[0.0, 0.0, 2.0, 2.0], [0.0, 0.0, 8.0, 8.0]]), torch.tensor([1, 2])) for _ in range(3)]
    batch = augkit.Batch(torch.zeros(3, 3, 10, 10, dtype=torch.uint8), torch.arange(3), boxes=boxes, keys=torch.arange(3))
    out, _ = augkit.Compose([augkit.RandomCrop(6, padding=3), augkit.BoxFilter(min_visibility=0.3, min_area=5)]).run(
        batch, SampleStreams(0, 0, [0, 1, 2])
    )
    cropped, _ = augkit.RandomCrop(6, padding=3).run(batch, SampleStreams(0, 0, [0, 1, 2]))
    for row, kept in zip(cropped.boxes, out.boxes):
        wanted = (row.visibility() >= 0.3) & (row.area() >= 5)
        assert kept.labels.tolist() == row.labels[wanted].tolist()
        assert torch.equal(kept.xyxy, row.xyxy[wanted])


def test_box_filter_arguments_are_checked():
    with pytest.raises(ValueError, match="min_visibility"):
        augkit.BoxFilter(min_visibility=1.5)
    with pytest.raises(ValueError, match="min_area"):
        augkit.BoxFilter(min_area=-1)
    with pytest.raises(TypeError, match="min_width"):
        augkit.BoxFilter(min_width="3")
    with pytest.raises(ValueError, match="min_height"):
        augkit.BoxFilter(min_height=float("nan"))
