"""``DeviceLoader``: move uint8 batches to the device and run the batch stage there.

On CUDA each batch is copied with ``non_blocking=True`` on a side stream while the previous
batch is being used (prefetch), then the batch-stage transforms run on the current stream.
Correct by construction:

* the current stream waits for the side stream before touching a batch (``wait_stream``);
* device tensors made on the side stream are marked as used by the current stream
  (``record_stream``), so the caching allocator does not hand their memory to the next copy
  while kernels may still read them;
* the host batch is kept referenced until its copy's CUDA event has completed, so a
  reusing collate (``Uint8Collate``) never overwrites memory that is still being copied.

On the CPU there are no CUDA calls at all: batches pass through and the transforms run.
"""

from __future__ import annotations

import warnings
from collections import deque
from collections.abc import Iterator, Sequence

import numpy as np
import torch

from augkit._validate import check_int
from augkit.data._buffers import BufferPool, hwc_to_chw
from augkit.data.datasets import _BAD, AugmentedDataset, SkippedItemWarning, datasets_under
from augkit.data.iterable import AugmentedIterable
from augkit.data.samplers import EpochSampler
from augkit.pipeline import Pipeline, check_stage
from augkit.rng import SampleStreams
from augkit.targets import Batch, as_batch
from augkit.transforms.base import BATCH_STAGE, Transform
from augkit.transforms.containers import Compose

#: ``state_dict()["format"]``: the layout of a DeviceLoader's resume state.
STATE_FORMAT = "augkit.DeviceLoader"
STATE_VERSION = 1


class DatasetNotReachedWarning(UserWarning):
    """``DeviceLoader`` found no ``AugmentedDataset`` under the loader's dataset to set epochs and seeds on."""


def _check_transforms(transforms) -> tuple[Transform, ...]:
    if transforms is None:
        return ()
    if isinstance(transforms, Pipeline):
        return () if transforms.batch is None else (transforms.batch,)
    if isinstance(transforms, Transform):
        transforms = (transforms,)
    if not isinstance(transforms, Sequence):
        raise TypeError(f"transforms must be a transform or a list of them, got {type(transforms).__name__}")
    for i, t in enumerate(transforms):
        check_stage(t, BATCH_STAGE, f"transforms[{i}]")
    return tuple(transforms)


def _obviously_free(dataset) -> bool:
    """True for datasets that cannot hide an ``AugmentedDataset`` (lists, torch's own classes)."""
    module = type(dataset).__module__ or ""
    return isinstance(dataset, (list, tuple, np.ndarray, torch.Tensor)) or module.startswith(("torch.", "torchvision.", "augkit."))


