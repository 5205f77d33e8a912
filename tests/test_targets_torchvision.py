"""Targets against torchvision v2's ``tv_tensors`` kernels, on real photos with synthetic targets.

augkit's sampled parameters are replayed through torchvision's functional ops on
``tv_tensors.Mask`` / ``BoundingBoxes`` / ``KeyPoints``. Tolerances, per target kind:

* masks: equal exactly (nearest neighbour, no value invented);
* boxes: within ``BOX_ATOL`` = 1e-3 px, compared after augkit's documented dropping of boxes
  a crop leaves with no area (torchvision keeps them degenerate: augkit's kept boxes are
  compared with torchvision's non-degenerate ones, labels included);
* keypoints: within ``KEYPOINT_ATOL`` = 1e-3 px, and augkit's visibility is "inside the
  output canvas" (torchvision's ``SanitizeKeyPoints`` rule, ``0 <= x < W``, ``0 <= y < H``).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import augkit
from augkit.functional import geometry as G
from augkit.rng import SampleStreams
from augkit.samples import sample_paths
from augkit.transforms.base import params_at

tv_tensors = pytest.importorskip("torchvision.tv_tensors")
F = pytest.importorskip("torchvision.transforms.v2.functional")

BOX_ATOL = 1e-3
KEYPOINT_ATOL = 1e-3
CLASSES = (3, 7, 12, 5)
PHOTOS = ("china.jpg", "chelsea.png", "astronaut.png")


def synthetic_targets(height: int, width: int, seed: int) -> augkit.Sample:
    """A label map of rectangles and ellipses (classes {0, 3, 7, 12, 5}), boxes around them, keypoints at their corners and outside."""
    rng = np.random.default_rng(seed)
    mask = np.zeros((height, width), np.uint8)
    boxes, points = [], []
    yy, xx = np.mgrid[:height, :width]
    for k, label in enumerate(CLASSES):
        h, w = int(rng.integers(height // 8, height // 2)), int(rng.integers(width // 8, width // 2))
        top, left = int(rng.integers(0, height - h)), int(rng.integers(0, width - w))
        if k % 2:
            cy, cx = top + (h - 1) / 2, left + (w - 1) / 2
            mask[((yy - cy) / (h / 2)) ** 2 + ((xx - cx) / (w / 2)) ** 2 <= 1] = label
        else:
            mask[top : top + h, left : left + w] = label
        boxes.append([left, top, left + w, top + h])
        points.append([[left, top], [left + w - 1, top + h - 1], [left + w / 3, top + h / 2]])
    points.append([[-5.0, height / 2], [width + 3.0, 10.0], [width / 2, height - 0.5]])
    xy = np.array(points, np.float32)
    inside = (xy[..., 0] >= 0) & (xy[..., 0] < width) & (xy[..., 1] >= 0) & (xy[..., 1] < height)
    return augkit.Sample(
        None,
        mask=mask,
        boxes=augkit.Boxes(np.array(boxes, np.float32), labels=np.array(CLASSES)),
        keypoints=augkit.Keypoints(xy, visible=inside),
    )


@pytest.fixture(scope="module", params=PHOTOS)
def photo_sample(request, sample_images) -> augkit.Sample:
    image = sample_images[request.param]
    return synthetic_targets(*image.shape[:2], seed=len(request.param)).replace(image=image)


def to_tv(sample: augkit.Sample) -> tuple:
    """The sample's targets as tv_tensors (Mask, BoundingBoxes, KeyPoints) on its canvas, and the keypoints' visibility."""
    mask = sample.mask if isinstance(sample.mask, torch.Tensor) else torch.from_numpy(np.ascontiguousarray(sample.mask))
    size = tuple(mask.shape[-2:])
    return (
        tv_tensors.Mask(mask),
        tv_tensors.BoundingBoxes(torch.as_tensor(sample.boxes.xyxy), format="XYXY", canvas_size=size),
        tv_tensors.KeyPoints(torch.as_tensor(sample.keypoints.xy), canvas_size=size),
        torch.as_tensor(sample.keypoints.visibility()),
    )


def step(state: tuple, op) -> tuple:
    """Apply one torchvision op to the three targets; keypoints left outside the new canvas become invisible."""
    mask, boxes, points = (op(x) for x in state[:3])
    height, width = F.get_size(mask)
    inside = (points[..., 0] >= 0) & (points[..., 0] < width) & (points[..., 1] >= 0) & (points[..., 1] < height)
    return mask, boxes, points, state[3] & inside.as_subclass(torch.Tensor)


def crop_tv(x, top: int, left: int, height: int, width: int, fill: int = 0):
    """torchvision's padded crop: ``F.pad`` (fill) wherever the window leaves the canvas, then ``F.crop``."""
    h, w = F.get_size(x)
    pad = [max(0, -left), max(0, -top), max(0, left + width - w), max(0, top + height - h)]  # l, t, r, b
    if any(pad):
        x = F.pad(x, pad, fill=fill if isinstance(x, tv_tensors.Mask) else 0)
    return F.crop(x, top + pad[1], left + pad[0], height, width)


