"""augkit: image preprocessing and augmentation for PyTorch training, reproducible to the bit."""

from augkit import constants, stats
from augkit.config import from_config, to_yaml
from augkit.errors import ImageDecodeError
from augkit.io import decode
from augkit.rng import derive_generator
from augkit.transforms import (
    CenterCrop,
    Compose,
    HorizontalFlip,
    Normalize,
    OneOf,
    RandomApply,
    RandomCrop,
    RandomResizedCrop,
    RandomScale,
    Resize,
    ToTensor,
    Transform,
    VerticalFlip,
    Whiten,
    register,
)

__version__ = "0.1.0"

__all__ = [
    "CenterCrop",
    "Compose",
    "HorizontalFlip",
    "ImageDecodeError",
    "Normalize",
    "OneOf",
    "RandomApply",
    "RandomCrop",
    "RandomResizedCrop",
    "RandomScale",
    "Resize",
    "ToTensor",
    "Transform",
    "VerticalFlip",
    "Whiten",
    "__version__",
    "constants",
    "decode",
    "derive_generator",
    "from_config",
    "register",
    "stats",
    "to_yaml",
]
