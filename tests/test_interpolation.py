"""Interpolation on the resizing transforms, ``Resize(max_size=)`` and the crops' padding modes.

Tolerances: bicubic and nearest resizes equal torchvision v2's exactly on uint8 (bicubic:
torch's antialiased uint8 kernel, as torchvision uses on CPU), bicubic within 1e-5 on
float32, nearest exact on any dtype; padded crops equal torchvision's ``pad`` + ``crop``
exactly (images and masks).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from strategies import hwc_images, seeds

import augkit
from augkit.encoded import EncodedJpeg, open_image
from augkit.functional import _sampling as S
from augkit.functional import geometry as G
from augkit.transforms.geometry import ResizedCropParams, ResizeParams, ScaleParams

torchvision = pytest.importorskip("torchvision")
from torchvision.transforms.v2 import InterpolationMode  # noqa: E402
from torchvision.transforms.v2 import functional as TF  # noqa: E402

MODES = {"bilinear": InterpolationMode.BILINEAR, "bicubic": InterpolationMode.BICUBIC, "nearest": InterpolationMode.NEAREST}


def to_chw(image: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.array(image)).permute(2, 0, 1).contiguous()


def max_diff(ours: np.ndarray, theirs: torch.Tensor) -> float:
    assert ours.shape == tuple(theirs.permute(1, 2, 0).shape)
    return float(np.abs(ours.astype(np.float64) - theirs.permute(1, 2, 0).double().numpy()).max())


@pytest.fixture(scope="module")
def photos(sample_images) -> list[np.ndarray]:
    """Four sample photos (whole) for the resize comparisons."""
    return [sample_images[name] for name in ("china.jpg", "chelsea.png", "coffee.png", "rocket.jpg")]


# --- resize kernels against torchvision -----------------------------------------------------


@pytest.mark.parametrize("interpolation", ["bicubic", "nearest"])
def test_resize_equals_torchvision_on_photos(photos, interpolation):
    worst = {"uint8": 0.0, "float32": 0.0}
    for photo in photos:
        for size in ((224, 224), (97, 333), (500, 719)):  # down, anisotropic, up
            for dtype in worst:
                image = photo if dtype == "uint8" else photo.astype(np.float32) / 255
                ours = augkit.Resize(size=size, interpolation=interpolation)(image)
                theirs = TF.resize(to_chw(image), list(size), interpolation=MODES[interpolation], antialias=True)
                assert ours.dtype == image.dtype
                worst[dtype] = max(worst[dtype], max_diff(ours, theirs))
    assert worst["uint8"] == 0.0, worst
    assert worst["float32"] <= (0.0 if interpolation == "nearest" else 1e-5), worst


def test_bicubic_without_antialias_equals_torchvision(photo):
    ours = augkit.Resize(shorter=150, interpolation="bicubic", antialias=False)(photo)
    theirs = TF.resize(to_chw(photo), [150], interpolation=InterpolationMode.BICUBIC, antialias=False)
    assert max_diff(ours, theirs) == 0.0


@given(image=hwc_images(min_side=1, max_side=40), size=st.tuples(st.integers(1, 60), st.integers(1, 60)))
def test_nearest_resize_equals_torchvision_for_any_size(image, size):
    ours = G.resize(image, size, interpolation="nearest")
    theirs = TF.resize(to_chw(image), list(size), interpolation=InterpolationMode.NEAREST)
    assert max_diff(ours, theirs) == 0.0
    wide = image.astype(np.uint16) * 257
    np.testing.assert_array_equal(G.resize(wide, size, interpolation="nearest"), ours.astype(np.uint16) * 257)


def test_bicubic_uint16_rounds_and_clamps(photo):
    wide = photo[:60, :80].astype(np.uint16) * 257
    out = G.resize(wide, (30, 45), interpolation="bicubic")
    as_float = torch.from_numpy(wide.astype(np.float64)).permute(2, 0, 1)[None]
    reference = torch.nn.functional.interpolate(as_float, (30, 45), mode="bicubic", antialias=True)[0].permute(1, 2, 0).numpy()
    assert out.dtype == np.uint16
    np.testing.assert_array_equal(out, np.clip(np.rint(reference), 0, 65535).astype(np.uint16))


def test_unknown_interpolation_is_refused(photo):
    with pytest.raises(ValueError, match="interpolation must be one of"):
        augkit.Resize(shorter=10, interpolation="lanczos")
    with pytest.raises(ValueError, match="interpolation must be one of"):
        augkit.RandomResizedCrop(10, interpolation="area")
    with pytest.raises(ValueError, match="interpolation must be one of"):
        G.resize(photo, (10, 10), interpolation="random")


# --- the transforms ---------------------------------------------------------------------------


@pytest.mark.parametrize("interpolation", ["bilinear", "bicubic", "nearest"])
def test_random_resized_crop_equals_torchvision_resized_crop(photos, interpolation):
    transform = augkit.RandomResizedCrop(160, interpolation=interpolation)
    for seed, photo in enumerate(photos):
        out, params = transform.run(photo, np.random.default_rng(seed))
        window = (params.top, params.left, params.height, params.width)
        theirs = TF.resized_crop(to_chw(photo), *window, [160, 160], interpolation=MODES[interpolation], antialias=True)
        assert max_diff(out, theirs) <= (1.0 if interpolation == "bilinear" else 0.0)


@pytest.mark.parametrize("interpolation", ["bicubic", "nearest"])
def test_random_scale_equals_torchvision_resize(photos, interpolation):
    transform = augkit.RandomScale(100, 300, interpolation=interpolation)
    for seed, photo in enumerate(photos):
        out, params = transform.run(photo, np.random.default_rng(seed))
        theirs = TF.resize(to_chw(photo), [params.shorter], interpolation=MODES[interpolation], antialias=True)
        assert max_diff(out, theirs) == 0.0


def test_default_interpolation_is_bilinear_and_unchanged(photo):
    for default, explicit in (
        (augkit.Resize(shorter=200), augkit.Resize(shorter=200, interpolation="bilinear")),
        (augkit.RandomScale(150, 250), augkit.RandomScale(150, 250, interpolation="bilinear")),
        (augkit.RandomResizedCrop(96), augkit.RandomResizedCrop(96, interpolation="bilinear")),
    ):
        assert default.interpolation == "bilinear"
        np.testing.assert_array_equal(default(photo, rng=3), explicit(photo, rng=3))
    params = augkit.RandomResizedCrop(96).sample(np.random.default_rng(0), photo)
    assert params.interpolation is None and augkit.Resize(shorter=10).sample(np.random.default_rng(0), photo) is None


def test_random_interpolation_is_drawn_per_image_and_recorded(photo):
    """timm's "random": bilinear or bicubic with equal odds, drawn after the window, replayed from the parameters."""
    small = photo[:120, :150]
    transform = augkit.RandomResizedCrop(48, interpolation="random")
    plain = augkit.RandomResizedCrop(48)
    drawn = []
    for seed in range(400):
        params = transform.sample(np.random.default_rng(seed), small)
        assert isinstance(params, ResizedCropParams) and params.interpolation in ("bilinear", "bicubic")
        window = plain.sample(np.random.default_rng(seed), small)
        assert (params.top, params.left, params.height, params.width) == (window.top, window.left, window.height, window.width)
        drawn.append(params.interpolation == "bicubic")
    share = np.mean(drawn)
    assert abs(share - 0.5) < 4 * np.sqrt(0.25 / len(drawn)), share  # binomial, 4 sigma
    for seed in range(6):
        out, params = transform.run(small, np.random.default_rng(seed))
        fixed = augkit.RandomResizedCrop(48, interpolation=params.interpolation)
        np.testing.assert_array_equal(out, fixed.apply(small, ResizedCropParams(params.top, params.left, params.height, params.width)))
    scale = augkit.RandomScale(30, 60, interpolation="random").sample(np.random.default_rng(0), small)
    assert isinstance(scale, ScaleParams) and scale.interpolation in ("bilinear", "bicubic")
    resize = augkit.Resize(shorter=40, interpolation="random")
    params = resize.sample(np.random.default_rng(1), small)
    assert isinstance(params, ResizeParams)
    np.testing.assert_array_equal(resize.apply(small, params), augkit.Resize(shorter=40, interpolation=params.interpolation)(small))
    with pytest.raises(ValueError, match="needs the parameters"):
        resize.apply(small)


