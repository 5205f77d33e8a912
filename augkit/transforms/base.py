"""The transform contract: ``sample`` draws every random decision, ``apply`` is deterministic.

A transform is called as ``out = t(x, rng=rng)`` where ``x`` is an image (an HWC array in the
sample stage, a ``[C, H, W]`` / ``[B, C, H, W]`` tensor in the batch stage), an
``augkit.Sample`` (an image and its targets) or an ``augkit.Batch``. The same result comes
from ``t.apply(x, t.sample(rng, x))``; ``t.run(x, rng)`` returns both the output and the
parameters, so an augmentation can be logged and replayed exactly, targets included.

Writing a transform: ``sample(rng, image)`` and ``apply(image, params)`` for images are the
only two methods needed. The base class adds the rest around them:

* **Targets.** Photometric transforms leave masks, boxes and keypoints untouched.
  Transforms that move pixels set ``geometric = True`` and implement ``apply_mask``,
  ``apply_boxes`` and ``apply_keypoints`` (one sample's target, the same parameters); a
  missing one is refused with ``UnsupportedTargetError`` naming the transform and target.
* **Probability.** A transform with ``random_apply = True`` is applied with probability
  ``self.p``: the base draws the decision (one per sample in the batch stage), calls
  ``sample`` and ``apply`` only for the images it selects, and records
  ``Applied(applied, params)``. ``apply_masked`` may do the masked batch update in one go.
* **same_on_batch.** A transform whose ``same_on_batch`` attribute is True draws one set of
  parameters for the whole batch (``augkit.rng.SameDraws``).
* **Targets in sample.** ``sample`` sees only the image, unless the class sets
  ``samples_targets = True``: then it is given the whole ``Sample`` (or ``Batch``), so its
  parameters may depend on the targets (``RandomIoUCrop`` draws a window around the boxes).

Parameters are frozen dataclasses. For a single image their fields are Python scalars; for
a ``[B, C, H, W]`` batch they are ``[B]``-shaped numpy arrays, one row per sample.
"""

from __future__ import annotations

import contextvars
import dataclasses
import functools
import inspect
from collections.abc import Callable, Iterator
from typing import Any, ClassVar, TypeAlias, overload

import numpy as np
import torch

from augkit._image import MaskT, batch_size, is_batch, spatial_size
from augkit.encoded import EncodedJpeg
from augkit.errors import UnsupportedTargetError
from augkit.rng import RowGenerator, SameDraws, as_generator, batch_generator, rows_of
from augkit.targets import Batch, Boxes, Keypoints, Sample

SAMPLE_STAGE = "sample"
BATCH_STAGE = "batch"

#: A parameter field holding a Python scalar for one image and a ``[B]`` numpy array (one row
#: per sample) for a batch. The kernels take either form, so the field is not narrowed further.
PerSample: TypeAlias = Any

_REGISTRY: dict[str, type[Configurable]] = {}

#: Constructor options left out of ``repr`` and configs while they keep their default.
_QUIET_OPTIONS = frozenset({"same_on_batch", "mask_fill"})

# Ids of the transforms whose public sample/apply is running in this context: a nested call
# on the same object (a subclass calling ``super().apply``) goes straight to the author's code.
_ACTIVE: contextvars.ContextVar[frozenset[int]] = contextvars.ContextVar("augkit_active_transforms", default=frozenset())


def register(cls: type[Configurable]) -> type[Configurable]:
    """Make a transform class known to ``augkit.from_config`` by its class name.

    augkit's own transforms register themselves; use this (as a decorator) for your own.

    Args:
        cls: A subclass of ``Transform``.

    Returns:
        ``cls`` unchanged.
    """
    if not (isinstance(cls, type) and issubclass(cls, Configurable)):
        raise TypeError(f"register expects a Transform subclass, got {cls!r}")
    existing = _REGISTRY.get(cls.__name__)
    if existing is not None and existing is not cls and existing.__module__.startswith("augkit."):
        raise ValueError(f"a transform named {cls.__name__!r} is already registered by augkit")
    _REGISTRY[cls.__name__] = cls
    return cls


def registered_transforms() -> dict[str, type[Configurable]]:
    """Return a copy of the name -> class table used by ``from_config``."""
    return dict(_REGISTRY)


