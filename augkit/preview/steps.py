"""Which leaf transforms of a pipeline ran for one image, with their parameters.

A pipeline's parameters mirror its containers: ``Compose`` records one entry per child,
``RandomApply`` whether its child ran, ``OneOf`` which child it chose. ``steps`` opens them
(pairing each entry with ``transform.children()``) and yields the leaves in the order they
ran; captions and the display's inversion of ``Normalize`` both read this one walk.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import numpy as np

from augkit.transforms.base import Applied, Transform
from augkit.transforms.containers import ComposeParams, OneOfParams, RandomApplyParams


@dataclasses.dataclass(frozen=True)
class Step:
    """One leaf of a pipeline, for one image.

    Attributes:
        transform: The leaf transform, or None when only parameters were given.
        params: Its parameters (None for a deterministic transform, or a skipped one).
        skipped: True when a ``RandomApply`` around it did not run it.
        chosen_by: The name of the child a ``OneOf`` chose, on the first leaf of that
            child when none of its leaves drew parameters (so a caption can still say
            which one ran); None otherwise.
    """

    transform: Transform | None
    params: Any
    skipped: bool = False
    chosen_by: str | None = None

    @property
    def ran(self) -> bool:
        """True when the leaf changed the image (not skipped, and not declined by its own ``p``)."""
        if self.skipped:
            return False
        return not (isinstance(self.params, Applied) and not bool(np.all(self.params.applied)))

    @property
    def name(self) -> str:
        """The transform's class name, else the parameters' class name without ``Params``."""
        if self.transform is not None:
            return type(self.transform).__name__
        name = type(self.params).__name__
        return name[: -len("Params")] if name.endswith("Params") and len(name) > len("Params") else name


def steps(params: Any, transform: Transform | None = None) -> Iterator[Step]:
    """Yield the leaf steps of one image's parameters, in the order they ran.

    Args:
        params: What ``transform.run`` (or ``sample``) returned for one image; for a batch,
            one sample's (``params_at(params, i)``).
        transform: The transform that drew them (optional; names the steps).

    Yields:
        ``Step`` s; a ``RandomApply`` that did not run yields one skipped step.

    Example:
        >>> from augkit.transforms import Compose, HorizontalFlip, RandomCrop
        >>> import numpy as np
        >>> pipe = Compose([RandomCrop(2), HorizontalFlip(p=1.0)])
        >>> _, params = pipe.run(np.zeros((4, 4, 3), np.uint8), np.random.default_rng(0))
        >>> [step.name for step in steps(params, pipe)]
        ['RandomCrop', 'HorizontalFlip']
    """
    if params is None and transform is None:
        return
    children = transform.children() if transform is not None else ()
    if isinstance(params, ComposeParams):
        kids = children if len(children) == len(params.params) else (None,) * len(params.params)
        for child, child_params in zip(kids, params.params):
            yield from steps(child_params, child)
    elif isinstance(params, RandomApplyParams):
        inner = children[0] if children else None
        if bool(np.all(params.applied)):
            yield from steps(params.inner, inner)
        else:
            yield Step(inner, None, skipped=True)
    elif isinstance(params, OneOfParams):
        yield from _chosen(params, children)
    else:
        yield Step(transform, params)


def _chosen(params: OneOfParams, children: tuple[Transform, ...]) -> Iterator[Step]:
    k = int(params.choice)
    child = children[k] if k < len(children) else None
    inner = list(steps(params.inner[k], child))
    if all(s.params is None and not s.skipped for s in inner):
        name = type(child).__name__ if child is not None else f"choice {k}"
        first = inner[0] if inner else Step(child, None)
        inner[:1] = [dataclasses.replace(first, chosen_by=name)]
    yield from inner
