"""Color kernels: brightness, contrast, saturation, hue (torchvision v2 semantics) and PCA lighting.

Semantics follow torchvision v2's ``adjust_brightness/contrast/saturation/hue``:

- uint8 images are worked on in float32 and every operation ends like torchvision's: the
  result is clamped to [0, 255] and truncated to an integer (brightness, contrast,
  saturation) or multiplied by ``255.999 / 255`` and truncated (hue, torchvision's
  ``to_dtype(scale=True)``). Float images are taken as [0, 1] and only clamped.
- The grayscale image is ``0.2989 R + 0.587 G + 0.114 B`` (torchvision's ITU-R 601-2
  weights), floored on uint8. Contrast blends with its mean, saturation with itself.
- Hue rotates the HSV hue: ``h -> (h + factor) mod 1`` with S and V kept.

Three implementations share these semantics, chosen for speed:

- uint8 arrays (HWC, the sample stage) and CPU uint8 batches, where the optional C
  extension ``augkit._color`` is built (``setup.py``): one call per image that repeats
  torchvision's float32 arithmetic operation by operation, fused multiply-adds included,
  so every operation and the whole chain equal torchvision's uint8 result exactly (on
  CPUs where torch uses its AVX2/AVX-512 or NEON kernels).
- The same images without the extension: per image, a few SIMD OpenCV passes. Brightness
  and contrast are one ``saturate(round(f * x + gamma))`` pass whose ``gamma`` reproduces
  torchvision's floored table exactly (checked on all 256 levels, else ``cv2.LUT``);
  saturation is one rounding ``cv2.addWeighted`` with the floored gray, which truncates like
  torchvision except where the exact blend is an integer (``x == gray``), there it keeps the exact value where torchvision's float32 rounding may give one less;
  hue uses OpenCV's float HSV conversion. A CPU batch is processed image by image, which
  keeps the working set in cache (~3-10x faster than whole-batch tensor passes on CPU).
- Tensors elsewhere (GPU, float): vectorized torch math over ``[B, C, H, W]`` with per-sample
  factors broadcast as ``[B, 1, 1, 1]``; hue uses the closed form
  ``out_c = V - (V - min) * clamp(min(k, 4 - k), 0, 1)`` with ``k = (h6 + n_c) mod 6``.

``tests/test_color.py`` and ``tests/test_color_native.py`` prove they agree with torchvision
and with each other.
"""

from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np
import torch

try:  # The optional C accelerator (see setup.py); without it the OpenCV path is used.
    from augkit import _color as _native
except ImportError:  # pragma: no cover - an install without a compiler
    _native = None

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


def _gray_floor(image: np.ndarray) -> np.ndarray:
    """torchvision's floored uint8 grayscale of an HWC uint8 image, as float32 ``H x W``."""
    gray = cv2.transform(image.astype(np.float32), _GRAY_ROW)
    np.floor(gray, out=gray)
    return gray


def _u8_brightness(image: np.ndarray, factor: float) -> np.ndarray:
    return _point_op(image, factor, 0.0, _LEVELS * _F32(factor))


def _u8_contrast(image: np.ndarray, factor: float) -> np.ndarray:
    gray = _gray_floor(image)
    mean = _F32(cv2.sumElems(gray)[0] / gray.size)
    exact = _LEVELS * _F32(factor)
    exact += mean * _F32(1.0 - factor)
    return _point_op(image, factor, float(mean) * (1.0 - factor), exact)


def _u8_saturation(image: np.ndarray, factor: float) -> np.ndarray:
    gray = cv2.cvtColor(_gray_floor(image).astype(np.uint8), cv2.COLOR_GRAY2RGB)
    # saturate(round(f * x + (1 - f) * gray - 0.5 + eps)): torchvision's truncation.
    return cv2.addWeighted(image, factor, gray, 1.0 - factor, _FLOOR_EPS - 0.5)


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
    _native.jitter(np.ascontiguousarray(image), out, *factors, order)
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
# the factors of a sub-batch as [B, 1, 1, 1] tensors: the same products, the same order of
# additions, torch.mean for the contrast mean and the same uint8 round trip (values kept
# as integers in float32: clamp and truncate after every operation; hue converts with
# ``x * (1 / 255)`` and back with ``x * 255.999``). torchvision's ``a.add_(b, alpha=k)``
# is a fused multiply-add on CPU (AVX2 and up, NEON) and CUDA; with a tensor ``k`` it is
# computed in float64, where ``b * k`` is exact, and rounded once to float32.

