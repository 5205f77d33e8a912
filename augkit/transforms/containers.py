"""Containers: ``Compose``, ``RandomApply`` and ``OneOf``.

Containers pass whole ``Sample`` s and ``Batch`` es to their children, so targets follow the
image through any nesting. In the batch stage ``RandomApply`` and ``OneOf`` decide per
sample: each draws a ``[B]`` mask or choice, and the inner transforms run on the sub-batches
they were given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from augkit._image import Image, batch_size, is_batch, shape_only, spatial_size
from augkit._validate import check_probability, check_vector
from augkit.encoded import EncodedJpeg
from augkit.functional import geometry as G
from augkit.functional import targets as T
from augkit.rng import rows_of
from augkit.targets import Batch, Sample
from augkit.transforms import _window
from augkit.transforms.base import (
    BATCH_STAGE,
    SAMPLE_STAGE,
    Applied,
    Transform,
    _put,
    _take,
    iter_leaves,
    params_at,
)

if TYPE_CHECKING:
    from augkit.batch import MixingTransform


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


def check_order(transforms: Sequence[Transform]) -> None:
    """Refuse a transform that needs pixel values after one that normalizes them.

    ``ColorJitter`` (and every transform with ``pixel_input``) works on uint8 or [0, 1]
    pixel values and clamps to that range; after ``Normalize`` it would destroy the data.

    Args:
        transforms: Transforms in the order they run (containers are walked to their leaves).

    Raises:
        ValueError: Naming both transforms and the order that works.
    """
    normalizer = None
    for transform in transforms:
        for leaf in iter_leaves(transform):
            if leaf.pixel_input and normalizer is not None:
                raise ValueError(
                    f"{type(leaf).__name__} after {type(normalizer).__name__}: {type(leaf).__name__} works on pixel values"
                    f" (uint8, or floats in [0, 1]) and would clamp the normalized data to [0, 1]; put it before"
                    f" {type(normalizer).__name__}"
                )
            if leaf.normalizes:
                normalizer = leaf


@dataclass(frozen=True)
class ComposeParams:
    """Parameters of a ``Compose``: one entry per child, in order."""

    params: tuple

    def at(self, index: int) -> ComposeParams:
        """Return the parameters of sample ``index`` of a batch."""
        return ComposeParams(tuple(params_at(p, index) for p in self.params))


def _declares_window(transform: Transform | None) -> bool:
    """True when ``transform`` declares a window or a fusable resize (so its ``sample`` reads only shapes)."""
    if transform is None:
        return False
    cls = type(transform)
    return any(getattr(cls, name) is not getattr(Transform, name) for name in ("crop_window", "input_window", "fused_resize_size"))


class Compose(Transform):
    """Apply transforms one after another; replays as a whole.

    A ``Sample`` (image and targets) or a ``Batch`` goes through every child, so targets
    move with the image. A transform that needs pixel values (``ColorJitter``...) after one
    that normalizes them is refused here.

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

    sample_reads_pixels = True

    def __init__(self, transforms: Sequence[Transform]) -> None:
        self.transforms = _check_transforms("transforms", transforms)
        self.stages = _common_stages(self.transforms)
        check_order(self.transforms)

    def children(self) -> tuple[Transform, ...]:
        """The transforms, in order."""
        return tuple(self.transforms)

    def __len__(self) -> int:
        return len(self.transforms)

    def __getitem__(self, index: int) -> Transform:
        return self.transforms[index]

    def run(self, image, rng) -> tuple[Any, ComposeParams]:
        """Apply each child in turn, recording its parameters.

        A resize followed by a crop runs fused (only kept pixels are resampled; same
        parameters, same pixels up to rounding; see ``fused_resize_size``). An undecoded
        ``augkit.encoded.EncodedJpeg`` is decoded only where the first transforms read it
        (``augkit.transforms._window``).
        """
        return self._walk(image, rng, None)

    def sample(self, rng: np.random.Generator, image: Image) -> ComposeParams:
        """Draw every child's parameters (this runs the pipeline, since shapes change on the way)."""
        return self.run(image, rng)[1]

    def apply(self, image: Image, params: ComposeParams) -> Image:
        """Replay the pipeline with recorded parameters."""
        return self._walk(image, None, self._check_params(params))[0]

    def _apply_sample(self, sample: Sample, params) -> Sample:
        return self._walk(sample, None, self._check_params(params))[0]

    def _apply_batch(self, batch: Batch, params) -> Batch:
        return self._walk(batch, None, self._check_params(params))[0]

    def _check_params(self, params) -> tuple:
        if not isinstance(params, ComposeParams) or len(params.params) != len(self.transforms):
            raise ValueError(f"params must be ComposeParams with {len(self.transforms)} entries, got {params!r}")
        return params.params

    def _walk(self, x, rng, recorded: tuple | None):
        """Run (``rng`` given) or replay (``recorded`` given) the children over an image, Sample or Batch."""
        if isinstance(x, Batch) or is_batch(x):
            params = []
            for i, t in enumerate(self.transforms):
                if recorded is None:
                    x, p = t.run(x, rng)
                else:
                    p = recorded[i]
                    x = t.apply(x, p)
                params.append(p)
            return x, ComposeParams(tuple(params))
        targets = x if isinstance(x, Sample) else None
        image = x.image if targets is not None else x
        params, i = [], 0
        if isinstance(image, EncodedJpeg) and recorded is None:
            image, params, sizes = _window.run_head(self.transforms, image, rng)
            if len(params) == 2:  # a resize and the crop after it
                targets = _move_pair(self.transforms[0], self.transforms[1], targets, tuple(params), tuple(sizes))
            elif params:
                targets = _move(self.transforms[0], targets, params[0], sizes[0])
            i = len(params)
        elif isinstance(image, EncodedJpeg):
            image = image.decode()
        while i < len(self.transforms):
            first = self.transforms[i]
            second = self.transforms[i + 1] if i + 1 < len(self.transforms) else None
            size = spatial_size(image)
            given = targets.replace(image=image) if first.samples_targets and targets is not None else image
            p1 = first.sample(rng, given) if recorded is None else recorded[i]
            pair = None if second is None else self._pair(first, second, image, p1, rng, recorded, i)
            if second is not None and pair is not None:
                image, p2, mid = pair
                targets = _move_pair(first, second, targets, (p1, p2), (size, mid))
                params.extend((p1, p2))
                i += 2
                continue
            if targets is None:
                image = first.apply(image, p1)
            else:
                moved = first.apply(targets.replace(image=image), p1)
                if isinstance(moved, Batch):  # test-time views of a Sample: one Batch row per view
                    if i + 1 < len(self.transforms):
                        raise ValueError(f"{type(first).__name__} makes views (a Batch): it must end the pipeline")
                    params.append(p1)
                    return moved, ComposeParams(tuple(params))
                targets, image = moved, moved.image
            params.append(p1)
            i += 1
        out = image if targets is None else targets.replace(image=image)
        return out, ComposeParams(tuple(params))

    @staticmethod
    def _pair(first: Transform, second: Transform, image, p1, rng, recorded, i):
        """Run a resize and the pure crop after it as one resize-crop: ``(image, crop params, resized size)`` or None.

        Only kept pixels are resampled; the crop's parameters are drawn from the resized
        size, with the same generator calls as unfused.
        """
        if not isinstance(image, np.ndarray) or image.ndim != 3:
            return None
        if not (_declares_window(first) and _declares_window(second)) or second.sample_reads_pixels:
            return None
        mid = first.fused_resize_size(p1, *image.shape[:2])
        if mid is None:
            return None
        p2 = second.sample(rng, shape_only((*mid, image.shape[2]), image.dtype)) if recorded is None else recorded[i + 1]
        window = second.crop_window(p2)
        if window is None:
            return second.apply(first.apply(image, p1), p2), p2, mid
        top, left, h, w = window
        antialias = bool(getattr(first, "antialias", True))
        return G.resize_crop(image, mid, top, left, h, w, antialias, getattr(second, "fill", 0)), p2, mid


