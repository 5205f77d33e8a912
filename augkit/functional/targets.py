"""Geometry kernels for targets: masks, boxes and keypoints under flips, crops, resizes and warps.

Semantics are torchvision v2's ``tv_tensors`` kernels:

* masks are resampled with nearest neighbour (torch's ``"nearest"``: source index
  ``min(floor(i * in / out), in - 1)`` in float32), so label values are never invented;
* boxes (``[N, 4]`` xyxy, continuous pixel coordinates) move as their corners and are clamped
  to the output canvas; a horizontal flip maps ``x`` to ``W - x``; kernels that clamp record
  each box's area before clamping in ``Boxes.reference_area`` (when not set yet) for
  ``augkit.BoxFilter``;
* keypoints (``[..., 2]`` ``(x, y)``) move like pixel indices: a horizontal flip maps ``x`` to
  ``W - 1 - x``; they are never clamped. augkit marks those outside the canvas invisible;
* under affine and perspective warps, masks are warped with nearest neighbour (exactly the
  pixels torchvision's ``affine_mask`` / ``rotate_mask`` / ``perspective_mask`` pick), boxes
  become the enclosing box of their four moved corners, clamped (empty ones dropped), and
  keypoints move as points.

Masks are numpy ``[H, W]`` / ``[H, W, M]`` arrays or ``[..., H, W]`` tensors; boxes and
keypoints are numpy arrays or tensors. Every kernel returns a new object of the input's kind.
"""

from __future__ import annotations

import functools

import numpy as np
import torch

from augkit.functional import warping as A
from augkit.functional._sampling import nearest_indices, padded_indices
from augkit.targets import Boxes, Keypoints

try:
    import cv2
except ImportError:  # pragma: no cover - OpenCV comes with albumentations, a dependency
    cv2 = None  # type: ignore[assignment]


def _is_tensor(x) -> bool:
    return isinstance(x, torch.Tensor)


def _mask_axes(mask) -> tuple[int, int]:
    """The (row, column) axes of a mask: numpy masks are HW[M], tensors [..., H, W]."""
    return (-2, -1) if _is_tensor(mask) else (0, 1)


def mask_size(mask) -> tuple[int, int]:
    """``(height, width)`` of a mask."""
    rows, cols = _mask_axes(mask)
    return int(mask.shape[rows]), int(mask.shape[cols])


def flip_mask(mask, horizontal: bool = True):
    """Mirror a mask left-right (or top-bottom)."""
    axis = _mask_axes(mask)[1 if horizontal else 0]
    if _is_tensor(mask):
        return mask.flip(axis)
    return np.ascontiguousarray(np.flip(mask, axis))


def crop_mask(mask, top: int, left: int, height: int, width: int, fill: int = 0, padding_mode: str = "constant"):
    """The ``height x width`` window of a mask at ``(top, left)``; outside the mask is ``fill``.

    With ``padding_mode`` ``"edge"``, ``"reflect"`` or ``"symmetric"`` the outside is taken
    from the mask as for the image (torchvision pads masks with the image's mode).
    """
    rows, cols = _mask_axes(mask)
    h, w = mask_size(mask)
    if padding_mode != "constant":
        row_index, col_index = padded_indices(top, height, h, padding_mode), padded_indices(left, width, w, padding_mode)
        if _is_tensor(mask):
            r = torch.from_numpy(row_index).to(mask.device)
            c = torch.from_numpy(col_index).to(mask.device)
            return mask.index_select(-2, r).index_select(-1, c)
        return np.ascontiguousarray(mask[row_index][:, col_index])
    out: np.ndarray | torch.Tensor
    if _is_tensor(mask):
        out = torch.full((*mask.shape[:-2], height, width), fill, dtype=mask.dtype, device=mask.device)
    else:
        out = np.full((height, width, *mask.shape[2:]), fill, dtype=mask.dtype)
    src_top, src_left = max(top, 0), max(left, 0)
    src_bottom, src_right = min(top + height, h), min(left + width, w)
    if src_bottom > src_top and src_right > src_left:
        if _is_tensor(mask):
            out[..., src_top - top : src_bottom - top, src_left - left : src_right - left] = mask[
                ..., src_top:src_bottom, src_left:src_right
            ]
        else:
            out[src_top - top : src_bottom - top, src_left - left : src_right - left] = mask[src_top:src_bottom, src_left:src_right]
    return out


