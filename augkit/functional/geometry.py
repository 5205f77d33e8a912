"""Geometry kernels: crop (with fill outside the image), resize, flips.

Arrays are HWC (sample stage); tensors are ``[..., C, H, W]`` (either stage).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from augkit._image import array_to_tensor


def crop(image: np.ndarray, top: int, left: int, height: int, width: int, fill: float = 0) -> np.ndarray:
    """Return the ``height x width`` window at ``(top, left)`` of an HWC array.

    The window may extend past the image (``top`` or ``left`` negative, or beyond the far
    edge): pixels outside are ``fill``. A window inside the image is a view, not a copy.

    Args:
        image: HWC array.
        top: Row of the window's top edge (may be negative).
        left: Column of the window's left edge (may be negative).
        height: Window height, > 0.
        width: Window width, > 0.
        fill: Value of pixels outside the image.

    Returns:
        The ``(height, width, C)`` window, same dtype.

    Example:
        >>> crop(np.ones((2, 2, 1), np.uint8), -1, 0, 3, 2)[:, :, 0].tolist()
        [[0, 0], [1, 1], [1, 1]]
    """
    h, w = image.shape[:2]
    if 0 <= top and 0 <= left and top + height <= h and left + width <= w:
        return image[top : top + height, left : left + width]
    out = np.full((height, width) + image.shape[2:], fill, dtype=image.dtype)
    src_top, src_left = max(top, 0), max(left, 0)
    src_bottom, src_right = min(top + height, h), min(left + width, w)
    if src_bottom > src_top and src_right > src_left:
        out[src_top - top : src_bottom - top, src_left - left : src_right - left] = image[src_top:src_bottom, src_left:src_right]
    return out


def resize(image: np.ndarray, size: tuple[int, int], antialias: bool = True) -> np.ndarray:
    """Resize an HWC array with bilinear interpolation, antialiased when shrinking.

    Uses torch's bilinear kernel on channels-last memory, which on uint8 equals torchvision
    v2 ``Resize(antialias=True)`` and is faster than PIL or OpenCV ``INTER_AREA``.

    Args:
        image: HWC array, uint8 or float32.
        size: Output ``(height, width)``.
        antialias: Low-pass filter when shrinking (True matches torchvision and PIL).

    Returns:
        The resized HWC array, same dtype; the input itself when the size is unchanged.
    """
    height, width = size
    if image.shape[:2] == (height, width):
        return image
    dtype = image.dtype
    if dtype != np.uint8 and dtype != np.float32:
        image = image.astype(np.float32)
    tensor = array_to_tensor(image).permute(2, 0, 1).unsqueeze(0)
    out = F.interpolate(tensor, size=(height, width), mode="bilinear", align_corners=False, antialias=antialias)
    out = out[0].permute(1, 2, 0).numpy()
    return out if out.dtype == dtype else out.astype(dtype)


def shorter_side_size(height: int, width: int, shorter: int) -> tuple[int, int]:
    """Return the ``(height, width)`` whose shorter side is ``shorter``, aspect kept.

    The longer side is ``int(shorter * long / short)`` (truncated), as torchvision does.
    """
    if height <= width:
        return shorter, int(shorter * width / height)
    return int(shorter * height / width), shorter


def hflip(image):
    """Mirror left-right: an HWC array (returns a contiguous copy) or a ``[..., C, H, W]`` tensor."""
    if isinstance(image, torch.Tensor):
        return image.flip(-1)
    return np.ascontiguousarray(image[:, ::-1])


def vflip(image):
    """Mirror top-bottom: an HWC array (returns a contiguous copy) or a ``[..., C, H, W]`` tensor."""
    if isinstance(image, torch.Tensor):
        return image.flip(-2)
    return np.ascontiguousarray(image[::-1])


def flip_where(batch: torch.Tensor, mask: np.ndarray, dim: int) -> torch.Tensor:
    """Flip the samples of a ``[B, C, H, W]`` batch where ``mask`` is True, along ``dim``.

    Args:
        batch: ``[B, C, H, W]`` tensor.
        mask: ``[B]`` bool array.
        dim: -1 for horizontal, -2 for vertical.

    Returns:
        A new batch (the input itself when nothing is flipped).
    """
    rows = np.flatnonzero(mask)
    if rows.size == 0:
        return batch
    index = torch.from_numpy(rows).to(batch.device)
    return batch.index_copy(0, index, batch.index_select(0, index).flip(dim))
