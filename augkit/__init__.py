"""augkit: image preprocessing and augmentation for PyTorch training, reproducible to the bit."""

from augkit import constants, data, presets, stats, tta  # noqa: E402  (modules: augkit.tta.predict, augkit.presets.*)
from augkit.batch import CutMix, MixingTransform, Mixup, MixupOrCutMix
from augkit.config import from_config, to_yaml
from augkit.encoded import open_image
from augkit.errors import ImageDecodeError, UnsupportedTargetError
from augkit.interop import Albumentations, TorchVision
from augkit.io import decode
from augkit.pipeline import Pipeline
from augkit.rng import derive_generator
from augkit.targets import Batch, Boxes, Keypoints, Sample
from augkit.transforms import (
    CenterCrop,
    ColorJitter,
    Compose,
    Cutout,
    FiveCrop,
    HorizontalFlip,
    MultiScaleTenCrop,
    Normalize,
    OneOf,
    PCALighting,
    RandomApply,
    RandomCrop,
    RandomResizedCrop,
    RandomScale,
    Resize,
    TenCrop,
    ToTensor,
    Transform,
    VerticalFlip,
    Whiten,
    register,
)

__version__ = "0.1.0"

__all__ = [
    "Albumentations",
    "Batch",
    "Boxes",
    "Keypoints",
    "Sample",
    "UnsupportedTargetError",
    "CenterCrop",
    "ColorJitter",
    "Compose",
    "CutMix",
    "Cutout",
    "FiveCrop",
    "HorizontalFlip",
    "ImageDecodeError",
    "MixingTransform",
    "Mixup",
    "MixupOrCutMix",
    "MultiScaleTenCrop",
    "Normalize",
    "OneOf",
    "PCALighting",
    "Pipeline",
    "RandomApply",
    "RandomCrop",
    "RandomResizedCrop",
    "RandomScale",
    "Resize",
    "TenCrop",
    "ToTensor",
    "TorchVision",
    "Transform",
    "VerticalFlip",
    "Whiten",
    "__version__",
    "constants",
    "data",
    "decode",
    "open_image",
    "derive_generator",
    "from_config",
    "presets",
    "register",
    "stats",
    "to_yaml",
    "tta",
]
