"""The SSD augmentations of torchvision's detection recipes: photometric distort, zoom out, IoU crop.

* ``RandomPhotometricDistort``: brightness, contrast, saturation, hue (each with
  probability ``p``, contrast before or after the colour changes) and a channel
  permutation (probability ``p``); both stages, per sample in the batch stage.
* ``RandomZoomOut``: place the image on a canvas up to ``side_range`` times larger, filled
  with ``fill`` (the mean colour in the SSD recipe); masks, boxes and keypoints move with it.
* ``RandomIoUCrop``: a crop whose overlap (IoU) with at least one box whose centre it
  contains exceeds a threshold drawn from ``sampler_options``; boxes whose centre falls
  outside the crop are dropped with their labels. Its window depends on the boxes, so it
  reads the sample's targets when drawing (``samples_targets``).

Each follows torchvision v2's transform of the same name (``transforms/v2/_color.py``,
``transforms/v2/_geometry.py``): the same parameters and the same kernels; parameters are
drawn from the numpy generator passed in. The kernels are augkit's (``functional.color``,
``functional.geometry``, ``functional.targets``).

References:
    Liu et al., "SSD: Single Shot MultiBox Detector", ECCV 2016 (Sec. 2.2, data
    augmentation: photometric distortions, zoom out ("expansion"), IoU-constrained patches).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import torch

from augkit._image import Image, MaskT, batch_size, check_array_image, is_batch, spatial_size
from augkit._validate import check_int, check_probability, check_range, check_real
from augkit.functional import color as C
from augkit.functional import geometry as G
from augkit.functional import targets as T
from augkit.targets import Boxes, Keypoints, Sample
from augkit.transforms.base import BATCH_STAGE, SAMPLE_STAGE, PerSample, Transform
from augkit.transforms.color import check_color_image

#: torchvision's default IoU thresholds of ``RandomIoUCrop`` (1.0 or more: keep the image).
SSD_SAMPLER_OPTIONS = (0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0)

#: Image types ``RandomZoomOut`` pads with OpenCV (others: numpy).
_CV2_BORDER_DTYPES = (np.dtype(np.uint8), np.dtype(np.uint16), np.dtype(np.float32))

#: Rounds of (threshold, trials) after which ``RandomIoUCrop`` keeps the image as it is.
MAX_IOU_CROP_ROUNDS = 1000


# ----------------------------------------------------------------------------- photometric distort


@dataclass(frozen=True)
class PhotometricDistortParams:
    """What ``RandomPhotometricDistort`` does to one image, or to each of a batch.

    For one image: each factor is a float, or None when that operation is not applied;
    ``contrast_before`` is a bool; ``permutation`` a tuple of channel indices, or None.
    For a batch: ``[B]`` factor arrays holding the neutral value (1, or 0 for hue) where an
    operation is not applied, a ``[B]`` bool array and a ``[B, C]`` int array (the identity
    where no permutation is applied).
    """

    brightness: PerSample
    contrast: PerSample
    saturation: PerSample
    hue: PerSample
    contrast_before: PerSample
    permutation: tuple[int, ...] | np.ndarray | None


_ORDER_CONTRAST_FIRST = (C.BRIGHTNESS, C.CONTRAST, C.SATURATION, C.HUE)
_ORDER_CONTRAST_LAST = (C.BRIGHTNESS, C.SATURATION, C.HUE, C.CONTRAST)


class RandomPhotometricDistort(Transform):
    """SSD's photometric distortions: brightness, contrast, saturation, hue, channel order.

    torchvision v2's ``RandomPhotometricDistort``: brightness, contrast, saturation and hue
    are each applied with probability ``p``, with a factor uniform in its range; contrast
    comes first or last (probability 1/2) among the colour changes; then, with probability
    ``p``, the channels are shuffled by a uniformly drawn permutation. Each operation equals
    torchvision's ``adjust_*`` kernel (``augkit.functional.color``). In the batch stage
    every sample draws its own decisions, factors and permutation.

    Args:
        brightness: ``(low, high)`` range of the brightness factor (>= 0).
        contrast: ``(low, high)`` range of the contrast factor (>= 0).
        saturation: ``(low, high)`` range of the saturation factor (>= 0).
        hue: ``(low, high)`` range of the hue shift, within [-0.5, 0.5].
        p: Probability of each of the five operations.
        same_on_batch: In the batch stage, one set of parameters for the whole batch.

    Shape:
        HWC array, ``[C, H, W]`` or ``[B, C, H, W]`` tensor with 3 channels (uint8 or
        float in [0, 1]); shape and dtype kept.

    Example:
        >>> import numpy as np
        >>> image = np.full((2, 2, 3), (10, 20, 30), np.uint8)
        >>> out, params = RandomPhotometricDistort(p=0.0).run(image, np.random.default_rng(0))
        >>> out[0, 0].tolist(), params.permutation
        ([10, 20, 30], None)

    References:
        torchvision ``transforms.v2.RandomPhotometricDistort``; Liu et al., SSD, ECCV 2016.
    """

    stages = (SAMPLE_STAGE, BATCH_STAGE)
    pixel_input = True

    def __init__(
        self,
        brightness: tuple[float, float] = (0.875, 1.125),
        contrast: tuple[float, float] = (0.5, 1.5),
        saturation: tuple[float, float] = (0.5, 1.5),
        hue: tuple[float, float] = (-0.05, 0.05),
        p: float = 0.5,
        same_on_batch: bool = False,
    ) -> None:
        self.brightness = check_range("brightness", brightness, 0.0, float("inf"))
        self.contrast = check_range("contrast", contrast, 0.0, float("inf"))
        self.saturation = check_range("saturation", saturation, 0.0, float("inf"))
        self.hue = check_range("hue", hue, -0.5, 0.5)
        self.p = check_probability("p", p)
        self.same_on_batch = bool(same_on_batch)

    def sample(self, rng: np.random.Generator, image: Image) -> PhotometricDistortParams:
        """Draw the decisions, factors, contrast position and permutation (per sample for a batch)."""
        image = check_color_image(image, "RandomPhotometricDistort")
        n = batch_size(image)
        channels = int(image.shape[-1] if isinstance(image, np.ndarray) else image.shape[-3])
        shape = (4,) if n is None else (n, 4)
        applied = rng.random(shape) < self.p
        unit = rng.random(shape)
        contrast_before = rng.random(n) < 0.5
        permute = rng.random(n) < self.p
        keys = rng.random((channels,) if n is None else (n, channels))
        ranges = np.array([self.brightness, self.contrast, self.saturation, self.hue], dtype=np.float64)
        factors = ranges[:, 0] + unit * (ranges[:, 1] - ranges[:, 0])
        if n is None:
            brightness, contrast, saturation, hue = (float(f) if a else None for f, a in zip(factors, applied))
            order = tuple(int(i) for i in np.argsort(keys)) if permute else None
            return PhotometricDistortParams(brightness, contrast, saturation, hue, bool(contrast_before), order)
        brightness, contrast, saturation, hue = np.where(applied, factors, np.array(C.NEUTRAL)).T
        permutation = np.where(permute[:, None], np.argsort(keys, axis=1), np.arange(channels)).astype(np.int64)
        return PhotometricDistortParams(brightness, contrast, saturation, hue, contrast_before, permutation)

    def apply(self, image: Image, params: PhotometricDistortParams) -> Image:
        """Apply the colour changes in torchvision's order, then the channel permutation."""
        image = check_color_image(image, "RandomPhotometricDistort")
        factors = (params.brightness, params.contrast, params.saturation, params.hue)
        before = np.asarray(params.contrast_before, dtype=bool)
        order: np.ndarray | tuple[int, ...]
        if is_batch(image):
            order = np.where(before[:, None], _ORDER_CONTRAST_FIRST, _ORDER_CONTRAST_LAST)
        else:
            order = _ORDER_CONTRAST_FIRST if bool(before) else _ORDER_CONTRAST_LAST
        out = image
        if any(f is not None for f in factors):
            out = C.color_jitter(image, *factors, order=order)
        return _permute_channels(out, params.permutation)


