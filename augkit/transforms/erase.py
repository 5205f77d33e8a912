"""Erasing transforms: Cutout and RandomErasing."""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real

import numpy as np
import torch

from augkit._image import Image, batch_size, check_any_image, spatial_size
from augkit._validate import check_int, check_probability, check_range, check_real, check_size
from augkit.functional import erasing as E
from augkit.transforms.base import BATCH_STAGE, SAMPLE_STAGE, PerSample, Transform


@dataclass(frozen=True)
class CutoutBox:
    """The clipped box (``bottom`` / ``right`` exclusive): ints for one image, ``[B]`` arrays for a batch."""

    top: PerSample
    left: PerSample
    bottom: PerSample
    right: PerSample

    def describe(self) -> str:
        """A caption: the erased ``box=WxH@(x,y)`` (one per sample for a batch).

        Example:
            >>> CutoutBox(25, 52, 35, 60).describe()
            'box=8x10@(52,25)'
        """
        corners = np.broadcast_arrays(*(np.asarray(v, dtype=np.int64) for v in (self.top, self.left, self.bottom, self.right)))
        boxes = [f"{r - x}x{b - y}@({x},{y})" for y, x, b, r in zip(*(c.reshape(-1).tolist() for c in corners))]
        return ("box=" if len(boxes) == 1 else "boxes=") + " ".join(boxes)


class Cutout(Transform):
    """Erase a ``size`` x ``size`` square with ``fill``, with probability ``p`` (per sample).

    The square's centre is uniform over the whole image (row ~ U{0..H-1}, column ~
    U{0..W-1}) and the square is clipped at the borders, so it may be partly outside and
    erase fewer than ``size * size`` pixels (DeVries & Taylor 2017). Its rows are
    ``[cy - size // 2, cy - size // 2 + size)``, likewise its columns.

    ``fill`` is in the image's units and is written as is: a 0-255 integer for uint8
    images, a [0, 1] value for float images in [0, 1]. After ``Normalize``, ``fill=0`` is
    the dataset mean colour, which is how the paper applies Cutout (to normalized images).
    The dtype is kept.

    Args:
        size: Side of the square, or ``(height, width)`` of a rectangle.
        p: Probability of erasing (drawn per sample in the batch stage).
        fill: The value written into the box, in the image's units.
        same_on_batch: In the batch stage, one box (and decision) for the whole batch.

    Shape:
        HWC array, ``[C, H, W]`` or ``[B, C, H, W]`` tensor; shape and dtype kept.

    Example:
        >>> import numpy as np
        >>> out = Cutout(2)(np.full((4, 4, 3), 9, np.uint8), rng=0)
        >>> out.shape, out.dtype, int((out == 0).all(axis=-1).sum()) <= 4
        ((4, 4, 3), dtype('uint8'), True)

    References:
        DeVries & Taylor, "Improved Regularization of Convolutional Neural Networks with
        Cutout", arXiv:1708.04552, 2017.
    """

    stages = (SAMPLE_STAGE, BATCH_STAGE)

    random_apply = True

    def __init__(self, size, p: float = 1.0, fill: float = 0, same_on_batch: bool = False) -> None:
        self.size = check_size("size", size)
        self.p = check_probability("p", p)
        self.fill = check_real("fill", fill)
        self.same_on_batch = bool(same_on_batch)

    def sample(self, rng: np.random.Generator, image: Image) -> CutoutBox:
        """Draw the centre, uniform over the image (one per sample for a batch)."""
        height, width = spatial_size(image)
        n = batch_size(image)
        center_y = rng.integers(0, height, size=n)
        center_x = rng.integers(0, width, size=n)
        return CutoutBox(*E.cutout_box(height, width, self.size, center_y, center_x))

    def apply(self, image: Image, params: CutoutBox) -> Image:
        """Fill the box."""
        image = check_any_image(image)
        return E.erase(image, params.top, params.left, params.bottom, params.right, self.fill)

    def apply_masked(self, images: torch.Tensor, applied: np.ndarray, params: CutoutBox) -> torch.Tensor:
        """Fill the boxes of the selected rows of a batch in one go."""
        image = check_any_image(images)
        rows = np.flatnonzero(applied)
        top, left, bottom, right = full = [np.zeros(len(applied), dtype=np.int64) for _ in range(4)]
        for column, values in zip(full, (params.top, params.left, params.bottom, params.right)):
            column[rows] = values
        return E.erase(image, top, left, bottom, right, self.fill)


