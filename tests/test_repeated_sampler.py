"""RepeatedAugmentationSampler: timm's RepeatAugSampler layout, determinism, and repeats that differ."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

import augkit
from augkit.data import AugmentedDataset, DeviceLoader, RepeatedAugmentationSampler, Uint8Collate
from augkit.rng import derive_generator


def dataset(n: int, pipeline=None, seed: int = 0) -> AugmentedDataset:
    rng = np.random.default_rng(1)
    base = [(rng.integers(0, 256, (12, 14, 3), dtype=np.uint8), i % 5) for i in range(n)]
    return AugmentedDataset(base, pipeline, seed=seed)


def epoch_of(sampler) -> list[tuple[int, int]]:
    return list(sampler)


@pytest.mark.parametrize(("n", "repeats", "replicas"), [(512, 3, 3), (600, 3, 2), (300, 2, 1), (256, 4, 4)])
def test_each_drawn_index_appears_num_repeats_times_across_ranks(n, repeats, replicas):
    data = dataset(n)
    samplers = [RepeatedAugmentationSampler(data, num_repeats=repeats, num_replicas=replicas, rank=r, seed=5) for r in range(replicas)]
    keys = [k for s in samplers for k in epoch_of(s)]
    assert all(len(s) == len(epoch_of(s)) for s in samplers)
    counts = Counter(index for index, _ in keys)
    whole = [i for i, c in counts.items() if c == repeats]
    assert len(whole) >= len(counts) - replicas  # only the copies cut at the end of a rank's share may be missing
    assert max(counts.values()) <= repeats
    for index, count in counts.items():  # the repeats of an index are numbered 0, 1, ..., each once
        assert sorted(r for i, r in keys if i == index) == list(range(count))
    if replicas == repeats:  # DeiT's layout: each rank gets one copy of every index it sees, in the same order
        orders = [[i for i, _ in epoch_of(s)] for s in samplers]
        assert all(order == orders[0] for order in orders)


@pytest.mark.parametrize(
    ("n", "repeats", "replicas", "selected_round"), [(512, 3, 3, 256), (600, 3, 2, 256), (70, 3, 2, 0), (51, 2.5, 2, 0)]
)
def test_layout_is_timms_repeat_aug_sampler(monkeypatch, n, repeats, replicas, selected_round):
    """For the same permutation, the indices of each rank are timm's RepeatAugSampler's."""
    timm_sampler = pytest.importorskip("timm.data.distributed_sampler")
    data = dataset(n)
    for rank in range(replicas):
        ours = RepeatedAugmentationSampler(data, repeats, num_replicas=replicas, rank=rank, seed=3, selected_round=selected_round)
        order = derive_generator(ours.seed, 0, 0, stream=3).permutation(n)
        monkeypatch.setattr(timm_sampler.torch, "randperm", lambda size, generator=None: torch.from_numpy(order))
        theirs = timm_sampler.RepeatAugSampler(data, num_replicas=replicas, rank=rank, num_repeats=repeats, selected_round=selected_round)
        assert [i for i, _ in epoch_of(ours)] == list(theirs) and len(ours) == len(theirs)
        monkeypatch.undo()


def test_deterministic_from_seed_and_epoch():
    data = dataset(512)
    a, b = RepeatedAugmentationSampler(data, seed=1), RepeatedAugmentationSampler(data, seed=1)
    first, second = epoch_of(a), epoch_of(a)
    assert first == epoch_of(b) and second == epoch_of(b)  # epochs advance by themselves
    assert first != second and a.epoch == 1
    a.set_epoch(0)
    assert epoch_of(a) == first
    assert epoch_of(RepeatedAugmentationSampler(data, seed=2)) != first
    assert epoch_of(RepeatedAugmentationSampler(data, shuffle=False))[:6] == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]


def test_repeats_get_different_augmentations_and_keys():
    pipeline = augkit.Compose([augkit.RandomResizedCrop(8), augkit.HorizontalFlip(), augkit.ToTensor()])
    data = dataset(10, pipeline)
    first, again = data[(3, 0)], dataset(10, pipeline)[3]
    assert torch.equal(first[0], again[0]) and first.key == again.key == 3  # repeat 0 is the item itself
    repeats = [data[(3, r)] for r in range(4)]
    assert [item.key for item in repeats] == [3, 13, 23, 33] == [data.repeat_key(3, r) for r in range(4)]
    images = [item[0] for item in repeats]
    assert all(not torch.equal(images[i], images[j]) for i in range(4) for j in range(i))
    assert torch.equal(data[(3, 2)][0], data[(3, 2)][0])  # still a pure function of (seed, epoch, index, repeat)
    assert all(item[1] == 3 % 5 for item in repeats)


def test_repeats_draw_different_batch_stage_parameters():
    data = dataset(512, augkit.Compose([augkit.CenterCrop(8), augkit.ToTensor()]))
    sampler = RepeatedAugmentationSampler(data, num_repeats=3, shuffle=False, seed=0)
    loader = DataLoader(data, batch_size=6, sampler=sampler, collate_fn=Uint8Collate())
    device_loader = DeviceLoader(loader, "cpu", augkit.RandAugment(num_ops=2, magnitude=9), seed=0)
    images, labels = next(iter(device_loader))
    assert images.shape == (6, 3, 8, 8)
    batch = next(iter(loader))
    assert batch.keys.tolist() == [0, 512, 1024, 1, 513, 1025]
    params = augkit.RandAugment().sample(device_loader.generator(0, batch.keys), batch.images)
    rows = [tuple(params.ops[i]) + tuple(params.magnitudes[i]) for i in range(3)]
    assert len(set(map(str, rows))) == 3  # the three repeats of image 0 draw their own ops


def test_arguments_and_small_datasets_are_refused():
    data = dataset(100)
    with pytest.raises(ValueError, match="selected_round=0"):
        RepeatedAugmentationSampler(data)
    assert len(RepeatedAugmentationSampler(data, selected_round=0)) == 100
    with pytest.raises(ValueError, match="num_repeats must be a number > 0"):
        RepeatedAugmentationSampler(data, num_repeats=0, selected_round=0)
    with pytest.raises(ValueError, match="selected_ratio"):
        RepeatedAugmentationSampler(data, selected_round=0, selected_ratio=-1)
    with pytest.raises(TypeError, match="repeat of an \\(index, repeat\\) key"):
        data[(1, -1)]
    with pytest.raises(IndexError, match="out of range"):
        data[(100, 0)]
