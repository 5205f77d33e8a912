"""``Pipeline``: the two stages of a training pipeline, validated once, stored as one config.

This module owns the two-stage pipeline: ``Pipeline`` (what presets return and configs
hold), ``check_stage`` (the one check that a transform may run in a stage, used by the
dataset, the loader, test-time views, preview and configs) and ``as_pipeline``.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from augkit._deprecation import renamed_from
from augkit.transforms.base import BATCH_STAGE, SAMPLE_STAGE, Configurable, Transform, registered_transforms
from augkit.transforms.containers import check_order

STAGES = (SAMPLE_STAGE, BATCH_STAGE)

#: Other names a config may use for a transform (torchvision's), and the augkit name they mean.
ALIASES = {"RandomHorizontalFlip": "HorizontalFlip", "RandomVerticalFlip": "VerticalFlip"}


def check_stage(transform: Any, stage: str, where: str = "transform") -> Transform:
    """Return ``transform`` if it is an augkit transform that may run in ``stage``, else raise.

    A ``Pipeline`` given where one stage is expected gets an error saying which attribute to
    pass (or is accepted by the callers that document it).

    Args:
        transform: What the caller was given.
        stage: ``"sample"`` or ``"batch"``.
        where: How the caller names it in errors.

    Returns:
        ``transform``.

    Raises:
        TypeError: Not an augkit ``Transform``.
        ValueError: A transform that cannot run in ``stage``.

    Example:
        >>> from augkit import Resize
        >>> check_stage(Resize(shorter=8), "batch")
        Traceback (most recent call last):
        ...
        ValueError: Resize cannot run in the batch stage (it runs in: sample)
    """
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {STAGES}, got {stage!r}")
    if isinstance(transform, Pipeline):
        raise TypeError(f"{where} must be one stage's transform, got a Pipeline: pass pipeline.{stage}")
    if not isinstance(transform, Transform):
        raise TypeError(f"{where} must be an augkit Transform, got {type(transform).__name__}")
    if stage not in transform.stages:
        raise ValueError(f"{type(transform).__name__} cannot run in the {stage} stage (it runs in: {', '.join(transform.stages)})")
    return transform


@dataclass(frozen=True, eq=False)
class Pipeline:
    """The sample-stage and batch-stage transforms of one recipe (either may be None).

    Validated when built: each stage may run where it is, at least one stage is given, and a
    transform that needs pixel values does not follow one that normalizes them, across the
    two stages. It unpacks as ``sample, batch = pipeline``, and is accepted wherever a stage
    is expected: ``AugmentedDataset`` takes its ``sample``, ``DeviceLoader`` its ``batch``.
    ``to_config()`` gives ``{"sample": ..., "batch": ...}``, which ``augkit.from_config``
    (or ``Pipeline.from_config``) turns back into a ``Pipeline``.

    Attributes:
        sample: Runs in the dataset workers on HWC arrays (ends with ``ToTensor``), or None.
        batch: Runs on collated ``[B, C, H, W]`` batches on the loader's device, or None.

    Example:
        >>> from augkit import HorizontalFlip, Normalize, RandomCrop
        >>> pipe = Pipeline(RandomCrop(8), Normalize(mean=(0.5, 0.5, 0.5)))
        >>> sample, batch = pipe
        >>> pipe.to_config()["batch"]
        {'name': 'Normalize', 'mean': [0.5, 0.5, 0.5]}
    """

    sample: Transform | None = None
    batch: Transform | None = None

    def __post_init__(self) -> None:
        for stage in STAGES:
            value = getattr(self, stage)
            if value is not None:
                if not isinstance(value, Transform):
                    raise TypeError(f"the {stage} pipeline must be an augkit Transform or None, got {type(value).__name__}")
                if stage not in value.stages:
                    raise ValueError(
                        f"the {stage} pipeline {type(value).__name__} cannot run in the {stage} stage (it runs in: {', '.join(value.stages)})"
                    )
        if self.sample is None and self.batch is None:
            raise ValueError("pipeline has neither a sample nor a batch stage")
        check_order([t for t in (self.sample, self.batch) if t is not None])

    def __iter__(self) -> Iterator[Transform | None]:
        yield self.sample
        yield self.batch

    def __getitem__(self, index: int) -> Transform | None:
        return (self.sample, self.batch)[index]

    def __len__(self) -> int:
        return 2

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (Pipeline, tuple)):
            return tuple(self) == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.sample, self.batch))

    def to_config(self) -> dict[str, Any]:
        """Return ``{"sample": config or None, "batch": config or None}`` (plain data)."""
        return {
            "sample": None if self.sample is None else self.sample.to_config(),
            "batch": None if self.batch is None else self.batch.to_config(),
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Pipeline:
        """Rebuild a pipeline from ``to_config()`` output (a dict; ``augkit.from_config`` reads YAML and files).

        Args:
            config: ``{"sample": transform config or None, "batch": ...}``.

        Returns:
            The ``Pipeline``.
        """
        if not isinstance(config, dict) or not set(config) <= set(STAGES):
            raise ValueError(f"a pipeline config is a mapping with the keys {STAGES}, got {brief(config)}")
        stages = [None if config.get(key) is None else build_transform(config[key], f"config.{key}") for key in STAGES]
        return cls(*stages)


def as_pipeline(pipeline) -> Pipeline:
    """Return ``pipeline`` as a ``Pipeline``, checking that each stage can run where it is.

    Args:
        pipeline: A ``Transform`` (taken as the sample stage), a ``(sample, batch)`` tuple or
            list (either may be None), or an object with ``sample`` and ``batch`` attributes.

    Returns:
        A ``Pipeline`` with at least one stage.

    Raises:
        TypeError: Not a transform or a pair of transforms.
        ValueError: A transform in a stage it cannot run in, or both stages None.

    Example:
        >>> from augkit import HorizontalFlip
        >>> as_pipeline(HorizontalFlip()).batch is None
        True
    """
    if isinstance(pipeline, Pipeline):
        return pipeline
    if isinstance(pipeline, Transform):
        return Pipeline(pipeline, None)
    if isinstance(pipeline, (tuple, list)) and len(pipeline) == 2:
        return Pipeline(*pipeline)
    if hasattr(pipeline, "sample") and hasattr(pipeline, "batch"):
        return Pipeline(pipeline.sample, pipeline.batch)
    raise TypeError(f"pipeline must be a Transform or a (sample, batch) pair of transforms, got {type(pipeline).__name__}")


def build_transform(config: Any, where: str = "config") -> Transform:
    """Build one transform from its ``to_config()`` dict; errors name the key (``where``).

    Args:
        config: ``{"name": class name, **constructor arguments}`` (nested transforms as dicts).
        where: How errors name this part of the config.

    Returns:
        The transform.

    Raises:
        ValueError: An unknown name (registered ones only) or argument, or an invalid value.
    """
    if not isinstance(config, dict) or "name" not in config:
        stages = " or {'sample': ..., 'batch': ...}" if where == "config" else ""
        raise ValueError(f"{where} must be a mapping with a 'name' key{stages}, got {brief(config)}")
    name = config["name"]
    if not isinstance(name, str):
        raise ValueError(f"{where}.name must be a transform name (a string), got {brief(name)}")
    table = _known_transforms()
    name = ALIASES.get(name, name)
    if name not in table:
        raise ValueError(
            f"{where}: unknown transform {name!r}; known: {', '.join(sorted(table))}."
            " A transform of your own must be registered first: decorate its class with @augkit.register"
        )
    cls = table[name]
    allowed = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    args = {k: v for k, v in config.items() if k != "name"}
    for key in args:
        if not isinstance(key, str):
            raise ValueError(f"{where}: argument names of {name} must be strings, got {brief(key)}")
    unknown = sorted(set(args) - set(allowed) - set(renamed_from(cls.__init__)))  # renamed: accepted, with a warning
    if unknown:
        raise ValueError(f"{where}: {name} has no argument {', '.join(map(repr, unknown))}; allowed: {', '.join(allowed)}")
    for key, value in args.items():
        if isinstance(value, dict) and "name" in value:
            args[key] = build_transform(value, f"{where}.{key}")
        elif isinstance(value, list) and value and all(isinstance(v, dict) and "name" in v for v in value):
            args[key] = [build_transform(v, f"{where}.{key}[{i}]") for i, v in enumerate(value)]
    try:
        return cls(**args)  # type: ignore[return-value]  # the registry holds Transform classes
    except (TypeError, ValueError) as error:
        raise type(error)(f"{where} ({name}): {error}") from error


def _known_transforms() -> dict[str, type[Configurable]]:
    """The registry, with every augkit module that defines transforms imported first."""
    import augkit.batch  # noqa: F401  (Mixup, CutMix, MixupOrCutMix register on import)
    import augkit.interop  # noqa: F401  (Albumentations, TorchVision)
    import augkit.transforms  # noqa: F401

    return registered_transforms()


def brief(value: Any) -> str:
    """A value's repr, cut to 200 characters for error messages."""
    text = repr(value)
    return text if len(text) <= 200 else text[:200] + "..."
