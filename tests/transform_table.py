"""One row per public transform: how to build it and what to feed it.

``tests/test_transform_table.py`` runs the shared contract checks over every row, and fails
when a registered augkit transform has no row here. Add a row with every new transform.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

import augkit
from augkit import constants


def photo_like(height: int = 60, width: int = 80, seed: int = 0) -> np.ndarray:
    """A smooth HWC uint8 image with some texture (deterministic)."""
    yy, xx = np.mgrid[0:height, 0:width]
    noise = np.random.default_rng(seed).integers(0, 40, size=(height, width, 3))
    base = np.stack([xx * 255 // max(width - 1, 1), yy * 255 // max(height - 1, 1), (xx + yy) % 256], axis=-1)
    return np.clip(base + noise, 0, 255).astype(np.uint8)


def chw(height: int = 60, width: int = 80) -> torch.Tensor:
    """The same image as a CHW uint8 tensor."""
    return torch.from_numpy(photo_like(height, width)).permute(2, 0, 1).contiguous()


def bchw(batch: int = 4, height: int = 40, width: int = 50) -> torch.Tensor:
    """A ``[B, 3, H, W]`` uint8 batch."""
    return torch.stack([chw(height, width).roll(i * 7, dims=-1) for i in range(batch)])


def boxed_sample() -> augkit.Sample:
    """A photo-like image with three boxes, a label mask and keypoints (for transforms that need boxes)."""
    mask = np.zeros((60, 80), np.uint8)
    mask[10:40, 5:50] = 1
    mask[30:55, 40:75] = 2
    boxes = augkit.Boxes([[5, 10, 50, 40], [40, 30, 75, 55], [60, 2, 70, 12]], labels=[1, 2, 3])
    return augkit.Sample(photo_like(), mask=mask, boxes=boxes, keypoints=[[10.0, 20.0], [45.0, 50.0]])


def labelled_batch(batch: int = 6) -> augkit.Batch:
    """A float ``Batch`` with class labels, for the mixing transforms."""
    return augkit.Batch(bchw(batch, 12, 16).float() / 255, torch.arange(batch) % 5)


@dataclass
class Row:
    """How to build a transform and check it.

    Attributes:
        make: Builds the transform (with its random parts active).
        make_input: Builds the sample-stage input.
        out_dtype: Expected output dtype, or None to skip.
        out_shape: Expected output shape, or None to skip.
        make_identity: Builds the transform with p=0 (or zero strength), which must return
            its input unchanged; None when the transform has no such setting.
        extra: Further flags; ``{"config": False}`` marks a transform whose ``to_config``
            raises ``NotImplementedError`` by design (checked instead of a round trip).
    """

    make: Callable[[], Any]
    make_input: Callable[[], Any] = photo_like
    out_dtype: Any = np.uint8
    out_shape: tuple | None = None
    make_identity: Callable[[], Any] | None = None
    extra: dict = field(default_factory=dict)


def _albumentations():
    import albumentations

    return albumentations


def _torchvision_v2():
    import pytest

    return pytest.importorskip("torchvision.transforms.v2")


MEAN, STD = constants.IMAGENET_MEAN, constants.IMAGENET_STD
#: A correlated channel covariance (roughly natural photos') for Whiten.
COV = ((0.052, 0.046, 0.042), (0.046, 0.050, 0.048), (0.042, 0.048, 0.058))

TABLE: dict[str, Row] = {
    "Resize": Row(lambda: augkit.Resize(shorter=32), out_shape=(32, 42, 3)),
    "RandomScale": Row(lambda: augkit.RandomScale(30, 50)),
    "RandomCrop": Row(lambda: augkit.RandomCrop(24, padding=4), out_shape=(24, 24, 3)),
    "CenterCrop": Row(lambda: augkit.CenterCrop((20, 30)), out_shape=(20, 30, 3)),
    "RandomResizedCrop": Row(lambda: augkit.RandomResizedCrop(32), out_shape=(32, 32, 3)),
    "HorizontalFlip": Row(lambda: augkit.HorizontalFlip(p=0.5), make_identity=lambda: augkit.HorizontalFlip(p=0.0)),
    "VerticalFlip": Row(lambda: augkit.VerticalFlip(p=0.5), make_identity=lambda: augkit.VerticalFlip(p=0.0)),
    "ToTensor": Row(augkit.ToTensor, out_dtype=torch.uint8, out_shape=(3, 60, 80)),
    "Normalize": Row(lambda: augkit.Normalize(MEAN, STD), out_dtype=np.float32, out_shape=(60, 80, 3)),
    "Compose": Row(
        lambda: augkit.Compose([augkit.RandomScale(40, 60), augkit.RandomCrop(32), augkit.HorizontalFlip()]),
        out_shape=(32, 32, 3),
    ),
    "RandomApply": Row(
        lambda: augkit.RandomApply(augkit.VerticalFlip(p=1.0), p=0.5),
        make_identity=lambda: augkit.RandomApply(augkit.VerticalFlip(p=1.0), p=0.0),
    ),
    "OneOf": Row(lambda: augkit.OneOf([augkit.HorizontalFlip(p=1.0), augkit.VerticalFlip(p=1.0)])),
    "FiveCrop": Row(lambda: augkit.FiveCrop((20, 30)), out_dtype=torch.uint8, out_shape=(5, 3, 20, 30)),
    "TenCrop": Row(lambda: augkit.TenCrop(24, flip="vertical"), out_dtype=torch.uint8, out_shape=(10, 3, 24, 24)),
    "MultiScaleTenCrop": Row(
        lambda: augkit.MultiScaleTenCrop(scales=(32, 20, 48), size=24), out_dtype=torch.uint8, out_shape=(30, 3, 24, 24)
    ),
    "Cutout": Row(lambda: augkit.Cutout(16, p=0.5, fill=128), make_identity=lambda: augkit.Cutout(16, p=0.0)),
    "BoxFilter": Row(lambda: augkit.BoxFilter(min_visibility=0.3, min_area=4.0), make_identity=augkit.BoxFilter),
    "Whiten": Row(lambda: augkit.Whiten(MEAN, COV, method="zca"), out_dtype=np.float32, out_shape=(60, 80, 3)),
    "ColorJitter": Row(lambda: augkit.ColorJitter(0.4, 0.4, 0.4, 0.1), make_identity=augkit.ColorJitter),
    "PCALighting": Row(lambda: augkit.PCALighting(alphastd=0.5), make_identity=lambda: augkit.PCALighting(alphastd=0.0)),
    "RandomPhotometricDistort": Row(augkit.RandomPhotometricDistort, make_identity=lambda: augkit.RandomPhotometricDistort(p=0.0)),
    "RandomZoomOut": Row(
        lambda: augkit.RandomZoomOut(fill=(123, 117, 104), side_range=(1.0, 2.0), p=0.5),
        make_identity=lambda: augkit.RandomZoomOut(p=0.0),
    ),
    "RandomIoUCrop": Row(augkit.RandomIoUCrop, make_input=boxed_sample, make_identity=lambda: augkit.RandomIoUCrop(sampler_options=[1.0])),
    "RandomCropUpTo": Row(lambda: augkit.RandomCropUpTo((40, 100)), out_shape=(40, 80, 3)),
    "PadIfSmaller": Row(lambda: augkit.PadIfSmaller((70, 64), fill=3, mask_fill=255), out_shape=(70, 80, 3)),
    "Mixup": Row(lambda: augkit.Mixup(0.4, 5), make_input=labelled_batch, out_dtype=torch.float32),
    "CutMix": Row(lambda: augkit.CutMix(1.0, 5, mode="elem"), make_input=labelled_batch, out_dtype=torch.float32),
    "MixupOrCutMix": Row(
        lambda: augkit.MixupOrCutMix(0.8, 1.0, num_classes=5, mode="pair", prob=0.7),
        make_input=labelled_batch,
        out_dtype=torch.float32,
    ),
    "Invert": Row(lambda: augkit.Invert(p=0.5), make_identity=lambda: augkit.Invert(p=0.0)),
    "Solarize": Row(lambda: augkit.Solarize(128, p=0.5), make_identity=lambda: augkit.Solarize(128, p=0.0)),
    "Posterize": Row(lambda: augkit.Posterize(3, p=0.5), make_identity=lambda: augkit.Posterize(8)),
    "Equalize": Row(lambda: augkit.Equalize(p=0.5), make_identity=lambda: augkit.Equalize(p=0.0)),
    "AutoContrast": Row(lambda: augkit.AutoContrast(p=0.5), make_identity=lambda: augkit.AutoContrast(p=0.0)),
    "Sharpness": Row(lambda: augkit.Sharpness(2.0, p=0.5), make_identity=lambda: augkit.Sharpness(1.0)),
    "Grayscale": Row(lambda: augkit.Grayscale(), out_shape=(60, 80, 1)),
    "RandomGrayscale": Row(lambda: augkit.RandomGrayscale(p=0.5), make_identity=lambda: augkit.RandomGrayscale(p=0.0)),
    "GaussianBlur": Row(lambda: augkit.GaussianBlur(5, sigma=(0.5, 2.0)), make_identity=lambda: augkit.GaussianBlur(1)),
    "RandomErasing": Row(
        lambda: augkit.RandomErasing(p=0.5, value=(10, 20, 30), count=1, max_count=3),
        make_identity=lambda: augkit.RandomErasing(p=0.0),
    ),
    "Albumentations": Row(
        lambda: augkit.Albumentations(_albumentations().GaussianBlur(p=0.5)),
        make_identity=lambda: augkit.Albumentations(_albumentations().GaussianBlur(p=0.0)),
    ),
    "Rotate": Row(lambda: augkit.Rotate(30, interpolation="bilinear"), out_shape=(60, 80, 3), make_identity=lambda: augkit.Rotate(0)),
    "Affine": Row(
        lambda: augkit.Affine(20, translate=(0.1, 0.2), scale=(0.8, 1.2), shear=(-10, 10, -5, 5), fill=(10, 20, 30)),
        out_shape=(60, 80, 3),
    ),
    "ShearX": Row(lambda: augkit.ShearX(20, interpolation="bilinear"), out_shape=(60, 80, 3), make_identity=lambda: augkit.ShearX(0)),
    "ShearY": Row(lambda: augkit.ShearY((-15, 25), center=(0, 0)), out_shape=(60, 80, 3), make_identity=lambda: augkit.ShearY(0)),
    "TranslateX": Row(lambda: augkit.TranslateX(0.3), out_shape=(60, 80, 3), make_identity=lambda: augkit.TranslateX(pixels=0)),
    "TranslateY": Row(lambda: augkit.TranslateY(pixels=(-5, 12)), out_shape=(60, 80, 3), make_identity=lambda: augkit.TranslateY(0)),
    "Perspective": Row(lambda: augkit.Perspective(0.5, p=0.5), out_shape=(60, 80, 3), make_identity=lambda: augkit.Perspective(0.5, p=0.0)),
    "RandAugment": Row(lambda: augkit.RandAugment(num_ops=3, magnitude=15, interpolation="bilinear", fill=(10, 20, 30))),
    "TrivialAugmentWide": Row(augkit.TrivialAugmentWide),
    "AutoAugment": Row(lambda: augkit.AutoAugment("svhn", interpolation="bilinear")),
    "AugMix": Row(lambda: augkit.AugMix(severity=5, mixture_width=2)),
    "ThreeAugment": Row(augkit.ThreeAugment),
    "TimmRandAugment": Row(
        lambda: augkit.RandAugment.from_timm("rand-m9-mstd0.5-inc1"),
        make_identity=lambda: augkit.TimmRandAugment("rand-m9-p0"),
    ),
    "TorchVision": Row(
        lambda: augkit.TorchVision(_torchvision_v2().RandomResizedCrop(32)),
        out_shape=(32, 32, 3),
        make_identity=lambda: augkit.TorchVision(_torchvision_v2().RandomHorizontalFlip(p=0.0)),
        extra={"config": False},  # torchvision transforms have no config form: to_config raises
    ),
}

#: Rows for transforms that also run in the batch stage: (make, batch input, tolerance).
BATCH_ROWS: dict[str, tuple[Callable[[], Any], Callable[[], torch.Tensor], float]] = {
    "HorizontalFlip": (lambda: augkit.HorizontalFlip(p=0.5), bchw, 0.0),
    "VerticalFlip": (lambda: augkit.VerticalFlip(p=0.5), bchw, 0.0),
    "Normalize": (lambda: augkit.Normalize(MEAN, STD), bchw, 1e-5),
    "RandomApply": (lambda: augkit.RandomApply(augkit.HorizontalFlip(p=1.0), p=0.5), bchw, 0.0),
    "OneOf": (lambda: augkit.OneOf([augkit.HorizontalFlip(p=1.0), augkit.VerticalFlip(p=1.0)]), bchw, 0.0),
    "Compose": (lambda: augkit.Compose([augkit.HorizontalFlip(), augkit.Normalize(MEAN, STD)]), bchw, 1e-5),
    "Cutout": (lambda: augkit.Cutout(16, p=0.5, fill=128), bchw, 0.0),
    "BoxFilter": (lambda: augkit.BoxFilter(min_visibility=0.3, min_area=4.0), bchw, 0.0),
    "Whiten": (lambda: augkit.Whiten(MEAN, COV, method="pca"), bchw, 1e-5),
    "ColorJitter": (lambda: augkit.ColorJitter(0.4, 0.4, 0.4, 0.1), bchw, 1.0),
    "PCALighting": (lambda: augkit.PCALighting(alphastd=0.5), bchw, 1.0),
    "RandomCrop": (lambda: augkit.RandomCrop(24, padding=4), bchw, 0.0),
    "CenterCrop": (lambda: augkit.CenterCrop((20, 30)), bchw, 0.0),
    "Invert": (lambda: augkit.Invert(p=0.5), bchw, 0.0),
    "Solarize": (lambda: augkit.Solarize(100, p=0.5), bchw, 0.0),
    "Posterize": (lambda: augkit.Posterize(2, p=0.5), bchw, 0.0),
    "Equalize": (lambda: augkit.Equalize(p=0.5), bchw, 0.0),
    "AutoContrast": (lambda: augkit.AutoContrast(p=0.5), bchw, 0.0),
    "Sharpness": (lambda: augkit.Sharpness(1.8, p=0.5), bchw, 0.0),
    "Grayscale": (lambda: augkit.Grayscale(num_output_channels=3), bchw, 0.0),
    "RandomGrayscale": (lambda: augkit.RandomGrayscale(p=0.5), bchw, 0.0),
    "GaussianBlur": (lambda: augkit.GaussianBlur(7, sigma=(0.1, 2.0)), bchw, 0.0),
    "RandomErasing": (lambda: augkit.RandomErasing(p=0.7, mode="pixel", count=1, max_count=2), lambda: bchw().float() / 255, 0.0),
    "Rotate": (lambda: augkit.Rotate(45, interpolation="bilinear", fill=7), bchw, 0.0),
    "Affine": (lambda: augkit.Affine(20, translate=(0.1, 0.2), scale=(0.8, 1.2), shear=10), bchw, 0.0),
    "ShearX": (lambda: augkit.ShearX(20, interpolation="bilinear"), bchw, 0.0),
    "ShearY": (lambda: augkit.ShearY(20), bchw, 0.0),
    "TranslateX": (lambda: augkit.TranslateX(0.3, interpolation="bilinear"), bchw, 0.0),
    "TranslateY": (lambda: augkit.TranslateY(pixels=10), bchw, 0.0),
    "Perspective": (lambda: augkit.Perspective(0.5, p=0.5), bchw, 0.0),
    "RandomPhotometricDistort": (augkit.RandomPhotometricDistort, bchw, 0.0),
    "RandAugment": (lambda: augkit.RandAugment(num_ops=3, magnitude=15, interpolation="bilinear", fill=(10, 20, 30)), bchw, 1.0),
    "TrivialAugmentWide": (augkit.TrivialAugmentWide, bchw, 1.0),
    "AutoAugment": (lambda: augkit.AutoAugment("imagenet"), bchw, 1.0),
    "AugMix": (lambda: augkit.AugMix(severity=5, mixture_width=2), bchw, 1.0),
    "ThreeAugment": (augkit.ThreeAugment, bchw, 1.0),
    "TimmRandAugment": (lambda: augkit.RandAugment.from_timm("rand-m9-mstd0.5-inc1"), bchw, 1.0),
}
