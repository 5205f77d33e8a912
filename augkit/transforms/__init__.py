"""Transform classes: each draws parameters with ``sample`` and calls a kernel in ``apply``."""

from augkit.transforms.base import Transform, params_at, register, registered_transforms
from augkit.transforms.color import ColorJitter, PCALighting
from augkit.transforms.containers import Compose, OneOf, RandomApply
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
from augkit.transforms.tensor import ToTensor

__all__ = [
    "CenterCrop",
    "ColorJitter",
    "Compose",
    "HorizontalFlip",
    "Normalize",
    "OneOf",
    "PCALighting",
    "RandomApply",
    "RandomCrop",
    "RandomResizedCrop",
    "RandomScale",
    "Resize",
    "ToTensor",
    "Transform",
    "VerticalFlip",
    "params_at",
    "register",
    "registered_transforms",
]
