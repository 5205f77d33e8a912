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
from augkit.functional import erasing as E
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


# --------------------------------------------------------------------------- RandomErasing

scipy_stats = pytest.importorskip("scipy.stats")


def _stand_in(n: int, height: int, width: int) -> torch.Tensor:
    return torch.zeros((), dtype=torch.float32).expand(n, 3, height, width)


def _our_boxes(transform, n, height, width, seed=0):
    params = transform.sample(np.random.default_rng(seed), _stand_in(n, height, width))
    assert params.applied.all()
    return params.params


def test_random_erasing_boxes_follow_torchvision_distribution():
    v2 = pytest.importorskip("torchvision.transforms.v2")
    height, width, n = 60, 80, 3000
    theirs = v2.RandomErasing(p=1.0)
    image = torch.zeros(3, height, width)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        drawn = [theirs.make_params([image]) for _ in range(n)]
    their_h = np.array([d["h"] for d in drawn if d["v"] is not None])
    their_w = np.array([d["w"] for d in drawn if d["v"] is not None])
    their_top = np.array([d["i"] for d in drawn if d["v"] is not None])
    boxes = _our_boxes(augkit.RandomErasing(p=1.0), n, height, width)
    found = boxes.height[:, 0] > 0
    h, w, top = boxes.height[found, 0], boxes.width[found, 0], boxes.top[found, 0]
    # Boxes that fit in none of the 10 tries: a binomial proportion, the same for both.
    assert abs(found.mean() - len(their_h) / n) < 0.03
    for ours, reference in (
        (h * w / (height * width), their_h * their_w / (height * width)),  # area fraction
        (np.log(h / w), np.log(their_h / their_w)),  # log aspect
        (top, their_top),
    ):
        assert scipy_stats.ks_2samp(ours, reference).pvalue > 1e-3
    assert ((top + h) <= height).all() and ((boxes.left[found, 0] + w) <= width).all()


def test_random_erasing_counts_and_sizes_follow_timm(monkeypatch):
    random_erasing = pytest.importorskip("timm.data.random_erasing")
    import random

    height, width, n = 48, 64, 1500
    recorded: list[list[tuple[int, int]]] = []

    def record(per_pixel, rand_color, patch_size, dtype=torch.float32, device="cpu"):
        recorded[-1].append(tuple(patch_size[1:]))
        return torch.zeros((patch_size[0], 1, 1), dtype=dtype)

    monkeypatch.setattr(random_erasing, "_get_pixels", record)
    timm_erasing = random_erasing.RandomErasing(probability=1.0, min_count=1, max_count=3, device="cpu")
    state = random.getstate()
    random.seed(0)
    try:
        for _ in range(n):
            recorded.append([])
            timm_erasing(torch.zeros(3, height, width))
    finally:
        random.setstate(state)
    boxes = _our_boxes(augkit.RandomErasing.from_timm(1.0, min_count=1, max_count=3), n, height, width)
    ours_per_image = (boxes.height > 0).sum(axis=1)
    theirs_per_image = np.array([len(r) for r in recorded])
    table = np.array([np.bincount(ours_per_image, minlength=4), np.bincount(theirs_per_image, minlength=4)])[:, 1:]
    assert scipy_stats.chi2_contingency(table).pvalue > 1e-3
    # Box area times the image's box count: the same law (areas are split among the boxes).
    their_area = np.array([h * w * len(r) for r in recorded for h, w in r]) / (height * width)
    present = boxes.height > 0
    our_area = (boxes.height * boxes.width * ours_per_image[:, None])[present] / (height * width)
    assert scipy_stats.ks_2samp(our_area, their_area).pvalue > 1e-3
    their_aspect = np.array([np.log(h / w) for r in recorded for h, w in r if h and w])
    assert scipy_stats.ks_2samp(np.log(boxes.height[present] / boxes.width[present]), their_aspect).pvalue > 1e-3


