"""Launching a fused segment's Triton passes: grid, tile size and compile-time arguments."""

from __future__ import annotations

import torch

from augkit.fused import triton_kernels

#: Pixels per program (a power of two); smaller images take the next power of two above them.
BLOCK = 512
NUM_WARPS = 4

_OUT_KINDS = {torch.uint8: triton_kernels.OUT_UINT8, torch.float32: triton_kernels.OUT_FLOAT32, torch.bfloat16: triton_kernels.OUT_BFLOAT16}


def _next_power_of_two(n: int) -> int:
    return 1 << max(0, (n - 1).bit_length())


def launch_shape(height: int, width: int) -> tuple[int, int, int]:
    """``(block, tiles, tiles rounded up to a power of two)`` for an image of this size."""
    pixels = height * width
    block = min(BLOCK, max(16, _next_power_of_two(pixels)))
    tiles = -(-pixels // block)
    return block, tiles, _next_power_of_two(tiles)


class TritonRunner:
    """Runs a segment as its reduction passes and its final pass: ``reductions + 1`` launches."""

    def run(self, statics, reductions: int, x: torch.Tensor, out: torch.Tensor, prm: torch.Tensor, host=None) -> None:
        """Write the segment's result for ``x`` into ``out``.

        Args:
            statics: The segment's ``SegmentStatics`` for ``x``'s dtype.
            reductions: Its number of contrast reductions.
            x: ``[B, 3, H, W]`` uint8 or float32 input, any strides.
            out: ``[B, 3, H, W]`` output (uint8, float32 or bfloat16), any strides.
            prm: ``[B, row_width]`` float32 parameters on ``x``'s device.
            host: Unused (the torch reference reads it).
        """
        kernels = triton_kernels.kernels()
        batch, _, height, width = x.shape
        block, tiles, tiles_pow2 = launch_shape(height, width)
        partials = torch.empty((max(reductions, 1), batch, tiles), dtype=torch.float32, device=x.device)
        common = dict(P=prm.shape[1], BLOCK=block, TP2=tiles_pow2, num_warps=NUM_WARPS, enable_fp_fusion=False)
        sizes = (batch, height, width, tiles, *x.stride())
        for r in range(reductions):
            count = statics.reduction_prefix(r)
            kernels.fused_pass[(batch, tiles)](
                x,
                x,
                prm,
                partials,
                *sizes,
                *x.stride(),
                OPS=statics.ops[:count],
                OFFS=statics.offsets[:count],
                QUANT=statics.quant[:count],
                ENS=statics.enabled[:count],
                RED=statics.reduction[:count],
                STOPS=statics.stops(r, count),
                STOP=r,
                STOP_QUANT=statics.quant[count - 1],
                MIX=-1,
                OUT=_OUT_KINDS[out.dtype],
                **common,
            )
        programs = (batch + 1) // 2 if statics.mix >= 0 else batch
        kernels.fused_pass[(programs, tiles)](
            x,
            out,
            prm,
            partials,
            *sizes,
            *out.stride(),
            OPS=statics.ops,
            OFFS=statics.offsets,
            QUANT=statics.quant,
            ENS=statics.enabled,
            RED=statics.reduction,
            STOPS=(0,) * len(statics.ops),
            STOP=-1,
            STOP_QUANT=0,
            MIX=statics.mix,
            OUT=_OUT_KINDS[out.dtype],
            **common,
        )
