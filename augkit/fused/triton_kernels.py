"""Triton kernels of the fused batch stage: one program per (sample, pixel tile), one launch per pass.

A fused segment is a static list of operations (``OPS``: flips, ColorJitter, PCA lighting,
Normalize, Cutout, optionally ending in Mixup/CutMix) with per-sample parameters in one
float32 row per sample (``prm[b, OFFS[i]:]``). Every launch recomputes the segment's chain
from the input pixels:

- a reduction pass (``STOP = r``) runs the chain up to the contrast operation of reduction
  ``r`` and writes, per tile, the sum of the grayscale image there (``part[r, b, tile]``);
- the final pass (``STOP = -1``) runs the whole chain, taking each contrast mean from the
  tile sums of its reduction, and stores the result (uint8, float32 or bfloat16, any
  strides); with ``MIX >= 0`` one program computes a sample and its partner (the reversed
  batch) and mixes them both ways.

The arithmetic repeats ``augkit.functional.color`` (torchvision's float32 operations): on
uint8 data every operation ends in a clamp and a truncation, the gray image and the
blends are computed as torchvision's fused multiply-adds (the product and sum in float64,
exact here, rounded once to float32), divisions are correctly rounded (``div_rn``), and
the kernels are launched with ``enable_fp_fusion=False`` so that no other multiply-add is
contracted. ``augkit.fused.reference`` is the same arithmetic in torch.

Triton is optional: this module imports without it (``AVAILABLE`` is then False), and the
kernel functions are turned into Triton kernels only by ``kernels()``, under the mode
(compiled, or the CPU interpreter with ``TRITON_INTERPRET=1``) in force at that call. So
that the mode can be chosen after triton was imported, the kernels call only Triton
builtins and each other, never ``triton.language``'s own Triton functions (``tl.sum``...),
which are built once, in the mode of triton's import.
"""

from __future__ import annotations

import os

import numpy as np

try:
    import triton
    import triton.language as tl
except ImportError:  # pragma: no cover - an install without triton uses the torch reference
    triton = tl = None

#: Whether triton is importable.
AVAILABLE = triton is not None

# Operation codes of ``OPS`` (shared with ``augkit.fused.plan``).
HFLIP, VFLIP, JITTER, LIGHTING, NORMALIZE, CUTOUT = 1, 2, 3, 4, 5, 6
#: Output kinds of ``OUT``.
OUT_UINT8, OUT_FLOAT32, OUT_BFLOAT16 = 0, 1, 2


def _const(value: float):
    """A constant the kernels read: Triton kernels only read globals that are constexpr."""
    return value if tl is None else tl.constexpr(value)


_HFLIP, _VFLIP, _JITTER, _LIGHTING, _NORMALIZE, _CUTOUT = (_const(v) for v in (HFLIP, VFLIP, JITTER, LIGHTING, NORMALIZE, CUTOUT))
_OUT_UINT8, _OUT_BFLOAT16 = _const(OUT_UINT8), _const(OUT_BFLOAT16)
_W_R = _const(float(np.float32(0.2989)))
_W_G = _const(float(np.float32(0.587)))
_W_B = _const(float(np.float32(0.114)))
_INV_255 = _const(float(np.float32(1.0 / 255.0)))
_SIXTH = _const(float(np.float32(1.0 / 6.0)))
_TO_U8 = _const(float(np.float32(255.999)))
_TINY = _const(float(np.finfo(np.float32).tiny))

_RAW: dict = {}
_BUILT_MODE: bool | None = None


def _kernel(fn):
    """Register a kernel function; ``kernels()`` makes it a Triton kernel."""
    _RAW[fn.__name__] = fn
    return fn


def interpreting() -> bool:
    """True when Triton runs kernels in its CPU interpreter (``TRITON_INTERPRET=1``)."""
    return AVAILABLE and os.environ.get("TRITON_INTERPRET", "0").lower() in ("1", "true", "on", "yes")


