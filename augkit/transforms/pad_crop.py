"""Sizes up to and down to a bound: ``PadIfSmaller`` (pad at the bottom and right) and ``RandomCropUpTo``.

Together they make torchvision's segmentation crop: ``RandomCropUpTo(s)`` then a flip then
``PadIfSmaller(s)`` gives, in distribution, exactly its flip, ``PadIfSmaller(s)`` and
``RandomCrop(s)`` (the flip of a window is the mirrored window of the flipped image), and the
crop, being a pure crop, fuses with a resize before it.
"""

from __future__ import annotations

import numpy as np

from augkit._image import Image, MaskT, check_array_image, spatial_size
from augkit._validate import check_int, check_real, check_size
from augkit.functional import geometry as G
from augkit.functional import targets as T
from augkit.targets import Boxes, Keypoints
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

    def sample(self, rng: np.random.Generator, image: Image) -> CropParams:
        """Return the window (nothing is random; recorded for replay and logs)."""
        return self.window(*spatial_size(check_array_image(image)))

    def apply(self, image: Image, params: CropParams) -> Image:
        """Pad ``image`` to the window."""
        image = check_array_image(image)
        if spatial_size(image) == (params.height, params.width):
            return image
        return G.crop(image, 0, 0, params.height, params.width, self.fill)

    def crop_window(self, params: CropParams) -> tuple[int, int, int, int]:
        """The window (a pure crop, padded with ``fill`` outside the image)."""
        return params.top, params.left, params.height, params.width

    def apply_mask(self, mask: MaskT, params: CropParams) -> MaskT:
        """Pad a mask with ``mask_fill``."""
        if T.mask_size(mask) == (params.height, params.width):
            return mask
        return T.crop_mask(mask, 0, 0, params.height, params.width, self.mask_fill)

    def apply_boxes(self, boxes: Boxes, params: CropParams, size: tuple[int, int]) -> Boxes:
        """Boxes keep their coordinates (the image keeps its top-left corner)."""
        return boxes

    def apply_keypoints(self, keypoints: Keypoints, params: CropParams, size: tuple[int, int]) -> Keypoints:
        """Keypoints keep their coordinates."""
        return keypoints


class RandomCropUpTo(Transform):
    """Crop a random window of ``size``, cut to the image: ``min(H, h) x min(W, w)`` at a uniform position.

    An image smaller than ``size`` keeps that side whole (no padding: follow with
    ``PadIfSmaller`` for a fixed size). This is mmsegmentation's ``RandomCrop`` (without its
    category ratio check), and, followed by a flip and ``PadIfSmaller(size)``, torchvision's
    segmentation crop (see the module docstring). A pure crop: it fuses with a resize before
    it and decodes only its window of a JPEG.

    Args:
        size: The largest ``(height, width)``, or an int for a square.

    Shape:
        ``(H, W, C) -> (min(H, h), min(W, w), C)``, dtype kept.

    Example:
        >>> import numpy as np
        >>> RandomCropUpTo((3, 8))(np.zeros((5, 6, 1), np.uint8), rng=0).shape
        (3, 6, 1)
    """

    geometric = True

    def __init__(self, size: int | tuple[int, int]) -> None:
        self.size = check_size("size", size)

    def sample(self, rng: np.random.Generator, image: Image) -> CropParams:
        """Draw the window's position (uniform over the positions inside the image)."""
        height, width = spatial_size(check_array_image(image))
        out_h, out_w = min(height, self.size[0]), min(width, self.size[1])
        return CropParams(int(rng.integers(0, height - out_h + 1)), int(rng.integers(0, width - out_w + 1)), out_h, out_w)

    def apply(self, image: Image, params: CropParams) -> Image:
        """Take the window (a view of the image)."""
        return G.crop(check_array_image(image), params.top, params.left, params.height, params.width)

    def crop_window(self, params: CropParams) -> tuple[int, int, int, int]:
        """The window (a pure crop)."""
        return params.top, params.left, params.height, params.width

    def apply_mask(self, mask: MaskT, params: CropParams) -> MaskT:
        """Take the window of a mask."""
        return T.crop_mask(mask, params.top, params.left, params.height, params.width)

    def apply_boxes(self, boxes: Boxes, params: CropParams, size: tuple[int, int]) -> Boxes:
        """Move boxes into the window, clamp them, drop those left with no area."""
        return T.crop_boxes(boxes, params.top, params.left, params.height, params.width)

    def apply_keypoints(self, keypoints: Keypoints, params: CropParams, size: tuple[int, int]) -> Keypoints:
        """Move keypoints into the window; those outside it become invisible."""
        return T.crop_keypoints(keypoints, params.top, params.left, params.height, params.width)
