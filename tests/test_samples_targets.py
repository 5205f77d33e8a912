"""A transform may declare ``samples_targets``: its ``sample`` then gets the whole Sample (or Batch)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

import augkit
from augkit.transforms.base import BATCH_STAGE, SAMPLE_STAGE


@dataclass(frozen=True)
class _Seen:
    kind: str
    boxes: int


class _Recorder(augkit.Transform):
    """Records what its ``sample`` was given; crops one column per box (so its parameters matter)."""

    stages = (SAMPLE_STAGE, BATCH_STAGE)
    samples_targets = True

    def sample(self, rng, x):
        if isinstance(x, augkit.Sample):
            return _Seen("Sample", len(x.boxes))
        if isinstance(x, augkit.Batch):
            return _Seen("Batch", sum(len(b) for b in x.boxes))
        return _Seen(type(x).__name__, -1)

    def apply(self, image, params):
        return image[:, : -params.boxes] if isinstance(image, np.ndarray) and params.boxes > 0 else image


class _ImageOnly(augkit.Transform):
    def sample(self, rng, x):
        return _Seen(type(x).__name__, -1)

    def apply(self, image, params):
        return image


def test_sample_gets_the_sample_directly_and_inside_compose():
    sample = augkit.Sample(np.zeros((4, 6, 3), np.uint8), boxes=[[0, 0, 2, 2], [1, 1, 3, 3]])
    out, params = _Recorder().run(sample, np.random.default_rng(0))
    assert params == _Seen("Sample", 2) and out.image.shape == (4, 4, 3)
    out, params = augkit.Compose([augkit.HorizontalFlip(p=1.0), _Recorder(), augkit.ToTensor()]).run(sample, np.random.default_rng(0))
    assert params.params[1] == _Seen("Sample", 2) and tuple(out.image.shape) == (3, 4, 4)
    # a bare image stays bare; transforms without the flag still see the image alone
    assert _Recorder().sample(np.random.default_rng(0), sample.image) == _Seen("ndarray", -1)
    assert _ImageOnly().sample(np.random.default_rng(0), sample) == _Seen("ndarray", -1)
    assert augkit.Compose([_ImageOnly()]).run(sample, np.random.default_rng(0))[1].params[0] == _Seen("ndarray", -1)


def test_sample_gets_the_batch():
    batch = augkit.Batch(torch.zeros(2, 3, 4, 4, dtype=torch.uint8), boxes=[[[0, 0, 1, 1]], [[0, 0, 2, 2], [1, 1, 2, 2]]])
    assert _Recorder().sample(np.random.default_rng(0), batch) == _Seen("Batch", 3)