def replay(transform, params, state: tuple) -> tuple:
    """Replay augkit's parameters of ``transform`` through torchvision's functional ops (``state`` as ``to_tv``)."""
    height, width = F.get_size(state[0])
    if isinstance(transform, augkit.Compose):
        for child, child_params in zip(transform.transforms, params.params):
            state = replay(child, child_params, state)
        return state
    if isinstance(transform, augkit.RandomApply):
        return replay(transform.transform, params.params, state) if params.applied else state
    if isinstance(transform, augkit.Resize):
        return step(state, lambda x: F.resize(x, list(transform.output_size(height, width))))
    if isinstance(transform, augkit.RandomScale):
        return step(state, lambda x: F.resize(x, list(G.shorter_side_size(height, width, params.shorter))))
    if isinstance(transform, augkit.CenterCrop):
        return step(state, lambda x: F.center_crop(x, list(transform.size)))
    if isinstance(transform, augkit.RandomCrop):
        return step(state, lambda x: crop_tv(x, params.top, params.left, params.height, params.width, transform.mask_fill))
    if isinstance(transform, augkit.RandomResizedCrop):
        return step(state, lambda x: F.resized_crop(x, params.top, params.left, params.height, params.width, list(transform.size)))
    if isinstance(transform, augkit.HorizontalFlip):
        return step(state, F.horizontal_flip) if params.applied else state
    if isinstance(transform, augkit.VerticalFlip):
        return step(state, F.vertical_flip) if params.applied else state
    raise AssertionError(f"no torchvision replay for {transform!r}")


def differences(out: augkit.Sample, expected: tuple) -> dict[str, float]:
    """Compare augkit's targets with torchvision's; return the max differences (asserting the tolerances)."""
    mask, boxes, points = (x.as_subclass(torch.Tensor) for x in expected[:3])
    got_mask = out.mask if isinstance(out.mask, torch.Tensor) else torch.from_numpy(np.ascontiguousarray(out.mask))
    assert got_mask.shape == mask.shape and got_mask.dtype == mask.dtype
    mask_diff = int((got_mask != mask).sum())
    assert mask_diff == 0, f"{mask_diff} mask pixels differ"
    kept = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
    got_boxes = torch.as_tensor(out.boxes.xyxy).cpu()
    assert got_boxes.shape == boxes[kept].shape, f"augkit kept {len(got_boxes)} boxes, torchvision has {int(kept.sum())} with area"
    box_diff = float((got_boxes - boxes[kept]).abs().max()) if len(got_boxes) else 0.0
    assert box_diff <= BOX_ATOL
    np.testing.assert_array_equal(np.asarray(torch.as_tensor(out.boxes.labels).cpu()), np.array(CLASSES)[kept.numpy()])
    got_points = torch.as_tensor(out.keypoints.xy).cpu()
    point_diff = float((got_points - points).abs().max())
    assert point_diff <= KEYPOINT_ATOL
    np.testing.assert_array_equal(np.asarray(torch.as_tensor(out.keypoints.visibility()).cpu()), expected[3].numpy())
    return {"mask": mask_diff, "boxes": box_diff, "keypoints": point_diff}


