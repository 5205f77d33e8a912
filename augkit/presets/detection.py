"""Object detection recipes (torchvision's detection references: hflip, SSD, SSDlite)."""

from __future__ import annotations

from augkit import constants
from augkit.pipeline import Pipeline
from augkit.presets._common import mean_std
from augkit.transforms import (
    Compose,
    HorizontalFlip,
    Normalize,
    Resize,
    ToTensor,
)
from augkit.transforms.base import Transform
from augkit.transforms.detection import RandomIoUCrop, RandomPhotometricDistort, RandomZoomOut

DETECTION_POLICIES = ("hflip", "ssd", "ssdlite")

#: The canvas colour of the SSD zoom out in torchvision's detection reference (0-255).
SSD_FILL = (123, 117, 104)


def _detection_batch(stats):
    """[0, 1] floats (what torchvision's detection models take; they normalize inside), or ``stats``' mean / std."""
    if stats is None:
        return Normalize(mean=(0.0, 0.0, 0.0))
    return mean_std(stats, constants.IMAGENET_MEAN, constants.IMAGENET_STD)


def _detection_resize(size) -> list:
    if size is None:
        return []
    return [Resize(size=(size, size) if isinstance(size, int) else tuple(size))]


def detection_train(
    stats=None,
    *,
    data_augmentation: str = "hflip",
    hflip_prob: float = 0.5,
    fill: tuple[int, ...] | None = None,
    size: int | tuple[int, int] | None = None,
) -> Pipeline:
    """Object detection training: torchvision's ``hflip``, ``ssd`` and ``ssdlite`` policies.

    Samples are ``augkit.Sample(image, boxes=augkit.Boxes(xyxy, labels))`` (``augkit.data.
    CocoDetection`` gives them; masks and keypoints move too). Sample stage, by policy:

    * ``"hflip"`` (Faster / Mask / Keypoint R-CNN, RetinaNet, FCOS): a horizontal flip;
    * ``"ssd"``: ``RandomPhotometricDistort``, ``RandomZoomOut`` onto a canvas of the mean
      colour ``fill`` (masks: 0), ``RandomIoUCrop`` (boxes whose centre leaves the crop are
      dropped with their labels), flip;
    * ``"ssdlite"``: ``RandomIoUCrop``, flip.

    Image sizes: torchvision's detection presets keep every image's own size and its models
    resize and batch them inside. Here the sample stage keeps sizes too (``size=None``):
    collate with ``augkit.data.PadCollate``, which pads each batch at the bottom and right to
    its largest image (rounded up to 32), as torchvision's models do, so boxes keep their
    coordinates. ``size`` ends the sample stage with a resize to a fixed ``(height, width)``
    instead (``300`` for SSD300, ``320`` for SSDlite320: what those models resize to), and
    ``augkit.data.Uint8Collate`` works.

    Batch stage: conversion to float32 in [0, 1] (torchvision's ``ToDtype(float32,
    scale=True)``; its detection models normalize inside), or per-channel mean / std
    normalization with ``stats``. Boxes with a sub-pixel side are kept (torchvision's preset
    ends with ``SanitizeBoundingBoxes``, which drops those narrower than 1 pixel).

    Args:
        stats: None ([0, 1] floats), or an ``augkit.stats.Stats`` to normalize with.
        data_augmentation: ``"hflip"``, ``"ssd"`` or ``"ssdlite"``.
        hflip_prob: Probability of the horizontal flip.
        fill: The zoom-out canvas colour (0-255): None gives ``stats``' mean colour, or
            torchvision's ``(123, 117, 104)`` without ``stats``.
        size: None (keep sizes), an int (a square) or ``(height, width)``.

    Returns:
        ``Pipeline(sample, batch)``: uint8 ``[3, H, W]`` images with their boxes from the
        sample stage, float32 batches from the batch stage.

    Example:
        >>> import numpy as np, augkit
        >>> sample, batch = detection_train(data_augmentation="ssd", size=300)
        >>> out = sample(augkit.Sample(np.zeros((200, 300, 3), np.uint8), boxes=[[10, 20, 110, 120]]), rng=0)
        >>> tuple(out.image.shape), [type(t).__name__ for t in sample][:3]
        ((3, 300, 300), ['RandomPhotometricDistort', 'RandomZoomOut', 'RandomIoUCrop'])

    References:
        torchvision ``references/detection/presets.py`` (``DetectionPresetTrain``:
        ``hflip``: ``RandomHorizontalFlip(0.5)``; ``ssd``: ``RandomPhotometricDistort``,
        ``RandomZoomOut(fill=(123, 117, 104))``, ``RandomIoUCrop``, ``RandomHorizontalFlip``;
        ``ssdlite``: ``RandomIoUCrop``, ``RandomHorizontalFlip``); Liu et al., "SSD: Single
        Shot MultiBox Detector", ECCV 2016 (Sec. 2.2, data augmentation).
    """
    if data_augmentation not in DETECTION_POLICIES:
        raise ValueError(f"data_augmentation must be one of {DETECTION_POLICIES}, got {data_augmentation!r}")
    flip = HorizontalFlip(p=hflip_prob)
    steps: list[Transform]
    if data_augmentation == "hflip":
        steps = [flip]
    elif data_augmentation == "ssd":
        if fill is None:
            fill = SSD_FILL if stats is None else tuple(int(round(255 * m)) for m in _detection_batch(stats).mean)
        steps = [RandomPhotometricDistort(), RandomZoomOut(fill=fill, mask_fill=0), RandomIoUCrop(), flip]
    else:
        steps = [RandomIoUCrop(), flip]
    sample = Compose([*steps, *_detection_resize(size), ToTensor()])
    return Pipeline(sample, _detection_batch(stats))


def detection_eval(stats=None, *, size: int | tuple[int, int] | None = None) -> Pipeline:
    """Object detection evaluation: the image as it is (or resized to ``size``), as floats.

    torchvision's ``DetectionPresetEval``: no augmentation, conversion to [0, 1] floats (its
    models resize and normalize inside). Sizes differ: collate with
    ``augkit.data.PadCollate``, or pass ``size`` for a fixed-size resize.

    Args:
        stats: None ([0, 1] floats), or an ``augkit.stats.Stats`` to normalize with.
        size: None (keep sizes), an int (a square) or ``(height, width)``.

    Returns:
        ``Pipeline(sample, batch)``: uint8 images from the sample stage, float32 batches from
        the batch stage.

    Example:
        >>> import numpy as np
        >>> sample, batch = detection_eval()
        >>> x = sample(np.full((20, 30, 3), 255, np.uint8))[None]
        >>> tuple(x.shape), float(batch(x).max())
        ((1, 3, 20, 30), 1.0)

    References:
        torchvision ``references/detection/presets.py`` (``DetectionPresetEval``).
    """
    return Pipeline(Compose([*_detection_resize(size), ToTensor()]), _detection_batch(stats))
