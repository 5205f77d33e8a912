"""Pipelines to and from plain dicts and YAML (safe YAML only, size-bounded).

Config files written by ``save_config`` carry the ``augkit_version`` that wrote them;
``from_config`` reads configs with or without it and warns when a newer major version wrote one.
"""

from __future__ import annotations

import json
import os
import warnings
from typing import Any

import yaml

from augkit._atomic import atomic_write_text
from augkit.pipeline import Pipeline, brief, build_transform
from augkit.transforms.base import Configurable

#: Suffixes of strings that ``from_config`` reads as file names rather than YAML text.
CONFIG_SUFFIXES = (".yaml", ".yml", ".json")
STAGE_KEYS = ("sample", "batch")
#: Top-level key naming the augkit version that wrote a config.
VERSION_KEY = "augkit_version"
#: Most values (scalars, lists and mappings, each alias counted as often as it is used) a
#: config may hold once expanded: room for a mean image of about 1000 x 1000 x 3 numbers,
#: far below what a few bytes of nested YAML aliases can expand to.
MAX_CONFIG_VALUES = 1 << 22
#: Largest config file read, in bytes.
MAX_CONFIG_BYTES = 64 << 20


class ConfigSizeError(ValueError):
    """A config expands to more values than ``MAX_CONFIG_VALUES`` (e.g. a YAML alias bomb)."""


def from_config(config: dict[str, Any] | str | os.PathLike) -> Configurable | Pipeline:
    """Rebuild a transform or pipeline from ``to_config()`` output, a YAML string or a file.

    This is the one loader of pipeline configs: ``augkit preview --config`` and the demo's
    ``pipeline.yaml`` go through it too. Text is parsed as safe YAML (JSON is YAML, so
    ``.json`` files load the same way); nothing in a config is ever executed. Before anything
    is built, the config's size is checked with every YAML alias expanded: at most
    ``MAX_CONFIG_VALUES`` values, so a few hundred bytes of nested aliases cannot become
    gigabytes.

    Args:
        config: A dict ``{"name": ..., **arguments}`` (one transform or ``Compose``), a dict
            ``{"sample": ..., "batch": ...}`` of both stages (as ``Pipeline.to_config()``
            writes; either may be None or omitted), a path to a ``.yaml`` / ``.yml`` /
            ``.json`` file holding either, or YAML text. A top-level ``augkit_version``
            key is optional.

    Returns:
        The transform (a ``Transform``, or a ``MixingTransform`` such as ``Mixup``), or a
        ``Pipeline`` for the two-stage form.

    Raises:
        ValueError: Unknown transform name or argument, a name that is not a string, a
            config too large once expanded (``ConfigSizeError``), or a transform in a stage
            it cannot run in; the message names the key (``config.sample.transforms[1]``).
        OSError: A file that cannot be read.
        yaml.YAMLError: Text that is not YAML (or tags that would execute code).

    Example:
        >>> pipe = from_config({"sample": {"name": "RandomCrop", "size": 8}, "batch": None})
        >>> type(pipe).__name__, type(pipe.sample).__name__, pipe.batch
        ('Pipeline', 'RandomCrop', None)
    """
    if isinstance(config, os.PathLike) or (isinstance(config, str) and config.lower().endswith(CONFIG_SUFFIXES)):
        config = _load_yaml(_read_file(config))
    elif isinstance(config, str):
        config = _load_yaml(config)
    else:
        _check_size(config)
    if isinstance(config, dict) and VERSION_KEY in config:
        _check_version(config[VERSION_KEY])
        config = {k: v for k, v in config.items() if k != VERSION_KEY}
    if isinstance(config, dict) and "name" not in config and config and set(config) <= set(STAGE_KEYS):
        return Pipeline.from_config(config)
    return build_transform(config, "config")


def to_yaml(transform: Configurable | Pipeline) -> str:
    """Return the YAML text of ``transform.to_config()`` (a transform or a ``Pipeline``).

    ``save_config`` writes the same YAML to a file, with the ``augkit_version`` that wrote it.
    """
    if not isinstance(transform, (Configurable, Pipeline)):
        raise TypeError(f"transform must be an augkit transform or Pipeline, got {type(transform).__name__}")
    return yaml.safe_dump(transform.to_config(), sort_keys=False)


def save_config(transform: Configurable | Pipeline, path: str | os.PathLike) -> None:
    """Write ``transform.to_config()`` to ``path`` atomically: JSON for ``.json``, else YAML.

    The file is written to a temporary file beside ``path`` and moved into place, so an
    interruption never leaves half a config. It records the ``augkit_version`` that wrote
    it; ``from_config(path)`` reads it back.

    Args:
        transform: The transform, ``Compose`` or two-stage ``Pipeline`` to store.
        path: Destination file (``.yaml`` / ``.yml`` or ``.json``).

    Example:
        >>> import pathlib, tempfile
        >>> from augkit import HorizontalFlip
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "pipe.yaml"
        >>> save_config(HorizontalFlip(p=0.25), path)
        >>> print(path.read_text(), end="")  # doctest: +ELLIPSIS
        augkit_version: ...
        name: HorizontalFlip
        p: 0.25
        >>> from_config(path)
        HorizontalFlip(p=0.25)
    """
    config = _versioned(transform)
    if os.fspath(path).endswith(".json"):
        text = json.dumps(config, indent=2) + "\n"
    else:
        text = yaml.safe_dump(config, sort_keys=False)
    atomic_write_text(path, text)


