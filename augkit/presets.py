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

import math
from collections.abc import Callable

from augkit import constants
from augkit._deprecation import renamed_arguments
from augkit.batch import MixupOrCutMix
from augkit.pipeline import Pipeline
from augkit.stats import as_stats
from augkit.transforms import (
    CenterCrop,
    ColorJitter,
    Compose,
    Cutout,
    HorizontalFlip,
    Normalize,
    PCALighting,
    RandomApply,
    RandomCrop,
    RandomErasing,
    RandomResizedCrop,
    RandomScale,
    Resize,
    ToTensor,
    VerticalFlip,
)
from augkit.transforms.base import Transform
from augkit.transforms.detection import RandomIoUCrop, RandomPhotometricDistort, RandomZoomOut
from augkit.transforms.pad_crop import PadIfSmaller, RandomCropUpTo
from augkit.transforms.photometric import GaussianBlur, RandomGrayscale
from augkit.transforms.policies import RandAugment, TrivialAugmentWide
from augkit.transforms.views import MultiScaleTenCrop

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


# --------------------------------------------------------------------------- helpers


def _mean_std(stats, default_mean, default_std):
    stats = as_stats(stats)
    if stats is None:
        return Normalize(mean=default_mean, std=default_std)
    return Normalize.from_stats(stats, "per_channel_std")


def _mean_only(stats, default_mean):
    stats = as_stats(stats)
    if stats is None:
        return Normalize(mean=default_mean)
    return Normalize.from_stats(stats, "per_channel_mean")


def _lighting(stats, alpha_std: float):
    stats = as_stats(stats)
    if stats is None:
        return PCALighting(alpha_std=alpha_std)
    return PCALighting.from_stats(stats, alpha_std=alpha_std)


def _alexnet_mean(stats):
    """The mean image of ``stats`` if it has one, else the per-channel mean (a constant image)."""
    stats = as_stats(stats)
    if stats is not None and getattr(stats, "mean_image", None) is not None:
        return Normalize.from_stats(stats, "mean_image")
    return _mean_only(stats, constants.IMAGENET_MEAN)


def _batch(*transforms):
    kept = [t for t in transforms if t is not None]
    return kept[0] if len(kept) == 1 else Compose(kept)


# --------------------------------------------------------------------------- AlexNet


@renamed_arguments(resize="shorter", alphastd="alpha_std", flip="hflip_prob")
def alexnet_train(stats=None, *, size: int = 224, shorter: int = 256, alpha_std: float = 0.1, hflip_prob: float = 0.5) -> Pipeline:
    """AlexNet training: random 224 crops of 256 x 256 images, flips, PCA lighting, mean image.

    Every image is brought to 256 x 256 as in the paper (shorter side resized to 256, then
    the central 256 x 256 patch), PCA lighting noise is added (alpha ~ N(0, 0.1) per image),
    the dataset's 256 x 256 mean image is subtracted, and a random 224 x 224 window is
    cropped and mirrored with probability 1/2.

    The mean image depends on the pixel position, so it is subtracted at 256 x 256, *before*
    the random crop (exactly as if the mean were cropped with the same window: Caffe's
    ``DataTransformer`` indexes the mean at the crop's offset). The sample stage therefore
    ends with the uint8 256 x 256 image, and the batch stage does the rest on the device:
    lighting (which clips to the pixel range, so it comes first), mean subtraction, then a
    per-sample random 224 crop and flip of the ``[B, 3, 256, 256]`` batch.

    Without a mean image (``stats`` None, or computed without ``mean_image_size``) the
    per-channel mean is subtracted instead: a constant mean image, the same at every
    position, written as ``Normalize(mean=...)`` (ImageNet's when ``stats`` is None).
    Compute ``stats`` with ``augkit.stats.compute(..., mean_image_size=shorter)`` so the
    mean image has the size it is subtracted at.

    Args:
        stats: An ``augkit.stats.Stats`` or the path of its ``stats.json`` (mean image, mean
            and PCA eigenvectors are used), or None for the ImageNet constants.
        size: Side of the random crop (224).
        shorter: The shorter side images are resized to, then cut to the central square of
            that side (256): the square the crop is taken from; the mean image must have this
            size (formerly ``resize``).
        alpha_std: Standard deviation of the PCA lighting coefficients (0.1; 0 leaves it out;
            formerly ``alphastd``).
        hflip_prob: Probability of a horizontal flip (formerly ``flip``).

    Returns:
        ``Pipeline(sample, batch)``: ``sample`` gives ``[3, shorter, shorter]`` uint8 tensors;
        ``batch`` gives ``[B, 3, size, size]`` float32 (mean-subtracted, [0, 1] units).

    Example:
        >>> import numpy as np, torch
        >>> sample, batch = alexnet_train()
        >>> x = torch.stack([sample(np.zeros((300, 400, 3), np.uint8), rng=i) for i in range(2)])
        >>> y = batch(x, rng=0)
        >>> tuple(x.shape), x.dtype, tuple(y.shape), y.dtype
        ((2, 3, 256, 256), torch.uint8, (2, 3, 224, 224), torch.float32)

    References:
        Krizhevsky, Sutskever and Hinton, "ImageNet Classification with Deep Convolutional
        Neural Networks", NIPS 2012 (Sec. 2: 256 x 256 images, mean subtraction; Sec. 4.1:
        224 x 224 random patches, reflections, PCA colour augmentation with std 0.1).
    """
    stats = as_stats(stats)
    sample = Compose([Resize(shorter=shorter), CenterCrop(shorter), ToTensor()])
    lighting = _lighting(stats, alpha_std) if alpha_std > 0 else None
    batch = _batch(lighting, _alexnet_mean(stats), RandomCrop(size), HorizontalFlip(p=hflip_prob))
    return Pipeline(sample, batch)


@renamed_arguments(resize="shorter")
def alexnet_eval(stats=None, *, size: int = 224, shorter: int = 256) -> Pipeline:
    """AlexNet evaluation: the central 224 crop of the 256 x 256 image, mean image subtracted.

    As ``alexnet_train`` without randomness: shorter side to 256, central 256 x 256 patch
    (the sample stage, uint8), then mean image (or per-channel mean) subtracted and the
    central 224 x 224 window taken (the batch stage). The paper averaged the predictions of
    ten patches (four corners and centre, and their mirrors): for that, use
    ``augkit.TenCrop(224)`` on the mean-subtracted 256 x 256 image.

    Args:
        stats: An ``augkit.stats.Stats`` or the path of its ``stats.json`` (mean image or
            per-channel mean), or None for ImageNet's per-channel mean.
        size: Side of the central crop.
        shorter: The shorter side images are resized to, then cut to the central square of
            that side: the square the crop is taken from (formerly ``resize``).

    Returns:
        ``Pipeline(sample, batch)``: uint8 ``[3, shorter, shorter]``, then float32
        ``[B, 3, size, size]``.

    Example:
        >>> import numpy as np
        >>> sample, batch = alexnet_eval()
        >>> out = batch(sample(np.zeros((300, 400, 3), np.uint8))[None])
        >>> tuple(out.shape), out.dtype
        ((1, 3, 224, 224), torch.float32)

    References:
        Krizhevsky, Sutskever and Hinton, NIPS 2012 (Sec. 4.1: "At test time, the network
        makes a prediction by extracting five 224 x 224 patches ... as well as their
        horizontal reflections").
    """
    stats = as_stats(stats)
    sample = Compose([Resize(shorter=shorter), CenterCrop(shorter), ToTensor()])
    return Pipeline(sample, _batch(_alexnet_mean(stats), CenterCrop(size)))