_W = tuple(float(np.float32(w)) for w in GRAY_WEIGHTS)
_INV_255 = float(np.float32(1.0 / 255.0))
_INV_6 = float(np.float32(1.0 / 6.0))
_TO_UINT8 = float(np.float32(255.999))


def _t_gray(x: torch.Tensor, quantize: bool) -> torch.Tensor:
    """``r * 0.2989 + g * 0.587 + b * 0.114`` as torchvision's two fused adds, floored on uint8."""
    r, g, b = x.unbind(-3)
    gray = (r * _W[0]).double().add_(g, alpha=_W[1]).float()
    gray = gray.double().add_(b, alpha=_W[2]).float()
    if quantize:
        gray.floor_()
    return gray.unsqueeze(-3)


def _t_blend(x: torch.Tensor, f: torch.Tensor, other: torch.Tensor, unit: float, quantize: bool) -> torch.Tensor:
    """torchvision's ``_blend``: ``clamp(fma(other, 1 - f, x * f))``, truncated on uint8."""
    alpha = (1.0 - f).float().double()  # torchvision casts ``1.0 - ratio`` to float32
    out = torch.addcmul((x * f.float()).double(), other.double(), alpha).float().clamp_(0.0, unit)
    return out.floor_() if quantize else out


def _t_brightness(x, f, unit, quantize):
    out = (x * f.float()).clamp_(0.0, unit)
    return out.floor_() if quantize else out


def _t_contrast(x, f, unit, quantize):
    mean = _t_gray(x, quantize).mean(dim=(-3, -2, -1), keepdim=True)
    return _t_blend(x, f, mean, unit, quantize)


def _t_saturation(x, f, unit, quantize):
    return _t_blend(x, f, _t_gray(x, quantize), unit, quantize)


#: Per output channel, the shift that maps torchvision's sector ``i`` to ``k = (i + shift) % 6``
#: with channel value v (k < 2), q (k == 2), p (k == 3, 4), t (k == 5).
_HUE_SHIFT = (1.0, 5.0, 3.0)


def _t_hue(x, f, unit, quantize):
    image = x * _INV_255 if quantize else x
    # torchvision's _rgb_to_hsv.
    r, g, _ = image.unbind(-3)
    minc, maxc = torch.aminmax(image, dim=-3)
    eqc = maxc == minc
    span = maxc - minc
    ones = torch.ones_like(maxc)
    s = span / torch.where(eqc, ones, maxc)
    rgbc = (maxc.unsqueeze(-3) - image).div_(torch.where(eqc, ones, span).unsqueeze_(-3))
    rc, gc, bc = rgbc.unbind(-3)
    # torchvision sums three masked terms of which only one is not zero.
    h = torch.where(maxc == r, bc - gc, torch.where(maxc == g, (rc + 2.0).sub_(bc), (gc + 4.0).sub_(rc)))
    h = h.mul_(_INV_6).add_(1.0).fmod_(1.0)
    h = h.add_(f.float().view(-1, 1, 1)).remainder_(1.0)
    # torchvision's _hsv_to_rgb; its gather from (v, p, q, t) as comparisons.
    v = maxc
    h6 = h.mul_(6.0)
    i = torch.floor(h6)
    frac = h6.sub_(i)
    sxf = s * frac
    one_minus_s = 1.0 - s
    q = (1.0 - sxf).mul_(v).clamp_(0.0, 1.0)
    t = sxf.add_(one_minus_s).mul_(v).clamp_(0.0, 1.0)
    p = one_minus_s.mul_(v).clamp_(0.0, 1.0)
    k = (i.unsqueeze(-3) + torch.tensor(_HUE_SHIFT, device=x.device).view(3, 1, 1)).remainder_(6.0)
    pt = torch.where(k == 5.0, t.unsqueeze(-3), p.unsqueeze(-3))
    out = torch.where(k < 2.0, v.unsqueeze(-3), torch.where(k == 2.0, q.unsqueeze(-3), pt))
    if quantize:
        return out.mul_(_TO_UINT8).floor_()
    return out


_TENSOR_OPS = (_t_brightness, _t_contrast, _t_saturation, _t_hue)


def _factor_array(factor, batch: int | None) -> np.ndarray:
    array = np.asarray(factor, dtype=np.float64)
    if batch is None:
        if array.ndim != 0:
            raise ValueError(f"a single image takes a scalar factor, got shape {array.shape}")
        return array.reshape(1)
    if array.ndim == 0:
        return np.full(batch, float(array))
    if array.shape != (batch,):
        raise ValueError(f"factors must have shape ({batch},) for a batch of {batch}, got {array.shape}")
    return array


