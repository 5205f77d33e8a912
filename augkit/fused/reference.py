"""The fused segment's arithmetic as torch operations on the whole batch (no Triton needed).

Operation for operation the same as ``augkit.fused.triton_kernels``, on ``[B, H, W]``
float32 channel planes with per-sample parameters as ``[B, 1, 1]`` columns of the packed
parameter rows: flips flip the planes, ColorJitter runs its four slots (in each slot,
every operation some sample draws there is computed and selected by ``torch.where``),
contrast takes the mean of the grayscale planes per sample, and a trailing Mixup / CutMix
mixes with the reversed batch. It runs wherever torch does, without host syncs.
"""

from __future__ import annotations

import numpy as np
import torch

from augkit.fused import ops as P

_W = tuple(float(np.float32(w)) for w in (0.2989, 0.587, 0.114))
_INV_255 = float(np.float32(1.0 / 255.0))
_SIXTH = float(np.float32(1.0 / 6.0))
_TO_U8 = float(np.float32(255.999))
_TINY = float(np.finfo(np.float32).tiny)


def _finish(y: torch.Tensor, quant: bool) -> torch.Tensor:
    if quant:
        return y.clamp(0.0, 255.0).floor_()
    return y.clamp(0.0, 1.0)


def _gray(r, g, b, quant: bool) -> torch.Tensor:
    if quant:
        s1 = ((r * _W[0]).double() + g.double() * _W[1]).float()
        return (s1.double() + b.double() * _W[2]).float().floor_()
    return r * _W[0] + g * _W[1] + b * _W[2]


def _blend(c, f, other, a, quant: bool) -> torch.Tensor:
    if quant:
        return _finish(((c * f).double() + other.double() * a.double()).float(), quant)
    return _finish(c * f + other * a, quant)


def _hue(r, g, b, shift, quant: bool):
    if quant:
        r, g, b = r * _INV_255, g * _INV_255, b * _INV_255
    mx = torch.maximum(torch.maximum(r, g), b)
    mn = torch.minimum(torch.minimum(r, g), b)
    span = mx - mn
    s = span / mx.clamp_min(_TINY)
    div = span.clamp_min(_TINY)
    is_r = mx == r
    is_g = (mx != r) & (mx == g)
    first = torch.where(is_r, b, torch.where(is_g, r, g))
    second = torch.where(is_r, g, torch.where(is_g, b, r))
    offset = torch.where(is_r, 0.0, torch.where(is_g, 2.0, 4.0))
    h = ((mx - first) / div + offset) - (mx - second) / div
    h = h * _SIXTH + 1.0
    h = torch.where(h >= 1.0, h - 1.0, h)
    h = h + shift
    h = torch.where(h < 0.0, h + 1.0, h)
    h = torch.where(h >= 1.0, h - 1.0, h)
    h6 = h * 6.0
    sector = torch.floor(h6)
    frac = h6 - sector
    sector = torch.where(sector == 6.0, 0.0, sector)
    sxf = s * frac
    oms = 1.0 - s
    q = ((1.0 - sxf) * mx).clamp(0.0, 1.0)
    t = ((sxf + oms) * mx).clamp(0.0, 1.0)
    p = (oms * mx).clamp(0.0, 1.0)
    ro = torch.where(sector == 4.0, t, p)
    ro = torch.where(sector == 1.0, q, ro)
    ro = torch.where((sector == 0.0) | (sector == 5.0), mx, ro)
    go = torch.where(sector == 3.0, q, p)
    go = torch.where(sector <= 2.0, mx, go)
    go = torch.where(sector == 0.0, t, go)
    bo = torch.where(sector == 5.0, q, mx)
    bo = torch.where(sector == 2.0, t, bo)
    bo = torch.where(sector <= 1.0, p, bo)
    if quant:
        return (ro * _TO_U8).floor_(), (go * _TO_U8).floor_(), (bo * _TO_U8).floor_()
    return ro, go, bo


