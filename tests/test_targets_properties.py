"""Invariants of targets under random geometric pipelines (hypothesis), and the target contract of every table row.

* a mask drawn from a box stays inside the transformed box (every mask pixel's square meets it),
  through crops, flips and one resize;
* label values of a mask after any pipeline are a subset of the input's (and the crops' ``mask_fill``);
* boxes stay inside the image with a positive area, in order, with their labels;
* flipping twice is the identity on every target, in both stages;
* every transform of ``transform_table.TABLE`` handles each target kind (and its targets then
  follow its image) or refuses it with ``augkit.UnsupportedTargetError``.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from strategies import boxes_in, keypoints_in, label_masks, seeds
from transform_table import TABLE

import augkit
from augkit.rng import SampleStreams

#: Float32 slack of box and keypoint coordinates after chains of scalings, in pixels.
ATOL = 1e-3

sizes = st.tuples(st.integers(1, 40), st.integers(1, 40))


@st.composite
def geometric_transforms(draw):
    """One geometric transform with drawn arguments."""
    side = st.integers(1, 48)
    kind = draw(st.sampled_from(["resize", "shorter", "scale", "crop", "center", "rrc", "hflip", "vflip"]))
    if kind == "resize":
        return augkit.Resize(size=(draw(side), draw(side)))
    if kind == "shorter":
        return augkit.Resize(shorter=draw(side))
    if kind == "scale":
        low = draw(side)
        return augkit.RandomScale(low, low + draw(st.integers(0, 20)))
    if kind == "crop":
        padding = draw(st.one_of(st.integers(0, 6), st.tuples(*[st.integers(0, 6)] * 4)))
        return augkit.RandomCrop((draw(side), draw(side)), padding=padding, mask_fill=draw(st.sampled_from([0, 255])))
    if kind == "center":
        return augkit.CenterCrop((draw(side), draw(side)), mask_fill=draw(st.sampled_from([0, 255])))
    if kind == "rrc":
        return augkit.RandomResizedCrop((draw(side), draw(side)), scale=(0.05, 1.0))
    p = draw(st.sampled_from([0.0, 0.5, 1.0]))
    return augkit.HorizontalFlip(p=p) if kind == "hflip" else augkit.VerticalFlip(p=p)


pipelines = st.lists(geometric_transforms(), min_size=1, max_size=4).map(augkit.Compose)


def image_of(size: tuple[int, int]) -> np.ndarray:
    return np.random.default_rng(size[0] * 100 + size[1]).integers(0, 256, (*size, 3), dtype=np.uint8)


def mask_fills(pipeline: augkit.Compose) -> set[int]:
    return {t.mask_fill for t in pipeline.transforms if hasattr(t, "mask_fill")}


@given(size=sizes, data=st.data(), pipeline=pipelines, seed=seeds)
def test_a_mask_drawn_from_a_box_stays_inside_the_transformed_box(size, data, pipeline, seed):
    box = data.draw(boxes_in(*size, max_boxes=1, integer=True).filter(len))
    x1, y1, x2, y2 = box[0].astype(int)
    mask = np.zeros(size, np.uint8)
    mask[y1:y2, x1:x2] = 1
    # One resampling step at most: each nearest-neighbour resize may spill a mask by up to one of its source
    # pixels past the box, and a later resize would scale that spill up (torchvision's masks do the same).
    resizes = [t for t in pipeline.transforms if isinstance(t, (augkit.Resize, augkit.RandomScale, augkit.RandomResizedCrop))]
    kept = [t for t in pipeline.transforms if t not in resizes[1:]]
    pipeline = augkit.Compose([*kept, augkit.HorizontalFlip()])
    out = pipeline(augkit.Sample(image_of(size), mask=mask, boxes=augkit.Boxes(box, labels=[1])), rng=seed)
    rows, cols = np.nonzero(out.mask == 1)  # (padding may add mask_fill pixels)
    if len(out.boxes) == 0:
        assert rows.size == 0, "the box was dropped but its mask is still there"
        return
    bx1, by1, bx2, by2 = out.boxes.xyxy[0]
    # Pixel (r, c) covers [c, c + 1) x [r, r + 1): it must meet the box.
    assert np.all(cols > bx1 - 1 - ATOL) and np.all(cols < bx2 + ATOL), (cols.min(), cols.max(), out.boxes.xyxy)
    assert np.all(rows > by1 - 1 - ATOL) and np.all(rows < by2 + ATOL), (rows.min(), rows.max(), out.boxes.xyxy)


@given(size=sizes, data=st.data(), pipeline=pipelines, seed=seeds, stacked=st.booleans())
def test_mask_labels_are_never_invented(size, data, pipeline, seed, stacked):
    mask = data.draw(label_masks(*size))
    if stacked:
        mask = np.stack([mask, np.where(mask == mask[0, 0], 1, 0).astype(np.uint8)], axis=-1)
    out = pipeline(augkit.Sample(image_of(size), mask=mask), rng=seed)
    assert out.mask.shape[:2] == out.image.shape[:2] and out.mask.dtype == mask.dtype
    allowed = set(np.unique(mask).tolist()) | mask_fills(pipeline)
    assert set(np.unique(out.mask).tolist()) <= allowed


@given(size=sizes, data=st.data(), pipeline=pipelines, seed=seeds)
def test_boxes_stay_inside_the_image_with_their_labels(size, data, pipeline, seed):
    xyxy = data.draw(boxes_in(*size))
    points, visible = data.draw(keypoints_in(*size))
    sample = augkit.Sample(
        image_of(size), boxes=augkit.Boxes(xyxy, labels=np.arange(len(xyxy))), keypoints=augkit.Keypoints(points, visible)
    )
    out = pipeline(sample, rng=seed)
    height, width = out.image.shape[:2]
    x1, y1, x2, y2 = out.boxes.xyxy.T
    assert np.all((0 <= x1) & (x1 < x2) & (x2 <= width)) and np.all((0 <= y1) & (y1 < y2) & (y2 <= height)), out.boxes.xyxy
    labels = out.boxes.labels.tolist()
    assert labels == sorted(set(labels)) and set(labels) <= set(range(len(xyxy)))
    # Keypoints are never dropped; the visible ones are inside the image.
    assert out.keypoints.xy.shape == points.shape
    shown = out.keypoints.xy[out.keypoints.visibility()]
    assert np.all((shown >= 0) & (shown < [width, height]))
    assert not np.any(out.keypoints.visibility() & ~visible)


@given(size=sizes, data=st.data(), horizontal=st.booleans())
def test_flipping_twice_is_the_identity_on_every_target(size, data, horizontal):
    mask = data.draw(label_masks(*size))
    xyxy = data.draw(boxes_in(*size))
    points, visible = data.draw(keypoints_in(*size))
    flip = augkit.HorizontalFlip(p=1.0) if horizontal else augkit.VerticalFlip(p=1.0)
    sample = augkit.Sample(
        image_of(size), mask=mask, boxes=augkit.Boxes(xyxy, np.arange(len(xyxy))), keypoints=augkit.Keypoints(points, visible)
    )
    twice = flip(flip(sample))
    np.testing.assert_array_equal(twice.image, sample.image)
    np.testing.assert_array_equal(twice.mask, mask)
    np.testing.assert_allclose(twice.boxes.xyxy, xyxy, atol=ATOL)
    np.testing.assert_array_equal(twice.boxes.labels, np.arange(len(xyxy)))
    np.testing.assert_allclose(twice.keypoints.xy, points, atol=ATOL)
    np.testing.assert_array_equal(twice.keypoints.visibility(), visible)
    # The batch stage: each row flipped by its own decision, twice with the same decisions.
    batch = augkit.Batch(
        torch.from_numpy(np.stack([sample.image] * 3)).permute(0, 3, 1, 2).contiguous(),
        torch.arange(3),
        torch.from_numpy(np.stack([mask] * 3)),
        [sample.boxes.to("cpu")] * 3,
        [sample.keypoints.to("cpu")] * 3,
    )
    random_flip = type(flip)(p=0.5)
    once, params = random_flip.run(batch, SampleStreams(0, 0, [0, 1, 2]))
    back = random_flip.apply(once, params)
    assert torch.equal(back.images, batch.images) and torch.equal(back.masks, batch.masks)
    for row in range(3):
        np.testing.assert_allclose(back.boxes[row].xyxy.numpy(), xyxy, atol=ATOL)
        np.testing.assert_allclose(back.keypoints[row].xy.numpy(), points, atol=ATOL)
        np.testing.assert_array_equal(back.keypoints[row].visibility().numpy(), visible)


def test_a_flip_hides_a_keypoint_it_moves_out_of_the_image():
    """Pixel-index keypoints map ``x -> W - 1 - x``: one in the last pixel's far half (W - 1 < x < W) leaves the image."""
    out = augkit.HorizontalFlip(p=1.0)(augkit.Sample(np.zeros((2, 4, 3), np.uint8), keypoints=[[3.5, 0.0], [3.0, 1.0]]))
    np.testing.assert_array_equal(out.keypoints.xy, [[-0.5, 0.0], [0.0, 1.0]])
    assert out.keypoints.visibility().tolist() == [False, True]


