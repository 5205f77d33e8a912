"""Geometry kernels: crop (with fill outside the image), resize, flips.

Arrays are HWC (sample stage); tensors are ``[..., C, H, W]`` (either stage).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from augkit import _memory
from augkit._image import Image, flatten_leading, per_sample
from augkit.functional._sampling import PADDING_MODES as PADDING_MODES  # how crops fill outside the image
from augkit.functional._sampling import nearest_indices, padded_indices, read_only_tensor

try:
    import cv2
except ImportError:  # pragma: no cover - OpenCV comes with albumentations, a dependency
    cv2 = None  # type: ignore[assignment]

try:  # augkit's optional C kernel: any window of torch's uint8 resize, from the input it reads
    from augkit import _resize as _native
except ImportError:  # pragma: no cover - built wherever a C compiler is available
    _native = None  # type: ignore[assignment]

_CV2_FLIP_DTYPES = (np.dtype(np.uint8), np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.int16), np.dtype(np.uint16))


#: Interpolations of the resizing kernels.
RESIZE_INTERPOLATIONS = ("nearest", "bilinear", "bicubic")


def crop(
    image: np.ndarray, top: int, left: int, height: int, width: int, fill: float | np.ndarray = 0, padding_mode: str = "constant"
) -> np.ndarray:
    """Return the ``height x width`` window at ``(top, left)`` of an HWC array.

    The window may extend past the image (``top`` or ``left`` negative, or beyond the far
    edge): pixels outside are ``fill`` (``padding_mode="constant"``) or taken from the image
    as torchvision's ``pad`` does for ``"edge"``, ``"reflect"`` and ``"symmetric"``. A window
    inside the image is a view, not a copy.

    Args:
        image: HWC array (or an ``[H, W]`` / ``[H, W, M]`` mask).
        top: Row of the window's top edge (may be negative).
        left: Column of the window's left edge (may be negative).
        height: Window height, > 0.
        width: Window width, > 0.
        fill: Value of pixels outside the image (constant padding): one value, or one per channel.
        padding_mode: ``"constant"``, ``"edge"``, ``"reflect"`` or ``"symmetric"``.

    Returns:
        The ``(height, width, C)`` window, same dtype.

    Example:
        >>> crop(np.ones((2, 2, 1), np.uint8), -1, 0, 3, 2)[:, :, 0].tolist()
        [[0, 0], [1, 1], [1, 1]]
    """
    h, w = image.shape[:2]
    if 0 <= top and 0 <= left and top + height <= h and left + width <= w:
        return image[top : top + height, left : left + width]
    if padding_mode != "constant":
        rows, cols = padded_indices(top, height, h, padding_mode), padded_indices(left, width, w, padding_mode)
        return np.ascontiguousarray(image[rows][:, cols])
    out = np.full((height, width) + image.shape[2:], fill, dtype=image.dtype)
    src_top, src_left = max(top, 0), max(left, 0)
    src_bottom, src_right = min(top + height, h), min(left + width, w)
    if src_bottom > src_top and src_right > src_left:
        out[src_top - top : src_bottom - top, src_left - left : src_right - left] = image[src_top:src_bottom, src_left:src_right]
    return out


def resize(image: np.ndarray, size: tuple[int, int], antialias: bool = True, interpolation: str = "bilinear") -> np.ndarray:
    """Resize an HWC array, antialiased when shrinking (bilinear and bicubic).

    Bilinear equals torchvision v2 ``Resize(antialias=True)`` on uint8 (bit for bit) and
    float32, bicubic equals ``Resize(interpolation=BICUBIC)``, and nearest picks the source
    pixels of torchvision's ``NEAREST``, for any dtype. Any channel count works. uint16 (and
    other integer) images are resampled in float64 and rounded to the nearest value (bicubic
    clamped to the dtype's range).

    Args:
        image: HWC array, uint8, uint16 or float.
        size: Output ``(height, width)``.
        antialias: Low-pass filter when shrinking (True matches torchvision and PIL);
            nearest ignores it, as torchvision does.
        interpolation: ``"bilinear"``, ``"bicubic"`` or ``"nearest"``.

    Returns:
        The resized HWC array, same dtype; the input itself when the size is unchanged.

    Example:
        >>> resize(np.zeros((4, 6, 3), np.uint8), (2, 3)).shape
        (2, 3, 3)

    Notes:
        uint8 bilinear resizes of 1 to 4 channels run in augkit's C kernel (``augkit._resize``)
        when it is built, the others in torch's kernels writing channels-last memory (see
        docs/benchmarks.md).
    """
    height, width = size
    if interpolation not in RESIZE_INTERPOLATIONS:
        raise ValueError(f"interpolation must be one of {RESIZE_INTERPOLATIONS}, got {interpolation!r}")
    if image.shape[:2] == (height, width):
        return image
    if interpolation == "nearest":
        rows, cols = nearest_indices(image.shape[0], height), nearest_indices(image.shape[1], width)
        return np.ascontiguousarray(image[rows][:, cols])
    dtype = image.dtype
    if interpolation == "bicubic":
        return _resize_torch(image, (height, width), antialias, "bicubic")
    if image.ndim == 3 and image.size and _native_takes(dtype, image.shape[2]):
        out = np.empty((height, width, image.shape[2]), np.uint8)
        _native.resize_window(_rows_of_pixels(image), out, 0, 0, image.shape[0], image.shape[1], height, width, 0, 0, antialias)
        return out
    return _resize_torch(image, (height, width), antialias, "bilinear")


def _resize_torch(image: np.ndarray, size: tuple[int, int], antialias: bool, mode: str) -> np.ndarray:
    """Resize with torch's bilinear or bicubic kernel (uint8 and float32 natively, others via float)."""
    dtype = image.dtype
    integer = np.issubdtype(dtype, np.integer)
    if dtype != np.uint8 and dtype != np.float32:
        # uint16 and other integers resample in float64 (exact for 16-bit samples), then round.
        image = image.astype(np.float64 if integer else np.float32)
    out = _interpolate_hwc(image, size, antialias, mode)
    if out.dtype == dtype:
        return out
    if integer:
        limits = np.iinfo(dtype)
        return np.clip(np.rint(out), limits.min, limits.max).astype(dtype)
    return out.astype(dtype)


