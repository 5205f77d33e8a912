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

import torch

from augkit._validate import check_int
from augkit.data.collate import _BufferPool, hwc_to_chw
from augkit.rng import BATCH_STREAM, derive_generator
from augkit.transforms.base import BATCH_STAGE, Configurable


def _check_transforms(transforms) -> tuple[Configurable, ...]:
    if transforms is None:
        return ()
    if isinstance(transforms, Configurable):
        transforms = (transforms,)
    if not isinstance(transforms, Sequence):
        raise TypeError(f"transforms must be a transform or a list of them, got {type(transforms).__name__}")
    for i, t in enumerate(transforms):
        if not isinstance(t, Configurable):
            raise TypeError(f"transforms[{i}] must be an augkit Transform or mixing transform, got {type(t).__name__}")
        if BATCH_STAGE not in t.stages:
            raise ValueError(f"transforms[{i}] ({t!r}) does not run in the batch stage")
    return tuple(transforms)


def _split_batch(batch):
    if isinstance(batch, torch.Tensor):
        return batch, None
    if isinstance(batch, (tuple, list)) and len(batch) == 2 and isinstance(batch[0], torch.Tensor):
        return batch[0], batch[1]
    raise TypeError(
        "DeviceLoader expects batches that are an image tensor or (images, targets);"
        f" got {type(batch).__name__} (use augkit.data.Uint8Collate as the DataLoader's collate_fn)"
    )


