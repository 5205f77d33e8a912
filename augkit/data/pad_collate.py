"""``PadCollate``: collate images of different sizes by padding them at the bottom and right."""

from __future__ import annotations

import math

import numpy as np
import torch

from augkit._validate import check_int
from augkit.data.collate import Uint8Collate
from augkit.data.datasets import Item
from augkit.functional import targets as T
from augkit.targets import Sample


class PadCollate(Uint8Collate):
    """``Uint8Collate`` for images of different sizes: each is padded to the batch's largest.

    Images are padded at the bottom and the right with ``fill`` up to the largest height and
    width of the batch, rounded up to a multiple of ``size_divisible``, as torchvision's
    detection models batch their inputs (``GeneralizedRCNNTransform.batch_images``, 32). The
    top-left corner stays where it was, so boxes and keypoints keep their coordinates; masks
    are padded with ``mask_fill`` (255, the segmentation references' "ignore" label). The
    batch is then an ordinary ``augkit.Batch`` for ``DeviceLoader`` and the batch stage.

    Items are what ``Uint8Collate`` takes (``Sample`` s, ``(image, target)`` pairs or images):
    uint8 ``[C, H, W]`` tensors or HWC arrays.

    Args:
        size_divisible: Round the padded height and width up to a multiple of this.
        fill: Value of padded image pixels (0 to 255).
        mask_fill: Value of padded mask pixels.
        pin_memory: As ``Uint8Collate``.
        channels_last: As ``Uint8Collate``.
        num_buffers: As ``Uint8Collate``.

    Example:
        >>> import numpy as np
        >>> from augkit import Sample
        >>> items = [Sample(np.zeros((h, w, 3), np.uint8), mask=np.ones((h, w), np.uint8)) for h, w in ((5, 7), (6, 3))]
        >>> batch = PadCollate(size_divisible=4)(items)
        >>> tuple(batch.images.shape), batch.masks[1, 0].tolist()
        ((2, 3, 8, 8), [1, 1, 1, 255, 255, 255, 255, 255])
    """

    def __init__(
        self,
        size_divisible: int = 32,
        fill: int = 0,
        mask_fill: int = 255,
        pin_memory: bool = False,
        channels_last: bool = True,
        num_buffers: int = 4,
    ) -> None:
        super().__init__(pin_memory=pin_memory, channels_last=channels_last, num_buffers=num_buffers)
        self.size_divisible = check_int("size_divisible", size_divisible, 1)
        self.fill = check_int("fill", fill, 0)
        if self.fill > 255:
            raise ValueError(f"fill must lie in [0, 255] for uint8 images, got {fill}")
        self.mask_fill = check_int("mask_fill", mask_fill, 0)

    def __repr__(self) -> str:
        return f"PadCollate(size_divisible={self.size_divisible}, fill={self.fill}, mask_fill={self.mask_fill})"

    def __call__(self, batch: list):
        """Pad every item to the batch's padded size, then collate as ``Uint8Collate``."""
        if not isinstance(batch, (list, tuple)) or not batch:
            raise ValueError("PadCollate: expected a non-empty list of items")
        sizes = [_image_size(_image_of(item), i) for i, item in enumerate(batch)]
        height = _round_up(max(h for h, _ in sizes), self.size_divisible)
        width = _round_up(max(w for _, w in sizes), self.size_divisible)
        return super().__call__([self._pad(item, height, width) for item in batch])

    def _pad(self, item, height: int, width: int):
        if isinstance(item, Sample):
            mask = item.mask
            if mask is not None:
                mask = T.crop_mask(mask, 0, 0, height, width, self.mask_fill)
            return item.replace(image=_pad_image(item.image, height, width, self.fill), mask=mask)
        if isinstance(item, (tuple, list)) and len(item) == 2:
            padded = _pad_image(item[0], height, width, self.fill)
            return Item(padded, item[1], item.key) if isinstance(item, Item) else (padded, item[1])
        return _pad_image(item, height, width, self.fill)


def _image_of(item):
    if isinstance(item, Sample):
        return item.image
    if isinstance(item, (tuple, list)) and len(item) == 2:
        return item[0]
    return item


def _image_size(image, index: int) -> tuple[int, int]:
    if isinstance(image, torch.Tensor) and image.ndim == 3:
        return int(image.shape[1]), int(image.shape[2])
    if isinstance(image, np.ndarray) and image.ndim == 3:
        return int(image.shape[0]), int(image.shape[1])
    raise TypeError(f"PadCollate: item {index} must hold a uint8 [C, H, W] tensor or (H, W, C) array, got {type(image).__name__}")


def _round_up(value: int, multiple: int) -> int:
    return int(math.ceil(value / multiple) * multiple)


def _pad_image(image, height: int, width: int, fill: int):
    """An HWC image (a CHW tensor is viewed as HWC) padded at the bottom and right to ``(height, width)``."""
    hwc = image.permute(1, 2, 0).numpy() if isinstance(image, torch.Tensor) else image
    if hwc.shape[:2] == (height, width):
        return image
    out = np.full((height, width, hwc.shape[2]), fill, dtype=hwc.dtype)
    out[: hwc.shape[0], : hwc.shape[1]] = hwc
    return out
