"""Color transforms: ColorJitter (torchvision semantics) and AlexNet PCA lighting.

Both run in the sample stage (HWC arrays) and in the batch stage (``[C, H, W]`` or
``[B, C, H, W]`` tensors, uint8 or float), with parameters drawn per sample.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from augkit._deprecation import renamed_arguments
from augkit._image import Image, batch_size, check_any_image, is_batch
from augkit._validate import check_range, check_real, check_vector
from augkit.constants import IMAGENET_EIGVAL, IMAGENET_EIGVEC
from augkit.functional import color as C
from augkit.stats import as_stats
from augkit.transforms.base import BATCH_STAGE, SAMPLE_STAGE, PerSample, Transform


@dataclass(frozen=True)
class ColorJitterParams:
    """Factors of the four operations and their order.

    For one image the factors are floats (None for a disabled operation) and ``order`` a
    4-tuple of operation indices (0 brightness, 1 contrast, 2 saturation, 3 hue); for a
    batch the factors are ``[B]`` arrays and ``order`` a ``[B, 4]`` int array.
    """

    brightness: PerSample
    contrast: PerSample
    saturation: PerSample
    hue: PerSample
    order: tuple[int, ...] | np.ndarray


@dataclass(frozen=True)
class PCALightingParams:
    """The eigenvector weights alpha: a 3-tuple for one image, ``[B, 3]`` for a batch."""

    alpha: tuple[float, ...] | np.ndarray


def check_color_image(image, transform: str):
    """Check that a colour transform can work on ``image``: uint8 or float, 3 (RGB) channels.

    Args:
        image: HWC array or ``[C, H, W]`` / ``[B, C, H, W]`` tensor.
        transform: The transform's name, for the error message.

    Returns:
        ``image``.

    Raises:
        TypeError: Another pixel type (uint16: decode with ``mode="RGB"`` for 8-bit RGB).
        ValueError: Not 3 channels.
    """
    image = check_any_image(image, allow_uint16=True)
    channels = int(image.shape[-1] if isinstance(image, np.ndarray) else image.shape[-3])
    dtype = str(image.dtype).replace("torch.", "")
    floating = image.is_floating_point() if not isinstance(image, np.ndarray) else np.issubdtype(image.dtype, np.floating)
    if dtype != "uint8" and not floating:
        raise TypeError(
            f"{transform} works on uint8 or float images with 3 (RGB) channels; got {dtype} with {channels} channel(s)"
            " (decode with mode='RGB' for 8-bit RGB)"
        )
    if channels != 3:
        raise ValueError(f"{transform} works on uint8 or float images with 3 (RGB) channels; got {dtype} with {channels} channel(s)")
    return image


#: Largest brightness / contrast / saturation factor (far past white: every pixel saturates).
MAX_FACTOR = 1000.0
#: Largest PCA lighting standard deviation (0.1 in AlexNet; 100 already saturates every pixel).
MAX_ALPHA_STD = 100.0


def _jitter_range(name: str, value, center: float, bound: tuple[float, float]) -> tuple[float, float]:
    if isinstance(value, (list, tuple)):
        return check_range(name, value, *bound)
    value = check_real(name, value)
    if value < 0:
        raise ValueError(f"{name} must be >= 0 (or a (low, high) pair), got {value}")
    low, high = center - value, center + value
    if center == 1.0:
        low = max(low, 0.0)
    if low < bound[0] or high > bound[1]:
        raise ValueError(f"{name} must be at most {bound[1]} as a single number, got {value}")
    return low, high


class ColorJitter(Transform):
    """Randomly change brightness, contrast, saturation and hue, in a random order per sample.

    torchvision v2's ``ColorJitter``: a float ``x`` draws the factor from
    ``U[max(0, 1 - x), 1 + x]`` (hue: the shift from ``U[-x, x]``, ``x <= 0.5``); a
    ``(low, high)`` pair draws from ``U[low, high]``. Each operation equals torchvision's
    ``adjust_brightness/contrast/saturation/hue`` (see ``augkit.functional.color``), and the
    four are applied in an order drawn per sample. In the batch stage every sample gets its
    own factors and order.

    Args:
        brightness: How much to jitter brightness (>= 0, or ``(low, high)`` with low >= 0).
        contrast: How much to jitter contrast (same form).
        saturation: How much to jitter saturation (same form).
        hue: How much to jitter hue: ``x`` in [0, 0.5], or ``(low, high)`` in [-0.5, 0.5].

    Shape:
        HWC array, ``[C, H, W]`` or ``[B, C, H, W]`` tensor with 3 channels; shape and dtype kept.

    Example:
        >>> import numpy as np
        >>> image = np.full((4, 4, 3), 128, np.uint8)
        >>> ColorJitter(brightness=0.4, hue=0.1)(image, rng=0).shape
        (4, 4, 3)

    References:
        torchvision ``transforms.v2.ColorJitter``; Howard, "Some improvements on deep
        convolutional neural network based image classification", 2013.
    """

    stages = (SAMPLE_STAGE, BATCH_STAGE)
    pixel_input = True

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0) -> None:
        self.brightness = _jitter_range("brightness", brightness, 1.0, (0.0, MAX_FACTOR))
        self.contrast = _jitter_range("contrast", contrast, 1.0, (0.0, MAX_FACTOR))
        self.saturation = _jitter_range("saturation", saturation, 1.0, (0.0, MAX_FACTOR))
        self.hue = _jitter_range("hue", hue, 0.0, (-0.5, 0.5))

    def _ranges(self) -> list[tuple[float, float] | None]:
        ranges = [self.brightness, self.contrast, self.saturation, self.hue]
        return [None if r[0] == r[1] == C.NEUTRAL[i] else r for i, r in enumerate(ranges)]

    def sample(self, rng: np.random.Generator, image: Image) -> ColorJitterParams:
        """Draw the four factors and the order (``[B]`` and ``[B, 4]`` for a batch)."""
        size = batch_size(image)
        factors: list[PerSample] = []
        for r in self._ranges():
            if r is None:
                factors.append(None)
                continue
            value = rng.uniform(r[0], r[1], size)
            factors.append(value if size is not None else float(value))
        order: tuple[int, ...] | np.ndarray
        if size is None:
            order = tuple(int(i) for i in rng.permutation(4))
        else:
            order = np.argsort(rng.random((size, 4)), axis=1).astype(np.int64)
        brightness, contrast, saturation, hue = factors
        return ColorJitterParams(brightness, contrast, saturation, hue, order)

    def apply(self, image: Image, params: ColorJitterParams) -> Image:
        """Apply the operations in ``params.order`` with the drawn factors."""
        image = check_color_image(image, "ColorJitter")
        return C.color_jitter(image, params.brightness, params.contrast, params.saturation, params.hue, params.order)


class PCALighting(Transform):
    """AlexNet lighting noise: add ``eigvec @ (alpha * eigval)`` to every pixel, then clip.

    alpha ~ N(0, alpha_std) per image (three values). Eigenvalues and eigenvectors of the
    dataset's RGB covariance are in [0, 1] units (the ImageNet constants of fb.resnet.torch
    by default); uint8 images get the offset times 255, rounded, and keep their dtype.

    Args:
        alpha_std: Standard deviation of alpha, >= 0 (0 disables the transform). The former
            name ``alphastd`` is accepted, with a ``DeprecationWarning``.
        eigval: The 3 eigenvalues (descending).
        eigvec: The 3x3 eigenvectors, as columns.

    Shape:
        HWC array, ``[C, H, W]`` or ``[B, C, H, W]`` tensor with 3 channels; shape and dtype kept.

    Example:
        >>> import numpy as np
        >>> PCALighting(alpha_std=0.0)(np.full((2, 2, 3), 7, np.uint8), rng=0)[0, 0].tolist()
        [7, 7, 7]

    References:
        Krizhevsky, Sutskever, Hinton, "ImageNet Classification with Deep Convolutional
        Neural Networks", 2012, section 4.1; fb.resnet.torch ``transforms.Lighting``.
    """

    stages = (SAMPLE_STAGE, BATCH_STAGE)
    pixel_input = True

    @renamed_arguments(alphastd="alpha_std")
    def __init__(self, alpha_std: float = 0.1, eigval=IMAGENET_EIGVAL, eigvec=IMAGENET_EIGVEC) -> None:
        self.alpha_std = check_real("alpha_std", alpha_std)
        if not 0 <= self.alpha_std <= MAX_ALPHA_STD:
            raise ValueError(f"alpha_std must lie in [0, {MAX_ALPHA_STD:g}], got {self.alpha_std}")
        self.eigval = tuple(check_vector("eigval", eigval, 3).tolist())
        try:
            vectors = np.asarray(eigvec, dtype=np.float64)
        except (TypeError, ValueError) as error:
            raise TypeError(f"eigvec must be a 3x3 array of numbers, got {eigvec!r}") from error
        if vectors.shape != (3, 3):
            raise ValueError(f"eigvec must have shape (3, 3), got {vectors.shape}")
        if not np.all(np.isfinite(vectors)):
            raise ValueError("eigvec must be finite")
        self.eigvec = tuple(tuple(row) for row in vectors.tolist())

    @property
    def alphastd(self) -> float:
        """The former name of ``alpha_std`` (deprecated)."""
        warnings.warn("PCALighting.alphastd is deprecated: read alpha_std", DeprecationWarning, stacklevel=2)
        return self.alpha_std

    @classmethod
    @renamed_arguments(alphastd="alpha_std")
    def from_stats(cls, stats, alpha_std: float = 0.1) -> PCALighting:
        """Build from dataset statistics (anything with ``eigval`` and ``eigvec``, e.g. ``Stats``).

        Args:
            stats: An ``augkit.stats.Stats``, the path of a ``stats.json``, or any object with ``eigval`` (3,) and
                ``eigvec`` (3, 3, columns) in [0, 1] units.
            alpha_std: Standard deviation of alpha (formerly ``alphastd``, still accepted).

        Returns:
            A ``PCALighting``.
        """
        stats = as_stats(stats)
        for name in ("eigval", "eigvec"):
            if getattr(stats, name, None) is None:
                raise ValueError(f"stats has no {name!r}; compute statistics with augkit.stats.compute first")
        return cls(alpha_std=alpha_std, eigval=stats.eigval, eigvec=stats.eigvec)

    def sample(self, rng: np.random.Generator, image: Image) -> PCALightingParams:
        """Draw alpha: three normal values per image."""
        size = batch_size(image)
        if size is None:
            return PCALightingParams(tuple(float(a) for a in rng.normal(0.0, self.alpha_std, 3)))
        return PCALightingParams(rng.normal(0.0, self.alpha_std, (size, 3)))

    def apply(self, image: Image, params: PCALightingParams) -> Image:
        """Add the offset of ``params.alpha`` to every pixel and clip."""
        image = check_color_image(image, "PCALighting")
        alpha = np.asarray(params.alpha, dtype=np.float64)
        if is_batch(image) and alpha.ndim == 1:
            alpha = np.broadcast_to(alpha, (image.shape[0], 3))
        if not np.any(alpha):
            return image
        return C.add_offset(image, C.pca_lighting_offset(alpha, self.eigval, self.eigvec))
