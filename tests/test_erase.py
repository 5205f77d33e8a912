"""Cutout: box placement, pixels changed, both stages, both batch code paths."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from checks import as_numpy
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import batches, hwc_images, seeds

import augkit
from augkit.functional import erase as E
from augkit.transforms.base import params_at


def _changed_outside_box(before: np.ndarray, after: np.ndarray, box, hwc: bool) -> tuple[int, int]:
    """Return (pixels changed outside the box, pixels inside the box) of one image."""
    top, left, bottom, right = box
    diff = before != after
    diff = diff.any(axis=-1) if hwc else diff.any(axis=0)
    inside = np.zeros(diff.shape, bool)
    inside[top:bottom, left:right] = True
    return int((diff & ~inside).sum()), int(inside.sum())


@given(hwc_images(min_side=1, max_side=40), st.integers(1, 30), seeds)
def test_sample_stage_changes_only_its_clipped_box(image, size, seed):
    cutout = augkit.Cutout(size, fill=7)
    out, params = cutout.run(image, np.random.default_rng(seed))
    assert params.applied
    params = params.params
    box = (params.top, params.left, params.bottom, params.right)
    outside, inside = _changed_outside_box(image, out, box, hwc=True)
    assert outside == 0
    assert 0 < inside <= size * size  # the centre is inside the image, so the box never vanishes
    assert (out[params.top : params.bottom, params.left : params.right] == 7).all()
    assert out.dtype == image.dtype and out.shape == image.shape


@given(batches(min_batch=1, max_batch=5, min_side=1, max_side=20), st.integers(1, 12), st.sampled_from([0.0, 0.5, 1.0]), seeds)
def test_batch_changes_only_boxes_and_equals_per_sample(batch, size, p, seed):
    cutout = augkit.Cutout(size, p=p, fill=255)
    out, params = cutout.run(batch, np.random.default_rng(seed))
    assert out.dtype == batch.dtype and out.shape == batch.shape
    for i in range(batch.shape[0]):
        one = params_at(params, i)
        if one.applied:
            box = one.params
            outside, inside = _changed_outside_box(
                as_numpy(batch[i]), as_numpy(out[i]), (box.top, box.left, box.bottom, box.right), hwc=False
            )
            assert outside == 0 and inside <= size * size
            assert (out[i, :, box.top : box.bottom, box.left : box.right] == 255).all()
        else:
            assert torch.equal(out[i], batch[i])
        assert torch.equal(cutout.apply(batch[i], one), out[i])
        hwc = batch[i].permute(1, 2, 0).numpy()
        assert np.array_equal(cutout.apply(hwc, one), out[i].permute(1, 2, 0).numpy())


@given(batches(min_batch=0, max_batch=5, min_side=1, max_side=16, dtype=torch.float32), st.integers(1, 10), seeds)
@settings(max_examples=25)
def test_mask_and_slice_paths_agree(batch, size, seed):
    params = augkit.Cutout(size).sample(np.random.default_rng(seed), batch).params
    if params is None:
        return
    keep = np.random.default_rng(seed).random(batch.shape[0]) < 0.5
    bottom = np.where(keep, params.bottom, params.top)
    a = E.erase(batch, params.top, params.left, bottom, params.right, 0.25, use_mask=True)
    b = E.erase(batch, params.top, params.left, bottom, params.right, 0.25, use_mask=False)
    assert torch.equal(a, b)


def test_center_is_uniform_over_the_whole_image_so_boxes_get_clipped():
    batch = torch.zeros(4000, 1, 10, 12, dtype=torch.uint8)
    params = augkit.Cutout(6).sample(np.random.default_rng(0), batch).params
    assert params.top.min() == 0 and params.bottom.max() == 10 and params.left.min() == 0 and params.right.max() == 12
    heights = params.bottom - params.top
    assert heights.min() == 3 and heights.max() == 6  # centre 0 -> [0, 3); centre 9 -> [6, 10)
    assert (heights < 6).mean() == pytest.approx(0.5, abs=0.05)  # centres 0, 1, 2 and 8, 9 of 10 clip


def test_box_geometry_matches_devries():
    # DeVries & Taylor: y1 = clip(y - s // 2), y2 = clip(y + s // 2) for even s.
    for cy in range(10):
        top, left, bottom, right = E.cutout_box(10, 10, (4, 4), cy, cy)
        assert (top, bottom) == (max(cy - 2, 0), min(cy + 2, 10))
    assert E.cutout_box(10, 10, (3, 3), 5, 5) == (4, 4, 7, 7)  # odd sides stay exactly s long


def test_p_zero_is_identity_in_both_stages(rng):
    image = np.random.default_rng(1).integers(0, 256, (9, 11, 3), dtype=np.uint8)
    batch = torch.from_numpy(image).permute(2, 0, 1)[None].repeat(5, 1, 1, 1)
    cutout = augkit.Cutout(5, p=0.0)
    assert np.array_equal(cutout(image, rng=rng), image)
    assert torch.equal(cutout(batch, rng=rng), batch)


def test_float_fill_is_in_image_units_and_dtype_kept():
    batch = torch.rand(3, 3, 8, 8, dtype=torch.float64)
    out = augkit.Cutout(4, fill=0.5)(batch, rng=0)
    assert out.dtype == torch.float64 and (out == 0.5).any()
    half = augkit.Cutout(4, fill=0.5)
    with pytest.raises(ValueError, match="fill must be an integer in \\[0, 255\\]"):
        half(batch.mul(255).to(torch.uint8), rng=0)
    with pytest.raises(ValueError, match="fill must be an integer"):
        augkit.Cutout(4, fill=300)(np.zeros((4, 4, 3), np.uint8), rng=0)


def test_input_not_modified():
    batch = torch.randint(0, 256, (4, 3, 10, 10), dtype=torch.uint8)
    before = batch.clone()
    augkit.Cutout(6)(batch, rng=0)
    assert torch.equal(batch, before)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"size": 0}, ValueError, "size must be >= 1"),
        ({"size": 2.5}, TypeError, "size must be an int"),
        ({"size": 4, "p": 1.5}, ValueError, "p must be a probability"),
        ({"size": 4, "fill": "x"}, TypeError, "fill must be a real number"),
    ],
)
def test_argument_errors_name_the_argument(kwargs, error, match):
    with pytest.raises(error, match=match):
        augkit.Cutout(**kwargs)


def test_config_round_trip_and_repr():
    cutout = augkit.Cutout(16, p=0.5, fill=3)
    assert repr(cutout) == "Cutout(size=(16, 16), p=0.5, fill=3.0)"
    assert repr(augkit.from_config(cutout.to_config())) == repr(cutout)


def test_torchvision_erase_agrees_for_the_same_box():
    F = pytest.importorskip("torchvision.transforms.v2.functional")
    batch = torch.rand(2, 3, 12, 12)
    top, left, bottom, right = E.cutout_box(12, 12, (5, 5), 3, 10)
    ours = E.erase(batch[0], top, left, bottom, right, 0.0)
    theirs = F.erase(batch[0], top, left, bottom - top, right - left, torch.tensor(0.0))
    assert torch.equal(ours, theirs)  # exact: both only write the fill
