"""Argument checks shared by transform constructors; each error names the argument."""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np


def check_probability(name: str, value) -> float:
    """Return ``value`` as a float in [0, 1], or raise naming ``name``."""
    value = check_real(name, value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a probability in [0, 1], got {value}")
    return value


def check_real(name: str, value) -> float:
    """Return ``value`` as a finite float, or raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def check_int(name: str, value, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` as an int within ``[minimum, maximum]``, or raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value


#: Largest image side a transform may produce or ask for (far beyond any real training image).
MAX_SIDE = 1 << 16


def check_size(name: str, value) -> tuple[int, int]:
    """Return a ``(height, width)`` pair of ints in [1, MAX_SIDE] from an int or a pair."""
    if isinstance(value, (list, tuple)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a (height, width) pair, got {value!r}")
        return check_int(f"{name}[0]", value[0], 1, MAX_SIDE), check_int(f"{name}[1]", value[1], 1, MAX_SIDE)
    side = check_int(name, value, 1, MAX_SIDE)
    return side, side


def check_range(name: str, value, low: float = -math.inf, high: float = math.inf) -> tuple[float, float]:
    """Return a ``(low, high)`` pair of floats with ``low <= high`` inside ``[low, high]`` bounds."""
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise TypeError(f"{name} must be a (low, high) pair, got {value!r}")
    a, b = check_real(f"{name}[0]", value[0]), check_real(f"{name}[1]", value[1])
    if a > b:
        raise ValueError(f"{name} must have low <= high, got {value!r}")
    if a < low or b > high:
        raise ValueError(f"{name} must lie within [{low}, {high}], got {value!r}")
    return a, b


def check_vector(name: str, value, length: int | None = None, positive: bool = False) -> np.ndarray:
    """Return a 1-D float64 array of finite numbers (of ``length`` if given)."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be a sequence of numbers, got {value!r}") from error
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D sequence, got shape {array.shape}")
    if length is not None and array.size != length:
        raise ValueError(f"{name} must have {length} values, got {array.size}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if positive and np.any(array <= 0):
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return array
