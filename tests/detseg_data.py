"""Small detection and segmentation datasets built in a folder from the bundled photos."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
from PIL import Image

import augkit
from augkit.samples import sample_paths

#: The category ids of the tiny COCO file (not contiguous, as COCO's).
CATEGORIES = [{"id": 1, "name": "person", "keypoints": ["a", "b", "c"]}, {"id": 3, "name": "car"}, {"id": 7, "name": "dog"}]


def photos(count: int = 4) -> list[Path]:
    """The first ``count`` bundled JPEG / PNG photos."""
    return sample_paths()[:count]


def box_polygon(x1: float, y1: float, x2: float, y2: float) -> list[float]:
    return [x1, y1, x2, y1, x2, y2, x1, y2]


def uncompressed_rle(mask: np.ndarray) -> dict:
    """COCO's uncompressed RLE of a 0/1 mask (column-major runs, zeros first)."""
    flat = mask.T.reshape(-1)
    changes = np.flatnonzero(np.diff(flat)) + 1
    runs = np.diff(np.concatenate([[0], changes, [flat.size]])).tolist()
    return {"counts": ([0] + runs) if flat[0] else runs, "size": list(mask.shape)}


def make_coco(root: Path, count: int = 4, seed: int = 0) -> tuple[Path, Path]:
    """Copy ``count`` photos to ``root/images`` and write ``root/coco.json`` with varied annotations.

    Image 0 has polygon, uncompressed-RLE and crowd annotations, a box partly outside the
    image and a box of no area; the last image has no annotation; every other image has a
    few random boxes with polygon masks and keypoints.
    """
    rng = np.random.default_rng(seed)
    folder = root / "images"
    folder.mkdir(parents=True, exist_ok=True)
    images, annotations = [], []
    for index, path in enumerate(photos(count)):
        name = f"{index:03d}{path.suffix}"
        shutil.copy(path, folder / name)
        width, height = Image.open(path).size
        image_id = 100 - index  # ids in the reverse of file order: items are sorted by id
        images.append({"id": image_id, "file_name": name, "height": height, "width": width})
        if index == count - 1:
            continue
        for k in range(3):
            x1, y1 = rng.uniform(0, width * 0.6), rng.uniform(0, height * 0.6)
            w, h = rng.uniform(10, width * 0.4), rng.uniform(10, height * 0.4)
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": image_id,
                    "category_id": [1, 3, 7][k],
                    "bbox": [x1, y1, w, h],
                    "iscrowd": 0,
                    "area": w * h,
                    "segmentation": [box_polygon(x1, y1, x1 + w, y1 + h)],
                    "keypoints": [x1 + 2, y1 + 2, 2, x1 + w / 2, y1 + h / 2, 1, 0, 0, 0] if k == 0 else None,
                }
            )
            if annotations[-1]["keypoints"] is None:
                del annotations[-1]["keypoints"]
        if index == 0:
            blob = np.zeros((height, width), np.uint8)
            blob[20:60, 30:90] = 1
            extra = [
                {"bbox": [30, 20, 60, 40], "category_id": 3, "iscrowd": 0, "segmentation": uncompressed_rle(blob)},
                {"bbox": [100, 50, 40, 30], "category_id": 7, "iscrowd": 1, "segmentation": _compressed(blob)},
                {
                    "bbox": [width - 10, height - 20, 50, 40],
                    "category_id": 3,
                    "iscrowd": 0,
                    "segmentation": [box_polygon(width - 10, height - 20, width, height)],
                },
                {"bbox": [5, 5, 0, 10], "category_id": 3, "iscrowd": 0, "segmentation": [box_polygon(5, 5, 6, 15)]},
            ]
            for annotation in extra:
                annotations.append({"id": len(annotations) + 1, "image_id": image_id, "area": 1.0, **annotation})
    coco = {"images": images, "annotations": annotations, "categories": CATEGORIES}
    path = root / "coco.json"
    path.write_text(json.dumps(coco))
    return folder, path


def _compressed(mask: np.ndarray) -> dict:
    """pycocotools' compressed form, written with the documented string format."""
    return {"counts": encode_string(uncompressed_rle(mask)["counts"]), "size": list(mask.shape)}


def encode_string(counts) -> str:
    """An independent writer of pycocotools' compressed string (the format as documented in maskApi.c)."""
    out = []
    for i, value in enumerate(counts):
        x = int(value) - (int(counts[i - 2]) if i > 2 else 0)
        more = True
        while more:
            c = x & 0x1F
            x >>= 5
            more = not ((c & 0x10) == 0 and x == 0 or (c & 0x10) != 0 and x == -1)
            if more:
                c |= 0x20
            out.append(chr(c + 48))
    return "".join(out)


def make_segmentation_folder(root: Path, count: int = 4, classes: int = 5, palette: bool = True) -> Path:
    """``root/images`` (the bundled photos) and ``root/masks`` (palette PNG label maps of blocks)."""
    (root / "images").mkdir(parents=True, exist_ok=True)
    (root / "masks").mkdir(parents=True, exist_ok=True)
    for index, path in enumerate(photos(count)):
        shutil.copy(path, root / "images" / f"{index:03d}{path.suffix}")
        width, height = Image.open(path).size
        labels = synthetic_labels(height, width, classes, index)
        mask = Image.fromarray(labels, mode="P" if palette else "L")
        if palette:
            mask.putpalette(sum(([37 * k % 256, 91 * k % 256, 53 * k % 256] for k in range(256)), []))
        mask.save(root / "masks" / f"{index:03d}.png")
    return root


def synthetic_labels(height: int, width: int, classes: int, seed: int) -> np.ndarray:
    """A label map of rectangles with ids 0..classes-1 (and some 255 "ignore" pixels)."""
    rng = np.random.default_rng(seed)
    labels = np.zeros((height, width), np.uint8)
    for k in range(1, classes):
        y, x = int(rng.integers(0, height - 20)), int(rng.integers(0, width - 20))
        labels[y : y + int(rng.integers(10, height // 2)), x : x + int(rng.integers(10, width // 2))] = k
    labels[:3, :3] = 255
    return labels


def synthetic_boxes(height: int, width: int, count: int, seed: int) -> augkit.Boxes:
    """``count`` random boxes inside a ``height x width`` image, labels 1..count."""
    rng = np.random.default_rng(seed)
    x1, y1 = rng.uniform(0, width - 20, count), rng.uniform(0, height - 20, count)
    x2 = np.minimum(x1 + rng.uniform(8, width / 2, count), width)
    y2 = np.minimum(y1 + rng.uniform(8, height / 2, count), height)
    return augkit.Boxes(np.stack([x1, y1, x2, y2], 1).astype(np.float32), np.arange(1, count + 1))
