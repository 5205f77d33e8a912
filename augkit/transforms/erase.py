"""Erasing transforms: Cutout."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from augkit._image import batch_size, check_any_image, spatial_size
from augkit._validate import check_probability, check_real, check_size
from augkit.functional import erase as E
from augkit.transforms.base import BATCH_STAGE, SAMPLE_STAGE, Transform


@dataclass(frozen=True)
class CutoutBox:
    """The clipped box (``bottom`` / ``right`` exclusive): ints for one image, ``[B]`` arrays for a batch."""

    top: Any
    left: Any
    bottom: Any
    right: Any


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

    def sample(self, rng: np.random.Generator, image) -> CutoutBox:
        """Draw the centre, uniform over the image (one per sample for a batch)."""
        height, width = spatial_size(image)
        n = batch_size(image)
        center_y = rng.integers(0, height, size=n)
        center_x = rng.integers(0, width, size=n)
        return CutoutBox(*E.cutout_box(height, width, self.size, center_y, center_x))

    def apply(self, image, params: CutoutBox):
        """Fill the box."""
        image = check_any_image(image)
        return E.erase(image, params.top, params.left, params.bottom, params.right, self.fill)

    def apply_masked(self, images, applied, params: CutoutBox):
        """Fill the boxes of the selected rows of a batch in one go."""
        image = check_any_image(images)
        rows = np.flatnonzero(applied)
        full = [np.zeros(len(applied), dtype=np.int64) for _ in range(4)]
        for column, values in zip(full, (params.top, params.left, params.bottom, params.right)):
            column[rows] = values
        return E.erase(image, *full, self.fill)
