"""Photometric kernels with torchvision v2 semantics: invert, solarize, posterize, equalize,
autocontrast, sharpness, grayscale and Gaussian blur.

Every kernel takes an HWC numpy array (the sample stage) or a ``[..., C, H, W]`` tensor (the
batch stage, any device), uint8 or floating point (floats are pixels in [0, 1]), and returns
a new array or tensor of the same kind and dtype. Magnitudes are a number, or for a batch one
value per image (an array of the leading shape, ``[B]`` for ``[B, C, H, W]``).

The arithmetic is torchvision v2's (``torchvision.transforms.v2.functional``):

- ``invert``, ``solarize``, ``posterize`` and ``equalize`` are integer arithmetic on uint8
  and equal torchvision's exactly; on floats they repeat its float operations.
- ``autocontrast`` and ``rgb_to_grayscale`` repeat torchvision's float32 operations one by
  one (grayscale literally, with torch, so that its fused multiply-adds are the same), and
  end like it with a truncation to uint8: equal on uint8.
- ``adjust_sharpness`` on uint8: the smoothed image ``round(conv)`` cannot depend on float
  rounding (the exact weighted sum over 13 is never within 1/26 of a tie), and the blend ``x + (1 - factor) * (blurred - x)`` in float64, where it is exact, rounded once to
  float32 like torchvision's fused multiply-add, then truncated: equal on uint8.
- ``gaussian_blur`` builds torchvision's 1-D kernels (``softmax(-(x / sigma) ** 2)`` over
  ``linspace(-lim, lim, k)``) and filters separably with reflect padding: within one level
  of torchvision's 2-D convolution on uint8 (rounding ties), ~1e-7 on floats.

Two implementations share these semantics (the same rule as ``augkit.functional.color``):
CPU tensors of the ops that read neighbourhoods or build per-image tables (solarize,
equalize, autocontrast on uint8; sharpness and blur on any dtype) go image by image through
OpenCV on ``[C, H, W]`` planes; everything else, and every op on the GPU, is whole-batch
torch arithmetic with the per-image magnitudes broadcast as ``[B, 1, 1, 1]``.
``vectorized=True`` forces the torch path (``tests/test_photometric.py`` checks that both agree).

Notes:
    Image by image keeps the working set in cache: 5-25x faster than whole-batch tensor passes
    on one CPU core (``scripts/bench_photometric.py``, docs/benchmarks.md).
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from augkit import _memory
from augkit._image import check_any_image

try:  # The optional C accelerator (see setup.py); without it OpenCV and numpy sharpen uint8 images.
    from augkit import _sharpness as _native_sharpness
except ImportError:  # pragma: no cover - an install without a compiler
    _native_sharpness = None  # type: ignore[assignment]

#: torchvision's grayscale weights (ITU-R 601-2 luma, as ``rgb_to_grayscale`` writes them).
GRAY_WEIGHTS = (0.2989, 0.587, 0.114)

_LEVELS = np.arange(256, dtype=np.float32)
_F32 = np.float32
#: torchvision's float -> uint8 scale (``to_dtype(scale=True)``: ``x * 255.999``, truncated).
_TO_UINT8 = 255.0 + 1.0 - 1e-3
#: torchvision's smoothing kernel of ``adjust_sharpness``, in float32.
_SMOOTHING = np.array([[1, 1, 1], [1, 5, 1], [1, 1, 1]], dtype=np.float32) / np.float32(13.0)


# --------------------------------------------------------------------------- shared helpers


def _is_uint8(image) -> bool:
    return image.dtype == torch.uint8 if isinstance(image, torch.Tensor) else image.dtype == np.uint8


def _checked(image, op: str):
    """Check an HWC array or ``[..., C, H, W]`` tensor of uint8 or float pixels."""
    if isinstance(image, torch.Tensor):
        if image.ndim < 3:
            raise ValueError(f"{op}: image tensor must be [..., C, H, W], got shape {tuple(image.shape)}")
        if image.dtype != torch.uint8 and not image.is_floating_point():
            raise TypeError(f"{op}: image tensor must be uint8 or floating point, got {image.dtype}")
        return image
    if not isinstance(image, np.ndarray):
        raise TypeError(f"{op}: image must be an HWC numpy array or a [..., C, H, W] tensor, got {type(image).__name__}")
    return check_any_image(image)


def _channels(image) -> int:
    return int(image.shape[-3] if isinstance(image, torch.Tensor) else image.shape[-1])


def _require_channels(image, allowed: tuple[int, ...], op: str) -> None:
    channels = _channels(image)
    if channels not in allowed:
        raise ValueError(f"{op} works on images with {' or '.join(map(str, allowed))} channels, got {channels}")


def _lead(image) -> tuple[int, ...]:
    """The leading (batch) shape: ``()`` for an HWC array or a ``[C, H, W]`` tensor."""
    return tuple(image.shape[:-3]) if isinstance(image, torch.Tensor) else ()


def _per_image(value, image, name: str) -> np.ndarray:
    """``value`` as a float64 array with one entry per image (flattened leading shape)."""
    lead = _lead(image)
    array = np.asarray(value, dtype=np.float64)
    count = math.prod(lead)
    if array.ndim == 0 or array.size == 1 and not lead:
        return np.full(count, float(array.reshape(-1)[0]))
    if array.shape != lead:
        raise ValueError(f"{name} must be a number or one value per image (shape {lead}), got shape {array.shape}")
    return array.reshape(-1)


def _scalar(value, name: str) -> float:
    array = np.asarray(value, dtype=np.float64)
    if array.size != 1:
        raise ValueError(f"{name} must be a single number for a single image, got shape {array.shape}")
    return float(array.reshape(-1)[0])


def _flat(image: torch.Tensor) -> torch.Tensor:
    """``[..., C, H, W]`` as ``[N, C, H, W]``."""
    return image.reshape((-1,) + tuple(image.shape[-3:]))


def _column(values: np.ndarray, like: torch.Tensor, dtype: torch.dtype | None = None) -> torch.Tensor:
    """``[N]`` values as an ``[N, 1, 1, 1]`` tensor on ``like``'s device."""
    return torch.from_numpy(np.ascontiguousarray(values)).to(device=like.device, dtype=dtype or like.dtype).view(-1, 1, 1, 1)


