"""Shared fixtures and the hypothesis profiles."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import augkit
from augkit.samples import sample_paths

settings.register_profile(
    "ci",
    max_examples=40,
    deadline=None,
    derandomize=True,  # CI reproducible to the bit; HYPOTHESIS_PROFILE=thorough explores afresh
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.register_profile("thorough", max_examples=500, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def sample_images() -> dict[str, np.ndarray]:
    """The bundled sample photos, decoded (name -> HWC uint8 RGB)."""
    return {p.name: augkit.decode(p) for p in sample_paths()}


@pytest.fixture(scope="session")
def photo(sample_images) -> np.ndarray:
    """One natural photo (640x427 JPEG)."""
    return sample_images["china.jpg"]


@pytest.fixture
def rng() -> np.random.Generator:
    """A fixed-seed generator, fresh for each test."""
    return np.random.default_rng(12345)
