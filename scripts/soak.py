"""Soak test: many epochs of the full ResNet pipeline; resident memory must stay flat.

Runs ``--epochs`` epochs over the bundled samples (``--repeat`` copies of them per epoch)
with ``--workers`` persistent DataLoader workers: the sample stage (decode, RandomScale
256-480, RandomCrop 224, HorizontalFlip, ToTensor) in the workers, and the batch stage
(ColorJitter 0.4, PCALighting 0.1, Normalize with the ImageNet constants) through
``DeviceLoader`` on the CPU. After each epoch it records the resident memory of the main
process and of every worker (``/proc``; Linux). The check: the total after epoch 2 grows
by less than 5% by the last epoch (epochs 1-2 are warm-up: allocator pools, caches).

Usage::

    python scripts/soak.py               # 20 epochs, 2 workers
    python scripts/soak.py --epochs 5 --repeat 1

Exit status 0 when the growth is below ``--limit`` (percent), 1 otherwise.

glibc's malloc raises its mmap threshold dynamically after large blocks are freed, after
which the batch stage's multi-megabyte tensors come from the heap and the main process's
RSS wanders (bounded, a few percent) for tens of epochs before it settles. That is
fragmentation, not a leak; ``--malloc-mmap-threshold 131072`` (re-runs the script with
``MALLOC_MMAP_THRESHOLD_`` set, which fixes the threshold) shows what leaks remain.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402
from torch.utils.data import DataLoader  # noqa: E402

from augkit import ColorJitter, Compose, HorizontalFlip, Normalize, PCALighting, RandomCrop, RandomScale, ToTensor, constants  # noqa: E402
from augkit.data import AugmentedDataset, DeviceLoader, ImageList, Uint8Collate  # noqa: E402
from augkit.samples import sample_paths  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes(pid: int) -> int:
    """Resident set size of process ``pid`` (Linux ``/proc``)."""
    with open(f"/proc/{pid}/statm") as handle:
        return int(handle.read().split()[1]) * PAGE


def build(workers: int, repeat: int, batch_size: int, size: int = 224):
    """The dataset, its DataLoader and the DeviceLoader of the ResNet recipe."""
    paths = [str(p) for p in sample_paths()] * repeat
    sample_stage = Compose([RandomScale(256, 480), RandomCrop(size), HorizontalFlip(), ToTensor()])
    dataset = AugmentedDataset(ImageList(paths, targets=list(range(len(paths)))), sample_stage, seed=0)
    loader = DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=True,
        num_workers=workers,
        persistent_workers=workers > 0,
        collate_fn=Uint8Collate(),
        timeout=120 if workers else 0,
        generator=torch.Generator().manual_seed(0),
    )
    batch_stage = [
        ColorJitter(0.4, 0.4, 0.4),
        PCALighting(0.1),
        Normalize(mean=constants.IMAGENET_MEAN, std=constants.IMAGENET_STD),
    ]
    return dataset, loader, DeviceLoader(loader, "cpu", batch_stage, seed=0)


def soak(epochs: int = 20, workers: int = 2, repeat: int = 8, batch_size: int = 8, size: int = 224, log=None) -> list[dict]:
    """Run the epochs; return one record per epoch: main, workers and total RSS, images, seconds."""
    _, loader, device_loader = build(workers, repeat, batch_size, size)
    records = []
    for epoch in range(epochs):
        start = time.perf_counter()
        device_loader.set_epoch(epoch)
        images = 0
        checksum = 0.0
        for batch, targets in device_loader:
            images += len(targets)
            checksum += float(batch[:, :, :4, :4].sum())  # touch the output
        pids = [w.pid for w in getattr(getattr(loader, "_iterator", None), "_workers", [])] if workers else []
        main_rss = rss_bytes(os.getpid())
        worker_rss = [rss_bytes(pid) for pid in pids]
        record = {
            "epoch": epoch + 1,
            "images": images,
            "seconds": time.perf_counter() - start,
            "main_mib": main_rss / 2**20,
            "workers_mib": [r / 2**20 for r in worker_rss],
            "total_mib": (main_rss + sum(worker_rss)) / 2**20,
        }
        records.append(record)
        if log is not None:
            workers_text = ", ".join(f"{r:.1f}" for r in record["workers_mib"])
            log(
                f"epoch {record['epoch']:3d}: {images} images in {record['seconds']:.2f} s; RSS main {record['main_mib']:.1f} MiB,"
                f" workers [{workers_text}] MiB, total {record['total_mib']:.1f} MiB"
            )
    iterator = getattr(loader, "_iterator", None)
    if iterator is not None and hasattr(iterator, "_shutdown_workers"):
        iterator._shutdown_workers()
    return records


def growth_percent(records: list[dict], after_epoch: int = 2) -> float:
    """Growth of the total RSS from the end of ``after_epoch`` to the end of the last epoch, in percent."""
    base = records[after_epoch - 1]["total_mib"]
    return 100.0 * (records[-1]["total_mib"] - base) / base


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=8, help="copies of the sample set per epoch (default 8: 64 images)")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--limit", type=float, default=5.0, help="allowed growth after epoch 2, percent (default 5)")
    parser.add_argument(
        "--malloc-mmap-threshold",
        type=int,
        default=None,
        metavar="BYTES",
        help="re-run with MALLOC_MMAP_THRESHOLD_=BYTES (a fixed glibc mmap threshold)",
    )
    parser.add_argument("--json", metavar="FILE", help="also write the per-epoch records as JSON")
    args = parser.parse_args(argv)
    if args.malloc_mmap_threshold is not None and os.environ.get("MALLOC_MMAP_THRESHOLD_") != str(args.malloc_mmap_threshold):
        env = dict(os.environ, MALLOC_MMAP_THRESHOLD_=str(args.malloc_mmap_threshold))
        os.execve(sys.executable, [sys.executable, os.path.abspath(__file__), *(argv if argv is not None else sys.argv[1:])], env)
    if args.epochs < 3:
        parser.error("--epochs must be >= 3 (growth is measured from the end of epoch 2)")
    torch.set_num_threads(max(1, (os.cpu_count() or 2) // 2))
    records = soak(args.epochs, args.workers, args.repeat, args.batch_size, log=print)
    growth = growth_percent(records)
    peak = max(r["total_mib"] for r in records)
    print(
        f"total RSS after epoch 2: {records[1]['total_mib']:.1f} MiB; after epoch {args.epochs}: {records[-1]['total_mib']:.1f} MiB;"
        f" growth {growth:+.2f}% (limit {args.limit}%); peak {peak:.1f} MiB"
    )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(
                {"records": records, "growth_percent": growth, "malloc_mmap_threshold": os.environ.get("MALLOC_MMAP_THRESHOLD_")},
                handle,
                indent=1,
            )
    return 0 if growth < args.limit else 1


if __name__ == "__main__":
    sys.exit(main())