def _order_array(order, batch: int) -> np.ndarray:
    array = np.asarray(order, dtype=np.int64)
    if array.ndim == 1:
        array = np.broadcast_to(array, (batch, array.shape[0]))
    if array.ndim != 2 or array.shape[0] != batch:
        raise ValueError(f"order must have shape ({batch}, 4) (or (4,)), got {array.shape}")
    return array


def _jitter_tensor_vectorized(batch: torch.Tensor, factors, order: np.ndarray) -> torch.Tensor:
    """Per-sample ops in slots: at slot s, the samples whose s-th op is k get op k together."""
    quantize = batch.dtype == torch.uint8
    unit = 255.0 if quantize else 1.0
    x = batch.to(torch.float32, copy=True)
    for slot in range(order.shape[1]):
        for op in range(4):
            if factors[op] is None:
                continue
            mask = (order[:, slot] == op) & (factors[op] != NEUTRAL[op])
            rows = np.flatnonzero(mask)
            if rows.size == 0:
                continue
            f = torch.from_numpy(np.ascontiguousarray(factors[op][rows], dtype=np.float64)).to(x.device).view(-1, 1, 1, 1)
            if rows.size == x.shape[0]:
                x = _TENSOR_OPS[op](x, f, unit, quantize)
            else:
                index = torch.from_numpy(rows).to(x.device)
                x.index_copy_(0, index, _TENSOR_OPS[op](x.index_select(0, index), f, unit, quantize))
    return x.to(batch.dtype)


def _jitter_tensor_cpu_uint8(batch: torch.Tensor, factors, order: np.ndarray) -> torch.Tensor:
    """CPU uint8 batches: one image at a time through the HWC kernels (cache-friendly)."""
    batch = batch.contiguous()
    out = torch.empty_like(batch)
    src = batch.numpy()
    dst = out.numpy()
    for i in range(batch.shape[0]):
        sample_factors = [None if f is None else float(f[i]) for f in factors]
        if _native is not None:  # the same kernel as for HWC arrays, reading [3, H, W] planes
            _native.jitter(src[i], dst[i], *sample_factors, order[i], planar=True)
        else:
            image = cv2.merge(list(src[i]))
            np.copyto(dst[i], _jitter_uint8_hwc_opencv(image, sample_factors, order[i]).transpose(2, 0, 1))
    return out


def _as_tensor_batch(image: torch.Tensor) -> tuple[torch.Tensor, bool]:
    if image.ndim == 3:
        return image.unsqueeze(0), True
    return image, False


def color_jitter(image, brightness=None, contrast=None, saturation=None, hue=None, order=(0, 1, 2, 3), *, vectorized: bool | None = None):
    """Apply brightness, contrast, saturation and hue changes in the given order.

    Each operation equals the matching ``adjust_*`` kernel; an operation whose factor is
    None or neutral (1 for brightness/contrast/saturation, 0 for hue) is skipped.

    Args:
        image: HWC array, or ``[C, H, W]`` / ``[B, C, H, W]`` tensor; uint8 or float, 3 channels.
        brightness: Brightness factor (>= 0): a float, or ``[B]`` factors for a batch.
        contrast: Contrast factor (>= 0), float or ``[B]``.
        saturation: Saturation factor (>= 0), float or ``[B]``.
        hue: Hue shift in [-0.5, 0.5] (fraction of a turn), float or ``[B]``.
        order: The operations' order as indices (0 brightness, 1 contrast, 2 saturation,
            3 hue): a sequence of 4, or ``[B, 4]`` for a batch.
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
        factors = [v if v is None or type(v) is float else float(_factor_array(v, None)[0]) for v in values]
        if not (type(order) is tuple and all(type(o) is int for o in order)):
            order = [int(o) for o in np.asarray(order).reshape(-1)]
        return _jitter_hwc(image, factors, order)
    if not isinstance(image, torch.Tensor):
        raise TypeError(f"image must be a numpy array or a torch tensor, got {type(image).__name__}")
    if image.shape[-3] != 3:
        raise ValueError(f"color operations need 3 (RGB) channels, got {image.shape[-3]}")
    batch, single = _as_tensor_batch(image)
    if batch.numel() == 0:
        return image.clone()
    size = batch.shape[0]
    factors = [None if v is None else _factor_array(v, None if single else size) for v in values]
    factors = [None if f is None else np.broadcast_to(f, (size,)) for f in factors]
    order = _order_array(order, size)
    if vectorized is None:
        vectorized = not (batch.device.type == "cpu" and batch.dtype == torch.uint8)
    out = _jitter_tensor_vectorized(batch, factors, order) if vectorized else _jitter_tensor_cpu_uint8(batch, factors, order)
    return out[0] if single else out


def _single_op(op: int, image, factor, vectorized: bool | None):
    factors = [None] * 4
    factors[op] = factor
    return color_jitter(image, *factors, order=(op,), vectorized=vectorized)


def adjust_brightness(image, factor, *, vectorized: bool | None = None):
    """Multiply every value by ``factor`` and clamp (torchvision v2 ``adjust_brightness``).

    Args:
        image: HWC array, or ``[C, H, W]`` / ``[B, C, H, W]`` tensor; uint8 or float.
        factor: >= 0; a float, or ``[B]`` factors for a batch.
        vectorized: See ``color_jitter``.

    Returns:
        The adjusted image, same kind and dtype.

    Example:
        >>> adjust_brightness(np.full((1, 1, 3), 200, np.uint8), 1.5)[0, 0].tolist()
        [255, 255, 255]
    """
    return _single_op(BRIGHTNESS, image, factor, vectorized)


def adjust_contrast(image, factor, *, vectorized: bool | None = None):
    """Blend with the mean of the grayscale image (torchvision v2 ``adjust_contrast``).

    Args:
        image: HWC array, or ``[C, H, W]`` / ``[B, C, H, W]`` tensor; uint8 or float.
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


