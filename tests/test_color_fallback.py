"""Without the ``augkit._color`` extension, uint8 color ops stay within SPEC's bound of torchvision.

SPEC: each operation within 1 level of torchvision's ``adjust_*`` for a fixed factor (hue
within 2). The fallback (OpenCV and numpy passes) is forced by removing the extension from
``augkit.functional.color``.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from augkit.functional import color as C

tvf = pytest.importorskip("torchvision.transforms.v2.functional")

NAMES = ("brightness", "contrast", "saturation", "hue")
BOUND = {"brightness": 1, "contrast": 1, "saturation": 1, "hue": 2}
FACTORS = {
    "brightness": (0.0, 0.3, 1.4, 2.5, 6.0, 1 + 1e-9),
    "contrast": (0.0, 0.3, 1.4, 2.5, 6.0, 1 + 1e-9),
    "saturation": (0.0, 0.3, 0.6, 1.4, 2.5, 3.0, 6.0, 9.0, 1 + 1e-9),
    "hue": (-0.5, -0.3, -0.1, 0.05, 0.2, 0.5),
}


@pytest.fixture
def fallback(monkeypatch):
    """The color kernels as an install without the C extension runs them."""
    monkeypatch.setattr(C, "_native", None)


def _near_gray_ties() -> np.ndarray:
    """Every colour whose gray ``0.2989 R + 0.587 G + 0.114 B`` lies within 1e-5 of an integer.

    There float32 rounding decides the floored gray, and a gray one level off moves a
    saturation blend by ``f - 1`` levels; these colours are about 0.002% of all.
    """
    g, b = np.meshgrid(np.arange(256.0), np.arange(256.0), indexing="ij")
    rest = 0.587 * g + 0.114 * b
    found = []
    for r in range(256):
        gray = 0.2989 * r + rest
        near = np.abs(gray - np.round(gray)) < 1e-5
        found.append(np.stack([np.full(int(near.sum()), r), g[near], b[near]], -1))
    colours = np.concatenate(found).astype(np.uint8)
    return colours[: colours.shape[0] // 64 * 64].reshape(-1, 64, 3)


@pytest.fixture(scope="module")
def images(sample_images) -> list[np.ndarray]:
    """The colours near gray ties, a coarse colour cube (with the extremes) and crops of three sample photos."""
    levels = np.unique(np.r_[np.arange(0, 256, 15), [1, 254, 255]]).astype(np.uint8)
    r, g, b = np.meshgrid(levels, levels, levels, indexing="ij")
    cube = np.stack([r.ravel(), g.ravel(), b.ravel()], -1).reshape(levels.size, -1, 3)
    photos = [np.ascontiguousarray(im[:120, :160, :3]) for _, im in sorted(sample_images.items())[:3]]
    return [_near_gray_ties(), cube, *photos]


def _chw(image: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).contiguous()


def _gap(ours: np.ndarray, reference: torch.Tensor) -> int:
    return int(np.abs(ours.astype(int) - reference.permute(1, 2, 0).numpy().astype(int)).max())


@pytest.mark.parametrize("name", NAMES)
def test_each_op_is_within_the_spec_bound(fallback, images, name):
    ours_fn, reference_fn = getattr(C, f"adjust_{name}"), getattr(tvf, f"adjust_{name}")
    random = np.random.default_rng(len(name)).uniform(*((-0.5, 0.5) if name == "hue" else (0.0, 4.0)), 4).tolist()
    for factor in [*FACTORS[name], *random]:
        for image in images:
            gap = _gap(ours_fn(image, float(factor)), reference_fn(_chw(image), float(factor)))
            assert gap <= BOUND[name], f"{name}({factor}): {gap} levels from torchvision"


def test_a_cpu_batch_takes_the_same_fallback(fallback, images):
    photos = torch.stack([_chw(im) for im in images[2:5]])
    factors = np.array([0.4, 2.5, 6.0])
    out = C.adjust_saturation(photos, factors)
    for i, factor in enumerate(factors):
        assert int((out[i].int() - tvf.adjust_saturation(photos[i], float(factor)).int()).abs().max()) <= 1


def test_chains_without_hue_stay_within_one_level(fallback, images):
    """The gray image and the blends are exact, so only rounding ties remain, even when amplified."""
    rng = np.random.default_rng(0)
    worst = 0
    for image in images:
        tensor = _chw(image)
        for _ in range(8):
            b, c, s = rng.uniform(0.0, 3.0, 3)
            order = [int(i) for i in rng.permutation(3)]
            reference = tensor
            for op in order:
                reference = getattr(tvf, f"adjust_{NAMES[op]}")(reference, float((b, c, s)[op]))
            ours = C.color_jitter(image, float(b), float(c), float(s), None, order)
            worst = max(worst, _gap(ours, reference))
    assert worst <= 1, f"a brightness/contrast/saturation chain is {worst} levels from torchvision"
