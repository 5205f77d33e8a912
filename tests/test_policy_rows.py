"""The policies' row kernels (CPU uint8 RGB batches) against the grouped batch kernels they replace.

Rows written in place (``augkit.functional.policy_rows``, ``_Policy._rows_into``) must give the
grouped path's bits for every policy, every op, any number of steps, both interpolations, fills
and memory layouts; the grouped path itself is checked against the sample stage and torchvision
in tests/test_policies.py.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import augkit
from augkit.functional import policy_ops as PO
from augkit.functional import policy_rows as PR
from augkit.functional import warping as A

POLICIES = {
    "RandAugment": lambda: augkit.RandAugment(num_ops=2, magnitude=9),
    "RandAugment-3-bilinear-fill": lambda: augkit.RandAugment(num_ops=3, magnitude=20, interpolation="bilinear", fill=(10, 20, 30)),
    "TrivialAugmentWide": lambda: augkit.TrivialAugmentWide(interpolation="bilinear"),
    "AutoAugment-imagenet": lambda: augkit.AutoAugment("imagenet"),
    "AutoAugment-svhn": lambda: augkit.AutoAugment("svhn", fill=128),
    "AugMix": lambda: augkit.AugMix(),
    "ThreeAugment": lambda: augkit.ThreeAugment(),
    "TimmRandAugment": lambda: augkit.RandAugment.from_timm("rand-m9-mstd0.5-inc1"),
    "TimmRandAugment-m15-n4": lambda: augkit.RandAugment.from_timm("rand-m15-n4-mstd1.0"),
}


@pytest.fixture(scope="module")
def photo_batch(sample_images) -> torch.Tensor:
    """40 rows cut from real photos, [40, 3, 48, 64] uint8."""
    cuts = [image[y : y + 48, x : x + 64] for image in sample_images.values() for y, x in ((0, 0), (60, 90), (120, 30), (200, 150))]
    return torch.stack([torch.from_numpy(np.ascontiguousarray(c)).permute(2, 0, 1) for c in cuts * 3])[:40].contiguous()


def grouped(policy, batch, params, monkeypatch) -> torch.Tensor:
    """The grouped kernels' result (the row kernels switched off)."""
    with monkeypatch.context() as patch:
        patch.setattr(PR, "supported", lambda images: False)
        return policy.apply(batch, params)


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_rows_equal_the_grouped_kernels(name, photo_batch, monkeypatch):
    policy = POLICIES[name]()
    before = photo_batch.clone()
    for seed in range(3):
        params = policy.sample(np.random.default_rng(seed), photo_batch)
        out = policy.apply(photo_batch, params)
        assert out.is_contiguous() and out.dtype == torch.uint8
        assert torch.equal(out, grouped(policy, photo_batch, params, monkeypatch)), seed
    assert torch.equal(photo_batch, before)  # the rows are read where they are, never written


def test_rows_take_any_layout(photo_batch, monkeypatch):
    policy = augkit.RandAugment(num_ops=3, magnitude=12)
    channels_last = photo_batch.to(memory_format=torch.channels_last)
    every_other = torch.cat([photo_batch, photo_batch])[::2]
    for batch in (channels_last, every_other):
        params = policy.sample(np.random.default_rng(1), batch)
        assert torch.equal(policy.apply(batch, params), grouped(policy, batch.contiguous(), params, monkeypatch))


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    num_ops=st.integers(0, 4),
    magnitude=st.integers(0, 30),
    interpolation=st.sampled_from(["nearest", "bilinear"]),
    fill=st.sampled_from([None, 0, 200, (10, 250, 3)]),
    rows=st.integers(1, 12),
)
def test_any_draw_equals_the_grouped_kernels(seed, num_ops, magnitude, interpolation, fill, rows):
    """Any number of steps (rows alternate between the output and a scratch batch), magnitude and fill."""
    rng = np.random.default_rng(seed)
    batch = torch.from_numpy(rng.integers(0, 256, (rows, 3, 9, 13), dtype=np.uint8))
    policy = augkit.RandAugment(num_ops=num_ops, magnitude=magnitude, interpolation=interpolation, fill=fill)
    params = policy.sample(rng, batch)
    out = policy.apply(batch, params)
    original = PR.supported
    try:
        PR.supported = lambda images: False
        expected = policy.apply(batch, params)
    finally:
        PR.supported = original
    assert torch.equal(out, expected)


@pytest.mark.parametrize("op", PO.PHOTOMETRIC_OPS)
def test_each_photometric_op_into_rows(op, photo_batch):
    """``photometric_into`` writes the batch kernel's values, or declines and writes nothing."""
    magnitudes = np.linspace(0.1, 1.9, photo_batch.shape[0])
    if op == "Posterize":
        magnitudes = np.arange(photo_batch.shape[0]) % 9.0 + np.linspace(-0.4, 0.4, photo_batch.shape[0])
    elif op in ("Solarize", "SolarizeAdd"):
        magnitudes = np.linspace(0, 256, photo_batch.shape[0])  # fractional levels too
    source = photo_batch.numpy()
    target = np.full_like(source, 7)
    done = PR.photometric_into(op, list(source), list(target), magnitudes)
    if not done:
        assert (target == 7).all()
        assert op in ("Identity", "Grayscale", "GaussianBlur")
        return
    assert np.array_equal(target, PO.photometric(op, photo_batch, magnitudes).numpy())


def test_supported_batches():
    image = torch.zeros(2, 3, 4, 4, dtype=torch.uint8)
    assert PR.supported(image)
    assert not PR.supported(image.float())
    assert not PR.supported(image[:, :1])
    assert not PR.supported(image[0])
    assert not PR.supported(image[:0])


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_affine_and_rotate_into_equal_the_batch_warps(interpolation, photo_batch):
    rng = np.random.default_rng(3)
    n = photo_batch.shape[0]
    angle, shear = rng.uniform(-40, 40, n), rng.uniform(-20, 20, n)
    translate = (rng.uniform(-9, 9, n), rng.uniform(-9, 9, n))
    source = photo_batch.numpy()
    target = np.empty_like(source)
    assert A.affine_into(list(source), list(target), angle, translate, 1.1, (shear, 0 * shear), interpolation, fill=(1, 2, 3))
    expected = A.affine(photo_batch, angle, translate, 1.1, (shear, 0 * shear), interpolation, fill=(1, 2, 3))
    assert np.array_equal(target, expected.numpy())
    assert A.rotate_into(list(source), list(target), angle, interpolation, fill=9)
    assert np.array_equal(target, A.rotate(photo_batch, angle, interpolation, fill=9).numpy())


def test_rotate_into_leaves_quarter_turns_to_rotate(photo_batch):
    source = photo_batch[:3].numpy()
    target = np.full_like(source, 7)
    assert not A.rotate_into(list(source), list(target), np.array([10.0, 180.0, 20.0]))
    assert (target == 7).all()


def test_shift_into_equals_the_batch_shift(photo_batch):
    source = photo_batch[:4].numpy()
    target = np.empty_like(source)
    shifts = [(0, 0), (5, -3), (-70, 0), (2, 60)]
    values = PO.fill_row((9, 8, 7), 3, np.uint8)
    for s, t, (dx, dy) in zip(source, target, shifts):
        PO.shift_into(s, t, dx, dy, values)
    xs, ys = np.array([s[0] for s in shifts]), np.array([s[1] for s in shifts])
    assert np.array_equal(target, PO.shift(photo_batch[:4], xs, ys, (9, 8, 7)).numpy())
