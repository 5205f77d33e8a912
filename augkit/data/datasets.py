"""Datasets: image folders, lists of paths, and the deterministic ``AugmentedDataset``.

``AugmentedDataset`` runs the sample stage inside ``__getitem__`` (so in DataLoader workers).
The augmentation of item ``i`` in epoch ``e`` uses ``derive_generator(seed, e, i)``, so it is
a pure function of ``(seed, e, i)``: it does not depend on ``num_workers``,
``persistent_workers``, batch size, sampler order or distributed rank.

The epoch, the seed and per-item flags live in shared memory (small torch tensors), so
``set_epoch`` in the main process reaches persistent workers, and what workers find (an
undecodable file) is visible in the main process and the other workers.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from numbers import Integral
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from augkit._validate import check_int
from augkit.encoded import open_image
from augkit.errors import ImageDecodeError
from augkit.io import IMAGE_SUFFIXES, MAX_PIXELS, check_max_pixels, check_mode, decode, decode_mask, list_images
from augkit.pipeline import Pipeline, check_stage
from augkit.rng import derive_generator
from augkit.targets import Sample
from augkit.transforms.base import SAMPLE_STAGE, Transform
from augkit.transforms.containers import Compose

ON_ERROR_CHOICES = ("raise", "skip")

#: Per-item flags in shared memory: augmented at the current epoch; found undecodable.
_SERVED = 1
_BAD = 2


class SkippedItemWarning(UserWarning):
    """An undecodable item was skipped (``on_error="skip"``) and replaced; names the source."""


class RepeatedEpochWarning(UserWarning):
    """An item was augmented twice at the same epoch (the epoch did not advance between passes)."""


class ImageFolder(Dataset):
    """A class-per-folder image dataset: ``root/<class>/**/<image>``; items ``(path, class_index)``.

    Classes are the sub-folders of ``root`` sorted by name (as torchvision's ``ImageFolder``);
    images are found recursively (following symlinks) and sorted, keeping only files whose
    suffix is in ``extensions`` (case-insensitive). Hidden files and folders are ignored.
    Nothing is decoded here: wrap it in ``AugmentedDataset``.

    Args:
        root: The dataset folder.
        extensions: Image file suffixes to keep (with the dot).
        allow_empty: Allow class folders without images (default: raise).
        strict: Raise when a sub-folder cannot be read (default: skip it with a warning;
            see ``augkit.io.list_images``).

    Attributes:
        classes: Class names, sorted.
        class_to_idx: Class name -> index.
        samples: The ``(path, class_index)`` list.
        targets: The class index of every item.

    Raises:
        FileNotFoundError: ``root`` is missing, has no class folders, or a class folder has
            no images (unless ``allow_empty``).
        NotADirectoryError: ``root`` is not a folder.

    Example:
        >>> import pathlib, tempfile
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> for name in ("dog", "cat"):
        ...     (root / name).mkdir()
        ...     _ = (root / name / "1.jpg").write_bytes(b"")
        >>> ds = ImageFolder(root)
        >>> ds.classes, ds[1][1]
        (['cat', 'dog'], 1)
    """

    def __init__(self, root, extensions: Sequence[str] = IMAGE_SUFFIXES, allow_empty: bool = False, strict: bool = False) -> None:
        self.root = os.fspath(root)
        self.strict = strict
        self.extensions = tuple(e.lower() if e.startswith(".") else "." + e.lower() for e in extensions)
        if not os.path.exists(self.root):
            raise FileNotFoundError(f"ImageFolder root {self.root!r} does not exist")
        if not os.path.isdir(self.root):
            raise NotADirectoryError(f"ImageFolder root {self.root!r} is not a directory")
        self.classes = sorted(e.name for e in os.scandir(self.root) if e.is_dir() and not e.name.startswith("."))
        if not self.classes:
            raise FileNotFoundError(f"ImageFolder root {self.root!r} has no class folders (expected root/<class>/<image>)")
        self.class_to_idx = {name: i for i, name in enumerate(self.classes)}
        self.samples: list[tuple[str, int]] = []
        for name in self.classes:
            found = self._find_images(os.path.join(self.root, name))
            if not found and not allow_empty:
                raise FileNotFoundError(
                    f"ImageFolder class folder {os.path.join(self.root, name)!r} has no images with suffixes"
                    f" {self.extensions} (pass allow_empty=True to allow it)"
                )
            self.samples.extend((path, self.class_to_idx[name]) for path in found)
        self.targets = [t for _, t in self.samples]

    def _find_images(self, folder: str) -> list[str]:
        return [str(path) for path in list_images(folder, self.extensions, strict=self.strict)[0]]

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> tuple[str, int]:
        return self.samples[index]

    def __repr__(self) -> str:
        return f"ImageFolder(root={self.root!r}, classes={len(self.classes)}, images={len(self)})"


class ImageList(Dataset):
    """A list of image paths (or bytes), with optional targets; items ``path`` or ``(path, target)``.

    Args:
        paths: Image paths (``str`` / ``os.PathLike``) or encoded bytes.
        targets: One target per path (class indices, or anything collatable), or None.

    Example:
        >>> ImageList(["a.jpg", "b.jpg"], targets=[0, 1])[1]
        ('b.jpg', 1)
    """

    def __init__(self, paths: Sequence, targets: Sequence | None = None) -> None:
        if isinstance(paths, (str, bytes, os.PathLike)):
            raise TypeError("paths must be a sequence of paths, not a single path")
        self.paths = [p if isinstance(p, (bytes, bytearray)) else os.fspath(p) for p in paths]
        if targets is not None:
            targets = list(targets)
            if len(targets) != len(self.paths):
                raise ValueError(f"targets must have one entry per path: {len(targets)} targets for {len(self.paths)} paths")
        self.targets = targets

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int):
        if self.targets is None:
            return self.paths[index]
        return self.paths[index], self.targets[index]


class Item(tuple):
    """An ``(image, target)`` pair that remembers its sample key (the dataset index).

    It is a 2-tuple (``image, target = item`` works, ``default_collate`` sees a pair);
    ``augkit.data.Uint8Collate`` also reads ``key`` so the batch stage can draw this sample's
    parameters from its own stream.

    Attributes:
        key: The item's index in its dataset (or a string key), or None.
    """

    key: Any

    def __new__(cls, image, target, key=None) -> Item:
        item = super().__new__(cls, (image, target))
        item.key = key
        return item

    def __reduce__(self):
        return (Item, (self[0], self[1], self.key))


def _split_item(item):
    """Return ``(image, target, has_target)`` of a base dataset item."""
    if isinstance(item, (tuple, list)) and len(item) == 2:
        return item[0], item[1], True
    return item, None, False


def _source_name(image) -> str:
    if isinstance(image, Sample):
        image = image.image
    if isinstance(image, (str, os.PathLike)):
        return os.fspath(image)
    if isinstance(image, (bytes, bytearray)):
        return f"<bytes: {len(image)}>"
    return f"<{type(image).__name__}>"


def open_item_image(image, pipeline, mode: str, max_pixels: int, check_whole_file: bool):
    """An item's image as the sample stage reads it: RGB uint8 arrays as they are, else opened.

    Before a ``Compose`` a JPEG is left undecoded (``augkit.open_image``), so it decodes only
    the window its first transforms read; otherwise the image is decoded whole.
    """
    rgb = isinstance(image, np.ndarray) and image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
    if rgb and mode == "RGB":
        return image
    if isinstance(pipeline, Compose):
        return open_image(image, max_pixels=max_pixels, mode=mode, check_whole_file=check_whole_file)
    return decode(image, max_pixels=max_pixels, mode=mode)


def check_augmenting_options(pipeline: Transform | Pipeline | None, on_error: str, check_whole_file: bool) -> Transform | None:
    """Check the options the augmenting datasets share; return the sample-stage transform.

    Args:
        pipeline: A sample-stage transform, a ``Pipeline`` (its sample stage is used), or None.
        on_error: One of ``ON_ERROR_CHOICES``.
        check_whole_file: A bool.

    Returns:
        The transform the workers run (None for no augmentation).

    Raises:
        TypeError: ``check_whole_file`` is not a bool, or the pipeline cannot run in the sample stage.
        ValueError: ``on_error`` is not one of ``ON_ERROR_CHOICES``.
    """
    if isinstance(pipeline, Pipeline):
        pipeline = pipeline.sample
    if pipeline is not None:
        check_stage(pipeline, SAMPLE_STAGE, "pipeline")
    if on_error not in ON_ERROR_CHOICES:
        raise ValueError(f"on_error must be one of {ON_ERROR_CHOICES}, got {on_error!r}")
    if not isinstance(check_whole_file, bool):
        raise TypeError(f"check_whole_file must be a bool, got {type(check_whole_file).__name__}")
    return pipeline


def _implicit_seed() -> int:
    return int(torch.initial_seed()) % (2**63)


class AugmentedDataset(Dataset):
    """Decode and augment a base dataset's items, deterministically per ``(seed, epoch, index)``.

    Items of ``base`` are an image, an ``(image, target)`` pair, or an ``augkit.Sample``
    (an image with a mask, boxes or keypoints, which move with it); an image is a path,
    bytes, a PIL image or an array and is decoded with ``augkit.decode`` (a mask path with
    ``augkit.decode_mask``). The sample-stage ``pipeline`` (usually a ``Compose`` ending in
    ``ToTensor``) runs with the generator ``augkit.rng.derive_generator(seed, epoch, index)``.
    Items come out as ``(image, target)`` pairs (``augkit.data.Item``, which also carries the
    index), images, or ``Sample`` s with ``key`` set to the index.

    The seed rule: an explicit ``seed`` wins. Without one, a ``DeviceLoader`` built over this
    dataset (directly or through ``Subset`` / ``ConcatDataset``) gives it its own seed, and
    otherwise the seed is torch's at construction (``torch.initial_seed()``, so a run whose
    torch seed is set to ``s`` before building it gets an augmentation that varies with ``s``).

    Epochs: ``DeviceLoader`` advances the epoch by itself on each new pass (and ``set_epoch``
    pins one). With a plain ``DataLoader``, use ``augkit.data.EpochSampler`` as its sampler
    (it advances the epoch on each pass) or call ``set_epoch(e)`` before each epoch; a second
    pass at an epoch already used is warned about once (when a sixteenth of the items, and
    at least two, were augmented again at the same epoch), since it repeats their
    augmentation exactly. The epoch and the counters live in shared
    memory, so they reach DataLoader workers, persistent or not, started by ``fork``,
    ``spawn`` or ``forkserver``.

    Undecodable items (``ImageDecodeError``):
      * ``on_error="raise"``: the error propagates, naming the path (from a worker too).
      * ``on_error="skip"``: the item is *replaced* by the next decodable item
        ``(index + 1, index + 2, ...) mod len``, augmented with item ``index``'s generator,
        so batches keep their size and item ``i`` is still a pure function of
        ``(seed, epoch, i)``. Each undecodable file is tried once: it is remembered (in
        shared memory, across workers and epochs) and passed over afterwards, warned about
        once with a ``SkippedItemWarning`` naming it, and counted once in ``num_skipped``
        (distinct files). ``DeviceLoader`` also warns in the main process after an epoch in
        which items were skipped. If no item decodes, ``ImageDecodeError`` is raised.

    Repeated augmentation: ``dataset[(i, r)]`` is repeat ``r`` of item ``i`` (what
    ``augkit.data.RepeatedAugmentationSampler`` yields): it is augmented with the generator of
    the key ``i + r * len(dataset)`` (``repeat_key``) and carries that key, so the repeats of
    an image get different augmentations in both stages, each a pure function of ``(seed,
    epoch, i, r)``; ``dataset[(i, 0)]`` is ``dataset[i]``.

    Any other error raised by the pipeline propagates unchanged, with a note (Python 3.11+,
    printed in its traceback, also when a DataLoader worker re-raises it) naming the item
    and its path.

    Args:
        base: An indexable dataset with ``len`` (not a folder path: use ``ImageFolder``).
        pipeline: A sample-stage augkit ``Transform``, a ``Pipeline`` (its ``sample`` stage
            is used), or None (decode only).
        seed: The experiment's seed, an int >= 0, or None (see the seed rule above).
        on_error: ``"raise"`` or ``"skip"``.
        check_whole_file: When the pipeline is a ``Compose`` that decodes only a window of
            each JPEG (``augkit.open_image``), still check the rest of the file, so damaged
            files are refused whatever the crop. False skips that work but uses a file damaged
            after the window (its decoded pixels are right): whether such a file is refused
            then depends on the drawn crop.
        mode: How items are decoded (``augkit.decode``): ``"RGB"`` (``(H, W, 3)`` uint8, the
            default), ``"L"`` (``(H, W, 1)`` uint8 gray) or ``"unchanged"`` (the stored sample
            type and channels, e.g. uint16 for 16-bit PNGs). Arrays given as items are
            converted the same way.
        max_pixels: Refuse images declaring more pixels than this (every format).

    Example:
        >>> import numpy as np
        >>> from augkit import Compose, RandomCrop, ToTensor
        >>> base = [(np.zeros((8, 8, 3), np.uint8), 1)] * 4
        >>> ds = AugmentedDataset(base, Compose([RandomCrop(4), ToTensor()]), seed=0)
        >>> image, target = ds[2]
        >>> tuple(image.shape), target, ds[2].key
        ((3, 4, 4), 1, 2)
    """

    def __init__(
        self,
        base,
        pipeline: Transform | Pipeline | None,
        seed: int | None = None,
        on_error: str = "raise",
        check_whole_file: bool = True,
        mode: str = "RGB",
        max_pixels: int = MAX_PIXELS,
    ) -> None:
        if isinstance(base, (str, bytes, os.PathLike)):
            raise TypeError(
                f"base must be a dataset, got the path {os.fsdecode(base)!r}: for a folder of class sub-folders use"
                " AugmentedDataset(augkit.data.ImageFolder(path), ...); for a list of files, augkit.data.ImageList(paths)"
            )
        if not hasattr(base, "__getitem__") or not hasattr(base, "__len__"):
            raise TypeError(f"base must be an indexable dataset with len(), got {type(base).__name__}")
        pipeline = check_augmenting_options(pipeline, on_error, check_whole_file)
        self.base = base
        self.pipeline = pipeline
        self.on_error = on_error
        self.check_whole_file = check_whole_file
        self.mode = check_mode(mode)
        self.max_pixels = check_max_pixels(max_pixels)
        # Shared memory: the epoch, the seed, whether it was given, and how many items were
        # augmented twice at this epoch; then per-item flags.
        self._state = torch.zeros(4, dtype=torch.int64).share_memory_()
        self._flags = torch.zeros(len(base), dtype=torch.uint8).share_memory_()
        self._state[1] = _implicit_seed() if seed is None else check_int("seed", seed, 0)
        self._state[2] = seed is not None
        self._warned_repeat = False

    def __len__(self) -> int:
        return len(self.base)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_views", None)  # numpy views of the shared tensors: remade in each process
        return state

    @property
    def _np(self) -> tuple[np.ndarray, np.ndarray]:
        """``(state, flags)`` as numpy views of the shared-memory tensors (cheap element access)."""
        views = self.__dict__.get("_views")
        if views is None:
            views = self.__dict__["_views"] = (self._state.numpy(), self._flags.numpy())
        return views

    @property
    def seed(self) -> int:
        """The seed every item's generator is derived from (shared with the workers)."""
        return int(self._np[0][1])

    @property
    def seed_is_explicit(self) -> bool:
        """True when the seed was given to the constructor (a ``DeviceLoader`` then keeps it)."""
        return bool(self._np[0][2])

    def adopt_seed(self, seed: int) -> None:
        """Take ``seed`` unless this dataset was built with an explicit one (``DeviceLoader`` calls it)."""
        if not self.seed_is_explicit:
            self._state[1] = check_int("seed", seed, 0)

    @property
    def epoch(self) -> int:
        """The current epoch (shared with the DataLoader's workers)."""
        return int(self._np[0][0])

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch used to derive every item's generator; call before iterating.

        Args:
            epoch: An int >= 0.
        """
        epoch = check_int("epoch", epoch, 0)
        if epoch != self.epoch:
            self._flags.bitwise_and_(~_SERVED & 0xFF)
            self._state[3] = 0
        self._state[0] = epoch

    @property
    def num_skipped(self) -> int:
        """How many distinct undecodable items were found so far, in all processes together."""
        return int(self._flags.bitwise_and(_BAD).count_nonzero())

    def _load(self, index: int):
        item = self.base[index]
        if isinstance(item, Sample):
            return self._load_sample(item), None, False
        image, target, has_target = _split_item(item)
        return self._open(image), target, has_target

    def _open(self, image):
        return open_item_image(image, self.pipeline, self.mode, self.max_pixels, self.check_whole_file)

    def _load_sample(self, sample: Sample) -> Sample:
        mask = sample.mask
        if isinstance(mask, (str, bytes, os.PathLike)):
            mask = decode_mask(mask, max_pixels=self.max_pixels)
        image = self._open(sample.image)
        if isinstance(mask, np.ndarray) and tuple(mask.shape[:2]) != tuple(image.shape[:2]):
            raise ValueError(
                f"the mask of {_source_name(sample)} is {mask.shape[0]} x {mask.shape[1]} (from {_source_name(sample.mask)}),"
                f" the image {image.shape[0]} x {image.shape[1]}: a mask must have its image's height and width"
            )
        return sample.replace(image=image, mask=mask)

    def _augment(self, index: int, used: int, key: int):
        """Load item ``used`` and run the pipeline with the generator of ``key`` (item ``index``, or a repeat of it)."""
        image, target, has_target = self._load(used)
        if self.pipeline is not None:
            try:
                image = self.pipeline(image, rng=derive_generator(self.seed, self.epoch, key))
            except ImageDecodeError:
                raise  # from decoding a window: handled as any undecodable item
            except Exception as error:
                # Same exception, same message; the note (shown in tracebacks, also those a
                # DataLoader worker sends back) names the file the pipeline failed on.
                if hasattr(error, "add_note"):
                    source = _source_name(_split_item(self.base[used])[0])
                    error.add_note(f"augkit: raised while augmenting item {index} of AugmentedDataset ({source})")
                raise
        if isinstance(image, Sample):
            return image.replace(key=key)
        return Item(image, target, key) if has_target else image

    def _note_served(self, index: int) -> None:
        state, all_flags = self._np
        flags = int(all_flags[index])
        all_flags[index] = flags | _SERVED
        if not flags & _SERVED:
            return
        state[3] += 1  # items augmented again at this epoch (across workers; approximate)
        if int(state[3]) >= max(2, len(self) // 16) and not self._warned_repeat:
            self._warned_repeat = True
            warnings.warn(
                f"AugmentedDataset: item {index} was augmented twice at epoch {self.epoch}, so it repeats the same"
                " augmentation: advance the epoch each pass (augkit.data.EpochSampler as the DataLoader's sampler,"
                " DeviceLoader, or set_epoch(e) before each epoch)",
                RepeatedEpochWarning,
                stacklevel=3,
            )

    def repeat_key(self, index: int, repeat: int) -> int:
        """The sample key of repeat ``repeat`` of item ``index``: ``index + repeat * len(self)`` (``index`` for repeat 0).

        Repeat ``r`` of item ``i`` is augmented as item ``i + r * len(self)`` of the dataset
        repeated ``r + 1`` times would be: with that key's generator and batch-stage stream.
        """
        return index + repeat * len(self.base)

    def _split_index(self, index) -> tuple[int, int]:
        """``index`` or ``(index, repeat)`` -> both, checked (negative indices count from the end)."""
        repeat = 0
        if isinstance(index, tuple) and len(index) == 2:
            index, repeat = index
            if isinstance(repeat, bool) or not isinstance(repeat, Integral) or repeat < 0:
                raise TypeError(f"the repeat of an (index, repeat) key must be an int >= 0, got {repeat!r}")
        if isinstance(index, bool) or not isinstance(index, Integral):
            raise TypeError(f"index must be an int or an (index, repeat) pair of ints, got {type(index).__name__}")
        n = len(self.base)
        index = int(index)
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError(f"index {index} is out of range for a dataset of {n} items")
        return index, int(repeat)

    def __getitem__(self, index):
        index, repeat = self._split_index(index)
        n = len(self.base)
        key = self.repeat_key(index, repeat)
        if repeat == 0:  # repeats of an item are expected: only a second pass over the item itself is
            self._note_served(index)
        for step in range(n):
            candidate = (index + step) % n
            if self.on_error == "skip" and int(self._np[1][candidate]) & _BAD:
                continue
            try:
                return self._augment(index, candidate, key)
            except ImageDecodeError as error:
                if self.on_error == "raise":
                    raise
                self._np[1][candidate] |= _BAD
                warnings.warn(
                    f"AugmentedDataset skipped undecodable item {candidate} ({error.source}: {error.reason});"
                    f" items that would use it are replaced by the next decodable item",
                    SkippedItemWarning,
                    stacklevel=2,
                )
        raise ImageDecodeError(_source_name(_split_item(self.base[index])[0]), f"no item of the dataset ({n} items) can be decoded")

    def __repr__(self) -> str:
        return f"AugmentedDataset(base={type(self.base).__name__}[{len(self)}], pipeline={self.pipeline!r}, seed={self.seed}, on_error={self.on_error!r})"


def datasets_under(dataset, depth: int = 0) -> list:
    """Every dataset reachable from ``dataset`` through ``.dataset`` / ``.datasets`` chains, itself first.

    ``torch.utils.data.Subset`` (and so ``random_split``) and ``ConcatDataset`` are walked.

    Args:
        dataset: A dataset, or None.

    Returns:
        The datasets found (an empty list for None).
    """
    if dataset is None or depth > 32:
        return []
    found = [dataset]
    inner = getattr(dataset, "dataset", None)
    if inner is not None and inner is not dataset:
        found += datasets_under(inner, depth + 1)
    for child in getattr(dataset, "datasets", None) or ():
        found += datasets_under(child, depth + 1)
    return found


def augmented_datasets(dataset) -> list[AugmentedDataset]:
    """The ``AugmentedDataset`` s under ``dataset`` (see ``datasets_under``)."""
    return [d for d in datasets_under(dataset) if isinstance(d, AugmentedDataset)]