# --------------------------------------------------------------------------- VGG


@renamed_arguments(scale="shorter", alphastd="alpha_std", flip="hflip_prob")
def vgg_train(
    stats=None, *, size: int = 224, shorter: tuple[int, int] = (256, 512), alpha_std: float = 0.1, hflip_prob: float = 0.5
) -> Pipeline:
    """VGG training: scale augmentation S in [256, 512], random 224 crop, flip, RGB shift, mean.

    Sample stage: the shorter side is resized to an integer S drawn uniformly from
    ``shorter`` ("multi-scale training", scale jittering), a random 224 x 224 window is
    cropped and mirrored with probability 1/2. Batch stage: the random RGB colour shift of
    Krizhevsky et al. (PCA lighting, alpha_std 0.1), then subtraction of the per-channel
    mean (VGG subtracts the mean RGB value only, no division by a std).

    Args:
        stats: An ``augkit.stats.Stats`` (mean and PCA eigenvectors), or None for ImageNet's.
        size: Side of the random crop.
        shorter: ``(S_min, S_max)``, the range of the shorter side (formerly ``scale``).
        alpha_std: Standard deviation of the colour shift (0 leaves it out; formerly ``alphastd``).
        hflip_prob: Probability of a horizontal flip (formerly ``flip``).

    Returns:
        ``Pipeline(sample, batch)``: ``[3, size, size]`` uint8 tensors from the sample stage;
        float32 mean-subtracted batches from the batch stage.

    Example:
        >>> import numpy as np, torch
        >>> sample, batch = vgg_train()
        >>> x = torch.stack([sample(np.zeros((300, 400, 3), np.uint8), rng=i) for i in range(2)])
        >>> y = batch(x, rng=0)
        >>> tuple(x.shape), x.dtype, y.dtype
        ((2, 3, 224, 224), torch.uint8, torch.float32)

    References:
        Simonyan and Zisserman, "Very Deep Convolutional Networks for Large-Scale Image
        Recognition", ICLR 2015 (Sec. 2.1: "subtracting the mean RGB value"; Sec. 3.1:
        random 224 x 224 crops, horizontal flips, random RGB colour shift, S in [256, 512]).
    """
    sample = Compose([RandomScale(*shorter), RandomCrop(size), HorizontalFlip(p=hflip_prob), ToTensor()])
    lighting = _lighting(stats, alpha_std) if alpha_std > 0 else None
    return Pipeline(sample, _batch(lighting, _mean_only(stats, constants.IMAGENET_MEAN)))


@renamed_arguments(resize="shorter")
def vgg_eval(stats=None, *, size: int = 224, shorter: int = 256) -> Pipeline:
    """VGG evaluation: shorter side to 256, central 224 crop, per-channel mean subtracted.

    The paper evaluates densely (fully convolutionally) on the whole image rescaled to a
    test scale Q (Q = 384 for S in [256, 512]) and averages with the mirrored image; the
    usual crop-based form used here is ``Resize(shorter=256)`` + ``CenterCrop(224)``
    (set ``shorter=384`` for the paper's Q with a larger ``size``, or use
    ``augkit.MultiScaleTenCrop`` for multi-crop evaluation).

    Args:
        stats: An ``augkit.stats.Stats`` (mean), or None for ImageNet's.
        size: Side of the central crop.
        shorter: The shorter side before cropping (formerly ``resize``).

    Returns:
        ``Pipeline(sample, batch)``: uint8 ``[3, size, size]`` from the sample stage, the
        batch stage subtracts the mean (float32).

    Example:
        >>> import numpy as np
        >>> sample, batch = vgg_eval()
        >>> tuple(sample(np.zeros((300, 400, 3), np.uint8)).shape), batch.std
        ((3, 224, 224), None)

    References:
        Simonyan and Zisserman, ICLR 2015 (Sec. 3.2, testing).
    """
    sample = Compose([Resize(shorter=shorter), CenterCrop(size), ToTensor()])
    return Pipeline(sample, _mean_only(stats, constants.IMAGENET_MEAN))


# --------------------------------------------------------------------------- ResNet


@renamed_arguments(scale="shorter", alphastd="alpha_std", flip="hflip_prob")
def resnet_train(
    stats=None,
    *,
    size: int = 224,
    shorter: tuple[int, int] = (256, 480),
    jitter: float = 0.4,
    alpha_std: float = 0.1,
    hflip_prob: float = 0.5,
) -> Pipeline:
    """ResNet training: scale augmentation [256, 480], 224 crop, flip, colour jitter, lighting.

    Sample stage (geometry, in the workers): the shorter side is resized to an integer
    drawn uniformly from [256, 480], a random 224 x 224 window is cropped and mirrored with
    probability 1/2, ``ToTensor``. Batch stage (photometry, on the loader's device):
    brightness, contrast and saturation jitter of 0.4 in random order and PCA lighting with
    alpha_std 0.1 (the values of fb.resnet.torch), then per-channel mean / std normalization.

    fb.resnet.torch, the authors' reference reimplementation, replaced the scale
    augmentation by a random-sized crop; for that recipe use ``inception_train`` with
    ``jitter``, or this function's pieces with ``RandomResizedCrop``.

    Args:
        stats: An ``augkit.stats.Stats`` (mean, std, PCA eigenvectors), or None for the
            ImageNet constants (fb.resnet.torch's).
        size: Side of the random crop.
        shorter: ``(min, max)``, the range of the shorter side (formerly ``scale``).
        jitter: Brightness / contrast / saturation jitter (0 leaves ``ColorJitter`` out).
        alpha_std: Standard deviation of the PCA lighting coefficients (0 leaves it out;
            formerly ``alphastd``).
        hflip_prob: Probability of a horizontal flip (formerly ``flip``).

    Returns:
        ``Pipeline(sample, batch)``: ``[3, size, size]`` uint8 tensors from the sample stage;
        float32 normalized batches from the batch stage.

    Example:
        >>> import numpy as np, torch
        >>> sample, batch = resnet_train()
        >>> x = torch.stack([sample(np.zeros((300, 400, 3), np.uint8), rng=i) for i in range(2)])
        >>> tuple(batch(x, rng=0).shape), [type(t).__name__ for t in batch]
        ((2, 3, 224, 224), ['ColorJitter', 'PCALighting', 'Normalize'])

    References:
        He, Zhang, Ren and Sun, "Deep Residual Learning for Image Recognition", CVPR 2016
        (Sec. 3.4: "The image is resized with its shorter side randomly sampled in
        [256, 480] for scale augmentation. A 224 x 224 crop is randomly sampled from an
        image or its horizontal flip, with the per-pixel mean subtracted. The standard color
        augmentation in [21] is used."); fb.resnet.torch ``datasets/imagenet.lua``
        (``ColorJitter`` 0.4 / 0.4 / 0.4, ``Lighting(0.1)``, ``ColorNormalize`` mean / std).
    """
    sample = Compose([RandomScale(*shorter), RandomCrop(size), HorizontalFlip(p=hflip_prob), ToTensor()])
    jitter_op = ColorJitter(brightness=jitter, contrast=jitter, saturation=jitter) if jitter > 0 else None
    lighting = _lighting(stats, alpha_std) if alpha_std > 0 else None
    normalize = _mean_std(stats, constants.IMAGENET_MEAN, constants.IMAGENET_STD)
    return Pipeline(sample, Compose([t for t in (jitter_op, lighting, normalize) if t is not None]))