def resize_mask(mask, size: tuple[int, int]):
    """Resize a mask to ``size`` with nearest neighbour (values are copied, never blended).

    The source pixels are torch's ``"nearest"`` ones (``nearest_indices``); see
    ``resize_crop_mask`` for how they are gathered.
    """
    h, w = mask_size(mask)
    if (h, w) == tuple(size):
        return mask
    return resize_crop_mask(mask, size, 0, 0, int(size[0]), int(size[1]))


def resize_crop_mask(mask, size: tuple[int, int], top: int, left: int, height: int, width: int, fill: int = 0):
    """Return ``crop_mask(resize_mask(mask, size), top, left, height, width, fill)``, gathering only the window.

    The nearest-neighbour source index of every kept row and column is computed directly
    (the window's slice of ``nearest_indices``), so the result is exactly the resize-then-crop
    one, at the cost of the window. Pixels of the window outside the resized mask are
    ``fill``. On numpy (and CPU tensor) masks, columns go through OpenCV's ``INTER_NEAREST``
    when it picks torch's source columns for that pair of widths (checked per pair; it does
    for most), else through ``numpy.take``; rows are whole-row copies.

    Args:
        mask: ``[H, W]`` / ``[H, W, M]`` array or ``[..., H, W]`` tensor, any dtype.
        size: ``(height, width)`` of the (virtual) resized mask.
        top: Row of the window in the resized mask (may be negative: filled).
        left: Column of the window in the resized mask (may be negative: filled).
        height: Window height.
        width: Window width.
        fill: Value of window pixels outside the resized mask.

    Returns:
        The ``height x width`` window, same kind and dtype as ``mask``.

    Example:
        >>> mask = np.arange(12, dtype=np.uint8).reshape(3, 4)
        >>> resize_crop_mask(mask, (6, 8), 1, 5, 3, 4, fill=99).tolist()
        [[2, 3, 3, 99], [6, 7, 7, 99], [6, 7, 7, 99]]
    """
    rows_axis, cols_axis = _mask_axes(mask)
    out_h, out_w = int(size[0]), int(size[1])
    row_start, row_stop = min(max(top, 0), out_h), min(max(top + height, 0), out_h)
    col_start, col_stop = min(max(left, 0), out_w), min(max(left + width, 0), out_w)
    inside = row_stop > row_start and col_stop > col_start
    whole = inside and (row_start, row_stop, col_start, col_stop) == (top, top + height, left, left + width)
    window = (row_start, row_stop, col_start, col_stop)
    if _is_tensor(mask):
        tensor_region = _tensor_window(mask, (out_h, out_w), window) if inside else None
        if whole:
            return tensor_region
        filled = torch.full((*mask.shape[:-2], height, width), fill, dtype=mask.dtype, device=mask.device)
        if tensor_region is not None:
            filled[..., row_start - top : row_stop - top, col_start - left : col_stop - left] = tensor_region
        return filled
    region = _array_window(mask, (out_h, out_w), window) if inside else None
    if whole:
        return region
    out = np.full((height, width, *mask.shape[2:]), fill, dtype=mask.dtype)
    if region is not None:
        out[row_start - top : row_stop - top, col_start - left : col_stop - left] = region
    return out


def _tensor_window(mask: torch.Tensor, size: tuple[int, int], window: tuple[int, int, int, int]) -> torch.Tensor:
    """The window (inside the resized mask) of a ``[..., H, W]`` tensor mask."""
    if mask.device.type == "cpu" and not mask.requires_grad:
        h, w = mask.shape[-2:]
        planes = [_array_window(plane.numpy(), size, window) for plane in mask.reshape(-1, h, w)]
        if mask.ndim == 2:
            return torch.from_numpy(planes[0])
        return torch.from_numpy(np.stack(planes)).reshape(*mask.shape[:-2], *planes[0].shape)
    row_start, row_stop, col_start, col_stop = window
    h, w = mask.shape[-2:]
    rows = torch.from_numpy(nearest_indices(h, size[0])[row_start:row_stop]).to(mask.device)
    cols = torch.from_numpy(nearest_indices(w, size[1])[col_start:col_stop]).to(mask.device)
    return mask.index_select(-2, rows).index_select(-1, cols)


