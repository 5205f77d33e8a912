"""Exhaustive check of ``augkit._color`` against torchvision: every one of the 2^24 RGB colours.

For each operation and a list of factors, the colour cube is cut into 1024 x 1024 images
(contrast's mean is per image, so each chunk is its own image) and each path of the kernel
(the AVX2 + FMA pass where the CPU has it, and the portable pass) must equal torchvision's
``adjust_*`` bit for bit. Not a test (about a minute); run after changing the kernel:
``python scripts/check_color_exhaustive.py [--ops hue,saturation] [--chunks 16]``.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
import torch
from torchvision.transforms.v2 import functional as tvf

from augkit import _color as native

NAMES = ("brightness", "contrast", "saturation", "hue")
FACTORS = {
    "brightness": (0.0, 0.37, 0.6, 1.0 + 1e-9, 1.13, 1.4, 2.0, 7.5),
    "contrast": (0.0, 0.37, 0.6, 1.0 + 1e-9, 1.13, 1.4, 2.0, 9.0),
    "saturation": (0.0, 0.37, 0.6, 1.0 + 1e-9, 1.13, 1.4, 2.0, 9.0),
    "hue": (-0.5, -0.31, -0.1, -1e-8, 1e-8, 0.03, 0.1, 0.25, 0.4999, 0.5),
}


def cube_chunk(index: int, chunks: int) -> np.ndarray:
    """Colours index * 2^24 / chunks ... as a [H, 1024, 3] uint8 image (r the slowest)."""
    per = (1 << 24) // chunks
    code = np.arange(index * per, (index + 1) * per, dtype=np.uint32)
    rgb = np.stack([(code >> 16) & 255, (code >> 8) & 255, code & 255], -1).astype(np.uint8)
    return rgb.reshape(-1, 1024, 3)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", default=",".join(NAMES))
    parser.add_argument("--chunks", type=int, default=16)
    args = parser.parse_args()
    paths = [True, False] if native._simd() else [False]
    failures = 0
    for name in args.ops.split(","):
        op = NAMES.index(name)
        for factor in FACTORS[name]:
            bad = {p: 0 for p in paths}
            for index in range(args.chunks):
                image = cube_chunk(index, args.chunks)
                chw = torch.from_numpy(image).permute(2, 0, 1).contiguous()
                expected = getattr(tvf, f"adjust_{name}")(chw, factor).permute(1, 2, 0).numpy()
                factors = [None] * 4
                factors[op] = factor
                for simd in paths:
                    native._simd(simd)
                    out = np.empty_like(image)
                    native.jitter(image, out, *factors, (op,))
                    bad[simd] += int((out != expected).any(-1).sum())
            native._simd(True)
            failures += sum(bad.values())
            print(
                f"{name:10s} {factor:>12g}: differing colours " + ", ".join(f"{'avx2' if p else 'portable'} {bad[p]}" for p in paths),
                flush=True,
            )
    print("all equal" if not failures else f"{failures} differing colours")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