SAMPLE_STAGE_TRANSFORMS = {
    "Resize(shorter)": lambda: augkit.Resize(shorter=224),
    "Resize(size)": lambda: augkit.Resize(size=(333, 250)),
    "Resize(up)": lambda: augkit.Resize(shorter=700),
    "RandomScale": lambda: augkit.RandomScale(180, 720),
    "RandomCrop": lambda: augkit.RandomCrop((240, 320)),
    "RandomCrop(padding)": lambda: augkit.RandomCrop((260, 300), padding=(40, 10, 25, 60), mask_fill=255),
    "RandomCrop(pad_if_needed)": lambda: augkit.RandomCrop((560, 700), mask_fill=255),
    "CenterCrop": lambda: augkit.CenterCrop((224, 301)),
    "CenterCrop(larger)": lambda: augkit.CenterCrop((600, 705)),
    "CenterCrop(taller)": lambda: augkit.CenterCrop((601, 100)),
    "RandomResizedCrop": lambda: augkit.RandomResizedCrop(224),
    "RandomResizedCrop(wide)": lambda: augkit.RandomResizedCrop((160, 288), scale=(0.02, 0.3), ratio=(1.5, 3.0)),
    "HorizontalFlip": lambda: augkit.HorizontalFlip(p=0.5),
    "VerticalFlip": lambda: augkit.VerticalFlip(p=0.5),
    "Compose(RandomScale, RandomCrop) fused": lambda: augkit.Compose([augkit.RandomScale(256, 480), augkit.RandomCrop(224)]),
    "Compose(Resize, CenterCrop) fused": lambda: augkit.Compose([augkit.Resize(shorter=256), augkit.CenterCrop(224)]),
    "Compose(RRC, flips)": lambda: augkit.Compose([augkit.RandomResizedCrop(200), augkit.HorizontalFlip(), augkit.VerticalFlip()]),
    "Compose(crop, resize, RandomApply)": lambda: augkit.Compose(
        [augkit.RandomCrop(300, padding=8), augkit.Resize(size=(150, 170)), augkit.RandomApply(augkit.VerticalFlip(p=1.0), p=0.5)]
    ),
}


@pytest.mark.parametrize("name", sorted(SAMPLE_STAGE_TRANSFORMS))
def test_sample_stage_matches_torchvision(name, photo_sample):
    transform = SAMPLE_STAGE_TRANSFORMS[name]()
    for seed in range(4):
        out, params = transform.run(photo_sample, np.random.default_rng(seed))
        assert out.mask.shape == out.image.shape[:2]
        differences(out, replay(transform, params, to_tv(photo_sample)))


def test_mask_stacks_match_torchvision(photo_sample):
    """An ``[H, W, M]`` stack of binary masks moves like the label map (as ``[M, H, W]`` in torchvision)."""
    stack = np.stack([photo_sample.mask == label for label in CLASSES], axis=-1).astype(np.uint8)
    sample = photo_sample.replace(mask=stack)
    transform = augkit.Compose([augkit.RandomResizedCrop(123), augkit.HorizontalFlip(), augkit.RandomCrop(100, padding=5)])
    for seed in range(3):
        out, params = transform.run(sample, np.random.default_rng(seed))
        expected = replay(transform, params, to_tv(sample.replace(mask=torch.from_numpy(stack).permute(2, 0, 1).contiguous())))[0]
        np.testing.assert_array_equal(out.mask.transpose(2, 0, 1), expected.numpy())


def batch_of(photo: np.ndarray, size: int = 4, height: int = 240, width: int = 320) -> tuple[augkit.Batch, list[augkit.Sample]]:
    """Rows cut from one photo at different places, each with its own synthetic targets."""
    samples = []
    for i in range(size):
        top, left = 13 * i, 29 * i
        targets = synthetic_targets(height, width, seed=100 + i)
        samples.append(targets.replace(image=photo[top : top + height, left : left + width]))
    batch = augkit.Batch(
        torch.from_numpy(np.stack([s.image for s in samples])).permute(0, 3, 1, 2).contiguous(),
        torch.arange(size),
        torch.from_numpy(np.stack([s.mask for s in samples])),
        [s.boxes.to("cpu") for s in samples],
        [s.keypoints.to("cpu") for s in samples],
        keys=torch.arange(100, 100 + size),
    )
    return batch, samples


