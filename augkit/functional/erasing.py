"""Erasing kernels: fill axis-aligned boxes (Cutout), one box per image.

Boxes are given in pixel coordinates as ``top, left`` (inclusive) and ``bottom, right``
(exclusive), already clipped to the image; an empty box (``bottom <= top`` or
``right <= left``) erases nothing. ``fill`` is in the image's own units: a 0-255 value for
uint8 images, a [0, 1] (or normalized) value for float images.
"""

from __future__ import annotations

from typing import overload

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


@overload
def erase(image: np.ndarray, top, left, bottom, right, fill: float = 0.0, *, use_mask: bool | None = None) -> np.ndarray: ...


@overload
def erase(image: torch.Tensor, top, left, bottom, right, fill: float = 0.0, *, use_mask: bool | None = None) -> torch.Tensor: ...


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


# --------------------------------------------------------------------------- random erasing

#: Fill modes of ``erase_boxes``: a constant, one normal value per channel and box, one per pixel.
ERASE_MODES = ("const", "rand", "pixel")


def erasing_box_sizes(height: int, width: int, area, log_aspect):
    """Sizes of Random Erasing boxes: the first of several tries that fits inside the image.

    Try ``t`` proposes ``h = round(sqrt(area * aspect))`` and ``w = round(sqrt(area /
    aspect))`` with ``aspect = exp(log_aspect)`` (Python's rounding, half to even); the first
    with ``h < height`` and ``w < width`` is kept (torchvision v2 ``RandomErasing``, timm's
    ``RandomErasing``). Rows where no try fits get ``(0, 0)``: no box.

    Args:
        height: Image height.
        width: Image width.
        area: ``[..., T]`` proposed areas in pixels.
        log_aspect: ``[..., T]`` proposed log aspect ratios (height / width).

    Returns:
        ``(h, w)``: int64 arrays of the leading shape ``[...]``.

    Example:
        >>> h, w = erasing_box_sizes(10, 10, np.array([[400.0, 16.0]]), np.array([[0.0, 0.0]]))
        >>> h.tolist(), w.tolist()
        ([4], [4])
    """
    area = np.asarray(area, dtype=np.float64)
    aspect = np.exp(np.asarray(log_aspect, dtype=np.float64))
    h = np.round(np.sqrt(area * aspect)).astype(np.int64)
    w = np.round(np.sqrt(area / aspect)).astype(np.int64)
    fits = (h < height) & (w < width)
    first = np.argmax(fits, axis=-1)[..., None]
    found = fits.any(axis=-1)
    h = np.where(found, np.take_along_axis(h, first, axis=-1)[..., 0], 0)
    w = np.where(found, np.take_along_axis(w, first, axis=-1)[..., 0], 0)
    return h, w


def _fill_values(image, fill, channels: int) -> np.ndarray:
    values = np.asarray(fill, dtype=np.float64).reshape(-1)
    if values.size not in (1, channels):
        raise ValueError(f"fill must be a number or one value per channel ({channels}), got {values.size} values")
    for value in values:
        check_fill(image, float(value))
    return values


def _noise(seed: int, shapes: list[tuple[int, ...]]) -> list[torch.Tensor]:
    """Standard normal float32 values, box by box, from a ``torch.Generator`` seeded with ``seed``."""
    generator = torch.Generator().manual_seed(int(seed))
    return [torch.randn(shape, generator=generator, dtype=torch.float32) for shape in shapes]


def erase_boxes(image, top, left, height, width, fill=0.0, *, mode: str = "const", seed=None, use_mask: bool | None = None):
    """Return a copy of ``image`` with up to K boxes per image erased, in order.

    Later boxes of an image are written over earlier ones. ``mode`` picks the values:
    ``"const"`` writes ``fill``; ``"rand"`` one standard normal value per channel and box;
    ``"pixel"`` one per pixel and channel (timm's modes; torchvision's ``value="random"`` is
    ``"pixel"``). The normal values of an image are drawn on the CPU, box after box, from a
    ``torch.Generator`` seeded with that image's ``seed`` (never from global state), as
    ``[C, h, w]`` (or ``[C]``) float32 blocks, so an image gets the same values in either
    stage and on any device.

    Args:
        image: HWC array or ``[C, H, W]`` tensor (``[K]`` box arrays), or ``[B, C, H, W]``
            tensor (``[B, K]``); uint8 (``"const"`` only) or float.
        top: First row of each box.
        left: First column of each box.
        height: Box heights (0 for no box); ``top + height <= H``.
        width: Box widths (0 for no box); ``left + width <= W``.
        fill: ``"const"``: a number or one per channel, in the image's units.
        mode: ``"const"``, ``"rand"`` or ``"pixel"``.
        seed: The noise seed: an int for one image, ``[B]`` ints for a batch (random modes).
        use_mask: Batch only: True writes each box index with one masked operation over the
            batch (fastest on GPUs), False box by box in slices (fastest on CPUs); None picks
            by device.

    Returns:
        A new array or tensor of the input's shape, dtype and device.

    Example:
        >>> out = erase_boxes(np.ones((3, 4, 1), np.uint8), [1], [1], [2], [2], 7)
        >>> out[..., 0].tolist()
        [[1, 1, 1, 1], [1, 7, 7, 1], [1, 7, 7, 1]]
    """
    if mode not in ERASE_MODES:
        raise ValueError(f"mode must be one of {ERASE_MODES}, got {mode!r}")
    is_array = isinstance(image, np.ndarray)
    channels = int(image.shape[-1] if is_array else image.shape[-3])
    uint8 = image.dtype == np.uint8 if is_array else image.dtype == torch.uint8
    if mode == "const":
        values = _fill_values(image, fill, channels)
    elif uint8:
        raise ValueError(f"mode={mode!r} writes normal values, for normalized float images; got a uint8 image")
    elif seed is None:
        raise ValueError(f"mode={mode!r} needs a noise seed")
    boxes = [np.asarray(v, dtype=np.int64) for v in (top, left, height, width)]
    batched = not is_array and image.ndim == 4
    if batched and image.shape[0] == 0:
        return image.clone()
    boxes = [b.reshape(image.shape[0], -1) if batched else b.reshape(1, -1) for b in boxes]
    seeds = np.asarray(seed if seed is not None else 0, dtype=np.int64).reshape(-1)
    if batched and seeds.size == 1:
        seeds = np.broadcast_to(seeds, (image.shape[0],))
    if is_array:
        return _erase_hwc(image, boxes, values if mode == "const" else None, mode, seeds)
    if use_mask is None:
        use_mask = image.device.type != "cpu"
    work = image.unsqueeze(0) if not batched else image
    fills = None if mode != "const" else torch.from_numpy(values).to(device=image.device, dtype=image.dtype)
    if use_mask and batched:
        out = _erase_masked(work, boxes, fills, mode, seeds)
    else:
        out = _erase_slices(work, boxes, fills, mode, seeds)
    return out if batched else out[0]


