"""Benchmark of the photometric ops on a batch: augkit per-sample kernels vs torchvision v2 in a loop.

Run from the repository root::

    python scripts/bench_photometric.py [--batch 64] [--size 224] [--repeat 7] [--threads 1]

The batch is made of the bundled photos (resized and centre-cropped), uint8 ``[B, 3, S, S]``
(float32 in [0, 1] for the float rows, normalized for RandomErasing). Every op gets one
magnitude per sample (thresholds, bits, factors, sigmas drawn once); augkit applies them to
the whole batch in one call, torchvision v2's functional op is called on each sample with
its own magnitude, as its transforms would be applied per sample. Medians of ``--repeat``
runs, milliseconds; the ratio is torchvision's time over augkit's.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's augkit, not an installed one

from _timing import median_ms  # noqa: E402  (scripts/_timing.py)

import augkit  # noqa: E402
from augkit.functional import photometric as P  # noqa: E402
from augkit.samples import sample_paths  # noqa: E402


def photo_batch(batch: int, size: int) -> torch.Tensor:
    prepare = augkit.Compose([augkit.Resize(shorter=size), augkit.CenterCrop(size), augkit.ToTensor()])
    photos = [prepare(augkit.decode(path), rng=0) for path in sample_paths()]
    return torch.stack([photos[i % len(photos)] for i in range(batch)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--blur-kernel", type=int, default=23, help="GaussianBlur kernel size (SimCLR: ~10%% of the side)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    import cv2

    cv2.setNumThreads(args.threads)
    from torchvision.transforms.v2 import functional as TF

    uint8 = photo_batch(args.batch, args.size)
    floats = uint8.float() / 255
    b, r, k = args.batch, args.repeat, args.blur_kernel
    rng = np.random.default_rng(0)
    threshold = rng.uniform(0, 1, b)  # in [0, 1] units, times 255 for uint8
    bits = rng.integers(0, 9, b)
    factor = rng.uniform(0.1, 1.9, b)
    sigma = rng.uniform(0.1, 2.0, b)

    ops = [
        ("Invert", lambda x, unit: P.invert(x), lambda x, i, unit: TF.invert(x)),
        ("Solarize", lambda x, unit: P.solarize(x, threshold * unit), lambda x, i, unit: TF.solarize(x, float(threshold[i] * unit))),
        ("Posterize", lambda x, unit: P.posterize(x, bits), lambda x, i, unit: TF.posterize(x, int(bits[i]))),
        ("Equalize", lambda x, unit: P.equalize(x), lambda x, i, unit: TF.equalize(x)),
        ("AutoContrast", lambda x, unit: P.autocontrast(x), lambda x, i, unit: TF.autocontrast(x)),
        ("Sharpness", lambda x, unit: P.adjust_sharpness(x, factor), lambda x, i, unit: TF.adjust_sharpness(x, float(factor[i]))),
        ("Grayscale(3)", lambda x, unit: P.rgb_to_grayscale(x, 3), lambda x, i, unit: TF.rgb_to_grayscale(x, 3)),
        (
            f"GaussianBlur({k})",
            lambda x, unit: P.gaussian_blur(x, k, sigma),
            lambda x, i, unit: TF.gaussian_blur(x, [k, k], [float(sigma[i])] * 2),
        ),
    ]
    print(f"[{b}, 3, {args.size}, {args.size}] photos, {args.threads} thread(s), median of {r} (ms)")
    print(f"{'op':22s} {'dtype':8s} {'augkit batch':>13s} {'torchvision loop':>17s} {'ratio':>7s}")
    for name, ours, theirs in ops:
        for label, x, unit in (("uint8", uint8, 255.0), ("float32", floats, 1.0)):
            mine = median_ms(lambda x=x, unit=unit: ours(x, unit), r)
            ref = median_ms(lambda x=x, unit=unit: torch.stack([theirs(x[i], i, unit) for i in range(b)]), r)
            print(f"{name:22s} {label:8s} {mine:13.2f} {ref:17.2f} {ref / mine:6.1f}x", flush=True)

    from torchvision.transforms import v2

    normalized = augkit.Normalize(augkit.constants.IMAGENET_MEAN, augkit.constants.IMAGENET_STD)(uint8)
    for value, mode in ((0.0, "const"), ("random", "pixel")):
        ours = augkit.RandomErasing(p=1.0, mode=mode)
        theirs = v2.RandomErasing(p=1.0, value=value)
        mine = median_ms(lambda: ours(normalized, rng=rng), r)
        ref = median_ms(lambda: torch.stack([theirs(img) for img in normalized]), r)
        print(f"{'RandomErasing ' + mode:22s} {'float32':8s} {mine:13.2f} {ref:17.2f} {ref / mine:6.1f}x", flush=True)
    try:
        from timm.data.random_erasing import RandomErasing as TimmErasing

        timm_erasing = TimmErasing(probability=1.0, mode="pixel", max_count=3, device="cpu")
        ours = augkit.RandomErasing.from_timm(1.0, mode="pixel", max_count=3)
        mine = median_ms(lambda: ours(normalized, rng=rng), r)
        ref = median_ms(lambda: timm_erasing(normalized.clone()), r)
        print(f"{'timm RE pixel x1-3':22s} {'float32':8s} {mine:13.2f} {ref:17.2f} {ref / mine:6.1f}x  (timm: whole batch, in place)")
    except ImportError:
        print("timm not installed: its RandomErasing row skipped")


if __name__ == "__main__":
    main()
