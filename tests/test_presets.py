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
    "deit_train": ((300, 360, 3), (3, 224, 224), torch.uint8),
    "deit_eval": ((300, 360, 3), (3, 224, 224), torch.uint8),
    "convnext_train": ((300, 360, 3), (3, 224, 224), torch.uint8),
    "convnext_eval": ((300, 360, 3), (3, 224, 224), torch.uint8),
    "rsb_a1": ((300, 360, 3), (3, 224, 224), torch.uint8),
    "rsb_a2": ((300, 360, 3), (3, 224, 224), torch.uint8),
    "rsb_a3": ((300, 360, 3), (3, 160, 160), torch.uint8),
    "rsb_eval": ((300, 360, 3), (3, 224, 224), torch.uint8),
    "torchvision_resnet_v2": ((300, 360, 3), (3, 176, 176), torch.uint8),
    "torchvision_resnet_v2_eval": ((300, 360, 3), (3, 224, 224), torch.uint8),
    "timm_like": ((300, 360, 3), (3, 224, 224), torch.uint8),
}


def mixes(transform) -> bool:
    """True when a batch stage holds a mixing transform (it then takes an augkit.Batch with labels)."""
    from augkit.transforms.base import iter_leaves

    return transform is not None and any(t.mixes_targets for t in iter_leaves(transform))


def run_batch_stage(batch, x, rng):
    """The batch stage on ``x``: a labelled ``Batch`` for mixing stages (its images returned), else the tensor."""
    if mixes(batch):
        return batch(augkit.Batch(x, torch.arange(x.shape[0]) % 10), rng=rng).images
    return batch(x, rng=rng)


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
    y = None if batch is None else run_batch_stage(batch, x, np.random.default_rng(seed))
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
        y = run_batch_stage(pipeline.batch, views, np.random.default_rng(0))
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
    for pipeline in (presets.alexnet_train(stats), presets.resnet_tta(), presets.cifar_train(), presets.deit_train(num_classes=10)):
        grid, layout = render_grid([image], pipeline, n=2, size=32)
        assert grid.size == layout.size and layout.cols == 3


@pytest.mark.parametrize("policy_stage", ["sample", "batch"])
def test_preview_captions_name_the_policy_ops(policy_stage):
    from augkit.preview.cells import augment_one

    image = smooth_image((120, 150, 3), 1)
    _, lines = augment_one(image, presets.deit_train(num_classes=10, policy_stage=policy_stage), np.random.default_rng(2))
    policy = [line for line in lines if "TimmRandAugment:" in line]
    assert len(policy) == 1 and any(
        op in policy[0] for op in ("Rotate", "Shear", "Translate", "Increasing", "Equalize", "Invert", "AutoContrast", "Solarize")
    )


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


# ---- the recipes of timm and torchvision ----------------------------------------------------------


def leaf(pipeline_stage, name):
    from augkit.transforms.base import iter_leaves

    found = [t for t in iter_leaves(pipeline_stage) if type(t).__name__ == name]
    assert len(found) == 1, (name, pipeline_stage)
    return found[0]


def test_deit_recipe_is_deits():
    sample, batch = presets.deit_train()
    crop = leaf(sample, "RandomResizedCrop")
    assert (crop.size, crop.scale, crop.interpolation) == ((224, 224), (0.08, 1.0), "bicubic")
    assert leaf(sample, "HorizontalFlip").p == 0.5
    policy = leaf(batch, "TimmRandAugment")
    assert (policy.config, policy.fill, policy.spec.p, policy.spec.num_ops) == ("rand-m9-mstd0.5-inc1", (124.0, 116.0, 104.0), 0.5, 2)
    erasing = leaf(batch, "RandomErasing")
    assert (erasing.p, erasing.mode, erasing.count, erasing.max_count) == (0.25, "pixel", 1, 1)
    mix = leaf(batch, "MixupOrCutMix")
    assert (mix.mixup_alpha, mix.cutmix_alpha, mix.switch_prob, mix.label_smoothing, mix.mode) == (0.8, 1.0, 0.5, 0.1, "batch")
    assert [type(t).__name__ for t in batch] == ["TimmRandAugment", "Normalize", "RandomErasing", "MixupOrCutMix"]
    eval_sample, _ = presets.deit_eval()
    resize, center = eval_sample[0], eval_sample[1]
    assert (resize.shorter, resize.interpolation, center.size) == (256, "bicubic", (224, 224))
    assert presets.convnext_train().to_config() == presets.deit_train().to_config()
    assert [type(t).__name__ for t in presets.convnext_eval(size=384).sample] == ["Resize", "ToTensor"]