def _move(transform: Transform, targets: Sample | None, params, size) -> Sample | None:
    """Move a sample's targets through one transform (its image is not touched)."""
    if targets is None or not targets.has_spatial_targets():
        return targets
    return transform.apply_targets(targets, params, size)


def _move_pair(first: Transform, second: Transform, targets: Sample | None, params: tuple, sizes: tuple) -> Sample | None:
    """Move a sample's targets through a fused resize (``first``) and pure crop (``second``).

    A mask of the image's size is resampled in the crop's window only
    (``functional.targets.resize_crop_mask``: the nearest resize's source pixels of the kept
    rows and columns, ``mask_fill`` outside), exactly what resizing the mask whole and
    cropping it gives; boxes and keypoints move through both transforms in turn.

    Args:
        first: The resize (declares ``fused_resize_size``).
        second: The crop (declares ``crop_window``).
        targets: The sample (its image is not touched), or None.
        params: ``(first's, second's)`` parameters.
        sizes: The input ``(height, width)`` of each: the image's, then the resized one.
    """
    (p1, p2), (size, mid) = params, sizes
    mask = targets.mask if targets is not None else None
    window = second.crop_window(p2) if mask is not None else None
    if targets is None or window is None or not (first.geometric and second.geometric) or T.mask_size(mask) != tuple(size):
        return _move(second, _move(first, targets, p1, size), p2, mid)
    fused = T.resize_crop_mask(mask, mid, *window, fill=getattr(second, "mask_fill", 0))
    moved = _move(second, _move(first, targets.replace(mask=None), p1, size), p2, mid)
    return None if moved is None else moved.replace(mask=fused)