def _contrast_mean(r, g, b, quant: bool) -> torch.Tensor:
    pixels = float(np.float32(r.shape[-1] * r.shape[-2]))
    total = _gray(r, g, b, quant).sum(dim=(-2, -1), dtype=torch.float64, keepdim=True)
    total = total.float()
    return total / torch.full_like(total, pixels)  # a true division, as torch.mean's on the CPU


def _in_box(prm: torch.Tensor, column: int, height: int, width: int) -> torch.Tensor:
    top, left, bottom, right = (prm[:, column + k].view(-1, 1, 1) for k in range(4))
    rows = torch.arange(height, device=prm.device, dtype=torch.float32).view(1, -1, 1)
    cols = torch.arange(width, device=prm.device, dtype=torch.float32).view(1, 1, -1)
    return (rows >= top) & (rows < bottom) & (cols >= left) & (cols < right)


def _jitter(planes, prm, host, column: int, enabled, quant: bool):
    r, g, b = planes

    def col(k):
        return prm[:, column + k].view(-1, 1, 1)

    for slot in range(4):
        drawn = host[:, column + slot]
        op = col(slot)
        for k in range(4):
            if not enabled[k] or not np.any(drawn == k):
                continue
            if k == 0:
                new = tuple(_finish(c * col(4), quant) for c in (r, g, b))
            elif k == 1:
                mean = _contrast_mean(r, g, b, quant)
                new = tuple(_blend(c, col(5), mean, col(6), quant) for c in (r, g, b))
            elif k == 2:
                gray = _gray(r, g, b, quant)
                new = tuple(_blend(c, col(7), gray, col(8), quant) for c in (r, g, b))
            else:
                new = _hue(r, g, b, col(9), quant)
            chosen = op == float(k)
            r, g, b = (torch.where(chosen, n, c) for n, c in zip(new, (r, g, b)))
    return r, g, b


def _lerp(start, end, w):
    diff = end - start
    return torch.where(w.abs() < 0.5, start + w * diff, end - diff * (1.0 - w))


def _mix(planes, prm, column: int):
    height, width = planes[0].shape[-2:]
    w = prm[:, column].view(-1, 1, 1)
    pasted = _in_box(prm, column + 1, height, width)
    return [torch.where(pasted, c.flip(0), _lerp(c, c.flip(0), w)) for c in planes]


class TorchRunner:
    """Runs a segment's arithmetic with torch operations (one walk; contrast means inline)."""

    def run(self, statics, reductions: int, x: torch.Tensor, out: torch.Tensor, prm: torch.Tensor, host: np.ndarray) -> None:
        """Write the segment's result for ``x`` into ``out`` (see ``launch.TritonRunner.run``)."""
        height, width = x.shape[-2:]
        planes = [x[:, c].to(torch.float32) for c in range(3)]
        for kind, column, quant, enabled in zip(statics.ops, statics.offsets, statics.quant, statics.enabled):
            quant = bool(quant)
            if kind in (P.HFLIP, P.VFLIP):
                flip = (prm[:, column] != 0.0).view(-1, 1, 1)
                dim = -1 if kind == P.HFLIP else -2
                planes = [torch.where(flip, c.flip(dim), c) for c in planes]
            elif kind == P.JITTER:
                planes = list(_jitter(planes, prm, host, column, enabled, quant))
            elif kind == P.LIGHTING:
                shift = 0 if quant else 3
                for c in range(3):
                    y = planes[c] + prm[:, column + shift + c].view(-1, 1, 1)
                    planes[c] = torch.round(y).clamp_(0.0, 255.0) if quant else y.clamp(0.0, 1.0)
            elif kind == P.NORMALIZE:
                shift = 0 if quant else 3
                for c in range(3):
                    scale, bias = prm[:, column + shift + c].view(-1, 1, 1), prm[:, column + 6 + c].view(-1, 1, 1)
                    planes[c] = planes[c] * scale + bias
            elif kind == P.CUTOUT:
                inside = _in_box(prm, column, height, width)
                fill = prm[:, column + 4].view(-1, 1, 1)
                planes = [torch.where(inside, fill, c) for c in planes]
        if statics.mix >= 0:
            planes = _mix(planes, prm, statics.mix)
        out.copy_(torch.stack(planes, dim=1))
