"""torchvision's ``AutoAugment`` with its ImageNet, CIFAR-10 and SVHN policies."""

from __future__ import annotations

import numpy as np

from augkit.transforms.policies.core import AutoAugmentParams, _Policy
from augkit.transforms.policies.magnitudes import _IDENTITY_KINDS, _check_policy_image_size, _tv_pick, _tv_tables

# torchvision's AutoAugment policies: (op, probability, magnitude bin) pairs.
_AA_IMAGENET = (
    (("Posterize", 0.4, 8), ("Rotate", 0.6, 9)),
    (("Solarize", 0.6, 5), ("AutoContrast", 0.6, None)),
    (("Equalize", 0.8, None), ("Equalize", 0.6, None)),
    (("Posterize", 0.6, 7), ("Posterize", 0.6, 6)),
    (("Equalize", 0.4, None), ("Solarize", 0.2, 4)),
    (("Equalize", 0.4, None), ("Rotate", 0.8, 8)),
    (("Solarize", 0.6, 3), ("Equalize", 0.6, None)),
    (("Posterize", 0.8, 5), ("Equalize", 1.0, None)),
    (("Rotate", 0.2, 3), ("Solarize", 0.6, 8)),
    (("Equalize", 0.6, None), ("Posterize", 0.4, 6)),
    (("Rotate", 0.8, 8), ("Color", 0.4, 0)),
    (("Rotate", 0.4, 9), ("Equalize", 0.6, None)),
    (("Equalize", 0.0, None), ("Equalize", 0.8, None)),
    (("Invert", 0.6, None), ("Equalize", 1.0, None)),
    (("Color", 0.6, 4), ("Contrast", 1.0, 8)),
    (("Rotate", 0.8, 8), ("Color", 1.0, 2)),
    (("Color", 0.8, 8), ("Solarize", 0.8, 7)),
    (("Sharpness", 0.4, 7), ("Invert", 0.6, None)),
    (("ShearX", 0.6, 5), ("Equalize", 1.0, None)),
    (("Color", 0.4, 0), ("Equalize", 0.6, None)),
    (("Equalize", 0.4, None), ("Solarize", 0.2, 4)),
    (("Solarize", 0.6, 5), ("AutoContrast", 0.6, None)),
    (("Invert", 0.6, None), ("Equalize", 1.0, None)),
    (("Color", 0.6, 4), ("Contrast", 1.0, 8)),
    (("Equalize", 0.8, None), ("Equalize", 0.6, None)),
)
_AA_CIFAR10 = (
    (("Invert", 0.1, None), ("Contrast", 0.2, 6)),
    (("Rotate", 0.7, 2), ("TranslateX", 0.3, 9)),
    (("Sharpness", 0.8, 1), ("Sharpness", 0.9, 3)),
    (("ShearY", 0.5, 8), ("TranslateY", 0.7, 9)),
    (("AutoContrast", 0.5, None), ("Equalize", 0.9, None)),
    (("ShearY", 0.2, 7), ("Posterize", 0.3, 7)),
    (("Color", 0.4, 3), ("Brightness", 0.6, 7)),
    (("Sharpness", 0.3, 9), ("Brightness", 0.7, 9)),
    (("Equalize", 0.6, None), ("Equalize", 0.5, None)),
    (("Contrast", 0.6, 7), ("Sharpness", 0.6, 5)),
    (("Color", 0.7, 7), ("TranslateX", 0.5, 8)),
    (("Equalize", 0.3, None), ("AutoContrast", 0.4, None)),
    (("TranslateY", 0.4, 3), ("Sharpness", 0.2, 6)),
    (("Brightness", 0.9, 6), ("Color", 0.2, 8)),
    (("Solarize", 0.5, 2), ("Invert", 0.0, None)),
    (("Equalize", 0.2, None), ("AutoContrast", 0.6, None)),
    (("Equalize", 0.2, None), ("Equalize", 0.6, None)),
    (("Color", 0.9, 9), ("Equalize", 0.6, None)),
    (("AutoContrast", 0.8, None), ("Solarize", 0.2, 8)),
    (("Brightness", 0.1, 3), ("Color", 0.7, 0)),
    (("Solarize", 0.4, 5), ("AutoContrast", 0.9, None)),
    (("TranslateY", 0.9, 9), ("TranslateY", 0.7, 9)),
    (("AutoContrast", 0.9, None), ("Solarize", 0.8, 3)),
    (("Equalize", 0.8, None), ("Invert", 0.1, None)),
    (("TranslateY", 0.7, 9), ("AutoContrast", 0.9, None)),
)
_AA_SVHN = (
    (("ShearX", 0.9, 4), ("Invert", 0.2, None)),
    (("ShearY", 0.9, 8), ("Invert", 0.7, None)),
    (("Equalize", 0.6, None), ("Solarize", 0.6, 6)),
    (("Invert", 0.9, None), ("Equalize", 0.6, None)),
    (("Equalize", 0.6, None), ("Rotate", 0.9, 3)),
    (("ShearX", 0.9, 4), ("AutoContrast", 0.8, None)),
    (("ShearY", 0.9, 8), ("Invert", 0.4, None)),
    (("ShearY", 0.9, 5), ("Solarize", 0.2, 6)),
    (("Invert", 0.9, None), ("AutoContrast", 0.8, None)),
    (("Equalize", 0.6, None), ("Rotate", 0.9, 3)),
    (("ShearX", 0.9, 4), ("Solarize", 0.3, 3)),
    (("ShearY", 0.8, 8), ("Invert", 0.7, None)),
    (("Equalize", 0.9, None), ("TranslateY", 0.6, 6)),
    (("Invert", 0.9, None), ("Equalize", 0.6, None)),
    (("Contrast", 0.3, 3), ("Rotate", 0.8, 4)),
    (("Invert", 0.8, None), ("TranslateY", 0.0, 2)),
    (("ShearY", 0.7, 6), ("Solarize", 0.4, 8)),
    (("Invert", 0.6, None), ("Rotate", 0.8, 4)),
    (("ShearY", 0.3, 7), ("TranslateX", 0.9, 3)),
    (("ShearX", 0.1, 6), ("Invert", 0.6, None)),
    (("Solarize", 0.7, 2), ("TranslateY", 0.6, 7)),
    (("ShearY", 0.8, 4), ("Invert", 0.8, None)),
    (("ShearX", 0.7, 9), ("TranslateY", 0.8, 3)),
    (("ShearY", 0.8, 5), ("AutoContrast", 0.7, None)),
    (("ShearX", 0.7, 2), ("Invert", 0.1, None)),
)
#: torchvision's ``AutoAugmentPolicy`` values and their sub-policies.
AUTOAUGMENT_POLICIES = {"imagenet": _AA_IMAGENET, "cifar10": _AA_CIFAR10, "svhn": _AA_SVHN}


