"""Semantic segmentation recipes (torchvision's segmentation references)."""

from __future__ import annotations

from augkit import constants
from augkit.pipeline import Pipeline
from augkit.presets._common import mean_std
from augkit.transforms import (
    Compose,
    HorizontalFlip,
    RandomScale,
    Resize,
    ToTensor,
)
from augkit.transforms.pad_crop import PadIfSmaller, RandomCropUpTo


def segmentation_train(
    stats=None, *, base_size: int = 520, crop_size: int = 480, hflip_prob: float = 0.5, fill: int = 0, mask_fill: int = 255
) -> Pipeline:
    """Semantic segmentation training: random scale [0.5, 2] x base, flip, pad, random crop, normalize.

    torchvision's segmentation reference (FCN, DeepLabV3, LR-ASPP): the shorter side is
    resized to an integer drawn uniformly from ``[0.5 * base_size, 2 * base_size)`` (masks
    with nearest neighbour, so class ids are never blended), the image and mask are mirrored
    with probability ``hflip_prob``, padded at the bottom and right up to ``crop_size``
    (image with ``fill``, mask with ``mask_fill``, the "ignore" label 255), and a random
    ``crop_size`` square is cut out. Batch stage: per-channel mean / std normalization
    (ImageNet's, or ``stats``'). Samples are ``augkit.Sample(image, mask=...)``; the
    collated masks are ``[B, crop_size, crop_size]``.

    The sample stage cuts the window first (``RandomCropUpTo``: at most ``crop_size`` per
    side), then flips and pads it (``PadIfSmaller``). The flip of a window is the mirrored
    window of the flipped image, so the outputs have exactly the reference's distribution
    (padding always at the bottom and right); and the crop, coming right after the resize,
    is fused with it: only the kept pixels are resampled and decoded.

    Args:
        stats: An ``augkit.stats.Stats`` (mean, std), or None for the ImageNet constants.
        base_size: The shorter side is drawn from ``[base_size // 2, 2 * base_size)``.
        crop_size: Side of the random crop (and of the padding).
        hflip_prob: Probability of a horizontal flip (0 leaves it out).
        fill: Value of padded image pixels.
        mask_fill: Value of padded mask pixels.

    Returns:
        ``Pipeline(sample, batch)``: uint8 ``[3, crop_size, crop_size]`` images (and masks of
        that size) from the sample stage, float32 normalized batches from the batch stage.

    Example:
        >>> import numpy as np, augkit
        >>> sample, batch = segmentation_train(base_size=64, crop_size=48)
        >>> out = sample(augkit.Sample(np.zeros((40, 60, 3), np.uint8), mask=np.ones((40, 60), np.uint8)), rng=0)
        >>> tuple(out.image.shape), tuple(out.mask.shape), sorted(set(out.mask.unique().tolist()) - {1})
        ((3, 48, 48), (48, 48), [])

    References:
        torchvision ``references/segmentation/presets.py`` (``SegmentationPresetTrain``:
        ``RandomResize(int(0.5 * base_size), int(2.0 * base_size))``, ``RandomHorizontalFlip``,
        ``PadIfSmaller(crop_size, fill={Mask: 255, others: 0})``, ``RandomCrop(crop_size)``,
        ``Normalize``; ``train.py``: base_size 520, crop_size 480); Long, Shelhamer and
        Darrell, "Fully Convolutional Networks for Semantic Segmentation", CVPR 2015.
    """
    low, high = int(0.5 * base_size), int(2.0 * base_size)
    if high <= low:
        raise ValueError(f"base_size must be at least 1, got {base_size}")
    flip = [HorizontalFlip(p=hflip_prob)] if hflip_prob > 0 else []
    sample = Compose(
        [RandomScale(low, high - 1), RandomCropUpTo(crop_size), *flip, PadIfSmaller(crop_size, fill=fill, mask_fill=mask_fill), ToTensor()]
    )
    return Pipeline(sample, mean_std(stats, constants.IMAGENET_MEAN, constants.IMAGENET_STD))


def segmentation_eval(stats=None, *, base_size: int = 520) -> Pipeline:
    """Semantic segmentation evaluation: shorter side to ``base_size``, normalize.

    torchvision's segmentation reference: the image and its mask are resized so that the
    shorter side is ``base_size`` (aspect kept; masks with nearest neighbour), then
    normalized per channel. Images keep their aspect ratio, so sizes differ: evaluate with
    ``batch_size=1`` (as the reference does) or collate with ``augkit.data.PadCollate``
    (pads images with 0 and masks with the ignore label 255 at the bottom and right).

    Args:
        stats: An ``augkit.stats.Stats`` (mean, std), or None for the ImageNet constants.
        base_size: The shorter side.

    Returns:
        ``Pipeline(sample, batch)``: uint8 images with shorter side ``base_size`` from the
        sample stage, float32 normalized batches from the batch stage.

    Example:
        >>> import numpy as np
        >>> sample, batch = segmentation_eval(base_size=32)
        >>> tuple(sample(np.zeros((40, 60, 3), np.uint8)).shape)
        (3, 32, 48)

    References:
        torchvision ``references/segmentation/presets.py`` (``SegmentationPresetEval``:
        ``RandomResize(base_size, base_size)``, i.e. the shorter side to ``base_size``, and
        ``Normalize``).
    """
    sample = Compose([Resize(shorter=base_size), ToTensor()])
    return Pipeline(sample, mean_std(stats, constants.IMAGENET_MEAN, constants.IMAGENET_STD))
