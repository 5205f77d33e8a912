"""ColorJitter on one 224x224 uint8 HWC image: the C kernel vs the OpenCV path vs albumentations.

Each round times a burst of calls of every contender in turn (interleaved, so machine noise
hits all alike) and the script prints the median per call, 1 thread. Also each operation alone
on the C kernel. Run: ``python scripts/bench_color_native.py [--rounds 41] [--burst 50]``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import cv2
import numpy as np
import torch

import augkit
from augkit.functional import color as C
from augkit.samples import sample_paths


def photo(size: int = 224) -> np.ndarray:
    image = augkit.decode(sample_paths()[0])
    return np.ascontiguousarray(cv2.resize(image[..., :3], (size, size), interpolation=cv2.INTER_AREA))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=41)
    parser.add_argument("--burst", type=int, default=50)
    args = parser.parse_args()
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    if C._native is None:
        raise SystemExit("augkit._color is not built: python setup.py build_ext --inplace")
    image = photo()
    jitter = augkit.ColorJitter(0.4, 0.4, 0.4, 0.1)
    rng = np.random.default_rng(0)
    params = [jitter.sample(rng, image) for _ in range(args.burst)]
    factors = [((p.brightness, p.contrast, p.saturation, p.hue), p.order) for p in params]

    def native():
        for f, order in factors:
            C._jitter_uint8_hwc(image, f, order)

    def opencv():
        for f, order in factors:
            C._jitter_uint8_hwc_opencv(image, f, order)

    contenders = {"augkit C kernel": native, "augkit OpenCV path": opencv}
    for op, name in enumerate(("brightness", "contrast", "saturation", "hue")):

        def one(op=op):
            for f, _ in factors:
                single = [None] * 4
                single[op] = f[op]
                C._jitter_uint8_hwc(image, single, (op,))

        contenders[f"  C kernel, {name} alone"] = one
    try:
        import albumentations as A

        album = A.ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1, p=1.0)

        def albumentations():
            for _ in range(args.burst):
                album(image=image)

        contenders["albumentations ColorJitter"] = albumentations
    except ImportError:
        pass
    times = {name: [] for name in contenders}
    for _ in range(args.rounds):
        for name, fn in contenders.items():
            start = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - start) * 1000.0 / args.burst)
    base = statistics.median(times["augkit C kernel"])
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:32s} {median:7.3f} ms/image  ({median / base:4.2f}x the C kernel)")


if __name__ == "__main__":
    main()