@dataclass(frozen=True)
class ErasingBoxes:
    """RandomErasing's boxes: ``[K]`` int arrays for one image, ``[B, K]`` for a batch.

    A box with ``height == 0`` erases nothing (no try fitted, or beyond the drawn count).
    ``seed`` seeds the normal values of the random modes (an int, or ``[B]``), else None.
    """

    top: np.ndarray
    left: np.ndarray
    height: np.ndarray
    width: np.ndarray
    seed: int | np.ndarray | None = None

    def describe(self) -> str:
        """A caption: the boxes that erase something, as ``WxH@(x,y)`` (``no box`` when none fitted).

        Example:
            >>> ErasingBoxes(np.array([0, 3]), np.array([9, 1]), np.array([29, 0]), np.array([26, 0])).describe()
            'box=26x29@(9,0)'
        """
        rows = [np.asarray(v, dtype=np.int64).reshape(-1) for v in (self.top, self.left, self.height, self.width)]
        boxes = [f"{w}x{h}@({x},{y})" for y, x, h, w in zip(*(r.tolist() for r in rows)) if h > 0 and w > 0]
        if not boxes:
            return "no box"
        return ("box=" if len(boxes) == 1 else "boxes=") + " ".join(boxes)


def _check_value(value):
    if isinstance(value, str):
        if value != "random":
            raise ValueError(f"value must be a number, a sequence of numbers (one per channel) or 'random', got {value!r}")
        return value
    if isinstance(value, Real) and not isinstance(value, bool):
        return check_real("value", value)
    if isinstance(value, (list, tuple)) and value:
        return tuple(check_real(f"value[{i}]", v) for i, v in enumerate(value))
    raise TypeError(f"value must be a number, a sequence of numbers (one per channel) or 'random', got {value!r}")


