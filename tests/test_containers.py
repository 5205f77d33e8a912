"""Containers: Compose replay, RandomApply / OneOf in both stages, configs and YAML."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from checks import check_batch_matches_samples, same
from hypothesis import given
from hypothesis import strategies as st
from strategies import batches, hwc_images, seeds
from transform_table import bchw, photo_like

import augkit
from augkit import constants
from augkit.transforms.base import BATCH_STAGE, SAMPLE_STAGE, params_at
from augkit.transforms.containers import ComposeParams, OneOfParams, RandomApplyParams

MEAN, STD = constants.IMAGENET_MEAN, constants.IMAGENET_STD


def training_pipeline() -> augkit.Compose:
    return augkit.Compose(
        [
            augkit.RandomScale(40, 64),
            augkit.RandomCrop(32, padding=2),
            augkit.RandomApply(augkit.OneOf([augkit.HorizontalFlip(p=1.0), augkit.VerticalFlip(p=0.5)], weights=[1, 2]), p=0.7),
            augkit.Normalize(MEAN, STD),
        ]
    )


# --- Compose -------------------------------------------------------------------------------


@given(image=hwc_images(min_side=8, max_side=40), seed=seeds)
def test_compose_replays_from_recorded_params(image, seed):
    pipe = training_pipeline()
    out, params = pipe.run(image, np.random.default_rng(seed))
    assert isinstance(params, ComposeParams) and len(params.params) == len(pipe)
    assert out.shape == (32, 32, 3) and out.dtype == np.float32
    assert np.array_equal(pipe.apply(image, params), out)
    assert np.array_equal(pipe(image, rng=np.random.default_rng(seed)), out)
    assert repr(pipe.sample(np.random.default_rng(seed), image)) == repr(params)


def test_compose_params_are_the_children_params_in_order(photo):
    pipe = augkit.Compose([augkit.Resize(shorter=64), augkit.RandomCrop(48), augkit.HorizontalFlip(p=1.0)])
    out, params = pipe.run(photo, np.random.default_rng(0))
    resized = pipe[0](photo)
    crop = params.params[1]
    assert params.params[0] is None and params.params[2].flip is True
    assert np.array_equal(out, resized[crop.top : crop.top + 48, crop.left : crop.left + 48][:, ::-1])


def test_compose_replays_in_the_batch_stage():
    pipe = augkit.Compose([augkit.HorizontalFlip(), augkit.RandomApply(augkit.VerticalFlip(p=1.0), p=0.5), augkit.Normalize(MEAN, STD)])
    batch = bchw(6)
    out, params = pipe.run(batch, np.random.default_rng(4))
    assert torch.equal(pipe.apply(batch, params), out)
    check_batch_matches_samples(pipe, batch, atol=1e-5)


def test_compose_stages_are_the_common_stages():
    assert augkit.Compose([augkit.HorizontalFlip(), augkit.Normalize(MEAN, STD)]).stages == (SAMPLE_STAGE, BATCH_STAGE)
    assert augkit.Compose([augkit.HorizontalFlip(), augkit.Resize(shorter=4)]).stages == (SAMPLE_STAGE,)
    assert augkit.RandomApply(augkit.Resize(shorter=4)).stages == (SAMPLE_STAGE,)
    assert augkit.OneOf([augkit.HorizontalFlip(), augkit.VerticalFlip()]).stages == (SAMPLE_STAGE, BATCH_STAGE)


def test_compose_checks_its_arguments_and_params():
    with pytest.raises(TypeError, match="transforms must be a list of transforms"):
        augkit.Compose(augkit.HorizontalFlip())
    with pytest.raises(TypeError, match=r"transforms\[1\] must be an augkit Transform"):
        augkit.Compose([augkit.HorizontalFlip(), lambda x: x])
    pipe = augkit.Compose([augkit.HorizontalFlip(), augkit.VerticalFlip()])
    with pytest.raises(ValueError, match="ComposeParams with 2 entries"):
        pipe.apply(np.zeros((2, 2, 3), np.uint8), ComposeParams((None,)))
    assert len(pipe) == 2 and isinstance(pipe[1], augkit.VerticalFlip)
    empty = augkit.Compose([])
    image = np.ones((2, 2, 3), np.uint8)
    assert empty(image, rng=0) is image


# --- RandomApply ---------------------------------------------------------------------------


def test_random_apply_in_the_sample_stage():
    image = photo_like(8, 10)
    t = augkit.RandomApply(augkit.HorizontalFlip(p=1.0), p=0.3)
    rng = np.random.default_rng(0)
    applied = 0
    for _ in range(2000):
        out, params = t.run(image, rng)
        assert isinstance(params, RandomApplyParams) and isinstance(params.applied, bool)
        if params.applied:
            applied += 1
            assert params.inner is not None and np.array_equal(out, image[:, ::-1])
        else:
            assert params.inner is None and out is image
    assert 520 < applied < 680  # 600 expected; fixed seed
    assert all(augkit.RandomApply(augkit.HorizontalFlip(p=1.0), p=1.0).sample(rng, image).applied for _ in range(50))
    assert not any(augkit.RandomApply(augkit.HorizontalFlip(p=1.0), p=0.0).sample(rng, image).applied for _ in range(50))


@given(batch=batches(max_batch=8), p=st.sampled_from([0.0, 0.3, 1.0]), inner_p=st.sampled_from([0.5, 1.0]))
def test_random_apply_batch_equals_per_sample(batch, p, inner_p):
    t = augkit.RandomApply(augkit.HorizontalFlip(p=inner_p), p=p)
    params = t.sample(np.random.default_rng(0), batch)
    assert isinstance(params.applied, np.ndarray) and params.applied.shape == (batch.shape[0],)
    check_batch_matches_samples(t, batch)


def test_random_apply_batch_decides_per_sample():
    batch = bchw(64, 4, 5)
    out, params = augkit.RandomApply(augkit.VerticalFlip(p=1.0), p=0.5).run(batch, np.random.default_rng(1))
    mask = torch.from_numpy(params.applied)
    assert 10 < int(mask.sum()) < 54
    assert torch.equal(out[mask], batch[mask].flip(-2)) and torch.equal(out[~mask], batch[~mask])


def test_random_apply_refuses_dtype_changes_in_the_batch_stage():
    t = augkit.RandomApply(augkit.Normalize(MEAN, STD), p=1.0)
    with pytest.raises(ValueError, match="shape- and dtype-preserving"):
        t(bchw(3), rng=0)
    # A float batch keeps its dtype through Normalize: fine.
    assert t(bchw(3).float() / 255, rng=0).dtype == torch.float32


def test_random_apply_checks_its_arguments():
    with pytest.raises(TypeError, match="transform must be an augkit Transform"):
        augkit.RandomApply("flip")
    with pytest.raises(TypeError, match="transform must be an augkit Transform"):
        augkit.RandomApply([])
    with pytest.raises(ValueError, match=r"p must be a probability in \[0, 1\]"):
        augkit.RandomApply(augkit.HorizontalFlip(), p=2)


# --- OneOf ---------------------------------------------------------------------------------


def test_one_of_in_the_sample_stage_follows_the_weights():
    image = photo_like(6, 7)
    t = augkit.OneOf([augkit.HorizontalFlip(p=1.0), augkit.VerticalFlip(p=1.0), augkit.CenterCrop(4)], weights=[1, 2, 1])
    expected = {0: image[:, ::-1], 1: image[::-1], 2: image[1:5, 2:6]}
    rng = np.random.default_rng(0)
    counts = np.zeros(3, int)
    for _ in range(2000):
        out, params = t.run(image, rng)
        assert isinstance(params, OneOfParams) and isinstance(params.choice, int)
        assert [p is not None for p in params.inner] == [i == params.choice for i in range(3)]
        assert np.array_equal(out, expected[params.choice])
        counts[params.choice] += 1
    assert np.all(np.abs(counts - [500, 1000, 500]) < 80), counts  # fixed seed


@given(batch=batches(max_batch=8), seed=seeds, weights=st.sampled_from([None, (1.0, 1.0, 2.0), (0.0, 1.0, 0.0)]))
def test_one_of_batch_equals_per_sample(batch, seed, weights):
    t = augkit.OneOf(
        [
            augkit.HorizontalFlip(p=0.5),
            augkit.VerticalFlip(p=1.0),
            augkit.Compose([augkit.HorizontalFlip(p=1.0), augkit.VerticalFlip(p=1.0)]),
        ],
        weights=weights,
    )
    params = t.sample(np.random.default_rng(seed), batch)
    assert params.choice.shape == (batch.shape[0],)
    if weights == (0.0, 1.0, 0.0):
        assert (params.choice == 1).all()
    out = t.apply(batch, params)
    for i in range(batch.shape[0]):
        single = params_at(params, i)
        assert torch.equal(out[i], t.apply(batch[i], single))


def test_nested_containers_batch_equals_per_sample():
    t = augkit.Compose(
        [
            augkit.RandomApply(augkit.OneOf([augkit.HorizontalFlip(p=0.5), augkit.RandomApply(augkit.VerticalFlip(p=1.0), p=0.5)]), p=0.6),
            augkit.Normalize(MEAN, STD),
        ]
    )
    for seed in range(5):
        check_batch_matches_samples(t, bchw(12, 5, 6), atol=1e-5)
        out, params = t.run(bchw(12, 5, 6), np.random.default_rng(seed))
        assert torch.equal(t.apply(bchw(12, 5, 6), params), out)


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"transforms": []}, ValueError, "transforms must not be empty"),
        ({"transforms": "HorizontalFlip"}, TypeError, "transforms must be a list"),
        ({"transforms": [augkit.HorizontalFlip(), 3]}, TypeError, r"transforms\[1\] must be an augkit Transform"),
        ({"weights": [1.0]}, ValueError, "weights must have 2 values"),
        ({"weights": [1.0, -1.0]}, ValueError, "weights must be >= 0 with a positive sum"),
        ({"weights": [0.0, 0.0]}, ValueError, "weights must be >= 0 with a positive sum"),
        ({"weights": [1.0, float("nan")]}, ValueError, "weights must be finite"),
        ({"weights": ["a", "b"]}, TypeError, "weights must be a sequence of numbers"),
    ],
)
def test_one_of_checks_its_arguments(kwargs, error, pattern):
    kwargs = {"transforms": [augkit.HorizontalFlip(), augkit.VerticalFlip()], **kwargs}
    with pytest.raises(error, match=pattern):
        augkit.OneOf(**kwargs)


def test_one_of_weights_are_normalized_to_floats():
    t = augkit.OneOf([augkit.HorizontalFlip(), augkit.VerticalFlip()], weights=[1, 3])
    assert t.weights == (1.0, 3.0)
    assert augkit.OneOf([augkit.HorizontalFlip()]).weights is None


# --- configs and YAML ----------------------------------------------------------------------


def nested_pipeline() -> augkit.Compose:
    return augkit.Compose(
        [
            augkit.RandomResizedCrop((24, 28), scale=(0.2, 1.0)),
            augkit.RandomApply(
                augkit.Compose(
                    [augkit.OneOf([augkit.HorizontalFlip(), augkit.VerticalFlip(p=0.3)], weights=[2, 1]), augkit.CenterCrop(20, fill=5)]
                ),
                p=0.4,
            ),
            augkit.OneOf([augkit.RandomCrop((16, 18), padding=(1, 2, 3, 4), fill=9), augkit.Resize(size=(16, 18))]),
            augkit.Normalize(MEAN),
        ]
    )


def check_same_behaviour(a: augkit.Transform, b: augkit.Transform) -> None:
    image = photo_like(40, 50)
    for seed in range(6):
        assert same(a(image, rng=seed), b(image, rng=seed))


def test_nested_config_round_trip():
    pipe = nested_pipeline()
    config = pipe.to_config()
    assert config["name"] == "Compose" and config["transforms"][1]["transform"]["name"] == "Compose"
    rebuilt = augkit.from_config(config)
    assert rebuilt.to_config() == config and repr(rebuilt) == repr(pipe)
    check_same_behaviour(pipe, rebuilt)
    check_same_behaviour(pipe, pickle.loads(pickle.dumps(pipe)))


def test_config_is_plain_data():
    def plain(value) -> bool:
        if isinstance(value, dict):
            return all(isinstance(k, str) and plain(v) for k, v in value.items())
        if isinstance(value, list):
            return all(plain(v) for v in value)
        return value is None or isinstance(value, (bool, int, float, str))

    assert plain(nested_pipeline().to_config())


def test_yaml_round_trip_through_a_string_and_files(tmp_path):
    pipe = nested_pipeline()
    text = augkit.to_yaml(pipe)
    assert yaml.safe_load(text) == pipe.to_config()
    from_text = augkit.from_config(text)
    assert from_text.to_config() == pipe.to_config()
    check_same_behaviour(pipe, from_text)
    for name in ("pipe.yaml", "pipe.yml"):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        for source in (path, str(path)):
            assert augkit.from_config(source).to_config() == pipe.to_config()


def test_single_transform_yaml_round_trip():
    t = augkit.RandomCrop(8, padding=(1, 2), fill=3)
    assert augkit.from_config(augkit.to_yaml(t)).to_config() == t.to_config()


@pytest.mark.parametrize(
    ("config", "pattern"),
    [
        ({"name": "NoSuchTransform"}, "unknown transform 'NoSuchTransform'; known: .*CenterCrop"),
        ({"name": "RandomCrop", "size": 4, "colour": 1}, "RandomCrop has no argument 'colour'; allowed: size, padding"),
        ({"size": 4}, "must be a mapping with a 'name' key"),
        ("- just\n- a list\n", "must be a mapping with a 'name' key"),
        ({"name": "Compose", "transforms": [{"name": "Bogus"}]}, r"config.transforms\[0\]: unknown transform 'Bogus'"),
        ({"name": "RandomCrop", "size": 0}, "size must be >= 1"),
    ],
)
def test_from_config_errors(config, pattern):
    with pytest.raises(ValueError, match=pattern):
        augkit.from_config(config)


def test_from_config_never_executes_code(tmp_path):
    marker = tmp_path / "executed"
    text = f"!!python/object/apply:os.system ['touch {marker}']\n"
    with pytest.raises(yaml.YAMLError):
        augkit.from_config(text)
    assert not Path(marker).exists()