@renamed_arguments(resize="shorter")
def resnet_eval(stats=None, *, size: int = 224, shorter: int = 256) -> Pipeline:
    """ResNet single-crop evaluation: shorter side to 256, central 224 crop, mean / std.

    Args:
        stats: An ``augkit.stats.Stats`` (mean, std), or None for the ImageNet constants.
        size: Side of the central crop.
        shorter: The shorter side before cropping (formerly ``resize``).

    Returns:
        ``Pipeline(sample, batch)``: uint8 ``[3, size, size]`` from the sample stage, float32
        normalized batches from the batch stage.

    Example:
        >>> import numpy as np
        >>> sample, batch = resnet_eval()
        >>> x = sample(np.zeros((300, 400, 3), np.uint8))[None]
        >>> tuple(batch(x).shape), batch(x).dtype
        ((1, 3, 224, 224), torch.float32)

    References:
        He et al., CVPR 2016 (Sec. 4.1 reports single-crop 224 x 224 validation error);
        fb.resnet.torch ``datasets/imagenet.lua`` (``Scale(256)``, ``CenterCrop(224)``).
    """
    sample = Compose([Resize(shorter=shorter), CenterCrop(size), ToTensor()])
    return Pipeline(sample, _mean_std(stats, constants.IMAGENET_MEAN, constants.IMAGENET_STD))


def resnet_tta(stats=None) -> Pipeline:
    """ResNet's test-time protocol: ten crops at five scales, normalized per channel.

    The shorter side is resized to 224, 256, 384, 480 and 640; at each scale the four
    corner and the central 224 x 224 crops and their horizontal mirrors are taken (50 views
    per image), and predictions are averaged. The paper's best numbers evaluate the network
    fully convolutionally at these scales; ten crops per scale is the crop-based form of the
    same multi-scale average. Use with ``augkit.tta.predict``::

        views, normalize = resnet_tta()
        scores = augkit.tta.predict(model, paths, views, transform=normalize)

    Args:
        stats: An ``augkit.stats.Stats`` (or anything with ``mean`` and ``std`` in [0, 1]
            units) for the user's dataset; None uses the ImageNet constants.

    Returns:
        ``Pipeline(views, normalize)``: the ``MultiScaleTenCrop`` making ``[50, 3, 224, 224]``
        uint8 views per image, and the batch-stage ``Normalize`` (mean / std) for those views.

    Example:
        >>> views, normalize = resnet_tta()
        >>> views.scales, normalize.mean
        ((224, 256, 384, 480, 640), (0.485, 0.456, 0.406))

    References:
        He, Zhang, Ren and Sun, "Deep Residual Learning for Image Recognition", CVPR 2016
        (Sec. 3.4: "In testing, for comparison studies we adopt the standard 10-crop
        testing ... we average the scores at multiple scales (images are resized such that
        the shorter side is in {224, 256, 384, 480, 640})").
    """
    views = MultiScaleTenCrop(scales=(224, 256, 384, 480, 640), size=224, flip=True)
    return Pipeline(views, _mean_std(stats, constants.IMAGENET_MEAN, constants.IMAGENET_STD))


# --------------------------------------------------------------------------- Inception


@renamed_arguments(flip="hflip_prob")
def inception_train(
    stats=None,
    *,
    size: int = 224,
    scale: tuple[float, float] = (0.08, 1.0),
    ratio: tuple[float, float] = (3 / 4, 4 / 3),
    jitter: float = 0.4,
    hflip_prob: float = 0.5,
) -> Pipeline:
    """Inception-style training: random-resized crop (8%-100% of the area), flip, jitter.

    Sample stage: a window covering a uniform 8%-100% of the image area with aspect ratio
    log-uniform in [3/4, 4/3] is cropped and resized to 224 x 224, then mirrored with
    probability 1/2. Batch stage: brightness / contrast / saturation jitter of 0.4 (the
    paper's "photometric distortions" of Howard, in the parametrization of timm's and
    fb.resnet.torch's ImageNet recipes; torchvision's reference recipe has no colour
    jitter: pass ``jitter=0`` for it), then per-channel mean / std normalization.

    Args:
        stats: An ``augkit.stats.Stats`` (mean, std), or None for the ImageNet constants.
        size: Output side.
        scale: ``(low, high)`` fraction of the image area the crop covers.
        ratio: ``(low, high)`` aspect ratio (width / height) of the crop.
        jitter: Brightness / contrast / saturation jitter (0 leaves ``ColorJitter`` out).
        hflip_prob: Probability of a horizontal flip (formerly ``flip``).

    Returns:
        ``Pipeline(sample, batch)``: uint8 ``[3, size, size]`` from the sample stage, float32
        normalized batches from the batch stage.

    Example:
        >>> import numpy as np
        >>> sample, batch = inception_train(jitter=0)
        >>> tuple(sample(np.zeros((300, 400, 3), np.uint8), rng=0).shape), type(batch).__name__
        ((3, 224, 224), 'Normalize')

    References:
        Szegedy et al., "Going Deeper with Convolutions", CVPR 2015 (Sec. 6: patches of
        8%-100% of the image area, aspect ratio in [3/4, 4/3], photometric distortions);
        timm ``transforms_imagenet_train`` (``color_jitter=0.4``); torchvision
        ``RandomResizedCrop`` (10 tries, then a central crop).
    """
    sample = Compose([RandomResizedCrop(size, scale=scale, ratio=ratio), HorizontalFlip(p=hflip_prob), ToTensor()])
    jitter_op = ColorJitter(brightness=jitter, contrast=jitter, saturation=jitter) if jitter > 0 else None
    return Pipeline(sample, _batch(jitter_op, _mean_std(stats, constants.IMAGENET_MEAN, constants.IMAGENET_STD)))


