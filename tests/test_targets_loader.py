"""Targets through the data layer: AugmentedDataset -> DataLoader(Uint8Collate) -> DeviceLoader with a batch stage.

The images here encode their own pixel coordinates (red = x + 1, green = y + 1, blue = 255;
padding is 0), so after any chain of crops and flips each output pixel says where it came
from. Masks, boxes and keypoints are then checked against that mapping, independently of the
code that moved them.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

import augkit
from augkit.data import AugmentedDataset, DeviceLoader, Uint8Collate

SEED = 7
DATALOADER_TIMEOUT = 60  # seconds: a stuck worker fails the test instead of hanging CI


def coordinate_image(height: int, width: int) -> np.ndarray:
    yy, xx = np.mgrid[:height, :width]
    return np.stack([xx + 1, yy + 1, np.full_like(xx, 255)], axis=-1).astype(np.uint8)


def target_sample(index: int) -> augkit.Sample:
    """Item ``index``: a coordinate image of its own size with a label map, boxes and keypoints."""
    rng = np.random.default_rng(index)
    height, width = int(rng.integers(60, 90)), int(rng.integers(60, 110))
    mask = np.zeros((height, width), np.uint8)
    boxes, labels = [], []
    for label in (3, 7, 12):
        h, w = int(rng.integers(8, height // 2)), int(rng.integers(8, width // 2))
        top, left = int(rng.integers(0, height - h)), int(rng.integers(0, width - w))
        mask[top : top + h, left : left + w] = label
        boxes.append([left, top, left + w, top + h])
        labels.append(label)
    # Pixel positions (integers), some outside the image.
    points = rng.integers([-3, -3], [width + 3, height + 3], size=(4, 2, 2)).astype(np.float32)
    inside = (points[..., 0] >= 0) & (points[..., 0] < width) & (points[..., 1] >= 0) & (points[..., 1] < height)
    return augkit.Sample(
        coordinate_image(height, width),
        label=index % 5,
        mask=mask,
        boxes=augkit.Boxes(np.array(boxes, np.float32), np.array(labels)),
        keypoints=augkit.Keypoints(points, inside),
    )


BASE = [target_sample(i) for i in range(12)]


def sample_stage():
    return augkit.Compose([augkit.RandomCrop(56, padding=3, mask_fill=255), augkit.HorizontalFlip(), augkit.ToTensor()])


def batch_stage():
    return [augkit.HorizontalFlip(), augkit.VerticalFlip(), augkit.RandomCrop(48, padding=2, mask_fill=255)]


def device_loader(batch_size: int = 4, num_workers: int = 0, transforms=None) -> DeviceLoader:
    dataset = AugmentedDataset(BASE, sample_stage())
    loader = DataLoader(
        dataset,
        batch_size=batch_size,
        num_workers=num_workers,
        collate_fn=Uint8Collate(),
        timeout=DATALOADER_TIMEOUT if num_workers else 0,
    )
    return DeviceLoader(loader, "cpu", batch_stage() if transforms is None else transforms, seed=SEED)


def epochs(loader: DeviceLoader, count: int = 2) -> list[list[augkit.Batch]]:
    return [list(loader) for _ in range(count)]


def per_sample(batches: list[augkit.Batch]) -> dict[int, tuple]:
    """Each sample's results by key: (image, mask, boxes, box labels, keypoints, visibility)."""
    rows = {}
    for batch in batches:
        for i, key in enumerate(batch.keys.tolist()):
            rows[key] = (
                batch.images[i],
                batch.masks[i],
                batch.boxes[i].xyxy,
                batch.boxes[i].labels,
                batch.keypoints[i].xy,
                batch.keypoints[i].visibility(),
                batch.labels[i],
            )
    return rows