class DeviceLoader:
    """Wrap a ``DataLoader``: move each batch to ``device`` and apply the batch stage.

    Batch ``k`` of epoch ``e`` is transformed with the generator
    ``derive_generator(seed, e, k, stream=BATCH_STREAM)``; transforms run in order, all
    drawing from it. Under a distributed sampler (one with ``num_replicas`` and ``rank``,
    e.g. ``DistributedSampler``), ``k`` is the global batch index ``local * num_replicas +
    rank``, so ranks never share batch-stage randomness. A transform with a true
    ``mixes_targets`` attribute (Mixup, CutMix) is called ``images, targets = t(images,
    targets, rng=rng)``; the others ``images = t(images, rng=rng)``.

    Put ``Normalize`` first among the transforms for a fused uint8 -> float conversion.
    For asynchronous copies on CUDA, the host batches must be in pinned memory:
    ``DataLoader(pin_memory=True)`` with workers, or ``Uint8Collate(pin_memory=True)``.

    Args:
        loader: Any iterable of batches with ``len`` (normally a ``DataLoader`` with
            ``collate_fn=Uint8Collate()``): batches are an image tensor or ``(images, targets)``.
        device: Where the batch stage runs (``"cuda"``, ``"cuda:1"``, ``"cpu"``...).
        transforms: One batch-stage transform or a sequence, applied in order.
        seed: The batch stage's seed, an int >= 0.
        channels_last: Return images in channels-last memory (else contiguous NCHW; the
            layout change is done on uint8 on the device, before the transforms).

    Example:
        >>> import torch
        >>> from augkit import Normalize
        >>> batches = [(torch.zeros(2, 3, 4, 4, dtype=torch.uint8), torch.tensor([0, 1]))]
        >>> images, targets = next(iter(DeviceLoader(batches, "cpu", Normalize(mean=(0.5,) * 3))))
        >>> images.dtype, images[0, 0, 0, 0].item()
        (torch.float32, -0.5)
    """

    def __init__(self, loader, device, transforms=(), *, seed: int = 0, channels_last: bool = False) -> None:
        self.loader = loader
        self.device = torch.device(device)
        self.transforms = _check_transforms(transforms)
        self.seed = check_int("seed", seed, 0)
        self.channels_last = bool(channels_last)
        self.epoch = 0
        self._stream = None
        self._pool = _BufferPool(2)  # CPU layout conversion; reused only when unreferenced
        self._skipped_seen = self._num_skipped()

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

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch here, on the loader's sampler and on its dataset (where they have one).

        Args:
            epoch: An int >= 0. Call it before iterating each epoch.
        """
        self.epoch = check_int("epoch", epoch, 0)
        for owner in (
            self.sampler,
            getattr(getattr(self.loader, "batch_sampler", None), "sampler", None),
            getattr(self.loader, "dataset", None),
        ):
            if owner is not None and callable(getattr(owner, "set_epoch", None)):
                owner.set_epoch(self.epoch)

    def _batch_index(self, local: int) -> int:
        sampler = self.sampler
        replicas, rank = getattr(sampler, "num_replicas", None), getattr(sampler, "rank", None)
        if isinstance(replicas, int) and isinstance(rank, int) and replicas > 1:
            return local * replicas + rank
        return local

    def generator(self, batch_index: int):
        """Return the generator of (local) batch ``batch_index`` of the current epoch."""
        return derive_generator(self.seed, self.epoch, self._batch_index(batch_index), stream=BATCH_STREAM)

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

    def apply_transforms(self, images: torch.Tensor, targets, batch_index: int):
        """Run the batch stage on one batch already on the device; returns ``(images, targets)``."""
        memory_format = torch.channels_last if self.channels_last else torch.contiguous_format
        images = self._layout(images, memory_format)
        rng = self.generator(batch_index)
        for t in self.transforms:
            if getattr(t, "mixes_targets", False):
                if targets is None:
                    raise ValueError(f"{type(t).__name__} mixes targets, but the loader's batches have none")
                images, targets = t(images, targets, rng=rng)
            else:
                images = t(images, rng=rng)
        return images.contiguous(memory_format=memory_format), targets

    def __iter__(self) -> Iterator:
        batches = self._iter_cuda() if self.device.type == "cuda" else self._iter_plain()
        for images, targets in batches:
            yield images if targets is None else (images, targets)
        self._report_skipped()

    def _iter_plain(self):
        for k, batch in enumerate(self.loader):
            images, targets = _split_batch(batch)
            images = images.to(self.device)
            if isinstance(targets, torch.Tensor):
                targets = targets.to(self.device)
            yield self.apply_transforms(images, targets, k)

    def _start_copy(self, batch, in_flight: deque):
        """Issue the host -> device copy of ``batch`` on the side stream."""
        images, targets = _split_batch(batch)
        with torch.cuda.stream(self._stream):
            images = images.to(self.device, non_blocking=True)
            if isinstance(targets, torch.Tensor):
                targets = targets.to(self.device, non_blocking=True)
            done = torch.cuda.Event()
            done.record(self._stream)
        in_flight.append((batch, done))  # the host batch stays referenced until ``done``
        return images, targets

    def _iter_cuda(self):
        if self._stream is None:
            self._stream = torch.cuda.Stream(device=self.device)
        end = object()
        in_flight: deque = deque()  # (host batch, copy event), oldest first
        iterator = iter(self.loader)
        try:
            batch = next(iterator, end)
            pending = None if batch is end else self._start_copy(batch, in_flight)
            k = 0
            while pending is not None:
                images, targets = pending
                current = torch.cuda.current_stream(self.device)
                current.wait_stream(self._stream)  # batch k's copy is done before it is used
                images.record_stream(current)  # made on the side stream, used on this one
                if isinstance(targets, torch.Tensor):
                    targets.record_stream(current)
                batch = next(iterator, end)  # prefetch: this copy overlaps batch k's compute
                pending = None if batch is end else self._start_copy(batch, in_flight)
                del batch
                while in_flight and in_flight[0][1].query():
                    in_flight.popleft()
                yield self.apply_transforms(images, targets, k)
                k += 1
        finally:
            # Also on an early exit: a reusing collate may take a host buffer back only
            # once its copy has completed.
            for _, done in in_flight:
                done.synchronize()

    def _num_skipped(self) -> int:
        value = getattr(getattr(self.loader, "dataset", None), "num_skipped", 0)
        return value if isinstance(value, int) else 0

    def _report_skipped(self) -> None:
        total = self._num_skipped()
        if total > self._skipped_seen:
            from augkit.data.datasets import SkippedItemWarning

            warnings.warn(
                f"{total - self._skipped_seen} undecodable items were skipped (and replaced) during epoch {self.epoch}"
                f" ({total} in all); the per-item warnings name the files",
                SkippedItemWarning,
                stacklevel=3,
            )
        self._skipped_seen = total