# --------------------------------------------------------------------------- CIFAR


@renamed_arguments(flip="hflip_prob")
def cifar_train(
    stats=None, *, size: int = 32, padding: int = 4, cutout: int = 16, hflip_prob: float = 0.5, resize: bool = True
) -> Pipeline:
    """CIFAR training: pad 4, random 32 crop, flip, then normalize and Cutout 16.

    Sample stage: images larger than 32 x 32 first have their shorter side resized to 32
    (``resize=True``; CIFAR's own 32 x 32 images are untouched, so the recipe also works on a
    folder of photos instead of cropping a 32 x 32 patch out of them), then zero-pad 4
    pixels on every side, crop a random 32 x 32 window, mirror with probability 1/2. Batch stage: per-channel mean / std normalization, then Cutout of a
    16 x 16 square (centre uniform over the image, clipped at the borders) filled with 0.
    DeVries & Taylor apply Cutout after normalization, so the 0 fill is the dataset mean
    colour, not black; Cutout therefore comes after ``Normalize`` here. The paper uses 16
    for CIFAR-10 and 8 for CIFAR-100 (``cutout=8``; ``cutout=0`` leaves it out).

    Args:
        stats: An ``augkit.stats.Stats`` (mean, std), or None for the CIFAR-10 constants
            (``augkit.constants.CIFAR10_MEAN`` / ``CIFAR10_STD``).
        size: Side of the random crop.
        padding: Zero padding on each side before cropping.
        cutout: Side of the Cutout square (0 leaves Cutout out).
        hflip_prob: Probability of a horizontal flip (formerly ``flip``).
        resize: Bring images larger than ``size`` down to a shorter side of ``size`` first.

    Returns:
        ``Pipeline(sample, batch)``: uint8 ``[3, 32, 32]`` from the sample stage, float32
        normalized batches with one square per image set to 0 from the batch stage.

    Example:
        >>> import numpy as np, torch
        >>> sample, batch = cifar_train()
        >>> x = torch.stack([sample(np.zeros((32, 32, 3), np.uint8), rng=i) for i in range(4)])
        >>> y = batch(x, rng=0)
        >>> tuple(x.shape), x.dtype, y.dtype
        ((4, 3, 32, 32), torch.uint8, torch.float32)

    References:
        DeVries and Taylor, "Improved Regularization of Convolutional Neural Networks with
        Cutout", arXiv:1708.04552, 2017 (Sec. 4; code: github.com/uoguelph-mlrg/Cutout
        ``train.py``: ``RandomCrop(32, padding=4)``, flip, ``ToTensor``, ``Normalize``,
        ``Cutout(length=16)``); He et al., CVPR 2016 (Sec. 4.2: pad 4, random 32 crop, flip).
    """
    head = [Resize(shorter=size, shrink_only=True)] if resize else []
    sample = Compose([*head, RandomCrop(size, padding=padding), HorizontalFlip(p=hflip_prob), ToTensor()])
    normalize = _mean_std(stats, constants.CIFAR10_MEAN, constants.CIFAR10_STD)
    return Pipeline(sample, _batch(normalize, Cutout(cutout, fill=0) if cutout > 0 else None))


def cifar_eval(stats=None, *, size: int = 32, resize: bool = True) -> Pipeline:
    """CIFAR evaluation: the image as is (32 x 32), normalized per channel.

    Images of another size are brought to ``size`` x ``size`` (shorter side resized down to
    ``size`` when larger, then the central ``size`` window, padded when smaller), so a batch
    of mixed sizes collates.

    Args:
        stats: An ``augkit.stats.Stats`` or the path of its ``stats.json`` (mean, std), or
            None for the CIFAR-10 constants.
        size: The side images are brought to.
        resize: Resize and center-crop images of another size (False: ``ToTensor`` only).

    Returns:
        ``Pipeline(sample, Normalize)``.

    Example:
        >>> import numpy as np
        >>> sample, batch = cifar_eval()
        >>> [round(v, 4) for v in batch(sample(np.zeros((32, 32, 3), np.uint8)))[:, 0, 0].tolist()]
        [-1.9895, -1.9803, -1.7068]

    References:
        DeVries and Taylor, 2017 (code: ``test_transform = Compose([ToTensor(), normalize])``).
    """
    sample = Compose([Resize(shorter=size, shrink_only=True), CenterCrop(size), ToTensor()]) if resize else ToTensor()
    return Pipeline(sample, _mean_std(stats, constants.CIFAR10_MEAN, constants.CIFAR10_STD))


# --------------------------------------------------------------------------- segmentation


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
    return Pipeline(sample, _mean_std(stats, constants.IMAGENET_MEAN, constants.IMAGENET_STD))


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
    return Pipeline(sample, _mean_std(stats, constants.IMAGENET_MEAN, constants.IMAGENET_STD))


# --------------------------------------------------------------------------- detection

#: The ``data_augmentation`` policies of ``detection_train``.
DETECTION_POLICIES = ("hflip", "ssd", "ssdlite")

#: The canvas colour of the SSD zoom out in torchvision's detection reference (0-255).
SSD_FILL = (123, 117, 104)


def _detection_batch(stats):
    """[0, 1] floats (what torchvision's detection models take; they normalize inside), or ``stats``' mean / std."""
    if stats is None:
        return Normalize(mean=(0.0, 0.0, 0.0))
    return _mean_std(stats, constants.IMAGENET_MEAN, constants.IMAGENET_STD)


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


# --------------------------------------------------------------------------- timm's recipes: DeiT, ConvNeXt, ResNet strikes back

#: Where a recipe's augmentation policy runs: in the workers, or on the batch (the loader's device).
POLICY_STAGES = ("sample", "batch")
#: timm's ``DEFAULT_CROP_PCT``: evaluation resizes to ``floor(size / crop_pct)``, then crops ``size``.
TIMM_CROP_PCT = 0.875


def _check_policy_stage(policy_stage: str) -> str:
    if policy_stage not in POLICY_STAGES:
        raise ValueError(f"policy_stage must be one of {POLICY_STAGES}, got {policy_stage!r}")
    return policy_stage


