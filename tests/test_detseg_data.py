"""CocoDetection, SegmentationFolder, PadCollate, and AugmentedDataset carrying their targets."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from detseg_data import CATEGORIES, make_coco, make_segmentation_folder, synthetic_labels
from PIL import Image

import augkit
from augkit.data import AugmentedDataset, CocoDetection, PadCollate, SegmentationFolder, Uint8Collate


@pytest.fixture(scope="module")
def coco(tmp_path_factory):
    root = tmp_path_factory.mktemp("coco")
    return make_coco(root)


def raw(path) -> dict:
    return json.loads(path.read_text())


# ----------------------------------------------------------------------------- CocoDetection


def test_items_are_samples_in_image_id_order_with_xyxy_boxes(coco):
    images_dir, annotations = coco
    data = raw(annotations)
    dataset = CocoDetection(images_dir, annotations)
    assert len(dataset) == 4 and dataset.image_ids == sorted(i["id"] for i in data["images"])
    for index in range(len(dataset)):
        sample = dataset[index]
        info = next(i for i in data["images"] if i["id"] == dataset.image_ids[index])
        assert isinstance(sample, augkit.Sample) and sample.image == str(images_dir / info["file_name"])
        kept = [a for a in data["annotations"] if a["image_id"] == info["id"] and not a["iscrowd"] and a["bbox"][2] > 0]
        expected = []
        for a in kept:
            x, y, w, h = a["bbox"]
            expected.append([max(x, 0), max(y, 0), min(x + w, info["width"]), min(y + h, info["height"])])
        np.testing.assert_allclose(sample.boxes.xyxy, np.array(expected, np.float32).reshape(-1, 4), atol=1e-4)
        assert sample.boxes.labels.tolist() == [a["category_id"] for a in kept]
        assert sample.boxes.labels.dtype == np.int64 and sample.mask is None and sample.keypoints is None


def test_image_without_annotations_has_empty_boxes(coco):
    dataset = CocoDetection(*coco, masks=True)
    empty = dataset[0]  # the highest file index has the lowest id and no annotation
    assert dataset.image_info(0)["id"] == 97
    assert empty.boxes.xyxy.shape == (0, 4) and empty.boxes.labels.shape == (0,)
    assert empty.mask.shape == (dataset.image_info(0)["height"], dataset.image_info(0)["width"], 0)


def test_crowd_annotations_are_dropped_unless_asked_for(coco):
    plain, crowd = CocoDetection(*coco), CocoDetection(*coco, include_crowd=True)
    index = plain.image_ids.index(100)
    assert len(crowd[index].boxes) == len(plain[index].boxes) + 1
    assert [a["iscrowd"] for a in crowd.annotations(index)].count(1) == 1
    assert all(a["iscrowd"] == 0 for a in plain.annotations(index))


def test_contiguous_labels_index_the_sorted_categories(coco):
    ids = CocoDetection(*coco)
    contiguous = CocoDetection(*coco, contiguous_labels=True)
    assert contiguous.category_ids == [1, 3, 7] and contiguous.class_names == ["person", "car", "dog"]
    for index in range(len(ids)):
        mapped = [contiguous.category_ids[k] for k in contiguous[index].boxes.labels.tolist()]
        assert mapped == ids[index].boxes.labels.tolist()


def test_masks_follow_the_boxes_and_the_annotation_file(coco):
    dataset = CocoDetection(*coco, masks=True, include_crowd=True)
    index = dataset.image_ids.index(100)
    sample = dataset[index]
    height, width = sample.mask.shape[:2]
    assert sample.mask.shape[2] == len(sample.boxes) and sample.mask.dtype == np.uint8
    # the RLE annotations (uncompressed and crowd-compressed) both hold the block [20:60, 30:90]
    kinds = [type(a["segmentation"]).__name__ for a in dataset.annotations(index)]
    blocks = [sample.mask[:, :, i] for i, kind in enumerate(kinds) if kind == "dict"]
    expected = np.zeros((height, width), np.uint8)
    expected[20:60, 30:90] = 1
    assert len(blocks) == 2 and all(np.array_equal(b, expected) for b in blocks)
    # polygon masks lie inside their (rounded-out) boxes
    for i, kind in enumerate(kinds):
        if kind == "list":
            rows, cols = np.nonzero(sample.mask[:, :, i])
            x1, y1, x2, y2 = sample.boxes.xyxy[i]
            assert rows.size and rows.min() >= np.floor(y1) and rows.max() <= np.ceil(y2)
            assert cols.min() >= np.floor(x1) and cols.max() <= np.ceil(x2)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_masks_equal_pycocotools_ann_to_mask(coco):
    coco_api = pytest.importorskip("pycocotools.coco")
    images_dir, annotations = coco
    reference = coco_api.COCO(str(annotations))
    dataset = CocoDetection(images_dir, annotations, masks=True, include_crowd=True)
    for index in range(len(dataset)):
        sample = dataset[index]
        for i, annotation in enumerate(dataset.annotations(index)):
            np.testing.assert_array_equal(sample.mask[:, :, i], reference.annToMask(annotation))


def test_keypoints_with_visibility(coco):
    dataset = CocoDetection(*coco, keypoints=True)
    index = dataset.image_ids.index(99)
    sample, annotations = dataset[index], dataset.annotations(index)
    assert sample.keypoints.xy.shape == (len(annotations), 3, 2)
    for i, annotation in enumerate(annotations):
        if "keypoints" in annotation:
            triples = np.array(annotation["keypoints"], np.float32).reshape(-1, 3)
            np.testing.assert_array_equal(sample.keypoints.xy[i], triples[:, :2])
            assert sample.keypoints.visible[i].tolist() == (triples[:, 2] > 0).tolist()
        else:
            assert not sample.keypoints.visible[i].any()


def test_bad_annotation_files_are_named(tmp_path, coco):
    images_dir, annotations = coco
    with pytest.raises(FileNotFoundError, match="nope.json"):
        CocoDetection(images_dir, tmp_path / "nope.json")
    with pytest.raises(NotADirectoryError, match="missing"):
        CocoDetection(tmp_path / "missing", annotations)
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    with pytest.raises(ValueError, match="broken.json is not a valid JSON"):
        CocoDetection(images_dir, broken)
    data = raw(annotations)
    data["annotations"][2]["category_id"] = 42
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=r"annotations\[2\] has category_id 42"):
        CocoDetection(images_dir, wrong)
    data = raw(annotations)
    del data["images"][1]["height"]
    wrong.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=r"images\[1\] has no 'height'"):
        CocoDetection(images_dir, wrong)
    with pytest.raises(ValueError, match="no category or annotation has keypoints"):
        data = raw(annotations)
        data["categories"] = [{"id": c["id"], "name": c["name"]} for c in CATEGORIES]
        for a in data["annotations"]:
            a.pop("keypoints", None)
        wrong.write_text(json.dumps(data))
        CocoDetection(images_dir, wrong, keypoints=True)


# ----------------------------------------------------------------------------- SegmentationFolder


def test_segmentation_folder_pairs_images_and_palette_masks(tmp_path):
    root = make_segmentation_folder(tmp_path, count=3)
    dataset = SegmentationFolder(root)
    assert len(dataset) == 3
    augmented = AugmentedDataset(dataset, None, seed=0)
    for index in range(3):
        sample = augmented[index]
        height, width = sample.image.shape[:2]
        # the palette indices, not the colours they are drawn with
        np.testing.assert_array_equal(sample.mask, synthetic_labels(height, width, 5, index))
        assert sample.key == index


def test_segmentation_folder_names_unmatched_files(tmp_path):
    root = make_segmentation_folder(tmp_path, count=3)
    (root / "masks" / "001.png").unlink()
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(root / "masks" / "stray.png")
    with pytest.raises(FileNotFoundError, match=r"1 image\(s\) without a mask: .*001\.png.*1 mask\(s\) without an image: .*stray\.png"):
        SegmentationFolder(root)
    with pytest.raises(NotADirectoryError, match="labels"):
        SegmentationFolder(root, masks="labels")


def test_segmentation_folder_refuses_two_files_of_one_name(tmp_path):
    root = make_segmentation_folder(tmp_path, count=2)
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(root / "images" / "001.jpg")
    with pytest.raises(ValueError, match="same name"):
        SegmentationFolder(root)


def test_a_mask_of_another_size_is_refused_naming_both_files(tmp_path):
    root = make_segmentation_folder(tmp_path, count=1)
    Image.fromarray(np.zeros((5, 6), np.uint8)).save(root / "masks" / "000.png")
    with pytest.raises(ValueError, match=r"000\.png.*5 x 6.*must have its image's height and width"):
        AugmentedDataset(SegmentationFolder(root), None, seed=0)[0]


# ----------------------------------------------------------------------------- through the loader


def test_augmented_dataset_moves_every_target_of_coco_samples(coco):
    dataset = CocoDetection(*coco, masks=True, keypoints=True)
    pipeline = augkit.Compose([augkit.RandomIoUCrop(), augkit.HorizontalFlip(), augkit.ToTensor()])
    augmented = AugmentedDataset(dataset, pipeline, seed=3)
    for index in range(len(dataset)):
        out = augmented[index]
        assert out.key == index and out.image.dtype == torch.uint8
        height, width = out.image.shape[1:]
        # mask channels are not tied to boxes: a crop that drops boxes keeps every channel
        assert tuple(out.mask.shape) == (len(dataset.annotations(index)), height, width)
        assert len(out.boxes) <= len(dataset.annotations(index))
        assert len(out.keypoints) == len(dataset[index].keypoints)
        xyxy = out.boxes.xyxy
        assert bool((xyxy[:, 0] >= 0).all() and (xyxy[:, 2] <= width).all() and (xyxy[:, 3] <= height).all())


def test_pad_collate_pads_bottom_right_and_keeps_boxes():
    images = [np.full((h, w, 3), 10 + i, np.uint8) for i, (h, w) in enumerate(((30, 41), (50, 20), (33, 33)))]
    samples = [
        augkit.Sample(augkit.ToTensor()(image), mask=np.full(image.shape[:2], 3, np.uint8), boxes=[[1, 2, 5, 6]], key=i)
        for i, image in enumerate(images)
    ]
    batch = PadCollate(size_divisible=16, fill=7, mask_fill=255)(samples)
    assert tuple(batch.images.shape) == (3, 3, 64, 48) and tuple(batch.masks.shape) == (3, 64, 48)
    for i, image in enumerate(images):
        h, w = image.shape[:2]
        assert bool((batch.images[i, :, :h, :w] == 10 + i).all()) and bool((batch.images[i, :, h:, :] == 7).all())
        assert bool((batch.masks[i, :h, :w] == 3).all()) and bool((batch.masks[i, :, w:] == 255).all())
        assert batch.boxes[i].xyxy.tolist() == [[1.0, 2.0, 5.0, 6.0]]
    assert batch.keys.tolist() == [0, 1, 2]
    pairs = PadCollate(size_divisible=1)([(images[0], 1), (images[1], 0)])
    assert tuple(pairs.images.shape) == (2, 3, 50, 41) and pairs.labels.tolist() == [1, 0]
    with pytest.raises(ValueError, match="size_divisible"):
        PadCollate(size_divisible=0)
    with pytest.raises(ValueError, match="one (size|shape)"):
        Uint8Collate()(samples)
