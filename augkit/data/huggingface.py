"""Hugging Face ``datasets`` feeding augkit: map-style (index seeding) and streaming (key seeding).

* ``from_hf(dataset, pipeline)``: a ``datasets.Dataset`` becomes an ``AugmentedDataset``
  (item ``i`` seeded by ``(seed, epoch, i)``); a ``datasets.IterableDataset`` (e.g.
  ``load_dataset(..., streaming=True)``) becomes an ``AugmentedIterable`` (each example seeded
  by its key: a key column, else the image's file name, else a digest of its bytes).
* ``SetTransform``: for code that keeps the Hugging Face dataset as the DataLoader's dataset
  and augments through ``dataset.set_transform``; ``HFCollate`` collates its rows.

Images are read undecoded (the ``Image`` feature's bytes) and decoded by augkit, so JPEGs are
decoded only in the window the pipeline reads. Needs the ``datasets`` package (``pip install
augkit[datasets]``), imported only when these functions are called.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import torch

from augkit._validate import check_int
from augkit.data.collate import Uint8Collate
from augkit.data.datasets import AugmentedDataset, Item, _implicit_seed
from augkit.data.iterable import AugmentedIterable
from augkit.io import decode
from augkit.pipeline import Pipeline, check_stage
from augkit.rng import derive_generator
from augkit.transforms.base import SAMPLE_STAGE


def _undecoded(dataset, column: str):
    """``dataset`` with its ``Image`` column left as ``{"bytes", "path"}`` (augkit decodes)."""
    import datasets

    features = getattr(dataset, "features", None)
    if features is not None and column in features and isinstance(features[column], datasets.Image):
        return dataset.cast_column(column, datasets.Image(decode=False))
    return dataset


def _image_of(value):
    """The image in a column value: bytes or a path of an undecoded ``Image``, else the value (PIL, array)."""
    if isinstance(value, dict) and ("bytes" in value or "path" in value):
        return value.get("bytes") if value.get("bytes") is not None else value.get("path")
    return value


def _content_key(value) -> str:
    """A key from an undecoded image: its file name when it has one, else a digest of its bytes."""
    if isinstance(value, dict) and value.get("path"):
        return str(value["path"])
    data = value.get("bytes") if isinstance(value, dict) else value
    if isinstance(data, (bytes, bytearray)):
        return hashlib.blake2b(bytes(data), digest_size=16).hexdigest()
    raise TypeError("examples without a key column need undecoded image bytes or paths to be keyed: pass key=<column>")


class HFImages(torch.utils.data.Dataset):
    """A map-style ``datasets.Dataset`` as ``(image, label)`` items for ``AugmentedDataset``.

    Args:
        dataset: A ``datasets.Dataset``.
        image: The image column (an ``Image`` feature, bytes, paths, PIL images or arrays).
        label: The label column, or None for no target.
    """

    def __init__(self, dataset, image: str = "image", label: str | None = "label") -> None:
        for column in (image, label):
            if column is not None and column not in dataset.column_names:
                raise KeyError(f"the dataset has no column {column!r} (columns: {dataset.column_names})")
        columns = [c for c in (image, label) if c is not None]
        self.dataset = _undecoded(dataset, image).select_columns(columns)
        self.image, self.label = image, label

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int):
        row = self.dataset[int(index)]
        image = _image_of(row[self.image])
        return (image, row[self.label]) if self.label is not None else image


class HFStream(torch.utils.data.IterableDataset):
    """A ``datasets.IterableDataset`` as ``(key, image, label)`` samples for ``AugmentedIterable``.

    Hugging Face splits a streamed dataset among DataLoader workers by itself (by shards);
    among ranks, split it first with ``datasets.distributed.split_dataset_by_node``.

    Args:
        dataset: A ``datasets.IterableDataset``.
        image: The image column.
        label: The label column, or None.
        key: A column holding a unique key per example, or None: the image's file name,
            else a digest of its bytes (identical images then share their augmentation).
    """

    #: ``AugmentedIterable(split="auto")`` leaves the splitting to the source.
    splits_itself = True

    def __init__(self, dataset, image: str = "image", label: str | None = "label", key: str | None = None) -> None:
        self.dataset = _undecoded(dataset, image)
        self.image, self.label, self.key = image, label, key

    def set_epoch(self, epoch: int) -> None:
        """Pass the epoch on (a shuffled Hugging Face stream reshuffles with it)."""
        setter = getattr(self.dataset, "set_epoch", None)
        if callable(setter):
            setter(epoch)

    def __iter__(self) -> Iterator[tuple[Any, Any, Any]]:
        for row in self.dataset:
            value = row[self.image]
            key = row[self.key] if self.key is not None else _content_key(value)
            yield key, _image_of(value), row[self.label] if self.label is not None else None


def from_hf(
    dataset, pipeline, seed: int | None = None, *, image: str = "image", label: str | None = "label", key: str | None = None, **options
):
    """Wrap a Hugging Face dataset for augkit's sample stage.

    Args:
        dataset: A ``datasets.Dataset`` (map-style) or ``datasets.IterableDataset`` (streaming).
        pipeline: A sample-stage transform or a ``Pipeline``.
        seed: The experiment's seed, or None (as ``AugmentedDataset``).
        image: The image column.
        label: The label column, or None.
        key: Streaming only: a column of unique example keys (see ``HFStream``).
        **options: Passed on (``on_error``, ``mode``, ``max_pixels``, ...).

    Returns:
        An ``AugmentedDataset`` (index seeding) or an ``AugmentedIterable`` (key seeding).
    """
    import datasets

    if isinstance(dataset, datasets.IterableDataset):
        return AugmentedIterable(HFStream(dataset, image, label, key), pipeline, seed, split="source", **options)
    if isinstance(dataset, datasets.Dataset):
        if key is not None:
            raise ValueError("key= is for streaming datasets; a map-style dataset is seeded by the example's index")
        return AugmentedDataset(HFImages(dataset, image, label), pipeline, seed, **options)
    raise TypeError(f"dataset must be a datasets.Dataset or datasets.IterableDataset, got {type(dataset).__name__}")


class SetTransform:
    """A ``dataset.set_transform`` function running augkit's sample stage, seeded per example key.

    ``set_transform`` hands the function a batch of columns but not the examples' indices,
    so the key comes from a column: add one with ``dataset.add_column("key", range(len(dataset)))``
    to seed by index. Rows come out as ``{image: uint8 tensor, label: ..., "__key__": key}``;
    collate them with ``HFCollate``. A ``DeviceLoader`` over a ``DataLoader`` of the dataset
    finds this transform (as it finds an ``AugmentedDataset``), gives it its seed and advances
    its epoch; the epoch lives in shared memory, so it reaches the workers.

    Args:
        pipeline: A sample-stage transform or a ``Pipeline``.
        image: The image column.
        label: The label column, or None.
        key: The key column.
        seed: The experiment's seed, or None (a ``DeviceLoader``'s, else torch's).
    """

    #: A ``DeviceLoader`` sets this object's epoch and seed.
    augkit_epochs = True

    def __init__(self, pipeline, image: str = "image", label: str | None = "label", key: str = "key", seed: int | None = None) -> None:
        if isinstance(pipeline, Pipeline):
            pipeline = pipeline.sample
        self.pipeline = check_stage(pipeline, SAMPLE_STAGE, "pipeline")
        self.image, self.label, self.key = image, label, key
        self._state = torch.zeros(3, dtype=torch.int64).share_memory_()
        self._state[1] = _implicit_seed() if seed is None else check_int("seed", seed, 0)
        self._state[2] = seed is not None

    @property
    def seed(self) -> int:
        """The seed (shared with the workers)."""
        return int(self._state[1])

    def adopt_seed(self, seed: int) -> None:
        """Take ``seed`` unless one was given to the constructor (``DeviceLoader`` calls it)."""
        if not bool(self._state[2]):
            self._state[1] = check_int("seed", seed, 0)

    @property
    def epoch(self) -> int:
        """The current epoch (shared with the workers)."""
        return int(self._state[0])

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch of the next pass."""
        self._state[0] = check_int("epoch", epoch, 0)

    num_skipped = 0

    def __call__(self, batch: dict) -> dict:
        if self.key not in batch:
            raise KeyError(
                f"SetTransform needs the key column {self.key!r} (columns: {sorted(batch)}): add one with"
                f" dataset.add_column({self.key!r}, range(len(dataset)))"
            )
        epoch, seed = self.epoch, self.seed
        images = [
            self.pipeline(decode(_image_of(v)), rng=derive_generator(seed, epoch, k)) for v, k in zip(batch[self.image], batch[self.key])
        ]
        out = {self.image: images, "__key__": list(batch[self.key])}
        if self.label is not None:
            out[self.label] = list(batch[self.label])
        return out


class HFCollate:
    """Collate the rows of a dataset under ``SetTransform`` into an ``augkit.Batch`` (keys included).

    Args:
        image: The image column.
        label: The label column, or None.
        **options: Passed to ``Uint8Collate``.
    """

    def __init__(self, image: str = "image", label: str | None = "label", **options) -> None:
        self.image, self.label = image, label
        self.collate = Uint8Collate(**options)

    def __call__(self, rows: list[dict]):
        return self.collate([Item(row[self.image], row[self.label] if self.label is not None else None, row["__key__"]) for row in rows])
