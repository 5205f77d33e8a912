"""Data at scale: keyed streaming (AugmentedIterable), tar shards, augkit pack, resumable passes, stats over shards."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from scale_data import as_dict, build_loader, env, make_folder, pack, pipeline, run_epochs
from torch.utils.data import DataLoader, DistributedSampler

import augkit
from augkit.cli import main
from augkit.data import (
    AugmentedDataset,
    AugmentedIterable,
    DeviceLoader,
    EpochSampler,
    ImageFolder,
    SkippedItemWarning,
    TarShards,
    Uint8Collate,
    expand_urls,
    keyed_folder,
    tar_samples,
)
from augkit.data.webdataset import EpochShuffle, shards
from augkit.rng import derive_generator

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return make_folder(tmp_path_factory.mktemp("folder"))


@pytest.fixture(scope="module")
def packed(folder, tmp_path_factory) -> list[str]:
    return pack(folder, tmp_path_factory.mktemp("shards"))


def _stream(source, epoch=0, num_workers=0, batch_size=3, **options) -> dict:
    dataset = AugmentedIterable(source, pipeline(), seed=3, **options)
    dataset.set_epoch(epoch)
    return as_dict(DataLoader(dataset, batch_size=batch_size, num_workers=num_workers, collate_fn=Uint8Collate()))


# ----------------------------------------------------------------- pack


def test_pack_writes_shards_and_a_manifest(folder, packed):
    manifest = json.loads((Path(packed[0]).parent / "manifest.json").read_text())
    assert manifest["count"] == 14 and manifest["classes"] == ["cat", "dog"] and len(packed) > 2
    assert [s["name"] for s in manifest["shards"]] == [Path(p).name for p in packed]
    assert sum(s["count"] for s in manifest["shards"]) == 14
    assert all(s["bytes"] == Path(p).stat().st_size <= 12_000 or s["count"] == 1 for s, p in zip(manifest["shards"], packed))
    members = {}
    for path in packed:
        with tarfile.open(path) as archive:
            members.update({m.name: archive.extractfile(m).read() for m in archive})
    assert members["cat/im_2.png"] == (folder / "cat" / "im.2.png").read_bytes()  # stored byte for byte
    assert members["dog/im_0.jpg"] == (folder / "dog" / "im.0.jpg").read_bytes() and members["dog/im_0.cls"] == b"1"
    assert main(["pack", str(folder), str(Path(packed[0]).parent), "--no-progress"]) == 1  # never overwrites


def test_pack_max_side_reencodes_only_larger_images(folder, tmp_path):
    paths = pack(folder, tmp_path / "small", "--max-side", "28", "--quality", "95")
    manifest = json.loads((tmp_path / "small" / "manifest.json").read_text())
    originals = {key: Path(path) for key, path, _ in keyed_folder(folder)}
    larger = 0
    for sample in tar_samples(paths):
        original = originals[sample["__key__"]]
        pixels = augkit.decode(original)
        if max(pixels.shape[:2]) <= 28:
            assert sample.get("jpg", sample.get("png")) == original.read_bytes()
        else:
            larger += 1
            small = augkit.decode(sample["jpg"])
            assert max(small.shape[:2]) == 28 and abs(small.shape[0] / small.shape[1] - pixels.shape[0] / pixels.shape[1]) < 0.05
    assert manifest["sizes"]["reencoded"] == larger == 4
    assert manifest["options"]["max_side"] == 28 and manifest["options"]["quality"] == 95


def test_pack_a_list_file_and_bad_options(folder, tmp_path):
    listing = tmp_path / "list.txt"
    listing.write_text(f"{folder / 'cat' / 'im.0.jpg'} 4\n# a comment\n{folder / 'dog' / 'im.1.jpg'}\n")
    paths = pack(listing, tmp_path / "out")
    samples = list(tar_samples(paths))
    assert len(samples) == 2 and sorted(s.get("cls") for s in samples if "cls" in s) == [b"4"]
    assert main(["pack", str(folder), str(tmp_path / "x"), "--max-side", "0"]) == 2
    with pytest.raises(SystemExit):
        main(["pack", str(folder), str(tmp_path / "x"), "--shard-size", "lots"])


# ----------------------------------------------------------------- keyed determinism


def test_pack_then_stream_equals_the_folder(folder, packed):
    originals = {key: path for key, path, _ in keyed_folder(folder)}
    plain = list(AugmentedIterable(tar_samples(packed), None))
    assert sorted(item.key for item in plain) == sorted(originals)
    for item in plain:
        assert np.array_equal(item[0], augkit.decode(originals[item.key]))  # the same images, without augmentation
    reference = _stream(keyed_folder(folder))
    assert len(reference) == 14 and _stream(tar_samples(packed)).keys() == reference.keys()
    for key, (image, label) in _stream(tar_samples(packed)).items():
        assert torch.equal(image, reference[key][0]) and label == reference[key][1]


@pytest.mark.parametrize("num_workers", [0, 1, 2])
def test_keyed_augmentation_ignores_workers_shard_order_and_shuffles(packed, folder, num_workers):
    wds = pytest.importorskip("webdataset")
    reference = _stream(keyed_folder(folder))
    sources = [
        wds.WebDataset(packed[::-1], shardshuffle=False, empty_check=False).shuffle(5),
        shards(packed, shuffle=3, seed=num_workers),
    ]
    for source in sources:
        got = _stream(source, num_workers=num_workers)
        assert got.keys() == reference.keys()
        assert all(torch.equal(got[k][0], reference[k][0]) and got[k][1] == reference[k][1] for k in got)


def test_a_sample_is_a_pure_function_of_seed_epoch_key(packed, folder):
    samples = {s["__key__"]: s for s in tar_samples(packed)}
    epoch1 = _stream(tar_samples(packed), epoch=1)
    epoch0 = _stream(tar_samples(packed), epoch=0)
    key = "dog/im_3"
    expected = pipeline()(augkit.decode(samples[key]["jpg"]), rng=derive_generator(3, 1, key))
    assert torch.equal(epoch1[key][0], expected)
    assert sum(torch.equal(epoch0[k][0], epoch1[k][0]) for k in epoch0) <= 1, "different epochs must differ"


def test_split_by_samples_gives_each_sample_once_across_ranks_and_workers(folder):
    samples = keyed_folder(folder)
    seen = []
    for rank in range(2):
        dataset = AugmentedIterable(samples, pipeline(), seed=0, num_replicas=2, rank=rank)
        assert dataset.split == "samples"
        loader = DataLoader(dataset, batch_size=2, num_workers=2, collate_fn=Uint8Collate())
        seen += [k for batch in loader for k in batch.keys]
    assert sorted(seen) == sorted(k for k, _, _ in samples)


def test_epoch_shuffle_is_reproducible_per_epoch():
    stage = EpochShuffle(4, seed=1)
    first = list(stage(iter(range(20))))
    assert sorted(first) == list(range(20)) and first == list(stage(iter(range(20)))) and first != list(range(20))
    stage.set_epoch(1)
    assert list(stage(iter(range(20)))) != first
    with pytest.raises(ValueError, match="bufsize"):
        EpochShuffle(0)


def test_on_error_skip_counts_each_bad_sample_once(folder):
    samples = keyed_folder(folder)[:6] + [("broken", b"not an image", 0)]
    dataset = AugmentedIterable(samples, pipeline(), seed=0, on_error="skip")
    loader = DeviceLoader(DataLoader(dataset, batch_size=2, num_workers=2, collate_fn=Uint8Collate()), "cpu")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(2):
            assert sum(len(b.keys) for b in loader) == 6
    assert dataset.num_skipped == 1 and dataset.epoch == 1
    assert any(issubclass(w.category, SkippedItemWarning) and "1 undecodable" in str(w.message) for w in caught)
    with pytest.raises(augkit.ImageDecodeError, match="broken"):
        list(AugmentedIterable(samples, pipeline(), seed=0))


def test_augmented_iterable_arguments_and_record_forms(folder):
    with pytest.raises(TypeError, match="path"):
        AugmentedIterable("shards/", pipeline())
    with pytest.raises(ValueError, match="split"):
        AugmentedIterable([], pipeline(), split="nodes")
    with pytest.raises(ValueError, match="on_error"):
        AugmentedIterable([], pipeline(), on_error="ignore")
    with pytest.raises(ValueError, match="rank"):
        AugmentedIterable([], pipeline(), num_replicas=2, rank=2)
    path = keyed_folder(folder)[0][1]
    record = {"__key__": "k", "png": Path(path).read_bytes(), "cls": b"7", "json": b"{}"}
    (item,) = AugmentedIterable([record], None)
    assert item.key == "k" and item[1] == 7 and item[0].shape[2] == 3
    (item,) = AugmentedIterable([{"id": "z", "image": augkit.decode(path), "label": 2}], None, key="id", target=False)
    assert item.key == "z" and item[1] is None
    with pytest.warns(augkit.data.RepeatedEpochWarning):
        stream = AugmentedIterable([("a", augkit.decode(path), 0)], pipeline(), seed=0)
        list(stream), list(stream)


# ----------------------------------------------------------------- tar reading and stats over shards


def test_expand_urls_and_tar_shards(packed):
    folder = Path(packed[0]).parent
    assert expand_urls(str(folder / "shard-{000000..000001}.tar")) == packed[:2]
    assert expand_urls(f"{packed[0]}::{packed[1]}") == packed[:2] == expand_urls(str(folder / "shard-00000[01].tar"))
    data = TarShards(list(reversed(packed)), sort=True)
    assert data.keys == sorted(data.keys) and len(data) == 14
    image, target = data[data.keys.index("dog/im_1")]
    assert target == 1 and augkit.decode(image).shape == (25, 27, 3)
    with pytest.raises(ValueError, match="local"):
        TarShards("http://host/shard.tar")


def test_stats_over_shards_equal_the_folder(folder, packed, tmp_path):
    over_folder = augkit.stats.compute(folder, progress=False, batch_size=4)
    over_shards = augkit.stats.compute(list(reversed(packed)), progress=False, batch_size=4)
    assert over_shards.num_images == over_folder.num_images == 14
    assert np.array_equal(over_shards.mean, over_folder.mean) and np.array_equal(over_shards.cov, over_folder.cov)
    pattern = str(Path(packed[0]).parent / f"shard-{{000000..{len(packed) - 1:06d}}}.tar")
    assert main(["stats", pattern, "--out", str(tmp_path / "s.json"), "--no-progress", "--batch-size", "4"]) == 0
    assert np.array_equal(augkit.stats.Stats.load(tmp_path / "s.json").mean, over_folder.mean)


# ----------------------------------------------------------------- resumable passes


@pytest.mark.parametrize(("mode", "workers", "stop"), [("map", 0, 6), ("stream", 2, 9)])
def test_resume_in_a_new_process_equals_an_uninterrupted_run(folder, packed, tmp_path, mode, workers, stop):
    data = str(folder) if mode == "map" else str(Path(packed[0]).parent)
    full = run_epochs(build_loader(mode, data, workers), until_epoch=2)
    interrupted = build_loader(mode, data, workers)
    first = run_epochs(interrupted, until_epoch=2, stop_after=stop)
    state = interrupted.state_dict()
    assert state["epoch"] == 1 and state["batches"] == stop - len(full) // 2
    assert (state["stream"] is not None) == (mode == "stream")
    (tmp_path / "state.json").write_text(json.dumps(state))
    command = [
        sys.executable,
        str(HERE / "resume_job.py"),
        mode,
        data,
        str(workers),
        str(tmp_path / "state.json"),
        str(tmp_path / "out.pt"),
    ]
    subprocess.run(command, check=True, env=env(), cwd=HERE, timeout=60, capture_output=True)
    rest = torch.load(tmp_path / "out.pt")
    assert len(first) + len(rest) == len(full)
    for (images, keys), (want, want_keys) in zip(first + rest, full):
        assert keys == want_keys and torch.equal(images, want)


def test_resume_by_replaying_a_reproducible_sampler(folder):
    def make():
        dataset = AugmentedDataset(ImageFolder(folder), pipeline())
        sampler = DistributedSampler(dataset, num_replicas=1, rank=0, seed=2)
        return DeviceLoader(DataLoader(dataset, batch_size=4, sampler=sampler, collate_fn=Uint8Collate()), "cpu", seed=1)

    full = run_epochs(make(), until_epoch=2)
    stopped = make()
    first = run_epochs(stopped, until_epoch=2, stop_after=5)
    resumed = make()
    resumed.load_state_dict(json.loads(json.dumps(stopped.state_dict())))
    rest = run_epochs(resumed, until_epoch=2)
    assert [k for _, k in first + rest] == [k for _, k in full]
    assert all(torch.equal(a, b) for (a, _), (b, _) in zip(first + rest, full))


def test_state_dict_between_passes_and_refusals(folder):
    dataset = AugmentedDataset(ImageFolder(folder), pipeline())
    loader = DeviceLoader(DataLoader(dataset, batch_size=4, sampler=EpochSampler(dataset), collate_fn=Uint8Collate()), "cpu", seed=1)
    assert loader.state_dict()["epoch"] == 0 and loader.state_dict()["batches"] == 0
    list(loader)
    assert loader.state_dict()["epoch"] == 1 and loader.state_dict()["batches"] == 0
    other = DeviceLoader(DataLoader(dataset, batch_size=4, collate_fn=Uint8Collate()), "cpu", seed=2)
    with pytest.raises(ValueError, match="seed 1"):
        other.load_state_dict(loader.state_dict())
    shuffled = DeviceLoader(DataLoader(dataset, batch_size=4, shuffle=True, collate_fn=Uint8Collate()), "cpu", seed=1)
    with pytest.raises(ValueError, match="global random"):
        shuffled.load_state_dict({**loader.state_dict(), "batches": 1, "samples": 4})
    with pytest.raises(ValueError, match="format"):
        loader.load_state_dict({"epoch": 0})


def test_epoch_sampler_start_at():
    data = AugmentedDataset([np.zeros((4, 4, 3), np.uint8)] * 6, None, seed=0)
    sampler = EpochSampler(data, seed=0)
    order = list(sampler)
    sampler.load_state_dict({"epoch": 0, "start": 4})
    assert list(sampler) == order[4:]
    assert sorted(list(sampler)) == list(range(6)) and sampler.epoch == 1  # the start applies to one pass
