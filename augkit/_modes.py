"""Decoded samples to the output modes of ``augkit.decode``: ``"RGB"``, ``"L"`` and ``"unchanged"``.

The conventions (documented in ``augkit.io``): 16-bit samples become 8-bit by
``round(x / 257)``; float samples must lie in [0, 1] and become ``round(x * 255)``; other
integer arrays are refused rather than rescaled by a guess; alpha is composited on black;
gray is ITU-R 601-2 luma, exactly as Pillow's ``convert("L")``.
"""

from __future__ import annotations

import numpy as np

from augkit.errors import ImageDecodeError

#: The output modes of ``augkit.decode``.
MODES = ("RGB", "L", "unchanged")


def check_mode(mode) -> str:
    """Return ``mode`` if it is one of ``MODES``, else raise ``ValueError`` naming it."""
    if not isinstance(mode, str) or mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    return mode


def from_array(array: np.ndarray, source: str, mode: str = "RGB", user: bool = False) -> np.ndarray:
    """Convert decoded samples (gray, gray + alpha, RGB or RGBA; any documented dtype) to ``mode``.

    Args:
        array: HW or HWC samples; with ``mode="unchanged"`` any channel count.
        source: A path or description used in error messages.
        mode: ``"RGB"``, ``"L"`` or ``"unchanged"``.
        user: True for an array given to ``decode``: an unsupported dtype is then a
            ``TypeError`` (a program's mistake) rather than an ``ImageDecodeError`` (a file's).

    Returns:
        A C-contiguous ``(H, W, C)`` array: uint8 with 3 (``"RGB"``) or 1 (``"L"``) channels,
        or the samples as stored (``"unchanged"``, native byte order).

    Example:
        >>> from_array(np.array([[0, 257, 65535]], np.uint16), "<array>")[0, :, 0].tolist()
        [0, 1, 255]
    """
    if array.ndim == 2:
        array = array[:, :, None]
    if array.ndim != 3 or (mode != "unchanged" and array.shape[2] not in (1, 2, 3, 4)):
        raise ImageDecodeError(source, f"unsupported array shape {array.shape} for mode {mode!r}")
    if array.shape[0] == 0 or array.shape[1] == 0 or array.shape[2] == 0:
        raise ImageDecodeError(source, f"image has no pixels ({array.shape})")
    if mode == "unchanged":
        return _native(array, source, user)
    array = _to_uint8(array, source, user)
    channels = array.shape[2]
    if channels in (2, 4):
        color, alpha = array[:, :, :-1].astype(np.uint32), array[:, :, -1:].astype(np.uint32)
        array = ((color * alpha + 127) // 255).astype(np.uint8)
    if mode == "L":
        return np.ascontiguousarray(array if array.shape[2] == 1 else luma(array))
    if array.shape[2] == 1:
        array = np.repeat(array, 3, axis=2)
    return np.ascontiguousarray(array)


def luma(rgb: np.ndarray) -> np.ndarray:
    """ITU-R 601-2 luma of an ``(H, W, 3)`` uint8 RGB array as ``(H, W, 1)`` uint8, exactly as Pillow's ``convert("L")``."""
    wide = rgb.astype(np.uint32)
    gray = (wide[:, :, 0] * 19595 + wide[:, :, 1] * 38470 + wide[:, :, 2] * 7471 + 0x8000) >> 16
    return gray.astype(np.uint8)[:, :, None]


def _unsupported_dtype(array: np.ndarray, source: str, user: bool) -> Exception:
    message = (
        f"unsupported pixel type {array.dtype}: convert to uint8 (0-255) or uint16 (0-65535), or to float in [0, 1];"
        " augkit does not guess the scale of other types"
    )
    return TypeError(f"cannot decode {source}: {message}") if user else ImageDecodeError(source, message)


def _native(array: np.ndarray, source: str, user: bool) -> np.ndarray:
    """The samples as stored (``mode="unchanged"``): native byte order, C-contiguous."""
    kind = array.dtype
    if kind == np.bool_:
        return np.ascontiguousarray(array, np.uint8) * np.uint8(255)
    if kind.kind == "u" and kind.itemsize in (1, 2) or kind.kind == "f" or (not user and kind.kind == "i" and kind.itemsize == 4):
        return np.ascontiguousarray(array, kind.newbyteorder("="))
    raise _unsupported_dtype(array, source, user)


def _to_uint8(array: np.ndarray, source: str, user: bool) -> np.ndarray:
    kind = array.dtype
    if kind == np.uint8:
        return array
    if kind == np.bool_:
        return array.astype(np.uint8) * np.uint8(255)
    if kind.kind == "i" and kind.itemsize == 4 and not user:
        # Pillow's 32-bit integer mode "I": 16-bit samples by the uint16 rule, when they are 16-bit.
        low, high = int(array.min()), int(array.max())
        if low < 0 or high > 65535:
            raise ImageDecodeError(source, f"32-bit integer pixels span {low}..{high}, outside 0..65535: decode with mode='unchanged'")
        kind = np.dtype(np.uint16)
    if kind.kind == "u" and kind.itemsize == 2:
        return ((array.astype(np.uint32) + 128) // 257).astype(np.uint8)
    if kind.kind == "f":
        least, most = float(np.min(array)), float(np.max(array))
        if not (np.isfinite(least) and np.isfinite(most)):
            raise ImageDecodeError(source, "float image has NaN or infinite values")
        if least < 0.0 or most > 1.0:
            raise ImageDecodeError(
                source, f"float pixels span {least:g}..{most:g}, outside [0, 1] (the float convention): decode with mode='unchanged'"
            )
        return np.rint(array.astype(np.float64) * 255.0).astype(np.uint8)
    raise _unsupported_dtype(array, source, user)
