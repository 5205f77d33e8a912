"""The C ColorJitter kernel ``augkit._color``: bit-exact with torchvision, wired into the uint8 paths.

Skipped only where the extension is not built (an install without a compiler); CI builds it.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import hwc_images

import augkit
from augkit.functional import color as C
from augkit.transforms.base import params_at

native = pytest.importorskip("augkit._color")
tvf = pytest.importorskip("torchvision.transforms.v2.functional")

NAMES = ("brightness", "contrast", "saturation", "hue")
#: Factors including the exactness fallbacks: 1 + 1e-9 (saturation's libm fma path), 0, large.
FACTORS = {
    "brightness": (0.0, 0.5, 1.3, 2.0, 1 + 1e-9, 7.5, 1e7),
    "contrast": (0.0, 0.5, 1.3, 2.0, 1 + 1e-9, 9.0),
    "saturation": (0.0, 0.5, 1.3, 2.0, 1 + 1e-9, 9.0),
    "hue": (-0.5, -0.23, -1e-8, 1e-8, 0.1, 0.41, 0.5),
}
#: Max |native - OpenCV path| measured per op (the OpenCV path is within 1 level of torchvision, hue 2).
OPENCV_GAP = {"brightness": 0, "contrast": 1, "saturation": 1, "hue": 2}


def _chw(image: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).contiguous()


def _hwc(tensor: torch.Tensor) -> np.ndarray:
    return tensor.permute(1, 2, 0).numpy()


def _run(image, factors, order, planar=False):
    out = np.empty_like(image)
    native.jitter(image, out, *factors, order, planar=planar)
    return out


def _one(op: int, factor):
    factors = [None] * 4
    factors[op] = factor
    return factors


#: The kernel's passes: the AVX2 + FMA one (where the CPU has it) and the portable one.
PATHS = [True, False] if native._simd() else [False]


@pytest.fixture(params=PATHS, ids=lambda simd: "avx2" if simd else "portable")
def simd(request):
    """Runs a test with the kernel switched to one pass, restoring the default after."""
    default = native._simd()
    native._simd(request.param)
    yield request.param
    native._simd(default)


@pytest.fixture(scope="module")
def colour_cube() -> np.ndarray:
    """Every 3rd level of each channel plus the extremes: 87^3 colours as a 261 x 2523 image."""
    levels = np.unique(np.r_[np.arange(0, 256, 3), [1, 254, 255]]).astype(np.uint8)
    r, g, b = np.meshgrid(levels, levels, levels, indexing="ij")
    return np.stack([r.ravel(), g.ravel(), b.ravel()], -1).reshape(levels.size, -1, 3)


@pytest.fixture(scope="module")
def photos(sample_images) -> list[np.ndarray]:
    return [np.ascontiguousarray(im[:160, :200, :3]) for im in sample_images.values() if im.ndim == 3 and im.shape[2] >= 3]


@pytest.mark.parametrize("op", range(4), ids=NAMES)
def test_each_op_equals_torchvision_exactly(op, colour_cube, photos, simd):
    name = NAMES[op]
    reference = getattr(tvf, f"adjust_{name}")
    random = np.random.default_rng(op).uniform(*((-0.5, 0.5) if name == "hue" else (0.0, 2.0)), 4)
    for image in [colour_cube, *photos]:
        tensor = _chw(image)
        for factor in [*FACTORS[name], *random.tolist()]:
            expected = _hwc(reference(tensor, factor))
            np.testing.assert_array_equal(_run(image, _one(op, factor), (op,)), expected, err_msg=f"{name} {factor}")


def test_chain_equals_torchvision_color_jitter_exactly(photos, simd):
    v2 = pytest.importorskip("torchvision.transforms.v2")
    torch.manual_seed(0)
    for strength in ((0.4, 0.4, 0.4, 0.1), (0.9, 0.9, 0.9, 0.5)):
        tv = v2.ColorJitter(*strength)
        for image in photos:
            for _ in range(6):
                p = tv.make_params([])
                expected = _hwc(tv.transform(_chw(image), p))
                factors = (p["brightness_factor"], p["contrast_factor"], p["saturation_factor"], p["hue_factor"])
                order = [int(i) for i in p["fn_idx"]]
                np.testing.assert_array_equal(C.color_jitter(image, *factors, order), expected)


def test_functional_uint8_paths_use_the_kernel(photo):
    assert C._native is native
    image = np.ascontiguousarray(photo[:40, :50])
    factors, order = (1.2, 0.7, 1.4, 0.2), (3, 1, 0, 2)
    expected = _run(image, factors, order)
    assert np.array_equal(C.color_jitter(image, *factors, order), expected)
    batch = _chw(image)[None]
    assert np.array_equal(_hwc(C.color_jitter(batch, *factors, order)[0]), expected)


@pytest.mark.parametrize("op", range(4), ids=NAMES)
def test_agreement_with_the_opencv_path(op, photos):
    """Per op the OpenCV fallback is within OPENCV_GAP of the kernel (so of torchvision)."""
    for image in photos:
        for factor in FACTORS[NAMES[op]][:4]:
            ours = _run(image, _one(op, factor), (op,))
            fallback = C._jitter_uint8_hwc_opencv(image, _one(op, factor), (op,))
            assert np.abs(ours.astype(int) - fallback).max() <= OPENCV_GAP[NAMES[op]], (NAMES[op], factor)


def test_chained_agreement_with_the_opencv_path(photos):
    jitter = augkit.ColorJitter(0.4, 0.4, 0.4, 0.1)
    rng = np.random.default_rng(0)
    gaps, differing, total = 0, 0, 0
    for image in photos:
        for _ in range(5):
            p = jitter.sample(rng, image)
            factors = (p.brightness, p.contrast, p.saturation, p.hue)
            gap = np.abs(_run(image, factors, p.order).astype(int) - C._jitter_uint8_hwc_opencv(image, factors, p.order))
            gaps, differing, total = max(gaps, gap.max()), differing + (gap > 0).sum(), total + gap.size
    # Measured: max 5, 0.6% of values differing (four ops, each within 1-2 levels).
    assert gaps <= 6 and differing / total < 0.01


def test_batch_equals_per_sample(photos):
    images = [im[:48, :64] for im in photos[:4]]
    batch = torch.stack([_chw(im) for im in images])
    jitter = augkit.ColorJitter(0.5, 0.5, 0.5, 0.2)
    for seed in range(3):
        out, params = jitter.run(batch, np.random.default_rng(seed))
        for i, image in enumerate(images):
            one = params_at(params, i)
            assert np.array_equal(_hwc(out[i]), jitter.apply(image.copy(), one))
            assert torch.equal(out[i], jitter.apply(batch[i], one))


def test_planar_equals_interleaved(photo, simd):
    image = np.ascontiguousarray(photo[:33, :47])
    for order in ((0, 1, 2, 3), (3, 2, 1, 0), (2, 1)):
        hwc = _run(image, (1.3, 0.6, 1.7, -0.3), order)
        planes = _run(np.ascontiguousarray(image.transpose(2, 0, 1)), (1.3, 0.6, 1.7, -0.3), order, planar=True)
        assert np.array_equal(planes.transpose(1, 2, 0), hwc)


@settings(max_examples=30)
@given(image=hwc_images(max_side=40), op=st.integers(0, 3))
def test_neutral_factors_and_none_are_identity(image, op):
    assert np.array_equal(_run(image, _one(op, C.NEUTRAL[op]), (op,)), image)
    assert np.array_equal(_run(image, (None,) * 4, (0, 1, 2, 3)), image)
    assert np.array_equal(_run(image, C.NEUTRAL, (3, 2, 1, 0)), image)


@settings(max_examples=30)
@given(image=hwc_images(max_side=40), seed=st.integers(0, 2**32 - 1))
def test_input_is_never_modified_and_odd_shapes_match_torchvision(image, seed):
    """Any size (1x1, 1xN, Nx1 included) equals torchvision's chain; the input is left alone."""
    rng = np.random.default_rng(seed)
    factors = (*rng.uniform(0.0, 2.0, 3).tolist(), float(rng.uniform(-0.5, 0.5)))
    order = tuple(int(i) for i in rng.permutation(4))
    before = image.copy()
    expected = _chw(image)
    for op in order:
        expected = getattr(tvf, f"adjust_{NAMES[op]}")(expected, factors[op])
    default = native._simd()
    try:
        for simd in PATHS:
            native._simd(simd)
            out = C.color_jitter(image, *factors, order)
            assert np.array_equal(image, before)
            assert np.array_equal(out, _hwc(expected)), simd
    finally:
        native._simd(default)