BATCH_STAGE_TRANSFORMS = {
    "HorizontalFlip": lambda: augkit.HorizontalFlip(p=0.5),
    "VerticalFlip": lambda: augkit.VerticalFlip(p=0.5),
    "RandomCrop(padding)": lambda: augkit.RandomCrop((200, 256), padding=20, mask_fill=255),
    "CenterCrop": lambda: augkit.CenterCrop((180, 300)),
    "CenterCrop(larger)": lambda: augkit.CenterCrop((250, 330)),
    "RandomApply(HorizontalFlip)": lambda: augkit.RandomApply(augkit.HorizontalFlip(p=1.0), p=0.5),
    "Compose(flips, crop)": lambda: augkit.Compose([augkit.HorizontalFlip(), augkit.VerticalFlip(), augkit.RandomCrop(224)]),
}


@pytest.mark.parametrize("name", sorted(BATCH_STAGE_TRANSFORMS))
def test_batch_stage_matches_torchvision(name, sample_images):
    batch, samples = batch_of(sample_images["china.jpg"])
    transform = BATCH_STAGE_TRANSFORMS[name]()
    for epoch in range(3):
        out, params = transform.run(batch, SampleStreams(0, epoch, batch.keys.numpy()))
        assert out.masks.shape == (batch.size, *out.images.shape[-2:])
        for i, sample in enumerate(samples):
            row = augkit.Sample(out.images[i], mask=out.masks[i], boxes=out.boxes[i], keypoints=out.keypoints[i])
            differences(row, replay(transform, params_at(params, i), to_tv(sample)))
            # The batch row equals the sample stage with the same parameters (image and targets).
            alone = transform.apply(sample, params_at(params, i))
            np.testing.assert_array_equal(out.images[i].permute(1, 2, 0).numpy(), alone.image)


def test_flip_decisions_are_per_sample_in_the_batch_stage(sample_images):
    batch, _ = batch_of(sample_images["china.jpg"], size=8)
    out, params = augkit.HorizontalFlip(p=0.5).run(batch, SampleStreams(0, 0, batch.keys.numpy()))
    flipped = np.asarray(params.applied)
    assert flipped.any() and not flipped.all()
    for i in range(batch.size):
        expected = batch.masks[i].flip(-1) if flipped[i] else batch.masks[i]
        assert torch.equal(out.masks[i], expected)


@pytest.mark.parametrize(
    "pipeline",
    [
        lambda: augkit.Compose([augkit.RandomResizedCrop(224), augkit.HorizontalFlip()]),
        lambda: augkit.Compose([augkit.RandomScale(256, 480), augkit.RandomCrop(224), augkit.VerticalFlip()]),
        lambda: augkit.Compose([augkit.Resize(shorter=256), augkit.CenterCrop(224)]),
        lambda: augkit.Compose([augkit.RandomCrop(200, padding=30, mask_fill=255), augkit.Resize(size=(100, 120))]),
    ],
)
def test_windowed_jpeg_gives_the_decoded_images_targets(pipeline, sample_images):
    path = next(p for p in sample_paths() if p.name == "china.jpg")
    encoded = augkit.open_image(path)
    if not isinstance(encoded, augkit.encoded.EncodedJpeg):
        pytest.skip("windowed decoding needs augkit's compiled JPEG module")
    decoded = synthetic_targets(encoded.height, encoded.width, seed=3).replace(image=sample_images["china.jpg"])
    transform = pipeline()
    for seed in range(3):
        a, pa = transform.run(decoded, np.random.default_rng(seed))
        b, pb = transform.run(decoded.replace(image=encoded), np.random.default_rng(seed))
        c = transform.apply(decoded.replace(image=encoded), pa)
        assert repr(pa) == repr(pb)
        for out in (b, c):
            np.testing.assert_array_equal(out.image, a.image)
            np.testing.assert_array_equal(out.mask, a.mask)
            np.testing.assert_array_equal(out.boxes.xyxy, a.boxes.xyxy)
            np.testing.assert_array_equal(out.boxes.labels, a.boxes.labels)
            np.testing.assert_array_equal(out.keypoints.xy, a.keypoints.xy)
            np.testing.assert_array_equal(out.keypoints.visibility(), a.keypoints.visibility())
        differences(a, replay(transform, pa, to_tv(decoded)))


def five_windows(height: int, width: int, size) -> list:
    """torchvision's ``five_crop`` as ops (TL, TR, BL, BR, center) on any tv_tensor."""
    h, w = size
    corners = [(0, 0), (0, width - w), (height - h, 0), (height - h, width - w)]
    return [lambda x, top=top, left=left: F.crop(x, top, left, h, w) for top, left in corners] + [lambda x: F.center_crop(x, [h, w])]


