"""Exact per-image moments of uint8 pixels: pixel count, channel sums and the Gram matrix.

For uint8 pixels every sum is an integer, so it is computed exactly (Python ints) and only
converted to floating point once, when a chunk's centered moments are formed
(``centered_moments``). OpenCV's SIMD reductions do the per-pixel work when available (a few
percent of the JPEG decode time); a float64 BLAS fallback is exact as well, because integer
sums below 2**53 are represented exactly.
"""

from __future__ import annotations

import numpy as np

try:  # OpenCV ships with albumentations, a declared dependency.
    import cv2
except ImportError:  # pragma: no cover - exercised only without OpenCV
    cv2 = None  # type: ignore[assignment]

#: Values of a uint8 channel are divided by this to give [0, 1] units.
SCALE = 255


def uint8_moments(image: np.ndarray) -> tuple[int, list[int], list[list[int]]]:
    """Return the exact pixel count, channel sums and channel Gram matrix of a uint8 image.

    Args:
        image: ``(H, W, C)`` uint8 array.

    Returns:
        ``(n, sums, gram)``: ``n = H * W``, ``sums[i] = sum of channel i``,
        ``gram[i][j] = sum of channel i * channel j`` over all pixels, as Python ints.

    Example:
        >>> uint8_moments(np.full((2, 2, 3), 2, np.uint8))[:2]
        (4, [8, 8, 8])
    """
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3:
        raise TypeError(f"image must be an (H, W, C) uint8 array, got {getattr(image, 'dtype', type(image).__name__)}")
    height, width, channels = image.shape
    n = height * width
    if cv2 is not None and 1 <= channels <= 4 and n > 0:
        return n, *_moments_cv2(np.ascontiguousarray(image), channels)
    return n, *_moments_numpy(image.reshape(n, channels))


def _moments_cv2(image: np.ndarray, channels: int) -> tuple[list[int], list[list[int]]]:
    planes = cv2.split(image) if channels > 1 else [image[:, :, 0]]
    sums = [round(s) for s in cv2.sumElems(image)[:channels]]
    # OpenCV accumulates integers but may return e.g. 7404907510.999999: round to the integer.
    squares = [round(cv2.norm(p, cv2.NORM_L2SQR)) for p in planes]
    gram = [[0] * channels for _ in range(channels)]
    for i in range(channels):
        gram[i][i] = squares[i]
        for j in range(i + 1, channels):
            # sum(a * b) = (sum(a^2) + sum(b^2) - sum((a - b)^2)) / 2, all exact integers.
            diff = round(cv2.norm(planes[i], planes[j], cv2.NORM_L2SQR))
            gram[i][j] = gram[j][i] = (squares[i] + squares[j] - diff) // 2
    return sums, gram


def _moments_numpy(pixels: np.ndarray) -> tuple[list[int], list[list[int]]]:
    values = pixels.astype(np.float64)  # integer sums < 2**53 are exact in float64
    sums = [int(s) for s in values.sum(axis=0)]
    gram = (values.T @ values).astype(np.int64).tolist()
    return sums, gram


def centered_moments(n: int, sums, gram) -> tuple[np.ndarray, np.ndarray]:
    """Turn exact integer moments into the mean and centered second moment in [0, 1] units.

    Each value is the correctly rounded float64 of the exact rational result:
    ``mean = sums / (255 n)`` and ``m2 = (n * gram - sums sums^T) / (255^2 n)``, the sum over
    pixels of ``(x - mean)(x - mean)^T``.

    Args:
        n: Number of pixels, > 0.
        sums: Per-channel sums of the uint8 values (ints).
        gram: Per-channel-pair sums of products (ints).

    Returns:
        ``(mean, m2)`` float64 arrays of shapes ``(C,)`` and ``(C, C)``.

    Example:
        >>> mean, m2 = centered_moments(2, [0, 255], [[0, 0], [0, 65025]])
        >>> mean.tolist(), m2.tolist()
        ([0.0, 0.5], [[0.0, 0.0], [0.0, 0.5]])
    """
    channels = len(sums)
    mean = np.array([s / (SCALE * n) for s in sums], dtype=np.float64)
    m2 = np.empty((channels, channels), dtype=np.float64)
    for i in range(channels):
        for j in range(i, channels):
            # Python int / int is correctly rounded, whatever the size of the integers.
            m2[i, j] = m2[j, i] = (n * gram[i][j] - sums[i] * sums[j]) / (SCALE * SCALE * n)
    return mean, m2
