"""Test-time views (FiveCrop, TenCrop, MultiScaleTenCrop), predict and the DataLoader form."""

from __future__ import annotations

import types

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from strategies import hwc_images

import augkit
from augkit import presets, tta
from augkit.samples import sample_paths


def chw(array: np.ndarray) -> np.ndarray:
    return array.transpose(2, 0, 1)


def expected_windows(height, width, h, w):
    """TL, TR, BL, BR, center (top-left at round((H - h) / 2)), computed independently."""
    ct, cl = int(round((height - h) / 2)), int(round((width - w) / 2))
    return [(0, 0), (0, width - w), (height - h, 0), (height - h, width - w), (ct, cl)]


# ---------------------------------------------------------------- views vs torchvision


@pytest.mark.parametrize("channels", [1, 3, 4])
@pytest.mark.parametrize("flip", [True, "vertical"])
@given(data=st.data())
def test_ten_crop_equals_torchvision(channels, flip, data):
    tvf = pytest.importorskip("torchvision.transforms.v2.functional")
    image = data.draw(hwc_images(min_side=1, max_side=40, channels=channels))
    h = data.draw(st.integers(1, image.shape[0]))
    w = data.draw(st.integers(1, image.shape[1]))
    expected = torch.stack(tvf.ten_crop(torch.from_numpy(chw(image)).contiguous(), [h, w], vertical_flip=flip == "vertical"))
    out = augkit.TenCrop((h, w), flip=flip)(image)
    assert out.dtype == torch.uint8 and out.is_contiguous()
    assert torch.equal(out, expected)


@given(image=hwc_images(min_side=3, max_side=40), data=st.data())
def test_five_crop_equals_torchvision(image, data):
    tvf = pytest.importorskip("torchvision.transforms.v2.functional")
    h = data.draw(st.integers(1, image.shape[0]))
    w = data.draw(st.integers(1, image.shape[1]))
    expected = torch.stack(tvf.five_crop(torch.from_numpy(chw(image)).contiguous(), [h, w]))
    assert torch.equal(augkit.FiveCrop((h, w))(image), expected)


def test_ten_crop_equals_torchvision_on_a_photo(photo):
    tvf = pytest.importorskip("torchvision.transforms.v2.functional")
    expected = torch.stack(tvf.ten_crop(torch.from_numpy(chw(photo)).contiguous(), [224, 224]))
    assert torch.equal(augkit.TenCrop(224)(photo), expected)


# ---------------------------------------------------------------- view properties


@pytest.mark.parametrize("flip", ["horizontal", "vertical"])
@given(image=hwc_images(min_side=1, max_side=30), data=st.data())
def test_flipped_views_mirror_the_mirrored_regions(flip, image, data):
    height, width = image.shape[:2]
    h = data.draw(st.integers(1, height))
    w = data.draw(st.integers(1, width))
    out = augkit.TenCrop((h, w), flip=flip)(image).numpy()
    for k, (top, left) in enumerate(expected_windows(height, width, h, w)):
        assert np.array_equal(out[k], chw(image[top : top + h, left : left + w]))
        if flip == "horizontal":
            left = width - w - left
            mirrored = image[top : top + h, left : left + w][:, ::-1]
        else:
            top = height - h - top
            mirrored = image[top : top + h, left : left + w][::-1]
        assert np.array_equal(out[5 + k], chw(mirrored)), f"flipped view {5 + k}"


@given(image=hwc_images(min_side=1, max_side=30), size=st.integers(1, 36))
def test_center_view_equals_center_crop(image, size):
    """For any image (padded when smaller than size) the fifth view is CenterCrop's output."""
    out = augkit.TenCrop(size)(image)
    assert np.array_equal(out[4].numpy(), chw(augkit.CenterCrop(size)(image)))


@given(data=st.data())
def test_center_view_when_shorter_side_equals_size(data):
    size = data.draw(st.integers(2, 30))
    longer = data.draw(st.integers(size, 50))
    shape = (size, longer) if data.draw(st.booleans()) else (longer, size)
    image = np.random.default_rng(data.draw(st.integers(0, 1000))).integers(0, 256, (*shape, 3), dtype=np.uint8)
    out = augkit.TenCrop(size)(image)
    assert np.array_equal(out[4].numpy(), chw(augkit.CenterCrop(size)(image)))


def test_small_image_is_padded_like_center_crop():
    image = np.arange(5 * 6 * 3, dtype=np.uint8).reshape(5, 6, 3)
    out = augkit.TenCrop((8, 4), fill=7)(image)
    padded = augkit.CenterCrop((8, 6), fill=7)(image)  # height padded to 8, width kept
    assert torch.equal(out, augkit.TenCrop((8, 4))(padded))
    assert (out[0, :, 0] == 7).all() and (out[0, :, 2] != 7).any()