def test_policy_stage_moves_the_policy_to_the_workers():
    sample, batch = presets.deit_train(policy_stage="sample")
    assert [type(t).__name__ for t in sample] == ["RandomResizedCrop", "HorizontalFlip", "TimmRandAugment", "ToTensor"]
    assert [type(t).__name__ for t in batch] == ["Normalize", "RandomErasing", "MixupOrCutMix"]
    image = smooth_image((300, 360, 3), 5)
    x = torch.stack([sample(image, rng=i) for i in range(4)])
    out = batch(augkit.Batch(x, torch.tensor([0, 1, 2, 3])), rng=0)
    assert out.images.dtype == torch.float32 and out.labels.shape == (4, 1000)
    with pytest.raises(ValueError, match="policy_stage must be one of"):
        presets.deit_train(policy_stage="gpu")


def test_rsb_procedures():
    for name, size, ra, mixup, smoothing in (
        ("rsb_a1", 224, "rand-m7-mstd0.5-inc1", 0.2, 0.1),
        ("rsb_a2", 224, "rand-m7-mstd0.5-inc1", 0.1, 0.0),
        ("rsb_a3", 160, "rand-m6-mstd0.5-inc1", 0.1, 0.0),
    ):
        sample, batch = getattr(presets, name)()
        assert leaf(sample, "RandomResizedCrop").size == (size, size) and leaf(sample, "RandomResizedCrop").interpolation == "random"
        assert leaf(batch, "TimmRandAugment").config == ra
        mix = leaf(batch, "MixupOrCutMix")
        assert (mix.mixup_alpha, mix.cutmix_alpha, mix.label_smoothing, mix.bce_target_thresh) == (mixup, 1.0, smoothing, 0.2)
        assert not any(type(t).__name__ in ("RandomErasing", "ColorJitter") for t in batch)
    x = torch.stack([presets.rsb_a1().sample(smooth_image((300, 360, 3), i), rng=i) for i in range(4)])
    labels = presets.rsb_a1().batch(augkit.Batch(x, torch.tensor([0, 1, 2, 3])), rng=1).labels
    assert set(labels.unique().tolist()) <= {0.0, 1.0}  # binary targets for the BCE loss
    assert presets.rsb_eval().sample[0].shorter == 235  # timm: floor(224 / 0.95)


def test_torchvision_resnet_v2_recipe():
    sample, batch = presets.torchvision_resnet_v2()
    assert leaf(sample, "RandomResizedCrop").size == (176, 176) and leaf(sample, "RandomResizedCrop").interpolation == "bilinear"
    assert leaf(batch, "TrivialAugmentWide").interpolation == "bilinear"
    erasing = leaf(batch, "RandomErasing")
    assert (erasing.p, erasing.scale, erasing.ratio, erasing.value) == (0.1, (0.02, 0.33), (0.3, 3.3), 0.0)
    mix = leaf(batch, "MixupOrCutMix")
    assert (mix.mixup_alpha, mix.cutmix_alpha, mix.switch_prob, mix.label_smoothing) == (0.2, 1.0, 0.5, 0.1)
    eval_sample, _ = presets.torchvision_resnet_v2_eval()
    assert (eval_sample[0].shorter, eval_sample[0].interpolation, eval_sample[1].size) == (232, "bilinear", (224, 224))