class DeviceLoader:
    """Wrap a ``DataLoader``: move each batch to ``device`` and apply the batch stage.

    **Epochs.** Each new iteration advances the epoch by one by itself (0, 1, 2, ...), unless
    ``set_epoch`` was called since the previous iteration began, in which case that epoch
    is used. The epoch is passed to the loader's sampler and to every ``AugmentedDataset``
    under the loader's dataset (through ``Subset``, ``random_split`` and ``ConcatDataset``
    chains); when none is found under a dataset of the user's own class, a warning says so
    once (set its epoch yourself, or expose it as ``.dataset``).

    **Seeds.** ``seed`` is the experiment's one seed: it seeds the batch stage and is given
    to every reached ``AugmentedDataset`` built without an explicit seed. Without ``seed``,
    torch's seed at construction is used (``torch.initial_seed()``), so runs whose torch
    seed is set to different values augment differently.

    **Per-sample parameters.** Row ``i`` of every batch-stage parameter is drawn from the
    stream of sample ``i`` (``augkit.rng.SampleStreams(seed, epoch, keys)``), keyed by the
    dataset index that ``AugmentedDataset`` items carry (``Uint8Collate`` collects them), or,
    for batches without keys, by the sample's position in the epoch. So the whole
    augmentation of a sample is the same whatever the batch size, ``num_workers`` or rank.
    Once-per-batch draws (Mixup's pairing) come from ``(seed, epoch, batch index)``; under a
    distributed sampler (``num_replicas`` and ``rank``) the batch index is ``local *
    num_replicas + rank`` and positions are interleaved the same way.

    Batches may be an ``augkit.Batch`` (masks, boxes and keypoints move too), an ``(images,
    targets)`` pair or an image tensor; each comes out in the form it came in.

    Put ``Normalize`` first among the transforms for a fused uint8 -> float conversion.
    For asynchronous copies on CUDA, the host batches must be in pinned memory:
    ``DataLoader(pin_memory=True)`` with workers, or ``Uint8Collate(pin_memory=True)``.

    Args:
        loader: Any iterable of batches with ``len`` (normally a ``DataLoader`` with
            ``collate_fn=Uint8Collate()``).
        device: Where the batch stage runs (``"cuda"``, ``"cuda:1"``, ``"cpu"``...).
        transforms: One batch-stage transform, a sequence (applied in order), or a
            ``Pipeline`` (its ``batch`` stage).
        seed: The experiment's seed, an int >= 0, or None (torch's seed).
        channels_last: Return images in channels-last memory (else contiguous NCHW; the
            layout change is done on uint8 on the device, before the transforms).
        fused: Run the batch stage through ``augkit.fused`` (a few Triton kernels): None uses
            it on CUDA when Triton is installed, True always (on the CPU it runs each
            transform's own code), False never. Batches with masks, boxes or keypoints always
            run unfused.

    Example:
        >>> import torch
        >>> from augkit import Normalize
        >>> batches = [(torch.zeros(2, 3, 4, 4, dtype=torch.uint8), torch.tensor([0, 1]))]
        >>> images, targets = next(iter(DeviceLoader(batches, "cpu", Normalize(mean=(0.5,) * 3), seed=0)))
        >>> images.dtype, images[0, 0, 0, 0].item()
        (torch.float32, -0.5)
    """

    def __init__(
        self, loader, device, transforms=(), *, seed: int | None = None, channels_last: bool = False, fused: bool | None = None
    ) -> None:
        self.loader = loader
        self.device = torch.device(device)
        self.transforms = _check_transforms(transforms)
        self._stage = None if not self.transforms else self.transforms[0] if len(self.transforms) == 1 else Compose(list(self.transforms))
        self.seed = int(torch.initial_seed()) % (2**63) if seed is None else check_int("seed", seed, 0)
        self.channels_last = bool(channels_last)
        self._plan = self._fused_plan(fused)
        self.epoch = 0
        self._iterations = 0
        self._pinned = False
        self._stream: torch.cuda.Stream | None = None
        self._pool = BufferPool(2)  # CPU layout conversion; reused only when unreferenced
        self._datasets = self._reach_datasets()
        for dataset in self._datasets:
            dataset.adopt_seed(self.seed)
        self._skipped_seen = self._num_skipped()
        # Where the pass stands (state_dict), and a loaded state for the next pass.
        self._in_pass = False
        self._batches = 0
        self._samples = 0
        self._tracker: _StreamTracker | None = None
        self._generator_states: list[str] | None = None
        self._resume: dict | None = None

    def _fused_plan(self, fused: bool | None):
        if fused is False or not self.transforms:
            return None
        if fused is None:
            if self.device.type != "cuda":
                return None
            try:
                import triton  # noqa: F401
            except ImportError:
                return None
        from augkit.fused import build_plan

        return build_plan(list(self.transforms))

    def __len__(self) -> int:
        return len(self.loader)

    def __repr__(self) -> str:
        return (
            f"DeviceLoader(device={str(self.device)!r}, transforms={list(self.transforms)!r}, seed={self.seed},"
            f" channels_last={self.channels_last}, epoch={self.epoch})"
        )

    @property
    def sampler(self):
        """The wrapped loader's sampler, or None."""
        return getattr(self.loader, "sampler", None)

    @property
    def datasets(self) -> list:
        """The ``AugmentedDataset`` s and ``AugmentedIterable`` s this loader sets epochs and seeds on."""
        return list(self._datasets)

    def _reach_datasets(self) -> list:
        top = getattr(self.loader, "dataset", None)
        every = datasets_under(top)
        found = [d for d in every if _is_augmented(d)]
        transform = _format_transform(top)
        if transform is not None:
            every.append(transform)
            found.append(transform)
        if top is not None and not found and not all(_obviously_free(d) for d in every):
            warnings.warn(
                f"DeviceLoader found no augkit.data.AugmentedDataset under the loader's dataset ({type(top).__name__}):"
                " if it augments with augkit, its epochs will not advance and its seed is not this loader's;"
                " expose it as .dataset (or .datasets), or call its set_epoch yourself",
                DatasetNotReachedWarning,
                stacklevel=3,
            )
        return found

    def set_epoch(self, epoch: int) -> None:
        """Pin the epoch of the next iteration, here, on the sampler and on the reached datasets.

        Args:
            epoch: An int >= 0. Without calls, each iteration advances the epoch by one.
        """
        self._set(check_int("epoch", epoch, 0))
        self._pinned = True

    def _set(self, epoch: int) -> None:
        self.epoch = epoch
        owners = [self.sampler, getattr(getattr(self.loader, "batch_sampler", None), "sampler", None)]
        owners += self._datasets
        for owner in owners:
            if owner is not None and callable(getattr(owner, "set_epoch", None)):
                owner.set_epoch(self.epoch)

    def _replicas(self) -> tuple[int, int]:
        """``(ranks, rank)``: the sampler's, else a streamed dataset's, else ``torch.distributed``'s."""
        for owner in (self.sampler, *self._datasets):
            replicas, rank = getattr(owner, "num_replicas", None), getattr(owner, "rank", None)
            if isinstance(replicas, int) and isinstance(rank, int) and replicas > 1:
                return replicas, rank
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            return torch.distributed.get_world_size(), torch.distributed.get_rank()
        return 1, 0

    def generator(self, batch_index: int, keys=None, size: int = 0, position: int = 0) -> SampleStreams:
        """The batch stage's generator for (local) batch ``batch_index`` of the current epoch.

        Args:
            batch_index: The batch's index in this process's epoch.
            keys: The samples' keys, or None to key them by position.
            size: The batch size (with ``keys`` None).
            position: How many samples this process saw before this batch in the epoch.

        Returns:
            An ``augkit.rng.SampleStreams``.
        """
        replicas, rank = self._replicas()
        if keys is None:
            local = position + np.arange(size, dtype=np.int64)
            keys = local * replicas + rank
            stream = 2  # positions are not dataset indices: a separate stream
        else:
            keys = keys.cpu().numpy() if isinstance(keys, torch.Tensor) else keys
            stream = 1
        return SampleStreams(self.seed, self.epoch, keys, batch_index=batch_index * replicas + rank, stream=stream)

    def _layout(self, images: torch.Tensor, memory_format) -> torch.Tensor:
        if (
            self.device.type == "cpu"
            and memory_format == torch.contiguous_format
            and images.dtype == torch.uint8
            and images.ndim == 4
            and not images.is_contiguous()
            and images.is_contiguous(memory_format=torch.channels_last)
        ):
            # A strided uint8 copy is slow on the CPU; OpenCV's channel split is ~20x faster.
            return hwc_to_chw(images.permute(0, 2, 3, 1), self._pool.get(tuple(images.shape), pin=False))
        return images.contiguous(memory_format=memory_format)

    def apply_transforms(self, batch, batch_index: int = 0, position: int = 0):
        """Run the batch stage on one batch already on the device.

        Args:
            batch: An ``augkit.Batch``, an ``(images, targets)`` pair or an image tensor.
            batch_index: The batch's index in the epoch.
            position: How many samples came before it in the epoch (keys batches without them).

        Returns:
            The transformed batch, in the form it came in.
        """
        data = as_batch(batch)
        memory_format = torch.channels_last if self.channels_last else torch.contiguous_format
        data = data.replace(images=self._layout(data.images, memory_format))
        rng = self.generator(batch_index, data.keys, data.size, position)
        if self._stage is not None:
            if self._plan is not None and not data.has_spatial_targets():
                params = self._plan.sample(rng, data.images)
                images, labels = self._plan.apply(data.images, params, data.labels, channels_last=self.channels_last)
                data = data.replace(images=images, labels=labels)
            else:
                data = self._stage.run(data, rng)[0]
        images = data.images.contiguous(memory_format=memory_format)
        # A view: the caller's batch never is a pool buffer itself (the pool's use count sees the view).
        data = data.replace(images=images.view(images.shape))
        if isinstance(batch, Batch):
            return data
        if isinstance(batch, torch.Tensor):
            return data.images
        return data.images, data.labels

    def __iter__(self) -> Iterator:
        resume, self._resume = self._resume, None
        if resume is not None:
            self._set(resume["epoch"])
        elif self._iterations and not self._pinned:
            self._set(self.epoch + 1)
        elif not self._iterations and not self._pinned:
            self._set(self.epoch)
        self._pinned = False
        self._iterations += 1
        offset, discard = self._begin_pass(resume)
        batches = self._iter_cuda(offset, discard) if self.device.type == "cuda" else self._iter_plain(offset, discard)
        self._in_pass = True
        yield from batches
        self._in_pass = False
        self._end_pass()
        self._report_skipped()

    def _consumed(self, size: int) -> None:
        """Count a batch handed out (what ``state_dict`` saves)."""
        self._batches += 1
        self._samples += size
        if self._tracker is not None:
            self._tracker.consume()

    def _iter_plain(self, offset: int = 0, discard: int = 0):
        position = self._samples
        for k, batch in enumerate(self.loader, offset):
            size = as_batch(batch).size
            if k < discard:  # replaying the part of a resumed pass already used
                position += size
                self._samples += size
                self._batches += 1
                continue
            out = self.apply_transforms(_move(batch, self.device, False), k, position)
            position += size
            self._consumed(size)
            yield out

    def _start_copy(self, batch, in_flight: deque):
        """Issue the host -> device copy of ``batch`` on the side stream."""
        with torch.cuda.stream(self._stream):
            moved = _move(batch, self.device, True)
            done = torch.cuda.Event()
            done.record(self._stream)
        in_flight.append((batch, done))  # the host batch stays referenced until ``done``
        return moved

    def _iter_cuda(self, offset: int = 0, discard: int = 0):
        if self._stream is None:
            self._stream = torch.cuda.Stream(device=self.device)
        end = object()
        in_flight: deque = deque()  # (host batch, copy event), oldest first
        iterator = iter(self.loader)
        position = self._samples
        k = offset
        while k < discard:  # replaying the part of a resumed pass already used
            batch = next(iterator, end)
            if batch is end:
                return
            size = as_batch(batch).size
            position += size
            self._samples += size
            self._batches += 1
            k += 1
        try:
            batch = next(iterator, end)
            pending = None if batch is end else self._start_copy(batch, in_flight)
            while pending is not None:
                current = torch.cuda.current_stream(self.device)
                current.wait_stream(self._stream)  # batch k's copy is done before it is used
                for tensor in _tensors(pending):
                    tensor.record_stream(current)  # made on the side stream, used on this one
                batch = next(iterator, end)  # prefetch: this copy overlaps batch k's compute
                following = None if batch is end else self._start_copy(batch, in_flight)
                del batch
                while in_flight and in_flight[0][1].query():
                    in_flight.popleft()
                size = as_batch(pending).size
                out = self.apply_transforms(pending, k, position)
                position += size
                self._consumed(size)
                yield out
                pending = following
                k += 1
        finally:
            # Also on an early exit: a reusing collate may take a host buffer back only
            # once its copy has completed.
            for _, done in in_flight:
                done.synchronize()

    # -- resumable passes

    def _stream_dataset(self) -> AugmentedIterable | None:
        top = getattr(self.loader, "dataset", None)
        return top if isinstance(top, AugmentedIterable) else None

    def _generators(self) -> list[torch.Generator]:
        """The torch generators that decide the loader's order (a ``RandomSampler``'s, the loader's)."""
        found: dict[int, torch.Generator] = {}
        for owner in (self.sampler, self.loader):
            generator = getattr(owner, "generator", None)
            if isinstance(generator, torch.Generator):
                found[id(generator)] = generator
        return list(found.values())

    def _begin_pass(self, resume: dict | None) -> tuple[int, int]:
        """Set the counters (and a resumed start) of a new pass; return ``(first batch index, batches to replay)``."""
        self._batches = self._samples = 0
        self._tracker = None
        stream = self._stream_dataset()
        for dataset in self._datasets:
            if isinstance(dataset, AugmentedIterable):
                dataset.end_resume()
                dataset.start_pass()
        generators = self._generators()
        if resume is not None and resume.get("generators") and len(resume["generators"]) == len(generators):
            for generator, state in zip(generators, resume["generators"]):
                generator.set_state(torch.frombuffer(bytearray.fromhex(state), dtype=torch.uint8).clone())
        self._generator_states = [bytes(g.get_state().numpy()).hex() for g in generators]
        batch_size = getattr(self.loader, "batch_size", None)
        if stream is not None and isinstance(batch_size, int):
            workers = max(int(getattr(self.loader, "num_workers", 0) or 0), 1)
            self._tracker = _StreamTracker(stream, workers, batch_size, bool(getattr(self.loader, "drop_last", False)))
        if resume is None or not resume["batches"]:
            return 0, 0
        batches, samples = int(resume["batches"]), int(resume["samples"])
        if isinstance(self.sampler, EpochSampler):
            self.sampler.start_at(samples)
            self._batches, self._samples = batches, samples
            return batches, 0
        saved = resume.get("stream")
        if stream is not None and saved is not None and self._tracker is not None:
            self._tracker.check(saved)
            stream.resume([n * saved["batch_size"] for n in saved["consumed"]], saved["next"])
            self._tracker.consumed, self._tracker.next = list(saved["consumed"]), int(saved["next"])
            self._batches, self._samples = batches, samples
            return batches, 0
        return 0, batches

    def _end_pass(self) -> None:
        for dataset in self._datasets:
            if isinstance(dataset, AugmentedIterable):
                dataset.end_resume()

    def state_dict(self) -> dict:
        """Where training stands, as plain data (JSON-serializable): resume it with ``load_state_dict``.

        Saved: the seed, the epoch, the batches (and samples) of it handed out so far, the
        order generators' states at the start of the pass, for a streamed dataset the
        samples each DataLoader worker contributed, and the undecodable items found. Taken
        between passes, it points at the start of the next epoch. Save one per rank.

        Returns:
            ``{"format": "augkit.DeviceLoader", "version": 1, "seed", "epoch", "batches",
            "samples", "generators", "stream", "datasets"}``.
        """
        if self._resume is not None:
            return dict(self._resume)
        if self._in_pass:
            epoch, batches, samples = self.epoch, self._batches, self._samples
        else:
            epoch = self.epoch if (self._pinned or not self._iterations) else self.epoch + 1
            batches = samples = 0
        datasets = []
        for dataset in self._datasets:
            if isinstance(dataset, AugmentedDataset):
                datasets.append({"bad_items": dataset._flags.bitwise_and(_BAD).nonzero().flatten().tolist()})
            elif isinstance(dataset, AugmentedIterable):
                datasets.append({"bad_keys": dataset.bad_keys()})
            else:
                datasets.append({})
        return {
            "format": STATE_FORMAT,
            "version": STATE_VERSION,
            "seed": self.seed,
            "epoch": epoch,
            "batches": batches,
            "samples": samples,
            "generators": self._generator_states if batches else None,
            "stream": self._tracker.state() if batches and self._tracker is not None and not self._tracker.broken else None,
            "datasets": datasets,
        }

    def load_state_dict(self, state: dict) -> None:
        """Resume from ``state_dict()``: the next iteration continues the saved pass at its next batch.

        The batches that follow are bit-identical to those an uninterrupted run would have
        given. The saved part of the pass is skipped without reading it when the loader's
        sampler is an ``augkit.data.EpochSampler`` or its dataset an ``AugmentedIterable``
        (each DataLoader worker passes over the samples it had contributed, undecoded);
        otherwise those batches are read again and dropped (the sampler's order must then be
        reproducible: ``SequentialSampler``, ``DistributedSampler``, or a ``RandomSampler``
        with a ``generator``).

        Args:
            state: What ``state_dict()`` returned (e.g. after ``json.load``).

        Raises:
            ValueError: The state is not a DeviceLoader's, was saved with another seed, or its
                pass cannot be replayed (a ``RandomSampler`` drawing from torch's global RNG).
        """
        if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
            raise ValueError(f"state must be a dict from DeviceLoader.state_dict() (format {STATE_FORMAT!r})")
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"DeviceLoader state version {state.get('version')!r} is not supported (expected {STATE_VERSION})")
        if int(state["seed"]) != self.seed:
            raise ValueError(
                f"the state was saved with seed {state['seed']}, this DeviceLoader has seed {self.seed}: build it with the same seed"
            )
        epoch = check_int("epoch", state["epoch"], 0)
        batches = check_int("batches", state["batches"], 0)
        check_int("samples", state["samples"], 0)
        fast = isinstance(self.sampler, EpochSampler) or (self._stream_dataset() is not None and state.get("stream") is not None)
        if batches and not fast and not self._generators() and type(self.sampler).__name__ == "RandomSampler":
            raise ValueError(
                "cannot resume in the middle of a pass: the loader's RandomSampler draws its order from torch's global random"
                " state; use augkit.data.EpochSampler as the sampler (or give the DataLoader a generator=)"
            )
        saved = state.get("datasets") or []
        if len(saved) == len(self._datasets):
            for dataset, info in zip(self._datasets, saved):
                if isinstance(dataset, AugmentedDataset) and info.get("bad_items"):
                    index = torch.tensor(info["bad_items"], dtype=torch.int64)
                    dataset._flags[index] = dataset._flags[index] | _BAD
                elif isinstance(dataset, AugmentedIterable) and info.get("bad_keys"):
                    dataset.load_bad_keys(info["bad_keys"])
        self._skipped_seen = self._num_skipped()
        self.epoch = epoch
        self._resume = dict(state)

    def _num_skipped(self) -> int:
        return sum(getattr(d, "num_skipped", 0) for d in self._datasets)

    def _report_skipped(self) -> None:
        total = self._num_skipped()
        if total > self._skipped_seen:
            warnings.warn(
                f"{total - self._skipped_seen} undecodable items were skipped (and replaced) during epoch {self.epoch}"
                f" ({total} in all); the per-item warnings name the files",
                SkippedItemWarning,
                stacklevel=3,
            )
        self._skipped_seen = total


