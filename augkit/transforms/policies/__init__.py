"""Augmentation policies that draw their operations per sample: RandAugment, TrivialAugmentWide,
AutoAugment, AugMix, timm's RandAugment and DeiT III's ThreeAugment.

A policy is one transform holding a table of operations (``augkit.functional.policy_ops``:
the photometric ops, and the affine transforms' warps for the geometric ones). ``sample``
draws, for every image, which operations run and with what magnitude, exactly as the
reference draws them (torchvision's ``transforms.v2`` for ``RandAugment``,
``TrivialAugmentWide``, ``AutoAugment`` and ``AugMix``; timm's ``auto_augment.py`` for
``TimmRandAugment``; DeiT III's code for ``ThreeAugment``); the parameters record the
operation names and their arguments, so a caption shows them and ``apply`` replays them.

* **Sample stage** (an HWC array): the chosen operations run one after another.
* **Batch stage** (a ``[B, C, H, W]`` tensor, CPU or GPU): every image has its own
  operations and magnitudes. The rows that chose the same operation at the same step are
  gathered and transformed by one call of that operation's kernel with one magnitude per
  row, so a step costs one kernel call per distinct operation, never a loop over samples.

Magnitudes are the operations' own arguments: degrees for ``Rotate`` (counterclockwise) and
``ShearX`` / ``ShearY`` (the shear angle, about the top-left corner as torchvision's policies
shear), pixels for ``TranslateX`` / ``TranslateY`` (right and down), the enhancement factor
for ``Brightness`` / ``Color`` / ``Contrast`` / ``Sharpness`` (1 keeps the image), bits kept
for ``Posterize``, uint8 levels for ``Solarize`` (the threshold) and ``SolarizeAdd`` (the
amount), sigma for ``GaussianBlur``; operations without an argument record NaN.

Targets: the geometric operations are ``ShearX`` / ``ShearY`` / ``TranslateX`` /
``TranslateY`` / ``Rotate`` (``augkit.transforms.affine``), so masks, boxes and keypoints
move with them (photometric operations leave them). ``AugMix`` blends differently warped
copies of an image, which no target can follow: it refuses samples with targets.
"""

from __future__ import annotations

from augkit.transforms.policies.augmix import AugMix
from augkit.transforms.policies.autoaugment import AUTOAUGMENT_POLICIES, AutoAugment
from augkit.transforms.policies.core import AugMixParams, AutoAugmentParams, PolicyParams
from augkit.transforms.policies.randaugment import RandAugment, TrivialAugmentWide
from augkit.transforms.policies.timm import ThreeAugment, TimmRandAugment, parse_timm_config

__all__ = [
    "AUTOAUGMENT_POLICIES",
    "AugMix",
    "AugMixParams",
    "AutoAugment",
    "AutoAugmentParams",
    "PolicyParams",
    "RandAugment",
    "ThreeAugment",
    "TimmRandAugment",
    "TrivialAugmentWide",
    "parse_timm_config",
]