def test_in_place_and_repeated_ops(simd):
    image = np.random.default_rng(0).integers(0, 256, (9, 13, 3), dtype=np.uint8)
    expected = _run(_run(image, _one(1, 0.7), (1,)), (1.2, 0.7, None, None), (0, 1))
    assert np.array_equal(_run(image, (1.2, 0.7, None, None), (1, 0, 1)), expected)
    work = image.copy()
    native.jitter(work, work, 1.2, 0.7, 1.4, 0.1, (1, 3, 0, 2))
    assert np.array_equal(work, _run(image, (1.2, 0.7, 1.4, 0.1), (1, 3, 0, 2)))


def test_hue_shift_is_taken_modulo_one():
    image = np.random.default_rng(1).integers(0, 256, (8, 8, 3), dtype=np.uint8)
    assert np.array_equal(_run(image, _one(3, 1.5), (3,)), _run(image, _one(3, 0.5), (3,)))


def test_non_contiguous_input_is_handled_by_the_functional_api(photo):
    view = photo[10:40:2, 5:60:3]
    assert not view.flags.c_contiguous
    expected = _run(np.ascontiguousarray(view), (1.1, 0.8, 1.3, 0.05), (0, 1, 2, 3))
    assert np.array_equal(C.color_jitter(view, 1.1, 0.8, 1.3, 0.05, (0, 1, 2, 3)), expected)