def _square_size(input_size) -> int:
    """timm's ``input_size``: an int, ``(H, W)`` or ``(C, H, W)``; augkit's timm recipes take square sizes."""
    if isinstance(input_size, int) and not isinstance(input_size, bool):
        size = input_size
    elif isinstance(input_size, (tuple, list)) and len(input_size) in (2, 3) and input_size[-1] == input_size[-2]:
        size = input_size[-1]
    else:
        raise ValueError(f"input_size must be an int, (size, size) or (channels, size, size), got {input_size!r}")
    if not isinstance(size, int) or size < 1:
        raise ValueError(f"input_size must be a positive int side, got {input_size!r}")
    return size


def _warp_interpolation(interpolation: str) -> str:
    """The policy warps' interpolation for timm's: nearest stays, bilinear / bicubic / random warp bilinearly."""
    return "nearest" if interpolation == "nearest" else "bilinear"


def _timm_policy(auto_augment: str | None, interpolation: str, normalize: Normalize):
    """timm's ``auto_augment`` string as a policy (``rand-...`` configs), with timm's ``img_mean`` fill."""
    if not auto_augment:
        return None
    if not isinstance(auto_augment, str) or not auto_augment.startswith("rand"):
        raise ValueError(
            f"auto_augment {auto_augment!r}: timm's RandAugment strings ('rand-m9-mstd0.5-inc1', ...) are supported; for"
            " torchvision's AutoAugment, TrivialAugmentWide or AugMix build the Pipeline with augkit.AutoAugment,"
            " augkit.TrivialAugmentWide or augkit.AugMix"
        )
    return RandAugment.from_timm(auto_augment, interpolation=_warp_interpolation(interpolation), mean=normalize.mean)


def _train_pipeline(
    normalize: Normalize,
    *,
    size: int,
    scale,
    ratio,
    interpolation: str,
    hflip: float,
    vflip: float,
    policy,
    photometric: list,
    policy_stage: str,
    erasing,
    mixing,
) -> Pipeline:
    """RandomResizedCrop, flips, the policy and photometry in its stage, Normalize, erasing, mixing."""
    geometry: list[Transform] = [RandomResizedCrop(size, scale=scale, ratio=ratio, interpolation=interpolation)]
    geometry += [HorizontalFlip(p=hflip)] if hflip > 0 else []
    geometry += [VerticalFlip(p=vflip)] if vflip > 0 else []
    augment = ([policy] if policy is not None else []) + photometric
    if _check_policy_stage(policy_stage) == "sample":
        sample, batch = Compose([*geometry, *augment, ToTensor()]), []
    else:
        sample, batch = Compose([*geometry, ToTensor()]), augment
    batch += [normalize] + [t for t in (erasing, mixing) if t is not None]
    return Pipeline(sample, _batch(*batch))


def _eval_pipeline(normalize: Normalize, size: int, crop_pct: float, interpolation: str) -> Pipeline:
    """timm's evaluation: shorter side to ``floor(size / crop_pct)``, center crop ``size``, normalize."""
    if not 0.0 < crop_pct <= 1.0:
        raise ValueError(f"crop_pct must lie in (0, 1], got {crop_pct}")
    interpolation = "bilinear" if interpolation == "random" else interpolation
    sample = Compose([Resize(shorter=math.floor(size / crop_pct), interpolation=interpolation), CenterCrop(size), ToTensor()])
    return Pipeline(sample, normalize)


def _mixing(num_classes, mixup, cutmix, *, smoothing, switch_prob=0.5, prob=1.0, mode="batch", cutmix_minmax=None, bce_target_thresh=None):
    """timm's ``Mixup`` (None when both alphas are 0 and no ``cutmix_minmax``)."""
    if cutmix_minmax is not None:
        cutmix = 1.0  # timm forces it
    if not mixup and not cutmix:
        return None
    return MixupOrCutMix(
        mixup,
        cutmix,
        switch_prob,
        num_classes=num_classes,
        label_smoothing=smoothing,
        prob=prob,
        mode=mode,
        cutmix_minmax=cutmix_minmax,
        bce_target_thresh=bce_target_thresh,
    )