def _box_blocks(mode: str, seed: int, channels: int, sizes: list[tuple[int, int]]) -> list[torch.Tensor]:
    """The noise blocks of one image: ``[C, h, w]`` per box (``"rand"``: ``[C]`` values expanded)."""
    if mode == "pixel":
        return _noise(seed, [(channels, h, w) for h, w in sizes])
    values = _noise(seed, [(channels,)] * len(sizes))
    return [v[:, None, None].expand(channels, h, w) for v, (h, w) in zip(values, sizes)]


def _erase_hwc(image: np.ndarray, boxes, values, mode: str, seeds) -> np.ndarray:
    out = image.copy()
    top, left, height, width = (b[0] for b in boxes)
    keep = np.flatnonzero((height > 0) & (width > 0))
    if values is not None:
        fill = values if values.size > 1 else values[0]
        for k in keep:
            out[top[k] : top[k] + height[k], left[k] : left[k] + width[k]] = fill
        return out
    blocks = _box_blocks(mode, int(seeds[0]), image.shape[-1], [(int(height[k]), int(width[k])) for k in keep])
    for k, block in zip(keep, blocks):
        out[top[k] : top[k] + height[k], left[k] : left[k] + width[k]] = block.permute(1, 2, 0).numpy()
    return out


def _erase_slices(images: torch.Tensor, boxes, fills, mode: str, seeds) -> torch.Tensor:
    out = _memory.clone(images)
    top, left, height, width = boxes
    present = (height > 0) & (width > 0)
    for i in np.flatnonzero(present.any(axis=1)):
        keep = np.flatnonzero(present[i])
        if fills is not None:
            blocks = [fills.view(-1, 1, 1)] * len(keep)
        else:
            sizes = [(int(height[i, k]), int(width[i, k])) for k in keep]
            blocks = [b.to(device=images.device, dtype=images.dtype) for b in _box_blocks(mode, int(seeds[i]), images.shape[1], sizes)]
        for k, block in zip(keep, blocks):
            out[i, :, top[i, k] : top[i, k] + height[i, k], left[i, k] : left[i, k] + width[i, k]] = block
    return out


def _erase_masked(images: torch.Tensor, boxes, fills, mode: str, seeds) -> torch.Tensor:
    top, left, height, width = boxes
    out = images
    blocks: list[list[torch.Tensor]] = [[] for _ in range(top.shape[1])]
    if fills is None:  # the noise, drawn per image on the CPU, grouped by box index
        present = (height > 0) & (width > 0)
        for i in np.flatnonzero(present.any(axis=1)):
            keep = np.flatnonzero(present[i])
            sizes = [(int(height[i, k]), int(width[i, k])) for k in keep]
            for k, block in zip(keep.tolist(), _box_blocks(mode, int(seeds[i]), images.shape[1], sizes)):
                blocks[k].append(block.reshape(-1))
    for k in range(top.shape[1]):
        mask = box_mask(
            top[:, k], left[:, k], top[:, k] + height[:, k], left[:, k] + width[:, k], images.shape[-2], images.shape[-1], images.device
        )
        mask = mask[:, None]
        if fills is None:
            if not blocks[k]:
                continue
            values = torch.cat(blocks[k]).to(device=images.device, dtype=images.dtype)
            # Row-major order of the masked elements is (image, channel, row, column): each block's order.
            out = out.masked_scatter(mask.expand_as(out), values)
        elif fills.numel() == 1:
            out = out.masked_fill(mask, fills.reshape(()))
        else:
            out = torch.where(mask, fills.view(1, -1, 1, 1), out)
    return out.clone() if out is images else out