def _array_window(mask: np.ndarray, size: tuple[int, int], window: tuple[int, int, int, int]) -> np.ndarray:
    """The window (inside the resized mask) of an ``[H, W]`` / ``[H, W, M]`` array, as a new contiguous array."""
    row_start, row_stop, col_start, col_stop = window
    in_h, in_w = mask.shape[:2]
    out_h, out_w = size
    if (
        (row_start, row_stop, col_start, col_stop) == (0, out_h, 0, out_w)
        and _opencv_nearest(mask, in_h, out_h)
        and _opencv_nearest(mask, in_w, out_w)
    ):
        return _opencv_resize(mask, out_h, out_w)
    rows = nearest_indices(in_h, out_h)[row_start:row_stop]
    first, last = int(rows[0]), int(rows[-1]) + 1
    region = mask[first:last]
    rows = rows - first
    rows_taken = len(rows) < last - first
    if rows_taken:  # fewer rows out than in: drop rows before gathering columns
        region = np.take(region, rows, axis=0)
    if in_w != out_w:
        if _opencv_nearest(region, in_w, out_w):
            region = _opencv_resize(region, region.shape[0], out_w)[:, col_start:col_stop]
        else:
            region = np.take(region, nearest_indices(in_w, out_w)[col_start:col_stop], axis=1)
    else:
        region = region[:, col_start:col_stop]
    if not rows_taken and not (len(rows) == region.shape[0] and in_h == out_h):
        region = np.take(region, rows, axis=0)
    return np.ascontiguousarray(region)


#: OpenCV keeps at most this many channels per pixel (``CV_CN_MAX``).
_OPENCV_MAX_CHANNELS = 512


def _opencv_nearest(mask: np.ndarray, n_in: int, n_out: int) -> bool:
    """True when OpenCV's ``INTER_NEAREST`` gives torch's ``"nearest"`` pixels along an axis ``n_in -> n_out`` of ``mask``."""
    if cv2 is None or n_in == 0 or mask.size == 0:
        return False
    channels = mask.dtype.itemsize * (int(np.prod(mask.shape[2:])) if mask.ndim > 2 else 1)
    if channels > _OPENCV_MAX_CHANNELS or max(mask.shape[0], mask.shape[1], n_out) >= 1 << 15:
        return False
    return _opencv_picks_torch_indices(n_in, n_out) and _opencv_is_exact()


@functools.lru_cache(maxsize=4096)
def _opencv_picks_torch_indices(n_in: int, n_out: int) -> bool:
    """Whether OpenCV's nearest source indices along an axis equal torch's for this pair of lengths.

    OpenCV's ``resizeNN`` takes ``min(floor(i * (1 / (n_out / n_in))), n_in - 1)`` in float64,
    torch ``min(floor(i * (n_in / n_out)), n_in - 1)`` in float32: they differ where the
    product falls next to a whole number (about one pair of lengths in ten).
    """
    inverse = 1.0 / (n_out / n_in)
    opencv = np.minimum(np.floor(np.arange(n_out, dtype=np.float64) * inverse).astype(np.int64), n_in - 1)
    return bool(np.array_equal(opencv, nearest_indices(n_in, n_out)))


def _opencv_is_exact() -> bool:
    """OpenCV resamples nearest-neighbour itself (IPP's inexact resize is off) and was found exact here."""
    return not cv2.ipp.useIPP_NotExact() and _opencv_checked()