def timm_like(
    stats=None,
    *,
    input_size=224,
    is_training: bool = False,
    scale: tuple[float, float] | None = None,
    ratio: tuple[float, float] | None = None,
    hflip: float = 0.5,
    vflip: float = 0.0,
    color_jitter=0.4,
    color_jitter_prob: float | None = None,
    grayscale_prob: float = 0.0,
    gaussian_blur_prob: float = 0.0,
    auto_augment: str | None = None,
    interpolation: str = "bilinear",
    mean=None,
    std=None,
    re_prob: float = 0.0,
    re_mode: str = "const",
    re_count: int = 1,
    crop_pct: float | None = None,
    mixup: float = 0.0,
    cutmix: float = 0.0,
    cutmix_minmax: tuple[float, float] | None = None,
    mixup_prob: float = 1.0,
    mixup_switch_prob: float = 0.5,
    mixup_mode: str = "batch",
    smoothing: float = 0.1,
    bce_target_thresh: float | None = None,
    num_classes: int = 1000,
    policy_stage: str = "batch",
) -> Pipeline:
    """timm's ``create_transform`` (and its ``Mixup``), as a two-stage augkit pipeline.

    Training (``is_training``): ``RandomResizedCrop(input_size, scale, ratio, interpolation)``
    (``"random"``: bilinear or bicubic per image, timm's ``RandomResizedCropAndInterpolation``),
    flips, then ``auto_augment`` (timm's RandAugment strings, ``RandAugment.from_timm``, filled
    with the normalization mean as timm's ``img_mean``; its warps are bilinear for timm's
    bicubic and random) or, without it, ``ColorJitter(color_jitter)`` (a number is used for
    brightness, contrast and saturation, as timm), optional grayscale and blur, all in
    ``policy_stage``; ``Normalize``; ``RandomErasing.from_timm(re_prob, mode=re_mode,
    max_count=re_count)``; and, when ``mixup`` or ``cutmix`` is set, timm's ``Mixup`` with
    ``mixup_prob``, ``mixup_switch_prob``, ``mixup_mode``, ``cutmix_minmax``, label smoothing
    ``smoothing`` and ``bce_target_thresh`` (``MixupOrCutMix``). Evaluation: shorter side to
    ``floor(input_size / crop_pct)`` (``crop_pct`` 0.875 by default), center crop, normalize.

    Without mixing, label smoothing belongs to the loss (as in timm's ``train.py``).

    Args:
        stats: An ``augkit.stats.Stats`` for the mean and std (and the policy's fill), or
            None: ``mean`` / ``std``, else the ImageNet constants.
        input_size: An int, ``(H, W)`` or ``(C, H, W)`` (square).
        is_training: The training pipeline (else evaluation), as timm.
        scale: RandomResizedCrop's area range (timm: ``(0.08, 1.0)``).
        ratio: Its aspect range (timm: ``(3/4, 4/3)``).
        hflip: Horizontal flip probability.
        vflip: Vertical flip probability.
        color_jitter: A number, or 3 or 4 factors; used when ``auto_augment`` is not
            (unless it is a ``3a`` set, as timm). None or 0: none.
        color_jitter_prob: Apply the jitter with this probability (None: always).
        grayscale_prob: ``RandomGrayscale`` probability.
        gaussian_blur_prob: Probability of ``GaussianBlur(23)`` (timm's fixed kernel).
        auto_augment: A timm RandAugment string (``"rand-m9-mstd0.5-inc1"``), or None.
        interpolation: ``"bilinear"``, ``"bicubic"``, ``"nearest"`` or ``"random"``.
        mean: Normalization mean in [0, 1] (None: ``stats`` or ImageNet's).
        std: Normalization std (None: ``stats`` or ImageNet's).
        re_prob: RandomErasing probability (0: none).
        re_mode: ``"const"``, ``"rand"`` or ``"pixel"``.
        re_count: Most erased boxes per image.
        crop_pct: Evaluation crop fraction (None: 0.875).
        mixup: Mixup alpha (0: none).
        cutmix: CutMix alpha (0: none).
        cutmix_minmax: CutMix box side range instead of alpha (forces CutMix, as timm).
        mixup_prob: Probability of mixing a batch (pair, element).
        mixup_switch_prob: Probability of CutMix when both are on.
        mixup_mode: ``"batch"``, ``"pair"`` or ``"elem"``.
        smoothing: Label smoothing of the mixed targets.
        bce_target_thresh: Binary targets for BCE (``soft > thresh``), or None.
        num_classes: Classes of the mixed targets.
        policy_stage: ``"batch"`` (the default: the policy and color ops run per sample on
            the collated batch, on the loader's device) or ``"sample"`` (in the workers).

    Returns:
        ``Pipeline(sample, batch)``.

    Example:
        >>> sample, batch = timm_like(input_size=224, is_training=True, auto_augment="rand-m9-mstd0.5-inc1", re_prob=0.25)
        >>> [type(t).__name__ for t in sample], [type(t).__name__ for t in batch]
        (['RandomResizedCrop', 'HorizontalFlip', 'ToTensor'], ['TimmRandAugment', 'Normalize', 'RandomErasing'])

    References:
        timm ``timm.data.create_transform`` (``transforms_imagenet_train`` /
        ``transforms_imagenet_eval``) and ``timm.data.Mixup``.
    """
    size = _square_size(input_size)
    if stats is None and (mean is not None or std is not None):
        normalize = Normalize(mean=mean or constants.IMAGENET_MEAN, std=std or constants.IMAGENET_STD)
    else:
        normalize = _mean_std(stats, constants.IMAGENET_MEAN, constants.IMAGENET_STD)
    if not is_training:
        return _eval_pipeline(normalize, size, TIMM_CROP_PCT if crop_pct is None else crop_pct, interpolation)
    policy = _timm_policy(auto_augment, interpolation, normalize)
    photometric: list = []
    if color_jitter and (policy is None or "3a" in (auto_augment or "")):
        factors = (color_jitter,) * 3 if isinstance(color_jitter, (int, float)) else tuple(color_jitter)
        jitter = ColorJitter(*factors)
        photometric.append(jitter if color_jitter_prob is None else RandomApply(jitter, p=color_jitter_prob))
    if grayscale_prob:
        photometric.append(RandomGrayscale(p=grayscale_prob))
    if gaussian_blur_prob:
        photometric.append(RandomApply(GaussianBlur(23), p=gaussian_blur_prob))
    erasing = RandomErasing.from_timm(re_prob, mode=re_mode, max_count=re_count) if re_prob > 0 else None
    mixing = _mixing(
        num_classes,
        mixup,
        cutmix,
        smoothing=smoothing,
        switch_prob=mixup_switch_prob,
        prob=mixup_prob,
        mode=mixup_mode,
        cutmix_minmax=cutmix_minmax,
        bce_target_thresh=bce_target_thresh,
    )
    return _train_pipeline(
        normalize,
        size=size,
        scale=tuple(scale or (0.08, 1.0)),
        ratio=tuple(ratio or (3 / 4, 4 / 3)),
        interpolation=interpolation,
        hflip=hflip,
        vflip=vflip,
        policy=policy,
        photometric=photometric,
        policy_stage=policy_stage,
        erasing=erasing,
        mixing=mixing,
    )


def deit_train(
    stats=None,
    *,
    num_classes: int = 1000,
    size: int = 224,
    auto_augment: str = "rand-m9-mstd0.5-inc1",
    re_prob: float = 0.25,
    mixup: float = 0.8,
    cutmix: float = 1.0,
    smoothing: float = 0.1,
    policy_stage: str = "batch",
) -> Pipeline:
    """DeiT training: bicubic RandomResizedCrop 224, flip, RandAugment m9, erasing, Mixup / CutMix.

    Sample stage: ``RandomResizedCrop(224, interpolation="bicubic")``, horizontal flip,
    ``ToTensor``. Batch stage: timm's ``rand-m9-mstd0.5-inc1`` (per sample; with
    ``policy_stage="sample"`` it runs in the workers instead), ``Normalize``,
    ``RandomErasing`` 0.25 in timm's ``"pixel"`` mode, and Mixup 0.8 / CutMix 1.0 (switch
    0.5, per batch) with label smoothing 0.1. DeiT trains with repeated augmentation:
    use ``augkit.data.RepeatedAugmentationSampler(num_repeats=3)``.

    Args:
        stats: An ``augkit.stats.Stats`` (mean, std), or None for the ImageNet constants.
        num_classes: Classes of the mixed targets.
        size: Training crop.
        auto_augment: timm's RandAugment string.
        re_prob: RandomErasing probability.
        mixup: Mixup alpha.
        cutmix: CutMix alpha.
        smoothing: Label smoothing.
        policy_stage: ``"batch"`` or ``"sample"`` (see ``timm_like``).

    Returns:
        ``Pipeline(sample, batch)``: uint8 ``[3, 224, 224]`` from the sample stage; the batch
        stage takes an ``augkit.Batch`` with labels and returns float32 images and
        ``[B, num_classes]`` soft targets.

    Example:
        >>> [type(t).__name__ for t in deit_train().batch]
        ['TimmRandAugment', 'Normalize', 'RandomErasing', 'MixupOrCutMix']

    References:
        Touvron et al., "Training data-efficient image transformers & distillation through
        attention", ICML 2021 (Table 9); the DeiT repository's ``main.py`` defaults
        (``--aa rand-m9-mstd0.5-inc1 --reprob 0.25 --remode pixel --mixup 0.8 --cutmix 1.0
        --smoothing 0.1 --train-interpolation bicubic --repeated-aug``).
    """
    return timm_like(
        stats,
        input_size=size,
        is_training=True,
        interpolation="bicubic",
        auto_augment=auto_augment,
        re_prob=re_prob,
        re_mode="pixel",
        mixup=mixup,
        cutmix=cutmix,
        smoothing=smoothing,
        num_classes=num_classes,
        policy_stage=policy_stage,
    )