def test_random_erasing_count_draws_uniformly_and_splits_the_area():
    boxes = _our_boxes(augkit.RandomErasing(p=1.0, scale=(0.1, 0.1), ratio=(1.0, 1.0), count=2, max_count=4), 4000, 100, 100)
    per_image = (boxes.height > 0).sum(axis=1)
    assert set(np.unique(per_image)) == {2, 3, 4}
    assert np.allclose(np.bincount(per_image)[2:] / 4000, 1 / 3, atol=0.03)
    # Square boxes of area 0.1 * 100 * 100 / count: side round(sqrt(1000 / count)).
    sides = boxes.height[np.arange(4000), 0]
    assert np.array_equal(sides, np.round(np.sqrt(1000 / per_image)).astype(int))


def test_random_erasing_no_fit_leaves_the_image():
    # Every proposal is taller than the image: nothing erased, as torchvision and timm.
    image = torch.rand(3, 4, 40)
    out, params = augkit.RandomErasing(p=1.0, scale=(0.5, 0.5), ratio=(50.0, 60.0)).run(image, np.random.default_rng(0))
    assert params.applied and params.params.height.tolist() == [0]
    assert torch.equal(out, image)


def _erased(before, after):
    return (as_numpy(before) != as_numpy(after)).any(axis=0)


def test_random_erasing_fills_per_mode():
    image = torch.full((3, 40, 50), 9.0)
    generator = np.random.default_rng(3)
    const, params = augkit.RandomErasing(p=1.0, value=(0.1, 0.2, 0.3)).run(image, generator)
    box = params.params
    region = const[:, box.top[0] : box.top[0] + box.height[0], box.left[0] : box.left[0] + box.width[0]]
    assert torch.allclose(region, torch.tensor([0.1, 0.2, 0.3]).view(3, 1, 1).expand_as(region))
    assert _erased(image, const).sum() == box.height[0] * box.width[0]

    before = torch.random.get_rng_state()
    rand, params = augkit.RandomErasing(p=1.0, mode="rand").run(image, np.random.default_rng(4))
    pixel, pixel_params = augkit.RandomErasing(p=1.0, mode="pixel").run(image, np.random.default_rng(4))
    assert torch.equal(torch.random.get_rng_state(), before)  # the global torch RNG is never used
    # The values come from a torch.Generator seeded with the drawn seed, box by box.
    box = params.params
    region = rand[:, box.top[0] : box.top[0] + box.height[0], box.left[0] : box.left[0] + box.width[0]]
    expected = torch.randn(3, generator=torch.Generator().manual_seed(box.seed))
    assert torch.equal(region, expected.view(3, 1, 1).expand_as(region))
    box = pixel_params.params
    region = pixel[:, box.top[0] : box.top[0] + box.height[0], box.left[0] : box.left[0] + box.width[0]]
    assert torch.equal(region, torch.randn(region.shape, generator=torch.Generator().manual_seed(box.seed)))
    assert region.flatten().unique().numel() == region.numel()


def test_torchvision_value_random_is_pixel_mode():
    image = torch.zeros(3, 30, 30)
    a = augkit.RandomErasing(p=1.0, value="random")(image, rng=5)
    b = augkit.RandomErasing(p=1.0, mode="pixel")(image, rng=5)
    assert torch.equal(a, b) and (a != 0).any()


def test_pixel_noise_is_standard_normal():
    batch = torch.zeros(64, 3, 64, 64)
    out = augkit.RandomErasing(p=1.0, mode="pixel", scale=(0.2, 0.3))(batch, rng=0)
    values = out[out != 0]
    assert values.numel() > 100_000
    assert abs(values.mean().item()) < 0.02 and abs(values.std().item() - 1.0) < 0.02


@pytest.mark.parametrize("mode", ["const", "rand", "pixel"])
def test_random_erasing_batch_equals_samples_and_both_paths_agree(mode):
    batch = torch.rand(12, 3, 30, 40, generator=torch.Generator().manual_seed(0))
    erasing = augkit.RandomErasing(p=0.6, mode=mode, count=1, max_count=3)
    out, params = erasing.run(batch, np.random.default_rng(1))
    assert not torch.equal(out, batch)
    for i in range(batch.shape[0]):
        one = params_at(params, i)
        assert torch.equal(erasing.apply(batch[i], one), out[i])
        assert np.array_equal(erasing.apply(batch[i].permute(1, 2, 0).numpy(), one), out[i].permute(1, 2, 0).numpy())
        if not one.applied:
            assert torch.equal(out[i], batch[i])
    boxes = params.params
    fill = 0.5 if mode == "const" else 0.0
    rows = np.flatnonzero(params.applied)
    args = (boxes.top, boxes.left, boxes.height, boxes.width, fill)
    masked = E.erase_boxes(batch[rows], *args, mode=mode, seed=boxes.seed, use_mask=True)
    sliced = E.erase_boxes(batch[rows], *args, mode=mode, seed=boxes.seed, use_mask=False)
    assert torch.equal(masked, sliced)


