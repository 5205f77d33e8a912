"""Presets: each builds, runs in both stages with the documented shapes, uses ``stats`` and round-trips."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import yaml
from PIL import Image

import augkit
from augkit import constants, presets
from augkit.pipeline import Pipeline, as_pipeline
from augkit.preview import available_presets, load_pipeline_config, render_grid
from augkit.transforms import ColorJitter, Compose, Cutout, Normalize, PCALighting
from augkit.transforms.base import params_at

# name -> (input HWC shape, sample output shape, sample output dtype)
TABLE = {
    "alexnet_train": ((300, 360, 3), (3, 256, 256), torch.uint8),
    "alexnet_eval": ((300, 360, 3), (3, 256, 256), torch.uint8),
    "vgg_train": ((300, 360, 3), (3, 224, 224), torch.uint8),
    "vgg_eval": ((300, 360, 3), (3, 224, 224), torch.uint8),
    "resnet_train": ((300, 360, 3), (3, 224, 224), torch.uint8),
    "resnet_eval": ((300, 360, 3), (3, 224, 224), torch.uint8),
    "resnet_tta": ((230, 250, 3), (50, 3, 224, 224), torch.uint8),
    "inception_train": ((300, 360, 3), (3, 224, 224), torch.uint8),
    "cifar_train": ((32, 32, 3), (3, 32, 32), torch.uint8),
    "cifar_eval": ((32, 32, 3), (3, 32, 32), torch.uint8),
    "segmentation_train": ((300, 360, 3), (3, 480, 480), torch.uint8),
    "segmentation_eval": ((300, 360, 3), (3, 520, 624), torch.uint8),
    "detection_train": ((300, 360, 3), (3, 300, 360), torch.uint8),
    "detection_eval": ((300, 360, 3), (3, 300, 360), torch.uint8),
}


def smooth_image(shape, seed: int) -> np.ndarray:
    """A smooth random colour image (uint8), cheap to make at any size."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (4, 5, 3), dtype=np.uint8)
    return np.asarray(Image.fromarray(small).resize((shape[1], shape[0]), Image.Resampling.BILINEAR))


@pytest.fixture(scope="module")
def stats(tmp_path_factory):
    """Real statistics of three generated images, with a 256 x 256 mean image."""
    folder = tmp_path_factory.mktemp("stats_images")
    paths = []
    for i, shape in enumerate([(270, 300, 3), (300, 260, 3), (256, 256, 3)]):
        path = folder / f"img{i}.png"
        Image.fromarray(smooth_image(shape, 100 + i)).save(path)
        paths.append(str(path))
    return augkit.stats.compute(paths, mean_image_size=256, progress=False)


def run_pipeline(pipeline, image, seed: int = 0, batch_size: int = 2):
    """Sample stage on ``batch_size`` seeds, stacked; then the batch stage. Returns ``(x, y)``."""
    sample, batch = pipeline
    x = torch.stack([sample(image, rng=seed + i) for i in range(batch_size)])
    y = None if batch is None else batch(x, rng=np.random.default_rng(seed))
    return x, y


def test_presets_are_listed_for_the_preview():
    assert sorted(presets.__all__) == sorted(TABLE)
    assert available_presets() == sorted(TABLE)


