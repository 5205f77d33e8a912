"""augkit: image preprocessing and augmentation for PyTorch training, reproducible to the bit."""

# ruff: noqa: F401  (the TYPE_CHECKING imports below only declare the lazy public names)

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Public names are imported on first use (PEP 562), so ``import augkit`` and the ``augkit``
# command's ``--help`` / ``--version`` stay fast: torch is imported only when needed.
_EXPORTS = {
    "Affine": "augkit.transforms",
    "AugMix": "augkit.transforms",
    "AutoAugment": "augkit.transforms",
    "RandAugment": "augkit.transforms",
    "ThreeAugment": "augkit.transforms",
    "TimmRandAugment": "augkit.transforms",
    "TrivialAugmentWide": "augkit.transforms",
    "Albumentations": "augkit.interop",
    "Batch": "augkit.targets",
    "BoxFilter": "augkit.transforms",
    "Boxes": "augkit.targets",
    "Keypoints": "augkit.targets",
    "Sample": "augkit.targets",
    "UnsupportedTargetError": "augkit.errors",
    "AutoContrast": "augkit.transforms",
    "CenterCrop": "augkit.transforms",
    "ColorJitter": "augkit.transforms",
    "Compose": "augkit.transforms",
    "CutMix": "augkit.batch",
    "Cutout": "augkit.transforms",
    "Equalize": "augkit.transforms",
    "FiveCrop": "augkit.transforms",
    "GaussianBlur": "augkit.transforms",
    "Grayscale": "augkit.transforms",
    "HorizontalFlip": "augkit.transforms",
    "ImageDecodeError": "augkit.errors",
    "Invert": "augkit.transforms",
    "MixingTransform": "augkit.batch",
    "Mixup": "augkit.batch",
    "MixupOrCutMix": "augkit.batch",
    "MultiScaleTenCrop": "augkit.transforms",
    "Normalize": "augkit.transforms",
    "OneOf": "augkit.transforms",
    "PCALighting": "augkit.transforms",
    "Perspective": "augkit.transforms",
    "PadIfSmaller": "augkit.transforms",
    "Pipeline": "augkit.pipeline",
    "Posterize": "augkit.transforms",
    "RandomApply": "augkit.transforms",
    "RandomCrop": "augkit.transforms",
    "RandomHorizontalFlip": "augkit.transforms",
    "RandomVerticalFlip": "augkit.transforms",
    "RandomErasing": "augkit.transforms",
    "RandomGrayscale": "augkit.transforms",
    "RandomCropUpTo": "augkit.transforms",
    "RandomIoUCrop": "augkit.transforms",
    "RandomPhotometricDistort": "augkit.transforms",
    "RandomResizedCrop": "augkit.transforms",
    "RandomScale": "augkit.transforms",
    "RandomZoomOut": "augkit.transforms",
    "Resize": "augkit.transforms",
    "Sharpness": "augkit.transforms",
    "Solarize": "augkit.transforms",
    "Rotate": "augkit.transforms",
    "ShearX": "augkit.transforms",
    "ShearY": "augkit.transforms",
    "TenCrop": "augkit.transforms",
    "ToTensor": "augkit.transforms",
    "TorchVision": "augkit.interop",
    "TranslateX": "augkit.transforms",
    "TranslateY": "augkit.transforms",
    "Transform": "augkit.transforms",
    "VerticalFlip": "augkit.transforms",
    "Whiten": "augkit.transforms",
    "decode": "augkit.io",
    "decode_mask": "augkit.io",
    "derive_generator": "augkit.rng",
    "from_config": "augkit.config",
    "open_image": "augkit.encoded",
    "register": "augkit.transforms",
    "to_yaml": "augkit.config",
}
#: Submodules reachable as attributes (``augkit.tta.predict``, ``augkit.presets.resnet_train``, ``augkit.functional.hflip``).
_SUBMODULES = ("constants", "data", "functional", "presets", "stats", "tta")

__all__ = sorted([*_EXPORTS, *_SUBMODULES, "__version__"])

if TYPE_CHECKING:  # what static type checkers and IDEs see
    from augkit import constants, data, functional, presets, stats, tta
    from augkit.batch import CutMix, MixingTransform, Mixup, MixupOrCutMix
    from augkit.config import from_config, to_yaml
    from augkit.encoded import open_image
    from augkit.errors import ImageDecodeError, UnsupportedTargetError
    from augkit.interop import Albumentations, TorchVision
    from augkit.io import decode, decode_mask
    from augkit.pipeline import Pipeline
    from augkit.rng import derive_generator
    from augkit.targets import Batch, Boxes, Keypoints, Sample
    from augkit.transforms import (
        Affine,
        AugMix,
        AutoAugment,
        AutoContrast,
        BoxFilter,
        CenterCrop,
        ColorJitter,
        Compose,
        Cutout,
        Equalize,
        FiveCrop,
        GaussianBlur,
        Grayscale,
        HorizontalFlip,
        Invert,
        MultiScaleTenCrop,
        Normalize,
        OneOf,
        PadIfSmaller,
        PCALighting,
        Perspective,
        Posterize,
        RandAugment,
        RandomApply,
        RandomCrop,
        RandomCropUpTo,
        RandomErasing,
        RandomGrayscale,
        RandomHorizontalFlip,
        RandomIoUCrop,
        RandomPhotometricDistort,
        RandomResizedCrop,
        RandomScale,
        RandomVerticalFlip,
        RandomZoomOut,
        Resize,
        Rotate,
        Sharpness,
        ShearX,
        ShearY,
        Solarize,
        TenCrop,
        ThreeAugment,
        TimmRandAugment,
        ToTensor,
        Transform,
        TranslateX,
        TranslateY,
        TrivialAugmentWide,
        VerticalFlip,
        Whiten,
        register,
    )


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"augkit.{name}")
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'augkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
