"""``CocoDetection``: a COCO-format annotation file read into ``augkit.Sample`` s with boxes.

Items are ``Sample(image=path, boxes=Boxes(xyxy, labels), mask=..., keypoints=...)``; the
image stays a path (``AugmentedDataset`` decodes it in the workers). Masks are rasterised
from polygons and run-length encodings with ``augkit.data.coco_mask`` (pycocotools'
algorithms, bit for bit), only when an item is read.
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np
from torch.utils.data import Dataset

from augkit.data.coco_mask import segmentation_mask
from augkit.targets import Boxes, Keypoints, Sample


class CocoDetection(Dataset):
    """Images and their COCO annotations: boxes with category labels, optionally masks and keypoints.

    Follows torchvision's detection reference (``references/detection/coco_utils.py``), as
    its presets expect:

    * images are ordered by their ``id``; each image's annotations keep the file's order;
    * crowd annotations (``iscrowd: 1``) are left out unless ``include_crowd=True`` (they
      are then ordinary boxes; ``annotations(i)`` tells them apart);
    * boxes are converted from COCO's ``[x, y, width, height]`` to ``xyxy`` pixels, clamped to
      the image, and an annotation whose box is left with no area is dropped with its mask
      and keypoints;
    * images without annotations are kept, with empty ``Boxes`` (zero boxes).

    Labels are COCO's category ids (int64), or with ``contiguous_labels=True`` the position
    of the category among the categories sorted by id (0, 1, 2, ...: what a classifier head
    of ``len(dataset.categories)`` outputs indexes; ``category_ids[label]`` maps back).

    Masks (``masks=True``) are ``(H, W, N)`` uint8 0/1 instance masks, channel ``i`` for box
    ``i``, exactly as pycocotools' ``annToMask`` draws them (polygons, compressed and
    uncompressed RLE). Transforms move every channel; one that drops boxes (a crop leaving
    a box with no area, ``RandomIoUCrop``) keeps all channels, so channel ``i`` is box ``i``
    only until a box is dropped, and instance masks of different counts do not stack into
    one batch (use ``batch_size=1`` for them). Keypoints (``keypoints=True``) are ``Keypoints(xy [N, K, 2],
    visible [N, K])`` with COCO's ``v > 0`` as visible; annotations without keypoints get
    ``K`` invisible points at ``(0, 0)``.

    Args:
        images_dir: The folder the ``file_name`` s are relative to.
        annotations_json: The COCO annotation file (``instances_*.json``, ``person_keypoints_*.json``).
        masks: Read instance masks.
        keypoints: Read keypoints.
        include_crowd: Keep crowd annotations.
        contiguous_labels: Labels ``0..C-1`` rather than category ids.

    Attributes:
        categories: The category dicts, sorted by id.
        category_ids: The category ids, sorted (``category_ids[k]`` is contiguous label ``k``).
        class_names: The categories' names, in the same order.
        image_ids: The image id of every item.

    Raises:
        NotADirectoryError: ``images_dir`` is not a folder.
        FileNotFoundError: ``annotations_json`` is missing.
        ValueError: The file is not valid JSON or not COCO-shaped; the error names the file
            and the offending entry.

    Example:
        >>> import json, pathlib, tempfile
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> coco = {"images": [{"id": 1, "file_name": "a.jpg", "height": 4, "width": 6}],
        ...         "annotations": [{"id": 1, "image_id": 1, "category_id": 3, "bbox": [1, 1, 2, 2], "iscrowd": 0}],
        ...         "categories": [{"id": 3, "name": "car"}]}
        >>> _ = (root / "coco.json").write_text(json.dumps(coco))
        >>> sample = CocoDetection(root, root / "coco.json")[0]
        >>> sample.boxes.xyxy.tolist(), sample.boxes.labels.tolist()
        ([[1.0, 1.0, 3.0, 3.0]], [3])
    """

    def __init__(
        self,
        images_dir,
        annotations_json,
        masks: bool = False,
        keypoints: bool = False,
        *,
        include_crowd: bool = False,
        contiguous_labels: bool = False,
    ) -> None:
        self.images_dir = os.fspath(images_dir)
        self.annotations_json = os.fspath(annotations_json)
        for name, value in (
            ("masks", masks),
            ("keypoints", keypoints),
            ("include_crowd", include_crowd),
            ("contiguous_labels", contiguous_labels),
        ):
            if not isinstance(value, bool):
                raise TypeError(f"{name} must be a bool, got {type(value).__name__}")
        self.masks, self.keypoints = masks, keypoints
        self.include_crowd, self.contiguous_labels = include_crowd, contiguous_labels
        if not os.path.isdir(self.images_dir):
            raise NotADirectoryError(f"CocoDetection images_dir {self.images_dir!r} does not exist or is not a folder")
        data = _read_json(self.annotations_json)
        self.categories = sorted(_entries(data, "categories", self.annotations_json, ("id",)), key=lambda c: c["id"])
        self.category_ids = [int(c["id"]) for c in self.categories]
        self.class_names = [str(c.get("name", c["id"])) for c in self.categories]
        self._label_of = {cid: (k if contiguous_labels else cid) for k, cid in enumerate(self.category_ids)}
        images = _entries(data, "images", self.annotations_json, ("id", "file_name", "height", "width"))
        self._images = sorted(images, key=lambda image: image["id"])
        self.image_ids = [image["id"] for image in self._images]
        position = {image_id: i for i, image_id in enumerate(self.image_ids)}
        if len(position) != len(self.image_ids):
            raise ValueError(f"{self.annotations_json}: image ids must be unique")
        self._annotations: list[list[dict[str, Any]]] = [[] for _ in self._images]
        needed = ("image_id", "category_id", "bbox") + (("segmentation",) if masks else ())
        for k, annotation in enumerate(_entries(data, "annotations", self.annotations_json, needed)):
            where = f"{self.annotations_json}: annotations[{k}]"
            if annotation["image_id"] not in position:
                raise ValueError(f"{where} refers to image_id {annotation['image_id']!r}, which is not in 'images'")
            if annotation["category_id"] not in self._label_of:
                raise ValueError(f"{where} has category_id {annotation['category_id']!r}, which is not in 'categories'")
            if annotation.get("iscrowd", 0) and not include_crowd:
                continue
            self._annotations[position[annotation["image_id"]]].append(annotation)
        self._num_keypoints = _keypoint_count(self.categories, data["annotations"]) if keypoints else 0
        if keypoints and self._num_keypoints == 0:
            raise ValueError(f"{self.annotations_json}: keypoints=True, but no category or annotation has keypoints")

    def __len__(self) -> int:
        return len(self._images)

    def image_info(self, index: int) -> dict[str, Any]:
        """The COCO ``images`` entry of item ``index``."""
        return self._images[index]

    def annotations(self, index: int) -> list[dict[str, Any]]:
        """The COCO annotations of item ``index`` that became its boxes, in box order."""
        info = self._images[index]
        return [a for a in self._annotations[index] if _valid_box(a["bbox"], info["height"], info["width"])]

    def __getitem__(self, index: int) -> Sample:
        info = self._images[index]
        height, width = int(info["height"]), int(info["width"])
        annotations = self.annotations(index)
        boxes = _xyxy(annotations, height, width)
        labels = np.array([self._label_of[a["category_id"]] for a in annotations], dtype=np.int64)
        mask = None
        if self.masks:
            mask = np.zeros((height, width, len(annotations)), np.uint8)
            for i, annotation in enumerate(annotations):
                try:
                    mask[:, :, i] = segmentation_mask(annotation["segmentation"], height, width)
                except (TypeError, ValueError) as error:
                    raise ValueError(
                        f"{self.annotations_json}: annotation {annotation.get('id')!r} of image {info['id']!r}: {error}"
                    ) from error
        points = None
        if self.keypoints:
            points = _keypoints(annotations, self._num_keypoints, self.annotations_json)
        return Sample(os.path.join(self.images_dir, info["file_name"]), mask=mask, boxes=Boxes(boxes, labels), keypoints=points)

    def __repr__(self) -> str:
        return f"CocoDetection(images={len(self)}, categories={len(self.categories)}, masks={self.masks}, keypoints={self.keypoints})"


def _read_json(path: str) -> dict:
    if not os.path.exists(path):
        raise FileNotFoundError(f"CocoDetection annotations_json {path!r} does not exist")
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{path} is not a valid JSON file: {error}") from error
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a COCO file is a JSON object with 'images', 'annotations' and 'categories'")
    return data


def _entries(data: dict, key: str, path: str, fields: tuple[str, ...]) -> list[dict]:
    entries = data.get(key)
    if not isinstance(entries, list):
        raise ValueError(f"{path}: a COCO file needs a list {key!r}, got {type(entries).__name__}")
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ValueError(f"{path}: {key}[{i}] must be an object, got {type(entry).__name__}")
        missing = [f for f in fields if f not in entry]
        if missing:
            raise ValueError(f"{path}: {key}[{i}] has no {', '.join(repr(m) for m in missing)}")
    return entries


def _valid_box(bbox, height: int, width: int) -> bool:
    x, y, w, h = (float(v) for v in bbox)
    x1, x2 = min(max(x, 0.0), width), min(max(x + w, 0.0), width)
    y1, y2 = min(max(y, 0.0), height), min(max(y + h, 0.0), height)
    return x2 > x1 and y2 > y1


def _xyxy(annotations: list[dict], height: int, width: int) -> np.ndarray:
    if not annotations:
        return np.zeros((0, 4), np.float32)
    boxes = Boxes.from_format(np.array([a["bbox"] for a in annotations], np.float64), "xywh").xyxy
    boxes[:, 0::2] = np.clip(boxes[:, 0::2], 0, width)
    boxes[:, 1::2] = np.clip(boxes[:, 1::2], 0, height)
    return boxes


def _keypoint_count(categories: list[dict], annotations: list) -> int:
    named = [len(c["keypoints"]) for c in categories if isinstance(c.get("keypoints"), list)]
    found = [len(a["keypoints"]) // 3 for a in annotations if isinstance(a, dict) and isinstance(a.get("keypoints"), list)]
    return max(named + found, default=0)


def _keypoints(annotations: list[dict], count: int, path: str) -> Keypoints:
    xy = np.zeros((len(annotations), count, 2), np.float32)
    visible = np.zeros((len(annotations), count), bool)
    for i, annotation in enumerate(annotations):
        values = annotation.get("keypoints")
        if values is None:
            continue
        triples = np.asarray(values, np.float32)
        if triples.size % 3 or triples.size // 3 > count:
            raise ValueError(f"{path}: annotation {annotation.get('id')!r} has {triples.size} keypoint numbers, expected {3 * count}")
        triples = triples.reshape(-1, 3)
        xy[i, : len(triples)] = triples[:, :2]
        visible[i, : len(triples)] = triples[:, 2] > 0
    return Keypoints(xy, visible)
