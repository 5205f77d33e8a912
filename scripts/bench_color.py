"""Side-by-side benchmark of augkit's color transforms (1 thread, medians).

Batch stage: ``ColorJitter(0.4, 0.4, 0.4, 0.1)`` on a ``[64, 3, 224, 224]`` uint8 CPU batch
with per-sample parameters: augkit vs torchvision v2 applied per sample vs kornia.
Sample stage: the same jitter on one 224x224 HWC uint8 image: augkit vs torchvision v2 on a
CHW tensor. Also PCALighting. Run: ``python scripts/bench_color.py [--repeats 7]``.
"""

from __future__ import annotations

import argparse

import cv2
import numpy as np
import torch
from _timing import median_ms  # scripts/_timing.py

import augkit
from augkit.functional.color import color_jitter
from augkit.samples import sample_paths


def natural_batch(batch: int, size: int = 224) -> torch.Tensor:
    images = [augkit.decode(p) for p in sample_paths()]
    crops = []
    for i in range(batch):
        image = images[i % len(images)]
        if image.ndim == 2 or image.shape[2] != 3:
            image = np.repeat(image[..., :1], 3, axis=2)
        image = cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)
        crops.append(torch.from_numpy(np.ascontiguousarray(np.roll(image, 13 * i, axis=1))).permute(2, 0, 1))
    return torch.stack(crops).contiguous()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args()
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    batch = natural_batch(args.batch)
    rows = []

    jitter = augkit.ColorJitter(0.4, 0.4, 0.4, 0.1)
    rng = np.random.default_rng(0)
    ours = median_ms(lambda: jitter(batch, rng=rng), args.repeats)

    def vectorized():
        p = jitter.sample(rng, batch)
        return color_jitter(batch, p.brightness, p.contrast, p.saturation, p.hue, p.order, vectorized=True)

    ours_vec = median_ms(vectorized, args.repeats)
    rows.append(("ColorJitter batch [64,3,224,224] u8: augkit", ours, None))
    rows.append(("  augkit, vectorized torch path (GPU path)", ours_vec, None))
    image = batch[0].permute(1, 2, 0).contiguous().numpy()
    ours_one = median_ms(lambda: jitter(image, rng=rng), args.repeats, inner=20)

    try:
        from torchvision.transforms import v2

        tv = v2.ColorJitter(0.4, 0.4, 0.4, 0.1)
        tv_batch = median_ms(lambda: torch.stack([tv(x) for x in batch]), args.repeats)
        rows.append(("  torchvision v2 per-sample loop", tv_batch, tv_batch / ours))
        chw = batch[0].clone()
        tv_one = median_ms(lambda: tv(chw), args.repeats, inner=20)
    except ImportError:
        tv_one = None
    try:
        import kornia.augmentation as K

        kj = K.ColorJitter(0.4, 0.4, 0.4, 0.1, p=1.0)
        kornia_ms = median_ms(lambda: (kj(batch.float() / 255) * 255).to(torch.uint8), args.repeats)
        rows.append(("  kornia ColorJitter (float)", kornia_ms, kornia_ms / ours))
    except ImportError:
        pass

    rows.append(("ColorJitter one 224x224 HWC u8: augkit", ours_one, None))
    if tv_one is not None:
        rows.append(("  torchvision v2 on a CHW tensor", tv_one, tv_one / ours_one))

    pca = augkit.PCALighting()
    rows.append(("PCALighting batch [64,3,224,224] u8: augkit", median_ms(lambda: pca(batch, rng=rng), args.repeats), None))
    rows.append(("PCALighting one 224x224 HWC u8: augkit", median_ms(lambda: pca(image, rng=rng), args.repeats, inner=20), None))

    print(f"{'case':55s} {'median ms':>10s} {'peer/augkit':>12s}")
    for name, ms, ratio in rows:
        print(f"{name:55s} {ms:10.2f} {'' if ratio is None else f'{ratio:11.1f}x':>12s}")


if __name__ == "__main__":
    main()
