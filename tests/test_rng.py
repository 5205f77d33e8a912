"""Generators: derived reproducibly from (seed, epoch, index, stream), never from global state."""

from __future__ import annotations

import random
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import augkit
from augkit.rng import BATCH_STREAM, SAMPLE_STREAM, as_generator, derive_generator

naturals = st.integers(min_value=0, max_value=2**63)
LIBRARY = Path(augkit.__file__).resolve().parent


def draws(generator: np.random.Generator, n: int = 4) -> list[int]:
    return generator.integers(0, 2**62, size=n).tolist()


@given(seed=naturals, epoch=naturals, index=naturals, stream=st.sampled_from([SAMPLE_STREAM, BATCH_STREAM]))
def test_same_arguments_give_the_same_stream(seed, epoch, index, stream):
    assert draws(derive_generator(seed, epoch, index, stream)) == draws(derive_generator(seed, epoch, index, stream))


@given(args=st.tuples(naturals, naturals, naturals, st.integers(0, 1)), position=st.integers(0, 3), delta=st.integers(1, 1000))
def test_changing_any_argument_changes_the_stream(args, position, delta):
    other = list(args)
    other[position] += delta
    assert draws(derive_generator(*args)) != draws(derive_generator(*other))


def test_arguments_are_not_interchangeable():
    streams = {
        tuple(draws(derive_generator(*args)))
        for args in [(1, 2, 3, 0), (2, 1, 3, 0), (3, 2, 1, 0), (1, 3, 2, 0), (1, 2, 0, 3), (0, 1, 2, 3)]
    }
    assert len(streams) == 6
    assert draws(derive_generator(5, 0, 7, SAMPLE_STREAM)) != draws(derive_generator(5, 0, 7, BATCH_STREAM))


def test_default_stream_is_the_sample_stream():
    assert draws(derive_generator(3, 1, 4)) == draws(derive_generator(3, 1, 4, SAMPLE_STREAM))


def test_numpy_integer_arguments_equal_python_ints():
    assert draws(derive_generator(np.int64(3), np.uint32(1), np.int16(4))) == draws(derive_generator(3, 1, 4))


def test_items_get_independent_uniform_streams():
    # First draws of 4000 consecutive items (and of consecutive epochs): uniform and uncorrelated.
    firsts = np.array([derive_generator(0, 0, i).random() for i in range(4000)])
    seconds = np.array([derive_generator(0, 1, i).random() for i in range(4000)])
    grid = np.sort(firsts)
    ks = np.abs(np.arange(1, grid.size + 1) / grid.size - grid).max()
    assert ks < 0.035  # KS critical value at alpha = 0.001 for n = 4000 is 1.95 / sqrt(4000) = 0.031
    assert abs(np.corrcoef(firsts[:-1], firsts[1:])[0, 1]) < 0.06  # neighbouring items
    assert abs(np.corrcoef(firsts, seconds)[0, 1]) < 0.06  # the same item in the next epoch
    assert len(set(firsts.tolist())) == firsts.size


@pytest.mark.parametrize(
    ("args", "error", "pattern"),
    [
        ((-1, 0, 0), ValueError, "seed must be >= 0"),
        ((0, -1, 0), ValueError, "epoch must be >= 0"),
        ((0, 0, -5), ValueError, "index must be >= 0"),
        ((0, 0, 0, -1), ValueError, "stream must be >= 0"),
        ((1.5, 0, 0), TypeError, "seed must be an int"),
        ((0, "1", 0), TypeError, "epoch must be an int"),
        ((0, 0, True), TypeError, "index must be an int"),
        ((0, 0, None), TypeError, "index must be an int"),
    ],
)
def test_derive_generator_validates_its_arguments(args, error, pattern):
    with pytest.raises(error, match=pattern):
        derive_generator(*args)


def test_as_generator():
    generator = np.random.default_rng(0)
    assert as_generator(generator) is generator
    assert as_generator(7).integers(1000) == np.random.default_rng(7).integers(1000)
    assert as_generator(np.int64(7)).integers(1000) == np.random.default_rng(7).integers(1000)
    assert isinstance(as_generator(None), np.random.Generator)
    for bad in (True, 1.5, "7", np.random.RandomState(0)):
        with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
            as_generator(bad)