@pytest.mark.parametrize("layout", ["planar", "reversed", "strided", "float64"])
def test_any_memory_layout_gives_the_same_views(layout):
    image = np.random.default_rng(1).integers(0, 256, (23, 31, 3), dtype=np.uint8)
    if layout == "planar":  # HWC view of CHW memory, as functional.geometry.resize returns
        odd = np.ascontiguousarray(image.transpose(2, 0, 1)).transpose(1, 2, 0)
    elif layout == "reversed":
        odd = np.ascontiguousarray(image[:, ::-1])[:, ::-1]
    elif layout == "strided":
        odd = np.repeat(image, 2, axis=1)[:, ::2]
    else:
        odd = image.astype(np.float64)
    assert np.array_equal(odd, image)
    for flip in ("horizontal", "vertical"):
        assert np.array_equal(augkit.TenCrop((7, 10), flip=flip)(odd).numpy(), augkit.TenCrop((7, 10), flip=flip)(image).numpy())


def test_float_images_keep_their_dtype():
    image = np.random.default_rng(0).random((20, 30, 3), dtype=np.float32)
    out = augkit.TenCrop(8)(image)
    assert out.dtype == torch.float32
    assert np.array_equal(out[1].numpy(), chw(image[:8, 22:30]))
    assert np.array_equal(out[5].numpy(), chw(image[:8, 22:30][:, ::-1]))


def test_views_do_not_share_memory_with_the_input():
    image = np.zeros((10, 10, 3), np.uint8)
    out = augkit.TenCrop(10)(image)
    out += 1
    assert image.max() == 0


# ---------------------------------------------------------------- multi-scale


@given(image=hwc_images(min_side=8, max_side=60), flip=st.sampled_from([True, "vertical"]))
def test_multiscale_views_equal_ten_crop_of_resize(image, flip):
    scales, size = (24, 16, 37, 8), 16
    out = augkit.MultiScaleTenCrop(scales=scales, size=size, flip=flip)(image)
    assert out.shape == (10 * len(scales), 3, size, size)
    for k, scale in enumerate(scales):
        expected = augkit.TenCrop(size, flip=flip)(augkit.Resize(shorter=scale)(image))
        assert torch.equal(out[10 * k : 10 * (k + 1)], expected), f"scale {scale}"


def test_multiscale_resnet_protocol_on_a_photo(photo):
    views = augkit.MultiScaleTenCrop()(photo)
    assert views.shape == (50, 3, 224, 224) and views.dtype == torch.uint8
    expected = augkit.TenCrop(224)(augkit.Resize(shorter=480)(photo))
    assert torch.equal(views[30:40], expected)


def test_multiscale_matches_torchvision_resize_then_ten_crop(photo):
    """Views equal torchvision's (resize + ten_crop) within the documented resize tolerance."""
    tvf = pytest.importorskip("torchvision.transforms.v2.functional")
    tensor = torch.from_numpy(chw(photo)).contiguous()
    scales = (224, 300)
    expected = torch.stack([v for s in scales for v in tvf.ten_crop(tvf.resize(tensor, s, antialias=True), [224, 224])])
    out = augkit.MultiScaleTenCrop(scales=scales)(photo)
    assert (out.int() - expected.int()).abs().float().mean() <= 1.5


# ---------------------------------------------------------------- predict


def images_of(shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (*shape, 3), dtype=np.uint8) for shape in shapes]


class Recorder:
    """A model that records the batch sizes it is called with."""

    def __init__(self, model):
        self.model = model
        self.sizes = []

    def __call__(self, x):
        self.sizes.append(len(x))
        return self.model(x)