def view_ops(views, height: int, width: int) -> list[list]:
    """Each view of ``views`` as the chain of torchvision ops that makes it (``ten_crop``: five crops, then five of the flipped image)."""
    if isinstance(views, augkit.MultiScaleTenCrop):
        chains = []
        for scale in views.scales:
            size = list(G.shorter_side_size(height, width, scale))
            chains += [[lambda x, size=size: F.resize(x, size), *ops] for ops in view_ops(augkit.TenCrop(views.size, views.flip), *size)]
        return chains
    head = []
    padded = [max(height, views.size[0]), max(width, views.size[1])]
    if padded != [height, width]:  # torchvision's five_crop refuses small images; augkit pads them as CenterCrop does
        window = augkit.CenterCrop(padded).window(height, width)
        head = [lambda x: crop_tv(x, window.top, window.left, window.height, window.width, views.mask_fill)]
    chains = [[*head, crop] for crop in five_windows(*padded, views.size)]
    if isinstance(views, augkit.TenCrop):
        flip = F.horizontal_flip if views.flip == "horizontal" else F.vertical_flip
        chains += [[*head, flip, crop] for crop in five_windows(*padded, views.size)]
    return chains


@pytest.mark.parametrize(
    "make",
    [
        lambda: augkit.FiveCrop((200, 300)),
        lambda: augkit.TenCrop(224),
        lambda: augkit.TenCrop((150, 100), flip="vertical"),
        lambda: augkit.FiveCrop((500, 700), mask_fill=255),
        lambda: augkit.TenCrop((320, 600), mask_fill=255),
        lambda: augkit.MultiScaleTenCrop(scales=(256, 160), size=224),
    ],
)
def test_views_of_a_sample_match_torchvision(make, photo_sample):
    views = make()
    batch = views(photo_sample.replace(label=3, key="a"))
    assert isinstance(batch, augkit.Batch)
    count = batch.size
    assert torch.equal(batch.images, views(photo_sample.image))
    assert batch.labels.tolist() == [3] * count and batch.keys == ["a"] * count
    assert batch.masks.shape == (count, *views.size) and len(batch.boxes) == len(batch.keypoints) == count
    height, width = photo_sample.image.shape[:2]
    if not isinstance(views, augkit.MultiScaleTenCrop) and height >= views.size[0] and width >= views.size[1]:
        image = torch.from_numpy(photo_sample.image.copy()).permute(2, 0, 1)
        if isinstance(views, augkit.TenCrop):
            expected_images = F.ten_crop(image, list(views.size), vertical_flip=views.flip == "vertical")
        else:
            expected_images = F.five_crop(image, list(views.size))
        assert torch.equal(batch.images, torch.stack(list(expected_images)))
    chains = view_ops(views, height, width)
    assert len(chains) == count
    for i, chain in enumerate(chains):
        state = to_tv(photo_sample)
        for op in chain:
            state = step(state, op)
        differences(augkit.Sample(batch.images[i], mask=batch.masks[i], boxes=batch.boxes[i], keypoints=batch.keypoints[i]), state)


def test_torchvision_wrapper_moves_targets_as_torchvision(photo_sample):
    v2 = pytest.importorskip("torchvision.transforms.v2")
    wrapped = v2.Compose([v2.RandomResizedCrop(200, antialias=True), v2.RandomHorizontalFlip(), v2.RandomCrop(180, padding=7)])
    transform = augkit.TorchVision(wrapped)
    for seed in range(3):
        out, params = transform.run(photo_sample, np.random.default_rng(seed))
        np.testing.assert_array_equal(out.image, transform.apply(photo_sample.image, params))
        targets = to_tv(photo_sample)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(params.seed)
            image, mask, boxes, points = wrapped(
                tv_tensors.Image(torch.from_numpy(photo_sample.image.copy()).permute(2, 0, 1)), *targets[:3]
            )
        height, width = mask.shape[-2:]
        inside = (points[..., 0] >= 0) & (points[..., 0] < width) & (points[..., 1] >= 0) & (points[..., 1] < height)
        differences(out, (mask, boxes, points, targets[3] & inside.as_subclass(torch.Tensor)))