class RandomErasing(Transform):
    """Erase random rectangles (torchvision v2's and timm's ``RandomErasing``), with probability ``p``.

    Each box: area ``a ~ U[scale] * H * W / n`` (``n`` the image's box count), aspect
    ``r = exp(U[log ratio])``, ``h = round(sqrt(a r))``, ``w = round(sqrt(a / r))``; up to 10
    tries until ``h < H`` and ``w < W``, else that box is skipped; its corner is uniform
    over the positions that keep it inside. With ``count=1`` this is torchvision v2's
    ``RandomErasing``; ``count`` / ``max_count`` (``n ~ U{count..max_count}`` per image)
    and ``mode`` are timm's. ``from_timm`` takes timm's argument names.

    Fill (``mode``): ``"const"`` writes ``value`` (a number or one per channel, in the
    image's units); ``"rand"`` one standard normal value per channel and box; ``"pixel"``
    one per pixel (``value="random"`` is torchvision's name for it). Random values suit
    normalized images: apply RandomErasing after ``Normalize`` (uint8 images take
    ``"const"`` only). They are drawn from a ``torch.Generator`` seeded per image from the
    ``rng`` passed in (never from global state; see ``augkit.functional.erasing.erase_boxes``),
    so a replay from the same parameters writes the same values, in either stage, on any
    device.

    Args:
        p: Probability of erasing (drawn per sample in the batch stage).
        scale: ``(min, max)`` fraction of the image area, within [0, 1].
        ratio: ``(min, max)`` aspect ratio (height / width), > 0, drawn log-uniformly.
        value: ``"const"`` fill: a number or a sequence (one per channel), or ``"random"``.
        mode: ``"const"``, ``"rand"`` or ``"pixel"``.
        count: Boxes per image (the least, when ``max_count`` is given).
        max_count: The most boxes per image; None: exactly ``count``.
        same_on_batch: In the batch stage, the same boxes (and decision) for the whole batch.

    Shape:
        HWC array, ``[C, H, W]`` or ``[B, C, H, W]`` tensor; shape and dtype kept.

    Example:
        >>> out = RandomErasing(p=1.0, value=7)(np.zeros((20, 20, 3), np.uint8), rng=0)
        >>> sorted(np.unique(out).tolist())
        [0, 7]

    References:
        Zhong et al., "Random Erasing Data Augmentation", AAAI 2020 (arXiv:1708.04896).
    """

    stages = (SAMPLE_STAGE, BATCH_STAGE)
    random_apply = True
    #: The proposals drawn per box (torchvision's and timm's 10 attempts).
    tries = 10

    def __init__(
        self,
        p: float = 0.5,
        scale=(0.02, 0.33),
        ratio=(0.3, 3.3),
        value=0.0,
        mode: str = "const",
        count: int = 1,
        max_count: int | None = None,
        same_on_batch: bool = False,
    ) -> None:
        self.p = check_probability("p", p)
        self.scale = check_range("scale", scale, 0.0, 1.0)
        self.ratio = check_range("ratio", ratio, 0.0)
        if self.ratio[0] <= 0:
            raise ValueError(f"ratio must be > 0, got {ratio!r}")
        self.value = _check_value(value)
        if mode not in E.ERASE_MODES:
            raise ValueError(f"mode must be one of {E.ERASE_MODES}, got {mode!r}")
        if mode != "const" and self.value != 0.0:
            raise ValueError(f"value is the fill of mode='const'; mode={mode!r} draws normal values (leave value at 0)")
        self.mode = mode
        self.count = check_int("count", count, 1)
        self.max_count = None if max_count is None else check_int("max_count", max_count, self.count)
        self.same_on_batch = bool(same_on_batch)

    @classmethod
    def from_timm(
        cls,
        probability: float = 0.5,
        min_area: float = 0.02,
        max_area: float = 1 / 3,
        min_aspect: float = 0.3,
        max_aspect: float | None = None,
        mode: str = "const",
        min_count: int = 1,
        max_count: int | None = None,
    ) -> RandomErasing:
        """Build from timm's ``RandomErasing`` arguments (``timm.data.RandomErasing``).

        timm's ``num_splits`` (leave the first split of an AugMix batch clean) and
        ``device`` have no counterpart: the transform follows its input's device.

        Args:
            probability: Probability of erasing.
            min_area: Least fraction of the image area (divided among the boxes).
            max_area: Largest fraction.
            min_aspect: Least aspect ratio.
            max_aspect: Largest aspect ratio; None: ``1 / min_aspect``.
            mode: ``"const"`` (zeros), ``"rand"`` or ``"pixel"``.
            min_count: Least number of boxes per image.
            max_count: Most boxes; None: ``min_count``.

        Returns:
            The equivalent ``RandomErasing``.

        Example:
            >>> RandomErasing.from_timm(0.25, mode="pixel", max_count=3)
            RandomErasing(p=0.25, scale=(0.02, 0.3333333333333333), ratio=(0.3, 3.3333333333333335), value=0.0, mode='pixel', count=1, max_count=3)
        """
        mode = mode.lower() if mode else "const"
        max_aspect = max_aspect or 1.0 / min_aspect
        return cls(probability, (min_area, max_area), (min_aspect, max_aspect), 0.0, mode, min_count, max_count)

    @property
    def _fill_mode(self) -> str:
        return "pixel" if self.value == "random" else self.mode

    def sample(self, rng: np.random.Generator, image: Image) -> ErasingBoxes:
        """Draw each box's count, area, aspect (10 tries) and corner; the noise seed for random fills."""
        height, width = spatial_size(image)
        n = batch_size(image)
        most = self.count if self.max_count is None else self.max_count

        def draw(method, *args, tail=()):
            values = getattr(rng, method)(*args, size=tail if n is None else (n, *tail))
            return np.asarray(values).reshape((1 if n is None else n, *tail))

        counts = draw("integers", self.count, most + 1) if most > self.count else np.full((1 if n is None else n,), self.count)
        counts = counts.reshape(-1)
        fraction = draw("uniform", self.scale[0], self.scale[1], tail=(most, self.tries))
        log_aspect = draw("uniform", math.log(self.ratio[0]), math.log(self.ratio[1]), tail=(most, self.tries))
        area = fraction * (height * width) / counts[:, None, None]
        box_h, box_w = E.erasing_box_sizes(height, width, area, log_aspect)
        used = np.arange(most)[None, :] < counts[:, None]
        box_h, box_w = np.where(used, box_h, 0), np.where(used, box_w, 0)
        rows_or_one = slice(None) if n is not None else 0
        top = draw("integers", 0, (height - box_h + 1)[rows_or_one], tail=(most,))
        left = draw("integers", 0, (width - box_w + 1)[rows_or_one], tail=(most,))
        seed = draw("integers", 0, 2**62).reshape(-1) if self._fill_mode != "const" else None
        if n is None:
            return ErasingBoxes(top[0], left[0], box_h[0], box_w[0], None if seed is None else int(seed[0]))
        return ErasingBoxes(top, left, box_h, box_w, seed)

    def apply(self, image: Image, params: ErasingBoxes) -> Image:
        """Erase the boxes of ``params``."""
        image = check_any_image(image)
        fill = 0.0 if self.value == "random" else self.value
        return E.erase_boxes(image, params.top, params.left, params.height, params.width, fill, mode=self._fill_mode, seed=params.seed)

    def apply_masked(self, images: torch.Tensor, applied: np.ndarray, params: ErasingBoxes) -> torch.Tensor:
        """Erase the selected rows' boxes in one call (the other rows get no box)."""
        image = check_any_image(images)
        rows = np.flatnonzero(applied)
        most = np.asarray(params.top).shape[-1]
        top, left, height, width = full = [np.zeros((len(applied), most), dtype=np.int64) for _ in range(4)]
        for column, values in zip(full, (params.top, params.left, params.height, params.width)):
            column[rows] = values
        seed = None
        if params.seed is not None:
            seed = np.zeros(len(applied), dtype=np.int64)
            seed[rows] = params.seed
        fill = 0.0 if self.value == "random" else self.value
        return E.erase_boxes(image, top, left, height, width, fill, mode=self._fill_mode, seed=seed)