def linear_model(num_classes=4, channels=3, size=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    weight = torch.randn(channels * size * size, num_classes, generator=g, dtype=torch.float64)
    bias = torch.randn(num_classes, generator=g, dtype=torch.float64)
    return lambda x: (x.double().flatten(1) @ weight + bias).float()


def test_constant_model_returns_the_constant():
    constant = torch.tensor([0.5, -2.0, 3.0])
    model = lambda x: constant.expand(len(x), 3)  # noqa: E731
    images = images_of([(10, 12), (8, 8), (9, 20)])
    out = tta.predict(model, images, augkit.TenCrop(6), softmax=False, batch_size=7)
    assert out.shape == (3, 3) and out.dtype == torch.float32
    assert torch.allclose(out, constant.expand(3, 3), atol=1e-6)
    out = tta.predict(model, images, augkit.TenCrop(6), batch_size=7)
    assert torch.allclose(out, torch.softmax(constant, 0).expand(3, 3), atol=1e-6)


@pytest.mark.parametrize("batch_size", [1, 7, 10, 256])
def test_linear_model_of_mean_view(batch_size):
    model = linear_model()
    images = images_of([(10, 12), (8, 8), (9, 20), (6, 6)])
    views = augkit.MultiScaleTenCrop(scales=(6, 9), size=6)
    normalize = augkit.Normalize(mean=(0.4, 0.5, 0.6), std=(0.2, 0.3, 0.25))
    out = tta.predict(model, images, views, transform=normalize, softmax=False, batch_size=batch_size)
    expected = torch.cat([model(normalize(views(im)).mean(0, keepdim=True)) for im in images])
    assert torch.allclose(out, expected, atol=1e-4)


def test_batch_size_bounds_every_model_call():
    model = Recorder(linear_model())
    images = images_of([(8, 9)] * 100)  # 1,000 views
    out = tta.predict(model, images, augkit.TenCrop(6), batch_size=64)
    assert max(model.sizes) <= 64 and sum(model.sizes) == 1000
    reference = tta.predict(linear_model(), images, augkit.TenCrop(6), batch_size=1000)
    assert torch.allclose(out, reference, atol=1e-6)


def test_views_larger_than_batch_size_are_split():
    model = Recorder(linear_model())
    images = images_of([(12, 12), (8, 8)])
    out = tta.predict(model, images, augkit.MultiScaleTenCrop(scales=(6, 8, 12), size=6), batch_size=4)
    assert max(model.sizes) <= 4 and sum(model.sizes) == 60
    reference = tta.predict(linear_model(), images, augkit.MultiScaleTenCrop(scales=(6, 8, 12), size=6))
    assert torch.allclose(out, reference, atol=1e-6)


@pytest.mark.parametrize("softmax", [True, False])
def test_reduce_max(softmax):
    model = linear_model()
    images = images_of([(10, 12), (7, 9), (6, 14)])
    views = augkit.TenCrop(6)
    out = tta.predict(model, images, views, reduce="max", softmax=softmax, batch_size=8)
    expected = []
    for image in images:
        scores = model(views(image))
        expected.append((torch.softmax(scores, 1) if softmax else scores).amax(0))
    assert torch.allclose(out, torch.stack(expected), atol=1e-6)


def test_predict_decodes_paths_and_accepts_a_generator():
    paths = sample_paths()[:3]
    model = lambda x: x.float().mean(dim=(2, 3))  # noqa: E731
    from_paths = tta.predict(model, (p for p in paths), augkit.TenCrop(32), softmax=False)
    from_arrays = tta.predict(model, [augkit.decode(p) for p in paths], augkit.TenCrop(32), softmax=False)
    assert from_paths.shape == (3, 3) and torch.equal(from_paths, from_arrays)


def test_any_callable_views():
    model = linear_model(size=4)
    views = lambda image: augkit.ToTensor()(image[:4, :4])[None]  # noqa: E731  one view
    images = images_of([(6, 6), (5, 7)])
    out = tta.predict(model, images, views, softmax=False)
    assert torch.allclose(out, torch.cat([model(views(im)) for im in images]), atol=1e-5)


def test_model_mode_is_left_alone_and_training_warns():
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 4 * 4, 2))
    images = images_of([(6, 6)])
    with pytest.warns(UserWarning, match="training mode"):
        tta.predict(model, images, augkit.TenCrop(4), transform=augkit.Normalize(mean=(0.5,) * 3))
    assert model.training
    model.eval()
    out = tta.predict(model, images, augkit.TenCrop(4), transform=augkit.Normalize(mean=(0.5,) * 3))
    assert not model.training and out.shape == (1, 2) and not out.requires_grad


