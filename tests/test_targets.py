"""Targets: the kernels of ``augkit.functional.targets``, ``Boxes`` / ``Keypoints`` / ``Sample`` / ``Batch``,
and how the transform base class dispatches images, samples and batches."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import augkit
from augkit.functional import _sampling as S
from augkit.functional import targets as T
from augkit.rng import SampleStreams
from augkit.transforms.base import params_at


def label_map(height: int = 12, width: int = 16) -> np.ndarray:
    """A label map with classes {0, 3, 7} in rectangles."""
    mask = np.zeros((height, width), np.uint8)
    mask[2:6, 3:9] = 3
    mask[7:11, 10:15] = 7
    return mask


def numpy_and_torch(value):
    return [np.asarray(value, np.float32), torch.as_tensor(np.asarray(value, np.float32))]


def as_numpy(value) -> np.ndarray:
    return value.cpu().numpy() if isinstance(value, torch.Tensor) else np.asarray(value)


# ---------------------------------------------------------------------------------- kernels


def test_nearest_indices_follow_torch_nearest():
    for n_in, n_out in [(7, 3), (3, 7), (10, 10), (427, 224), (224, 427), (5, 1), (1, 5), (640, 333), (333, 1000)]:
        source = torch.arange(n_in, dtype=torch.float32).view(1, 1, 1, n_in)
        expected = torch.nn.functional.interpolate(source, size=(1, n_out), mode="nearest").view(-1).long().numpy()
        np.testing.assert_array_equal(S.nearest_indices(n_in, n_out), expected, err_msg=f"{n_in} -> {n_out}")


@pytest.mark.parametrize("size", [(5, 9), (24, 31), (12, 16), (30, 10)])
def test_resize_mask_equals_torch_nearest_and_keeps_labels(size):
    mask = label_map()
    out = T.resize_mask(mask, size)
    expected = torch.nn.functional.interpolate(torch.from_numpy(mask)[None, None].float(), size=size, mode="nearest")[0, 0]
    np.testing.assert_array_equal(out, expected.to(torch.uint8).numpy())
    assert set(np.unique(out)) <= {0, 3, 7}


def test_mask_kernels_agree_between_numpy_and_torch_and_layouts():
    mask = label_map()
    stack = np.stack([mask, (mask == 3).astype(np.uint8)], axis=-1)  # [H, W, M]
    tensor = torch.from_numpy(mask)
    planes = torch.from_numpy(stack).permute(2, 0, 1)  # [M, H, W]
    kernels = [
        lambda m: T.flip_mask(m, True),
        lambda m: T.flip_mask(m, False),
        lambda m: T.crop_mask(m, -2, 3, 9, 20, fill=255),
        lambda m: T.resize_mask(m, (7, 25)),
        lambda m: T.resized_crop_mask(m, 1, 2, 8, 9, (16, 5)),
    ]
    for kernel in kernels:
        out = kernel(mask)
        assert isinstance(out, np.ndarray) and out.dtype == np.uint8
        np.testing.assert_array_equal(kernel(tensor).numpy(), out)
        np.testing.assert_array_equal(kernel(stack)[..., 0], out)
        np.testing.assert_array_equal(kernel(planes)[0].numpy(), out)


def test_crop_mask_fills_outside():
    mask = label_map(4, 4) + 1
    out = T.crop_mask(mask, -1, 2, 3, 4, fill=255)
    assert out.shape == (3, 4)
    assert (out[0] == 255).all() and (out[:, 2:] == 255).all()
    np.testing.assert_array_equal(out[1:, :2], mask[0:2, 2:4])


def test_kernels_never_modify_their_input():
    mask = label_map()
    xyxy = np.array([[1, 2, 8, 9]], np.float32)
    xy = np.array([[3, 4]], np.float32)
    boxes, points = augkit.Boxes(xyxy.copy()), augkit.Keypoints(xy.copy())
    T.flip_mask(mask)
    T.crop_mask(mask, 1, 1, 5, 5)
    T.flip_boxes(boxes, (12, 16))
    T.crop_boxes(boxes, 1, 1, 5, 5)
    T.resize_boxes(boxes, (12, 16), (24, 8))
    T.flip_keypoints(points, (12, 16))
    T.crop_keypoints(points, 1, 1, 5, 5)
    T.resize_keypoints(points, (12, 16), (24, 8))
    np.testing.assert_array_equal(mask, label_map())
    np.testing.assert_array_equal(boxes.xyxy, xyxy)
    np.testing.assert_array_equal(points.xy, xy)


@pytest.mark.parametrize("kind", [0, 1], ids=["numpy", "torch"])
def test_box_kernels(kind):
    xyxy = numpy_and_torch([[1, 2, 5, 6], [10, 0, 16, 4], [0, 8, 3, 12]])[kind]
    boxes = augkit.Boxes(xyxy, labels=[3, 7, 1])
    flipped = T.flip_boxes(boxes, (12, 16), horizontal=True)
    np.testing.assert_array_equal(as_numpy(flipped.xyxy), [[11, 2, 15, 6], [0, 0, 6, 4], [13, 8, 16, 12]])
    flipped = T.flip_boxes(boxes, (12, 16), horizontal=False)
    np.testing.assert_array_equal(as_numpy(flipped.xyxy), [[1, 6, 5, 10], [10, 8, 16, 12], [0, 0, 3, 4]])
    # The crop keeps the part inside (clamped) and drops the third box (left with no area) with its label.
    cropped = T.crop_boxes(boxes, top=1, left=2, height=6, width=12)
    assert type(cropped.xyxy) is type(xyxy)
    np.testing.assert_array_equal(as_numpy(cropped.xyxy), [[0, 1, 3, 5], [8, 0, 12, 3]])
    np.testing.assert_array_equal(as_numpy(cropped.labels), [3, 7])
    np.testing.assert_allclose(as_numpy(cropped.reference_area), [16, 24])
    resized = T.resize_boxes(boxes, (12, 16), (24, 8))
    np.testing.assert_array_equal(as_numpy(resized.xyxy), [[0.5, 4, 2.5, 12], [5, 0, 8, 8], [0, 16, 1.5, 24]])
    np.testing.assert_array_equal(as_numpy(resized.labels), [3, 7, 1])


def test_box_kernels_agree_between_numpy_and_torch():
    rng = np.random.default_rng(0)
    corners = rng.uniform(-5, 40, size=(50, 2, 2))
    xyxy = np.concatenate([corners.min(1), corners.max(1)], axis=1)
    labels = np.arange(50)
    numpy_boxes = augkit.Boxes(xyxy, labels)
    torch_boxes = augkit.Boxes(torch.from_numpy(xyxy.astype(np.float32)), torch.from_numpy(labels))
    kernels = [
        lambda b: T.flip_boxes(b, (30, 33)),
        lambda b: T.crop_boxes(b, 3, -4, 20, 25),
        lambda b: T.resize_boxes(b, (30, 33), (17, 50)),
        lambda b: T.resize_boxes(T.crop_boxes(b, 5, 5, 20, 20), (20, 20), (7, 9)),
    ]
    for kernel in kernels:
        a, b = kernel(numpy_boxes), kernel(torch_boxes)
        assert isinstance(a.xyxy, np.ndarray) and isinstance(b.xyxy, torch.Tensor)
        np.testing.assert_array_equal(a.xyxy, b.xyxy.numpy())
        np.testing.assert_array_equal(a.labels, b.labels.numpy())


@pytest.mark.parametrize("kind", [0, 1], ids=["numpy", "torch"])
def test_keypoint_kernels(kind):
    xy = numpy_and_torch([[[0, 0], [15, 11]], [[4, 5], [20, -1]]])[kind]
    points = augkit.Keypoints(xy)
    flipped = T.flip_keypoints(points, (12, 16), horizontal=True)
    np.testing.assert_array_equal(as_numpy(flipped.xy), [[[15, 0], [0, 11]], [[11, 5], [-5, -1]]])
    np.testing.assert_array_equal(as_numpy(flipped.visibility()), [[True, True], [True, False]])
    flipped = T.flip_keypoints(points, (12, 16), horizontal=False)
    np.testing.assert_array_equal(as_numpy(flipped.xy), [[[0, 11], [15, 0]], [[4, 6], [20, 12]]])
    cropped = T.crop_keypoints(points, top=2, left=3, height=8, width=10)
    np.testing.assert_array_equal(as_numpy(cropped.xy), [[[-3, -2], [12, 9]], [[1, 3], [17, -3]]])
    # Moved outside: invisible, never dropped.
    np.testing.assert_array_equal(as_numpy(cropped.visibility()), [[False, False], [True, False]])
    resized = T.resize_keypoints(points, (12, 16), (6, 32))
    np.testing.assert_array_equal(as_numpy(resized.xy), [[[0, 0], [30, 5.5]], [[8, 2.5], [40, -0.5]]])
    assert type(resized.xy) is type(xy) and type(resized.visibility()) is type(xy)


def test_invisible_keypoints_stay_invisible():
    points = augkit.Keypoints([[2, 2], [3, 3]], visible=[False, True])
    for out in (T.flip_keypoints(points, (8, 8)), T.crop_keypoints(points, 0, 0, 8, 8), T.resize_keypoints(points, (8, 8), (4, 4))):
        np.testing.assert_array_equal(out.visibility(), [False, True])


def test_filter_boxes_thresholds():
    boxes = augkit.Boxes([[0, 0, 10, 10], [0, 0, 2, 10], [0, 0, 10, 2], [5, 5, 5, 9]], labels=[1, 2, 3, 4])
    assert T.filter_boxes(boxes).labels.tolist() == [1, 2, 3]  # zero area always goes
    assert T.filter_boxes(boxes, min_area=21).labels.tolist() == [1]
    assert T.filter_boxes(boxes, min_width=3).labels.tolist() == [1, 3]
    assert T.filter_boxes(boxes, min_height=3).labels.tolist() == [1, 2]
    cropped = T.crop_boxes(augkit.Boxes([[0, 0, 10, 10], [6, 0, 16, 10]], labels=[5, 6]), 0, 0, 10, 10)
    np.testing.assert_allclose(cropped.visibility(), [1.0, 0.4])
    assert T.filter_boxes(cropped, min_visibility=0.4).labels.tolist() == [5, 6]
    assert T.filter_boxes(cropped, min_visibility=0.41).labels.tolist() == [5]


def test_reference_area_follows_resizes_and_crops():
    boxes = augkit.Boxes([[0, 0, 20, 10]], labels=[1])
    assert boxes.reference_area is None and boxes.visibility().tolist() == [1.0]
    half = T.crop_boxes(boxes, 0, 10, 10, 20)  # the right half
    np.testing.assert_allclose(half.reference_area, [200])
    doubled = T.resize_boxes(half, (10, 20), (20, 40))
    np.testing.assert_allclose(doubled.reference_area, [800])
    np.testing.assert_allclose(doubled.visibility(), [0.5])
    again = T.crop_boxes(doubled, 0, 0, 20, 10)  # half of what was left
    np.testing.assert_allclose(again.visibility(), [0.25])
    np.testing.assert_allclose(T.flip_boxes(again, (20, 40)).visibility(), [0.25])


# ---------------------------------------------------------------------------------- Boxes, Keypoints


@pytest.mark.parametrize("format", ["xyxy", "xywh", "cxcywh"])
def test_box_formats_round_trip(format):
    rng = np.random.default_rng(1)
    corners = rng.uniform(0, 50, size=(20, 2, 2)).astype(np.float32)
    xyxy = np.concatenate([corners.min(1), corners.max(1)], axis=1)
    boxes = augkit.Boxes(xyxy)
    values = boxes.to_format(format)
    np.testing.assert_allclose(augkit.Boxes.from_format(values, format).xyxy, xyxy, atol=1e-4)
    normalized = boxes.to_format(format, normalized=True, image_size=(50, 60))
    assert normalized.max() <= 1.0 + 1e-6
    np.testing.assert_allclose(augkit.Boxes.from_format(normalized, format, normalized=True, image_size=(50, 60)).xyxy, xyxy, atol=1e-4)


def test_box_formats_by_hand():
    boxes = augkit.Boxes.from_format([[10, 20, 30, 40]], "xywh", labels=[3])
    np.testing.assert_array_equal(boxes.xyxy, [[10, 20, 40, 60]])
    np.testing.assert_array_equal(boxes.to_format("cxcywh"), [[25, 40, 30, 40]])
    yolo = augkit.Boxes.from_format([[0.5, 0.5, 0.25, 0.5]], "cxcywh", normalized=True, image_size=(100, 200))
    np.testing.assert_array_equal(yolo.xyxy, [[75, 25, 125, 75]])
    np.testing.assert_array_equal(yolo.to_format("xyxy", normalized=True, image_size=(100, 200)), [[0.375, 0.25, 0.625, 0.75]])
    np.testing.assert_array_equal(augkit.Boxes(torch.tensor([[1.0, 2.0, 4.0, 8.0]])).to_format("xywh"), [[1, 2, 3, 6]])


def test_box_and_keypoint_errors():
    with pytest.raises(ValueError, match="format"):
        augkit.Boxes.from_format([[0, 0, 1, 1]], "yolo")
    with pytest.raises(ValueError, match="image_size"):
        augkit.Boxes.from_format([[0, 0, 1, 1]], "xyxy", normalized=True)
    with pytest.raises(ValueError, match=r"\[N, 4\]"):
        augkit.Boxes([0, 0, 1, 1])
    with pytest.raises(ValueError, match="labels"):
        augkit.Boxes([[0, 0, 1, 1]], labels=[1, 2])
    with pytest.raises(ValueError, match="reference areas"):
        augkit.Boxes([[0, 0, 1, 1]], reference_area=[1, 2])
    with pytest.raises(ValueError, match="keypoints"):
        augkit.Keypoints([[[[1, 2]]]])
    with pytest.raises(ValueError, match="visibility"):
        augkit.Keypoints([[1, 2], [3, 4]], visible=[True])
    with pytest.raises(TypeError, match="boxes"):
        augkit.Boxes([["a", "b", "c", "d"]])


def test_replace_drops_boxes_labels_and_areas_together():
    boxes = augkit.Boxes([[0, 0, 1, 1], [0, 0, 2, 2], [0, 0, 3, 3]], labels=["cat", "dog", "cow"], reference_area=[1, 8, 9])
    kept = boxes.replace(boxes.xyxy, np.array([True, False, True]))
    assert kept.labels.tolist() == ["cat", "cow"]
    assert kept.reference_area.tolist() == [1, 9]
    on_tensors = augkit.Boxes(torch.as_tensor(boxes.xyxy), labels=[1, 2, 3], reference_area=[1, 8, 9])
    kept = on_tensors.replace(on_tensors.xyxy, torch.tensor([False, True, True]))
    assert kept.labels.tolist() == [2, 3] and kept.reference_area.tolist() == [8, 9]
    assert isinstance(kept.reference_area, torch.Tensor)


def test_keypoint_visibility_takes_the_kind_of_xy():
    points = augkit.Keypoints(torch.zeros(2, 3, 2), visible=np.ones((2, 3), bool))
    assert isinstance(points.visible, torch.Tensor) and points.visible.dtype == torch.bool
    points = augkit.Keypoints(np.zeros((2, 2)), visible=torch.tensor([True, False]))
    assert isinstance(points.visible, np.ndarray) and points.visible.tolist() == [True, False]
    assert augkit.Keypoints(np.zeros((4, 2))).visibility().tolist() == [True] * 4


# ---------------------------------------------------------------------------------- Batch


def make_batch(size: int = 4, height: int = 12, width: int = 16) -> augkit.Batch:
    images = torch.arange(size * 3 * height * width, dtype=torch.int64).remainder(251).to(torch.uint8).view(size, 3, height, width)
    masks = torch.from_numpy(np.stack([np.roll(label_map(height, width), i, axis=1) for i in range(size)]))
    boxes = [augkit.Boxes(torch.tensor([[i, 1.0, i + 5.0, 6.0]]), torch.tensor([i])) for i in range(size)]
    points = [augkit.Keypoints(torch.tensor([[float(i), 2.0], [15.0, 11.0]])) for i in range(size)]
    return augkit.Batch(images, torch.arange(size), masks, boxes, points, keys=torch.arange(10, 10 + size))


def test_batch_unpacks_as_images_and_targets():
    batch = make_batch()
    images, targets = batch
    assert images is batch.images and targets is batch.labels
    assert batch[0] is batch.images and len(batch) == 2 and batch.size == 4


def test_batch_select_and_scatter():
    batch = make_batch()
    sub = batch.select(np.array([2, 0]))
    assert sub.size == 2 and sub.keys.tolist() == [12, 10] and sub.labels.tolist() == [2, 0]
    assert torch.equal(sub.masks, batch.masks[[2, 0]])
    assert sub.boxes[0] is batch.boxes[2] and sub.keypoints[1] is batch.keypoints[0]
    flipped = augkit.HorizontalFlip(p=1.0)(sub, rng=0)
    merged = batch.scatter(np.array([2, 0]), flipped)
    assert torch.equal(merged.images[[2, 0]], flipped.images) and torch.equal(merged.images[[1, 3]], batch.images[[1, 3]])
    assert torch.equal(merged.masks[2], batch.masks[2].flip(-1)) and torch.equal(merged.masks[1], batch.masks[1])
    assert merged.boxes[0] is flipped.boxes[1] and merged.boxes[1] is batch.boxes[1]
    assert merged.keypoints[2] is flipped.keypoints[0]
    with pytest.raises(ValueError, match="shape and dtype"):
        batch.scatter(np.array([0]), batch.select(np.array([0])).replace(images=torch.zeros(1, 3, 5, 5, dtype=torch.uint8)))


def test_batch_checks_its_rows():
    with pytest.raises(TypeError, match=r"\[B, C, H, W\]"):
        augkit.Batch(torch.zeros(3, 4, 4))
    with pytest.raises(ValueError, match="one entry per image"):
        augkit.Batch(torch.zeros(2, 3, 4, 4), boxes=[augkit.Boxes(np.zeros((0, 4)))])
    with pytest.raises(ValueError, match="masks"):
        augkit.Batch(torch.zeros(2, 3, 4, 4), masks=torch.zeros(3, 4, 4))


def test_batch_to_moves_every_tensor():
    batch = augkit.Batch(
        torch.zeros(2, 3, 4, 4, dtype=torch.uint8),
        [1, 2],
        torch.zeros(2, 4, 4, dtype=torch.uint8),
        [augkit.Boxes(np.zeros((1, 4), np.float32), [1], [1.0]), augkit.Boxes(np.zeros((0, 4), np.float32))],
        [augkit.Keypoints(np.zeros((1, 2))), augkit.Keypoints(np.zeros((2, 2)), [True, False])],
    )
    moved = batch.to("cpu")
    assert all(isinstance(b.xyxy, torch.Tensor) for b in moved.boxes)
    assert isinstance(moved.boxes[0].labels, torch.Tensor) and isinstance(moved.boxes[0].reference_area, torch.Tensor)
    assert isinstance(moved.keypoints[1].visible, torch.Tensor) and moved.keypoints[1].visible.tolist() == [True, False]
    assert moved.labels == [1, 2]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA (pinned memory)")
def test_batch_pin_memory_and_to_cuda():
    batch = make_batch().pin_memory()
    assert batch.images.is_pinned() and batch.masks.is_pinned() and batch.labels.is_pinned()
    assert batch.boxes[0].xyxy.is_pinned() and batch.boxes[0].labels.is_pinned() and batch.keypoints[0].xy.is_pinned()
    moved = batch.to("cuda", non_blocking=True)
    assert moved.images.is_cuda and moved.masks.is_cuda and moved.boxes[0].xyxy.is_cuda and moved.keypoints[0].xy.is_cuda
    flipped = augkit.HorizontalFlip(p=1.0)(moved, rng=0)
    assert torch.equal(flipped.masks.cpu(), make_batch().masks.flip(-1))
    assert torch.equal(flipped.boxes[1].xyxy.cpu(), torch.tensor([[10.0, 1.0, 15.0, 6.0]]))


# ---------------------------------------------------------------------------------- dispatch


def sample(height: int = 12, width: int = 16) -> augkit.Sample:
    image = np.random.default_rng(0).integers(0, 256, (height, width, 3), dtype=np.uint8)
    return augkit.Sample(
        image,
        label=4,
        mask=label_map(height, width),
        boxes=augkit.Boxes([[3, 2, 9, 6], [10, 7, 15, 11]], labels=[3, 7]),
        keypoints=augkit.Keypoints([[[3, 2], [8, 5]], [[10, 7], [14, 10]]]),
        key=5,
    )


GEOMETRIC = [
    lambda: augkit.Resize(size=(9, 20)),
    lambda: augkit.RandomScale(8, 20),
    lambda: augkit.RandomCrop(10, padding=3),
    lambda: augkit.CenterCrop((14, 10)),
    lambda: augkit.RandomResizedCrop(8),
    lambda: augkit.HorizontalFlip(p=0.5),
    lambda: augkit.VerticalFlip(p=1.0),
    lambda: augkit.Compose([augkit.RandomScale(10, 14), augkit.RandomCrop(9), augkit.HorizontalFlip()]),
    lambda: augkit.RandomApply(augkit.RandomCrop(8), p=0.5),
    lambda: augkit.OneOf([augkit.HorizontalFlip(p=1.0), augkit.Resize(size=(6, 6))]),
    lambda: augkit.BoxFilter(min_visibility=0.5),
]


@pytest.mark.parametrize("make", GEOMETRIC)
def test_kinds_in_kinds_out_and_replay(make):
    transform = make()
    data = sample()
    image_out = transform(data.image, rng=3)
    assert isinstance(image_out, np.ndarray)
    out, params = transform.run(data, np.random.default_rng(3))
    assert isinstance(out, augkit.Sample) and out.label == 4 and out.key == 5
    np.testing.assert_array_equal(out.image, image_out)
    assert out.mask.shape == out.image.shape[:2]
    replayed = transform.apply(data, params)
    for name in ("image", "mask"):
        np.testing.assert_array_equal(getattr(replayed, name), getattr(out, name))
    np.testing.assert_array_equal(replayed.boxes.xyxy, out.boxes.xyxy)
    np.testing.assert_array_equal(replayed.boxes.labels, out.boxes.labels)
    np.testing.assert_array_equal(replayed.keypoints.xy, out.keypoints.xy)
    np.testing.assert_array_equal(replayed.keypoints.visibility(), out.keypoints.visibility())
    assert repr(transform.sample(np.random.default_rng(3), data)) == repr(params)


@pytest.mark.parametrize(
    "make", [lambda: augkit.ColorJitter(0.4, 0.4, 0.4, 0.1), lambda: augkit.Cutout(4), lambda: augkit.PCALighting(0.5)]
)
def test_photometric_transforms_pass_targets_through(make):
    data = sample()
    out = make()(data, rng=1)
    assert out.mask is data.mask and out.boxes is data.boxes and out.keypoints is data.keypoints
    assert not np.array_equal(out.image, data.image)
    batch = make_batch()
    out = make()(batch, rng=1)
    assert out.masks is batch.masks
    assert all(a is b for a, b in zip(out.boxes, batch.boxes)) and all(a is b for a, b in zip(out.keypoints, batch.keypoints))


def test_normalize_and_to_tensor_on_samples():
    data = sample()
    out = augkit.Compose([augkit.Normalize((0.5,) * 3, (0.25,) * 3), augkit.ToTensor()])(data, rng=0)
    assert out.image.shape == (3, 12, 16) and out.image.dtype == torch.float32
    assert isinstance(out.mask, torch.Tensor) and torch.equal(out.mask, torch.from_numpy(data.mask))
    assert isinstance(out.boxes.xyxy, torch.Tensor) and out.boxes.labels.tolist() == [3, 7]


def test_batches_in_batches_out():
    batch = make_batch()
    for transform in (augkit.HorizontalFlip(), augkit.RandomCrop(8, padding=2), augkit.CenterCrop((10, 20))):
        out, params = transform.run(batch, SampleStreams(0, 0, batch.keys.numpy()))
        assert isinstance(out, augkit.Batch) and out.masks.shape == (4, *out.images.shape[-2:])
        assert torch.equal(out.keys, batch.keys) and torch.equal(out.labels, batch.labels)
        images = transform(batch.images, rng=SampleStreams(0, 0, batch.keys.numpy()))
        assert torch.equal(images, out.images)
        for i in range(batch.size):
            one = transform.apply(
                augkit.Sample(batch.images[i], mask=batch.masks[i], boxes=batch.boxes[i], keypoints=batch.keypoints[i]),
                params_at(params, i),
            )
            assert torch.equal(one.image, out.images[i]) and torch.equal(one.mask, out.masks[i])
            assert torch.equal(one.boxes.xyxy, out.boxes[i].xyxy) and torch.equal(one.keypoints.xy, out.keypoints[i].xy)


def test_batch_stage_crop_of_an_empty_batch_gives_empty_masks_of_the_crop_size():
    batch = make_batch().select(np.array([], dtype=np.int64))
    out = augkit.RandomCrop(8)(batch, rng=0)
    assert out.images.shape == (0, 3, 8, 8) and out.masks.shape == (0, 8, 8)


class _Roll(augkit.Transform):
    """A geometric transform that handles masks only."""

    geometric = True

    def apply(self, image, params=None):
        return np.roll(image, 1, axis=1)

    def apply_mask(self, mask, params=None):
        return np.roll(mask, 1, axis=1)


def test_a_geometric_transform_refuses_targets_it_cannot_move():
    data = sample()
    out = _Roll()(data.replace(boxes=None, keypoints=None))
    np.testing.assert_array_equal(out.mask, np.roll(data.mask, 1, axis=1))
    for target, name in (("boxes", "boxes"), ("keypoints", "keypoints")):
        with pytest.raises(augkit.UnsupportedTargetError, match=f"_Roll.*{name}"):
            _Roll()(data.replace(**{"boxes": None, "keypoints": None, target: getattr(data, target)}))
    with pytest.raises(augkit.UnsupportedTargetError, match="_Roll.*boxes"):
        augkit.Compose([augkit.HorizontalFlip(), _Roll()])(data.replace(keypoints=None), rng=0)
    assert issubclass(augkit.UnsupportedTargetError, TypeError)


def test_mixup_refuses_masks_and_cutmix_refuses_boxes():
    batch = make_batch()
    floats = batch.replace(images=batch.images.float() / 255, boxes=None, keypoints=None)
    with pytest.raises(augkit.UnsupportedTargetError, match="Mixup.*cannot blend masks"):
        augkit.Mixup(1.0, num_classes=4)(floats, rng=0)
    with pytest.raises(augkit.UnsupportedTargetError, match="CutMix.*boxes or keypoints"):
        augkit.CutMix(1.0, num_classes=4)(batch, rng=0)
