"""What a sample and a batch carry: an image plus optional targets (labels, masks, boxes, keypoints).

* ``Sample``: one image and its targets, in the sample stage (HWC numpy image, ``[H, W]``
  mask) or after ``ToTensor`` (``[C, H, W]`` tensor, ``[H, W]`` tensor mask).
* ``Batch``: the collated form, in the batch stage: ``[B, C, H, W]`` images, ``[B, H, W]``
  masks, and per-sample lists of ``Boxes`` and ``Keypoints``.
* ``Boxes``: ``[N, 4]`` float32 ``(x1, y1, x2, y2)`` pixel corners and optional ``[N]`` labels.
* ``Keypoints``: ``[N, K, 2]`` (or ``[N, 2]``) float32 ``(x, y)`` pixel positions and an
  optional visibility array of the same leading shape.

Coordinates follow torchvision v2's ``tv_tensors``: pixel ``(x, y)`` with ``x`` along the
width; a box covers ``[x1, x2) x [y1, y2)``, so a whole ``W x H`` image is ``(0, 0, W, H)``.
Arrays may be numpy arrays or torch tensors; transforms keep the kind they are given.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

#: Box formats ``Boxes.from_format`` and ``Boxes.to_format`` understand.
BOX_FORMATS = ("xyxy", "xywh", "cxcywh")


def _float_array(name: str, value, shape_tail: tuple[int, ...]) -> np.ndarray | torch.Tensor:
    """``value`` as a float32 array or tensor whose shape ends with ``shape_tail``."""
    array: np.ndarray | torch.Tensor
    if isinstance(value, torch.Tensor):
        array = value if value.dtype == torch.float32 else value.to(torch.float32)
    else:
        try:
            array = np.asarray(value, dtype=np.float32)
        except (TypeError, ValueError) as error:
            raise TypeError(f"{name} must be an array of numbers, got {type(value).__name__}") from error
    if tuple(array.shape[array.ndim - len(shape_tail) :]) != shape_tail or array.ndim < len(shape_tail):
        raise ValueError(f"{name} must have shape [..., {', '.join(map(str, shape_tail))}], got {tuple(array.shape)}")
    return array


def _leading(name: str, value, shape: tuple[int, ...], dtype=None):
    """Check an optional per-item array (labels, visibility) against the items' leading shape."""
    if value is None:
        return None
    if not isinstance(value, torch.Tensor):
        value = np.asarray(value) if dtype is None else np.asarray(value, dtype=dtype)
    elif dtype is not None:
        value = value.to(torch.bool if dtype is bool else torch.int64)
    if tuple(value.shape) != shape:
        raise ValueError(f"{name} must have shape {shape}, got {tuple(value.shape)}")
    return value


