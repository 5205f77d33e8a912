"""Batch-stage mixing: ``Mixup``, ``CutMix`` and ``MixupOrCutMix``, transforms of a whole ``Batch``.

Mixing transforms are ordinary transforms of an ``augkit.Batch`` (images and targets): they
go in ``Compose``, ``RandomApply``, ``OneOf``, configs and ``DeviceLoader`` like any other.
Called on tensors they take and return the targets too::

    images, targets = Mixup(alpha=0.2, num_classes=10)(images, labels, rng=rng)

Targets are ``[B]`` integer class indices or ``[B, K]`` float soft targets; the result is
always ``[B, K]`` soft targets. As in timm, the partner of sample ``i`` is sample
``B - 1 - i`` (the reversed batch), lambda ~ Beta(alpha, alpha), and CutMix's lambda is
corrected to the area actually kept. Any batch size works: in an odd batch the middle
sample is its own partner.

timm's options are here with timm's meaning: ``mode`` (``"batch"``: one lambda per batch,
``"pair"``: one per pair, ``"elem"``: one per sample), ``prob`` (mix at all), ``switch_prob``,
``cutmix_minmax``, ``correct_lam``, ``label_smoothing``, an alpha of 0 disabling that half of
``MixupOrCutMix``, and ``bce_target_thresh`` (binary targets, as "ResNet strikes back").
Per-sample draws (``"elem"``) come from each sample's own stream in the batch stage;
once-per-batch and per-pair draws from the batch's generator.

Blending needs float images: Mixup rows raise TypeError on uint8 (put mixing after
``Normalize``). ``CutMix`` only copies pixels and keeps any dtype; it pastes the masks of a
segmentation batch with the image. Mixup refuses masks; boxes and keypoints are refused.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch

from augkit._validate import check_int, check_probability, check_range, check_real
from augkit.errors import UnsupportedTargetError
from augkit.functional import mix as M
from augkit.rng import batch_generator
from augkit.targets import Batch
from augkit.transforms.base import BATCH_STAGE, Transform, _as_rng

__all__ = ["MIX_MODES", "CutMix", "MixParams", "MixingTransform", "Mixup", "MixupOrCutMix"]

#: timm's ways of drawing lambda: once per batch, per pair of partners, or per sample.
MIX_MODES = ("batch", "pair", "elem")


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

    def describe(self) -> str:
        """A caption: ``mixup lam=0.73``, ``cutmix box=WxH@(x,y) lam=0.84`` or ``not mixed`` for one sample.

        Example:
            >>> MixParams(0.84, True, 2, 0, 23, 18).describe(), MixParams(0.73, False, 0, 0, 0, 0).describe()
            ('cutmix box=18x21@(0,2) lam=0.84', 'mixup lam=0.73')
            >>> MixParams(np.array([0.5, 1.0]), np.array([True, False]), *np.zeros((4, 2), int)).describe()
            '2 samples: 1 cutmix, 0 mixup, lam 0.5..1'
        """
        if np.ndim(self.lam) > 0:
            lam, cutmix = np.asarray(self.lam, dtype=np.float64), np.asarray(self.cutmix, dtype=bool)
            mixup = int(np.count_nonzero(~cutmix & (lam < 1.0)))
            span = f"lam {lam.min():.3g}..{lam.max():.3g}" if lam.size else "lam -"
            return f"{lam.size} samples: {int(cutmix.sum())} cutmix, {mixup} mixup, {span}"
        weight = float(self.lam)
        if bool(self.cutmix):
            top, left, bottom, right = (int(v) for v in (self.top, self.left, self.bottom, self.right))
            return f"cutmix box={right - left}x{bottom - top}@({left},{top}) lam={weight:.3g}"
        return f"mixup lam={weight:.3g}" if weight < 1.0 else "not mixed"


class MixingTransform(Transform):
    """Base class of batch transforms that mix samples and their targets.

    Subclasses implement ``sample``; ``apply`` mixes images (and the masks of a CutMix) with
    ``augkit.functional.mix`` and the targets with the lambdas in the parameters.

    Attributes:
        stages: Only the batch stage.
        mixes_targets: Always True.
    """

    abstract = True
    stages: tuple[str, ...] = (BATCH_STAGE,)
    mixes_targets: ClassVar[bool] = True
    sample_reads_pixels: ClassVar[bool] = False

    num_classes: int
    label_smoothing: float
    bce_target_thresh: float | None = None

    def apply(self, batch: Batch, params: MixParams) -> Batch:
        """Mix a ``Batch``'s images, masks and labels with the given parameters (deterministic).

        Args:
            batch: ``[B, C, H, W]`` images (float; uint8 for pure CutMix) with ``[B]`` integer
                or ``[B, K]`` float labels.
            params: What ``sample`` returned for this batch.

        Returns:
            A new ``Batch`` with mixed images and ``[B, K]`` soft labels; the input is not modified.
        """
        images = self._check_images(batch.images)
        if batch.labels is None:
            raise ValueError(f"{type(self).__name__} mixes targets, but the batch has none")
        targets = self._check_targets(batch.labels, images.shape[0])
        if batch.boxes is not None or batch.keypoints is not None:
            raise UnsupportedTargetError(f"{type(self).__name__} cannot mix boxes or keypoints (detection and pose batches)")
        mixed = M.mix_images(images, params.lam, params.cutmix, params.top, params.left, params.bottom, params.right)
        masks = batch.masks
        if masks is not None:
            if not np.all(np.asarray(params.cutmix) | (np.asarray(params.lam) == 1.0)):
                raise UnsupportedTargetError(
                    f"{type(self).__name__} blends pixels and cannot blend masks (segmentation batches); CutMix pastes them"
                )
            flat = masks[:, None] if masks.ndim == 3 else masks
            pasted = M.mix_images(flat, params.lam, params.cutmix, params.top, params.left, params.bottom, params.right)
            masks = pasted[:, 0] if masks.ndim == 3 else pasted
        soft = M.mix_targets(M.soft_targets(targets, self.num_classes, self.label_smoothing), params.lam)
        if self.bce_target_thresh is not None:
            soft = (soft > self.bce_target_thresh).to(soft.dtype)
        return batch.replace(images=mixed, labels=soft, masks=masks)

    def restrict(self, params: MixParams, applied: np.ndarray) -> MixParams:
        """``params`` with the rows not in ``applied`` left unmixed (lambda 1, no box)."""
        applied = np.asarray(applied, dtype=bool)
        zero = np.zeros_like(params.top)
        return MixParams(
            np.where(applied, params.lam, 1.0),
            params.cutmix & applied,
            *(np.where(applied, v, zero) for v in (params.top, params.left, params.bottom, params.right)),
        )

    def run(self, images, targets=None, rng=None) -> tuple[Any, MixParams]:  # type: ignore[override]  # also (images, targets, rng)
        """Sample parameters and apply them.

        Called as ``run(batch, rng)`` it returns ``(batch, params)``; as
        ``run(images, targets, rng)`` it returns ``((images, targets), params)``.
        """
        if isinstance(images, Batch):
            rng = targets if rng is None else rng
            params = self.sample(rng, images)
            return self.apply(images, params), params
        batch = Batch(self._check_images(images), targets)
        out, params = self.run(batch, rng)
        return (out.images, out.labels), params

    def __call__(self, images, targets=None, *, rng: np.random.Generator | int | None = None):
        """Mix a batch and its targets with parameters drawn from ``rng``.

        Args:
            images: A ``Batch``, or a ``[B, C, H, W]`` tensor.
            targets: With a tensor: ``[B]`` integer class indices or ``[B, K]`` soft targets.
            rng: A ``numpy.random.Generator`` (or a per-sample generator), an int seed, or None.

        Returns:
            A ``Batch`` for a ``Batch``; else ``(images, targets)`` with ``[B, K]`` soft targets.
        """
        if isinstance(images, Batch):
            return self.run(images, None, _as_rng(rng))[0]
        if targets is None:
            raise TypeError(f"{type(self).__name__} mixes targets: call it as t(images, targets) or on an augkit.Batch")
        return self.run(images, targets, _as_rng(rng))[0]

    def _dispatch(self, x, params, *extra: Any):
        if extra:  # the (images, targets, params) form
            out = self._dispatch(Batch(x, params), extra[0])
            return out.images, out.labels
        if not isinstance(x, Batch):
            raise TypeError(f"{type(self).__name__} mixes samples and their targets: apply it to an augkit.Batch")
        return super()._dispatch(x, params)

    def _check_images(self, images) -> torch.Tensor:
        name = type(self).__name__
        if not isinstance(images, torch.Tensor) or images.ndim != 4:
            shape = tuple(images.shape) if hasattr(images, "shape") else type(images).__name__
            raise TypeError(f"{name} needs a [B, C, H, W] tensor batch, got {shape}")
        if not images.is_floating_point():
            if self._blends():
                raise TypeError(
                    f"{name} blends pixels and needs a float batch, got {images.dtype}: place it after"
                    " Normalize (or convert with images.float() / 255)"
                )
            if images.dtype != torch.uint8:
                raise TypeError(f"{name} needs a uint8 or float batch, got {images.dtype}")
        return images

    def _blends(self) -> bool:
        return True

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


def _check_alpha(name: str, value, allow_zero: bool = False) -> float:
    value = check_real(name, value)
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0 (0 disables it)" if allow_zero else "> 0 (the Beta(alpha, alpha) parameter)"
        raise ValueError(f"{name} must be {bound}, got {value}")
    if value > 1e6:
        raise ValueError(f"{name} must be <= 1e6, got {value}")
    return value


def _check_mode(mode, per_sample) -> str:
    if per_sample is not None:
        warnings.warn("per_sample=True is deprecated: use mode='elem'", DeprecationWarning, stacklevel=4)
        if per_sample:
            return "elem"
    if mode not in MIX_MODES:
        raise ValueError(f"mode must be one of {MIX_MODES}, got {mode!r}")
    return mode


def _check_minmax(value) -> tuple[float, float] | None:
    if value is None:
        return None
    low, high = check_range("cutmix_minmax", value, 0.0, 1.0)
    if low >= high:
        raise ValueError(f"cutmix_minmax must have low < high, got {value!r}")
    return low, high


def _check_thresh(value) -> float | None:
    return None if value is None else check_probability("bce_target_thresh", value)


def _draw(rng, images, t: _MixBase) -> MixParams:
    """Draw the lambdas, the Mixup/CutMix choice and the boxes (timm's ``_params_per_*``)."""
    batch, height, width = int(images.shape[0]), int(images.shape[-2]), int(images.shape[-1])
    if t.mode == "elem":
        source, n = rng, batch
    else:
        source, n = batch_generator(rng), (1 if t.mode == "batch" else math.ceil(batch / 2))
    mixup_alpha, cutmix_alpha = t._alphas()
    if n == 0:
        empty = np.zeros(0)
        return MixParams(empty, empty.astype(bool), *(empty.astype(np.int64) for _ in range(4)))
    if mixup_alpha and cutmix_alpha:
        cutmix = source.random(n) < t._switch_prob()
    else:
        cutmix = np.full(n, bool(cutmix_alpha))
    lam_cut = source.beta(cutmix_alpha, cutmix_alpha, size=n) if cutmix_alpha else np.ones(n)
    lam_mix = source.beta(mixup_alpha, mixup_alpha, size=n) if mixup_alpha else np.ones(n)
    applied = source.random(n) < t.prob if t.prob < 1.0 else np.ones(n, dtype=bool)
    lam = np.where(applied, np.where(cutmix, lam_cut, lam_mix), 1.0)
    cutmix = cutmix & applied
    zeros = np.zeros(n, dtype=np.int64)
    top = left = bottom = right = zeros
    if cutmix_alpha:
        if t.cutmix_minmax is not None:
            low, high = t.cutmix_minmax
            cut_h = source.integers(int(height * low), max(int(height * high), int(height * low) + 1), size=n)
            cut_w = source.integers(int(width * low), max(int(width * high), int(width * low) + 1), size=n)
            top = source.integers(0, height - cut_h + 1, size=n)  # timm: randint(0, H - h + 1), flush with the edge too
            left = source.integers(0, width - cut_w + 1, size=n)
            bottom, right = top + cut_h, left + cut_w
            kept = 1.0 - (bottom - top) * (right - left) / float(height * width)
        else:
            center_y = source.integers(0, height, size=n)
            center_x = source.integers(0, width, size=n)
            top, left, bottom, right, kept = M.cutmix_box(height, width, lam, center_y, center_x)
        if t.correct_lam or t.cutmix_minmax is not None:
            lam = np.where(cutmix, kept, lam)
        top, left, bottom, right = (np.where(cutmix, v, zeros) for v in (top, left, bottom, right))
    fields: tuple[np.ndarray, ...] = (lam, cutmix, top, left, bottom, right)
    if t.mode == "batch":
        fields = tuple(np.repeat(v, batch) for v in fields)
    elif t.mode == "pair":
        fields = tuple(np.concatenate([v, v[: batch - n][::-1]]) for v in fields)
    return MixParams(*fields)


class _MixBase(MixingTransform):
    """Shared options of the mixing transforms (timm's ``Mixup`` arguments)."""

    mode: str = "batch"
    prob: float = 1.0
    cutmix_minmax: tuple[float, float] | None = None
    correct_lam: bool = True

    def _alphas(self) -> tuple[float, float]:
        raise NotImplementedError

    def _switch_prob(self) -> float:
        return 0.0

    def _blends(self) -> bool:
        return self._alphas()[0] > 0

    def sample(self, rng: np.random.Generator, images: torch.Tensor) -> MixParams:
        """Draw lambdas, the CutMix/Mixup choice and boxes (per batch, pair or sample)."""
        return _draw(rng, images, self)

    @property
    def per_sample(self) -> bool:
        """True for ``mode="elem"`` (the older spelling)."""
        return self.mode == "elem"


_COMMON_ARGS = """
        label_smoothing: s in [0, 1]: one-hot rows become ``1 - s + s / K`` and ``s / K``.
        per_sample: Deprecated spelling of ``mode="elem"``.
        prob: Probability of mixing at all (per batch, pair or sample, as ``mode``).
        mode: ``"batch"`` (one draw per batch), ``"pair"`` (per pair of partners) or
            ``"elem"`` (per sample), as timm's ``Mixup(mode=...)``.
        bce_target_thresh: When set, targets become binary (``soft > thresh``), for
            binary cross-entropy as in "ResNet strikes back"."""


class Mixup(_MixBase):
    """Mixup: blend each sample with its partner (the reversed batch) and mix the targets.

    ``x'_i = lam * x_i + (1 - lam) * x_j`` and ``y'_i = lam * y_i + (1 - lam) * y_j`` with
    ``j = B - 1 - i`` and lam ~ Beta(alpha, alpha). Class indices become one-hot with label
    smoothing (``off = s / K``, ``on = 1 - s + off``); soft targets are smoothed the same way.

    Args:
        alpha: Beta distribution parameter, > 0 (0.2 for ImageNet in the paper).
        num_classes: K, the number of classes.{common}

    Shape:
        ``[B, C, H, W]`` float tensor and ``[B]`` int / ``[B, K]`` float targets (or a
        ``Batch``) -> the same batch shape and dtype, ``[B, K]`` float targets.

    Example:
        >>> import torch
        >>> images, targets = Mixup(alpha=0.2, num_classes=10)(torch.linspace(0, 1, 768).view(4, 3, 8, 8), torch.tensor([0, 1, 2, 3]), rng=0)
        >>> tuple(targets.shape), bool(torch.allclose(targets.sum(1), torch.ones(4)))
        ((4, 10), True)

    References:
        Zhang et al., "mixup: Beyond Empirical Risk Minimization", ICLR 2018; timm
        ``timm.data.Mixup``.
    """

    def __init__(
        self,
        alpha: float,
        num_classes: int,
        label_smoothing: float = 0.0,
        per_sample: bool | None = None,
        prob: float = 1.0,
        mode: str = "batch",
        bce_target_thresh: float | None = None,
    ) -> None:
        self.alpha = _check_alpha("alpha", alpha)
        self.num_classes = check_int("num_classes", num_classes, 1)
        self.label_smoothing = check_probability("label_smoothing", label_smoothing)
        self.mode = _check_mode(mode, per_sample)
        self.prob = check_probability("prob", prob)
        self.bce_target_thresh = _check_thresh(bce_target_thresh)

    def config_args(self) -> dict[str, Any]:
        """Constructor arguments (``per_sample`` is written as ``mode``)."""
        return {
            "alpha": self.alpha,
            "num_classes": self.num_classes,
            "label_smoothing": self.label_smoothing,
            "prob": self.prob,
            "mode": self.mode,
            "bce_target_thresh": self.bce_target_thresh,
        }

    def _alphas(self) -> tuple[float, float]:
        return self.alpha, 0.0


class CutMix(_MixBase):
    """CutMix: paste a box from each sample's partner (the reversed batch) and mix the targets.

    lam ~ Beta(alpha, alpha); the box has sides ``int(H * sqrt(1 - lam))`` by
    ``int(W * sqrt(1 - lam))``, its centre is uniform over the image and it is clipped at
    the borders; with ``correct_lam`` lam becomes the area kept, ``1 - box_area / (H * W)``
    (timm's ``cutmix_bbox_and_lam``). ``cutmix_minmax`` draws the box sides uniformly in
    that fraction of the image instead (and always corrects lam). Pixels are only copied, so
    any dtype works (uint8 included); masks are pasted with the image.

    Args:
        alpha: Beta distribution parameter, > 0 (1.0 in the paper).
        num_classes: K, the number of classes.{common}
        cutmix_minmax: ``(low, high)`` box side range as a fraction of the image, or None.
        correct_lam: Correct lambda to the area actually kept (timm's default).

    Shape:
        ``[B, C, H, W]`` tensor and ``[B]`` int / ``[B, K]`` float targets (or a ``Batch``)
        -> the same batch shape and dtype, ``[B, K]`` float targets.

    Example:
        >>> import torch
        >>> images, targets = CutMix(alpha=1.0, num_classes=3)(torch.zeros(2, 3, 8, 8, dtype=torch.uint8), [0, 2], rng=0)
        >>> images.dtype, tuple(targets.shape)
        (torch.uint8, (2, 3))

    References:
        Yun et al., "CutMix: Regularization Strategy to Train Strong Classifiers with
        Localizable Features", ICCV 2019; timm ``timm.data.Mixup(cutmix_alpha=...)``.
    """

    def __init__(
        self,
        alpha: float,
        num_classes: int,
        label_smoothing: float = 0.0,
        per_sample: bool | None = None,
        prob: float = 1.0,
        mode: str = "batch",
        bce_target_thresh: float | None = None,
        cutmix_minmax: tuple[float, float] | None = None,
        correct_lam: bool = True,
    ) -> None:
        self.alpha = _check_alpha("alpha", alpha)
        self.num_classes = check_int("num_classes", num_classes, 1)
        self.label_smoothing = check_probability("label_smoothing", label_smoothing)
        self.mode = _check_mode(mode, per_sample)
        self.prob = check_probability("prob", prob)
        self.bce_target_thresh = _check_thresh(bce_target_thresh)
        self.cutmix_minmax = _check_minmax(cutmix_minmax)
        self.correct_lam = bool(correct_lam)

    def config_args(self) -> dict[str, Any]:
        """Constructor arguments (``per_sample`` is written as ``mode``)."""
        return {
            "alpha": self.alpha,
            "num_classes": self.num_classes,
            "label_smoothing": self.label_smoothing,
            "prob": self.prob,
            "mode": self.mode,
            "bce_target_thresh": self.bce_target_thresh,
            "cutmix_minmax": self.cutmix_minmax,
            "correct_lam": self.correct_lam,
        }

    def _alphas(self) -> tuple[float, float]:
        return 0.0, self.alpha


class MixupOrCutMix(_MixBase):
    """Either CutMix (with probability ``switch_prob``) or Mixup: timm's ``Mixup``.

    timm's ``Mixup(mixup_alpha, cutmix_alpha, switch_prob, mode, prob, ...)``: an alpha of 0
    disables that half (both 0 is refused); each part means what ``Mixup`` and ``CutMix`` mean.

    Args:
        mixup_alpha: Mixup's Beta parameter, >= 0.
        cutmix_alpha: CutMix's Beta parameter, >= 0.
        switch_prob: Probability of CutMix instead of Mixup when both are enabled.
        num_classes: K, the number of classes (keyword-only).{common}
        cutmix_minmax: As ``CutMix``.
        correct_lam: As ``CutMix``.

    Shape:
        ``[B, C, H, W]`` float tensor and targets (or a ``Batch``) -> the same batch,
        ``[B, K]`` float targets.

    Example:
        >>> import torch
        >>> t = MixupOrCutMix(0.8, 1.0, num_classes=5, mode="elem")
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
        per_sample: bool | None = None,
        prob: float = 1.0,
        mode: str = "batch",
        bce_target_thresh: float | None = None,
        cutmix_minmax: tuple[float, float] | None = None,
        correct_lam: bool = True,
    ) -> None:
        self.mixup_alpha = _check_alpha("mixup_alpha", mixup_alpha, allow_zero=True)
        self.cutmix_alpha = _check_alpha("cutmix_alpha", cutmix_alpha, allow_zero=True)
        if self.mixup_alpha == 0 and self.cutmix_alpha == 0:
            raise ValueError("mixup_alpha and cutmix_alpha are both 0: nothing would be mixed (leave the transform out)")
        self.switch_prob = check_probability("switch_prob", switch_prob)
        self.num_classes = check_int("num_classes", num_classes, 1)
        self.label_smoothing = check_probability("label_smoothing", label_smoothing)
        self.mode = _check_mode(mode, per_sample)
        self.prob = check_probability("prob", prob)
        self.bce_target_thresh = _check_thresh(bce_target_thresh)
        self.cutmix_minmax = _check_minmax(cutmix_minmax)
        self.correct_lam = bool(correct_lam)

    def config_args(self) -> dict[str, Any]:
        """Constructor arguments (``per_sample`` is written as ``mode``)."""
        return {
            "mixup_alpha": self.mixup_alpha,
            "cutmix_alpha": self.cutmix_alpha,
            "switch_prob": self.switch_prob,
            "num_classes": self.num_classes,
            "label_smoothing": self.label_smoothing,
            "prob": self.prob,
            "mode": self.mode,
            "bce_target_thresh": self.bce_target_thresh,
            "cutmix_minmax": self.cutmix_minmax,
            "correct_lam": self.correct_lam,
        }

    def _alphas(self) -> tuple[float, float]:
        return self.mixup_alpha, self.cutmix_alpha

    def _switch_prob(self) -> float:
        return self.switch_prob


for _cls in (Mixup, CutMix, MixupOrCutMix):
    _cls.__doc__ = (_cls.__doc__ or "").replace("{common}", _COMMON_ARGS)
del _cls
