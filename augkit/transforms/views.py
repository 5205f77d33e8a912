"""Test-time views: ``FiveCrop``, ``TenCrop`` and ``MultiScaleTenCrop``.

Each takes an HWC array and returns one ``[V, C, h, w]`` tensor holding every view (the
image's dtype, uint8 usually), ready to be fed through a model in chunks by
``augkit.tta.predict``. They are deterministic: ``sample`` returns None.

On an ``augkit.Sample`` they return an ``augkit.Batch`` of the V views, each with its own
targets: ``masks`` ``[V, h, w]`` (``[V, M, h, w]``), one ``Boxes`` and one ``Keypoints`` per
view (moved as the crop, flip and resize that made the view move them, so a box outside a
view is dropped from it and keypoints outside are invisible), the label repeated per view
(``[V]`` int64 for an int) and the key repeated.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import torch

from augkit._image import check_array_image, spatial_size
from augkit._validate import check_int, check_real, check_size
from augkit.functional import geometry as G
from augkit.functional import views as V
from augkit.targets import Batch, Sample
from augkit.transforms.base import Transform, _decoded
from augkit.transforms.geometry import (
    CenterCrop,
    CropParams,
    FlipParams,
    HorizontalFlip,
    Resize,
    VerticalFlip,
    _check_mask_fill,
    check_output_size,
)
from augkit.transforms.tensor import mask_to_tensor


def _repeat(value: Any, count: int):
    """A per-sample value (label or key) repeated for ``count`` views, collated like ``Uint8Collate`` does."""
    if value is None:
        return None
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return torch.full((count,), int(value), dtype=torch.int64)
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return torch.full((count,), float(value), dtype=torch.float32)
    if isinstance(value, (torch.Tensor, np.ndarray)):
        tensor = torch.as_tensor(value)
        return tensor.unsqueeze(0).repeat(count, *([1] * tensor.ndim))
    return [value] * count


def views_batch(sample: Sample, images: torch.Tensor, views: list[Sample]) -> Batch:
    """Gather the views of one sample into a ``Batch``.

    Args:
        sample: The sample the views were made from (its label and key are repeated).
        images: ``[V, C, h, w]`` view images.
        views: V samples holding each view's moved targets.

    Returns:
        A ``Batch`` of V rows.
    """
    count = len(views)
    masks = None if sample.mask is None else torch.stack([mask_to_tensor(v.mask) for v in views])
    # Every view of a sample with boxes (keypoints) has them: the views move the sample's targets.
    boxes = [v.boxes for v in views if v.boxes is not None]
    keypoints = [v.keypoints for v in views if v.keypoints is not None]
    return Batch(
        images,
        _repeat(sample.label, count),
        masks,
        None if sample.boxes is None else boxes,
        None if sample.keypoints is None else keypoints,
        _repeat(sample.key, count),
    )


def _check_flip(flip) -> str:
    """Normalize ``flip`` to ``"horizontal"`` or ``"vertical"``."""
    if flip is True:
        return "horizontal"
    if isinstance(flip, str) and flip in V.FLIP_MODES:
        return flip
    raise ValueError(f"flip must be True, 'horizontal' or 'vertical', got {flip!r} (use FiveCrop for no flipped views)")


class FiveCrop(Transform):
    """The four corner crops and the central crop, as one ``[5, C, h, w]`` tensor.

    Views are ordered as torchvision v2 ``five_crop``: top-left, top-right, bottom-left,
    bottom-right, center; the center's top-left is at ``round((H - h) / 2)``, as
    ``CenterCrop``. An image smaller than ``size`` is first padded with ``fill`` to at least
    ``size`` exactly as ``CenterCrop`` pads (centered), then cropped; torchvision raises there.

    Args:
        size: View ``(height, width)`` or an int for a square.
        fill: Value of padded pixels (only used for images smaller than ``size``).
        mask_fill: Value of padded mask pixels.

    Shape:
        ``(H, W, C)`` array -> ``[5, C, height, width]`` tensor, dtype kept, contiguous; a
        ``Sample`` -> a ``Batch`` of 5 views with their targets (see the module docstring).

    Example:
        >>> import numpy as np
        >>> FiveCrop(2)(np.zeros((4, 5, 3), np.uint8)).shape
        torch.Size([5, 3, 2, 2])
    """

    num_views = 5

    def __init__(self, size: int | tuple[int, int], fill: float = 0, mask_fill: int = 0) -> None:
        self.size = check_size("size", size)
        self.fill = check_real("fill", fill)
        self.mask_fill = _check_mask_fill(mask_fill)

    def _flip(self) -> str | None:
        return None

    def _padded(self, image: np.ndarray) -> np.ndarray:
        """Pad an image smaller than ``size`` around its center, as ``CenterCrop`` does."""
        height, width = image.shape[:2]
        target = (max(height, self.size[0]), max(width, self.size[1]))
        if target == (height, width):
            return image
        window = CenterCrop(target, self.fill).window(height, width)
        return G.crop(image, window.top, window.left, window.height, window.width, self.fill)

    def write(self, out: np.ndarray, image: np.ndarray) -> None:
        """Write the views of ``image`` into ``out`` (``[num_views, C, h, w]``, contiguous).

        Args:
            out: Destination array of the image's dtype.
            image: HWC array.
        """
        image = self._padded(image)
        height, width = image.shape[:2]
        center = CenterCrop(self.size).window(height, width)
        windows = V.five_crop_windows(height, width, self.size, (center.top, center.left))
        V.write_views(out, image, windows, self.size, self._flip())

    def apply(self, image: np.ndarray, params=None) -> torch.Tensor:
        """Return the views of ``image`` as one tensor."""
        image = check_array_image(image)
        out = np.empty((self.num_views, image.shape[2], *self.size), dtype=image.dtype)
        self.write(out, image)
        return torch.from_numpy(out)

    def target_views(self, targets: Sample, size: tuple[int, int]) -> list[Sample]:
        """Move a sample's targets into each view, as the views' pixels are made.

        Args:
            targets: A ``Sample`` (its image is not read).
            size: The image's ``(height, width)``.

        Returns:
            One ``Sample`` per view, in the views' order, holding the moved targets.
        """
        height, width = size
        padded = (max(height, self.size[0]), max(width, self.size[1]))
        if padded != (height, width):
            pad = CenterCrop(padded, mask_fill=self.mask_fill)
            targets = pad.apply_targets(targets, pad.window(height, width), size)
        center = CenterCrop(self.size).window(*padded)
        windows = V.five_crop_windows(*padded, self.size, (center.top, center.left))
        crop = CenterCrop(self.size, mask_fill=self.mask_fill)
        sources = [targets]
        flip = self._flip()
        if flip is not None:
            flipper = HorizontalFlip(p=1.0) if flip == "horizontal" else VerticalFlip(p=1.0)
            sources.append(flipper.apply_targets(targets, FlipParams(True), padded))
        return [crop.apply_targets(source, CropParams(top, left, *self.size), padded) for source in sources for top, left in windows]

    def _apply_sample(self, sample: Sample, params) -> Batch:
        image = check_array_image(_decoded(sample.image))
        return views_batch(sample, self.apply(image), self.target_views(sample, spatial_size(image)))


class TenCrop(FiveCrop):
    """The five crops of ``FiveCrop``, then the same five of the flipped image: ``[10, C, h, w]``.

    Views are ordered as torchvision v2 ``ten_crop``: TL, TR, BL, BR, center, then TL, TR,
    BL, BR, center of the flipped image. Flipped views are made without flipping the whole
    image: view ``5 + k`` is the mirror image of the region mirrored across the image.
    Images smaller than ``size`` are padded as in ``FiveCrop``.

    Args:
        size: View ``(height, width)`` or an int for a square.
        flip: True or ``"horizontal"`` (left-right mirror), or ``"vertical"`` (top-bottom).
        fill: Value of padded pixels (only used for images smaller than ``size``).
        mask_fill: Value of padded mask pixels.

    Shape:
        ``(H, W, C)`` array -> ``[10, C, height, width]`` tensor, dtype kept, contiguous; a
        ``Sample`` -> a ``Batch`` of 10 views with their targets.

    Example:
        >>> import numpy as np
        >>> image = np.arange(9, dtype=np.uint8).reshape(1, 3, 3)
        >>> TenCrop((1, 2))(image)[[0, 6], :, 0, :].tolist()
        [[[0, 3], [1, 4], [2, 5]], [[3, 0], [4, 1], [5, 2]]]

    References:
        Krizhevsky et al., "ImageNet Classification with Deep Convolutional Neural Networks",
        NeurIPS 2012 (ten patches at test time).
    """

    num_views = 10

    def __init__(self, size: int | tuple[int, int], flip: bool | str = True, fill: float = 0, mask_fill: int = 0) -> None:
        super().__init__(size, fill, mask_fill)
        self.flip = _check_flip(flip)

    def _flip(self) -> str | None:
        return self.flip


class MultiScaleTenCrop(Transform):
    """Ten crops at each of several scales: ``[len(scales) * 10, C, size, size]``.

    The ResNet test protocol: for each scale s (in the order given) the image's shorter side
    is resized to s (one resize of the input, as ``Resize(shorter=s)``), and the ten views
    of ``TenCrop(size, flip)`` are sliced out of it. The views at scale s are exactly
    ``TenCrop(size, flip)(Resize(shorter=s)(image))``; a scale below ``size`` pads as
    ``TenCrop`` does.

    Args:
        scales: Shorter-side lengths, each >= 1.
        size: View ``(height, width)`` or an int for a square.
        flip: True or ``"horizontal"``, or ``"vertical"``.
        fill: Value of padded pixels (only for resized images smaller than ``size``).
        mask_fill: Value of padded mask pixels.

    Shape:
        ``(H, W, C)`` array -> ``[len(scales) * 10, C, height, width]`` tensor, dtype kept;
        a ``Sample`` -> a ``Batch`` of ``len(scales) * 10`` views with their targets.

    Example:
        >>> import numpy as np
        >>> MultiScaleTenCrop(scales=(4, 6), size=4)(np.zeros((8, 10, 3), np.uint8)).shape
        torch.Size([20, 3, 4, 4])

    References:
        He et al., "Deep Residual Learning for Image Recognition", CVPR 2016 (10-crop
        testing and fully-convolutional multi-scale testing at 224, 256, 384, 480, 640).
    """

    def __init__(
        self,
        scales=(224, 256, 384, 480, 640),
        size: int | tuple[int, int] = 224,
        flip: bool | str = True,
        fill: float = 0,
        mask_fill: int = 0,
    ) -> None:
        if isinstance(scales, (int, np.integer)) and not isinstance(scales, bool):
            scales = (scales,)
        if not isinstance(scales, (list, tuple)) or len(scales) == 0:
            raise ValueError(f"scales must be a non-empty sequence of ints, got {scales!r}")
        self.scales = tuple(check_int(f"scales[{i}]", s, 1) for i, s in enumerate(scales))
        self._ten_crop = TenCrop(size, flip, fill, mask_fill)
        self.size = self._ten_crop.size
        self.flip = self._ten_crop.flip
        self.fill = self._ten_crop.fill
        self.mask_fill = self._ten_crop.mask_fill

    def apply(self, image: np.ndarray, params=None) -> torch.Tensor:
        """Return the ``len(scales) * 10`` views of ``image`` as one tensor."""
        image = check_array_image(image)
        height, width = image.shape[:2]
        out = np.empty((10 * len(self.scales), image.shape[2], *self.size), dtype=image.dtype)
        for k, scale in enumerate(self.scales):
            size = G.shorter_side_size(height, width, scale)
            check_output_size("MultiScaleTenCrop", (height, width), size)
            resized = G.resize(image, size)
            self._ten_crop.write(out[10 * k : 10 * (k + 1)], resized)
        return torch.from_numpy(out)

    def target_views(self, targets: Sample, size: tuple[int, int]) -> list[Sample]:
        """Move a sample's targets into each view: resized as ``Resize(shorter=s)``, then as ``TenCrop``.

        Args:
            targets: A ``Sample`` (its image is not read).
            size: The image's ``(height, width)``.

        Returns:
            ``len(scales) * 10`` samples holding the moved targets, in the views' order.
        """
        views: list[Sample] = []
        for scale in self.scales:
            resize = Resize(shorter=scale)
            views += self._ten_crop.target_views(resize.apply_targets(targets, None, size), resize.output_size(*size))
        return views

    def _apply_sample(self, sample: Sample, params) -> Batch:
        image = check_array_image(_decoded(sample.image))
        return views_batch(sample, self.apply(image), self.target_views(sample, spatial_size(image)))
