"""Batches a user keeps stay valid, thin images are refused before they blow up, and the fused stage equals the plain one."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

import augkit
from augkit import presets
from augkit.data import AugmentedDataset, DeviceLoader, ImageList, Uint8Collate
from augkit.samples import sample_paths


def _items(n: int = 6):
    return [(np.full((8, 8, 3), 2 * i, np.uint8), i) for i in range(n)]


@pytest.mark.parametrize("channels_last", [True, False])
def test_kept_collate_batches_are_never_overwritten(channels_last):
    collate = Uint8Collate(channels_last=channels_last, num_buffers=1)
    loader = DataLoader(_items(), batch_size=2, collate_fn=collate)
    kept = list(loader)
    assert [int(images[0, 0, 0, 0]) for images, _ in kept] == [0, 4, 8]
    assert [labels.tolist() for _, labels in kept] == [[0, 1], [2, 3], [4, 5]]


@pytest.mark.parametrize("transforms", [[], [augkit.HorizontalFlip(p=0.0)], [augkit.RandomApply(augkit.VerticalFlip(p=1.0), p=0.0)]])
def test_kept_device_loader_batches_are_never_overwritten(transforms):
    loader = DataLoader(_items(), batch_size=2, collate_fn=Uint8Collate(channels_last=True, num_buffers=1))
    device_loader = DeviceLoader(loader, "cpu", transforms, seed=0)  # CPU: the NCHW layout goes through a buffer pool
    kept = list(device_loader)
    assert [int(images[0, 0, 0, 0]) for images, _ in kept] == [0, 4, 8]
    assert [images.is_contiguous() for images, _ in kept] == [True] * 3


def test_thin_images_are_refused_by_a_resize_but_work_before_a_crop():
    thin = np.zeros((2, 30000, 3), np.uint8)
    with pytest.raises(ValueError, match=r"2x30000.*too thin"):
        augkit.Resize(shorter=256)(thin)
    with pytest.raises(ValueError, match="too thin"):
        augkit.RandomScale(256, 480)(thin, rng=0)
    with pytest.raises(ValueError, match="too thin"):
        augkit.MultiScaleTenCrop(scales=(256,), size=224)(thin)
    out = augkit.Compose([augkit.RandomScale(256, 480), augkit.RandomCrop(224), augkit.HorizontalFlip()])(thin, rng=0)
    assert out.shape == (224, 224, 3)  # fused: only the kept pixels are resampled


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: augkit.RandomCrop(10**6), "size must be <="),
        (lambda: augkit.Normalize(mean=(0.5,) * 3, std=(1e-300,) * 3), "std must lie in"),
        (lambda: augkit.ColorJitter(contrast=1e300), "contrast must be at most"),
        (lambda: augkit.PCALighting(alphastd=1e300), r"alpha_std must lie in .*given as alphastd="),
        (lambda: augkit.RandomResizedCrop(224, ratio=(1e4, 2e4)), "ratio must lie within"),
        (lambda: augkit.Resize(shorter=10**7), "shorter must be <="),
    ],
)
def test_unbounded_arguments_are_refused(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_random_resized_crop_never_makes_an_empty_window():
    for ratio in ((100, 200), (900, 1000), (0.001, 0.002)):  # the centre fallback on a small image
        t = augkit.RandomResizedCrop(8, scale=(0.9, 1.0), ratio=ratio)
        assert t(np.zeros((4, 5, 3), np.uint8), rng=0).shape == (8, 8, 3)


def test_device_loader_fused_stage_equals_the_plain_stage():
    sample, batch = presets.resnet_train()

    def run(fused):
        dataset = AugmentedDataset(ImageList(sample_paths()[:4], targets=range(4)), sample, seed=0)
        loader = DeviceLoader(DataLoader(dataset, batch_size=2, collate_fn=Uint8Collate()), "cpu", batch, seed=3, fused=fused)
        return [(images.clone(), labels.clone()) for images, labels in loader]

    plain, fused = run(False), run(True)
    for (a, la), (b, lb) in zip(plain, fused):
        assert torch.equal(la, lb)
        assert (a - b).abs().max() <= 1.0 / (255 * min(augkit.constants.IMAGENET_STD)) + 1e-5  # within one level