def kernels():
    """Return this module with its kernel functions made Triton kernels for the current mode.

    The kernels call each other through this module's globals, so they are all built
    together, again whenever the mode changes.
    """
    global _BUILT_MODE
    if not AVAILABLE:
        raise RuntimeError("the fused Triton kernels need the 'triton' package (pip install 'augkit[gpu]')")
    mode = interpreting()
    if _BUILT_MODE is not mode:
        namespace = globals()
        for name, fn in _RAW.items():
            namespace[name] = triton.jit(fn)
        _BUILT_MODE = mode
    import sys

    return sys.modules[__name__]


# --------------------------------------------------------------------------------------
# Per-pixel operations on float32 blocks (values 0..255 on uint8 data, QUANT=True).


@_kernel
def _finish(y, QUANT: tl.constexpr):
    if QUANT:
        return tl.floor(tl.minimum(tl.maximum(y, 0.0), 255.0))
    return tl.minimum(tl.maximum(y, 0.0), 1.0)


@_kernel
def _gray(r, g, b, QUANT: tl.constexpr):
    if QUANT:
        # floor(fma(b, w_b, fma(g, w_g, r * w_r))): both sums are exact in float64.
        s1 = ((r * _W_R).to(tl.float64) + g.to(tl.float64) * _W_G).to(tl.float32)
        s2 = (s1.to(tl.float64) + b.to(tl.float64) * _W_B).to(tl.float32)
        return tl.floor(s2)
    return r * _W_R + g * _W_G + b * _W_B


@_kernel
def _blend(c, f, other, a, QUANT: tl.constexpr):
    """torchvision's ``_blend``: ``clamp(c * f + other * (1 - f))``, its add fused on uint8."""
    if QUANT:
        return _finish(((c * f).to(tl.float64) + other.to(tl.float64) * a.to(tl.float64)).to(tl.float32), QUANT)
    return _finish(c * f + other * a, QUANT)


@_kernel
def _hue(r, g, b, shift, QUANT: tl.constexpr):
    """torchvision's ``adjust_hue``: to HSV, rotate, back, in its float32 steps."""
    if QUANT:
        r = r * _INV_255
        g = g * _INV_255
        b = b * _INV_255
    mx = tl.maximum(tl.maximum(r, g), b)
    mn = tl.minimum(tl.minimum(r, g), b)
    span = mx - mn
    s = tl.math.div_rn(span, tl.maximum(mx, _TINY))
    div = tl.maximum(span, _TINY)
    is_r = mx == r
    is_g = (mx != r) & (mx == g)
    first = tl.where(is_r, b, tl.where(is_g, r, g))
    second = tl.where(is_r, g, tl.where(is_g, b, r))
    offset = tl.where(is_r, 0.0, tl.where(is_g, 2.0, 4.0))
    h = (tl.math.div_rn(mx - first, div) + offset) - tl.math.div_rn(mx - second, div)
    h = h * _SIXTH + 1.0
    h = tl.where(h >= 1.0, h - 1.0, h)
    h = h + shift
    h = tl.where(h < 0.0, h + 1.0, h)
    h = tl.where(h >= 1.0, h - 1.0, h)
    h6 = h * 6.0
    sector = tl.floor(h6)
    frac = h6 - sector
    sector = tl.where(sector == 6.0, 0.0, sector)
    sxf = s * frac
    oms = 1.0 - s
    q = tl.minimum(tl.maximum((1.0 - sxf) * mx, 0.0), 1.0)
    t = tl.minimum(tl.maximum((sxf + oms) * mx, 0.0), 1.0)
    p = tl.minimum(tl.maximum(oms * mx, 0.0), 1.0)
    # torchvision's table: r = v q p p t v, g = t v v q p p, b = p p t v v q by sector.
    ro = tl.where(sector == 4.0, t, p)
    ro = tl.where(sector == 1.0, q, ro)
    ro = tl.where((sector == 0.0) | (sector == 5.0), mx, ro)
    go = tl.where(sector == 3.0, q, p)
    go = tl.where(sector <= 2.0, mx, go)
    go = tl.where(sector == 0.0, t, go)
    bo = tl.where(sector == 5.0, q, mx)
    bo = tl.where(sector == 2.0, t, bo)
    bo = tl.where(sector <= 1.0, p, bo)
    if QUANT:
        return tl.floor(ro * _TO_U8), tl.floor(go * _TO_U8), tl.floor(bo * _TO_U8)
    return ro, go, bo


