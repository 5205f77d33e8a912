"""``compute``: statistics of a folder, a list of paths or a dataset, in parallel.

The images are cut into chunks of ``batch_size``. A chunk is decoded and accumulated exactly
by one process (the main one, or a ``DataLoader`` worker), which sends back only its partial
``Stats`` (a few numbers and the mean image), never the images. The partials are merged in
chunk order, so the result does not depend on the number of workers. Workers never outlive
the process that started them (``augkit._process``).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from augkit._process import init_worker
from augkit._validate import check_int, check_size
from augkit.errors import ImageDecodeError
from augkit.io import MAX_PIXELS, check_max_pixels, decode, list_images
from augkit.shards import TarShards, expand_urls
from augkit.stats.core import Accumulator, Stats

ON_ERROR_CHOICES = ("raise", "skip")


class SkippedImagesWarning(UserWarning):
    """Undecodable images were skipped by ``compute(..., on_error="skip")``.

    Attributes:
        skipped: ``(source, reason)`` of every skipped image, in order.
    """

    def __init__(self, message: str, skipped: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(message)
        self.skipped = list(skipped)


def compute(
    source: str | os.PathLike | Sequence[Any] | torch.utils.data.Dataset,
    *,
    mean_image_size: int | tuple[int, int] | None = None,
    workers: int = 0,
    batch_size: int = 32,
    progress: bool = True,
    distributed: bool = False,
    max_pixels: int = MAX_PIXELS,
    on_error: str = "raise",
    strict: bool = False,
) -> Stats:
    """Compute the exact statistics of a set of images.

    Args:
        source: A folder (searched recursively with ``augkit.io.list_images``; files
            without an image suffix are skipped, counted and reported with a warning), a list
            of paths, WebDataset tar shards (a local ``.tar`` path, a brace pattern such as
            ``shards/shard-{000000..000009}.tar``, a glob, or a list of them; samples are
            taken in key order, so any sharding of a dataset gives the same result), or a dataset (anything with ``__len__`` and ``__getitem__``) whose items
            are an image or ``(image, target)``; images are decoded with ``augkit.decode``
            (CHW uint8 tensors are accepted too).
        mean_image_size: If given (int or ``(height, width)``), also compute the mean image,
            each image resized to this size first.
        workers: Number of ``DataLoader`` worker processes; 0 works in this process.
        batch_size: Images per chunk (the unit of work of a worker).
        progress: Show a tqdm progress bar with images/s.
        distributed: Split the chunks among the ``torch.distributed`` ranks and combine the
            results with ``Stats.all_reduce``; every rank returns the global statistics.
        max_pixels: Refuse (with ``ImageDecodeError``) images declaring more pixels than this.
        on_error: ``"raise"`` stops at the first image that cannot be decoded;
            ``"skip"`` leaves it out and goes on, then issues one ``SkippedImagesWarning``
            counting the skipped images and naming them (its ``skipped`` attribute lists
            every one with the reason).
        strict: For a folder: raise when a sub-folder cannot be read (default: skip it
            with a warning).

    Returns:
        The ``Stats`` in [0, 1] units.

    Raises:
        ValueError: No images to compute statistics of (or none could be decoded).
        augkit.ImageDecodeError: An image could not be decoded (names the path), with
            ``on_error="raise"``.

    Example:
        >>> import numpy as np
        >>> compute([np.full((4, 4, 3), 51, np.uint8)], progress=False).mean.tolist()
        [0.2, 0.2, 0.2]
    """
    workers = check_int("workers", workers, 0)
    batch_size = check_int("batch_size", batch_size, 1)
    max_pixels = check_max_pixels(max_pixels)
    if on_error not in ON_ERROR_CHOICES:
        raise ValueError(f"on_error must be one of {ON_ERROR_CHOICES}, got {on_error!r}")
    size = None if mean_image_size is None else check_size("mean_image_size", mean_image_size)
    items, where = _items(source, strict)
    chunks = [(start, min(start + batch_size, len(items))) for start in range(0, len(items), batch_size)]
    rank = 0
    if distributed:
        import torch.distributed as dist

        if not (dist.is_available() and dist.is_initialized()):
            raise RuntimeError("compute(distributed=True) needs torch.distributed to be initialized")
        rank, world = dist.get_rank(), dist.get_world_size()
        chunks = chunks[rank::world]
    elif not items:
        raise ValueError(f"no images to compute statistics of in {where}")
    stats, failed = _run_chunks(_ChunkTask(items, chunks, size, on_error == "skip", max_pixels), workers, progress and rank == 0)
    if distributed:
        stats = stats.all_reduce()
    if failed:
        _warn_skipped(failed)
    if stats.num_images == 0:
        skipped = f" ({len(failed)} could not be decoded)" if failed else ""
        raise ValueError(f"no images to compute statistics of in {where}{skipped}")
    return stats


def _shard_names(source) -> list[str] | None:
    """The tar shards ``source`` names (a ``.tar`` path, a brace pattern or glob of them, or a list), or None."""
    if isinstance(source, (str, os.PathLike)):
        if os.path.isdir(source):
            return None
        names = expand_urls(source)
    elif isinstance(source, (list, tuple)) and source and all(isinstance(s, (str, os.PathLike)) for s in source):
        names = expand_urls(list(source))
    else:
        return None
    return names if names and all(n.endswith(".tar") for n in names) else None


def _items(source, strict: bool):
    """Return ``(indexable items, description)`` for the supported kinds of source."""
    shards = _shard_names(source)
    if shards is not None:
        # Sorted by key: the same images in the same order (so the same sums) however they were sharded.
        return TarShards(shards, sort=True), f"{len(shards)} tar shards"
    if isinstance(source, (str, os.PathLike)):
        images, skipped = list_images(source, strict=strict)
        if skipped:
            examples = ", ".join(str(p) for p in skipped[:3]) + (", ..." if len(skipped) > 3 else "")
            warnings.warn(f"skipped {len(skipped)} non-image file(s) in {source}: {examples}", stacklevel=3)
        return images, f"folder {os.fspath(source)}" + (f" (skipped {len(skipped)} non-image files)" if skipped else "")
    if isinstance(source, (list, tuple)):
        return source, "the list given"
    if hasattr(source, "__len__") and hasattr(source, "__getitem__"):
        return source, f"dataset {type(source).__name__}"
    raise TypeError(f"source must be a folder, a list of paths or a dataset, got {type(source).__name__}")


def _warn_skipped(failed: list[tuple[str, str]]) -> None:
    named = ", ".join(source for source, _ in failed[:5]) + (", ..." if len(failed) > 5 else "")
    message = f"skipped {len(failed)} image(s) that could not be decoded: {named}"
    warnings.warn(SkippedImagesWarning(message, failed), stacklevel=3)


def _run_chunks(task: _ChunkTask, workers: int, progress: bool) -> tuple[Stats, list[tuple[str, str]]]:
    from tqdm.auto import tqdm

    total = sum(end - start for start, end in task.chunks)
    partials: Iterator[_Partial]
    if workers == 0:
        partials = (task[i] for i in range(len(task)))
    else:
        loader = torch.utils.data.DataLoader(task, batch_size=None, shuffle=False, num_workers=workers, worker_init_fn=init_worker)
        partials = iter(loader)  # batch_size=None: items as they are
    result, failed = Stats(), list[tuple[str, str]]()
    try:
        with tqdm(total=total, unit="img", desc="augkit stats", disable=not progress, dynamic_ncols=True) as bar:
            for part in partials:
                result = result.merge(part.stats)
                failed += part.failed
                bar.update(part.stats.num_images + len(part.failed))
    finally:
        # On an error or an interruption (Ctrl-C, SIGTERM in the augkit command), dropping the
        # last reference to the loader's iterator shuts its workers down now.
        del partials
    return result, failed


@dataclass
class _Partial:
    """What a chunk sends back: its statistics and the images it skipped."""

    stats: Stats
    failed: list[tuple[str, str]] = field(default_factory=list)


class _ChunkTask(torch.utils.data.Dataset):
    """Item ``k`` is the partial ``Stats`` of chunk ``k`` (so workers return only statistics)."""

    def __init__(self, items, chunks: list[tuple[int, int]], size, skip: bool, max_pixels: int = MAX_PIXELS) -> None:
        self.items, self.chunks, self.size, self.skip, self.max_pixels = items, chunks, size, skip, max_pixels

    def __len__(self) -> int:
        return len(self.chunks)

    def __getitem__(self, k: int) -> _Partial:
        start, end = self.chunks[k]
        accumulator = Accumulator(self.size)
        failed = []
        for i in range(start, end):
            try:
                image = _load(self.items[i], self.max_pixels)
            except ImageDecodeError as error:
                if not self.skip:
                    raise
                failed.append((_describe(self.items[i], i), error.reason or str(error)))
                continue
            accumulator.add(image)
        return _Partial(accumulator.to_stats(), failed)


def _describe(item, index: int) -> str:
    if isinstance(item, tuple) and len(item) == 2:
        item = item[0]
    return os.fspath(item) if isinstance(item, (str, os.PathLike)) else f"item {index}"


def _load(item, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    if isinstance(item, tuple) and len(item) == 2:
        item = item[0]
    if isinstance(item, torch.Tensor):
        if item.ndim != 3 or item.dtype != torch.uint8:
            raise TypeError(f"tensor images must be CHW uint8, got shape {tuple(item.shape)} {item.dtype}")
        return np.ascontiguousarray(item.permute(1, 2, 0).numpy())
    return decode(item, max_pixels=max_pixels)
