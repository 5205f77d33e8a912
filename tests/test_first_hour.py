"""The habits of ordinary training loops, ported from torchvision / timm, must not silently hurt training."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from torch.utils.data import ConcatDataset, DataLoader, Dataset, Subset, random_split

import augkit
from augkit import presets
from augkit.data import (
    AugmentedDataset,
    DatasetNotReachedWarning,
    DeviceLoader,
    EpochSampler,
    ImageList,
    RepeatedEpochWarning,
    Uint8Collate,
)
from augkit.samples import sample_paths


def _readme_loader(seed=None, dataset_seed=None, wrap=lambda d: d, **loader_args):
    """The README's loop: AugmentedDataset -> DataLoader(Uint8Collate) -> DeviceLoader."""
    sample_stage, batch_stage = presets.resnet_train()
    dataset = AugmentedDataset(ImageList(sample_paths(), targets=range(8)), sample_stage, seed=dataset_seed)
    loader = DataLoader(wrap(dataset), batch_size=4, collate_fn=Uint8Collate(), **loader_args)
    return dataset, DeviceLoader(loader, "cpu", batch_stage, seed=seed)


def _epochs(device_loader, count=2):
    return [torch.cat([images for images, _ in device_loader]) for _ in range(count)]


# --- 1. epochs advance by themselves -------------------------------------------------------------


def test_a_loop_without_set_epoch_gets_new_augmentations_each_epoch():
    dataset, device_loader = _readme_loader(seed=0)
    first, second = _epochs(device_loader)
    assert dataset.epoch == 1 and device_loader.epoch == 1
    assert not torch.equal(first, second)
    again = _epochs(_readme_loader(seed=0)[1])  # the sequence of epochs is a pure function of the calls
    assert torch.equal(again[0], first) and torch.equal(again[1], second)


def test_set_epoch_pins_the_next_epoch_only():
    dataset, device_loader = _readme_loader(seed=0)
    device_loader.set_epoch(5)
    pinned = _epochs(device_loader, 1)[0]
    assert dataset.epoch == 5
    _epochs(device_loader, 1)
    assert dataset.epoch == 6  # advanced from the pinned epoch
    device_loader.set_epoch(5)
    assert torch.equal(_epochs(device_loader, 1)[0], pinned)


def test_epoch_sampler_advances_a_plain_dataloader():
    sample_stage, _ = presets.resnet_train()
    dataset = AugmentedDataset(ImageList(sample_paths(), targets=range(8)), sample_stage, seed=0)
    loader = DataLoader(dataset, batch_size=4, sampler=EpochSampler(dataset, shuffle=False), collate_fn=Uint8Collate())
    passes = [torch.cat([images for images, _ in loader]) for _ in range(2)]
    assert dataset.epoch == 1 and not torch.equal(passes[0], passes[1])


def test_a_second_pass_at_the_same_epoch_is_warned_about_once():
    sample_stage, _ = presets.resnet_train()
    dataset = AugmentedDataset(ImageList(sample_paths(), targets=range(8)), sample_stage, seed=0)
    loader = DataLoader(dataset, batch_size=4, collate_fn=Uint8Collate())
    with warnings.catch_warnings():
        warnings.simplefilter("error", RepeatedEpochWarning)
        list(loader)  # the first pass is fine
    with pytest.warns(RepeatedEpochWarning, match="augmented twice at epoch 0"):
        list(loader)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RepeatedEpochWarning)
        list(loader)  # once
        dataset.set_epoch(1)
        list(loader)


# --- 2. wrapped datasets are reached --------------------------------------------------------------


@pytest.mark.parametrize(
    "wrap",
    [
        lambda d: Subset(d, list(range(6))),
        lambda d: random_split(d, [5, 3], generator=torch.Generator().manual_seed(0))[0],
        lambda d: ConcatDataset([d, Subset(d, [0, 1])]),
    ],
    ids=["Subset", "random_split", "ConcatDataset"],
)
def test_wrapped_datasets_follow_the_loader_epoch_and_seed(wrap):
    dataset, device_loader = _readme_loader(seed=11, wrap=wrap)
    assert device_loader.datasets == [dataset] or set(map(id, device_loader.datasets)) == {id(dataset)}
    assert dataset.seed == 11
    first, second = _epochs(device_loader)
    assert dataset.epoch == 1 and not torch.equal(first, second)


class _Hidden(Dataset):
    def __init__(self, inner):
        self._inner = inner

    def __len__(self):
        return len(self._inner)

    def __getitem__(self, index):
        return self._inner[index]


def test_an_unreachable_dataset_is_warned_about():
    with pytest.warns(DatasetNotReachedWarning, match="_Hidden"):
        _readme_loader(seed=0, wrap=_Hidden)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DatasetNotReachedWarning)
        DeviceLoader(DataLoader(torch.utils.data.TensorDataset(torch.zeros(4, 3, 2, 2, dtype=torch.uint8))), "cpu")


# --- 3. one seed --------------------------------------------------------------------------------