def test_only_bilinear_fuses_with_a_crop(photo):
    for interpolation in ("bicubic", "nearest"):
        assert augkit.Resize(shorter=100, interpolation=interpolation).fused_resize_size(None, 427, 640) is None
        assert augkit.RandomScale(100, 120, interpolation=interpolation).fused_resize_size(ScaleParams(110), 427, 640) is None
    assert augkit.Resize(shorter=100).fused_resize_size(None, 427, 640) == (100, 149)
    random = augkit.Resize(shorter=100, interpolation="random")
    assert random.fused_resize_size(ResizeParams("bilinear"), 427, 640) == (100, 149)
    assert random.fused_resize_size(ResizeParams("bicubic"), 427, 640) is None
    for interpolation in ("bicubic", "nearest", "random"):
        resize, crop = augkit.Resize(shorter=100, interpolation=interpolation), augkit.CenterCrop(64)
        pipeline = augkit.Compose([resize, crop])
        out, params = pipeline.run(photo, np.random.default_rng(5))
        expected = crop.apply(resize.apply(photo, params.params[0]), params.params[1])
        np.testing.assert_array_equal(out, expected)


def test_windowed_decoding_keeps_any_interpolation(sample_images):
    from augkit.samples import sample_paths

    path = next(p for p in sample_paths() if p.name == "china.jpg")
    data = path.read_bytes()
    jpeg = open_image(data)
    assert isinstance(jpeg, EncodedJpeg)
    decoded = augkit.decode(data)
    for transforms in (
        [augkit.RandomResizedCrop(64, interpolation="bicubic")],
        [augkit.RandomResizedCrop(64, interpolation="random")],
        [augkit.Resize(shorter=80, interpolation="bicubic"), augkit.RandomCrop(64)],
        [augkit.RandomScale(70, 90, interpolation="nearest"), augkit.CenterCrop(64)],
    ):
        pipeline = augkit.Compose(transforms)
        for seed in range(3):
            np.testing.assert_array_equal(pipeline(jpeg, rng=seed), pipeline(decoded, rng=seed))


