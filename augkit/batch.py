"""Batch-stage mixing: ``Mixup``, ``CutMix`` and ``MixupOrCutMix``, which transform targets too.

A mixing transform takes a ``[B, C, H, W]`` batch and its targets and returns both::

    images, targets = Mixup(alpha=0.2, num_classes=10)(images, labels, rng=rng)

Targets are ``[B]`` integer class indices or ``[B, K]`` float soft targets; the result is
always ``[B, K]`` soft targets. As in timm, the partner of sample ``i`` is sample
``B - 1 - i`` (the reversed batch), lambda ~ Beta(alpha, alpha) is drawn from the numpy
generator, and CutMix's lambda is corrected to the area actually kept. Any batch size
works: in an odd batch the middle sample is its own partner (its image is unchanged and
its target is its own, smoothed), and a batch of one is returned unchanged in the same way.

Mixing transforms are not image ``Transform`` s (they cannot go in ``Compose``); they share
its style: ``sample(rng, images) -> params``, ``apply(images, targets, params)``,
``run(images, targets, rng)``, ``to_config()`` / ``augkit.from_config``. They set
``mixes_targets = True``, which is how ``augkit.data.DeviceLoader`` knows to pass targets.

Blending needs float images: ``Mixup`` and ``MixupOrCutMix`` raise TypeError on uint8 (put
them after ``Normalize``; blending is linear, so mixing normalized images equals
normalizing mixed ones). ``CutMix`` only copies pixels and keeps any dtype, uint8 included.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch

from augkit._validate import check_int, check_probability, check_real
from augkit.functional import mix as M
from augkit.rng import as_generator
from augkit.transforms.base import BATCH_STAGE, Configurable, register

__all__ = ["CutMix", "MixParams", "Mixup", "MixupOrCutMix", "MixingTransform"]


@dataclass(frozen=True)
class MixParams:
    """Per-sample mixing parameters, ``[B]`` arrays (one row per sample).

    Attributes:
        lam: The weight of each sample's own target (for CutMix rows: the kept area).
        cutmix: True where the sample gets a pasted box, False where it is blended.
        top: Box first row (0 where ``cutmix`` is False).
        left: Box first column.
        bottom: Box row one past the last.
        right: Box column one past the last.
    """

    lam: np.ndarray
    cutmix: np.ndarray
    top: np.ndarray
    left: np.ndarray
    bottom: np.ndarray
    right: np.ndarray


class MixingTransform(Configurable):
    """Base class of batch transforms that mix samples and their targets.

    Subclasses implement ``sample``; ``apply`` mixes images with ``augkit.functional.mix``
    and targets with the lambdas in the parameters.

    Attributes:
        stages: Only the batch stage.
        mixes_targets: Always True: call as ``t(images, targets, rng=rng)``.
    """

    stages: ClassVar[tuple[str, ...]] = (BATCH_STAGE,)
    mixes_targets: ClassVar[bool] = True
    _blends: ClassVar[bool] = True

    num_classes: int
    label_smoothing: float

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__module__.startswith("augkit.") and not cls.__name__.startswith("_"):
            register(cls)

    def sample(self, rng: np.random.Generator, images: torch.Tensor) -> MixParams:
        """Draw the parameters for ``images`` (only its shape is read)."""
        raise NotImplementedError

    def apply(self, images: torch.Tensor, targets, params: MixParams) -> tuple[torch.Tensor, torch.Tensor]:
        """Mix ``images`` and ``targets`` with the given parameters (deterministic).

        Args:
            images: ``[B, C, H, W]`` float tensor (uint8 allowed for ``CutMix``).
            targets: ``[B]`` integer class indices or ``[B, K]`` float soft targets.
            params: What ``sample`` returned for this batch.

        Returns:
            ``(images, targets)``: new tensors, mixed images of the input's dtype and
            ``[B, K]`` soft targets; the inputs are never modified.
        """
        images = self._check_images(images)
        targets = self._check_targets(targets, images.shape[0])
        mixed = M.mix_images(images, params.lam, params.cutmix, params.top, params.left, params.bottom, params.right)
        soft = M.soft_targets(targets, self.num_classes, self.label_smoothing)
        return mixed, M.mix_targets(soft, params.lam)

    def run(self, images: torch.Tensor, targets, rng: np.random.Generator) -> tuple[tuple[torch.Tensor, torch.Tensor], MixParams]:
        """Sample parameters and apply them; return ``((images, targets), params)``."""
        params = self.sample(rng, self._check_images(images))
        return self.apply(images, targets, params), params

    def __call__(self, images: torch.Tensor, targets, *, rng: np.random.Generator | int | None = None):
        """Mix a batch and its targets with parameters drawn from ``rng``.

        Args:
            images: ``[B, C, H, W]`` tensor.
            targets: ``[B]`` integer class indices or ``[B, K]`` float soft targets.
            rng: A ``numpy.random.Generator``, an int seed, or None for a fresh
                nondeterministic generator.

        Returns:
            ``(images, targets)`` with ``[B, K]`` soft targets.
        """
        return self.run(images, targets, as_generator(rng))[0]

    def _check_images(self, images) -> torch.Tensor:
        name = type(self).__name__
        if not isinstance(images, torch.Tensor) or images.ndim != 4:
            shape = tuple(images.shape) if hasattr(images, "shape") else type(images).__name__
            raise TypeError(f"{name} needs a [B, C, H, W] tensor batch, got {shape}")
        if not images.is_floating_point():
            if self._blends:
                raise TypeError(
                    f"{name} blends pixels and needs a float batch, got {images.dtype}: place it after"
                    " Normalize (or convert with images.float() / 255)"
                )
            if images.dtype != torch.uint8:
                raise TypeError(f"{name} needs a uint8 or float batch, got {images.dtype}")
        return images

    def _check_targets(self, targets, batch: int) -> torch.Tensor:
        name = type(self).__name__
        if not isinstance(targets, torch.Tensor):
            targets = torch.as_tensor(np.asarray(targets))
        if targets.is_floating_point():
            if targets.ndim != 2 or targets.shape != (batch, self.num_classes):
                raise ValueError(
                    f"{name}: soft targets must have shape [B, num_classes] = [{batch}, {self.num_classes}], got {tuple(targets.shape)}"
                )
            return targets
        if targets.dtype == torch.bool or targets.is_complex() or targets.ndim != 1 or targets.shape[0] != batch:
            raise ValueError(
                f"{name}: targets must be [B] = [{batch}] integer class indices or [B, K] float soft targets,"
                f" got shape {tuple(targets.shape)} {targets.dtype}"
            )
        if targets.device.type == "cpu" and targets.numel():
            low, high = int(targets.min()), int(targets.max())
            if low < 0 or high >= self.num_classes:
                raise ValueError(f"{name}: class indices must be in [0, {self.num_classes - 1}], got values in [{low}, {high}]")
        return targets


def _check_alpha(name: str, value) -> float:
    value = check_real(name, value)
    if value <= 0:
        raise ValueError(f"{name} must be > 0 (the Beta(alpha, alpha) parameter), got {value}")
    return value


def _draw(rng, images, *, mixup_alpha, cutmix_alpha, switch_prob, per_sample) -> MixParams:
    """Draw lambdas, the Mixup/CutMix choice and boxes: once per batch, or once per sample."""
    batch, height, width = int(images.shape[0]), int(images.shape[-2]), int(images.shape[-1])
    n = batch if per_sample else 1
    if mixup_alpha and cutmix_alpha:
        cutmix = rng.random(n) < switch_prob
    else:
        cutmix = np.full(n, bool(cutmix_alpha))
    lam_cut = rng.beta(cutmix_alpha, cutmix_alpha, size=n) if cutmix_alpha else np.ones(n)
    lam_mix = rng.beta(mixup_alpha, mixup_alpha, size=n) if mixup_alpha else np.ones(n)
    lam = np.where(cutmix, lam_cut, lam_mix)
    zeros = np.zeros(n, dtype=np.int64)
    top = left = bottom = right = zeros
    if cutmix_alpha:
        center_y = rng.integers(0, height, size=n)
        center_x = rng.integers(0, width, size=n)
        top, left, bottom, right, kept = M.cutmix_box(height, width, lam, center_y, center_x)
        lam = np.where(cutmix, kept, lam)
        top, left, bottom, right = (np.where(cutmix, v, zeros) for v in (top, left, bottom, right))
    fields = (lam, cutmix, top, left, bottom, right)
    if not per_sample:
        fields = tuple(np.repeat(v, batch) for v in fields)
    return MixParams(*fields)


class _SingleMix(MixingTransform):
    """Shared arguments of ``Mixup`` and ``CutMix`` (one Beta(alpha, alpha) draw)."""

    def __init__(self, alpha: float, num_classes: int, label_smoothing: float = 0.0, per_sample: bool = False) -> None:
        self.alpha = _check_alpha("alpha", alpha)
        self.num_classes = check_int("num_classes", num_classes, 1)
        self.label_smoothing = check_probability("label_smoothing", label_smoothing)
        self.per_sample = bool(per_sample)


class Mixup(_SingleMix):
    """Mixup: blend each sample with its partner (the reversed batch) and mix the targets.

    ``x'_i = lam * x_i + (1 - lam) * x_j`` and ``y'_i = lam * y_i + (1 - lam) * y_j`` with
    ``j = B - 1 - i`` and lam ~ Beta(alpha, alpha), one per batch (timm's ``mode='batch'``)
    or one per sample with ``per_sample=True`` (timm's ``'elem'``). Class indices become
    one-hot with label smoothing (``off = s / K``, ``on = 1 - s + off``); soft targets are
    smoothed the same way (``y * (1 - s) + s / K``).

    Args:
        alpha: Beta distribution parameter, > 0 (0.2 for ImageNet in the paper).
        num_classes: K, the number of classes.
        label_smoothing: s in [0, 1].
        per_sample: Draw a lambda per sample instead of one per batch.

    Shape:
        ``[B, C, H, W]`` float tensor and ``[B]`` int / ``[B, K]`` float targets ->
        the same batch shape and dtype, ``[B, K]`` float targets. uint8 raises TypeError.

    Example:
        >>> import torch
        >>> images, targets = Mixup(alpha=0.2, num_classes=10)(torch.linspace(0, 1, 768).view(4, 3, 8, 8), torch.tensor([0, 1, 2, 3]), rng=0)
        >>> tuple(targets.shape), bool(torch.allclose(targets.sum(1), torch.ones(4)))
        ((4, 10), True)

    References:
        Zhang et al., "mixup: Beyond Empirical Risk Minimization", ICLR 2018; timm
        ``timm.data.Mixup``.
    """

    def sample(self, rng: np.random.Generator, images: torch.Tensor) -> MixParams:
        """Draw lambda ~ Beta(alpha, alpha) (per batch, or per sample)."""
        return _draw(rng, images, mixup_alpha=self.alpha, cutmix_alpha=0.0, switch_prob=0.0, per_sample=self.per_sample)


class CutMix(_SingleMix):
    """CutMix: paste a box from each sample's partner (the reversed batch) and mix the targets.

    lam ~ Beta(alpha, alpha); the box has sides ``int(H * sqrt(1 - lam))`` by
    ``int(W * sqrt(1 - lam))``, its centre is uniform over the image and it is clipped at
    the borders; lam is then corrected to the area kept, ``1 - box_area / (H * W)``, and
    the targets are ``lam * y_i + (1 - lam) * y_j`` (timm's ``cutmix_bbox_and_lam`` with
    ``correct_lam=True``). One box per batch, or one per sample with ``per_sample=True``.
    Pixels are only copied, so any dtype works (uint8 included) and is kept.

    Args:
        alpha: Beta distribution parameter, > 0 (1.0 in the paper).
        num_classes: K, the number of classes.
        label_smoothing: s in [0, 1], applied as in ``Mixup``.
        per_sample: Draw a lambda and box per sample instead of one per batch.

    Shape:
        ``[B, C, H, W]`` tensor and ``[B]`` int / ``[B, K]`` float targets -> the same
        batch shape and dtype, ``[B, K]`` float targets.

    Example:
        >>> import torch
        >>> images, targets = CutMix(alpha=1.0, num_classes=3)(torch.zeros(2, 3, 8, 8, dtype=torch.uint8), [0, 2], rng=0)
        >>> images.dtype, tuple(targets.shape)
        (torch.uint8, (2, 3))

    References:
        Yun et al., "CutMix: Regularization Strategy to Train Strong Classifiers with
        Localizable Features", ICCV 2019; timm ``timm.data.Mixup(cutmix_alpha=...)``.
    """

    _blends = False

    def sample(self, rng: np.random.Generator, images: torch.Tensor) -> MixParams:
        """Draw lambda, the box centre, the clipped box and the corrected lambda."""
        return _draw(rng, images, mixup_alpha=0.0, cutmix_alpha=self.alpha, switch_prob=1.0, per_sample=self.per_sample)


class MixupOrCutMix(MixingTransform):
    """Either CutMix (with probability ``switch_prob``) or Mixup, per batch or per sample.

    timm's ``Mixup(mixup_alpha, cutmix_alpha, switch_prob)``: the choice, lambda and box are
    drawn once per batch (``mode='batch'``) or per sample with ``per_sample=True``
    (``mode='elem'``); each part means what ``Mixup`` and ``CutMix`` mean.

    Args:
        mixup_alpha: Mixup's Beta parameter, > 0.
        cutmix_alpha: CutMix's Beta parameter, > 0.
        switch_prob: Probability of CutMix instead of Mixup.
        num_classes: K, the number of classes (keyword-only).
        label_smoothing: s in [0, 1].
        per_sample: Draw per sample instead of once per batch.

    Shape:
        ``[B, C, H, W]`` float tensor and targets -> the same batch, ``[B, K]`` float targets.

    Example:
        >>> import torch
        >>> t = MixupOrCutMix(0.8, 1.0, num_classes=5, per_sample=True)
        >>> images, targets = t(torch.linspace(0, 1, 576).view(3, 3, 8, 8), torch.tensor([0, 1, 4]), rng=1)
        >>> tuple(targets.shape)
        (3, 5)

    References:
        timm ``timm.data.Mixup``; the DeiT recipe (mixup 0.8, cutmix 1.0, switch 0.5).
    """

    def __init__(
        self,
        mixup_alpha: float,
        cutmix_alpha: float,
        switch_prob: float = 0.5,
        *,
        num_classes: int,
        label_smoothing: float = 0.0,
        per_sample: bool = False,
    ) -> None:
        self.mixup_alpha = _check_alpha("mixup_alpha", mixup_alpha)
        self.cutmix_alpha = _check_alpha("cutmix_alpha", cutmix_alpha)
        self.switch_prob = check_probability("switch_prob", switch_prob)
        self.num_classes = check_int("num_classes", num_classes, 1)
        self.label_smoothing = check_probability("label_smoothing", label_smoothing)
        self.per_sample = bool(per_sample)

    def sample(self, rng: np.random.Generator, images: torch.Tensor) -> MixParams:
        """Draw the CutMix/Mixup choice, both lambdas, the box and the corrected lambda."""
        return _draw(
            rng,
            images,
            mixup_alpha=self.mixup_alpha,
            cutmix_alpha=self.cutmix_alpha,
            switch_prob=self.switch_prob,
            per_sample=self.per_sample,
        )
