"""Samplers that advance the epoch of the datasets they feed by themselves.

``EpochSampler`` yields each index once per epoch; ``RepeatedAugmentationSampler`` yields each
index several times (repeated augmentation), as ``(index, repeat)`` keys.

A plain ``DataLoader`` never tells its dataset that a new epoch began, so an
``AugmentedDataset`` would repeat every augmentation each pass. ``DataLoader`` calls
``iter(sampler)`` in the main process at the start of every pass (persistent workers too),
which is where these samplers move the epoch on.
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

    def _begin_epoch(self) -> np.ndarray:
        """Move to this pass's epoch (the next one, unless pinned) and return its order of the indices."""
        if not self._pinned:
            self._apply(self.epoch + 1 if self._iterations else self.epoch)
        self._pinned = False
        self._iterations += 1
        length = len(self.dataset)
        if self.shuffle:
            return derive_generator(self.seed, self.epoch, 0, stream=3).permutation(length)
        return np.arange(length)

    def __iter__(self) -> Iterator[int]:
        order = self._begin_epoch()
        length = len(self.dataset)
        total = self.num_samples * self.num_replicas
        if self.drop_last:
            order = order[:total]
        elif total > length:
            order = np.concatenate([order, np.resize(order, total - length)])
        start, self._start = self._start, 0
        return iter(order[self.rank : total : self.num_replicas][start:].tolist())


class RepeatedAugmentationSampler(EpochSampler):
    """Repeated augmentation: each index ``num_repeats`` times per epoch, spread over the ranks.

    DeiT's ``RASampler`` and timm's ``RepeatAugSampler``: the epoch's order (a pure function
    of ``(seed, epoch)``, as ``EpochSampler``'s) is repeated element-wise (``[a, a, a, b, b,
    b, ...]``), padded by repeating its start to divide among the ranks, and dealt to the ranks
    in turn (so with as many ranks as repeats, each rank gets one copy of each index in a
    batch); each rank then keeps its first ``len(self)`` indices (timm's ``num_selected``:
    about ``len(dataset) / num_replicas``, rounded down to a multiple of ``selected_round``
    first), so an epoch costs what an epoch without repeats costs.

    Each copy is yielded as ``(index, repeat)``, ``repeat`` counting the copies of that index
    in the epoch (0, 1, ...). ``augkit.data.AugmentedDataset`` takes these pairs: the repeats
    of one image get different augmentations (and different batch-stage draws), all still a
    pure function of ``(seed, epoch, index, repeat)``. Give it that dataset (or another
    dataset whose ``__getitem__`` takes the pairs), not a ``Subset`` of it.

    Args:
        dataset: The dataset the loader reads (an ``AugmentedDataset``).
        num_repeats: Copies of each index, > 0; a float repeats fractionally, as timm.
        shuffle: Shuffle the indices each epoch.
        seed: The seed of the order, or None for the dataset's (see ``EpochSampler``).
        num_replicas: Number of distributed ranks.
        rank: This process's rank.
        selected_round: Round the dataset size down to a multiple of this before dividing
            by ``selected_ratio`` (timm's and DeiT's 256); 0: no rounding.
        selected_ratio: The divisor of the indices kept per rank; 0: ``num_replicas``.

    Raises:
        ValueError: An argument out of range, or a dataset so small that ``selected_round``
            leaves no index (pass ``selected_round=0``).

    Example:
        >>> import numpy as np
        >>> from augkit.data import AugmentedDataset
        >>> data = AugmentedDataset([np.zeros((4, 4, 3), np.uint8)] * 4, None, seed=0)
        >>> list(RepeatedAugmentationSampler(data, num_repeats=2, shuffle=False, selected_round=0))
        [(0, 0), (0, 1), (1, 0), (1, 1)]
    """

    def __init__(
        self,
        dataset,
        num_repeats: float = 3,
        shuffle: bool = True,
        seed: int | None = None,
        num_replicas: int = 1,
        rank: int = 0,
        selected_round: int = 256,
        selected_ratio: float = 0.0,
    ) -> None:
        super().__init__(dataset, shuffle=shuffle, seed=seed, num_replicas=num_replicas, rank=rank)
        if isinstance(num_repeats, bool) or not isinstance(num_repeats, (int, float)) or not 0 < num_repeats < 2**31:
            raise ValueError(f"num_repeats must be a number > 0, got {num_repeats!r}")
        self.num_repeats = num_repeats
        self.selected_round = check_int("selected_round", selected_round, 0)
        if isinstance(selected_ratio, bool) or not isinstance(selected_ratio, (int, float)) or selected_ratio < 0:
            raise ValueError(f"selected_ratio must be a number >= 0 (0: num_replicas), got {selected_ratio!r}")
        self.selected_ratio = float(selected_ratio)
        length = len(dataset)
        self.num_samples = math.ceil(length * num_repeats / self.num_replicas)
        ratio = self.selected_ratio or self.num_replicas
        if self.selected_round:
            self.num_selected = int(math.floor(length // self.selected_round * self.selected_round / ratio))
        else:
            self.num_selected = int(math.ceil(length / ratio))
        self.num_selected = min(self.num_selected, self.num_samples)
        if length and not self.num_selected:
            raise ValueError(
                f"RepeatedAugmentationSampler keeps no index of a dataset of {length} items: selected_round={self.selected_round}"
                f" rounds its size down to 0; pass selected_round=0 (or a smaller value)"
            )

    def __len__(self) -> int:
        return self.num_selected

    def _repeated(self, order: np.ndarray) -> np.ndarray:
        """The order with each index repeated (timm's ``repeat_interleave``, or its fractional resampling)."""
        repeats = self.num_repeats
        if isinstance(repeats, float) and not repeats.is_integer():
            size = math.ceil(repeats * len(order))
            return order[np.floor(np.arange(size) / repeats).astype(np.int64)]
        return np.repeat(order, int(repeats))

    def __iter__(self) -> Iterator[tuple[int, int]]:  # type: ignore[override]  # (index, repeat) pairs
        order = self._begin_epoch()
        indices = self._repeated(order)
        total = self.num_samples * self.num_replicas
        if total > len(indices) and len(indices):
            indices = np.concatenate([indices, np.resize(indices, total - len(indices))])
        repeats = _occurrences(indices)
        mine = slice(self.rank, total, self.num_replicas)
        start, self._start = self._start, 0
        kept = zip(indices[mine][: self.num_selected][start:].tolist(), repeats[mine][: self.num_selected][start:].tolist())
        return iter(list(kept))


def _occurrences(values: np.ndarray) -> np.ndarray:
    """For each position, how many times its value occurred before it (0 for the first)."""
    if values.size == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.argsort(values, kind="stable")
    ranked = values[order]
    starts = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])
    first = np.repeat(starts, np.diff(np.r_[starts, values.size]))
    counts = np.empty(values.size, dtype=np.int64)
    counts[order] = np.arange(values.size) - first
    return counts
