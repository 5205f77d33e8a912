"""WebDataset shards feeding ``AugmentedIterable``: a resumable pipeline and an epoch-aware shuffle.

Plain WebDataset works as it is (the augmentation is keyed by ``__key__``, so it does not
depend on the order)::

    import webdataset as wds
    source = wds.WebDataset(urls, shardshuffle=100, nodesplitter=wds.split_by_node).shuffle(1000)
    stream = augkit.data.AugmentedIterable(source, pipeline.sample)

``shards(urls)`` builds the same kind of pipeline with a *reproducible* order: shards and
samples are shuffled by ``EpochShuffle`` stages seeded from ``(seed, epoch)``, which
``AugmentedIterable`` advances each epoch. A reproducible order is what makes a streamed
epoch resumable batch for batch (``DeviceLoader.state_dict``). Needs the ``webdataset``
package (``pip install augkit[webdataset]``); ``EpochShuffle`` alone does not.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import Any

from torch.utils.data import get_worker_info

from augkit._validate import check_int
from augkit.rng import derive_generator
from augkit.shards import expand_urls


def _rank() -> int:
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank()
    return int(os.environ.get("RANK", 0))


class EpochShuffle:
    """A WebDataset pipeline stage: shuffle through a buffer, reproducibly per epoch.

    The order is drawn from ``derive_generator(seed, epoch, ...)``: with ``per_worker=True``
    (samples) the stream of each rank and DataLoader worker gets its own generator; with
    ``per_worker=False`` (a shard list, before it is split) every process draws the same
    order. ``set_epoch`` (called by ``AugmentedIterable``) moves to the next order.

    Args:
        bufsize: Buffer size, >= 1 (1 keeps the order).
        seed: The order's seed, an int >= 0.
        initial: Items buffered before the first one is let out (default ``bufsize``).
        per_worker: See above.

    Example:
        >>> stage = EpochShuffle(10, seed=0, per_worker=False)
        >>> a = list(stage(iter(range(5))))
        >>> stage.set_epoch(1)
        >>> sorted(a) == sorted(stage(iter(range(5)))) == list(range(5)), a == list(stage(iter(range(5))))
        (True, False)
    """

    def __init__(self, bufsize: int, seed: int = 0, initial: int | None = None, per_worker: bool = True) -> None:
        self.bufsize = check_int("bufsize", bufsize, 1)
        self.seed = check_int("seed", seed, 0)
        self.initial = self.bufsize if initial is None else check_int("initial", initial, 1, self.bufsize)
        self.per_worker = bool(per_worker)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Use the order of ``epoch`` from the next pass on."""
        self.epoch = check_int("epoch", epoch, 0)

    def __repr__(self) -> str:
        return f"EpochShuffle(bufsize={self.bufsize}, seed={self.seed}, per_worker={self.per_worker})"

    def _generator(self):
        if not self.per_worker:
            return derive_generator(self.seed, self.epoch, "augkit/shards")
        info = get_worker_info()
        worker = 0 if info is None else info.id
        return derive_generator(self.seed, self.epoch, f"augkit/samples/{_rank()}/{worker}")

    def __call__(self, source: Iterable[Any]) -> Iterator[Any]:
        rng = self._generator()
        buffer: list[Any] = []
        for item in source:
            buffer.append(item)
            if len(buffer) >= self.initial:
                yield _pick(buffer, rng)
        while buffer:
            yield _pick(buffer, rng)


def _pick(buffer: list, rng) -> Any:
    index = int(rng.integers(len(buffer)))
    buffer[index], buffer[-1] = buffer[-1], buffer[index]
    return buffer.pop()


def shards(urls, *, seed: int = 0, shuffle: int = 1000, shuffle_shards: bool = True, handler=None):
    """A WebDataset pipeline over shards with a reproducible, epoch-dependent order.

    Stages: the shard list (brace patterns expanded), ``EpochShuffle`` of the shards (the
    same order on every rank), ``split_by_node``, ``split_by_worker``, the tar reader, and
    ``EpochShuffle(shuffle)`` of the samples. Give it to ``AugmentedIterable``, which sets
    the epoch on the shuffles.

    Args:
        urls: Shard URLs or local paths, a brace pattern, or a list.
        seed: The seed of both shuffles.
        shuffle: Sample shuffle buffer (0: no sample shuffle).
        shuffle_shards: Shuffle the shard order each epoch.
        handler: WebDataset's error handler for unreadable shards (default: raise).

    Returns:
        A ``webdataset.DataPipeline`` yielding WebDataset sample dicts.
    """
    import webdataset as wds

    names = expand_urls(urls)
    stages: list[Any] = [wds.SimpleShardList(names)]
    if shuffle_shards:
        stages.append(EpochShuffle(max(len(names), 1), seed=seed, per_worker=False))
    stages += [wds.split_by_node, wds.split_by_worker]
    stages.append(wds.tarfile_to_samples() if handler is None else wds.tarfile_to_samples(handler=handler))
    if shuffle:
        stages.append(EpochShuffle(shuffle, seed=seed, initial=min(shuffle, 100)))
    return wds.DataPipeline(*stages)