@dataclass(frozen=True)
class Boxes:
    """Bounding boxes of one image: ``[N, 4]`` float32 ``(x1, y1, x2, y2)`` pixels, optional ``[N]`` labels.

    **Reference areas.** ``augkit.BoxFilter`` judges how much of a box a crop left visible
    against the box's area before it was cut. That area travels with the boxes in
    ``reference_area``: None until a crop or resize first moves the boxes (then each box's
    area just before clipping), then scaled by resizes (areas in the current image's
    pixels) and kept by crops and flips. A box's visibility is ``area() / reference_area``
    (1 while None).

    Args:
        xyxy: The corners, a numpy array or a tensor (converted to float32).
        labels: One label per box (any array of length N), or None.
        reference_area: ``[N]`` float32 areas before clipping (see above), or None.

    Example:
        >>> boxes = Boxes.from_format([[10, 20, 30, 40]], "xywh", labels=[3])
        >>> boxes.xyxy.tolist(), boxes.to_format("cxcywh").tolist()
        ([[10.0, 20.0, 40.0, 60.0]], [[25.0, 40.0, 30.0, 40.0]])
    """

    xyxy: Any
    labels: Any = None
    reference_area: Any = None

    def __post_init__(self) -> None:
        xyxy = _float_array("boxes", self.xyxy, (4,))
        if xyxy.ndim != 2:
            raise ValueError(f"boxes must have shape [N, 4], got {tuple(xyxy.shape)}")
        object.__setattr__(self, "xyxy", xyxy)
        object.__setattr__(self, "labels", _leading("box labels", self.labels, (xyxy.shape[0],)))
        if self.reference_area is not None:
            reference = _like(_float_array("box reference areas", self.reference_area, ()), xyxy)
            if tuple(reference.shape) != (xyxy.shape[0],):
                raise ValueError(f"box reference areas must have shape ({xyxy.shape[0]},), got {tuple(reference.shape)}")
            object.__setattr__(self, "reference_area", reference)

    def __len__(self) -> int:
        return int(self.xyxy.shape[0])

    def area(self):
        """The boxes' areas, ``(x2 - x1) * (y2 - y1)``, a float32 ``[N]`` array or tensor."""
        return (self.xyxy[:, 2] - self.xyxy[:, 0]) * (self.xyxy[:, 3] - self.xyxy[:, 1])

    def visibility(self):
        """The fraction of each box left by clipping: ``area() / reference_area`` (all 1 while None)."""
        area = self.area()
        if self.reference_area is None:
            return area * 0 + 1
        reference = self.reference_area
        positive = reference > 0
        ratio = area / (reference + ~positive)
        return ratio * positive

    @classmethod
    def from_format(cls, values, format: str = "xyxy", *, normalized: bool = False, image_size=None, labels=None) -> Boxes:
        """Build from ``"xyxy"``, ``"xywh"`` (COCO) or ``"cxcywh"`` (YOLO) boxes, pixel or normalized.

        Args:
            values: ``[N, 4]`` boxes in ``format``.
            format: ``"xyxy"``, ``"xywh"`` or ``"cxcywh"``.
            normalized: The values are fractions of the image's width and height.
            image_size: The image's ``(height, width)``, needed when ``normalized``.
            labels: One label per box, or None.

        Returns:
            ``Boxes`` in pixels.
        """
        boxes = np.asarray(_float_array("boxes", values, (4,)), dtype=np.float64).reshape(-1, 4)
        if normalized:
            height, width = _image_size(image_size)
            boxes = boxes * np.array([width, height, width, height], dtype=np.float64)
        x, y, a, b = boxes.T
        if format == "xywh":
            boxes = np.stack([x, y, x + a, y + b], axis=1)
        elif format == "cxcywh":
            boxes = np.stack([x - a / 2, y - b / 2, x + a / 2, y + b / 2], axis=1)
        elif format != "xyxy":
            raise ValueError(f"format must be one of {BOX_FORMATS}, got {format!r}")
        return cls(boxes.astype(np.float32), labels)

    def to_format(self, format: str = "xyxy", *, normalized: bool = False, image_size=None) -> np.ndarray:
        """Return the boxes as a float32 ``[N, 4]`` numpy array in ``format``, pixel or normalized.

        Args:
            format: ``"xyxy"``, ``"xywh"`` or ``"cxcywh"``.
            normalized: Divide by the image's width and height.
            image_size: The image's ``(height, width)``, needed when ``normalized``.
        """
        boxes = np.asarray(self.xyxy.cpu() if isinstance(self.xyxy, torch.Tensor) else self.xyxy, dtype=np.float64)
        x1, y1, x2, y2 = boxes.T
        if format == "xywh":
            boxes = np.stack([x1, y1, x2 - x1, y2 - y1], axis=1)
        elif format == "cxcywh":
            boxes = np.stack([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1], axis=1)
        elif format != "xyxy":
            raise ValueError(f"format must be one of {BOX_FORMATS}, got {format!r}")
        if normalized:
            height, width = _image_size(image_size)
            boxes = boxes / np.array([width, height, width, height], dtype=np.float64)
        return boxes.astype(np.float32)

    def replace(self, xyxy, keep=None, reference_area=None) -> Boxes:
        """New boxes with corners ``xyxy``; ``keep`` (a bool mask or indices) selects boxes, labels and reference areas together.

        Args:
            xyxy: ``[N, 4]`` new corners (before ``keep`` selects from them).
            keep: A bool mask or indices of the boxes to keep, or None (all).
            reference_area: New ``[N]`` reference areas (before ``keep``), or None to keep these boxes'.

        Returns:
            New ``Boxes``; these are unchanged.
        """
        labels = self.labels
        reference = self.reference_area if reference_area is None else reference_area
        if keep is not None:
            xyxy = xyxy[keep]
            labels = None if labels is None else labels[_index_like(keep, labels)]
            reference = None if reference is None else reference[_index_like(keep, reference)]
        return Boxes(xyxy, labels, reference)

    def to(self, device) -> Boxes:
        """The boxes as tensors on ``device`` (labels too, when they are numeric)."""
        return Boxes(_to_tensor(self.xyxy, device), _to_tensor(self.labels, device), _to_tensor(self.reference_area, device))


