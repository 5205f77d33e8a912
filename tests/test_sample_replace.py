"""``Sample.replace`` (converts only what changes) and transforms that never draw (no generator made)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

import augkit
from augkit.transforms import base


def _sample() -> augkit.Sample:
    return augkit.Sample(
        np.zeros((4, 6, 3), np.uint8), label=3, mask=np.ones((4, 6), np.uint8), boxes=[[0, 0, 2, 4]], keypoints=[[1, 1]], key=7
    )


def test_replace_keeps_unchanged_fields_as_they_are():
    sample = _sample()
    image = np.ones((4, 6, 3), np.uint8)
    out = sample.replace(image=image)
    assert type(out) is augkit.Sample and out is not sample
    assert out.image is image
    for name in ("label", "mask", "boxes", "keypoints", "key"):
        assert getattr(out, name) is getattr(sample, name)
    assert sample.image is not image  # frozen: the original is untouched


def test_replace_converts_boxes_and_keypoints_given_as_arrays():
    out = _sample().replace(boxes=[[1, 2, 3, 4]], keypoints=np.array([[2.0, 3.0]]))
    assert isinstance(out.boxes, augkit.Boxes) and out.boxes.xyxy.dtype == np.float32
    assert isinstance(out.keypoints, augkit.Keypoints) and out.keypoints.xy.tolist() == [[2.0, 3.0]]
    assert out.boxes.xyxy.tolist() == [[1.0, 2.0, 3.0, 4.0]] and out.boxes.labels is None


def test_replace_refuses_an_unknown_field():
    with pytest.raises(TypeError, match="colour"):
        _sample().replace(colour=1)


def test_replace_on_a_subclass_builds_the_subclass():
    @dataclasses.dataclass(frozen=True)
    class Tagged(augkit.Sample):
        tag: str = ""

    out = Tagged(np.zeros((2, 2, 3), np.uint8), tag="a").replace(boxes=[[0, 0, 1, 1]])
    assert type(out) is Tagged and out.tag == "a" and isinstance(out.boxes, augkit.Boxes)


def test_a_transform_that_never_draws_makes_no_generator(monkeypatch):
    def refuse(rng):
        raise AssertionError("a generator was made")

    monkeypatch.setattr(base, "as_generator", refuse)
    x = torch.full((3, 2, 2), 255, dtype=torch.uint8)
    assert augkit.Normalize(mean=(0.0, 0.0, 0.0))(x).tolist() == [[[1.0, 1.0], [1.0, 1.0]]] * 3
    assert augkit.ToTensor()(np.zeros((2, 2, 3), np.uint8)).shape == (3, 2, 2)
    with pytest.raises(AssertionError, match="a generator was made"):
        augkit.HorizontalFlip()(np.zeros((2, 2, 3), np.uint8))  # it draws: a generator is made
    with pytest.raises(AssertionError, match="a generator was made"):
        augkit.Compose([augkit.ToTensor()])(np.zeros((2, 2, 3), np.uint8))  # containers always get one


def test_a_transform_that_never_draws_gives_the_same_output_with_or_without_rng():
    x = torch.arange(48, dtype=torch.uint8).reshape(3, 4, 4)
    norm = augkit.Normalize(augkit.constants.IMAGENET_MEAN, augkit.constants.IMAGENET_STD)
    assert torch.equal(norm(x), norm(x, rng=0))