class _StreamTracker:
    """Which DataLoader worker gave each batch of a streamed dataset, as the loader deals them.

    A ``DataLoader`` over an ``IterableDataset`` takes one batch from each worker in turn,
    leaving a worker out once its stream has ended. Knowing how many samples each ended
    stream held (``AugmentedIterable.finished_items``), the batches handed out so far tell
    how many batches each worker contributed and whose turn is next: what a resumed pass
    needs to continue in the same order.
    """

    def __init__(self, dataset: AugmentedIterable, workers: int, batch_size: int, drop_last: bool) -> None:
        self.dataset, self.workers, self.batch_size, self.drop_last = dataset, workers, batch_size, drop_last
        self.consumed = [0] * workers
        self.next = 0
        self.broken = False

    def consume(self) -> None:
        finished = self.dataset.finished_items(self.workers)
        for step in range(self.workers):
            worker = (self.next + step) % self.workers
            items = finished[worker]
            limit = None if items is None else (items // self.batch_size if self.drop_last else -(-items // self.batch_size))
            if limit is None or self.consumed[worker] < limit:
                self.consumed[worker] += 1
                self.next = (worker + 1) % self.workers
                return
        self.broken = True  # a loader that does not deal batches in turn: resume by replaying

    def state(self) -> dict:
        return {
            "workers": self.workers,
            "batch_size": self.batch_size,
            "drop_last": self.drop_last,
            "consumed": list(self.consumed),
            "next": self.next,
        }

    def check(self, saved: dict) -> None:
        mine = (self.workers, self.batch_size, self.drop_last)
        theirs = (saved["workers"], saved["batch_size"], saved["drop_last"])
        if mine != theirs:
            raise ValueError(
                f"the state was saved with (num_workers, batch_size, drop_last) = {theirs}, this loader has {mine}:"
                " resume a streamed pass with the same loader settings"
            )


def _is_augmented(dataset) -> bool:
    """True for the datasets whose epochs and seeds a DeviceLoader sets."""
    return isinstance(dataset, (AugmentedDataset, AugmentedIterable)) or bool(getattr(dataset, "augkit_epochs", False))


def _format_transform(dataset):
    """The augkit transform a Hugging Face dataset runs through ``set_transform``, or None."""
    options = getattr(dataset, "_format_kwargs", None)
    transform = options.get("transform") if isinstance(options, dict) else None
    return transform if transform is not None and _is_augmented(transform) else None


def _move(batch, device: torch.device, non_blocking: bool):
    """``batch`` (a Batch, a pair or a tensor) with its tensors on ``device``, in the same form."""
    if isinstance(batch, Batch):
        return batch.to(device, non_blocking=non_blocking)
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=non_blocking)
    data = as_batch(batch)
    labels = data.labels.to(device, non_blocking=non_blocking) if isinstance(data.labels, torch.Tensor) else data.labels
    return data.images.to(device, non_blocking=non_blocking), labels


def _tensors(batch) -> list[torch.Tensor]:
    """The device tensors of a moved batch (for ``record_stream``)."""
    if isinstance(batch, torch.Tensor):
        return [batch]
    data = as_batch(batch)
    found = [t for t in (data.images, data.labels, data.masks) if isinstance(t, torch.Tensor)]
    for items in (data.boxes or [], data.keypoints or []):
        for item in items:
            found += [t for t in vars(item).values() if isinstance(t, torch.Tensor)]
    return found
