"""Renamed arguments of the presets and ``PCALighting``: the old names work for a release, with a warning."""

from __future__ import annotations

import warnings
from types import SimpleNamespace

import pytest

import augkit
from augkit import presets

# (preset, old name, new name, a value that differs from the default)
PRESET_RENAMES = [
    (presets.alexnet_train, "resize", "shorter", 288),
    (presets.alexnet_train, "alphastd", "alpha_std", 0.2),
    (presets.alexnet_train, "flip", "hflip_prob", 0.25),
    (presets.alexnet_eval, "resize", "shorter", 288),
    (presets.vgg_train, "scale", "shorter", (300, 400)),
    (presets.vgg_train, "alphastd", "alpha_std", 0.2),
    (presets.vgg_train, "flip", "hflip_prob", 0.25),
    (presets.vgg_eval, "resize", "shorter", 288),
    (presets.resnet_train, "scale", "shorter", (300, 400)),
    (presets.resnet_train, "alphastd", "alpha_std", 0.2),
    (presets.resnet_train, "flip", "hflip_prob", 0.25),
    (presets.resnet_eval, "resize", "shorter", 288),
    (presets.inception_train, "flip", "hflip_prob", 0.25),
    (presets.cifar_train, "flip", "hflip_prob", 0.25),
]


@pytest.mark.parametrize(("preset", "old", "new", "value"), PRESET_RENAMES, ids=lambda v: getattr(v, "__name__", str(v)))
def test_old_preset_names_build_the_same_pipeline_with_a_warning(preset, old, new, value):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the new name does not warn
        expected = preset(**{new: value}).to_config()
    assert expected != preset().to_config()  # the value reaches the pipeline
    with pytest.warns(DeprecationWarning, match=rf"{preset.__name__}\({old}=\.\.\.\) is deprecated.*{new}=") as caught:
        built = preset(**{old: value})
    assert built.to_config() == expected
    assert caught[0].filename == __file__  # the warning points at the caller


def test_the_issue_example():
    with pytest.warns(DeprecationWarning):
        old = presets.resnet_train(scale=(256, 480))
    assert old.to_config() == presets.resnet_train(shorter=(256, 480)).to_config()
    assert presets.resnet_train(shorter=(300, 400)).sample.transforms[0].max_size == 400


def test_both_names_at_once_are_refused():
    with pytest.raises(TypeError, match="shorter= and its deprecated name scale="):
        presets.resnet_train(scale=(256, 480), shorter=(256, 480))
    with pytest.raises(TypeError, match="alpha_std= and its deprecated name alphastd="):
        augkit.PCALighting(alphastd=0.1, alpha_std=0.1)


def test_unknown_names_are_still_errors():
    with pytest.raises(TypeError, match="scales"):
        presets.resnet_train(scales=(256, 480))


def test_pca_lighting_alpha_std():
    lighting = augkit.PCALighting(alpha_std=0.3)
    assert lighting.alpha_std == 0.3 and lighting.to_config()["alpha_std"] == 0.3 and "alphastd" not in lighting.to_config()
    assert repr(lighting).startswith("PCALighting(alpha_std=0.3,")
    with pytest.warns(DeprecationWarning, match=r"PCALighting\(alphastd=\.\.\.\)"):
        old = augkit.PCALighting(alphastd=0.3)
    assert old.to_config() == lighting.to_config()
    with pytest.warns(DeprecationWarning, match="read alpha_std"):
        assert old.alphastd == 0.3
    with pytest.warns(DeprecationWarning, match=r"from_stats\(alphastd=\.\.\.\)"):
        from_stats = augkit.PCALighting.from_stats(SimpleNamespace(eigval=lighting.eigval, eigvec=lighting.eigvec), alphastd=0.2)
    assert from_stats.alpha_std == 0.2


def test_configs_written_with_the_old_name_still_load():
    config = {"name": "PCALighting", "alphastd": 0.25}
    with pytest.warns(DeprecationWarning, match="alpha_std"):
        loaded = augkit.from_config(config)
    assert loaded.alpha_std == 0.25 and loaded.to_config()["alpha_std"] == 0.25
    nested = {"sample": None, "batch": {"name": "Compose", "transforms": [config, {"name": "Normalize", "mean": [0.5, 0.5, 0.5]}]}}
    with pytest.warns(DeprecationWarning):
        pipeline = augkit.from_config(nested)
    assert pipeline.batch.transforms[0].alpha_std == 0.25
    with pytest.raises(ValueError, match="has no argument 'alpha_sd'"):
        augkit.from_config({"name": "PCALighting", "alpha_sd": 0.25})


def test_an_invalid_value_under_the_old_name_is_named_both_ways():
    with pytest.warns(DeprecationWarning), pytest.raises(ValueError, match=r"alpha_std must lie in .* given as alphastd="):
        augkit.PCALighting(alphastd=-1.0)
    with pytest.raises(ValueError, match=r"alpha_std must lie in \[0, 100\], got -1.0$"):
        augkit.PCALighting(alpha_std=-1.0)
