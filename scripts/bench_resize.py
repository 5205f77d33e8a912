"""Side-by-side benchmark of augkit's uint8 resize kernel ``augkit._resize`` (1 thread, medians).

Same work: torch's AVX2 uint8 kernel (``_bilinear_hwc``) vs ``augkit._resize`` resizing the
same region to the same size (antialias on and off), timed alternately in one process.
ResNet recipe per image: shorter side to a random L in [256, 480], random 224x224 crop, on
photos: ``resize_crop`` (the C kernel on the tight region) vs the torch path on the
grid-aligned region vs resizing the whole image and cropping.
Run: ``python scripts/bench_resize.py [--images DIR] [--repeats 300]``.
"""

from __future__ import annotations

import argparse
import glob
import time

import numpy as np
import torch

import augkit
from augkit.functional import geometry as G
from augkit.samples import sample_paths


def alternate(fns: dict, repeats: int) -> dict:
    """Median seconds of each function, called in turn so that machine noise hits all alike."""
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: float(np.median(t)) for name, t in times.items()}


def same_region(repeats: int) -> None:
    rng = np.random.default_rng(0)
    for h, w, oh, ow in [(300, 300, 224, 224), (250, 330, 224, 224), (200, 200, 224, 224), (500, 375, 341, 256)]:
        image = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        for antialias in (True, False):
            out = np.empty((oh, ow, 3), np.uint8)
            fns = {
                "torch": lambda: G._bilinear_hwc(image, (oh, ow), antialias),
                "augkit": lambda: G._native.resize_window(image, out, 0, 0, h, w, oh, ow, 0, 0, antialias),
            }
            t = alternate(fns, repeats)
            print(
                f"{h}x{w} -> {oh}x{ow} antialias={antialias}: torch {t['torch'] * 1e6:.0f} us, "
                f"augkit._resize {t['augkit'] * 1e6:.0f} us ({t['torch'] / t['augkit']:.2f}x)"
            )


def resnet(folder: str | None, repeats: int) -> None:
    paths = (
        sorted(glob.glob(f"{folder}/**/*.jpg", recursive=True))[:40] if folder else [p for p in sample_paths() if str(p).endswith(".jpg")]
    )
    photos = [augkit.decode(p) for p in paths]
    rng = np.random.default_rng(0)
    jobs = []
    while len(jobs) < repeats:
        photo = photos[len(jobs) % len(photos)]
        size = G.shorter_side_size(photo.shape[0], photo.shape[1], int(rng.integers(256, 481)))
        if size != photo.shape[:2]:
            jobs.append((photo, size, int(rng.integers(0, size[0] - 223)), int(rng.integers(0, size[1] - 223))))
    native = G._native
    times = {"native": [], "torch region": [], "whole": []}
    for photo, size, top, left in jobs:
        for name in times:
            G._native = native if name == "native" else None
            start = time.perf_counter()
            if name == "whole":
                G.crop(G.resize(photo, size), top, left, 224, 224)
            else:
                G.resize_crop(photo, size, top, left, 224, 224)
            times[name].append(time.perf_counter() - start)
    G._native = native
    t = {name: float(np.median(v)) * 1e6 for name, v in times.items()}
    print(
        f"ResNet resize_crop on {len(photos)} photos: augkit._resize on the tight region {t['native']:.0f} us, "
        f"torch on the grid-aligned region {t['torch region']:.0f} us, torch on the whole image {t['whole']:.0f} us"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", help="folder of JPEG photos (default: augkit's samples)")
    parser.add_argument("--repeats", type=int, default=300)
    args = parser.parse_args()
    if G._native is None:
        raise SystemExit("augkit._resize is not built (python setup.py build_ext --inplace)")
    torch.set_num_threads(1)
    same_region(args.repeats)
    resnet(args.images, args.repeats)


if __name__ == "__main__":
    main()
