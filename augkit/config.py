"""Pipelines to and from plain dicts and YAML (``yaml.safe_load`` only)."""

from __future__ import annotations

import inspect
import os
from typing import Any

import yaml

from augkit.pipeline import Pipeline, as_pipeline
from augkit.transforms.base import Configurable, registered_transforms

#: Suffixes of strings that ``from_config`` reads as file names rather than YAML text.
CONFIG_SUFFIXES = (".yaml", ".yml", ".json")
STAGE_KEYS = ("sample", "batch")


def from_config(config: dict[str, Any] | str | os.PathLike) -> Configurable | Pipeline:
    """Rebuild a transform or pipeline from ``to_config()`` output, a YAML string or a file.

    This is the one loader of pipeline configs: ``augkit preview --config`` and the demo's
    ``pipeline.yaml`` go through it too. Files are parsed with ``yaml.safe_load`` (JSON is
    YAML, so ``.json`` files load the same way); nothing in a config is ever executed.

    Args:
        config: A dict ``{"name": ..., **arguments}`` (one transform or ``Compose``), a dict
            ``{"sample": ..., "batch": ...}`` of both stages (as ``Pipeline.to_config()``
            writes; either may be None or omitted), a path to a ``.yaml`` / ``.yml`` /
            ``.json`` file holding either, or YAML text.

    Returns:
        The transform (a ``Transform``, or a ``MixingTransform`` such as ``Mixup``), or a
        ``Pipeline`` for the two-stage form.

    Raises:
        ValueError: Unknown transform name or argument (the message lists what is allowed),
            or a transform in a stage it cannot run in.
        OSError: A file that cannot be read.
        yaml.YAMLError: Text that is not YAML (or tags that would execute code).

    Example:
        >>> pipe = from_config({"sample": {"name": "RandomCrop", "size": 8}, "batch": None})
        >>> type(pipe).__name__, type(pipe.sample).__name__, pipe.batch
        ('Pipeline', 'RandomCrop', None)
    """
    if isinstance(config, os.PathLike) or (isinstance(config, str) and config.lower().endswith(CONFIG_SUFFIXES)):
        with open(config, encoding="utf-8") as handle:
            config = yaml.safe_load(handle)
    elif isinstance(config, str):
        config = yaml.safe_load(config)
    if isinstance(config, dict) and "name" not in config and config and set(config) <= set(STAGE_KEYS):
        stages = {key: None if config.get(key) is None else _build(config[key], f"config.{key}") for key in STAGE_KEYS}
        return as_pipeline((stages["sample"], stages["batch"]))
    return _build(config, "config")


def _build(config: Any, where: str) -> Configurable:
    if not isinstance(config, dict) or "name" not in config:
        stages = " or {'sample': ..., 'batch': ...}" if where == "config" else ""
        raise ValueError(f"{where} must be a mapping with a 'name' key{stages}, got {_brief(config)}")
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


def _brief(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 200 else text[:200] + "..."


def to_yaml(transform: Configurable | Pipeline) -> str:
    """Return the YAML text of ``transform.to_config()`` (a transform or a ``Pipeline``)."""
    return yaml.safe_dump(transform.to_config(), sort_keys=False)
