"""``EpochSampler``: a sampler that advances the epoch of the datasets it feeds by itself.

A plain ``DataLoader`` never tells its dataset that a new epoch began, so an
``AugmentedDataset`` would repeat every augmentation each pass. ``DataLoader`` calls
``iter(sampler)`` in the main process at the start of every pass (persistent workers too),
which is where this sampler moves the epoch on.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
from torch.utils.data import Sampler

from augkit._validate import check_int
from augkit.data.datasets import augmented_datasets
from augkit.rng import derive_generator


class EpochSampler(Sampler[int]):
    """Indices of a dataset, shuffled per epoch, advancing the epoch on each pass.

    Each ``iter()`` starts a new epoch (0, 1, 2, ...) unless ``set_epoch`` was called since
    the previous one began, and passes it to every ``augkit.data.AugmentedDataset`` under
    ``dataset`` (through ``Subset`` / ``ConcatDataset`` chains). The order is a pure function
    of ``(seed, epoch)``. With ``num_replicas`` and ``rank`` it splits the indices among
    ``torch.distributed`` ranks as ``DistributedSampler`` does (padding by repeating, or
    dropping the tail with ``drop_last``). ``start_at(k)`` makes the next pass begin at its
    ``k``-th index: ``DeviceLoader.load_state_dict`` resumes a pass that way, without reading
    the batches already used.

    Args:
        dataset: The dataset the loader reads (an ``AugmentedDataset`` or a wrapper of one).
        shuffle: Shuffle the indices each epoch.
        seed: The seed of the order, an int >= 0, or None to use the dataset's seed (as it
            is when each pass begins: a ``DeviceLoader`` gives the dataset its own).
        num_replicas: Number of distributed ranks (default 1).
        rank: This process's rank (default 0).
        drop_last: Drop the tail that does not divide among the ranks instead of padding.

    Example:
        >>> import numpy as np
        >>> from augkit.data import AugmentedDataset
        >>> data = AugmentedDataset([np.zeros((4, 4, 3), np.uint8)] * 3, None, seed=0)
        >>> sampler = EpochSampler(data, shuffle=False)
        >>> [list(sampler) for _ in range(2)], data.epoch
        ([[0, 1, 2], [0, 1, 2]], 1)
    """

    def __init__(
        self, dataset, shuffle: bool = True, seed: int | None = None, num_replicas: int = 1, rank: int = 0, drop_last: bool = False
    ) -> None:
        self.dataset = dataset
        self.shuffle = bool(shuffle)
        self.num_replicas = check_int("num_replicas", num_replicas, 1)
        self.rank = check_int("rank", rank, 0, self.num_replicas - 1)
        self.drop_last = bool(drop_last)
        self._targets = augmented_datasets(dataset)
        self._seed = None if seed is None else check_int("seed", seed, 0)
        self.epoch = 0
        self._iterations = 0
        self._pinned = False
        self._start = 0
        length = len(dataset)
        if self.drop_last:
            self.num_samples = length // self.num_replicas
        else:
            self.num_samples = math.ceil(length / self.num_replicas)

    def __len__(self) -> int:
        return self.num_samples

    @property
    def seed(self) -> int:
        """The order's seed: the one given, else the dataset's (read at each pass, so a ``DeviceLoader``'s seed counts)."""
        if self._seed is not None:
            return self._seed
        return self._targets[0].seed if self._targets else 0

    def set_epoch(self, epoch: int) -> None:
        """Pin the epoch of the next pass (and set it on the datasets now).

        Args:
            epoch: An int >= 0.
        """
        self._apply(check_int("epoch", epoch, 0))
        self._pinned = True

    def start_at(self, position: int) -> None:
        """Make the next pass begin at ``position`` of its order (resuming a pass that stopped there).

        Args:
            position: How many of this rank's indices of the pass were already used, >= 0.
        """
        self._start = check_int("position", position, 0)

    def state_dict(self) -> dict:
        """The epoch and the start of the next pass, as plain data."""
        return {"epoch": self.epoch, "start": self._start}

    def load_state_dict(self, state: dict) -> None:
        """Pin the epoch and the start position saved by ``state_dict``."""
        self.set_epoch(state["epoch"])
        self.start_at(state.get("start", 0))

    def _apply(self, epoch: int) -> None:
        self.epoch = epoch
        for dataset in self._targets:
            dataset.set_epoch(epoch)

    def __iter__(self) -> Iterator[int]:
        if self._iterations and not self._pinned:
            self._apply(self.epoch + 1)
        elif not self._iterations and not self._pinned:
            self._apply(self.epoch)
        self._pinned = False
        self._iterations += 1
        length = len(self.dataset)
        order = derive_generator(self.seed, self.epoch, 0, stream=3).permutation(length) if self.shuffle else np.arange(length)
        total = self.num_samples * self.num_replicas
        if self.drop_last:
            order = order[:total]
        elif total > length:
            order = np.concatenate([order, np.resize(order, total - length)])
        start, self._start = self._start, 0
        return iter(order[self.rank : total : self.num_replicas][start:].tolist())
