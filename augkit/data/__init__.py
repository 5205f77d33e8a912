"""Feeding a DataLoader: deterministic datasets, uint8 collation, and the device-side batch stage.

Workers run the sample stage (``AugmentedDataset``) and ship compact uint8 batches
(``Uint8Collate``); ``DeviceLoader`` moves them to the device and runs the batch stage.
Streamed samples (tar shards, WebDataset, Hugging Face streaming) go through
``AugmentedIterable``, seeded by each sample's key instead of its index. Optional integrations
live in submodules that import their package only when used: ``augkit.data.webdataset`` and
``augkit.data.huggingface``.
"""

from augkit._process import init_worker
from augkit.data.collate import Uint8Collate, collate_keys, collate_targets
from augkit.data.datasets import (
    AugmentedDataset,
    ImageFolder,
    ImageList,
    Item,
    RepeatedEpochWarning,
    SkippedItemWarning,
    augmented_datasets,
)
from augkit.data.detection import CocoDetection
from augkit.data.iterable import AugmentedIterable
from augkit.data.keyed import keyed_folder, sample_key
from augkit.data.loader import DatasetNotReachedWarning, DeviceLoader
from augkit.data.pad_collate import PadCollate
from augkit.data.samplers import EpochSampler, RepeatedAugmentationSampler
from augkit.data.segmentation import SegmentationFolder
from augkit.shards import TarShards, expand_urls, tar_samples

__all__ = [
    "AugmentedDataset",
    "AugmentedIterable",
    "CocoDetection",
    "DatasetNotReachedWarning",
    "DeviceLoader",
    "EpochSampler",
    "ImageFolder",
    "ImageList",
    "Item",
    "PadCollate",
    "RepeatedAugmentationSampler",
    "RepeatedEpochWarning",
    "SegmentationFolder",
    "SkippedItemWarning",
    "TarShards",
    "Uint8Collate",
    "augmented_datasets",
    "collate_keys",
    "collate_targets",
    "init_worker",
    "expand_urls",
    "keyed_folder",
    "sample_key",
    "tar_samples",
]
