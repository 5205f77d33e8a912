"""The classic classification recipes: AlexNet, VGG, ResNet, Inception, CIFAR (Cutout)."""

from __future__ import annotations

from augkit import constants
from augkit._deprecation import renamed_arguments
from augkit.pipeline import Pipeline
from augkit.presets._common import batch_stage, lighting_from, mean_only, mean_std
from augkit.stats import as_stats
from augkit.transforms import (
    CenterCrop,
    ColorJitter,
    Compose,
    Cutout,
    HorizontalFlip,
    Normalize,
    RandomCrop,
    RandomResizedCrop,
    RandomScale,
    Resize,
    ToTensor,
)
from augkit.transforms.views import MultiScaleTenCrop


def _alexnet_mean(stats):
    """The mean image of ``stats`` if it has one, else the per-channel mean (a constant image)."""
    stats = as_stats(stats)
    if stats is not None and getattr(stats, "mean_image", None) is not None:
        return Normalize.from_stats(stats, "mean_image")
    return mean_only(stats, constants.IMAGENET_MEAN)


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
    lighting = lighting_from(stats, alpha_std) if alpha_std > 0 else None
    batch = batch_stage(lighting, _alexnet_mean(stats), RandomCrop(size), HorizontalFlip(p=hflip_prob))
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
    return Pipeline(sample, batch_stage(_alexnet_mean(stats), CenterCrop(size)))


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
    lighting = lighting_from(stats, alpha_std) if alpha_std > 0 else None
    return Pipeline(sample, batch_stage(lighting, mean_only(stats, constants.IMAGENET_MEAN)))


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
    return Pipeline(sample, mean_only(stats, constants.IMAGENET_MEAN))


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
    lighting = lighting_from(stats, alpha_std) if alpha_std > 0 else None
    normalize = mean_std(stats, constants.IMAGENET_MEAN, constants.IMAGENET_STD)
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
    return Pipeline(sample, mean_std(stats, constants.IMAGENET_MEAN, constants.IMAGENET_STD))


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
    return Pipeline(views, mean_std(stats, constants.IMAGENET_MEAN, constants.IMAGENET_STD))


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
    return Pipeline(sample, batch_stage(jitter_op, mean_std(stats, constants.IMAGENET_MEAN, constants.IMAGENET_STD)))


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
    normalize = mean_std(stats, constants.CIFAR10_MEAN, constants.CIFAR10_STD)
    return Pipeline(sample, batch_stage(normalize, Cutout(cutout, fill=0) if cutout > 0 else None))


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
    return Pipeline(sample, mean_std(stats, constants.CIFAR10_MEAN, constants.CIFAR10_STD))