def adjust_saturation(image, factor, *, vectorized: bool | None = None):
    """Blend with the grayscale image (torchvision v2 ``adjust_saturation``).

    Args:
        image: HWC array, or ``[C, H, W]`` / ``[B, C, H, W]`` tensor; uint8 or float.
        factor: >= 0 (0 gives grayscale); a float, or ``[B]`` factors for a batch.
        vectorized: See ``color_jitter``.

    Returns:
        The adjusted image, same kind and dtype.

    Example:
        >>> adjust_saturation(np.array([[[255, 0, 0]]], np.uint8), 0.0)[0, 0].tolist()
        [76, 76, 76]
    """
    return _single_op(SATURATION, image, factor, vectorized)


def adjust_hue(image, factor, *, vectorized: bool | None = None):
    """Rotate the HSV hue by ``factor`` turns (torchvision v2 ``adjust_hue``).

    Args:
        image: HWC array, or ``[C, H, W]`` / ``[B, C, H, W]`` tensor; uint8 or float.
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


def add_offset(image, offset):
    """Add a per-channel offset (in [0, 1] units) to every pixel, clip, keep dtype.

    uint8 images get ``round(x + 255 * offset)`` clipped to [0, 255] (via a lookup table for
    arrays); float images ``x + offset`` clipped to [0, 1].

    Args:
        image: HWC array, or ``[C, H, W]`` / ``[B, C, H, W]`` tensor; uint8 or float.
        offset: ``(C,)`` offsets, or ``(B, C)`` for a batch.

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
    batch, single = _as_tensor_batch(image)
    channels = batch.shape[1]
    if single and offset.shape == (channels,):
        offset = offset[None]
    if offset.shape != (batch.shape[0], channels):
        raise ValueError(f"offset must have shape ({batch.shape[0]}, {channels}), got {offset.shape}")
    if batch.dtype == torch.uint8 and batch.device.type == "cpu":
        # One lookup table per image and channel: same float32 arithmetic as the tensor path.
        tables = np.arange(256, dtype=np.float32)[None, None, :] + (offset * 255.0).astype(np.float32)[:, :, None]
        tables = np.clip(np.rint(tables), 0, 255).astype(np.uint8)
        src = batch.contiguous().numpy()
        out = torch.empty(batch.shape, dtype=torch.uint8)
        dst = out.numpy()
        for i in range(src.shape[0]):
            for c in range(channels):
                cv2.LUT(src[i, c], tables[i, c], dst=dst[i, c])
    elif batch.dtype == torch.uint8:
        off = torch.from_numpy((offset * 255.0).astype(np.float32)).to(batch.device).view(-1, channels, 1, 1)
        out = (batch.to(torch.float32) + off).round_().clamp_(0.0, 255.0).to(torch.uint8)
    else:
        off = torch.from_numpy(offset).to(device=batch.device, dtype=batch.dtype).view(-1, channels, 1, 1)
        out = (batch + off).clamp_(0.0, 1.0)
    return out[0] if single else out
