"""Benchmark the loader's own overhead and the fused normalize (medians, side by side).

    python scripts/bench_loader.py [--batch 64] [--size 224] [--reps 15]

1. Loader overhead per batch, excluding transforms: a DataLoader (num_workers=0) over
   in-memory samples, as ``ToTensor`` returns them (CHW views of HWC pixels), wrapped in a
   ``DeviceLoader`` on the CPU with no transforms. ``default_collate`` (fresh tensor, a
   transposing copy) against ``Uint8Collate`` (a memcpy into a reused buffer).
2. uint8 -> float32 normalize of ``[B, 3, H, W]`` at 1 thread: torch's plain expression,
   torchvision v2, the previous augkit kernel and augkit's ``Normalize`` now.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch.utils.data import DataLoader, default_collate  # noqa: E402

from augkit import Normalize, ToTensor  # noqa: E402
from augkit.data import DeviceLoader, Uint8Collate  # noqa: E402

MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def _median_ms(functions: dict, reps: int) -> dict:
    """Run the functions interleaved ``reps`` times; return each one's median in ms."""
    times = {name: [] for name in functions}
    for _ in range(reps):
        for name, f in functions.items():
            start = time.perf_counter()
            f()
            times[name].append(time.perf_counter() - start)
    _report.minimum = {name: 1e3 * min(t) for name, t in times.items()}
    return {name: 1e3 * statistics.median(t) for name, t in times.items()}


def _report(title: str, medians: dict, baseline: str) -> None:
    print(title)
    for name, ms in medians.items():
        print(f"  {name:<44} median {ms:8.2f} ms (min {_report.minimum[name]:7.2f})   x{medians[baseline] / ms:5.2f} vs {baseline}")


def loader_overhead(batch: int, size: int, reps: int) -> dict:
    rng = np.random.default_rng(0)
    items = [(ToTensor()(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)), i % 10) for i in range(batch)]

    def one_batch(loader):
        def run():
            for _batch in loader:
                pass  # the batch is dropped, as a training step would

        return run

    def make(collate, channels_last):
        return DeviceLoader(DataLoader(items, batch_size=batch, collate_fn=collate), "cpu", (), channels_last=channels_last)

    functions = {
        "default_collate (fresh tensor), NCHW": one_batch(make(default_collate, False)),
        "Uint8Collate (reused buffer), channels_last": one_batch(make(Uint8Collate(), True)),
        "Uint8Collate (reused buffer), NCHW on device": one_batch(make(Uint8Collate(), False)),
        "collate only: default_collate": lambda: default_collate(items),
        "collate only: Uint8Collate": (lambda c: lambda: c(items))(Uint8Collate()),
    }
    medians = _median_ms(functions, reps)
    _report(
        f"loader overhead per batch of {batch} x 3x{size}x{size} uint8 (DataLoader + collate + DeviceLoader, cpu)",
        medians,
        "default_collate (fresh tensor), NCHW",
    )
    return medians


def normalize(batch: int, size: int, reps: int) -> dict:
    x = torch.from_numpy(np.random.default_rng(1).integers(0, 256, (batch, 3, size, size), dtype=np.uint8))
    mean_t, std_t = torch.tensor(MEAN).view(3, 1, 1), torch.tensor(STD).view(3, 1, 1)
    scale = (1.0 / (255.0 * std_t)).float()
    bias = (-mean_t / std_t).float()
    ours = Normalize(mean=MEAN, std=STD)
    x_cl = x.contiguous(memory_format=torch.channels_last)  # what Uint8Collate produces
    functions = {
        "torch plain (x.float()/255 - mean) / std": lambda: (x.float() / 255 - mean_t) / std_t,
        "foundation kernel: addcmul(b, x.float(), s)": lambda: torch.addcmul(bias, x.to(torch.float32), scale),
        "augkit Normalize, NCHW batch": lambda: ours(x),
        "augkit Normalize, channels-last batch": lambda: ours(x_cl),
    }
    reference = None
    try:
        from torchvision.transforms import v2

        tv = v2.Compose([v2.ToDtype(torch.float32, scale=True), v2.Normalize(MEAN, STD)])
        functions["torchvision v2 ToDtype + Normalize"] = lambda: tv(x)
        reference = tv(x)
    except ImportError:  # pragma: no cover
        pass
    medians = _median_ms(functions, reps)
    _report(f"uint8 -> float normalize of [{batch}, 3, {size}, {size}], 1 thread", medians, "torch plain (x.float()/255 - mean) / std")
    if reference is not None:
        worst = max((ours(v) - reference).abs().max().item() for v in (x, x_cl))
        print(f"  max |augkit - torchvision| = {worst:.2e}")
    return medians


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--reps", type=int, default=31)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, 1 thread, THP_MEM_ALLOC_ENABLE={os.environ.get('THP_MEM_ALLOC_ENABLE', 'unset')}")
    loader_overhead(args.batch, args.size, args.reps)
    normalize(args.batch, args.size, args.reps)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
