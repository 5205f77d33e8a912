"""Test-time view kernels: the five / ten crops of an HWC image, written as CHW views.

Views are written straight into a caller's ``[V, C, h, w]`` array (one copy per view, no
stacking afterwards). A flipped view is the mirror image of the region mirrored across the
image, so the flipped image is never materialized: flipped corner views are mirrored copies
of the unflipped ones already written, and only the center may need its own crop.
"""

from __future__ import annotations

import cv2
import numpy as np

#: Flip modes accepted by the ten-crop kernels.
FLIP_MODES = ("horizontal", "vertical")


def five_crop_windows(height: int, width: int, size: tuple[int, int], center: tuple[int, int]) -> list[tuple[int, int]]:
    """Return the ``(top, left)`` of the TL, TR, BL, BR and center windows, torchvision's order.

    Args:
        height: Image height, >= ``size[0]``.
        width: Image width, >= ``size[1]``.
        size: Window ``(height, width)``.
        center: ``(top, left)`` of the center window (``CenterCrop.window`` gives it).

    Returns:
        Five ``(top, left)`` pairs.

    Example:
        >>> five_crop_windows(4, 6, (2, 2), (1, 2))
        [(0, 0), (0, 4), (2, 0), (2, 4), (1, 2)]
    """
    h, w = size
    return [(0, 0), (0, width - w), (height - h, 0), (height - h, width - w), (center[0], center[1])]


def mirror_window(top: int, left: int, height: int, width: int, size: tuple[int, int], flip: str) -> tuple[int, int]:
    """Return the window mirrored across the image (the region a flipped view shows).

    Example:
        >>> mirror_window(1, 1, 4, 6, (2, 2), "horizontal")
        (1, 3)
    """
    if flip == "horizontal":
        return top, width - size[1] - left
    return height - size[0] - top, left


def _write_chw(out: np.ndarray, image: np.ndarray, top: int, left: int) -> None:
    """Copy the window at ``(top, left)`` of an HWC image into a contiguous ``[C, h, w]`` array.

    A planar image (HWC view of CHW memory, as ``functional.geometry.resize`` returns) is
    copied plane by plane, row by row; an interleaved one is deinterleaved by OpenCV.
    """
    h, w = out.shape[1:]
    planes = image.transpose(2, 0, 1)
    if planes.strides[2] == planes.itemsize:
        np.copyto(out, planes[:, top : top + h, left : left + w])
        return
    region = image[top : top + h, left : left + w]
    channels = region.shape[2]
    if 1 < channels <= 4 and region.dtype in (np.uint8, np.float32):
        targets = list(out)
        written = cv2.split(region, targets)
        if all(a.ctypes.data == b.ctypes.data for a, b in zip(written, targets)):
            return
    np.copyto(out, region.transpose(2, 0, 1))


def _flip_chw(out: np.ndarray, view: np.ndarray, flip: str) -> None:
    """Write the mirror image of a contiguous ``[C, h, w]`` view into ``out`` (may be ``view``)."""
    channels, h, w = view.shape
    if view.dtype in (np.uint8, np.float32):
        if flip == "horizontal":
            cv2.flip(view.reshape(channels * h, w), 1, dst=out.reshape(channels * h, w))
        else:
            for c in range(channels):
                cv2.flip(view[c], 0, dst=out[c])
        return
    np.copyto(out, (view[:, :, ::-1] if flip == "horizontal" else view[:, ::-1]).copy())


def write_views(out: np.ndarray, image: np.ndarray, windows: list[tuple[int, int]], size: tuple[int, int], flip: str | None) -> None:
    """Write the views of ``image`` at ``windows`` (then their mirror images) into ``out``.

    Views ``0..n-1`` are the windows; with ``flip``, views ``n..2n-1`` are the views of the
    flipped image at the same windows, i.e. the mirror images of the regions mirrored across
    the image. The flipped image is never built: a mirrored region that is one of the
    windows is flipped from the view already written.

    Args:
        out: Contiguous ``[n or 2n, C, h, w]`` array, the image's dtype; written in place.
        image: HWC array containing every window.
        windows: ``(top, left)`` of each window, inside the image.
        size: Window ``(height, width)``.
        flip: None, ``"horizontal"`` or ``"vertical"``.

    Example:
        >>> image = np.arange(12, dtype=np.uint8).reshape(2, 2, 3)
        >>> out = np.empty((2, 3, 1, 2), np.uint8)
        >>> write_views(out, image, [(0, 0)], (1, 2), "horizontal")
        >>> out[:, 0, 0].tolist()
        [[0, 3], [3, 0]]
    """
    height, width = image.shape[:2]
    n = len(windows)
    for k, (top, left) in enumerate(windows):
        _write_chw(out[k], image, top, left)
    if flip is None:
        return
    positions = {window: k for k, window in enumerate(windows)}
    for k, (top, left) in enumerate(windows):
        mirrored = mirror_window(top, left, height, width, size, flip)
        source = positions.get(mirrored)
        if source is None:
            _write_chw(out[n + k], image, *mirrored)
            _flip_chw(out[n + k], out[n + k], flip)
        else:
            _flip_chw(out[n + k], out[source], flip)
