"""The transform contract: ``sample`` draws every random decision, ``apply`` is deterministic.

A transform is called as ``out = t(image, rng=rng)``. The same result comes from
``t.apply(image, t.sample(rng, image))``, and ``t.run(image, rng)`` returns both the output
and the parameters, so an augmentation can be logged and replayed exactly.

Parameters are frozen dataclasses. For a single image their fields are Python scalars; for
a ``[B, C, H, W]`` batch they are ``[B]``-shaped numpy arrays, one row per sample.
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any, ClassVar

import numpy as np

from augkit.encoded import EncodedJpeg
from augkit.rng import as_generator

SAMPLE_STAGE = "sample"
BATCH_STAGE = "batch"

_REGISTRY: dict[str, type[Configurable]] = {}


def register(cls: type[Configurable]) -> type[Configurable]:
    """Make a transform class known to ``augkit.from_config`` by its class name.

    augkit's own transforms register themselves; use this (as a decorator) for your own.

    Args:
        cls: A subclass of ``Transform`` or of ``augkit.batch.MixingTransform``.

    Returns:
        ``cls`` unchanged.
    """
    if not (isinstance(cls, type) and issubclass(cls, Configurable)):
        raise TypeError(f"register expects a Transform or MixingTransform subclass, got {cls!r}")
    existing = _REGISTRY.get(cls.__name__)
    if existing is not None and existing is not cls and existing.__module__.startswith("augkit."):
        raise ValueError(f"a transform named {cls.__name__!r} is already registered by augkit")
    _REGISTRY[cls.__name__] = cls
    return cls


def registered_transforms() -> dict[str, type[Configurable]]:
    """Return a copy of the name -> class table used by ``from_config``.

    It holds image transforms (``Transform``) and mixing transforms
    (``augkit.batch.MixingTransform``); tell them apart with ``issubclass``.
    """
    return dict(_REGISTRY)


class Configurable:
    """What every configurable transform shares: constructor arguments read back from attributes.

    Each constructor argument is stored on an attribute of the same name, which gives
    ``repr``, ``to_config`` and pickling for free. Subclassed by ``Transform`` (image-only
    transforms) and ``augkit.batch.MixingTransform`` (transforms of images and targets).
    """

    def config_args(self) -> dict[str, Any]:
        """Return the constructor arguments, read back from the attributes of the same name."""
        signature = inspect.signature(type(self).__init__)
        names = [n for n, p in signature.parameters.items() if n != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        return {name: getattr(self, name) for name in names}

    def to_config(self) -> dict[str, Any]:
        """Return a plain dict (JSON / YAML friendly) that ``augkit.from_config`` rebuilds.

        Returns:
            ``{"name": class name, **constructor arguments}``.
        """
        return {"name": type(self).__name__, **{k: to_plain(v) for k, v in self.config_args().items()}}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={_short_repr(v)}" for k, v in self.config_args().items())
        return f"{type(self).__name__}({args})"


class Transform(Configurable):
    """Base class of every augkit transform.

    Subclasses set ``stages`` and implement ``apply`` (and ``sample`` when random).
    Each constructor argument is stored on an attribute of the same name, which gives
    ``repr``, ``to_config`` and pickling for free.

    Attributes:
        stages: Where the transform may run: ``"sample"`` (HWC uint8 arrays in dataset
            workers) and/or ``"batch"`` (``[B, C, H, W]`` tensors after collation).
        mixes_targets: False: image transforms are called as ``t(images, rng=rng)``; the
            mixing transforms of ``augkit.batch`` set it True and take targets too.
    """

    stages: ClassVar[tuple[str, ...]] = (SAMPLE_STAGE,)
    mixes_targets: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__module__.startswith("augkit.") and not cls.__name__.startswith("_"):
            register(cls)

    def sample(self, rng: np.random.Generator, image) -> Any:
        """Draw the parameters for ``image``; deterministic transforms return None.

        Args:
            rng: The generator every random decision is drawn from.
            image: The input (only its shape and kind are read).

        Returns:
            A frozen dataclass of parameters, or None.
        """
        return None

    def apply(self, image, params: Any):
        """Apply the transform with the given parameters (deterministic).

        Args:
            image: The input image or batch.
            params: What ``sample`` returned for this input.

        Returns:
            The transformed image or batch; the input is never modified.
        """
        raise NotImplementedError

    def run(self, image, rng: np.random.Generator) -> tuple[Any, Any]:
        """Sample parameters and apply them; return ``(output, params)``.

        An undecoded ``augkit.encoded.EncodedJpeg`` is decoded first (``Compose`` decodes
        only the window its first transforms read).
        """
        if isinstance(image, EncodedJpeg):
            image = image.decode()
        params = self.sample(rng, image)
        return self.apply(image, params), params

    def __call__(self, image, *, rng: np.random.Generator | int | None = None):
        """Transform ``image`` with parameters drawn from ``rng``.

        Args:
            image: An HWC uint8 array (sample stage) or a ``[C, H, W]`` / ``[B, C, H, W]``
                tensor where the transform runs in the batch stage.
            rng: A ``numpy.random.Generator``, an int seed, or None for a fresh
                nondeterministic generator.

        Returns:
            The transformed image or batch.
        """
        return self.run(image, as_generator(rng))[0]


def to_plain(value: Any) -> Any:
    """Convert tuples, numpy values and nested transforms to plain Python for configs."""
    if isinstance(value, Configurable):
        return value.to_config()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    return value


def _short_repr(value: Any) -> str:
    if isinstance(value, np.ndarray):
        if value.size <= 9:
            return repr(np.round(value, 4).tolist())
        return f"array(shape={value.shape}, dtype={value.dtype})"
    return repr(value)


def params_at(params: Any, index: int) -> Any:
    """Return the parameters of sample ``index`` from batch-stage parameters.

    Every ``[B]``-shaped (or ``[B, ...]``) array field is indexed; scalar fields are kept.
    Parameter classes with nested parameters (containers) define ``at(index)`` instead.

    Args:
        params: A parameter dataclass drawn for a batch.
        index: The sample's position in the batch.

    Returns:
        A dataclass of the same type describing one sample, as a single-image ``sample`` would.
    """
    if params is None:
        return None
    if hasattr(params, "at"):
        return params.at(index)
    if not dataclasses.is_dataclass(params):
        raise TypeError(f"params must be a parameter dataclass, got {type(params).__name__}")
    changes = {}
    for field in dataclasses.fields(params):
        value = getattr(params, field.name)
        if isinstance(value, np.ndarray) and value.ndim >= 1:
            item = value[index]
            changes[field.name] = item.item() if isinstance(item, np.generic) else item
    return dataclasses.replace(params, **changes)
