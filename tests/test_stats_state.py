"""``StatsState``: the public, immutable state behind ``Stats``, and what ``store`` / ``distributed`` use."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import numpy as np
import pytest

import augkit
from augkit.stats import Stats, StatsState, store


@pytest.fixture
def stats() -> Stats:
    rng = np.random.default_rng(0)
    parts = [Stats.from_image(rng.integers(0, 256, (9, 7, 3), dtype=np.uint8), mean_image_size=(4, 5)) for _ in range(3)]
    return Stats.combine(parts)


def test_state_round_trip_is_exact(stats):
    state = stats.state()
    assert (state.num_images, state.num_pixels) == (3, 189)
    again = Stats.from_state(state)
    for name in ("mean", "m2", "std", "cov", "eigval", "eigvec", "mean_image"):
        assert np.array_equal(getattr(again, name), getattr(stats, name)), name
    assert repr(again) == repr(stats)


def test_state_is_immutable(stats):
    state = stats.state()
    with pytest.raises(dataclasses.FrozenInstanceError):
        state.num_images = 7
    for array in (state.mean, state.m2, state.mean_image):
        with pytest.raises(ValueError, match="read-only"):
            array[...] = 0
    stats.mean[0] = 5.0  # a copy: the state is untouched
    assert stats.state().mean[0] != 5.0


def test_state_validates_like_stats():
    with pytest.raises(ValueError, match="symmetric"):
        StatsState(1, 4, np.zeros(3), np.arange(9.0).reshape(3, 3))
    with pytest.raises(ValueError, match="num_pixels must be > 0"):
        StatsState(1, 0, np.zeros(3), np.zeros((3, 3)))
    with pytest.raises(TypeError, match="num_images must be an int"):
        StatsState(1.5, 4, np.zeros(3), np.zeros((3, 3)))
    with pytest.raises(TypeError, match="state must be a StatsState"):
        Stats.from_state({"num_images": 1})


def test_merge_of_states_equals_merge_of_stats(stats):
    other = Stats.from_image(np.full((3, 4, 3), 200, np.uint8), mean_image_size=(4, 5))
    merged = stats.state().merge(other.state())
    expected = stats.merge(other)
    assert np.array_equal(merged.m2, expected.m2) and np.array_equal(merged.mean, stats.merge(other).mean)
    assert StatsState.nothing().merge(merged) is merged and merged.merge(StatsState.nothing()) is merged


def test_store_reads_and_writes_states(stats, tmp_path):
    path = tmp_path / "stats.json"
    store.save(stats.state(), path)
    loaded = store.load(path)
    assert isinstance(loaded, StatsState)
    assert np.array_equal(loaded.m2, stats.m2) and np.array_equal(loaded.mean_image, stats.mean_image)
    assert repr(Stats.load(path)) == repr(stats)
    with pytest.raises(ValueError, match="no images"):
        store.save(StatsState.nothing(), tmp_path / "empty.json")


@pytest.mark.parametrize("module", ["store", "distributed"])
def test_store_and_distributed_read_no_private_fields(module):
    source = Path(augkit.stats.__file__).with_name(f"{module}.py").read_text(encoding="utf-8")
    private = [
        f"line {node.lineno}: .{node.attr}"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
    ]
    assert not private, f"augkit/stats/{module}.py reads private attributes: {private}"