@_kernel
def _add(a, b):
    return a + b


@_kernel
def _total(values):
    """``tl.sum``, written with ``tl.reduce``: ``tl.sum`` is a Triton function bound to the mode triton was imported in."""
    return tl.reduce(values, 0, _add)


@_kernel
def _contrast_mean(part, RED: tl.constexpr, b, B, T, HW, TP2: tl.constexpr):
    """The mean gray of reduction ``RED`` for sample ``b``: its tile sums, added in float64."""
    t = tl.arange(0, TP2)
    sums = tl.load(part + (RED * B + b) * T + t, mask=t < T, other=0.0).to(tl.float64)
    return tl.math.div_rn(_total(sums).to(tl.float32), HW.to(tl.float32))


@_kernel
def _jitter(
    r, g, b, row, part, s, B, T, HW, EN: tl.constexpr, QUANT: tl.constexpr, RED: tl.constexpr, STOP_HERE: tl.constexpr, TP2: tl.constexpr
):
    """ColorJitter: up to four operations in this sample's order (``row[0:4]``, -1 = skip).

    ``row[4:10]`` holds f32 factors: brightness, contrast, 1 - contrast, saturation,
    1 - saturation, hue. With ``STOP_HERE`` the operations stop before the contrast.
    """
    mean = 0.0
    if EN[1]:
        if not STOP_HERE:
            mean = _contrast_mean(part, RED, s, B, T, HW, TP2)
    stop = 4.0
    if STOP_HERE:
        o0 = tl.load(row + 0)
        o1 = tl.load(row + 1)
        o2 = tl.load(row + 2)
        o3 = tl.load(row + 3)
        stop = tl.where(o0 == 1.0, 0.0, tl.where(o1 == 1.0, 1.0, tl.where(o2 == 1.0, 2.0, tl.where(o3 == 1.0, 3.0, 4.0))))
    for slot in tl.static_range(4):
        op = tl.load(row + slot)
        if STOP_HERE:
            op = tl.where(stop > slot, op, -1.0)
        if EN[0]:
            if op == 0.0:
                f = tl.load(row + 4)
                r = _finish(r * f, QUANT)
                g = _finish(g * f, QUANT)
                b = _finish(b * f, QUANT)
        if EN[1]:
            if op == 1.0:
                f = tl.load(row + 5)
                a = tl.load(row + 6)
                r = _blend(r, f, mean, a, QUANT)
                g = _blend(g, f, mean, a, QUANT)
                b = _blend(b, f, mean, a, QUANT)
        if EN[2]:
            if op == 2.0:
                f = tl.load(row + 7)
                a = tl.load(row + 8)
                gray = _gray(r, g, b, QUANT)
                r = _blend(r, f, gray, a, QUANT)
                g = _blend(g, f, gray, a, QUANT)
                b = _blend(b, f, gray, a, QUANT)
        if EN[3]:
            if op == 3.0:
                r, g, b = _hue(r, g, b, tl.load(row + 9), QUANT)
    return r, g, b


@_kernel
def _round_half_even(v):
    """numpy's ``rint`` / torch's ``round`` on float32, exactly."""
    low = tl.floor(v)
    d = v - low
    odd = (low - 2.0 * tl.floor(low * 0.5)) != 0.0
    return tl.where((d > 0.5) | ((d == 0.5) & odd), low + 1.0, low)


@_kernel
def _lighting(c, offset, QUANT: tl.constexpr):
    if QUANT:
        return tl.minimum(tl.maximum(_round_half_even(c + offset), 0.0), 255.0)
    return tl.minimum(tl.maximum(c + offset, 0.0), 1.0)


@_kernel
def _in_box(y, x, row):
    """Whether ``(y, x)`` is inside the box ``row[0:4]`` = top, left, bottom, right (exclusive)."""
    top = tl.load(row + 0).to(tl.int32)
    left = tl.load(row + 1).to(tl.int32)
    bottom = tl.load(row + 2).to(tl.int32)
    right = tl.load(row + 3).to(tl.int32)
    return (y >= top) & (y < bottom) & (x >= left) & (x < right)


