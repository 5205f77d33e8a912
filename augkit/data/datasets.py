"""Datasets: image folders, lists of paths, and the deterministic ``AugmentedDataset``.

``AugmentedDataset`` runs the sample stage inside ``__getitem__`` (so in DataLoader workers).
The augmentation of item ``i`` in epoch ``e`` uses ``derive_generator(seed, e, i)``, so it is
a pure function of ``(seed, e, i)``: it does not depend on ``num_workers``,
``persistent_workers``, batch size, sampler order or distributed rank.

The epoch and the skip counters live in shared memory (a small torch tensor), so
``set_epoch`` in the main process reaches persistent workers, and counts made in workers
are visible in the main process.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from numbers import Integral

import numpy as np
import torch
from torch.utils.data import Dataset, get_worker_info

from augkit._validate import check_int
from augkit.encoded import open_image
from augkit.errors import ImageDecodeError
from augkit.io import IMAGE_SUFFIXES, MAX_PIXELS, check_max_pixels, check_mode, decode, list_images
from augkit.rng import derive_generator
from augkit.transforms.base import SAMPLE_STAGE, Transform
from augkit.transforms.containers import Compose

ON_ERROR_CHOICES = ("raise", "skip")

#: Slots of the shared skip counter: one for the main process, then one per worker id.
#: Each process writes only its own slot, so counts are exact without locks.
_COUNTER_SLOTS = 1024


class SkippedItemWarning(UserWarning):
    """An undecodable item was skipped (``on_error="skip"``) and replaced; names the source."""


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


def _split_item(item):
    """Return ``(image, target, has_target)`` of a base dataset item."""
    if isinstance(item, (tuple, list)) and len(item) == 2:
        return item[0], item[1], True
    return item, None, False


def _source_name(image) -> str:
    if isinstance(image, (str, os.PathLike)):
        return os.fspath(image)
    if isinstance(image, (bytes, bytearray)):
        return f"<bytes: {len(image)}>"
    return f"<{type(image).__name__}>"


class AugmentedDataset(Dataset):
    """Decode and augment a base dataset's items, deterministically per ``(seed, epoch, index)``.

    Items of ``base`` are an image or ``(image, target)``; an image is a path, bytes, a PIL
    image or an HWC array and is decoded with ``augkit.decode``. The sample-stage
    ``pipeline`` (usually a ``Compose`` ending in ``ToTensor``) runs with the generator
    ``augkit.rng.derive_generator(seed, epoch, index)``. Items come out as ``(image, target)``
    or ``image``.

    Call ``set_epoch(e)`` before iterating each epoch (as with ``DistributedSampler``;
    ``DeviceLoader.set_epoch`` does both). The epoch is held in shared memory, so it reaches
    DataLoader workers, persistent or not, started by ``fork``, ``spawn`` or ``forkserver``.

    Undecodable items (``ImageDecodeError``):
      * ``on_error="raise"``: the error propagates, naming the path (from a worker too).
      * ``on_error="skip"``: the item is *replaced* by the next decodable item
        ``(index + 1, index + 2, ...) mod len``, augmented with item ``index``'s generator,
        so batches keep their size and item ``i`` is still a pure function of
        ``(seed, epoch, i)``. Each failure emits a ``SkippedItemWarning`` naming the path
        (in the process that hit it; workers print it to stderr) and is counted in
        ``num_skipped``, which the main process reads across workers; ``DeviceLoader`` also
        warns in the main process after an epoch in which items were skipped. If no item
        decodes, ``ImageDecodeError`` is raised.

    Any other error raised by the pipeline propagates unchanged, with a note (Python 3.11+,
    printed in its traceback, also when a DataLoader worker re-raises it) naming the item
    and its path.

    Args:
        base: An indexable dataset with ``len``.
        pipeline: A sample-stage augkit ``Transform``, or None (decode only).
        seed: The experiment's seed, an int >= 0.
        on_error: ``"raise"`` or ``"skip"``.
        check_whole_file: When the pipeline is a ``Compose`` that decodes only a window of
            each JPEG (``augkit.open_image``), still check the rest of the file, so damaged
            files are refused whatever the crop. False is faster (about 0.1-0.2 ms per image)
            but uses a file damaged after the window (its decoded pixels are right): whether
            such a file is refused then depends on the drawn crop.
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
        >>> tuple(image.shape), target
        ((3, 4, 4), 1)
    """

    def __init__(
        self,
        base,
        pipeline: Transform | None,
        seed: int = 0,
        on_error: str = "raise",
        check_whole_file: bool = True,
        mode: str = "RGB",
        max_pixels: int = MAX_PIXELS,
    ) -> None:
        if not hasattr(base, "__getitem__") or not hasattr(base, "__len__"):
            raise TypeError(f"base must be an indexable dataset with len(), got {type(base).__name__}")
        if pipeline is not None:
            if not isinstance(pipeline, Transform):
                raise TypeError(f"pipeline must be an augkit Transform or None, got {type(pipeline).__name__}")
            if SAMPLE_STAGE not in pipeline.stages:
                raise ValueError(f"pipeline must run in the sample stage; {pipeline!r} runs in {pipeline.stages}")
        if on_error not in ON_ERROR_CHOICES:
            raise ValueError(f"on_error must be one of {ON_ERROR_CHOICES}, got {on_error!r}")
        self.base = base
        self.pipeline = pipeline
        self.seed = check_int("seed", seed, 0)
        self.on_error = on_error
        if not isinstance(check_whole_file, bool):
            raise TypeError(f"check_whole_file must be a bool, got {type(check_whole_file).__name__}")
        self.check_whole_file = check_whole_file
        self.mode = check_mode(mode)
        self.max_pixels = check_max_pixels(max_pixels)
        # Shared memory: [0] is the epoch; the rest count skipped items per process.
        self._state = torch.zeros(1 + _COUNTER_SLOTS, dtype=torch.int64).share_memory_()

    def __len__(self) -> int:
        return len(self.base)

    @property
    def epoch(self) -> int:
        """The current epoch (shared with the DataLoader's workers)."""
        return int(self._state[0])

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch used to derive every item's generator; call before iterating.

        Args:
            epoch: An int >= 0.
        """
        self._state[0] = check_int("epoch", epoch, 0)

    @property
    def num_skipped(self) -> int:
        """How many undecodable items were skipped so far, in all processes together."""
        return int(self._state[1:].sum())

    def _count_skip(self) -> None:
        info = get_worker_info()
        slot = 1 if info is None else 2 + info.id % (_COUNTER_SLOTS - 1)
        self._state[slot] += 1

    def _load(self, index: int):
        image, target, has_target = _split_item(self.base[index])
        rgb = isinstance(image, np.ndarray) and image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
        if not (rgb and self.mode == "RGB"):
            options = {"max_pixels": self.max_pixels, "mode": self.mode}
            # A Compose decodes only the window its first transforms read.
            windowed = isinstance(self.pipeline, Compose)
            image = open_image(image, check_whole_file=self.check_whole_file, **options) if windowed else decode(image, **options)
        return image, target, has_target

    def _augment(self, index: int, used: int):
        """Load item ``used`` and run the pipeline with item ``index``'s generator."""
        image, target, has_target = self._load(used)
        if self.pipeline is not None:
            try:
                image = self.pipeline(image, rng=derive_generator(self.seed, self.epoch, index))
            except ImageDecodeError:
                raise  # from decoding a window: handled as any undecodable item
            except Exception as error:
                # Same exception, same message; the note (shown in tracebacks, also those a
                # DataLoader worker sends back) names the file the pipeline failed on.
                if hasattr(error, "add_note"):
                    source = _source_name(_split_item(self.base[used])[0])
                    error.add_note(f"augkit: raised while augmenting item {index} of AugmentedDataset ({source})")
                raise
        return (image, target) if has_target else image

    def __getitem__(self, index):
        if isinstance(index, bool) or not isinstance(index, Integral):
            raise TypeError(f"index must be an int, got {type(index).__name__}")
        n = len(self.base)
        index = int(index)
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError(f"index {index} is out of range for a dataset of {n} items")
        for step in range(n):
            candidate = (index + step) % n
            try:
                return self._augment(index, candidate)
            except ImageDecodeError as error:
                if self.on_error == "raise":
                    raise
                self._count_skip()
                warnings.warn(
                    f"AugmentedDataset skipped undecodable item {candidate} ({error.source}: {error.reason});"
                    f" item {index} is replaced by the next decodable item",
                    SkippedItemWarning,
                    stacklevel=2,
                )
        raise ImageDecodeError(_source_name(_split_item(self.base[index])[0]), f"no item of the dataset ({n} items) can be decoded")

    def __repr__(self) -> str:
        return f"AugmentedDataset(base={type(self.base).__name__}[{len(self)}], pipeline={self.pipeline!r}, seed={self.seed}, on_error={self.on_error!r})"