@pytest.mark.parametrize(
    "image, out, order, message",
    [
        (np.zeros((4, 6, 3), np.uint8)[:, ::2], np.zeros((4, 3, 3), np.uint8), (0,), "image must be a C-contiguous"),
        (np.zeros((4, 4, 3), np.uint8), np.zeros((4, 4, 3), np.uint8)[::-1], (0,), "out must be"),
        (np.zeros((4, 4, 3), np.float32), np.zeros((4, 4, 3), np.float32), (0,), "image must be a 3-dimensional uint8"),
        (np.zeros((4, 4, 4), np.uint8), np.zeros((4, 4, 4), np.uint8), (0,), "image must have 3 channels"),
        (np.zeros((4, 4, 3), np.uint8), np.zeros((4, 5, 3), np.uint8), (0,), "out must have the shape of image"),
        (np.zeros((4, 4, 3), np.uint8), np.zeros((4, 4, 3), np.uint8), (4,), "order entries must be 0..3"),
        (np.zeros((4, 4, 3), np.uint8), np.zeros((4, 4, 3), np.uint8), 3, "order must be a sequence"),
    ],
)
def test_bad_arguments_are_refused_by_name(image, out, order, message):
    with pytest.raises((ValueError, TypeError), match=message):
        native.jitter(image, out, 1.5, None, None, None, order)


@pytest.mark.skipif(len(PATHS) < 2, reason="the CPU has no AVX2 + FMA: one pass only")
def test_vector_pass_equals_portable_pass_on_every_small_length():
    """The vector pass's tail handling (its last pixels go through padded copies): 1..70 pixels,
    interleaved, planar and in place, each chain equals the portable pass."""
    rng = np.random.default_rng(5)
    default = native._simd()
    try:
        for pixels in range(1, 71):
            image = rng.integers(0, 256, (1, pixels, 3), dtype=np.uint8)
            factors = (*rng.uniform(0.3, 1.8, 3).tolist(), float(rng.uniform(-0.5, 0.5)))
            order = tuple(int(i) for i in rng.permutation(4))
            results = []
            for simd in (True, False):
                native._simd(simd)
                planes = _run(np.ascontiguousarray(image.transpose(2, 0, 1)), factors, order, planar=True)
                work = image.copy()
                native.jitter(work, work, *factors, order)
                results.append((_run(image, factors, order), planes.transpose(1, 2, 0), work))
            for fast, portable in zip(*results):
                np.testing.assert_array_equal(fast, portable, err_msg=f"{pixels} pixels")
    finally:
        native._simd(default)
