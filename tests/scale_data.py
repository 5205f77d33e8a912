"""Small image folders and their packed shards, shared by the streaming tests and their subprocesses."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image

from augkit import Compose, HorizontalFlip, RandomResizedCrop, ToTensor
from augkit.cli import main

CLASSES = ("cat", "dog")
PER_CLASS = 7


def make_folder(root: Path, per_class: int = PER_CLASS, size: int = 24) -> Path:
    """``root/<class>/im.<i>.<jpg|png>`` images of random pixels (dots in names, as real datasets have)."""
    rng = np.random.default_rng(0)
    for c in CLASSES:
        (root / c).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            pixels = rng.integers(0, 256, (size + i, size + 3, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(root / c / f"im.{i}.{'png' if i % 3 == 2 else 'jpg'}", quality=90)
    return root


def pack(folder: Path, out: Path, *options: str) -> list[str]:
    """Pack ``folder`` into small shards; return the shard paths."""
    assert main(["pack", str(folder), str(out), "--shard-size", "12kB", "--no-progress", *options]) == 0
    return sorted(str(p) for p in out.glob("*.tar"))


def pipeline():
    return Compose([RandomResizedCrop(12), HorizontalFlip(), ToTensor()])


def as_dict(batches) -> dict:
    """key -> (image, label) over collated batches; a key seen twice fails."""
    found = {}
    for batch in batches:
        for image, label, key in zip(batch.images, batch.labels, batch.keys):
            assert key not in found, f"sample {key} seen twice"
            found[key] = (image.clone(), int(label))
    return found


def env() -> dict:
    here = Path(__file__).resolve().parent.parent
    return {**os.environ, "PYTHONPATH": f"{here}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}


def build_loader(mode: str, data: str, num_workers: int = 0):
    """The DeviceLoader a resume test interrupts (``mode`` "map": folder + EpochSampler; "stream": shards)."""
    import glob

    from torch.utils.data import DataLoader

    from augkit import ColorJitter, Normalize
    from augkit.data import AugmentedDataset, AugmentedIterable, DeviceLoader, EpochSampler, ImageFolder, Uint8Collate
    from augkit.data.webdataset import shards

    batch_stage = [ColorJitter(0.3, 0.3, 0.3), Normalize(mean=(0.5,) * 3)]
    if mode == "map":
        dataset = AugmentedDataset(ImageFolder(data), pipeline())
        loader = DataLoader(dataset, batch_size=3, sampler=EpochSampler(dataset), num_workers=num_workers, collate_fn=Uint8Collate())
    else:
        source = shards(sorted(glob.glob(os.path.join(data, "*.tar"))), shuffle=4, seed=1)
        loader = DataLoader(AugmentedIterable(source, pipeline()), batch_size=2, num_workers=num_workers, collate_fn=Uint8Collate())
    return DeviceLoader(loader, "cpu", batch_stage, seed=5)


def run_epochs(loader, until_epoch: int, stop_after: int | None = None) -> list:
    """``(images, keys)`` of every batch until ``until_epoch`` ends (or after ``stop_after`` batches)."""
    out = []
    while loader.state_dict()["epoch"] < until_epoch:
        for batch in loader:
            keys = batch.keys.tolist() if hasattr(batch.keys, "tolist") else list(batch.keys)
            out.append((batch.images.clone(), keys))
            if stop_after is not None and len(out) == stop_after:
                return out
    return out