@pytest.mark.parametrize("use_stats", [False, True], ids=["imagenet_constants", "stats"])
@pytest.mark.parametrize("name", sorted(TABLE))
def test_preset_builds_runs_and_round_trips(name, use_stats, request):
    in_shape, out_shape, out_dtype = TABLE[name]
    pipeline = getattr(presets, name)(request.getfixturevalue("stats") if use_stats else None)
    assert isinstance(pipeline, Pipeline) and as_pipeline(pipeline) == pipeline
    image = smooth_image(in_shape, 7)
    original = image.copy()

    out = pipeline.sample(image, rng=3)
    assert tuple(out.shape) == out_shape and out.dtype == out_dtype
    np.testing.assert_array_equal(image, original)  # the input is never modified
    if pipeline.batch is not None:
        views = out if out.ndim == 4 else torch.stack([out, pipeline.sample(image, rng=4)])
        y = pipeline.batch(views, rng=np.random.default_rng(0))
        size = (224, 224) if name.startswith("alexnet") else tuple(views.shape[-2:])  # AlexNet crops in the batch stage
        assert y.shape == (*views.shape[:2], *size) and y.dtype == torch.float32 and torch.isfinite(y).all()

    # round trip through a plain dict (and YAML, except for a mean image: big, slow to dump)
    config = pipeline.to_config()
    assert set(config) == {"sample", "batch"}
    rebuilt = augkit.from_config(json.loads(json.dumps(config)))
    assert isinstance(rebuilt, Pipeline) and rebuilt.to_config() == config
    if not (name.startswith("alexnet") and use_stats):
        assert augkit.from_config(augkit.to_yaml(pipeline)).to_config() == config
    if out.ndim == 3:
        for a, b in zip(run_pipeline(pipeline, image, seed=11), run_pipeline(rebuilt, image, seed=11)):
            assert (a is None and b is None) or torch.equal(a, b)
    else:
        assert torch.equal(pipeline.sample(image), rebuilt.sample(image))


@pytest.mark.parametrize("name", ["vgg_train", "resnet_train", "inception_train", "cifar_train"])
def test_batch_stage_equals_per_sample(name):
    in_shape = TABLE[name][0]
    pipeline = getattr(presets, name)()
    x, _ = run_pipeline(pipeline, smooth_image(in_shape, 2), batch_size=3)
    y, params = pipeline.batch.run(x, np.random.default_rng(5))
    for i in range(3):
        one = pipeline.batch.apply(x[i], params_at(params, i))
        torch.testing.assert_close(y[i], one, atol=1e-5, rtol=0)


def test_stats_are_used(stats):
    mean, std = tuple(stats.mean.tolist()), tuple(stats.std.tolist())
    _, batch = presets.resnet_train(stats)
    jitter, lighting, normalize = batch.transforms
    assert (jitter.brightness, jitter.contrast, jitter.saturation) == ((0.6, 1.4),) * 3
    assert lighting.alphastd == 0.1 and np.allclose(lighting.eigval, stats.eigval) and np.allclose(lighting.eigvec, stats.eigvec)
    assert normalize.mean == pytest.approx(mean) and normalize.std == pytest.approx(std)
    _, batch = presets.vgg_train(stats)
    assert batch.transforms[-1].mean == pytest.approx(mean) and batch.transforms[-1].std is None
    assert presets.cifar_eval(stats).batch.std == pytest.approx(std)
    assert presets.resnet_tta(stats).batch.mean == pytest.approx(mean)


def test_defaults_are_the_published_constants():
    _, batch = presets.resnet_train()
    assert batch.transforms[1].eigval == constants.IMAGENET_EIGVAL
    assert batch.transforms[2].mean == constants.IMAGENET_MEAN and batch.transforms[2].std == constants.IMAGENET_STD
    assert presets.resnet_eval().batch.std == constants.IMAGENET_STD
    assert presets.vgg_eval().batch.mean == constants.IMAGENET_MEAN and presets.vgg_eval().batch.std is None
    normalize, cutout = presets.cifar_train().batch.transforms
    assert normalize.mean == constants.CIFAR10_MEAN and normalize.std == constants.CIFAR10_STD
    assert presets.cifar_eval().batch.mean == constants.CIFAR10_MEAN


def test_cifar10_constants_match_the_cutout_code():
    # DeVries & Taylor's train.py: mean (125.3, 123.0, 113.9) / 255, std (63.0, 62.1, 66.7) / 255.
    assert np.allclose(constants.CIFAR10_MEAN, np.array([125.3, 123.0, 113.9]) / 255, atol=3e-4)
    assert np.allclose(constants.CIFAR10_STD, np.array([63.0, 62.1, 66.7]) / 255, atol=1e-4)


