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

import functools
import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from augkit import constants
from augkit._image import batch_size, check_any_image, is_batch, spatial_size
from augkit._validate import check_int, check_probability, check_real
from augkit.functional import policy_ops as PO
from augkit.functional import warping as A
from augkit.transforms.affine import (
    Rotate,
    RotateParams,
    ShearParams,
    ShearX,
    ShearY,
    TranslateParams,
    TranslateX,
    TranslateY,
    _check_fill,
)
from augkit.transforms.base import BATCH_STAGE, SAMPLE_STAGE, Transform

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

# --------------------------------------------------------------------------------------------
# Parameters


def _format_magnitude(value: float) -> str:
    if value == int(value) and abs(value) < 1e6:
        return str(int(value))
    return f"{value:.3g}"


#: How a caption shows each operation's argument, by the operation's base name (see the module
#: docstring for the units); longer names first, so ``SolarizeAdd`` is not read as ``Solarize``.
_CAPTION_UNITS = (
    ("SolarizeAdd", lambda m: f"+{m:.0f} levels"),
    ("Solarize", lambda m: f"above {m:.0f}"),
    ("Posterize", lambda m: f"{int(round(m))} bits"),
    ("Rotate", lambda m: f"{m:.1f}°"),
    ("Shear", lambda m: f"{m:.1f}°"),
    ("Translate", lambda m: f"{m:+.0f} px"),
    ("GaussianBlur", lambda m: f"sigma {m:.2f}"),
    ("Brightness", lambda m: f"x{m:.2f}"),
    ("Color", lambda m: f"x{m:.2f}"),
    ("Contrast", lambda m: f"x{m:.2f}"),
    ("Sharpness", lambda m: f"x{m:.2f}"),
    ("Desaturate", lambda m: f"x{m:.2f}"),
)


def _op_text(name: str, magnitude: float, applied: bool) -> str:
    """``"Rotate 12.3°"``, ``"Posterize 6 bits"``, ``"Equalize"``; ``"(Rotate 12.3° skipped)"`` when it did not run."""
    if math.isnan(magnitude):
        text = name
    else:
        unit = next((f for prefix, f in _CAPTION_UNITS if name.startswith(prefix)), None)
        text = f"{name} {unit(magnitude) if unit is not None else _format_magnitude(magnitude)}"
    return text if applied else f"({text} skipped)"


def _tuple(values) -> tuple:
    """A numpy row as nested tuples of Python scalars."""
    return tuple(_tuple(v) if isinstance(v, np.ndarray) else v.item() if isinstance(v, np.generic) else v for v in values)


@dataclass(frozen=True)
class PolicyParams:
    """The operations a policy chose, in order: tuples for one image, ``[B, K]`` arrays for a batch.

    Attributes:
        ops: The operation names (the policy's names, e.g. ``"Rotate"``).
        magnitudes: Each operation's argument (see the module docstring); NaN for none.
        applied: Whether each operation ran (policies that apply an operation with a
            probability record the ones that did not as False).
    """

    ops: Any
    magnitudes: Any
    applied: Any

    def at(self, index: int) -> PolicyParams:
        """Return the parameters of sample ``index`` of a batch."""
        return type(self)(*(_tuple(np.asarray(getattr(self, f))[index]) for f in ("ops", "magnitudes", "applied")))

    def describe(self) -> str:
        """The operations in order with their arguments, e.g. ``"Rotate -12.5°, Equalize, (Solarize above 77 skipped)"``."""
        if isinstance(self.ops, np.ndarray):
            return f"{self.ops.shape[0]} images, {self.ops.shape[1]} ops each"
        return ", ".join(_op_text(n, m, a) for n, m, a in zip(self.ops, self.magnitudes, self.applied)) or "no op"