@_kernel
def _chain(
    src,
    prm,
    part,
    s,
    y,
    x,
    inb,
    B,
    H,
    W,
    T,
    HW,
    s_b,
    s_c,
    s_h,
    s_w,
    P: tl.constexpr,
    OPS: tl.constexpr,
    OFFS: tl.constexpr,
    QUANT: tl.constexpr,
    ENS: tl.constexpr,
    RED: tl.constexpr,
    STOPS: tl.constexpr,
    TP2: tl.constexpr,
):
    """Sample ``s`` at output pixels ``(y, x)`` after the operations ``OPS``: three float32 blocks."""
    row = prm + s * P
    # Flips commute: the source pixel is (y, x) with every drawn flip applied.
    sy = y
    sx = x
    for i in tl.static_range(len(OPS)):
        if OPS[i] == _HFLIP:
            sx = tl.where(tl.load(row + OFFS[i]) != 0.0, W - 1 - sx, sx)
        if OPS[i] == _VFLIP:
            sy = tl.where(tl.load(row + OFFS[i]) != 0.0, H - 1 - sy, sy)
    base = src + s.to(tl.int64) * s_b + sy * s_h + sx * s_w
    r = tl.load(base, mask=inb, other=0).to(tl.float32)
    g = tl.load(base + s_c, mask=inb, other=0).to(tl.float32)
    b = tl.load(base + 2 * s_c, mask=inb, other=0).to(tl.float32)
    # (cy, cx): the pixel's position in the image as it is at each operation.
    cy = sy
    cx = sx
    for i in tl.static_range(len(OPS)):
        if OPS[i] == _HFLIP:
            cx = tl.where(tl.load(row + OFFS[i]) != 0.0, W - 1 - cx, cx)
        if OPS[i] == _VFLIP:
            cy = tl.where(tl.load(row + OFFS[i]) != 0.0, H - 1 - cy, cy)
        if OPS[i] == _JITTER:
            r, g, b = _jitter(r, g, b, row + OFFS[i], part, s, B, T, HW, ENS[i], QUANT[i], RED[i], STOPS[i], TP2)
        if OPS[i] == _LIGHTING:
            # row: offsets in uint8 levels (3), then in [0, 1] units (3)
            col = row + OFFS[i] + 3 - 3 * QUANT[i]
            r = _lighting(r, tl.load(col), QUANT[i])
            g = _lighting(g, tl.load(col + 1), QUANT[i])
            b = _lighting(b, tl.load(col + 2), QUANT[i])
        if OPS[i] == _NORMALIZE:
            # row: scales for uint8 levels (3), for [0, 1] values (3), then biases (3)
            col = row + OFFS[i] + 3 - 3 * QUANT[i]
            r = r * tl.load(col) + tl.load(row + OFFS[i] + 6)
            g = g * tl.load(col + 1) + tl.load(row + OFFS[i] + 7)
            b = b * tl.load(col + 2) + tl.load(row + OFFS[i] + 8)
        if OPS[i] == _CUTOUT:
            inside = _in_box(cy, cx, row + OFFS[i])
            fill = tl.load(row + OFFS[i] + 4)
            r = tl.where(inside, fill, r)
            g = tl.where(inside, fill, g)
            b = tl.where(inside, fill, b)
    return r, g, b


@_kernel
def _lerp(start, end, w):
    """torch.lerp: ``start + w * (end - start)`` for |w| < 0.5, else ``end - (end - start) * (1 - w)``."""
    diff = end - start
    return tl.where(tl.abs(w) < 0.5, start + w * diff, end - diff * (1.0 - w))


@_kernel
def _mix(mine, partner, y, x, row):
    """Mixup / CutMix for one sample; ``row``: weight of the partner (0 where no blend), box (4, empty where no paste)."""
    out = _lerp(mine, partner, tl.load(row + 0))
    return tl.where(_in_box(y, x, row + 1), partner, out)


@_kernel
def _to_bfloat16(v):
    """float32 -> bfloat16 rounded to nearest even (spelled out: Triton's interpreter truncates)."""
    bits = v.to(tl.uint32, bitcast=True)
    bits = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return bits.to(tl.uint16).to(tl.bfloat16, bitcast=True)


