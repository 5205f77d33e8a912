"""timm's RandAugment (its config strings) and DeiT III's ``ThreeAugment``."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from augkit._validate import check_probability, check_real
from augkit.transforms.policies.core import _Policy
from augkit.transforms.policies.magnitudes import _IDENTITY_KINDS, _check_policy_image_size


class ThreeAugment(_Policy):
    """DeiT III's 3-Augment: grayscale, solarization or Gaussian blur, one of them per image.

    As DeiT III's ``new_data_aug_generator``: ``RandomChoice([gray_scale(p=1), Solarization(p=1),
    GaussianBlur(p=1)])``: the grayscale image on 3 channels, solarization at 128 (PIL's
    ``ImageOps.solarize`` default), or a Gaussian blur with sigma ~ U[0.1, 2.0] (PIL's
    ``GaussianBlur`` radius; here torchvision's Gaussian kernel with 13 taps). DeiT III
    follows it with ``ColorJitter(0.3, 0.3, 0.3)``; add ``augkit.ColorJitter`` for that.

    Args:
        same_on_batch: In the batch stage, the same choice for the whole batch.

    Shape:
        HWC array, ``[C, H, W]`` or ``[B, C, H, W]`` tensor with 3 channels; shape and dtype kept.

    Example:
        >>> ThreeAugment()(np.full((16, 16, 3), 200, np.uint8), rng=0).shape
        (16, 16, 3)

    References:
        Touvron et al., "DeiT III: Revenge of the ViT", ECCV 2022 (Sec. 3, "3-Augment";
        ``augment.py`` of the DeiT repository).
    """

    geometric = False
    #: The operations and DeiT III's blur radius range.
    ops = ("Grayscale", "Solarize", "GaussianBlur")
    sigma = (0.1, 2.0)

    def __init__(self, same_on_batch: bool = False) -> None:
        self._setup("nearest", None, 0, same_on_batch)

    def _kinds(self) -> dict[str, str]:
        return _IDENTITY_KINDS

    def _draw_ops(self, rng, rows, height, width):
        choice = rng.integers(0, 3, size=(rows, 1))
        sigma = rng.uniform(self.sigma[0], self.sigma[1], size=(rows, 1))
        ops = np.array(self.ops)[choice]
        magnitudes = np.where(choice == 1, 128.0, np.where(choice == 2, sigma, np.nan))
        return ops, magnitudes, np.ones((rows, 1), dtype=bool)


# --------------------------------------------------------------------------------------------
# timm's RandAugment


#: timm's operation names -> the kernel operation they run.
TIMM_KINDS = {
    "AutoContrast": "AutoContrast",
    "Equalize": "Equalize",
    "Invert": "Invert",
    "Rotate": "Rotate",
    "Posterize": "Posterize",
    "PosterizeIncreasing": "Posterize",
    "PosterizeOriginal": "Posterize",
    "Solarize": "Solarize",
    "SolarizeIncreasing": "Solarize",
    "SolarizeAdd": "SolarizeAdd",
    "Color": "Color",
    "ColorIncreasing": "Color",
    "Contrast": "Contrast",
    "ContrastIncreasing": "Contrast",
    "Brightness": "Brightness",
    "BrightnessIncreasing": "Brightness",
    "Sharpness": "Sharpness",
    "SharpnessIncreasing": "Sharpness",
    "ShearX": "ShearX",
    "ShearY": "ShearY",
    "TranslateXRel": "TranslateX",
    "TranslateYRel": "TranslateY",
    "Desaturate": "Color",
    "GaussianBlur": "GaussianBlur",
}

_TIMM_DEFAULT = (
    "AutoContrast", "Equalize", "Invert", "Rotate", "Posterize", "Solarize", "SolarizeAdd", "Color", "Contrast",
    "Brightness", "Sharpness", "ShearX", "ShearY", "TranslateXRel", "TranslateYRel",
)  # fmt: skip
_TIMM_INCREASING = (
    "AutoContrast", "Equalize", "Invert", "Rotate", "PosterizeIncreasing", "SolarizeIncreasing", "SolarizeAdd",
    "ColorIncreasing", "ContrastIncreasing", "BrightnessIncreasing", "SharpnessIncreasing", "ShearX", "ShearY",
    "TranslateXRel", "TranslateYRel",
)  # fmt: skip
_TIMM_3A = ("SolarizeIncreasing", "Desaturate", "GaussianBlur")
_TIMM_WEIGHTED_3A: dict[str, float] = {
    "SolarizeIncreasing": 6, "Desaturate": 6, "GaussianBlur": 6, "Rotate": 3, "ShearX": 2, "ShearY": 2,
    "PosterizeIncreasing": 1, "AutoContrast": 1, "ColorIncreasing": 1, "SharpnessIncreasing": 1, "ContrastIncreasing": 1,
    "BrightnessIncreasing": 1, "Equalize": 1, "Invert": 1,
}  # fmt: skip
_TIMM_WEIGHTED_0 = {
    "Rotate": 3, "ShearX": 2, "ShearY": 2, "TranslateXRel": 1, "TranslateYRel": 1, "ColorIncreasing": 0.25,
    "SharpnessIncreasing": 0.25, "AutoContrast": 0.25, "SolarizeIncreasing": 0.05, "SolarizeAdd": 0.05,
    "ContrastIncreasing": 0.05, "BrightnessIncreasing": 0.05, "Equalize": 0.05, "PosterizeIncreasing": 0.05, "Invert": 0.05,
}  # fmt: skip
#: timm's ``t`` choices (``rand_augment_choices``): op names, or op -> weight (drawn without replacement).
TIMM_OP_SETS: dict[str, tuple[str, ...] | dict[str, float]] = {"weights": _TIMM_WEIGHTED_0, "3aw": _TIMM_WEIGHTED_3A, "3a": _TIMM_3A}

#: timm's magnitude scale: a level ``m`` is ``m / 10`` of each op's range.
_LEVEL_DENOM = 10.0


@dataclass(frozen=True)
class TimmConfig:
    """A parsed timm RandAugment config string (``timm.data.rand_augment_transform``'s grammar).

    Attributes:
        magnitude: ``m``: the level (0 to ``magnitude_max``, 10 by default).
        num_ops: ``n``: operations per image (timm's ``num_layers``).
        p: ``p``: each operation's probability of running.
        magnitude_std: ``mstd``: std of the level's normal noise; ``inf`` (``mstd`` > 100)
            draws the level uniformly in ``[0, m]``.
        magnitude_max: ``mmax``: the level's upper clip (None: 10).
        increasing: ``inc``: the op set whose severity increases with the level.
        ops: The operation names (timm's).
        weights: Choice weights (drawn without replacement, as timm), or None (uniform,
            with replacement).
    """

    magnitude: float = 10.0
    num_ops: int = 2
    p: float = 0.5
    magnitude_std: float = 0.0
    magnitude_max: float | None = None
    increasing: bool = False
    ops: tuple[str, ...] = _TIMM_DEFAULT
    weights: tuple[float, ...] | None = None


#: timm's numeric sections: key -> (TimmConfig field, parser, first one wins).
_TIMM_SECTIONS: dict[str, tuple[str, Any, bool]] = {
    "mstd": ("magnitude_std", lambda v: math.inf if float(v) > 100 else float(v), True),
    "mmax": ("magnitude_max", lambda v: float(int(v)), True),
    "inc": ("increasing", lambda v: bool(int(v)), False),
    "m": ("magnitude", float, False),
    "n": ("num_ops", int, False),
    "p": ("p", float, False),
}


def _parse_section(config: str, section: str, values: dict[str, Any]) -> None:
    """One ``key<number>`` section of a timm config into ``values`` (timm's ``re.split(r"(\\d.*)")``)."""
    parts = re.split(r"(\d.*)", section)
    if len(parts) < 2:
        raise ValueError(f"config {config!r}: section {section!r} has no value (expected e.g. m9, n2, mstd0.5, inc1, p0.5)")
    key, value = parts[0], parts[1]
    if key not in _TIMM_SECTIONS:
        raise ValueError(f"config {config!r}: unknown section {section!r} (known: m, n, p, mstd, mmax, inc, t)")
    field, parse, first_wins = _TIMM_SECTIONS[key]
    try:
        parsed = parse(value)
    except ValueError as error:
        raise ValueError(f"config {config!r}: section {section!r} has a malformed value") from error
    if first_wins:
        values.setdefault(field, parsed)
    else:
        values[field] = parsed


def parse_timm_config(config: str) -> TimmConfig:
    """Parse timm's RandAugment config string, e.g. ``"rand-m9-mstd0.5-inc1"``.

    Sections after ``rand``, separated by ``-``, in any order: ``m`` (magnitude), ``n``
    (operations per image), ``p`` (probability of each), ``mstd`` (magnitude noise; > 100
    means uniform), ``mmax`` (magnitude clip), ``inc`` (1: the increasing op set), ``t``
    (op set: ``tweights``, ``t3a``, ``t3aw``); timm's older ``w0`` is read as ``tweights``.
    Unlike timm, a section it would ignore or an unknown op set is refused.

    Args:
        config: The config string.

    Returns:
        A ``TimmConfig``.

    Raises:
        ValueError: Naming the section that is not understood.

    Example:
        >>> parse_timm_config("rand-m9-mstd0.5-inc1").magnitude_std
        0.5
    """
    if not isinstance(config, str):
        raise TypeError(f"config must be a timm RandAugment string such as 'rand-m9-mstd0.5-inc1', got {type(config).__name__}")
    sections = config.split("-")
    if sections[0] != "rand":
        raise ValueError(f"config must start with 'rand' (timm's RandAugment), got {config!r}")
    values: dict[str, Any] = {}
    op_set = None
    for section in sections[1:]:
        if section.startswith("t"):
            op_set = section[1:]
        elif section == "w0":
            op_set = "weights"  # timm's older spelling of tweights
        else:
            _parse_section(config, section, values)
    increasing = values.get("increasing", False)
    weights = None
    if not op_set:
        ops: tuple[str, ...] = _TIMM_INCREASING if increasing else _TIMM_DEFAULT
    elif op_set not in TIMM_OP_SETS:
        raise ValueError(f"config {config!r}: unknown op set 't{op_set}' (known: {', '.join('t' + k for k in TIMM_OP_SETS)})")
    else:
        chosen = TIMM_OP_SETS[op_set]
        ops = tuple(chosen)
        weights = tuple(float(w) for w in chosen.values()) if isinstance(chosen, dict) else None
    parsed = TimmConfig(ops=ops, weights=weights, **values)
    if parsed.num_ops < 0 or (weights is not None and parsed.num_ops > len(ops)):
        raise ValueError(f"config {config!r}: n must be in [0, {len(ops) if weights else 'inf'}), got {parsed.num_ops}")
    check_probability("p", parsed.p)
    if parsed.magnitude < 0:
        raise ValueError(f"config {config!r}: m must be >= 0, got {parsed.magnitude}")
    return parsed


def _negate(rng, shape) -> np.ndarray:
    """timm's ``_randomly_negate``: -1 where ``random() > 0.5``, else +1."""
    return np.where(rng.random(shape) > 0.5, -1.0, 1.0)


def _timm_arguments(name: str, level: np.ndarray, sign: np.ndarray, height: int, width: int, translate_pct: float) -> np.ndarray:
    """timm's ``LEVEL_TO_ARG`` for ``name``, in the kernels' units (see the module docstring)."""
    fraction = level / _LEVEL_DENOM
    if name == "Rotate":
        return sign * (fraction * 30.0)
    if name in ("ShearX", "ShearY"):
        return np.degrees(np.arctan(sign * (fraction * 0.3)))  # PIL's shear factor as the shear angle
    if name in ("TranslateXRel", "TranslateYRel"):
        side = width if name == "TranslateXRel" else height
        return -(sign * (fraction * translate_pct)) * side  # PIL moves the content left for a positive offset
    if name == "Posterize":
        return np.trunc(fraction * 4)
    if name == "PosterizeIncreasing":
        return 4 - np.trunc(fraction * 4)
    if name == "PosterizeOriginal":
        return np.trunc(fraction * 4) + 4
    if name == "Solarize":
        return np.minimum(256, np.trunc(fraction * 256))
    if name == "SolarizeIncreasing":
        return 256 - np.minimum(256, np.trunc(fraction * 256))
    if name == "SolarizeAdd":
        return np.minimum(128, np.trunc(fraction * 110))
    if name in ("Color", "Contrast", "Brightness", "Sharpness"):
        return fraction * 1.8 + 0.1
    if name in ("ColorIncreasing", "ContrastIncreasing", "BrightnessIncreasing", "SharpnessIncreasing"):
        return np.maximum(0.1, 1.0 + sign * (fraction * 0.9))
    if name == "Desaturate":
        kept = np.clip(0.5 + (1.0 - 0.5) * fraction, 0.5, 1.0)
        return np.clip(1.0 - kept, 0.0, 1.0)
    if name == "GaussianBlur":
        return np.clip(0.1 + (2.0 - 0.1) * fraction, 0.1, 2.0)
    return np.full(level.shape, np.nan)  # AutoContrast, Equalize, Invert


class TimmRandAugment(_Policy):
    """timm's RandAugment (``timm.data.rand_augment_transform``), from its config string.

    ``n`` operations per image, each chosen uniformly from the op set (with replacement; or
    by weight without replacement for the weighted sets, as timm), each running with
    probability ``p`` (timm's default 0.5) at level ``m`` (plus ``N(0, mstd)`` noise, or
    uniform in ``[0, m]`` for ``mstd`` > 100, clipped to ``[0, mmax]``, 10 by default) mapped
    as timm maps it: rotation ``30 * m / 10`` degrees, shear ``0.3 * m / 10``, translation
    ``translate_pct * m / 10`` of the side, enhancement ``0.1 + 1.8 * m / 10`` (increasing:
    ``1 +- 0.9 * m / 10``, at least 0.1), posterize and solarize as timm's tables; signed
    ops negated with probability 1/2. The ``inc1`` set is the "increasing" one
    (``PosterizeIncreasing``, ``SolarizeIncreasing``, ``ColorIncreasing``, ...).

    The operations are augkit's torchvision-exact kernels; timm's are PIL's. They agree
    within about a level except where timm's PIL ops differ from torchvision's (PIL's
    contrast uses the integer mean, its enhancements round instead of truncating), and
    warps use ``"bilinear"`` or ``"nearest"`` (timm's default is bicubic, or a random
    choice of bilinear and bicubic per op). ``Posterize`` to 0 bits gives a black image
    (newer Pillows refuse it inside timm).

    Args:
        config: timm's config string (``parse_timm_config``), e.g. ``"rand-m9-mstd0.5-inc1"``.
        interpolation: ``"bilinear"`` or ``"nearest"``, for the warps.
        fill: Value of pixels from outside the image in the warps, in the image's units
            (timm's ``img_mean``: ``(124, 116, 104)`` for the ImageNet mean), or None for 0.
        translate_pct: Largest shift as a fraction of the side (timm's ``translate_pct``).
        mask_fill: Value of mask pixels from outside the image.
        same_on_batch: In the batch stage, the same operations for the whole batch.

    Shape:
        HWC array, ``[C, H, W]`` or ``[B, C, H, W]`` tensor; shape and dtype kept.

    Example:
        >>> ra = TimmRandAugment("rand-m9-mstd0.5-inc1")
        >>> ra.spec.ops[4], ra.spec.p
        ('PosterizeIncreasing', 0.5)

    References:
        Cubuk et al., "RandAugment", NeurIPS 2020; timm ``timm.data.auto_augment``
        (``rand_augment_transform``), used by DeiT, ConvNeXt and "ResNet strikes back".
    """

    def __init__(
        self,
        config: str = "rand-m9-mstd0.5-inc1",
        interpolation: str = "bilinear",
        fill=(124, 116, 104),
        translate_pct: float = 0.45,
        mask_fill: int = 0,
        same_on_batch: bool = False,
    ) -> None:
        self.spec = parse_timm_config(config)
        self.config = config
        self.translate_pct = check_real("translate_pct", translate_pct)
        if not 0.0 <= self.translate_pct <= 1.0:
            raise ValueError(f"translate_pct must lie in [0, 1], got {translate_pct}")
        self._setup(interpolation, fill, mask_fill, same_on_batch)

    def _kinds(self) -> dict[str, str]:
        return TIMM_KINDS

    def _choose(self, rng, rows: int) -> np.ndarray:
        spec = self.spec
        shape = (rows, spec.num_ops)
        if spec.weights is None:
            return rng.integers(0, len(spec.ops), size=shape)
        # Weighted choice without replacement (numpy's choice(replace=False, p=w), timm's draw): the
        # ops with the smallest exponential keys -log(U) / w (Efraimidis and Spirakis).
        weights = np.asarray(spec.weights, dtype=np.float64)
        keys = -np.log1p(-rng.random((rows, len(spec.ops)))) / weights
        return np.argsort(keys, axis=1, kind="stable")[:, : spec.num_ops]

    def _draw_ops(self, rng, rows, height, width):
        _check_policy_image_size(height, width)
        spec = self.spec
        shape = (rows, spec.num_ops)
        choice = self._choose(rng, rows)
        applied = rng.random(shape) <= spec.p if spec.p < 1.0 else np.ones(shape, dtype=bool)
        if spec.magnitude_std == math.inf:
            level = rng.uniform(0.0, spec.magnitude, size=shape)
        elif spec.magnitude_std > 0:
            level = rng.normal(spec.magnitude, spec.magnitude_std, size=shape)
        else:
            level = np.full(shape, spec.magnitude)
        level = np.clip(level, 0.0, spec.magnitude_max or _LEVEL_DENOM)
        sign = _negate(rng, shape)
        names = np.array(spec.ops)[choice]
        magnitudes = np.full(shape, np.nan)
        for name in np.unique(names):
            where = names == name
            magnitudes[where] = _timm_arguments(str(name), level[where], sign[where], height, width, self.translate_pct)
        return names, magnitudes, applied
