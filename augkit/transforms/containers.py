"""Containers: ``Compose``, ``RandomApply`` and ``OneOf``.

In the batch stage ``RandomApply`` and ``OneOf`` decide per sample: each draws a ``[B]``
mask or choice, and the inner transforms run on the sub-batches they were given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from augkit._image import batch_size, is_batch
from augkit._validate import check_probability, check_vector
from augkit.encoded import EncodedJpeg
from augkit.transforms import _fusion, _window
from augkit.transforms.base import BATCH_STAGE, SAMPLE_STAGE, Transform, params_at


def _check_transforms(name: str, transforms) -> list[Transform]:
    if isinstance(transforms, (Transform, str, bytes)) or not isinstance(transforms, Sequence):
        raise TypeError(f"{name} must be a list of transforms, got {type(transforms).__name__}")
    transforms = list(transforms)
    for i, t in enumerate(transforms):
        if not isinstance(t, Transform):
            raise TypeError(f"{name}[{i}] must be an augkit Transform, got {type(t).__name__}")
    return transforms


def _common_stages(transforms: Sequence[Transform]) -> tuple[str, ...]:
    stages = [s for s in (SAMPLE_STAGE, BATCH_STAGE) if all(s in t.stages for t in transforms)]
    return tuple(stages)


def _take(batch: torch.Tensor, rows: np.ndarray) -> torch.Tensor:
    return batch.index_select(0, torch.from_numpy(rows).to(batch.device))


def _put(batch: torch.Tensor, rows: np.ndarray, values: torch.Tensor, name: str) -> torch.Tensor:
    if values.dtype != batch.dtype or values.shape[1:] != batch.shape[1:]:
        raise ValueError(
            f"{name} in the batch stage needs shape- and dtype-preserving transforms; got"
            f" {tuple(values.shape[1:])} {values.dtype} from {tuple(batch.shape[1:])} {batch.dtype}"
        )
    return batch.index_copy(0, torch.from_numpy(rows).to(batch.device), values)


@dataclass(frozen=True)
class ComposeParams:
    """Parameters of a ``Compose``: one entry per child, in order."""

    params: tuple

    def at(self, index: int) -> ComposeParams:
        """Return the parameters of sample ``index`` of a batch."""
        return ComposeParams(tuple(params_at(p, index) for p in self.params))


class Compose(Transform):
    """Apply transforms one after another; replays as a whole.

    Args:
        transforms: The transforms, applied in order.

    Example:
        >>> import numpy as np
        >>> from augkit import HorizontalFlip, RandomCrop
        >>> pipe = Compose([RandomCrop(2), HorizontalFlip(p=1.0)])
        >>> out, params = pipe.run(np.zeros((4, 4, 3), np.uint8), np.random.default_rng(0))
        >>> out.shape
        (2, 2, 3)
    """

    def __init__(self, transforms: Sequence[Transform]) -> None:
        self.transforms = _check_transforms("transforms", transforms)
        self.stages = _common_stages(self.transforms)

    def run(self, image, rng: np.random.Generator) -> tuple[Any, ComposeParams]:
        """Apply each child in turn, recording its parameters.

        A resize followed by a crop runs fused (only kept pixels are resampled; same
        parameters, same pixels up to rounding; see ``augkit.transforms._fusion``). An
        undecoded ``augkit.encoded.EncodedJpeg`` is decoded only where the first transforms
        read it (``augkit.transforms._window``).
        """
        recorded = []
        transforms, i = self.transforms, 0
        if isinstance(image, EncodedJpeg):
            image, recorded, i = _window.run_head(transforms, image, rng)
        while i < len(transforms):
            nxt = transforms[i + 1] if i + 1 < len(transforms) else None
            if _fusion.fused_pair(transforms[i], nxt, image):
                image, pair = _fusion.run_pair(transforms[i], nxt, image, rng)
                recorded.extend(pair)
                i += 2
                continue
            image, params = transforms[i].run(image, rng)
            recorded.append(params)
            i += 1
        return image, ComposeParams(tuple(recorded))

    def sample(self, rng: np.random.Generator, image) -> ComposeParams:
        """Draw every child's parameters (this runs the pipeline, since shapes change on the way)."""
        return self.run(image, rng)[1]

    def apply(self, image, params: ComposeParams):
        """Replay the pipeline with recorded parameters."""
        if not isinstance(params, ComposeParams) or len(params.params) != len(self.transforms):
            raise ValueError(f"params must be ComposeParams with {len(self.transforms)} entries, got {params!r}")
        transforms, recorded, i = self.transforms, params.params, 0
        if isinstance(image, EncodedJpeg):
            image = image.decode()
        while i < len(transforms):
            nxt = transforms[i + 1] if i + 1 < len(transforms) else None
            if _fusion.fused_pair(transforms[i], nxt, image):
                image = _fusion.apply_pair(transforms[i], nxt, image, recorded[i], recorded[i + 1])
                i += 2
                continue
            image = transforms[i].apply(image, recorded[i])
            i += 1
        return image

    def __len__(self) -> int:
        return len(self.transforms)

    def __getitem__(self, index: int) -> Transform:
        return self.transforms[index]


