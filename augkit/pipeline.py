"""``Pipeline``: the two stages of a training pipeline, as the presets return them."""

from __future__ import annotations

from typing import Any, NamedTuple

from augkit.transforms.base import BATCH_STAGE, SAMPLE_STAGE, Transform


class Pipeline(NamedTuple):
    """The sample-stage and batch-stage transforms of one recipe (either may be None).

    A named pair, so it unpacks as ``sample, batch = pipeline`` and goes wherever a
    ``(sample, batch)`` pair does (``augkit.preview``, ``DeviceLoader``'s transforms).
    ``to_config()`` gives ``{"sample": ..., "batch": ...}``, which ``augkit.from_config``
    turns back into a ``Pipeline``.

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

    sample: Transform | None
    batch: Transform | None = None

    def to_config(self) -> dict[str, Any]:
        """Return ``{"sample": config or None, "batch": config or None}`` (plain data)."""
        return {
            "sample": None if self.sample is None else self.sample.to_config(),
            "batch": None if self.batch is None else self.batch.to_config(),
        }


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
    if isinstance(pipeline, Transform):
        pair = (pipeline, None)
    elif isinstance(pipeline, (tuple, list)) and len(pipeline) == 2:
        pair = tuple(pipeline)
    elif hasattr(pipeline, "sample") and hasattr(pipeline, "batch"):
        pair = (pipeline.sample, pipeline.batch)
    else:
        raise TypeError(f"pipeline must be a Transform or a (sample, batch) pair of transforms, got {type(pipeline).__name__}")
    for name, stage, t in (("sample", SAMPLE_STAGE, pair[0]), ("batch", BATCH_STAGE, pair[1])):
        if t is not None and not isinstance(t, Transform):
            raise TypeError(f"the {name} pipeline must be an augkit Transform or None, got {type(t).__name__}")
        if t is not None and stage not in t.stages:
            raise ValueError(f"the {name} pipeline {type(t).__name__} cannot run in the {name} stage (it runs in: {', '.join(t.stages)})")
    if pair[0] is None and pair[1] is None:
        raise ValueError("pipeline has neither a sample nor a batch stage")
    return Pipeline(*pair)