# ---------------------------------------------------------------------------------- the table


#: A 120 x 160 probe: asymmetric regions of distinct colours, the mask their labels, a tight box and a centre keypoint each.
REGIONS = {3: ((8, 52), (10, 74), (220, 50, 50)), 7: ((60, 112), (88, 152), (50, 220, 50)), 12: ((12, 48), (104, 140), (50, 50, 220))}


def probe() -> augkit.Sample:
    image = np.full((120, 160, 3), 120, np.uint8)
    mask = np.zeros((120, 160), np.uint8)
    boxes, centres = [], []
    for label, ((top, bottom), (left, right), colour) in REGIONS.items():
        image[top:bottom, left:right] = colour
        mask[top:bottom, left:right] = label
        boxes.append([left, top, right, bottom])
        centres.append([(left + right - 1) / 2, (top + bottom - 1) / 2])
    return augkit.Sample(
        image, mask=mask, boxes=augkit.Boxes(np.array(boxes, np.float32), list(REGIONS)), keypoints=np.array(centres, np.float32)
    )


def probe_batch(kind: str) -> augkit.Batch:
    one = probe()
    images = torch.from_numpy(np.stack([one.image] * 6)).permute(0, 3, 1, 2).float() / 255
    masks = torch.from_numpy(np.stack([one.mask] * 6)) if kind == "mask" else None
    boxes = [one.boxes] * 6 if kind == "boxes" else None
    points = [one.keypoints] * 6 if kind == "keypoints" else None
    return augkit.Batch(images, torch.arange(6) % 5, masks, boxes, points)


