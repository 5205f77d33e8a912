"""``from_config``: bounded expansion (YAML alias bombs), errors that name the key, the
``augkit_version`` a saved config carries, and a hint to ``augkit.register``."""

from __future__ import annotations

import time
import warnings

import numpy as np
import pytest
import yaml

import augkit
from augkit.config import MAX_CONFIG_VALUES, from_config, save_config


def _alias_bomb(levels: int, width: int = 9) -> str:
    """YAML whose ``mean`` expands to about ``width ** levels`` numbers in a few hundred bytes."""
    inner = "[" + ", ".join(["0.5"] * width) + "]"
    text = f"&a1 {inner}"
    for level in range(2, levels + 1):
        text = f"&a{level} [{text}" + f", *a{level - 1}" * (width - 1) + "]"
    return f"name: Normalize\nmean: {text}\nstd: [0.2, 0.2, 0.2]\n"


def test_an_alias_bomb_is_refused_before_it_expands():
    bomb = _alias_bomb(8)  # 9**7 * 10 ~ 4.8M values from a 400-byte text
    assert len(bomb) < 500 and 9**7 * 10 > MAX_CONFIG_VALUES
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"config\.mean expands to [\d,]+ values, more than the"):
        from_config(bomb)
    assert time.perf_counter() - start < 5  # refused on the node graph, nothing expanded


def test_a_nested_bomb_names_the_innermost_key():
    text = "{sample: {name: Compose, transforms: [{name: HorizontalFlip}, {name: Normalize, mean: MEAN, std: [1, 1, 1]}]}}"
    text = text.replace("MEAN", _alias_bomb(8).split("mean: ")[1].split("\n")[0])
    with pytest.raises(ValueError, match=r"config\.sample\.transforms\[1\]\.mean expands"):
        from_config(text)


def test_shared_python_lists_count_each_time_they_are_used():
    level = [0.5] * 9
    for _ in range(6):
        level = [level] * 9  # shared, not copied: 9**7 (4.8M) values reached
    with pytest.raises(ValueError, match=r"config\.mean expands"):
        from_config({"name": "Normalize", "mean": level, "std": [1, 1, 1]})


def test_a_recursive_alias_is_refused():
    with pytest.raises(ValueError, match="refers to itself"):
        from_config("name: Normalize\nmean: &a [1, *a]\n")


def test_a_large_honest_config_loads():
    mean_image = np.full((128, 128, 3), 0.5).tolist()  # 65k numbers, well under the bound
    normalize = from_config({"name": "Normalize", "mean_image": mean_image})
    assert normalize.to_config()["mean_image"] == mean_image


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("name: [1, 2]", r"config\.name must be a transform name \(a string\), got \[1, 2\]"),
        ("{name: Compose, transforms: [{name: HorizontalFlip}, {name: {a: 1}}]}", r"config\.transforms\[1\]\.name must be"),
        ("{sample: {name: RandomCrop, size: 8, 3: 4}}", r"config\.sample: argument names of RandomCrop must be strings"),
        ("{batch: {name: Normalize, mean: [1, 2], std: [1, 1, 1]}}", r"config\.batch \(Normalize\): "),
    ],
)
def test_errors_name_the_key(config, message):
    with pytest.raises(ValueError, match=message):
        from_config(config)


def test_unknown_names_point_to_register():
    with pytest.raises(ValueError, match=r"unknown transform 'MyBlur'.*@augkit\.register"):
        from_config({"name": "MyBlur"})


def test_saved_configs_carry_the_version(tmp_path):
    pipeline = augkit.presets.resnet_train()
    for name in ("pipe.yaml", "pipe.json"):
        save_config(pipeline, tmp_path / name)
        record = yaml.safe_load((tmp_path / name).read_text())
        assert record["augkit_version"] == augkit.__version__
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert from_config(tmp_path / name).to_config() == pipeline.to_config()
    assert from_config(pipeline.to_config()).to_config() == pipeline.to_config()  # without the key


def test_a_newer_major_version_warns_and_a_bad_one_is_refused():
    with pytest.warns(UserWarning, match="written by augkit 99.0.0, a newer major version"):
        flip = from_config({"augkit_version": "99.0.0", "name": "HorizontalFlip", "p": 0.25})
    assert flip.p == 0.25
    with pytest.raises(ValueError, match="augkit_version must be a version string"):
        from_config({"augkit_version": 1, "name": "HorizontalFlip"})
