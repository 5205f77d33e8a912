"""Photometric transforms with torchvision v2 semantics, in both stages.

``Invert``, ``Solarize``, ``Posterize``, ``Equalize``, ``AutoContrast``, ``Sharpness``,
``Grayscale``, ``RandomGrayscale`` and ``GaussianBlur``: each calls one kernel of
``augkit.functional.photometric`` on an HWC array (the sample stage) or a ``[C, H, W]`` /
``[B, C, H, W]`` tensor (the batch stage; uint8 or float pixels, CPU or GPU). Their
arguments follow torchvision v2's counterparts (``RandomSolarize(threshold, p)`` is
``Solarize(threshold, p)``), with ``p=1.0`` by default so that policies and ``RandomApply``
can hold them. In the batch stage the decision (and GaussianBlur's sigma) is drawn per
sample unless ``same_on_batch=True``. Targets (masks, boxes, keypoints) are left untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Real
from typing import Any

import numpy as np
import torch

from augkit._image import Image, batch_size, check_any_image
from augkit._validate import check_int, check_probability, check_range, check_real
from augkit.functional import photometric as P
from augkit.transforms.base import BATCH_STAGE, SAMPLE_STAGE, Transform


class _Photometric(Transform):
    """What the photometric transforms share: both stages, pixel input, a per-sample ``p``."""

    abstract = True
    stages = (SAMPLE_STAGE, BATCH_STAGE)
    random_apply = True
    pixel_input = True

    def apply_masked(self, images, applied, params):
        """When every image of a batch is selected, transform the batch without gathering rows."""
        if applied.all():
            return self.apply(images, params)
        return None


class Invert(_Photometric):
    """Invert the pixels (``255 - x`` on uint8, ``1 - x`` on floats) with probability ``p``.

    torchvision v2's ``RandomInvert`` (``p=1.0`` by default); exact on uint8.

    Args:
        p: Probability of inverting (drawn per sample in the batch stage).
        same_on_batch: In the batch stage, one decision for the whole batch.

    Shape:
        HWC array, ``[C, H, W]`` or ``[B, C, H, W]`` tensor; shape and dtype kept.

    Example:
        >>> Invert()(np.array([[[0, 55, 255]]], np.uint8), rng=0).tolist()
        [[[255, 200, 0]]]
    """

    def __init__(self, p: float = 1.0, same_on_batch: bool = False) -> None:
        self.p = check_probability("p", p)
        self.same_on_batch = bool(same_on_batch)

    def apply(self, image: Image, params: None = None) -> Image:
        """Invert ``image``."""
        return P.invert(check_any_image(image))


class Solarize(_Photometric):
    """Invert the pixels at or above ``threshold``, with probability ``p``.

    torchvision v2's ``RandomSolarize`` (``p=1.0`` by default); exact on uint8.

    Args:
        threshold: In the image's units: 0-255 for uint8 images, [0, 1] for float images
            (a threshold above the dtype's largest value is refused when applied, as
            torchvision does, since it is almost surely given in the other units).
        p: Probability of solarizing (drawn per sample in the batch stage).
        same_on_batch: In the batch stage, one decision for the whole batch.

    Shape:
        HWC array, ``[C, H, W]`` or ``[B, C, H, W]`` tensor; shape and dtype kept.

    Example:
        >>> Solarize(128)(np.array([[[10, 128, 200]]], np.uint8), rng=0).tolist()
        [[[10, 127, 55]]]
    """

    def __init__(self, threshold: float, p: float = 1.0, same_on_batch: bool = False) -> None:
        self.threshold = check_real("threshold", threshold)
        if self.threshold < 0:
            raise ValueError(f"threshold must be >= 0 (in the image's units: 0-255 for uint8, [0, 1] for floats), got {threshold}")
        self.p = check_probability("p", p)
        self.same_on_batch = bool(same_on_batch)

    def apply(self, image: Image, params: None = None) -> Image:
        """Solarize ``image`` at ``self.threshold``."""
        image = check_any_image(image)
        largest = 255.0 if P._is_uint8(image) else 1.0
        if self.threshold > largest:
            kind = "uint8" if largest == 255.0 else "float"
            raise ValueError(
                f"Solarize threshold {self.threshold} is above the largest value of {kind} images ({largest:g}):"
                " the threshold is in the image's units (0-255 for uint8, [0, 1] for floats)"
            )
        return P.solarize(image, self.threshold)


class Posterize(_Photometric):
    """Keep the ``bits`` highest bits of every value, with probability ``p``.

    torchvision v2's ``RandomPosterize`` (``p=1.0`` by default): on uint8 the low
    ``8 - bits`` bits are cleared (exact). Float images follow torchvision v2's float
    kernel: ``floor(x * 2**bits)`` clamped to ``2**bits - 1``, divided by ``2**bits``.

    Args:
        bits: Bits kept, an int in [0, 8] (8 keeps uint8 images, 0 makes them black).
        p: Probability of posterizing (drawn per sample in the batch stage).
        same_on_batch: In the batch stage, one decision for the whole batch.

    Shape:
        HWC array, ``[C, H, W]`` or ``[B, C, H, W]`` tensor; shape and dtype kept.

    Example:
        >>> Posterize(2)(np.array([[[13, 200, 255]]], np.uint8), rng=0).tolist()
        [[[0, 192, 192]]]
    """

    def __init__(self, bits: int, p: float = 1.0, same_on_batch: bool = False) -> None:
        self.bits = check_int("bits", bits, 0, 8)
        self.p = check_probability("p", p)
        self.same_on_batch = bool(same_on_batch)

    def apply(self, image: Image, params: None = None) -> Image:
        """Posterize ``image`` to ``self.bits`` bits."""
        return P.posterize(check_any_image(image), self.bits)


class Equalize(_Photometric):
    """Equalize each channel's histogram, with probability ``p``.

    torchvision v2's ``RandomEqualize`` (``p=1.0`` by default; PIL's algorithm): exact on
    uint8. Float images are converted to uint8 (``x * 255.999``, truncated), equalized and
    scaled back, as torchvision does.

    Args:
        p: Probability of equalizing (drawn per sample in the batch stage).
        same_on_batch: In the batch stage, one decision for the whole batch.

    Shape:
        HWC array, ``[C, H, W]`` or ``[B, C, H, W]`` tensor; shape and dtype kept.

    Example:
        >>> image = np.repeat(np.array([0, 50, 60, 200], np.uint8), 200).reshape(1, -1, 1)
        >>> np.unique(Equalize()(image, rng=0)).tolist()
        [0, 100, 200, 255]
    """

    def __init__(self, p: float = 1.0, same_on_batch: bool = False) -> None:
        self.p = check_probability("p", p)
        self.same_on_batch = bool(same_on_batch)

    def apply(self, image: Image, params: None = None) -> Image:
        """Equalize ``image``."""
        return P.equalize(check_any_image(image))


class AutoContrast(_Photometric):
    """Stretch each channel to the full range, with probability ``p``.

    torchvision v2's ``RandomAutocontrast`` (``p=1.0`` by default): ``(x - min) / (max -
    min)`` per channel, scaled to the dtype's range; exact on uint8. Images with 1 or 3
    channels.

    Args:
        p: Probability of stretching (drawn per sample in the batch stage).
        same_on_batch: In the batch stage, one decision for the whole batch.

    Shape:
        HWC array, ``[C, H, W]`` or ``[B, C, H, W]`` tensor; shape and dtype kept.

    Example:
        >>> AutoContrast()(np.array([[[50], [100], [150]]], np.uint8), rng=0)[..., 0].tolist()
        [[0, 127, 254]]
    """

    def __init__(self, p: float = 1.0, same_on_batch: bool = False) -> None:
        self.p = check_probability("p", p)
        self.same_on_batch = bool(same_on_batch)

    def apply(self, image: Image, params: None = None) -> Image:
        """Stretch ``image``."""
        return P.autocontrast(check_any_image(image))


class Sharpness(_Photometric):
    """Sharpen (``factor > 1``) or soften (``factor < 1``) the image, with probability ``p``.

    torchvision v2's ``RandomAdjustSharpness(sharpness_factor, p)`` (``p=1.0`` by default):
    a blend with the 3x3 smoothing ``[[1, 1, 1], [1, 5, 1], [1, 1, 1]] / 13`` of the interior,
    the one-pixel border kept; exact on uint8. Images with 1 or 3 channels.

    Args:
        factor: The blend factor, >= 0 (1 keeps the image, 0 gives the smoothed image).
        p: Probability of adjusting (drawn per sample in the batch stage).
        same_on_batch: In the batch stage, one decision for the whole batch.

    Shape:
        HWC array, ``[C, H, W]`` or ``[B, C, H, W]`` tensor; shape and dtype kept.

    Example:
        >>> image = np.zeros((3, 3, 1), np.uint8); image[1, 1] = 130
        >>> Sharpness(0.0)(image, rng=0)[..., 0].tolist()
        [[0, 0, 0], [0, 50, 0], [0, 0, 0]]
    """

    def __init__(self, factor: float, p: float = 1.0, same_on_batch: bool = False) -> None:
        self.factor = check_real("factor", factor)
        if self.factor < 0:
            raise ValueError(f"factor must be >= 0, got {factor}")
        self.p = check_probability("p", p)
        self.same_on_batch = bool(same_on_batch)

    def apply(self, image: Image, params: None = None) -> Image:
        """Blend ``image`` with its smoothed version by ``self.factor``."""
        return P.adjust_sharpness(check_any_image(image), self.factor)


class Grayscale(Transform):
    """Convert RGB to gray (``0.2989 R + 0.587 G + 0.114 B``), with 1 or 3 output channels.

    torchvision v2's ``Grayscale``: exact on uint8 (the same float32 operations, truncated).

    Args:
        num_output_channels: 1, or 3 (the gray value repeated, e.g. for an RGB model).

    Shape:
        HWC array ``[H, W, 3]`` -> ``[H, W, n]``; ``[..., 3, H, W]`` tensor -> ``[..., n, H, W]``
        (``n = num_output_channels``); dtype kept. One-channel input is copied (or repeated).

    Example:
        >>> Grayscale()(np.array([[[255, 0, 0]]], np.uint8)).tolist()
        [[[76]]]
    """

    stages = (SAMPLE_STAGE, BATCH_STAGE)
    pixel_input = True

    def __init__(self, num_output_channels: int = 1) -> None:
        self.num_output_channels = check_int("num_output_channels", num_output_channels, 1, 3)
        if self.num_output_channels == 2:
            raise ValueError("num_output_channels must be 1 or 3, got 2")

    def apply(self, image: Image, params: None = None) -> Image:
        """Convert ``image`` to gray."""
        return P.rgb_to_grayscale(check_any_image(image), self.num_output_channels)


class RandomGrayscale(_Photometric):
    """Convert to gray with probability ``p``, keeping the number of channels.

    torchvision v2's ``RandomGrayscale``: a 3-channel image becomes 3 equal gray channels
    (exact on uint8); a 1-channel image is kept.

    Args:
        p: Probability of converting (drawn per sample in the batch stage).
        same_on_batch: In the batch stage, one decision for the whole batch.

    Shape:
        HWC array, ``[C, H, W]`` or ``[B, C, H, W]`` tensor (1 or 3 channels); shape and dtype kept.

    Example:
        >>> RandomGrayscale(p=1.0)(np.array([[[255, 0, 0]]], np.uint8), rng=0).tolist()
        [[[76, 76, 76]]]
    """

    def __init__(self, p: float = 0.1, same_on_batch: bool = False) -> None:
        self.p = check_probability("p", p)
        self.same_on_batch = bool(same_on_batch)

    def apply(self, image: Image, params: None = None) -> Image:
        """Convert ``image`` to gray with as many channels as it has."""
        image = check_any_image(image)
        channels = int(image.shape[-3] if isinstance(image, torch.Tensor) else image.shape[-1])
        return P.rgb_to_grayscale(image, num_output_channels=channels if channels in (1, 3) else 3)


@dataclass(frozen=True)
class GaussianBlurParams:
    """The standard deviation of the blur: a float for one image, a ``[B]`` array for a batch."""

    sigma: Any


def _check_sigma(sigma) -> tuple[float, float]:
    if isinstance(sigma, Real) and not isinstance(sigma, bool):
        sigma = (sigma, sigma)
    low, high = check_range("sigma", sigma)
    if not 0.0 < low:
        raise ValueError(f"sigma must be > 0 (a number or a (min, max) range), got {sigma!r}")
    return low, high


class GaussianBlur(Transform):
    """Blur with a Gaussian kernel whose sigma is drawn per sample from ``sigma``.

    torchvision v2's ``GaussianBlur``: sigma ~ U[min, max] (the same along both axes), the
    kernel ``softmax(-(x / sigma)**2)`` over ``kernel_size`` points, reflect padding; within
    one level of torchvision on uint8 (rounding ties of its 2-D convolution against the
    separable one here), within 1e-6 on floats.

    Args:
        kernel_size: An odd int, or ``(kx, ky)``: width first, as torchvision's.
        sigma: A fixed standard deviation (> 0), or a ``(min, max)`` range to draw it from.
        same_on_batch: In the batch stage, one sigma for the whole batch.

    Shape:
        HWC array, ``[C, H, W]`` or ``[B, C, H, W]`` tensor larger than half the kernel;
        shape and dtype kept.

    Example:
        >>> GaussianBlur(3, sigma=(0.5, 1.5))(np.full((4, 4, 3), 9, np.uint8), rng=0)[0, 0].tolist()
        [9, 9, 9]
    """

    stages = (SAMPLE_STAGE, BATCH_STAGE)
    pixel_input = True

    def __init__(self, kernel_size, sigma=(0.1, 2.0), same_on_batch: bool = False) -> None:
        self.kernel_size = P.check_kernel_size(kernel_size)
        self.sigma = _check_sigma(sigma)
        self.same_on_batch = bool(same_on_batch)

    def sample(self, rng: np.random.Generator, image: Image) -> GaussianBlurParams:
        """Draw sigma ~ U[min, max] (one per sample for a batch)."""
        sigma = rng.uniform(self.sigma[0], self.sigma[1], size=batch_size(image))
        return GaussianBlurParams(sigma if isinstance(sigma, np.ndarray) else float(sigma))

    def apply(self, image: Image, params: GaussianBlurParams) -> Image:
        """Blur ``image`` with ``params.sigma``."""
        return P.gaussian_blur(check_any_image(image), self.kernel_size, params.sigma)
