"""Parameters that describe themselves give readable preview captions."""

from __future__ import annotations

import re

import numpy as np
import torch

import augkit
from augkit.batch import MixParams
from augkit.preview.captions import describe_params
from augkit.preview.cells import augment_one
from augkit.transforms.base import params_at

IMAGE = np.random.default_rng(0).integers(0, 256, (40, 60, 3), dtype=np.uint8)


def _batch_caption(mixing, seed: int) -> str:
    pipeline = (augkit.ToTensor(), augkit.Compose([augkit.Normalize(mean=(0.0, 0.0, 0.0)), mixing]))
    _, lines = augment_one(IMAGE, pipeline, np.random.default_rng(seed))
    (line,) = lines
    return line


def test_mixup_caption_names_lambda():
    for seed in range(3):
        line = _batch_caption(augkit.Mixup(alpha=0.4, num_classes=10), seed)
        match = re.fullmatch(r"batch Mixup: mixup lam=([0-9.e-]+)", line)
        assert match and 0.0 <= float(match.group(1)) < 1.0, line


def test_cutmix_caption_gives_the_pasted_box_and_the_kept_area():
    cutmix = augkit.CutMix(alpha=1.0, num_classes=10)
    images = torch.zeros(4, 3, 40, 60)
    params = cutmix.sample(np.random.default_rng(2), images)
    for row in range(4):
        one = params_at(params, row)
        text = one.describe()
        width, height = one.right - one.left, one.bottom - one.top
        assert text == f"cutmix box={width}x{height}@({one.left},{one.top}) lam={one.lam:.3g}"
        assert abs(one.lam - (1 - width * height / (40 * 60))) < 1e-9  # lambda is the kept area
    assert _batch_caption(cutmix, 0).startswith("batch CutMix: cutmix box=")


def test_unapplied_mixing_and_whole_batches_read_plainly():
    assert MixParams(1.0, False, 0, 0, 0, 0).describe() == "not mixed"
    batch = MixParams(np.array([0.5, 1.0, 0.25]), np.array([True, False, False]), *np.zeros((4, 3), dtype=np.int64))
    assert batch.describe() == "3 samples: 1 cutmix, 1 mixup, lam 0.25..1"


def test_erasing_captions_show_boxes():
    cutout = augkit.Cutout(10)
    _, params = cutout.run(IMAGE, np.random.default_rng(1))
    box = params.params
    assert describe_params(params, cutout) == [f"Cutout: box={box.right - box.left}x{box.bottom - box.top}@({box.left},{box.top})"]
    _, lines = augment_one(IMAGE, augkit.RandomErasing(p=1.0, max_count=3), np.random.default_rng(1))
    assert re.fullmatch(r"RandomErasing: (box=|boxes=)(\d+x\d+@\(\d+,\d+\) ?)+|RandomErasing: no box", lines[0]), lines


def test_perspective_caption_lists_the_corners():
    _, lines = augment_one(IMAGE, augkit.Perspective(p=1.0), np.random.default_rng(1))
    assert re.fullmatch(r"Perspective: corners=(\(-?\d+,-?\d+\) ){3}\(-?\d+,-?\d+\)", lines[0]), lines
