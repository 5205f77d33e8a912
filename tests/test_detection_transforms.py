"""The SSD transforms and the segmentation / detection presets against torchvision v2 (tv_tensors).

Differential tests replay augkit's drawn parameters through torchvision's functional ops on
the bundled photos with synthetic masks, boxes and keypoints. Tolerances, per op:

* images: exact (uint8, CPU) for crops, pads, flips, channel permutations and the colour ops
  (augkit repeats torchvision's float32 arithmetic); the antialiased resize of the
  segmentation preset within 1 level; float images within 1e-5;
* masks: exact; boxes and keypoints: within 1e-3 px.

Parameter draws are compared with torchvision's ``make_params`` in distribution
(Kolmogorov-Smirnov statistic on fixed seeds, as for ``RandomResizedCrop``).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from detseg_data import synthetic_boxes, synthetic_labels

import augkit
from augkit import presets
from augkit.transforms.base import params_at

T = pytest.importorskip("torchvision.transforms.v2")
F = pytest.importorskip("torchvision.transforms.v2.functional")
tv_tensors = pytest.importorskip("torchvision.tv_tensors")

BOX_TOL = 1e-3
KEYPOINT_TOL = 1e-3
PHOTOS = ("chelsea.png", "china.jpg", "coffee.png")


def chw(image: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).contiguous()


def hwc(tensor: torch.Tensor) -> np.ndarray:
    return tensor.permute(1, 2, 0).numpy()


def targets_for(image: np.ndarray, seed: int) -> augkit.Sample:
    height, width = image.shape[:2]
    keypoints = np.random.default_rng(seed).uniform(0, [width, height], (4, 3, 2)).astype(np.float32)
    return augkit.Sample(
        image, mask=synthetic_labels(height, width, 6, seed), boxes=synthetic_boxes(height, width, 6, seed), keypoints=keypoints
    )


def tv_targets(sample: augkit.Sample) -> dict:
    size = sample.image.shape[:2]
    return {
        "image": tv_tensors.Image(chw(sample.image)),
        "mask": tv_tensors.Mask(torch.from_numpy(np.ascontiguousarray(sample.mask))),
        "boxes": tv_tensors.BoundingBoxes(torch.from_numpy(np.asarray(sample.boxes.xyxy)), format="XYXY", canvas_size=size),
        "keypoints": tv_tensors.KeyPoints(torch.from_numpy(np.asarray(sample.keypoints.xy)), canvas_size=size),
    }


def assert_same_targets(ours: augkit.Sample, theirs: dict, keep=None) -> None:
    np.testing.assert_array_equal(ours.image if isinstance(ours.image, np.ndarray) else hwc(ours.image), hwc(theirs["image"]))
    np.testing.assert_array_equal(np.asarray(ours.mask), theirs["mask"].numpy())
    boxes = theirs["boxes"].as_subclass(torch.Tensor)
    if keep is not None:
        boxes = boxes[keep]
    assert len(ours.boxes) == len(boxes)
    assert np.abs(np.asarray(ours.boxes.xyxy) - boxes.numpy()).max(initial=0) <= BOX_TOL
    assert np.abs(np.asarray(ours.keypoints.xy) - theirs["keypoints"].numpy()).max(initial=0) <= KEYPOINT_TOL


def ks_statistic(a, b) -> float:
    a, b = np.sort(np.asarray(a, np.float64)), np.sort(np.asarray(b, np.float64))
    grid = np.concatenate([a, b])
    return float(np.abs(np.searchsorted(a, grid, side="right") / a.size - np.searchsorted(b, grid, side="right") / b.size).max())


def torchvision_params(transform, flat: list, n: int, seed: int) -> list[dict]:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return [transform.make_params(flat) for _ in range(n)]


# ----------------------------------------------------------------------------- RandomPhotometricDistort


def distort_with_torchvision(x: torch.Tensor, p) -> torch.Tensor:
    """torchvision's ``RandomPhotometricDistort.transform`` with augkit's parameters for one image."""
    neutral = {"brightness": 1.0, "contrast": 1.0, "saturation": 1.0, "hue": 0.0}
    value = {k: getattr(p, k) for k in neutral}
    value = {k: None if v is None or v == neutral[k] else float(v) for k, v in value.items()}
    if value["brightness"] is not None:
        x = F.adjust_brightness(x, value["brightness"])
    if value["contrast"] is not None and bool(p.contrast_before):
        x = F.adjust_contrast(x, value["contrast"])
    if value["saturation"] is not None:
        x = F.adjust_saturation(x, value["saturation"])
    if value["hue"] is not None:
        x = F.adjust_hue(x, value["hue"])
    if value["contrast"] is not None and not bool(p.contrast_before):
        x = F.adjust_contrast(x, value["contrast"])
    if p.permutation is not None:
        x = F.permute_channels(x, [int(i) for i in p.permutation])
    return x


@pytest.mark.parametrize("name", PHOTOS)
def test_photometric_distort_replays_torchvision(sample_images, name):
    image = sample_images[name][50:210, 60:260]
    distort = augkit.RandomPhotometricDistort(p=0.6)
    rng = np.random.default_rng(0)
    for _ in range(12):
        out, params = distort.run(image, rng)
        np.testing.assert_array_equal(out, hwc(distort_with_torchvision(chw(image), params)))
    floats = chw(image).float() / 255
    for _ in range(4):
        out, params = distort.run(floats, rng)
        torch.testing.assert_close(out, distort_with_torchvision(floats, params), atol=1e-5, rtol=0)


def test_photometric_distort_batch_rows_replay_torchvision(sample_images):
    image = sample_images["china.jpg"][:200, :240]
    batch = torch.stack([chw(np.roll(image, 17 * i, axis=1)) for i in range(8)])
    distort = augkit.RandomPhotometricDistort()
    out, params = distort.run(batch, np.random.default_rng(3))
    assert params.permutation.shape == (8, 3) and params.brightness.shape == (8,)
    for i in range(8):
        expected = distort_with_torchvision(batch[i], params_at(params, i))
        assert torch.equal(out[i], expected), i
        np.testing.assert_array_equal(distort.apply(hwc(batch[i]).copy(), params_at(params, i)), hwc(expected))


def test_photometric_distort_draws_like_torchvision():
    n, p = 4000, 0.5
    distort = augkit.RandomPhotometricDistort(p=p)
    ours = distort.sample(np.random.default_rng(1), torch.zeros(n, 3, 2, 2, dtype=torch.uint8))
    theirs = torchvision_params(T.RandomPhotometricDistort(p=p), [torch.zeros(3, 2, 2, dtype=torch.uint8)], n, 1)
    neutral = {"brightness": 1.0, "contrast": 1.0, "saturation": 1.0, "hue": 0.0}
    # binomial standard error at n = 4000 is 0.008: 0.03 is ~4 sigma
    for name, value in neutral.items():
        applied = getattr(ours, name) != value
        theirs_applied = np.array([d[f"{name}_factor"] is not None for d in theirs])
        assert abs(applied.mean() - theirs_applied.mean()) < 0.03, name
        theirs_values = [d[f"{name}_factor"] for d in theirs if d[f"{name}_factor"] is not None]
        assert ks_statistic(getattr(ours, name)[applied], theirs_values) < 0.05, name
    assert abs(ours.contrast_before.mean() - np.mean([d["contrast_before"] for d in theirs])) < 0.04
    # (an applied identity permutation is no permutation: compare the changed orders)
    permuted = (ours.permutation != np.arange(3)).any(axis=1)
    theirs_permuted = [d["channel_permutation"] for d in theirs if d["channel_permutation"] is not None]
    assert abs(permuted.mean() - np.mean([(q != torch.arange(3)).any().item() for q in theirs_permuted]) * len(theirs_permuted) / n) < 0.03
    # every permutation of 3 channels (the identity too) equally likely when applied
    codes = np.unique(ours.permutation @ np.array([9, 3, 1]), return_counts=True)[1]
    assert len(codes) == 6


# ----------------------------------------------------------------------------- RandomZoomOut


@pytest.mark.parametrize("name", PHOTOS)
def test_zoom_out_replays_torchvision_pad(sample_images, name):
    zoom = augkit.RandomZoomOut(fill=(123, 117, 104), p=1.0, mask_fill=0)
    rng = np.random.default_rng(2)
    for seed in range(6):
        sample = targets_for(sample_images[name], seed)
        out, params = zoom.run(sample, rng)
        q = params.params
        height, width = sample.image.shape[:2]
        padding = [q.left, q.top, q.width - width - q.left, q.height - height - q.top]
        theirs = {k: F.pad(v, padding, fill=[123, 117, 104] if k == "image" else 0) for k, v in tv_targets(sample).items()}
        assert_same_targets(out, theirs)


def test_zoom_out_draws_like_torchvision():
    n, height, width = 3000, 60, 90
    zoom = augkit.RandomZoomOut(side_range=(1.0, 4.0), p=1.0)
    image = np.zeros((height, width, 3), np.uint8)
    rng = np.random.default_rng(4)
    ours = [zoom.sample(rng, image).params for _ in range(n)]
    theirs = torchvision_params(T.RandomZoomOut(side_range=(1.0, 4.0)), [torch.zeros(3, height, width)], n, 4)
    ratio = [q.width / width for q in ours], [(d["padding"][0] + width + d["padding"][2]) / width for d in theirs]
    left = [q.left / max(q.width - width, 1) for q in ours], [d["padding"][0] / max(d["padding"][0] + d["padding"][2], 1) for d in theirs]
    for a, b in (ratio, left):
        assert ks_statistic(a, b) < 0.05


# ----------------------------------------------------------------------------- RandomIoUCrop


def iou_crop_with_torchvision(sample: augkit.Sample, window) -> tuple[dict, torch.Tensor]:
    top, left, height, width = window
    theirs = {k: F.crop(v, top, left, height, width) for k, v in tv_targets(sample).items()}
    xyxy = torch.from_numpy(np.asarray(sample.boxes.xyxy))
    cx, cy = 0.5 * (xyxy[:, 0] + xyxy[:, 2]), 0.5 * (xyxy[:, 1] + xyxy[:, 3])
    within = (left < cx) & (cx < left + width) & (top < cy) & (cy < top + height)
    return theirs, within


@pytest.mark.parametrize("name", PHOTOS)
def test_iou_crop_replays_torchvision_crop(sample_images, name):
    crop = augkit.RandomIoUCrop()
    rng = np.random.default_rng(5)
    cropped = 0
    for seed in range(10):
        sample = targets_for(sample_images[name], seed)
        out, params = crop.run(sample, rng)
        if params.window is None:
            assert out.image is sample.image and out.boxes is sample.boxes
            continue
        cropped += 1
        theirs, within = iou_crop_with_torchvision(sample, params.window)
        assert_same_targets(out, theirs, keep=within)
        assert out.boxes.labels.tolist() == np.asarray(sample.boxes.labels)[within.numpy()].tolist()
    assert cropped >= 5


def test_iou_crop_windows_keep_the_constraints(sample_images):
    crop = augkit.RandomIoUCrop(min_scale=0.3, max_scale=0.9, min_aspect_ratio=0.6, max_aspect_ratio=1.8)
    image = sample_images["coffee.png"]
    height, width = image.shape[:2]
    rng = np.random.default_rng(6)
    for seed in range(200):
        sample = augkit.Sample(image, boxes=synthetic_boxes(height, width, 3, seed))
        params = crop.sample(rng, sample)
        if params.window is None:
            assert params.min_iou == 1.0
            continue
        top, left, h, w = params.window
        assert 0 <= top and top + h <= height and 0 <= left and left + w <= width
        assert int(0.3 * width) <= w <= int(0.9 * width) + 1 and int(0.3 * height) <= h <= int(0.9 * height) + 1
        assert 0.6 <= w / h <= 1.8
        xyxy = np.asarray(sample.boxes.xyxy, np.float64)
        cx, cy = (xyxy[:, 0] + xyxy[:, 2]) / 2, (xyxy[:, 1] + xyxy[:, 3]) / 2
        inside = (left < cx) & (cx < left + w) & (top < cy) & (cy < top + h)
        assert inside.any()
        b = xyxy[inside]
        inter = np.clip(np.minimum(b[:, 2], left + w) - np.maximum(b[:, 0], left), 0, None) * np.clip(
            np.minimum(b[:, 3], top + h) - np.maximum(b[:, 1], top), 0, None
        )
        iou = inter / ((b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]) + w * h - inter)
        assert iou.max() >= params.min_iou - 1e-6


def test_iou_crop_draws_like_torchvision():
    n, height, width = 600, 120, 160
    boxes = synthetic_boxes(height, width, 4, 11)
    image = np.zeros((height, width, 3), np.uint8)
    crop = augkit.RandomIoUCrop()
    rng = np.random.default_rng(8)
    ours = [crop.sample(rng, augkit.Sample(image, boxes=boxes)) for _ in range(n)]
    flat = [
        tv_tensors.Image(torch.zeros(3, height, width, dtype=torch.uint8)),
        tv_tensors.BoundingBoxes(torch.from_numpy(np.asarray(boxes.xyxy)), format="XYXY", canvas_size=(height, width)),
    ]
    theirs = torchvision_params(T.RandomIoUCrop(), flat, n, 8)
    kept_ours = np.mean([p.window is None for p in ours])
    kept_theirs = np.mean([len(d) == 0 for d in theirs])
    # n = 600: the binomial standard error of the difference is about 0.02; fixed seeds (measured: <= 0.025)
    assert abs(kept_ours - kept_theirs) < 0.06
    windows_ours = np.array([p.window for p in ours if p.window is not None], np.float64)
    windows_theirs = np.array([[d["top"], d["left"], d["height"], d["width"]] for d in theirs if d], np.float64)
    for column in range(4):
        # KS critical value at alpha = 0.001 for ~500 windows each: 1.95 * sqrt(2 / 500) = 0.12 (measured: <= 0.09)
        assert ks_statistic(windows_ours[:, column], windows_theirs[:, column]) < 0.12, column


def test_iou_crop_needs_boxes_and_keeps_a_sample_without_any():
    crop = augkit.RandomIoUCrop()
    image = np.zeros((20, 30, 3), np.uint8)
    with pytest.raises(TypeError, match="call it on an augkit.Sample with boxes"):
        crop(image, rng=0)
    with pytest.raises(TypeError, match="without boxes"):
        crop(augkit.Sample(image), rng=0)
    empty = augkit.Sample(image, boxes=np.zeros((0, 4)))
    assert crop(empty, rng=0).image is image
    pipeline = augkit.Compose([augkit.RandomIoUCrop(sampler_options=[0.0]), augkit.ToTensor()])
    out = pipeline(augkit.Sample(image, boxes=[[2, 2, 12, 12]]), rng=1)
    assert out.image.shape[1] < 20 or out.image.shape[2] < 30


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: augkit.RandomIoUCrop(min_scale=0.8, max_scale=0.5), "min_scale"),
        (lambda: augkit.RandomIoUCrop(min_aspect_ratio=0.0), "min_aspect_ratio"),
        (lambda: augkit.RandomIoUCrop(sampler_options=[]), "sampler_options"),
        (lambda: augkit.RandomIoUCrop(sampler_options=[-0.1]), "sampler_options"),
        (lambda: augkit.RandomIoUCrop(trials=0), "trials"),
        (lambda: augkit.RandomZoomOut(side_range=(0.5, 2.0)), "side_range"),
        (lambda: augkit.RandomZoomOut(fill=300), "fill"),
        (lambda: augkit.RandomZoomOut(p=1.5), "p"),
        (lambda: augkit.RandomPhotometricDistort(hue=(-0.6, 0.1)), "hue"),
        (lambda: augkit.RandomPhotometricDistort(contrast=(1.5, 0.5)), "contrast"),
        (lambda: augkit.PadIfSmaller(0), "size"),
        (lambda: augkit.PadIfSmaller(8, mask_fill=-1), "mask_fill"),
    ],
)
def test_arguments_are_validated(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


def test_zoom_out_fill_must_match_the_channels():
    with pytest.raises(ValueError, match="3 fill values for an image with 1 channels"):
        augkit.RandomZoomOut(fill=(1, 2, 3), p=1.0)(np.zeros((4, 4, 1), np.uint8), rng=0)


# ----------------------------------------------------------------------------- PadIfSmaller and the presets


def test_pad_if_smaller_equals_torchvision_reference_padding(sample_images):
    sample = targets_for(sample_images["chelsea.png"], 1)
    out = augkit.PadIfSmaller((480, 400), fill=0, mask_fill=255)(sample)
    height, width = sample.image.shape[:2]
    padding = [0, 0, max(400 - width, 0), max(480 - height, 0)]
    theirs = {k: F.pad(v, padding, fill=255 if k == "mask" else 0) for k, v in tv_targets(sample).items()}
    assert out.image.shape[:2] == (480, 451)
    assert_same_targets(out, theirs)


@pytest.mark.parametrize("name", PHOTOS)
def test_segmentation_preset_replays_torchvision_reference(sample_images, name):
    """The reference chain (RandomResize, flip, PadIfSmaller, RandomCrop) with augkit's parameters.

    augkit cuts the window before flipping: the reference's window is then the mirrored one.
    """
    sample_stage, _ = presets.segmentation_train(base_size=260, crop_size=240)
    image = sample_images[name]
    mask = synthetic_labels(*image.shape[:2], 8, 3)
    rng = np.random.default_rng(7)
    padded = 0
    for _ in range(8):
        out, params = sample_stage.run(augkit.Sample(image, mask=mask), rng)
        scale, crop, flip, _, _ = params.params
        x, m = tv_tensors.Image(chw(image)), tv_tensors.Mask(torch.from_numpy(mask))
        x, m = F.resize(x, [scale.shorter], antialias=True), F.resize(m, [scale.shorter])
        height, width = x.shape[-2:]
        left = width - crop.width - crop.left if flip.applied else crop.left
        if flip.applied:
            x, m = F.horizontal_flip(x), F.horizontal_flip(m)
        padding = [0, 0, max(240 - width, 0), max(240 - height, 0)]
        padded += any(padding)
        x, m = F.pad(x, padding, fill=0), F.pad(m, padding, fill=255)
        x, m = F.crop(x, crop.top, left, 240, 240), F.crop(m, crop.top, left, 240, 240)
        assert torch.equal(out.mask, m.as_subclass(torch.Tensor))
        assert (out.image.int() - x.int()).abs().max() <= 1  # the fused resize-crop: rounding of rare pixels
        assert 130 <= scale.shorter < 520
    assert padded  # some draws needed the padding


def test_crop_then_flip_then_pad_has_the_reference_distribution():
    """RandomCropUpTo, flip, PadIfSmaller: the window, in the flipped frame, is uniform as RandomCrop's; padding stays at the right."""
    steps = augkit.Compose([augkit.RandomCropUpTo(64), augkit.HorizontalFlip(), augkit.PadIfSmaller(64, fill=9)])
    rng = np.random.default_rng(0)
    image = np.zeros((80, 100, 3), np.uint8)
    lefts = []
    for _ in range(3700):
        crop, flip, _ = steps.run(image, rng)[1].params
        lefts.append(100 - 64 - crop.left if flip.applied else crop.left)
    counts = np.bincount(lefts, minlength=37)
    assert counts.size == 37  # offsets 0..36, as RandomCrop(64) on a width of 100
    assert np.abs(counts - 100).max() < 5 * np.sqrt(100)  # uniform: 100 each, within 5 sigma
    narrow = np.arange(50, dtype=np.uint8)[None, :, None].repeat(70, 0).repeat(3, 2)
    for seed in range(8):
        out, params = steps.run(narrow, np.random.default_rng(seed))
        crop, flip, _ = params.params
        assert crop.width == 50 and out.shape == (64, 64, 3)
        assert (out[:, 50:] == 9).all() and (out[:, :50] == (narrow[:64, ::-1] if flip.applied else narrow[:64])).all()


