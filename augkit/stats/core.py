"""``Stats``: dataset statistics that merge exactly, and the accumulator that builds them."""

from __future__ import annotations

import numpy as np

from augkit._validate import check_size
from augkit.functional.geometry import resize
from augkit.stats import distributed, store
from augkit.stats.moments import SCALE, centered_moments, uint8_moments
from augkit.stats.state import StatsState


class Stats:
    """Per-channel statistics of a set of images, in [0, 1] units (uint8 values / 255).

    A ``Stats`` holds the pixel count, the mean and the centered second moment ``m2`` (the sum
    over pixels of ``(x - mean)(x - mean)^T``), all in float64, plus optionally the mean image.
    Everything else is derived: ``std`` and ``cov`` are population values (divided by
    ``num_pixels``). Partial statistics of shards combine with ``merge`` (Chan et al.'s
    parallel formulas), which is commutative exactly and associative to float64 rounding.

    Args:
        num_images: Number of images.
        num_pixels: Number of pixels (over all images).
        mean: Per-channel mean, shape ``(C,)``.
        m2: Centered second moment, shape ``(C, C)``, symmetric.
        mean_image: Mean of the images resized to one size, ``(H, W, C)``, or None.

    Example:
        >>> import numpy as np
        >>> s = Stats.from_image(np.full((2, 2, 3), 255, np.uint8))
        >>> s.num_pixels, s.mean.tolist(), s.std.tolist()
        (4, [1.0, 1.0, 1.0], [0.0, 0.0, 0.0])
        >>> s.merge(Stats.from_image(np.zeros((2, 2, 3), np.uint8))).mean.tolist()
        [0.5, 0.5, 0.5]

    References:
        Chan, Golub and LeVeque, "Updating formulae and a pairwise algorithm for computing
        sample variances", 1979.
    """

    def __init__(self, num_images: int = 0, num_pixels: int = 0, mean=None, m2=None, mean_image=None) -> None:
        channels = 3 if mean is None else np.asarray(mean).size
        mean = np.zeros(channels) if mean is None else mean
        m2 = np.zeros((channels, channels)) if m2 is None else m2
        self._set_state(StatsState(num_images, num_pixels, mean, m2, mean_image))

    def _set_state(self, state: StatsState) -> None:
        self._state = state
        self.num_images = state.num_images
        self.num_pixels = state.num_pixels
        self._mean, self._m2, self._mean_image = state.mean, state.m2, state.mean_image
        self._eig: tuple[np.ndarray, np.ndarray] | None = None

    # ------------------------------------------------------------------ construction
    def state(self) -> StatsState:
        """Return the exact state everything else derives from (immutable; see ``StatsState``)."""
        return self._state

    @classmethod
    def from_state(cls, state: StatsState) -> Stats:
        """Return the ``Stats`` of a ``StatsState`` (what ``state()`` returned, or ``store.load`` read).

        Example:
            >>> s = Stats.from_image(np.full((2, 2, 3), 255, np.uint8))
            >>> Stats.from_state(s.state()).mean.tolist()
            [1.0, 1.0, 1.0]
        """
        if not isinstance(state, StatsState):
            raise TypeError(f"state must be a StatsState, got {type(state).__name__}")
        stats = cls.__new__(cls)
        stats._set_state(state)
        return stats

    @classmethod
    def from_image(cls, image: np.ndarray, mean_image_size=None) -> Stats:
        """Return the exact statistics of one HWC uint8 image.

        Args:
            image: ``(H, W, C)`` uint8 array.
            mean_image_size: If given (int or ``(height, width)``), also keep the image resized
                to this size as the mean image.

        Returns:
            A ``Stats`` with ``num_images == 1``.
        """
        accumulator = Accumulator(mean_image_size)
        accumulator.add(image)
        return accumulator.to_stats()

    @classmethod
    def combine(cls, parts) -> Stats:
        """Merge an iterable of ``Stats`` left to right (an empty iterable gives empty stats)."""
        total = None
        for part in parts:
            total = part if total is None else total.merge(part)
        return cls() if total is None else total

    def merge(self, other: Stats) -> Stats:
        """Return the statistics of the union of both image sets (neither is modified).

        Args:
            other: Statistics of a disjoint set of images, with the same channels and the
                same mean image size (or no mean image).

        Returns:
            A new ``Stats``.
        """
        if not isinstance(other, Stats):
            raise TypeError(f"can only merge Stats, got {type(other).__name__}")
        return Stats.from_state(self._state.merge(other.state()))

    # ------------------------------------------------------------------ derived values
    @property
    def m2(self) -> np.ndarray:
        """Centered second moment (sum over pixels of ``(x - mean)(x - mean)^T``), ``(C, C)``."""
        return self._m2.copy()

    @property
    def mean(self) -> np.ndarray:
        """Per-channel mean in [0, 1] units, float64 ``(C,)``."""
        self._state.require_images()
        return self._mean.copy()

    @property
    def cov(self) -> np.ndarray:
        """Channel covariance (population), float64 ``(C, C)``."""
        return self._state.cov

    @property
    def std(self) -> np.ndarray:
        """Per-channel standard deviation (population), float64 ``(C,)``."""
        return self._state.std

    def _eigen(self) -> tuple[np.ndarray, np.ndarray]:
        if self._eig is None:
            self._eig = self._state.eigen()
        return self._eig[0].copy(), self._eig[1].copy()

    @property
    def eigval(self) -> np.ndarray:
        """Eigenvalues of ``cov``, descending (tiny negative rounding clipped to 0)."""
        return self._eigen()[0]

    @property
    def eigvec(self) -> np.ndarray:
        """Unit eigenvectors of ``cov`` as columns, in the order of ``eigval`` (largest component positive)."""
        return self._eigen()[1]

    @property
    def mean_image(self) -> np.ndarray | None:
        """Mean of the images resized to one size, float64 ``(H, W, C)`` in [0, 1] units, or None."""
        return None if self._mean_image is None else self._mean_image.copy()

    # ------------------------------------------------------------------ persistence
    def save(self, path) -> None:
        """Write the statistics to a JSON file (+ ``<stem>.mean_image.npy``), atomically.

        Args:
            path: Destination ``.json`` path.
        """
        store.save(self._state, path)

    @classmethod
    def load(cls, path) -> Stats:
        """Read statistics written by ``save`` (never unpickles anything).

        Raises:
            StatsFileError: The file is missing, malformed or of another format version.
        """
        return cls.from_state(store.load(path))

    def all_reduce(self, group=None) -> Stats:
        """Merge the statistics of every ``torch.distributed`` rank; every rank gets the result.

        Args:
            group: The process group (default: the whole world).

        Returns:
            The global ``Stats`` (identical on every rank).
        """
        return Stats.from_state(distributed.all_reduce(self._state, group))

    def summary(self) -> str:
        """Return a short human-readable summary (count, mean, std, eigenvalues)."""
        if self.num_pixels == 0:
            return "Stats(no images)"
        fmt = lambda a: "[" + ", ".join(f"{v:.6f}" for v in a) + "]"  # noqa: E731
        lines = [
            f"images:      {self.num_images}",
            f"pixels:      {self.num_pixels}",
            f"mean:        {fmt(self.mean)}",
            f"std:         {fmt(self.std)}",
            f"eigenvalues: {fmt(self.eigval)}",
        ]
        if self._mean_image is not None:
            lines.append(f"mean image:  {self._mean_image.shape[0]}x{self._mean_image.shape[1]}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        if self.num_pixels == 0:
            return "Stats(num_images=0)"
        size = None if self._mean_image is None else self._mean_image.shape[:2]
        return (
            f"Stats(num_images={self.num_images}, num_pixels={self.num_pixels}, mean={np.round(self._mean, 4).tolist()},"
            f" std={np.round(self.std, 4).tolist()}, mean_image_size={size})"
        )


class Accumulator:
    """Sums the exact integer moments of uint8 images; ``to_stats`` converts once.

    Within an accumulator nothing is rounded: pixel counts, channel sums and Gram entries are
    Python ints, and the mean image is a float64 sum of uint8 values (exact below 2**53).

    Args:
        mean_image_size: Size (int or ``(height, width)``) each image is resized to for the
            mean image, or None for no mean image.
    """

    def __init__(self, mean_image_size=None) -> None:
        self.size = None if mean_image_size is None else check_size("mean_image_size", mean_image_size)
        self.num_images = 0
        self.num_pixels = 0
        self.sums: list[int] | None = None
        self.gram: list[list[int]] | None = None
        self.image_sum: np.ndarray | None = None

    def add(self, image: np.ndarray) -> None:
        """Add one ``(H, W, C)`` uint8 image."""
        n, sums, gram = uint8_moments(image)
        if self.sums is None or self.gram is None:
            self.sums, self.gram = sums, gram
        else:
            if len(sums) != len(self.sums):
                raise ValueError(f"images must all have {len(self.sums)} channels, got one with {len(sums)}")
            self.sums = [a + b for a, b in zip(self.sums, sums)]
            self.gram = [[a + b for a, b in zip(ra, rb)] for ra, rb in zip(self.gram, gram)]
        self.num_images += 1
        self.num_pixels += n
        if self.size is not None:
            small = resize(image, self.size)
            if self.image_sum is None:
                self.image_sum = np.zeros(small.shape, np.float64)
            self.image_sum += small

    def to_stats(self) -> Stats:
        """Return the ``Stats`` of the images added so far."""
        if self.num_images == 0:
            return Stats()
        mean, m2 = centered_moments(self.num_pixels, self.sums, self.gram)
        mean_image = None if self.image_sum is None else self.image_sum / (SCALE * self.num_images)
        return Stats(self.num_images, self.num_pixels, mean, m2, mean_image)
