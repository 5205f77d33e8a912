"""Erasing kernels: fill axis-aligned boxes (Cutout), one box per image.

Boxes are given in pixel coordinates as ``top, left`` (inclusive) and ``bottom, right``
(exclusive), already clipped to the image; an empty box (``bottom <= top`` or
``right <= left``) erases nothing. ``fill`` is in the image's own units: a 0-255 value for
uint8 images, a [0, 1] (or normalized) value for float images.
"""

from __future__ import annotations

import numpy as np
import torch

from augkit import _memory
from augkit._image import Image, flatten_leading, per_sample


def cutout_box(height: int, width: int, size: tuple[int, int], center_y, center_x):
    """Return the clipped ``(top, left, bottom, right)`` of a box centred at ``(center_y, center_x)``.

    The unclipped box is ``[c - s // 2, c - s // 2 + s)`` along each axis, so it is exactly
    ``s`` pixels long (DeVries & Taylor's ``[c - s // 2, c + s // 2)`` for even ``s``), then
    clipped to the image, so it may be partly (never wholly) outside.

    Args:
        height: Image height.
        width: Image width.
        size: ``(box height, box width)``.
        center_y: Centre row, an int or an int array.
        center_x: Centre column, an int or an int array (same shape).

    Returns:
        ``(top, left, bottom, right)``: ints, or int64 arrays of the centres' shape.

    Example:
        >>> cutout_box(10, 10, (4, 4), 0, 9)
        (0, 7, 2, 10)
    """
    top = np.clip(np.asarray(center_y) - size[0] // 2, 0, height)
    left = np.clip(np.asarray(center_x) - size[1] // 2, 0, width)
    bottom = np.clip(np.asarray(center_y) - size[0] // 2 + size[0], 0, height)
    right = np.clip(np.asarray(center_x) - size[1] // 2 + size[1], 0, width)
    if np.ndim(top) == 0:
        return int(top), int(left), int(bottom), int(right)
    return tuple(np.asarray(v, dtype=np.int64) for v in (top, left, bottom, right))


def check_fill(image: Image, fill: float) -> None:
    """Raise ValueError when ``fill`` cannot be stored in ``image``'s dtype exactly."""
    is_uint8 = image.dtype == torch.uint8 if isinstance(image, torch.Tensor) else image.dtype == np.uint8
    if is_uint8 and not (float(fill).is_integer() and 0 <= fill <= 255):
        raise ValueError(f"fill must be an integer in [0, 255] for uint8 images (fill is in the image's units), got {fill}")


def erase(image: Image, top, left, bottom, right, fill: float = 0.0, *, use_mask: bool | None = None) -> Image:
    """Return a copy of ``image`` with a box (one per image of a batch) set to ``fill``.

    Args:
        image: HWC numpy array, ``[C, H, W]`` tensor (int box bounds) or ``[..., C, H, W]``
            tensor (box bounds: ints shared by every image, or int arrays of the leading
            shape, ``[B]`` for ``[B, C, H, W]``); uint8 or float.
        top: First row of the box.
        left: First column of the box.
        bottom: One past the last row (``<= top`` for no box).
        right: One past the last column (``<= left`` for no box).
        fill: The value written, in the image's units (0-255 for uint8, [0, 1] for float).
        use_mask: Batch only: True builds a ``[B, 1, H, W]`` mask from broadcast comparisons
            and fills in one op (fastest on GPUs); False copies the batch and fills each box
            slice (fastest on CPUs); None picks by device.

    Returns:
        A new array or tensor of the input's shape, dtype and device.

    Example:
        >>> erase(np.ones((2, 3, 1), np.uint8), 0, 1, 2, 3)[..., 0].tolist()
        [[1, 0, 0], [1, 0, 0]]
    """
    check_fill(image, fill)
    if isinstance(image, np.ndarray):
        out = image.copy()
        out[top:bottom, left:right] = fill
        return out
    if image.ndim == 3:
        out = image.clone()
        out[:, top:bottom, left:right] = fill
        return out
    batch, leading = flatten_leading(image)
    names = ("top", "left", "bottom", "right")
    top, left, bottom, right = (per_sample(n, v, leading, dtype=np.int64) for n, v in zip(names, (top, left, bottom, right)))
    if use_mask is None:
        use_mask = image.device.type != "cpu"
    if not use_mask:
        out = _memory.clone(batch)
        for i in np.flatnonzero((bottom > top) & (right > left)):
            out[i, :, top[i] : bottom[i], left[i] : right[i]] = fill
        return out.reshape(image.shape)
    mask = box_mask(top, left, bottom, right, image.shape[-2], image.shape[-1], image.device)
    return batch.masked_fill(mask[:, None], fill).reshape(image.shape)


def box_mask(top, left, bottom, right, height: int, width: int, device) -> torch.Tensor:
    """Return a ``[B, H, W]`` bool mask, True inside each sample's box.

    Built from broadcast comparisons of row and column aranges against the ``[B]`` bounds,
    without a per-sample loop.

    Args:
        top: ``[B]`` first rows.
        left: ``[B]`` first columns.
        bottom: ``[B]`` rows one past the last.
        right: ``[B]`` columns one past the last.
        height: Image height.
        width: Image width.
        device: Where the mask lives.

    Returns:
        ``[B, H, W]`` bool tensor.
    """
    bounds = torch.from_numpy(np.stack([top, left, bottom, right]).astype(np.int64)).to(device)
    rows = torch.arange(height, device=device)
    cols = torch.arange(width, device=device)
    in_rows = (rows >= bounds[0, :, None]) & (rows < bounds[2, :, None])
    in_cols = (cols >= bounds[1, :, None]) & (cols < bounds[3, :, None])
    return in_rows[:, :, None] & in_cols[:, None, :]