def test_random_erasing_uint8_and_fill_checks():
    image = np.zeros((20, 20, 3), np.uint8)
    assert augkit.RandomErasing(p=1.0, value=(255, 0, 7))(image, rng=0).dtype == np.uint8
    with pytest.raises(ValueError, match="writes normal values, for normalized float images; got a uint8 image"):
        augkit.RandomErasing(p=1.0, mode="pixel")(image, rng=0)
    with pytest.raises(ValueError, match=r"fill must be an integer in \[0, 255\]"):
        augkit.RandomErasing(p=1.0, value=300)(image, rng=0)
    with pytest.raises(ValueError, match=r"one value per channel \(3\), got 2 values"):
        augkit.RandomErasing(p=1.0, value=(1, 2))(image, rng=0)


def test_random_erasing_from_timm_and_config():
    erasing = augkit.RandomErasing.from_timm(0.25, min_area=0.05, max_area=0.4, min_aspect=0.5, mode="pixel", max_count=2)
    assert (erasing.p, erasing.scale, erasing.ratio, erasing.mode, erasing.count, erasing.max_count) == (
        0.25,
        (0.05, 0.4),
        (0.5, 2.0),
        "pixel",
        1,
        2,
    )
    rebuilt = augkit.from_config(erasing.to_config())
    assert repr(rebuilt) == repr(erasing)
    batch = torch.rand(4, 3, 16, 16)
    assert torch.equal(rebuilt(batch, rng=3), erasing(batch, rng=3))
    assert (
        repr(augkit.RandomErasing())
        == "RandomErasing(p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0.0, mode='const', count=1, max_count=None)"
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"p": 2.0}, ValueError, "p must be a probability"),
        ({"scale": (0.5, 0.1)}, ValueError, "scale must have low <= high"),
        ({"scale": (0.1, 1.5)}, ValueError, r"scale must lie within \[0.0, 1.0\]"),
        ({"ratio": (0.0, 1.0)}, ValueError, "ratio must be > 0"),
        ({"ratio": 3}, TypeError, r"ratio must be a \(low, high\) pair"),
        ({"value": "noise"}, ValueError, "value must be a number, a sequence of numbers"),
        ({"value": None}, TypeError, "value must be a number"),
        ({"mode": "gauss"}, ValueError, "mode must be one of"),
        ({"mode": "pixel", "value": 1.0}, ValueError, "value is the fill of mode='const'"),
        ({"count": 0}, ValueError, "count must be >= 1"),
        ({"count": 3, "max_count": 2}, ValueError, "max_count must be >= 3"),
    ],
)
def test_random_erasing_arguments_validated(kwargs, error, match):
    with pytest.raises(error, match=match):
        augkit.RandomErasing(**kwargs)


def test_random_erasing_runs_after_normalize():
    normalize = augkit.Normalize(augkit.constants.IMAGENET_MEAN, augkit.constants.IMAGENET_STD)
    pipeline = augkit.Compose([normalize, augkit.RandomErasing(p=1.0, mode="pixel")])
    batch = torch.randint(0, 256, (4, 3, 24, 24), dtype=torch.uint8)
    out = pipeline(batch, rng=0)
    assert out.dtype == torch.float32 and not torch.equal(out, normalize(batch))


def test_erasing_box_sizes_take_the_first_fit():
    area = np.array([[5000.0, 30.0, 20.0], [5000.0, 5000.0, 5000.0]])
    h, w = E.erasing_box_sizes(20, 30, area, np.zeros_like(area))
    assert h.tolist() == [5, 0] and w.tolist() == [5, 0]  # round(sqrt(30)) = 5; no fit -> no box
    h, w = E.erasing_box_sizes(20, 30, np.array([12.25]), np.array([0.0]))  # sqrt = 3.5: Python rounds to 4
    assert (h.item(), w.item()) == (round(3.5), round(3.5))
