"""Benchmark of the affine-family warps (batch stage) and of bicubic resizing (sample stage), medians, 1 thread.

Run from the repository root::

    python scripts/bench_affine.py [--batch 64] [--size 224] [--repeat 7] [--device cpu]

Batch stage: augkit's ``Rotate``, ``Affine`` and ``Perspective`` with per-sample parameters
on a ``[B, 3, size, size]`` uint8 batch (one batched warp), against torchvision v2's
functional ops (``F.rotate`` / ``F.affine`` / ``F.perspective``) applied per sample in a
loop with the same parameters, for nearest and bilinear. Parameter drawing is included for
augkit (it is part of the transform call), not for torchvision. Sample stage: ``Resize``
with ``interpolation="bicubic"`` against torchvision v2 ``Resize(BICUBIC, antialias=True)``
on the bundled photos (uint8 CHW tensor for torchvision, HWC array for augkit). The last
column of the warps is augkit resampling with torch's ``grid_sample`` instead of its C kernel
``augkit._warp`` (an install without a compiler).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's augkit, not an installed one

import augkit  # noqa: E402
from augkit.functional import warping  # noqa: E402
from augkit.samples import sample_paths  # noqa: E402
from augkit.transforms.base import params_at  # noqa: E402


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return time.perf_counter() - start


def paired_ms(ours, theirs, repeat: int) -> tuple[float, float, float]:
    """Medians (ms) of two functions timed alternately (both see the same machine load), and the ratio of their minima.

    On a shared machine the minima are the steadier estimate of the work itself.
    """
    ours(), theirs()
    times = [(_timed(ours), _timed(theirs)) for _ in range(repeat)]
    a, b = [t[0] for t in times], [t[1] for t in times]
    return statistics.median(a) * 1e3, statistics.median(b) * 1e3, min(b) / max(min(a), 1e-12)


def torchvision_loop(TF, transform, batch: torch.Tensor, params):
    """torchvision's functional op per sample with augkit's drawn parameters."""
    outs = []
    for i in range(batch.shape[0]):
        p = params_at(params, i)
        image = batch[i]
        if isinstance(transform, augkit.Rotate):
            outs.append(TF.rotate(image, float(p.angle), interpolation=transform.interpolation, fill=transform.fill))
        elif isinstance(transform, augkit.Perspective):
            coefficients = transform.coefficients(p.params, tuple(image.shape[-2:])).tolist()
            outs.append(
                TF.perspective(image, None, None, interpolation=transform.interpolation, fill=transform.fill, coefficients=coefficients)
            )
        else:
            a = transform.affine_args(p)
            outs.append(
                TF.affine(
                    image,
                    angle=float(a["angle"]),
                    translate=[float(v) for v in a["translate"]],
                    scale=float(a["scale"]),
                    shear=[float(v) for v in a["shear"]],
                    interpolation=transform.interpolation,
                    fill=transform.fill,
                )
            )
    return outs


def without_native_warps(fn):
    """``fn`` run with torch's ``grid_sample`` resampling instead of ``augkit._warp`` (what an install without a compiler runs)."""

    def run():
        saved, warping._native = warping._native, None
        try:
            return fn()
        finally:
            warping._native = saved

    return run


def bench_warps(TF, batch: torch.Tensor, repeat: int) -> None:
    print(f"batch stage, {tuple(batch.shape)} {batch.dtype} on {batch.device}: ms per batch (median of {repeat})")
    print(f"{'op':<12}{'interp':<10}{'augkit':>10}{'torchvision loop':>18}{'ratio':>8}{'ratio of minima':>17}{'without _warp':>15}")
    for interpolation in ("nearest", "bilinear"):
        for name, transform in (
            ("Rotate", augkit.Rotate(30, interpolation=interpolation)),
            ("Affine", augkit.Affine(30, translate=(0.1, 0.1), scale=(0.8, 1.2), shear=10, interpolation=interpolation)),
            ("Perspective", augkit.Perspective(0.5, p=1.0, interpolation=interpolation)),
        ):
            params = transform.sample(np.random.default_rng(0), batch)
            ours, theirs, of_minima = paired_ms(
                lambda t=transform: t(batch, rng=0), lambda t=transform, p=params: torchvision_loop(TF, t, batch, p), repeat
            )
            plain = paired_ms(without_native_warps(lambda t=transform: t(batch, rng=0)), lambda: None, repeat)[0]
            print(f"{name:<12}{interpolation:<10}{ours:>10.1f}{theirs:>18.1f}{theirs / ours:>7.2f}x{of_minima:>16.2f}x{plain:>15.1f}")


def bench_bicubic(T2, repeat: int) -> None:
    photos = [augkit.decode(p) for p in sample_paths()]
    print(f"\nsample stage, bicubic antialiased Resize(shorter=224) over {len(photos)} photos: ms per photo (median of {repeat})")
    ours_t = augkit.Resize(shorter=224, interpolation="bicubic")
    theirs_t = T2.Resize(224, interpolation=T2.InterpolationMode.BICUBIC, antialias=True)
    tensors = [torch.from_numpy(np.array(p)).permute(2, 0, 1) for p in photos]
    ours, theirs, of_minima = paired_ms(lambda: [ours_t(p) for p in photos], lambda: [theirs_t(t) for t in tensors], repeat)
    ours, theirs = ours / len(photos), theirs / len(photos)
    bilinear = paired_ms(lambda: [augkit.Resize(shorter=224)(p) for p in photos], lambda: None, repeat)[0] / len(photos)
    print(f"augkit bicubic {ours:.2f}   torchvision bicubic {theirs:.2f}   ratio {theirs / ours:.2f}x (of minima {of_minima:.2f}x)")
    print(f"augkit bilinear (default) {bilinear:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    try:
        from torchvision.transforms import v2 as T2
        from torchvision.transforms.v2 import functional as TF
    except ImportError:
        sys.exit("bench_affine compares against torchvision: install torchvision")
    generator = torch.Generator().manual_seed(0)
    batch = torch.randint(0, 256, (args.batch, 3, args.size, args.size), dtype=torch.uint8, generator=generator).to(args.device)
    bench_warps(TF, batch, args.repeat)
    if args.device == "cpu":
        bench_bicubic(T2, args.repeat)


if __name__ == "__main__":
    main()