def _native_takes(dtype, channels: int) -> bool:
    """True when augkit's C kernel (``augkit._resize``) is built and resamples this kind of image."""
    return _native is not None and np.dtype(dtype) == np.uint8 and 1 <= channels <= 4


def _rows_of_pixels(image: np.ndarray) -> np.ndarray:
    """``image``, or a contiguous copy unless its rows are runs of whole pixels (the C kernel's layout)."""
    channels = image.shape[2]
    if image.strides[1:] == (channels, 1) and image.strides[0] >= image.shape[1] * channels:
        return image
    return np.ascontiguousarray(image)


def resize_crop(
    image: np.ndarray, size: tuple[int, int], top: int, left: int, height: int, width: int, antialias: bool = True, fill: float = 0
) -> np.ndarray:
    """Return ``crop(resize(image, size), top, left, height, width, fill)``, resampling only kept pixels.

    The window is computed from the input region it depends on only. uint8 images with 1 to 4
    channels give exactly the pixels of resizing the whole image and cropping afterwards when
    augkit's C kernel (``augkit._resize``) is built; otherwise float32 results are within
    float32 rounding of resize-then-crop, and uint8 results are identical except for about one
    value in 10^6, off by one level.

    Args:
        image: HWC array, uint8 or float32.
        size: ``(height, width)`` of the (virtual) resized image.
        top: Row of the window in the resized image (may be negative: filled).
        left: Column of the window in the resized image (may be negative: filled).
        height: Window height, > 0.
        width: Window width, > 0.
        antialias: Low-pass filter when shrinking, as ``resize``.
        fill: Value of pixels outside the resized image.

    Returns:
        The ``(height, width, C)`` window, same dtype.

    Example:
        >>> image = np.arange(60 * 50 * 3, dtype=np.uint8).reshape(60, 50, 3)
        >>> fused = resize_crop(image, (40, 33), 5, 7, 20, 20)
        >>> bool((fused == crop(resize(image, (40, 33)), 5, 7, 20, 20)).all())
        True

    Notes:
        The C kernel reads only the rows and columns the window's filters span. Without it,
        torch resamples a region starting at an output index ``k`` whose input position
        ``k * in / out`` is a whole pixel, so the region's sampling grid is the full resize's;
        its float32 results differed from resize-then-crop by at most 2.5e-5 on the sample
        photos, and torch's uint8 kernel picks its fixed-point weight precision from the pixels
        it computes (hence the rare one-level differences). The saving grows as the window
        shrinks against the resized image (docs/benchmarks.md).
    """
    channels = image.shape[2] if image.ndim == 3 else 0
    plan = _resize_crop_plan(image.shape[:2], size, top, left, height, width, antialias, image.dtype, channels)
    if plan is None or image.dtype not in (np.uint8, np.float32):
        return crop(resize(image, size, antialias), top, left, height, width, fill)
    return _resize_crop_region(image[plan.rows, plan.cols], plan)