class AutoAugment(_Policy):
    """AutoAugment: one of the learned sub-policies per image (torchvision v2 ``AutoAugment``).

    A sub-policy is drawn uniformly; each of its two operations runs with its probability
    and its magnitude bin of torchvision's 10-bin ranges, negated with probability 1/2 for
    the signed ones.

    Args:
        policy: ``"imagenet"``, ``"cifar10"`` or ``"svhn"`` (torchvision's ``AutoAugmentPolicy``).
        interpolation: ``"nearest"`` (torchvision's default) or ``"bilinear"``.
        fill: Value of pixels from outside the image in the warps, or None for 0.
        mask_fill: Value of mask pixels from outside the image.
        same_on_batch: In the batch stage, the same sub-policy and draws for the whole batch.

    Shape:
        HWC array, ``[C, H, W]`` or ``[B, C, H, W]`` tensor; shape and dtype kept.

    Example:
        >>> params = AutoAugment("cifar10").sample(np.random.default_rng(0), np.zeros((32, 32, 3), np.uint8))
        >>> params.sub_policy, len(params.ops)
        (21, 2)

    References:
        Cubuk et al., "AutoAugment: Learning Augmentation Strategies from Data", CVPR 2019;
        torchvision ``transforms.v2.AutoAugment``.
    """

    params_class = AutoAugmentParams

    def __init__(
        self, policy: str = "imagenet", interpolation: str = "nearest", fill=None, mask_fill: int = 0, same_on_batch: bool = False
    ) -> None:
        if policy not in AUTOAUGMENT_POLICIES:
            raise ValueError(f"policy must be one of {tuple(AUTOAUGMENT_POLICIES)}, got {policy!r}")
        self.policy = policy
        self._setup(interpolation, fill, mask_fill, same_on_batch)

    def _kinds(self) -> dict[str, str]:
        return _IDENTITY_KINDS

    def _draw_ops(self, rng, rows, height, width):
        _check_policy_image_size(height, width)
        names, table = _tv_tables("autoaugment", 10, height, width)
        position = {name: i for i, name in enumerate(names)}
        policies = AUTOAUGMENT_POLICIES[self.policy]
        op_of = np.array([[position[op] for op, _, _ in pair] for pair in policies])
        prob_of = np.array([[p for _, p, _ in pair] for pair in policies])
        bin_of = np.array([[0 if b is None else b for _, _, b in pair] for pair in policies])
        sub = rng.integers(0, len(policies), size=rows)
        applied = rng.random((rows, 2)) <= prob_of[sub]
        ops, magnitudes = _tv_pick(rng, (rows, 2), names, table, op_of[sub], bin_of[sub])
        return ops, magnitudes, applied, sub
