"""Where kernels read their pixels from: source indices and read-only tensor views (private).

The crops, resizes and warps of ``augkit.functional`` share these; they are not kernels of
their own.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch

#: How crops fill pixels outside the image (torchvision's ``padding_mode`` names).
PADDING_MODES = ("constant", "edge", "reflect", "symmetric")


def nearest_indices(n_in: int, n_out: int) -> np.ndarray:
    """Source index of each output index under torch's ``"nearest"`` resampling (``floor(i * in / out)`` in float32)."""
    if n_out == n_in:
        return np.arange(n_out)
    scale = np.float32(n_in) / np.float32(n_out)
    index = np.floor(np.arange(n_out, dtype=np.float32) * scale).astype(np.int64)
    return np.minimum(index, n_in - 1)


def padded_indices(start: int, length: int, size: int, mode: str) -> np.ndarray:
    """Source index of each of ``length`` positions from ``start`` along an axis of ``size``, padded by ``mode``.

    ``"edge"`` repeats the border pixel, ``"reflect"`` mirrors without repeating it
    (``c b | a b c | b a``), ``"symmetric"`` mirrors with it (``b a | a b c | c b``), as
    torch's and torchvision's pads; the mirror repeats periodically for pads wider than the axis.

    Args:
        start: First position (may be negative).
        length: Number of positions.
        size: Length of the axis, > 0.
        mode: ``"edge"``, ``"reflect"`` or ``"symmetric"``.

    Returns:
        ``[length]`` int64 indices in ``[0, size)``.

    Example:
        >>> padded_indices(-2, 7, 3, "reflect").tolist()
        [2, 1, 0, 1, 2, 1, 0]
    """
    index = np.arange(start, start + length, dtype=np.int64)
    if mode == "edge" or (mode == "reflect" and size == 1):
        return np.clip(index, 0, size - 1)
    if mode == "reflect":
        period = 2 * (size - 1)
        index = np.mod(index, period)
        return np.where(index >= size, period - index, index)
    if mode == "symmetric":
        period = 2 * size
        index = np.mod(index, period)
        return np.where(index >= size, period - 1 - index, index)
    raise ValueError(f"padding_mode must be one of {PADDING_MODES}, got {mode!r}")


def read_only_tensor(array: np.ndarray) -> torch.Tensor:
    """A tensor sharing a (contiguous copy of an) array's memory, for kernels that only read it.

    Unlike ``augkit._image.array_to_tensor`` it does not copy read-only arrays (decoded PNGs
    are): torch warns about those only because the tensor could be written to.
    """
    array = np.ascontiguousarray(array)
    if array.flags.writeable:
        return torch.from_numpy(array)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return torch.from_numpy(array)