@dataclass(frozen=True)
class _ResizeCropPlan:
    """The input region a fused resize-crop reads, and how to resample it.

    Attributes:
        rows: Input rows ``slice(start, stop)`` the window depends on.
        cols: Input columns, likewise.
        in_size: ``(height, width)`` of the whole input image.
        size: ``(height, width)`` of the (virtual) resized image.
        window: ``(top, left, height, width)`` of the output in the resized image.
        antialias: Low-pass filter when shrinking.
        native: True when augkit's C kernel resamples the region (the tightest one), False
            when torch does (a region starting on the resize's sampling grid).
        grid: For torch: ``(first row, rows, first column, columns)`` of the region's
            resize on the full resize's grid; None for the C kernel.
    """

    rows: slice
    cols: slice
    in_size: tuple[int, int]
    size: tuple[int, int]
    window: tuple[int, int, int, int]
    antialias: bool
    native: bool
    grid: tuple[int, int, int, int] | None = None


def _resize_crop_plan(
    in_size: tuple[int, int],
    size: tuple[int, int],
    top: int,
    left: int,
    height: int,
    width: int,
    antialias: bool = True,
    dtype=np.uint8,
    channels: int = 3,
) -> _ResizeCropPlan | None:
    """Plan ``resize_crop`` for an input of ``in_size``; None when it must resize the whole image.

    Args:
        in_size: ``(height, width)`` of the input image.
        size, top, left, height, width, antialias: As ``resize_crop``.
        dtype: The input's dtype.
        channels: The input's channel count.

    Returns:
        The plan (its ``rows`` and ``cols`` are all of the input the window depends on), or
        None when the window leaves the resized image, the size is unchanged, or torch
        resizes to a width of 1 (its result then depends on every row).
    """
    (in_h, in_w), (out_h, out_w) = in_size, size
    inside = 0 <= top and 0 <= left and 0 < height and 0 < width and top + height <= out_h and left + width <= out_w
    if not inside or (in_h, in_w) == (out_h, out_w):
        return None
    if out_w == 1 and not _native_takes(dtype, channels):
        return None  # torch's resize to one column mixes rows beyond the filter's support: resize whole
    window = (top, left, height, width)
    if _native_takes(dtype, channels):
        rows, cols = _resize_window_region(in_size, size, top, left, height, width, antialias)
        return _ResizeCropPlan(rows, cols, (in_h, in_w), (out_h, out_w), window, antialias, True)
    (y0, y1, ky, oh), (x0, x1, kx, ow) = (
        _axis_region(in_h, out_h, top, height, antialias),
        _axis_region(in_w, out_w, left, width, antialias),
    )
    return _ResizeCropPlan(slice(y0, y1), slice(x0, x1), (in_h, in_w), (out_h, out_w), window, antialias, False, (ky, oh, kx, ow))


def _resize_crop_region(region: np.ndarray, plan: _ResizeCropPlan) -> np.ndarray:
    """Finish a planned ``resize_crop`` from the input region ``image[plan.rows, plan.cols]``.

    Args:
        region: HWC uint8 or float32 pixels of the planned rows and columns.
        plan: What ``_resize_crop_plan`` returned.

    Returns:
        The ``(height, width, C)`` window.
    """
    top, left, height, width = plan.window
    if plan.native:
        out = np.empty((height, width, region.shape[2]), np.uint8)
        _native.resize_window(
            _rows_of_pixels(region), out, plan.rows.start, plan.cols.start, *plan.in_size, *plan.size, top, left, plan.antialias
        )
        return out
    (in_h, in_w), (out_h, out_w) = plan.in_size, plan.size
    if plan.grid is None:  # pragma: no cover - _resize_crop_plan gives every torch plan a grid
        raise ValueError("a plan for torch's kernel needs its grid")
    ky, oh, kx, ow = plan.grid
    scales = (_scale_factor(in_h, out_h), _scale_factor(in_w, out_w))
    out = _bilinear_hwc(region, (oh, ow), plan.antialias, scales)
    return out[top - ky : top - ky + height, left - kx : left - kx + width]