def _versioned(transform: Configurable | Pipeline) -> dict[str, Any]:
    if not isinstance(transform, (Configurable, Pipeline)):
        raise TypeError(f"transform must be an augkit transform or Pipeline, got {type(transform).__name__}")
    from augkit import __version__

    return {VERSION_KEY: __version__, **transform.to_config()}


def _check_version(version: Any) -> None:
    from augkit import __version__

    if not isinstance(version, str) or not version.split(".")[0].isdigit():
        raise ValueError(f"config.{VERSION_KEY} must be a version string such as {__version__!r}, got {brief(version)}")
    if int(version.split(".")[0]) > int(__version__.split(".")[0]):
        warnings.warn(
            f"this config was written by augkit {version}, a newer major version than this augkit {__version__}:"
            " transforms or arguments may differ",
            stacklevel=3,
        )


# ---------------------------------------------------------------- reading, bounded
def _read_file(path: str | os.PathLike) -> str:
    with open(path, encoding="utf-8") as handle:
        text = handle.read(MAX_CONFIG_BYTES + 1)
    if len(text) > MAX_CONFIG_BYTES:
        raise ConfigSizeError(f"config file {os.fspath(path)} is larger than {MAX_CONFIG_BYTES} bytes")
    return text


class _BoundedSafeLoader(yaml.SafeLoader):
    """PyYAML's SafeLoader that refuses, before building anything, a document whose nodes,
    aliases expanded, number more than ``MAX_CONFIG_VALUES`` (or that refers to itself)."""

    def get_single_data(self) -> Any:
        node = self.get_single_node()
        if node is None:
            return None
        _check_node_size(node)
        return self.construct_document(node)


def _load_yaml(text: str) -> Any:
    """Parse one YAML document safely (``yaml.SafeLoader`` plus the size bound)."""
    loader = _BoundedSafeLoader(text)
    try:
        return loader.get_single_data()
    except RecursionError:
        raise ConfigSizeError("config is nested too deeply") from None
    finally:
        loader.dispose()


def _check_node_size(root: yaml.Node) -> None:
    """Count a YAML node graph's values with aliases expanded, without expanding them."""

    def children(node: yaml.Node) -> list[tuple[str, yaml.Node]]:
        if isinstance(node, yaml.SequenceNode):
            return [(f"[{i}]", child) for i, child in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            pairs = []
            for key, value in node.value:
                label = f".{key.value}" if isinstance(key, yaml.ScalarNode) else ".<key>"
                pairs += [(label, key), (label, value)]
            return pairs
        return []

    _check_graph(root, children, lambda node: isinstance(node, yaml.MappingNode))


def _check_size(config: Any) -> None:
    """The same bound for a config given as Python objects (shared lists count each time)."""

    def children(value: Any) -> list[tuple[str, Any]]:
        if isinstance(value, dict):
            return [pair for key, item in value.items() for pair in ((f".{key}", key), (f".{key}", item))]
        if isinstance(value, (list, tuple)):
            return [(f"[{i}]", item) for i, item in enumerate(value)]
        return []

    _check_graph(config, children, lambda value: isinstance(value, dict))


def _check_graph(root: Any, children, is_mapping) -> None:
    """Raise ``ConfigSizeError`` when the tree under ``root`` (shared nodes counted each time
    they are reached) holds more than ``MAX_CONFIG_VALUES`` values, naming the innermost
    key (through mappings and lists of mappings) that is too large; or when a node contains itself."""
    sizes: dict[int, int] = {}
    state: dict[int, int] = {}  # id -> 1 while its children are counted, 2 when done
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:  # iterative post-order: deep nesting cannot overflow the Python stack
        node, expanded = stack.pop()
        key = id(node)
        if expanded:
            sizes[key] = 1 + sum(sizes[id(child)] for _, child in children(node))
            state[key] = 2
            continue
        if state.get(key) == 2:
            continue
        if state.get(key) == 1:
            raise ConfigSizeError("config refers to itself (a recursive YAML alias)")
        state[key] = 1
        stack.append((node, True))
        for _, child in children(node):
            if state.get(id(child)) == 1:
                raise ConfigSizeError("config refers to itself (a recursive YAML alias)")
            if state.get(id(child)) != 2:
                stack.append((child, False))
    if sizes[id(root)] <= MAX_CONFIG_VALUES:
        return
    where, node = "config", root
    while is_mapping(node) or any(is_mapping(child) for _, child in children(node)):
        larger = [(label, child) for label, child in children(node) if sizes[id(child)] > MAX_CONFIG_VALUES]
        if not larger:
            break
        label, node = larger[0]
        where += label
    raise ConfigSizeError(
        f"{where} expands to {sizes[id(node)]:,} values, more than the {MAX_CONFIG_VALUES:,} a config may hold"
        " (YAML aliases such as *name repeat a value each time they are used)"
    )
