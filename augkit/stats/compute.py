"""``compute``: statistics of a folder, a list of paths or a dataset, in parallel.

The images are cut into chunks of ``batch_size``. A chunk is decoded and accumulated exactly
by one process (the main one, or a ``DataLoader`` worker), which sends back only its partial
``Stats`` (a few numbers and the mean image), never the images. The partials are merged in
chunk order, so the result does not depend on the number of workers.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable

import numpy as np
import torch

from augkit._validate import check_int, check_size
from augkit.io import decode, list_images
from augkit.stats.core import Accumulator, Stats


def compute(
    source,
    *,
    mean_image_size=None,
    workers: int = 0,
    batch_size: int = 32,
    progress: bool = True,
    distributed: bool = False,
) -> Stats:
    """Compute the exact statistics of a set of images.

    Args:
        source: A folder (searched recursively; files without an image suffix are skipped,
            counted and reported with a warning), a list of paths, or a dataset (anything with
            ``__len__`` and ``__getitem__``) whose items are an image or ``(image, target)``;
            images are decoded with ``augkit.decode`` (CHW uint8 tensors are accepted too).
        mean_image_size: If given (int or ``(height, width)``), also compute the mean image,
            each image resized to this size first.
        workers: Number of ``DataLoader`` worker processes; 0 works in this process.
        batch_size: Images per chunk (the unit of work of a worker).
        progress: Show a tqdm progress bar with images/s.
        distributed: Split the chunks among the ``torch.distributed`` ranks and combine the
            results with ``Stats.all_reduce``; every rank returns the global statistics.

    Returns:
        The ``Stats`` in [0, 1] units.

    Raises:
        ValueError: No images to compute statistics of.
        augkit.ImageDecodeError: An image could not be decoded (names the path).

    Example:
        >>> import numpy as np
        >>> compute([np.full((4, 4, 3), 51, np.uint8)], progress=False).mean.tolist()
        [0.2, 0.2, 0.2]
    """
    workers = check_int("workers", workers, 0)
    batch_size = check_int("batch_size", batch_size, 1)
    size = None if mean_image_size is None else check_size("mean_image_size", mean_image_size)
    items, where = _items(source)
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
    stats = _run_chunks(items, chunks, size, workers, progress and rank == 0)
    if distributed:
        stats = stats.all_reduce()
        if stats.num_images == 0:
            raise ValueError(f"no images to compute statistics of in {where}")
    return stats


def _items(source):
    """Return ``(indexable items, description)`` for the supported kinds of source."""
    if isinstance(source, (str, os.PathLike)):
        images, skipped = list_images(source)
        if skipped:
            examples = ", ".join(str(p) for p in skipped[:3]) + (", ..." if len(skipped) > 3 else "")
            warnings.warn(f"skipped {len(skipped)} non-image file(s) in {source}: {examples}", stacklevel=3)
        return images, f"folder {os.fspath(source)}" + (f" (skipped {len(skipped)} non-image files)" if skipped else "")
    if isinstance(source, (list, tuple)):
        return source, "the list given"
    if hasattr(source, "__len__") and hasattr(source, "__getitem__"):
        return source, f"dataset {type(source).__name__}"
    raise TypeError(f"source must be a folder, a list of paths or a dataset, got {type(source).__name__}")


def _run_chunks(items, chunks, size, workers: int, progress: bool) -> Stats:
    from tqdm.auto import tqdm

    total = sum(end - start for start, end in chunks)
    task = _ChunkTask(items, chunks, size)
    partials: Iterable[Stats]
    if workers == 0:
        partials = (task[i] for i in range(len(task)))
    else:
        loader = torch.utils.data.DataLoader(task, batch_size=None, shuffle=False, num_workers=workers, worker_init_fn=_init_worker)
        partials = iter(loader)
    result = Stats()
    with tqdm(total=total, unit="img", desc="augkit stats", disable=not progress, dynamic_ncols=True) as bar:
        for part in partials:
            result = result.merge(part)
            bar.update(part.num_images)
    return result


class _ChunkTask(torch.utils.data.Dataset):
    """Item ``k`` is the partial ``Stats`` of chunk ``k`` (so workers return only statistics)."""

    def __init__(self, items, chunks, size) -> None:
        self.items, self.chunks, self.size = items, chunks, size

    def __len__(self) -> int:
        return len(self.chunks)

    def __getitem__(self, k: int) -> Stats:
        start, end = self.chunks[k]
        accumulator = Accumulator(self.size)
        for i in range(start, end):
            accumulator.add(_load(self.items[i]))
        return accumulator.to_stats()


def _load(item) -> np.ndarray:
    if isinstance(item, tuple) and len(item) == 2:
        item = item[0]
    if isinstance(item, torch.Tensor):
        if item.ndim != 3 or item.dtype != torch.uint8:
            raise TypeError(f"tensor images must be CHW uint8, got shape {tuple(item.shape)} {item.dtype}")
        return np.ascontiguousarray(item.permute(1, 2, 0).numpy())
    return decode(item)


def _init_worker(_worker_id: int) -> None:
    torch.set_num_threads(1)
    try:
        import cv2

        cv2.setNumThreads(0)
    except ImportError:  # pragma: no cover
        pass