def _resize_window_region(
    in_size: tuple[int, int], size: tuple[int, int], top: int, left: int, height: int, width: int, antialias: bool = True
) -> tuple[slice, slice]:
    """Input rows and columns that a window of ``resize(image, size, antialias)`` reads (uint8).

    torch's uint8 kernel (and ``augkit._resize``) computes output ``i`` of an axis from the
    inputs ``[xmin, xmin + xsize)`` its filter spans; an axis whose size is unchanged is not
    resampled. The region is the union of those spans over the window.

    Args:
        in_size: ``(height, width)`` of the input image.
        size: ``(height, width)`` of the resized image.
        top, left, height, width: The window, inside the resized image.
        antialias: As ``resize``.

    Returns:
        ``(rows, cols)`` slices of the input.

    Example:
        >>> _resize_window_region((500, 375), (341, 256), 100, 20, 224, 224)
        (slice(146, 476, None), slice(29, 358, None))
    """
    (y0, y1), (x0, x1) = _axis_span(in_size[0], size[0], top, height, antialias), _axis_span(in_size[1], size[1], left, width, antialias)
    return slice(y0, y1), slice(x0, x1)


def _axis_span(n_in: int, n_out: int, first: int, count: int, antialias: bool) -> tuple[int, int]:
    """Inputs ``[start, stop)`` read by outputs ``[first, first + count)`` of torch's uint8 resize of one axis.

    Mirrors torch's ``_compute_indices_min_size_weights(_aa)`` bounds (``xmin`` and ``xsize``,
    both non-decreasing in the output index) in the same double arithmetic.
    """
    if n_in == n_out:
        return first, first + count
    scale = n_in / n_out
    last = first + count - 1
    if antialias:
        support = scale if scale >= 1.0 else 1.0
        taps = math.ceil(support) * 2 + 1
        xmin = max(int(scale * (first + 0.5) - support + 0.5), 0)
        end_min = max(int(scale * (last + 0.5) - support + 0.5), 0)
        end = min(int(scale * (last + 0.5) + support + 0.5), n_in)
        return xmin, end_min + min(max(end - end_min, 0), taps)
    start = min(math.floor(np.float32(max(scale * (first + 0.5) - 0.5, 0.0))), n_in - 1)
    end = min(math.floor(np.float32(max(scale * (last + 0.5) - 0.5, 0.0))), n_in - 1)
    return start, min(end + 2, n_in)


def _bilinear_hwc(image: np.ndarray, size: tuple[int, int], antialias: bool, scales=(None, None)) -> np.ndarray:
    """Run torch's bilinear kernel on an HWC array into a new HWC (channels-last) array."""
    return _interpolate_hwc(image, size, antialias, "bilinear", scales)


_KERNELS = {
    ("bilinear", True): "_upsample_bilinear2d_aa",
    ("bilinear", False): "upsample_bilinear2d",
    ("bicubic", True): "_upsample_bicubic2d_aa",
    ("bicubic", False): "upsample_bicubic2d",
}


def _interpolate_hwc(image: np.ndarray, size: tuple[int, int], antialias: bool, mode: str, scales=(None, None)) -> np.ndarray:
    """Run torch's bilinear or bicubic kernel on an HWC array into a new HWC (channels-last) array.

    Notes:
        Writing into a channels-last output saves the transposing copy back to HWC
        (docs/benchmarks.md).
    """
    kernel = getattr(torch.ops.aten, _KERNELS[mode, bool(antialias)])
    if size[1] == 1 and image.dtype != np.uint8:
        # torch's channels-last float kernel gets an output width of 1 wrong (by up to 0.96 with
        # antialias); its planar kernel is right.
        planes = read_only_tensor(np.ascontiguousarray(image.transpose(2, 0, 1))).unsqueeze(0)
        out = kernel(planes, list(size), False, scales[0], scales[1])
        return np.ascontiguousarray(out[0].permute(1, 2, 0).numpy())
    tensor = read_only_tensor(image).permute(2, 0, 1).unsqueeze(0)
    buffer = np.empty((size[0], size[1], image.shape[2]), image.dtype)
    out = torch.from_numpy(buffer).permute(2, 0, 1).unsqueeze(0)
    kernel.out(tensor, list(size), False, scales[0], scales[1], out=out)
    return buffer


