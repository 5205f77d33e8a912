"""Streaming from local tar shards against reading the folder, and ``--max-side`` storage.

Row 1 (eight shards, so each worker streams its own): the ResNet recipe's sample stage (``augkit.presets.resnet_train``) in a DataLoader with
2 workers, batches of 64, ``Uint8Collate``: an ``AugmentedDataset`` over the image folder
against an ``AugmentedIterable`` over the same images packed by ``augkit pack`` (read with
WebDataset when it is installed, else ``augkit.data.tar_samples``). Images per second,
median of ``--repeats`` epochs after one warm-up epoch; the ratio shards / folder.

Row 2: large photos (the benchmark JPEGs enlarged to ``--large-side`` on their longer side)
packed as they are and with ``--max-side 512``; the sample stage alone (decode + recipe, one
process) per image, and the speed-up.

Usage: ``python scripts/bench_shards.py [--data DIR] [--n-images N] [--repeats R]``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch
from PIL import Image
from torch.utils.data import DataLoader

from augkit import presets
from augkit.bench import ensure_default_data
from augkit.commands.pack import pack
from augkit.data import AugmentedDataset, AugmentedIterable, ImageFolder, Uint8Collate, tar_samples


def _init_worker(_: int) -> None:
    import cv2

    torch.set_num_threads(1)
    cv2.setNumThreads(0)


def _epoch_rate(dataset, repeats: int, **loader_args) -> float:
    rates = []
    for epoch in range(repeats + 1):
        dataset.set_epoch(epoch)
        loader = DataLoader(dataset, batch_size=64, num_workers=2, collate_fn=Uint8Collate(), worker_init_fn=_init_worker, **loader_args)
        start, count = time.perf_counter(), 0
        for batch in loader:
            count += batch.images.shape[0]
        if epoch:  # the first is a warm-up
            rates.append(count / (time.perf_counter() - start))
    return statistics.median(rates)


def _subset(folder: Path, n: int, out: Path) -> Path:
    """A class-per-folder tree of links to the first ``n`` images of ``folder``."""
    images = sorted(folder.rglob("*.jpg"))[:n]
    for path in images:
        target = out / path.parent.name / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(path.resolve())
    return out


def _stream_source(urls: list[str]):
    try:
        from augkit.data.webdataset import shards

        return shards(urls, shuffle=1000, seed=0), "webdataset"
    except ImportError:
        return tar_samples(urls), "tar_samples"


def row_folder_vs_shards(folder: Path, work: Path, repeats: int) -> None:
    sample = presets.resnet_train().sample
    urls = sorted(str(p) for p in work.glob("shards/*.tar")) or None
    if urls is None:
        # Eight shards: each of the two workers streams its own four (as many shards as workers x ranks, or more).
        total = sum(p.stat().st_size for p in folder.rglob("*.jpg"))
        pack(str(folder), str(work / "shards"), shard_size=int(total / 8 * 1.1))
        urls = sorted(str(p) for p in work.glob("shards/*.tar"))
    over_folder = _epoch_rate(AugmentedDataset(ImageFolder(folder), sample, seed=0), repeats, shuffle=True)
    source, reader = _stream_source(urls)
    over_shards = _epoch_rate(AugmentedIterable(source, sample, seed=0), repeats)
    count = len(ImageFolder(folder))
    print(f"resnet_train sample stage, 2 workers, {count} images ({len(urls)} shards, read by {reader}):")
    print(f"  folder {over_folder:8.0f} img/s   shards {over_shards:8.0f} img/s   ratio {over_shards / over_folder:.3f}")


def _enlarge(folder: Path, out: Path, n: int, side: int) -> Path:
    for i, path in enumerate(sorted(folder.rglob("*.jpg"))[:n]):
        with Image.open(path) as image:
            scale = side / max(image.size)
            large = image.convert("RGB").resize((round(image.width * scale), round(image.height * scale)), Image.BICUBIC)
        target = out / f"class_{i % 4:02d}" / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        large.save(target, quality=90)
    return out


def _sample_stage_ms(urls: list[str], repeats: int) -> float:
    sample = presets.resnet_train().sample
    records = list(tar_samples(urls))
    stream = AugmentedIterable(records, sample, seed=0)
    times = []
    for epoch in range(repeats + 1):
        start = time.perf_counter()
        for record in records:
            key, image, target = stream._parse(record)
            stream._augment(key, image, target, epoch, 0)
        if epoch:
            times.append((time.perf_counter() - start) / len(records) * 1e3)
    return statistics.median(times)


def row_max_side(folder: Path, work: Path, n: int, side: int, repeats: int) -> None:
    large = _enlarge(folder, work / "large", n, side)
    sizes = {}
    for name, max_side in (("as is", None), ("max-side 512", 512)):
        out = work / f"large-{max_side}"
        manifest = pack(str(large), str(out), shard_size=10**9, max_side=max_side, quality=90)
        sizes[name] = (manifest["sizes"]["stored_bytes"], _sample_stage_ms(sorted(str(p) for p in out.glob("*.tar")), repeats))
    print(f"large photos ({n}, longer side {side}), resnet_train sample stage, one process:")
    for name, (stored, ms) in sizes.items():
        print(f"  {name:13s} {stored / 1e6:8.1f} MB   {ms:6.2f} ms/img")
    print(f"  speed-up of the sample stage with --max-side 512: {sizes['as is'][1] / sizes['max-side 512'][1]:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help="class-per-folder JPEGs (default: augkit bench's 1,000 images)")
    parser.add_argument("--n-images", type=int, default=1000)
    parser.add_argument("--large", type=int, default=100, help="large photos for row 2")
    parser.add_argument("--large-side", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--large-only", action="store_true", help="run row 2 only")
    parser.add_argument("--shards-only", action="store_true", help="run row 1 only")
    args = parser.parse_args()
    torch.set_num_threads(1)
    data = args.data or ensure_default_data(log=lambda line: print(line, flush=True))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        folder = _subset(Path(data), args.n_images, work / "folder")
        if not args.large_only:
            row_folder_vs_shards(folder, work, args.repeats)
        if not args.shards_only:
            row_max_side(folder, work, args.large, args.large_side, args.repeats)


if __name__ == "__main__":
    main()