@dataclass(frozen=True)
class Keypoints:
    """Keypoints of one image: ``[N, K, 2]`` (or ``[N, 2]``) float32 ``(x, y)`` pixels, optional visibility.

    A keypoint that a transform moves outside the image is marked invisible
    (``visible=False``), never dropped, so indices keep their meaning.

    Args:
        xy: The positions, a numpy array or a tensor (converted to float32).
        visible: A bool array of shape ``xy.shape[:-1]``, or None (all visible).

    Example:
        >>> Keypoints([[1, 2], [3, 4]]).xy.shape
        (2, 2)
    """

    xy: Any
    visible: Any = None

    def __post_init__(self) -> None:
        xy = _float_array("keypoints", self.xy, (2,))
        if xy.ndim not in (2, 3):
            raise ValueError(f"keypoints must have shape [N, 2] or [N, K, 2], got {tuple(xy.shape)}")
        object.__setattr__(self, "xy", xy)
        visible = _leading("keypoint visibility", self.visible, tuple(xy.shape[:-1]), dtype=bool)
        object.__setattr__(self, "visible", None if visible is None else _like(visible, xy))

    def __len__(self) -> int:
        return int(self.xy.shape[0])

    def visibility(self):
        """The visibility array (all True when ``visible`` is None)."""
        if self.visible is not None:
            return self.visible
        if isinstance(self.xy, torch.Tensor):
            return torch.ones(self.xy.shape[:-1], dtype=torch.bool, device=self.xy.device)
        return np.ones(self.xy.shape[:-1], dtype=bool)

    def to(self, device) -> Keypoints:
        """The keypoints as tensors on ``device``."""
        return Keypoints(_to_tensor(self.xy, device), _to_tensor(self.visible, device))


def _like(value, reference):
    """``value`` as the same kind (numpy array or tensor, and device) as ``reference``."""
    if isinstance(reference, torch.Tensor):
        if isinstance(value, torch.Tensor):
            return value.to(reference.device)
        return torch.from_numpy(np.ascontiguousarray(value)).to(reference.device)
    return value.cpu().numpy() if isinstance(value, torch.Tensor) else value


def _index_like(index, values):
    """A row selection (bool mask or indices) usable on ``values`` (a numpy array or a tensor)."""
    if isinstance(values, torch.Tensor) and not isinstance(index, torch.Tensor):
        return torch.as_tensor(np.asarray(index), device=values.device)
    if not isinstance(values, torch.Tensor) and isinstance(index, torch.Tensor):
        return index.cpu().numpy()
    if isinstance(values, torch.Tensor):
        return index.to(values.device)
    return index


def _to_tensor(value, device):
    if value is None:
        return None
    if isinstance(value, torch.Tensor):
        return value.to(device)
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        return value
    return torch.from_numpy(np.ascontiguousarray(array)).to(device)


def _image_size(image_size) -> tuple[int, int]:
    if image_size is None or len(image_size) != 2:
        raise ValueError(f"image_size=(height, width) is needed for normalized coordinates, got {image_size!r}")
    return int(image_size[0]), int(image_size[1])


def _as_boxes(value) -> Boxes | None:
    if value is None or isinstance(value, Boxes):
        return value
    return Boxes(value)


def _as_keypoints(value) -> Keypoints | None:
    if value is None or isinstance(value, Keypoints):
        return value
    return Keypoints(value)


#: The target fields of a ``Sample`` / ``Batch`` that geometry moves.
SPATIAL_TARGETS = ("mask", "boxes", "keypoints")


