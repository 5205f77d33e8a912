"""What kind of image a transform was given: an HWC array, a CHW tensor or a BCHW batch."""

from __future__ import annotations

import math
from typing import TypeAlias, TypeGuard, TypeVar

import numpy as np
import torch

#: An image as augkit's kernels and transforms take it: an HWC numpy array (the sample stage) or a
#: ``[..., C, H, W]`` tensor (a ``[C, H, W]`` image or a batch).
Image: TypeAlias = np.ndarray | torch.Tensor

#: A segmentation mask: an ``[H, W]`` / ``[H, W, M]`` numpy array (sample stage) or an ``[H, W]`` /
#: ``[M, H, W]`` tensor (after ``ToTensor``; ``[B, ...]`` in a ``Batch``).
Mask: TypeAlias = np.ndarray | torch.Tensor
#: A mask of either kind, where the result is of the same kind (``apply_mask``).
MaskT = TypeVar("MaskT", np.ndarray, torch.Tensor)


def channels(image: Image) -> int:
    """Return the channel count of an HWC array or a ``[..., C, H, W]`` tensor.

    Example:
        >>> channels(np.zeros((4, 5, 3))), channels(torch.zeros(2, 1, 4, 5))
        (3, 1)
    """
    return int(image.shape[-3] if isinstance(image, torch.Tensor) else image.shape[-1])


def is_batch(image: object) -> TypeGuard[torch.Tensor]:
    """True for a ``[B, C, H, W]`` tensor (the batch stage)."""
    return isinstance(image, torch.Tensor) and image.ndim == 4


def batch_size(image) -> int | None:
    """Return B for a ``[B, C, H, W]`` tensor, None for a single image.

    The value doubles as the ``size`` argument of numpy draws: None gives a scalar.
    """
    return int(image.shape[0]) if is_batch(image) else None


def flatten_leading(image: torch.Tensor) -> tuple[torch.Tensor, tuple[int, ...]]:
    """View a ``[..., C, H, W]`` tensor as ``[N, C, H, W]`` (copying only if it must).

    Args:
        image: A tensor with at least 3 dimensions.

    Returns:
        ``(batch, leading)``: the ``[N, C, H, W]`` tensor, N the product of the leading
        dimensions (1 for a ``[C, H, W]`` image), and the leading shape to restore with
        ``batch.reshape(leading + batch.shape[1:])``.
    """
    if image.ndim < 3:
        raise ValueError(f"image tensor must be [..., C, H, W], got shape {tuple(image.shape)}")
    leading = tuple(image.shape[:-3])
    if len(leading) == 1:
        return image, leading
    return image.reshape(math.prod(leading), *image.shape[-3:]), leading


def per_sample(name: str, value, leading: tuple[int, ...], trailing: tuple[int, ...] = (), dtype=np.float64) -> np.ndarray:
    """Return a per-sample parameter as an ``(N, *trailing)`` array for ``flatten_leading``'s batch.

    Args:
        name: The parameter's name, for errors.
        value: One value shared by all samples (shape ``trailing``), or one per sample
            (shape ``leading + trailing``).
        leading: The image's leading shape (``()`` for a single image).
        trailing: The shape of one sample's value (``()`` for a number).
        dtype: The array's dtype.

    Returns:
        The values, one row per sample (a broadcast view where one value is shared).
    """
    array = np.asarray(value, dtype=dtype)
    count = math.prod(leading)
    if array.shape == tuple(trailing):
        return np.broadcast_to(array, (count, *trailing))
    if array.shape == tuple(leading) + tuple(trailing):
        return array.reshape(count, *trailing)
    expected = f"{tuple(trailing)}" if not leading else f"{tuple(trailing)} or {tuple(leading) + tuple(trailing)}"
    raise ValueError(f"{name} must have shape {expected} for an image of leading shape {tuple(leading)}, got {array.shape}")


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