def test_transforms_never_touch_global_random_state():
    np.random.seed(123)
    random.seed(123)
    torch.manual_seed(123)
    before = (np.random.get_state()[1].copy(), random.getstate(), torch.get_rng_state().clone())
    pipeline = augkit.Compose(
        [
            augkit.RandomResizedCrop(16),
            augkit.RandomApply(augkit.OneOf([augkit.HorizontalFlip(), augkit.VerticalFlip()]), p=0.5),
            augkit.RandomCrop(12, padding=2),
        ]
    )
    image = np.zeros((30, 40, 3), np.uint8)
    for seed in (None, 0, derive_generator(1, 2, 3)):
        pipeline(image, rng=seed)
    batch_pipeline = augkit.Compose([augkit.HorizontalFlip(), augkit.RandomApply(augkit.VerticalFlip(p=1.0), p=0.5)])
    batch_pipeline(torch.zeros(8, 3, 4, 4, dtype=torch.uint8), rng=None)
    assert np.array_equal(np.random.get_state()[1], before[0])
    assert random.getstate() == before[1]
    assert torch.equal(torch.get_rng_state(), before[2])


# --- static scan: no global RNG anywhere in the library --------------------------------------

# The same patterns as the project's before-stop hook, plus torch's in-place tensor draws.
GLOBAL_RNG = [
    re.compile(
        r"np\.random\.(rand|randn|randint|random|random_sample|choice|uniform|normal|beta|gamma|seed|shuffle|permutation|integers|binomial|poisson|exponential|dirichlet)\("
    ),
    re.compile(r"numpy\.random\.(rand|randn|randint|random|choice|uniform|normal|seed|shuffle|permutation)\("),
    re.compile(r"(^|[^.\w])random\.(random|randint|randrange|uniform|choice|choices|sample|shuffle|seed|gauss|betavariate)\("),
    re.compile(
        r"torch\.(rand|randn|randint|randperm|rand_like|randn_like|randint_like|manual_seed|seed|normal|bernoulli|multinomial|poisson)\("
    ),
    re.compile(r"\.(uniform_|normal_|bernoulli_|random_|exponential_|geometric_|cauchy_|log_normal_)\("),
]


def global_rng_uses(text: str) -> list[str]:
    """Lines drawing from a global generator (a torch call passing generator= is fine)."""
    hits = []
    for number, line in enumerate(text.splitlines(), 1):
        code = line.split("#", 1)[0]
        if "generator=" in code:
            continue
        if any(pattern.search(code) for pattern in GLOBAL_RNG):
            hits.append(f"{number}: {line.strip()}")
    return hits


def test_the_scan_finds_global_rng_uses():
    bad = [
        "x = np.random.rand(3)",
        "np.random.seed(0)",
        "k = random.randint(0, 9)",
        "t = torch.rand(3)",
        "p = torch.randperm(5)",
        "t.uniform_(0, 1)",
        "i = numpy.random.choice(4)",
    ]
    for line in bad:
        assert global_rng_uses(line), line
    good = [
        "x = rng.random(3)",
        "x = rng.uniform(0, 1, size=4)",
        "t = torch.rand(3, generator=g)",
        "g = np.random.default_rng(seed)",
        "np.random.Generator(np.random.PCG64(seq))",
        "# np.random.rand( in a comment",
        "x = self.rng.choice(3)",
    ]
    for line in good:
        assert not global_rng_uses(line), line


def test_library_never_uses_global_rng():
    files = sorted(LIBRARY.rglob("*.py"))
    assert len(files) >= 10  # the scan really looks at the package
    hits = [f"{path.relative_to(LIBRARY.parent)}:{hit}" for path in files for hit in global_rng_uses(path.read_text(encoding="utf-8"))]
    assert not hits, "global RNG used in the library (draw from the generator passed in):\n" + "\n".join(hits)
