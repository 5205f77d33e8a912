"""Every public kernel of ``augkit.functional`` keeps the kernel rule (see ``kernel_checks.py``).

``KERNELS`` has one or more cases per image kernel; ``HELPERS`` lists the public functions that
take no image (parameter and window helpers), each with the test that covers it. A new public
function in ``augkit.functional`` fails ``test_every_public_kernel_has_a_check`` until it is
added to one of them. Private helpers (``augkit.functional._sampling``, names starting with ``_``)
are covered by the tests of the kernels that use them.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import numpy as np
import pytest
import torch
from kernel_checks import HEIGHT, WIDTH, KernelCase, check_array_kernel, check_cuda_equals_cpu, check_tensor_kernel

import augkit.functional
from augkit import constants
from augkit.functional import color as C
from augkit.functional import erasing as E
from augkit.functional import geometry as G
from augkit.functional import mix as M
from augkit.functional import normalization as N
from augkit.functional import photometric as P
from augkit.functional import policy_ops as PO
from augkit.functional import views as V
from augkit.functional import warping as A
from augkit.functional import whitening as W

MEAN, STD = np.array(constants.IMAGENET_MEAN), np.array(constants.IMAGENET_STD)
COV = np.array(((0.052, 0.046, 0.042), (0.046, 0.050, 0.048), (0.042, 0.048, 0.058)))
MEAN_IMAGE = np.random.default_rng(5).uniform(0.2, 0.8, (HEIGHT, WIDTH, 3))


def _is_uint8(image) -> bool:
    return image.dtype in (np.uint8, torch.uint8)


def _factors(low: float, high: float):
    return lambda rng, leading: rng.uniform(low, high, leading)


def _jitter_params(rng, leading):
    return {
        "brightness": rng.uniform(0.6, 1.4, leading),
        "contrast": rng.uniform(0.6, 1.4, leading),
        "saturation": rng.uniform(0.0, 2.0, leading),
        "hue": rng.uniform(-0.1, 0.1, leading),
        "order": np.argsort(rng.random(leading + (4,)), axis=-1),
    }


def _boxes(rng, leading):
    top, left = rng.integers(-2, HEIGHT, leading), rng.integers(-2, WIDTH, leading)
    bottom, right = top + rng.integers(0, 8, leading), left + rng.integers(0, 9, leading)
    clip = lambda v, n: np.clip(v, 0, n)  # noqa: E731
    return clip(top, HEIGHT), clip(left, WIDTH), clip(bottom, HEIGHT), clip(right, WIDTH)


def _erase(use_mask):
    def run(image, boxes):
        fill = 7 if _is_uint8(image) else 0.25
        return E.erase(image, *boxes, fill, use_mask=use_mask) if isinstance(image, torch.Tensor) else E.erase(image, *boxes, fill)

    return run


def _box_ints(rng, leading):
    """One box per image, as ints for a single image (``erase`` on a ``[C, H, W]`` tensor takes ints)."""
    boxes = _boxes(rng, leading)
    return tuple(int(v) for v in boxes) if leading == () else boxes


def _mix_params(paste_all: bool):
    def draw(rng, leading):
        (size,) = leading
        top, left, bottom, right = _boxes(rng, leading)
        paste = np.ones(size, bool) if paste_all else rng.random(size) < 0.5
        return rng.uniform(0.0, 1.0, size), paste, top, left, bottom, right

    return draw


def _plan_and_region(image):
    plan = G._resize_crop_plan(image.shape[:2], (20, 25), 3, 4, 10, 12, True, image.dtype, image.shape[2])
    return G._resize_crop_region(image[plan.rows, plan.cols], plan)


def _views(image):
    out = np.empty((10, image.shape[2], 6, 8), image.dtype)
    V.write_views(out, image, V.five_crop_windows(HEIGHT, WIDTH, (6, 8), (3, 4)), (6, 8), "horizontal")
    return out


def P_erase_boxes(images, boxes):
    """One box per image (top, left, height, width), erased with a constant."""
    top, left, height, width = (boxes[:, k] for k in range(4))
    return E.erase_boxes(images, top, left, height + 1, width + 1, 0.5 if images.is_floating_point() else 9)


def _identity_theta(images):
    theta = torch.zeros(images.shape[0], 2, 3, dtype=torch.float32 if not images.is_floating_point() else images.dtype)
    theta[:, 0, 0] = theta[:, 1, 1] = 1
    return theta


def _crop_origins(rng, leading):
    """Per-sample window origins, some outside the image (padded with the fill)."""
    return rng.integers(-3, HEIGHT - 2, leading), rng.integers(-3, WIDTH - 3, leading)


def _hwc_shape(height, width):
    return lambda shape: (height, width, shape[2])


FLOAT32 = np.float32
#: Image kernels: name -> case (``name[variant]`` for further cases of the same kernel).
KERNELS: dict[str, KernelCase] = {
    "geometry.crop": KernelCase(lambda x, p: G.crop(x, -2, 3, 8, 10, fill=0), takes=("array",), shape=_hwc_shape(8, 10)),
    "geometry.crop[view]": KernelCase(lambda x, p: G.crop(x, 2, 3, 8, 10), takes=("array",), shape=_hwc_shape(8, 10)),
    "geometry.resize": KernelCase(lambda x, p: G.resize(x, (7, 9)), takes=("array",), shape=_hwc_shape(7, 9)),
    "geometry.resize[width 1]": KernelCase(lambda x, p: G.resize(x, (20, 1)), takes=("array",), shape=_hwc_shape(20, 1)),
    "geometry.resize_crop": KernelCase(lambda x, p: G.resize_crop(x, (20, 25), 3, 4, 10, 12), takes=("array",), shape=_hwc_shape(10, 12)),
    "geometry._resize_crop_region": KernelCase(lambda x, p: _plan_and_region(x), takes=("array",), shape=_hwc_shape(10, 12)),
    "geometry.hflip": KernelCase(lambda x, p: G.hflip(x)),
    "geometry.vflip": KernelCase(lambda x, p: G.vflip(x)),
    "geometry.flip_where": KernelCase(lambda x, p: G.flip_where(x, p, -1), lambda rng, leading: rng.random(leading) < 0.5, ("tensor",)),
    "geometry.flip_where[vertical]": KernelCase(
        lambda x, p: G.flip_where(x, p, -2), lambda rng, leading: rng.random(leading) < 0.5, ("tensor",)
    ),
    "normalization.normalize": KernelCase(lambda x, p: N.normalize(x, MEAN, STD), out_dtype=FLOAT32),
    "normalization.subtract_mean_image": KernelCase(lambda x, p: N.subtract_mean_image(x, MEAN_IMAGE), out_dtype=FLOAT32),
    "normalization.denormalize": KernelCase(lambda x, p: N.denormalize(x, MEAN, STD), dtypes=(FLOAT32,), out_dtype=FLOAT32),
    "whitening.whiten": KernelCase(lambda x, p: W.whiten(x, MEAN, W.whitening_matrix(COV)), out_dtype=FLOAT32, cuda_atol=1e-5),
    "color.color_jitter": KernelCase(lambda x, p: C.color_jitter(x, **p), _jitter_params, cuda_atol=1.0),
    "color.color_jitter[vectorized]": KernelCase(
        lambda x, p: C.color_jitter(x, **p, vectorized=True), _jitter_params, ("tensor",), cuda_atol=1.0
    ),
    "color.adjust_brightness": KernelCase(lambda x, p: C.adjust_brightness(x, p), _factors(0.0, 2.5), cuda_atol=1.0),
    "color.adjust_contrast": KernelCase(lambda x, p: C.adjust_contrast(x, p), _factors(0.0, 2.5), cuda_atol=1.0),
    "color.adjust_saturation": KernelCase(lambda x, p: C.adjust_saturation(x, p), _factors(0.0, 2.5), cuda_atol=1.0),
    "color.adjust_hue": KernelCase(lambda x, p: C.adjust_hue(x, p), _factors(-0.5, 0.5), cuda_atol=1.0),
    "color.add_offset": KernelCase(lambda x, p: C.add_offset(x, p), lambda rng, leading: rng.uniform(-0.2, 0.2, leading + (3,))),
    "erasing.erase": KernelCase(_erase(None), _box_ints),
    "erasing.erase[mask]": KernelCase(_erase(True), _box_ints, ("tensor",)),
    "mix.mix_images": KernelCase(lambda x, p: M.mix_images(x, *p), _mix_params(False), ("batch",), dtypes=(FLOAT32,), cuda_atol=1e-6),
    "mix.mix_images[paste]": KernelCase(lambda x, p: M.mix_images(x, *p), _mix_params(True), ("batch",)),
    "mix.mix_images[vectorized]": KernelCase(
        lambda x, p: M.mix_images(x, *p, vectorized=True), _mix_params(False), ("batch",), dtypes=(FLOAT32,), cuda_atol=1e-6
    ),
    "views.write_views": KernelCase(lambda x, p: _views(x), takes=("array",), shape=lambda shape: (10, shape[2], 6, 8)),
    "photometric.invert": KernelCase(lambda x, p: P.invert(x)),
    "photometric.solarize": KernelCase(
        lambda x, p: P.solarize(x, p * (255 if _is_uint8(x) else 1)), lambda rng, leading: rng.uniform(0.2, 0.9, leading)
    ),
    "photometric.posterize": KernelCase(lambda x, p: P.posterize(x, p), lambda rng, leading: rng.integers(1, 9, leading)),
    "photometric.equalize": KernelCase(lambda x, p: P.equalize(x), dtypes=(np.uint8,)),
    "photometric.equalize[vectorized]": KernelCase(lambda x, p: P.equalize(x, vectorized=True), takes=("tensor",), dtypes=(np.uint8,)),
    "photometric.autocontrast": KernelCase(lambda x, p: P.autocontrast(x)),
    "photometric.autocontrast[vectorized]": KernelCase(lambda x, p: P.autocontrast(x, vectorized=True), takes=("tensor",)),
    "photometric.adjust_sharpness": KernelCase(lambda x, p: P.adjust_sharpness(x, p), _factors(0.0, 3.0), atol=1e-6, cuda_atol=1.0),
    "photometric.rgb_to_grayscale": KernelCase(lambda x, p: P.rgb_to_grayscale(x, 3), atol=0.0, cuda_atol=1e-6),
    "photometric.gaussian_blur": KernelCase(lambda x, p: P.gaussian_blur(x, 5, p), _factors(0.5, 2.0), atol=1e-6, cuda_atol=1.0),
    "erasing.erase_boxes": KernelCase(
        lambda x, p: P_erase_boxes(x, p), lambda rng, leading: rng.integers(0, 4, leading + (4,)), takes=("batch",)
    ),
    "warping.affine": KernelCase(
        lambda x, p: A.affine(x, p, (2, -1), 1.1, (5.0, 0.0), "nearest", 3), lambda rng, leading: rng.uniform(-30, 30, leading)
    ),
    "warping.affine[bilinear]": KernelCase(
        lambda x, p: A.affine(x, p, (0, 0), 0.9, (0.0, 0.0), "bilinear", 0),
        lambda rng, leading: rng.uniform(-30, 30, leading),
        atol=1e-5,
        cuda_atol=1.0,
    ),
    "warping.rotate": KernelCase(lambda x, p: A.rotate(x, p, "nearest"), lambda rng, leading: rng.uniform(0, 360, leading)),
    "warping.perspective": KernelCase(lambda x, p: A.perspective(x, [1.0, 0.05, -1.0, 0.02, 1.0, 0.5, 1e-4, 2e-4], "nearest", 0)),
    "warping.warp": KernelCase(
        lambda x, p: A.warp(x, A.affine_grid(_identity_theta(x), x.shape[-2:], x.shape[-2:]), "nearest"), takes=("batch",)
    ),
    "policy_ops.photometric": KernelCase(lambda x, p: PO.photometric("Contrast", x, p), _factors(0.2, 1.8), cuda_atol=1.0),
    "policy_ops.photometric[posterize]": KernelCase(
        lambda x, p: PO.photometric("Posterize", x, p), lambda rng, leading: rng.integers(0, 9, leading), dtypes=(np.uint8,)
    ),
    "policy_ops.solarize_add": KernelCase(
        lambda x, p: PO.solarize_add(x, p), lambda rng, leading: rng.integers(0, 110, leading), ("array", "batch"), atol=1e-6
    ),
    "policy_ops.shift": KernelCase(
        lambda x, p: PO.shift(x, p[0], p[1], 3),
        lambda rng, leading: (rng.integers(-6, 7, leading), rng.integers(-6, 7, leading)),
        ("array", "batch"),
    ),
    "policy_ops.augmix_blend": KernelCase(
        lambda x, p: PO.augmix_blend(x, [P.invert(x), P.posterize(x, 3) if _is_uint8(x) else x * 0.5], p[0], p[1]),
        lambda rng, leading: (rng.uniform(0.2, 0.8, leading), rng.uniform(0.0, 0.4, leading + (2,))),
        ("array", "batch"),
        atol=1e-6,
        cuda_atol=1.0,
    ),
    "geometry.crop_batch": KernelCase(
        lambda x, p: G.crop_batch(x, *p, 6, 8, fill=3), _crop_origins, ("batch",), shape=lambda shape: (*shape[:-2], 6, 8)
    ),
}

#: Public functions that take no image, and where they are tested.
HELPERS: dict[str, str] = {
    "geometry.shorter_side_size": "a size computation: tests/test_geometry.py",
    "color.pca_lighting_offset": "an offset from eigenvalues: tests/test_color.py",
    "erasing.cutout_box": "a box from a centre: tests/test_erase.py",
    "erasing.check_fill": "an argument check: tests/test_erase.py",
    "erasing.box_mask": "a mask from boxes: tests/test_erase.py",
    "mix.cutmix_box": "a box from a lambda: tests/test_mix.py",
    "mix.soft_targets": "targets, not images: test_target_kernels_take_empty_batches below, tests/test_mix.py",
    "mix.mix_targets": "targets, not images: test_target_kernels_take_empty_batches below, tests/test_mix.py",
    "views.five_crop_windows": "window positions: tests/test_tta.py",
    "policy_ops.take_rows": "rows of a batch (the policies' grouping): tests/test_policies.py, batch == sample stage per sample",
    "policy_ops.fill_row": "fill values in a dtype: tests/test_policy_rows.py",
    "policy_ops.pointwise_table": "a lookup table: tests/test_policy_rows.py, equal to the batch kernels",
    "policy_ops.solarize_add_table": "a lookup table: tests/test_policies.py (PIL's table)",
    "photometric.solarize_table": "a lookup table: tests/test_photometric.py (solarize)",
    "policy_ops.shift_into": "one row into a given array: tests/test_policy_rows.py, equal to the batch shift",
    "policy_rows.supported": "which batches the row kernels take: tests/test_policy_rows.py",
    "policy_rows.photometric_into": "rows into given arrays: tests/test_policy_rows.py, equal to the batch kernels",
    "color.jitter_planes_into": "one row into a given array: tests/test_policy_rows.py, tests/test_color.py (the batch path)",
    "photometric.equalize_tables": "lookup tables of planes: tests/test_policy_rows.py, tests/test_photometric.py (equalize)",
    "photometric.autocontrast_tables": "lookup tables of planes: tests/test_policy_rows.py, tests/test_photometric.py (autocontrast)",
    "photometric.sharpen_into": "planes into given arrays: tests/test_policy_rows.py, tests/test_sharpness_native.py",
    "warping.affine_into": "rows into given arrays: tests/test_policy_rows.py, equal to the batch affine",
    "warping.rotate_into": "rows into given arrays: tests/test_policy_rows.py, equal to the batch rotate",
    "views.mirror_window": "a window position: tests/test_tta.py",
    "whitening.whitening_matrix": "a matrix from a covariance: tests/test_normalize.py",
    "normalization.peak_value": "the value of white per dtype: tests/test_decode_modes.py",
    "photometric.check_kernel_size": "an argument check: tests/test_photometric.py",
    "warping.affine_grid": "a sampling grid from matrices: tests/test_affine.py",
    "warping.affine_matrix": "a matrix from angles: tests/test_affine.py",
    "warping.check_interpolation": "an argument check: tests/test_affine.py",
    "warping.inverse_perspective": "coefficients: tests/test_affine.py",
    "warping.perspective_coefficients": "coefficients from points: tests/test_affine.py",
    "warping.perspective_grid": "a sampling grid: tests/test_affine.py",
    "warping.perspective_startpoints": "corner points: tests/test_affine.py",
    "warping.rotated_size": "a size computation: tests/test_affine.py",
    "warping.shear_degrees": "an argument conversion: tests/test_affine.py",
    "targets.affine_boxes": "boxes, not images: tests/test_affine.py",
    "targets.affine_keypoints": "keypoints, not images: tests/test_affine.py",
    "targets.affine_mask": "masks (no channel axis): tests/test_affine.py",
    "targets.perspective_boxes": "boxes, not images: tests/test_affine.py",
    "targets.perspective_keypoints": "keypoints, not images: tests/test_affine.py",
    "targets.perspective_mask": "masks (no channel axis): tests/test_affine.py",
    "targets.rotate_mask": "masks (no channel axis): tests/test_affine.py",
    "targets.rotation_offset": "a canvas shift: tests/test_affine.py",
    "targets.target_affine_matrix": "a point matrix: tests/test_affine.py",
    "photometric.gaussian_kernels": "1-D kernels from sigmas: tests/test_photometric.py",
    "erasing.erasing_box_sizes": "box sizes from areas and aspects: tests/test_erase.py",
    "targets.mask_size": "a mask's size: tests/test_targets.py",
    "targets.flip_mask": "masks (no channel axis): tests/test_targets.py",
    "targets.crop_mask": "masks (no channel axis): tests/test_targets.py",
    "targets.resize_mask": "masks (no channel axis): tests/test_targets.py",
    "targets.resized_crop_mask": "masks (no channel axis): tests/test_targets.py",
    "targets.resize_crop_mask": "masks (no channel axis): tests/test_mask_resize.py",
    "targets.flip_boxes": "boxes, not images: tests/test_targets.py",
    "targets.crop_boxes": "boxes, not images: tests/test_targets.py",
    "targets.resize_boxes": "boxes, not images: tests/test_targets.py",
    "targets.flip_keypoints": "keypoints, not images: tests/test_targets.py",
    "targets.crop_keypoints": "keypoints, not images: tests/test_targets.py",
    "targets.resize_keypoints": "keypoints, not images: tests/test_targets.py",
    "targets.filter_boxes": "boxes, not images: tests/test_targets.py, tests/test_box_filter.py",
}


def public_functions() -> list[str]:
    """``module.name`` of every public function defined in an ``augkit.functional`` module."""
    names = []
    for info in pkgutil.iter_modules(augkit.functional.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"augkit.functional.{info.name}")
        for name, value in vars(module).items():
            if not name.startswith("_") and inspect.isfunction(value) and value.__module__ == module.__name__:
                names.append(f"{info.name}.{name}")
    return sorted(names)


def test_every_public_kernel_has_a_check():
    checked = {name.split("[")[0] for name in KERNELS} | set(HELPERS)
    missing = [name for name in public_functions() if name not in checked]
    assert not missing, f"add a KernelCase (or a HELPERS entry) in tests/test_kernels.py for: {missing}"
    # A private kernel may keep its case (the fused resize-crop's ``geometry._resize_crop_region``).
    stale = sorted(name for name in checked - set(public_functions()) if not name.split(".", 1)[1].startswith("_"))
    assert not stale, f"tests/test_kernels.py lists functions that are not public kernels: {stale}"


def _cases(kind: str):
    return [
        pytest.param(name, dtype, id=f"{name}-{np.dtype(dtype).name}")
        for name, case in sorted(KERNELS.items())
        for dtype in case.dtypes
        if kind in case.takes or (kind == "tensor" and "batch" in case.takes)
    ]


@pytest.mark.parametrize(("name", "dtype"), _cases("tensor"))
def test_tensor_kernel(name, dtype):
    check_tensor_kernel(KERNELS[name], dtype)


@pytest.mark.parametrize(("name", "dtype"), _cases("array"))
def test_array_kernel(name, dtype):
    check_array_kernel(KERNELS[name], dtype)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize(("name", "dtype"), _cases("tensor"))
def test_cuda_equals_cpu(name, dtype):
    check_tensor_kernel(KERNELS[name], dtype, device="cuda")
    check_cuda_equals_cpu(KERNELS[name], dtype)


def test_mix_images_refuses_a_single_image():
    with pytest.raises(ValueError, match=r"\[B, C, H, W\]"):
        M.mix_images(torch.zeros(3, 4, 4), [1.0], [False], [0], [0], [0], [0])


def test_per_sample_parameters_of_the_wrong_shape_are_refused_by_name():
    batch = torch.zeros(4, 3, 5, 5, dtype=torch.uint8)
    with pytest.raises(ValueError, match=r"brightness must have shape \(\) or \(4,\)"):
        C.adjust_brightness(batch, np.ones(3))
    with pytest.raises(ValueError, match=r"offset must have shape \(3,\) or \(4, 3\)"):
        C.add_offset(batch, np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"mask must have shape"):
        G.flip_where(batch, np.ones(5, bool), -1)


@pytest.mark.parametrize("batch", [0, 3])
def test_target_kernels_take_empty_batches(batch):
    labels = torch.arange(batch) % 4
    targets = M.soft_targets(labels, 4, 0.1)
    assert targets.shape == (batch, 4) and targets.dtype == torch.float32
    before, version = targets.clone(), targets._version
    mixed = M.mix_targets(targets, np.linspace(0.2, 0.9, batch))
    assert mixed.shape == (batch, 4) and torch.equal(targets, before) and targets._version == version
