"""``SegmentationFolder``: images and their label masks, paired by file name."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from torch.utils.data import Dataset

from augkit.io import IMAGE_SUFFIXES, list_images
from augkit.targets import Sample

#: How many unmatched files an error names before it only counts the rest.
_NAMED = 5


class SegmentationFolder(Dataset):
    """A semantic segmentation dataset: ``root/images/<name>.<ext>`` with ``root/masks/<name>.<ext>``.

    Images and masks are paired by their path below their folder without the suffix (so
    ``images/a/1.jpg`` goes with ``masks/a/1.png``); both folders are searched recursively,
    hidden files are ignored. Items are ``augkit.Sample(image=path, mask=path)``, sorted by
    name; ``AugmentedDataset`` decodes the image with ``augkit.decode`` and the mask with
    ``augkit.decode_mask`` (a palette PNG gives its palette indices, the class ids, never
    the colours it is drawn with).

    Args:
        root: The dataset folder.
        images: The images' sub-folder of ``root``.
        masks: The masks' sub-folder of ``root``.
        extensions: File suffixes of images and masks (with the dot).

    Attributes:
        samples: The ``(image path, mask path)`` pairs.

    Raises:
        NotADirectoryError: ``root``, its images or masks folder is missing.
        FileNotFoundError: An image without a mask or a mask without an image (the error
            names them), or no images at all.
        ValueError: Two files of one folder with the same name but another suffix.

    Example:
        >>> import pathlib, tempfile
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> for folder, name in (("images", "1.jpg"), ("masks", "1.png")):
        ...     (root / folder).mkdir()
        ...     _ = (root / folder / name).write_bytes(b"")
        >>> sample = SegmentationFolder(root)[0]
        >>> pathlib.Path(sample.image).name, pathlib.Path(sample.mask).name
        ('1.jpg', '1.png')
    """

    def __init__(self, root, images: str = "images", masks: str = "masks", extensions: Sequence[str] = IMAGE_SUFFIXES) -> None:
        self.root = os.fspath(root)
        if not os.path.isdir(self.root):
            raise NotADirectoryError(f"SegmentationFolder root {self.root!r} does not exist or is not a folder")
        self.extensions = tuple(e.lower() if e.startswith(".") else "." + e.lower() for e in extensions)
        image_files = self._files(images, "images")
        mask_files = self._files(masks, "masks")
        lonely_images = sorted(set(image_files) - set(mask_files))
        lonely_masks = sorted(set(mask_files) - set(image_files))
        if lonely_images or lonely_masks:
            parts = []
            if lonely_images:
                parts.append(f"{len(lonely_images)} image(s) without a mask: {_names([image_files[k] for k in lonely_images])}")
            if lonely_masks:
                parts.append(f"{len(lonely_masks)} mask(s) without an image: {_names([mask_files[k] for k in lonely_masks])}")
            raise FileNotFoundError(f"SegmentationFolder {self.root!r}: " + "; ".join(parts))
        if not image_files:
            raise FileNotFoundError(f"SegmentationFolder {self.root!r}: no images with suffixes {self.extensions} in {images!r}")
        self.samples = [(str(image_files[k]), str(mask_files[k])) for k in sorted(image_files)]

    def _files(self, folder: str, what: str) -> dict[str, Path]:
        top = os.path.join(self.root, folder)
        if not os.path.isdir(top):
            raise NotADirectoryError(f"SegmentationFolder {what} folder {top!r} does not exist or is not a folder")
        found: dict[str, Path] = {}
        for path in list_images(top, self.extensions)[0]:
            key = path.relative_to(top).with_suffix("").as_posix()
            if key in found:
                raise ValueError(f"SegmentationFolder: {found[key]} and {path} have the same name; which one is meant is unclear")
            found[key] = path
        return found

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> Sample:
        image, mask = self.samples[index]
        return Sample(image, mask=mask)

    def __repr__(self) -> str:
        return f"SegmentationFolder(root={self.root!r}, samples={len(self)})"


def _names(paths: list[Path]) -> str:
    shown = ", ".join(str(p) for p in paths[:_NAMED])
    return shown + (f" and {len(paths) - _NAMED} more" if len(paths) > _NAMED else "")