def _permute_channels(image, permutation):
    """Reorder the channels of an HWC array, a ``[C, H, W]`` or a ``[B, C, H, W]`` tensor."""
    if permutation is None:
        return image
    order = np.asarray(permutation, dtype=np.int64)
    identity = np.arange(order.shape[-1])
    if isinstance(image, np.ndarray):
        return image if np.array_equal(order, identity) else np.ascontiguousarray(image[..., order])
    if order.ndim == 1:
        return image if np.array_equal(order, identity) else image.index_select(-3, torch.from_numpy(order).to(image.device))
    rows = np.flatnonzero((order != identity).any(axis=1))
    if rows.size == 0:
        return image
    index = torch.from_numpy(rows).to(image.device)
    gathered = image[index[:, None], torch.from_numpy(order[rows]).to(image.device)]
    return image.index_copy(0, index, gathered)


# ----------------------------------------------------------------------------- zoom out


@dataclass(frozen=True)
class ZoomOutParams:
    """The canvas ``(height, width)`` and where the image's top-left corner lies on it."""

    top: int
    left: int
    height: int
    width: int


def _check_fill_colour(fill) -> float | tuple[float, ...]:
    if isinstance(fill, (list, tuple)):
        values = tuple(check_real(f"fill[{i}]", v) for i, v in enumerate(fill))
        if not values:
            raise ValueError("fill must be a number or a non-empty sequence of per-channel numbers")
    else:
        values = (check_real("fill", fill),)
    for value in values:
        if not 0.0 <= value <= 255.0:
            raise ValueError(f"fill values must lie in [0, 255] (use [0, 1] for float images), got {fill!r}")
    return values if isinstance(fill, (list, tuple)) else values[0]


