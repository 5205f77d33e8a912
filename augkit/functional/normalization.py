"""Normalization kernels: uint8 -> float32 scaling fused with mean/std.

Constants are in [0, 1] units. For uint8 input, ``out = x * (1 / (255 * std)) - mean / std``
in one pass; uint16 input is scaled by 1 / 65535 the same way; float input is taken as
already in [0, 1].
"""

from __future__ import annotations

import cv2
import numpy as np
import torch

from augkit import _memory
from augkit._image import Image, array_to_tensor


def peak_value(dtype) -> float:
    """The value that means 1.0: 255 for uint8, 65535 for uint16, 1 for float (numpy or torch dtypes)."""
    name = str(dtype).replace("torch.", "")
    return {"uint8": 255.0, "uint16": 65535.0}.get(name, 1.0)


def _scale_and_bias(mean: np.ndarray, std: np.ndarray, peak: float) -> tuple[np.ndarray, np.ndarray]:
    scale = 1.0 / (std * peak)
    return scale.astype(np.float32), (-mean / std).astype(np.float32)


#: CPU batches are converted in chunks of about this many output bytes (cache-sized).
_CHUNK_BYTES = 1 << 20


def _scale_shift(image: torch.Tensor, scale: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """Return float32 ``image * scale + bias`` in one fresh tensor, never touching ``image``.

    One output allocation, then the conversion and one in-place fused multiply-add (rounded
    once, as the uint8 paths are, so every memory layout gives the same values). On the CPU
    a batch goes in chunks of samples, so each chunk is converted and scaled while it is
    still in cache.

    Notes:
        Measured at 1 thread on [64, 3, 224, 224] uint8: ~2.4-3.5x faster than the plain
        ``(x.float() / 255 - mean) / std`` and ~1.6-1.9x faster than ``addcmul`` on a
        converted copy (which allocates twice); see ``scripts/bench_loader.py``.
    """
    out = _memory.empty_like(image, torch.float32)
    if image.device.type != "cpu" or image.ndim < 4 or image.shape[0] == 0:
        out.copy_(image)
        return torch.addcmul(bias, out, scale, out=out)
    per_sample = max(1, out[0].numel() * 4)
    step = max(1, _CHUNK_BYTES // per_sample)
    for start in range(0, image.shape[0], step):
        chunk = out[start : start + step]
        chunk.copy_(image[start : start + step])
        torch.addcmul(bias, chunk, scale, out=chunk)
    return out


def normalize(image: Image, mean: np.ndarray, std: np.ndarray) -> Image:
    """Scale uint8 (or uint16) to [0, 1] (float stays) and apply ``(x - mean) / std`` per channel.

    Args:
        image: HWC array, or ``[..., C, H, W]`` tensor; uint8, uint16 or float.
        mean: Per-channel means, shape ``(C,)``, in [0, 1] units.
        std: Per-channel standard deviations, shape ``(C,)``, > 0.

    Returns:
        float32 array or tensor of the input's shape.

    Example:
        >>> normalize(np.full((1, 1, 3), 255, np.uint8), np.zeros(3), np.full(3, 0.5))[0, 0].tolist()
        [2.0, 2.0, 2.0]
    """
    if isinstance(image, torch.Tensor):
        scale, bias = _scale_and_bias(mean, std, peak_value(image.dtype))
        if image.ndim == 3 and image.numel() > 0 and image.permute(1, 2, 0).is_contiguous():
            return _affine_hwc_rows(image.permute(1, 2, 0), scale, bias).permute(2, 0, 1)
        if image.dtype == torch.uint8 and image.device.type == "cpu" and image.numel() > 0:
            if image.is_contiguous() and image.ndim == 4:
                return _affine_uint8_planes(image, scale, bias)
            if image.ndim == 4 and image.shape[1] in (1, 3, 4) and image.is_contiguous(memory_format=torch.channels_last):
                return _affine_uint8_channels_last(image, scale, bias)
        shape = (-1, 1, 1)
        scale_t = torch.from_numpy(scale).to(image.device).view(shape)
        bias_t = torch.from_numpy(bias).to(image.device).view(shape)
        return _scale_shift(image, scale_t, bias_t)
    scale, bias = _scale_and_bias(mean, std, peak_value(image.dtype))
    if image.size == 0:
        return np.empty(image.shape, np.float32)
    if image.dtype not in (np.uint8, np.float32):
        image = image.astype(np.float32)
    return _affine_hwc_rows(array_to_tensor(image), scale, bias).numpy()


def _affine_hwc_rows(hwc: torch.Tensor, scale: np.ndarray, bias: np.ndarray) -> torch.Tensor:
    """float32 ``x * scale[c] + bias[c]`` of one contiguous HWC image (any device).

    The image is viewed as ``(H, W * C)`` rows and the constants as one ``W * C`` row
    pattern. One output allocation (numpy memory on the CPU, ``augkit._memory``): the
    conversion, then the multiply-add in place. Never writes to ``hwc``.

    Notes:
        Broadcasting a 3-long channel vector over the innermost dimension makes numpy and
        torch fall back to short loops (~0.5-0.8 ms for 224 x 224); the row view keeps the
        loops long (~0.05 ms). A second fresh float32 image cost more than the arithmetic
        (0.3-0.9 ms for 452 x 419 x 3).
    """
    height, width, channels = hwc.shape
    rows = hwc.reshape(height, width * channels)
    scale_row = torch.from_numpy(np.tile(scale, width)).to(hwc.device)
    bias_row = torch.from_numpy(np.tile(bias, width)).to(hwc.device)
    out = _memory.empty_like(rows, torch.float32)
    out.copy_(rows)
    return torch.addcmul(bias_row, out, scale_row, out=out).view(height, width, channels)


def _affine_uint8_planes(image: torch.Tensor, scale: np.ndarray, bias: np.ndarray) -> torch.Tensor:
    """``x * scale[c] + bias[c]`` of a contiguous uint8 CPU tensor in one pass per channel.

    OpenCV's ``addWeighted`` converts and scales at once.

    Notes:
        About twice as fast on large batches (the 50 test-time views of an image) as a float
        copy then a multiply-add.
    """
    x = image.numpy()
    planes = x.reshape(-1, x.shape[-3], x.shape[-2] * x.shape[-1])
    out = np.empty(x.shape, np.float32)
    out_planes = out.reshape(planes.shape)
    for c in range(planes.shape[1]):
        src, dst = planes[:, c], out_planes[:, c]
        result = cv2.addWeighted(src, float(scale[c]), src, 0.0, float(bias[c]), dst=dst, dtype=cv2.CV_32F)
        if result.ctypes.data != dst.ctypes.data:  # pragma: no cover - OpenCV allocated instead
            dst[...] = result
    return torch.from_numpy(out)


def _affine_uint8_channels_last(image: torch.Tensor, scale: np.ndarray, bias: np.ndarray) -> torch.Tensor:
    """``x * scale[c] + bias[c]`` of a channels-last uint8 CPU batch, returned channels-last.

    A per-channel table of the 256 levels' float32 results (rounded once, as ``addWeighted``
    rounds: the same values as the contiguous path), applied by OpenCV's ``LUT`` in row
    chunks (``Uint8Collate`` batches are channels-last).

    Notes:
        ~2.5x faster than OpenCV's ``multiply`` then ``add``; a broadcast over the channel,
        the innermost dimension of this layout, is slower still.
    """
    hwc = image.permute(0, 2, 3, 1).numpy()
    batch, height, width, channels = hwc.shape
    levels = np.arange(256, dtype=np.float64)[:, None]
    table = (levels * scale.astype(np.float64) + bias.astype(np.float64)).astype(np.float32).reshape(1, 256, channels)
    src = hwc.reshape(batch * height, width, channels)
    out = np.empty(hwc.shape, np.float32)
    dst = out.reshape(src.shape)
    step = max(1, (1 << 18) // (width * channels))
    for row in range(0, batch * height, step):
        chunk = dst[row : row + step]
        result = cv2.LUT(src[row : row + step], table, dst=chunk)
        if result.ctypes.data != chunk.ctypes.data:  # pragma: no cover - OpenCV allocated instead
            chunk[...] = result
    return torch.from_numpy(out).permute(0, 3, 1, 2)


def subtract_mean_image(image: Image, mean_image: np.ndarray) -> Image:
    """Scale uint8 (or uint16) to [0, 1] (float stays) and subtract a dataset mean image.

    Args:
        image: HWC array, or ``[C, H, W]`` / ``[B, C, H, W]`` tensor; uint8, uint16 or float.
        mean_image: ``(H, W, C)`` float array in [0, 1] units, the image's size.

    Returns:
        float32 array or tensor of the input's shape.
    """
    if isinstance(image, torch.Tensor):
        mean = torch.from_numpy(np.ascontiguousarray(mean_image.transpose(2, 0, 1), dtype=np.float32)).to(image.device)
        if not image.is_floating_point():
            return image.to(torch.float32).mul_(1.0 / peak_value(image.dtype)).sub_(mean)  # a fresh tensor: in place is safe
        return image.to(torch.float32) - mean  # .to() may return the input itself: never in place
    out = image.astype(np.float32)
    if not np.issubdtype(image.dtype, np.floating):
        out *= np.float32(1.0 / peak_value(image.dtype))
    out -= mean_image.astype(np.float32)
    return out


def denormalize(image: Image, mean: np.ndarray, std: np.ndarray) -> Image:
    """Invert ``normalize``: return ``x * std + mean``, float32 in [0, 1] units.

    Args:
        image: float HWC array, or float ``[C, H, W]`` / ``[B, C, H, W]`` tensor.
        mean: Per-channel means, shape ``(C,)``.
        std: Per-channel standard deviations, shape ``(C,)``.

    Returns:
        float32 array or tensor of the input's shape.
    """
    if isinstance(image, torch.Tensor):
        shape = (-1, 1, 1)
        std_t = torch.as_tensor(std, dtype=torch.float32, device=image.device).view(shape)
        mean_t = torch.as_tensor(mean, dtype=torch.float32, device=image.device).view(shape)
        return torch.addcmul(mean_t, image.to(torch.float32), std_t)
    return (image.astype(np.float32) * std.astype(np.float32) + mean.astype(np.float32)).astype(np.float32)
