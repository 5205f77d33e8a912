"""Policies, their operations and the recipe presets round-trip through configs with every argument.

Each transform is built with a value other than its default for every constructor argument
(the test fails when a constructor gains an argument this file does not set), written as
YAML, read back with ``augkit.from_config``, and must come back with the same attributes, the
same config and the same outputs for the same seed (one image with a mask, and a batch).
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import torch
import yaml

import augkit
from augkit import presets
from augkit.pipeline import Pipeline
from augkit.transforms.base import SAMPLE_STAGE
from tests.checks import same
from tests.transform_table import bchw, photo_like

MEAN = (0.485, 0.456, 0.406)

#: name -> (class, non-default arguments for every constructor parameter).
NON_DEFAULT = {
    "RandAugment": (
        augkit.RandAugment,
        {"num_ops": 3, "magnitude": 13, "num_magnitude_bins": 21, "interpolation": "bilinear", "fill": (10, 20, 30), "mask_fill": 255},
    ),
    "TimmRandAugment": (
        augkit.TimmRandAugment,
        {
            "config": "rand-m7-n3-mstd0.5-mmax15-p0.7-inc1",
            "interpolation": "nearest",
            "fill": (1, 2, 3),
            "translate_pct": 0.3,
            "mask_fill": 255,
        },
    ),
    "TrivialAugmentWide": (
        augkit.TrivialAugmentWide,
        {"num_magnitude_bins": 11, "interpolation": "bilinear", "fill": 7, "mask_fill": 255},
    ),
    "AutoAugment": (augkit.AutoAugment, {"policy": "svhn", "interpolation": "bilinear", "fill": 3, "mask_fill": 255}),
    "AugMix": (
        augkit.AugMix,
        {"severity": 5, "mixture_width": 2, "chain_depth": 2, "alpha": 0.5, "all_ops": False, "interpolation": "nearest", "fill": 5},
    ),
    "ThreeAugment": (augkit.ThreeAugment, {}),
    "RandomErasing": (
        augkit.RandomErasing,
        {"p": 0.7, "scale": (0.05, 0.2), "ratio": (0.5, 2.0), "value": 9.0, "mode": "const", "count": 2, "max_count": 3},
    ),
    "Rotate": (
        augkit.Rotate,
        {"degrees": 25, "interpolation": "bilinear", "expand": True, "center": (10, 12), "fill": 4, "mask_fill": 255},
    ),
    "Affine": (
        augkit.Affine,
        {
            "degrees": 10,
            "translate": (0.1, 0.2),
            "scale": (0.8, 1.2),
            "shear": (5, 10),
            "interpolation": "bilinear",
            "fill": (1, 2, 3),
            "center": (3, 4),
            "mask_fill": 255,
        },
    ),
    "ShearX": (augkit.ShearX, {"degrees": 20, "interpolation": "bilinear", "fill": 2, "center": (0, 0), "mask_fill": 255}),
    "ShearY": (augkit.ShearY, {"degrees": (-10, 15), "interpolation": "bilinear", "fill": 2, "center": (5, 5), "mask_fill": 255}),
    "TranslateX": (augkit.TranslateX, {"fraction": 0.3, "pixels": None, "interpolation": "bilinear", "fill": 6, "mask_fill": 255}),
    "TranslateY": (augkit.TranslateY, {"fraction": None, "pixels": (-5, 9), "interpolation": "bilinear", "fill": 6, "mask_fill": 255}),
    "Perspective": (augkit.Perspective, {"distortion_scale": 0.3, "p": 0.8, "interpolation": "nearest", "fill": 8, "mask_fill": 255}),
    "Solarize": (augkit.Solarize, {"threshold": 100, "p": 0.6}),
    "Posterize": (augkit.Posterize, {"bits": 3, "p": 0.6}),
    "Equalize": (augkit.Equalize, {"p": 0.6}),
    "AutoContrast": (augkit.AutoContrast, {"p": 0.6}),
    "Sharpness": (augkit.Sharpness, {"factor": 2.5, "p": 0.6}),
    "Invert": (augkit.Invert, {"p": 0.6}),
    "GaussianBlur": (augkit.GaussianBlur, {"kernel_size": 5, "sigma": (0.5, 1.5)}),
    "RandomGrayscale": (augkit.RandomGrayscale, {"p": 0.6}),
    "Grayscale": (augkit.Grayscale, {"num_output_channels": 3}),
}
#: Transforms that refuse masks (their outputs are checked on images alone).
NO_MASKS = {"AugMix"}
#: Arguments set to their default here, with the reason: the other modes write normal values,
#: for normalized float batches (``test_erasing_modes_round_trip``).
DEFAULT_VALUE_KEPT = {("RandomErasing", "mode")}
#: Arguments left at their default: ``same_on_batch=True`` is checked separately (per-sample draws are the point).
DEFAULT_KEPT = {"same_on_batch"}


def _state(transform) -> dict:
    """The transform's public attributes (its arguments as stored), without caches."""
    return {k: repr(v) for k, v in vars(transform).items() if not k.startswith("_")}


def _through_yaml(transform):
    return augkit.from_config(yaml.safe_load(yaml.safe_dump(transform.to_config())))


