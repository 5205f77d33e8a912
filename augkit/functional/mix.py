"""Mixing kernels (Mixup, CutMix): blend or paste each sample with its partner, mix targets.

The partner of sample ``i`` of a batch of ``B`` is sample ``B - 1 - i`` (the reversed batch,
as timm). In an odd batch the middle sample is its own partner and comes out unchanged.
Nothing here is random: the transforms in ``augkit.batch`` draw lambdas and boxes.
"""

from __future__ import annotations

import numpy as np
import torch

from augkit import _memory
from augkit.functional.erasing import box_mask


def cutmix_box(height: int, width: int, lam, center_y, center_x):
    """Return timm's CutMix box for ``lam`` and its kept-area lambda.

    The box has sides ``int(H * sqrt(1 - lam))`` and ``int(W * sqrt(1 - lam))``, rows
    ``[cy - h // 2, cy + (h + 1) // 2)`` (likewise columns), clipped to the image. The
    corrected lambda is the fraction of the image kept: ``1 - box_area / (H * W)``.

    Args:
        height: Image height.
        width: Image width.
        lam: Drawn lambda(s) in [0, 1], a float or an array.
        center_y: Centre row(s), ints in ``[0, H)``.
        center_x: Centre column(s), ints in ``[0, W)``.

    Returns:
        ``(top, left, bottom, right, lam)``: int64 arrays and a float64 array of ``lam``'s shape.

    Example:
        >>> [int(v[0]) if v.dtype.kind == "i" else float(v[0]) for v in cutmix_box(10, 10, [0.75], [5], [5])]
        [3, 3, 8, 8, 0.75]
    """
    lam = np.asarray(lam, dtype=np.float64)
    ratio = np.sqrt(1.0 - lam)
    cut_h = (height * ratio).astype(np.int64)
    cut_w = (width * ratio).astype(np.int64)
    center_y = np.asarray(center_y, dtype=np.int64)
    center_x = np.asarray(center_x, dtype=np.int64)
    top = np.clip(center_y - cut_h // 2, 0, height)
    bottom = np.clip(center_y + (cut_h + 1) // 2, 0, height)
    left = np.clip(center_x - cut_w // 2, 0, width)
    right = np.clip(center_x + (cut_w + 1) // 2, 0, width)
    kept = 1.0 - (bottom - top) * (right - left) / float(height * width)
    return top, left, bottom, right, kept


def soft_targets(targets: torch.Tensor, num_classes: int, smoothing: float = 0.0) -> torch.Tensor:
    """Return ``[B, K]`` float targets with label smoothing.

    Class indices become one-hot rows with ``off = s / K`` and ``on = 1 - s + off`` (timm's
    ``one_hot``). Float ``[B, K]`` targets get the same map, ``y * (1 - s) + s / K``, which
    keeps rows summing to 1; with ``s = 0`` they are returned as they are.

    Args:
        targets: ``[B]`` integer class indices, or ``[B, K]`` float soft targets.
        num_classes: K.
        smoothing: s in [0, 1].

    Returns:
        ``[B, K]`` float tensor (float32 for class indices, else the targets' dtype).

    Example:
        >>> soft_targets(torch.tensor([1]), 4, 0.4).tolist()
        [[0.10000000149011612, 0.699999988079071, 0.10000000149011612, 0.10000000149011612]]
    """
    off = smoothing / num_classes
    if targets.is_floating_point():
        return targets if smoothing == 0 else targets * (1.0 - smoothing) + off
    out = torch.full((targets.shape[0], num_classes), off, dtype=torch.float32, device=targets.device)
    return out.scatter_(1, targets.long().view(-1, 1), 1.0 - smoothing + off)


def mix_targets(targets: torch.Tensor, lam: np.ndarray) -> torch.Tensor:
    """Return ``lam * y + (1 - lam) * y_partner`` row by row (partner = reversed batch).

    Args:
        targets: ``[B, K]`` float soft targets.
        lam: ``[B]`` lambdas.

    Returns:
        A new ``[B, K]`` tensor; a row with ``lam = 1`` is copied exactly.
    """
    weight = torch.from_numpy(1.0 - np.asarray(lam, dtype=np.float64)).to(targets.device, targets.dtype)
    return torch.lerp(targets, targets.flip(0), weight[:, None])


def mix_images(images: torch.Tensor, lam, paste, top, left, bottom, right, *, vectorized: bool | None = None) -> torch.Tensor:
    """Mix each sample with its partner (the reversed batch): blend (Mixup) or paste a box (CutMix).

    Row ``i`` with ``paste[i]`` False becomes ``lam[i] * x[i] + (1 - lam[i]) * x[j]``
    (computed as ``torch.lerp(x[i], x[j], 1 - lam[i])``, exact for ``lam = 1``); with
    ``paste[i]`` True it is ``x[i]`` with the box ``[top:bottom, left:right]`` taken from
    ``x[j]``. Pasting keeps any dtype; blending needs a float batch.

    Args:
        images: ``[B, C, H, W]`` tensor.
        lam: ``[B]`` blend weights of the samples themselves.
        paste: ``[B]`` bools: paste a box instead of blending.
        top: ``[B]`` box first rows (used where ``paste``).
        left: ``[B]`` box first columns.
        bottom: ``[B]`` box rows one past the last.
        right: ``[B]`` box columns one past the last.
        vectorized: True mixes the whole batch in a few ops (a reversed copy, a blend and a
            box mask: fastest on GPUs); False writes each sample into the output with
            ``out=`` slices and no full-size temporaries (fastest on CPUs, where the batch
            is memory-bound); None picks by device.

    Returns:
        A new tensor; ``images`` is not modified.
    """
    if not isinstance(images, torch.Tensor) or images.ndim != 4:
        raise ValueError(
            f"images must be a [B, C, H, W] tensor (samples are paired along B), got shape {tuple(getattr(images, 'shape', ()))}"
        )
    lam = np.asarray(lam, dtype=np.float64).reshape(-1)
    paste = np.asarray(paste, dtype=bool).reshape(-1)
    top, left, bottom, right = (np.asarray(v, dtype=np.int64).reshape(-1) for v in (top, left, bottom, right))
    if not images.is_floating_point() and not np.all(paste | (lam == 1.0)):
        raise TypeError(f"blending (Mixup) needs a float batch, got {images.dtype}; apply Normalize first")
    n = images.shape[0]
    if vectorized is None:
        vectorized = images.device.type != "cpu"
    if vectorized:
        return _mix_vectorized(images, lam, paste, top, left, bottom, right)
    out = _memory.empty_like(images)
    for i in range(n):
        j = n - 1 - i
        if paste[i]:
            out[i].copy_(images[i])
            if bottom[i] > top[i] and right[i] > left[i]:
                box = (slice(None), slice(top[i], bottom[i]), slice(left[i], right[i]))
                out[i][box] = images[j][box]
        elif lam[i] == 1.0 or i == j:
            out[i].copy_(images[i])
        else:
            torch.lerp(images[i], images[j], float(1.0 - lam[i]), out=out[i])
    return out


def _mix_vectorized(images, lam, paste, top, left, bottom, right) -> torch.Tensor:
    partner = images.flip(0)
    blend = ~paste & (lam != 1.0)
    if blend.any():
        weight = np.where(blend, 1.0 - lam, 0.0)
        if np.all(weight == weight[0]):
            out = torch.lerp(images, partner, float(weight[0]))
        else:
            w = torch.from_numpy(weight).to(images.device, images.dtype).view(-1, 1, 1, 1)
            out = torch.lerp(images, partner, w)
    else:
        out = images.clone()
    if paste.any():
        b = np.where(paste, bottom, top)
        mask = box_mask(top, left, b, right, images.shape[-2], images.shape[-1], images.device)
        out = torch.where(mask[:, None], partner, out)
    return out
