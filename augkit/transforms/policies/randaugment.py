"""torchvision's ``RandAugment`` and ``TrivialAugmentWide``."""

from __future__ import annotations

import numpy as np

from augkit import constants
from augkit._validate import check_int
from augkit.transforms.policies.core import _Policy
from augkit.transforms.policies.magnitudes import _IDENTITY_KINDS, _check_policy_image_size, _tv_pick, _tv_tables
from augkit.transforms.policies.timm import TimmRandAugment


class RandAugment(_Policy):
    """RandAugment: ``num_ops`` operations per image, each chosen uniformly (torchvision v2 ``RandAugment``).

    The 14 operations of torchvision (``Identity``, ``ShearX``, ``ShearY``, ``TranslateX``,
    ``TranslateY``, ``Rotate``, ``Brightness``, ``Color``, ``Contrast``, ``Sharpness``,
    ``Posterize``, ``Solarize``, ``AutoContrast``, ``Equalize``) with torchvision's magnitude
    bins: bin ``magnitude`` of ``num_magnitude_bins``, negated with probability 1/2 for the
    signed ones. Every operation equals torchvision's functional op for the same magnitude
    (see ``augkit.functional.policy_ops``). In the batch stage each image draws its own
    operations and signs.

    For timm's RandAugment (config strings such as ``"rand-m9-mstd0.5-inc1"``) use
    ``RandAugment.from_timm``.

    Args:
        num_ops: Operations per image, >= 0.
        magnitude: The magnitude bin, in ``[0, num_magnitude_bins - 1]``.
        num_magnitude_bins: How many bins span each operation's range, >= 2.
        interpolation: ``"nearest"`` (torchvision's default) or ``"bilinear"``, for the warps.
        fill: Value of pixels from outside the image in the warps (a number or one per
            channel, in the image's units), or None for 0 (torchvision's default).
        mask_fill: Value of mask pixels from outside the image.
        same_on_batch: In the batch stage, the same operations for the whole batch.

    Shape:
        HWC array, ``[C, H, W]`` or ``[B, C, H, W]`` tensor (uint8 or float; 1 or 3
        channels); shape and dtype kept.

    Example:
        >>> image = np.full((16, 16, 3), 100, np.uint8)
        >>> out, params = RandAugment(num_ops=2, magnitude=9).run(image, np.random.default_rng(0))
        >>> out.shape, len(params.ops)
        ((16, 16, 3), 2)

    References:
        Cubuk et al., "RandAugment: Practical automated data augmentation with a reduced
        search space", NeurIPS 2020; torchvision ``transforms.v2.RandAugment``.
    """

    def __init__(
        self,
        num_ops: int = 2,
        magnitude: int = 9,
        num_magnitude_bins: int = 31,
        interpolation: str = "nearest",
        fill=None,
        mask_fill: int = 0,
        same_on_batch: bool = False,
    ) -> None:
        self.num_ops = check_int("num_ops", num_ops, 0)
        self.num_magnitude_bins = check_int("num_magnitude_bins", num_magnitude_bins, 2)
        self.magnitude = check_int("magnitude", magnitude, 0, self.num_magnitude_bins - 1)
        self._setup(interpolation, fill, mask_fill, same_on_batch)

    @classmethod
    def from_timm(
        cls,
        config: str = "rand-m9-mstd0.5-inc1",
        *,
        interpolation: str = "bilinear",
        fill=None,
        mean=constants.IMAGENET_MEAN,
        translate_pct: float = 0.45,
        mask_fill: int = 0,
    ) -> TimmRandAugment:
        """timm's RandAugment from its config string (``timm.data.rand_augment_transform``).

        Args:
            config: timm's string, e.g. ``"rand-m9-mstd0.5-inc1"`` (see ``TimmRandAugment``).
            interpolation: The warps' interpolation, ``"nearest"`` or ``"bilinear"`` (timm's
                PIL bicubic and random bilinear/bicubic are not offered: pass "bilinear").
            fill: Pixels from outside the image (0-255 levels), or None for timm's
                ``img_mean``: ``min(255, round(255 * m))`` for each ``m`` of ``mean``.
            mean: The normalization mean (in [0, 1]) the fill derives from.
            translate_pct: timm's ``translate_pct`` hyper-parameter (0.45: shifts up to 45% of a side).
            mask_fill: Value of mask pixels from outside the image.

        Returns:
            A ``TimmRandAugment``.

        Example:
            >>> RandAugment.from_timm("rand-m9-mstd0.5-inc1").fill
            (124.0, 116.0, 104.0)
        """
        if fill is None:
            fill = tuple(float(min(255, round(255 * m))) for m in mean)
        return TimmRandAugment(config, interpolation=interpolation, fill=fill, translate_pct=translate_pct, mask_fill=mask_fill)

    def _kinds(self) -> dict[str, str]:
        return _IDENTITY_KINDS

    def _draw_ops(self, rng, rows, height, width):
        _check_policy_image_size(height, width)
        names, table = _tv_tables("randaugment", self.num_magnitude_bins, height, width)
        shape = (rows, self.num_ops)
        op = rng.integers(0, len(names), size=shape)
        ops, magnitudes = _tv_pick(rng, shape, names, table, op, np.full(shape, self.magnitude))
        return ops, magnitudes, np.ones(shape, dtype=bool)


class TrivialAugmentWide(_Policy):
    """TrivialAugment (wide): one operation per image, with a uniform magnitude bin (torchvision v2).

    torchvision's ``TrivialAugmentWide``: one of its 14 operations uniformly, a bin uniform
    in ``[0, num_magnitude_bins)`` of the wide ranges (shear 0.99, shift 32 pixels, rotation
    135 degrees, enhancement 0.99, posterize 8 to 2 bits), negated with probability 1/2 for
    the signed ones.

    Args:
        num_magnitude_bins: How many bins span each operation's range, >= 2.
        interpolation: ``"nearest"`` (torchvision's default) or ``"bilinear"``.
        fill: Value of pixels from outside the image in the warps, or None for 0.
        mask_fill: Value of mask pixels from outside the image.
        same_on_batch: In the batch stage, the same operation for the whole batch.

    Shape:
        HWC array, ``[C, H, W]`` or ``[B, C, H, W]`` tensor; shape and dtype kept.

    Example:
        >>> TrivialAugmentWide()(np.zeros((8, 8, 3), np.uint8), rng=0).shape
        (8, 8, 3)

    References:
        Müller & Hutter, "TrivialAugment: Tuning-free Yet State-of-the-Art Data
        Augmentation", ICCV 2021; torchvision ``transforms.v2.TrivialAugmentWide``.
    """

    def __init__(
        self, num_magnitude_bins: int = 31, interpolation: str = "nearest", fill=None, mask_fill: int = 0, same_on_batch: bool = False
    ) -> None:
        self.num_magnitude_bins = check_int("num_magnitude_bins", num_magnitude_bins, 2)
        self._setup(interpolation, fill, mask_fill, same_on_batch)

    def _kinds(self) -> dict[str, str]:
        return _IDENTITY_KINDS

    def _draw_ops(self, rng, rows, height, width):
        _check_policy_image_size(height, width)
        names, table = _tv_tables("wide", self.num_magnitude_bins, height, width)
        shape = (rows, 1)
        op = rng.integers(0, len(names), size=shape)
        bins = rng.integers(0, self.num_magnitude_bins, size=shape)
        ops, magnitudes = _tv_pick(rng, shape, names, table, op, bins)
        return ops, magnitudes, np.ones(shape, dtype=bool)
