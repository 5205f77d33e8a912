"""Rotate, Affine, ShearX/Y, TranslateX/Y and Perspective against torchvision v2, both stages, with targets.

Tolerances (per op, uint8 / float32): ``"nearest"`` is exact (the same source pixels as
torchvision's ``grid_sample``); ``"bilinear"`` within 1 level on uint8 and 1e-5 on float32
(measured: 0, the same float operations). Masks equal torchvision's exactly; boxes and
keypoints agree with torchvision's ``tv_tensors`` within 1e-3 px (float32 vs float64 points).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from strategies import hwc_images, seeds

import augkit
from augkit.functional import warping as A
from augkit.transforms.base import BATCH_STAGE, SAMPLE_STAGE, params_at

torchvision = pytest.importorskip("torchvision")
from torchvision import tv_tensors  # noqa: E402
from torchvision.transforms.v2 import functional as TF  # noqa: E402

TOLERANCE = {("nearest", "uint8"): 0.0, ("nearest", "float32"): 0.0, ("bilinear", "uint8"): 1.0, ("bilinear", "float32"): 1e-5}
POINT_TOLERANCE = 1e-3


def to_chw(image: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.array(image)).permute(2, 0, 1).contiguous()


def max_diff(ours, theirs) -> float:
    ours = to_chw(ours) if isinstance(ours, np.ndarray) else ours
    assert tuple(ours.shape) == tuple(theirs.shape), (tuple(ours.shape), tuple(theirs.shape))
    return (ours.double() - theirs.as_subclass(torch.Tensor).double()).abs().max().item() if ours.numel() else 0.0


def as_dtype(image: np.ndarray, dtype: str):
    return image if dtype == "uint8" else image.astype(np.float32) / 255


def fill_for(fill, dtype: str):
    if fill is None or dtype == "uint8":
        return fill
    return [v / 255 for v in fill] if isinstance(fill, (list, tuple)) else fill / 255


def tv_fill(fill):
    return list(fill) if isinstance(fill, tuple) else fill


@pytest.fixture(scope="module")
def photos(sample_images) -> list[np.ndarray]:
    """Five sample photos cut to odd and even sizes of about 100 x 130 pixels (square ones too)."""
    sizes = [(91, 130), (100, 100), (80, 111), (120, 75), (101, 101)]
    names = sorted(sample_images)[:5]
    return [sample_images[name][40 : 40 + h, 60 : 60 + w] for name, (h, w) in zip(names, sizes)]


# --- pixels: the functional kernels against torchvision's, sample stage ------------------------


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
@pytest.mark.parametrize("dtype", ["uint8", "float32"])
def test_affine_kernel_matches_torchvision(photos, photo, interpolation, dtype):
    rng = np.random.default_rng(0)
    worst = 0.0
    for k, source in enumerate([*photos, photo]):
        image = as_dtype(source, dtype)
        angle, scale = float(rng.uniform(-45, 45)), float(rng.uniform(0.7, 1.3))
        translate = [int(rng.integers(-60, 60)), int(rng.integers(-60, 60))]
        shear = [float(rng.uniform(-20, 20)), float(rng.uniform(-20, 20))]
        center = None if k % 2 else [float(rng.uniform(0, source.shape[1])), float(rng.uniform(0, source.shape[0]))]
        fill = fill_for([None, 0, 77, (10, 200, 30)][k % 4], dtype)
        ours = A.affine(image, angle, translate, scale, shear, interpolation, fill, center)
        theirs = TF.affine(
            to_chw(image),
            angle=angle,
            translate=translate,
            scale=scale,
            shear=shear,
            interpolation=interpolation,
            fill=tv_fill(fill),
            center=center,
        )
        assert ours.dtype == image.dtype and ours.shape == image.shape
        worst = max(worst, max_diff(ours, theirs))
    assert worst <= TOLERANCE[interpolation, dtype], f"{interpolation} {dtype}: {worst}"


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
@pytest.mark.parametrize("expand", [False, True])
def test_rotate_kernel_matches_torchvision(photos, interpolation, expand):
    rng = np.random.default_rng(1)
    worst = {"uint8": 0.0, "float32": 0.0}
    for k, photo in enumerate(photos):
        # random angles and torchvision's quarter-turn fast paths (and 90 on non-square images, which resamples)
        for angle in (float(rng.uniform(-180, 180)), [0.0, 90.0, 180.0, -90.0, 270.0, 360.0][k % 6]):
            for dtype in worst:
                image = as_dtype(photo, dtype)
                fill = fill_for([None, 0, 128][k % 3], dtype)
                center = None if expand or k % 2 else [3.0, 250.5]
                ours = A.rotate(image, angle, interpolation, expand, center, fill)
                theirs = TF.rotate(to_chw(image), angle, interpolation=interpolation, expand=expand, center=center, fill=fill)
                worst[dtype] = max(worst[dtype], max_diff(ours, theirs))
    for dtype, value in worst.items():
        assert value <= TOLERANCE[interpolation, dtype], f"{interpolation} {dtype}: {value}"


def perspective_endpoints(rng, height: int, width: int, distortion: float = 0.5):
    bh, bw = int(distortion * (height // 2)) + 1, int(distortion * (width // 2)) + 1
    return [
        [int(rng.integers(0, bw)), int(rng.integers(0, bh))],
        [int(rng.integers(width - bw, width)), int(rng.integers(0, bh))],
        [int(rng.integers(width - bw, width)), int(rng.integers(height - bh, height))],
        [int(rng.integers(0, bw)), int(rng.integers(height - bh, height))],
    ]


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
@pytest.mark.parametrize("dtype", ["uint8", "float32"])
def test_perspective_kernel_matches_torchvision(photos, interpolation, dtype):
    from torchvision.transforms.v2.functional._geometry import _get_perspective_coeffs

    rng = np.random.default_rng(2)
    worst = 0.0
    for k, photo in enumerate(photos):
        height, width = photo.shape[:2]
        start = A.perspective_startpoints(height, width).astype(int).tolist()
        end = perspective_endpoints(rng, height, width, 0.6)
        coefficients = A.perspective_coefficients(start, end)
        assert coefficients.tolist() == _get_perspective_coeffs(start, end)
        image = as_dtype(photo, dtype)
        fill = fill_for([None, 0, 99][k % 3], dtype)
        ours = A.perspective(image, coefficients, interpolation, fill)
        theirs = TF.perspective(to_chw(image), None, None, interpolation=interpolation, fill=fill, coefficients=coefficients.tolist())
        worst = max(worst, max_diff(ours, theirs))
    assert worst <= TOLERANCE[interpolation, dtype], f"{interpolation} {dtype}: {worst}"


# --- transforms: torchvision's parameters, both stages --------------------------------------


def photo_batch(sample_images, size=(64, 90), dtype="uint8") -> torch.Tensor:
    crops = [photo[: size[0], : size[1]] for _, photo in sorted(sample_images.items())]
    return torch.stack([to_chw(as_dtype(c, dtype)) for c in crops])


def reference(transform, image: torch.Tensor, params, fill="image"):
    """torchvision's functional op on one ``[C, H, W]`` image (or tv_tensor) with augkit's parameters."""
    fill = tv_fill(transform.fill) if fill == "image" else fill
    if isinstance(transform, augkit.Rotate):
        return TF.rotate(
            image, float(params.angle), interpolation=transform.interpolation, expand=transform.expand, center=_center(transform), fill=fill
        )
    if isinstance(transform, augkit.Perspective):
        size = tuple(getattr(image, "canvas_size", image.shape[-2:]))
        coefficients = transform.coefficients(params, size)
        return TF.perspective(image, None, None, interpolation=transform.interpolation, fill=fill, coefficients=coefficients.tolist())
    args = transform.affine_args(params)
    return TF.affine(
        image,
        angle=float(args["angle"]),
        translate=[float(v) for v in args["translate"]],
        scale=float(args["scale"]),
        shear=[float(v) for v in args["shear"]],
        interpolation=transform.interpolation,
        fill=fill,
        center=_center(transform),
    )


def _center(transform):
    return None if transform.center is None else list(transform.center)


def inner(params):
    return params.params if isinstance(params, augkit.transforms.base.Applied) else params


#: Transforms under test, built for an interpolation, with fills in units of ``unit`` (1 for uint8, 1/255 for floats).
TRANSFORMS = {
    "Rotate": lambda interp, unit=1: augkit.Rotate(60, interpolation=interp, fill=5 * unit),
    "Rotate-center": lambda interp, unit=1: augkit.Rotate((-30, 80), interpolation=interp, center=(20, 40), fill=None),
    "Affine": lambda interp, unit=1: augkit.Affine(
        30, translate=(0.2, 0.1), scale=(0.75, 1.3), shear=(-15, 15, -8, 8), interpolation=interp, fill=(20 * unit, 40 * unit, 60 * unit)
    ),
    "ShearX": lambda interp, unit=1: augkit.ShearX(25, interpolation=interp, center=(0, 0)),
    "ShearY": lambda interp, unit=1: augkit.ShearY((-5, 30), interpolation=interp, fill=None),
    "TranslateX": lambda interp, unit=1: augkit.TranslateX(0.4, interpolation=interp, fill=255 * unit),
    "TranslateY": lambda interp, unit=1: augkit.TranslateY(pixels=(-30, 50), interpolation=interp),
    "Perspective": lambda interp, unit=1: augkit.Perspective(0.7, p=1.0, interpolation=interp, fill=(unit, 2 * unit, 3 * unit)),
}


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_transform_matches_torchvision_in_both_stages(photos, sample_images, name, interpolation):
    for dtype in ("uint8", "float32"):
        transform = TRANSFORMS[name](interpolation, 1 if dtype == "uint8" else 1 / 255)
        assert SAMPLE_STAGE in transform.stages and BATCH_STAGE in transform.stages
        tol = TOLERANCE[interpolation, dtype]
        # sample stage: HWC arrays
        for seed, photo in enumerate(photos[:2]):
            image = as_dtype(photo, dtype)
            out, params = transform.run(image, np.random.default_rng(seed))
            assert out.shape == image.shape and out.dtype == image.dtype
            assert max_diff(out, reference(transform, to_chw(image), inner(params))) <= tol
        # batch stage: per-sample parameters, one warp
        batch = photo_batch(sample_images, dtype=dtype)
        out, params = transform.run(batch, np.random.default_rng(7))
        assert out.shape == batch.shape and out.dtype == batch.dtype
        for i in range(batch.shape[0]):
            assert max_diff(out[i], reference(transform, batch[i], inner(params_at(params, i)))) <= tol
            assert max_diff(out[i], transform.apply(batch[i], params_at(params, i))) == 0.0


def test_batch_parameters_are_drawn_per_sample(sample_images):
    batch = photo_batch(sample_images)
    for name, make in TRANSFORMS.items():
        params = inner(make("nearest").sample(np.random.default_rng(0), batch))
        arrays = [v for v in vars(params).values() if isinstance(v, np.ndarray)]
        assert arrays and all(a.shape[0] == batch.shape[0] for a in arrays), name
        assert any(len(np.unique(a, axis=0)) > 1 for a in arrays), name


def test_same_on_batch_draws_one_warp(sample_images):
    batch = photo_batch(sample_images)
    params = augkit.Affine(30, translate=(0.2, 0.2), same_on_batch=True).sample(np.random.default_rng(0), batch)
    assert np.unique(params.angle).size == 1 and np.unique(params.translate_x).size == 1


def test_parameters_follow_torchvision_definitions():
    image = np.zeros((100, 200, 3), np.uint8)
    params = augkit.Affine((-10, 20), translate=(0.1, 0.3), scale=(0.5, 2.0), shear=(1, 2, 3, 4)).sample(
        np.random.default_rng(0), torch.zeros(2000, 3, 100, 200, dtype=torch.uint8)
    )
    assert params.angle.min() >= -10 and params.angle.max() <= 20
    assert np.abs(params.translate_x).max() <= 20 and np.abs(params.translate_y).max() <= 30
    assert params.translate_x.dtype == np.int64 and np.abs(params.translate_x).max() == 20
    assert 0.5 <= params.scale.min() and params.scale.max() <= 2.0
    assert 1 <= params.shear_x.min() < 1.1 and 1.9 < params.shear_x.max() <= 2  # within (1, 2) and spanning it
    assert 3 <= params.shear_y.min() < 3.1 and 3.9 < params.shear_y.max() <= 4
    one = augkit.Affine(10).sample(np.random.default_rng(0), image)
    assert (one.translate_x, one.translate_y, one.scale, one.shear_x, one.shear_y) == (0, 0, 1.0, 0.0, 0.0)
    # RandomPerspective: each corner within distortion * half side of its own corner
    ends = augkit.Perspective(0.5, p=1.0).sample(np.random.default_rng(0), torch.zeros(500, 3, 100, 200)).params.endpoints
    bw, bh = int(0.5 * 100) + 1, int(0.5 * 50) + 1
    assert ends.shape == (500, 4, 2)
    assert ends[:, 0, 0].max() == bw - 1 and ends[:, 1, 0].min() == 200 - bw and ends[:, 2, 1].min() == 100 - bh
    assert ends[:, 3, 1].max() == 99 and ends[:, 0, 1].min() == 0


# --- targets against tv_tensors -------------------------------------------------------------


def labelled_sample(photo, seed=0):
    rng = np.random.default_rng(seed)
    height, width = photo.shape[:2]
    mask = np.zeros((height, width), np.uint8)
    for label in range(1, 6):
        y, x = rng.integers(0, height - 40), rng.integers(0, width - 40)
        mask[y : y + 40, x : x + 60] = label
    corners = np.sort(rng.uniform(0, [width, height, width, height], (16, 4)).reshape(16, 2, 2), axis=1).reshape(16, 4)
    boxes = augkit.Boxes(corners.astype(np.float32), labels=np.arange(16))
    keypoints = augkit.Keypoints(rng.uniform(0, [width, height], (5, 3, 2)).astype(np.float32))
    return augkit.Sample(photo, mask=mask, boxes=boxes, keypoints=keypoints)


def check_targets(out: augkit.Sample, transform, sample: augkit.Sample, params):
    height, width = sample.image.shape[:2]
    # torchvision fills masks with the image's fill unless given one per type: mask_fill here
    ref_mask = reference(transform, tv_tensors.Mask(torch.from_numpy(sample.mask)), params, fill=transform.mask_fill)
    np.testing.assert_array_equal(out.mask, ref_mask.numpy())
    assert set(np.unique(out.mask)) <= set(np.unique(sample.mask)) | {transform.mask_fill}

    tv_boxes = tv_tensors.BoundingBoxes(torch.from_numpy(sample.boxes.xyxy), format="XYXY", canvas_size=(height, width))
    theirs = reference(transform, tv_boxes, params).as_subclass(torch.Tensor).numpy()
    keep = (theirs[:, 2] > theirs[:, 0]) & (theirs[:, 3] > theirs[:, 1])
    assert len(out.boxes) == int(keep.sum())
    np.testing.assert_allclose(out.boxes.xyxy, theirs[keep], atol=POINT_TOLERANCE, rtol=0)
    np.testing.assert_array_equal(out.boxes.labels, sample.boxes.labels[keep])
    out_h, out_w = out.image.shape[:2]
    assert (out.boxes.xyxy[:, 0::2] >= 0).all() and (out.boxes.xyxy[:, 0::2] <= out_w).all()
    assert (out.boxes.xyxy[:, 1::2] >= 0).all() and (out.boxes.xyxy[:, 1::2] <= out_h).all()

    tv_points = tv_tensors.KeyPoints(torch.from_numpy(sample.keypoints.xy), canvas_size=(height, width))
    moved = reference(transform, tv_points, params).as_subclass(torch.Tensor).numpy()
    np.testing.assert_allclose(out.keypoints.xy, moved, atol=POINT_TOLERANCE, rtol=0)
    inside = (moved[..., 0] >= 0) & (moved[..., 0] < out_w) & (moved[..., 1] >= 0) & (moved[..., 1] < out_h)
    np.testing.assert_array_equal(out.keypoints.visible, inside)


TARGET_TRANSFORMS = {
    **TRANSFORMS,
    "Rotate-expand": lambda interp, unit=1: augkit.Rotate(180, interpolation=interp, expand=True),
    "Rotate-mask-fill": lambda interp, unit=1: augkit.Rotate(45, interpolation=interp, fill=50, mask_fill=255),
}


@pytest.mark.parametrize("name", sorted(TARGET_TRANSFORMS))
def test_targets_match_tv_tensors(photos, name):
    transform = TARGET_TRANSFORMS[name]("bilinear")
    for seed, photo in enumerate(photos[:3]):
        sample = labelled_sample(photo, seed)
        out, params = transform.run(sample, np.random.default_rng(seed))
        assert isinstance(out, augkit.Sample)
        check_targets(out, transform, sample, inner(params))


def test_batch_targets_match_per_sample(sample_images):
    batch = photo_batch(sample_images, size=(120, 160))
    samples = [labelled_sample(np.ascontiguousarray(to_chw_inverse(img)), i) for i, img in enumerate(batch)]
    masks = torch.stack([torch.from_numpy(s.mask) for s in samples])
    full = augkit.Batch(batch, masks=masks, boxes=[s.boxes for s in samples], keypoints=[s.keypoints for s in samples])
    for name in ("Affine", "Rotate", "Perspective"):
        transform = TRANSFORMS[name]("nearest")
        out, params = transform.run(full, np.random.default_rng(3))
        for i, sample in enumerate(samples):
            one = transform.apply(sample, params_at(params, i))
            np.testing.assert_array_equal(out.masks[i].numpy(), one.mask)
            np.testing.assert_array_equal(out.images[i].permute(1, 2, 0).numpy(), one.image)
            np.testing.assert_allclose(out.boxes[i].xyxy, one.boxes.xyxy, atol=1e-6)
            np.testing.assert_allclose(out.keypoints[i].xy, one.keypoints.xy, atol=1e-6)


def to_chw_inverse(image: torch.Tensor) -> np.ndarray:
    return image.permute(1, 2, 0).numpy()


def test_tensor_masks_and_multichannel_masks(photo):
    transform = augkit.Affine(25, translate=(0.1, 0.1), interpolation="bilinear")
    stacked = np.stack([(photo[..., 0] > 128), (photo[..., 1] > 100)], axis=-1).astype(np.int64) * 7
    params = transform.sample(np.random.default_rng(0), photo)
    moved = transform.apply_mask(stacked, params)
    assert moved.shape == stacked.shape and moved.dtype == np.int64
    as_tensor = transform.apply_mask(torch.from_numpy(stacked).permute(2, 0, 1).contiguous(), params)
    np.testing.assert_array_equal(as_tensor.permute(1, 2, 0).numpy(), moved)
    for k in range(2):
        np.testing.assert_array_equal(transform.apply_mask(stacked[..., k], params), moved[..., k])


# --- properties ---------------------------------------------------------------------------


@given(
    image=hwc_images(min_side=2, max_side=40),
    interpolation=st.sampled_from(["nearest", "bilinear"]),
    fill=st.sampled_from([None, 0, 200]),
)
def test_zero_warps_are_identity(image, interpolation, fill):
    floats = image.astype(np.float32) / 255
    for unit, pixels, atol in ((1, image, 0.0), (1 / 255, floats, 1e-5)):
        unit_fill = None if fill is None else fill * unit
        for transform in (
            augkit.Rotate(0, interpolation=interpolation, fill=unit_fill),
            augkit.Affine(0, interpolation=interpolation, fill=unit_fill),
            augkit.ShearX(0, interpolation=interpolation, fill=unit_fill),
            augkit.ShearY(0, interpolation=interpolation, fill=unit_fill),
            augkit.TranslateX(pixels=0, interpolation=interpolation, fill=unit_fill),
            augkit.TranslateY(0, interpolation=interpolation, fill=unit_fill),
        ):
            np.testing.assert_allclose(transform(pixels, rng=0), pixels, atol=atol, rtol=0)


@given(image=hwc_images(min_side=1, max_side=30), turns=st.integers(-4, 4), center=st.booleans())
def test_quarter_turns_invert_exactly(image, turns, center):
    """Nearest rotations by multiples of 90 degrees undo exactly (square images, or with expand)."""
    degrees = 90.0 * turns
    square = image[: min(image.shape[:2]), : min(image.shape[:2])]
    there = A.rotate(square, degrees, "nearest", center=(square.shape[1] / 2, square.shape[0] / 2) if center else None)
    np.testing.assert_array_equal(A.rotate(there, -degrees, "nearest"), square)
    np.testing.assert_array_equal(A.rotate(A.rotate(image, degrees, expand=True), -degrees, expand=True), image)
    np.testing.assert_array_equal(A.rotate(image, degrees, expand=True), np.rot90(image, turns % 4))


@given(image=hwc_images(min_side=12, max_side=40), degrees=st.floats(-179, 179), seed=seeds)
def test_rotate_back_restores_the_interior(image, degrees, seed):
    """Rotating by d then -d (nearest) gives back the pixels near the centre, up to one-pixel rounding moves."""
    there = A.rotate(image, degrees, "nearest")
    back = A.rotate(there, -degrees, "nearest")
    h, w = image.shape[:2]
    r = max(1, min(h, w) // 6)
    window = (slice(h // 2 - r, h // 2 + r), slice(w // 2 - r, w // 2 + r))
    # each restored pixel is one of the original's 3x3 neighbourhood around its position
    padded = np.pad(image.astype(np.int16), ((1, 1), (1, 1), (0, 0)), constant_values=-1)
    ys, xs = np.mgrid[window]
    candidates = np.stack([padded[ys + 1 + dy, xs + 1 + dx] for dy in (-1, 0, 1) for dx in (-1, 0, 1)])
    assert (candidates == back[window][None].astype(np.int16)).all(axis=-1).any(axis=0).all()


@given(
    image=hwc_images(min_side=4, max_side=32),
    seed=seeds,
    name=st.sampled_from(sorted(TRANSFORMS)),
    dtype=st.sampled_from(["uint8", "float32"]),
)
def test_shapes_dtypes_labels_and_boxes(image, seed, name, dtype):
    transform = TRANSFORMS[name]("nearest")
    image = as_dtype(image, dtype)
    rng = np.random.default_rng(seed)
    h, w = image.shape[:2]
    mask = rng.integers(0, 4, (h, w)).astype(np.uint8)
    boxes = augkit.Boxes(np.sort(rng.uniform(0, [w, h, w, h], (6, 4)).reshape(6, 2, 2), axis=1).reshape(6, 4))
    out = transform(augkit.Sample(image, mask=mask, boxes=boxes), rng=seed)
    assert out.image.shape == image.shape and out.image.dtype == image.dtype
    assert out.mask.shape == mask.shape and set(np.unique(out.mask)) <= set(np.unique(mask)) | {0}
    xyxy = out.boxes.xyxy
    assert ((xyxy[:, 0::2] >= 0) & (xyxy[:, 0::2] <= w)).all() and ((xyxy[:, 1::2] >= 0) & (xyxy[:, 1::2] <= h)).all()
    assert ((xyxy[:, 2] > xyxy[:, 0]) & (xyxy[:, 3] > xyxy[:, 1])).all()


# --- validation and stages ------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, error, pattern",
    [
        (lambda: augkit.Rotate(-5), ValueError, "degrees must be >= 0"),
        (lambda: augkit.Rotate((10, -10)), ValueError, "low <= high"),
        (lambda: augkit.Rotate(10, interpolation="bicubic"), ValueError, "interpolation must be one of"),
        (lambda: augkit.Rotate(10, center=(1, 2, 3)), TypeError, "center"),
        (lambda: augkit.Rotate(10, fill="white"), TypeError, "fill must be a real number"),
        (lambda: augkit.Affine(10, translate=(0.2, 1.5)), ValueError, "translate fractions"),
        (lambda: augkit.Affine(10, scale=(0, 1)), ValueError, "scale must be > 0"),
        (lambda: augkit.Affine(10, shear=(1, 2, 3)), ValueError, "shear must be"),
        (lambda: augkit.ShearX(-3), ValueError, "degrees must be >= 0"),
        (lambda: augkit.TranslateX(), ValueError, "exactly one of fraction= or pixels="),
        (lambda: augkit.TranslateY(0.1, pixels=3), ValueError, "exactly one of"),
        (lambda: augkit.TranslateX(1.5), ValueError, "fraction must lie within"),
        (lambda: augkit.Perspective(1.5), ValueError, "distortion_scale must lie in"),
        (lambda: augkit.Perspective(0.5, p=2), ValueError, "probability"),
        (lambda: augkit.Affine(5, mask_fill=1.5), TypeError, "mask_fill must be an int"),
    ],
)
def test_arguments_are_validated(make, error, pattern):
    with pytest.raises(error, match=pattern):
        make()


def test_rotate_expand_is_sample_stage_only(photo):
    transform = augkit.Rotate(30, expand=True)
    assert transform.stages == (SAMPLE_STAGE,) and augkit.Rotate(30).stages == (SAMPLE_STAGE, BATCH_STAGE)
    out = transform(photo, rng=0)
    assert out.shape[0] > photo.shape[0] and out.shape[1] > photo.shape[1]
    with pytest.raises(ValueError, match="sample stage"):
        transform(to_chw(photo)[None].repeat(2, 1, 1, 1), rng=0)


def test_fill_must_match_the_channels(photo):
    with pytest.raises(ValueError, match="fill has 2 values"):
        augkit.Rotate(30, fill=(1, 2))(photo, rng=0)


def test_configs_round_trip_with_fills_and_centres():
    for transform in (augkit.Affine(10, shear=(1, 2, 3, 4), fill=(1, 2, 3), center=(4, 5)), augkit.Rotate(5, fill=None)):
        rebuilt = augkit.from_config(transform.to_config())
        assert repr(rebuilt) == repr(transform)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_gpu_batch_matches_cpu(sample_images):
    """Same parameters on the GPU: bilinear within 1 level; nearest picks the same pixels but at rare float near-ties."""
    batch = photo_batch(sample_images)
    for name, make in TRANSFORMS.items():
        for interpolation in ("nearest", "bilinear"):
            transform = make(interpolation)
            params = transform.sample(np.random.default_rng(0), batch)
            cpu = transform.apply(batch, params)
            gpu = transform.apply(batch.cuda(), params)
            assert gpu.device.type == "cuda" and gpu.dtype == cpu.dtype
            differ = (gpu.cpu().int() - cpu.int()).abs()
            if interpolation == "bilinear":
                assert differ.max().item() <= 1, name
            else:
                assert (differ > 0).float().mean().item() < 1e-3, name