def _resolved_init(cls: type) -> Callable[..., None]:
    """The ``__init__`` that constructs ``cls`` (its own, or the nearest base's): ``cls.__init__`` without the instance lookup."""
    return next(vars(klass)["__init__"] for klass in cls.__mro__ if "__init__" in vars(klass))


def _constructor_names(cls: type) -> list[str]:
    signature = inspect.signature(_resolved_init(cls))
    return [n for n, p in signature.parameters.items() if n != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def _checked_init(init: Callable[..., None]) -> Callable[..., None]:
    """Wrap a constructor so a missing ``self.<argument>`` is reported when the object is built."""

    @functools.wraps(init)
    def __init__(self: Configurable, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        cls = type(self)
        if cls.__init__ is __init__ and cls.config_args is Configurable.config_args:
            missing = [name for name in _constructor_names(cls) if not hasattr(self, name)]
            if missing:
                name = missing[0]
                raise TypeError(
                    f"{cls.__name__}.__init__ takes {name!r} but keeps no attribute of that name: augkit transforms"
                    f" store each constructor argument on an attribute of the same name (repr, to_config and pickling"
                    f" read them back); set self.{name} = {name} in __init__, or override config_args()"
                )

    __init__._augkit_checked = True  # type: ignore[attr-defined]  # a marker on the function object
    return __init__


class Configurable:
    """What every configurable transform shares: constructor arguments read back from attributes.

    Each constructor argument is stored on an attribute of the same name, which gives
    ``repr``, ``to_config`` and pickling for free (checked when an object is constructed).
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is not None and not getattr(init, "_augkit_checked", False):
            cls.__init__ = _checked_init(init)  # type: ignore[method-assign]

    def config_args(self) -> dict[str, Any]:
        """Return the constructor arguments, read back from the attributes of the same name.

        Options that every batch-stage transform shares (``same_on_batch``) and fills of
        targets a sample may not carry (``mask_fill``) are left out while at their default.
        """
        signature = inspect.signature(type(self).__init__)
        args = {}
        for name in _constructor_names(type(self)):
            value = getattr(self, name)
            if name in _QUIET_OPTIONS and value == signature.parameters[name].default:
                continue
            args[name] = value
        return args

    def to_config(self) -> dict[str, Any]:
        """Return a plain dict (JSON / YAML friendly) that ``augkit.from_config`` rebuilds.

        Returns:
            ``{"name": class name, **constructor arguments}``.
        """
        return {"name": type(self).__name__, **{k: to_plain(v) for k, v in self.config_args().items()}}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={_short_repr(v)}" for k, v in self.config_args().items())
        return f"{type(self).__name__}({args})"


@dataclasses.dataclass(frozen=True)
class Applied:
    """Parameters of a transform applied with a probability: the decision and the inner parameters.

    Attributes:
        applied: Whether the transform ran: a bool, or a ``[B]`` bool array in the batch stage.
        params: The parameters drawn for the images it ran on (for a batch: one row per
            selected image, in order), or None.
    """

    applied: Any
    params: Any = None

    #: How captions name the decision.
    label: ClassVar[str] = "applied"

    def at(self, index: int) -> Applied:
        """Return the parameters of sample ``index`` of a batch."""
        applied = np.asarray(self.applied, dtype=bool)
        if not applied[index]:
            return type(self)(False, None)
        return type(self)(True, params_at(self.params, int(applied[:index].sum())))


def _public_sample(own: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(own)
    def sample(self: Transform, rng: Any, image: Any) -> Any:
        active = _ACTIVE.get()
        if id(self) in active:
            return own(self, rng, image)
        token = _ACTIVE.set(active | {id(self)})
        try:
            return self._draw(rng, image)
        finally:
            _ACTIVE.reset(token)

    sample._augkit_public = True  # type: ignore[attr-defined]  # a marker on the function object
    return sample


def _public_apply(own: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(own)
    def apply(self: Transform, image: Any, params: Any = None, *args: Any) -> Any:
        active = _ACTIVE.get()
        if id(self) in active:
            return own(self, image, params, *args)
        token = _ACTIVE.set(active | {id(self)})
        try:
            return self._dispatch(image, params, *args)
        finally:
            _ACTIVE.reset(token)

    apply._augkit_public = True  # type: ignore[attr-defined]  # a marker on the function object
    return apply


def _take(images: torch.Tensor, rows: np.ndarray) -> torch.Tensor:
    return images.index_select(0, torch.from_numpy(rows).to(images.device))


def _put(images: torch.Tensor, rows: np.ndarray, values: torch.Tensor, name: str) -> torch.Tensor:
    if values.dtype != images.dtype or values.shape[1:] != images.shape[1:]:
        raise ValueError(
            f"{name} in the batch stage needs shape- and dtype-preserving transforms; got"
            f" {tuple(values.shape[1:])} {values.dtype} from {tuple(images.shape[1:])} {images.dtype}"
        )
    if rows.size == images.shape[0]:  # every row: the values are the batch (rows are ascending)
        return values
    return images.index_copy(0, torch.from_numpy(rows).to(images.device), values)


def _shape_stand_in(images: torch.Tensor, rows: int) -> torch.Tensor:
    """A zero-copy tensor with the sub-batch's shape, dtype and device (for shape-only ``sample``)."""
    return torch.zeros((), dtype=images.dtype, device=images.device).expand(rows, *images.shape[1:])


class Transform(Configurable):
    """Base class of every augkit transform (image, target and mixing transforms alike).

    Subclasses set ``stages`` and implement ``apply`` (and ``sample`` when random). See
    the module docstring for what the class attributes below make the base class do.

    Attributes:
        stages: Where the transform may run: ``"sample"`` (HWC arrays in dataset workers)
            and/or ``"batch"`` (``[B, C, H, W]`` tensors after collation).
        geometric: True for transforms that move pixels: they must transform (or refuse)
            masks, boxes and keypoints. False: targets pass through untouched.
        random_apply: True when the transform is applied with probability ``self.p``,
            decided by the base class (per sample in the batch stage).
        applied_params: The class of the ``Applied`` parameters recorded then.
        sample_reads_pixels: False when ``sample`` reads only the image's shape, dtype and
            device (the base may then pass a zero-copy stand-in of a sub-batch).
        mixes_targets: True for transforms of a whole ``Batch`` (Mixup, CutMix): their
            ``apply`` takes and returns a ``Batch``.
        pixel_input: True when the transform works on pixel values (uint8, or floats in
            [0, 1]); a pipeline refuses it after a transform with ``normalizes``.
        normalizes: True when the output is normalized (no longer in pixel units).
        samples_targets: True when ``sample`` needs the targets: it is then given the
            ``Sample`` / ``Batch`` itself (a bare image when called on one) rather than
            only its image. Its ``sample`` must then handle a ``Sample`` / ``Batch``.
    """

    stages: tuple[str, ...] = (SAMPLE_STAGE,)
    geometric: ClassVar[bool] = False
    random_apply: ClassVar[bool] = False
    applied_params: ClassVar[type[Applied]] = Applied
    sample_reads_pixels: ClassVar[bool] = False
    mixes_targets: ClassVar[bool] = False
    pixel_input: ClassVar[bool] = False
    normalizes: ClassVar[bool] = False
    samples_targets: ClassVar[bool] = False
    same_on_batch: bool = False
    #: The probability of a transform with ``random_apply`` (set by its constructor).
    p: float
    # The author's own ``sample`` / ``apply`` (the public methods wrap them; see ``__init_subclass__``).
    _own_sample: ClassVar[Callable[..., Any]]
    _own_apply: ClassVar[Callable[..., Any]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name, public in (("sample", _public_sample), ("apply", _public_apply)):
            own = cls.__dict__.get(name)
            if own is not None and not getattr(own, "_augkit_public", False):
                setattr(cls, f"_own_{name}", own)
                setattr(cls, name, public(own))
        if cls.__module__.startswith("augkit.") and not cls.__name__.startswith("_") and not cls.__dict__.get("abstract", False):
            register(cls)

    # ------------------------------------------------------------------ what authors write

    # The public ``sample`` and ``apply`` take an image, a ``Sample``, a ``Batch`` or an undecoded
    # JPEG; the base unwraps them, so a subclass's own methods see only an ``Image``. Hence
    # ``image: Any`` here, which a subclass narrows to ``Image`` (or an array / a tensor).

    def sample(self, rng: np.random.Generator, image: Any) -> Any:
        """Draw the parameters for ``image``; deterministic transforms return None.

        Args:
            rng: The generator every random decision is drawn from (a numpy generator, or
                one of ``augkit.rng``'s per-sample generators in the batch stage).
            image: The input image or batch (only its shape and kind are usually read); a
                ``Sample`` or ``Batch`` is accepted and its image is used.

        Returns:
            A frozen dataclass of parameters, or None.
        """
        return None

    def apply(self, image: Any, params: Any) -> Any:
        """Apply the transform with the given parameters (deterministic).

        Args:
            image: The input image or batch, or a ``Sample`` / ``Batch`` (targets move too).
            params: What ``sample`` returned for this input.

        Returns:
            The transformed input, of the same kind; the input is never modified.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement apply")

    def apply_mask(self, mask: MaskT, params: Any) -> MaskT:
        """Move one sample's mask (``[H, W]`` / ``[H, W, M]`` array or ``[H, W]`` / ``[M, H, W]`` tensor)."""
        raise self._unsupported("masks")

    def apply_boxes(self, boxes: Boxes, params: Any, size: tuple[int, int]) -> Boxes:
        """Move one sample's ``Boxes``; ``size`` is the input image's ``(height, width)``."""
        raise self._unsupported("boxes")

    def apply_keypoints(self, keypoints: Keypoints, params: Any, size: tuple[int, int]) -> Keypoints:
        """Move one sample's ``Keypoints``; ``size`` is the input image's ``(height, width)``."""
        raise self._unsupported("keypoints")

    def apply_masked(self, images: torch.Tensor, applied: np.ndarray, params: Any) -> torch.Tensor | None:
        """Optionally apply to the ``applied`` rows of a batch in one go (``params`` for those rows).

        Returns None to let the base class take, transform and put back the selected rows.
        """
        return None

    # ------------------------------------------------------------------ pipeline declarations

    def crop_window(self, params: Any) -> tuple[int, int, int, int] | None:
        """For a pure crop: the ``(top, left, height, width)`` window its output is (else None).

        Compose fuses a pure crop with a preceding resize and decodes only this window of an
        undecoded JPEG; the output must be exactly that window of the input (padded with
        ``self.fill`` where it leaves the image).
        """
        return None

    def input_window(self, params: Any) -> tuple[int, int, int, int] | None:
        """The ``(top, left, height, width)`` window of the input that ``apply`` reads, or None (all of it).

        When not None, ``apply(image[window], params_in_window(params))`` must equal
        ``apply(image, params)``; an undecoded JPEG is then decoded only there.
        """
        return self.crop_window(params)

    def params_in_window(self, params: Any) -> Any:
        """``params`` relative to the origin of ``input_window(params)`` (default: top and left set to 0)."""
        return dataclasses.replace(params, top=0, left=0)

    def fused_resize_size(self, params: Any, height: int, width: int) -> tuple[int, int] | None:
        """For an antialiased bilinear resize: its output ``(height, width)`` (else None).

        A resize declaring this is fused with a following pure crop: only the pixels the crop
        keeps are resampled (``augkit.functional.geometry.resize_crop``).
        """
        return None

    def children(self) -> tuple[Transform, ...]:
        """The transforms a container holds (empty for a leaf)."""
        return ()

    # ------------------------------------------------------------------ running

    def run(self, image, rng) -> tuple[Any, Any]:
        """Sample parameters and apply them; return ``(output, params)``.

        An undecoded ``augkit.encoded.EncodedJpeg`` is decoded first (``Compose`` decodes
        only the window its first transforms read).
        """
        image = _decoded(image)
        params = self.sample(rng, image)
        return self.apply(image, params), params

    def __call__(self, image, *, rng: np.random.Generator | int | None = None):
        """Transform ``image`` with parameters drawn from ``rng``.

        Args:
            image: An HWC array (sample stage), a ``[C, H, W]`` / ``[B, C, H, W]`` tensor
                where the transform runs in the batch stage, a ``Sample`` or a ``Batch``.
            rng: A ``numpy.random.Generator`` (or a per-sample generator of ``augkit.rng``),
                an int seed, or None for a fresh nondeterministic generator.

        Returns:
            The transformed input, of the same kind.
        """
        if rng is None and self._draws_nothing():
            return self.run(image, None)[0]  # no fresh generator (OS entropy) for a transform that never draws
        return self.run(image, _as_rng(rng))[0]

    # ------------------------------------------------------------------ the base's machinery

    def _draws_nothing(self) -> bool:
        """True for a leaf that keeps the base's ``sample`` (deterministic: it never reads a generator)."""
        cls = type(self)
        return (
            cls._own_sample is Transform._own_sample
            and cls.run is Transform.run
            and cls._draw is Transform._draw
            and not cls.random_apply
            and not self.same_on_batch
            and not self.children()
        )

    def _unsupported(self, target: str) -> UnsupportedTargetError:
        return UnsupportedTargetError(
            f"{type(self).__name__} moves pixels but does not transform {target}: it cannot be used on samples that"
            f" carry {target} (implement apply_{'mask' if target == 'masks' else target} to support them)"
        )

    def _draw(self, rng: Any, x: Any) -> Any:
        """The public ``sample``: unwrap the input, handle ``same_on_batch`` and ``random_apply``.

        ``sample`` gets the image alone, or the whole ``Sample`` / ``Batch`` when the class
        declares ``samples_targets``.
        """
        image = _image_of(x)
        given = _with_image(x, image) if self.samples_targets else image
        own = type(self)._own_sample
        if self.same_on_batch and is_batch(image):
            rng = SameDraws(batch_generator(rng), int(image.shape[0]))
        if not self.random_apply:
            return own(self, rng, given)
        decision = rng.random(batch_size(image)) < self.p
        if not is_batch(image):
            return self.applied_params(bool(decision), own(self, rng, given) if decision else None)
        rows = np.flatnonzero(decision)
        if rows.size == 0:
            return self.applied_params(decision, None)
        sub: Batch | torch.Tensor
        if isinstance(given, Batch):
            sub = given.select(rows)
        else:
            sub = (
                (image if rows.size == decision.size else _take(image, rows))
                if self.sample_reads_pixels
                else _shape_stand_in(image, rows.size)
            )
        return self.applied_params(decision, own(self, rows_of(rng, rows), sub))

    def _dispatch(self, x: Any, params: Any, *extra: Any) -> Any:
        """The public ``apply``: a ``Sample`` / ``Batch`` moves its targets too."""
        if extra:
            raise TypeError(f"{type(self).__name__}.apply takes (image, params), got {2 + len(extra)} arguments")
        if isinstance(x, Sample):
            return self._apply_sample(x, params)
        if isinstance(x, Batch):
            return self._apply_batch(x, params)
        if self.mixes_targets:
            raise TypeError(f"{type(self).__name__} mixes samples and their targets: call it on an augkit.Batch (or images, targets)")
        return self._apply_image(_decoded(x), params)

    def _apply_image(self, image: Any, params: Any) -> Any:
        own = type(self)._own_apply
        if not (self.random_apply and isinstance(params, Applied)):
            return own(self, image, params)
        if not is_batch(image):
            return own(self, image, params.params) if params.applied else image
        applied = np.asarray(params.applied, dtype=bool)
        rows = np.flatnonzero(applied)
        if rows.size == 0:
            return image
        fast = self.apply_masked(image, applied, params.params)
        if fast is not None:
            return fast
        chosen = image if rows.size == applied.size else _take(image, rows)
        return _put(image, rows, own(self, chosen, params.params), type(self).__name__)

    def _apply_sample(self, sample: Sample, params: Any) -> Sample | Batch:
        """Apply to one sample and its targets (a ``Batch`` of views for transforms that make views)."""
        image = _decoded(sample.image)
        moved = self.apply_targets(sample, params, spatial_size(image))
        return moved.replace(image=self._apply_image(image, params))

    def _apply_batch(self, batch: Batch, params: Any) -> Batch:
        if self.mixes_targets:
            return type(self)._own_apply(self, batch, params)
        moved = self.apply_targets(batch, params, spatial_size(batch.images))
        images = self._apply_image(batch.images, params)
        if moved.masks is not None and batch.size == 0:
            moved = moved.replace(masks=moved.masks.new_empty((0, *moved.masks.shape[1:-2], *images.shape[-2:])))
        return moved.replace(images=images)

    @overload
    def apply_targets(self, x: Sample, params: Any, size: tuple[int, int]) -> Sample: ...

    @overload
    def apply_targets(self, x: Batch, params: Any, size: tuple[int, int]) -> Batch: ...

    def apply_targets(self, x: Sample | Batch, params: Any, size: tuple[int, int]) -> Sample | Batch:
        """Move the targets of ``x`` (its image is left as is) with ``params``.

        Args:
            x: A ``Sample`` or ``Batch``.
            params: The transform's parameters for ``x``.
            size: The input image's ``(height, width)``.

        Returns:
            ``x`` with moved masks, boxes and keypoints (itself when nothing moves).
        """
        if not self.geometric or not x.has_spatial_targets():
            return x
        if isinstance(x, Sample):
            return self._sample_targets(x, params, size)
        return self._batch_targets(x, params, size)

    def _sample_targets(self, sample: Sample, params, size) -> Sample:
        if self.random_apply and isinstance(params, Applied):
            if not params.applied:
                return sample
            params = params.params
        changes: dict[str, Any] = {}
        if sample.mask is not None:
            changes["mask"] = self.apply_mask(sample.mask, params)
        if sample.boxes is not None:
            changes["boxes"] = self.apply_boxes(sample.boxes, params, size)
        if sample.keypoints is not None:
            changes["keypoints"] = self.apply_keypoints(sample.keypoints, params, size)
        return sample.replace(**changes)

    def _batch_targets(self, batch: Batch, params, size) -> Batch:
        rows = np.arange(batch.size)
        if self.random_apply and isinstance(params, Applied):
            rows = np.flatnonzero(np.asarray(params.applied, dtype=bool))
            params = params.params
        changes: dict[str, Any] = {}
        if batch.masks is not None:
            moved = [self.apply_mask(batch.masks[row], params_at(params, j)) for j, row in enumerate(rows)]
            if moved and len(rows) == batch.size:
                masks = torch.stack(moved)  # every row moved: the masks may change size (a crop)
            else:
                masks = batch.masks.clone()
                for mask, row in zip(moved, rows):
                    masks[row] = mask
            changes["masks"] = masks
        for name, method in (("boxes", self.apply_boxes), ("keypoints", self.apply_keypoints)):
            items = getattr(batch, name)
            if items is not None:
                items = list(items)
                for j, row in enumerate(rows):
                    items[row] = method(items[row], params_at(params, j), size)
                changes[name] = items
        return batch.replace(**changes)


# Transform's own defaults are wrapped as a subclass's are (``__init_subclass__`` runs for subclasses only).
Transform._own_sample = Transform.__dict__["sample"]
Transform._own_apply = Transform.__dict__["apply"]
Transform.sample = _public_sample(Transform._own_sample)  # type: ignore[method-assign]  # wrapping a method is the design
Transform.apply = _public_apply(Transform._own_apply)  # type: ignore[method-assign]  # wrapping a method is the design


def _decoded(image):
    if isinstance(image, EncodedJpeg):
        return image.decode()
    if isinstance(image, Sample) and isinstance(image.image, EncodedJpeg):
        return image.replace(image=image.image.decode())
    return image


def _image_of(x):
    if isinstance(x, Sample):
        return x.image.stand_in() if isinstance(x.image, EncodedJpeg) else x.image
    if isinstance(x, Batch):
        return x.images
    if isinstance(x, EncodedJpeg):
        return x.stand_in()
    return x


def _with_image(x, image):
    """``x`` with its image replaced by ``image`` (what ``_image_of`` returned) when ``x`` is a ``Sample``."""
    if isinstance(x, Sample) and x.image is not image:
        return x.replace(image=image)
    return x if isinstance(x, (Sample, Batch)) else image


def _as_rng(rng):
    return rng if isinstance(rng, RowGenerator) else as_generator(rng)


def iter_leaves(transform: Transform) -> Iterator[Transform]:
    """Yield the leaf transforms of ``transform`` in pipeline order (itself for a leaf)."""
    children = transform.children()
    if not children:
        yield transform
        return
    for child in children:
        yield from iter_leaves(child)


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
    if not dataclasses.is_dataclass(params) or isinstance(params, type):
        raise TypeError(f"params must be a parameter dataclass, got {type(params).__name__}")
    changes = {}
    for field in dataclasses.fields(params):
        value = getattr(params, field.name)
        if isinstance(value, np.ndarray) and value.ndim >= 1:
            item = value[index]
            changes[field.name] = item.item() if isinstance(item, np.generic) else item
    return dataclasses.replace(params, **changes)