def _check_round_trip(transform) -> None:
    rebuilt = _through_yaml(transform)
    assert type(rebuilt) is type(transform)
    assert _state(rebuilt) == _state(transform)
    assert rebuilt.to_config() == transform.to_config()
    mask = np.zeros((60, 80), np.uint8)
    mask[10:40, 20:60] = 3
    with_mask = type(transform).__name__ not in NO_MASKS
    for make_input in (lambda: augkit.Sample(photo_like(), mask=mask) if with_mask else photo_like(), bchw):
        if make_input is not bchw and SAMPLE_STAGE not in transform.stages:
            continue
        if make_input is bchw and getattr(transform, "expand", False):  # a size per angle: sample stage only
            continue
        for seed in range(3):
            assert same(rebuilt(make_input(), rng=seed), transform(make_input(), rng=seed))


@pytest.mark.parametrize("name", sorted(NON_DEFAULT))
def test_every_argument_round_trips(name):
    cls, kwargs = NON_DEFAULT[name]
    parameters = set(inspect.signature(cls.__init__).parameters) - {"self"}
    assert parameters - DEFAULT_KEPT == set(kwargs), f"{name}: set a non-default value for each argument in NON_DEFAULT"
    for key, value in kwargs.items():
        default = inspect.signature(cls.__init__).parameters[key].default
        assert value is None or value != default or (name, key) in DEFAULT_VALUE_KEPT, f"{name}.{key} is set to its default"
    _check_round_trip(cls(**kwargs))


@pytest.mark.parametrize(
    "name", sorted(n for n, (cls, _) in NON_DEFAULT.items() if "same_on_batch" in inspect.signature(cls.__init__).parameters)
)
def test_same_on_batch_round_trips(name):
    cls, kwargs = NON_DEFAULT[name]
    transform = cls(**kwargs, same_on_batch=True)
    assert _through_yaml(transform).same_on_batch is True
    _check_round_trip(transform)


@pytest.mark.parametrize(
    "transform",
    [
        augkit.RandAugment.from_timm("rand-m9-mstd0.5-inc1", mean=MEAN),
        augkit.RandAugment.from_timm("rand-m6-n3-mstd101-mmax12-w0", interpolation="nearest", mean=(0.5, 0.5, 0.5), mask_fill=255),
        augkit.RandomErasing.from_timm(0.25, mode="const", max_count=2),
        augkit.RandomErasing.from_timm(0.4, min_area=0.05, max_area=0.25, min_aspect=0.5, min_count=2, max_count=4),
    ],
    ids=["timm-deit", "timm-options", "erasing-timm", "erasing-timm-options"],
)
def test_timm_built_round_trips(transform):
    _check_round_trip(transform)


@pytest.mark.parametrize("mode", ["pixel", "rand"])
def test_erasing_modes_round_trip(mode):
    transform = augkit.RandomErasing.from_timm(0.9, mode=mode, max_count=3)
    rebuilt = _through_yaml(transform)
    assert rebuilt.to_config() == transform.to_config() and _state(rebuilt) == _state(transform)
    batch = (bchw(4).float() / 255 - 0.45) / 0.25
    assert torch.equal(rebuilt(batch, rng=5), transform(batch, rng=5))


PRESET_CASES = [
    *[
        (name, {"policy_stage": stage})
        for name in ("deit_train", "convnext_train", "rsb_a1", "rsb_a2", "rsb_a3")
        for stage in ("sample", "batch")
    ],
    ("torchvision_resnet_v2", {"policy_stage": "sample"}),
    ("torchvision_resnet_v2", {"policy_stage": "batch", "re_prob": 0.3, "size": 160}),
    ("deit_train", {"auto_augment": "rand-m7-n3-mstd0.5", "re_prob": 0.5, "mixup": 0.2, "cutmix": 0.0, "num_classes": 10}),
    (
        "timm_like",
        {
            "input_size": (3, 96, 96),
            "is_training": True,
            "scale": (0.2, 1.0),
            "ratio": (0.5, 2.0),
            "vflip": 0.2,
            "auto_augment": "rand-m5-mstd1.0-inc1",
            "interpolation": "random",
            "re_prob": 0.3,
            "re_mode": "rand",
            "re_count": 2,
            "mixup": 0.4,
            "cutmix": 1.0,
            "mixup_mode": "elem",
            "mixup_prob": 0.8,
            "mixup_switch_prob": 0.3,
            "bce_target_thresh": 0.2,
            "smoothing": 0.05,
            "num_classes": 10,
            "policy_stage": "sample",
        },
    ),
    (
        "timm_like",
        {
            "is_training": True,
            "color_jitter": (0.3, 0.3, 0.3, 0.1),
            "color_jitter_prob": 0.8,
            "grayscale_prob": 0.2,
            "gaussian_blur_prob": 0.1,
        },
    ),
    ("deit_eval", {}),
    ("rsb_eval", {}),
    ("torchvision_resnet_v2_eval", {}),
]


@pytest.mark.parametrize(("name", "kwargs"), PRESET_CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(PRESET_CASES)])
def test_recipe_presets_round_trip(name, kwargs):
    pipeline = getattr(presets, name)(**kwargs)
    rebuilt = augkit.from_config(augkit.to_yaml(pipeline))
    assert isinstance(rebuilt, Pipeline) and rebuilt.to_config() == pipeline.to_config()
    image = photo_like(120, 150)
    for seed in range(2):
        ours, theirs = pipeline.sample(image, rng=seed), rebuilt.sample(image, rng=seed)
        assert torch.equal(ours, theirs)
        if pipeline.batch is None:
            continue
        views = torch.stack([ours, pipeline.sample(image, rng=seed + 10)])
        labels = torch.tensor([1, 3])
        a = pipeline.batch(augkit.Batch(views, labels), rng=seed)
        b = rebuilt.batch(augkit.Batch(views, labels), rng=seed)
        assert same(a, b)
