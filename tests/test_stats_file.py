"""``Stats.load`` checks every field, and the mean image's ``.npy`` header, before using them."""

from __future__ import annotations

import json

import numpy as np
import pytest
from numpy.lib import format as npy_format

import augkit.stats.store
from augkit.stats import Stats, StatsFileError


@pytest.fixture
def saved(tmp_path):
    """``(path, record)`` of a valid file of two images with a 4x4 mean image."""
    rng = np.random.default_rng(0)
    stats = Stats.from_image(rng.integers(0, 256, (6, 7, 3), dtype=np.uint8), mean_image_size=4)
    stats = stats.merge(Stats.from_image(rng.integers(0, 256, (5, 5, 3), dtype=np.uint8), mean_image_size=4))
    path = tmp_path / "stats.json"
    stats.save(path)
    return path, json.loads(path.read_text())


def _write(path, record, raw: dict[str, str] | None = None):
    text = json.dumps(record)
    for key, literal in (raw or {}).items():  # JSON literals json.dumps would not write
        text = text.replace(f'"{key}": "RAW"', f'"{key}": {literal}')
    path.write_text(text)
    return path


def test_a_saved_file_loads(saved):
    path, _ = saved
    loaded = Stats.load(path)
    assert loaded.num_images == 2 and loaded.mean_image.shape == (4, 4, 3)


@pytest.mark.parametrize(
    ("change", "raw", "message"),
    [
        ({"num_pixels": "RAW"}, {"num_pixels": "1" + "0" * 400}, "'num_pixels' must be in"),
        ({"num_pixels": "RAW"}, {"num_pixels": "1e400"}, "'num_pixels' must be an integer"),
        ({"num_images": True}, None, "'num_images' must be an integer"),
        ({"num_images": 0}, None, "'num_images' must be > 0"),
        ({"num_images": 5, "num_pixels": 3}, None, r"'num_pixels' \(3\) must be >= num_images \(5\)"),
        ({"mean": [0.5, 1.5, 0.2]}, None, "'mean' must lie in"),
        ({"mean": [0.5, -0.1, 0.2]}, None, "'mean' must lie in"),
        ({"mean": [0.5, "x", 0.2]}, None, "'mean' must be a list of numbers"),
        ({"mean": [0.5, True, 0.2]}, None, "'mean' must be a list of numbers"),
        ({"mean": "RAW"}, {"mean": "[0.5, NaN, 0.2]"}, "'mean' must hold finite"),
        ({"m2": [[-1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0]]}, None, "variances"),
        ({"m2": [[1e9, 0, 0], [0, 1.0, 0], [0, 0, 1.0]]}, None, "variances"),
        ({"m2": [[1.0, 5.0, 0], [5.0, 1.0, 0], [0, 0, 1.0]]}, None, "not a covariance"),
        ({"m2": [[1.0, 0.5], [0.5, 1.0]]}, None, r"'m2' must have shape \[3, 3\]"),
        ({"version": True}, None, "version True"),
    ],
)
def test_out_of_range_fields_are_refused(saved, tmp_path, change, raw, message):
    path, record = saved
    record = {**record, **change, "mean_image": None}
    record.pop("std"), record.pop("cov")  # derived fields are checked on their own below
    with pytest.raises(StatsFileError, match=message):
        Stats.load(_write(tmp_path / "edited.json", record, raw))


def test_edited_derived_fields_are_refused(saved, tmp_path):
    path, record = saved
    std = [v * 2 for v in record["std"]]
    with pytest.raises(StatsFileError, match="'std' disagrees"):
        Stats.load(_write(tmp_path / "edited.json", {**record, "std": std}))


def _forge_header(npy, shape) -> None:
    with open(npy, "wb") as handle:  # a header claiming a huge array, and no data: 128 bytes
        npy_format.write_array_header_1_0(handle, {"descr": "<f8", "fortran_order": False, "shape": shape})


def test_a_forged_npy_header_is_refused_before_any_allocation(saved, monkeypatch):
    path, record = saved
    huge = [100000, 100000, 3]  # 224 GiB of float64
    _forge_header(path.with_name(record["mean_image"]["file"]), tuple(huge))
    record["mean_image"] = {"file": record["mean_image"]["file"], "shape": huge}  # no sha256
    path.write_text(json.dumps(record))

    def no_load(*args, **kwargs):
        raise AssertionError("np.load was reached: the header was not checked first")

    monkeypatch.setattr(augkit.stats.store.np, "load", no_load)
    with pytest.raises(StatsFileError, match="the file is damaged"):
        Stats.load(path)


def test_npy_header_must_match_the_json(saved, monkeypatch):
    path, record = saved
    npy = path.with_name(record["mean_image"]["file"])
    record["mean_image"].pop("sha256")
    path.write_text(json.dumps(record))
    _forge_header(npy, (100000, 100000, 3))
    monkeypatch.setattr(augkit.stats.store.np, "load", None)  # must not be reached
    with pytest.raises(StatsFileError, match=r"has shape \[100000, 100000, 3\], but"):
        Stats.load(path)
    monkeypatch.undo()
    np.save(npy, np.full((4, 4, 3), 0.5))
    npy.write_bytes(npy.read_bytes()[:-8])  # one value short
    with pytest.raises(StatsFileError, match="is 504 bytes, but a float64 array of shape"):
        Stats.load(path)
    np.save(npy, np.full((4, 4, 3), 7.0))
    with pytest.raises(StatsFileError, match=r"values in \[0, 1\]"):
        Stats.load(path)
    np.save(npy, np.full((4, 4, 3), 0.5, np.int64))
    with pytest.raises(StatsFileError, match="float array"):
        Stats.load(path)


def test_mean_image_shape_entry_is_checked(saved, tmp_path):
    path, record = saved
    for shape, message in (([4, 4], "mean_image.shape"), ([4, 4, 1], "mean_image.shape"), ([4, -4, 3], "positive")):
        edited = {**record, "mean_image": {**record["mean_image"], "shape": shape}}
        with pytest.raises(StatsFileError, match=message):
            Stats.load(_write(tmp_path / "s.json", edited))
