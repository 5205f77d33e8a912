"""Benchmark of the 50-view test-time protocol, augkit against torchvision v2, side by side.

Per decoded photo (~500 x 375): resize the shorter side to 224, 256, 384, 480 and 640, take
the ten 224 x 224 crops of each, and convert the 50 views to normalized float32. augkit:
``MultiScaleTenCrop`` then ``Normalize`` (as ``augkit.tta.predict`` applies it to a chunk);
torchvision v2 (tensor path): ``resize(antialias=True)`` + ``ten_crop`` per scale,
``stack``, ``to_dtype(scale=True)``, ``normalize``. Both run in one process, interleaved
image by image, on one thread; medians are reported.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from augkit import constants
from augkit.functional import geometry as G
from augkit.io import decode
from augkit.samples import sample_paths
from augkit.transforms.normalize import Normalize
from augkit.transforms.views import MultiScaleTenCrop

SCALES = (224, 256, 384, 480, 640)
SIZE = 224


def photos(area: int = 500 * 375) -> list[np.ndarray]:
    """The bundled photos, resized (aspect kept) to about ``area`` pixels, decoded."""
    out = []
    for path in sample_paths():
        image = decode(path)
        factor = (area / (image.shape[0] * image.shape[1])) ** 0.5
        out.append(np.ascontiguousarray(G.resize(image, (round(image.shape[0] * factor), round(image.shape[1] * factor)))))
    return out


def torchvision_views(image: np.ndarray, normalize: bool = True) -> torch.Tensor:
    """The torchvision v2 tensor path: 5 resizes, ten_crop each, stack, to float, normalize."""
    import torchvision.transforms.v2.functional as TF

    tensor = torch.from_numpy(image).permute(2, 0, 1).contiguous()
    views = []
    for scale in SCALES:
        views.extend(TF.ten_crop(TF.resize(tensor, scale, antialias=True), [SIZE, SIZE]))
    out = torch.stack(views)
    if not normalize:
        return out
    out = TF.to_dtype(out, torch.float32, scale=True)
    return TF.normalize(out, list(constants.IMAGENET_MEAN), list(constants.IMAGENET_STD))


def run(repeats: int = 5, threads: int = 1) -> dict[str, float]:
    """Time both paths on every photo, interleaved; return medians in ms and the ratios.

    Args:
        repeats: Passes over the photos.
        threads: torch / OpenCV threads (1 for per-worker numbers).

    Returns:
        ``{"augkit_ms", "torchvision_ms", "ratio", "augkit_uint8_ms", "torchvision_uint8_ms",
        "ratio_uint8", "resize_only_ms", "max_abs_diff"}``. ``resize_only_ms`` is the five
        resizes alone (the same torch kernel in both paths): no exact method beats it.
    """
    import cv2

    torch.set_num_threads(threads)
    cv2.setNumThreads(0 if threads == 1 else threads)
    images = photos()
    views = MultiScaleTenCrop(SCALES, SIZE)
    normalize = Normalize(constants.IMAGENET_MEAN, constants.IMAGENET_STD)
    paths = {
        "augkit_ms": lambda im: normalize(views(im)),
        "torchvision_ms": lambda im: torchvision_views(im),
        "augkit_uint8_ms": lambda im: views(im),
        "torchvision_uint8_ms": lambda im: torchvision_views(im, normalize=False),
        "resize_only_ms": lambda im: [G.resize(im, G.shorter_side_size(*im.shape[:2], s)) for s in SCALES],
    }
    times: dict[str, list[float]] = {name: [] for name in paths}
    for name, fn in paths.items():  # warm up
        fn(images[0])
    for _ in range(repeats):
        for image in images:
            for name, fn in paths.items():
                start = time.perf_counter()
                fn(image)
                times[name].append(time.perf_counter() - start)
    result = {name: float(np.median(t) * 1e3) for name, t in times.items()}
    result["ratio"] = result["torchvision_ms"] / result["augkit_ms"]
    result["ratio_uint8"] = result["torchvision_uint8_ms"] / result["augkit_uint8_ms"]
    result["max_abs_diff"] = max(float((normalize(views(im)) - torchvision_views(im)).abs().max()) for im in images)
    return result


def main() -> int:
    """Print the benchmark's table."""
    r = run()
    print("50-view TTA protocol per image (~500x375 photo, 1 thread, medians)")
    print(f"  to normalized float32: augkit {r['augkit_ms']:.1f} ms  torchvision v2 {r['torchvision_ms']:.1f} ms  -> {r['ratio']:.2f}x")
    print(f"  uint8 views only:      augkit {r['augkit_uint8_ms']:.1f} ms  torchvision v2 {r['torchvision_uint8_ms']:.1f} ms  -> {r['ratio_uint8']:.2f}x")
    print(f"  the five resizes alone (same kernel in both): {r['resize_only_ms']:.1f} ms")
    print(f"  max |augkit - torchvision| after normalize: {r['max_abs_diff']:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
