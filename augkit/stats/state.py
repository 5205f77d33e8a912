"""``StatsState``: the exact, validated state of dataset statistics, and the arithmetic on it.

Everything ``Stats`` holds is a function of this state: the pixel count, the per-channel mean
and the centered second moment ``m2`` (plus, optionally, the mean image). ``store`` writes and
reads it, ``distributed`` gathers and merges it, and ``Stats`` wraps it for users
(``Stats.state()``, ``Stats.from_state()``). This module imports nothing else from augkit's
statistics, so those modules depend on it and never on each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral

import numpy as np


@dataclass(frozen=True, eq=False)
class StatsState:
    """Counts and exact moments of a set of images, in [0, 1] units; arrays are read-only copies.

    Attributes:
        num_images: Number of images.
        num_pixels: Number of pixels over all images (> 0 when there are images).
        mean: Per-channel mean, float64 ``(C,)``.
        m2: Centered second moment, the sum over pixels of ``(x - mean)(x - mean)^T``, float64
            ``(C, C)``, symmetric.
        mean_image: Mean of the images resized to one size, float64 ``(H, W, C)``, or None.

    Raises:
        TypeError: A count is not an int, or an array does not hold numbers.
        ValueError: A count is negative, a shape is wrong, a value is not finite, or ``m2``
            is not symmetric.

    Example:
        >>> state = StatsState(1, 4, [0.5, 0.5, 0.5], np.zeros((3, 3)))
        >>> state.channels, state.merge(state).num_pixels
        (3, 8)
    """

    num_images: int
    num_pixels: int
    mean: np.ndarray
    m2: np.ndarray
    mean_image: np.ndarray | None = None

    def __post_init__(self) -> None:
        def set_field(name: str, value) -> None:
            object.__setattr__(self, name, value)  # a frozen dataclass: only here, once

        set_field("num_images", _check_count("num_images", self.num_images))
        set_field("num_pixels", _check_count("num_pixels", self.num_pixels))
        if self.num_pixels == 0 and self.num_images > 0:
            raise ValueError(f"num_pixels must be > 0 when num_images > 0, got {self.num_pixels}")
        channels = np.asarray(self.mean).size
        set_field("mean", _check_array("mean", self.mean, (channels,)))
        m2 = _check_array("m2", self.m2, (channels, channels))
        if not np.allclose(m2, m2.T, rtol=1e-12, atol=0):
            raise ValueError("m2 must be symmetric")
        set_field("m2", m2)
        if self.mean_image is not None:
            array = np.asarray(self.mean_image, dtype=np.float64)
            if array.ndim != 3 or array.shape[2] != channels or 0 in array.shape:
                raise ValueError(f"mean_image must have shape (height, width, {channels}), got {array.shape}")
            set_field("mean_image", _check_array("mean_image", array, array.shape))

    @classmethod
    def nothing(cls, channels: int = 3) -> StatsState:
        """The state of no images (the neutral element of ``merge``)."""
        return cls(0, 0, np.zeros(channels), np.zeros((channels, channels)))

    @property
    def channels(self) -> int:
        """The number of channels C."""
        return int(self.mean.size)

    @property
    def empty(self) -> bool:
        """True when the state holds no images."""
        return self.num_images == 0 and self.num_pixels == 0

    def require_images(self) -> None:
        """Raise ValueError when the state holds no pixels (nothing derived exists then)."""
        if self.num_pixels == 0:
            raise ValueError("these statistics hold no images")

    @property
    def cov(self) -> np.ndarray:
        """Channel covariance (population), float64 ``(C, C)``."""
        self.require_images()
        return self.m2 / self.num_pixels

    @property
    def std(self) -> np.ndarray:
        """Per-channel standard deviation (population), float64 ``(C,)``."""
        return np.sqrt(np.maximum(np.diag(self.cov), 0.0))

    def eigen(self) -> tuple[np.ndarray, np.ndarray]:
        """Eigenvalues of ``cov`` (descending, tiny negatives clipped to 0) and unit eigenvectors as columns.

        Each eigenvector's sign is fixed: its component of largest magnitude is positive.
        """
        values, vectors = np.linalg.eigh(self.cov)
        values, vectors = np.maximum(values[::-1], 0.0), vectors[:, ::-1]
        signs = np.sign(vectors[np.argmax(np.abs(vectors), axis=0), np.arange(vectors.shape[1])])
        return values, vectors * np.where(signs == 0, 1.0, signs)

    def merge(self, other: StatsState) -> StatsState:
        """Return the state of the union of both image sets (Chan et al.'s parallel formulas).

        Commutative exactly and associative to float64 rounding; neither state is modified.

        Args:
            other: The state of a disjoint set of images, with the same channels and the same
                mean image size (or no mean image).

        Returns:
            A new ``StatsState``.
        """
        if not isinstance(other, StatsState):
            raise TypeError(f"can only merge statistics states, got {type(other).__name__}")
        if self.channels != other.channels:
            raise ValueError(f"cannot merge statistics of {self.channels} and {other.channels} channels")
        if other.empty:
            return self
        if self.empty:
            return other
        na, nb = self.num_pixels, other.num_pixels
        n = na + nb
        # Weighted-sum mean: exactly commutative, and exact when both means are equal.
        mean = (na * self.mean + nb * other.mean) / n
        delta = other.mean - self.mean
        m2 = self.m2 + other.m2 + np.outer(delta, delta) * (na * nb / n)
        return StatsState(self.num_images + other.num_images, n, mean, m2, self._merge_mean_image(other))

    def _merge_mean_image(self, other: StatsState) -> np.ndarray | None:
        a, b = self.mean_image, other.mean_image
        if a is None and b is None:
            return None
        if a is None or b is None:
            raise ValueError("cannot merge statistics with and without a mean image (compute both with mean_image_size)")
        if a.shape != b.shape:
            raise ValueError(f"cannot merge mean images of shapes {a.shape} and {b.shape}")
        ka, kb = self.num_images, other.num_images
        return (ka * a + kb * b) / (ka + kb)


def _check_count(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return int(value)


def _check_array(name: str, value, shape: tuple) -> np.ndarray:
    try:
        array = np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be an array of numbers, got {type(value).__name__}") from error
    if array.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite")
    array.flags.writeable = False
    return array
