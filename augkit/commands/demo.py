"""``augkit demo``: the README's main job on the bundled sample photos.

Computes the samples' statistics, builds the ResNet training pipeline from them, runs a
``DataLoader`` with workers through ``DeviceLoader`` (on the GPU when there is one) for a few
epochs, writes a preview grid, and prints the throughput and where the files went. Files
written to ``--out-dir`` (created if needed; ``stats.json`` and ``pipeline.yaml`` are
replaced, ``preview.png`` only when it is a preview augkit made): ``stats.json``,
``pipeline.yaml`` (loadable with ``augkit preview --config``) and ``preview.png``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

# torch and the rest of augkit are imported in run(), so `augkit demo --help` is instant.


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the demo's options."""
    parser.add_argument("--epochs", type=int, default=3, help="passes over the samples (default 3)")
    parser.add_argument("--seed", type=int, default=0, help="experiment seed (default 0)")
    parser.add_argument("--out-dir", default="augkit-demo", help="where the files go (default ./augkit-demo)")
    parser.add_argument("--workers", type=int, default=2, help="DataLoader worker processes (default 2)")
    parser.add_argument("--batch-size", type=int, default=16, help="images per batch (default 16)")
    parser.add_argument("--repeat", type=int, default=4, help="passes over the 8 samples per epoch (default 4)")
    parser.add_argument("--device", default=None, help="where the batch stage runs (default: cuda if available, else cpu)")
    parser.add_argument("-n", type=int, default=8, help="variants per image in the preview grid (default 8)")


def _compute_stats(paths: list[Path], out_dir: Path):
    """Return ``(stats, message)``; saves ``stats.json``."""
    from augkit.stats import compute

    stats = compute([str(p) for p in paths], progress=False)
    target = out_dir / "stats.json"
    stats.save(target)
    mean = ", ".join(f"{v:.3f}" for v in stats.mean)
    std = ", ".join(f"{v:.3f}" for v in stats.std)
    return stats, f"stats: {stats.num_images} images, mean ({mean}), std ({std}) -> {target}"


def _loader(items, sample, batch, args, device):
    """Return ``(dataset, iterable of device batches per epoch, message)``."""
    import torch

    from augkit._process import init_worker
    from augkit.data import AugmentedDataset, DeviceLoader

    loader_args = dict(
        batch_size=args.batch_size, num_workers=args.workers, persistent_workers=args.workers > 0, worker_init_fn=init_worker
    )
    dataset = AugmentedDataset(items, sample, seed=args.seed)
    device_loader = DeviceLoader(
        torch.utils.data.DataLoader(dataset, **loader_args), device, [] if batch is None else batch, seed=args.seed
    )

    def epoch_batches(epoch):
        device_loader.set_epoch(epoch)
        yield from device_loader

    return dataset, epoch_batches, "loader: augkit.data.AugmentedDataset -> DataLoader -> DeviceLoader"


def _check(args: argparse.Namespace) -> str | None:
    for name in ("epochs", "batch_size", "repeat", "n"):
        if getattr(args, name) < 1:
            return f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}"
    if args.workers < 0:
        return f"--workers must be >= 0, got {args.workers}"
    return None


def run(args: argparse.Namespace) -> int:
    """Run the demo; return the exit status."""
    import torch

    from augkit.config import save_config
    from augkit.io import decode
    from augkit.presets import resnet_train
    from augkit.preview import render_grid, save_png
    from augkit.samples import sample_paths

    problem = _check(args)
    if problem:
        print(f"augkit demo: error: {problem}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = sample_paths()
    print(f"augkit demo: {len(paths)} sample photos from {paths[0].parent}")

    stats, message = _compute_stats(paths, out_dir)
    print(message)
    pipeline = resnet_train(stats)
    sample, batch = pipeline
    print("pipeline: augkit.presets.resnet_train(stats) (normalized with the samples' stats)")
    pipeline_file = out_dir / "pipeline.yaml"
    save_config(pipeline, pipeline_file)  # atomic

    items = [(str(p), k) for _ in range(args.repeat) for k, p in enumerate(paths)]
    dataset, epoch_batches, message = _loader(items, sample, batch, args, device)
    print(message)
    rates: list[float] = []
    shape: tuple = ((), None)
    for epoch in range(args.epochs):
        dataset.set_epoch(epoch)
        count, tick = 0, time.perf_counter()
        for images, _targets in epoch_batches(epoch):
            count += int(images.shape[0])
            shape = (tuple(images.shape), images.dtype)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        rates.append(count / (time.perf_counter() - tick))
    per_epoch = ", ".join(f"{r:.0f}" for r in rates)
    print(
        f"throughput: {statistics.median(rates):.0f} images/s median over {args.epochs} epochs ({per_epoch});"
        f" {len(items)} images/epoch, batch {args.batch_size}, {args.workers} workers, device {device};"
        f" last batch {shape[0]} {shape[1]}"
    )

    shown = [decode(p) for p in paths[:3]]
    grid, layout = render_grid(
        shown,
        pipeline,
        n=args.n,
        seed=args.seed,
        size=224,
        labels=[p.name for p in paths[:3]],
        title=f"augkit demo \u00b7 ResNet training pipeline \u00b7 seed {args.seed}",
    )
    try:
        preview = save_png(grid, out_dir / "preview.png")
    except (FileExistsError, IsADirectoryError) as error:
        print(f"augkit demo: error: {error}", file=sys.stderr)
        return 2
    print(f"files: {out_dir}/ (stats.json, {pipeline_file.name}, {preview.name})")
    print(f"  preview grid {layout.size[0]}x{layout.size[1]}: {preview}")
    print(f"done in {time.perf_counter() - started:.1f} s")
    return 0
