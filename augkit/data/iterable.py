"""``AugmentedIterable``: the sample stage over streamed samples, keyed by each sample's own key.

A streamed sample has no index, so its augmentation is seeded from its key instead: sample
``key`` of epoch ``e`` uses ``augkit.rng.derive_generator(seed, e, key)`` (and the batch stage
``SampleStreams(seed, e, keys)``). Its augmentation is then a pure function of ``(seed, e,
key)``, whatever the shard order, the shuffle buffer, ``num_workers`` or the number of ranks.

The epoch, the seed, the undecodable keys found and the resume position live in shared memory
(small torch tensors), so ``set_epoch`` in the main process reaches the DataLoader workers, and
what one worker finds is seen by the main process and the other workers.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import torch
from torch.utils.data import IterableDataset, get_worker_info

from augkit._validate import check_int
from augkit.data.datasets import Item as Item
from augkit.data.datasets import (
    RepeatedEpochWarning,
    SkippedItemWarning,
    _implicit_seed,
    check_augmenting_options,
    open_item_image,
)
from augkit.errors import ImageDecodeError
from augkit.io import MAX_PIXELS, check_max_pixels, check_mode
from augkit.pipeline import Pipeline
from augkit.rng import derive_generator
from augkit.transforms.base import Transform

#: Most DataLoader workers one ``AugmentedIterable`` serves.
MAX_WORKERS = 256
#: Slots of the shared table of undecodable keys (each an 8-byte hash).
BAD_KEY_SLOTS = 1 << 16
#: Fields of a dict sample (WebDataset style) looked up for the image, in order.
IMAGE_FIELDS = ("jpg", "jpeg", "png", "webp", "bmp", "ppm", "pgm", "tif", "tiff", "gif", "image", "img")
#: Fields looked up for the target, in order (absent: the target is None).
TARGET_FIELDS = ("cls", "label", "target", "json")
#: How samples are shared among ranks and workers.
SPLITS = ("auto", "samples", "source")

# Shared state slots.
_EPOCH, _SEED, _EXPLICIT, _OVERFLOW, _RESUMING, _ROTATION, _RESUME_WORKERS, _BAD_COUNT = range(8)


def key_hash(key) -> int:
    """A 63-bit, nonzero hash of a sample key (the shared table of undecodable keys stores these)."""
    if isinstance(key, str):
        data = key.encode("utf-8")
    elif isinstance(key, (bytes, bytearray)):
        data = bytes(key)
    else:
        data = f"#{key}".encode()
    value = int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little") & ((1 << 63) - 1)
    return value or 1


def _replicas(num_replicas: int | None, rank: int | None) -> tuple[int, int]:
    """``(world size, rank)``: the arguments, else ``torch.distributed``'s when initialized, else ``(1, 0)``."""
    if num_replicas is None and rank is None:
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized():
            return dist.get_world_size(), dist.get_rank()
        return 1, 0
    world = check_int("num_replicas", 1 if num_replicas is None else num_replicas, 1)
    return world, check_int("rank", 0 if rank is None else rank, 0, world - 1)


def _splits_itself(source) -> bool:
    """True for sources known to split their shards among ranks and workers (WebDataset, Hugging Face)."""
    module = type(source).__module__ or ""
    return module.startswith(("webdataset", "datasets.")) or bool(getattr(source, "splits_itself", False))


def _as_target(value):
    """A target field's value: WebDataset ``cls`` bytes become an int, ``json`` bytes are parsed."""
    if isinstance(value, (bytes, bytearray)):
        text = bytes(value).decode("utf-8").strip()
        try:
            return int(text)
        except ValueError:
            return json.loads(text)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return value