def _scale_factor(n_in: int, n_out: int) -> float:
    """Return the factor ``f`` (near ``out / in``) for which torch's ``1 / f`` is exactly ``in / out``."""
    factor = n_out / n_in
    target = n_in / n_out
    for candidate in (factor, math.nextafter(factor, 0.0), math.nextafter(factor, math.inf)):
        if 1.0 / candidate == target:
            return candidate
    return factor


def _axis_region(n_in: int, n_out: int, first: int, count: int, antialias: bool) -> tuple[int, int, int, int]:
    """Plan one axis of ``resize_crop``: input ``[start, stop)``, first output index, output length.

    Outputs ``[first, first + count)`` of the full resize depend on inputs within ``support``
    of their centres ``(j + 0.5) * in / out``. The region starts at output ``k <= first`` whose
    input position ``k * in / out`` is an integer (``k`` a multiple of ``out / gcd``), so the
    region's sampling grid coincides with the full one.
    """
    scale = n_in / n_out
    support = max(scale, 1.0) if antialias else 1.0
    step = n_out // math.gcd(n_in, n_out)
    low = max(int((first + 0.5) * scale - support) - 1, 0)
    k = (first // step) * step
    while k > 0 and (k // step) * (n_in // math.gcd(n_in, n_out)) > low:
        k -= step
    start = (k // step) * (n_in // math.gcd(n_in, n_out))
    stop = min(int((first + count - 0.5) * scale + support) + 2, n_in)
    length = first + count - k
    if stop - start == length and stop < n_in:
        stop += 1  # torch skips an axis whose input and output lengths are equal: widen
    if length < 2 or stop - start == length:
        # torch also ignores the scale of a length-1 output: take the whole axis.
        start, stop, k, length = 0, n_in, 0, n_out
    return start, stop, k, length


def shorter_side_size(height: int, width: int, shorter: int) -> tuple[int, int]:
    """Return the ``(height, width)`` whose shorter side is ``shorter``, aspect kept.

    The longer side is ``int(shorter * long / short)`` (truncated), as torchvision does.
    """
    if height <= width:
        return shorter, int(shorter * width / height)
    return int(shorter * height / width), shorter


def hflip(image: Image) -> Image:
    """Mirror left-right: an HWC array (returns a contiguous copy) or a ``[..., C, H, W]`` tensor.

    Example:
        >>> hflip(np.arange(3, dtype=np.uint8).reshape(1, 3, 1))[0, :, 0].tolist()
        [2, 1, 0]

    Notes:
        Arrays are flipped with OpenCV when it is installed, else numpy (docs/benchmarks.md).
    """
    if isinstance(image, torch.Tensor):
        return image.flip(-1)
    if cv2 is not None and image.ndim == 3 and image.shape[2] <= 4 and image.dtype in _CV2_FLIP_DTYPES and image.size:
        out = cv2.flip(image, 1)
        return out if out.ndim == 3 else out[:, :, None]
    return np.ascontiguousarray(image[:, ::-1])


def vflip(image: Image) -> Image:
    """Mirror top-bottom: an HWC array (returns a contiguous copy) or a ``[..., C, H, W]`` tensor."""
    if isinstance(image, torch.Tensor):
        return image.flip(-2)
    return np.ascontiguousarray(image[::-1])


def flip_where(batch: torch.Tensor, mask, dim: int) -> torch.Tensor:
    """Flip the images of a ``[..., C, H, W]`` batch where ``mask`` is True, along ``dim``.

    Args:
        batch: ``[..., C, H, W]`` tensor (``[B, C, H, W]`` in the batch stage).
        mask: Bools of the leading shape (``[B]``), or one bool for all.
        dim: -1 for horizontal, -2 for vertical.

    Returns:
        A new batch (the input itself when nothing is flipped).
    """
    flat, leading = flatten_leading(batch)
    flip = per_sample("mask", mask, leading, dtype=bool)
    rows = np.flatnonzero(flip)
    if rows.size == 0:
        return batch
    if flat.device.type == "cpu":
        # On the CPU, flipping one [C, H, W] sample at a time (cache-sized) into a fresh batch
        # is 5-9x faster for uint8 than flipping the gathered sub-batch (measured on
        # [64, 3, 224, 224], both memory layouts); on GPUs the gathered flip is one kernel.
        out = _memory.empty_like(flat)
        for i in range(flat.shape[0]):
            out[i].copy_(flat[i].flip(dim) if flip[i] else flat[i])
        return out.reshape(batch.shape)
    index = torch.from_numpy(rows).to(flat.device)
    return flat.index_copy(0, index, flat.index_select(0, index).flip(dim)).reshape(batch.shape)


def crop_batch(images: torch.Tensor, top, left, height: int, width: int, fill: float = 0, padding_mode: str = "constant") -> torch.Tensor:
    """Crop a ``height x width`` window per sample from a ``[B, C, H, W]`` batch.

    Windows may extend past the images; pixels outside are ``fill``, or for ``padding_mode``
    ``"edge"``, ``"reflect"`` and ``"symmetric"`` taken from the image (see ``crop``).

    Args:
        images: ``[B, C, H, W]`` tensor.
        top: ``[B]`` window top rows (ints, may be negative), or one int for all.
        left: ``[B]`` window left columns, or one int for all.
        height: Window height, > 0.
        width: Window width, > 0.
        fill: Value of pixels outside the images (constant padding).
        padding_mode: ``"constant"``, ``"edge"``, ``"reflect"`` or ``"symmetric"``.

    Returns:
        A new ``[B, C, height, width]`` tensor of the input's dtype.

    Example:
        >>> x = torch.arange(16, dtype=torch.uint8).view(1, 1, 4, 4)
        >>> crop_batch(x, [1], [-1], 2, 2)[0, 0].tolist()
        [[0, 4], [0, 8]]
    """
    batch, _, h, w = images.shape
    top = np.broadcast_to(np.asarray(top, dtype=np.int64), (batch,))
    left = np.broadcast_to(np.asarray(left, dtype=np.int64), (batch,))
    if batch == 0:
        return images.new_empty((0, images.shape[1], height, width))
    device = images.device
    index = torch.arange(batch, device=device)[:, None, None]
    if padding_mode != "constant":
        rows = padded_indices(int(top.min()), int(top.max()) - int(top.min()) + height, h, padding_mode)
        cols = padded_indices(int(left.min()), int(left.max()) - int(left.min()) + width, w, padding_mode)
        row_at = torch.from_numpy(rows[(top - top.min())[:, None] + np.arange(height)]).to(device)
        col_at = torch.from_numpy(cols[(left - left.min())[:, None] + np.arange(width)]).to(device)
        out = images.permute(0, 2, 3, 1)[index, row_at[:, :, None], col_at[:, None, :]]
        return out.permute(0, 3, 1, 2).contiguous()
    pad_top = max(0, -int(top.min()))
    pad_left = max(0, -int(left.min()))
    pad_bottom = max(0, int((top + height).max()) - h)
    pad_right = max(0, int((left + width).max()) - w)
    if pad_top or pad_left or pad_bottom or pad_right:
        padded = images.new_full((batch, images.shape[1], h + pad_top + pad_bottom, w + pad_left + pad_right), fill)
        padded[:, :, pad_top : pad_top + h, pad_left : pad_left + w] = images
        images = padded
    row_index = torch.from_numpy(top + pad_top).to(device)[:, None] + torch.arange(height, device=device)[None, :]
    col_index = torch.from_numpy(left + pad_left).to(device)[:, None] + torch.arange(width, device=device)[None, :]
    out = images.permute(0, 2, 3, 1)[index, row_index[:, :, None], col_index[:, None, :]]  # [B, h, w, C]
    return out.permute(0, 3, 1, 2).contiguous()