# --- Resize(max_size=) ------------------------------------------------------------------------


@given(
    height=st.integers(1, 2000),
    width=st.integers(1, 2000),
    shorter=st.one_of(st.none(), st.integers(1, 600)),
    extra=st.integers(1, 900),
)
def test_max_size_follows_torchvision(height, width, shorter, extra):
    from torchvision.transforms.functional import _compute_resized_output_size

    max_size = extra if shorter is None else shorter + extra
    transform = augkit.Resize(shorter=shorter, max_size=max_size)
    size = None if shorter is None else [shorter]
    assert list(transform.output_size(height, width)) == _compute_resized_output_size((height, width), size, max_size, allow_size_none=True)


def test_max_size_resizes_like_torchvision(photo):
    out = augkit.Resize(shorter=400, max_size=500)(photo)
    theirs = TF.resize(to_chw(photo), [400], max_size=500, antialias=True)
    assert out.shape[:2] == tuple(theirs.shape[-2:]) == (333, 500)
    assert max_diff(out, theirs) <= 1.0
    assert augkit.Resize(max_size=320)(photo).shape == (213, 320, 3)


def test_max_size_arguments_are_validated():
    with pytest.raises(ValueError, match="max_size must be greater than shorter"):
        augkit.Resize(shorter=300, max_size=300)
    with pytest.raises(ValueError, match="use it with shorter="):
        augkit.Resize(size=(10, 20), max_size=30)
    with pytest.raises(ValueError, match="exactly one of shorter= or size="):
        augkit.Resize()
    with pytest.raises(ValueError, match="max_size must be >= 1"):
        augkit.Resize(max_size=0)
    assert augkit.from_config(augkit.Resize(shorter=8, max_size=10).to_config()).max_size == 10


# --- padding modes ----------------------------------------------------------------------------


@given(
    length=st.integers(1, 8), before=st.integers(0, 25), after=st.integers(0, 25), mode=st.sampled_from(["edge", "reflect", "symmetric"])
)
def test_padded_indices_follow_numpy_pad(length, before, after, mode):
    values = np.arange(length)
    expected = np.pad(values, (before, after), mode=mode)
    np.testing.assert_array_equal(values[S.padded_indices(-before, length + before + after, length, mode)], expected)