def deit_eval(stats=None, *, size: int = 224, crop_pct: float = TIMM_CROP_PCT) -> Pipeline:
    """DeiT evaluation: bicubic resize of the shorter side to 256 (``size / crop_pct``), center crop 224.

    Args:
        stats: An ``augkit.stats.Stats`` (mean, std), or None for the ImageNet constants.
        size: The crop.
        crop_pct: The crop's fraction of the resized side (0.875: 224 of 256).

    Returns:
        ``Pipeline(sample, batch)``: uint8 crops, float32 normalized batches.

    Example:
        >>> sample, _ = deit_eval()
        >>> [(type(t).__name__, getattr(t, "shorter", None)) for t in sample][:2]
        [('Resize', 256), ('CenterCrop', None)]

    References:
        The DeiT repository's ``datasets.py`` (``build_transform``: ``Resize(int(224 /
        eval_crop_ratio), interpolation=BICUBIC)``, ``CenterCrop(224)``, ``eval_crop_ratio``
        0.875).
    """
    return _eval_pipeline(_mean_std(stats, constants.IMAGENET_MEAN, constants.IMAGENET_STD), size, crop_pct, "bicubic")


def convnext_train(
    stats=None,
    *,
    num_classes: int = 1000,
    size: int = 224,
    auto_augment: str = "rand-m9-mstd0.5-inc1",
    re_prob: float = 0.25,
    mixup: float = 0.8,
    cutmix: float = 1.0,
    smoothing: float = 0.1,
    policy_stage: str = "batch",
) -> Pipeline:
    """ConvNeXt training: DeiT's data recipe (bicubic RRC, RandAugment m9, erasing 0.25, Mixup / CutMix).

    The ConvNeXt paper trains ImageNet-1K with the DeiT pipeline: the same stages as
    ``deit_train`` (ConvNeXt's ``color_jitter`` 0.4 is off under RandAugment, as in timm).

    Args:
        stats: An ``augkit.stats.Stats`` (mean, std), or None for the ImageNet constants.
        num_classes: Classes of the mixed targets.
        size: Training crop.
        auto_augment: timm's RandAugment string.
        re_prob: RandomErasing probability (pixel mode).
        mixup: Mixup alpha.
        cutmix: CutMix alpha.
        smoothing: Label smoothing.
        policy_stage: ``"batch"`` or ``"sample"`` (see ``timm_like``).

    Returns:
        ``Pipeline(sample, batch)``, as ``deit_train``.

    Example:
        >>> convnext_train(num_classes=10).batch[-1].num_classes
        10

    References:
        Liu et al., "A ConvNet for the 2020s", CVPR 2022 (Appendix A.1, Table 5); the
        ConvNeXt repository's ``main.py`` defaults (``--aa rand-m9-mstd0.5-inc1 --reprob 0.25
        --remode pixel --mixup 0.8 --cutmix 1.0 --smoothing 0.1 --train_interpolation bicubic``).
    """
    return deit_train(
        stats,
        num_classes=num_classes,
        size=size,
        auto_augment=auto_augment,
        re_prob=re_prob,
        mixup=mixup,
        cutmix=cutmix,
        smoothing=smoothing,
        policy_stage=policy_stage,
    )


def convnext_eval(stats=None, *, size: int = 224, crop_pct: float = TIMM_CROP_PCT) -> Pipeline:
    """ConvNeXt evaluation: bicubic resize to ``size / crop_pct`` and center crop; at 384 and above, a plain resize.

    Args:
        stats: An ``augkit.stats.Stats`` (mean, std), or None for the ImageNet constants.
        size: The evaluation side.
        crop_pct: The crop's fraction below 384 (224 / 256).

    Returns:
        ``Pipeline(sample, batch)``: uint8 ``[3, size, size]``, float32 normalized batches.

    Example:
        >>> [type(t).__name__ for t in convnext_eval(size=384).sample]
        ['Resize', 'ToTensor']

    References:
        The ConvNeXt repository's ``datasets.py`` (``build_transform``: ``Resize(size /
        crop_pct, BICUBIC)`` + ``CenterCrop`` below 384, ``Resize((384, 384), BICUBIC)`` at 384).
    """
    normalize = _mean_std(stats, constants.IMAGENET_MEAN, constants.IMAGENET_STD)
    if size >= 384:
        return Pipeline(Compose([Resize(size=(size, size), interpolation="bicubic"), ToTensor()]), normalize)
    return _eval_pipeline(normalize, size, crop_pct, "bicubic")


#: "ResNet strikes back" procedures: (train size, RandAugment, Mixup alpha, label smoothing).
RSB_PROCEDURES = {
    "a1": (224, "rand-m7-mstd0.5-inc1", 0.2, 0.1),
    "a2": (224, "rand-m7-mstd0.5-inc1", 0.1, 0.0),
    "a3": (160, "rand-m6-mstd0.5-inc1", 0.1, 0.0),
}
#: Their evaluation: 224, crop fraction 0.95, bicubic.
RSB_CROP_PCT = 0.95


def _rsb(procedure: str, stats, num_classes: int, policy_stage: str) -> Pipeline:
    size, auto_augment, mixup, smoothing = RSB_PROCEDURES[procedure]
    return timm_like(
        stats,
        input_size=size,
        is_training=True,
        interpolation="random",
        auto_augment=auto_augment,
        mixup=mixup,
        cutmix=1.0,
        smoothing=smoothing,
        bce_target_thresh=0.2,
        num_classes=num_classes,
        policy_stage=policy_stage,
    )


_RSB_DOC = """ResNet strikes back, procedure {name}: RRC {size}, flip, RandAugment {ra}, Mixup {mixup} / CutMix 1.0, BCE targets.

    Sample stage: ``RandomResizedCrop({size})`` (timm's default random bilinear / bicubic),
    flip, ``ToTensor``. Batch stage: timm's ``{ra}`` (or in the workers with
    ``policy_stage="sample"``), ``Normalize``, Mixup {mixup} / CutMix 1.0 (switch 0.5)
    with label smoothing {smoothing} and binary targets ``soft > 0.2`` for the BCE loss
    (``bce_target_thresh=0.2``). No erasing, no color jitter. {repeats}
    Evaluate with ``rsb_eval``.

    Args:
        stats: An ``augkit.stats.Stats`` (mean, std), or None for the ImageNet constants.
        num_classes: Classes of the targets.
        policy_stage: ``"batch"`` or ``"sample"`` (see ``timm_like``).

    Returns:
        ``Pipeline(sample, batch)``: uint8 ``[3, {size}, {size}]``; the batch stage takes an
        ``augkit.Batch`` with labels and returns float32 images and binary targets.

    Example:
        >>> rsb_{name}().batch[-1].bce_target_thresh
        0.2

    References:
        Wightman, Touvron and Jégou, "ResNet strikes back: An improved training procedure in
        timm", 2021 (Table 1, procedure {upper}; timm's ``--bce-target-thresh 0.2``).
    """


