"""Color kernels: brightness, contrast, saturation, hue (torchvision v2 semantics) and PCA lighting.

Semantics follow torchvision v2's ``adjust_brightness/contrast/saturation/hue``:

- uint8 images are worked on in float32 and every operation ends like torchvision's: the
  result is clamped to [0, 255] and truncated to an integer (brightness, contrast,
  saturation) or multiplied by ``255.999 / 255`` and truncated (hue, torchvision's
  ``to_dtype(scale=True)``). Float images are taken as [0, 1] and only clamped.
- The grayscale image is ``0.2989 R + 0.587 G + 0.114 B`` (torchvision's ITU-R 601-2
  weights), floored on uint8. Contrast blends with its mean, saturation with itself.
- Hue rotates the HSV hue: ``h -> (h + factor) mod 1`` with S and V kept.

Three implementations share these semantics:

- uint8 arrays (HWC, the sample stage) and CPU uint8 batches, where the optional C
  extension ``augkit._color`` is built (``setup.py``): one call per image that repeats
  torchvision's float32 arithmetic operation by operation, fused multiply-adds included,
  so every operation and the whole chain equal torchvision's uint8 result exactly (on
  CPUs where torch uses its AVX2/AVX-512 or NEON kernels).
- The same images without the extension: per image, a few SIMD OpenCV or numpy passes.
  Brightness and contrast are one ``saturate(round(f * x + gamma))`` pass whose ``gamma``
  reproduces torchvision's floored table exactly (checked on all 256 levels, else
  ``cv2.LUT``); the gray image and the saturation blend repeat torchvision's fused
  multiply-adds in float64 (exact there, rounded once to float32), so every operation is
  within one level of torchvision's (tests/test_color_fallback.py); hue uses OpenCV's float
  HSV conversion (within two levels). A CPU batch is processed image by image.
- Tensors elsewhere (GPU, float): vectorized torch math over ``[B, C, H, W]`` with per-sample
  factors broadcast as ``[B, 1, 1, 1]``, repeating torchvision's float32 operations one by
  one (its fused adds in float64, its HSV round trip, its uint8 round trip after every
  operation): on the CPU it equals torchvision's uint8 result exactly, float within 1 ulp.

``tests/test_color.py`` and ``tests/test_color_native.py`` prove they agree with torchvision
and with each other.

Notes:
    The implementation is chosen for speed: image by image on CPU batches keeps the working
    set in cache, about 3-10x faster there than whole-batch tensor passes (docs/benchmarks.md).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np
import torch

from augkit import _memory
from augkit._image import Image, channels, flatten_leading, per_sample

try:  # The optional C accelerator (see setup.py); without it the OpenCV path is used.
    from augkit import _color as _native
except ImportError:  # pragma: no cover - an install without a compiler
    _native = None  # type: ignore[assignment]

#: torchvision's grayscale weights (ITU-R 601-2 luma, as ``rgb_to_grayscale`` writes them).
GRAY_WEIGHTS = (0.2989, 0.587, 0.114)

#: Operation indices used by ``color_jitter``'s ``order``.
BRIGHTNESS, CONTRAST, SATURATION, HUE = 0, 1, 2, 3
#: The factor of each operation that leaves an image unchanged.
NEUTRAL = (1.0, 1.0, 1.0, 0.0)

_HUE_TO_UINT8 = np.float32(255.999 / 255.0)
_F32 = np.float32


# --------------------------------------------------------------------------------------
# Per-image kernels on HWC float32 arrays in "working units" (0..255 for uint8, 0..1 float).
# ``quantize`` emulates torchvision's uint8 truncation after each operation.


def _work_brightness(x: np.ndarray, factor: float, unit: float, quantize: bool) -> np.ndarray:
    np.multiply(x, _F32(factor), out=x)
    np.minimum(x, _F32(unit), out=x)
    if quantize:
        np.floor(x, out=x)
    return x


_GRAY_ROW = np.array([GRAY_WEIGHTS], dtype=np.float32)


def _work_gray(x: np.ndarray, quantize: bool) -> np.ndarray:
    gray = cv2.transform(x, _GRAY_ROW)
    if quantize:
        np.floor(gray, out=gray)
    return gray


def _blend_into(x: np.ndarray, factor: float, other, unit: float, quantize: bool) -> np.ndarray:
    """``x = clamp(factor * x + (1 - factor) * other)`` in place (torchvision's ``_blend``)."""
    np.multiply(x, _F32(factor), out=x)
    if isinstance(other, np.ndarray):
        np.multiply(other, _F32(1.0 - factor), out=other)
        x += other
    else:
        x += _F32(other) * _F32(1.0 - factor)
    np.clip(x, _F32(0.0), _F32(unit), out=x)
    if quantize:
        np.floor(x, out=x)
    return x


def _work_contrast(x: np.ndarray, factor: float, unit: float, quantize: bool) -> np.ndarray:
    mean = _F32(_work_gray(x, quantize).mean(dtype=np.float64))
    return _blend_into(x, factor, mean, unit, quantize)


def _work_saturation(x: np.ndarray, factor: float, unit: float, quantize: bool) -> np.ndarray:
    gray = _work_gray(x, quantize)
    # A same-shaped gray image keeps numpy's loops contiguous (a [..., None] broadcast is ~10x slower).
    return _blend_into(x, factor, cv2.merge([gray, gray, gray]), unit, quantize)


def _work_hue(x: np.ndarray, factor: float, unit: float, quantize: bool) -> np.ndarray:
    # OpenCV's float HSV keeps V in the input's units and H in degrees [0, 360); its
    # HSV -> RGB wraps hues in [360, 720), so a shift taken mod 360 needs no wrapping.
    hsv = cv2.cvtColor(x, cv2.COLOR_RGB2HSV)
    hsv[..., 0] += _F32((factor % 1.0) * 360.0)
    out = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
    if quantize:
        np.multiply(out, _HUE_TO_UINT8, out=out)
        np.floor(out, out=out)
        np.minimum(out, _F32(255.0), out=out)
    else:
        np.clip(out, _F32(0.0), _F32(unit), out=out)
    return out


_WORK_OPS = (_work_brightness, _work_contrast, _work_saturation, _work_hue)


# --------------------------------------------------------------------------------------
# uint8 HWC kernels: few OpenCV passes, no float round trip for the point operations.

_PROBE = np.arange(256, dtype=np.uint8).reshape(1, 256)
_LEVELS = np.arange(256, dtype=np.float32)
#: Added to ``-0.5`` so that OpenCV's round-to-nearest reproduces a floor (and ties round up).
_FLOOR_EPS = 2.0**-12
#: The narrowest rounding window tried for a single affine pass (``_point_op`` checks it).
_MIN_WINDOW = 2.0**-16


def _point_op(image: np.ndarray, factor: float, offset: float, exact: np.ndarray) -> np.ndarray:
    """``floor(clamp(factor * x + offset))`` on uint8, with ``exact`` its float32 values at x = 0..255.

    The target table is ``floor(clamp(exact, 0, 255))`` (torchvision's float32 arithmetic).
    One SIMD pass ``saturate(round(factor * x + gamma))`` (``cv2.convertScaleAbs`` or
    ``cv2.addWeighted``) gives it when ``gamma`` puts every level's value inside its rounding
    window; the pass is checked on all 256 levels first, else ``cv2.LUT`` (slower) is used.
    """
    clamped = np.minimum(np.maximum(exact, _F32(0.0)), _F32(255.0))
    table = np.floor(clamped)
    # round(clamped + g) == table  <=>  table - clamped - 0.5 <= g < table - clamped + 0.5; the
    # clamped levels then saturate the same way. Take the middle of the common window.
    np.subtract(table, clamped, out=clamped)
    low, high = float(clamped.max()), float(clamped.min())
    table_u8 = table.astype(np.uint8)
    if 1.0 + high - low >= _MIN_WINDOW:
        gamma = float(offset) + (low + high) / 2.0
        if gamma >= -0.5:
            # Every result is >= -0.5, where |.| rounds like a clamp at 0.
            if cv2.convertScaleAbs(_PROBE, alpha=factor, beta=gamma).tobytes() == table_u8.tobytes():
                return cv2.convertScaleAbs(image, alpha=factor, beta=gamma)
        elif cv2.addWeighted(_PROBE, factor, _PROBE, 0.0, gamma).tobytes() == table_u8.tobytes():
            return cv2.addWeighted(image, factor, image, 0.0, gamma)
    return cv2.LUT(image, table_u8)


_W32 = tuple(float(np.float32(w)) for w in GRAY_WEIGHTS)


def _gray_floor(image: np.ndarray) -> np.ndarray:
    """torchvision's floored uint8 grayscale of an HWC uint8 image, as float32 ``H x W``.

    torchvision computes ``r * 0.2989`` in float32, then adds ``g * 0.587`` and ``b * 0.114``
    with fused multiply-adds (one rounding each). Both sums are exact in float64 for uint8
    values, so rounding each once to float32 reproduces them: a plain float32 sum would floor
    some pixels one level off, which a saturation factor f multiplies by ``f - 1``.
    """
    planes = image.astype(np.float64)
    total = (planes[..., 0].astype(np.float32) * np.float32(_W32[0])).astype(np.float64)
    total += planes[..., 1] * _W32[1]
    total = total.astype(np.float32).astype(np.float64)
    total += planes[..., 2] * _W32[2]
    return np.floor(total.astype(np.float32))


def _u8_brightness(image: np.ndarray, factor: float) -> np.ndarray:
    return _point_op(image, factor, 0.0, _LEVELS * _F32(factor))


def _fused_blend(x: np.ndarray, factor: float, other) -> np.ndarray:
    """float32 ``fma(other, 1 - f, x * f)`` as torchvision's ``_blend`` computes it (exact in float64 here)."""
    scaled = (x.astype(np.float32) * _F32(factor)).astype(np.float64)
    scaled += np.asarray(other, dtype=np.float64) * float(_F32(1.0 - factor))
    return scaled.astype(np.float32)


def _u8_contrast(image: np.ndarray, factor: float) -> np.ndarray:
    gray = _gray_floor(image)
    mean = _F32(gray.sum(dtype=np.float64) / gray.size)
    exact = _fused_blend(_LEVELS, factor, mean)
    return _point_op(image, factor, float(mean) * (1.0 - factor), exact)


def _u8_saturation(image: np.ndarray, factor: float) -> np.ndarray:
    blend = _fused_blend(image, factor, _gray_floor(image)[..., None])
    # torchvision clamps to [0, 255] and truncates; in range, truncation is a floor.
    return np.clip(blend, 0.0, 255.0).astype(np.uint8)


def _u8_hue(image: np.ndarray, factor: float) -> np.ndarray:
    hsv = cv2.cvtColor(image.astype(np.float32), cv2.COLOR_RGB2HSV)
    hue = hsv[..., 0]
    np.add(hue, _F32((factor % 1.0) * 360.0), out=hue)
    out = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
    # floor(min(x * 255.999 / 255, 255)) in one pass; x >= 0, so |.| changes nothing.
    return cv2.convertScaleAbs(out, alpha=float(_HUE_TO_UINT8), beta=_FLOOR_EPS - 0.5)


_U8_OPS = (_u8_brightness, _u8_contrast, _u8_saturation, _u8_hue)


def _jitter_uint8_hwc(image: np.ndarray, factors: Sequence[float | None], order: Sequence[int]) -> np.ndarray:
    """ColorJitter on one HWC uint8 image: the C kernel where built, else the OpenCV passes."""
    if _native is None:
        return _jitter_uint8_hwc_opencv(image, factors, order)
    out = np.empty(image.shape, np.uint8)
    _native.jitter(np.ascontiguousarray(image), out, factors[0], factors[1], factors[2], factors[3], order)
    return out


def _jitter_uint8_hwc_opencv(image: np.ndarray, factors: Sequence[float | None], order: Sequence[int]) -> np.ndarray:
    """ColorJitter on one HWC uint8 image: one SIMD OpenCV pass per point op, few per other op."""
    out = image
    for op in order:
        op = int(op)
        factor = factors[op]
        if factor is None or factor == NEUTRAL[op]:
            continue
        out = _U8_OPS[op](out, factor)
    return out if out is not image else image.copy()


def _jitter_float_hwc(image: np.ndarray, factors: Sequence[float | None], order: Sequence[int]) -> np.ndarray:
    x = np.array(image, dtype=np.float32, copy=True)
    for op in order:
        op = int(op)
        factor = factors[op]
        if factor is None or factor == NEUTRAL[op]:
            continue
        x = _WORK_OPS[op](x, factor, 1.0, False)
    return x.astype(image.dtype, copy=False)


def _jitter_hwc(image: np.ndarray, factors, order) -> np.ndarray:
    if image.shape[-1] != 3:
        raise ValueError(f"color operations need 3 (RGB) channels, got {image.shape[-1]}")
    if image.dtype == np.uint8:
        return _jitter_uint8_hwc(image, factors, order)
    return _jitter_float_hwc(image, factors, order)


# --------------------------------------------------------------------------------------
# Vectorized torch kernels on [B, 3, H, W] float32 working tensors with [B] factors.
#
# Each operation repeats torchvision v2's float32 arithmetic operation by operation, with
# a sub-batch's factors as [B, 1, 1, 1] tensors: the same products, the same order of
# additions, ``torch.mean`` for the contrast mean, and on uint8 the same round trip after
# every operation (values are kept as integers in float32: clamp and truncate; hue
# converts with ``x * (1 / 255)`` and back with ``x * 255.999``). torchvision's
# ``a.add_(b, alpha=k)`` (the gray image and the blends) is a fused multiply-add on CPU
# (AVX2 and up, NEON) and CUDA: with per-sample ``k`` it is computed in float64, where
# ``b * k`` is exact, and rounded once to float32 (the sum too is exact in float64 but for
# rare ties). On float images plain float32 arithmetic is used (within 1 ulp).
# The kernels work in place on ``x``, which they own.

_W = tuple(float(np.float32(w)) for w in GRAY_WEIGHTS)
_INV_255 = float(np.float32(1.0 / 255.0))
_INV_6 = float(np.float32(1.0 / 6.0))
_TO_UINT8 = float(np.float32(255.999))
#: The smallest normal float32: a divisor clamped to it stays as it is unless it is 0.
_TINY = float(np.finfo(np.float32).tiny)


class _Scratch:
    """One float64 buffer, as large as the batch, reused by every operation of a call."""

    def __init__(self, like: torch.Tensor):
        self._like = like
        self._buffer: torch.Tensor | None = None

    def wide(self, shape) -> torch.Tensor:
        buffer = self._buffer
        if buffer is None:
            buffer = self._buffer = torch.empty(self._like.numel(), dtype=torch.float64, device=self._like.device)
        return buffer[: math.prod(shape)].view(shape)


def _fma_into(out: torch.Tensor, other: torch.Tensor, weight, scratch: _Scratch, alpha=None) -> torch.Tensor:
    """``out = round_f32(out + other * weight)`` in place, with the product and sum in float64."""
    wide = scratch.wide(out.shape).copy_(out)
    if alpha is None:
        wide.addcmul_(other, weight)
    else:
        wide.add_(other, alpha=alpha)
    return out.copy_(wide)


def _t_gray(x: torch.Tensor, quantize: bool, scratch: _Scratch) -> torch.Tensor:
    """torchvision's ``r * 0.2989`` then two fused adds of ``g * 0.587`` and ``b * 0.114``."""
    r, g, b = x.unbind(-3)
    gray = r * _W[0]
    if quantize:
        _fma_into(gray, g, None, scratch, alpha=_W[1])
        _fma_into(gray, b, None, scratch, alpha=_W[2]).floor_()
    else:
        gray.add_(g, alpha=_W[1]).add_(b, alpha=_W[2])
    return gray.unsqueeze(-3)


def _t_finish(x: torch.Tensor, unit: float, quantize: bool) -> torch.Tensor:
    x.clamp_(0.0, unit)
    return x.floor_() if quantize else x


def _t_brightness(x, f, unit, quantize, scratch):
    return _t_finish(x.mul_(f.float()), unit, quantize)


def _t_blend(x, f, other, unit, quantize, scratch):
    """torchvision's ``_blend``: ``clamp(x * f + other * (1 - f))`` with its fused add."""
    alpha = (1.0 - f).float()  # torchvision rounds ``1.0 - ratio`` to float32
    x.mul_(f.float())
    if quantize:
        _fma_into(x, other, alpha.double(), scratch)
    else:
        x.addcmul_(other, alpha)
    return _t_finish(x, unit, quantize)


def _t_contrast(x, f, unit, quantize, scratch):
    mean = _t_gray(x, quantize, scratch).mean(dim=(-3, -2, -1), keepdim=True)
    return _t_blend(x, f, mean, unit, quantize, scratch)


def _t_saturation(x, f, unit, quantize, scratch):
    return _t_blend(x, f, _t_gray(x, quantize, scratch), unit, quantize, scratch)


def _t_hue(x, f, unit, quantize, scratch):
    """torchvision's ``adjust_hue``: ``_rgb_to_hsv``, shift, ``_hsv_to_rgb``, same float32 steps."""
    image = x.mul_(_INV_255) if quantize else x  # torchvision's to_dtype(float32, scale=True)
    r, g, b = image.unbind(-3)
    maxc = torch.maximum(torch.maximum(r, g), b)
    minc = torch.minimum(torch.minimum(r, g), b)
    max_is_r, max_is_g = maxc == r, maxc == g
    span = maxc - minc
    # torchvision divides by 1 where max == min; there the numerators are 0 and so are the
    # quotients either way (values >= 0, so max == 0 implies max == min).
    s = span / maxc.clamp_min(_TINY)
    rgbc = torch.sub(maxc.unsqueeze(-3), image, out=x).div_(span.clamp_min_(_TINY).unsqueeze_(-3))
    rc, gc, bc = rgbc.unbind(-3)
    # torchvision sums three masked terms of which only one is not zero.
    h = torch.where(max_is_r, bc - gc, torch.where(max_is_g, (rc + 2.0).sub_(bc), (gc + 4.0).sub_(rc)))
    h = h.mul_(_INV_6).add_(1.0).fmod_(1.0)
    h = h.add_(f.float().view(-1, 1, 1)).remainder_(1.0)
    h6 = h.mul_(6.0)
    i = torch.floor(h6)
    frac = h6.sub_(i)
    sxf = s * frac
    one_minus_s = s.neg_().add_(1.0)
    q = sxf.neg().add_(1.0).mul_(maxc).clamp_(0.0, 1.0)
    t = sxf.add_(one_minus_s).mul_(maxc).clamp_(0.0, 1.0)
    p = one_minus_s.mul_(maxc).clamp_(0.0, 1.0)
    # torchvision gathers each channel from (v, p, q, t) by the sector i % 6. Channel c
    # (shift 0, 4, 2 for r, g, b) takes v at sectors (i + shift) % 6 in {0, 5}, p at {2, 3}
    # and at {1, 4} the ramp: q at odd i, t at even i. As p <= ramp <= v (monotone float32
    # steps), that is clamp(ramp + d, p, v) with d = 2, -2, 0 = |((2 i + 2 shift + 1) % 12) - 6| - 3.
    i = i.remainder_(6.0)
    ramp = torch.where(i.remainder(2.0) == 1.0, q, t).unsqueeze_(-3)
    shift = torch.arange(3, device=x.device, dtype=torch.float32).mul_(8.0).add_(1.0).view(3, 1, 1)
    d = torch.add(i.mul_(2.0).unsqueeze_(-3), shift, out=x).remainder_(12.0).sub_(6.0).abs_().sub_(3.0)
    out = torch.clamp(d.add_(ramp), min=p.unsqueeze_(-3), max=maxc.unsqueeze_(-3), out=x)
    return out.mul_(_TO_UINT8).floor_() if quantize else out


_TENSOR_OPS = (_t_brightness, _t_contrast, _t_saturation, _t_hue)


def _order_array(order, leading: tuple[int, ...]) -> np.ndarray:
    array = np.asarray(order, dtype=np.int64)
    if array.ndim == 1:
        return np.broadcast_to(array, (math.prod(leading), array.shape[0]))
    if array.ndim >= 2 and array.shape[:-1] == leading:
        return array.reshape(math.prod(leading), array.shape[-1])
    raise ValueError(f"order must have shape (4,) or {leading + (4,)}, got {array.shape}")


def _jitter_tensor_vectorized(batch: torch.Tensor, factors, order: np.ndarray) -> torch.Tensor:
    """Per-sample ops in slots: at slot s, the samples whose s-th op is k get op k together.

    The groups' rows and factors go to the device in one copy (pinned, asynchronous on
    CUDA): nothing here waits for the device.
    """
    size = batch.shape[0]
    groups: list[tuple[int, int, int, bool]] = []
    rows: list[np.ndarray] = []
    values: list[np.ndarray] = []
    for slot in range(order.shape[1]):
        for op in range(4):
            if factors[op] is None:
                continue
            selected = np.flatnonzero((order[:, slot] == op) & (factors[op] != NEUTRAL[op]))
            if selected.size:
                groups.append((op, sum(v.size for v in values), selected.size, selected.size == size))
                values.append(np.asarray(factors[op], dtype=np.float64)[selected])
                rows.append(selected)
    if not groups:
        return batch.clone()
    # One float64 block: the factors, then the row indices (exact in float64).
    host = torch.from_numpy(np.concatenate(values + rows).astype(np.float64))
    if batch.device.type == "cuda":
        params = host.pin_memory().to(batch.device, non_blocking=True)
    else:
        params = host.to(batch.device)
    offset = sum(v.size for v in values)
    quantize = batch.dtype == torch.uint8
    unit = 255.0 if quantize else 1.0
    x = batch.to(torch.float32, copy=True)
    scratch = _Scratch(x)
    for op, start, count, whole in groups:
        f = params[start : start + count].view(-1, 1, 1, 1)
        if whole:
            x = _TENSOR_OPS[op](x, f, unit, quantize, scratch)
        else:
            index = params[offset + start : offset + start + count].long()
            x.index_copy_(0, index, _TENSOR_OPS[op](x.index_select(0, index), f, unit, quantize, scratch))
    return x.to(batch.dtype)


def _jitter_tensor_cpu_uint8(batch: torch.Tensor, factors, order: np.ndarray) -> torch.Tensor:
    """CPU uint8 batches: one image at a time through the HWC kernels (cache-friendly)."""
    batch = batch.contiguous()
    out = _memory.empty_like(batch)
    src = batch.numpy()
    dst = out.numpy()
    for i in range(batch.shape[0]):
        jitter_planes_into(src[i], dst[i], [None if f is None else float(f[i]) for f in factors], order[i])
    return out


def jitter_planes_into(src: np.ndarray, dst: np.ndarray, factors: Sequence[float | None], order: Sequence[int]) -> None:
    """``color_jitter`` of one uint8 ``[3, H, W]`` image written into ``dst`` (the CPU kernels).

    Args:
        src: ``[3, H, W]`` uint8 C-contiguous array.
        dst: ``[3, H, W]`` uint8 C-contiguous array, written.
        factors: Brightness, contrast, saturation and hue (None skips one).
        order: The operations' order (see ``color_jitter``).
    """
    if _native is not None:  # the same kernel as for HWC arrays, reading [3, H, W] planes
        brightness, contrast, saturation, hue = factors
        _native.jitter(src, dst, brightness, contrast, saturation, hue, order, planar=True)
    else:
        image = cv2.merge(list(src))
        np.copyto(dst, _jitter_uint8_hwc_opencv(image, factors, order).transpose(2, 0, 1))


def color_jitter(
    image: Image, brightness=None, contrast=None, saturation=None, hue=None, order=(0, 1, 2, 3), *, vectorized: bool | None = None
) -> Image:
    """Apply brightness, contrast, saturation and hue changes in the given order.

    Each operation equals the matching ``adjust_*`` kernel; an operation whose factor is
    None or neutral (1 for brightness/contrast/saturation, 0 for hue) is skipped.

    Args:
        image: HWC array, or ``[..., C, H, W]`` tensor; uint8 or float, 3 channels.
        brightness: Brightness factor (>= 0): a float, or ``[B]`` factors for a batch (one per
            image: the tensor's leading shape).
        contrast: Contrast factor (>= 0), float or ``[B]``.
        saturation: Saturation factor (>= 0), float or ``[B]``.
        hue: Hue shift in [-0.5, 0.5] (fraction of a turn), float or ``[B]``.
        order: The operations' order as indices (0 brightness, 1 contrast, 2 saturation,
            3 hue): a sequence of 4, or ``[B, 4]`` for a batch (leading shape + ``(4,)``).
        vectorized: Force (True) or forbid (False) the whole-batch torch path; by default
            CPU uint8 tensors go image by image through the array kernels and everything
            else is vectorized.

    Returns:
        The adjusted image, same kind, shape and dtype.

    Example:
        >>> x = np.full((1, 1, 3), 100, np.uint8)
        >>> color_jitter(x, brightness=1.5, contrast=0.5)[0, 0].tolist()
        [149, 149, 149]
    """
    values = (brightness, contrast, saturation, hue)
    if isinstance(image, np.ndarray):
        scalars = [v if v is None or type(v) is float else float(per_sample(name, v, ())[0]) for name, v in zip(_NAMES, values)]
        if not (type(order) is tuple and all(type(o) is int for o in order)):
            order = [int(o) for o in np.asarray(order).reshape(-1)]
        return _jitter_hwc(image, scalars, order)
    if not isinstance(image, torch.Tensor):
        raise TypeError(f"image must be a numpy array or a torch tensor, got {type(image).__name__}")
    if channels(image) != 3:
        raise ValueError(f"color operations need 3 (RGB) channels, got {channels(image)}")
    batch, leading = flatten_leading(image)
    arrays = [None if v is None else per_sample(name, v, leading) for name, v in zip(_NAMES, values)]
    orders = _order_array(order, leading)
    if batch.numel() == 0:
        return image.clone()
    if vectorized is None:
        vectorized = not (batch.device.type == "cpu" and batch.dtype == torch.uint8)
    out = _jitter_tensor_vectorized(batch, arrays, orders) if vectorized else _jitter_tensor_cpu_uint8(batch, arrays, orders)
    return out.reshape(image.shape)


_NAMES = ("brightness", "contrast", "saturation", "hue")


def _single_op(op: int, image: Image, factor, vectorized: bool | None) -> Image:
    factors = [None] * 4
    factors[op] = factor
    b, c, s, h = factors
    return color_jitter(image, b, c, s, h, order=(op,), vectorized=vectorized)


def adjust_brightness(image: Image, factor, *, vectorized: bool | None = None) -> Image:
    """Multiply every value by ``factor`` and clamp (torchvision v2 ``adjust_brightness``).

    Args:
        image: HWC array, or ``[..., C, H, W]`` tensor; uint8 or float.
        factor: >= 0; a float, or ``[B]`` factors for a batch.
        vectorized: See ``color_jitter``.

    Returns:
        The adjusted image, same kind and dtype.

    Example:
        >>> adjust_brightness(np.full((1, 1, 3), 200, np.uint8), 1.5)[0, 0].tolist()
        [255, 255, 255]
    """
    return _single_op(BRIGHTNESS, image, factor, vectorized)


def adjust_contrast(image: Image, factor, *, vectorized: bool | None = None) -> Image:
    """Blend with the mean of the grayscale image (torchvision v2 ``adjust_contrast``).

    Args:
        image: HWC array, or ``[..., C, H, W]`` tensor; uint8 or float.
        factor: >= 0 (0 gives a flat gray image); a float, or ``[B]`` factors for a batch.
        vectorized: See ``color_jitter``.

    Returns:
        The adjusted image, same kind and dtype.

    Example:
        >>> x = np.array([[[0, 0, 0], [200, 200, 200]]], np.uint8)
        >>> adjust_contrast(x, 0.0)[0].tolist()
        [[99, 99, 99], [99, 99, 99]]
    """
    return _single_op(CONTRAST, image, factor, vectorized)


def adjust_saturation(image: Image, factor, *, vectorized: bool | None = None) -> Image:
    """Blend with the grayscale image (torchvision v2 ``adjust_saturation``).

    Args:
        image: HWC array, or ``[..., C, H, W]`` tensor; uint8 or float.
        factor: >= 0 (0 gives grayscale); a float, or ``[B]`` factors for a batch.
        vectorized: See ``color_jitter``.

    Returns:
        The adjusted image, same kind and dtype.

    Example:
        >>> adjust_saturation(np.array([[[255, 0, 0]]], np.uint8), 0.0)[0, 0].tolist()
        [76, 76, 76]
    """
    return _single_op(SATURATION, image, factor, vectorized)


def adjust_hue(image: Image, factor, *, vectorized: bool | None = None) -> Image:
    """Rotate the HSV hue by ``factor`` turns (torchvision v2 ``adjust_hue``).

    Args:
        image: HWC array, or ``[..., C, H, W]`` tensor; uint8 or float.
        factor: In [-0.5, 0.5]; a float, or ``[B]`` shifts for a batch.
        vectorized: See ``color_jitter``.

    Returns:
        The adjusted image, same kind and dtype.

    Example:
        >>> adjust_hue(np.array([[[255, 0, 0]]], np.uint8), 1 / 3)[0, 0].tolist()
        [0, 255, 0]
    """
    return _single_op(HUE, image, factor, vectorized)


# --------------------------------------------------------------------------------------
# PCA lighting (AlexNet).


def pca_lighting_offset(alpha, eigval, eigvec) -> np.ndarray:
    """Return the per-image RGB offset ``eigvec @ (alpha * eigval)`` in [0, 1] units.

    Args:
        alpha: ``(3,)`` weights for one image, or ``(B, 3)`` for a batch.
        eigval: ``(3,)`` eigenvalues of the RGB covariance.
        eigvec: ``(3, 3)`` eigenvectors as columns.

    Returns:
        float64 ``(3,)`` or ``(B, 3)`` offsets.

    Example:
        >>> pca_lighting_offset([1.0, 0.0, 0.0], [0.5, 0.1, 0.1], np.eye(3)).tolist()
        [0.5, 0.0, 0.0]
    """
    alpha = np.asarray(alpha, dtype=np.float64)
    return (alpha * np.asarray(eigval, dtype=np.float64)) @ np.asarray(eigvec, dtype=np.float64).T


def add_offset(image: Image, offset) -> Image:
    """Add a per-channel offset (in [0, 1] units) to every pixel, clip, keep dtype.

    uint8 images get ``round(x + 255 * offset)`` clipped to [0, 255] (via a lookup table for
    arrays); float images ``x + offset`` clipped to [0, 1].

    Args:
        image: HWC array, or ``[..., C, H, W]`` tensor; uint8 or float.
        offset: ``(C,)`` offsets shared by every image, or one row per image of a batch
            (``(B, C)``: the tensor's leading shape + ``(C,)``).

    Returns:
        The shifted image, same kind and dtype.

    Example:
        >>> add_offset(np.full((1, 1, 3), 250, np.uint8), [0.1, 0.0, -0.1])[0, 0].tolist()
        [255, 250, 224]
    """
    offset = np.asarray(offset, dtype=np.float64)
    if isinstance(image, np.ndarray):
        if offset.shape != (image.shape[-1],):
            raise ValueError(f"offset must have shape ({image.shape[-1]},), got {offset.shape}")
        if image.dtype == np.uint8:
            table = np.arange(256, dtype=np.float32)[:, None] + (offset * 255.0).astype(np.float32)
            table = np.clip(np.rint(table), 0, 255).astype(np.uint8)
            if image.shape[-1] in (1, 3, 4) and image.shape[-1] <= 4:
                return cv2.LUT(image, table.reshape(256, 1, image.shape[-1])).reshape(image.shape)
            return np.stack([table[image[..., c], c] for c in range(image.shape[-1])], axis=-1)
        return np.clip(image + offset.astype(image.dtype), 0.0, 1.0).astype(image.dtype, copy=False)
    batch, leading = flatten_leading(image)
    count = channels(batch)
    offset = per_sample("offset", offset, leading, (count,))
    if batch.numel() == 0:
        return image.clone()
    if batch.dtype == torch.uint8 and batch.device.type == "cpu":
        # One lookup table per image and channel: same float32 arithmetic as the tensor path.
        tables = np.arange(256, dtype=np.float32)[None, None, :] + (offset * 255.0).astype(np.float32)[:, :, None]
        tables = np.clip(np.rint(tables), 0, 255).astype(np.uint8)
        src = batch.contiguous().numpy()
        out = _memory.empty(tuple(batch.shape), torch.uint8)
        dst = out.numpy()
        for i in range(src.shape[0]):
            for c in range(count):
                cv2.LUT(src[i, c], tables[i, c], dst=dst[i, c])
    elif batch.dtype == torch.uint8:
        off = torch.from_numpy((offset * 255.0).astype(np.float32)).to(batch.device).view(-1, count, 1, 1)
        out = (batch.to(torch.float32) + off).round_().clamp_(0.0, 255.0).to(torch.uint8)
    else:
        off = torch.from_numpy(np.array(offset)).to(device=batch.device, dtype=batch.dtype).view(-1, count, 1, 1)
        out = (batch + off).clamp_(0.0, 1.0)
    return out.reshape(image.shape)