@functools.lru_cache(maxsize=1)
def _opencv_checked() -> bool:
    """Check once, on small masks of 1 to 8 bytes per pixel, that OpenCV picks the indices ``resizeNN`` does."""
    sizes = [(7, 11, 3, 29), (45, 37, 91, 80), (64, 48, 200, 150), (33, 50, 17, 21)]
    for in_h, in_w, out_h, out_w in sizes:
        if not (_opencv_picks_torch_indices(in_h, out_h) and _opencv_picks_torch_indices(in_w, out_w)):
            continue  # pragma: no cover - these pairs agree
        for dtype, channels in ((np.uint8, 1), (np.uint8, 3), (np.int16, 1), (np.int32, 2), (np.int64, 1)):
            mask = np.arange(in_h * in_w * channels, dtype=np.int64).reshape(in_h, in_w, channels).astype(dtype)
            expected = mask[nearest_indices(in_h, out_h)][:, nearest_indices(in_w, out_w)]
            if not np.array_equal(_opencv_resize(mask, out_h, out_w), expected):
                return False
    return True


def _opencv_resize(mask: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """``cv2.resize(INTER_NEAREST)`` of a mask of any dtype, its pixels seen as bytes."""
    mask = np.ascontiguousarray(mask)
    in_h, in_w = mask.shape[:2]
    pixel_bytes = mask.dtype.itemsize * (int(np.prod(mask.shape[2:])) if mask.ndim > 2 else 1)
    as_bytes = mask.view(np.uint8).reshape(in_h, in_w, pixel_bytes) if pixel_bytes > 1 or mask.dtype != np.uint8 else mask
    out = cv2.resize(as_bytes, (out_w, out_h), interpolation=cv2.INTER_NEAREST)
    return out.reshape(out_h, out_w, pixel_bytes).view(mask.dtype).reshape(out_h, out_w, *mask.shape[2:])


def resized_crop_mask(mask, top: int, left: int, height: int, width: int, size: tuple[int, int]):
    """Crop a mask's window, then resize it (``RandomResizedCrop``)."""
    return resize_mask(crop_mask(mask, top, left, height, width), size)


def _clamp_boxes(xyxy, height: int, width: int):
    if _is_tensor(xyxy):
        out = xyxy.clone()
        out[:, 0::2] = out[:, 0::2].clamp(0, width)
        out[:, 1::2] = out[:, 1::2].clamp(0, height)
        return out
    out = np.array(xyxy, dtype=np.float32, copy=True)
    out[:, 0::2] = np.clip(out[:, 0::2], 0, width)
    out[:, 1::2] = np.clip(out[:, 1::2], 0, height)
    return out


def _visible(xyxy):
    """Boxes with a positive area (any part inside the canvas after clamping)."""
    return (xyxy[:, 2] > xyxy[:, 0]) & (xyxy[:, 3] > xyxy[:, 1])


def _area(xyxy):
    return (xyxy[:, 2] - xyxy[:, 0]) * (xyxy[:, 3] - xyxy[:, 1])


def _reference_before_clamp(boxes: Boxes, xyxy):
    """The reference areas of boxes about to be clamped: kept when known, else their area now (unclamped)."""
    return boxes.reference_area if boxes.reference_area is not None else _area(xyxy)


def flip_boxes(boxes: Boxes, size: tuple[int, int], horizontal: bool = True) -> Boxes:
    """Mirror boxes on a ``size = (height, width)`` canvas: ``x -> W - x`` (or ``y -> H - y``)."""
    xyxy = boxes.xyxy
    out = xyxy.clone() if _is_tensor(xyxy) else xyxy.copy()
    if horizontal:
        out[:, 0], out[:, 2] = size[1] - xyxy[:, 2], size[1] - xyxy[:, 0]
    else:
        out[:, 1], out[:, 3] = size[0] - xyxy[:, 3], size[0] - xyxy[:, 1]
    return boxes.replace(out)


def crop_boxes(boxes: Boxes, top: int, left: int, height: int, width: int) -> Boxes:
    """Move boxes into a crop window, clamp them to it and drop those left with no area.

    Boxes keep their labels; a box is kept while any of it is visible (a stricter filter is
    ``augkit.BoxFilter``).
    """
    xyxy = boxes.xyxy
    offset = [left, top, left, top]
    shift = torch.tensor(offset, dtype=xyxy.dtype, device=xyxy.device) if _is_tensor(xyxy) else np.array(offset, np.float32)
    unclamped = xyxy - shift
    moved = _clamp_boxes(unclamped, height, width)
    return boxes.replace(moved, _visible(moved), _reference_before_clamp(boxes, unclamped))


def resize_boxes(boxes: Boxes, size_in: tuple[int, int], size_out: tuple[int, int]) -> Boxes:
    """Scale boxes from a ``size_in`` canvas to ``size_out`` and clamp them to it.

    Reference areas (``Boxes.reference_area``) are scaled by the same factors (set to the
    scaled areas, before clamping, when None).
    """
    if tuple(size_in) == tuple(size_out):
        return boxes
    ratios = [size_out[1] / size_in[1], size_out[0] / size_in[0]] * 2
    xyxy = boxes.xyxy
    if _is_tensor(xyxy):
        scaled = xyxy.mul(torch.tensor(ratios, device=xyxy.device)).to(xyxy.dtype)
    else:
        scaled = (xyxy.astype(np.float32) * np.array(ratios, np.float32)).astype(np.float32)
    reference = _area(scaled) if boxes.reference_area is None else boxes.reference_area * (ratios[0] * ratios[1])
    return boxes.replace(_clamp_boxes(scaled, *size_out), reference_area=reference)


def _with_visibility(keypoints: Keypoints, xy, size: tuple[int, int]) -> Keypoints:
    """Keypoints at ``xy``, marked invisible where they lie outside a ``size`` canvas."""
    height, width = size
    inside = (xy[..., 0] >= 0) & (xy[..., 0] < width) & (xy[..., 1] >= 0) & (xy[..., 1] < height)
    return Keypoints(xy, keypoints.visibility() & inside)


def flip_keypoints(keypoints: Keypoints, size: tuple[int, int], horizontal: bool = True) -> Keypoints:
    """Mirror keypoints: ``x -> W - 1 - x`` (or ``y -> H - 1 - y``), as pixel indices.

    As after every kernel, those outside the canvas are invisible: a flip maps ``[0, W - 1]``
    onto itself, so only a keypoint in the last pixel's right half (``W - 1 < x < W``) leaves it.
    """
    xy = keypoints.xy.clone() if _is_tensor(keypoints.xy) else keypoints.xy.copy()
    axis, length = (0, size[1]) if horizontal else (1, size[0])
    xy[..., axis] = (length - 1) - keypoints.xy[..., axis]
    return _with_visibility(keypoints, xy, size)


def crop_keypoints(keypoints: Keypoints, top: int, left: int, height: int, width: int) -> Keypoints:
    """Move keypoints into a crop window; those outside it become invisible (never dropped)."""
    offset = [left, top]
    xy = keypoints.xy
    shift = torch.tensor(offset, dtype=xy.dtype, device=xy.device) if _is_tensor(xy) else np.array(offset, np.float32)
    return _with_visibility(keypoints, xy - shift, (height, width))


def resize_keypoints(keypoints: Keypoints, size_in: tuple[int, int], size_out: tuple[int, int]) -> Keypoints:
    """Scale keypoints from a ``size_in`` canvas to ``size_out`` (torchvision: ``x * W' / W``)."""
    if tuple(size_in) == tuple(size_out):
        return keypoints
    ratios = [size_out[1] / size_in[1], size_out[0] / size_in[0]]
    xy = keypoints.xy
    if _is_tensor(xy):
        scaled = xy.mul(torch.tensor(ratios, device=xy.device)).to(xy.dtype)
    else:
        scaled = (xy * np.array(ratios, np.float32)).astype(np.float32)
    return _with_visibility(keypoints, scaled, size_out)


def filter_boxes(
    boxes: Boxes, min_visibility: float = 0.0, min_area: float = 0.0, min_width: float = 0.0, min_height: float = 0.0
) -> Boxes:
    """Keep the boxes (and their labels) that are large and visible enough; drop boxes with no area.

    A box is kept when its area is positive and at least ``min_area``, its width and height
    at least ``min_width`` and ``min_height`` (pixels of the current image), and its
    visibility (``Boxes.visibility()``: its area over its area before clipping) at least
    ``min_visibility``: albumentations' ``filter_bboxes`` and torchvision's
    ``SanitizeBoundingBoxes`` (``min_size`` is ``min_width = min_height``) criteria.

    Args:
        boxes: The boxes.
        min_visibility: Smallest fraction of a box's area that must be left, in [0, 1].
        min_area: Smallest area in pixels.
        min_width: Smallest width in pixels.
        min_height: Smallest height in pixels.

    Returns:
        The kept boxes, in order, with their labels and reference areas.

    Example:
        >>> cropped = crop_boxes(Boxes([[0, 0, 10, 10], [8, 0, 18, 10]], labels=[1, 2]), 0, 0, 10, 10)
        >>> cropped.visibility().tolist()
        [1.0, 0.20000000298023224]
        >>> filter_boxes(cropped, min_visibility=0.5).labels.tolist()
        [1]
    """
    xyxy = boxes.xyxy
    width, height = xyxy[:, 2] - xyxy[:, 0], xyxy[:, 3] - xyxy[:, 1]
    area = width * height
    keep = (width > 0) & (height > 0) & (area >= min_area) & (width >= min_width) & (height >= min_height)
    if min_visibility > 0:
        keep = keep & (boxes.visibility() >= min_visibility)
    return boxes.replace(xyxy, keep)


# ---------------------------------------------------------------------------------------- warps


def affine_mask(mask, angle, translate=(0.0, 0.0), scale=1.0, shear=(0.0, 0.0), center=None, fill: int = 0):
    """Warp a mask like ``augkit.functional.warping.affine`` with nearest neighbour (values copied, never blended)."""
    return A.affine(mask, angle, translate, scale, shear, "nearest", fill, center)


def rotate_mask(mask, angle, expand: bool = False, center=None, fill: int = 0):
    """Rotate a mask like ``augkit.functional.warping.rotate`` with nearest neighbour."""
    return A.rotate(mask, angle, "nearest", expand, center, fill)


def perspective_mask(mask, coefficients, fill: int = 0):
    """Warp a mask like ``augkit.functional.warping.perspective`` with nearest neighbour."""
    return A.perspective(mask, coefficients, "nearest", fill)


def target_affine_matrix(size: tuple[int, int], angle, translate=(0.0, 0.0), scale=1.0, shear=(0.0, 0.0), center=None) -> np.ndarray:
    """The ``2 x 3`` input-to-output matrix that moves points under ``F.affine`` (torchvision's target kernels).

    Args:
        size: The image's ``(height, width)``.
        angle, translate, scale, shear: As ``augkit.functional.warping.affine`` (one sample).
        center: ``(x, y)`` of the rotation, or None for ``(W / 2, H / 2)``.

    Returns:
        A ``[2, 3]`` float64 matrix.
    """
    height, width = size
    if center is None:
        center = (width * 0.5, height * 0.5)
    return A.affine_matrix(center, angle, translate, scale, shear, inverted=False)


def _points_as_numpy(xy) -> np.ndarray:
    return xy.detach().cpu().numpy().astype(np.float64) if _is_tensor(xy) else np.asarray(xy, dtype=np.float64)


def _like(values: np.ndarray, reference):
    """float64 results back to float32, as a tensor on ``reference``'s device when it is one."""
    out = values.astype(np.float32)
    return torch.from_numpy(out).to(reference.device) if _is_tensor(reference) else out


def _map_affine(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    m = np.asarray(matrix, dtype=np.float64)
    return points @ m[:, :2].T + m[:, 2]


def _map_perspective(points: np.ndarray, coefficients) -> np.ndarray:
    c = A.inverse_perspective(coefficients)
    x, y = points[..., 0], points[..., 1]
    denom = c[6] * x + c[7] * y + 1.0
    return np.stack([(c[0] * x + c[1] * y + c[2]) / denom, (c[3] * x + c[4] * y + c[5]) / denom], axis=-1)


def _corner_boxes(boxes: Boxes, mapping, size: tuple[int, int]) -> Boxes:
    """Boxes enclosing the mapped corners of ``boxes``, clamped to ``size``; empty ones dropped."""
    xyxy = _points_as_numpy(boxes.xyxy)
    corners = xyxy[:, [[0, 1], [2, 1], [2, 3], [0, 3]]]  # [N, 4, 2]
    moved = mapping(corners.reshape(-1, 2)).reshape(-1, 4, 2)
    enclosing = _like(np.concatenate([moved.min(axis=1), moved.max(axis=1)], axis=1), boxes.xyxy)
    clamped = _clamp_boxes(enclosing, *size)
    # Visibility stays relative to the box before any clipping: scaled by how the warp grew the box.
    before = _area(boxes.xyxy)
    grown = _area(enclosing) / (before + (before == 0))
    reference = _area(enclosing) if boxes.reference_area is None else boxes.reference_area * grown
    return boxes.replace(clamped, _visible(clamped), reference_area=reference)


def _moved_keypoints(keypoints: Keypoints, mapping, size: tuple[int, int]) -> Keypoints:
    xy = _points_as_numpy(keypoints.xy)
    moved = mapping(xy.reshape(-1, 2)).reshape(xy.shape)
    return _with_visibility(keypoints, _like(moved, keypoints.xy), size)


def affine_boxes(boxes: Boxes, matrix, size: tuple[int, int], offset: tuple[float, float] = (0.0, 0.0)) -> Boxes:
    """Move boxes by an input-to-output affine ``matrix``: the enclosing box of the 4 moved corners.

    torchvision's ``affine_bounding_boxes``: boxes are clamped to the output ``size`` and, as
    everywhere in augkit, those left with no area are dropped (with their labels).

    Args:
        boxes: The boxes.
        matrix: ``[2, 3]`` input-to-output matrix (``target_affine_matrix``).
        size: Output ``(height, width)``.
        offset: Subtracted from moved points (``rotate(expand=True)`` moves the canvas).

    Returns:
        The moved boxes.

    Example:
        >>> shift = np.array([[1.0, 0.0, 5.0], [0.0, 1.0, 0.0]])
        >>> affine_boxes(Boxes([[0, 0, 4, 4], [8, 0, 10, 2]]), shift, (10, 10)).xyxy.tolist()
        [[5.0, 0.0, 9.0, 4.0]]
    """
    return _corner_boxes(boxes, lambda p: _map_affine(p, matrix) - np.asarray(offset, dtype=np.float64), size)


def affine_keypoints(keypoints: Keypoints, matrix, size: tuple[int, int], offset: tuple[float, float] = (0.0, 0.0)) -> Keypoints:
    """Move keypoints by an input-to-output affine ``matrix``; those leaving ``size`` become invisible."""
    return _moved_keypoints(keypoints, lambda p: _map_affine(p, matrix) - np.asarray(offset, dtype=np.float64), size)


def perspective_boxes(boxes: Boxes, coefficients, size: tuple[int, int]) -> Boxes:
    """Move boxes by a perspective warp given by its output-to-input ``coefficients`` (torchvision's semantics)."""
    return _corner_boxes(boxes, lambda p: _map_perspective(p, coefficients), size)


def perspective_keypoints(keypoints: Keypoints, coefficients, size: tuple[int, int]) -> Keypoints:
    """Move keypoints by a perspective warp; those leaving ``size`` become invisible."""
    return _moved_keypoints(keypoints, lambda p: _map_perspective(p, coefficients), size)


def rotation_offset(matrix, size: tuple[int, int]) -> tuple[float, float]:
    """Where ``rotate(expand=True)`` puts the canvas origin: the least moved corner of the input, per axis."""
    height, width = size
    corners = np.array([[0.0, 0.0], [0.0, height], [width, height], [width, 0.0]])
    low = _map_affine(corners, matrix).min(axis=0)
    return float(low[0]), float(low[1])
