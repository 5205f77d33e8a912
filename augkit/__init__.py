"""augkit: image preprocessing and augmentation for PyTorch training, reproducible to the bit."""

from augkit import constants
from augkit.config import from_config, to_yaml
from augkit.errors import ImageDecodeError
from augkit.io import decode
from augkit.rng import derive_generator
from augkit.transforms import (
    CenterCrop,
    ColorJitter,
    Compose,
    HorizontalFlip,
    Normalize,
    OneOf,
    PCALighting,
    RandomApply,
    RandomCrop,
    RandomResizedCrop,
    RandomScale,
    Resize,
    ToTensor,
    Transform,
    VerticalFlip,
    register,
)

__version__ = "0.1.0"

__all__ = [
    "CenterCrop",
    "ColorJitter",
    "Compose",
    "HorizontalFlip",
    "ImageDecodeError",
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
    "__version__",
    "constants",
    "decode",
    "derive_generator",
    "from_config",
    "register",
    "to_yaml",
]