class RandomApplyParams(Applied):
    """Whether the inner transform ran (a bool, or a ``[B]`` mask) and its parameters.

    Attributes:
        applied: The decision(s).
        inner: The inner transform's parameters (for a batch: the selected rows').
    """

    @property
    def inner(self) -> Any:
        """The inner transform's parameters (same as ``params``)."""
        return self.params


def _as_transform(name: str, value) -> Transform:
    if isinstance(value, Transform):
        return value
    if isinstance(value, (list, tuple)) and value and all(isinstance(t, Transform) for t in value):
        return Compose(list(value))
    raise TypeError(f"{name} must be an augkit Transform or a non-empty list of them, got {type(value).__name__}")


class RandomApply(Transform):
    """Apply ``transform`` with probability ``p`` (per sample in the batch stage).

    Args:
        transform: The transform to apply, or a list of transforms (a ``Compose``).
        p: The probability of applying it.

    Example:
        >>> import numpy as np
        >>> from augkit import HorizontalFlip, VerticalFlip
        >>> t = RandomApply([HorizontalFlip(p=1.0), VerticalFlip(p=1.0)], p=1.0)
        >>> t(np.arange(4, dtype=np.uint8).reshape(2, 2, 1), rng=0)[:, :, 0].tolist()
        [[3, 2], [1, 0]]
    """

    sample_reads_pixels = True

    def __init__(self, transform: Transform | Sequence[Transform], p: float = 0.5) -> None:
        self.transform = _as_transform("transform", transform)
        self.p = check_probability("p", p)
        self.stages = self.transform.stages

    def children(self) -> tuple[Transform, ...]:
        """The inner transform."""
        return (self.transform,)

    def sample(self, rng: np.random.Generator, image: Image) -> RandomApplyParams:
        """Draw the decision, then the inner parameters for the images it selects."""
        applied = rng.random(batch_size(image)) < self.p
        if is_batch(image):
            rows = np.flatnonzero(applied)
            if self.transform.mixes_targets:
                # Mixing pairs with the whole batch: draw for all rows, unselected rows unmixed.
                return RandomApplyParams(applied, self.transform.sample(rng, image))
            inner = self.transform.sample(rows_of(rng, rows), _take(image, rows)) if rows.size else None
            return RandomApplyParams(applied, inner)
        return RandomApplyParams(bool(applied), self.transform.sample(rng, image) if applied else None)

    def apply(self, image: Image, params: RandomApplyParams) -> Image:
        """Apply the inner transform where ``params.applied`` says so."""
        if is_batch(image):
            rows = np.flatnonzero(params.applied)
            if rows.size == 0:
                return image
            return _put(image, rows, self.transform.apply(_take(image, rows), params.params), "RandomApply")
        return self.transform.apply(image, params.params) if params.applied else image

    def _apply_sample(self, sample: Sample, params) -> Sample:
        return self.transform.apply(sample, params.params) if params.applied else sample

    def _apply_batch(self, batch: Batch, params) -> Batch:
        applied = np.asarray(params.applied, dtype=bool)
        if self.transform.mixes_targets:
            mixing = cast("MixingTransform", self.transform)  # mixes_targets marks a MixingTransform
            return mixing.apply(batch, mixing.restrict(params.params, applied))
        rows = np.flatnonzero(applied)
        if rows.size == 0:
            return batch
        return batch.scatter(rows, self.transform.apply(batch.select(rows), params.params), "RandomApply")


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

    Example:
        >>> import numpy as np
        >>> from augkit import HorizontalFlip, VerticalFlip
        >>> t = OneOf([HorizontalFlip(p=1.0), VerticalFlip(p=1.0)])
        >>> out, params = t.run(np.arange(4, dtype=np.uint8).reshape(2, 2, 1), np.random.default_rng(0))
        >>> params.choice, out[:, :, 0].tolist()
        (1, [[2, 3], [0, 1]])
    """

    sample_reads_pixels = True

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
        mixing = [type(t).__name__ for t in self.transforms if t.mixes_targets]
        if mixing and len(mixing) != len(self.transforms):
            raise ValueError(f"OneOf cannot mix mixing transforms ({', '.join(mixing)}) with image transforms")

    def children(self) -> tuple[Transform, ...]:
        """The candidates."""
        return tuple(self.transforms)

    def _probabilities(self) -> np.ndarray:
        n = len(self.transforms)
        w = np.ones(n) if self.weights is None else np.asarray(self.weights)
        return w / w.sum()

    def sample(self, rng: np.random.Generator, image: Image) -> OneOfParams:
        """Draw the choice, then the chosen children's parameters."""
        choice = rng.choice(len(self.transforms), size=batch_size(image), p=self._probabilities())
        if is_batch(image):
            inner = []
            for k, t in enumerate(self.transforms):
                rows = np.flatnonzero(choice == k)
                inner.append(t.sample(rows_of(rng, rows), _take(image, rows)) if rows.size else None)
            return OneOfParams(choice, tuple(inner))
        k = int(choice)
        return OneOfParams(k, tuple(self.transforms[i].sample(rng, image) if i == k else None for i in range(len(self.transforms))))

    def apply(self, image: Image, params: OneOfParams) -> Image:
        """Apply the chosen child (each child to its own sub-batch in the batch stage)."""
        if is_batch(image):
            out = image
            for k, t in enumerate(self.transforms):
                rows = np.flatnonzero(params.choice == k)
                if rows.size:
                    out = _put(out, rows, t.apply(_take(image, rows), params.inner[k]), "OneOf")
            return out
        return self.transforms[params.choice].apply(image, params.inner[params.choice])

    def _apply_sample(self, sample: Sample, params) -> Sample:
        return self.transforms[params.choice].apply(sample, params.inner[params.choice])

    def _apply_batch(self, batch: Batch, params) -> Batch:
        out = batch
        for k, t in enumerate(self.transforms):
            rows = np.flatnonzero(np.asarray(params.choice) == k)
            if rows.size:
                out = out.scatter(rows, t.apply(batch.select(rows), params.inner[k]), "OneOf")
        return out
