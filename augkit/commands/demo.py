"""``augkit demo``: the README's main job on the bundled sample photos."""

from __future__ import annotations

import argparse
import time

import torch

from augkit import constants
from augkit.io import decode
from augkit.rng import derive_generator
from augkit.samples import sample_paths
from augkit.transforms import Compose, HorizontalFlip, Normalize, RandomCrop, RandomScale, ToTensor


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the demo's options."""
    parser.add_argument("--epochs", type=int, default=3, help="passes over the samples (default 3)")
    parser.add_argument("--seed", type=int, default=0, help="experiment seed (default 0)")


def run(args: argparse.Namespace) -> int:
    """Decode the samples, run the ResNet training recipe over them, report throughput."""
    paths = sample_paths()
    images = [decode(p) for p in paths]
    pipeline = Compose([RandomScale(256, 480), RandomCrop(224), HorizontalFlip(), ToTensor()])
    normalize = Normalize(constants.IMAGENET_MEAN, constants.IMAGENET_STD)
    start = time.perf_counter()
    count = 0
    for epoch in range(args.epochs):
        batch = [pipeline(img, rng=derive_generator(args.seed, epoch, i)) for i, img in enumerate(images)]
        out = normalize(torch.stack(batch))
        count += len(batch)
    elapsed = time.perf_counter() - start
    print(f"augkit demo: {len(paths)} sample images, {args.epochs} epochs, batch {tuple(out.shape)} {out.dtype}")
    print(f"  {count / elapsed:.0f} images/s (sample stage + normalize, 1 process)")
    return 0
