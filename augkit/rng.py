"""Generator helpers: derive reproducible generators, never touch global state.

Every random decision in augkit comes from a ``numpy.random.Generator`` passed in by the
caller. This module turns seeds into generators in one documented way, so that the
augmentation of item ``i`` in epoch ``e`` is a pure function of ``(seed, e, i)``.
"""

from __future__ import annotations

import numpy as np

#: Stream tags keep item-level and batch-level generators independent for equal numbers.
SAMPLE_STREAM = 0
BATCH_STREAM = 1


def derive_generator(seed: int, epoch: int, index: int, stream: int = SAMPLE_STREAM) -> np.random.Generator:
    """Return the generator for one item (or one batch) of one epoch.

    Args:
        seed: The experiment's seed, a non-negative integer.
        epoch: The epoch number, a non-negative integer.
        index: The item index (sample stage) or batch index (batch stage).
        stream: ``SAMPLE_STREAM`` or ``BATCH_STREAM``; separates the two stages.

    Returns:
        A ``numpy.random.Generator`` (PCG64) seeded from ``SeedSequence([seed, epoch, index, stream])``.

    Example:
        >>> a = derive_generator(0, 1, 7).integers(1000)
        >>> b = derive_generator(0, 1, 7).integers(1000)
        >>> bool(a == b)
        True
    """
    for name, value in (("seed", seed), ("epoch", epoch), ("index", index), ("stream", stream)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{name} must be an int, got {type(value).__name__}")
        if value < 0:
            raise ValueError(f"{name} must be >= 0, got {value}")
    entropy = [int(seed), int(epoch), int(index), int(stream)]
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy)))


def as_generator(rng: np.random.Generator | int | None) -> np.random.Generator:
    """Return ``rng`` as a ``numpy.random.Generator``.

    Args:
        rng: A generator (returned as is), an int seed, or None for a fresh
            nondeterministic generator (OS entropy; global state is never used).

    Returns:
        A ``numpy.random.Generator``.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(f"rng must be a numpy.random.Generator, an int seed or None, got {type(rng).__name__}")
