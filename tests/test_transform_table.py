"""The transform contract, checked over every public transform (see ``transform_table.py``)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from checks import check_batch_layouts, check_batch_matches_samples, check_transform, same
from transform_table import BATCH_ROWS, TABLE

import augkit
import augkit.batch  # noqa: F401  (registers the mixing transforms before the table is read)
import augkit.interop  # noqa: F401  (registers the wrappers, so the module passes alone too)
from augkit.transforms.base import BATCH_STAGE, registered_transforms
from augkit.transforms.containers import ComposeParams

# Image transforms only: mixing transforms (augkit.batch) have their own contract, tested in test_mix.py.
AUGKIT_TRANSFORMS = sorted(
    name for name, cls in registered_transforms().items() if cls.__module__.startswith("augkit.") and issubclass(cls, augkit.Transform)
)


def test_every_public_transform_has_a_table_row():
    missing = [name for name in AUGKIT_TRANSFORMS if name not in TABLE]
    assert not missing, f"add rows to tests/transform_table.py for: {missing}"


def test_every_batch_stage_transform_has_a_batch_row():
    batch_capable = [
        n for n in AUGKIT_TRANSFORMS if BATCH_STAGE in registered_transforms()[n].stages and not registered_transforms()[n].mixes_targets
    ]
    missing = [n for n in batch_capable if n not in BATCH_ROWS]
    assert not missing, f"add BATCH_ROWS entries in tests/transform_table.py for: {missing}"


def test_every_exported_transform_is_registered():
    exported = [
        getattr(augkit, n).__name__
        for n in augkit.__all__
        if isinstance(getattr(augkit, n), type) and issubclass(getattr(augkit, n), augkit.Transform)
    ]
    assert set(exported) - {"Transform", "MixingTransform"} <= set(AUGKIT_TRANSFORMS)
    assert augkit.RandomHorizontalFlip is augkit.HorizontalFlip and augkit.RandomVerticalFlip is augkit.VerticalFlip
    assert type(augkit.from_config({"name": "RandomHorizontalFlip", "p": 0.3})) is augkit.HorizontalFlip


@pytest.mark.parametrize("name", sorted(TABLE))
def test_contract(name):
    row = TABLE[name]
    check_transform(row.make(), row.make_input(), out_dtype=row.out_dtype, out_shape=row.out_shape)


@pytest.mark.parametrize("name", sorted(n for n in TABLE if TABLE[n].make_identity is not None))
def test_zero_probability_is_identity(name):
    row = TABLE[name]
    image = row.make_input()
    for seed in range(5):
        assert same(row.make_identity()(image, rng=seed), image)


@pytest.mark.parametrize("name", sorted(TABLE))
def test_config_round_trip(name):
    row = TABLE[name]
    transform = row.make()
    if row.extra.get("config", True) is False:
        with pytest.raises(NotImplementedError):
            transform.to_config()
        return
    rebuilt = augkit.from_config(transform.to_config())
    assert type(rebuilt) is type(transform)
    assert repr(rebuilt) == repr(transform)
    image = row.make_input()
    assert same(rebuilt(image, rng=11), transform(image, rng=11))


@pytest.mark.parametrize("name", sorted(BATCH_ROWS))
def test_batch_contract(name):
    make, make_batch, _ = BATCH_ROWS[name]
    batch = make_batch()
    transform = make()
    shape = tuple(transform(batch, rng=0).shape)
    assert shape[:2] == tuple(batch.shape[:2])
    check_transform(transform, batch, out_shape=shape)


@pytest.mark.parametrize("name", sorted(BATCH_ROWS))
def test_batch_empty_and_channels_last(name):
    make, make_batch, _ = BATCH_ROWS[name]
    check_batch_layouts(make(), make_batch())


@pytest.mark.parametrize("name", sorted(BATCH_ROWS))
def test_batch_equals_per_sample(name):
    make, make_batch, atol = BATCH_ROWS[name]
    check_batch_matches_samples(make(), make_batch(), atol=atol)


#: Batch-stage transforms without random parameters (``sample`` returns None).
DETERMINISTIC = {"BoxFilter", "Grayscale", "Normalize", "Whiten"}


@pytest.mark.parametrize("name", sorted(DETERMINISTIC))
def test_deterministic_batch_transforms_draw_nothing(name):
    make, make_batch, _ = BATCH_ROWS[name]
    assert make().sample(np.random.default_rng(0), make_batch()) is None


#: Batch-stage transforms whose parameters are the same for every sample by definition.
FIXED = {"CenterCrop"}


@pytest.mark.parametrize("name", sorted(set(BATCH_ROWS) - DETERMINISTIC - FIXED))
def test_batch_draws_per_sample(name):
    """Random batch-stage parameters are drawn per sample, not once per batch."""
    make, make_batch, _ = BATCH_ROWS[name]
    transform = make()
    batch = make_batch()
    params = transform.sample(np.random.default_rng(0), torch.cat([batch] * 8))
    assert params is not None, f"{name} drew no parameters; list it in DETERMINISTIC if that is right"
    arrays = [a for a in _top_level_arrays(params)]
    assert arrays and all(a.shape[0] == batch.shape[0] * 8 for a in arrays)
    assert any(len(np.unique(a, axis=0)) > 1 for a in arrays), f"{name} drew one value for the whole batch"


def _top_level_arrays(params):
    """The [B]-shaped arrays of a params dataclass, looking into Compose's children."""
    if params is None:
        return []
    if isinstance(params, ComposeParams):
        return [a for p in params.params for a in _top_level_arrays(p)]
    return [v for v in vars(params).values() if isinstance(v, np.ndarray)]


def test_unknown_config_name_lists_known():
    with pytest.raises(ValueError, match="unknown transform 'Nope'.*RandomCrop"):
        augkit.from_config({"name": "Nope"})


def test_unknown_config_argument_lists_allowed():
    with pytest.raises(ValueError, match="no argument 'sz'.*allowed: size"):
        augkit.from_config({"name": "RandomCrop", "sz": 3})
