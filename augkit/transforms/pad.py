"""``PadIfSmaller``: pad at the bottom and right up to a minimum size (the segmentation recipe's pad)."""

from __future__ import annotations

import numpy as np

from augkit._image import check_array_image, spatial_size
from augkit._validate import check_int, check_real, check_size
from augkit.functional import geometry as G
from augkit.functional import targets as T
from augkit.transforms.base import Transform
from augkit.transforms.geometry import CropParams


class PadIfSmaller(Transform):
    """Pad an image smaller than ``size`` at the bottom and the right, up to ``size``.

    torchvision's segmentation reference pads this way before its random crop
    (``references/segmentation``: ``PadIfSmaller`` / ``pad_if_smaller``), so the image keeps
    its top-left corner and the padding (``fill``; ``mask_fill``, 255 there, in masks) is
    always at the bottom and right. (``RandomCrop(pad_if_needed=True)`` pads on both sides
    instead, as torchvision's ``RandomCrop`` does.) A side already long enough is left as it
    is. It is a pure crop of the window ``(0, 0, max(H, h), max(W, w))``.

    Args:
        size: The minimum ``(height, width)``, or an int for a square.
        fill: Value of padded image pixels (in the image's units).
        mask_fill: Value of padded mask pixels.

    Shape:
        ``(H, W, C) -> (max(H, h), max(W, w), C)``, dtype kept.

    Example:
        >>> import numpy as np
        >>> PadIfSmaller(3, fill=9)(np.ones((2, 3, 1), np.uint8))[:, :, 0].tolist()
        [[1, 1, 1], [1, 1, 1], [9, 9, 9]]
    """

    geometric = True

    def __init__(self, size: int | tuple[int, int], fill: float = 0, mask_fill: int = 255) -> None:
        self.size = check_size("size", size)
        self.fill = check_real("fill", fill)
        if not 0.0 <= self.fill <= 255.0:
            raise ValueError(f"fill must lie in [0, 255] (use [0, 1] for float images), got {fill}")
        self.mask_fill = check_int("mask_fill", mask_fill, 0)

    def window(self, height: int, width: int) -> CropParams:
        """The window ``(0, 0, max(H, h), max(W, w))`` for an input of this size."""
        return CropParams(0, 0, max(height, self.size[0]), max(width, self.size[1]))

    def sample(self, rng: np.random.Generator, image) -> CropParams:
        """Return the window (nothing is random; recorded for replay and logs)."""
        return self.window(*spatial_size(check_array_image(image)))

    def apply(self, image, params: CropParams):
        """Pad ``image`` to the window."""
        image = check_array_image(image)
        if spatial_size(image) == (params.height, params.width):
            return image
        return G.crop(image, 0, 0, params.height, params.width, self.fill)

    def crop_window(self, params: CropParams) -> tuple[int, int, int, int]:
        """The window (a pure crop, padded with ``fill`` outside the image)."""
        return params.top, params.left, params.height, params.width

    def apply_mask(self, mask, params: CropParams):
        """Pad a mask with ``mask_fill``."""
        return T.crop_mask(mask, 0, 0, params.height, params.width, self.mask_fill)

    def apply_boxes(self, boxes, params: CropParams, size):
        """Boxes keep their coordinates (the image keeps its top-left corner)."""
        return boxes

    def apply_keypoints(self, keypoints, params: CropParams, size):
        """Keypoints keep their coordinates."""
        return keypoints