def rows_of(out) -> list[augkit.Sample]:
    """The output as samples with HWC float images (one per view or batch row)."""
    if isinstance(out, augkit.Batch):
        return [
            augkit.Sample(
                out.images[i].permute(1, 2, 0).float().numpy(),
                mask=None if out.masks is None else out.masks[i].numpy(),
                boxes=None if out.boxes is None else out.boxes[i],
                keypoints=None if out.keypoints is None else out.keypoints[i],
            )
            for i in range(out.size)
        ]
    image = out.image.permute(1, 2, 0).numpy() if isinstance(out.image, torch.Tensor) else out.image
    mask = out.mask.numpy() if isinstance(out.mask, torch.Tensor) else out.mask
    return [out.replace(image=np.asarray(image, np.float64), mask=mask)]


def interior(mask: np.ndarray, label: int, margin: int = 2) -> np.ndarray:
    """Pixels of ``label`` whose whole ``(2 margin + 1)`` square neighbourhood has that label."""
    inside = np.pad(mask == label, margin, constant_values=False)
    height, width = mask.shape
    keep = np.ones((height, width), bool)
    for dy in range(2 * margin + 1):
        for dx in range(2 * margin + 1):
            keep &= inside[dy : dy + height, dx : dx + width]
    return keep


def check_mask_follows_image(row: augkit.Sample, background: bool = True) -> None:
    """Each label's interior has one colour, and different labels have different colours (any photometric change allowed).

    ``background=False`` leaves label 0 out (a warp fills the area it uncovers: image fill, mask 0).
    """
    image, mask = np.asarray(row.image, np.float64), np.asarray(row.mask)
    assert mask.shape == image.shape[:2], f"mask {mask.shape} for an image of {image.shape[:2]}"
    assert set(np.unique(mask).tolist()) <= {0, *REGIONS}
    spread = max(float(image.max() - image.min()), 1e-6)
    medians = {}
    for label in ((0,) if background else ()) + tuple(REGIONS):
        pixels = image[interior(mask, label)]
        if len(pixels) < 12:
            continue
        median = np.median(pixels, axis=0)
        near = np.abs(pixels - median).max(axis=1) <= 0.05 * spread
        assert near.mean() >= 0.8, (
            f"label {label}: only {near.mean():.0%} of its pixels have its colour: the mask does not follow the image"
        )
        medians[label] = median
    for a in medians:
        for b in medians:
            if a < b:
                assert np.abs(medians[a] - medians[b]).max() > 0.1 * spread, f"labels {a} and {b} cover the same colour"


def check_boxes_follow_mask(boxes: augkit.Boxes, mask_row: augkit.Sample) -> None:
    """Boxes of the probe's regions bound the same transform's mask regions (a pixel's square meets the box)."""
    height, width = mask_row.mask.shape
    xyxy = np.asarray(torch.as_tensor(boxes.xyxy).cpu())
    assert np.all((xyxy[:, 0] >= 0) & (xyxy[:, 2] <= width) & (xyxy[:, 1] >= 0) & (xyxy[:, 3] <= height))
    for (x1, y1, x2, y2), label in zip(xyxy, np.asarray(boxes.labels).tolist()):
        rows, cols = np.nonzero(np.asarray(mask_row.mask) == label)
        if not rows.size:  # a sliver of a box may hold no whole mask pixel
            assert min(x2 - x1, y2 - y1) < 1 + ATOL, f"box of label {label} kept, but the mask has no such label"
            continue
        assert cols.min() > x1 - 1 - ATOL and cols.max() < x2 + ATOL and rows.min() > y1 - 1 - ATOL and rows.max() < y2 + ATOL
    present = set(np.unique(mask_row.mask).tolist()) - {0}
    assert present <= set(np.asarray(boxes.labels).tolist()), "a region is in the mask but its box was dropped"


