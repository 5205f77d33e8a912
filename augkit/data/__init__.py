"""Feeding a DataLoader: deterministic datasets, uint8 collation, and the device-side batch stage.

Workers run the sample stage (``AugmentedDataset``) and ship compact uint8 batches
(``Uint8Collate``); ``DeviceLoader`` moves them to the device and runs the batch stage.
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
from augkit.data.loader import DatasetNotReachedWarning, DeviceLoader
from augkit.data.pad_collate import PadCollate
from augkit.data.samplers import EpochSampler
from augkit.data.segmentation import SegmentationFolder

__all__ = [
    "AugmentedDataset",
    "CocoDetection",
    "DatasetNotReachedWarning",
    "DeviceLoader",
    "EpochSampler",
    "ImageFolder",
    "ImageList",
    "Item",
    "PadCollate",
    "RepeatedEpochWarning",
    "SegmentationFolder",
    "SkippedItemWarning",
    "Uint8Collate",
    "augmented_datasets",
    "collate_keys",
    "collate_targets",
    "init_worker",
]
