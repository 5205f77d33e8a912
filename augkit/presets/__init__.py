"""Recipes from the literature as plain functions.

Each preset returns a ``Pipeline(sample, batch)``: ``sample`` runs in the dataset workers on
an HWC uint8 array and ends with ``ToTensor`` (shape-changing ops live here); ``batch`` runs
on collated ``[B, C, H, W]`` batches on the loader's device (photometric ops and
``Normalize`` live here, so they run on the GPU). Pass ``stats`` (an ``augkit.stats.Stats``
of your training set) to normalize with your data's statistics; None uses the ImageNet
constants of ``augkit.constants`` (CIFAR presets: the CIFAR-10 constants).

Typical use::

    stats = augkit.stats.compute("train/", mean_image_size=256)
    sample, batch = augkit.presets.resnet_train(stats)
    dataset = AugmentedDataset(ImageFolder("train/"), sample, seed=0)
    loader = DeviceLoader(DataLoader(dataset, batch_size=256, num_workers=8), "cuda", batch)

Every pipeline round-trips through ``pipeline.to_config()`` / ``augkit.from_config``.
"""

from __future__ import annotations

from collections.abc import Callable

from augkit.pipeline import Pipeline
from augkit.presets.classic import (
    alexnet_eval,
    alexnet_train,
    cifar_eval,
    cifar_train,
    inception_train,
    resnet_eval,
    resnet_train,
    resnet_tta,
    vgg_eval,
    vgg_train,
)
from augkit.presets.detection import DETECTION_POLICIES as DETECTION_POLICIES
from augkit.presets.detection import SSD_FILL as SSD_FILL
from augkit.presets.detection import detection_eval, detection_train
from augkit.presets.modern import (
    POLICY_STAGES as POLICY_STAGES,
)
from augkit.presets.modern import (
    RSB_CROP_PCT as RSB_CROP_PCT,
)
from augkit.presets.modern import (
    RSB_PROCEDURES as RSB_PROCEDURES,
)
from augkit.presets.modern import (
    TIMM_CROP_PCT as TIMM_CROP_PCT,
)
from augkit.presets.modern import (
    convnext_eval,
    convnext_train,
    deit_eval,
    deit_train,
    rsb_a1,
    rsb_a2,
    rsb_a3,
    rsb_eval,
    timm_like,
    torchvision_resnet_v2,
    torchvision_resnet_v2_eval,
)
from augkit.presets.segmentation import segmentation_eval, segmentation_train

__all__ = [
    "alexnet_eval",
    "alexnet_train",
    "cifar_eval",
    "cifar_train",
    "convnext_eval",
    "convnext_train",
    "deit_eval",
    "deit_train",
    "detection_eval",
    "detection_train",
    "inception_train",
    "resnet_eval",
    "resnet_train",
    "resnet_tta",
    "rsb_a1",
    "rsb_a2",
    "rsb_a3",
    "rsb_eval",
    "segmentation_eval",
    "segmentation_train",
    "timm_like",
    "torchvision_resnet_v2",
    "torchvision_resnet_v2_eval",
    "vgg_eval",
    "vgg_train",
]


# --------------------------------------------------------------------------- lookup by name


def names() -> list[str]:
    """Return the names of the presets, sorted (what ``get`` and ``augkit preview --preset`` accept).

    Example:
        >>> "resnet_train" in names()
        True
    """
    return sorted(__all__)


def get(name: str) -> Callable[..., Pipeline]:
    """Return the preset function called ``name`` (call it, with ``stats`` or without, for the pipeline).

    Args:
        name: A preset's name, one of ``names()``.

    Returns:
        The function, e.g. ``resnet_train``.

    Raises:
        TypeError: ``name`` is not a string.
        ValueError: No preset has that name; the message lists them.

    Example:
        >>> get("resnet_eval") is resnet_eval
        True
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a preset name (a string), got {type(name).__name__}")
    if name not in __all__:
        raise ValueError(f"unknown preset {name!r}; available: {', '.join(names())}")
    return globals()[name]