def same_rows(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key in a:
        for x, y in zip(a[key], b[key]):
            assert x.dtype == y.dtype and torch.equal(x, y), f"sample {key} differs"


def axis_map(coordinates: np.ndarray, valid: np.ndarray, axis: int) -> tuple[int, int]:
    """``(a, b)`` with ``source = a * output + b`` along ``axis`` (a = +-1: crops and flips only)."""
    lines = coordinates if axis == 1 else coordinates.T
    ok = valid if axis == 1 else valid.T
    for line, good in zip(lines, ok):
        where = np.flatnonzero(good)
        if where.size >= 2:
            i, j = where[0], where[-1]
            a = (line[j] - line[i]) // (j - i)
            b = line[i] - a * i
            assert abs(a) == 1 and np.array_equal(line[where], a * where + b)
            return int(a), int(b)
    raise AssertionError("no image row with two real pixels")


def check_targets_follow_coordinates(images, mask, boxes, points, source: augkit.Sample) -> None:
    """The targets of one output row agree with where its pixels came from (decoded from the image)."""
    image = images.numpy().astype(np.int64)
    valid = image[2] == 255
    src_x, src_y = image[0] - 1, image[1] - 1
    # Masks: every real pixel carries its source pixel's label; padding carries mask_fill.
    mask = mask.numpy()
    np.testing.assert_array_equal(mask[valid], source.mask[src_y[valid], src_x[valid]])
    assert np.all(mask[~valid] == 255)
    ax, bx = axis_map(src_x, valid, 1)
    ay, by = axis_map(src_y, valid, 0)
    # Keypoints are pixel indices: output = (source - b) / a.
    # The real pixels form a rectangle: what every crop on the way kept of the source image.
    cols, rows = np.flatnonzero(valid.any(0)), np.flatnonzero(valid.any(1))
    left, right, top, bottom = cols[0], cols[-1] + 1, rows[0], rows[-1] + 1
    xy = points.xy.numpy()
    expected = np.stack([(source.keypoints.xy[..., 0] - bx) * ax, (source.keypoints.xy[..., 1] - by) * ay], axis=-1)
    np.testing.assert_allclose(xy, expected, atol=1e-4)
    inside = (expected[..., 0] >= left) & (expected[..., 0] < right) & (expected[..., 1] >= top) & (expected[..., 1] < bottom)
    np.testing.assert_array_equal(points.visibility().numpy(), source.keypoints.visible & inside)
    # Boxes are continuous: pixel x covers [x, x + 1), so a mirrored edge moves by one more. Each crop
    # clipped them to its window, so they end up clipped to the real pixels.
    corners = source.boxes.xyxy
    ends = (corners[:, 0::2] - bx) * ax + (ax < 0), (corners[:, 1::2] - by) * ay + (ay < 0)
    (x1, x2), (y1, y2) = ((v.min(1), v.max(1)) for v in ends)
    moved = np.stack([np.clip(x1, left, right), np.clip(y1, top, bottom), np.clip(x2, left, right), np.clip(y2, top, bottom)], axis=1)
    kept = (moved[:, 2] > moved[:, 0]) & (moved[:, 3] > moved[:, 1])
    np.testing.assert_allclose(boxes.xyxy.numpy(), moved[kept], atol=1e-4)
    np.testing.assert_array_equal(boxes.labels.numpy(), source.boxes.labels[kept])


def test_targets_follow_the_images_through_the_loader():
    loader = device_loader()
    checked = 0
    for batches in epochs(loader, 2):
        for batch in batches:
            assert isinstance(batch, augkit.Batch) and batch.images.shape[1:] == (3, 48, 48) and batch.masks.shape[1:] == (48, 48)
            for i, key in enumerate(batch.keys.tolist()):
                check_targets_follow_coordinates(batch.images[i], batch.masks[i], batch.boxes[i], batch.keypoints[i], BASE[key])
                assert batch.labels[i].item() == BASE[key].label
                checked += 1
    assert checked == 2 * len(BASE)


def test_each_sample_equals_its_recorded_parameters_replayed():
    """A loader row equals the sample stage and batch stage replayed with that sample's own parameters."""
    loader = device_loader()
    batches = list(loader)
    dataset = loader.datasets[0]
    stage = augkit.Compose(batch_stage())
    for k, batch in enumerate(batches):
        for i, key in enumerate(batch.keys.tolist()):
            generator = augkit.derive_generator(dataset.seed, loader.epoch, key)
            _, sample_params = dataset.pipeline.run(BASE[key], generator)
            alone = dataset.pipeline.apply(BASE[key], sample_params).replace(key=key)
            one = Uint8Collate()([alone])
            _, batch_params = stage.run(one, loader.generator(k, one.keys))
            replayed = stage.apply(one, batch_params)
            assert torch.equal(replayed.images[0], batch.images[i]) and torch.equal(replayed.masks[0], batch.masks[i])
            assert torch.equal(replayed.boxes[0].xyxy, batch.boxes[i].xyxy)
            assert torch.equal(replayed.keypoints[0].xy, batch.keypoints[i].xy)


def test_batches_are_bit_identical_for_0_and_2_workers():
    same_rows(per_sample(sum(epochs(device_loader(num_workers=0)), [])), per_sample(sum(epochs(device_loader(num_workers=2)), [])))


def test_batches_do_not_depend_on_the_batch_size():
    same_rows(per_sample(sum(epochs(device_loader(batch_size=2)), [])), per_sample(sum(epochs(device_loader(batch_size=4)), [])))


def test_epochs_differ():
    first, second = epochs(device_loader(), 2)
    assert not all(torch.equal(a.masks, b.masks) for a, b in zip(first, second))


# ---------------------------------------------------------------------------------- mixing


def labels_only(index: int) -> augkit.Sample:
    return target_sample(index).replace(mask=None, boxes=None, keypoints=None)


def mixing_pipeline() -> augkit.Pipeline:
    return augkit.Pipeline(
        augkit.Compose([augkit.RandomCrop(56, padding=3), augkit.ToTensor()]),
        augkit.Compose(
            [
                augkit.HorizontalFlip(),
                augkit.Normalize((0.5, 0.5, 0.5), (0.25, 0.25, 0.25)),
                augkit.RandomApply(augkit.Mixup(0.4, num_classes=5, mode="elem"), p=0.5),
                augkit.CutMix(1.0, num_classes=5, mode="pair"),
            ]
        ),
    )


def run_pipeline(pipeline: augkit.Pipeline, base: list, num_workers: int = 0) -> list[augkit.Batch]:
    dataset = AugmentedDataset(base, pipeline)
    loader = DataLoader(
        dataset, batch_size=4, num_workers=num_workers, collate_fn=Uint8Collate(), timeout=DATALOADER_TIMEOUT if num_workers else 0
    )
    return sum(epochs(DeviceLoader(loader, "cpu", pipeline, seed=SEED)), [])


def test_a_mixing_pipeline_round_trips_through_yaml_and_gives_the_same_batches():
    pipeline = mixing_pipeline()
    text = augkit.to_yaml(pipeline)
    rebuilt = augkit.from_config(text)
    assert isinstance(rebuilt, augkit.Pipeline) and rebuilt.to_config() == pipeline.to_config()
    assert "Mixup" in text and "RandomApply" in text and "CutMix" in text
    base = [labels_only(i) for i in range(12)]
    a, b = run_pipeline(pipeline, base), run_pipeline(rebuilt, base, num_workers=2)
    assert len(a) == len(b) == 6
    for x, y in zip(a, b):
        assert torch.equal(x.images, y.images) and torch.equal(x.labels, y.labels) and torch.equal(x.keys, y.keys)
    assert all(x.labels.shape == (4, 5) for x in a)
    mixed = [not torch.equal(x.labels.max(1).values, torch.ones(4)) for x in a]
    assert any(mixed)  # labels became soft somewhere


def test_cutmix_pastes_the_mask_region_with_the_image_region():
    base = [sample.replace(boxes=None, keypoints=None) for sample in BASE]
    dataset = AugmentedDataset(base, augkit.Compose([augkit.RandomCrop(56, padding=3, mask_fill=255), augkit.ToTensor()]))
    stage = augkit.CutMix(1.0, num_classes=5, mode="elem")
    loader = DeviceLoader(DataLoader(dataset, batch_size=4, collate_fn=Uint8Collate()), "cpu", stage, seed=SEED)
    pasted = 0
    for batch in loader:
        sources = {
            key: dataset.pipeline(base[key], rng=augkit.derive_generator(dataset.seed, loader.epoch, key)) for key in batch.keys.tolist()
        }
        keys = batch.keys.tolist()
        for i, key in enumerate(keys):
            partner = sources[keys[len(keys) - 1 - i]]
            own = sources[key]
            from_partner = ~(batch.images[i] == own.image).all(0)
            pasted += int(from_partner.sum())
            # Every pixel is its own or its partner's, image and mask alike.
            assert torch.equal(batch.images[i][:, from_partner], partner.image[:, from_partner])
            assert torch.equal(batch.masks[i][from_partner], partner.mask[from_partner])
            assert torch.equal(batch.masks[i][~from_partner], own.mask[~from_partner])
    assert pasted > 0


def test_mixup_refuses_masks_with_a_clear_error():
    dataset = AugmentedDataset(
        [s.replace(boxes=None, keypoints=None) for s in BASE[:4]], augkit.Compose([augkit.CenterCrop(56), augkit.ToTensor()])
    )
    stage = [augkit.Normalize((0.5,) * 3), augkit.Mixup(1.0, num_classes=5)]
    loader = DeviceLoader(DataLoader(dataset, batch_size=4, collate_fn=Uint8Collate()), "cpu", stage, seed=SEED)
    with pytest.raises(augkit.UnsupportedTargetError, match="Mixup.*masks"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        next(iter(loader))