def test_cifar_cutout_runs_after_normalize_with_zero_fill():
    sample, batch = presets.cifar_train()
    assert [type(t).__name__ for t in batch.transforms] == ["Normalize", "Cutout"]
    assert batch.transforms[1].size == (16, 16) and batch.transforms[1].fill == 0
    x = torch.full((4, 3, 32, 32), 200, dtype=torch.uint8)
    y, params = batch.run(x, np.random.default_rng(0))
    erased = torch.zeros(4, 32, 32, dtype=torch.bool)
    for i in range(4):
        p = params_at(params, i).params[1]
        if p.applied:
            erased[i, p.params.top : p.params.bottom, p.params.left : p.params.right] = True
    assert erased.any()
    assert (y.permute(1, 0, 2, 3)[:, erased] == 0).all()  # the dataset mean colour after Normalize
    assert (y.permute(1, 0, 2, 3)[:, ~erased] > 0).all()
    assert presets.cifar_train(cutout=8).batch.transforms[1].size == (8, 8)
    assert isinstance(presets.cifar_train(cutout=0).batch, Normalize)


def test_options_leave_ops_out():
    assert [type(t).__name__ for t in presets.resnet_train(jitter=0, alphastd=0).batch.transforms] == ["Normalize"]
    assert isinstance(presets.inception_train(jitter=0).batch, Normalize)
    assert isinstance(presets.inception_train().batch.transforms[0], ColorJitter)
    assert isinstance(presets.vgg_train(alphastd=0).batch, Normalize)
    assert not any(isinstance(t, PCALighting) for t in presets.alexnet_train(alphastd=0).batch.transforms)
    assert presets.resnet_train(scale=(300, 400)).sample.transforms[0].max_size == 400


def test_alexnet_subtracts_the_mean_image_before_the_crop(stats):
    assert stats.mean_image.shape == (256, 256, 3)
    sample, batch = presets.alexnet_train(stats)
    lighting, normalize, crop, flip = batch.transforms
    assert normalize.mean_image is not None
    image = smooth_image((300, 340, 3), 9)
    square = torch.stack([sample(image, rng=seed) for seed in range(4)])  # uint8 [4, 3, 256, 256]
    assert square.dtype == torch.uint8 and tuple(square.shape[1:]) == (3, 256, 256)
    out, params = batch.run(square, np.random.default_rng(0))
    for i in range(4):
        light_p, _, crop_p, flip_p = params_at(params, i).params
        lit = lighting.apply(square[i], light_p).permute(1, 2, 0).numpy()
        expected = lit.astype(np.float64) / 255 - stats.mean_image  # subtracted at 256 x 256 ...
        expected = expected[crop_p.top : crop_p.top + 224, crop_p.left : crop_p.left + 224]  # ... then cropped
        if flip_p.flip:
            expected = expected[:, ::-1]
        np.testing.assert_allclose(out[i].permute(1, 2, 0).numpy(), expected, atol=1e-5)


def test_alexnet_without_a_mean_image_subtracts_the_channel_mean(stats):
    no_image = augkit.stats.Stats(stats.num_images, stats.num_pixels, stats.mean, stats.state().m2)
    assert no_image.mean_image is None
    for pipeline, default in ((presets.alexnet_train(no_image), None), (presets.alexnet_eval(), constants.IMAGENET_MEAN)):
        normalize = next(t for t in pipeline.batch.transforms if isinstance(t, Normalize))
        assert normalize.mean_image is None and normalize.std is None
        assert normalize.mean == pytest.approx(default or tuple(stats.mean.tolist()))


def test_alexnet_eval_is_the_center_crop_and_displays_exactly(stats):
    sample, batch = presets.alexnet_eval(stats)
    image = smooth_image((280, 256, 3), 4)
    square = sample(image)
    out = batch(square[None])[0]
    expected = square.permute(1, 2, 0).numpy()[16:240, 16:240].astype(np.float64) / 255 - stats.mean_image[16:240, 16:240]
    np.testing.assert_allclose(out.permute(1, 2, 0).numpy(), expected, atol=1e-5)