@_kernel
def _store(dst, s, y, x, inb, r, g, b, d_b, d_c, d_h, d_w, OUT: tl.constexpr):
    base = dst + s.to(tl.int64) * d_b + y * d_h + x * d_w
    if OUT == _OUT_UINT8:
        r = r.to(tl.uint8)
        g = g.to(tl.uint8)
        b = b.to(tl.uint8)
    if OUT == _OUT_BFLOAT16:
        r = _to_bfloat16(r)
        g = _to_bfloat16(g)
        b = _to_bfloat16(b)
    tl.store(base, r, mask=inb)
    tl.store(base + d_c, g, mask=inb)
    tl.store(base + 2 * d_c, b, mask=inb)


@_kernel
def fused_pass(
    src,
    dst,
    prm,
    part,
    B,
    H,
    W,
    T,
    s_b,
    s_c,
    s_h,
    s_w,
    d_b,
    d_c,
    d_h,
    d_w,
    P: tl.constexpr,
    OPS: tl.constexpr,
    OFFS: tl.constexpr,
    QUANT: tl.constexpr,
    ENS: tl.constexpr,
    RED: tl.constexpr,
    STOPS: tl.constexpr,
    STOP: tl.constexpr,
    STOP_QUANT: tl.constexpr,
    MIX: tl.constexpr,
    OUT: tl.constexpr,
    BLOCK: tl.constexpr,
    TP2: tl.constexpr,
):
    """One pass of a fused segment over pixel tile ``program_id(1)`` of sample ``program_id(0)``.

    ``STOP >= 0``: reduction pass, writes ``part[STOP, b, tile]``. Else the final pass, which
    writes ``dst``; with ``MIX >= 0`` (the mixing parameters' offset) program ``i`` handles
    samples ``i`` and ``B - 1 - i``.
    """
    pid = tl.program_id(0)
    tile = tl.program_id(1)
    HW = H * W
    pix = tile * BLOCK + tl.arange(0, BLOCK)
    inb = pix < HW
    y = pix // W
    x = pix - y * W
    if STOP >= 0:
        r, g, b = _chain(src, prm, part, pid, y, x, inb, B, H, W, T, HW, s_b, s_c, s_h, s_w, P, OPS, OFFS, QUANT, ENS, RED, STOPS, TP2)
        gray = tl.where(inb, _gray(r, g, b, STOP_QUANT), 0.0)
        tl.store(part + (STOP * B + pid) * T + tile, _total(gray))
    elif MIX >= 0:
        j = B - 1 - pid
        ri, gi, bi = _chain(src, prm, part, pid, y, x, inb, B, H, W, T, HW, s_b, s_c, s_h, s_w, P, OPS, OFFS, QUANT, ENS, RED, STOPS, TP2)
        rj, gj, bj = _chain(src, prm, part, j, y, x, inb, B, H, W, T, HW, s_b, s_c, s_h, s_w, P, OPS, OFFS, QUANT, ENS, RED, STOPS, TP2)
        row_i = prm + pid * P + MIX
        row_j = prm + j * P + MIX
        oi_r = _mix(ri, rj, y, x, row_i)
        oi_g = _mix(gi, gj, y, x, row_i)
        oi_b = _mix(bi, bj, y, x, row_i)
        _store(dst, pid, y, x, inb, oi_r, oi_g, oi_b, d_b, d_c, d_h, d_w, OUT)
        oj_r = _mix(rj, ri, y, x, row_j)
        oj_g = _mix(gj, gi, y, x, row_j)
        oj_b = _mix(bj, bi, y, x, row_j)
        _store(dst, j, y, x, inb & (j != pid), oj_r, oj_g, oj_b, d_b, d_c, d_h, d_w, OUT)
    else:
        r, g, b = _chain(src, prm, part, pid, y, x, inb, B, H, W, T, HW, s_b, s_c, s_h, s_w, P, OPS, OFFS, QUANT, ENS, RED, STOPS, TP2)
        _store(dst, pid, y, x, inb, r, g, b, d_b, d_c, d_h, d_w, OUT)
