"""Transform classes: each draws parameters with ``sample`` and calls a kernel in ``apply``."""

from augkit.transforms.affine import Affine, Perspective, Rotate, ShearX, ShearY, TranslateX, TranslateY
from augkit.transforms.base import Transform, params_at, register, registered_transforms
from augkit.transforms.box_filter import BoxFilter
from augkit.transforms.color import ColorJitter, PCALighting
from augkit.transforms.containers import Compose, OneOf, RandomApply
from augkit.transforms.detection import RandomIoUCrop, RandomPhotometricDistort, RandomZoomOut
from augkit.transforms.erase import Cutout, RandomErasing
from augkit.transforms.geometry import (
    CenterCrop,
    HorizontalFlip,
    RandomCrop,
    RandomHorizontalFlip,
    RandomResizedCrop,
    RandomScale,
    RandomVerticalFlip,
    Resize,
    VerticalFlip,
)
from augkit.transforms.normalize import Normalize
from augkit.transforms.pad_crop import PadIfSmaller, RandomCropUpTo
from augkit.transforms.photometric import (
    AutoContrast,
    Equalize,
    GaussianBlur,
    Grayscale,
    Invert,
    Posterize,
    RandomGrayscale,
    Sharpness,
    Solarize,
)
from augkit.transforms.policies import AugMix, AutoAugment, RandAugment, ThreeAugment, TimmRandAugment, TrivialAugmentWide
from augkit.transforms.tensor import ToTensor
from augkit.transforms.views import FiveCrop, MultiScaleTenCrop, TenCrop
from augkit.transforms.whiten import Whiten

__all__ = [
    "AugMix",
    "AutoAugment",
    "AutoContrast",
    "BoxFilter",
    "Affine",
    "CenterCrop",
    "ColorJitter",
    "Compose",
    "Cutout",
    "Equalize",
    "FiveCrop",
    "GaussianBlur",
    "Grayscale",
    "HorizontalFlip",
    "Invert",
    "MultiScaleTenCrop",
    "Normalize",
    "OneOf",
    "PCALighting",
    "Posterize",
    "Perspective",
    "RandAugment",
    "RandomApply",
    "RandomCrop",
    "RandomHorizontalFlip",
    "RandomVerticalFlip",
    "RandomErasing",
    "RandomGrayscale",
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
    "Sharpness",
    "Solarize",
    "Rotate",
    "ShearX",
    "ShearY",
    "TenCrop",
    "ThreeAugment",
    "TimmRandAugment",
    "ToTensor",
    "Transform",
    "TranslateX",
    "TranslateY",
    "TrivialAugmentWide",
    "VerticalFlip",
    "Whiten",
    "params_at",
    "register",
    "registered_transforms",
]