def test_presets_take_a_stats_file(stats, tmp_path):
    path = tmp_path / "stats.json"
    stats.save(path)
    for name in ("alexnet_train", "vgg_train", "resnet_train", "cifar_train", "resnet_tta"):
        from_file, from_object = getattr(presets, name)(path), getattr(presets, name)(stats)
        assert from_file.to_config() == from_object.to_config()
    assert Normalize.from_stats(str(path)).mean == Normalize.from_stats(stats).mean
    assert PCALighting.from_stats(path).eigval == PCALighting.from_stats(stats).eigval
    with pytest.raises(augkit.stats.StatsFileError, match="missing.json"):
        presets.resnet_train(tmp_path / "missing.json")


def test_cifar_presets_bring_photos_to_32(stats):
    photo = smooth_image((300, 420, 3), 3)
    sample, _ = presets.cifar_train()
    assert tuple(sample(photo, rng=0).shape) == (3, 32, 32)
    resized = augkit.Resize(shorter=32)(photo)  # the whole photo, not a 32 x 32 patch of it
    out, params = sample.run(photo, np.random.default_rng(1))
    crop = params.params[1]
    padded = np.pad(resized, ((4, 4), (4, 4), (0, 0)))
    window = padded[crop.top + 4 : crop.top + 36, crop.left + 4 : crop.left + 36]
    if params.params[2].flip:
        window = window[:, ::-1]
    np.testing.assert_array_equal(out.permute(1, 2, 0).numpy(), window)
    cifar = smooth_image((32, 32, 3), 4)
    assert torch.equal(sample(cifar, rng=5), presets.cifar_train(resize=False).sample(cifar, rng=5))  # CIFAR untouched
    eval_sample, _ = presets.cifar_eval()
    batch = torch.stack([eval_sample(smooth_image(shape, 0)) for shape in ((32, 32, 3), (40, 60, 3), (20, 25, 3))])
    assert tuple(batch.shape) == (3, 3, 32, 32)


def test_pipelines_render_in_the_preview(stats):
    image = smooth_image((120, 150, 3), 1)
    for pipeline in (presets.alexnet_train(stats), presets.resnet_tta(), presets.cifar_train()):
        grid, layout = render_grid([image], pipeline, n=2, size=32)
        assert grid.size == layout.size and layout.cols == 3


def test_from_config_two_stage_form(tmp_path):
    pipeline = presets.cifar_train()
    text = augkit.to_yaml(pipeline)
    assert yaml.safe_load(text) == pipeline.to_config()
    for suffix, body in ((".yaml", text), (".json", json.dumps(pipeline.to_config()))):
        path = tmp_path / f"pipe{suffix}"
        path.write_text(body, encoding="utf-8")
        for source in (path, str(path)):
            assert augkit.from_config(source).to_config() == pipeline.to_config()
        loaded = load_pipeline_config(path)
        assert isinstance(loaded, Pipeline) and loaded.to_config() == pipeline.to_config()
    only_batch = augkit.from_config({"batch": {"name": "Normalize", "mean": [0.5, 0.5, 0.5]}})
    assert only_batch.sample is None and isinstance(only_batch.batch, Normalize)


@pytest.mark.parametrize(
    ("config", "error", "pattern"),
    [
        ({"sample": None, "batch": None}, ValueError, "neither a sample nor a batch stage"),
        ({"sample": None, "batch": {"name": "Resize", "shorter": 4}}, ValueError, "cannot run in the batch stage"),
        ({"sample": {"name": "Nope"}}, ValueError, r"config.sample: unknown transform 'Nope'"),
        ({"batch": {"name": "Cutout", "size": 4, "colour": 0}}, ValueError, r"config.batch: Cutout has no argument 'colour'"),
        ({"sample": {"name": "ToTensor"}, "extra": 1}, ValueError, r"'name' key or \{'sample'"),
        ({}, ValueError, "'name' key"),
    ],
)
def test_from_config_two_stage_errors(config, error, pattern):
    with pytest.raises(error, match=pattern):
        augkit.from_config(config)


def test_pipeline_type():
    pipe = Pipeline(Compose([augkit.RandomCrop(8), augkit.ToTensor()]), Cutout(2))
    sample, batch = pipe
    assert pipe == (sample, batch) and pipe.batch is batch
    assert Pipeline(augkit.ToTensor()).batch is None
    with pytest.raises(TypeError, match="pair of transforms"):
        as_pipeline("RandomCrop")