@dataclass(frozen=True)
class AutoAugmentParams(PolicyParams):
    """``PolicyParams`` of ``AutoAugment``, with the sub-policy drawn (an int, or ``[B]``)."""

    sub_policy: Any = None

    def at(self, index: int) -> AutoAugmentParams:
        """Return the parameters of sample ``index`` of a batch."""
        base = PolicyParams.at(self, index)
        return AutoAugmentParams(base.ops, base.magnitudes, base.applied, int(np.asarray(self.sub_policy)[index]))

    def describe(self) -> str:
        """The sub-policy and its operations."""
        if isinstance(self.ops, np.ndarray):
            return PolicyParams.describe(self)
        return f"sub-policy {self.sub_policy}: {PolicyParams.describe(self)}"


@dataclass(frozen=True)
class AugMixParams:
    """``AugMix``'s chains and weights.

    For one image: ``ops``, ``magnitudes`` and ``applied`` are ``[W][D]`` nested tuples
    (chain, step; ``applied`` is False past a chain's depth), ``original`` a float and
    ``weights`` a ``W``-tuple; for a batch, arrays with a leading ``[B]`` dimension.

    Attributes:
        ops: The operation names of each chain's steps.
        magnitudes: Their arguments (NaN for none).
        applied: Which steps run.
        original: The weight of the input image in the mix (float32 value).
        weights: Each chain's weight (float32 values); with ``original`` they sum to 1.
    """

    ops: Any
    magnitudes: Any
    applied: Any
    original: Any
    weights: Any

    def at(self, index: int) -> AugMixParams:
        """Return the parameters of sample ``index`` of a batch."""
        rows = [_tuple(np.asarray(getattr(self, f))[index]) for f in ("ops", "magnitudes", "applied", "weights")]
        return AugMixParams(rows[0], rows[1], rows[2], float(np.asarray(self.original)[index]), rows[3])

    def describe(self) -> str:
        """The input's weight, then each chain's weight and its steps, e.g. ``"0.62 image + 0.38 [Rotate 12.3°, Posterize 6 bits]"``."""
        if isinstance(self.ops, np.ndarray):
            return f"{self.ops.shape[0]} images, {self.ops.shape[1]} chains each"
        chains = []
        for ops, mags, applied, weight in zip(self.ops, self.magnitudes, self.applied, self.weights):
            steps = ", ".join(_op_text(n, m, True) for n, m, a in zip(ops, mags, applied) if a)
            chains.append(f"{weight:.2f} [{steps}]")
        return f"{self.original:.2f} image + " + " + ".join(chains)


# --------------------------------------------------------------------------------------------
# The operations' kernels


class _Warps:
    """The affine transforms the geometric operations run through (pixels, masks, boxes, keypoints)."""

    def __init__(self, interpolation: str, fill, mask_fill: int) -> None:
        common = {"interpolation": interpolation, "fill": fill, "mask_fill": mask_fill}
        self.transforms: dict[str, Transform] = {
            "ShearX": ShearX(0, center=(0, 0), **common),
            "ShearY": ShearY(0, center=(0, 0), **common),
            "TranslateX": TranslateX(pixels=0, **common),
            "TranslateY": TranslateY(pixels=0, **common),
            "Rotate": Rotate(0, **common),
        }
        self.fill = fill

    def params(self, op: str, magnitude):
        value = magnitude if isinstance(magnitude, np.ndarray) else float(magnitude)
        if op in ("ShearX", "ShearY"):
            return ShearParams(value)
        if op in ("TranslateX", "TranslateY"):
            return TranslateParams(value)
        return RotateParams(value)

    def image(self, op: str, image, magnitude):
        values = np.asarray(magnitude, dtype=np.float64)
        if op in ("TranslateX", "TranslateY") and np.all(values == np.round(values)):
            zero = np.zeros_like(values)
            dx, dy = (values, zero) if op == "TranslateX" else (zero, values)
            return PO.shift(image, dx, dy, self.fill)  # equal to the warp for whole pixels, without its grid
        return self.transforms[op].apply(image, self.params(op, magnitude))


def _check_interpolation(interpolation) -> str:
    return A.check_interpolation("interpolation", interpolation)


