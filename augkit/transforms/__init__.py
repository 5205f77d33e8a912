"""Transform classes: each draws parameters with ``sample`` and calls a kernel in ``apply``."""

from augkit.transforms.base import Transform, params_at, register, registered_transforms
from augkit.transforms.color import ColorJitter, PCALighting
from augkit.transforms.containers import Compose, OneOf, RandomApply
from augkit.transforms.detection import RandomIoUCrop, RandomPhotometricDistort, RandomZoomOut
from augkit.transforms.erase import Cutout
from augkit.transforms.geometry import (
    CenterCrop,
    HorizontalFlip,
    RandomCrop,
    RandomResizedCrop,
    RandomScale,
    Resize,
    VerticalFlip,
)
from augkit.transforms.normalize import Normalize
from augkit.transforms.pad_crop import PadIfSmaller, RandomCropUpTo
from augkit.transforms.tensor import ToTensor
from augkit.transforms.views import FiveCrop, MultiScaleTenCrop, TenCrop
from augkit.transforms.whiten import Whiten

__all__ = [
    "CenterCrop",
    "ColorJitter",
    "Compose",
    "Cutout",
    "FiveCrop",
    "HorizontalFlip",
    "MultiScaleTenCrop",
    "Normalize",
    "OneOf",
    "PCALighting",
    "PadIfSmaller",
    "RandomApply",
    "RandomCrop",
    "RandomCropUpTo",
    "RandomIoUCrop",
    "RandomPhotometricDistort",
    "RandomResizedCrop",
    "RandomScale",
    "RandomZoomOut",
    "Resize",
    "TenCrop",
    "ToTensor",
    "Transform",
    "VerticalFlip",
    "Whiten",
    "params_at",
    "register",
    "registered_transforms",
]
