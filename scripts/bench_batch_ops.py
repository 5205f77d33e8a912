"""Side-by-side benchmark of the batch-stage ops: Cutout, Mixup, CutMix (1 thread, medians).

Run from the repository root::

    python scripts/bench_batch_ops.py [--batch 64] [--size 224] [--repeat 15]

Peers (timm ``Mixup``, torchvision v2 ``RandomErasing`` per sample) are timed in the same
process when installed. Every timed call includes producing a fresh output (augkit never
mutates its input; timm's in-place ops are given a fresh clone, which is timed too, since
a caller that keeps its batch must pay for it).
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
from augkit.functional import erasing as E  # noqa: E402
from augkit.functional import mix as M  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    b, s, r = args.batch, args.size, args.repeat
    floats = torch.rand(b, 3, s, s, generator=torch.Generator().manual_seed(0))
    uint8 = (floats * 255).to(torch.uint8)
    labels = torch.randint(0, 1000, (b,), generator=torch.Generator().manual_seed(1))
    rng = np.random.default_rng(0)
    rows: list[tuple[str, float]] = []

    def add(name, fn):
        rows.append((name, median_ms(fn, r)))
        print(f"{name:58s} {rows[-1][1]:8.2f} ms", flush=True)

    print(f"[{b}, 3, {s}, {s}], {args.threads} thread(s), median of {r}")
    add("reference: floats.clone()", lambda: floats.clone())
    add("reference: uint8.clone()", lambda: uint8.clone())

    cutout = augkit.Cutout(max(s // 2, 1))  # half the side, as DeVries & Taylor on CIFAR (16 of 32)
    for name, x in (("uint8", uint8), ("float32", floats)):
        add(f"augkit Cutout({cutout.size[0]}) {name}", lambda x=x: cutout(x, rng=rng))
        p = cutout.sample(rng, x).params  # p=1: every row applied, the boxes of all rows
        add(f"  kernel, mask path {name}", lambda x=x, p=p: E.erase(x, p.top, p.left, p.bottom, p.right, 0, use_mask=True))
        add(f"  kernel, slice path {name}", lambda x=x, p=p: E.erase(x, p.top, p.left, p.bottom, p.right, 0, use_mask=False))
    try:
        from torchvision.transforms import v2

        erasing = v2.RandomErasing(p=1.0, value=0)
        for name, x in (("uint8", uint8), ("float32", floats)):
            add(f"torchvision v2 RandomErasing per sample {name}", lambda x=x: torch.stack([erasing(img) for img in x]))
    except ImportError:
        print("torchvision not installed: skipped")

    for label, t in (
        ("Mixup", augkit.Mixup(0.2, 1000, label_smoothing=0.1)),
        ("Mixup elem", augkit.Mixup(0.2, 1000, label_smoothing=0.1, mode="elem")),
        ("CutMix", augkit.CutMix(1.0, 1000, label_smoothing=0.1)),
        ("CutMix elem", augkit.CutMix(1.0, 1000, label_smoothing=0.1, mode="elem")),
        ("MixupOrCutMix elem", augkit.MixupOrCutMix(0.8, 1.0, num_classes=1000, mode="elem")),
    ):
        add(f"augkit {label} float32", lambda t=t: t(floats, labels, rng=rng))
        p = t.sample(np.random.default_rng(1), floats)
        fields = (p.lam, p.cutmix, p.top, p.left, p.bottom, p.right)
        add("  kernel, vectorized path", lambda f=fields: M.mix_images(floats, *f, vectorized=True))
        add("  kernel, per-sample slices path", lambda f=fields: M.mix_images(floats, *f, vectorized=False))
    add("augkit CutMix uint8", lambda: augkit.CutMix(1.0, 1000)(uint8, labels, rng=rng))
    try:
        from timm.data import Mixup as TimmMixup

        for label, kwargs in (
            ("Mixup", {"mixup_alpha": 0.2, "cutmix_alpha": 0.0}),
            ("Mixup elem", {"mixup_alpha": 0.2, "cutmix_alpha": 0.0, "mode": "elem"}),
            ("CutMix", {"mixup_alpha": 0.0, "cutmix_alpha": 1.0}),
            ("CutMix elem", {"mixup_alpha": 0.0, "cutmix_alpha": 1.0, "mode": "elem"}),
            ("Mixup+CutMix elem", {"mixup_alpha": 0.8, "cutmix_alpha": 1.0, "mode": "elem"}),
        ):
            mixer = TimmMixup(label_smoothing=0.1, num_classes=1000, **kwargs)
            add(f"timm {label} float32 (in place, on a clone)", lambda m=mixer: m(floats.clone(), labels))
    except ImportError:
        print("timm not installed: skipped")


if __name__ == "__main__":
    main()