def check_keypoints_follow_mask(points: augkit.Keypoints, mask_row: augkit.Sample) -> None:
    """A visible keypoint (a region's centre) lies on that region's label in the same transform's mask."""
    mask = np.asarray(mask_row.mask)
    xy = np.asarray(torch.as_tensor(points.xy).cpu())
    visible = np.asarray(torch.as_tensor(points.visibility()).cpu())
    assert xy.shape == (len(REGIONS), 2)
    for (x, y), shown, label in zip(xy, visible, REGIONS):
        inside = 0 <= x < mask.shape[1] and 0 <= y < mask.shape[0]
        assert shown == inside
        if shown:
            window = mask[max(int(y) - 1, 0) : int(y) + 2, max(int(x) - 1, 0) : int(x) + 2]
            assert (window == label).any(), f"keypoint of label {label} at ({x:.1f}, {y:.1f}) is not on its region"


def run_row(name: str, kind: str, seed: int):
    """Run table row ``name`` on the probe carrying only target ``kind``; return the output or the refusal."""
    row = TABLE[name]
    transform = row.make()
    data = (
        probe_batch(kind)
        if isinstance(row.make_input(), augkit.Batch)
        else probe().replace(
            **{k: None for k in ("mask", "boxes", "keypoints") if k != kind and not (k == "boxes" and name in NEEDS_BOXES)}
        )
    )
    try:
        return transform(data, rng=seed)
    except augkit.UnsupportedTargetError as error:
        assert type(transform).__name__ in str(error) and (kind.rstrip("s") in str(error)), (
            f"the refusal must name the transform and target: {error}"
        )
        return error


#: Warps: outside the image, the image's fill and the mask's background label 0 both appear.
WARPS = {"Rotate", "Affine", "ShearX", "ShearY", "TranslateX", "TranslateY", "Perspective", "RandomZoomOut"}
#: Policies whose operations include those warps (``AugMix`` refuses targets; ``ThreeAugment`` does not warp).
WARPS |= {"RandAugment", "TimmRandAugment", "TrivialAugmentWide", "AutoAugment"}

#: Transforms that draw their parameters around the boxes (every probe carries them), and drop a
#: box whose centre leaves the crop (SSD's rule: its region may stay in the mask).
NEEDS_BOXES = {"RandomIoUCrop"}

#: Transforms that overwrite pixels no target follows (targets pass through, as torchvision's RandomErasing).
ERASING = {"Cutout", "RandomErasing"}


@pytest.mark.parametrize("name", sorted(TABLE))
def test_every_table_transform_handles_each_target_or_refuses_it(name):
    if name in ERASING:
        sample = probe()
        out = TABLE[name].make()(sample, rng=0)
        assert out.mask is sample.mask and out.boxes is sample.boxes and out.keypoints is sample.keypoints
        return
    for seed in range(3):
        masks = run_row(name, "mask", seed)
        boxes = run_row(name, "boxes", seed)
        points = run_row(name, "keypoints", seed)
        if isinstance(masks, Exception):
            continue
        mask_rows = rows_of(masks)
        for row in mask_rows:
            check_mask_follows_image(row, background=name not in WARPS)
        if not isinstance(boxes, Exception) and name not in NEEDS_BOXES:
            box_rows = rows_of(boxes)
            assert len(box_rows) == len(mask_rows)
            for row, mask_row in zip(box_rows, mask_rows):
                np.testing.assert_allclose(row.image, mask_row.image)  # the same parameters whatever the targets
                check_boxes_follow_mask(row.boxes, mask_row)
        if not isinstance(points, Exception):
            for row, mask_row in zip(rows_of(points), mask_rows):
                check_keypoints_follow_mask(row.keypoints, mask_row)


def test_the_table_check_catches_targets_left_behind():
    """The check above fails for a transform that moves pixels but leaves its targets (as a wrapper could)."""

    class _Mirror(augkit.Transform):
        def apply(self, image, params=None):
            return np.ascontiguousarray(image[:, ::-1])

    out = _Mirror()(probe())
    with pytest.raises(AssertionError, match="does not follow|same colour"):
        check_mask_follows_image(rows_of(out)[0])
