"""The recipes people train with today: timm's create_transform, DeiT, ConvNeXt, ResNet strikes back, torchvision's ResNet-50 v2."""

from __future__ import annotations

import math

from augkit import constants
from augkit.batch import MixupOrCutMix
from augkit.pipeline import Pipeline
from augkit.presets._common import batch_stage, mean_std
from augkit.transforms import (
    CenterCrop,
    ColorJitter,
    Compose,
    HorizontalFlip,
    Normalize,
    RandomApply,
    RandomErasing,
    RandomResizedCrop,
    Resize,
    ToTensor,
    VerticalFlip,
)
from augkit.transforms.base import Transform
from augkit.transforms.photometric import GaussianBlur, RandomGrayscale
from augkit.transforms.policies import RandAugment, TrivialAugmentWide

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
    return Pipeline(sample, batch_stage(*batch))


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
        normalize = mean_std(stats, constants.IMAGENET_MEAN, constants.IMAGENET_STD)
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
    return _eval_pipeline(mean_std(stats, constants.IMAGENET_MEAN, constants.IMAGENET_STD), size, crop_pct, "bicubic")


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
    normalize = mean_std(stats, constants.IMAGENET_MEAN, constants.IMAGENET_STD)
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
    return _eval_pipeline(mean_std(stats, constants.IMAGENET_MEAN, constants.IMAGENET_STD), size, crop_pct, "bicubic")


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
        mean_std(stats, constants.IMAGENET_MEAN, constants.IMAGENET_STD),
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
    return Pipeline(sample, mean_std(stats, constants.IMAGENET_MEAN, constants.IMAGENET_STD))