@dataclass(frozen=True)
class Sample:
    """One image and its targets; every augkit transform moves them together.

    ``t(Sample(...), rng=rng)`` returns a ``Sample`` whose image and targets were transformed
    with the same parameters; a bare image in gives a bare image out. Geometric transforms
    move masks (nearest neighbour: label values are never invented), boxes (as their
    corners, clipped to the image) and keypoints (marked invisible when they leave the
    image); photometric transforms leave targets untouched.

    Args:
        image: HWC numpy array (sample stage), ``[C, H, W]`` tensor, or an undecoded source
            (path, bytes) inside a dataset.
        label: The class label (or any target that geometry does not move).
        mask: ``[H, W]`` (or ``[H, W, M]``) integer or bool array of the image's size; a
            ``[H, W]`` (or ``[M, H, W]``) tensor after ``ToTensor``.
        boxes: ``Boxes``, or an ``[N, 4]`` xyxy array.
        keypoints: ``Keypoints``, or an ``[N, K, 2]`` / ``[N, 2]`` array.
        key: The sample's key (dataset index or string key), set by ``AugmentedDataset`` so the
            batch stage can draw this sample's parameters from its own stream.

    Example:
        >>> import numpy as np, augkit
        >>> sample = Sample(np.zeros((4, 6, 3), np.uint8), boxes=[[0, 0, 2, 4]])
        >>> augkit.HorizontalFlip(p=1.0)(sample).boxes.xyxy.tolist()
        [[4.0, 0.0, 6.0, 4.0]]
    """

    image: Any
    label: Any = None
    mask: Any = None
    boxes: Boxes | None = None
    keypoints: Keypoints | None = None
    key: Any = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "boxes", _as_boxes(self.boxes))
        object.__setattr__(self, "keypoints", _as_keypoints(self.keypoints))

    def replace(self, **changes: Any) -> Sample:
        """A copy with some fields changed.

        Only the changed fields are converted (boxes and keypoints given as arrays become
        ``Boxes`` / ``Keypoints``); the others are the already-checked values of this sample.
        Transforms replace a sample's fields several times per call, so this skips
        ``dataclasses.replace``'s full re-construction.
        """
        if type(self) is not Sample or not changes.keys() <= _SAMPLE_FIELDS:
            return dataclasses.replace(self, **changes)  # a subclass, or an unknown field (its TypeError)
        new = object.__new__(Sample)
        fields = new.__dict__
        fields.update(self.__dict__)
        fields.update(changes)
        if "boxes" in changes:
            fields["boxes"] = _as_boxes(fields["boxes"])
        if "keypoints" in changes:
            fields["keypoints"] = _as_keypoints(fields["keypoints"])
        return new

    def has_spatial_targets(self) -> bool:
        """True when the sample carries a mask, boxes or keypoints."""
        return self.mask is not None or self.boxes is not None or self.keypoints is not None


_SAMPLE_FIELDS = frozenset(field.name for field in dataclasses.fields(Sample))