@pytest.mark.parametrize(
    "options",
    [
        {"auto_augment": "rand-m9-mstd0.5-inc1", "re_prob": 0.25, "re_mode": "pixel", "interpolation": "bicubic"},
        {"scale": (0.35, 1.0), "ratio": (0.5, 2.0), "hflip": 0.3, "vflip": 0.1, "color_jitter": 0.3, "re_prob": 0.4, "re_count": 3},
        {"auto_augment": "rand-m7-mstd0.5-inc1-n3-p0.8", "interpolation": "random", "mean": (0.5, 0.5, 0.5), "std": (0.5, 0.5, 0.5)},
        {"color_jitter": (0.1, 0.2, 0.3, 0.05), "grayscale_prob": 0.2, "gaussian_blur_prob": 0.1, "interpolation": "nearest"},
    ],
)
@pytest.mark.parametrize("policy_stage", ["sample", "batch"])
def test_timm_like_mirrors_create_transform(options, policy_stage):
    """Each of timm's training transforms has its augkit counterpart with the same arguments."""
    timm_data = pytest.importorskip("timm.data")
    theirs = {type(t).__name__: t for t in timm_data.create_transform(224, is_training=True, **options).transforms}
    sample, batch = presets.timm_like(input_size=224, is_training=True, policy_stage=policy_stage, **options)
    rrc, timm_rrc = leaf(sample, "RandomResizedCrop"), theirs["RandomResizedCropAndInterpolation"]
    assert rrc.scale == pytest.approx(timm_rrc.scale) and rrc.ratio == pytest.approx(timm_rrc.ratio)
    assert rrc.interpolation == options.get("interpolation", "bilinear")
    assert leaf(sample, "HorizontalFlip").p == theirs["RandomHorizontalFlip"].p
    if "RandomVerticalFlip" in theirs:
        assert leaf(sample, "VerticalFlip").p == theirs["RandomVerticalFlip"].p
    stages = [*sample, *([batch] if not isinstance(batch, augkit.Compose) else batch)]
    if "RandAugment" in theirs:
        policy = next(t for t in stages if type(t).__name__ == "TimmRandAugment")
        assert [op.name for op in theirs["RandAugment"].ops] == list(policy.spec.ops)
        assert theirs["RandAugment"].num_layers == policy.spec.num_ops and theirs["RandAugment"].ops[0].prob == policy.spec.p
        assert tuple(theirs["RandAugment"].ops[0].kwargs["fillcolor"]) == policy.fill
        assert theirs["RandAugment"].ops[0].magnitude_std == policy.spec.magnitude_std
    if "ColorJitter" in theirs:
        jitter = next(t for t in stages if type(t).__name__ == "ColorJitter")
        for name in ("brightness", "contrast", "saturation", "hue"):
            theirs_range = getattr(theirs["ColorJitter"], name)
            assert getattr(jitter, name) == pytest.approx(
                tuple(theirs_range) if theirs_range is not None else (0.0, 0.0) if name == "hue" else (1.0, 1.0)
            )
    assert ("RandomGrayscale" in theirs) == any(type(t).__name__ == "RandomGrayscale" for t in stages)
    if "RandomErasing" in theirs:
        erasing, timm_erasing = leaf(batch, "RandomErasing"), theirs["RandomErasing"]
        assert (erasing.p, erasing.max_count or erasing.count) == (timm_erasing.probability, timm_erasing.max_count)
        assert erasing.mode == timm_erasing.mode and erasing.scale == pytest.approx((timm_erasing.min_area, timm_erasing.max_area))
    normalize = leaf(batch, "Normalize")
    assert normalize.mean == pytest.approx(tuple(theirs["Normalize"].mean.tolist()))
    assert normalize.std == pytest.approx(tuple(theirs["Normalize"].std.tolist()))


@pytest.mark.parametrize(("crop_pct", "interpolation"), [(None, "bilinear"), (0.95, "bicubic"), (1.0, "bilinear")])
def test_timm_like_eval_mirrors_create_transform(crop_pct, interpolation):
    timm_data = pytest.importorskip("timm.data")
    theirs = timm_data.create_transform(224, crop_pct=crop_pct, interpolation=interpolation).transforms
    sample, _ = presets.timm_like(input_size=(3, 224, 224), crop_pct=crop_pct, interpolation=interpolation)
    assert sample[0].shorter == theirs[0].size and sample[0].interpolation == interpolation and sample[1].size == tuple(theirs[1].size)
    image = smooth_image((300, 360, 3), 1)
    expected = theirs[1](theirs[0](Image.fromarray(image)))
    assert (sample(image).permute(1, 2, 0).numpy().astype(int) - np.asarray(expected).astype(int)).__abs__().mean() <= 1.5


def test_timm_like_refuses_what_it_does_not_mirror():
    with pytest.raises(ValueError, match="timm's RandAugment strings"):
        presets.timm_like(is_training=True, auto_augment="augmix-m5-w4-d2")
    with pytest.raises(ValueError, match="input_size must be"):
        presets.timm_like(input_size=(3, 224, 256))


def test_preset_mixing_runs_through_the_device_loader():
    image = smooth_image((300, 360, 3), 3)
    sample, batch = presets.torchvision_resnet_v2(num_classes=10)
    data = augkit.data.AugmentedDataset([(image, i % 10) for i in range(8)], sample, seed=0)
    loader = torch.utils.data.DataLoader(data, batch_size=4, collate_fn=augkit.data.Uint8Collate())
    images, targets = next(iter(augkit.data.DeviceLoader(loader, "cpu", batch, seed=0)))
    assert images.shape == (4, 3, 176, 176) and targets.shape == (4, 10)
    assert torch.allclose(targets.sum(1), torch.ones(4))
