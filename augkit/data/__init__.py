"""Feeding a DataLoader: deterministic datasets, uint8 collation, and the device-side batch stage.

Workers run the sample stage (``AugmentedDataset``) and ship compact uint8 batches
(``Uint8Collate``); ``DeviceLoader`` moves them to the device and runs the batch stage.
"""

from augkit.data.collate import Uint8Collate, collate_targets
from augkit.data.datasets import AugmentedDataset, ImageFolder, ImageList, SkippedItemWarning
from augkit.data.loader import DeviceLoader

__all__ = [
    "AugmentedDataset",
    "DeviceLoader",
    "ImageFolder",
    "ImageList",
    "SkippedItemWarning",
    "Uint8Collate",
    "collate_targets",
]