class _Policy(Transform):
    """What the policies share: both stages, per-sample operations, grouped kernels in the batch stage.

    Subclasses define ``_kinds`` (their operation names -> ``policy_ops`` operations) and
    ``_draw_ops(rng, rows, height, width)`` returning ``[rows, K]`` names, magnitudes and
    applied flags (plus any extra fields of their parameters).
    """

    abstract = True
    stages = (SAMPLE_STAGE, BATCH_STAGE)
    geometric = True
    pixel_input = True
    params_class: type = PolicyParams
    interpolation: str = "nearest"
    fill: Any = None
    mask_fill: int = 0

    def _setup(self, interpolation, fill, mask_fill, same_on_batch) -> None:
        self.interpolation = _check_interpolation(interpolation)
        self.fill = _check_fill("fill", fill)
        self.mask_fill = check_int("mask_fill", mask_fill)
        self.same_on_batch = bool(same_on_batch)

    @property
    def _warps(self) -> _Warps:
        warps = self.__dict__.get("_warp_table")
        if warps is None:
            warps = self.__dict__["_warp_table"] = _Warps(self.interpolation, self.fill, self.mask_fill)
        return warps

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_warp_table", None)
        return state

    def _kinds(self) -> dict[str, str]:
        raise NotImplementedError

    def _draw_ops(self, rng, rows: int, height: int, width: int) -> tuple:
        raise NotImplementedError

    # -- drawing

    def sample(self, rng, image) -> PolicyParams:
        """Draw every image's operations and magnitudes (``[B, K]`` arrays for a batch)."""
        image = check_any_image(image)
        n = batch_size(image)
        fields = self._draw_ops(rng, 1 if n is None else n, *spatial_size(image))
        if n is None:
            return self.params_class(*(_tuple(np.asarray(f)[0]) if np.ndim(f) > 1 else np.asarray(f)[0].item() for f in fields))
        return self.params_class(*fields)

    # -- applying

    def _op(self, name: str, image, magnitude):
        """Run the operation called ``name`` (one image, or a batch with one magnitude per row)."""
        kind = self._kinds()[name]
        if kind in PO.GEOMETRIC_OPS:
            return self._warps.image(kind, image, magnitude)
        return PO.photometric(kind, image, magnitude)

    def _sequence(self, image, ops, magnitudes, applied):
        """One image: the applied operations in order."""
        for name, magnitude, ran in zip(ops, magnitudes, applied):
            if ran:
                image = self._op(name, image, magnitude)
        return image

    def _step(self, images: torch.Tensor, ops: np.ndarray, magnitudes: np.ndarray, applied: np.ndarray) -> torch.Tensor:
        """One step of a batch: each distinct operation once, on the rows that chose it."""
        groups = []
        for name in np.unique(ops[applied]) if applied.any() else ():
            if self._kinds()[name] == "Identity":
                continue
            rows = np.flatnonzero(applied & (ops == name))
            if rows.size == ops.shape[0]:
                return self._op(name, images, magnitudes)
            groups.append((name, rows))
        if not groups:
            return images
        out = torch.empty_like(images)
        untouched = np.ones(ops.shape[0], dtype=bool)
        for name, rows in groups:
            PO.put_rows(out, rows, self._op(name, PO.take_rows(images, rows), magnitudes[rows]))
            untouched[rows] = False
        rest = np.flatnonzero(untouched)
        if rest.size:
            PO.put_rows(out, rest, images if rest.size == ops.shape[0] else PO.take_rows(images, rest))
        return out

    def _columns(self, images: torch.Tensor, ops, magnitudes, applied) -> torch.Tensor:
        ops, magnitudes, applied = np.asarray(ops), np.asarray(magnitudes, dtype=np.float64), np.asarray(applied, dtype=bool)
        for k in range(ops.shape[1]):
            images = self._step(images, ops[:, k], magnitudes[:, k], applied[:, k])
        return images

    def apply(self, image, params: PolicyParams):
        """Run the recorded operations (grouped per operation for a batch)."""
        image = check_any_image(image)
        if is_batch(image):
            return self._columns(image, params.ops, params.magnitudes, params.applied)
        return self._sequence(image, params.ops, params.magnitudes, params.applied)

    # -- targets

    def _moves(self, params: PolicyParams):
        """The geometric operations that ran, in order, as (affine transform, its parameters)."""
        for name, magnitude, ran in zip(params.ops, params.magnitudes, params.applied):
            kind = self._kinds()[name]
            if ran and kind in PO.GEOMETRIC_OPS:
                yield self._warps.transforms[kind], self._warps.params(kind, magnitude)

    def apply_mask(self, mask, params: PolicyParams):
        """Move a mask through the geometric operations (nearest; ``mask_fill`` outside the image)."""
        for warp, p in self._moves(params):
            mask = warp.apply_mask(mask, p)
        return mask

    def apply_boxes(self, boxes, params: PolicyParams, size):
        """Move boxes through the geometric operations (clamped; empty boxes dropped)."""
        for warp, p in self._moves(params):
            boxes = warp.apply_boxes(boxes, p, size)
        return boxes

    def apply_keypoints(self, keypoints, params: PolicyParams, size):
        """Move keypoints through the geometric operations (those leaving the image become invisible)."""
        for warp, p in self._moves(params):
            keypoints = warp.apply_keypoints(keypoints, p, size)
        return keypoints