@pytest.mark.parametrize("policy", ["ssd", "ssdlite", "hflip"])
def test_detection_preset_replays_torchvision_reference(sample_images, policy):
    sample_stage, batch_stage = presets.detection_train(data_augmentation=policy)
    rng = np.random.default_rng(9)
    for seed in range(6):
        sample = targets_for(sample_images[PHOTOS[seed % 3]], seed)
        out, params = sample_stage.run(sample, rng)
        theirs, keep = tv_targets(sample), torch.ones(len(sample.boxes), dtype=torch.bool)
        for step, p in zip(sample_stage.transforms, params.params):
            kind = type(step).__name__
            if kind == "RandomPhotometricDistort":
                theirs["image"] = distort_with_torchvision(theirs["image"], p)
            elif kind == "RandomZoomOut" and p.applied:
                q, (height, width) = p.params, theirs["image"].shape[-2:]
                padding = [q.left, q.top, q.width - width - q.left, q.height - height - q.top]
                theirs = {k: F.pad(v, padding, fill=list(presets.SSD_FILL) if k == "image" else 0) for k, v in theirs.items()}
            elif kind == "RandomIoUCrop" and p.window is not None:
                top, left, height, width = p.window
                xyxy = theirs["boxes"].as_subclass(torch.Tensor)
                cx, cy = 0.5 * (xyxy[:, 0] + xyxy[:, 2]), 0.5 * (xyxy[:, 1] + xyxy[:, 3])
                keep = keep & (left < cx) & (cx < left + width) & (top < cy) & (cy < top + height)
                theirs = {k: F.crop(v, top, left, height, width) for k, v in theirs.items()}
            elif kind == "HorizontalFlip" and p.applied:
                theirs = {k: F.horizontal_flip(v) for k, v in theirs.items()}
        # the mask stays a mask; torchvision marks dropped boxes (keep), augkit removes them
        assert_same_targets(out, theirs, keep=keep)
        assert out.boxes.labels.tolist() == np.asarray(sample.boxes.labels)[keep.numpy()].tolist()
    floats = batch_stage(out.image[None])
    torch.testing.assert_close(floats, F.to_dtype(out.image[None], torch.float32, scale=True), atol=1e-6, rtol=0)


def test_detection_preset_fixed_size_and_fill_from_stats():
    class Stats:
        mean = np.array([0.2, 0.4, 0.6])
        std = np.array([0.2, 0.2, 0.2])

    sample_stage, batch_stage = presets.detection_train(Stats(), data_augmentation="ssd", size=(64, 80))
    zoom = sample_stage.transforms[1]
    assert zoom.fill == (51, 102, 153) and batch_stage.mean == pytest.approx((0.2, 0.4, 0.6))
    out = sample_stage(augkit.Sample(np.zeros((50, 70, 3), np.uint8), boxes=[[5, 5, 40, 30]]), rng=0)
    assert tuple(out.image.shape) == (3, 64, 80)
    with pytest.raises(ValueError, match="data_augmentation"):
        presets.detection_train(data_augmentation="lsj")
