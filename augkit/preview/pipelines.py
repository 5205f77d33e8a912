"""What a preview shows: a pipeline given as a transform, a ``(sample, batch)`` pair, a preset or a config."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from augkit import presets
from augkit.config import from_config
from augkit.pipeline import Pipeline, as_pipeline
from augkit.transforms import Compose, HorizontalFlip, RandomResizedCrop
from augkit.transforms.base import Transform


def split_pipeline(pipeline) -> Pipeline:
    """Return ``(sample_pipeline, batch_pipeline)`` from a transform or a pair.

    Args:
        pipeline: A ``Transform`` (sample stage), a ``(sample, batch)`` tuple or list (either
            may be None; an ``augkit.Pipeline`` is one), or an object with ``sample`` and
            ``batch`` attributes holding them.

    Returns:
        The two stages (an ``augkit.Pipeline``); at least one is not None.

    Example:
        >>> from augkit import HorizontalFlip
        >>> split_pipeline(HorizontalFlip())[1] is None
        True
    """
    return as_pipeline(pipeline)


def default_pipeline(size: int = 224) -> Transform:
    """Return the pipeline previewed when none is given: ``RandomResizedCrop(size)`` + ``HorizontalFlip()``."""
    return Compose([RandomResizedCrop(size), HorizontalFlip()])


def available_presets() -> list[str]:
    """Return the names of the presets in ``augkit.presets`` (``augkit.presets.names()``)."""
    return presets.names()


def get_preset(name: str) -> Callable[..., Any]:
    """Return the preset function ``augkit.presets.<name>`` (``augkit.presets.get(name)``).

    Raises:
        ValueError: No such preset; the message lists the available presets.
    """
    return presets.get(name)


def load_pipeline_config(path: str | os.PathLike):
    """Load a pipeline from a YAML or JSON file with ``augkit.from_config`` (never executes code).

    The file holds either one pipeline (``{"name": "Compose", ...}``, as ``to_config()``
    writes) or both stages: ``{"sample": {...}, "batch": {...}}`` (either may be omitted
    or null), as ``augkit.Pipeline.to_config()`` writes.

    Returns:
        A ``Transform``, or an ``augkit.Pipeline`` of ``(sample, batch)``.

    Raises:
        ValueError: The file cannot be read, is not valid YAML / JSON, or does not describe a
            pipeline (the message says which).
    """
    path = os.fspath(path)
    try:
        return from_config(Path(path))
    except OSError as error:
        raise ValueError(f"cannot read config {path}: {error.strerror or error}") from error
    except yaml.YAMLError as error:
        kind = "JSON" if path.lower().endswith(".json") else "YAML"
        raise ValueError(f"config {path} is not valid {kind}: {error}") from error