# --------------------------------------------------------------------------------------------
# torchvision's policies: magnitude spaces


def _linspace(start: float, end: float, bins: int) -> np.ndarray:
    """``torch.linspace`` in float32 (torchvision's magnitude bins), as float64 values."""
    return torch.linspace(start, end, bins).double().numpy()


def _posterize_bins(bins: int, top: int, span: int) -> np.ndarray:
    """torchvision's ``(top - arange(bins) / ((bins - 1) / span)).round().int()``."""
    return (top - (torch.arange(bins) / ((bins - 1) / span))).round().int().double().numpy()


def _tv_space(kind: str, bins: int, height: int, width: int) -> dict[str, tuple[np.ndarray | None, bool]]:
    """A torchvision policy's ``_AUGMENTATION_SPACE``: op -> (magnitudes of the bins, signed)."""
    none = (None, False)
    if kind == "wide":  # TrivialAugmentWide
        return {
            "Identity": none,
            "ShearX": (_linspace(0.0, 0.99, bins), True),
            "ShearY": (_linspace(0.0, 0.99, bins), True),
            "TranslateX": (_linspace(0.0, 32.0, bins), True),
            "TranslateY": (_linspace(0.0, 32.0, bins), True),
            "Rotate": (_linspace(0.0, 135.0, bins), True),
            "Brightness": (_linspace(0.0, 0.99, bins), True),
            "Color": (_linspace(0.0, 0.99, bins), True),
            "Contrast": (_linspace(0.0, 0.99, bins), True),
            "Sharpness": (_linspace(0.0, 0.99, bins), True),
            "Posterize": (_posterize_bins(bins, 8, 6), False),
            "Solarize": (_linspace(1.0, 0.0, bins), False),
            "AutoContrast": none,
            "Equalize": none,
        }
    augmix = kind in ("augmix", "augmix_partial")
    translate = (width / 3.0, height / 3.0) if augmix else (150.0 / 331.0 * width, 150.0 / 331.0 * height)
    space = {
        "Identity": none,
        "ShearX": (_linspace(0.0, 0.3, bins), True),
        "ShearY": (_linspace(0.0, 0.3, bins), True),
        "TranslateX": (_linspace(0.0, translate[0], bins), True),
        "TranslateY": (_linspace(0.0, translate[1], bins), True),
        "Rotate": (_linspace(0.0, 30.0, bins), True),
        "Brightness": (_linspace(0.0, 0.9, bins), True),
        "Color": (_linspace(0.0, 0.9, bins), True),
        "Contrast": (_linspace(0.0, 0.9, bins), True),
        "Sharpness": (_linspace(0.0, 0.9, bins), True),
        "Posterize": (_posterize_bins(bins, 4 if augmix else 8, 4), False),
        "Solarize": (_linspace(1.0, 0.0, bins), False),
        "AutoContrast": none,
        "Equalize": none,
        "Invert": none,
    }
    if kind == "randaugment":
        del space["Invert"]
    elif kind == "autoaugment":
        del space["Identity"]
    elif augmix:
        del space["Identity"], space["Invert"]
        if kind == "augmix_partial":
            for name in ("Brightness", "Color", "Contrast", "Sharpness"):
                del space[name]
    return space