def test_bad_arguments_raise_clear_errors():
    model = linear_model()
    images = images_of([(8, 8)])
    views = augkit.TenCrop(6)
    with pytest.raises(ValueError, match="reduce must be one of"):
        tta.predict(model, images, views, reduce="median")
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        tta.predict(model, images, views, batch_size=0)
    with pytest.raises(TypeError, match="batch_size must be an int"):
        tta.predict(model, images, views, batch_size=2.5)
    with pytest.raises(TypeError, match="model must be callable"):
        tta.predict("resnet", images, views)
    with pytest.raises(TypeError, match="views must be callable"):
        tta.predict(model, images, 224)
    with pytest.raises(TypeError, match="images must be a list"):
        tta.predict(model, images[0], views)
    with pytest.raises(ValueError, match="images is empty"):
        tta.predict(model, [], views)
    with pytest.raises(ValueError, match="does not run in the batch stage"):
        tta.predict(model, images, views, transform=augkit.Resize(shorter=6))
    with pytest.raises(ValueError, match=r"views must return a \[V, C, h, w\] tensor"):
        tta.predict(model, images, lambda im: torch.zeros(3, 6, 6))
    with pytest.raises(ValueError, match="model must return"):
        tta.predict(lambda x: x.float().mean(dim=(1, 2, 3)), images, views)
    with pytest.raises(ValueError, match="flip must be True, 'horizontal' or 'vertical'"):
        augkit.TenCrop(6, flip="diagonal")
    with pytest.raises(ValueError, match="FiveCrop"):
        augkit.TenCrop(6, flip=False)
    with pytest.raises(ValueError, match="size must be >= 1"):
        augkit.TenCrop(0)
    with pytest.raises(ValueError, match="scales must be a non-empty"):
        augkit.MultiScaleTenCrop(scales=())
    with pytest.raises(ValueError, match=r"scales\[1\] must be >= 1"):
        augkit.MultiScaleTenCrop(scales=(224, 0))
    with pytest.raises(TypeError, match="HWC numpy array"):
        augkit.TenCrop(6)(torch.zeros(3, 8, 8, dtype=torch.uint8))


# ---------------------------------------------------------------- DataLoader form


def test_collate_keeps_the_grouping():
    a, b = torch.zeros(10, 3, 2, 2), torch.ones(20, 3, 2, 2)
    views, counts, targets = tta.tta_collate([(a, 3), (b, 5)])
    assert views.shape == (30, 3, 2, 2) and counts.tolist() == [10, 20] and targets.tolist() == [3, 5]
    assert torch.equal(views[10:], b)
    views, counts, targets = tta.tta_collate([a, b])
    assert targets is None and counts.tolist() == [10, 20]
    with pytest.raises(ValueError, match="empty batch"):
        tta.tta_collate([])


@pytest.mark.parametrize("num_workers", [0, 2])
def test_predict_loader_equals_predict(num_workers):
    paths = sample_paths()[:4]
    base = [(p, i) for i, p in enumerate(paths)]
    views = augkit.MultiScaleTenCrop(scales=(16, 24), size=16)
    normalize = augkit.Normalize(mean=(0.5, 0.4, 0.3), std=(0.2, 0.2, 0.2))
    loader = torch.utils.data.DataLoader(tta.TTADataset(base, views), batch_size=3, collate_fn=tta.tta_collate, num_workers=num_workers)
    model = Recorder(linear_model(size=16))
    scores, targets = tta.predict_loader(model, loader, transform=normalize, batch_size=25)
    assert targets.tolist() == [0, 1, 2, 3] and max(model.sizes) <= 25
    expected = tta.predict(linear_model(size=16), paths, views, transform=normalize)
    assert torch.allclose(scores, expected, atol=1e-6)


def test_dataset_without_targets():
    data = tta.TTADataset(images_of([(8, 8), (9, 9)]), augkit.TenCrop(6))
    assert isinstance(data[0], torch.Tensor) and len(data) == 2
    loader = torch.utils.data.DataLoader(data, batch_size=2, collate_fn=tta.tta_collate)
    scores, targets = tta.predict_loader(linear_model(), loader)
    assert scores.shape == (2, 4) and targets is None


# ---------------------------------------------------------------- preset


def test_resnet_tta_preset():
    views, normalize = presets.resnet_tta()
    assert isinstance(views, augkit.MultiScaleTenCrop)
    assert views.scales == (224, 256, 384, 480, 640) and views.size == (224, 224) and views.flip == "horizontal"
    assert normalize.mean == augkit.constants.IMAGENET_MEAN and normalize.std == augkit.constants.IMAGENET_STD
    stats = types.SimpleNamespace(mean=(0.1, 0.2, 0.3), std=(0.4, 0.5, 0.6))
    _, normalize = presets.resnet_tta(stats)
    assert normalize.mean == (0.1, 0.2, 0.3) and normalize.std == (0.4, 0.5, 0.6)


def test_normalize_fast_uint8_path_equals_the_general_path():
    """Normalize's one-pass CPU uint8 path (contiguous input) equals the torch path."""
    views = torch.randint(0, 256, (7, 3, 9, 11), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    normalize = augkit.Normalize(mean=augkit.constants.IMAGENET_MEAN, std=augkit.constants.IMAGENET_STD)
    fast = normalize(views)
    general = normalize(views.contiguous(memory_format=torch.channels_last))
    assert fast.dtype == torch.float32 and fast.shape == views.shape
    assert torch.allclose(fast, general, atol=1e-6)
    assert torch.allclose(normalize(views[2]), fast[2], atol=1e-6)