@dataclass(frozen=True)
class Batch:
    """A collated batch: ``[B, C, H, W]`` images and their targets, in the batch stage.

    It unpacks like the ``(images, labels)`` pair of a classification loop, so
    ``images, targets = batch`` keeps working; the other targets are attributes.

    Args:
        images: ``[B, C, H, W]`` tensor.
        labels: ``[B]`` int64 or ``[B, K]`` float tensor, a list, or None.
        masks: ``[B, H, W]`` (or ``[B, M, H, W]``) tensor, or None.
        boxes: A list of B ``Boxes``, or None.
        keypoints: A list of B ``Keypoints``, or None.
        keys: The samples' keys (``[B]`` int64 tensor of dataset indices, or a list of
            string keys), or None; the batch stage draws row ``i``'s parameters from
            ``keys[i]``'s stream.

    Example:
        >>> import torch
        >>> images, targets = Batch(torch.zeros(2, 3, 4, 4), torch.tensor([1, 0]))
        >>> targets.tolist()
        [1, 0]
    """

    images: Any
    labels: Any = None
    masks: Any = None
    boxes: list[Boxes] | None = None
    keypoints: list[Keypoints] | None = None
    keys: Any = None

    def __post_init__(self) -> None:
        if not isinstance(self.images, torch.Tensor) or self.images.ndim != 4:
            shape = tuple(self.images.shape) if hasattr(self.images, "shape") else type(self.images).__name__
            raise TypeError(f"Batch.images must be a [B, C, H, W] tensor, got {shape}")
        size = int(self.images.shape[0])
        for name in ("boxes", "keypoints"):
            items = getattr(self, name)
            if items is not None:
                items = [(_as_boxes if name == "boxes" else _as_keypoints)(item) for item in items]
                if len(items) != size:
                    raise ValueError(f"Batch.{name} must hold one entry per image ({size}), got {len(items)}")
                object.__setattr__(self, name, items)
        if self.masks is not None and (not isinstance(self.masks, torch.Tensor) or self.masks.shape[0] != size):
            raise ValueError(f"Batch.masks must be a [B, H, W] tensor with B = {size}")

    def __iter__(self) -> Iterator:
        yield self.images
        yield self.labels

    def __getitem__(self, index: int):
        return (self.images, self.labels)[index]

    def __len__(self) -> int:
        return 2

    @property
    def size(self) -> int:
        """The number of samples, B."""
        return int(self.images.shape[0])

    def replace(self, **changes: Any) -> Batch:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    def has_spatial_targets(self) -> bool:
        """True when the batch carries masks, boxes or keypoints."""
        return self.masks is not None or self.boxes is not None or self.keypoints is not None

    def to(self, device, non_blocking: bool = False) -> Batch:
        """Move every tensor to ``device`` (boxes and keypoints become tensors there)."""

        def move(value):
            return value.to(device, non_blocking=non_blocking) if isinstance(value, torch.Tensor) else value

        return Batch(
            move(self.images),
            move(self.labels),
            move(self.masks),
            None if self.boxes is None else [b.to(device) for b in self.boxes],
            None if self.keypoints is None else [k.to(device) for k in self.keypoints],
            self.keys,
        )

    def pin_memory(self) -> Batch:
        """Page-locked copies of the tensors, boxes' and keypoints' included (``DataLoader(pin_memory=True)`` calls this)."""

        def pin(value):
            return value.pin_memory() if isinstance(value, torch.Tensor) else value

        boxes = None if self.boxes is None else [Boxes(pin(b.xyxy), pin(b.labels), pin(b.reference_area)) for b in self.boxes]
        keypoints = None if self.keypoints is None else [Keypoints(pin(k.xy), pin(k.visible)) for k in self.keypoints]
        return Batch(pin(self.images), pin(self.labels), pin(self.masks), boxes, keypoints, self.keys)

    def select(self, rows) -> Batch:
        """The sub-batch of the given rows (a ``[R]`` index array)."""
        index = torch.as_tensor(np.asarray(rows, dtype=np.int64), device=self.images.device)
        positions = np.asarray(rows, dtype=np.int64).tolist()

        def take(value):
            if isinstance(value, torch.Tensor):
                return value.index_select(0, index.to(value.device))
            if isinstance(value, list):
                return [value[i] for i in positions]
            return value

        keys = self.keys
        if isinstance(keys, torch.Tensor):
            keys = keys.index_select(0, index.to(keys.device))
        elif isinstance(keys, (list, tuple, np.ndarray)):
            keys = [keys[i] for i in positions]
        return Batch(take(self.images), take(self.labels), take(self.masks), take(self.boxes), take(self.keypoints), keys)

    def scatter(self, rows, sub: Batch, name: str = "a transform") -> Batch:
        """This batch with rows ``rows`` replaced by the rows of ``sub`` (images and targets).

        Args:
            rows: ``[R]`` row indices.
            sub: A batch of R rows, of this batch's image shape and dtype.
            name: Who asks (named in errors).

        Returns:
            A new ``Batch``; this one is unchanged.
        """
        positions = np.asarray(rows, dtype=np.int64)
        index = torch.from_numpy(positions)

        def put(full, part, what):
            if full is None:
                return None
            if isinstance(full, torch.Tensor):
                if not isinstance(part, torch.Tensor) or part.dtype != full.dtype or part.shape[1:] != full.shape[1:]:
                    got = f"{tuple(part.shape[1:])} {part.dtype}" if isinstance(part, torch.Tensor) else type(part).__name__
                    raise ValueError(
                        f"{name} on part of a batch must keep the shape and dtype of its {what}:"
                        f" got {got} for {tuple(full.shape[1:])} {full.dtype}"
                    )
                return full.index_copy(0, index.to(full.device), part)
            merged = list(full)
            for j, row in enumerate(positions.tolist()):
                merged[row] = part[j]
            return merged

        return Batch(
            put(self.images, sub.images, "images"),
            put(self.labels, sub.labels, "labels"),
            put(self.masks, sub.masks, "masks"),
            put(self.boxes, sub.boxes, "boxes"),
            put(self.keypoints, sub.keypoints, "keypoints"),
            self.keys,
        )


def as_batch(value) -> Batch:
    """Return ``value`` as a ``Batch``: a ``Batch``, an ``(images, labels)`` pair or an image tensor.

    Args:
        value: What a ``DataLoader`` yields.

    Returns:
        A ``Batch``.
    """
    if isinstance(value, Batch):
        return value
    if isinstance(value, torch.Tensor):
        return Batch(value)
    if isinstance(value, (tuple, list)) and len(value) == 2 and isinstance(value[0], torch.Tensor):
        return Batch(value[0], value[1])
    raise TypeError(
        "expected a batch: an augkit.Batch, an (images, targets) pair or an image tensor;"
        f" got {type(value).__name__} (use augkit.data.Uint8Collate as the DataLoader's collate_fn)"
    )