def torchvision_crop(image: torch.Tensor, params, fill, mode: str) -> torch.Tensor:
    """torchvision's pad (by as much as the window leaves the image) then crop."""
    height, width = image.shape[-2:]
    top, left, h, w = params.top, params.left, params.height, params.width
    pads = [max(0, -left), max(0, -top), max(0, left + w - width), max(0, top + h - height)]
    padded = TF.pad(image, pads, fill=fill, padding_mode=mode)
    return TF.crop(padded, top + pads[1], left + pads[0], h, w)


@given(
    image=hwc_images(min_side=3, max_side=20),
    size=st.tuples(st.integers(1, 26), st.integers(1, 26)),
    padding=st.sampled_from([0, 2, (1, 3), (0, 2, 2, 1)]),
    mode=st.sampled_from(["constant", "edge", "reflect", "symmetric"]),
    seed=seeds,
)
def test_random_crop_padding_modes_equal_torchvision(image, size, padding, mode, seed):
    """torchvision v2 RandomCrop pads (padding, then pad_if_needed) with padding_mode, then crops; masks alike."""
    transform = augkit.RandomCrop(size, padding=padding, padding_mode=mode, fill=9, mask_fill=255)
    height, width = image.shape[:2]
    pads = np.array(transform.padding) + np.array([max(0, size[1] - width), max(0, size[0] - height)] * 2)
    if mode == "reflect" and (pads[[0, 2]].max() >= width or pads[[1, 3]].max() >= height):
        return  # torch's reflect pad needs pads narrower than the image (augkit repeats the mirror beyond)
    if mode == "symmetric" and (pads[[0, 2]].max() > width or pads[[1, 3]].max() > height):
        return
    mask = (image[..., 0] % 7).astype(np.uint8)
    out, params = transform.run(augkit.Sample(image, mask=mask), np.random.default_rng(seed))
    expected = torchvision_crop(to_chw(image), params, 9, mode)
    assert max_diff(out.image, expected) == 0.0
    expected_mask = torchvision_crop(torch.from_numpy(mask)[None], params, 255 if mode == "constant" else 0, mode)[0]
    np.testing.assert_array_equal(out.mask, expected_mask.numpy())
    batch = to_chw(image)[None].repeat(3, 1, 1, 1)
    batch_out, batch_params = transform.run(batch, np.random.default_rng(seed))
    for i in range(3):
        row = augkit.transforms.params_at(batch_params, i)
        assert torch.equal(batch_out[i], torchvision_crop(batch[i], row, 9, mode))


@pytest.mark.parametrize("mode", ["edge", "reflect", "symmetric"])
def test_center_crop_pads_with_the_mode(photo, mode):
    small = photo[:30, :40]
    transform = augkit.CenterCrop((50, 56), padding_mode=mode)
    params = transform.sample(np.random.default_rng(0), small)
    out = transform(small)
    assert max_diff(out, torchvision_crop(to_chw(small), params, 0, mode)) == 0.0
    assert transform.crop_window(params) is None  # not a pure crop with fill: no fused resize-crop
    assert augkit.CenterCrop(20).crop_window(augkit.CenterCrop(20).sample(np.random.default_rng(0), small)) is not None
    tensor_mask = torch.from_numpy((small[..., 1] > 100).astype(np.int64))
    np.testing.assert_array_equal(transform.apply_mask(tensor_mask, params).numpy(), transform.apply_mask(tensor_mask.numpy(), params))


def test_padding_mode_is_validated_and_round_trips():
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        augkit.RandomCrop(10, padding_mode="wrap")
    transform = augkit.RandomCrop(10, padding=2, padding_mode="reflect")
    assert augkit.from_config(transform.to_config()).padding_mode == "reflect"


def test_reflect_crop_after_resize_is_not_fused(photo):
    resize, crop = augkit.Resize(shorter=64), augkit.RandomCrop(72, padding_mode="reflect")
    out, params = augkit.Compose([resize, crop]).run(photo, np.random.default_rng(0))
    np.testing.assert_array_equal(out, crop.apply(resize.apply(photo), params.params[1]))