def rsb_a1(stats=None, *, num_classes: int = 1000, policy_stage: str = "batch") -> Pipeline:
    return _rsb("a1", stats, num_classes, policy_stage)


def rsb_a2(stats=None, *, num_classes: int = 1000, policy_stage: str = "batch") -> Pipeline:
    return _rsb("a2", stats, num_classes, policy_stage)


def rsb_a3(stats=None, *, num_classes: int = 1000, policy_stage: str = "batch") -> Pipeline:
    return _rsb("a3", stats, num_classes, policy_stage)


for _function, _repeats in ((rsb_a1, True), (rsb_a2, True), (rsb_a3, False)):
    _name = _function.__name__[-2:]
    _size, _ra, _mixup, _smoothing = RSB_PROCEDURES[_name]
    _function.__doc__ = _RSB_DOC.format(
        name=_name,
        upper=_name.upper(),
        size=_size,
        ra=_ra,
        mixup=_mixup,
        smoothing=_smoothing,
        repeats="Trains with repeated augmentation: ``augkit.data.RepeatedAugmentationSampler(num_repeats=3)``." if _repeats else "",
    )
del _function, _repeats, _name, _size, _ra, _mixup, _smoothing


def rsb_eval(stats=None, *, size: int = 224, crop_pct: float = RSB_CROP_PCT) -> Pipeline:
    """ResNet strikes back evaluation: bicubic resize to ``floor(224 / 0.95) = 235``, center crop 224.

    timm's evaluation transform with the procedures' test crop fraction 0.95 (``scale_size =
    floor(size / crop_pct)``).

    Args:
        stats: An ``augkit.stats.Stats`` (mean, std), or None for the ImageNet constants.
        size: The crop (224 for A1, A2 and A3).
        crop_pct: The crop fraction.

    Returns:
        ``Pipeline(sample, batch)``: uint8 crops, float32 normalized batches.

    Example:
        >>> rsb_eval().sample[0].shorter
        235

    References:
        Wightman, Touvron and Jégou, "ResNet strikes back", 2021 (Table 1: test resolution
        224, test crop ratio 0.95); timm ``transforms_imagenet_eval``.
    """
    return _eval_pipeline(_mean_std(stats, constants.IMAGENET_MEAN, constants.IMAGENET_STD), size, crop_pct, "bicubic")


def torchvision_resnet_v2(
    stats=None, *, num_classes: int = 1000, size: int = 176, re_prob: float = 0.1, policy_stage: str = "batch"
) -> Pipeline:
    """torchvision's 80.9% ResNet-50 recipe: RRC 176, flip, TrivialAugmentWide, erasing 0.1, Mixup / CutMix.

    Sample stage: ``RandomResizedCrop(176)`` (bilinear), flip, ``ToTensor``. Batch stage:
    ``TrivialAugmentWide(interpolation="bilinear")`` (or in the workers with
    ``policy_stage="sample"``), ``Normalize``, ``RandomErasing(p=0.1)`` (torchvision's:
    value 0 after normalization), and one of Mixup 0.2 / CutMix 1.0 per batch with label
    smoothing 0.1 (torchvision's ``RandomChoice([MixUp, CutMix])`` and
    ``CrossEntropyLoss(label_smoothing=0.1)``; torchvision pairs a batch with itself rolled
    by one, augkit and timm with itself reversed, the same distribution of pairs).

    Args:
        stats: An ``augkit.stats.Stats`` (mean, std), or None for the ImageNet constants.
        num_classes: Classes of the mixed targets.
        size: Training crop (``--train-crop-size 176``).
        re_prob: RandomErasing probability.
        policy_stage: ``"batch"`` or ``"sample"`` (see ``timm_like``).

    Returns:
        ``Pipeline(sample, batch)``: uint8 ``[3, 176, 176]``; the batch stage takes an
        ``augkit.Batch`` with labels and returns float32 images and soft targets.

    Example:
        >>> [type(t).__name__ for t in torchvision_resnet_v2().batch]
        ['TrivialAugmentWide', 'Normalize', 'RandomErasing', 'MixupOrCutMix']

    References:
        Vryniotis, "How to Train State-Of-The-Art Models Using TorchVision's Latest
        Primitives", PyTorch blog, 2021; torchvision ``references/classification``
        (``--auto-augment ta_wide --random-erase 0.1 --mixup-alpha 0.2 --cutmix-alpha 1.0
        --label-smoothing 0.1 --train-crop-size 176 --val-resize-size 232``).
    """
    return _train_pipeline(
        _mean_std(stats, constants.IMAGENET_MEAN, constants.IMAGENET_STD),
        size=size,
        scale=(0.08, 1.0),
        ratio=(3 / 4, 4 / 3),
        interpolation="bilinear",
        hflip=0.5,
        vflip=0.0,
        policy=TrivialAugmentWide(interpolation="bilinear"),
        photometric=[],
        policy_stage=policy_stage,
        erasing=RandomErasing(p=re_prob) if re_prob > 0 else None,
        mixing=_mixing(num_classes, 0.2, 1.0, smoothing=0.1),
    )


def torchvision_resnet_v2_eval(stats=None, *, shorter: int = 232, size: int = 224) -> Pipeline:
    """torchvision's ResNet-50 v2 evaluation: shorter side to 232 (bilinear), center crop 224.

    Args:
        stats: An ``augkit.stats.Stats`` (mean, std), or None for the ImageNet constants.
        shorter: The shorter side (``--val-resize-size 232``).
        size: The crop (``--val-crop-size 224``).

    Returns:
        ``Pipeline(sample, batch)``: uint8 crops, float32 normalized batches.

    Example:
        >>> torchvision_resnet_v2_eval().sample[0].shorter
        232

    References:
        torchvision's ``ResNet50_Weights.IMAGENET1K_V2`` (``ImageClassification(crop_size=224,
        resize_size=232)``); ``references/classification/presets.py`` (``ClassificationPresetEval``).
    """
    sample = Compose([Resize(shorter=shorter), CenterCrop(size), ToTensor()])
    return Pipeline(sample, _mean_std(stats, constants.IMAGENET_MEAN, constants.IMAGENET_STD))