def _tv_argument(op: str, magnitude: np.ndarray) -> np.ndarray:
    """torchvision's magnitude (signed, float32-valued) -> the argument its functional op gets."""
    if op in ("Brightness", "Color", "Contrast", "Sharpness"):
        return 1.0 + magnitude
    if op in ("ShearX", "ShearY"):
        return np.array([math.degrees(math.atan(v)) for v in magnitude.reshape(-1)]).reshape(magnitude.shape)
    if op in ("TranslateX", "TranslateY", "Posterize"):
        return np.trunc(magnitude) + 0.0  # int(): -0.5 -> 0, not -0.0
    if op == "Solarize":
        return 255.0 * magnitude  # the threshold in uint8 levels (torchvision: bound * magnitude)
    return magnitude


@functools.lru_cache(maxsize=64)
def _tv_tables(kind: str, bins: int, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """The op names of a torchvision space and the ``[ops, bins, 2]`` arguments (as drawn, negated) of each op and bin.

    The arguments are computed once per (op, bin) from torchvision's float32 magnitudes
    (and cached per image size), so drawing a batch is indexing. Unsigned ops repeat their
    argument in both columns; ops without an argument hold NaN.
    """
    space = _tv_space(kind, bins, height, width)
    names = np.array(list(space))
    bins = max((len(v) for v, _ in space.values() if v is not None), default=1)
    table = np.full((len(names), bins, 2), np.nan)
    for i, (name, (values, is_signed)) in enumerate(space.items()):
        if values is None:
            continue
        table[i, :, 0] = _tv_argument(name, values)
        table[i, :, 1] = _tv_argument(name, -values) if is_signed else table[i, :, 0]
    names.flags.writeable = False
    table.flags.writeable = False
    return names, table


def _tv_pick(rng, shape, names, table, op, bin_index) -> tuple[np.ndarray, np.ndarray]:
    """Names and arguments for drawn ops and bins, with torchvision's sign draw (``rand <= 0.5``: negative)."""
    negative = rng.random(shape) <= 0.5
    return names[op], table[op, bin_index, negative.astype(np.int64)]


def _check_policy_image_size(height: int, width: int) -> None:
    if height < 1 or width < 1:
        raise ValueError(f"policies need an image of at least 1 x 1 pixels, got {height} x {width}")


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


_IDENTITY_KINDS = {name: name for name in PO.OPS}


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


class AugMix(_Policy):
    """AugMix: a mix of the image with ``mixture_width`` chains of random operations (torchvision v2).

    torchvision's ``AugMix``: weights ``(w_0, w_1) ~ Dirichlet(alpha, alpha)`` for the image
    and the chains, chain weights ``~ Dirichlet(alpha, ..., alpha) * w_1``; each chain has
    ``chain_depth`` operations (or 1 to 3, uniformly, for -1), each uniform among the ops,
    with a bin uniform in ``[0, severity)`` of 10, negated with probability 1/2 for the
    signed ones. The mix ``w_0 x + sum_i w_i chain_i`` is computed in float32 and truncated
    to the input's dtype (uint8 in, uint8 out), as torchvision does
    (``augkit.functional.policy_ops.augmix_blend``).

    Chains warp the image differently, so no target can follow the mix: AugMix refuses
    samples with masks, boxes or keypoints (as torchvision does).

    Args:
        severity: Highest magnitude bin + 1, in [1, 10].
        mixture_width: Number of chains, >= 1.
        chain_depth: Operations per chain, >= 1, or -1 for 1 to 3 drawn per chain.
        alpha: Dirichlet parameter, > 0.
        all_ops: Include ``Brightness``, ``Color``, ``Contrast`` and ``Sharpness``.
        interpolation: ``"bilinear"`` (torchvision's default) or ``"nearest"``.
        fill: Value of pixels from outside the image in the warps, or None for 0.
        same_on_batch: In the batch stage, the same chains and weights for the whole batch.

    Shape:
        HWC array, ``[C, H, W]`` or ``[B, C, H, W]`` tensor; shape and dtype kept.

    Example:
        >>> AugMix()(np.full((16, 16, 3), 50, np.uint8), rng=0).dtype
        dtype('uint8')

    References:
        Hendrycks et al., "AugMix: A Simple Data Processing Method to Improve Robustness and
        Uncertainty", ICLR 2020; torchvision ``transforms.v2.AugMix``.
    """

    params_class = AugMixParams

    def __init__(
        self,
        severity: int = 3,
        mixture_width: int = 3,
        chain_depth: int = -1,
        alpha: float = 1.0,
        all_ops: bool = True,
        interpolation: str = "bilinear",
        fill=None,
        same_on_batch: bool = False,
    ) -> None:
        self.severity = check_int("severity", severity, 1, 10)
        self.mixture_width = check_int("mixture_width", mixture_width, 1)
        self.chain_depth = check_int("chain_depth", chain_depth, -1)
        if self.chain_depth == 0:
            raise ValueError("chain_depth must be >= 1, or -1 for a depth of 1 to 3 drawn per chain, got 0")
        self.alpha = check_real("alpha", alpha)
        if self.alpha <= 0:
            raise ValueError(f"alpha must be > 0 (the Dirichlet parameter), got {alpha}")
        if not isinstance(all_ops, bool):
            raise TypeError(f"all_ops must be a bool, got {type(all_ops).__name__}")
        self.all_ops = all_ops
        self._setup(interpolation, fill, 0, same_on_batch)

    def _kinds(self) -> dict[str, str]:
        return _IDENTITY_KINDS

    def _draw_ops(self, rng, rows, height, width):
        _check_policy_image_size(height, width)
        names, table = _tv_tables("augmix" if self.all_ops else "augmix_partial", 10, height, width)
        mix = rng.gamma(self.alpha, 1.0, size=(rows, 2))
        chains = rng.gamma(self.alpha, 1.0, size=(rows, self.mixture_width))
        depth_max = self.chain_depth if self.chain_depth > 0 else 3
        shape = (rows, self.mixture_width, depth_max)
        if self.chain_depth > 0:
            depth = np.full((rows, self.mixture_width), self.chain_depth)
        else:
            depth = rng.integers(1, 4, size=(rows, self.mixture_width))
        op = rng.integers(0, len(names), size=shape)
        bins = rng.integers(0, self.severity, size=shape)
        ops, magnitudes = _tv_pick(rng, shape, names, table, op, bins)
        applied = np.arange(depth_max)[None, None, :] < depth[:, :, None]
        total = mix.sum(axis=1, keepdims=True)
        original = (mix[:, 0] / total[:, 0]).astype(np.float32)
        rest = (mix[:, 1] / total[:, 0]).astype(np.float32)
        weights = (chains / chains.sum(axis=1, keepdims=True)).astype(np.float32) * rest[:, None]
        return ops, magnitudes, applied, original, weights

    def apply(self, image, params: AugMixParams):  # type: ignore[override]  # its own parameter kind
        """Run each chain (grouped per operation for a batch) and mix."""
        image = check_any_image(image)
        chains = []
        for i in range(self.mixture_width):
            if is_batch(image):
                ops, mags, applied = (np.asarray(getattr(params, f))[:, i] for f in ("ops", "magnitudes", "applied"))
                chains.append(self._columns(image, ops, mags, applied))
            else:
                chains.append(self._sequence(image, params.ops[i], params.magnitudes[i], params.applied[i]))
        return PO.augmix_blend(image, chains, params.original, params.weights)

    def apply_mask(self, mask, params):
        """AugMix has no target semantics (its chains warp differently): refused."""
        raise self._unsupported("masks")

    def apply_boxes(self, boxes, params, size):
        """Refused (see ``apply_mask``)."""
        raise self._unsupported("boxes")

    def apply_keypoints(self, keypoints, params, size):
        """Refused (see ``apply_mask``)."""
        raise self._unsupported("keypoints")


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