class AugmentedIterable(IterableDataset):
    """Decode and augment streamed samples, deterministically per ``(seed, epoch, key)``.

    ``source`` is any iterable (a ``torch.utils.data.IterableDataset``, a WebDataset
    pipeline, a Hugging Face ``IterableDataset``, a generator function's iterable...) that
    yields samples as

    * ``(key, image, target)`` or ``(key, image)`` tuples, or
    * dicts in WebDataset's style: the key in ``"__key__"``, the image bytes under their
      extension (``"jpg"``, ``"png"``, ... see ``IMAGE_FIELDS``) and the target under
      ``"cls"`` (ASCII digits become an int), ``"label"``, ``"target"`` or ``"json"``.

    An image is a path, bytes, a PIL image or an array; JPEG bytes are decoded only in the
    window the pipeline's first transforms read (``augkit.open_image``), as in
    ``AugmentedDataset``. Items come out as ``augkit.data.Item`` pairs ``(image, target)``
    whose ``key`` is the sample's key, so ``Uint8Collate`` puts the keys in the ``Batch`` and
    the batch stage draws each sample's parameters from its key too.

    **The keyed seed rule.** Sample ``key`` at epoch ``e`` is augmented with
    ``derive_generator(seed, e, key)``: the same whatever the shard order, shuffle buffer,
    ``num_workers``, number of ranks, or where a run was resumed. Keys must be unique in the
    dataset (``augkit pack`` makes them so); two samples with one key get the same draws.

    **Splitting.** Every sample is seen exactly once per epoch across ranks x workers:

    * ``split="source"``: the source already splits (WebDataset with a ``nodesplitter`` such
      as ``wds.split_by_node`` and its default ``workersplitter``; a Hugging Face
      ``IterableDataset`` split with ``datasets.distributed.split_dataset_by_node``);
    * ``split="samples"``: every process reads the whole stream, and the ``j``-th sample goes
      to worker ``j mod (ranks x workers)``; the source must yield the same order in every
      process (no unseeded shuffle);
    * ``split="auto"`` (default): ``"source"`` for WebDataset and Hugging Face sources,
      ``"samples"`` otherwise.

    Ranks come from ``num_replicas`` / ``rank``, else from ``torch.distributed`` when it is
    initialized at construction.

    **Seed, epochs, errors** follow ``AugmentedDataset``: an explicit ``seed`` wins, else a
    ``DeviceLoader``'s, else ``torch.initial_seed()``; ``DeviceLoader`` advances the epoch by
    itself (with a plain ``DataLoader``, call ``set_epoch(e)`` before each epoch; a worker
    starting a second pass at one epoch warns with ``RepeatedEpochWarning``). The epoch is
    passed on to the source (``source.set_epoch`` and the stages of a WebDataset pipeline that
    have one, e.g. ``augkit.data.webdataset.EpochShuffle``). With ``on_error="skip"`` an
    undecodable sample is dropped, warned about once (``SkippedItemWarning`` naming its key),
    remembered across workers and epochs and counted once in ``num_skipped``; with
    ``"raise"`` the ``ImageDecodeError`` propagates naming the key.

    Args:
        source: The iterable of samples.
        pipeline: A sample-stage ``Transform``, a ``Pipeline`` (its ``sample`` stage), or
            None (decode only).
        seed: The experiment's seed, an int >= 0, or None.
        key: The key's field in dict samples (default ``"__key__"``), or a function of the
            raw sample returning its key.
        image: The image's field (or a sequence of fields tried in order), or None for
            ``IMAGE_FIELDS``.
        target: The target's field, a function of the raw sample, None for
            ``TARGET_FIELDS``, or False for no target.
        split: ``"auto"``, ``"samples"`` or ``"source"`` (see above).
        num_replicas: Number of ranks (default: ``torch.distributed``'s, else 1).
        rank: This rank (default: ``torch.distributed``'s, else 0).
        on_error: ``"raise"`` or ``"skip"``.
        check_whole_file: As ``AugmentedDataset``.
        mode: As ``AugmentedDataset`` (``"RGB"``, ``"L"`` or ``"unchanged"``).
        max_pixels: Refuse images declaring more pixels than this.

    Example:
        >>> import numpy as np
        >>> from augkit import Compose, RandomCrop, ToTensor
        >>> samples = [(f"img{i}", np.zeros((8, 8, 3), np.uint8), i) for i in range(3)]
        >>> stream = AugmentedIterable(samples, Compose([RandomCrop(4), ToTensor()]), seed=0)
        >>> items = list(stream)
        >>> tuple(items[2][0].shape), items[2][1], items[2].key
        ((3, 4, 4), 2, 'img2')
    """

    def __init__(
        self,
        source,
        pipeline: Transform | Pipeline | None,
        seed: int | None = None,
        *,
        key: str | Callable[[Any], Any] = "__key__",
        image: str | Sequence[str] | None = None,
        target: str | Callable[[Any], Any] | None | bool = None,
        split: str = "auto",
        num_replicas: int | None = None,
        rank: int | None = None,
        on_error: str = "raise",
        check_whole_file: bool = True,
        mode: str = "RGB",
        max_pixels: int = MAX_PIXELS,
    ) -> None:
        if isinstance(source, (str, bytes, os.PathLike)):
            raise TypeError(
                f"source must be an iterable of samples, got the path {os.fsdecode(source)!r}: for tar shards use"
                " augkit.data.webdataset.shards(urls) or webdataset.WebDataset(urls)"
            )
        if not hasattr(source, "__iter__"):
            raise TypeError(f"source must be an iterable of samples, got {type(source).__name__}")
        pipeline = check_augmenting_options(pipeline, on_error, check_whole_file)
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
        if not (isinstance(key, str) or callable(key)):
            raise TypeError(f"key must be a field name or a function of the sample, got {type(key).__name__}")
        self.source = source
        self.pipeline = pipeline
        self.key = key
        self.image_fields = IMAGE_FIELDS if image is None else (image,) if isinstance(image, str) else tuple(image)
        self.target = target
        self.split = ("source" if _splits_itself(source) else "samples") if split == "auto" else split
        self.num_replicas, self.rank = _replicas(num_replicas, rank)
        self.on_error = on_error
        self.check_whole_file = check_whole_file
        self.mode = check_mode(mode)
        self.max_pixels = check_max_pixels(max_pixels)
        self._state = torch.zeros(8, dtype=torch.int64).share_memory_()
        self._passes = torch.zeros(MAX_WORKERS, dtype=torch.int64).share_memory_()
        self._final = torch.full((MAX_WORKERS,), -1, dtype=torch.int64).share_memory_()
        self._skip = torch.zeros(MAX_WORKERS, dtype=torch.int64).share_memory_()
        self._bad = torch.zeros(BAD_KEY_SLOTS, dtype=torch.int64).share_memory_()
        self._state[_SEED] = _implicit_seed() if seed is None else check_int("seed", seed, 0)
        self._state[_EXPLICIT] = seed is not None
        self._warned: set[int] = set()

    def __repr__(self) -> str:
        return (
            f"AugmentedIterable(source={type(self.source).__name__}, pipeline={self.pipeline!r}, seed={self.seed},"
            f" split={self.split!r}, on_error={self.on_error!r})"
        )

    # -- seed and epoch (as AugmentedDataset)

    @property
    def seed(self) -> int:
        """The seed every sample's generator is derived from (shared with the workers)."""
        return int(self._state[_SEED])

    @property
    def seed_is_explicit(self) -> bool:
        """True when the seed was given to the constructor (a ``DeviceLoader`` then keeps it)."""
        return bool(self._state[_EXPLICIT])

    def adopt_seed(self, seed: int) -> None:
        """Take ``seed`` unless this dataset was built with an explicit one (``DeviceLoader`` calls it)."""
        if not self.seed_is_explicit:
            self._state[_SEED] = check_int("seed", seed, 0)

    @property
    def epoch(self) -> int:
        """The current epoch (shared with the DataLoader's workers)."""
        return int(self._state[_EPOCH])

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch of the next pass (and pass it on to the source); call before iterating.

        Args:
            epoch: An int >= 0.
        """
        epoch = check_int("epoch", epoch, 0)
        if epoch != self.epoch:
            self._passes.zero_()
            self._final.fill_(-1)
            self._state[_RESUMING] = 0
        self._state[_EPOCH] = epoch
        _set_source_epoch(self.source, epoch)

    @property
    def num_skipped(self) -> int:
        """How many distinct undecodable samples were found so far, in all processes together."""
        return int(self._state[_BAD_COUNT])

    # -- resuming (driven by DeviceLoader.state_dict / load_state_dict)

    def start_pass(self) -> None:
        """Forget the per-worker counts of the previous pass (``DeviceLoader`` calls it as a pass begins)."""
        self._final.fill_(-1)

    def finished_items(self, workers: int) -> list[int | None]:
        """Samples each (logical) worker took in this pass when its stream has ended, else None."""
        return [None if int(v) < 0 else int(v) for v in self._final[: max(workers, 1)]]

    def resume(self, items_per_worker: Sequence[int], rotation: int = 0) -> None:
        """Make the next pass skip the first samples of each worker's stream, undecoded.

        Args:
            items_per_worker: Samples (logical) worker ``w`` passes over before it yields.
            rotation: DataLoader worker ``i`` plays logical worker ``(i + rotation) mod W``,
                so the loader's round-robin order continues where it stopped.
        """
        workers = len(items_per_worker)
        if not 1 <= workers <= MAX_WORKERS:
            raise ValueError(f"resume needs 1 to {MAX_WORKERS} workers, got {workers}")
        self._skip.zero_()
        self._skip[:workers] = torch.tensor([check_int("items", n, 0) for n in items_per_worker], dtype=torch.int64)
        self._state[_ROTATION] = check_int("rotation", rotation, 0, workers - 1)
        self._state[_RESUME_WORKERS] = workers
        self._state[_RESUMING] = 1

    def end_resume(self) -> None:
        """Stop skipping (``DeviceLoader`` calls it once the resumed pass is over)."""
        self._state[_RESUMING] = 0

    def bad_keys(self) -> list[int]:
        """The hashes of the undecodable keys found (``key_hash``), for a resume state."""
        return self._bad[self._bad != 0].tolist()

    def load_bad_keys(self, hashes: Sequence[int]) -> None:
        """Remember undecodable keys found before (their ``key_hash`` es)."""
        for value in hashes:
            self._insert_bad(int(value))

    # -- iteration

    def __iter__(self) -> Iterator[Item]:
        info = get_worker_info()
        worker, workers = (info.id, info.num_workers) if info is not None else (0, 1)
        if workers > MAX_WORKERS:
            raise ValueError(f"AugmentedIterable serves at most {MAX_WORKERS} DataLoader workers, got {workers}")
        resuming = bool(self._state[_RESUMING])
        rotation, skip = 0, 0
        if resuming:
            if int(self._state[_RESUME_WORKERS]) != workers:
                raise ValueError(
                    f"the resume state was saved with {int(self._state[_RESUME_WORKERS])} DataLoader workers, this loader has"
                    f" {workers}: resume with the same num_workers"
                )
            rotation = int(self._state[_ROTATION])
        logical = (worker + rotation) % workers
        if resuming:
            skip = int(self._skip[logical])
        epoch, seed = self.epoch, self.seed
        self._note_pass(logical, epoch)
        _set_source_epoch(self.source, epoch)
        return self._generate(logical, workers, skip, epoch, seed, rotated=rotation != 0)

    def _note_pass(self, logical: int, epoch: int) -> None:
        self._passes[logical] += 1
        if int(self._passes[logical]) >= 2 and logical not in self._warned:
            self._warned.add(logical)
            warnings.warn(
                f"AugmentedIterable: a second pass at epoch {epoch} repeats every augmentation of the first: advance the epoch"
                " each pass (DeviceLoader does it; with a plain DataLoader call set_epoch(e) before each epoch)",
                RepeatedEpochWarning,
                stacklevel=3,
            )

    def _own_samples(self, logical: int, workers: int, rotated: bool) -> Iterator:
        """The raw samples of this (logical) worker: split here or by the source."""
        iterator = iter(self.source)
        if self.split == "source":
            if rotated:
                with _worker_identity(logical, workers):
                    first = next(iterator, _END)
                if first is _END:
                    return
                yield first
            yield from iterator
            return
        total = self.num_replicas * workers
        mine = self.rank * workers + logical
        for j, sample in enumerate(iterator):
            if j % total == mine:
                yield sample

    def _generate(self, logical: int, workers: int, skip: int, epoch: int, seed: int, rotated: bool) -> Iterator[Item]:
        taken = 0
        for raw in self._own_samples(logical, workers, rotated):
            key, image, target = self._parse(raw)
            if self.on_error == "skip" and self._is_bad(key_hash(key)):
                continue  # found undecodable before: passed over
            if taken < skip:
                taken += 1
                continue
            try:
                item = self._augment(key, image, target, epoch, seed)
            except ImageDecodeError as error:
                if self.on_error == "raise":
                    raise
                self._remember_bad(key, error)
                continue
            taken += 1
            yield item
        self._final[logical] = taken

    def _parse(self, raw) -> tuple[Any, Any, Any]:
        """``(key, image, target)`` of a raw sample."""
        if isinstance(raw, dict):
            key = self.key(raw) if callable(self.key) else raw.get(self.key)
            if key is None:
                raise KeyError(f"AugmentedIterable: a sample has no key field {self.key!r} (fields: {sorted(raw)})")
            image = next((raw[f] for f in self.image_fields if raw.get(f) is not None), None)
            if image is None:
                raise ImageDecodeError(str(key), f"the sample has no image field {list(self.image_fields)} (fields: {sorted(raw)})")
            return key, image, self._target_of(raw)
        if isinstance(raw, (tuple, list)) and len(raw) in (2, 3):
            key = self.key(raw) if callable(self.key) else raw[0]
            target = raw[2] if len(raw) == 3 else None
            if callable(self.target):
                target = self.target(raw)
            return key, raw[1], None if self.target is False else target
        raise TypeError(f"AugmentedIterable: samples must be (key, image[, target]) tuples or dicts, got {type(raw).__name__}")

    def _target_of(self, raw: dict):
        if self.target is False:
            return None
        if callable(self.target):
            return self.target(raw)
        fields = TARGET_FIELDS if self.target is None else (self.target,)
        for field in fields:
            if raw.get(field) is not None:
                return _as_target(raw[field])
        return None

    def _open(self, image):
        return open_item_image(image, self.pipeline, self.mode, self.max_pixels, self.check_whole_file)

    def _augment(self, key, image, target, epoch: int, seed: int) -> Item:
        try:
            pixels = self._open(image)
        except ImageDecodeError as error:
            raise ImageDecodeError(str(key), error.reason or str(error)) from error
        if self.pipeline is not None:
            try:
                pixels = self.pipeline(pixels, rng=derive_generator(seed, epoch, key))
            except ImageDecodeError as error:
                raise ImageDecodeError(str(key), error.reason or str(error)) from error
            except Exception as error:
                if hasattr(error, "add_note"):
                    error.add_note(f"augkit: raised while augmenting sample {key!r} of AugmentedIterable")
                raise
        return Item(pixels, target, key)

    # -- the shared table of undecodable keys (open addressing, linear probing)

    def _slots(self, value: int) -> Iterator[int]:
        start = value % BAD_KEY_SLOTS
        for step in range(64):
            yield (start + step) % BAD_KEY_SLOTS

    def _is_bad(self, value: int) -> bool:
        if not int(self._state[_BAD_COUNT]):
            return False
        for slot in self._slots(value):
            held = int(self._bad[slot])
            if held == value:
                return True
            if held == 0:
                return False
        return False

    def _insert_bad(self, value: int) -> bool:
        """Insert a key hash; False when it was there already."""
        for slot in self._slots(value):
            held = int(self._bad[slot])
            if held == value:
                return False
            if held == 0:
                self._bad[slot] = value
                self._state[_BAD_COUNT] += 1
                return True
        self._state[_OVERFLOW] += 1
        self._state[_BAD_COUNT] += 1
        return True

    def _remember_bad(self, key, error: ImageDecodeError) -> None:
        value = key_hash(key)
        if self._insert_bad(value):
            warnings.warn(
                f"AugmentedIterable skipped undecodable sample {key!r} ({error.reason or error}); it is left out of every epoch",
                SkippedItemWarning,
                stacklevel=3,
            )


_END = object()


@contextlib.contextmanager
def _worker_identity(worker: int, workers: int):
    """Make the source see DataLoader worker ``worker`` of ``workers`` (for a resumed pass's rotation)."""
    from torch.utils.data._utils import worker as worker_module

    saved = worker_module._worker_info
    saved_env = {name: os.environ.get(name) for name in ("WORKER", "NUM_WORKERS")}
    if saved is not None:
        worker_module._worker_info = worker_module.WorkerInfo(id=worker, num_workers=workers, seed=saved.seed, dataset=saved.dataset)
    if saved_env["WORKER"] is not None and saved_env["NUM_WORKERS"] is not None:
        os.environ["WORKER"], os.environ["NUM_WORKERS"] = str(worker), str(workers)
    try:
        yield
    finally:
        worker_module._worker_info = saved
        for name, value in saved_env.items():
            if value is not None:
                os.environ[name] = value


def _set_source_epoch(source, epoch: int) -> None:
    """Pass the epoch to the source and to the stages of a pipeline source that take one."""
    for owner in (source, *getattr(source, "pipeline", ())):
        setter = getattr(owner, "set_epoch", None)
        if callable(setter):
            setter(epoch)
