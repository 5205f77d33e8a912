"""What kind of image a transform was given: an HWC array, a CHW tensor or a BCHW batch."""

from __future__ import annotations

import numpy as np
import torch


def is_batch(image) -> bool:
    """True for a ``[B, C, H, W]`` tensor (the batch stage)."""
    return isinstance(image, torch.Tensor) and image.ndim == 4


def batch_size(image) -> int | None:
    """Return B for a ``[B, C, H, W]`` tensor, None for a single image.

    The value doubles as the ``size`` argument of numpy draws: None gives a scalar.
    """
    return int(image.shape[0]) if is_batch(image) else None


def spatial_size(image) -> tuple[int, int]:
    """Return ``(height, width)`` of an HWC array or a ``[..., C, H, W]`` tensor."""
    if isinstance(image, torch.Tensor):
        return int(image.shape[-2]), int(image.shape[-1])
    return int(image.shape[0]), int(image.shape[1])


def check_array_image(image, name: str = "image") -> np.ndarray:
    """Check that ``image`` is an HWC numpy array (the sample stage's currency)."""
    if not isinstance(image, np.ndarray):
        raise TypeError(
            f"{name} must be an HWC numpy array in the sample stage, got {type(image).__name__}"
            " (decode paths and bytes with augkit.decode first)"
        )
    if image.ndim != 3:
        raise ValueError(f"{name} must have shape (height, width, channels), got {image.shape}")
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(f"{name} must not be empty, got shape {image.shape}")
    return image


def check_any_image(image, name: str = "image", allow_uint16: bool = False):
    """Check an HWC array, or a ``[C, H, W]`` / ``[B, C, H, W]`` tensor; return it.

    Pixels are uint8 or floating point; ``allow_uint16`` also admits uint16 (the transforms
    that handle 16-bit samples: geometry and ``Normalize``).
    """
    if isinstance(image, torch.Tensor):
        if image.ndim not in (3, 4):
            raise ValueError(f"{name} tensor must be [C, H, W] or [B, C, H, W], got shape {tuple(image.shape)}")
        wide = allow_uint16 and image.dtype == getattr(torch, "uint16", None)
        if image.dtype != torch.uint8 and not image.is_floating_point() and not wide:
            raise TypeError(f"{name} tensor must be uint8{', uint16' if allow_uint16 else ''} or floating point, got {image.dtype}")
        return image
    image = check_array_image(image, name)
    if image.dtype != np.uint8 and not np.issubdtype(image.dtype, np.floating) and not (allow_uint16 and image.dtype == np.uint16):
        raise TypeError(f"{name} array must be uint8{', uint16' if allow_uint16 else ''} or floating point, got {image.dtype}")
    return image


def array_to_tensor(array: np.ndarray) -> torch.Tensor:
    """Share an array's memory as a tensor (copying only when it is read-only or strided)."""
    if not array.flags.writeable:
        array = array.copy()
    return torch.from_numpy(np.ascontiguousarray(array))


_ZERO_BYTES = bytes(16)


def shape_only(shape: tuple[int, ...], dtype=np.uint8) -> np.ndarray:
    """A read-only all-zero array of ``shape`` using no memory, for sampling parameters from a shape."""
    return np.ndarray(shape, dtype, buffer=_ZERO_BYTES, strides=(0,) * len(shape))