_OPENCV_DTYPES = (torch.uint8, torch.float32, torch.float64)


def _image_by_image(image: torch.Tensor, vectorized: bool | None, floats_too: bool = False) -> bool:
    """Whether a tensor goes image by image through the array kernels (CPU; uint8 unless ``floats_too``)."""
    if image.dtype not in _OPENCV_DTYPES or image.device.type != "cpu":
        return False
    if vectorized is not None:
        return not vectorized
    return floats_too or image.dtype == torch.uint8


def _planes(image: torch.Tensor) -> tuple[np.ndarray, torch.Tensor, np.ndarray]:
    """A CPU tensor's ``[N, C, H, W]`` numpy view and an output tensor with its numpy view."""
    batch = _flat(image).contiguous()
    out = _memory.empty_like(batch)
    return batch.numpy(), out, out.numpy()


def _lut_planes(image: torch.Tensor, tables: np.ndarray) -> torch.Tensor:
    """Look up CPU uint8 ``[..., C, H, W]`` through ``[N, 256]`` (per image) or ``[N, C, 256]`` tables."""
    src, out, dst = _planes(image)
    n, c = src.shape[:2]
    for i in range(n):
        if tables.ndim == 2:
            cv2.LUT(src[i].reshape(c, -1), tables[i], dst=dst[i].reshape(c, -1))
        else:
            for k in range(c):
                cv2.LUT(src[i, k], tables[i, k], dst=dst[i, k])
    return out.view(image.shape)


def _lut_hwc(image: np.ndarray, tables: np.ndarray) -> np.ndarray:
    """Look up an HWC uint8 array through one ``[256]`` table or ``[C, 256]`` per-channel tables."""
    if tables.ndim == 1 or image.shape[-1] == 1:
        return cv2.LUT(image, np.ascontiguousarray(tables.reshape(-1, 256)[0])).reshape(image.shape)
    if image.shape[-1] <= 4:
        return cv2.LUT(image, np.ascontiguousarray(tables.T).reshape(1, 256, -1)).reshape(image.shape)
    return np.stack([cv2.LUT(np.ascontiguousarray(image[..., k]), tables[k]) for k in range(image.shape[-1])], axis=-1)


#: Rows per chunk on the CPU are chosen to keep a chunk's pixels within about this many bytes (cache).
_CHUNK_BYTES = 1 << 20