def test_the_loader_seed_reaches_datasets_built_without_one():
    dataset, device_loader = _readme_loader(seed=123)
    assert dataset.seed == 123 and not dataset.seed_is_explicit
    explicit, _ = _readme_loader(seed=123, dataset_seed=7)
    assert explicit.seed == 7


def test_runs_seeded_differently_through_torch_augment_differently():
    runs = []
    for seed in (1, 2, 1):
        torch.manual_seed(seed)
        runs.append(_epochs(_readme_loader()[1], 1)[0])
    assert torch.equal(runs[0], runs[2]) and not torch.equal(runs[0], runs[1])


# --- 4 and 5. presets, units and order ----------------------------------------------------------


def test_normalize_refuses_0_255_constants_with_the_hint():
    with pytest.raises(ValueError, match=r"\[0, 1\] units.*max_value=255"):
        augkit.Normalize(mean=(123.675, 116.28, 103.53), std=(58.395, 57.12, 57.375))
    raw = augkit.Normalize(mean=(123.675, 116.28, 103.53), std=(58.395, 57.12, 57.375), max_value=255.0)
    unit = augkit.Normalize(mean=augkit.constants.IMAGENET_MEAN, std=augkit.constants.IMAGENET_STD)
    image = np.random.default_rng(0).integers(0, 256, (5, 6, 3), dtype=np.uint8)
    np.testing.assert_allclose(raw(image), unit(image), atol=1e-3)


def test_color_jitter_after_normalize_is_refused_everywhere():
    jitter, normalize = augkit.ColorJitter(0.4, 0.4), augkit.Normalize(mean=(0.5,) * 3)
    for build in (
        lambda: augkit.Compose([normalize, jitter]),
        lambda: augkit.Compose([normalize, augkit.RandomApply(jitter)]),
        lambda: DeviceLoader([], "cpu", [normalize, jitter]),
        lambda: augkit.Pipeline(augkit.Compose([normalize, augkit.ToTensor()]), jitter),
    ):
        with pytest.raises(ValueError, match="ColorJitter after Normalize"):
            build()
    augkit.Compose([jitter, normalize])  # the right order is fine


# --- one object, accepted everywhere ------------------------------------------------------------


def test_a_pipeline_is_accepted_wherever_a_stage_is():
    pipeline = presets.resnet_train()
    dataset = AugmentedDataset(ImageList(sample_paths()[:4], targets=range(4)), pipeline, seed=0)
    loader = DeviceLoader(DataLoader(dataset, batch_size=2, collate_fn=Uint8Collate()), "cpu", pipeline)
    images, targets = next(iter(loader))
    assert images.shape == (2, 3, 224, 224) and images.dtype == torch.float32
    with pytest.raises(ValueError, match="cannot run in the sample stage"):
        AugmentedDataset(dataset.base, augkit.Mixup(0.2, 4), seed=0)
    with pytest.raises(TypeError, match="pass pipeline.batch"):
        augkit.pipeline.check_stage(pipeline, "batch")


def test_a_folder_path_is_pointed_to_image_folder(tmp_path):
    with pytest.raises(TypeError, match="ImageFolder"):
        AugmentedDataset(str(tmp_path), None)


def test_a_custom_transform_with_a_misnamed_attribute_fails_at_construction():
    class Brighter(augkit.Transform):
        def __init__(self, amount: float = 1.0) -> None:
            self.value = amount  # not self.amount

        def apply(self, image, params=None):
            return image

    with pytest.raises(TypeError, match=r"Brighter.__init__ takes 'amount'.*self.amount = amount"):
        Brighter(2.0)


def test_torchvision_look_alikes():
    with pytest.raises(TypeError, match=r"Resize\(shorter=32\)"):
        augkit.Resize(size=32)
    assert augkit.Resize(32).shorter == 32  # torchvision's Resize(32): the shorter side
    both = augkit.RandomApply([augkit.HorizontalFlip(p=1.0), augkit.VerticalFlip(p=1.0)], p=1.0)
    image = np.arange(12, dtype=np.uint8).reshape(2, 2, 3)
    np.testing.assert_array_equal(both(image, rng=0), image[::-1, ::-1])
    assert augkit.RandomHorizontalFlip is augkit.HorizontalFlip


def test_mixup_options_as_in_timm():
    images, labels = torch.rand(6, 3, 8, 8), torch.arange(6) % 3
    never = augkit.MixupOrCutMix(0.8, 1.0, num_classes=3, prob=0.0)
    out, soft = never(images, labels, rng=0)
    assert torch.equal(out, images) and torch.equal(soft, torch.nn.functional.one_hot(labels, 3).float())
    only_mixup = augkit.MixupOrCutMix(0.8, 0.0, num_classes=3, mode="elem")
    assert not only_mixup.sample(np.random.default_rng(0), images).cutmix.any()
    pair = augkit.Mixup(0.4, 3, mode="pair").sample(np.random.default_rng(0), images)
    np.testing.assert_array_equal(pair.lam, pair.lam[::-1])  # partners share their lambda