class RandomZoomOut(Transform):
    """SSD's zoom out: put the image on a canvas ``r`` times larger, ``r ~ U(side_range)``.

    torchvision v2's ``RandomZoomOut``: with probability ``p``, a factor ``r`` is drawn
    uniformly from ``side_range``, the canvas is ``int(H * r) x int(W * r)``, and the image
    lies at ``left = int((W' - W) * u)``, ``top = int((H' - H) * v)`` with ``u, v ~ U(0, 1)``;
    the rest is ``fill``. Masks are padded with ``mask_fill``; boxes and keypoints move by
    ``(left, top)``.

    Args:
        fill: The canvas colour: a number, or one value per channel (the SSD recipe uses
            the dataset's mean colour, ``(123, 117, 104)`` for ImageNet-like photos).
        side_range: ``(low, high)`` range of the factor, ``1 <= low <= high``.
        p: Probability of zooming out.
        mask_fill: Value of the canvas in masks.

    Shape:
        ``(H, W, C) -> (int(H * r), int(W * r), C)``, dtype kept.

    Example:
        >>> import numpy as np
        >>> out = RandomZoomOut(fill=7, side_range=(2.0, 2.0), p=1.0)(np.ones((2, 3, 1), np.uint8), rng=0)
        >>> out.shape, int((out == 1).sum()), int((out == 7).sum())
        ((4, 6, 1), 6, 18)

    References:
        torchvision ``transforms.v2.RandomZoomOut``; Liu et al., SSD, ECCV 2016 ("zoom out").
    """

    geometric = True
    random_apply = True

    def __init__(self, fill=0, side_range: tuple[float, float] = (1.0, 4.0), p: float = 0.5, mask_fill: int = 0) -> None:
        self.fill = _check_fill_colour(fill)
        self.side_range = check_range("side_range", side_range, 1.0)
        self.p = check_probability("p", p)
        self.mask_fill = check_int("mask_fill", mask_fill, 0)

    def sample(self, rng: np.random.Generator, image: Image) -> ZoomOutParams:
        """Draw the factor and the image's position on the canvas."""
        height, width = spatial_size(check_array_image(image))
        low, high = self.side_range
        r = low + rng.random() * (high - low)
        canvas_h, canvas_w = int(height * r), int(width * r)
        u, v = rng.random(2)
        return ZoomOutParams(int((canvas_h - height) * v), int((canvas_w - width) * u), canvas_h, canvas_w)

    def apply(self, image: np.ndarray, params: ZoomOutParams) -> np.ndarray:
        """Place ``image`` on the canvas."""
        image = check_array_image(image)
        channels = image.shape[2]
        if isinstance(self.fill, tuple) and len(self.fill) != channels:
            raise ValueError(f"RandomZoomOut has {len(self.fill)} fill values for an image with {channels} channels")
        # The fill in the image's type (truncated, as numpy and torch cast it).
        fill = np.broadcast_to(np.asarray(self.fill, dtype=np.float64), (channels,)).astype(image.dtype)
        bottom = params.height - params.top - image.shape[0]
        right = params.width - params.left - image.shape[1]
        if image.dtype in _CV2_BORDER_DTYPES and channels <= 4 and image.size:
            # One pass (a numpy canvas with a per-channel fill is ~50x slower).
            out = cv2.copyMakeBorder(
                np.ascontiguousarray(image), params.top, bottom, params.left, right, cv2.BORDER_CONSTANT, value=[float(v) for v in fill]
            )
            return out.reshape(params.height, params.width, channels)
        return G.crop(image, -params.top, -params.left, params.height, params.width, fill)

    def apply_mask(self, mask: MaskT, params: ZoomOutParams) -> MaskT:
        """Place a mask on the canvas (``mask_fill`` around it)."""
        return T.crop_mask(mask, -params.top, -params.left, params.height, params.width, self.mask_fill)

    def apply_boxes(self, boxes: Boxes, params: ZoomOutParams, size: tuple[int, int]) -> Boxes:
        """Move boxes by ``(left, top)``."""
        return T.crop_boxes(boxes, -params.top, -params.left, params.height, params.width)

    def apply_keypoints(self, keypoints: Keypoints, params: ZoomOutParams, size: tuple[int, int]) -> Keypoints:
        """Move keypoints by ``(left, top)``."""
        return T.crop_keypoints(keypoints, -params.top, -params.left, params.height, params.width)


