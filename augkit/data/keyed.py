"""Sample keys of files: the keys ``augkit pack`` gives images, for reading a folder keyed like its shards.

A key is the image's path relative to the dataset root, without its suffix, with the dots
of the file name made ``_`` (WebDataset groups a tar's members by the part of the file name
before its first dot); repeated keys get ``_2``, ``_3``, ... in order. Reading the folder
through ``keyed_folder`` gives every image the key its packed copy has, so both are augmented
alike by ``AugmentedIterable``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from augkit.data.datasets import ImageFolder


def sample_key(relative: str) -> str:
    """The key of an image path relative to the dataset root.

    Example:
        >>> sample_key("n01/img.0001.JPEG")
        'n01/img_0001'
    """
    folder, _, name = relative.replace(os.sep, "/").rpartition("/")
    stem = name.rsplit(".", 1)[0].replace(".", "_") or "_"
    return f"{folder}/{stem}" if folder else stem


def unique_keys(relatives: Sequence[str]) -> list[str]:
    """``sample_key`` of each path, made unique by ``_2``, ``_3``, ... suffixes in order."""
    keys, seen = [], set()
    for relative in relatives:
        key = base = sample_key(relative)
        n = 1
        while key in seen:
            n += 1
            key = f"{base}_{n}"
        seen.add(key)
        keys.append(key)
    return keys


def keyed_folder(root, **options) -> list[tuple[str, str, int]]:
    """The ``(key, path, class index)`` samples of a class-per-folder tree, keyed as ``augkit pack`` keys them.

    Args:
        root: The dataset folder (``root/<class>/**/<image>``).
        **options: Passed to ``augkit.data.ImageFolder``.

    Returns:
        A list, in ``ImageFolder`` order; give it to ``AugmentedIterable``.
    """
    folder = ImageFolder(root, **options)
    keys = unique_keys([os.path.relpath(path, folder.root) for path, _ in folder.samples])
    return [(key, path, target) for key, (path, target) in zip(keys, folder.samples)]
