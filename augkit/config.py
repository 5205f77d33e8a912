"""Pipelines to and from plain dicts and YAML (``yaml.safe_load`` only)."""

from __future__ import annotations

import inspect
import os
from typing import Any

import yaml

from augkit.transforms.base import Configurable, registered_transforms


def from_config(config: dict[str, Any] | str | os.PathLike) -> Configurable:
    """Rebuild a transform or pipeline from ``to_config()`` output, a YAML string or a YAML file.

    Args:
        config: A dict ``{"name": ..., **arguments}``, a path to a ``.yaml`` / ``.yml`` file,
            or YAML text.

    Returns:
        The transform (a ``Transform``, or a ``MixingTransform`` such as ``Mixup``).

    Raises:
        ValueError: Unknown transform name or argument; the message lists what is allowed.
    """
    if isinstance(config, os.PathLike) or (isinstance(config, str) and config.endswith((".yaml", ".yml"))):
        with open(config, encoding="utf-8") as handle:
            config = yaml.safe_load(handle)
    elif isinstance(config, str):
        config = yaml.safe_load(config)
    return _build(config, "config")


def _build(config: Any, where: str) -> Configurable:
    if not isinstance(config, dict) or "name" not in config:
        raise ValueError(f"{where} must be a mapping with a 'name' key, got {config!r}")
    table = registered_transforms()
    name = config["name"]
    if name not in table:
        raise ValueError(f"{where}: unknown transform {name!r}; known: {', '.join(sorted(table))}")
    cls = table[name]
    allowed = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    args = {k: v for k, v in config.items() if k != "name"}
    unknown = sorted(set(args) - set(allowed))
    if unknown:
        raise ValueError(f"{where}: {name} has no argument {', '.join(map(repr, unknown))}; allowed: {', '.join(allowed)}")
    for key, value in args.items():
        if isinstance(value, dict) and "name" in value:
            args[key] = _build(value, f"{where}.{key}")
        elif isinstance(value, list) and value and all(isinstance(v, dict) and "name" in v for v in value):
            args[key] = [_build(v, f"{where}.{key}[{i}]") for i, v in enumerate(value)]
    return cls(**args)


def to_yaml(transform: Configurable) -> str:
    """Return the YAML text of ``transform.to_config()``."""
    return yaml.safe_dump(transform.to_config(), sort_keys=False)
