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


def test_policy_params_caption_ops_with_units():
    from augkit.transforms.policies import AugMixParams, AutoAugmentParams, PolicyParams

    nan = float("nan")
    params = PolicyParams(("Rotate", "PosterizeIncreasing", "Equalize", "SolarizeAdd"), (12.345, 6.0, nan, 40.0), (True, True, True, False))
    assert params.describe() == "Rotate 12.3°, PosterizeIncreasing 6 bits, Equalize, (SolarizeAdd +40 levels skipped)"
    other = PolicyParams(("ShearX", "TranslateYRel", "Solarize", "Color", "Sharpness"), (-8.0, 31.6, 77.0, 1.25, 0.5), (True,) * 5)
    assert other.describe() == "ShearX -8.0°, TranslateYRel +32 px, Solarize above 77, Color x1.25, Sharpness x0.50"
    assert AutoAugmentParams(("Invert",), (nan,), (True,), 4).describe() == "sub-policy 4: Invert"
    augmix = AugMixParams(
        (("Rotate", "Equalize"), ("Posterize", "Rotate")), ((-5.0, nan), (3.0, 0.0)), ((True, True), (True, False)), 0.5, (0.3, 0.2)
    )
    assert augmix.describe() == "0.50 image + 0.30 [Rotate -5.0°, Equalize] + 0.20 [Posterize 3 bits]"


def _policy_line(policy, pipeline, seed: int) -> tuple[str, object]:
    out, lines = augment_one(IMAGE, pipeline, np.random.default_rng(seed))
    (line,) = [line for line in lines if type(policy).__name__ + ":" in line]
    return line, out


def test_preview_captions_show_each_images_policy_draws():
    """Each image's caption names the operations that policy drew for it, with their arguments."""
    policies = [
        augkit.RandAugment(num_ops=3),
        augkit.RandAugment.from_timm("rand-m9-mstd0.5-inc1"),
        augkit.TrivialAugmentWide(),
        augkit.AutoAugment(),
        augkit.ThreeAugment(),
    ]
    for policy in policies:
        for stage in ("sample", "batch"):
            pipeline = policy if stage == "sample" else (augkit.ToTensor(), policy)
            seen = set()
            for seed in range(6):
                line, _ = _policy_line(policy, pipeline, seed)
                params = policy.sample(np.random.default_rng(seed), IMAGE)  # the same first draws as the preview's
                assert line == ("batch " if stage == "batch" else "") + f"{type(policy).__name__}: {params.describe()}"
                for name, magnitude, applied in zip(params.ops, params.magnitudes, params.applied):
                    assert name in line
                    if applied and np.isfinite(magnitude) and name.startswith("Rotate"):
                        assert f"{magnitude:.1f}°" in line
                seen.add(line)
            assert len(seen) > 1, f"{type(policy).__name__} drew the same caption for every image"
    line, _ = _policy_line(augkit.AugMix(), augkit.AugMix(), 0)
    assert re.fullmatch(r"AugMix: \d\.\d\d image( \+ \d\.\d\d \[[^\]]+\])+", line), line