@dataclass(frozen=True)
class RandomApplyParams:
    """Whether the inner transform ran (a bool, or a ``[B]`` mask) and its parameters."""

    applied: Any
    inner: Any

    def at(self, index: int) -> RandomApplyParams:
        """Return the parameters of sample ``index`` of a batch."""
        applied = np.asarray(self.applied, dtype=bool)
        if not applied[index]:
            return RandomApplyParams(False, None)
        return RandomApplyParams(True, params_at(self.inner, int(applied[:index].sum())))


class RandomApply(Transform):
    """Apply ``transform`` with probability ``p`` (per sample in the batch stage).

    Args:
        transform: The transform to apply.
        p: The probability of applying it.
    """

    def __init__(self, transform: Transform, p: float = 0.5) -> None:
        if not isinstance(transform, Transform):
            raise TypeError(f"transform must be an augkit Transform, got {type(transform).__name__}")
        self.transform = transform
        self.p = check_probability("p", p)
        self.stages = transform.stages

    def sample(self, rng: np.random.Generator, image) -> RandomApplyParams:
        """Draw the decision, then the inner parameters for the images it selects."""
        applied = rng.random(batch_size(image)) < self.p
        if is_batch(image):
            rows = np.flatnonzero(applied)
            inner = self.transform.sample(rng, _take(image, rows)) if rows.size else None
            return RandomApplyParams(applied, inner)
        return RandomApplyParams(bool(applied), self.transform.sample(rng, image) if applied else None)

    def apply(self, image, params: RandomApplyParams):
        """Apply the inner transform where ``params.applied`` says so."""
        if is_batch(image):
            rows = np.flatnonzero(params.applied)
            if rows.size == 0:
                return image
            return _put(image, rows, self.transform.apply(_take(image, rows), params.inner), "RandomApply")
        return self.transform.apply(image, params.inner) if params.applied else image


@dataclass(frozen=True)
class OneOfParams:
    """Which child ran (an int, or a ``[B]`` array of indices) and the children's parameters."""

    choice: Any
    inner: tuple

    def at(self, index: int) -> OneOfParams:
        """Return the parameters of sample ``index`` of a batch."""
        choice = np.asarray(self.choice)
        k = int(choice[index])
        position = int((choice[:index] == k).sum())
        return OneOfParams(k, tuple(params_at(p, position) if i == k else None for i, p in enumerate(self.inner)))


class OneOf(Transform):
    """Apply one of ``transforms``, chosen at random (per sample in the batch stage).

    Args:
        transforms: The candidates.
        weights: Relative probabilities, one per candidate (uniform when None).
    """

    def __init__(self, transforms: Sequence[Transform], weights: Sequence[float] | None = None) -> None:
        self.transforms = _check_transforms("transforms", transforms)
        if not self.transforms:
            raise ValueError("transforms must not be empty")
        if weights is not None:
            w = check_vector("weights", weights, len(self.transforms))
            if np.any(w < 0) or w.sum() <= 0:
                raise ValueError(f"weights must be >= 0 with a positive sum, got {list(weights)}")
            weights = tuple(float(x) for x in w)
        self.weights = weights
        self.stages = _common_stages(self.transforms)

    def _probabilities(self) -> np.ndarray:
        n = len(self.transforms)
        w = np.ones(n) if self.weights is None else np.asarray(self.weights)
        return w / w.sum()

    def sample(self, rng: np.random.Generator, image) -> OneOfParams:
        """Draw the choice, then the chosen children's parameters."""
        choice = rng.choice(len(self.transforms), size=batch_size(image), p=self._probabilities())
        if is_batch(image):
            inner = []
            for k, t in enumerate(self.transforms):
                rows = np.flatnonzero(choice == k)
                inner.append(t.sample(rng, _take(image, rows)) if rows.size else None)
            return OneOfParams(choice, tuple(inner))
        k = int(choice)
        return OneOfParams(k, tuple(self.transforms[i].sample(rng, image) if i == k else None for i in range(len(self.transforms))))

    def apply(self, image, params: OneOfParams):
        """Apply the chosen child (each child to its own sub-batch in the batch stage)."""
        if is_batch(image):
            out = image
            for k, t in enumerate(self.transforms):
                rows = np.flatnonzero(params.choice == k)
                if rows.size:
                    out = _put(out, rows, t.apply(_take(image, rows), params.inner[k]), "OneOf")
            return out
        return self.transforms[params.choice].apply(image, params.inner[params.choice])
