"""Photometric ops: torchvision v2 parity on real photos, both stages, both batch paths, properties."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from checks import as_numpy
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import batches, hwc_images, seeds

import augkit
from augkit.functional import photometric as P
from augkit.transforms.base import params_at

TF = pytest.importorskip("torchvision.transforms.v2.functional")

# Each op: augkit's kernel and torchvision v2's functional op with the same magnitude, the
# magnitudes tried (in uint8 units where they are levels), and the tolerance (max absolute
# difference) against torchvision on uint8 (levels) and on float32 images in [0, 1].
# Exact (0) wherever torchvision's kernel is integer arithmetic or its float32 steps are
# repeated operation by operation; GaussianBlur filters separably where torchvision
# convolves with the 2-D outer product, so a rounding tie may land one level apart.
OPS = {
    "invert": (lambda x, m, v: P.invert(x), lambda x, m: TF.invert(x), [None], 0, 0.0),
    "solarize": (
        lambda x, m, v: P.solarize(x, m, vectorized=v),
        lambda x, m: TF.solarize(x, float(m)),
        [0.0, 37.5, 128.0, 200.2, 255.0],
        0,
        0.0,
    ),
    "posterize": (lambda x, m, v: P.posterize(x, m), lambda x, m: TF.posterize(x, int(m)), [0, 1, 3, 5, 7, 8], 0, 0.0),
    "equalize": (lambda x, m, v: P.equalize(x, vectorized=v), lambda x, m: TF.equalize(x), [None], 0, 0.0),
    "autocontrast": (lambda x, m, v: P.autocontrast(x, vectorized=v), lambda x, m: TF.autocontrast(x), [None], 0, 0.0),
    "sharpness": (
        lambda x, m, v: P.adjust_sharpness(x, m, vectorized=v),
        lambda x, m: TF.adjust_sharpness(x, float(m)),
        [0.0, 0.3, 1.0, 1.7, 2.9],
        0,
        1e-6,
    ),
    "grayscale": (lambda x, m, v: P.rgb_to_grayscale(x, m), lambda x, m: TF.rgb_to_grayscale(x, m), [1, 3], 0, 1e-6),
    "gaussian_blur": (
        lambda x, m, v: P.gaussian_blur(x, (5, 9), m, vectorized=v),
        lambda x, m: TF.gaussian_blur(x, [5, 9], [float(m), float(m)]),
        [0.1, 0.8, 1.5, 2.0],
        1,
        1e-5,
    ),
}
#: Ops whose magnitude is in the image's units (uint8 levels; divided by 255 for floats).
LEVEL_MAGNITUDES = {"solarize"}


def chw(image: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.array(image)).permute(2, 0, 1).contiguous()


def as_float(image):
    return image.float() / 255 if isinstance(image, torch.Tensor) else image.astype(np.float32) / 255


def magnitude(op: str, value, floating: bool):
    return value / 255.0 if floating and op in LEVEL_MAGNITUDES else value


def max_diff(a, b) -> float:
    a, b = as_numpy(a).astype(np.float64), as_numpy(b).astype(np.float64)
    assert a.shape == b.shape
    return float(np.abs(a - b).max()) if a.size else 0.0


@pytest.fixture(scope="module")
def photo_batch(sample_images) -> torch.Tensor:
    """The bundled photos, centre-cropped to 160 x 200, as one uint8 batch."""
    crops = []
    for image in sample_images.values():
        top, left = (image.shape[0] - 160) // 2, (image.shape[1] - 200) // 2
        crops.append(chw(image[top : top + 160, left : left + 200]))
    return torch.stack(crops)


@pytest.mark.parametrize("dtype", ["uint8", "float32"])
@pytest.mark.parametrize("op", sorted(OPS))
def test_sample_stage_matches_torchvision_on_photos(op, dtype, sample_images):
    ours, theirs, values, tol_uint8, tol_float = OPS[op]
    floating = dtype == "float32"
    tolerance = tol_float if floating else tol_uint8
    for k, image in enumerate(sample_images.values()):
        if op == "gaussian_blur":
            image = image[:200, :240]  # torchvision's 2-D convolution is slow on full photos
        m = magnitude(op, values[k % len(values)], floating)
        hwc = as_float(image) if floating else image
        out = ours(hwc, m, None)
        assert isinstance(out, np.ndarray) and out.dtype == hwc.dtype
        expected = theirs(chw(hwc), m).permute(1, 2, 0)
        assert max_diff(out, expected) <= tolerance, f"{op} {dtype} magnitude {m}"


@pytest.mark.parametrize("vectorized", [None, True, False])
@pytest.mark.parametrize("dtype", ["uint8", "float32"])
@pytest.mark.parametrize("op", sorted(set(OPS) - {"grayscale"}))
def test_batch_stage_with_per_sample_magnitudes_matches_torchvision(op, dtype, vectorized, photo_batch):
    ours, theirs, values, tol_uint8, tol_float = OPS[op]
    floating = dtype == "float32"
    batch = as_float(photo_batch) if floating else photo_batch
    raw = [values[(k * 3 + 1) % len(values)] for k in range(batch.shape[0])]
    per_sample = None if raw[0] is None else np.array([magnitude(op, v, floating) for v in raw])
    out = ours(batch, per_sample, vectorized)
    assert out.shape == batch.shape and out.dtype == batch.dtype
    for i in range(batch.shape[0]):
        m = None if per_sample is None else per_sample[i]
        assert max_diff(out[i], theirs(batch[i], m)) <= (tol_float if floating else tol_uint8), f"{op} sample {i}"


@pytest.mark.parametrize("channels", [1, 3])
def test_grayscale_batch_matches_torchvision(channels, photo_batch):
    for batch in (photo_batch, as_float(photo_batch)):
        out = P.rgb_to_grayscale(batch, channels)
        expected = TF.rgb_to_grayscale(batch, channels)
        assert out.shape == expected.shape and out.is_contiguous()
        assert max_diff(out, expected) <= (1e-6 if batch.is_floating_point() else 0)


def test_grayscale_is_exact_on_every_colour():
    levels = torch.arange(256, dtype=torch.uint8)
    r, g, b = torch.meshgrid(levels, levels, levels, indexing="ij")
    cube = torch.stack([r.reshape(4096, 4096), g.reshape(4096, 4096), b.reshape(4096, 4096)])
    expected = TF.rgb_to_grayscale(cube)
    assert torch.equal(P.rgb_to_grayscale(cube), expected)
    assert np.array_equal(P.rgb_to_grayscale(cube.permute(1, 2, 0).numpy()), expected.permute(1, 2, 0).numpy())


def test_blur_differs_from_torchvision_only_at_rare_ties(photo_batch):
    sigma = np.linspace(0.3, 2.0, photo_batch.shape[0])
    out = P.gaussian_blur(photo_batch, 23, sigma)
    expected = torch.stack([TF.gaussian_blur(x, [23, 23], [float(s)] * 2) for x, s in zip(photo_batch, sigma)])
    diff = (out.int() - expected.int()).abs()
    assert diff.max() <= 1 and diff.float().mean() < 1e-3


# --------------------------------------------------------------------------- transforms: batch == per sample


def transforms():
    return [
        augkit.Invert(p=0.5),
        augkit.Solarize(100, p=0.5),
        augkit.Posterize(3, p=0.5),
        augkit.Equalize(p=0.5),
        augkit.AutoContrast(p=0.5),
        augkit.Sharpness(1.9, p=0.5),
        augkit.Grayscale(3),
        augkit.RandomGrayscale(p=0.5),
        augkit.GaussianBlur((7, 3), sigma=(0.1, 2.0)),
        augkit.GaussianBlur(9),
    ]


@pytest.mark.parametrize("dtype", ["uint8", "float32"])
@pytest.mark.parametrize("transform", transforms(), ids=repr)
def test_batch_equals_each_sample_in_both_stages(transform, dtype, photo_batch):
    # Exact against the sample's own [C, H, W] call and the HWC array; GaussianBlur's HWC
    # path filters interleaved channels in OpenCV, held to the contract's bounds (1 level, 1e-5).
    floating = dtype == "float32"
    batch = as_float(photo_batch) if floating else photo_batch
    if isinstance(transform, augkit.Solarize) and floating:
        transform = augkit.Solarize(0.4, p=0.5)
    out, params = transform.run(batch, np.random.default_rng(5))
    for i in range(batch.shape[0]):
        one = params_at(params, i)
        assert torch.equal(transform.apply(batch[i], one), out[i])
        hwc = transform.apply(batch[i].permute(1, 2, 0).numpy(), one)
        bound = (1e-5 if floating else 1) if isinstance(transform, augkit.GaussianBlur) else 0
        assert max_diff(hwc, out[i].permute(1, 2, 0)) <= bound


@pytest.mark.parametrize("transform", [t for t in transforms() if getattr(t, "random_apply", False)] + [augkit.GaussianBlur(5)], ids=repr)
def test_same_on_batch_draws_once(transform):
    batch = torch.randint(0, 256, (16, 3, 12, 12), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    same = type(transform)(**{**transform.config_args(), "same_on_batch": True})
    params = same.sample(np.random.default_rng(0), batch)
    values = params.sigma if isinstance(params, augkit.transforms.photometric.GaussianBlurParams) else params.applied
    assert len(np.unique(values)) == 1
    out = same(batch, rng=1)
    assert out.shape == batch.shape


def test_transforms_run_on_the_batch_stage_through_a_compose():
    batch = torch.randint(0, 256, (6, 3, 20, 20), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    pipeline = augkit.Compose([augkit.Equalize(p=0.5), augkit.Solarize(128, p=0.5), augkit.GaussianBlur(3)])
    out, params = pipeline.run(batch, np.random.default_rng(0))
    assert torch.equal(pipeline.apply(batch, params), out)
    assert torch.equal(augkit.from_config(pipeline.to_config())(batch, rng=np.random.default_rng(0)), out)


# --------------------------------------------------------------------------- the two batch paths agree

VECTORIZABLE = {
    "solarize": (lambda x, m, v: P.solarize(x, m * (255 if x.dtype == torch.uint8 else 1), vectorized=v), (0.0, 1.0)),
    "equalize": (lambda x, m, v: P.equalize(x, vectorized=v), None),
    "autocontrast": (lambda x, m, v: P.autocontrast(x, vectorized=v), None),
    "sharpness": (lambda x, m, v: P.adjust_sharpness(x, m, vectorized=v), (0.0, 3.0)),
    "gaussian_blur": (lambda x, m, v: P.gaussian_blur(x, 3, m, vectorized=v), (0.1, 3.0)),
}


@given(
    st.sampled_from(sorted(VECTORIZABLE)),
    st.sampled_from([torch.uint8, torch.float32]),
    st.integers(1, 5),
    st.integers(3, 20),
    st.integers(3, 20),
    seeds,
)
@settings(max_examples=60)
def test_vectorized_and_image_by_image_paths_agree(op, dtype, b, h, w, seed):
    generator = torch.Generator().manual_seed(seed)
    batch = torch.randint(0, 256, (b, 3, h, w), dtype=torch.uint8, generator=generator)
    batch[:, :, : h // 2] //= 16  # some flat, some narrow histograms
    if dtype == torch.float32:
        batch = batch.float() / 255
    kernel, bounds = VECTORIZABLE[op]
    values = None if bounds is None else np.random.default_rng(seed).uniform(*bounds, b)
    fast, plain = kernel(batch, values, False), kernel(batch, values, True)
    assert fast.dtype == plain.dtype == batch.dtype
    assert max_diff(fast, plain) <= (1 if op == "gaussian_blur" and dtype == torch.uint8 else 1e-6 if dtype == torch.float32 else 0)


@given(hwc_images(min_side=1, max_side=12), st.sampled_from(sorted(set(OPS) - {"gaussian_blur"})), seeds)
@settings(max_examples=60)
def test_small_and_degenerate_images_match_torchvision(image, op, seed):
    ours, theirs, values, tol_uint8, _ = OPS[op]
    image = (image // np.random.default_rng(seed).choice([1, 32, 255])).astype(np.uint8)  # flat and two-level images too
    m = values[seed % len(values)]
    assert max_diff(ours(image, m, None), theirs(chw(image), m).permute(1, 2, 0)) <= tol_uint8


# --------------------------------------------------------------------------- properties


@given(hwc_images(min_side=1, max_side=24), seeds)
def test_invert_twice_is_identity(image, seed):
    assert np.array_equal(P.invert(P.invert(image)), image)
    floats = torch.from_numpy(image).permute(2, 0, 1).float() / 255
    assert torch.allclose(P.invert(P.invert(floats)), floats, atol=1e-7, rtol=0)


@given(hwc_images(min_side=1, max_side=24), st.booleans())
def test_solarize_above_the_image_max_is_identity(image, floating):
    if floating:
        image = image.astype(np.float32) / 255
    above = float(image.max()) + (1.0 / 512 if floating else 0.5)
    assert np.array_equal(P.solarize(image, above), image)
    batch = torch.from_numpy(image).permute(2, 0, 1)[None].repeat(2, 1, 1, 1)
    for vectorized in (True, False):
        assert torch.equal(P.solarize(batch, np.array([above, above]), vectorized=vectorized), batch)


@given(batches(min_batch=1, max_batch=4, min_side=1, max_side=16), st.sampled_from([torch.uint8, torch.float32]))
def test_zero_strength_is_identity(batch, dtype):
    if dtype == torch.float32:
        batch = batch.float() / 255
    else:
        assert torch.equal(augkit.Posterize(8)(batch, rng=0), batch)  # all 8 bits kept
    assert torch.equal(augkit.Sharpness(1.0)(batch, rng=0), batch)
    for transform in (augkit.Invert, augkit.Equalize, augkit.AutoContrast, augkit.RandomGrayscale):
        assert torch.equal(transform(p=0.0)(batch, rng=0), batch)
    assert torch.equal(augkit.Solarize(0.5, p=0.0)(batch, rng=0), batch)
    assert torch.equal(augkit.RandomErasing(p=0.0)(batch, rng=0), batch)


@given(
    batches(min_batch=0, max_batch=4, min_side=5, max_side=16),
    st.sampled_from([torch.uint8, torch.float32, torch.float64]),
    st.sampled_from([t for t in transforms() if not isinstance(t, augkit.Grayscale)]),
    seeds,
)
@settings(max_examples=60)
def test_shape_dtype_and_input_kept(batch, dtype, transform, seed):
    if dtype != torch.uint8:
        batch = batch.to(dtype) / 255
        if isinstance(transform, augkit.Solarize):
            transform = augkit.Solarize(0.4, p=transform.p)
    before = batch.clone()
    out = transform(batch, rng=seed)
    assert out.shape == batch.shape and out.dtype == batch.dtype and torch.equal(batch, before)
    if batch.shape[0]:
        hwc = batch[0].permute(1, 2, 0).contiguous().numpy()
        single = transform(hwc, rng=seed)
        assert single.shape == hwc.shape and single.dtype == hwc.dtype


@given(st.integers(2, 12), st.integers(2, 12), st.integers(0, 255), st.floats(0.1, 5.0))
def test_blur_keeps_a_constant_image(h, w, level, sigma):
    image = np.full((h, w, 3), level, np.uint8)
    out = P.gaussian_blur(image, 3, sigma)
    assert np.array_equal(out, image)


@given(st.floats(0.0, 4.0), seeds)
def test_sharpness_keeps_the_border(factor, seed):
    image = np.random.default_rng(seed).integers(0, 256, (9, 7, 3), dtype=np.uint8)
    out = P.adjust_sharpness(image, factor)
    inside = np.zeros(image.shape[:2], bool)
    inside[1:-1, 1:-1] = True
    assert np.array_equal(out[~inside], image[~inside])


# --------------------------------------------------------------------------- shapes, units, errors


def test_grayscale_channels():
    image = np.random.default_rng(0).integers(0, 256, (5, 6, 3), dtype=np.uint8)
    assert augkit.Grayscale()(image).shape == (5, 6, 1)
    three = augkit.Grayscale(3)(image)
    assert three.shape == (5, 6, 3) and np.array_equal(three[..., 0], three[..., 2])
    gray = image[..., :1].copy()
    assert np.array_equal(augkit.Grayscale(3)(gray), np.repeat(gray, 3, axis=-1))
    assert np.array_equal(augkit.RandomGrayscale(p=1.0)(gray, rng=0), gray)
    batch = torch.from_numpy(image).permute(2, 0, 1)[None].repeat(2, 1, 1, 1)
    assert augkit.Grayscale()(batch).shape == (2, 1, 5, 6)
    assert augkit.RandomGrayscale(p=1.0)(batch, rng=0).shape == (2, 3, 5, 6)
    with pytest.raises(ValueError, match="1 or 3 channels, got 4"):
        augkit.Grayscale()(np.zeros((4, 4, 4), np.uint8))


def test_solarize_threshold_is_in_the_image_units():
    with pytest.raises(ValueError, match="threshold 128.0 is above the largest value of float images"):
        augkit.Solarize(128)(torch.rand(3, 4, 4), rng=0)
    with pytest.raises(ValueError, match="above the largest value of uint8 images"):
        augkit.Solarize(300)(np.zeros((4, 4, 3), np.uint8), rng=0)
    assert torch.equal(augkit.Solarize(0.0)(torch.zeros(3, 2, 2), rng=0), torch.ones(3, 2, 2))


def test_posterize_float_follows_torchvision_v2():
    x = torch.linspace(0, 1, 101).view(1, 1, 101).repeat(3, 1, 1)
    for bits in range(9):
        assert torch.equal(augkit.Posterize(bits)(x, rng=0), TF.posterize(x, bits))


def test_blur_needs_an_image_larger_than_half_the_kernel():
    with pytest.raises(ValueError, match=r"kernel_size \(9, 9\) needs an image larger than half of it, got 4x12"):
        augkit.GaussianBlur(9)(np.zeros((4, 12, 3), np.uint8), rng=0)
    assert augkit.GaussianBlur(9)(np.zeros((5, 5, 3), np.uint8), rng=0).shape == (5, 5, 3)


def test_magnitudes_per_image_must_match_the_batch():
    batch = torch.zeros(3, 3, 4, 4, dtype=torch.uint8)
    with pytest.raises(ValueError, match=r"threshold must be a number or one value per image \(shape \(3,\)\)"):
        P.solarize(batch, np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="bits must be integers in"):
        P.posterize(batch, np.array([1, 9, 2]))
    with pytest.raises(ValueError, match="sigma must be finite and > 0"):
        P.gaussian_blur(batch, 3, np.array([1.0, 0.0, 1.0]))


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: augkit.Solarize(-1), ValueError, "threshold must be >= 0"),
        (lambda: augkit.Solarize("a"), TypeError, "threshold must be a real number"),
        (lambda: augkit.Posterize(9), ValueError, "bits must be <= 8"),
        (lambda: augkit.Posterize(2.5), TypeError, "bits must be an int"),
        (lambda: augkit.Sharpness(-0.5), ValueError, "factor must be >= 0"),
        (lambda: augkit.Invert(p=1.5), ValueError, r"p must be a probability in \[0, 1\]"),
        (lambda: augkit.Equalize(p=-0.1), ValueError, "p must be a probability"),
        (lambda: augkit.AutoContrast(p=2), ValueError, "p must be a probability"),
        (lambda: augkit.RandomGrayscale(p=2), ValueError, "p must be a probability"),
        (lambda: augkit.Grayscale(2), ValueError, "num_output_channels must be 1 or 3"),
        (lambda: augkit.Grayscale(4), ValueError, "num_output_channels must be <= 3"),
        (lambda: augkit.GaussianBlur(4), ValueError, "kernel_size must be odd and positive"),
        (lambda: augkit.GaussianBlur((3, 5, 7)), ValueError, r"kernel_size must be an int or a pair \(kx, ky\)"),
        (lambda: augkit.GaussianBlur(3.0), TypeError, "kernel_size must hold ints"),
        (lambda: augkit.GaussianBlur(3, sigma=0.0), ValueError, "sigma must be > 0"),
        (lambda: augkit.GaussianBlur(3, sigma=(2.0, 1.0)), ValueError, "sigma must have low <= high"),
    ],
)
def test_arguments_validated_at_construction(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_pixel_transforms_are_refused_after_normalize():
    normalize = augkit.Normalize(augkit.constants.IMAGENET_MEAN, augkit.constants.IMAGENET_STD)
    for transform in transforms():
        assert transform.pixel_input
        with pytest.raises(ValueError, match=f"{type(transform).__name__} after Normalize"):
            augkit.Compose([normalize, transform])
    assert not augkit.RandomErasing.pixel_input
    augkit.Compose([normalize, augkit.RandomErasing(mode="pixel")])  # erasing belongs after Normalize


def test_photometric_transforms_leave_targets_alone():
    image = np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    boxes = augkit.Boxes(np.array([[1, 2, 8, 9]], np.float32))
    mask = np.zeros((16, 16), np.uint8)
    sample = augkit.Sample(image, label=3, mask=mask, boxes=boxes)
    for transform in [*transforms(), augkit.RandomErasing(p=1.0)]:
        out = transform(sample, rng=0)
        assert out.mask is mask and out.boxes is boxes and out.label == 3
