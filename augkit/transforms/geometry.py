"""Geometry transforms: resize, scale augmentation, crops and flips.

Resizes run in the sample stage on HWC arrays; crops to a fixed size and flips run in both
stages (per-sample windows and decisions in the batch stage). Every one moves masks (nearest
neighbour), boxes and keypoints with the image, as torchvision v2's ``tv_tensors`` kernels do.
All of them take any channel count and uint8, uint16 or float pixels (``augkit.decode(...,
mode="unchanged")`` keeps 16-bit files at 16 bits); resizing rounds integer results. Padding
``fill`` values are in the image's own units.

Resizes take ``interpolation="bilinear"`` (antialiased, the default), ``"bicubic"``
(antialiased), ``"nearest"``, or timm's ``"random"`` (bilinear or bicubic, drawn per image and
recorded in the parameters). Crops that pad take torchvision's ``padding_mode``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch

from augkit._image import Image, MaskT, batch_size, check_any_image, check_array_image, spatial_size
from augkit._validate import MAX_SIDE, check_int, check_probability, check_range, check_real, check_size
from augkit.functional import geometry as G
from augkit.functional import targets as T
from augkit.targets import Boxes, Keypoints
from augkit.transforms.base import BATCH_STAGE, SAMPLE_STAGE, Applied, PerSample, Transform


@dataclass(frozen=True)
class CropParams:
    """A window in the input's pixel coordinates; it may extend past the image (filled).

    ``top`` and ``left`` are ints for one image, ``[B]`` arrays for a batch (one window per sample).
    """

    top: PerSample
    left: PerSample
    height: int
    width: int


@dataclass(frozen=True)
class ScaleParams:
    """The drawn length of the shorter side (and the drawn interpolation for ``"random"``)."""

    shorter: int
    interpolation: str | None = None


@dataclass(frozen=True)
class ResizeParams:
    """The interpolation drawn by ``Resize(interpolation="random")``."""

    interpolation: str


#: Interpolations of the resizing transforms: torch's kernels, and timm's per-image choice.
INTERPOLATIONS = ("bilinear", "bicubic", "nearest", "random")
#: What ``"random"`` chooses from, uniformly (timm's ``RandomResizedCropAndInterpolation``).
RANDOM_INTERPOLATIONS = ("bilinear", "bicubic")


def _check_interpolation(interpolation) -> str:
    if not isinstance(interpolation, str) or interpolation not in INTERPOLATIONS:
        raise ValueError(f"interpolation must be one of {INTERPOLATIONS}, got {interpolation!r}")
    return interpolation


def _draw_interpolation(transform, rng) -> str | None:
    """For ``interpolation="random"``: bilinear or bicubic, uniformly; else None (the transform's own)."""
    if transform.interpolation != "random":
        return None
    return RANDOM_INTERPOLATIONS[int(rng.integers(0, len(RANDOM_INTERPOLATIONS)))]


def _interpolation_of(transform, params) -> str:
    """The interpolation ``params`` resize with (the drawn one for ``"random"``)."""
    drawn = getattr(params, "interpolation", None)
    return drawn if drawn is not None else transform.interpolation


class FlipParams(Applied):
    """Whether to flip: a bool, or a ``[B]`` bool array in the batch stage (``applied``, also ``flip``)."""

    label: ClassVar[str] = "flip"

    @property
    def flip(self) -> Any:
        """The decision(s): same as ``applied``."""
        return self.applied


#: Most pixels a resize may produce (about 270 megapixels); see ``Resize``.
MAX_RESIZE_PIXELS = 1 << 28


def check_output_size(name: str, size_in, size_out) -> None:
    """Refuse a resize whose output would exceed ``MAX_RESIZE_PIXELS`` (thin images), naming both sizes."""
    height, width = size_out
    if height * width > MAX_RESIZE_PIXELS:
        raise ValueError(
            f"{name} would make a {height}x{width} image ({height * width} pixels, more than {MAX_RESIZE_PIXELS}) from"
            f" {size_in[0]}x{size_in[1]}: the image is too thin for a shorter-side resize; crop it first, or follow the"
            " resize with a crop in the same Compose (only the kept pixels are then made)"
        )


class Resize(Transform):
    """Resize to a given shorter side (aspect kept) or to an exact ``(height, width)``.

    Bilinear by default, antialiased when shrinking; equals torchvision v2
    ``Resize(antialias=True)`` on uint8 up to rounding (bicubic: equal to
    ``Resize(interpolation=BICUBIC)``). With ``shorter``, the longer side becomes
    ``int(shorter * long / short)`` (truncated, as torchvision).

    Args:
        shorter: Target length of the shorter side.
        size: Target ``(height, width)``. Give exactly one of the two (an int ``size`` is
            refused: torchvision reads it as the shorter side; write ``shorter=`` for that),
            or neither with ``max_size``.
        antialias: Low-pass filter when shrinking.
        interpolation: ``"bilinear"``, ``"bicubic"``, ``"nearest"``, or ``"random"``
            (bilinear or bicubic per image, as timm).
        max_size: With ``shorter``: the longest the longer side may become (then both sides
            are scaled down to it, as torchvision's ``max_size``; must exceed ``shorter``).
            Alone: the length of the longer side.
        shrink_only: With ``shorter``, leave images whose shorter side is already at most
            ``shorter`` as they are (only larger images are brought down).

    Shape:
        ``(H, W, C) -> (H', W', C)``, dtype kept. An output of more than
        ``MAX_RESIZE_PIXELS`` pixels (a very thin image resized by its shorter side) is
        refused with ``ValueError``; followed by a crop in a ``Compose``, only the kept
        pixels are made, so such images work there.

    Example:
        >>> import numpy as np
        >>> image = np.zeros((6, 9, 3), np.uint8)
        >>> Resize(shorter=4)(image).shape, Resize(size=(2, 3))(image).shape
        ((4, 6, 3), (2, 3, 3))
    """

    geometric = True

    def __init__(
        self,
        shorter: int | None = None,
        size: tuple[int, int] | None = None,
        antialias: bool = True,
        interpolation: str = "bilinear",
        max_size: int | None = None,
        shrink_only: bool = False,
    ) -> None:
        if shorter is not None and size is not None or (shorter is None and size is None and max_size is None):
            raise ValueError("Resize needs exactly one of shorter= or size= (or max_size= alone)")
        if size is not None and max_size is not None:
            raise ValueError("Resize(max_size=) caps a resize by the shorter side: use it with shorter=, or alone")
        if size is not None and not isinstance(size, (list, tuple)):
            raise TypeError(
                f"Resize(size={size!r}): an int size is ambiguous (torchvision's Resize({size}) resizes the shorter"
                f" side to {size}): write Resize(shorter={size}) for that, or Resize(size=({size}, {size})) for a square"
            )
        self.shorter = None if shorter is None else check_int("shorter", shorter, 1, MAX_SIDE)
        self.size = None if size is None else check_size("size", size)
        self.antialias = bool(antialias)
        self.interpolation = _check_interpolation(interpolation)
        self.max_size = None if max_size is None else check_int("max_size", max_size, 1, MAX_SIDE)
        if self.max_size is not None and self.shorter is not None and self.max_size <= self.shorter:
            raise ValueError(f"max_size must be greater than shorter, got shorter={shorter}, max_size={max_size}")
        self.shrink_only = bool(shrink_only)
        if self.shrink_only and self.shorter is None:
            raise ValueError("shrink_only applies to Resize(shorter=...)")

    def output_size(self, height: int, width: int) -> tuple[int, int]:
        """Return the ``(height, width)`` an input of this size is resized to."""
        if self.size is not None:
            return self.size
        short, long = min(height, width), max(height, width)
        if self.shorter is not None:
            if self.shrink_only and short <= self.shorter:
                return height, width
            new_short, new_long = self.shorter, int(self.shorter * long / short)
            if self.max_size is not None and new_long > self.max_size:
                new_short, new_long = int(self.max_size * new_short / new_long), self.max_size
        elif self.max_size is not None:
            new_short, new_long = int(self.max_size * short / long), self.max_size
        else:
            raise ValueError("Resize needs one of shorter=, size= or max_size=")
        return (new_short, new_long) if height <= width else (new_long, new_short)

    def sample(self, rng: np.random.Generator, image: Image) -> ResizeParams | None:
        """Draw the interpolation for ``"random"`` (nothing else is random)."""
        drawn = _draw_interpolation(self, rng)
        return None if drawn is None else ResizeParams(drawn)

    def apply(self, image: np.ndarray, params: ResizeParams | None = None) -> np.ndarray:
        """Resize ``image``."""
        image = check_array_image(image)
        size = self.output_size(*image.shape[:2])
        check_output_size("Resize", image.shape[:2], size)
        return G.resize(image, size, self.antialias, self._mode(params))

    def _mode(self, params: ResizeParams | None) -> str:
        mode = _interpolation_of(self, params)
        if mode == "random":
            raise ValueError("Resize(interpolation='random') needs the parameters its sample() draws")
        return mode

    def fused_resize_size(self, params: ResizeParams | None, height: int, width: int) -> tuple[int, int] | None:
        """The output size when it resizes bilinearly (a resize that fuses with a following crop), else None."""
        return self.output_size(height, width) if _interpolation_of(self, params) == "bilinear" else None

    def apply_mask(self, mask: MaskT, params: ResizeParams | None = None) -> MaskT:
        """Resize a mask (nearest neighbour)."""
        return T.resize_mask(mask, self.output_size(*T.mask_size(mask)))

    def apply_boxes(self, boxes: Boxes, params: ResizeParams | None, size: tuple[int, int]) -> Boxes:
        """Scale boxes to the output size."""
        return T.resize_boxes(boxes, size, self.output_size(*size))

    def apply_keypoints(self, keypoints: Keypoints, params: ResizeParams | None, size: tuple[int, int]) -> Keypoints:
        """Scale keypoints to the output size."""
        return T.resize_keypoints(keypoints, size, self.output_size(*size))


class RandomScale(Transform):
    """Resize the shorter side to an integer L drawn uniformly from ``[min_size, max_size]``.

    The scale augmentation of VGG (Simonyan & Zisserman 2015) and ResNet (He et al. 2016),
    usually followed by ``RandomCrop(224)``.

    Args:
        min_size: Smallest shorter side (inclusive).
        max_size: Largest shorter side (inclusive).
        antialias: Low-pass filter when shrinking.
        interpolation: ``"bilinear"``, ``"bicubic"``, ``"nearest"``, or ``"random"``
            (bilinear or bicubic per image, drawn after L).

    Shape:
        ``(H, W, C) -> (H', W', C)`` with ``min(H', W') = L``, aspect kept.

    Example:
        >>> import numpy as np
        >>> out = RandomScale(4, 6)(np.zeros((6, 9, 3), np.uint8), rng=0)
        >>> min(out.shape[:2]) in (4, 5, 6), out.shape[1] / out.shape[0]
        (True, 1.5)
    """

    geometric = True

    def __init__(self, min_size: int = 256, max_size: int = 480, antialias: bool = True, interpolation: str = "bilinear") -> None:
        self.min_size = check_int("min_size", min_size, 1, MAX_SIDE)
        self.max_size = check_int("max_size", max_size, 1, MAX_SIDE)
        if self.max_size < self.min_size:
            raise ValueError(f"max_size must be >= min_size, got min_size={min_size}, max_size={max_size}")
        self.antialias = bool(antialias)
        self.interpolation = _check_interpolation(interpolation)

    def sample(self, rng: np.random.Generator, image: Image) -> ScaleParams:
        """Draw L ~ U{min_size..max_size} (then the interpolation for ``"random"``)."""
        shorter = int(rng.integers(self.min_size, self.max_size + 1))
        return ScaleParams(shorter, _draw_interpolation(self, rng))

    def apply(self, image: np.ndarray, params: ScaleParams) -> np.ndarray:
        """Resize so the shorter side is ``params.shorter``."""
        image = check_array_image(image)
        size = G.shorter_side_size(image.shape[0], image.shape[1], params.shorter)
        check_output_size("RandomScale", image.shape[:2], size)
        return G.resize(image, size, self.antialias, _interpolation_of(self, params))

    def fused_resize_size(self, params: ScaleParams, height: int, width: int) -> tuple[int, int] | None:
        """The output size when it resizes bilinearly (a resize that fuses with a following crop), else None."""
        if _interpolation_of(self, params) != "bilinear":
            return None
        return G.shorter_side_size(height, width, params.shorter)

    def apply_mask(self, mask: MaskT, params: ScaleParams) -> MaskT:
        """Resize a mask (nearest neighbour)."""
        return T.resize_mask(mask, G.shorter_side_size(*T.mask_size(mask), params.shorter))

    def apply_boxes(self, boxes: Boxes, params: ScaleParams, size: tuple[int, int]) -> Boxes:
        """Scale boxes to the output size."""
        return T.resize_boxes(boxes, size, G.shorter_side_size(*size, params.shorter))

    def apply_keypoints(self, keypoints: Keypoints, params: ScaleParams, size: tuple[int, int]) -> Keypoints:
        """Scale keypoints to the output size."""
        return T.resize_keypoints(keypoints, size, G.shorter_side_size(*size, params.shorter))


def _check_padding(padding) -> tuple[int, int, int, int]:
    """Return (left, top, right, bottom) from an int, (lr, tb) or (l, t, r, b), as torchvision."""
    if isinstance(padding, (list, tuple)):
        values = [check_int(f"padding[{i}]", v, 0, MAX_SIDE) for i, v in enumerate(padding)]
        if len(values) == 2:
            return values[0], values[1], values[0], values[1]
        if len(values) == 4:
            return values[0], values[1], values[2], values[3]
        raise ValueError(f"padding must be an int, (left/right, top/bottom) or (left, top, right, bottom), got {padding!r}")
    p = check_int("padding", padding, 0, MAX_SIDE)
    return p, p, p, p


def _check_fill(fill) -> float:
    """Return the fill value of padded pixels; it must be representable in uint8 images."""
    fill = check_real("fill", fill)
    if not 0.0 <= fill <= 255.0:
        raise ValueError(f"fill must lie in [0, 255] (use [0, 1] for float images), got {fill}")
    return fill


def _check_mask_fill(mask_fill) -> int:
    return check_int("mask_fill", mask_fill, 0)


def _check_padding_mode(padding_mode) -> str:
    if not isinstance(padding_mode, str) or padding_mode not in G.PADDING_MODES:
        raise ValueError(f"padding_mode must be one of {G.PADDING_MODES}, got {padding_mode!r}")
    return padding_mode


class _CropBase(Transform):
    """Shared ``apply`` of crop transforms: take ``params`` window, fill outside the image.

    Crops to a fixed size run in both stages: on an HWC array, or per sample (each its own
    window) on a ``[B, C, H, W]`` batch.
    """

    stages = (SAMPLE_STAGE, BATCH_STAGE)
    geometric = True
    fill: float
    mask_fill: int = 0
    padding_mode: str = "constant"

    def apply(self, image: Image, params: CropParams) -> Image:
        """Take the window ``params`` describes."""
        image = check_any_image(image, allow_uint16=True)
        window = params.top, params.left, params.height, params.width
        if isinstance(image, torch.Tensor):
            batch = image if image.ndim == 4 else image[None]
            out = G.crop_batch(batch, *window, self.fill, self.padding_mode)
            return out if image.ndim == 4 else out[0]
        return G.crop(image, *window, self.fill, self.padding_mode)

    def crop_window(self, params: CropParams) -> tuple[int, int, int, int] | None:
        """The window (a pure crop: filled with ``fill`` outside the image); None for other padding modes."""
        if self.padding_mode != "constant":
            return None
        return params.top, params.left, params.height, params.width

    def apply_mask(self, mask: MaskT, params: CropParams) -> MaskT:
        """Crop a mask; pixels outside it get ``mask_fill`` (or the padding mode's pixels)."""
        return T.crop_mask(mask, params.top, params.left, params.height, params.width, self.mask_fill, self.padding_mode)

    def apply_boxes(self, boxes: Boxes, params: CropParams, size: tuple[int, int]) -> Boxes:
        """Move boxes into the window, clamp them, drop those left with no area."""
        return T.crop_boxes(boxes, params.top, params.left, params.height, params.width)

    def apply_keypoints(self, keypoints: Keypoints, params: CropParams, size: tuple[int, int]) -> Keypoints:
        """Move keypoints into the window; those outside it become invisible."""
        return T.crop_keypoints(keypoints, params.top, params.left, params.height, params.width)


class RandomCrop(_CropBase):
    """Crop a ``size`` window at a uniformly drawn position, optionally after padding.

    Follows torchvision v2 ``RandomCrop``: ``padding`` pads the borders first (CIFAR
    recipes use 4). An image smaller than ``size`` (after padding) is padded on both sides
    with ``fill`` as torchvision's ``pad_if_needed=True`` does; this is the default here,
    so small images never raise.

    Args:
        size: Output ``(height, width)`` or an int for a square.
        padding: Border added before cropping: an int, ``(left/right, top/bottom)`` or
            ``(left, top, right, bottom)``.
        fill: Value of padded pixels.
        pad_if_needed: Pad images smaller than ``size``; when False they raise ValueError.
        mask_fill: Value of padded mask pixels (e.g. 255, an "ignore" label).
        same_on_batch: In the batch stage, one window for the whole batch.
        padding_mode: How padded pixels are made (torchvision's names): ``"constant"``
            (``fill``), ``"edge"`` (the border pixel repeated), ``"reflect"`` (mirrored
            without the border pixel) or ``"symmetric"`` (mirrored with it). Masks are
            padded the same way (with ``mask_fill`` for ``"constant"``).

    Shape:
        ``(H, W, C) -> (height, width, C)``, or ``[B, C, H, W] -> [B, C, height, width]``;
        dtype kept.

    Example:
        >>> import numpy as np, torch
        >>> out, params = RandomCrop(2).run(np.zeros((4, 5, 3), np.uint8), np.random.default_rng(0))
        >>> out.shape, params
        ((2, 2, 3), CropParams(top=2, left=2, height=2, width=2))
        >>> tuple(RandomCrop(2)(torch.zeros(8, 3, 4, 5, dtype=torch.uint8), rng=0).shape)  # a window per sample
        (8, 3, 2, 2)
    """

    def __init__(
        self,
        size: int | tuple[int, int],
        padding=0,
        fill: float = 0,
        pad_if_needed: bool = True,
        mask_fill: int = 0,
        same_on_batch: bool = False,
        padding_mode: str = "constant",
    ) -> None:
        self.size = check_size("size", size)
        self.padding = _check_padding(padding)
        self.fill = _check_fill(fill)
        self.pad_if_needed = bool(pad_if_needed)
        self.mask_fill = _check_mask_fill(mask_fill)
        self.same_on_batch = bool(same_on_batch)
        self.padding_mode = _check_padding_mode(padding_mode)

    def sample(self, rng: np.random.Generator, image: Image) -> CropParams:
        """Draw the window's position in the padded image (one per sample for a batch)."""
        height, width = spatial_size(check_any_image(image, allow_uint16=True))
        pad_left, pad_top, pad_right, pad_bottom = self.padding
        out_h, out_w = self.size
        padded_h, padded_w = height + pad_top + pad_bottom, width + pad_left + pad_right
        if padded_h < out_h or padded_w < out_w:
            if not self.pad_if_needed:
                raise ValueError(f"RandomCrop size {self.size} is larger than the padded image ({padded_h}, {padded_w})")
            if padded_h < out_h:
                diff = out_h - padded_h
                pad_top, padded_h = pad_top + diff, padded_h + 2 * diff
            if padded_w < out_w:
                diff = out_w - padded_w
                pad_left, padded_w = pad_left + diff, padded_w + 2 * diff
        n = batch_size(image)
        top = rng.integers(0, padded_h - out_h + 1, size=n) - pad_top
        left = rng.integers(0, padded_w - out_w + 1, size=n) - pad_left
        if n is None:
            return CropParams(int(top), int(left), out_h, out_w)
        return CropParams(top, left, out_h, out_w)


class CenterCrop(_CropBase):
    """Crop the central ``size`` window; the top-left is at ``round((H - h) / 2)`` as torchvision.

    An image smaller than ``size`` is padded with ``fill`` around it (as torchvision v2).

    Args:
        size: Output ``(height, width)`` or an int for a square.
        fill: Value of padded pixels.
        mask_fill: Value of padded mask pixels.
        padding_mode: ``"constant"`` (``fill``), ``"edge"``, ``"reflect"`` or
            ``"symmetric"``, as ``RandomCrop``'s.

    Shape:
        ``(H, W, C) -> (height, width, C)``, or ``[B, C, H, W] -> [B, C, height, width]``;
        dtype kept.

    Example:
        >>> import numpy as np
        >>> CenterCrop(2)(np.arange(16, dtype=np.uint8).reshape(4, 4, 1))[:, :, 0].tolist()
        [[5, 6], [9, 10]]
    """

    def __init__(self, size: int | tuple[int, int], fill: float = 0, mask_fill: int = 0, padding_mode: str = "constant") -> None:
        self.size = check_size("size", size)
        self.fill = _check_fill(fill)
        self.mask_fill = _check_mask_fill(mask_fill)
        self.padding_mode = _check_padding_mode(padding_mode)

    def window(self, height: int, width: int) -> CropParams:
        """Return the central window for an input of this size."""

        def start(length: int, out: int) -> int:
            return int(round((length - out) / 2.0)) if length >= out else -((out - length) // 2)

        return CropParams(start(height, self.size[0]), start(width, self.size[1]), *self.size)

    def sample(self, rng: np.random.Generator, image: Image) -> CropParams:
        """Return the central window (nothing is random; recorded for replay and logs)."""
        return self.window(*spatial_size(check_any_image(image, allow_uint16=True)))


@dataclass(frozen=True)
class ResizedCropParams:
    """The window taken from the input, resized afterwards to the transform's size (and the drawn interpolation)."""

    top: int
    left: int
    height: int
    width: int
    interpolation: str | None = None


class RandomResizedCrop(Transform):
    """Crop a random area and aspect ratio, then resize it (Inception-style augmentation).

    Box sampling follows torchvision v2: area fraction ~ U(scale), aspect ratio log-uniform
    in ``ratio``, up to 10 tries, then a central crop with the ratio clamped to ``ratio``.

    Args:
        size: Output ``(height, width)`` or an int for a square.
        scale: ``(low, high)`` range of the crop's area as a fraction of the image's.
        ratio: ``(low, high)`` range of the crop's aspect ratio (width / height).
        antialias: Low-pass filter when shrinking.
        interpolation: ``"bilinear"``, ``"bicubic"``, ``"nearest"``, or ``"random"``
            (bilinear or bicubic per image, drawn after the window, as timm's
            ``RandomResizedCropAndInterpolation``).

    Shape:
        ``(H, W, C) -> (height, width, C)``, dtype kept.

    Example:
        >>> import numpy as np
        >>> RandomResizedCrop(8)(np.zeros((20, 30, 3), np.uint8), rng=0).shape
        (8, 8, 3)

    References:
        Szegedy et al., "Going deeper with convolutions", CVPR 2015.
    """

    geometric = True

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3), antialias: bool = True, interpolation: str = "bilinear") -> None:
        self.size = check_size("size", size)
        self.scale = check_range("scale", scale, 0.0, 1.0)
        if self.scale[1] <= 0:
            raise ValueError(f"scale must have high > 0, got {scale!r}")
        self.ratio = check_range("ratio", ratio, 0.0, 1e3)
        if self.ratio[0] < 1e-3:
            raise ValueError(f"ratio must lie within [0.001, 1000] (width / height), got {ratio!r}")
        self.antialias = bool(antialias)
        self.interpolation = _check_interpolation(interpolation)

    def sample(self, rng: np.random.Generator, image: Image) -> ResizedCropParams:
        """Draw the window as torchvision v2 ``RandomResizedCrop.make_params`` does (then the interpolation for ``"random"``)."""
        window = self._window(rng, image)
        drawn = _draw_interpolation(self, rng)
        return window if drawn is None else dataclasses.replace(window, interpolation=drawn)

    def _window(self, rng: np.random.Generator, image: Image) -> ResizedCropParams:
        height, width = spatial_size(check_array_image(image))
        area = height * width
        log_low, log_high = math.log(self.ratio[0]), math.log(self.ratio[1])
        for _ in range(10):
            target_area = area * rng.uniform(self.scale[0], self.scale[1])
            aspect = math.exp(rng.uniform(log_low, log_high))
            w = int(round(math.sqrt(target_area * aspect)))
            h = int(round(math.sqrt(target_area / aspect)))
            if 0 < w <= width and 0 < h <= height:
                top = int(rng.integers(0, height - h + 1))
                left = int(rng.integers(0, width - w + 1))
                return ResizedCropParams(top, left, h, w)
        in_ratio = width / height
        if in_ratio < self.ratio[0]:
            w, h = width, max(1, min(height, int(round(width / self.ratio[0]))))
        elif in_ratio > self.ratio[1]:
            h, w = height, max(1, min(width, int(round(height * self.ratio[1]))))
        else:
            w, h = width, height
        return ResizedCropParams((height - h) // 2, (width - w) // 2, h, w)

    def apply(self, image: np.ndarray, params: ResizedCropParams) -> np.ndarray:
        """Crop the window, then resize it to ``size``."""
        image = check_array_image(image)
        window = G.crop(image, params.top, params.left, params.height, params.width)
        return G.resize(window, self.size, self.antialias, _interpolation_of(self, params))

    def input_window(self, params: ResizedCropParams) -> tuple[int, int, int, int]:
        """The box it reads (only that part of an undecoded JPEG is decoded)."""
        return params.top, params.left, params.height, params.width

    def apply_mask(self, mask: MaskT, params: ResizedCropParams) -> MaskT:
        """Crop a mask's box and resize it (nearest neighbour)."""
        return T.resized_crop_mask(mask, params.top, params.left, params.height, params.width, self.size)

    def apply_boxes(self, boxes: Boxes, params: ResizedCropParams, size: tuple[int, int]) -> Boxes:
        """Crop boxes to the box (dropping those outside), then scale them to ``size``."""
        cropped = T.crop_boxes(boxes, params.top, params.left, params.height, params.width)
        return T.resize_boxes(cropped, (params.height, params.width), self.size)

    def apply_keypoints(self, keypoints: Keypoints, params: ResizedCropParams, size: tuple[int, int]) -> Keypoints:
        """Move keypoints into the box, then scale them to ``size``."""
        cropped = T.crop_keypoints(keypoints, params.top, params.left, params.height, params.width)
        return T.resize_keypoints(cropped, (params.height, params.width), self.size)


class _FlipBase(Transform):
    """Shared sampling and application of flips; subclasses set the axis."""

    stages = (SAMPLE_STAGE, BATCH_STAGE)
    geometric = True
    random_apply = True
    applied_params = FlipParams
    _dim: int = -1

    def __init__(self, p: float = 0.5, same_on_batch: bool = False) -> None:
        self.p = check_probability("p", p)
        self.same_on_batch = bool(same_on_batch)

    @property
    def _horizontal(self) -> bool:
        return self._dim == -1

    def apply(self, image: Image, params: None = None) -> Image:
        """Flip ``image`` (with ``FlipParams``, only where they say so)."""
        image = check_any_image(image, allow_uint16=True)
        return G.hflip(image) if self._horizontal else G.vflip(image)

    def apply_masked(self, images: torch.Tensor, applied: np.ndarray, params: None) -> torch.Tensor:
        """Flip the selected rows of a batch in one go."""
        return G.flip_where(images, applied, self._dim)

    def apply_mask(self, mask: MaskT, params: None = None) -> MaskT:
        """Flip a mask."""
        return T.flip_mask(mask, self._horizontal)

    def apply_boxes(self, boxes: Boxes, params: None, size: tuple[int, int]) -> Boxes:
        """Mirror boxes (``x -> W - x``)."""
        return T.flip_boxes(boxes, size, self._horizontal)

    def apply_keypoints(self, keypoints: Keypoints, params: None, size: tuple[int, int]) -> Keypoints:
        """Mirror keypoints (``x -> W - 1 - x``)."""
        return T.flip_keypoints(keypoints, size, self._horizontal)


class HorizontalFlip(_FlipBase):
    """Mirror left-right with probability ``p`` (per sample in the batch stage).

    Args:
        p: Probability of flipping.
        same_on_batch: In the batch stage, one decision for the whole batch.

    Shape:
        Any image or batch; shape and dtype kept.

    Example:
        >>> import numpy as np, torch
        >>> HorizontalFlip(p=1.0)(np.arange(3, dtype=np.uint8).reshape(1, 3, 1))[0, :, 0].tolist()
        [2, 1, 0]
        >>> out, params = HorizontalFlip().run(torch.arange(12, dtype=torch.uint8).view(4, 1, 1, 3), np.random.default_rng(0))
        >>> params.flip.tolist(), out[:, 0, 0].tolist()  # decided per sample
        ([False, True, True, True], [[0, 1, 2], [5, 4, 3], [8, 7, 6], [11, 10, 9]])
    """

    _dim = -1


class VerticalFlip(_FlipBase):
    """Mirror top-bottom with probability ``p`` (per sample in the batch stage).

    Args:
        p: Probability of flipping.
        same_on_batch: In the batch stage, one decision for the whole batch.

    Shape:
        Any image or batch; shape and dtype kept.

    Example:
        >>> import numpy as np
        >>> VerticalFlip(p=1.0)(np.arange(3, dtype=np.uint8).reshape(3, 1, 1))[:, 0, 0].tolist()
        [2, 1, 0]
    """

    _dim = -2


#: torchvision's names for the flips (the same classes; configs store the augkit names).
RandomHorizontalFlip = HorizontalFlip
RandomVerticalFlip = VerticalFlip