# ----------------------------------------------------------------------------- IoU crop


@dataclass(frozen=True)
class IoUCropParams:
    """The drawn IoU threshold and the window ``(top, left, height, width)``; None: the image is kept as is."""

    min_iou: float | None
    window: tuple[int, int, int, int] | None


class RandomIoUCrop(Transform):
    """SSD's IoU-constrained crop: a patch that overlaps some box by at least a drawn IoU.

    torchvision v2's ``RandomIoUCrop``: a threshold is drawn from ``sampler_options``
    (1.0 or more: the image is kept as is); then up to ``trials`` windows are drawn, each
    ``int(W * s_x) x int(H * s_y)`` with ``s ~ U(min_scale, max_scale)`` and aspect ratio
    (width / height) within ``[min_aspect_ratio, max_aspect_ratio]``, at a uniform position;
    the first window that contains the centre of some box and overlaps one of those boxes
    with IoU >= the threshold is taken. Otherwise a new threshold is drawn. Boxes whose
    centre lies outside the window are dropped with their labels (torchvision marks them
    for ``SanitizeBoundingBoxes``); the others are clipped to it.

    The window depends on the boxes: call it on an ``augkit.Sample`` with boxes, directly or
    as a step of a ``Compose`` (``RandomApply`` and ``OneOf`` hand their children the image
    alone; ``Compose.run`` records its parameters). A sample with no boxes is kept as it is (torchvision draws until the
    threshold 1.0 comes up, with the same result); so is one for which no window is found
    in ``MAX_IOU_CROP_ROUNDS`` thresholds (torchvision would go on drawing).

    Args:
        min_scale: Smallest side factor of the window.
        max_scale: Largest side factor of the window.
        min_aspect_ratio: Smallest width / height of the window.
        max_aspect_ratio: Largest width / height of the window.
        sampler_options: The IoU thresholds to draw from (None: ``SSD_SAMPLER_OPTIONS``).
        trials: Windows tried per threshold.

    Shape:
        ``(H, W, C) -> (h, w, C)``, dtype kept.

    Example:
        >>> import numpy as np
        >>> from augkit import Sample
        >>> sample = Sample(np.zeros((100, 100, 3), np.uint8), boxes=[[10, 10, 60, 60]])
        >>> out = RandomIoUCrop(sampler_options=[0.5])(sample, rng=0)
        >>> out.image.shape[0] <= 100, len(out.boxes)
        (True, 1)

    References:
        torchvision ``transforms.v2.RandomIoUCrop``; Liu et al., SSD, ECCV 2016 (Sec. 2.2:
        patches with a minimum Jaccard overlap of 0.1, 0.3, 0.5, 0.7 or 0.9 with the objects).
    """

    geometric = True
    samples_targets = True

    def __init__(
        self,
        min_scale: float = 0.3,
        max_scale: float = 1.0,
        min_aspect_ratio: float = 0.5,
        max_aspect_ratio: float = 2.0,
        sampler_options: Sequence[float] | None = None,
        trials: int = 40,
    ) -> None:
        self.min_scale, self.max_scale = check_range("(min_scale, max_scale)", (min_scale, max_scale), 0.0, 1.0)
        self.min_aspect_ratio, self.max_aspect_ratio = check_range(
            "(min_aspect_ratio, max_aspect_ratio)", (min_aspect_ratio, max_aspect_ratio), 0.0
        )
        if self.min_aspect_ratio <= 0:
            raise ValueError(f"min_aspect_ratio must be > 0, got {min_aspect_ratio}")
        options = SSD_SAMPLER_OPTIONS if sampler_options is None else sampler_options
        if isinstance(options, (str, bytes)) or not isinstance(options, Sequence) or not options:
            raise TypeError(f"sampler_options must be a non-empty list of IoU thresholds, got {sampler_options!r}")
        values = tuple(check_real(f"sampler_options[{i}]", v) for i, v in enumerate(options))
        if min(values) < 0:
            raise ValueError(f"sampler_options must be >= 0 (IoU thresholds; 1.0 or more keeps the image), got {sampler_options!r}")
        self.sampler_options = values
        self.trials = check_int("trials", trials, 1)

    def sample(self, rng: np.random.Generator, sample: Sample | Image) -> IoUCropParams:
        """Draw the threshold and the window around ``sample`` 's boxes."""
        if not isinstance(sample, Sample) or sample.boxes is None:
            raise TypeError(
                "RandomIoUCrop draws its window around the boxes: call it on an augkit.Sample with boxes"
                f" (got {'a Sample without boxes' if isinstance(sample, Sample) else type(sample).__name__})"
            )
        height, width = spatial_size(check_array_image(sample.image))
        xyxy = _numpy_boxes(sample.boxes)
        if len(xyxy) == 0:
            return IoUCropParams(None, None)
        cx, cy = _centres(xyxy)
        for _ in range(MAX_IOU_CROP_ROUNDS):
            min_iou = self.sampler_options[int(rng.integers(len(self.sampler_options)))]
            if min_iou >= 1.0:
                return IoUCropParams(min_iou, None)
            # The round's trials at once: each is independent, and the first that passes is
            # taken, as when they are drawn one by one.
            scale = self.min_scale + (self.max_scale - self.min_scale) * rng.random((self.trials, 2))
            position = rng.random((self.trials, 2))
            new_w, new_h = (width * scale[:, 0]).astype(np.int64), (height * scale[:, 1]).astype(np.int64)
            with np.errstate(divide="ignore", invalid="ignore"):
                aspect = new_w / new_h
            ok = (new_w > 0) & (new_h > 0) & (self.min_aspect_ratio <= aspect) & (aspect <= self.max_aspect_ratio)
            left = ((width - new_w) * position[:, 0]).astype(np.int64)
            top = ((height - new_h) * position[:, 1]).astype(np.int64)
            right, bottom = left + new_w, top + new_h
            within = (left[:, None] < cx) & (cx < right[:, None]) & (top[:, None] < cy) & (cy < bottom[:, None])
            iou = np.where(within, _iou(xyxy, np.stack([left, top, right, bottom], 1)), -1.0)
            ok &= within.any(axis=1) & (iou.max(axis=1) >= min_iou)
            if ok.any():
                k = int(np.argmax(ok))
                return IoUCropParams(min_iou, (int(top[k]), int(left[k]), int(new_h[k]), int(new_w[k])))
        return IoUCropParams(None, None)

    def apply(self, image: np.ndarray, params: IoUCropParams) -> np.ndarray:
        """Take the window (the image itself when there is none)."""
        image = check_array_image(image)
        if params.window is None:
            return image
        return G.crop(image, *params.window)

    def apply_mask(self, mask: MaskT, params: IoUCropParams) -> MaskT:
        """Take the window of a mask."""
        return mask if params.window is None else T.crop_mask(mask, *params.window)

    def apply_boxes(self, boxes: Boxes, params: IoUCropParams, size: tuple[int, int]) -> Boxes:
        """Keep the boxes whose centre lies inside the window, clipped to it."""
        if params.window is None:
            return boxes
        top, left, height, width = params.window
        cx, cy = _centres(boxes.xyxy)
        within = (left < cx) & (cx < left + width) & (top < cy) & (cy < top + height)
        return T.crop_boxes(boxes.replace(boxes.xyxy, within), top, left, height, width)

    def apply_keypoints(self, keypoints: Keypoints, params: IoUCropParams, size: tuple[int, int]) -> Keypoints:
        """Move keypoints into the window; those outside it become invisible."""
        return keypoints if params.window is None else T.crop_keypoints(keypoints, *params.window)