def _by_rows(fn, image: torch.Tensor, *rows: np.ndarray, channels: int | None = None) -> torch.Tensor:
    """``fn(batch, *rows)`` on ``image`` as ``[N, C, H, W]`` with ``[N]`` per-image values.

    On the CPU the rows go in chunks of about ``_CHUNK_BYTES``, each chunk's temporaries
    staying in cache; on other devices, in one call. ``channels``: the output's channel
    count when ``fn`` returns one channel to be repeated.
    """
    batch = _flat(image)
    n = batch.shape[0]
    step = max(1, _CHUNK_BYTES // max(batch[0].numel() * batch.element_size(), 1)) if n else 1
    if batch.device.type != "cpu" or step >= n:
        out = fn(batch, *rows)
        if channels is not None and out.shape[1] != channels:
            out = out.expand(-1, channels, -1, -1).contiguous()
    else:
        out = None
        for start in range(0, n, step):
            part = fn(batch[start : start + step], *(r[start : start + step] for r in rows))
            if out is None:
                out = _memory.empty((n, channels or part.shape[1], *part.shape[2:]), part.dtype)
            out[start : start + step] = part
    return out.view(tuple(image.shape[:-3]) + tuple(out.shape[-3:]))


# --------------------------------------------------------------------------- invert, solarize, posterize


def invert(image):
    """Invert the pixels: ``255 - x`` on uint8, ``1 - x`` on floats (torchvision v2 ``invert``).

    Args:
        image: HWC array or ``[..., C, H, W]`` tensor, uint8 or float.

    Returns:
        The inverted image, same kind, shape and dtype.

    Example:
        >>> invert(np.array([[[0, 100, 255]]], np.uint8)).tolist()
        [[[255, 155, 0]]]
    """
    image = _checked(image, "invert")
    if isinstance(image, np.ndarray):
        return np.invert(image) if _is_uint8(image) else (1.0 - image).astype(image.dtype, copy=False)
    if _is_uint8(image):
        return torch.bitwise_not(image, out=_memory.empty_like(image))
    if image.numel() == 0:
        return image.clone()
    return _by_rows(_invert_rows, image)


def _invert_rows(batch: torch.Tensor) -> torch.Tensor:
    return torch.sub(torch.ones((), dtype=batch.dtype, device=batch.device), batch, out=_memory.empty_like(batch))


def solarize_table(threshold: float) -> np.ndarray:
    """``solarize``'s uint8 lookup table for ``threshold`` (levels; compared in float32 as torchvision does).

    Args:
        threshold: In levels (0-255; above 255 keeps every value).

    Returns:
        ``[256]`` uint8 table.
    """
    return np.where(_LEVELS >= _F32(threshold), 255 - _LEVELS, _LEVELS).astype(np.uint8)


def solarize(image, threshold, *, vectorized: bool | None = None):
    """Invert the pixels at or above ``threshold`` (torchvision v2 ``solarize``).

    Args:
        image: HWC array or ``[..., C, H, W]`` tensor, uint8 or float.
        threshold: In the image's units (0-255 for uint8, [0, 1] for floats): a number, or
            one per image of a batch. A threshold above the largest value leaves the image
            unchanged (PIL's and timm's ``solarize(img, 256)``).
        vectorized: Force (True) or forbid (False) the whole-batch torch path; by default
            CPU uint8 tensors go image by image through per-image lookup tables.

    Returns:
        The solarized image, same kind, shape and dtype.

    Example:
        >>> solarize(np.array([[[10, 128, 200]]], np.uint8), 128).tolist()
        [[[10, 127, 55]]]
    """
    image = _checked(image, "solarize")
    if isinstance(image, np.ndarray):
        threshold = _scalar(threshold, "threshold")
        if _is_uint8(image):
            return _lut_hwc(image, solarize_table(threshold))
        limit = np.asarray(threshold, dtype=image.dtype)
        return np.where(image >= limit, 1.0 - image, image).astype(image.dtype, copy=False)
    thresholds = _per_image(threshold, image, "threshold")
    if image.numel() == 0:
        return image.clone()
    if _is_uint8(image) and _image_by_image(image, vectorized):
        return _lut_planes(image, np.stack([solarize_table(t) for t in thresholds]))
    return _by_rows(_solarize_rows, image, thresholds)


def _solarize_rows(batch: torch.Tensor, thresholds: np.ndarray) -> torch.Tensor:
    if _is_uint8(batch):
        # x >= t  <=>  x >= ceil(float32(t)) for integers; rows above 255 keep every pixel.
        limits = np.ceil(thresholds.astype(np.float32).astype(np.float64))
        selected = batch >= _column(np.clip(limits, 0, 255).astype(np.uint8), batch)
        if np.any(limits > 255):
            selected &= _column(limits <= 255, batch, torch.bool)
        inverted = batch.bitwise_not()
    else:
        selected = batch >= _column(thresholds, batch)
        inverted = _invert_rows(batch)
    return torch.where(selected, inverted, batch, out=inverted)


def _check_bits(bits: np.ndarray) -> np.ndarray:
    if np.any((bits < 0) | (bits > 8) | (bits != np.round(bits))):
        raise ValueError(f"bits must be integers in [0, 8], got {bits.tolist() if bits.size < 10 else bits}")
    return bits.astype(np.int64)


def posterize(image, bits):
    """Keep the ``bits`` highest bits of each value (torchvision v2 ``posterize``).

    uint8: ``x & mask`` with the low ``8 - bits`` bits cleared (bits 8 keeps the image, 0
    blacks it out). Floats (torchvision v2's float semantics): ``floor(x * 2**bits)``,
    clamped to ``[0, 2**bits - 1]``, divided by ``2**bits``.

    Args:
        image: HWC array or ``[..., C, H, W]`` tensor, uint8 or float.
        bits: An int in [0, 8], or one per image of a batch.

    Returns:
        The posterized image, same kind, shape and dtype.

    Example:
        >>> posterize(np.array([[[13, 200, 255]]], np.uint8), 2).tolist()
        [[[0, 192, 192]]]
    """
    image = _checked(image, "posterize")
    if isinstance(image, np.ndarray):
        n = int(_check_bits(np.asarray([_scalar(bits, "bits")]))[0])
        if _is_uint8(image):
            return np.bitwise_and(image, np.uint8((0xFF << (8 - n)) & 0xFF))
        levels = float(1 << n)
        out = np.floor(image * np.asarray(levels, image.dtype))
        np.clip(out, 0, levels - 1, out=out)
        return (out * np.asarray(1.0 / levels, image.dtype)).astype(image.dtype, copy=False)
    counts = _check_bits(_per_image(bits, image, "bits"))
    if _is_uint8(image):
        batch = _flat(image)
        masks = ((0xFF << (8 - counts)) & 0xFF).astype(np.uint8)
        return torch.bitwise_and(batch, _column(masks, batch), out=_memory.empty_like(batch)).view(image.shape)
    if image.numel() == 0:
        return image.clone()
    return _by_rows(_posterize_rows, image, counts)


def _posterize_rows(batch: torch.Tensor, counts: np.ndarray) -> torch.Tensor:
    levels = _column((1 << counts).astype(np.float64), batch)
    out = torch.mul(batch, levels, out=_memory.empty_like(batch)).floor_().clamp_(min=0)
    return torch.minimum(out, levels - 1, out=out).mul_(1.0 / levels)


# --------------------------------------------------------------------------- equalize, autocontrast


def _equalize_tables(hist: np.ndarray) -> np.ndarray:
    """torchvision's (PIL's) equalization tables from ``[N, 256]`` histograms; identity where it does not apply."""
    hist = hist.astype(np.int64)
    cumulative = np.cumsum(hist, axis=-1)
    last = np.argmax(cumulative, axis=-1)  # the last non-empty bin: its count is left out
    step = (cumulative[:, -1] - hist[np.arange(hist.shape[0]), last]) // 255
    tables = np.zeros_like(hist)
    # Counts are >= 0, so the quotients are too: only the top of torchvision's clamp can apply.
    tables[:, 1:] = np.minimum((cumulative[:, :-1] + (step // 2)[:, None]) // np.maximum(step, 1)[:, None], 255)
    tables[step == 0] = _LEVELS
    return tables.astype(np.uint8)


def _to_uint8(image: np.ndarray) -> np.ndarray:
    """torchvision's float -> uint8 conversion (``x * 255.999``, truncated; out-of-range values clamped)."""
    scaled = image * np.asarray(_TO_UINT8, image.dtype)
    return np.clip(scaled, 0, 255).astype(np.uint8)


def _from_uint8(image: np.ndarray, dtype) -> np.ndarray:
    return image.astype(dtype) * np.asarray(1.0 / 255.0, dtype)


def _hist_hwc(image: np.ndarray) -> np.ndarray:
    channels = image.shape[-1]
    if image.shape[0] * image.shape[1] < 2**24:  # calcHist counts in float32
        return np.stack([cv2.calcHist([image], [k], None, [256], [0, 256]).reshape(-1) for k in range(channels)]).astype(np.int64)
    return np.stack([np.bincount(image[..., k].ravel(), minlength=256) for k in range(channels)])


def _hist_plane(plane: np.ndarray) -> np.ndarray:
    if plane.size < 2**24:
        return cv2.calcHist([plane], [0], None, [256], [0, 256]).reshape(-1)
    return np.bincount(plane.ravel(), minlength=256)


def equalize(image, *, vectorized: bool | None = None):
    """Equalize each channel's histogram (torchvision v2 ``equalize``, PIL's algorithm).

    Per channel: ``lut[k] = (cum[k - 1] + step // 2) // step`` with ``step`` the number of
    pixels outside the last non-empty bin, divided by 255 (``lut[0] = 0``); a channel with
    ``step == 0`` is kept. Floats are converted to uint8 as torchvision does (``x * 255.999``,
    truncated), equalized, and scaled back by 1/255.

    Args:
        image: HWC array or ``[..., C, H, W]`` tensor, uint8 or float.
        vectorized: Force (True) or forbid (False) the whole-batch torch path (batched
            histograms with ``scatter_add``); by default CPU tensors go image by image.

    Returns:
        The equalized image, same kind, shape and dtype.

    Example:
        >>> image = np.repeat(np.array([0, 50, 60, 200], np.uint8), 200).reshape(1, -1, 1)
        >>> np.unique(equalize(image)).tolist()
        [0, 100, 200, 255]
    """
    image = _checked(image, "equalize")
    if isinstance(image, np.ndarray):
        if not _is_uint8(image):
            return _from_uint8(equalize(_to_uint8(image)), image.dtype)
        return _lut_hwc(image, _equalize_tables(_hist_hwc(image)))
    if image.numel() == 0:
        return image.clone()
    if _image_by_image(image, vectorized, floats_too=True):
        src, out, dst = _planes(image)
        planes, results = src.reshape((-1,) + src.shape[-2:]), dst.reshape((-1,) + dst.shape[-2:])
        levels = planes if _is_uint8(image) else np.stack([_to_uint8(plane) for plane in planes])
        tables = equalize_tables(levels)
        if not _is_uint8(image):
            tables = _from_uint8(tables, src.dtype)
        for plane, table, result in zip(levels, tables, results):
            cv2.LUT(plane, table, dst=result)
        return out.view(image.shape)
    if not _is_uint8(image):
        scaled = image.mul(_TO_UINT8).clamp_(0, 255).to(torch.uint8)
        return _equalize_vectorized(scaled).to(image.dtype).mul_(1.0 / 255.0)
    return _equalize_vectorized(image)


def equalize_tables(planes: np.ndarray) -> np.ndarray:
    """``equalize``'s lookup table of each uint8 plane.

    Args:
        planes: ``[..., H, W]`` uint8 array.

    Returns:
        ``[..., 256]`` uint8 tables (the identity for a plane equalization keeps).
    """
    flat = planes.reshape((-1,) + planes.shape[-2:])
    return _equalize_tables(np.stack([_hist_plane(plane) for plane in flat])).reshape(planes.shape[:-2] + (256,))


def _equalize_vectorized(image: torch.Tensor) -> torch.Tensor:
    """torchvision's batched algorithm: one ``scatter_add`` histogram per channel of every image."""
    lead = image.shape[:-2]
    flat = image.flatten(start_dim=-2).long()
    hist = flat.new_zeros(lead + (256,), dtype=torch.int32)
    hist.scatter_add_(dim=-1, index=flat, src=hist.new_ones(1).expand_as(flat))
    cumulative = hist.cumsum(dim=-1)
    last = cumulative.argmax(dim=-1, keepdim=True)
    step = (flat.shape[-1] - hist.gather(dim=-1, index=last)).div_(255, rounding_mode="floor")
    valid = step.ne(0)
    tables = cumulative[..., :-1].add_(step // 2).div_(step.clamp(min=1), rounding_mode="floor").clamp_(0, 255).to(torch.uint8)
    tables = torch.cat([tables.new_zeros(lead + (1,)), tables], dim=-1)
    equalized = tables.gather(dim=-1, index=flat).view_as(image)
    return torch.where(valid.unsqueeze(-1), equalized, image)


def _autocontrast_tables(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """torchvision's float32 autocontrast of uint8 as tables: ``[...]`` minima and maxima -> ``[..., 256]``."""
    low, high = low.astype(np.float32), high.astype(np.float32)
    flat = high == low
    inv_scale = (high - low) * _F32(1.0 / 255.0)
    low = np.where(flat, _F32(0.0), low)
    inv_scale = np.where(flat, _F32(1.0), inv_scale)
    values = (_LEVELS - low[..., None]) / inv_scale[..., None]
    return np.clip(values, _F32(0.0), _F32(255.0)).astype(np.uint8)


def autocontrast_tables(planes: np.ndarray) -> np.ndarray:
    """``autocontrast``'s lookup table of each uint8 plane (from its smallest and largest value).

    Args:
        planes: ``[..., H, W]`` uint8 array.

    Returns:
        ``[..., 256]`` uint8 tables.
    """
    values = planes.reshape(planes.shape[:-2] + (-1,))
    return _autocontrast_tables(values.min(axis=-1), values.max(axis=-1))


def autocontrast(image, *, vectorized: bool | None = None):
    """Stretch each channel to the full range (torchvision v2 ``autocontrast``).

    Per channel: ``(x - min) / ((max - min) / bound)`` clamped to ``[0, bound]`` (bound 255
    or 1), in float32 for uint8 and truncated; a constant channel is kept.

    Args:
        image: HWC array or ``[..., C, H, W]`` tensor, uint8 or float, 1 or 3 channels.
        vectorized: Force (True) or forbid (False) the whole-batch torch path; by default
            CPU uint8 tensors go image by image through per-channel tables.

    Returns:
        The stretched image, same kind, shape and dtype.

    Example:
        >>> autocontrast(np.array([[[50], [100], [150]]], np.uint8))[..., 0].tolist()
        [[0, 127, 254]]
    """
    image = _checked(image, "autocontrast")
    _require_channels(image, (1, 3), "autocontrast")
    if isinstance(image, np.ndarray):
        # Reduce whole rows first (contiguous, vectorized), then the pixels of the row: a
        # reduction over a [H * W, C] view with few columns is about 50x slower.
        rows = image.reshape(image.shape[0], -1)
        low = rows.min(axis=0).reshape(-1, image.shape[-1]).min(axis=0)
        high = rows.max(axis=0).reshape(-1, image.shape[-1]).max(axis=0)
        if _is_uint8(image):
            return _lut_hwc(image, _autocontrast_tables(low, high))
        return _stretch(image, low, high, 1.0)
    if image.numel() == 0:
        return image.clone()
    if _is_uint8(image) and _image_by_image(image, vectorized):
        low, high = image.amin(dim=(-2, -1)), image.amax(dim=(-2, -1))
        tables = _autocontrast_tables(_flat_numpy(low), _flat_numpy(high))
        return _lut_planes(image, tables)
    return _by_rows(_autocontrast_rows, image)


def _autocontrast_rows(batch: torch.Tensor) -> torch.Tensor:
    work = batch if batch.is_floating_point() else batch.to(torch.float32)
    low = work.amin(dim=(-2, -1), keepdim=True)
    high = work.amax(dim=(-2, -1), keepdim=True)
    return _stretch(work, low, high, 1.0 if batch.is_floating_point() else 255.0).to(batch.dtype)


def _flat_numpy(values: torch.Tensor) -> np.ndarray:
    return values.reshape(-1, values.shape[-1]).cpu().numpy()


def _stretch(work, low, high, bound: float):
    """``clamp((x - low) / inv_scale)``: torchvision's arithmetic in ``work``'s float type."""
    if isinstance(work, np.ndarray):
        low, high = low.astype(work.dtype), high.astype(work.dtype)
        flat = high == low
        inv_scale = np.where(flat, np.asarray(1.0, work.dtype), (high - low) * np.asarray(1.0 / bound, work.dtype))
        low = np.where(flat, np.asarray(0.0, work.dtype), low)
        return np.clip((work - low) / inv_scale, 0.0, bound).astype(work.dtype, copy=False)
    flat = high == low
    inv_scale = (high - low).mul_(1.0 / bound).masked_fill_(flat, 1.0)
    low = low.masked_fill(flat, 0.0)
    return torch.sub(work, low, out=_memory.empty_like(work)).div_(inv_scale).clamp_(0, bound)


# --------------------------------------------------------------------------- sharpness


def _sharpen_array(image: np.ndarray, factor: float) -> np.ndarray:
    """Sharpness of an ``[H, W]`` or HWC array (borders kept)."""
    height, width = image.shape[:2]
    if height <= 2 or width <= 2:
        return image.copy()
    alpha = _blend_weight(np.asarray([factor]), image.dtype == np.float64)[0]
    if _is_uint8(image) and _native_sharpness is not None:
        out = np.empty_like(image)
        as_planes = (lambda a: a[None, None]) if image.ndim == 2 else (lambda a: a.transpose(2, 0, 1)[None])
        _native_sharpness.sharpen(as_planes(image), as_planes(out), np.asarray([alpha]))
        return out
    out = image.copy()
    inner = out[1:-1, 1:-1]
    if _is_uint8(image):
        # Rounded to uint8 by OpenCV: the exact sum / 13 is never within 1/26 of a tie, far
        # beyond float32 errors, so this is torchvision's round(conv) exactly.
        blurred = cv2.filter2D(image, -1, _SMOOTHING, borderType=cv2.BORDER_REPLICATE)[1:-1, 1:-1].reshape(inner.shape)
        # x + alpha * (blurred - x) is exact in float64; one rounding to float32 is torchvision's fused add.
        value = blurred.astype(np.float64)
        value -= inner
        value *= alpha
        value += inner
        value = value.astype(np.float32)
        np.clip(value, 0, 255, out=value)
        inner[...] = value
        return out
    blurred = cv2.filter2D(image, -1, _SMOOTHING.astype(image.dtype), borderType=cv2.BORDER_REPLICATE)[1:-1, 1:-1].reshape(inner.shape)
    blurred -= inner
    blurred *= alpha
    blurred += inner
    np.clip(blurred, 0.0, 1.0, out=inner)
    return out


def adjust_sharpness(image, factor, *, vectorized: bool | None = None):
    """Blend with a smoothed image (torchvision v2 ``adjust_sharpness``).

    The smoothed image is the 3x3 filter ``[[1, 1, 1], [1, 5, 1], [1, 1, 1]] / 13`` (rounded
    on uint8) over the interior; the one-pixel border is kept. The result is
    ``x + (1 - factor) * (smoothed - x)`` clamped: factor 1 keeps the image, 0 smooths it,
    2 sharpens. Images of 2 rows or columns or fewer are returned unchanged.

    Args:
        image: HWC array or ``[..., C, H, W]`` tensor, uint8 or float, 1 or 3 channels.
        factor: >= 0: a number, or one per image of a batch.
        vectorized: Force (True) or forbid (False) the whole-batch torch path (one
            convolution over every plane); by default CPU tensors go image by image.

    Returns:
        The adjusted image, same kind, shape and dtype.

    Example:
        >>> image = np.zeros((3, 3, 1), np.uint8); image[1, 1] = 130
        >>> adjust_sharpness(image, 0.0)[..., 0].tolist()
        [[0, 0, 0], [0, 50, 0], [0, 0, 0]]
    """
    image = _checked(image, "adjust_sharpness")
    _require_channels(image, (1, 3), "adjust_sharpness")
    if isinstance(image, np.ndarray):
        factor = _scalar(factor, "factor")
        _check_factor(np.asarray([factor]))
        return _sharpen_array(image, factor)
    factors = _check_factor(_per_image(factor, image, "factor"))
    height, width = image.shape[-2:]
    if image.numel() == 0 or height <= 2 or width <= 2:
        return image.clone()
    if _image_by_image(image, vectorized, floats_too=True) and image.dtype == torch.uint8 and _native_sharpness is not None:
        batch = _flat(image)  # any strides: the kernel reads them as they are
        out = _memory.empty_like(batch)
        sharpen_into(batch.numpy(), out.numpy(), factors)
        return out.view(image.shape)
    if _image_by_image(image, vectorized, floats_too=True):
        src, out, dst = _planes(image)
        for i in range(src.shape[0]):
            for k in range(src.shape[1]):
                dst[i, k] = _sharpen_array(src[i, k], float(factors[i]))
        return out.view(image.shape)
    return _sharpen_vectorized(image, factors)


def sharpen_into(src: np.ndarray, dst: np.ndarray, factors) -> bool:
    """``adjust_sharpness`` of uint8 ``[N, C, H, W]`` planes (any strides) written into ``dst``.

    Args:
        src: ``[N, C, H, W]`` uint8 array.
        dst: Array of the same shape, written.
        factors: ``[N]`` sharpness factors (>= 0).

    Returns:
        False, writing nothing, where ``augkit._sharpness`` is not built.
    """
    if _native_sharpness is None:
        return False
    factors = _check_factor(np.asarray(factors, dtype=np.float64).reshape(-1))
    if src.shape[-2] <= 2 or src.shape[-1] <= 2:
        np.copyto(dst, src)
    else:
        _native_sharpness.sharpen(src, dst, _blend_weight(factors, False))
    return True


def _blend_weight(factors: np.ndarray, double: bool) -> np.ndarray:
    """torchvision's blend weight ``1 - factor``: a float32 (a float64 for float64 images)."""
    weights = 1.0 - factors
    return weights if double else weights.astype(np.float32).astype(np.float64)


def _check_factor(factors: np.ndarray) -> np.ndarray:
    if np.any(~np.isfinite(factors) | (factors < 0)):
        raise ValueError(f"sharpness factor must be finite and >= 0, got {factors.tolist() if factors.size < 10 else factors}")
    return factors


def _sharpen_vectorized(image: torch.Tensor, factors: np.ndarray) -> torch.Tensor:
    batch = _flat(image)
    n, c, h, w = batch.shape
    uint8 = _is_uint8(image)
    work = batch.to(torch.float32) if uint8 else batch
    kernel = torch.from_numpy(_SMOOTHING).to(device=image.device, dtype=work.dtype)
    smoothed = F.conv2d(work.reshape(n * c, 1, h, w), kernel.view(1, 1, 3, 3)).view(n, c, h - 2, w - 2)
    inner = work[..., 1:-1, 1:-1]
    alpha = _column(_blend_weight(factors, work.dtype == torch.float64), batch, torch.float64 if uint8 else work.dtype)
    out = work.clone()
    if uint8:
        # The exact sums are never within 1/26 of a tie, so float32 rounding cannot move the rounding.
        smoothed = smoothed.round_()
        blended = smoothed.double().sub_(inner).mul_(alpha).add_(inner).float()
    else:
        blended = smoothed.sub_(inner).mul_(alpha).add_(inner)
    out[..., 1:-1, 1:-1] = blended
    return out.clamp_(0, 255.0 if uint8 else 1.0).to(image.dtype).view(image.shape)


# --------------------------------------------------------------------------- grayscale


def rgb_to_grayscale(image, num_output_channels: int = 1):
    """Convert RGB to luma ``0.2989 R + 0.587 G + 0.114 B`` (torchvision v2 ``rgb_to_grayscale``).

    torchvision's float32 operations are repeated with torch on the channel planes (so its
    fused multiply-adds are the same); uint8 results are truncated as torchvision's. A
    one-channel image is copied (or repeated to three channels).

    Args:
        image: HWC array or ``[..., C, H, W]`` tensor, uint8 or float, 1 or 3 channels.
        num_output_channels: 1, or 3 (the gray value repeated).

    Returns:
        The gray image with ``num_output_channels`` channels, same kind and dtype.

    Example:
        >>> rgb_to_grayscale(np.array([[[255, 0, 0]]], np.uint8)).tolist()
        [[[76]]]
    """
    image = _checked(image, "rgb_to_grayscale")
    if num_output_channels not in (1, 3):
        raise ValueError(f"num_output_channels must be 1 or 3, got {num_output_channels}")
    _require_channels(image, (1, 3), "rgb_to_grayscale")
    if isinstance(image, np.ndarray):
        planes = torch.from_numpy(np.ascontiguousarray(np.moveaxis(image, -1, 0)))
        gray = _gray_planes(planes).numpy()[0][..., None]  # [1, H, W] -> HWC
        return np.repeat(gray, 3, axis=-1) if num_output_channels == 3 else gray
    if image.numel() == 0:
        return image.new_empty(image.shape[:-3] + (num_output_channels,) + image.shape[-2:])
    return _by_rows(_gray_planes, image, channels=num_output_channels)


def _gray_planes(image: torch.Tensor) -> torch.Tensor:
    """``[..., C, H, W]`` -> ``[..., 1, H, W]``: torchvision's operations, in its order."""
    if image.shape[-3] == 1:
        return image.clone()
    r, g, b = image.unbind(dim=-3)
    gray = r.mul(GRAY_WEIGHTS[0]).add_(g, alpha=GRAY_WEIGHTS[1]).add_(b, alpha=GRAY_WEIGHTS[2])
    return gray.unsqueeze(-3).to(image.dtype)


# --------------------------------------------------------------------------- gaussian blur


def check_kernel_size(kernel_size) -> tuple[int, int]:
    """Return ``(kx, ky)`` from an int or a pair of odd positive ints, or raise naming ``kernel_size``."""
    sizes = tuple(kernel_size) if isinstance(kernel_size, (list, tuple)) else (kernel_size, kernel_size)
    if len(sizes) != 2:
        raise ValueError(f"kernel_size must be an int or a pair (kx, ky), got {kernel_size!r}")
    for size in sizes:
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
            raise TypeError(f"kernel_size must hold ints, got {kernel_size!r}")
        if size <= 0 or size % 2 == 0:
            raise ValueError(f"kernel_size must be odd and positive, got {kernel_size!r}")
    return int(sizes[0]), int(sizes[1])


def gaussian_kernels(kernel_size: int, sigma, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """torchvision's 1-D Gaussian kernels: ``softmax(-(x / sigma) ** 2)``, one row per sigma.

    ``x`` is ``linspace(-lim, lim, kernel_size)`` with ``lim = (kernel_size - 1) / (2 sqrt 2)``.

    Args:
        kernel_size: Odd kernel length.
        sigma: A number or ``[N]`` standard deviations (> 0).
        dtype: The kernels' float dtype (float32 for uint8 images, as torchvision).

    Returns:
        ``[N, kernel_size]`` kernels (``[1, kernel_size]`` for a number), each summing to 1.

    Example:
        >>> gaussian_kernels(3, 1.0).sum().item()
        1.0
    """
    sigmas = torch.as_tensor(np.asarray(sigma, dtype=np.float64).reshape(-1), dtype=dtype)
    lim = (kernel_size - 1) / (2.0 * math.sqrt(2.0))
    x = torch.linspace(-lim, lim, steps=kernel_size, dtype=dtype)
    return torch.softmax(x[None, :].div(sigmas[:, None]).pow(2).neg(), dim=-1)


def _blur_array(image: np.ndarray, kx: np.ndarray, ky: np.ndarray) -> np.ndarray:
    """Separable blur of an ``[H, W]`` or HWC array with reflect (no edge repeat) borders."""
    uint8 = _is_uint8(image)
    depth = cv2.CV_32F if uint8 or image.dtype == np.float32 else cv2.CV_64F
    out = cv2.sepFilter2D(image, depth, kx, ky, borderType=cv2.BORDER_REFLECT_101).reshape(image.shape)
    if uint8:
        return np.rint(out, out=out).astype(np.uint8)
    return out.astype(image.dtype, copy=False)


def gaussian_blur(image, kernel_size, sigma, *, vectorized: bool | None = None):
    """Blur with a Gaussian kernel (torchvision v2 ``gaussian_blur`` with ``sigma=[s, s]``).

    The image is reflect-padded by half the kernel (``torch``'s ``"reflect"``: the edge
    pixel is not repeated) and filtered separably with ``gaussian_kernels``; uint8 results
    are rounded (half to even) as torchvision's.

    Args:
        image: HWC array or ``[..., C, H, W]`` tensor, uint8 or float.
        kernel_size: An odd int, or ``(kx, ky)`` (width first, as torchvision).
        sigma: The standard deviation (> 0), the same along both axes: a number, or one per
            image of a batch.
        vectorized: Force (True) or forbid (False) the whole-batch torch path (grouped
            convolutions over every plane); by default CPU tensors go image by image.

    Returns:
        The blurred image, same kind, shape and dtype.

    Raises:
        ValueError: The image is not larger than half the kernel along an axis (reflect
            padding needs it, as in torchvision).

    Example:
        >>> gaussian_blur(np.full((5, 5, 3), 7, np.uint8), 3, 1.0)[2, 2].tolist()
        [7, 7, 7]
    """
    image = _checked(image, "gaussian_blur")
    kx, ky = check_kernel_size(kernel_size)
    height, width = image.shape[-2:] if isinstance(image, torch.Tensor) else image.shape[:2]
    if (kx // 2 >= width or ky // 2 >= height) and (0 not in image.shape):
        raise ValueError(f"gaussian_blur: kernel_size {(kx, ky)} needs an image larger than half of it, got {height}x{width}")
    float_type = torch.float64 if _dtype_is_f64(image) else torch.float32
    if isinstance(image, np.ndarray):
        s = _scalar(sigma, "sigma")
        _check_sigma(np.asarray([s]))
        rows_x = gaussian_kernels(kx, s, float_type)[0].numpy()
        rows_y = rows_x if ky == kx else gaussian_kernels(ky, s, float_type)[0].numpy()
        return _blur_array(image, rows_x, rows_y)
    sigmas = _check_sigma(_per_image(sigma, image, "sigma"))
    if image.numel() == 0:
        return image.clone()
    kernels_x = gaussian_kernels(kx, sigmas, float_type)
    kernels_y = kernels_x if ky == kx else gaussian_kernels(ky, sigmas, float_type)
    if _image_by_image(image, vectorized, floats_too=True):
        src, out, dst = _planes(image)
        ax, ay = kernels_x.numpy(), kernels_y.numpy()
        for i in range(src.shape[0]):
            for k in range(src.shape[1]):
                dst[i, k] = _blur_array(src[i, k], ax[i], ay[i])
        return out.view(image.shape)
    return _blur_vectorized(image, kernels_x, kernels_y)


def _dtype_is_f64(image) -> bool:
    return image.dtype == (torch.float64 if isinstance(image, torch.Tensor) else np.float64)


def _check_sigma(sigmas: np.ndarray) -> np.ndarray:
    if np.any(~np.isfinite(sigmas) | (sigmas <= 0)):
        raise ValueError(f"sigma must be finite and > 0, got {sigmas.tolist() if sigmas.size < 10 else sigmas}")
    return sigmas


def _blur_vectorized(image: torch.Tensor, kernels_x: torch.Tensor, kernels_y: torch.Tensor) -> torch.Tensor:
    """Reflect padding, then a horizontal and a vertical grouped convolution over all ``N * C`` planes."""
    batch = _flat(image)
    n, c, h, w = batch.shape
    kx, ky = kernels_x.shape[-1], kernels_y.shape[-1]
    work = batch.to(kernels_x.dtype).reshape(1, n * c, h, w)
    work = F.pad(work, [kx // 2, kx // 2, ky // 2, ky // 2], mode="reflect")
    weight_x = kernels_x.to(image.device).repeat_interleave(c, dim=0).view(n * c, 1, 1, kx)
    weight_y = kernels_y.to(image.device).repeat_interleave(c, dim=0).view(n * c, 1, ky, 1)
    work = F.conv2d(F.conv2d(work, weight_x, groups=n * c), weight_y, groups=n * c).view(n, c, h, w)
    if _is_uint8(image):
        work = work.round_().clamp_(0, 255)
    return work.to(image.dtype).view(image.shape)
