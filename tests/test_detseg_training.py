"""Training smoke tests: masks and boxes through the whole loader into tiny models (CPU, seconds).

Segmentation: ``SegmentationFolder`` -> ``AugmentedDataset(segmentation_train)`` ->
``DataLoader(Uint8Collate)`` -> ``DeviceLoader(batch stage)`` -> a two-layer conv net with a
cross-entropy that ignores 255. Detection: ``CocoDetection`` -> ``AugmentedDataset
(detection_train)`` -> ``DataLoader(PadCollate / Uint8Collate)`` -> ``DeviceLoader`` -> a tiny
model that takes per-image box lists. With 0 and 2 workers the batches are bit-identical.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from detseg_data import make_coco, make_segmentation_folder
from torch.utils.data import DataLoader

import augkit
from augkit import presets
from augkit.data import AugmentedDataset, CocoDetection, DeviceLoader, PadCollate, SegmentationFolder, Uint8Collate

CLASSES = 5
WORKER_TIMEOUT = 60  # seconds: a stuck worker fails the test instead of hanging it


@pytest.fixture(scope="module")
def segmentation_root(tmp_path_factory):
    return make_segmentation_folder(tmp_path_factory.mktemp("seg"), count=4, classes=CLASSES)


@pytest.fixture(scope="module")
def coco(tmp_path_factory):
    return make_coco(tmp_path_factory.mktemp("det"), count=4)


def loader_of(dataset, collate, workers: int, batch_stage, batch_size: int = 2) -> DeviceLoader:
    loader = DataLoader(
        dataset, batch_size=batch_size, shuffle=False, num_workers=workers, collate_fn=collate, timeout=WORKER_TIMEOUT if workers else 0
    )
    return DeviceLoader(loader, "cpu", batch_stage, seed=0)


def collect(loader: DeviceLoader, epochs: int = 2) -> list[augkit.Batch]:
    return [batch for _ in range(epochs) for batch in loader]


class TinySegmenter(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv2d(8, CLASSES, 1))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.body(images)


def train_segmenter(batches: list[augkit.Batch]) -> list[float]:
    torch.manual_seed(0)
    model = TinySegmenter()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    losses = []
    for batch in batches:
        loss = torch.nn.functional.cross_entropy(model(batch.images), batch.masks.long(), ignore_index=255)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("workers", [0, 2])
def test_segmentation_training_loop(segmentation_root, workers):
    sample_stage, batch_stage = presets.segmentation_train(base_size=64, crop_size=48)
    dataset = AugmentedDataset(SegmentationFolder(segmentation_root), sample_stage)
    batches = collect(loader_of(dataset, Uint8Collate(), workers, batch_stage))
    assert len(batches) == 4
    for batch in batches:
        assert tuple(batch.images.shape) == (2, 3, 48, 48) and batch.images.dtype == torch.float32
        assert tuple(batch.masks.shape) == (2, 48, 48) and batch.masks.dtype == torch.uint8
        # nearest-neighbour geometry: only the label ids of the files, and the 255 padding
        assert set(batch.masks.unique().tolist()) <= set(range(CLASSES)) | {255}
    losses = train_segmenter(batches)
    assert all(np.isfinite(losses)) and losses[-1] < losses[0] * 1.5


def test_segmentation_batches_do_not_depend_on_workers(segmentation_root):
    sample_stage, batch_stage = presets.segmentation_train(base_size=64, crop_size=48)
    runs = []
    for workers in (0, 2):
        dataset = AugmentedDataset(SegmentationFolder(segmentation_root), sample_stage)
        runs.append(collect(loader_of(dataset, Uint8Collate(), workers, batch_stage)))
    for a, b in zip(*runs):
        assert torch.equal(a.images, b.images) and torch.equal(a.masks, b.masks) and torch.equal(a.keys, b.keys)
    assert not torch.equal(runs[0][0].masks, runs[0][2].masks)  # epochs differ


class TinyDetector(torch.nn.Module):
    """Features at each box centre predict its class and its size: a loss from lists of boxes."""

    def __init__(self, classes: int) -> None:
        super().__init__()
        self.backbone = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, stride=2, padding=1), torch.nn.ReLU())
        self.classify = torch.nn.Linear(8, classes)
        self.size = torch.nn.Linear(8, 2)

    def forward(self, images: torch.Tensor, targets: list[dict]) -> torch.Tensor:
        features = self.backbone(images)
        height, width = images.shape[-2:]
        losses = []
        for i, target in enumerate(targets):
            boxes, labels = target["boxes"], target["labels"]
            if len(boxes) == 0:
                continue
            centre = torch.stack([(boxes[:, 0] + boxes[:, 2]) / width - 1, (boxes[:, 1] + boxes[:, 3]) / height - 1], 1)
            sampled = torch.nn.functional.grid_sample(features[i : i + 1], centre.view(1, -1, 1, 2), align_corners=False)
            sampled = sampled[0, :, :, 0].T
            size = torch.stack([(boxes[:, 2] - boxes[:, 0]) / width, (boxes[:, 3] - boxes[:, 1]) / height], 1)
            losses.append(torch.nn.functional.cross_entropy(self.classify(sampled), labels))
            losses.append(torch.nn.functional.l1_loss(self.size(sampled), size))
        return torch.stack(losses).sum() if losses else features.sum() * 0


def train_detector(batches: list[augkit.Batch], classes: int) -> list[float]:
    torch.manual_seed(0)
    model = TinyDetector(classes)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    losses = []
    for batch in batches:
        targets = [{"boxes": b.xyxy, "labels": b.labels} for b in batch.boxes]
        loss = model(batch.images, targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def check_detection_batch(batch: augkit.Batch, size=None) -> None:
    assert batch.images.dtype == torch.float32 and 0 <= float(batch.images.min()) and float(batch.images.max()) <= 1
    height, width = batch.images.shape[-2:]
    if size is not None:
        assert (height, width) == size
    assert isinstance(batch.boxes, list) and len(batch.boxes) == batch.size
    for boxes in batch.boxes:
        assert isinstance(boxes.xyxy, torch.Tensor) and boxes.xyxy.dtype == torch.float32
        assert boxes.labels.dtype == torch.int64 and len(boxes.labels) == len(boxes)
        assert bool((boxes.xyxy[:, 2] > boxes.xyxy[:, 0]).all() and (boxes.xyxy[:, 3] > boxes.xyxy[:, 1]).all())
        assert bool((boxes.xyxy >= 0).all() and (boxes.xyxy[:, 2] <= width).all() and (boxes.xyxy[:, 3] <= height).all())


@pytest.mark.parametrize("workers", [0, 2])
def test_detection_training_loop_ssd_fixed_size(coco, workers):
    sample_stage, batch_stage = presets.detection_train(data_augmentation="ssd", size=64)
    dataset = AugmentedDataset(CocoDetection(*coco, contiguous_labels=True), sample_stage)
    batches = collect(loader_of(dataset, Uint8Collate(), workers, batch_stage), epochs=3)
    assert len(batches) == 6 and sum(len(b) for batch in batches for b in batch.boxes) > 0
    for batch in batches:
        check_detection_batch(batch, (64, 64))
    losses = train_detector(batches, classes=3)
    assert all(np.isfinite(losses))


def test_detection_training_loop_hflip_padded(coco):
    sample_stage, batch_stage = presets.detection_train(data_augmentation="hflip")
    base = CocoDetection(*coco, contiguous_labels=True)
    dataset = AugmentedDataset(base, sample_stage)
    batches = collect(loader_of(dataset, PadCollate(size_divisible=32), 2, batch_stage), epochs=2)
    for batch in batches:
        check_detection_batch(batch)
        assert batch.images.shape[-1] % 32 == 0 and batch.images.shape[-2] % 32 == 0
        for row, boxes in zip(batch.keys.tolist(), batch.boxes):
            assert len(boxes) == len(base[row].boxes)  # a flip keeps every box
    assert all(np.isfinite(train_detector(batches, classes=3)))


def test_detection_batches_do_not_depend_on_workers(coco):
    sample_stage, batch_stage = presets.detection_train(data_augmentation="ssdlite", size=48)
    runs = []
    for workers in (0, 2):
        dataset = AugmentedDataset(CocoDetection(*coco), sample_stage)
        runs.append(collect(loader_of(dataset, Uint8Collate(), workers, batch_stage)))
    for a, b in zip(*runs):
        assert torch.equal(a.images, b.images) and torch.equal(a.keys, b.keys)
        assert all(torch.equal(x.xyxy, y.xyxy) and torch.equal(x.labels, y.labels) for x, y in zip(a.boxes, b.boxes))