def _numpy_boxes(boxes: Boxes) -> np.ndarray:
    xyxy = boxes.xyxy
    return xyxy.detach().cpu().numpy() if isinstance(xyxy, torch.Tensor) else np.asarray(xyxy, np.float32)


def _centres(xyxy):
    """Box centres, in the boxes' float32 arithmetic (as torchvision computes them)."""
    return 0.5 * (xyxy[:, 0] + xyxy[:, 2]), 0.5 * (xyxy[:, 1] + xyxy[:, 3])


def _iou(xyxy: np.ndarray, windows: np.ndarray) -> np.ndarray:
    """``[T, N]`` IoU of every box with every window ``(x1, y1, x2, y2)`` (torchvision's ``box_iou``, float32)."""
    boxes = np.asarray(xyxy, np.float32)[None]
    win = np.asarray(windows, np.float32)[:, None]
    area = (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])
    win_area = (win[..., 2] - win[..., 0]) * (win[..., 3] - win[..., 1])
    wh = np.clip(np.minimum(boxes[..., 2:], win[..., 2:]) - np.maximum(boxes[..., :2], win[..., :2]), 0, None)
    inter = wh[..., 0] * wh[..., 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        return inter / (area + win_area - inter)


__all__ = [
    "IoUCropParams",
    "PhotometricDistortParams",
    "RandomIoUCrop",
    "RandomPhotometricDistort",
    "RandomZoomOut",
    "ZoomOutParams",
]
